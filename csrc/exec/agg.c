/*
 * agg.c - grouped aggregation (exec.h: vf_group_agg).
 *
 * Plan.  Each key gets a dense encoding enc >= 0 with 0 for null:
 * dictionary keys code + 1 (dict_n + 1 values), integer keys value - min + 1
 * (min and max found by a pass over the selection, or known from the type
 * for 8- and 16-bit ones), float keys their normalized 64 bits (no dense
 * form).  Then, by the keys' domains:
 *   DIRECT  the product of the domains is small: the group id is the
 *           mixed-radix number of the encodings, states are plain arrays;
 *   PACKED  the encodings fit 64 bits side by side: one word per row,
 *           hashed with open addressing;
 *   MULTI   anything else: a null-mask word plus each key's 64 bits.
 *
 * Run.  Morsels are spread over the workers; each worker keeps its own
 * group table (ids, row counts, one state array per aggregate) and, for
 * COUNT_DISTINCT, the list of its (group, value) pairs.  Per morsel: the
 * group id of every row (a gather for DIRECT, one batched probe for the
 * hashed strategies), then one tight loop per aggregate over the ids.
 *
 * Merge.  DIRECT tables are added element-wise (in parallel over ranges of
 * groups).  Hash tables place a group at slot hash >> shift, so a table's
 * slots are ordered by hash: partition p of 2^b holds the groups whose top
 * b hash bits are p, and they sit in one contiguous run of slots (plus the
 * probe run that spills past its end).  Partitions are merged in parallel,
 * each into a table of its own, and concatenated for the output.  Few
 * groups are merged serially into the first table instead.
 *
 * COUNT_DISTINCT.  Appending pairs costs a sequential write per row; a hash
 * set over millions of pairs would cost a cache miss.  Once every group has
 * its output row, the pairs of all workers are scattered by output row into
 * ranges (a counting sort), and each range is deduplicated in a set small
 * enough for the cache, counting per group.
 */
#include "aggop.h"

#include <sys/mman.h>

#define DIRECT_MAX ((uint64_t)1 << 20)    /* most direct groups */
#define DIRECT_BYTES ((uint64_t)128 << 20) /* most direct state bytes per worker */
#define SERIAL_MERGE 32768                 /* fewer groups than this merge serially */
#define LOG_PARTS 6                        /* 64 merge partitions */

enum { K_CODE = 1, K_INT, K_FLOAT };

typedef struct gkey {
    const vf_colview *c;
    int form;        /* K_* */
    bool need_stats; /* the range comes from a pass over the data */
    int64_t min;     /* K_INT: the smallest value (enc = value - min + 1) */
    uint64_t dom;    /* encodings 0 .. dom - 1; 0 when they do not fit 64 bits */
    bool hasnull;    /* K_FLOAT: a null occurs in the selection */
    int bits, shift; /* PACKED */
    uint64_t stride; /* DIRECT */
} gkey;

typedef struct hslot {
    uint64_t k;  /* PACKED: the key; MULTI: its hash */
    uint32_t g;  /* group id + 1; 0: empty */
    uint32_t pad_;
} hslot;

typedef struct pent {
    uint64_t v;
    uint32_t g1; /* group id + 1; 0: empty */
    uint32_t pad_;
} pent;

/* a set of (group, value) pairs: COUNT_DISTINCT */
typedef struct pset {
    pent *e;
    size_t cap, n;
} pset;

/* a list of (group, value) pairs */
typedef struct pvec {
    pent *e;
    size_t n, cap;
} pvec;

typedef struct gtab {
    bool ready;
    size_t ng, gcap;
    int64_t *rows;
    uint8_t **st;     /* per aggregate: gcap states, or NULL */
    uint64_t *keys;   /* hashed strategies: W words per group */
    hslot *slot;
    size_t scap;      /* a power of two */
    int sshift;       /* slot = hash >> sshift: the top bits, so slots are in hash order ... */
    bool low;         /* ... or slot = hash & (scap - 1), for a merge partition's table: its keys
                         share their top bits and arrive in hash order, which would pile them
                         into one ever-growing probe run */
    pvec *dp;         /* per COUNT_DISTINCT: the pairs seen */
} gtab;

typedef struct gwork {
    gtab t;
    bool oom;
    uint32_t *gid;
    uint64_t *key, *h, *s1, *s2;
    uint8_t *v1, *v2;
} gwork;

typedef struct gplan {
    vf_pool *pool;           /* large buffers come from and go back to it (NULL: malloc/free) */
    const vf_colview *cols;
    const int64_t *sel;
    int64_t n;
    int nkeys, naggs, ndist, strat, W;
    gkey *key;
    gagg *agg;
    uint64_t D;              /* DIRECT groups */
    int workers;
    gwork *work;
    /* merge */
    gtab **tabs;             /* the workers' tables that saw rows */
    int ntabs, P;
    gtab *part;              /* P partition tables */
    bool *part_oom;
    uint64_t **map;          /* per table: group -> partition << 32 | group there (COUNT_DISTINCT) */
    uint32_t **map32;        /* serial merge: per table after the first, group -> group in the first */
    uint32_t *dpos;          /* DIRECT: group -> output row (COUNT_DISTINCT) */
    /* output */
    gtab **fin;              /* the tables the groups come from */
    uint32_t **gl;           /* their group lists (NULL: all) */
    size_t *cnt, *off;
    int nfin;
    int64_t **dcnt;          /* per distinct aggregate: counts by output row */
    vf_groups *out;
    int64_t *nulls;          /* per final table and output column */
    int *overflow;           /* per final table: 1 + an integer SUM that overflowed, or 0 */
} gplan;

/* ================================================================== */
/* Pair sets                                                           */
/* ================================================================== */
static inline uint64_t pair_hash(uint32_t g, uint64_t v) { return vf_mix64(v ^ vf_mix64((uint64_t)g + 0x9e3779b97f4a7c15ULL)); }

