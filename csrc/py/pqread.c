/*
 * pqread.c - the binding of the Parquet reader (csrc/parquet/reader.h):
 * open a file into a handle, describe its metadata, statistics, page index
 * and bloom filters as Python objects, and read many files' row groups and
 * row ranges into one table.  vpcflow/pqread.py builds the public API on
 * these.
 *
 * A handle is a capsule owning the pq_file and, for in-memory files, the
 * buffer it reads from.  The GIL is released while a file is opened and
 * while it is read; everything else only walks the decoded footer.
 */
#include "binding.h"

#include "../codec/block.h"
#include "../parquet/bloom.h"
#include "../parquet/reader.h"

#include <string.h>

#define HANDLE_NAME "vpcflow.parquet_file"

typedef struct pqh {
    pq_file *f;
    Py_buffer view;
    bool has_view;
} pqh;

static void handle_free(PyObject *cap) {
    pqh *h = PyCapsule_GetPointer(cap, HANDLE_NAME);
    if (!h) return;
    pq_close(h->f);
    if (h->has_view) PyBuffer_Release(&h->view);
    PyMem_Free(h);
}

static const pq_file *get_file(PyObject *cap) {
    pqh *h = PyCapsule_GetPointer(cap, HANDLE_NAME);
    return h ? h->f : NULL;
}

/* The leaf `col` (an index or a name) of f, or -1 with an exception set. */
static int get_leaf(const pq_file *f, PyObject *col) {
    int i = -1;
    if (PyLong_Check(col)) {
        i = (int)PyLong_AsLong(col);
        if (i == -1 && PyErr_Occurred()) return -1;
        if (i < 0 || i >= f->nleaves) {
            PyErr_Format(PyExc_IndexError, "column index %d out of range (%d columns)", i, f->nleaves);
            return -1;
        }
        return i;
    }
    const char *name = PyUnicode_AsUTF8(col);
    if (!name) return -1;
    if ((i = pq_find_leaf(f, name)) < 0) PyErr_Format(PyExc_KeyError, "no column '%s' in %s", name, f->name);
    return i;
}

static int check_rg(const pq_file *f, int rg) {
    if (rg >= 0 && rg < f->meta.n_row_groups) return 0;
    PyErr_Format(PyExc_IndexError, "row group %d out of range (%d row groups)", rg, f->meta.n_row_groups);
    return -1;
}

/* ------------------------------------------------------------------ */
/* open(path_or_buffer, name) -> handle                                */
/* ------------------------------------------------------------------ */
static PyObject *py_pq_open(PyObject *m, PyObject *args) {
    PyObject *src, *nameobj;
    if (!PyArg_ParseTuple(args, "OO&", &src, PyUnicode_FSConverter, &nameobj)) return NULL;
    pqh *h = PyMem_Calloc(1, sizeof *h);
    if (!h) {
        Py_DECREF(nameobj);
        return PyErr_NoMemory();
    }
    const void *data = NULL;
    size_t len = 0;
    if (src != Py_None) {
        if (PyObject_GetBuffer(src, &h->view, PyBUF_SIMPLE) < 0) {
            PyMem_Free(h);
            Py_DECREF(nameobj);
            return NULL;
        }
        h->has_view = true;
        data = h->view.buf ? h->view.buf : "";
        len = (size_t)h->view.len;
    }
    const char *name = PyBytes_AS_STRING(nameobj);
    vf_error err;
    vf_error_clear(&err);
    vf_status st;
    Py_BEGIN_ALLOW_THREADS
    st = pq_open(name, data, len, &h->f, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(nameobj);
    if (st != VF_OK) {
        if (h->has_view) PyBuffer_Release(&h->view);
        PyMem_Free(h);
        return vfpy_raise(m, VFPY_PARQUET, st, &err);
    }
    PyObject *cap = PyCapsule_New(h, HANDLE_NAME, handle_free);
    if (!cap) {
        pq_close(h->f);
        if (h->has_view) PyBuffer_Release(&h->view);
        PyMem_Free(h);
    }
    return cap;
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */
/* ------------------------------------------------------------------ */
/* A string from the file: str when it is UTF-8, else bytes. */
static PyObject *text_or_bytes(const uint8_t *p, size_t n) {
    PyObject *s = PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, "strict");
    if (s || !PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) return s;
    PyErr_Clear();
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

static PyObject *kv_list(const pq_kv *kv, int n) {
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *k = text_or_bytes(kv[i].key.p ? kv[i].key.p : (const uint8_t *)"", kv[i].key.n);
        PyObject *v = kv[i].value.p ? text_or_bytes(kv[i].value.p, kv[i].value.n) : Py_NewRef(Py_None);
        PyObject *t = k && v ? PyTuple_Pack(2, k, v) : NULL;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (!t) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, t);
    }
    return l;
}

