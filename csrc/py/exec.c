/*
 * exec.c - the binding of the query kernels (csrc/exec/exec.h): filter,
 * eval, group_agg, topk and expr_check.  vpcflow/_exec.py is the typed
 * Python face of these functions and documents them.
 *
 * Columns come as vpcflow.Table._to_core() gives them (binding.h:
 * vfpy_colviews_parse).  A program is a list of tuples, one per node in
 * postfix order, named by op: ("col", i), ("int", v), ("float", f),
 * ("bool", b), ("null",), ("in", sorted distinct int64 array),
 * ("lut", uint8 array, null_result), ("bin", width, origin), and the
 * operand-only ops ("add",), ("eq",), ("and",), ("if",), ...  Arrays are
 * borrowed for the duration of the call.
 */
#include "binding.h"
#include "exec/exec.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* programs                                                            */
/* ------------------------------------------------------------------ */
static const struct {
    const char *name;
    int op;
} xops[] = {
    {"col", VF_X_COL},   {"int", VF_X_INT},       {"float", VF_X_FLOAT},   {"bool", VF_X_BOOL},
    {"null", VF_X_NULL}, {"add", VF_X_ADD},       {"sub", VF_X_SUB},       {"mul", VF_X_MUL},
    {"div", VF_X_DIV},   {"idiv", VF_X_IDIV},     {"mod", VF_X_MOD},       {"neg", VF_X_NEG},
    {"abs", VF_X_ABS},   {"eq", VF_X_EQ},         {"ne", VF_X_NE},         {"lt", VF_X_LT},
    {"le", VF_X_LE},     {"gt", VF_X_GT},         {"ge", VF_X_GE},         {"and", VF_X_AND},
    {"or", VF_X_OR},     {"not", VF_X_NOT},       {"is_null", VF_X_IS_NULL}, {"is_not_null", VF_X_IS_NOT_NULL},
    {"in", VF_X_IN},     {"lut", VF_X_LUT},       {"bin", VF_X_BIN},       {"coalesce", VF_X_COALESCE},
    {"if", VF_X_IF},
};

/* a contiguous 1-D array of typenum, kept alive in keep */
static PyArrayObject *keep_array(PyObject *keep, PyObject *o, int typenum, const char *what) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(o, typenum, 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!a) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D array", what);
        return NULL;
    }
    int rc = PyList_Append(keep, (PyObject *)a);
    Py_DECREF(a);
    return rc < 0 ? NULL : a;
}

/* ("lut", table, null_result): None means null (2), False 0, True 1 */
static int lut_null(PyObject *o, uint8_t *out) {
    if (o == Py_None) {
        *out = 2;
        return 0;
    }
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 0 || v > 2) {
        PyErr_SetString(PyExc_ValueError, "lut null_result must be 0, 1, 2 (null) or None");
        return -1;
    }
    *out = (uint8_t)v;
    return 0;
}

static int parse_node(PyObject *t, vf_xnode *nd, PyObject *keep, Py_ssize_t j) {
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 1 || !PyUnicode_Check(PyTuple_GET_ITEM(t, 0))) {
        PyErr_Format(PyExc_TypeError, "program node %zd must be a tuple starting with the op's name", j);
        return -1;
    }
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, 0));
    if (!name) return -1;
    memset(nd, 0, sizeof *nd);
    for (size_t i = 0; i < sizeof xops / sizeof xops[0]; i++)
        if (strcmp(name, xops[i].name) == 0) nd->op = xops[i].op;
    if (!nd->op) {
        PyErr_Format(PyExc_ValueError, "program node %zd: unknown op '%s'", j, name);
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(t) - 1;
    int want = nd->op == VF_X_COL || nd->op == VF_X_INT || nd->op == VF_X_FLOAT || nd->op == VF_X_BOOL ||
                       nd->op == VF_X_IN
                   ? 1
               : nd->op == VF_X_LUT || nd->op == VF_X_BIN ? 2
                                                          : 0;
    if (n != want) {
        PyErr_Format(PyExc_ValueError, "program node %zd ('%s') takes %d argument(s), not %zd", j, name, want, n);
        return -1;
    }
    PyObject *a = n > 0 ? PyTuple_GET_ITEM(t, 1) : NULL, *b = n > 1 ? PyTuple_GET_ITEM(t, 2) : NULL;
    switch (nd->op) {
    case VF_X_COL: nd->col = (int)PyLong_AsLong(a); break;
    case VF_X_INT: case VF_X_BOOL: nd->i = PyLong_AsLongLong(a); break;
    case VF_X_FLOAT: nd->f = PyFloat_AsDouble(a); break;
    case VF_X_BIN:
        nd->i = PyLong_AsLongLong(a);
        if (!PyErr_Occurred()) nd->origin = PyLong_AsLongLong(b);
        break;
    case VF_X_IN: {
        PyArrayObject *s = keep_array(keep, a, NPY_INT64, "an 'in' set");
        if (!s) return -1;
        nd->set = PyArray_DATA(s);
        nd->nset = PyArray_SIZE(s);
        break;
    }
    case VF_X_LUT: {
        PyArrayObject *l = keep_array(keep, a, NPY_UINT8, "a 'lut' table");
        if (!l || lut_null(b, &nd->lut_null) < 0) return -1;
        if (PyArray_SIZE(l) > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "lut table too large");
            return -1;
        }
        nd->lut = PyArray_DATA(l);
        nd->nlut = (int32_t)PyArray_SIZE(l);
        break;
    }
    default: break;
    }
    return PyErr_Occurred() ? -1 : 0;
}

