/*
 * codec.c - whole-buffer decompression of gzip (every member) and zstd
 * streams, and raw snappy blocks.
 *
 * gzip: libdeflate when built with it (VF_HAVE_LIBDEFLATE), which decodes
 * whole members 2-3x faster than zlib (bench/README.md has the figures);
 * zlib otherwise, and always for a member libdeflate rejects, so that a
 * corrupt or truncated stream still yields every byte before the damage
 * and an exact offset for the error.
 *
 * On a corrupt stream vf_decompress returns VF_ECODEC *and* the bytes it
 * could decode in *out, so a caller that skips bad input keeps them.
 */
#include "../common/internal.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#ifdef VF_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

const char *vf_gzip_backend(void) {
#ifdef VF_HAVE_LIBDEFLATE
    return "libdeflate";
#else
    return "zlib";
#endif
}

vf_codec vf_sniff(const void *p, size_t n) {
    const unsigned char *b = p;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return VF_CODEC_GZIP;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return VF_CODEC_ZSTD;
    return VF_CODEC_NONE;
}

typedef struct {
    char *p;
    size_t len, cap;
} obuf;

static bool obuf_reserve(obuf *o, size_t extra) {
    if (o->cap - o->len >= extra) return true;
    size_t nc = o->cap ? o->cap : 65536;
    while (nc - o->len < extra) {
        if (nc > SIZE_MAX / 2) return false;
        nc *= 2;
    }
    char *np = realloc(o->p, nc);
    if (!np) return false;
    o->p = np;
    o->cap = nc;
    return true;
}

static bool all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* Decode gzip members with zlib from in[pos..n), appending to o.  Returns
 * VF_OK, or VF_ECODEC with err saying where. */
static vf_status gunzip_zlib(const unsigned char *in, size_t n, size_t pos, obuf *o,
                             const char *name, vf_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return vf_fail(err, VF_ENOMEM, "%s: zlib init failed", name);
    vf_status st = VF_OK;
    while (pos < n) {
        if (in[pos] != 0x1f || pos + 1 >= n || in[pos + 1] != 0x8b) {
            if (all_zero(in + pos, n - pos)) break; /* zero padding, as gzip(1) allows */
            st = vf_fail(err, VF_ECODEC, "%s: not a gzip member at byte offset %zu (trailing garbage)", name, pos);
            break;
        }
        inflateReset(&zs);
        int rc = Z_OK;
        size_t member_start = pos;
        while (rc != Z_STREAM_END) {
            if (!obuf_reserve(o, 1 << 18)) {
                st = vf_fail(err, VF_ENOMEM, "%s: out of memory decompressing gzip", name);
                goto out;
            }
            size_t avail_in = n - pos;
            zs.next_in = (Bytef *)(in + pos);
            zs.avail_in = avail_in > UINT32_MAX ? UINT32_MAX : (uInt)avail_in;
            zs.next_out = (Bytef *)(o->p + o->len);
            zs.avail_out = (uInt)((o->cap - o->len) > UINT32_MAX ? UINT32_MAX : (o->cap - o->len));
            uInt before_in = zs.avail_in, before_out = zs.avail_out;
            rc = inflate(&zs, Z_NO_FLUSH);
            pos += before_in - zs.avail_in;
            o->len += before_out - zs.avail_out;
            if (rc == Z_STREAM_END) break;
            if (rc == Z_BUF_ERROR && pos >= n) {
                st = vf_fail(err, VF_ECODEC,
                             "%s: truncated gzip stream (member starting at byte offset %zu ends early at %zu)",
                             name, member_start, pos);
                goto out;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                st = vf_fail(err, VF_ECODEC, "%s: corrupt gzip stream near byte offset %zu: %s", name, pos,
                             zs.msg ? zs.msg : "inflate failed");
                goto out;
            }
        }
    }
out:
    inflateEnd(&zs);
    if (err && st != VF_OK) err->offset = (int64_t)pos;
    return st;
}

