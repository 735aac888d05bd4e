/*
 * payload.c - CloudWatch Logs subscription payloads and Firehose records
 * to lines of flow-log text (payload.h).
 *
 * One pass over the JSON: messages are unescaped straight into the sink's
 * text, one per line, as their events are met, whatever order the keys of
 * a payload come in; what is only known at the end of a payload (its log
 * group and stream, whether it is a CONTROL_MESSAGE, whether it is valid
 * at all) is applied then.  That works because every change to the sink
 * can be undone to a mark: a payload found bad, a CONTROL_MESSAGE's
 * events, a record whose decoded data fails, or a value cut off at the
 * end of a stream's window (read again once more bytes are in) are rolled
 * back whole.
 *
 * Nesting is bounded by the code, not the input: level 0 is the object's
 * own JSON, level 1 the decoded data of a wrapper's record, which may not
 * hold wrappers again.
 */
#include "payload.h"

#include <stdio.h>

static const char BOM[] = "\xef\xbb\xbf";

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline bool key_is(vf_jstr k, const char *name, size_t n) { return k.n == n && memcmp(k.s, name, n) == 0; }
#define KEY_IS(k, lit) key_is(k, lit, sizeof lit - 1)

vf_content vf_sniff_content(const char *p, size_t n) {
    if (n >= 4 && memcmp(p, "PAR1", 4) == 0) return VF_CONTENT_PARQUET;
    const bool bom = n >= 3 && memcmp(p, BOM, 3) == 0; /* allowed before JSON only */
    size_t i = bom ? 3 : 0;
    while (i < n && is_ws(p[i])) i++;
    if (i == n) return VF_CONTENT_BLANK;
    if (p[i] == '{' || p[i] == '[') return VF_CONTENT_JSON;
    if (!bom && n - i >= 4 && memcmp(p + i, "H4sI", 4) == 0) return VF_CONTENT_BASE64;
    return VF_CONTENT_TEXT;
}

/* ================================================================== */
/* The sink                                                            */
/* ================================================================== */
void vf_payload_init(vf_payload *s, vf_content mode, const vf_parse_cfg *cfg) {
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->cfg = *cfg;
    s->cfg.row_lines = true;
    s->max_value = VF_PAYLOAD_MAX_VALUE;
    s->rec_off = -1;
}

static void free_bad(vf_bbad *r) {
    free(r->field);
    free(r->text);
    free(r->reason);
}

static void drop_rejects(vf_payload *s, size_t from) {
    for (size_t i = from; i < s->nrej; i++) free_bad(&s->rej[i]);
    s->nrej = from;
}

void vf_payload_free(vf_payload *s) {
    vf_buf_free(&s->text);
    free(s->line_off);
    free(s->ts);
    free(s->ts_ok);
    free(s->group);
    free(s->stream);
    vf_dict_free(s->names);
    drop_rejects(s, 0);
    free(s->rej);
    vf_buf_free(&s->key);
    vf_buf_free(&s->str);
    vf_buf_free(&s->b64);
    vf_buf_free(&s->raw);
    memset(s, 0, sizeof *s);
}

static bool oom(vf_payload *s) {
    s->oom = true;
    return false;
}

/* The metadata arrays, grown to n lines. */
static bool meta_grow(vf_payload *s, size_t n) {
    int64_t *ts = vf_realloc_n(s->ts, n, sizeof *ts);
    if (ts) s->ts = ts;
    uint8_t *ok = vf_realloc_n(s->ts_ok, n, 1);
    if (ok) s->ts_ok = ok;
    int32_t *g = vf_realloc_n(s->group, n, sizeof *g);
    if (g) s->group = g;
    int32_t *st = vf_realloc_n(s->stream, n, sizeof *st);
    if (st) s->stream = st;
    return ts && ok && g && st;
}

/* From now on the sink's lines carry metadata; those before have none. */
static bool meta_on(vf_payload *s) {
    if (s->meta) return true;
    if (s->linecap && !meta_grow(s, s->linecap)) return oom(s);
    for (int64_t i = 0; i < s->nlines; i++) {
        s->ts_ok[i] = 0;
        s->group[i] = s->stream[i] = -1;
    }
    s->meta = true;
    return true;
}

/* Room for one more line. */
static bool line_room(vf_payload *s) {
    if ((size_t)s->nlines < s->linecap) return true;
    size_t nc = s->linecap ? s->linecap * 2 : 1024;
    int64_t *lo = vf_realloc_n(s->line_off, nc, sizeof *lo);
    if (!lo) return oom(s);
    s->line_off = lo;
    if (s->meta && !meta_grow(s, nc)) return oom(s);
    s->linecap = nc;
    return true;
}

