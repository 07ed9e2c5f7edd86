/* Unit tests for lib/state: the payload codec, the file format (each way a
 * file can be wrong is refused by name), atomic saves, the history kept
 * for the ledger and the ledger's choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/state.h"

static char dir[64];

static int
make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/weir-state-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
path(const char *name)
{
	static char p[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void
payload_round_trips_and_a_short_one_is_bad(void **state)
{
	(void)state;
	struct weir_buf b = {0};
	assert_int_equal(weir_put_u64(&b, UINT64_MAX), 0);
	assert_int_equal(weir_put_i64(&b, INT64_MIN), 0);
	assert_int_equal(weir_put_bytes(&b, "hello", 5), 0);
	assert_int_equal(weir_put_bytes(&b, "", 0), 0);
	assert_int_equal(b.n, 8 + 8 + 8 + 5 + 8);
	struct weir_get g = {b.p, b.n, 0, false};
	assert_true(weir_get_u64(&g) == UINT64_MAX);
	assert_true(weir_get_i64(&g) == INT64_MIN);
	size_t n;
	const char *s = weir_get_bytes(&g, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(s, "hello", 5);
	weir_get_bytes(&g, &n);
	assert_int_equal(n, 0);
	assert_false(g.bad);
	assert_int_equal(g.at, g.n);
	weir_get_u64(&g);	/* past the end */
	assert_true(g.bad);
	/* a length larger than what is left, and a count that cannot fit */
	struct weir_buf c = {0};
	weir_put_u64(&c, 1000);
	struct weir_get h = {c.p, c.n, 0, false};
	assert_null(weir_get_bytes(&h, &n));
	assert_true(h.bad);
	struct weir_get k = {c.p, c.n, 0, false};
	assert_int_equal(weir_get_count(&k, 8), 0);
	assert_true(k.bad);
	weir_buf_free(&b);
	weir_buf_free(&c);
}

static char *
slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	*n = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void
spit(const char *p, const char *data, size_t n)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void
a_saved_state_loads_back_and_every_wrong_file_is_refused(void **state)
{
	(void)state;
	struct weir_state s;
	char err[512];
	assert_int_equal(weir_state_init(&s, path("a"), "weir-agg", "--by host", err, sizeof err),
	    0);
	struct weir_ckpt id;
	char *payload;
	size_t len;
	assert_int_equal(weir_state_load(&s, &id, &payload, &len, err, sizeof err), 0);
	struct weir_ckpt seven = {7, 0, false};
	assert_int_equal(weir_state_save(&s, seven, "payload!", 8, err, sizeof err), 0);
	weir_state_free(&s);

	weir_state_init(&s, path("a"), "weir-agg", "--by host", err, sizeof err);
	assert_int_equal(weir_state_load(&s, &id, &payload, &len, err, sizeof err), 1);
	assert_true(id.n == 7 && id.lines == 0 && !id.counted);
	assert_int_equal(len, 8);
	assert_memory_equal(payload, "payload!", 8);
	free(payload);
	weir_state_free(&s);

	size_t n;
	char *good = slurp(path("a"), &n);
	struct weir_state_hdr h;
	const char *why;
	assert_int_equal(weir_state_parse(good, n, true, &h, &why), 0);
	assert_int_equal(h.program_len, 8);
	assert_memory_equal(h.base, "a", 1);
	/* every byte cut off, and every bit flipped, is caught */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(weir_state_parse(good, cut, true, &h, &why), -1);
	for (size_t i = 0; i < n; i++) {
		char *bad = malloc(n);
		memcpy(bad, good, n);
		bad[i] ^= 0x10;
		assert_int_equal(weir_state_parse(bad, n, true, &h, &why), -1);
		free(bad);
	}

	const struct {
		const char *program, *print, *want;
	} cases[] = {
		{"weir-dedupe", "--by host", "is the state of weir-agg, not of weir-dedupe"},
		{"weir-agg", "--by user", "was written with other options (--by host; now --by user)"},
	};
	for (size_t i = 0; i < 2; i++) {
		weir_state_init(&s, path("a"), cases[i].program, cases[i].print, err, sizeof err);
		assert_int_equal(weir_state_load(&s, &id, &payload, &len, err, sizeof err), -1);
		assert_non_null(strstr(err, cases[i].want));
		assert_non_null(strstr(err, path("a")));
		weir_state_free(&s);
	}
	const struct {
		const char *data;
		size_t n;
		const char *want;
	} files[] = {
		{"", 0, "is empty"},
		{"{\"offset\":3}\n", 13, "is not a weir state file"},
		{NULL, 30, "is truncated"},
		{NULL, 0, "fails its checksum"},
	};
	for (size_t i = 0; i < 4; i++) {
		if (files[i].data) {
			spit(path("a"), files[i].data, files[i].n);
		} else if (files[i].n) {
			spit(path("a"), good, files[i].n);
		} else {
			good[n - 5] ^= 1;
			spit(path("a"), good, n);
		}
		weir_state_init(&s, path("a"), "weir-agg", "--by host", err, sizeof err);
		assert_int_equal(weir_state_load(&s, &id, &payload, &len, err, sizeof err), -1);
		assert_non_null(strstr(err, files[i].want));
		weir_state_free(&s);
	}
	free(good);
	unlink(path("a"));
}

