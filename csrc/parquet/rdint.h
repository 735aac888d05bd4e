/*
 * rdint.h - what the reader's files (file.c, pages.c, reader.c) share:
 * located error messages, the per-thread scratch space, and the job of
 * reading one column chunk (internal to the reader).
 */
#ifndef VF_PQ_RDINT_H
#define VF_PQ_RDINT_H

#include "../codec/block.h"
#include "reader.h"

/* Schema trees deeper than this are refused (definition levels then fit a byte). */
#define PQ_MAX_DEPTH 100

/* Where an error happened: each part is left out of the message when
 * unknown (col NULL, rg/page < 0, offset < 0). */
typedef struct pq_loc {
    const pq_file *f;
    const char *col;
    int rg;
    int64_t page;
    int64_t offset; /* byte offset in the file */
} pq_loc;

/* Fail with "<file>: column 'c', row group R, page P at byte B: <fmt>". */
vf_status pq_fail_at(vf_error *err, const pq_loc *loc, vf_status code, const char *fmt, ...) VF_PRINTF(4, 5);
/* Put the location in front of the message a lower layer (decoder, codec)
 * left in err, keeping its status (or `code` when that is VF_OK). */
vf_status pq_locate(vf_error *err, const pq_loc *loc, vf_status code);

/* The byte range [*start, *end) of column chunk (rg, col), checked against
 * the file: the dictionary page offset when it lies before the first data
 * page (0 or absent means "no separate offset": the chunk starts at its
 * first data page, which may itself be a dictionary page). */
vf_status pq_chunk_range(const pq_file *f, int rg, int col, size_t *start, size_t *end, vf_error *err);

/* Scratch space of one worker thread, reused from chunk to chunk. */
typedef struct pq_scratch {
    vf_blockz *z;
    vf_buf page;   /* a decompressed page */
    vf_buf dict_page; /* a decompressed dictionary page kept while its chunk is read (lazy dictionaries) */
    vf_buf vals;   /* values before conversion */
    vf_buf part;   /* one page's values when only some of its rows are wanted */
    vf_buf valid;  /* and their validity */
    vf_buf views;  /* pq_view[] of byte-array values */
    vf_buf idx;    /* uint32_t[] dictionary indices */
    vf_buf dba;    /* DELTA_BYTE_ARRAY values rebuilt */
    vf_arena arena; /* an offset index */
} pq_scratch;

void pq_scratch_free(pq_scratch *s);

/* Reading one column chunk into its place in the output. */
typedef struct pq_chunk_job {
    const pq_file *f;
    int rg, leaf;
    vf_type vtype;            /* the output type: STRING, BINARY and ADDR (strings parsed) give codes */
    const pq_range *ranges;   /* rows wanted, NULL: all */
    size_t nranges;
    bool check_crc;
    uint8_t *values;          /* output rows of this chunk: vf_type_width(vtype) bytes each */
    uint8_t *valid;           /* 1/0 per output row, NULL when the output column has no validity */
    /* results */
    vf_dict *dict;            /* dictionary columns: the chunk's dictionary (the caller frees it) */
    bool not_addr;            /* ADDR: a value is not an address (the chunk stopped there) */
    int64_t nulls;            /* null output rows written */
    int64_t pages_read, pages_skipped, bytes_read;
} pq_chunk_job;

vf_status pq_read_chunk(pq_chunk_job *j, pq_scratch *s, vf_error *err);

#endif
