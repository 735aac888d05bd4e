/*
 * expr.c - expressions (exec.h): checking a postfix program, compiling it
 * into instructions, and running them a morsel at a time for vf_filter and
 * vf_eval.
 *
 * Compiling does three things the evaluator relies on:
 *   - kinds: every node's result kind is known, so each instruction knows
 *     which conversions its operands need (BOOL -> INT -> FLOAT);
 *   - fusion: `COL literal <cmp>` (either order) becomes one instruction
 *     that compares the column's native values (int32, uint8, float, ...)
 *     with the literal in one loop, and `COL LUT` one gather through a
 *     table indexed by code + 1: the shapes filters are made of;
 *   - truth: a BOOL result that is only ever used for its truth (a
 *     filter's root, an operand of AND/OR used that way, an IF condition)
 *     need not compute its validity, because BOOL vectors keep the
 *     invariant "value 0 where null": true means valid and true.
 * Vectors live in a per-thread pool of morsel-sized buffers; an instruction
 * writes its result into a fresh buffer, never over an operand, so the
 * loops are free of aliasing and vectorize.
 *
 * Semantics (as DuckDB where the contract does not say otherwise):
 * comparisons between INT and FLOAT convert the INT to double; NaN equals
 * NaN and sorts above every other value (+inf included); -0.0 equals 0.0.
 * FLOAT arithmetic is IEEE 754, as in DuckDB: x / 0 is +-inf, 0 / 0 NaN
 * (DIV of two INTs included: it is float division); INT IDIV and MOD by
 * zero give null (DuckDB's TRY), and INT arithmetic wraps.  IDIV and MOD
 * are Python's floor division and modulo (for FLOAT too, as Python's
 * float // and %, by zero as x / 0).
 */
#include "xint.h"

#include <stdio.h>

#define MAX_DEPTH 256
/* a pool buffer: 8 bytes of values per row, then a validity byte per row */
#define BUFSZ (9 * VF_MORSEL)

enum { XF_CMP = 64, XF_LUT }; /* fused instructions */

typedef struct xins {
    int op;               /* vf_xop or XF_* */
    int kind;             /* result kind */
    int ka, kb, kc;       /* operand kinds (bottom to top) */
    bool truth;           /* a BOOL result only used for its truth: no validity needed */
    const vf_xnode *nd;
    const vf_colview *col; /* COL, XF_CMP, XF_LUT */
    int cmp;              /* XF_CMP: VF_X_EQ..VF_X_GE, as col <cmp> literal */
    bool fcmp;            /* XF_CMP: compare as doubles */
    int64_t ki;           /* XF_CMP literal */
    double kf;
    uint8_t *lut;         /* XF_LUT: truth then validity, (dict_n + 1) bytes each, by code + 1 */
    bool lut_nulls;       /* XF_LUT: some code gives null */
    uint64_t *bits;       /* IN: bitmap of set - bmin when the set's range is small */
    uint64_t brange;
} xins;

typedef struct xprog {
    xins *ins;
    int nins, depth, kind;
} xprog;

/* ================================================================== */
/* Checking                                                            */
/* ================================================================== */
static const char *op_name(int op) {
    static const char *const names[] = {"?",   "COL",     "INT",   "FLOAT", "BOOL",   "NULL",        "ADD",
                                        "SUB", "MUL",     "DIV",   "IDIV",  "MOD",    "NEG",         "ABS",
                                        "EQ",  "NE",      "LT",    "LE",    "GT",     "GE",          "AND",
                                        "OR",  "NOT",     "IS_NULL", "IS_NOT_NULL", "IN", "LUT",     "BIN",
                                        "COALESCE", "IF"};
    return op >= 0 && op <= VF_X_IF ? names[op] : "unknown op";
}

static const char *kind_name(int k) {
    switch (k) {
    case VF_XK_BOOL: return "BOOL";
    case VF_XK_INT: return "INT";
    case VF_XK_FLOAT: return "FLOAT";
    case VF_XK_CODES: return "CODES";
    }
    return "?";
}

static vf_status node_fail(vf_error *err, int j, int op, const char *fmt, ...) VF_PRINTF(4, 5);
static vf_status node_fail(vf_error *err, int j, int op, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vf_fail(err, VF_EARG, "program node %d (%s): %s", j, op_name(op), msg);
}

static int arity(int op) {
    switch (op) {
    case VF_X_COL: case VF_X_INT: case VF_X_FLOAT: case VF_X_BOOL: case VF_X_NULL: return 0;
    case VF_X_NEG: case VF_X_ABS: case VF_X_NOT: case VF_X_IS_NULL: case VF_X_IS_NOT_NULL:
    case VF_X_IN: case VF_X_LUT: case VF_X_BIN: return 1;
    case VF_X_IF: return 3;
    default: return 2;
    }
}

static bool is_cmp(int op) { return op >= VF_X_EQ && op <= VF_X_GE; }
static bool is_num(int k) { return k == VF_XK_BOOL || k == VF_XK_INT || k == VF_XK_FLOAT; }
static int col_kind(vf_type t) {
    return vf_type_is_dict(t) ? VF_XK_CODES : vf_is_float_type(t) ? VF_XK_FLOAT : VF_XK_INT;
}
/* INT op INT stays INT (BOOL counts as INT); any FLOAT makes FLOAT */
static int arith_kind(int a, int b) { return a == VF_XK_FLOAT || b == VF_XK_FLOAT ? VF_XK_FLOAT : VF_XK_INT; }

/* one stack entry of the checker */
typedef struct kslot {
    int kind;
    bool null_lit; /* the NULL literal: takes the other branch's kind in COALESCE and IF */
    int col;       /* CODES: the column */
} kslot;

/* The kind of COALESCE(a, b) and of IF's branches, or 0 when they do not mix. */
static int merge_kind(kslot a, kslot b) {
    if (a.kind == VF_XK_CODES || b.kind == VF_XK_CODES) return 0;
    if (a.null_lit) return b.kind;
    if (b.null_lit) return a.kind;
    if (a.kind == VF_XK_BOOL && b.kind == VF_XK_BOOL) return VF_XK_BOOL;
    return arith_kind(a.kind, b.kind);
}

static vf_status check_leaf(const vf_colview *cols, int ncols, const vf_xnode *nd, int j, kslot *out, vf_error *err) {
    *out = (kslot){0, false, -1};
    switch (nd->op) {
    case VF_X_COL:
        if (nd->col < 0 || nd->col >= ncols)
            return node_fail(err, j, nd->op, "column %d does not exist (%d columns)", nd->col, ncols);
        out->kind = col_kind(cols[nd->col].type);
        out->col = nd->col;
        return VF_OK;
    case VF_X_INT: out->kind = VF_XK_INT; return VF_OK;
    case VF_X_FLOAT: out->kind = VF_XK_FLOAT; return VF_OK;
    case VF_X_BOOL: out->kind = VF_XK_BOOL; return VF_OK;
    case VF_X_NULL: *out = (kslot){VF_XK_INT, true, -1}; return VF_OK;
    }
    return node_fail(err, j, nd->op, "not a valid op");
}

