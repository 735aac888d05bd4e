/*
 * aggop.c - the aggregates' states (aggop.h).
 *
 * Numerics, chosen to match DuckDB:
 *   - integer SUM/AVG accumulate in 128 bits, so no partial sum can
 *     overflow; only a final SUM outside int64 is an error;
 *   - STDDEV/VARIANCE use Welford's update and Chan's merge, CORR the same
 *     for the co-moment, and CORR's result is DuckDB's formula
 *     covar_pop / (stddev_pop(x) * stddev_pop(y)): NaN when that product
 *     is 0 (one row, or a constant column), as DuckDB 2 gives;
 *   - MIN/MAX/ARG_MIN/ARG_MAX compare order keys (xint.h), so NaN is the
 *     largest value and -0.0 equals 0.0; ARG ties go to the first row.
 */
#include "aggop.h"

typedef struct { vf_i128 s; int64_t n, pad_; } st_isum;
typedef struct { double s; int64_t n; } st_fsum;
typedef struct { uint64_t k; int64_t n; } st_ext;   /* MIN/MAX: an order key */
typedef struct { int64_t n; double mean, m2; } st_var;
typedef struct { int64_t n; double mx, my, m2x, m2y, cxy; } st_corr;
typedef struct { uint64_t k; int64_t row; } st_arg; /* row -1: none yet */

static bool is_value(const vf_colview *c) { return !vf_type_is_dict(c->type); }

static const char *agg_name(int op) {
    static const char *const names[] = {"?", "COUNT(*)", "COUNT", "SUM", "MIN", "MAX", "AVG", "STDDEV", "STDDEV_POP",
                                        "VARIANCE", "CORR", "COUNT_DISTINCT", "APPROX_DISTINCT", "ARG_MIN", "ARG_MAX"};
    return op >= 1 && op <= VF_AGG_ARG_MAX ? names[op] : "?";
}

static vf_status bad_col(vf_error *err, int idx, int op, int col, const vf_colview *c) {
    return vf_fail(err, VF_EARG, "aggregate %d (%s): column %d (%s) is %s, not a number", idx, agg_name(op), col,
                   c->name ? c->name : "?", vf_type_name(c->type));
}

static vf_status pick_col(const vf_colview *cols, int ncols, int col, int idx, int op, const vf_colview **out,
                          vf_error *err) {
    if (col < 0 || col >= ncols)
        return vf_fail(err, VF_EARG, "aggregate %d (%s): column %d does not exist (%d columns)", idx, agg_name(op), col,
                       ncols);
    *out = &cols[col];
    return VF_OK;
}

