/*
 * test_parquet_enc.c - unit tests of the Parquet encodings and bloom filters
 * (csrc/parquet/encoding.c, bloom.c): round trips over random and edge-case
 * inputs, the worked examples of Encodings.md byte for byte, page payloads
 * and bloom filters written by pyarrow and parquet-mr (parquet_enc_vectors.h,
 * made by gen_parquet_enc_vectors.py), xxHash64 vectors, and corrupt or
 * truncated streams, which must fail with VF_EFORMAT and never crash.
 *
 * With VF_BENCH=1 in the environment it also prints decode speeds.
 */
#include "parquet/bloom.h"
#include "parquet/encoding.h"
#include "check.h"
#include "parquet_enc_vectors.h"

#include <time.h>

static uint64_t g_sm = 0x9e3779b97f4a7c15ULL;
static uint64_t r64(void) { /* splitmix64: full 64-bit random values */
    uint64_t z = (g_sm += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t mask_of(int bw) { return bw >= 64 ? ~0ULL : (1ULL << bw) - 1; }

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        perror("malloc");
        exit(2);
    }
    return p;
}

static vf_error g_err;
#define CHECK_FAILS(expr, needle)                   \
    do {                                            \
        vf_error_clear(&g_err);                     \
        CHECK_INT((expr), VF_EFORMAT);              \
        CHECK_INT(g_err.code, VF_EFORMAT);          \
        CHECK_CONTAINS(g_err.msg, needle);          \
    } while (0)

static const size_t SIZES[] = {0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 1000};

/* ==================================================================================== */
/* RLE / bit-packed hybrid                                                               */
/* ==================================================================================== */
/* Values of bw bits in one of a few shapes: random, runs of random
 * lengths, constant, runs around the RLE threshold, alternating. */
static void fill_levels(uint32_t *v, size_t n, int bw, int shape) {
    const uint64_t m = mask_of(bw);
    size_t i = 0;
    while (i < n) {
        uint32_t x = (uint32_t)(r64() & m);
        size_t run = 1;
        switch (shape) {
        case 0: break;
        case 1: run = 1 + r64() % 30; break;
        case 2: x = (uint32_t)m, run = n; break;
        case 3: run = 6 + r64() % 5; break;
        case 4: x = (i & 1) ? (uint32_t)m : 0; break;
        }
        for (size_t k = 0; k < run && i < n; k++) v[i++] = x;
    }
}

/* Decode n values from b in one call and in calls of random small counts,
 * as u32 and (bw <= 8) as u8. */
static void rle_check_decode(const uint8_t *b, size_t len, const uint32_t *v, size_t n, int bw) {
    uint32_t *out = xmalloc(n * 4);
    uint8_t *o8 = xmalloc(n);
    pq_rle_dec d;
    vf_error err;
    pq_rle_init(&d, b, len, bw);
    CHECK_INT(pq_rle_get_u32(&d, out, n, &err), VF_OK);
    CHECK_MEM(out, v, n * 4);
    pq_rle_init(&d, b, len, bw);
    memset(out, 0xee, n * 4);
    vf_status st = VF_OK;
    for (size_t i = 0; i < n && st == VF_OK;) {
        size_t k = 1 + r64() % 13;
        if (k > n - i) k = n - i;
        st = pq_rle_get_u32(&d, out + i, k, &err);
        i += k;
    }
    CHECK_INT(st, VF_OK);
    CHECK_MEM(out, v, n * 4);
    if (bw <= 8) {
        int bad = 0;
        pq_rle_init(&d, b, len, bw);
        CHECK_INT(pq_rle_get_u8(&d, o8, n, &err), VF_OK);
        for (size_t i = 0; i < n; i++) bad += o8[i] != v[i];
        pq_rle_init(&d, b, len, bw);
        for (size_t i = 0; i < n && st == VF_OK;) {
            size_t k = 1 + r64() % 11;
            if (k > n - i) k = n - i;
            st = pq_rle_get_u8(&d, o8 + i, k, &err);
            i += k;
        }
        CHECK_INT(st, VF_OK);
        for (size_t i = 0; i < n; i++) bad += o8[i] != v[i];
        CHECK_INT(bad, 0);
    }
    free(out);
    free(o8);
}

static void rle_roundtrip(const uint32_t *v, size_t n, int bw) {
    vf_buf b = {0};
    pq_rle_encode_u32(&b, v, n, bw);
    CHECK(!b.oom);
    rle_check_decode(b.p, b.len, v, n, bw);
    if (bw <= 8) { /* the u8 encoder writes the same bytes */
        uint8_t *v8 = xmalloc(n);
        for (size_t i = 0; i < n; i++) v8[i] = (uint8_t)v[i];
        vf_buf b8 = {0};
        pq_rle_encode_u8(&b8, v8, n, bw);
        CHECK_INT(b8.len, b.len);
        CHECK_MEM(b8.p, b.p, b.len);
        vf_buf_free(&b8);
        free(v8);
    }
    vf_buf_free(&b);
}

static void test_rle_roundtrips(void) {
    for (int bw = 0; bw <= 32; bw++)
        for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++)
            for (int shape = 0; shape < 5; shape++) {
                size_t n = SIZES[s];
                uint32_t *v = xmalloc(n * 4);
                fill_levels(v, n, bw, shape);
                rle_roundtrip(v, n, bw);
                free(v);
            }
    const int big[] = {1, 3, 10, 17, 32};
    for (int k = 0; k < 5; k++) {
        size_t n = 1000003;
        uint32_t *v = xmalloc(n * 4);
        fill_levels(v, n, big[k], k % 2);
        rle_roundtrip(v, n, big[k]);
        free(v);
    }
}

static size_t uleb_len(uint64_t x) {
    size_t k = 1;
    while (x >= 0x80) x >>= 7, k++;
    return k;
}

/* What the writer chooses: RLE for runs >= 8, bit-packing (last group
 * padded) for the rest. */
