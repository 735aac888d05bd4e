/*
 * test_exec.c - unit tests of the query kernels (csrc/exec/): expressions
 * (every op, Kleene logic, NaN, division, wrapping, every column type,
 * selections, bad programs), grouped aggregation (every aggregate, every
 * strategy forced, thread counts 1..4, edge cases), top-k and gather.
 *
 * Random cases are checked against references written the slow, obvious
 * way here: a row-at-a-time interpreter of programs, and a group-by that
 * sorts the rows by their keys.
 */
#include "check.h"
#include "exec/exec.h"
#include "exec/xint.h"

#include <math.h>

__extension__ typedef __int128 i128;

/* ================================================================== */
/* Helpers                                                             */
/* ================================================================== */
static vf_colview mkcol(const char *name, vf_type t, const void *values, const uint8_t *valid) {
    vf_colview c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.type = t;
    c.values = values;
    c.valid = valid;
    return c;
}

static vf_colview mkdict(const char *name, const int32_t *codes, int32_t n) {
    vf_colview c = mkcol(name, VF_T_STRING, codes, NULL);
    c.dict_n = n;
    return c;
}

#define NODE(...) ((vf_xnode){__VA_ARGS__})
#define COL(c) NODE(.op = VF_X_COL, .col = (c))
#define INT(v) NODE(.op = VF_X_INT, .i = (v))
#define FLT(v) NODE(.op = VF_X_FLOAT, .f = (v))
#define BOOLL(v) NODE(.op = VF_X_BOOL, .i = (v))
#define NUL() NODE(.op = VF_X_NULL)
#define OP(o) NODE(.op = (o))
#define ARR(a) a, (int)(sizeof a / sizeof a[0])
#define PROG(...) ((vf_xnode[]){__VA_ARGS__}), (int)(sizeof((vf_xnode[]){__VA_ARGS__}) / sizeof(vf_xnode))

/* run a filter; returns the count, rows into out (caller frees) */
static int64_t run_filter(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *p, int np,
                          const int64_t *sel, int64_t nsel, int threads, int64_t **out) {
    vf_error err;
    int64_t n = -1;
    vf_status st = vf_filter(cols, ncols, nrows, p, np, sel, nsel, threads, out, &n, &err);
    if (st != VF_OK) {
        fprintf(stderr, "filter failed: %s\n", err.msg);
        *out = NULL;
        return -1;
    }
    return n;
}

/* filter and compare with the expected rows */
static void expect_rows(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *p, int np,
                        const int64_t *want, int64_t nwant, int line) {
    for (int t = 1; t <= 3; t += 2) {
        int64_t *got;
        int64_t n = run_filter(cols, ncols, nrows, p, np, NULL, 0, t, &got);
        bool same = n == nwant && (n == 0 || memcmp(got, want, (size_t)n * 8) == 0);
        if (!same) {
            fprintf(stderr, "line %d (threads %d): filter gave %lld rows:", line, t, (long long)n);
            for (int64_t i = 0; i < n && i < 20; i++) fprintf(stderr, " %lld", (long long)got[i]);
            fprintf(stderr, "\n");
        }
        CHECK(same);
        free(got);
    }
}
#define EXPECT_ROWS(cols, ncols, nrows, prog, ...)                                               \
    do {                                                                                         \
        int64_t want_[] = {__VA_ARGS__};                                                         \
        expect_rows(cols, ncols, nrows, prog, want_ + 1, (int64_t)(sizeof want_ / 8) - 1, __LINE__); \
    } while (0)

/* evaluated values: int64 or double (by kind), validity (NULL all valid) */
typedef struct evres {
    int kind;
    void *v;
    uint8_t *valid;
} evres;

static evres run_eval(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *p, int np) {
    evres r = {0, NULL, NULL};
    vf_error err;
    vf_status st = vf_eval(cols, ncols, nrows, p, np, NULL, 0, 2, &r.v, &r.valid, &r.kind, &err);
    if (st != VF_OK) fprintf(stderr, "eval failed: %s\n", err.msg);
    CHECK_INT(st, VF_OK);
    return r;
}

static void evfree(evres *r) {
    free(r->v);
    free(r->valid);
}

static bool ev_null(const evres *r, int64_t i) { return r->valid && !r->valid[i]; }
static int64_t ev_i(const evres *r, int64_t i) { return ((int64_t *)r->v)[i]; }
static double ev_f(const evres *r, int64_t i) { return ((double *)r->v)[i]; }

static void expect_error(const vf_colview *cols, int ncols, const vf_xnode *p, int np, const char *needle) {
    vf_error err;
    memset(&err, 0, sizeof err);
    int kind = 0;
    CHECK_INT(vf_expr_check(cols, ncols, p, np, &kind, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, needle);
    /* and the runners refuse it too */
    int64_t *out = NULL, n;
    CHECK_INT(vf_filter(cols, ncols, 0, p, np, NULL, 0, 1, &out, &n, &err), VF_EARG);
    CHECK(out == NULL);
}

/* ================================================================== */
/* Expressions: hand-made cases                                        */
/* ================================================================== */
/* x: 5, null, -3, 7, 0, 7 */
static const int64_t X64[] = {5, 0, -3, 7, 0, 7};
static const int32_t X32[] = {5, 0, -3, 7, 0, 7};
static const uint8_t XV[] = {1, 0, 1, 1, 1, 1};
/* y: 2, 2, null, 7, 1, -1 */
static const int64_t Y64[] = {2, 2, 0, 7, 1, -1};
static const uint8_t YV[] = {1, 1, 0, 1, 1, 1};

static void test_compare(void) {
    vf_colview c[3] = {mkcol("x", VF_T_INT64, X64, XV), mkcol("y", VF_T_INT64, Y64, YV),
                       mkcol("x32", VF_T_INT32, X32, XV)};
    /* fused column-literal comparisons, both orders, two widths */
    for (int col = 0; col <= 2; col += 2) {
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(5), OP(VF_X_GT)), -1, 3, 5);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(5), OP(VF_X_GE)), -1, 0, 3, 5);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(5), OP(VF_X_LT)), -1, 2, 4);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(5), OP(VF_X_LE)), -1, 0, 2, 4);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(7), OP(VF_X_EQ)), -1, 3, 5);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(7), OP(VF_X_NE)), -1, 0, 2, 4);
        EXPECT_ROWS(c, 3, 6, PROG(INT(5), COL(col), OP(VF_X_GT)), -1, 2, 4); /* 5 > x */
        EXPECT_ROWS(c, 3, 6, PROG(INT(0), COL(col), OP(VF_X_LE)), -1, 0, 3, 4, 5);
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), FLT(4.5), OP(VF_X_GT)), -1, 0, 3, 5); /* int vs float */
        /* a literal out of the column's range */
        EXPECT_ROWS(c, 3, 6, PROG(COL(col), INT(5000000000LL), OP(VF_X_LT)), -1, 0, 2, 3, 4, 5);
    }
    /* column-column: generic path */
    EXPECT_ROWS(c, 3, 6, PROG(COL(0), COL(1), OP(VF_X_GT)), -1, 0, 5);
    EXPECT_ROWS(c, 3, 6, PROG(COL(0), COL(1), OP(VF_X_EQ)), -1, 3);
    EXPECT_ROWS(c, 3, 6, PROG(COL(0), COL(2), OP(VF_X_EQ)), -1, 0, 2, 3, 4, 5);
    /* a comparison with null is null: eval shows it */
    evres r = run_eval(c, 3, 6, PROG(COL(0), COL(1), OP(VF_X_LT)));
    CHECK_INT(r.kind, VF_XK_BOOL);
    CHECK(r.valid != NULL);
    CHECK(ev_null(&r, 1) && ev_null(&r, 2) && !ev_null(&r, 0));
    CHECK_INT(ev_i(&r, 4), 1);
    CHECK_INT(ev_i(&r, 0), 0);
    evfree(&r);
    r = run_eval(c, 3, 6, PROG(COL(0), INT(1), OP(VF_X_GT)));
    CHECK(ev_null(&r, 1) && !ev_null(&r, 0));
    evfree(&r);
}

/* Kleene truth tables: a, b over {false, true, null} */
static void test_kleene(void) {
    static const int64_t a[9] = {0, 0, 0, 1, 1, 1, 0, 0, 0}, b[9] = {0, 1, 0, 0, 1, 0, 0, 1, 0};
    static const uint8_t av[9] = {1, 1, 1, 1, 1, 1, 0, 0, 0}, bv[9] = {1, 1, 0, 1, 1, 0, 1, 1, 0};
    vf_colview c[2] = {mkcol("a", VF_T_INT64, a, av), mkcol("b", VF_T_INT64, b, bv)};
    /* AND: F F F F T N F N N ; OR: F T N T T T N T N ; NOT a: T T T F F F N N N */
    static const int andv[9] = {0, 0, 0, 0, 1, 2, 0, 2, 2}, orv[9] = {0, 1, 2, 1, 1, 1, 2, 1, 2};
    /* as BOOLs from comparisons and as INTs directly */
    for (int form = 0; form < 2; form++) {
        vf_xnode pa[] = {COL(0), INT(0), OP(VF_X_NE), COL(1), INT(0), OP(VF_X_NE), OP(VF_X_AND)};
        vf_xnode pi[] = {COL(0), COL(1), OP(VF_X_AND)};
        for (int opi = 0; opi < 2; opi++) {
            int op = opi ? VF_X_OR : VF_X_AND;
            const int *want = opi ? orv : andv;
            pa[6].op = op;
            pi[2].op = op;
            evres r = form ? run_eval(c, 2, 9, pi, 3) : run_eval(c, 2, 9, pa, 7);
            for (int i = 0; i < 9; i++) {
                int got = ev_null(&r, i) ? 2 : (int)ev_i(&r, i);
                if (got != want[i]) fprintf(stderr, "kleene op %d form %d row %d: %d != %d\n", op, form, i, got, want[i]);
                CHECK_INT(got, want[i]);
            }
            evfree(&r);
            /* a filter keeps only the true rows */
            int64_t *rows;
            int64_t n = form ? run_filter(c, 2, 9, pi, 3, NULL, 0, 1, &rows) : run_filter(c, 2, 9, pa, 7, NULL, 0, 1, &rows);
            int64_t k = 0;
            for (int i = 0; i < 9; i++) k += want[i] == 1;
            CHECK_INT(n, k);
            free(rows);
        }
    }
    evres r = run_eval(c, 2, 9, PROG(COL(0), OP(VF_X_NOT)));
    for (int i = 0; i < 9; i++) CHECK_INT(ev_null(&r, i) ? 2 : (int)ev_i(&r, i), i < 3 ? 1 : i < 6 ? 0 : 2);
    evfree(&r);
    /* NOT under a filter must keep the nulls null: NOT (a AND b) */
    EXPECT_ROWS(c, 2, 9, PROG(COL(0), COL(1), OP(VF_X_AND), OP(VF_X_NOT)), -1, 0, 1, 2, 3, 6);
    /* IS NULL never is */
    r = run_eval(c, 2, 9, PROG(COL(0), COL(1), OP(VF_X_AND), OP(VF_X_IS_NULL)));
    CHECK(r.valid == NULL);
    for (int i = 0; i < 9; i++) CHECK_INT(ev_i(&r, i), andv[i] == 2);
    evfree(&r);
    EXPECT_ROWS(c, 2, 9, PROG(COL(0), OP(VF_X_IS_NOT_NULL), COL(1), OP(VF_X_IS_NULL), OP(VF_X_AND)), -1, 2, 5);
}

