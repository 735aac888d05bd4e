/*
 * wchunk.c - one column chunk of the Parquet writer, encoded in memory.
 *
 * A chunk is rows [r0, r0 + n) of one column.  What it becomes:
 *
 *   strings, addresses, binary: the dictionary entries the rows use are
 *     found (a global-code -> local-code map, reset after each chunk),
 *     addresses rendered as text, the entries sorted (unsigned bytes, or
 *     as decimals), and given dense local codes in that order.  If their
 *     PLAIN dictionary page fits the limit the chunk is a dictionary page
 *     plus RLE_DICTIONARY data pages; otherwise PLAIN data pages.  Either
 *     way a page's min/max are the entries of its smallest and largest
 *     local code, and the chunk's the first and last entry.
 *   numbers and bools: the non-null values of a page gathered in their
 *     physical type (the source array itself when the page has no nulls
 *     and needs no widening), PLAIN or DELTA_BINARY_PACKED; "auto"
 *     encodes and compresses a sample of the chunk both ways once and
 *     keeps the smaller.
 *
 * Every page: definition levels RLE (a single run when there are no
 * nulls), statistics in its header, the body compressed with the thread's
 * vf_blockz.  Then the chunk statistics, the encoded ColumnIndex, and the
 * bloom filter.  Scratch buffers belong to the worker thread and keep
 * their capacity from chunk to chunk.
 */
#include "wint.h"

#include "bloom.h"

#include <math.h>

/* Byte-array statistics longer than this are left out (as parquet-cpp
 * does), and so is the ColumnIndex of that chunk. */
#define PQ_MAX_STAT_BYTES 4096
/* Values the "auto" integer encoding looks at to choose. */
#define PQ_AUTO_SAMPLE 16384

/* ================================================================== */
/* scratch                                                             */
/* ================================================================== */
/* Make *p hold at least n elements of sz bytes (contents kept). */
static bool grow(void *pp, size_t *cap, size_t n, size_t sz) {
    void **p = pp;
    if (n <= *cap && *p) return true;
    size_t c = *cap ? *cap : 1024;
    while (c < n) c *= 2;
    void *q = vf_realloc_n(*p, c, sz);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

void pq_wscratch_free(pq_wscratch *s) {
    vf_blockz_free(s->z);
    free(s->map);
    free(s->used);
    free(s->views);
    free(s->sortv);
    free(s->idx);
    free(s->lvl);
    free(s->hset);
    vf_buf *bufs[] = {&s->text, &s->gath, &s->lv, &s->vals, &s->body, &s->comp, &s->alt, &s->hdr};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) vf_buf_free(bufs[i]);
    memset(s, 0, sizeof *s);
}

void pq_wchunk_free(pq_wchunk *c) {
    vf_buf_free(&c->data);
    vf_buf_free(&c->minmax);
    vf_buf_free(&c->ci);
    vf_buf_free(&c->bloom);
    free(c->pages);
    memset(c, 0, sizeof *c);
}

static vf_status chunk_fail(pq_wchunk *out, const pq_wcol *c, vf_status st, const char *fmt, const char *detail) {
    vf_fail(&out->err, st, fmt, c->name, detail);
    vf_copy_text(out->err.field, sizeof out->err.field, c->name, strlen(c->name));
    return out->st = st;
}

static vf_status oom(pq_wchunk *out, const pq_wcol *c) {
    return chunk_fail(out, c, VF_ENOMEM, "column %s: out of memory%s", "");
}

/* ================================================================== */
/* values of a sort kind: raw bits, comparison, PLAIN bytes            */
/* ================================================================== */
static int raw_cmp(pq_wsort k, uint64_t a, uint64_t b) {
    switch (k) {
    case PQ_WS_I32: return (int32_t)(uint32_t)a < (int32_t)(uint32_t)b ? -1 : (int32_t)(uint32_t)a > (int32_t)(uint32_t)b;
    case PQ_WS_I64: return (int64_t)a < (int64_t)b ? -1 : (int64_t)a > (int64_t)b;
    case PQ_WS_F32: {
        float x, y;
        uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
        memcpy(&x, &ua, 4);
        memcpy(&y, &ub, 4);
        return x < y ? -1 : x > y;
    }
    case PQ_WS_F64: {
        double x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        return x < y ? -1 : x > y;
    }
    default: return a < b ? -1 : a > b; /* U32, U64, BOOL */
    }
}

static size_t raw_width(pq_wsort k) {
    return k == PQ_WS_BOOL ? 1 : (k == PQ_WS_I32 || k == PQ_WS_U32 || k == PQ_WS_F32) ? 4 : 8;
}

/* Whether the deprecated Statistics.min/max (signed order) mean the same. */
static bool signed_order(pq_wsort k) { return k == PQ_WS_I32 || k == PQ_WS_I64 || k == PQ_WS_BOOL; }

/* unsigned lexicographic order of byte strings */
static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    int r = memcmp(a, b, an < bn ? an : bn);
    return r ? r : (an > bn) - (an < bn);
}

