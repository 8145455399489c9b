/* test_tz.c - lib/io/tz against glibc's localtime_r under TZ=<zone> (an
 * implementation of its own, the oracle): real zones of the system's tzdata
 * from 1970 to 2040 every 6 hours and a second either side of every change;
 * hand-made TZif files whose footer alone gives the time (POSIX TZ rules in
 * all their forms), a "slim" file whose table stops early; and every error:
 * unknown zones, names that are not zone names, garbage, truncation at every
 * length, version 1, leap seconds, bad footers. Without /usr/share/zoneinfo
 * the tests fail, saying to install tzdata: they never skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"
#include "io/datetime.h"
#include "io/tz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOUR 3600
#define DAY (24 * HOUR)

static int64_t utc(int year, int month, int day, int hour, int minute, int second)
{
    return (int64_t)date_from_civil(year, month, day) * DAY + hour * HOUR + minute * 60 + second;
}

/* ---- the oracle -------------------------------------------------------------------- */

static void use_tz(const char *tz)
{
    assert_int_equal(setenv("TZ", tz, 1), 0);
    tzset();
}

static long glibc_offset(int64_t t)
{
    time_t when = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&when, &tm));
    return tm.tm_gmtoff;
}

static void expect_offset(const tz_zone *zone, const char *name, int64_t t, long want)
{
    int32_t got = tz_offset(zone, t);
    if (got != want)
        fail_msg("%s at %lld: tz_offset %ld, glibc %ld", name, (long long)t, (long)got, want);
}

/* glibc's offset changes between lo and hi: the second it changes, and one
 * second either side, must agree. */
static void expect_change(const tz_zone *zone, const char *name, int64_t lo, int64_t hi)
{
    long before = glibc_offset(lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (glibc_offset(mid) == before)
            lo = mid;
        else
            hi = mid;
    }
    for (int64_t t = hi - 1; t <= hi + 1; t++)
        expect_offset(zone, name, t, glibc_offset(t));
}

/* From `from` to `to` every step seconds, and around every change seen; the
 * count of changes. TZ is set by the caller. */
static size_t sweep(const tz_zone *zone, const char *name, int64_t from, int64_t to, int64_t step)
{
    size_t changes = 0;
    long before = glibc_offset(from);
    for (int64_t t = from; t <= to; t += step) {
        long now = glibc_offset(t);
        expect_offset(zone, name, t, now);
        if (now != before) {
            expect_change(zone, name, t - step, t);
            changes++;
        }
        before = now;
    }
    return changes;
}

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

static tz_zone *load_system(cvo_ctx *ctx, const char *name)
{
    tz_zone *zone = NULL;
    cvo_status status = tz_load(ctx, NULL, name, &zone);
    if (status != CVO_OK)
        fail_msg("%s: %s (install tzdata: apt-get install tzdata)", name, cvo_ctx_message(ctx));
    return zone;
}

/* ---- real zones --------------------------------------------------------------------- */

static void test_zoneinfo_installed(void **state)
{
    (void)state;
    if (access(TZ_DEFAULT_DIR "/America/New_York", R_OK) != 0)
        fail_msg("%s/America/New_York cannot be read: the time zone tests need tzdata "
                 "(apt-get install tzdata)",
                 TZ_DEFAULT_DIR);
}

typedef struct zone_case {
    const char *name;
    size_t min_changes; /* 1970-2040: the sweep must have crossed this many */
} zone_case;

