/* Unit tests for lib/io: line splitting, CSV to JSON, the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/fields.h"
#include "../../lib/io.h"

/* Writes text to a temporary file and returns its path (static buffer). */
static const char *
temp_file(const char *text, size_t n)
{
	static char path[64];
	strcpy(path, "/tmp/weir-test-io-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Reads every line of an input, a rejected one behind '!', joined by '|'. */
static char *
read_marked(struct weir_input *in)
{
	size_t cap = 1 << 16, len = 0;
	char *acc = calloc(cap, 1);
	for (;;) {
		const char *line;
		size_t n;
		uint64_t lineno;
		while (weir_input_line(in, &line, &n, &lineno) == 1) {
			while (len + n + 3 > cap)
				acc = realloc(acc, cap *= 2);
			if (weir_input_rejected(in))
				acc[len++] = '!';
			memcpy(acc + len, line, n);
			len += n;
			acc[len++] = '|';
			acc[len] = '\0';
		}
		if (weir_input_eof(in))
			break;
		assert_true(weir_input_fill(in) >= 0);
	}
	weir_input_close(in);
	return acc;
}

/* Reads every line of a file into one string joined by '|'. */
static char *
read_all(const char *path, bool csv)
{
	struct weir_input *in = weir_input_open(path, csv);
	assert_non_null(in);
	return read_marked(in);
}

static void
splits_lines_crlf_and_a_last_line_without_newline(void **state)
{
	(void)state;
	const char *text = "a\nbb\r\n\nccc";
	const char *path = temp_file(text, strlen(text));
	char *got = read_all(path, false);
	assert_string_equal(got, "a|bb||ccc|");
	free(got);
	unlink(path);
}

static void
a_line_longer_than_the_read_block(void **state)
{
	(void)state;
	size_t n = 10 * 1024 * 1024;
	char *text = malloc(n + 4);
	memset(text, 'x', n);
	memcpy(text + n, "\ny\n", 3);
	const char *path = temp_file(text, n + 3);
	char *got = read_all(path, false);
	assert_int_equal(strlen(got), n + 3);
	assert_memory_equal(got + n, "|y|", 3);
	free(got);
	free(text);
	unlink(path);
}

static void
line_numbers_count_from_one(void **state)
{
	(void)state;
	const char *path = temp_file("a\nb\n", 4);
	struct weir_input *in = weir_input_open(path, false);
	const char *line;
	size_t n;
	uint64_t lineno = 0;
	assert_true(weir_input_fill(in) > 0);
	assert_int_equal(weir_input_line(in, &line, &n, &lineno), 1);
	assert_int_equal(lineno, 1);
	assert_int_equal(weir_input_line(in, &line, &n, &lineno), 1);
	assert_int_equal(lineno, 2);
	assert_string_equal(weir_input_name(in), path);
	weir_input_close(in);
	unlink(path);
}

static void
missing_file_sets_errno(void **state)
{
	(void)state;
	errno = 0;
	assert_null(weir_input_open("/nonexistent/weir", false));
	assert_int_equal(errno, ENOENT);
}

static void
csv_becomes_json_with_numbers_and_strings(void **state)
{
	(void)state;
	const char *text = "ts,host,n,note\n1795428005,web-1,1.10,\"a, \"\"b\"\"\"\n"
	    "1795428006,007,-2,\"multi\nline\"\n1795428007,x\n";
	const char *path = temp_file(text, strlen(text));
	char *got = read_all(path, true);
	assert_string_equal(got,
	    "{\"ts\":1795428005,\"host\":\"web-1\",\"n\":1.10,\"note\":\"a, \\\"b\\\"\"}|"
	    "{\"ts\":1795428006,\"host\":\"007\",\"n\":-2,\"note\":\"multi\\nline\"}|"
	    "{\"ts\":1795428007,\"host\":\"x\"}|");
	free(got);
	unlink(path);
}

/* A stray quote costs its line, an open quote at the end its line; the
 * records after either are read as records, in their places. */
static const char strict_csv[] =
    "ts,name\n1,a\n2,\"6\" screen\n3,b\" c\n4,\"multi\nline\"\n"
    "5,\"open\n6,d\n7,\"q\"\"uote\"\n8,e";
static const char strict_expect[] =
    "{\"ts\":1,\"name\":\"a\"}|!2,\"6\" screen|!3,b\" c|"
    "{\"ts\":4,\"name\":\"multi\\nline\"}|!5,\"open|{\"ts\":6,\"name\":\"d\"}|"
    "{\"ts\":7,\"name\":\"q\\\"uote\"}|{\"ts\":8,\"name\":\"e\"}|";

static void
csv_malformed_records_are_rejected_lines_and_the_rest_read(void **state)
{
	(void)state;
	const char *path = temp_file(strict_csv, strlen(strict_csv));
	char *got = read_marked(weir_input_open(path, true));
	assert_string_equal(got, strict_expect);
	free(got);
	unlink(path);
	const char *open_at_end = "ts,name\n1,\"never closed\n2,x\n3,y\n";
	path = temp_file(open_at_end, strlen(open_at_end));
	got = read_marked(weir_input_open(path, true));
	assert_string_equal(got, "!1,\"never closed|{\"ts\":2,\"name\":\"x\"}|"
	    "{\"ts\":3,\"name\":\"y\"}|");
	free(got);
	unlink(path);
}

/* Reads text arriving a byte at a time through a pipe (so that every
 * read ends somewhere new), as CSV, JSON text or lines; every line joined. */
static char *
read_a_byte_at_a_time(const char *text, size_t n, bool csv, bool json)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t i = 0; i < n; i++) {
			if (write(fds[1], text + i, 1) != 1)
				_exit(1);
			usleep(100);
		}
		_exit(0);
	}
	close(fds[1]);
	char path[32];
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	struct weir_input *in = weir_input_open(path, csv);
	assert_non_null(in);
	if (json)
		weir_input_set_json(in);
	char *got = read_marked(in);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	return got;
}

