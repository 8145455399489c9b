/* exports.c - customers.csv, the action lists, loyalty tiers and summary.json.
 * Every table is a list of typed columns (shared with the xlsx writer), so a
 * CSV and its spreadsheet sheet always hold the same cells. */
#include "output/cells.h"
#include "output/experiments_json.h"

#include "base/ctx.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <string.h>

/* Significant findings kept per grouping and direction in summary.json. */
#define SUMMARY_DRIVERS 20

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

/* ---- summary.json ----------------------------------------------------------------- */

/* A JSON object being written: members are separated as they come. */
typedef struct json_obj {
    cell_buf *b;
    bool open;
} json_obj;

static void obj_key(json_obj *o, const char *key)
{
    cell_char(o->b, o->open ? ',' : '{');
    o->open = true;
    cell_json_string(o->b, key);
    cell_char(o->b, ':');
}

static void obj_end(json_obj *o)
{
    cell_str(o->b, o->open ? "}" : "{}");
}

static void obj_uint(json_obj *o, const char *key, uint64_t value)
{
    obj_key(o, key);
    cell_int(o->b, value > INT64_MAX ? INT64_MAX : (int64_t)value);
}

static void obj_number(json_obj *o, const char *key, double value)
{
    obj_key(o, key);
    cell_json_number(o->b, value);
}

static void obj_money(json_obj *o, const char *key, int64_t cents)
{
    obj_key(o, key);
    cell_money(o->b, cents);
}

/* A string, or null for NULL. */
static void obj_text(json_obj *o, const char *key, const char *text)
{
    obj_key(o, key);
    if (text != NULL)
        cell_json_string(o->b, text);
    else
        cell_str(o->b, "null");
}

static void obj_bool(json_obj *o, const char *key, bool value)
{
    obj_key(o, key);
    cell_str(o->b, value ? "true" : "false");
}

static void obj_day(json_obj *o, const char *key, int32_t day)
{
    cell value;
    cell_set_day(&value, day);
    obj_key(o, key);
    cell_write_json(o->b, &value);
}

