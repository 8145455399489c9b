/* covariates_matrix.c - the covariate matrix of cvo.h: one row per
 * summary row, up to CVO_COV_MAX_COLUMNS named columns, each with its group. */
#include "models/covariates.h"
#include "models/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the matrix ------------------------------------------------------------------ */

cvo_status cvo_covariates_new(cvo_ctx *ctx, size_t rows, cvo_covariates **out)
{
    *out = NULL;
    if (rows == 0)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a covariate matrix needs at least one row");
    cvo_covariates *cov = mem_alloc(ctx, sizeof *cov);
    if (cov == NULL)
        return ctx_nomem(ctx);
    memset(cov, 0, sizeof *cov);
    cov->ctx = ctx;
    cov->rows = rows;
    cov->values = mem_zarray(ctx, rows, COV_MAX * sizeof(double));
    if (cov->values == NULL) {
        mem_free(ctx, cov);
        return ctx_nomem(ctx);
    }
    *out = cov;
    return CVO_OK;
}

void cov_name_copy(char *dst, const char *src)
{
    snprintf(dst, CVO_COV_NAME_BYTES, "%s", src);
}

cvo_status cvo_covariates_add(cvo_covariates *cov, const char *group, const char *name,
                              const double *values)
{
    if (cov->columns >= COV_MAX)
        return ctx_fail(cov->ctx, CVO_ERR_LIMIT, "at most %d covariate columns", COV_MAX);
    if (name == NULL || name[0] == '\0')
        return ctx_fail(cov->ctx, CVO_ERR_ARGUMENT, "a covariate column needs a name");
    for (size_t i = 0; i < cov->rows; i++)
        if (!isfinite(values[i]))
            return ctx_fail(cov->ctx, CVO_ERR_ARGUMENT, "covariate %s: row %zu is not a number",
                            name, i + 1);
    size_t j = cov->columns++;
    for (size_t i = 0; i < cov->rows; i++)
        cov->values[i * COV_MAX + j] = values[i];
    cov_name_copy(cov->names[j], name);
    cov_name_copy(cov->groups[j], group != NULL && group[0] ? group : name);
    return CVO_OK;
}

size_t cvo_covariates_rows(const cvo_covariates *cov)
{
    return cov ? cov->rows : 0;
}

size_t cvo_covariates_columns(const cvo_covariates *cov)
{
    return cov ? cov->columns : 0;
}

const char *cvo_covariates_name(const cvo_covariates *cov, size_t column)
{
    return cov != NULL && column < cov->columns ? cov->names[column] : "";
}

const char *cvo_covariates_group(const cvo_covariates *cov, size_t column)
{
    return cov != NULL && column < cov->columns ? cov->groups[column] : "";
}

double cvo_covariates_value(const cvo_covariates *cov, size_t row, size_t column)
{
    if (cov == NULL || row >= cov->rows || column >= cov->columns)
        return NAN;
    return cov->values[row * COV_MAX + column];
}

void cvo_covariates_free(cvo_covariates *cov)
{
    if (cov == NULL)
        return;
    mem_free(cov->ctx, cov->values);
    mem_free(cov->ctx, cov);
}