static void test_arith(void) {
    static const int64_t a[] = {7, -7, 7, -7, INT64_MIN, INT64_MAX, 5, 0};
    static const int64_t b[] = {2, 2, -2, -2, -1, 1, 0, 0};
    vf_colview c[2] = {mkcol("a", VF_T_INT64, a, NULL), mkcol("b", VF_T_INT64, b, NULL)};
    evres r = run_eval(c, 2, 8, PROG(COL(0), COL(1), OP(VF_X_IDIV)));
    CHECK_INT(r.kind, VF_XK_INT);
    static const int64_t q[] = {3, -4, -4, 3, INT64_MIN, INT64_MAX};
    for (int i = 0; i < 6; i++) CHECK_INT(ev_i(&r, i), q[i]);
    CHECK(ev_null(&r, 6) && ev_null(&r, 7) && !ev_null(&r, 5));
    evfree(&r);
    r = run_eval(c, 2, 8, PROG(COL(0), COL(1), OP(VF_X_MOD)));
    static const int64_t m[] = {1, 1, -1, -1, 0, 0};
    for (int i = 0; i < 6; i++) CHECK_INT(ev_i(&r, i), m[i]);
    CHECK(ev_null(&r, 6) && ev_null(&r, 7));
    evfree(&r);
    r = run_eval(c, 2, 8, PROG(COL(0), COL(1), OP(VF_X_DIV)));
    CHECK_INT(r.kind, VF_XK_FLOAT);
    CHECK(r.valid == NULL); /* float division: IEEE, as DuckDB */
    CHECK(ev_f(&r, 0) == 3.5 && ev_f(&r, 1) == -3.5 && ev_f(&r, 6) == INFINITY && isnan(ev_f(&r, 7)));
    evfree(&r);
    /* wrapping */
    r = run_eval(c, 2, 8, PROG(COL(0), COL(1), OP(VF_X_ADD)));
    CHECK_INT(ev_i(&r, 4), INT64_MAX); /* MIN + -1 */
    CHECK_INT(ev_i(&r, 5), INT64_MIN); /* MAX + 1 */
    CHECK(r.valid == NULL);
    evfree(&r);
    r = run_eval(c, 2, 8, PROG(COL(0), COL(1), OP(VF_X_SUB), COL(0), OP(VF_X_MUL)));
    CHECK_INT(ev_i(&r, 0), 35);
    evfree(&r);
    r = run_eval(c, 2, 8, PROG(COL(0), OP(VF_X_NEG)));
    CHECK_INT(ev_i(&r, 4), INT64_MIN);
    CHECK_INT(ev_i(&r, 1), 7);
    evfree(&r);
    r = run_eval(c, 2, 8, PROG(COL(0), OP(VF_X_ABS)));
    CHECK_INT(ev_i(&r, 4), INT64_MIN);
    CHECK_INT(ev_i(&r, 3), 7);
    evfree(&r);
    /* floats: Python's // and %; by zero IEEE: // as /, % NaN */
    static const double fa[] = {7.5, -7.5, 7.5, -7.5, 1, 0, NAN, 3};
    static const double fb[] = {2, 2, -2, -2, 0, -0.0, 2, INFINITY};
    vf_colview f[2] = {mkcol("fa", VF_T_FLOAT64, fa, NULL), mkcol("fb", VF_T_FLOAT64, fb, NULL)};
    r = run_eval(f, 2, 8, PROG(COL(0), COL(1), OP(VF_X_IDIV)));
    CHECK(ev_f(&r, 0) == 3 && ev_f(&r, 1) == -4 && ev_f(&r, 2) == -4 && ev_f(&r, 3) == 3);
    CHECK(ev_f(&r, 4) == INFINITY && isnan(ev_f(&r, 5)) && isnan(ev_f(&r, 6)) && ev_f(&r, 7) == 0);
    evfree(&r);
    r = run_eval(f, 2, 8, PROG(COL(0), COL(1), OP(VF_X_MOD)));
    CHECK(ev_f(&r, 0) == 1.5 && ev_f(&r, 1) == 0.5 && ev_f(&r, 2) == -0.5 && ev_f(&r, 3) == -1.5);
    CHECK(isnan(ev_f(&r, 4)) && isnan(ev_f(&r, 5)) && ev_f(&r, 7) == 3 && r.valid == NULL);
    evfree(&r);
    r = run_eval(f, 2, 8, PROG(COL(0), COL(1), OP(VF_X_DIV)));
    CHECK(ev_f(&r, 0) == 3.75 && ev_f(&r, 4) == INFINITY && isnan(ev_f(&r, 5)) && ev_f(&r, 7) == 0);
    evfree(&r);
    /* INT op FLOAT is FLOAT */
    r = run_eval(c, 2, 8, PROG(COL(0), FLT(0.5), OP(VF_X_ADD)));
    CHECK_INT(r.kind, VF_XK_FLOAT);
    CHECK(ev_f(&r, 0) == 7.5);
    evfree(&r);
    /* BIN: time buckets, negative values floor */
    static const int64_t t[] = {0, 299, 300, 301, -1, 1000};
    vf_colview tc = mkcol("t", VF_T_INT64, t, NULL);
    r = run_eval(&tc, 1, 6, PROG(NODE(.op = VF_X_COL, .col = 0), NODE(.op = VF_X_BIN, .i = 300, .origin = 0)));
    static const int64_t tb[] = {0, 0, 300, 300, -300, 900};
    for (int i = 0; i < 6; i++) CHECK_INT(ev_i(&r, i), tb[i]);
    evfree(&r);
    r = run_eval(&tc, 1, 6, PROG(NODE(.op = VF_X_COL, .col = 0), NODE(.op = VF_X_BIN, .i = 300, .origin = 10)));
    CHECK_INT(ev_i(&r, 0), -290);
    CHECK_INT(ev_i(&r, 3), 10);
    evfree(&r);
}

static void test_nan(void) {
    static const double v[] = {NAN, 1.0, INFINITY, -0.0, 0.0, -INFINITY};
    static const uint8_t ok[] = {1, 1, 1, 1, 1, 1};
    vf_colview c[2] = {mkcol("v", VF_T_FLOAT64, v, ok), mkcol("w", VF_T_FLOAT32, (float[]){NAN, 1, INFINITY, -0.0f, 0, -INFINITY}, NULL)};
    for (int k = 0; k < 2; k++) {
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(NAN), OP(VF_X_EQ)), -1, 0);          /* NaN = NaN */
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(INFINITY), OP(VF_X_GT)), -1, 0);     /* NaN > inf */
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(NAN), OP(VF_X_LT)), -1, 1, 2, 3, 4, 5);
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), INT(0), OP(VF_X_EQ)), -1, 3, 4);         /* -0 = 0 */
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(1), OP(VF_X_NE)), -1, 0, 2, 3, 4, 5);
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(NAN), OP(VF_X_GE)), -1, 0);
        EXPECT_ROWS(c, 2, 6, PROG(COL(k), FLT(NAN), OP(VF_X_LE)), -1, 0, 1, 2, 3, 4, 5);
    }
    /* column against column, generic path */
    EXPECT_ROWS(c, 2, 6, PROG(COL(0), COL(1), OP(VF_X_EQ)), -1, 0, 1, 2, 3, 4, 5);
    EXPECT_ROWS(c, 2, 6, PROG(COL(0), FLT(2), OP(VF_X_ADD), COL(1), OP(VF_X_GT)), -1, 1, 3, 4);
    /* NaN IN a set: never */
    EXPECT_ROWS(c, 2, 6, PROG(COL(0), NODE(.op = VF_X_IN, .set = (int64_t[]){0, 1}, .nset = 2)), -1, 1, 3, 4);
}

static void test_in_lut(void) {
    int64_t v[300];
    for (int i = 0; i < 300; i++) v[i] = i * 7 - 500;
    uint8_t ok[300];
    for (int i = 0; i < 300; i++) ok[i] = i % 10 != 3;
    vf_colview c = mkcol("v", VF_T_INT64, v, ok);
    /* a small set (bitmap), a sparse one (binary search), a tiny one (no bitmap) */
    int64_t dense[] = {-500, -493, -10, 3, 17, 24, 100}, sparse[] = {INT64_MIN, -500, 3, 1000000, INT64_MAX},
            tiny[] = {-493};
    for (int s = 0; s < 3; s++) {
        const int64_t *set = s == 0 ? dense : s == 1 ? sparse : tiny;
        int64_t nset = s == 0 ? 7 : s == 1 ? 5 : 1;
        vf_xnode p[] = {COL(0), NODE(.op = VF_X_IN, .set = set, .nset = nset)};
        int64_t *rows;
        int64_t n = run_filter(&c, 1, 300, p, 2, NULL, 0, 2, &rows), k = 0;
        for (int i = 0; i < 300; i++) {
            bool in = false;
            for (int j = 0; j < nset; j++) in |= set[j] == v[i];
            if (in && ok[i]) {
                CHECK(k < n && rows[k] == i);
                k++;
            }
        }
        CHECK_INT(n, k);
        free(rows);
    }
    /* a float operand is in the set when it is an integer equal to a member */
    EXPECT_ROWS(&c, 1, 300, PROG(COL(0), FLT(0.5), OP(VF_X_ADD), NODE(.op = VF_X_IN, .set = dense, .nset = 7)), -1);
    EXPECT_ROWS(&c, 1, 300, PROG(COL(0), FLT(0), OP(VF_X_ADD), NODE(.op = VF_X_IN, .set = dense, .nset = 7)), -1, 0, 1,
                70);
    /* an empty set */
    EXPECT_ROWS(&c, 1, 300, PROG(COL(0), NODE(.op = VF_X_IN, .set = NULL, .nset = 0)), -1);

    /* LUT over codes: 0 false, 1 true, 2 null; the null code's result apart */
    static const int32_t codes[] = {0, 1, 2, -1, 1, 0, 2, -1};
    vf_colview d = mkdict("s", codes, 3);
    static const uint8_t lut[] = {1, 0, 2};
    EXPECT_ROWS(&d, 1, 8, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = lut, .nlut = 3, .lut_null = 2)), -1, 0, 5);
    EXPECT_ROWS(&d, 1, 8, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = lut, .nlut = 3, .lut_null = 1)), -1, 0, 3, 5, 7);
    /* NOT LUT: the null results stay null */
    EXPECT_ROWS(&d, 1, 8, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = lut, .nlut = 3, .lut_null = 2), OP(VF_X_NOT)), -1,
                1, 4);
    EXPECT_ROWS(&d, 1, 8, PROG(COL(0), OP(VF_X_IS_NULL)), -1, 3, 7);
    evres r = run_eval(&d, 1, 8, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = lut, .nlut = 3, .lut_null = 2)));
    CHECK(ev_null(&r, 2) && ev_null(&r, 3) && !ev_null(&r, 1) && ev_i(&r, 0) == 1);
    evfree(&r);
    /* an empty dictionary: every code is -1 */
    static const int32_t nulls[] = {-1, -1};
    vf_colview e = mkdict("e", nulls, 0);
    EXPECT_ROWS(&e, 1, 2, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = NULL, .nlut = 0, .lut_null = 1)), -1, 0, 1);
}

static void test_coalesce_if(void) {
    vf_colview c[2] = {mkcol("x", VF_T_INT64, X64, XV), mkcol("y", VF_T_INT64, Y64, YV)};
    evres r = run_eval(c, 2, 6, PROG(COL(0), COL(1), OP(VF_X_COALESCE)));
    CHECK_INT(r.kind, VF_XK_INT);
    CHECK(r.valid == NULL);
    CHECK(ev_i(&r, 1) == 2 && ev_i(&r, 2) == -3);
    evfree(&r);
    r = run_eval(c, 2, 6, PROG(COL(0), FLT(0.5), OP(VF_X_COALESCE)));
    CHECK_INT(r.kind, VF_XK_FLOAT);
    CHECK(ev_f(&r, 1) == 0.5 && ev_f(&r, 0) == 5);
    evfree(&r);
    /* COALESCE with both null stays null */
    r = run_eval(c, 2, 6, PROG(COL(0), COL(1), OP(VF_X_ADD), NUL(), OP(VF_X_COALESCE)));
    CHECK(ev_null(&r, 1) && ev_null(&r, 2) && ev_i(&r, 0) == 7);
    evfree(&r);
    /* IF: a null condition takes the else branch */
    r = run_eval(c, 2, 6, PROG(COL(0), INT(0), OP(VF_X_GT), COL(0), COL(1), OP(VF_X_IF)));
    static const int64_t w[] = {5, 2, 0, 7, 1, 7};
    for (int i = 0; i < 6; i++)
        if (i != 2) CHECK_INT(ev_i(&r, i), w[i]);
    CHECK(ev_null(&r, 2) && !ev_null(&r, 1));
    evfree(&r);
    /* a NULL literal takes the other branch's kind: IF(c, bool, NULL) is a BOOL a filter can use */
    int kind = 0;
    vf_error err;
    vf_xnode p[] = {COL(1), INT(1), OP(VF_X_GT), COL(0), INT(5), OP(VF_X_GE), NUL(), OP(VF_X_IF)};
    CHECK_INT(vf_expr_check(c, 2, p, 8, &kind, &err), VF_OK);
    CHECK_INT(kind, VF_XK_BOOL);
    EXPECT_ROWS(c, 2, 6, ARR(p), -1, 0, 3);
    vf_xnode q[] = {COL(0), INT(5), OP(VF_X_GE), BOOLL(1), OP(VF_X_COALESCE)};
    EXPECT_ROWS(c, 2, 6, ARR(q), -1, 0, 1, 3, 5);
    /* literals: BOOL, and a program of literals alone */
    EXPECT_ROWS(c, 2, 6, PROG(BOOLL(1)), -1, 0, 1, 2, 3, 4, 5);
    EXPECT_ROWS(c, 2, 6, PROG(INT(1), INT(2), OP(VF_X_LT)), -1, 0, 1, 2, 3, 4, 5);
    EXPECT_ROWS(c, 2, 6, PROG(NUL(), INT(2), OP(VF_X_LT)), -1);
}