static void test_rle_choices(void) {
    /* Encodings.md: 0..7 with bit width 3 bit-pack to 10001000 11000110 11111010 */
    const uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const uint8_t want[] = {0x03, 0x88, 0xc6, 0xfa};
    vf_buf b = {0};
    pq_rle_encode_u32(&b, seq, 8, 3);
    CHECK_INT(b.len, sizeof want);
    CHECK_MEM(b.p, want, sizeof want);
    rle_check_decode(want, sizeof want, seq, 8, 3);
    /* a run: header (count << 1), the value in round-up(bw / 8) bytes */
    uint32_t run[300];
    for (int i = 0; i < 300; i++) run[i] = 0x1234;
    b.len = 0;
    pq_rle_encode_u32(&b, run, 300, 13);
    const uint8_t want_run[] = {0xd8, 0x04, 0x34, 0x12};
    CHECK_INT(b.len, sizeof want_run);
    CHECK_MEM(b.p, want_run, sizeof want_run);
    /* three values, padded to a group */
    b.len = 0;
    pq_rle_encode_u32(&b, seq + 5, 3, 3);
    const uint8_t want_pad[] = {0x03, 0xf5, 0x01, 0x00};
    CHECK_INT(b.len, sizeof want_pad);
    CHECK_MEM(b.p, want_pad, sizeof want_pad);
    /* 5 scattered values then a run of 11: the run lends 3 to fill the
     * group, and the 8 left stay a run */
    uint32_t mix[16] = {1, 2, 3, 1, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    b.len = 0;
    pq_rle_encode_u32(&b, mix, 16, 3);
    const uint8_t want_mix[] = {0x03, 0xd1, 0xa2, 0xb6, 0x10, 0x05};
    CHECK_INT(b.len, sizeof want_mix);
    CHECK_MEM(b.p, want_mix, sizeof want_mix);
    rle_check_decode(b.p, b.len, mix, 16, 3);
    /* the same with a run of 10: 7 left is too short for a run */
    b.len = 0;
    pq_rle_encode_u32(&b, mix, 15, 3);
    CHECK_INT(b.p[0], 0x05); /* two bit-packed groups */
    CHECK_INT(b.len, 1 + 2 * 3);
    rle_check_decode(b.p, b.len, mix, 15, 3);
    /* long runs and long bit-packed stretches */
    uint32_t *v = xmalloc(100000 * 4);
    for (int i = 0; i < 100000; i++) v[i] = 7;
    b.len = 0;
    pq_rle_encode_u32(&b, v, 100000, 3);
    CHECK_INT(b.len, uleb_len(100000 << 1) + 1);
    for (int i = 0; i < 100000; i++) v[i] = (uint32_t)i & 1;
    b.len = 0;
    pq_rle_encode_u32(&b, v, 100000, 1);
    CHECK(b.len < 100000 / 8 + 100);
    rle_check_decode(b.p, b.len, v, 100000, 1);
    free(v);
    vf_buf_free(&b);
}

/* Streams from pyarrow: dictionary indices and definition levels. */
static void test_rle_pyarrow(void) {
    uint32_t *out = xmalloc(dict_idx_n * 4);
    pq_rle_dec d;
    vf_error err;
    pq_rle_init(&d, dict_page + 1, dict_page_len - 1, dict_page[0]);
    CHECK_INT(pq_rle_get_u32(&d, out, dict_idx_n, &err), VF_OK);
    CHECK_MEM(out, dict_idx, dict_idx_n * 4);
    free(out);
    /* page v1 of a nullable INT32 column: u32 length, levels, PLAIN values */
    uint32_t llen;
    memcpy(&llen, deflev_page, 4);
    uint8_t lev[deflev_vals_n];
    pq_rle_init(&d, deflev_page + 4, llen, 1);
    CHECK_INT(pq_rle_get_u8(&d, lev, deflev_vals_n, &err), VF_OK);
    CHECK_MEM(lev, deflev_vals, deflev_vals_n);
    const uint8_t *vals = deflev_page + 4 + llen;
    size_t nvalid = 0;
    int bad = 0;
    for (size_t i = 0; i < deflev_vals_n; i++)
        if (lev[i]) {
            int32_t x;
            memcpy(&x, vals + 4 * nvalid++, 4);
            bad += x != (int32_t)i;
        }
    CHECK_INT(bad, 0);
    CHECK_INT(4 + llen + 4 * nvalid, deflev_page_len);
}

static void test_rle_corrupt(void) {
    pq_rle_dec d;
    uint32_t out[64];
    uint8_t o8[64];
    const uint8_t zero_run[] = {0x00, 0x01};
    pq_rle_init(&d, zero_run, sizeof zero_run, 8);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE: run of 0");
    const uint8_t zero_groups[] = {0x01};
    pq_rle_init(&d, zero_groups, 1, 8);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE: bit-packed run of 0");
    const uint8_t huge_hdr[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    pq_rle_init(&d, huge_hdr, sizeof huge_hdr, 8);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE:");
    const uint8_t huge_groups[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    pq_rle_init(&d, huge_groups, sizeof huge_groups, 8);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "exceeds 2^31-1");
    const uint8_t unterminated[] = {0x80, 0x80};
    pq_rle_init(&d, unterminated, sizeof unterminated, 8);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE:");
    const uint8_t too_big[] = {0x10, 0x09}; /* 8 x 9 with bit width 3 */
    pq_rle_init(&d, too_big, sizeof too_big, 3);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "does not fit bit width 3");
    const uint8_t short_val[] = {0x10, 0x09}; /* the value needs 2 bytes at bit width 9 */
    pq_rle_init(&d, short_val, sizeof short_val, 9);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE: truncated run value");
    pq_rle_init(&d, zero_run, sizeof zero_run, 33);
    CHECK_FAILS(pq_rle_get_u32(&d, out, 1, &g_err), "RLE: bit width 33");
    pq_rle_init(&d, zero_run, sizeof zero_run, 9);
    CHECK_FAILS(pq_rle_get_u8(&d, o8, 1, &g_err), "RLE: bit width 9");
    pq_rle_init(&d, NULL, 0, 1);
    CHECK_FAILS(pq_rle_get_u8(&d, o8, 1, &g_err), "RLE: data ends");
    /* more values than the stream holds */
    const uint8_t eight[] = {0x10, 0x01};
    pq_rle_init(&d, eight, sizeof eight, 1);
    CHECK_FAILS(pq_rle_get_u8(&d, o8, 9, &g_err), "RLE: data ends");
    /* a short last bit-packed run: only the values whose bits are present */
    const uint8_t short_packed[] = {0x03, 0xff}; /* one group at bit width 4: 2 values present */
    pq_rle_init(&d, short_packed, sizeof short_packed, 4);
    CHECK_INT(pq_rle_get_u8(&d, o8, 2, &g_err), VF_OK);
    CHECK(o8[0] == 15 && o8[1] == 15);
    CHECK_FAILS(pq_rle_get_u8(&d, o8, 1, &g_err), "RLE: data ends");

    /* every truncation of a random stream fails or gives the right values */
    for (int bw = 1; bw <= 32; bw += 3) {
        uint32_t v[200], o[200];
        fill_levels(v, 200, bw, 1);
        vf_buf b = {0};
        pq_rle_encode_u32(&b, v, 200, bw);
        int wrong = 0, fails = 0;
        for (size_t len = 0; len < b.len; len++) {
            uint8_t *cut = xmalloc(len); /* exactly len bytes, so ASan sees any overread */
            memcpy(cut, b.p, len);
            pq_rle_init(&d, cut, len, bw);
            vf_status st = pq_rle_get_u32(&d, o, 200, &g_err);
            if (st == VF_OK)
                wrong += memcmp(o, v, sizeof v) != 0;
            else
                fails += st == VF_EFORMAT && g_err.code == VF_EFORMAT;
            free(cut);
        }
        CHECK_INT(wrong, 0);
        CHECK(fails >= (int)b.len - bw); /* only the padding of the last group may go */
        vf_buf_free(&b);
    }
    /* random bytes: never a crash, never a value out of range */
    for (int t = 0; t < 3000; t++) {
        uint8_t junk[40];
        uint32_t o[300];
        size_t len = r64() % sizeof junk;
        for (size_t i = 0; i < len; i++) junk[i] = (uint8_t)r64();
        int bw = (int)(r64() % 33);
        uint8_t *cut = xmalloc(len);
        memcpy(cut, junk, len);
        pq_rle_init(&d, cut, len, bw);
        if (pq_rle_get_u32(&d, o, 300, &g_err) == VF_OK) {
            int bad = 0;
            for (int i = 0; i < 300; i++) bad += o[i] > mask_of(bw);
            CHECK_INT(bad, 0);
        }
        free(cut);
    }
}

/* ---- deprecated BIT_PACKED ---------------------------------------------------------- */
static void test_bitpacked(void) {
    const uint8_t spec[] = {0x05, 0x39, 0x77}; /* Encodings.md: 0..7, bit width 3, MSB first */
    uint8_t out[200];
    vf_error err;
    CHECK_INT(pq_bitpacked_decode_u8(spec, 3, 3, out, 8, &err), VF_OK);
    for (int i = 0; i < 8; i++) CHECK_INT(out[i], i);
    for (int bw = 0; bw <= 8; bw++) { /* against a bit-at-a-time MSB-first packer */
        uint8_t v[200], packed[200] = {0};
        for (size_t i = 0; i < 200; i++) {
            v[i] = (uint8_t)(r64() & mask_of(bw));
            for (int k = 0; k < bw; k++)
                if (v[i] >> (bw - 1 - k) & 1) {
                    size_t bit = i * (size_t)bw + (size_t)k;
                    packed[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
                }
        }
        size_t len = (200 * (size_t)bw + 7) / 8;
        CHECK_INT(pq_bitpacked_decode_u8(packed, len, bw, out, 200, &err), VF_OK);
        CHECK_MEM(out, v, 200);
        if (bw) CHECK_FAILS(pq_bitpacked_decode_u8(packed, len - 1, bw, out, 200, &g_err), "BIT_PACKED:");
    }
    CHECK_FAILS(pq_bitpacked_decode_u8(spec, 3, 9, out, 1, &g_err), "BIT_PACKED: bit width 9");
}

/* ==================================================================================== */
/* PLAIN                                                                                 */
/* ==================================================================================== */
static void test_plain_bool(void) {
    vf_error err;
    for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++) {
        size_t n = SIZES[s];
        uint8_t *v = xmalloc(n), *o = xmalloc(n);
        for (size_t i = 0; i < n; i++) v[i] = (uint8_t)(r64() & 1);
        vf_buf b = {0};
        pq_plain_bool_encode(&b, v, n);
        CHECK_INT(b.len, (n + 7) / 8);
        CHECK_INT(pq_plain_bool_decode(b.p, b.len, o, n, &err), VF_OK);
        CHECK_MEM(o, v, n);
        if (n) CHECK_FAILS(pq_plain_bool_decode(b.p, b.len - 1, o, n, &g_err), "PLAIN BOOLEAN:");
        vf_buf_free(&b);
        free(v);
        free(o);
    }
    uint8_t o[bool_vals_n];
    CHECK_INT(pq_plain_bool_decode(bool_page, bool_page_len, o, bool_vals_n, &err), VF_OK);
    CHECK_MEM(o, bool_vals, bool_vals_n);
    vf_buf b = {0};
    pq_plain_bool_encode(&b, bool_vals, bool_vals_n);
    CHECK_INT(b.len, bool_page_len);
    CHECK_MEM(b.p, bool_page, bool_page_len);
    vf_buf_free(&b);
}

/* count random byte strings: empty ones, long ones, shared prefixes; the
 * bytes live in *store (free it) */
static pq_view *random_strings(size_t count, bool sorted, uint8_t **store) {
    pq_view *v = xmalloc(count * sizeof *v);
    size_t cap = count * 64 + 4096, used = 0;
    uint8_t *s = xmalloc(cap);
    static const char *pre[] = {"", "a", "http://example.com/", "vpc-0123", "\xff\x00\xfe"};
    for (size_t i = 0; i < count; i++) {
        size_t len = r64() % 50 == 0 ? r64() % 3000 : r64() % 40, k;
        const uint8_t *from;
        if (i && r64() % 3 == 0) { /* share a prefix with the previous value */
            k = r64() % (v[i - 1].n + 1);
            from = v[i - 1].p;
        } else {
            const char *x = pre[r64() % 5];
            k = x == pre[4] ? 3 : strlen(x);
            from = (const uint8_t *)x;
        }
        if (used + k + len > cap) k = len = 0;
        uint8_t *p = s + used;
        if (k) memcpy(p, from, k);
        for (size_t j = 0; j < len; j++) p[k + j] = sorted ? (uint8_t)('a' + r64() % 3) : (uint8_t)r64();
        v[i].p = p;
        v[i].n = (uint32_t)(k + len);
        used += k + len;
    }
    *store = s;
    return v;
}

static bool views_equal(const pq_view *a, const pq_view *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i].n != b[i].n || (a[i].n && memcmp(a[i].p, b[i].p, a[i].n) != 0)) return false;
    return true;
}

