/*
 * weir-kafka-sink: produces each NDJSON line to a Kafka topic (SPEC §8).
 *
 *   line ──► key from --key ──► murmur2(key) % partitions ──► topic
 *                               (the Java client's partitioner)
 *
 * The message value is the line's bytes as they came; the key is the
 * --key field's value (a string as its text, anything else as its JSON),
 * several fields as a JSON array of their values; the Kafka timestamp is
 * the event time in milliseconds (the time field, else a window row's
 * window_end; a line with neither is stamped by the producer with the
 * time it was sent, and counted as untimed).  A line needs no time field:
 * rows that weir-agg computes have none.  The producer is idempotent, so a
 * retry after a lost acknowledgement does not write a message twice.
 * Watermark and barrier lines are not data: they are not produced.
 *
 * A checkpoint barrier (with --state) waits for every message before it to
 * be acknowledged by the brokers before the sink writes its state file:
 * a checkpoint the pipeline completed is in Kafka.  At the end of input
 * the same wait; a message the brokers refused (or that timed out) is an
 * error, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "../lib/driver.h"
#include "../lib/kafka.h"
#include "../lib/keys.h"
#include "../lib/program.h"
#include "../lib/props.h"

struct ksink {
	const char *brokers, *topic, *key_list;
	struct weir_props props;	/* -X name=value */
	int key_slots[WEIR_MAX_KEY_FIELDS];
	int nkeys;
	int time_slots[5];
	int ntime;

	struct weir_ctx *ctx;	/* delivery reports count into its counters */
	rd_kafka_t *rk;
	char *key;
	size_t key_cap;
	uint64_t produced, delivered, failed, unkeyed, untimed, since_poll;
	char first_error[256];
};

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct ksink *s = opaque;
	(void)rk;
	/* a message is out once the brokers have it; until then it is held */
	s->ctx->count.held--;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		s->delivered++;
		s->ctx->count.out++;
		return;
	}
	if (s->failed++ == 0)
		snprintf(s->first_error, sizeof s->first_error, "%s", rd_kafka_err2str(m->err));
}

static int
check_failed(struct weir_ctx *ctx, struct ksink *s)
{
	if (s->failed == 0)
		return 0;
	return weir_fail(ctx, "%" PRIu64 " message%s not delivered to '%s': %s", s->failed,
	    s->failed == 1 ? "" : "s", s->topic, s->first_error);
}

/* Waits until every message produced is acknowledged (or has failed). */
static int
drain(struct weir_ctx *ctx, struct ksink *s)
{
	while (rd_kafka_outq_len(s->rk) > 0) {
		rd_kafka_flush(s->rk, 1000);
		if (weir_interrupt_count() > 1)
			break;	/* a second Ctrl-C: give up waiting */
	}
	if (rd_kafka_outq_len(s->rk) > 0)
		return weir_fail(ctx, "%d messages not yet delivered to '%s' at an interrupt",
		    rd_kafka_outq_len(s->rk), s->topic);
	return check_failed(ctx, s);
}

