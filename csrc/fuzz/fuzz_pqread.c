/*
 * fuzz_pqread.c - libFuzzer target for the Parquet reader
 * (csrc/parquet/reader.h).
 *
 * Each input is a whole Parquet file, read from memory:
 *   - pq_open; a failure must be VF_EFORMAT (or VF_ENOMEM) with a message;
 *   - every column chunk's typed statistics, page index and bloom filter
 *     (checked for a few values);
 *   - pq_read of every readable column on one thread and on three: both
 *     must succeed or fail alike and give the same table, which must be
 *     well formed (codes inside their dictionary, null counts right);
 *   - pq_read of the first readable column over row ranges (the first and
 *     third quarter of each row group), which must agree with the full read.
 * Files claiming more than 2^20 rows are only opened, not read: a footer
 * may claim any row count, and allocating for it is not a bug.
 * Seeds: csrc/fuzz/corpus/pqread/ (csrc/fuzz/make_pqread_corpus.py).
 */
#include "parquet/bloom.h"
#include "parquet/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                \
    do {                                                         \
        fprintf(stderr, "fuzz_pqread invariant: " __VA_ARGS__); \
        fprintf(stderr, "\n");                                   \
        abort();                                                 \
    } while (0)

#define MAX_ROWS ((int64_t)1 << 20)

static void check_error(vf_status st, const vf_error *err, const char *what) {
    if (st != VF_EFORMAT && st != VF_ENOMEM && st != VF_ECODEC && st != VF_EARG)
        FAIL("%s: unexpected status %d", what, (int)st);
    if (!err->msg[0]) FAIL("%s: an error without a message", what);
}

static void check_table(const vf_table *t) {
    for (int i = 0; i < t->ncols; i++) {
        const vf_column *c = &t->cols[i];
        int64_t nulls = 0;
        if (vf_type_is_dict(c->type)) {
            if (!c->dict || c->valid) FAIL("column %s: dictionary column without a dictionary, or with validity", c->name);
            int32_t n = vf_dict_size(c->dict);
            const int32_t *codes = c->values;
            for (int64_t r = 0; r < t->nrows; r++) {
                if (codes[r] < -1 || codes[r] >= n) FAIL("column %s: code %d outside %d entries", c->name, codes[r], n);
                nulls += codes[r] < 0;
            }
        } else {
            if (c->dict) FAIL("column %s: a value column with a dictionary", c->name);
            if (c->valid)
                for (int64_t r = 0; r < t->nrows; r++) nulls += c->valid[r] == 0;
            if (c->type == VF_T_BOOL)
                for (int64_t r = 0; r < t->nrows; r++)
                    if (((const uint8_t *)c->values)[r] > 1) FAIL("column %s: bool value not 0/1", c->name);
        }
        if (nulls != c->null_count) FAIL("column %s: null_count %lld, counted %lld", c->name, (long long)c->null_count,
                                         (long long)nulls);
    }
}

/* Row r of column c of a and row s of column d of b hold the same value. */
static bool same_row(const vf_column *c, int64_t r, const vf_column *d, int64_t s) {
    if (c->type != d->type) return false;
    if (vf_type_is_dict(c->type)) {
        int32_t x = ((const int32_t *)c->values)[r], y = ((const int32_t *)d->values)[s];
        if (x < 0 || y < 0) return x == y;
        if (c->type == VF_T_ADDR)
            return memcmp(vf_dict_addrs(c->dict) + 16 * (size_t)x, vf_dict_addrs(d->dict) + 16 * (size_t)y, 16) == 0 &&
                   vf_dict_families(c->dict)[x] == vf_dict_families(d->dict)[y];
        const int64_t *o = vf_dict_offsets(c->dict), *p = vf_dict_offsets(d->dict);
        return o[x + 1] - o[x] == p[y + 1] - p[y] &&
               memcmp(vf_dict_data(c->dict) + o[x], vf_dict_data(d->dict) + p[y], (size_t)(o[x + 1] - o[x])) == 0;
    }
    bool vc = !c->valid || c->valid[r], vd = !d->valid || d->valid[s];
    if (vc != vd) return false;
    size_t w = vf_type_width(c->type);
    return !vc || memcmp((const uint8_t *)c->values + (size_t)r * w, (const uint8_t *)d->values + (size_t)s * w, w) == 0;
}

static void same_tables(const vf_table *a, const vf_table *b) {
    if (a->nrows != b->nrows || a->ncols != b->ncols) FAIL("thread counts give different tables");
    for (int i = 0; i < a->ncols; i++)
        for (int64_t r = 0; r < a->nrows; r++)
            if (!same_row(&a->cols[i], r, &b->cols[i], r)) FAIL("column %s row %lld differs by thread count", a->cols[i].name, (long long)r);
}

