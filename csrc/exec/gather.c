/*
 * gather.c - rows of an array at a list of indices (exec.h: vf_gather).
 *
 * One pass per task of VF_TASK indices, the width (1, 2, 4 or 8 bytes) a
 * constant in each loop.  Indices come from callers the core does not
 * trust: each is checked against the source's length, branch-free (an
 * index out of range reads row 0 and marks the task), and the call fails
 * naming the first bad position; nothing is read out of bounds.
 */
#include "xint.h"

typedef struct gjob {
    const uint8_t *src;
    int64_t nsrc;
    size_t w;
    const int64_t *idx;
    int64_t n;
    uint8_t *out;
    int64_t *bad; /* per task: the first position of an index out of range, or -1 */
} gjob;

#define GATHER_LOOP(T)                                                                                 \
    do {                                                                                               \
        const T *s_ = (const T *)(const void *)j->src;                                                 \
        T *o_ = (T *)(void *)j->out;                                                                   \
        for (int64_t i = lo; i < hi; i++) {                                                            \
            uint64_t r = (uint64_t)j->idx[i];                                                          \
            bool ok = r < lim;                                                                         \
            any |= !ok;                                                                                \
            o_[i] = s_[ok ? r : 0];                                                                    \
        }                                                                                              \
    } while (0)

static void gather_task(void *ctx, size_t t, int worker) {
    (void)worker;
    gjob *j = ctx;
    int64_t lo = (int64_t)t * VF_TASK, hi = lo + VF_TASK < j->n ? lo + VF_TASK : j->n;
    const uint64_t lim = (uint64_t)j->nsrc;
    bool any = false;
    switch (j->w) {
    case 1: GATHER_LOOP(uint8_t); break;
    case 2: GATHER_LOOP(uint16_t); break;
    case 4: GATHER_LOOP(uint32_t); break;
    default: GATHER_LOOP(uint64_t); break;
    }
    j->bad[t] = -1;
    if (any)
        for (int64_t i = lo; i < hi; i++)
            if ((uint64_t)j->idx[i] >= lim) {
                j->bad[t] = i;
                break;
            }
}

vf_status vf_gather(const void *src, int64_t nsrc, size_t width, const int64_t *idx, int64_t n, int threads,
                    void **out, vf_error *err) {
    *out = NULL;
    vf_error_clear(err);
    if (width != 1 && width != 2 && width != 4 && width != 8)
        return vf_fail(err, VF_EARG, "gather: values of %zu bytes (1, 2, 4 or 8 expected)", width);
    if (nsrc < 0 || n < 0) return vf_fail(err, VF_EARG, "gather: negative length");
    if (n > 0 && nsrc == 0)
        return vf_fail(err, VF_EARG, "gather: index %lld at position 0 is out of range for 0 rows", (long long)idx[0]);
    size_t ntasks = (size_t)vf_ceil_div(n, VF_TASK);
    gjob j = {.src = src, .nsrc = nsrc, .w = width, .idx = idx, .n = n};
    j.out = vf_malloc_rows((size_t)n, width);
    j.bad = vf_malloc_n(ntasks ? ntasks : 1, sizeof *j.bad);
    if (!j.out || !j.bad) {
        free(j.out);
        free(j.bad);
        return vf_fail(err, VF_ENOMEM, "out of memory gathering %lld rows", (long long)n);
    }
    vf_parallel_for(ntasks, vf_workers(threads, (int64_t)ntasks), gather_task, &j);
    for (size_t t = 0; t < ntasks; t++)
        if (j.bad[t] >= 0) {
            int64_t i = j.bad[t];
            vf_fail(err, VF_EARG, "gather: index %lld at position %lld is out of range for %lld rows",
                    (long long)idx[i], (long long)i, (long long)nsrc);
            free(j.out);
            free(j.bad);
            return VF_EARG;
        }
    free(j.bad);
    *out = j.out;
    return VF_OK;
}