/* The same, arriving a byte at a time through a pipe. */
static void
csv_malformed_records_the_same_a_byte_at_a_time(void **state)
{
	(void)state;
	char *got = read_a_byte_at_a_time(strict_csv, sizeof strict_csv - 1, true, false);
	assert_string_equal(got, strict_expect);
	free(got);
}

/* JSON text (-i json-text): values spread over lines, an array's members,
 * objects run together; whole, and a byte at a time through a pipe (the
 * scan resumes where each read ends). */
static const char json_text[] =
    "\xef\xbb\xbf[\n {\"a\": \"x  }\\\"{\",\n  \"b\": [1, 2]},\n 7 ,\n {\"c\":1.10}\n]\n"
    "{\"d\":1}{\"e\":2} {\"f\":3}\r\nno json here\n\n  {\"g\":\n\t\"h i\"\n}\n{\"cut\":";
static const char json_expect[] =
    "{\"a\":\"x  }\\\"{\",\"b\":[1,2]}|7|{\"c\":1.10}|{\"d\":1}|{\"e\":2}|{\"f\":3}|"
    "no json here|{\"g\":\"h i\"}|{\"cut\":|";

static char *
read_json(const char *path)
{
	struct weir_input *in = weir_input_open(path, false);
	assert_non_null(in);
	weir_input_set_json(in);
	return read_marked(in);
}

static void
json_text_splits_into_values(void **state)
{
	(void)state;
	const char *path = temp_file(json_text, sizeof json_text - 1);
	char *got = read_json(path);
	assert_string_equal(got, json_expect);
	free(got);
	/* line numbers: where each value starts */
	struct weir_input *in = weir_input_open(path, false);
	weir_input_set_json(in);
	uint64_t want[] = {2, 4, 5, 7, 7, 7, 8, 10, 13}, lineno;
	const char *line;
	size_t n, k = 0;
	while (!weir_input_eof(in) || k < 9) {
		while (weir_input_line(in, &line, &n, &lineno) == 1) {
			assert_true(k < 9);
			assert_int_equal(lineno, want[k++]);
		}
		if (weir_input_eof(in))
			break;
		assert_true(weir_input_fill(in) >= 0);
	}
	assert_int_equal(k, 9);
	weir_input_close(in);
	unlink(path);
}