/* A CloudWatch event's timestamp (the log group and stream are set when
 * its payload ends). */
typedef struct evmeta {
    int64_t ts;
    bool ts_ok;
} evmeta;

/* End the line whose text was just appended: its newline, the offset of
 * the record it came from, and its metadata (NULL: none). */
static bool end_line(vf_payload *s, int64_t off, const evmeta *m) {
    if ((m && !meta_on(s)) || !line_room(s)) return false;
    vf_buf_push(&s->text, '\n');
    if (s->text.oom) return oom(s);
    int64_t i = s->nlines++;
    s->line_off[i] = off;
    if (s->meta) {
        s->ts[i] = m ? m->ts : 0;
        s->ts_ok[i] = m && m->ts_ok;
        s->group[i] = s->stream[i] = -1;
    }
    return true;
}

/* Everything vf_payload_scan changes, to undo a payload. */
typedef struct mark {
    size_t text, nrej;
    int64_t lines, rej_all, rej_own, payloads, control, messages;
    bool meta;
} mark;

static mark save(const vf_payload *s) {
    return (mark){s->text.len, s->nrej, s->nlines, s->rej_all, s->rej_own, s->payloads, s->control, s->messages, s->meta};
}

static void restore(vf_payload *s, const mark *m) {
    s->text.len = m->text;
    drop_rejects(s, m->nrej);
    s->nlines = m->lines;
    s->rej_all = m->rej_all;
    s->rej_own = m->rej_own;
    s->payloads = m->payloads;
    s->control = m->control;
    s->messages = m->messages;
    s->meta = m->meta;
}

/* The byte offset in the object of p, a position in the text being read
 * (inside a record's decoded data: the record's offset). */
static int64_t off_of(const vf_payload *s, const char *p) {
    return s->rec_off >= 0 ? s->rec_off : s->org_off + (int64_t)(p - s->org_base);
}

/* A record rejected here: with its own (blank) line, or, for a payload or
 * record as a whole, before the next line.  text[0..tn) is what is shown. */
static void reject(vf_payload *s, bool own_line, int64_t off, const char *field, const char *text, size_t tn,
                   const char *fmt, ...) VF_PRINTF(7, 8);
static void reject(vf_payload *s, bool own_line, int64_t off, const char *field, const char *text, size_t tn,
                   const char *fmt, ...) {
    if (own_line && !end_line(s, off, NULL)) return;
    s->rej_all++;
    s->rej_own += own_line;
    if (s->nrej >= s->cfg.max_bad_kept) return;
    if (s->nrej == s->caprej) {
        size_t nc = s->caprej ? s->caprej * 2 : 16;
        vf_bbad *nr = vf_realloc_n(s->rej, nc, sizeof *nr);
        if (!nr) {
            oom(s);
            return;
        }
        s->rej = nr;
        s->caprej = nc;
    }
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (tn > s->cfg.max_bad_text) tn = s->cfg.max_bad_text;
    vf_bbad *r = &s->rej[s->nrej];
    r->line = own_line ? s->nlines : s->nlines + 1;
    r->offset = off;
    r->field = field ? vf_strndup(field, strlen(field)) : NULL;
    r->text = vf_strndup(text ? text : "", text ? tn : 0);
    r->reason = vf_strndup(reason, strlen(reason));
    if (!r->text || !r->reason || (field && !r->field)) {
        free_bad(r);
        oom(s);
        return;
    }
    s->nrej++;
}

/* What a payload-level reject shows: the bytes from the problem on. */
#define SNIPPET 64
static size_t snip(const char *at, const char *end) { return end - at < SNIPPET ? (size_t)(end - at) : SNIPPET; }

/* ================================================================== */
/* Units: what is kept or dropped whole                                */
/* ================================================================== */
typedef struct unit {
    mark m;
    bool bad;
    const char *at;      /* where the problem is */
    char why[240];
} unit;

static void unit_fail(unit *u, const char *at, const char *fmt, ...) VF_PRINTF(3, 4);
static void unit_fail(unit *u, const char *at, const char *fmt, ...) {
    if (u->bad) return;
    u->bad = true;
    u->at = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->why, sizeof u->why, fmt, ap);
    va_end(ap);
}

/* A value of the wrong kind: skipped (checked), then the unit fails. */
static void wrong_kind(vf_jscan *j, unit *u, const char *what, const char *want) {
    const char *at = j->p;
    vf_jkind k = vf_jpeek(j);
    if (vf_jskip(j)) unit_fail(u, at, "%s: expected %s, found %s", what, want, vf_jkind_name(k));
}