/* big-endian two's complement integers of any length (decimals) */
static int dec_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    bool na = an && a[0] >= 0x80, nb = bn && b[0] >= 0x80;
    if (na != nb) return na ? -1 : 1;
    const uint8_t ext = na ? 0xff : 0;
    size_t len = an > bn ? an : bn;
    for (size_t i = 0; i < len; i++) {
        uint8_t x = i < len - an ? ext : a[i - (len - an)];
        uint8_t y = i < len - bn ? ext : b[i - (len - bn)];
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

static int view_cmp(pq_wsort k, pq_view a, pq_view b) {
    return k == PQ_WS_DEC ? dec_cmp(a.p, a.n, b.p, b.n) : bytes_cmp(a.p, a.n, b.p, b.n);
}

/* Statistics with min/max (NULL: none) and a null count. */
static void set_stats(pq_stats *st, pq_wsort k, int64_t nulls, const uint8_t *mn, size_t mnl, const uint8_t *mx,
                      size_t mxl) {
    memset(st, 0, sizeof *st);
    st->has_null_count = true;
    st->null_count = nulls;
    if (!mn) return;
    st->min_value = (pq_bytes){mn, mnl};
    st->max_value = (pq_bytes){mx, mxl};
    if (signed_order(k)) {
        st->min = st->min_value;
        st->max = st->max_value;
    }
}

/* ================================================================== */
/* gathering non-null values in their physical type                    */
/* ================================================================== */
/* Rows [0, n) of src (S) as D into dst (room for n): all of them, or the
 * valid ones (written unconditionally, kept by advancing the cursor, so
 * the loop has no branch).  Returns how many. */
#define PQ_DEF_GATHER(NAME, S, D, CONV)                                      \
    static size_t NAME(const void *src, const uint8_t *valid, size_t n, void *dst) { \
        const S *s = src;                                                    \
        D *d = dst;                                                          \
        if (!valid) {                                                        \
            for (size_t i = 0; i < n; i++) d[i] = CONV(s[i]);                \
            return n;                                                        \
        }                                                                    \
        size_t k = 0;                                                        \
        for (size_t i = 0; i < n; i++) {                                     \
            d[k] = CONV(s[i]);                                               \
            k += valid[i] != 0;                                              \
        }                                                                    \
        return k;                                                            \
    }
#define PQ_AS_I32(x) ((int32_t)(x))
#define PQ_SAME(x) (x)
#define PQ_AS_BOOL(x) ((uint8_t)((x) != 0))
PQ_DEF_GATHER(gather_i8, int8_t, int32_t, PQ_AS_I32)
PQ_DEF_GATHER(gather_i16, int16_t, int32_t, PQ_AS_I32)
PQ_DEF_GATHER(gather_u8, uint8_t, int32_t, PQ_AS_I32)
PQ_DEF_GATHER(gather_u16, uint16_t, int32_t, PQ_AS_I32)
PQ_DEF_GATHER(gather_32, uint32_t, uint32_t, PQ_SAME)
PQ_DEF_GATHER(gather_64, uint64_t, uint64_t, PQ_SAME)
PQ_DEF_GATHER(gather_bool, uint8_t, uint8_t, PQ_AS_BOOL)

typedef size_t (*gather_fn)(const void *src, const uint8_t *valid, size_t n, void *dst);

static gather_fn gather_for(vf_type t) {
    switch (t) {
    case VF_T_INT8: return gather_i8;
    case VF_T_INT16: return gather_i16;
    case VF_T_UINT8: return gather_u8;
    case VF_T_UINT16: return gather_u16;
    case VF_T_BOOL: return gather_bool;
    case VF_T_INT64:
    case VF_T_UINT64:
    case VF_T_FLOAT64: return gather_64;
    default: return gather_32; /* int32, uint32, float32 */
    }
}

/* min/max of n gathered values as raw bits; false when there is none */
#define PQ_DEF_MINMAX(NAME, T, BITS)                                       \
    static bool NAME(const void *v, size_t n, uint64_t *mn, uint64_t *mx) { \
        const T *p = v;                                                    \
        if (!n) return false;                                              \
        T lo = p[0], hi = p[0];                                            \
        for (size_t i = 1; i < n; i++) {                                   \
            lo = p[i] < lo ? p[i] : lo;                                    \
            hi = p[i] > hi ? p[i] : hi;                                    \
        }                                                                  \
        *mn = (uint64_t)(BITS)lo;                                          \
        *mx = (uint64_t)(BITS)hi;                                          \
        return true;                                                       \
    }
PQ_DEF_MINMAX(minmax_i32, int32_t, uint32_t)
PQ_DEF_MINMAX(minmax_u32, uint32_t, uint32_t)
PQ_DEF_MINMAX(minmax_i64, int64_t, uint64_t)
PQ_DEF_MINMAX(minmax_u64, uint64_t, uint64_t)
PQ_DEF_MINMAX(minmax_bool, uint8_t, uint8_t)

/* Floats: NaN never compares less or greater, so it drops out by itself;
 * no value but NaN means no min/max.  A zero min is written -0, a zero
 * max +0 (the spec's rule, since -0 == +0). */
#define PQ_DEF_MINMAX_FLOAT(NAME, T, BITS)                                 \
    static bool NAME(const void *v, size_t n, uint64_t *mn, uint64_t *mx) { \
        const T *p = v;                                                    \
        T lo = (T)INFINITY, hi = (T)-INFINITY;                             \
        bool any = false;                                                  \
        for (size_t i = 0; i < n; i++) {                                   \
            T x = p[i];                                                    \
            any |= x == x;                                                 \
            lo = x < lo ? x : lo;                                          \
            hi = x > hi ? x : hi;                                          \
        }                                                                  \
        if (!any) return false;                                            \
        if (lo == 0) lo = (T)-0.0;                                         \
        if (hi == 0) hi = (T)0.0;                                          \
        BITS a, b;                                                         \
        memcpy(&a, &lo, sizeof a);                                         \
        memcpy(&b, &hi, sizeof b);                                         \
        *mn = a;                                                           \
        *mx = b;                                                           \
        return true;                                                       \
    }
PQ_DEF_MINMAX_FLOAT(minmax_f32, float, uint32_t)
PQ_DEF_MINMAX_FLOAT(minmax_f64, double, uint64_t)

typedef bool (*minmax_fn)(const void *v, size_t n, uint64_t *mn, uint64_t *mx);

static minmax_fn minmax_for(pq_wsort k) {
    switch (k) {
    case PQ_WS_I32: return minmax_i32;
    case PQ_WS_U32: return minmax_u32;
    case PQ_WS_I64: return minmax_i64;
    case PQ_WS_U64: return minmax_u64;
    case PQ_WS_F32: return minmax_f32;
    case PQ_WS_F64: return minmax_f64;
    default: return minmax_bool;
    }
}

/* ================================================================== */
/* pages                                                               */
/* ================================================================== */
/* Definition levels of n rows without nulls: one RLE run of 1s. */
static void put_level_run(vf_buf *b, size_t n) {
    uint64_t h = (uint64_t)n << 1;
    while (h >= 0x80) {
        vf_buf_push(b, (uint8_t)(h | 0x80));
        h >>= 7;
    }
    vf_buf_push(b, (uint8_t)h);
    vf_buf_push(b, 1);
}

static bool add_page(pq_wchunk *out, pq_wpage pg) {
    if (out->npages == out->cap_pages) {
        size_t cap = (size_t)out->cap_pages;
        if (!grow(&out->pages, &cap, cap + 1, sizeof *out->pages)) return false;
        out->cap_pages = (int)(cap > INT32_MAX ? INT32_MAX : cap);
    }
    out->pages[out->npages++] = pg;
    return true;
}

/* Compress src[0..n) into s->comp, or hand src back when there is no codec. */
static vf_status compress(const pq_wcol *c, const pq_write_opts *o, pq_wscratch *s, const uint8_t *src, size_t n,
                          const uint8_t **res, size_t *len, pq_wchunk *out) {
    if (o->codec == VF_BC_UNCOMPRESSED) {
        *res = src;
        *len = n;
        return VF_OK;
    }
    s->comp.len = 0;
    vf_error e;
    vf_status st = vf_block_compress(s->z, o->codec, o->level, src, n, &s->comp, &e);
    *res = s->comp.p;
    *len = s->comp.len;
    return st == VF_OK ? VF_OK : chunk_fail(out, c, st, "column %s: %s", e.msg);
}

/* Append a page: header h (sizes filled in here), then [levels], then the
 * payload. */
static vf_status put_page(const pq_wcol *c, pq_wscratch *s, pq_wchunk *out, pq_page_header *h, size_t raw_len,
                          const uint8_t *lv, size_t lv_len, const uint8_t *payload, size_t payload_len) {
    if (raw_len + lv_len > INT32_MAX || payload_len + lv_len > INT32_MAX)
        return chunk_fail(out, c, VF_EARG, "column %s: a page would exceed 2 GiB%s", "");
    h->uncompressed_page_size = (int32_t)(raw_len + lv_len);
    h->compressed_page_size = (int32_t)(payload_len + lv_len);
    s->hdr.len = 0;
    pq_encode_page_header(&s->hdr, h);
    vf_buf_append(&out->data, s->hdr.p, s->hdr.len);
    vf_buf_append(&out->data, lv, lv_len);
    vf_buf_append(&out->data, payload, payload_len);
    out->uncompressed += (int64_t)(s->hdr.len + raw_len + lv_len);
    if (s->hdr.oom || out->data.oom) return oom(out, c);
    return VF_OK;
}

/* What a data page holds besides s->lv (levels) and s->vals (values). */
typedef struct page_info {
    int64_t first_row;
    size_t rows, nulls;
    int encoding;
    bool has_minmax;
    uint64_t min, max;          /* raw bits, or local codes */
    const uint8_t *mn, *mx;     /* their PLAIN bytes */
    size_t mnl, mxl;
} page_info;

static vf_status emit_data_page(const pq_wcol *c, const pq_write_opts *o, pq_wscratch *s, pq_wchunk *out,
                                const page_info *pi) {
    pq_page_header h;
    memset(&h, 0, sizeof h);
    pq_stats *st;
    const uint8_t *payload;
    size_t plen, raw_len;
    const uint8_t *lv = NULL;
    size_t lv_len = 0;
    vf_status rc;
    if (o->data_page_version == 2) {
        h.type = PQ_DATA_PAGE_V2;
        h.has_data_page_header_v2 = true;
        pq_data_page_header_v2 *d = &h.data_page_header_v2;
        d->num_values = d->num_rows = (int32_t)pi->rows;
        d->num_nulls = (int32_t)pi->nulls;
        d->encoding = pi->encoding;
        d->definition_levels_byte_length = (int32_t)s->lv.len;
        d->is_compressed = o->codec != VF_BC_UNCOMPRESSED;
        d->has_statistics = o->statistics;
        st = &d->statistics;
        lv = s->lv.p;
        lv_len = s->lv.len;
        raw_len = s->vals.len;
        rc = compress(c, o, s, s->vals.p, s->vals.len, &payload, &plen, out);
    } else {
        h.type = PQ_DATA_PAGE;
        h.has_data_page_header = true;
        pq_data_page_header *d = &h.data_page_header;
        d->num_values = (int32_t)pi->rows;
        d->encoding = pi->encoding;
        d->definition_level_encoding = PQ_RLE;
        d->repetition_level_encoding = PQ_RLE;
        d->has_statistics = o->statistics;
        st = &d->statistics;
        /* v1: the levels with their 4-byte length, then the values, compressed together */
        s->body.len = 0;
        vf_buf_put_le32(&s->body, (uint32_t)s->lv.len);
        vf_buf_append(&s->body, s->lv.p, s->lv.len);
        vf_buf_append(&s->body, s->vals.p, s->vals.len);
        if (s->body.oom) return oom(out, c);
        raw_len = s->body.len;
        rc = compress(c, o, s, s->body.p, s->body.len, &payload, &plen, out);
    }
    if (rc != VF_OK) return rc;
    if (o->statistics)
        set_stats(st, c->sort, (int64_t)pi->nulls, pi->has_minmax ? pi->mn : NULL, pi->mnl, pi->mx, pi->mxl);
    pq_wpage pg = {.offset = (int64_t)out->data.len, .first_row = pi->first_row, .nulls = (int64_t)pi->nulls,
                   .all_null = pi->nulls == pi->rows, .has_minmax = pi->has_minmax, .min = pi->min, .max = pi->max};
    if ((rc = put_page(c, s, out, &h, raw_len, lv, lv_len, payload, plen)) != VF_OK) return rc;
    pg.size = (int32_t)((int64_t)out->data.len - pg.offset);
    if (!add_page(out, pg)) return oom(out, c);
    return VF_OK;
}

/* Levels of a page into s->lv: the hybrid encoding of lvl[0..n), or one run. */
static void put_levels(pq_wscratch *s, const uint8_t *lvl, size_t n, bool has_nulls) {
    s->lv.len = 0;
    if (has_nulls)
        pq_rle_encode_u8(&s->lv, lvl, n, 1);
    else
        put_level_run(&s->lv, n);
}

/* The row limit of a page: at least 1, at most INT32_MAX. */
static size_t row_limit(const pq_write_opts *o) {
    return o->page_rows < 1 ? 1 : o->page_rows > INT32_MAX ? INT32_MAX : (size_t)o->page_rows;
}

/* Rows per page for values of `bits` (>= 1) bits each: at least 1, at most the row limit. */
static size_t page_rows(const pq_write_opts *o, size_t bits) {
    size_t r = o->page_bytes > SIZE_MAX / 8 ? SIZE_MAX / bits : o->page_bytes * 8 / bits;
    size_t lim = row_limit(o);
    return r < 1 ? 1 : r > lim ? lim : r;
}

/* ================================================================== */
/* byte-array columns: the chunk's dictionary                          */
/* ================================================================== */
typedef struct dsort {
    uint64_t key; /* the first 8 bytes, big-endian, zero-padded: most comparisons stop here */
    const uint8_t *p;
    uint32_t n, k;
} dsort;

static int dsort_bytes(const void *a, const void *b) {
    const dsort *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return bytes_cmp(x->p, x->n, y->p, y->n);
}

static int dsort_dec(const void *a, const void *b) {
    const dsort *x = a, *y = b;
    return dec_cmp(x->p, x->n, y->p, y->n);
}

static uint64_t prefix_key(const uint8_t *p, size_t n) {
    uint64_t k = 0;
    for (size_t i = 0; i < 8; i++) k = k << 8 | (i < n ? p[i] : 0);
    return k;
}

/* The chunk's dictionary: local codes in s->map, entries in s->views. */
typedef struct cdict {
    size_t n;         /* entries used */
    size_t page_size; /* bytes of their PLAIN encoding */
    int64_t distinct;
} cdict;

/* Find the entries rows [0, n) of codes use, in first-use order. */
static bool dict_collect(const vf_colview *v, const int32_t *codes, size_t n, pq_wscratch *s, cdict *d) {
    size_t old = s->map_cap;
    if (!grow(&s->map, &s->map_cap, (size_t)v->dict_n, sizeof *s->map)) return false;
    for (size_t i = old; i < s->map_cap; i++) s->map[i] = -1;
    size_t cap = (size_t)v->dict_n < n ? (size_t)v->dict_n : n;
    if (!grow(&s->used, &s->used_cap, cap, sizeof *s->used)) return false;
    int32_t *map = s->map, *used = s->used;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = codes[i];
        if (c >= 0 && map[c] < 0) {
            map[c] = (int32_t)k;
            used[k++] = c;
        }
    }
    d->n = k;
    return true;
}