/* every value type through the fused compare and the generic path */
static void test_types(void) {
    int8_t i8[] = {-5, 0, 100, -128};
    int16_t i16[] = {-5, 0, 100, -32768};
    int32_t i32[] = {-5, 0, 100, INT32_MIN};
    int64_t i64[] = {-5, 0, 100, INT64_MIN};
    uint8_t u8[] = {5, 0, 100, 255};
    uint16_t u16[] = {5, 0, 100, 65535};
    uint32_t u32[] = {5, 0, 100, UINT32_MAX};
    uint64_t u64[] = {5, 0, 100, 1ULL << 40};
    float f32[] = {-5, 0, 100, -1e30f};
    double f64[] = {-5, 0, 100, -1e300};
    uint8_t b[] = {1, 0, 1, 0};
    uint8_t ok[] = {1, 1, 1, 0};
    const void *vals[] = {i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, b};
    vf_type types[] = {VF_T_INT8,   VF_T_INT16,  VF_T_INT32,   VF_T_INT64,   VF_T_UINT8, VF_T_UINT16,
                       VF_T_UINT32, VF_T_UINT64, VF_T_FLOAT32, VF_T_FLOAT64, VF_T_BOOL};
    for (int t = 0; t < 11; t++) {
        vf_colview c = mkcol("c", types[t], vals[t], ok);
        bool boolean = types[t] == VF_T_BOOL;
        int64_t lit = boolean ? 0 : 1;
        /* c > lit, fused; (c + 0) > lit, generic; the null row never passes */
        int64_t *r1, *r2;
        int64_t n1 = run_filter(&c, 1, 4, PROG(COL(0), INT(lit), OP(VF_X_GT)), NULL, 0, 1, &r1);
        int64_t n2 = run_filter(&c, 1, 4, PROG(COL(0), INT(0), OP(VF_X_ADD), INT(lit), OP(VF_X_GT)), NULL, 0, 1, &r2);
        int64_t want = boolean ? 2 : types[t] >= VF_T_UINT8 && types[t] <= VF_T_UINT64 ? 2 : 1;
        if (n1 != want || n2 != want) fprintf(stderr, "type %s: %lld %lld\n", vf_type_name(types[t]), (long long)n1, (long long)n2);
        CHECK_INT(n1, want);
        CHECK_INT(n2, want);
        CHECK(n1 == n2 && memcmp(r1, r2, (size_t)n1 * 8) == 0);
        free(r1);
        free(r2);
        /* eval gives the values (as INT or FLOAT) */
        evres r = run_eval(&c, 1, 4, PROG(COL(0)));
        CHECK_INT(r.kind, types[t] == VF_T_FLOAT32 || types[t] == VF_T_FLOAT64 ? VF_XK_FLOAT : VF_XK_INT);
        CHECK(ev_null(&r, 3) && !ev_null(&r, 2));
        if (r.kind == VF_XK_INT) CHECK_INT(ev_i(&r, 2), boolean ? 1 : 100);
        else CHECK(ev_f(&r, 2) == 100);
        evfree(&r);
    }
}

