/* dive_adjust.c - the first-order value adjustment of the deep dives: customers
 * stratified by first-order value, and per cell (category set, else main category,
 * x quintile) a regression of each metric, so a group is compared with the rest
 * at the same fitted figure. */
#include "analysis/dive.h"
#include "analysis/profit.h"
#include "analysis/stats.h"
#include "base/ctx.h"
#include "core/customers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIVE_SET_MAX 32   /* categories of one first order in its category set */
#define DIVE_SET_TEXT 512 /* the set's text, cut there */
#define DIVE_MIN_CELL 30  /* customers a category set's cell needs to be fitted alone */

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The quintiles of first-order value among the customers counting for the
 * 365-day metrics: the cuts, and each customer's stratum (the number of cuts
 * at or below their value, so equal values share a stratum). */
cvo_status dive_stratify(cvo_ctx *ctx, dive_input *in)
{
    size_t n = in->customers->count, m = 0;
    double *values = mem_array(ctx, n ? n : 1, sizeof *values);
    if (values == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < n; i++)
        if (in->figures[i].year_counts)
            values[m++] = in->figures[i].first_value;
    qsort(values, m, sizeof *values, by_value);
    for (size_t k = 1; k < DIVE_STRATA; k++)
        in->value_cuts[k - 1] = m ? values[k * m / DIVE_STRATA] : NAN;
    mem_free(ctx, values);
    for (size_t i = 0; i < n; i++) {
        uint8_t s = 0;
        for (size_t k = 0; k + 1 < DIVE_STRATA; k++)
            s += in->figures[i].first_value >= in->value_cuts[k];
        in->figures[i].stratum = s;
    }
    return CVO_OK;
}

static const char *category_of(const cvo_customers *cs, uint32_t product)
{
    const cvo_product *p = cvo_customers_product(cs, product);
    return p != NULL && p->category != NULL ? p->category : "";
}

/* The category most of the first order's distinct products belong to (the
 * first of those tied, "" when none is named): the customer's price tier as
 * far as the first order tells it. Orders carry no value per line, so the
 * count of products stands in for their share of the value. */
static const char *main_category(const cvo_customers *cs, size_t i)
{
    size_t n = 0, lines = 0, best_count = 0;
    const cvo_order *first = cvo_customers_orders(cs, i, &n);
    const uint32_t *products = cvo_customers_order_products(cs, first, &lines);
    const char *best = "";
    for (size_t k = 0; k < lines; k++) {
        const char *cat = category_of(cs, products[k]);
        size_t count = 0;
        for (size_t j = 0; j < lines; j++)
            count += strcmp(category_of(cs, products[j]), cat) == 0;
        if (count > best_count) {
            best = cat;
            best_count = count;
        }
    }
    return best;
}

/* The cells of the fit: per key (a category set, or a main category) and
 * quintile, the sums of each metric on its covariate. */
typedef struct fit_table {
    intern keys;
    stats_xy *sums;
} fit_table;

static stats_xy *cell_at(const fit_table *t, uint32_t key, const dive_customer *f, int k)
{
    return &t->sums[((size_t)key * DIVE_STRATA + f->stratum) * DIVE_ADJUSTED + k];
}

/* The distinct categories of customer i's first order, sorted and joined by
 * a unit separator into buf (cut at size): the customer's tier as the first
 * order tells it, finer than its main category. */
static void category_set(const cvo_customers *cs, size_t i, char *buf, size_t size)
{
    size_t n = 0, lines = 0, used = 0, count = 0;
    const cvo_order *first = cvo_customers_orders(cs, i, &n);
    const uint32_t *products = cvo_customers_order_products(cs, first, &lines);
    const char *cats[DIVE_SET_MAX];
    for (size_t k = 0; k < lines && count < DIVE_SET_MAX; k++) {
        const char *cat = category_of(cs, products[k]);
        size_t at = 0;
        while (at < count && strcmp(cats[at], cat) < 0)
            at++;
        if (at < count && strcmp(cats[at], cat) == 0)
            continue;
        memmove(cats + at + 1, cats + at, (count - at) * sizeof *cats);
        cats[at] = cat;
        count++;
    }
    buf[0] = '\0';
    for (size_t k = 0; k < count && used + 1 < size; k++) {
        int wrote = snprintf(buf + used, size - used, "%s%s", k ? "\x1f" : "", cats[k]);
        used += wrote > 0 ? (size_t)wrote : 0;
    }
}

