/*
 * state.h: checkpoints of a program's state in a file (SPEC §4, §7).
 *
 * A checkpoint is named by the barrier it was taken at, and by how many
 * lines after that barrier (a stop between barriers):
 *
 *   {"_checkpoint":7}                       id (7, 0)
 *   {"_checkpoint":7,"lines":120,"stop":true}  id (7, 120): 120 lines past
 *                                           barrier 7 (0: the input's start)
 *
 * File (all integers little-endian):
 *
 *   "\x89WEIRST\n"  u32 version  u32 flags  u64 id.n  u64 id.lines
 *   u64 payload length  u16+program  u16+base name  u32+fingerprint
 *   payload  u32 crc32 of everything before it
 *
 * The program is the one that wrote it ("weir-agg"), the base name is the
 * file's own name (so a hard link or a temporary copy is not taken for
 * another program's file), the fingerprint the options that shape the
 * state.  Written to a temporary file, fsync, rename, fsync of the
 * directory: a crash leaves the old file or the new one, never a mix.
 *
 * The ledger: the state files of one pipeline share a directory.  A
 * program takes checkpoint N after every program upstream of it did, so
 * the one the whole pipeline completed is the lowest newest id over the
 * directory.  Each program keeps the older checkpoints it wrote (as
 * FILE.N, hard links) until every file in the directory is past them,
 * and on restart goes back to that lowest one.
 */
#ifndef WEIR_STATE_H
#define WEIR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

#define WEIR_STATE_VERSION 1

struct weir_ckpt {
	uint64_t n;		/* the barrier's number; 0: the input's start */
	uint64_t lines;		/* lines read after it */
	bool counted;		/* lines counted by this program over its own input
				   (a stop between barriers), not received */
};

static inline int
weir_ckpt_cmp(struct weir_ckpt a, struct weir_ckpt b)
{
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	return a.lines < b.lines ? -1 : a.lines > b.lines;
}

/* --- the payload: what a program writes and reads back ------------------- */

int weir_put_u64(struct weir_buf *b, uint64_t v);
int weir_put_i64(struct weir_buf *b, int64_t v);
/* A length, then the bytes. */
int weir_put_bytes(struct weir_buf *b, const void *p, size_t n);

/* Reading: a short or malformed payload sets bad (and gives zeros), so a
 * reader checks once at the end. */
struct weir_get {
	const char *p;
	size_t n, at;
	bool bad;
};

uint64_t weir_get_u64(struct weir_get *g);
int64_t weir_get_i64(struct weir_get *g);
/* Points into the payload; NULL (and bad) when it is too short. */
const char *weir_get_bytes(struct weir_get *g, size_t *n);
/* A count of items of at least `each` bytes that the rest could hold:
 * a corrupt count cannot make the reader allocate without bound. */
uint64_t weir_get_count(struct weir_get *g, size_t each);

/* --- the file ------------------------------------------------------------- */

struct weir_state {
	char *path, *dir, *base;
	const char *program;
	const char *fingerprint;
	bool have;			/* the file exists and holds `cur` */
	struct weir_ckpt cur;
	uint64_t *history;		/* ids n of FILE.n, ascending */
	size_t nhistory, history_cap;
	bool warned_history;
	/* a warning weir_state_save left for the caller to print (once), or "" */
	char warning[400];
	/* the checkpoints this run wrote, and when: kept while it is alone
	 * in the directory (a program downstream may not have started) */
	uint64_t young_id[64];
	int64_t young_at[64];
	int nyoung;
	/* figures of the last write, for --stats and --metrics */
	uint64_t saves;
	uint64_t last_bytes;
	int64_t last_ns;
};

/* Fills s for path; reads nothing yet.  -1 with a message on bad paths. */
int weir_state_init(struct weir_state *s, const char *path, const char *program,
    const char *fingerprint, char *err, size_t errlen);
void weir_state_free(struct weir_state *s);

/*
 * What to restore: the checkpoint the pipeline completed (the lowest over
 * the directory's state files), from the file or its history.  Returns 1
 * with the payload (malloc'd) and its id, 0 when there is no state (a
 * first start), -1 with a message naming the file when it is corrupt,
 * truncated, empty, another program's, another version, written with
 * other options, or when the checkpoint needed is gone.
 */
int weir_state_load(struct weir_state *s, struct weir_ckpt *id, char **payload, size_t *len,
    char *err, size_t errlen);

/* Writes the payload as checkpoint id, atomically; keeps what the ledger
 * still needs and removes what it does not.  -1 with a message (the
 * previous checkpoint is intact).  Something the user should know but
 * that does not fail the save is left in s->warning. */
int weir_state_save(struct weir_state *s, struct weir_ckpt id, const void *payload,
    size_t len, char *err, size_t errlen);

/* The checkpoint the whole pipeline has completed: the lowest newest id
 * over the directory's state files, ours included (a source asks, to
 * commit only what every program downstream has kept). */
struct weir_ckpt weir_state_completed(struct weir_state *s);

/* No other program's state file in the directory yet (a source waits a
 * little for those downstream to enrol before its first barrier). */
bool weir_state_alone(struct weir_state *s);
#define WEIR_ENROL_GRACE_NS (1000 * 1000 * 1000LL)

struct weir_state_hdr {
	uint32_t version;
	struct weir_ckpt id;
	const char *program, *base, *fingerprint, *payload;
	size_t program_len, base_len, fingerprint_len, payload_len;
};

/* Reads a file's bytes: with whole, the payload and checksum too (else the
 * header alone, as the ledger reads other programs' files).  0, or -1
 * with why. */
int weir_state_parse(const char *data, size_t n, bool whole, struct weir_state_hdr *h,
    const char **why);

#endif
