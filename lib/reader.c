/*
 * reader.c: the reader thread and its three batches, taken in turn.
 *
 *   batch state:  FREE ──(reader fills, splits)──► READY ──(main takes)──► TAKEN
 *                   ▲                                                       │
 *                   └───────────────────(main gives back)───────────────────┘
 *
 * The reader waits for a FREE batch on a condition variable; the main
 * thread learns of READY batches through a pipe it can poll(2) with its
 * timers.  A batch is READY once its lines are split; the reader then
 * scans its chunks, claimed one at a time against the taker
 * (weir_batch_scan_to), until the next batch is FREE to read into.  A
 * chunk's done flag is stored after its records and loaded before they are
 * read; a taker that must wait for a chunk sleeps on `scanned`, and the
 * flag and `waiting` are both sequentially consistent, so that either the
 * scanner sees the sleeper or the sleeper sees the flag.  To stop, the
 * main thread writes to a second pipe that the reader polls together with
 * its input before each read(2), so no thread is ever cancelled and no
 * lock is ever left held.
 *
 * A regular file is read(2) as a pipe is, not mapped: on the virtual
 * machines weir runs on, a page fault costs more than the copy a read makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "reader.h"

#define MIN_READ ((size_t)1 << 16)
/* A batch reads up to a quarter of a widened pipe (weir_pipe_widen) at
 * once: as fast as reading all of it, and its lines and records stay in
 * the caches of a small machine. */
#define READ_SIZE (WEIR_PIPE_SIZE / 4)

#define NBATCH 3

enum { FREE, READY, TAKEN };

struct weir_reader {
	int fd;
	size_t nslots;
	weir_scan_fn *fn;
	void *arg;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct weir_batch batch[NBATCH];
	unsigned next_take;
	bool stopping;
	atomic_bool waiting;	/* the taker sleeps on `scanned` for a chunk */
	pthread_cond_t scanned;
	int notify[2];		/* reader -> main: a batch is ready */
	int stop[2];		/* main -> reader: stop now */
	uint64_t lineno;
	char *carry;		/* the cut line, between two blocks */
	size_t carry_len, carry_cap;
};

/* Hands a filled batch to the main thread. */
static void
publish(struct weir_reader *r, struct weir_batch *b)
{
	pthread_mutex_lock(&r->lock);
	b->state = READY;
	pthread_mutex_unlock(&r->lock);
	ssize_t w;
	do
		w = write(r->notify[1], "b", 1);
	while (w < 0 && errno == EINTR);
}

