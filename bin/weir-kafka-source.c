/*
 * weir-kafka-source: reads a consumer group's partitions as NDJSON, with
 * per-partition watermarks (SPEC §8).
 *
 *   topic p0 ──► queue ──┐
 *   topic p1 ──► queue ──┼──► the earliest head goes out ──► payload bytes
 *   topic p2 ──► queue ──┘    (a k-way merge on event time)
 *
 * Partitions are merged as weir-replay merges files: the message that goes
 * out next is the earliest at the head of the partitions' queues, and it
 * waits while a partition that is not caught up has nothing queued.  So
 * the output is in event-time order up to each partition's own disorder,
 * and a program downstream needs no --lag for skew between partitions,
 * while they have messages waiting: one caught up to its end does not hold
 * the output back (only the watermark), and what is produced to it later
 * may be older than what went out since (weir-kafka-source(1)).  A
 * partition that runs ahead is paused (its queue is bounded) until the
 * others catch up: backpressure through the brokers.
 *
 * Each message's payload is written byte for byte (--envelope adds a
 * "kafka" member before the closing brace).  The watermark is the minimum
 * over partitions of the largest event time written from each, less --lag.  A
 * partition that has been caught up to its end for --idle stops holding
 * the watermark back, as in Flink's Kafka source, and counts again with
 * its next message.  When every assigned partition is idle the source is
 * silent, and its watermark keeps pace with the wall clock from its last
 * message (SPEC §2 --idle).
 *
 * Offsets.  Without --state, the offset after each message written is
 * committed once the bytes have left for stdout (every second, at a
 * revoke, at exit): at least once.  With --state, a checkpoint barrier
 * goes out every --checkpoint-every and each partition remembers where
 * it was at each barrier; the group's offsets move only to a checkpoint
 * that the whole pipeline completed (the ledger of lib/state.h: every
 * state file in the directory has it), so a restart of the pipeline, or
 * another member taking a partition over, never skips what a crash lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

#include "../lib/driver.h"
#include "../lib/kafka.h"
#include "../lib/program.h"
#include "../lib/props.h"
#include "../lib/source.h"

#define MAX_PENDING 64		/* checkpoints a partition remembers (the ledger's bound) */
#define COMMIT_EVERY_NS (1000 * 1000 * 1000LL)
#define LEDGER_EVERY_NS (100 * 1000 * 1000LL)
#define STOP_WAIT_NS (10 * 1000 * 1000 * 1000LL)

/* A message waiting in its partition's queue: the payload, then the
 * envelope's members (members_len 0 without --envelope). */
struct qmsg {
	int64_t t, offset;
	char *bytes;
	size_t len, members_len;
};

#define QUEUE_MAX_BYTES ((size_t)4 << 20)	/* a partition paused above this */
#define QUEUE_MAX_MSGS 10000

struct pend {
	uint64_t n;		/* checkpoint */
	int64_t offset;		/* the partition's next offset at it */
};

struct part {
	char *topic;
	int32_t partition;
	bool assigned;
	int64_t max_t;		/* largest event time written from it; WEIR_TIME_NONE */
	int64_t next;		/* offset after which nothing is pending: the
				   queue's head, or after the last taken in */
	int64_t committed;	/* what we committed last; -1 none */
	int64_t consumed;	/* offset after the last message taken in; -1 none */
	bool at_end;		/* caught up (a partition EOF) */
	int64_t eof_at;		/* an end reported before we got there; -1 */
	int64_t end_since;	/* monotonic, when it caught up */
	bool paused;
	/* messages taken in and not yet written, in offset order:
	 * q[qhead..qhead+qn) mod qcap */
	struct qmsg *q;
	size_t qhead, qn, qcap, qbytes;
	struct pend pend[MAX_PENDING];
	int npend;
};

/* A partition as a checkpoint recorded it. */
struct saved {
	char *topic;
	int32_t partition;
	int64_t next, max_t;
};

struct ksrc {
	/* options */
	const char *brokers, *group, *reset;
	char **topics;
	int ntopics;
	struct weir_props props;	/* -X name=value */
	bool envelope, kafka_time, exit_at_end, verbose;
	struct weir_source loop;	/* the driver's loop pulls messages from here;
					   its cadence: --checkpoint-every */

	struct weir_ctx *ctx;	/* for the rebalance callback, while it lives */
	rd_kafka_t *rk;
	rd_kafka_message_t *msg;	/* the message pulled last, until the next pull */
	struct part *parts;
	size_t nparts, cap;
	bool assigned_once;	/* a first assignment came */
	int64_t wm;		/* the last watermark written */
	int64_t last_msg;	/* monotonic, of the last message */
	int64_t last_msg_t;	/* the largest event time over every partition */
	int64_t next_commit, next_ledger;
	struct saved *saved;	/* partitions a checkpoint knew */
	size_t nsaved;
	/* counters */
	uint64_t tombstones, rebalances, commits, commit_errors, pauses;
	char name[320];		/* "topic[2]", for messages */
};