static void summary_records(json_obj *o, const cvo_load_stats *stats)
{
    obj_key(o, "records");
    if (stats == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj records = {o->b, false}, reasons = {o->b, false};
    obj_uint(&records, "read", stats->records);
    obj_uint(&records, "used", stats->used);
    obj_uint(&records, "not_counted", stats->not_counted);
    obj_uint(&records, "rejected", stats->rejected);
    obj_key(&records, "by_reason");
    for (int k = 0; k < CVO_REJECT__COUNT; k++)
        obj_uint(&reasons, cvo_reject_reason_name((cvo_reject_reason)k),
                 stats->rejected_by_reason[k]);
    obj_end(&reasons);
    json_obj statuses = {o->b, false};
    obj_key(&records, "not_counted_orders_by_status");
    for (uint32_t i = 0; i < stats->status_kinds; i++)
        obj_uint(&statuses, stats->not_counted_by_status[i].status,
                 stats->not_counted_by_status[i].orders);
    obj_end(&statuses);
    obj_end(&records);
}

static void summary_segment(cell_buf *b, const cvo_segment_row *s)
{
    json_obj o = {b, false};
    obj_text(&o, "segment", s->name);
    obj_uint(&o, "customers", s->customers);
    obj_number(&o, "share", s->customer_share);
    obj_money(&o, "revenue", s->revenue_cents);
    obj_number(&o, "revenue_share", s->revenue_share);
    obj_uint(&o, "orders", s->orders);
    obj_money(&o, "aov", s->aov_cents);
    obj_number(&o, "median_recency_days", s->median_recency_days);
    obj_end(&o);
}

static void summary_segments(json_obj *o, const cvo_analysis *a)
{
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    size_t count = rows ? cvo_scheme_segment_count(cvo_analysis_scheme(a)) : 0;
    obj_key(o, "segments");
    cell_char(o->b, '[');
    for (size_t g = 0; g < count; g++) {
        if (g > 0)
            cell_char(o->b, ',');
        summary_segment(o->b, &rows[g]);
    }
    cell_char(o->b, ']');
}

static void fit_params(json_obj *o, const char *key, const cvo_fit *fit, const double *values)
{
    json_obj params = {o->b, false};
    obj_key(o, key);
    for (int k = 0; k < fit->nparams && k < 4; k++)
        obj_number(&params, fit->param_names[k] ? fit->param_names[k] : "?", values[k]);
    obj_end(&params);
}

/* One fit as cvo fit --json prints it; null when there is none. */
static void summary_fit(json_obj *o, const char *key, const cvo_fit *fit)
{
    obj_key(o, key);
    if (fit == NULL || fit->nparams <= 0) {
        cell_str(o->b, "null");
        return;
    }
    json_obj f = {o->b, false};
    obj_text(&f, "model", cvo_model_name(fit->model));
    fit_params(&f, "params", fit, fit->params);
    fit_params(&f, "stderr", fit, fit->std_error);
    obj_number(&f, "loglik", fit->loglik);
    obj_uint(&f, "n", fit->n);
    obj_bool(&f, "converged", fit->converged);
    obj_uint(&f, "iterations", fit->iterations > 0 ? (uint64_t)fit->iterations : 0);
    obj_text(&f, "note", fit->note);
    cvo_fit nbd;
    if (cvo_fit_reduced(fit, &nbd)) { /* only then, so earlier summaries read the same */
        obj_text(&f, "status", cvo_fit_status_name(fit->status));
        summary_fit(&f, "nbd", &nbd);
    }
    obj_end(&f);
}

static void summary_model(json_obj *o, const cvo_analysis *a)
{
    json_obj m = {o->b, false};
    obj_key(o, "model");
    obj_bool(&m, "ok", cvo_analysis_model_ok(a));
    obj_text(&m, "note", cvo_analysis_model_note(a));
    summary_fit(&m, "purchase", cvo_analysis_purchase_fit(a));
    summary_fit(&m, "spend", cvo_analysis_spend_fit(a));
    obj_end(&m);
}

static void obj_series(json_obj *o, const char *key, const double *values, size_t count)
{
    obj_key(o, key);
    cell_char(o->b, '[');
    for (size_t i = 0; values != NULL && i < count; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        cell_json_number(o->b, values[i]);
    }
    cell_char(o->b, ']');
}

static void backtest_bin(cell_buf *b, const cvo_backtest_bin *bin, bool last)
{
    char label[16];
    json_obj o = {b, false};
    snprintf(label, sizeof label, "%d%s", bin->x, last ? "+" : "");
    obj_text(&o, "x", label);
    obj_number(&o, "customers", bin->customers);
    obj_number(&o, "actual", bin->actual);
    obj_number(&o, "model", bin->model);
    obj_number(&o, "naive", bin->naive);
    obj_end(&o);
}

static void backtest_tracking(json_obj *o, const cvo_backtest *bt)
{
    json_obj t = {o->b, false};
    obj_key(o, "tracking");
    obj_uint(&t, "calibration_periods", bt->calibration_periods);
    obj_series(&t, "actual", bt->tracking_actual, bt->periods);
    obj_series(&t, "model", bt->tracking_model, bt->periods);
    obj_end(&t);
}

/* The backtest as cvo fit --json prints it. */
static void backtest_object(cell_buf *b, const cvo_backtest *bt)
{
    json_obj o = {b, false};
    obj_number(&o, "holdout", bt->holdout);
    obj_number(&o, "customers", bt->customers);
    obj_number(&o, "actual", bt->actual_total);
    obj_number(&o, "model", bt->model_total);
    obj_number(&o, "naive", bt->naive_total);
    obj_number(&o, "model_mae", bt->model_mae);
    obj_number(&o, "naive_mae", bt->naive_mae);
    obj_number(&o, "model_rmse", bt->model_rmse);
    obj_number(&o, "naive_rmse", bt->naive_rmse);
    obj_number(&o, "correlation", bt->model_correlation);
    obj_key(&o, "by_frequency");
    cell_char(b, '[');
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        if (i > 0)
            cell_char(b, ',');
        backtest_bin(b, &bt->bins[i], i == CVO_BACKTEST_BINS - 1);
    }
    cell_char(b, ']');
    backtest_tracking(&o, bt);
    json_obj season = {b, false};
    obj_key(&o, "season");
    obj_bool(&season, "applied", bt->season_applied);
    obj_number(&season, "model_without_index", bt->model_total_plain);
    obj_text(&season, "note", bt->season_note);
    obj_end(&season);
    obj_end(&o);
}

