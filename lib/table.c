/* The lookup table: a file read into an arena of records and an index
 * over them (table.h). */
#include "table.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "io.h"
#include "reader.h"

int
weir_table_source_init(struct weir_table_source *src, const char *path, const char *on,
    bool prepare)
{
	memset(src, 0, sizeof *src);
	src->path = path;
	src->prepare = prepare;
	if ((src->plan = weir_plan_new()) == NULL || weir_keys_parse(&src->keys, src->plan, on) < 0)
		return -1;
	return 0;
}

void
weir_table_source_free(struct weir_table_source *src)
{
	weir_plan_free(src->plan);
	src->plan = NULL;
	weir_keys_free(&src->keys);
	for (size_t i = 0; i < src->nnames; i++)
		free(src->names[i].raw);
	src->nnames = 0;
}

/*
 * The arena is mapped rather than malloc'd: it grows by mremap, without a
 * copy, and asks for huge pages (where the system gives them on request),
 * since with small pages the page faults of a large table are a large part
 * of its load.
 */
static char *
arena_resize(char *old, size_t oldcap, size_t cap)
{
	void *p = old ? mremap(old, oldcap, cap, MREMAP_MAYMOVE) :
	    mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, cap, MADV_HUGEPAGE);
	return p;
}

static void
arena_free(char *arena, size_t cap)
{
	if (arena)
		munmap(arena, cap);
}