static void
json_text_the_same_a_byte_at_a_time(void **state)
{
	(void)state;
	char *got = read_a_byte_at_a_time(json_text, sizeof json_text - 1, false, true);
	assert_string_equal(got, json_expect);
	free(got);
}

/* The writer, into a pipe read back here. */
struct pipe_out {
	int fds[2];
	struct weir_output *out;
};

static void
open_pipe(struct pipe_out *p, bool csv, bool unbuffered)
{
	assert_int_equal(pipe(p->fds), 0);
	p->out = weir_output_new(p->fds[1], csv, unbuffered);
}

static char *
close_pipe(struct pipe_out *p)
{
	assert_int_equal(weir_out_flush(p->out), 0);
	weir_output_free(p->out);
	close(p->fds[1]);
	static char buf[4096];
	ssize_t n = read(p->fds[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p->fds[0]);
	return buf;
}

static void
insert_before_the_closing_brace(void **state)
{
	(void)state;
	struct pipe_out p;
	open_pipe(&p, false, false);
	const char *l1 = "{\"a\":1.10 , \"b\":[1]}  ";
	assert_int_equal(weir_out_line_insert(p.out, l1, strlen(l1), "\"w\":2", 5), 0);
	assert_int_equal(weir_out_line_insert(p.out, "{ }", 3, "\"w\":2", 5), 0);
	assert_int_equal(weir_out_line(p.out, "{\"x\":1}", 7), 0);
	assert_string_equal(close_pipe(&p),
	    "{\"a\":1.10 , \"b\":[1],\"w\":2}  \n{ \"w\":2}\n{\"x\":1}\n");
}

/* An insert into the writer's buffer with a few bytes more or less room
 * than it needs (it fills the buffer in place, or goes the slower way)
 * gives the bytes of a plain concatenation. */
static void
inserts_at_the_end_of_the_buffer(void **state)
{
	(void)state;
	static const char *const lines[] = {"{\"a\":1}", "{\"a\":\"x\"  }  ", "{ }"};
	static const char *const adds[] = {"\"m\":2", "\"m\":\"a longer member\""};
	char path[] = "/tmp/weir-test-io-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct weir_output *out = weir_output_new(fd, false, false);
	size_t n = 0;
	char *want = malloc(44 * WEIR_OUT_CAP), *filler = malloc(WEIR_OUT_CAP);
	for (size_t l = 0; l < 3; l++)
		for (size_t a = 0; a < 2; a++) {
			const char *line = lines[l], *add = adds[a];
			size_t len = strlen(line), mlen = strlen(add);
			size_t brace = (size_t)(strrchr(line, '}') - line);
			bool empty = l == 2;
			size_t need = len + mlen + 2 - empty;
			for (size_t room = need - 3; room <= need + 3; room++) {
				/* a filler line leaves `room` bytes of the buffer */
				assert_int_equal(weir_out_flush(out), 0);
				size_t fl = WEIR_OUT_CAP - room - 1;
				memset(filler, 'x', fl);
				memcpy(filler, "{\"f\":\"", 6);
				memcpy(filler + fl - 2, "\"}", 2);
				assert_int_equal(weir_out_line(out, filler, fl), 0);
				memcpy(want + n, filler, fl);
				n += fl;
				want[n++] = '\n';
				assert_int_equal(weir_out_line_insert(out, line, len, add, mlen), 0);
				memcpy(want + n, line, brace);
				n += brace;
				if (!empty)
					want[n++] = ',';
				memcpy(want + n, add, mlen);
				n += mlen;
				memcpy(want + n, line + brace, len - brace);
				n += len - brace;
				want[n++] = '\n';
			}
		}
	assert_int_equal(weir_out_flush(out), 0);
	weir_output_free(out);
	char *got = malloc(n + 1);
	assert_int_equal(pread(fd, got, n + 1, 0), (ssize_t)n);
	assert_memory_equal(got, want, n);
	close(fd);
	unlink(path);
	free(got);
	free(want);
	free(filler);
}

static void
csv_output_with_header_blocks(void **state)
{
	(void)state;
	struct pipe_out p;
	open_pipe(&p, true, false);
	const char *a = "{\"k\":\"a,b\",\"n\":1.10,\"z\":null,\"o\":{\"x\":1}}";
	const char *b = "{\"k\":\"say \\\"hi\\\"\",\"n\":2,\"z\":true,\"o\":[]}";
	const char *c = "{\"other\":1}";
	assert_int_equal(weir_out_line(p.out, a, strlen(a)), 0);
	assert_int_equal(weir_out_line(p.out, b, strlen(b)), 0);
	assert_int_equal(weir_out_protocol(p.out, "{\"_watermark\":1}", 16), 0);
	assert_int_equal(weir_out_line(p.out, c, strlen(c)), 0);
	assert_string_equal(close_pipe(&p),
	    "k,n,z,o\n\"a,b\",1.10,,\"{\"\"x\"\":1}\"\n\"say \"\"hi\"\"\",2,true,[]\n"
	    "\nother\n1\n");
}

static void
closed_pipe_is_reported_as_epipe(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	struct weir_output *out = weir_output_new(fds[1], false, true);
	assert_int_equal(weir_out_line(out, "{}", 2), WEIR_IO_EPIPE);
	weir_output_free(out);
	close(fds[1]);
}

/* A pipe an output writes to holds a megabyte (where the system allows
 * it: /proc/sys/fs/pipe-max-size, 1 MiB unless lowered); a file is left
 * alone. */
static void
outputs_widen_their_pipes(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_true(fcntl(fds[1], F_GETPIPE_SZ) < (int)WEIR_PIPE_SIZE);
	struct weir_output *out = weir_output_new(fds[1], false, false);
	FILE *max = fopen("/proc/sys/fs/pipe-max-size", "r");
	long limit = 0;
	if (max != NULL && fscanf(max, "%ld", &limit) != 1)
		limit = 0;
	if (max != NULL)
		fclose(max);
	if (limit >= (long)WEIR_PIPE_SIZE || geteuid() == 0)
		assert_true(fcntl(fds[0], F_GETPIPE_SZ) >= (int)WEIR_PIPE_SIZE);
	weir_output_free(out);
	close(fds[0]);
	close(fds[1]);
	char path[] = "/tmp/weir-widen-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	weir_pipe_widen(fd);	/* not a pipe: nothing happens */
	assert_int_equal(fcntl(fd, F_GETPIPE_SZ), -1);
	close(fd);
	unlink(path);
}

/* weir_input_next reads as it needs: every line of a file bigger than one
 * read, the last without its newline, then 0. */
static void
next_reads_a_file_line_by_line_to_its_end(void **state)
{
	(void)state;
	char path[] = "/tmp/weir-next-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < 50000; i++)
		fprintf(f, "{\"i\":%d}\n", i);
	fputs("last", f);
	fclose(f);
	struct weir_input *in = weir_input_open(path, false);
	assert_non_null(in);
	const char *line;
	size_t len;
	uint64_t lineno;
	char want[32];
	for (int i = 0; i < 50000; i++) {
		assert_int_equal(weir_input_next(in, &line, &len, &lineno), 1);
		snprintf(want, sizeof want, "{\"i\":%d}", i);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(line, want, len);
		assert_int_equal(lineno, (uint64_t)i + 1);
	}
	assert_int_equal(weir_input_next(in, &line, &len, &lineno), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(line, "last", 4);
	assert_int_equal(weir_input_next(in, &line, &len, &lineno), 0);
	weir_input_close(in);
	unlink(path);
}

static void
json_quote_escapes(void **state)
{
	(void)state;
	char buf[64];
	long n = weir_json_quote(buf, sizeof buf, 0, "a\"\\\n\x01", 5);
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "\"a\\\"\\\\\\n\\u0001\"", 15);
	assert_int_equal(weir_json_quote(buf, 4, 0, "abcdef", 6), -1);
}

static void
doubles_are_written_shortest_and_read_back(void **state)
{
	(void)state;
	const double values[] = {0.1, 418.90483870967745, 1e308, 5e-324, -2.5, 1e21, 123456789012,
	    0.30000000000000004, 2.2250738585072014e-308};
	char buf[32];
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		weir_format_double(values[i], buf);
		assert_true(strtod(buf, NULL) == values[i]);
		assert_true(weir_is_json_number(buf, strlen(buf)));
	}
	weir_format_double(0.1, buf);
	assert_string_equal(buf, "0.1");
	weir_format_double(5e-324, buf);
	assert_string_equal(buf, "5e-324");
	weir_format_double(-0.0, buf);
	assert_string_equal(buf, "0");
	/* JSON has no NaN or infinity */
	weir_format_double(NAN, buf);
	assert_string_equal(buf, "null");
	weir_format_double(-INFINITY, buf);
	assert_string_equal(buf, "null");
}

