/*
 * writer.c - the Parquet writer's file: schema, row groups, page index,
 * footer, and the temporary file that becomes the result (writer.h).
 *
 * Layout of a file:
 *   "PAR1"
 *   per row group: its column chunks in schema order (dictionary page,
 *     data pages), then the bloom filters of its chosen columns
 *   every ColumnIndex, then every OffsetIndex (all row groups)
 *   FileMetaData, its length (4 bytes LE), "PAR1"
 * A row group's chunks are encoded in parallel into memory (wchunk.c),
 * then written in order; the footer's metadata and the encoded indexes
 * stay in memory until close (a few dozen bytes per page).
 */
#include "wint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef VF_BUILD_ID
#define VF_BUILD_ID "unknown"
#endif
/* parquet-mr and parquet-cpp parse "<app> version <x.y.z> (build <id>)" to
 * decide which known writer bugs to work around; an unparsable value makes
 * parquet-mr distrust byte-array statistics. */
#define PQ_CREATED_BY "vpcflow version " VF_VERSION_STRING " (build " VF_BUILD_ID ")"
#define PQ_WRITER_KEY "vpcflow.writer"
#define PQ_WRITER_VALUE "vpcflow " VF_VERSION_STRING

const char *pq_writer_created_by(void) { return PQ_CREATED_BY; }

static const char *const default_bloom[] = {"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"};

void pq_write_opts_init(pq_write_opts *o) {
    memset(o, 0, sizeof *o);
    o->codec = VF_BC_ZSTD;
    o->row_group_rows = 1000000;
    o->row_group_bytes = (int64_t)128 << 20;
    o->page_bytes = (size_t)1 << 20;
    o->page_rows = 20000;
    o->data_page_version = 1;
    o->dictionary = true;
    o->dictionary_page_limit = (size_t)2 << 20;
    o->int_encoding = PQ_INT_AUTO;
    o->statistics = true;
    o->page_index = true;
    o->bloom_columns = default_bloom;
    o->n_bloom_columns = sizeof default_bloom / sizeof default_bloom[0];
    o->bloom_fpp = 0.01;
    o->threads = 1;
    o->fail_after_bytes = -1;
}

struct pq_writer {
    pq_write_opts o;
    char *path, *tmp;
    int fd;
    int64_t pos;             /* bytes written */
    int ncols;
    pq_wcol *cols;
    pq_wchunk *chunks;       /* per column, reused by every row group */
    pq_wscratch *scratch;    /* per thread */
    int threads;
    int *order;              /* columns by decreasing encoding cost: the parallel loop takes them in this order */
    vf_arena arena;          /* the footer's strings, statistics and lists */
    pq_row_group *rgs;
    size_t nrg, cap_rg;
    int64_t nrows;
    vf_buf ci_all, oi_all;   /* encoded ColumnIndex and OffsetIndex structures, written at close */
    pq_kv *kv;
    int nkv;
    int64_t *col_comp, *col_uncomp;
    vf_status failed;        /* a failed writer can only be closed or aborted */
    vf_error ferr;
};

/* ================================================================== */
/* errors                                                              */
/* ================================================================== */
/* "<path>: <message>", with the column (if any) in err->field. */
static vf_status wfail(vf_error *err, const char *path, const char *col, vf_status st, const char *fmt, ...)
    VF_PRINTF(5, 6);