void
weir_table_free(struct weir_table *t)
{
	arena_free(t->arena, t->arena_cap);
	free(t->hashes);
	free(t->starts);
	free(t->tags);
	free(t->offs);
	memset(t, 0, sizeof *t);
}

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* What a row adds to an event: its members but the key fields, and the index
 * (in the source's names) of each member's name. */
struct prepared {
	struct weir_table_source *src;
	struct weir_plan *grow;	/* the stream's plan, before it is read; or NULL */
	struct weir_buf text;
	uint16_t idx[WEIR_TABLE_NAMES];
	size_t n;
	/* the last row prepared, when its shape is known (weir_scan_shape) and
	 * it has up to 64 members: a row of that shape has the same names, so
	 * only its values are looked for */
	uint32_t shape;
	int nm;
	uint16_t key_len[64];
	uint64_t key_field;	/* bit m: member m is a key field, left out */
	struct weir_members list;	/* the row's members */
};

static int
name_index(struct prepared *pr, const struct weir_span *key)
{
	struct weir_table_source *src = pr->src;
	for (size_t i = 0; i < src->nnames; i++)
		if (src->names[i].len == key->n && memcmp(src->names[i].raw, key->p, key->n) == 0)
			return (int)i;
	if (pr->grow == NULL || src->nnames == WEIR_TABLE_NAMES || key->n < 3)
		return -1;
	/* a plain name only: a dot would be a path, an escape a different spelling */
	char *inner = strndup(key->p + 1, key->n - 2);
	if (inner == NULL || strpbrk(inner, ".\\") != NULL) {
		free(inner);
		return -1;
	}
	int slot = weir_plan_add(pr->grow, inner);
	free(inner);
	char *raw = slot < 0 ? NULL : strndup(key->p, key->n);
	if (raw == NULL)
		return -1;
	src->names[src->nnames] = (struct weir_table_name){raw, key->n, slot};
	return (int)src->nnames++;
}

/* Prepares one row into pr (its members but the key fields, and their
 * names' indexes); false when it cannot be.  A member's name is looked for
 * first where the row before had it: a table's rows share their names.  A
 * row of the shape of the last one listed (up to 64 members) has its names
 * in its order: only its values are looked for, and no name compared. */
static bool
prepare_row(struct prepared *pr, const char *line, size_t len, uint32_t shape)
{
	struct weir_table_source *src = pr->src;
	struct weir_members *list = &pr->list;
	bool same = shape != 0 && shape == pr->shape &&
	    weir_member_list_shaped(line, len, pr->key_len, pr->nm, list->v) == pr->nm;
	int n = same ? pr->nm : weir_members_of(list, line, len, -1);
	if (n < 0 || weir_reserve(&pr->text.p, &pr->text.cap, len + (size_t)n + 1) < 0)
		return false;
	size_t before = pr->n;
	bool shaped = shape != 0 && n <= 64;
	if (!same) {
		pr->shape = 0;
		pr->n = 0;
		pr->key_field = 0;
	}
	const struct weir_member *v = list->v;
	char *w = pr->text.p;
	for (int m = 0; m < n; m++) {
		const struct weir_span *key = &v[m].key;
		const struct weir_span *value = &v[m].value;
		if (same) {
			if (pr->key_field >> m & 1)
				continue;
		} else {
			if (shaped && key->n <= UINT16_MAX)
				pr->key_len[m] = (uint16_t)key->n;
			else
				shaped = false;
			if (weir_keys_is_name(&src->keys, key)) {
				if (shaped)
					pr->key_field |= UINT64_C(1) << m;
				continue;
			}
			if (pr->n == WEIR_TABLE_NAMES)
				return false;
			int at = pr->n < before ? pr->idx[pr->n] : -1;
			if (at < 0 || src->names[at].len != key->n ||
			    memcmp(src->names[at].raw, key->p, key->n) != 0)
				at = name_index(pr, key);
			if (at < 0)
				return false;	/* this table goes the slow way */
			pr->idx[pr->n++] = (uint16_t)at;
		}
		if (w != pr->text.p)
			*w++ = ',';
		memcpy(w, key->p, key->n);
		w += key->n;
		*w++ = ':';
		memcpy(w, value->p, value->n);
		w += value->n;
	}
	pr->text.n = (size_t)(w - pr->text.p);
	if (!same && shaped) {
		pr->shape = shape;
		pr->nm = n;
	}
	return true;
}

static inline void
wr32(char *p, size_t v)
{
	uint32_t u = (uint32_t)v;
	memcpy(p, &u, sizeof u);
}

/* A row's bytes in a record, from its u32 line length on. */
static size_t
row_size(const char *row)
{
	return 12 + (size_t)weir_table_u32(row + 4) + 2 * (size_t)weir_table_u32(row + 8) +
	    weir_table_u32(row);
}

/* Appends a record of one row (its key hashed to h; pr its prepared
 * members, or NULL); -1 when memory ran out, or the arena would pass
 * 32 GiB (offsets are u32 in 8-byte units). */
static int
table_append(struct weir_table *t, uint64_t h, const char *key, size_t klen, const char *line,
    size_t len, const struct prepared *pr)
{
	size_t mlen = pr ? pr->text.n : 0, nn = pr ? pr->n : 0;
	if (pr)
		len = 0;	/* its members stand in for it (table_row_line) */
	size_t sz = align8(8 + klen + 12 + mlen + 2 * nn + len);
	if (sz > (size_t)UINT32_MAX * 8 - t->arena_len)
		return -1;
	if (t->arena_cap - t->arena_len < sz) {
		size_t cap = t->arena_cap ? t->arena_cap : (size_t)2 << 20;
		while (cap - t->arena_len < sz)
			cap *= 2;
		char *a = arena_resize(t->arena, t->arena_cap, cap);
		if (a == NULL)
			return -1;
		t->arena = a;
		t->arena_cap = cap;
	}
	if (t->nrecs == t->recs_cap) {
		size_t cap = t->recs_cap ? 2 * t->recs_cap : 4096;
		uint64_t *hashes = realloc(t->hashes, cap * sizeof *hashes);
		if (hashes == NULL)
			return -1;
		t->hashes = hashes;
		uint32_t *starts = realloc(t->starts, cap * sizeof *starts);
		if (starts == NULL)
			return -1;
		t->starts = starts;
		t->recs_cap = cap;
	}
	char *r = t->arena + t->arena_len;
	wr32(r, klen);
	wr32(r + 4, 1);
	memcpy(r + 8, key, klen);
	char *w = r + 8 + klen;
	wr32(w, len);
	wr32(w + 4, mlen);
	wr32(w + 8, nn);
	if (mlen > 0)
		memcpy(w + 12, pr->text.p, mlen);
	if (nn > 0)
		memcpy(w + 12 + mlen, pr->idx, 2 * nn);
	memcpy(w + 12 + mlen + 2 * nn, line, len);
	size_t used = 8 + klen + 12 + mlen + 2 * nn + len;
	memset(r + used, 0, sz - used);
	t->hashes[t->nrecs] = h;
	t->starts[t->nrecs++] = (uint32_t)(t->arena_len / 8);
	t->arena_len += sz;
	return 0;
}

/*
 * Lays the records of a table with repeated keys out again: each key's
 * rows under its first record, in the order read.  head[i] is the first
 * record of record i's key, next[i] the next record of that key.  offs
 * holds first records' numbers, and their offsets after.
 */
static int
table_group(struct weir_table *t, const uint32_t *head, const uint32_t *next)
{
	size_t total = 0;
	for (size_t i = 0; i < t->nrecs; i++) {
		if (head[i] != i)
			continue;
		const char *rec = t->arena + (size_t)t->starts[i] * 8;
		size_t sz = 8 + weir_table_u32(rec);
		for (uint32_t q = (uint32_t)i; q != UINT32_MAX; q = next[q]) {
			const char *r = t->arena + (size_t)t->starts[q] * 8;
			sz += row_size(r + 8 + weir_table_u32(r));
		}
		total += align8(sz);
	}
	if (total / 8 > UINT32_MAX)
		return -1;
	size_t cap = total ? total : 1;
	char *arena = arena_resize(NULL, 0, cap);
	if (arena == NULL)
		return -1;
	size_t at = 0;
	for (size_t i = 0; i < t->nrecs; i++) {
		if (head[i] != i)
			continue;
		const char *rec = t->arena + (size_t)t->starts[i] * 8;
		size_t start = at, klen = weir_table_u32(rec), rows = 0;
		at += 8 + klen;
		for (uint32_t q = (uint32_t)i; q != UINT32_MAX; q = next[q]) {
			const char *r = t->arena + (size_t)t->starts[q] * 8;
			const char *row = r + 8 + weir_table_u32(r);
			memcpy(arena + at, row, row_size(row));
			at += row_size(row);
			rows++;
		}
		memcpy(arena + start, rec, 8 + klen);
		wr32(arena + start + 4, rows);
		size_t end = start + align8(at - start);
		memset(arena + at, 0, end - at);
		at = end;
		t->starts[i] = (uint32_t)(start / 8);	/* from here, in the new arena */
	}
	arena_free(t->arena, t->arena_cap);
	t->arena = arena;
	t->arena_len = total;
	t->arena_cap = cap;
	return 0;
}

/* Builds the probe index over the records read, in the order read (a key
 * seen before joins its first record); -1 when memory ran out, the table
 * as it was. */
static int
table_freeze(struct weir_table *t)
{
	size_t cap = 16;
	while (cap < 2 * t->nrecs)
		cap *= 2;
	size_t mask = cap - 1, n = 0;
	uint8_t *tags = calloc(cap, 1);
	uint32_t *offs = malloc(cap * sizeof *offs);
	uint32_t *head = NULL, *next = NULL, *last = NULL;
	if (tags == NULL || offs == NULL)
		goto fail;
	for (size_t i = 0; i < t->nrecs; i++) {
		uint64_t h = t->hashes[i];
		uint8_t tag = weir_table_tag(h);
		const char *rec = t->arena + (size_t)t->starts[i] * 8;
		size_t at = h & mask;
		for (; tags[at] != 0; at = (at + 1) & mask) {
			if (tags[at] != tag || t->hashes[offs[at]] != h)
				continue;
			const char *first = t->arena + (size_t)t->starts[offs[at]] * 8;
			size_t klen = weir_table_u32(rec);
			if (weir_table_u32(first) == klen && memcmp(first + 8, rec + 8, klen) == 0)
				break;
		}
		if (tags[at] == 0) {
			tags[at] = tag;
			offs[at] = (uint32_t)i;
			n++;
			continue;
		}
		if (head == NULL) {	/* the first repeated key */
			head = malloc(t->nrecs * sizeof *head);
			next = malloc(t->nrecs * sizeof *next);
			last = malloc(t->nrecs * sizeof *last);
			if (head == NULL || next == NULL || last == NULL)
				goto fail;
			for (size_t q = 0; q < t->nrecs; q++) {
				head[q] = last[q] = (uint32_t)q;
				next[q] = UINT32_MAX;
			}
		}
		uint32_t f = offs[at];
		head[i] = f;
		next[last[f]] = (uint32_t)i;
		last[f] = (uint32_t)i;
	}
	if (head && table_group(t, head, next) < 0)
		goto fail;
	for (size_t at = 0; at < cap; at++)
		if (tags[at] != 0)
			offs[at] = t->starts[offs[at]];
	free(head);
	free(next);
	free(last);
	free(t->hashes);
	free(t->starts);
	t->hashes = NULL;
	t->starts = NULL;
	t->tags = tags;
	t->offs = offs;
	t->mask = mask;
	t->nkeys = n;
	t->bytes = t->arena_len + cap * (1 + sizeof *offs);
	return 0;
fail:
	free(head);
	free(next);
	free(last);
	free(tags);
	free(offs);
	return -1;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reading a table: what each row needs on the way into it. */
struct table_read {
	struct weir_table_source *src;
	struct weir_table *t;
	struct prepared pr;
	char *kb;		/* the row's key bytes */
	size_t kcap;
	char *err;
	size_t errlen;
};

/* A table row scanned into spans (its key hashed to h): into the table.
 * 0, or -1 with a message. */
static int
table_row(struct table_read *tr, const char *line, size_t len, const struct weir_span *spans,
    uint64_t h, uint32_t shape)
{
	struct weir_table_source *src = tr->src;
	struct weir_table *t = tr->t;
	for (int i = 0; i < src->keys.n; i++)
		if (spans[src->keys.slots[i]].p == NULL) {
			t->without_key++;
			return 0;
		}
	long n = weir_keys_bytes(&src->keys, spans, &tr->kb, &tr->kcap);
	if (t->prepared)
		t->prepared = prepare_row(&tr->pr, line, len, shape);
	if (n < 0 || table_append(t, h, tr->kb, (size_t)n, line, len,
	    t->prepared ? &tr->pr : NULL) < 0) {
		snprintf(tr->err, tr->errlen, "out of memory reading table '%s'", src->path);
		return -1;
	}
	t->rows++;
	return 0;
}

/* In the reader thread of an NDJSON table: the scan, and the key's hash. */
static void
table_scan(void *arg, struct weir_scanned *rec, struct weir_span *spans)
{
	const struct weir_table_source *src = arg;
	rec->kind = weir_scan(src->plan, rec->line, rec->len, spans, &rec->why) < 0;
	if (rec->kind == 0) {
		rec->digest[0] = weir_keys_hash(&src->keys, spans);
		rec->shape = weir_scan_shape();
	}
}

/*
 * An NDJSON table is split and scanned on a reader thread while this one
 * prepares and stores the rows: the table is read before the stream starts,
 * so its reading is all the join waits for (100k rows: 30 ms on one thread).
 */
static int
table_read_threaded(struct table_read *tr, struct weir_input *in)
{
	struct weir_table_source *src = tr->src;
	struct weir_reader *r = weir_reader_start(weir_input_fd(in),
	    weir_plan_size(src->plan), table_scan, src);
	if (r == NULL) {
		snprintf(tr->err, tr->errlen, "cannot start a reader: %s", strerror(errno));
		return -1;
	}
	size_t nslots = weir_plan_size(src->plan);
	int rc = 0;
	for (bool done = false; rc == 0 && !done;) {
		struct weir_batch *b;
		if (weir_reader_take(r, &b) == 0) {
			struct pollfd pfd = {weir_reader_fd(r), POLLIN, 0};
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				snprintf(tr->err, tr->errlen, "poll: %s", strerror(errno));
				rc = -1;
			}
			continue;
		}
		for (size_t i = 0; i < b->n && rc == 0; i++) {
			weir_batch_scanned(r, b, i + 1);
			const struct weir_scanned *rec = &b->recs[i];
			if (rec->kind != 0) {
				snprintf(tr->err, tr->errlen, "table %s:%llu: %s", src->path,
				    (unsigned long long)rec->lineno, rec->why);
				rc = -1;
			} else {
				rc = table_row(tr, rec->line, rec->len, &b->spans[i * nslots],
				    rec->digest[0], rec->shape);
			}
		}
		if (rc == 0 && b->err) {
			snprintf(tr->err, tr->errlen, "cannot read table '%s': %s", src->path,
			    b->err == EFBIG ? "line too long" : strerror(b->err));
			rc = -1;
		}
		done = b->eof || b->err;
		weir_reader_give_back(r, b);
	}
	weir_reader_stop(r);
	return rc;
}

/* A CSV or gzipped table, a line at a time. */
static int
table_read_lines(struct table_read *tr, struct weir_input *in)
{
	struct weir_table_source *src = tr->src;
	struct weir_span *spans = calloc(weir_plan_size(src->plan) + 1, sizeof *spans);
	int rc = 0;
	if (spans == NULL) {
		snprintf(tr->err, tr->errlen, "out of memory");
		return -1;
	}
	while (rc == 0) {
		const char *line, *why;
		size_t len;
		uint64_t lineno;
		int got = weir_input_next(in, &line, &len, &lineno);
		if (got <= 0) {
			if (got < 0) {
				snprintf(tr->err, tr->errlen, "cannot read table '%s': %s", src->path,
				    strerror(errno));
				rc = -1;
			}
			break;
		}
		if ((why = weir_input_rejected(in)) != NULL) {
			/* a malformed CSV row: rejected as a stream's line is, and
			 * the rows after it read */
			tr->t->rejected++;
			if (src->reject == NULL ||
			    src->reject(src->reject_arg, line, len, src->path, lineno, why) != 0) {
				snprintf(tr->err, tr->errlen, "table %s:%llu: %s", src->path,
				    (unsigned long long)lineno, why);
				rc = -1;
				break;
			}
			continue;
		}
		if (weir_scan(src->plan, line, len, spans, &why) < 0) {
			snprintf(tr->err, tr->errlen, "table %s:%llu: %s", src->path,
			    (unsigned long long)lineno, why);
			rc = -1;
			break;
		}
		rc = table_row(tr, line, len, spans, weir_keys_hash(&src->keys, spans), 0);
	}
	free(spans);
	return rc;
}

int
weir_table_load(struct weir_table_source *src, struct weir_table *t, struct weir_plan *grow,
    char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	bool csv = ends_with(src->path, ".csv");
	struct weir_input *in = weir_input_open(src->path, csv);
	if (in == NULL) {
		snprintf(err, errlen, "cannot open table '%s': %s", src->path, strerror(errno));
		return -1;
	}
	if (fstat(weir_input_fd(in), &t->id) < 0) {
		snprintf(err, errlen, "cannot read table '%s': %s", src->path, strerror(errno));
		weir_input_close(in);
		return -1;
	}
	/* each row prepared as it is read, while every row can be (with grow,
	 * names new to src->names join the stream's plan) */
	struct table_read tr = {src, t, {.src = src, .grow = grow}, NULL, 0, err, errlen};
	t->prepared = src->prepare;
	int rc = csv || weir_input_is_gzip(in) ? table_read_lines(&tr, in) :
	    table_read_threaded(&tr, in);
	free(tr.kb);
	weir_buf_free(&tr.pr.text);
	weir_members_free(&tr.pr.list);
	weir_input_close(in);
	if (rc == 0 && table_freeze(t) < 0) {
		snprintf(err, errlen, "out of memory reading table '%s'", src->path);
		rc = -1;
	}
	if (rc < 0)
		weir_table_free(t);
	return rc;
}

bool
weir_table_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

const char *
weir_table_row_line(const struct weir_table_row *row, struct weir_buf *buf, uint32_t *len)
{
	*len = row->rl;
	if (row->rl > 0)
		return row->line;
	if (weir_reserve(&buf->p, &buf->cap, (size_t)row->ml + 2) < 0)
		return NULL;
	buf->p[0] = '{';
	memcpy(buf->p + 1, row->members, row->ml);
	buf->p[row->ml + 1] = '}';
	*len = row->ml + 2;
	return buf->p;
}
