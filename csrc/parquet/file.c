/*
 * file.c - opening a Parquet file: the magic numbers and footer, the
 * schema resolved into leaf columns and their types, statistics decoded to
 * typed values, the page index and bloom filters (reader.h).
 *
 * Everything here works on the footer, which is decoded once at open; the
 * column data is only touched by pages.c.
 */
#include "rdint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ================================================================== */
/* located errors                                                      */
/* ================================================================== */
static void loc_prefix(const pq_loc *loc, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "%s", loc->f && loc->f->name ? loc->f->name : "<parquet>");
    const char *sep = ": ";
    if (loc->col && n < cap) {
        n += (size_t)snprintf(buf + n, cap - n, "%scolumn '%s'", sep, loc->col);
        sep = ", ";
    }
    if (loc->rg >= 0 && n < cap) {
        n += (size_t)snprintf(buf + n, cap - n, "%srow group %d", sep, loc->rg);
        sep = ", ";
    }
    if (loc->page >= 0 && n < cap) n += (size_t)snprintf(buf + n, cap - n, "%spage %lld", sep, (long long)loc->page);
    if (loc->offset >= 0 && n < cap) snprintf(buf + n, cap - n, " at byte %lld", (long long)loc->offset);
}

/* Append s to dst[*n..cap), always NUL-terminated. */
static void append(char *dst, size_t cap, size_t *n, const char *s) {
    size_t k = strlen(s);
    if (*n + 1 >= cap) return;
    if (k > cap - 1 - *n) k = cap - 1 - *n;
    memcpy(dst + *n, s, k);
    *n += k;
    dst[*n] = 0;
}

static void loc_fill(vf_error *err, const pq_loc *loc, const char *what) {
    char prefix[VF_ERR_MSG], tmp[VF_ERR_MSG];
    loc_prefix(loc, prefix, sizeof prefix);
    snprintf(tmp, sizeof tmp, "%s", what); /* what may be err->msg itself */
    size_t n = 0;
    err->msg[0] = 0;
    append(err->msg, sizeof err->msg, &n, prefix);
    append(err->msg, sizeof err->msg, &n, ": ");
    append(err->msg, sizeof err->msg, &n, tmp);
    n = 0;
    err->file[0] = 0;
    append(err->file, sizeof err->file, &n, loc->f && loc->f->name ? loc->f->name : "");
    n = 0;
    err->field[0] = 0;
    append(err->field, sizeof err->field, &n, loc->col ? loc->col : "");
    err->offset = loc->offset;
    err->line = 0;
    err->text[0] = 0;
}