/* The message key: NULL (no key) when a single --key field is missing. */
static long
make_key(struct ksink *s, const struct weir_event *ev, const char **key)
{
	*key = NULL;
	if (s->nkeys == 0)
		return 0;
	if (s->nkeys == 1) {
		const struct weir_span *v = &ev->fields[s->key_slots[0]];
		if (v->p == NULL)
			return 0;
		if (!weir_span_is_string(v)) {
			*key = v->p;
			return (long)v->n;
		}
		if (weir_reserve(&s->key, &s->key_cap, v->n + 1) < 0)
			return -1;
		long n = weir_span_unescape(v, s->key, s->key_cap);
		*key = s->key;
		return n;
	}
	size_t need = 2;
	for (int i = 0; i < s->nkeys; i++)
		need += (ev->fields[s->key_slots[i]].p ? ev->fields[s->key_slots[i]].n : 4) + 1;
	if (weir_reserve(&s->key, &s->key_cap, need) < 0)
		return -1;
	size_t at = 0;
	s->key[at++] = '[';
	for (int i = 0; i < s->nkeys; i++) {
		const struct weir_span *v = &ev->fields[s->key_slots[i]];
		if (i)
			s->key[at++] = ',';
		memcpy(s->key + at, v->p ? v->p : "null", v->p ? v->n : 4);
		at += v->p ? v->n : 4;
	}
	s->key[at++] = ']';
	*key = s->key;
	return (long)at;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct ksink *s = ctx->prog_state;
	const char *key;
	long klen = make_key(s, ev, &key);
	if (klen < 0)
		return weir_fail(ctx, "out of memory");
	if (key == NULL && s->nkeys > 0)
		s->unkeyed++;
	/* Kafka timestamps are milliseconds from the epoch; 0 lets the
	 * producer stamp the line with now (no time, or one before 1970) */
	int64_t t = WEIR_TIME_NONE, ms = 0;
	if (ctx->opts->processing_time) {
		t = 0;
	} else {
		for (int i = 0; i < s->ntime; i++) {
			const struct weir_span *v = &ev->fields[s->time_slots[i]];
			const char *why;
			if (v->p == NULL)
				continue;
			if (weir_time_from_json(&ctx->opts->time_format, v->p, v->n, &t, NULL, &why) < 0)
				t = WEIR_TIME_NONE;
			break;
		}
	}
	if (t == WEIR_TIME_NONE)
		s->untimed++;
	else if (t > 0)
		ms = t / 1000000;
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(s->topic),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_VALUE((void *)ev->line, ev->len),
		    RD_KAFKA_V_KEY((void *)key, key ? (size_t)klen : 0),
		    RD_KAFKA_V_TIMESTAMP(ms), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return weir_fail(ctx, "producing to '%s': %s", s->topic, rd_kafka_err2str(err));
		/* the producer's queue is full: wait for the brokers (and so
		 * stop reading: backpressure up the pipe) */
		rd_kafka_poll(s->rk, 100);
		if (weir_interrupt_count() > 1)
			return weir_fail(ctx, "interrupted while the producer's queue was full");
	}
	s->produced++;
	ctx->count.held++;
	if (++s->since_poll >= 1000) {
		s->since_poll = 0;
		rd_kafka_poll(s->rk, 0);	/* delivery reports */
		if (s->failed)
			return check_failed(ctx, s);
	}
	return 0;
}

/* A checkpoint: everything before the barrier is in Kafka first. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct ksink *s = ctx->prog_state;
	int rc = drain(ctx, s);
	if (rc != 0)
		return rc;
	return weir_put_u64(b, s->delivered) < 0 ? weir_fail(ctx, "out of memory") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct ksink *s = ctx->prog_state;
	s->delivered = weir_get_u64(g);
	return 0;
}

static int
on_end(struct weir_ctx *ctx)
{
	return drain(ctx, ctx->prog_state);
}

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct ksink *s = ctx->prog_state;
	if (s->rk)
		rd_kafka_poll(s->rk, 0);
	fprintf(f, ",\"produced\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"failed\":%" PRIu64
	    ",\"unkeyed\":%" PRIu64 ",\"untimed\":%" PRIu64, s->produced, s->delivered, s->failed,
	    s->unkeyed, s->untimed);
}

/* --- options -------------------------------------------------------------------------- */

enum { OPT_BROKERS = 1, OPT_TOPIC, OPT_KEY, OPT_PROP };

