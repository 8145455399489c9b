/* tz.c - TZif files (RFC 8536) read into a transition table and a footer rule
 * (see tz.h). The version 1 block is skipped: only the 64-bit block and the
 * footer are used. Every block's size is checked against the bytes left before
 * it is read, so a short or hostile file is an error, never an overread. */
#include "io/tz.h"

#include "base/limits.h"
#include "io/datetime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum {
    HEADER_BYTES = 44,
    NAME_MAX_BYTES = 255,
    TYPES_MAX = 256,              /* a transition names its type in one byte */
    OFFSET_LIMIT = 26 * 3600,     /* |offset| below this: two digits of hours in "+HHMM" */
    OFFSET_HOURS_MAX = 24,        /* POSIX: the hours of an offset */
    RULE_HOURS_MAX = 167,         /* RFC 8536 3.3.1: a rule's time, -167 to 167 hours */
    RULE_DEFAULT_TIME = 2 * 3600, /* POSIX: a change at 02:00 unless it says */
    DAY_SECONDS = 86400
};

/* The Gregorian calendar, weekdays included, repeats every 400 years. */
#define CYCLE_SECONDS (146097LL * DAY_SECONDS)

typedef enum rule_kind { RULE_JULIAN, RULE_ZERO_BASED, RULE_MONTH } rule_kind;

/* One end of daylight saving time in a year: Jn (1..365, February 29 never
 * counted), n (0..365, counted) or Mm.w.d (weekday d, 0 Sunday, of week w of
 * month m, 5 the last), at time seconds of the local time in force before it. */
typedef struct tz_rule {
    rule_kind kind;
    int day, week, month;
    int32_t time;
} tz_rule;

typedef struct tz_posix {
    int32_t std_offset, dst_offset; /* seconds east of UTC */
    bool has_dst;
    tz_rule start, end;
} tz_posix;

struct tz_zone {
    size_t count;         /* transitions */
    int64_t *at;          /* their instants, ascending */
    int32_t *offset;      /* the offset from each one on */
    int32_t first_offset; /* before the first: time type 0's (RFC 8536 3.2) */
    bool has_footer;      /* false: the TZ string is empty, the last offset stays */
    tz_posix footer;
};

/* ---- the POSIX TZ string of the footer ----------------------------------------- */

