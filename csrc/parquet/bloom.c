/*
 * bloom.c - Parquet split-block bloom filters (BloomFilter.md of
 * apache/parquet-format) and the xxHash64 they hash with, written from the
 * xxHash specification (XXH64, version 0.1.1 of xxhash_spec.md).
 *
 * A filter is an array of 256-bit blocks, each eight 32-bit little-endian
 * words.  A 64-bit hash picks a block with its upper half (scaled to the
 * block count by a multiply and shift, so any block count works) and sets
 * or tests one bit in each word, chosen by its lower half times one of
 * eight odd SALT constants, top 5 bits.
 */
#include "bloom.h"

#include <math.h>

/* ---- xxHash64 ------------------------------------------------------------------ */
#define P1 UINT64_C(0x9E3779B185EBCA87)
#define P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P3 UINT64_C(0x165667B19E3779F9)
#define P4 UINT64_C(0x85EBCA77C2B2AE63)
#define P5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

static inline uint64_t le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian CPU (internal.h) */
    return v;
}

static inline uint32_t le32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t xx_round(uint64_t acc, uint64_t lane) { return rotl(acc + lane * P2, 31) * P1; }

static inline uint64_t xx_merge(uint64_t acc, uint64_t a) { return (acc ^ xx_round(0, a)) * P1 + P4; }

uint64_t pq_xxhash64(const void *data, size_t n, uint64_t seed) {
    const uint8_t *p = data;
    size_t i = 0; /* offsets, not pointers: data may be NULL when n is 0 */
    uint64_t acc;
    if (n >= 32) { /* stripes of 32 bytes, four lanes into four accumulators */
        uint64_t a1 = seed + P1 + P2, a2 = seed + P2, a3 = seed, a4 = seed - P1;
        for (; n - i >= 32; i += 32) {
            a1 = xx_round(a1, le64(p + i));
            a2 = xx_round(a2, le64(p + i + 8));
            a3 = xx_round(a3, le64(p + i + 16));
            a4 = xx_round(a4, le64(p + i + 24));
        }
        acc = rotl(a1, 1) + rotl(a2, 7) + rotl(a3, 12) + rotl(a4, 18);
        acc = xx_merge(acc, a1);
        acc = xx_merge(acc, a2);
        acc = xx_merge(acc, a3);
        acc = xx_merge(acc, a4);
    } else {
        acc = seed + P5;
    }
    acc += (uint64_t)n;
    for (; n - i >= 8; i += 8) acc = rotl(acc ^ xx_round(0, le64(p + i)), 27) * P1 + P4;
    if (n - i >= 4) {
        acc = rotl(acc ^ (uint64_t)le32(p + i) * P1, 23) * P2 + P3;
        i += 4;
    }
    for (; i < n; i++) acc = rotl(acc ^ p[i] * P5, 11) * P1;
    acc ^= acc >> 33;
    acc *= P2;
    acc ^= acc >> 29;
    acc *= P3;
    acc ^= acc >> 32;
    return acc;
}

/* ---- sizing --------------------------------------------------------------------- */
#define BLOOM_MIN_BYTES ((size_t)32)
#define BLOOM_MAX_BYTES ((size_t)128 << 20)

size_t pq_bloom_bytes(uint64_t ndv, double fpp) {
    /* bits per distinct value for 8 bits set per value (BloomFilter.md):
     * c = -8 / ln(1 - p^(1/8)) */
    if (!(fpp > 0.0)) return BLOOM_MAX_BYTES; /* no false positives at all: as large as allowed */
    if (!(fpp < 1.0) || ndv == 0) return BLOOM_MIN_BYTES;
    /* log1p: for a tiny fpp, 1 - p^(1/8) rounds to 1 and log() to 0 */
    double bits = -8.0 * (double)ndv / log1p(-pow(fpp, 1.0 / 8.0));
    if (!(bits >= 0 && bits < (double)BLOOM_MAX_BYTES * 8)) return BLOOM_MAX_BYTES; /* also inf and NaN */
    size_t need = (size_t)ceil(bits / 8), bytes = BLOOM_MIN_BYTES;
    while (bytes < need) bytes <<= 1;
    return bytes;
}

/* ---- insert and check ------------------------------------------------------------ */
static const uint32_t SALT[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                 0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

/* The byte offset of hash's block: the upper 32 bits scaled to the block count. */
static inline size_t block_of(size_t nbytes, uint64_t hash) {
    uint64_t nblocks = nbytes / 32;
    return (size_t)(((hash >> 32) * nblocks) >> 32) * 32;
}

void pq_bloom_insert(uint8_t *bitset, size_t nbytes, uint64_t hash) {
    uint8_t *b = bitset + block_of(nbytes, hash);
    const uint32_t key = (uint32_t)hash;
    for (int i = 0; i < 8; i++) {
        uint32_t w = le32(b + 4 * i) | UINT32_C(1) << ((key * SALT[i]) >> 27);
        memcpy(b + 4 * i, &w, 4);
    }
}

bool pq_bloom_check(const uint8_t *bitset, size_t nbytes, uint64_t hash) {
    const uint8_t *b = bitset + block_of(nbytes, hash);
    const uint32_t key = (uint32_t)hash;
    uint32_t miss = 0;
    for (int i = 0; i < 8; i++) miss |= ~le32(b + 4 * i) & UINT32_C(1) << ((key * SALT[i]) >> 27);
    return miss == 0;
}
