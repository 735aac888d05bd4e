/*
 * test_pqread.c - unit tests of the Parquet reader (csrc/parquet/reader.h)
 * on files built here, byte by byte, with the metadata and encoding
 * encoders: the cases writers seldom produce (deprecated statistics,
 * unknown column orders, old parquet-mr versions, NaN bounds, damaged
 * pages, encrypted footers) and the messages every failure gives.
 */
#include "check.h"
#include "codec/block.h"
#include "parquet/encoding.h"
#include "parquet/reader.h"

#include <math.h>

/* ------------------------------------------------------------------ */
/* building files                                                      */
/* ------------------------------------------------------------------ */
#define MAXCOLS 8
#define MAXPAGES 8

/* One column: its schema element, and its one row group's pages. */
typedef struct tcol {
    pq_schema_elem el;
    pq_stats stats;
    bool has_stats;
    int codec;
    vf_buf chunk;              /* the encoded pages */
    int64_t num_values;
    bool dict;                 /* the chunk starts with a dictionary page */
    int npages;
    pq_page_location loc[MAXPAGES]; /* offsets relative to the chunk */
    bool offset_index;
    bool crypto;
} tcol;

typedef struct tfile {
    int ncols;
    tcol cols[MAXCOLS];
    int64_t rows;
    const char *created_by;
    int n_orders;
    int orders[MAXCOLS];
    bool encrypted_footer_meta;
} tfile;

static tcol *add_col(tfile *f, const char *name, int type, int repetition) {
    tcol *c = &f->cols[f->ncols++];
    memset(c, 0, sizeof *c);
    c->el.name = name;
    c->el.has_type = true;
    c->el.type = type;
    c->el.has_repetition = true;
    c->el.repetition = repetition;
    return c;
}

/* Append a page: header then body (compressed with the column's codec). */
static void add_page(tcol *c, pq_page_header *h, const vf_buf *body, int64_t first_row) {
    vf_buf comp = {0};
    vf_blockz *z = vf_blockz_new();
    vf_error err;
    vf_block_compress(z, c->codec, 0, body->p, body->len, &comp, &err);
    vf_blockz_free(z);
    h->uncompressed_page_size = (int32_t)body->len;
    h->compressed_page_size = (int32_t)comp.len;
    size_t at = c->chunk.len;
    pq_encode_page_header(&c->chunk, h);
    vf_buf_append(&c->chunk, comp.p, comp.len);
    if (h->type != PQ_DICTIONARY_PAGE && c->npages < MAXPAGES)
        c->loc[c->npages++] = (pq_page_location){(int64_t)at, (int32_t)(c->chunk.len - at), first_row};
    vf_buf_free(&comp);
}

/* A v1 data page: definition levels (RLE, length-prefixed) when the column is optional, then values. */
static void data_page_v1(tcol *c, int encoding, const uint8_t *levels, int n, const vf_buf *values, int64_t first_row) {
    vf_buf body = {0};
    if (c->el.repetition == PQ_OPTIONAL) {
        vf_buf lv = {0};
        pq_rle_encode_u8(&lv, levels, (size_t)n, 1);
        vf_buf_put_le32(&body, (uint32_t)lv.len);
        vf_buf_append(&body, lv.p, lv.len);
        vf_buf_free(&lv);
    }
    vf_buf_append(&body, values->p, values->len);
    pq_page_header h = {.type = PQ_DATA_PAGE, .has_data_page_header = true};
    h.data_page_header = (pq_data_page_header){.num_values = n, .encoding = encoding, .definition_level_encoding = PQ_RLE,
                                              .repetition_level_encoding = PQ_RLE};
    add_page(c, &h, &body, first_row);
    c->num_values += n;
    vf_buf_free(&body);
}

static void dict_page(tcol *c, int n, const vf_buf *values) {
    pq_page_header h = {.type = PQ_DICTIONARY_PAGE, .has_dictionary_page_header = true};
    h.dictionary_page_header = (pq_dict_page_header){n, PQ_PLAIN, false, false};
    add_page(c, &h, values, 0);
    c->dict = true;
}

static void plain_i32(vf_buf *b, const int32_t *v, int n) {
    for (int i = 0; i < n; i++) vf_buf_put_le32(b, (uint32_t)v[i]);
}

static void plain_str(vf_buf *b, const char *const *v, int n) {
    for (int i = 0; i < n; i++) {
        vf_buf_put_le32(b, (uint32_t)strlen(v[i]));
        vf_buf_append(b, v[i], strlen(v[i]));
    }
}

