/*
 * exec.h - the query kernels: expression evaluation (filters and computed
 * columns), grouped aggregation, top-k (internal; the binding is
 * csrc/py/exec.c).
 *
 * Inputs are borrowed column views (vf_colview, vf.h); outputs are new
 * arrays the caller owns.  Every kernel works on a selection: a sorted
 * array of row indices (NULL = all rows), so filters compose without
 * copying columns.  Work is split into morsels of rows run on up to
 * `threads` threads (vf_parallel_for); results do not depend on the thread
 * count (floating-point aggregates may differ in the last bits).
 *
 * Nulls follow SQL: comparisons and arithmetic with a null give null; AND,
 * OR and NOT use three-valued (Kleene) logic; a filter keeps the rows whose
 * condition is true (not null); aggregates ignore nulls; a group key that
 * is null forms a group of its own.
 *
 * Numbers follow DuckDB: an INT compared with (or combined with) a FLOAT
 * is converted to double; NaN equals NaN and is larger than every other
 * value (+inf included), in comparisons, MIN/MAX, ARG_MIN/ARG_MAX and
 * top-k; -0.0 equals 0.0 (and groups with it); NaNs form one group.  A
 * uint64 column enters expressions as INT by its bits (values above
 * INT64_MAX wrap); aggregates and keys read it as unsigned.
 */
#ifndef VF_EXEC_H
#define VF_EXEC_H

#include "../common/internal.h"

/* ================================================================== */
/* Expressions                                                         */
/* ================================================================== */
/* A program is an array of nodes in postfix order, evaluated with a stack
 * of vectors.  Vector kinds: BOOL (true/false/null), INT (int64 + validity),
 * FLOAT (double + validity), CODES (a dictionary column's int32 codes: only
 * LUT, IS_NULL and IS_NOT_NULL take them).  A column pushes the kind of
 * its type: integers and bools -> INT (bool as 0/1), floats -> FLOAT,
 * dictionary types -> CODES. */
typedef enum vf_xop {
    VF_X_COL = 1,  /* push column `col` */
    VF_X_INT,      /* push the literal i (INT) */
    VF_X_FLOAT,    /* push the literal f (FLOAT) */
    VF_X_BOOL,     /* push the literal i != 0 (BOOL) */
    VF_X_NULL,     /* push a null (INT kind, every row null) */
    /* arithmetic: pop b, pop a, push a op b.  INT op INT stays INT except
     * DIV, which gives FLOAT (SQL / on integers in DuckDB); any FLOAT
     * operand makes FLOAT.  IDIV is floor division, MOD the remainder with
     * the sign of the divisor (Python's //, %).  FLOAT arithmetic is IEEE 754
     * as in DuckDB (x / 0 is +-inf, 0 / 0 and x % 0 NaN); INT IDIV and MOD by
     * zero give null (DuckDB's TRY).  INT overflow wraps (two's complement). */
    VF_X_ADD, VF_X_SUB, VF_X_MUL, VF_X_DIV, VF_X_IDIV, VF_X_MOD,
    VF_X_NEG,      /* pop a, push -a */
    VF_X_ABS,      /* pop a, push |a| */
    /* comparisons: pop b, pop a, push BOOL (INT and FLOAT compare by value) */
    VF_X_EQ, VF_X_NE, VF_X_LT, VF_X_LE, VF_X_GT, VF_X_GE,
    /* logic on BOOL (an INT operand counts as true when non-zero) */
    VF_X_AND, VF_X_OR, VF_X_NOT,
    VF_X_IS_NULL, VF_X_IS_NOT_NULL, /* pop any kind, push BOOL (never null) */
    VF_X_IN,       /* pop INT or FLOAT a, push a IN set[0..nset) (sorted, distinct int64); null stays null */
    VF_X_LUT,      /* pop CODES c, push lut[c] for c >= 0 (lut[c]: 0 false, 1 true, 2 null), lut_null for c == -1 */
    VF_X_BIN,      /* pop INT a, push origin + floor((a - origin) / i) * i (i > 0): time buckets */
    VF_X_COALESCE, /* pop b, pop a: push a where a is not null, else b (same numeric kinds as arithmetic) */
    VF_X_IF        /* pop e, pop t, pop c (BOOL): push t where c is true, else e (null c -> e) */
} vf_xop;