/* --- partitions --------------------------------------------------------------- */

static struct part *
part_find(struct ksrc *k, const char *topic, int32_t partition, bool create)
{
	for (size_t i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == partition && strcmp(k->parts[i].topic, topic) == 0)
			return &k->parts[i];
	if (!create)
		return NULL;
	if (k->nparts == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct part *p = realloc(k->parts, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		k->parts = p;
		k->cap = cap;
	}
	struct part *p = &k->parts[k->nparts];
	memset(p, 0, sizeof *p);
	if ((p->topic = strdup(topic)) == NULL)
		return NULL;
	p->partition = partition;
	p->max_t = WEIR_TIME_NONE;
	p->next = p->committed = p->consumed = p->eof_at = -1;
	k->nparts++;
	return p;
}

static const struct saved *
saved_find(const struct ksrc *k, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < k->nsaved; i++)
		if (k->saved[i].partition == partition && strcmp(k->saved[i].topic, topic) == 0)
			return &k->saved[i];
	return NULL;
}

/* --- the partitions' queues and the merge ---------------------------------------------- */

static void
sync_next(struct part *p)
{
	p->next = p->qn > 0 ? p->q[p->qhead].offset : p->consumed;
}

static int
queue_push(struct part *p, struct qmsg m)
{
	if (p->qn == p->qcap) {
		size_t cap = p->qcap ? p->qcap * 2 : 64;
		struct qmsg *q = malloc(cap * sizeof *q);
		if (q == NULL)
			return -1;
		for (size_t i = 0; i < p->qn; i++)
			q[i] = p->q[(p->qhead + i) % p->qcap];
		free(p->q);
		p->q = q;
		p->qcap = cap;
		p->qhead = 0;
	}
	p->q[(p->qhead + p->qn) % p->qcap] = m;
	p->qn++;
	p->qbytes += m.len + m.members_len;
	return 0;
}

static void
queue_pop(struct part *p)
{
	struct qmsg *m = &p->q[p->qhead];
	p->qbytes -= m->len + m->members_len;
	free(m->bytes);
	p->qhead = (p->qhead + 1) % p->qcap;
	p->qn--;
	sync_next(p);
}

/* A revoke or a stop: what is queued is not written; the offsets that are
 * committed stay before it, so whoever reads the partition next reads it. */
static uint64_t
queue_clear(struct part *p)
{
	uint64_t n = p->qn;
	if (n > 0)
		p->consumed = p->q[p->qhead].offset;
	while (p->qn > 0)
		queue_pop(p);
	return n;
}

/* The same for every partition we own, and the counters as if they had
 * not been read (they will be, again). */
static void
unread_queued(struct weir_ctx *ctx, struct ksrc *k, const rd_kafka_topic_partition_list_t *only)
{
	for (size_t i = 0; i < k->nparts; i++) {
		struct part *p = &k->parts[i];
		if (only && rd_kafka_topic_partition_list_find(only, p->topic, p->partition) == NULL)
			continue;
		uint64_t n = queue_clear(p);
		ctx->count.in -= n;
		ctx->count.held -= n;
	}
}

static void
set_paused(struct ksrc *k, struct part *p, bool pause)
{
	if (p->paused == pause)
		return;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
	if (pause) {
		rd_kafka_pause_partitions(k->rk, l);
	} else {
		rd_kafka_resume_partitions(k->rk, l);	/* after the last one taken in */
	}
	rd_kafka_topic_partition_list_destroy(l);
	p->paused = pause;
	k->pauses += pause;
}

/* --- offsets ------------------------------------------------------------------- */

/* Commits `offset` for each partition with want >= 0 that we own, synchronously
 * when sync (a revoke, the end). */
static void
commit_list(struct weir_ctx *ctx, struct ksrc *k, rd_kafka_topic_partition_list_t *l, bool sync)
{
	if (l->cnt == 0)
		return;
	rd_kafka_resp_err_t err = rd_kafka_commit(k->rk, l, sync ? 0 : 1);
	if (sync && err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		k->commit_errors++;
		fprintf(ctx->diag, "%s: committing offsets: %s\n", ctx->prog, rd_kafka_err2str(err));
	} else {
		k->commits++;
	}
}

/* The offset a partition may commit now: with checkpoints, its offset at
 * the newest checkpoint the pipeline completed (older ones forgotten);
 * without, the offset after what was written and flushed. */
