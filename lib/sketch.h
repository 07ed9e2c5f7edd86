/*
 * sketch.h: bounded summaries of unbounded streams.
 *
 * weir_quantiles is a DDSketch: values fall in buckets whose bounds grow by
 * a factor gamma = (1 + a) / (1 - a), so any quantile it returns lies within
 * a relative error a of a true value at that rank.  Buckets are kept dense
 * between the smallest and largest index seen: with a = 1% a range of
 * 1 ns .. 1 day (in seconds) takes about 1,600 buckets, 13 KiB.  Zero and
 * negative values are counted apart, as zero.
 *
 * weir_distinct is a HyperLogLog with 2^14 one-byte registers (16 KiB),
 * standard error about 0.8%, fed 64-bit hashes (XXH3 of the value's bytes).
 *
 * Each owns its memory; *_free accept NULL.  Nothing here reads the clock.
 */
#ifndef WEIR_SKETCH_H
#define WEIR_SKETCH_H

#include <stddef.h>
#include <stdint.h>

struct weir_quantiles;

/* relative_error: e.g. 0.01.  Returns NULL when memory runs out. */
struct weir_quantiles *weir_quantiles_new(double relative_error);
void weir_quantiles_free(struct weir_quantiles *q);

/* Adds a value; returns -1 when memory runs out. */
int weir_quantiles_add(struct weir_quantiles *q, double value);

uint64_t weir_quantiles_count(const struct weir_quantiles *q);

/* The value at rank q (0..1), within the relative error; 0 when empty. */
double weir_quantiles_value(const struct weir_quantiles *q, double rank);

/* An upper bound: at least a fraction `rank` of the values are <= it. */
double weir_quantiles_upper(const struct weir_quantiles *q, double rank);

/* Exact smallest and largest value added (0 when empty). */
double weir_quantiles_min(const struct weir_quantiles *q);
double weir_quantiles_max(const struct weir_quantiles *q);

struct weir_distinct;

struct weir_distinct *weir_distinct_new(void);
void weir_distinct_free(struct weir_distinct *d);
void weir_distinct_add(struct weir_distinct *d, const void *bytes, size_t len);
double weir_distinct_estimate(const struct weir_distinct *d);

#endif