static void test_plain_ba(void) {
    vf_error err;
    for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++) {
        size_t n = SIZES[s], used = 0;
        uint8_t *store;
        pq_view *v = random_strings(n, false, &store), *o = xmalloc(n * sizeof *o);
        vf_buf b = {0};
        pq_plain_ba_encode(&b, v, n);
        CHECK_INT(pq_plain_ba_decode(b.p, b.len, o, n, &used, &err), VF_OK);
        CHECK_INT(used, b.len);
        CHECK(views_equal(o, v, n));
        if (n && n < 200) {
            int fails = 0;
            for (size_t len = 0; len < b.len; len++) {
                uint8_t *cut = xmalloc(len);
                memcpy(cut, b.p, len);
                fails += pq_plain_ba_decode(cut, len, o, n, &used, &g_err) == VF_EFORMAT;
                free(cut);
            }
            CHECK_INT(fails, b.len);
        }
        vf_buf_free(&b);
        free(v);
        free(o);
        free(store);
    }
    const uint8_t neg[] = {0xff, 0xff, 0xff, 0xff, 'x'};
    pq_view o[2];
    size_t used;
    CHECK_FAILS(pq_plain_ba_decode(neg, sizeof neg, o, 1, &used, &g_err), "negative length");
    const uint8_t over[] = {0x02, 0, 0, 0, 'x'};
    CHECK_FAILS(pq_plain_ba_decode(over, sizeof over, o, 1, &used, &g_err), "overruns");
}