/* add (g, v); the set must have room (at most half full after) */
static inline void pset_add(pset *s, uint32_t g, uint64_t v) {
    size_t j = pair_hash(g, v) & (s->cap - 1);
    while (s->e[j].g1) {
        if (s->e[j].g1 == g + 1 && s->e[j].v == v) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->e[j] = (pent){v, g + 1, 0};
    s->n++;
}

static void pvec_free(vf_pool *pool, pvec *v);

/* Room for `need` pairs.  The first time, when `most` (every row the
 * aggregation sees) is a large block (vf_malloc_rows maps it: only the
 * pages written cost), reserve that, so the vector never grows by copying
 * (doubling wrote every pair about twice, each time into fresh pages). */
static bool pvec_reserve(vf_pool *pool, pvec *v, size_t need, size_t most) {
    if (need <= v->cap) return true;
    if (!v->cap && most >= need && most <= SIZE_MAX / sizeof(pent) && most * sizeof(pent) >= VF_HUGE_PAGE) {
        pent *e = vf_pool_rows(pool, most, sizeof *e);
        if (e) {
            v->e = e;
            v->cap = most;
            return true;
        } /* else grow by doubling, as for small inputs */
    }
    size_t cap = v->cap ? 2 * v->cap : 4096;
    while (cap < need) cap *= 2;
    if (cap > SIZE_MAX / sizeof(pent)) return false;
    pent *e = vf_pool_rows(pool, cap, sizeof *e);
    if (!e) return false;
    if (v->n) memcpy(e, v->e, v->n * sizeof *e);
    pvec_free(pool, v);
    v->e = e;
    v->cap = cap;
    return true;
}

static void pvec_free(vf_pool *pool, pvec *v) {
    vf_pool_give(pool, v->e, v->cap, sizeof(pent));
    v->e = NULL;
    v->cap = 0;
}

/* ================================================================== */
/* Group tables                                                        */
/* ================================================================== */
static inline size_t slot_of(const gtab *t, uint64_t h) { return t->low ? h & (t->scap - 1) : h >> t->sshift; }

/* Slot arrays, empty.  Large ones are 2 MiB aligned on huge pages where the
 * kernel allows (vf_pool_rows as vf_malloc_rows): a table of millions of
 * groups is touched at random, and 4 KiB pages would cost a fault and a TLB
 * miss for nearly every one.  They are written once up front: a probe reads
 * a slot before writing it, and a page first read maps the shared zero
 * page, whose replacement on the write then flushes the TLBs of every CPU
 * running this process. */
static hslot *slots_alloc(vf_pool *pool, size_t n) {
    hslot *p = vf_pool_rows(pool, n, sizeof(hslot));
    if (p) memset(p, 0, n * sizeof(hslot));
    return p;
}

static void gtab_free(const gplan *g, gtab *t) {
    for (int a = 0; t->st && a < g->naggs; a++) {
        vf_agg_free(&g->agg[a], t->st[a], t->ng);
        free(t->st[a]);
    }
    for (int d = 0; t->dp && d < g->ndist; d++) pvec_free(g->pool, &t->dp[d]);
    free(t->st);
    free(t->dp);
    free(t->rows);
    free(t->keys);
    vf_pool_give(g->pool, t->slot, t->scap, sizeof(hslot));
    memset(t, 0, sizeof *t);
}

/* room for `need` groups in the group arrays */
static bool gtab_grow(const gplan *g, gtab *t, size_t need) {
    if (need <= t->gcap) return true;
    if (need >= UINT32_MAX) return false;
    size_t cap = t->gcap ? t->gcap : 256;
    while (cap < need) cap *= 2;
    int64_t *rows = vf_realloc_n(t->rows, cap, sizeof *rows);
    if (!rows) return false;
    t->rows = rows;
    if (g->strat != 0 && g->W) {
        uint64_t *keys = vf_realloc_n(t->keys, cap, (size_t)g->W * 8);
        if (!keys) return false;
        t->keys = keys;
    }
    for (int a = 0; a < g->naggs; a++) {
        if (!g->agg[a].ssize) continue;
        uint8_t *s = vf_realloc_n(t->st[a], cap, g->agg[a].ssize);
        if (!s) return false;
        t->st[a] = s;
    }
    t->gcap = cap;
    return true;
}

/* groups [from, to) start empty */
static void gtab_init_groups(const gplan *g, gtab *t, size_t from, size_t to) {
    memset(t->rows + from, 0, (to - from) * sizeof *t->rows);
    for (int a = 0; a < g->naggs; a++) vf_agg_init(&g->agg[a], t->st[a], from, to);
}

static bool gtab_start(const gplan *g, gtab *t) {
    t->st = calloc((size_t)g->naggs + 1, sizeof *t->st);
    t->dp = calloc((size_t)g->ndist + 1, sizeof *t->dp);
    if (!t->st || !t->dp) return false;
    t->ready = true;
    if (g->strat == VF_GS_DIRECT) {
        if (!gtab_grow(g, t, g->D)) return false;
        t->ng = g->D;
        gtab_init_groups(g, t, 0, t->ng);
    }
    return true;
}

static inline uint64_t hash_words(const uint64_t *k, int W) {
    if (W == 1) return vf_mix64(k[0]);
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < W; i++) h = vf_mix64(h ^ k[i]) + (uint64_t)i;
    return h;
}

/* room for `need` groups in the slots (at most half full) and the arrays */
static bool ht_reserve(const gplan *g, gtab *t, size_t need) {
    if (!gtab_grow(g, t, need)) return false;
    if (need * 2 <= t->scap) return true;
    size_t cap = t->scap ? t->scap : 256;
    int bits = 0;
    while (cap < need * 2) cap *= 2;
    while (((size_t)1 << bits) < cap) bits++;
    hslot *slot = slots_alloc(g->pool, cap), *old = t->slot;
    if (!slot) return false;
    size_t oldcap = t->scap;
    t->slot = slot;
    t->scap = cap;
    t->sshift = 64 - bits;
    /* Move the groups over in the old slots' order: for a table in hash
     * order that is a sequential pass over both tables. */
    int W = g->W;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].g) continue;
        uint64_t h = W == 1 ? vf_mix64(old[i].k) : old[i].k;
        size_t s = slot_of(t, h);
        while (slot[s].g) s = (s + 1) & (cap - 1);
        slot[s] = old[i];
    }
    vf_pool_give(g->pool, old, oldcap, sizeof(hslot));
    return true;
}

/* The groups of n keys (W words each, hashes h), new ones added. */
static inline void probe(gtab *t, const uint64_t *keys, const uint64_t *h, int n, uint32_t *gid, const int W) {
    hslot *slot = t->slot;
    size_t mask = t->scap - 1;
    if (t->scap > 8192)
        for (int i = 0; i < n; i++) __builtin_prefetch(&slot[slot_of(t, h[i])]);
    for (int i = 0; i < n; i++) {
        const uint64_t *kw = keys + (size_t)i * W;
        uint64_t tag = W == 1 ? kw[0] : h[i];
        size_t s = slot_of(t, h[i]);
        for (;;) {
            hslot *e = &slot[s];
            if (!e->g) {
                uint32_t ng = (uint32_t)t->ng++;
                *e = (hslot){tag, ng + 1, 0};
                memcpy(t->keys + (size_t)ng * W, kw, (size_t)W * 8);
                gid[i] = ng;
                break;
            }
            if (e->k == tag && (W == 1 || memcmp(t->keys + (size_t)(e->g - 1) * W, kw, (size_t)W * 8) == 0)) {
                gid[i] = e->g - 1;
                break;
            }
            s = (s + 1) & mask;
        }
    }
}

static bool lookup(const gplan *g, gtab *t, const uint64_t *keys, const uint64_t *h, int n, uint32_t *gid) {
    if (!ht_reserve(g, t, t->ng + (size_t)n)) return false;
    size_t first = t->ng;
    if (g->W == 1) probe(t, keys, h, n, gid, 1); /* a constant W: the loop for packed keys is specialized */
    else probe(t, keys, h, n, gid, g->W);
    gtab_init_groups(g, t, first, t->ng);
    return true;
}