static int64_t
commit_offset(struct ksrc *k, struct part *p, uint64_t completed)
{
	if (k->loop.cadence.every == 0)
		return p->next;
	int64_t off = -1;
	int keep = 0;
	for (int i = 0; i < p->npend; i++) {
		if (p->pend[i].n <= completed)
			off = p->pend[i].offset;
		else
			p->pend[keep++] = p->pend[i];
	}
	p->npend = keep;
	return off;
}

static uint64_t
completed_checkpoint(struct weir_ctx *ctx)
{
	if (ctx->state == NULL)
		return 0;
	return weir_state_completed(ctx->state).n;
}

/* Commits what may be committed for the partitions we own (only == NULL),
 * or for those in `only` (a revoke). */
static int
commit_now(struct weir_ctx *ctx, struct ksrc *k, const rd_kafka_topic_partition_list_t *only,
    bool sync)
{
	int rc = weir_out_flush(ctx->out);	/* the bytes leave before their offsets */
	if (rc != 0)
		return rc;
	if ((ctx->late && fflush(ctx->late) != 0) || (ctx->errors && fflush(ctx->errors) != 0))
		return weir_fail(ctx, "writing the --late or --errors file: %s", strerror(errno));
	uint64_t completed = completed_checkpoint(ctx);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)k->nparts);
	for (size_t i = 0; i < k->nparts; i++) {
		struct part *p = &k->parts[i];
		if (!p->assigned)
			continue;
		if (only && rd_kafka_topic_partition_list_find(only, p->topic, p->partition) == NULL)
			continue;
		int64_t off = commit_offset(k, p, completed);
		if (off < 0 || off == p->committed)
			continue;
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = off;
		p->committed = off;
	}
	commit_list(ctx, k, l, sync);
	rd_kafka_topic_partition_list_destroy(l);
	return 0;
}

/* --- rebalances ------------------------------------------------------------------ */

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l,
    void *opaque)
{
	struct ksrc *k = opaque;
	struct weir_ctx *ctx = k->ctx;
	if (ctx == NULL) {	/* closed after a failure: leave, commit nothing */
		rd_kafka_assign(rk, NULL);
		return;
	}
	k->rebalances++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		/* where each partition starts: the checkpoint this pipeline
		 * restored, unless the group has committed past it (another
		 * member had the partition since) */
		rd_kafka_topic_partition_list_t *c = NULL;
		if (k->nsaved > 0) {
			c = rd_kafka_topic_partition_list_copy(l);
			if (rd_kafka_committed(rk, c, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
				rd_kafka_topic_partition_list_destroy(c);
				c = NULL;
			}
		}
		for (int i = 0; i < l->cnt; i++) {
			rd_kafka_topic_partition_t *tp = &l->elems[i];
			struct part *p = part_find(k, tp->topic, tp->partition, true);
			if (p == NULL) {
				weir_fail(ctx, "out of memory");
				continue;
			}
			p->assigned = true;
			p->at_end = p->paused = false;
			p->next = p->consumed = p->eof_at = -1;
			p->npend = 0;
			p->committed = -1;
			const struct saved *s = saved_find(k, tp->topic, tp->partition);
			if (s && s->next >= 0) {
				int64_t group = c ? c->elems[i].offset : -1;
				tp->offset = group > s->next ? group : s->next;
				if (s->max_t > p->max_t)
					p->max_t = s->max_t;
			}
			if (k->verbose)
				fprintf(ctx->diag, "%s: assigned %s[%" PRId32 "]\n", ctx->prog,
				    tp->topic, tp->partition);
		}
		if (c)
			rd_kafka_topic_partition_list_destroy(c);
		rd_kafka_assign(rk, l);
		k->assigned_once = true;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		/* what was written goes out, and the offsets that may be committed
		 * for it (not past what is queued: the next owner reads that); the
		 * partitions stop counting */
		unread_queued(ctx, k, l);
		if (commit_now(ctx, k, l, true) != 0)
			weir_fail(ctx, "writing output at a rebalance");
		for (int i = 0; i < l->cnt; i++) {
			struct part *p = part_find(k, l->elems[i].topic, l->elems[i].partition, false);
			if (p) {
				p->assigned = false;
				p->paused = false;
				p->npend = 0;
			}
			if (k->verbose)
				fprintf(ctx->diag, "%s: revoked %s[%" PRId32 "]\n", ctx->prog,
				    l->elems[i].topic, l->elems[i].partition);
		}
		rd_kafka_assign(rk, NULL);
		return;
	}
	fprintf(ctx->diag, "%s: rebalance: %s\n", ctx->prog, rd_kafka_err2str(err));
	rd_kafka_assign(rk, NULL);
}

/* --- checkpoints ---------------------------------------------------------------------- */

