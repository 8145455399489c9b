/* summary_findings.c - summary.json's members on what the analyses found: profit
 * by segment, cohorts, NPS, the drivers of value and the covariates' effects,
 * and the opportunities ranked by profit at stake. A missing analysis is null. */
#include "output/summary_json.h"

#include <math.h>
#include <stdio.h>

/* Significant findings kept per grouping and direction in summary.json. */
#define SUMMARY_DRIVERS 20

static void profit_segment(cell_buf *b, const cvo_profit_segment *s)
{
    json_obj o = {b, false};
    summary_obj_text(&o, "segment", s->name);
    summary_obj_uint(&o, "customers", s->customers);
    summary_obj_money(&o, "revenue", s->revenue_cents);
    summary_obj_number(&o, "revenue_share", s->revenue_share);
    summary_obj_money(&o, "profit", s->profit_cents);
    summary_obj_number(&o, "profit_share", s->profit_share);
    summary_obj_money(&o, "mean_profit", s->mean_profit_cents);
    summary_obj_uint(&o, "unprofitable", s->unprofitable);
    summary_obj_number(&o, "unprofitable_share", s->unprofitable_share);
    summary_obj_money(&o, "predicted_profit", s->predicted_profit_cents);
    summary_obj_end(&o);
}

/* Which source costed what share of net revenue. */
static void profit_cost_sources(json_obj *o, const cvo_profit_totals *t)
{
    json_obj c = {o->b, false};
    summary_obj_key(o, "cost_sources");
    summary_obj_number(&c, "line_unit_cost", t->from_line_share);
    summary_obj_number(&c, "products_file", t->from_products_share);
    summary_obj_number(&c, "default_margin", t->by_default_share);
    summary_obj_end(&c);
}

static void profit_totals(json_obj *o, const cvo_profit_totals *t)
{
    summary_obj_uint(o, "customers", t->customers);
    summary_obj_uint(o, "orders", t->orders);
    summary_obj_uint(o, "unprofitable", t->unprofitable);
    summary_obj_money(o, "revenue", t->revenue_cents);
    summary_obj_money(o, "cogs", t->cogs_cents);
    summary_obj_money(o, "shipping", t->shipping_cents);
    summary_obj_money(o, "fees", t->fee_cents);
    summary_obj_money(o, "margin", t->margin_cents);
    summary_obj_money(o, "acquisition", t->acquisition_cents);
    summary_obj_money(o, "profit", t->profit_cents);
    summary_obj_key(o, "predicted_profit");
    if (t->purchase_model)
        cell_money(o->b, t->predicted_profit_cents);
    else
        cell_str(o->b, "null");
    summary_obj_money(o, "discounts", t->discount_cents);
    summary_obj_money(o, "mean_margin_per_order", t->mean_margin_cents);
}