static vf_status wfail(vf_error *err, const char *path, const char *col, vf_status st, const char *fmt, ...) {
    if (!err) return st;
    char msg[VF_ERR_MSG / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vf_error_clear(err);
    err->code = st;
    snprintf(err->msg, sizeof err->msg, "%s: %s", path, msg);
    vf_copy_text(err->file, sizeof err->file, path, strlen(path));
    if (col) vf_copy_text(err->field, sizeof err->field, col, strlen(col));
    return st;
}

/* Remember the first failure: after it the writer only cleans up. */
static vf_status poison(pq_writer *w, vf_status st, const vf_error *e, vf_error *err) {
    if (!w->failed) {
        w->failed = st;
        w->ferr = *e;
    }
    if (err && err != e) *err = *e;
    return st;
}

static vf_status woom(pq_writer *w, vf_error *err) {
    vf_error e;
    wfail(&e, w->path, NULL, VF_ENOMEM, "out of memory");
    return poison(w, VF_ENOMEM, &e, err);
}

/* ================================================================== */
/* the temporary file                                                  */
/* ================================================================== */
/* Create ".<name>.tmp-<pid>-<random>" beside path, exclusively. */
static vf_status open_tmp(pq_writer *w, vf_error *err) {
    const char *slash = strrchr(w->path, '/');
    const char *base = slash ? slash + 1 : w->path;
    size_t dirlen = slash ? (size_t)(slash - w->path) + 1 : 0;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return wfail(err, w->path, NULL, VF_EARG, "not a file name");
    size_t cap = strlen(w->path) + 64;
    if (!(w->tmp = malloc(cap))) return wfail(err, w->path, NULL, VF_ENOMEM, "out of memory");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)(uintptr_t)w;
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t r = vf_mix64(seed + (uint64_t)attempt * 0x9e3779b97f4a7c15ULL);
        snprintf(w->tmp, cap, "%.*s.%s.tmp-%ld-%08llx", (int)dirlen, w->path, base, (long)getpid(),
                 (unsigned long long)(r & 0xffffffffffULL));
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (w->fd >= 0) return VF_OK;
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(w->tmp);
    w->tmp = NULL;
    return wfail(err, w->path, NULL, VF_EIO, "cannot create a temporary file beside it: %s", strerror(e));
}

static vf_status wr(pq_writer *w, const void *p, size_t n, vf_error *err) {
    const uint8_t *b = p;
    bool inject = false;
    if (w->o.fail_after_bytes >= 0 && w->pos + (int64_t)n > w->o.fail_after_bytes) {
        n = (size_t)(w->o.fail_after_bytes - w->pos);
        inject = true;
    }
    while (n) {
        ssize_t r = write(w->fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (r < 0) {
            if (errno == EINTR) continue;
            vf_error e;
            wfail(&e, w->path, NULL, VF_EIO, "cannot write: %s", strerror(errno));
            return poison(w, VF_EIO, &e, err);
        }
        b += r;
        n -= (size_t)r;
        w->pos += r;
    }
    if (inject) {
        vf_error e;
        wfail(&e, w->path, NULL, VF_EIO, "cannot write: injected failure after %lld bytes",
              (long long)w->o.fail_after_bytes);
        return poison(w, VF_EIO, &e, err);
    }
    return VF_OK;
}

/* fsync the file, rename it into place, fsync the directory (so that the
 * rename itself is durable; a directory that cannot be synced is no error). */
static vf_status commit_file(pq_writer *w, vf_error *err) {
    vf_error e;
    if (fsync(w->fd) != 0) {
        wfail(&e, w->path, NULL, VF_EIO, "cannot fsync: %s", strerror(errno));
        return poison(w, VF_EIO, &e, err);
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        wfail(&e, w->path, NULL, VF_EIO, "cannot close: %s", strerror(errno));
        return poison(w, VF_EIO, &e, err);
    }
    if (rename(w->tmp, w->path) != 0) {
        wfail(&e, w->path, NULL, VF_EIO, "cannot rename the finished file into place: %s", strerror(errno));
        return poison(w, VF_EIO, &e, err);
    }
    free(w->tmp);
    w->tmp = NULL; /* nothing left to remove */
    const char *slash = strrchr(w->path, '/');
    char *dir = slash ? vf_strndup(w->path, slash == w->path ? 1 : (size_t)(slash - w->path)) : vf_strndup(".", 1);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return VF_OK;
}

/* ================================================================== */
/* opening: options and schema                                         */
/* ================================================================== */
static vf_status check_opts(const pq_write_opts *o, const char *path, vf_error *err) {
    if (!vf_block_can_compress(o->codec))
        return wfail(err, path, NULL, VF_EARG, "cannot write codec %s", vf_block_name(o->codec));
    if (o->data_page_version != 1 && o->data_page_version != 2)
        return wfail(err, path, NULL, VF_EARG, "data page version must be 1 or 2, not %d", o->data_page_version);
    if (o->row_group_rows < 1 || o->row_group_bytes < 1 || o->page_bytes < 1 || o->page_rows < 1)
        return wfail(err, path, NULL, VF_EARG, "row group and page sizes must be positive");
    if (o->int_encoding < PQ_INT_AUTO || o->int_encoding > PQ_INT_DELTA)
        return wfail(err, path, NULL, VF_EARG, "unknown integer encoding %d", o->int_encoding);
    if (!(o->bloom_fpp > 0 && o->bloom_fpp < 1))
        return wfail(err, path, NULL, VF_EARG, "bloom filter fpp must be between 0 and 1");
    return VF_OK;
}

static bool named(const char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0) return true;
    return false;
}