static bool top_value(vf_payload *s, vf_jscan *j, int level);
static void record_b64(vf_payload *s, vf_jscan *j, const char *what);

/* ================================================================== */
/* CloudWatch Logs payloads                                            */
/* ================================================================== */
/* The offending text of an event: its JSON, from ev to the cursor. */
static void event_reject(vf_payload *s, vf_jscan *j, const char *ev, int64_t off, const char *field, const char *why) {
    reject(s, true, off, field, ev, (size_t)(j->p - ev), "%s", why);
}

/* An event's "timestamp": an integer (milliseconds) or null.  Returns
 * NULL, or what is wrong with it. */
static const char *timestamp(vf_jscan *j, evmeta *m, char *why, size_t cap) {
    vf_jkind k = vf_jpeek(j);
    if (k == VF_J_NUMBER) {
        const char *t;
        size_t n;
        bool is_int;
        if (!vf_jnumber(j, &t, &n, &is_int)) return NULL;
        if (is_int && vf_parse_int64(t, n, &m->ts) == 0) {
            m->ts_ok = true;
            return NULL;
        }
        char tx[48];
        vf_copy_text(tx, sizeof tx, t, n);
        snprintf(why, cap, "timestamp: expected an integer (milliseconds) in int64 range, found '%s'", tx);
        return why;
    }
    if (!vf_jskip(j) || k == VF_J_NULL) return NULL;
    snprintf(why, cap, "timestamp: expected an integer (milliseconds), found %s", vf_jkind_name(k));
    return why;
}

/* One element of logEvents: {"id": ..., "timestamp": <ms>, "message": "<line>"}. */
static void log_event(vf_payload *s, vf_jscan *j) {
    const char *ev = j->p;
    const int64_t off = off_of(s, ev);
    s->messages++;
    vf_jkind k = vf_jpeek(j);
    if (k != VF_J_OBJECT) {
        if (vf_jskip(j)) {
            char why[80];
            snprintf(why, sizeof why, "a log event must be an object, found %s", vf_jkind_name(k));
            event_reject(s, j, ev, off, NULL, why);
        }
        return;
    }
    vf_jobject(j);
    const size_t t0 = s->text.len;
    evmeta m = {0, false};
    bool have_msg = false, have_ts = false;
    const char *why = NULL, *field = NULL;
    char msg_why[96], ts_why[160];
    vf_jstr key;
    int r;
    for (size_t i = 0; (r = vf_jmember(j, i, &key, &s->key)) > 0; i++) {
        if (KEY_IS(key, "message")) {
            k = vf_jpeek(j);
            if (k == VF_J_STRING && !have_msg) {
                vf_jstring_to(j, &s->text);
                have_msg = true;
                continue;
            }
            if (!why && have_msg) why = "the key 'message' appears twice";
            if (!why && k != VF_J_STRING) {
                snprintf(msg_why, sizeof msg_why, "message: expected a string, found %s", vf_jkind_name(k));
                why = msg_why;
            }
            vf_jskip(j);
        } else if (KEY_IS(key, "timestamp")) {
            const char *tw = "the key 'timestamp' appears twice";
            if (have_ts) vf_jskip(j);
            else tw = timestamp(j, &m, ts_why, sizeof ts_why);
            have_ts = true;
            if (tw && !why) {
                why = tw;
                field = "event_timestamp";
            }
        } else {
            vf_jskip(j);
        }
    }
    if (r < 0 || j->err) {
        s->text.len = t0;
        return;
    }
    if (!why && !have_msg) why = "a log event without a message";
    if (!why && s->text.len > t0 && memchr(s->text.p + t0, '\n', s->text.len - t0))
        why = "the message holds a line break (a flow-log message is one record)";
    if (why) {
        s->text.len = t0;
        event_reject(s, j, ev, off, field, why);
        return;
    }
    end_line(s, off, &m);
}

static void log_events(vf_payload *s, vf_jscan *j, unit *u) {
    if (vf_jpeek(j) != VF_J_ARRAY) {
        wrong_kind(j, u, "logEvents", "an array");
        return;
    }
    vf_jarray(j);
    for (size_t i = 0; vf_jelement(j, i) > 0 && !s->oom; i++) log_event(s, j);
}

