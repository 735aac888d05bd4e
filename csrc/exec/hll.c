/*
 * hll.c - HyperLogLog (Flajolet et al. 2007) with a sparse start (hll.h).
 *
 * A value's 64-bit hash picks register idx = its top p bits; the rank is
 * one plus the number of leading zeros of the remaining bits.  The
 * estimate is alpha * m^2 / sum(2^-reg); below 2.5 m, while some register
 * is still zero, linear counting m * ln(m / zeros) is used instead.
 *
 * The sparse form maps register -> rank in an open-addressing table of
 * uint32 entries idx << 8 | rank (rank >= 1, so 0 marks an empty slot),
 * at most half full.  It holds exactly the non-zero registers, so both
 * forms give the same estimate.  It turns dense when it would need more
 * bytes than the 2^p registers.
 */
#include "hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t entry(int p, uint64_t hash) {
    uint64_t w = hash << p;
    uint32_t rank = w ? (uint32_t)__builtin_clzll(w) + 1 : (uint32_t)(64 - p + 1);
    return (uint32_t)(hash >> (64 - p)) << 8 | rank;
}

static bool densify(vf_hll *h, int p) {
    uint8_t *reg = calloc((size_t)1 << p, 1);
    if (!reg) return false;
    for (uint32_t i = 0; i < h->cap; i++)
        if (h->sp[i]) reg[h->sp[i] >> 8] = (uint8_t)(h->sp[i] & 255);
    free(h->sp);
    h->sp = NULL;
    h->n = h->cap = 0;
    h->reg = reg;
    return true;
}

/* the slot of register idx in a map of cap slots (a power of two) */
static inline uint32_t *slot_of(uint32_t *sp, uint32_t cap, uint32_t idx) {
    uint32_t s = (idx * 2654435761u) & (cap - 1);
    while (sp[s] && (sp[s] >> 8) != idx) s = (s + 1) & (cap - 1);
    return &sp[s];
}

static bool grow(vf_hll *h) {
    uint32_t cap = h->cap ? 2 * h->cap : 8;
    uint32_t *sp = calloc(cap, 4);
    if (!sp) return false;
    for (uint32_t i = 0; i < h->cap; i++)
        if (h->sp[i]) *slot_of(sp, cap, h->sp[i] >> 8) = h->sp[i];
    free(h->sp);
    h->sp = sp;
    h->cap = cap;
    return true;
}

static bool put(vf_hll *h, int p, uint32_t e) {
    uint32_t idx = e >> 8, r = e & 255;
    if (h->reg) {
        if (r > h->reg[idx]) h->reg[idx] = (uint8_t)r;
        return true;
    }
    if (2 * (h->n + 1) > h->cap) {
        /* cap slots of 4 bytes against 2^p bytes of registers */
        if ((size_t)h->cap * 8 > (size_t)1 << p) return densify(h, p) && put(h, p, e);
        if (!grow(h)) return false;
    }
    uint32_t *s = slot_of(h->sp, h->cap, idx);
    if (!*s) {
        *s = e;
        h->n++;
    } else if (r > (*s & 255)) {
        *s = e;
    }
    return true;
}

bool vf_hll_add(vf_hll *h, int p, uint64_t hash) { return put(h, p, entry(p, hash)); }

bool vf_hll_merge(vf_hll *dst, const vf_hll *src, int p) {
    if (src->reg) {
        if (!dst->reg && !densify(dst, p)) return false;
        for (size_t i = 0; i < (size_t)1 << p; i++)
            if (src->reg[i] > dst->reg[i]) dst->reg[i] = src->reg[i];
        return true;
    }
    for (uint32_t i = 0; i < src->cap; i++)
        if (src->sp[i] && !put(dst, p, src->sp[i])) return false;
    return true;
}

int64_t vf_hll_estimate(const vf_hll *h, int p) {
    double m = (double)((size_t)1 << p), sum = 0, zeros = 0;
    if (h->reg) {
        for (size_t i = 0; i < (size_t)1 << p; i++) {
            sum += ldexp(1.0, -h->reg[i]);
            zeros += h->reg[i] == 0;
        }
    } else {
        zeros = m - h->n;
        sum = zeros;
        for (uint32_t i = 0; i < h->cap; i++)
            if (h->sp[i]) sum += ldexp(1.0, -(int)(h->sp[i] & 255));
    }
    double alpha = p == 4 ? 0.673 : p == 5 ? 0.697 : p == 6 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * log(m / zeros);
    return (int64_t)llround(e);
}

void vf_hll_free(vf_hll *h) {
    free(h->sp);
    free(h->reg);
    memset(h, 0, sizeof *h);
}
