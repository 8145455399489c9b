/* results.c - cvo_experiments_compute: members matched to customers by their keyed
 * identifier, measured over their window when it has closed, compared by arm per
 * metric (uplift.c), checked for sample-ratio mismatch, given q-values across the
 * experiments and a verdict on the primary metric only at the planned size. */
#include "analysis/profit.h"
#include "analysis/stats.h"
#include "base/ctx.h"
#include "base/hmac.h"
#include "core/customers.h"
#include "experiment/uplift.h"
#include "experiment/window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A sample ratio mismatch below this p-value stops the reading. */
#define SRM_ALPHA 0.001
/* Members not in the orders that mean the ids changed: more than half, at least this many. */
#define MISSING_MIN 10
#define VERDICT_Q 0.05

struct cvo_experiment_results {
    cvo_ctx *ctx;
    cvo_experiment_result *items;
    size_t count;
    int32_t as_of;
};

/* A customer's keyed identifier and index, sorted by identifier. */
typedef struct keyed_row {
    char key[KEYED_HEX + 1];
    size_t index;
} keyed_row;

static int compare_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed_row *)a)->key, ((const keyed_row *)b)->key);
}

static keyed_row *keyed_rows(cvo_ctx *ctx, const cvo_customers *c, const cvo_id_key *key)
{
    keyed_row *rows = mem_array(ctx, c->count ? c->count : 1, sizeof *rows);
    if (rows == NULL)
        return NULL;
    keyed_hasher h;
    keyed_hasher_init(&h, key);
    for (size_t i = 0; i < c->count; i++) {
        keyed_hasher_customer(&h, c->rows[i].customer_id, c->rows[i].email, rows[i].key);
        rows[i].index = i;
    }
    qsort(rows, c->count, sizeof *rows, compare_keyed);
    return rows;
}

/* Customer index of a keyed identifier, or SIZE_MAX. */
static size_t find_customer(const keyed_row *rows, size_t count, const char *customer)
{
    keyed_row probe;
    snprintf(probe.key, sizeof probe.key, "%s", customer ? customer : "");
    const keyed_row *hit = bsearch(&probe, rows, count, sizeof *rows, compare_keyed);
    return hit ? hit->index : SIZE_MAX;
}

/* Per-member values of one experiment, for every metric. */
typedef struct member_values {
    double *y[CVO_EXP_METRIC__COUNT], *x[CVO_EXP_METRIC__COUNT];
    bool *holdout;
    size_t n;
} member_values;

typedef struct compute_job {
    cvo_ctx *ctx;
    const cvo_customers *customers;
    const keyed_row *keyed;
    const int64_t *margins;
    const cvo_experiment_member *members;
    size_t member_count;
    int32_t as_of;
    uplift_options options;
    member_values values; /* sized for member_count */
} compute_job;

static cvo_status values_alloc(cvo_ctx *ctx, member_values *v, size_t n)
{
    memset(v, 0, sizeof *v);
    size_t cap = n ? n : 1;
    v->holdout = mem_array(ctx, cap, sizeof *v->holdout);
    bool ok = v->holdout != NULL;
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        v->y[m] = ok ? mem_array(ctx, cap, sizeof *v->y[m]) : NULL;
        v->x[m] = ok && v->y[m] ? mem_array(ctx, cap, sizeof *v->x[m]) : NULL;
        ok = ok && v->x[m] != NULL;
    }
    return ok ? CVO_OK : ctx_nomem(ctx);
}

static void values_free(cvo_ctx *ctx, member_values *v)
{
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        mem_free(ctx, v->y[m]);
        mem_free(ctx, v->x[m]);
    }
    mem_free(ctx, v->holdout);
}

/* Counts one member and, when their window has closed, keeps their values. */
static void take_member(compute_job *job, const cvo_experiment_member *mb, cvo_experiment_result *r)
{
    size_t index = find_customer(job->keyed, job->customers->count, mb->customer);
    r->stored++;
    if (index == SIZE_MAX) {
        r->missing++;
        return;
    }
    int arm = mb->holdout ? 1 : 0;
    if ((int64_t)mb->entry_day + r->info.window_days > job->as_of) {
        r->in_flight[arm]++;
        return;
    }
    r->members[arm]++;
    window_outcome w;
    window_measure(job->customers, job->margins, index, mb->entry_day, r->info.window_days, &w);
    member_values *v = &job->values;
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        v->y[m][v->n] = w.after[m];
        v->x[m][v->n] = w.before[m];
    }
    v->holdout[v->n++] = mb->holdout;
}