/* ==================================================================================== */
/* DELTA_BINARY_PACKED                                                                   */
/* ==================================================================================== */
static void fill_i64(int64_t *v, size_t n, int shape) {
    uint64_t x = 1700000000000ULL;
    for (size_t i = 0; i < n; i++) {
        switch (shape) {
        case 0: v[i] = (int64_t)r64(); break;                     /* full range: deltas wrap */
        case 1: x += 1000 + r64() % 50, v[i] = (int64_t)x; break; /* timestamps */
        case 2: v[i] = (int64_t)(r64() % 2000) - 1000; break;
        case 3: v[i] = (r64() & 1) ? INT64_MAX : INT64_MIN; break;
        case 4: v[i] = 42; break;
        case 5: v[i] = (int64_t)(r64() >> (r64() % 64)) * ((r64() & 1) ? 1 : -1); break; /* mixed widths */
        }
    }
}

static void delta_roundtrip_i64(const int64_t *v, size_t n) {
    vf_buf b = {0};
    pq_delta_encode_i64(&b, v, n);
    CHECK(!b.oom);
    int64_t *o = xmalloc((n + 1) * 8);
    size_t count = 99, used = 0;
    vf_error err;
    CHECK_INT(pq_delta_count(b.p, b.len, &count, &err), VF_OK);
    CHECK_INT(count, n);
    CHECK_INT(pq_delta_decode_i64(b.p, b.len, o, n, &count, &used, &err), VF_OK);
    CHECK_INT(count, n);
    CHECK_INT(used, b.len);
    CHECK_MEM(o, v, n * 8);
    if (n) CHECK_FAILS(pq_delta_decode_i64(b.p, b.len, o, n - 1, &count, &used, &g_err), "DELTA_BINARY_PACKED:");
    free(o);
    vf_buf_free(&b);
}

static void delta_roundtrip_i32(const int32_t *v, size_t n) {
    vf_buf b = {0};
    pq_delta_encode_i32(&b, v, n);
    CHECK(!b.oom);
    int32_t *o = xmalloc((n + 1) * 4);
    size_t count = 99, used = 0;
    vf_error err;
    CHECK_INT(pq_delta_decode_i32(b.p, b.len, o, n, &count, &used, &err), VF_OK);
    CHECK_INT(count, n);
    CHECK_INT(used, b.len);
    CHECK_MEM(o, v, n * 4);
    free(o);
    vf_buf_free(&b);
}

static void test_delta_roundtrips(void) {
    static const size_t more[] = {2, 31, 32, 33, 63, 64, 65, 255, 256, 257, 513};
    for (int shape = 0; shape < 6; shape++) {
        for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES + sizeof more / sizeof *more; s++) {
            size_t n = s < sizeof SIZES / sizeof *SIZES ? SIZES[s] : more[s - sizeof SIZES / sizeof *SIZES];
            int64_t *v = xmalloc(n * 8);
            int32_t *w = xmalloc(n * 4);
            fill_i64(v, n, shape);
            for (size_t i = 0; i < n; i++) w[i] = (int32_t)(uint32_t)(uint64_t)v[i];
            delta_roundtrip_i64(v, n);
            delta_roundtrip_i32(w, n);
            free(v);
            free(w);
        }
    }
    size_t n = 1000003;
    int64_t *v = xmalloc(n * 8);
    int32_t *w = xmalloc(n * 4);
    for (int shape = 0; shape < 2; shape++) {
        fill_i64(v, n, shape);
        for (size_t i = 0; i < n; i++) w[i] = (int32_t)(uint32_t)(uint64_t)v[i];
        delta_roundtrip_i64(v, n);
        delta_roundtrip_i32(w, n);
    }
    /* extremes that wrap both ways */
    const int64_t e64[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, INT64_MAX, -1, INT64_MIN + 1, 1, INT64_MAX - 1};
    delta_roundtrip_i64(e64, sizeof e64 / sizeof *e64);
    const int32_t e32[] = {INT32_MIN, INT32_MAX, INT32_MIN, 0, INT32_MAX, -1, INT32_MIN + 1, 1, INT32_MAX - 1};
    delta_roundtrip_i32(e32, sizeof e32 / sizeof *e32);
    free(v);
    free(w);
}

/* The worked examples of Encodings.md, with the block size 128 (4
 * miniblocks) a real stream needs, and the minimum bit widths. */
