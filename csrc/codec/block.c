/*
 * block.c - whole-block codecs for Parquet pages (block.h).
 *
 * Compression: snappy, gzip (zlib's deflate, one RFC 1952 member), zstd
 * (one frame, through a reused ZSTD_CCtx).  Decompression adds LZ4 and
 * BROTLI when their headers were found at build time.  Every decoder
 * writes into the caller's buffer of the exact uncompressed size and
 * fails, never overruns, when the data would not fit.
 */
#include "block.h"

#include <stdio.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#ifdef VF_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef VF_HAVE_BROTLI
#include <brotli/decode.h>
#endif

struct vf_blockz {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream def, inf;
    bool def_ready, inf_ready;
};

const char *vf_block_name(int codec) {
    switch (codec) {
    case VF_BC_UNCOMPRESSED: return "UNCOMPRESSED";
    case VF_BC_SNAPPY: return "SNAPPY";
    case VF_BC_GZIP: return "GZIP";
    case VF_BC_LZO: return "LZO";
    case VF_BC_BROTLI: return "BROTLI";
    case VF_BC_LZ4: return "LZ4";
    case VF_BC_ZSTD: return "ZSTD";
    case VF_BC_LZ4_RAW: return "LZ4_RAW";
    }
    return "UNKNOWN";
}

bool vf_block_supported(int codec) {
    switch (codec) {
    case VF_BC_UNCOMPRESSED:
    case VF_BC_SNAPPY:
    case VF_BC_GZIP:
    case VF_BC_ZSTD: return true;
#ifdef VF_HAVE_LZ4
    case VF_BC_LZ4:
    case VF_BC_LZ4_RAW: return true;
#endif
#ifdef VF_HAVE_BROTLI
    case VF_BC_BROTLI: return true;
#endif
    }
    return false;
}

bool vf_block_can_compress(int codec) {
    return codec == VF_BC_UNCOMPRESSED || codec == VF_BC_SNAPPY || codec == VF_BC_GZIP || codec == VF_BC_ZSTD;
}

vf_blockz *vf_blockz_new(void) { return calloc(1, sizeof(vf_blockz)); }

void vf_blockz_free(vf_blockz *z) {
    if (!z) return;
    ZSTD_freeCCtx(z->zc);
    ZSTD_freeDCtx(z->zd);
    if (z->def_ready) deflateEnd(&z->def);
    if (z->inf_ready) inflateEnd(&z->inf);
    free(z);
}

