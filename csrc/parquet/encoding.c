/*
 * encoding.c - Parquet value and level encodings (encoding.h), written from
 * Encodings.md of apache/parquet-format.
 *
 * The decoders are the hot loops of the reader, so bit unpacking is
 * specialised: a switch on the bit width instantiates an always-inlined
 * unpacker with the width as a constant, which the compiler turns into
 * straight-line loads, shifts and masks.  Those unpackers read whole 64-bit
 * words and so may look up to 16 bytes past the last byte they need; every
 * caller checks that the slack is inside the buffer and otherwise copies
 * the tail into a zero-padded scratch array first.  Nothing here trusts a
 * count, length or width taken from the input before checking it against
 * the bytes that remain.
 *
 * Delta arithmetic is done on unsigned types so that it wraps as the spec
 * wants (signed overflow would be undefined behaviour in C).
 */
#include "encoding.h"

/* The unpackers are only fast when their loops are unrolled with the bit
 * width constant-folded into every offset and shift. */
#if defined(__GNUC__)
#define PQ_INLINE static inline __attribute__((always_inline))
#define PQ_PRAGMA(x) _Pragma(#x)
#define PQ_UNROLL(n) PQ_PRAGMA(GCC unroll n)
#else
#define PQ_INLINE static inline
#define PQ_UNROLL(n)
#endif

/* The bit widths the specialised unpackers are instantiated for. */
#define PQ_BW_1_8(M) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8)
#define PQ_BW_9_32(M)                                                                                             \
    M(9) M(10) M(11) M(12) M(13) M(14) M(15) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) \
    M(27) M(28) M(29) M(30) M(31) M(32)
#define PQ_BW_33_64(M)                                                                                          \
    M(33) M(34) M(35) M(36) M(37) M(38) M(39) M(40) M(41) M(42) M(43) M(44) M(45) M(46) M(47) M(48) M(49)     \
    M(50) M(51) M(52) M(53) M(54) M(55) M(56) M(57) M(58) M(59) M(60) M(61) M(62) M(63) M(64)

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t low_mask(int bw) { return bw >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << bw) - 1; }

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* p + n, without the undefined NULL + 0 when a caller passes (NULL, 0) */
static inline const uint8_t *end_of(const uint8_t *p, size_t n) { return n ? p + n : p; }

int pq_bit_width(uint64_t max) { return max ? 64 - __builtin_clzll(max) : 0; }

/* ---- ULEB128 and zigzag -------------------------------------------------------- */
/* Read a ULEB128 of up to 64 bits at *pp; false when it is truncated or
 * longer than 64 bits. */
static bool uleb_get(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p == end) return false;
        uint8_t b = *p++;
        if (shift == 63 && b > 1) return false; /* a 65th bit or a continuation */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *v = x;
            return true;
        }
    }
    return false;
}

/* Write v as ULEB128 at d (at most 10 bytes); the bytes written. */
static size_t uleb_put(uint8_t *d, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        d[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    d[n++] = (uint8_t)v;
    return n;
}

static inline uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }
/* v is a two's complement 64-bit value in an unsigned type */
static inline uint64_t zigzag(uint64_t v) { return (v << 1) ^ (0 - (v >> 63)); }

/* ---- bit unpacking (LSB first, the RLE hybrid and delta order) ---------------- */
/* 8 values of bw bits from in into out[] of osz (1 or 4) bytes per value.
 * Reads up to bw + 8 bytes at in. */
PQ_INLINE void put_u(void *out, int i, uint32_t v, int osz) {
    if (osz == 1)
        ((uint8_t *)out)[i] = (uint8_t)v;
    else
        ((uint32_t *)out)[i] = v;
}

PQ_INLINE void unpack8(const uint8_t *in, void *out, int bw, int osz) {
    const uint64_t mask = low_mask(bw);
    if (bw == 0) {
        for (int i = 0; i < 8; i++) put_u(out, i, 0, osz);
    } else if (bw <= 8) { /* all eight values in one word */
        uint64_t w = load64(in);
        PQ_UNROLL(8)
        for (int i = 0; i < 8; i++) put_u(out, i, (uint32_t)((w >> (i * bw)) & mask), osz);
    } else { /* a word per value: bit offset < 8 plus bw <= 32 fits in 64 */
        PQ_UNROLL(8)
        for (int i = 0; i < 8; i++) put_u(out, i, (uint32_t)((load64(in + (i * bw >> 3)) >> (i * bw & 7)) & mask), osz);
    }
}

/* ng groups of 8 values; in must have ng * bw + 8 readable bytes. */
static void unpack_groups_u32(const uint8_t *in, uint32_t *out, size_t ng, int bw) {
    switch (bw) {
#define C(K)                                                                    \
    case K:                                                                     \
        for (size_t g = 0; g < ng; g++, in += K, out += 8) unpack8(in, out, K, 4); \
        break;
        C(0) PQ_BW_1_8(C) PQ_BW_9_32(C)
#undef C
    }
}

static void unpack_groups_u8(const uint8_t *in, uint8_t *out, size_t ng, int bw) {
    switch (bw) {
#define C(K)                                                                    \
    case K:                                                                     \
        for (size_t g = 0; g < ng; g++, in += K, out += 8) unpack8(in, out, K, 1); \
        break;
        C(0) PQ_BW_1_8(C)
#undef C
    }
}

