/* generate_process.c - the purchase process of cvo_generate: each
 * customer walks the BG/NBD (or Pareto/NBD) process from their own stream, twice:
 * once to count orders per day, once to place them, a counting sort by day. */
#include "cvo.h"

#include "base/ctx.h"
#include "base/hash.h"
#include "base/hmac.h"
#include "gen/catalog.h"
#include "gen/generate_impl.h"
#include "gen/outbuf.h"
#include "gen/rng.h"
#include "gen/season_plant.h"
#include "io/datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ---- the purchase process ------------------------------------------------- */

/* One customer's BG/NBD history, drawn lazily from their own stream. */
typedef struct customer_walk {
    rng g;
    int32_t first_day;
    double horizon_days; /* from first_day to the end of last_day */
    double rate_per_day, dropout, elapsed_days;
    double lifetime_days;  /* Pareto/NBD: alive until then (from first_day); BG/NBD: INFINITY */
    uint32_t orders;       /* placed so far */
    bool stop_after_first; /* planted: never comes back */
    bool done;
    bool dropped;         /* done by drop-out (not by the end of the data) */
    int32_t added_day;    /* a planted uplift's added order, INT32_MIN: none */
    const double *season; /* planted: rate factors from this customer's first_day; NULL: none */
    double season_max;
} customer_walk;

/* The first draw of a customer's process stream. */
int32_t gen_draw_first_day(const generator *gen, rng *g)
{
    return gen->opt->first_day + (int32_t)rng_below(g, gen->span);
}

/* Planted churn, from its own stream so that the process draws stay the same. */
static void plant_churn(const generator *gen, uint32_t customer, customer_walk *walk)
{
    unsigned planted = gen->planted != NULL ? gen->planted[customer] : 0;
    walk->stop_after_first = false;
    if (planted == 0)
        return;
    double chance = gen_plant_chance(&gen->plants, planted);
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_CHURN, customer, 0);
    walk->stop_after_first = rng_uniform(&g) < chance;
    walk->dropout = 1.0 - (1.0 - walk->dropout) * (1.0 - chance);
    walk->lifetime_days *= 1.0 - chance; /* Pareto/NBD: the dropout rate / (1 - chance) */
}

static bool walk_natural(customer_walk *walk, int32_t *day);

/* Whether the planted uplift acts on customer's order on day: treated and in the window. */
bool gen_uplift_treats(const generator *gen, uint32_t customer, int32_t day)
{
    const gen_plants *p = &gen->plants;
    return gen->treated != NULL && gen->treated[customer] && day >= p->uplift_day &&
           (int64_t)day < (int64_t)p->uplift_day + p->uplift_window;
}

/* The last day of the window the data still holds, plus one. */
static int32_t uplift_window_end(const generator *gen)
{
    int64_t end = (int64_t)gen->plants.uplift_day + gen->plants.uplift_window;
    return end > gen->opt->last_day + 1 ? gen->opt->last_day + 1 : (int32_t)end;
}

/* The planted conversion uplift: a treated customer who bought before D and has
 * no order in [D, end) gets one with probability delta / (1 - p), p = their own
 * chance of an order there given the process at D (0 once dropped out; else
 * 1 - exp(-lambda (end - D)), the next purchase being memoryless), so that
 * P(an order) = p + delta exactly (capped at 1). The walk is run ahead on a copy. */
static void plant_conversion(const generator *gen, uint32_t customer, customer_walk *walk)
{
    const gen_plants *p = &gen->plants;
    if (gen->treated == NULL || !gen->treated[customer] || p->uplift_conversion <= 0 ||
        walk->first_day >= p->uplift_day)
        return;
    int32_t end = uplift_window_end(gen), day;
    if (end <= p->uplift_day)
        return;
    customer_walk ahead = *walk;
    int32_t last = INT32_MIN;
    while (walk_natural(&ahead, &day)) {
        if (day >= p->uplift_day && day < end)
            return; /* converts anyway */
        last = day;
    }
    /* BG/NBD: drop-out follows an order at once, dead at D iff it followed one
     * before D; Pareto/NBD: dead once the lifetime has passed (or planted churn
     * ended it after the first order, which is before D) */
    bool alive = isinf(walk->lifetime_days)
                     ? !(ahead.dropped && last < p->uplift_day)
                     : !walk->stop_after_first &&
                           walk->lifetime_days > (double)(p->uplift_day - walk->first_day);
    double chance = alive ? 1.0 - exp(-walk->rate_per_day * (end - p->uplift_day)) : 0.0;
    double add = chance < 1.0 ? p->uplift_conversion / (1.0 - chance) : 1.0;
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_UPLIFT, customer, 0);
    if (rng_uniform(&g) < add)
        walk->added_day = p->uplift_day + (int32_t)rng_below(&g, (uint64_t)(end - p->uplift_day));
}

