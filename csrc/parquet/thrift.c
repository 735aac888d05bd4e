/*
 * thrift.c - Thrift compact protocol primitives (thrift.h).
 *
 * The reader never trusts a length or count: each is checked against the
 * bytes left before anything is read or allocated for it, and every loop
 * consumes at least one input byte per iteration, so the work is linear in
 * the input and cannot hang.
 */
#include "thrift.h"

#include <stdio.h>

const char *th_type_name(int type) {
    switch (type) {
    case TH_STOP: return "stop";
    case TH_TRUE:
    case TH_FALSE: return "bool";
    case TH_I8: return "i8";
    case TH_I16: return "i16";
    case TH_I32: return "i32";
    case TH_I64: return "i64";
    case TH_DOUBLE: return "double";
    case TH_BINARY: return "binary";
    case TH_LIST: return "list";
    case TH_SET: return "set";
    case TH_MAP: return "map";
    case TH_STRUCT: return "struct";
    case TH_UUID: return "uuid";
    }
    return "invalid type";
}

vf_status th_fail(th_reader *r, size_t pos, const char *fmt, ...) {
    if (!r->err) return VF_EFORMAT;
    char what[VF_ERR_MSG - 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *st = r->st ? r->st : "thrift";
    if (r->field)
        vf_fail(r->err, VF_EFORMAT, "%s.%s: %s at byte %zu", st, r->field, what, pos);
    else
        vf_fail(r->err, VF_EFORMAT, "%s: %s at byte %zu", st, what, pos);
    r->err->offset = (int64_t)pos;
    return VF_EFORMAT;
}

vf_status th_enter(th_reader *r) {
    if (r->depth >= TH_MAX_DEPTH) return th_fail(r, th_pos(r), "nested deeper than %d levels", TH_MAX_DEPTH);
    r->depth++;
    return VF_OK;
}

/* ---- scalars ------------------------------------------------------------ */
static vf_status need(th_reader *r, size_t n, const char *what) {
    if (th_left(r) >= n) return VF_OK;
    return th_fail(r, th_pos(r), "truncated %s (%zu bytes needed, %zu left)", what, n, th_left(r));
}

static vf_status skip_bytes(th_reader *r, size_t n, const char *what) {
    vf_status st = need(r, n, what);
    if (st == VF_OK) r->p += n;
    return st;
}

/* The readers below set their output even on failure, so that no caller
 * (nor the compiler's flow analysis) sees an uninitialized value. */
vf_status th_byte(th_reader *r, uint8_t *v) {
    *v = 0;
    vf_status st = need(r, 1, "value");
    if (st == VF_OK) *v = *r->p++;
    return st;
}

vf_status th_varint(th_reader *r, uint64_t *v) {
    size_t start = th_pos(r);
    uint64_t x = 0;
    *v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p == r->end) return th_fail(r, start, "truncated varint");
        uint8_t c = *r->p++;
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            /* the 10th byte holds only bit 63 */
            if (i == 9 && c > 1) return th_fail(r, start, "varint overflows 64 bits");
            *v = x;
            return VF_OK;
        }
    }
    return th_fail(r, start, "varint longer than 10 bytes");
}

/* A zigzag varint that must fit `bits` bits. */
static vf_status zigzag(th_reader *r, int bits, int64_t *v) {
    size_t start = th_pos(r);
    uint64_t u = 0; /* set by th_varint; initialised for gcc -O3 -Wmaybe-uninitialized */
    vf_status st = th_varint(r, &u);
    *v = 0;
    if (st != VF_OK) return st;
    if (bits < 64 && u >> bits) return th_fail(r, start, "value does not fit an i%d", bits);
    /* the sign is bit 0; converting back to signed is modular (C11 6.3.1.3, gcc/clang documented) */
    *v = (int64_t)((u >> 1) ^ (0 - (u & 1)));
    return VF_OK;
}

vf_status th_i16(th_reader *r, int16_t *v) {
    int64_t x;
    vf_status st = zigzag(r, 16, &x);
    if (st == VF_OK) *v = (int16_t)x;
    return st;
}

vf_status th_i32(th_reader *r, int32_t *v) {
    int64_t x;
    vf_status st = zigzag(r, 32, &x);
    if (st == VF_OK) *v = (int32_t)x;
    return st;
}

vf_status th_i64(th_reader *r, int64_t *v) { return zigzag(r, 64, v); }

vf_status th_binary(th_reader *r, const uint8_t **p, size_t *n) {
    size_t start = th_pos(r);
    uint64_t len = 0; /* likewise */
    vf_status st = th_varint(r, &len);
    if (st != VF_OK) return st;
    /* the length is an i32 on the wire: a "negative" one arrives as a huge varint */
    if (len > INT32_MAX) return th_fail(r, start, "binary length %llu out of range", (unsigned long long)len);
    if (len > th_left(r))
        return th_fail(r, start, "binary of %llu bytes but only %zu left", (unsigned long long)len, th_left(r));
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return VF_OK;
}

/* ---- headers ------------------------------------------------------------- */
static bool valid_type(int t) { return t >= TH_TRUE && t <= TH_UUID; }