/* 32 values of bw <= 64 bits; reads up to 4 * bw + 16 bytes at in. */
PQ_INLINE void unpack32_u64_k(const uint8_t *in, uint64_t *out, int bw) {
    const uint64_t mask = low_mask(bw);
    PQ_UNROLL(32)
    for (int i = 0; i < 32; i++) {
        const int bit = i * bw, s = bit & 7;
        const uint8_t *b = in + (bit >> 3);
        uint64_t x = load64(b) >> s;
        if (s + bw > 64) x |= load64(b + 8) << (64 - s); /* only for bw > 57 */
        out[i] = bw ? x & mask : 0;
    }
}

static void unpack32_u64(const uint8_t *in, uint64_t *out, int bw) {
    switch (bw) {
#define C(K) \
    case K: unpack32_u64_k(in, out, K); break;
        C(0) PQ_BW_1_8(C) PQ_BW_9_32(C) PQ_BW_33_64(C)
#undef C
    }
}

/* 32 values of bw <= 32 bits; reads up to 4 * bw + 8 bytes at in. */
static void unpack32_u32(const uint8_t *in, uint32_t *out, int bw) { unpack_groups_u32(in, out, 4, bw); }

/* ---- bit packing ------------------------------------------------------------------ */
/* Pack n values of isz (1, 4 or 8) bytes at v, bw bits each, LSB first:
 * writes exactly ceil(n * bw / 8) bytes at dst. */
PQ_INLINE void pack_bits(uint8_t *dst, const void *v, size_t n, int bw, int isz) {
    const uint64_t mask = low_mask(bw);
    uint64_t acc = 0; /* nb < 8 pending bits */
    int nb = 0;
    if (bw == 0) return;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = isz == 1   ? ((const uint8_t *)v)[i]
                     : isz == 4 ? ((const uint32_t *)v)[i]
                                : ((const uint64_t *)v)[i];
        x &= mask;
        acc |= x << nb;
        int tot = nb + bw;
        if (tot >= 64) { /* acc is full: the top nb bits of x did not fit */
            memcpy(dst, &acc, 8);
            dst += 8;
            acc = nb ? x >> (64 - nb) : 0;
            tot -= 64;
        }
        for (; tot >= 8; tot -= 8) {
            *dst++ = (uint8_t)acc;
            acc >>= 8;
        }
        nb = tot;
    }
    if (nb) *dst = (uint8_t)acc;
}

/* ==================================================================================== */
/* RLE / bit-packed hybrid                                                               */
/* ==================================================================================== */
/* Runs are limited to 2^31 - 1 values (Encodings.md); a bit-packed run
 * holds 8 values per group. */
#define RLE_MAX_RUN 0x7fffffffu
#define RLE_MAX_GROUPS (RLE_MAX_RUN / 8)
/* Bit-packed runs are written in chunks of at most this many groups, so
 * that each chunk needs one reservation of a bounded size. */
#define RLE_CHUNK_GROUPS 1024

static void rle_put_run(vf_buf *out, uint32_t value, size_t len, int bw) {
    const int vbytes = (bw + 7) / 8;
    while (len) {
        size_t k = min_size(len, RLE_MAX_RUN);
        if (!vf_buf_reserve(out, 10 + 4)) return;
        uint8_t *d = out->p + out->len;
        size_t n = uleb_put(d, (uint64_t)k << 1);
        for (int i = 0; i < vbytes; i++) d[n++] = (uint8_t)(value >> (8 * i));
        out->len += n;
        len -= k;
    }
}

/* Bit-pack values [a, b) of v, padding the last group with zeros. */
PQ_INLINE void rle_put_packed(vf_buf *out, const void *v, size_t a, size_t b, int bw, int isz) {
    while (a < b) {
        size_t ng = min_size((b - a + 7) / 8, RLE_CHUNK_GROUPS), k = min_size(b - a, ng * 8);
        size_t bytes = ng * (size_t)bw;
        if (!vf_buf_reserve(out, 10 + bytes)) return;
        uint8_t *d = out->p + out->len;
        size_t h = uleb_put(d, (uint64_t)ng << 1 | 1), used = (k * (size_t)bw + 7) / 8;
        pack_bits(d + h, (const uint8_t *)v + a * (size_t)isz, k, bw, isz);
        memset(d + h + used, 0, bytes - used);
        out->len += h + bytes;
        a += k;
    }
}

PQ_INLINE uint32_t get_u(const void *v, size_t i, int isz) {
    return isz == 1 ? ((const uint8_t *)v)[i] : ((const uint32_t *)v)[i];
}

/* Runs of >= 8 equal values become RLE runs.  The values before a run are
 * bit-packed; when they do not fill whole groups, the run lends the values
 * that complete the last group (it stays a run if >= 8 values remain). */
PQ_INLINE void rle_encode(vf_buf *out, const void *v, size_t n, int bw, int isz) {
    size_t pend = 0; /* values [pend, i) wait to be bit-packed */
    size_t i = 0;
    while (i < n) {
        uint32_t x = get_u(v, i, isz);
        size_t j = i + 1;
        while (j < n && get_u(v, j, isz) == x) j++;
        size_t run = j - i, fill = (8 - (i - pend) % 8) % 8;
        if (run >= 8 && run - fill >= 8) {
            rle_put_packed(out, v, pend, i + fill, bw, isz);
            rle_put_run(out, x, run - fill, bw);
            pend = j;
        }
        i = j;
    }
    rle_put_packed(out, v, pend, n, bw, isz);
}

void pq_rle_encode_u32(vf_buf *out, const uint32_t *v, size_t n, int bw) { rle_encode(out, v, n, bw, 4); }
void pq_rle_encode_u8(vf_buf *out, const uint8_t *v, size_t n, int bw) { rle_encode(out, v, n, bw, 1); }