static const char *const converted_names[] = {
    "UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS", "TIME_MICROS",
    "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32",
    "INT_64", "JSON", "BSON", "INTERVAL"};

static const char *unit_text(int u) { return u == PQ_MILLIS ? "MILLIS" : u == PQ_MICROS ? "MICROS" : "NANOS"; }

/* The schema element's annotation as Parquet tools print it: "STRING",
 * "INTEGER(8,signed)", "TIMESTAMP(MICROS,UTC)", "DECIMAL(9,2)", ... or None. */
static PyObject *annotation(const pq_schema_elem *e) {
    const pq_logical *lt = &e->logical;
    switch (lt->kind) {
    case PQ_LT_NONE: break;
    case PQ_LT_STRING: return PyUnicode_FromString("STRING");
    case PQ_LT_MAP: return PyUnicode_FromString("MAP");
    case PQ_LT_LIST: return PyUnicode_FromString("LIST");
    case PQ_LT_ENUM: return PyUnicode_FromString("ENUM");
    case PQ_LT_DECIMAL: return PyUnicode_FromFormat("DECIMAL(%d,%d)", (int)lt->precision, (int)lt->scale);
    case PQ_LT_DATE: return PyUnicode_FromString("DATE");
    case PQ_LT_TIME: return PyUnicode_FromFormat("TIME(%s%s)", unit_text(lt->unit), lt->utc ? ",UTC" : "");
    case PQ_LT_TIMESTAMP: return PyUnicode_FromFormat("TIMESTAMP(%s%s)", unit_text(lt->unit), lt->utc ? ",UTC" : "");
    case PQ_LT_INTEGER:
        return PyUnicode_FromFormat("INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "signed" : "unsigned");
    case PQ_LT_UNKNOWN: return PyUnicode_FromString("UNKNOWN");
    case PQ_LT_JSON: return PyUnicode_FromString("JSON");
    case PQ_LT_BSON: return PyUnicode_FromString("BSON");
    case PQ_LT_UUID: return PyUnicode_FromString("UUID");
    case PQ_LT_FLOAT16: return PyUnicode_FromString("FLOAT16");
    case PQ_LT_VARIANT: return PyUnicode_FromString("VARIANT");
    case PQ_LT_GEOMETRY: return PyUnicode_FromString("GEOMETRY");
    case PQ_LT_GEOGRAPHY: return PyUnicode_FromString("GEOGRAPHY");
    default: return PyUnicode_FromString("(unknown logical type)");
    }
    if (e->has_converted_type && e->converted_type >= 0 &&
        e->converted_type < (int)(sizeof converted_names / sizeof *converted_names)) {
        if (e->converted_type == PQ_CT_DECIMAL)
            return PyUnicode_FromFormat("DECIMAL(%d,%d)", (int)e->precision, (int)e->scale);
        return PyUnicode_FromString(converted_names[e->converted_type]);
    }
    Py_RETURN_NONE;
}

static PyObject *leaf_info(const pq_file *f, const pq_leaf *l) {
    const pq_schema_elem *e = &f->meta.schema[l->schema_index];
    return Py_BuildValue("{s:N,s:s,s:N,s:N,s:N,s:N,s:O,s:i,s:i,s:i,s:N}", "name", vfpy_text(l->name), "physical",
                         pq_type_name(l->physical), "annotation", annotation(e), "logical",
                         l->logical ? PyUnicode_FromString(l->logical) : Py_NewRef(Py_None), "type",
                         l->vtype ? PyUnicode_FromString(vf_type_name(l->vtype)) : Py_NewRef(Py_None), "unreadable",
                         l->unreadable ? PyUnicode_FromString(l->unreadable) : Py_NewRef(Py_None), "nullable",
                         l->nullable ? Py_True : Py_False, "type_length", (int)l->type_length, "max_definition_level",
                         l->max_def, "max_repetition_level", l->max_rep, "field_id",
                         e->has_field_id ? PyLong_FromLong(e->field_id) : Py_NewRef(Py_None));
}

/* metadata(handle) -> dict */
static PyObject *py_pq_metadata(PyObject *m, PyObject *cap) {
    (void)m;
    const pq_file *f = get_file(cap);
    if (!f) return NULL;
    const pq_file_meta *md = &f->meta;
    PyObject *schema = PyList_New(f->nleaves);
    for (int i = 0; schema && i < f->nleaves; i++) {
        PyObject *d = leaf_info(f, &f->leaves[i]);
        if (!d) Py_CLEAR(schema);
        else PyList_SET_ITEM(schema, i, d);
    }
    if (!schema) return NULL;
    PyObject *rows = PyList_New(md->n_row_groups); /* what planning needs without decoding every row group */
    for (int i = 0; rows && i < md->n_row_groups; i++) {
        PyObject *n = PyLong_FromLongLong(md->row_groups[i].num_rows);
        if (!n) Py_CLEAR(rows);
        else PyList_SET_ITEM(rows, i, n);
    }
    if (!rows) {
        Py_DECREF(schema);
        return NULL;
    }
    return Py_BuildValue("{s:L,s:i,s:i,s:N,s:N,s:N,s:n,s:I,s:N}", "num_rows", (long long)md->num_rows,
                         "num_row_groups", md->n_row_groups, "version", (int)md->version, "created_by",
                         md->created_by ? vfpy_text(md->created_by) : Py_NewRef(Py_None), "key_value_metadata",
                         kv_list(md->kv, md->n_kv), "schema", schema, "size", (Py_ssize_t)f->size, "footer_length",
                         (unsigned)f->footer_len, "row_group_rows", rows);
}

static PyObject *stat_value(const pq_leaf *l, int kind, const pq_stat_value *v) {
    switch (kind) {
    case PQ_V_BOOL: return PyBool_FromLong((long)v->i);
    case PQ_V_INT: return PyLong_FromLongLong((long long)v->i);
    case PQ_V_UINT: return PyLong_FromUnsignedLongLong((unsigned long long)v->u);
    case PQ_V_FLOAT: return PyFloat_FromDouble(v->f);
    case PQ_V_BYTES:
        if (l->vtype == VF_T_STRING) return text_or_bytes(v->b.p ? v->b.p : (const uint8_t *)"", v->b.n);
        return PyBytes_FromStringAndSize((const char *)v->b.p, (Py_ssize_t)v->b.n);
    }
    Py_RETURN_NONE;
}

/* The typed statistics as a dict (min/max None when absent or unusable). */
static PyObject *stats_dict(const pq_leaf *l, const pq_stats_typed *s) {
    PyObject *mn = s->has_min ? stat_value(l, s->kind, &s->min) : Py_NewRef(Py_None);
    PyObject *mx = s->has_max ? stat_value(l, s->kind, &s->max) : Py_NewRef(Py_None);
    if (!mn || !mx) {
        Py_XDECREF(mn);
        Py_XDECREF(mx);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:O,s:O}", "min", mn, "max", mx, "null_count",
                         s->has_null_count ? PyLong_FromLongLong(s->null_count) : Py_NewRef(Py_None), "distinct_count",
                         s->has_distinct_count ? PyLong_FromLongLong(s->distinct_count) : Py_NewRef(Py_None),
                         "nan_count", s->has_nan_count ? PyLong_FromLongLong(s->nan_count) : Py_NewRef(Py_None),
                         "min_exact", s->min_exact ? Py_True : Py_False, "max_exact", s->max_exact ? Py_True : Py_False);
}

