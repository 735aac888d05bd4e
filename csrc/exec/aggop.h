/*
 * aggop.h - the aggregates of vf_group_agg, one group state at a time
 * (internal to agg.c): what each reads, its state, and how states are
 * initialized, updated a morsel at a time, merged and finalized.
 *
 * States live in one array per aggregate and group table (struct per
 * group), indexed by group id; agg.c owns the arrays and the group ids.
 */
#ifndef VF_AGGOP_H
#define VF_AGGOP_H

#include "hll.h"
#include "xint.h"

__extension__ typedef __int128 vf_i128;

/* what an aggregate reads per morsel */
enum {
    AIN_NONE = 0, /* nothing: the group's row count is enough */
    AIN_VALID,    /* the validity of col */
    AIN_I64,      /* col as int64 */
    AIN_F64,      /* col as double */
    AIN_XY,       /* col and col2 as doubles */
    AIN_OKEY,     /* order keys: of col (MIN/MAX) or of col2 (ARG_MIN/ARG_MAX) */
    AIN_BITS      /* equality bits of col (COUNT_DISTINCT, APPROX_DISTINCT) */
};

typedef struct gagg {
    int op;                 /* vf_aggop */
    bool keep_null_arg;     /* ARG_*: param 1, rows where col is null count too (DuckDB's arg_min_null) */
    int hllp;               /* APPROX_DISTINCT precision */
    const vf_colview *c, *c2;
    int cidx, c2idx;        /* column indexes (messages) */
    int in;                 /* AIN_* */
    bool uns;               /* SUM/AVG of uint64: the int64 bits are unsigned */
    bool null_c, null_c2;   /* which inputs can hold nulls (the rows that count need both valid) */
    size_t ssize;           /* state bytes per group, 0: none */
    vf_type otype;          /* result type */
    int dset;               /* COUNT_DISTINCT: the index of its pair sets, else -1 */
} gagg;

/* A morsel with few groups (every group id below SMALL_G) is aggregated in
 * LANES interleaved lanes (row i in lane i % LANES), so that the updates of
 * consecutive rows of one group do not wait for each other; the lanes are
 * added up at the end. */
#define SMALL_G 64
#define LANES 4

/* one morsel of an aggregate's inputs */
typedef struct aggin {
    int n;
    const uint32_t *gid;    /* the group of each row */
    uint32_t gid_or;        /* the OR of every gid: at least the largest (computed once per morsel) */
    const int64_t *i;       /* AIN_I64 */
    const double *x, *y;    /* AIN_F64, AIN_XY */
    const uint64_t *k;      /* AIN_OKEY, AIN_BITS */
    const uint8_t *valid;   /* the rows that count (1), or NULL for all */
    const int64_t *sel;     /* ARG_*: row i of the morsel is vf_row(sel, base + i) */
    int64_t base;
} aggin;

/* Check spec s (aggregate number idx) against the columns and fill a. */
vf_status vf_agg_setup(const vf_colview *cols, int ncols, const vf_aggspec *s, int idx, gagg *a, vf_error *err);
/* Initialize states [from, to). */
void vf_agg_init(const gagg *a, void *st, size_t from, size_t to);
/* Fold a morsel into the states; false when out of memory (APPROX_DISTINCT). */
bool vf_agg_update(const gagg *a, void *st, const aggin *in);
/* Fold src state sg[i] into dst state dg[i], i < n; false when out of memory. */
bool vf_agg_merge(const gagg *a, void *dst, const uint32_t *dg, const void *src, const uint32_t *sg, size_t n);
/* The results of groups gl[0..n) (gl NULL: 0..n-1) into o->values and
 * o->valid from row off.  rows: each group's row count; for COUNT_DISTINCT
 * st is the int64 count of each group.  Returns the number of nulls;
 * *overflow is set when an integer SUM does not fit int64. */
int64_t vf_agg_final(const gagg *a, const void *st, const int64_t *rows, const uint32_t *gl, size_t n, vf_outcol *o,
                     size_t off, bool *overflow);
/* Release what states [0, n) hold (APPROX_DISTINCT sketches). */
void vf_agg_free(const gagg *a, void *st, size_t n);
/* Can the result be null? */
bool vf_agg_nullable(const gagg *a);

#endif