/* Dictionary indices: a bit-width byte then the RLE hybrid. */
static void indices(vf_buf *b, const uint32_t *idx, int n, int bw) {
    vf_buf_push(b, (uint8_t)bw);
    pq_rle_encode_u32(b, idx, (size_t)n, bw);
}

/* The whole file: "PAR1", the chunks, offset indexes, the footer. */
static uint8_t *build(tfile *t, size_t *len) {
    vf_buf out = {0};
    vf_buf_append(&out, "PAR1", 4);
    pq_schema_elem schema[MAXCOLS + 1];
    schema[0] = (pq_schema_elem){.name = "schema", .has_num_children = true, .num_children = t->ncols};
    pq_column_chunk chunks[MAXCOLS];
    const char *paths[MAXCOLS];
    static int encs[] = {PQ_PLAIN, PQ_RLE, PQ_RLE_DICTIONARY};
    pq_offset_index oi[MAXCOLS];
    memset(chunks, 0, sizeof chunks);
    for (int i = 0; i < t->ncols; i++) {
        tcol *c = &t->cols[i];
        schema[i + 1] = c->el;
        paths[i] = c->el.name;
        int64_t at = (int64_t)out.len;
        vf_buf_append(&out, c->chunk.p, c->chunk.len);
        pq_column_meta *m = &chunks[i].meta;
        chunks[i].has_meta_data = true;
        chunks[i].file_offset = at;
        chunks[i].has_crypto_metadata = c->crypto;
        m->type = c->el.type;
        m->n_encodings = 3;
        m->encodings = encs;
        m->n_path = 1;
        m->path_in_schema = &paths[i];
        m->codec = c->codec;
        m->num_values = c->num_values;
        m->total_compressed_size = m->total_uncompressed_size = (int64_t)c->chunk.len;
        m->data_page_offset = at + (c->npages ? c->loc[0].offset : 0);
        if (c->dict) {
            m->has_dictionary_page_offset = true;
            m->dictionary_page_offset = at;
        }
        m->has_statistics = c->has_stats;
        m->statistics = c->stats;
        for (int k = 0; k < c->npages; k++) c->loc[k].offset += at;
    }
    for (int i = 0; i < t->ncols; i++) {
        tcol *c = &t->cols[i];
        if (!c->offset_index) continue;
        oi[i] = (pq_offset_index){c->npages, c->loc};
        chunks[i].has_offset_index = true;
        chunks[i].offset_index_offset = (int64_t)out.len;
        size_t before = out.len;
        pq_encode_offset_index(&out, &oi[i]);
        chunks[i].offset_index_length = (int32_t)(out.len - before);
    }
    pq_row_group rg = {.n_columns = t->ncols, .columns = chunks, .total_byte_size = 1, .num_rows = t->rows};
    pq_file_meta fm = {.version = 1, .n_schema = t->ncols + 1, .schema = schema, .num_rows = t->rows,
                       .n_row_groups = 1, .row_groups = &rg, .created_by = t->created_by,
                       .n_column_orders = t->n_orders, .column_orders = t->orders,
                       .has_encryption_algorithm = t->encrypted_footer_meta};
    size_t before = out.len;
    pq_encode_file_meta(&out, &fm);
    vf_buf_put_le32(&out, (uint32_t)(out.len - before));
    vf_buf_append(&out, "PAR1", 4);
    for (int i = 0; i < t->ncols; i++) vf_buf_free(&t->cols[i].chunk);
    if (out.oom) abort();
    return vf_buf_take(&out, len);
}

/* open + read every column; returns the status and fills *out / err */
static vf_status read_all(const uint8_t *data, size_t len, const char *const *cols, size_t ncols, int threads,
                          vf_table **out, pq_read_stats *stats, vf_error *err) {
    pq_file *f;
    vf_error_clear(err);
    *out = NULL;
    vf_status st = pq_open("t.parquet", data, len, &f, err);
    if (st != VF_OK) return st;
    pq_file_req req = {f, NULL, 0};
    pq_read_opts o;
    pq_read_opts_init(&o);
    o.columns = cols;
    o.ncolumns = ncols;
    o.threads = threads;
    pq_read_stats s;
    st = pq_read(&req, 1, &o, out, stats ? stats : &s, err);
    pq_close(f);
    return st;
}

static const char *dict_str(const vf_column *c, int64_t row) {
    static char buf[256];
    int32_t code = ((const int32_t *)c->values)[row];
    if (code < 0) return NULL;
    const int64_t *o = vf_dict_offsets(c->dict);
    snprintf(buf, sizeof buf, "%.*s", (int)(o[code + 1] - o[code]), vf_dict_data(c->dict) + o[code]);
    return buf;
}