/* logGroup or logStream: a string (its code in names) or null (-1). */
static int32_t name_value(vf_payload *s, vf_jscan *j, unit *u, const char *what) {
    vf_jkind k = vf_jpeek(j);
    if (k != VF_J_STRING) {
        if (k == VF_J_NULL) vf_jskip(j);
        else wrong_kind(j, u, what, "a string");
        return -1;
    }
    vf_jstr v;
    if (!vf_jstring(j, &v, &s->str)) return -1;
    if (!s->names && !(s->names = vf_dict_new(VF_T_STRING))) return oom(s), -1;
    int32_t c = vf_dict_put_str(s->names, v.s, v.n);
    if (c < 0) oom(s);
    return c;
}

enum { MT_NONE, MT_DATA, MT_CONTROL };

static int message_type(vf_payload *s, vf_jscan *j, unit *u) {
    const char *at = j->p;
    if (vf_jpeek(j) != VF_J_STRING) {
        wrong_kind(j, u, "messageType", "a string");
        return MT_NONE;
    }
    vf_jstr v;
    if (!vf_jstring(j, &v, &s->str)) return MT_NONE;
    if (KEY_IS(v, "DATA_MESSAGE")) return MT_DATA;
    if (KEY_IS(v, "CONTROL_MESSAGE")) return MT_CONTROL;
    char tx[64];
    vf_copy_text(tx, sizeof tx, v.s, v.n);
    unit_fail(u, at, "unknown messageType '%s' (DATA_MESSAGE or CONTROL_MESSAGE expected)", tx);
    return MT_NONE;
}

/* ================================================================== */
/* Firehose records and event wrappers                                 */
/* ================================================================== */
/* The "message" of a Firehose record that starts at rec. */
static void firehose_message(vf_payload *s, vf_jscan *j, const char *rec) {
    const int64_t off = off_of(s, rec);
    const char *at = j->p;
    const size_t t0 = s->text.len;
    vf_jkind k = vf_jpeek(j);
    s->messages++;
    if (k == VF_J_STRING) {
        if (!vf_jstring_to(j, &s->text)) {
            s->text.len = t0;
            return;
        }
        if (s->text.len == t0 || !memchr(s->text.p + t0, '\n', s->text.len - t0)) {
            end_line(s, off, NULL);
            return;
        }
        s->text.len = t0;
        event_reject(s, j, at, off, NULL, "the message holds a line break (a flow-log message is one record)");
        return;
    }
    if (!vf_jskip(j)) return;
    char why[80];
    snprintf(why, sizeof why, "message: expected a string, found %s", vf_jkind_name(k));
    event_reject(s, j, at, off, NULL, why);
}

/* The members of the object at the cursor, the first string "data" among
 * them read as a base64 record.  Returns whether there was one. */
static bool data_member(vf_payload *s, vf_jscan *j, const char *label) {
    bool done = false;
    vf_jstr key;
    vf_jobject(j);
    for (size_t i = 0; vf_jmember(j, i, &key, &s->key) > 0 && !s->oom; i++) {
        if (!done && KEY_IS(key, "data") && vf_jpeek(j) == VF_J_STRING) {
            record_b64(s, j, label);
            done = true;
        } else {
            vf_jskip(j);
        }
    }
    return done;
}

/* Element i of a Kinesis event's Records ({"kinesis": {"data": ...}}) or
 * of a Firehose transformation event's records ({"data": ...}). */
static void wrapped_record(vf_payload *s, vf_jscan *j, bool kinesis, size_t i) {
    const char *rec = j->p;
    char label[64];
    snprintf(label, sizeof label, kinesis ? "Records[%zu].kinesis.data" : "records[%zu].data", i);
    bool found = false;
    if (vf_jpeek(j) != VF_J_OBJECT) {
        vf_jskip(j);
    } else if (!kinesis) {
        found = data_member(s, j, label);
    } else {
        vf_jstr key;
        vf_jobject(j);
        for (size_t m = 0; vf_jmember(j, m, &key, &s->key) > 0 && !s->oom; m++) {
            if (!found && KEY_IS(key, "kinesis") && vf_jpeek(j) == VF_J_OBJECT) found = data_member(s, j, label);
            else vf_jskip(j);
        }
    }
    if (!j->err && !found && !s->oom)
        reject(s, false, off_of(s, rec), NULL, rec, (size_t)(j->p - rec), "%s: missing (a base64 string is expected)",
               label);
}

static void wrapper_records(vf_payload *s, vf_jscan *j, unit *u, bool kinesis) {
    if (vf_jpeek(j) != VF_J_ARRAY) {
        wrong_kind(j, u, kinesis ? "Records" : "records", "an array");
        return;
    }
    vf_jarray(j);
    for (size_t i = 0; vf_jelement(j, i) > 0 && !s->oom; i++) wrapped_record(s, j, kinesis, i);
}