/* The text of each used entry, by local code (addresses rendered). */
static vf_status dict_views(const pq_wcol *c, const vf_colview *v, pq_wscratch *s, cdict *d, pq_wchunk *out) {
    if (!grow(&s->views, &s->views_cap, d->n, sizeof *s->views)) return oom(out, c);
    d->page_size = 0;
    if (v->type == VF_T_ADDR) {
        s->text.len = 0;
        if (!vf_buf_reserve(&s->text, d->n * 46 + 1)) return oom(out, c);
        char *t = (char *)s->text.p;
        for (size_t k = 0; k < d->n; k++) {
            int32_t g = s->used[k];
            size_t len = vf_format_addr(v->dict_addrs + 16 * (size_t)g, v->dict_fams[g], t);
            s->views[k] = (pq_view){(const uint8_t *)t, (uint32_t)len};
            t += len;
            d->page_size += 4 + len;
        }
        return VF_OK;
    }
    for (size_t k = 0; k < d->n; k++) {
        int32_t g = s->used[k];
        int64_t a = v->dict_offsets[g], len = v->dict_offsets[g + 1] - a;
        if (len > INT32_MAX) return chunk_fail(out, c, VF_EARG, "column %s: a value is longer than 2 GiB%s", "");
        s->views[k] = (pq_view){(const uint8_t *)v->dict_data + a, (uint32_t)len};
        d->page_size += 4 + (size_t)len;
    }
    return VF_OK;
}