static cvo_status check_members(cvo_ctx *ctx, const cvo_experiment_result *r)
{
    if (r->missing >= MISSING_MIN && 2 * r->missing > r->stored)
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "experiment %s: %llu of its %llu members are not in the orders "
                        "(customer ids renamed? the orders of another store?)",
                        r->info.id, (unsigned long long)r->missing, (unsigned long long)r->stored);
    return CVO_OK;
}

static cvo_status measure_one(compute_job *job, cvo_experiment_result *r)
{
    job->values.n = 0;
    for (size_t i = 0; i < job->member_count; i++)
        if (strcmp(job->members[i].experiment_id, r->info.id) == 0)
            take_member(job, &job->members[i], r);
    CVO_TRY(check_members(job->ctx, r));
    uint64_t found_t = r->members[0] + r->in_flight[0], found_h = r->members[1] + r->in_flight[1];
    uplift_srm(found_t, found_h, r->info.share, &r->srm_chi2, &r->srm_p);
    r->srm_flag = r->srm_p < SRM_ALPHA;
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        uplift_sample s = {job->values.y[m], job->values.x[m], job->values.holdout, job->values.n};
        CVO_TRY(uplift_metric(job->ctx, (cvo_exp_metric)m, &s, &job->options, &r->metrics[m]));
    }
    return CVO_OK;
}

/* The verdict of one experiment once its q-value is known. */
static void decide(cvo_experiment_result *r)
{
    const cvo_experiment_metric_result *p = &r->metrics[r->info.primary];
    uint64_t closed = r->members[0] + r->members[1];
    char *text = r->verdict_text;
    size_t cap = sizeof r->verdict_text;
    r->verdict = CVO_VERDICT_NONE;
    if (r->stored == 0 || r->stored == r->missing)
        snprintf(text, cap, "no verdict: the experiment has no members yet");
    else if (r->members[0] + r->in_flight[0] == 0 || r->members[1] + r->in_flight[1] == 0)
        snprintf(text, cap, "no verdict: the %s arm is empty",
                 r->members[0] + r->in_flight[0] == 0 ? "treatment" : "holdout");
    else if (r->srm_flag)
        snprintf(text, cap,
                 "no verdict: sample ratio mismatch (p = %.2g): the arms do not "
                 "match the share; check the assignment and the data",
                 r->srm_p);
    else if (r->info.planned_members == 0 || closed < r->info.planned_members || !p->ok) {
        r->verdict = CVO_VERDICT_INTERIM;
        if (r->info.planned_members == 0)
            snprintf(text, cap, "interim: %llu members, no planned size, no verdict yet",
                     (unsigned long long)closed);
        else
            snprintf(text, cap, "interim: %llu of %llu members, no verdict yet",
                     (unsigned long long)closed, (unsigned long long)r->info.planned_members);
    } else if (r->q_value < VERDICT_Q && p->estimate.diff != 0) {
        r->verdict = p->estimate.diff > 0 ? CVO_VERDICT_WIN : CVO_VERDICT_LOSS;
        snprintf(text, cap, "%s", r->verdict == CVO_VERDICT_WIN ? "win" : "loss");
    } else {
        r->verdict = CVO_VERDICT_INCONCLUSIVE;
        snprintf(text, cap, "inconclusive");
    }
}

/* q-values of the primary metrics across the experiments, then the verdicts. */
static cvo_status decide_all(cvo_ctx *ctx, cvo_experiment_results *res)
{
    size_t n = res->count ? res->count : 1;
    double *p = mem_array(ctx, n, sizeof *p), *q = mem_array(ctx, n, sizeof *q);
    size_t *order = mem_array(ctx, n, sizeof *order);
    cvo_status status = p && q && order ? CVO_OK : ctx_nomem(ctx);
    if (status == CVO_OK) {
        for (size_t i = 0; i < res->count; i++) {
            const cvo_experiment_result *r = &res->items[i];
            p[i] = r->metrics[r->info.primary].estimate.p_value;
        }
        stats_bh(p, res->count, q, order);
        for (size_t i = 0; i < res->count; i++) {
            res->items[i].q_value = q[i];
            decide(&res->items[i]);
        }
    }
    mem_free(ctx, p);
    mem_free(ctx, q);
    mem_free(ctx, order);
    return status;
}

