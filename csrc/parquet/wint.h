/*
 * wint.h - what the Parquet writer's files share (internal to writer.c,
 * wchunk.c and wschema.c).
 *
 * writer.c owns the file: schema, row-group splitting, the parallel
 * encoding of a row group's column chunks, the page index, the footer and
 * the temporary file.  wchunk.c encodes one column chunk into memory
 * (pages with headers, statistics, the ColumnIndex, the bloom filter);
 * a chunk is one task of a worker thread, with that thread's scratch.
 * wschema.c maps column types and logical types to Parquet's.
 */
#ifndef VF_PQ_WINT_H
#define VF_PQ_WINT_H

#include "../codec/block.h"
#include "encoding.h"
#include "meta.h"
#include "writer.h"

/* How a column's min/max statistics compare (TypeDefinedOrder). */
typedef enum pq_wsort {
    PQ_WS_I32,   /* INT32, signed */
    PQ_WS_U32,   /* INT32 with an unsigned INTEGER annotation */
    PQ_WS_I64,
    PQ_WS_U64,
    PQ_WS_F32,   /* IEEE 754, NaN left out, -0 as min and +0 as max */
    PQ_WS_F64,
    PQ_WS_BOOL,  /* false < true */
    PQ_WS_BYTES, /* unsigned bytes, lexicographic */
    PQ_WS_DEC    /* big-endian two's complement decimals of any length */
} pq_wsort;

/* One leaf of the schema. */
typedef struct pq_wcol {
    const char *name;
    vf_type type;
    const char *logical;
    pq_schema_elem elem;  /* what the footer says about it */
    int physical;         /* PQ_INT32, ... */
    int width;            /* bytes of a PLAIN value (0 for BYTE_ARRAY, 1 for BOOLEAN as gathered) */
    pq_wsort sort;
    bool bloom;
} pq_wcol;

/* Fill c (name, type, logical already set) from the type and logical type. */
void pq_wschema_leaf(pq_wcol *c);

/* One data page, for the page index. */
typedef struct pq_wpage {
    int64_t offset;        /* of its header, relative to the chunk's start */
    int32_t size;          /* header and compressed body */
    int64_t first_row;     /* relative to the row group */
    int64_t nulls;
    bool all_null;
    bool has_minmax;       /* false: all null, no orderable value (NaN only), or a value too long */
    uint64_t min, max;     /* the value's bits (fixed width), or the local dictionary code (byte arrays) */
} pq_wpage;

/* A column chunk encoded in memory: everything writer.c needs to put it
 * in the file and describe it in the footer.  Reused across row groups. */
typedef struct pq_wchunk {
    vf_buf data;           /* dictionary page (if any), then the data pages, headers included */
    int64_t dict_len;      /* bytes of the dictionary page, header included (0: none) */
    int64_t uncompressed;  /* sum of headers and uncompressed page sizes */
    int encoding;          /* of the data pages: PLAIN, RLE_DICTIONARY or DELTA_BINARY_PACKED */
    int64_t nulls;
    bool has_minmax;       /* chunk statistics min/max (PLAIN encoded) */
    vf_buf minmax;         /* min bytes, then max bytes */
    size_t min_len;
    int64_t distinct;      /* exact distinct count, or -1 */
    pq_wpage *pages;
    int npages, cap_pages;
    vf_buf ci;             /* the encoded ColumnIndex (empty: none) */
    vf_buf bloom;          /* BloomFilterHeader + bitset (empty: none) */
    vf_status st;
    vf_error err;
} pq_wchunk;

/* One worker thread's reusable state. */
typedef struct pq_wscratch {
    vf_blockz *z;
    int32_t *map;          /* global dictionary code -> local code; -1 between uses */
    size_t map_cap;
    int32_t *used;         /* the global codes a chunk uses */
    size_t used_cap;
    pq_view *views;        /* byte-array entries by local code */
    size_t views_cap;
    void *sortv;           /* sort elements */
    size_t sort_cap;
    uint32_t *idx;         /* a page's local codes */
    size_t idx_cap;
    uint8_t *lvl;          /* a page's definition levels */
    size_t lvl_cap;
    uint64_t *hset;        /* hash set for bloom filters of value columns */
    size_t hset_cap;
    vf_buf text;           /* rendered addresses */
    vf_buf gath;           /* a page's non-null values, in their physical type */
    vf_buf lv, vals, body, comp, alt, hdr;
} pq_wscratch;

void pq_wscratch_free(pq_wscratch *s);
void pq_wchunk_free(pq_wchunk *c);

/* Encode rows [r0, r0 + n) of v (the column of c) into out; out->st says
 * whether it worked (out->err names the column). */
void pq_wchunk_encode(const pq_wcol *c, const vf_colview *v, int64_t r0, int64_t n, const pq_write_opts *o,
                      pq_wscratch *s, pq_wchunk *out);

#endif
