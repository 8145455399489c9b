/* nps_stats.c - NPS statistics: names, NPS with intervals and differences, the
 * per-class counts by stage, segment, country, month, product and category,
 * each customer's latest answer, and the accessors of the result. */
#include "analysis/nps.h"

#include "base/arena.h"
#include "base/ctx.h"
#include "base/hash.h"
#include "io/datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a product name or SKU in a by-product key. */
#define NPS_LABEL_BYTES 120
#define NPS_Z95 1.959963984540054

/* ---- names and numbers ------------------------------------------------------ */

const char *cvo_nps_stage_name(cvo_nps_stage stage)
{
    static const char *const names[] = {"pre_delivery", "post_delivery", "unknown"};
    return (unsigned)stage < CVO_NPS_STAGE__COUNT ? names[stage] : "?";
}

const char *cvo_nps_class_name(cvo_nps_class nps_class)
{
    static const char *const names[] = {"detractor", "passive", "promoter"};
    return (unsigned)nps_class < CVO_NPS_CLASS__COUNT ? names[nps_class] : "?";
}

const char *cvo_nps_reject_reason_name(cvo_nps_reject_reason reason)
{
    static const char *const names[] = {
        "field count", "no email",        "bad score",          "no date",
        "bad date",    "record too long", "unterminated quote", "future date"};
    return (unsigned)reason < CVO_NPS_REJECT__COUNT ? names[reason] : "?";
}

cvo_nps_class cvo_nps_class_of(int score)
{
    return score <= 6 ? CVO_NPS_DETRACTOR : score <= 8 ? CVO_NPS_PASSIVE : CVO_NPS_PROMOTER;
}

static double clamp(double value, double limit)
{
    return value < -limit ? -limit : value > limit ? limit : value;
}

/* Var(NPS) = 100^2 (p + d - (p - d)^2) / n; 0 for an empty group. */
static double nps_variance(const cvo_nps_group *g)
{
    if (g->n == 0)
        return 0;
    double p = (double)g->promoters / (double)g->n, d = (double)g->detractors / (double)g->n;
    double v = 1e4 * (p + d - (p - d) * (p - d)) / (double)g->n;
    return v > 0 ? v : 0;
}

void cvo_nps_group_compute(uint64_t promoters, uint64_t passives, uint64_t detractors,
                           uint64_t min_group, cvo_nps_group *out)
{
    memset(out, 0, sizeof *out);
    out->promoters = promoters;
    out->passives = passives;
    out->detractors = detractors;
    out->n = promoters + passives + detractors;
    out->small = out->n < min_group;
    if (out->n == 0)
        return;
    out->nps = 100.0 * ((double)promoters - (double)detractors) / (double)out->n;
    double half = NPS_Z95 * sqrt(nps_variance(out));
    out->ci_low = clamp(out->nps - half, 100);
    out->ci_high = clamp(out->nps + half, 100);
}

void cvo_nps_difference_compute(const cvo_nps_group *a, const cvo_nps_group *b,
                                cvo_nps_difference *out)
{
    memset(out, 0, sizeof *out);
    if (a->n == 0 || b->n == 0)
        return;
    out->available = true;
    out->difference = a->nps - b->nps;
    double half = NPS_Z95 * sqrt(nps_variance(a) + nps_variance(b));
    out->ci_low = clamp(out->difference - half, 200);
    out->ci_high = clamp(out->difference + half, 200);
}

void cvo_nps_options_init(cvo_nps_options *options)
{
    memset(options, 0, sizeof *options);
    options->min_group = 30;
    options->delivery_days = 5;
    options->transit_days = 3;
    options->before_day = INT32_MAX;
    options->latest_day = INT32_MAX;
}

/* ---- tally: text -> counts per class ------------------------------------------ */

cvo_status nps_tally_init(cvo_ctx *ctx, tally *t, size_t capacity, size_t cap_keys)
{
    t->slots = mem_zarray(ctx, capacity, sizeof *t->slots);
    t->capacity = capacity;
    t->used = 0;
    t->cap_keys = cap_keys;
    return t->slots ? CVO_OK : ctx_nomem(ctx);
}

