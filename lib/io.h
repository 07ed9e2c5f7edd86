/*
 * io.h: reading lines and writing them.
 *
 * Input: read(2) in large blocks, lines split with memchr, any length up to
 * WEIR_MAX_LINE.  A line handed out points into the reader's buffer and is
 * valid until the next call on that reader.  CSV input is turned into one
 * NDJSON line per record (the header row names the fields; cells that are
 * JSON numbers become numbers, all others strings), so everything after the
 * reader sees JSON.
 *
 * Who uses it: the driver reads NDJSON through reader.h (a second thread)
 * and CSV through this reader; weir-replay steps through several files in
 * one thread with it, and weir-join reads its lookup table with it.
 *
 * Output: one buffer, written with write(2) when full, on weir_out_flush,
 * and after every line with `unbuffered`.  A closed pipe (EPIPE) is
 * reported as WEIR_IO_EPIPE so that the program can end quietly with 0.
 * CSV output converts each JSON line's top-level members into a row.
 *
 * Readers and writers own their buffers; the close and free functions accept NULL.
 */
#ifndef WEIR_IO_H
#define WEIR_IO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEIR_MAX_LINE ((size_t)1 << 30)	/* 1 GiB: a longer line is an error */
#define WEIR_IO_EPIPE (-2)

struct weir_input;

/* The UTF-8 byte-order mark that some editors and Windows exports put at the
 * start of a file.  Every reader drops it from an input's first line (as
 * Miller does), so it neither hides the first name nor spoils a line. */
static inline void
weir_skip_bom(const char **line, size_t *len)
{
	if (*len >= 3 && (unsigned char)(*line)[0] == 0xef && (unsigned char)(*line)[1] == 0xbb &&
	    (unsigned char)(*line)[2] == 0xbf) {
		*line += 3;
		*len -= 3;
	}
}

/* A line of nothing but spaces and tabs: skipped and counted as blank by
 * every reader, as jq and Miller skip it. */
static inline bool
weir_line_is_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

/* Opens path ("-" is stdin).  Returns NULL with errno set on failure. */
struct weir_input *weir_input_open(const char *path, bool csv);

/*
 * Reads the input as JSON text (-i json-text), before the first read: any
 * sequence of JSON values, one a line or spread over lines (pretty-printed,
 * as jq without -c writes), or the members of one top-level array, or
 * objects one after another on a line.  Each value is handed out as a
 * line: as it came when it lies on one line, else with the white space
 * between its tokens taken out (numbers and strings keep their bytes).
 * Its line number is the line it starts on.  A value cut off by the end of
 * input is handed out as it is (and rejected); text that is no JSON value
 * is handed out to the end of its line.
 */
void weir_input_set_json(struct weir_input *in);
void weir_input_close(struct weir_input *in);

const char *weir_input_name(const struct weir_input *in);
int weir_input_fd(const struct weir_input *in);
bool weir_input_eof(const struct weir_input *in);

/*
 * Hands out the next complete line (without its newline, and without a
 * trailing \r) if the buffer holds one; at end of input also a last line
 * that has no newline.  Returns 1 with *line, *len and the line's number in
 * *lineno, or 0 when more must be read first (or input is over).
 */
int weir_input_line(struct weir_input *in, const char **line, size_t *len,
    uint64_t *lineno);

/*
 * Following a growing file (weir-replay --follow): with follow set, a read
 * that finds no more bytes does not end the input, so a last line without
 * its newline waits for the rest; weir_input_at_end says the last read
 * found nothing.  Clearing follow makes such a read the end again.
 */
void weir_input_set_follow(struct weir_input *in, bool follow);
bool weir_input_at_end(const struct weir_input *in);

/* gzip data (found by its magic bytes in a regular file) is read through
 * zlib; offsets then count decompressed bytes. */
bool weir_input_is_gzip(const struct weir_input *in);

/* Bytes of the input taken as lines so far (lines handed out, plus any
 * CSV bytes parsed): where a restart resumes. */
uint64_t weir_input_offset(const struct weir_input *in);

/* Bytes of the file read so far (compressed bytes for gzip): progress. */
uint64_t weir_input_position(const struct weir_input *in);

/* Goes to a byte offset (NDJSON only: lseek, or gzseek which re-reads);
 * the buffer is dropped.  Returns 0 or -1 with errno. */
int weir_input_seek(struct weir_input *in, uint64_t offset);

/*
 * Reads once (may block).  Returns the bytes read, 0 at end of input, -1 on
 * a read error (errno set) or a line longer than WEIR_MAX_LINE (errno
 * EFBIG), or corrupt gzip data (EBADMSG).
 */
long weir_input_fill(struct weir_input *in);

/*
 * weir_input_line, reading (and blocking) as needed: for a file read whole
 * at once, as a lookup table or a list of keys is (not with follow).
 * Returns 1 with the line, 0 at the end of input, -1 on a read error
 * (errno as weir_input_fill sets it).
 */
int weir_input_next(struct weir_input *in, const char **line, size_t *len,
    uint64_t *lineno);

/*
 * CSV is read strictly (RFC 4180).  A malformed record (a stray quote, or a
 * quote still open at the end of input) is handed out by weir_input_line
 * as its raw lines, byte for byte, each in its place among the records;
 * for such a line this returns why it is rejected, for any other NULL.
 * The records after it are read as records.
 */
const char *weir_input_rejected(const struct weir_input *in);

/*
 * A log format (parse.h), before the first read: each line goes through
 * the parser, which the input then owns, and is handed out as the JSON
 * object it becomes.  A line the format does not read is handed out as it
 * came, with weir_input_rejected saying why; a blank line as it is.  A
 * record joined from several lines has the number of its first.
 * weir_input_notice returns, once, what --auto chose (else NULL).
 */
