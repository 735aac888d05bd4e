/*
 * reader.c - reading many files, row groups and row ranges into one table
 * (reader.h: pq_read).
 *
 * The plan: the output columns (by name, their type taken from the first
 * file that has them and checked against the others), the selected row
 * groups in request order, each with its first output row.  The output
 * arrays are allocated once at their final size (from the caller's buffer
 * pool when it gives one: vf.h, vf_pool); the work units, one per
 * (row group, column), decode straight into their slice of them on
 * `threads` threads, each thread with its own decompression contexts and
 * scratch buffers.  Memory is therefore the output plus a few pages per
 * thread: no file is ever copied whole.
 *
 * Byte-string units each fill a dictionary of their own (no locking while
 * decoding); afterwards each column's dictionaries are merged in request
 * order, the first adopted as it is and the others' codes remapped, which
 * keeps the codes the same whatever the thread count.  Address columns are
 * read as addresses from the start, each distinct string parsed as it
 * enters a dictionary; the rare column where one value is not an address
 * is read again, as strings, in a second pass (so no data is lost, and the
 * common case builds no string dictionary at all).
 */
#include "rdint.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static const char *const default_addr_columns[] = {"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"};

void pq_read_opts_init(pq_read_opts *o) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
}

typedef struct out_col {
    const char *name;
    vf_type type;
    const char *logical;
    int first_file;      /* the file the type came from, -1 before one is found */
    bool nullable;
    bool addr;           /* listed as an address column */
    atomic_bool not_addr; /* read as addresses, but a value was not one */
    uint8_t *values, *valid;
    vf_dict *dict;
    int64_t nulls;
} out_col;

typedef struct rg_sel {
    int file, rg;
    const pq_range *ranges;
    size_t nranges;
    int64_t row0, nrows; /* output rows */
} rg_sel;

typedef struct unit {
    vf_dict *dict;
    int32_t *map;        /* after the merge: the chunk's codes -> the column's (remap) */
    int64_t nulls;       /* null rows written */
    int64_t pages_read, pages_skipped, bytes_read;
} unit;

typedef struct plan {
    const pq_file_req *req;
    size_t nreq;
    out_col *cols;
    int ncols;
    int *leaf;           /* [file * ncols + col]: the leaf, or -1 when the file lacks the column */
    rg_sel *rgs;
    size_t nrgs;
    int64_t nrows;
    unit *units;         /* [rg_sel * ncols + col] */
    bool check_crc;
    vf_pool *pool;       /* where the output arrays come from (NULL: malloc) */
    pq_scratch scratch[VF_MAX_THREADS];
    atomic_bool failed;
    pthread_mutex_t lock;
    size_t err_unit;     /* the failed unit whose error is kept: the first in plan order */
    vf_status st;
    vf_error err;
} plan;

static void plan_free(plan *p) {
    for (int c = 0; c < p->ncols; c++) {
        vf_pool_give(p->pool, p->cols[c].values, (size_t)p->nrows, vf_type_width(p->cols[c].type));
        vf_pool_give(p->pool, p->cols[c].valid, (size_t)p->nrows, 1);
        vf_dict_free(p->cols[c].dict);
    }
    if (p->units)
        for (size_t i = 0; i < p->nrgs * (size_t)p->ncols; i++) {
            vf_dict_free(p->units[i].dict);
            free(p->units[i].map);
        }
    for (int t = 0; t < VF_MAX_THREADS; t++) pq_scratch_free(&p->scratch[t]);
    free(p->cols);
    free(p->leaf);
    free(p->rgs);
    free(p->units);
}

/* ================================================================== */
/* planning                                                            */
/* ================================================================== */
static bool str_eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static const char *type_text(vf_type t, const char *logical, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s%s", vf_type_name(t), logical ? " (" : "", logical ? logical : "", logical ? ")" : "");
    return buf;
}

static int find_col(const plan *p, const char *name) {
    for (int c = 0; c < p->ncols; c++)
        if (strcmp(p->cols[c].name, name) == 0) return c;
    return -1;
}

