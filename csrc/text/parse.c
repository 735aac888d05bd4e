/*
 * parse.c - the header-driven flow-log line parser.
 *
 * One pass over a batch of whole lines.  For each line the fields are
 * split on runs of spaces/tabs and parsed straight into the batch's column
 * arrays (allocated once, sized by a newline count): integers in place,
 * addresses to 16 bytes, strings and addresses dictionary-encoded.  A line
 * is validated completely before anything of it is committed to a
 * dictionary, so a bad line leaves no trace but its bad record.
 */
#include "parse.h"

#include <stdio.h>

/* ================================================================== */
/* Headers                                                             */
/* ================================================================== */
void vf_hdr_free(vf_hdr *h) {
    if (!h) return;
    for (int i = 0; i < h->nf; i++) free(h->names[i]);
    free(h->names);
    free(h->types);
    free(h);
}

static bool name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

vf_hdr *vf_hdr_new(const char *const *names, const size_t *lens, int nf, vf_error *err) {
    if (nf <= 0 || nf > VF_MAX_FIELDS) {
        vf_fail(err, VF_EARG, "a header needs 1 to %d fields, got %d", VF_MAX_FIELDS, nf);
        return NULL;
    }
    vf_hdr *h = calloc(1, sizeof *h);
    if (!h) goto oom;
    h->names = calloc((size_t)nf, sizeof *h->names);
    h->types = calloc((size_t)nf, sizeof *h->types);
    if (!h->names || !h->types) goto oom;
    h->nf = nf;
    uint64_t sig = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < nf; i++) {
        size_t n = lens ? lens[i] : strlen(names[i]);
        if (n == 0) {
            vf_fail(err, VF_EARG, "empty field name at position %d", i + 1);
            goto fail;
        }
        for (size_t k = 0; k < n; k++) {
            if (!name_char(names[i][k])) {
                char t[VF_ERR_TEXT];
                vf_copy_text(t, sizeof t, names[i], n);
                vf_fail(err, VF_EARG, "invalid field name '%s' (use lowercase letters, digits, '-' or '_')", t);
                goto fail;
            }
        }
        h->names[i] = vf_strndup(names[i], n);
        if (!h->names[i]) goto oom;
        for (size_t k = 0; k < n; k++)
            if (h->names[i][k] == '-') h->names[i][k] = '_';
        int ki = vf_known_field_index(names[i], n);
        size_t nk;
        h->types[i] = ki >= 0 ? vf_known_fields(&nk)[ki].type : VF_T_STRING;
        for (int j = 0; j < i; j++) {
            if (strcmp(h->names[j], h->names[i]) == 0) {
                vf_fail(err, VF_EARG, "field '%s' appears twice (positions %d and %d)", h->names[i], j + 1, i + 1);
                goto fail;
            }
        }
        sig = vf_mix64(sig ^ vf_hash_bytes(h->names[i], n)) + (uint64_t)i;
    }
    h->sig = sig;
    return h;
oom:
    vf_fail(err, VF_ENOMEM, "out of memory");
fail:
    vf_hdr_free(h);
    return NULL;
}

vf_hdr *vf_hdr_copy(const vf_hdr *h) {
    return vf_hdr_new((const char *const *)h->names, NULL, h->nf, NULL);
}

vf_hdr *vf_try_header(const char *line, size_t len, vf_error *err) {
    const char *names[VF_MAX_FIELDS];
    size_t lens[VF_MAX_FIELDS];
    int nf = 0;
    bool known = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == len) break;
        size_t s = i;
        if (line[i] < 'a' || line[i] > 'z') return NULL;
        while (i < len && line[i] != ' ' && line[i] != '\t') {
            if (!name_char(line[i])) return NULL;
            i++;
        }
        if (nf == VF_MAX_FIELDS) return NULL;
        names[nf] = line + s;
        lens[nf] = i - s;
        if (!known && vf_known_field_index(line + s, i - s) >= 0) known = true;
        nf++;
    }
    if (!known || nf == 0) return NULL;
    return vf_hdr_new(names, lens, nf, err);
}

vf_hdr *vf_default_hdr(const char *const *fields, size_t nfields, vf_error *err) {
    if (fields && nfields) return vf_hdr_new(fields, NULL, (int)nfields, err);
    size_t nk;
    const vf_known_field *k = vf_known_fields(&nk);
    const char *names[14];
    for (int i = 0; i < 14; i++) names[i] = k[i].header; /* the v2 default format */
    return vf_hdr_new(names, NULL, 14, err);
}

