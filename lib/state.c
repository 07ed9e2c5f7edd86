/*
 * state.c: checkpoint files, their history, and the ledger.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "state.h"

static const char magic[8] = "\x89WEIRST\n";

#define FIXED (8 + 4 + 4 + 8 + 8 + 8)	/* up to the payload length */
#define MAX_HISTORY 64			/* older checkpoints kept at most */

/* --- payload --------------------------------------------------------------- */

int
weir_put_u64(struct weir_buf *b, uint64_t v)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return weir_buf_add(b, x, 8);
}

int
weir_put_i64(struct weir_buf *b, int64_t v)
{
	return weir_put_u64(b, (uint64_t)v);
}

int
weir_put_bytes(struct weir_buf *b, const void *p, size_t n)
{
	if (weir_put_u64(b, n) < 0)
		return -1;
	return n ? weir_buf_add(b, p, n) : 0;
}

static uint64_t
le(const char *p, int nbytes)
{
	uint64_t v = 0;
	for (int i = nbytes - 1; i >= 0; i--)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

uint64_t
weir_get_u64(struct weir_get *g)
{
	if (g->bad || g->n - g->at < 8) {
		g->bad = true;
		return 0;
	}
	uint64_t v = le(g->p + g->at, 8);
	g->at += 8;
	return v;
}

int64_t
weir_get_i64(struct weir_get *g)
{
	return (int64_t)weir_get_u64(g);
}

const char *
weir_get_bytes(struct weir_get *g, size_t *n)
{
	uint64_t len = weir_get_u64(g);
	if (g->bad || len > g->n - g->at) {
		g->bad = true;
		*n = 0;
		return NULL;
	}
	const char *p = g->p + g->at;
	g->at += (size_t)len;
	*n = (size_t)len;
	return p;
}

uint64_t
weir_get_count(struct weir_get *g, size_t each)
{
	uint64_t n = weir_get_u64(g);
	if (g->bad || (each > 0 && n > (g->n - g->at) / each)) {
		g->bad = true;
		return 0;
	}
	return n;
}

/* --- the format ------------------------------------------------------------ */

int
weir_state_parse(const char *data, size_t n, bool whole, struct weir_state_hdr *h,
    const char **why)
{
	memset(h, 0, sizeof *h);
	if (n == 0) {
		*why = "is empty (a write cut short?)";
		return -1;
	}
	if (n < sizeof magic || memcmp(data, magic, sizeof magic) != 0) {
		*why = "is not a weir state file";
		return -1;
	}
	if (n < FIXED) {
		*why = "is truncated";
		return -1;
	}
	h->version = (uint32_t)le(data + 8, 4);
	if (h->version != WEIR_STATE_VERSION) {
		*why = "is of another version of the state format";
		return -1;
	}
	h->id.counted = le(data + 12, 4) & 1;
	h->id.n = le(data + 16, 8);
	h->id.lines = le(data + 24, 8);
	uint64_t plen = le(data + 32, 8);
	size_t at = FIXED;
	const char **str[3] = {&h->program, &h->base, &h->fingerprint};
	size_t *lens[3] = {&h->program_len, &h->base_len, &h->fingerprint_len};
	for (int i = 0; i < 3; i++) {
		int w = i < 2 ? 2 : 4;
		if (n - at < (size_t)w) {
			*why = "is truncated";
			return -1;
		}
		uint64_t len = le(data + at, w);
		at += (size_t)w;
		if (len > n - at) {
			*why = "is truncated";
			return -1;
		}
		*str[i] = data + at;
		*lens[i] = (size_t)len;
		at += (size_t)len;
	}
	if (!whole)
		return 0;
	if (plen > n - at || n - at - (size_t)plen != 4) {
		*why = n - at < plen + 4 ? "is truncated" : "has bytes past its end (corrupt)";
		return -1;
	}
	h->payload = data + at;
	h->payload_len = (size_t)plen;
	uint32_t want = (uint32_t)le(data + at + plen, 4);
	uLong crc = crc32(0L, (const Bytef *)data, (uInt)(at + plen));
	if ((uint32_t)crc != want) {
		*why = "fails its checksum (corrupt)";
		return -1;
	}
	return 0;
}

static int
put_le(struct weir_buf *b, uint64_t v, int nbytes)
{
	unsigned char x[8];
	for (int i = 0; i < nbytes; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return weir_buf_add(b, x, (size_t)nbytes);
}

static int
header(struct weir_buf *b, const struct weir_state *s, struct weir_ckpt id, size_t plen)
{
	size_t pl = strlen(s->program), bl = strlen(s->base), fl = strlen(s->fingerprint);
	if (pl > 0xffff || bl > 0xffff || fl > 0xffffffffu)
		return -1;
	if (weir_buf_add(b, magic, sizeof magic) < 0 || put_le(b, WEIR_STATE_VERSION, 4) < 0 ||
	    put_le(b, id.counted ? 1 : 0, 4) < 0 || put_le(b, id.n, 8) < 0 || put_le(b, id.lines, 8) < 0 ||
	    put_le(b, plen, 8) < 0 ||
	    put_le(b, pl, 2) < 0 || weir_buf_add(b, s->program, pl) < 0 ||
	    put_le(b, bl, 2) < 0 || weir_buf_add(b, s->base, bl) < 0 ||
	    put_le(b, fl, 4) < 0 || weir_buf_add(b, s->fingerprint, fl) < 0)
		return -1;
	return 0;
}

/* --- files ------------------------------------------------------------------- */

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static char *
history_path(const struct weir_state *s, uint64_t n)
{
	size_t len = strlen(s->path) + 24;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s.%" PRIu64, s->path, n);
	return p;
}

/* Reads a whole file (or its first `cap` bytes when cap > 0). */
static int
slurp(const char *path, size_t cap, char **data, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	size_t want = (size_t)st.st_size;
	if (cap > 0 && want > cap)
		want = cap;
	char *p = malloc(want ? want : 1);
	size_t got = 0;
	while (p && got < want) {
		ssize_t r = read(fd, p + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	int saved = errno;
	close(fd);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (got < want && cap == 0) {
		free(p);
		errno = saved ? saved : EIO;
		return -1;
	}
	*data = p;
	*n = got;
	return 0;
}

static int
history_add(struct weir_state *s, uint64_t n)
{
	size_t i = s->nhistory;
	while (i > 0 && s->history[i - 1] > n)
		i--;
	if (i > 0 && s->history[i - 1] == n)
		return 0;
	if (s->nhistory == s->history_cap) {
		size_t cap = s->history_cap ? s->history_cap * 2 : 8;
		uint64_t *h = realloc(s->history, cap * sizeof *h);
		if (h == NULL)
			return -1;
		s->history = h;
		s->history_cap = cap;
	}
	memmove(s->history + i + 1, s->history + i, (s->nhistory - i) * sizeof *s->history);
	s->history[i] = n;
	s->nhistory++;
	return 0;
}

/* FILE.N: digits after "base." */
static bool
history_name(const struct weir_state *s, const char *name, uint64_t *n)
{
	size_t bl = strlen(s->base);
	if (strncmp(name, s->base, bl) != 0 || name[bl] != '.' || name[bl + 1] == '\0')
		return false;
	uint64_t v = 0;
	for (const char *p = name + bl + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*n = v;
	return true;
}

int
weir_state_init(struct weir_state *s, const char *path, const char *program,
    const char *fingerprint, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->program = program;
	s->fingerprint = fingerprint;
	const char *slash = strrchr(path, '/');
	s->path = strdup(path);
	if (slash) {
		size_t dl = (size_t)(slash - path);
		s->dir = strndup(path, dl ? dl : 1);
		s->base = strdup(slash + 1);
	} else {
		s->dir = strdup(".");
		s->base = strdup(path);
	}
	if (s->path == NULL || s->dir == NULL || s->base == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->base[0] == '\0' || s->base[0] == '.') {
		snprintf(err, errlen, "bad --state '%s' (expected a file name that does not start "
		    "with a dot, e.g. ck/agg.state)", path);
		return -1;
	}
	struct stat st;
	if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--state '%s': no directory '%s'", path, s->dir);
		return -1;
	}
	return 0;
}

void
weir_state_free(struct weir_state *s)
{
	free(s->path);
	free(s->dir);
	free(s->base);
	free(s->history);
	memset(s, 0, sizeof *s);
}

/*
 * The ledger: the lowest newest checkpoint over the directory's state files
 * (each known by the name it records), ours counted as `own`; and its file
 * in *who.  Our history is listed on the way.
 */
static struct weir_ckpt
ledger_floor_n(struct weir_state *s, struct weir_ckpt own, char *who, size_t wholen,
    size_t *others)
{
	struct weir_ckpt low = own;
	*others = 0;
	snprintf(who, wholen, "%s", s->path);
	DIR *d = opendir(s->dir);
	if (d == NULL)
		return low;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		uint64_t hn;
		if (e->d_name[0] == '.' || strcmp(e->d_name, s->base) == 0)
			continue;
		if (history_name(s, e->d_name, &hn)) {
			history_add(s, hn);
			continue;
		}
		char *p = join(s->dir, e->d_name);
		char *data = NULL;
		size_t n = 0;
		struct weir_state_hdr h;
		const char *why;
		if (p && slurp(p, 4096, &data, &n) == 0 &&
		    weir_state_parse(data, n, false, &h, &why) == 0 &&
		    h.base_len == strlen(e->d_name) && memcmp(h.base, e->d_name, h.base_len) == 0) {
			(*others)++;
			if (weir_ckpt_cmp(h.id, low) < 0) {
				low = h.id;
				snprintf(who, wholen, "%s", p);
			}
		}
		free(data);
		free(p);
	}
	closedir(d);
	return low;
}

static struct weir_ckpt
ledger_floor(struct weir_state *s, struct weir_ckpt own, char *who, size_t wholen)
{
	size_t others;
	return ledger_floor_n(s, own, who, wholen, &others);
}

/*
 * A program downstream that has not written its first state file yet is
 * not in the ledger: upstream, alone in the directory so far, would drop
 * the checkpoints it will come back to (seen under ASan, barriers every
 * 20 ms, a program slow to start).  So while a program is alone, it keeps
 * what this run wrote in the last YOUNG_NS as history.
 */
#define YOUNG_NS (2 * 1000 * 1000 * 1000LL)

static bool
young(const struct weir_state *s, uint64_t n, int64_t now)
{
	for (int i = 0; i < s->nyoung; i++)
		if (s->young_id[i] == n && now - s->young_at[i] < YOUNG_NS)
			return true;
	return false;
}

static void
young_add(struct weir_state *s, uint64_t n, int64_t now)
{
	int cap = (int)(sizeof s->young_id / sizeof s->young_id[0]);
	if (s->nyoung == cap) {
		memmove(s->young_id, s->young_id + 1, (size_t)(cap - 1) * sizeof s->young_id[0]);
		memmove(s->young_at, s->young_at + 1, (size_t)(cap - 1) * sizeof s->young_at[0]);
		s->nyoung--;
	}
	s->young_id[s->nyoung] = n;
	s->young_at[s->nyoung++] = now;
}

struct weir_ckpt
weir_state_completed(struct weir_state *s)
{
	char who[512];
	if (!s->have)
		return (struct weir_ckpt){0, 0, false};
	return ledger_floor(s, s->cur, who, sizeof who);
}

bool
weir_state_alone(struct weir_state *s)
{
	char who[512];
	size_t others;
	ledger_floor_n(s, s->cur, who, sizeof who, &others);
	return others == 0;
}

static int
read_checked(struct weir_state *s, const char *path, struct weir_state_hdr *h, char **data,
    char *err, size_t errlen)
{
	size_t n;
	const char *why;
	if (slurp(path, 0, data, &n) < 0) {
		snprintf(err, errlen, "cannot read state file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (weir_state_parse(*data, n, true, h, &why) < 0) {
		if (h->version != 0 && h->version != WEIR_STATE_VERSION)
			snprintf(err, errlen, "state file '%s' is of version %u of the state format; "
			    "this weir reads version %d: refused", path, (unsigned)h->version,
			    WEIR_STATE_VERSION);
		else
			snprintf(err, errlen, "state file '%s' %s: refused (remove it to start afresh)",
			    path, why);
		goto bad;
	}
	if (h->program_len != strlen(s->program) ||
	    memcmp(h->program, s->program, h->program_len) != 0) {
		snprintf(err, errlen, "state file '%s' is the state of %.*s, not of %s: refused",
		    path, (int)(h->program_len > 64 ? 64 : h->program_len), h->program, s->program);
		goto bad;
	}
	if (h->fingerprint_len != strlen(s->fingerprint) ||
	    memcmp(h->fingerprint, s->fingerprint, h->fingerprint_len) != 0) {
		snprintf(err, errlen, "state file '%s' was written with other options (%.*s; now "
		    "%s): refused (remove it to start afresh)", path,
		    (int)(h->fingerprint_len > 160 ? 160 : h->fingerprint_len), h->fingerprint,
		    s->fingerprint);
		goto bad;
	}
	return 0;
bad:
	free(*data);
	*data = NULL;
	return -1;
}

/*
 * A program enrols in the ledger as it starts, before it reads a line: a
 * file at checkpoint 0 (the input's start, no payload).  Until it writes
 * checkpoint N, no program of the pipeline counts N as completed, so a
 * restart goes back to the start rather than to a checkpoint this one
 * never had (seen: weir-join killed before its first barrier, one of its
 * two replays restored its checkpoint 1, the join started afresh and had
 * lost that replay's lines before 1).
 */
static int
enrol(struct weir_state *s, char *err, size_t errlen)
{
	struct weir_ckpt start = {0, 0, false};
	if (weir_state_save(s, start, "", 0, err, errlen) < 0)
		return -1;
	s->have = false;	/* nothing to restore */
	s->cur = start;
	s->saves = 0;
	return 0;
}

int
weir_state_load(struct weir_state *s, struct weir_ckpt *id, char **payload, size_t *len,
    char *err, size_t errlen)
{
	struct weir_state_hdr h;
	char *data = NULL;
	struct stat st;
	s->nhistory = 0;
	if (stat(s->path, &st) != 0 && errno == ENOENT) {
		char who[4096];
		struct weir_ckpt none = {UINT64_MAX, UINT64_MAX};
		ledger_floor(s, none, who, sizeof who);	/* lists leftover history */
		return enrol(s, err, errlen);
	}
	if (read_checked(s, s->path, &h, &data, err, errlen) < 0)
		return -1;
	struct weir_ckpt start = {0, 0, false};
	char who[4096];
	struct weir_ckpt want = ledger_floor(s, h.id, who, sizeof who);
	if (weir_ckpt_cmp(want, start) == 0) {
		/* enrolled only, or a program of the pipeline is: all start
		 * afresh (our checkpoints are of a numbering that starts again) */
		free(data);
		for (size_t i = 0; i < s->nhistory; i++) {
			char *hp = history_path(s, s->history[i]);
			if (hp)
				unlink(hp);
			free(hp);
		}
		s->nhistory = 0;
		return weir_ckpt_cmp(h.id, start) == 0 ? 0 : enrol(s, err, errlen);
	}
	s->have = true;
	s->cur = h.id;
	if (weir_ckpt_cmp(want, h.id) < 0) {
		/* a program downstream completed less: go back to what it has */
		free(data);
		data = NULL;
		char *hp = history_path(s, want.n);
		if (hp == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		bool have = false;
		for (size_t i = 0; i < s->nhistory; i++)
			have |= s->history[i] == want.n;
		if (want.lines != 0 || !have) {
			snprintf(err, errlen, "state file '%s' is at checkpoint %" PRIu64 " and no longer "
			    "has checkpoint %" PRIu64 ", the last that '%s' completed: the pipeline "
			    "cannot resume consistently (remove the directory's state files to start "
			    "afresh)", s->path, h.id.n, want.n, who);
			free(hp);
			return -1;
		}
		int rc = read_checked(s, hp, &h, &data, err, errlen);
		free(hp);
		if (rc < 0)
			return -1;
	}
	*id = h.id;
	*len = h.payload_len;
	*payload = malloc(h.payload_len ? h.payload_len : 1);
	if (*payload == NULL) {
		free(data);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(*payload, h.payload, h.payload_len);
	free(data);
	return 1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
weir_state_save(struct weir_state *s, struct weir_ckpt id, const void *payload, size_t len,
    char *err, size_t errlen)
{
	int64_t t0 = mono_ns();
	struct weir_buf b = {0};
	char *tmp = NULL;
	int fd = -1, rc = -1;
	if (header(&b, s, id, len) < 0 || weir_buf_add(&b, payload, len) < 0) {
		snprintf(err, errlen, "out of memory writing state");
		goto out;
	}
	uLong crc = crc32(0L, (const Bytef *)b.p, (uInt)b.n);
	if (put_le(&b, (uint32_t)crc, 4) < 0) {
		snprintf(err, errlen, "out of memory writing state");
		goto out;
	}
	char name[64];
	snprintf(name, sizeof name, ".%s.tmp.%ld", "state", (long)getpid());
	tmp = join(s->dir, name);
	if (tmp == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, b.p, b.n) < 0 || fsync(fd) < 0) {
		if (s->have)
			snprintf(err, errlen, "cannot write state file '%s': %s (checkpoint %"
			    PRIu64 " is intact)", s->path, strerror(errno), s->cur.n);
		else
			snprintf(err, errlen, "cannot write state file '%s': %s", s->path,
			    strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, errlen, "cannot write state file '%s': %s", s->path, strerror(errno));
		goto out;
	}
	fd = -1;
	/* The file being replaced stays as FILE.N while the ledger may still
	 * go back to it; a checkpoint between barriers keeps its barrier's. */
	char who[4096];
	size_t others;
	int64_t now = mono_ns();
	struct weir_ckpt floor = ledger_floor_n(s, id, who, sizeof who, &others);
	bool alone = others == 0;
	if (s->have && s->cur.lines == 0 && s->cur.n != id.n &&
	    (weir_ckpt_cmp(s->cur, floor) >= 0 || (alone && young(s, s->cur.n, now)))) {
		char *hp = history_path(s, s->cur.n);
		if (hp) {
			unlink(hp);
			if (link(s->path, hp) == 0)
				history_add(s, s->cur.n);
			free(hp);
		}
	}
	if (rename(tmp, s->path) != 0) {
		snprintf(err, errlen, "cannot write state file '%s': %s", s->path, strerror(errno));
		goto out;
	}
	int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	s->have = true;
	s->cur = id;
	/* what nobody can go back to any more */
	size_t keep = 0;
	for (size_t i = 0; i < s->nhistory; i++) {
		uint64_t h = s->history[i];
		bool drop = (h < floor.n && !(alone && young(s, h, now))) ||
		    (s->nhistory - i > MAX_HISTORY);
		if (drop && h >= floor.n && !alone && !s->warned_history) {
			snprintf(s->warning, sizeof s->warning, "state '%s': more than %d "
			    "checkpoints held back by '%.120s' (a state file of another pipeline in "
			    "the directory?): dropping the oldest", s->path, MAX_HISTORY, who);
			s->warned_history = true;
		}
		if (drop) {
			char *hp = history_path(s, h);
			if (hp)
				unlink(hp);
			free(hp);
		} else {
			s->history[keep++] = h;
		}
	}
	s->nhistory = keep;
	if (id.lines == 0)
		young_add(s, id.n, now);
	s->saves++;
	s->last_bytes = b.n;
	s->last_ns = mono_ns() - t0;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp)
		unlink(tmp);
	free(tmp);
	weir_buf_free(&b);
	return rc;
}