static vf_status add_col(plan *p, const char *name, int cap, vf_error *err) {
    if (p->ncols >= cap) return vf_fail(err, VF_ENOMEM, "out of memory");
    if (find_col(p, name) >= 0) return vf_fail(err, VF_EARG, "column '%s' is asked for twice", name);
    p->cols[p->ncols] = (out_col){.name = name, .first_file = -1};
    atomic_init(&p->cols[p->ncols].not_addr, false);
    p->ncols++;
    return VF_OK;
}

/* The output columns: the ones asked for, or every leaf of every file. */
static vf_status plan_columns(plan *p, const pq_read_opts *o, vf_error *err) {
    int cap = 0;
    if (o->columns) {
        if (o->ncolumns > (size_t)INT32_MAX / 2) return vf_fail(err, VF_EARG, "too many columns");
        cap = (int)o->ncolumns;
    } else {
        for (size_t k = 0; k < p->nreq; k++) {
            if (p->req[k].file->nleaves > INT32_MAX / 2 - cap) return vf_fail(err, VF_EARG, "too many columns");
            cap += p->req[k].file->nleaves;
        }
    }
    p->cols = vf_calloc_n((size_t)cap, sizeof *p->cols);
    if (!p->cols) return vf_fail(err, VF_ENOMEM, "out of memory");
    vf_status st = VF_OK;
    if (o->columns) {
        for (size_t i = 0; i < o->ncolumns && st == VF_OK; i++) st = add_col(p, o->columns[i], cap, err);
    } else {
        for (size_t k = 0; k < p->nreq; k++)
            for (int i = 0; i < p->req[k].file->nleaves; i++)
                if (find_col(p, p->req[k].file->leaves[i].name) < 0)
                    (void)add_col(p, p->req[k].file->leaves[i].name, cap, err);
    }
    if (st != VF_OK) return st;
    const char *const *addr = o->addr_columns ? o->addr_columns : default_addr_columns;
    size_t naddr = o->addr_columns ? o->naddr : sizeof default_addr_columns / sizeof *default_addr_columns;
    for (size_t i = 0; i < naddr; i++) {
        int c = find_col(p, addr[i]);
        if (c >= 0) p->cols[c].addr = true;
    }
    return VF_OK;
}

/* Which leaf of each file each column is, and its type, checked to agree across files. */
static vf_status plan_types(plan *p, vf_error *err) {
    p->leaf = vf_malloc_n(p->nreq * (size_t)(p->ncols ? p->ncols : 1), sizeof *p->leaf);
    if (!p->leaf) return vf_fail(err, VF_ENOMEM, "out of memory");
    for (size_t k = 0; k < p->nreq; k++) {
        const pq_file *f = p->req[k].file;
        for (int c = 0; c < p->ncols; c++) {
            out_col *oc = &p->cols[c];
            int li = pq_find_leaf(f, oc->name);
            p->leaf[k * (size_t)p->ncols + (size_t)c] = li;
            if (li < 0) {
                oc->nullable = true; /* null in this file's rows */
                continue;
            }
            const pq_leaf *l = &f->leaves[li];
            if (!l->vtype) {
                pq_loc loc = {f, l->name, -1, -1, -1};
                return pq_fail_at(err, &loc, VF_EFORMAT, "cannot read %s", l->unreadable);
            }
            oc->nullable |= l->nullable;
            if (oc->first_file < 0) {
                oc->first_file = (int)k;
                oc->type = l->vtype;
                oc->logical = l->logical;
            } else if (oc->type != l->vtype || !str_eq(oc->logical, l->logical)) {
                char a[96], b[96];
                pq_loc loc = {f, l->name, -1, -1, -1};
                return pq_fail_at(err, &loc, VF_EFORMAT, "is %s here but %s in %s", type_text(l->vtype, l->logical, a, sizeof a),
                                  type_text(oc->type, oc->logical, b, sizeof b), p->req[oc->first_file].file->name);
            }
        }
    }
    for (int c = 0; c < p->ncols; c++) /* strings asked for as addresses are read as addresses */
        if (p->cols[c].addr && p->cols[c].type == VF_T_STRING) p->cols[c].type = VF_T_ADDR;
    for (int c = 0; c < p->ncols; c++)
        if (p->cols[c].first_file < 0)
            return vf_fail(err, VF_EARG, "no column '%s' in %s%s", p->cols[c].name,
                           p->nreq ? p->req[0].file->name : "(no files)", p->nreq > 1 ? " or the other files" : "");
    return VF_OK;
}