static vf_status check_in_set(const vf_xnode *nd, int j, vf_error *err) {
    if (nd->nset < 0 || (nd->nset > 0 && !nd->set)) return node_fail(err, j, nd->op, "bad set (%lld values)", (long long)nd->nset);
    for (int64_t i = 1; i < nd->nset; i++)
        if (nd->set[i] <= nd->set[i - 1])
            return node_fail(err, j, nd->op, "the set must be sorted and distinct (value %lld follows %lld)",
                             (long long)nd->set[i], (long long)nd->set[i - 1]);
    return VF_OK;
}

static vf_status check_lut(const vf_colview *cols, const vf_xnode *nd, int j, kslot a, vf_error *err) {
    if (a.kind != VF_XK_CODES) return node_fail(err, j, nd->op, "needs a dictionary column, got %s", kind_name(a.kind));
    int32_t n = cols[a.col].dict_n;
    if (nd->nlut != n)
        return node_fail(err, j, nd->op, "table of %d entries for a dictionary of %d", (int)nd->nlut, (int)n);
    if (n > 0 && !nd->lut) return node_fail(err, j, nd->op, "no table");
    if (nd->lut_null > 2) return node_fail(err, j, nd->op, "null result %d is not 0, 1 or 2", nd->lut_null);
    for (int32_t c = 0; c < n; c++)
        if (nd->lut[c] > 2) return node_fail(err, j, nd->op, "entry %d is %d, not 0, 1 or 2", (int)c, nd->lut[c]);
    return VF_OK;
}

/* The result kind of node j from its operands a[0..arity) (bottom to top). */
static vf_status check_op(const vf_colview *cols, const vf_xnode *nd, int j, const kslot *a, kslot *out,
                          vf_error *err) {
    int op = nd->op, n = arity(op);
    *out = (kslot){VF_XK_BOOL, false, -1};
    for (int i = 0; i < n; i++) {
        bool ok = op == VF_X_IS_NULL || op == VF_X_IS_NOT_NULL || op == VF_X_LUT || is_num(a[i].kind);
        if ((op == VF_X_AND || op == VF_X_OR || op == VF_X_NOT || (op == VF_X_IF && i == 0)) && a[i].kind == VF_XK_FLOAT)
            ok = false;
        if (op == VF_X_BIN && a[i].kind == VF_XK_FLOAT) ok = false;
        if (!ok) return node_fail(err, j, op, "operand %d is %s", i + 1, kind_name(a[i].kind));
    }
    switch (op) {
    case VF_X_ADD: case VF_X_SUB: case VF_X_MUL: case VF_X_IDIV: case VF_X_MOD:
        out->kind = arith_kind(a[0].kind, a[1].kind);
        break;
    case VF_X_DIV: out->kind = VF_XK_FLOAT; break;
    case VF_X_NEG: case VF_X_ABS: out->kind = a[0].kind == VF_XK_FLOAT ? VF_XK_FLOAT : VF_XK_INT; break;
    case VF_X_IN: return check_in_set(nd, j, err);
    case VF_X_LUT: return check_lut(cols, nd, j, a[0], err);
    case VF_X_BIN:
        if (nd->i <= 0) return node_fail(err, j, op, "bin width %lld must be positive", (long long)nd->i);
        out->kind = VF_XK_INT;
        break;
    case VF_X_COALESCE:
    case VF_X_IF: {
        kslot t = a[op == VF_X_IF], e = a[op == VF_X_IF ? 2 : 1];
        out->kind = merge_kind(t, e);
        out->null_lit = t.null_lit && e.null_lit;
        if (!out->kind) return node_fail(err, j, op, "cannot mix %s and %s", kind_name(t.kind), kind_name(e.kind));
        break;
    }
    default: break; /* comparisons, logic, IS_NULL: BOOL */
    }
    return VF_OK;
}

/* Check the program; kinds[j] gets node j's result kind, opk[3j..3j+2]
 * its operands' kinds, *depth the deepest stack. */
static vf_status check_prog(const vf_colview *cols, int ncols, const vf_xnode *prog, int nprog, int *kinds, int *opk,
                            int *depth, vf_error *err) {
    if (nprog <= 0 || !prog) return vf_fail(err, VF_EARG, "empty program");
    kslot *stk = malloc(sizeof *stk * (size_t)nprog);
    if (!stk) return vf_fail(err, VF_ENOMEM, "out of memory");
    int sp = 0, maxd = 0;
    vf_status st = VF_OK;
    for (int j = 0; j < nprog && st == VF_OK; j++) {
        const vf_xnode *nd = &prog[j];
        int n = arity(nd->op);
        kslot r;
        if (n == 0) {
            st = check_leaf(cols, ncols, nd, j, &r, err);
        } else if (nd->op < VF_X_ADD || nd->op > VF_X_IF) {
            st = node_fail(err, j, nd->op, "not a valid op");
        } else if (sp < n) {
            st = node_fail(err, j, nd->op, "needs %d operands, the stack holds %d", n, sp);
        } else {
            st = check_op(cols, nd, j, stk + sp - n, &r, err);
            for (int i = 0; i < 3; i++) opk[3 * j + i] = i < n ? stk[sp - n + i].kind : 0;
            sp -= n;
        }
        if (st != VF_OK) break;
        kinds[j] = r.kind;
        stk[sp++] = r;
        if (sp > maxd) maxd = sp;
        if (maxd > MAX_DEPTH) st = node_fail(err, j, nd->op, "the stack is deeper than %d", MAX_DEPTH);
    }
    if (st == VF_OK && sp != 1) st = vf_fail(err, VF_EARG, "program leaves %d values on the stack, not 1", sp);
    free(stk);
    *depth = maxd;
    return st;
}

/* ================================================================== */
/* Compiling                                                           */
/* ================================================================== */
static void prog_free(xprog *p) {
    for (int i = 0; i < p->nins; i++) {
        free(p->ins[i].lut);
        free(p->ins[i].bits);
    }
    free(p->ins);
    memset(p, 0, sizeof *p);
}

/* `a <cmp> b` as `b <cmp'> a` */
static int flip_cmp(int op) {
    switch (op) {
    case VF_X_LT: return VF_X_GT;
    case VF_X_LE: return VF_X_GE;
    case VF_X_GT: return VF_X_LT;
    case VF_X_GE: return VF_X_LE;
    }
    return op;
}