/* Cost of encoding a column relative to the others, to schedule the costly ones first. */
static int col_cost(const pq_wcol *c) { return vf_type_is_dict(c->type) ? 4 : c->physical == PQ_INT64 ? 2 : 1; }

static vf_status init_schema(pq_writer *w, const vf_colview *cols, vf_error *err) {
    for (int i = 0; i < w->ncols; i++) {
        const vf_colview *v = &cols[i];
        pq_wcol *c = &w->cols[i];
        if (!v->name || v->type < VF_T_INT32 || v->type > VF_T_UINT64)
            return wfail(err, w->path, v->name, VF_EARG, "column %d: no name or an unknown type", i);
        for (int j = 0; j < i; j++)
            if (strcmp(cols[j].name, v->name) == 0)
                return wfail(err, w->path, v->name, VF_EARG, "column %s appears twice", v->name);
        c->name = vf_arena_strndup(&w->arena, v->name, strlen(v->name));
        c->logical = v->logical ? vf_arena_strndup(&w->arena, v->logical, strlen(v->logical)) : NULL;
        if (!c->name || (v->logical && !c->logical)) return wfail(err, w->path, NULL, VF_ENOMEM, "out of memory");
        c->type = v->type;
        pq_wschema_leaf(c);
        c->bloom = named(w->o.bloom_columns, w->o.n_bloom_columns, v->name);
        if (c->bloom && c->physical == PQ_BOOLEAN)
            return wfail(err, w->path, v->name, VF_EARG, "column %s: no bloom filter for booleans", v->name);
    }
    /* costly columns first (insertion sort, stable) */
    for (int i = 0; i < w->ncols; i++) {
        int j = i;
        for (; j > 0 && col_cost(&w->cols[w->order[j - 1]]) < col_cost(&w->cols[i]); j--) w->order[j] = w->order[j - 1];
        w->order[j] = i;
    }
    return VF_OK;
}

/* The user's key-value pairs (the last of a repeated key wins), and ours
 * unless the user gave that key. */
static vf_status init_kv(pq_writer *w, vf_error *err) {
    const pq_write_opts *o = &w->o;
    w->kv = vf_arena_alloc_n(&w->arena, o->n_kv + 1, sizeof *w->kv);
    if (!w->kv) return wfail(err, w->path, NULL, VF_ENOMEM, "out of memory");
    if (!named(o->kv_keys, o->n_kv, PQ_WRITER_KEY))
        w->kv[w->nkv++] = (pq_kv){{(const uint8_t *)PQ_WRITER_KEY, strlen(PQ_WRITER_KEY)},
                                  {(const uint8_t *)PQ_WRITER_VALUE, strlen(PQ_WRITER_VALUE)}};
    for (size_t i = 0; i < o->n_kv; i++) {
        if (!o->kv_keys[i]) return wfail(err, w->path, NULL, VF_EARG, "a metadata key is missing");
        if (named(o->kv_keys + i + 1, o->n_kv - i - 1, o->kv_keys[i])) continue;
        const char *k = vf_arena_strndup(&w->arena, o->kv_keys[i], strlen(o->kv_keys[i]));
        const char *v = o->kv_values && o->kv_values[i]
                            ? vf_arena_strndup(&w->arena, o->kv_values[i], strlen(o->kv_values[i]))
                            : NULL;
        if (!k || (o->kv_values && o->kv_values[i] && !v)) return wfail(err, w->path, NULL, VF_ENOMEM, "out of memory");
        w->kv[w->nkv++] = (pq_kv){{(const uint8_t *)k, strlen(k)}, {(const uint8_t *)v, v ? strlen(v) : 0}};
    }
    return VF_OK;
}

