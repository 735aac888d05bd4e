/*
 * module.c - vpcflow._core: the module object, its state, and the helpers
 * every binding file shares (binding.h).
 *
 * Core errors (vf_status + vf_error) become Python exceptions in one
 * place, vfpy_raise().  Column buffers allocated by the core are handed to
 * NumPy without copying: each array's base is a capsule that frees the
 * buffer, or gives it back to the module's buffer pool (vf_pool) when the
 * reader took it from there.
 */
#define VFPY_IMPORT_ARRAY
#include "binding.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* module state: the exception classes the Python layer registers      */
/* ------------------------------------------------------------------ */
vfpy_state *vfpy_get_state(PyObject *m) { return (vfpy_state *)PyModule_GetState(m); }

PyObject *vfpy_text(const char *s) {
    return PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)(s ? strlen(s) : 0), "replace");
}

PyObject *vfpy_raise(PyObject *m, vfpy_errkind kind, vf_status st, const vf_error *e) {
    if (st == VF_ENOMEM) return PyErr_NoMemory();
    PyObject *msg = vfpy_text(e->msg);
    if (!msg) return NULL;
    if (st == VF_EIO) {
        PyErr_SetObject(PyExc_OSError, msg);
        Py_DECREF(msg);
        return NULL;
    }
    PyObject *cls = (unsigned)kind < VFPY_NKINDS ? vfpy_get_state(m)->errors[kind] : NULL;
    if (!cls || st == VF_EARG) cls = PyExc_ValueError;
    PyObject *args = PyTuple_Pack(1, msg);
    Py_DECREF(msg);
    PyObject *kw = NULL;
    if (args && cls != PyExc_ValueError)
        kw = Py_BuildValue("{s:N,s:L,s:L,s:N,s:N,s:s}", "file", PyUnicode_DecodeFSDefault(e->file), "line",
                           (long long)e->line, "offset", (long long)e->offset, "field", vfpy_text(e->field), "text",
                           vfpy_text(e->text), "kind", vf_status_name(st));
    if (args && (kw || cls == PyExc_ValueError)) {
        PyObject *exc = PyObject_Call(cls, args, kw);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
    }
    Py_XDECREF(kw);
    Py_XDECREF(args);
    return NULL;
}