typedef struct tz_text {
    const char *p, *end;
} tz_text;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool take_char(tz_text *s, char c)
{
    if (s->p == s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

/* A designation: three or more letters, or <...> of letters, digits, + and -. */
static bool skip_name(tz_text *s)
{
    bool quoted = take_char(s, '<');
    const char *begin = s->p;
    while (s->p < s->end &&
           (is_alpha(*s->p) || (quoted && (is_digit(*s->p) || *s->p == '+' || *s->p == '-'))))
        s->p++;
    return s->p - begin >= 3 && (!quoted || take_char(s, '>'));
}

/* One to max_digits digits. */
static bool number(tz_text *s, int max_digits, int *out)
{
    int value = 0, n = 0;
    for (; n < max_digits && s->p < s->end && is_digit(*s->p); n++, s->p++)
        value = value * 10 + (*s->p - '0');
    *out = value;
    return n > 0;
}

/* [+|-]h[:mm[:ss]] as signed seconds, hours at most max_hours. */
static bool hms(tz_text *s, int max_hours, int32_t *out)
{
    int sign = 1, hours, minutes = 0, seconds = 0;
    if (take_char(s, '-'))
        sign = -1;
    else
        take_char(s, '+');
    if (!number(s, 3, &hours) || hours > max_hours)
        return false;
    if (take_char(s, ':')) {
        if (!number(s, 2, &minutes) || minutes > 59)
            return false;
        if (take_char(s, ':') && (!number(s, 2, &seconds) || seconds > 59))
            return false;
    }
    *out = sign * (hours * 3600 + minutes * 60 + seconds);
    return true;
}

static bool rule_date(tz_text *s, tz_rule *r)
{
    memset(r, 0, sizeof *r);
    if (take_char(s, 'J')) {
        r->kind = RULE_JULIAN;
        return number(s, 3, &r->day) && r->day >= 1 && r->day <= 365;
    }
    if (take_char(s, 'M')) {
        r->kind = RULE_MONTH;
        return number(s, 2, &r->month) && r->month >= 1 && r->month <= 12 && take_char(s, '.') &&
               number(s, 1, &r->week) && r->week >= 1 && r->week <= 5 && take_char(s, '.') &&
               number(s, 1, &r->day) && r->day <= 6;
    }
    r->kind = RULE_ZERO_BASED;
    return number(s, 3, &r->day) && r->day <= 365;
}

/* ",date[/time]" */
static bool rule(tz_text *s, tz_rule *r)
{
    if (!take_char(s, ',') || !rule_date(s, r))
        return false;
    r->time = RULE_DEFAULT_TIME;
    return !take_char(s, '/') || hms(s, RULE_HOURS_MAX, &r->time);
}

/* "std offset [dst [offset] [,start[/time],end[/time]]]" into *z: NULL, or why
 * not. POSIX offsets count west of UTC; z holds them east. */
static const char *posix_parse(const char *text, size_t len, tz_posix *z)
{
    tz_text s = {text, text + len};
    int32_t west;
    memset(z, 0, sizeof *z);
    if (!skip_name(&s))
        return "no standard time name";
    if (!hms(&s, OFFSET_HOURS_MAX, &west))
        return "no standard time offset";
    z->std_offset = z->dst_offset = -west;
    if (s.p == s.end)
        return NULL;
    if (!skip_name(&s))
        return "no daylight saving time name";
    z->has_dst = true;
    z->dst_offset = z->std_offset + 3600; /* an hour ahead unless it says */
    if (s.p != s.end && *s.p != ',') {
        if (!hms(&s, OFFSET_HOURS_MAX, &west))
            return "bad daylight saving time offset";
        z->dst_offset = -west;
    }
    if (s.p == s.end) { /* POSIX leaves it open; tzcode and glibc take the US rules */
        z->start = (tz_rule){RULE_MONTH, 0, 2, 3, RULE_DEFAULT_TIME};
        z->end = (tz_rule){RULE_MONTH, 0, 1, 11, RULE_DEFAULT_TIME};
        return NULL;
    }
    if (!rule(&s, &z->start))
        return "bad start rule";
    if (!rule(&s, &z->end))
        return "bad end rule";
    return s.p == s.end ? NULL : "text after the end rule";
}

/* ---- offsets --------------------------------------------------------------------- */

static bool leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* The day number of r's date in year. */
static int64_t rule_day(const tz_rule *r, int year)
{
    int64_t jan1 = date_from_civil(year, 1, 1);
    if (r->kind == RULE_JULIAN)
        return jan1 + r->day - 1 + (leap_year(year) && r->day >= 60);
    if (r->kind == RULE_ZERO_BASED)
        return jan1 + r->day;
    int64_t first = date_from_civil(year, r->month, 1);
    int64_t next =
        r->month == 12 ? date_from_civil(year + 1, 1, 1) : date_from_civil(year, r->month + 1, 1);
    int weekday = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int64_t day = first + (r->day - weekday + 7) % 7 + 7 * (r->week - 1);
    while (day >= next) /* week 5: the last one */
        day -= 7;
    return day;
}

/* The change of r in year as an instant; before it, local time was offset. */
static int64_t change_at(const tz_rule *r, int year, int32_t offset)
{
    return rule_day(r, year) * DAY_SECONDS + r->time - offset;
}

static void keep_latest(int64_t at, bool to_dst, int64_t t, int64_t *latest, bool *dst)
{
    if (at <= t && at >= *latest) {
        *latest = at;
        *dst = to_dst;
    }
}

/* The latest change at or before t decides. A year's changes may fall in the
 * years beside it (times up to 167 h; all-year DST ends "J365/25"), so the
 * changes of the year before and after count too; at equal instants the later
 * year's wins, so DST all year never blinks at new year. */
static int32_t posix_offset(const tz_posix *z, int64_t t)
{
    if (!z->has_dst)
        return z->std_offset;
    int64_t in_cycle = t % CYCLE_SECONDS;
    if (in_cycle < 0)
        in_cycle += CYCLE_SECONDS;
    int year, month, day;
    date_to_civil((int32_t)(in_cycle / DAY_SECONDS), &year, &month, &day);
    int64_t latest = INT64_MIN;
    bool dst = false;
    for (int y = year - 1; y <= year + 1; y++) {
        keep_latest(change_at(&z->start, y, z->std_offset), true, in_cycle, &latest, &dst);
        keep_latest(change_at(&z->end, y, z->dst_offset), false, in_cycle, &latest, &dst);
    }
    return dst ? z->dst_offset : z->std_offset;
}

int32_t tz_offset(const tz_zone *z, int64_t t)
{
    if (z->count == 0) /* RFC 8536 3.2: then the footer holds for all time */
        return z->has_footer ? posix_offset(&z->footer, t) : z->first_offset;
    if (t < z->at[0])
        return z->first_offset;
    if (t >= z->at[z->count - 1])
        return z->has_footer ? posix_offset(&z->footer, t) : z->offset[z->count - 1];
    size_t low = 0, high = z->count - 1; /* at[low] <= t < at[high] */
    while (high - low > 1) {
        size_t mid = low + (high - low) / 2;
        if (z->at[mid] <= t)
            low = mid;
        else
            high = mid;
    }
    return z->offset[low];
}

/* ---- the file ------------------------------------------------------------------- */

typedef struct reader {
    const unsigned char *data;
    size_t len, pos;
} reader;

typedef struct tzif_header {
    unsigned char version; /* 0 for version 1, else '2', '3', ... */
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_header;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Bytes of a data block with time_size-byte times (4: version 1, 8: later). */
static uint64_t block_bytes(const tzif_header *h, unsigned time_size)
{
    return (uint64_t)h->time * (time_size + 1) + (uint64_t)h->type * 6 + h->chars +
           (uint64_t)h->leap * (time_size + 4) + h->isstd + h->isut;
}

static cvo_status truncated(cvo_ctx *ctx, const char *label, const char *what, uint64_t need,
                            size_t left)
{
    return ctx_fail(ctx, CVO_ERR_FORMAT,
                    "%s: truncated TZif file: the %s needs %llu bytes, %zu left", label, what,
                    (unsigned long long)need, left);
}

static cvo_status read_header(cvo_ctx *ctx, reader *r, const char *label, tzif_header *h)
{
    const unsigned char *p = r->data + r->pos;
    size_t left = r->len - r->pos;
    if (r->pos == 0 && (left < 4 || memcmp(p, "TZif", 4) != 0))
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: not a TZif file (no \"TZif\" at its start)",
                        label);
    if (left < HEADER_BYTES)
        return truncated(ctx, label, r->pos ? "second header" : "header", HEADER_BYTES, left);
    if (memcmp(p, "TZif", 4) != 0)
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: no second header at byte %zu",
                        label, r->pos);
    h->version = p[4];
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    r->pos += HEADER_BYTES;
    if (h->version != 0 && h->version < '2')
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: unknown version byte 0x%02x",
                        label, h->version);
    return CVO_OK;
}

/* The version 2+ header's counts, as RFC 8536 3.1 allows them. */
static cvo_status check_counts(cvo_ctx *ctx, const char *label, const tzif_header *h)
{
    const char *why = NULL;
    if (h->leap != 0) /* their times would count leap seconds; unix time does not */
        why = "leap-second records (a \"right/\" zone): take the zone without \"right/\"";
    else if (h->type == 0 || h->type > TYPES_MAX)
        why = "the count of local time types";
    else if (h->chars == 0)
        why = "no time zone designations";
    else if ((h->isut != 0 && h->isut != h->type) || (h->isstd != 0 && h->isstd != h->type))
        why = "the count of standard/wall or UT/local indicators";
    return why ? ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: %s", label, why) : CVO_OK;
}

/* The local time types' offsets, each checked. */
static cvo_status read_types(cvo_ctx *ctx, const unsigned char *p, const tzif_header *h,
                             const char *label, int32_t *offsets)
{
    for (uint32_t i = 0; i < h->type; i++, p += 6) {
        int32_t offset = (int32_t)be32(p);
        if (offset <= -OFFSET_LIMIT || offset >= OFFSET_LIMIT || p[4] > 1 || p[5] >= h->chars)
            return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: local time type %u", label,
                            (unsigned)i);
        offsets[i] = offset;
    }
    return CVO_OK;
}

