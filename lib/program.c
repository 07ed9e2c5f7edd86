/*
 * program.c: the shared main().
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"

/*
 * The options a state file must have been written with: the command line
 * less what only routes output, reports or paces (--stats, --metrics, -u,
 * --errors, --on-error, --late, --idle, --dups, --state; weir-replay's
 * --checkpoint-every, --rate, --speed, --progress, --follow; the Kafka
 * programs' --brokers, -X, --exit-at-end) and less the
 * input files.  getopt has put the options first, in their order.
 */
static char *
fingerprint(int argc, char **argv, int first, int used)
{
	static const char *const loose[] = {"--metrics", "--errors", "--on-error", "--late",
		"--idle", "--dups", "--state", "--checkpoint-every", "--rate", "--speed",
		"--brokers", "-b", "--property", "-X", NULL};
	static const char *const flags[] = {"--stats", "-u", "--unbuffered", "--progress",
		"--follow", "-f", "--exit-at-end", "-e", "--verbose", "-v", NULL};
	struct weir_buf b = {0};
	for (int i = 1; i < first + used && i < argc; i++) {
		const char *a = argv[i];
		bool skip = false;
		for (int k = 0; flags[k]; k++)
			skip |= strcmp(a, flags[k]) == 0;
		for (int k = 0; loose[k] && !skip; k++) {
			size_t n = strlen(loose[k]);
			if (strncmp(a, loose[k], n) == 0 && a[n] == '=')
				skip = true;
			else if (strcmp(a, loose[k]) == 0 && i < first) {
				skip = true;
				i++;	/* and its value */
			}
		}
		if (skip)
			continue;
		if ((b.n && weir_buf_add(&b, " ", 1) < 0) || weir_buf_str(&b, a) < 0) {
			weir_buf_free(&b);
			return NULL;
		}
	}
	if (weir_buf_add(&b, "", 1) < 0) {
		weir_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static void
usage(const struct weir_program *p, FILE *f)
{
	fprintf(f, "usage: %s\n", p->synopsis);
}

int
weir_program_main(const struct weir_program *p, int argc, char **argv)
{
	struct weir_opts opts = {0};
	char err[512];
	int status;

	weir_signals(false);	/* SIGUSR1 must not kill a program that just started */

	int first = weir_options_parse(&opts, argc, argv, p->features, p->options, p->option,
	    p->state);
	if (first == WEIR_OPTS_HELP) {
		usage(p, stdout);
		printf("%s\n\n%s%s\nSee %s(1) and weir(7).\n", p->summary,
		    p->own_help ? p->own_help : "", weir_options_help, p->name);
		status = fclose(stdout) == 0 ? WEIR_EXIT_OK : WEIR_EXIT_FAILURE;
		goto out;
	}
	if (first == WEIR_OPTS_VERSION) {
		printf("%s %s\n", p->name, WEIR_VERSION);
		status = fclose(stdout) == 0 ? WEIR_EXIT_OK : WEIR_EXIT_FAILURE;
		goto out;
	}
	if (first < 0) {
		fprintf(stderr, "%s: %s\n", p->name, opts.error);
		usage(p, stderr);
		status = WEIR_EXIT_USAGE;
		goto out;
	}
	struct weir_ctx *ctx = weir_ctx_new(p->name, &opts, p->hooks, p->state, err, sizeof err);
	if (ctx == NULL) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		status = WEIR_EXIT_FAILURE;
		goto out;
	}
	if (weir_where_compile(ctx, err, sizeof err) < 0) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		usage(p, stderr);
		weir_ctx_free(ctx);
		status = WEIR_EXIT_USAGE;
		goto out;
	}
	int used = 0;
	if (p->setup) {
		err[0] = '\0';
		used = p->setup(ctx, argc - first, argv + first, err, sizeof err);
		if (used < 0) {
			fprintf(stderr, "%s: %s\n", p->name, err);
			status = WEIR_EXIT_FAILURE;
			if (used != WEIR_SETUP_FAILED) {
				usage(p, stderr);
				status = WEIR_EXIT_USAGE;
			}
			weir_ctx_free(ctx);
			goto out;
		}
	}
	if (opts.max_ahead > 0 && (ctx->source || ctx->ninputs > 1 || ctx->untimed)) {
		fprintf(stderr, "%s: --max-ahead applies to a program that reads one stream in "
		    "event time\n", p->name);
		usage(p, stderr);
		weir_ctx_free(ctx);
		status = WEIR_EXIT_USAGE;
		goto out;
	}
	char *print = NULL;
	if (opts.state_file) {
		if ((print = fingerprint(argc, argv, first, used)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", p->name);
			weir_ctx_free(ctx);
			status = WEIR_EXIT_FAILURE;
			goto out;
		}
		ctx->fingerprint = print;
	}
	status = weir_run(ctx, argv + first + used, argc - first - used);
	free(print);
	/* the message last, once the program let go of everything (weir-top
	 * gives the terminal back) */
	char error[sizeof ctx->error] = "";
	if (status != WEIR_EXIT_OK)
		snprintf(error, sizeof error, "%s", ctx->error);
	weir_ctx_free(ctx);
	if (p->teardown)
		p->teardown(p->state);
	if (error[0])
		fprintf(stderr, "%s: %s\n", p->name, error);
	weir_options_free(&opts);
	return status;
out:
	if (p->teardown)
		p->teardown(p->state);
	weir_options_free(&opts);
	return status;
}
