/* choice.c - model choice by holdout: BG/NBD, MBG/NBD and Pareto/NBD are each
 * fitted on the calibration part and backtested on the holdout. The holdout
 * log score (the log density of each customer's holdout purchases given the
 * calibration: a proper scoring rule, Gneiting & Raftery 2007) decides where
 * it tells the candidates apart beyond chance; between candidates it cannot
 * tell apart, the smaller mean absolute error per customer; exact ties go to
 * the simpler (fewer special functions, closed-form P(alive), the
 * established default). Large stores are compared on a sample. */
#include "cvo.h"

#include "base/ctx.h"
#include "base/hash.h"
#include "core/summary.h"

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

/* Fits candidate i (from start when not NULL), estimates its seasonal index
 * and backtests it with the index; trouble other than memory becomes its note. */
static cvo_status try_candidate(cvo_ctx *ctx, const cvo_summary *summary,
                                const cvo_customers *customers, cvo_season_mode season,
                                const double *start, cvo_model_choice *c, int i)
{
    cvo_fit *fit = &c->fits[i];
    cvo_fit_options o;
    cvo_fit_options_init(&o);
    o.start = start;
    cvo_status status = cvo_model_fit(ctx, c->models[i], summary, &o, fit);
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
    else
        c->notes[i][0] = '\0';
    return CVO_OK;
}

/* One customer's log L(whole history) - log L(calibration part) at the
 * calibration fit; NaN when the holdout's purchase times are not known. */
static double row_score(const cvo_fit *fit, const cvo_summary_row *r, double holdout)
{
    if (!(r->t_x_full >= r->t_x))
        return NAN;
    /* a purchase on the last day: t_x_full equals T + holdout but for rounding */
    double T_full = r->T + holdout, t_full = fmin(r->t_x_full, T_full);
    return cvo_fit_loglik(fit, r->x + r->x_star, t_full, T_full) -
           cvo_fit_loglik(fit, r->x, r->t_x, r->T);
}

/* Candidate i's backtest as per-customer figures, and its per-customer
 * scores into score (n) with their mean. */
static void measure(cvo_model_choice *c, int i, const cvo_summary *summary, double *score)
{
    cvo_choice_metrics *m = &c->metrics[i];
    const cvo_backtest *bt = c->backtests[i];
    double n = bt->customers > 0 ? bt->customers : NAN;
    m->predicted = bt->model_total / n;
    m->actual = bt->actual_total / n;
    m->mae = bt->model_mae;
    m->rmse = bt->model_rmse;
    m->correlation = bt->model_correlation;
    double holdout = cvo_summary_holdout(summary), sum = 0, weight = 0;
    for (size_t j = 0; j < summary->count; j++) {
        const cvo_summary_row *r = &summary->rows[j];
        score[j] = row_score(&c->fits[i], r, holdout);
        sum += r->weight * score[j];
        weight += r->weight;
    }
    m->log_score = weight > 0 && isfinite(sum) ? sum / weight : NAN;
}

/* Standard error of the mean paired difference of two candidates' scores. */
static double paired_se(const cvo_summary *summary, const double *a, const double *b)
{
    double weight = 0, mean = 0, m2 = 0; /* weighted Welford */
    for (size_t j = 0; j < summary->count; j++) {
        double w = summary->rows[j].weight, d = a[j] - b[j];
        weight += w;
        double delta = d - mean;
        mean += delta * w / weight;
        m2 += w * delta * (d - mean);
    }
    return weight > 1 ? sqrt(m2 / (weight - 1) / weight) : NAN;
}

/* The pick among the backtested candidates; *scored: the log score took part;
 * *tied: how many candidates it could not tell apart from the best. */