/* Sort the used entries; local codes follow the sorted order. */
static vf_status dict_sort(const pq_wcol *c, pq_wscratch *s, cdict *d, pq_wchunk *out) {
    if (!grow(&s->sortv, &s->sort_cap, d->n, sizeof(dsort))) return oom(out, c);
    dsort *e = s->sortv;
    bool dec = c->sort == PQ_WS_DEC;
    for (size_t k = 0; k < d->n; k++)
        e[k] = (dsort){dec ? 0 : prefix_key(s->views[k].p, s->views[k].n), s->views[k].p, s->views[k].n, (uint32_t)k};
    qsort(e, d->n, sizeof *e, dec ? dsort_dec : dsort_bytes);
    d->distinct = 0;
    for (size_t j = 0; j < d->n; j++) {
        s->views[j] = (pq_view){e[j].p, e[j].n};
        s->map[s->used[e[j].k]] = (int32_t)j;
        d->distinct += j == 0 || view_cmp(c->sort, s->views[j - 1], s->views[j]) != 0;
    }
    return VF_OK;
}

static void dict_reset(pq_wscratch *s, const cdict *d) {
    for (size_t k = 0; k < d->n; k++) s->map[s->used[k]] = -1;
}

static vf_status emit_dict_page(const pq_wcol *c, const pq_write_opts *o, pq_wscratch *s, const cdict *d,
                                pq_wchunk *out) {
    s->body.len = 0;
    pq_plain_ba_encode(&s->body, s->views, d->n);
    if (s->body.oom) return oom(out, c);
    const uint8_t *payload;
    size_t plen;
    vf_status rc = compress(c, o, s, s->body.p, s->body.len, &payload, &plen, out);
    if (rc != VF_OK) return rc;
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_DICTIONARY_PAGE;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header = (pq_dict_page_header){(int32_t)d->n, PQ_PLAIN, true, true};
    if ((rc = put_page(c, s, out, &h, s->body.len, NULL, 0, payload, plen)) != VF_OK) return rc;
    out->dict_len = (int64_t)out->data.len;
    return VF_OK;
}