static tally_entry *tally_slot(tally_entry *slots, size_t capacity, const char *text, size_t len,
                               uint64_t hash)
{
    size_t i = (size_t)hash & (capacity - 1);
    while (slots[i].text != NULL &&
           !(slots[i].hash == hash && slots[i].len == len && memcmp(slots[i].text, text, len) == 0))
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

static cvo_status tally_grow(cvo_ctx *ctx, tally *t)
{
    size_t capacity = t->capacity * 2;
    tally_entry *slots = mem_zarray(ctx, capacity, sizeof *slots);
    if (slots == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].text != NULL)
            *tally_slot(slots, capacity, t->slots[i].text, t->slots[i].len, t->slots[i].hash) =
                t->slots[i];
    mem_free(ctx, t->slots);
    t->slots = slots;
    t->capacity = capacity;
    return CVO_OK;
}

/* Counts text once for nps_class; a new text beyond cap_keys is not counted. */
cvo_status nps_tally_add(cvo_ctx *ctx, arena *strings, tally *t, const char *text, size_t len,
                         cvo_nps_class nps_class)
{
    uint64_t hash = hash_bytes(text, len, 0x6e7073);
    tally_entry *e = tally_slot(t->slots, t->capacity, text, len, hash);
    if (e->text == NULL) {
        if (t->used >= t->cap_keys)
            return CVO_OK;
        if (2 * (t->used + 1) > t->capacity) {
            CVO_TRY(tally_grow(ctx, t));
            e = tally_slot(t->slots, t->capacity, text, len, hash);
        }
        e->text = arena_strndup(strings, text, len);
        if (e->text == NULL)
            return ctx_nomem(ctx);
        e->len = (uint32_t)len;
        e->hash = hash;
        t->used++;
    }
    e->counts[nps_class]++;
    return CVO_OK;
}

/* ---- one response counted ------------------------------------------------------- */

/* The products and categories of the joined order, each counted once. */
static cvo_status tally_products(nps_load *ld, const response *r, cvo_nps_class cls)
{
    if (r->order == NULL)
        return CVO_OK;
    const cvo_customers *c = ld->opt->customers;
    size_t n;
    const uint32_t *products = cvo_customers_order_products(c, r->order, &n);
    for (size_t k = 0; k < n; k++) {
        const cvo_product *p = cvo_customers_product(c, products[k]);
        char label[2 * NPS_LABEL_BYTES + 4];
        int len = p->sku[0] && p->name[0]
                      ? snprintf(label, sizeof label, "%.*s (%.*s)", NPS_LABEL_BYTES, p->name,
                                 NPS_LABEL_BYTES, p->sku)
                      : snprintf(label, sizeof label, "%.*s", NPS_LABEL_BYTES,
                                 p->sku[0] ? p->sku : p->name);
        CVO_TRY(nps_tally_add(ld->ctx, &ld->nps->strings, &ld->products, label, (size_t)len, cls));
        bool repeated = false; /* a category already counted for this order */
        for (size_t j = 0; j < k && !repeated; j++)
            repeated = strcmp(cvo_customers_product(c, products[j])->category, p->category) == 0;
        if (!repeated)
            CVO_TRY(nps_tally_add(ld->ctx, &ld->nps->strings, &ld->categories, p->category,
                              strlen(p->category), cls));
    }
    return CVO_OK;
}

/* Returns whether r is now its customer's latest response. */
bool nps_remember_last(cvo_nps *nps, const response *r)
{
    if (r->customer == SIZE_MAX || r->customer >= nps->customer_count)
        return false;
    if (nps->last_score[r->customer] < 0 || r->day >= nps->last_day[r->customer]) {
        nps->last_score[r->customer] = (int8_t)r->score;
        nps->last_day[r->customer] = r->day;
        return true;
    }
    return false;
}

/* Keeps a customer's latest post-delivery score (for the deep dives). */
void nps_remember_post(cvo_nps *nps, const response *r)
{
    if (r->stage != CVO_NPS_POST_DELIVERY || r->customer >= nps->customer_count)
        return;
    if (nps->post_score[r->customer] < 0 || r->day >= nps->post_day[r->customer]) {
        nps->post_score[r->customer] = (int8_t)r->score;
        nps->post_day[r->customer] = r->day;
    }
}

