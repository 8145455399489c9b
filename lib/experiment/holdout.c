/* holdout.c - the arms of a run's experiments: every member of an
 * experiment's list is drawn into treatment or holdout by a keyed hash of the
 * experiment id and the customer, and the holdout leaves the list (the bit
 * moves to cvo_customer_result.holdout). Invariant: the draw depends on the
 * experiment id, the key and the customer only (never on order or run). */
#include "analysis/analyze.h"
#include "base/ctx.h"
#include "base/hmac.h"
#include "experiment/arms.h"

#include <math.h>
#include <string.h>

double cvo_holdout_share(const cvo_config *config, unsigned list_bit)
{
    if ((list_bit & CVO_TREATMENT_LISTS) == 0 || (list_bit & (list_bit - 1)) != 0)
        return 0;
    char key[32];
    snprintf(key, sizeof key, "%s", cvo_list_name(list_bit));
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    double share = cvo_config_number(config, "holdout", key);
    return isnan(share) ? cvo_config_number(config, "holdout", "share") : share;
}

/* The arm of customer c in x: recorded, else drawn (a new entrant). */
static bool draw_arm(const arms_experiment *x, const cvo_id_key *key, const cvo_customer *c,
                     const char *keyed, bool *entered)
{
    const arms_member *known = arms_find_recorded(x, keyed);
    *entered = known == NULL;
    if (known != NULL)
        return known->holdout;
    return keyed_uniform(key, x->pub.info.id, c->customer_id, c->email) < x->pub.info.share;
}

/* Draws the members of x among a's customers and holds the holdout out. */
static cvo_status hold_out_one(cvo_analysis *a, arms_experiment *x, const cvo_id_key *key)
{
    size_t n = cvo_customers_count(a->customers);
    unsigned bit = x->pub.info.list_bit;
    x->now = mem_array(a->ctx, n ? n : 1, sizeof *x->now);
    if (x->now == NULL)
        return ctx_nomem(a->ctx);
    for (size_t i = 0; i < n; i++) {
        cvo_customer_result *r = &a->results[i];
        if ((r->lists & bit) == 0)
            continue;
        const cvo_customer *c = cvo_customers_at(a->customers, i);
        arms_member *m = &x->now[x->now_count++];
        keyed_customer(key, c->customer_id, c->email, m->customer);
        bool entered = false;
        m->holdout = draw_arm(x, key, c, m->customer, &entered);
        x->pub.entered += entered;
        if (!m->holdout) {
            x->pub.treatment++;
            continue;
        }
        x->pub.holdout++;
        r->lists &= ~bit;
        r->holdout |= bit;
        if (bit == CVO_LIST_WINBACK)
            r->lists &= ~(unsigned)CVO_LIST_WINBACK_DUE;
    }
    return CVO_OK;
}

/* A new experiment's planned size, decided before it starts: the plan of its
 * list on its primary metric, made while the whole list is still on it (0,
 * no verdict size, when no plan can be made). */
static void plan_size(cvo_analysis *a, arms_experiment *x)
{
    cvo_experiment_plan plan;
    if (x->pub.starts && cvo_experiment_plan_compute(a->ctx, a, x->pub.info.list_bit, NULL,
                                                     x->pub.info.primary, &plan) == CVO_OK)
        x->pub.info.planned_members = plan.planned_members;
}

cvo_status cvo_analysis_hold_out(cvo_analysis *a, cvo_experiments *e, const cvo_id_key *key)
{
    if (a == NULL)
        return CVO_ERR_ARGUMENT;
    if (e == NULL || key == NULL)
        return ctx_fail(a->ctx, CVO_ERR_ARGUMENT, "hold out: no experiments or key");
    if (e->held_out || a->experiments != NULL)
        return ctx_fail(a->ctx, CVO_ERR_ARGUMENT, "hold out: the arms are drawn once");
    e->held_out = true;
    for (size_t k = 0; k < e->count; k++)
        plan_size(a, &e->items[k]);
    for (size_t k = 0; k < e->count; k++)
        CVO_TRY(hold_out_one(a, &e->items[k], key));
    a->experiments = e;
    return CVO_OK;
}

const cvo_experiments *cvo_analysis_experiments(const cvo_analysis *a)
{
    return a ? a->experiments : NULL;
}

void cvo_analysis_set_experiment_results(cvo_analysis *a, const cvo_experiment_results *results)
{
    if (a != NULL)
        a->experiment_results = results;
}

const cvo_experiment_results *cvo_analysis_experiment_results(const cvo_analysis *a)
{
    return a ? a->experiment_results : NULL;
}
