/* exports.c - customers.csv, the action lists and loyalty tiers.
 * Every table is a list of typed columns (shared with the xlsx writer), so a
 * CSV and its spreadsheet sheet always hold the same cells. */
#include "output/cells.h"

#include "base/ctx.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <string.h>

/* ---- one customer's row ------------------------------------------------------- */

void export_row(const cvo_analysis *a, size_t index, cell_row *row)
{
    const cvo_scheme *scheme = cvo_analysis_scheme(a);
    row->analysis = a;
    row->index = index;
    row->customer = cvo_customers_at(cvo_analysis_customers(a), index);
    row->score = &cvo_rfm_scores(cvo_analysis_rfm(a))[index];
    row->result = &cvo_analysis_results(a)[index];
    row->segment = cvo_scheme_segment_name(scheme, row->score->segment);
    row->tier = cvo_analysis_tier_name(a, row->result->tier);
}

static const cvo_id_key no_key = {{0}};

void cvo_export_options_init(cvo_export_options *options)
{
    if (options != NULL)
        memset(options, 0, sizeof *options);
}

cvo_export_options export_options(const cvo_export_options *given)
{
    cvo_export_options o;
    cvo_export_options_init(&o);
    if (given != NULL)
        o = *given;
    if (o.id_key == NULL)
        o.id_key = &no_key;
    return o;
}

bool export_left_out(const cvo_export_options *o, const cvo_analysis *a, size_t index)
{
    return o->leave_out != NULL && o->leave_out(o->leave_out_data, a, index);
}

static const char *churn_name(cvo_churn_risk risk)
{
    return risk == CVO_CHURN_LOW ? "low" : risk == CVO_CHURN_HIGH ? "high" : "medium";
}

/* ---- cells of the customer table ----------------------------------------------- */

static void get_customer_id(const cell_row *row, cell *out)
{
    cell_set_text(out, row->customer->customer_id);
}

static void get_email(const cell_row *row, cell *out)
{
    cell_set_text(out, row->customer->email);
}

static void get_first_order(const cell_row *row, cell *out)
{
    cell_set_day(out, row->customer->first_order_day);
}

static void get_last_order(const cell_row *row, cell *out)
{
    cell_set_day(out, row->customer->last_order_day);
}

static void get_recency(const cell_row *row, cell *out)
{
    cell_set_int(out, row->score->recency_days);
}

static void get_frequency(const cell_row *row, cell *out)
{
    cell_set_int(out, row->customer->orders);
}

static void set_empty(cell *out)
{
    out->type = CELL_EMPTY;
}

/* A count-only event log has no money: its money cells stay empty, not 0.00. */
static bool no_amounts(const cell_row *row)
{
    return row->analysis != NULL && cvo_analysis_load_stats(row->analysis)->no_amounts;
}

static void get_monetary(const cell_row *row, cell *out)
{
    if (no_amounts(row))
        set_empty(out);
    else
        cell_set_money(out, row->customer->net_revenue_cents);
}

static void get_r(const cell_row *row, cell *out)
{
    cell_set_int(out, row->score->r);
}

static void get_f(const cell_row *row, cell *out)
{
    cell_set_int(out, row->score->f);
}

/* m 0: a count-only log has no M score; its RFM code is R and F alone. */
static void get_m(const cell_row *row, cell *out)
{
    if (row->score->m == 0)
        set_empty(out);
    else
        cell_set_int(out, row->score->m);
}

static void get_rfm(const cell_row *row, cell *out)
{
    const cvo_score *s = row->score;
    if (s->m == 0)
        cell_set_format(out, "%d%d", s->r, s->f);
    else
        cell_set_format(out, "%d%d%d", s->r, s->f, s->m);
}

static void get_segment(const cell_row *row, cell *out)
{
    cell_set_text(out, row->segment);
}

static void get_p_alive(const cell_row *row, cell *out)
{
    cell_set_real(out, row->result->p_alive, 4);
}

static void get_expected_orders(const cell_row *row, cell *out)
{
    cell_set_real(out, row->result->expected_orders, 4);
}