void pq_rle_init(pq_rle_dec *d, const uint8_t *p, size_t n, int bw) {
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = end_of(p, n);
    d->bw = bw;
    d->packed = p;
}

/* Read the next run header and set up the run. */
static vf_status rle_next_run(pq_rle_dec *d, size_t wanted, vf_error *err) {
    uint64_t h;
    if (d->p == d->end) return vf_fail(err, VF_EFORMAT, "RLE: data ends with %zu values still to read", wanted);
    if (!uleb_get(&d->p, d->end, &h) || h > UINT32_MAX)
        return vf_fail(err, VF_EFORMAT, "RLE: truncated or oversized run header");
    const int bw = d->bw;
    if (h & 1) {
        uint64_t groups = h >> 1;
        if (groups == 0) return vf_fail(err, VF_EFORMAT, "RLE: bit-packed run of 0 values");
        if (groups > RLE_MAX_GROUPS)
            return vf_fail(err, VF_EFORMAT, "RLE: bit-packed run of %llu groups exceeds 2^31-1 values",
                           (unsigned long long)groups);
        /* a short last run counts only the values whose bits are present */
        size_t bytes = min_size((size_t)(d->end - d->p), (size_t)groups * (size_t)bw);
        uint64_t values = groups * 8;
        if (bw && bytes * 8 / (size_t)bw < values) values = bytes * 8 / (size_t)bw;
        d->packed = d->p;
        d->packed_bit = 0;
        d->packed_left = (uint32_t)values;
        d->p += bytes;
    } else {
        uint64_t len = h >> 1;
        const int vbytes = (bw + 7) / 8;
        if (len == 0) return vf_fail(err, VF_EFORMAT, "RLE: run of 0 values");
        if (d->end - d->p < vbytes) return vf_fail(err, VF_EFORMAT, "RLE: truncated run value");
        uint32_t v = 0;
        for (int i = 0; i < vbytes; i++) v |= (uint32_t)d->p[i] << (8 * i);
        d->p += vbytes;
        if (v > low_mask(bw))
            return vf_fail(err, VF_EFORMAT, "RLE: run value %u does not fit bit width %d", (unsigned)v, bw);
        d->rle_left = (uint32_t)len;
        d->rle_value = v;
    }
    return VF_OK;
}

/* The decoder for both output sizes: osz is a constant after inlining. */
PQ_INLINE vf_status rle_get(pq_rle_dec *d, void *outv, size_t count, int osz, vf_error *err) {
    uint8_t *out = outv;
    const int bw = d->bw, maxbw = osz == 1 ? 8 : 32;
    if (bw < 0 || bw > maxbw) return vf_fail(err, VF_EFORMAT, "RLE: bit width %d out of range 0..%d", bw, maxbw);
    while (count) {
        if (d->rle_left) {
            size_t k = min_size(count, d->rle_left);
            if (osz == 1) {
                memset(out, (int)d->rle_value, k);
            } else {
                uint32_t *o = (uint32_t *)(void *)out, v = d->rle_value;
                for (size_t i = 0; i < k; i++) o[i] = v;
            }
            out += k * (size_t)osz;
            count -= k;
            d->rle_left -= (uint32_t)k;
        } else if (d->packed_left) {
            size_t k = min_size(count, d->packed_left);
            if (d->packed_bit == 0 && k >= 8) {
                /* whole groups of 8: direct while the 8 bytes of slack are in the buffer */
                size_t ng = k / 8, avail = (size_t)(d->end - d->packed);
                size_t fast = bw == 0 ? ng : avail >= 8 ? min_size(ng, (avail - 8) / (size_t)bw) : 0;
                if (osz == 1)
                    unpack_groups_u8(d->packed, out, fast, bw);
                else
                    unpack_groups_u32(d->packed, (uint32_t *)(void *)out, fast, bw);
                for (size_t g = fast; g < ng; g++) { /* the tail, from a padded copy */
                    uint8_t tmp[32 + 8] = {0};
                    memcpy(tmp, d->packed + g * (size_t)bw, (size_t)bw);
                    unpack8(tmp, out + g * 8 * (size_t)osz, bw, osz);
                }
                d->packed += ng * (size_t)bw;
                out += ng * 8 * (size_t)osz;
                count -= ng * 8;
                d->packed_left -= (uint32_t)(ng * 8);
            } else {
                /* one value, until the run is byte-aligned again (at most 7) */
                size_t nbytes = (d->packed_bit + (unsigned)bw + 7) / 8;
                uint64_t w = 0;
                memcpy(&w, d->packed, nbytes);
                uint32_t v = (uint32_t)((w >> d->packed_bit) & low_mask(bw));
                if (osz == 1)
                    *out = (uint8_t)v;
                else
                    memcpy(out, &v, 4);
                out += osz;
                count--;
                d->packed_left--;
                d->packed_bit += (uint32_t)bw;
                d->packed += d->packed_bit >> 3;
                d->packed_bit &= 7;
            }
        } else {
            vf_status st = rle_next_run(d, count, err);
            if (st != VF_OK) return st;
        }
    }
    return VF_OK;
}

vf_status pq_rle_get_u32(pq_rle_dec *d, uint32_t *out, size_t count, vf_error *err) {
    return rle_get(d, out, count, 4, err);
}

vf_status pq_rle_get_u8(pq_rle_dec *d, uint8_t *out, size_t count, vf_error *err) {
    return rle_get(d, out, count, 1, err);
}