/* ================================================================== */
/* Keys                                                                */
/* ================================================================== */
/* the encodings of key k for a morsel: enc[i] (0 null) */
static void key_enc(const gplan *g, const gkey *K, gwork *w, int64_t base, int n, uint64_t *enc) {
    if (K->form == K_CODE) {
        const int32_t *c = vf_load_codes(K->c, g->sel, base, n, (int32_t *)w->s2);
        for (int i = 0; i < n; i++) enc[i] = (uint64_t)((int64_t)c[i] + 1);
        return;
    }
    const uint64_t *b = vf_load_bits(K->c, g->sel, base, n, w->s2);
    const uint8_t *ok = vf_load_valid(K->c, g->sel, base, n, w->v2);
    uint64_t off = K->form == K_INT ? (uint64_t)K->min - 1 : 0;
    if (ok)
        for (int i = 0; i < n; i++) enc[i] = (b[i] - off) & -(uint64_t)ok[i];
    else
        for (int i = 0; i < n; i++) enc[i] = b[i] - off;
}

static void direct_gids(const gplan *g, gwork *w, int64_t base, int n) {
    uint32_t *gid = w->gid;
    if (g->nkeys == 0) {
        memset(gid, 0, (size_t)n * sizeof *gid);
        return;
    }
    for (int k = 0; k < g->nkeys; k++) {
        const gkey *K = &g->key[k];
        uint32_t st = (uint32_t)K->stride;
        if (K->form == K_CODE) { /* the common case in one pass */
            const int32_t *c = vf_load_codes(K->c, g->sel, base, n, (int32_t *)w->s2);
            if (k == 0)
                for (int i = 0; i < n; i++) gid[i] = (uint32_t)(c[i] + 1) * st;
            else
                for (int i = 0; i < n; i++) gid[i] += (uint32_t)(c[i] + 1) * st;
            continue;
        }
        key_enc(g, K, w, base, n, w->key);
        if (k == 0)
            for (int i = 0; i < n; i++) gid[i] = (uint32_t)w->key[i] * st;
        else
            for (int i = 0; i < n; i++) gid[i] += (uint32_t)w->key[i] * st;
    }
}

/* the key words of a morsel into w->key, their hashes into w->h */
static void hashed_keys(const gplan *g, gwork *w, int64_t base, int n) {
    uint64_t *key = w->key, *enc = w->s1;
    int W = g->W;
    if (g->strat == VF_GS_PACKED) {
        memset(key, 0, (size_t)n * 8);
        for (int k = 0; k < g->nkeys; k++) {
            const gkey *K = &g->key[k];
            key_enc(g, K, w, base, n, enc);
            for (int i = 0; i < n; i++) key[i] |= enc[i] << K->shift;
        }
        for (int i = 0; i < n; i++) w->h[i] = vf_mix64(key[i]);
        return;
    }
    /* MULTI: word 0 the null mask, word 1 + k key k's bits (0 when null) */
    for (int i = 0; i < n; i++) key[(size_t)i * W] = 0;
    for (int k = 0; k < g->nkeys; k++) {
        const gkey *K = &g->key[k];
        const uint64_t *b = vf_load_bits(K->c, g->sel, base, n, w->s2);
        const uint8_t *ok = vf_load_valid(K->c, g->sel, base, n, w->v2);
        for (int i = 0; i < n; i++) {
            uint64_t valid = ok ? ok[i] : 1;
            key[(size_t)i * W + 1 + k] = b[i] & -valid;
            key[(size_t)i * W] |= (valid ^ 1) << k;
        }
    }
    for (int i = 0; i < n; i++) w->h[i] = hash_words(key + (size_t)i * W, W);
}

/* ================================================================== */
/* The pass over the rows                                              */
/* ================================================================== */
/* one aggregate's inputs for a morsel */
static void agg_inputs(const gplan *g, const gagg *a, gwork *w, int64_t base, int n, uint32_t gid_or, aggin *in) {
    const int64_t *sel = g->sel;
    *in = (aggin){.n = n, .gid = w->gid, .gid_or = gid_or, .sel = sel, .base = base};
    const vf_colview *kc = a->in == AIN_OKEY && a->c2 ? a->c2 : a->c; /* ARG_*: the order column */
    switch (a->in) {
    case AIN_NONE: return;
    case AIN_I64: in->i = vf_load_i64(a->c, sel, base, n, (int64_t *)w->s1); break;
    case AIN_F64: in->x = vf_load_f64(a->c, sel, base, n, (double *)w->s1); break;
    case AIN_XY:
        in->x = vf_load_f64(a->c, sel, base, n, (double *)w->s1);
        in->y = vf_load_f64(a->c2, sel, base, n, (double *)w->s2);
        break;
    case AIN_OKEY: in->k = vf_load_okey(kc, sel, base, n, w->s1); break;
    case AIN_BITS: in->k = vf_load_bits(a->c, sel, base, n, w->s1); break;
    default: break;
    }
    /* the rows that count: both inputs valid */
    const uint8_t *v1 = a->null_c ? vf_load_valid(a->c, sel, base, n, w->v1) : NULL;
    const uint8_t *v2 = a->null_c2 ? vf_load_valid(a->c2, sel, base, n, w->v2) : NULL;
    if (v1 && v2) {
        for (int i = 0; i < n; i++) w->v1[i] = v1[i] & v2[i];
        v1 = w->v1;
    }
    in->valid = v1 ? v1 : v2;
}

static void agg_morsel(gplan *g, gwork *w, int64_t base, int n) {
    gtab *t = &w->t;
    if (g->strat == VF_GS_DIRECT) {
        direct_gids(g, w, base, n);
    } else {
        hashed_keys(g, w, base, n);
        if (!lookup(g, t, w->key, w->h, n, w->gid)) {
            w->oom = true;
            return;
        }
    }
    int64_t *rows = t->rows;
    const uint32_t *gid = w->gid;
    uint32_t any = 0;
    for (int i = 0; i < n; i++) any |= gid[i];
    if (any < SMALL_G) { /* few groups: counts in lanes (aggop.h) */
        int64_t c[LANES][SMALL_G] = {{0}};
        for (int i = 0; i < n; i++) c[i % LANES][gid[i]]++;
        for (uint32_t k = 0; k <= any; k++) { /* any >= every id, but ids up to it need not exist */
            int64_t r = 0;
            for (int l = 0; l < LANES; l++) r += c[l][k];
            if (r) rows[k] += r;
        }
    } else {
        for (int i = 0; i < n; i++) rows[gid[i]]++;
    }
    for (int a = 0; a < g->naggs; a++) {
        const gagg *A = &g->agg[a];
        if (A->op == VF_AGG_COUNT_ALL || (A->op == VF_AGG_COUNT && !A->ssize)) continue;
        aggin in;
        agg_inputs(g, A, w, base, n, any, &in);
        if (A->dset >= 0) {
            pvec *v = &t->dp[A->dset];
            if (!pvec_reserve(g->pool, v, v->n + (size_t)n, (size_t)g->n)) {
                w->oom = true;
                return;
            }
            pent *e = v->e;
            size_t m = v->n;
            for (int i = 0; i < n; i++) { /* branch-free: write every row, keep the valid ones */
                e[m] = (pent){in.k[i], gid[i], 0};
                m += in.valid ? in.valid[i] : 1;
            }
            v->n = m;
        } else if (!vf_agg_update(A, t->st[a], &in)) {
            w->oom = true;
            return;
        }
    }
}

