/* summary_json.h - what the writers of summary.json's members share: a JSON
 * object written member by member into a cell_buf, and the members written
 * outside summary_json.c. Internal to lib/output. */
#ifndef CVO_SUMMARY_JSON_H
#define CVO_SUMMARY_JSON_H

#include "cvo.h"
#include "output/cells.h"

#include <stdbool.h>
#include <stdint.h>

/* A JSON object being written: members are separated as they come. */
typedef struct json_obj {
    cell_buf *b;
    bool open;
} json_obj;

/* ---- members of an object (summary_json.c) ------------------------------------ */

/* The key of the next member, after a ',' (or the opening '{' for the first). */
void summary_obj_key(json_obj *o, const char *key);
/* Closes the object: "}" (or "{}" when it has no member). */
void summary_obj_end(json_obj *o);
/* One member each: an integer (capped at INT64_MAX), a number (null when not
 * finite), money from cents, a string (null for NULL), true / false, and a
 * day as "YYYY-MM-DD" (null for INT32_MIN). */
void summary_obj_uint(json_obj *o, const char *key, uint64_t value);
void summary_obj_number(json_obj *o, const char *key, double value);
void summary_obj_money(json_obj *o, const char *key, int64_t cents);
void summary_obj_text(json_obj *o, const char *key, const char *text);
void summary_obj_bool(json_obj *o, const char *key, bool value);
void summary_obj_day(json_obj *o, const char *key, int32_t day);

/* ---- summary.json's members, each a key and its value, added to o ------------- */

/* summary_models.c: "model"; "calibration_end", "backtest", "backtest_note"
 * and "seasonal_index"; "model_choice"; "spend_backtest". */
void summary_model(json_obj *o, const cvo_analysis *a);
void summary_backtest(json_obj *o, const cvo_analysis *a);
void summary_model_choice(json_obj *o, const cvo_analysis *a);
void summary_spend_backtest(json_obj *o, const cvo_analysis *a);
/* summary_findings.c: "profit", "cohorts", "nps", "drivers", "covariates" and
 * "opportunities" (null when opps is NULL). */
void summary_profit(json_obj *o, const cvo_analysis *a);
void summary_cohorts(json_obj *o, const cvo_analysis *a);
void summary_nps(json_obj *o, const cvo_analysis *a);
void summary_drivers(json_obj *o, const cvo_analysis *a);
void summary_covariates(json_obj *o, const cvo_analysis *a);
void summary_opportunities(json_obj *o, const cvo_opportunities *opps);

#endif