/* The version 2+ data block into z (its size already checked). */
static cvo_status read_block(cvo_ctx *ctx, reader *r, const tzif_header *h, const char *label,
                             tz_zone *z)
{
    const unsigned char *times = r->data + r->pos, *indices = times + (size_t)h->time * 8;
    int32_t offsets[TYPES_MAX];
    CVO_TRY(read_types(ctx, indices + h->time, h, label, offsets));
    z->first_offset = offsets[0];
    for (uint32_t i = 0; i < h->time; i++) {
        z->at[i] = be64(times + (size_t)i * 8);
        if ((i > 0 && z->at[i] <= z->at[i - 1]) || indices[i] >= h->type)
            return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: transition %u (%s)", label,
                            (unsigned)i, indices[i] >= h->type ? "no such type" : "out of order");
        z->offset[i] = offsets[indices[i]];
    }
    z->count = h->time;
    r->pos += (size_t)block_bytes(h, 8);
    return CVO_OK;
}

/* Text with anything but printable ASCII as '?', at most cap - 1 bytes. */
static void printable(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (; n < len && n + 1 < cap; n++)
        out[n] = text[n] >= ' ' && text[n] <= '~' ? text[n] : '?';
    out[n] = '\0';
}

/* "\nTZ string\n" after the data block (RFC 8536 3.3). */
static cvo_status read_footer(cvo_ctx *ctx, reader *r, const char *label, tz_zone *z)
{
    if (r->pos == r->len)
        return truncated(ctx, label, "footer", 2, 0);
    if (r->data[r->pos] != '\n')
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZif file: no footer after the data", label);
    const char *text = (const char *)r->data + r->pos + 1;
    const char *end = memchr(text, '\n', r->len - r->pos - 1);
    if (end == NULL)
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "%s: truncated TZif file: the footer's TZ string has no closing newline",
                        label);
    z->has_footer = end > text;
    const char *why = z->has_footer ? posix_parse(text, (size_t)(end - text), &z->footer) : NULL;
    if (why == NULL)
        return CVO_OK;
    char shown[64];
    printable(text, (size_t)(end - text), shown, sizeof shown);
    return ctx_fail(ctx, CVO_ERR_FORMAT, "%s: bad TZ string '%s' in the footer: %s", label, shown,
                    why);
}