/* ------------------------------------------------------------------ */
/* values                                                              */
/* ------------------------------------------------------------------ */
/* an optional INT32 column in two pages, and an optional string column with a dictionary page */
static uint8_t *basic_file(size_t *len, int codec) {
    tfile t = {.rows = 6, .created_by = "test"};
    tcol *a = add_col(&t, "a", PQ_INT32, PQ_OPTIONAL);
    a->codec = codec;
    uint8_t lv1[3] = {1, 0, 1}, lv2[3] = {1, 1, 0};
    int32_t v1[2] = {10, -20}, v2[2] = {30, 40};
    vf_buf b = {0};
    plain_i32(&b, v1, 2);
    data_page_v1(a, PQ_PLAIN, lv1, 3, &b, 0);
    b.len = 0;
    plain_i32(&b, v2, 2);
    data_page_v1(a, PQ_PLAIN, lv2, 3, &b, 3);
    tcol *s = add_col(&t, "s", PQ_BYTE_ARRAY, PQ_OPTIONAL);
    s->el.has_converted_type = true;
    s->el.converted_type = PQ_CT_UTF8;
    s->codec = codec;
    const char *words[] = {"ACCEPT", "REJECT"};
    b.len = 0;
    plain_str(&b, words, 2);
    dict_page(s, 2, &b);
    uint8_t lv[6] = {1, 1, 0, 1, 1, 1};
    uint32_t idx[5] = {1, 0, 0, 1, 1};
    b.len = 0;
    indices(&b, idx, 5, 1);
    data_page_v1(s, PQ_RLE_DICTIONARY, lv, 6, &b, 0);
    vf_buf_free(&b);
    return build(&t, len);
}

static void test_values(void) {
    const int codecs[] = {VF_BC_UNCOMPRESSED, VF_BC_SNAPPY, VF_BC_GZIP, VF_BC_ZSTD};
    for (int k = 0; k < 4; k++) {
        size_t len;
        uint8_t *data = basic_file(&len, codecs[k]);
        vf_table *t;
        vf_error err;
        pq_read_stats st;
        CHECK_INT(read_all(data, len, NULL, 0, 2, &t, &st, &err), VF_OK);
        if (!t) {
            fprintf(stderr, "%s\n", err.msg);
            free(data);
            continue;
        }
        CHECK_INT(t->nrows, 6);
        CHECK_INT(t->ncols, 2);
        const vf_column *a = &t->cols[0], *s = &t->cols[1];
        CHECK_STR(a->name, "a");
        CHECK_INT(a->type, VF_T_INT32);
        CHECK_INT(a->null_count, 2);
        const int32_t *av = a->values;
        CHECK(a->valid && av[0] == 10 && !a->valid[1] && av[1] == 0 && av[2] == -20 && av[3] == 30 && av[4] == 40 &&
              !a->valid[5]);
        CHECK_INT(s->type, VF_T_STRING);
        CHECK_INT(s->null_count, 1);
        CHECK(s->valid == NULL);
        CHECK_STR(dict_str(s, 0), "REJECT");
        CHECK_STR(dict_str(s, 2), NULL);
        CHECK_STR(dict_str(s, 5), "REJECT");
        CHECK_INT(vf_dict_size(s->dict), 2);
        CHECK_INT(st.pages_read, 3);
        CHECK_INT(st.rows, 6);
        vf_table_free(t);
        free(data);
    }
}