vf_status vf_agg_setup(const vf_colview *cols, int ncols, const vf_aggspec *s, int idx, gagg *a, vf_error *err) {
    memset(a, 0, sizeof *a);
    a->op = s->op;
    a->dset = -1;
    a->otype = VF_T_INT64;
    a->cidx = s->col;
    a->c2idx = s->col2;
    if (s->op < VF_AGG_COUNT_ALL || s->op > VF_AGG_ARG_MAX)
        return vf_fail(err, VF_EARG, "aggregate %d: unknown op %d", idx, s->op);
    if (s->op == VF_AGG_COUNT_ALL) return VF_OK;
    vf_status st = pick_col(cols, ncols, s->col, idx, s->op, &a->c, err);
    if (st == VF_OK && (s->op == VF_AGG_CORR || s->op == VF_AGG_ARG_MIN || s->op == VF_AGG_ARG_MAX))
        st = pick_col(cols, ncols, s->col2, idx, s->op, &a->c2, err);
    if (st != VF_OK) return st;
    a->null_c = vf_col_nullable(a->c);
    bool fl = vf_is_float_type(a->c->type);
    switch (s->op) {
    case VF_AGG_COUNT:
        a->in = a->null_c ? AIN_VALID : AIN_NONE;
        a->ssize = a->null_c ? sizeof(int64_t) : 0;
        return VF_OK;
    case VF_AGG_COUNT_DISTINCT: a->in = AIN_BITS; return VF_OK;
    case VF_AGG_APPROX_DISTINCT:
        a->in = AIN_BITS;
        a->ssize = sizeof(vf_hll);
        a->hllp = s->param ? s->param : 12;
        if (a->hllp < 4 || a->hllp > 16)
            return vf_fail(err, VF_EARG, "aggregate %d (APPROX_DISTINCT): precision %d is not in 4..16", idx, s->param);
        return VF_OK;
    case VF_AGG_ARG_MIN:
    case VF_AGG_ARG_MAX:
        if (!is_value(a->c2)) return bad_col(err, idx, s->op, s->col2, a->c2);
        if (s->param != 0 && s->param != 1)
            return vf_fail(err, VF_EARG, "aggregate %d (%s): param %d is not 0 or 1", idx, agg_name(s->op), s->param);
        a->keep_null_arg = s->param == 1;
        if (a->keep_null_arg) a->null_c = false; /* a null col does not skip the row */
        a->null_c2 = vf_col_nullable(a->c2);
        a->in = AIN_OKEY;
        a->ssize = sizeof(st_arg);
        a->otype = a->c->type;
        return VF_OK;
    default: break;
    }
    if (!is_value(a->c)) return bad_col(err, idx, s->op, s->col, a->c);
    switch (s->op) {
    case VF_AGG_SUM:
    case VF_AGG_AVG:
        a->in = fl ? AIN_F64 : AIN_I64;
        a->uns = a->c->type == VF_T_UINT64;
        a->ssize = fl ? sizeof(st_fsum) : sizeof(st_isum);
        a->otype = fl || s->op == VF_AGG_AVG ? VF_T_FLOAT64 : VF_T_INT64;
        break;
    case VF_AGG_MIN:
    case VF_AGG_MAX:
        a->in = AIN_OKEY;
        a->ssize = sizeof(st_ext);
        a->otype = fl ? VF_T_FLOAT64 : a->c->type == VF_T_UINT64 ? VF_T_UINT64 : VF_T_INT64;
        break;
    case VF_AGG_CORR:
        if (!is_value(a->c2)) return bad_col(err, idx, s->op, s->col2, a->c2);
        a->null_c2 = vf_col_nullable(a->c2);
        a->in = AIN_XY;
        a->ssize = sizeof(st_corr);
        a->otype = VF_T_FLOAT64;
        break;
    default: /* STDDEV, STDDEV_POP, VARIANCE */
        a->in = AIN_F64;
        a->ssize = sizeof(st_var);
        a->otype = VF_T_FLOAT64;
    }
    return VF_OK;
}

bool vf_agg_nullable(const gagg *a) {
    return a->op != VF_AGG_COUNT_ALL && a->op != VF_AGG_COUNT && a->op != VF_AGG_COUNT_DISTINCT &&
           a->op != VF_AGG_APPROX_DISTINCT;
}

void vf_agg_init(const gagg *a, void *st, size_t from, size_t to) {
    if (!a->ssize || to <= from) return;
    memset((char *)st + from * a->ssize, 0, (to - from) * a->ssize);
    if (a->op == VF_AGG_MIN) {
        st_ext *s = st;
        for (size_t g = from; g < to; g++) s[g].k = UINT64_MAX;
    } else if (a->op == VF_AGG_ARG_MIN || a->op == VF_AGG_ARG_MAX) {
        st_arg *s = st;
        for (size_t g = from; g < to; g++) s[g] = (st_arg){a->op == VF_AGG_ARG_MIN ? UINT64_MAX : 0, -1};
    }
}

/* ================================================================== */
/* Updates                                                             */
/* ================================================================== */
/* BODY for every row i that counts */
#define EACH(BODY)                                     \
    do {                                               \
        if (in->valid) {                               \
            const uint8_t *v_ = in->valid;             \
            for (int i = 0; i < n; i++)                \
                if (v_[i]) { BODY; }                   \
        } else {                                       \
            for (int i = 0; i < n; i++) { BODY; }      \
        }                                              \
    } while (0)

