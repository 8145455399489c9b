/* covariates.h - internals of the covariate fit shared with its tests: the
 * log-likelihood summed customer by customer, straight from the definition
 * (no grouping, no rescaling), to check the fitter against. */
#ifndef CVO_COVARIATES_H
#define CVO_COVARIATES_H

#include "cvo.h"

/* sum over summary rows of weight x ln L(params_i | x, t_x, T), params_i the
 * customer's own (cvo.h); gp, gd: one gamma per column of cov. NaN for a
 * model other than BG/NBD and Pareto/NBD or rows that do not match. */
double cov_loglik_direct(cvo_model model, const cvo_summary *summary, const cvo_covariates *cov,
                         const double *params, const double *gp, const double *gd);

#endif
