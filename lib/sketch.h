/*
 * sketch.h: bounded, mergeable summaries of unbounded streams.
 *
 * weir_quantiles is a DDSketch: values fall in buckets whose bounds grow by
 * a factor gamma = (1 + a) / (1 - a), so any quantile it returns lies within
 * a relative error a of the true value at that rank.  Positive and negative
 * values have a store each (negatives by their magnitude); zero is counted
 * apart.  Each store is dense between the smallest and largest bucket it
 * has seen: with a = 1% the values 1 ms .. 10 s take about 460 buckets
 * (3.7 KiB), six decades about 700.
 *
 * weir_distinct counts distinct values by 64-bit hashes (XXH3 of the bytes).
 * It starts sparse, as a set of the hashes (exact up to hash collisions),
 * and turns into a HyperLogLog of 2^14 one-byte registers (16 KiB, standard
 * error about 0.8%) once it holds more than WEIR_DISTINCT_SPARSE hashes,
 * which is when the set would be the larger of the two.
 *
 * Both merge (the union of what two sketches saw, as if one had seen it
 * all) and write themselves as JSON to be read back: weir-agg --partial and
 * --merge.  Each owns its memory; *_free accept NULL.  Nothing here reads
 * the clock.
 */
#ifndef WEIR_SKETCH_H
#define WEIR_SKETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

struct weir_quantiles;

/* relative_error: e.g. 0.01.  Returns NULL when memory runs out. */
struct weir_quantiles *weir_quantiles_new(double relative_error);
void weir_quantiles_free(struct weir_quantiles *q);

/* Adds a value (NaN is ignored); returns -1 when memory runs out. */
int weir_quantiles_add(struct weir_quantiles *q, double value);

uint64_t weir_quantiles_count(const struct weir_quantiles *q);

/* The value at rank q (0..1): that of the k-th smallest value with
 * k = ceil(q * n) (nearest rank), within the relative error; 0 when empty. */
double weir_quantiles_value(const struct weir_quantiles *q, double rank);

/* An upper bound: at least a fraction `rank` of the values are <= it. */
double weir_quantiles_upper(const struct weir_quantiles *q, double rank);

/* Exact smallest and largest value added (0 when empty). */
double weir_quantiles_min(const struct weir_quantiles *q);
double weir_quantiles_max(const struct weir_quantiles *q);

/* Adds what src holds into dst (same relative error); -1 on memory or a
 * different relative error. */
int weir_quantiles_merge(struct weir_quantiles *dst, const struct weir_quantiles *src);

/* Bytes of memory it holds. */
size_t weir_quantiles_bytes(const struct weir_quantiles *q);

/* Appends it as one JSON object; -1 when memory runs out. */
int weir_quantiles_write(const struct weir_quantiles *q, struct weir_buf *b);

/* Reads what weir_quantiles_write wrote; NULL when it is not one. */
struct weir_quantiles *weir_quantiles_read(const json_t *v);

#define WEIR_DISTINCT_SPARSE 1024

struct weir_distinct;

struct weir_distinct *weir_distinct_new(void);
void weir_distinct_free(struct weir_distinct *d);
/* Return -1 when memory runs out. */
int weir_distinct_add(struct weir_distinct *d, const void *bytes, size_t len);
int weir_distinct_merge(struct weir_distinct *dst, const struct weir_distinct *src);
double weir_distinct_estimate(const struct weir_distinct *d);
size_t weir_distinct_bytes(const struct weir_distinct *d);
int weir_distinct_write(const struct weir_distinct *d, struct weir_buf *b);
struct weir_distinct *weir_distinct_read(const json_t *v);

#endif
