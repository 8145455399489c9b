/* covariates_text.c - a fitted covariate effect in words, for the
 * report: who, which process, by what factor and with what interval. */
#include "models/covariates.h"
#include "models/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- in words ---------------------------------------------------------------------------- */

/* "Customers acquired with a discount code", "Customers acquired through email"... */
static void subject_of(const char *name, char *out, size_t size)
{
    const char *eq = strchr(name, '=');
    size_t group = eq ? (size_t)(eq - name) : strlen(name);
    const char *level = eq ? eq + 1 : "";
    if (strcmp(name, "discount") == 0)
        snprintf(out, size, "Customers acquired with a discount code");
    else if (group == 7 && strncmp(name, "channel", 7) == 0)
        snprintf(out, size, "Customers acquired through %s", level);
    else if (group == 7 && strncmp(name, "country", 7) == 0)
        snprintf(out, size, "Customers in %s", level);
    else if (group == 8 && strncmp(name, "category", 8) == 0)
        snprintf(out, size, "Customers whose first order was mostly %s", level);
    else
        snprintf(out, size, "Customers with %s", name);
}

size_t cvo_cov_effect_text(const cvo_cov_fit *fit, size_t column, bool dropout, char *out,
                           size_t size)
{
    if (size > 0)
        out[0] = '\0';
    if (fit == NULL || !fit->converged || column >= fit->columns ||
        (dropout && fit->model != CVO_MODEL_PNBD))
        return 0;
    const cvo_cov_column *c = &fit->column[column];
    const cvo_cov_effect *e = dropout ? &c->dropout : &c->purchase;
    if (!isfinite(e->factor_low) || !isfinite(e->factor_high))
        return 0;
    char who[CVO_COV_NAME_BYTES + 64];
    subject_of(c->name, who, sizeof who);
    const char *what = dropout ? "the dropout rate" : "the purchase rate";
    /* three decimals where two would show a bound that excludes 1 as 1.00 */
    int d = fabs(e->factor_low - 1) < 0.005 || fabs(e->factor_high - 1) < 0.005 ? 3 : 2;
    int n;
    if (e->factor_low > 1 || e->factor_high < 1) {
        bool up = e->factor_low > 1;
        const char *verb = dropout ? (up ? "drop out faster" : "drop out more slowly")
                                   : (up ? "buy more often" : "buy less often");
        n = snprintf(out, size, "%s %s: %s is x %.*f (95%% CI %.*f-%.*f).", who, verb, what, d,
                     e->factor, d, e->factor_low, d, e->factor_high);
    } else {
        n = snprintf(out, size,
                     "%s: no clear difference in %s: x %.*f (95%% CI %.*f-%.*f holds 1).", who,
                     what, d, e->factor, d, e->factor_low, d, e->factor_high);
    }
    return n > 0 ? (size_t)n : 0;
}