static void get_predicted_clv(const cell_row *row, cell *out)
{
    cell_set_real(out, row->result->predicted_clv, 2);
}

static void get_churn_risk(const cell_row *row, cell *out)
{
    cell_set_text(out, churn_name(row->result->churn_risk));
}

static void get_next_order(const cell_row *row, cell *out)
{
    cell_set_day(out, row->result->next_order_day);
}

static void get_winback(const cell_row *row, cell *out)
{
    cell_set_day(out, row->result->winback_day);
}

/* The customer's profit row; NULL when the analysis has none. */
static const cvo_profit_row *profit_row(const cell_row *row)
{
    if (no_amounts(row))
        return NULL;
    const cvo_profit *profit = cvo_analysis_profit(row->analysis);
    return profit ? &cvo_profit_rows(profit)[row->index] : NULL;
}

static void get_profit(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_row(row);
    if (p != NULL)
        cell_set_money(out, p->profit_cents);
    else
        set_empty(out);
}

static void get_predicted_profit(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_row(row);
    if (p != NULL && p->has_prediction)
        cell_set_money(out, p->predicted_profit_cents);
    else
        set_empty(out);
}

/* Empty when unknown, and when it never breaks even at its margin per order. */
static void get_break_even(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_row(row);
    if (p != NULL && p->break_even_orders > 0)
        cell_set_int(out, p->break_even_orders);
    else
        set_empty(out);
}

/* 1 / 0 like the list flags. */
static void get_profitable(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_row(row);
    if (p != NULL)
        cell_set_int(out, p->profitable);
    else
        set_empty(out);
}

/* The score of the customer's latest NPS response; -1 when none. */
static int nps_last(const cell_row *row)
{
    const cvo_nps *nps = cvo_analysis_nps(row->analysis);
    return nps ? cvo_nps_customer_last(nps, row->index) : -1;
}

static void get_nps_last(const cell_row *row, cell *out)
{
    int score = nps_last(row);
    if (score >= 0)
        cell_set_int(out, score);
    else
        set_empty(out);
}

static void get_nps_class(const cell_row *row, cell *out)
{
    int score = nps_last(row);
    if (score >= 0)
        cell_set_text(out, cvo_nps_class_name(cvo_nps_class_of(score)));
    else
        set_empty(out);
}

/* yes / no from the orders; empty when they did not say. */
static void get_consent(const cell_row *row, cell *out)
{
    uint8_t consent = row->result->consent;
    if (consent == CVO_CONSENT_UNKNOWN)
        set_empty(out);
    else
        cell_set_text(out, consent == CVO_CONSENT_YES ? "yes" : "no");
}

static void get_tier(const cell_row *row, cell *out)
{
    cell_set_text(out, row->tier);
}

#define FLAG_GETTER(name, bit)                                                                     \
    static void name(const cell_row *row, cell *out)                                               \
    {                                                                                              \
        cell_set_int(out, (row->result->lists & (bit)) != 0);                                      \
    }
FLAG_GETTER(get_exclude, CVO_LIST_EXCLUDE)
FLAG_GETTER(get_no_discount, CVO_LIST_NO_DISCOUNT)
FLAG_GETTER(get_winback_flag, CVO_LIST_WINBACK)
FLAG_GETTER(get_vip, CVO_LIST_VIP)
FLAG_GETTER(get_referral, CVO_LIST_REFERRAL)
FLAG_GETTER(get_interview, CVO_LIST_INTERVIEW)

/* The lists the customer is held out of (experiments), joined by ';'. */
static void get_holdout(const cell_row *row, cell *out)
{
    size_t used = 0;
    out->scratch[0] = '\0';
    for (unsigned bit = 1; bit < (1u << CVO_LIST_COUNT); bit <<= 1)
        if (row->result->holdout & bit)
            used += (size_t)snprintf(out->scratch + used, sizeof out->scratch - used, "%s%s",
                                     used ? ";" : "", cvo_list_name(bit));
    cell_set_text(out, out->scratch);
}