/* BODY for every row, with m = 1 when it counts, 0 if not (branch-free updates) */
#define EACH_M(BODY)                                        \
    do {                                                    \
        if (in->valid) {                                    \
            const uint8_t *v_ = in->valid;                  \
            for (int i = 0; i < n; i++) {                   \
                const uint8_t m = v_[i];                    \
                BODY;                                       \
            }                                               \
        } else {                                            \
            for (int i = 0; i < n; i++) {                   \
                const uint8_t m = 1;                        \
                BODY;                                       \
            }                                               \
        }                                                   \
    } while (0)

static inline void welford(st_var *s, double x) {
    s->n++;
    double d = x - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
}

static inline void comoment(st_corr *s, double x, double y) {
    s->n++;
    double n = (double)s->n, dx = x - s->mx, dy = y - s->my;
    s->mx += dx / n;
    s->my += dy / n;
    s->m2x += dx * (x - s->mx);
    s->m2y += dy * (y - s->my);
    s->cxy += dx * (y - s->my);
}

static bool update_hll(const gagg *a, vf_hll *s, const aggin *in) {
    const uint32_t *g = in->gid;
    const uint64_t *k = in->k;
    int n = in->n, p = a->hllp;
    bool ok = true;
    EACH(ok &= vf_hll_add(&s[g[i]], p, vf_hll_hash(k[i])));
    return ok;
}

static void update_arg(const gagg *a, st_arg *s, const aggin *in) {
    const uint32_t *g = in->gid;
    const uint64_t *k = in->k;
    int n = in->n;
    bool min = a->op == VF_AGG_ARG_MIN;
    EACH({
        st_arg *t = &s[g[i]];
        int64_t row = vf_row(in->sel, in->base + i);
        if (t->row < 0 || (min ? k[i] < t->k : k[i] > t->k) || (k[i] == t->k && row < t->row)) {
            t->k = k[i];
            t->row = row;
        }
    });
}

static void merge_var(st_var *d, const st_var *s);
static void merge_corr(st_corr *d, const st_corr *s);

/* Few groups in a morsel (every group id below SMALL_G): per-row Welford
 * updates of one group form a chain of dependent divisions, about 20 ns a
 * row.  Instead each group's rows of the morsel are summed, centred on
 * their own mean in a second pass (exact two-pass moments of the morsel),
 * and merged into the state with Chan's formula, as worker states are
 * merged.  Values are taken relative to the group's first value in the
 * morsel: a constant group then has its value as the mean exactly and a
 * moment of exactly 0 (variance 0, corr NaN, as DuckDB's), where sum / n
 * can round away from the value and leave a moment of rounding noise.
 * Returns false (nothing done) when a group id is too large. */
static bool small_groups(const aggin *in) { return in->gid_or < SMALL_G; }

/* True the first time group k is met in the morsel (its reference value is then taken). */
static inline bool first_of_group(bool *seen, uint32_t k) {
    bool first = !seen[k];
    seen[k] = true;
    return first;
}