/* ================================================================== */
/* byte-array columns: data pages                                      */
/* ================================================================== */
/* Rows [a, ...) of codes: levels into s->lvl, local codes of the non-null
 * rows into s->idx, their smallest and largest.  With budget == 0, rows
 * up to end; else rows until their PLAIN values reach budget bytes.
 * Returns the page's end row; *k gets the non-null count. */
static size_t gather_codes(const int32_t *codes, size_t a, size_t end, const pq_wscratch *s, size_t budget, size_t *k,
                           uint32_t *mn, uint32_t *mx) {
    const int32_t *map = s->map;
    uint8_t *lvl = s->lvl;
    uint32_t *idx = s->idx, lo = UINT32_MAX, hi = 0;
    size_t j = 0, i = a;
    if (!budget) {
        for (; i < end; i++) {
            int32_t g = codes[i];
            uint32_t x = (uint32_t)map[g < 0 ? 0 : g];
            bool ok = g >= 0;
            lvl[i - a] = ok;
            idx[j] = x;
            j += ok;
            lo = ok && x < lo ? x : lo;
            hi = ok && x > hi ? x : hi;
        }
    } else {
        size_t bytes = 0;
        while (i < end && bytes < budget) {
            int32_t g = codes[i];
            bool ok = g >= 0;
            lvl[i - a] = ok;
            if (ok) {
                uint32_t x = (uint32_t)map[g];
                idx[j++] = x;
                bytes += 4 + s->views[x].n;
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
            i++;
        }
    }
    *k = j;
    *mn = lo;
    *mx = hi;
    return i;
}

static void put_plain_views(vf_buf *b, const pq_view *views, const uint32_t *idx, size_t k) {
    size_t total = 0;
    for (size_t j = 0; j < k; j++) total += 4 + views[idx[j]].n;
    if (!total || !vf_buf_reserve(b, total)) return;
    uint8_t *d = b->p + b->len;
    for (size_t j = 0; j < k; j++) {
        pq_view v = views[idx[j]];
        uint32_t n = v.n;
        memcpy(d, &n, 4); /* little-endian CPU (internal.h) */
        memcpy(d + 4, v.p, n);
        d += 4 + (size_t)n;
    }
    b->len += total;
}

static bool stat_fits(pq_view v) { return v.n <= PQ_MAX_STAT_BYTES; }

static vf_status encode_byte_array(const pq_wcol *c, const vf_colview *v, int64_t r0, size_t n,
                                   const pq_write_opts *o, pq_wscratch *s, pq_wchunk *out, cdict *d) {
    const int32_t *codes = (const int32_t *)v->values + r0;
    vf_status rc;
    if (!dict_collect(v, codes, n, s, d)) return oom(out, c);
    if ((rc = dict_views(c, v, s, d, out)) != VF_OK || (rc = dict_sort(c, s, d, out)) != VF_OK) return rc;
    bool dict = o->dictionary && d->n > 0 && d->page_size <= o->dictionary_page_limit;
    int bw = d->n > 1 ? pq_bit_width(d->n - 1) : 1;
    size_t rpp = dict ? page_rows(o, (size_t)bw) : row_limit(o);
    size_t cap = rpp < n ? rpp : n;
    if (!grow(&s->idx, &s->idx_cap, cap, sizeof *s->idx) || !grow(&s->lvl, &s->lvl_cap, cap, 1)) return oom(out, c);
    if (dict && (rc = emit_dict_page(c, o, s, d, out)) != VF_OK) return rc;
    out->encoding = dict ? PQ_RLE_DICTIONARY : PQ_PLAIN;
    out->distinct = d->distinct;
    for (size_t a = 0; a < n;) {
        size_t k;
        uint32_t mn, mx;
        size_t end = n - a > cap ? a + cap : n;
        size_t b = gather_codes(codes, a, end, s, dict ? 0 : o->page_bytes, &k, &mn, &mx);
        put_levels(s, s->lvl, b - a, k < b - a);
        s->vals.len = 0;
        if (dict) {
            vf_buf_push(&s->vals, (uint8_t)bw);
            pq_rle_encode_u32(&s->vals, s->idx, k, bw);
        } else {
            put_plain_views(&s->vals, s->views, s->idx, k);
        }
        if (s->vals.oom || s->lv.oom) return oom(out, c);
        page_info pi = {.first_row = (int64_t)a, .rows = b - a, .nulls = b - a - k, .encoding = out->encoding};
        if (k && stat_fits(s->views[mn]) && stat_fits(s->views[mx])) {
            pi.has_minmax = true;
            pi.min = mn;
            pi.max = mx;
            pi.mn = s->views[mn].p;
            pi.mnl = s->views[mn].n;
            pi.mx = s->views[mx].p;
            pi.mxl = s->views[mx].n;
        }
        out->nulls += (int64_t)pi.nulls;
        if ((rc = emit_data_page(c, o, s, out, &pi)) != VF_OK) return rc;
        a = b;
    }
    if (d->n && stat_fits(s->views[0]) && stat_fits(s->views[d->n - 1])) {
        out->has_minmax = true;
        vf_buf_append(&out->minmax, s->views[0].p, s->views[0].n);
        vf_buf_append(&out->minmax, s->views[d->n - 1].p, s->views[d->n - 1].n);
        out->min_len = s->views[0].n;
        if (out->minmax.oom) return oom(out, c);
    }
    return VF_OK;
}

/* ================================================================== */
/* number and bool columns                                             */
/* ================================================================== */
/* Encode k gathered values g into b. */
static void put_values(vf_buf *b, const pq_wcol *c, int encoding, const void *g, size_t k) {
    if (c->physical == PQ_BOOLEAN)
        pq_plain_bool_encode(b, g, k);
    else if (encoding == PQ_DELTA_BINARY_PACKED && c->physical == PQ_INT32)
        pq_delta_encode_i32(b, g, k);
    else if (encoding == PQ_DELTA_BINARY_PACKED)
        pq_delta_encode_i64(b, g, k);
    else
        vf_buf_append(b, g, k * (size_t)c->width);
}

/* "auto": encode a sample of the chunk's values both ways (and compress
 * both) and keep the smaller; the sample is the non-null values of its
 * first PQ_AUTO_SAMPLE rows. */
static vf_status choose_int_encoding(const pq_wcol *c, const vf_colview *v, int64_t r0, size_t n,
                                     const pq_write_opts *o, pq_wscratch *s, pq_wchunk *out, int *encoding) {
    *encoding = PQ_PLAIN;
    if (c->physical != PQ_INT32 && c->physical != PQ_INT64) return VF_OK;
    if (o->int_encoding != PQ_INT_AUTO) {
        *encoding = o->int_encoding == PQ_INT_DELTA ? PQ_DELTA_BINARY_PACKED : PQ_PLAIN;
        return VF_OK;
    }
    size_t m = n < PQ_AUTO_SAMPLE ? n : PQ_AUTO_SAMPLE, w = vf_type_width(v->type);
    s->gath.len = 0;
    if (!vf_buf_reserve(&s->gath, m * 8)) return oom(out, c);
    size_t k = gather_for(v->type)((const uint8_t *)v->values + (size_t)r0 * w, v->valid ? v->valid + r0 : NULL, m,
                                   s->gath.p);
    if (!k) return VF_OK;
    size_t size[2];
    const int enc[2] = {PQ_PLAIN, PQ_DELTA_BINARY_PACKED};
    for (int i = 0; i < 2; i++) {
        s->alt.len = 0;
        put_values(&s->alt, c, enc[i], s->gath.p, k);
        if (s->alt.oom) return oom(out, c);
        const uint8_t *res;
        vf_status rc = compress(c, o, s, s->alt.p, s->alt.len, &res, &size[i], out);
        if (rc != VF_OK) return rc;
    }
    *encoding = enc[size[1] < size[0]];
    return VF_OK;
}

static vf_status encode_values(const pq_wcol *c, const vf_colview *v, int64_t r0, size_t n, const pq_write_opts *o,
                               pq_wscratch *s, pq_wchunk *out) {
    const size_t w = vf_type_width(v->type);
    const uint8_t *src = (const uint8_t *)v->values + (size_t)r0 * w;
    const uint8_t *valid = v->valid ? v->valid + r0 : NULL;
    const gather_fn gather = gather_for(v->type);
    const minmax_fn minmax = minmax_for(c->sort);
    const size_t sw = raw_width(c->sort);
    const bool zero_copy = w == (size_t)c->width && v->type != VF_T_BOOL;
    vf_status rc = choose_int_encoding(c, v, r0, n, o, s, out, &out->encoding);
    if (rc != VF_OK) return rc;
    size_t rpp = page_rows(o, c->physical == PQ_BOOLEAN ? 1 : 8 * (size_t)c->width);
    size_t cap = rpp < n ? rpp : n;
    s->gath.len = 0;
    if (!grow(&s->lvl, &s->lvl_cap, cap, 1) || !vf_buf_reserve(&s->gath, cap * 8)) return oom(out, c);
    bool chunk_any = false;
    uint64_t cmin = 0, cmax = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + cap < n ? a + cap : n, rows = b - a, k = rows;
        if (valid) {
            k = 0;
            for (size_t i = 0; i < rows; i++) {
                uint8_t ok = valid[a + i] != 0;
                s->lvl[i] = ok;
                k += ok;
            }
        }
        const void *g = src + a * w;
        if (k < rows || !zero_copy) {
            g = s->gath.p;
            gather(src + a * w, k < rows ? valid + a : NULL, rows, s->gath.p);
        }
        put_levels(s, s->lvl, rows, k < rows);
        s->vals.len = 0;
        put_values(&s->vals, c, out->encoding, g, k);
        if (s->vals.oom || s->lv.oom) return oom(out, c);
        uint8_t mnb[8], mxb[8];
        page_info pi = {.first_row = (int64_t)a, .rows = rows, .nulls = rows - k, .encoding = out->encoding,
                        .mn = mnb, .mx = mxb, .mnl = sw, .mxl = sw};
        pi.has_minmax = minmax(g, k, &pi.min, &pi.max);
        if (pi.has_minmax) {
            memcpy(mnb, &pi.min, sw); /* little-endian: the low sw bytes are the PLAIN value */
            memcpy(mxb, &pi.max, sw);
            if (!chunk_any || raw_cmp(c->sort, pi.min, cmin) < 0) cmin = pi.min;
            if (!chunk_any || raw_cmp(c->sort, pi.max, cmax) > 0) cmax = pi.max;
            chunk_any = true;
        }
        out->nulls += (int64_t)pi.nulls;
        if ((rc = emit_data_page(c, o, s, out, &pi)) != VF_OK) return rc;
        a = b;
    }
    if (chunk_any) {
        out->has_minmax = true;
        vf_buf_append(&out->minmax, &cmin, sw);
        vf_buf_append(&out->minmax, &cmax, sw);
        out->min_len = sw;
        if (out->minmax.oom) return oom(out, c);
    }
    return VF_OK;
}

