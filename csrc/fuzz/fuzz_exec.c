/*
 * fuzz_exec.c - libFuzzer target for the query kernels (csrc/exec/).
 *
 * The input is read as a little program of choices: a table (up to 8
 * columns of any type, up to ~600 rows, values and nulls from the bytes,
 * dictionary codes always in range), an expression program (any op byte,
 * valid or not, with literals, IN sets and LUT tables of the sizes the
 * bytes say), a selection, group-by keys and aggregates, and a top-k.
 * Invariants, each an abort with a message when broken:
 *   - vf_expr_check refuses exactly what the runners refuse: when it
 *     fails, vf_filter and vf_eval fail with VF_EARG too, having run
 *     nothing; when it passes they succeed (unless the result kind is one
 *     they do not take);
 *   - vf_filter keeps exactly the rows where vf_eval is non-null and
 *     non-zero, and gives the same rows on 1 and 3 threads;
 *   - vf_group_agg gives the same groups and counts whatever the strategy
 *     and thread count, and the counts add up to the rows;
 *   - vf_topk returns min(k, n) distinct rows of the selection.
 * Everything is freed (the fuzzer runs with leak checks).
 */
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                               \
    do {                                                        \
        fprintf(stderr, "fuzz_exec invariant: " __VA_ARGS__);   \
        fprintf(stderr, "\n");                                  \
        abort();                                                \
    } while (0)

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

static uint8_t u8(rd *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static uint64_t u64(rd *r) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)u8(r) << (8 * k);
    return v;
}

/* every allocation of one input, freed together */
typedef struct pool {
    void *p[256];
    int n;
} pool;

static void *alloc(pool *pl, size_t bytes) {
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) abort();
    if (pl->n < 256) pl->p[pl->n++] = p;
    return p;
}

static void pool_free(pool *pl) {
    for (int i = 0; i < pl->n; i++) free(pl->p[i]);
}

static void make_column(rd *r, pool *pl, vf_colview *c, int64_t nrows) {
    memset(c, 0, sizeof *c);
    c->name = "c";
    c->type = (vf_type)(1 + u8(r) % 14);
    size_t w = vf_type_width(c->type);
    uint8_t *vals = alloc(pl, (size_t)nrows * w);
    uint8_t mode = u8(r); /* small values, any bytes, or a few repeated ones */
    for (int64_t i = 0; i < nrows; i++) {
        uint64_t v = mode % 3 == 0 ? (uint64_t)(int64_t)(int8_t)u8(r) : mode % 3 == 1 ? u64(r) : (uint64_t)(u8(r) % 4);
        memcpy(vals + (size_t)i * w, &v, w);
    }
    if (c->type == VF_T_BOOL)
        for (int64_t i = 0; i < nrows; i++) vals[i] &= 1;
    if (c->type == VF_T_STRING || c->type == VF_T_ADDR || c->type == VF_T_BINARY) {
        c->dict_n = u8(r) % 9;
        int32_t *codes = (int32_t *)vals;
        for (int64_t i = 0; i < nrows; i++) codes[i] = c->dict_n ? (int32_t)((uint32_t)codes[i] % (uint32_t)(c->dict_n + 1)) - 1 : -1;
    } else if (u8(r) % 2) {
        uint8_t *ok = alloc(pl, (size_t)nrows);
        for (int64_t i = 0; i < nrows; i++) ok[i] = u8(r) % 4 != 0;
        c->valid = ok;
    }
    c->values = vals;
}

