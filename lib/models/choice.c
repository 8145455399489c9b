/* choice.c - model choice by holdout: BG/NBD, MBG/NBD and Pareto/NBD are each
 * fitted on the calibration part and backtested on the holdout; the smallest
 * mean absolute error per customer wins, a simpler model within a tolerance
 * of it winning instead (simpler: fewer special functions, closed-form
 * P(alive), the established default). */
#include "cvo.h"

#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cvo_model candidates[CVO_CHOICE_MODELS] = {CVO_MODEL_BGNBD, CVO_MODEL_MBGNBD,
                                                        CVO_MODEL_PNBD};

static const char *display_name(cvo_model model)
{
    return model == CVO_MODEL_BGNBD    ? "BG/NBD"
           : model == CVO_MODEL_MBGNBD ? "MBG/NBD"
                                       : "Pareto/NBD";
}

int cvo_model_pick(const double *mae, int count, double tolerance)
{
    int best = -1;
    for (int i = 0; i < count; i++)
        if (isfinite(mae[i]) && (best < 0 || mae[i] < mae[best]))
            best = i;
    if (best < 0)
        return -1;
    for (int i = 0; i < best; i++)
        if (isfinite(mae[i]) && mae[i] <= mae[best] * (1 + tolerance))
            return i;
    return best;
}

/* Fits candidate i, estimates its seasonal index and backtests it with the
 * index; trouble other than memory becomes its note. */
static cvo_status try_candidate(cvo_ctx *ctx, const cvo_summary *summary,
                                const cvo_customers *customers, cvo_season_mode season,
                                cvo_model_choice *c, int i)
{
    cvo_fit *fit = &c->fits[i];
    cvo_status status = cvo_model_fit(ctx, c->models[i], summary, NULL, fit);
    if (status == CVO_OK && !fit->converged) {
        snprintf(c->notes[i], sizeof c->notes[i], "not fitted: %s",
                 fit->note[0] ? fit->note : "the fit did not converge");
        return CVO_OK;
    }
    if (status == CVO_OK)
        status = cvo_season_estimate(ctx, fit, summary, customers, season, &c->seasons[i]);
    if (status == CVO_OK)
        status = cvo_backtest_run_season(ctx, fit, &c->seasons[i], summary, customers,
                                         &c->backtests[i]);
    if (status == CVO_ERR_NOMEM)
        return status;
    if (status != CVO_OK)
        snprintf(c->notes[i], sizeof c->notes[i], "not fitted: %s", cvo_ctx_message(ctx));
    else if (fit->status == CVO_FIT_NO_DROPOUT)
        snprintf(c->notes[i], sizeof c->notes[i], "no dropout: reduces to NBD (r %.4g, alpha %.4g)",
                 fit->nbd_params[0], fit->nbd_params[1]);
    return CVO_OK;
}

static void explain(cvo_model_choice *c, const double *mae, int best)
{
    int k = c->chosen;
    const char *name = display_name(c->models[k]);
    if (c->forced) {
        snprintf(c->reason, sizeof c->reason, "%s, as configured (not chosen by the backtest).",
                 name);
    } else if (k == best) {
        snprintf(c->reason, sizeof c->reason,
                 "%s: the smallest holdout error (mean absolute error per customer %.4f; "
                 "simpler models are preferred within %.1f%%).",
                 name, mae[k], 100 * CVO_CHOICE_TOLERANCE);
    } else {
        snprintf(c->reason, sizeof c->reason,
                 "%s: its holdout error (MAE %.4f per customer) is within %.1f%% of the "
                 "smallest (%s, %.4f), and it is the simpler model.",
                 name, mae[k], 100 * CVO_CHOICE_TOLERANCE, display_name(c->models[best]),
                 mae[best]);
    }
}

cvo_status cvo_model_choose(cvo_ctx *ctx, const cvo_summary *summary,
                            const cvo_customers *customers, int forced, cvo_season_mode season,
                            cvo_model_choice *out)
{
    memset(out, 0, sizeof *out);
    out->chosen = -1;
    memcpy(out->models, candidates, sizeof candidates);
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        for (int m = 0; m < 12; m++) /* no index until one is estimated */
            out->seasons[i].index[m] = 1.0;
        out->seasons[i].first_day = INT32_MIN;
    }
    if (!cvo_summary_has_holdout(summary))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a model choice needs a calibration end (holdout)");
    double mae[CVO_CHOICE_MODELS];
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        mae[i] = NAN;
        if (forced >= 0 && (int)candidates[i] != forced) {
            snprintf(out->notes[i], sizeof out->notes[i], "not tried: another model configured");
            continue;
        }
        out->forced = forced >= 0;
        cvo_status status = try_candidate(ctx, summary, customers, season, out, i);
        if (status != CVO_OK) {
            cvo_model_choice_release(out);
            return status;
        }
        if (out->backtests[i] != NULL)
            mae[i] = out->backtests[i]->model_mae;
    }
    out->chosen = cvo_model_pick(mae, CVO_CHOICE_MODELS, CVO_CHOICE_TOLERANCE);
    if (out->chosen >= 0)
        explain(out, mae, cvo_model_pick(mae, CVO_CHOICE_MODELS, 0));
    return CVO_OK;
}

void cvo_model_choice_release(cvo_model_choice *choice)
{
    if (choice == NULL)
        return;
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        cvo_backtest_free(choice->backtests[i]);
        choice->backtests[i] = NULL;
    }
    choice->chosen = -1;
}