static bool is_num_lit(const vf_xnode *nd) { return nd->op == VF_X_INT || nd->op == VF_X_FLOAT; }

/* Fuse nodes j, j+1, j+2 into XF_CMP when they are a value column and a
 * literal (either order) compared; true if done. */
static bool fuse_cmp(const vf_colview *cols, const vf_xnode *prog, int nprog, int j, xins *in) {
    if (j + 2 >= nprog || !is_cmp(prog[j + 2].op)) return false;
    const vf_xnode *c = &prog[j], *k = &prog[j + 1];
    int op = prog[j + 2].op;
    if (is_num_lit(c) && k->op == VF_X_COL) {
        const vf_xnode *t = c;
        c = k;
        k = t;
        op = flip_cmp(op);
    }
    if (c->op != VF_X_COL || !is_num_lit(k) || vf_type_is_dict(cols[c->col].type)) return false;
    in->op = XF_CMP;
    in->col = &cols[c->col];
    in->cmp = op;
    in->fcmp = vf_is_float_type(in->col->type) || k->op == VF_X_FLOAT;
    in->ki = k->i;
    in->kf = k->op == VF_X_FLOAT ? k->f : (double)k->i;
    return true;
}

static vf_status build_lut(const vf_colview *col, const vf_xnode *nd, xins *in) {
    int32_t n = col->dict_n;
    in->lut = malloc(2 * ((size_t)n + 1));
    if (!in->lut) return VF_ENOMEM;
    uint8_t *tv = in->lut, *tn = in->lut + n + 1;
    tv[0] = nd->lut_null == 1;
    tn[0] = nd->lut_null != 2;
    for (int32_t c = 0; c < n; c++) {
        tv[c + 1] = nd->lut[c] == 1;
        tn[c + 1] = nd->lut[c] != 2;
    }
    in->lut_nulls = memchr(tn, 0, (size_t)n + 1) != NULL;
    return VF_OK;
}

/* sets whose values span at most this many get a bitmap (8 KiB) */
#define IN_BITMAP_RANGE 65536

static vf_status build_in(const vf_xnode *nd, xins *in) {
    if (nd->nset == 0) return VF_OK;
    uint64_t span = (uint64_t)nd->set[nd->nset - 1] - (uint64_t)nd->set[0];
    if (nd->nset <= 4 || span >= IN_BITMAP_RANGE) return VF_OK;
    in->brange = span + 1;
    in->bits = calloc((in->brange + 63) / 64, 8);
    if (!in->bits) return VF_ENOMEM;
    for (int64_t i = 0; i < nd->nset; i++) {
        uint64_t d = (uint64_t)nd->set[i] - (uint64_t)nd->set[0];
        in->bits[d >> 6] |= 1ULL << (d & 63);
    }
    return VF_OK;
}

/* Mark the BOOL results used only for their truth (see the file comment). */
static vf_status mark_truth(xprog *p, bool filter) {
    int *cons = malloc(sizeof(int) * 2 * (size_t)p->nins), *stk = malloc(sizeof(int) * (size_t)p->nins);
    if (!cons || !stk) {
        free(cons);
        free(stk);
        return VF_ENOMEM;
    }
    int *pos = cons + p->nins, sp = 0;
    for (int i = 0; i < p->nins; i++) {
        int op = p->ins[i].op, n = op >= XF_CMP ? 0 : arity(op);
        for (int k = 0; k < n; k++) {
            cons[stk[sp - n + k]] = i;
            pos[stk[sp - n + k]] = k;
        }
        sp -= n;
        stk[sp++] = i;
    }
    for (int i = p->nins - 1; i >= 0; i--) {
        xins *in = &p->ins[i];
        if (in->kind != VF_XK_BOOL) continue;
        if (i == p->nins - 1) {
            in->truth = filter;
            continue;
        }
        const xins *c = &p->ins[cons[i]];
        if (c->op == VF_X_AND || c->op == VF_X_OR) in->truth = c->truth;
        else if (c->op == VF_X_IF) in->truth = pos[i] == 0 || c->truth;
    }
    free(cons);
    free(stk);
    return VF_OK;
}

static vf_status compile(const vf_colview *cols, int ncols, const vf_xnode *prog, int nprog, bool filter, xprog *p,
                         vf_error *err) {
    memset(p, 0, sizeof *p);
    if (ncols < 0 || (ncols > 0 && !cols)) return vf_fail(err, VF_EARG, "bad column list");
    int *kinds = malloc(sizeof(int) * 4 * (size_t)(nprog > 0 ? nprog : 1));
    if (!kinds) return vf_fail(err, VF_ENOMEM, "out of memory");
    int *opk = kinds + (nprog > 0 ? nprog : 1);
    vf_status st = check_prog(cols, ncols, prog, nprog, kinds, opk, &p->depth, err);
    if (st != VF_OK) {
        free(kinds);
        return st;
    }
    p->kind = kinds[nprog - 1];
    p->ins = calloc((size_t)nprog, sizeof *p->ins);
    if (!p->ins) st = VF_ENOMEM;
    for (int j = 0; j < nprog && st == VF_OK; j++) {
        xins *in = &p->ins[p->nins++];
        const vf_xnode *nd = &prog[j];
        in->nd = nd;
        if (fuse_cmp(cols, prog, nprog, j, in)) {
            in->kind = VF_XK_BOOL;
            j += 2;
            continue;
        }
        if (nd->op == VF_X_COL && j + 1 < nprog && prog[j + 1].op == VF_X_LUT) {
            in->op = XF_LUT;
            in->kind = VF_XK_BOOL;
            in->col = &cols[nd->col];
            st = build_lut(in->col, &prog[j + 1], in);
            j++;
            continue;
        }
        in->op = nd->op;
        in->kind = kinds[j];
        in->ka = opk[3 * j];
        in->kb = opk[3 * j + 1];
        in->kc = opk[3 * j + 2];
        if (nd->op == VF_X_COL) in->col = &cols[nd->col];
        if (nd->op == VF_X_IN) st = build_in(nd, in);
    }
    free(kinds);
    if (st == VF_OK) st = mark_truth(p, filter);
    if (st != VF_OK) {
        prog_free(p);
        return st == VF_ENOMEM ? vf_fail(err, st, "out of memory") : st;
    }
    return VF_OK;
}

vf_status vf_expr_check(const vf_colview *cols, int ncols, const vf_xnode *prog, int nprog, int *kind, vf_error *err) {
    xprog p;
    vf_status st = compile(cols, ncols, prog, nprog, false, &p, err);
    if (st == VF_OK && kind) *kind = p.kind;
    prog_free(&p);
    return st;
}