static void test_delta_examples(void) {
    vf_buf b = {0};
    const int64_t ex1[] = {1, 2, 3, 4, 5};
    pq_delta_encode_i64(&b, ex1, 5);
    /* header: 128, 4 miniblocks, 5 values, first 1 (zigzag 2); block: min delta 1 (zigzag 2), widths 0 */
    const uint8_t want1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    CHECK_INT(b.len, sizeof want1);
    CHECK_MEM(b.p, want1, sizeof want1);
    const int64_t ex2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    b.len = 0;
    pq_delta_encode_i64(&b, ex2, 8);
    /* min delta -2 (zigzag 3), widths 2 0 0 0, relative deltas 0 0 0 3 3 3 3 and 25 zeros of padding */
    const uint8_t want2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00,
                             0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_INT(b.len, sizeof want2);
    CHECK_MEM(b.p, want2, sizeof want2);
    int64_t o[8];
    int32_t o32[8];
    size_t count, used;
    vf_error err;
    CHECK_INT(pq_delta_decode_i64(want2, sizeof want2, o, 8, &count, &used, &err), VF_OK);
    CHECK_INT(count, 8);
    CHECK_MEM(o, ex2, sizeof ex2);
    CHECK_INT(pq_delta_decode_i32(want1, sizeof want1, o32, 8, &count, &used, &err), VF_OK);
    CHECK(count == 5 && o32[0] == 1 && o32[4] == 5 && used == sizeof want1);
    /* the examples as printed use a block size of 8, which real streams may not */
    const uint8_t spec2[] = {0x08, 0x01, 0x08, 0x0e, 0x03, 0x02, 0xc0, 0x3f};
    CHECK_FAILS(pq_delta_decode_i64(spec2, sizeof spec2, o, 8, &count, &used, &g_err),
                "DELTA_BINARY_PACKED: block size 8");
    /* INT32 deltas wrap at 32 bits: MAX to MIN is +1, MIN to MAX is -1, so
     * the relative deltas 2, 0, 2 need 2 bits (33 in 64-bit arithmetic) */
    const int32_t wrap32[] = {INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN};
    b.len = 0;
    pq_delta_encode_i32(&b, wrap32, 4);
    CHECK_INT(b.len, 2 + 1 + 1 + 5 + 1 + 4 + 8); /* first value zigzag 2^32-2: 5 bytes; min delta -1: 1 */
    CHECK_INT(b.p[10], 2);
    CHECK_INT(pq_delta_decode_i32(b.p, b.len, o32, 8, &count, &used, &err), VF_OK);
    CHECK_MEM(o32, wrap32, sizeof wrap32);
    vf_buf_free(&b);
    /* minimum widths: timestamps 1000 apart, +63 on odd ones: deltas 937 or
     * 1063, relative 0 or 126, 7 bits */
    int64_t ts[129];
    for (int i = 0; i < 129; i++) ts[i] = 1700000000000LL + 1000 * i + (i % 2 ? 63 : 0);
    vf_buf c = {0};
    pq_delta_encode_i64(&c, ts, 129);
    size_t h = 2 + 1 + 2 + 6; /* 128, 4, 129, first value */
    CHECK_INT(c.len, h + 2 + 4 + 4 * 32 * 7 / 8);
    CHECK(c.p[h + 2] == 7 && c.p[h + 3] == 7 && c.p[h + 4] == 7 && c.p[h + 5] == 7);
    vf_buf_free(&c);
}

static void test_delta_pyarrow(void) {
    int64_t o[400];
    int32_t o32[400];
    size_t count, used;
    vf_error err;
    CHECK_INT(pq_delta_decode_i64(dbp64_page, dbp64_page_len, o, 400, &count, &used, &err), VF_OK);
    CHECK_INT(count, dbp64_vals_n);
    CHECK_INT(used, dbp64_page_len);
    CHECK_MEM(o, dbp64_vals, dbp64_vals_n * 8);
    CHECK_INT(pq_delta_decode_i64(dbp64_one_page, dbp64_one_page_len, o, 400, &count, &used, &err), VF_OK);
    CHECK(count == 1 && o[0] == 42 && used == dbp64_one_page_len);
    CHECK_INT(pq_delta_decode_i64(dbp64_129_page, dbp64_129_page_len, o, 400, &count, &used, &err), VF_OK);
    CHECK_INT(count, dbp64_129_vals_n);
    CHECK_INT(used, dbp64_129_page_len);
    CHECK_MEM(o, dbp64_129_vals, dbp64_129_vals_n * 8);
    CHECK_INT(pq_delta_decode_i32(dbp32_page, dbp32_page_len, o32, 400, &count, &used, &err), VF_OK);
    CHECK_INT(count, dbp32_vals_n);
    CHECK_INT(used, dbp32_page_len);
    CHECK_MEM(o32, dbp32_vals, dbp32_vals_n * 4);
    CHECK_INT(pq_delta_count(dbp32_page, dbp32_page_len, &count, &err), VF_OK);
    CHECK_INT(count, dbp32_vals_n);
    /* every truncation fails: the last miniblock is padded, so every byte is needed */
    int fails = 0;
    for (size_t len = 0; len < dbp64_page_len; len++) {
        uint8_t *cut = xmalloc(len);
        memcpy(cut, dbp64_page, len);
        vf_error_clear(&g_err);
        fails += pq_delta_decode_i64(cut, len, o, 400, &count, &used, &g_err) == VF_EFORMAT &&
                 strstr(g_err.msg, "DELTA_BINARY_PACKED: ") != NULL;
        free(cut);
    }
    CHECK_INT(fails, dbp64_page_len);
}