/* ---- deprecated BIT_PACKED ------------------------------------------------------------ */
vf_status pq_bitpacked_decode_u8(const uint8_t *p, size_t n, int bw, uint8_t *out, size_t count, vf_error *err) {
    if (bw < 0 || bw > 8) return vf_fail(err, VF_EFORMAT, "BIT_PACKED: bit width %d out of range 0..8", bw);
    if (count > SIZE_MAX / 8 || (count * (size_t)bw + 7) / 8 > n)
        return vf_fail(err, VF_EFORMAT, "BIT_PACKED: %zu values of %d bits need more than the %zu bytes present",
                       count, bw, n);
    const unsigned mask = (1u << bw) - 1;
    for (size_t i = 0; i < count; i++) {
        size_t bit = i * (size_t)bw, byte = bit >> 3;
        /* MSB first: the value is in the 16-bit big-endian window at byte */
        unsigned w = (unsigned)p[byte] << 8 | (byte + 1 < n ? p[byte + 1] : 0);
        out[i] = (uint8_t)((w >> (16 - (bit & 7) - (size_t)bw)) & mask);
    }
    return VF_OK;
}

/* ==================================================================================== */
/* PLAIN                                                                                 */
/* ==================================================================================== */
vf_status pq_plain_bool_decode(const uint8_t *p, size_t n, uint8_t *out, size_t count, vf_error *err) {
    if (count / 8 + (count % 8 != 0) > n)
        return vf_fail(err, VF_EFORMAT, "PLAIN BOOLEAN: %zu values need more than the %zu bytes present", count, n);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint8_t b = p[i / 8];
        for (int k = 0; k < 8; k++) out[i + (size_t)k] = (uint8_t)(b >> k & 1);
    }
    for (; i < count; i++) out[i] = (uint8_t)(p[i / 8] >> (i % 8) & 1);
    return VF_OK;
}

void pq_plain_bool_encode(vf_buf *out, const uint8_t *v, size_t count) {
    size_t nbytes = count / 8 + (count % 8 != 0);
    if (!nbytes || !vf_buf_reserve(out, nbytes)) return;
    uint8_t *d = out->p + out->len;
    memset(d, 0, nbytes);
    for (size_t i = 0; i < count; i++) d[i / 8] |= (uint8_t)((v[i] != 0) << (i % 8));
    out->len += nbytes;
}

vf_status pq_plain_ba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, size_t *used, vf_error *err) {
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        if (n - pos < 4)
            return vf_fail(err, VF_EFORMAT, "PLAIN BYTE_ARRAY: value %zu of %zu: truncated length", i, count);
        uint32_t len = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16 |
                       (uint32_t)p[pos + 3] << 24;
        pos += 4;
        if (len > INT32_MAX)
            return vf_fail(err, VF_EFORMAT, "PLAIN BYTE_ARRAY: value %zu has a negative length", i);
        if (len > n - pos)
            return vf_fail(err, VF_EFORMAT, "PLAIN BYTE_ARRAY: value %zu of %u bytes overruns the data (%zu left)",
                           i, (unsigned)len, n - pos);
        out[i].p = p + pos;
        out[i].n = len;
        pos += len;
    }
    *used = pos;
    return VF_OK;
}

void pq_plain_ba_encode(vf_buf *out, const pq_view *v, size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += 4 + (size_t)v[i].n; /* cannot overflow: the views exist */
    if (!total || !vf_buf_reserve(out, total)) return;
    uint8_t *d = out->p + out->len;
    for (size_t i = 0; i < count; i++) {
        uint32_t len = v[i].n;
        d[0] = (uint8_t)len;
        d[1] = (uint8_t)(len >> 8);
        d[2] = (uint8_t)(len >> 16);
        d[3] = (uint8_t)(len >> 24);
        if (len) memcpy(d + 4, v[i].p, len);
        d += 4 + (size_t)len;
    }
    out->len += total;
}

/* ==================================================================================== */
/* DELTA_BINARY_PACKED                                                                   */
/* ==================================================================================== */
/* The spec sets no upper limit on the block size; real writers use 128 to
 * a few thousand.  A cap keeps all the arithmetic in 32 bits. */
#define DELTA_MAX_BLOCK (1u << 24)
/* What the encoder writes: the layout every writer uses. */
#define DELTA_BLOCK 128
#define DELTA_MINIS 4
#define DELTA_PER_MINI (DELTA_BLOCK / DELTA_MINIS)

/* A streaming reader of one DELTA_BINARY_PACKED stream: values come out
 * in batches of at most 32 (the first value alone, then 32 at a time from
 * each miniblock).  The delta-length encodings pull their lengths from it
 * without a whole-array buffer. */
typedef struct delta_rd {
    const uint8_t *p, *end; /* the next unread byte of the stream */
    const char *what;       /* the name error messages start with */
    int maxbw;              /* 32 or 64: the widest miniblock allowed */
    uint32_t per_mini;      /* values per miniblock */
    uint32_t nmini;         /* miniblocks per block */
    uint64_t total;         /* the header's value count */
    uint64_t left;          /* values not yet produced */
    uint64_t last;          /* the last value produced (first: the header's) */
    uint64_t min_delta;     /* the current block's */
    const uint8_t *widths;  /* the current block's miniblock bit widths */
    uint32_t mini;          /* the next miniblock in the block; nmini: a block header comes next */
    uint32_t mini_left;     /* values left in the current miniblock, padding included */
    const uint8_t *data;    /* where they start */
    int bw;                 /* their bit width */
} delta_rd;

