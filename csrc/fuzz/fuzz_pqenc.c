/*
 * fuzz_pqenc.c - libFuzzer target for the Parquet encodings and bloom
 * filters (csrc/parquet/encoding.c, bloom.c).
 *
 * Input: byte 0 picks the decoder, byte 1 its bit width or value width,
 * bytes 2-3 a value count (little-endian); the rest is the encoded stream.
 * A decoder must succeed or fail with VF_EFORMAT, and never read or write
 * out of bounds (ASan) or overflow (UBSan).  Values that decode are
 * encoded again and decoded again and must come back the same; where the
 * encoding is canonical (PLAIN, BYTE_STREAM_SPLIT) the bytes must too.
 * The RLE decoders must also agree when the values are taken in small
 * pieces.  A broken invariant aborts with a message.
 */
#include "parquet/bloom.h"
#include "parquet/encoding.h"

#include <stdio.h>

#define FAIL(...)                                                \
    do {                                                         \
        fprintf(stderr, "fuzz_pqenc invariant: " __VA_ARGS__);   \
        fprintf(stderr, "\n");                                   \
        abort();                                                 \
    } while (0)

static void check_status(vf_status st, const vf_error *err, const char *what) {
    if (st != VF_OK && st != VF_EFORMAT) FAIL("%s: status %d (%s)", what, (int)st, err->msg);
    if (st == VF_EFORMAT && err->msg[0] == 0) FAIL("%s: VF_EFORMAT without a message", what);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* An exact-size copy of the stream, so that ASan sees any overread. */
static uint8_t *copy(const uint8_t *p, size_t n) {
    uint8_t *c = xmalloc(n);
    if (n) memcpy(c, p, n);
    return c;
}

/* Decode count values as u32 (osz 4) or u8 (osz 1), at once and in pieces;
 * on success encode them again and compare. */
static void fuzz_rle(const uint8_t *p, size_t n, int bw, size_t count, int osz) {
    void *a = xmalloc(count * 4), *b = xmalloc(count * 4);
    vf_error err;
    pq_rle_dec d;
    pq_rle_init(&d, p, n, bw);
    vf_status st = osz == 4 ? pq_rle_get_u32(&d, a, count, &err) : pq_rle_get_u8(&d, a, count, &err);
    check_status(st, &err, "RLE");
    pq_rle_init(&d, p, n, bw);
    vf_status st2 = VF_OK;
    size_t piece = 1 + (size_t)bw % 11;
    for (size_t i = 0; i < count && st2 == VF_OK; i += piece) {
        size_t k = count - i < piece ? count - i : piece;
        st2 = osz == 4 ? pq_rle_get_u32(&d, (uint32_t *)b + i, k, &err) : pq_rle_get_u8(&d, (uint8_t *)b + i, k, &err);
    }
    if (count && (st == VF_OK) != (st2 == VF_OK)) FAIL("RLE: whole %d, in pieces %d", (int)st, (int)st2);
    if (st == VF_OK) {
        if (memcmp(a, b, count * (size_t)osz) != 0) FAIL("RLE: pieces differ");
        vf_buf e = {0};
        if (osz == 4)
            pq_rle_encode_u32(&e, a, count, bw);
        else
            pq_rle_encode_u8(&e, a, count, bw);
        if (e.oom) abort();
        pq_rle_init(&d, e.p, e.len, bw);
        st = osz == 4 ? pq_rle_get_u32(&d, b, count, &err) : pq_rle_get_u8(&d, b, count, &err);
        if (st != VF_OK) FAIL("RLE: re-encoded stream fails: %s", err.msg);
        if (memcmp(a, b, count * (size_t)osz) != 0) FAIL("RLE: round trip differs");
        vf_buf_free(&e);
    }
    free(a);
    free(b);
}

static void fuzz_bitpacked(const uint8_t *p, size_t n, int bw, size_t count) {
    uint8_t *o = xmalloc(count);
    vf_error err;
    vf_status st = pq_bitpacked_decode_u8(p, n, bw, o, count, &err);
    check_status(st, &err, "BIT_PACKED");
    if (st == VF_OK)
        for (size_t i = 0; i < count; i++) { /* against a bit at a time, MSB first */
            unsigned v = 0;
            for (int k = 0; k < bw; k++) {
                size_t bit = i * (size_t)bw + (size_t)k;
                v = v << 1 | (p[bit / 8] >> (7 - bit % 8) & 1);
            }
            if (o[i] != v) FAIL("BIT_PACKED: value %zu is %u, not %u", i, o[i], v);
        }
    free(o);
}

static void fuzz_bool(const uint8_t *p, size_t n, size_t count) {
    uint8_t *o = xmalloc(count);
    vf_error err;
    vf_status st = pq_plain_bool_decode(p, n, o, count, &err);
    check_status(st, &err, "PLAIN BOOLEAN");
    if (st == VF_OK) {
        vf_buf e = {0};
        pq_plain_bool_encode(&e, o, count);
        for (size_t i = 0; i < count; i++)
            if ((e.p[i / 8] >> (i % 8) & 1) != o[i] || o[i] > 1) FAIL("PLAIN BOOLEAN: round trip differs");
        vf_buf_free(&e);
    }
    free(o);
}

static bool views_equal(const pq_view *a, const pq_view *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i].n != b[i].n || (a[i].n && memcmp(a[i].p, b[i].p, a[i].n) != 0)) return false;
    return true;
}

