/*
 * xload.c - column loaders of the query kernels (xint.h): a morsel of any
 * column type in one of the working forms (int64, double, order key,
 * equality bits, codes, validity), and the input checks.
 *
 * One macro writes the conversion loop for a native type and an
 * expression, contiguous or gathered through the selection; each loader is
 * a switch over the types that instantiates it.
 */
#include "xint.h"

/* out[i] = EXPR for x the native value of row i of the morsel */
#define CONV(T, EXPR)                                                     \
    do {                                                                  \
        const T *src_ = (const T *)c->values;                             \
        if (sel) {                                                        \
            const int64_t *s_ = sel + base;                               \
            for (int i = 0; i < n; i++) {                                 \
                T x = src_[s_[i]];                                        \
                out[i] = (EXPR);                                          \
            }                                                             \
        } else {                                                          \
            const T *p_ = src_ + base;                                    \
            for (int i = 0; i < n; i++) {                                 \
                T x = p_[i];                                              \
                out[i] = (EXPR);                                          \
            }                                                             \
        }                                                                 \
    } while (0)

/* the integer types (and bool), signed ones by SIGNED, uint64 by U64 */
#define CASE_INTS(SIGNED, U64)                             \
    case VF_T_INT8: CONV(int8_t, SIGNED); break;           \
    case VF_T_INT16: CONV(int16_t, SIGNED); break;         \
    case VF_T_INT32: CONV(int32_t, SIGNED); break;         \
    case VF_T_INT64: CONV(int64_t, SIGNED); break;         \
    case VF_T_UINT8: case VF_T_BOOL: CONV(uint8_t, SIGNED); break; \
    case VF_T_UINT16: CONV(uint16_t, SIGNED); break;       \
    case VF_T_UINT32: CONV(uint32_t, SIGNED); break;       \
    case VF_T_UINT64: CONV(uint64_t, U64); break

#define CASE_FLOATS(EXPR)                          \
    case VF_T_FLOAT32: CONV(float, EXPR); break;   \
    case VF_T_FLOAT64: CONV(double, EXPR); break

#define CASE_DICTS(EXPR) \
    case VF_T_STRING: case VF_T_ADDR: case VF_T_BINARY: CONV(int32_t, EXPR); break

const int64_t *vf_load_i64(const vf_colview *c, const int64_t *sel, int64_t base, int n, int64_t *out) {
    if (!sel && (c->type == VF_T_INT64 || c->type == VF_T_UINT64)) return (const int64_t *)c->values + base;
    switch (c->type) {
        CASE_INTS((int64_t)x, (int64_t)x);
    default: memset(out, 0, (size_t)n * sizeof *out); /* not an integer column: callers never ask */
    }
    return out;
}

const double *vf_load_f64(const vf_colview *c, const int64_t *sel, int64_t base, int n, double *out) {
    if (!sel && c->type == VF_T_FLOAT64) return (const double *)c->values + base;
    switch (c->type) {
        CASE_INTS((double)x, (double)x);
        CASE_FLOATS((double)x);
    default: memset(out, 0, (size_t)n * sizeof *out);
    }
    return out;
}

const uint64_t *vf_load_okey(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint64_t *out) {
    if (!sel && c->type == VF_T_UINT64) return (const uint64_t *)c->values + base;
    switch (c->type) {
        CASE_INTS((uint64_t)(int64_t)x ^ VF_SIGN64, (uint64_t)x);
        CASE_FLOATS(vf_dbl_okey((double)x));
    default: memset(out, 0, (size_t)n * sizeof *out);
    }
    return out;
}

const uint64_t *vf_load_bits(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint64_t *out) {
    if (!sel && (c->type == VF_T_INT64 || c->type == VF_T_UINT64)) return (const uint64_t *)c->values + base;
    switch (c->type) {
        CASE_INTS((uint64_t)(int64_t)x, (uint64_t)x);
        CASE_FLOATS(vf_dbl_norm((double)x));
        CASE_DICTS((uint64_t)(int64_t)x);
    }
    return out;
}

const void *vf_load_native(const vf_colview *c, const int64_t *sel, int64_t base, int n, void *scratch) {
    size_t w = vf_type_width(c->type);
    if (!sel) return (const uint8_t *)c->values + (size_t)base * w;
    switch (w) {
    case 1: { uint8_t *out = scratch; CONV(uint8_t, x); break; }
    case 2: { uint16_t *out = scratch; CONV(uint16_t, x); break; }
    case 4: { uint32_t *out = scratch; CONV(uint32_t, x); break; }
    default: { uint64_t *out = scratch; CONV(uint64_t, x); break; }
    }
    return scratch;
}

const int32_t *vf_load_codes(const vf_colview *c, const int64_t *sel, int64_t base, int n, int32_t *out) {
    if (!sel) return (const int32_t *)c->values + base;
    CONV(int32_t, x);
    return out;
}

const uint8_t *vf_load_valid(const vf_colview *c, const int64_t *sel, int64_t base, int n, uint8_t *out) {
    if (vf_type_is_dict(c->type)) {
        CONV(int32_t, (uint8_t)(x >= 0));
        return out;
    }
    if (!c->valid) return NULL;
    if (!sel) return c->valid + base;
    const uint8_t *v = c->valid;
    const int64_t *s = sel + base;
    for (int i = 0; i < n; i++) out[i] = v[s[i]];
    return out;
}

/* ---- input checks ---- */
vf_status vf_check_cols(const vf_colview *cols, int ncols, int64_t nrows, vf_error *err) {
    if (ncols < 0 || nrows < 0 || (ncols > 0 && !cols))
        return vf_fail(err, VF_EARG, "bad column list (%d columns, %lld rows)", ncols, (long long)nrows);
    for (int i = 0; i < ncols; i++) {
        const vf_colview *c = &cols[i];
        if (!vf_is_known_type(c->type)) return vf_fail(err, VF_EARG, "column %d: unknown type %d", i, (int)c->type);
        if (nrows > 0 && !c->values) return vf_fail(err, VF_EARG, "column %d: no values", i);
        if (vf_type_is_dict(c->type) && c->dict_n < 0)
            return vf_fail(err, VF_EARG, "column %d: bad dictionary size %d", i, (int)c->dict_n);
    }
    return VF_OK;
}

vf_status vf_check_sel(const int64_t *sel, int64_t nsel, int64_t nrows, vf_error *err) {
    if (!sel) return VF_OK;
    if (nsel < 0) return vf_fail(err, VF_EARG, "selection of %lld rows", (long long)nsel);
    /* branch-free: the smallest and largest index */
    int64_t lo = 0, hi = -1;
    for (int64_t i = 0; i < nsel; i++) {
        lo = sel[i] < lo ? sel[i] : lo;
        hi = sel[i] > hi ? sel[i] : hi;
    }
    if (lo < 0 || hi >= nrows)
        return vf_fail(err, VF_EARG, "selection holds row %lld, outside the %lld rows",
                       (long long)(lo < 0 ? lo : hi), (long long)nrows);
    return VF_OK;
}