static vf_status delta_open(delta_rd *rd, const uint8_t *p, size_t n, int maxbw, const char *what, vf_error *err) {
    uint64_t bsize, nmini, total, first;
    memset(rd, 0, sizeof *rd);
    rd->p = p;
    rd->end = end_of(p, n);
    rd->what = what;
    rd->maxbw = maxbw;
    if (!uleb_get(&rd->p, rd->end, &bsize) || !uleb_get(&rd->p, rd->end, &nmini) ||
        !uleb_get(&rd->p, rd->end, &total) || !uleb_get(&rd->p, rd->end, &first))
        return vf_fail(err, VF_EFORMAT, "%s: truncated or malformed header", what);
    if (bsize == 0 || bsize % 128 != 0 || bsize > DELTA_MAX_BLOCK)
        return vf_fail(err, VF_EFORMAT, "%s: block size %llu is not a multiple of 128 in 128..%u", what,
                       (unsigned long long)bsize, DELTA_MAX_BLOCK);
    if (nmini == 0 || nmini > bsize / 32 || bsize % nmini != 0 || bsize / nmini % 32 != 0)
        return vf_fail(err, VF_EFORMAT, "%s: %llu miniblocks do not divide a block of %llu into multiples of 32",
                       what, (unsigned long long)nmini, (unsigned long long)bsize);
    /* every block needs its min delta and bit widths: a count that could
     * not fit the bytes left is corrupt (and must not size an allocation) */
    size_t remaining = (size_t)(rd->end - rd->p);
    if (total > 1 && (total - 2) / bsize + 1 > remaining / (1 + nmini))
        return vf_fail(err, VF_EFORMAT, "%s: %llu values cannot fit in %zu bytes", what, (unsigned long long)total,
                       remaining);
    rd->per_mini = (uint32_t)(bsize / nmini);
    rd->nmini = rd->mini = (uint32_t)nmini;
    rd->total = rd->left = total;
    rd->last = unzigzag(first);
    return VF_OK;
}

/* Move to the next miniblock, reading a block header first if needed. */
static vf_status delta_next_mini(delta_rd *rd, vf_error *err) {
    if (rd->mini == rd->nmini) {
        uint64_t z;
        if (!uleb_get(&rd->p, rd->end, &z))
            return vf_fail(err, VF_EFORMAT, "%s: truncated or malformed block min delta", rd->what);
        rd->min_delta = unzigzag(z);
        if ((size_t)(rd->end - rd->p) < rd->nmini)
            return vf_fail(err, VF_EFORMAT, "%s: truncated miniblock bit widths", rd->what);
        rd->widths = rd->p;
        rd->p += rd->nmini;
        rd->mini = 0;
    }
    /* widths of miniblocks past the last value are never read: they may be anything */
    int bw = rd->widths[rd->mini++];
    if (bw > rd->maxbw) return vf_fail(err, VF_EFORMAT, "%s: miniblock bit width %d > %d", rd->what, bw, rd->maxbw);
    size_t bytes = (size_t)rd->per_mini / 8 * (size_t)bw;
    if ((size_t)(rd->end - rd->p) < bytes)
        return vf_fail(err, VF_EFORMAT, "%s: miniblock of %zu bytes truncated to %zu", rd->what, bytes,
                       (size_t)(rd->end - rd->p));
    rd->data = rd->p;
    rd->p += bytes;
    rd->bw = bw;
    rd->mini_left = rd->per_mini;
    return VF_OK;
}

/* The next batch of values into out[0 .. *k), *k <= 32 (0 at the end).
 * UT is uint32_t or uint64_t; the arithmetic wraps in it. */
#define DEFINE_DELTA_NEXT(SUF, UT, UNPACK32)                                                  \
    static vf_status delta_next_##SUF(delta_rd *rd, UT *out, size_t *k, vf_error *err) {      \
        *k = 0;                                                                               \
        if (!rd->left) return VF_OK;                                                          \
        if (rd->left == rd->total) { /* the first value, from the header */                  \
            out[0] = (UT)rd->last;                                                            \
            rd->left--;                                                                       \
            *k = 1;                                                                           \
            return VF_OK;                                                                     \
        }                                                                                     \
        if (!rd->mini_left) {                                                                 \
            vf_status st = delta_next_mini(rd, err);                                          \
            if (st != VF_OK) return st;                                                       \
        }                                                                                     \
        /* unpack straight into out when all 32 values are wanted */                         \
        const size_t n = rd->left < 32 ? (size_t)rd->left : 32, nbytes = 4 * (size_t)rd->bw;  \
        UT tmpv[32], *d = n == 32 ? out : tmpv;                                               \
        if ((size_t)(rd->end - rd->data) >= nbytes + 16) {                                    \
            UNPACK32(rd->data, d, rd->bw);                                                    \
        } else { /* too near the end for the unpacker's slack */                             \
            uint8_t tmp[4 * 64 + 16] = {0};                                                   \
            memcpy(tmp, rd->data, nbytes);                                                    \
            UNPACK32(tmp, d, rd->bw);                                                         \
        }                                                                                     \
        rd->data += nbytes;                                                                   \
        rd->mini_left -= 32;                                                                  \
        UT acc = (UT)rd->last, md = (UT)rd->min_delta;                                        \
        for (size_t i = 0; i < n; i++) {                                                      \
            acc += md + d[i];                                                                 \
            out[i] = acc;                                                                     \
        }                                                                                     \
        rd->last = acc;                                                                       \
        rd->left -= n;                                                                        \
        *k = n;                                                                               \
        return VF_OK;                                                                         \
    }

