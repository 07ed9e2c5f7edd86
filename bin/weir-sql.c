/*
 * weir-sql: a whole query in one string, in PostgreSQL's SQL with Flink's
 * group windows, compiled to a pipeline of weir's programs (lib/sql.h),
 * run, or printed as a shell command line (--explain).
 *
 *   query ──► weir_sql_compile ──► stages + the shared options, each to
 *   the program it concerns ──► fork/exec, one pipe between each two
 *
 * The pipeline's status is the last stage's that failed (as the shell's
 * pipefail), a stage that a closed pipe stopped counting as done.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/sql.h"

enum role { TO_READER, TO_TIMED, TO_TIMED_ALL, TO_WEIR, TO_LAST, TO_AGG };

/* The shared options weir sql passes on, and to which stage. */
static const struct passed {
	const char *name;
	int has_arg;
	int val;
	enum role role;
} passed[] = {
	{"input-format", required_argument, 'i', TO_READER},
	{"time", required_argument, 't', TO_TIMED_ALL},
	{"time-format", required_argument, 'T', TO_TIMED_ALL},
	{"processing-time", no_argument, 1000, TO_TIMED},
	{"lag", required_argument, 1001, TO_TIMED},
	{"idle", required_argument, 1002, TO_TIMED},
	{"late", required_argument, 1003, TO_TIMED},
	{"max-ahead", required_argument, 1004, TO_TIMED},
	{"state", required_argument, 1005, TO_TIMED},
	{"metrics", required_argument, 1006, TO_TIMED},
	{"on-error", required_argument, 1007, TO_WEIR},
	{"errors", required_argument, 1008, TO_WEIR},
	{"stats", no_argument, 1009, TO_WEIR},
	{"unbuffered", no_argument, 'u', TO_WEIR},
	{"output-format", required_argument, 'o', TO_LAST},
	{"emit", required_argument, 1010, TO_AGG},
	{"tz", required_argument, 1011, TO_AGG},
	{"allowed-lateness", required_argument, 1012, TO_AGG},
	{"exact", no_argument, 1013, TO_AGG},
	{"time-output", required_argument, 1014, TO_AGG},
	{"strings", no_argument, 'S', TO_AGG},
};
#define NPASSED (sizeof passed / sizeof *passed)

enum { OPT_EXPLAIN = 2000, OPT_HELP, OPT_VERSION };

struct given {
	const struct passed *p;
	const char *value;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: weir-sql [--explain] [options] 'SELECT … FROM … [WHERE …] [GROUP BY …] "
	    "[HAVING …]'\n");
}

static void
help(void)
{
	usage(stdout);
	fputs("Runs one SELECT over event streams as a pipeline of weir's programs.\n\n"
	    "      --explain            print the pipeline as a shell command line, run nothing\n"
	    "  -t, --time FIELD         event-time field (a window's or ORDER BY's column sets it)\n"
	    "  -T, --time-format FMT    auto, rfc3339, epoch, epoch_ms, epoch_us, epoch_ns, or a "
	    "%-pattern\n"
	    "      --processing-time    use the wall clock at arrival as event time\n"
	    "      --lag DUR            bounded out-of-orderness (default 0)\n"
	    "      --idle DUR           advance the watermark after DUR of silence\n"
	    "      --late POLICY        drop, pass, or a FILE late events are appended to\n"
	    "      --max-ahead DUR      reject an event more than DUR ahead of the watermark\n"
	    "      --state FILE         checkpoint the windows at each barrier; resume\n"
	    "      --emit MODE          final (default), updates, or every:DUR (GROUP BY)\n"
	    "      --allowed-lateness DUR, --tz ZONE, --exact, --time-output FMT, -S  as in "
	    "weir-agg(1)\n"
	    "  -i, --input-format FMT   json, csv, tsv, or a log format (see weir-parse(1))\n"
	    "  -o, --output-format FMT  json, csv (one header) or csvlite\n"
	    "      --on-error POLICY    warn, skip or fail (exit 65) on a rejected line\n"
	    "      --errors FILE        append rejected lines to FILE, byte for byte\n"
	    "  -u, --unbuffered         flush after every line\n"
	    "      --stats              each program's counters, one JSON line each on stderr\n"
	    "      --metrics FILE       the counters in Prometheus text format, every second\n"
	    "  -h, --help, -V, --version\n\n"
	    "See weir-sql(1) and weir(7).\n", stdout);
}

/* --- the command line of each stage ------------------------------------------------- */

struct cmd {
	char **argv[WEIR_SQL_STAGES];
	char *owned[WEIR_SQL_STAGES * 64];	/* the options' names, --NAME */
	int nowned;
};

