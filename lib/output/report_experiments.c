/* report_experiments.c - the report's "Experiments" section: for each
 * treatment list (no-discount, win-back, VIP, referral) either its running
 * experiment, with this run's arms from cvo_analysis_experiments (the same
 * counts as the lists and summary.json), or what a test of it would need
 * (cvo_experiment_plan_compute) and how to start one; then the results of the
 * history's experiments (cvo_analysis_experiment_results). */
#include "output/report_experiments.h"

#include "base/ctx.h"
#include "output/klaviyo.h"
#include "output/report_experiment_results.h"
#include "output/report_text.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static const unsigned treatment_lists[] = {CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK, CVO_LIST_VIP,
                                           CVO_LIST_REFERRAL};

/* The config key of a list in [holdout]: its name with '-' written '_'. */
static void holdout_key(unsigned list_bit, char *out, size_t size)
{
    snprintf(out, size, "%s", cvo_list_name(list_bit));
    for (char *p = out; *p; p++)
        if (*p == '-')
            *p = '_';
}

/* One running experiment: its arms this run and why some get no action. */
static void running(FILE *out, const cvo_experiment_arms *x)
{
    const char *list = cvo_list_name(x->info.list_bit);
    char start[11], held[64], of[64], entered[64];
    cvo_day_format(x->info.start_day, start);
    report_count(held, sizeof held, x->holdout);
    report_count(of, sizeof of, x->holdout + x->treatment);
    report_count_of(entered, sizeof entered, x->entered, "new member");
    fprintf(out,
            "<li data-list=\"%s\" data-experiment=\"%s\" data-treatment=\"%" PRIu64
            "\" data-holdout=\"%" PRIu64 "\"><strong>%s</strong>: experiment <code>%s</code>"
            "%s, share %g %%, since %s. Held out this run: <strong>%s of %s</strong> on the "
            "list (%s this run). Why: a random %g %% of the list gets no action, so the "
            "difference in what both groups buy can be measured. The held-out customers are "
            "in <code>lists/%s.holdout.csv</code>, not in <code>lists/%s.csv</code>, and "
            "Klaviyo marks them with <code>%s</code> = true (<code>%s</code> is true for "
            "the treatment only); they keep their group for the whole experiment.</li>\n",
            list, x->info.id, x->treatment, x->holdout, list, x->info.id,
            x->starts ? " (started by this run)" : "", 100 * x->info.share, start, held, of,
            entered, 100 * x->info.share, list, list, klaviyo_holdout_name(x->info.list_bit),
            klaviyo_list_property(x->info.list_bit));
}

/* What a test of the list would need, from a plan (cvo_experiment_plan_compute);
 * plan NULL: said without numbers. */
static void plan_text(FILE *out, const char *list, const cvo_experiment_plan *plan)
{
    if (plan == NULL) {
        fprintf(out,
                "A test needs enough customers entering the list over its window to "
                "detect a plausible effect; <code>cvo experiments --plan %s --db FILE "
                "ORDERS</code> says how many weeks that takes and the smallest effect it "
                "could detect. ",
                list);
        return;
    }
    char members[64], entrants[64];
    report_count(members, sizeof members, plan->planned_members);
    report_count(entrants, sizeof entrants, (uint64_t)llround(plan->entrants_per_week));
    const char *metric = cvo_exp_metric_name(plan->metric);
    if (!plan->too_small)
        fprintf(out,
                "A test of a %.0f %% effect on %s per member needs about %s members (both "
                "groups): about %.0f weeks at %s new members a week. ",
                100 * plan->target_effect, metric, members, ceil(plan->weeks), entrants);
    else if (isfinite(plan->mde_relative_now))
        fprintf(out,
                "The %s on it now could show only an effect of %.0f %% or more on %s per "
                "member. ",
                plan->members_now == 1 ? "customer" : "customers", 100 * plan->mde_relative_now,
                metric);
    if (plan->advice[0])
        fprintf(out, "%s ", plan->advice);
}

/* The plan of list_bit for the report; false when none is computed (the
 * section then says what a test needs without numbers). */
static bool list_plan(cvo_ctx *ctx, const cvo_analysis *a, unsigned list_bit,
                      cvo_experiment_plan *out)
{
    const cvo_config *config = cvo_analysis_config(a);
    cvo_exp_metric metric = CVO_EXP_PROFIT;
    if (config != NULL)
        (void)cvo_exp_metric_parse(cvo_config_text(config, "experiment", "primary_metric"),
                                   &metric);
    return cvo_experiment_plan_compute(ctx, a, list_bit, config, metric, out) == CVO_OK;
}

/* A treatment list that is not an experiment: what a test needs, how to start. */
static void not_running(cvo_ctx *ctx, FILE *out, const cvo_analysis *a, unsigned list_bit,
                        uint64_t members)
{
    const char *list = cvo_list_name(list_bit);
    char key[32], count[64];
    holdout_key(list_bit, key, sizeof key);
    report_count_of(count, sizeof count, members, "customer");
    cvo_experiment_plan plan;
    fprintf(out,
            "<li data-list=\"%s\"><strong>%s</strong> (%s this run) is not an experiment: "
            "everyone on it gets the action, so nobody can tell what it earns. ",
            list, list, count);
    plan_text(out, list, list_plan(ctx, a, list_bit, &plan) ? &plan : NULL);
    if (strchr(key, '_') == NULL) /* the report shows no snake_case key */
        fprintf(out, "To start one, set <code>[holdout] %s = 0.2</code>", key);
    else
        fputs("To start one, give the list a share of 0.2 in the <code>[holdout]</code> section "
              "of the configuration (its name, with an underscore for the dash)",
              out);
    fputs(" and run <code>cvo analyze</code> with <code>--db</code>: from then on a random 20 % "
          "of the list gets no action.</li>\n",
          out);
}

static uint64_t list_count(const cvo_analysis *a, unsigned list_bit)
{
    const cvo_customer_result *r = cvo_analysis_results(a);
    size_t n = cvo_customers_count(cvo_analysis_customers(a));
    uint64_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (r[i].lists & list_bit) != 0;
    return count;
}

cvo_status report_experiments(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    const cvo_experiments *e = cvo_analysis_experiments(a);
    fputs("<section id=\"experiments\" aria-labelledby=\"experiments-h\">\n"
          "<h2 id=\"experiments-h\">Experiments</h2>\n<p class=\"lead\">Which actions are "
          "being tested: a holdout share of a list gets no action, so what the action earns "
          "can be measured (<code>cvo experiments --db FILE ORDERS</code>).</p>\n"
          "<ul class=\"actions\">\n",
          out);
    for (size_t k = 0; k < sizeof treatment_lists / sizeof *treatment_lists; k++) {
        const cvo_experiment_arms *x = cvo_experiments_find(e, treatment_lists[k]);
        if (x != NULL)
            running(out, x);
        else
            not_running(ctx, out, a, treatment_lists[k], list_count(a, treatment_lists[k]));
    }
    fputs("</ul>\n", out);
    if (cvo_analysis_experiment_results(a) != NULL)
        CVO_TRY(report_experiment_results(ctx, cvo_analysis_experiment_results(a), out));
    fputs("</section>\n", out);
    return CVO_OK;
}