/* Customer i's keys in both tables: its category set and its main category. */
static cvo_status key_customer(cvo_ctx *ctx, const cvo_customers *cs, size_t i, fit_table *sets,
                               fit_table *mains, uint32_t key[2])
{
    char set[DIVE_SET_TEXT];
    category_set(cs, i, set, sizeof set);
    const char *main = main_category(cs, i);
    key[0] = intern_put(&sets->keys, set, strnlen(set, sizeof set - 1), &(bool){false});
    key[1] = intern_put(&mains->keys, main, strlen(main), &(bool){false});
    return key[0] == INTERN_NONE || key[1] == INTERN_NONE ? ctx_nomem(ctx) : CVO_OK;
}

/* What the first order says of metric k: its profit (margin less acquisition)
 * for profit, its value for orders and revenue. A first order of a dear product
 * carries more revenue and a thin-margin one less profit into the first year
 * by itself, whatever the customer does next. */
static double covariate(const dive_customer *f, int k)
{
    return k == CVO_DIVE_PROFIT - CVO_DIVE_ORDERS ? f->first_profit : f->first_value;
}

/* The cell's line at covariate x (its mean where the covariate does not vary). */
static double fitted_at(const stats_xy *c, double x)
{
    double xx = c->sxx - c->sx * c->sx / c->n, xy = c->sxy - c->sx * c->sy / c->n;
    double slope = xx > 1e-9 * c->sxx && xx > 0 ? xy / xx : 0;
    return c->sy / c->n + slope * (x - c->sx / c->n);
}

/* The cells' sums, then each customer's fitted figures: from the cell of its
 * category set when that cell has DIVE_MIN_CELL customers, else from the cell
 * of its main category (a rare set would fit its few members' own figures). */
static void fit_with(dive_input *in, const uint32_t (*keys)[2], const fit_table *sets,
                     const fit_table *mains)
{
    size_t n = in->customers->count;
    for (size_t i = 0; i < n; i++) {
        const dive_customer *f = &in->figures[i];
        const double y[DIVE_ADJUSTED] = {f->orders, f->revenue, f->profit};
        for (int k = 0; f->year_counts && k < DIVE_ADJUSTED; k++) {
            stats_xy_add(cell_at(sets, keys[i][0], f, k), covariate(f, k), y[k]);
            stats_xy_add(cell_at(mains, keys[i][1], f, k), covariate(f, k), y[k]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        dive_customer *f = &in->figures[i];
        for (int k = 0; f->year_counts && k < DIVE_ADJUSTED; k++) {
            const stats_xy *c = cell_at(sets, keys[i][0], f, k);
            if (c->n < DIVE_MIN_CELL)
                c = cell_at(mains, keys[i][1], f, k);
            f->fitted[k] = fitted_at(c, covariate(f, k));
        }
    }
}

static cvo_status table_sums(cvo_ctx *ctx, fit_table *t)
{
    size_t cells = (size_t)t->keys.count * DIVE_STRATA * DIVE_ADJUSTED;
    t->sums = mem_zarray(ctx, cells ? cells : 1, sizeof *t->sums);
    return t->sums ? CVO_OK : ctx_nomem(ctx);
}

/* Each year_counts customer's fitted figures: per cell (category set, else
 * main category, x quintile) the regression of each metric on its covariate
 * over all customers, evaluated at theirs. The adjusted tests compare a group
 * with the rest at the same fitted figure, so what the first order says of a
 * customer's tier (its value, profit and categories) is taken out before a
 * product is blamed. */
cvo_status dive_fit_cells(cvo_ctx *ctx, dive_input *in)
{
    const cvo_customers *cs = in->customers;
    fit_table sets = {.sums = NULL}, mains = {.sums = NULL};
    intern_init(&sets.keys, ctx);
    intern_init(&mains.keys, ctx);
    uint32_t(*keys)[2] = mem_zarray(ctx, cs->count ? cs->count : 1, sizeof *keys);
    cvo_status status = keys ? CVO_OK : ctx_nomem(ctx);
    for (size_t i = 0; status == CVO_OK && i < cs->count; i++)
        if (in->figures[i].year_counts)
            status = key_customer(ctx, cs, i, &sets, &mains, keys[i]);
    if (status == CVO_OK)
        status = table_sums(ctx, &sets);
    if (status == CVO_OK)
        status = table_sums(ctx, &mains);
    if (status == CVO_OK)
        fit_with(in, (const uint32_t(*)[2])keys, &sets, &mains);
    mem_free(ctx, keys);
    mem_free(ctx, sets.sums);
    mem_free(ctx, mains.sums);
    intern_free(&sets.keys);
    intern_free(&mains.keys);
    return status;
}

/* Every customer's figures into in->figures (the caller frees them), with
 * margins and acquisition as cvo_profit has them. */