static PyObject *chunk_info(const pq_file *f, int rg, int c) {
    const pq_column_chunk *cc = &f->meta.row_groups[rg].columns[c];
    const pq_column_meta *md = &cc->meta;
    const pq_leaf *l = &f->leaves[c];
    PyObject *encs = PyList_New(md->n_encodings);
    for (int i = 0; encs && i < md->n_encodings; i++) {
        PyObject *s = PyUnicode_FromString(pq_encoding_name(md->encodings[i]));
        if (!s) Py_CLEAR(encs);
        else PyList_SET_ITEM(encs, i, s);
    }
    if (!encs) return NULL;
    PyObject *stats;
    if (md->has_statistics) {
        pq_stats_typed s;
        pq_chunk_stats(f, rg, c, &s);
        stats = stats_dict(l, &s);
    } else {
        stats = Py_NewRef(Py_None);
    }
    if (!stats) {
        Py_DECREF(encs);
        return NULL;
    }
#define OPT_I64(has, v) ((has) ? PyLong_FromLongLong((long long)(v)) : Py_NewRef(Py_None))
    return Py_BuildValue(
        "{s:N,s:s,s:s,s:N,s:L,s:L,s:L,s:L,s:N,s:N,s:O,s:N,s:N,s:O,s:O,s:N,s:N}", "name", vfpy_text(l->name), "physical",
        pq_type_name(md->type), "codec", vf_block_name(md->codec), "encodings", encs, "num_values",
        (long long)md->num_values, "total_compressed_size", (long long)md->total_compressed_size,
        "total_uncompressed_size", (long long)md->total_uncompressed_size, "data_page_offset",
        (long long)md->data_page_offset, "dictionary_page_offset",
        OPT_I64(md->has_dictionary_page_offset, md->dictionary_page_offset), "statistics", stats, "has_bloom_filter",
        md->has_bloom_filter_offset ? Py_True : Py_False, "bloom_filter_offset",
        OPT_I64(md->has_bloom_filter_offset, md->bloom_filter_offset), "bloom_filter_length",
        OPT_I64(md->has_bloom_filter_length, md->bloom_filter_length), "has_column_index",
        cc->has_column_index ? Py_True : Py_False, "has_offset_index", cc->has_offset_index ? Py_True : Py_False,
        "key_value_metadata", kv_list(md->kv, md->n_kv), "codec_supported",
        PyBool_FromLong(vf_block_supported(md->codec)));
#undef OPT_I64
}