static void test_selection(void) {
    int64_t v[10000];
    for (int i = 0; i < 10000; i++) v[i] = i % 7;
    vf_colview c = mkcol("v", VF_T_INT64, v, NULL);
    int64_t sel[5000];
    for (int i = 0; i < 5000; i++) sel[i] = 2 * i + 1;
    for (int t = 1; t <= 4; t++) {
        int64_t *rows;
        int64_t n = run_filter(&c, 1, 10000, PROG(COL(0), INT(3), OP(VF_X_EQ)), sel, 5000, t, &rows), k = 0;
        bool ok = true;
        for (int i = 0; i < 5000; i++)
            if (v[sel[i]] == 3) ok &= k < n && rows[k++] == sel[i];
        CHECK(ok && k == n);
        free(rows);
    }
    void *vals;
    uint8_t *valid;
    int kind;
    vf_error err;
    CHECK_INT(vf_eval(&c, 1, 10000, PROG(COL(0), INT(10), OP(VF_X_MUL)), sel, 5000, 2, &vals, &valid, &kind, &err), VF_OK);
    bool ok = valid == NULL;
    for (int i = 0; i < 5000; i++) ok &= ((int64_t *)vals)[i] == v[sel[i]] * 10;
    CHECK(ok);
    free(vals);
    /* an empty selection, an empty table */
    int64_t *rows = NULL, n = -1;
    CHECK_INT(vf_filter(&c, 1, 10000, PROG(BOOLL(1)), sel, 0, 2, &rows, &n, &err), VF_OK);
    CHECK(n == 0 && rows != NULL);
    free(rows);
    CHECK_INT(vf_filter(&c, 1, 0, PROG(COL(0), INT(1), OP(VF_X_EQ)), NULL, 0, 2, &rows, &n, &err), VF_OK);
    CHECK(n == 0 && rows != NULL);
    free(rows);
    /* a selection outside the table */
    int64_t bad[] = {1, 10000};
    CHECK_INT(vf_filter(&c, 1, 10000, PROG(BOOLL(1)), bad, 2, 1, &rows, &n, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "outside");
    bad[1] = -1;
    CHECK_INT(vf_eval(&c, 1, 10000, PROG(COL(0)), bad, 2, 1, &vals, &valid, &kind, &err), VF_EARG);
}

static void test_bad_programs(void) {
    static const int32_t codes[] = {0, 1};
    vf_colview c[3] = {mkcol("x", VF_T_INT64, X64, XV), mkcol("f", VF_T_FLOAT64, (double[]){1, 2, 3, 4, 5, 6}, NULL),
                       mkdict("s", codes, 2)};
    static const uint8_t lut2[] = {0, 1}, lut_bad[] = {0, 3};
    expect_error(c, 3, NULL, 0, "empty program");
    expect_error(c, 3, PROG(COL(5)), "column 5 does not exist");
    expect_error(c, 3, PROG(COL(-1)), "does not exist");
    expect_error(c, 3, PROG(COL(0), OP(VF_X_ADD)), "needs 2 operands");
    expect_error(c, 3, PROG(COL(0), COL(0)), "leaves 2 values");
    expect_error(c, 3, PROG(OP(0)), "not a valid op");
    expect_error(c, 3, PROG(OP(99)), "not a valid op");
    expect_error(c, 3, PROG(COL(2), INT(1), OP(VF_X_EQ)), "operand 1 is CODES");
    expect_error(c, 3, PROG(COL(1), COL(0), OP(VF_X_AND)), "operand 1 is FLOAT");
    expect_error(c, 3, PROG(COL(0), NODE(.op = VF_X_LUT, .lut = lut2, .nlut = 2)), "needs a dictionary column");
    expect_error(c, 3, PROG(COL(2), NODE(.op = VF_X_LUT, .lut = lut2, .nlut = 3)), "table of 3 entries");
    expect_error(c, 3, PROG(COL(2), NODE(.op = VF_X_LUT, .lut = lut_bad, .nlut = 2)), "entry 1 is 3");
    expect_error(c, 3, PROG(COL(2), NODE(.op = VF_X_LUT, .lut = lut2, .nlut = 2, .lut_null = 7)), "null result 7");
    expect_error(c, 3, PROG(COL(0), NODE(.op = VF_X_IN, .set = (int64_t[]){3, 1}, .nset = 2)), "sorted and distinct");
    expect_error(c, 3, PROG(COL(0), NODE(.op = VF_X_IN, .set = (int64_t[]){3, 3}, .nset = 2)), "sorted and distinct");
    expect_error(c, 3, PROG(COL(0), NODE(.op = VF_X_IN, .set = NULL, .nset = 2)), "bad set");
    expect_error(c, 3, PROG(COL(0), NODE(.op = VF_X_BIN, .i = 0)), "must be positive");
    expect_error(c, 3, PROG(COL(1), NODE(.op = VF_X_BIN, .i = 10)), "operand 1 is FLOAT");
    expect_error(c, 3, PROG(COL(1), COL(2), OP(VF_X_COALESCE)), "operand 2 is CODES");
    expect_error(c, 3, PROG(COL(1), COL(0), COL(0), OP(VF_X_IF)), "operand 1 is FLOAT");
    /* the node's index and op are named */
    expect_error(c, 3, PROG(COL(0), INT(1), OP(VF_X_ADD), OP(VF_X_NOT), OP(VF_X_NEG), COL(2), OP(VF_X_MUL)),
                 "program node 6 (MUL)");
    /* too deep */
    vf_xnode deep[300];
    for (int i = 0; i < 300; i++) deep[i] = INT(1);
    expect_error(c, 3, deep, 300, "deeper than");
    /* filter wants BOOL; eval refuses CODES */
    vf_error err;
    int64_t *rows, n;
    CHECK_INT(vf_filter(c, 3, 6, PROG(COL(1)), NULL, 0, 1, &rows, &n, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "BOOL or INT program");
    /* an INT program: non-zero and not null */
    EXPECT_ROWS(c, 3, 6, PROG(COL(0)), -1, 0, 2, 3, 5);
    void *v;
    uint8_t *valid;
    int kind;
    CHECK_INT(vf_eval(c, 3, 6, PROG(COL(2)), NULL, 0, 1, &v, &valid, &kind, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "codes");
    /* but checking a CODES program is fine */
    CHECK_INT(vf_expr_check(c, 3, PROG(COL(2)), &kind, &err), VF_OK);
    CHECK_INT(kind, VF_XK_CODES);
    /* a bad column */
    vf_colview bad = mkcol("b", (vf_type)99, X64, NULL);
    CHECK_INT(vf_filter(&bad, 1, 6, PROG(BOOLL(1)), NULL, 0, 1, &rows, &n, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "unknown type");
}

/* ================================================================== */
/* Expressions: random programs against a row-at-a-time reference      */
/* ================================================================== */
/* a value of the reference: kind, null, i or f */
typedef struct rv {
    int kind;
    bool null;
    int64_t i;
    double f;
} rv;

static double rv_f(rv a) { return a.kind == VF_XK_FLOAT ? a.f : (double)a.i; }
static bool rdeq(double x, double y) { return x == y || (x != x && y != y); }
static bool rdlt(double x, double y) { return x < y || (x == x && y != y); }

static int64_t ref_floordiv(int64_t x, int64_t y) {
    if (y == -1) return (int64_t)(0 - (uint64_t)x);
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
    return q;
}

/* CPython's float_divmod (Objects/floatobject.c): the quotient or the modulo */
static double ref_pydivmod(double vx, double wx, bool want_mod) {
    double mod = fmod(vx, wx), div = (vx - mod) / wx, floordiv;
    if (mod) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, wx);
    }
    if (div) {
        floordiv = floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = copysign(0.0, vx / wx);
    }
    return want_mod ? mod : floordiv;
}

static rv ref_cell(const vf_colview *c, int64_t r) {
    rv v = {0, false, 0, 0};
    if (vf_type_is_dict(c->type)) {
        v.kind = VF_XK_CODES;
        v.i = ((const int32_t *)c->values)[r];
        v.null = v.i < 0;
        return v;
    }
    v.null = c->valid && !c->valid[r];
    v.kind = VF_XK_INT;
    switch (c->type) {
    case VF_T_INT8: v.i = ((const int8_t *)c->values)[r]; break;
    case VF_T_INT16: v.i = ((const int16_t *)c->values)[r]; break;
    case VF_T_INT32: v.i = ((const int32_t *)c->values)[r]; break;
    case VF_T_INT64: v.i = ((const int64_t *)c->values)[r]; break;
    case VF_T_UINT8: case VF_T_BOOL: v.i = ((const uint8_t *)c->values)[r]; break;
    case VF_T_UINT16: v.i = ((const uint16_t *)c->values)[r]; break;
    case VF_T_UINT32: v.i = ((const uint32_t *)c->values)[r]; break;
    case VF_T_UINT64: v.i = (int64_t)((const uint64_t *)c->values)[r]; break;
    case VF_T_FLOAT32: v.kind = VF_XK_FLOAT; v.f = ((const float *)c->values)[r]; break;
    default: v.kind = VF_XK_FLOAT; v.f = ((const double *)c->values)[r]; break;
    }
    return v;
}

static bool rv_truth(rv a) { return !a.null && (a.kind == VF_XK_FLOAT ? a.f != 0 : a.i != 0); }

/* the value of the program at row r */
static rv ref_eval(const vf_colview *cols, const vf_xnode *p, int np, int64_t r) {
    rv st[64];
    int sp = 0;
    for (int j = 0; j < np; j++) {
        const vf_xnode *nd = &p[j];
        rv x = {VF_XK_BOOL, false, 0, 0};
        switch (nd->op) {
        case VF_X_COL: x = ref_cell(&cols[nd->col], r); break;
        case VF_X_INT: x = (rv){VF_XK_INT, false, nd->i, 0}; break;
        case VF_X_FLOAT: x = (rv){VF_XK_FLOAT, false, 0, nd->f}; break;
        case VF_X_BOOL: x = (rv){VF_XK_BOOL, false, nd->i != 0, 0}; break;
        case VF_X_NULL: x = (rv){VF_XK_INT, true, 0, 0}; break;
        case VF_X_ADD: case VF_X_SUB: case VF_X_MUL: case VF_X_DIV: case VF_X_IDIV: case VF_X_MOD: {
            rv b = st[--sp], a = st[--sp];
            bool fl = a.kind == VF_XK_FLOAT || b.kind == VF_XK_FLOAT || nd->op == VF_X_DIV;
            x.kind = fl ? VF_XK_FLOAT : VF_XK_INT;
            x.null = a.null || b.null;
            if (fl) {
                double u = rv_f(a), w = rv_f(b);
                switch (nd->op) {
                case VF_X_ADD: x.f = u + w; break;
                case VF_X_SUB: x.f = u - w; break;
                case VF_X_MUL: x.f = u * w; break;
                case VF_X_DIV: x.f = u / w; break;
                case VF_X_IDIV: x.f = w == 0 ? u / w : ref_pydivmod(u, w, false); break;
                default: x.f = w == 0 ? NAN : ref_pydivmod(u, w, true); break;
                }
            } else {
                uint64_t u = (uint64_t)a.i, w = (uint64_t)b.i;
                switch (nd->op) {
                case VF_X_ADD: x.i = (int64_t)(u + w); break;
                case VF_X_SUB: x.i = (int64_t)(u - w); break;
                case VF_X_MUL: x.i = (int64_t)(u * w); break;
                case VF_X_IDIV: x.null |= b.i == 0; x.i = x.null ? 0 : ref_floordiv(a.i, b.i); break;
                default:
                    x.null |= b.i == 0;
                    x.i = x.null ? 0 : (int64_t)((uint64_t)a.i - (uint64_t)ref_floordiv(a.i, b.i) * (uint64_t)b.i);
                }
            }
            break;
        }
        case VF_X_NEG: case VF_X_ABS: {
            rv a = st[--sp];
            x = a;
            if (a.kind == VF_XK_BOOL) x.kind = VF_XK_INT;
            if (a.kind == VF_XK_FLOAT) x.f = nd->op == VF_X_NEG ? -a.f : fabs(a.f);
            else if (nd->op == VF_X_NEG || a.i < 0) x.i = (int64_t)(0 - (uint64_t)a.i);
            break;
        }
        case VF_X_EQ: case VF_X_NE: case VF_X_LT: case VF_X_LE: case VF_X_GT: case VF_X_GE: {
            rv b = st[--sp], a = st[--sp];
            x.null = a.null || b.null;
            bool lt, eq;
            if (a.kind == VF_XK_FLOAT || b.kind == VF_XK_FLOAT) {
                lt = rdlt(rv_f(a), rv_f(b));
                eq = rdeq(rv_f(a), rv_f(b));
            } else {
                lt = a.i < b.i;
                eq = a.i == b.i;
            }
            bool res = nd->op == VF_X_EQ ? eq : nd->op == VF_X_NE ? !eq : nd->op == VF_X_LT ? lt
                     : nd->op == VF_X_LE ? lt || eq : nd->op == VF_X_GT ? !lt && !eq : !lt;
            x.i = !x.null && res;
            break;
        }
        case VF_X_AND: case VF_X_OR: {
            rv b = st[--sp], a = st[--sp];
            bool at = rv_truth(a), bt = rv_truth(b), af = !a.null && !at, bf = !b.null && !bt;
            if (nd->op == VF_X_AND) {
                x.i = at && bt;
                x.null = !(af || bf) && (a.null || b.null);
            } else {
                x.i = at || bt;
                x.null = !(at || bt) && (a.null || b.null);
            }
            break;
        }
        case VF_X_NOT: {
            rv a = st[--sp];
            x.null = a.null;
            x.i = !a.null && !rv_truth(a);
            break;
        }
        case VF_X_IS_NULL: case VF_X_IS_NOT_NULL: {
            rv a = st[--sp];
            x.i = a.null == (nd->op == VF_X_IS_NULL);
            break;
        }
        case VF_X_IN: {
            rv a = st[--sp];
            x.null = a.null;
            bool in = false;
            for (int64_t k = 0; k < nd->nset; k++)
                in |= a.kind == VF_XK_FLOAT ? a.f == (double)nd->set[k] && fabs(a.f) < 0x1p62 : a.i == nd->set[k];
            x.i = !a.null && in;
            break;
        }
        case VF_X_LUT: {
            rv a = st[--sp];
            int e = a.i < 0 ? nd->lut_null : nd->lut[a.i];
            x.null = e == 2;
            x.i = e == 1;
            break;
        }
        case VF_X_BIN: {
            rv a = st[--sp];
            x = a;
            x.kind = VF_XK_INT;
            x.i = (int64_t)((uint64_t)nd->origin +
                            (uint64_t)ref_floordiv((int64_t)((uint64_t)a.i - (uint64_t)nd->origin), nd->i) * (uint64_t)nd->i);
            break;
        }
        case VF_X_COALESCE: {
            rv b = st[--sp], a = st[--sp];
            x = a.null ? b : a;
            break;
        }
        case VF_X_IF: {
            rv e = st[--sp], t = st[--sp], c = st[--sp];
            x = rv_truth(c) ? t : e;
            break;
        }
        }
        st[sp++] = x;
    }
    return st[0];
}

/* a random well-typed program of about `size` nodes giving `want` kind */
static void gen_expr(vf_xnode *p, int *np, int want, int size, const vf_colview *cols, int ncols, int64_t *sets) {
    static const uint8_t lut[4] = {0, 1, 2, 1};
    int r = (int)(rnd() % 100);
    if (size <= 1 || *np > 40) {
        if (want == VF_XK_BOOL) {
            int c = (int)(rnd() % (unsigned)ncols);
            if (vf_type_is_dict(cols[c].type)) {
                p[(*np)++] = COL(c);
                p[(*np)++] = NODE(.op = VF_X_LUT, .lut = lut, .nlut = cols[c].dict_n, .lut_null = (uint8_t)(rnd() % 3));
                return;
            }
            p[(*np)++] = COL(c);
            p[(*np)++] = rnd() % 2 ? INT((int64_t)(rnd() % 20) - 10) : FLT(((int)(rnd() % 40) - 20) / 4.0);
            p[(*np)++] = OP(VF_X_EQ + (int)(rnd() % 6));
            return;
        }
        if (r < 60) { /* a value column */
            for (int tries = 0; tries < 20; tries++) {
                int c = (int)(rnd() % (unsigned)ncols);
                bool fl = cols[c].type == VF_T_FLOAT64 || cols[c].type == VF_T_FLOAT32;
                if (!vf_type_is_dict(cols[c].type) && (want == VF_XK_FLOAT || !fl)) {
                    p[(*np)++] = COL(c);
                    return;
                }
            }
        }
        if (r < 70) p[(*np)++] = NUL();
        else if (want == VF_XK_FLOAT) p[(*np)++] = FLT(((int)(rnd() % 80) - 40) / 8.0);
        else p[(*np)++] = INT((int64_t)(rnd() % 21) - 10);
        return;
    }
    int sub = size / 2;
    if (want == VF_XK_BOOL) {
        if (r < 30) {
            int k = rnd() % 2 ? VF_XK_INT : VF_XK_FLOAT;
            gen_expr(p, np, k, sub, cols, ncols, sets);
            gen_expr(p, np, k, sub, cols, ncols, sets);
            p[(*np)++] = OP(VF_X_EQ + (int)(rnd() % 6));
        } else if (r < 60) {
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            p[(*np)++] = OP(rnd() % 2 ? VF_X_AND : VF_X_OR);
        } else if (r < 68) {
            gen_expr(p, np, VF_XK_BOOL, size - 1, cols, ncols, sets);
            p[(*np)++] = OP(VF_X_NOT);
        } else if (r < 76) {
            gen_expr(p, np, rnd() % 2 ? VF_XK_INT : VF_XK_BOOL, size - 1, cols, ncols, sets);
            p[(*np)++] = OP(rnd() % 2 ? VF_X_IS_NULL : VF_X_IS_NOT_NULL);
        } else if (r < 86) {
            gen_expr(p, np, rnd() % 3 ? VF_XK_INT : VF_XK_FLOAT, size - 1, cols, ncols, sets);
            int which = (int)(rnd() % 2);
            p[(*np)++] = NODE(.op = VF_X_IN, .set = sets + which * 10, .nset = which ? 10 : 6);
        } else if (r < 93) {
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            p[(*np)++] = OP(VF_X_IF);
        } else {
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
            p[(*np)++] = OP(VF_X_COALESCE);
        }
        return;
    }
    if (r < 55) {
        static const int ops[] = {VF_X_ADD, VF_X_SUB, VF_X_MUL, VF_X_IDIV, VF_X_MOD, VF_X_DIV};
        int op = ops[rnd() % (want == VF_XK_FLOAT ? 6 : 5)];
        int ka = want, kb = want;
        if (want == VF_XK_FLOAT && rnd() % 2) {
            if (rnd() % 2) ka = VF_XK_INT;
            else kb = VF_XK_INT;
        }
        if (op == VF_X_DIV) ka = kb = rnd() % 2 ? VF_XK_INT : VF_XK_FLOAT;
        gen_expr(p, np, ka, sub, cols, ncols, sets);
        gen_expr(p, np, kb, sub, cols, ncols, sets);
        p[(*np)++] = OP(op);
    } else if (r < 65) {
        gen_expr(p, np, want, size - 1, cols, ncols, sets);
        p[(*np)++] = OP(rnd() % 2 ? VF_X_NEG : VF_X_ABS);
    } else if (r < 72 && want == VF_XK_INT) {
        gen_expr(p, np, VF_XK_INT, size - 1, cols, ncols, sets);
        p[(*np)++] = NODE(.op = VF_X_BIN, .i = 1 + (int64_t)(rnd() % 7), .origin = (int64_t)(rnd() % 5) - 2);
    } else if (r < 85) {
        gen_expr(p, np, want, sub, cols, ncols, sets);
        gen_expr(p, np, want, sub, cols, ncols, sets);
        p[(*np)++] = OP(VF_X_COALESCE);
    } else {
        gen_expr(p, np, VF_XK_BOOL, sub, cols, ncols, sets);
        gen_expr(p, np, want, sub, cols, ncols, sets);
        gen_expr(p, np, want, sub, cols, ncols, sets);
        p[(*np)++] = OP(VF_X_IF);
    }
}

/* random columns of every type; about 15% nulls */
typedef struct rtable {
    int ncols;
    int64_t n;
    vf_colview cols[12];
    void *mem[24];
    int nmem;
} rtable;

static void *rt_alloc(rtable *t, size_t bytes) {
    void *p = calloc(bytes ? bytes : 1, 1);
    t->mem[t->nmem++] = p;
    return p;
}

static void rt_free(rtable *t) {
    for (int i = 0; i < t->nmem; i++) free(t->mem[i]);
}

static rtable rt_make(int64_t n, int spread) {
    rtable t;
    memset(&t, 0, sizeof t);
    t.n = n;
    static const vf_type types[] = {VF_T_INT64, VF_T_INT32, VF_T_FLOAT64, VF_T_STRING, VF_T_INT8,   VF_T_UINT16,
                                    VF_T_FLOAT32, VF_T_BOOL, VF_T_UINT64, VF_T_INT16, VF_T_UINT32, VF_T_UINT8};
    for (int c = 0; c < 12; c++) {
        vf_type ty = types[c];
        size_t w = vf_type_width(ty);
        uint8_t *vals = rt_alloc(&t, (size_t)n * w), *ok = NULL;
        if (c % 3 != 2) {
            ok = rt_alloc(&t, (size_t)n);
            for (int64_t i = 0; i < n; i++) ok[i] = rnd() % 100 >= 15;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t v = (int64_t)(rnd() % (unsigned)(2 * spread + 1)) - spread;
            switch (ty) {
            case VF_T_INT64: ((int64_t *)vals)[i] = v; break;
            case VF_T_INT32: ((int32_t *)vals)[i] = (int32_t)v; break;
            case VF_T_INT16: ((int16_t *)vals)[i] = (int16_t)v; break;
            case VF_T_INT8: ((int8_t *)vals)[i] = (int8_t)v; break;
            case VF_T_UINT8: ((uint8_t *)vals)[i] = (uint8_t)(v + spread); break;
            case VF_T_UINT16: ((uint16_t *)vals)[i] = (uint16_t)(v + spread); break;
            case VF_T_UINT32: ((uint32_t *)vals)[i] = (uint32_t)(v + spread); break;
            case VF_T_UINT64: ((uint64_t *)vals)[i] = (uint64_t)(v + spread); break;
            case VF_T_BOOL: vals[i] = (uint8_t)(rnd() % 2); break;
            case VF_T_FLOAT64: ((double *)vals)[i] = rnd() % 50 == 0 ? NAN : (double)v / 4; break;
            case VF_T_FLOAT32: ((float *)vals)[i] = rnd() % 50 == 0 ? -0.0f : (float)v / 2; break;
            default: ((int32_t *)vals)[i] = rnd() % 8 == 0 ? -1 : (int32_t)(rnd() % 4); break;
            }
        }
        t.cols[c] = mkcol(NULL, ty, vals, vf_type_is_dict(ty) ? NULL : ok);
        if (vf_type_is_dict(ty)) t.cols[c].dict_n = 4;
    }
    t.ncols = 12;
    return t;
}

static bool rv_same(rv a, const evres *r, int64_t i) {
    if (a.null != ev_null(r, i)) return false;
    if (a.null) return true;
    if (r->kind == VF_XK_FLOAT) {
        double x = rv_f(a), y = ev_f(r, i);
        /* the reference's float // and % are the textbook floor formulas: last-bit differences */
        return (isnan(x) && isnan(y)) || x == y || fabs(x - y) <= 1e-9 * (fabs(x) + 1);
    }
    return a.i == ev_i(r, i);
}

static void test_random_programs(void) {
    int64_t sets[20] = {-8, -3, 0, 1, 4, 9, 0, 0, 0, 0, INT64_MIN, -100, -7, -2, 2, 3, 5, 100, 5000, INT64_MAX};
    int bad = 0;
    for (int round = 0; round < 300; round++) {
        int64_t n = round % 10 == 0 ? 20000 + rnd() % 5000 : 1 + rnd() % 300;
        rtable t = rt_make(n, round % 2 ? 10 : 3);
        vf_xnode p[200];
        int np = 0, want = (int)(rnd() % 3) + 1;
        gen_expr(p, &np, want, 2 + (int)(rnd() % 8), t.cols, t.ncols, sets);
        int kind = 0;
        vf_error err;
        vf_status st = vf_expr_check(t.cols, t.ncols, p, np, &kind, &err);
        if (st != VF_OK) fprintf(stderr, "random program refused: %s\n", err.msg);
        CHECK_INT(st, VF_OK);
        /* eval against the reference */
        void *vals;
        uint8_t *valid;
        int threads = 1 + round % 4;
        st = vf_eval(t.cols, t.ncols, n, p, np, NULL, 0, threads, &vals, &valid, &kind, &err);
        CHECK_INT(st, VF_OK);
        evres r = {kind, vals, valid};
        for (int64_t i = 0; i < n && bad < 10; i++) {
            rv x = ref_eval(t.cols, p, np, i);
            if (!rv_same(x, &r, i)) {
                bad++;
                fprintf(stderr, "round %d row %lld: reference %s %lld %g, got %s %lld %g\n", round, (long long)i,
                        x.null ? "null" : "", (long long)x.i, x.f, ev_null(&r, i) ? "null" : "",
                        (long long)(kind == VF_XK_FLOAT ? 0 : ev_i(&r, i)), kind == VF_XK_FLOAT ? ev_f(&r, i) : 0);
            }
        }
        evfree(&r);
        /* filter over a selection of every other row */
        if (kind == VF_XK_BOOL) {
            int64_t *sel = malloc(sizeof *sel * (size_t)n), ns = 0;
            for (int64_t i = round % 2; i < n; i += 2) sel[ns++] = i;
            int64_t *rows;
            int64_t got = run_filter(t.cols, t.ncols, n, p, np, sel, ns, threads, &rows), k = 0;
            bool ok = got >= 0;
            for (int64_t j = 0; j < ns && ok; j++) {
                rv x = ref_eval(t.cols, p, np, sel[j]);
                if (!x.null && x.i) ok = k < got && rows[k++] == sel[j];
            }
            ok = ok && k == got;
            if (!ok) bad++;
            CHECK(ok);
            free(rows);
            free(sel);
        }
        rt_free(&t);
    }
    CHECK_INT(bad, 0);
}

/* ================================================================== */
/* Grouped aggregation                                                 */
/* ================================================================== */
typedef struct gres {
    vf_groups *g;
    vf_status st;
    vf_error err;
} gres;

static gres group(const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel, const int *keys,
                  int nkeys, const vf_aggspec *aggs, int naggs, int threads, int strategy) {
    gres r;
    memset(&r, 0, sizeof r);
    vf_group_opts o = {.strategy = strategy};
    r.st = vf_group_agg_ex(cols, ncols, nrows, sel, nsel, keys, nkeys, aggs, naggs, threads, &o, &r.g, &r.err);
    if (r.st != VF_OK && r.st != VF_EARG) fprintf(stderr, "group_agg: %s\n", r.err.msg);
    return r;
}

/* output cell (c, row) as a comparable value: null flag, then int64 bits / double */
static bool oc_null(const vf_outcol *c, int64_t i) {
    if (vf_type_is_dict(c->type)) return ((int32_t *)c->values)[i] < 0;
    return c->valid && !c->valid[i];
}
static int64_t oc_i(const vf_outcol *c, int64_t i) {
    vf_colview v = mkcol(NULL, c->type, c->values, NULL);
    rv x = ref_cell(&v, i);
    return x.i;
}
static double oc_f(const vf_outcol *c, int64_t i) {
    return c->type == VF_T_FLOAT32 ? ((float *)c->values)[i] : ((double *)c->values)[i];
}

/* the row of group `want` (key values by key cells of table row r) in the result, or -1 */
static int64_t find_group(const vf_groups *g, const vf_colview *cols, const int *keys, int64_t r) {
    for (int64_t j = 0; j < g->ngroups; j++) {
        bool same = true;
        for (int k = 0; k < g->nkeys && same; k++) {
            rv x = ref_cell(&cols[keys[k]], r);
            const vf_outcol *o = &g->keys[k];
            if (x.null != oc_null(o, j)) same = false;
            else if (x.null) continue;
            else if (x.kind == VF_XK_FLOAT) same = rdeq(x.f, oc_f(o, j));
            else same = x.i == oc_i(o, j);
        }
        if (same) return j;
    }
    return -1;
}

static void test_group_basic(void) {
    /* key: codes with nulls; values with nulls */
    static const int32_t k[] = {0, 1, 0, -1, 1, 1, -1, 2};
    static const int64_t v[] = {10, 20, 30, 40, 0, 60, 70, 80};
    static const uint8_t ok[] = {1, 1, 1, 1, 0, 1, 1, 0};
    static const double f[] = {1.5, 2.5, 3.5, NAN, -1, 4, 5, 6};
    vf_colview c[3] = {mkdict("k", k, 3), mkcol("v", VF_T_INT64, v, ok), mkcol("f", VF_T_FLOAT64, f, NULL)};
    vf_aggspec a[] = {{VF_AGG_COUNT_ALL, 0, 0, 0}, {VF_AGG_COUNT, 1, 0, 0}, {VF_AGG_SUM, 1, 0, 0},
                      {VF_AGG_MIN, 1, 0, 0},       {VF_AGG_MAX, 1, 0, 0},   {VF_AGG_AVG, 1, 0, 0},
                      {VF_AGG_MAX, 2, 0, 0},       {VF_AGG_MIN, 2, 0, 0},   {VF_AGG_SUM, 2, 0, 0}};
    int key = 0;
    for (int s = 0; s <= 3; s++)
        for (int t = 1; t <= 4; t++) {
            gres r = group(c, 3, 8, NULL, 0, &key, 1, a, 9, t, s);
            CHECK_INT(r.st, VF_OK);
            if (r.st != VF_OK) continue;
            vf_groups *g = r.g;
            CHECK_INT(g->ngroups, 4);
            CHECK_INT(g->strategy, s ? s : VF_GS_DIRECT);
            int64_t g0 = find_group(g, c, &key, 0), g1 = find_group(g, c, &key, 1), gn = find_group(g, c, &key, 3),
                    g2 = find_group(g, c, &key, 7);
            CHECK(g0 >= 0 && g1 >= 0 && gn >= 0 && g2 >= 0);
            CHECK_INT(g->keys[0].type, VF_T_STRING);
            CHECK_INT(g->keys[0].null_count, 1);
            CHECK(g->keys[0].valid == NULL);
            vf_outcol *o = g->aggs;
            CHECK_INT(((int64_t *)o[0].values)[g1], 3);
            CHECK_INT(((int64_t *)o[1].values)[g1], 2);
            CHECK_INT(((int64_t *)o[2].values)[g1], 80);
            CHECK_INT(((int64_t *)o[3].values)[g1], 20);
            CHECK_INT(((int64_t *)o[4].values)[g1], 60);
            CHECK(((double *)o[5].values)[g1] == 40);
            CHECK_INT(((int64_t *)o[2].values)[gn], 110);
            CHECK(isnan(((double *)o[6].values)[gn]) && ((double *)o[7].values)[gn] == 5); /* NaN is the largest */
            CHECK(isnan(((double *)o[8].values)[gn]));
            /* the group whose only value is null: SUM/MIN/MAX/AVG null, COUNT 0 */
            CHECK_INT(((int64_t *)o[0].values)[g2], 1);
            CHECK_INT(((int64_t *)o[1].values)[g2], 0);
            for (int i = 2; i <= 5; i++) CHECK(oc_null(&o[i], g2));
            CHECK_INT(o[2].null_count, 1);
            CHECK(o[0].valid == NULL && o[1].valid == NULL);
            CHECK(o[6].valid == NULL); /* float column without nulls: MAX never null */
            CHECK_INT(o[3].type, VF_T_INT64);
            CHECK_INT(o[6].type, VF_T_FLOAT64);
            vf_groups_free(g);
        }
}

/* no rows, all null, no keys */
static void test_group_edges(void) {
    static const int64_t v[] = {1, 2, 3};
    static const uint8_t none[] = {0, 0, 0};
    vf_colview c[2] = {mkcol("v", VF_T_INT64, v, none), mkcol("w", VF_T_INT64, v, NULL)};
    vf_aggspec a[] = {{VF_AGG_COUNT_ALL, 0, 0, 0}, {VF_AGG_COUNT, 0, 0, 0},          {VF_AGG_SUM, 0, 0, 0},
                      {VF_AGG_AVG, 0, 0, 0},       {VF_AGG_STDDEV_POP, 0, 0, 0},     {VF_AGG_COUNT_DISTINCT, 0, 0, 0},
                      {VF_AGG_APPROX_DISTINCT, 0, 0, 0}, {VF_AGG_ARG_MIN, 1, 0, 0}, {VF_AGG_CORR, 0, 1, 0}};
    for (int t = 1; t <= 3; t++) {
        /* no keys over no rows: one group, count 0, the rest null */
        gres r = group(c, 2, 0, NULL, 0, NULL, 0, a, 9, t, 0);
        CHECK_INT(r.st, VF_OK);
        CHECK_INT(r.g->ngroups, 1);
        CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], 0);
        CHECK_INT(((int64_t *)r.g->aggs[1].values)[0], 0);
        CHECK(oc_null(&r.g->aggs[2], 0) && oc_null(&r.g->aggs[3], 0) && oc_null(&r.g->aggs[4], 0));
        CHECK_INT(((int64_t *)r.g->aggs[5].values)[0], 0);
        CHECK_INT(((int64_t *)r.g->aggs[6].values)[0], 0);
        CHECK(oc_null(&r.g->aggs[7], 0) && oc_null(&r.g->aggs[8], 0));
        vf_groups_free(r.g);
        /* no keys, all null values */
        r = group(c, 2, 3, NULL, 0, NULL, 0, a, 9, t, 0);
        CHECK_INT(r.g->ngroups, 1);
        CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], 3);
        CHECK_INT(((int64_t *)r.g->aggs[1].values)[0], 0);
        CHECK(oc_null(&r.g->aggs[2], 0));
        CHECK(oc_null(&r.g->aggs[7], 0)); /* ARG_MIN by a column of nulls */
        vf_groups_free(r.g);
        /* a key over no rows: no groups, in every strategy */
        int key = 1;
        for (int s = 0; s <= 3; s++) {
            r = group(c, 2, 0, NULL, 0, &key, 1, a, 9, t, s);
            CHECK_INT(r.st, VF_OK);
            CHECK_INT(r.g->ngroups, 0);
            vf_groups_free(r.g);
        }
        /* an empty selection */
        int64_t sel[1] = {0};
        r = group(c, 2, 3, sel, 0, &key, 1, a, 9, t, 0);
        CHECK_INT(r.g->ngroups, 0);
        vf_groups_free(r.g);
        /* a key that is all null: one null group */
        key = 0;
        for (int s = 0; s <= 3; s++) {
            r = group(c, 2, 3, NULL, 0, &key, 1, a, 1, t, s);
            CHECK_INT(r.st, VF_OK);
            CHECK_INT(r.g->ngroups, 1);
            CHECK(oc_null(&r.g->keys[0], 0));
            CHECK_INT(r.g->keys[0].null_count, 1);
            CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], 3);
            vf_groups_free(r.g);
        }
    }
}