static void walk_metadata(const pq_file *f) {
    for (int g = 0; g < f->meta.n_row_groups; g++)
        for (int c = 0; c < f->nleaves; c++) {
            pq_stats_typed s;
            pq_chunk_stats(f, g, c, &s);
            if ((s.has_min || s.has_max) && s.kind != f->leaves[c].stat_kind) FAIL("statistics of the wrong kind");
            vf_arena a = {0};
            pq_column_index *ci;
            pq_offset_index *oi;
            vf_error err;
            vf_error_clear(&err);
            vf_status st = pq_page_index(f, g, c, &a, &ci, &oi, &err);
            if (st != VF_OK) check_error(st, &err, "pq_page_index");
            for (int k = 0; st == VF_OK && ci && k < ci->n_pages; k++)
                if (!ci->null_pages[k]) pq_stat_bounds(f, &f->leaves[c], ci->min_values[k], ci->max_values[k], &s);
            vf_arena_free(&a);
            const uint8_t *bits;
            size_t nbytes;
            st = pq_bloom_bitset(f, g, c, &bits, &nbytes, &err);
            if (st != VF_OK) check_error(st, &err, "pq_bloom_bitset");
            for (uint64_t v = 0; st == VF_OK && bits && v < 4; v++) (void)pq_bloom_check(bits, nbytes, pq_xxhash64(&v, 8, 0));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pq_file *f = NULL;
    vf_error err;
    vf_error_clear(&err);
    vf_status st = pq_open("fuzz.parquet", data, size, &f, &err);
    if (st != VF_OK) {
        check_error(st, &err, "pq_open");
        if (strncmp(err.msg, "fuzz.parquet", 12) != 0 && st != VF_ENOMEM) FAIL("message without the file name: %s", err.msg);
        return 0;
    }
    walk_metadata(f);
    int64_t rows = 0;
    for (int g = 0; g < f->meta.n_row_groups; g++) rows += f->meta.row_groups[g].num_rows;
    const char *cols[256];
    size_t ncols = 0;
    for (int i = 0; i < f->nleaves && ncols < 256; i++)
        if (f->leaves[i].vtype) cols[ncols++] = f->leaves[i].name;
    if (rows > MAX_ROWS || ncols == 0) {
        pq_close(f);
        return 0;
    }
    pq_file_req req = {f, NULL, 0};
    pq_read_opts o;
    pq_read_opts_init(&o);
    o.columns = cols;
    o.ncolumns = ncols;
    vf_table *a = NULL, *b = NULL;
    pq_read_stats stats;
    vf_error err2;
    vf_error_clear(&err2);
    vf_status sa = pq_read(&req, 1, &o, &a, &stats, &err);
    o.threads = 3;
    vf_status sb = pq_read(&req, 1, &o, &b, &stats, &err2);
    if ((sa == VF_OK) != (sb == VF_OK)) FAIL("one thread: %s; three: %s", sa ? err.msg : "ok", sb ? err2.msg : "ok");
    if (sa != VF_OK) check_error(sa, &err, "pq_read");
    if (sa == VF_OK) {
        check_table(a);
        same_tables(a, b);
        /* every other quarter of each row group, of the first column */
        int ng = f->meta.n_row_groups;
        pq_rg_req *rgs = calloc((size_t)(ng ? ng : 1), sizeof *rgs);
        pq_range *rr = calloc((size_t)(ng ? ng : 1) * 2, sizeof *rr);
        size_t nr = 0;
        int64_t base = 0, *bases = calloc((size_t)(ng ? ng : 1), sizeof *bases);
        for (int g = 0; g < ng; g++) {
            int64_t n = f->meta.row_groups[g].num_rows, q = n / 4;
            bases[g] = base;
            base += n;
            if (q == 0) continue;
            rr[2 * nr] = (pq_range){0, q};
            rr[2 * nr + 1] = (pq_range){2 * q, 3 * q};
            rgs[nr] = (pq_rg_req){g, &rr[2 * nr], 2};
            nr++;
        }
        pq_file_req rq = {f, rgs, nr};
        o.ncolumns = 1;
        vf_table *c = NULL;
        /* With an offset index the ranges read other pages than the whole
         * read did (the index may be corrupt on its own): then only the
         * usual rules hold.  Without one they must agree exactly, unless the
         * ranges left out the one value that kept a column from being addresses. */
        bool indexed = false;
        int leaf0 = pq_find_leaf(f, cols[0]);
        for (int g = 0; g < ng; g++) indexed |= f->meta.row_groups[g].columns[leaf0].has_offset_index;
        vf_status sc = pq_read(&rq, 1, &o, &c, &stats, &err);
        if (sc != VF_OK && !indexed) FAIL("row ranges fail where the whole read did not: %s", err.msg);
        if (sc != VF_OK) check_error(sc, &err, "pq_read of row ranges");
        if (sc == VF_OK) check_table(c);
        bool comparable = sc == VF_OK && !indexed && a->cols[0].type == c->cols[0].type;
        int64_t out = 0;
        for (size_t k = 0; k < nr; k++)
            for (int j = 0; j < 2; j++)
                for (int64_t r = rgs[k].ranges[j].start; sc == VF_OK && r < rgs[k].ranges[j].end; r++, out++)
                    if (comparable && !same_row(&a->cols[0], bases[rgs[k].rg] + r, &c->cols[0], out))
                        FAIL("row range read differs");
        if (sc == VF_OK && out != c->nrows) FAIL("row range read has %lld rows, expected %lld", (long long)c->nrows, (long long)out);
        vf_table_free(c);
        free(rgs);
        free(rr);
        free(bases);
    }
    vf_table_free(a);
    vf_table_free(b);
    pq_close(f);
    return 0;
}