static tz_zone *zone_new(cvo_ctx *ctx, uint32_t count)
{
    tz_zone *z = mem_alloc(ctx, sizeof *z);
    if (z == NULL)
        return NULL;
    memset(z, 0, sizeof *z);
    z->at = mem_array(ctx, count, sizeof *z->at);
    z->offset = mem_array(ctx, count, sizeof *z->offset);
    if (z->at == NULL || z->offset == NULL) {
        tz_free(ctx, z);
        return NULL;
    }
    return z;
}

/* The version 1 part, the version 2+ header and the size of its block. */
static cvo_status read_headers(cvo_ctx *ctx, reader *r, const char *label, tzif_header *h)
{
    CVO_TRY(read_header(ctx, r, label, h));
    if (h->version == 0)
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "%s: TZif version 1 has no 64-bit data or footer (version 2 or later "
                        "needed: update tzdata)",
                        label);
    uint64_t v1 = block_bytes(h, 4);
    if (v1 > r->len - r->pos)
        return truncated(ctx, label, "version 1 data block", v1, r->len - r->pos);
    r->pos += (size_t)v1;
    CVO_TRY(read_header(ctx, r, label, h));
    CVO_TRY(check_counts(ctx, label, h));
    uint64_t v2 = block_bytes(h, 8);
    return v2 > r->len - r->pos ? truncated(ctx, label, "version 2 data block", v2, r->len - r->pos)
                                : CVO_OK;
}

