/*
 * program.h: the front end every bin/weir-X.c shares: options, --help,
 * --version, usage errors (exit 2), the run, the final message.
 *
 * This is the one piece of lib/ that prints and decides exit statuses: it
 * is what bin/ would otherwise repeat in each file.  A program describes
 * itself in a weir_program and its main() is one call.
 */
#ifndef WEIR_PROGRAM_H
#define WEIR_PROGRAM_H

#include "driver.h"

#define WEIR_SETUP_FAILED (-2)

struct weir_program {
	const char *name;		/* "weir-window" */
	const char *synopsis;		/* the usage line(s), as the man page's SYNOPSIS */
	const char *summary;		/* one line: what it does */
	const char *own_help;		/* its own options, one per line */
	int features;			/* WEIR_FEATURE_* shared options it takes */
	const struct weir_optdef *options;
	weir_optfn *option;		/* called with `state` for each own option */
	void *state;			/* the program's, borrowed */
	const struct weir_hooks *hooks;
	/*
	 * Called after the options with the operands; reads those it needs
	 * (e.g. `tumbling 1m`), adds its paths to ctx->plan, builds its state.
	 * Returns how many operands it used (the rest are input files), -1
	 * after writing a usage message into err (exit 2), or WEIR_SETUP_FAILED
	 * after writing what failed into err (a file it must read: exit 1).
	 * May be NULL.
	 */
	int (*setup)(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen);
	/* Releases the state; may be NULL. */
	void (*teardown)(void *state);
};

/* Runs the program; the return value is the exit status. */
int weir_program_main(const struct weir_program *p, int argc, char **argv);

#endif
