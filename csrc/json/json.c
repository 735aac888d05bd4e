/*
 * json.c - the JSON pull scanner (json.h).
 *
 * Strings are the hot path: a flow-log message is a hundred-odd bytes with
 * no escapes, so the scanner looks for the closing quote eight bytes at a
 * time and hands back the body in place; only a string with escapes is
 * copied, through the exact unescaper.  Everything else is a plain,
 * bounds-checked byte walk.
 */
#include "json.h"

static const char E_END_VALUE[] = "the JSON text ends where a value was expected";
static const char E_UNTERMINATED[] = "unterminated string";
static const char E_DEPTH[] = "JSON nested deeper than 64 levels";
static const char E_OOM[] = "out of memory";

static inline bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline bool is_digit(unsigned char c) { return (unsigned)(c - '0') <= 9u; }

void vf_jscan_init(vf_jscan *j, const char *p, size_t n) {
    memset(j, 0, sizeof *j);
    j->base = j->p = p;
    j->end = p + n;
}

bool vf_jfail(vf_jscan *j, const char *at, const char *what) {
    if (!j->err) {
        j->err = what;
        j->err_at = at;
    }
    return false;
}

/* An error because the text stopped too soon: in a stream, more may come. */
static bool fail_end(vf_jscan *j, const char *what) {
    if (!j->err) j->truncated = true;
    return vf_jfail(j, j->end, what);
}

bool vf_jws(vf_jscan *j) {
    const char *p = j->p, *end = j->end;
    while (p < end && is_ws((unsigned char)*p)) p++;
    j->p = p;
    return p < end;
}

vf_jkind vf_jpeek(vf_jscan *j) {
    if (j->err || !vf_jws(j)) return VF_J_NONE;
    switch (*j->p) {
    case '{': return VF_J_OBJECT;
    case '[': return VF_J_ARRAY;
    case '"': return VF_J_STRING;
    case 't': return VF_J_TRUE;
    case 'f': return VF_J_FALSE;
    case 'n': return VF_J_NULL;
    default: return *j->p == '-' || is_digit((unsigned char)*j->p) ? VF_J_NUMBER : VF_J_NONE;
    }
}

const char *vf_jkind_name(vf_jkind k) {
    switch (k) {
    case VF_J_OBJECT: return "an object";
    case VF_J_ARRAY: return "an array";
    case VF_J_STRING: return "a string";
    case VF_J_NUMBER: return "a number";
    case VF_J_TRUE:
    case VF_J_FALSE: return "a boolean";
    case VF_J_NULL: return "null";
    case VF_J_NONE: break;
    }
    return "no value";
}

/* ================================================================== */
/* Strings                                                             */
/* ================================================================== */
/* The first '"', '\\' or control byte in [p, end), or end.  Eight bytes at
 * a time: in (x - 0x01..) & ~x & 0x80.. the lowest set bit marks the first
 * zero byte of x exactly (borrows only create marks above it), and
 * (w - 0x20..) & ~w & 0x80.. likewise the first byte below 0x20, so the
 * lowest mark of the three tests is the first byte that stops a string. */
static inline const char *str_stop(const char *p, const char *end) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t w = vf_load64(p);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t t = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs;
        if (t) return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
    return p;
}