/* ================================================================== */
/* the ColumnIndex                                                     */
/* ================================================================== */
static int page_cmp(const pq_wcol *c, uint64_t a, uint64_t b) {
    /* byte arrays: local codes follow the sorted order */
    return c->physical == PQ_BYTE_ARRAY ? (a > b) - (a < b) : raw_cmp(c->sort, a, b);
}

static int boundary_order(const pq_wcol *c, const pq_wchunk *out) {
    bool asc = true, desc = true;
    const pq_wpage *prev = NULL;
    for (int i = 0; i < out->npages; i++) {
        const pq_wpage *p = &out->pages[i];
        if (!p->has_minmax) continue;
        if (prev) {
            int a = page_cmp(c, prev->min, p->min), b = page_cmp(c, prev->max, p->max);
            asc &= a <= 0 && b <= 0;
            desc &= a >= 0 && b >= 0;
        }
        prev = p;
    }
    return asc ? PQ_ASCENDING : desc ? PQ_DESCENDING : PQ_UNORDERED;
}

/* Only when every page that holds a value has min/max (a page of NaN
 * only, or with a too long value, has none: then the chunk gets none). */
static vf_status encode_column_index(const pq_wcol *c, pq_wscratch *s, pq_wchunk *out) {
    int n = out->npages;
    for (int i = 0; i < n; i++)
        if (!out->pages[i].has_minmax && !out->pages[i].all_null) return VF_OK;
    bool *nullp = calloc((size_t)n, sizeof *nullp);
    pq_bytes *mins = calloc((size_t)n, sizeof *mins), *maxs = calloc((size_t)n, sizeof *maxs);
    int64_t *nulls = calloc((size_t)n, sizeof *nulls);
    uint64_t *raw = calloc((size_t)n * 2, sizeof *raw);
    vf_status rc = VF_OK;
    if (!nullp || !mins || !maxs || !nulls || !raw) {
        rc = oom(out, c);
        goto done;
    }
    size_t sw = raw_width(c->sort);
    for (int i = 0; i < n; i++) {
        const pq_wpage *p = &out->pages[i];
        nulls[i] = p->nulls;
        nullp[i] = p->all_null;
        mins[i] = maxs[i] = (pq_bytes){(const uint8_t *)"", 0};
        if (!p->has_minmax) continue;
        if (c->physical == PQ_BYTE_ARRAY) {
            mins[i] = (pq_bytes){s->views[p->min].p, s->views[p->min].n};
            maxs[i] = (pq_bytes){s->views[p->max].p, s->views[p->max].n};
        } else {
            raw[2 * i] = p->min;
            raw[2 * i + 1] = p->max;
            mins[i] = (pq_bytes){(const uint8_t *)&raw[2 * i], sw};
            maxs[i] = (pq_bytes){(const uint8_t *)&raw[2 * i + 1], sw};
        }
    }
    pq_column_index ci = {n, nullp, mins, maxs, boundary_order(c, out), true, nulls};
    pq_encode_column_index(&out->ci, &ci);
    if (out->ci.oom) rc = oom(out, c);
done:
    free(nullp);
    free(mins);
    free(maxs);
    free(nulls);
    free(raw);
    return rc;
}

