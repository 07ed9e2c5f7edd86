/*
 * hash.h: uthash with xxhash's XXH3 as its hash function.
 *
 * Include this instead of <uthash.h>.  uthash's default (Jenkins) hash
 * left long chains on keys such as "u012345" (100k users: 59% of a
 * session run walking chains); XXH3 spreads them and is faster on short
 * keys.
 */
#ifndef WEIR_HASH_H
#define WEIR_HASH_H

#include <xxhash.h>

#define HASH_FUNCTION(keyptr, keylen, hashv) \
	((hashv) = (unsigned)XXH3_64bits((keyptr), (size_t)(keylen)))
#include <uthash.h>

#endif