typedef struct pyprog {
    vf_xnode *nodes;
    int n;
    PyObject *keep;
} pyprog;

static void prog_release(pyprog *p) {
    PyMem_Free(p->nodes);
    Py_XDECREF(p->keep);
}

static int prog_parse(PyObject *list, pyprog *p) {
    memset(p, 0, sizeof *p);
    PyObject *seq = PySequence_Fast(list, "a program must be a list of tuples");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    p->keep = PyList_New(0);
    p->nodes = PyMem_Calloc((size_t)(n ? n : 1), sizeof *p->nodes);
    int rc = p->keep && p->nodes ? 0 : -1;
    if (rc < 0) PyErr_NoMemory();
    if (n > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "program too long");
        rc = -1;
    }
    for (Py_ssize_t j = 0; j < n && rc == 0; j++) rc = parse_node(PySequence_Fast_GET_ITEM(seq, j), &p->nodes[j], p->keep, j);
    p->n = (int)n;
    Py_DECREF(seq);
    if (rc < 0) prog_release(p);
    return rc;
}

/* sel: None or a 1-D int64 array (kept in keep) */
static int sel_parse(PyObject *o, PyObject *keep, const int64_t **sel, int64_t *nsel) {
    *sel = NULL;
    *nsel = 0;
    if (o == Py_None) return 0;
    PyArrayObject *a = keep_array(keep, o, NPY_INT64, "sel");
    if (!a) return -1;
    *sel = PyArray_DATA(a);
    *nsel = PyArray_SIZE(a);
    return 0;
}

static const char *kind_name(int kind) {
    switch (kind) {
    case VF_XK_BOOL: return "bool";
    case VF_XK_INT: return "int";
    case VF_XK_FLOAT: return "float";
    default: return "codes";
    }
}

/* the columns, the program and the selection of a call */
typedef struct xcall {
    vfpy_colviews cols;
    pyprog prog;
    const int64_t *sel;
    int64_t nsel;
    bool have_cols, have_prog;
} xcall;

static void xcall_release(xcall *c) {
    if (c->have_cols) vfpy_colviews_release(&c->cols);
    if (c->have_prog) prog_release(&c->prog);
}

static int xcall_parse(xcall *c, PyObject *cols, PyObject *prog, PyObject *sel) {
    memset(c, 0, sizeof *c);
    if (vfpy_colviews_parse(cols, &c->cols) < 0) return -1;
    c->have_cols = true;
    if (prog_parse(prog, &c->prog) < 0) return -1;
    c->have_prog = true;
    return sel_parse(sel, c->prog.keep, &c->sel, &c->nsel);
}

/* ------------------------------------------------------------------ */
/* filter, eval, expr_check                                            */
/* ------------------------------------------------------------------ */
static PyObject *py_filter(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"columns", "program", "sel", "threads", NULL};
    PyObject *cols, *prog, *selo = Py_None;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|Oi", kwlist, &cols, &prog, &selo, &threads)) return NULL;
    xcall c;
    PyObject *res = NULL;
    if (xcall_parse(&c, cols, prog, selo) == 0) {
        int64_t *out = NULL, nout = 0;
        vf_error err;
        vf_status st;
        Py_BEGIN_ALLOW_THREADS
        st = vf_filter(c.cols.cols, c.cols.ncols, c.cols.nrows, c.prog.nodes, c.prog.n, c.sel, c.nsel, threads, &out,
                       &nout, &err);
        Py_END_ALLOW_THREADS
        res = st == VF_OK ? vfpy_own_array(out, (npy_intp)nout, NPY_INT64) : vfpy_raise(m, VFPY_QUERY, st, &err);
    }
    xcall_release(&c);
    return res;
}

