/* Unit tests for lib/reader: the reader thread and its batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "../../lib/io.h"
#include "../../lib/reader.h"

static atomic_size_t scans_total;

/* The scan function of the tests: records the length as the "time" and
 * counts its calls, per record (aux) and in all. */
static void
scan_len(void *arg, struct weir_scanned *rec, struct weir_span *spans)
{
	(void)arg;
	rec->t = (int64_t)rec->len;
	rec->aux++;
	spans[0].p = rec->line;
	spans[0].n = rec->len;
	atomic_fetch_add(&scans_total, 1);
}

/* The next batch in order, waiting on the reader's descriptor for it. */
static struct weir_batch *
take(struct weir_reader *r)
{
	struct weir_batch *b;
	while (weir_reader_take(r, &b) == 0) {
		struct pollfd p = {weir_reader_fd(r), POLLIN, 0};
		poll(&p, 1, 1000);
	}
	return b;
}

/* Reads everything from fd through a reader; returns lines joined by '|'. */
static char *
drain(int fd, size_t *nlines)
{
	struct weir_reader *r = weir_reader_start(fd, 1, scan_len, NULL);
	assert_non_null(r);
	size_t cap = 1 << 16, len = 0;
	char *acc = calloc(cap, 1);
	*nlines = 0;
	uint64_t expect_lineno = 1;
	for (;;) {
		struct weir_batch *b = take(r);
		for (size_t i = 0; i < b->n; i++) {
			weir_batch_scanned(r, b, i + 1);
			const struct weir_scanned *rec = &b->recs[i];
			assert_int_equal(rec->lineno, expect_lineno++);
			assert_int_equal(rec->t, (int64_t)rec->len);
			assert_int_equal(rec->aux, 1);	/* scanned once, before it is read */
			assert_ptr_equal(b->spans[i].p, rec->line);
			while (len + rec->len + 2 > cap)
				acc = realloc(acc, cap *= 2);
			memcpy(acc + len, rec->line, rec->len);
			len += rec->len;
			acc[len++] = '|';
			acc[len] = '\0';
			(*nlines)++;
		}
		bool last = b->eof || b->err;
		assert_int_equal(b->err, 0);
		weir_reader_give_back(r, b);
		if (last)
			break;
	}
	weir_reader_stop(r);
	return acc;
}

static int
file_with(const char *text, size_t n)
{
	char path[] = "/tmp/weir-test-reader-XXXXXX";
	int fd = mkstemp(path);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	return fd;
}

static void
lines_crlf_and_a_last_line_without_newline(void **state)
{
	(void)state;
	const char *text = "a\nbb\r\n\nccc";
	int fd = file_with(text, strlen(text));
	size_t n;
	char *got = drain(fd, &n);
	assert_string_equal(got, "a|bb||ccc|");
	assert_int_equal(n, 4);
	free(got);
	close(fd);
}

/* Reads text[0..n) (lines of it, each ending with a newline) from a file
 * through a reader and checks that every line comes back as it was; frees
 * text. */
static void
reads_back(char *text, size_t n, size_t lines)
{
	int fd = file_with(text, n);
	size_t got_lines;
	char *got = drain(fd, &got_lines);
	assert_int_equal(got_lines, lines);
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\n')
			text[i] = '|';
	assert_memory_equal(got, text, n);
	free(got);
	free(text);
	close(fd);
}

static void
lines_cut_by_block_ends_and_longer_than_a_block(void **state)
{
	(void)state;
	/* 3 MB of lines of many lengths, and one of 5 MB */
	size_t cap = 9 << 20, n = 0, lines = 0;
	char *text = malloc(cap);
	for (size_t k = 0; n < (3u << 20); k++, lines++) {
		size_t len = (k * 7919) % 3000;
		memset(text + n, 'a' + (int)(k % 26), len);
		n += len;
		text[n++] = '\n';
	}
	memset(text + n, 'z', 5u << 20);
	n += 5u << 20;
	text[n++] = '\n';
	lines++;
	reads_back(text, n, lines);
}