/* integer extremes: keys whose range needs 65 bits, SUM overflow and recovery */
static void test_group_extremes(void) {
    static const int64_t k[] = {INT64_MIN, INT64_MAX, 0, INT64_MIN, INT64_MAX, -1};
    static const uint8_t kok[] = {1, 1, 1, 1, 1, 0};
    static const int64_t v[] = {INT64_MAX, INT64_MAX, -5, INT64_MIN, -1, 7};
    vf_colview c[3] = {mkcol("k", VF_T_INT64, k, kok), mkcol("v", VF_T_INT64, v, NULL),
                       mkcol("u", VF_T_UINT64, (uint64_t[]){UINT64_MAX, 1, 2, 3, 4, 5}, NULL)};
    vf_aggspec a[] = {{VF_AGG_SUM, 1, 0, 0}, {VF_AGG_MIN, 1, 0, 0}, {VF_AGG_MAX, 1, 0, 0}, {VF_AGG_AVG, 1, 0, 0},
                      {VF_AGG_MAX, 2, 0, 0}, {VF_AGG_MIN, 2, 0, 0}};
    int key = 0;
    for (int t = 1; t <= 3; t++) {
        gres r = group(c, 3, 6, NULL, 0, &key, 1, a, 6, t, 0);
        CHECK_INT(r.st, VF_OK);
        CHECK_INT(r.g->strategy, VF_GS_MULTI); /* 2^64 values plus null */
        CHECK_INT(r.g->ngroups, 4);
        int64_t gmin = find_group(r.g, c, &key, 0), gmax = find_group(r.g, c, &key, 1), gnull = find_group(r.g, c, &key, 5);
        CHECK(gmin >= 0 && gmax >= 0 && gnull >= 0);
        CHECK_INT(((int64_t *)r.g->aggs[0].values)[gmin], -1); /* MAX + MIN */
        CHECK_INT(((int64_t *)r.g->aggs[1].values)[gmin], INT64_MIN);
        CHECK_INT(((int64_t *)r.g->aggs[2].values)[gmin], INT64_MAX);
        CHECK(((double *)r.g->aggs[3].values)[gmin] == -0.5);
        CHECK_INT(((int64_t *)r.g->aggs[0].values)[gmax], INT64_MAX - 1); /* MAX + -1: no overflow */
        CHECK(((double *)r.g->aggs[3].values)[gmax] == (double)(INT64_MAX - 1) / 2);
        CHECK_INT(r.g->aggs[4].type, VF_T_UINT64);
        CHECK(((uint64_t *)r.g->aggs[4].values)[gmin] == UINT64_MAX);
        CHECK(((uint64_t *)r.g->aggs[5].values)[gmin] == 3);
        vf_groups_free(r.g);
    }
    /* an overflowing SUM names its column */
    static const int64_t big[] = {INT64_MAX, 1, INT64_MIN, -1};
    vf_colview b = mkcol("bytes", VF_T_INT64, big, NULL);
    vf_aggspec s = {VF_AGG_SUM, 0, 0, 0};
    gres r = group(&b, 1, 2, NULL, 0, NULL, 0, &s, 1, 1, 0);
    CHECK_INT(r.st, VF_EARG);
    CHECK_CONTAINS(r.err.msg, "bytes");
    CHECK_CONTAINS(r.err.msg, "overflows");
    r = group(&b, 1, 4, (int64_t[]){2, 3}, 2, NULL, 0, &s, 1, 1, 0);
    CHECK_INT(r.st, VF_EARG);
    /* the whole column sums to -1: partial sums overflow, the result does not */
    r = group(&b, 1, 4, NULL, 0, NULL, 0, &s, 1, 2, 0);
    CHECK_INT(r.st, VF_OK);
    CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], -1);
    vf_groups_free(r.g);
    /* uint64 sums */
    vf_colview u = mkcol("u", VF_T_UINT64, (uint64_t[]){1ULL << 63, 1ULL << 62}, NULL);
    r = group(&u, 1, 2, NULL, 0, NULL, 0, &s, 1, 1, 0);
    CHECK_INT(r.st, VF_EARG);
    r = group(&u, 1, 2, (int64_t[]){1}, 1, NULL, 0, &s, 1, 1, 0);
    CHECK_INT(r.st, VF_OK);
    CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], 1LL << 62);
    vf_groups_free(r.g);
}