/* row_group(handle, i) -> dict */
static PyObject *py_pq_row_group(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *cap;
    int rg;
    if (!PyArg_ParseTuple(args, "Oi", &cap, &rg)) return NULL;
    const pq_file *f = get_file(cap);
    if (!f || check_rg(f, rg) < 0) return NULL;
    const pq_row_group *g = &f->meta.row_groups[rg];
    PyObject *cols = PyList_New(g->n_columns);
    for (int c = 0; cols && c < g->n_columns; c++) {
        PyObject *d = chunk_info(f, rg, c);
        if (!d) Py_CLEAR(cols);
        else PyList_SET_ITEM(cols, c, d);
    }
    if (!cols) return NULL;
    PyObject *sorting = PyList_New(g->n_sorting_columns);
    for (int i = 0; sorting && i < g->n_sorting_columns; i++) {
        const pq_sorting_column *s = &g->sorting_columns[i];
        PyObject *t = Py_BuildValue("(iOO)", (int)s->column_idx, s->descending ? Py_True : Py_False,
                                    s->nulls_first ? Py_True : Py_False);
        if (!t) Py_CLEAR(sorting);
        else PyList_SET_ITEM(sorting, i, t);
    }
    if (!sorting) {
        Py_DECREF(cols);
        return NULL;
    }
    return Py_BuildValue("{s:L,s:L,s:N,s:N,s:N}", "num_rows", (long long)g->num_rows, "total_byte_size",
                         (long long)g->total_byte_size, "total_compressed_size",
                         g->has_total_compressed_size ? PyLong_FromLongLong(g->total_compressed_size)
                                                      : Py_NewRef(Py_None),
                         "columns", cols, "sorting_columns", sorting);
}

/* column_stats(handle, col) -> [None or (min, max, null_count)] per row group: what planning needs
 * of one column in every row group, without building the full row-group descriptions. */