/* Many batches of short lines, whose scan the two threads share: each
 * line is scanned exactly once, and before the taker reads it. */
static void
every_line_scanned_once_by_one_of_the_threads(void **state)
{
	(void)state;
	size_t lines = 300000, n = 0;
	char *text = malloc(lines * 40);
	for (size_t k = 0; k < lines; k++)
		n += (size_t)sprintf(text + n, "{\"k\":%zu,\"pad\":\"%.*s\"}\n", k,
		    (int)(k % 17), "abcdefghijklmnopq");
	atomic_store(&scans_total, 0);
	reads_back(text, n, lines);
	assert_int_equal(atomic_load(&scans_total), lines);
}

static pthread_t taker;

/* scan_len, slow on the reader thread at the start of each chunk, so that
 * the taker comes to chunks the reader has claimed and not finished. */
static void
scan_slow_on_reader(void *arg, struct weir_scanned *rec, struct weir_span *spans)
{
	if (!pthread_equal(pthread_self(), taker) && (rec->lineno - 1) % WEIR_CHUNK == 0) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	scan_len(arg, rec, spans);
}

/* The taker holds all three batches, so that the reader, with none to read
 * into, scans the last one while the taker does: the taker then waits for
 * the chunks the reader is still scanning, and must be woken as each is
 * done (a lost wake-up hangs here). */
static void
the_taker_waits_for_chunks_the_reader_scans(void **state)
{
	(void)state;
	size_t lines = 65536, n = 0;
	char *text = malloc(lines * 64);
	for (size_t k = 0; k < lines; k++)
		n += (size_t)sprintf(text + n, "%060zu\n", k);
	int fd = file_with(text, n);
	taker = pthread_self();
	atomic_store(&scans_total, 0);
	struct weir_reader *r = weir_reader_start(fd, 1, scan_slow_on_reader, NULL);
	assert_non_null(r);
	size_t got = 0;
	for (bool last = false; !last;) {
		struct weir_batch *held[3];
		int nheld = 0;
		while (nheld < 3 && !last) {
			held[nheld] = take(r);
			last = held[nheld]->eof || held[nheld]->err;
			nheld++;
		}
		for (int h = 0; h < nheld; h++) {
			struct weir_batch *b = held[h];
			for (size_t i = 0; i < b->n; i++, got++) {
				weir_batch_scanned(r, b, i + 1);
				assert_int_equal(b->recs[i].aux, 1);
				assert_int_equal(b->recs[i].lineno, got + 1);
				assert_int_equal(b->recs[i].len, 60);
			}
			weir_reader_give_back(r, b);
		}
	}
	weir_reader_stop(r);
	assert_int_equal(got, lines);
	assert_int_equal(atomic_load(&scans_total), lines);
	free(text);
	close(fd);
}

static void
empty_input(void **state)
{
	(void)state;
	int fd = file_with("", 0);
	size_t n;
	char *got = drain(fd, &n);
	assert_int_equal(n, 0);
	free(got);
	close(fd);
}

static void
stops_while_blocked_on_a_pipe(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x\n", 2), 2);
	struct weir_reader *r = weir_reader_start(fds[0], 1, scan_len, NULL);
	struct weir_batch *b = take(r);
	assert_int_equal(b->n, 1);
	weir_reader_give_back(r, b);
	/* the reader is now blocked in read(2) on the empty pipe */
	weir_reader_stop(r);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_crlf_and_a_last_line_without_newline),
		cmocka_unit_test(lines_cut_by_block_ends_and_longer_than_a_block),
		cmocka_unit_test(every_line_scanned_once_by_one_of_the_threads),
		cmocka_unit_test(the_taker_waits_for_chunks_the_reader_scans),
		cmocka_unit_test(empty_input),
		cmocka_unit_test(stops_while_blocked_on_a_pipe),
	};
	return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