static int pick(cvo_model_choice *c, const cvo_summary *summary, double *const score[],
                bool *scored, int *tied)
{
    double mae[CVO_CHOICE_MODELS];
    int best = -1;
    *scored = true;
    *tied = 0;
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        mae[i] = c->backtests[i] ? c->metrics[i].mae : NAN;
        if (c->backtests[i] == NULL)
            continue;
        if (!isfinite(c->metrics[i].log_score))
            *scored = false;
        else if (best < 0 || c->metrics[i].log_score > c->metrics[best].log_score)
            best = i;
    }
    if (!*scored || best < 0) {
        *scored = false;
        return cvo_model_pick(mae, CVO_CHOICE_MODELS, CVO_CHOICE_TOLERANCE);
    }
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        if (c->backtests[i] == NULL)
            continue;
        double se = i == best ? 0 : paired_se(summary, score[best], score[i]);
        c->metrics[i].log_score_se = se;
        if (i != best &&
            !(c->metrics[best].log_score - c->metrics[i].log_score <= CVO_CHOICE_SCORE_Z * se))
            mae[i] = NAN; /* told apart: worse */
        else if (i != best)
            ++*tied;
    }
    return cvo_model_pick(mae, CVO_CHOICE_MODELS, CVO_CHOICE_TOLERANCE);
}

static size_t append(char *out, size_t cap, size_t used, const char *text)
{
    if (used < cap)
        used += (size_t)snprintf(out + used, cap - used, "%s", text);
    return used;
}

static void explain(cvo_model_choice *c, bool scored, int tied)
{
    int k = c->chosen;
    const char *name = display_name(c->models[k]);
    const cvo_choice_metrics *m = c->metrics;
    char text[1024], part[512];
    size_t used = 0;
    text[0] = '\0';
    if (c->forced) {
        snprintf(part, sizeof part, "%s, as configured (not chosen by the backtest).", name);
        used = append(text, sizeof text, used, part);
    } else if (!scored) {
        snprintf(part, sizeof part,
                 "%s: the smallest holdout error (mean absolute error per customer %.4f); "
                 "the holdout log score is not known (the holdout's purchase times are not "
                 "in the data).",
                 name, m[k].mae);
        used = append(text, sizeof text, used, part);
    } else {
        snprintf(part, sizeof part,
                 "%s: the holdout log score (log-likelihood of the holdout purchases given "
                 "the calibration) is %.4f per customer",
                 name, m[k].log_score);
        used = append(text, sizeof text, used, part);
        for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
            if (i == k || c->backtests[i] == NULL)
                continue;
            snprintf(part, sizeof part, ", %s's %.4f", display_name(c->models[i]),
                     m[i].log_score);
            used = append(text, sizeof text, used, part);
        }
        if (tied == 0)
            snprintf(part, sizeof part,
                     "; the others are worse by more than %.0f standard errors of the "
                     "difference.",
                     CVO_CHOICE_SCORE_Z);
        else
            snprintf(part, sizeof part,
                     "; where scores are within %.0f standard errors (not told apart), the "
                     "smaller holdout error wins, then the simpler model: %s's mean absolute "
                     "error is %.4f per customer.",
                     CVO_CHOICE_SCORE_Z, name, m[k].mae);
        used = append(text, sizeof text, used, part);
    }
    if (c->compared < c->customers) {
        snprintf(part, sizeof part,
                 " Compared on a sample of %zu of the %zu customers (without seasonal index); "
                 "the chosen model is then fitted and backtested on all of them.",
                 c->compared, c->customers);
        append(text, sizeof text, used, part);
    }
    snprintf(c->reason, sizeof c->reason, "%s", text);
}

/* About CVO_CHOICE_SAMPLE rows of summary, by a hash of the customer id (the
 * row's position when it has none), so a weekly run compares on the same
 * customers. */
static cvo_status sample_summary(cvo_ctx *ctx, const cvo_summary *summary, cvo_summary **out)
{
    uint64_t limit = (uint64_t)((double)UINT64_MAX / (double)summary->count * CVO_CHOICE_SAMPLE);
    cvo_summary *s = summary_new(ctx, CVO_CHOICE_SAMPLE + CVO_CHOICE_SAMPLE / 4);
    if (s == NULL)
        return ctx_nomem(ctx);
    size_t capacity = CVO_CHOICE_SAMPLE + CVO_CHOICE_SAMPLE / 4;
    for (size_t j = 0; j < summary->count && s->count < capacity; j++) {
        const cvo_summary_row *r = &summary->rows[j];
        const char *id = r->customer_id ? r->customer_id : "";
        uint64_t h = id[0] ? hash_bytes(id, strlen(id), 0x63766f) : hash_mix64(j + 1);
        if (h < limit)
            s->rows[s->count++] = *r; /* ids stay the caller's: the sample lives shorter */
    }
    s->holdout = summary->holdout;
    s->has_holdout = summary->has_holdout;
    s->period_days = summary->period_days;
    s->end_day = summary->end_day;
    *out = s;
    return CVO_OK;
}

