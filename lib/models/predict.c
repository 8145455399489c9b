/* predict.c - every customer's P(alive), expected purchases, chance of a
 * purchase, spend, CLV and next-purchase time. For BG/NBD, MBG/NBD and
 * Pareto/NBD the conditional expectation factors as P(alive | x, t_x, T) times
 * a term of (x, T, t) only; that term is computed once per distinct (x, T). */
#include "models/model.h"
#include "models/season.h"
#include "core/summary.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

enum { MAX_MONTHS = 1200 };

void cvo_predict_options_init(cvo_predict_options *options)
{
    options->horizon = 52;
    options->annual_discount = 0.10;
    options->clv = CVO_CLV_MONTHLY;
    options->period_days = 7;
    options->season = NULL;
}

/* What a distinct (x, T) needs: E[purchases by the end of month k | alive]
 * for k = 1..months, and P(no purchase within the horizon | alive). */
typedef struct alive_terms {
    double x, T;
    bool used;
    double p_none;
    double next;      /* next_purchase of every customer with this (x, T) */
    double clv_sum;   /* discounted sum of the months' expected purchases | alive */
    double odds_x;    /* BG/NBD, MBG/NBD: the x part of the P(alive) log-odds */
    double *by_month; /* months + 1 values, [0] = 0 */
} alive_terms;

typedef struct predictor {
    cvo_ctx *ctx;
    const cvo_fit *fit;
    const cvo_predict_options *o;
    size_t months;
    double month_periods;
    double monthly;    /* discount factor of one month */
    double *month_end; /* period offsets of the month ends, capped at the horizon */
    alive_terms *cache;
    size_t cache_mask, cache_count;
    double *values; /* backing store of every by_month */
    double horizon; /* periods; on the seasonal clock when there is one */
    const season_clock *clock; /* the seasonal index's clock, or NULL */
    int32_t start_day;         /* the summary's end day, where the horizon starts */
} predictor;