static char **
add_arg(char **v, int *n, const char *a)
{
	char **nv = realloc(v, (size_t)(*n + 2) * sizeof *nv);
	if (nv == NULL) {
		fputs("weir-sql: out of memory\n", stderr);
		exit(70);
	}
	nv[(*n)++] = (char *)a;
	nv[*n] = NULL;
	return nv;
}

static bool
wants(const struct weir_sql *s, int i, enum role r)
{
	const struct weir_sql_stage *st = &s->stage[i];
	int last = -1;
	for (int k = 0; k < s->n; k++)
		if (s->stage[k].weir)
			last = k;
	int timed = s->timed >= 0 ? s->timed : s->reader;
	switch (r) {
	case TO_READER:
		return i == s->reader;
	case TO_TIMED:
		return i == timed;
	case TO_TIMED_ALL:	/* the time field: every program that reads times */
		return i == timed || (st->weir && strcmp(st->argv[0], "weir-select") != 0);
	case TO_WEIR:
		return st->weir;
	case TO_LAST:
		return i == last;
	case TO_AGG:
		return i == s->agg;
	}
	return false;
}

/* Each stage's argv: the compiled arguments, the options it takes, and
 * for the reader, the files.  -1 when an option reaches no stage. */
static int
build(const struct weir_sql *s, const struct given *g, int ng, struct cmd *c)
{
	for (int i = 0; i < s->n; i++) {
		const struct weir_sql_stage *st = &s->stage[i];
		char **v = NULL;
		int n = 0;
		for (int k = 0; k < st->argc; k++)
			v = add_arg(v, &n, st->argv[k]);
		bool has_t = false;	/* -t the query named: the user's, which agrees, once */
		for (int k = 0; k + 1 < st->argc; k++)
			has_t |= strcmp(st->argv[k], "-t") == 0;
		if (i == s->reader && s->input_format) {
			bool own = false;
			for (int k = 0; k < ng; k++)
				own |= g[k].p->val == 'i';
			if (!own) {
				v = add_arg(v, &n, "-i");
				v = add_arg(v, &n, s->input_format);
			}
		}
		for (int k = 0; k < ng; k++) {
			if (!wants(s, i, g[k].p->role) || (g[k].p->val == 't' && has_t))
				continue;
			char *opt = malloc(strlen(g[k].p->name) + 3);
			if (opt == NULL || c->nowned == WEIR_SQL_STAGES * 64) {
				free(opt);
				fputs("weir-sql: out of memory\n", stderr);
				return -1;
			}
			c->owned[c->nowned++] = opt;
			sprintf(opt, "--%s", g[k].p->name);
			v = add_arg(v, &n, opt);
			if (g[k].value)
				v = add_arg(v, &n, g[k].value);
		}
		if (i == s->reader)
			for (int k = 0; k < s->nfiles; k++)
				v = add_arg(v, &n, s->files[k]);
		c->argv[i] = v;
	}
	for (int k = 0; k < ng; k++) {
		if (g[k].p->val == 1005 && s->stateful_after_join) {
			fputs("weir-sql: --state: this query keeps state in weir-join and in the program "
			    "after it; run the pipeline --explain prints with a --state file for each\n",
			    stderr);
			return -1;
		}
		bool any = false;
		for (int i = 0; i < s->n; i++)
			any |= wants(s, i, g[k].p->role);
		if (!any) {
			fprintf(stderr, "weir-sql: --%s: %s\n", g[k].p->name, g[k].p->role == TO_AGG ?
			    "this query has no GROUP BY for it to apply to" : "no program of this "
			    "query takes it");
			return -1;
		}
	}
	return 0;
}

/* --- --explain ---------------------------------------------------------------------- */

static void
put_word(FILE *f, const char *w)
{
	bool plain = *w != '\0';
	for (const char *p = w; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("-_./:,=+@%", *p)))
			plain = false;
	if (plain) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (const char *p = w; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

static void
explain(const struct weir_sql *s, const struct cmd *c, FILE *f)
{
	size_t len = 0;
	for (int i = 0; i < s->n; i++)
		for (char **a = c->argv[i]; *a; a++)
			len += strlen(*a) + 3;
	for (int i = 0; i < s->n; i++) {
		if (i)
			fputs(len > 100 ? " \\\n  | " : " | ", f);
		for (char **a = c->argv[i]; *a; a++) {
			if (a != c->argv[i])
				fputc(' ', f);
			put_word(f, *a);
		}
	}
	fputc('\n', f);
}

/* --- running ------------------------------------------------------------------------ */

static pid_t children[WEIR_SQL_STAGES];
static int nchildren;

static void
forward(int sig)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i] > 0)
			kill(children[i], sig);
}

/* A weir program next to this one (its build or install directory), or
 * the name for PATH. */