/* ================================================================== */
/* Batches                                                             */
/* ================================================================== */
void vf_batch_free(vf_batch *b) {
    if (!b) return;
    for (int i = 0; i < b->ncols; i++) {
        free(b->cols[i].name);
        free(b->cols[i].vals);
        free(b->cols[i].valid);
        vf_dict_free(b->cols[i].dict);
    }
    free(b->cols);
    for (size_t i = 0; i < b->nbad; i++) {
        free(b->bad[i].field);
        free(b->bad[i].text);
        free(b->bad[i].reason);
    }
    free(b->bad);
    vf_hdr_free(b->start_hdr);
    vf_hdr_free(b->end_hdr);
    free(b->row_line);
    free(b->err_field);
    free(b->err_text);
    free(b->err_reason);
    free(b);
}

static void batch_oom(vf_batch *b) {
    if (b->status == VF_OK) b->status = VF_ENOMEM;
}

int vf_batch_col(vf_batch *b, const char *name, vf_type type) {
    for (int i = 0; i < b->ncols; i++)
        if (strcmp(b->cols[i].name, name) == 0) return i;
    if (b->ncols == b->capcols) {
        int nc = b->capcols ? b->capcols * 2 : 32;
        vf_bcol *c = vf_realloc_n(b->cols, (size_t)nc, sizeof *c);
        if (!c) return -1;
        b->cols = c;
        b->capcols = nc;
    }
    vf_bcol *c = &b->cols[b->ncols];
    memset(c, 0, sizeof *c);
    c->name = vf_strndup(name, strlen(name));
    c->type = type;
    c->is_time = strcmp(name, "start") == 0 || strcmp(name, "end") == 0;
    c->last_code = -2;
    size_t w = type == VF_T_INT64 ? 8 : 4;
    c->vals = vf_malloc_n((size_t)b->cap, w);
    if (type == VF_T_INT32 || type == VF_T_INT64) {
        c->valid = vf_malloc_n((size_t)b->cap, 1);
        if (c->valid) memset(c->valid, 0, (size_t)b->nrows);
        if (c->vals) memset(c->vals, 0, (size_t)b->nrows * w);
    } else {
        c->dict = vf_dict_new(type);
        if (c->vals)
            for (int64_t r = 0; r < b->nrows; r++) ((int32_t *)c->vals)[r] = -1;
    }
    if (!c->name || !c->vals || (c->type <= VF_T_INT64 ? !c->valid : !c->dict)) {
        free(c->name);
        free(c->vals);
        free(c->valid);
        vf_dict_free(c->dict);
        return -1;
    }
    return b->ncols++;
}

/* The active header bound to batch columns. */
/* What the hot loop needs of a field, in one small record: its column's
 * type and arrays, without going through the batch's column table. */
typedef struct {
    vf_type type;
    bool is_time;
    void *vals;
    uint8_t *valid;
    vf_bcol *col;
} fieldop;

typedef struct {
    const vf_hdr *h;
    int map[VF_MAX_FIELDS];       /* field -> column */
    fieldop ops[VF_MAX_FIELDS];   /* field -> its column's arrays */
    int ndict;
    int dict[VF_MAX_FIELDS];      /* the string/address fields, committed last */
    int nunmapped, capunmapped;
    int *unmapped;                /* columns absent from this header: a batch
                                   * can gather more than VF_MAX_FIELDS columns
                                   * over several headers */
} binding;

static bool bind(vf_batch *b, const vf_hdr *h, binding *bd) {
    bd->h = h;
    for (int i = 0; i < h->nf; i++) {
        int c = vf_batch_col(b, h->names[i], h->types[i]);
        if (c < 0) return false;
        bd->map[i] = c;
    }
    bd->nunmapped = 0;
    if (b->ncols > bd->capunmapped) {
        int *u = vf_realloc_n(bd->unmapped, (size_t)b->ncols, sizeof *u);
        if (!u) return false;
        bd->unmapped = u;
        bd->capunmapped = b->ncols;
    }
    for (int c = 0; c < b->ncols; c++) {
        bool found = false;
        for (int i = 0; i < h->nf && !found; i++) found = bd->map[i] == c;
        if (!found) bd->unmapped[bd->nunmapped++] = c;
    }
    /* b->cols may have moved: take the pointers now */
    bd->ndict = 0;
    for (int i = 0; i < h->nf; i++) {
        vf_bcol *c = &b->cols[bd->map[i]];
        bd->ops[i] = (fieldop){c->type, c->is_time, c->vals, c->valid, c};
        if (c->type == VF_T_STRING || c->type == VF_T_ADDR) bd->dict[bd->ndict++] = i;
    }
    return true;
}