static bool var_batched(st_var *s, const aggin *in) {
    if (!small_groups(in)) return false;
    const uint32_t *g = in->gid;
    const double *x = in->x;
    int n = in->n;
    int64_t cnt[LANES][SMALL_G] = {{0}};
    double sum[LANES][SMALL_G] = {{0}}, m2[LANES][SMALL_G] = {{0}};
    double ref[SMALL_G] = {0};
    bool seen[SMALL_G] = {false};
    EACH({
        uint32_t k = g[i];
        if (first_of_group(seen, k)) ref[k] = x[i];
        cnt[i % LANES][k]++;
        sum[i % LANES][k] += x[i] - ref[k];
    });
    double mean[SMALL_G];
    int64_t c[SMALL_G];
    for (int k = 0; k < SMALL_G; k++) {
        double t = 0;
        c[k] = 0;
        for (int l = 0; l < LANES; l++) {
            c[k] += cnt[l][k];
            t += sum[l][k];
        }
        mean[k] = c[k] ? t / (double)c[k] : 0.0; /* relative to ref */
    }
    EACH({ double d = (x[i] - ref[g[i]]) - mean[g[i]]; m2[i % LANES][g[i]] += d * d; });
    for (int k = 0; k < SMALL_G; k++)
        if (c[k]) {
            st_var loc = {c[k], ref[k] + mean[k], m2[0][k] + m2[1][k] + m2[2][k] + m2[3][k]};
            merge_var(&s[k], &loc);
        }
    return true;
}

static bool corr_batched(st_corr *s, const aggin *in) {
    if (!small_groups(in)) return false;
    const uint32_t *g = in->gid;
    const double *x = in->x, *y = in->y;
    int n = in->n;
    int64_t cnt[LANES][SMALL_G] = {{0}};
    double sx[LANES][SMALL_G] = {{0}}, sy[LANES][SMALL_G] = {{0}};
    double m2x[LANES][SMALL_G] = {{0}}, m2y[LANES][SMALL_G] = {{0}}, cxy[LANES][SMALL_G] = {{0}};
    double rx[SMALL_G] = {0}, ry[SMALL_G] = {0};
    bool seen[SMALL_G] = {false};
    EACH({
        uint32_t k = g[i];
        if (first_of_group(seen, k)) {
            rx[k] = x[i];
            ry[k] = y[i];
        }
        cnt[i % LANES][k]++;
        sx[i % LANES][k] += x[i] - rx[k];
        sy[i % LANES][k] += y[i] - ry[k];
    });
    double mx[SMALL_G], my[SMALL_G];
    int64_t c[SMALL_G];
    for (int k = 0; k < SMALL_G; k++) {
        double tx = 0, ty = 0;
        c[k] = 0;
        for (int l = 0; l < LANES; l++) {
            c[k] += cnt[l][k];
            tx += sx[l][k];
            ty += sy[l][k];
        }
        mx[k] = c[k] ? tx / (double)c[k] : 0.0;
        my[k] = c[k] ? ty / (double)c[k] : 0.0;
    }
    EACH({
        double dx = (x[i] - rx[g[i]]) - mx[g[i]];
        double dy = (y[i] - ry[g[i]]) - my[g[i]];
        m2x[i % LANES][g[i]] += dx * dx;
        m2y[i % LANES][g[i]] += dy * dy;
        cxy[i % LANES][g[i]] += dx * dy;
    });
    for (int k = 0; k < SMALL_G; k++)
        if (c[k]) {
            st_corr loc = {c[k], rx[k] + mx[k], ry[k] + my[k], m2x[0][k] + m2x[1][k] + m2x[2][k] + m2x[3][k],
                           m2y[0][k] + m2y[1][k] + m2y[2][k] + m2y[3][k],
                           cxy[0][k] + cxy[1][k] + cxy[2][k] + cxy[3][k]};
            merge_corr(&s[k], &loc);
        }
    return true;
}

static bool isum_batched(const gagg *a, st_isum *s, const aggin *in) {
    if (!small_groups(in)) return false;
    const uint32_t *g = in->gid;
    const int64_t *x = in->i;
    int n = in->n;
    vf_i128 sum[LANES][SMALL_G];
    int64_t cnt[LANES][SMALL_G];
    memset(sum, 0, sizeof sum);
    memset(cnt, 0, sizeof cnt);
    if (a->uns)
        EACH_M({ sum[i % LANES][g[i]] += (vf_i128)((uint64_t)x[i] & -(uint64_t)m); cnt[i % LANES][g[i]] += m; });
    else
        EACH_M({ sum[i % LANES][g[i]] += x[i] & -(int64_t)m; cnt[i % LANES][g[i]] += m; });
    for (int k = 0; k < SMALL_G; k++) { /* only the groups that got values: the others may not exist */
        int64_t c = cnt[0][k] + cnt[1][k] + cnt[2][k] + cnt[3][k];
        if (!c) continue;
        s[k].s += sum[0][k] + sum[1][k] + sum[2][k] + sum[3][k];
        s[k].n += c;
    }
    return true;
}

