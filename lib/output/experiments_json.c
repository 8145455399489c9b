/* experiments_json.c - cvo_write_experiments_json: each experiment's arms, SRM,
 * metrics (the shown estimate first, then the raw one, relative uplift, bootstrap,
 * incremental total), q-value and verdict. Money in currency units; NaN is null. */
#include "output/experiments_json.h"

#include <math.h>
#include <stdio.h>

/* One JSON object being written: the separator before each key. */
typedef struct json_obj {
    cell_buf *b;
    bool open;
} json_obj;

static void key(json_obj *o, const char *name)
{
    cell_char(o->b, o->open ? ',' : '{');
    o->open = true;
    cell_json_string(o->b, name);
    cell_char(o->b, ':');
}

static void end(json_obj *o)
{
    cell_str(o->b, o->open ? "}" : "{}");
}

static void number(json_obj *o, const char *name, double value)
{
    key(o, name);
    cell_json_number(o->b, value);
}

static void count(json_obj *o, const char *name, uint64_t value)
{
    key(o, name);
    cell_int(o->b, value > INT64_MAX ? INT64_MAX : (int64_t)value);
}

static void text(json_obj *o, const char *name, const char *value)
{
    key(o, name);
    cell_json_string(o->b, value);
}

static void boolean(json_obj *o, const char *name, bool value)
{
    key(o, name);
    cell_str(o->b, value ? "true" : "false");
}

static void day(json_obj *o, const char *name, int32_t value)
{
    key(o, name);
    if (value == INT32_MIN) {
        cell_str(o->b, "null");
        return;
    }
    cell_char(o->b, '"');
    cell_day(o->b, value);
    cell_char(o->b, '"');
}

/* Cents to currency units for money metrics. */
static double unit(cvo_exp_metric metric, double value)
{
    return metric == CVO_EXP_REVENUE || metric == CVO_EXP_PROFIT ? value / 100 : value;
}

static void interval(json_obj *o, cvo_exp_metric m, double low, double high)
{
    number(o, "ci_low", unit(m, low));
    number(o, "ci_high", unit(m, high));
}

static void raw_object(cell_buf *b, const cvo_experiment_metric_result *x)
{
    json_obj o = {b, false};
    number(&o, "diff", unit(x->metric, x->raw.diff));
    interval(&o, x->metric, x->raw.ci_low, x->raw.ci_high);
    number(&o, "p_value", x->raw.p_value);
    text(&o, "method", x->metric == CVO_EXP_CONVERSION ? "newcombe" : "welch");
    end(&o);
}

static void relative_object(cell_buf *b, const cvo_experiment_metric_result *x)
{
    json_obj o = {b, false};
    number(&o, "value", x->relative);
    number(&o, "ci_low", x->relative_low);
    number(&o, "ci_high", x->relative_high);
    text(&o, "method", "delta");
    end(&o);
}

static void bootstrap_object(cell_buf *b, const cvo_experiment_metric_result *x, uint32_t resamples)
{
    if (!x->bootstrap || !x->ok) {
        cell_str(b, "null");
        return;
    }
    json_obj o = {b, false};
    interval(&o, x->metric, x->bootstrap_low, x->bootstrap_high);
    count(&o, "resamples", resamples);
    end(&o);
}

static void incremental_object(cell_buf *b, const cvo_experiment_metric_result *x)
{
    json_obj o = {b, false};
    number(&o, "value", unit(x->metric, x->incremental));
    interval(&o, x->metric, x->incremental_low, x->incremental_high);
    end(&o);
}

static void metric_object(cell_buf *b, const cvo_experiment_metric_result *x, uint32_t resamples)
{
    json_obj o = {b, false};
    text(&o, "metric", cvo_exp_metric_name(x->metric));
    number(&o, "treatment", unit(x->metric, x->treatment));
    number(&o, "holdout", unit(x->metric, x->holdout));
    number(&o, "diff", unit(x->metric, x->estimate.diff));
    interval(&o, x->metric, x->estimate.ci_low, x->estimate.ci_high);
    number(&o, "p_value", x->estimate.p_value);
    boolean(&o, "cuped", x->cuped);
    number(&o, "theta", x->theta);
    number(&o, "variance_reduction", x->variance_reduction);
    key(&o, "raw");
    raw_object(b, x);
    key(&o, "relative");
    relative_object(b, x);
    key(&o, "bootstrap");
    bootstrap_object(b, x, resamples);
    key(&o, "incremental");
    incremental_object(b, x);
    end(&o);
}

static void arms(cell_buf *b, const uint64_t counts[2])
{
    json_obj o = {b, false};
    count(&o, "treatment", counts[0]);
    count(&o, "holdout", counts[1]);
    end(&o);
}

static const char *const verdict_codes[] = {"none", "interim", "win", "loss", "inconclusive"};

static void experiment_object(cell_buf *b, const cvo_experiment_result *r, uint32_t resamples)
{
    json_obj o = {b, false};
    text(&o, "id", r->info.id);
    text(&o, "list", cvo_list_name(r->info.list_bit));
    day(&o, "start", r->info.start_day);
    day(&o, "stop", r->info.stop_day);
    number(&o, "share", r->info.share);
    count(&o, "window_days", r->info.window_days);
    text(&o, "primary_metric", cvo_exp_metric_name(r->info.primary));
    count(&o, "planned_members", r->info.planned_members);
    count(&o, "members", r->stored);
    count(&o, "missing", r->missing);
    key(&o, "arms");
    arms(b, r->members);
    key(&o, "in_flight");
    arms(b, r->in_flight);
    number(&o, "srm_chi2", r->srm_chi2);
    number(&o, "srm_p", r->srm_p);
    boolean(&o, "srm_flag", r->srm_flag);
    key(&o, "metrics");
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        cell_char(b, m ? ',' : '[');
        metric_object(b, &r->metrics[m], resamples);
    }
    cell_char(b, ']');
    number(&o, "q_value", r->q_value);
    text(&o, "verdict", r->verdict_text);
    text(&o, "verdict_code", verdict_codes[r->verdict]);
    end(&o);
}

/* The resamples the results used are not kept: the JSON reports the configured count. */
static uint32_t resamples_of(const cvo_config *config)
{
    double n = cvo_config_number(config, "experiment", "bootstrap_resamples");
    return n >= 2000 ? (uint32_t)n : 2000;
}

static void append(cell_buf *b, const cvo_experiment_results *r, uint32_t resamples)
{
    json_obj o = {b, false};
    day(&o, "as_of", cvo_experiment_results_as_of(r));
    key(&o, "experiments");
    size_t n = cvo_experiment_results_count(r);
    cell_char(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            cell_char(b, ',');
        experiment_object(b, cvo_experiment_results_at(r, i), resamples);
    }
    cell_char(b, ']');
    end(&o);
}

void experiments_json_append(cell_buf *b, const cvo_experiment_results *r, const cvo_config *config)
{
    append(b, r, resamples_of(config));
}

cvo_status cvo_write_experiments_json(cvo_ctx *ctx, const cvo_experiment_results *r,
                                      const cvo_config *config, FILE *out)
{
    cell_buf b;
    cell_buf_init(&b, ctx);
    append(&b, r, resamples_of(config));
    cell_char(&b, '\n');
    return cell_finish(&b, out, CVO_OK);
}