vf_status th_field(th_reader *r, int *last, int *type, int *id) {
    size_t start = th_pos(r);
    uint8_t h;
    vf_status st = th_byte(r, &h);
    if (st != VF_OK) return st;
    if (h == TH_STOP) {
        *type = TH_STOP;
        return VF_OK;
    }
    int t = h & 15, delta = h >> 4;
    if (!valid_type(t)) return th_fail(r, start, "invalid field type %d", t);
    if (delta) {
        /* ids are i16: a long run of deltas must not overflow an int */
        if (*last + delta > INT16_MAX) return th_fail(r, start, "field id above %d", INT16_MAX);
        *id = *last + delta;
    } else {
        int16_t v;
        if ((st = th_i16(r, &v)) != VF_OK) return st;
        *id = v;
    }
    *last = *id;
    *type = t;
    return VF_OK;
}

vf_status th_list(th_reader *r, int *etype, size_t *count, size_t min_elem) {
    size_t start = th_pos(r);
    uint8_t h;
    vf_status st = th_byte(r, &h);
    if (st != VF_OK) return st;
    uint64_t n = h >> 4;
    if (n == 15) {
        if ((st = th_varint(r, &n)) != VF_OK) return st;
        if (n > INT32_MAX) return th_fail(r, start, "list size %llu out of range", (unsigned long long)n);
    }
    *etype = h & 15;
    if (n && !valid_type(*etype)) return th_fail(r, start, "invalid list element type %d", *etype);
    if (min_elem == 0) min_elem = 1;
    if (n > th_left(r) / min_elem)
        return th_fail(r, start, "list of %llu elements cannot fit in the %zu bytes left", (unsigned long long)n,
                       th_left(r));
    *count = (size_t)n;
    return VF_OK;
}

/* ---- skipping ---------------------------------------------------------------- */
static vf_status skip_list(th_reader *r) {
    int et;
    size_t n;
    vf_status st = th_list(r, &et, &n, 1);
    for (size_t i = 0; i < n && st == VF_OK; i++) st = th_skip(r, et, true);
    return st;
}

static vf_status skip_map(th_reader *r) {
    size_t start = th_pos(r);
    uint64_t n;
    uint8_t kv;
    vf_status st = th_varint(r, &n);
    if (st != VF_OK || n == 0) return st;
    if (n > INT32_MAX) return th_fail(r, start, "map size %llu out of range", (unsigned long long)n);
    if ((st = th_byte(r, &kv)) != VF_OK) return st;
    if (!valid_type(kv >> 4) || !valid_type(kv & 15)) return th_fail(r, start, "invalid map key or value type");
    if (n > th_left(r) / 2)
        return th_fail(r, start, "map of %llu entries cannot fit in the %zu bytes left", (unsigned long long)n,
                       th_left(r));
    for (uint64_t i = 0; i < n && st == VF_OK; i++) {
        st = th_skip(r, kv >> 4, true);
        if (st == VF_OK) st = th_skip(r, kv & 15, true);
    }
    return st;
}

static vf_status skip_struct(th_reader *r) {
    int last = 0, type, id;
    vf_status st;
    while ((st = th_field(r, &last, &type, &id)) == VF_OK && type != TH_STOP) {
        if ((st = th_skip(r, type, false)) != VF_OK) break;
    }
    return st;
}

vf_status th_skip(th_reader *r, int type, bool elem) {
    const uint8_t *p;
    size_t n;
    int64_t v;
    vf_status st;
    switch (type) {
    case TH_TRUE:
    case TH_FALSE: /* a bool field's value is its type; an element's is a byte */
        return elem ? skip_bytes(r, 1, "bool") : VF_OK;
    case TH_I8: return skip_bytes(r, 1, "i8");
    case TH_I16: return zigzag(r, 16, &v);
    case TH_I32: return zigzag(r, 32, &v);
    case TH_I64: return zigzag(r, 64, &v);
    case TH_DOUBLE: return skip_bytes(r, 8, "double");
    case TH_UUID: return skip_bytes(r, 16, "uuid");
    case TH_BINARY: return th_binary(r, &p, &n);
    case TH_LIST:
    case TH_SET:
    case TH_MAP:
    case TH_STRUCT:
        if ((st = th_enter(r)) != VF_OK) return st;
        st = type == TH_MAP ? skip_map(r) : type == TH_STRUCT ? skip_struct(r) : skip_list(r);
        th_leave(r);
        return st;
    }
    return th_fail(r, th_pos(r), "invalid type %d", type);
}

/* ---- writing -------------------------------------------------------------------- */
void th_put_varint(vf_buf *b, uint64_t v) {
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    vf_buf_append(b, t, n);
}

void th_put_field(vf_buf *b, int type, int id, int *last) {
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        vf_buf_push(b, (uint8_t)(delta << 4 | type));
    } else {
        vf_buf_push(b, (uint8_t)type);
        th_put_i32(b, (int16_t)id);
    }
    *last = id;
}

void th_put_list(vf_buf *b, int etype, size_t n) {
    if (n < 15) {
        vf_buf_push(b, (uint8_t)(n << 4 | (size_t)etype));
    } else {
        vf_buf_push(b, (uint8_t)(0xf0 | etype));
        th_put_varint(b, n);
    }
}