static uint64_t mix(double x, double T)
{
    uint64_t a, b;
    memcpy(&a, &x, 8);
    memcpy(&b, &T, 8);
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

/* E[purchases in (T, T+t] | alive at T]: the model's conditional expectation
 * divided by P(alive) (alive, given once for all t), both at t_x = T where
 * P(alive) is largest. */
static double expected_alive(const cvo_fit *fit, double alive, double x, double T, double t)
{
    return alive > 0 ? cvo_fit_expected(fit, x, T, T, t) / alive : 0;
}

/* P(no purchase in (T, T+t] | alive at T). The purchase rate given the
 * history is Gamma(r + x, alpha + T) for all three models; BG/NBD customers
 * cannot die between purchases, Pareto/NBD customers can (exponential life). */
static double none_alive(const cvo_fit *fit, double x, double T, double t)
{
    const double *p = fit->params;
    double a_of_t = pow((p[1] + T) / (p[1] + T + t), p[0] + x);
    if (fit->model != CVO_MODEL_PNBD)
        return a_of_t;
    /* integral over the moment of death u of dens(u) * P(no purchase before u) */
    double s = p[2], beta = p[3];
    enum { STEPS = 64 };
    double sum = 0, h = t / STEPS;
    for (int i = 0; i <= STEPS; i++) {
        double u = i * h;
        double dens = s / (beta + T + u) * pow((beta + T) / (beta + T + u), s);
        double alive_rate = pow((p[1] + T) / (p[1] + T + u), p[0] + x);
        double weight = (i == 0 || i == STEPS) ? 1 : (i % 2 ? 4 : 2);
        sum += weight * dens * alive_rate;
    }
    return a_of_t * pow((beta + T) / (beta + T + t), s) + sum * h / 3;
}

static alive_terms *slot_for(alive_terms *cache, size_t mask, double x, double T)
{
    size_t i = (size_t)mix(x, T) & mask;
    while (cache[i].used && !(cache[i].x == x && cache[i].T == T))
        i = (i + 1) & mask;
    return &cache[i];
}

/* Doubles the cache; the value rows move with their entries. */
static bool grow_cache(predictor *pr)
{
    size_t slots = (pr->cache_mask + 1) * 2, width = pr->months + 1;
    alive_terms *cache = mem_zarray(pr->ctx, slots, sizeof *cache);
    double *values = mem_array(pr->ctx, slots, width * sizeof(double));
    if (cache == NULL || values == NULL) {
        mem_free(pr->ctx, cache);
        mem_free(pr->ctx, values);
        return false;
    }
    for (size_t i = 0; i <= pr->cache_mask; i++) {
        if (!pr->cache[i].used)
            continue;
        alive_terms *e = slot_for(cache, slots - 1, pr->cache[i].x, pr->cache[i].T);
        *e = pr->cache[i];
        e->by_month = values + (size_t)(e - cache) * width;
        memcpy(e->by_month, pr->cache[i].by_month, width * sizeof(double));
    }
    mem_free(pr->ctx, pr->cache);
    mem_free(pr->ctx, pr->values);
    pr->cache = cache;
    pr->values = values;
    pr->cache_mask = slots - 1;
    for (size_t i = 0; i < slots; i++)
        if (!cache[i].used)
            cache[i].by_month = values + i * width;
    return true;
}

static alive_terms *terms_for(predictor *pr, double x, double T)
{
    alive_terms *e = slot_for(pr->cache, pr->cache_mask, x, T);
    if (e->used)
        return e;
    if ((pr->cache_count + 1) * 2 > pr->cache_mask + 1) {
        if (!grow_cache(pr))
            return NULL;
        e = slot_for(pr->cache, pr->cache_mask, x, T);
    }
    pr->cache_count++;
    e->used = true;
    e->x = x;
    e->T = T;
    e->by_month[0] = 0;
    e->p_none = none_alive(pr->fit, x, T, pr->horizon);
    double alive = cvo_fit_p_alive(pr->fit, x, T, T);
    for (size_t k = 1; k <= pr->months; k++)
        e->by_month[k] = expected_alive(pr->fit, alive, x, T, pr->month_end[k]);
    const cvo_fit *fit = pr->fit;
    double rate_shape = fit->params[0] + x, scale = fit->params[1] + T;
    double next = scale * (pow(2.0, 1.0 / rate_shape) - 1);
    if (pr->clock != NULL) /* back from the seasonal clock to calendar periods */
        next = (season_clock_day(pr->clock, season_clock_at(pr->clock, pr->start_day) + next) -
                pr->start_day) /
               pr->o->period_days;
    e->next = next <= pr->o->horizon ? next : NAN;
    double factor = 1, sum = 0;
    for (size_t k = 1; k <= pr->months; k++) {
        factor /= pr->monthly;
        sum += (e->by_month[k] - e->by_month[k - 1]) * factor;
    }
    e->clv_sum = sum;
    if (fit->model == CVO_MODEL_BGNBD || fit->model == CVO_MODEL_MBGNBD)
        e->odds_x = bg_alive_odds_x(fit->params, x, fit->model == CVO_MODEL_MBGNBD);
    return e;
}

static bool predict_one(predictor *pr, const cvo_fit *spend, const cvo_summary_row *r,
                        cvo_prediction *out)
{
    const cvo_fit *fit = pr->fit;
    alive_terms *e = terms_for(pr, r->x, r->T);
    if (e == NULL)
        return false;
    double alive;
    if (fit->model == CVO_MODEL_BGNBD || fit->model == CVO_MODEL_MBGNBD)
        alive = bg_p_alive_with(fit->params, e->odds_x, r->x, r->t_x, r->T,
                                fit->model == CVO_MODEL_MBGNBD);
    else
        alive = cvo_fit_p_alive(fit, r->x, r->t_x, r->T);
    out->p_alive = alive;
    out->expected = alive * e->by_month[pr->months];
    out->prob_purchase = alive * (1 - e->p_none);
    out->next_purchase = e->next;
    out->spend = spend ? cvo_fit_spend(spend, r->x, r->m_x) : NAN;
    if (spend == NULL) {
        out->clv = NAN;
    } else if (pr->o->clv == CVO_CLV_DERT) {
        double delta = log1p(pr->o->annual_discount) * pr->o->period_days / 365.25;
        out->clv = out->spend * cvo_fit_dert(fit, r->x, r->t_x, r->T, delta);
    } else {
        out->clv = out->spend * alive * e->clv_sum;
    }
    return true;
}

static cvo_status setup(predictor *pr, size_t rows)
{
    const cvo_predict_options *o = pr->o;
    pr->month_periods = 365.25 / 12 / o->period_days;
    pr->monthly = pow(1 + o->annual_discount, 1.0 / 12);
    pr->months = (size_t)ceil(o->horizon / pr->month_periods - 1e-9);
    if (pr->months < 1)
        pr->months = 1;
    (void)rows;
    size_t slots = 4096; /* grows with the distinct (x, T), not with the customers */
    pr->cache_mask = slots - 1;
    pr->month_end = mem_array(pr->ctx, pr->months + 1, sizeof(double));
    pr->cache = mem_zarray(pr->ctx, slots, sizeof *pr->cache);
    pr->values = mem_zarray(pr->ctx, slots, (pr->months + 1) * sizeof(double));
    if (pr->month_end == NULL || pr->cache == NULL || pr->values == NULL)
        return ctx_nomem(pr->ctx);
    pr->horizon = o->horizon;
    for (size_t k = 0; k <= pr->months; k++)
        pr->month_end[k] = fmin(k * pr->month_periods, o->horizon);
    if (pr->clock != NULL) {
        const season_clock *c = pr->clock;
        double start = season_clock_at(c, pr->start_day);
        for (size_t k = 0; k <= pr->months; k++)
            pr->month_end[k] =
                season_clock_at(c, pr->start_day + pr->month_end[k] * o->period_days) - start;
        pr->horizon = season_clock_at(c, pr->start_day + o->horizon * o->period_days) - start;
    }
    for (size_t i = 0; i < slots; i++)
        pr->cache[i].by_month = pr->values + i * (pr->months + 1);
    return CVO_OK;
}

static cvo_status check(cvo_ctx *ctx, const cvo_fit *purchase, const cvo_fit *spend,
                        const cvo_predict_options *o)
{
    if (purchase->model != CVO_MODEL_BGNBD && purchase->model != CVO_MODEL_MBGNBD &&
        purchase->model != CVO_MODEL_PNBD && purchase->model != CVO_MODEL_NBD)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "predictions need bgnbd, mbgnbd, pnbd or nbd");
    if (spend != NULL && spend->model != CVO_MODEL_GG)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the spend model must be gg");
    if (o->clv == CVO_CLV_DERT && purchase->model != CVO_MODEL_PNBD &&
        purchase->model != CVO_MODEL_NBD)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "DERT exists for pnbd (and nbd) only");
    if (!(o->horizon > 0) || o->horizon / (365.25 / 12 / o->period_days) > MAX_MONTHS ||
        !(o->period_days > 0) || !(o->annual_discount > -1))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "bad horizon, period or discount rate");
    return CVO_OK;
}