static void
the_ledger_goes_back_to_what_every_file_has_and_keeps_only_that(void **state)
{
	(void)state;
	struct weir_state up, down;
	char err[512];
	struct weir_ckpt id;
	char *payload;
	size_t len;
	weir_state_init(&up, path("up"), "weir-watermark", "", err, sizeof err);
	weir_state_init(&down, path("down"), "weir-agg", "", err, sizeof err);
	assert_int_equal(weir_state_load(&up, &id, &payload, &len, err, sizeof err), 0);
	assert_int_equal(weir_state_load(&down, &id, &payload, &len, err, sizeof err), 0);
	for (uint64_t k = 1; k <= 5; k++) {
		char p[8];
		snprintf(p, sizeof p, "up%llu", (unsigned long long)k);
		struct weir_ckpt c = {k, 0, false};
		assert_int_equal(weir_state_save(&up, c, p, strlen(p), err, sizeof err), 0);
		if (k <= 2)
			weir_state_save(&down, c, "d", 1, err, sizeof err);
	}
	/* downstream is at 2: upstream kept 2, 3, 4 beside its newest, 5 */
	assert_int_equal(access(path("up.1"), F_OK), -1);
	assert_int_equal(access(path("up.2"), F_OK), 0);
	assert_int_equal(access(path("up.4"), F_OK), 0);
	weir_state_free(&up);
	weir_state_init(&up, path("up"), "weir-watermark", "", err, sizeof err);
	assert_int_equal(weir_state_load(&up, &id, &payload, &len, err, sizeof err), 1);
	assert_true(id.n == 2);
	assert_memory_equal(payload, "up2", 3);
	free(payload);
	/* once downstream passes them, they go */
	struct weir_ckpt six = {6, 0, false};
	weir_state_save(&down, six, "d", 1, err, sizeof err);
	weir_state_save(&up, six, "up6", 3, err, sizeof err);
	assert_int_equal(access(path("up.2"), F_OK), -1);
	assert_int_equal(access(path("up.5"), F_OK), -1);
	/* a history file that is gone: refused, naming who is behind */
	struct weir_ckpt three = {3, 0, false};
	weir_state_save(&down, three, "d", 1, err, sizeof err);
	weir_state_free(&up);
	weir_state_init(&up, path("up"), "weir-watermark", "", err, sizeof err);
	assert_int_equal(weir_state_load(&up, &id, &payload, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "no longer has checkpoint 3"));
	assert_non_null(strstr(err, path("down")));
	weir_state_free(&up);
	weir_state_free(&down);
}

/* A program enrols as it starts: until it has checkpoint N, nobody goes
 * back to N, and a restart begins every program afresh. */
static void
a_program_that_started_holds_the_ledger_at_the_start(void **state)
{
	(void)state;
	struct weir_state src, join;
	char err[512];
	struct weir_ckpt id;
	char *payload;
	size_t len;
	assert_int_equal(mkdir(path("e"), 0755), 0);
	weir_state_init(&src, path("e/src"), "weir-replay", "", err, sizeof err);
	weir_state_init(&join, path("e/join"), "weir-join", "", err, sizeof err);
	assert_int_equal(weir_state_load(&src, &id, &payload, &len, err, sizeof err), 0);
	assert_true(weir_state_alone(&src));
	/* the join starts: its file is there before it reads a line */
	assert_int_equal(weir_state_load(&join, &id, &payload, &len, err, sizeof err), 0);
	assert_int_equal(access(path("e/join"), F_OK), 0);
	assert_false(weir_state_alone(&src));
	for (uint64_t k = 1; k <= 3; k++) {
		struct weir_ckpt c = {k, 0, false};
		assert_int_equal(weir_state_save(&src, c, "s", 1, err, sizeof err), 0);
	}
	assert_true(weir_state_completed(&src).n == 0);
	/* killed before the join's first checkpoint: both start afresh, and
	 * the source's old checkpoints, of a numbering that starts again, go */
	weir_state_free(&src);
	weir_state_free(&join);
	weir_state_init(&src, path("e/src"), "weir-replay", "", err, sizeof err);
	weir_state_init(&join, path("e/join"), "weir-join", "", err, sizeof err);
	assert_int_equal(weir_state_load(&src, &id, &payload, &len, err, sizeof err), 0);
	assert_int_equal(weir_state_load(&join, &id, &payload, &len, err, sizeof err), 0);
	assert_int_equal(access(path("e/src.1"), F_OK), -1);
	assert_int_equal(access(path("e/src.2"), F_OK), -1);
	/* once both have 1, the restart goes back to 1 */
	struct weir_ckpt one = {1, 0, false};
	assert_int_equal(weir_state_save(&src, one, "s1", 2, err, sizeof err), 0);
	assert_int_equal(weir_state_save(&join, one, "j1", 2, err, sizeof err), 0);
	weir_state_free(&src);
	weir_state_init(&src, path("e/src"), "weir-replay", "", err, sizeof err);
	assert_int_equal(weir_state_load(&src, &id, &payload, &len, err, sizeof err), 1);
	assert_true(id.n == 1);
	assert_memory_equal(payload, "s1", 2);
	free(payload);
	weir_state_free(&src);
	weir_state_free(&join);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(payload_round_trips_and_a_short_one_is_bad),
		cmocka_unit_test(a_saved_state_loads_back_and_every_wrong_file_is_refused),
		cmocka_unit_test(the_ledger_goes_back_to_what_every_file_has_and_keeps_only_that),
		cmocka_unit_test(a_program_that_started_holds_the_ledger_at_the_start),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