static void make_program(rd *r, pool *pl, vf_xnode *p, int *np, int ncols) {
    *np = 1 + u8(r) % 24;
    for (int j = 0; j < *np; j++) {
        vf_xnode *nd = &p[j];
        memset(nd, 0, sizeof *nd);
        uint8_t b = u8(r);
        nd->op = b < 250 ? 1 + b % 29 : (int)b; /* mostly valid ops, sometimes not */
        switch (nd->op) {
        case VF_X_COL: nd->col = (int)(u8(r) % (ncols + 1)) - (u8(r) == 255); break;
        case VF_X_INT: case VF_X_BOOL: nd->i = u8(r) % 2 ? (int64_t)u64(r) : (int64_t)(int8_t)u8(r); break;
        case VF_X_FLOAT: {
            uint64_t bits = u64(r);
            memcpy(&nd->f, &bits, 8);
            if (u8(r) % 2) nd->f = (double)(int8_t)u8(r) / 4;
            break;
        }
        case VF_X_BIN: nd->i = (int64_t)(int8_t)u8(r); nd->origin = (int64_t)(int8_t)u8(r); break;
        case VF_X_IN: {
            nd->nset = u8(r) % 12;
            int64_t *set = alloc(pl, (size_t)nd->nset * 8);
            int64_t v = (int64_t)(int8_t)u8(r);
            bool sorted = u8(r) % 4 != 0;
            for (int64_t k = 0; k < nd->nset; k++) {
                v += sorted ? 1 + u8(r) % 5 : (int64_t)(int8_t)u8(r);
                set[k] = u8(r) == 0 ? (int64_t)u64(r) : v;
            }
            nd->set = set;
            break;
        }
        case VF_X_LUT: {
            nd->nlut = u8(r) % 10;
            uint8_t *lut = alloc(pl, (size_t)nd->nlut);
            for (int32_t k = 0; k < nd->nlut; k++) lut[k] = u8(r) % 4 == 0 ? u8(r) : u8(r) % 3;
            nd->lut = lut;
            nd->lut_null = u8(r) % 4;
            break;
        }
        default: break;
        }
    }
}

static void check_expr(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *p, int np,
                       const int64_t *sel, int64_t nsel) {
    vf_error err;
    int kind = 0;
    vf_status cst = vf_expr_check(cols, ncols, p, np, &kind, &err);
    int64_t *rows = NULL, nrow = 0, *rows3 = NULL, nrow3 = 0;
    void *vals = NULL;
    uint8_t *valid = NULL;
    int ekind = 0;
    vf_status fst = vf_filter(cols, ncols, nrows, p, np, sel, nsel, 1, &rows, &nrow, &err);
    vf_status est = vf_eval(cols, ncols, nrows, p, np, sel, nsel, 2, &vals, &valid, &ekind, &err);
    if (cst != VF_OK) {
        if (cst != VF_EARG) FAIL("check failed with %d", cst);
        if (fst != VF_EARG || est != VF_EARG) FAIL("check refused a program the runners took (%d %d)", fst, est);
        if (rows || vals) FAIL("a refused program left results");
        return;
    }
    bool filterable = kind == VF_XK_BOOL || kind == VF_XK_INT;
    if ((fst == VF_OK) != filterable) FAIL("filter status %d for kind %d", fst, kind);
    if ((est == VF_OK) != (kind != VF_XK_CODES)) FAIL("eval status %d for kind %d", est, kind);
    if (est == VF_OK && ekind != kind) FAIL("eval kind %d, check said %d", ekind, kind);
    if (fst == VF_OK) {
        if (vf_filter(cols, ncols, nrows, p, np, sel, nsel, 3, &rows3, &nrow3, &err) != VF_OK) FAIL("filter, 3 threads");
        if (nrow3 != nrow || (nrow && memcmp(rows, rows3, (size_t)nrow * 8))) FAIL("threads change the rows");
        /* the rows where eval says true */
        int64_t n = sel ? nsel : nrows, k = 0;
        for (int64_t i = 0; i < n; i++) {
            bool t = (!valid || valid[i]) && (kind == VF_XK_FLOAT ? ((double *)vals)[i] != 0 : ((int64_t *)vals)[i] != 0);
            if (!t) continue;
            int64_t row = sel ? sel[i] : i;
            if (k >= nrow || rows[k] != row) FAIL("filter and eval disagree at row %lld", (long long)row);
            k++;
        }
        if (k != nrow) FAIL("filter kept %lld rows, eval says %lld", (long long)nrow, (long long)k);
    }
    free(rows);
    free(rows3);
    free(vals);
    free(valid);
}