static vf_status check_ranges(const pq_file *f, const pq_rg_req *r, int64_t *rows, vf_error *err) {
    const int64_t n = f->meta.row_groups[r->rg].num_rows;
    if (!r->ranges) {
        *rows = n;
        return VF_OK;
    }
    int64_t total = 0, prev = 0;
    for (size_t i = 0; i < r->nranges; i++) {
        const pq_range *g = &r->ranges[i];
        if (g->start < prev || g->end <= g->start || g->end > n)
            return vf_fail(err, VF_EARG,
                           "%s: row group %d: row range [%lld, %lld) is empty, out of order or past its %lld rows",
                           f->name, r->rg, (long long)g->start, (long long)g->end, (long long)n);
        total += g->end - g->start;
        prev = g->end;
    }
    *rows = total;
    return VF_OK;
}

/* The row groups to read, in order, with their place in the output. */
static vf_status plan_rows(plan *p, vf_error *err) {
    size_t n = 0;
    for (size_t k = 0; k < p->nreq; k++)
        n += p->req[k].rgs ? p->req[k].nrgs : (size_t)p->req[k].file->meta.n_row_groups;
    p->rgs = vf_calloc_n(n, sizeof *p->rgs);
    if (!p->rgs) return vf_fail(err, VF_ENOMEM, "out of memory");
    int64_t row = 0;
    for (size_t k = 0; k < p->nreq; k++) {
        const pq_file_req *q = &p->req[k];
        const pq_file *f = q->file;
        size_t m = q->rgs ? q->nrgs : (size_t)f->meta.n_row_groups;
        for (size_t i = 0; i < m; i++) {
            pq_rg_req whole = {(int)i, NULL, 0};
            const pq_rg_req *r = q->rgs ? &q->rgs[i] : &whole;
            if (r->rg < 0 || r->rg >= f->meta.n_row_groups)
                return vf_fail(err, VF_EARG, "%s: no row group %d (the file has %d)", f->name, r->rg,
                               f->meta.n_row_groups);
            int64_t rows = 0;
            vf_status st = check_ranges(f, r, &rows, err);
            if (st != VF_OK) return st;
            if (rows > (INT64_MAX >> 4) - row) return vf_fail(err, VF_EFORMAT, "%s: too many rows", f->name);
            p->rgs[p->nrgs++] = (rg_sel){(int)k, r->rg, r->ranges, r->ranges ? r->nranges : 0, row, rows};
            row += rows;
        }
    }
    p->nrows = row;
    return VF_OK;
}

static vf_status plan_alloc(plan *p, vf_error *err) {
    p->units = vf_calloc_n(p->nrgs * (size_t)p->ncols, sizeof *p->units);
    if (!p->units) return vf_fail(err, VF_ENOMEM, "out of memory");
    for (int c = 0; c < p->ncols; c++) {
        out_col *oc = &p->cols[c];
        oc->values = vf_pool_rows(p->pool, (size_t)p->nrows, vf_type_width(oc->type));
        if (oc->nullable && !vf_type_is_dict(oc->type)) oc->valid = vf_pool_rows(p->pool, (size_t)p->nrows, 1);
        if (!oc->values || (oc->nullable && !vf_type_is_dict(oc->type) && !oc->valid))
            return vf_fail(err, VF_ENOMEM, "out of memory for %lld rows of column '%s'", (long long)p->nrows, oc->name);
    }
    return VF_OK;
}

