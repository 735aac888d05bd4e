/*
 * test_core.c - unit tests of the vpcflow C core (no framework).
 *
 * Build and run with `make -f csrc/rules.mk ctest` (or ctest-asan).  Every
 * CHECK counts a pass or a failure; the last line printed is
 * "N passed, M failed" and the exit status is non-zero on any failure.
 */
#include "vf.h"
#include "check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

/* ================================================================== */
/* Integers                                                            */
/* ================================================================== */
static int p64(const char *s, int64_t *v) { return vf_parse_int64(s, strlen(s), v); }
static int p32(const char *s, int32_t *v) { return vf_parse_int32(s, strlen(s), v); }

static void test_int64(void) {
    int64_t v;
    v = 42;
    CHECK(p64("0", &v) == 0 && v == 0);
    CHECK(p64("-0", &v) == 0 && v == 0);
    CHECK(p64("7", &v) == 0 && v == 7);
    CHECK(p64("123", &v) == 0 && v == 123);
    CHECK(p64("-123", &v) == 0 && v == -123);
    CHECK(p64("1418530010", &v) == 0 && v == 1418530010);
    CHECK(p64("9223372036854775807", &v) == 0 && v == INT64_MAX);
    CHECK(p64("-9223372036854775808", &v) == 0 && v == INT64_MIN);
    CHECK(p64("9223372036854775806", &v) == 0 && v == INT64_MAX - 1);
    CHECK(p64("-9223372036854775807", &v) == 0 && v == -INT64_MAX);
    /* one past the ends */
    CHECK(p64("9223372036854775808", &v) == -1);
    CHECK(p64("-9223372036854775809", &v) == -1);
    /* leading zeros */
    CHECK(p64("007", &v) == 0 && v == 7);
    CHECK(p64("-007", &v) == 0 && v == -7);
    CHECK(p64("0000", &v) == 0 && v == 0);
    CHECK(p64("00000000000000000000000000001", &v) == 0 && v == 1); /* 29 chars */
    CHECK(p64("00009223372036854775807", &v) == 0 && v == INT64_MAX);
    CHECK(p64("-000009223372036854775808", &v) == 0 && v == INT64_MIN);
    CHECK(p64("00009223372036854775808", &v) == -1);
    CHECK(p64("0000000000000000000000000000000000000000", &v) == 0 && v == 0);
    /* 20+ digit strings */
    CHECK(p64("10000000000000000000", &v) == -1);
    CHECK(p64("18446744073709551615", &v) == -1); /* UINT64_MAX */
    CHECK(p64("18446744073709551616", &v) == -1); /* 2^64: wraps a naive parser to 0 */
    CHECK(p64("99999999999999999999", &v) == -1);
    CHECK(p64("-99999999999999999999", &v) == -1);
    CHECK(p64("123456789012345678901234567890", &v) == -1);
    CHECK(p64("999999999999999999", &v) == 0 && v == 999999999999999999LL); /* 18 digits */
    CHECK(p64("1000000000000000000", &v) == 0 && v == 1000000000000000000LL);  /* 19 digits */
    /* not integers */
    CHECK(p64("", &v) == -1);
    CHECK(p64("-", &v) == -1);
    CHECK(p64("+", &v) == -1);
    CHECK(p64("+5", &v) == -1);
    CHECK(p64("--5", &v) == -1);
    CHECK(p64("-+5", &v) == -1);
    CHECK(p64(" 5", &v) == -1);
    CHECK(p64("5 ", &v) == -1);
    CHECK(p64(" ", &v) == -1);
    CHECK(p64("1 2", &v) == -1);
    CHECK(p64("12a", &v) == -1);
    CHECK(p64("0x10", &v) == -1);
    CHECK(p64("1_000", &v) == -1);
    CHECK(p64("1.5", &v) == -1);
    CHECK(p64("5-", &v) == -1);
    CHECK(p64("/", &v) == -1); /* '0' - 1 */
    CHECK(p64(":", &v) == -1); /* '9' + 1 */
    CHECK(vf_parse_int64("12\0" "3", 4, &v) == -1);
    /* only n bytes are read */
    CHECK(vf_parse_int64("123456", 3, &v) == 0 && v == 123);
    CHECK(vf_parse_int64("-9x", 2, &v) == 0 && v == -9);
    CHECK(vf_parse_int64("5", 0, &v) == -1);
    /* the output is untouched on failure */
    v = 77;
    CHECK(p64("abc", &v) == -1 && v == 77);

    int32_t w;
    CHECK(p32("0", &w) == 0 && w == 0);
    CHECK(p32("443", &w) == 0 && w == 443);
    CHECK(p32("-1", &w) == 0 && w == -1);
    CHECK(p32("2147483647", &w) == 0 && w == INT32_MAX);
    CHECK(p32("-2147483648", &w) == 0 && w == INT32_MIN);
    CHECK(p32("2147483648", &w) == -1);
    CHECK(p32("-2147483649", &w) == -1);
    CHECK(p32("4294967296", &w) == -1); /* would wrap to 0 */
    CHECK(p32("4294967297", &w) == -1); /* would wrap to 1 */
    CHECK(p32("9223372036854775807", &w) == -1);
    CHECK(p32("00000000000000000000002147483647", &w) == 0 && w == INT32_MAX);
    CHECK(p32("000080", &w) == 0 && w == 80);
    CHECK(p32("", &w) == -1);
    CHECK(p32("-", &w) == -1);
    CHECK(p32("+1", &w) == -1);
    CHECK(p32(" 1", &w) == -1);
    CHECK(p32("99999999999999999999999", &w) == -1);
    w = 5;
    CHECK(p32("x", &w) == -1 && w == 5);
}

/* ================================================================== */
/* Addresses                                                           */
/* ================================================================== */
static int v4(const char *s, uint8_t a[16]) { return vf_parse_ipv4(s, strlen(s), a); }
static int v6(const char *s, uint8_t a[16]) { return vf_parse_ipv6(s, strlen(s), a); }

static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) { return memcmp(a, b, n) == 0; }