/* {"awslogs": {"data": "<base64>"}}: a Lambda function's CloudWatch Logs event. */
static void awslogs(vf_payload *s, vf_jscan *j, unit *u) {
    const char *at = j->p;
    if (vf_jpeek(j) != VF_J_OBJECT) {
        wrong_kind(j, u, "awslogs", "an object");
        return;
    }
    if (!data_member(s, j, "awslogs.data") && !j->err) unit_fail(u, at, "awslogs: no data (a base64 string is expected)");
}

/* ================================================================== */
/* Decoded records                                                     */
/* ================================================================== */
/* gzip'd data into s->raw, at most max_value bytes of it.  false (and the
 * record rejected) if the stream is damaged. */
static bool gunzip(vf_payload *s, const char *d, size_t n, int64_t off, const char *what) {
    vf_dstream *ds = vf_dstream_open(VF_CODEC_GZIP, d, n, "gzip");
    if (!ds) return oom(s);
    vf_error err;
    vf_error_clear(&err);
    vf_status st = VF_OK;
    bool eof = false;
    s->raw.len = 0;
    while (!eof && st == VF_OK) {
        if (s->raw.len > s->max_value) {
            st = vf_fail(&err, VF_ECODEC, "gzip: decompresses to more than %zu bytes (the limit)", s->max_value);
            break;
        }
        if (!vf_buf_reserve(&s->raw, s->raw.len < 65536 ? 65536 : s->raw.len)) {
            st = VF_ENOMEM;
            break;
        }
        /* never more than one byte past the limit */
        size_t room = s->raw.cap - s->raw.len, left = s->max_value + 1 - s->raw.len, got = 0;
        st = vf_dstream_read(ds, (char *)s->raw.p + s->raw.len, room < left ? room : left, &got, &eof, &err);
        s->raw.len += got;
    }
    if (st == VF_OK && s->raw.len > s->max_value)
        st = vf_fail(&err, VF_ECODEC, "gzip: decompresses to more than %zu bytes (the limit)", s->max_value);
    vf_dstream_close(ds);
    if (st == VF_ENOMEM) return oom(s);
    if (st != VF_OK) {
        reject(s, false, off, NULL, d, snip(d, d + n), "%s: %s", what, err.msg);
        return false;
    }
    return true;
}

/* The decoded bytes of a record (gzip'd or not): JSON holding payloads or
 * Firehose records, read as level 1.  Any problem in it rejects the
 * record as a whole, as one bad record at the record's offset. */
static void record_data(vf_payload *s, const char *d, size_t n, int64_t off, const char *what) {
    if (vf_sniff(d, n) == VF_CODEC_GZIP) {
        if (!gunzip(s, d, n, off, what)) return;
        d = (const char *)s->raw.p;
        n = s->raw.len;
    }
    if (vf_sniff_content(d, n) != VF_CONTENT_JSON) {
        reject(s, false, off, NULL, d, snip(d, d + n), "%s: holds neither JSON nor gzip'd JSON", what);
        return;
    }
    const mark m = save(s);
    const int64_t outer = s->rec_off;
    s->rec_off = off;
    s->inner_at = NULL;
    vf_jscan j;
    vf_jscan_init(&j, d, n);
    bool ok = true;
    while (ok && !s->inner_at && !s->oom && vf_jws(&j)) ok = top_value(s, &j, 1);
    s->rec_off = outer;
    if (s->oom || (ok && !s->inner_at)) return;
    const char *at = ok ? s->inner_at : j.err_at;
    restore(s, &m);
    reject(s, false, off, NULL, at, snip(at, d + n), "%s, byte %zu of its payload: %s%s", what, (size_t)(at - d),
           ok ? "" : "invalid JSON: ", ok ? s->inner_why : j.err);
}

/* A record given as base64 text. */
static void record_text(vf_payload *s, const char *b, size_t n, int64_t off, const char *what) {
    size_t at;
    s->b64.len = 0;
    const char *e = vf_base64_decode(b, n, &s->b64, &at);
    if (s->b64.oom) {
        oom(s);
        return;
    }
    if (e) {
        reject(s, false, off, NULL, b + at, snip(b + at, b + n), "%s: invalid base64 at character %zu: %s", what, at, e);
        return;
    }
    record_data(s, (const char *)s->b64.p, s->b64.len, off, what);
}

/* The string at the cursor, as a base64 record. */
static void record_b64(vf_payload *s, vf_jscan *j, const char *what) {
    const int64_t off = off_of(s, j->p);
    vf_jstr v;
    if (vf_jstring(j, &v, &s->str)) record_text(s, v.s, v.n, off, what);
}