static PyObject *py_pq_column_stats(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *cap, *col;
    if (!PyArg_ParseTuple(args, "OO", &cap, &col)) return NULL;
    const pq_file *f = get_file(cap);
    if (!f) return NULL;
    int c = get_leaf(f, col);
    if (c < 0) return NULL;
    const pq_leaf *l = &f->leaves[c];
    PyObject *res = PyList_New(f->meta.n_row_groups);
    for (int rg = 0; res && rg < f->meta.n_row_groups; rg++) {
        PyObject *item;
        const pq_row_group *g = &f->meta.row_groups[rg];
        if (c >= g->n_columns || !g->columns[c].meta.has_statistics) {
            item = Py_NewRef(Py_None);
        } else {
            pq_stats_typed s;
            pq_chunk_stats(f, rg, c, &s);
            PyObject *mn = s.has_min ? stat_value(l, s.kind, &s.min) : Py_NewRef(Py_None);
            PyObject *mx = s.has_max ? stat_value(l, s.kind, &s.max) : Py_NewRef(Py_None);
            PyObject *nulls = s.has_null_count ? PyLong_FromLongLong(s.null_count) : Py_NewRef(Py_None);
            item = mn && mx && nulls ? PyTuple_Pack(3, mn, mx, nulls) : NULL;
            Py_XDECREF(mn);
            Py_XDECREF(mx);
            Py_XDECREF(nulls);
        }
        if (!item) Py_CLEAR(res);
        else PyList_SET_ITEM(res, rg, item);
    }
    return res;
}

/* chunk_sizes(handle) -> bytes: int64 total_compressed_size of every column chunk, row group by
 * row group (n_row_groups x n_leaves, native order) */
static PyObject *py_pq_chunk_sizes(PyObject *m, PyObject *cap) {
    (void)m;
    const pq_file *f = get_file(cap);
    if (!f) return NULL;
    int nrg = f->meta.n_row_groups, nc = f->nleaves;
    PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nrg * nc * (Py_ssize_t)sizeof(int64_t));
    if (!res) return NULL;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(res);
    for (int rg = 0; rg < nrg; rg++) {
        const pq_row_group *g = &f->meta.row_groups[rg];
        for (int c = 0; c < nc; c++) out[(size_t)rg * nc + c] = c < g->n_columns ? g->columns[c].meta.total_compressed_size : 0;
    }
    return res;
}

/* ------------------------------------------------------------------ */
/* page index and bloom filters                                        */
/* ------------------------------------------------------------------ */
/* page_index(handle, rg, col) -> None or [(first_row, rows, offset,
 * compressed_size, min, max, null_count, null_page)] */
static PyObject *py_pq_page_index(PyObject *m, PyObject *args) {
    PyObject *cap, *col;
    int rg;
    if (!PyArg_ParseTuple(args, "OiO", &cap, &rg, &col)) return NULL;
    const pq_file *f = get_file(cap);
    if (!f || check_rg(f, rg) < 0) return NULL;
    int c = get_leaf(f, col);
    if (c < 0) return NULL;
    vf_arena a = {0};
    pq_column_index *ci;
    pq_offset_index *oi;
    vf_error err;
    vf_error_clear(&err);
    vf_status st = pq_page_index(f, rg, c, &a, &ci, &oi, &err);
    if (st != VF_OK) {
        vf_arena_free(&a);
        return vfpy_raise(m, VFPY_PARQUET, st, &err);
    }
    if (!ci && !oi) {
        vf_arena_free(&a);
        Py_RETURN_NONE;
    }
    int n = oi ? oi->n_pages : ci->n_pages;
    int64_t rows = f->meta.row_groups[rg].num_rows;
    const pq_leaf *l = &f->leaves[c];
    PyObject *res = PyList_New(n);
    for (int k = 0; res && k < n; k++) {
        PyObject *first = Py_None, *nrows = Py_None, *off = Py_None, *size = Py_None, *mn = Py_None, *mx = Py_None;
        PyObject *nulls = Py_None, *null_page = Py_None;
        if (oi) {
            const pq_page_location *p = &oi->page_locations[k];
            int64_t end = k + 1 < n ? oi->page_locations[k + 1].first_row_index : rows;
            first = PyLong_FromLongLong(p->first_row_index);
            nrows = PyLong_FromLongLong(end - p->first_row_index);
            off = PyLong_FromLongLong(p->offset);
            size = PyLong_FromLong(p->compressed_page_size);
        }
        if (ci) {
            null_page = ci->null_pages[k] ? Py_True : Py_False;
            if (!ci->null_pages[k]) {
                pq_stats_typed s;
                memset(&s, 0, sizeof s);
                pq_stat_bounds(f, l, l->column_order_known ? ci->min_values[k] : (pq_bytes){0},
                               l->column_order_known ? ci->max_values[k] : (pq_bytes){0}, &s);
                if (l->sort == PQ_SORT_UNKNOWN) s.has_min = s.has_max = false;
                mn = s.has_min ? stat_value(l, s.kind, &s.min) : Py_None;
                mx = s.has_max ? stat_value(l, s.kind, &s.max) : Py_None;
            }
            if (ci->has_null_counts) nulls = PyLong_FromLongLong(ci->null_counts[k]);
        }
        PyObject *t = Py_BuildValue("(OOOOOOOO)", first, nrows, off, size, mn, mx, nulls, null_page);
        PyObject *objs[] = {first, nrows, off, size, mn, mx, nulls};
        for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
            if (objs[i] != Py_None) Py_XDECREF(objs[i]);
        if (!t) Py_CLEAR(res);
        else PyList_SET_ITEM(res, k, t);
    }
    vf_arena_free(&a);
    return res;
}