static void test_delta_corrupt(void) {
    int64_t o[300];
    int32_t o32[300];
    size_t count, used;
    /* header: block size, miniblocks, count, first (zigzag) */
    const uint8_t bs0[] = {0x00, 0x04, 0x01, 0x00};
    CHECK_FAILS(pq_delta_decode_i64(bs0, sizeof bs0, o, 8, &count, &used, &g_err), "block size 0");
    const uint8_t bs129[] = {0x81, 0x01, 0x04, 0x01, 0x00};
    CHECK_FAILS(pq_delta_decode_i64(bs129, sizeof bs129, o, 8, &count, &used, &g_err), "block size 129");
    const uint8_t mb0[] = {0x80, 0x01, 0x00, 0x01, 0x00};
    CHECK_FAILS(pq_delta_decode_i64(mb0, sizeof mb0, o, 8, &count, &used, &g_err), "0 miniblocks");
    const uint8_t mb3[] = {0x80, 0x01, 0x03, 0x01, 0x00};
    CHECK_FAILS(pq_delta_decode_i64(mb3, sizeof mb3, o, 8, &count, &used, &g_err), "3 miniblocks");
    const uint8_t mb8[] = {0x80, 0x01, 0x08, 0x01, 0x00}; /* miniblocks of 16 */
    CHECK_FAILS(pq_delta_decode_i64(mb8, sizeof mb8, o, 8, &count, &used, &g_err), "8 miniblocks");
    const uint8_t overlong[] = {0x80, 0x01, 0x04, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_FAILS(pq_delta_decode_i64(overlong, sizeof overlong, o, 8, &count, &used, &g_err), "header");
    /* 2 values; block: min delta 0, widths 65 .. */
    uint8_t w65[5 + 1 + 4 + 4 * 65] = {0x80, 0x01, 0x04, 0x02, 0x00, 0x00, 65, 0, 0, 0};
    CHECK_FAILS(pq_delta_decode_i64(w65, sizeof w65, o, 8, &count, &used, &g_err),
                "DELTA_BINARY_PACKED: miniblock bit width 65 > 64");
    w65[6] = 33;
    CHECK_FAILS(pq_delta_decode_i32(w65, sizeof w65, o32, 8, &count, &used, &g_err),
                "DELTA_BINARY_PACKED: miniblock bit width 33 > 32");
    /* the widths of unneeded miniblocks may be anything */
    const uint8_t junkw[] = {0x80, 0x01, 0x04, 0x03, 0x00, 0x02, 0x01, 200, 201, 202, 0x05, 0, 0, 0};
    CHECK_INT(pq_delta_decode_i64(junkw, sizeof junkw, o, 8, &count, &used, &g_err), VF_OK);
    CHECK(count == 3 && o[0] == 0 && o[1] == 2 && o[2] == 3 && used == sizeof junkw);
    /* a count that cannot fit the bytes left: refused before anything is sized by it */
    const uint8_t many[] = {0x80, 0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_FAILS(pq_delta_count(many, sizeof many, &count, &g_err), "cannot fit");
    /* more values than room */
    CHECK_FAILS(pq_delta_decode_i64(junkw, sizeof junkw, o, 2, &count, &used, &g_err), "room for 2");
    /* random bytes after a valid header: no crash, no hang */
    for (int t = 0; t < 3000; t++) {
        uint8_t junk[64];
        size_t len = 4 + r64() % 60;
        for (size_t i = 0; i < len; i++) junk[i] = (uint8_t)r64();
        junk[0] = 0x80, junk[1] = 0x01, junk[2] = (uint8_t)(1u << (r64() % 3)), junk[3] = (uint8_t)(r64() % 120);
        uint8_t *cut = xmalloc(len);
        memcpy(cut, junk, len);
        vf_status st = pq_delta_decode_i64(cut, len, o, 300, &count, &used, &g_err);
        CHECK(st == VF_OK || st == VF_EFORMAT);
        st = pq_delta_decode_i32(cut, len, o32, 300, &count, &used, &g_err);
        CHECK(st == VF_OK || st == VF_EFORMAT);
        free(cut);
    }
}

/* ==================================================================================== */
/* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY                                          */
/* ==================================================================================== */
static pq_view *views_of(const char *const *s, size_t n) {
    pq_view *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i].p = (const uint8_t *)s[i], v[i].n = (uint32_t)strlen(s[i]);
    return v;
}

/* enc, then both decoders' checks; dba selects DELTA_BYTE_ARRAY */
static void ba_roundtrip(const pq_view *v, size_t n, bool dba) {
    vf_buf b = {0}, scratch = {0};
    if (dba)
        pq_dba_encode(&b, v, n);
    else
        pq_dlba_encode(&b, v, n);
    CHECK(!b.oom);
    pq_view *o = xmalloc(n * sizeof *o);
    size_t used = 0;
    vf_error err;
    vf_status st = dba ? pq_dba_decode(b.p, b.len, o, n, &scratch, &used, &err)
                       : pq_dlba_decode(b.p, b.len, o, n, &used, &err);
    CHECK_INT(st, VF_OK);
    CHECK_INT(used, b.len);
    CHECK(views_equal(o, v, n));
    /* a different count is an error */
    if (n) {
        st = dba ? pq_dba_decode(b.p, b.len, o, n - 1, &scratch, &used, &g_err)
                 : pq_dlba_decode(b.p, b.len, o, n - 1, &used, &g_err);
        CHECK_INT(st, VF_EFORMAT);
    }
    if (n && n < 100) { /* every truncation fails */
        int fails = 0;
        for (size_t len = 0; len < b.len; len++) {
            uint8_t *cut = xmalloc(len);
            memcpy(cut, b.p, len);
            scratch.len = 0;
            st = dba ? pq_dba_decode(cut, len, o, n, &scratch, &used, &g_err)
                     : pq_dlba_decode(cut, len, o, n, &used, &g_err);
            fails += st == VF_EFORMAT && strstr(g_err.msg, dba ? "DELTA_BYTE_ARRAY" : "DELTA_LENGTH_BYTE_ARRAY");
            free(cut);
        }
        CHECK_INT(fails, b.len);
    }
    free(o);
    vf_buf_free(&b);
    vf_buf_free(&scratch);
}

static void test_byte_arrays(void) {
    for (int dba = 0; dba < 2; dba++)
        for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++)
            for (int sorted = 0; sorted < 2; sorted++) {
                uint8_t *store;
                pq_view *v = random_strings(SIZES[s], sorted, &store);
                ba_roundtrip(v, SIZES[s], dba);
                free(v);
                free(store);
            }
    /* all empty */
    pq_view e[40];
    for (int i = 0; i < 40; i++) e[i].p = (const uint8_t *)"", e[i].n = 0;
    ba_roundtrip(e, 40, false);
    ba_roundtrip(e, 40, true);
    /* a large page */
    uint8_t *store;
    pq_view *v = random_strings(100003, true, &store);
    ba_roundtrip(v, 100003, true);
    ba_roundtrip(v, 100003, false);
    free(v);
    free(store);
}