/* Each partition we have known: where it is, and the largest event time. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct ksrc *k = ctx->prog_state;
	int rc = weir_put_u64(b, k->loop.cadence.last) | weir_put_i64(b, k->wm) |
	    weir_put_u64(b, k->nparts + k->nsaved);
	for (size_t i = 0; i < k->nparts; i++) {
		const struct part *p = &k->parts[i];
		rc |= weir_put_bytes(b, p->topic, strlen(p->topic)) |
		    weir_put_u64(b, (uint32_t)p->partition) |
		    weir_put_i64(b, p->assigned ? p->next : -1) | weir_put_i64(b, p->max_t);
	}
	for (size_t i = 0; i < k->nsaved; i++) {
		/* restored and never assigned since: kept for a later run */
		const struct saved *s = &k->saved[i];
		bool known = part_find(k, s->topic, s->partition, false) != NULL;
		rc |= weir_put_bytes(b, s->topic, strlen(s->topic)) |
		    weir_put_u64(b, (uint32_t)s->partition) | weir_put_i64(b, known ? -1 : s->next) |
		    weir_put_i64(b, s->max_t);
	}
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct ksrc *k = ctx->prog_state;
	k->loop.cadence.last = weir_get_u64(g);
	k->wm = weir_get_i64(g);
	uint64_t n = weir_get_count(g, 28);
	k->saved = calloc(n ? n : 1, sizeof *k->saved);
	if (k->saved == NULL)
		return weir_fail(ctx, "out of memory");
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		size_t len;
		const char *topic = weir_get_bytes(g, &len);
		uint64_t partition = weir_get_u64(g);
		int64_t next = weir_get_i64(g), max_t = weir_get_i64(g);
		if (g->bad || partition > INT32_MAX)
			return -1;
		if (saved_find(k, topic ? topic : "", (int32_t)partition))
			continue;	/* (written twice: the first is the live one) */
		struct saved *s = &k->saved[k->nsaved];
		if ((s->topic = strndup(topic, len)) == NULL)
			return weir_fail(ctx, "out of memory");
		s->partition = (int32_t)partition;
		s->next = next;
		s->max_t = max_t;
		k->nsaved++;
	}
	return g->bad ? -1 : 0;
}

/* A checkpoint: each partition remembers its offset at it, to commit
 * once the pipeline has completed it. */
static void
at_barrier(struct weir_ctx *ctx, struct weir_ckpt id)
{
	struct ksrc *k = ctx->prog_state;
	for (size_t i = 0; i < k->nparts; i++) {
		struct part *p = &k->parts[i];
		if (!p->assigned || p->next < 0)
			continue;
		if (p->npend == MAX_PENDING) {
			memmove(p->pend, p->pend + 1, (MAX_PENDING - 1) * sizeof *p->pend);
			p->npend--;
		}
		p->pend[p->npend++] = (struct pend){id.n, p->next};
	}
}

/* --- watermarks ---------------------------------------------------------------------- */

/* min over the partitions that count; when none counts (all idle), the
 * largest event time, moved on by the wall clock since the last message. */
static int
advance(struct weir_ctx *ctx, struct ksrc *k, int64_t now)
{
	int64_t idle = ctx->opts->idle;
	int64_t low = INT64_MAX;
	bool any = false, holding = false;
	for (size_t i = 0; i < k->nparts; i++) {
		struct part *p = &k->parts[i];
		if (!p->assigned)
			continue;
		any = true;
		if (idle > 0 && p->at_end && now - p->end_since >= idle)
			continue;
		if (p->max_t == WEIR_TIME_NONE) {
			holding = true;	/* nothing from it yet */
			continue;
		}
		if (p->max_t < low)
			low = p->max_t;
	}
	if (!any || holding)
		return 0;
	int64_t wm;
	if (low != INT64_MAX) {
		wm = weir_time_add_sat(low, -ctx->opts->lag);
	} else {
		if (k->last_msg_t == WEIR_TIME_NONE)
			return 0;
		/* every partition idle: event time keeps pace with the wall clock,
		 * in steps of --idle */
		int64_t quiet = (now - k->last_msg) / idle * idle;
		wm = weir_time_add_sat(weir_time_add_sat(k->last_msg_t, -ctx->opts->lag), quiet);
	}
	if (k->wm != WEIR_TIME_NONE && wm <= k->wm)
		return 0;
	k->wm = wm;
	ctx->watermark = wm;
	return weir_emit_watermark(ctx, wm);
}

/* --- messages ---------------------------------------------------------------------------- */

/* Writes the queue's head of the partition whose head is earliest, while
 * no partition that could still give an earlier message is empty. */
