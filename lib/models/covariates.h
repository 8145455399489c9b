/* covariates.h - internals of the covariate fit shared by its files and its tests:
 * the matrix's layout, and the log-likelihood summed customer by customer, straight
 * from the definition (no grouping, no rescaling), to check the fitter against. */
#ifndef CVO_COVARIATES_H
#define CVO_COVARIATES_H

#include "cvo.h"

enum {
    COV_NAT = 4,                                  /* natural parameters of both models */
    COV_MAX = CVO_COV_MAX_COLUMNS,                /* covariate columns */
    COV_K_MAX = COV_NAT + 2 * CVO_COV_MAX_COLUMNS /* theta */
};

/* The matrix (cvo.h), laid out here because the fit reads its rows directly. */
struct cvo_covariates {
    cvo_ctx *ctx;
    size_t rows, columns;
    double *values; /* rows x COV_MAX, row-major */
    char names[COV_MAX][CVO_COV_NAME_BYTES];
    char groups[COV_MAX][CVO_COV_NAME_BYTES];
};

/* sum over summary rows of weight x ln L(params_i | x, t_x, T), params_i the
 * customer's own (cvo.h); gp, gd: one gamma per column of cov. NaN for a
 * model other than BG/NBD and Pareto/NBD or rows that do not match. */
double cov_loglik_direct(cvo_model model, const cvo_summary *summary, const cvo_covariates *cov,
                         const double *params, const double *gp, const double *gd);

/* Copies a column name or group, cut to CVO_COV_NAME_BYTES. */
void cov_name_copy(char *dst, const char *src);

#endif