static void init_choice(cvo_model_choice *out, const cvo_summary *summary)
{
    memset(out, 0, sizeof *out);
    out->chosen = -1;
    memcpy(out->models, candidates, sizeof candidates);
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        for (int m = 0; m < 12; m++) /* no index until one is estimated */
            out->seasons[i].index[m] = 1.0;
        out->seasons[i].first_day = INT32_MIN;
        cvo_choice_metrics *m = &out->metrics[i];
        m->predicted = m->actual = m->mae = m->rmse = m->correlation = NAN;
        m->log_score = m->log_score_se = NAN;
    }
    out->customers = out->compared = summary->count;
}

/* Every candidate (or the forced one) fitted, backtested and scored on
 * summary, and the pick. */
static cvo_status compare(cvo_ctx *ctx, const cvo_summary *summary,
                          const cvo_customers *customers, int forced, cvo_season_mode season,
                          cvo_model_choice *out, bool *scored, int *tied)
{
    double *score[CVO_CHOICE_MODELS] = {NULL};
    cvo_status status = CVO_OK;
    for (int i = 0; status == CVO_OK && i < CVO_CHOICE_MODELS; i++) {
        if (forced >= 0 && (int)candidates[i] != forced) {
            snprintf(out->notes[i], sizeof out->notes[i], "not tried: another model configured");
            continue;
        }
        out->forced = forced >= 0;
        status = try_candidate(ctx, summary, customers, season, NULL, out, i);
        if (status == CVO_OK && out->backtests[i] != NULL) {
            score[i] = mem_array(ctx, summary->count ? summary->count : 1, sizeof *score[i]);
            if (score[i] == NULL)
                status = ctx_nomem(ctx);
            else
                measure(out, i, summary, score[i]);
        }
    }
    if (status == CVO_OK)
        out->chosen = pick(out, summary, score, scored, tied);
    for (int i = 0; i < CVO_CHOICE_MODELS; i++)
        mem_free(ctx, score[i]);
    return status;
}

/* The chosen candidate again, on all customers with the seasonal index, from
 * its fit on the sample. */
static cvo_status refit_chosen(cvo_ctx *ctx, const cvo_summary *summary,
                               const cvo_customers *customers, cvo_season_mode season,
                               cvo_model_choice *out)
{
    int k = out->chosen;
    double start[4];
    memcpy(start, out->fits[k].params, sizeof start);
    cvo_backtest_free(out->backtests[k]);
    out->backtests[k] = NULL;
    CVO_TRY(try_candidate(ctx, summary, customers, season, start, out, k));
    if (out->backtests[k] == NULL)
        out->chosen = -1; /* its note says why */
    return CVO_OK;
}

cvo_status cvo_model_choose(cvo_ctx *ctx, const cvo_summary *summary,
                            const cvo_customers *customers, int forced, cvo_season_mode season,
                            cvo_model_choice *out)
{
    init_choice(out, summary);
    if (!cvo_summary_has_holdout(summary))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a model choice needs a calibration end (holdout)");
    cvo_summary *sample = NULL;
    if (forced < 0 && summary->count > CVO_CHOICE_SAMPLE + CVO_CHOICE_SAMPLE / 4)
        CVO_TRY(sample_summary(ctx, summary, &sample));
    bool scored = false;
    int tied = 0;
    cvo_status status = sample != NULL ? compare(ctx, sample, NULL, forced, CVO_SEASON_OFF, out,
                                                 &scored, &tied)
                                       : compare(ctx, summary, customers, forced, season, out,
                                                 &scored, &tied);
    if (sample != NULL)
        out->compared = sample->count;
    cvo_summary_free(sample);
    if (status == CVO_OK && out->chosen >= 0)
        explain(out, scored, tied);
    if (status == CVO_OK && sample != NULL && out->chosen >= 0)
        status = refit_chosen(ctx, summary, customers, season, out);
    if (status != CVO_OK)
        cvo_model_choice_release(out);
    return status;
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