static cvo_status check_dates(cvo_ctx *ctx, const cvo_experiment_info *e, size_t count,
                              int32_t as_of)
{
    for (size_t i = 0; i < count; i++) {
        if (e[i].start_day <= as_of)
            continue;
        char ends[11], start[11];
        cvo_day_format(as_of - 1, ends);
        cvo_day_format(e[i].start_day, start);
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "the orders end on %s, before experiment %s started (%s): give an "
                        "orders file exported after the start",
                        ends, e[i].id, start);
    }
    return CVO_OK;
}

static cvo_status compute_all(compute_job *job, const cvo_experiment_info *e, size_t count,
                              cvo_experiment_results *res)
{
    CVO_TRY(values_alloc(job->ctx, &job->values, job->member_count));
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < count; i++) {
        cvo_experiment_result *r = &res->items[i];
        r->info = e[i];
        status = measure_one(job, r);
        res->count++;
    }
    values_free(job->ctx, &job->values);
    return status == CVO_OK ? decide_all(job->ctx, res) : status;
}

static void job_options(compute_job *job, const cvo_config *config)
{
    double resamples = cvo_config_number(config, "experiment", "bootstrap_resamples");
    double seed = cvo_config_number(config, "experiment", "seed");
    job->options.resamples = resamples >= 2000 ? (uint32_t)resamples : 2000;
    job->options.seed = seed >= 0 ? (uint64_t)seed : 1;
}

cvo_status cvo_experiments_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                   const cvo_config *config, const cvo_id_key *key,
                                   const cvo_experiment_info *experiments, size_t count,
                                   const cvo_experiment_member *members, size_t member_count,
                                   int32_t as_of_day, cvo_experiment_results **out)
{
    *out = NULL;
    if (customers == NULL || customers->order_start == NULL || key == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "experiments: a customer table with orders kept");
    compute_job job = {ctx,       customers, NULL,
                       NULL,      members,   member_count,
                       as_of_day, {0, 0},    {{NULL}, {NULL}, NULL, 0}};
    int32_t data_end = cvo_customers_last_day(customers) + 1;
    if (job.as_of == INT32_MIN || job.as_of > data_end)
        job.as_of = data_end; /* no window closes on days the orders do not hold */
    job_options(&job, config);
    CVO_TRY(check_dates(ctx, experiments, count, job.as_of));
    cvo_experiment_results *res = mem_alloc(ctx, sizeof *res);
    if (res == NULL)
        return ctx_nomem(ctx);
    *res = (cvo_experiment_results){ctx, mem_zarray(ctx, count ? count : 1, sizeof *res->items), 0,
                                    job.as_of};
    profit_margins m = {NULL, NULL};
    cvo_config *defaults = NULL;
    job.keyed = keyed_rows(ctx, customers, key);
    cvo_status status = res->items && job.keyed ? CVO_OK : ctx_nomem(ctx);
    if (status == CVO_OK && config == NULL)
        status = cvo_config_new(ctx, &defaults);
    if (status == CVO_OK)
        status = profit_margins_compute(ctx, customers, config ? config : defaults, &m);
    cvo_config_free(defaults);
    job.margins = m.order;
    if (status == CVO_OK)
        status = compute_all(&job, experiments, count, res);
    profit_margins_free(ctx, &m);
    mem_free(ctx, (void *)job.keyed);
    if (status != CVO_OK) {
        cvo_experiment_results_free(res);
        return status;
    }
    *out = res;
    return CVO_OK;
}

size_t cvo_experiment_results_count(const cvo_experiment_results *r)
{
    return r ? r->count : 0;
}

const cvo_experiment_result *cvo_experiment_results_at(const cvo_experiment_results *r,
                                                       size_t index)
{
    return r && index < r->count ? &r->items[index] : NULL;
}

int32_t cvo_experiment_results_as_of(const cvo_experiment_results *r)
{
    return r ? r->as_of : INT32_MIN;
}

void cvo_experiment_results_free(cvo_experiment_results *r)
{
    if (r == NULL)
        return;
    mem_free(r->ctx, r->items);
    mem_free(r->ctx, r);
}