static void agg_task(void *ctx, size_t task, int worker) {
    gplan *g = ctx;
    gwork *w = &g->work[worker];
    if (w->oom) return;
    if (!w->t.ready && !gtab_start(g, &w->t)) {
        w->oom = true;
        return;
    }
    int64_t lo = (int64_t)task * VF_TASK, hi = lo + VF_TASK < g->n ? lo + VF_TASK : g->n;
    for (int64_t base = lo; base < hi && !w->oom; base += VF_MORSEL)
        agg_morsel(g, w, base, (int)(hi - base < VF_MORSEL ? hi - base : VF_MORSEL));
}

/* ---- the range of integer keys: per worker, then combined ---- */
typedef struct kstat {
    int64_t min, max;
    bool any, null;
} kstat;

typedef struct stat_ctx {
    gplan *g;
    kstat *ks; /* workers x nkeys */
} stat_ctx;

static void stat_task(void *ctx, size_t task, int worker) {
    stat_ctx *c = ctx;
    gplan *g = c->g;
    gwork *w = &g->work[worker];
    int64_t lo = (int64_t)task * VF_TASK, hi = lo + VF_TASK < g->n ? lo + VF_TASK : g->n;
    for (int k = 0; k < g->nkeys; k++) {
        const gkey *K = &g->key[k];
        if (!K->need_stats) continue;
        kstat *s = &c->ks[worker * g->nkeys + k];
        for (int64_t base = lo; base < hi; base += VF_MORSEL) {
            int n = (int)(hi - base < VF_MORSEL ? hi - base : VF_MORSEL);
            const uint8_t *ok = vf_load_valid(K->c, g->sel, base, n, w->v1);
            if (K->form == K_FLOAT) {
                if (ok && memchr(ok, 0, (size_t)n)) s->null = true;
                continue;
            }
            const int64_t *v = vf_load_i64(K->c, g->sel, base, n, (int64_t *)w->s1);
            int64_t mn = INT64_MAX, mx = INT64_MIN;
            if (ok) {
                for (int i = 0; i < n; i++) {
                    int64_t lo_ = ok[i] ? v[i] : INT64_MAX, hi_ = ok[i] ? v[i] : INT64_MIN;
                    mn = lo_ < mn ? lo_ : mn;
                    mx = hi_ > mx ? hi_ : mx;
                }
                if (memchr(ok, 1, (size_t)n)) s->any = true;
            } else {
                for (int i = 0; i < n; i++) {
                    mn = v[i] < mn ? v[i] : mn;
                    mx = v[i] > mx ? v[i] : mx;
                }
                s->any |= n > 0;
            }
            s->min = mn < s->min ? mn : s->min;
            s->max = mx > s->max ? mx : s->max;
        }
    }
}

/* ================================================================== */
/* Planning                                                            */
/* ================================================================== */
static int bits_for(uint64_t dom) { return dom <= 1 ? 0 : 64 - __builtin_clzll(dom - 1); }

static vf_status plan_keys(gplan *g, const int *keys, vf_error *err, int ncols) {
    bool stats = false;
    for (int k = 0; k < g->nkeys; k++) {
        if (keys[k] < 0 || keys[k] >= ncols)
            return vf_fail(err, VF_EARG, "key %d: column %d does not exist (%d columns)", k, keys[k], ncols);
        gkey *K = &g->key[k];
        K->c = &g->cols[keys[k]];
        vf_type t = K->c->type;
        switch (t) {
        case VF_T_STRING: case VF_T_ADDR: case VF_T_BINARY:
            K->form = K_CODE;
            K->dom = (uint64_t)K->c->dict_n + 1;
            break;
        case VF_T_FLOAT32: case VF_T_FLOAT64:
            K->form = K_FLOAT;
            K->need_stats = K->c->valid != NULL;
            break;
        case VF_T_BOOL: K->form = K_INT; K->min = 0; K->dom = 3; break;
        case VF_T_INT8: K->form = K_INT; K->min = INT8_MIN; K->dom = 258; break;
        case VF_T_UINT8: K->form = K_INT; K->min = 0; K->dom = 258; break;
        case VF_T_INT16: K->form = K_INT; K->min = INT16_MIN; K->dom = 65538; break;
        case VF_T_UINT16: K->form = K_INT; K->min = 0; K->dom = 65538; break;
        default: K->form = K_INT; K->need_stats = true;
        }
        stats |= K->need_stats;
    }
    if (!stats || g->n == 0) {
        for (int k = 0; k < g->nkeys; k++)
            if (g->key[k].need_stats && g->key[k].form == K_INT) g->key[k].dom = 1;
        return VF_OK;
    }
    kstat *ks = malloc(sizeof *ks * (size_t)g->workers * (size_t)g->nkeys);
    if (!ks) return vf_fail(err, VF_ENOMEM, "out of memory");
    for (int i = 0; i < g->workers * g->nkeys; i++) ks[i] = (kstat){INT64_MAX, INT64_MIN, false, false};
    stat_ctx c = {g, ks};
    vf_parallel_for((size_t)vf_ceil_div(g->n, VF_TASK), g->workers, stat_task, &c);
    for (int k = 0; k < g->nkeys; k++) {
        gkey *K = &g->key[k];
        if (!K->need_stats) continue;
        kstat s = {INT64_MAX, INT64_MIN, false, false};
        for (int w = 0; w < g->workers; w++) {
            kstat *t = &ks[w * g->nkeys + k];
            s.min = t->min < s.min ? t->min : s.min;
            s.max = t->max > s.max ? t->max : s.max;
            s.any |= t->any;
            s.null |= t->null;
        }
        K->hasnull = s.null;
        if (K->form == K_INT) {
            K->min = s.any ? s.min : 0;
            uint64_t span = s.any ? (uint64_t)s.max - (uint64_t)s.min : 0;
            K->dom = span >= UINT64_MAX - 1 ? 0 : span + 2; /* 0: the range and null need 65 bits */
        }
    }
    free(ks);
    return VF_OK;
}

static size_t state_bytes(const gplan *g) {
    size_t b = sizeof(int64_t);
    for (int a = 0; a < g->naggs; a++) b += g->agg[a].ssize;
    return b;
}

/* DIRECT's group count, or 0 when the keys do not allow it */
static uint64_t direct_groups(const gplan *g) {
    uint64_t d = 1;
    for (int k = 0; k < g->nkeys; k++) {
        const gkey *K = &g->key[k];
        if (K->form == K_FLOAT || K->dom == 0 || K->dom > DIRECT_MAX || d * K->dom > DIRECT_MAX) return 0;
        d *= K->dom;
    }
    return d;
}

static int packed_bits(gplan *g) {
    int b = 0;
    for (int k = 0; k < g->nkeys; k++) {
        gkey *K = &g->key[k];
        K->bits = K->form == K_FLOAT ? 64 + K->hasnull : K->dom == 0 ? 65 : bits_for(K->dom);
        K->shift = b < 64 ? b : 0;
        b += K->bits;
    }
    return b;
}

