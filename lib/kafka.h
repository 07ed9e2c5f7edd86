/*
 * kafka.h: librdkafka settings from weir's options, shared by
 * weir-kafka-source and weir-kafka-sink, and a message's envelope.  Header only: those two programs
 * alone link librdkafka, and libweir.a does not need it.
 *
 * Ownership: the caller owns the configuration; these only set names in it.
 */
#ifndef WEIR_KAFKA_H
#define WEIR_KAFKA_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

#include "evtime.h"
#include "io.h"
#include "props.h"

/* Sets one name; -1 with "-X NAME=VALUE: why" in err when librdkafka
 * refuses it. */
static inline int
weir_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
    size_t errlen)
{
	char why[256];
	if (rd_kafka_conf_set(conf, name, value, why, sizeof why) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "-X %s=%s: %s", name, value, why);
	return -1;
}

struct weir_kafka_setting {
	rd_kafka_conf_t *conf;
	char *err;
	size_t errlen;
};

static inline int
weir_kafka_set_one(void *arg, const char *name, const char *value)
{
	struct weir_kafka_setting *st = arg;
	return weir_kafka_set(st->conf, name, value, st->err, st->errlen);
}

/* Every -X NAME=VALUE the user gave, in order: set after the program's
 * own settings, so that the user's win. */
static inline int
weir_kafka_set_props(rd_kafka_conf_t *conf, const struct weir_props *props, char *err,
    size_t errlen)
{
	struct weir_kafka_setting st = {conf, err, errlen};
	return weir_props_each(props, weir_kafka_set_one, &st);
}

/* A message's `"kafka":{"topic":..,"partition":..,"offset":..,"key":..,
 * "timestamp":..}` member (--envelope) into *buf, grown as needed: the key
 * as a JSON string (bytes that are not UTF-8 as \u00XX), the timestamp in
 * RFC 3339 or null.  Returns its length, or -1 when memory ran out. */
static inline long
weir_kafka_envelope(const rd_kafka_message_t *m, char **buf, size_t *cap)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t need = 160 + WEIR_TIME_BUFSZ + 6 * (strlen(topic) + m->key_len);
	if (weir_reserve(buf, cap, need) < 0)
		return -1;
	long at = snprintf(*buf, *cap, "\"kafka\":{\"topic\":");
	at = weir_json_quote(*buf, *cap, (size_t)at, topic, strlen(topic));
	if (at < 0)
		return -1;
	at += snprintf(*buf + at, *cap - (size_t)at, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64
	    ",\"key\":", m->partition, m->offset);
	if (m->key) {
		at = weir_json_quote_bytes(*buf, *cap, (size_t)at, m->key, m->key_len);
		if (at < 0)
			return -1;
	} else {
		at += snprintf(*buf + at, *cap - (size_t)at, "null");
	}
	rd_kafka_timestamp_type_t tstype;
	int64_t ms = rd_kafka_message_timestamp(m, &tstype);
	at += snprintf(*buf + at, *cap - (size_t)at, ",\"timestamp\":");
	if (ms >= 0)
		at += (long)weir_time_format_json(ms * 1000000, WEIR_REPR_RFC3339, *buf + at);
	else
		at += snprintf(*buf + at, *cap - (size_t)at, "null");
	(*buf)[at++] = '}';
	return at;
}

#endif