typedef struct vf_xnode {
    int op;              /* vf_xop */
    int col;             /* VF_X_COL: index into the column views */
    int64_t i;           /* VF_X_INT, VF_X_BOOL, VF_X_BIN (width) */
    int64_t origin;      /* VF_X_BIN */
    double f;            /* VF_X_FLOAT */
    const int64_t *set;  /* VF_X_IN */
    int64_t nset;
    const uint8_t *lut;  /* VF_X_LUT: one entry per dictionary code */
    int32_t nlut;        /* must equal the dictionary's size */
    uint8_t lut_null;    /* VF_X_LUT: the result for a null code */
} vf_xnode;

/* Check a program against the columns: stack depth, operand kinds, column
 * indexes, LUT sizes, sorted IN sets.  On error VF_EARG with a message that
 * names the node.  *kind (if not NULL) gets the result kind:
 * 1 BOOL, 2 INT, 3 FLOAT, 4 CODES. */
enum { VF_XK_BOOL = 1, VF_XK_INT = 2, VF_XK_FLOAT = 3, VF_XK_CODES = 4 };
vf_status vf_expr_check(const vf_colview *cols, int ncols, const vf_xnode *prog, int nprog, int *kind, vf_error *err);

/* The rows of sel (NULL: 0..nrows-1) where the BOOL program is true (an
 * INT program: non-zero, as AND/OR take INTs; a bool column is one), in
 * order: *out (malloc'd, free it) gets *nout indices. */
vf_status vf_filter(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *prog, int nprog,
                    const int64_t *sel, int64_t nsel, int threads, int64_t **out, int64_t *nout, vf_error *err);

/* The program's value for each row of sel (or every row): *values gets
 * int64 (INT, BOOL as 0/1) or double (FLOAT) values, *valid a byte per row
 * (NULL when none is null), *kind the result kind.  CODES programs are
 * refused (a bare dictionary column needs no evaluating). */
vf_status vf_eval(const vf_colview *cols, int ncols, int64_t nrows, const vf_xnode *prog, int nprog,
                  const int64_t *sel, int64_t nsel, int threads, void **values, uint8_t **valid, int *kind,
                  vf_error *err);

/* ================================================================== */
/* Grouped aggregation                                                 */
/* ================================================================== */
typedef enum vf_aggop {
    VF_AGG_COUNT_ALL = 1,  /* count(*): rows in the group */
    VF_AGG_COUNT,          /* non-null values of col */
    VF_AGG_SUM,            /* int columns: int64 (overflow is an error); floats: double */
    VF_AGG_MIN, VF_AGG_MAX,  /* numeric columns; result of the column's kind */
    VF_AGG_AVG,            /* double */
    VF_AGG_STDDEV,         /* sample standard deviation (n - 1), double; null below 2 values */
    VF_AGG_STDDEV_POP,     /* population standard deviation, double; null without values */
    VF_AGG_VARIANCE,       /* sample variance, double */
    VF_AGG_CORR,           /* Pearson correlation of col and col2 over rows where both are non-null;
                              null without such rows; NaN when either variance is 0 (a single row, a
                              constant column), as DuckDB 2.0 gives */
    VF_AGG_COUNT_DISTINCT, /* exact number of distinct non-null values (any type; dictionary columns by code) */
    VF_AGG_APPROX_DISTINCT,/* HyperLogLog estimate, precision `param` (4..16; 0 = 12), relative error ~1.04/sqrt(2^p) */
    VF_AGG_ARG_MIN,        /* the value of col at the row with the smallest col2, among the rows where
                              col2 and col are non-null (DuckDB's arg_min); param 1: where col2 is
                              non-null, col may be null (DuckDB's arg_min_null); ties: the first such
                              row in row order. "earliest".  The result has col's type. */
    VF_AGG_ARG_MAX         /* the same at the largest col2 ("latest") */
} vf_aggop;

