/* model.h - the contract between a "Buy 'Til You Die" model and the fitter,
 * the predictors and the backtest. A model is a small table of functions of
 * its natural parameters; everything runs on summary rows (x, t_x, T, ...),
 * so models know nothing of orders or CSV. */
#ifndef CVO_MODEL_H
#define CVO_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#define MODEL_MAX_PARAMS 4

/* One summary row (or a group of identical rows, with weight = how many).
 * Times are in model periods (days, weeks or months; or opportunities for
 * BG/BB, where T is the number of opportunities n). */
typedef struct model_row {
    double x;      /* repeat purchase occasions in calibration */
    double t_x;    /* time of last minus first purchase (BG/BB: opportunity of the last) */
    double T;      /* as-of (calibration end) minus first purchase (BG/BB: n) */
    double m_x;    /* mean value of the repeat purchases (Gamma-Gamma) */
    double weight; /* customers with these values (>= 1 normally) */
} model_row;

typedef struct model_ops {
    const char *name;  /* "bgnbd" */
    const char *title; /* "BG/NBD (Fader, Hardie & Lee 2005)" */
    int nparams;
    const char *param_names[MODEL_MAX_PARAMS]; /* r, alpha, a, b ... */
    double start[MODEL_MAX_PARAMS];            /* default start, natural scale */
    bool needs_repeaters;                      /* Gamma-Gamma: only rows with x > 0 and m_x > 0 */
    bool discrete;                             /* BG/BB: t_x and T count opportunities */
    /* Bit k set: parameter k is a time scale (alpha, beta): when all times
     * are multiplied by c, the MLE of parameter k is multiplied by c too.
     * The fitter rescales times to about 1 for conditioning. */
    unsigned time_scale_mask;

    /* Log-likelihood of one row at natural parameters p. When grad is not
     * NULL it receives d loglik / d p_k (natural scale). Must return a finite
     * value or -INFINITY (never NaN) for any p > 0 and valid row. */
    double (*loglik)(const double *p, const model_row *row, double *grad);

    /* Optional batch form of loglik for large fits (NULL: the fitter sums
     * loglik row by row). A scratch of batch_scratch bytes (aligned for
     * double) serves one array of rows: batch_prepare reads them once and
     * keys its caches by their distinct values (it never allocates), after
     * which loglik_sum returns sum weight * loglik over exactly those rows
     * (a NaN or any -INFINITY row makes it -INFINITY), with the weighted
     * gradient summed into grad and, when hess is not NULL (grad then too),
     * the weighted Hessian d2/dp_j dp_k into hess (nparams x nparams,
     * row-major); natural scale. Terms of one distinct x or time are computed
     * once per call, so the cost per row is a few arithmetic operations. */
    size_t batch_scratch;
    void (*batch_prepare)(const model_row *rows, size_t n, void *scratch);
    double (*loglik_sum)(const double *p, const model_row *rows, size_t n, double *grad,
                         double *hess, void *scratch);

    /* The expected dropout at p (rescaled time, largest T = 1): E[p] = a / (a + b)
     * per purchase for BG/NBD and MBG/NBD, the mean rate s / beta for
     * Pareto/NBD. Near 0 nobody drops out and the model is the NBD (its
     * no-dropout edge). NULL for models without dropout. */
    double (*dropout)(const double *p);

    /* Predictions; NULL where a model has none. t is a length of time in
     * model periods (BG/BB: a number of future opportunities). */
    double (*p_alive)(const double *p, double x, double t_x, double T);
    /* E[purchases in (T, T+t] | x, t_x, T] */
    double (*expected)(const double *p, double x, double t_x, double T, double t);
    /* E[X(t)] for a customer of age t (from the first purchase) */
    double (*unconditional)(const double *p, double t);
    /* P(X(t) = n) */
    double (*pmf)(const double *p, double t, int n);
} model_ops;

/* Model-specific quantities outside the common table. */
/* Pareto/NBD discounted expected residual transactions, continuous rate delta per period. */
double pnbd_dert(const double *p, double x, double t_x, double T, double delta);
/* NBD discounted expected residual transactions: E[rate | x, T] / delta. */
double nbd_dert(const double *p, double x, double T, double delta);
/* Gamma-Gamma E[M | x, m_x] = p (gamma + m_x x) / (p x + q - 1); NaN when q <= 1. */
double gg_expected_spend(const double *p, double x, double m_x);

/* BG/NBD (mbg false) and MBG/NBD (mbg true) P(alive) in two steps, for
 * callers with many customers of one x: bg_alive_odds_x is the part of the
 * log-odds that depends on x alone, and bg_p_alive_with(p, bg_alive_odds_x(p,
 * x, mbg), x, t_x, T, mbg) equals the model's p_alive to the last bit. */
double bg_alive_odds_x(const double *p, double x, bool mbg);
double bg_p_alive_with(const double *p, double odds_x, double x, double t_x, double T, bool mbg);

/* The models; each table is static const data. */
const model_ops *bgnbd_model(void);
const model_ops *mbgnbd_model(void);
const model_ops *pnbd_model(void);
const model_ops *bgbb_model(void);
const model_ops *gg_model(void);
const model_ops *nbd_model(void);

/* Numerics shared by the models (lib/models/special.c). */
double special_lbeta(double a, double b);
double special_lgamma(double x);
double special_digamma(double x);
/* ln of a positive-or-negative sum: log(e^a + e^b), log(e^a - e^b) (a >= b) */
double special_logaddexp(double a, double b);
double special_logsubexp(double a, double b);
/* Gauss 2F1(a, b; c; z) for 0 <= z < 1 by its power series, with the
 * derivatives of the sum with respect to a, b and c when d is not NULL
 * (d[0] = dF/da, d[1] = dF/db, d[2] = dF/dc). Returns NaN when the series
 * does not converge in the allowed terms. */
double special_hyp2f1(double a, double b, double c, double z, double *d);

#endif
