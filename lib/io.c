/*
 * io.c: the line reader (NDJSON and CSV) and the buffered writer.
 *
 *   raw bytes:   buf [ consumed | start ... pending lines ... end | free ]
 *
 * The reader compacts (moves the pending tail to the front) only when a
 * read would not fit, and doubles the buffer only when one line fills it,
 * so memory is bounded by the longest line, never by the input's size.
 * CSV records become JSON text in a second buffer, `queue`, with the same
 * layout; weir_input_line then hands lines out of whichever is in use.
 */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fields.h"
#include "io.h"
#include "parse.h"

#define READ_CHUNK ((size_t)1 << 20)

struct bytes {
	char *p;
	size_t start, end, cap;
};

struct weir_input {
	int fd;
	bool owned;
	bool eof;
	bool follow;		/* a read of 0 bytes is not the end */
	bool at_end;		/* the last read returned 0 bytes */
	gzFile gz;		/* gzip data, read through zlib */
	uint64_t consumed;	/* bytes read from the start (decompressed) */
	char *name;
	uint64_t lineno;
	struct bytes raw;
	size_t scanned;		/* raw.p[start..start+scanned) holds no newline */

	bool csv;
	struct csv_parser parser;
	struct bytes queue;	/* JSON lines made from CSV records, and
				   rejected lines behind REJECTED_TAG */
	char **header;
	size_t nheader;
	bool in_header;
	struct bytes record;	/* the record being built */
	size_t ncells;
	struct bytes pending;	/* the raw bytes of the record being read */
	struct bytes replay;	/* lines to read again after a rejected one */
	bool row_ended;		/* libcsv ended a row in the last line fed */
	bool malformed;		/* the record being read is: skip to its line's end */
	bool rejected;		/* the line last handed out is a rejected one */
	bool oom;

	/* JSON text (weir_input_set_json): values split out of raw */
	bool json;
	bool jstarted;		/* a first value (or '[') was seen */
	bool jarray;		/* inside a top-level array: its members are the values */
	size_t jscan;		/* bytes of the value at raw.start scanned so far */
	int jdepth;
	bool jstr, jesc;	/* the scan is inside a string, after a backslash */
	uint64_t jline;		/* the line raw.start is on, from 1 */
	struct bytes value;	/* a value spread over lines, compacted */

	/* A log format (weir_input_set_parser): each line turned into JSON */
	struct weir_parser *logp;
	const char *why;		/* why the line handed out is rejected */
	uint64_t held_from;		/* offset of the first line of a held record */
	bool built;			/* the line handed out is one the parser wrote */
	unsigned char delim;		/* CSV's field separator: ',' or '\t' */
};

/* Marks a queued line as a malformed CSV record's raw bytes; the JSON lines
 * made from records start with '{', so the tag cannot be confused. */
#define REJECTED_TAG '\001'
#define CSV_OPTIONS (CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI)

static void csv_end(struct weir_input *in);