/* The PLAIN encoding of a Python value for a column of physical type
 * `phys` into buf (the bytes to hash); NULL when the value cannot be in
 * such a column.  Byte strings point into the object (or buf). */
static const uint8_t *plain_value(const pq_leaf *l, PyObject *v, uint8_t buf[16], size_t *n) {
    switch (l->physical) {
    case PQ_INT32:
    case PQ_INT64: {
        if (!PyLong_Check(v)) return NULL;
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow > 0) { /* an unsigned 64-bit value */
            unsigned long long u = PyLong_AsUnsignedLongLong(v);
            if (PyErr_Occurred()) {
                PyErr_Clear();
                return NULL;
            }
            x = (long long)u;
        } else if (overflow < 0 || (x == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return NULL;
        }
        if (l->physical == PQ_INT32) {
            if (x < INT32_MIN || x > (long long)UINT32_MAX) return NULL;
            uint32_t u = (uint32_t)x;
            memcpy(buf, &u, 4);
            *n = 4;
        } else {
            memcpy(buf, &x, 8);
            *n = 8;
        }
        return buf;
    }
    case PQ_FLOAT:
    case PQ_DOUBLE: {
        double d = PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return NULL;
        }
        if (l->physical == PQ_FLOAT) {
            float x = (float)d;
            memcpy(buf, &x, 4);
            *n = 4;
        } else {
            memcpy(buf, &d, 8);
            *n = 8;
        }
        return buf;
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY: {
        const char *p;
        Py_ssize_t len;
        if (PyUnicode_Check(v)) {
            p = PyUnicode_AsUTF8AndSize(v, &len);
        } else if (PyBytes_Check(v)) {
            p = PyBytes_AS_STRING(v);
            len = PyBytes_GET_SIZE(v);
        } else {
            return NULL;
        }
        if (!p) {
            PyErr_Clear();
            return NULL;
        }
        if (l->physical == PQ_FIXED_LEN_BYTE_ARRAY && len != l->type_length) return NULL;
        *n = (size_t)len;
        return (const uint8_t *)p;
    }
    }
    return NULL;
}

/* bloom(handle, rg, col, values) -> None (no filter), or whether any value may be present */
static PyObject *py_pq_bloom(PyObject *m, PyObject *args) {
    PyObject *cap, *col, *values;
    int rg;
    if (!PyArg_ParseTuple(args, "OiOO", &cap, &rg, &col, &values)) return NULL;
    const pq_file *f = get_file(cap);
    if (!f || check_rg(f, rg) < 0) return NULL;
    int c = get_leaf(f, col);
    if (c < 0) return NULL;
    const uint8_t *bits;
    size_t nbytes;
    vf_error err;
    vf_error_clear(&err);
    vf_status st = pq_bloom_bitset(f, rg, c, &bits, &nbytes, &err);
    if (st != VF_OK) return vfpy_raise(m, VFPY_PARQUET, st, &err);
    if (!bits) Py_RETURN_NONE;
    const pq_leaf *l = &f->leaves[c];
    if (l->physical == PQ_BOOLEAN || l->physical == PQ_INT96) Py_RETURN_TRUE; /* no hashing defined: cannot exclude */
    PyObject *seq = PySequence_Fast(values, "values must be a sequence");
    if (!seq) return NULL;
    bool any = false;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq) && !any; i++) {
        uint8_t buf[16];
        size_t n = 0;
        const uint8_t *p = plain_value(l, PySequence_Fast_GET_ITEM(seq, i), buf, &n);
        if (p) any = pq_bloom_check(bits, nbytes, pq_xxhash64(p, n, 0));
    }
    Py_DECREF(seq);
    return PyBool_FromLong(any);
}

