/* analyze.h - the analysis object: everything cvo analyze computes, kept for
 * the writers (report, CSV, JSON, Klaviyo, lists). */
#ifndef CVO_ANALYZE_H
#define CVO_ANALYZE_H

#include "analysis/profit.h"
#include "base/limits.h"
#include "cvo.h"

/* The configuration's decision rules, read once (not per customer). */
typedef struct analysis_rules {
    double churn_high_below, churn_low_from;
    bool exclude_worst_cell;
    double exclude_after_days, exclude_max_p_alive;
    double no_discount_min_p_alive, no_discount_lost_p_alive;
    double standard_discount; /* share of the order value a standard discount gives away */
    double winback_window_days;
    double referral_max_recency_days, referral_min_p_alive;
    bool top[CVO_MAX_SEGMENTS];     /* the best segments */
    uint8_t tier[CVO_MAX_SEGMENTS]; /* loyalty tier of each segment */
} analysis_rules;

struct cvo_analysis {
    cvo_ctx *ctx;
    const cvo_customers *customers;
    const cvo_config *config;
    cvo_load_stats stats;
    cvo_scheme *scheme;
    cvo_rfm *rfm;
    cvo_segment_row *segments;
    cvo_customer_result *results;
    int32_t as_of;
    /* models */
    bool model_ok;
    char model_note[512];
    cvo_fit purchase, spend;
    cvo_profit *profit;     /* with the analysis' own expected orders */
    cvo_nps *nps;           /* the responses, joined and by segment; NULL when none given */
    cvo_ctx *side_ctx;      /* cohorts and dives are made in it, on a second thread */
    profit_margins margins; /* every order's margin, once for cohorts and dives (side_ctx) */
    cvo_cohorts *cohorts;   /* NULL when they could not be computed */
    cvo_dive *dives[CVO_DIVE_BY__COUNT]; /* deep dives, one per grouping */
    cvo_cov_fit *covariates;             /* Pareto/NBD with discount and channel; NULL: none */
    char covariates_note[256];           /* why none, or what was left out */
    cvo_season season;                   /* of the whole history, used by the predictions */
    cvo_season backtest_season;          /* of the backtest's calibration part */
    cvo_backtest *backtest; /* the chosen model's, borrowed from choice */
    char backtest_note[512];
    cvo_model_choice choice; /* every candidate fitted on the calibration part */
    bool choice_ran;         /* cvo_model_choose ran (choice holds its answer) */
    cvo_spend_backtest spend_backtest; /* Gamma-Gamma on the calibration part */
    bool spend_backtest_ran;           /* it could be fitted there */
    int32_t calibration_end;
    char tier_names[3][64];
    analysis_rules rules;
    const cvo_experiments *experiments; /* cvo_analysis_hold_out's (borrowed), or NULL */
    const cvo_experiment_results *experiment_results; /* borrowed, or NULL */
};

#endif