static const cell_column customer_columns[] = {
    {"customer_id", get_customer_id},
    {"email", get_email},
    {"first_order", get_first_order},
    {"last_order", get_last_order},
    {"recency_days", get_recency},
    {"frequency", get_frequency},
    {"monetary", get_monetary},
    {"r", get_r},
    {"f", get_f},
    {"m", get_m},
    {"rfm", get_rfm},
    {"segment", get_segment},
    {"p_alive", get_p_alive},
    {"expected_orders", get_expected_orders},
    {"predicted_clv", get_predicted_clv},
    {"churn_risk", get_churn_risk},
    {"next_order_date", get_next_order},
    {"winback_date", get_winback},
    {"profit", get_profit},
    {"predicted_profit", get_predicted_profit},
    {"orders_to_break_even", get_break_even},
    {"profitable", get_profitable},
    {"exclude", get_exclude},
    {"no_discount", get_no_discount},
    {"winback", get_winback_flag},
    {"vip", get_vip},
    {"referral", get_referral},
    {"interview", get_interview},
    {"holdout", get_holdout},
    {"loyalty_tier", get_tier},
    {"nps_last", get_nps_last},
    {"nps_class", get_nps_class},
    {"accepts_marketing", get_consent},
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

const cell_column *export_customer_columns(size_t *count)
{
    *count = COUNT_OF(customer_columns);
    return customer_columns;
}

/* ---- why a customer is on a list ------------------------------------------------ */

/* "P(alive) 0.08", or "no model" when it could not be estimated. */
static void p_alive_text(double p_alive, char *out, size_t size)
{
    if (isfinite(p_alive))
        snprintf(out, size, "P(alive) %.2f", p_alive);
    else
        snprintf(out, size, "no model");
}

static void rule_exclude(const cell_row *row, cell *out)
{
    const cvo_score *s = row->score;
    char p[32];
    p_alive_text(row->result->p_alive, p, sizeof p);
    const cvo_config *config = cvo_analysis_config(row->analysis);
    bool worst_rule = config && cvo_config_number(config, "lists", "exclude_worst_cell") != 0;
    if (worst_rule && s->r == 1 && s->f == 1 && s->m <= 1)
        cell_set_format(out, s->m ? "worst cell 111" : "worst cell 11");
    else
        cell_set_format(out, "lapsed %d days, %s, low value", (int)s->recency_days, p);
}

/* Cents as "-12.50", exact (no floating point). */
static void money_text(int64_t cents, char *out, size_t size)
{
    uint64_t magnitude = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(out, size, "%s%" PRIu64 ".%02u", cents < 0 ? "-" : "", magnitude / 100,
             (unsigned)(magnitude % 100));
}

static void rule_no_discount(const cell_row *row, cell *out)
{
    double p = row->result->p_alive;
    const cvo_config *config = cvo_analysis_config(row->analysis);
    double discount = config ? cvo_config_number(config, "lists", "standard_discount") : NAN;
    int64_t after = 0;
    char money[32];
    switch (cvo_analysis_no_discount_reason(row->analysis, row->index)) {
    case CVO_NO_DISCOUNT_LOST:
        cell_set_format(out, "P(alive) %.2f: a discount would not win them back", p);
        break;
    case CVO_NO_DISCOUNT_UNPROFITABLE:
        (void)cvo_analysis_profit_after_discount(row->analysis, row->index, &after);
        money_text(after, money, sizeof money);
        cell_set_format(out,
                        "a %.0f%% discount makes them unprofitable: expected profit %s over the "
                        "horizon",
                        discount * 100, money);
        break;
    case CVO_NO_DISCOUNT_FULL_PRICE:
        cell_set_format(out, "buys at full price anyway: %s, no discount code, P(alive) %.2f",
                        row->segment, p);
        break;
    default: cell_set_text(out, ""); break;
    }
}

/* "every ~45 days" from the customer's own orders, or "one order". */
static void rhythm_text(const cvo_customer *c, char *out, size_t size)
{
    if (c->orders > 1 && c->last_order_day > c->first_order_day)
        snprintf(out, size, "orders every ~%.0f days",
                 (double)(c->last_order_day - c->first_order_day) / (c->orders - 1));
    else
        snprintf(out, size, "one order");
}

static void rule_winback(const cell_row *row, cell *out)
{
    char date[11] = "", rhythm[48], p[32];
    if (row->result->winback_day != INT32_MIN)
        cvo_day_format(row->result->winback_day, date);
    rhythm_text(row->customer, rhythm, sizeof rhythm);
    p_alive_text(row->result->p_alive, p, sizeof p);
    cell_set_format(out, "send %s: last order %d days ago, %s, %s", date,
                    (int)row->score->recency_days, rhythm, p);
}

static void rule_vip(const cell_row *row, cell *out)
{
    double clv = row->result->predicted_clv, expected = row->result->expected_orders;
    if (no_amounts(row) && isfinite(expected))
        cell_set_format(out, "top expected orders %.2f", expected);
    else if (no_amounts(row))
        cell_set_format(out, "most orders %llu", (unsigned long long)row->customer->orders);
    else if (isfinite(clv))
        cell_set_format(out, "top predicted CLV %.2f", clv);
    else
        cell_set_format(out, "top historic value %.2f",
                        (double)row->customer->net_revenue_cents / 100.0);
}

static void rule_referral(const cell_row *row, cell *out)
{
    int score = nps_last(row);
    if (score >= 0 && cvo_nps_class_of(score) == CVO_NPS_PROMOTER) {
        cell_set_format(out, "promoter in %s", row->segment);
        return;
    }
    char p[32];
    p_alive_text(row->result->p_alive, p, sizeof p);
    cell_set_format(out, "top segment %s, last order %d days ago, %s", row->segment,
                    (int)row->score->recency_days, p);
}

static void rule_interview(const cell_row *row, cell *out)
{
    cell_set_format(out, "sample of top segment %s", row->segment);
}

/* ---- list tables ------------------------------------------------------------------ */

#define EMAIL                                                                                      \
    {                                                                                              \
        "Email", get_email                                                                         \
    }
#define CUSTOMER_ID                                                                                \
    {                                                                                              \
        "customer_id", get_customer_id                                                             \
    }
#define SEGMENT                                                                                    \
    {"segment", get_segment},                                                                      \
    {                                                                                              \
        "rfm", get_rfm                                                                             \
    }

static const cell_column exclude_columns[] = {
    EMAIL,
    SEGMENT,
    {"recency_days", get_recency},
    {"frequency", get_frequency},
    {"monetary", get_monetary},
    {"p_alive", get_p_alive},
    {"predicted_clv", get_predicted_clv},
    {"reason", rule_exclude},
    CUSTOMER_ID,
};
static const cell_column no_discount_columns[] = {
    EMAIL,
    SEGMENT,
    {"frequency", get_frequency},
    {"monetary", get_monetary},
    {"p_alive", get_p_alive},
    {"churn_risk", get_churn_risk},
    {"predicted_clv", get_predicted_clv},
    {"reason", rule_no_discount},
    CUSTOMER_ID,
};
static const cell_column winback_columns[] = {
    EMAIL,
    SEGMENT,
    {"recency_days", get_recency},
    {"frequency", get_frequency},
    {"p_alive", get_p_alive},
    {"predicted_clv", get_predicted_clv},
    {"winback_date", get_winback},
    {"reason", rule_winback},
    CUSTOMER_ID,
};
static const cell_column vip_columns[] = {
    EMAIL,
    SEGMENT,
    {"frequency", get_frequency},
    {"monetary", get_monetary},
    {"predicted_clv", get_predicted_clv},
    {"p_alive", get_p_alive},
    {"loyalty_tier", get_tier},
    {"reason", rule_vip},
    CUSTOMER_ID,
};
static const cell_column referral_columns[] = {
    EMAIL,
    SEGMENT,
    {"recency_days", get_recency},
    {"frequency", get_frequency},
    {"p_alive", get_p_alive},
    {"reason", rule_referral},
    CUSTOMER_ID,
};
static const cell_column interview_columns[] = {
    EMAIL,
    SEGMENT,
    {"recency_days", get_recency},
    {"frequency", get_frequency},
    {"monetary", get_monetary},
    {"predicted_clv", get_predicted_clv},
    {"reason", rule_interview},
    CUSTOMER_ID,
};
static const cell_column tier_columns[] = {
    EMAIL, {"tier", get_tier}, SEGMENT, {"predicted_clv", get_predicted_clv}, CUSTOMER_ID,
};

const cell_column *export_list_columns(unsigned list_bit, size_t *count)
{
    static const struct {
        unsigned bit;
        const cell_column *columns;
        size_t count;
    } lists[] = {
        {CVO_LIST_EXCLUDE, exclude_columns, COUNT_OF(exclude_columns)},
        {CVO_LIST_NO_DISCOUNT, no_discount_columns, COUNT_OF(no_discount_columns)},
        {CVO_LIST_WINBACK, winback_columns, COUNT_OF(winback_columns)},
        {CVO_LIST_VIP, vip_columns, COUNT_OF(vip_columns)},
        {CVO_LIST_REFERRAL, referral_columns, COUNT_OF(referral_columns)},
        {CVO_LIST_INTERVIEW, interview_columns, COUNT_OF(interview_columns)},
        {CVO_LIST_WINBACK_DUE, winback_columns, COUNT_OF(winback_columns)},
    };
    for (size_t i = 0; i < COUNT_OF(lists); i++)
        if (lists[i].bit == list_bit) {
            *count = lists[i].count;
            return lists[i].columns;
        }
    *count = 0;
    return NULL;
}

const cell_column *export_tier_columns(size_t *count)
{
    *count = COUNT_OF(tier_columns);
    return tier_columns;
}

/* ---- writing a table as CSV -------------------------------------------------------- */

static void write_header(cell_buf *b, const cell_column *columns, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        if (k > 0)
            cell_char(b, ',');
        cell_csv_text(b, columns[k].name);
    }
    cell_char(b, '\n');
}