static const struct weir_optdef own_options[] = {
	{"brokers", 'b', 1, OPT_BROKERS, "HOST:PORT,..."},
	{"key", 'k', 1, OPT_KEY, "FIELDS"},
	{"property", 'X', 1, OPT_PROP, "NAME=VALUE"},
	{"topic", 0, 1, OPT_TOPIC, "TOPIC"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct ksink *s = arg;
	switch (id) {
	case OPT_BROKERS:
		s->brokers = value;
		return 0;
	case OPT_TOPIC:
		s->topic = value;
		return 0;
	case OPT_KEY:
		s->key_list = value;
		return 0;
	case OPT_PROP:
		return weir_props_add(&s->props, value, "linger.ms=5", err, errlen);
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct ksink *s = ctx->prog_state;
	(void)argc;
	(void)argv;
	s->ctx = ctx;
	if (s->topic == NULL) {
		snprintf(err, errlen, "no topic given (--topic TOPIC)");
		return -1;
	}
	if (s->brokers == NULL && !weir_props_has(&s->props, "bootstrap.servers") &&
	    !weir_props_has(&s->props, "metadata.broker.list")) {
		snprintf(err, errlen, "no brokers given (-b HOST:PORT,... or "
		    "-X bootstrap.servers=...)");
		return -1;
	}
	if (ctx->opts->csv_out) {
		snprintf(err, errlen, "-o csv: the sink writes NDJSON lines to Kafka, no output");
		return -1;
	}
	if (s->key_list) {
		s->nkeys = weir_plan_add_list(ctx->plan, s->key_list, s->key_slots,
		    WEIR_MAX_KEY_FIELDS);
		if (s->nkeys <= 0) {
			snprintf(err, errlen, "bad --key '%s' (expected FIELD[,FIELD...], at most %d)",
			    s->key_list, WEIR_MAX_KEY_FIELDS);
			return -1;
		}
	}
	/* the time is read here, not by the driver: a line without one is
	 * produced too */
	static const char *const defaults[] = {"ts", "@timestamp", "timestamp", "time",
		"window_end"};
	ctx->untimed = true;
	if (ctx->opts->time_field) {
		s->time_slots[s->ntime++] = weir_plan_add(ctx->plan, ctx->opts->time_field);
	} else {
		for (int i = 0; i < 5; i++)
			s->time_slots[s->ntime++] = weir_plan_add(ctx->plan, defaults[i]);
	}
	for (int i = 0; i < s->ntime; i++)
		if (s->time_slots[i] < 0) {
			snprintf(err, errlen, "bad --time '%s'", ctx->opts->time_field);
			return -1;
		}
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int rc = weir_kafka_set(conf, "enable.idempotence", "true", err, errlen);
	if (rc == 0)
		rc = weir_kafka_set(conf, "partitioner", "murmur2_random", err, errlen);
	if (rc == 0)
		rc = weir_kafka_set(conf, "message.timeout.ms", "30000", err, errlen);
	if (rc == 0)
		rc = weir_kafka_set(conf, "log_level", "3", err, errlen);
	if (rc == 0 && s->brokers)
		rc = weir_kafka_set(conf, "bootstrap.servers", s->brokers, err, errlen);
	if (rc == 0)
		rc = weir_kafka_set_props(conf, &s->props, err, errlen);
	if (rc != 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	char errstr[512];
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (s->rk == NULL) {
		snprintf(err, errlen, "%s", errstr);
		return WEIR_SETUP_FAILED;
	}
	/* nothing goes to stdout: the lines go to Kafka, and watermarks and
	 * barriers are not data */
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct weir_output *out = fd >= 0 ? weir_output_new(fd, false, false) : NULL;
	if (out == NULL) {
		snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
		return WEIR_SETUP_FAILED;
	}
	weir_output_free(ctx->out);
	ctx->out = out;
	/* SIGINT, SIGTERM: the input ends, and what was produced is delivered
	 * before the exit (a second signal gives up waiting) */
	ctx->interrupt_ends_input = true;
	return 0;
}

static void
teardown(void *state)
{
	struct ksink *s = state;
	if (s->rk) {
		rd_kafka_flush(s->rk, 0);
		rd_kafka_destroy(s->rk);
	}
	free(s->key);
	weir_props_free(&s->props);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {.on_event = on_event, .on_end = on_end,
		.on_save = on_save, .on_restore = on_restore, .on_stats = on_stats};
	static struct ksink s;
	static const struct weir_program program = {
		.name = "weir-kafka-sink",
		.synopsis = "weir-kafka-sink -b BROKERS --topic TOPIC [-k FIELDS] [--state FILE] "
		    "[-X NAME=VALUE] [options] [FILE ...]",
		.summary = "Produces each NDJSON line to a Kafka topic, keyed, with its event time.",
		.own_help =
		    "  -b, --brokers LIST       bootstrap brokers, HOST:PORT,...\n"
		    "      --topic TOPIC        the topic to produce to\n"
		    "  -k, --key FIELDS         message key: the field's value (several: a JSON\n"
		    "                           array); the partition is murmur2(key), as in Java\n"
		    "  -X NAME=VALUE            a librdkafka property\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &s,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
