/*
 * pages.c - reading one column chunk: its pages, levels and values, into
 * the chunk's place in the output columns (rdint.h: pq_read_chunk).
 *
 * A page's non-null values are decoded densely at the start of the rows
 * they belong to and then spread backwards over the null slots, so a page
 * whose rows are all wanted is decoded straight into the output with no
 * copy; a page that is only partly wanted (row ranges) is decoded into
 * scratch and the wanted rows copied.
 *
 * Values become the output representation in one of five ways (conv_kind):
 * as stored (ints, floats, bools), narrowed (INT32 to 8/16 bits), INT96 to
 * nanoseconds, FLOAT16 to float32, or byte strings to dictionary codes.
 * Dictionary pages are converted once, when they are read: a data page's
 * indices then gather converted values, or, for byte strings, are
 * remapped to the codes of the chunk's vf_dict (no remap when the page
 * dictionary went in as codes 0..n-1).  Address columns parse each
 * distinct string once, as it enters the dictionary.  When only some rows
 * of a chunk are wanted (row ranges), a byte-string dictionary is lazy:
 * its entries enter the vf_dict as the wanted rows first use them, so a
 * read of a few rows parses a few addresses, not the whole dictionary.
 */
#include "encoding.h"
#include "rdint.h"

#include <math.h>
#include <stdio.h>
#include <zlib.h>

typedef enum { CONV_NONE, CONV_NARROW, CONV_INT96, CONV_F16, CONV_BYTES } conv_kind;

typedef struct chunk {
    pq_chunk_job *j;
    pq_scratch *s;
    const pq_file *f;
    const pq_leaf *l;
    const pq_column_meta *md;
    pq_loc loc;
    vf_error *err;
    conv_kind conv;
    size_t pw;            /* bytes of a decoded physical value (BOOLEAN: 1; BYTE_ARRAY: 0) */
    size_t ow;            /* bytes of an output value */
    int def_bw;           /* bit width of the definition levels */
    /* the current page dictionary */
    bool has_dict;
    int32_t dict_n;
    uint8_t *dict_vals;   /* fixed widths: dict_n converted values of ow bytes */
    int32_t *dict_map;    /* byte strings: dictionary index -> code in j->dict (-1: not in it yet) */
    bool dict_identity;
    /* Lazy byte-string dictionaries, when only some rows of the chunk are
     * wanted: an entry enters j->dict (and an address is parsed) when a
     * wanted row first uses it, not when the dictionary page is read.  The
     * entries stay as views of the page, kept in s->dict_page. */
    bool dict_lazy;
    pq_view *dict_views;
    /* the row ranges still to come (j->ranges) and the output row of the first */
    size_t range_i;
    int64_t range_out;
} chunk;

/* The parts of a data page, once its header is read and it is decompressed. */
typedef struct page {
    int64_t nvalues;      /* rows (flat columns: one value per row, nulls included) */
    int encoding;
    const uint8_t *levels;
    size_t levels_len;
    bool levels_bitpacked; /* deprecated BIT_PACKED definition levels (v1) */
    const uint8_t *values;
    size_t values_len;
} page;