/* ================================================================== */
/* Running: vectors in a pool of buffers                               */
/* ================================================================== */
typedef struct xvec {
    int kind;
    const void *v;          /* uint8 (BOOL), int64 (INT), double (FLOAT), int32 (CODES) */
    const uint8_t *valid;   /* NULL: no nulls */
    int buf;                /* the pool buffer it owns, or -1 */
} xvec;

typedef struct xrun {
    const xprog *p;
    uint8_t *mem;
    int nbuf, nfree;
    int *freeb;
    xvec *stk;
    int sp;
    const int64_t *sel;     /* the morsel: rows base .. base + n of the selection */
    int64_t base;
    int n;
} xrun;

static void *bvals(xrun *r, int b) { return r->mem + (size_t)b * BUFSZ; }
static uint8_t *bvalid(xrun *r, int b) { return r->mem + (size_t)b * BUFSZ + 8 * VF_MORSEL; }
static int bget(xrun *r) { return r->freeb[--r->nfree]; }
static void bput(xrun *r, int b) {
    if (b >= 0) r->freeb[r->nfree++] = b;
}
/* Does p point into the pool (rather than into a column)? */
static bool in_pool(const xrun *r, const void *p) {
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r->mem;
    return a >= lo && a < lo + (uintptr_t)r->nbuf * BUFSZ;
}

static vf_status xrun_init(xrun *r, const xprog *p) {
    memset(r, 0, sizeof *r);
    r->p = p;
    r->nbuf = p->depth + 4;
    r->mem = malloc((size_t)r->nbuf * BUFSZ);
    r->freeb = malloc(sizeof(int) * (size_t)r->nbuf);
    r->stk = malloc(sizeof(xvec) * (size_t)(p->depth + 1));
    return r->mem && r->freeb && r->stk ? VF_OK : VF_ENOMEM;
}

static void xrun_free(xrun *r) {
    free(r->mem);
    free(r->freeb);
    free(r->stk);
}

/* A validity for the result in buffer ob: x's own (shared when it lives in
 * a column, copied when it lives in a pool buffer about to be released). */
static const uint8_t *keep_valid(xrun *r, int ob, const uint8_t *v) {
    if (!v || !in_pool(r, v)) return v;
    memcpy(bvalid(r, ob), v, (size_t)r->n);
    return bvalid(r, ob);
}

/* valid(a) & valid(b) for the result in buffer ob */
static const uint8_t *and_valid(xrun *r, int ob, const uint8_t *a, const uint8_t *b) {
    if (!a || !b) return keep_valid(r, ob, a ? a : b);
    uint8_t *restrict o = bvalid(r, ob);
    for (int i = 0; i < r->n; i++) o[i] = a[i] & b[i];
    return o;
}

/* Convert x to kind k (BOOL -> INT -> FLOAT; INT -> BOOL as != 0). */
static void to_kind(xrun *r, xvec *x, int k) {
    if (x->kind == k) return;
    int b = bget(r), n = r->n;
    void *out = bvals(r, b);
    if (x->kind == VF_XK_BOOL) {
        const uint8_t *restrict s = x->v;
        if (k == VF_XK_INT) {
            int64_t *restrict o = out;
            for (int i = 0; i < n; i++) o[i] = s[i];
        } else {
            double *restrict o = out;
            for (int i = 0; i < n; i++) o[i] = s[i];
        }
    } else if (x->kind == VF_XK_INT && k == VF_XK_FLOAT) {
        const int64_t *restrict s = x->v;
        double *restrict o = out;
        for (int i = 0; i < n; i++) o[i] = (double)s[i];
    } else { /* INT -> BOOL, zero where null */
        const int64_t *restrict s = x->v;
        uint8_t *restrict o = out;
        for (int i = 0; i < n; i++) o[i] = s[i] != 0;
        if (x->valid)
            for (int i = 0; i < n; i++) o[i] &= x->valid[i];
    }
    x->valid = keep_valid(r, b, x->valid);
    bput(r, x->buf);
    x->buf = b;
    x->v = out;
    x->kind = k;
}

static xvec *push(xrun *r) { return &r->stk[r->sp++]; }

/* Pop n operands into a[0..n) (bottom to top), converted to kinds k[0..n) (0: as they are). */
static void pop_as(xrun *r, xvec *a, int n, const int *k) {
    r->sp -= n;
    for (int i = 0; i < n; i++) {
        a[i] = r->stk[r->sp + i];
        if (k[i]) to_kind(r, &a[i], k[i]);
    }
}

/* Release the operands; the result (in buffer ob) is pushed. */
static void finish(xrun *r, xvec *a, int n, int kind, int ob, const void *v, const uint8_t *valid) {
    for (int i = 0; i < n; i++) bput(r, a[i].buf);
    *push(r) = (xvec){kind, v, valid, ob};
}

/* ================================================================== */
/* Kernels                                                             */
/* ================================================================== */
/* NaN = NaN, NaN above everything else (DuckDB) */
static inline bool deq(double x, double y) { return x == y || (x != x && y != y); }
static inline bool dlt(double x, double y) { return x < y || (x == x && y != y); }
#define IEQ(x, y) ((x) == (y))
#define ILT(x, y) ((x) < (y))

/* o[i] = X <cmp> Y over the morsel, for element expressions X and Y of i */
#define CMP_LOOPS(X, Y, EQ, LT)                                               \
    switch (cmp) {                                                            \
    case VF_X_EQ: for (int i = 0; i < n; i++) o[i] = EQ(X, Y); break;         \
    case VF_X_NE: for (int i = 0; i < n; i++) o[i] = !EQ(X, Y); break;        \
    case VF_X_LT: for (int i = 0; i < n; i++) o[i] = LT(X, Y); break;         \
    case VF_X_LE: for (int i = 0; i < n; i++) o[i] = !LT(Y, X); break;        \
    case VF_X_GT: for (int i = 0; i < n; i++) o[i] = LT(Y, X); break;         \
    default: for (int i = 0; i < n; i++) o[i] = !LT(X, Y); break;             \
    }

/* the fused column-literal comparison on one native type */
#define CMP_NATIVE(NAME, T)                                                                                   \
    static void NAME(const void *pv, int n, int cmp, bool fl, int64_t ki, double kf, uint8_t *restrict o) { \
        const T *restrict p = pv;                                                                           \
        if (fl) {                                                                                           \
            CMP_LOOPS((double)p[i], kf, deq, dlt)                                                           \
        } else {                                                                                            \
            CMP_LOOPS((int64_t)p[i], ki, IEQ, ILT)                                                          \
        }                                                                                                   \
    }