/* the same column in two files, one file lacking another, and types that disagree */
static void test_many_files(void) {
    size_t l1, l2, l3;
    uint8_t *d1 = basic_file(&l1, VF_BC_SNAPPY), *d2 = basic_file(&l2, VF_BC_ZSTD);
    tfile t = {.rows = 2};
    tcol *c = add_col(&t, "a", PQ_INT64, PQ_REQUIRED);
    int64_t v[2] = {1, 2};
    vf_buf b = {0};
    vf_buf_append(&b, v, sizeof v);
    data_page_v1(c, PQ_PLAIN, NULL, 2, &b, 0);
    vf_buf_free(&b);
    uint8_t *d3 = build(&t, &l3);
    pq_file *f1, *f2, *f3;
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(pq_open("one.parquet", d1, l1, &f1, &err), VF_OK);
    CHECK_INT(pq_open("two.parquet", d2, l2, &f2, &err), VF_OK);
    CHECK_INT(pq_open("three.parquet", d3, l3, &f3, &err), VF_OK);
    /* rows 1..3 of the first file's row group, then the second file whole */
    pq_range r = {1, 4};
    pq_rg_req g = {0, &r, 1};
    pq_file_req req[2] = {{f1, &g, 1}, {f2, NULL, 0}};
    const char *cols[] = {"s", "a"};
    pq_read_opts o;
    pq_read_opts_init(&o);
    o.columns = cols;
    o.ncolumns = 2;
    vf_table *out;
    pq_read_stats st;
    CHECK_INT(pq_read(req, 2, &o, &out, &st, &err), VF_OK);
    CHECK_INT(out->nrows, 9);
    CHECK_STR(dict_str(&out->cols[0], 0), "ACCEPT");
    CHECK_STR(dict_str(&out->cols[0], 1), NULL);
    CHECK_STR(dict_str(&out->cols[0], 3), "REJECT");
    CHECK_INT(vf_dict_size(out->cols[0].dict), 2); /* one dictionary for both files */
    CHECK_INT(((int32_t *)out->cols[1].values)[0], 0);
    CHECK_INT(out->cols[1].valid[0], 0);
    CHECK_INT(((int32_t *)out->cols[1].values)[1], -20);
    CHECK_INT(st.files, 2);
    CHECK_INT(st.row_groups_read, 2);
    vf_table_free(out);
    /* "a" is INT64 in three.parquet */
    pq_file_req req2[2] = {{f1, NULL, 0}, {f3, NULL, 0}};
    CHECK_INT(pq_read(req2, 2, &o, &out, &st, &err), VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "three.parquet: column 'a': is int64 here but int32 in one.parquet");
    /* "s" is missing from three.parquet: null there */
    o.columns = cols;
    o.ncolumns = 1;
    pq_file_req req3[2] = {{f3, NULL, 0}, {f1, NULL, 0}};
    CHECK_INT(pq_read(req3, 2, &o, &out, &st, &err), VF_OK);
    CHECK_INT(out->nrows, 8);
    CHECK_INT(out->cols[0].null_count, 3);
    CHECK_STR(dict_str(&out->cols[0], 2), "REJECT");
    vf_table_free(out);
    const char *none[] = {"nope"};
    o.columns = none;
    CHECK_INT(pq_read(req3, 2, &o, &out, &st, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "no column 'nope' in three.parquet or the other files");
    pq_range bad = {3, 2};
    pq_rg_req gb = {0, &bad, 1};
    pq_file_req rb = {f1, &gb, 1};
    o.columns = NULL;
    CHECK_INT(pq_read(&rb, 1, &o, &out, &st, &err), VF_EARG);
    CHECK_CONTAINS(err.msg, "one.parquet: row group 0: row range [3, 2) is empty, out of order or past its 6 rows");
    pq_close(f1);
    pq_close(f2);
    pq_close(f3);
    free(d1);
    free(d2);
    free(d3);
}

/* strings that are all addresses become an address column; one that is not keeps it a string column */
static void test_addresses(void) {
    for (int k = 0; k < 2; k++) {
        tfile t = {.rows = 3};
        tcol *c = add_col(&t, "srcaddr", PQ_BYTE_ARRAY, PQ_REQUIRED);
        c->el.has_converted_type = true;
        c->el.converted_type = PQ_CT_UTF8;
        const char *v[3] = {"10.0.0.1", k ? "not-an-address" : "2001:db8::1", "10.0.0.1"};
        vf_buf b = {0};
        plain_str(&b, v, 3);
        data_page_v1(c, PQ_PLAIN, NULL, 3, &b, 0);
        vf_buf_free(&b);
        size_t len;
        uint8_t *data = build(&t, &len);
        vf_table *out;
        vf_error err;
        CHECK_INT(read_all(data, len, NULL, 0, 1, &out, NULL, &err), VF_OK);
        CHECK_INT(out->cols[0].type, k ? VF_T_STRING : VF_T_ADDR);
        const int32_t *codes = out->cols[0].values;
        CHECK(codes[0] == codes[2] && codes[0] != codes[1]);
        if (!k) CHECK_INT(vf_dict_families(out->cols[0].dict)[codes[1]], 6);
        vf_table_free(out);
        free(data);
    }
}

/* pages the offset index says hold no wanted row are not read */
static void test_offset_index(void) {
    tfile t = {.rows = 30};
    tcol *c = add_col(&t, "x", PQ_INT32, PQ_REQUIRED);
    c->offset_index = true;
    for (int p = 0; p < 3; p++) {
        int32_t v[10];
        for (int i = 0; i < 10; i++) v[i] = p * 10 + i;
        vf_buf b = {0};
        plain_i32(&b, v, 10);
        data_page_v1(c, PQ_PLAIN, NULL, 10, &b, p * 10);
        vf_buf_free(&b);
    }
    size_t len;
    uint8_t *data = build(&t, &len);
    pq_file *f;
    vf_error err;
    vf_error_clear(&err);
    CHECK_INT(pq_open("t.parquet", data, len, &f, &err), VF_OK);
    pq_range r[2] = {{2, 4}, {25, 27}};
    pq_rg_req g = {0, r, 2};
    pq_file_req req = {f, &g, 1};
    vf_table *out;
    pq_read_stats st;
    CHECK_INT(pq_read(&req, 1, NULL, &out, &st, &err), VF_OK);
    CHECK_INT(out->nrows, 4);
    const int32_t *v = out->cols[0].values;
    CHECK(v[0] == 2 && v[1] == 3 && v[2] == 25 && v[3] == 26);
    CHECK_INT(st.pages_read, 2);
    CHECK_INT(st.pages_skipped, 1);
    vf_table_free(out);
    vf_arena a = {0};
    pq_column_index *ci;
    pq_offset_index *oi;
    CHECK_INT(pq_page_index(f, 0, 0, &a, &ci, &oi, &err), VF_OK);
    CHECK(ci == NULL && oi && oi->n_pages == 3 && oi->page_locations[2].first_row_index == 20);
    vf_arena_free(&a);
    pq_close(f);
    free(data);
}

/* ------------------------------------------------------------------ */
/* statistics                                                          */
/* ------------------------------------------------------------------ */
static pq_bytes bytes_of(const void *p, size_t n) { return (pq_bytes){p, n}; }

/* One row group whose columns carry the given statistics; no pages needed. */
static pq_file *stats_file(tfile *t, uint8_t **data) {
    size_t len;
    *data = build(t, &len);
    pq_file *f;
    vf_error err;
    vf_error_clear(&err);
    if (pq_open("s.parquet", *data, len, &f, &err) != VF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    return f;
}

static void test_statistics_rules(void) {
    static const int32_t lo = -5, hi = 7;
    static const double nan_v = NAN, zero = 0.0, one = 1.0;
    tfile t = {.rows = 0, .created_by = "parquet-mr version 1.6.0 (build abc)"};
    /* 0: signed INT32, deprecated min/max only: usable */
    tcol *c = add_col(&t, "i", PQ_INT32, PQ_OPTIONAL);
    c->has_stats = true;
    c->stats.min = bytes_of(&lo, 4);
    c->stats.max = bytes_of(&hi, 4);
    c->stats.has_null_count = true;
    c->stats.null_count = 0;
    /* 1: UINT_32, deprecated only: signed order is wrong for it */
    c = add_col(&t, "u", PQ_INT32, PQ_OPTIONAL);
    c->el.has_converted_type = true;
    c->el.converted_type = PQ_CT_UINT_32;
    c->has_stats = true;
    c->stats.min = bytes_of(&lo, 4);
    c->stats.max = bytes_of(&hi, 4);
    /* 2: a string, new-style min/max, but parquet-mr 1.6.0 (PARQUET-251) */
    c = add_col(&t, "s", PQ_BYTE_ARRAY, PQ_OPTIONAL);
    c->has_stats = true;
    c->stats.min_value = bytes_of("a", 1);
    c->stats.max_value = bytes_of("z", 1);
    /* 3: DOUBLE with a NaN max and a +0 min */
    c = add_col(&t, "d", PQ_DOUBLE, PQ_OPTIONAL);
    c->has_stats = true;
    c->stats.min_value = bytes_of(&zero, 8);
    c->stats.max_value = bytes_of(&nan_v, 8);
    /* 4: a DOUBLE whose bound has the wrong size */
    c = add_col(&t, "w", PQ_DOUBLE, PQ_OPTIONAL);
    c->has_stats = true;
    c->stats.min_value = bytes_of(&one, 4);
    c->stats.max_value = bytes_of(&one, 8);
    /* 5: INT96: no order */
    c = add_col(&t, "t96", PQ_INT96, PQ_OPTIONAL);
    c->has_stats = true;
    c->stats.min_value = bytes_of("123456789012", 12);
    c->stats.max_value = bytes_of("123456789012", 12);
    uint8_t *data;
    pq_file *f = stats_file(&t, &data);
    pq_stats_typed s;
    pq_chunk_stats(f, 0, 0, &s);
    CHECK(s.has_min && s.has_max && s.kind == PQ_V_INT && s.min.i == -5 && s.max.i == 7);
    CHECK(s.has_null_count && s.null_count == 0 && !s.has_distinct_count);
    pq_chunk_stats(f, 0, 1, &s);
    CHECK(!s.has_min && !s.has_max && s.kind == PQ_V_UINT);
    CHECK(!s.has_null_count);
    pq_chunk_stats(f, 0, 2, &s);
    CHECK(!s.has_min && !s.has_max);
    pq_chunk_stats(f, 0, 3, &s);
    CHECK(s.has_min && !s.has_max && s.min.f == 0 && signbit(s.min.f));
    pq_chunk_stats(f, 0, 4, &s);
    CHECK(!s.has_min && s.has_max && s.max.f == 1.0);
    pq_chunk_stats(f, 0, 5, &s);
    CHECK(!s.has_min && !s.has_max && s.kind == PQ_V_NONE);
    CHECK_STR(f->leaves[5].logical, "timestamp[ns]");
    pq_close(f);
    free(data);

    /* column orders: TYPE_ORDER for the first, unknown for the second; a newer parquet-mr */
    tfile u = {.created_by = "parquet-mr version 1.12.3 (build x)", .n_orders = 2, .orders = {1, 0}};
    for (int k = 0; k < 2; k++) {
        c = add_col(&u, k ? "b" : "a", PQ_BYTE_ARRAY, PQ_OPTIONAL);
        c->has_stats = true;
        c->stats.min_value = bytes_of("abc", 3);
        c->stats.max_value = bytes_of("abd", 3);
        c->stats.min = bytes_of("same", 4); /* deprecated, min == max: usable whatever the order */
        c->stats.max = bytes_of("same", 4);
    }
    f = stats_file(&u, &data);
    pq_chunk_stats(f, 0, 0, &s);
    CHECK(s.has_min && s.min.b.n == 3 && memcmp(s.min.b.p, "abc", 3) == 0 && s.max_exact);
    pq_chunk_stats(f, 0, 1, &s);
    CHECK(s.has_min && s.min.b.n == 4 && memcmp(s.min.b.p, "same", 4) == 0);
    pq_close(f);
    free(data);
}

static void test_types(void) {
    tfile t = {0};
    tcol *c = add_col(&t, "ts", PQ_INT64, PQ_OPTIONAL);
    c->el.logical = (pq_logical){.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = PQ_MICROS};
    c = add_col(&t, "ms", PQ_INT64, PQ_OPTIONAL);
    c->el.has_converted_type = true;
    c->el.converted_type = PQ_CT_TIMESTAMP_MILLIS;
    c = add_col(&t, "u8", PQ_INT32, PQ_OPTIONAL);
    c->el.logical = (pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 8, .is_signed = false};
    c = add_col(&t, "dec", PQ_FIXED_LEN_BYTE_ARRAY, PQ_OPTIONAL);
    c->el.has_type_length = true;
    c->el.type_length = 9;
    c->el.logical = (pq_logical){.kind = PQ_LT_DECIMAL, .precision = 20, .scale = 3};
    c = add_col(&t, "h", PQ_FIXED_LEN_BYTE_ARRAY, PQ_OPTIONAL);
    c->el.has_type_length = true;
    c->el.type_length = 2;
    c->el.logical = (pq_logical){.kind = PQ_LT_FLOAT16};
    c = add_col(&t, "odd", PQ_BYTE_ARRAY, PQ_OPTIONAL);
    c->el.logical = (pq_logical){.kind = PQ_LT_OTHER};
    c->el.has_converted_type = true;
    c->el.converted_type = PQ_CT_UTF8;
    uint8_t *data;
    pq_file *f = stats_file(&t, &data);
    CHECK_STR(f->leaves[0].logical, "timestamp[us, UTC]");
    CHECK_STR(f->leaves[1].logical, "timestamp[ms, UTC]");
    CHECK_INT(f->leaves[2].vtype, VF_T_UINT8);
    CHECK_INT(f->leaves[2].sort, PQ_SORT_UNSIGNED);
    CHECK_STR(f->leaves[3].logical, "decimal(20,3)");
    CHECK_INT(f->leaves[3].vtype, VF_T_BINARY);
    CHECK_INT(f->leaves[4].vtype, VF_T_FLOAT32);
    CHECK_STR(f->leaves[4].logical, "float16");
    CHECK_INT(f->leaves[5].vtype, VF_T_STRING); /* an unknown LogicalType: the converted type decides */
    pq_close(f);
    free(data);
}

/* ------------------------------------------------------------------ */
/* failures and their messages                                         */
/* ------------------------------------------------------------------ */
static void expect_error(const uint8_t *data, size_t len, vf_status code, const char *text) {
    vf_table *out;
    vf_error err;
    vf_status st = read_all(data, len, NULL, 0, 1, &out, NULL, &err);
    CHECK_INT(st, code);
    CHECK_CONTAINS(err.msg, text);
    if (st == VF_OK) vf_table_free(out);
}

static void test_errors(void) {
    size_t len;
    vf_buf b = {0};
    /* a dictionary index past the dictionary */
    {
        tfile t = {.rows = 3};
        tcol *c = add_col(&t, "s", PQ_BYTE_ARRAY, PQ_REQUIRED);
        const char *w[] = {"x", "y"};
        plain_str(&b, w, 2);
        dict_page(c, 2, &b);
        b.len = 0;
        uint32_t idx[3] = {0, 5, 1};
        indices(&b, idx, 3, 3);
        data_page_v1(c, PQ_RLE_DICTIONARY, NULL, 3, &b, 0);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT,
                     "t.parquet: column 's', row group 0, page 1 at byte ");
        expect_error(d, len, VF_EFORMAT, "dictionary index 5 out of range: the dictionary has 2 entries");
        free(d);
    }
    /* a page holding more values than the row group has rows */
    {
        tfile t = {.rows = 2};
        tcol *c = add_col(&t, "x", PQ_INT32, PQ_REQUIRED);
        int32_t v[3] = {1, 2, 3};
        b.len = 0;
        plain_i32(&b, v, 3);
        data_page_v1(c, PQ_PLAIN, NULL, 3, &b, 0);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "page of 3 values: more than the row group's 2 rows");
        free(d);
    }
    /* a chunk that ends before the row group's rows */
    {
        tfile t = {.rows = 5};
        tcol *c = add_col(&t, "x", PQ_INT32, PQ_REQUIRED);
        int32_t v[3] = {1, 2, 3};
        b.len = 0;
        plain_i32(&b, v, 3);
        data_page_v1(c, PQ_PLAIN, NULL, 3, &b, 0);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "column 'x', row group 0, page 1 at byte 33: the column chunk ends after 3 of the row group's 5 rows");
        free(d);
    }
    /* PLAIN values short of the page's count */
    {
        tfile t = {.rows = 4};
        tcol *c = add_col(&t, "x", PQ_INT64, PQ_REQUIRED);
        b.len = 0;
        vf_buf_append(&b, "12345678", 8);
        data_page_v1(c, PQ_PLAIN, NULL, 4, &b, 0);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "PLAIN: 4 values of 8 bytes need more than the 8 bytes of the page");
        free(d);
    }
    /* an encoding that does not fit the type */
    {
        tfile t = {.rows = 1};
        tcol *c = add_col(&t, "x", PQ_DOUBLE, PQ_REQUIRED);
        b.len = 0;
        vf_buf_append(&b, "12345678", 8);
        data_page_v1(c, PQ_DELTA_BINARY_PACKED, NULL, 1, &b, 0);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "encoding DELTA_BINARY_PACKED is not valid for DOUBLE values");
        free(d);
    }
    /* a definition level above the column's maximum (1): a run of 3s */
    {
        tfile t = {.rows = 8};
        tcol *c = add_col(&t, "x", PQ_INT32, PQ_OPTIONAL);
        uint8_t lv[8] = {3, 3, 3, 3, 3, 3, 3, 3};
        vf_buf body = {0}, l = {0};
        pq_rle_encode_u8(&l, lv, 8, 2);
        vf_buf_put_le32(&body, (uint32_t)l.len);
        vf_buf_append(&body, l.p, l.len);
        pq_page_header h = {.type = PQ_DATA_PAGE, .has_data_page_header = true};
        h.data_page_header = (pq_data_page_header){.num_values = 8, .encoding = PQ_PLAIN, .definition_level_encoding = PQ_RLE};
        add_page(c, &h, &body, 0);
        c->num_values = 8;
        vf_buf_free(&body);
        vf_buf_free(&l);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "column 'x', row group 0, page 0 at byte 4: RLE: run value 3 does not fit bit width 1");
        free(d);
    }
    /* a codec this build cannot read */
    {
        tfile t = {.rows = 1};
        tcol *c = add_col(&t, "x", PQ_INT32, PQ_REQUIRED);
        int32_t v = 1;
        b.len = 0;
        plain_i32(&b, &v, 1);
        data_page_v1(c, PQ_PLAIN, NULL, 1, &b, 0);
        c->codec = VF_BC_LZO;
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "t.parquet: column 'x', row group 0: unsupported codec LZO in column 'x'");
        free(d);
    }
    /* encryption, three ways */
    {
        tfile t = {.rows = 0, .encrypted_footer_meta = true};
        add_col(&t, "x", PQ_INT32, PQ_REQUIRED);
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "t.parquet: an encrypted Parquet file (plaintext footer");
        free(d);
        tfile u = {.rows = 0};
        add_col(&u, "x", PQ_INT32, PQ_REQUIRED)->crypto = true;
        d = build(&u, &len);
        expect_error(d, len, VF_EFORMAT, "t.parquet: column 'x', row group 0: an encrypted column");
        memcpy(d + len - 4, "PARE", 4);
        expect_error(d, len, VF_EFORMAT, "encrypted footer, magic PARE");
        free(d);
    }
    /* truncated and damaged files */
    {
        uint8_t *d = basic_file(&len, VF_BC_SNAPPY);
        expect_error(d, len - 1, VF_EFORMAT, "t.parquet: no PAR1 magic at the end of the file");
        expect_error(d, 11, VF_EFORMAT, "too small");
        uint32_t huge = 0xfffffff0u;
        uint8_t *e = malloc(len);
        memcpy(e, d, len);
        memcpy(e + len - 8, &huge, 4);
        expect_error(e, len, VF_EFORMAT, "footer length 4294967280 does not fit the file");
        memcpy(e, d, len);
        memset(e + len - 40, 0xff, 8);
        expect_error(e, len, VF_EFORMAT, "corrupt footer");
        /* every truncation, every single-byte change: an error or a table, never a crash */
        for (size_t n = 0; n < len; n++) {
            vf_table *out;
            vf_error err;
            if (read_all(d, n, NULL, 0, 1, &out, NULL, &err) == VF_OK) vf_table_free(out);
            memcpy(e, d, len);
            e[n] ^= (uint8_t)(1 + n % 255);
            if (read_all(e, len, NULL, 0, 1, &out, NULL, &err) == VF_OK) vf_table_free(out);
            else CHECK(strncmp(err.msg, "t.parquet", 9) == 0 || err.code == VF_ENOMEM);
        }
        free(e);
        free(d);
    }
    /* a nested column: refused when asked for */
    {
        tfile t = {.rows = 0};
        tcol *c = add_col(&t, "r", PQ_INT32, PQ_REPEATED);
        (void)c;
        uint8_t *d = build(&t, &len);
        expect_error(d, len, VF_EFORMAT, "t.parquet: column 'r': cannot read a list or map (a repeated field)");
        free(d);
    }
    vf_buf_free(&b);
}

