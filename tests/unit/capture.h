/*
 * capture.h: for the unit tests that run the driver (test_driver.c,
 * test_inputs.c).  Included after cmocka.h and lib/driver.h.
 */
#ifndef WEIR_TEST_CAPTURE_H
#define WEIR_TEST_CAPTURE_H

/* Runs ctx over the inputs with its output into a pipe and its diagnostics
 * into a temporary file, then frees ctx.  out and err get what was written,
 * cut to their size and NUL-terminated, *count the counters; returns
 * weir_run's status.  (A test writes less than a pipe holds.) */
static int
run_captured(struct weir_ctx *ctx, char **inputs, int n, char *out, size_t outcap, char *err,
    size_t errcap, struct weir_counters *count)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	weir_output_free(ctx->out);
	ctx->out = weir_output_new(fds[1], false, false);
	FILE *diag = tmpfile();
	ctx->diag = diag;
	int status = weir_run(ctx, inputs, n);
	*count = ctx->count;
	weir_ctx_free(ctx);
	close(fds[1]);
	ssize_t got = read(fds[0], out, outcap - 1);
	out[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	rewind(diag);
	got = (ssize_t)fread(err, 1, errcap - 1, diag);
	err[got > 0 ? got : 0] = '\0';
	fclose(diag);
	return status;
}

#endif