/* weir_format_double15 writes what rounding to 15 digits and writing the
 * shortest form write: over values of every magnitude (some of them short
 * decimals, sums of them, and neighbours of powers of ten), seeded. */
static void
doubles_rounded_to_15_digits_are_written_as_the_long_way_writes(void **state)
{
	(void)state;
	/* exactly the room asked: ASan sees a write past it */
	char fast[WEIR_DOUBLE_ROOM], slow[WEIR_DOUBLE_ROOM];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v;
		int e = (int)(x % 44) - 22;
		switch (i % 5) {
		case 0:		/* any mantissa, any magnitude */
			v = ((double)(x >> 11) / 9007199254740992.0) * pow(10, e);
			break;
		case 1:		/* a short decimal */
			v = (double)(x % 100000) / pow(10, (double)((x >> 40) % 9));
			break;
		case 2:		/* a sum of short decimals: 0.1 + 0.2 */
			v = (double)(x % 1000) / 10 + (double)((x >> 20) % 1000) / 100;
			break;
		case 3:		/* next to a power of ten */
			v = nextafter(pow(10, e), (x & 1) ? INFINITY : 0);
			break;
		default:	/* an integer */
			v = (double)(int64_t)(x >> (x % 40));
			break;
		}
		if (x & 2)
			v = -v;
		weir_format_double15(v, fast);
		weir_format_double(weir_round15(v), slow);
		if (strcmp(fast, slow) != 0)
			fail_msg("%.17g: %s, the long way %s", v, fast, slow);
	}
	/* every power of ten in the fast range, and its neighbours: a few
	 * doubles away, and a little over 1e-13 away either side */
	for (int e = -5; e <= 15; e++) {
		double p = pow(10, e);
		double near[] = {p * (1 + 1.1e-13), p * (1 - 1.1e-13), p * (1 + 3e-13), p};
		for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
			double v = near[i];
			for (int step = 0; step < 4; step++) {
				v = nextafter(v, step < 2 ? 0 : INFINITY);
				weir_format_double15(v, fast);
				weir_format_double(weir_round15(v), slow);
				if (strcmp(fast, slow) != 0)
					fail_msg("%.17g: %s, the long way %s", v, fast, slow);
			}
		}
	}
	weir_format_double15(0.1 + 0.2, fast);
	assert_string_equal(fast, "0.3");
	weir_format_double15(226.73482938472911, fast);
	assert_string_equal(fast, "226.734829384729");
	weir_format_double15(NAN, fast);
	assert_string_equal(fast, "null");
	/* the digits' two halves: zeros trailing in one, in both, none */
	static const struct {
		double v;
		const char *text;
	} edges[] = {
		{0.0001, "0.0001"}, {-0.00015, "-0.00015"}, {0.000123456789012345, "0.000123456789012345"},
		{12345678.9, "12345678.9"}, {-423.9, "-423.9"}, {100000000, "100000000"},
		{999999999999999, "999999999999999"}, {123456789012345.6, "123456789012346"},
		{0.99999999999999995, "1"}, {1e14, "100000000000000"}, {-0.5, "-0.5"},
		{1234567.000000001, "1234567"}, {98765.4321098765, "98765.4321098765"},
	};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		size_t n = weir_format_double15(edges[i].v, fast);
		assert_string_equal(fast, edges[i].text);
		assert_int_equal(n, strlen(edges[i].text));
	}
}

