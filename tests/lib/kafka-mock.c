/*
 * kafka-mock: librdkafka's mock cluster on loopback, for the Kafka tests.
 *
 *   kafka-mock [-b BROKERS] [-t TOPIC:PARTITIONS]... [-c FIFO]
 *
 * Starts BROKERS mock brokers (default 3), creates each topic with its
 * partitions (replication factor min(3, BROKERS)), prints the bootstrap
 * list as one line on stdout and closes it, then runs until SIGTERM,
 * SIGINT or `quit`.  Commands come one per line on the FIFO (re-opened
 * after each writer):
 *
 *   down ID                 broker ID stops answering
 *   up ID                   and answers again
 *   leader TOPIC PART ID    partition PART's leader moves to broker ID
 *   topic NAME PARTS        another topic
 *   quit
 *
 * Each command is answered on stderr ("ok down 1"), so a test can tell it
 * was taken.
 *
 *   kafka-mock -p BROKERS -t TOPIC [-P PARTITION] < LINES
 *
 * produces each line of stdin as one message, as it is (no JSON check:
 * the tests' bad messages); the line `@null` is a tombstone (no value),
 * `@nl` a message with a newline in it.  Nothing here is part of weir: it
 * exists for tests/bats.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
command(rd_kafka_mock_cluster_t *mc, char *line, int nbrokers)
{
	char what[32], topic[256];
	int a = 0, b = 0;
	if (sscanf(line, "%31s", what) != 1)
		return 0;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	if (strcmp(what, "quit") == 0) {
		stop = 1;
	} else if (strcmp(what, "down") == 0 && sscanf(line, "%*s %d", &a) == 1) {
		err = rd_kafka_mock_broker_set_down(mc, a);
	} else if (strcmp(what, "up") == 0 && sscanf(line, "%*s %d", &a) == 1) {
		err = rd_kafka_mock_broker_set_up(mc, a);
	} else if (strcmp(what, "leader") == 0 &&
	    sscanf(line, "%*s %255s %d %d", topic, &a, &b) == 3) {
		err = rd_kafka_mock_partition_set_leader(mc, topic, a, b);
	} else if (strcmp(what, "topic") == 0 && sscanf(line, "%*s %255s %d", topic, &a) == 2) {
		err = rd_kafka_mock_topic_create(mc, topic, a, nbrokers < 3 ? nbrokers : 3);
	} else {
		fprintf(stderr, "kafka-mock: unknown command: %s", line);
		return -1;
	}
	if (err) {
		fprintf(stderr, "kafka-mock: %s: %s\n", what, rd_kafka_err2str(err));
		return -1;
	}
	fprintf(stderr, "ok %s", line);
	return 0;
}

static int
produce(const char *brokers, const char *topic, int partition)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
	    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr)) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (rk == NULL) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		void *value = line;
		size_t len = (size_t)n;
		if (len == 5 && memcmp(line, "@null", 5) == 0) {
			value = NULL;
			len = 0;
		} else if (len == 3 && memcmp(line, "@nl", 3) == 0) {
			value = "{\n}";
			len = 3;
		}
		if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, len),
		    RD_KAFKA_V_END)) {
			fprintf(stderr, "kafka-mock: cannot produce\n");
			return 1;
		}
		rd_kafka_poll(rk, 0);
	}
	free(line);
	int left = rd_kafka_flush(rk, 30000) ? rd_kafka_outq_len(rk) : 0;
	rd_kafka_destroy(rk);
	if (left) {
		fprintf(stderr, "kafka-mock: %d messages not delivered\n", left);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int nbrokers = 3, opt, partition = RD_KAFKA_PARTITION_UA;
	const char *fifo = NULL, *brokers = NULL;
	char *topics[64];
	int ntopics = 0;
	while ((opt = getopt(argc, argv, "b:t:c:p:P:")) != -1) {
		switch (opt) {
		case 'p':
			brokers = optarg;
			break;
		case 'P':
			partition = atoi(optarg);
			break;
		case 'b':
			nbrokers = atoi(optarg);
			break;
		case 't':
			if (ntopics < 64)
				topics[ntopics++] = optarg;
			break;
		case 'c':
			fifo = optarg;
			break;
		default:
			fprintf(stderr, "usage: kafka-mock [-b BROKERS] [-t TOPIC:PARTS]... [-c FIFO]\n");
			return 2;
		}
	}
	if (brokers)
		return ntopics == 1 ? produce(brokers, topics[0], partition) : 2;
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (rk == NULL) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka-mock: cannot start the mock cluster\n");
		return 1;
	}
	for (int i = 0; i < ntopics; i++) {
		char *colon = strrchr(topics[i], ':');
		int parts = colon ? atoi(colon + 1) : 1;
		if (colon)
			*colon = '\0';
		if (rd_kafka_mock_topic_create(mc, topics[i], parts, nbrokers < 3 ? nbrokers : 3)) {
			fprintf(stderr, "kafka-mock: cannot create topic %s\n", topics[i]);
			return 1;
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};	/* no SA_RESTART: fopen
								   of the FIFO gives up */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	fclose(stdout);
	while (!stop) {
		if (fifo == NULL) {
			pause();
			continue;
		}
		FILE *f = fopen(fifo, "r");	/* waits for a writer */
		if (f == NULL) {
			if (errno != EINTR)
				break;
			continue;
		}
		char line[512];
		while (!stop && fgets(line, sizeof line, f))
			command(mc, line, nbrokers);
		fclose(f);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