typedef struct vf_aggspec {
    int op;        /* vf_aggop */
    int col;       /* input column (unused for COUNT_ALL) */
    int col2;      /* CORR, ARG_MIN, ARG_MAX */
    int param;     /* APPROX_DISTINCT precision; ARG_MIN/ARG_MAX: 1 keeps rows where col is null */
} vf_aggspec;

/* One output column: the same shape as vf_column, borrowing nothing. */
typedef struct vf_outcol {
    vf_type type;       /* INT64 or FLOAT64 for aggregates (MIN/MAX of a uint64 column: UINT64;
                           ARG_MIN/ARG_MAX: col's type); a key's own type for keys (dictionary keys
                           and results come back as int32 codes into the input's dictionary, -1
                           for null, with valid NULL) */
    void *values;       /* malloc'd, ngroups rows */
    uint8_t *valid;     /* malloc'd, NULL when no nulls */
    int64_t null_count;
} vf_outcol;

typedef struct vf_groups {
    int64_t ngroups;
    int nkeys, naggs;
    vf_outcol *keys;    /* nkeys */
    vf_outcol *aggs;    /* naggs */
    int strategy;       /* the VF_GS_* used */
} vf_groups;

/* Grouping strategies (see vf_group_agg). */
enum { VF_GS_AUTO = 0, VF_GS_DIRECT = 1, VF_GS_PACKED = 2, VF_GS_MULTI = 3 };

typedef struct vf_group_opts {
    int strategy;       /* VF_GS_AUTO, or force one (tests): VF_EARG when the keys do not allow it
                           (DIRECT needs small domains, PACKED keys of at most 64 bits); without
                           keys DIRECT is always used */
    vf_pool *pool;      /* the large buffers (hash tables, distinct pairs, the output columns) come
                           from this pool and the scratch goes back to it (borrowed; NULL: malloc).
                           The output columns are vf_pool_rows(pool, ngroups, width) blocks */
} vf_group_opts;

void vf_groups_free(vf_groups *g);

/* Group the rows of sel (NULL: all) by the key columns and compute the
 * aggregates.  With no keys there is exactly one group (even for no rows:
 * count 0, other aggregates null), as in SQL.  Groups come out in no
 * particular order.
 *
 * Strategy, chosen from the keys: each key maps to a dense integer domain
 * (dictionary codes plus one slot for null; integer keys offset by their
 * minimum over the selection, when the range is small); when the product
 * of the domains is small the groups are a direct array, otherwise keys are
 * packed into 64 bits and hashed with open addressing, or hashed whole when
 * they do not fit 64 bits.  Each thread aggregates its morsels into its own
 * table; the tables are merged at the end. */
vf_status vf_group_agg(const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel,
                       const int *keys, int nkeys, const vf_aggspec *aggs, int naggs, int threads, vf_groups **out,
                       vf_error *err);
/* The same with options (opts may be NULL). */
vf_status vf_group_agg_ex(const vf_colview *cols, int ncols, int64_t nrows, const int64_t *sel, int64_t nsel,
                          const int *keys, int nkeys, const vf_aggspec *aggs, int naggs, int threads,
                          const vf_group_opts *opts, vf_groups **out, vf_error *err);

/* ================================================================== */
/* Top-k and sorting                                                   */
/* ================================================================== */
/* The k rows of sel (NULL: all) with the largest (descending) or smallest
 * values of the numeric column `col`, nulls last, ties broken by the lower
 * row index; *out (malloc'd) gets min(k, n) row indices in rank order.
 * A partial selection (a heap of k), not a full sort. */
vf_status vf_topk(const vf_colview *col, int64_t nrows, const int64_t *sel, int64_t nsel, int64_t k, bool descending,
                  int64_t **out, int64_t *nout, vf_error *err);

/* ================================================================== */
/* Gather                                                              */
/* ================================================================== */
/* *out (malloc'd, n values of `width` bytes: 1, 2, 4 or 8) gets
 * src[idx[i]] for each of the n indices, with up to `threads` threads.
 * Every index is checked against nsrc: one out of range fails the call
 * (VF_EARG, naming the first such position) and *out stays NULL. */
vf_status vf_gather(const void *src, int64_t nsrc, size_t width, const int64_t *idx, int64_t n, int threads,
                    void **out, vf_error *err);

#endif