/* ------------------------------------------------------------------ */
/* read(handles, row_groups, columns, addresses, threads, check_crc)   */
/* ------------------------------------------------------------------ */
/* row_groups[k]: None (every row group) or [(rg, None | [(start, end), ...]), ...] */
typedef struct read_args {
    pq_file_req *req;
    pq_rg_req *rgs;
    pq_range *ranges;
    const char **cols, **addrs;
    size_t ncols, naddr;
} read_args;

static void read_args_free(read_args *a) {
    PyMem_Free(a->req);
    PyMem_Free(a->rgs);
    PyMem_Free(a->ranges);
    PyMem_Free(a->cols);
    PyMem_Free(a->addrs);
}

/* A list of str as C strings (borrowed from the list's items). */
static int str_list(PyObject *o, const char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (o == Py_None) return 0;
    PyObject *seq = PySequence_Fast(o, "expected a list of column names");
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    *out = PyMem_Calloc((size_t)(k ? k : 1), sizeof **out);
    int rc = *out ? 0 : -1;
    if (!*out) PyErr_NoMemory();
    for (Py_ssize_t i = 0; rc == 0 && i < k; i++)
        if (!((*out)[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i)))) rc = -1;
    *n = (size_t)k;
    Py_DECREF(seq); /* the strings stay alive in the caller's list */
    return rc;
}

static Py_ssize_t count_selection(PyObject *sel, Py_ssize_t *nranges) {
    Py_ssize_t n = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(sel); k++) {
        PyObject *r = PyList_GET_ITEM(sel, k);
        if (r == Py_None) continue;
        if (!PyList_Check(r)) {
            PyErr_SetString(PyExc_TypeError, "row_groups[k] must be None or a list of (rg, ranges)");
            return -1;
        }
        n += PyList_GET_SIZE(r);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(r); i++) {
            PyObject *t = PyList_GET_ITEM(r, i);
            if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2) {
                PyErr_SetString(PyExc_TypeError, "row groups must be (index, ranges) tuples");
                return -1;
            }
            PyObject *rr = PyTuple_GET_ITEM(t, 1);
            if (rr != Py_None) {
                Py_ssize_t len = PySequence_Length(rr);
                if (len < 0) return -1;
                *nranges += len;
            }
        }
    }
    return n;
}

static int parse_selection(PyObject *handles, PyObject *sel, read_args *a) {
    Py_ssize_t nf = PyList_GET_SIZE(handles), nranges = 0;
    if (!PyList_Check(sel) || PyList_GET_SIZE(sel) != nf) {
        PyErr_SetString(PyExc_ValueError, "row_groups must be a list with one entry per file");
        return -1;
    }
    Py_ssize_t nrg = count_selection(sel, &nranges);
    if (nrg < 0) return -1;
    a->req = PyMem_Calloc((size_t)(nf ? nf : 1), sizeof *a->req);
    a->rgs = PyMem_Calloc((size_t)(nrg ? nrg : 1), sizeof *a->rgs);
    a->ranges = PyMem_Calloc((size_t)(nranges ? nranges : 1), sizeof *a->ranges);
    if (!a->req || !a->rgs || !a->ranges) {
        PyErr_NoMemory();
        return -1;
    }
    size_t gi = 0, ri = 0;
    for (Py_ssize_t k = 0; k < nf; k++) {
        if (!(a->req[k].file = get_file(PyList_GET_ITEM(handles, k)))) return -1;
        PyObject *r = PyList_GET_ITEM(sel, k);
        if (r == Py_None) continue;
        a->req[k].rgs = a->rgs + gi;
        a->req[k].nrgs = (size_t)PyList_GET_SIZE(r);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(r); i++, gi++) {
            PyObject *t = PyList_GET_ITEM(r, i), *rr = PyTuple_GET_ITEM(t, 1);
            a->rgs[gi].rg = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
            if (a->rgs[gi].rg == -1 && PyErr_Occurred()) return -1;
            if (rr == Py_None) continue;
            PyObject *seq = PySequence_Fast(rr, "ranges must be a sequence of (start, end)");
            if (!seq) return -1;
            a->rgs[gi].ranges = a->ranges + ri;
            a->rgs[gi].nranges = (size_t)PySequence_Fast_GET_SIZE(seq);
            for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++, ri++) {
                long long s, e;
                if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, j), "LL", &s, &e)) {
                    Py_DECREF(seq);
                    return -1;
                }
                a->ranges[ri] = (pq_range){s, e};
            }
            Py_DECREF(seq);
        }
    }
    return 0;
}