static int
add_record(struct weir_reader *r, struct weir_batch *b, const char *line, size_t len)
{
	if (b->n == b->reccap) {
		size_t cap = b->reccap ? b->reccap * 2 : 4096;
		struct weir_scanned *recs = realloc(b->recs, cap * sizeof *recs);
		if (recs == NULL)
			return -1;
		b->recs = recs;
		struct weir_span *spans = realloc(b->spans, cap * (r->nslots + 1) * sizeof *spans);
		if (spans == NULL)
			return -1;
		b->spans = spans;
		b->reccap = cap;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (r->lineno == 0)
		weir_skip_bom(&line, &len);
	struct weir_scanned *rec = &b->recs[b->n];
	memset(rec, 0, sizeof *rec);
	rec->line = line;
	rec->len = len;
	rec->lineno = ++r->lineno;
	b->n++;
	return 0;
}

/* Scans chunk c of b, on whichever thread claimed it. */
static void
scan_chunk(struct weir_reader *r, struct weir_batch *b, size_t c)
{
	size_t end = (c + 1) * WEIR_CHUNK < b->n ? (c + 1) * WEIR_CHUNK : b->n;
	for (size_t i = c * WEIR_CHUNK; i < end; i++)
		r->fn(r->arg, &b->recs[i], &b->spans[i * r->nslots]);
	atomic_store(&b->done[c], 1);
	if (atomic_load(&r->waiting)) {
		pthread_mutex_lock(&r->lock);
		pthread_cond_broadcast(&r->scanned);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Claims and scans chunks of b until none is left unclaimed.  Returns
 * false when there was none. */
static bool
scan_some(struct weir_reader *r, struct weir_batch *b)
{
	size_t c = atomic_fetch_add_explicit(&b->claim, 1, memory_order_relaxed);
	if (c >= b->nchunks)
		return false;
	scan_chunk(r, b, c);
	return true;
}

static bool
is_free(struct weir_reader *r, const struct weir_batch *b)
{
	pthread_mutex_lock(&r->lock);
	bool free = b->state == FREE;
	pthread_mutex_unlock(&r->lock);
	return free;
}

/* Before a batch is published: its chunks unclaimed and not done. */
static int
chunks_reset(struct weir_batch *b)
{
	b->nchunks = (b->n + WEIR_CHUNK - 1) / WEIR_CHUNK;
	if (b->nchunks > b->donecap) {
		atomic_uchar *done = realloc(b->done, b->nchunks * sizeof *done);
		if (done == NULL)
			return -1;
		b->done = done;
		b->donecap = b->nchunks;
	}
	for (size_t c = 0; c < b->nchunks; c++)
		atomic_init(&b->done[c], 0);
	atomic_init(&b->claim, 0);
	b->ready = 0;
	return 0;
}

void
weir_batch_scan_to(struct weir_reader *r, struct weir_batch *b, size_t upto)
{
	if (upto > b->n)
		upto = b->n;
	while (b->ready < upto) {
		size_t c = b->ready / WEIR_CHUNK;
		if (atomic_load_explicit(&b->done[c], memory_order_acquire)) {
			b->ready = (c + 1) * WEIR_CHUNK < b->n ? (c + 1) * WEIR_CHUNK : b->n;
			continue;
		}
		if (scan_some(r, b))
			continue;	/* one the reader would have had to scan */
		/* the reader is scanning chunk c: a few microseconds, unless it
		 * lost its core */
		for (int spin = 0; spin < 4096; spin++) {
			if (atomic_load_explicit(&b->done[c], memory_order_acquire))
				break;
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
		if (atomic_load_explicit(&b->done[c], memory_order_acquire))
			continue;
		pthread_mutex_lock(&r->lock);
		atomic_store(&r->waiting, true);
		while (!atomic_load(&b->done[c]))
			pthread_cond_wait(&r->scanned, &r->lock);
		atomic_store(&r->waiting, false);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Reads until the batch holds a whole line, end of input or an error. */
static void
fill(struct weir_reader *r, struct weir_batch *b, size_t *filled)
{
	size_t n = *filled;
	for (;;) {
		if (b->cap - n < MIN_READ) {
			if (n > WEIR_MAX_LINE) {
				b->err = EFBIG;
				break;
			}
			if (weir_reserve(&b->buf, &b->cap, n + MIN_READ) < 0) {
				b->err = ENOMEM;
				break;
			}
		}
		struct pollfd pfd[2] = {{r->fd, POLLIN, 0}, {r->stop[0], POLLIN, 0}};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			b->err = errno;
			break;
		}
		if (pfd[1].revents) {
			b->err = ECANCELED;
			break;
		}
		ssize_t k = read(r->fd, b->buf + n, b->cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			b->err = errno;
			break;
		}
		if (k == 0) {
			b->eof = true;
			break;
		}
		size_t before = n;
		n += (size_t)k;
		if (memchr(b->buf + before, '\n', (size_t)k) != NULL)
			break;
	}
	*filled = n;
}

/* Makes records of the lines in buf[0..n), which ends with a newline or
 * is the last of the input. */
static int
split(struct weir_reader *r, struct weir_batch *b, const char *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		const char *nl = memchr(buf + at, '\n', n - at);
		size_t stop_at = nl ? (size_t)(nl - buf) : n;
		if (add_record(r, b, buf + at, stop_at - at) < 0)
			return -1;
		at = stop_at + 1;
	}
	return 0;
}

static void *
run(void *arg)
{
	struct weir_reader *r = arg;
	weir_pipe_widen(r->fd);
	for (unsigned k = 0;; k++) {
		struct weir_batch *b = &r->batch[k % NBATCH];
		pthread_mutex_lock(&r->lock);
		while (b->state != FREE && !r->stopping)
			pthread_cond_wait(&r->freed, &r->lock);
		bool stop = r->stopping;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			return NULL;

		b->n = 0;
		b->eof = false;
		b->err = 0;
		size_t filled = r->carry_len;
		size_t want = r->carry_len + MIN_READ;
		if (weir_reserve(&b->buf, &b->cap, want > READ_SIZE ? want : READ_SIZE) < 0) {
			b->err = ENOMEM;
		} else {
			if (r->carry_len)
				memcpy(b->buf, r->carry, r->carry_len);
			r->carry_len = 0;
			fill(r, b, &filled);
		}
		/* complete lines: up to the last newline, or everything at the end */
		size_t complete = filled;
		if (!b->eof) {
			char *nl = filled ? memrchr(b->buf, '\n', filled) : NULL;
			complete = nl ? (size_t)(nl - b->buf) + 1 : 0;
		}
		if (b->err != ENOMEM && split(r, b, b->buf, complete) < 0)
			b->err = ENOMEM;
		if (chunks_reset(b) < 0) {
			b->n = 0;	/* lines no thread could scan */
			b->err = ENOMEM;
		}
		if (!b->eof && !b->err && filled > complete) {
			if (weir_reserve(&r->carry, &r->carry_cap, filled - complete) < 0)
				b->err = ENOMEM;
			else {
				memcpy(r->carry, b->buf + complete, filled - complete);
				r->carry_len = filled - complete;
			}
		}
		bool last = b->eof || b->err;
		publish(r, b);
		/* reading the next block comes first: the taker scans what is
		 * left of this one */
		struct weir_batch *next = &r->batch[(k + 1) % NBATCH];
		while ((last || !is_free(r, next)) && scan_some(r, b))
			;
		if (last)
			return NULL;
	}
}

struct weir_reader *
weir_reader_start(int fd, size_t nslots, weir_scan_fn *fn, void *arg)
{
	struct weir_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->nslots = nslots;
	r->fn = fn;
	r->arg = arg;
	r->notify[0] = r->notify[1] = r->stop[0] = r->stop[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->freed, NULL);
	pthread_cond_init(&r->scanned, NULL);
	if (pipe2(r->notify, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(r->stop, O_CLOEXEC) < 0)
		goto fail;
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	int rc = pthread_create(&r->thread, NULL, run, r);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	r->started = true;
	return r;
fail:
	weir_reader_stop(r);
	return NULL;
}

int
weir_reader_fd(const struct weir_reader *r)
{
	return r->notify[0];
}

int
weir_reader_take(struct weir_reader *r, struct weir_batch **out)
{
	char drain[64];
	while (read(r->notify[0], drain, sizeof drain) > 0)
		;
	struct weir_batch *b = &r->batch[r->next_take % NBATCH];
	pthread_mutex_lock(&r->lock);
	int state = b->state;
	if (state == READY)
		b->state = TAKEN;
	pthread_mutex_unlock(&r->lock);
	if (state != READY)
		return 0;
	r->next_take++;
	*out = b;
	return 1;
}

void
weir_reader_give_back(struct weir_reader *r, struct weir_batch *b)
{
	pthread_mutex_lock(&r->lock);
	b->state = FREE;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->lock);
}

void
weir_reader_stop(struct weir_reader *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->lock);
		r->stopping = true;
		pthread_cond_broadcast(&r->freed);
		pthread_mutex_unlock(&r->lock);
		ssize_t w;
		do	/* wakes it from its poll before read */
			w = write(r->stop[1], "s", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(r->thread, NULL);
	}
	for (int i = 0; i < NBATCH; i++) {
		free(r->batch[i].buf);
		free(r->batch[i].recs);
		free(r->batch[i].spans);
		free(r->batch[i].done);
	}
	free(r->carry);
	if (r->notify[0] >= 0)
		close(r->notify[0]);
	if (r->notify[1] >= 0)
		close(r->notify[1]);
	for (int i = 0; i < 2; i++)
		if (r->stop[i] >= 0)
			close(r->stop[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->freed);
	pthread_cond_destroy(&r->scanned);
	free(r);
}