/* ================================================================== */
/* the work units                                                      */
/* ================================================================== */
static void fail_unit(plan *p, size_t i, vf_status st, const vf_error *e) {
    pthread_mutex_lock(&p->lock);
    if (p->st == VF_OK || i < p->err_unit) {
        p->st = st;
        p->err = *e;
        p->err_unit = i;
    }
    pthread_mutex_unlock(&p->lock);
    atomic_store(&p->failed, true);
}

static void run_unit(void *ctx, size_t i, int worker) {
    plan *p = ctx;
    if (atomic_load_explicit(&p->failed, memory_order_relaxed)) return;
    const rg_sel *r = &p->rgs[i / (size_t)p->ncols];
    const int c = (int)(i % (size_t)p->ncols);
    out_col *oc = &p->cols[c];
    if (oc->type == VF_T_ADDR && atomic_load_explicit(&oc->not_addr, memory_order_relaxed)) return; /* read again */
    const size_t w = vf_type_width(oc->type);
    uint8_t *vals = oc->values + (size_t)r->row0 * w, *valid = oc->valid ? oc->valid + r->row0 : NULL;
    int leaf = p->leaf[(size_t)r->file * (size_t)p->ncols + (size_t)c];
    if (leaf < 0) { /* the file lacks the column: nulls */
        memset(vals, vf_type_is_dict(oc->type) ? 0xff : 0, (size_t)r->nrows * w);
        if (valid) memset(valid, 0, (size_t)r->nrows);
        p->units[i].nulls = r->nrows;
        return;
    }
    pq_chunk_job j = {.f = p->req[r->file].file, .rg = r->rg, .leaf = leaf, .vtype = oc->type, .ranges = r->ranges,
                      .nranges = r->nranges, .check_crc = p->check_crc, .values = vals, .valid = valid};
    vf_error e;
    vf_error_clear(&e);
    vf_status st = pq_read_chunk(&j, &p->scratch[worker], &e);
    unit *u = &p->units[i];
    u->dict = j.dict;
    u->nulls = j.nulls;
    u->pages_read = j.pages_read;
    u->pages_skipped = j.pages_skipped;
    u->bytes_read = j.bytes_read;
    if (st != VF_OK && j.not_addr)
        atomic_store(&oc->not_addr, true);
    else if (st != VF_OK)
        fail_unit(p, i, st, &e);
}

/* The columns where a value was not an address, read again as strings. */
typedef struct reread {
    plan *p;
    size_t *units;
} reread;

static void run_reread(void *ctx, size_t i, int worker) {
    reread *r = ctx;
    run_unit(r->p, r->units[i], worker);
}

static void read_strings_again(plan *p, int threads) {
    size_t n = 0, *units = vf_malloc_n(p->nrgs * (size_t)p->ncols, sizeof *units);
    if (!units) {
        vf_error e;
        vf_error_clear(&e);
        fail_unit(p, 0, vf_fail(&e, VF_ENOMEM, "out of memory"), &e);
        return;
    }
    for (int c = 0; c < p->ncols; c++) {
        out_col *oc = &p->cols[c];
        if (oc->type != VF_T_ADDR || !atomic_load(&oc->not_addr)) continue;
        oc->type = VF_T_STRING;
        for (size_t r = 0; r < p->nrgs; r++) {
            unit *u = &p->units[r * (size_t)p->ncols + (size_t)c];
            vf_dict_free(u->dict);
            memset(u, 0, sizeof *u);
            units[n++] = r * (size_t)p->ncols + (size_t)c;
        }
    }
    reread rr = {p, units};
    if (n) vf_parallel_for(n, threads, run_reread, &rr);
    free(units);
}

/* ================================================================== */
/* dictionaries and addresses                                          */
/* ================================================================== */
/* codes[i] = map[codes[i] + 1]: map[0] is -1, so nulls stay null without a branch. */
static void remap(int32_t *codes, int64_t n, const int32_t *map) {
    for (int64_t i = 0; i < n; i++) codes[i] = map[codes[i] + 1];
}

