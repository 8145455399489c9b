/* season_plant.c - --plant-season: "nov=1.6,dec=2.2" (factors by month) or
 * "amplitude=0.5,peak=12-15" (a yearly cosine wave), as a factor per day.
 * Parsed strictly: every item is a known key with a number in range. */
#include "gen/season_plant.h"

#include "base/ctx.h"
#include "io/datetime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEASON_MAX_FACTOR 100.0
#define SEASON_PI 3.14159265358979323846

typedef struct pattern {
    double month[12];
    bool wave;
    double amplitude;
    int peak_month, peak_day; /* 0: not given */
} pattern;

static const char *const month_keys[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};

static bool parse_number(const char *text, size_t len, double *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0' && isfinite(*out);
}

/* "12-15": a month and day of the year. */
static bool parse_peak(const char *text, size_t len, pattern *p)
{
    if (len != 5 || text[2] != '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return false;
    p->peak_month = (text[0] - '0') * 10 + (text[1] - '0');
    p->peak_day = (text[3] - '0') * 10 + (text[4] - '0');
    return date_valid_civil(2024, p->peak_month, p->peak_day); /* a leap year: 02-29 too */
}

static bool parse_item(const char *item, size_t len, pattern *p)
{
    const char *eq = memchr(item, '=', len);
    if (eq == NULL)
        return false;
    size_t key = (size_t)(eq - item), rest = len - key - 1;
    double value;
    if (key == 4 && strncasecmp(item, "peak", 4) == 0)
        return (p->wave = true) && parse_peak(eq + 1, rest, p);
    if (!parse_number(eq + 1, rest, &value))
        return false;
    if (key == 9 && strncasecmp(item, "amplitude", 9) == 0) {
        p->wave = true;
        p->amplitude = value;
        return value >= 0 && value < 1;
    }
    for (int m = 0; m < 12; m++) {
        if (key == 3 && strncasecmp(item, month_keys[m], 3) == 0) {
            p->month[m] = value;
            return value > 0 && value <= SEASON_MAX_FACTOR;
        }
    }
    return false;
}

static bool parse_pattern(const char *spec, pattern *p)
{
    memset(p, 0, sizeof *p);
    for (int m = 0; m < 12; m++)
        p->month[m] = 1.0;
    bool months = false;
    for (const char *item = spec; item != NULL;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        if (!parse_item(item, len, p))
            return false;
        months |= item[0] != 'a' && item[0] != 'A' && item[0] != 'p' && item[0] != 'P';
        item = comma ? comma + 1 : NULL;
    }
    return p->wave ? !months && p->peak_month > 0 : true;
}

static double factor_of(const pattern *p, int32_t day, double peak_year_day)
{
    int year, month, dom;
    date_to_civil(day, &year, &month, &dom);
    if (!p->wave)
        return p->month[month - 1];
    double year_day = day - date_from_civil(year, 1, 1);
    return 1 + p->amplitude * cos(2 * SEASON_PI * (year_day - peak_year_day) / 365.25);
}

cvo_status season_plant_days(cvo_ctx *ctx, const char *spec, int32_t first_day, uint32_t span,
                             double **factors, double *max)
{
    *factors = NULL;
    *max = 1.0;
    if (spec == NULL || spec[0] == '\0')
        return CVO_OK;
    pattern p;
    if (!parse_pattern(spec, &p))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: plant season '%.64s' is not months (nov=1.6,dec=2.2: factors "
                        "> 0 up to 100) or a wave (amplitude=0.5,peak=12-15: amplitude 0..1)",
                        spec);
    double *f = mem_array(ctx, span ? span : 1, sizeof *f);
    if (f == NULL)
        return ctx_nomem(ctx);
    double peak = p.wave ? date_from_civil(2023, p.peak_month,
                                           p.peak_day > 28 && p.peak_month == 2 ? 28 : p.peak_day) -
                               date_from_civil(2023, 1, 1)
                         : 0;
    double top = 0;
    for (uint32_t i = 0; i < span; i++) {
        f[i] = factor_of(&p, first_day + (int32_t)i, peak);
        top = f[i] > top ? f[i] : top;
    }
    *factors = f;
    *max = top > 0 ? top : 1.0;
    return CVO_OK;
}