void vf_batch_add_bad(vf_batch *b, const vf_parse_cfg *cfg, int64_t line, const char *field,
                      const char *text, size_t textlen, const char *reason) {
    b->bad_lines++;
    if (b->nbad >= cfg->max_bad_kept) return;
    if (b->nbad == b->capbad) {
        size_t nc = b->capbad ? b->capbad * 2 : 16;
        vf_bbad *nb = vf_realloc_n(b->bad, nc, sizeof *nb);
        if (!nb) {
            batch_oom(b);
            return;
        }
        b->bad = nb;
        b->capbad = nc;
    }
    vf_bbad *r = &b->bad[b->nbad];
    size_t tn = textlen < cfg->max_bad_text ? textlen : cfg->max_bad_text;
    r->line = line;
    r->offset = -1;
    r->field = field ? vf_strndup(field, strlen(field)) : NULL;
    r->text = vf_strndup(text, tn);
    r->reason = vf_strndup(reason, strlen(reason));
    if (!r->text || !r->reason || (field && !r->field)) {
        free(r->field);
        free(r->text);
        free(r->reason);
        batch_oom(b);
        return;
    }
    b->nbad++;
}

/* Record a bad line: an error for on_error=raise, else a kept bad record. */
static void bad_line(vf_batch *b, const vf_parse_cfg *cfg, int64_t line, const char *field,
                     const char *text, size_t textlen, const char *reason) {
    if (cfg->on_error == VF_ON_ERROR_RAISE) {
        b->status = VF_EPARSE;
        b->err_line = line;
        b->err_field = field ? vf_strndup(field, strlen(field)) : NULL;
        b->err_text = vf_strndup(text, textlen < 4096 ? textlen : 4096);
        b->err_reason = vf_strndup(reason, strlen(reason));
        b->bad_lines++;
        return;
    }
    vf_batch_add_bad(b, cfg, line, field, text, textlen, reason);
}

static inline bool is_sp(char c) { return c == ' ' || c == '\t'; }

/* The first space, tab or newline at or after q, in padded text (there is
 * always a newline): eight bytes at a time (SWAR).  In (x - 0x01..) & ~x &
 * 0x80.. the lowest set bit marks the first zero byte of x exactly (borrows
 * only create marks above it), so the lowest mark of the three tests is the
 * first separator.  Little-endian loads: the first byte is the lowest. */
static inline const char *find_sep_padded(const char *q) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (;;) {
        uint64_t w = vf_load64(q);
        uint64_t x = w ^ (ones * ' '), y = w ^ (ones * '\t'), z = w ^ (ones * '\n');
        uint64_t t = (((x - ones) & ~x) | ((y - ones) & ~y) | ((z - ones) & ~z)) & highs;
        if (t) return q + (__builtin_ctzll(t) >> 3);
        q += 8;
    }
}


/* start/end values this large are milliseconds (seconds would be past
 * the year 5000): converted to seconds, floor, and counted */
#define VF_MS_THRESHOLD 100000000000LL

static inline int64_t time_seconds(int64_t v, int64_t *ms) {
    if (v < VF_MS_THRESHOLD) return v;
    (*ms)++;
    return v / 1000;
}

/* a == b for n <= 64 bytes, without a call */
static inline bool eq_small(const char *a, const char *b, size_t n) {
    while (n >= 8) {
        if (vf_load64(a) != vf_load64(b)) return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n--)
        if (*a++ != *b++) return false;
    return true;
}

static inline int32_t dict_put_cached(vf_bcol *c, const char *s, size_t n) {
    if (c->last_code >= 0 && c->last_len == n && eq_small(c->last, s, n)) return c->last_code;
    int32_t code = vf_dict_put_str(c->dict, s, n);
    if (code >= 0 && n <= sizeof c->last) {
        memcpy(c->last, s, n);
        c->last_len = n;
        c->last_code = code;
    }
    return code;
}

