/*
 * text.c - the binding of flow-log reading: read() (text, and the JSON and
 * base64 payloads vf_read sniffs) and the small helpers the Python layer
 * and the tests use (field and address parsers, dictionary decoding,
 * decompression, JSON unescaping, base64).
 */
#include "binding.h"

#include "../json/json.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* read(sources, fields, on_error, threads, chunk_size, max_bad_kept)  */
/* sources: list of str paths or (name, bytes) tuples                  */
/* ------------------------------------------------------------------ */
static PyObject *py_read(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"sources", "fields", "on_error", "threads", "chunk_size", "max_bad_kept", NULL};
    PyObject *sources, *fields = Py_None;
    const char *on_error = "raise";
    int threads = 1;
    Py_ssize_t chunk = 0, max_bad = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|Osinn", kwlist, &PyList_Type, &sources, &fields, &on_error,
                                     &threads, &chunk, &max_bad))
        return NULL;
    vf_read_opts o;
    vf_read_opts_init(&o);
    if (strcmp(on_error, "raise") == 0)
        o.on_error = VF_ON_ERROR_RAISE;
    else if (strcmp(on_error, "skip") == 0)
        o.on_error = VF_ON_ERROR_SKIP;
    else {
        PyErr_Format(PyExc_ValueError, "on_error must be 'raise' or 'skip', not '%s'", on_error);
        return NULL;
    }
    if (chunk < 0 || max_bad < 0) {
        PyErr_SetString(PyExc_ValueError, "chunk_size and max_bad_kept must be >= 0");
        return NULL;
    }
    o.threads = threads;
    o.chunk_size = (size_t)chunk;
    o.max_bad_kept = (size_t)max_bad;

    Py_ssize_t n = PyList_GET_SIZE(sources), nf = 0;
    vf_source *src = PyMem_Calloc((size_t)(n ? n : 1), sizeof *src);
    const char **fv = NULL;
    PyObject *keep = PyList_New(0); /* keeps encoded names and buffers alive */
    PyObject *result = NULL;
    Py_buffer *views = PyMem_Calloc((size_t)(n ? n : 1), sizeof *views);
    int nviews = 0;
    if (!src || !keep || !views) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PyList_GET_ITEM(sources, i);
        PyObject *name;
        if (PyTuple_Check(it) && PyTuple_GET_SIZE(it) == 2) {
            name = PyUnicode_EncodeFSDefault(PyTuple_GET_ITEM(it, 0));
            if (!name || PyList_Append(keep, name) < 0) {
                Py_XDECREF(name);
                goto out;
            }
            Py_DECREF(name);
            if (PyObject_GetBuffer(PyTuple_GET_ITEM(it, 1), &views[nviews], PyBUF_SIMPLE) < 0) goto out;
            src[i].data = views[nviews].buf ? views[nviews].buf : "";
            src[i].len = (size_t)views[nviews].len;
            nviews++;
        } else {
            name = PyUnicode_EncodeFSDefault(it);
            if (!name || PyList_Append(keep, name) < 0) {
                Py_XDECREF(name);
                goto out;
            }
            Py_DECREF(name);
        }
        src[i].name = PyBytes_AS_STRING(name);
    }
    if (fields != Py_None) {
        PyObject *seq = PySequence_Fast(fields, "fields must be a list of names");
        if (!seq) goto out;
        nf = PySequence_Fast_GET_SIZE(seq);
        fv = PyMem_Calloc((size_t)(nf ? nf : 1), sizeof *fv);
        if (!fv) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t i = 0; i < nf; i++) {
            PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyUnicode_Check(s)) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_TypeError, "fields must be strings");
                goto out;
            }
            fv[i] = PyUnicode_AsUTF8(s);
            if (!fv[i] || PyList_Append(keep, s) < 0) {
                Py_DECREF(seq);
                goto out;
            }
        }
        Py_DECREF(seq);
        o.fields = fv;
        o.nfields = (size_t)nf;
    }
    vf_table *t = NULL;
    vf_error err;
    vf_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vf_read(src, (size_t)n, &o, &t, &err);
    Py_END_ALLOW_THREADS
    if (st != VF_OK) {
        vfpy_raise(m, VFPY_PARSE, st, &err);
        goto out;
    }
    result = vfpy_table_to_py(t);
    vf_table_free(t);
out:
    for (int i = 0; i < nviews; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_Free(src);
    PyMem_Free(fv);
    Py_XDECREF(keep);
    return result;
}