/* One thread's share of the customers, with its own (x, T) cache. */
typedef struct predict_part {
    predictor pr;
    const cvo_fit *spend;
    const cvo_summary_row *rows;
    cvo_prediction *out;
    size_t count;
    bool failed;
} predict_part;

static void *run_part(void *arg)
{
    predict_part *part = arg;
    for (size_t i = 0; i < part->count && !part->failed; i++)
        part->failed = !predict_one(&part->pr, part->spend, &part->rows[i], &part->out[i]);
    return NULL;
}

static void free_part(cvo_ctx *ctx, predict_part *part)
{
    mem_free(ctx, part->pr.month_end);
    mem_free(ctx, part->pr.cache);
    mem_free(ctx, part->pr.values);
}

enum { PARALLEL_PREDICT_MIN = 1 << 16 };

/* The seasonal clock from the summary's end day over the horizon, and the
 * summary's rows on it. */
static cvo_status on_season(cvo_ctx *ctx, const cvo_predict_options *o, const cvo_summary *summary,
                            season_clock *clock, cvo_summary **rows)
{
    double days = ceil(o->horizon * o->period_days) + 2;
    if (!(days < 1e6))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "bad horizon, period or discount rate");
    int32_t first = summary->end_day;
    for (size_t i = 0; i < summary->count; i++)
        first = summary->rows[i].first_day < first ? summary->rows[i].first_day : first;
    CVO_TRY(season_clock_new(ctx, o->season, first, summary->end_day + (int32_t)days,
                             o->period_days, clock));
    cvo_status status = season_summary(ctx, summary, clock, rows);
    if (status != CVO_OK)
        season_clock_free(ctx, clock);
    return status;
}

