/*
 * binding.h - what the files of the CPython binding share.
 *
 * The binding is one extension module, vpcflow._core, spread over one file
 * per concern (text.c: flow-log text; parquet.c, exec.c, ...: the rest).
 * module.c owns the module object, its state (the exception classes the
 * Python layer registers) and the helpers below; each concern file exports
 * a NULL-terminated PyMethodDef table that module.c adds at import.
 *
 * Rules every binding file follows: release the GIL around every call into
 * the core; map a core error to a Python exception only through
 * vfpy_raise(); hand core-allocated buffers to NumPy with vfpy_own_array()
 * (no copies).
 */
#ifndef VFPY_BINDING_H
#define VFPY_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifndef NPY_NO_DEPRECATED_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#endif
/* one NumPy C-API table for the whole module: module.c imports it */
#define PY_ARRAY_UNIQUE_SYMBOL vfpy_ARRAY_API
#ifndef VFPY_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "../vf.h"

/* The exception class a core error becomes. */
typedef enum vfpy_errkind {
    VFPY_PARSE = 0,   /* vpcflow.ParseError: flow-log text and payloads */
    VFPY_PARQUET = 1, /* vpcflow.ParquetError: Parquet files */
    VFPY_QUERY = 2,   /* vpcflow.QueryError: queries */
    VFPY_NKINDS = 3
} vfpy_errkind;

typedef struct vfpy_state {
    PyObject *errors[VFPY_NKINDS]; /* registered by vpcflow/__init__.py */
    vf_pool *pool;                 /* the readers' output arrays come from here and go back when NumPy frees them */
} vfpy_state;

vfpy_state *vfpy_get_state(PyObject *module);

/* Raise the Python exception for a core error: MemoryError for VF_ENOMEM,
 * OSError for VF_EIO, ValueError for VF_EARG, else the class of `kind`
 * with the error's file/line/offset/field/text as keyword arguments.
 * Always returns NULL. */
PyObject *vfpy_raise(PyObject *module, vfpy_errkind kind, vf_status st, const vf_error *e);

/* Core text (not necessarily UTF-8) as str, undecodable bytes as U+FFFD. */
PyObject *vfpy_text(const char *s);

/* The NumPy type number of a column type's value array (NPY_INT32 for the
 * codes of dictionary types). */
int vfpy_npy_type(vf_type t);

/* A 1-D array that owns buf (malloc'd, n elements of typenum): freed when
 * the array dies.  Takes ownership even on failure; buf may be NULL when
 * n == 0. */
PyObject *vfpy_own_array(void *buf, npy_intp n, int typenum);
/* vfpy_own_array() for a block from vf_pool_rows(pool, n, sz): given back
 * to the pool when the array dies (pool NULL: freed). */
PyObject *vfpy_own_rows(vf_pool *pool, void *buf, npy_intp n, int typenum, size_t sz);
/* A 1-D array holding a copy of n elements of src. */
PyObject *vfpy_copy_array(const void *src, npy_intp n, int typenum);

/* A dictionary as Python objects: ("string"|"binary", offsets int64[n+1],
 * data bytes) or ("address", addrs uint8[n*16], families uint8[n]). */
PyObject *vfpy_dict_to_py(const vf_dict *d);

/* A table as {"nrows", "columns": [(name, type, values, valid, dict,
 * null_count, logical)], "report": {...}, "bad": [...]}.  Moves the
 * column buffers into NumPy arrays (the table keeps only its metadata). */
PyObject *vfpy_table_to_py(vf_table *t);

/* Columns passed in from Python: a list of (name, type, values, valid,
 * dict, null_count, logical) tuples, the shape vfpy_table_to_py() gives and
 * vpcflow.Table._to_core() returns.  The views borrow the arrays (copying
 * only those that are not C-contiguous or not of the column's dtype);
 * `keep` holds what they borrow.  Lengths, types, dictionary shapes and
 * the range of every code are checked, so consumers can trust them. */
typedef struct vfpy_colviews {
    vf_colview *cols;
    int ncols;
    int64_t nrows;
    PyObject *keep;
} vfpy_colviews;

/* 0 on success; -1 with a Python exception set. */
int vfpy_colviews_parse(PyObject *list, vfpy_colviews *out);
void vfpy_colviews_release(vfpy_colviews *v);
/* The vf_type named by s ("int32", "address", ...), or 0. */
vf_type vfpy_type_from_name(const char *s);

/* The method tables of the concern files. */
extern PyMethodDef vfpy_text_methods[];
extern PyMethodDef vfpy_pqwrite_methods[];
extern PyMethodDef vfpy_exec_methods[];
extern PyMethodDef vfpy_pqread_methods[];

#endif