/* ================================================================== */
/* Documents                                                           */
/* ================================================================== */
enum { K_TYPE, K_GROUP, K_STREAM, K_EVENTS, K_AWSLOGS, K_KINESIS, K_FIREHOSE, K_MESSAGE, NKEYS };
static const char *const KEYS[NKEYS] = {"messageType", "logGroup", "logStream", "logEvents",
                                        "awslogs",     "Records",  "records",   "message"};

static int key_index(vf_jstr k) {
    for (int i = 0; i < NKEYS; i++)
        if (key_is(k, KEYS[i], strlen(KEYS[i]))) return i;
    return -1;
}

#define BIT(k) (1u << (k))

/* One object: a CloudWatch Logs payload, a Firehose record or (level 0) an
 * event wrapper, told apart by its keys, which may come in any order. */
static void doc(vf_payload *s, vf_jscan *j, int level, unit *u) {
    const char *at = j->p;
    if (vf_jpeek(j) != VF_J_OBJECT) {
        wrong_kind(j, u, "a record", "an object (a CloudWatch Logs payload, a Firehose record or a Lambda event)");
        return;
    }
    vf_jobject(j);
    unsigned seen = 0;
    int mtype = MT_NONE;
    int32_t group = -1, stream = -1;
    int64_t l0 = 0, l1 = 0;
    mark before_events = save(s);
    vf_jstr key;
    int r;
    for (size_t i = 0; (r = vf_jmember(j, i, &key, &s->key)) > 0 && !s->oom; i++) {
        vf_jws(j);
        const char *vat = j->p;
        int w = key_index(key);
        if (w < 0) {
            vf_jskip(j);
            continue;
        }
        if (seen & BIT(w)) {
            if (vf_jskip(j)) unit_fail(u, vat, "the key '%s' appears twice", KEYS[w]);
            continue;
        }
        seen |= BIT(w);
        if (level > 0 && (w == K_AWSLOGS || w == K_KINESIS || w == K_FIREHOSE)) {
            if (vf_jskip(j)) unit_fail(u, vat, "an event wrapper ('%s') inside a record's data", KEYS[w]);
            continue;
        }
        switch (w) {
        case K_TYPE: mtype = message_type(s, j, u); break;
        case K_GROUP: group = name_value(s, j, u, "logGroup"); break;
        case K_STREAM: stream = name_value(s, j, u, "logStream"); break;
        case K_EVENTS:
            before_events = save(s);
            l0 = s->nlines;
            log_events(s, j, u);
            l1 = s->nlines;
            break;
        case K_AWSLOGS: awslogs(s, j, u); break;
        case K_KINESIS:
        case K_FIREHOSE: wrapper_records(s, j, u, w == K_KINESIS); break;
        case K_MESSAGE: firehose_message(s, j, at); break;
        }
    }
    if (r < 0 || j->err || s->oom) return;
    const unsigned cwl = BIT(K_TYPE) | BIT(K_EVENTS);
    int shapes = !!(seen & cwl) + !!(seen & BIT(K_AWSLOGS)) + !!(seen & BIT(K_KINESIS)) + !!(seen & BIT(K_FIREHOSE)) +
                 !!(seen & BIT(K_MESSAGE));
    if (shapes == 0)
        unit_fail(u, at, "not a CloudWatch Logs payload, Firehose record or Lambda event (none of the keys "
                         "messageType, logEvents, message, awslogs, Records, records)");
    else if (shapes > 1)
        unit_fail(u, at, "the keys of more than one payload shape in one object");
    if (u->bad || !(seen & cwl)) return;
    if (mtype == MT_CONTROL) { /* a health check: no records, its events unread */
        restore(s, &before_events);
        s->payloads++;
        s->control++;
        return;
    }
    if (!(seen & BIT(K_EVENTS))) {
        unit_fail(u, at, "a DATA_MESSAGE without logEvents");
        return;
    }
    s->payloads++;
    if (s->meta)
        for (int64_t l = l0; l < l1; l++) {
            s->group[l] = group;
            s->stream[l] = stream;
        }
}

/* A payload found bad: a reject at level 0; inside a record's data, the
 * record's failure (record_data rejects the record). */
static void damaged(vf_payload *s, int level, const unit *u, const char *end) {
    if (level == 0) {
        reject(s, false, off_of(s, u->at), NULL, u->at, snip(u->at, end), "%s", u->why);
    } else if (!s->inner_at) {
        s->inner_at = u->at;
        snprintf(s->inner_why, sizeof s->inner_why, "%s", u->why);
    }
}

/* An object kept or dropped whole.  false on invalid JSON (the unit
 * dropped; the caller reports it). */
