/* summary_json.c - summary.json: one JSON object with what a run found, member
 * by member (the models' members are in summary_models.c, the findings' in
 * summary_findings.c). Money in currency units to the cent; NaN is null. */
#include "output/summary_json.h"

#include "base/ctx.h"
#include "output/experiments_json.h"

#include <string.h>

/* ---- a JSON object ------------------------------------------------------------ */

void summary_obj_key(json_obj *o, const char *key)
{
    cell_char(o->b, o->open ? ',' : '{');
    o->open = true;
    cell_json_string(o->b, key);
    cell_char(o->b, ':');
}

void summary_obj_end(json_obj *o)
{
    cell_str(o->b, o->open ? "}" : "{}");
}

void summary_obj_uint(json_obj *o, const char *key, uint64_t value)
{
    summary_obj_key(o, key);
    cell_int(o->b, value > INT64_MAX ? INT64_MAX : (int64_t)value);
}

void summary_obj_number(json_obj *o, const char *key, double value)
{
    summary_obj_key(o, key);
    cell_json_number(o->b, value);
}

void summary_obj_money(json_obj *o, const char *key, int64_t cents)
{
    summary_obj_key(o, key);
    cell_money(o->b, cents);
}

/* A string, or null for NULL. */
void summary_obj_text(json_obj *o, const char *key, const char *text)
{
    summary_obj_key(o, key);
    if (text != NULL)
        cell_json_string(o->b, text);
    else
        cell_str(o->b, "null");
}

void summary_obj_bool(json_obj *o, const char *key, bool value)
{
    summary_obj_key(o, key);
    cell_str(o->b, value ? "true" : "false");
}

void summary_obj_day(json_obj *o, const char *key, int32_t day)
{
    cell value;
    cell_set_day(&value, day);
    summary_obj_key(o, key);
    cell_write_json(o->b, &value);
}

/* ---- records and segments ----------------------------------------------------- */