static vf_status plan_strategy(gplan *g, int forced, vf_error *err) {
    uint64_t d = direct_groups(g);
    int bits = packed_bits(g);
    uint64_t small = g->n * 2 > (1 << 14) ? (uint64_t)g->n * 2 : (1 << 14);
    bool direct = d && (forced == VF_GS_DIRECT || (d <= small && d * state_bytes(g) <= DIRECT_BYTES));
    if (g->nkeys == 0) forced = VF_GS_DIRECT; /* one group, even of no rows */
    if (forced == VF_GS_DIRECT && !direct)
        return vf_fail(err, VF_EARG, "the DIRECT strategy needs keys of at most %llu combinations",
                       (unsigned long long)DIRECT_MAX);
    if (forced == VF_GS_PACKED && bits > 64)
        return vf_fail(err, VF_EARG, "the PACKED strategy needs keys of at most 64 bits, these take %d", bits);
    if (direct && forced != VF_GS_PACKED && forced != VF_GS_MULTI) {
        g->strat = VF_GS_DIRECT;
        g->D = d;
        for (int k = 0; k < g->nkeys; k++) {
            g->key[k].stride = k ? g->key[k - 1].stride * g->key[k - 1].dom : 1;
        }
    } else if (bits <= 64 && forced != VF_GS_MULTI) {
        g->strat = VF_GS_PACKED;
        g->W = 1;
    } else {
        g->strat = VF_GS_MULTI;
        g->W = g->nkeys + 1;
        if (g->nkeys > 63) return vf_fail(err, VF_EARG, "too many keys (%d, at most 63)", g->nkeys);
    }
    return VF_OK;
}

/* ================================================================== */
/* Merging                                                             */
/* ================================================================== */
/* ranges of DIRECT groups: the tables after the first into the first */
typedef struct dmerge {
    gplan *g;
    bool oom;
} dmerge;

#define DCHUNK 4096

static void direct_merge_task(void *ctx, size_t chunk, int worker) {
    (void)worker;
    gplan *g = ctx;
    uint32_t idx[DCHUNK];
    size_t lo = chunk * DCHUNK, n = g->D - lo < DCHUNK ? g->D - lo : DCHUNK;
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)(lo + i);
    gtab *d = g->tabs[0];
    for (int t = 1; t < g->ntabs; t++) {
        gtab *s = g->tabs[t];
        for (size_t i = 0; i < n; i++) d->rows[lo + i] += s->rows[lo + i];
        for (int a = 0; a < g->naggs; a++)
            if (g->agg[a].ssize && !vf_agg_merge(&g->agg[a], d->st[a], idx, s->st[a], idx, n)) g->part_oom[0] = true;
    }
}

/* Fold n groups sg of table s (keys kbuf, hashes h) into table d; map[sg] gets where they went. */
static bool fold(gplan *g, gtab *d, gtab *s, const uint32_t *sg, const uint64_t *kbuf, const uint64_t *h, int n,
                 uint32_t *dg, uint64_t *map, uint64_t part) {
    if (!lookup(g, d, kbuf, h, n, dg)) return false;
    for (int i = 0; i < n; i++) d->rows[dg[i]] += s->rows[sg[i]];
    for (int a = 0; a < g->naggs; a++)
        if (g->agg[a].ssize && !vf_agg_merge(&g->agg[a], d->st[a], dg, s->st[a], sg, (size_t)n)) return false;
    if (map)
        for (int i = 0; i < n; i++) map[sg[i]] = part << 32 | dg[i];
    return true;
}

typedef struct fbuf {
    uint32_t sg[VF_MORSEL], dg[VF_MORSEL];
    uint64_t h[VF_MORSEL];
    uint64_t *kbuf;
} fbuf;

static fbuf *fbuf_new(int W) {
    fbuf *b = malloc(sizeof *b);
    if (b && !(b->kbuf = malloc((size_t)VF_MORSEL * (size_t)W * 8))) {
        free(b);
        b = NULL;
    }
    return b;
}

static void fbuf_free(fbuf *b) {
    if (b) free(b->kbuf);
    free(b);
}

/* Merge every group of the other tables into the first, serially. */
static bool serial_merge(gplan *g) {
    gtab *d = g->tabs[0];
    int W = g->W;
    fbuf *b = fbuf_new(W);
    bool ok = b != NULL;
    for (int t = 1; t < g->ntabs && ok; t++) {
        gtab *s = g->tabs[t];
        uint32_t *map = g->ndist ? g->map32[t] = malloc((s->ng ? s->ng : 1) * sizeof *map) : NULL;
        if (g->ndist && !map) ok = false;
        for (size_t lo = 0; lo < s->ng && ok; lo += VF_MORSEL) {
            int n = (int)(s->ng - lo < VF_MORSEL ? s->ng - lo : VF_MORSEL);
            for (int i = 0; i < n; i++) {
                b->sg[i] = (uint32_t)(lo + i);
                b->h[i] = hash_words(s->keys + (lo + i) * W, W);
            }
            ok = fold(g, d, s, b->sg, s->keys + lo * W, b->h, n, b->dg, NULL, 0);
            if (ok && map) memcpy(map + lo, b->dg, (size_t)n * sizeof *map);
        }
    }
    fbuf_free(b);
    return ok;
}

/* The next entries of partition p of table s, from scan position *pos on:
 * up to VF_MORSEL of them into b, or (b NULL) all of them counted. */
static size_t part_next(const gplan *g, const gtab *s, size_t p, size_t *pos, fbuf *b) {
    int W = g->W, logp = LOG_PARTS, tb = 64 - s->sshift;
    /* the partition's run of slots; a table smaller than the partitions is scanned whole */
    size_t lo = tb >= logp ? p << (tb - logp) : 0, len = tb >= logp ? s->scap >> logp : s->scap, n = 0;
    for (; *pos < s->scap && (!b || n < VF_MORSEL); (*pos)++) {
        const hslot *e = &s->slot[(lo + *pos) & (s->scap - 1)];
        if (*pos >= len && (tb < logp || !e->g)) { /* past the run: up to the first empty slot */
            *pos = s->scap;
            break;
        }
        if (!e->g) continue;
        uint64_t h = W == 1 ? vf_mix64(e->k) : e->k;
        if (h >> (64 - logp) != p) continue;
        if (b) {
            b->sg[n] = e->g - 1;
            b->h[n] = h;
            if (W == 1) b->kbuf[n] = e->k; /* the slot holds the key */
            else memcpy(b->kbuf + n * (size_t)W, s->keys + (size_t)(e->g - 1) * W, (size_t)W * 8);
        }
        n++;
    }
    return n;
}

/* partition p of every table into g->part[p] */
static void part_merge_task(void *ctx, size_t p, int worker) {
    (void)worker;
    gplan *g = ctx;
    gtab *d = &g->part[p];
    fbuf *b = fbuf_new(g->W);
    bool ok = b && gtab_start(g, d);
    d->low = true;
    /* room for every entry at once: no growing while merging */
    size_t need = 0;
    for (int ti = 0; ti < g->ntabs; ti++) {
        size_t pos = 0;
        need += part_next(g, g->tabs[ti], p, &pos, NULL);
    }
    ok = ok && ht_reserve(g, d, need);
    for (int ti = 0; ti < g->ntabs && ok; ti++) {
        gtab *s = g->tabs[ti];
        size_t pos = 0, n;
        while (ok && (n = part_next(g, s, p, &pos, b)) > 0)
            ok = fold(g, d, s, b->sg, b->kbuf, b->h, (int)n, b->dg, g->map ? g->map[ti] : NULL, p);
    }
    fbuf_free(b);
    if (!ok) g->part_oom[p] = true;
}