static int
merge(struct weir_ctx *ctx, struct ksrc *k)
{
	for (;;) {
		struct part *best = NULL;
		for (size_t i = 0; i < k->nparts; i++) {
			struct part *p = &k->parts[i];
			if (!p->assigned)
				continue;
			if (p->qn == 0) {
				if (!p->at_end)
					return 0;	/* it may give an earlier one */
				continue;
			}
			if (best == NULL || p->q[p->qhead].t < best->q[best->qhead].t)
				best = p;
		}
		if (best == NULL)
			return 0;
		const struct qmsg *m = &best->q[best->qhead];
		int rc;
		if (k->wm != WEIR_TIME_NONE && m->t < k->wm) {
			struct weir_event ev = {m->bytes, m->len, m->t, ctx->spans, 0, (uint64_t)m->offset};
			rc = weir_disordered(ctx, &ev);
		} else if (m->members_len > 0) {
			rc = weir_emit_insert(ctx, m->bytes, m->len, m->bytes + m->len, m->members_len);
			ctx->count.out++;
		} else {
			rc = weir_emit(ctx, m->bytes, m->len);
		}
		/* the watermark follows what went out, not what is queued */
		if (m->t > best->max_t || best->max_t == WEIR_TIME_NONE)
			best->max_t = m->t;
		if (m->t > k->last_msg_t || k->last_msg_t == WEIR_TIME_NONE)
			k->last_msg_t = m->t;
		if (m->t > ctx->max_event)
			ctx->max_event = m->t;
		ctx->count.held--;
		queue_pop(best);
		if (best->paused && best->qn < QUEUE_MAX_MSGS / 2 && best->qbytes < QUEUE_MAX_BYTES / 2)
			set_paused(k, best, false);
		if (rc != 0)
			return rc;
	}
}

/* A message the driver read as an event: queued in its partition for the
 * merge. */
static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct ksrc *k = ctx->prog_state;
	struct part *p = &k->parts[ev->input];
	static char *env;
	static size_t env_cap;
	long members = 0;
	if (k->envelope && (members = weir_kafka_envelope(k->msg, &env, &env_cap)) < 0)
		return weir_fail(ctx, "out of memory");
	struct qmsg q = {ev->t, (int64_t)ev->lineno, malloc(ev->len + (size_t)members + 1), ev->len,
		(size_t)members};
	if (q.bytes == NULL)
		return weir_fail(ctx, "out of memory holding a message of %zu bytes", ev->len);
	memcpy(q.bytes, ev->line, ev->len);
	if (members > 0)
		memcpy(q.bytes + ev->len, env, (size_t)members);
	bool was_empty = p->qn == 0;
	if (queue_push(p, q) < 0) {
		free(q.bytes);
		return weir_fail(ctx, "out of memory");
	}
	if (was_empty)
		sync_next(p);
	ctx->count.held++;
	if (p->qn >= QUEUE_MAX_MSGS || p->qbytes >= QUEUE_MAX_BYTES)
		set_paused(k, p, true);	/* it runs ahead: the others catch up first */
	return 0;
}

/* Takes a message in: where its partition stands, and the line for the
 * driver to read: 1; a delete marker is no line (counted as dropped): 0;
 * or -1 after weir_fail. */
static int
take(struct weir_ctx *ctx, struct ksrc *k, rd_kafka_message_t *m, struct weir_pulled *out)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	struct part *p = part_find(k, topic, m->partition, true);
	if (p == NULL)
		return weir_fail(ctx, "out of memory");
	if (k->verbose && p->consumed >= 0 && m->offset != p->consumed)
		fprintf(ctx->diag, "%s: %s[%" PRId32 "]: offset %" PRId64 " after %" PRId64
		    " (compacted, or gone with retention)\n", ctx->prog, topic, m->partition,
		    m->offset, p->consumed - 1);
	p->consumed = m->offset + 1;
	p->at_end = false;
	if (p->eof_at >= 0 && p->consumed >= p->eof_at) {
		/* the end it reported while it was paused: now reached */
		p->eof_at = -1;
		p->at_end = true;
		p->end_since = weir_mono_now();
	}
	if (p->qn == 0)
		p->next = p->consumed;
	k->last_msg = weir_mono_now();
	if (m->payload == NULL) {
		k->tombstones++;	/* a delete marker: no event */
		weir_line_in(ctx);
		ctx->count.dropped++;
		return 0;
	}
	snprintf(k->name, sizeof k->name, "%s[%" PRId32 "]", topic, m->partition);
	*out = (struct weir_pulled){m->payload, m->len, (unsigned)(p - k->parts), k->name,
		(uint64_t)m->offset, NULL, false, 0, NULL};
	if (memchr(m->payload, '\n', m->len))
		out->why = "a message with a newline in it (one message is one line)";
	if (k->kafka_time) {
		rd_kafka_timestamp_type_t tstype;
		int64_t ms = rd_kafka_message_timestamp(m, &tstype);
		out->has_time = true;
		out->t = ms * 1000000;
		if (ms < 0)
			out->no_time = "a message without a Kafka timestamp (--kafka-time)";
	}
	return 1;
}

