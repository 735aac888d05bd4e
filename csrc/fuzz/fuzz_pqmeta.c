/*
 * fuzz_pqmeta.c - libFuzzer target for the Parquet metadata codec
 * (csrc/parquet/meta.c, thrift.c).
 *
 * Build and run with `make -f csrc/rules.mk fuzz` (or fuzz-smoke).  Each
 * input is given to every decoder: FileMetaData, PageHeader, ColumnIndex,
 * OffsetIndex, BloomFilterHeader.  A failure must be a clean VF_EFORMAT
 * with a located message.  Whatever decodes is encoded, decoded again and
 * encoded again: the second decode must succeed (and consume exactly the
 * bytes for headers), and the two encodings must be identical, i.e. the
 * decoded structures agree on every field the encoder writes.  A broken
 * invariant aborts with a message.
 */
#include "parquet/meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                \
    do {                                                         \
        fprintf(stderr, "fuzz_pqmeta invariant: " __VA_ARGS__);  \
        fprintf(stderr, "\n");                                   \
        abort();                                                 \
    } while (0)

typedef enum { FILE_META, PAGE_HEADER, COLUMN_INDEX, OFFSET_INDEX, BLOOM_HEADER, N_KINDS } kind;
static const char *const kind_names[] = {"FileMetaData", "PageHeader", "ColumnIndex", "OffsetIndex",
                                         "BloomFilterHeader"};

typedef union decoded {
    pq_file_meta file;
    pq_page_header page;
    pq_column_index ci;
    pq_offset_index oi;
    pq_bloom_header bloom;
} decoded;

/* Decode p[0..n) as k into *d; *used: the bytes consumed (headers), else n. */
static vf_status decode(kind k, const uint8_t *p, size_t n, vf_arena *a, decoded *d, size_t *used, vf_error *err) {
    *used = n;
    switch (k) {
    case FILE_META: return pq_decode_file_meta(p, n, a, &d->file, err);
    case PAGE_HEADER: return pq_decode_page_header(p, n, &d->page, used, err);
    case COLUMN_INDEX: return pq_decode_column_index(p, n, a, &d->ci, err);
    case OFFSET_INDEX: return pq_decode_offset_index(p, n, a, &d->oi, err);
    case BLOOM_HEADER: return pq_decode_bloom_header(p, n, &d->bloom, used, err);
    case N_KINDS: break;
    }
    return VF_EARG;
}

static void encode(kind k, const decoded *d, vf_buf *b) {
    switch (k) {
    case FILE_META: pq_encode_file_meta(b, &d->file); break;
    case PAGE_HEADER: pq_encode_page_header(b, &d->page); break;
    case COLUMN_INDEX: pq_encode_column_index(b, &d->ci); break;
    case OFFSET_INDEX: pq_encode_offset_index(b, &d->oi); break;
    case BLOOM_HEADER: pq_encode_bloom_header(b, &d->bloom); break;
    case N_KINDS: break;
    }
    if (b->oom) FAIL("%s: out of memory encoding", kind_names[k]);
}

static void check_failure(kind k, vf_status st, const vf_error *err, size_t n) {
    if (st != VF_EFORMAT && st != VF_ENOMEM) FAIL("%s: unexpected status %d", kind_names[k], st);
    if (err->code != st) FAIL("%s: err.code %d != status %d", kind_names[k], err->code, st);
    if (!memchr(err->msg, 0, sizeof err->msg) || !err->msg[0]) FAIL("%s: empty or unterminated message", kind_names[k]);
    if (st == VF_EFORMAT && (err->offset < 0 || (size_t)err->offset > n || !strstr(err->msg, " at byte ")))
        FAIL("%s: offset %lld outside 0..%zu or unlocated message: %s", kind_names[k], (long long)err->offset, n,
             err->msg);
}

/* The decoded structure's own invariants, which the reader relies on. */
static void check_decoded(kind k, const decoded *d, size_t used, size_t n) {
    if (used > n) FAIL("%s: used %zu of %zu bytes", kind_names[k], used, n);
    if (k == FILE_META) {
        const pq_file_meta *m = &d->file;
        if (m->n_schema < 0 || m->n_row_groups < 0 || (m->n_schema && !m->schema)) FAIL("FileMetaData: counts");
        for (int i = 0; i < m->n_schema; i++)
            if (!m->schema[i].name) FAIL("FileMetaData: schema element %d has no name", i);
        for (int g = 0; g < m->n_row_groups; g++) {
            const pq_row_group *rg = &m->row_groups[g];
            if (rg->num_rows < 0 || rg->n_columns < 0) FAIL("RowGroup %d: negative", g);
            for (int c = 0; c < rg->n_columns; c++) {
                const pq_column_meta *cm = &rg->columns[c].meta;
                for (int i = 0; i < cm->n_path; i++)
                    if (!cm->path_in_schema[i]) FAIL("ColumnMetaData: a NULL path element");
                if (cm->total_compressed_size < 0 || cm->data_page_offset < 0) FAIL("ColumnMetaData: negative");
            }
        }
    } else if (k == PAGE_HEADER) {
        if (d->page.compressed_page_size < 0 || d->page.uncompressed_page_size < 0) FAIL("PageHeader: negative size");
    } else if (k == COLUMN_INDEX) {
        const pq_column_index *ci = &d->ci;
        if (ci->n_pages < 0 || !ci->null_pages || !ci->min_values || !ci->max_values) FAIL("ColumnIndex: lists");
        if (ci->has_null_counts != (ci->null_counts != NULL)) FAIL("ColumnIndex: null_counts flag");
        for (int i = 0; i < ci->n_pages; i++)
            if (!ci->min_values[i].p || !ci->max_values[i].p) FAIL("ColumnIndex: a NULL bound");
    } else if (k == BLOOM_HEADER) {
        if (d->bloom.num_bytes < 0) FAIL("BloomFilterHeader: negative size");
    }
}