static int
bytes_reserve(struct bytes *b, size_t more)
{
	if (b->cap - b->end >= more)
		return 0;
	if (b->start > 0) {
		memmove(b->p, b->p + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
		if (b->cap - b->end >= more)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->end < more) {
		if (cap > WEIR_MAX_LINE * 2) {
			errno = EFBIG;
			return -1;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int
bytes_append(struct bytes *b, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (bytes_reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->end, s, n);
	b->end += n;
	return 0;
}

struct weir_input *
weir_input_open(const char *path, bool csv)
{
	struct weir_input *in = calloc(1, sizeof *in);
	if (in == NULL)
		return NULL;
	if (strcmp(path, "-") == 0) {
		/* a closed stdin must not read whatever file opens next as fd 0 */
		in->fd = fcntl(0, F_GETFD) < 0 ? -1 : 0;
		in->name = strdup("stdin");
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		in->owned = true;
		in->name = strdup(path);
	}
	if (in->fd < 0 || in->name == NULL) {
		int e = errno;
		weir_input_close(in);
		errno = e;
		return NULL;
	}
	unsigned char magic[2];
	if (in->owned && pread(in->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		int fd = dup(in->fd);
		if (fd < 0 || (in->gz = gzdopen(fd, "rb")) == NULL) {
			if (fd >= 0)
				close(fd);
			weir_input_close(in);
			errno = ENOMEM;
			return NULL;
		}
		gzbuffer(in->gz, 1 << 17);
	}
	in->csv = csv;
	in->delim = ',';
	if (csv) {
		if (csv_init(&in->parser, CSV_OPTIONS) != 0) {
			weir_input_close(in);
			errno = ENOMEM;
			return NULL;
		}
		in->in_header = true;
	}
	return in;
}

void
weir_input_close(struct weir_input *in)
{
	if (in == NULL)
		return;
	if (in->owned && in->fd >= 0)
		close(in->fd);
	if (in->gz)
		gzclose(in->gz);
	if (in->csv)
		csv_free(&in->parser);
	weir_parser_free(in->logp);
	for (size_t i = 0; i < in->nheader; i++)
		free(in->header[i]);
	free(in->header);
	free(in->raw.p);
	free(in->queue.p);
	free(in->record.p);
	free(in->pending.p);
	free(in->replay.p);
	free(in->value.p);
	free(in->name);
	free(in);
}

const char *
weir_input_name(const struct weir_input *in)
{
	return in->name;
}

int
weir_input_fd(const struct weir_input *in)
{
	return in->fd;
}

bool
weir_input_eof(const struct weir_input *in)
{
	return in->eof;
}

static int
next_line(struct bytes *b, size_t *scanned, bool eof, const char **line,
    size_t *len)
{
	size_t from = b->start + *scanned;
	char *nl = from < b->end ? memchr(b->p + from, '\n', b->end - from) : NULL;
	size_t n;
	if (nl == NULL) {
		*scanned = b->end - b->start;
		if (!eof || b->end == b->start)
			return 0;
		n = b->end - b->start;	/* the last line has no newline */
		*line = b->p + b->start;
		b->start = b->end;
	} else {
		n = (size_t)(nl - (b->p + b->start));
		*line = b->p + b->start;
		b->start += n + 1;
	}
	*scanned = 0;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	*len = n;
	return 1;
}

void
weir_input_set_json(struct weir_input *in)
{
	in->json = true;
	in->jline = 1;
}

/*
 * The end of the value at b->p[b->start], scanned on from where the last
 * call stopped: an object or array to its closing bracket (strings and
 * escapes followed), a string to its closing quote; in a top-level array
 * any other value ends at a comma, bracket or white space, and anywhere
 * else at the end of its line (so a line that is no JSON is one value, and
 * rejected whole).  0 when the buffer ends first.
 */
static size_t
json_value_end(struct weir_input *in)
{
	const struct bytes *b = &in->raw;
	const char *v = b->p + b->start;
	size_t n = b->end - b->start;
	char open = v[0];
	if (open != '{' && open != '[' && open != '"') {
		for (size_t i = in->jscan; i < n; i++) {
			char c = v[i];
			if (c == '\n' || (in->jarray && (c == ',' || c == ']' || c == ' ' ||
			    c == '\t' || c == '\r')))
				return i;
		}
		in->jscan = n;
		return 0;
	}
	size_t i = in->jscan;
	if (i == 0) {
		in->jdepth = 0;
		in->jstr = open == '"';
		in->jesc = false;
		i = 1;
		if (!in->jstr)
			in->jdepth = 1;
	}
	for (; i < n; i++) {
		char c = v[i];
		if (in->jstr) {
			if (in->jesc)
				in->jesc = false;
			else if (c == '\\')
				in->jesc = true;
			else if (c == '"') {
				in->jstr = false;
				if (in->jdepth == 0)
					return i + 1;
			}
		} else if (c == '"') {
			in->jstr = true;
		} else if (c == '{' || c == '[') {
			in->jdepth++;
		} else if ((c == '}' || c == ']') && --in->jdepth == 0) {
			return i + 1;
		}
	}
	in->jscan = n;
	return 0;
}

/* The next value of JSON text: a line of its own, as it came when it lies
 * on one line, else with the white space between its tokens taken out. */
static int
json_next(struct weir_input *in, const char **line, size_t *len, uint64_t *lineno)
{
	struct bytes *b = &in->raw;
	for (;;) {
		while (b->start < b->end && in->jscan == 0) {
			unsigned char c = (unsigned char)b->p[b->start];
			if (!in->jstarted && c == 0xef && b->end - b->start < 3 && !in->eof)
				return 0;	/* a byte-order mark, or not: more tells */
			if (c == '\n')
				in->jline++;
			else if (!in->jstarted && c == 0xef && b->end - b->start >= 3 &&
			    memcmp(b->p + b->start, "\xef\xbb\xbf", 3) == 0)
				b->start += 2;	/* a byte-order mark */
			else if (!in->jstarted && c == '[')
				in->jarray = in->jstarted = true;
			else if (in->jarray && c == ']')
				in->jarray = false;
			else if (c != ' ' && c != '\t' && c != '\r' && !(in->jarray && c == ','))
				break;
			b->start++;
		}
		if (b->start == b->end)
			return 0;
		size_t n = json_value_end(in);
		if (n == 0) {
			if (!in->eof)
				return 0;
			n = b->end - b->start;	/* cut off: the rest is rejected */
		}
		in->jstarted = true;
		in->jscan = 0;
		const char *v = b->p + b->start;
		b->start += n;
		*lineno = in->jline;
		if (memchr(v, '\n', n) == NULL) {
			*line = v;
			*len = n;
			while (*len > 0 && v[*len - 1] == '\r')
				(*len)--;
			return 1;
		}
		in->value.start = in->value.end = 0;
		bool str = false, esc = false;
		for (size_t i = 0; i < n; i++) {
			char c = v[i];
			in->jline += c == '\n';
			if (!str && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
				continue;
			if (str && esc)
				esc = false;
			else if (str && c == '\\')
				esc = true;
			else if (c == '"')
				str = !str;
			if (bytes_append(&in->value, &c, 1) < 0) {
				in->oom = true;
				return 0;
			}
		}
		*line = in->value.p;
		*len = in->value.end;
		return 1;
	}
}

/* The next record of a log format: raw lines go through the parser until
 * one ends a record or is rejected; blank lines pass as they are (the
 * reader skips them as it does in JSON). */
static int
parsed_next(struct weir_input *in, const char **line, size_t *len, uint64_t *lineno)
{
	in->rejected = in->built = false;
	for (;;) {
		const char *raw;
		size_t rn;
		uint64_t at = weir_input_offset(in);
		if (next_line(&in->raw, &in->scanned, in->eof, &raw, &rn) != 1) {
			if (!in->eof)
				return 0;
			int rc = weir_parser_end(in->logp, line, len, lineno);
			if (rc == WEIR_PARSE_NOMEM)
				in->oom = true;
			in->built = rc == WEIR_PARSE_RECORD;
			return rc == WEIR_PARSE_RECORD;
		}
		*lineno = ++in->lineno;
		if (weir_line_is_blank(raw, rn)) {
			*line = raw;
			*len = rn;
			return 1;
		}
		bool held = weir_parser_holds(in->logp);
		int rc = weir_parser_line(in->logp, raw, rn, in->lineno, line, len, lineno, &in->why);
		if (!held && weir_parser_holds(in->logp))
			in->held_from = at;
		if (rc == WEIR_PARSE_RECORD) {
			/* a line passed through as it came (--passthrough-json) points
			 * into the raw line, its BOM perhaps skipped */
			in->built = !(*line >= raw && *line <= raw + rn);
			return 1;
		}
		if (rc == WEIR_PARSE_NO) {
			in->rejected = true;
			*line = raw;
			*len = rn;
			return 1;
		}
		if (rc == WEIR_PARSE_NOMEM) {
			in->oom = true;
			return 0;
		}
	}
}

bool
weir_input_built(const struct weir_input *in)
{
	return in->built;
}

void
weir_input_set_parser(struct weir_input *in, struct weir_parser *p)
{
	weir_parser_free(in->logp);
	in->logp = p;
}

const char *
weir_input_notice(struct weir_input *in)
{
	return in->logp ? weir_parser_notice(in->logp) : NULL;
}

int
weir_input_set_tsv(struct weir_input *in)
{
	if (!in->csv)
		return -1;
	in->delim = '\t';
	csv_set_delim(&in->parser, in->delim);
	return 0;
}

int
weir_input_line(struct weir_input *in, const char **line, size_t *len,
    uint64_t *lineno)
{
	size_t ignored = 0;
	if (in->json)
		return json_next(in, line, len, lineno);
	if (in->logp)
		return parsed_next(in, line, len, lineno);
	int rc = in->csv ? next_line(&in->queue, &ignored, in->eof, line, len)
	    : next_line(&in->raw, &in->scanned, in->eof, line, len);
	if (rc == 1 && in->lineno == 0 && !in->csv)
		weir_skip_bom(line, len);
	in->rejected = rc == 1 && in->csv && *len > 0 && **line == REJECTED_TAG;
	if (in->rejected) {
		(*line)++;
		(*len)--;
	}
	if (rc == 1)
		*lineno = ++in->lineno;
	return rc;
}

void
weir_input_set_follow(struct weir_input *in, bool follow)
{
	in->follow = follow;
	if (!follow && in->at_end && !in->eof) {
		in->eof = true;
		if (in->csv)
			csv_end(in);	/* what the last read left open ends here */
	}
}

const char *
weir_input_rejected(const struct weir_input *in)
{
	if (!in->rejected)
		return NULL;
	return in->logp ? in->why : "malformed CSV record (a stray or unterminated quote)";
}

bool
weir_input_at_end(const struct weir_input *in)
{
	return in->at_end;
}

bool
weir_input_is_gzip(const struct weir_input *in)
{
	return in->gz != NULL;
}

uint64_t
weir_input_position(const struct weir_input *in)
{
	return in->gz ? (uint64_t)gzoffset(in->gz) : in->consumed;
}

uint64_t
weir_input_offset(const struct weir_input *in)
{
	if (in->logp && weir_parser_holds(in->logp))
		return in->held_from;
	return in->consumed - (in->raw.end - in->raw.start);
}

int
weir_input_seek(struct weir_input *in, uint64_t offset)
{
	if (in->csv || in->json) {
		errno = ESPIPE;
		return -1;
	}
	if (in->gz) {
		if (gzseek(in->gz, (z_off_t)offset, SEEK_SET) != (z_off_t)offset) {
			errno = EBADMSG;
			return -1;
		}
	} else if (lseek(in->fd, (off_t)offset, SEEK_SET) < 0) {
		return -1;
	}
	in->raw.start = in->raw.end = 0;
	in->scanned = 0;
	in->consumed = offset;
	in->eof = in->at_end = false;
	return 0;
}

/* --- CSV ------------------------------------------------------------------- */

static void
csv_cell(void *s, size_t n, void *arg)
{
	struct weir_input *in = arg;
	char tmp[32];
	if (in->in_header) {
		if (in->nheader == 0) {
			const char *cell = s;
			weir_skip_bom(&cell, &n);
			s = (void *)cell;
		}
		char **h = realloc(in->header, (in->nheader + 1) * sizeof *h);
		if (h == NULL || (h[in->nheader] = malloc(n + 1)) == NULL) {
			if (h)
				in->header = h;
			in->oom = true;
			return;
		}
		in->header = h;
		memcpy(h[in->nheader], s, n);
		h[in->nheader++][n] = '\0';
		return;
	}
	const char *name = tmp;
	if (in->ncells < in->nheader)
		name = in->header[in->ncells];
	else
		snprintf(tmp, sizeof tmp, "%zu", in->ncells + 1);
	size_t nlen = strlen(name);
	/* worst case: every byte escaped as \u00XX */
	if (bytes_reserve(&in->record, 6 * (n + nlen) + 8) < 0) {
		in->oom = true;
		return;
	}
	struct bytes *r = &in->record;
	r->p[r->end++] = in->ncells == 0 ? '{' : ',';
	r->end = (size_t)weir_json_quote(r->p, r->cap, r->end, name, nlen);
	r->p[r->end++] = ':';
	if (weir_is_json_number(s, n)) {
		memcpy(r->p + r->end, s, n);
		r->end += n;
	} else {
		r->end = (size_t)weir_json_quote(r->p, r->cap, r->end, s, n);
	}
	in->ncells++;
}

static void
csv_row(int c, void *arg)
{
	struct weir_input *in = arg;
	(void)c;
	in->row_ended = true;
	if (in->in_header) {
		in->in_header = false;
		in->lineno++;	/* the header is line 1 */
		return;
	}
	if (in->ncells == 0 && bytes_append(&in->record, "{", 1) < 0)
		in->oom = true;
	if (bytes_append(&in->record, "}\n", 2) < 0 ||
	    bytes_append(&in->queue, in->record.p, in->record.end) < 0)
		in->oom = true;
	in->record.end = 0;
	in->ncells = 0;
}

/*
 * Strict CSV, and what becomes of a malformed record.  libcsv is fed one
 * physical line at a time, so the raw bytes of the record being read (its
 * lines since the last row ended, in `pending`) are known.  When libcsv
 * finds a stray quote (`"6" screen`, `6" screen`), or a quote is still
 * open at the end of input, the record's first line is the malformed one:
 * it is rejected, byte for byte, the parser starts afresh, and the lines
 * after it are read again (from `replay`, ahead of what is still unread),
 * so that one bad quote costs one line and never swallows the records
 * after it.
 *
 * A rejected line goes into the queue behind REJECTED_TAG, in its place
 * among the records, so that it keeps its line number;
 * weir_input_rejected tells the caller.
 */
static void
csv_restart(struct weir_input *in)
{
	csv_free(&in->parser);
	if (csv_init(&in->parser, CSV_OPTIONS) != 0)
		in->oom = true;
	csv_set_delim(&in->parser, in->delim);
	in->record.end = 0;
	in->ncells = 0;
	in->malformed = false;
	if (in->in_header) {
		for (size_t i = 0; i < in->nheader; i++)
			free(in->header[i]);
		in->nheader = 0;
	}
}

/* Rejects the first line of the pending record and puts the lines after
 * it in front of what is left to read again. */
static void
csv_reject_first_line(struct weir_input *in)
{
	struct bytes *pb = &in->pending, *rp = &in->replay;
	if (pb->end == pb->start) {
		csv_restart(in);
		return;
	}
	const char *p = pb->p + pb->start;
	size_t n = pb->end - pb->start;
	const char *nl = memchr(p, '\n', n);
	size_t first = nl ? (size_t)(nl - p) + 1 : n;
	size_t shown = nl ? first - 1 : n;
	if (shown > 0 && p[shown - 1] == '\r')
		shown--;
	char tag = REJECTED_TAG;
	if (bytes_append(&in->queue, &tag, 1) < 0 || bytes_append(&in->queue, p, shown) < 0 ||
	    bytes_append(&in->queue, "\n", 1) < 0) {
		in->oom = true;
		return;
	}
	struct bytes again = {NULL, 0, 0, 0};
	if (bytes_append(&again, p + first, n - first) < 0 || (rp->end > rp->start &&
	    bytes_append(&again, rp->p + rp->start, rp->end - rp->start) < 0)) {
		free(again.p);
		in->oom = true;
		return;
	}
	free(rp->p);
	*rp = again;
	pb->start = pb->end = 0;
	csv_restart(in);
}

static bool
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Feeds one physical line (with its newline, if it has one yet). */
static void
csv_feed_line(struct weir_input *in, const char *p, size_t n, bool whole)
{
	struct bytes *pb = &in->pending;
	if (bytes_append(pb, p, n) < 0) {
		in->oom = true;
		return;
	}
	if (!in->malformed) {
		in->row_ended = false;
		if (csv_parse(&in->parser, p, n, csv_cell, csv_row, in) != n) {
			if (csv_error(&in->parser) != CSV_EPARSE)
				in->oom = true;
			in->malformed = true;
		}
	}
	if (!whole)
		return;
	if (in->malformed)
		csv_reject_first_line(in);
	else if (in->row_ended || blank(pb->p + pb->start, pb->end - pb->start))
		pb->start = pb->end = 0;
}

/* Feeds what is to be read again, then p[0..n), a line at a time. */
static void
csv_feed(struct weir_input *in, const char *p, size_t n)
{
	struct bytes *rp = &in->replay;
	while (!in->oom) {
		bool again = rp->end > rp->start;
		const char *q = again ? rp->p + rp->start : p;
		size_t m = again ? rp->end - rp->start : n;
		if (m == 0)
			break;
		const char *nl = memchr(q, '\n', m);
		size_t seg = nl ? (size_t)(nl - q) + 1 : m;
		if (again)
			rp->start += seg;	/* q stays valid until the next call */
		else {
			p += seg;
			n -= seg;
		}
		csv_feed_line(in, q, seg, nl != NULL);
	}
}

/* The end of input: the last record, and any quote left open. */
static void
csv_end(struct weir_input *in)
{
	for (;;) {
		csv_feed(in, NULL, 0);
		if (in->oom)
			return;
		if (in->malformed) {
			csv_reject_first_line(in);
			continue;
		}
		if (csv_fini(&in->parser, csv_cell, csv_row, in) == 0)
			break;
		if (csv_error(&in->parser) != CSV_EPARSE) {
			in->oom = true;
			return;
		}
		csv_reject_first_line(in);
	}
	in->pending.start = in->pending.end = 0;
}

int
weir_input_next(struct weir_input *in, const char **line, size_t *len, uint64_t *lineno)
{
	for (;;) {
		if (weir_input_line(in, line, len, lineno) == 1)
			return 1;
		if (weir_input_eof(in))
			return 0;
		if (weir_input_fill(in) < 0 && errno != EINTR)
			return -1;
	}
}

long
weir_input_fill(struct weir_input *in)
{
	struct bytes *b = &in->raw;
	if (in->oom) {
		errno = ENOMEM;
		return -1;
	}
	if (in->csv)
		b->start = b->end = 0;	/* libcsv has taken all earlier bytes */
	if (bytes_reserve(b, READ_CHUNK) < 0)
		return -1;
	if (!in->csv && b->end - b->start > WEIR_MAX_LINE) {
		errno = EFBIG;
		return -1;
	}
	ssize_t n;
	if (in->gz) {
		size_t want = b->cap - b->end;
		n = gzread(in->gz, b->p + b->end, want > INT32_MAX ? INT32_MAX : (unsigned)want);
		int zerr = Z_OK;
		if (n < 0 || (n == 0 && (gzerror(in->gz, &zerr), zerr != Z_OK))) {
			if (zerr == Z_ERRNO)
				return -1;
			errno = EBADMSG;	/* corrupt or truncated gzip data */
			return -1;
		}
	} else {
		n = read(in->fd, b->p + b->end, b->cap - b->end);
		if (n < 0)
			return -1;
	}
	in->at_end = n == 0;
	if (n == 0 && !in->follow)
		in->eof = true;
	b->end += (size_t)n;
	in->consumed += (uint64_t)n;
	if (in->csv) {
		if (n > 0)
			csv_feed(in, b->p, (size_t)n);
		else if (in->eof)
			csv_end(in);
		if (in->oom) {
			errno = ENOMEM;
			return -1;
		}
	}
	return n;
}

/* --- output ---------------------------------------------------------------- */

struct weir_output {
	int fd;
	bool csv;
	bool unbuffered;
	char *buf;
	size_t len, cap;
	/* CSV: the current header (keys joined by '\n') */
	struct bytes header;
	struct bytes row;
	struct bytes keys;
	bool wrote_header;
	bool lite;		/* -o csvlite: a new header block whenever the keys change */
	size_t *cell_end;	/* where each cell of `row` ends (its comma excluded) */
	size_t ncells, cells_cap;
	struct bytes arranged;	/* a row put in the header's order */
	uint64_t new_blocks;	/* rows with a column the header lacks */
};

void
weir_pipe_widen(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    fcntl(fd, F_GETPIPE_SZ) < (int)WEIR_PIPE_SIZE)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)WEIR_PIPE_SIZE);
#else
	(void)fd;
#endif
}

struct weir_output *
weir_output_new(int fd, bool csv, bool unbuffered)
{
	struct weir_output *out = calloc(1, sizeof *out);
	if (out == NULL)
		return NULL;
	out->fd = fd;
	out->csv = csv;
	out->unbuffered = unbuffered;
	out->cap = WEIR_OUT_CAP;
	weir_pipe_widen(fd);
	out->buf = malloc(out->cap);
	if (out->buf == NULL) {
		free(out);
		return NULL;
	}
	return out;
}

void
weir_output_free(struct weir_output *out)
{
	if (out == NULL)
		return;
	free(out->buf);
	free(out->header.p);
	free(out->row.p);
	free(out->keys.p);
	free(out->cell_end);
	free(out->arranged.p);
	free(out);
}

void
weir_output_set_csvlite(struct weir_output *out)
{
	out->lite = true;
}

uint64_t
weir_output_new_blocks(const struct weir_output *out)
{
	return out->new_blocks;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = {fd, POLLOUT, 0};
				poll(&pfd, 1, -1);
				continue;
			}
			return errno == EPIPE ? WEIR_IO_EPIPE : -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
weir_out_flush(struct weir_output *out)
{
	if (out->len == 0)
		return 0;
	int rc = write_all(out->fd, out->buf, out->len);
	out->len = 0;
	return rc;
}

struct pollfd
weir_out_pollfd(const struct weir_output *out)
{
	return (struct pollfd){out->fd, 0, 0};
}

bool
weir_out_gone(short revents)
{
	return (revents & (POLLERR | POLLHUP)) != 0;
}

bool
weir_out_pending(const struct weir_output *out)
{
	return out->len > 0;
}

static int
out_put(struct weir_output *out, const char *p, size_t n)
{
	if (out->cap - out->len < n) {
		int rc = weir_out_flush(out);
		if (rc != 0)
			return rc;
		if (n > out->cap)
			return write_all(out->fd, p, n);
	}
	memcpy(out->buf + out->len, p, n);
	out->len += n;
	return 0;
}

static int
out_end_line(struct weir_output *out)
{
	int rc = out_put(out, "\n", 1);
	if (rc == 0 && out->unbuffered)
		rc = weir_out_flush(out);
	return rc;
}

/* CSV: a cell is quoted when it holds a separator, quote or line break. */
static int
csv_put_cell(struct bytes *row, const char *s, size_t n)
{
	bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote)
		return bytes_append(row, s, n);
	if (bytes_append(row, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (bytes_append(row, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1) < 0)
			return -1;
	return bytes_append(row, "\"", 1);
}

static int
csv_member(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	struct weir_output *out = arg;
	char small[4096];
	char *tmp = small;
	size_t cap = key->n > value->n ? key->n : value->n;
	int rc = -1;
	if (cap + 1 > sizeof small && (tmp = malloc(cap + 1)) == NULL)
		return -1;
	long k = weir_span_unescape(key, tmp, cap + 1);
	if (k < 0 || (out->keys.end > 0 && bytes_append(&out->keys, "\n", 1) < 0) ||
	    bytes_append(&out->keys, tmp, (size_t)k) < 0)
		goto done;
	if (out->ncells > 0 && bytes_append(&out->row, ",", 1) < 0)
		goto done;
	if (weir_span_is_string(value)) {
		long v = weir_span_unescape(value, tmp, cap + 1);
		if (v < 0 || csv_put_cell(&out->row, tmp, (size_t)v) < 0)
			goto done;
	} else if (!(value->n == 4 && memcmp(value->p, "null", 4) == 0)) {
		if (csv_put_cell(&out->row, value->p, value->n) < 0)
			goto done;
	}
	if (out->ncells == out->cells_cap) {
		size_t ncap = out->cells_cap ? 2 * out->cells_cap : 32;
		size_t *p = realloc(out->cell_end, ncap * sizeof *p);
		if (p == NULL)
			goto done;
		out->cell_end = p;
		out->cells_cap = ncap;
	}
	out->cell_end[out->ncells++] = out->row.end;
	rc = 0;
done:
	if (tmp != small)
		free(tmp);
	return rc;
}

static int
csv_header_cell(struct bytes *row, const char *keys, size_t n)
{
	const char *p = keys, *end = keys + n;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		if (p != keys && bytes_append(row, ",", 1) < 0)
			return -1;
		if (csv_put_cell(row, p, (size_t)(stop - p)) < 0)
			return -1;
		p = stop + 1;
	}
	return 0;
}

/*
 * -o csv: a row whose keys are the header's, in any order or some missing,
 * is written in the header's order, a missing one empty, so that one
 * header serves the whole output (as Miller's CSV, DuckDB and pandas read
 * it).  Returns 1 when it was arranged so (in out->arranged), 0 when the
 * row has a key the header lacks, -1 when memory ran out.
 */
static int
csv_arrange(struct weir_output *out)
{
	out->arranged.start = out->arranged.end = 0;
	const char *hk = out->header.p, *hend = out->header.p + out->header.end;
	size_t found = 0;
	for (bool first = true; hk <= hend; first = false) {
		const char *nl = memchr(hk, '\n', (size_t)(hend - hk));
		size_t hn = (size_t)((nl ? nl : hend) - hk);
		if (!first && bytes_append(&out->arranged, ",", 1) < 0)
			return -1;
		const char *rk = out->keys.p;
		for (size_t i = 0; i < out->ncells; i++) {
			const char *rnl = memchr(rk, '\n', (size_t)(out->keys.p + out->keys.end - rk));
			size_t rn = (size_t)((rnl ? rnl : out->keys.p + out->keys.end) - rk);
			if (rn == hn && memcmp(rk, hk, hn) == 0) {
				size_t from = i == 0 ? 0 : out->cell_end[i - 1] + 1;
				if (bytes_append(&out->arranged, out->row.p + from,
				    out->cell_end[i] - from) < 0)
					return -1;
				found++;
				break;
			}
			rk += rn + 1;
		}
		if (nl == NULL)
			break;
		hk = nl + 1;
	}
	return found == out->ncells ? 1 : 0;
}

static int
out_csv_line(struct weir_output *out, const char *line, size_t len)
{
	out->row.start = out->row.end = 0;
	out->keys.start = out->keys.end = 0;
	out->ncells = 0;
	if (weir_members(line, len, csv_member, out) != 0)
		return -1;
	int rc;
	bool same = out->wrote_header && out->header.end == out->keys.end &&
	    memcmp(out->header.p, out->keys.p, out->keys.end) == 0;
	if (!same && out->wrote_header && !out->lite && out->ncells > 0) {
		if ((rc = csv_arrange(out)) < 0)
			return -1;
		if (rc == 1) {
			rc = out_put(out, out->arranged.p ? out->arranged.p : "", out->arranged.end);
			return rc ? rc : out_end_line(out);
		}
		out->new_blocks++;	/* a column the header lacks: a new block */
	}
	if (!same) {
		/* A new schema starts a new header block, as Miller's csvlite does. */
		if (out->wrote_header && (rc = out_put(out, "\n", 1)) != 0)
			return rc;
		out->header.start = out->header.end = 0;
		if (bytes_append(&out->header, out->keys.p ? out->keys.p : "", out->keys.end) < 0)
			return -1;
		struct bytes h = {0};
		if (csv_header_cell(&h, out->keys.p ? out->keys.p : "", out->keys.end) < 0) {
			free(h.p);
			return -1;
		}
		rc = out_put(out, h.p ? h.p : "", h.end);
		free(h.p);
		if (rc != 0 || (rc = out_put(out, "\n", 1)) != 0)
			return rc;
		out->wrote_header = true;
	}
	if ((rc = out_put(out, out->row.p ? out->row.p : "", out->row.end)) != 0)
		return rc;
	return out_end_line(out);
}

int
weir_out_line(struct weir_output *out, const char *line, size_t len)
{
	if (out->csv)
		return out_csv_line(out, line, len);
	if (out->cap - out->len > len) {	/* the common case: one copy */
		memcpy(out->buf + out->len, line, len);
		out->len += len;
		out->buf[out->len++] = '\n';
		return out->unbuffered ? weir_out_flush(out) : 0;
	}
	int rc = out_put(out, line, len);
	return rc ? rc : out_end_line(out);
}

int
weir_out_line_insert(struct weir_output *out, const char *line, size_t len,
    const char *members, size_t mlen)
{
	if (mlen == 0)	/* nothing to add: no comma either */
		return weir_out_line(out, line, len);
	size_t brace = len;
	while (brace > 0 && line[brace - 1] != '}')
		brace--;
	if (brace == 0)
		return -1;
	brace--;
	size_t before = brace;
	while (before > 0 && (line[before - 1] == ' ' || line[before - 1] == '\t' ||
	    line[before - 1] == '\r' || line[before - 1] == '\n'))
		before--;
	bool empty = before > 0 && line[before - 1] == '{';
	if (out->csv) {
		struct bytes b = {0};
		int rc = -1;
		if (bytes_append(&b, line, brace) == 0 &&
		    (empty || bytes_append(&b, ",", 1) == 0) &&
		    bytes_append(&b, members, mlen) == 0 &&
		    bytes_append(&b, line + brace, len - brace) == 0)
			rc = out_csv_line(out, b.p, b.end);
		free(b.p);
		return rc;
	}
	if (out->cap - out->len > len + mlen + 1) {	/* the common case: one place */
		char *w = out->buf + out->len;
		memcpy(w, line, brace);
		w += brace;
		if (!empty)
			*w++ = ',';
		memcpy(w, members, mlen);
		w += mlen;
		memcpy(w, line + brace, len - brace);
		w += len - brace;
		*w++ = '\n';
		out->len = (size_t)(w - out->buf);
		return out->unbuffered ? weir_out_flush(out) : 0;
	}
	int rc = out_put(out, line, brace);
	if (rc == 0 && !empty)
		rc = out_put(out, ",", 1);
	if (rc == 0)
		rc = out_put(out, members, mlen);
	if (rc == 0)
		rc = out_put(out, line + brace, len - brace);
	return rc ? rc : out_end_line(out);
}

int
weir_out_protocol(struct weir_output *out, const char *line, size_t len)
{
	if (out->csv)
		return 0;
	int rc = out_put(out, line, len);
	return rc ? rc : out_end_line(out);
}

int
weir_reserve(char **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	char *q = realloc(*buf, c);
	if (q == NULL)
		return -1;
	*buf = q;
	*cap = c;
	return 0;
}

long
weir_json_quote(char *buf, size_t cap, size_t len, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (len + 2 > cap)
		return -1;
	buf[len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (len + 7 > cap)
			return -1;
		if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20) {
			buf[len++] = '\\';
			switch (c) {
			case '\n': buf[len++] = 'n'; break;
			case '\t': buf[len++] = 't'; break;
			case '\r': buf[len++] = 'r'; break;
			case '\b': buf[len++] = 'b'; break;
			case '\f': buf[len++] = 'f'; break;
			default:
				buf[len++] = 'u';
				buf[len++] = '0';
				buf[len++] = '0';
				buf[len++] = hex[c >> 4];
				buf[len++] = hex[c & 15];
			}
		} else {
			buf[len++] = (char)c;
		}
	}
	buf[len++] = '"';
	return (long)len;
}

char *
weir_json_key(const char *name, size_t n, size_t *len)
{
	char *k = malloc(6 * n + 4);
	if (k == NULL)
		return NULL;
	long q = weir_json_quote(k, 6 * n + 4, 0, name, n);
	k[q] = ':';
	k[q + 1] = '\0';
	*len = (size_t)q + 1;
	return k;
}

bool
weir_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		/* RFC 3629: no overlong three- or four-byte form, no surrogate,
		 * nothing past U+10FFFF */
		unsigned c1 = s[i + (k > 1)];
		if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
		    (c == 0xf4 && c1 > 0x8f))
			return false;
		i += k;
	}
	return true;
}