bool vf_agg_update(const gagg *a, void *st, const aggin *in) {
    const uint32_t *g = in->gid;
    int n = in->n;
    switch (a->op) {
    case VF_AGG_COUNT: {
        int64_t *s = st;
        if (in->valid)
            for (int i = 0; i < n; i++) s[g[i]] += in->valid[i];
        break;
    }
    case VF_AGG_SUM:
    case VF_AGG_AVG:
        if (a->in == AIN_F64) {
            st_fsum *s = st;
            const double *x = in->x;
            EACH_M({ s[g[i]].s += m ? x[i] : 0.0; s[g[i]].n += m; });
        } else if (isum_batched(a, st, in)) {
            break;
        } else if (a->uns) {
            st_isum *s = st;
            const int64_t *x = in->i;
            EACH_M({ s[g[i]].s += (vf_i128)((uint64_t)x[i] & -(uint64_t)m); s[g[i]].n += m; });
        } else {
            st_isum *s = st;
            const int64_t *x = in->i;
            EACH_M({ s[g[i]].s += x[i] & -(int64_t)m; s[g[i]].n += m; });
        }
        break;
    case VF_AGG_MIN: {
        st_ext *s = st;
        const uint64_t *k = in->k;
        EACH_M({
            uint64_t v = m ? k[i] : UINT64_MAX;
            s[g[i]].k = v < s[g[i]].k ? v : s[g[i]].k;
            s[g[i]].n += m;
        });
        break;
    }
    case VF_AGG_MAX: {
        st_ext *s = st;
        const uint64_t *k = in->k;
        EACH_M({
            uint64_t v = m ? k[i] : 0;
            s[g[i]].k = v > s[g[i]].k ? v : s[g[i]].k;
            s[g[i]].n += m;
        });
        break;
    }
    case VF_AGG_STDDEV:
    case VF_AGG_STDDEV_POP:
    case VF_AGG_VARIANCE: {
        st_var *s = st;
        const double *x = in->x;
        if (!var_batched(s, in)) EACH(welford(&s[g[i]], x[i]));
        break;
    }
    case VF_AGG_CORR: {
        st_corr *s = st;
        const double *x = in->x, *y = in->y;
        if (!corr_batched(s, in)) EACH(comoment(&s[g[i]], x[i], y[i]));
        break;
    }
    case VF_AGG_APPROX_DISTINCT: return update_hll(a, st, in);
    case VF_AGG_ARG_MIN:
    case VF_AGG_ARG_MAX: update_arg(a, st, in); break;
    default: break; /* COUNT(*): the row counts; COUNT_DISTINCT: agg.c's pair sets */
    }
    return true;
}

/* ================================================================== */
/* Merges                                                              */
/* ================================================================== */
static void merge_var(st_var *d, const st_var *s) {
    if (!s->n) return;
    if (!d->n) {
        *d = *s;
        return;
    }
    double n = (double)(d->n + s->n), delta = s->mean - d->mean;
    d->mean += delta * (double)s->n / n;
    d->m2 += s->m2 + delta * delta * (double)d->n * (double)s->n / n;
    d->n += s->n;
}

static void merge_corr(st_corr *d, const st_corr *s) {
    if (!s->n) return;
    if (!d->n) {
        *d = *s;
        return;
    }
    double n = (double)(d->n + s->n), f = (double)d->n * (double)s->n / n;
    double dx = s->mx - d->mx, dy = s->my - d->my;
    d->mx += dx * (double)s->n / n;
    d->my += dy * (double)s->n / n;
    d->m2x += s->m2x + dx * dx * f;
    d->m2y += s->m2y + dy * dy * f;
    d->cxy += s->cxy + dx * dy * f;
    d->n += s->n;
}