static vf_status merge(gplan *g, vf_error *err) {
    g->tabs = calloc((size_t)g->workers + 1, sizeof *g->tabs);
    g->part_oom = calloc((size_t)1 << LOG_PARTS, sizeof *g->part_oom);
    if (!g->tabs || !g->part_oom) return vf_fail(err, VF_ENOMEM, "out of memory");
    size_t total = 0;
    for (int w = 0; w < g->workers; w++)
        if (g->work[w].t.ready) {
            g->tabs[g->ntabs++] = &g->work[w].t;
            total += g->work[w].t.ng;
        }
    if (g->ntabs == 0) { /* no rows: an empty table (one group of nothing without keys) */
        if (!gtab_start(g, &g->work[0].t)) return vf_fail(err, VF_ENOMEM, "out of memory");
        g->tabs[g->ntabs++] = &g->work[0].t;
    }
    if (g->ntabs == 1) return VF_OK;
    bool ok = true;
    if (g->strat == VF_GS_DIRECT) {
        vf_parallel_for((size_t)vf_ceil_div((int64_t)g->D, DCHUNK), g->workers, direct_merge_task, g);
        ok = !g->part_oom[0];
    } else if (total < SERIAL_MERGE) {
        g->map32 = calloc((size_t)g->ntabs, sizeof *g->map32);
        ok = g->map32 && serial_merge(g);
    } else {
        g->P = 1 << LOG_PARTS;
        g->part = calloc((size_t)g->P, sizeof *g->part);
        ok = g->part != NULL;
        if (ok && g->ndist) {
            g->map = calloc((size_t)g->ntabs, sizeof *g->map);
            ok = g->map != NULL;
            for (int t = 0; ok && t < g->ntabs; t++)
                ok = (g->map[t] = vf_malloc_n(g->tabs[t]->ng, 8)) != NULL;
        }
        if (ok) vf_parallel_for((size_t)g->P, g->workers, part_merge_task, g);
        for (int p = 0; ok && p < g->P; p++) ok = !g->part_oom[p];
    }
    return ok ? VF_OK : vf_fail(err, VF_ENOMEM, "out of memory");
}

/* ================================================================== */
/* Output                                                              */
/* ================================================================== */
/* the tables the groups come from, and which of their groups */
static vf_status pick_final(gplan *g, vf_error *err) {
    g->nfin = g->P ? g->P : 1;
    g->fin = calloc((size_t)g->nfin, sizeof *g->fin);
    g->gl = calloc((size_t)g->nfin, sizeof *g->gl);
    g->cnt = calloc((size_t)g->nfin + 1, sizeof *g->cnt);
    g->off = calloc((size_t)g->nfin + 1, sizeof *g->off);
    g->dcnt = calloc((size_t)g->ndist + 1, sizeof *g->dcnt);
    if (!g->fin || !g->gl || !g->cnt || !g->off || !g->dcnt) return vf_fail(err, VF_ENOMEM, "out of memory");
    for (int f = 0; f < g->nfin; f++) {
        gtab *t = g->P ? &g->part[f] : g->tabs[0];
        g->fin[f] = t;
        g->cnt[f] = t->ng;
        if (g->strat == VF_GS_DIRECT && g->nkeys > 0) { /* the groups that occur */
            if (!(g->gl[f] = vf_malloc_n(t->ng, sizeof(uint32_t)))) return vf_fail(err, VF_ENOMEM, "out of memory");
            size_t k = 0;
            for (size_t i = 0; i < t->ng; i++) {
                g->gl[f][k] = (uint32_t)i;
                k += t->rows[i] > 0;
            }
            g->cnt[f] = k;
        }
        g->off[f + 1] = g->off[f] + g->cnt[f];
    }
    return VF_OK;
}

/* ---- COUNT_DISTINCT: pairs by output row, deduplicated per range of rows ---- */
/* pairs per range, about: the range's set (twice as many 16-byte slots) stays within L2 */
#define DRANGE_PAIRS 8192

typedef struct dctx {
    gplan *g;
    int d;          /* the distinct aggregate */
    int shift;      /* range = output row >> shift */
    size_t nq;      /* ranges */
    size_t *off;    /* (table, range) -> where its pairs go: ranges in order, tables within */
    pent *buf;      /* the pairs, g1 = output row + 1 */
    pset *set;      /* per worker: one set reused for every range it deduplicates */
    bool oom;
} dctx;

/* the output row of group gid of table t */
static inline uint32_t out_row(const gplan *g, int t, uint32_t gid) {
    if (g->strat == VF_GS_DIRECT) return g->dpos[gid];
    if (g->P) {
        uint64_t m = g->map[t][gid];
        return (uint32_t)(g->off[m >> 32] + (uint32_t)m);
    }
    return t == 0 ? gid : g->map32[t][gid];
}

static void dcount_task(void *ctx, size_t t, int worker) {
    (void)worker;
    dctx *c = ctx;
    const pvec *v = &c->g->tabs[t]->dp[c->d];
    size_t *off = c->off + t * c->nq;
    for (size_t i = 0; i < v->n; i++) off[out_row(c->g, (int)t, v->e[i].g1) >> c->shift]++;
}

static void dscatter_task(void *ctx, size_t t, int worker) {
    (void)worker;
    dctx *c = ctx;
    const pvec *v = &c->g->tabs[t]->dp[c->d];
    size_t *off = c->off + t * c->nq;
    for (size_t i = 0; i < v->n; i++) {
        uint32_t r = out_row(c->g, (int)t, v->e[i].g1);
        c->buf[off[r >> c->shift]++] = (pent){v->e[i].v, r + 1, 0};
    }
}

/* range q: its pairs into a set, counting each new one for its row */
static void ddedup_task(void *ctx, size_t q, int worker) {
    dctx *c = ctx;
    const gplan *g = c->g;
    /* after the scatter, off[t][q] is where table t's run of range q ends */
    const size_t *last = c->off + (size_t)(g->ntabs - 1) * c->nq;
    size_t lo = q ? last[q - 1] : 0, hi = last[q];
    /* the worker's set, emptied: a smaller range uses only the first slots it needs (a power of two
     * at least twice its pairs), so clearing costs what the range costs, and nothing is allocated
     * once the set is as large as the largest range */
    pset *s = &c->set[worker];
    size_t need = hi - lo, cap = 64;
    while (cap < need * 2) cap *= 2;
    if (cap > s->cap) {
        vf_pool_give(g->pool, s->e, s->cap, sizeof(pent));
        *s = (pset){vf_pool_rows(g->pool, cap, sizeof(pent)), cap, 0}; /* huge pages: one fault per 2 MiB */
        if (!s->e) {
            s->cap = 0;
            c->oom = true;
            return;
        }
    }
    pset r = {s->e, cap, 0};
    memset(r.e, 0, cap * sizeof *r.e);
    int64_t *cnt = g->dcnt[c->d];
    for (size_t i = lo; i < hi; i++) {
        size_t before = r.n;
        pset_add(&r, c->buf[i].g1 - 1, c->buf[i].v);
        cnt[c->buf[i].g1 - 1] += r.n != before;
    }
}

