/* season_plant.h - the yearly pattern of purchase rates cvo generate plants
 * (--plant-season): parsed once into a factor per day of the store's window. */
#ifndef CVO_SEASON_PLANT_H
#define CVO_SEASON_PLANT_H

#include "cvo.h"

/* The factor s(day) of each day of [first_day, first_day + span) into a new
 * array *factors (the caller frees it with mem_free) and its largest value
 * into *max; *factors NULL when spec is NULL or "". Errors: CVO_ERR_ARGUMENT
 * (the spec, quoted), CVO_ERR_NOMEM. */
cvo_status season_plant_days(cvo_ctx *ctx, const char *spec, int32_t first_day, uint32_t span,
                             double **factors, double *max);

#endif