static void test_byte_array_examples(void) {
    /* Encodings.md: DELTA_LENGTH_BYTE_ARRAY of Hello World Foobar ABCDEF is
     * DeltaEncoding(5, 5, 6, 6) then the bytes */
    static const char *const hw[] = {"Hello", "World", "Foobar", "ABCDEF"};
    pq_view *v = views_of(hw, 4);
    vf_buf b = {0}, want = {0};
    const int32_t lens[] = {5, 5, 6, 6};
    pq_delta_encode_i32(&want, lens, 4);
    vf_buf_append(&want, "HelloWorldFoobarABCDEF", 22);
    pq_dlba_encode(&b, v, 4);
    CHECK_INT(b.len, want.len);
    CHECK_MEM(b.p, want.p, want.len);
    free(v);
    /* DELTA_BYTE_ARRAY of axis axle babble babyhood: prefixes (0, 2, 0, 3),
     * suffix lengths (4, 2, 6, 5), then "axislebabbleyhood" */
    static const char *const ax[] = {"axis", "axle", "babble", "babyhood"};
    v = views_of(ax, 4);
    const int32_t pre[] = {0, 2, 0, 3}, suf[] = {4, 2, 6, 5};
    want.len = b.len = 0;
    pq_delta_encode_i32(&want, pre, 4);
    pq_delta_encode_i32(&want, suf, 4);
    vf_buf_append(&want, "axislebabbleyhood", 17);
    pq_dba_encode(&b, v, 4);
    CHECK_INT(b.len, want.len);
    CHECK_MEM(b.p, want.p, want.len);
    free(v);

    /* pyarrow's pages */
    pq_view o[ba_vals_n];
    pq_view *ref = views_of(ba_vals, ba_vals_n);
    size_t used;
    vf_error err;
    vf_buf scratch = {0};
    CHECK_INT(pq_dlba_decode(dlba_page, dlba_page_len, o, ba_vals_n, &used, &err), VF_OK);
    CHECK_INT(used, dlba_page_len);
    CHECK(views_equal(o, ref, ba_vals_n));
    vf_buf_append(&scratch, "keep", 4); /* values are appended after what scratch holds */
    CHECK_INT(pq_dba_decode(dba_page, dba_page_len, o, ba_vals_n, &scratch, &used, &err), VF_OK);
    CHECK_INT(used, dba_page_len);
    CHECK(views_equal(o, ref, ba_vals_n));
    CHECK_MEM(scratch.p, "keep", 4);
    free(ref);

    /* a negative length; a prefix longer than the previous value; a first prefix */
    const int32_t neg[] = {-1};
    want.len = 0;
    pq_delta_encode_i32(&want, neg, 1);
    CHECK_FAILS(pq_dlba_decode(want.p, want.len, o, 1, &used, &g_err), "negative length -1");
    const int32_t pre2[] = {0, 5}, suf2[] = {1, 0};
    want.len = 0;
    pq_delta_encode_i32(&want, pre2, 2);
    pq_delta_encode_i32(&want, suf2, 2);
    vf_buf_append(&want, "a", 1);
    CHECK_FAILS(pq_dba_decode(want.p, want.len, o, 2, &scratch, &used, &g_err),
                "DELTA_BYTE_ARRAY: value 1: prefix of 5 bytes but the previous value has 1");
    const int32_t pre3[] = {1}, suf3[] = {0};
    want.len = 0;
    pq_delta_encode_i32(&want, pre3, 1);
    pq_delta_encode_i32(&want, suf3, 1);
    CHECK_FAILS(pq_dba_decode(want.p, want.len, o, 1, &scratch, &used, &g_err), "prefix of 1 bytes");
    const int32_t sufneg[] = {INT32_MIN};
    want.len = 0;
    pq_delta_encode_i32(&want, pre2, 1);
    pq_delta_encode_i32(&want, sufneg, 1);
    CHECK_FAILS(pq_dba_decode(want.p, want.len, o, 1, &scratch, &used, &g_err), "negative length");
    vf_buf_free(&scratch);
    vf_buf_free(&want);
    vf_buf_free(&b);
}

/* ==================================================================================== */
/* BYTE_STREAM_SPLIT                                                                     */
/* ==================================================================================== */
static void test_bss(void) {
    const uint8_t raw[] = {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x11, 0x22, 0x33, 0xa3, 0xb4, 0xc5, 0xd6};
    const uint8_t split[] = {0xaa, 0x00, 0xa3, 0xbb, 0x11, 0xb4, 0xcc, 0x22, 0xc5, 0xdd, 0x33, 0xd6};
    vf_buf b = {0};
    vf_error err;
    pq_bss_encode(&b, raw, 4, 3);
    CHECK_INT(b.len, 12);
    CHECK_MEM(b.p, split, 12);
    uint8_t o[300];
    CHECK_INT(pq_bss_decode(split, 12, 4, o, 3, &err), VF_OK);
    CHECK_MEM(o, raw, 12);
    CHECK_FAILS(pq_bss_decode(split, 11, 4, o, 3, &g_err), "BYTE_STREAM_SPLIT:");
    CHECK_FAILS(pq_bss_decode(split, 12, 4, o, 2, &g_err), "BYTE_STREAM_SPLIT:");
    CHECK_FAILS(pq_bss_decode(split, 12, SIZE_MAX / 2, o, 3, &g_err), "BYTE_STREAM_SPLIT:");
    CHECK_INT(pq_bss_decode(bss4_page, bss4_page_len, 4, o, bss4_raw_len / 4, &err), VF_OK);
    CHECK_MEM(o, bss4_raw, bss4_raw_len);
    CHECK_INT(pq_bss_decode(bss8_page, bss8_page_len, 8, o, bss8_raw_len / 8, &err), VF_OK);
    CHECK_MEM(o, bss8_raw, bss8_raw_len);
    CHECK_INT(pq_bss_decode(bss3_page, bss3_page_len, 3, o, bss3_raw_len / 3, &err), VF_OK);
    CHECK_MEM(o, bss3_raw, bss3_raw_len);
    for (size_t w = 1; w <= 17; w++)
        for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++) {
            size_t n = SIZES[s];
            uint8_t *v = xmalloc(n * w), *out = xmalloc(n * w);
            for (size_t i = 0; i < n * w; i++) v[i] = (uint8_t)r64();
            b.len = 0;
            pq_bss_encode(&b, v, w, n);
            CHECK_INT(b.len, n * w);
            CHECK_INT(pq_bss_decode(b.p, b.len, w, out, n, &err), VF_OK);
            CHECK_MEM(out, v, n * w);
            free(v);
            free(out);
        }
    vf_buf_free(&b);
}

/* ==================================================================================== */
/* xxHash64 and bloom filters                                                            */
/* ==================================================================================== */
static void test_xxhash(void) {
    CHECK(pq_xxhash64("", 0, 0) == UINT64_C(0xEF46DB3751D8E999));
    CHECK(pq_xxhash64(NULL, 0, 0) == UINT64_C(0xEF46DB3751D8E999));
    uint8_t msg[100];
    for (int k = 0; k < 100; k++) msg[k] = (uint8_t)((k * 7 + 3) & 255);
    int bad = 0;
    for (size_t i = 0; i < sizeof xxh_vecs / sizeof *xxh_vecs; i++) {
        /* from an unaligned copy, to be sure loads do not assume alignment */
        uint8_t *p = xmalloc(xxh_vecs[i].n + 1);
        memcpy(p + 1, msg, xxh_vecs[i].n);
        bad += pq_xxhash64(p + 1, xxh_vecs[i].n, 0) != xxh_vecs[i].h0;
        bad += pq_xxhash64(p + 1, xxh_vecs[i].n, UINT64_C(0xfffffffffffffffd)) != xxh_vecs[i].hs;
        free(p);
    }
    CHECK_INT(bad, 0);
}