CMP_NATIVE(cmp_i8, int8_t)
CMP_NATIVE(cmp_i16, int16_t)
CMP_NATIVE(cmp_i32, int32_t)
CMP_NATIVE(cmp_i64, int64_t)
CMP_NATIVE(cmp_u8, uint8_t)
CMP_NATIVE(cmp_u16, uint16_t)
CMP_NATIVE(cmp_u32, uint32_t)
CMP_NATIVE(cmp_u64, uint64_t)
CMP_NATIVE(cmp_f32, float)
CMP_NATIVE(cmp_f64, double)

typedef void (*cmp_fn)(const void *, int, int, bool, int64_t, double, uint8_t *restrict);

static cmp_fn cmp_native(vf_type t) {
    switch (t) {
    case VF_T_INT8: return cmp_i8;
    case VF_T_INT16: return cmp_i16;
    case VF_T_INT32: return cmp_i32;
    case VF_T_UINT8: case VF_T_BOOL: return cmp_u8;
    case VF_T_UINT16: return cmp_u16;
    case VF_T_UINT32: return cmp_u32;
    case VF_T_UINT64: return cmp_u64;
    case VF_T_FLOAT32: return cmp_f32;
    case VF_T_FLOAT64: return cmp_f64;
    default: return cmp_i64;
    }
}

static void run_fused_cmp(xrun *r, const xins *in) {
    int b = bget(r), n = r->n;
    const void *x = vf_load_native(in->col, r->sel, r->base, n, bvals(r, b));
    /* the result goes to a second buffer: x may be in b */
    int ob = bget(r);
    uint8_t *restrict o = bvals(r, ob);
    cmp_native(in->col->type)(x, n, in->cmp, in->fcmp, in->ki, in->kf, o);
    const uint8_t *valid = vf_load_valid(in->col, r->sel, r->base, n, bvalid(r, ob));
    if (valid)
        for (int i = 0; i < n; i++) o[i] &= valid[i];
    bput(r, b);
    *push(r) = (xvec){VF_XK_BOOL, o, in->truth ? NULL : valid, ob};
}

static void run_fused_lut(xrun *r, const xins *in) {
    int b = bget(r), ob = bget(r), n = r->n;
    const int32_t *c = vf_load_codes(in->col, r->sel, r->base, n, bvals(r, b));
    const uint8_t *tv = in->lut + 1, *tn = in->lut + in->col->dict_n + 2; /* indexed by code, -1 included */
    uint8_t *restrict o = bvals(r, ob);
    for (int i = 0; i < n; i++) o[i] = tv[c[i]];
    uint8_t *valid = NULL;
    if (!in->truth && in->lut_nulls) {
        valid = bvalid(r, ob);
        for (int i = 0; i < n; i++) valid[i] = tn[c[i]];
    }
    bput(r, b);
    *push(r) = (xvec){VF_XK_BOOL, o, valid, ob};
}

static void run_col(xrun *r, const xins *in) {
    int b = bget(r), n = r->n;
    const void *v;
    switch (in->kind) {
    case VF_XK_INT: v = vf_load_i64(in->col, r->sel, r->base, n, bvals(r, b)); break;
    case VF_XK_FLOAT: v = vf_load_f64(in->col, r->sel, r->base, n, bvals(r, b)); break;
    default: v = vf_load_codes(in->col, r->sel, r->base, n, bvals(r, b)); break;
    }
    const uint8_t *valid = in->kind == VF_XK_CODES ? NULL : vf_load_valid(in->col, r->sel, r->base, n, bvalid(r, b));
    *push(r) = (xvec){in->kind, v, valid, b};
}

static void run_literal(xrun *r, const xins *in) {
    int b = bget(r), n = r->n;
    void *o = bvals(r, b);
    const uint8_t *valid = NULL;
    int kind = in->kind;
    switch (in->op) {
    case VF_X_INT: for (int i = 0; i < n; i++) ((int64_t *)o)[i] = in->nd->i; break;
    case VF_X_FLOAT: for (int i = 0; i < n; i++) ((double *)o)[i] = in->nd->f; break;
    case VF_X_BOOL: memset(o, in->nd->i != 0, (size_t)n); break;
    default: /* NULL */
        memset(o, 0, (size_t)n * 8);
        memset(bvalid(r, b), 0, (size_t)n);
        valid = bvalid(r, b);
    }
    *push(r) = (xvec){kind, o, valid, b};
}

/* ---- arithmetic ---- */
static inline int64_t wrap_add(int64_t x, int64_t y) { return (int64_t)((uint64_t)x + (uint64_t)y); }
static inline int64_t wrap_sub(int64_t x, int64_t y) { return (int64_t)((uint64_t)x - (uint64_t)y); }
static inline int64_t wrap_mul(int64_t x, int64_t y) { return (int64_t)((uint64_t)x * (uint64_t)y); }

/* floor division and Python modulo; y != 0; INT64_MIN // -1 wraps */
static inline int64_t floor_div(int64_t x, int64_t y) {
    if (y == -1) return (int64_t)(0 - (uint64_t)x);
    int64_t q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}
static inline int64_t floor_mod(int64_t x, int64_t y) {
    if (y == -1) return 0;
    int64_t m = x % y;
    return (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
}

/* Python's float divmod: the floor quotient and the modulo with the divisor's sign; y != 0 */
static inline void py_divmod(double x, double y, double *q, double *m) {
    double mod = fmod(x, y), div = (x - mod) / y;
    if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
            mod += y;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, y);
    }
    double fd;
    if (div != 0) {
        fd = floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = copysign(0.0, x / y);
    }
    *q = fd;
    *m = mod;
}

#define BIN_LOOP(T, EXPR)                                           \
    do {                                                            \
        const T *restrict a_ = a[0].v, *restrict b_ = a[1].v;       \
        T *restrict o_ = o;                                         \
        for (int i = 0; i < n; i++) {                               \
            T x = a_[i], y = b_[i];                                 \
            o_[i] = (EXPR);                                         \
        }                                                           \
    } while (0)

/* INT division by zero: the result is null (value 0) */
static const uint8_t *div_valid(xrun *r, int ob, const xvec *a) {
    uint8_t *restrict v = bvalid(r, ob);
    int n = r->n;
    const int64_t *d = a[1].v;
    for (int i = 0; i < n; i++) v[i] = d[i] != 0;
    for (int k = 0; k < 2; k++)
        if (a[k].valid)
            for (int i = 0; i < n; i++) v[i] &= a[k].valid[i];
    return v;
}

