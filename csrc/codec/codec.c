/*
 * codec.c - streaming decompression of gzip (every member) and zstd, and
 * raw snappy blocks.
 *
 * gzip goes through ISA-L's igzip when the build found it (VF_HAVE_ISAL):
 * on flow-log text it decodes about 2.5-2.8x faster than zlib, on par with
 * libdeflate (bench/README.md), and unlike libdeflate it streams; zlib
 * otherwise.  Both stream, so a reader can decompress a file a few MiB at a time into
 * one reused buffer: memory stays bounded by that buffer, and no page of a
 * file-sized output buffer is ever touched.
 *
 * A corrupt or truncated stream is reported with the byte offset where
 * decoding stopped; everything decoded before it has been delivered.
 */
#include "../common/internal.h"

#include <stdio.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#ifdef VF_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

const char *vf_gzip_backend(void) {
#ifdef VF_HAVE_ISAL
    return "isa-l";
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

static bool all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* ================================================================== */
/* Streams                                                             */
/* ================================================================== */
struct vf_dstream {
    vf_codec codec;
    const unsigned char *in;
    size_t n;
    size_t pos;          /* gzip: where the next member starts / input consumed */
    size_t fed;          /* gzip: input handed to the decoder so far */
    size_t member;       /* gzip: start of the current member */
    bool in_member, eof;
    vf_status failed;    /* sticky error */
    char name[512];
#ifdef VF_HAVE_ISAL
    struct inflate_state *isal;
#else
    z_stream zs;
    bool zs_ready;
#endif
    ZSTD_DStream *zd;
    ZSTD_inBuffer zin;
};

vf_dstream *vf_dstream_open(vf_codec c, const void *in, size_t n, const char *name) {
    if (c != VF_CODEC_GZIP && c != VF_CODEC_ZSTD) return NULL;
    vf_dstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->codec = c;
    s->in = in;
    s->n = n;
    snprintf(s->name, sizeof s->name, "%s", name ? name : "<stream>");
    if (c == VF_CODEC_ZSTD) {
        s->zd = ZSTD_createDStream();
        s->zin = (ZSTD_inBuffer){in, n, 0};
        if (!s->zd) goto fail;
    } else {
#ifdef VF_HAVE_ISAL
        s->isal = malloc(sizeof *s->isal);
        if (!s->isal) goto fail;
#else
        if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK) goto fail;
        s->zs_ready = true;
#endif
    }
    return s;
fail:
    vf_dstream_close(s);
    return NULL;
}

void vf_dstream_close(vf_dstream *s) {
    if (!s) return;
#ifdef VF_HAVE_ISAL
    free(s->isal);
#else
    if (s->zs_ready) inflateEnd(&s->zs);
#endif
    if (s->zd) ZSTD_freeDStream(s->zd);
    free(s);
}

static vf_status stream_fail(vf_dstream *s, vf_error *err, vf_status code, size_t offset, const char *fmt, ...)
    VF_PRINTF(5, 6);
static vf_status stream_fail(vf_dstream *s, vf_error *err, vf_status code, size_t offset, const char *fmt, ...) {
    s->failed = code;
    if (err) {
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        err->code = code;
        err->offset = (int64_t)offset;
        snprintf(err->msg, sizeof err->msg, "%s: %s", s->name, what);
    }
    return code;
}

/* Start the next gzip member at s->pos; false at the end of the input. */
static bool gz_next_member(vf_dstream *s, vf_error *err, vf_status *st) {
    const unsigned char *in = s->in;
    if (s->pos >= s->n || all_zero(in + s->pos, s->n - s->pos)) { /* zero padding, as gzip(1) allows */
        s->eof = true;
        return false;
    }
    if (in[s->pos] != 0x1f || s->pos + 1 >= s->n || in[s->pos + 1] != 0x8b) {
        *st = stream_fail(s, err, VF_ECODEC, s->pos, "not a gzip member at byte offset %zu (trailing garbage)", s->pos);
        return false;
    }
    s->member = s->fed = s->pos;
    s->in_member = true;
#ifdef VF_HAVE_ISAL
    /* isal_inflate_init leaves the state's buffers as they were, and a
     * stream whose back-reference reaches before its start gets some of
     * those bytes out before the error: zeroed, a damaged stream decodes to
     * the same bytes whatever the heap held (and leaks none of it) */
    memset(s->isal, 0, sizeof *s->isal);
    isal_inflate_init(s->isal);
    s->isal->crc_flag = ISAL_GZIP;
#else
    inflateReset(&s->zs);
    s->zs.avail_in = 0;
#endif
    return true;
}

#ifdef VF_HAVE_ISAL
static const char *isal_error(int rc) {
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "CRC or length check failed";
    }
    return "decoding failed";
}
#endif