cvo_status tz_parse(cvo_ctx *ctx, const unsigned char *data, size_t len, const char *label,
                    tz_zone **out)
{
    reader r = {data, len, 0};
    tzif_header h = {0};
    *out = NULL;
    CVO_TRY(read_headers(ctx, &r, label, &h));
    tz_zone *z = zone_new(ctx, h.time);
    if (z == NULL)
        return ctx_nomem(ctx);
    cvo_status status = read_block(ctx, &r, &h, label, z);
    if (status == CVO_OK)
        status = read_footer(ctx, &r, label, z);
    if (status != CVO_OK)
        tz_free(ctx, z);
    else
        *out = z;
    return status;
}

/* ---- loading by name ----------------------------------------------------------- */

/* A-Z a-z 0-9 _ + - / only (no '.', so never ".."), no leading '/'. */
static bool zone_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_BYTES || name[0] == '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' && c != '-' && c != '/')
            return false;
    }
    return true;
}

static cvo_status read_zone_file(cvo_ctx *ctx, FILE *in, const char *path, unsigned char **data,
                                 size_t *len)
{
    struct stat st;
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode))
        return ctx_fail(ctx, CVO_ERR_IO, "%s: no such time zone (not a file)", path);
    if ((uint64_t)st.st_size > CVO_MAX_ZONE_FILE_BYTES)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "%s: larger than %u bytes: not a time zone", path,
                        (unsigned)CVO_MAX_ZONE_FILE_BYTES);
    *data = mem_alloc(ctx, (size_t)st.st_size);
    if (*data == NULL)
        return ctx_nomem(ctx);
    *len = fread(*data, 1, (size_t)st.st_size, in);
    return ferror(in) ? ctx_fail(ctx, CVO_ERR_IO, "%s: read error", path) : CVO_OK;
}

cvo_status tz_load(cvo_ctx *ctx, const char *dir, const char *name, tz_zone **out)
{
    char path[4096], shown[64];
    *out = NULL;
    printable(name ? name : "", name ? strlen(name) : 0, shown, sizeof shown);
    if (name == NULL || !zone_name_ok(name))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "time zone '%s': not a zone name (letters, digits, '_', '+', '-' and "
                        "'/', no leading '/', no '..')",
                        shown);
    if (snprintf(path, sizeof path, "%s/%s", dir ? dir : TZ_DEFAULT_DIR, name) >= (int)sizeof path)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "time zone '%s': the path is too long", shown);
    FILE *in = fopen(path, "rb");
    if (in == NULL && (errno == ENOENT || errno == ENOTDIR))
        return ctx_fail(ctx, CVO_ERR_IO, "%s: no such time zone", path);
    if (in == NULL)
        return ctx_fail(ctx, CVO_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char *data = NULL;
    size_t len = 0;
    cvo_status status = read_zone_file(ctx, in, path, &data, &len);
    fclose(in);
    if (status == CVO_OK)
        status = tz_parse(ctx, data, len, path, out);
    mem_free(ctx, data);
    return status;
}

void tz_free(cvo_ctx *ctx, tz_zone *zone)
{
    if (zone == NULL)
        return;
    mem_free(ctx, zone->at);
    mem_free(ctx, zone->offset);
    mem_free(ctx, zone);
}