DEFINE_DELTA_NEXT(u32, uint32_t, unpack32_u32)
DEFINE_DELTA_NEXT(u64, uint64_t, unpack32_u64)

/* Find the end of the stream without unpacking (the delta-length
 * encodings' bytes start there).  Checks what decoding would check but the
 * values themselves. */
static vf_status delta_skip(delta_rd rd, const uint8_t **end, vf_error *err) {
    if (rd.left) rd.left--; /* the first value is in the header */
    while (rd.left) {
        vf_status st = delta_next_mini(&rd, err);
        if (st != VF_OK) return st;
        rd.left -= rd.left < rd.per_mini ? rd.left : rd.per_mini;
    }
    *end = rd.p;
    return VF_OK;
}

vf_status pq_delta_count(const uint8_t *p, size_t n, size_t *count, vf_error *err) {
    delta_rd rd;
    vf_status st = delta_open(&rd, p, n, 64, "DELTA_BINARY_PACKED", err);
    if (st != VF_OK) return st;
    if (rd.total > SIZE_MAX) return vf_fail(err, VF_EFORMAT, "DELTA_BINARY_PACKED: value count too large");
    *count = (size_t)rd.total;
    return VF_OK;
}

#define DEFINE_DELTA_DECODE(NAME, T, SUF, UT, MAXBW)                                                          \
    vf_status NAME(const uint8_t *p, size_t n, T *out, size_t cap, size_t *count, size_t *used, vf_error *err) { \
        delta_rd rd;                                                                                          \
        vf_status st = delta_open(&rd, p, n, MAXBW, "DELTA_BINARY_PACKED", err);                              \
        if (st != VF_OK) return st;                                                                           \
        if (rd.total > cap)                                                                                   \
            return vf_fail(err, VF_EFORMAT, "DELTA_BINARY_PACKED: %llu values, room for %zu",                 \
                           (unsigned long long)rd.total, cap);                                                \
        size_t got = 0, k;                                                                                    \
        do {                                                                                                  \
            /* T and UT are the signed and unsigned variants of one type: they may alias */                   \
            st = delta_next_##SUF(&rd, (UT *)out + got, &k, err);                                             \
            if (st != VF_OK) return st;                                                                       \
            got += k;                                                                                         \
        } while (k);                                                                                          \
        *count = got;                                                                                         \
        *used = (size_t)(rd.p - p);                                                                           \
        return VF_OK;                                                                                         \
    }

DEFINE_DELTA_DECODE(pq_delta_decode_i32, int32_t, u32, uint32_t, 32)
DEFINE_DELTA_DECODE(pq_delta_decode_i64, int64_t, u64, uint64_t, 64)

/* The encoder works on 64-bit words; for INT32 (bits 32) values are taken
 * modulo 2^32 and deltas computed in 32 bits, so that no miniblock needs
 * more than 32 bits.  load() fills dst[0..k) with values start.. of src. */
typedef void (*delta_load_fn)(const void *src, size_t start, size_t k, uint64_t *dst);

/* sign-extend a `bits`-bit two's complement value, in unsigned arithmetic */
static inline uint64_t sext(uint64_t v, int bits) {
    const uint64_t sign = UINT64_C(1) << (bits - 1);
    return (v ^ sign) - sign;
}

static void delta_encode(vf_buf *out, size_t n, int bits, delta_load_fn load, const void *src) {
    const uint64_t mask = low_mask(bits), sign = UINT64_C(1) << (bits - 1);
    uint64_t v[DELTA_BLOCK], rel[DELTA_BLOCK];
    uint64_t last = 0;
    if (n) load(src, 0, 1, &last);
    last &= mask;
    if (!vf_buf_reserve(out, 4 * 10)) return;
    uint8_t *d = out->p + out->len;
    size_t h = uleb_put(d, DELTA_BLOCK);
    h += uleb_put(d + h, DELTA_MINIS);
    h += uleb_put(d + h, n);
    h += uleb_put(d + h, zigzag(sext(last, bits)));
    out->len += h;
    for (size_t start = 1; start < n; start += DELTA_BLOCK) {
        size_t k = min_size(DELTA_BLOCK, n - start);
        load(src, start, k, v);
        /* deltas, and their minimum as signed numbers (compared with the sign bit flipped) */
        uint64_t minkey = ~UINT64_C(0) & mask;
        for (size_t i = 0; i < k; i++) {
            uint64_t x = v[i] & mask;
            rel[i] = (x - last) & mask;
            last = x;
            uint64_t key = rel[i] ^ sign;
            if (key < minkey) minkey = key;
        }
        const uint64_t min = minkey ^ sign;
        size_t nmini = (k + DELTA_PER_MINI - 1) / DELTA_PER_MINI;
        int bw[DELTA_MINIS] = {0};
        for (size_t m = 0; m < nmini; m++) {
            uint64_t any = 0;
            for (size_t i = m * DELTA_PER_MINI; i < min_size(k, (m + 1) * DELTA_PER_MINI); i++) {
                rel[i] = (rel[i] - min) & mask;
                any |= rel[i];
            }
            bw[m] = pq_bit_width(any); /* the width of the OR is the width of the max */
        }
        for (size_t i = k; i < nmini * DELTA_PER_MINI; i++) rel[i] = 0; /* padding */
        if (!vf_buf_reserve(out, 10 + DELTA_MINIS + DELTA_BLOCK * 8)) return;
        d = out->p + out->len;
        h = uleb_put(d, zigzag(sext(min, bits)));
        for (int m = 0; m < DELTA_MINIS; m++) d[h++] = (uint8_t)bw[m];
        for (size_t m = 0; m < nmini; m++) {
            pack_bits(d + h, rel + m * DELTA_PER_MINI, DELTA_PER_MINI, bw[m], 8);
            h += DELTA_PER_MINI / 8 * (size_t)bw[m];
        }
        out->len += h;
    }
}