static vf_status gz_read(vf_dstream *s, char *out, size_t cap, size_t *got, vf_error *err) {
    vf_status st = VF_OK;
    while (*got < cap && !s->eof) {
        if (!s->in_member && !gz_next_member(s, err, &st)) break;
        size_t room = cap - *got;
        uint32_t avail_out = (uint32_t)(room > UINT32_MAX ? UINT32_MAX : room);
#ifdef VF_HAVE_ISAL
        struct inflate_state *z = s->isal;
        if (z->avail_in == 0 && s->fed < s->n) {
            size_t chunk = s->n - s->fed > UINT32_MAX ? UINT32_MAX : s->n - s->fed;
            z->next_in = (uint8_t *)(s->in + s->fed);
            z->avail_in = (uint32_t)chunk;
            s->fed += chunk;
        }
        z->next_out = (uint8_t *)(out + *got);
        z->avail_out = avail_out;
        int rc = isal_inflate(z);
        *got += avail_out - z->avail_out;
        size_t at = s->fed - z->avail_in;
        if (rc < 0)
            return stream_fail(s, err, VF_ECODEC, at, "corrupt gzip stream near byte offset %zu: %s", at,
                               isal_error(rc));
        if (z->block_state == ISAL_BLOCK_FINISH) {
            s->in_member = false;
            s->pos = at;
        } else if (z->avail_in == 0 && s->fed >= s->n && z->avail_out > 0) {
            return stream_fail(s, err, VF_ECODEC, at,
                               "truncated gzip stream (member starting at byte offset %zu ends early at %zu)",
                               s->member, at);
        }
#else
        z_stream *z = &s->zs;
        if (z->avail_in == 0 && s->fed < s->n) {
            size_t chunk = s->n - s->fed > UINT32_MAX ? UINT32_MAX : s->n - s->fed;
            z->next_in = (Bytef *)(s->in + s->fed);
            z->avail_in = (uInt)chunk;
            s->fed += chunk;
        }
        z->next_out = (Bytef *)(out + *got);
        z->avail_out = avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        *got += avail_out - z->avail_out;
        size_t at = s->fed - z->avail_in;
        if (rc == Z_STREAM_END) {
            s->in_member = false;
            s->pos = at;
        } else if (rc == Z_BUF_ERROR && z->avail_in == 0 && s->fed >= s->n) {
            return stream_fail(s, err, VF_ECODEC, at,
                               "truncated gzip stream (member starting at byte offset %zu ends early at %zu)",
                               s->member, at);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return stream_fail(s, err, VF_ECODEC, at, "corrupt gzip stream near byte offset %zu: %s", at,
                               z->msg ? z->msg : "inflate failed");
        }
#endif
    }
    return st;
}

static vf_status zstd_read(vf_dstream *s, char *out, size_t cap, size_t *got, vf_error *err) {
    while (*got < cap && !s->eof) {
        ZSTD_outBuffer ob = {out + *got, cap - *got, 0};
        size_t before = s->zin.pos;
        size_t rc = ZSTD_decompressStream(s->zd, &ob, &s->zin);
        *got += ob.pos;
        if (ZSTD_isError(rc))
            return stream_fail(s, err, VF_ECODEC, s->zin.pos, "corrupt zstd stream near byte offset %zu: %s", s->zin.pos,
                               ZSTD_getErrorName(rc));
        if (s->zin.pos == s->zin.size && ob.pos < ob.size) {
            if (rc != 0)
                return stream_fail(s, err, VF_ECODEC, s->zin.pos, "truncated zstd stream (ends at byte offset %zu)",
                                   s->zin.pos);
            s->eof = true;
        } else if (ob.pos == 0 && s->zin.pos == before) {
            break; /* no progress: the output is full */
        }
    }
    return VF_OK;
}

vf_status vf_dstream_read(vf_dstream *s, char *out, size_t cap, size_t *got, bool *eof, vf_error *err) {
    *got = 0;
    if (s->failed) return vf_fail(err, s->failed, "%s: stream already failed", s->name);
    vf_status st = s->codec == VF_CODEC_GZIP ? gz_read(s, out, cap, got, err) : zstd_read(s, out, cap, got, err);
    *eof = s->eof;
    return st;
}

/* ================================================================== */
/* Whole buffers                                                       */
/* ================================================================== */
vf_status vf_decompress(vf_codec c, const void *in, size_t n, const char *name, char **out,
                        size_t *outlen, vf_error *err) {
    *out = NULL;
    *outlen = 0;
    if (c != VF_CODEC_GZIP && c != VF_CODEC_ZSTD) return vf_fail(err, VF_EARG, "%s: not a compressed stream", name);
    vf_dstream *s = vf_dstream_open(c, in, n, name);
    if (!s) return vf_fail(err, VF_ENOMEM, "%s: out of memory", name);
    /* first guess: gzip's trailer holds the last member's size mod 2^32 */
    const unsigned char *b = in;
    size_t cap = n * 4 + 65536;
    if (c == VF_CODEC_GZIP && n >= 18) {
        size_t isize = (size_t)b[n - 4] | (size_t)b[n - 3] << 8 | (size_t)b[n - 2] << 16 | (size_t)b[n - 1] << 24;
        if (isize >= n && isize <= n * 1032) cap = isize + 65536;
    }
    char *p = malloc(cap);
    size_t len = 0;
    vf_status st = p ? VF_OK : vf_fail(err, VF_ENOMEM, "%s: out of memory", name);
    bool eof = false;
    while (st == VF_OK && !eof) {
        if (cap - len < 65536) {
            char *np = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);
            if (!np) {
                st = vf_fail(err, VF_ENOMEM, "%s: out of memory decompressing", name);
                break;
            }
            p = np;
            cap *= 2;
        }
        size_t got;
        st = vf_dstream_read(s, p + len, cap - len, &got, &eof, err);
        len += got;
    }
    vf_dstream_close(s);
    if (st == VF_OK || st == VF_ECODEC) {
        *out = p;
        *outlen = len;
    } else {
        free(p);
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