cvo_status nps_tally_groups(nps_load *ld, const response *r, cvo_nps_class cls)
{
    ld->counts_stage[r->stage][cls]++;
    if (ld->counts_segment != NULL) {
        size_t segment = ld->segments;
        if (r->customer != SIZE_MAX)
            segment = cvo_rfm_scores(ld->opt->rfm)[r->customer].segment;
        ld->counts_segment[segment * CVO_NPS_CLASS__COUNT + cls]++;
    }
    const char *country = "";
    if (r->customer != SIZE_MAX)
        country = cvo_customers_at(ld->opt->customers, r->customer)->country;
    CVO_TRY(
        nps_tally_add(ld->ctx, &ld->nps->strings, &ld->countries, country, strlen(country), cls));
    char month[11];
    date_format_iso(r->day, month);
    CVO_TRY(nps_tally_add(ld->ctx, &ld->nps->strings, &ld->months, month, 7, cls));
    return tally_products(ld, r, cls);
}

/* ---- results ------------------------------------------------------------------------ */

static void group_from(const uint64_t *counts, const char *key, uint64_t min_group,
                       cvo_nps_group *out)
{
    cvo_nps_group_compute(counts[CVO_NPS_PROMOTER], counts[CVO_NPS_PASSIVE],
                          counts[CVO_NPS_DETRACTOR], min_group, out);
    out->key = key;
}

static cvo_status stage_groups(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    uint64_t total[CVO_NPS_CLASS__COUNT] = {0};
    for (int s = 0; s < CVO_NPS_STAGE__COUNT; s++) {
        group_from(ld->counts_stage[s], cvo_nps_stage_name((cvo_nps_stage)s), ld->opt->min_group,
                   &nps->stages[s]);
        for (int c = 0; c < CVO_NPS_CLASS__COUNT; c++)
            total[c] += ld->counts_stage[s][c];
    }
    group_from(total, "overall", ld->opt->min_group, &nps->overall);
    cvo_nps_difference_compute(&nps->stages[CVO_NPS_POST_DELIVERY],
                               &nps->stages[CVO_NPS_PRE_DELIVERY], &nps->difference);
    size_t n = nps->stages[CVO_NPS_STAGE_UNKNOWN].n ? 3 : 2;
    nps->groups[CVO_NPS_BY_STAGE] = mem_array(ld->ctx, n, sizeof(cvo_nps_group));
    if (nps->groups[CVO_NPS_BY_STAGE] == NULL)
        return ctx_nomem(ld->ctx);
    memcpy(nps->groups[CVO_NPS_BY_STAGE], nps->stages, n * sizeof(cvo_nps_group));
    nps->group_count[CVO_NPS_BY_STAGE] = n;
    return CVO_OK;
}

static cvo_status segment_groups(nps_load *ld)
{
    if (ld->counts_segment == NULL)
        return CVO_OK;
    const uint64_t *outside = &ld->counts_segment[ld->segments * CVO_NPS_CLASS__COUNT];
    size_t n = ld->segments + (outside[0] + outside[1] + outside[2] > 0);
    cvo_nps_group *rows = mem_zarray(ld->ctx, n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return ctx_nomem(ld->ctx);
    for (size_t s = 0; s < n; s++)
        group_from(&ld->counts_segment[s * CVO_NPS_CLASS__COUNT],
                   s < ld->segments ? cvo_scheme_segment_name(ld->opt->scheme, s)
                                    : "(not a customer)",
                   ld->opt->min_group, &rows[s]);
    ld->nps->groups[CVO_NPS_BY_SEGMENT] = rows;
    ld->nps->group_count[CVO_NPS_BY_SEGMENT] = n;
    return CVO_OK;
}

static int by_size_then_key(const void *a, const void *b)
{
    const cvo_nps_group *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const cvo_nps_group *)a)->key, ((const cvo_nps_group *)b)->key);
}

static cvo_status tally_groups_out(nps_load *ld, const tally *t, cvo_nps_dimension dim,
                                   int (*order)(const void *, const void *))
{
    cvo_nps_group *rows = mem_zarray(ld->ctx, t->used ? t->used : 1, sizeof *rows);
    if (rows == NULL)
        return ctx_nomem(ld->ctx);
    size_t n = 0;
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].text != NULL)
            group_from(t->slots[i].counts, t->slots[i].len ? t->slots[i].text : "(unknown)",
                       ld->opt->min_group, &rows[n++]);
    qsort(rows, n, sizeof *rows, order);
    ld->nps->groups[dim] = rows;
    ld->nps->group_count[dim] = n;
    return CVO_OK;
}