/* A seasonal index: active, its 12 values (null when none), why none. */
static void season_object(json_obj *o, const char *key, const cvo_season *s)
{
    json_obj x = {o->b, false};
    obj_key(o, key);
    obj_bool(&x, "active", s->active);
    if (s->active)
        obj_series(&x, "index", s->index, 12);
    else {
        obj_key(&x, "index");
        cell_str(o->b, "null");
    }
    obj_text(&x, "note", s->note);
    obj_end(&x);
}

static void summary_backtest(json_obj *o, const cvo_analysis *a)
{
    const cvo_backtest *bt = cvo_analysis_backtest(a);
    obj_day(o, "calibration_end", cvo_analysis_calibration_end(a));
    obj_key(o, "backtest");
    if (bt != NULL)
        backtest_object(o->b, bt);
    else
        cell_str(o->b, "null");
    obj_text(o, "backtest_note", cvo_analysis_backtest_note(a));
    json_obj seasons = {o->b, false};
    obj_key(o, "seasonal_index");
    season_object(&seasons, "predictions", cvo_analysis_season(a, false));
    season_object(&seasons, "backtest", cvo_analysis_season(a, true));
    obj_end(&seasons);
}

/* One candidate of the model choice: its calibration fit and holdout errors. */
static void choice_candidate(cell_buf *b, const cvo_model_choice *c, int i)
{
    json_obj o = {b, false};
    const cvo_choice_metrics *m = &c->metrics[i];
    bool tested = isfinite(m->mae);
    obj_text(&o, "model", cvo_model_name(c->models[i]));
    obj_bool(&o, "chosen", i == c->chosen);
    obj_bool(&o, "backtested", tested);
    obj_text(&o, "fit", tested ? cvo_fit_status_name(c->fits[i].status) : "");
    obj_text(&o, "note", c->notes[i]);
    obj_number(&o, "calibration_loglik", tested ? c->fits[i].loglik : NAN);
    obj_number(&o, "actual_per_customer", m->actual);
    obj_number(&o, "predicted_per_customer", m->predicted);
    obj_number(&o, "mae", m->mae);
    obj_number(&o, "rmse", m->rmse);
    obj_number(&o, "correlation", m->correlation);
    obj_number(&o, "log_score", m->log_score);
    obj_number(&o, "log_score_se", m->log_score_se);
    obj_end(&o);
}

/* "model_choice": which purchase model was used and why, with every candidate. */
static void summary_model_choice(json_obj *o, const cvo_analysis *a)
{
    const cvo_model_choice *c = cvo_analysis_model_choice(a);
    obj_key(o, "model_choice");
    if (c == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj m = {o->b, false};
    obj_text(&m, "chosen", c->chosen >= 0 ? cvo_model_name(c->models[c->chosen]) : "");
    obj_bool(&m, "forced", c->forced);
    obj_text(&m, "criterion",
             "holdout log score per customer; within 2 standard errors, holdout mean absolute "
             "error per customer; then the simpler model");
    obj_number(&m, "score_z", CVO_CHOICE_SCORE_Z);
    obj_number(&m, "customers", (double)c->customers);
    obj_number(&m, "compared", (double)c->compared);
    obj_text(&m, "reason", c->reason);
    obj_key(&m, "candidates");
    cell_char(o->b, '[');
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        choice_candidate(o->b, c, i);
    }
    cell_char(o->b, ']');
    obj_end(&m);
}