/* Every assigned partition has been read to its end (--exit-at-end). */
static bool
all_at_end(const struct ksrc *k)
{
	if (!k->assigned_once)
		return false;
	for (size_t i = 0; i < k->nparts; i++)
		if (k->parts[i].assigned && !k->parts[i].at_end)
			return false;
	return true;
}

/* --- the consumer -------------------------------------------------------------------------- */

/* The source's open: the consumer joins the group for the topics. */
static int
consumer_new(struct weir_ctx *ctx, char **inputs, int ninputs)
{
	struct ksrc *k = ctx->prog_state;
	(void)inputs;
	(void)ninputs;	/* the topics, known since setup */
	k->ctx = ctx;
	k->next_commit = weir_mono_now() + COMMIT_EVERY_NS;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[sizeof ctx->error];
	int rc = 0;
	rc |= weir_kafka_set(conf, "group.id", k->group, why, sizeof why);
	rc |= weir_kafka_set(conf, "enable.auto.commit", "false", why, sizeof why);
	rc |= weir_kafka_set(conf, "enable.auto.offset.store", "false", why, sizeof why);
	rc |= weir_kafka_set(conf, "enable.partition.eof", "true", why, sizeof why);
	rc |= weir_kafka_set(conf, "auto.offset.reset", k->reset, why, sizeof why);
	rc |= weir_kafka_set(conf, "log_level", "3", why, sizeof why);
	/* librdkafka's prefetch is the source's largest buffer: 16 MiB over
	 * all partitions, not its default 64 (-X can say otherwise) */
	rc |= weir_kafka_set(conf, "queued.max.messages.kbytes", "16384", why, sizeof why);
	if (k->brokers)
		rc |= weir_kafka_set(conf, "bootstrap.servers", k->brokers, why, sizeof why);
	if (rc == 0)
		rc = weir_kafka_set_props(conf, &k->props, why, sizeof why);
	if (rc != 0) {
		rd_kafka_conf_destroy(conf);
		return weir_fail(ctx, "%s", why);
	}
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	char errstr[512];
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
	if (k->rk == NULL)
		return weir_fail(ctx, "%s", errstr);
	rd_kafka_poll_set_consumer(k->rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->ntopics);
	for (int i = 0; i < k->ntopics; i++)
		rd_kafka_topic_partition_list_add(l, k->topics[i], RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t err = rd_kafka_subscribe(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err)
		return weir_fail(ctx, "subscribing: %s", rd_kafka_err2str(err));
	return 0;
}

/* After SIGTERM with checkpoints: the stop barrier went out; wait (a
 * while) for the pipeline to complete it, so its offsets can be committed. */
static void
wait_completed(struct weir_ctx *ctx, struct ksrc *k)
{
	int64_t until = weir_mono_now() + STOP_WAIT_NS;
	while (completed_checkpoint(ctx) < k->loop.cadence.last && weir_mono_now() < until &&
	    weir_interrupt_count() < 2)
		poll(NULL, 0, 50);	/* (the client's own threads keep the group) */
}

/* The message pulled last is done with (an event's bytes were copied). */
static void
release(struct ksrc *k)
{
	if (k->msg)
		rd_kafka_message_destroy(k->msg);
	k->msg = NULL;
}

/* The next message: what the merge can write goes out first, offsets are
 * committed when due, and a message is polled (waiting at most 100 ms
 * with wait). */
static int
pull(struct weir_ctx *ctx, struct weir_pulled *out, bool wait)
{
	struct ksrc *k = ctx->prog_state;
	release(k);
	int rc = merge(ctx, k);
	if (rc != 0 || (rc = advance(ctx, k, weir_mono_now())) != 0)
		return rc;
	if (k->exit_at_end && all_at_end(k))
		return WEIR_PULL_END;
	int64_t now = weir_mono_now();
	if (k->loop.cadence.every > 0 ? now >= k->next_ledger : now >= k->next_commit) {
		k->next_ledger = now + LEDGER_EVERY_NS;
		k->next_commit = now + COMMIT_EVERY_NS;
		if ((rc = commit_now(ctx, k, NULL, false)) != 0)
			return rc;
	}
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, wait ? 100 : 0);
		if (m == NULL)
			return ctx->error[0] ? -1 : WEIR_PULL_NONE;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			struct part *p = part_find(k, rd_kafka_topic_name(m->rkt), m->partition, false);
			if (p && p->consumed >= 0 && m->offset > p->consumed) {
				/* an end reported for a fetch that a pause threw away:
				 * the partition is there only once it is read up to it */
				p->eof_at = m->offset;
			} else if (p && !p->at_end) {
				p->at_end = true;
				p->end_since = weir_mono_now();
				if (k->verbose)
					fprintf(ctx->diag, "%s: at end %s[%" PRId32 "]\n", ctx->prog,
					    p->topic, p->partition);
			}
			rd_kafka_message_destroy(m);
			return WEIR_PULL_NONE;	/* the merge may go on now */
		}
		if (m->err) {
			bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL ||
			    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
			    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
			fprintf(ctx->diag, "%s: %s\n", ctx->prog, rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			return fatal ? weir_fail(ctx, "cannot go on consuming") : WEIR_PULL_NONE;
		}
		int got = take(ctx, k, m, out);
		if (got > 0) {
			k->msg = m;
			return WEIR_PULL_LINE;
		}
		rd_kafka_message_destroy(m);
		if (got < 0)
			return -1;
	}
}