static void load_i32(const void *src, size_t start, size_t k, uint64_t *dst) {
    const int32_t *v = (const int32_t *)src + start;
    for (size_t i = 0; i < k; i++) dst[i] = (uint32_t)v[i];
}

static void load_i64(const void *src, size_t start, size_t k, uint64_t *dst) {
    const int64_t *v = (const int64_t *)src + start;
    for (size_t i = 0; i < k; i++) dst[i] = (uint64_t)v[i];
}

void pq_delta_encode_i32(vf_buf *out, const int32_t *v, size_t n) { delta_encode(out, n, 32, load_i32, v); }
void pq_delta_encode_i64(vf_buf *out, const int64_t *v, size_t n) { delta_encode(out, n, 64, load_i64, v); }

/* ==================================================================================== */
/* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY                                          */
/* ==================================================================================== */
/* Open a stream of count lengths and find where it ends. */
static vf_status lengths_open(delta_rd *rd, const uint8_t *p, size_t n, size_t count, const char *what,
                              const uint8_t **end, vf_error *err) {
    vf_status st = delta_open(rd, p, n, 32, what, err);
    if (st != VF_OK) return st;
    if (rd->total != count)
        return vf_fail(err, VF_EFORMAT, "%s: %llu values where %zu were expected", what,
                       (unsigned long long)rd->total, count);
    return delta_skip(*rd, end, err);
}

/* A buffered pull of lengths from a delta stream, checked non-negative. */
typedef struct len_rd {
    delta_rd rd;
    uint32_t buf[32];
    size_t pos, n;
} len_rd;

static vf_status len_next(len_rd *l, uint32_t *v, vf_error *err) {
    if (l->pos == l->n) {
        vf_status st = delta_next_u32(&l->rd, l->buf, &l->n, err);
        if (st != VF_OK) return st;
        if (!l->n) return vf_fail(err, VF_EFORMAT, "%s: too few values", l->rd.what); /* not reached */
        l->pos = 0;
    }
    *v = l->buf[l->pos++];
    if (*v > INT32_MAX)
        return vf_fail(err, VF_EFORMAT, "%s: negative length %lld", l->rd.what, (long long)*v - 0x100000000LL);
    return VF_OK;
}

vf_status pq_dlba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, size_t *used, vf_error *err) {
    len_rd l = {0};
    const uint8_t *data;
    vf_status st = lengths_open(&l.rd, p, n, count, "DELTA_LENGTH_BYTE_ARRAY lengths", &data, err);
    if (st != VF_OK) return st;
    const uint8_t *end = end_of(p, n);
    for (size_t i = 0; i < count; i++) {
        uint32_t len = 0; /* set by len_next; initialised for gcc -O3 -Wmaybe-uninitialized */
        if ((st = len_next(&l, &len, err)) != VF_OK) return st;
        if (len > (size_t)(end - data))
            return vf_fail(err, VF_EFORMAT,
                           "DELTA_LENGTH_BYTE_ARRAY: value %zu of %u bytes overruns the data (%zu left)", i,
                           (unsigned)len, (size_t)(end - data));
        out[i].p = data;
        out[i].n = len;
        data += len;
    }
    *used = (size_t)(data - p);
    return VF_OK;
}

vf_status pq_dba_decode(const uint8_t *p, size_t n, pq_view *out, size_t count, vf_buf *scratch, size_t *used,
                        vf_error *err) {
    len_rd pre = {0}, suf = {0};
    const uint8_t *q, *data, *end = end_of(p, n);
    vf_status st = lengths_open(&pre.rd, p, n, count, "DELTA_BYTE_ARRAY prefix lengths", &q, err);
    if (st != VF_OK) return st;
    st = lengths_open(&suf.rd, q, (size_t)(end - q), count, "DELTA_BYTE_ARRAY suffix lengths", &data, err);
    if (st != VF_OK) return st;
    /* values are appended to scratch in chunks; the views get their
     * pointers at the end, when scratch no longer moves */
    const size_t base = scratch->len;
    size_t prev_off = base, prev_len = 0;
    for (size_t i0 = 0; i0 < count; i0 += 32) {
        size_t k = min_size(32, count - i0);
        uint32_t pl[32], sl[32];
        uint64_t need = 0;
        const uint8_t *sp = data;
        for (size_t j = 0; j < k; j++) {
            if ((st = len_next(&pre, &pl[j], err)) != VF_OK || (st = len_next(&suf, &sl[j], err)) != VF_OK)
                return st;
            if (pl[j] > prev_len)
                return vf_fail(err, VF_EFORMAT,
                               "DELTA_BYTE_ARRAY: value %zu: prefix of %u bytes but the previous value has %zu",
                               i0 + j, (unsigned)pl[j], prev_len);
            if (sl[j] > (size_t)(end - sp))
                return vf_fail(err, VF_EFORMAT,
                               "DELTA_BYTE_ARRAY: value %zu: suffix of %u bytes overruns the data (%zu left)",
                               i0 + j, (unsigned)sl[j], (size_t)(end - sp));
            sp += sl[j];
            prev_len = (size_t)pl[j] + sl[j];
            if (prev_len > UINT32_MAX)
                return vf_fail(err, VF_EFORMAT, "DELTA_BYTE_ARRAY: value %zu is longer than 4 GiB", i0 + j);
            need += prev_len;
        }
        if (need > SIZE_MAX / 2 || !vf_buf_reserve(scratch, (size_t)need))
            return vf_fail(err, VF_ENOMEM, "DELTA_BYTE_ARRAY: out of memory for %llu bytes of values",
                           (unsigned long long)need);
        for (size_t j = 0; j < k; j++) {
            const size_t off = scratch->len;
            out[i0 + j].n = pl[j] + sl[j];
            if (out[i0 + j].n) { /* (scratch->p may still be NULL when everything so far was empty) */
                uint8_t *dst = scratch->p + off;
                if (pl[j]) memcpy(dst, scratch->p + prev_off, pl[j]);
                if (sl[j]) memcpy(dst + pl[j], data, sl[j]);
                data += sl[j];
                scratch->len += out[i0 + j].n;
            }
            prev_off = off;
        }
    }
    static const uint8_t empty[1];
    const uint8_t *vp = scratch->p ? scratch->p + base : empty;
    for (size_t i = 0; i < count; i++) {
        out[i].p = vp;
        vp += out[i].n;
    }
    *used = (size_t)(data - p);
    return VF_OK;
}