/* 8 groups into 16 network-order bytes */
static void groups(uint8_t a[16], unsigned g0, unsigned g1, unsigned g2, unsigned g3, unsigned g4, unsigned g5,
                   unsigned g6, unsigned g7) {
    unsigned g[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
    for (int k = 0; k < 8; k++) {
        a[2 * k] = (uint8_t)(g[k] >> 8);
        a[2 * k + 1] = (uint8_t)g[k];
    }
}

static void test_ipv4(void) {
    uint8_t a[16], want[16];
    memset(want, 0, sizeof want);
    want[10] = want[11] = 0xff;
    want[12] = 1, want[13] = 2, want[14] = 3, want[15] = 4;
    memset(a, 0xaa, sizeof a);
    CHECK(v4("1.2.3.4", a) == 0 && bytes_eq(a, want, 16)); /* stored IPv4-mapped */
    CHECK(v4("0.0.0.0", a) == 0 && a[12] == 0 && a[15] == 0 && a[10] == 0xff && a[11] == 0xff && a[0] == 0);
    CHECK(v4("255.255.255.255", a) == 0 && a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255);
    CHECK(v4("172.31.16.139", a) == 0 && a[12] == 172 && a[13] == 31 && a[14] == 16 && a[15] == 139);
    CHECK(v4("10.0.0.0", a) == 0 && a[12] == 10 && a[15] == 0);
    CHECK(v4("100.200.250.199", a) == 0 && a[12] == 100 && a[13] == 200 && a[14] == 250 && a[15] == 199);
    /* leading zeros rejected (as Python's ipaddress does) */
    CHECK(v4("01.2.3.4", a) == -1);
    CHECK(v4("1.2.3.04", a) == -1);
    CHECK(v4("1.02.3.4", a) == -1);
    CHECK(v4("1.2.3.00", a) == -1);
    CHECK(v4("001.2.3.4", a) == -1);
    /* range */
    CHECK(v4("256.1.1.1", a) == -1);
    CHECK(v4("1.1.1.256", a) == -1);
    CHECK(v4("1.300.1.1", a) == -1);
    CHECK(v4("1000.1.1.1", a) == -1);
    CHECK(v4("1.2.3.1000", a) == -1);
    /* shape */
    CHECK(v4("1.2.3", a) == -1);
    CHECK(v4("1.2", a) == -1);
    CHECK(v4("1", a) == -1);
    CHECK(v4("1.2.3.4.5", a) == -1);
    CHECK(v4("10.20.30.40.50", a) == -1);
    CHECK(v4("1.2.3.4.", a) == -1);
    CHECK(v4(".1.2.3.4", a) == -1);
    CHECK(v4("1..2.3", a) == -1);
    CHECK(v4("1.2..3.4", a) == -1);
    CHECK(v4("1.2.3.", a) == -1);
    CHECK(v4("1.2.3.-4", a) == -1);
    CHECK(v4("1.2.3.+4", a) == -1);
    CHECK(v4(" 1.2.3.4", a) == -1);
    CHECK(v4("1.2.3.4 ", a) == -1);
    CHECK(v4("1.2.3.4/24", a) == -1);
    CHECK(v4("a.b.c.d", a) == -1);
    CHECK(v4("1.2.3.a", a) == -1);
    CHECK(v4("", a) == -1);
    CHECK(v4("-", a) == -1);
    CHECK(v4("::1", a) == -1);
    /* only n bytes are read */
    CHECK(vf_parse_ipv4("1.2.3.45", 7, a) == 0 && bytes_eq(a, want, 16));
    CHECK(vf_parse_ipv4("1.2.3.4", 6, a) == -1);
}

static void test_ipv6(void) {
    uint8_t a[16], w[16];
    memset(w, 0, sizeof w);
    memset(a, 0xaa, sizeof a);
    CHECK(v6("::", a) == 0 && bytes_eq(a, w, 16));
    w[15] = 1;
    CHECK(v6("::1", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 1, 0, 0, 0, 0, 0, 0, 0);
    CHECK(v6("1::", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329);
    CHECK(v6("2001:0db8:0000:0000:0000:ff00:0042:8329", a) == 0 && bytes_eq(a, w, 16));
    CHECK(v6("2001:db8:0:0:0:ff00:42:8329", a) == 0 && bytes_eq(a, w, 16));
    CHECK(v6("2001:db8::ff00:42:8329", a) == 0 && bytes_eq(a, w, 16));
    CHECK(v6("2001:DB8::FF00:42:8329", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0x2001, 0xdb8, 0x1234, 0xa100, 0x8d6e, 0x3477, 0xdf66, 0xf105);
    CHECK(v6("2001:db8:1234:a100:8d6e:3477:df66:f105", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff);
    CHECK(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0xfe80, 0, 0, 0, 0, 0, 0, 1);
    CHECK(v6("fe80::1", a) == 0 && bytes_eq(a, w, 16));
    /* "::" standing for a single group */
    groups(w, 1, 2, 3, 4, 5, 6, 7, 0);
    CHECK(v6("1:2:3:4:5:6:7::", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0, 1, 2, 3, 4, 5, 6, 7);
    CHECK(v6("::1:2:3:4:5:6:7", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 1, 2, 3, 0, 5, 6, 7, 8);
    CHECK(v6("1:2:3::5:6:7:8", a) == 0 && bytes_eq(a, w, 16));
    /* trailing dotted quad */
    groups(w, 0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304);
    CHECK(v6("::ffff:1.2.3.4", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221);
    CHECK(v6("64:ff9b::192.0.2.33", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 0, 0, 0, 0, 0, 0, 0x0102, 0x0304);
    CHECK(v6("::1.2.3.4", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 1, 2, 3, 4, 5, 6, 0x0102, 0x0304);
    CHECK(v6("1:2:3:4:5:6:1.2.3.4", a) == 0 && bytes_eq(a, w, 16));
    groups(w, 1, 2, 3, 4, 5, 0, 0x0102, 0x0304);
    CHECK(v6("1:2:3:4:5::1.2.3.4", a) == 0 && bytes_eq(a, w, 16));
    CHECK(v6("1:2:3:4:5:6:7:1.2.3.4", a) == -1);  /* 9 groups' worth */
    CHECK(v6("1:2:3:4:5:6::1.2.3.4", a) == -1);   /* "::" standing for nothing */
    CHECK(v6("::ffff:1.2.3", a) == -1);
    CHECK(v6("::ffff:1.2.3.4.5", a) == -1);
    CHECK(v6("::ffff:01.2.3.4", a) == -1);
    CHECK(v6("::ffff:1.2.3.256", a) == -1);
    CHECK(v6("::1.2.3.4:5", a) == -1);
    CHECK(v6("::ffff:1.2.3.4:", a) == -1);
    CHECK(v6("::ab.1.2.3", a) == -1);
    /* group count and group width */
    CHECK(v6("1:2:3:4:5:6:7:8:9", a) == -1);
    CHECK(v6("1:2:3:4:5:6:7", a) == -1);
    CHECK(v6("1:2:3:4:5:6:7:8::", a) == -1);
    CHECK(v6("::1:2:3:4:5:6:7:8", a) == -1);
    CHECK(v6("1:2:3:4::5:6:7:8", a) == -1);
    CHECK(v6("12345::", a) == -1);
    CHECK(v6("::12345", a) == -1);
    CHECK(v6("1:2:3:4:5:6:7:12345", a) == -1);
    CHECK(v6("00000::", a) == -1);
    /* colons */
    CHECK(v6("1::2::3", a) == -1);
    CHECK(v6("::1::", a) == -1);
    CHECK(v6(":::", a) == -1);
    CHECK(v6("1:::2", a) == -1);
    CHECK(v6(":1", a) == -1);
    CHECK(v6(":1:2:3:4:5:6:7:8", a) == -1);
    CHECK(v6("1:2:3:4:5:6:7:8:", a) == -1);
    CHECK(v6("1:", a) == -1);
    CHECK(v6("1::2:", a) == -1);
    CHECK(v6(":", a) == -1);
    CHECK(v6("", a) == -1);
    /* other junk */
    CHECK(v6("::g", a) == -1);
    CHECK(v6("fe80::1%eth0", a) == -1);
    CHECK(v6("[::1]", a) == -1);
    CHECK(v6(" ::1", a) == -1);
    CHECK(v6("::1 ", a) == -1);
    CHECK(v6("1.2.3.4", a) == -1);
    CHECK(v6("::-1", a) == -1);
    CHECK(v6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", a) == 0);
    CHECK(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a) == -1);
    /* only n bytes are read */
    w[15] = 0;
    groups(w, 0, 0, 0, 0, 0, 0, 0, 1);
    CHECK(vf_parse_ipv6("::1:2", 3, a) == 0 && bytes_eq(a, w, 16));

    /* vf_parse_addr picks the family */
    uint8_t fam = 0, b[16];
    CHECK(vf_parse_addr("1.2.3.4", 7, a, &fam) == 0 && fam == 4);
    CHECK(vf_parse_addr("::ffff:1.2.3.4", 14, b, &fam) == 0 && fam == 6);
    CHECK(bytes_eq(a, b, 16)); /* same bytes, told apart by the family */
    CHECK(vf_parse_addr("::1", 3, a, &fam) == 0 && fam == 6 && a[15] == 1);
    CHECK(vf_parse_addr("2001:db8::1", 11, a, &fam) == 0 && fam == 6 && a[0] == 0x20 && a[1] == 0x01);
    CHECK(vf_parse_addr("abcd:", 5, a, &fam) == -1);
    CHECK(vf_parse_addr("1.2.3.4:80", 10, a, &fam) == -1);
    CHECK(vf_parse_addr("-", 1, a, &fam) == -1);
    CHECK(vf_parse_addr("", 0, a, &fam) == -1);
    CHECK(vf_parse_addr("hello", 5, a, &fam) == -1);
}

/* text -> bytes -> canonical text */
static const char *canon(const char *s) {
    static char buf[8][64];
    static int k;
    char *out = buf[k++ & 7];
    uint8_t a[16], fam;
    if (vf_parse_addr(s, strlen(s), a, &fam) != 0) return "(invalid)";
    size_t n = vf_format_addr(a, fam, out);
    if (n != strlen(out)) return "(bad length)";
    return out;
}

static void test_format_addr(void) {
    char buf[64];
    uint8_t a[16];
    /* IPv4 */
    CHECK_STR(canon("1.2.3.4"), "1.2.3.4");
    CHECK_STR(canon("0.0.0.0"), "0.0.0.0");
    CHECK_STR(canon("255.255.255.255"), "255.255.255.255");
    CHECK_INT(vf_format_addr((v4("203.0.113.12", a), a), 4, buf), 12);
    CHECK_STR(buf, "203.0.113.12");
    /* RFC 5952 section 4 */
    CHECK_STR(canon("2001:0db8:0000:0000:0000:ff00:0042:8329"), "2001:db8::ff00:42:8329");
    CHECK_STR(canon("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");      /* tie: the first run */
    CHECK_STR(canon("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");            /* the longest run */
    CHECK_STR(canon("1:0:0:2:0:0:0:0"), "1:0:0:2::");                    /* longest run at the end */
    CHECK_STR(canon("0:0:0:1:0:0:0:0"), "0:0:0:1::");
    CHECK_STR(canon("0:0:0:0:1:0:0:0"), "::1:0:0:0");                    /* tie at the start */
    CHECK_STR(canon("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");    /* one zero group: no "::" */
    CHECK_STR(canon("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
    CHECK_STR(canon("::1:2:3:4:5:6:7"), "0:1:2:3:4:5:6:7");
    CHECK_STR(canon("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
    CHECK_STR(canon("2001:DB8::ABCD:EF"), "2001:db8::abcd:ef");           /* lowercase */
    CHECK_STR(canon("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF"), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    CHECK_STR(canon("2001:db8:1234:a100:8d6e:3477:df66:f105"), "2001:db8:1234:a100:8d6e:3477:df66:f105");
    CHECK_STR(canon("0001:0002:0003:0004:0005:0006:0007:0008"), "1:2:3:4:5:6:7:8");
    CHECK_STR(canon("::"), "::");
    CHECK_STR(canon("::1"), "::1");
    CHECK_STR(canon("1::"), "1::");
    CHECK_STR(canon("0:0:0:0:0:0:0:1"), "::1");
    CHECK_STR(canon("fe80:0:0:0:0:0:0:1"), "fe80::1");
    CHECK_STR(canon("1:0:0:0:0:0:0:0"), "1::");
    CHECK_STR(canon("0:0:1::"), "0:0:1::");
    CHECK_STR(canon("0:0:1:0:0:0:1:0"), "0:0:1::1:0");
    /* IPv4-mapped IPv6 keeps its dotted quad; IPv4-compatible does not */
    CHECK_STR(canon("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
    CHECK_STR(canon("::FFFF:102:304"), "::ffff:1.2.3.4");
    CHECK_STR(canon("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
    CHECK_STR(canon("::1.2.3.4"), "::102:304");
    CHECK_STR(canon("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
    CHECK_STR(canon("1:ffff::1.2.3.4"), "1:ffff::102:304");
    /* the longest possible text fits the documented 46 bytes */
    CHECK_INT(strlen(canon("::ffff:255.255.255.255")), 22);
    CHECK_INT(strlen(canon("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 39);

    /* random addresses with zero runs: format then parse gives the bytes back */
    int ok = 1;
    for (int it = 0; it < 20000 && ok; it++) {
        uint8_t x[16], y[16], fam;
        for (int k = 0; k < 8; k++) {
            unsigned g = (rnd() % 3 == 0) ? 0 : (rnd() % 4 == 0 ? rnd() % 16 : rnd() & 0xffff);
            x[2 * k] = (uint8_t)(g >> 8);
            x[2 * k + 1] = (uint8_t)g;
        }
        size_t n = vf_format_addr(x, 6, buf);
        if (n != strlen(buf) || n > 45 || vf_parse_addr(buf, n, y, &fam) != 0 || fam != 6 || memcmp(x, y, 16) != 0) {
            fprintf(stderr, "format/parse round trip failed: %s\n", buf);
            ok = 0;
        }
        /* a canonical text has at most one "::", no leading zeros, no uppercase */
        if (strstr(buf, ":::") || (strstr(buf, "::") && strstr(strstr(buf, "::") + 1, "::"))) ok = 0;
        for (const char *q = buf; *q; q++) {
            if ((q == buf || q[-1] == ':') && q[0] == '0' && q[1] && q[1] != ':') ok = 0;
            if (*q >= 'A' && *q <= 'Z') ok = 0;
        }
        if (!ok) fprintf(stderr, "not canonical: %s\n", buf);
    }
    CHECK(ok);
    /* random IPv4 */
    ok = 1;
    for (int it = 0; it < 5000 && ok; it++) {
        uint8_t x[16] = {0}, y[16], fam;
        x[10] = x[11] = 0xff;
        for (int k = 12; k < 16; k++) x[k] = (uint8_t)rnd();
        size_t n = vf_format_addr(x, 4, buf);
        if (vf_parse_addr(buf, n, y, &fam) != 0 || fam != 4 || memcmp(x, y, 16) != 0) ok = 0;
    }
    CHECK(ok);
}

/* ================================================================== */
/* Dictionaries                                                        */
/* ================================================================== */
static int dict_str_is(const vf_dict *d, int32_t code, const char *s) {
    const int64_t *o = vf_dict_offsets(d);
    size_t n = strlen(s);
    return (size_t)(o[code + 1] - o[code]) == n && memcmp(vf_dict_data(d) + o[code], s, n) == 0;
}

static void test_dict(void) {
    vf_dict *d = vf_dict_new(VF_T_STRING);
    CHECK(d != NULL);
    CHECK(vf_dict_type(d) == VF_T_STRING);
    CHECK_INT(vf_dict_size(d), 0);
    CHECK_INT(vf_dict_put_str(d, "ACCEPT", 6), 0);
    CHECK_INT(vf_dict_put_str(d, "REJECT", 6), 1);
    CHECK_INT(vf_dict_put_str(d, "ACCEPT", 6), 0);
    CHECK_INT(vf_dict_put_str(d, "", 0), 2);
    CHECK_INT(vf_dict_put_str(d, "", 0), 2);
    CHECK_INT(vf_dict_put_str(d, "ACCEPTED", 6), 0); /* only n bytes */
    CHECK_INT(vf_dict_put_str(d, "ACCEPTED", 8), 3);
    CHECK_INT(vf_dict_put_str(d, "a\0b", 3), 4);     /* bytes, not C strings */
    CHECK_INT(vf_dict_put_str(d, "a\0c", 3), 5);
    CHECK_INT(vf_dict_put_str(d, "a", 1), 6);
    CHECK_INT(vf_dict_size(d), 7);
    const int64_t *o = vf_dict_offsets(d);
    CHECK_INT(o[0], 0);
    CHECK_INT(o[1], 6);
    CHECK_INT(o[2], 12);
    CHECK_INT(o[3], 12); /* the empty string */
    CHECK_INT(o[4], 20);
    CHECK(dict_str_is(d, 0, "ACCEPT"));
    CHECK(dict_str_is(d, 1, "REJECT"));
    CHECK(dict_str_is(d, 2, ""));
    CHECK(dict_str_is(d, 3, "ACCEPTED"));
    CHECK(memcmp(vf_dict_data(d) + o[4], "a\0b", 3) == 0 && o[5] - o[4] == 3);
    vf_dict_free(d);

    /* growth well past 100k entries, long strings too: codes stay stable */
    d = vf_dict_new(VF_T_STRING);
    const int N = 150000;
    char s[128];
    int ok = 1;
    for (int i = 0; i < N && ok; i++) {
        int n = snprintf(s, sizeof s, "k%d", i);
        if (i % 1000 == 0) n = snprintf(s, sizeof s, "long-%0100d", i); /* > 64 bytes */
        if (vf_dict_put_str(d, s, (size_t)n) != i) ok = 0;
    }
    CHECK(ok);
    CHECK_INT(vf_dict_size(d), N);
    ok = 1;
    for (int i = N - 1; i >= 0 && ok; i--) {
        int n = snprintf(s, sizeof s, "k%d", i);
        if (i % 1000 == 0) n = snprintf(s, sizeof s, "long-%0100d", i);
        if (vf_dict_put_str(d, s, (size_t)n) != i || !dict_str_is(d, i, s)) ok = 0;
    }
    CHECK(ok);
    CHECK_INT(vf_dict_size(d), N);
    CHECK_INT(vf_dict_put_str(d, "", 0), N);
    CHECK_INT(vf_dict_put_str(d, "k149999", 7), 149999);
    CHECK_INT(vf_dict_size(d), N + 1);
    CHECK(dict_str_is(d, 12345, "k12345"));
    CHECK(dict_str_is(d, 2000, "long-0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002000"));
    vf_dict_free(d);

    /* addresses: IPv4 and its IPv4-mapped IPv6 twin are distinct entries */
    d = vf_dict_new(VF_T_ADDR);
    CHECK(d != NULL && vf_dict_type(d) == VF_T_ADDR);
    uint8_t a[16], b[16], fam;
    vf_parse_addr("1.2.3.4", 7, a, &fam);
    vf_parse_addr("::ffff:1.2.3.4", 14, b, &fam);
    CHECK_INT(vf_dict_put_addr(d, a, 4), 0);
    CHECK_INT(vf_dict_put_addr(d, b, 6), 1);
    CHECK_INT(vf_dict_put_addr(d, a, 4), 0);
    CHECK_INT(vf_dict_put_addr(d, b, 6), 1);
    vf_parse_addr("::", 2, a, &fam);
    CHECK_INT(vf_dict_put_addr(d, a, 6), 2);
    CHECK_INT(vf_dict_size(d), 3);
    CHECK(vf_dict_families(d)[0] == 4 && vf_dict_families(d)[1] == 6 && vf_dict_families(d)[2] == 6);
    CHECK(vf_dict_addrs(d)[16 * 0 + 15] == 4 && vf_dict_addrs(d)[16 * 1 + 10] == 0xff);
    /* growth */
    ok = 1;
    const int M = 120000;
    for (int i = 0; i < M && ok; i++) {
        memset(a, 0, 16);
        a[0] = 0x20, a[1] = 0x01;
        a[12] = (uint8_t)(i >> 24), a[13] = (uint8_t)(i >> 16), a[14] = (uint8_t)(i >> 8), a[15] = (uint8_t)i;
        if (vf_dict_put_addr(d, a, 6) != i + 3) ok = 0;
    }
    CHECK(ok);
    ok = 1;
    for (int i = 0; i < M && ok; i++) {
        memset(a, 0, 16);
        a[0] = 0x20, a[1] = 0x01;
        a[12] = (uint8_t)(i >> 24), a[13] = (uint8_t)(i >> 16), a[14] = (uint8_t)(i >> 8), a[15] = (uint8_t)i;
        int32_t c = vf_dict_put_addr(d, a, 6);
        if (c != i + 3 || memcmp(vf_dict_addrs(d) + 16 * (size_t)c, a, 16) != 0 || vf_dict_families(d)[c] != 6) ok = 0;
    }
    CHECK(ok);
    CHECK_INT(vf_dict_size(d), M + 3);
    vf_parse_addr("1.2.3.4", 7, a, &fam);
    CHECK_INT(vf_dict_put_addr(d, a, 4), 0);
    vf_dict_free(d);
    vf_dict_free(NULL); /* no-op */
}

/* ================================================================== */
/* Known fields and LogFormat strings                                  */
/* ================================================================== */
static void test_fields(void) {
    size_t n;
    const vf_known_field *k = vf_known_fields(&n);
    CHECK(n >= 14);
    CHECK_STR(k[0].header, "version");
    CHECK_STR(k[13].header, "log-status");
    CHECK_STR(k[13].column, "log_status");
    CHECK_INT(vf_known_field_index("log-status", 10), 13);
    CHECK_INT(vf_known_field_index("log_status", 10), 13);
    CHECK_INT(vf_known_field_index("log-statusX", 10), 13);
    CHECK_INT(vf_known_field_index("log-statu", 9), -1);
    CHECK_INT(vf_known_field_index("nope", 4), -1);
    int i = vf_known_field_index("tcp-flags", 9);
    CHECK(i >= 0 && k[i].type == VF_T_INT32 && k[i].version == 3);
    i = vf_known_field_index("bytes", 5);
    CHECK(i >= 0 && k[i].type == VF_T_INT64);
    i = vf_known_field_index("pkt_srcaddr", 11);
    CHECK(i >= 0 && k[i].type == VF_T_ADDR);
    CHECK_STR(vf_type_name(VF_T_ADDR), "address");
    CHECK_STR(vf_status_name(VF_EPARSE), "parse error");
}

static void test_log_format(void) {
    char buf[512];
    const char *names[64];
    size_t n = 99;
    vf_error err;
    const char *fmt = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
                      "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";
    memset(&err, 0, sizeof err);
    CHECK(vf_parse_log_format(fmt, buf, names, 64, &n, &err) == VF_OK);
    CHECK_INT(n, 14);
    CHECK_STR(names[0], "version");
    CHECK_STR(names[1], "account-id");
    CHECK_STR(names[13], "log-status");
    CHECK(vf_parse_log_format("  ${vpc_id}\t${tcp-flags}   ${x9} ", buf, names, 64, &n, &err) == VF_OK);
    CHECK_INT(n, 3);
    CHECK_STR(names[0], "vpc_id");
    CHECK_STR(names[1], "tcp-flags");
    CHECK_STR(names[2], "x9");
    CHECK(vf_parse_log_format("${a}${b}", buf, names, 64, &n, &err) == VF_OK && n == 2);
    CHECK(vf_parse_log_format("${a} ${b}", buf, names, 2, &n, &err) == VF_OK && n == 2); /* exactly max */

    struct {
        const char *fmt;
        size_t max;
        const char *msg;
    } bad[] = {
        {"", 64, "no fields"},
        {"   ", 64, "no fields"},
        {"version account-id", 64, "expected '${field}' at position 0"},
        {"$version", 64, "expected '${field}'"},
        {"${version} x", 64, "expected '${field}' at position 11"},
        {"${a}x", 64, "expected '${field}' at position 4"},
        {"${version", 64, "unclosed '${' at position 0"},
        {"${a} ${b", 64, "unclosed '${' at position 5"},
        {"${}", 64, "empty field name at position 0"},
        {"${Version}", 64, "invalid character 'V'"},
        {"${log status}", 64, "invalid character ' '"},
        {"${a.b}", 64, "invalid character '.'"},
        {"${a} ${b} ${c}", 2, "more than 2 fields"},
        {"$", 64, "expected '${field}'"},
        {"{a}", 64, "expected '${field}'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        n = 99;
        vf_status st = vf_parse_log_format(bad[i].fmt, buf, names, bad[i].max, &n, &err);
        CHECK_INT(st, VF_EARG);
        CHECK_INT(err.code, VF_EARG);
        CHECK_INT(n, 0);
        CHECK_CONTAINS(err.msg, bad[i].msg);
    }
    /* err may be NULL */
    CHECK(vf_parse_log_format("", buf, names, 64, &n, NULL) == VF_EARG);
}

/* ================================================================== */
/* Codecs                                                              */
/* ================================================================== */
static char *gz(const char *in, size_t n, size_t *outlen) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) exit(2);
    *outlen = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static char *zst(const char *in, size_t n, size_t *outlen) {
    size_t cap = ZSTD_compressBound(n);
    char *out = malloc(cap);
    size_t r = ZSTD_compress(out, cap, in, n, 3);
    if (ZSTD_isError(r)) exit(2);
    *outlen = r;
    return out;
}

/* some flow-log-like text of about `lines` lines */
static char *sample_text(int lines, size_t *len) {
    sbuf b = {0};
    sb_puts(&b, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n");
    for (int i = 0; i < lines; i++) {
        unsigned x[11]; /* drawn in a fixed order (argument evaluation order is not) */
        for (int k = 0; k < 11; k++) x[k] = rnd();
        sb_printf(&b, "2 123456789010 eni-%08x 10.%u.%u.%u 172.31.%u.%u %u %u 6 %u %u %u %u %s OK\n", x[0] % 50,
                  x[1] % 256, x[2] % 256, x[3] % 256, x[4] % 256, x[5] % 256, x[6] % 65536, x[7] % 1024, x[8] % 100,
                  x[9] % 100000, 1418530010 + i, 1418530070 + i, x[10] % 2 ? "ACCEPT" : "REJECT");
    }
    *len = b.len;
    return b.p;
}

static void test_codecs(void) {
    const unsigned char gzm[] = {0x1f, 0x8b, 0x08, 0x00};
    const unsigned char zsm[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00};
    CHECK(vf_sniff(gzm, 4) == VF_CODEC_GZIP);
    CHECK(vf_sniff(gzm, 2) == VF_CODEC_GZIP);
    CHECK(vf_sniff(gzm, 1) == VF_CODEC_NONE);
    CHECK(vf_sniff(zsm, 5) == VF_CODEC_ZSTD);
    CHECK(vf_sniff(zsm, 3) == VF_CODEC_NONE);
    CHECK(vf_sniff("version", 7) == VF_CODEC_NONE);
    CHECK(vf_sniff("", 0) == VF_CODEC_NONE);
    CHECK(vf_sniff("PAR1", 4) == VF_CODEC_NONE);
#if defined(VF_HAVE_ISAL)
    CHECK_STR(vf_gzip_backend(), "isa-l");
#else
    CHECK_STR(vf_gzip_backend(), "zlib");
#endif

    size_t tlen;
    char *text = sample_text(20000, &tlen); /* ~1.7 MB */
    char *out = NULL;
    size_t outlen = 0;
    vf_error err;

    /* gzip: one member */
    size_t glen;
    char *g = gz(text, tlen, &glen);
    CHECK(vf_decompress(VF_CODEC_GZIP, g, glen, "one.gz", &out, &outlen, &err) == VF_OK);
    CHECK(outlen == tlen && memcmp(out, text, tlen) == 0);
    free(out);

    /* gzip: two members, then zero padding */
    const char *A = "first member\n", *B = "second member\n";
    size_t la, lb;
    char *ga = gz(A, strlen(A), &la), *gb = gz(B, strlen(B), &lb);
    char *two = malloc(la + lb + 16);
    memcpy(two, ga, la);
    memcpy(two + la, gb, lb);
    CHECK(vf_decompress(VF_CODEC_GZIP, two, la + lb, "two.gz", &out, &outlen, &err) == VF_OK);
    CHECK(outlen == strlen(A) + strlen(B) && memcmp(out, "first member\nsecond member\n", outlen) == 0);
    free(out);
    memset(two + la + lb, 0, 16);
    CHECK(vf_decompress(VF_CODEC_GZIP, two, la + lb + 16, "pad.gz", &out, &outlen, &err) == VF_OK);
    CHECK_INT(outlen, strlen(A) + strlen(B));
    free(out);
    /* trailing garbage after a good member: the good text is kept */
    memcpy(two + la, "garbage!", 8);
    memset(&err, 0, sizeof err);
    CHECK(vf_decompress(VF_CODEC_GZIP, two, la + 8, "junk.gz", &out, &outlen, &err) == VF_ECODEC);
    CHECK(out != NULL && outlen == strlen(A) && memcmp(out, A, outlen) == 0);
    CHECK_INT(err.code, VF_ECODEC);
    CHECK_INT(err.offset, la);
    CHECK_CONTAINS(err.msg, "junk.gz");
    CHECK_CONTAINS(err.msg, "trailing garbage");
    free(out);
    free(two);
    free(ga);
    free(gb);

    /* gzip: truncated half way -> VF_ECODEC plus the decoded prefix */
    memset(&err, 0, sizeof err);
    out = NULL;
    CHECK(vf_decompress(VF_CODEC_GZIP, g, glen / 2, "cut.gz", &out, &outlen, &err) == VF_ECODEC);
    CHECK(out != NULL);
    CHECK(outlen > tlen / 4 && outlen < tlen);
    CHECK(out && memcmp(out, text, outlen) == 0);
    CHECK_INT(err.code, VF_ECODEC);
    CHECK_CONTAINS(err.msg, "cut.gz");
    CHECK_CONTAINS(err.msg, "truncated");
    CHECK(err.offset > 0 && err.offset <= (int64_t)(glen / 2));
    free(out);
    /* truncated inside the trailer (all data decoded, CRC/size missing) */
    CHECK(vf_decompress(VF_CODEC_GZIP, g, glen - 3, "trailer.gz", &out, &outlen, &err) == VF_ECODEC);
    CHECK(outlen <= tlen && memcmp(out, text, outlen) == 0);
    free(out);
    /* truncated in the header */
    CHECK(vf_decompress(VF_CODEC_GZIP, g, 5, "hdr.gz", &out, &outlen, &err) == VF_ECODEC);
    CHECK_INT(outlen, 0);
    free(out);
    /* a second member that is truncated keeps the whole first one */
    {
        size_t l1, l2;
        char *g1 = gz("line one\n", 9, &l1), *g2 = gz(text, 100000, &l2);
        char *cat = malloc(l1 + l2);
        memcpy(cat, g1, l1);
        memcpy(cat + l1, g2, l2);
        CHECK(vf_decompress(VF_CODEC_GZIP, cat, l1 + l2 / 2, "cat.gz", &out, &outlen, &err) == VF_ECODEC);
        CHECK(outlen > 9 && memcmp(out, "line one\n", 9) == 0 && memcmp(out + 9, text, outlen - 9) == 0);
        CHECK_CONTAINS(err.msg, "truncated");
        free(out);
        free(cat);
        free(g1);
        free(g2);
    }
    /* corrupt deflate data */
    {
        char *bad = malloc(glen);
        memcpy(bad, g, glen);
        for (size_t i = glen / 2; i < glen / 2 + 64; i++) bad[i] = (char)0xff;
        CHECK(vf_decompress(VF_CODEC_GZIP, bad, glen, "bad.gz", &out, &outlen, &err) == VF_ECODEC);
        CHECK(outlen > 1000 && memcmp(out, text, 1000) == 0); /* decoded up to the damage (maybe past it) */
        free(out);
        /* a corrupt CRC */
        memcpy(bad, g, glen);
        bad[glen - 6] ^= 1;
        CHECK(vf_decompress(VF_CODEC_GZIP, bad, glen, "crc.gz", &out, &outlen, &err) == VF_ECODEC);
        free(out);
        free(bad);
    }
    /* a damaged member whose back-reference reaches before the stream's
     * start (26 bytes a fuzzer found): an error, and the bytes out before
     * it do not depend on what the heap held (ISA-L's state buffers were
     * once left uninitialised, and leaked into the output) */
    {
        static const unsigned char m[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0xff, 0xff, 0xff, 0x03, 0x03, 0xc3, 0x30, 0x0c,
                                          0x7d, 0x2e, 0xe4, 0x45, 0xd1, 0x41, 0xd1, 0xc7, 0xf0, 0x8f, 0x76, 0xdf, 0xb5};
        char *first = NULL;
        size_t firstlen = 0;
        static const int fills[] = {0x00, 0xab, 0x5c};
        for (int k = 0; k < 3; k++) {
            void *dirt[8];
            for (int i = 0; i < 8; i++) { /* freed blocks about the decoder state's size, full of fills[k] */
                dirt[i] = malloc(80000 + 4096 * (size_t)i);
                if (dirt[i]) memset(dirt[i], fills[k], 80000 + 4096 * (size_t)i);
            }
            for (int i = 0; i < 8; i++) free(dirt[i]);
            memset(&err, 0, sizeof err);
            CHECK(vf_decompress(VF_CODEC_GZIP, m, sizeof m, "leak.gz", &out, &outlen, &err) == VF_ECODEC);
            CHECK_CONTAINS(err.msg, "leak.gz");
            CHECK(memchr(out, 0xab, outlen) == NULL && memchr(out, 0x5c, outlen) == NULL);
            if (k == 0) {
                first = out;
                firstlen = outlen;
            } else {
                CHECK(outlen == firstlen && memcmp(out, first, outlen) == 0);
                free(out);
            }
        }
        free(first);
    }
    /* empty input and an empty member */
    CHECK(vf_decompress(VF_CODEC_GZIP, "", 0, "empty.gz", &out, &outlen, &err) == VF_OK && outlen == 0);
    free(out);
    {
        size_t le;
        char *ge = gz("", 0, &le);
        CHECK(vf_decompress(VF_CODEC_GZIP, ge, le, "e.gz", &out, &outlen, &err) == VF_OK && outlen == 0);
        free(out);
        free(ge);
    }
    CHECK(vf_decompress(VF_CODEC_NONE, "abc", 3, "x", &out, &outlen, &err) == VF_EARG);
    free(g);

    /* zstd round trip, two frames, truncation */
    size_t zlen;
    char *z = zst(text, tlen, &zlen);
    CHECK(vf_decompress(VF_CODEC_ZSTD, z, zlen, "a.zst", &out, &outlen, &err) == VF_OK);
    CHECK(outlen == tlen && memcmp(out, text, tlen) == 0);
    free(out);
    {
        char *zz = malloc(2 * zlen);
        memcpy(zz, z, zlen);
        memcpy(zz + zlen, z, zlen);
        CHECK(vf_decompress(VF_CODEC_ZSTD, zz, 2 * zlen, "b.zst", &out, &outlen, &err) == VF_OK);
        CHECK(outlen == 2 * tlen && memcmp(out, text, tlen) == 0 && memcmp(out + tlen, text, tlen) == 0);
        free(out);
        free(zz);
    }
    memset(&err, 0, sizeof err);
    CHECK(vf_decompress(VF_CODEC_ZSTD, z, zlen / 2, "cut.zst", &out, &outlen, &err) == VF_ECODEC);
    CHECK(outlen < tlen && memcmp(out, text, outlen) == 0);
    CHECK_CONTAINS(err.msg, "cut.zst");
    free(out);
    CHECK(vf_decompress(VF_CODEC_ZSTD, z, zlen - 1, "cut1.zst", &out, &outlen, &err) == VF_ECODEC);
    free(out);
    free(z);
    /* highly compressible input: many MiB out of a few bytes in */
    {
        size_t big = 20u << 20;
        char *zeros = calloc(1, big);
        size_t l;
        char *zc = zst(zeros, big, &l);
        CHECK(vf_decompress(VF_CODEC_ZSTD, zc, l, "zeros.zst", &out, &outlen, &err) == VF_OK);
        CHECK(outlen == big && memcmp(out, zeros, big) == 0);
        free(out);
        free(zc);
        char *gc = gz(zeros, big, &l);
        CHECK(vf_decompress(VF_CODEC_GZIP, gc, l, "zeros.gz", &out, &outlen, &err) == VF_OK);
        CHECK(outlen == big && memcmp(out, zeros, big) == 0);
        free(out);
        free(gc);
        free(zeros);
    }

    /* snappy: our compressor, the library's decompressor, and back */
    char *s = NULL;
    size_t slen = 0;
    CHECK(vf_snappy_compress(text, tlen, &s, &slen, &err) == VF_OK);
    CHECK(slen > 0 && slen < tlen);
    {
        size_t ul = 0;
        CHECK(snappy_uncompressed_length(s, slen, &ul) == SNAPPY_OK && ul == tlen);
    }
    CHECK(vf_snappy_decompress(s, slen, &out, &outlen, &err) == VF_OK);
    CHECK(outlen == tlen && memcmp(out, text, tlen) == 0);
    free(out);
    CHECK(vf_snappy_decompress(s, slen / 2, &out, &outlen, &err) == VF_ECODEC);
    free(s);
    CHECK(vf_snappy_compress("", 0, &s, &slen, &err) == VF_OK);
    CHECK(vf_snappy_decompress(s, slen, &out, &outlen, &err) == VF_OK && outlen == 0);
    free(out);
    free(s);
    memset(&err, 0, sizeof err);
    CHECK(vf_snappy_decompress("\xff\xff\xff\xff\xff\xff", 6, &out, &outlen, &err) == VF_ECODEC);
    CHECK_INT(err.code, VF_ECODEC);
    free(text);
}

/* ================================================================== */
/* vf_read helpers                                                     */
/* ================================================================== */
static const vf_column *col(const vf_table *t, const char *name) {
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return &t->cols[i];
    return NULL;
}

static int col_index(const vf_table *t, const char *name) {
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return i;
    return -1;
}

#define NUL_INT INT64_MIN /* what ival() gives for a null */
#define NO_COL (INT64_MIN + 1)

static int64_t ival(const vf_table *t, const char *name, int64_t r) {
    const vf_column *c = col(t, name);
    if (!c || r >= t->nrows) return NO_COL;
    if (c->valid && !c->valid[r]) return NUL_INT;
    if (c->type == VF_T_INT64) return ((const int64_t *)c->values)[r];
    if (c->type == VF_T_INT32) return ((const int32_t *)c->values)[r];
    return NO_COL;
}

/* string/address value as text; NULL for a null; "<no column>" */
static const char *sval(const vf_table *t, const char *name, int64_t r) {
    static char buf[16][4200];
    static int k;
    const vf_column *c = col(t, name);
    if (!c || r >= t->nrows || (c->type != VF_T_STRING && c->type != VF_T_ADDR)) return "<no column>";
    int32_t code = ((const int32_t *)c->values)[r];
    if (code < 0) return NULL;
    char *out = buf[k++ & 15];
    if (code >= vf_dict_size(c->dict)) return "<bad code>";
    if (c->type == VF_T_ADDR) {
        vf_format_addr(vf_dict_addrs(c->dict) + 16 * (size_t)code, vf_dict_families(c->dict)[code], out);
    } else {
        const int64_t *o = vf_dict_offsets(c->dict);
        size_t n = (size_t)(o[code + 1] - o[code]);
        if (n >= sizeof buf[0]) n = sizeof buf[0] - 1;
        memcpy(out, vf_dict_data(c->dict) + o[code], n);
        out[n] = 0;
    }
    return out;
}

static vf_table *read_mem(const char *text, size_t len, const vf_read_opts *o, vf_status *st, vf_error *err) {
    vf_source s = {"mem.log", text, len};
    vf_table *t = NULL;
    *st = vf_read(&s, 1, o, &t, err);
    return t;
}

static vf_table *read_str(const char *text, const vf_read_opts *o, vf_status *st, vf_error *err) {
    return read_mem(text, strlen(text), o, st, err);
}

/* identical columns, values, nulls, dictionaries and counters */
/* a bad record's message without the "file" prefix */
static const char *msg_tail(const char *m) {
    const char *p = strstr(m, ".log:");
    return p ? p + 4 : m;
}

static int tables_equal(const vf_table *a, const vf_table *b, int same_bytes) {
    if (!a || !b) return 0;
    if (a->nrows != b->nrows || a->ncols != b->ncols) {
        fprintf(stderr, "tables differ: %lld x %d vs %lld x %d\n", (long long)a->nrows, a->ncols, (long long)b->nrows,
                b->ncols);
        return 0;
    }
    for (int i = 0; i < a->ncols; i++) {
        const vf_column *x = &a->cols[i], *y = &b->cols[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->null_count != y->null_count) {
            fprintf(stderr, "column %d differs: %s/%s %d/%d nulls %lld/%lld\n", i, x->name, y->name, x->type, y->type,
                    (long long)x->null_count, (long long)y->null_count);
            return 0;
        }
        for (int64_t r = 0; r < a->nrows; r++) {
            int same;
            if (x->type == VF_T_INT32 || x->type == VF_T_INT64) {
                same = ival(a, x->name, r) == ival(b, y->name, r);
            } else {
                const char *u = sval(a, x->name, r), *v = sval(b, y->name, r);
                same = (!u && !v) || (u && v && strcmp(u, v) == 0);
                /* codes follow first appearance, whatever the batching */
                same = same && ((const int32_t *)x->values)[r] == ((const int32_t *)y->values)[r];
            }
            if (!same) {
                fprintf(stderr, "column %s differs at row %lld\n", x->name, (long long)r);
                return 0;
            }
        }
        if ((x->dict || y->dict) && (!x->dict || !y->dict || vf_dict_size(x->dict) != vf_dict_size(y->dict))) {
            fprintf(stderr, "column %s: dictionaries differ\n", x->name);
            return 0;
        }
    }
    const vf_report *p = &a->report, *q = &b->report;
    if (p->lines != q->lines || p->rows != q->rows || p->bad_lines != q->bad_lines ||
        p->header_lines != q->header_lines || p->blank_lines != q->blank_lines || p->ms_fixed != q->ms_fixed ||
        p->nbad_kept != q->nbad_kept || p->files != q->files || (same_bytes && p->bytes_text != q->bytes_text)) {
        fprintf(stderr, "reports differ: lines %lld/%lld rows %lld/%lld bad %lld/%lld hdr %lld/%lld blank %lld/%lld "
                        "ms %lld/%lld kept %lld/%lld text %lld/%lld\n",
                (long long)p->lines, (long long)q->lines, (long long)p->rows, (long long)q->rows,
                (long long)p->bad_lines, (long long)q->bad_lines, (long long)p->header_lines,
                (long long)q->header_lines, (long long)p->blank_lines, (long long)q->blank_lines,
                (long long)p->ms_fixed, (long long)q->ms_fixed, (long long)p->nbad_kept, (long long)q->nbad_kept,
                (long long)p->bytes_text, (long long)q->bytes_text);
        return 0;
    }
    for (int64_t i = 0; i < p->nbad_kept; i++) {
        const vf_bad_record *u = &p->bad[i], *v = &q->bad[i];
        if (u->line != v->line || u->source != v->source || strcmp(u->text, v->text) ||
            strcmp(msg_tail(u->message), msg_tail(v->message)) || (!u->field) != (!v->field) || (u->field && strcmp(u->field, v->field))) {
            fprintf(stderr, "bad record %lld differs: line %lld/%lld '%s' / '%s'\n", (long long)i, (long long)u->line,
                    (long long)v->line, u->message, v->message);
            return 0;
        }
    }
    return 1;
}

static const char V2_HEADER[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";

/* the AWS documentation's v2 examples (aws-docs-v2.log) */
static const char AWS_V2[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n"
    "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n"
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 "
    "34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK\n";

static const char *const V2_COLS[] = {"version", "account_id", "interface_id", "srcaddr", "dstaddr",
                                      "srcport", "dstport",    "protocol",     "packets", "bytes",
                                      "start",   "end",        "action",       "log_status"};

static void check_aws_v2(const vf_table *t) {
    CHECK_INT(t->nrows, 7);
    CHECK_INT(t->ncols, 14);
    for (int i = 0; i < 14 && i < t->ncols; i++) CHECK_STR(t->cols[i].name, V2_COLS[i]);
    CHECK(col(t, "version") && col(t, "version")->type == VF_T_INT32);
    CHECK(col(t, "account_id") && col(t, "account_id")->type == VF_T_STRING);
    CHECK(col(t, "srcaddr") && col(t, "srcaddr")->type == VF_T_ADDR);
    CHECK(col(t, "packets") && col(t, "packets")->type == VF_T_INT64);
    CHECK(col(t, "start") && col(t, "start")->type == VF_T_INT64);
    /* row 0 */
    CHECK_INT(ival(t, "version", 0), 2);
    CHECK_STR(sval(t, "account_id", 0), "123456789010");
    CHECK_STR(sval(t, "interface_id", 0), "eni-1235b8ca123456789");
    CHECK_STR(sval(t, "srcaddr", 0), "172.31.16.139");
    CHECK_STR(sval(t, "dstaddr", 0), "172.31.16.21");
    CHECK_INT(ival(t, "srcport", 0), 20641);
    CHECK_INT(ival(t, "dstport", 0), 22);
    CHECK_INT(ival(t, "protocol", 0), 6);
    CHECK_INT(ival(t, "packets", 0), 20);
    CHECK_INT(ival(t, "bytes", 0), 4249);
    CHECK_INT(ival(t, "start", 0), 1418530010);
    CHECK_INT(ival(t, "end", 0), 1418530070);
    CHECK_STR(sval(t, "action", 0), "ACCEPT");
    CHECK_STR(sval(t, "log_status", 0), "OK");
    /* row 1 */
    CHECK_INT(ival(t, "dstport", 1), 3389);
    CHECK_STR(sval(t, "action", 1), "REJECT");
    CHECK_STR(sval(t, "srcaddr", 1), "172.31.9.69");
    /* NODATA / SKIPDATA: nulls */
    CHECK_STR(sval(t, "log_status", 2), "NODATA");
    CHECK_STR(sval(t, "log_status", 3), "SKIPDATA");
    CHECK_STR(sval(t, "interface_id", 3), "eni-11111111aaaaaaaaa");
    for (int r = 2; r <= 3; r++) {
        CHECK_STR(sval(t, "srcaddr", r), NULL);
        CHECK_STR(sval(t, "dstaddr", r), NULL);
        CHECK_INT(ival(t, "srcport", r), NUL_INT);
        CHECK_INT(ival(t, "dstport", r), NUL_INT);
        CHECK_INT(ival(t, "protocol", r), NUL_INT);
        CHECK_INT(ival(t, "packets", r), NUL_INT);
        CHECK_INT(ival(t, "bytes", r), NUL_INT);
        CHECK_STR(sval(t, "action", r), NULL);
        CHECK_INT(ival(t, "start", r), 1431280876);
        CHECK_INT(ival(t, "end", r), 1431280934);
        CHECK_INT(ival(t, "version", r), 2);
    }
    CHECK_INT(col(t, "srcport")->null_count, 2);
    CHECK_INT(col(t, "srcaddr")->null_count, 2);
    CHECK_INT(col(t, "action")->null_count, 2);
    CHECK_INT(col(t, "version")->null_count, 0);
    CHECK(col(t, "version")->valid == NULL); /* no nulls: no validity array */
    CHECK(col(t, "srcport")->valid != NULL);
    /* ICMP */
    CHECK_INT(ival(t, "srcport", 4), 0);
    CHECK_INT(ival(t, "protocol", 4), 1);
    CHECK_STR(sval(t, "srcaddr", 4), "203.0.113.12");
    CHECK_INT(ival(t, "start", 5), 1432917094);
    /* IPv6 */
    CHECK_STR(sval(t, "srcaddr", 6), "2001:db8:1234:a100:8d6e:3477:df66:f105");
    CHECK_STR(sval(t, "dstaddr", 6), "2001:db8:1234:a102:3304:8879:34cf:4071");
    CHECK_INT(ival(t, "bytes", 6), 8855);
    /* dictionaries: one entry per distinct value */
    CHECK_INT(vf_dict_size(col(t, "account_id")->dict), 1);
    CHECK_INT(vf_dict_size(col(t, "action")->dict), 2);
    CHECK_INT(vf_dict_size(col(t, "interface_id")->dict), 2);
    CHECK_INT(vf_dict_size(col(t, "log_status")->dict), 3);
    CHECK_INT(vf_dict_size(col(t, "srcaddr")->dict), 4); /* 172.31.16.139 twice */
}

static void test_read_basic(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    vf_table *t = read_str(AWS_V2, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t != NULL);
    if (!t) return;
    check_aws_v2(t);
    CHECK_INT(t->report.files, 1);
    CHECK_INT(t->report.lines, 8);
    CHECK_INT(t->report.rows, 7);
    CHECK_INT(t->report.header_lines, 1);
    CHECK_INT(t->report.bad_lines, 0);
    CHECK_INT(t->report.blank_lines, 0);
    CHECK_INT(t->report.ms_fixed, 0);
    CHECK_INT(t->report.nbad_kept, 0);
    CHECK_INT(t->report.bytes_in, strlen(AWS_V2));
    CHECK_INT(t->report.bytes_text, strlen(AWS_V2));
    vf_table_free(t);

    /* the sample file itself, read from disk, if it is there */
    const char *path = "/work/shared/samples/aws-docs-v2.log";
    if (access(path, R_OK) == 0) {
        vf_source s = {path, NULL, 0};
        t = NULL;
        CHECK_INT(vf_read(&s, 1, &o, &t, &err), VF_OK);
        if (t) check_aws_v2(t);
        vf_table_free(t);
    }

    /* header-less text: the v2 default, same values */
    t = read_str(AWS_V2 + strlen(V2_HEADER), &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        check_aws_v2(t);
        CHECK_INT(t->report.header_lines, 0);
        CHECK_INT(t->report.lines, 7);
    }
    vf_table_free(t);

    /* threads and a tiny chunk: the same table */
    vf_table *a = read_str(AWS_V2, &o, &st, &err);
    o.threads = 4;
    o.chunk_size = 1; /* clamped to the minimum */
    vf_table *b = read_str(AWS_V2, &o, &st, &err);
    CHECK(tables_equal(a, b, 1));
    vf_table_free(a);
    vf_table_free(b);

    /* empty and blank-only input */
    vf_read_opts_init(&o);
    t = read_str("", &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t && t->nrows == 0 && t->report.lines == 0);
    vf_table_free(t);
    t = read_str("\n  \n\t\r\n\n", &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t && t->nrows == 0 && t->report.blank_lines == 4 && t->report.lines == 0);
    vf_table_free(t);
    /* a header only */
    t = read_str(V2_HEADER, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t && t->nrows == 0 && t->report.header_lines == 1);
    if (t) {
        CHECK_INT(t->ncols, 14);
        CHECK_INT(col_index(t, "log_status"), 13);
    }
    vf_table_free(t);
}

/* the flowlogs-reader fixture: a header in alphabetical order */
static void test_read_alphabetical(void) {
    static const char TEXT[] =
        "account-id bytes dstaddr dstport end instance-id packets pkt-dstaddr pkt-srcaddr protocol srcaddr srcport "
        "start subnet-id tcp-flags type version vpc-id\n"
        "000000000000 6392 172.18.160.93 47460 1568300425 i-06f9249b 10 172.18.160.93 192.168.0.1 6 172.18.160.68 443 "
        "1568300367 subnet-089e7569 19 IPv4 3 vpc-0461a061\n"
        "000000000000 1698 172.18.160.68 443 1568300425 i-06f9249b 10 192.168.0.1 172.18.160.9 6 172.18.160.93 8088 "
        "1568300367 subnet-089e7569 3 IPv4 3 vpc-0461a061\n";
    static const char *const ORDER[] = {"version",   "account_id", "srcaddr",     "dstaddr",   "srcport", "dstport",
                                        "protocol",  "packets",    "bytes",       "start",     "end",     "vpc_id",
                                        "subnet_id", "instance_id", "tcp_flags",  "type",      "pkt_srcaddr",
                                        "pkt_dstaddr"};
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    vf_table *t = read_str(TEXT, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (!t) return;
    CHECK_INT(t->nrows, 2);
    CHECK_INT(t->ncols, 18);
    /* columns come out in the canonical order, not the header's */
    for (int i = 0; i < 18 && i < t->ncols; i++) CHECK_STR(t->cols[i].name, ORDER[i]);
    CHECK_STR(sval(t, "account_id", 0), "000000000000");
    CHECK_INT(ival(t, "bytes", 0), 6392);
    CHECK_STR(sval(t, "dstaddr", 0), "172.18.160.93");
    CHECK_INT(ival(t, "dstport", 0), 47460);
    CHECK_INT(ival(t, "end", 0), 1568300425);
    CHECK_STR(sval(t, "instance_id", 0), "i-06f9249b");
    CHECK_STR(sval(t, "pkt_srcaddr", 0), "192.168.0.1");
    CHECK_INT(ival(t, "tcp_flags", 0), 19);
    CHECK_INT(ival(t, "tcp_flags", 1), 3);
    CHECK_STR(sval(t, "type", 1), "IPv4");
    CHECK_INT(ival(t, "version", 1), 3);
    CHECK_STR(sval(t, "vpc_id", 1), "vpc-0461a061");
    CHECK_INT(ival(t, "srcport", 1), 8088);
    CHECK_STR(sval(t, "pkt_srcaddr", 1), "172.18.160.9");
    vf_table_free(t);
}

static void test_read_fields(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    /* header names, column names and an unknown field (a string column) */
    const char *fields[] = {"version", "srcaddr", "pkt_srcaddr", "tcp-flags", "my-extra", "dstport"};
    o.fields = fields;
    o.nfields = 6;
    vf_table *t = read_str("3 10.0.0.1 10.0.0.9 2 hello 443\n3 ::1 - 18 - -\n", &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 2);
        CHECK_INT(t->ncols, 6);
        /* known fields in canonical order, then the others */
        CHECK_STR(t->cols[0].name, "version");
        CHECK_STR(t->cols[1].name, "srcaddr");
        CHECK_STR(t->cols[2].name, "dstport");
        CHECK_STR(t->cols[3].name, "tcp_flags");
        CHECK_STR(t->cols[4].name, "pkt_srcaddr");
        CHECK_STR(t->cols[5].name, "my_extra");
        CHECK(t->cols[5].type == VF_T_STRING);
        CHECK(t->cols[3].type == VF_T_INT32);
        CHECK(t->cols[4].type == VF_T_ADDR);
        CHECK_STR(sval(t, "srcaddr", 0), "10.0.0.1");
        CHECK_STR(sval(t, "srcaddr", 1), "::1");
        CHECK_STR(sval(t, "pkt_srcaddr", 0), "10.0.0.9");
        CHECK_STR(sval(t, "pkt_srcaddr", 1), NULL);
        CHECK_INT(ival(t, "dstport", 0), 443);
        CHECK_INT(ival(t, "dstport", 1), NUL_INT);
        CHECK_INT(ival(t, "tcp_flags", 1), 18);
        CHECK_STR(sval(t, "my_extra", 0), "hello");
        CHECK_STR(sval(t, "my_extra", 1), NULL);
        CHECK_INT(t->report.header_lines, 0);
    }
    vf_table_free(t);
    /* a header in the text wins over opts.fields */
    t = read_str(AWS_V2, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) check_aws_v2(t);
    vf_table_free(t);
    /* bad fields */
    const char *badf[] = {"version", "Bad"};
    o.fields = badf;
    o.nfields = 2;
    t = read_str("2 x\n", &o, &st, &err);
    CHECK_INT(st, VF_EARG);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "invalid field name 'Bad'");
    const char *dup[] = {"version", "log-status", "log_status"};
    o.fields = dup;
    o.nfields = 3;
    t = read_str("2 x\n", &o, &st, &err);
    CHECK_INT(st, VF_EARG);
    CHECK_CONTAINS(err.msg, "appears twice");
    const char *empty[] = {"version", ""};
    o.fields = empty;
    o.nfields = 2;
    t = read_str("2 x\n", &o, &st, &err);
    CHECK_INT(st, VF_EARG);
}

static void test_read_headers(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    sbuf b = {0};
    /* a repeated header (as when files are concatenated) is skipped */
    sb_puts(&b, AWS_V2);
    sb_puts(&b, AWS_V2);
    vf_table *t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 14);
        CHECK_INT(t->ncols, 14);
        CHECK_INT(t->report.header_lines, 2);
        CHECK_INT(t->report.lines, 16);
        CHECK_INT(t->report.bad_lines, 0);
        CHECK_STR(sval(t, "srcaddr", 13), "2001:db8:1234:a100:8d6e:3477:df66:f105");
        CHECK_STR(sval(t, "log_status", 9), "NODATA");
        CHECK_INT(vf_dict_size(col(t, "log_status")->dict), 3);
    }
    vf_table_free(t);

    /* a changed header switches the fields: union of columns, nulls where absent */
    b.len = 0;
    sb_puts(&b, V2_HEADER);
    sb_puts(&b, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "2 123456789010 eni-b 10.0.0.3 10.0.0.4 5 6 17 7 8 1418530011 1418530071 REJECT OK\n");
    sb_puts(&b, "version srcaddr dstaddr tcp-flags vpc-id action\n");
    sb_puts(&b, "3 10.1.0.1 10.1.0.2 19 vpc-1 ACCEPT\n");
    sb_puts(&b, "3 10.1.0.3 10.1.0.4 - - REJECT\n");
    sb_puts(&b, V2_HEADER);
    sb_puts(&b, "2 999 eni-c 10.2.0.1 10.2.0.2 9 9 6 9 9 1418530012 1418530072 ACCEPT OK\n");
    t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 5);
        CHECK_INT(t->ncols, 16);
        CHECK_INT(t->report.header_lines, 3);
        CHECK_INT(col_index(t, "log_status"), 13);
        CHECK_INT(col_index(t, "vpc_id"), 14);
        CHECK_INT(col_index(t, "tcp_flags"), 15);
        CHECK_INT(ival(t, "tcp_flags", 0), NUL_INT);
        CHECK_INT(ival(t, "tcp_flags", 1), NUL_INT);
        CHECK_INT(ival(t, "tcp_flags", 2), 19);
        CHECK_INT(ival(t, "tcp_flags", 3), NUL_INT);
        CHECK_INT(ival(t, "tcp_flags", 4), NUL_INT);
        CHECK_INT(col(t, "tcp_flags")->null_count, 4);
        CHECK_STR(sval(t, "vpc_id", 2), "vpc-1");
        CHECK_STR(sval(t, "vpc_id", 0), NULL);
        CHECK_STR(sval(t, "vpc_id", 4), NULL);
        CHECK_INT(col(t, "vpc_id")->null_count, 4);
        CHECK_STR(sval(t, "account_id", 1), "123456789010");
        CHECK_STR(sval(t, "account_id", 2), NULL);
        CHECK_STR(sval(t, "account_id", 3), NULL);
        CHECK_STR(sval(t, "account_id", 4), "999");
        CHECK_INT(ival(t, "packets", 2), NUL_INT);
        CHECK_INT(ival(t, "packets", 4), 9);
        CHECK_INT(col(t, "packets")->null_count, 2);
        CHECK_INT(ival(t, "start", 3), NUL_INT);
        CHECK_INT(ival(t, "version", 2), 3);
        CHECK_STR(sval(t, "srcaddr", 3), "10.1.0.3");
        CHECK_STR(sval(t, "action", 3), "REJECT");
        CHECK_STR(sval(t, "action", 4), "ACCEPT");
        CHECK_INT(col(t, "action")->null_count, 0);
    }
    vf_table_free(t);
    /* the same with every line in its own batch, and threads */
    vf_table *ref = read_mem(b.p, b.len, &o, &st, &err);
    o.chunk_size = 4096;
    o.threads = 3;
    {
        /* pad with blank lines so the tiny chunk splits between the headers */
        sbuf c = {0};
        for (size_t i = 0, line = 0; i < b.len; i++) {
            sb_add(&c, b.p + i, 1);
            if (b.p[i] == '\n' && line++ < 6)
                for (int k = 0; k < 50; k++) sb_puts(&c, "                                                                                \n");
        }
        vf_table *u = read_mem(c.p, c.len, &o, &st, &err);
        CHECK_INT(st, VF_OK);
        if (u && ref) {
            CHECK_INT(u->report.blank_lines, 300);
            u->report.blank_lines = 0;
            CHECK(tables_equal(ref, u, 0));
        }
        vf_table_free(u);
        free(c.p);
    }
    vf_table_free(ref);
    vf_read_opts_init(&o);

    /* a header whose fields repeat is a bad line, not a header */
    b.len = 0;
    sb_puts(&b, V2_HEADER);
    sb_puts(&b, "version srcaddr version\n");
    sb_puts(&b, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    o.on_error = VF_ON_ERROR_SKIP;
    t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 1);
        CHECK_INT(t->report.bad_lines, 1);
        CHECK(t->report.nbad_kept == 1 && t->report.bad[0].line == 2);
        if (t->report.nbad_kept == 1) CHECK_CONTAINS(t->report.bad[0].message, "appears twice");
    }
    vf_table_free(t);
    o.on_error = VF_ON_ERROR_RAISE;
    t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_EPARSE);
    CHECK_INT(err.line, 2);
    free(b.p);
}

/* more columns over several headers than one header may have */
static void test_read_many_columns(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    sbuf b = {0};
    for (int h = 0; h < 3; h++) {
        sb_puts(&b, "version");
        for (int i = 0; i < 300; i++) sb_printf(&b, " %c%d", 'a' + h, i);
        sb_printf(&b, "\n%d", h);
        for (int i = 0; i < 300; i++) sb_printf(&b, " v%d", i);
        sb_puts(&b, "\n");
    }
    vf_table *t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 3);
        CHECK_INT(t->ncols, 901);
        CHECK_STR(t->cols[0].name, "version");
        CHECK_STR(t->cols[1].name, "a0");
        CHECK_STR(t->cols[900].name, "c299");
        /* every a/b/c column holds one value, in the row of its header, and two nulls */
        int ok = 1;
        for (int c = 1; c < t->ncols; c++) {
            const vf_column *x = &t->cols[c];
            int h = x->name[0] - 'a';
            char want[16];
            snprintf(want, sizeof want, "v%s", x->name + 1);
            for (int r = 0; r < 3; r++) {
                const char *v = sval(t, x->name, r);
                if (r == h ? !v || strcmp(v, want) != 0 : v != NULL) ok = 0;
            }
            if (x->null_count != 2) ok = 0;
            if (!ok) {
                fprintf(stderr, "column %s wrong\n", x->name);
                break;
            }
        }
        CHECK(ok);
        CHECK_INT(ival(t, "version", 2), 2);
    }
    vf_table_free(t);
    /* a header of VF's limit of 512 fields is a header; one more is not */
    for (int nf = 512; nf <= 513; nf++) {
        b.len = 0;
        sb_puts(&b, "version");
        for (int i = 1; i < nf; i++) sb_printf(&b, " f%d", i);
        sb_puts(&b, "\n");
        o.on_error = VF_ON_ERROR_SKIP;
        t = read_mem(b.p, b.len, &o, &st, &err);
        CHECK_INT(st, VF_OK);
        if (t) {
            CHECK_INT(t->report.header_lines, nf == 512 ? 1 : 0);
            CHECK_INT(t->report.bad_lines, nf == 512 ? 0 : 1);
        }
        vf_table_free(t);
    }
    free(b.p);
}

static void test_read_whitespace(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    /* CRLF, runs of spaces and tabs, blank lines, no final newline */
    const char *text =
        "version  account-id\tinterface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\r\n"
        "\r\n"
        "   2 123456789010   eni-1235b8ca123456789 172.31.16.139\t172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK  \r\n"
        "\n"
        "  \t \n"
        "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\t\r\n"
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";
    vf_table *t = read_str(text, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (!t) return;
    CHECK_INT(t->nrows, 3);
    CHECK_INT(t->ncols, 14);
    CHECK_INT(t->report.header_lines, 1);
    CHECK_INT(t->report.blank_lines, 3);
    CHECK_INT(t->report.lines, 4);
    CHECK_INT(t->report.bad_lines, 0);
    CHECK_INT(ival(t, "version", 0), 2);
    CHECK_STR(sval(t, "account_id", 0), "123456789010");
    CHECK_STR(sval(t, "srcaddr", 0), "172.31.16.139");
    CHECK_STR(sval(t, "log_status", 0), "OK"); /* no trailing spaces or \r in values */
    CHECK_STR(sval(t, "log_status", 1), "OK");
    CHECK_STR(sval(t, "action", 1), "REJECT");
    CHECK_STR(sval(t, "log_status", 2), "NODATA"); /* the last line, without a newline */
    CHECK_INT(ival(t, "end", 2), 1431280934);
    vf_table_free(t);
    /* a last line without newline, after a header, data only */
    t = read_str("2 1 eni-x 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK", &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t && t->nrows == 1 && t->report.lines == 1);
    if (t) CHECK_STR(sval(t, "log_status", 0), "OK");
    vf_table_free(t);
}

static void test_read_ms(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    sbuf b = {0};
    sb_puts(&b, V2_HEADER);
    sb_puts(&b, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010123 1418530070999 ACCEPT OK\n");
    sb_puts(&b, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070000 ACCEPT OK\n");
    sb_puts(&b, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 99999999999 100000000000 ACCEPT OK\n");
    sb_puts(&b, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 - 1418530070 ACCEPT OK\n");
    vf_table *t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->nrows, 4);
        CHECK_INT(ival(t, "start", 0), 1418530010);
        CHECK_INT(ival(t, "end", 0), 1418530070);
        CHECK_INT(ival(t, "start", 1), 1418530010);
        CHECK_INT(ival(t, "end", 1), 1418530070);
        CHECK_INT(ival(t, "start", 2), 99999999999LL); /* below the threshold: seconds */
        CHECK_INT(ival(t, "end", 2), 100000000);      /* at the threshold: milliseconds */
        CHECK_INT(ival(t, "start", 3), NUL_INT);
        CHECK_INT(t->report.ms_fixed, 4);
        CHECK_INT(ival(t, "bytes", 0), 4); /* other int64 columns are not touched */
    }
    vf_table_free(t);
    /* a large bytes value stays as it is */
    t = read_str("2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 9223372036854775807 1 2 ACCEPT OK\n", &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(ival(t, "bytes", 0), INT64_MAX);
        CHECK_INT(t->report.ms_fixed, 0);
    }
    vf_table_free(t);
    free(b.p);
}

static void test_read_errors(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    sbuf b = {0};
    sb_puts(&b, V2_HEADER);
    sb_puts(&b, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 abc 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "\n");
    sb_puts(&b, "bogus line\n");
    sb_puts(&b, "2 123456789010 eni-b 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "2 123456789010 eni-c 10.0.0.300 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "2 123456789010 eni-c 10.0.0.3 10.0.0.2 1 99999999999 6 3 4 1418530010 1418530070 ACCEPT OK\n");
    sb_puts(&b, "2 123456789010 eni-c 10.0.0.3 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK extra\n");
    sb_puts(&b, "2 123456789010 eni-d 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 REJECT OK");

    /* raise: the first bad line, with its file, line, field and text */
    vf_table *t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_EPARSE);
    CHECK(t == NULL);
    CHECK_INT(err.code, VF_EPARSE);
    CHECK_INT(err.line, 3);
    CHECK_STR(err.file, "mem.log");
    CHECK_STR(err.field, "srcport");
    CHECK_STR(err.text, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 abc 2 6 3 4 1418530010 1418530070 ACCEPT OK");
    CHECK_CONTAINS(err.msg, "mem.log:3:");
    CHECK_CONTAINS(err.msg, "srcport");
    CHECK_CONTAINS(err.msg, "invalid integer 'abc'");
    vf_table_free(t);

    /* skip: every bad line becomes a bad record */
    o.on_error = VF_ON_ERROR_SKIP;
    t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->nrows, 3);
        CHECK_INT(t->report.rows, 3);
        CHECK_INT(t->report.bad_lines, 5);
        CHECK_INT(t->report.nbad_kept, 5);
        CHECK_INT(t->report.blank_lines, 1);
        CHECK_INT(t->report.lines, 9);
        CHECK_STR(sval(t, "interface_id", 0), "eni-a");
        CHECK_STR(sval(t, "interface_id", 1), "eni-b");
        CHECK_STR(sval(t, "interface_id", 2), "eni-d");
        CHECK_STR(sval(t, "action", 2), "REJECT");
        /* a bad line leaves nothing in the dictionaries */
        CHECK_INT(vf_dict_size(col(t, "interface_id")->dict), 3);
        CHECK_INT(vf_dict_size(col(t, "srcaddr")->dict), 1);
        if (t->report.nbad_kept == 5) {
            vf_bad_record *r = t->report.bad;
            CHECK_INT(r[0].line, 3);
            CHECK_INT(r[0].source, 0);
            CHECK_STR(r[0].field, "srcport");
            CHECK_STR(r[0].text, "2 123456789010 eni-a 10.0.0.1 10.0.0.2 abc 2 6 3 4 1418530010 1418530070 ACCEPT OK");
            CHECK_CONTAINS(r[0].message, "mem.log:3:");
            CHECK_CONTAINS(r[0].message, "invalid integer");
            CHECK_INT(r[1].line, 5);
            CHECK_STR(r[1].field, "version"); /* the first field that fails */
            CHECK_STR(r[1].text, "bogus line");
            CHECK_CONTAINS(r[1].message, "mem.log:5: field 'version' (int32): invalid integer 'bogus'");
            CHECK_INT(r[2].line, 7);
            CHECK_STR(r[2].field, "srcaddr");
            CHECK_CONTAINS(r[2].message, "invalid IP address '10.0.0.300'");
            CHECK_INT(r[3].line, 8);
            CHECK_STR(r[3].field, "dstport");
            CHECK_CONTAINS(r[3].message, "out of range");
            CHECK_INT(r[4].line, 9);
            CHECK_STR(r[4].field, NULL);
            CHECK_CONTAINS(r[4].message, "expected 14 fields, found 15");
        }
    }
    vf_table_free(t);

    /* max_bad_kept and max_bad_text */
    o.max_bad_kept = 2;
    o.max_bad_text = 5;
    t = read_mem(b.p, b.len, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK_INT(t->report.bad_lines, 5);
        CHECK_INT(t->report.nbad_kept, 2);
        if (t->report.nbad_kept == 2) {
            CHECK_STR(t->report.bad[0].text, "2 123");
            CHECK_STR(t->report.bad[1].text, "bogus");
        }
    }
    vf_table_free(t);

    /* wrong field count in raise mode: no field, and the counts */
    vf_read_opts_init(&o);
    t = read_str("2 123456789010 eni-a 10.0.0.1\n", &o, &st, &err);
    CHECK_INT(st, VF_EPARSE);
    CHECK_INT(err.line, 1);
    CHECK_STR(err.field, "");
    CHECK_CONTAINS(err.msg, "mem.log:1: expected 14 fields, found 4");
    /* the error's line counts blank lines and the header */
    t = read_str("\n\nversion srcaddr\n\n2 1.2.3.4\n2 1.2.3\n", &o, &st, &err);
    CHECK_INT(st, VF_EPARSE);
    CHECK_INT(err.line, 6);
    CHECK_STR(err.field, "srcaddr");
    CHECK_STR(err.text, "2 1.2.3");
    /* control bytes are escaped in err.text */
    t = read_str("version srcport\n2 \x01\x02\n", &o, &st, &err);
    CHECK_INT(st, VF_EPARSE);
    CHECK_STR(err.text, "2 \\x01\\x02");

    /* a missing file */
    vf_source s = {"/nonexistent/dir/flow.log", NULL, 0};
    t = NULL;
    CHECK_INT(vf_read(&s, 1, &o, &t, &err), VF_EIO);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "/nonexistent/dir/flow.log");
    /* a directory */
    vf_source dir = {"/tmp", NULL, 0};
    CHECK_INT(vf_read(&dir, 1, &o, &t, &err), VF_EIO);
    /* Parquet */
    t = read_str("PAR1\x15\x04", &o, &st, &err);
    CHECK_INT(st, VF_EFORMAT);
    CHECK_CONTAINS(err.msg, "Parquet");
    free(b.p);
}

/* compressed in-memory sources, several sources at once */
static void test_read_sources(void) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    vf_error err;
    vf_status st;
    size_t tlen = strlen(AWS_V2), glen, zlen;
    char *g = gz(AWS_V2, tlen, &glen);
    char *z = zst(AWS_V2, tlen, &zlen);
    vf_table *t = read_mem(g, glen, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        check_aws_v2(t);
        CHECK_INT(t->report.bytes_in, glen);
        CHECK_INT(t->report.bytes_text, tlen);
    }
    vf_table_free(t);
    t = read_mem(z, zlen, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) check_aws_v2(t);
    vf_table_free(t);

    /* a truncated gzip: raise gives VF_ECODEC ... */
    size_t big;
    char *text = sample_text(3000, &big);
    char *gb = gz(text, big, &glen);
    t = read_mem(gb, glen / 2, &o, &st, &err);
    CHECK_INT(st, VF_ECODEC);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "mem.log");
    CHECK_STR(err.file, "mem.log");
    /* ... skip keeps the whole lines before the damage, plus one bad record */
    o.on_error = VF_ON_ERROR_SKIP;
    t = read_mem(gb, glen / 2, &o, &st, &err);
    CHECK_INT(st, VF_OK);
    if (t) {
        CHECK(t->nrows > 500 && t->nrows < 3000);
        CHECK_INT(t->report.bad_lines, 1);
        CHECK_INT(t->report.nbad_kept, 1);
        if (t->report.nbad_kept == 1) {
            CHECK_INT(t->report.bad[0].line, t->nrows + 2); /* header + rows, then the damaged line */
            CHECK_CONTAINS(t->report.bad[0].message, "truncated");
            CHECK_CONTAINS(t->report.bad[0].message, "mem.log:");
        }
        /* the rows are the first lines of the text */
        CHECK_INT(ival(t, "start", t->nrows - 1), 1418530010LL + t->nrows - 1);
    }
    vf_table_free(t);

    /* several sources: columns are the union, bad records name their source */
    vf_source srcs[3] = {
        {"a.log", AWS_V2, tlen},
        {"b.log.gz", g, glen},
        {"c.log", "version srcaddr tcp-flags\n3 10.9.9.9 2\nbogus\n", 0},
    };
    srcs[1].len = 0;
    {
        size_t l;
        char *g2 = gz(AWS_V2, tlen, &l);
        srcs[1].data = g2;
        srcs[1].len = l;
        srcs[2].len = strlen(srcs[2].data);
        for (int threads = 1; threads <= 4; threads += 3) {
            o.threads = threads;
            t = NULL;
            CHECK_INT(vf_read(srcs, 3, &o, &t, &err), VF_OK);
            if (t) {
                CHECK_INT(t->report.files, 3);
                CHECK_INT(t->nrows, 15);
                CHECK_INT(t->ncols, 15);
                CHECK_STR(sval(t, "srcaddr", 14), "10.9.9.9");
                CHECK_INT(ival(t, "tcp_flags", 14), 2);
                CHECK_INT(ival(t, "tcp_flags", 0), NUL_INT);
                CHECK_STR(sval(t, "action", 14), NULL);
                CHECK_STR(sval(t, "action", 7), "ACCEPT");
                CHECK_INT(t->report.bad_lines, 1);
                if (t->report.nbad_kept == 1) {
                    CHECK_INT(t->report.bad[0].source, 2);
                    CHECK_INT(t->report.bad[0].line, 3);
                    CHECK_CONTAINS(t->report.bad[0].message, "c.log:3:");
                }
            }
            vf_table_free(t);
        }
        /* raise: the error names the source */
        o.on_error = VF_ON_ERROR_RAISE;
        CHECK_INT(vf_read(srcs, 3, &o, &t, &err), VF_EPARSE);
        CHECK_STR(err.file, "c.log");
        CHECK_INT(err.line, 3);
        CHECK_CONTAINS(err.msg, "c.log:3:");
        free(g2);
    }
    free(text);
    free(gb);
    free(g);
    free(z);
}

/* ================================================================== */
/* Big inputs: threads, batches and byte ranges of a file              */
/* ================================================================== */
typedef struct {
    int lines;
    int bad_every;      /* 0: none */
    int change_at;      /* line number at which the header changes, 0: never */
    int change_back_at; /* line at which the v2 header returns, 0: never */
    int long_line_at;   /* a bad line of 20 KiB at this line, 0: none */
    int crlf;
} gen_opts;

static const char V3_HEADER[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status vpc-id tcp-flags\n";

static char *gen_input(const gen_opts *g, size_t *len) {
    sbuf b = {0};
    int v3 = 0;
    sb_puts(&b, V2_HEADER);
    int line = 1;
    for (int i = 0; line < g->lines; i++) {
        line++;
        const char *nl = g->crlf ? "\r\n" : "\n";
        if (g->change_at && line == g->change_at) {
            sb_puts(&b, V3_HEADER);
            v3 = 1;
            continue;
        }
        if (g->change_back_at && line == g->change_back_at) {
            sb_puts(&b, V2_HEADER);
            v3 = 0;
            continue;
        }
        if (g->long_line_at && line == g->long_line_at) {
            for (int k = 0; k < 20480; k++) sb_add(&b, "x", 1);
            sb_puts(&b, nl);
            continue;
        }
        if (g->bad_every && line % g->bad_every == 0) {
            sb_printf(&b, "bad line %d%s", line, nl);
            continue;
        }
        if (i % 211 == 0) {
            sb_printf(&b, "%s%s", i % 2 ? "" : "   ", nl); /* blank */
            continue;
        }
        unsigned r = rnd(), x[8];
        for (int k = 0; k < 8; k++) x[k] = rnd(); /* in a fixed order */
        if (r % 17 == 0) {
            sb_printf(&b, "2 123456789010 eni-%05u - - - - - - - %u %u - %s", r % 300, 1431280876 + i, 1431280934 + i,
                      r % 2 ? "NODATA" : "SKIPDATA");
        } else {
            char src[64], dst[64];
            if (r % 13 == 0)
                snprintf(src, sizeof src, "2001:db8::%x:%x", x[0] % 65536, x[1] % 65536);
            else
                snprintf(src, sizeof src, "10.%u.%u.%u", x[0] % 4, x[1] % 256, x[2] % 256);
            snprintf(dst, sizeof dst, "172.31.%u.%u", x[3] % 16, x[4] % 256);
            unsigned long long start = 1418530010ULL + (unsigned)i;
            if (r % 29 == 0) start *= 1000; /* milliseconds */
            sb_printf(&b, "2 %llu eni-%05u %s %s %u %u %u %u %llu %llu %u %s OK", 123456789000ULL + r % 7, x[5] % 300, src,
                      dst, x[6] % 65536, x[7] % 1024, r % 3 ? 6 : 17, x[2] % 1000,
                      (unsigned long long)x[3] * 1000ULL, start, 1418530070u + (unsigned)i, r % 5 ? "ACCEPT" : "REJECT");
        }
        if (v3) sb_printf(&b, " vpc-%u %u", x[0] % 9, x[1] % 64);
        sb_puts(&b, nl);
    }
    *len = b.len;
    return b.p;
}

static char g_tmpdir[256];

static char *write_temp(const char *data, size_t len, const char *tag) {
    char *path = malloc(512);
    snprintf(path, 512, "%s/%s.log", g_tmpdir, tag);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
    return path;
}

/* read text three ways: in memory with 1 thread (the reference), in memory
 * with 4 threads and 4 KiB batches, and from a temp file split into 4 KiB
 * byte ranges; all must agree.  Returns the reference table. */
static void check_three_ways(const char *text, size_t len, int on_error, const char *tag, vf_status want) {
    vf_read_opts o;
    vf_read_opts_init(&o);
    o.on_error = on_error;
    vf_error e1, e2, e3;
    vf_status s1, s2, s3;
    vf_table *ref = read_mem(text, len, &o, &s1, &e1);
    o.threads = 4;
    o.chunk_size = 4096;
    vf_table *mem = read_mem(text, len, &o, &s2, &e2);
    char *path = write_temp(text, len, tag);
    vf_source s = {path, NULL, 0};
    vf_table *file = NULL;
    s3 = vf_read(&s, 1, &o, &file, &e3);
    CHECK_INT(s1, want);
    CHECK_INT(s2, want);
    CHECK_INT(s3, want);
    if (want == VF_OK) {
        CHECK(ref != NULL && ref->nrows > 1000);
        CHECK(tables_equal(ref, mem, 1));
        CHECK(tables_equal(ref, file, 1));
        if (file) CHECK_INT(file->report.bytes_in, len);
    } else {
        /* the same error, at the same line */
        CHECK_INT(e2.line, e1.line);
        CHECK_INT(e3.line, e1.line);
        CHECK_STR(e2.text, e1.text);
        CHECK_STR(e3.text, e1.text);
        CHECK_STR(e2.field, e1.field);
        CHECK_STR(e3.field, e1.field);
        CHECK(ref == NULL && mem == NULL && file == NULL);
    }
    /* threads=2 with 64 KiB ranges too */
    o.threads = 2;
    o.chunk_size = 65536;
    vf_table *file2 = NULL;
    vf_error e4;
    CHECK_INT(vf_read(&s, 1, &o, &file2, &e4), want);
    if (want == VF_OK)
        CHECK(tables_equal(ref, file2, 1));
    else
        CHECK_INT(e4.line, e1.line);
    vf_table_free(file2);
    unlink(path);
    free(path);
    vf_table_free(ref);
    vf_table_free(mem);
    vf_table_free(file);
}

static void test_read_parallel(void) {
    size_t len;
    char *text;
    gen_opts g;

    /* 20k clean lines */
    memset(&g, 0, sizeof g);
    g.lines = 20000;
    text = gen_input(&g, &len);
    CHECK(len > 100 * 4096);
    {
        vf_read_opts o;
        vf_read_opts_init(&o);
        vf_error err;
        vf_status st;
        vf_table *t = read_mem(text, len, &o, &st, &err);
        CHECK_INT(st, VF_OK);
        if (t) {
            CHECK_INT(t->report.lines + t->report.blank_lines, 20000);
            CHECK_INT(t->report.rows, t->nrows);
            CHECK(t->report.ms_fixed > 0);
            CHECK_INT(t->report.bad_lines, 0);
        }
        vf_table_free(t);
    }
    check_three_ways(text, len, VF_ON_ERROR_RAISE, "clean", VF_OK);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "clean-skip", VF_OK);
    free(text);

    /* CRLF */
    g.crlf = 1;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_RAISE, "crlf", VF_OK);
    free(text);
    g.crlf = 0;

    /* bad lines: skipped with exact line numbers; raise stops at the first */
    g.bad_every = 997;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "bad-skip", VF_OK);
    check_three_ways(text, len, VF_ON_ERROR_RAISE, "bad-raise", VF_EPARSE);
    {
        vf_read_opts o;
        vf_read_opts_init(&o);
        o.on_error = VF_ON_ERROR_SKIP;
        vf_error err;
        vf_status st;
        vf_table *t = read_mem(text, len, &o, &st, &err);
        if (t) {
            CHECK_INT(t->report.bad_lines, 20);
            CHECK(t->report.nbad_kept == 20 && t->report.bad[0].line == 997 && t->report.bad[19].line == 19940);
            if (t->report.nbad_kept == 20) CHECK_STR(t->report.bad[19].text, "bad line 19940");
        }
        vf_table_free(t);
        o.on_error = VF_ON_ERROR_RAISE;
        t = read_mem(text, len, &o, &st, &err);
        CHECK_INT(err.line, 997);
    }
    free(text);

    /* the header changes in the middle: the ranges after it must be parsed
     * under the new header even though their own text never shows it */
    memset(&g, 0, sizeof g);
    g.lines = 20000;
    g.change_at = 7001;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "change-skip", VF_OK);
    check_three_ways(text, len, VF_ON_ERROR_RAISE, "change-raise", VF_OK);
    {
        vf_read_opts o;
        vf_read_opts_init(&o);
        vf_error err;
        vf_status st;
        vf_table *t = read_mem(text, len, &o, &st, &err);
        CHECK_INT(st, VF_OK);
        if (t) {
            CHECK_INT(t->ncols, 16);
            CHECK_INT(t->report.header_lines, 2);
            CHECK_INT(t->report.bad_lines, 0);
            CHECK(ival(t, "tcp_flags", 0) == NUL_INT && ival(t, "tcp_flags", t->nrows - 1) != NUL_INT);
        }
        vf_table_free(t);
    }
    free(text);

    /* ... and back again, with bad lines on both sides */
    g.change_back_at = 15001;
    g.bad_every = 1499;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "change-back-skip", VF_OK);
    check_three_ways(text, len, VF_ON_ERROR_RAISE, "change-back-raise", VF_EPARSE);
    free(text);

    /* a line longer than two ranges: line numbers after it stay exact */
    memset(&g, 0, sizeof g);
    g.lines = 20000;
    g.long_line_at = 9000;
    g.bad_every = 2003;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "long-skip", VF_OK);
    free(text);
    /* ... also when the header changes just before it */
    g.change_at = 8999;
    text = gen_input(&g, &len);
    check_three_ways(text, len, VF_ON_ERROR_SKIP, "long-change-skip", VF_OK);
    free(text);

    /* a header change lying exactly across a range boundary */
    {
        sbuf b = {0};
        sb_puts(&b, V2_HEADER);
        const char *row = "2 123456789010 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK\n";
        while (b.len + strlen(row) < 3 * 4096 - 20) sb_puts(&b, row);
        while (b.len < 3 * 4096 - 20) sb_puts(&b, " ");
        sb_puts(&b, V3_HEADER); /* starts 20 bytes before the boundary */
        const char *row3 = "2 123456789010 eni-b 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK vpc-1 2\n";
        for (int i = 0; i < 1000; i++) sb_puts(&b, row3);
        /* ... and a second change starting exactly on a boundary */
        size_t boundary = (b.len / 4096 + 1) * 4096;
        while (b.len < boundary - 1) sb_puts(&b, " ");
        sb_puts(&b, "\n");
        sb_puts(&b, "version srcaddr action\n");
        for (int i = 0; i < 1000; i++) sb_puts(&b, "2 10.0.0.9 REJECT\n");
        check_three_ways(b.p, b.len, VF_ON_ERROR_RAISE, "boundary-raise", VF_OK);
        check_three_ways(b.p, b.len, VF_ON_ERROR_SKIP, "boundary-skip", VF_OK);
        vf_read_opts o;
        vf_read_opts_init(&o);
        vf_error err;
        vf_status st;
        vf_table *t = read_mem(b.p, b.len, &o, &st, &err);
        CHECK_INT(st, VF_OK);
        if (t) {
            CHECK_INT(t->report.header_lines, 3);
            CHECK_INT(t->report.bad_lines, 0);
            CHECK_STR(sval(t, "vpc_id", t->nrows - 1001), "vpc-1");
            CHECK_STR(sval(t, "action", t->nrows - 1), "REJECT");
            CHECK_STR(sval(t, "interface_id", t->nrows - 1), NULL);
        }
        vf_table_free(t);
        free(b.p);
    }
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/vf-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_int64();
    test_ipv4();
    test_ipv6();
    test_format_addr();
    test_dict();
    test_fields();
    test_log_format();
    test_codecs();
    test_read_basic();
    test_read_alphabetical();
    test_read_fields();
    test_read_headers();
    test_read_many_columns();
    test_read_whitespace();
    test_read_ms();
    test_read_errors();
    test_read_sources();
    test_read_parallel();
    rmdir(g_tmpdir);
    return check_summary();
}