static inline int32_t v4_put_cached(vf_bcol *c, uint32_t v) {
    if (c->last_code >= 0 && c->last_v4 == v) return c->last_code;
    int32_t code = vf_dict_put_ipv4(c->dict, v);
    if (code >= 0) {
        c->last_v4 = v;
        c->last_code = code;
    }
    return code;
}

/* A dotted quad (Python's ipaddress grammar: no leading zeros, octets
 * <= 255) at p, as a 32-bit value; returns the end, or NULL.  The token
 * must still end there (a space or the line's end), as the caller checks. */
static inline const char *parse_v4_fast(const char *p, uint32_t *out) {
    /* padded text: the line's '\n' or '\r' stops every test below */
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned o = (unsigned)((unsigned char)*p - '0');
        if (o > 9) return NULL;
        p++;
        if ((unsigned)((unsigned char)*p - '0') <= 9) {
            if (o == 0) return NULL;
            o = o * 10 + (unsigned)(*p++ - '0');
            if ((unsigned)((unsigned char)*p - '0') <= 9) {
                o = o * 10 + (unsigned)(*p++ - '0');
                if (o > 255) return NULL;
            }
        }
        v = v << 8 | o;
        if (k < 3) {
            if (*p != '.') return NULL;
            p++;
        }
    }
    *out = v;
    return p;
}

/* Why an integer field was rejected: its syntax, or its size. */
static const char *int_problem(const char *s, size_t n) {
    size_t i = n && s[0] == '-' ? 1 : 0;
    if (i == n) return "invalid integer";
    for (; i < n; i++)
        if ((unsigned)((unsigned char)s[i] - '0') > 9u) return "invalid integer";
    return "integer out of range";
}

static void fmt_reason(char *out, size_t cap, const char *what, const char *field, vf_type t, const char *s, size_t n) {
    char tx[VF_ERR_TEXT];
    vf_copy_text(tx, sizeof tx, s, n);
    snprintf(out, cap, "field '%s' (%s): %s '%s'", field, vf_type_name(t), what, tx);
}

#define VF_PAD 64

static void parse_padded(vf_batch *b, const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg);

/* The batch parses a copy of its text followed by VF_PAD newlines: every
 * line then ends in '\n' (or "\r\n"), which is neither a digit, a dot nor
 * a space, so the hot loops stop at the line's end without bounds checks,
 * and eight-byte loads near the end stay inside the buffer. */
vf_batch *vf_parse_batch_with(const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg, int src,
                              vf_scratch *scratch) {
    vf_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->src = src;
    b->err_offset = -1;
    if (len > SIZE_MAX - VF_PAD) {
        batch_oom(b);
        return b;
    }
    if (scratch->cap < len + VF_PAD) {
        char *nb = realloc(scratch->buf, len + VF_PAD);
        if (!nb) {
            batch_oom(b);
            return b;
        }
        scratch->buf = nb;
        scratch->cap = len + VF_PAD;
    }
    memcpy(scratch->buf, text, len);
    memset(scratch->buf + len, '\n', VF_PAD);
    parse_padded(b, scratch->buf, len, hdr, cfg);
    return b;
}

vf_batch *vf_parse_batch(const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg, int src) {
    vf_scratch scratch = {NULL, 0};
    vf_batch *b = vf_parse_batch_with(text, len, hdr, cfg, src, &scratch);
    free(scratch.buf);
    return b;
}