cvo_status nps_finish(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    CVO_TRY(stage_groups(ld));
    CVO_TRY(segment_groups(ld));
    CVO_TRY(tally_groups_out(ld, &ld->countries, CVO_NPS_BY_COUNTRY, by_size_then_key));
    CVO_TRY(tally_groups_out(ld, &ld->months, CVO_NPS_BY_MONTH, by_key));
    CVO_TRY(tally_groups_out(ld, &ld->products, CVO_NPS_BY_PRODUCT, by_size_then_key));
    CVO_TRY(tally_groups_out(ld, &ld->categories, CVO_NPS_BY_CATEGORY, by_size_then_key));
    CVO_TRY(nps_rank_terms(ld));
    if (nps->stats.used == 0 && nps->stats.later == 0) /* only later ones: none yet */
        return ctx_fail(ld->ctx, CVO_ERR_EMPTY, "%s: no usable NPS response", ld->name);
    return CVO_OK;
}

/* ---- accessors ---------------------------------------------------------------------- */

const cvo_nps_stats *cvo_nps_load_stats(const cvo_nps *nps)
{
    return &nps->stats;
}

const cvo_nps_group *cvo_nps_overall(const cvo_nps *nps)
{
    return &nps->overall;
}

const cvo_nps_group *cvo_nps_by_stage(const cvo_nps *nps, cvo_nps_stage stage)
{
    return &nps->stages[(unsigned)stage < CVO_NPS_STAGE__COUNT ? stage : CVO_NPS_STAGE_UNKNOWN];
}

const cvo_nps_difference *cvo_nps_stage_difference(const cvo_nps *nps)
{
    return &nps->difference;
}

const cvo_nps_group *cvo_nps_groups(const cvo_nps *nps, cvo_nps_dimension dimension,
                                    size_t *count)
{
    if ((unsigned)dimension >= CVO_NPS_BY__COUNT) {
        *count = 0;
        return NULL;
    }
    *count = nps->group_count[dimension];
    return nps->groups[dimension];
}

const cvo_nps_term *cvo_nps_top_terms(const cvo_nps *nps, cvo_nps_class nps_class, bool phrases,
                                      size_t *count)
{
    if ((unsigned)nps_class >= CVO_NPS_CLASS__COUNT) {
        *count = 0;
        return NULL;
    }
    *count = nps->term_count[nps_class][phrases];
    return nps->terms[nps_class][phrases];
}

const cvo_nps_term *cvo_nps_segment_terms(const cvo_nps *nps, size_t segment, bool phrases,
                                          size_t *count)
{
    *count = 0;
    if (nps == NULL || segment >= nps->segment_term_rows)
        return NULL;
    *count = nps->segment_term_count[segment][phrases];
    return nps->segment_terms[segment][phrases];
}

int32_t cvo_nps_customer_last_day(const cvo_nps *nps, size_t index)
{
    if (nps == NULL || index >= nps->customer_count || nps->last_score[index] < 0)
        return INT32_MIN;
    return nps->last_day[index];
}

const char *cvo_nps_customer_last_comment(const cvo_nps *nps, size_t index)
{
    if (nps == NULL || index >= nps->customer_count || nps->last_comment[index] == NULL)
        return "";
    return nps->last_comment[index];
}

int cvo_nps_customer_last(const cvo_nps *nps, size_t index)
{
    return index < nps->customer_count ? nps->last_score[index] : -1;
}

int cvo_nps_customer_post_delivery(const cvo_nps *nps, size_t index)
{
    return nps != NULL && index < nps->customer_count ? nps->post_score[index] : -1;
}

void cvo_nps_free(cvo_nps *nps)
{
    if (nps == NULL)
        return;
    cvo_ctx *ctx = nps->ctx;
    for (int d = 0; d < CVO_NPS_BY__COUNT; d++)
        mem_free(ctx, nps->groups[d]);
    mem_free(ctx, nps->last_score);
    mem_free(ctx, nps->last_day);
    mem_free(ctx, nps->last_comment);
    mem_free(ctx, nps->post_score);
    mem_free(ctx, nps->post_day);
    mem_free(ctx, nps->segment_terms);
    mem_free(ctx, nps->segment_term_count);
    arena_release(&nps->strings);
    mem_free(ctx, nps);
}