/* ================================================================== */
/* bloom filters                                                       */
/* ================================================================== */
static uint8_t *bloom_start(pq_wchunk *out, uint64_t ndv, double fpp, size_t *nbytes) {
    *nbytes = pq_bloom_bytes(ndv, fpp);
    pq_encode_bloom_header(&out->bloom, &(pq_bloom_header){(int32_t)*nbytes});
    if (!vf_buf_reserve(&out->bloom, *nbytes)) return NULL;
    uint8_t *bits = out->bloom.p + out->bloom.len;
    memset(bits, 0, *nbytes);
    out->bloom.len += *nbytes;
    return bits;
}

/* Byte arrays: the chunk's distinct entries are known. */
static vf_status bloom_entries(const pq_wcol *c, const pq_write_opts *o, pq_wscratch *s, const cdict *d,
                               pq_wchunk *out) {
    size_t nb;
    uint8_t *bits = bloom_start(out, (uint64_t)d->distinct, o->bloom_fpp, &nb);
    if (!bits) return oom(out, c);
    for (size_t j = 0; j < d->n; j++) pq_bloom_insert(bits, nb, pq_xxhash64(s->views[j].p, s->views[j].n, 0));
    return VF_OK;
}

/* Numbers: the distinct hashes first (an open-addressing set, 0 marking
 * an empty slot and the hash 0 kept aside), to size the filter exactly. */
