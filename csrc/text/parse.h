/*
 * parse.h - the header-driven line parser (internal).
 *
 * A batch is the parse of one piece of text (a few MiB of whole lines):
 * chunk-local columns, chunk-local dictionaries, counters and the bad
 * records found.  Batches are merged into a vf_table by read.c.
 */
#ifndef VF_PARSE_H
#define VF_PARSE_H

#include "../common/internal.h"

#define VF_MAX_FIELDS 512

/* A resolved header: the fields of each line, in order. */
typedef struct vf_hdr {
    int nf;
    char **names;      /* column names (hyphens replaced by underscores) */
    vf_type *types;
    uint64_t sig;      /* identity of the field list */
} vf_hdr;

vf_hdr *vf_hdr_new(const char *const *names, const size_t *lens, int nf, vf_error *err);
vf_hdr *vf_hdr_copy(const vf_hdr *h);
void vf_hdr_free(vf_hdr *h);

typedef struct vf_bcol {
    char *name;
    vf_type type;
    bool is_time;      /* start/end: milliseconds are converted */
    int64_t nnull;
    void *vals;        /* int32/int64 values, or int32 codes */
    uint8_t *valid;    /* ints: 1 valid, 0 null */
    vf_dict *dict;
    /* last value seen (dictionary columns): most repeat line to line */
    int32_t last_code;
    uint32_t last_v4;
    size_t last_len;
    char last[64];
} vf_bcol;

typedef struct vf_bbad {
    int64_t line;      /* local, 1-based */
    int64_t offset;    /* byte offset of the record in its object, -1 if n/a (JSON input) */
    char *field;
    char *text;
    char *reason;
} vf_bbad;

typedef struct vf_parse_cfg {
    int on_error;
    size_t max_bad_kept;
    size_t max_bad_text;
    bool row_lines;    /* record each row's line in vf_batch.row_line */
} vf_parse_cfg;

typedef struct vf_batch {
    int src;                   /* source index */
    int64_t line_base;         /* number of lines before this batch in its source */
    int64_t nrows, cap;
    int ncols, capcols;
    vf_bcol *cols;
    int64_t newlines;          /* lines in the batch's text */
    int64_t lines, header_lines, blank_lines, bad_lines, ms_fixed;
    size_t nbad, capbad;
    vf_bbad *bad;
    vf_hdr *start_hdr, *end_hdr;
    int64_t *row_line;         /* cfg->row_lines: the local line of each row */
    /* a failure (on_error=raise, or no memory): first one only */
    vf_status status;
    int64_t err_line;          /* local line */
    int64_t err_offset;        /* byte offset of the record, -1 if n/a (JSON input) */
    char *err_field, *err_text, *err_reason;
} vf_batch;

/* Parse text[0..len) (whole lines) with `hdr` active at the start.  The
 * batch takes a copy of hdr.  Returns the batch (status says whether it
 * failed), or NULL when even the batch could not be allocated. */
vf_batch *vf_parse_batch(const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg, int src);
/* The same, copying the text into a caller-owned buffer that is reused
 * from batch to batch (and grown as needed; free scratch->buf at the end). */
typedef struct vf_scratch {
    char *buf;
    size_t cap;
} vf_scratch;
vf_batch *vf_parse_batch_with(const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg, int src,
                              vf_scratch *scratch);
void vf_batch_free(vf_batch *b);

/* Whether the line's tokens look like a header; fills the header. */
vf_hdr *vf_try_header(const char *line, size_t len, vf_error *err);
/* The header from opts->fields, or the v2 default. */
vf_hdr *vf_default_hdr(const char *const *fields, size_t nfields, vf_error *err);

/* The column `name` of the batch, created (null in every row so far, with
 * room for the batch's rows) if it does not exist; -1 when out of memory. */
int vf_batch_col(vf_batch *b, const char *name, vf_type type);

/* Add a bad record (a line that is not a record) to the batch. */
void vf_batch_add_bad(vf_batch *b, const vf_parse_cfg *cfg, int64_t line, const char *field,
                      const char *text, size_t textlen, const char *reason);

#endif