static void test_group_stats(void) {
    enum { N = 5000 };
    static double x[N], y[N];
    static int32_t k[N];
    static uint8_t ok[N];
    for (int i = 0; i < N; i++) {
        k[i] = i % 3;
        x[i] = 1e6 + (double)(rnd() % 1000) / 7.0; /* a large mean: naive formulas would lose digits */
        y[i] = 2 * x[i] + (double)(rnd() % 100) / 13.0;
        ok[i] = i % 11 != 0;
    }
    k[0] = 1; /* group 1 has one more row */
    vf_colview c[3] = {mkdict("k", k, 3), mkcol("x", VF_T_FLOAT64, x, ok), mkcol("y", VF_T_FLOAT64, y, NULL)};
    vf_aggspec a[] = {{VF_AGG_STDDEV, 1, 0, 0}, {VF_AGG_STDDEV_POP, 1, 0, 0}, {VF_AGG_VARIANCE, 1, 0, 0},
                      {VF_AGG_CORR, 1, 2, 0},   {VF_AGG_AVG, 1, 0, 0}};
    int key = 0;
    for (int t = 1; t <= 4; t++) {
        gres r = group(c, 3, N, NULL, 0, &key, 1, a, 5, t, t % 2 ? VF_GS_DIRECT : VF_GS_PACKED);
        CHECK_INT(r.st, VF_OK);
        for (int gk = 0; gk < 3; gk++) {
            int64_t first = -1;
            long double s = 0, sy = 0, n = 0;
            for (int i = 0; i < N; i++)
                if (k[i] == gk && ok[i]) {
                    if (first < 0) first = i;
                    s += x[i];
                    sy += y[i];
                    n++;
                }
            long double mx = s / n, my = sy / n, sxx = 0, syy = 0, sxy = 0;
            for (int i = 0; i < N; i++)
                if (k[i] == gk && ok[i]) {
                    sxx += (x[i] - mx) * (x[i] - mx);
                    syy += (y[i] - my) * (y[i] - my);
                    sxy += (x[i] - mx) * (y[i] - my);
                }
            double want[5] = {(double)sqrtl(sxx / (n - 1)), (double)sqrtl(sxx / n), (double)(sxx / (n - 1)),
                              (double)(sxy / sqrtl(sxx * syy)), (double)mx};
            int64_t j = find_group(r.g, c, &key, first);
            for (int i = 0; i < 5; i++) {
                double got = ((double *)r.g->aggs[i].values)[j];
                bool close = fabs(got - want[i]) <= 1e-9 * fabs(want[i]);
                if (!close) fprintf(stderr, "stat %d group %d: %.17g vs %.17g\n", i, gk, got, want[i]);
                CHECK(close);
            }
        }
        vf_groups_free(r.g);
    }
    /* below two values: STDDEV/VARIANCE null, STDDEV_POP 0; CORR NaN for one row or a constant */
    static const double one[] = {5, 5, 5};
    static const double lin[] = {1, 2, 3};
    vf_colview d[2] = {mkcol("c", VF_T_FLOAT64, one, NULL), mkcol("l", VF_T_FLOAT64, lin, NULL)};
    vf_aggspec b[] = {{VF_AGG_STDDEV, 0, 0, 0}, {VF_AGG_STDDEV_POP, 0, 0, 0}, {VF_AGG_VARIANCE, 0, 0, 0},
                      {VF_AGG_CORR, 0, 1, 0},   {VF_AGG_CORR, 1, 1, 0}};
    gres r = group(d, 2, 1, NULL, 0, NULL, 0, b, 5, 1, 0);
    CHECK(oc_null(&r.g->aggs[0], 0) && oc_null(&r.g->aggs[2], 0));
    CHECK(!oc_null(&r.g->aggs[1], 0) && ((double *)r.g->aggs[1].values)[0] == 0);
    CHECK(!oc_null(&r.g->aggs[3], 0) && isnan(((double *)r.g->aggs[3].values)[0]));
    vf_groups_free(r.g);
    r = group(d, 2, 3, NULL, 0, NULL, 0, b, 5, 1, 0);
    CHECK(((double *)r.g->aggs[0].values)[0] == 0);
    CHECK(isnan(((double *)r.g->aggs[3].values)[0]));
    CHECK(fabs(((double *)r.g->aggs[4].values)[0] - 1) < 1e-15);
    vf_groups_free(r.g);
}

static void test_group_distinct_arg(void) {
    enum { N = 20000 };
    static int32_t k[N], s[N];
    static int64_t v[N], t[N];
    static uint8_t ok[N];
    for (int i = 0; i < N; i++) {
        k[i] = i % 5;
        v[i] = (i * 7919) % (k[i] * 400 + 1);  /* group g has g*400+1 distinct values */
        ok[i] = i % 13 != 0;
        s[i] = i % 17 == 0 ? -1 : (int32_t)(rnd() % 50);
        t[i] = i % 1000; /* ties: the first row of the smallest/largest wins */
    }
    vf_colview c[4] = {mkdict("k", k, 5), mkcol("v", VF_T_INT64, v, ok), mkdict("s", s, 50), mkcol("t", VF_T_INT64, t, NULL)};
    vf_aggspec a[] = {{VF_AGG_COUNT_DISTINCT, 1, 0, 0}, {VF_AGG_COUNT_DISTINCT, 2, 0, 0}, {VF_AGG_APPROX_DISTINCT, 1, 0, 0},
                      {VF_AGG_ARG_MIN, 1, 3, 0},         {VF_AGG_ARG_MAX, 2, 3, 0},        {VF_AGG_ARG_MAX, 2, 3, 1},
                      {VF_AGG_APPROX_DISTINCT, 1, 0, 4}};
    int key = 0;
    for (int strat = 1; strat <= 3; strat++)
        for (int th = 1; th <= 4; th++) {
            gres r = group(c, 4, N, NULL, 0, &key, 1, a, 7, th, strat);
            CHECK_INT(r.st, VF_OK);
            for (int gk = 0; gk < 5; gk++) {
                /* exact distincts by brute force */
                static uint8_t seen[4096];
                memset(seen, 0, sizeof seen);
                int64_t dv = 0, ds = 0;
                uint64_t sseen = 0;
                int64_t amin = -1, amax = -1, amaxn = -1;
                for (int i = 0; i < N; i++) {
                    if (k[i] != gk) continue;
                    if (ok[i] && !seen[v[i]]) {
                        seen[v[i]] = 1;
                        dv++;
                    }
                    if (s[i] >= 0 && !(sseen >> s[i] & 1)) {
                        sseen |= 1ULL << s[i];
                        ds++;
                    }
                    if (ok[i] && (amin < 0 || t[i] < t[amin])) amin = i;
                    if (s[i] >= 0 && (amax < 0 || t[i] > t[amax])) amax = i;
                    if (amaxn < 0 || t[i] > t[amaxn]) amaxn = i;
                }
                int64_t j = find_group(r.g, c, &key, gk);
                CHECK_INT(((int64_t *)r.g->aggs[0].values)[j], dv);
                CHECK_INT(((int64_t *)r.g->aggs[1].values)[j], ds);
                int64_t est = ((int64_t *)r.g->aggs[2].values)[j], est4 = ((int64_t *)r.g->aggs[6].values)[j];
                CHECK(fabs((double)(est - dv)) <= 0.05 * (double)dv + 1);
                CHECK(fabs((double)(est4 - dv)) <= 0.8 * (double)dv + 2);
                CHECK_INT(((int64_t *)r.g->aggs[3].values)[j], v[amin]);
                CHECK_INT(r.g->aggs[4].type, VF_T_STRING);
                CHECK_INT(((int32_t *)r.g->aggs[4].values)[j], s[amax]);
                CHECK_INT(((int32_t *)r.g->aggs[5].values)[j], s[amaxn]);
            }
            CHECK(r.g->aggs[4].valid == NULL);
            vf_groups_free(r.g);
        }
    /* HLL over many values: within a few standard errors */
    enum { M = 200000 };
    int64_t *big = malloc(M * sizeof *big);
    for (int i = 0; i < M; i++) big[i] = (int64_t)i * 1000003;
    vf_colview bc = mkcol("b", VF_T_INT64, big, NULL);
    for (int p = 4; p <= 16; p += 4) {
        vf_aggspec h = {VF_AGG_APPROX_DISTINCT, 0, 0, p};
        gres r = group(&bc, 1, M, NULL, 0, NULL, 0, &h, 1, 2, 0);
        double est = (double)((int64_t *)r.g->aggs[0].values)[0], se = 1.04 / sqrt((double)(1 << p));
        CHECK(fabs(est - M) <= 4 * se * M);
        vf_groups_free(r.g);
    }
    free(big);
    /* ARG over floats: NaN is the largest; -0 ties with 0 (the first row wins) */
    static const double f[] = {1, NAN, -0.0, 0.0, -INFINITY};
    static const int64_t idx[] = {10, 11, 12, 13, 14};
    vf_colview fc[2] = {mkcol("f", VF_T_FLOAT64, f, NULL), mkcol("i", VF_T_INT64, idx, NULL)};
    vf_aggspec fa[] = {{VF_AGG_ARG_MAX, 1, 0, 0}, {VF_AGG_ARG_MIN, 1, 0, 0}, {VF_AGG_MAX, 0, 0, 0}, {VF_AGG_MIN, 0, 0, 0}};
    gres r = group(fc, 2, 5, NULL, 0, NULL, 0, fa, 4, 1, 0);
    CHECK_INT(((int64_t *)r.g->aggs[0].values)[0], 11);
    CHECK_INT(((int64_t *)r.g->aggs[1].values)[0], 14);
    CHECK(isnan(((double *)r.g->aggs[2].values)[0]));
    CHECK(((double *)r.g->aggs[3].values)[0] == -INFINITY);
    vf_groups_free(r.g);
    r = group(fc, 2, 4, (int64_t[]){0, 2, 3}, 3, NULL, 0, fa, 2, 1, 0);
    CHECK_INT(((int64_t *)r.g->aggs[1].values)[0], 12);
    vf_groups_free(r.g);
}