cvo_status cvo_predict_all(cvo_ctx *ctx, const cvo_fit *purchase, const cvo_fit *spend,
                           const cvo_summary *summary, const cvo_predict_options *options,
                           cvo_prediction *out)
{
    cvo_predict_options defaults;
    cvo_predict_options_init(&defaults);
    const cvo_predict_options *o = options ? options : &defaults;
    cvo_fit reduced; /* a fit at the no-dropout edge predicts with its NBD */
    if (purchase != NULL && cvo_fit_reduced(purchase, &reduced))
        purchase = &reduced;
    CVO_TRY(check(ctx, purchase, spend, o));
    const season_clock *clock = NULL;
    season_clock on_clock = {0};
    cvo_summary *seasonal = NULL;
    if (season_active(o->season) && summary->end_day != INT32_MIN && summary->period_days > 0) {
        CVO_TRY(on_season(ctx, o, summary, &on_clock, &seasonal));
        clock = &on_clock;
        purchase = cvo_fit_reduced(&o->season->fit, &reduced) ? &reduced : &o->season->fit;
        CVO_TRY(check(ctx, purchase, spend, o));
    }
    const cvo_summary_row *rows = seasonal ? seasonal->rows : summary->rows;
    size_t n = summary->count, half = n >= PARALLEL_PREDICT_MIN ? n / 2 : n;
    predict_part parts[2];
    memset(parts, 0, sizeof parts);
    for (int k = 0; k < 2; k++) {
        parts[k].pr = (predictor){
            .ctx = ctx, .fit = purchase, .o = o, .clock = clock, .start_day = summary->end_day};
        parts[k].spend = spend;
        parts[k].rows = rows + (k ? half : 0);
        parts[k].out = out + (k ? half : 0);
        parts[k].count = k ? n - half : half;
    }
    cvo_status status = setup(&parts[0].pr, half);
    if (status == CVO_OK && parts[1].count > 0)
        status = setup(&parts[1].pr, n - half);
    pthread_t thread;
    bool threaded = status == CVO_OK && parts[1].count > 0 &&
                    pthread_create(&thread, NULL, run_part, &parts[1]) == 0;
    if (status == CVO_OK)
        run_part(&parts[0]);
    if (threaded)
        pthread_join(thread, NULL);
    else if (status == CVO_OK)
        run_part(&parts[1]);
    if (status == CVO_OK && (parts[0].failed || parts[1].failed))
        status = ctx_nomem(ctx);
    free_part(ctx, &parts[0]);
    free_part(ctx, &parts[1]);
    cvo_summary_free(seasonal);
    season_clock_free(ctx, &on_clock);
    return status;
}