static void writer_free(pq_writer *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp) unlink(w->tmp);
    for (int i = 0; w->chunks && i < w->ncols; i++) pq_wchunk_free(&w->chunks[i]);
    for (int i = 0; w->scratch && i < w->threads; i++) pq_wscratch_free(&w->scratch[i]);
    free(w->chunks);
    free(w->scratch);
    free(w->cols);
    free(w->order);
    free(w->rgs);
    free(w->col_comp);
    free(w->col_uncomp);
    vf_buf_free(&w->ci_all);
    vf_buf_free(&w->oi_all);
    vf_arena_free(&w->arena);
    free(w->tmp);
    free(w->path);
    free(w);
}

void pq_writer_abort(pq_writer *w) { writer_free(w); }

vf_status pq_writer_open(pq_writer **out, const char *path, const vf_colview *cols, int ncols, const pq_write_opts *o,
                         vf_error *err) {
    *out = NULL;
    pq_write_opts defaults;
    if (!o) {
        pq_write_opts_init(&defaults);
        o = &defaults;
    }
    if (!path || !*path) return wfail(err, "", NULL, VF_EARG, "no file name");
    vf_status st = check_opts(o, path, err);
    if (st != VF_OK) return st;
    if (ncols < 1) return wfail(err, path, NULL, VF_EARG, "a Parquet file needs at least one column");
    pq_writer *w = calloc(1, sizeof *w);
    if (!w) return wfail(err, path, NULL, VF_ENOMEM, "out of memory");
    w->fd = -1;
    w->o = *o;
    /* zstd level 1 (Arrow's default): on flow logs it is both faster and
     * smaller than the library's default 3, as columns are already encoded */
    if (w->o.codec == VF_BC_ZSTD && w->o.level == 0) w->o.level = PQ_ZSTD_DEFAULT_LEVEL;
    w->ncols = ncols;
    w->threads = o->threads < 1 ? 1 : o->threads > ncols ? ncols : o->threads;
    if (w->threads > VF_MAX_THREADS) w->threads = VF_MAX_THREADS;
    w->path = vf_strndup(path, strlen(path));
    w->cols = calloc((size_t)ncols, sizeof *w->cols);
    w->chunks = calloc((size_t)ncols, sizeof *w->chunks);
    w->order = calloc((size_t)ncols, sizeof *w->order);
    w->col_comp = calloc((size_t)ncols, sizeof *w->col_comp);
    w->col_uncomp = calloc((size_t)ncols, sizeof *w->col_uncomp);
    w->scratch = calloc((size_t)w->threads, sizeof *w->scratch);
    if (!w->path || !w->cols || !w->chunks || !w->order || !w->col_comp || !w->col_uncomp || !w->scratch) {
        writer_free(w);
        return wfail(err, path, NULL, VF_ENOMEM, "out of memory");
    }
    if ((st = init_schema(w, cols, err)) != VF_OK || (st = init_kv(w, err)) != VF_OK ||
        (st = open_tmp(w, err)) != VF_OK || (st = wr(w, "PAR1", 4, err)) != VF_OK) {
        writer_free(w);
        return st;
    }
    *out = w;
    return VF_OK;
}

/* ================================================================== */
/* row groups                                                          */
/* ================================================================== */
typedef struct rg_job {
    pq_writer *w;
    const vf_colview *cols;
    int64_t r0, n;
} rg_job;

static void encode_task(void *ctx, size_t i, int worker) {
    rg_job *j = ctx;
    pq_writer *w = j->w;
    int c = w->order[i];
    pq_wchunk_encode(&w->cols[c], &j->cols[c], j->r0, j->n, &w->o, &w->scratch[worker], &w->chunks[c]);
}