static PyObject *py_eval(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"columns", "program", "sel", "threads", NULL};
    PyObject *cols, *prog, *selo = Py_None;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|Oi", kwlist, &cols, &prog, &selo, &threads)) return NULL;
    xcall c;
    PyObject *res = NULL;
    if (xcall_parse(&c, cols, prog, selo) == 0) {
        void *values = NULL;
        uint8_t *valid = NULL;
        int kind = 0;
        vf_error err;
        vf_status st;
        Py_BEGIN_ALLOW_THREADS
        st = vf_eval(c.cols.cols, c.cols.ncols, c.cols.nrows, c.prog.nodes, c.prog.n, c.sel, c.nsel, threads, &values,
                     &valid, &kind, &err);
        Py_END_ALLOW_THREADS
        if (st != VF_OK) {
            vfpy_raise(m, VFPY_QUERY, st, &err);
        } else {
            npy_intp n = c.sel ? (npy_intp)c.nsel : (npy_intp)c.cols.nrows;
            PyObject *v = vfpy_own_array(values, n, kind == VF_XK_FLOAT ? NPY_FLOAT64 : NPY_INT64);
            PyObject *ok = valid ? vfpy_own_array(valid, n, NPY_BOOL) : Py_NewRef(Py_None);
            if (v && ok) res = Py_BuildValue("(NNs)", v, ok, kind_name(kind));
            else {
                Py_XDECREF(v);
                Py_XDECREF(ok);
            }
        }
    }
    xcall_release(&c);
    return res;
}

static PyObject *py_expr_check(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *cols, *prog;
    if (!PyArg_ParseTuple(args, "OO", &cols, &prog)) return NULL;
    xcall c;
    PyObject *res = NULL;
    if (xcall_parse(&c, cols, prog, Py_None) == 0) {
        int kind = 0;
        vf_error err;
        vf_status st = vf_expr_check(c.cols.cols, c.cols.ncols, c.prog.nodes, c.prog.n, &kind, &err);
        res = st == VF_OK ? PyUnicode_FromString(kind_name(kind)) : vfpy_raise(m, VFPY_QUERY, st, &err);
    }
    xcall_release(&c);
    return res;
}

/* ------------------------------------------------------------------ */
/* group_agg                                                           */
/* ------------------------------------------------------------------ */
static const struct {
    const char *name;
    int op;
} aggops[] = {
    {"count_all", VF_AGG_COUNT_ALL},
    {"count", VF_AGG_COUNT},
    {"sum", VF_AGG_SUM},
    {"min", VF_AGG_MIN},
    {"max", VF_AGG_MAX},
    {"avg", VF_AGG_AVG},
    {"stddev", VF_AGG_STDDEV},
    {"stddev_pop", VF_AGG_STDDEV_POP},
    {"variance", VF_AGG_VARIANCE},
    {"corr", VF_AGG_CORR},
    {"count_distinct", VF_AGG_COUNT_DISTINCT},
    {"approx_distinct", VF_AGG_APPROX_DISTINCT},
    {"arg_min", VF_AGG_ARG_MIN},
    {"arg_max", VF_AGG_ARG_MAX},
};

static const char *const strategy_names[] = {"auto", "direct", "packed", "multi"};

/* (op, col, col2, param) */
static int parse_agg(PyObject *t, vf_aggspec *a, Py_ssize_t j) {
    const char *name;
    memset(a, 0, sizeof *a);
    if (!PyArg_ParseTuple(t, "siii", &name, &a->col, &a->col2, &a->param)) {
        PyErr_Format(PyExc_TypeError, "aggregate %zd must be a tuple (op, col, col2, param)", j);
        return -1;
    }
    for (size_t i = 0; i < sizeof aggops / sizeof aggops[0]; i++)
        if (strcmp(name, aggops[i].name) == 0) a->op = aggops[i].op;
    if (!a->op) {
        PyErr_Format(PyExc_ValueError, "aggregate %zd: unknown op '%s'", j, name);
        return -1;
    }
    return 0;
}