static vf_status bloom_values(const pq_wcol *c, const vf_colview *v, int64_t r0, size_t n, const pq_write_opts *o,
                              pq_wscratch *s, pq_wchunk *out) {
    const size_t w = vf_type_width(v->type), pw = (size_t)c->width;
    size_t nonnull = n - (size_t)out->nulls, cap = 16;
    while (cap < nonnull * 2) cap *= 2;
    s->gath.len = 0;
    if (!grow(&s->hset, &s->hset_cap, cap, sizeof *s->hset) || !vf_buf_reserve(&s->gath, 4096 * 8))
        return oom(out, c);
    memset(s->hset, 0, cap * sizeof *s->hset);
    uint64_t count = 0;
    bool zero = false;
    for (size_t a = 0; a < n; a += 4096) {
        size_t rows = n - a < 4096 ? n - a : 4096;
        size_t k = gather_for(v->type)((const uint8_t *)v->values + ((size_t)r0 + a) * w,
                                       v->valid ? v->valid + r0 + a : NULL, rows, s->gath.p);
        for (size_t i = 0; i < k; i++) {
            uint64_t h = pq_xxhash64(s->gath.p + i * pw, pw, 0);
            if (!h) {
                count += !zero;
                zero = true;
                continue;
            }
            size_t j = (size_t)(h ^ h >> 29) & (cap - 1);
            while (s->hset[j] && s->hset[j] != h) j = (j + 1) & (cap - 1);
            count += !s->hset[j];
            s->hset[j] = h;
        }
    }
    size_t nb;
    uint8_t *bits = bloom_start(out, count, o->bloom_fpp, &nb);
    if (!bits) return oom(out, c);
    for (size_t j = 0; j < cap; j++)
        if (s->hset[j]) pq_bloom_insert(bits, nb, s->hset[j]);
    if (zero) pq_bloom_insert(bits, nb, 0);
    return VF_OK;
}

/* ================================================================== */
/* the chunk                                                           */
/* ================================================================== */
static void chunk_reset(pq_wchunk *out) {
    out->data.len = out->minmax.len = out->ci.len = out->bloom.len = 0;
    out->dict_len = out->uncompressed = out->nulls = 0;
    out->has_minmax = false;
    out->min_len = 0;
    out->distinct = -1;
    out->npages = 0;
    out->encoding = PQ_PLAIN;
    out->st = VF_OK;
    vf_error_clear(&out->err);
}

void pq_wchunk_encode(const pq_wcol *c, const vf_colview *v, int64_t r0, int64_t n, const pq_write_opts *o,
                      pq_wscratch *s, pq_wchunk *out) {
    chunk_reset(out);
    if (!s->z && !(s->z = vf_blockz_new())) {
        oom(out, c);
        return;
    }
    cdict d = {0};
    vf_status rc;
    if (vf_type_is_dict(v->type)) {
        rc = encode_byte_array(c, v, r0, (size_t)n, o, s, out, &d);
        if (rc == VF_OK && c->bloom) rc = bloom_entries(c, o, s, &d, out);
    } else {
        rc = encode_values(c, v, r0, (size_t)n, o, s, out);
        if (rc == VF_OK && c->bloom) rc = bloom_values(c, v, r0, (size_t)n, o, s, out);
    }
    if (rc == VF_OK && o->page_index && o->statistics) rc = encode_column_index(c, s, out);
    if (vf_type_is_dict(v->type)) dict_reset(s, &d); /* the map is all -1 again for the next chunk */
    (void)rc;                                        /* out->st holds it */
}