/* The profit object: totals, cost sources, the segment table; null without profit. */
void summary_profit(json_obj *o, const cvo_analysis *a)
{
    const cvo_profit *profit = cvo_analysis_profit(a);
    summary_obj_key(o, "profit");
    if (profit == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj p = {o->b, false};
    profit_totals(&p, cvo_profit_overall(profit));
    profit_cost_sources(&p, cvo_profit_overall(profit));
    summary_obj_text(&p, "note", cvo_profit_note(profit));
    summary_obj_key(&p, "segments");
    cell_char(o->b, '[');
    const cvo_profit_segment *segments = cvo_profit_segments(profit);
    for (size_t g = 0; g < cvo_profit_segment_count(profit); g++) {
        if (g > 0)
            cell_char(o->b, ',');
        profit_segment(o->b, &segments[g]);
    }
    cell_char(o->b, ']');
    summary_obj_end(&p);
}

/* One metric of a cohort's cells as an array: 0 repeat share, 1 retention
 * share, 2 revenue and 3 profit per customer (money, to the cent). */
static void cohort_series(json_obj *o, const char *key, const cvo_cohort *c, int metric)
{
    summary_obj_key(o, key);
    cell_char(o->b, '[');
    for (size_t k = 0; k < c->months; k++) {
        const cvo_cohort_cell *at = &c->cells[k];
        if (k > 0)
            cell_char(o->b, ',');
        if (metric < 2)
            cell_json_number(o->b, metric == 0 ? at->repeat_share : at->retention_share);
        else
            cell_money(o->b,
                       llround(metric == 2 ? at->revenue_per_customer : at->profit_per_customer));
    }
    cell_char(o->b, ']');
}

/* The cohorts object (see cvo_cohorts): per cohort, one array per metric
 * indexed by month offset; null when there are none. */
void summary_cohorts(json_obj *o, const cvo_analysis *a)
{
    const cvo_cohorts *co = cvo_analysis_cohorts(a);
    summary_obj_key(o, "cohorts");
    if (co == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj top = {o->b, false};
    summary_obj_day(&top, "as_of", cvo_cohorts_as_of(co));
    summary_obj_key(&top, "rows");
    cell_char(o->b, '[');
    for (size_t r = 0; r < cvo_cohorts_count(co); r++) {
        const cvo_cohort *c = cvo_cohorts_at(co, r);
        char name[16];
        snprintf(name, sizeof name, "%04d-%02d", c->year, c->month);
        if (r > 0)
            cell_char(o->b, ',');
        json_obj row = {o->b, false};
        summary_obj_text(&row, "cohort", name);
        summary_obj_uint(&row, "customers", c->customers);
        summary_obj_bool(&row, "last_complete", c->cells[c->months - 1].complete);
        cohort_series(&row, "repeat_share", c, 0);
        cohort_series(&row, "retention_share", c, 1);
        cohort_series(&row, "revenue_per_customer", c, 2);
        cohort_series(&row, "profit_per_customer", c, 3);
        summary_obj_end(&row);
    }
    cell_char(o->b, ']');
    summary_obj_end(&top);
}

/* One NPS group's counts, score and interval. */
static void nps_group(json_obj *o, const char *key, const cvo_nps_group *g)
{
    json_obj n = {o->b, false};
    summary_obj_key(o, key);
    summary_obj_uint(&n, "n", g->n);
    summary_obj_uint(&n, "promoters", g->promoters);
    summary_obj_uint(&n, "passives", g->passives);
    summary_obj_uint(&n, "detractors", g->detractors);
    summary_obj_number(&n, "nps", g->nps);
    summary_obj_number(&n, "ci_low", g->ci_low);
    summary_obj_number(&n, "ci_high", g->ci_high);
    summary_obj_bool(&n, "small", g->small);
    summary_obj_end(&n);
}

static void nps_difference(json_obj *o, const cvo_nps_difference *d)
{
    summary_obj_key(o, "post_minus_pre");
    if (!d->available) {
        cell_str(o->b, "null");
        return;
    }
    json_obj n = {o->b, false};
    summary_obj_number(&n, "difference", d->difference);
    summary_obj_number(&n, "ci_low", d->ci_low);
    summary_obj_number(&n, "ci_high", d->ci_high);
    summary_obj_end(&n);
}

/* "key":{group: {...}, ...} for one dimension. */
static void nps_dimension(json_obj *o, const cvo_nps *nps, cvo_nps_dimension dim, const char *key)
{
    size_t count = 0;
    const cvo_nps_group *groups = cvo_nps_groups(nps, dim, &count);
    json_obj s = {o->b, false};
    summary_obj_key(o, key);
    for (size_t g = 0; g < count; g++)
        nps_group(&s, groups[g].key, &groups[g]);
    summary_obj_end(&s);
}

/* The nps object: responses, overall, by stage, segment, product and category;
 * null without answers. */
void summary_nps(json_obj *o, const cvo_analysis *a)
{
    const cvo_nps *nps = cvo_analysis_nps(a);
    summary_obj_key(o, "nps");
    if (nps == NULL) {
        cell_str(o->b, "null");
        return;
    }
    const cvo_nps_stats *st = cvo_nps_load_stats(nps);
    json_obj n = {o->b, false}, stages = {o->b, false};
    summary_obj_uint(&n, "responses", st->records);
    summary_obj_uint(&n, "used", st->used);
    summary_obj_uint(&n, "rejected", st->rejected);
    summary_obj_uint(&n, "joined_customers", st->joined_customers);
    nps_group(&n, "overall", cvo_nps_overall(nps));
    summary_obj_key(&n, "by_stage");
    nps_group(&stages, "pre_delivery", cvo_nps_by_stage(nps, CVO_NPS_PRE_DELIVERY));
    nps_group(&stages, "post_delivery", cvo_nps_by_stage(nps, CVO_NPS_POST_DELIVERY));
    summary_obj_end(&stages);
    nps_difference(&n, cvo_nps_stage_difference(nps));
    nps_dimension(&n, nps, CVO_NPS_BY_SEGMENT, "by_segment");
    nps_dimension(&n, nps, CVO_NPS_BY_PRODUCT, "by_product");
    nps_dimension(&n, nps, CVO_NPS_BY_CATEGORY, "by_category");
    summary_obj_end(&n);
}

/* One significant finding of a dive. */
static void driver_row(cell_buf *b, const cvo_dive *d, const cvo_dive_row *r)
{
    json_obj row = {b, false};
    summary_obj_text(&row, "key", r->key);
    summary_obj_text(&row, "metric", cvo_dive_metric_name(d, r->metric));
    summary_obj_uint(&row, "customers", r->customers);
    summary_obj_number(&row, "value", r->value);
    summary_obj_number(&row, "rest", r->rest_value);
    summary_obj_number(&row, "diff", r->diff);
    summary_obj_number(&row, "ci_low", r->ci_low);
    summary_obj_number(&row, "ci_high", r->ci_high);
    summary_obj_number(&row, "q_value", r->q_value);
    summary_obj_text(&row, "direction", cvo_dive_direction_name(r->direction));
    summary_obj_bool(&row, "significant", r->significant);
    summary_obj_number(&row, "adj_diff", r->adj_diff);
    summary_obj_number(&row, "adj_ci_low", r->adj_ci_low);
    summary_obj_number(&row, "adj_ci_high", r->adj_ci_high);
    summary_obj_number(&row, "adj_q", r->adj_q);
    summary_obj_bool(&row, "adj_significant", r->adj_significant);
    summary_obj_end(&row);
}

/* The drivers object: per grouping, its rows significant raw or adjusted for
 * first-order value, most convincing first (cvo dive --json has every row). */
void summary_drivers(json_obj *o, const cvo_analysis *a)
{
    json_obj top = {o->b, false};
    summary_obj_key(o, "drivers");
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
        const cvo_dive *d = cvo_analysis_dive(a, (cvo_dive_by)by);
        if (d == NULL)
            continue;
        summary_obj_key(&top, cvo_dive_by_name((cvo_dive_by)by));
        cell_char(o->b, '[');
        bool first = true;
        for (int dir = CVO_DIVE_HARMFUL; dir <= CVO_DIVE_HELPFUL; dir++) {
            const cvo_dive_row *rows[SUMMARY_DRIVERS];
            size_t n = cvo_dive_rank(d, (cvo_dive_direction)dir, rows, SUMMARY_DRIVERS);
            for (size_t i = 0; i < n; i++) {
                if (!rows[i]->significant && !rows[i]->adj_significant)
                    continue;
                if (!first)
                    cell_char(o->b, ',');
                first = false;
                driver_row(o->b, d, rows[i]);
            }
        }
        cell_char(o->b, ']');
    }
    summary_obj_end(&top);
}

static void covariate_effect(json_obj *o, const char *key, const cvo_cov_effect *e)
{
    json_obj x = {o->b, false};
    summary_obj_key(o, key);
    summary_obj_number(&x, "gamma", e->gamma);
    summary_obj_number(&x, "std_error", e->std_error);
    summary_obj_number(&x, "factor", e->factor);
    summary_obj_number(&x, "factor_low", e->factor_low);
    summary_obj_number(&x, "factor_high", e->factor_high);
    summary_obj_end(&x);
}

/* The deep dives' model: Pareto/NBD with the discount and channel covariates
 * (cvo_analysis_covariates), or null with the reason. */
void summary_covariates(json_obj *o, const cvo_analysis *a)
{
    const cvo_cov_fit *fit = cvo_analysis_covariates(a);
    summary_obj_key(o, "covariates");
    json_obj c = {o->b, false};
    summary_obj_text(&c, "model", fit ? cvo_model_name(fit->model) : "pnbd");
    summary_obj_bool(&c, "fitted", fit != NULL);
    summary_obj_text(&c, "note", cvo_analysis_covariates_note(a));
    if (fit != NULL) {
        summary_obj_uint(&c, "customers", fit->n);
        summary_obj_number(&c, "loglik", fit->loglik);
        summary_obj_number(&c, "loglik_base", fit->loglik_base);
        summary_obj_key(&c, "effects");
        cell_char(o->b, '[');
        for (size_t j = 0; j < fit->columns; j++) {
            json_obj e = {o->b, false};
            if (j > 0)
                cell_char(o->b, ',');
            summary_obj_text(&e, "name", fit->column[j].name);
            summary_obj_text(&e, "group", fit->column[j].group);
            summary_obj_number(&e, "customers", fit->column[j].customers);
            covariate_effect(&e, "purchase", &fit->column[j].purchase);
            covariate_effect(&e, "dropout", &fit->column[j].dropout);
            char text[320];
            cvo_cov_effect_text(fit, j, true, text, sizeof text);
            summary_obj_text(&e, "dropout_text", text);
            summary_obj_end(&e);
        }
        cell_char(o->b, ']');
    }
    summary_obj_end(&c);
}

/* The test of an opportunity: its list's plan on profit, or null. */
static void opportunity_test(json_obj *o, const cvo_opportunity *op)
{
    summary_obj_key(o, "test");
    if (!op->has_test) {
        cell_str(o->b, "null");
        return;
    }
    const cvo_experiment_plan *p = &op->test;
    json_obj t = {o->b, false};
    summary_obj_text(&t, "list", cvo_list_name(p->list_bit));
    summary_obj_text(&t, "metric", cvo_exp_metric_name(p->metric));
    summary_obj_uint(&t, "members_now", p->members_now);
    summary_obj_number(&t, "mde", isfinite(p->mde_now) ? p->mde_now / 100 : NAN); /* cents -> units */
    summary_obj_number(&t, "mde_relative", p->mde_relative_now);
    summary_obj_number(&t, "target_effect", p->target_effect);
    summary_obj_uint(&t, "planned_members", p->planned_members);
    summary_obj_number(&t, "weeks", p->weeks);
    summary_obj_bool(&t, "too_small", p->too_small);
    summary_obj_end(&t);
}

static void opportunity_row(cell_buf *b, const cvo_opportunity *op, size_t rank)
{
    json_obj o = {b, false};
    summary_obj_uint(&o, "rank", rank);
    summary_obj_text(&o, "kind", cvo_opportunity_kind_name(op->kind));
    summary_obj_text(&o, "key", op->key);
    summary_obj_text(&o, "what", op->what);
    summary_obj_uint(&o, "customers", op->customers);
    summary_obj_money(&o, "at_stake", op->at_stake_cents);
    summary_obj_money(&o, "at_stake_low", op->at_stake_low_cents);
    summary_obj_money(&o, "at_stake_high", op->at_stake_high_cents);
    summary_obj_text(&o, "basis", op->from_effect ? "adjusted_effect" : "model");
    summary_obj_number(&o, "effect", op->effect);
    summary_obj_number(&o, "effect_low", op->effect_low);
    summary_obj_number(&o, "effect_high", op->effect_high);
    summary_obj_number(&o, "effect_q", op->effect_q);
    summary_obj_text(&o, "list", op->action_list ? cvo_list_name(op->action_list) : NULL);
    summary_obj_text(&o, "action", op->action);
    opportunity_test(&o, op);
    summary_obj_end(&o);
}

/* The opportunities, highest profit at stake first ([] when none). */
void summary_opportunities(json_obj *o, const cvo_opportunities *opps)
{
    summary_obj_key(o, "opportunities");
    if (opps == NULL) {
        cell_str(o->b, "null");
        return;
    }
    size_t n = 0;
    const cvo_opportunity *items = cvo_opportunities_items(opps, &n);
    cell_char(o->b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        opportunity_row(o->b, &items[i], i + 1);
    }
    cell_char(o->b, ']');
}