static void walk_begin(const generator *gen, uint32_t customer, customer_walk *walk)
{
    const cvo_generate_options *options = gen->opt;
    rng_seed(&walk->g, options->seed, STREAM_PROCESS, customer, 0);
    walk->first_day = gen_draw_first_day(gen, &walk->g);
    walk->horizon_days = (double)(options->last_day - walk->first_day + 1);
    /* a planted covariate: lambda x e^gp, dropout scaled by e^gd (cvo.h) */
    bool has = gen->covariate != NULL && gen->covariate[customer];
    double purchase = has ? exp(gen->plants.covariate_purchase) : 1.0;
    double dropout = has ? exp(gen->plants.covariate_dropout) : 1.0;
    if (options->process == CVO_GEN_PNBD) {
        /* lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta) per week;
         * lifetime ~ Exponential(mu) weeks. */
        double lambda = purchase * rng_gamma(&walk->g, options->pnbd_r) / options->pnbd_alpha;
        double mu = dropout * rng_gamma(&walk->g, options->pnbd_s) / options->pnbd_beta;
        double life = rng_exponential(&walk->g);
        walk->rate_per_day = lambda / 7.0;
        walk->dropout = 0.0;
        walk->lifetime_days = mu > 0.0 ? 7.0 * life / mu : INFINITY;
    } else {
        /* lambda ~ Gamma(r, rate alpha) per week; p ~ Beta(a, b). */
        double lambda = purchase * rng_gamma(&walk->g, options->bgnbd_r) / options->bgnbd_alpha;
        walk->rate_per_day = lambda / 7.0;
        walk->dropout = rng_beta(&walk->g, dropout * options->bgnbd_a, dropout * options->bgnbd_b);
        walk->lifetime_days = INFINITY;
    }
    walk->elapsed_days = 0.0;
    walk->orders = 0;
    walk->done = false;
    walk->dropped = false;
    walk->added_day = INT32_MIN;
    walk->season = gen->season ? gen->season + (walk->first_day - options->first_day) : NULL;
    walk->season_max = gen->season_max;
    plant_churn(gen, customer, walk);
    plant_conversion(gen, customer, walk);
}

/* The day of the next order, or false once the customer has dropped out or the
 * window has ended. As in FHL (2005), drop-out may follow each repeat purchase,
 * never the first one; purchases while alive are a Poisson process. In the
 * Pareto/NBD process dropout is 0 and the customer is gone once the next
 * purchase would fall after their lifetime. */
/* When the next purchase comes: exponential at the customer's rate, or with a
 * planted season thinned from rate x max(s), each draw kept with s(day) / max(s). */
static double next_purchase_days(customer_walk *walk)
{
    double t = walk->elapsed_days;
    if (walk->season == NULL)
        return t + rng_exponential(&walk->g) / walk->rate_per_day;
    for (;;) {
        t += rng_exponential(&walk->g) / (walk->rate_per_day * walk->season_max);
        if (t >= walk->horizon_days ||
            rng_uniform(&walk->g) * walk->season_max < walk->season[(int32_t)t])
            return t;
    }
}

static bool walk_natural(customer_walk *walk, int32_t *day)
{
    if (walk->done)
        return false;
    if (walk->orders >= 2 && rng_uniform(&walk->g) < walk->dropout) {
        walk->done = walk->dropped = true;
    } else if (walk->orders == 1 && walk->stop_after_first) {
        walk->done = walk->dropped = true;
    } else if (walk->orders >= 1) {
        if (walk->rate_per_day > 0.0)
            walk->elapsed_days = next_purchase_days(walk);
        walk->done = !(walk->rate_per_day > 0.0) || walk->elapsed_days >= walk->horizon_days;
        if (!walk->done && walk->elapsed_days >= walk->lifetime_days)
            walk->done = walk->dropped = true;
    }
    if (walk->done)
        return false;
    *day = walk->first_day + (int32_t)walk->elapsed_days;
    walk->orders++;
    return true;
}

/* The natural orders, then the planted uplift's added one (last, whatever its day:
 * the orders are sorted by day afterwards). */
static bool walk_next(customer_walk *walk, int32_t *day)
{
    if (walk_natural(walk, day))
        return true;
    if (walk->added_day == INT32_MIN)
        return false;
    *day = walk->added_day;
    walk->added_day = INT32_MIN;
    walk->orders++;
    return true;
}

/* Pass 1: orders per day, into day_end. */
cvo_status gen_count_orders(generator *gen)
{
    uint64_t total = 0;
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++) {
        customer_walk walk;
        int32_t day;
        walk_begin(gen, customer, &walk);
        while (walk_next(&walk, &day)) {
            gen->day_end[day - gen->opt->first_day]++;
            if (++total > GEN_MAX_ORDERS)
                return ctx_fail(gen->ctx, CVO_ERR_ARGUMENT,
                                "generate: the options give more than %u orders; lower the "
                                "customers or the purchase rate r/alpha",
                                GEN_MAX_ORDERS);
        }
    }
    gen->order_count = (uint32_t)total;
    return CVO_OK;
}

/* Pass 2: the same walks again, each order placed at its day's next slot (a
 * counting sort, stable in customer order). Afterwards day_end holds ends. */
void gen_place_orders(generator *gen)
{
    uint32_t start = 0;
    for (uint32_t d = 0; d < gen->span; d++) {
        uint32_t count = gen->day_end[d];
        gen->day_end[d] = start;
        start += count;
    }
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++) {
        customer_walk walk;
        int32_t day;
        walk_begin(gen, customer, &walk);
        while (walk_next(&walk, &day)) {
            uint32_t slot = gen->day_end[day - gen->opt->first_day]++;
            gen->orders[slot] = (order_ref){customer, walk.orders - 1};
        }
    }
}