static void merge_arg(bool min, st_arg *d, const st_arg *s) {
    if (s->row < 0) return;
    if (d->row < 0 || (min ? s->k < d->k : s->k > d->k) || (s->k == d->k && s->row < d->row)) *d = *s;
}

bool vf_agg_merge(const gagg *a, void *dst, const uint32_t *dg, const void *src, const uint32_t *sg, size_t n) {
    switch (a->op) {
    case VF_AGG_COUNT: {
        int64_t *d = dst;
        const int64_t *s = src;
        if (a->ssize)
            for (size_t i = 0; i < n; i++) d[dg[i]] += s[sg[i]];
        break;
    }
    case VF_AGG_SUM:
    case VF_AGG_AVG:
        if (a->in == AIN_F64) {
            st_fsum *d = dst;
            const st_fsum *s = src;
            for (size_t i = 0; i < n; i++) {
                d[dg[i]].s += s[sg[i]].s;
                d[dg[i]].n += s[sg[i]].n;
            }
        } else {
            st_isum *d = dst;
            const st_isum *s = src;
            for (size_t i = 0; i < n; i++) {
                d[dg[i]].s += s[sg[i]].s;
                d[dg[i]].n += s[sg[i]].n;
            }
        }
        break;
    case VF_AGG_MIN:
    case VF_AGG_MAX: {
        st_ext *d = dst;
        const st_ext *s = src;
        bool min = a->op == VF_AGG_MIN;
        for (size_t i = 0; i < n; i++) {
            st_ext *t = &d[dg[i]];
            const st_ext *u = &s[sg[i]];
            if (min ? u->k < t->k : u->k > t->k) t->k = u->k;
            t->n += u->n;
        }
        break;
    }
    case VF_AGG_STDDEV:
    case VF_AGG_STDDEV_POP:
    case VF_AGG_VARIANCE:
        for (size_t i = 0; i < n; i++) merge_var(&((st_var *)dst)[dg[i]], &((const st_var *)src)[sg[i]]);
        break;
    case VF_AGG_CORR:
        for (size_t i = 0; i < n; i++) merge_corr(&((st_corr *)dst)[dg[i]], &((const st_corr *)src)[sg[i]]);
        break;
    case VF_AGG_APPROX_DISTINCT:
        for (size_t i = 0; i < n; i++)
            if (!vf_hll_merge(&((vf_hll *)dst)[dg[i]], &((const vf_hll *)src)[sg[i]], a->hllp)) return false;
        break;
    case VF_AGG_ARG_MIN:
    case VF_AGG_ARG_MAX:
        for (size_t i = 0; i < n; i++)
            merge_arg(a->op == VF_AGG_ARG_MIN, &((st_arg *)dst)[dg[i]], &((const st_arg *)src)[sg[i]]);
        break;
    default: break;
    }
    return true;
}

/* ================================================================== */
/* Results                                                             */
/* ================================================================== */
/* the value of column c at row (or its null) as result j of o */
static bool put_cell(const vf_colview *c, int64_t row, vf_outcol *o, size_t j) {
    size_t w = vf_type_width(c->type);
    bool null = row < 0 || vf_col_is_null(c, row);
    if (vf_type_is_dict(c->type)) {
        ((int32_t *)o->values)[j] = null ? -1 : ((const int32_t *)c->values)[row];
    } else if (null) {
        memset((char *)o->values + j * w, 0, w);
    } else {
        memcpy((char *)o->values + j * w, (const char *)c->values + (size_t)row * w, w);
    }
    o->valid[j] = !null;
    return null;
}