static void
growable_strings_grow(void **state)
{
	(void)state;
	struct weir_buf b = {0};
	for (int i = 0; i < 10000; i++)
		assert_int_equal(weir_buf_printf(&b, "%d,", i % 10), 0);
	assert_int_equal(b.n, 20000);
	assert_int_equal(weir_buf_str(&b, "x"), 0);
	assert_int_equal(weir_buf_double(&b, 1.5), 0);
	assert_string_equal(b.p + 20000, "x1.5");
	weir_buf_free(&b);
	weir_buf_free(&b);	/* twice is harmless */
}

/* Bytes that are UTF-8 are quoted as text; any others byte by byte, each
 * from 0x80 (and each control byte) as \u00XX. */
static void
bytes_that_are_not_utf8_quote_as_latin1(void **state)
{
	(void)state;
	char buf[64];
	long n = weir_json_quote_bytes(buf, sizeof buf, 0, "caf\xc3\xa9\n", 6);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "\"caf\xc3\xa9\\n\"", 9);
	n = weir_json_quote_bytes(buf, sizeof buf, 0, "\xff\"a\x01\xc0\xaf", 6);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "\"\\u00ff\\\"a\\u0001\\u00c0\\u00af\"");
	assert_int_equal(weir_json_quote_bytes(buf, 8, 0, "\xff\xff", 2), -1);	/* no room */
	assert_true(weir_utf8_valid("\xe2\x82\xac \xf0\x9f\x98\x80", 8));
	assert_false(weir_utf8_valid("\xe2\x82", 2));	/* cut short */
	assert_false(weir_utf8_valid("\xc1\x81", 2));	/* overlong */
}