/* kind: 0 PLAIN, 1 DELTA_LENGTH_BYTE_ARRAY, 2 DELTA_BYTE_ARRAY */
static vf_status decode_ba(int kind, const uint8_t *p, size_t n, pq_view *o, size_t count, vf_buf *scratch,
                           size_t *used, vf_error *err) {
    switch (kind) {
    case 0: return pq_plain_ba_decode(p, n, o, count, used, err);
    case 1: return pq_dlba_decode(p, n, o, count, used, err);
    default: return pq_dba_decode(p, n, o, count, scratch, used, err);
    }
}

static void fuzz_ba(int kind, const uint8_t *p, size_t n, size_t count) {
    static const char *names[] = {"PLAIN BYTE_ARRAY", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"};
    pq_view *a = xmalloc(count * sizeof *a), *b = xmalloc(count * sizeof *b);
    vf_buf s1 = {0}, s2 = {0}, e = {0};
    size_t used = 0, used2 = 0;
    vf_error err;
    vf_status st = decode_ba(kind, p, n, a, count, &s1, &used, &err);
    check_status(st, &err, names[kind]);
    if (st == VF_OK) {
        if (used > n) FAIL("%s: used %zu of %zu", names[kind], used, n);
        for (size_t i = 0; i < count; i++) /* views point into the input or into scratch */
            if (a[i].n && !((a[i].p >= p && a[i].p + a[i].n <= p + n) ||
                            (a[i].p >= s1.p && a[i].p + a[i].n <= s1.p + s1.len)))
                FAIL("%s: view %zu outside the buffers", names[kind], i);
        if (kind == 0)
            pq_plain_ba_encode(&e, a, count);
        else if (kind == 1)
            pq_dlba_encode(&e, a, count);
        else
            pq_dba_encode(&e, a, count);
        if (e.oom) abort();
        st = decode_ba(kind, e.p, e.len, b, count, &s2, &used2, &err);
        if (st != VF_OK) FAIL("%s: re-encoded stream fails: %s", names[kind], err.msg);
        if (used2 != e.len) FAIL("%s: re-encoded stream used %zu of %zu", names[kind], used2, e.len);
        if (!views_equal(a, b, count)) FAIL("%s: round trip differs", names[kind]);
        if (kind == 0 && (e.len != used || (used && memcmp(e.p, p, used) != 0))) FAIL("PLAIN BYTE_ARRAY: bytes differ");
    }
    vf_buf_free(&s1);
    vf_buf_free(&s2);
    vf_buf_free(&e);
    free(a);
    free(b);
}

#define DEFINE_FUZZ_DELTA(NAME, T, DECODE, ENCODE)                                                    \
    static void NAME(const uint8_t *p, size_t n, size_t cap) {                                        \
        T *a = xmalloc(cap * sizeof(T)), *b = xmalloc(cap * sizeof(T));                               \
        size_t count = 0, used = 0, count2 = 0, used2 = 0, announced = 0;                             \
        vf_error err;                                                                                 \
        vf_status st = DECODE(p, n, a, cap, &count, &used, &err);                                     \
        check_status(st, &err, #DECODE);                                                              \
        vf_status stc = pq_delta_count(p, n, &announced, &err);                                       \
        check_status(stc, &err, "pq_delta_count");                                                    \
        if (st == VF_OK) {                                                                            \
            if (stc != VF_OK || announced != count) FAIL(#DECODE ": count disagrees");                \
            if (used > n || count > cap) FAIL(#DECODE ": used %zu of %zu, count %zu", used, n, count); \
            vf_buf e = {0};                                                                           \
            ENCODE(&e, a, count);                                                                     \
            if (e.oom) abort();                                                                       \
            st = DECODE(e.p, e.len, b, cap, &count2, &used2, &err);                                   \
            if (st != VF_OK) FAIL(#DECODE ": re-encoded stream fails: %s", err.msg);                 \
            if (count2 != count || used2 != e.len || memcmp(a, b, count * sizeof(T)) != 0)           \
                FAIL(#DECODE ": round trip differs");                                                 \
            vf_buf_free(&e);                                                                          \
        }                                                                                             \
        free(a);                                                                                      \
        free(b);                                                                                      \
    }

DEFINE_FUZZ_DELTA(fuzz_delta32, int32_t, pq_delta_decode_i32, pq_delta_encode_i32)
DEFINE_FUZZ_DELTA(fuzz_delta64, int64_t, pq_delta_decode_i64, pq_delta_encode_i64)

static void fuzz_bss(const uint8_t *p, size_t n, size_t width) {
    size_t count = n / width;
    uint8_t *o = xmalloc(count * width);
    vf_error err;
    if (pq_bss_decode(p, count * width, width, o, count, &err) != VF_OK) FAIL("BYTE_STREAM_SPLIT: %s", err.msg);
    if (count * width != n && pq_bss_decode(p, n, width, o, count, &err) != VF_EFORMAT)
        FAIL("BYTE_STREAM_SPLIT: a partial value accepted");
    vf_buf e = {0};
    pq_bss_encode(&e, o, width, count);
    if (e.len != count * width || (e.len && memcmp(e.p, p, e.len) != 0)) FAIL("BYTE_STREAM_SPLIT: round trip");
    vf_buf_free(&e);
    free(o);
}

static void fuzz_bloom(const uint8_t *p, size_t n, int lg) {
    size_t nbytes = (size_t)32 << (lg % 8);
    uint8_t *bits = calloc(1, nbytes);
    if (!bits) abort();
    /* windows of 0..70 bytes: every xxHash64 tail path */
    for (size_t i = 0; i < n; i += 1 + i % 7) {
        size_t w = (n - i) < i % 71 ? n - i : i % 71;
        pq_bloom_insert(bits, nbytes, pq_xxhash64(p + i, w, 0));
    }
    for (size_t i = 0; i < n; i += 1 + i % 7) {
        size_t w = (n - i) < i % 71 ? n - i : i % 71;
        if (!pq_bloom_check(bits, nbytes, pq_xxhash64(p + i, w, 0))) FAIL("bloom: a false negative");
    }
    free(bits);
    (void)pq_bloom_bytes(n * 1000, (double)(lg + 1) / 300.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    const int sel = data[0] % 11, param = data[1];
    const size_t count = (size_t)data[2] | (size_t)data[3] << 8;
    uint8_t *p = copy(data + 4, size - 4);
    const size_t n = size - 4;
    switch (sel) {
    case 0: fuzz_rle(p, n, param % 34, count, 4); break; /* 33: an invalid width */
    case 1: fuzz_rle(p, n, param % 10, count, 1); break; /* 9: an invalid width */
    case 2: fuzz_bitpacked(p, n, param % 9, count); break;
    case 3: fuzz_bool(p, n, count); break;
    case 4: fuzz_ba(0, p, n, count % 2048); break;
    case 5: fuzz_delta32(p, n, count); break;
    case 6: fuzz_delta64(p, n, count); break;
    case 7: fuzz_ba(1, p, n, count % 2048); break;
    case 8: fuzz_ba(2, p, n, count % 2048); break;
    case 9: fuzz_bss(p, n, 1 + (size_t)param % 16); break;
    case 10: fuzz_bloom(p, n, param); break;
    }
    free(p);
    return 0;
}
