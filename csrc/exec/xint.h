/*
 * xint.h - what the query kernels (csrc/exec/) share: the morsel size,
 * column loaders, order-preserving keys, and the checks of inputs.
 *
 * Every kernel reads its columns a morsel (VF_MORSEL rows) at a time
 * through the loaders below, which turn any column type into one of four
 * working forms, so that the kernels need one loop per form instead of one
 * per column type:
 *   i64   integers and bools as int64 (uint64 wraps: its bits are kept);
 *   f64   any numeric column as double (uint64 converted as unsigned);
 *   okey  any numeric column as a uint64 whose unsigned order is the
 *         values' order (DuckDB's: NaN above +inf, -0 equal to +0), so
 *         MIN/MAX/ARG_MIN/ARG_MAX and top-k need one comparison for every type;
 *   bits  any column as 64 bits that are equal exactly when the values are
 *         (grouping keys, DISTINCT): ints as int64, floats normalized
 *         (-0 as +0, one NaN), dictionary codes as themselves.
 * A loader returns a pointer into the column itself when no conversion is
 * needed (no selection, same width), else fills the caller's scratch.
 *
 * Column views are trusted to be well formed (vfpy_colviews_parse checks
 * them): values of nrows rows, dictionary codes in [-1, dict_n).  The
 * nulls of a dictionary column are its -1 codes; its `valid` is ignored.
 */
#ifndef VF_XINT_H
#define VF_XINT_H

#include "exec.h"

#include <math.h>

/* rows per morsel: a few working vectors of this many rows stay in L1/L2 */
#define VF_MORSEL 2048
/* rows per parallel task (a multiple of VF_MORSEL) */
#define VF_TASK (8 * VF_MORSEL)

#define VF_SIGN64 0x8000000000000000ULL
/* the one NaN that grouping, DISTINCT and MIN/MAX results use */
#define VF_CANON_NAN 0x7ff8000000000000ULL

static inline bool vf_is_float_type(vf_type t) { return t == VF_T_FLOAT32 || t == VF_T_FLOAT64; }
/* the integer types and bool: the INT kind */
static inline bool vf_is_int_type(vf_type t) {
    return t == VF_T_INT32 || t == VF_T_INT64 || t == VF_T_BOOL || (t >= VF_T_INT8 && t <= VF_T_UINT64);
}
static inline bool vf_is_known_type(vf_type t) { return t >= VF_T_INT32 && t <= VF_T_UINT64; }

static inline uint64_t vf_dbl_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static inline double vf_bits_dbl(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* Equal values, equal bits: -0.0 becomes +0.0 (adding +0.0 does that and
 * nothing else), every NaN the canonical one. */
static inline uint64_t vf_dbl_norm(double d) {
    d += 0.0;
    return d != d ? VF_CANON_NAN : vf_dbl_bits(d);
}

/* Order key of a double: flipping the bits of negatives and setting the
 * sign bit of positives makes unsigned order the numeric order; the
 * canonical NaN lands above +inf. */
static inline uint64_t vf_dbl_okey(double d) {
    uint64_t b = vf_dbl_norm(d);
    return (b & VF_SIGN64) ? ~b : b | VF_SIGN64;
}

static inline double vf_okey_dbl(uint64_t k) { return vf_bits_dbl((k & VF_SIGN64) ? k ^ VF_SIGN64 : ~k); }

/* ---- loaders: rows [base, base + n) of the selection (sel == NULL: of the column) ---- */
const int64_t *vf_load_i64(const vf_colview *c, const int64_t *sel, int64_t base, int n, int64_t *scratch);
const double *vf_load_f64(const vf_colview *c, const int64_t *sel, int64_t base, int n, double *scratch);
const uint64_t *vf_load_okey(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint64_t *scratch);
const uint64_t *vf_load_bits(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint64_t *scratch);
/* the native values (vf_type_width bytes each) */
const void *vf_load_native(const vf_colview *c, const int64_t *sel, int64_t base, int n, void *scratch);
/* dictionary codes (int32, -1 null) */
const int32_t *vf_load_codes(const vf_colview *c, const int64_t *sel, int64_t base, int n, int32_t *scratch);
/* The validity of the rows (1 valid, 0 null), or NULL when none can be
 * null.  Dictionary columns: code >= 0. */
const uint8_t *vf_load_valid(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint8_t *scratch);
/* true when the column can hold a null (has a validity array, or is a dictionary column) */
static inline bool vf_col_nullable(const vf_colview *c) { return vf_type_is_dict(c->type) || c->valid != NULL; }
/* Is row r null? */
static inline bool vf_col_is_null(const vf_colview *c, int64_t r) {
    if (vf_type_is_dict(c->type)) return ((const int32_t *)c->values)[r] < 0;
    return c->valid && !c->valid[r];
}

/* ---- checks shared by the entry points ---- */
/* Every view has a known type and values (when nrows > 0). */
vf_status vf_check_cols(const vf_colview *cols, int ncols, int64_t nrows, vf_error *err);
/* Every index of sel is in [0, nrows); nsel >= 0. */
vf_status vf_check_sel(const int64_t *sel, int64_t nsel, int64_t nrows, vf_error *err);

/* the index of row i of the selection */
static inline int64_t vf_row(const int64_t *sel, int64_t i) { return sel ? sel[i] : i; }

/* ceil(n / d) for n >= 0 */
static inline int64_t vf_ceil_div(int64_t n, int64_t d) { return (n + d - 1) / d; }

/* threads to use for ntasks tasks: within [1, min(threads, ntasks, VF_MAX_THREADS)] */
static inline int vf_workers(int threads, int64_t ntasks) {
    if (threads > VF_MAX_THREADS) threads = VF_MAX_THREADS;
    if (threads > ntasks) threads = (int)ntasks;
    return threads < 1 ? 1 : threads;
}

#endif