static vf_status count_distinct(gplan *g, vf_error *err) {
    size_t rows = g->off[g->nfin];
    if (g->strat == VF_GS_DIRECT) { /* group id -> output row */
        g->dpos = vf_malloc_n(g->D, sizeof *g->dpos);
        if (!g->dpos) return vf_fail(err, VF_ENOMEM, "out of memory");
        for (size_t j = 0; j < g->cnt[0]; j++) g->dpos[g->gl[0] ? g->gl[0][j] : j] = (uint32_t)j;
    }
    dctx c = {.g = g};
    c.set = calloc((size_t)g->workers, sizeof *c.set);
    if (!c.set) return vf_fail(err, VF_ENOMEM, "out of memory");
    vf_status st = VF_OK;
    for (c.d = 0; c.d < g->ndist && st == VF_OK; c.d++) {
        size_t total = 0;
        for (int t = 0; t < g->ntabs; t++) total += g->tabs[t]->dp[c.d].n;
        /* ranges of 2^shift rows, about DRANGE_PAIRS pairs each */
        size_t want = total / DRANGE_PAIRS + 1;
        for (c.shift = 0; rows && ((rows - 1) >> c.shift) + 1 > want; c.shift++) {}
        c.nq = rows ? ((rows - 1) >> c.shift) + 1 : 1;
        free(c.off);
        c.off = calloc(c.nq * (size_t)g->ntabs, sizeof *c.off);
        g->dcnt[c.d] = calloc(rows ? rows : 1, sizeof(int64_t));
        c.buf = vf_pool_rows(g->pool, total, sizeof *c.buf);
        if (!g->dcnt[c.d] || !c.buf || !c.off) {
            vf_pool_give(g->pool, c.buf, total, sizeof *c.buf);
            st = vf_fail(err, VF_ENOMEM, "out of memory");
            break;
        }
        /* count per (table, range), turn into starts (ranges in order, tables within), scatter */
        vf_parallel_for((size_t)g->ntabs, g->workers, dcount_task, &c);
        size_t pos = 0;
        for (size_t q = 0; q < c.nq; q++)
            for (int t = 0; t < g->ntabs; t++) {
                size_t n = c.off[(size_t)t * c.nq + q];
                c.off[(size_t)t * c.nq + q] = pos;
                pos += n;
            }
        vf_parallel_for((size_t)g->ntabs, g->workers, dscatter_task, &c);
        vf_parallel_for(c.nq, g->workers, ddedup_task, &c);
        vf_pool_give(g->pool, c.buf, total, sizeof *c.buf);
        if (c.oom) st = vf_fail(err, VF_ENOMEM, "out of memory");
        /* the tables' pairs are no longer needed */
        for (int t = 0; t < g->ntabs; t++) {
            pvec_free(g->pool, &g->tabs[t]->dp[c.d]);
            g->tabs[t]->dp[c.d] = (pvec){NULL, 0, 0};
        }
    }
    free(c.off);
    for (int w = 0; w < g->workers; w++) vf_pool_give(g->pool, c.set[w].e, c.set[w].cap, sizeof(pent));
    free(c.set);
    return st;
}

static vf_status alloc_col(vf_pool *pool, vf_outcol *o, vf_type t, size_t n, bool nullable) {
    o->type = t;
    o->values = vf_pool_rows(pool, n, vf_type_width(t));
    o->valid = nullable ? vf_pool_rows(pool, n, 1) : NULL;
    return o->values && (o->valid || !nullable) ? VF_OK : VF_ENOMEM;
}

/* key k of groups gl[0..n) of table t into o from row off */
static int64_t put_keys(const gplan *g, int k, const gtab *t, const uint32_t *gl, size_t n, vf_outcol *o, size_t off) {
    const gkey *K = &g->key[k];
    vf_type ty = K->c->type;
    size_t w = vf_type_width(ty);
    int64_t nulls = 0;
    uint64_t mask = K->bits >= 64 ? UINT64_MAX : ((uint64_t)1 << K->bits) - 1;
    for (size_t j = 0; j < n; j++) {
        size_t gi = gl ? gl[j] : j;
        uint64_t enc, bits;
        bool null;
        if (g->strat == VF_GS_MULTI) {
            const uint64_t *kw = t->keys + gi * (size_t)g->W;
            null = kw[0] >> k & 1;
            bits = kw[1 + k];
        } else {
            enc = g->strat == VF_GS_DIRECT ? (gi / K->stride) % K->dom : t->keys[gi] >> K->shift & mask;
            null = K->form != K_FLOAT && enc == 0;
            bits = K->form == K_FLOAT ? enc : enc - 1 + (K->form == K_INT ? (uint64_t)K->min : 0);
        }
        nulls += null;
        size_t r = off + j;
        if (K->form == K_CODE) {
            ((int32_t *)o->values)[r] = null ? -1 : (int32_t)bits;
            continue;
        }
        o->valid[r] = !null;
        if (null) bits = 0;
        if (ty == VF_T_FLOAT32) {
            float f = (float)vf_bits_dbl(bits);
            memcpy((char *)o->values + r * 4, &f, 4);
        } else {
            memcpy((char *)o->values + r * w, &bits, w); /* little-endian: the low bytes are the narrow value */
        }
    }
    return nulls;
}

static void output_task(void *ctx, size_t f, int worker) {
    (void)worker;
    gplan *g = ctx;
    const gtab *t = g->fin[f];
    size_t n = g->cnt[f], off = g->off[f];
    int64_t *nulls = g->nulls + f * (size_t)(g->nkeys + g->naggs);
    for (int k = 0; k < g->nkeys; k++) nulls[k] = put_keys(g, k, t, g->gl[f], n, &g->out->keys[k], off);
    for (int a = 0; a < g->naggs; a++) {
        const gagg *A = &g->agg[a];
        bool ovf = false;
        if (A->dset >= 0) /* counts by output row */
            nulls[g->nkeys + a] = vf_agg_final(A, g->dcnt[A->dset] + off, t->rows, NULL, n, &g->out->aggs[a], off, &ovf);
        else
            nulls[g->nkeys + a] = vf_agg_final(A, t->st[a], t->rows, g->gl[f], n, &g->out->aggs[a], off, &ovf);
        if (ovf && !g->overflow[f]) g->overflow[f] = a + 1;
    }
}