/* a list of (values, valid or None) */
static PyObject *outcols_to_py(vf_pool *pool, vf_outcol *o, int n, int64_t rows) {
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *v = vfpy_own_rows(pool, o[i].values, (npy_intp)rows, vfpy_npy_type(o[i].type),
                                    vf_type_width(o[i].type));
        o[i].values = NULL;
        PyObject *ok = o[i].valid ? vfpy_own_rows(pool, o[i].valid, (npy_intp)rows, NPY_BOOL, 1) : Py_NewRef(Py_None);
        o[i].valid = NULL;
        PyObject *t = v && ok ? PyTuple_Pack(2, v, ok) : NULL;
        Py_XDECREF(v);
        Py_XDECREF(ok);
        if (!t) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, t);
    }
    return list;
}

static PyObject *py_group_agg(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"columns", "keys", "aggs", "sel", "threads", "strategy", NULL};
    PyObject *cols, *keyso, *aggso, *selo = Py_None;
    int threads = 1;
    const char *strategy = "auto";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|Ois", kwlist, &cols, &keyso, &aggso, &selo, &threads, &strategy))
        return NULL;
    vf_group_opts opts = {.strategy = -1};
    for (int i = 0; i < 4; i++)
        if (strcmp(strategy, strategy_names[i]) == 0) opts.strategy = i;
    if (opts.strategy < 0) return PyErr_Format(PyExc_ValueError, "unknown strategy '%s'", strategy);
    opts.pool = vfpy_get_state(m)->pool;
    vfpy_colviews cv;
    if (vfpy_colviews_parse(cols, &cv) < 0) return NULL;
    PyObject *res = NULL, *keep = PyList_New(0);
    PyObject *ks = PySequence_Fast(keyso, "keys must be a list of column indexes");
    PyObject *as = PySequence_Fast(aggso, "aggs must be a list of tuples");
    int *keys = NULL;
    vf_aggspec *aggs = NULL;
    const int64_t *sel = NULL;
    int64_t nsel = 0;
    if (!keep || !ks || !as || sel_parse(selo, keep, &sel, &nsel) < 0) goto out;
    Py_ssize_t nk = PySequence_Fast_GET_SIZE(ks), na = PySequence_Fast_GET_SIZE(as);
    keys = PyMem_Calloc((size_t)nk + 1, sizeof *keys);
    aggs = PyMem_Calloc((size_t)na + 1, sizeof *aggs);
    if (!keys || !aggs) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < nk; i++) {
        keys[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(ks, i));
        if (PyErr_Occurred()) goto out;
    }
    for (Py_ssize_t i = 0; i < na; i++)
        if (parse_agg(PySequence_Fast_GET_ITEM(as, i), &aggs[i], i) < 0) goto out;
    vf_groups *g = NULL;
    vf_error err;
    vf_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vf_group_agg_ex(cv.cols, cv.ncols, cv.nrows, sel, nsel, keys, (int)nk, aggs, (int)na, threads, &opts, &g,
                         &err);
    Py_END_ALLOW_THREADS
    if (st != VF_OK) {
        vfpy_raise(m, VFPY_QUERY, st, &err);
        goto out;
    }
    PyObject *kl = outcols_to_py(opts.pool, g->keys, g->nkeys, g->ngroups);
    PyObject *al = outcols_to_py(opts.pool, g->aggs, g->naggs, g->ngroups);
    if (kl && al) res = Py_BuildValue("(NNs)", kl, al, strategy_names[g->strategy]);
    else {
        Py_XDECREF(kl);
        Py_XDECREF(al);
    }
    vf_groups_free(g);
out:
    PyMem_Free(keys);
    PyMem_Free(aggs);
    Py_XDECREF(ks);
    Py_XDECREF(as);
    Py_XDECREF(keep);
    vfpy_colviews_release(&cv);
    return res;
}