/* The footer's description of chunk c, as just written at `start`. */
static vf_status describe_chunk(pq_writer *w, int c, int64_t start, int64_t nrows, pq_column_chunk *cc) {
    const pq_wcol *col = &w->cols[c];
    const pq_wchunk *k = &w->chunks[c];
    vf_arena *a = &w->arena;
    pq_column_meta *m = &cc->meta;
    cc->has_meta_data = true;
    m->type = col->physical;
    m->encodings = vf_arena_alloc_n(a, 3, sizeof *m->encodings);
    m->path_in_schema = vf_arena_alloc_n(a, 1, sizeof *m->path_in_schema);
    m->encoding_stats = vf_arena_alloc_n(a, 2, sizeof *m->encoding_stats);
    if (!m->encodings || !m->path_in_schema || !m->encoding_stats) return VF_ENOMEM;
    if (k->dict_len) m->encodings[m->n_encodings++] = PQ_PLAIN;
    m->encodings[m->n_encodings++] = k->encoding;
    m->encodings[m->n_encodings++] = PQ_RLE; /* definition levels */
    m->n_path = 1;
    m->path_in_schema[0] = col->name;
    m->codec = w->o.codec;
    m->num_values = nrows;
    m->total_uncompressed_size = k->uncompressed;
    m->total_compressed_size = (int64_t)k->data.len;
    m->data_page_offset = start + k->dict_len;
    if (k->dict_len) {
        m->has_dictionary_page_offset = true;
        m->dictionary_page_offset = start;
        m->encoding_stats[m->n_encoding_stats++] = (pq_page_enc_stats){PQ_DICTIONARY_PAGE, PQ_PLAIN, 1};
    }
    m->encoding_stats[m->n_encoding_stats++] =
        (pq_page_enc_stats){w->o.data_page_version == 2 ? PQ_DATA_PAGE_V2 : PQ_DATA_PAGE, k->encoding, k->npages};
    if (w->o.statistics) {
        pq_stats *s = &m->statistics;
        m->has_statistics = true;
        s->has_null_count = true;
        s->null_count = k->nulls;
        if (k->distinct >= 0) {
            s->has_distinct_count = true;
            s->distinct_count = k->distinct;
        }
        if (k->has_minmax) {
            uint8_t *mm = vf_arena_alloc(a, k->minmax.len);
            if (!mm) return VF_ENOMEM;
            if (k->minmax.len) memcpy(mm, k->minmax.p, k->minmax.len); /* both bounds may be empty strings */
            s->min_value = (pq_bytes){mm, k->min_len};
            s->max_value = (pq_bytes){mm + k->min_len, k->minmax.len - k->min_len};
            if (col->sort == PQ_WS_I32 || col->sort == PQ_WS_I64 || col->sort == PQ_WS_BOOL) {
                s->min = s->min_value; /* the deprecated fields, where signed order is the type's order */
                s->max = s->max_value;
            }
        }
    }
    return VF_OK;
}

/* The chunk's page locations, now that its file offset is known. */
static void add_offset_index(pq_writer *w, const pq_wchunk *k, int64_t start, pq_column_chunk *cc,
                             pq_page_location *locs) {
    for (int i = 0; i < k->npages; i++)
        locs[i] = (pq_page_location){start + k->pages[i].offset, k->pages[i].size, k->pages[i].first_row};
    size_t at = w->oi_all.len;
    pq_encode_offset_index(&w->oi_all, &(pq_offset_index){k->npages, locs});
    cc->has_offset_index = true;
    cc->offset_index_offset = (int64_t)at; /* relative until close */
    cc->offset_index_length = (int32_t)(w->oi_all.len - at);
}