long
weir_json_quote_bytes(char *buf, size_t cap, size_t len, const void *p, size_t n)
{
	const unsigned char *s = p;
	if (weir_utf8_valid(s, n))
		return weir_json_quote(buf, cap, len, p, n);
	if (len + 6 * n + 2 > cap)
		return -1;
	buf[len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20 || c >= 0x80) {
			len += (size_t)sprintf(buf + len, "\\u%04x", c);
		} else {
			buf[len++] = (char)c;
		}
	}
	buf[len++] = '"';
	return (long)len;
}

/* --- growable strings ------------------------------------------------------ */

int
weir_buf_add(struct weir_buf *b, const void *s, size_t n)
{
	if (weir_reserve(&b->p, &b->cap, b->n + n + 1) < 0)
		return -1;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

int
weir_buf_str(struct weir_buf *b, const char *s)
{
	return weir_buf_add(b, s, strlen(s));
}

int
weir_buf_printf(struct weir_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || weir_reserve(&b->p, &b->cap, b->n + (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
	return 0;
}

/*
 * A computed decimal, rounded to 15 significant digits for writing: every
 * decimal of up to 15 digits survives a trip through a double, so the
 * result of decimal arithmetic that is short in decimal is written short
 * (226.7 / 1000 is 0.2267, 0.1 + 0.2 is 0.3, as PostgreSQL's numeric
 * gives), where the shortest text that reads back would show the binary
 * error (0.22669999999999998).  Outside [1e-4, 1e15) it is left as it is.
 */
double
weir_round15(double v)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
	double a = fabs(v);
	if (!(a >= 1e-4 && a < 1e15))
		return v;
	int k = 14 - (int)floor(log10(a));
	if (k < 0 || k > 18)
		return v;
	double r = (double)(long long)(a * p10[k] + 0.5) / p10[k];	/* below 1e15 */
	return v < 0 ? -r : r;
}

/* Writes ±m / 10^k (m > 0 with nd digits in digits, 0 <= k) as a plain
 * decimal. */
static size_t
put_decimal(char *buf, bool neg, const char *digits, int nd, int k)
{
	char *p = buf;
	if (neg)
		*p++ = '-';
	if (k == 0) {
		memcpy(p, digits, (size_t)nd + 1);
		return (size_t)(p - buf) + (size_t)nd;
	}
	if (nd <= k) {	/* 0.00ddd */
		*p++ = '0';
		*p++ = '.';
		for (int z = 0; z < k - nd; z++)
			*p++ = '0';
		memcpy(p, digits, (size_t)nd + 1);
		return (size_t)(p - buf) + (size_t)nd;
	}
	memcpy(p, digits, (size_t)(nd - k));
	p += nd - k;
	*p++ = '.';
	memcpy(p, digits + nd - k, (size_t)k + 1);
	return (size_t)(p - buf) + (size_t)k;
}

/* The digits of m > 0 into digits (NUL-terminated); returns how many.
 * Two digits a division, from the end of a buffer. */
static int
decimal_digits(unsigned long long m, char *digits)
{
	static const char pairs[201] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char tmp[24];
	char *p = tmp + sizeof tmp;
	while (m >= 100) {
		unsigned r = (unsigned)(m % 100);
		m /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	if (m >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * m, 2);
	} else {
		*--p = (char)('0' + m);
	}
	int nd = (int)(tmp + sizeof tmp - p);
	memcpy(digits, p, (size_t)nd);
	digits[nd] = '\0';
	return nd;
}

/* floor(log10(a)) for 1e-4 <= a < 1e15, as weir_round15 takes it: by
 * comparisons with the powers of ten, and from log10 itself next to one of
 * them (where its rounding could put a on the other side). */
static int
floor_log10(double a)
{
	static const double p[] = {1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
		1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};	/* 10^e at e + 4 */
	uint64_t bits;
	memcpy(&bits, &a, sizeof bits);
	int e2 = (int)((bits >> 52) & 0x7ff) - 1023;	/* 2^e2 <= a < 2^(e2+1) */
	int e = e2 * 3 / 10;				/* within one of the answer */
	if (e < -4)
		e = -4;
	if (e > 14)
		e = 14;
	while (e > -4 && a < p[e + 4])
		e--;
	while (e < 14 && a >= p[e + 5])
		e++;
	if (a < p[e + 4] * (1 + 1e-13) || a > p[e + 5] * (1 - 1e-13))
		return (int)floor(log10(a));
	return e;
}

/* x < 10^8 as 8 digits (0..9 a byte, the first in the low byte), leading
 * zeros kept: x as two lanes of four digits, each of those as two lanes
 * of two, by multiplications in lanes rather than a division per pair
 * (x * 5243 >> 19 is x / 100 below 43699, x * 103 >> 10 is x / 10 below
 * 179). */
static inline uint64_t
digits8(uint32_t x)
{
	uint64_t four = (uint64_t)(x / 10000) | (uint64_t)(x % 10000) << 32;
	uint64_t hund = ((four * 5243) >> 19) & UINT64_C(0x0000007F0000007F);
	uint64_t two = hund | (four - 100 * hund) << 16;
	uint64_t tens = ((two * 103) >> 10) & UINT64_C(0x000F000F000F000F);
	return tens | (two - 10 * tens) << 8;
}

/*
 * weir_round15 gives r = m / 10^k with m of 15 digits; r's shortest text is
 * m without its trailing zeros over the matching power of ten, since two
 * decimals of at most 15 digits are never the same double.  (m and 10^k
 * are exact doubles and division rounds correctly, so m / 10^k with the
 * zeros or without them is the same r.)  The digits are made in two
 * registers and stored 16 bytes at a time, past the text's end but within
 * WEIR_DOUBLE_ROOM.
 */
size_t
weir_format_double15(double v, char *buf)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
	double a = fabs(v);
	if (!(a >= 1e-4 && a < 1e15))
		return weir_format_double(v, buf);
	int k = 14 - floor_log10(a);
	if (k < 0 || k > 18)
		return weir_format_double(v, buf);
	/* 10^14 <= m <= 10^15 */
	uint64_t m = (uint64_t)(a * p10[k] + 0.5);
	if (k == 0 && m >= UINT64_C(1000000000000000))	/* r is 1e15 */
		return weir_format_double(v < 0 ? -(double)m : (double)m, buf);
	uint64_t hi = digits8((uint32_t)(m / 100000000)), lo = digits8((uint32_t)(m % 100000000));
	int nd = m >= UINT64_C(1000000000000000) ? 16 : 15;
	/* trailing zeros, down to the decimal point: zero bytes at the top */
	int tz = lo ? __builtin_clzll(lo) / 8 : 8 + __builtin_clzll(hi) / 8;
	int strip = tz < k ? tz : k;
	unsigned __int128 d = ((unsigned __int128)lo << 64 | hi) >> (8 * (16 - nd));
	d |= (unsigned __int128)UINT64_C(0x3030303030303030) << 64 | UINT64_C(0x3030303030303030);
	nd -= strip;
	k -= strip;
	char *p = buf;
	*p = '-';
	p += v < 0;
	if (nd <= k) {	/* 0.00ddd */
		memcpy(p, "0.0000000000000000000000", 24);
		p += 2 + k - nd;
		memcpy(p, &d, 16);
		p += nd;
	} else {
		memcpy(p, &d, 16);
		p += nd - k;
		if (k > 0) {	/* k < nd <= 16: the point and k digits fit 16 bytes */
			unsigned __int128 f = (d >> (8 * (nd - k))) << 8 | '.';
			memcpy(p, &f, 16);
			p += 1 + k;
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

int
weir_buf_double15(struct weir_buf *b, double v)
{
	if (weir_reserve(&b->p, &b->cap, b->n + WEIR_DOUBLE_ROOM) < 0)
		return -1;
	b->n += weir_format_double15(v, b->p + b->n);
	return 0;
}

size_t
weir_format_double(double v, char *buf)
{
	if (!isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	if (v == 0) {	/* -0 too: JSON readers make 0 of it either way */
		memcpy(buf, "0", 2);
		return 1;
	}
	/* Fast path: a value with a short decimal form between 1e-4 and 1e15
	 * (where %g writes no exponent) is m / 10^k for the smallest k that
	 * reads back; it is what the loop below would write, as rounding v to
	 * 15 digits gives that form's digits. */
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
	double a = fabs(v);
	if (a >= 1e-4 && a < 1e15) {
		for (int k = 0; k <= 18; k++) {
			double scaled = a * p10[k];
			if (scaled >= 1e15)
				break;
			long long m = (long long)(scaled + 0.5);	/* scaled >= 0 */
			if ((double)m / p10[k] != a)
				continue;
			char digits[24];
			int nd = decimal_digits((unsigned long long)m, digits);
			return put_decimal(buf, v < 0, digits, nd, k);
		}
	}
	int n = 0;
	/* 15 digits always read back as the same decimal, so they are the
	 * shortest form of a double that has one of up to 15 digits; below
	 * DBL_MIN (subnormals) precision is lower and shorter forms exist */
	for (int prec = fabs(v) < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
		n = snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return (size_t)n;
}

int
weir_buf_double(struct weir_buf *b, double v)
{
	char tmp[WEIR_DOUBLE_ROOM];
	size_t n = weir_format_double(v, tmp);
	return weir_buf_add(b, tmp, n);
}

void
weir_buf_free(struct weir_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}