/* ---- random group-bys: every strategy and thread count against a sorted reference ---- */
static const vf_colview *g_sort_cols;
static const int *g_sort_keys;
static int g_sort_nkeys;

static int cmp_cells(rv a, rv b) {
    if (a.null != b.null) return a.null ? 1 : -1;
    if (a.null) return 0;
    if (a.kind == VF_XK_FLOAT) {
        double x = a.f + 0.0, y = b.f + 0.0;
        if (rdeq(x, y)) return 0;
        return rdlt(x, y) ? -1 : 1;
    }
    return (a.i > b.i) - (a.i < b.i);
}

static int cmp_rows(const void *pa, const void *pb) {
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    for (int k = 0; k < g_sort_nkeys; k++) {
        const vf_colview *c = &g_sort_cols[g_sort_keys[k]];
        int r = cmp_cells(ref_cell(c, a), ref_cell(c, b));
        if (r) return r;
    }
    return (a > b) - (a < b);
}

/* the reference value of aggregate a over rows[0..n) */
static rv ref_agg(const vf_colview *cols, const vf_aggspec *a, const int64_t *rows, int64_t n) {
    rv out = {VF_XK_INT, false, 0, 0};
    const vf_colview *c = &cols[a->col];
    int64_t cnt = 0;
    i128 isum = 0;
    long double fsum = 0;
    rv best = {0, true, 0, 0};
    for (int64_t j = 0; j < n; j++) {
        rv x = ref_cell(c, rows[j]);
        if (a->op == VF_AGG_COUNT_ALL) {
            cnt++;
            continue;
        }
        if (x.null) continue;
        cnt++;
        if (x.kind == VF_XK_FLOAT) fsum += x.f;
        else isum += c->type == VF_T_UINT64 ? (i128)(uint64_t)x.i : (i128)x.i;
        int r = best.null ? 1 : cmp_cells(x, best);
        if (c->type == VF_T_UINT64 && !best.null) r = ((uint64_t)x.i > (uint64_t)best.i) - ((uint64_t)x.i < (uint64_t)best.i);
        if (best.null || (a->op == VF_AGG_MIN ? r < 0 : r > 0)) best = x;
    }
    switch (a->op) {
    case VF_AGG_COUNT_ALL: case VF_AGG_COUNT: out.i = cnt; break;
    case VF_AGG_SUM:
        out.null = cnt == 0;
        if (c->type == VF_T_FLOAT32 || c->type == VF_T_FLOAT64) {
            out.kind = VF_XK_FLOAT;
            out.f = (double)fsum;
        } else {
            out.i = (int64_t)isum;
        }
        break;
    case VF_AGG_AVG:
        out.null = cnt == 0;
        out.kind = VF_XK_FLOAT;
        out.f = c->type == VF_T_FLOAT32 || c->type == VF_T_FLOAT64 ? (double)(fsum / cnt) : (double)((long double)isum / cnt);
        break;
    default: /* MIN, MAX */
        out = best;
        break;
    }
    return out;
}

static rv out_cell(const vf_outcol *o, int64_t j) {
    vf_colview v = mkcol(NULL, o->type, o->values, o->valid);
    return ref_cell(&v, j);
}

static const vf_groups *g_sort_groups;

static int cmp_groups(const void *pa, const void *pb) {
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    for (int k = 0; k < g_sort_groups->nkeys; k++) {
        int r = cmp_cells(out_cell(&g_sort_groups->keys[k], a), out_cell(&g_sort_groups->keys[k], b));
        if (r) return r;
    }
    return 0;
}

static void test_group_random(void) {
    int bad = 0;
    for (int round = 0; round < 60 && bad < 5; round++) {
        int64_t n = round % 6 == 0 ? 40000 + rnd() % 20000 : rnd() % 3000;
        rtable t = rt_make(n, round % 3 == 0 ? 1000 : 6);
        int keys[3], nkeys = 1 + (int)(rnd() % 3);
        for (int k = 0; k < nkeys; k++) keys[k] = (int)(rnd() % 12);
        vf_aggspec a[8];
        int na = 0;
        a[na++] = (vf_aggspec){VF_AGG_COUNT_ALL, 0, 0, 0};
        for (int i = 0; i < 5; i++) {
            int col = (int)(rnd() % 12);
            if (col == 3) col = 0; /* not the dictionary column */
            static const int ops[] = {VF_AGG_COUNT, VF_AGG_SUM, VF_AGG_MIN, VF_AGG_MAX, VF_AGG_AVG};
            a[na++] = (vf_aggspec){ops[rnd() % 5], col, 0, 0};
        }
        /* a selection half the time */
        int64_t *sel = NULL, ns = n;
        if (round % 2) {
            sel = malloc(sizeof *sel * (size_t)(n ? n : 1));
            ns = 0;
            for (int64_t i = 0; i < n; i++)
                if (rnd() % 3) sel[ns++] = i;
        }
        /* reference: sort the selected rows by key, walk the runs */
        int64_t *rows = malloc(sizeof *rows * (size_t)(ns ? ns : 1));
        for (int64_t i = 0; i < ns; i++) rows[i] = sel ? sel[i] : i;
        g_sort_cols = t.cols;
        g_sort_keys = keys;
        g_sort_nkeys = nkeys;
        qsort(rows, (size_t)ns, sizeof *rows, cmp_rows);
        int64_t ngroups = 0;
        for (int64_t i = 0; i < ns; i++) {
            int64_t a_ = rows[i], b_ = i ? rows[i - 1] : 0;
            bool nw = i == 0;
            for (int k = 0; k < nkeys && !nw; k++) nw = cmp_cells(ref_cell(&t.cols[keys[k]], a_), ref_cell(&t.cols[keys[k]], b_)) != 0;
            ngroups += nw;
        }
        for (int strat = 0; strat <= 3; strat++)
            for (int th = 1; th <= 4; th += (strat ? 3 : 1)) {
                gres r = group(t.cols, t.ncols, n, sel, ns, keys, nkeys, a, na, th, strat);
                if (r.st == VF_EARG && strat) continue; /* a forced strategy these keys do not allow */
                if (r.st != VF_OK) fprintf(stderr, "round %d: %s\n", round, r.err.msg);
                CHECK_INT(r.st, VF_OK);
                if (r.st != VF_OK) continue;
                if (r.g->ngroups != ngroups) {
                    fprintf(stderr, "round %d strategy %d threads %d: %lld groups, want %lld\n", round, strat, th,
                            (long long)r.g->ngroups, (long long)ngroups);
                    bad++;
                }
                CHECK_INT(r.g->ngroups, ngroups);
                /* the result's groups in key order, beside the reference's */
                int64_t *order = malloc(sizeof *order * (size_t)(r.g->ngroups + 1));
                for (int64_t j = 0; j < r.g->ngroups; j++) order[j] = j;
                g_sort_groups = r.g;
                qsort(order, (size_t)r.g->ngroups, sizeof *order, cmp_groups);
                int64_t gi = 0;
                for (int64_t i = 0, start = 0; i <= ns && bad < 5; i++) {
                    bool end = i == ns;
                    for (int k = 0; k < nkeys && !end && i > start; k++)
                        end = cmp_cells(ref_cell(&t.cols[keys[k]], rows[i]), ref_cell(&t.cols[keys[k]], rows[start])) != 0;
                    if (!end || i == start) continue;
                    int64_t j = gi < r.g->ngroups ? order[gi++] : -1;
                    for (int k = 0; k < nkeys && j >= 0; k++)
                        if (cmp_cells(ref_cell(&t.cols[keys[k]], rows[start]), out_cell(&r.g->keys[k], j)) != 0) j = -1;
                    if (j < 0) {
                        bad++;
                        fprintf(stderr, "round %d: a group is missing\n", round);
                    }
                    for (int ai = 0; ai < na && j >= 0; ai++) {
                        rv want = ref_agg(t.cols, &a[ai], rows + start, i - start);
                        const vf_outcol *o = &r.g->aggs[ai];
                        bool same = want.null == oc_null(o, j);
                        if (same && !want.null) {
                            if (o->type == VF_T_FLOAT64) {
                                double got = oc_f(o, j), w = want.kind == VF_XK_FLOAT ? want.f : (double)want.i;
                                same = rdeq(got, w) || fabs(got - w) <= 1e-9 * fabs(w) + 1e-12;
                            } else {
                                same = oc_i(o, j) == want.i;
                            }
                        }
                        if (!same) {
                            bad++;
                            fprintf(stderr, "round %d strategy %d threads %d agg %d (op %d col %d type %s): wrong\n",
                                    round, strat, th, ai, a[ai].op, a[ai].col, vf_type_name(t.cols[a[ai].col].type));
                        }
                    }
                    start = i;
                }
                free(order);
                vf_groups_free(r.g);
            }
        free(rows);
        free(sel);
        rt_free(&t);
    }
    CHECK_INT(bad, 0);
}

/* the strategies as chosen: small domains direct, wide ones packed, too wide multi */
static void test_group_strategies(void) {
    enum { N = 10000 };
    static int32_t a[N], b[N];
    static int64_t w[N];
    static double f[N];
    static uint8_t fok[N];
    for (int i = 0; i < N; i++) {
        a[i] = (int32_t)(rnd() % 1000);
        b[i] = (int32_t)(rnd() % 1000000) * 1000;
        w[i] = (int64_t)rnd() << 31 | rnd();
        f[i] = (double)(rnd() % 100);
        fok[i] = i % 10 != 0;
    }
    vf_colview c[5] = {mkcol("a", VF_T_INT32, a, NULL), mkcol("b", VF_T_INT32, b, NULL), mkcol("w", VF_T_INT64, w, NULL),
                       mkcol("f", VF_T_FLOAT64, f, NULL), mkcol("fn", VF_T_FLOAT64, f, fok)};
    vf_aggspec cnt = {VF_AGG_COUNT_ALL, 0, 0, 0};
    struct {
        int keys[3], nkeys, want;
    } cases[] = {
        {{0}, 1, VF_GS_DIRECT},        {{0, 0}, 2, VF_GS_PACKED},  {{1}, 1, VF_GS_PACKED},
        {{0, 1}, 2, VF_GS_PACKED},     {{2}, 1, VF_GS_PACKED},     {{3}, 1, VF_GS_PACKED},
        {{4}, 1, VF_GS_MULTI},         {{2, 0}, 2, VF_GS_MULTI},   {{1, 2, 3}, 3, VF_GS_MULTI},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gres r = group(c, 5, N, NULL, 0, cases[i].keys, cases[i].nkeys, &cnt, 1, 2, 0);
        CHECK_INT(r.st, VF_OK);
        if (r.g->strategy != cases[i].want) fprintf(stderr, "case %zu: strategy %d\n", i, r.g->strategy);
        CHECK_INT(r.g->strategy, cases[i].want);
        int64_t total = 0;
        for (int64_t j = 0; j < r.g->ngroups; j++) total += ((int64_t *)r.g->aggs[0].values)[j];
        CHECK_INT(total, N);
        vf_groups_free(r.g);
    }
    /* impossible forced strategies are refused */
    int k1 = 1, k4 = 4;
    gres r = group(c, 5, N, NULL, 0, &k1, 1, &cnt, 1, 1, VF_GS_DIRECT);
    CHECK_INT(r.st, VF_EARG);
    CHECK_CONTAINS(r.err.msg, "DIRECT");
    r = group(c, 5, N, NULL, 0, &k4, 1, &cnt, 1, 1, VF_GS_PACKED);
    CHECK_INT(r.st, VF_EARG);
    CHECK_CONTAINS(r.err.msg, "PACKED");
    /* many groups in many threads: the partitioned merge */
    static int64_t u[200000];
    for (int i = 0; i < 200000; i++) u[i] = (int64_t)(rnd() % 150000) * 7919;
    vf_colview uc = mkcol("u", VF_T_INT64, u, NULL);
    vf_aggspec ua[] = {{VF_AGG_COUNT_ALL, 0, 0, 0}, {VF_AGG_SUM, 0, 0, 0}, {VF_AGG_COUNT_DISTINCT, 0, 0, 0}};
    int k0 = 0;
    int64_t groups1 = -1;
    for (int s = 2; s <= 3; s++)
        for (int th = 1; th <= 4; th++) {
            r = group(&uc, 1, 200000, NULL, 0, &k0, 1, ua, 3, th, s);
            CHECK_INT(r.st, VF_OK);
            if (groups1 < 0) groups1 = r.g->ngroups;
            CHECK_INT(r.g->ngroups, groups1);
            int64_t total = 0;
            bool ok = true;
            for (int64_t j = 0; j < r.g->ngroups; j++) {
                int64_t n = ((int64_t *)r.g->aggs[0].values)[j];
                total += n;
                ok &= ((int64_t *)r.g->aggs[1].values)[j] == n * ((int64_t *)r.g->keys[0].values)[j];
                ok &= ((int64_t *)r.g->aggs[2].values)[j] == 1;
            }
            CHECK(ok);
            CHECK_INT(total, 200000);
            vf_groups_free(r.g);
        }
}

