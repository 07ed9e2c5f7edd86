/*
 * program.c: the shared main().
 */
#include <stdio.h>
#include <string.h>

#include "program.h"

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
	status = weir_run(ctx, argv + first + used, argc - first - used);
	if (status != WEIR_EXIT_OK && ctx->error[0])
		fprintf(stderr, "%s: %s\n", p->name, ctx->error);
	weir_ctx_free(ctx);
out:
	if (p->teardown)
		p->teardown(p->state);
	weir_options_free(&opts);
	return status;
}
