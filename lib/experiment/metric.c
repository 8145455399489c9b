/* metric.c - the names of the per-member outcomes an experiment measures, as the
 * configuration ([experiment] primary_metric), the database and the JSON spell them. */
#include "cvo.h"

#include <string.h>

static const char *const metric_names[CVO_EXP_METRIC__COUNT] = {"conversion", "orders", "revenue",
                                                                "profit"};

const char *cvo_exp_metric_name(cvo_exp_metric metric)
{
    return (unsigned)metric < CVO_EXP_METRIC__COUNT ? metric_names[metric] : "unknown";
}

bool cvo_exp_metric_parse(const char *name, cvo_exp_metric *out)
{
    for (unsigned i = 0; name != NULL && i < CVO_EXP_METRIC__COUNT; i++) {
        if (strcmp(name, metric_names[i]) == 0) {
            *out = (cvo_exp_metric)i;
            return true;
        }
    }
    return false;
}