static vf_status write_row_group(pq_writer *w, const vf_colview *cols, int64_t r0, int64_t n, vf_error *err) {
    rg_job job = {w, cols, r0, n};
    vf_parallel_for((size_t)w->ncols, w->threads, encode_task, &job);
    for (int c = 0; c < w->ncols; c++)
        if (w->chunks[c].st != VF_OK) {
            vf_error e;
            wfail(&e, w->path, w->cols[c].name, w->chunks[c].st, "%s", w->chunks[c].err.msg);
            return poison(w, w->chunks[c].st, &e, err);
        }
    if (w->nrg == w->cap_rg) {
        size_t cap = w->cap_rg ? w->cap_rg * 2 : 8;
        pq_row_group *r = vf_realloc_n(w->rgs, cap, sizeof *r);
        if (!r) return woom(w, err);
        w->rgs = r;
        w->cap_rg = cap;
    }
    pq_row_group *rg = &w->rgs[w->nrg];
    memset(rg, 0, sizeof *rg);
    rg->columns = vf_arena_alloc_n(&w->arena, (size_t)w->ncols, sizeof *rg->columns);
    if (!rg->columns) return woom(w, err);
    rg->n_columns = w->ncols;
    rg->num_rows = n;
    rg->has_file_offset = rg->has_total_compressed_size = true;
    rg->file_offset = w->pos;
    rg->has_ordinal = w->nrg <= INT16_MAX; /* an i16 in the format: left out past that */
    rg->ordinal = (int16_t)(rg->has_ordinal ? w->nrg : 0);
    vf_status st = VF_OK;
    int max_pages = 0;
    for (int c = 0; c < w->ncols; c++) max_pages = w->chunks[c].npages > max_pages ? w->chunks[c].npages : max_pages;
    pq_page_location *locs = vf_malloc_n((size_t)max_pages, sizeof *locs);
    if (!locs) return woom(w, err);
    for (int c = 0; c < w->ncols; c++) {
        const pq_wchunk *k = &w->chunks[c];
        pq_column_chunk *cc = &rg->columns[c];
        int64_t start = w->pos;
        if ((st = wr(w, k->data.p, k->data.len, err)) != VF_OK) break;
        if (describe_chunk(w, c, start, n, cc) != VF_OK) {
            st = woom(w, err);
            break;
        }
        rg->total_byte_size += k->uncompressed;
        rg->total_compressed_size += (int64_t)k->data.len;
        w->col_comp[c] += (int64_t)k->data.len;
        w->col_uncomp[c] += k->uncompressed;
        if (w->o.page_index) add_offset_index(w, k, start, cc, locs);
        if (k->ci.len) {
            cc->has_column_index = true;
            cc->column_index_offset = (int64_t)w->ci_all.len;
            cc->column_index_length = (int32_t)k->ci.len;
            vf_buf_append(&w->ci_all, k->ci.p, k->ci.len);
        }
    }
    free(locs);
    if (st != VF_OK) return st;
    if (w->ci_all.oom || w->oi_all.oom) return woom(w, err);
    for (int c = 0; c < w->ncols; c++) {
        const pq_wchunk *k = &w->chunks[c];
        if (!k->bloom.len) continue;
        pq_column_meta *m = &rg->columns[c].meta;
        m->has_bloom_filter_offset = m->has_bloom_filter_length = true;
        m->bloom_filter_offset = w->pos;
        m->bloom_filter_length = (int32_t)k->bloom.len;
        if ((st = wr(w, k->bloom.p, k->bloom.len, err)) != VF_OK) return st;
    }
    w->nrg++;
    w->nrows += n;
    return VF_OK;
}

static vf_status check_batch(pq_writer *w, const vf_colview *cols, vf_error *err) {
    for (int i = 0; i < w->ncols; i++) {
        const vf_colview *v = &cols[i];
        const pq_wcol *c = &w->cols[i];
        bool same_logical = (!v->logical && !c->logical) || (v->logical && c->logical && !strcmp(v->logical, c->logical));
        if (!v->name || strcmp(v->name, c->name) != 0 || v->type != c->type || !same_logical)
            return wfail(err, w->path, c->name, VF_EARG, "column %d is %s (%s), the file's is %s (%s)", i,
                         v->name ? v->name : "?", vf_type_name(v->type), c->name, vf_type_name(c->type));
    }
    return VF_OK;
}

vf_status pq_writer_write(pq_writer *w, const vf_colview *cols, int64_t nrows, vf_error *err) {
    if (w->failed) {
        if (err) *err = w->ferr;
        return w->failed;
    }
    vf_status st = check_batch(w, cols, err);
    if (st != VF_OK || nrows <= 0) return st;
    /* rows per group: the row limit, and the byte limit over the in-memory size of a row */
    int64_t row_bytes = 0;
    for (int i = 0; i < w->ncols; i++) row_bytes += (int64_t)vf_type_width(cols[i].type) + (cols[i].valid ? 1 : 0);
    int64_t per = w->o.row_group_bytes / (row_bytes ? row_bytes : 1);
    if (per > w->o.row_group_rows) per = w->o.row_group_rows;
    if (per < 1) per = 1;
    /* even groups: 1.1 M rows at 1 M a group make two of 550 k, not 1 M and 100 k */
    int64_t groups = (nrows + per - 1) / per, each = (nrows + groups - 1) / groups;
    for (int64_t r0 = 0; r0 < nrows; r0 += each)
        if ((st = write_row_group(w, cols, r0, nrows - r0 < each ? nrows - r0 : each, err)) != VF_OK) return st;
    return VF_OK;
}