static const char *
program(const char *name, char *buf, size_t size)
{
	if (strncmp(name, "weir-", 5) != 0)
		return name;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return name;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash == NULL)
		return name;
	*slash = '\0';
	snprintf(buf, size, "%s/%s", self, name);
	return access(buf, X_OK) == 0 ? buf : name;
}

static int
run(const struct weir_sql *s, const struct cmd *c)
{
	struct sigaction sa = {0};
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	int in = -1;
	for (int i = 0; i < s->n; i++) {
		int fd[2] = {-1, -1};
		if (i + 1 < s->n && pipe(fd) < 0) {
			fprintf(stderr, "weir-sql: pipe: %s\n", strerror(errno));
			forward(SIGTERM);
			return 71;
		}
		char path[PATH_MAX + 64];
		const char *prog = program(c->argv[i][0], path, sizeof path);
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "weir-sql: fork: %s\n", strerror(errno));
			forward(SIGTERM);
			return 71;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGUSR1, SIG_DFL);
			if (in >= 0) {
				dup2(in, 0);
				close(in);
			}
			if (fd[1] >= 0) {
				dup2(fd[1], 1);
				close(fd[1]);
				close(fd[0]);
			}
			execvp(prog, c->argv[i]);
			fprintf(stderr, "weir-sql: cannot run %s: %s\n", c->argv[i][0],
			    strerror(errno));
			_exit(127);
		}
		children[nchildren++] = pid;
		if (in >= 0)
			close(in);
		if (fd[1] >= 0)
			close(fd[1]);
		in = fd[0];
	}
	int status = 0;
	for (int i = 0; i < nchildren; i++) {
		int st;
		while (waitpid(children[i], &st, 0) < 0 && errno == EINTR)
			;
		children[i] = -1;
		int code = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WTERMSIG(st) == SIGPIPE ? 0 : 128 + WTERMSIG(st);
		if (code != 0)
			status = code;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct option longs[NPASSED + 4];
	char shorts[64] = ":hV";
	for (size_t i = 0; i < NPASSED; i++) {
		longs[i] = (struct option){passed[i].name, passed[i].has_arg, NULL, passed[i].val};
		if (passed[i].val < 256) {
			size_t n = strlen(shorts);
			shorts[n] = (char)passed[i].val;
			shorts[n + 1] = '\0';
			if (passed[i].has_arg)
				strcat(shorts, ":");
		}
	}
	longs[NPASSED] = (struct option){"explain", no_argument, NULL, OPT_EXPLAIN};
	longs[NPASSED + 1] = (struct option){"help", no_argument, NULL, 'h'};
	longs[NPASSED + 2] = (struct option){"version", no_argument, NULL, 'V'};
	longs[NPASSED + 3] = (struct option){NULL, 0, NULL, 0};
	struct given given[64];
	int ng = 0;
	bool explain_only = false;
	struct weir_sql_opts o = {0};
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			const char *opt = argv[optind - 1];
			if (ch == '?' && optopt && strncmp(opt, "--", 2) != 0)
				fprintf(stderr, "weir-sql: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "weir-sql: %s '%s'\n", ch == ':' ? "a value is missing after" :
				    "unknown option", opt);
			usage(stderr);
			return 2;
		}
		if (ch == 'h') {
			help();
			return 0;
		}
		if (ch == 'V') {
			printf("weir-sql %s\n", WEIR_VERSION);
			return 0;
		}
		if (ch == OPT_EXPLAIN) {
			explain_only = true;
			continue;
		}
		size_t i = 0;
		while (i < NPASSED && passed[i].val != ch)
			i++;
		if (i == NPASSED || ng == 64) {
			usage(stderr);
			return 2;
		}
		given[ng++] = (struct given){&passed[i], optarg};
		if (ch == 't')
			o.time_field = optarg;
		if (passed[i].val == 1000)
			o.processing_time = true;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "weir-sql: %s\n", optind == argc ? "give the query, e.g. weir sql "
		    "'SELECT status, count(*) FROM stdin GROUP BY status'" :
		    "one query (name the files in FROM, in quotes)");
		usage(stderr);
		return 2;
	}
	struct weir_sql s;
	char err[4096];
	if (weir_sql_compile(argv[optind], &o, &s, err, sizeof err) < 0) {
		fprintf(stderr, "weir-sql: %s\n", err);
		weir_sql_free(&s);
		return 2;
	}
	struct cmd c = {{0}};
	int rc = build(&s, given, ng, &c);
	if (rc < 0) {
		rc = 2;
	} else if (explain_only) {
		explain(&s, &c, stdout);
		rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 74;
		if (rc)
			fprintf(stderr, "weir-sql: write error: %s\n", strerror(errno));
	} else {
		rc = run(&s, &c);
	}
	for (int i = 0; i < s.n; i++)
		free(c.argv[i]);
	for (int i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	weir_sql_free(&s);
	return rc;
}