/* _set_errors(parse_error, parquet_error, query_error) */
static PyObject *set_errors(PyObject *m, PyObject *args) {
    PyObject *cls[VFPY_NKINDS];
    if (!PyArg_ParseTuple(args, "OOO", &cls[0], &cls[1], &cls[2])) return NULL;
    vfpy_state *s = vfpy_get_state(m);
    for (int i = 0; i < VFPY_NKINDS; i++) Py_XSETREF(s->errors[i], Py_NewRef(cls[i]));
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* handing malloc'd buffers to NumPy                                   */
/* ------------------------------------------------------------------ */
int vfpy_npy_type(vf_type t) {
    switch (t) {
    case VF_T_INT64: return NPY_INT64;
    case VF_T_BOOL: return NPY_BOOL;
    case VF_T_FLOAT32: return NPY_FLOAT32;
    case VF_T_FLOAT64: return NPY_FLOAT64;
    case VF_T_INT8: return NPY_INT8;
    case VF_T_INT16: return NPY_INT16;
    case VF_T_UINT8: return NPY_UINT8;
    case VF_T_UINT16: return NPY_UINT16;
    case VF_T_UINT32: return NPY_UINT32;
    case VF_T_UINT64: return NPY_UINT64;
    default: return NPY_INT32; /* int32, and the codes of dictionary types */
    }
}

static void capsule_free(PyObject *cap) { free(PyCapsule_GetPointer(cap, "vpcflow.buffer")); }

/* A pooled block's way back: the pool (a reference) and the request it answered. */
typedef struct pooled {
    vf_pool *pool;
    size_t n, sz;
} pooled;

static void capsule_give(PyObject *cap) {
    pooled *b = PyCapsule_GetContext(cap);
    vf_pool_give(b->pool, PyCapsule_GetPointer(cap, "vpcflow.buffer"), b->n, b->sz);
    vf_pool_unref(b->pool);
    free(b);
}

/* The array over buf whose base is cap (which owns buf); steals cap. */
static PyObject *array_on(PyObject *cap, void *buf, npy_intp n, int typenum) {
    PyObject *arr = PyArray_SimpleNewFromData(1, &n, typenum, buf);
    if (!arr) {
        Py_DECREF(cap);
        return NULL;
    }
    if (PyArray_SetBaseObject((PyArrayObject *)arr, cap) < 0) { /* steals cap even when it fails */
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

PyObject *vfpy_own_array(void *buf, npy_intp n, int typenum) {
    if (!buf) {
        buf = malloc(1);
        if (!buf) return PyErr_NoMemory();
    }
    PyObject *cap = PyCapsule_New(buf, "vpcflow.buffer", capsule_free);
    if (!cap) {
        free(buf);
        return NULL;
    }
    return array_on(cap, buf, n, typenum);
}

PyObject *vfpy_own_rows(vf_pool *pool, void *buf, npy_intp n, int typenum, size_t sz) {
    if (!pool || !buf) return vfpy_own_array(buf, n, typenum);
    pooled *b = malloc(sizeof *b);
    PyObject *cap = b ? PyCapsule_New(buf, "vpcflow.buffer", capsule_give) : NULL;
    if (!cap || PyCapsule_SetContext(cap, b) < 0) {
        if (cap) { /* no context yet: its destructor must not run */
            PyCapsule_SetDestructor(cap, NULL);
            Py_DECREF(cap);
        }
        free(b);
        free(buf);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    *b = (pooled){vf_pool_ref(pool), (size_t)n, sz};
    return array_on(cap, buf, n, typenum);
}

PyObject *vfpy_copy_array(const void *src, npy_intp n, int typenum) {
    PyObject *arr = PyArray_SimpleNew(1, &n, typenum);
    if (arr && n) memcpy(PyArray_DATA((PyArrayObject *)arr), src, (size_t)PyArray_NBYTES((PyArrayObject *)arr));
    return arr;
}

PyObject *vfpy_dict_to_py(const vf_dict *d) {
    npy_intp n = vf_dict_size(d);
    if (vf_dict_type(d) == VF_T_ADDR) {
        PyObject *a = vfpy_copy_array(vf_dict_addrs(d), n * 16, NPY_UINT8);
        PyObject *f = vfpy_copy_array(vf_dict_families(d), n, NPY_UINT8);
        if (!a || !f) {
            Py_XDECREF(a);
            Py_XDECREF(f);
            return NULL;
        }
        return Py_BuildValue("(sNN)", "address", a, f);
    }
    const int64_t *o = vf_dict_offsets(d);
    PyObject *offs = vfpy_copy_array(o, n + 1, NPY_INT64);
    PyObject *data = PyBytes_FromStringAndSize(vf_dict_data(d), (Py_ssize_t)o[n]);
    if (!offs || !data) {
        Py_XDECREF(offs);
        Py_XDECREF(data);
        return NULL;
    }
    return Py_BuildValue("(sNN)", vf_dict_type(d) == VF_T_BINARY ? "binary" : "string", offs, data);
}

PyObject *vfpy_table_to_py(vf_table *t) {
    PyObject *cols = PyList_New(t->ncols);
    if (!cols) return NULL;
    for (int i = 0; i < t->ncols; i++) {
        vf_column *c = &t->cols[i];
        PyObject *vals = vfpy_own_rows(c->pool, c->values, (npy_intp)t->nrows, vfpy_npy_type(c->type),
                                       vf_type_width(c->type));
        c->values = NULL;
        PyObject *valid;
        if (c->valid) {
            valid = vfpy_own_rows(c->pool, c->valid, (npy_intp)t->nrows, NPY_BOOL, 1);
            c->valid = NULL;
        } else {
            valid = Py_NewRef(Py_None);
        }
        PyObject *dict = c->dict ? vfpy_dict_to_py(c->dict) : Py_NewRef(Py_None);
        PyObject *logical = c->logical ? vfpy_text(c->logical) : Py_NewRef(Py_None);
        if (!vals || !valid || !dict || !logical) {
            Py_XDECREF(vals);
            Py_XDECREF(valid);
            Py_XDECREF(dict);
            Py_XDECREF(logical);
            Py_DECREF(cols);
            return NULL;
        }
        PyObject *tup = Py_BuildValue("(NsNNNLN)", vfpy_text(c->name), vf_type_name(c->type), vals, valid, dict,
                                      (long long)c->null_count, logical);
        if (!tup) {
            Py_DECREF(cols);
            return NULL;
        }
        PyList_SET_ITEM(cols, i, tup);
    }
    const vf_report *r = &t->report;
    PyObject *bad = PyList_New((Py_ssize_t)r->nbad_kept);
    if (!bad) {
        Py_DECREF(cols);
        return NULL;
    }
    for (int64_t i = 0; i < r->nbad_kept; i++) {
        const vf_bad_record *b = &r->bad[i];
        PyObject *item = Py_BuildValue("(iLNNNL)", b->source, (long long)b->line,
                                       b->field ? vfpy_text(b->field) : Py_NewRef(Py_None), vfpy_text(b->text),
                                       vfpy_text(b->message), (long long)b->offset);
        if (!item) {
            Py_DECREF(cols);
            Py_DECREF(bad);
            return NULL;
        }
        PyList_SET_ITEM(bad, (Py_ssize_t)i, item);
    }
    PyObject *report = Py_BuildValue(
        "{s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L}", "files", (long long)r->files, "lines", (long long)r->lines,
        "rows", (long long)r->rows, "bad_lines", (long long)r->bad_lines, "header_lines", (long long)r->header_lines,
        "blank_lines", (long long)r->blank_lines, "ms_fixed", (long long)r->ms_fixed, "bytes_in", (long long)r->bytes_in,
        "bytes_text", (long long)r->bytes_text, "payloads", (long long)r->payloads, "control_messages",
        (long long)r->control_messages, "messages", (long long)r->messages);
    if (!report) {
        Py_DECREF(cols);
        Py_DECREF(bad);
        return NULL;
    }
    return Py_BuildValue("{s:L,s:N,s:N,s:N}", "nrows", (long long)t->nrows, "columns", cols, "report", report, "bad",
                         bad);
}

/* ------------------------------------------------------------------ */
/* columns passed in from Python                                       */
/* ------------------------------------------------------------------ */
vf_type vfpy_type_from_name(const char *s) {
    for (int t = VF_T_INT32; t <= VF_T_UINT64; t++)
        if (strcmp(s, vf_type_name((vf_type)t)) == 0) return (vf_type)t;
    return (vf_type)0;
}

/* A contiguous 1-D array of typenum from o, kept alive in keep; NULL on error. */
static PyArrayObject *keep_array(PyObject *keep, PyObject *o, int typenum, const char *what, const char *col) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(o, typenum, 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!a) {
        PyErr_Format(PyExc_TypeError, "column %s: %s must be a 1-D array", col, what);
        return NULL;
    }
    int rc = PyList_Append(keep, (PyObject *)a);
    Py_DECREF(a); /* the list holds it */
    return rc < 0 ? NULL : a;
}

static int parse_dict(PyObject *keep, PyObject *d, vf_colview *v) {
    const char *kind;
    PyObject *a, *b;
    if (!PyArg_ParseTuple(d, "sOO", &kind, &a, &b)) return -1;
    if (strcmp(kind, "address") == 0) {
        PyArrayObject *addrs = keep_array(keep, a, NPY_UINT8, "address dictionary", v->name);
        PyArrayObject *fams = addrs ? keep_array(keep, b, NPY_UINT8, "address families", v->name) : NULL;
        if (!fams) return -1;
        npy_intp n = PyArray_SIZE(fams);
        if (PyArray_SIZE(addrs) != 16 * n || n > INT32_MAX) {
            PyErr_Format(PyExc_ValueError, "column %s: address dictionary of %zd entries needs %zd bytes", v->name,
                         (Py_ssize_t)n, (Py_ssize_t)(16 * n));
            return -1;
        }
        v->dict_n = (int32_t)n;
        v->dict_addrs = PyArray_DATA(addrs);
        v->dict_fams = PyArray_DATA(fams);
        return 0;
    }
    PyArrayObject *offs = keep_array(keep, a, NPY_INT64, "dictionary offsets", v->name);
    if (!offs) return -1;
    if (!PyBytes_Check(b) || PyList_Append(keep, b) < 0) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "column %s: dictionary data must be bytes", v->name);
        return -1;
    }
    npy_intp n = PyArray_SIZE(offs) - 1;
    const int64_t *o = PyArray_DATA(offs);
    if (n < 0 || n > INT32_MAX || o[0] != 0) {
        PyErr_Format(PyExc_ValueError, "column %s: bad dictionary offsets", v->name);
        return -1;
    }
    for (npy_intp i = 0; i < n; i++)
        if (o[i + 1] < o[i]) {
            PyErr_Format(PyExc_ValueError, "column %s: dictionary offsets decrease at %zd", v->name, (Py_ssize_t)i);
            return -1;
        }
    if (o[n] != PyBytes_GET_SIZE(b)) {
        PyErr_Format(PyExc_ValueError, "column %s: dictionary offsets end at %lld, data holds %zd bytes", v->name,
                     (long long)o[n], PyBytes_GET_SIZE(b));
        return -1;
    }
    v->dict_n = (int32_t)n;
    v->dict_offsets = o;
    v->dict_data = PyBytes_AS_STRING(b);
    return 0;
}

/* every code in [-1, n): one pass, no branches in the loop */
static bool codes_in_range(const int32_t *c, int64_t rows, int32_t n) {
    int32_t lo = 0, hi = -1;
    for (int64_t i = 0; i < rows; i++) {
        lo = c[i] < lo ? c[i] : lo;
        hi = c[i] > hi ? c[i] : hi;
    }
    return lo >= -1 && hi < n;
}

int vfpy_colviews_parse(PyObject *list, vfpy_colviews *out) {
    memset(out, 0, sizeof *out);
    PyObject *seq = PySequence_Fast(list, "columns must be a list");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    out->keep = PyList_New(0);
    out->cols = PyMem_Calloc((size_t)(n ? n : 1), sizeof *out->cols);
    if (!out->keep || !out->cols) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    if (PyList_Append(out->keep, seq) < 0) goto fail;
    out->ncols = (int)n;
    out->nrows = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        vf_colview *v = &out->cols[i];
        PyObject *name, *vals, *valid, *dict, *logical = Py_None;
        const char *tname;
        long long nulls;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "UsOOOL|O", &name, &tname, &vals, &valid, &dict, &nulls,
                              &logical))
            goto fail;
        v->name = PyUnicode_AsUTF8(name);
        if (!v->name) goto fail;
        v->type = vfpy_type_from_name(tname);
        if (!v->type) {
            PyErr_Format(PyExc_ValueError, "column %s: unknown type '%s'", v->name, tname);
            goto fail;
        }
        v->null_count = nulls;
        if (logical != Py_None && !(v->logical = PyUnicode_AsUTF8(logical))) goto fail;
        PyArrayObject *va = keep_array(out->keep, vals, vfpy_npy_type(v->type), "values", v->name);
        if (!va) goto fail;
        int64_t rows = (int64_t)PyArray_SIZE(va);
        if (out->nrows >= 0 && rows != out->nrows) {
            PyErr_Format(PyExc_ValueError, "column %s has %lld rows, the others %lld", v->name, (long long)rows,
                         (long long)out->nrows);
            goto fail;
        }
        out->nrows = rows;
        v->values = PyArray_DATA(va);
        if (valid != Py_None) {
            PyArrayObject *ok = keep_array(out->keep, valid, NPY_BOOL, "validity", v->name);
            if (!ok) goto fail;
            if (PyArray_SIZE(ok) != rows) {
                PyErr_Format(PyExc_ValueError, "column %s: validity and values differ in length", v->name);
                goto fail;
            }
            v->valid = PyArray_DATA(ok);
        }
        if (vf_type_is_dict(v->type)) {
            if (dict == Py_None) {
                PyErr_Format(PyExc_ValueError, "column %s: a %s column needs a dictionary", v->name, tname);
                goto fail;
            }
            if (parse_dict(out->keep, dict, v) < 0) goto fail;
            if ((v->type == VF_T_ADDR) != (v->dict_addrs != NULL)) {
                PyErr_Format(PyExc_ValueError, "column %s: dictionary kind does not match type %s", v->name, tname);
                goto fail;
            }
            bool ok;
            Py_BEGIN_ALLOW_THREADS
            ok = codes_in_range(v->values, rows, v->dict_n);
            Py_END_ALLOW_THREADS
            if (!ok) {
                PyErr_Format(PyExc_ValueError, "column %s: a code is outside its dictionary of %d entries", v->name,
                             (int)v->dict_n);
                goto fail;
            }
        }
    }
    if (out->nrows < 0) out->nrows = 0;
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    vfpy_colviews_release(out);
    return -1;
}

