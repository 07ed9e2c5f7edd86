/*
 * scanners: how fast each candidate JSON scanner validates a line and finds
 * its "ts" value, over every line of a file held in memory.  `make bench`
 * prints MB/s for each; the numbers chose weir's own scanner (lib/fields.c).
 *
 *   weir     lib/fields.c: validating single pass, spans of planned paths
 *   jsmn     jsmn 1.1 in strict mode: tokens, no UTF-8 or escape validation
 *   yajl     yajl 2 event parser: full validation, callbacks per value
 *   jansson  a tree per line (what the hot path must not do)
 */
#define JSMN_STRICT
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jansson.h>
#include <jsmn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "../lib/fields.h"

struct line {
	const char *p;
	size_t n;
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t found;

static void
run_weir(struct line *lines, size_t count)
{
	struct weir_plan *plan = weir_plan_new();
	weir_plan_add(plan, "ts");
	struct weir_span span[1];
	const char *why;
	for (size_t i = 0; i < count; i++)
		if (weir_scan(plan, lines[i].p, lines[i].n, span, &why) == 0 && span[0].p)
			found++;
	weir_plan_free(plan);
}

static void
run_jsmn(struct line *lines, size_t count)
{
	jsmntok_t tok[128];
	for (size_t i = 0; i < count; i++) {
		jsmn_parser p;
		jsmn_init(&p);
		int k = jsmn_parse(&p, lines[i].p, lines[i].n, tok, 128);
		if (k < 1 || tok[0].type != JSMN_OBJECT)
			continue;
		for (int j = 1; j + 1 < k; j++)
			if (tok[j].parent == 0 && tok[j].end - tok[j].start == 2 &&
			    memcmp(lines[i].p + tok[j].start, "ts", 2) == 0) {
				found++;
				break;
			}
	}
}

struct ycontext {
	int depth;
	int want;
};

static int
y_key(void *ctx, const unsigned char *key, size_t n)
{
	struct ycontext *c = ctx;
	c->want = c->depth == 1 && n == 2 && memcmp(key, "ts", 2) == 0;
	return 1;
}

static int
y_string(void *ctx, const unsigned char *s, size_t n)
{
	struct ycontext *c = ctx;
	(void)s;
	(void)n;
	if (c->want)
		found++;
	c->want = 0;
	return 1;
}

static int
y_scalar(void *ctx)
{
	((struct ycontext *)ctx)->want = 0;
	return 1;
}

static int
y_number(void *ctx, const char *s, size_t n)
{
	(void)s;
	(void)n;
	return y_scalar(ctx);
}

static int
y_bool(void *ctx, int b)
{
	(void)b;
	return y_scalar(ctx);
}

static int
y_open(void *ctx)
{
	((struct ycontext *)ctx)->depth++;
	return 1;
}

static int
y_close(void *ctx)
{
	((struct ycontext *)ctx)->depth--;
	return 1;
}

static void
run_yajl(struct line *lines, size_t count)
{
	static const yajl_callbacks cb = {
		y_scalar, y_bool, NULL, NULL, y_number, y_string,
		y_open, y_key, y_close, y_open, y_close,
	};
	for (size_t i = 0; i < count; i++) {
		struct ycontext c = {0, 0};
		yajl_handle h = yajl_alloc(&cb, NULL, &c);
		if (yajl_parse(h, (const unsigned char *)lines[i].p, lines[i].n) == yajl_status_ok)
			yajl_complete_parse(h);
		yajl_free(h);
	}
}

static void
run_jansson(struct line *lines, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		json_error_t e;
		json_t *v = json_loadb(lines[i].p, lines[i].n, 0, &e);
		if (v && json_object_get(v, "ts"))
			found++;
		json_decref(v);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: scanners FILE [CANDIDATE]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	size_t size = (size_t)ftell(f);
	rewind(f);
	char *data = malloc(size);
	if (data == NULL || fread(data, 1, size, f) != size)
		return 1;
	fclose(f);
	size_t count = 0, cap = 1 << 20;
	struct line *lines = malloc(cap * sizeof *lines);
	for (char *p = data, *end = data + size; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (count == cap)
			lines = realloc(lines, (cap *= 2) * sizeof *lines);
		lines[count++] = (struct line){p, (size_t)(nl - p)};
		p = nl + 1;
	}
	static const struct {
		const char *name;
		void (*run)(struct line *, size_t);
	} candidates[] = {
		{"weir", run_weir}, {"jsmn-strict", run_jsmn}, {"yajl", run_yajl},
		{"jansson-tree", run_jansson},
	};
	for (size_t c = 0; c < sizeof candidates / sizeof candidates[0]; c++) {
		if (argc == 3 && strcmp(argv[2], candidates[c].name) != 0)
			continue;
		double best = 1e9;
		for (int r = 0; r < 3; r++) {
			found = 0;
			double t0 = now();
			candidates[c].run(lines, count);
			double t = now() - t0;
			if (t < best)
				best = t;
		}
		printf("scanner %-13s %8.0f MB/s  (%zu of %zu lines have ts)\n", candidates[c].name,
		    (double)size / best / 1e6, found, count);
	}
	free(lines);
	free(data);
	return 0;
}