/* A direct look at the main fields, beside the byte comparison of the encodings. */
static void same_main_fields(kind k, const decoded *a, const decoded *b) {
    bool same = true;
    switch (k) {
    case FILE_META:
        same = a->file.version == b->file.version && a->file.num_rows == b->file.num_rows &&
               a->file.n_schema == b->file.n_schema && a->file.n_row_groups == b->file.n_row_groups &&
               a->file.n_kv == b->file.n_kv && a->file.n_column_orders == b->file.n_column_orders &&
               (a->file.created_by == NULL) == (b->file.created_by == NULL);
        for (int i = 0; same && i < a->file.n_schema; i++)
            same = strcmp(a->file.schema[i].name, b->file.schema[i].name) == 0 &&
                   a->file.schema[i].logical.kind == b->file.schema[i].logical.kind;
        break;
    case PAGE_HEADER:
        same = a->page.type == b->page.type && a->page.compressed_page_size == b->page.compressed_page_size &&
               a->page.uncompressed_page_size == b->page.uncompressed_page_size &&
               a->page.has_data_page_header == b->page.has_data_page_header &&
               a->page.has_data_page_header_v2 == b->page.has_data_page_header_v2 &&
               a->page.data_page_header_v2.is_compressed == b->page.data_page_header_v2.is_compressed;
        break;
    case COLUMN_INDEX:
        same = a->ci.n_pages == b->ci.n_pages && a->ci.has_null_counts == b->ci.has_null_counts &&
               a->ci.boundary_order == b->ci.boundary_order;
        for (int i = 0; same && i < a->ci.n_pages; i++)
            same = a->ci.null_pages[i] == b->ci.null_pages[i] && a->ci.min_values[i].n == b->ci.min_values[i].n &&
                   memcmp(a->ci.min_values[i].p, b->ci.min_values[i].p, a->ci.min_values[i].n) == 0;
        break;
    case OFFSET_INDEX:
        same = a->oi.n_pages == b->oi.n_pages;
        for (int i = 0; same && i < a->oi.n_pages; i++) {
            const pq_page_location *x = &a->oi.page_locations[i], *y = &b->oi.page_locations[i];
            same = x->offset == y->offset && x->compressed_page_size == y->compressed_page_size &&
                   x->first_row_index == y->first_row_index;
        }
        break;
    case BLOOM_HEADER: same = a->bloom.num_bytes == b->bloom.num_bytes; break;
    case N_KINDS: break;
    }
    if (!same) FAIL("%s: decode(encode(x)) differs from x in its main fields", kind_names[k]);
}

static void fuzz_one(kind k, const uint8_t *data, size_t size) {
    vf_arena a1 = {0}, a2 = {0};
    decoded d1, d2;
    vf_error err;
    size_t used = 0, used2 = 0;
    vf_error_clear(&err);
    vf_status st = decode(k, data, size, &a1, &d1, &used, &err);
    if (st != VF_OK) {
        check_failure(k, st, &err, size);
        vf_arena_free(&a1);
        return;
    }
    check_decoded(k, &d1, used, size);

    vf_buf b1 = {0}, b2 = {0};
    encode(k, &d1, &b1);
    st = decode(k, b1.p, b1.len, &a2, &d2, &used2, &err);
    if (st != VF_OK) FAIL("%s: re-encoded bytes do not decode: %s", kind_names[k], err.msg);
    if (used2 != b1.len) FAIL("%s: re-encoded header of %zu bytes decodes as %zu", kind_names[k], b1.len, used2);
    check_decoded(k, &d2, used2, b1.len);
    same_main_fields(k, &d1, &d2);
    encode(k, &d2, &b2);
    if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
        FAIL("%s: decode(encode(x)) differs from x (%zu vs %zu bytes)", kind_names[k], b1.len, b2.len);
    vf_buf_free(&b1);
    vf_buf_free(&b2);
    vf_arena_free(&a1);
    vf_arena_free(&a2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int k = 0; k < N_KINDS; k++) fuzz_one((kind)k, data, size);
    return 0;
}