static double var_result(int op, const st_var *s, bool *null) {
    if (op == VF_AGG_STDDEV_POP) {
        *null = s->n < 1;
        return *null ? 0 : sqrt(s->m2 / (double)s->n);
    }
    *null = s->n < 2;
    if (*null) return 0;
    double v = s->m2 / (double)(s->n - 1);
    return op == VF_AGG_STDDEV ? sqrt(v) : v;
}

/* DuckDB's corr: covar_pop / (stddev_pop(x) * stddev_pop(y)), NaN when the product is 0 */
static double corr_result(const st_corr *s, bool *null) {
    *null = s->n == 0;
    if (*null) return 0;
    double n = (double)s->n, cov = s->cxy / n;
    double sx = s->n > 1 ? sqrt(s->m2x / n) : 0, sy = s->n > 1 ? sqrt(s->m2y / n) : 0;
    return sx * sy != 0 ? cov / (sx * sy) : NAN;
}

int64_t vf_agg_final(const gagg *a, const void *st, const int64_t *rows, const uint32_t *gl, size_t n, vf_outcol *o,
                     size_t off, bool *overflow) {
    int64_t nulls = 0;
    int64_t *oi = (int64_t *)o->values + off;
    double *od = (double *)o->values + off;
    uint8_t *ov = o->valid ? o->valid + off : NULL;
    for (size_t j = 0; j < n; j++) {
        size_t g = gl ? gl[j] : j;
        bool null = false;
        switch (a->op) {
        case VF_AGG_COUNT_ALL: oi[j] = rows[g]; break;
        case VF_AGG_COUNT: oi[j] = a->ssize ? ((const int64_t *)st)[g] : rows[g]; break;
        case VF_AGG_COUNT_DISTINCT: oi[j] = ((const int64_t *)st)[g]; break;
        case VF_AGG_APPROX_DISTINCT: oi[j] = vf_hll_estimate(&((const vf_hll *)st)[g], a->hllp); break;
        case VF_AGG_SUM:
        case VF_AGG_AVG:
            if (a->in == AIN_F64) {
                const st_fsum *s = &((const st_fsum *)st)[g];
                null = s->n == 0;
                od[j] = null ? 0 : a->op == VF_AGG_SUM ? s->s : s->s / (double)s->n;
            } else {
                const st_isum *s = &((const st_isum *)st)[g];
                null = s->n == 0;
                if (a->op == VF_AGG_AVG) {
                    od[j] = null ? 0 : (double)((long double)s->s / (long double)s->n);
                } else {
                    if (s->s > INT64_MAX || s->s < INT64_MIN) *overflow = true;
                    oi[j] = (int64_t)s->s;
                }
            }
            break;
        case VF_AGG_MIN:
        case VF_AGG_MAX: {
            const st_ext *s = &((const st_ext *)st)[g];
            null = s->n == 0;
            if (a->otype == VF_T_FLOAT64) od[j] = null ? 0 : vf_okey_dbl(s->k);
            else if (a->otype == VF_T_UINT64) oi[j] = null ? 0 : (int64_t)s->k;
            else oi[j] = null ? 0 : (int64_t)(s->k ^ VF_SIGN64);
            break;
        }
        case VF_AGG_STDDEV:
        case VF_AGG_STDDEV_POP:
        case VF_AGG_VARIANCE: od[j] = var_result(a->op, &((const st_var *)st)[g], &null); break;
        case VF_AGG_CORR: od[j] = corr_result(&((const st_corr *)st)[g], &null); break;
        case VF_AGG_ARG_MIN:
        case VF_AGG_ARG_MAX: nulls += put_cell(a->c, ((const st_arg *)st)[g].row, o, off + j); continue;
        }
        if (ov) ov[j] = !null;
        nulls += null;
    }
    return nulls;
}

void vf_agg_free(const gagg *a, void *st, size_t n) {
    if (a->op != VF_AGG_APPROX_DISTINCT || !st) return;
    for (size_t g = 0; g < n; g++) vf_hll_free(&((vf_hll *)st)[g]);
}