/* ================================================================== */
/* closing: page index, footer                                         */
/* ================================================================== */
static vf_status write_footer(pq_writer *w, vf_error *err) {
    /* the indexes, their offsets made absolute */
    int64_t ci_base = w->pos, oi_base = ci_base + (int64_t)w->ci_all.len;
    vf_status st;
    if ((st = wr(w, w->ci_all.p, w->ci_all.len, err)) != VF_OK || (st = wr(w, w->oi_all.p, w->oi_all.len, err)) != VF_OK)
        return st;
    for (size_t g = 0; g < w->nrg; g++)
        for (int c = 0; c < w->ncols; c++) {
            pq_column_chunk *cc = &w->rgs[g].columns[c];
            if (cc->has_column_index) cc->column_index_offset += ci_base;
            if (cc->has_offset_index) cc->offset_index_offset += oi_base;
        }
    pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.version = 2;
    m.n_schema = w->ncols + 1;
    m.schema = vf_arena_alloc_n(&w->arena, (size_t)m.n_schema, sizeof *m.schema);
    m.column_orders = vf_arena_alloc_n(&w->arena, (size_t)w->ncols, sizeof *m.column_orders);
    if (!m.schema || !m.column_orders) return woom(w, err);
    m.schema[0] = (pq_schema_elem){.name = "schema", .has_num_children = true, .num_children = w->ncols};
    for (int c = 0; c < w->ncols; c++) {
        m.schema[c + 1] = w->cols[c].elem;
        m.column_orders[c] = 1; /* TypeDefinedOrder */
    }
    m.n_column_orders = w->ncols;
    m.num_rows = w->nrows;
    m.n_row_groups = (int)w->nrg;
    m.row_groups = w->rgs; /* NULL: an empty list */
    m.n_kv = w->nkv;
    m.kv = w->kv;
    m.created_by = PQ_CREATED_BY;
    vf_buf b = {0};
    pq_encode_file_meta(&b, &m);
    if (b.len > UINT32_MAX) b.oom = true;
    vf_buf_put_le32(&b, (uint32_t)b.len);
    vf_buf_append(&b, "PAR1", 4);
    if (b.oom) {
        vf_buf_free(&b);
        return woom(w, err);
    }
    st = wr(w, b.p, b.len, err);
    vf_buf_free(&b);
    return st;
}

vf_status pq_writer_close(pq_writer *w, pq_write_result *res, vf_error *err) {
    vf_status st = w->failed;
    if (st != VF_OK) {
        if (err) *err = w->ferr;
    } else if ((st = write_footer(w, err)) == VF_OK && (st = commit_file(w, err)) == VF_OK && res) {
        res->rows = w->nrows;
        res->row_groups = (int64_t)w->nrg;
        res->file_bytes = w->pos;
        if (res->col_compressed) memcpy(res->col_compressed, w->col_comp, (size_t)w->ncols * sizeof(int64_t));
        if (res->col_uncompressed) memcpy(res->col_uncompressed, w->col_uncomp, (size_t)w->ncols * sizeof(int64_t));
    }
    writer_free(w); /* removes the temporary file unless it was renamed */
    return st;
}

vf_status pq_write_table(const char *path, const vf_colview *cols, int ncols, int64_t nrows, const pq_write_opts *o,
                         pq_write_result *res, vf_error *err) {
    pq_writer *w;
    vf_status st = pq_writer_open(&w, path, cols, ncols, o, err);
    if (st != VF_OK) return st;
    st = pq_writer_write(w, cols, nrows, err);
    if (st != VF_OK) {
        pq_writer_abort(w);
        return st;
    }
    return pq_writer_close(w, res, err);
}