/* Insert d's entries into g (of d's type); map[k + 1] = g's code of d's entry k. */
static int32_t *merge_map(vf_dict *g, const vf_dict *d) {
    const int32_t n = vf_dict_size(d);
    const bool addr = vf_dict_type(d) == VF_T_ADDR;
    const int64_t *o = addr ? NULL : vf_dict_offsets(d);
    if (!vf_dict_reserve(g, (size_t)n, addr ? 0 : (size_t)o[n])) return NULL;
    int32_t *map = vf_malloc_n((size_t)n + 1, sizeof *map);
    if (!map) return NULL;
    map[0] = -1;
    for (int32_t k = 0; k < n; k++) {
        map[k + 1] = addr ? vf_dict_put_addr(g, vf_dict_addrs(d) + 16 * (size_t)k, vf_dict_families(d)[k])
                          : vf_dict_put_str(g, vf_dict_data(d) + o[k], (size_t)(o[k + 1] - o[k]));
        if (map[k + 1] < 0) {
            free(map);
            return NULL;
        }
    }
    return map;
}

/* One dictionary for the column: the first unit's, the others merged into
 * it; each of those units keeps its map for remap_unit, which rewrites the
 * codes of every unit in parallel afterwards. */
static bool merge_dicts(plan *p, int c) {
    out_col *oc = &p->cols[c];
    for (size_t r = 0; r < p->nrgs; r++) {
        unit *u = &p->units[r * (size_t)p->ncols + (size_t)c];
        if (!u->dict) continue;
        if (!oc->dict) {
            oc->dict = u->dict;
            u->dict = NULL;
            continue;
        }
        if (!(u->map = merge_map(oc->dict, u->dict))) return false;
        int32_t n = vf_dict_size(u->dict);
        bool identity = true; /* the same values in the same order: the codes stand */
        for (int32_t k = 0; k < n && identity; k++) identity = u->map[k + 1] == k;
        if (identity) {
            free(u->map);
            u->map = NULL;
        }
        vf_dict_free(u->dict);
        u->dict = NULL;
    }
    if (!oc->dict) oc->dict = vf_dict_new(oc->type);
    return oc->dict != NULL;
}

/* The column's nulls, as its units counted them while decoding. */
static int64_t count_nulls(const plan *p, int c) {
    int64_t k = 0;
    for (size_t r = 0; r < p->nrgs; r++) k += p->units[r * (size_t)p->ncols + (size_t)c].nulls;
    return k;
}

static void remap_unit(void *ctx, size_t i, int worker) {
    (void)worker;
    plan *p = ctx;
    unit *u = &p->units[i];
    if (!u->map) return;
    const rg_sel *r = &p->rgs[i / (size_t)p->ncols];
    remap((int32_t *)(void *)p->cols[i % (size_t)p->ncols].values + r->row0, r->nrows, u->map);
    free(u->map);
    u->map = NULL;
}

static void finish_column(void *ctx, size_t c, int worker) {
    (void)worker;
    plan *p = ctx;
    out_col *oc = &p->cols[c];
    if (vf_type_is_dict(oc->type)) {
        if (!merge_dicts(p, (int)c)) {
            vf_error e;
            vf_error_clear(&e);
            vf_fail(&e, VF_ENOMEM, "out of memory merging the dictionaries of column '%s'", oc->name);
            fail_unit(p, SIZE_MAX, VF_ENOMEM, &e);
        }
    }
    oc->nulls = count_nulls(p, (int)c);
    if (oc->nulls == 0) {
        vf_pool_give(p->pool, oc->valid, (size_t)p->nrows, 1);
        oc->valid = NULL;
    }
}