static void test_group_bad(void) {
    static const int32_t s[] = {0, 1};
    vf_colview c[2] = {mkcol("v", VF_T_INT64, (int64_t[]){1, 2}, NULL), mkdict("s", s, 2)};
    struct {
        vf_aggspec a;
        const char *msg;
    } cases[] = {
        {{99, 0, 0, 0}, "unknown op"},
        {{VF_AGG_SUM, 5, 0, 0}, "column 5 does not exist"},
        {{VF_AGG_SUM, 1, 0, 0}, "not a number"},
        {{VF_AGG_MIN, 1, 0, 0}, "not a number"},
        {{VF_AGG_CORR, 0, 1, 0}, "not a number"},
        {{VF_AGG_ARG_MIN, 0, 1, 0}, "not a number"},
        {{VF_AGG_ARG_MIN, 0, -1, 0}, "does not exist"},
        {{VF_AGG_ARG_MIN, 0, 0, 2}, "param 2"},
        {{VF_AGG_APPROX_DISTINCT, 0, 0, 3}, "precision 3"},
        {{VF_AGG_APPROX_DISTINCT, 0, 0, 17}, "precision 17"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gres r = group(c, 2, 2, NULL, 0, NULL, 0, &cases[i].a, 1, 1, 0);
        CHECK_INT(r.st, VF_EARG);
        CHECK_CONTAINS(r.err.msg, cases[i].msg);
        CHECK(r.g == NULL);
    }
    int key = 7;
    vf_aggspec cnt = {VF_AGG_COUNT_ALL, 0, 0, 0};
    gres r = group(c, 2, 2, NULL, 0, &key, 1, &cnt, 1, 1, 0);
    CHECK_INT(r.st, VF_EARG);
    CHECK_CONTAINS(r.err.msg, "key 0");
    r = group(c, 2, 2, (int64_t[]){5}, 1, NULL, 0, &cnt, 1, 1, 0);
    CHECK_INT(r.st, VF_EARG);
    /* COUNT and the distincts take dictionary columns */
    vf_aggspec ok[] = {{VF_AGG_COUNT, 1, 0, 0}, {VF_AGG_COUNT_DISTINCT, 1, 0, 0}, {VF_AGG_APPROX_DISTINCT, 1, 0, 0}};
    r = group(c, 2, 2, NULL, 0, NULL, 0, ok, 3, 1, 0);
    CHECK_INT(r.st, VF_OK);
    CHECK_INT(((int64_t *)r.g->aggs[1].values)[0], 2);
    vf_groups_free(r.g);
}

/* ================================================================== */
/* Top-k                                                               */
/* ================================================================== */
static void test_topk(void) {
    static const int64_t v[] = {5, 3, 9, 3, 0, 9, 1, 7};
    static const uint8_t ok[] = {1, 1, 1, 1, 0, 1, 1, 1};
    vf_colview c = mkcol("v", VF_T_INT64, v, ok);
    int64_t *out, n;
    vf_error err;
    CHECK_INT(vf_topk(&c, 8, NULL, 0, 3, true, &out, &n, &err), VF_OK);
    CHECK(n == 3 && out[0] == 2 && out[1] == 5 && out[2] == 7);
    free(out);
    CHECK_INT(vf_topk(&c, 8, NULL, 0, 3, false, &out, &n, &err), VF_OK);
    CHECK(n == 3 && out[0] == 6 && out[1] == 1 && out[2] == 3);
    free(out);
    /* k beyond the rows: all of them, nulls last */
    CHECK_INT(vf_topk(&c, 8, NULL, 0, 100, true, &out, &n, &err), VF_OK);
    static const int64_t all[] = {2, 5, 7, 0, 1, 3, 6, 4};
    CHECK(n == 8 && memcmp(out, all, sizeof all) == 0);
    free(out);
    CHECK_INT(vf_topk(&c, 8, NULL, 0, 0, true, &out, &n, &err), VF_OK);
    CHECK_INT(n, 0);
    free(out);
    /* a selection */
    CHECK_INT(vf_topk(&c, 8, (int64_t[]){1, 3, 4, 6}, 4, 3, true, &out, &n, &err), VF_OK);
    CHECK(n == 3 && out[0] == 1 && out[1] == 3 && out[2] == 6);
    free(out);
    /* floats: NaN on top when descending, -0 ties with 0 */
    static const double f[] = {0.0, NAN, -1, -0.0, INFINITY};
    vf_colview fc = mkcol("f", VF_T_FLOAT64, f, NULL);
    CHECK_INT(vf_topk(&fc, 5, NULL, 0, 5, true, &out, &n, &err), VF_OK);
    static const int64_t fd[] = {1, 4, 0, 3, 2};
    CHECK(n == 5 && memcmp(out, fd, sizeof fd) == 0);
    free(out);
    CHECK_INT(vf_topk(&fc, 5, NULL, 0, 5, false, &out, &n, &err), VF_OK);
    static const int64_t fa[] = {2, 0, 3, 4, 1};
    CHECK(n == 5 && memcmp(out, fa, sizeof fa) == 0);
    free(out);
    /* uint64 order, int8 */
    vf_colview u = mkcol("u", VF_T_UINT64, (uint64_t[]){1, UINT64_MAX, 1ULL << 63}, NULL);
    CHECK_INT(vf_topk(&u, 3, NULL, 0, 1, true, &out, &n, &err), VF_OK);
    CHECK(n == 1 && out[0] == 1);
    free(out);
    /* against a full sort on random data with many ties */
    enum { N = 50000 };
    static int16_t r[N];
    static uint8_t rok[N];
    for (int i = 0; i < N; i++) {
        r[i] = (int16_t)(rnd() % 200 - 100);
        rok[i] = rnd() % 10 != 0;
    }
    vf_colview rc = mkcol("r", VF_T_INT16, r, rok);
    for (int desc = 0; desc < 2; desc++) {
        CHECK_INT(vf_topk(&rc, N, NULL, 0, 1000, desc, &out, &n, &err), VF_OK);
        CHECK_INT(n, 1000);
        bool okk = true;
        for (int64_t i = 1; i < n; i++) {
            int64_t a = out[i - 1], b = out[i];
            bool an = !rok[a], bn = !rok[b];
            if (an && !bn) okk = false;
            else if (an == bn && !an && r[a] != r[b]) okk &= desc ? r[a] > r[b] : r[a] < r[b];
            else if (an == bn && (an || r[a] == r[b])) okk &= a < b;
        }
        /* the last kept value beats (or ties with a later row than) every row left out */
        CHECK(okk);
        free(out);
    }
    /* errors */
    static const int32_t s[] = {0};
    vf_colview d = mkdict("s", s, 1);
    CHECK_INT(vf_topk(&d, 1, NULL, 0, 1, true, &out, &n, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "numeric");
    CHECK_INT(vf_topk(&c, 8, NULL, 0, -1, true, &out, &n, &err), VF_EARG);
}

/* vf_gather: every width, threads 1..3, tasks of every length, indices out of range */
static void test_gather(void) {
    const int64_t n = 3 * VF_TASK + 17, nsrc = 1000;
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    uint64_t *src = malloc((size_t)nsrc * sizeof *src);
    for (int64_t i = 0; i < nsrc; i++) src[i] = 0x0102030405060708ULL * (uint64_t)(i + 1);
    for (int64_t i = 0; i < n; i++) idx[i] = (i * 7919) % nsrc;
    static const size_t widths[] = {1, 2, 4, 8};
    vf_error err;
    for (int w = 0; w < 4; w++)
        for (int threads = 1; threads <= 3; threads++) {
            const size_t wd = widths[w];
            uint8_t *s = malloc((size_t)nsrc * wd); /* the low wd bytes of each value */
            for (int64_t i = 0; i < nsrc; i++) memcpy(s + (size_t)i * wd, &src[i], wd);
            void *out = NULL;
            CHECK_INT(vf_gather(s, nsrc, wd, idx, n, threads, &out, &err), VF_OK);
            int bad = 0;
            for (int64_t i = 0; i < n; i++) bad += memcmp((uint8_t *)out + (size_t)i * wd, s + (size_t)idx[i] * wd, wd) != 0;
            CHECK_INT(bad, 0);
            free(out);
            free(s);
        }
    /* one index out of range, late in the last task, then a negative one in the first */
    void *out = (void *)1;
    idx[n - 2] = nsrc;
    CHECK_INT(vf_gather(src, nsrc, 8, idx, n, 2, &out, &err), VF_EARG);
    CHECK(out == NULL);
    char want[96];
    snprintf(want, sizeof want, "index %lld at position %lld is out of range for %lld rows", (long long)nsrc,
             (long long)(n - 2), (long long)nsrc);
    CHECK_CONTAINS(err.msg, want);
    idx[5] = -1;
    CHECK_INT(vf_gather(src, nsrc, 8, idx, n, 3, &out, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "index -1 at position 5 ");
    /* nothing to gather; nothing to gather from; a width that is not 1, 2, 4 or 8 */
    CHECK_INT(vf_gather(src, nsrc, 8, idx, 0, 2, &out, &err), VF_OK);
    free(out);
    CHECK_INT(vf_gather(src, 0, 8, idx, 3, 1, &out, &err), VF_EARG);
    CHECK_INT(vf_gather(src, nsrc, 3, idx, 3, 1, &out, &err), VF_EARG);
    free(idx);
    free(src);
}

/* With a buffer pool: the hash tables, distinct pairs and output columns come from it and the
 * scratch goes back; the answers are those of a run without one, run after run. */
static void test_group_pool(void) {
    enum { N = 300000 };
    int64_t *key = malloc(N * sizeof *key), *val = malloc(N * sizeof *val);
    for (int64_t i = 0; i < N; i++) {
        key[i] = (i * 7919) % 250000; /* 250,000 groups: tables and pair buffers of several MiB */
        val[i] = i % 13;
    }
    vf_colview cols[2] = {mkcol("k", VF_T_INT64, key, NULL), mkcol("v", VF_T_INT64, val, NULL)};
    int keys[1] = {0};
    vf_aggspec aggs[2] = {{VF_AGG_SUM, 1, 0, 0}, {VF_AGG_COUNT_DISTINCT, 1, 0, 0}};
    int64_t *sum = calloc(250000, sizeof *sum), *dist = calloc(250000, sizeof *dist);
    vf_pool *pool = vf_pool_new((size_t)256 << 20);
    for (int run = 0; run < 3; run++) {
        vf_group_opts o = {.strategy = VF_GS_AUTO, .pool = run ? pool : NULL};
        vf_groups *g = NULL;
        vf_error err;
        CHECK_INT(vf_group_agg_ex(cols, 2, N, NULL, 0, keys, 1, aggs, 2, 2, &o, &g, &err), VF_OK);
        if (!g) break;
        CHECK_INT(g->ngroups, 250000);
        int bad = 0;
        for (int64_t j = 0; j < g->ngroups; j++) {
            int64_t k = ((int64_t *)g->keys[0].values)[j];
            int64_t su = ((int64_t *)g->aggs[0].values)[j], di = ((int64_t *)g->aggs[1].values)[j];
            if (k < 0 || k >= 250000) {
                bad++;
                continue;
            }
            if (run == 0) {
                sum[k] = su;
                dist[k] = di;
            } else {
                bad += sum[k] != su || dist[k] != di;
            }
        }
        CHECK_INT(bad, 0);
        if (run) { /* the output columns are pool blocks: give them back as the binding does */
            vf_pool_give(pool, g->keys[0].values, (size_t)g->ngroups, 8);
            vf_pool_give(pool, g->aggs[0].values, (size_t)g->ngroups, 8);
            vf_pool_give(pool, g->aggs[1].values, (size_t)g->ngroups, 8);
            g->keys[0].values = g->aggs[0].values = g->aggs[1].values = NULL;
        }
        vf_groups_free(g);
    }
    vf_pool_info i;
    vf_pool_stats(pool, &i);
    CHECK(i.hits > 0);        /* the third run reused the second's blocks */
    CHECK(i.blocks > 0 && i.kept <= i.keep);
    CHECK_INT(i.given, i.hits + i.misses); /* every block taken came back */
    int64_t total = 0;
    for (int k = 0; k < 250000; k++) total += sum[k];
    CHECK_INT(total, (int64_t)(N / 13) * 78 + (N % 13) * (N % 13 - 1) / 2);
    vf_pool_unref(pool);
    free(sum);
    free(dist);
    free(key);
    free(val);
}

int main(void) {
    test_compare();
    test_kleene();
    test_arith();
    test_nan();
    test_in_lut();
    test_coalesce_if();
    test_types();
    test_selection();
    test_bad_programs();
    test_random_programs();
    test_group_basic();
    test_group_edges();
    test_group_extremes();
    test_group_stats();
    test_group_distinct_arg();
    test_group_random();
    test_group_strategies();
    test_group_bad();
    test_group_pool();
    test_topk();
    test_gather();
    return check_summary();
}