/* UTF-8 as RFC 3629 has it, which is what the scanner accepts in a string:
 * a text weir_utf8_valid passes is written into JSON as it is. */
static void
utf8_is_checked_as_rfc_3629_says(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool valid;
	} cases[] = {
		{"caf\xc3\xa9", true}, {"\xe2\x82\xac", true}, {"\xf0\x9f\x98\x80", true},
		{"\xf4\x8f\xbf\xbf", true},		/* U+10FFFF */
		{"\xf4\x90\x80\x80", false},	/* past U+10FFFF */
		{"\xf6\x93\x9a\x86", false},	/* lead byte past F4 */
		{"\xed\xa0\x80", false},		/* a surrogate */
		{"\xe0\x80\xaf", false},		/* overlong three bytes */
		{"\xf0\x80\x80\xaf", false},	/* overlong four bytes */
		{"\xc0\xaf", false}, {"\xc3", false}, {"\xff", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(weir_utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].valid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_text_splits_into_values),
		cmocka_unit_test(json_text_the_same_a_byte_at_a_time),
		cmocka_unit_test(bytes_that_are_not_utf8_quote_as_latin1),
		cmocka_unit_test(splits_lines_crlf_and_a_last_line_without_newline),
		cmocka_unit_test(a_line_longer_than_the_read_block),
		cmocka_unit_test(line_numbers_count_from_one),
		cmocka_unit_test(missing_file_sets_errno),
		cmocka_unit_test(csv_becomes_json_with_numbers_and_strings),
		cmocka_unit_test(csv_malformed_records_are_rejected_lines_and_the_rest_read),
		cmocka_unit_test(csv_malformed_records_the_same_a_byte_at_a_time),
		cmocka_unit_test(insert_before_the_closing_brace),
		cmocka_unit_test(inserts_at_the_end_of_the_buffer),
		cmocka_unit_test(csv_output_with_header_blocks),
		cmocka_unit_test(closed_pipe_is_reported_as_epipe),
		cmocka_unit_test(outputs_widen_their_pipes),
		cmocka_unit_test(next_reads_a_file_line_by_line_to_its_end),
		cmocka_unit_test(json_quote_escapes),
		cmocka_unit_test(doubles_are_written_shortest_and_read_back),
		cmocka_unit_test(doubles_rounded_to_15_digits_are_written_as_the_long_way_writes),
		cmocka_unit_test(growable_strings_grow),
		cmocka_unit_test(utf8_is_checked_as_rfc_3629_says),
	};
	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