static const zone_case zones[] = {
    {"America/New_York", 130},
    {"Europe/Paris", 120},
    {"Europe/London", 130},
    {"Asia/Kolkata", 0},
    {"Australia/Lord_Howe", 110}, /* 30-minute DST */
    {"America/Sao_Paulo", 40},    /* DST abolished in 2019 */
    {"Pacific/Apia", 15},         /* skipped 2011-12-30 */
    {"Asia/Tehran", 40},          /* DST until 2022 */
    {"UTC", 0},
    {"Etc/GMT+5", 0},
    {"Europe/Dublin", 120}, /* negative DST in its footer */
    {"America/Nuuk", 90},   /* rule times of -1 h */
    {"Asia/Kathmandu", 1},
    {"America/St_Johns", 120},
    {"Pacific/Chatham", 100},
    {"Africa/Casablanca", 40},
    {"Antarctica/Troll", 40},  /* two-hour DST */
    {"Pacific/Kiritimati", 1}, /* +14 */
    {"Pacific/Pago_Pago", 0},  /* -11 */
};

static void test_zones_against_glibc(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        tz_zone *zone = load_system(ctx, zones[i].name);
        use_tz(zones[i].name);
        size_t changes = sweep(zone, zones[i].name, utc(1970, 1, 1, 0, 0, 0),
                               utc(2040, 1, 1, 0, 0, 0), 6 * HOUR);
        if (changes < zones[i].min_changes)
            fail_msg("%s: %zu changes of offset, expected at least %zu", zones[i].name, changes,
                     zones[i].min_changes);
        tz_free(ctx, zone);
    }
    cvo_ctx_free(ctx);
}

/* Known instants, written out by hand (a third opinion beside glibc). */
static void test_known_offsets(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    tz_zone *ny = load_system(ctx, "America/New_York");
    assert_int_equal(tz_offset(ny, utc(2024, 3, 10, 6, 59, 59)), -5 * HOUR);
    assert_int_equal(tz_offset(ny, utc(2024, 3, 10, 7, 0, 0)), -4 * HOUR);
    assert_int_equal(tz_offset(ny, utc(2024, 11, 3, 5, 59, 59)), -4 * HOUR);
    assert_int_equal(tz_offset(ny, utc(2024, 11, 3, 6, 0, 0)), -5 * HOUR);
    assert_int_equal(tz_offset(ny, utc(2100, 7, 1, 0, 0, 0)), -4 * HOUR); /* the footer */
    tz_free(ctx, ny);
    tz_zone *apia = load_system(ctx, "Pacific/Apia");
    assert_int_equal(tz_offset(apia, utc(2011, 12, 30, 9, 59, 59)), -10 * HOUR);
    assert_int_equal(tz_offset(apia, utc(2011, 12, 30, 10, 0, 0)), 14 * HOUR);
    tz_free(ctx, apia);
    tz_zone *kolkata = load_system(ctx, "Asia/Kolkata");
    assert_int_equal(tz_offset(kolkata, utc(2025, 1, 1, 18, 30, 0)), 5 * HOUR + 30 * 60);
    tz_free(ctx, kolkata);
    tz_free(ctx, NULL);
    cvo_ctx_free(ctx);
}

