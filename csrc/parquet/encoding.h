/*
 * encoding.h - Parquet value and level encodings (internal).
 *
 * Decoders read untrusted page bytes: every read is bounds-checked, and a
 * malformed or short stream is VF_EFORMAT with a message naming the
 * encoding and what is wrong (the caller adds file, column and page).
 * Decoders never write past the output count they are given.
 * Encoders append to a vf_buf (check buf->oom once at the end).
 *
 * Encodings (Encodings.md of apache/parquet-format):
 *   PLAIN                    fixed-width little-endian values; BOOLEAN bit-packed
 *                            LSB first; BYTE_ARRAY as u32 length + bytes;
 *                            FIXED_LEN_BYTE_ARRAY as the bytes
 *   RLE (hybrid)             levels and dictionary indices: runs of
 *                            repeated values and groups of 8 bit-packed values
 *   BIT_PACKED               deprecated levels: bit-packed MSB first, no runs
 *   DELTA_BINARY_PACKED      INT32/INT64: blocks of 128 values in 4 miniblocks
 *   DELTA_LENGTH_BYTE_ARRAY  lengths DELTA_BINARY_PACKED, then the bytes
 *   DELTA_BYTE_ARRAY         prefix lengths and suffix lengths DELTA_BINARY_PACKED,
 *                            then the suffix bytes
 *   BYTE_STREAM_SPLIT        byte k of every value, then byte k+1, ...
 */
#ifndef VF_PQ_ENCODING_H
#define VF_PQ_ENCODING_H

#include "../common/internal.h"

/* Bits needed for values 0..max (0 for max == 0). */
int pq_bit_width(uint64_t max);

/* ---- RLE / bit-packed hybrid ------------------------------------------- */
/* Append the hybrid encoding of n values (each < 2^bw, 0 <= bw <= 32),
 * without a length prefix.  Runs of >= 8 equal values become RLE runs,
 * the rest bit-packed groups of 8. */
void pq_rle_encode_u32(vf_buf *out, const uint32_t *v, size_t n, int bw);
void pq_rle_encode_u8(vf_buf *out, const uint8_t *v, size_t n, int bw);

/* A streaming decoder over p[0..n). */
typedef struct pq_rle_dec {
    const uint8_t *p, *end;
    int bw;
    uint32_t rle_left;     /* values left in the current RLE run */
    uint32_t rle_value;
    uint32_t packed_left;  /* values left in the current bit-packed run */
    const uint8_t *packed; /* where the bit-packed run's next value starts */
    uint32_t packed_bit;   /* bit offset of that value within *packed */
} pq_rle_dec;

void pq_rle_init(pq_rle_dec *d, const uint8_t *p, size_t n, int bw);
/* Decode exactly count values.  A stream that ends early is an error
 * (bit-packed groups padded past the end count as present only if their
 * bytes are in the buffer).  Every value returned is < 2^bw: an RLE run
 * whose value does not fit is an error, as are runs of 0 or more than
 * 2^31 - 1 values.  A bit width out of range (set by pq_rle_init) makes
 * every call fail. */
vf_status pq_rle_get_u32(pq_rle_dec *d, uint32_t *out, size_t count, vf_error *err);
vf_status pq_rle_get_u8(pq_rle_dec *d, uint8_t *out, size_t count, vf_error *err); /* bw <= 8 */

/* Deprecated BIT_PACKED levels: count values of bw bits, MSB first. */
vf_status pq_bitpacked_decode_u8(const uint8_t *p, size_t n, int bw, uint8_t *out, size_t count, vf_error *err);

/* ---- PLAIN -------------------------------------------------------------------- */
/* BOOLEAN: count bits LSB first from p[0..n) into out[] as 0/1. */
vf_status pq_plain_bool_decode(const uint8_t *p, size_t n, uint8_t *out, size_t count, vf_error *err);
void pq_plain_bool_encode(vf_buf *out, const uint8_t *v, size_t count);

/* A byte string inside some buffer. */
typedef struct pq_view {
    const uint8_t *p;
    uint32_t n;
} pq_view;

/* BYTE_ARRAY PLAIN: count values (u32 LE length + bytes) as views into p;
 * *used gets the bytes consumed. */
vf_status pq_plain_ba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, size_t *used, vf_error *err);
void pq_plain_ba_encode(vf_buf *out, const pq_view *v, size_t count);

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------- */
/* Encode with blocks of 128 values, 4 miniblocks of 32 (the layout every
 * writer uses).  Arithmetic wraps (two's complement), as the spec says. */
void pq_delta_encode_i32(vf_buf *out, const int32_t *v, size_t n);
void pq_delta_encode_i64(vf_buf *out, const int64_t *v, size_t n);
/* The value count a stream's header announces (to size the output).  A
 * count that the bytes after the header could not hold (each block needs
 * at least its min delta and bit widths) is an error, so the count is
 * bounded by the input size times the block size; callers should still
 * compare it with the page's num_values. */
vf_status pq_delta_count(const uint8_t *p, size_t n, size_t *count, vf_error *err);
/* Decode the whole stream at p: its header's value count must be <= cap;
 * *count gets it and *used the bytes consumed (the stream's end, where
 * DELTA_LENGTH_BYTE_ARRAY's bytes begin).  Any block size that is a
 * multiple of 128 (up to 2^24) and miniblock count dividing it into
 * multiples of 32 are accepted; bit widths up to 32 (i32) or 64 (i64).
 * The i32 decoder works modulo 2^32 (first value and min deltas too). */
vf_status pq_delta_decode_i32(const uint8_t *p, size_t n, int32_t *out, size_t cap, size_t *count, size_t *used,
                              vf_error *err);
vf_status pq_delta_decode_i64(const uint8_t *p, size_t n, int64_t *out, size_t cap, size_t *count, size_t *used,
                              vf_error *err);

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY --------------------------------- */
/* Decode count byte arrays.  DELTA_LENGTH views point into p; DELTA_BYTE
 * values are rebuilt (prefix of the previous value + suffix) into
 * `scratch`, which the views then point into: keep scratch alive and
 * unmodified while the views are used.  The values are appended after
 * scratch->len (reset it to reuse the buffer).  The stream must hold exactly
 * count values (more or fewer is an error).  *used gets the bytes consumed. */
vf_status pq_dlba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, size_t *used, vf_error *err);
vf_status pq_dba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, vf_buf *scratch, size_t *used,
                        vf_error *err);
void pq_dlba_encode(vf_buf *out, const pq_view *v, size_t count);
void pq_dba_encode(vf_buf *out, const pq_view *v, size_t count);

/* ---- BYTE_STREAM_SPLIT ------------------------------------------------------------- */
/* count values of width bytes (4, 8, or any FIXED_LEN_BYTE_ARRAY width):
 * p must hold exactly count * width bytes. */
vf_status pq_bss_decode(const uint8_t *p, size_t n, size_t width, uint8_t *out, size_t count, vf_error *err);
void pq_bss_encode(vf_buf *out, const uint8_t *v, size_t width, size_t count);

#endif
