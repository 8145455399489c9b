/* analyze.h - the analysis object: everything cvo analyze computes, kept for
 * the writers (report, CSV, JSON, Klaviyo, lists). */
#ifndef CVO_ANALYZE_H
#define CVO_ANALYZE_H

#include "cvo.h"

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
    cvo_backtest *backtest;
    char backtest_note[512];
    int32_t calibration_end;
    char tier_names[3][64];
};

#endif
