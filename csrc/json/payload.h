/*
 * payload.h - flow-log messages out of the shapes they arrive in besides
 * plain text: CloudWatch Logs subscription payloads and Firehose records
 * (internal).
 *
 * What an object (a file, or bytes in memory, after gzip/zstd) may hold,
 * told apart by its first non-blank bytes (vf_sniff_content):
 *
 *   JSON    ('{' or '['): a sequence of JSON values, with or without
 *           whitespace between them (Firehose concatenates without).  Each
 *           is a record, or an array of records:
 *             - a CloudWatch Logs subscription payload {"messageType":
 *               "DATA_MESSAGE"|"CONTROL_MESSAGE", "logGroup", "logStream",
 *               "logEvents": [{"id", "timestamp", "message"}, ...], ...};
 *             - a Firehose direct-delivery record {"message": "<line>"};
 *             - a Lambda event {"awslogs": {"data": "<base64>"}}, a Kinesis
 *               Lambda event {"Records": [{"kinesis": {"data": ...}}, ...]}
 *               or a Firehose transformation event {"records": [{"data":
 *               ...}, ...]}: each data is base64 of a gzip'd payload (or of
 *               plain JSON) holding payloads or Firehose records (not
 *               events again: one level only).
 *   BASE64  ("H4sI", base64 of gzip's magic): one record per line, each the
 *           base64 of a gzip'd payload as Kinesis and Firehose carry them.
 * (read.c reads a source as text even so when its first line is a valid
 * flow-log record: a string field's value may begin with '{' too.)
 *
 * Each message becomes one line of flow-log text for the line parser,
 * with the event's log group, log stream and timestamp beside it (the
 * columns log_group, log_stream and event_timestamp).  Lines are numbered
 * by their position in the object: the n-th log event or Firehose record
 * (CONTROL_MESSAGE events do not count) is line n, whatever payload or
 * record it came in.
 *
 * Problems, from the smallest to the largest:
 *   - a bad flow-log message: the line parser's bad record, as for text;
 *   - a bad event (not an object, no message, a message that is not a
 *     string or holds a line break, a timestamp that is not an integer):
 *     a bad record on the event's own line;
 *   - a bad payload or record (valid JSON of the wrong shape, bad base64,
 *     a damaged gzip stream, a DATA_MESSAGE without logEvents, a wrapper
 *     record without data): one bad record, numbered as the next event
 *     would be; nothing of that payload is kept, the next one is read;
 *   - invalid JSON: one bad record as above; the value it is in (or the
 *     element of a top-level array) is dropped and reading resumes at the
 *     next line that starts with '{' or '[' (JSON lines and newline-
 *     separated payloads resynchronise; a broken document without line
 *     breaks loses the rest of the object).
 * Every bad record carries the byte offset (in the decompressed object) of
 * the record it is about.  With on_error=raise the first problem ends the
 * object.
 */
#ifndef VF_PAYLOAD_H
#define VF_PAYLOAD_H

#include "../text/parse.h"
#include "json.h"

typedef enum vf_content {
    VF_CONTENT_TEXT = 0,
    VF_CONTENT_JSON,
    VF_CONTENT_BASE64,
    VF_CONTENT_PARQUET,
    VF_CONTENT_BLANK     /* only whitespace so far: a stream must read on (at its end it is text) */
} vf_content;

/* What decompressed bytes hold, from their first non-blank bytes (a UTF-8
 * byte order mark before JSON is allowed). */
vf_content vf_sniff_content(const char *p, size_t n);

/* The largest JSON value, or decoded record, the layer holds at once. */
#define VF_PAYLOAD_MAX_VALUE ((size_t)1 << 30)

/* What vf_payload_scan keeps between calls (sink and state). */
typedef struct vf_payload {
    vf_content mode;              /* VF_CONTENT_JSON or VF_CONTENT_BASE64 */
    vf_parse_cfg cfg;
    size_t max_value;             /* VF_PAYLOAD_MAX_VALUE, lower in tests */
    /* the lines found since the last batch, one message per line */
    vf_buf text;
    int64_t nlines;
    size_t linecap;
    int64_t *line_off;            /* byte offset of each line's record */
    bool meta;                    /* lines carry CloudWatch metadata: */
    int64_t *ts;                  /*   event timestamp (ms) */
    uint8_t *ts_ok;               /*   1 if there is one */
    int32_t *group, *stream;      /*   codes in names, -1 null */
    vf_dict *names;
    vf_bbad *rej;                 /* records rejected here (the first cfg.max_bad_kept) */
    size_t nrej, caprej;
    int64_t rej_all, rej_own;     /* every reject; those with their own line */
    /* counts over the whole object, for the report */
    int64_t payloads, control, messages;
    /* state */
    bool resync;                  /* skipping to the next line that starts a JSON value */
    bool oom;
    const char *org_base;         /* offsets: org_off + (p - org_base), */
    int64_t org_off;
    int64_t rec_off;              /*   or this record's offset (>= 0) inside decoded data */
    const char *inner_at;         /* the first failure inside a decoded record */
    char inner_why[240];
    vf_buf key, str, b64, raw;    /* scratch */
} vf_payload;

void vf_payload_init(vf_payload *s, vf_content mode, const vf_parse_cfg *cfg);
void vf_payload_free(vf_payload *s);

/* Take records from p[0..n), which starts at byte `off` of the object, into
 * the sink; returns the bytes consumed.  It stops after the record that
 * brings the sink's text to `want` bytes, at a record that is incomplete
 * (unless eof: then the rest is all there is), or, with on_error=raise,
 * after the first problem (vf_payload_failed).  The caller passes the
 * unconsumed bytes again, with more after them. */
size_t vf_payload_scan(vf_payload *s, const char *p, size_t n, int64_t off, bool eof, size_t want);
/* on_error=raise and a problem was found: the object ends here. */
static inline bool vf_payload_failed(const vf_payload *s) {
    return s->cfg.on_error == VF_ON_ERROR_RAISE && s->rej_all > 0;
}
/* Lines or rejects wait in the sink. */
static inline bool vf_payload_pending(const vf_payload *s) { return s->nlines > 0 || s->rej_all > 0; }

/* Parse the sink's lines (hdr in force at the start) into a batch, with
 * the CloudWatch columns and the rejects merged in line order, and empty
 * the sink.  NULL when out of memory. */
vf_batch *vf_payload_batch(vf_payload *s, const vf_hdr *hdr, int src, vf_scratch *scratch);

#endif
