/* arms.c - the cvo_experiments object: a fixed room of experiments, each with
 * its recorded members (sorted for lookup by keyed customer) and this run's. */
#include "experiment/arms.h"

#include "base/ctx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cvo_status arms_new(cvo_ctx *ctx, cvo_experiments **out)
{
    *out = mem_zarray(ctx, 1, sizeof **out);
    if (*out == NULL)
        return ctx_nomem(ctx);
    (*out)->ctx = ctx;
    return CVO_OK;
}

cvo_status arms_add(cvo_experiments *e, const cvo_experiment_info *info, bool starts,
                    arms_experiment **out)
{
    if (e->count == ARMS_MAX)
        return ctx_fail(e->ctx, CVO_ERR_LIMIT, "more than %d experiments in one run", ARMS_MAX);
    arms_experiment *x = &e->items[e->count++];
    memset(x, 0, sizeof *x);
    x->pub.info = *info;
    x->pub.starts = starts;
    *out = x;
    return CVO_OK;
}

cvo_status arms_add_recorded(cvo_experiments *e, arms_experiment *x, const arms_member *m)
{
    if (x->pub.recorded == x->recorded_cap) {
        size_t cap = x->recorded_cap ? x->recorded_cap * 2 : 1024;
        arms_member *grown = cap <= SIZE_MAX / sizeof *grown
                                 ? mem_realloc(e->ctx, x->recorded, cap * sizeof *grown)
                                 : NULL;
        if (grown == NULL)
            return ctx_nomem(e->ctx);
        x->recorded = grown;
        x->recorded_cap = cap;
    }
    x->recorded[x->pub.recorded++] = *m;
    return CVO_OK;
}

static int compare_member(const void *a, const void *b)
{
    return strcmp(((const arms_member *)a)->customer, ((const arms_member *)b)->customer);
}

void arms_sort(arms_experiment *x)
{
    if (x->pub.recorded > 1)
        qsort(x->recorded, (size_t)x->pub.recorded, sizeof *x->recorded, compare_member);
}

const arms_member *arms_find_recorded(const arms_experiment *x, const char *customer)
{
    if (x->pub.recorded == 0)
        return NULL;
    arms_member key;
    memset(&key, 0, sizeof key);
    memcpy(key.customer, customer, KEYED_HEX);
    return bsearch(&key, x->recorded, (size_t)x->pub.recorded, sizeof *x->recorded, compare_member);
}

void arms_note(cvo_experiments *e, const char *line)
{
    size_t used = strlen(e->note);
    snprintf(e->note + used, sizeof e->note - used, "%s\n", line);
}

size_t cvo_experiments_count(const cvo_experiments *e)
{
    return e ? e->count : 0;
}

const cvo_experiment_arms *cvo_experiments_at(const cvo_experiments *e, size_t index)
{
    return e && index < e->count ? &e->items[index].pub : NULL;
}

const cvo_experiment_arms *cvo_experiments_find(const cvo_experiments *e, unsigned list_bit)
{
    for (size_t i = 0; i < cvo_experiments_count(e); i++)
        if (e->items[i].pub.info.list_bit == list_bit)
            return &e->items[i].pub;
    return NULL;
}

const char *cvo_experiments_note(const cvo_experiments *e)
{
    return e ? e->note : "";
}

void cvo_experiments_free(cvo_experiments *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->count; i++) {
        mem_free(e->ctx, e->items[i].recorded);
        mem_free(e->ctx, e->items[i].now);
    }
    mem_free(e->ctx, e);
}