static void run_arith(xrun *r, const xins *in) {
    int k = in->kind, ks[2] = {k, k}, n = r->n, op = in->op;
    xvec a[2];
    pop_as(r, a, 2, ks);
    int ob = bget(r);
    void *o = bvals(r, ob);
    const uint8_t *valid;
    bool fl = k == VF_XK_FLOAT;
    if (!fl && (op == VF_X_IDIV || op == VF_X_MOD)) {
        valid = div_valid(r, ob, a);
        if (op == VF_X_IDIV) BIN_LOOP(int64_t, y != 0 ? floor_div(x, y) : 0);
        else BIN_LOOP(int64_t, y != 0 ? floor_mod(x, y) : 0);
    } else {
        valid = and_valid(r, ob, a[0].valid, a[1].valid);
        if (fl) {
            switch (op) {
            case VF_X_ADD: BIN_LOOP(double, x + y); break;
            case VF_X_SUB: BIN_LOOP(double, x - y); break;
            case VF_X_MUL: BIN_LOOP(double, x * y); break;
            case VF_X_DIV: BIN_LOOP(double, x / y); break;
            case VF_X_IDIV: BIN_LOOP(double, y != 0 ? (py_divmod(x, y, &x, &y), x) : x / y); break;
            default: BIN_LOOP(double, y != 0 ? (py_divmod(x, y, &x, &y), y) : NAN); break;
            }
        } else {
            switch (op) {
            case VF_X_ADD: BIN_LOOP(int64_t, wrap_add(x, y)); break;
            case VF_X_SUB: BIN_LOOP(int64_t, wrap_sub(x, y)); break;
            default: BIN_LOOP(int64_t, wrap_mul(x, y)); break;
            }
        }
    }
    finish(r, a, 2, k, ob, o, valid);
}

static void run_unary(xrun *r, const xins *in) {
    int k = in->kind, n = r->n;
    xvec a;
    pop_as(r, &a, 1, &k);
    int ob = bget(r);
    void *o = bvals(r, ob);
    if (k == VF_XK_FLOAT) {
        const double *restrict x = a.v;
        double *restrict y = o;
        if (in->op == VF_X_NEG)
            for (int i = 0; i < n; i++) y[i] = -x[i];
        else
            for (int i = 0; i < n; i++) y[i] = fabs(x[i]);
    } else if (in->op == VF_X_NEG) {
        const int64_t *restrict x = a.v;
        int64_t *restrict y = o;
        for (int i = 0; i < n; i++) y[i] = wrap_sub(0, x[i]);
    } else if (in->op == VF_X_ABS) {
        const int64_t *restrict x = a.v;
        int64_t *restrict y = o;
        for (int i = 0; i < n; i++) y[i] = x[i] < 0 ? wrap_sub(0, x[i]) : x[i];
    } else { /* BIN: origin + floor((a - origin) / width) * width, wrapping */
        const int64_t *restrict x = a.v;
        int64_t *restrict y = o, w = in->nd->i, org = in->nd->origin;
        for (int i = 0; i < n; i++) y[i] = wrap_add(org, wrap_mul(floor_div(wrap_sub(x[i], org), w), w));
    }
    finish(r, &a, 1, k, ob, o, keep_valid(r, ob, a.valid));
}

/* ---- comparisons and logic (BOOL results are 0 where null) ---- */
static void run_cmp(xrun *r, const xins *in) {
    int k = in->ka == VF_XK_FLOAT || in->kb == VF_XK_FLOAT ? VF_XK_FLOAT : VF_XK_INT, ks[2] = {k, k};
    int n = r->n, cmp = in->op;
    xvec a[2];
    pop_as(r, a, 2, ks);
    int ob = bget(r);
    uint8_t *restrict o = bvals(r, ob);
    if (k == VF_XK_FLOAT) {
        const double *restrict x = a[0].v, *restrict y = a[1].v;
        CMP_LOOPS(x[i], y[i], deq, dlt)
    } else {
        const int64_t *restrict x = a[0].v, *restrict y = a[1].v;
        CMP_LOOPS(x[i], y[i], IEQ, ILT)
    }
    const uint8_t *valid = and_valid(r, ob, a[0].valid, a[1].valid);
    if (valid)
        for (int i = 0; i < n; i++) o[i] &= valid[i];
    finish(r, a, 2, VF_XK_BOOL, ob, o, in->truth ? NULL : valid);
}

static void run_logic(xrun *r, const xins *in) {
    int ks[2] = {VF_XK_BOOL, VF_XK_BOOL}, n = r->n, na = in->op == VF_X_NOT ? 1 : 2;
    xvec a[2];
    pop_as(r, a, na, ks);
    int ob = bget(r);
    uint8_t *restrict o = bvals(r, ob);
    const uint8_t *restrict x = a[0].v, *restrict y = na == 2 ? a[1].v : NULL;
    const uint8_t *xv = a[0].valid, *yv = na == 2 ? a[1].valid : NULL;
    uint8_t *valid = NULL;
    if (in->op == VF_X_NOT) {
        for (int i = 0; i < n; i++) o[i] = !x[i];
        if (xv) {
            valid = bvalid(r, ob);
            for (int i = 0; i < n; i++) {
                o[i] &= xv[i];
                valid[i] = xv[i];
            }
        }
    } else if (in->op == VF_X_AND) {
        for (int i = 0; i < n; i++) o[i] = x[i] & y[i];
        /* known when both are, or when either is false */
        if (!in->truth && (xv || yv)) {
            valid = bvalid(r, ob);
            for (int i = 0; i < n; i++) {
                uint8_t vx = xv ? xv[i] : 1, vy = yv ? yv[i] : 1;
                valid[i] = (vx & vy) | (vx & !x[i]) | (vy & !y[i]);
            }
        }
    } else {
        for (int i = 0; i < n; i++) o[i] = x[i] | y[i];
        /* known when both are, or when either is true */
        if (!in->truth && (xv || yv)) {
            valid = bvalid(r, ob);
            for (int i = 0; i < n; i++) valid[i] = ((xv ? xv[i] : 1) & (yv ? yv[i] : 1)) | x[i] | y[i];
        }
    }
    finish(r, a, na, VF_XK_BOOL, ob, o, valid);
}

static void run_is_null(xrun *r, const xins *in) {
    int k0 = 0, n = r->n;
    xvec a;
    pop_as(r, &a, 1, &k0);
    int ob = bget(r);
    uint8_t *restrict o = bvals(r, ob);
    uint8_t want = in->op == VF_X_IS_NULL;
    if (a.kind == VF_XK_CODES) {
        const int32_t *c = a.v;
        for (int i = 0; i < n; i++) o[i] = (c[i] < 0) == want;
    } else if (a.valid) {
        for (int i = 0; i < n; i++) o[i] = (a.valid[i] == 0) == want;
    } else {
        memset(o, !want, (size_t)n);
    }
    finish(r, &a, 1, VF_XK_BOOL, ob, o, NULL);
}

