/* uplift.h - the statistics of one experiment: per metric the arms' means, the
 * difference with its interval (Newcombe or Welch), CUPED, the relative uplift
 * (delta method), a percentile bootstrap for small arms, the incremental total;
 * and the sample-ratio-mismatch check. Pure functions of per-member values. */
#ifndef CVO_EXP_UPLIFT_H
#define CVO_EXP_UPLIFT_H

#include "base/ctx.h"
#include "cvo.h"

/* Members of one experiment whose window closed: y their outcome, x the same
 * metric in the pre-period, holdout their arm. */
typedef struct uplift_sample {
    const double *y, *x;
    const bool *holdout;
    size_t n;
} uplift_sample;

/* Arms below this size get the bootstrap beside Welch. */
#define UPLIFT_BOOTSTRAP_BELOW 200

typedef struct uplift_options {
    uint32_t resamples; /* >= 2000 */
    uint64_t seed;
} uplift_options;

/* Fills out for metric (a 0/1 y for conversion). Needs scratch for n doubles
 * (the adjusted values) and, with the bootstrap, 2 x resamples more: allocated
 * here. Errors: CVO_ERR_NOMEM. */
CVO_MUST_USE cvo_status uplift_metric(cvo_ctx *ctx, cvo_exp_metric metric, const uplift_sample *s,
                                      const uplift_options *o, cvo_experiment_metric_result *out);

/* Chi-square (1 df) of (treatment, holdout) counts against the holdout share,
 * and its p-value; NaN both when there are no members or the share is not in (0, 1). */
void uplift_srm(uint64_t treatment, uint64_t holdout, double share, double *chi2, double *p);

#endif