/* Every canonical zone of zone1970.tab, every other day and around each change. */
static void test_every_zone(void **state)
{
    (void)state;
    FILE *tab = fopen(TZ_DEFAULT_DIR "/zone1970.tab", "r");
    if (tab == NULL)
        fail_msg("%s/zone1970.tab cannot be read (apt-get install tzdata)", TZ_DEFAULT_DIR);
    cvo_ctx *ctx = new_ctx();
    char line[512];
    size_t count = 0;
    while (fgets(line, sizeof line, tab) != NULL) {
        char *fields[4] = {NULL};
        char *p = line;
        for (int f = 0; f < 4 && p; f++) {
            fields[f] = p;
            p = strpbrk(p, "\t\n");
            if (p)
                *p++ = '\0';
        }
        if (line[0] == '#' || fields[2] == NULL)
            continue;
        tz_zone *zone = load_system(ctx, fields[2]);
        use_tz(fields[2]);
        sweep(zone, fields[2], utc(1970, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 2 * DAY);
        tz_free(ctx, zone);
        count++;
    }
    fclose(tab);
    cvo_ctx_free(ctx);
    assert_true(count > 300);
}

/* ---- hand-made TZif files --------------------------------------------------------- */

typedef struct tzif_spec {
    char version; /* '2', '3', or 0 for a version 1 file */
    size_t count; /* transitions */
    const int64_t *times;
    const uint8_t *types; /* each transition's local time type */
    size_t type_count;
    const int32_t *offsets; /* each type's offset */
    uint32_t leap;          /* leap-second records */
    const char *footer;     /* the TZ string */
} tzif_spec;

typedef struct tzif_bytes {
    unsigned char data[16384];
    size_t len;
} tzif_bytes;

static void put(tzif_bytes *b, const void *bytes, size_t n)
{
    if (n == 0) /* bytes may be NULL then */
        return;
    assert_true(b->len + n <= sizeof b->data);
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_be(tzif_bytes *b, uint64_t value, int size)
{
    for (int i = size - 1; i >= 0; i--) {
        unsigned char byte = (unsigned char)(value >> (8 * i));
        put(b, &byte, 1);
    }
}

static void put_header(tzif_bytes *b, const tzif_spec *s)
{
    static const unsigned char unused[15];
    put(b, "TZif", 4);
    put(b, &s->version, 1);
    put(b, unused, sizeof unused);
    uint32_t counts[6] = {0, 0, s->leap, (uint32_t)s->count, (uint32_t)s->type_count, 4};
    for (int i = 0; i < 6; i++)
        put_be(b, counts[i], 4);
}

static void put_block(tzif_bytes *b, const tzif_spec *s, int time_size)
{
    for (size_t i = 0; i < s->count; i++)
        put_be(b, (uint64_t)s->times[i], time_size);
    put(b, s->types, s->count);
    for (size_t i = 0; i < s->type_count; i++) {
        put_be(b, (uint32_t)s->offsets[i], 4);
        put(b, "\0\0", 2); /* not DST, designation 0 */
    }
    put(b, "ABC", 4);
    static const unsigned char leap_record[12]; /* when, correction: all zero */
    for (uint32_t i = 0; i < s->leap; i++)
        put(b, leap_record, (size_t)time_size + 4);
}

static void build(const tzif_spec *s, tzif_bytes *b)
{
    b->len = 0;
    put_header(b, s);
    put_block(b, s, 4);
    if (s->version == 0)
        return;
    put_header(b, s);
    put_block(b, s, 8);
    put(b, "\n", 1);
    put(b, s->footer, strlen(s->footer));
    put(b, "\n", 1);
}

/* A scratch zoneinfo folder. */
static void make_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/cvo-tz-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *dir, const char *name, const void *bytes, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A version 2 file with no transitions: the footer gives the time. */
static tz_zone *footer_zone(cvo_ctx *ctx, const char *dir, const char *footer)
{
    static const int32_t offsets[] = {0};
    tzif_spec spec = {'2', 0, NULL, NULL, 1, offsets, 0, footer};
    tzif_bytes b;
    build(&spec, &b);
    write_file(dir, "Footer", b.data, b.len);
    tz_zone *zone = NULL;
    if (tz_load(ctx, dir, "Footer", &zone) != CVO_OK)
        fail_msg("%s: %s", footer, cvo_ctx_message(ctx));
    return zone;
}

/* Footers in every form, against glibc reading the same string from TZ (no
 * file of that name exists, so glibc parses it). */
static void test_footer_against_glibc(void **state)
{
    (void)state;
    static const char *const footers[] = {
        "EST5EDT,M3.2.0,M11.1.0",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "<+0330>-3:30",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "<+0545>-5:45",
        "AAA3BBB,J60/2,J300/2",
        "AAA3BBB,59/2,299/2",
        "AAA3BBB,J1/4,J365/20",
        "AAA3BBB,0/4,364/20",
        "AAA-3:30:15BBB-4:45:30,M4.1.6/167,M9.5.3/-167",
        "XXX+4YYY+3,M5.5.5/1:30:45,M8.2.1",
        "AAA5BBB4,M3.2.0/2,M11.1.0/2",
        "<-03>3<-02>2,M3.5.0/-2,M10.5.0/-1",
        "UTC0",
        "<-05>5",
        "<+14>-14",
    };
    char dir[256];
    make_dir(dir, sizeof dir);
    cvo_ctx *ctx = new_ctx();
    for (size_t i = 0; i < sizeof footers / sizeof *footers; i++) {
        tz_zone *zone = footer_zone(ctx, dir, footers[i]);
        use_tz(footers[i]);
        sweep(zone, footers[i], utc(1970, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 6 * HOUR);
        tz_free(ctx, zone);
    }
    cvo_ctx_free(ctx);
    remove_dir(dir);
}

/* Forms glibc reads otherwise, checked by hand: no rules (glibc takes its
 * posixrules file; here the US rules), a DST period that runs into the next
 * year (glibc looks at the changes of t's own year only), day 365 (January 1
 * in a common year), DST all year (RFC 8536 3.3.1), and instants far beyond
 * the 400-year cycle. */
typedef struct footer_case {
    const char *footer;
    int year, month, day, hour, minute, second;
    int32_t offset;
} footer_case;

static const footer_case by_hand[] = {
    {"ABC5DEF", 2024, 3, 10, 6, 59, 59, -5 * HOUR},
    {"ABC5DEF", 2024, 3, 10, 7, 0, 0, -4 * HOUR},
    {"ABC5DEF", 2024, 11, 3, 5, 59, 59, -4 * HOUR},
    {"ABC5DEF", 2024, 11, 3, 6, 0, 0, -5 * HOUR},
    {"ABC5DEF", 2424, 7, 1, 0, 0, 0, -4 * HOUR},
    {"ABC5DEF", 1600, 1, 1, 0, 0, 0, -5 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 1, 1, 0, 0, 0, -2 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 1, 1, 1, 59, 58, -2 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 1, 1, 1, 59, 59, -3 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 1, 1, 2, 59, 59, -3 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 1, 1, 3, 0, 0, -2 * HOUR},
    {"AAA3BBB,J1/0,J365/23:59:59", 1970, 12, 31, 23, 0, 0, -2 * HOUR},
    {"AAA3BBB,59,365", 2024, 1, 1, 3, 59, 59, -2 * HOUR},
    {"AAA3BBB,59,365", 2024, 1, 1, 4, 0, 0, -3 * HOUR},
    {"AAA3BBB,59,365", 2024, 2, 29, 4, 59, 59, -3 * HOUR},
    {"AAA3BBB,59,365", 2024, 2, 29, 5, 0, 0, -2 * HOUR},
    {"AAA3BBB,59,365", 2024, 12, 31, 3, 59, 59, -2 * HOUR},
    {"AAA3BBB,59,365", 2024, 12, 31, 4, 0, 0, -3 * HOUR},
    {"AAA3BBB,59,365", 2025, 3, 1, 4, 59, 59, -3 * HOUR},
    {"AAA3BBB,59,365", 2025, 3, 1, 5, 0, 0, -2 * HOUR},
};

static void test_footer_by_hand(void **state)
{
    (void)state;
    char dir[256];
    make_dir(dir, sizeof dir);
    cvo_ctx *ctx = new_ctx();
    for (size_t i = 0; i < sizeof by_hand / sizeof *by_hand; i++) {
        const footer_case *c = &by_hand[i];
        tz_zone *zone = footer_zone(ctx, dir, c->footer);
        int64_t at = utc(c->year, c->month, c->day, c->hour, c->minute, c->second);
        if (tz_offset(zone, at) != c->offset)
            fail_msg("%s at %lld: %ld, expected %ld", c->footer, (long long)at,
                     (long)tz_offset(zone, at), (long)c->offset);
        tz_free(ctx, zone);
    }
    tz_zone *zone = footer_zone(ctx, dir, "EST5EDT,0/0,J365/25");
    for (int year = 1970; year <= 2040; year++) {
        assert_int_equal(tz_offset(zone, utc(year, 1, 1, 0, 0, 0)), -4 * HOUR);
        assert_int_equal(tz_offset(zone, utc(year, 1, 1, 5, 0, 0)), -4 * HOUR);
        assert_int_equal(tz_offset(zone, utc(year, 7, 1, 0, 0, 0)), -4 * HOUR);
        assert_int_equal(tz_offset(zone, utc(year, 12, 31, 23, 59, 59)), -4 * HOUR);
    }
    tz_free(ctx, zone);
    zone = footer_zone(ctx, dir, "<+0330>-3:30");
    assert_int_equal(tz_offset(zone, INT64_MAX), 3 * HOUR + 30 * 60);
    assert_int_equal(tz_offset(zone, INT64_MIN), 3 * HOUR + 30 * 60);
    tz_free(ctx, zone);
    zone = footer_zone(ctx, dir, "EST5EDT,M3.2.0,M11.1.0");
    assert_true(tz_offset(zone, INT64_MAX) >= -5 * HOUR && tz_offset(zone, INT64_MAX) <= -4 * HOUR);
    assert_true(tz_offset(zone, INT64_MIN) >= -5 * HOUR && tz_offset(zone, INT64_MIN) <= -4 * HOUR);
    tz_free(ctx, zone);
    cvo_ctx_free(ctx);
    remove_dir(dir);
}

/* A "slim" file: New York's two changes of 2007 and the footer after them
 * agree with glibc's New York from 2007 to 2040. An empty footer keeps the
 * last transition's offset. */
static void test_slim_file(void **state)
{
    (void)state;
    static const int64_t times[] = {1173596400, 1194156000}; /* 2007-03-11 07:00, 11-04 06:00 */
    static const uint8_t types[] = {1, 0};
    static const int32_t offsets[] = {-5 * HOUR, -4 * HOUR};
    tzif_spec spec = {'3', 2, times, types, 2, offsets, 0, "EST5EDT,M3.2.0,M11.1.0"};
    tzif_bytes b;
    build(&spec, &b);
    char dir[256];
    make_dir(dir, sizeof dir);
    write_file(dir, "Slim", b.data, b.len);
    cvo_ctx *ctx = new_ctx();
    tz_zone *zone = NULL;
    assert_int_equal(tz_load(ctx, dir, "Slim", &zone), CVO_OK);
    use_tz("America/New_York");
    size_t changes =
        sweep(zone, "slim", utc(2007, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 6 * HOUR);
    assert_int_equal(changes, 2 * 33);               /* 2007-2039 */
    assert_int_equal(tz_offset(zone, 0), -5 * HOUR); /* before the first: type 0 */
    tz_free(ctx, zone);
    spec.footer = "";
    build(&spec, &b);
    write_file(dir, "Slim", b.data, b.len);
    assert_int_equal(tz_load(ctx, dir, "Slim", &zone), CVO_OK);
    assert_int_equal(tz_offset(zone, utc(2030, 7, 1, 0, 0, 0)), -5 * HOUR);
    assert_int_equal(tz_offset(zone, utc(2007, 7, 1, 0, 0, 0)), -4 * HOUR);
    tz_free(ctx, zone);
    cvo_ctx_free(ctx);
    remove_dir(dir);
}

/* ---- errors ------------------------------------------------------------------------- */

static void expect_load_error(cvo_ctx *ctx, const char *dir, const char *name, cvo_status want,
                              const char *message_part)
{
    tz_zone *zone = (tz_zone *)1;
    cvo_status got = tz_load(ctx, dir, name, &zone);
    if (got != want || zone != NULL || strstr(cvo_ctx_message(ctx), message_part) == NULL)
        fail_msg("'%s': status %d, message '%s'; expected %d with '%s'", name, got,
                 cvo_ctx_message(ctx), want, message_part);
}

static void test_bad_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "",
        "/etc/passwd",
        "../../etc/passwd",
        "Europe/../../etc/passwd",
        "Europe/Paris\n",
        "a b",
        ".",
        "..",
        "Europe/Paris.bak",
        "Europe\\Paris",
        "Zone\x1b[2J",
        "Europe/Paris;",
        "~root",
    };
    cvo_ctx *ctx = new_ctx();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        expect_load_error(ctx, NULL, names[i], CVO_ERR_ARGUMENT, "not a zone name");
    char long_name[300];
    memset(long_name, 'A', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    expect_load_error(ctx, NULL, long_name, CVO_ERR_ARGUMENT, "not a zone name");
    expect_load_error(ctx, NULL, "Zone\x1b[2J", CVO_ERR_ARGUMENT, "'Zone?[2J'");
    tz_zone *zone = (tz_zone *)1;
    assert_int_equal(tz_load(ctx, NULL, NULL, &zone), CVO_ERR_ARGUMENT);
    assert_null(zone);
    cvo_ctx_free(ctx);
}

static void test_unknown_zones(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    expect_load_error(ctx, NULL, "America/Atlantis", CVO_ERR_IO,
                      "/usr/share/zoneinfo/America/Atlantis: no such time zone");
    expect_load_error(ctx, NULL, "America", CVO_ERR_IO, "America: no such time zone (not a file)");
    expect_load_error(ctx, NULL, "America/New_York/Bronx", CVO_ERR_IO, "no such time zone");
    expect_load_error(ctx, "/nonexistent/zoneinfo", "Europe/Paris", CVO_ERR_IO,
                      "/nonexistent/zoneinfo/Europe/Paris: no such time zone");
    cvo_ctx_free(ctx);
}

/* The real New York file, read whole. */
static unsigned char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *data = malloc(65536);
    assert_non_null(data);
    *len = fread(data, 1, 65536, f);
    fclose(f);
    assert_true(*len > 100 && *len < 65536);
    return data;
}

static void test_garbage_and_truncation(void **state)
{
    (void)state;
    char dir[256];
    make_dir(dir, sizeof dir);
    cvo_ctx *ctx = new_ctx();
    write_file(dir, "Garbage", "Europe/Paris is not a TZif file\n", 32);
    expect_load_error(ctx, dir, "Garbage", CVO_ERR_FORMAT, "Garbage: not a TZif file");
    write_file(dir, "Empty", "", 0);
    expect_load_error(ctx, dir, "Empty", CVO_ERR_FORMAT, "Empty: not a TZif file");
    size_t len;
    unsigned char *ny = read_whole(TZ_DEFAULT_DIR "/America/New_York", &len);
    write_file(dir, "Cut", ny, len / 2);
    expect_load_error(ctx, dir, "Cut", CVO_ERR_FORMAT, "Cut: truncated TZif file");
    write_file(dir, "Cut", ny, len - 1);
    expect_load_error(ctx, dir, "Cut", CVO_ERR_FORMAT,
                      "Cut: truncated TZif file: the footer's TZ string has no closing newline");
    for (size_t cut = 0; cut < len; cut++) { /* every length: an error, never an overread */
        tz_zone *zone = (tz_zone *)1;
        unsigned char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */
        assert_non_null(copy);
        memcpy(copy, ny, cut);
        assert_int_equal(tz_parse(ctx, copy, cut, "cut", &zone), CVO_ERR_FORMAT);
        assert_null(zone);
        assert_non_null(strstr(cvo_ctx_message(ctx), cut < 4 ? "not a TZif" : "truncated"));
        free(copy);
    }
    tz_zone *zone = NULL;
    assert_int_equal(tz_parse(ctx, ny, len, "whole", &zone), CVO_OK);
    tz_free(ctx, zone);
    free(ny);
    cvo_ctx_free(ctx);
    remove_dir(dir);
}

static void expect_parse_error(cvo_ctx *ctx, const tzif_spec *spec, const char *message_part)
{
    tzif_bytes b;
    build(spec, &b);
    tz_zone *zone = (tz_zone *)1;
    assert_int_equal(tz_parse(ctx, b.data, b.len, "made", &zone), CVO_ERR_FORMAT);
    assert_null(zone);
    if (strstr(cvo_ctx_message(ctx), message_part) == NULL)
        fail_msg("message '%s', expected '%s'", cvo_ctx_message(ctx), message_part);
}

static void test_bad_contents(void **state)
{
    (void)state;
    static const int64_t times[] = {1000, 500};
    static const uint8_t types[] = {0, 1};
    static const uint8_t bad_type[] = {0, 7};
    static const int32_t offsets[] = {0, 3600};
    static const int32_t huge[] = {0, 30 * HOUR};
    cvo_ctx *ctx = new_ctx();
    tzif_spec v1 = {0, 0, NULL, NULL, 1, offsets, 0, ""};
    expect_parse_error(ctx, &v1, "made: TZif version 1 has no 64-bit data or footer");
    tzif_spec leap = {'2', 0, NULL, NULL, 1, offsets, 1, "UTC0"};
    expect_parse_error(ctx, &leap, "made: bad TZif file: leap-second records");
    tzif_spec order = {'2', 2, times, types, 2, offsets, 0, "UTC0"};
    expect_parse_error(ctx, &order, "made: bad TZif file: transition 1 (out of order)");
    static const int64_t ascending[] = {500, 1000};
    tzif_spec no_type = {'2', 2, ascending, bad_type, 2, offsets, 0, "UTC0"};
    expect_parse_error(ctx, &no_type, "made: bad TZif file: transition 1 (no such type)");
    tzif_spec out_of_range = {'2', 2, ascending, types, 2, huge, 0, "UTC0"};
    expect_parse_error(ctx, &out_of_range, "made: bad TZif file: local time type 1");
    tzif_spec no_types = {'2', 0, NULL, NULL, 0, offsets, 0, "UTC0"};
    expect_parse_error(ctx, &no_types, "the count of local time types");
    static const char *const footers[][2] = {
        {"EST5EDT,M13.1.0,M11.1.0", "bad TZ string 'EST5EDT,M13.1.0,M11.1.0' in the footer: "
                                    "bad start rule"},
        {"EST5EDT,M3.2.0", "bad end rule"},
        {"EST5EDT,M3.2.0,M11.1.0,", "text after the end rule"},
        {"EST5EDT,M3.2.0,M11.6.0", "bad end rule"},
        {"EST5EDT,M3.2.7,M11.1.0", "bad start rule"},
        {"EST5EDT,J0,J365", "bad start rule"},
        {"EST5EDT,366,0", "bad start rule"},
        {"EST5EDT,M3.2.0/168,M11.1.0", "bad start rule"},
        {"EST25", "no standard time offset"},
        {"EST", "no standard time offset"},
        {"ES5", "no standard time name"},
        {"<+03-3", "no standard time name"},
        {"5", "no standard time name"},
        {"EST5E", "no daylight saving time name"},
        {"EST5EDT4:60", "bad daylight saving time offset"},
        {"EST5:3:99", "no standard time offset"},
        {"EST5\x01", "'EST5?'"},
    };
    for (size_t i = 0; i < sizeof footers / sizeof *footers; i++) {
        tzif_spec spec = {'2', 0, NULL, NULL, 1, offsets, 0, footers[i][0]};
        expect_parse_error(ctx, &spec, footers[i][1]);
    }
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoneinfo_installed),
        cmocka_unit_test(test_zones_against_glibc),
        cmocka_unit_test(test_known_offsets),
        cmocka_unit_test(test_every_zone),
        cmocka_unit_test(test_footer_against_glibc),
        cmocka_unit_test(test_footer_by_hand),
        cmocka_unit_test(test_slim_file),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_unknown_zones),
        cmocka_unit_test(test_garbage_and_truncation),
        cmocka_unit_test(test_bad_contents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