static void parse_padded(vf_batch *b, const char *text, size_t len, const vf_hdr *hdr, const vf_parse_cfg *cfg) {
    int64_t nl = 0;
    for (const char *p = text, *e = text + len; p < e;) {
        const char *q = memchr(p, '\n', (size_t)(e - p));
        if (!q) break;
        nl++;
        p = q + 1;
    }
    b->newlines = nl + (len && text[len - 1] != '\n' ? 1 : 0);
    b->cap = b->newlines + 1;
    b->start_hdr = vf_hdr_copy(hdr);
    vf_hdr *active = vf_hdr_copy(hdr);
    binding *bd = calloc(1, sizeof *bd);
    if (cfg->row_lines) b->row_line = vf_malloc_n((size_t)b->cap, sizeof *b->row_line);
    if (!b->start_hdr || !active || !bd || (cfg->row_lines && !b->row_line) || !bind(b, active, bd)) {
        vf_hdr_free(active);
        if (bd) free(bd->unmapped);
        free(bd);
        batch_oom(b);
        return;
    }

    struct span {
        const char *s;
        uint32_t n;
    };
    struct span spans[VF_MAX_FIELDS];
    uint8_t addrs[VF_MAX_FIELDS][16];
    uint8_t fams[VF_MAX_FIELDS];
    uint32_t v4s[VF_MAX_FIELDS];
    char reason[VF_ERR_TEXT + 160];
    char hdr_reason[VF_ERR_MSG + 64];

    const char *p = text, *end = text + len;
    int64_t lineno = 0;
    while (p < end && b->status == VF_OK) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        const char *le = nlp ? nlp : end;
        const char *next = nlp ? nlp + 1 : end;
        const char *e = le;
        lineno++;
        if (e > p && e[-1] == '\r') e--;
        const char *q = p;
        while (is_sp(*q)) q++; /* *e is not a space */
        if (q == e) {
            b->blank_lines++;
            p = next;
            continue;
        }
        b->lines++;
        /* A header-shaped line: the active header repeated (concatenated
         * files) is skipped; any other is a new header only if it is not a
         * valid record under the active one (data wins, so a record whose
         * values happen to look like field names is never lost). */
        vf_hdr *cand = NULL;
        bool cand_bad = false;
        if (*q >= 'a' && *q <= 'z') {
            vf_error herr;
            vf_error_clear(&herr);
            cand = vf_try_header(q, (size_t)(e - q), &herr);
            if (cand && cand->sig == active->sig) {
                vf_hdr_free(cand);
                b->header_lines++;
                p = next;
                continue;
            }
            if (!cand && herr.code != VF_OK) { /* header-shaped but unusable, e.g. a repeated name */
                snprintf(hdr_reason, sizeof hdr_reason, "not a record, and not a usable header: %s", herr.msg);
                cand_bad = true;
            }
        }

        const int nf = active->nf;
        const int64_t row = b->nrows;
        int fi = 0;
        int64_t ms = 0;
        bool bad = false;
        for (; fi < nf; fi++) {
            if (q >= e) break;
            const fieldop *op = &bd->ops[fi];
            const char *s = q;
            /* Fast paths: plain integers and dotted quads are parsed while
             * finding the token's end; anything else (nulls, errors, IPv6)
             * takes the general path below. */
            if (op->type == VF_T_INT64 || op->type == VF_T_INT32) {
                uint64_t v = 0;
                for (;;) { /* the line's '\n' or '\r' ends the run */
                    unsigned d = (unsigned)((unsigned char)*q - '0');
                    if (d > 9) break;
                    v = v * 10 + d;
                    q++;
                }
                if (VF_LIKELY((size_t)(q - s) - 1 < 18 && (q == e || is_sp(*q)))) {
                    if (op->type == VF_T_INT64) {
                        ((int64_t *)op->vals)[row] = op->is_time ? time_seconds((int64_t)v, &ms) : (int64_t)v;
                        op->valid[row] = 1;
                        while (is_sp(*q)) q++; /* *e is not a space */
                        continue;
                    }
                    if (v <= INT32_MAX) {
                        ((int32_t *)op->vals)[row] = (int32_t)v;
                        op->valid[row] = 1;
                        while (is_sp(*q)) q++; /* *e is not a space */
                        continue;
                    }
                }
                q = s;
            } else if (op->type == VF_T_ADDR) {
                uint32_t v4;
                const char *t = parse_v4_fast(s, &v4);
                if (t && (t == e || is_sp(*t))) {
                    spans[fi].s = s;
                    v4s[fi] = v4;
                    fams[fi] = 4;
                    q = t;
                    while (is_sp(*q)) q++; /* *e is not a space */
                    continue;
                }
            }
            vf_bcol *c = op->col;
            q = find_sep_padded(q);
            if (q > e) q = e; /* a "\r\n" line: the '\r' is not part of the token */
            size_t n = (size_t)(q - s);
            while (is_sp(*q)) q++; /* *e is not a space */
            const bool null = n == 1 && *s == '-';
            switch (c->type) {
            case VF_T_INT64: {
                int64_t v = 0;
                if (null) {
                    c->valid[row] = 0;
                } else if (VF_UNLIKELY(vf_parse_int64(s, n, &v) != 0)) {
                    fmt_reason(reason, sizeof reason, int_problem(s, n), c->name, c->type, s, n);
                    bad = true;
                } else {
                    if (c->is_time) v = time_seconds(v, &ms); /* negative values stay as they are */
                    c->valid[row] = 1;
                }
                ((int64_t *)c->vals)[row] = v;
                break;
            }
            case VF_T_INT32: {
                int64_t v = 0;
                if (null) {
                    c->valid[row] = 0;
                } else if (VF_UNLIKELY(vf_parse_int64(s, n, &v) != 0 || v < INT32_MIN || v > INT32_MAX)) {
                    fmt_reason(reason, sizeof reason, int_problem(s, n), c->name, c->type, s, n);
                    bad = true;
                } else {
                    c->valid[row] = 1;
                }
                ((int32_t *)c->vals)[row] = (int32_t)v;
                break;
            }
            case VF_T_ADDR:
                spans[fi].s = null ? NULL : s;
                if (!null) {
                    if (VF_UNLIKELY(vf_parse_addr(s, n, addrs[fi], &fams[fi]) != 0)) {
                        fmt_reason(reason, sizeof reason, "invalid IP address", c->name, c->type, s, n);
                        bad = true;
                    } else if (fams[fi] == 4) {
                        const uint8_t *a = addrs[fi];
                        v4s[fi] = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
                    }
                }
                break;
            default:
                spans[fi].s = null ? NULL : s;
                spans[fi].n = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
                break;
            }
            if (bad) break;
        }
        if (!bad && (fi < nf || q < e)) {
            /* wrong number of fields: count them all for the message */
            int found = 0;
            for (const char *t = p; t < e;) {
                while (t < e && is_sp(*t)) t++;
                if (t == e) break;
                found++;
                while (t < e && !is_sp(*t)) t++;
            }
            snprintf(reason, sizeof reason, "expected %d fields, found %d", nf, found);
            bad = true;
            fi = -1;
        }
        if (bad && cand) { /* a new header */
            b->header_lines++;
            vf_hdr_free(active);
            active = cand;
            if (!bind(b, active, bd)) batch_oom(b);
            p = next;
            continue;
        }
        vf_hdr_free(cand);
        if (bad) {
            bad_line(b, cfg, lineno, fi >= 0 && !cand_bad ? b->cols[bd->map[fi]].name : NULL, p, (size_t)(e - p),
                     cand_bad ? hdr_reason : reason);
            p = next;
            continue;
        }
        /* commit: dictionary entries, and nulls for the columns this header lacks */
        for (int k = 0; k < bd->ndict; k++) {
            const int i = bd->dict[k];
            vf_bcol *c = bd->ops[i].col;
            int32_t code;
            if (!spans[i].s)
                code = -1;
            else if (c->type == VF_T_STRING)
                code = dict_put_cached(c, spans[i].s, spans[i].n);
            else
                code = fams[i] == 4 ? v4_put_cached(c, v4s[i]) : vf_dict_put_addr(c->dict, addrs[i], 6);
            if (VF_UNLIKELY(code < 0 && spans[i].s)) {
                batch_oom(b);
                break;
            }
            ((int32_t *)c->vals)[row] = code;
        }
        for (int k = 0; k < bd->nunmapped; k++) {
            vf_bcol *c = &b->cols[bd->unmapped[k]];
            if (c->valid) {
                c->valid[row] = 0;
                if (c->type == VF_T_INT64)
                    ((int64_t *)c->vals)[row] = 0;
                else
                    ((int32_t *)c->vals)[row] = 0;
            } else {
                ((int32_t *)c->vals)[row] = -1;
            }
        }
        if (b->row_line) b->row_line[row] = lineno;
        b->ms_fixed += ms;
        b->nrows++;
        p = next;
    }
    /* null counts, once per batch rather than once per value */
    for (int i = 0; i < b->ncols; i++) {
        vf_bcol *c = &b->cols[i];
        int64_t nn = 0;
        if (c->valid) {
            for (int64_t r = 0; r < b->nrows; r++) nn += c->valid[r] == 0;
        } else {
            const int32_t *codes = c->vals;
            for (int64_t r = 0; r < b->nrows; r++) nn += codes[r] < 0;
        }
        c->nnull = nn;
    }
    b->end_hdr = active;
    free(bd->unmapped);
    free(bd);
    return;
}