/* ================================================================== */
/* the read                                                            */
/* ================================================================== */
static vf_status make_table(plan *p, vf_table **out, vf_error *err) {
    vf_table *t = calloc(1, sizeof *t);
    if (!t || !(t->cols = vf_calloc_n((size_t)p->ncols, sizeof *t->cols))) {
        free(t);
        return vf_fail(err, VF_ENOMEM, "out of memory");
    }
    t->nrows = p->nrows;
    t->ncols = p->ncols;
    for (int c = 0; c < p->ncols; c++) {
        out_col *oc = &p->cols[c];
        vf_column *col = &t->cols[c];
        col->name = vf_strndup(oc->name, strlen(oc->name));
        col->logical = oc->logical ? vf_strndup(oc->logical, strlen(oc->logical)) : NULL;
        col->type = oc->type;
        col->null_count = oc->nulls;
        col->values = oc->values;
        col->valid = oc->valid;
        col->dict = oc->dict;
        col->pool = p->pool;
        oc->values = oc->valid = NULL;
        oc->dict = NULL;
        if (!col->name || (oc->logical && !col->logical)) {
            vf_table_free(t);
            return vf_fail(err, VF_ENOMEM, "out of memory");
        }
    }
    *out = t;
    return VF_OK;
}

static void fill_stats(const plan *p, pq_read_stats *s) {
    memset(s, 0, sizeof *s);
    s->files = (int64_t)p->nreq;
    s->rows = p->nrows;
    s->row_groups_read = (int64_t)p->nrgs;
    for (size_t k = 0; k < p->nreq; k++) {
        const pq_file *f = p->req[k].file;
        size_t asked = p->req[k].rgs ? p->req[k].nrgs : (size_t)f->meta.n_row_groups;
        s->row_groups_skipped += asked < (size_t)f->meta.n_row_groups ? f->meta.n_row_groups - (int64_t)asked : 0;
        s->bytes_total += (int64_t)f->size;
        s->bytes_read += (int64_t)f->footer_len + 12; /* the footer, its length and the magic numbers */
    }
    for (size_t i = 0; i < p->nrgs * (size_t)p->ncols; i++) {
        s->pages_read += p->units[i].pages_read;
        s->pages_skipped += p->units[i].pages_skipped;
        s->bytes_read += p->units[i].bytes_read;
    }
}

vf_status pq_read(const pq_file_req *req, size_t nreq, const pq_read_opts *o, vf_table **out, pq_read_stats *stats,
                  vf_error *err) {
    *out = NULL;
    pq_read_opts dflt;
    if (!o) {
        pq_read_opts_init(&dflt);
        o = &dflt;
    }
    plan *p = calloc(1, sizeof *p);
    if (!p) return vf_fail(err, VF_ENOMEM, "out of memory");
    p->req = req;
    p->nreq = nreq;
    p->check_crc = o->check_crc;
    p->pool = o->pool;
    atomic_init(&p->failed, false);
    vf_status st = plan_columns(p, o, err);
    if (st == VF_OK) st = plan_types(p, err);
    if (st == VF_OK) st = plan_rows(p, err);
    if (st == VF_OK) st = plan_alloc(p, err);
    if (st == VF_OK) {
        int threads = o->threads > 0 ? o->threads : 1;
        pthread_mutex_init(&p->lock, NULL);
        vf_error_clear(&p->err);
        vf_parallel_for(p->nrgs * (size_t)p->ncols, threads, run_unit, p);
        if (p->st == VF_OK) read_strings_again(p, threads);
        if (p->st == VF_OK) vf_parallel_for((size_t)p->ncols, threads, finish_column, p);
        if (p->st == VF_OK) vf_parallel_for(p->nrgs * (size_t)p->ncols, threads, remap_unit, p);
        pthread_mutex_destroy(&p->lock);
        st = p->st;
        if (st != VF_OK && err) *err = p->err;
    }
    if (st == VF_OK && stats) fill_stats(p, stats);
    if (st == VF_OK) st = make_table(p, out, err);
    if (st == VF_OK) {
        (*out)->report.files = (int64_t)nreq;
        (*out)->report.rows = p->nrows;
        (*out)->report.bytes_in = stats ? stats->bytes_read : 0;
    }
    plan_free(p);
    free(p);
    return st;
}