static uint64_t hash_str(const char *s) { return pq_xxhash64(s, strlen(s), 0); }
static uint64_t hash_i64(int64_t v) {
    uint8_t b[8];
    memcpy(b, &v, 8); /* the PLAIN encoding: little-endian, as this CPU */
    return pq_xxhash64(b, 8, 0);
}

/* Every hash is in the filter, and inserting them into an empty one of
 * the same size gives the same bitset. */
static void bloom_same(const uint8_t *bits, size_t nbytes, const uint64_t *h, size_t n) {
    uint8_t *mine = calloc(1, nbytes);
    int missing = 0;
    for (size_t i = 0; i < n; i++) {
        missing += !pq_bloom_check(bits, nbytes, h[i]);
        pq_bloom_insert(mine, nbytes, h[i]);
    }
    CHECK_INT(missing, 0);
    CHECK_MEM(mine, bits, nbytes);
    free(mine);
}

static void test_bloom(void) {
    /* sizes: the spec's formula, as pyarrow computes them */
    for (size_t i = 0; i < sizeof bloom_pa_sizes / sizeof *bloom_pa_sizes; i++)
        CHECK_INT(pq_bloom_bytes(bloom_pa_sizes[i].ndv, bloom_pa_sizes[i].fpp), bloom_pa_sizes[i].bytes);
    CHECK_INT(pq_bloom_bytes(0, 0.01), 32);
    CHECK_INT(pq_bloom_bytes(1000000, 0.01), 1 << 21); /* 1.2 MB for a million at 1% (BloomFilter.md) */
    CHECK_INT(pq_bloom_bytes(UINT64_MAX, 0.01), 128 << 20);
    CHECK_INT(pq_bloom_bytes(1000, 1e-300), 128 << 20);

    /* parquet-mr's filter of its strings and pyarrow's of INT64 and of
     * strings: every value is found, and a filter built here from the same
     * values is the same bitset */
    uint64_t h[100];
    for (size_t i = 0; i < bloom_mr_vals_n; i++) h[i] = hash_str(bloom_mr_vals[i]);
    bloom_same(bloom_mr_bits, bloom_mr_bits_len, h, bloom_mr_vals_n);
    CHECK(!pq_bloom_check(bloom_mr_bits, bloom_mr_bits_len, hash_str("not there")));
    for (size_t i = 0; i < bloom_pa_i64_vals_n; i++) h[i] = hash_i64(bloom_pa_i64_vals[i]);
    bloom_same(bloom_pa_i64_bits, bloom_pa_i64_bits_len, h, bloom_pa_i64_vals_n);
    for (size_t i = 0; i < bloom_pa_str_vals_n; i++) h[i] = hash_str(bloom_pa_str_vals[i]);
    bloom_same(bloom_pa_str_bits, bloom_pa_str_bits_len, h, bloom_pa_str_vals_n);

    /* no false negatives; false positives near the rate asked for */
    int missing = 0;
    size_t ndv = 20000, nb = pq_bloom_bytes(ndv, 0.01);
    uint8_t *bits = calloc(1, nb);
    for (size_t i = 0; i < ndv; i++) pq_bloom_insert(bits, nb, hash_i64((int64_t)i * 7919));
    for (size_t i = 0; i < ndv; i++) missing += !pq_bloom_check(bits, nb, hash_i64((int64_t)i * 7919));
    CHECK_INT(missing, 0);
    size_t fp = 0;
    for (size_t i = 0; i < 100000; i++) fp += pq_bloom_check(bits, nb, hash_i64(-(int64_t)i - 1));
    CHECK(fp < 1000); /* 1% of 100000; the power-of-two rounding makes it lower */
    free(bits);
}

/* ==================================================================================== */
/* micro-benchmark (VF_BENCH=1)                                                          */
/* ==================================================================================== */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench(void) {
    const size_t n = 10000000;
    uint32_t *v = xmalloc(n * 4), *o = xmalloc(n * 4);
    vf_error err;
    memset(o, 0, n * 4); /* fault the pages in before timing */
    static const int bws[] = {1, 4, 8, 10, 12, 13, 16, 20, 32};
    for (size_t k = 0; k < sizeof bws / sizeof *bws; k++) {
        const int bw = bws[k];
        for (size_t i = 0; i < n; i++) v[i] = (uint32_t)(r64() & mask_of(bw));
        vf_buf b = {0};
        double t0 = now();
        pq_rle_encode_u32(&b, v, n, bw);
        double t1 = now();
        pq_rle_dec d;
        for (int rep = 0; rep < 3; rep++) {
            pq_rle_init(&d, b.p, b.len, bw);
            if (pq_rle_get_u32(&d, o, n, &err) != VF_OK) abort();
        }
        double t2 = now();
        printf("bench: RLE bw %2d: encode %6.0f Mvalues/s, decode %6.0f Mvalues/s\n", bw, n / (t1 - t0) / 1e6,
               3 * n / (t2 - t1) / 1e6);
        vf_buf_free(&b);
    }
    int64_t *ts = xmalloc(n * 8), *to = xmalloc(n * 8);
    memset(to, 0, n * 8);
    uint64_t x = 1700000000000000ULL;
    for (size_t i = 0; i < n; i++) x += r64() % 5000, ts[i] = (int64_t)x;
    vf_buf b = {0};
    double t0 = now();
    pq_delta_encode_i64(&b, ts, n);
    double t1 = now();
    size_t count, used;
    for (int rep = 0; rep < 3; rep++)
        if (pq_delta_decode_i64(b.p, b.len, to, n, &count, &used, &err) != VF_OK) abort();
    double t2 = now();
    printf("bench: DELTA int64 timestamps: %.2f bytes/value, encode %6.0f Mvalues/s, decode %6.0f Mvalues/s\n",
           (double)b.len / n, n / (t1 - t0) / 1e6, 3 * n / (t2 - t1) / 1e6);
    vf_buf_free(&b);
    free(v);
    free(o);
    free(ts);
    free(to);
}

int main(void) {
    test_rle_roundtrips();
    test_rle_choices();
    test_rle_pyarrow();
    test_rle_corrupt();
    test_bitpacked();
    test_plain_bool();
    test_plain_ba();
    test_delta_roundtrips();
    test_delta_examples();
    test_delta_pyarrow();
    test_delta_corrupt();
    test_byte_arrays();
    test_byte_array_examples();
    test_bss();
    test_xxhash();
    test_bloom();
    const char *b = getenv("VF_BENCH");
    if (b && *b && strcmp(b, "0") != 0) bench();
    return check_summary();
}