static bool in_set(const xins *in, int64_t x) {
    const vf_xnode *nd = in->nd;
    if (in->bits) {
        uint64_t d = (uint64_t)x - (uint64_t)nd->set[0];
        return d < in->brange && (in->bits[d >> 6] >> (d & 63) & 1);
    }
    int64_t lo = 0, hi = nd->nset;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (nd->set[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < nd->nset && nd->set[lo] == x;
}

static void run_in(xrun *r, const xins *in) {
    int k = in->ka == VF_XK_FLOAT ? VF_XK_FLOAT : VF_XK_INT, n = r->n;
    xvec a;
    pop_as(r, &a, 1, &k);
    int ob = bget(r);
    uint8_t *restrict o = bvals(r, ob);
    if (in->nd->nset == 0) {
        memset(o, 0, (size_t)n);
    } else if (k == VF_XK_FLOAT) {
        /* a double is in the set when it is an integer equal to one of its values */
        const double *x = a.v;
        for (int i = 0; i < n; i++)
            o[i] = x[i] >= -0x1p63 && x[i] < 0x1p63 && x[i] == (double)(int64_t)x[i] && in_set(in, (int64_t)x[i]);
    } else {
        const int64_t *x = a.v;
        for (int i = 0; i < n; i++) o[i] = in_set(in, x[i]);
    }
    const uint8_t *valid = keep_valid(r, ob, a.valid);
    if (valid)
        for (int i = 0; i < n; i++) o[i] &= valid[i];
    finish(r, &a, 1, VF_XK_BOOL, ob, o, in->truth ? NULL : valid);
}

/* COALESCE(a, b) and IF(c, t, e): one loop picks, per row, from t (or a) or e (or b) */
#define PICK_LOOP(T, COND)                                                  \
    do {                                                                    \
        const T *restrict t_ = t->v, *restrict e_ = e->v;                   \
        T *restrict o_ = o;                                                 \
        for (int i = 0; i < n; i++) o_[i] = (COND) ? t_[i] : e_[i];         \
    } while (0)

static void pick(int kind, const uint8_t *cond, const xvec *t, const xvec *e, void *o, int n) {
    if (kind == VF_XK_FLOAT) PICK_LOOP(double, cond[i]);
    else if (kind == VF_XK_INT) PICK_LOOP(int64_t, cond[i]);
    else PICK_LOOP(uint8_t, cond[i]);
}

static void run_coalesce(xrun *r, const xins *in) {
    int ks[2] = {in->kind, in->kind}, n = r->n;
    xvec a[2];
    pop_as(r, a, 2, ks);
    if (!a[0].valid) { /* nothing to fill in */
        bput(r, a[1].buf);
        *push(r) = a[0];
        return;
    }
    int ob = bget(r);
    void *o = bvals(r, ob);
    pick(in->kind, a[0].valid, &a[0], &a[1], o, n);
    uint8_t *valid = NULL;
    if (a[1].valid) {
        valid = bvalid(r, ob);
        for (int i = 0; i < n; i++) valid[i] = a[0].valid[i] | a[1].valid[i];
    }
    finish(r, a, 2, in->kind, ob, o, in->truth ? NULL : valid);
}

static void run_if(xrun *r, const xins *in) {
    int ks[3] = {VF_XK_BOOL, in->kind, in->kind}, n = r->n;
    xvec a[3];
    pop_as(r, a, 3, ks);
    int ob = bget(r);
    void *o = bvals(r, ob);
    const uint8_t *c = a[0].v; /* 0 where null: null picks the else branch */
    pick(in->kind, c, &a[1], &a[2], o, n);
    uint8_t *valid = NULL;
    if (!in->truth && (a[1].valid || a[2].valid)) {
        valid = bvalid(r, ob);
        const uint8_t *tv = a[1].valid, *ev = a[2].valid;
        for (int i = 0; i < n; i++) valid[i] = c[i] ? (tv ? tv[i] : 1) : (ev ? ev[i] : 1);
    }
    finish(r, a, 3, in->kind, ob, o, valid);
}

static void run_ins(xrun *r, const xins *in) {
    switch (in->op) {
    case XF_CMP: run_fused_cmp(r, in); break;
    case XF_LUT: run_fused_lut(r, in); break;
    case VF_X_COL: run_col(r, in); break;
    case VF_X_INT: case VF_X_FLOAT: case VF_X_BOOL: case VF_X_NULL: run_literal(r, in); break;
    case VF_X_ADD: case VF_X_SUB: case VF_X_MUL: case VF_X_DIV: case VF_X_IDIV: case VF_X_MOD: run_arith(r, in); break;
    case VF_X_NEG: case VF_X_ABS: case VF_X_BIN: run_unary(r, in); break;
    case VF_X_AND: case VF_X_OR: case VF_X_NOT: run_logic(r, in); break;
    case VF_X_IS_NULL: case VF_X_IS_NOT_NULL: run_is_null(r, in); break;
    case VF_X_IN: run_in(r, in); break;
    case VF_X_COALESCE: run_coalesce(r, in); break;
    case VF_X_IF: run_if(r, in); break;
    default: run_cmp(r, in); break;
    }
}

/* Evaluate the program on rows [base, base + n) of the selection; the
 * result is the single vector left on the stack. */
static const xvec *run_morsel(xrun *r, const int64_t *sel, int64_t base, int n) {
    r->sel = sel;
    r->base = base;
    r->n = n;
    r->sp = 0;
    r->nfree = r->nbuf;
    for (int b = 0; b < r->nbuf; b++) r->freeb[b] = r->nbuf - 1 - b;
    for (int i = 0; i < r->p->nins; i++) run_ins(r, &r->p->ins[i]);
    return &r->stk[0];
}

/* ================================================================== */
/* vf_filter and vf_eval                                               */
/* ================================================================== */
typedef struct xjob {
    xprog prog;
    const int64_t *sel;
    int64_t n;          /* rows of the selection */
    int workers;
    xrun run[VF_MAX_THREADS];
    /* vf_filter: a byte per row of the selection (1: kept); each task's count of kept rows,
     * then (from the prefix sum) where its indices start in out */
    uint8_t *mask;
    int64_t *task_cnt;
    int64_t *out;
    /* vf_eval */
    void *values;
    uint8_t *valid;
    int64_t nulls[VF_MAX_THREADS];
} xjob;

static vf_status job_start(xjob *j, const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *prog, int nprog,
                           const int64_t *sel, int64_t nsel, int threads, bool filter, vf_error *err) {
    memset(j, 0, sizeof *j);
    vf_error_clear(err);
    vf_status st = vf_check_cols(cols, ncols, nrows, err);
    if (st == VF_OK) st = vf_check_sel(sel, nsel, nrows, err);
    if (st == VF_OK) st = compile(cols, ncols, prog, nprog, filter, &j->prog, err);
    if (st != VF_OK) return st;
    j->sel = sel;
    j->n = sel ? nsel : nrows;
    j->workers = vf_workers(threads, vf_ceil_div(j->n, VF_TASK));
    for (int w = 0; w < j->workers; w++)
        if (xrun_init(&j->run[w], &j->prog) != VF_OK) return vf_fail(err, VF_ENOMEM, "out of memory");
    return VF_OK;
}

static void job_end(xjob *j) {
    for (int w = 0; w < j->workers; w++) xrun_free(&j->run[w]);
    free(j->mask);
    free(j->task_cnt);
    prog_free(&j->prog);
}

/* A filter in two passes, so the selection is written once, straight into
 * its final array: each task evaluates its rows into the mask and counts
 * the kept ones; then, at the offsets the counts give, it writes their
 * indices. */
static void mask_task(void *ctx, size_t t, int w) {
    xjob *j = ctx;
    int64_t lo = (int64_t)t * VF_TASK, hi = lo + VF_TASK < j->n ? lo + VF_TASK : j->n, k = 0;
    for (int64_t base = lo; base < hi; base += VF_MORSEL) {
        int n = (int)(hi - base < VF_MORSEL ? hi - base : VF_MORSEL);
        xvec *x = (xvec *)run_morsel(&j->run[w], j->sel, base, n);
        to_kind(&j->run[w], x, VF_XK_BOOL); /* an INT program: non-zero is true */
        const uint8_t *m = x->v;
        uint8_t *dst = j->mask + base;
        for (int i = 0; i < n; i++) {
            dst[i] = m[i];
            k += m[i];
        }
    }
    j->task_cnt[t] = k;
}

static void select_task(void *ctx, size_t t, int w) {
    (void)w;
    xjob *j = ctx;
    int64_t lo = (int64_t)t * VF_TASK, hi = lo + VF_TASK < j->n ? lo + VF_TASK : j->n;
    int64_t *out = j->out + j->task_cnt[t], k = 0;
    const uint8_t *m = j->mask;
    /* branch-free: write every row, advance past the kept ones; up to the last
     * kept row only, so no write lands past this task's part of out (the next
     * task may be writing there) */
    int64_t end = hi;
    while (end > lo && !m[end - 1]) end--;
    if (j->sel) {
        for (int64_t i = lo; i < end; i++) {
            out[k] = j->sel[i];
            k += m[i];
        }
    } else {
        for (int64_t i = lo; i < end; i++) {
            out[k] = i;
            k += m[i];
        }
    }
}

vf_status vf_filter(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *prog, int nprog,
                    const int64_t *sel, int64_t nsel, int threads, int64_t **out, int64_t *nout, vf_error *err) {
    *out = NULL;
    *nout = 0;
    xjob *j = malloc(sizeof *j);
    if (!j) return vf_fail(err, VF_ENOMEM, "out of memory");
    vf_status st = job_start(j, cols, ncols, nrows, prog, nprog, sel, nsel, threads, true, err);
    if (st == VF_OK && j->prog.kind != VF_XK_BOOL && j->prog.kind != VF_XK_INT)
        st = vf_fail(err, VF_EARG, "a filter needs a BOOL or INT program, this one gives %s", kind_name(j->prog.kind));
    size_t ntasks = (size_t)vf_ceil_div(j->n, VF_TASK);
    if (st == VF_OK) {
        j->mask = vf_malloc_rows((size_t)j->n, 1);
        j->task_cnt = vf_malloc_n(ntasks, sizeof *j->task_cnt);
        if (!j->mask || !j->task_cnt) st = vf_fail(err, VF_ENOMEM, "out of memory");
    }
    if (st == VF_OK) {
        vf_parallel_for(ntasks, j->workers, mask_task, j);
        int64_t total = 0; /* counts -> offsets: task t writes its rows from task_cnt[t] on */
        for (size_t t = 0; t < ntasks; t++) {
            int64_t c = j->task_cnt[t];
            j->task_cnt[t] = total;
            total += c;
        }
        j->out = vf_malloc_rows((size_t)total, sizeof *j->out);
        if (!j->out) {
            st = vf_fail(err, VF_ENOMEM, "out of memory");
        } else {
            vf_parallel_for(ntasks, j->workers, select_task, j);
            *out = j->out;
            *nout = total;
        }
    }
    job_end(j);
    free(j);
    return st;
}

static void eval_task(void *ctx, size_t t, int w) {
    xjob *j = ctx;
    int64_t lo = (int64_t)t * VF_TASK, hi = lo + VF_TASK < j->n ? lo + VF_TASK : j->n;
    for (int64_t base = lo; base < hi; base += VF_MORSEL) {
        int n = (int)(hi - base < VF_MORSEL ? hi - base : VF_MORSEL);
        const xvec *x = run_morsel(&j->run[w], j->sel, base, n);
        if (x->kind == VF_XK_BOOL) {
            int64_t *o = (int64_t *)j->values + base;
            const uint8_t *v = x->v;
            for (int i = 0; i < n; i++) o[i] = v[i];
        } else {
            memcpy((int64_t *)j->values + base, x->v, (size_t)n * 8);
        }
        uint8_t *ov = j->valid + base;
        if (x->valid) {
            memcpy(ov, x->valid, (size_t)n);
            int64_t nn = 0;
            for (int i = 0; i < n; i++) nn += !ov[i];
            j->nulls[w] += nn;
        } else {
            memset(ov, 1, (size_t)n);
        }
    }
}

vf_status vf_eval(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *prog, int nprog,
                  const int64_t *sel, int64_t nsel, int threads, void **values, uint8_t **valid, int *kind,
                  vf_error *err) {
    *values = NULL;
    *valid = NULL;
    xjob *j = malloc(sizeof *j);
    if (!j) return vf_fail(err, VF_ENOMEM, "out of memory");
    vf_status st = job_start(j, cols, ncols, nrows, prog, nprog, sel, nsel, threads, false, err);
    if (st == VF_OK && j->prog.kind == VF_XK_CODES)
        st = vf_fail(err, VF_EARG, "the program gives a dictionary column's codes: nothing to evaluate");
    if (st == VF_OK) {
        j->values = vf_malloc_rows((size_t)j->n, 8);
        j->valid = vf_malloc_rows((size_t)j->n, 1);
        if (!j->values || !j->valid) st = vf_fail(err, VF_ENOMEM, "out of memory");
    }
    if (st == VF_OK) {
        vf_parallel_for((size_t)vf_ceil_div(j->n, VF_TASK), j->workers, eval_task, j);
        int64_t nulls = 0;
        for (int w = 0; w < j->workers; w++) nulls += j->nulls[w];
        *kind = j->prog.kind;
        *values = j->values;
        if (nulls) *valid = j->valid;
        else free(j->valid);
    } else {
        free(j->values);
        free(j->valid);
    }
    job_end(j);
    free(j);
    return st;
}