/* "spend_backtest": Gamma-Gamma on the calibration part against the holdout. */
static void summary_spend_backtest(json_obj *o, const cvo_analysis *a)
{
    const cvo_spend_backtest *sp = cvo_analysis_spend_backtest(a);
    obj_key(o, "spend_backtest");
    if (sp == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj m = {o->b, false};
    obj_number(&m, "customers", sp->customers);
    obj_number(&m, "actual_total", sp->actual_total);
    obj_number(&m, "predicted_total", sp->predicted_total);
    obj_number(&m, "mae", sp->mae);
    obj_number(&m, "repeat_buyers", sp->repeat_buyers);
    obj_number(&m, "frequency_spend_correlation", sp->correlation);
    obj_bool(&m, "correlation_warned", sp->correlation_warned);
    obj_text(&m, "correlation_note", sp->correlation_note);
    obj_end(&m);
}

static void profit_segment(cell_buf *b, const cvo_profit_segment *s)
{
    json_obj o = {b, false};
    obj_text(&o, "segment", s->name);
    obj_uint(&o, "customers", s->customers);
    obj_money(&o, "revenue", s->revenue_cents);
    obj_number(&o, "revenue_share", s->revenue_share);
    obj_money(&o, "profit", s->profit_cents);
    obj_number(&o, "profit_share", s->profit_share);
    obj_money(&o, "mean_profit", s->mean_profit_cents);
    obj_uint(&o, "unprofitable", s->unprofitable);
    obj_number(&o, "unprofitable_share", s->unprofitable_share);
    obj_money(&o, "predicted_profit", s->predicted_profit_cents);
    obj_end(&o);
}

/* Which source costed what share of net revenue. */
static void profit_cost_sources(json_obj *o, const cvo_profit_totals *t)
{
    json_obj c = {o->b, false};
    obj_key(o, "cost_sources");
    obj_number(&c, "line_unit_cost", t->from_line_share);
    obj_number(&c, "products_file", t->from_products_share);
    obj_number(&c, "default_margin", t->by_default_share);
    obj_end(&c);
}

static void profit_totals(json_obj *o, const cvo_profit_totals *t)
{
    obj_uint(o, "customers", t->customers);
    obj_uint(o, "orders", t->orders);
    obj_uint(o, "unprofitable", t->unprofitable);
    obj_money(o, "revenue", t->revenue_cents);
    obj_money(o, "cogs", t->cogs_cents);
    obj_money(o, "shipping", t->shipping_cents);
    obj_money(o, "fees", t->fee_cents);
    obj_money(o, "margin", t->margin_cents);
    obj_money(o, "acquisition", t->acquisition_cents);
    obj_money(o, "profit", t->profit_cents);
    obj_key(o, "predicted_profit");
    if (t->purchase_model)
        cell_money(o->b, t->predicted_profit_cents);
    else
        cell_str(o->b, "null");
    obj_money(o, "discounts", t->discount_cents);
    obj_money(o, "mean_margin_per_order", t->mean_margin_cents);
}

/* The profit object: totals, cost sources, the segment table; null without profit. */
static void summary_profit(json_obj *o, const cvo_analysis *a)
{
    const cvo_profit *profit = cvo_analysis_profit(a);
    obj_key(o, "profit");
    if (profit == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj p = {o->b, false};
    profit_totals(&p, cvo_profit_overall(profit));
    profit_cost_sources(&p, cvo_profit_overall(profit));
    obj_text(&p, "note", cvo_profit_note(profit));
    obj_key(&p, "segments");
    cell_char(o->b, '[');
    const cvo_profit_segment *segments = cvo_profit_segments(profit);
    for (size_t g = 0; g < cvo_profit_segment_count(profit); g++) {
        if (g > 0)
            cell_char(o->b, ',');
        profit_segment(o->b, &segments[g]);
    }
    cell_char(o->b, ']');
    obj_end(&p);
}

/* One metric of a cohort's cells as an array: 0 repeat share, 1 retention
 * share, 2 revenue and 3 profit per customer (money, to the cent). */
static void cohort_series(json_obj *o, const char *key, const cvo_cohort *c, int metric)
{
    obj_key(o, key);
    cell_char(o->b, '[');
    for (size_t k = 0; k < c->months; k++) {
        const cvo_cohort_cell *at = &c->cells[k];
        if (k > 0)
            cell_char(o->b, ',');
        if (metric < 2)
            cell_json_number(o->b, metric == 0 ? at->repeat_share : at->retention_share);
        else
            cell_money(o->b,
                       llround(metric == 2 ? at->revenue_per_customer : at->profit_per_customer));
    }
    cell_char(o->b, ']');
}

/* The cohorts object (see cvo_cohorts): per cohort, one array per metric
 * indexed by month offset; null when there are none. */
static void summary_cohorts(json_obj *o, const cvo_analysis *a)
{
    const cvo_cohorts *co = cvo_analysis_cohorts(a);
    obj_key(o, "cohorts");
    if (co == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj top = {o->b, false};
    obj_day(&top, "as_of", cvo_cohorts_as_of(co));
    obj_key(&top, "rows");
    cell_char(o->b, '[');
    for (size_t r = 0; r < cvo_cohorts_count(co); r++) {
        const cvo_cohort *c = cvo_cohorts_at(co, r);
        char name[16];
        snprintf(name, sizeof name, "%04d-%02d", c->year, c->month);
        if (r > 0)
            cell_char(o->b, ',');
        json_obj row = {o->b, false};
        obj_text(&row, "cohort", name);
        obj_uint(&row, "customers", c->customers);
        obj_bool(&row, "last_complete", c->cells[c->months - 1].complete);
        cohort_series(&row, "repeat_share", c, 0);
        cohort_series(&row, "retention_share", c, 1);
        cohort_series(&row, "revenue_per_customer", c, 2);
        cohort_series(&row, "profit_per_customer", c, 3);
        obj_end(&row);
    }
    cell_char(o->b, ']');
    obj_end(&top);
}

/* One NPS group's counts, score and interval. */
static void nps_group(json_obj *o, const char *key, const cvo_nps_group *g)
{
    json_obj n = {o->b, false};
    obj_key(o, key);
    obj_uint(&n, "n", g->n);
    obj_uint(&n, "promoters", g->promoters);
    obj_uint(&n, "passives", g->passives);
    obj_uint(&n, "detractors", g->detractors);
    obj_number(&n, "nps", g->nps);
    obj_number(&n, "ci_low", g->ci_low);
    obj_number(&n, "ci_high", g->ci_high);
    obj_bool(&n, "small", g->small);
    obj_end(&n);
}

static void nps_difference(json_obj *o, const cvo_nps_difference *d)
{
    obj_key(o, "post_minus_pre");
    if (!d->available) {
        cell_str(o->b, "null");
        return;
    }
    json_obj n = {o->b, false};
    obj_number(&n, "difference", d->difference);
    obj_number(&n, "ci_low", d->ci_low);
    obj_number(&n, "ci_high", d->ci_high);
    obj_end(&n);
}

/* "key":{group: {...}, ...} for one dimension. */
static void nps_dimension(json_obj *o, const cvo_nps *nps, cvo_nps_dimension dim, const char *key)
{
    size_t count = 0;
    const cvo_nps_group *groups = cvo_nps_groups(nps, dim, &count);
    json_obj s = {o->b, false};
    obj_key(o, key);
    for (size_t g = 0; g < count; g++)
        nps_group(&s, groups[g].key, &groups[g]);
    obj_end(&s);
}

/* The nps object: responses, overall, by stage, segment, product and category;
 * null without answers. */
static void summary_nps(json_obj *o, const cvo_analysis *a)
{
    const cvo_nps *nps = cvo_analysis_nps(a);
    obj_key(o, "nps");
    if (nps == NULL) {
        cell_str(o->b, "null");
        return;
    }
    const cvo_nps_stats *st = cvo_nps_load_stats(nps);
    json_obj n = {o->b, false}, stages = {o->b, false};
    obj_uint(&n, "responses", st->records);
    obj_uint(&n, "used", st->used);
    obj_uint(&n, "rejected", st->rejected);
    obj_uint(&n, "joined_customers", st->joined_customers);
    nps_group(&n, "overall", cvo_nps_overall(nps));
    obj_key(&n, "by_stage");
    nps_group(&stages, "pre_delivery", cvo_nps_by_stage(nps, CVO_NPS_PRE_DELIVERY));
    nps_group(&stages, "post_delivery", cvo_nps_by_stage(nps, CVO_NPS_POST_DELIVERY));
    obj_end(&stages);
    nps_difference(&n, cvo_nps_stage_difference(nps));
    nps_dimension(&n, nps, CVO_NPS_BY_SEGMENT, "by_segment");
    nps_dimension(&n, nps, CVO_NPS_BY_PRODUCT, "by_product");
    nps_dimension(&n, nps, CVO_NPS_BY_CATEGORY, "by_category");
    obj_end(&n);
}

/* One significant finding of a dive. */
static void driver_row(cell_buf *b, const cvo_dive *d, const cvo_dive_row *r)
{
    json_obj row = {b, false};
    obj_text(&row, "key", r->key);
    obj_text(&row, "metric", cvo_dive_metric_name(d, r->metric));
    obj_uint(&row, "customers", r->customers);
    obj_number(&row, "value", r->value);
    obj_number(&row, "rest", r->rest_value);
    obj_number(&row, "diff", r->diff);
    obj_number(&row, "ci_low", r->ci_low);
    obj_number(&row, "ci_high", r->ci_high);
    obj_number(&row, "q_value", r->q_value);
    obj_text(&row, "direction", cvo_dive_direction_name(r->direction));
    obj_bool(&row, "significant", r->significant);
    obj_number(&row, "adj_diff", r->adj_diff);
    obj_number(&row, "adj_ci_low", r->adj_ci_low);
    obj_number(&row, "adj_ci_high", r->adj_ci_high);
    obj_number(&row, "adj_q", r->adj_q);
    obj_bool(&row, "adj_significant", r->adj_significant);
    obj_end(&row);
}

/* The drivers object: per grouping, its rows significant raw or adjusted for
 * first-order value, most convincing first (cvo dive --json has every row). */
static void summary_drivers(json_obj *o, const cvo_analysis *a)
{
    json_obj top = {o->b, false};
    obj_key(o, "drivers");
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
        const cvo_dive *d = cvo_analysis_dive(a, (cvo_dive_by)by);
        if (d == NULL)
            continue;
        obj_key(&top, cvo_dive_by_name((cvo_dive_by)by));
        cell_char(o->b, '[');
        bool first = true;
        for (int dir = CVO_DIVE_HARMFUL; dir <= CVO_DIVE_HELPFUL; dir++) {
            const cvo_dive_row *rows[SUMMARY_DRIVERS];
            size_t n = cvo_dive_rank(d, (cvo_dive_direction)dir, rows, SUMMARY_DRIVERS);
            for (size_t i = 0; i < n; i++) {
                if (!rows[i]->significant && !rows[i]->adj_significant)
                    continue;
                if (!first)
                    cell_char(o->b, ',');
                first = false;
                driver_row(o->b, d, rows[i]);
            }
        }
        cell_char(o->b, ']');
    }
    obj_end(&top);
}

static void covariate_effect(json_obj *o, const char *key, const cvo_cov_effect *e)
{
    json_obj x = {o->b, false};
    obj_key(o, key);
    obj_number(&x, "gamma", e->gamma);
    obj_number(&x, "std_error", e->std_error);
    obj_number(&x, "factor", e->factor);
    obj_number(&x, "factor_low", e->factor_low);
    obj_number(&x, "factor_high", e->factor_high);
    obj_end(&x);
}

/* The deep dives' model: Pareto/NBD with the discount and channel covariates
 * (cvo_analysis_covariates), or null with the reason. */
static void summary_covariates(json_obj *o, const cvo_analysis *a)
{
    const cvo_cov_fit *fit = cvo_analysis_covariates(a);
    obj_key(o, "covariates");
    json_obj c = {o->b, false};
    obj_text(&c, "model", fit ? cvo_model_name(fit->model) : "pnbd");
    obj_bool(&c, "fitted", fit != NULL);
    obj_text(&c, "note", cvo_analysis_covariates_note(a));
    if (fit != NULL) {
        obj_uint(&c, "customers", fit->n);
        obj_number(&c, "loglik", fit->loglik);
        obj_number(&c, "loglik_base", fit->loglik_base);
        obj_key(&c, "effects");
        cell_char(o->b, '[');
        for (size_t j = 0; j < fit->columns; j++) {
            json_obj e = {o->b, false};
            if (j > 0)
                cell_char(o->b, ',');
            obj_text(&e, "name", fit->column[j].name);
            obj_text(&e, "group", fit->column[j].group);
            obj_number(&e, "customers", fit->column[j].customers);
            covariate_effect(&e, "purchase", &fit->column[j].purchase);
            covariate_effect(&e, "dropout", &fit->column[j].dropout);
            char text[320];
            cvo_cov_effect_text(fit, j, true, text, sizeof text);
            obj_text(&e, "dropout_text", text);
            obj_end(&e);
        }
        cell_char(o->b, ']');
    }
    obj_end(&c);
}

/* The test of an opportunity: its list's plan on profit, or null. */
static void opportunity_test(json_obj *o, const cvo_opportunity *op)
{
    obj_key(o, "test");
    if (!op->has_test) {
        cell_str(o->b, "null");
        return;
    }
    const cvo_experiment_plan *p = &op->test;
    json_obj t = {o->b, false};
    obj_text(&t, "list", cvo_list_name(p->list_bit));
    obj_text(&t, "metric", cvo_exp_metric_name(p->metric));
    obj_uint(&t, "members_now", p->members_now);
    obj_number(&t, "mde", isfinite(p->mde_now) ? p->mde_now / 100 : NAN); /* cents -> units */
    obj_number(&t, "mde_relative", p->mde_relative_now);
    obj_number(&t, "target_effect", p->target_effect);
    obj_uint(&t, "planned_members", p->planned_members);
    obj_number(&t, "weeks", p->weeks);
    obj_bool(&t, "too_small", p->too_small);
    obj_end(&t);
}

static void opportunity_row(cell_buf *b, const cvo_opportunity *op, size_t rank)
{
    json_obj o = {b, false};
    obj_uint(&o, "rank", rank);
    obj_text(&o, "kind", cvo_opportunity_kind_name(op->kind));
    obj_text(&o, "key", op->key);
    obj_text(&o, "what", op->what);
    obj_uint(&o, "customers", op->customers);
    obj_money(&o, "at_stake", op->at_stake_cents);
    obj_money(&o, "at_stake_low", op->at_stake_low_cents);
    obj_money(&o, "at_stake_high", op->at_stake_high_cents);
    obj_text(&o, "basis", op->from_effect ? "adjusted_effect" : "model");
    obj_number(&o, "effect", op->effect);
    obj_number(&o, "effect_low", op->effect_low);
    obj_number(&o, "effect_high", op->effect_high);
    obj_number(&o, "effect_q", op->effect_q);
    obj_text(&o, "list", op->action_list ? cvo_list_name(op->action_list) : NULL);
    obj_text(&o, "action", op->action);
    opportunity_test(&o, op);
    obj_end(&o);
}

/* The opportunities, highest profit at stake first ([] when none). */
static void summary_opportunities(json_obj *o, const cvo_opportunities *opps)
{
    obj_key(o, "opportunities");
    if (opps == NULL) {
        cell_str(o->b, "null");
        return;
    }
    size_t n = 0;
    const cvo_opportunity *items = cvo_opportunities_items(opps, &n);
    cell_char(o->b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        opportunity_row(o->b, &items[i], i + 1);
    }
    cell_char(o->b, ']');
}

/* Counts over the customers: list members, tiers, Klaviyo profiles. */
typedef struct summary_counts {
    uint64_t orders;
    int64_t revenue_cents;
    uint64_t lists[CVO_LIST_COUNT];
    uint64_t tiers[256];
    uint64_t without_email;
    uint64_t profiles;   /* with an email and not left out */
    uint64_t consent[3]; /* by CVO_CONSENT_* */
    uint64_t left_out;
} summary_counts;

static void count_customers(const cvo_analysis *a, summary_counts *counts)
{
    const cvo_customers *customers = cvo_analysis_customers(a);
    const cvo_customer_result *results = cvo_analysis_results(a);
    memset(counts, 0, sizeof *counts);
    for (size_t i = 0; i < cvo_customers_count(customers); i++) {
        const cvo_customer *c = cvo_customers_at(customers, i);
        counts->orders += c->orders;
        counts->revenue_cents += c->net_revenue_cents;
        counts->without_email += c->email[0] == '\0';
        counts->profiles += c->email[0] != '\0' && !results[i].left_out;
        counts->consent[results[i].consent < 3 ? results[i].consent : 0]++;
        counts->left_out += results[i].left_out;
        counts->tiers[results[i].tier]++;
        for (int k = 0; k < CVO_LIST_COUNT; k++)
            counts->lists[k] += (results[i].lists >> k) & 1u;
    }
}

static void summary_lists(json_obj *o, const cvo_analysis *a, const summary_counts *counts)
{
    json_obj lists = {o->b, false}, tiers = {o->b, false};
    obj_key(o, "lists");
    for (int k = 0; k < CVO_LIST_COUNT; k++)
        obj_uint(&lists, cvo_list_name(1u << k), counts->lists[k]);
    obj_end(&lists);
    obj_key(o, "loyalty_tiers");
    for (size_t t = 0; t < cvo_analysis_tier_count(a) && t < 256; t++)
        obj_uint(&tiers, cvo_analysis_tier_name(a, t), counts->tiers[t]);
    obj_end(&tiers);
}

/* Marketing consent: what the orders said, and who is left out for it. */
static void summary_consent(json_obj *o, const summary_counts *counts)
{
    json_obj c = {o->b, false};
    obj_key(o, "consent");
    obj_uint(&c, "accepts", counts->consent[CVO_CONSENT_YES]);
    obj_uint(&c, "declines", counts->consent[CVO_CONSENT_NO]);
    obj_uint(&c, "unknown", counts->consent[CVO_CONSENT_UNKNOWN]);
    obj_uint(&c, "left_out", counts->left_out);
    obj_end(&c);
}

static void summary_klaviyo(json_obj *o, uint64_t customers, const summary_counts *counts)
{
    json_obj k = {o->b, false};
    (void)customers;
    obj_key(o, "klaviyo");
    obj_uint(&k, "profiles", counts->profiles);
    obj_uint(&k, "without_email", counts->without_email);
    obj_uint(&k, "without_consent", counts->left_out);
    obj_uint(&k, "winback_due_events", counts->lists[6]);
    obj_end(&k);
}

/* The experiments of the run (cvo_analysis_hold_out): per experiment its id,
 * list, share, start and this run's arms ([] without experiments). */
static void summary_holdouts(json_obj *o, const cvo_analysis *a)
{
    const cvo_experiments *e = cvo_analysis_experiments(a);
    obj_key(o, "holdouts");
    cell_char(o->b, '[');
    for (size_t k = 0; k < cvo_experiments_count(e); k++) {
        const cvo_experiment_arms *x = cvo_experiments_at(e, k);
        json_obj h = {o->b, false};
        if (k > 0)
            cell_char(o->b, ',');
        obj_text(&h, "id", x->info.id);
        obj_text(&h, "list", cvo_list_name(x->info.list_bit));
        obj_number(&h, "share", x->info.share);
        obj_day(&h, "start", x->info.start_day);
        obj_uint(&h, "treatment", x->treatment);
        obj_uint(&h, "holdout", x->holdout);
        obj_uint(&h, "entered", x->entered);
        obj_end(&h);
    }
    cell_char(o->b, ']');
}

/* The results of the history's experiments (cvo_analysis_set_experiment_results):
 * "experiments" as cvo_write_experiments_json writes it, or null without. */
static void summary_experiment_results(json_obj *o, const cvo_analysis *a)
{
    const cvo_experiment_results *r = cvo_analysis_experiment_results(a);
    obj_key(o, "experiments");
    if (r == NULL)
        cell_str(o->b, "null");
    else
        experiments_json_append(o->b, r, cvo_analysis_config(a));
}

static void summary_body(cell_buf *b, const cvo_analysis *a, const summary_counts *counts,
                         const cvo_run_summary *run, const cvo_opportunities *opps)
{
    const cvo_config *config = cvo_analysis_config(a);
    uint64_t customers = cvo_customers_count(cvo_analysis_customers(a));
    json_obj o = {b, false};
    obj_day(&o, "as_of", cvo_analysis_as_of(a));
    obj_text(&o, "currency", config ? cvo_currency_of(config, cvo_analysis_load_stats(a)) : NULL);
    obj_uint(&o, "customers", customers);
    obj_uint(&o, "orders", counts->orders);
    obj_money(&o, "revenue", counts->revenue_cents);
    summary_records(&o, cvo_analysis_load_stats(a));
    summary_segments(&o, a);
    summary_model(&o, a);
    summary_backtest(&o, a);
    summary_model_choice(&o, a);
    summary_spend_backtest(&o, a);
    summary_profit(&o, a);
    summary_cohorts(&o, a);
    summary_nps(&o, a);
    summary_drivers(&o, a);
    summary_covariates(&o, a);
    summary_opportunities(&o, opps);
    summary_lists(&o, a, counts);
    summary_holdouts(&o, a);
    summary_experiment_results(&o, a);
    summary_consent(&o, counts);
    summary_klaviyo(&o, customers, counts);
    if (run != NULL) {
        obj_key(&o, "run");
        run_summary_body(b, run);
    }
    obj_end(&o);
    cell_char(b, '\n');
}

cvo_status cvo_write_summary_json(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_summary_json_run(ctx, a, NULL, out);
}

cvo_status cvo_write_summary_json_run(cvo_ctx *ctx, const cvo_analysis *a,
                                      const cvo_run_summary *run, FILE *out)
{
    if (ctx == NULL || a == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis or stream") : CVO_ERR_ARGUMENT;
    summary_counts *counts = mem_alloc(ctx, sizeof *counts);
    if (counts == NULL)
        return ctx_nomem(ctx);
    count_customers(a, counts);
    cvo_opportunities *opps = NULL;
    cvo_status status = cvo_opportunities_compute(ctx, a, &opps);
    if (status != CVO_OK) {
        mem_free(ctx, counts);
        return status;
    }
    cell_buf b;
    cell_buf_init(&b, ctx);
    summary_body(&b, a, counts, run, opps);
    cvo_opportunities_free(opps);
    mem_free(ctx, counts);
    return cell_finish(&b, out, CVO_OK);
}