/* ------------------------------------------------------------------ */
/* topk                                                                */
/* ------------------------------------------------------------------ */
static PyObject *py_topk(PyObject *m, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"column", "k", "descending", "sel", NULL};
    PyObject *col, *selo = Py_None;
    long long k;
    int desc = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OL|pO", kwlist, &col, &k, &desc, &selo)) return NULL;
    PyObject *list = PyList_New(1);
    if (!list) return NULL;
    PyList_SET_ITEM(list, 0, Py_NewRef(col));
    vfpy_colviews cv;
    int rc = vfpy_colviews_parse(list, &cv);
    Py_DECREF(list);
    if (rc < 0) return NULL;
    PyObject *res = NULL, *keep = PyList_New(0);
    const int64_t *sel;
    int64_t nsel;
    if (keep && sel_parse(selo, keep, &sel, &nsel) == 0) {
        int64_t *out = NULL, nout = 0;
        vf_error err;
        vf_status st;
        Py_BEGIN_ALLOW_THREADS
        st = vf_topk(&cv.cols[0], cv.nrows, sel, nsel, (int64_t)k, desc != 0, &out, &nout, &err);
        Py_END_ALLOW_THREADS
        res = st == VF_OK ? vfpy_own_array(out, (npy_intp)nout, NPY_INT64) : vfpy_raise(m, VFPY_QUERY, st, &err);
    }
    Py_XDECREF(keep);
    vfpy_colviews_release(&cv);
    return res;
}

/* take(values, indices, threads=1): values[indices] for a 1-D array of
 * 1-, 2-, 4- or 8-byte items, gathered in C with the GIL released */
static PyObject *py_take(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"values", "indices", "threads", NULL};
    PyObject *vo, *io;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|i", kwlist, &vo, &io, &threads)) return NULL;
    if (!PyArray_Check(vo) || PyArray_NDIM((PyArrayObject *)vo) != 1) {
        PyErr_SetString(PyExc_TypeError, "take: values must be a 1-D array");
        return NULL;
    }
    PyArrayObject *va = (PyArrayObject *)vo;
    size_t width = (size_t)PyArray_ITEMSIZE(va);
    int tn = PyArray_TYPE(va);
    if (!(PyTypeNum_ISBOOL(tn) || PyTypeNum_ISINTEGER(tn) || PyTypeNum_ISFLOAT(tn)) ||
        (width != 1 && width != 2 && width != 4 && width != 8)) {
        PyErr_SetString(PyExc_TypeError, "take: values must be an array of booleans, integers or floats");
        return NULL;
    }
    PyObject *keep = PyList_New(0);
    if (!keep) return NULL;
    PyObject *res = NULL;
    PyArrayObject *src = keep_array(keep, vo, tn, "values");
    PyArrayObject *ia = src ? keep_array(keep, io, NPY_INT64, "indices") : NULL;
    if (ia) {
        void *out = NULL;
        vf_error err;
        vf_status st;
        const void *sp = PyArray_DATA(src);
        const int64_t *ip = PyArray_DATA(ia);
        int64_t nsrc = PyArray_SIZE(src), n = PyArray_SIZE(ia);
        Py_BEGIN_ALLOW_THREADS
        st = vf_gather(sp, nsrc, width, ip, n, threads, &out, &err);
        Py_END_ALLOW_THREADS
        if (st != VF_OK)
            PyErr_SetString(st == VF_ENOMEM ? PyExc_MemoryError : PyExc_IndexError, err.msg);
        else
            res = vfpy_own_array(out, (npy_intp)n, tn);
    }
    Py_DECREF(keep);
    return res;
}

PyMethodDef vfpy_exec_methods[] = {
    {"filter", (PyCFunction)(void (*)(void))py_filter, METH_VARARGS | METH_KEYWORDS,
     "filter(columns, program, sel=None, threads=1) -> int64 row indices where the BOOL program is true"},
    {"eval", (PyCFunction)(void (*)(void))py_eval, METH_VARARGS | METH_KEYWORDS,
     "eval(columns, program, sel=None, threads=1) -> (values, valid or None, kind)"},
    {"expr_check", py_expr_check, METH_VARARGS, "expr_check(columns, program) -> the result kind, or ValueError"},
    {"group_agg", (PyCFunction)(void (*)(void))py_group_agg, METH_VARARGS | METH_KEYWORDS,
     "group_agg(columns, keys, aggs, sel=None, threads=1, strategy='auto') -> (keys, aggs, strategy)"},
    {"topk", (PyCFunction)(void (*)(void))py_topk, METH_VARARGS | METH_KEYWORDS,
     "topk(column, k, descending=True, sel=None) -> int64 row indices, best first"},
    {"take", (PyCFunction)(void (*)(void))py_take, METH_VARARGS | METH_KEYWORDS,
     "take(values, indices, threads=1) -> values[indices] (a new array; IndexError for an index out of range)"},
    {NULL, NULL, 0, NULL},
};
