/*
 * pool.c - a cache of large row buffers (vf.h: vf_pool).
 *
 * Why: a column of a few million rows is tens of megabytes.  malloc hands
 * such a block out as a fresh mapping and unmaps it on free, so every query
 * pays the kernel for zeroing and faulting in its columns again (15% of a
 * 2-thread aggregation's samples, more than its hash table).  The pool keeps
 * the blocks that NumPy gives back, up to a byte limit, and hands them out
 * again to a request of the same size: a notebook that asks question after
 * question of one dataset reads into memory that is already mapped.
 *
 * Blocks are exactly what vf_malloc_rows() returns (from 2 MiB up: 2 MiB
 * aligned, the size rounded up to 2 MiB), so anything may still free() one;
 * the pool only ever holds blocks given to it, and reuses a block only for a
 * request that rounds to the same size.  It is shared by threads (a mutex)
 * and reference counted (each array that may give a block back holds a
 * reference); there is no global state: the binding owns one per module.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>

#define POOL_SLOTS 64
#define POOL_MIN VF_HUGE_PAGE /* vf_malloc_rows' rounding; smaller blocks are malloc's business */

typedef struct slot {
    void *p;
    size_t cap;
    uint64_t age; /* when it was given back: the oldest goes first */
} slot;

struct vf_pool {
    pthread_mutex_t lock;
    atomic_long refs;
    size_t keep, kept;
    uint64_t clock;
    int n;
    slot s[POOL_SLOTS];
    int64_t hits, misses, given, freed;
};

/* The size vf_malloc_rows(n, sz) allocates, or 0 below POOL_MIN (and on overflow). */
static size_t block_size(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / 2 / sz) return 0;
    size_t bytes = n * sz;
    if (bytes < POOL_MIN) return 0;
    return (bytes + POOL_MIN - 1) & ~(POOL_MIN - 1);
}

vf_pool *vf_pool_new(size_t keep) {
    vf_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->keep = keep;
    return p;
}

vf_pool *vf_pool_ref(vf_pool *p) {
    if (p) atomic_fetch_add(&p->refs, 1);
    return p;
}

/* Move the oldest kept blocks into out[] until kept + extra <= keep (and one
 * slot is free when need_slot); returns how many.  Called locked; the caller
 * frees them unlocked (unmapping tens of megabytes should not block others). */
static int evict(vf_pool *p, size_t extra, bool need_slot, void **out) {
    int k = 0;
    while (p->n > 0 && (p->kept + extra > p->keep || (need_slot && p->n == POOL_SLOTS))) {
        int old = 0;
        for (int i = 1; i < p->n; i++)
            if (p->s[i].age < p->s[old].age) old = i;
        out[k++] = p->s[old].p;
        p->kept -= p->s[old].cap;
        p->s[old] = p->s[--p->n];
        p->freed++;
    }
    return k;
}

static void free_all(void **v, int k) {
    for (int i = 0; i < k; i++) free(v[i]);
}

void vf_pool_unref(vf_pool *p) {
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1) return;
    for (int i = 0; i < p->n; i++) free(p->s[i].p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void vf_pool_set_keep(vf_pool *p, size_t keep) {
    void *gone[POOL_SLOTS];
    pthread_mutex_lock(&p->lock);
    p->keep = keep;
    int k = evict(p, 0, false, gone);
    pthread_mutex_unlock(&p->lock);
    free_all(gone, k);
}

void *vf_pool_rows(vf_pool *p, size_t n, size_t sz) {
    size_t cap = block_size(n, sz);
    if (!p || !cap) return vf_malloc_rows(n, sz);
    void *gone[POOL_SLOTS], *got = NULL;
    int k = 0;
    pthread_mutex_lock(&p->lock);
    int best = -1; /* the most recently given block of this size: the likeliest still in cache */
    for (int i = 0; i < p->n; i++)
        if (p->s[i].cap == cap && (best < 0 || p->s[i].age > p->s[best].age)) best = i;
    if (best >= 0) {
        got = p->s[best].p;
        p->kept -= cap;
        p->s[best] = p->s[--p->n];
        p->hits++;
    } else {
        p->misses++;
        /* a new block is coming: keep what stays plus it within the limit */
        k = evict(p, cap, false, gone);
    }
    pthread_mutex_unlock(&p->lock);
    free_all(gone, k);
    return got ? got : vf_malloc_rows(n, sz);
}

void vf_pool_give(vf_pool *p, void *block, size_t n, size_t sz) {
    if (!block) return;
    size_t cap = block_size(n, sz);
    if (!p || !cap) {
        free(block);
        return;
    }
    void *gone[POOL_SLOTS + 1];
    int k = 0;
    pthread_mutex_lock(&p->lock);
    if (cap <= p->keep) {
        k = evict(p, cap, true, gone);
        p->s[p->n++] = (slot){block, cap, ++p->clock};
        p->kept += cap;
        p->given++;
    } else {
        gone[k++] = block; /* larger than the pool may keep */
    }
    pthread_mutex_unlock(&p->lock);
    free_all(gone, k);
}

void vf_pool_stats(vf_pool *p, vf_pool_info *out) {
    pthread_mutex_lock(&p->lock);
    *out = (vf_pool_info){p->keep, p->kept, p->n, p->hits, p->misses, p->given, p->freed};
    pthread_mutex_unlock(&p->lock);
}