static void load_view_len(const void *src, size_t start, size_t k, uint64_t *dst) {
    const pq_view *v = (const pq_view *)src + start;
    for (size_t i = 0; i < k; i++) dst[i] = v[i].n;
}

/* Append the bytes of the views, each from byte skip[i] (or 0). */
static void put_bytes(vf_buf *out, const pq_view *v, const uint32_t *skip, size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += v[i].n - (skip ? skip[i] : 0);
    if (!total || !vf_buf_reserve(out, total)) return;
    uint8_t *d = out->p + out->len;
    for (size_t i = 0; i < count; i++) {
        size_t s = skip ? skip[i] : 0, len = v[i].n - s;
        if (len) memcpy(d, v[i].p + s, len);
        d += len;
    }
    out->len += total;
}

void pq_dlba_encode(vf_buf *out, const pq_view *v, size_t count) {
    delta_encode(out, count, 32, load_view_len, v);
    put_bytes(out, v, NULL, count);
}

typedef struct dba_src {
    const pq_view *v;
    const uint32_t *prefix;
} dba_src;

static void load_u32(const void *src, size_t start, size_t k, uint64_t *dst) {
    const uint32_t *v = (const uint32_t *)src + start;
    for (size_t i = 0; i < k; i++) dst[i] = v[i];
}

static void load_suffix_len(const void *src, size_t start, size_t k, uint64_t *dst) {
    const dba_src *s = src;
    for (size_t i = start; i < start + k; i++) dst[i - start] = s->v[i].n - s->prefix[i];
}

void pq_dba_encode(vf_buf *out, const pq_view *v, size_t count) {
    uint32_t *prefix = vf_malloc_n(count ? count : 1, sizeof *prefix);
    if (!prefix) {
        out->oom = true;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t k = 0;
        if (i) {
            uint32_t m = v[i].n < v[i - 1].n ? v[i].n : v[i - 1].n;
            while (k < m && v[i].p[k] == v[i - 1].p[k]) k++;
        }
        prefix[i] = k;
    }
    dba_src s = {v, prefix};
    delta_encode(out, count, 32, load_u32, prefix);
    delta_encode(out, count, 32, load_suffix_len, &s);
    put_bytes(out, v, prefix, count);
    free(prefix);
}

/* ==================================================================================== */
/* BYTE_STREAM_SPLIT                                                                     */
/* ==================================================================================== */
/* w is a constant after inlining for the common widths */
PQ_INLINE void bss_gather(const uint8_t *p, uint8_t *out, size_t count, size_t w) {
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < w; k++) out[i * w + k] = p[k * count + i];
}

PQ_INLINE void bss_scatter(const uint8_t *v, uint8_t *d, size_t count, size_t w) {
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < w; k++) d[k * count + i] = v[i * w + k];
}

vf_status pq_bss_decode(const uint8_t *p, size_t n, size_t width, uint8_t *out, size_t count, vf_error *err) {
    if ((width && count > SIZE_MAX / width) || count * width != n)
        return vf_fail(err, VF_EFORMAT, "BYTE_STREAM_SPLIT: %zu bytes are not %zu values of %zu bytes", n, count,
                       width);
    switch (width) {
    case 2: bss_gather(p, out, count, 2); break;
    case 4: bss_gather(p, out, count, 4); break;
    case 8: bss_gather(p, out, count, 8); break;
    default: bss_gather(p, out, count, width); break;
    }
    return VF_OK;
}

void pq_bss_encode(vf_buf *out, const uint8_t *v, size_t width, size_t count) {
    if (width && count > SIZE_MAX / width) {
        out->oom = true;
        return;
    }
    size_t n = width * count;
    if (!n || !vf_buf_reserve(out, n)) return;
    uint8_t *d = out->p + out->len;
    switch (width) {
    case 2: bss_scatter(v, d, count, 2); break;
    case 4: bss_scatter(v, d, count, 4); break;
    case 8: bss_scatter(v, d, count, 8); break;
    default: bss_scatter(v, d, count, width); break;
    }
    out->len += n;
}