static bool unit_of(vf_payload *s, vf_jscan *j, int level) {
    unit u;
    u.m = save(s);
    u.bad = false;
    doc(s, j, level, &u);
    if (j->err || u.bad) {
        restore(s, &u.m);
        if (!j->err) damaged(s, level, &u, j->end);
    }
    return !j->err;
}

/* A top-level value: an object, or an array whose elements are units. */
static bool top_value(vf_payload *s, vf_jscan *j, int level) {
    if (vf_jpeek(j) != VF_J_ARRAY) return unit_of(s, j, level);
    vf_jarray(j);
    int r;
    for (size_t i = 0; (r = vf_jelement(j, i)) > 0; i++)
        if (!unit_of(s, j, level) || s->oom) return false;
    return r == 0;
}

/* ================================================================== */
/* Scanning an object                                                  */
/* ================================================================== */
/* Where reading resumes after a damaged record: the next line that starts
 * a JSON value (JSON), or the next line (base64).  NULL: not in [p, end);
 * *keep is where the search must go on once more bytes are in. */
static const char *resync_point(vf_content mode, const char *p, const char *end, const char **keep) {
    for (const char *q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) {
        if (mode == VF_CONTENT_BASE64) return q + 1;
        if (q + 1 == end) {
            *keep = q;
            return NULL;
        }
        if (q[1] == '{' || q[1] == '[') return q + 1;
    }
    *keep = end;
    return NULL;
}

/* The record at cur needs more than max_value bytes: rejected, skipped. */
static void too_large(vf_payload *s, const char *cur, const char *end) {
    reject(s, false, off_of(s, cur), NULL, cur, snip(cur, end), "a record larger than %zu bytes (the limit)",
           s->max_value);
    s->resync = true;
}

/* One JSON value (or array of them) at cur; returns where reading goes
 * on, or NULL when the value is cut off at the end (read more). */
static const char *json_record(vf_payload *s, const char *cur, const char *end, bool eof) {
    const mark top = save(s);
    vf_jscan j;
    vf_jscan_init(&j, cur, (size_t)(end - cur));
    bool ok = top_value(s, &j, 0);
    if (!eof && (ok ? j.touched_end : j.truncated)) {
        restore(s, &top);
        if ((size_t)(end - cur) <= s->max_value) return NULL;
        too_large(s, cur, end);
        return cur;
    }
    if (ok || s->oom) return j.p;
    reject(s, false, off_of(s, j.err_at), NULL, j.err_at, snip(j.err_at, end), "invalid JSON: %s", j.err);
    s->resync = true;
    return j.err_at;
}

/* One line of base64 at cur; NULL when its end is not in yet. */
static const char *base64_record(vf_payload *s, const char *cur, const char *end, bool eof) {
    const char *nl = memchr(cur, '\n', (size_t)(end - cur));
    if (!nl && !eof) {
        if ((size_t)(end - cur) <= s->max_value) return NULL;
        too_large(s, cur, end);
        return cur;
    }
    const char *le = nl ? nl : end;
    record_text(s, cur, (size_t)(le - cur), off_of(s, cur), "base64 record");
    return nl ? nl + 1 : end;
}

size_t vf_payload_scan(vf_payload *s, const char *p, size_t n, int64_t off, bool eof, size_t want) {
    const char *cur = p, *end = p + n;
    s->org_base = p;
    s->org_off = off;
    if (off == 0 && n >= 3 && memcmp(p, BOM, 3) == 0 && s->mode == VF_CONTENT_JSON) cur += 3;
    while (!s->oom && !vf_payload_failed(s) && s->text.len < want) {
        if (s->resync) {
            const char *keep = end, *q = resync_point(s->mode, cur, end, &keep);
            if (!q) {
                cur = eof ? end : keep;
                break;
            }
            cur = q;
            s->resync = false;
        }
        while (cur < end && is_ws(*cur)) cur++;
        if (cur == end) break;
        const char *next = s->mode == VF_CONTENT_BASE64 ? base64_record(s, cur, end, eof) : json_record(s, cur, end, eof);
        if (!next) break;
        cur = next;
    }
    return (size_t)(cur - p);
}

/* ================================================================== */
/* Batches                                                             */
/* ================================================================== */
/* Is `name` taken by a field of the log format?  (The field wins.) */
static bool has_col(const vf_batch *b, const char *name) {
    for (int i = 0; i < b->ncols; i++)
        if (strcmp(b->cols[i].name, name) == 0) return true;
    return false;
}