static void check_groups(rd *r, const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel) {
    int keys[3], nkeys = u8(r) % 4;
    for (int k = 0; k < nkeys; k++) keys[k] = (int)(u8(r) % (ncols + 1));
    vf_aggspec aggs[6];
    int naggs = 1 + u8(r) % 6;
    aggs[0] = (vf_aggspec){VF_AGG_COUNT_ALL, 0, 0, 0};
    for (int a = 1; a < naggs; a++)
        aggs[a] = (vf_aggspec){1 + u8(r) % 15, (int)(u8(r) % (ncols + 1)), (int)(u8(r) % ncols), u8(r) % 18};
    int64_t groups = -1, n = sel ? nsel : nrows;
    vf_status first = VF_OK;
    for (int s = 0; s <= 3; s++)
        for (int t = 1; t <= 2; t++) {
            vf_groups *g = NULL;
            vf_error err;
            vf_group_opts o = {.strategy = s};
            vf_status st = vf_group_agg_ex(cols, ncols, nrows, sel, nsel, keys, nkeys, aggs, naggs, t, &o, &g, &err);
            if (st != VF_OK) {
                if (st != VF_EARG) FAIL("group_agg failed with %d: %s", st, err.msg);
                if (g) FAIL("a failed group_agg left a result");
                if (s == 0 && t == 1) first = st;
                continue;
            }
            if (first != VF_OK) FAIL("strategy %d took what auto refused", s);
            if (groups >= 0 && g->ngroups != groups) FAIL("strategy %d threads %d: %lld groups, not %lld", s, t,
                                                        (long long)g->ngroups, (long long)groups);
            groups = g->ngroups;
            int64_t total = 0;
            for (int64_t i = 0; i < g->ngroups; i++) total += ((int64_t *)g->aggs[0].values)[i];
            if (total != n) FAIL("counts add up to %lld, not %lld", (long long)total, (long long)n);
            vf_groups_free(g);
        }
}

static void check_topk(rd *r, const vf_colview *c, int64_t nrows, const int64_t *sel, int64_t nsel) {
    int64_t k = u8(r) % 40, *out = NULL, nout = 0, n = sel ? nsel : nrows;
    vf_error err;
    vf_status st = vf_topk(c, nrows, sel, nsel, k, u8(r) % 2, &out, &nout, &err);
    if (st != VF_OK) {
        if (st != VF_EARG || !vf_type_is_dict(c->type)) FAIL("topk failed: %s", err.msg);
        return;
    }
    if (nout != (k < n ? k : n)) FAIL("topk gave %lld rows", (long long)nout);
    for (int64_t i = 0; i < nout; i++)
        for (int64_t j = 0; j < i; j++)
            if (out[i] == out[j]) FAIL("topk repeats a row");
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rd r = {data, size, 0};
    pool pl = {.n = 0};
    int64_t nrows = u8(&r) % 4 == 0 ? 0 : (int64_t)(u8(&r) | (u8(&r) & 1) << 8);
    int ncols = 1 + u8(&r) % 8;
    vf_colview cols[8];
    for (int c = 0; c < ncols; c++) make_column(&r, &pl, &cols[c], nrows);
    /* a selection: none, or an increasing subset */
    int64_t *sel = NULL, nsel = 0;
    if (u8(&r) % 2) {
        sel = alloc(&pl, (size_t)nrows * 8);
        uint8_t keep = u8(&r);
        for (int64_t i = 0; i < nrows; i++)
            if ((uint8_t)(i * 37 + keep) % 3) sel[nsel++] = i;
    }
    vf_xnode prog[24];
    int np;
    make_program(&r, &pl, prog, &np, ncols);
    check_expr(cols, ncols, nrows, prog, np, sel, nsel);
    check_groups(&r, cols, ncols, nrows, sel, nsel);
    check_topk(&r, &cols[u8(&r) % ncols], nrows, sel, nsel);
    pool_free(&pl);
    return 0;
}