static void put_utf8(vf_buf *out, uint32_t cp) {
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xc0 | cp >> 6);
        t[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xe0 | cp >> 12);
        t[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        t[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        t[0] = (uint8_t)(0xf0 | cp >> 18);
        t[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        t[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        t[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    vf_buf_append(out, t, n);
}

static int hexval(unsigned char c) {
    if (is_digit(c)) return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at p: 1 and *cp, 0 if p[0..4) is not hex, -1 if the
 * text ends first (with only hex digits so far). */
static int hex4(const char *p, const char *end, uint32_t *cp) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        if (p + k >= end) return -1;
        int h = hexval((unsigned char)p[k]);
        if (h < 0) return 0;
        v = v << 4 | (uint32_t)h;
    }
    *cp = v;
    return 1;
}

/* The escape at q (a '\\'), unescaped to out (if not NULL); returns the
 * byte after it, or NULL on error. */
static const char *escape(vf_jscan *j, const char *q, vf_buf *out) {
    const char *end = j->end;
    if (end - q < 2) {
        fail_end(j, "the JSON text ends inside an escape");
        return NULL;
    }
    char c;
    switch (q[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': {
        uint32_t cp, lo;
        int h = hex4(q + 2, end, &cp);
        if (h <= 0) {
            if (h < 0) fail_end(j, "the JSON text ends inside a \\u escape");
            else vf_jfail(j, q, "invalid \\u escape (four hex digits expected)");
            return NULL;
        }
        const char *next = q + 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            vf_jfail(j, q, "lone low surrogate in a \\u escape");
            return NULL;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            /* a high surrogate: the low half must follow as \uDC00-\uDFFF */
            if ((next < end && next[0] != '\\') || (next + 1 < end && next[1] != 'u')) {
                vf_jfail(j, q, "lone high surrogate in a \\u escape");
                return NULL;
            }
            h = next + 1 < end ? hex4(next + 2, end, &lo) : -1;
            if (h <= 0) {
                if (h < 0) fail_end(j, "the JSON text ends inside a surrogate pair");
                else vf_jfail(j, next, "invalid \\u escape (four hex digits expected)");
                return NULL;
            }
            if (lo < 0xdc00 || lo > 0xdfff) {
                vf_jfail(j, q, "lone high surrogate in a \\u escape");
                return NULL;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            next += 6;
        }
        if (out) put_utf8(out, cp);
        return next;
    }
    default:
        vf_jfail(j, q, "invalid escape in a string");
        return NULL;
    }
    if (out) vf_buf_push(out, (uint8_t)c);
    return q + 2;
}

/* The body of a string from p (after its opening quote) to its closing
 * quote, unescaped and appended to out (if not NULL).  Returns the closing
 * quote, or NULL on error. */
static const char *str_scan(vf_jscan *j, const char *p, vf_buf *out) {
    const char *end = j->end;
    for (;;) {
        const char *q = str_stop(p, end);
        if (out) vf_buf_append(out, p, (size_t)(q - p));
        if (q >= end) {
            fail_end(j, E_UNTERMINATED);
            return NULL;
        }
        if (*q == '"') return q;
        if (*q != '\\') {
            vf_jfail(j, q, "raw control character in a string (it must be escaped)");
            return NULL;
        }
        p = escape(j, q, out);
        if (!p) return NULL;
    }
}

/* The string at the cursor.  Without escapes *raw (if given) is its body
 * in place, and out gets a copy only if `copy`; with escapes the unescaped
 * body is appended to out (NULL: only checked) and *raw points there. */
static bool string_at(vf_jscan *j, vf_buf *out, bool copy, vf_jstr *raw) {
    if (j->err) return false;
    if (!vf_jws(j)) return fail_end(j, "the JSON text ends where a string was expected");
    if (*j->p != '"') return vf_jfail(j, j->p, "expected a string");
    const char *start = j->p + 1, *q = str_stop(start, j->end);
    if (VF_LIKELY(q < j->end && *q == '"')) { /* no escapes */
        if (raw) *raw = (vf_jstr){start, (size_t)(q - start)};
        if (copy && out) vf_buf_append(out, start, (size_t)(q - start));
    } else {
        size_t out0 = out ? out->len : 0;
        q = str_scan(j, start, out);
        if (!q) return false;
        if (out && out->oom) return vf_jfail(j, q, E_OOM);
        if (raw) *raw = out ? (vf_jstr){(const char *)out->p + out0, out->len - out0} : (vf_jstr){NULL, 0};
    }
    if (out && out->oom) return vf_jfail(j, q, E_OOM);
    j->p = q + 1;
    return true;
}

bool vf_jstring(vf_jscan *j, vf_jstr *out, vf_buf *scratch) {
    scratch->len = 0;
    return string_at(j, scratch, false, out);
}

bool vf_jstring_to(vf_jscan *j, vf_buf *out) { return string_at(j, out, true, NULL); }

const char *vf_json_unescape(const char *s, size_t n, vf_buf *out, size_t *at) {
    vf_jscan j;
    vf_jscan_init(&j, s, n);
    const char *q = str_scan(&j, s, out);
    if (q) {
        *at = (size_t)(q - s);
        return "unescaped '\"' in a string";
    }
    if (j.err == E_UNTERMINATED) return out->oom ? E_OOM : NULL; /* ran to the end: the whole body is good */
    *at = (size_t)(j.err_at - s);
    return j.err;
}

/* ================================================================== */
/* Numbers and literals                                                */
/* ================================================================== */
/* The number at the cursor, checked against the grammar
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_at(vf_jscan *j, const char **s, size_t *n, bool *is_int) {
    const char *p = j->p, *end = j->end, *start = p;
    bool integer = true;
    if (p < end && *p == '-') p++;
    if (p >= end) return fail_end(j, "the JSON text ends inside a number");
    if (*p == '0') {
        p++;
    } else if (is_digit((unsigned char)*p)) {
        while (p < end && is_digit((unsigned char)*p)) p++;
    } else {
        return vf_jfail(j, start, "invalid number");
    }
    if (p < end && *p == '.') {
        integer = false;
        if (++p >= end) return fail_end(j, "the JSON text ends inside a number");
        if (!is_digit((unsigned char)*p)) return vf_jfail(j, start, "invalid number (a digit must follow '.')");
        while (p < end && is_digit((unsigned char)*p)) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        if (++p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end) return fail_end(j, "the JSON text ends inside a number");
        if (!is_digit((unsigned char)*p)) return vf_jfail(j, start, "invalid number (a digit must follow the exponent)");
        while (p < end && is_digit((unsigned char)*p)) p++;
    }
    if (p == end) j->touched_end = true;
    j->p = p;
    if (s) *s = start;
    if (n) *n = (size_t)(p - start);
    if (is_int) *is_int = integer;
    return true;
}

bool vf_jnumber(vf_jscan *j, const char **s, size_t *n, bool *is_int) {
    if (vf_jpeek(j) != VF_J_NUMBER) {
        if (j->err) return false;
        return j->p < j->end ? vf_jfail(j, j->p, "expected a number") : fail_end(j, E_END_VALUE);
    }
    return number_at(j, s, n, is_int);
}

static bool literal_at(vf_jscan *j, const char *word, size_t n) {
    size_t avail = (size_t)(j->end - j->p);
    if (avail < n) {
        if (memcmp(j->p, word, avail) == 0) return fail_end(j, "the JSON text ends inside a literal");
        return vf_jfail(j, j->p, "invalid literal");
    }
    if (memcmp(j->p, word, n) != 0) return vf_jfail(j, j->p, "invalid literal");
    j->p += n;
    return true;
}

/* ================================================================== */
/* Containers                                                          */
/* ================================================================== */
static bool enter(vf_jscan *j, char open) {
    if (j->err) return false;
    if (!vf_jws(j)) return fail_end(j, E_END_VALUE);
    if (*j->p != open) return vf_jfail(j, j->p, open == '{' ? "expected an object" : "expected an array");
    if (j->depth >= VF_JSON_MAX_DEPTH) return vf_jfail(j, j->p, E_DEPTH);
    j->p++;
    j->depth++;
    return true;
}

bool vf_jobject(vf_jscan *j) { return enter(j, '{'); }
bool vf_jarray(vf_jscan *j) { return enter(j, '['); }

static const char *ends_inside(char close) {
    return close == '}' ? "the JSON text ends inside an object" : "the JSON text ends inside an array";
}

/* After '{' or ',' inside an object: a key and its ':'. */
static bool key_at(vf_jscan *j, vf_jstr *key, vf_buf *scratch) {
    if (!vf_jws(j)) return fail_end(j, "the JSON text ends where an object key was expected");
    if (*j->p != '"') return vf_jfail(j, j->p, "expected a string key");
    if (scratch) scratch->len = 0;
    if (!string_at(j, scratch, false, key)) return false;
    if (!vf_jws(j)) return fail_end(j, "the JSON text ends where ':' was expected");
    if (*j->p != ':') return vf_jfail(j, j->p, "expected ':' after an object key");
    j->p++;
    return true;
}

/* Before the next member or element of the container closed by `close`:
 * 1 when one follows (after its ','), 0 when `close` was consumed. */
static int next_item(vf_jscan *j, size_t i, char close) {
    if (j->err) return -1;
    if (!vf_jws(j)) {
        fail_end(j, ends_inside(close));
        return -1;
    }
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    if (i > 0) {
        if (*j->p != ',') {
            vf_jfail(j, j->p, close == '}' ? "expected ',' or '}' after an object member"
                                           : "expected ',' or ']' after an array element");
            return -1;
        }
        j->p++;
    }
    return 1;
}

int vf_jmember(vf_jscan *j, size_t i, vf_jstr *key, vf_buf *scratch) {
    int r = next_item(j, i, '}');
    if (r <= 0) return r;
    return key_at(j, key, scratch) ? 1 : -1;
}

int vf_jelement(vf_jscan *j, size_t i) {
    int r = next_item(j, i, ']');
    if (r > 0 && vf_jpeek(j) == VF_J_NONE) {
        if (j->p >= j->end) fail_end(j, E_END_VALUE);
        else vf_jfail(j, j->p, "expected a value");
        return -1;
    }
    return r;
}

/* A scalar at the cursor (the cursor is on its first byte). */
static bool scalar_at(vf_jscan *j) {
    switch (*j->p) {
    case '"': return string_at(j, NULL, false, NULL);
    case 't': return literal_at(j, "true", 4);
    case 'f': return literal_at(j, "false", 5);
    case 'n': return literal_at(j, "null", 4);
    default:
        if (*j->p == '-' || is_digit((unsigned char)*j->p)) return number_at(j, NULL, NULL, NULL);
        return vf_jfail(j, j->p, "unexpected byte where a JSON value was expected");
    }
}

/* Skipping keeps its own stack of open containers (the closing byte of
 * each), so nesting costs a byte per level, never a call frame. */
bool vf_jskip(vf_jscan *j) {
    char stack[VF_JSON_MAX_DEPTH];
    int sp = 0;
    if (j->err) return false;
    for (;;) {
        /* a value */
        if (!vf_jws(j)) return fail_end(j, E_END_VALUE);
        char c = *j->p;
        if (c == '{' || c == '[') {
            if (j->depth + sp >= VF_JSON_MAX_DEPTH) return vf_jfail(j, j->p, E_DEPTH);
            stack[sp++] = c == '{' ? '}' : ']';
            j->p++;
            if (!vf_jws(j)) return fail_end(j, ends_inside(c == '{' ? '}' : ']'));
            if (*j->p != stack[sp - 1]) {
                if (c == '{' && !key_at(j, NULL, NULL)) return false;
                continue; /* the container's first value */
            }
            j->p++; /* empty */
            sp--;
        } else if (!scalar_at(j)) {
            return false;
        }
        /* after a value: close what ends here, or go on after a ',' */
        for (;;) {
            if (sp == 0) return true;
            if (!vf_jws(j)) return fail_end(j, ends_inside(stack[sp - 1]));
            c = *j->p;
            if (c == stack[sp - 1]) {
                j->p++;
                sp--;
                continue;
            }
            if (c != ',')
                return vf_jfail(j, j->p, stack[sp - 1] == '}' ? "expected ',' or '}' after an object member"
                                                              : "expected ',' or ']' after an array element");
            j->p++;
            if (stack[sp - 1] == '}' && !key_at(j, NULL, NULL)) return false;
            break;
        }
    }
}

/* ================================================================== */
/* base64                                                              */
/* ================================================================== */
/* Sextet values; 64: whitespace, 65: '=', 255: not base64. */
#define WS_ 64
#define PAD 65
#define BAD 255
static const uint8_t B64[256] = {
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, WS_, WS_, BAD, BAD, WS_, BAD, BAD, /* \t \n \r */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    WS_, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, 62,  BAD, BAD, BAD, 63,  /* ' ' + / */
    52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  BAD, BAD, BAD, PAD, BAD, BAD, /* 0-9 = */
    BAD, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  /* A-O */
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  BAD, BAD, BAD, BAD, BAD, /* P-Z */
    BAD, 26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,  /* a-o */
    41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  BAD, BAD, BAD, BAD, BAD, /* p-z */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
};

const char *vf_base64_decode(const char *s, size_t n, vf_buf *out, size_t *at) {
    const unsigned char *u = (const unsigned char *)s;
    if (!vf_buf_reserve(out, n / 4 * 3 + 3)) {
        *at = 0;
        return E_OOM;
    }
    uint8_t *o = out->p + out->len;
    uint32_t acc = 0;
    int nacc = 0, pad = 0;
    size_t i = 0;
    while (i < n) {
        /* whole groups of four, the common case, without per-byte branches */
        if (nacc == 0 && !pad) {
            while (n - i >= 4) {
                uint32_t a = B64[u[i]], b = B64[u[i + 1]], c = B64[u[i + 2]], d = B64[u[i + 3]];
                if ((a | b | c | d) >= 64) break;
                uint32_t v = a << 18 | b << 12 | c << 6 | d;
                o[0] = (uint8_t)(v >> 16);
                o[1] = (uint8_t)(v >> 8);
                o[2] = (uint8_t)v;
                o += 3;
                i += 4;
            }
            if (i == n) break;
        }
        uint8_t v = B64[u[i]];
        if (v < 64) {
            if (pad) {
                *at = i;
                out->len = (size_t)(o - out->p);
                return "base64 data after padding";
            }
            acc = acc << 6 | v;
            if (++nacc == 4) {
                o[0] = (uint8_t)(acc >> 16);
                o[1] = (uint8_t)(acc >> 8);
                o[2] = (uint8_t)acc;
                o += 3;
                acc = 0;
                nacc = 0;
            }
        } else if (v == PAD) {
            if (nacc < 2 || nacc + ++pad > 4) {
                *at = i;
                out->len = (size_t)(o - out->p);
                return "misplaced base64 padding '='";
            }
        } else if (v != WS_) {
            *at = i;
            out->len = (size_t)(o - out->p);
            return "invalid base64 character";
        }
        i++;
    }
    out->len = (size_t)(o - out->p);
    *at = n;
    if (pad && nacc + pad != 4) return "incomplete base64 padding";
    if (nacc == 1) return "truncated base64 (a final group of one character)";
    if (nacc == 2) {
        if (acc & 0xf) return "non-canonical base64 (non-zero bits after the last byte)";
        vf_buf_push(out, (uint8_t)(acc >> 4));
    } else if (nacc == 3) {
        if (acc & 0x3) return "non-canonical base64 (non-zero bits after the last byte)";
        vf_buf_push(out, (uint8_t)(acc >> 10));
        vf_buf_push(out, (uint8_t)(acc >> 2));
    }
    return NULL;
}