/* ------------------------------------------------------------------ */
/* small helpers for the Python layer and the tests                    */
/* ------------------------------------------------------------------ */
static PyObject *py_parse_log_format(PyObject *m, PyObject *arg) {
    (void)m;
    const char *fmt = PyUnicode_AsUTF8(arg);
    if (!fmt) return NULL;
    size_t len = strlen(fmt), n = 0;
    char *buf = PyMem_Malloc(len + 1);
    const char **names = PyMem_Malloc(sizeof *names * (len / 3 + 1));
    if (!buf || !names) {
        PyMem_Free(buf);
        PyMem_Free(names);
        return PyErr_NoMemory();
    }
    vf_error err;
    memset(&err, 0, sizeof err);
    vf_status st = vf_parse_log_format(fmt, buf, names, len / 3 + 1, &n, &err);
    PyObject *res = NULL;
    if (st != VF_OK) {
        PyErr_SetString(PyExc_ValueError, err.msg);
    } else {
        res = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; res && i < n; i++) {
            PyObject *s = PyUnicode_FromString(names[i]);
            if (!s) {
                Py_CLEAR(res);
                break;
            }
            PyList_SET_ITEM(res, (Py_ssize_t)i, s);
        }
    }
    PyMem_Free(buf);
    PyMem_Free(names);
    return res;
}

static PyObject *py_known_fields(PyObject *m, PyObject *noarg) {
    (void)m;
    (void)noarg;
    size_t n;
    const vf_known_field *k = vf_known_fields(&n);
    PyObject *res = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; res && i < n; i++) {
        PyObject *t = Py_BuildValue("(sssi)", k[i].header, k[i].column, vf_type_name(k[i].type), k[i].version);
        if (!t) {
            Py_CLEAR(res);
            break;
        }
        PyList_SET_ITEM(res, (Py_ssize_t)i, t);
    }
    return res;
}

/* parse_int(bytes) -> int or None (invalid) */
static PyObject *py_parse_int(PyObject *m, PyObject *arg) {
    (void)m;
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &p, &n) < 0) return NULL;
    int64_t v;
    if (vf_parse_int64(p, (size_t)n, &v) != 0) Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)v);
}

/* parse_addr(bytes) -> (16 bytes, family) or None */
static PyObject *py_parse_addr(PyObject *m, PyObject *arg) {
    (void)m;
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &p, &n) < 0) return NULL;
    uint8_t a[16], fam;
    if (vf_parse_addr(p, (size_t)n, a, &fam) != 0) Py_RETURN_NONE;
    return Py_BuildValue("(y#i)", (const char *)a, (Py_ssize_t)16, (int)fam);
}

/* format_addrs(addrs uint8[n*16], families uint8[n]) -> object array of str */
static PyObject *py_format_addrs(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *ao, *fo;
    if (!PyArg_ParseTuple(args, "OO", &ao, &fo)) return NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(ao, NPY_UINT8, 1, 2, NPY_ARRAY_C_CONTIGUOUS);
    PyArrayObject *f = (PyArrayObject *)PyArray_FROMANY(fo, NPY_UINT8, 1, 1, NPY_ARRAY_C_CONTIGUOUS);
    PyObject *res = NULL;
    if (!a || !f) goto out;
    npy_intp n = PyArray_SIZE(f);
    if (PyArray_SIZE(a) != n * 16) {
        PyErr_SetString(PyExc_ValueError, "addrs must hold 16 bytes per family");
        goto out;
    }
    res = PyArray_SimpleNew(1, &n, NPY_OBJECT);
    if (!res) goto out;
    const uint8_t *ap = PyArray_DATA(a), *fp = PyArray_DATA(f);
    PyObject **out = PyArray_DATA((PyArrayObject *)res);
    for (npy_intp i = 0; i < n; i++) {
        char buf[64];
        size_t len = vf_format_addr(ap + 16 * i, fp[i], buf);
        PyObject *s = PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
        if (!s) {
            Py_CLEAR(res);
            goto out;
        }
        Py_XSETREF(out[i], s);
    }
out:
    Py_XDECREF(a);
    Py_XDECREF(f);
    return res;
}

