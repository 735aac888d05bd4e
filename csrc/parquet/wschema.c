/*
 * wschema.c - the Parquet type of each column the writer writes.
 *
 * Storage types first (as AWS's flow-log delivery has them: INT32, INT64,
 * BYTE_ARRAY + STRING, all OPTIONAL), then the column's logical type, when
 * it has one this storage type can carry, in the spelling the Parquet
 * reader gives it (csrc/parquet/file.c on the reader's side):
 *   decimal(p,s)            int32 (p <= 9), int64 (p <= 18), binary
 *   date32                  int32
 *   time[ms] / time[us|ns]  int32 / int64
 *   timestamp[ms|us|ns]     int64, ", UTC" for isAdjustedToUTC
 *   json / bson             string / binary
 * Anything else (float16, uuid, fixed[N], interval, an unknown name) is
 * written as its storage type alone.  Converted types go beside logical
 * types where Parquet defines an equivalent, for older readers.
 */
#include "wint.h"

#include <stdio.h>

static void set_logical(pq_schema_elem *e, int kind, int converted) {
    e->logical.kind = kind;
    if (converted >= 0) {
        e->has_converted_type = true;
        e->converted_type = converted;
    }
}

static void set_integer(pq_schema_elem *e, int bits, bool is_signed, int converted) {
    set_logical(e, PQ_LT_INTEGER, converted);
    e->logical.bit_width = bits;
    e->logical.is_signed = is_signed;
}

/* "ms" / "us" / "ns" at s, or 0. */
static int unit_of(const char *s, size_t n) {
    if (n == 2 && s[1] == 's') {
        if (s[0] == 'm') return PQ_MILLIS;
        if (s[0] == 'u') return PQ_MICROS;
        if (s[0] == 'n') return PQ_NANOS;
    }
    return 0;
}

static bool decimal_fits(int physical, int precision, int scale) {
    if (precision < 1 || scale < 0 || scale > precision) return false;
    if (physical == PQ_INT32) return precision <= 9;
    if (physical == PQ_INT64) return precision <= 18;
    return physical == PQ_BYTE_ARRAY;
}

/* The logical type named by c->logical, where the storage type allows it. */
static void apply_logical(pq_wcol *c) {
    pq_schema_elem *e = &c->elem;
    const char *lg = c->logical;
    size_t n = strlen(lg);
    int p, s, used = 0;
    if (sscanf(lg, "decimal(%d,%d)%n", &p, &s, &used) == 2 && (size_t)used == n &&
        (c->type == VF_T_INT32 || c->type == VF_T_INT64 || c->type == VF_T_BINARY) &&
        decimal_fits(c->physical, p, s)) {
        set_logical(e, PQ_LT_DECIMAL, PQ_CT_DECIMAL);
        e->logical.precision = p;
        e->logical.scale = s;
        e->has_precision = e->has_scale = true;
        e->precision = p;
        e->scale = s;
        if (c->physical == PQ_BYTE_ARRAY) c->sort = PQ_WS_DEC;
    } else if (strcmp(lg, "date32") == 0 && c->type == VF_T_INT32) {
        set_logical(e, PQ_LT_DATE, PQ_CT_DATE);
    } else if (n == 8 && strncmp(lg, "time[", 5) == 0 && lg[7] == ']') {
        int unit = unit_of(lg + 5, 2);
        if (unit && (c->type == VF_T_INT32) == (unit == PQ_MILLIS) && (c->type == VF_T_INT32 || c->type == VF_T_INT64)) {
            set_logical(e, PQ_LT_TIME, unit == PQ_MILLIS ? PQ_CT_TIME_MILLIS : unit == PQ_MICROS ? PQ_CT_TIME_MICROS : -1);
            e->logical.unit = unit;
            e->logical.utc = true;
        }
    } else if (strncmp(lg, "timestamp[", 10) == 0 && c->type == VF_T_INT64 &&
               (n == 13 || (n == 18 && strcmp(lg + 12, ", UTC]") == 0)) && lg[n - 1] == ']') {
        int unit = unit_of(lg + 10, 2);
        bool utc = n == 18;
        if (unit) {
            int ct = !utc ? -1 : unit == PQ_MILLIS ? PQ_CT_TIMESTAMP_MILLIS : unit == PQ_MICROS ? PQ_CT_TIMESTAMP_MICROS : -1;
            set_logical(e, PQ_LT_TIMESTAMP, ct);
            e->logical.unit = unit;
            e->logical.utc = utc;
        }
    } else if (strcmp(lg, "json") == 0 && c->type == VF_T_STRING) {
        set_logical(e, PQ_LT_JSON, PQ_CT_JSON);
    } else if (strcmp(lg, "bson") == 0 && c->type == VF_T_BINARY) {
        set_logical(e, PQ_LT_BSON, PQ_CT_BSON);
    }
}

void pq_wschema_leaf(pq_wcol *c) {
    pq_schema_elem *e = &c->elem;
    memset(e, 0, sizeof *e);
    e->name = c->name;
    e->has_type = true;
    e->has_repetition = true;
    e->repetition = PQ_OPTIONAL;
    c->width = (int)vf_type_width(c->type);
    switch (c->type) {
    case VF_T_INT32: c->physical = PQ_INT32; c->sort = PQ_WS_I32; break;
    case VF_T_INT64: c->physical = PQ_INT64; c->sort = PQ_WS_I64; break;
    case VF_T_INT8: c->physical = PQ_INT32; c->sort = PQ_WS_I32; set_integer(e, 8, true, PQ_CT_INT_8); break;
    case VF_T_INT16: c->physical = PQ_INT32; c->sort = PQ_WS_I32; set_integer(e, 16, true, PQ_CT_INT_16); break;
    case VF_T_UINT8: c->physical = PQ_INT32; c->sort = PQ_WS_U32; set_integer(e, 8, false, PQ_CT_UINT_8); break;
    case VF_T_UINT16: c->physical = PQ_INT32; c->sort = PQ_WS_U32; set_integer(e, 16, false, PQ_CT_UINT_16); break;
    case VF_T_UINT32: c->physical = PQ_INT32; c->sort = PQ_WS_U32; set_integer(e, 32, false, PQ_CT_UINT_32); break;
    case VF_T_UINT64: c->physical = PQ_INT64; c->sort = PQ_WS_U64; set_integer(e, 64, false, PQ_CT_UINT_64); break;
    case VF_T_FLOAT32: c->physical = PQ_FLOAT; c->sort = PQ_WS_F32; break;
    case VF_T_FLOAT64: c->physical = PQ_DOUBLE; c->sort = PQ_WS_F64; break;
    case VF_T_BOOL: c->physical = PQ_BOOLEAN; c->sort = PQ_WS_BOOL; break;
    case VF_T_STRING:
    case VF_T_ADDR:
        c->physical = PQ_BYTE_ARRAY;
        c->sort = PQ_WS_BYTES;
        set_logical(e, PQ_LT_STRING, PQ_CT_UTF8);
        break;
    case VF_T_BINARY: c->physical = PQ_BYTE_ARRAY; c->sort = PQ_WS_BYTES; break;
    }
    if (c->physical == PQ_INT32) c->width = 4; /* narrower ints are widened */
    if (c->physical == PQ_BYTE_ARRAY) c->width = 0;
    e->type = c->physical;
    if (c->logical && (c->physical == PQ_INT32 || c->physical == PQ_INT64 || c->physical == PQ_BYTE_ARRAY) &&
        (c->type == VF_T_INT32 || c->type == VF_T_INT64 || c->type == VF_T_STRING || c->type == VF_T_BINARY))
        apply_logical(c);
}
