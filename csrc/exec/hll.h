/*
 * hll.h - HyperLogLog sketches for APPROX_DISTINCT (internal).
 *
 * One sketch per group, so most sketches see few values: a sketch starts
 * sparse (a small open-addressing map from register to rank) and becomes
 * 2^p dense byte registers only when the map would outgrow them.  Both
 * forms give the same estimate, and merging is a register-wise max, so
 * results do not depend on the order of inputs or on the thread count.
 */
#ifndef VF_HLL_H
#define VF_HLL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct vf_hll {
    uint32_t *sp;  /* sparse map: cap slots of idx << 8 | rank, 0 empty; or NULL */
    uint8_t *reg;  /* dense registers (2^p), or NULL */
    uint32_t n, cap;
} vf_hll;

/* Hash of a value's 64 bits (bijective, so distinct values never collide). */
static inline uint64_t vf_hll_hash(uint64_t bits) {
    uint64_t x = bits + 0x9e3779b97f4a7c15ULL;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Add a hashed value; false when out of memory (the sketch stays valid). */
bool vf_hll_add(vf_hll *h, int p, uint64_t hash);
/* dst |= src; false when out of memory. */
bool vf_hll_merge(vf_hll *dst, const vf_hll *src, int p);
/* The estimate, with the small-range (linear counting) correction. */
int64_t vf_hll_estimate(const vf_hll *h, int p);
void vf_hll_free(vf_hll *h);

#endif