/* vf_dict_reserve: the same codes as growing one entry at a time */
static void test_dict_reserve(void) {
    const vf_type types[] = {VF_T_STRING, VF_T_ADDR};
    for (int k = 0; k < 2; k++) {
        vf_dict *a = vf_dict_new(types[k]), *b = vf_dict_new(types[k]);
        CHECK(vf_dict_reserve(b, 5000, 60000));
        for (int i = 0; i < 6000; i++) {
            char s[32];
            int n = i % 3 ? snprintf(s, sizeof s, "10.%d.%d.1", i % 4000 / 200, i % 4000 % 200)
                          : snprintf(s, sizeof s, "2001:db8::%x", i % 4000);
            uint8_t addr[16], fam;
            if (types[k] == VF_T_ADDR) {
                CHECK_INT(vf_parse_addr(s, (size_t)n, addr, &fam), 0);
                CHECK_INT(vf_dict_put_addr(a, addr, fam), vf_dict_put_addr(b, addr, fam));
            } else {
                CHECK_INT(vf_dict_put_str(a, s, (size_t)n), vf_dict_put_str(b, s, (size_t)n));
            }
            if (i == 2500) CHECK(vf_dict_reserve(b, 10, 10)); /* a reserve among inserts */
        }
        CHECK_INT(vf_dict_size(a), vf_dict_size(b));
        CHECK(!vf_dict_reserve(b, (size_t)INT32_MAX, 0));
        vf_dict_free(a);
        vf_dict_free(b);
    }
}

int main(void) {
    test_dict_reserve();
    test_values();
    test_many_files();
    test_addresses();
    test_offset_index();
    test_statistics_rules();
    test_types();
    test_errors();
    return check_summary();
}