/* decode_strings(offsets int64[n+1], data bytes) -> object array of str */
static PyObject *py_decode_strings(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *oo;
    const char *data;
    Py_ssize_t dlen;
    if (!PyArg_ParseTuple(args, "Oy#", &oo, &data, &dlen)) return NULL;
    PyArrayObject *o = (PyArrayObject *)PyArray_FROMANY(oo, NPY_INT64, 1, 1, NPY_ARRAY_C_CONTIGUOUS);
    if (!o) return NULL;
    npy_intp n = PyArray_SIZE(o) - 1;
    PyObject *res = NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets must not be empty");
        goto out;
    }
    res = PyArray_SimpleNew(1, &n, NPY_OBJECT);
    if (!res) goto out;
    const int64_t *op = PyArray_DATA(o);
    PyObject **out = PyArray_DATA((PyArrayObject *)res);
    for (npy_intp i = 0; i < n; i++) {
        if (op[i] < 0 || op[i + 1] < op[i] || op[i + 1] > dlen) {
            PyErr_SetString(PyExc_ValueError, "offsets out of range");
            Py_CLEAR(res);
            goto out;
        }
        PyObject *s = PyUnicode_DecodeUTF8(data + op[i], (Py_ssize_t)(op[i + 1] - op[i]), "replace");
        if (!s) {
            Py_CLEAR(res);
            goto out;
        }
        Py_XSETREF(out[i], s);
    }
out:
    Py_DECREF(o);
    return res;
}

/* decompress(bytes) -> bytes: a whole gzip (every member) or zstd stream,
 * through the same code the reader uses (ISA-L for gzip when built with it). */
static PyObject *py_decompress(PyObject *m, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    vf_codec c = vf_sniff(view.buf, (size_t)view.len);
    char *out = NULL;
    size_t outlen = 0;
    vf_error err;
    memset(&err, 0, sizeof err);
    vf_status st;
    if (c == VF_CODEC_NONE) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "not a gzip or zstd stream");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    st = vf_decompress(c, view.buf, (size_t)view.len, "<bytes>", &out, &outlen, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (st != VF_OK) {
        free(out);
        return vfpy_raise(m, VFPY_PARSE, st, &err);
    }
    PyObject *res = PyBytes_FromStringAndSize(out, (Py_ssize_t)outlen);
    free(out);
    return res;
}

/* The JSON scanner's string unescaping and the base64 decoder, for the
 * property tests: bytes -> bytes, or ValueError saying what is wrong and
 * at which byte. */
typedef const char *(*decoder_fn)(const char *s, size_t n, vf_buf *out, size_t *at);

static PyObject *decode_with(decoder_fn fn, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    vf_buf out = {0};
    size_t at = 0;
    const char *e;
    Py_BEGIN_ALLOW_THREADS
    e = fn(view.buf ? view.buf : "", (size_t)view.len, &out, &at);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *res;
    if (out.oom)
        res = PyErr_NoMemory();
    else if (e)
        res = PyErr_Format(PyExc_ValueError, "%s at byte %zu", e, at);
    else
        res = PyBytes_FromStringAndSize(out.p ? (const char *)out.p : "", (Py_ssize_t)out.len);
    vf_buf_free(&out);
    return res;
}

static PyObject *py_json_unescape(PyObject *m, PyObject *arg) {
    (void)m;
    return decode_with(vf_json_unescape, arg);
}

static PyObject *py_base64_decode(PyObject *m, PyObject *arg) {
    (void)m;
    return decode_with(vf_base64_decode, arg);
}

static PyObject *py_gzip_backend(PyObject *m, PyObject *noarg) {
    (void)m;
    (void)noarg;
    return PyUnicode_FromString(vf_gzip_backend());
}

PyMethodDef vfpy_text_methods[] = {
    {"read", (PyCFunction)(void (*)(void))py_read, METH_VARARGS | METH_KEYWORDS,
     "read(sources, fields=None, on_error='raise', threads=1, chunk_size=0, max_bad_kept=0) -> dict"},
    {"parse_log_format", py_parse_log_format, METH_O, "parse_log_format(fmt) -> list of field names"},
    {"known_fields", py_known_fields, METH_NOARGS, "known_fields() -> [(header, column, type, version)]"},
    {"parse_int", py_parse_int, METH_O, "parse_int(bytes) -> int or None"},
    {"parse_addr", py_parse_addr, METH_O, "parse_addr(bytes) -> (16 bytes, family) or None"},
    {"format_addrs", py_format_addrs, METH_VARARGS, "format_addrs(addrs, families) -> object array"},
    {"decode_strings", py_decode_strings, METH_VARARGS, "decode_strings(offsets, data) -> object array"},
    {"decompress", py_decompress, METH_O, "decompress(gzip_or_zstd_bytes) -> bytes"},
    {"gzip_backend", py_gzip_backend, METH_NOARGS, "gzip_backend() -> 'isa-l' or 'zlib'"},
    {"json_unescape", py_json_unescape, METH_O, "json_unescape(body_bytes) -> bytes (UTF-8), or ValueError"},
    {"base64_decode", py_base64_decode, METH_O, "base64_decode(bytes) -> bytes, or ValueError"},
    {NULL, NULL, 0, NULL},
};