void vfpy_colviews_release(vfpy_colviews *v) {
    PyMem_Free(v->cols);
    Py_XDECREF(v->keep);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------------ */
/* the buffer pool                                                     */
/* ------------------------------------------------------------------ */
static PyObject *pool_info(PyObject *m, PyObject *Py_UNUSED(arg)) {
    vf_pool_info i;
    vf_pool_stats(vfpy_get_state(m)->pool, &i);
    return Py_BuildValue("{s:n,s:n,s:i,s:L,s:L,s:L,s:L}", "keep", (Py_ssize_t)i.keep, "kept", (Py_ssize_t)i.kept,
                         "blocks", i.blocks, "hits", (long long)i.hits, "misses", (long long)i.misses, "given",
                         (long long)i.given, "freed", (long long)i.freed);
}

static PyObject *pool_set_keep(PyObject *m, PyObject *arg) {
    Py_ssize_t keep = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (keep == -1 && PyErr_Occurred()) return NULL;
    if (keep < 0) return PyErr_Format(PyExc_ValueError, "the pool's limit must be at least 0, not %zd", keep);
    vf_pool *p = vfpy_get_state(m)->pool;
    Py_BEGIN_ALLOW_THREADS
    vf_pool_set_keep(p, (size_t)keep);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* the module                                                          */
/* ------------------------------------------------------------------ */
static PyMethodDef module_methods[] = {
    {"_set_errors", set_errors, METH_VARARGS, "_set_errors(ParseError, ParquetError, QueryError): register the classes"},
    {"pool_info", pool_info, METH_NOARGS, "pool_info() -> dict: the buffer pool's limit, what it holds, its hits and misses"},
    {"pool_set_keep", pool_set_keep, METH_O, "pool_set_keep(bytes): the most the pool keeps; what is over is freed now"},
    {NULL, NULL, 0, NULL},
};

/* every concern file's table (binding.h) */
static PyMethodDef *const method_tables[] = {vfpy_text_methods, vfpy_exec_methods, vfpy_pqread_methods, vfpy_pqwrite_methods};

static int m_traverse(PyObject *m, visitproc visit, void *arg) {
    for (int i = 0; i < VFPY_NKINDS; i++) Py_VISIT(vfpy_get_state(m)->errors[i]);
    return 0;
}

static int m_clear(PyObject *m) {
    for (int i = 0; i < VFPY_NKINDS; i++) Py_CLEAR(vfpy_get_state(m)->errors[i]);
    return 0;
}

static void m_free(void *m) {
    m_clear((PyObject *)m);
    vfpy_state *s = vfpy_get_state((PyObject *)m);
    if (s) {
        vf_pool_unref(s->pool); /* arrays still alive hold their own references */
        s->pool = NULL;
    }
}

static int m_exec(PyObject *m) {
    if (PyArray_ImportNumPyAPI() < 0) return -1;
    /* the pool starts empty and keeps nothing until vpcflow/__init__.py sets its limit */
    if (!(vfpy_get_state(m)->pool = vf_pool_new(0))) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyModule_AddStringConstant(m, "__version__", VF_VERSION_STRING) < 0) return -1;
    for (size_t i = 0; i < sizeof method_tables / sizeof method_tables[0]; i++)
        if (PyModule_AddFunctions(m, method_tables[i]) < 0) return -1;
    return 0;
}

static PyModuleDef_Slot slots[] = {{Py_mod_exec, m_exec}, {0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "vpcflow._core", "The C core of vpcflow.", sizeof(vfpy_state), module_methods, slots,
    m_traverse, m_clear, m_free,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&moduledef); }