static void summary_records(json_obj *o, const cvo_load_stats *stats)
{
    summary_obj_key(o, "records");
    if (stats == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj records = {o->b, false}, reasons = {o->b, false};
    summary_obj_uint(&records, "read", stats->records);
    summary_obj_uint(&records, "used", stats->used);
    summary_obj_uint(&records, "not_counted", stats->not_counted);
    summary_obj_uint(&records, "rejected", stats->rejected);
    summary_obj_key(&records, "by_reason");
    for (int k = 0; k < CVO_REJECT__COUNT; k++)
        summary_obj_uint(&reasons, cvo_reject_reason_name((cvo_reject_reason)k),
                 stats->rejected_by_reason[k]);
    summary_obj_end(&reasons);
    json_obj statuses = {o->b, false};
    summary_obj_key(&records, "not_counted_orders_by_status");
    for (uint32_t i = 0; i < stats->status_kinds; i++)
        summary_obj_uint(&statuses, stats->not_counted_by_status[i].status,
                 stats->not_counted_by_status[i].orders);
    summary_obj_end(&statuses);
    summary_obj_end(&records);
}

static void summary_segment(cell_buf *b, const cvo_segment_row *s)
{
    json_obj o = {b, false};
    summary_obj_text(&o, "segment", s->name);
    summary_obj_uint(&o, "customers", s->customers);
    summary_obj_number(&o, "share", s->customer_share);
    summary_obj_money(&o, "revenue", s->revenue_cents);
    summary_obj_number(&o, "revenue_share", s->revenue_share);
    summary_obj_uint(&o, "orders", s->orders);
    summary_obj_money(&o, "aov", s->aov_cents);
    summary_obj_number(&o, "median_recency_days", s->median_recency_days);
    summary_obj_end(&o);
}

static void summary_segments(json_obj *o, const cvo_analysis *a)
{
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    size_t count = rows ? cvo_scheme_segment_count(cvo_analysis_scheme(a)) : 0;
    summary_obj_key(o, "segments");
    cell_char(o->b, '[');
    for (size_t g = 0; g < count; g++) {
        if (g > 0)
            cell_char(o->b, ',');
        summary_segment(o->b, &rows[g]);
    }
    cell_char(o->b, ']');
}

/* ---- lists, consent, experiments, and the object ------------------------------ */

/* Counts over the customers: list members, tiers, Klaviyo profiles. */
typedef struct summary_counts {
    uint64_t orders;
    int64_t revenue_cents;
    uint64_t lists[CVO_LIST_COUNT];
    uint64_t tiers[256];
    uint64_t without_email;
    uint64_t profiles;   /* with an email and not left out */
    uint64_t consent[3]; /* by CVO_CONSENT_* */
    uint64_t left_out;
} summary_counts;

static void count_customers(const cvo_analysis *a, summary_counts *counts)
{
    const cvo_customers *customers = cvo_analysis_customers(a);
    const cvo_customer_result *results = cvo_analysis_results(a);
    memset(counts, 0, sizeof *counts);
    for (size_t i = 0; i < cvo_customers_count(customers); i++) {
        const cvo_customer *c = cvo_customers_at(customers, i);
        counts->orders += c->orders;
        counts->revenue_cents += c->net_revenue_cents;
        counts->without_email += c->email[0] == '\0';
        counts->profiles += c->email[0] != '\0' && !results[i].left_out;
        counts->consent[results[i].consent < 3 ? results[i].consent : 0]++;
        counts->left_out += results[i].left_out;
        counts->tiers[results[i].tier]++;
        for (int k = 0; k < CVO_LIST_COUNT; k++)
            counts->lists[k] += (results[i].lists >> k) & 1u;
    }
}

static void summary_lists(json_obj *o, const cvo_analysis *a, const summary_counts *counts)
{
    json_obj lists = {o->b, false}, tiers = {o->b, false};
    summary_obj_key(o, "lists");
    for (int k = 0; k < CVO_LIST_COUNT; k++)
        summary_obj_uint(&lists, cvo_list_name(1u << k), counts->lists[k]);
    summary_obj_end(&lists);
    summary_obj_key(o, "loyalty_tiers");
    for (size_t t = 0; t < cvo_analysis_tier_count(a) && t < 256; t++)
        summary_obj_uint(&tiers, cvo_analysis_tier_name(a, t), counts->tiers[t]);
    summary_obj_end(&tiers);
}

/* Marketing consent: what the orders said, and who is left out for it. */
static void summary_consent(json_obj *o, const summary_counts *counts)
{
    json_obj c = {o->b, false};
    summary_obj_key(o, "consent");
    summary_obj_uint(&c, "accepts", counts->consent[CVO_CONSENT_YES]);
    summary_obj_uint(&c, "declines", counts->consent[CVO_CONSENT_NO]);
    summary_obj_uint(&c, "unknown", counts->consent[CVO_CONSENT_UNKNOWN]);
    summary_obj_uint(&c, "left_out", counts->left_out);
    summary_obj_end(&c);
}

static void summary_klaviyo(json_obj *o, uint64_t customers, const summary_counts *counts)
{
    json_obj k = {o->b, false};
    (void)customers;
    summary_obj_key(o, "klaviyo");
    summary_obj_uint(&k, "profiles", counts->profiles);
    summary_obj_uint(&k, "without_email", counts->without_email);
    summary_obj_uint(&k, "without_consent", counts->left_out);
    summary_obj_uint(&k, "winback_due_events", counts->lists[6]);
    summary_obj_end(&k);
}

/* The experiments of the run (cvo_analysis_hold_out): per experiment its id,
 * list, share, start and this run's arms ([] without experiments). */
static void summary_holdouts(json_obj *o, const cvo_analysis *a)
{
    const cvo_experiments *e = cvo_analysis_experiments(a);
    summary_obj_key(o, "holdouts");
    cell_char(o->b, '[');
    for (size_t k = 0; k < cvo_experiments_count(e); k++) {
        const cvo_experiment_arms *x = cvo_experiments_at(e, k);
        json_obj h = {o->b, false};
        if (k > 0)
            cell_char(o->b, ',');
        summary_obj_text(&h, "id", x->info.id);
        summary_obj_text(&h, "list", cvo_list_name(x->info.list_bit));
        summary_obj_number(&h, "share", x->info.share);
        summary_obj_day(&h, "start", x->info.start_day);
        summary_obj_uint(&h, "treatment", x->treatment);
        summary_obj_uint(&h, "holdout", x->holdout);
        summary_obj_uint(&h, "entered", x->entered);
        summary_obj_end(&h);
    }
    cell_char(o->b, ']');
}

/* The results of the history's experiments (cvo_analysis_set_experiment_results):
 * "experiments" as cvo_write_experiments_json writes it, or null without. */
static void summary_experiment_results(json_obj *o, const cvo_analysis *a)
{
    const cvo_experiment_results *r = cvo_analysis_experiment_results(a);
    summary_obj_key(o, "experiments");
    if (r == NULL)
        cell_str(o->b, "null");
    else
        experiments_json_append(o->b, r, cvo_analysis_config(a));
}

static void summary_body(cell_buf *b, const cvo_analysis *a, const summary_counts *counts,
                         const cvo_run_summary *run, const cvo_opportunities *opps)
{
    const cvo_config *config = cvo_analysis_config(a);
    uint64_t customers = cvo_customers_count(cvo_analysis_customers(a));
    json_obj o = {b, false};
    summary_obj_day(&o, "as_of", cvo_analysis_as_of(a));
    summary_obj_text(&o, "currency", config ? cvo_currency_of(config, cvo_analysis_load_stats(a)) : NULL);
    summary_obj_uint(&o, "customers", customers);
    summary_obj_uint(&o, "orders", counts->orders);
    summary_obj_money(&o, "revenue", counts->revenue_cents);
    summary_records(&o, cvo_analysis_load_stats(a));
    summary_segments(&o, a);
    summary_model(&o, a);
    summary_backtest(&o, a);
    summary_model_choice(&o, a);
    summary_spend_backtest(&o, a);
    summary_profit(&o, a);
    summary_cohorts(&o, a);
    summary_nps(&o, a);
    summary_drivers(&o, a);
    summary_covariates(&o, a);
    summary_opportunities(&o, opps);
    summary_lists(&o, a, counts);
    summary_holdouts(&o, a);
    summary_experiment_results(&o, a);
    summary_consent(&o, counts);
    summary_klaviyo(&o, customers, counts);
    if (run != NULL) {
        summary_obj_key(&o, "run");
        run_summary_body(b, run);
    }
    summary_obj_end(&o);
    cell_char(b, '\n');
}

cvo_status cvo_write_summary_json(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_summary_json_run(ctx, a, NULL, out);
}

cvo_status cvo_write_summary_json_run(cvo_ctx *ctx, const cvo_analysis *a,
                                      const cvo_run_summary *run, FILE *out)
{
    if (ctx == NULL || a == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis or stream") : CVO_ERR_ARGUMENT;
    summary_counts *counts = mem_alloc(ctx, sizeof *counts);
    if (counts == NULL)
        return ctx_nomem(ctx);
    count_customers(a, counts);
    cvo_opportunities *opps = NULL;
    cvo_status status = cvo_opportunities_compute(ctx, a, &opps);
    if (status != CVO_OK) {
        mem_free(ctx, counts);
        return status;
    }
    cell_buf b;
    cell_buf_init(&b, ctx);
    summary_body(&b, a, counts, run, opps);
    cvo_opportunities_free(opps);
    mem_free(ctx, counts);
    return cell_finish(&b, out, CVO_OK);
}