static vf_status gunzip(const unsigned char *in, size_t n, const char *name, obuf *o, vf_error *err) {
#ifdef VF_HAVE_LIBDEFLATE
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) return vf_fail(err, VF_ENOMEM, "%s: out of memory", name);
    size_t pos = 0;
    /* The last 4 bytes hold the (last) member's size mod 2^32: a good first guess. */
    size_t guess = n >= 18 ? (size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 | (size_t)in[n - 1] << 24 : 0;
    if (guess > n * 1032 + 65536) guess = n * 4;
    if (guess < n * 2) guess = n * 2;
    vf_status st = VF_OK;
    while (pos < n) {
        if (in[pos] != 0x1f || pos + 1 >= n || in[pos + 1] != 0x8b) {
            if (all_zero(in + pos, n - pos)) break;
            st = vf_fail(err, VF_ECODEC, "%s: not a gzip member at byte offset %zu (trailing garbage)", name, pos);
            if (err) err->offset = (int64_t)pos;
            break;
        }
        size_t want = guess + 65536;
        for (;;) {
            if (!obuf_reserve(o, want)) {
                libdeflate_free_decompressor(d);
                return vf_fail(err, VF_ENOMEM, "%s: out of memory decompressing gzip", name);
            }
            size_t used_in = 0, used_out = 0;
            enum libdeflate_result r = libdeflate_gzip_decompress_ex(
                d, in + pos, n - pos, o->p + o->len, o->cap - o->len, &used_in, &used_out);
            if (r == LIBDEFLATE_SUCCESS) {
                pos += used_in;
                o->len += used_out;
                break;
            }
            if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
                want = (o->cap - o->len) * 2;
                continue;
            }
            /* corrupt or truncated: let zlib recover the good prefix and say where */
            libdeflate_free_decompressor(d);
            return gunzip_zlib(in, n, pos, o, name, err);
        }
    }
    libdeflate_free_decompressor(d);
    return st;
#else
    return gunzip_zlib(in, n, 0, o, name, err);
#endif
}

static vf_status unzstd(const unsigned char *in, size_t n, const char *name, obuf *o, vf_error *err) {
    ZSTD_DStream *zd = ZSTD_createDStream();
    if (!zd) return vf_fail(err, VF_ENOMEM, "%s: out of memory", name);
    ZSTD_inBuffer ib = {in, n, 0};
    vf_status st = VF_OK;
    size_t rc = 1;
    while (ib.pos < ib.size) {
        if (!obuf_reserve(o, 1 << 18)) {
            st = vf_fail(err, VF_ENOMEM, "%s: out of memory decompressing zstd", name);
            break;
        }
        ZSTD_outBuffer ob = {o->p + o->len, o->cap - o->len, 0};
        rc = ZSTD_decompressStream(zd, &ob, &ib);
        o->len += ob.pos;
        if (ZSTD_isError(rc)) {
            st = vf_fail(err, VF_ECODEC, "%s: corrupt zstd stream near byte offset %zu: %s", name, ib.pos,
                         ZSTD_getErrorName(rc));
            break;
        }
        if (ob.pos == 0 && ib.pos == ib.size) break;
    }
    if (st == VF_OK && rc != 0)
        st = vf_fail(err, VF_ECODEC, "%s: truncated zstd stream (ends at byte offset %zu)", name, n);
    if (err && st != VF_OK) err->offset = (int64_t)ib.pos;
    ZSTD_freeDStream(zd);
    return st;
}

vf_status vf_decompress(vf_codec c, const void *in, size_t n, const char *name, char **out,
                        size_t *outlen, vf_error *err) {
    obuf o = {0};
    vf_status st;
    *out = NULL;
    *outlen = 0;
    switch (c) {
    case VF_CODEC_GZIP: st = gunzip(in, n, name, &o, err); break;
    case VF_CODEC_ZSTD: st = unzstd(in, n, name, &o, err); break;
    default: return vf_fail(err, VF_EARG, "%s: not a compressed stream", name);
    }
    if (st == VF_OK || st == VF_ECODEC) {
        if (!o.p) o.p = malloc(1);
        *out = o.p;
        *outlen = o.len;
    } else {
        free(o.p);
    }
    return st;
}

vf_status vf_snappy_compress(const void *in, size_t n, char **out, size_t *outlen, vf_error *err) {
    size_t cap = snappy_max_compressed_length(n);
    char *p = malloc(cap ? cap : 1);
    if (!p) return vf_fail(err, VF_ENOMEM, "snappy: out of memory");
    if (snappy_compress(in, n, p, &cap) != SNAPPY_OK) {
        free(p);
        return vf_fail(err, VF_ECODEC, "snappy: compression failed");
    }
    *out = p;
    *outlen = cap;
    return VF_OK;
}

vf_status vf_snappy_decompress(const void *in, size_t n, char **out, size_t *outlen, vf_error *err) {
    size_t len;
    if (snappy_uncompressed_length(in, n, &len) != SNAPPY_OK || snappy_validate_compressed_buffer(in, n) != SNAPPY_OK)
        return vf_fail(err, VF_ECODEC, "snappy: corrupt block");
    char *p = malloc(len ? len : 1);
    if (!p) return vf_fail(err, VF_ENOMEM, "snappy: out of memory");
    if (snappy_uncompress(in, n, p, &len) != SNAPPY_OK) {
        free(p);
        return vf_fail(err, VF_ECODEC, "snappy: corrupt block");
    }
    *out = p;
    *outlen = len;
    return VF_OK;
}