vf_status pq_fail_at(vf_error *err, const pq_loc *loc, vf_status code, const char *fmt, ...) {
    if (!err) return code;
    char what[VF_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    err->code = code;
    loc_fill(err, loc, what);
    return code;
}

vf_status pq_locate(vf_error *err, const pq_loc *loc, vf_status code) {
    if (!err) return code;
    if (err->code != VF_OK) code = err->code;
    if (code == VF_OK) code = VF_EFORMAT;
    char what[VF_ERR_MSG];
    snprintf(what, sizeof what, "%s", err->msg);
    err->code = code;
    loc_fill(err, loc, what);
    return code;
}

static pq_loc file_loc(const pq_file *f, int64_t offset) { return (pq_loc){f, NULL, -1, -1, offset}; }

/* ================================================================== */
/* the schema                                                          */
/* ================================================================== */
/* The logical annotation that decides the type: the LogicalType when it is
 * one this reader knows, else the ConvertedType mapped onto it. */
static pq_logical effective_logical(const pq_schema_elem *e) {
    pq_logical lt = e->logical;
    if (lt.kind != PQ_LT_NONE && lt.kind != PQ_LT_OTHER && lt.kind != PQ_LT_UNKNOWN) return lt;
    if (lt.kind == PQ_LT_UNKNOWN) return (pq_logical){0}; /* UNKNOWN: always null values, read as stored */
    memset(&lt, 0, sizeof lt);
    if (!e->has_converted_type) return lt;
    switch (e->converted_type) {
    case PQ_CT_UTF8: lt.kind = PQ_LT_STRING; break;
    case PQ_CT_ENUM: lt.kind = PQ_LT_ENUM; break;
    case PQ_CT_JSON: lt.kind = PQ_LT_JSON; break;
    case PQ_CT_BSON: lt.kind = PQ_LT_BSON; break;
    case PQ_CT_DATE: lt.kind = PQ_LT_DATE; break;
    case PQ_CT_DECIMAL:
        lt.kind = PQ_LT_DECIMAL;
        lt.precision = e->has_precision ? e->precision : 0;
        lt.scale = e->has_scale ? e->scale : 0;
        break;
    case PQ_CT_TIME_MILLIS: case PQ_CT_TIME_MICROS:
        lt.kind = PQ_LT_TIME;
        lt.unit = e->converted_type == PQ_CT_TIME_MILLIS ? PQ_MILLIS : PQ_MICROS;
        lt.utc = true;
        break;
    case PQ_CT_TIMESTAMP_MILLIS: case PQ_CT_TIMESTAMP_MICROS:
        lt.kind = PQ_LT_TIMESTAMP;
        lt.unit = e->converted_type == PQ_CT_TIMESTAMP_MILLIS ? PQ_MILLIS : PQ_MICROS;
        lt.utc = true;
        break;
    case PQ_CT_UINT_8: case PQ_CT_UINT_16: case PQ_CT_UINT_32: case PQ_CT_UINT_64:
    case PQ_CT_INT_8: case PQ_CT_INT_16: case PQ_CT_INT_32: case PQ_CT_INT_64: {
        static const int widths[] = {8, 16, 32, 64};
        int k = e->converted_type >= PQ_CT_INT_8 ? e->converted_type - PQ_CT_INT_8 : e->converted_type - PQ_CT_UINT_8;
        lt.kind = PQ_LT_INTEGER;
        lt.bit_width = widths[k];
        lt.is_signed = e->converted_type >= PQ_CT_INT_8;
        break;
    }
    case PQ_CT_INTERVAL: lt.kind = PQ_LT_OTHER; break; /* marks INTERVAL below */
    default: break;
    }
    return lt;
}

static const char *unit_name(int unit) { return unit == PQ_MILLIS ? "ms" : unit == PQ_MICROS ? "us" : "ns"; }

/* Integer annotations of INT32/INT64: the output type, or 0 to read the physical type. */
static vf_type int_type(int physical, const pq_logical *lt) {
    if (physical == PQ_INT32) {
        switch (lt->bit_width) {
        case 8: return lt->is_signed ? VF_T_INT8 : VF_T_UINT8;
        case 16: return lt->is_signed ? VF_T_INT16 : VF_T_UINT16;
        case 32: return lt->is_signed ? VF_T_INT32 : VF_T_UINT32;
        }
    } else if (physical == PQ_INT64 && lt->bit_width == 64) {
        return lt->is_signed ? VF_T_INT64 : VF_T_UINT64;
    }
    return (vf_type)0;
}

/* Decide a leaf's output type, logical string, sort order and statistics kind. */
static void leaf_types(pq_file *f, pq_leaf *l, const pq_schema_elem *e) {
    char lg[64] = "";
    pq_logical lt = effective_logical(e);
    bool interval = e->has_converted_type && e->converted_type == PQ_CT_INTERVAL;
    l->sort = PQ_SORT_SIGNED;
    l->stat_kind = PQ_V_INT;
    if (lt.kind == PQ_LT_DECIMAL) {
        l->precision = lt.precision;
        l->scale = lt.scale;
        snprintf(lg, sizeof lg, "decimal(%d,%d)", (int)lt.precision, (int)lt.scale);
    }
    switch (l->physical) {
    case PQ_BOOLEAN:
        l->vtype = VF_T_BOOL;
        l->stat_kind = PQ_V_BOOL;
        break;
    case PQ_INT32:
    case PQ_INT64: {
        bool i32 = l->physical == PQ_INT32;
        l->vtype = i32 ? VF_T_INT32 : VF_T_INT64;
        if (lt.kind == PQ_LT_INTEGER) {
            vf_type t = int_type(l->physical, &lt);
            if (t) l->vtype = t;
            if (t && !lt.is_signed) {
                l->sort = PQ_SORT_UNSIGNED;
                l->stat_kind = PQ_V_UINT;
            }
        } else if (lt.kind == PQ_LT_DATE && i32) {
            snprintf(lg, sizeof lg, "date32");
        } else if (lt.kind == PQ_LT_TIME && (i32 ? lt.unit == PQ_MILLIS : lt.unit != PQ_MILLIS)) {
            snprintf(lg, sizeof lg, "time[%s]", unit_name(lt.unit));
        } else if (lt.kind == PQ_LT_TIMESTAMP && !i32) {
            snprintf(lg, sizeof lg, "timestamp[%s%s]", unit_name(lt.unit), lt.utc ? ", UTC" : "");
        }
        break;
    }
    case PQ_INT96:
        /* Impala/Spark timestamps: read as nanoseconds; no defined order, so no statistics */
        l->vtype = VF_T_INT64;
        snprintf(lg, sizeof lg, "timestamp[ns]");
        l->sort = PQ_SORT_UNKNOWN;
        l->stat_kind = PQ_V_NONE;
        break;
    case PQ_FLOAT:
    case PQ_DOUBLE:
        l->vtype = l->physical == PQ_FLOAT ? VF_T_FLOAT32 : VF_T_FLOAT64;
        l->stat_kind = PQ_V_FLOAT;
        break;
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY: {
        bool fixed = l->physical == PQ_FIXED_LEN_BYTE_ARRAY;
        l->vtype = VF_T_BINARY;
        l->sort = PQ_SORT_UNSIGNED;
        l->stat_kind = PQ_V_BYTES;
        if (fixed && (!e->has_type_length || e->type_length <= 0 || e->type_length > (1 << 24))) {
            l->unreadable = "a FIXED_LEN_BYTE_ARRAY without a valid type_length";
            l->vtype = (vf_type)0;
            break;
        }
        if (lt.kind == PQ_LT_STRING || lt.kind == PQ_LT_ENUM || lt.kind == PQ_LT_JSON) {
            l->vtype = VF_T_STRING;
            if (lt.kind == PQ_LT_JSON) snprintf(lg, sizeof lg, "json");
        } else if (lt.kind == PQ_LT_DECIMAL) {
            l->sort = PQ_SORT_SIGNED; /* big-endian two's complement: compared as numbers */
        } else if (lt.kind == PQ_LT_FLOAT16 && fixed && l->type_length == 2) {
            l->vtype = VF_T_FLOAT32;
            l->sort = PQ_SORT_SIGNED;
            l->stat_kind = PQ_V_FLOAT;
            snprintf(lg, sizeof lg, "float16");
        } else if (lt.kind == PQ_LT_UUID && fixed && l->type_length == 16) {
            snprintf(lg, sizeof lg, "uuid");
        } else if (lt.kind == PQ_LT_BSON) {
            snprintf(lg, sizeof lg, "bson");
        } else if (interval) {
            snprintf(lg, sizeof lg, "interval");
            l->sort = PQ_SORT_UNKNOWN;
            l->stat_kind = PQ_V_NONE;
        } else if (fixed) {
            snprintf(lg, sizeof lg, "fixed[%d]", (int)l->type_length);
        }
        break;
    }
    default:
        l->unreadable = "an unknown physical type";
        l->vtype = (vf_type)0;
    }
    if (lg[0]) l->logical = vf_arena_strndup(&f->arena, lg, strlen(lg));
}

typedef struct walk_state {
    pq_file *f;
    int pos;         /* next schema element */
    int nleaves;
    vf_buf path;     /* the dotted path of the current group */
    vf_error *err;
} walk_state;

static vf_status walk_fail(walk_state *w, const char *fmt, const char *name) {
    pq_loc loc = file_loc(w->f, -1);
    return pq_fail_at(w->err, &loc, VF_EFORMAT, fmt, name);
}

/* Resolve the children of the group just read: nchildren elements from w->pos. */
static vf_status walk(walk_state *w, int nchildren, int depth, int def, int rep) {
    const pq_file_meta *m = &w->f->meta;
    if (depth > PQ_MAX_DEPTH) return walk_fail(w, "schema nested deeper than %s levels", "100");
    for (int c = 0; c < nchildren; c++) {
        if (w->pos >= m->n_schema) return walk_fail(w, "schema%s: a group has more children than there are elements", "");
        int i = w->pos++;
        const pq_schema_elem *e = &m->schema[i];
        if (!e->has_repetition) return walk_fail(w, "schema element '%s' has no repetition type", e->name);
        int d = def + (e->repetition != PQ_REQUIRED), r = rep + (e->repetition == PQ_REPEATED);
        size_t plen = w->path.len;
        if (plen) vf_buf_push(&w->path, '.');
        vf_buf_append(&w->path, e->name, strlen(e->name));
        if (w->path.oom) return vf_fail(w->err, VF_ENOMEM, "out of memory");
        if (e->has_type) {
            if (e->has_num_children && e->num_children > 0)
                return walk_fail(w, "schema element '%s' has a type and children", e->name);
            pq_leaf *l = &w->f->leaves[w->nleaves++];
            l->name = vf_arena_strndup(&w->f->arena, (const char *)w->path.p, w->path.len);
            if (!l->name) return vf_fail(w->err, VF_ENOMEM, "out of memory");
            l->schema_index = i;
            l->physical = e->type;
            l->type_length = e->has_type_length ? e->type_length : 0;
            l->max_def = d;
            l->max_rep = r;
            l->nullable = d > 0;
            leaf_types(w->f, l, e);
            if (r > 0) {
                l->unreadable = "a list or map (a repeated field): vpcflow reads flat columns only";
                l->vtype = (vf_type)0;
            }
        } else {
            if (!e->has_num_children || e->num_children < 0)
                return walk_fail(w, "schema element '%s' has neither a type nor children", e->name);
            vf_status st = walk(w, e->num_children, depth + 1, d, r);
            if (st != VF_OK) return st;
        }
        w->path.len = plen;
    }
    return VF_OK;
}

static vf_status resolve_schema(pq_file *f, vf_error *err) {
    const pq_file_meta *m = &f->meta;
    pq_loc loc = file_loc(f, -1);
    if (m->n_schema < 1) return pq_fail_at(err, &loc, VF_EFORMAT, "the schema is empty");
    const pq_schema_elem *root = &m->schema[0];
    if (!root->has_num_children || root->num_children < 0)
        return pq_fail_at(err, &loc, VF_EFORMAT, "the schema root has no children count");
    /* at most one leaf per element */
    f->leaves = vf_arena_alloc_n(&f->arena, (size_t)m->n_schema, sizeof *f->leaves);
    if (!f->leaves) return vf_fail(err, VF_ENOMEM, "out of memory");
    walk_state w = {f, 1, 0, {0}, err};
    vf_status st = walk(&w, root->num_children, 1, 0, 0);
    vf_buf_free(&w.path);
    if (st != VF_OK) return st;
    if (w.pos != m->n_schema)
        return pq_fail_at(err, &loc, VF_EFORMAT, "the schema tree ends after %d of its %d elements", w.pos,
                          m->n_schema);
    f->nleaves = w.nleaves;
    for (int i = 0; i < f->nleaves; i++) {
        pq_leaf *l = &f->leaves[i];
        l->column_order_known = m->n_column_orders == 0 || (i < m->n_column_orders && m->column_orders[i] == 1);
    }
    return VF_OK;
}

/* ================================================================== */
/* opening                                                             */
/* ================================================================== */
/* The version of parquet-mr that wrote the file ("parquet-mr version
 * 1.6.0 (build ...)"), as major * 1000000 + minor * 1000 + patch; 0 when it
 * names none, -1 when another writer wrote the file. */
static long parquet_mr_version(const char *created_by) {
    const char *p = "parquet-mr";
    if (!created_by || strncmp(created_by, p, strlen(p)) != 0) return -1;
    const char *v = strstr(created_by, "version ");
    int major = 0, minor = 0, patch = 0;
    if (!v || sscanf(v + 8, "%d.%d.%d", &major, &minor, &patch) < 2) return 0;
    return major * 1000000L + minor * 1000L + patch;
}

static vf_status map_file(pq_file *f, const char *name, vf_error *err) {
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vf_fail(err, VF_EIO, "%s: cannot open: %s", name, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = errno;
        close(fd);
        return vf_fail(err, VF_EIO, "%s: not a regular file%s%s", name, e ? ": " : "", e ? strerror(e) : "");
    }
    f->size = (size_t)sb.st_size;
    if (f->size > 0) {
        void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return vf_fail(err, VF_EIO, "%s: cannot map: %s", name, strerror(e));
        }
        f->data = p;
        f->mapped = true;
    }
    close(fd);
    return VF_OK;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static vf_status check_footer(pq_file *f, vf_error *err) {
    pq_loc loc = file_loc(f, -1);
    static const char encrypted[] =
        "an encrypted Parquet file (encrypted footer, magic PARE): vpcflow does not read encrypted files";
    if (f->size >= 4 && memcmp(f->data, "PARE", 4) == 0) return pq_fail_at(err, &loc, VF_EFORMAT, encrypted);
    if (f->size < 12)
        return pq_fail_at(err, &loc, VF_EFORMAT, "not a Parquet file: %zu bytes is too small to hold one", f->size);
    if (memcmp(f->data, "PAR1", 4) != 0)
        return pq_fail_at(err, &loc, VF_EFORMAT, "not a Parquet file: no PAR1 magic at the start");
    const uint8_t *tail = f->data + f->size - 8;
    if (memcmp(tail + 4, "PARE", 4) == 0) return pq_fail_at(err, &loc, VF_EFORMAT, encrypted);
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return pq_fail_at(err, &loc, VF_EFORMAT, "no PAR1 magic at the end of the file: truncated or not Parquet");
    f->footer_len = le32(tail);
    if (f->footer_len == 0 || f->footer_len > f->size - 12)
        return pq_fail_at(err, &loc, VF_EFORMAT, "footer length %u does not fit the file of %zu bytes",
                          (unsigned)f->footer_len, f->size);
    f->footer_start = f->size - 8 - f->footer_len;
    return VF_OK;
}

static vf_status check_row_groups(pq_file *f, vf_error *err) {
    const pq_file_meta *m = &f->meta;
    for (int r = 0; r < m->n_row_groups; r++) {
        const pq_row_group *g = &m->row_groups[r];
        pq_loc loc = {f, NULL, r, -1, -1};
        if (g->num_rows < 0) return pq_fail_at(err, &loc, VF_EFORMAT, "negative row count %lld", (long long)g->num_rows);
        if (g->n_columns != f->nleaves)
            return pq_fail_at(err, &loc, VF_EFORMAT, "%d column chunks for the schema's %d leaf columns", g->n_columns,
                              f->nleaves);
        for (int c = 0; c < g->n_columns; c++) {
            const pq_column_chunk *cc = &g->columns[c];
            loc.col = f->leaves[c].name;
            if (cc->has_crypto_metadata || cc->has_encrypted_column_metadata)
                return pq_fail_at(err, &loc, VF_EFORMAT,
                                  "an encrypted column (column crypto metadata): vpcflow does not read encrypted files");
            if (!cc->has_meta_data) return pq_fail_at(err, &loc, VF_EFORMAT, "the column chunk has no metadata");
            if (cc->file_path)
                return pq_fail_at(err, &loc, VF_EFORMAT, "the column chunk is in another file ('%s'): not supported",
                                  cc->file_path);
        }
    }
    return VF_OK;
}

vf_status pq_open(const char *name, const void *data, size_t len, pq_file **out, vf_error *err) {
    *out = NULL;
    pq_file *f = calloc(1, sizeof *f);
    char *nm = vf_strndup(name ? name : "<parquet>", strlen(name ? name : "<parquet>"));
    if (!f || !nm) {
        free(f);
        free(nm);
        return vf_fail(err, VF_ENOMEM, "out of memory");
    }
    f->name = nm;
    vf_status st = VF_OK;
    if (data) {
        f->data = data;
        f->size = len;
    } else {
        st = map_file(f, nm, err);
    }
    if (st == VF_OK) st = check_footer(f, err);
    if (st == VF_OK) {
        st = pq_decode_file_meta(f->data + f->footer_start, f->footer_len, &f->arena, &f->meta, err);
        if (st != VF_OK && st != VF_ENOMEM && err) {
            /* the decoder's offsets count from the footer's start */
            char what[VF_ERR_MSG];
            snprintf(what, sizeof what, "%s", err->msg);
            pq_loc loc = file_loc(f, err->offset >= 0 ? (int64_t)f->footer_start + err->offset : -1);
            st = pq_fail_at(err, &loc, VF_EFORMAT, "corrupt footer (its bytes from %zu): %s", f->footer_start, what);
        }
    }
    if (st == VF_OK && (f->meta.has_encryption_algorithm || f->meta.has_footer_signing_key_metadata)) {
        pq_loc loc = file_loc(f, -1);
        st = pq_fail_at(err, &loc, VF_EFORMAT,
                        "an encrypted Parquet file (plaintext footer with encryption_algorithm): "
                        "vpcflow does not read encrypted files");
    }
    if (st == VF_OK) st = resolve_schema(f, err);
    if (st == VF_OK) st = check_row_groups(f, err);
    if (st == VF_OK && f->meta.num_rows < 0) {
        pq_loc loc = file_loc(f, -1);
        st = pq_fail_at(err, &loc, VF_EFORMAT, "negative row count %lld", (long long)f->meta.num_rows);
    }
    if (st != VF_OK) {
        pq_close(f);
        return st;
    }
    /* known bugs of old parquet-mr versions (a file naming no version is taken to be as old as they come) */
    long mr = parquet_mr_version(f->meta.created_by);
    f->bad_binary_stats = mr >= 0 && mr < 1008000;
    f->short_dict_chunks = mr >= 0 && mr < 1002009;
    *out = f;
    return VF_OK;
}

void pq_close(pq_file *f) {
    if (!f) return;
    if (f->mapped) munmap((void *)(uintptr_t)f->data, f->size);
    vf_arena_free(&f->arena);
    free((char *)(uintptr_t)f->name);
    free(f);
}

int pq_find_leaf(const pq_file *f, const char *name) {
    for (int i = 0; i < f->nleaves; i++)
        if (strcmp(f->leaves[i].name, name) == 0) return i;
    return -1;
}

vf_status pq_chunk_range(const pq_file *f, int rg, int col, size_t *start, size_t *end, vf_error *err) {
    const pq_column_meta *md = &f->meta.row_groups[rg].columns[col].meta;
    pq_loc loc = {f, f->leaves[col].name, rg, -1, -1};
    int64_t s = md->data_page_offset;
    if (md->has_dictionary_page_offset && md->dictionary_page_offset > 0 && md->dictionary_page_offset < s)
        s = md->dictionary_page_offset;
    int64_t n = md->total_compressed_size;
    /* PARQUET-816: allow for the dictionary page header the size left out */
    if (f->short_dict_chunks && n >= 0 && s >= 4 && (uint64_t)s < f->footer_start)
        n = (int64_t)((uint64_t)n + 100 < f->footer_start - (uint64_t)s ? (uint64_t)n + 100 : f->footer_start - (uint64_t)s);
    if (s < 4 || (uint64_t)s >= f->footer_start || n < 0 || (uint64_t)n > f->footer_start - (uint64_t)s)
        return pq_fail_at(err, &loc, VF_EFORMAT,
                          "column chunk at byte %lld of %lld bytes lies outside the data of the file (bytes 4 to %zu)",
                          (long long)s, (long long)n, f->footer_start);
    *start = (size_t)s;
    *end = (size_t)(s + n);
    return VF_OK;
}

/* ================================================================== */
/* statistics                                                          */
/* ================================================================== */
static uint64_t le_bytes(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* IEEE half precision to double, exactly. */
static double half_to_double(uint16_t h) {
    int sign = h >> 15, exp = h >> 10 & 0x1f, frac = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(frac, -24);
    else if (exp == 31)
        v = frac ? NAN : INFINITY;
    else
        v = ldexp(frac + 1024, exp - 25);
    return sign ? -v : v;
}

/* Decode one bound; false when it is absent or unusable. */
static bool decode_bound(const pq_leaf *l, pq_bytes b, bool is_min, pq_stat_value *v) {
    if (!b.p) return false;
    switch (l->stat_kind) {
    case PQ_V_BOOL:
        if (b.n != 1) return false;
        v->i = b.p[0] != 0;
        return true;
    case PQ_V_INT:
    case PQ_V_UINT: {
        size_t w = l->physical == PQ_INT32 ? 4 : 8;
        if (b.n != w) return false;
        uint64_t u = le_bytes(b.p, w);
        v->u = u;
        v->i = w == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
        return true;
    }
    case PQ_V_FLOAT: {
        double d;
        if (l->physical == PQ_FLOAT && b.n == 4) {
            float x;
            memcpy(&x, b.p, 4);
            d = x;
        } else if (l->physical == PQ_DOUBLE && b.n == 8) {
            memcpy(&d, b.p, 8);
        } else if (l->physical == PQ_FIXED_LEN_BYTE_ARRAY && b.n == 2) {
            d = half_to_double((uint16_t)le_bytes(b.p, 2));
        } else {
            return false;
        }
        if (isnan(d)) return false; /* PARQUET-1222: a NaN bound says nothing */
        /* a +0 min may hide -0 values, a -0 max +0 ones: widen to both zeros */
        if (d == 0) d = is_min ? -0.0 : 0.0;
        v->f = d;
        return true;
    }
    case PQ_V_BYTES:
        v->b = b;
        return true;
    }
    return false;
}

void pq_stat_bounds(const pq_file *f, const pq_leaf *l, pq_bytes min, pq_bytes max, pq_stats_typed *out) {
    (void)f;
    out->kind = l->stat_kind;
    out->has_min = decode_bound(l, min, true, &out->min);
    out->has_max = decode_bound(l, max, false, &out->max);
}

void pq_chunk_stats(const pq_file *f, int rg, int col, pq_stats_typed *out) {
    memset(out, 0, sizeof *out);
    out->min_exact = out->max_exact = true;
    const pq_column_meta *md = &f->meta.row_groups[rg].columns[col].meta;
    const pq_leaf *l = &f->leaves[col];
    out->kind = l->stat_kind;
    if (!md->has_statistics) return;
    const pq_stats *s = &md->statistics;
    out->has_null_count = s->has_null_count && s->null_count >= 0;
    out->null_count = s->null_count;
    out->has_distinct_count = s->has_distinct_count && s->distinct_count >= 0;
    out->distinct_count = s->distinct_count;
    out->has_nan_count = s->has_nan_count && s->nan_count >= 0;
    out->nan_count = s->nan_count;
    if (s->has_is_min_value_exact) out->min_exact = s->is_min_value_exact;
    if (s->has_is_max_value_exact) out->max_exact = s->is_max_value_exact;
    if (l->sort == PQ_SORT_UNKNOWN || l->stat_kind == PQ_V_NONE) return;
    bool binary = l->physical == PQ_BYTE_ARRAY || l->physical == PQ_FIXED_LEN_BYTE_ARRAY;
    if (binary && f->bad_binary_stats) return;
    pq_bytes mn = {0}, mx = {0};
    if ((s->min_value.p || s->max_value.p) && l->column_order_known) {
        mn = s->min_value;
        mx = s->max_value;
    } else if (s->min.p || s->max.p) {
        /* the deprecated fields were written in signed order: right only for
         * signed types, or whatever the order when min == max */
        bool same = s->min.p && s->max.p && s->min.n == s->max.n && memcmp(s->min.p, s->max.p, s->min.n) == 0;
        bool signed_order = l->sort == PQ_SORT_SIGNED && !binary;
        if (!signed_order && !same) return;
        mn = s->min;
        mx = s->max;
        out->min_exact = out->max_exact = true;
    }
    pq_stat_bounds(f, l, mn, mx, out);
}

/* ================================================================== */
/* page index and bloom filters                                        */
/* ================================================================== */
/* The region [off, off + len) when it lies inside the file's data. */
static bool in_data(const pq_file *f, int64_t off, int64_t len) {
    return off >= 4 && len >= 0 && (uint64_t)off <= f->footer_start && (uint64_t)len <= f->footer_start - (uint64_t)off;
}

static vf_status check_offset_index(const pq_file *f, int rg, int col, const pq_offset_index *oi, vf_error *err) {
    pq_loc loc = {f, f->leaves[col].name, rg, -1, -1};
    size_t start, end;
    vf_status st = pq_chunk_range(f, rg, col, &start, &end, err);
    if (st != VF_OK) return st;
    int64_t rows = f->meta.row_groups[rg].num_rows;
    if (oi->n_pages == 0 && rows > 0) return pq_fail_at(err, &loc, VF_EFORMAT, "offset index lists no pages");
    for (int k = 0; k < oi->n_pages; k++) {
        const pq_page_location *p = &oi->page_locations[k];
        loc.page = k;
        bool rows_ok = k == 0 ? p->first_row_index == 0
                              : p->first_row_index > oi->page_locations[k - 1].first_row_index;
        if (!rows_ok || p->first_row_index >= rows)
            return pq_fail_at(err, &loc, VF_EFORMAT, "offset index: first row %lld out of order or past the %lld rows",
                              (long long)p->first_row_index, (long long)rows);
        bool at_ok = k == 0 || p->offset >= oi->page_locations[k - 1].offset + oi->page_locations[k - 1].compressed_page_size;
        if (p->offset < (int64_t)start || p->compressed_page_size <= 0 || !at_ok ||
            (uint64_t)p->offset + (uint64_t)p->compressed_page_size > end)
            return pq_fail_at(err, &loc, VF_EFORMAT, "offset index: page at byte %lld of %d bytes outside the chunk",
                              (long long)p->offset, (int)p->compressed_page_size);
    }
    return VF_OK;
}

vf_status pq_page_index(const pq_file *f, int rg, int col, vf_arena *a, pq_column_index **ci, pq_offset_index **oi,
                        vf_error *err) {
    *ci = NULL;
    *oi = NULL;
    const pq_column_chunk *cc = &f->meta.row_groups[rg].columns[col];
    pq_loc loc = {f, f->leaves[col].name, rg, -1, -1};
    if (cc->has_offset_index) {
        loc.offset = cc->offset_index_offset;
        if (!in_data(f, cc->offset_index_offset, cc->offset_index_length))
            return pq_fail_at(err, &loc, VF_EFORMAT, "offset index of %d bytes lies outside the file",
                              (int)cc->offset_index_length);
        pq_offset_index *o = vf_arena_alloc(a, sizeof *o);
        if (!o) return vf_fail(err, VF_ENOMEM, "out of memory");
        vf_status st = pq_decode_offset_index(f->data + cc->offset_index_offset, (size_t)cc->offset_index_length, a, o, err);
        if (st != VF_OK) return pq_locate(err, &loc, st);
        if ((st = check_offset_index(f, rg, col, o, err)) != VF_OK) return st;
        *oi = o;
    }
    if (cc->has_column_index) {
        loc.offset = cc->column_index_offset;
        if (!in_data(f, cc->column_index_offset, cc->column_index_length))
            return pq_fail_at(err, &loc, VF_EFORMAT, "column index of %d bytes lies outside the file",
                              (int)cc->column_index_length);
        pq_column_index *c = vf_arena_alloc(a, sizeof *c);
        if (!c) return vf_fail(err, VF_ENOMEM, "out of memory");
        vf_status st = pq_decode_column_index(f->data + cc->column_index_offset, (size_t)cc->column_index_length, a, c, err);
        if (st != VF_OK) return pq_locate(err, &loc, st);
        if (*oi && c->n_pages != (*oi)->n_pages)
            return pq_fail_at(err, &loc, VF_EFORMAT, "column index has %d pages, offset index %d", c->n_pages,
                              (*oi)->n_pages);
        *ci = c;
    }
    return VF_OK;
}

vf_status pq_bloom_bitset(const pq_file *f, int rg, int col, const uint8_t **bitset, size_t *nbytes, vf_error *err) {
    *bitset = NULL;
    *nbytes = 0;
    const pq_column_meta *md = &f->meta.row_groups[rg].columns[col].meta;
    if (!md->has_bloom_filter_offset) return VF_OK;
    pq_loc loc = {f, f->leaves[col].name, rg, -1, md->bloom_filter_offset};
    int64_t off = md->bloom_filter_offset;
    /* the filter usually follows the data; without a stated length it runs at most to the footer */
    if (off < 4 || (uint64_t)off >= f->size - 8)
        return pq_fail_at(err, &loc, VF_EFORMAT, "bloom filter lies outside the file");
    size_t avail = f->size - 8 - (size_t)off;
    if (md->has_bloom_filter_length) {
        if (md->bloom_filter_length < 0 || (size_t)md->bloom_filter_length > avail)
            return pq_fail_at(err, &loc, VF_EFORMAT, "bloom filter of %d bytes lies outside the file",
                              (int)md->bloom_filter_length);
        avail = (size_t)md->bloom_filter_length;
    }
    pq_bloom_header h;
    size_t used;
    vf_status st = pq_decode_bloom_header(f->data + off, avail, &h, &used, err);
    if (st != VF_OK) return pq_locate(err, &loc, st);
    size_t n = (size_t)(h.num_bytes > 0 ? h.num_bytes : 0);
    if (h.num_bytes < 32 || (n & (n - 1)) != 0 || n > avail - used)
        return pq_fail_at(err, &loc, VF_EFORMAT, "bloom filter of %d bytes: not a power of two >= 32 inside the file",
                          (int)h.num_bytes);
    *bitset = f->data + off + used;
    *nbytes = n;
    return VF_OK;
}