static void write_csv_row(cell_buf *b, const cell_row *row, const cell_column *columns,
                          size_t count)
{
    cell value;
    for (size_t k = 0; k < count; k++) {
        if (k > 0)
            cell_char(b, ',');
        columns[k].get(row, &value);
        cell_write_csv(b, &value);
    }
    cell_char(b, '\n');
}

/* The rows of customers whose list bits include mask (every customer for 0);
 * held_out: whose holdout bits do. */
static cvo_status write_table(cvo_ctx *ctx, const cvo_analysis *a, const cell_column *columns,
                              size_t count, unsigned mask, bool held_out, FILE *out)
{
    if (ctx == NULL || a == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis or stream") : CVO_ERR_ARGUMENT;
    cell_buf b;
    cell_buf_init(&b, ctx);
    write_header(&b, columns, count);
    const cvo_customer_result *results = cvo_analysis_results(a);
    size_t customers = cvo_customers_count(cvo_analysis_customers(a));
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < customers; i++) {
        if (mask != 0 && ((held_out ? results[i].holdout : results[i].lists) & mask) == 0)
            continue;
        cell_row row;
        export_row(a, i, &row);
        write_csv_row(&b, &row, columns, count);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}

cvo_status cvo_write_customers_csv(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return write_table(ctx, a, customer_columns, COUNT_OF(customer_columns), 0, false, out);
}

cvo_status cvo_write_list(cvo_ctx *ctx, const cvo_analysis *a, unsigned list_bit, FILE *out)
{
    size_t count;
    const cell_column *columns = export_list_columns(list_bit, &count);
    if (columns == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "unknown list %#x", list_bit)
                   : CVO_ERR_ARGUMENT;
    return write_table(ctx, a, columns, count, list_bit, false, out);
}

cvo_status cvo_write_list_holdout(cvo_ctx *ctx, const cvo_analysis *a, unsigned list_bit, FILE *out)
{
    size_t count;
    const cell_column *columns = export_list_columns(list_bit, &count);
    if (columns == NULL || (list_bit & CVO_TREATMENT_LISTS) == 0)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "not a treatment list %#x", list_bit)
                   : CVO_ERR_ARGUMENT;
    return write_table(ctx, a, columns, count, list_bit, true, out);
}

cvo_status cvo_write_loyalty_tiers(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return write_table(ctx, a, tier_columns, COUNT_OF(tier_columns), 0, false, out);
}