/* ================================================================== */
/* Compression                                                         */
/* ================================================================== */
static vf_status gzip_compress(vf_blockz *z, int level, const void *in, size_t n, vf_buf *out, vf_error *err) {
    if (!z->def_ready) {
        if (deflateInit2(&z->def, level ? level : 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return vf_fail(err, VF_ENOMEM, "gzip: cannot start the compressor");
        z->def_ready = true;
    } else if (deflateReset(&z->def) != Z_OK || deflateParams(&z->def, level ? level : 6, Z_DEFAULT_STRATEGY) != Z_OK) {
        return vf_fail(err, VF_EARG, "gzip: bad compression level %d", level);
    }
    const uint8_t *p = in;
    size_t left = n;
    int rc;
    do {
        if (!vf_buf_reserve(out, 65536)) return vf_fail(err, VF_ENOMEM, "gzip: out of memory");
        uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z->def.next_in = (Bytef *)(uintptr_t)p;
        z->def.avail_in = take;
        z->def.next_out = out->p + out->len;
        z->def.avail_out = (uInt)(out->cap - out->len > (1u << 30) ? (1u << 30) : out->cap - out->len);
        uInt before_out = z->def.avail_out;
        rc = deflate(&z->def, take == left ? Z_FINISH : Z_NO_FLUSH);
        out->len += before_out - z->def.avail_out;
        size_t used = take - z->def.avail_in;
        p += used;
        left -= used;
        if (rc == Z_STREAM_ERROR) return vf_fail(err, VF_ECODEC, "gzip: compression failed");
    } while (rc != Z_STREAM_END);
    return VF_OK;
}

vf_status vf_block_compress(vf_blockz *z, int codec, int level, const void *in, size_t n, vf_buf *out,
                            vf_error *err) {
    switch (codec) {
    case VF_BC_UNCOMPRESSED:
        vf_buf_append(out, in, n);
        return out->oom ? vf_fail(err, VF_ENOMEM, "out of memory") : VF_OK;
    case VF_BC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        if (!vf_buf_reserve(out, cap)) return vf_fail(err, VF_ENOMEM, "snappy: out of memory");
        if (snappy_compress(in, n, (char *)out->p + out->len, &cap) != SNAPPY_OK)
            return vf_fail(err, VF_ECODEC, "snappy: compression failed");
        out->len += cap;
        return VF_OK;
    }
    case VF_BC_GZIP: return gzip_compress(z, level, in, n, out, err);
    case VF_BC_ZSTD: {
        if (!z->zc && !(z->zc = ZSTD_createCCtx())) return vf_fail(err, VF_ENOMEM, "zstd: out of memory");
        size_t cap = ZSTD_compressBound(n);
        if (!vf_buf_reserve(out, cap)) return vf_fail(err, VF_ENOMEM, "zstd: out of memory");
        size_t r = ZSTD_compressCCtx(z->zc, out->p + out->len, cap, in, n, level ? level : 3);
        if (ZSTD_isError(r)) return vf_fail(err, VF_ECODEC, "zstd: %s", ZSTD_getErrorName(r));
        out->len += r;
        return VF_OK;
    }
    }
    return vf_fail(err, VF_EARG, "cannot compress with codec %s", vf_block_name(codec));
}

/* ================================================================== */
/* Decompression                                                       */
/* ================================================================== */
static vf_status size_mismatch(vf_error *err, const char *codec, size_t want, size_t got) {
    return vf_fail(err, VF_ECODEC, "%s: decompressed to %zu bytes, the page header says %zu", codec, got, want);
}

/* gzip members (or zlib streams) one after another until the input ends */
static vf_status gzip_decompress(vf_blockz *z, const uint8_t *in, size_t n, uint8_t *out, size_t outlen,
                                 vf_error *err) {
    size_t pos = 0, got = 0;
    while (pos < n) {
        if (!z->inf_ready) {
            memset(&z->inf, 0, sizeof z->inf);
            if (inflateInit2(&z->inf, 32 + MAX_WBITS) != Z_OK) return vf_fail(err, VF_ENOMEM, "gzip: out of memory");
            z->inf_ready = true;
        } else if (inflateReset(&z->inf) != Z_OK) {
            return vf_fail(err, VF_ECODEC, "gzip: cannot reset the decoder");
        }
        int rc;
        do {
            size_t in_left = n - pos, out_left = outlen - got;
            z->inf.next_in = (Bytef *)(uintptr_t)(in + pos);
            z->inf.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            z->inf.next_out = out + got;
            z->inf.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
            uInt ai = z->inf.avail_in, ao = z->inf.avail_out;
            rc = inflate(&z->inf, Z_NO_FLUSH);
            pos += ai - z->inf.avail_in;
            got += ao - z->inf.avail_out;
            if (rc == Z_BUF_ERROR && got == outlen && pos < n)
                return vf_fail(err, VF_ECODEC, "gzip: more data than the page header's %zu bytes", outlen);
            if (rc != Z_OK && rc != Z_STREAM_END)
                return vf_fail(err, VF_ECODEC, "gzip: corrupt data at byte %zu: %s", pos,
                               z->inf.msg ? z->inf.msg : "truncated");
        } while (rc != Z_STREAM_END);
        /* trailing zero padding after the last member, as gzip(1) allows */
        size_t q = pos;
        while (q < n && in[q] == 0) q++;
        if (q == n) break;
    }
    if (got != outlen) return size_mismatch(err, "gzip", outlen, got);
    return VF_OK;
}

#ifdef VF_HAVE_LZ4
static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Hadoop's framing: blocks of [u32 BE raw size][u32 BE compressed size][LZ4 block].
 * Returns false when the input is not in that framing. */
static bool lz4_hadoop(const uint8_t *in, size_t n, uint8_t *out, size_t outlen) {
    size_t pos = 0, got = 0;
    while (pos < n) {
        if (n - pos < 8) return false;
        uint32_t raw = be32(in + pos), comp = be32(in + pos + 4);
        pos += 8;
        if (comp > n - pos || raw > outlen - got || comp > (uint32_t)INT32_MAX) return false;
        int r = LZ4_decompress_safe((const char *)in + pos, (char *)out + got, (int)comp, (int)raw);
        if (r < 0 || (uint32_t)r != raw) return false;
        pos += comp;
        got += raw;
    }
    return got == outlen;
}

static vf_status lz4_raw(const uint8_t *in, size_t n, uint8_t *out, size_t outlen, vf_error *err) {
    if (n > INT32_MAX || outlen > INT32_MAX) return vf_fail(err, VF_ECODEC, "lz4: block too large");
    int r = LZ4_decompress_safe((const char *)in, (char *)out, (int)n, (int)outlen);
    if (r < 0) return vf_fail(err, VF_ECODEC, "lz4: corrupt block");
    if ((size_t)r != outlen) return size_mismatch(err, "lz4", outlen, (size_t)r);
    return VF_OK;
}
#endif

vf_status vf_block_decompress(vf_blockz *z, int codec, const void *in, size_t n, void *out, size_t outlen,
                              vf_error *err) {
    switch (codec) {
    case VF_BC_UNCOMPRESSED:
        if (n != outlen) return size_mismatch(err, "uncompressed page", outlen, n);
        if (n) memcpy(out, in, n);
        return VF_OK;
    case VF_BC_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length(in, n, &len) != SNAPPY_OK) return vf_fail(err, VF_ECODEC, "snappy: corrupt block");
        if (len != outlen) return size_mismatch(err, "snappy", outlen, len);
        if (snappy_uncompress(in, n, out, &len) != SNAPPY_OK) return vf_fail(err, VF_ECODEC, "snappy: corrupt block");
        return VF_OK;
    }
    case VF_BC_GZIP: return gzip_decompress(z, in, n, out, outlen, err);
    case VF_BC_ZSTD: {
        if (!z->zd && !(z->zd = ZSTD_createDCtx())) return vf_fail(err, VF_ENOMEM, "zstd: out of memory");
        size_t r = ZSTD_decompressDCtx(z->zd, out, outlen, in, n);
        if (ZSTD_isError(r)) return vf_fail(err, VF_ECODEC, "zstd: %s", ZSTD_getErrorName(r));
        if (r != outlen) return size_mismatch(err, "zstd", outlen, r);
        return VF_OK;
    }
#ifdef VF_HAVE_LZ4
    case VF_BC_LZ4_RAW: return lz4_raw(in, n, out, outlen, err);
    case VF_BC_LZ4:
        /* the deprecated codec: Hadoop framing from parquet-mr, raw blocks from old Arrow */
        if (lz4_hadoop(in, n, out, outlen)) return VF_OK;
        return lz4_raw(in, n, out, outlen, err);
#endif
#ifdef VF_HAVE_BROTLI
    case VF_BC_BROTLI: {
        size_t len = outlen;
        if (BrotliDecoderDecompress(n, in, &len, out) != BROTLI_DECODER_RESULT_SUCCESS)
            return vf_fail(err, VF_ECODEC, "brotli: corrupt data or more than the page header's %zu bytes", outlen);
        if (len != outlen) return size_mismatch(err, "brotli", outlen, len);
        return VF_OK;
    }
#endif
    }
    return vf_fail(err, VF_EFORMAT, "unsupported codec %s", vf_block_name(codec));
}
