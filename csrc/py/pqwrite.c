/*
 * pqwrite.c - the binding of the Parquet writer: write_parquet().
 *
 * The Python layer (vpcflow/pqwrite.py) checks and translates the
 * arguments; this file turns them into a pq_write_opts, borrows the
 * table's columns (vfpy_colviews_parse) and writes with the GIL released.
 */
#include "binding.h"

#include "../codec/block.h"
#include "../parquet/writer.h"

/* A str (UTF-8) or bytes item as a C string kept alive by keep; NULL with
 * an exception on failure. */
static const char *c_string(PyObject *keep, PyObject *o, const char *what) {
    PyObject *b = PyUnicode_Check(o) ? PyUnicode_AsUTF8String(o) : Py_NewRef(o);
    if (!b) return NULL;
    if (!PyBytes_Check(b) || memchr(PyBytes_AS_STRING(b), 0, (size_t)PyBytes_GET_SIZE(b))) {
        PyErr_Format(PyExc_ValueError, "%s must be str or bytes without NUL characters", what);
        Py_DECREF(b);
        return NULL;
    }
    int rc = PyList_Append(keep, b);
    Py_DECREF(b);
    return rc < 0 ? NULL : PyBytes_AS_STRING(b);
}

/* A list of strings, or of (key, value) pairs, as C arrays in PyMem memory. */
static int c_strings(PyObject *keep, PyObject *list, const char ***keys, const char ***values, size_t *n,
                     const char *what) {
    PyObject *seq = PySequence_Fast(list, "expected a list");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    *keys = PyMem_Calloc((size_t)(len ? len : 1), sizeof **keys);
    if (values) *values = PyMem_Calloc((size_t)(len ? len : 1), sizeof **values);
    int rc = -1;
    if (!*keys || (values && !*values)) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i), *k = it, *v = NULL;
        if (values && !PyArg_ParseTuple(it, "OO", &k, &v)) goto out;
        if (!((*keys)[i] = c_string(keep, k, what))) goto out;
        if (values && !((*values)[i] = c_string(keep, v, what))) goto out;
    }
    *n = (size_t)len;
    rc = 0;
out:
    Py_DECREF(seq);
    return rc;
}

static PyObject *int64_list(const int64_t *v, int n) {
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *x = PyLong_FromLongLong((long long)v[i]);
        if (!x) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

/* write_parquet(columns, path, codec, level, row_group_rows, row_group_bytes, page_bytes, page_rows, page_version,
 *               dictionary, dictionary_page_limit, int_encoding, statistics, page_index, bloom_columns,
 *               bloom_fpp, metadata, threads, fail_after_bytes)
 * -> {"rows", "row_groups", "bytes", "compressed": [...], "uncompressed": [...]} */
static PyObject *py_write_parquet(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"columns", "path", "codec", "level", "row_group_rows", "row_group_bytes", "page_bytes",
                             "page_rows", "page_version", "dictionary", "dictionary_page_limit", "int_encoding", "statistics",
                             "page_index", "bloom_columns", "bloom_fpp", "metadata", "threads", "fail_after_bytes",
                             NULL};
    PyObject *columns, *path = NULL, *bloom = NULL, *meta = NULL;
    pq_write_opts o;
    pq_write_opts_init(&o);
    long long rg_rows = o.row_group_rows, rg_bytes = o.row_group_bytes, pg_rows = o.page_rows, fail_after = -1;
    Py_ssize_t page = (Py_ssize_t)o.page_bytes, dict_limit = (Py_ssize_t)o.dictionary_page_limit;
    int dictionary = 1, statistics = 1, page_index = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO&|iiLLnLipnippOdOiL", kwlist, &columns, PyUnicode_FSConverter, &path,
                                     &o.codec, &o.level, &rg_rows, &rg_bytes, &page, &pg_rows, &o.data_page_version, &dictionary,
                                     &dict_limit, &o.int_encoding, &statistics, &page_index, &bloom, &o.bloom_fpp,
                                     &meta, &o.threads, &fail_after))
        return NULL;
    if (page < 1 || pg_rows < 1 || dict_limit < 0) {
        Py_DECREF(path);
        PyErr_SetString(PyExc_ValueError, "page_bytes and page_rows must be >= 1 and dictionary_page_limit >= 0");
        return NULL;
    }
    o.row_group_rows = rg_rows;
    o.row_group_bytes = rg_bytes;
    o.page_bytes = (size_t)page;
    o.page_rows = pg_rows;
    o.dictionary_page_limit = (size_t)dict_limit;
    o.dictionary = dictionary;
    o.statistics = statistics;
    o.page_index = page_index;
    o.fail_after_bytes = fail_after;

    PyObject *keep = PyList_New(0), *result = NULL;
    const char **bloom_names = NULL, **keys = NULL, **values = NULL;
    int64_t *comp = NULL, *uncomp = NULL;
    vfpy_colviews cv = {0};
    if (!keep) goto out;
    if (bloom && bloom != Py_None) {
        if (c_strings(keep, bloom, &bloom_names, NULL, &o.n_bloom_columns, "bloom filter column names") < 0) goto out;
        o.bloom_columns = bloom_names;
    }
    if (meta && meta != Py_None) {
        if (c_strings(keep, meta, &keys, &values, &o.n_kv, "metadata keys and values") < 0) goto out;
        o.kv_keys = keys;
        o.kv_values = values;
    }
    if (vfpy_colviews_parse(columns, &cv) < 0) goto out;
    comp = PyMem_Calloc((size_t)(cv.ncols ? cv.ncols : 1), sizeof *comp);
    uncomp = PyMem_Calloc((size_t)(cv.ncols ? cv.ncols : 1), sizeof *uncomp);
    if (!comp || !uncomp) {
        PyErr_NoMemory();
        goto out;
    }
    pq_write_result res = {.col_compressed = comp, .col_uncompressed = uncomp};
    vf_error err;
    vf_status st;
    const char *cpath = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = pq_write_table(cpath, cv.cols, cv.ncols, cv.nrows, &o, &res, &err);
    Py_END_ALLOW_THREADS
    if (st != VF_OK) {
        vfpy_raise(m, VFPY_PARQUET, st, &err);
        goto out;
    }
    result = Py_BuildValue("{s:L,s:L,s:L,s:N,s:N}", "rows", (long long)res.rows, "row_groups",
                           (long long)res.row_groups, "bytes", (long long)res.file_bytes, "compressed",
                           int64_list(comp, cv.ncols), "uncompressed", int64_list(uncomp, cv.ncols));
out:
    vfpy_colviews_release(&cv);
    PyMem_Free(comp);
    PyMem_Free(uncomp);
    PyMem_Free(bloom_names);
    PyMem_Free(keys);
    PyMem_Free(values);
    Py_XDECREF(keep);
    Py_DECREF(path);
    return result;
}

static PyObject *py_created_by(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return PyUnicode_FromString(pq_writer_created_by());
}

PyMethodDef vfpy_pqwrite_methods[] = {
    {"write_parquet", (PyCFunction)(void (*)(void))py_write_parquet, METH_VARARGS | METH_KEYWORDS,
     "write_parquet(columns, path, ...) -> dict: write a table's columns to a Parquet file (vpcflow.write_parquet)"},
    {"parquet_created_by", py_created_by, METH_NOARGS, "the created_by string of files this build writes"},
    {NULL, NULL, 0, NULL},
};
