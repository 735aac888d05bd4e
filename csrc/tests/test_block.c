/*
 * test_block.c - unit tests of the block codecs Parquet pages use
 * (csrc/codec/block.c): round trips, exact-size checks, corrupt input.
 */
#include "codec/block.h"
#include "check.h"

#ifdef VF_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef VF_HAVE_BROTLI
#include <brotli/decode.h>
#endif

static uint8_t *sample(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)("flow log text 10.0.0.1 ACCEPT OK\n"[i % 33] ^ (rnd() % 7 == 0));
    return p;
}

static void roundtrip(vf_blockz *z, int codec, int level, size_t n) {
    uint8_t *in = sample(n);
    vf_buf c = {0};
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(vf_block_compress(z, codec, level, in, n, &c, &err), VF_OK);
    uint8_t *out = malloc(n + 1);
    CHECK_INT(vf_block_decompress(z, codec, c.p, c.len, out, n, &err), VF_OK);
    CHECK_MEM(out, in, n);
    /* a wrong size in the page header is an error, never an overrun */
    if (n > 0) {
        CHECK(vf_block_decompress(z, codec, c.p, c.len, out, n - 1, &err) != VF_OK);
        CHECK_INT(err.code, VF_ECODEC);
    }
    CHECK(vf_block_decompress(z, codec, c.p, c.len, out, n + 1, &err) != VF_OK);
    /* truncated input */
    if (c.len > 4 && codec != VF_BC_UNCOMPRESSED)
        CHECK(vf_block_decompress(z, codec, c.p, c.len / 2, out, n, &err) != VF_OK);
    free(out);
    free(in);
    vf_buf_free(&c);
}

static void test_roundtrips(void) {
    vf_blockz *z = vf_blockz_new();
    const int codecs[] = {VF_BC_UNCOMPRESSED, VF_BC_SNAPPY, VF_BC_GZIP, VF_BC_ZSTD};
    const size_t sizes[] = {0, 1, 100, 65536, 1000003};
    for (size_t c = 0; c < 4; c++)
        for (size_t s = 0; s < 5; s++) roundtrip(z, codecs[c], 0, sizes[s]);
    roundtrip(z, VF_BC_ZSTD, 19, 100000);
    roundtrip(z, VF_BC_ZSTD, 1, 100000);
    roundtrip(z, VF_BC_GZIP, 1, 100000);
    roundtrip(z, VF_BC_GZIP, 9, 100000);
    vf_blockz_free(z);
}

static void test_gzip_members(void) {
    /* two gzip members back to back, then zero padding: one page */
    vf_blockz *z = vf_blockz_new();
    vf_buf c = {0};
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(vf_block_compress(z, VF_BC_GZIP, 0, "hello ", 6, &c, &err), VF_OK);
    CHECK_INT(vf_block_compress(z, VF_BC_GZIP, 0, "world", 5, &c, &err), VF_OK);
    vf_buf_push(&c, 0);
    vf_buf_push(&c, 0);
    char out[11];
    CHECK_INT(vf_block_decompress(z, VF_BC_GZIP, c.p, c.len, out, 11, &err), VF_OK);
    CHECK_MEM(out, "hello world", 11);
    /* garbage is an error with a message */
    CHECK_INT(vf_block_decompress(z, VF_BC_GZIP, "garbage!", 8, out, 11, &err), VF_ECODEC);
    CHECK_CONTAINS(err.msg, "gzip");
    vf_buf_free(&c);
    vf_blockz_free(z);
}

static void test_unsupported(void) {
    vf_error err;
    vf_error_clear(&err);
    char out[4];
    CHECK_INT(vf_block_decompress(NULL, VF_BC_LZO, "abcd", 4, out, 4, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "unsupported codec LZO");
    CHECK_INT(vf_block_decompress(NULL, 99, "abcd", 4, out, 4, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "UNKNOWN");
    vf_buf b = {0};
    CHECK_INT(vf_block_compress(NULL, VF_BC_LZ4_RAW, 0, "abcd", 4, &b, &err), VF_EARG);
    CHECK(!vf_block_supported(VF_BC_LZO));
    CHECK(vf_block_supported(VF_BC_ZSTD));
    CHECK(vf_block_can_compress(VF_BC_SNAPPY));
    CHECK(!vf_block_can_compress(VF_BC_BROTLI));
    CHECK_STR(vf_block_name(VF_BC_LZ4_RAW), "LZ4_RAW");
    vf_buf_free(&b);
}

#ifdef VF_HAVE_LZ4
static void test_lz4(void) {
    vf_blockz *z = vf_blockz_new();
    vf_error err;
    vf_error_clear(&err);
    size_t n = 50000;
    uint8_t *in = sample(n);
    int cap = LZ4_compressBound((int)n);
    uint8_t *c = malloc((size_t)cap + 8);
    int clen = LZ4_compress_default((const char *)in, (char *)c + 8, (int)n, cap);
    CHECK(clen > 0);
    uint8_t *out = malloc(n);
    /* LZ4_RAW */
    CHECK_INT(vf_block_decompress(z, VF_BC_LZ4_RAW, c + 8, (size_t)clen, out, n, &err), VF_OK);
    CHECK_MEM(out, in, n);
    CHECK(vf_block_decompress(z, VF_BC_LZ4_RAW, c + 8, (size_t)clen, out, n - 1, &err) != VF_OK);
    /* LZ4 with Hadoop framing: [raw size BE][compressed size BE][block] */
    uint32_t r = (uint32_t)n, k = (uint32_t)clen;
    uint8_t hdr[8] = {(uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8), (uint8_t)r,
                      (uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    memcpy(c, hdr, 8);
    memset(out, 0, n);
    CHECK_INT(vf_block_decompress(z, VF_BC_LZ4, c, (size_t)clen + 8, out, n, &err), VF_OK);
    CHECK_MEM(out, in, n);
    /* and LZ4 as raw blocks (old Arrow) */
    memset(out, 0, n);
    CHECK_INT(vf_block_decompress(z, VF_BC_LZ4, c + 8, (size_t)clen, out, n, &err), VF_OK);
    CHECK_MEM(out, in, n);
    free(in);
    free(c);
    free(out);
    vf_blockz_free(z);
}
#endif

int main(void) {
    test_roundtrips();
    test_gzip_members();
    test_unsupported();
#ifdef VF_HAVE_LZ4
    test_lz4();
#endif
    return check_summary();
}