/* The end (of the partitions, with --exit-at-end; or a signal): what is
 * queued is not written, and is read again by whoever reads the partition
 * next; a last checkpoint (a stop one at a signal, which the pipeline
 * completes before this commits its offsets); the offsets committed; the
 * group left.  The driver's on_end, and its source's stop. */
static int
finish(struct weir_ctx *ctx)
{
	struct ksrc *k = ctx->prog_state;
	bool stop = weir_interrupted();
	release(k);
	for (size_t i = 0; k->verbose && i < k->nparts; i++) {
		struct part *p = &k->parts[i];
		int64_t lo = -1, hi = -1;
		rd_kafka_get_watermark_offsets(k->rk, p->topic, p->partition, &lo, &hi);
		fprintf(ctx->diag, "%s: %s[%" PRId32 "] read to %" PRId64 " of %" PRId64 "%s%s, %zu queued\n",
		    ctx->prog, p->topic, p->partition, p->consumed, hi, p->paused ? ", paused" : "",
		    p->at_end ? ", at its end" : "", p->qn);
	}
	unread_queued(ctx, k, NULL);
	int rc = 0;
	bool stopped = false;
	if (k->loop.cadence.every > 0) {
		rc = weir_source_barrier(ctx, stop);
		if (rc == WEIR_STOPPED) {
			stopped = true;
			rc = 0;
		}
		if (rc == 0 && stop && (rc = weir_out_flush(ctx->out)) == 0)
			wait_completed(ctx, k);
	}
	if (rc == 0)
		rc = commit_now(ctx, k, NULL, true);
	rd_kafka_consumer_close(k->rk);
	return rc == 0 && stopped ? WEIR_STOPPED : rc;
}

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct ksrc *k = ctx->prog_state;
	size_t assigned = 0;
	for (size_t i = 0; i < k->nparts; i++)
		assigned += k->parts[i].assigned;
	fprintf(f, ",\"disordered\":%" PRIu64 ",\"tombstones\":%" PRIu64 ",\"partitions\":%zu,\"rebalances\":%" PRIu64
	    ",\"commits\":%" PRIu64 ",\"commit_errors\":%" PRIu64 ",\"pauses\":%" PRIu64,
	    ctx->count.disordered, k->tombstones, assigned, k->rebalances, k->commits, k->commit_errors, k->pauses);
}

/* --- options -------------------------------------------------------------------------- */

enum { OPT_BROKERS = 1, OPT_GROUP, OPT_ENVELOPE, OPT_KAFKA_TIME, OPT_EXIT, OPT_RESET,
	OPT_PROP, OPT_CHECKPOINT_EVERY, OPT_VERBOSE };