/* ================================================================== */
/* helpers                                                             */
/* ================================================================== */
static vf_status fail(chunk *c, const char *fmt, ...) VF_PRINTF(2, 3);
static vf_status fail(chunk *c, const char *fmt, ...) {
    char what[VF_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pq_fail_at(c->err, &c->loc, VF_EFORMAT, "%s", what);
}

/* A lower layer failed: add the location to its message. */
static vf_status locate(chunk *c, vf_status st) { return st == VF_ENOMEM ? st : pq_locate(c->err, &c->loc, st); }

static vf_status oom(chunk *c) { return vf_fail(c->err, VF_ENOMEM, "out of memory reading column '%s'", c->l->name); }

/* Room for n elements of size sz in b (its contents are not kept); NULL when out of memory. */
static void *scratch(vf_buf *b, size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / 2 / sz) return NULL;
    b->len = 0;
    if (!vf_buf_reserve(b, n && sz ? n * sz : 1)) {
        b->oom = false; /* a failed reservation leaves the buffer usable for a smaller one */
        return NULL;
    }
    return b->p;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *enc_name(int e) { return pq_encoding_name(e); }

/* ================================================================== */
/* conversions to the output representation                            */
/* ================================================================== */
/* days between the Julian day number epoch and 1970-01-01 */
#define JULIAN_UNIX_EPOCH 2440588
#define NANOS_PER_DAY 86400000000000ULL

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = h >> 10 & 0x1f, frac = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | frac << 13; /* inf, NaN (payload kept) */
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | frac << 13;
    } else { /* zero or subnormal: exactly frac * 2^-24 */
        float v = (float)frac * 0x1p-24f;
        memcpy(&bits, &v, 4);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* n physical values at in (c->pw bytes each) to output values at out. */
static void convert(const chunk *c, const uint8_t *in, size_t n, uint8_t *out) {
    switch (c->conv) {
    case CONV_NARROW:
        for (size_t i = 0; i < n; i++) {
            uint32_t v = le32(in + 4 * i);
            if (c->ow == 1)
                out[i] = (uint8_t)v;
            else
                memcpy(out + 2 * i, &(uint16_t){(uint16_t)v}, 2);
        }
        break;
    case CONV_INT96:
        /* nanoseconds of the day (8 bytes), then the Julian day (4), little-endian;
         * wraps like the 64-bit arithmetic of other readers for far dates */
        for (size_t i = 0; i < n; i++) {
            uint64_t nanos;
            memcpy(&nanos, in + 12 * i, 8);
            uint64_t days = (uint64_t)((int64_t)le32(in + 12 * i + 8) - JULIAN_UNIX_EPOCH);
            uint64_t v = days * NANOS_PER_DAY + nanos;
            memcpy(out + 8 * i, &v, 8);
        }
        break;
    case CONV_F16:
        for (size_t i = 0; i < n; i++) {
            float f = half_to_float((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
            memcpy(out + 4 * i, &f, 4);
        }
        break;
    default:
        memcpy(out, in, n * c->ow);
    }
}

/* out[i] = dict[idx[i]] for values of w bytes (w a constant after inlining) */
#define GATHER(T)                                                                                      \
    do {                                                                                               \
        const T *d_ = (const T *)(const void *)dict;                                                   \
        T *o_ = (T *)(void *)out;                                                                      \
        for (size_t i = 0; i < n; i++) o_[i] = d_[idx[i]];                                             \
    } while (0)

static void gather(const uint8_t *dict, const uint32_t *idx, size_t n, size_t w, uint8_t *out) {
    switch (w) {
    case 1: GATHER(uint8_t); break;
    case 2: GATHER(uint16_t); break;
    case 4: GATHER(uint32_t); break;
    case 8: GATHER(uint64_t); break;
    default:
        for (size_t i = 0; i < n; i++) memcpy(out + i * w, dict + (size_t)idx[i] * w, w);
    }
}

/* Spread the nn dense values at src over the n rows of dst whose valid byte
 * is 1; null rows get `fill`.  src is dst itself (in place) or a separate
 * buffer of nn values.  Works from the back, so in place is safe: before
 * row i is written, k counts the valid rows below it and src[k] (k <= i)
 * is not yet overwritten.  Runs of valid rows (8 at a time) move as one
 * memmove; elsewhere it is branch-free (nulls fall at random), reading
 * src[min(k, nn - 1)] so a separate source is never read past its end. */
#define SPREAD(T)                                                                                      \
    do {                                                                                               \
        T *d_ = (T *)(void *)dst;                                                                      \
        const uint8_t *s_b = src;                                                                      \
        const T f_ = (T)fill;                                                                          \
        size_t k_ = nn, i_ = n;                                                                        \
        while (i_ > 0) {                                                                               \
            size_t j_ = i_;                                                                            \
            while (j_ >= 8 && vf_load64((const char *)valid + j_ - 8) == ALL_VALID8) j_ -= 8;                        \
            if (j_ < i_) {                                                                             \
                k_ -= i_ - j_;                                                                         \
                memmove(d_ + j_, s_b + k_ * sizeof(T), (i_ - j_) * sizeof(T));                         \
                i_ = j_;                                                                               \
                continue;                                                                              \
            }                                                                                          \
            for (size_t e_ = i_ >= 8 ? i_ - 8 : 0; i_ > e_;) {                                         \
                i_--;                                                                                  \
                k_ -= valid[i_];                                                                       \
                T x_; /* the page's values need not be aligned */                                    \
                memcpy(&x_, s_b + (k_ < nn ? k_ : nn - 1) * sizeof(T), sizeof(T));                    \
                d_[i_] = valid[i_] ? x_ : f_;                                                          \
            }                                                                                          \
        }                                                                                              \
    } while (0)

#define ALL_VALID8 0x0101010101010101ULL

static void spread(uint8_t *dst, const uint8_t *src, const uint8_t *valid, size_t n, size_t nn, size_t w, int fill) {
    if (nn == n) {
        if (src != dst && n) memcpy(dst, src, n * w);
        return;
    }
    if (nn == 0) { /* nothing to read: every row gets fill (0 or -1: the same byte in every width) */
        memset(dst, fill, n * w);
        return;
    }
    switch (w) {
    case 1: SPREAD(uint8_t); break;
    case 2: SPREAD(uint16_t); break;
    case 4: SPREAD(int32_t); break;
    case 8: SPREAD(uint64_t); break;
    default: break; /* not reached: output values are 1, 2, 4 or 8 bytes */
    }
}

/* ================================================================== */
/* values                                                              */
/* ================================================================== */
/* Whether count PLAIN values of c->pw bytes fit in the len bytes of a page. */
static vf_status plain_fits(chunk *c, size_t count, size_t len) {
    if (count > len / c->pw)
        return fail(c, "PLAIN: %zu values of %zu bytes need more than the %zu bytes of the page", count, c->pw, len);
    return VF_OK;
}

/* count fixed-width physical values (c->pw bytes each; BOOLEAN one byte
 * 0/1) from p[0..len) in a non-dictionary encoding. */
static vf_status decode_fixed(chunk *c, int enc, const uint8_t *p, size_t len, size_t count, uint8_t *out) {
    const int phys = c->l->physical;
    vf_status st;
    switch (enc) {
    case PQ_PLAIN:
        if (phys == PQ_BOOLEAN) {
            st = pq_plain_bool_decode(p, len, out, count, c->err);
            return st == VF_OK ? st : locate(c, st);
        }
        if ((st = plain_fits(c, count, len)) != VF_OK) return st;
        if (count) memcpy(out, p, count * c->pw);
        return VF_OK;
    case PQ_RLE: {
        if (phys != PQ_BOOLEAN) break;
        /* RLE booleans: a 4-byte length, then the hybrid encoding with bit width 1 */
        if (len < 4 || le32(p) > len - 4) return fail(c, "RLE booleans: bad length prefix");
        pq_rle_dec d;
        pq_rle_init(&d, p + 4, le32(p), 1);
        st = pq_rle_get_u8(&d, out, count, c->err);
        return st == VF_OK ? st : locate(c, st);
    }
    case PQ_DELTA_BINARY_PACKED: {
        if (phys != PQ_INT32 && phys != PQ_INT64) break;
        size_t got = 0, used;
        st = phys == PQ_INT32 ? pq_delta_decode_i32(p, len, (int32_t *)(void *)out, count, &got, &used, c->err)
                              : pq_delta_decode_i64(p, len, (int64_t *)(void *)out, count, &got, &used, c->err);
        if (st != VF_OK) return locate(c, st);
        if (got != count) return fail(c, "DELTA_BINARY_PACKED: %zu values where the page has %zu", got, count);
        return VF_OK;
    }
    case PQ_BYTE_STREAM_SPLIT:
        if (phys == PQ_BOOLEAN || phys == PQ_INT96 || phys == PQ_BYTE_ARRAY) break;
        st = pq_bss_decode(p, len, c->pw, out, count, c->err);
        return st == VF_OK ? st : locate(c, st);
    case PQ_DELTA_BYTE_ARRAY:
    case PQ_DELTA_LENGTH_BYTE_ARRAY: {
        if (phys != PQ_FIXED_LEN_BYTE_ARRAY) break;
        pq_view *v = scratch(&c->s->views, count, sizeof *v);
        if (!v) return oom(c);
        size_t used;
        c->s->dba.len = 0;
        st = enc == PQ_DELTA_BYTE_ARRAY ? pq_dba_decode(p, len, v, count, &c->s->dba, &used, c->err)
                                        : pq_dlba_decode(p, len, v, count, &used, c->err);
        if (st != VF_OK) return locate(c, st);
        for (size_t i = 0; i < count; i++) {
            if (v[i].n != c->pw) return fail(c, "value %zu has %u bytes in a column of %zu-byte values", i, v[i].n, c->pw);
            memcpy(out + i * c->pw, v[i].p, c->pw);
        }
        return VF_OK;
    }
    }
    return fail(c, "encoding %s is not valid for %s values", enc_name(enc), pq_type_name(phys));
}

/* count byte strings from p[0..len) in a non-dictionary encoding, as views. */
static vf_status decode_views(chunk *c, int enc, const uint8_t *p, size_t len, size_t count, pq_view **out) {
    const bool fixed = c->l->physical == PQ_FIXED_LEN_BYTE_ARRAY;
    const size_t tl = (size_t)c->l->type_length;
    pq_view *v = scratch(&c->s->views, count, sizeof *v);
    if (!v) return oom(c);
    *out = v;
    size_t used;
    vf_status st = VF_OK;
    switch (enc) {
    case PQ_PLAIN:
        if (!fixed) {
            st = pq_plain_ba_decode(p, len, v, count, &used, c->err);
            break;
        }
        if (count > len / tl)
            return fail(c, "PLAIN: %zu values of %zu bytes need more than the %zu bytes of the page", count, tl, len);
        for (size_t i = 0; i < count; i++) v[i] = (pq_view){p + i * tl, (uint32_t)tl};
        return VF_OK;
    case PQ_DELTA_LENGTH_BYTE_ARRAY: st = pq_dlba_decode(p, len, v, count, &used, c->err); break;
    case PQ_DELTA_BYTE_ARRAY:
        c->s->dba.len = 0;
        st = pq_dba_decode(p, len, v, count, &c->s->dba, &used, c->err);
        break;
    case PQ_BYTE_STREAM_SPLIT: {
        if (!fixed) return fail(c, "encoding BYTE_STREAM_SPLIT is not valid for BYTE_ARRAY values");
        if (count > len / tl) return fail(c, "BYTE_STREAM_SPLIT: %zu values of %zu bytes overrun the page", count, tl);
        uint8_t *b = scratch(&c->s->vals, count, tl);
        if (!b) return oom(c);
        if ((st = pq_bss_decode(p, len, tl, b, count, c->err)) != VF_OK) break;
        for (size_t i = 0; i < count; i++) v[i] = (pq_view){b + i * tl, (uint32_t)tl};
        return VF_OK;
    }
    default: return fail(c, "encoding %s is not valid for %s values", enc_name(enc), pq_type_name(c->l->physical));
    }
    if (st != VF_OK) return locate(c, st);
    if (fixed)
        for (size_t i = 0; i < count; i++)
            if (v[i].n != tl) return fail(c, "value %zu has %u bytes in a column of %zu-byte values", i, v[i].n, tl);
    return VF_OK;
}

/* Byte strings into the chunk's dictionary: their codes at out.  An
 * address column parses each one; one that is not an address stops the
 * chunk (j->not_addr), which the caller reads again as strings. */
static vf_status put_views(chunk *c, const pq_view *v, size_t count, int32_t *out) {
    vf_dict *d = c->j->dict;
    if (c->j->vtype == VF_T_ADDR) {
        for (size_t i = 0; i < count; i++) {
            uint8_t addr[16], fam;
            if (vf_parse_addr((const char *)v[i].p, v[i].n, addr, &fam) != 0) {
                c->j->not_addr = true;
                return vf_fail(c->err, VF_EPARSE, "not an address");
            }
            if ((out[i] = vf_dict_put_addr(d, addr, fam)) < 0) return oom(c);
        }
        return VF_OK;
    }
    for (size_t i = 0; i < count; i++) {
        int32_t code = vf_dict_put_str(d, (const char *)v[i].p, v[i].n);
        if (code < 0) return oom(c);
        out[i] = code;
    }
    return VF_OK;
}

/* count dictionary indices (a bit-width byte, then the RLE hybrid) into idx,
 * each checked against the dictionary. */
static vf_status decode_indices(chunk *c, const uint8_t *p, size_t len, size_t count, uint32_t *idx) {
    if (count == 0) return VF_OK; /* all null: some writers leave an empty chunk without its dictionary */
    if (!c->has_dict) return fail(c, "a dictionary-encoded page but the column chunk has no dictionary page");
    if (len < 1) return fail(c, "dictionary indices: empty page");
    int bw = p[0];
    if (bw > 32) return fail(c, "dictionary indices: bit width %d > 32", bw);
    pq_rle_dec d;
    pq_rle_init(&d, p + 1, len - 1, bw);
    vf_status st = pq_rle_get_u32(&d, idx, count, c->err);
    if (st != VF_OK) return locate(c, st);
    if (bw < 31 && (int64_t)1 << bw <= c->dict_n) return VF_OK; /* every bw-bit index is in range */
    uint32_t max = 0;
    for (size_t i = 0; i < count; i++) max = idx[i] > max ? idx[i] : max;
    if (max >= (uint32_t)c->dict_n)
        return fail(c, "dictionary index %u out of range: the dictionary has %d entries", (unsigned)max, (int)c->dict_n);
    return VF_OK;
}

/* count non-null values of the page, dense, in output form at out. */
static vf_status decode_values(chunk *c, const page *pg, size_t count, uint8_t *out) {
    const int enc = pg->encoding;
    const uint8_t *p = pg->values;
    const size_t len = pg->values_len;
    if (enc == PQ_PLAIN_DICTIONARY || enc == PQ_RLE_DICTIONARY) {
        if (c->conv == CONV_BYTES) { /* codes decoded in place, then remapped */
            uint32_t *idx = (uint32_t *)(void *)out;
            vf_status st = decode_indices(c, p, len, count, idx);
            if (st != VF_OK || c->dict_identity) return st;
            /* lazy: the indices stay (they fit an int32: dict_n does); the wanted
             * rows are mapped once they are in place (map_lazy) */
            if (c->dict_lazy) return VF_OK; /* read_data_page maps them */
            int32_t *codes = (int32_t *)(void *)out, *map = c->dict_map;
            for (size_t i = 0; i < count; i++) codes[i] = map[idx[i]];
            return VF_OK;
        }
        uint32_t *idx = scratch(&c->s->idx, count, sizeof *idx);
        if (!idx) return oom(c);
        vf_status st = decode_indices(c, p, len, count, idx);
        if (st == VF_OK) gather(c->dict_vals, idx, count, c->ow, out);
        return st;
    }
    if (c->conv == CONV_BYTES) {
        pq_view *v = NULL;
        vf_status st = decode_views(c, enc, p, len, count, &v);
        return st == VF_OK ? put_views(c, v, count, (int32_t *)(void *)out) : st;
    }
    if (c->conv == CONV_NONE) return decode_fixed(c, enc, p, len, count, out);
    uint8_t *tmp = scratch(&c->s->vals, count, c->pw);
    if (!tmp) return oom(c);
    vf_status st = decode_fixed(c, enc, p, len, count, tmp);
    if (st == VF_OK) convert(c, tmp, count, out);
    return st;
}

/* ================================================================== */
/* levels                                                              */
/* ================================================================== */
/* The page's definition levels as validity (1/0) at valid[0..n); the
 * number of non-null values in *nn. */
static vf_status decode_levels(chunk *c, const page *pg, size_t n, uint8_t *valid, size_t *nn) {
    const int maxd = c->l->max_def;
    if (maxd == 0) {
        if (valid) memset(valid, 1, n);
        *nn = n;
        return VF_OK;
    }
    vf_status st;
    if (pg->levels_bitpacked) {
        st = pq_bitpacked_decode_u8(pg->levels, pg->levels_len, c->def_bw, valid, n, c->err);
    } else {
        pq_rle_dec d;
        pq_rle_init(&d, pg->levels, pg->levels_len, c->def_bw);
        st = pq_rle_get_u8(&d, valid, n, c->err);
    }
    if (st != VF_OK) return locate(c, st);
    size_t k = 0;
    if (maxd == 1) { /* levels of bit width 1 are 0/1: the validity already */
        for (size_t i = 0; i < n; i++) k += valid[i];
    } else {
        uint8_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t lv = valid[i];
            bad |= lv > maxd;
            valid[i] = lv == maxd;
            k += valid[i];
        }
        if (bad) return fail(c, "a definition level above the column's maximum %d", maxd);
    }
    *nn = k;
    return VF_OK;
}

/* ================================================================== */
/* pages                                                               */
/* ================================================================== */
/* n rows of a page as output values and validity at vals/valid; *nn_out gets
 * the number of non-null rows. */
static vf_status decode_rows(chunk *c, const page *pg, size_t n, uint8_t *vals, uint8_t *valid, size_t *nn_out) {
    size_t nn = 0;
    vf_status st = decode_levels(c, pg, n, valid, &nn);
    if (st != VF_OK) return st;
    *nn_out = nn;
    if (pg->encoding == PQ_PLAIN && c->conv == CONV_NONE && c->l->physical != PQ_BOOLEAN && c->pw == c->ow) {
        /* spread straight from the page: no dense copy first */
        if ((st = plain_fits(c, nn, pg->values_len)) == VF_OK) spread(vals, pg->values, valid, n, nn, c->ow, 0);
        return st;
    }
    if ((st = decode_values(c, pg, nn, vals)) != VF_OK) return st;
    spread(vals, vals, valid, n, nn, c->ow, c->conv == CONV_BYTES ? -1 : 0);
    return VF_OK;
}

/* The page's bytes after decompression: the body itself when it is not compressed. */
static vf_status page_bytes(chunk *c, const uint8_t *body, size_t cs, int64_t us, bool compressed, const uint8_t **out,
                            size_t *len) {
    if (!compressed || c->md->codec == VF_BC_UNCOMPRESSED || cs == 0) {
        *out = body;
        *len = cs;
        return VF_OK;
    }
    if (us < 0) return fail(c, "negative uncompressed page size %lld", (long long)us);
    uint8_t *dst = scratch(&c->s->page, (size_t)us, 1);
    if (!dst) return oom(c);
    vf_status st = vf_block_decompress(c->s->z, c->md->codec, body, cs, dst, (size_t)us, c->err);
    if (st != VF_OK) return locate(c, st == VF_EFORMAT ? VF_EFORMAT : VF_ECODEC);
    *out = dst;
    *len = (size_t)us;
    return VF_OK;
}

/* Split a data page (v1 or v2) into levels and values. */
static vf_status parse_data_page(chunk *c, const pq_page_header *h, const uint8_t *body, size_t cs, page *pg) {
    memset(pg, 0, sizeof *pg);
    const bool flat_def = c->l->max_def > 0;
    if (h->type == PQ_DATA_PAGE) {
        const pq_data_page_header *d = &h->data_page_header;
        if (d->num_values < 0) return fail(c, "negative value count %d", (int)d->num_values);
        pg->nvalues = d->num_values;
        pg->encoding = d->encoding;
        const uint8_t *p = NULL;
        size_t len = 0;
        vf_status st = page_bytes(c, body, cs, h->uncompressed_page_size, true, &p, &len);
        if (st != VF_OK) return st;
        if (flat_def) {
            if (d->definition_level_encoding == PQ_RLE) {
                if (len < 4 || le32(p) > len - 4) return fail(c, "definition levels: bad length prefix");
                pg->levels = p + 4;
                pg->levels_len = le32(p);
            } else if (d->definition_level_encoding == PQ_BIT_PACKED) {
                size_t need = ((size_t)d->num_values * (size_t)c->def_bw + 7) / 8;
                if (need > len) return fail(c, "BIT_PACKED definition levels overrun the page");
                pg->levels = p;
                pg->levels_len = need;
                pg->levels_bitpacked = true;
            } else {
                return fail(c, "definition levels in encoding %s", enc_name(d->definition_level_encoding));
            }
            size_t skip = pg->levels_bitpacked ? pg->levels_len : 4 + pg->levels_len;
            p += skip;
            len -= skip;
        }
        pg->values = p;
        pg->values_len = len;
        return VF_OK;
    }
    const pq_data_page_header_v2 *d = &h->data_page_header_v2;
    if (d->num_values < 0 || d->num_rows < 0 || d->num_nulls < 0 || d->num_nulls > d->num_values)
        return fail(c, "bad counts: %d values, %d nulls, %d rows", (int)d->num_values, (int)d->num_nulls,
                    (int)d->num_rows);
    if (d->num_rows != d->num_values)
        return fail(c, "%d rows but %d values in a flat column", (int)d->num_rows, (int)d->num_values);
    int64_t rl = d->repetition_levels_byte_length, dl = d->definition_levels_byte_length;
    if (rl < 0 || dl < 0 || (uint64_t)rl + (uint64_t)dl > cs)
        return fail(c, "level lengths %lld + %lld exceed the page's %zu bytes", (long long)rl, (long long)dl, cs);
    pg->nvalues = d->num_values;
    pg->encoding = d->encoding;
    pg->levels = body + rl; /* levels of v2 pages are never compressed */
    pg->levels_len = (size_t)dl;
    if (flat_def && dl == 0 && d->num_values > 0)
        return fail(c, "no definition levels in a page of an optional column");
    int64_t vus = (int64_t)h->uncompressed_page_size - rl - dl;
    return page_bytes(c, body + rl + dl, cs - (size_t)(rl + dl), vus, d->is_compressed, &pg->values, &pg->values_len);
}

/* A dictionary page: its values, converted, become the current dictionary. */
static vf_status load_dictionary(chunk *c, const pq_page_header *h, const uint8_t *body, size_t cs) {
    if (!h->has_dictionary_page_header) return fail(c, "a dictionary page without its header");
    const pq_dict_page_header *d = &h->dictionary_page_header;
    if (d->num_values < 0) return fail(c, "dictionary page of %d values", (int)d->num_values);
    if (d->encoding != PQ_PLAIN && d->encoding != PQ_PLAIN_DICTIONARY)
        return fail(c, "dictionary page in encoding %s", enc_name(d->encoding));
    const uint8_t *p = NULL;
    size_t len = 0, n = (size_t)d->num_values;
    vf_status st = page_bytes(c, body, cs, h->uncompressed_page_size, true, &p, &len);
    if (st != VF_OK) return st;
    page pg = {(int64_t)n, PQ_PLAIN, NULL, 0, false, p, len};
    c->has_dict = false;
    if (c->conv == CONV_BYTES) {
        /* PLAIN takes 4 bytes a value at least (a length), or the fixed length: check before allocating */
        if (c->l->physical == PQ_FIXED_LEN_BYTE_ARRAY ? n > len / c->pw : n > len / 4)
            return fail(c, "dictionary page: %zu values do not fit its %zu bytes", n, len);
        pq_view *v = NULL;
        if ((st = decode_views(c, PQ_PLAIN, p, len, n, &v)) != VF_OK) return st;
        int32_t *map = vf_realloc_n(c->dict_map, n ? n : 1, sizeof *map);
        if (!map) return oom(c);
        c->dict_map = map;
        c->dict_lazy = c->j->ranges != NULL;
        if (c->dict_lazy) {
            /* keep the entries: the page's bytes (scratch that the next page would
             * overwrite: swap them aside) and their views (likewise) */
            if (p == c->s->page.p) {
                vf_buf t = c->s->page;
                c->s->page = c->s->dict_page;
                c->s->dict_page = t;
            }
            pq_view *dv = vf_realloc_n(c->dict_views, n ? n : 1, sizeof *dv);
            if (!dv) return oom(c);
            c->dict_views = dv;
            memcpy(dv, v, n * sizeof *dv);
            memset(map, 0xff, n * sizeof *map); /* -1: not in j->dict yet */
            c->dict_identity = false;
        } else {
            if (!vf_dict_reserve(c->j->dict, n, c->j->vtype == VF_T_ADDR ? 0 : len)) return oom(c);
            if ((st = put_views(c, v, n, map)) != VF_OK) return st;
            c->dict_identity = true;
            for (size_t i = 0; i < n; i++) c->dict_identity &= map[i] == (int32_t)i;
        }
    } else {
        /* PLAIN needs pw bytes a value (BOOLEAN one bit): check before allocating */
        if (c->l->physical == PQ_BOOLEAN ? n / 8 > len : n > len / c->pw)
            return fail(c, "dictionary page: %zu values do not fit its %zu bytes", n, len);
        uint8_t *vals = vf_realloc_n(c->dict_vals, n ? n : 1, c->ow);
        if (!vals) return oom(c);
        c->dict_vals = vals;
        if ((st = decode_values(c, &pg, n, vals)) != VF_OK) return st;
    }
    c->dict_n = (int32_t)n;
    c->has_dict = true;
    return VF_OK;
}

/* Where a page's rows go: direct (all rows wanted, contiguous in the
 * output), partial (some wanted) or none.  *out_row: the output row of the
 * page's first row when direct. */
typedef enum { WANT_NONE, WANT_ALL, WANT_SOME } want_kind;

static want_kind page_wanted(chunk *c, int64_t p0, int64_t p1, int64_t *out_row) {
    const pq_chunk_job *j = c->j;
    if (!j->ranges) {
        *out_row = p0;
        return WANT_ALL;
    }
    while (c->range_i < j->nranges && j->ranges[c->range_i].end <= p0) {
        c->range_out += j->ranges[c->range_i].end - j->ranges[c->range_i].start;
        c->range_i++;
    }
    if (c->range_i == j->nranges || j->ranges[c->range_i].start >= p1) return WANT_NONE;
    const pq_range *r = &j->ranges[c->range_i];
    if (r->start <= p0 && p1 <= r->end) {
        *out_row = c->range_out + (p0 - r->start);
        return WANT_ALL;
    }
    return WANT_SOME;
}

/* A lazy dictionary's page indices at v[0..n) (-1: null) become codes of
 * j->dict, entries entering it as they are first used. */
static vf_status map_lazy(chunk *c, int32_t *v, size_t n) {
    int32_t *map = c->dict_map;
    for (size_t i = 0; i < n; i++) {
        int32_t x = v[i];
        if (x < 0) continue;
        if (map[x] < 0) {
            vf_status st = put_views(c, c->dict_views + x, 1, map + x);
            if (st != VF_OK) return st;
        }
        v[i] = map[x];
    }
    return VF_OK;
}

/* Copy the wanted rows of a page decoded into scratch to the output
 * (mapping a lazy dictionary's indices there). */
static vf_status copy_wanted(chunk *c, int64_t p0, int64_t p1, const uint8_t *vals, const uint8_t *valid, bool lazy) {
    const pq_chunk_job *j = c->j;
    int64_t out = c->range_out;
    for (size_t k = c->range_i; k < j->nranges && j->ranges[k].start < p1; k++) {
        const pq_range *r = &j->ranges[k];
        int64_t a = r->start > p0 ? r->start : p0, b = r->end < p1 ? r->end : p1;
        if (a < b) {
            int64_t o = out + (a - r->start);
            uint8_t *dst = j->values + (size_t)o * c->ow;
            memcpy(dst, vals + (size_t)(a - p0) * c->ow, (size_t)(b - a) * c->ow);
            if (j->valid) memcpy(j->valid + o, valid + (a - p0), (size_t)(b - a));
            if (c->l->nullable) { /* else every row is valid */
                int64_t ok = 0;
                for (int64_t i = a - p0; i < b - p0; i++) ok += valid[i];
                c->j->nulls += (b - a) - ok;
            }
            if (lazy) {
                vf_status st = map_lazy(c, (int32_t *)(void *)dst, (size_t)(b - a));
                if (st != VF_OK) return st;
            }
        }
        out += r->end - r->start;
    }
    return VF_OK;
}

/* The rows of a partly wanted page [p0, p1) that must be decoded: up to its
 * last wanted row, for the encodings whose first values decode alone
 * (PLAIN and dictionary indices; not BYTE_STREAM_SPLIT, whose layout
 * depends on the page's value count, nor the others, to be safe). */
static int64_t rows_needed(const chunk *c, int enc, int64_t p0, int64_t p1) {
    if (enc != PQ_PLAIN && enc != PQ_PLAIN_DICTIONARY && enc != PQ_RLE_DICTIONARY) return p1 - p0;
    const pq_chunk_job *j = c->j;
    int64_t last = p0;
    for (size_t k = c->range_i; k < j->nranges && j->ranges[k].start < p1; k++)
        last = j->ranges[k].end < p1 ? j->ranges[k].end : p1;
    return last > p0 ? last - p0 : p1 - p0;
}

/* Decode a data page's rows [p0, p0 + rows) into the output. */
static vf_status read_data_page(chunk *c, const pq_page_header *h, const uint8_t *body, size_t cs, int64_t p0) {
    page pg;
    vf_status st = parse_data_page(c, h, body, cs, &pg);
    if (st != VF_OK) return st;
    int64_t out_row, n = pg.nvalues;
    want_kind w = page_wanted(c, p0, p0 + n, &out_row);
    /* a lazy dictionary's indices are mapped to codes once in place (decode_values leaves them) */
    const bool lazy = c->dict_lazy && (pg.encoding == PQ_PLAIN_DICTIONARY || pg.encoding == PQ_RLE_DICTIONARY);
    if (w == WANT_NONE) return VF_OK; /* not reached: the caller checks first */
    if (w == WANT_ALL) {
        /* dictionary columns have no validity array (code -1 is null): levels go to scratch */
        uint8_t *valid = c->j->valid ? c->j->valid + out_row : NULL;
        if (!valid && c->l->max_def > 0 && !(valid = scratch(&c->s->valid, (size_t)n, 1))) return oom(c);
        uint8_t *dst = c->j->values + (size_t)out_row * c->ow;
        size_t nn;
        st = decode_rows(c, &pg, (size_t)n, dst, valid, &nn);
        if (st == VF_OK) c->j->nulls += n - (int64_t)nn;
        if (st == VF_OK && lazy) st = map_lazy(c, (int32_t *)(void *)dst, (size_t)n);
        return st;
    }
    int64_t m = rows_needed(c, pg.encoding, p0, p0 + n);
    uint8_t *vals = scratch(&c->s->part, (size_t)m, c->ow), *valid = vals ? scratch(&c->s->valid, (size_t)m, 1) : NULL;
    if (!valid) return oom(c);
    size_t nn; /* counts rows not wanted too: copy_wanted counts the wanted rows' nulls */
    st = decode_rows(c, &pg, (size_t)m, vals, valid, &nn);
    if (st == VF_OK) st = copy_wanted(c, p0, p0 + m, vals, valid, lazy);
    return st;
}

/* The rows a data page holds, from its header. */
static int64_t page_rows(const pq_page_header *h) {
    return h->type == PQ_DATA_PAGE ? h->data_page_header.num_values : h->data_page_header_v2.num_values;
}

/* Read the page header at file offset pos (n bytes available): header,
 * body and its size, checked. */
static vf_status read_header(chunk *c, size_t pos, size_t n, pq_page_header *h, const uint8_t **body, size_t *cs) {
    size_t used;
    c->loc.offset = (int64_t)pos;
    vf_status st = pq_decode_page_header(c->f->data + pos, n, h, &used, c->err);
    if (st != VF_OK) return locate(c, st);
    if (h->compressed_page_size < 0 || (size_t)h->compressed_page_size > n - used)
        return fail(c, "page of %d bytes overruns the column chunk (%zu bytes left)", (int)h->compressed_page_size,
                    n - used);
    if ((h->type == PQ_DATA_PAGE && !h->has_data_page_header) || (h->type == PQ_DATA_PAGE_V2 && !h->has_data_page_header_v2))
        return fail(c, "%s without its header", pq_page_type_name(h->type));
    *body = c->f->data + pos + used;
    *cs = (size_t)h->compressed_page_size;
    c->j->bytes_read += (int64_t)used;
    if (c->j->check_crc && h->has_crc && (uint32_t)h->crc != (uint32_t)crc32(0, *body, (uInt)*cs))
        return fail(c, "page CRC mismatch: the page is corrupt");
    return VF_OK;
}

/* ================================================================== */
/* the chunk                                                           */
/* ================================================================== */
/* Pages one after another from the chunk's start. */
static vf_status read_sequential(chunk *c, size_t pos, size_t end, int64_t rows) {
    int64_t row = 0;
    for (c->loc.page = 0; row < rows; c->loc.page++) {
        c->loc.offset = (int64_t)pos;
        if (pos >= end)
            return fail(c, "the column chunk ends after %lld of the row group's %lld rows", (long long)row,
                        (long long)rows);
        pq_page_header h;
        const uint8_t *body;
        size_t cs;
        vf_status st = read_header(c, pos, end - pos, &h, &body, &cs);
        if (st != VF_OK) return st;
        pos = (size_t)(body - c->f->data) + cs;
        if (h.type == PQ_DICTIONARY_PAGE) {
            c->j->bytes_read += (int64_t)cs;
            if ((st = load_dictionary(c, &h, body, cs)) != VF_OK) return st;
        } else if (h.type == PQ_DATA_PAGE || h.type == PQ_DATA_PAGE_V2) {
            int64_t n = page_rows(&h), out_row;
            if (n < 0 || n > rows - row)
                return fail(c, "page of %lld values: more than the row group's %lld rows", (long long)n, (long long)rows);
            if (page_wanted(c, row, row + n, &out_row) == WANT_NONE) {
                c->j->pages_skipped++;
            } else {
                c->j->bytes_read += (int64_t)cs;
                c->j->pages_read++;
                if ((st = read_data_page(c, &h, body, cs, row)) != VF_OK) return st;
            }
            row += n;
        } /* index pages and unknown page types are skipped */
    }
    return VF_OK;
}

/* Only the pages the offset index says hold wanted rows. */
static vf_status read_indexed(chunk *c, const pq_offset_index *oi, size_t start, int64_t rows) {
    const pq_page_location *pl = oi->page_locations;
    vf_status st;
    /* a dictionary page sits between the chunk's start and its first data page */
    if ((size_t)pl[0].offset > start) {
        pq_page_header h;
        const uint8_t *body;
        size_t cs;
        c->loc.page = 0;
        if ((st = read_header(c, start, (size_t)pl[0].offset - start, &h, &body, &cs)) != VF_OK) return st;
        c->j->bytes_read += (int64_t)cs;
        if (h.type == PQ_DICTIONARY_PAGE && (st = load_dictionary(c, &h, body, cs)) != VF_OK) return st;
    }
    for (int k = 0; k < oi->n_pages; k++) {
        int64_t p0 = pl[k].first_row_index, p1 = k + 1 < oi->n_pages ? pl[k + 1].first_row_index : rows, out_row;
        c->loc.page = k;
        if (page_wanted(c, p0, p1, &out_row) == WANT_NONE) {
            c->j->pages_skipped++;
            continue;
        }
        pq_page_header h;
        const uint8_t *body;
        size_t cs;
        if ((st = read_header(c, (size_t)pl[k].offset, (size_t)pl[k].compressed_page_size, &h, &body, &cs)) != VF_OK)
            return st;
        if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2)
            return fail(c, "the offset index points at a %s, not a data page", pq_page_type_name(h.type));
        if (page_rows(&h) != p1 - p0)
            return fail(c, "page of %lld values where the offset index says %lld rows", (long long)page_rows(&h),
                        (long long)(p1 - p0));
        c->j->bytes_read += (int64_t)cs;
        c->j->pages_read++;
        if ((st = read_data_page(c, &h, body, cs, p0)) != VF_OK) return st;
    }
    return VF_OK;
}

static vf_status setup(chunk *c) {
    const pq_leaf *l = c->l;
    if (c->md->type != l->physical)
        return fail(c, "column chunk of type %s in a column of type %s", pq_type_name(c->md->type),
                    pq_type_name(l->physical));
    if (c->md->num_values < 0) return fail(c, "negative value count");
    if (!vf_block_supported(c->md->codec))
        return fail(c, "unsupported codec %s in column '%s'", vf_block_name(c->md->codec), l->name);
    c->ow = vf_type_width(c->j->vtype);
    c->def_bw = pq_bit_width((uint64_t)l->max_def);
    switch (l->physical) {
    case PQ_BOOLEAN: c->pw = 1; break;
    case PQ_INT32: c->pw = 4; break;
    case PQ_INT64: case PQ_DOUBLE: c->pw = 8; break;
    case PQ_FLOAT: c->pw = 4; break;
    case PQ_INT96: c->pw = 12; c->conv = CONV_INT96; break;
    case PQ_FIXED_LEN_BYTE_ARRAY: c->pw = (size_t)l->type_length; break;
    default: c->pw = 0;
    }
    if (vf_type_is_dict(c->j->vtype))
        c->conv = CONV_BYTES;
    else if (l->physical == PQ_FIXED_LEN_BYTE_ARRAY)
        c->conv = CONV_F16;
    else if (l->physical == PQ_INT32 && c->ow < 4)
        c->conv = CONV_NARROW;
    return VF_OK;
}

vf_status pq_read_chunk(pq_chunk_job *j, pq_scratch *s, vf_error *err) {
    chunk c = {0};
    c.j = j;
    c.s = s;
    c.f = j->f;
    c.l = &j->f->leaves[j->leaf];
    c.md = &j->f->meta.row_groups[j->rg].columns[j->leaf].meta;
    c.loc = (pq_loc){j->f, c.l->name, j->rg, -1, -1};
    c.err = err;
    if (!s->z && !(s->z = vf_blockz_new())) return oom(&c);
    const int64_t rows = j->f->meta.row_groups[j->rg].num_rows;
    if (rows == 0) return VF_OK; /* nothing to read (some writers leave empty chunks' offsets at 0) */
    vf_status st = setup(&c);
    size_t start = 0, end = 0;
    if (st == VF_OK) st = pq_chunk_range(j->f, j->rg, j->leaf, &start, &end, err);
    if (st == VF_OK && c.conv == CONV_BYTES && !j->dict && !(j->dict = vf_dict_new(j->vtype)))
        st = oom(&c);
    if (st == VF_OK) {
        pq_column_index *ci = NULL;
        pq_offset_index *oi = NULL;
        bool indexed = false;
        if (j->ranges && j->f->meta.row_groups[j->rg].columns[j->leaf].has_offset_index) {
            /* a damaged offset index only costs the skipping: read every page instead */
            vf_arena_free(&s->arena);
            vf_error tmp;
            vf_error_clear(&tmp);
            indexed = pq_page_index(j->f, j->rg, j->leaf, &s->arena, &ci, &oi, &tmp) == VF_OK && oi && oi->n_pages > 0;
        }
        st = indexed ? read_indexed(&c, oi, start, rows) : read_sequential(&c, start, end, rows);
    }
    free(c.dict_vals);
    free(c.dict_map);
    free(c.dict_views);
    return st;
}

void pq_scratch_free(pq_scratch *s) {
    vf_blockz_free(s->z);
    vf_buf_free(&s->page);
    vf_buf_free(&s->dict_page);
    vf_buf_free(&s->vals);
    vf_buf_free(&s->valid);
    vf_buf_free(&s->part);
    vf_buf_free(&s->views);
    vf_buf_free(&s->idx);
    vf_buf_free(&s->dba);
    vf_arena_free(&s->arena);
    memset(s, 0, sizeof *s);
}