struct weir_parser;
void weir_input_set_parser(struct weir_input *in, struct weir_parser *p);
const char *weir_input_notice(struct weir_input *in);

/* Whether the line last handed out is JSON the parser wrote (valid by
 * construction), not a line of the input as it came. */
bool weir_input_built(const struct weir_input *in);

/* CSV input separated by tabs (-i tsv), before the first read; -1 when
 * the input is not CSV. */
int weir_input_set_tsv(struct weir_input *in);

/* --- output ---------------------------------------------------------------- */

/* The writer's buffer: lines are gathered in it and written when it fills. */
#define WEIR_OUT_CAP ((size_t)1 << 18)

struct weir_output;

struct weir_output *weir_output_new(int fd, bool csv, bool unbuffered);
void weir_output_free(struct weir_output *out);

/* CSV: the first row's keys make the header of the whole output; a later
 * row with the same keys in another order, or some missing, is written in
 * the header's order (a missing one empty).  A row with a key the header
 * lacks starts a new header block, as Miller's csvlite writes, and is
 * counted (weir_output_new_blocks).  With csvlite (-o csvlite), every
 * change of the keys starts a new block. */
void weir_output_set_csvlite(struct weir_output *out);
uint64_t weir_output_new_blocks(const struct weir_output *out);

/* Writes a line (a newline is added).  Returns 0, -1 (errno), WEIR_IO_EPIPE. */
int weir_out_line(struct weir_output *out, const char *line, size_t len);

/* Writes the line with `members` (e.g. `"a":1,"b":2`) inserted before its
 * closing brace, the rest untouched; `{}` gets no comma. */
int weir_out_line_insert(struct weir_output *out, const char *line, size_t len,
    const char *members, size_t mlen);

/* Writes a protocol line (watermark, barrier): dropped in CSV output. */
int weir_out_protocol(struct weir_output *out, const char *line, size_t len);

int weir_out_flush(struct weir_output *out);
bool weir_out_pending(const struct weir_output *out);

/*
 * For a program waiting on its input: a pollfd that wakes when the reader
 * of the output pipe has gone (events 0: only POLLERR and POLLHUP come
 * back), so that `weir-replay --follow | head -1` ends when head does, as
 * tail -F does, not at the next line written.  weir_out_gone says whether
 * that pollfd's revents say so.
 */
struct pollfd weir_out_pollfd(const struct weir_output *out);
bool weir_out_gone(short revents);

/* Grows *buf (capacity *cap) by doubling until it holds need bytes;
 * contents kept.  Returns 0, or -1 when memory ran out (*buf unchanged). */
int weir_reserve(char **buf, size_t *cap, size_t need);

/* When fd is a pipe, gives it room for WEIR_PIPE_SIZE bytes (Linux's
 * F_SETPIPE_SZ; the default is 64 KiB): fewer and larger reads and writes
 * across it.  Anything else, or a refusal (above
 * /proc/sys/fs/pipe-max-size), leaves it as it was. */
#define WEIR_PIPE_SIZE ((size_t)1 << 20)
void weir_pipe_widen(int fd);

/* A growable byte string for building rows; owns p (free with
 * weir_buf_free).  The adders return 0, or -1 when memory runs out. */
struct weir_buf {
	char *p;
	size_t n, cap;
};

int weir_buf_add(struct weir_buf *b, const void *s, size_t n);
int weir_buf_str(struct weir_buf *b, const char *s);
int weir_buf_printf(struct weir_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON number: the shortest text that reads back as v; null when v is
 * not finite (JSON has no NaN or infinity). */
int weir_buf_double(struct weir_buf *b, double v);
void weir_buf_free(struct weir_buf *b);

/* A computed decimal rounded to 15 significant digits, for writing: short
 * in decimal stays short (0.1 + 0.2 is 0.3, as PostgreSQL's numeric gives),
 * and a long result needs no search for its shortest text.  Outside
 * [1e-4, 1e15) it is v. */
double weir_round15(double v);

/* The room buf needs for the two below: the text is at most 24 bytes and
 * a NUL, and they may write past its end, within this. */
#define WEIR_DOUBLE_ROOM 40

/* The shortest text that reads back as v; "null" when v is not finite.
 * Returns the length. */
size_t weir_format_double(double v, char *buf);

/* weir_format_double(weir_round15(v), buf), the same bytes, from the 15
 * digits the rounding finds (no search for the shortest form). */
size_t weir_format_double15(double v, char *buf);
int weir_buf_double15(struct weir_buf *b, double v);

/* Appends s as a JSON string (quotes and escapes) to buf; returns the new
 * length or -1 if cap would be exceeded. */
long weir_json_quote(char *buf, size_t cap, size_t len, const char *s, size_t n);

/* A member's key as it is written, `"name":` (escaped), newly allocated
 * and NUL terminated, its length in *len; NULL when memory ran out. */
char *weir_json_key(const char *name, size_t n, size_t *len);

/* Bytes that may not be UTF-8 (a Kafka key, a log line) as a JSON string:
 * valid UTF-8 as weir_json_quote writes it; otherwise every byte from 0x80
 * (and every control byte) as \u00XX, its Latin-1 reading.  Needs up to
 * 6 n + 2 bytes of room; returns the new length or -1. */
long weir_json_quote_bytes(char *buf, size_t cap, size_t len, const void *s, size_t n);

/* Is it well-formed UTF-8 (RFC 3629: no overlong form, no surrogate, nothing
 * past U+10FFFF), as the scanner wants it in a string? */
bool weir_utf8_valid(const void *s, size_t n);

#endif
