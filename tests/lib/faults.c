/*
 * faults.c: an LD_PRELOAD shim that makes one system call fail, as jq's
 * tests inject I/O errors.  WEIR_FAULT="OP ERRNO MATCH AFTER":
 *
 *   OP     read, write, fsync or rename
 *   ERRNO  EIO, ENOSPC, EDQUOT or EROFS
 *   MATCH  fd:N, or a substring of the file's path (rename: the new
 *          name), or * for any
 *   AFTER  how many matching calls succeed before the failures start
 *
 * Only direct calls are seen (stdio writes inside libc are not), which is
 * where weir's output, reading, state and offsets go.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char op[16], match[256];
static int err_code;
static long after = -1;

/* Reads WEIR_FAULT once, when the shim is loaded: before any thread of
 * the program runs, so that a reader thread never sees it half parsed. */
__attribute__((constructor)) static void
setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	const char *spec = getenv("WEIR_FAULT");
	char name[16];
	if (spec == NULL || sscanf(spec, "%15s %15s %255s %ld", op, name, match, &after) != 4) {
		after = -1;
		return;
	}
	err_code = strcmp(name, "ENOSPC") == 0 ? ENOSPC : strcmp(name, "EDQUOT") == 0 ? EDQUOT :
	    strcmp(name, "EROFS") == 0 ? EROFS : EIO;
}

static int
fails(const char *what, int fd, const char *path)
{
	setup();
	if (after < 0 || strcmp(what, op) != 0)
		return 0;
	char buf[4096];
	if (strncmp(match, "fd:", 3) == 0) {
		if (fd != atoi(match + 3))
			return 0;
	} else if (strcmp(match, "*") != 0) {
		if (path == NULL) {
			char link[64];
			snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
			ssize_t n = readlink(link, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			path = buf;
		}
		if (strstr(path, match) == NULL)
			return 0;
	}
	if (after > 0) {
		after--;
		return 0;
	}
	errno = err_code;
	return 1;
}

ssize_t
read(int fd, void *p, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	return fails("read", fd, NULL) ? -1 : real(fd, p, n);
}

ssize_t
write(int fd, const void *p, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return fails("write", fd, NULL) ? -1 : real(fd, p, n);
}

int
fsync(int fd)
{
	static int (*real)(int);
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return fails("fsync", fd, NULL) ? -1 : real(fd);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	return fails("rename", -1, to) ? -1 : real(from, to);
}