static const struct weir_optdef own_options[] = {
	{"brokers", 'b', 1, OPT_BROKERS, "HOST:PORT,..."},
	{"checkpoint-every", 0, 1, OPT_CHECKPOINT_EVERY, "DUR"},
	{"envelope", 0, 0, OPT_ENVELOPE, NULL},
	{"exit-at-end", 'e', 0, OPT_EXIT, NULL},
	{"group", 'g', 1, OPT_GROUP, "ID"},
	{"kafka-time", 0, 0, OPT_KAFKA_TIME, NULL},
	{"property", 'X', 1, OPT_PROP, "NAME=VALUE"},
	{"reset", 0, 1, OPT_RESET, "earliest|latest"},
	{"verbose", 'v', 0, OPT_VERBOSE, NULL},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct ksrc *k = arg;
	switch (id) {
	case OPT_BROKERS:
		k->brokers = value;
		return 0;
	case OPT_GROUP:
		k->group = value;
		return 0;
	case OPT_ENVELOPE:
		k->envelope = true;
		return 0;
	case OPT_KAFKA_TIME:
		k->kafka_time = true;
		return 0;
	case OPT_EXIT:
		k->exit_at_end = true;
		return 0;
	case OPT_VERBOSE:
		k->verbose = true;
		return 0;
	case OPT_RESET:
		if (strcmp(value, "earliest") != 0 && strcmp(value, "latest") != 0) {
			snprintf(err, errlen, "bad --reset '%s' (expected earliest or latest)", value);
			return -1;
		}
		k->reset = value;
		return 0;
	case OPT_PROP:
		return weir_props_add(&k->props, value, "session.timeout.ms=6000", err, errlen);
	case OPT_CHECKPOINT_EVERY:
		if (weir_option_duration("checkpoint-every", value, &k->loop.cadence.every, err, errlen) < 0)
			return -1;
		if (k->loop.cadence.every < 1000000) {
			snprintf(err, errlen, "--checkpoint-every '%s' is too short (at least 1ms)",
			    value);
			return -1;
		}
		return 0;
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct ksrc *k = ctx->prog_state;
	if (argc == 0) {
		snprintf(err, errlen, "no topic given (weir-kafka-source [options] TOPIC...)");
		return -1;
	}
	if (k->brokers == NULL && !weir_props_has(&k->props, "bootstrap.servers") &&
	    !weir_props_has(&k->props, "metadata.broker.list")) {
		snprintf(err, errlen, "no brokers given (-b HOST:PORT,... or "
		    "-X bootstrap.servers=...)");
		return -1;
	}
	if (weir_reads_direct(ctx->opts)) {
		snprintf(err, errlen, "-i: a message is read as JSON (weir-parse reads logs)");
		return -1;
	}
	if (k->loop.cadence.every > 0 && ctx->opts->state_file == NULL) {
		snprintf(err, errlen, "--checkpoint-every needs --state FILE (where the source's "
		    "checkpoints go, beside the pipeline's --state files)");
		return -1;
	}
	if (ctx->opts->state_file && k->loop.cadence.every == 0)
		k->loop.cadence.every = 1000 * 1000 * 1000LL;	/* --state alone: every second */
	if (k->group == NULL)
		k->group = "weir";
	if (k->reset == NULL)
		k->reset = "earliest";
	k->topics = argv;
	k->ntopics = argc;
	if (k->kafka_time)
		ctx->untimed = true;	/* the payload need not hold a time */
	k->wm = k->last_msg_t = WEIR_TIME_NONE;	/* before a checkpoint restores them */
	k->loop.open = consumer_new;
	k->loop.pull = pull;
	k->loop.at_barrier = at_barrier;
	k->loop.stop = finish;
	ctx->source = &k->loop;
	ctx->interrupt_ends_input = true;	/* SIGTERM: flush, commit, leave the group */
	return argc;
}

static void
teardown(void *state)
{
	struct ksrc *k = state;
	release(k);
	k->ctx = NULL;	/* freed: a failure ended the run before finish */
	if (k->rk)
		rd_kafka_destroy(k->rk);
	for (size_t i = 0; i < k->nparts; i++) {
		queue_clear(&k->parts[i]);
		free(k->parts[i].q);
		free(k->parts[i].topic);
	}
	free(k->parts);
	for (size_t i = 0; i < k->nsaved; i++)
		free(k->saved[i].topic);
	free(k->saved);
	weir_props_free(&k->props);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {.on_event = on_event, .on_end = finish,
		.on_save = on_save, .on_restore = on_restore, .on_stats = on_stats};
	static struct ksrc k;
	static const struct weir_program program = {
		.name = "weir-kafka-source",
		.synopsis = "weir-kafka-source -b BROKERS [-g GROUP] [--envelope] [--kafka-time] "
		    "[--exit-at-end] [--reset earliest|latest] [-v] [--state FILE [--checkpoint-every DUR]] "
		    "[-X NAME=VALUE] [options] TOPIC...",
		.summary = "Reads a Kafka consumer group's partitions as NDJSON, with per-partition "
		    "watermarks.",
		.own_help =
		    "  -b, --brokers LIST       bootstrap brokers, HOST:PORT,...\n"
		    "  -g, --group ID           consumer group (default weir)\n"
		    "      --envelope           add \"kafka\":{topic,partition,offset,key,timestamp}\n"
		    "      --kafka-time         event time is the message's Kafka timestamp\n"
		    "  -e, --exit-at-end        exit once every assigned partition is read to its end\n"
		    "      --reset WHERE        with no committed offset: earliest (default) or latest\n"
		    "      --checkpoint-every DUR  a checkpoint barrier every DUR (with --state;\n"
		    "                           default 1s); offsets committed when the pipeline\n"
		    "                           completed a checkpoint\n"
		    "  -X NAME=VALUE            a librdkafka property\n"
		    "  -v, --verbose            say on stderr which partitions come and go\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &k,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