/* A string column from the lines' codes in s->names. */
static bool attach_names(vf_payload *s, vf_batch *b, const char *name, const int32_t *codes) {
    if (has_col(b, name)) return true;
    int c = vf_batch_col(b, name, VF_T_STRING);
    if (c < 0) return false;
    vf_bcol *col = &b->cols[c];
    int32_t *out = col->vals, last_in = -2, last_out = -1;
    const int64_t *o = s->names ? vf_dict_offsets(s->names) : NULL;
    const char *d = s->names ? vf_dict_data(s->names) : NULL;
    int64_t nnull = 0;
    for (int64_t r = 0; r < b->nrows; r++) {
        int32_t in = codes[b->row_line[r] - 1];
        if (in != last_in) { /* the lines of a payload share their names */
            last_out = in < 0 ? -1 : vf_dict_put_str(col->dict, d + o[in], (size_t)(o[in + 1] - o[in]));
            if (in >= 0 && last_out < 0) return false;
            last_in = in;
        }
        out[r] = last_out;
        nnull += last_out < 0;
    }
    col->nnull = nnull;
    return true;
}

static bool attach_timestamps(vf_payload *s, vf_batch *b) {
    if (has_col(b, "event_timestamp")) return true;
    int c = vf_batch_col(b, "event_timestamp", VF_T_INT64);
    if (c < 0) return false;
    vf_bcol *col = &b->cols[c];
    int64_t *out = col->vals, nnull = 0;
    for (int64_t r = 0; r < b->nrows; r++) {
        int64_t l = b->row_line[r] - 1;
        out[r] = s->ts_ok[l] ? s->ts[l] : 0;
        col->valid[r] = s->ts_ok[l];
        nnull += !s->ts_ok[l];
    }
    col->nnull = nnull;
    return true;
}

/* The rejects into the batch's bad records or failure, in line order (a
 * reject goes before the parser's record on the same line: it came first). */
static bool merge_rejects(vf_payload *s, vf_batch *b) {
    if (s->cfg.on_error == VF_ON_ERROR_RAISE) {
        if (s->nrej == 0) return true; /* none (a reject that could not be kept has set oom) */
        vf_bbad *r = &s->rej[0];
        if (b->status == VF_EPARSE && b->err_line < r->line) return true;
        free(b->err_field);
        free(b->err_text);
        free(b->err_reason);
        b->status = VF_EPARSE;
        b->err_line = r->line;
        b->err_offset = r->offset;
        b->err_field = r->field;
        b->err_text = r->text;
        b->err_reason = r->reason;
        r->field = r->text = r->reason = NULL;
        return true;
    }
    size_t cap = s->cfg.max_bad_kept, n = b->nbad + s->nrej < cap ? b->nbad + s->nrej : cap;
    vf_bbad *m = vf_malloc_n(n ? n : 1, sizeof *m);
    if (!m) return false;
    size_t i = 0, k = 0, out = 0;
    while (out < n) {
        bool take_rej = k < s->nrej && (i == b->nbad || s->rej[k].line <= b->bad[i].line);
        m[out++] = take_rej ? s->rej[k++] : b->bad[i++];
    }
    for (; i < b->nbad; i++) free_bad(&b->bad[i]);
    for (; k < s->nrej; k++) free_bad(&s->rej[k]);
    s->nrej = 0;
    free(b->bad);
    b->bad = m;
    b->nbad = b->capbad = n;
    b->bad_lines += s->rej_all;
    b->lines += s->rej_all;
    b->blank_lines -= s->rej_own; /* a rejected event's line is blank in the text */
    return true;
}

vf_batch *vf_payload_batch(vf_payload *s, const vf_hdr *hdr, int src, vf_scratch *scratch) {
    vf_batch *b = vf_parse_batch_with(s->text.len ? (const char *)s->text.p : "", s->text.len, hdr, &s->cfg, src,
                                      scratch);
    if (b && b->status != VF_ENOMEM) {
        /* the parser's bad records and failure get their record's offset */
        for (size_t i = 0; i < b->nbad; i++) b->bad[i].offset = s->line_off[b->bad[i].line - 1];
        if (b->status == VF_EPARSE) b->err_offset = s->line_off[b->err_line - 1];
        bool ok = !s->meta || (attach_names(s, b, "log_group", s->group) && attach_names(s, b, "log_stream", s->stream) &&
                               attach_timestamps(s, b));
        if (!ok || !merge_rejects(s, b)) b->status = VF_ENOMEM;
    }
    drop_rejects(s, 0);
    s->text.len = 0;
    s->nlines = 0;
    s->rej_all = s->rej_own = 0;
    s->meta = false;
    vf_dict_free(s->names);
    s->names = NULL;
    return b;
}
