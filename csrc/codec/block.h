/*
 * block.h - whole-block compression and decompression, as Parquet pages
 * need it (internal).
 *
 * Codec numbers are Parquet's CompressionCodec values, so the Parquet
 * layer passes them through unchanged.  A vf_blockz holds the reusable
 * contexts (zstd, zlib) of one thread: make one per worker, never share
 * one between threads.
 *
 * LZ4 (LZ4_RAW, and the deprecated Hadoop-framed LZ4) and BROTLI are
 * compiled in when their headers are found at build time (liblz4-dev,
 * libbrotli-dev): they exist so that files other writers made with those
 * codecs read; vpcflow writes none of them.  vf_block_supported() says
 * which are here.
 */
#ifndef VF_BLOCK_H
#define VF_BLOCK_H

#include "../common/internal.h"

enum {
    VF_BC_UNCOMPRESSED = 0,
    VF_BC_SNAPPY = 1,
    VF_BC_GZIP = 2,
    VF_BC_LZO = 3,
    VF_BC_BROTLI = 4,
    VF_BC_LZ4 = 5, /* Hadoop-framed LZ4 (deprecated in Parquet), or raw LZ4 from old writers */
    VF_BC_ZSTD = 6,
    VF_BC_LZ4_RAW = 7
};

/* "UNCOMPRESSED", "SNAPPY", ... ("codec 42" style names are not returned: unknown -> "UNKNOWN"). */
const char *vf_block_name(int codec);
/* Whether this build can decompress codec. */
bool vf_block_supported(int codec);
/* Whether this build can compress codec (UNCOMPRESSED, SNAPPY, GZIP, ZSTD). */
bool vf_block_can_compress(int codec);

typedef struct vf_blockz vf_blockz;
vf_blockz *vf_blockz_new(void);
void vf_blockz_free(vf_blockz *z);

/* Append the compressed form of in[0..n) to out.  level: 0 for the codec's
 * default (zstd 3, gzip 6); snappy has none.  GZIP writes one RFC 1952
 * member. */
vf_status vf_block_compress(vf_blockz *z, int codec, int level, const void *in, size_t n, vf_buf *out,
                            vf_error *err);

/* Decompress in[0..n) into out[0..outlen), which must be exactly the
 * uncompressed size (a Parquet page header states it): less or more output
 * is VF_ECODEC.  GZIP accepts any number of gzip members, or zlib format.
 * The message in err says what went wrong, without a file name. */
vf_status vf_block_decompress(vf_blockz *z, int codec, const void *in, size_t n, void *out, size_t outlen,
                              vf_error *err);

#endif