static vf_status output(gplan *g, vf_error *err) {
    vf_status st = pick_final(g, err);
    if (st == VF_OK && g->ndist) st = count_distinct(g, err);
    if (st != VF_OK) return st;
    vf_groups *o = g->out;
    size_t total = g->off[g->nfin];
    o->ngroups = (int64_t)total;
    int ncol = g->nkeys + g->naggs;
    g->nulls = calloc((size_t)g->nfin * (size_t)(ncol + 1), sizeof *g->nulls);
    g->overflow = calloc((size_t)g->nfin, sizeof *g->overflow);
    if (!g->nulls || !g->overflow) return vf_fail(err, VF_ENOMEM, "out of memory");
    for (int k = 0; k < g->nkeys && st == VF_OK; k++)
        st = alloc_col(g->pool, &o->keys[k], g->key[k].c->type, total, g->key[k].form != K_CODE);
    for (int a = 0; a < g->naggs && st == VF_OK; a++)
        st = alloc_col(g->pool, &o->aggs[a], g->agg[a].otype, total, vf_agg_nullable(&g->agg[a]));
    if (st != VF_OK) return vf_fail(err, st, "out of memory");
    vf_parallel_for((size_t)g->nfin, g->workers, output_task, g);
    for (int f = 0; f < g->nfin; f++)
        if (g->overflow[f]) {
            const gagg *A = &g->agg[g->overflow[f] - 1];
            return vf_fail(err, VF_EARG, "aggregate %d: SUM of column %d (%s) overflows int64", g->overflow[f] - 1,
                           A->cidx, A->c->name ? A->c->name : "?");
        }
    for (int c = 0; c < ncol; c++) {
        vf_outcol *oc = c < g->nkeys ? &o->keys[c] : &o->aggs[c - g->nkeys];
        for (int f = 0; f < g->nfin; f++) oc->null_count += g->nulls[f * (size_t)ncol + c];
        if (oc->valid && (oc->null_count == 0 || vf_type_is_dict(oc->type))) {
            free(oc->valid); /* no nulls, or nulls as -1 codes */
            oc->valid = NULL;
        }
    }
    return VF_OK;
}

/* ================================================================== */
/* Entry points                                                        */
/* ================================================================== */
void vf_groups_free(vf_groups *g) {
    if (!g) return;
    for (int k = 0; g->keys && k < g->nkeys; k++) {
        free(g->keys[k].values);
        free(g->keys[k].valid);
    }
    for (int a = 0; g->aggs && a < g->naggs; a++) {
        free(g->aggs[a].values);
        free(g->aggs[a].valid);
    }
    free(g->keys);
    free(g->aggs);
    free(g);
}

static void plan_free(gplan *g) {
    for (int w = 0; g->work && w < g->workers; w++) {
        gtab_free(g, &g->work[w].t);
        free(g->work[w].gid);
    }
    for (int p = 0; g->part && p < g->P; p++) gtab_free(g, &g->part[p]);
    for (int t = 0; g->map && t < g->ntabs; t++) free(g->map[t]);
    for (int f = 0; g->gl && f < g->nfin; f++) free(g->gl[f]);
    for (int d = 0; g->dcnt && d < g->ndist; d++) free(g->dcnt[d]);
    for (int t = 0; g->map32 && t < g->ntabs; t++) free(g->map32[t]);
    free(g->map32);
    free(g->dpos);
    free(g->map);
    free(g->part);
    free(g->part_oom);
    free(g->tabs);
    free(g->fin);
    free(g->gl);
    free(g->cnt);
    free(g->off);
    free(g->dcnt);
    free(g->nulls);
    free(g->overflow);
    free(g->work);
    free(g->key);
    free(g->agg);
}

static vf_status start_workers(gplan *g, vf_error *err) {
    g->work = calloc((size_t)g->workers, sizeof *g->work);
    if (!g->work) return vf_fail(err, VF_ENOMEM, "out of memory");
    size_t M = VF_MORSEL, W = g->W ? (size_t)g->W : 1;
    for (int w = 0; w < g->workers; w++) {
        gwork *k = &g->work[w];
        /* one block: gid, key (M * W words), h, s1, s2, v1, v2 */
        uint8_t *p = malloc(M * 4 + M * W * 8 + 3 * M * 8 + 2 * M);
        if (!p) return vf_fail(err, VF_ENOMEM, "out of memory");
        k->gid = (uint32_t *)p;
        k->key = (uint64_t *)(p + M * 4);
        k->h = k->key + M * W;
        k->s1 = k->h + M;
        k->s2 = k->s1 + M;
        k->v1 = (uint8_t *)(k->s2 + M);
        k->v2 = k->v1 + M;
    }
    return VF_OK;
}

vf_status vf_group_agg_ex(const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel,
                          const int *keys, int nkeys, const vf_aggspec *aggs, int naggs, int threads,
                          const vf_group_opts *opts, vf_groups **out, vf_error *err) {
    *out = NULL;
    vf_error_clear(err);
    vf_status st = vf_check_cols(cols, ncols, nrows, err);
    if (st == VF_OK) st = vf_check_sel(sel, nsel, nrows, err);
    if (st != VF_OK) return st;
    if (nkeys < 0 || naggs < 0 || (nkeys && !keys) || (naggs && !aggs))
        return vf_fail(err, VF_EARG, "bad key or aggregate list (%d keys, %d aggregates)", nkeys, naggs);
    gplan g = {.cols = cols, .sel = sel, .n = sel ? nsel : nrows, .nkeys = nkeys, .naggs = naggs};
    g.workers = vf_workers(threads, vf_ceil_div(g.n, VF_TASK));
    g.key = calloc((size_t)nkeys + 1, sizeof *g.key);
    g.agg = calloc((size_t)naggs + 1, sizeof *g.agg);
    vf_groups *o = calloc(1, sizeof *o);
    if (o) {
        o->nkeys = nkeys;
        o->naggs = naggs;
        o->keys = calloc((size_t)nkeys + 1, sizeof *o->keys);
        o->aggs = calloc((size_t)naggs + 1, sizeof *o->aggs);
    }
    if (!g.key || !g.agg || !o || !o->keys || !o->aggs) st = vf_fail(err, VF_ENOMEM, "out of memory");
    for (int a = 0; a < naggs && st == VF_OK; a++) {
        st = vf_agg_setup(cols, ncols, &aggs[a], a, &g.agg[a], err);
        if (g.agg[a].op == VF_AGG_COUNT_DISTINCT) g.agg[a].dset = g.ndist++;
    }
    if (st == VF_OK) st = start_workers(&g, err); /* the stats pass needs the scratch; W is set below */
    if (st == VF_OK) st = plan_keys(&g, keys, err, ncols);
    if (st == VF_OK) st = plan_strategy(&g, opts ? opts->strategy : 0, err);
    g.pool = opts ? opts->pool : NULL;
    if (st == VF_OK && g.W > 1) { /* MULTI needs wider key scratch */
        for (int w = 0; w < g.workers; w++) free(g.work[w].gid);
        free(g.work);
        st = start_workers(&g, err);
    }
    if (st == VF_OK) {
        o->strategy = g.strat;
        vf_parallel_for((size_t)vf_ceil_div(g.n, VF_TASK), g.workers, agg_task, &g);
        for (int w = 0; w < g.workers; w++)
            if (g.work[w].oom) st = vf_fail(err, VF_ENOMEM, "out of memory");
    }
    if (st == VF_OK) st = merge(&g, err);
    g.out = o;
    if (st == VF_OK) st = output(&g, err);
    plan_free(&g);
    if (st != VF_OK) {
        vf_groups_free(o);
        return st;
    }
    *out = o;
    return VF_OK;
}

vf_status vf_group_agg(const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel,
                       const int *keys, int nkeys, const vf_aggspec *aggs, int naggs, int threads, vf_groups **out,
                       vf_error *err) {
    return vf_group_agg_ex(cols, ncols, nrows, sel, nsel, keys, nkeys, aggs, naggs, threads, NULL, out, err);
}