static PyObject *py_pq_read(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"handles", "row_groups", "columns", "addresses", "threads", "check_crc", NULL};
    PyObject *handles, *sel, *cols = Py_None, *addrs = Py_None;
    int threads = 1, check_crc = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O|OOip", kwlist, &PyList_Type, &handles, &sel, &cols, &addrs,
                                     &threads, &check_crc))
        return NULL;
    read_args a = {0};
    PyObject *result = NULL;
    if (parse_selection(handles, sel, &a) < 0 || str_list(cols, &a.cols, &a.ncols) < 0 ||
        str_list(addrs, &a.addrs, &a.naddr) < 0)
        goto out;
    pq_read_opts o;
    pq_read_opts_init(&o);
    o.columns = cols == Py_None ? NULL : a.cols;
    o.ncolumns = a.ncols;
    o.addr_columns = addrs == Py_None ? NULL : a.addrs;
    o.naddr = a.naddr;
    o.threads = threads;
    o.check_crc = check_crc != 0;
    o.pool = vfpy_get_state(m)->pool;
    vf_table *t = NULL;
    pq_read_stats s;
    vf_error err;
    vf_error_clear(&err);
    vf_status st;
    Py_BEGIN_ALLOW_THREADS
    st = pq_read(a.req, (size_t)PyList_GET_SIZE(handles), &o, &t, &s, &err);
    Py_END_ALLOW_THREADS
    if (st != VF_OK) {
        vfpy_raise(m, VFPY_PARQUET, st, &err);
        goto out;
    }
    PyObject *table = vfpy_table_to_py(t);
    vf_table_free(t);
    if (!table) goto out;
    result = Py_BuildValue("(N{s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L})", table, "files", (long long)s.files,
                           "row_groups_read", (long long)s.row_groups_read, "row_groups_skipped",
                           (long long)s.row_groups_skipped, "pages_read", (long long)s.pages_read, "pages_skipped",
                           (long long)s.pages_skipped, "bytes_read", (long long)s.bytes_read, "bytes_total",
                           (long long)s.bytes_total, "rows", (long long)s.rows);
out:
    read_args_free(&a);
    return result;
}

PyMethodDef vfpy_pqread_methods[] = {
    {"pq_open", py_pq_open, METH_VARARGS, "pq_open(buffer_or_None, name) -> handle (name is the path when no buffer)"},
    {"pq_metadata", py_pq_metadata, METH_O, "pq_metadata(handle) -> dict"},
    {"pq_row_group", py_pq_row_group, METH_VARARGS, "pq_row_group(handle, rg) -> dict"},
    {"pq_column_stats", py_pq_column_stats, METH_VARARGS,
     "pq_column_stats(handle, col) -> [None or (min, max, null_count)] per row group"},
    {"pq_chunk_sizes", py_pq_chunk_sizes, METH_O, "pq_chunk_sizes(handle) -> int64 bytes, row groups x columns"},
    {"pq_page_index", py_pq_page_index, METH_VARARGS, "pq_page_index(handle, rg, col) -> None or list of pages"},
    {"pq_bloom", py_pq_bloom, METH_VARARGS, "pq_bloom(handle, rg, col, values) -> None (no filter) or bool"},
    {"pq_read", (PyCFunction)(void (*)(void))py_pq_read, METH_VARARGS | METH_KEYWORDS,
     "pq_read(handles, row_groups, columns=None, addresses=None, threads=1, check_crc=False) -> (table, stats)"},
    {NULL, NULL, 0, NULL},
};
