/*
 * bloom.h - Parquet split-block bloom filters (BloomFilter.md) and
 * xxHash64 (internal).
 *
 * A filter is a bitset of nbytes (a power of two, >= 32): blocks of 256
 * bits, eight 32-bit words each.  A value's hash is xxHash64 (seed 0) of
 * its PLAIN encoding, without the length prefix for byte arrays: the
 * 4 little-endian bytes of an INT32, the 8 of an INT64 or DOUBLE, the raw
 * bytes of a string.  The block is chosen from the hash's upper 32 bits,
 * the bits within it from the lower 32 bits times the eight SALT constants.
 * Bitsets are little-endian on disk, which is this CPU's order.
 */
#ifndef VF_PQ_BLOOM_H
#define VF_PQ_BLOOM_H

#include "../common/internal.h"

uint64_t pq_xxhash64(const void *p, size_t n, uint64_t seed);

/* The smallest power-of-two size in bytes, between 32 and 128 MiB, for
 * ndv distinct values at false-positive probability fpp (0 < fpp < 1). */
size_t pq_bloom_bytes(uint64_t ndv, double fpp);

/* nbytes: a power of two >= 32. */
void pq_bloom_insert(uint8_t *bitset, size_t nbytes, uint64_t hash);
bool pq_bloom_check(const uint8_t *bitset, size_t nbytes, uint64_t hash);

#endif
