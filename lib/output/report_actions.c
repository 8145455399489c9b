/* report_actions.c - the report's first section, "This week": every action of
 * the run as one plain sentence with its count, what to do and which file
 * holds the customers. Counts come from the same bits and rules as the files
 * (list bits, gorgias_ticket_due, the migration's mover flags), so a sentence
 * and its file always agree; each item carries them in data-file/data-count. */
#include "output/report_actions.h"

#include "output/gorgias.h"
#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

#define TIERS_MAX 256

typedef struct counts {
    uint64_t customers;
    uint64_t lists[CVO_LIST_COUNT];
    uint64_t no_discount[4]; /* by cvo_no_discount_reason */
    uint64_t tiers[TIERS_MAX];
    uint64_t tickets;
    uint64_t consent_known, left_out;
} counts;

typedef struct actions {
    FILE *out;
    const cvo_analysis *a;
    const cvo_config *config;
    counts n;
} actions;

static unsigned bit_index(unsigned bit)
{
    unsigned k = 0;
    while (k < CVO_LIST_COUNT && (1u << k) != bit)
        k++;
    return k;
}

static uint64_t members(const actions *x, unsigned bit)
{
    return x->n.lists[bit_index(bit)];
}

static void count_all(actions *x)
{
    const cvo_customer_result *r = cvo_analysis_results(x->a);
    const cvo_nps *nps = cvo_analysis_nps(x->a);
    x->n.customers = cvo_customers_count(cvo_analysis_customers(x->a));
    for (size_t i = 0; i < x->n.customers; i++) {
        for (unsigned b = 0; b < CVO_LIST_COUNT; b++)
            x->n.lists[b] += (r[i].lists >> b) & 1u;
        unsigned reason = (unsigned)cvo_analysis_no_discount_reason(x->a, i);
        if ((r[i].lists & CVO_LIST_NO_DISCOUNT) && reason < 4)
            x->n.no_discount[reason]++;
        x->n.tiers[r[i].tier]++;
        x->n.tickets += nps != NULL && gorgias_ticket_due(x->a, nps, i);
        x->n.consent_known += r[i].consent != CVO_CONSENT_UNKNOWN;
        x->n.left_out += r[i].left_out;
    }
}

static double setting(const actions *x, const char *section, const char *key)
{
    return cvo_config_number(x->config, section, key);
}

/* ---- one item ------------------------------------------------------------- */

/* Opens an item; file NULL: no file (the item says why). */
static void item_open(actions *x, const char *action, const char *file, uint64_t count)
{
    fprintf(x->out, "<li data-action=\"%s\"", action);
    if (file != NULL)
        fprintf(x->out, " data-file=\"%s\" data-count=\"%llu\"", file, (unsigned long long)count);
    fputs(">", x->out);
}

static void bold(actions *x, const char *text)
{
    fputs("<b>", x->out);
    svg_escape(x->out, text);
    fputs("</b>", x->out);
}

static void text(actions *x, const char *plain)
{
    svg_escape(x->out, plain);
}

static void file_ref(actions *x, const char *file)
{
    fputs("<code>", x->out);
    svg_escape(x->out, file);
    fputs("</code>", x->out);
}

static void item_close(actions *x)
{
    fputs("</li>\n", x->out);
}

/* A whole item: before, who (bold, the count), middle, the file, end. */
static void item(actions *x, const char *action, const char *file, uint64_t count,
                 const char *before, const char *who, const char *middle, const char *end)
{
    item_open(x, action, file, count);
    text(x, before);
    bold(x, who);
    text(x, middle);
    if (file != NULL)
        file_ref(x, file);
    text(x, end);
    item_close(x);
}

/* An item for an empty list: one plain sentence, then the empty file. */
static void item_none(actions *x, const char *action, const char *file, const char *sentence)
{
    item_open(x, action, file, 0);
    text(x, sentence);
    if (file != NULL) {
        text(x, " ");
        file_ref(x, file);
        text(x, " is empty.");
    }
    item_close(x);
}

/* ---- the actions ---------------------------------------------------------- */

static void winback_due(actions *x)
{
    uint64_t n = members(x, CVO_LIST_WINBACK_DUE);
    if (n == 0) {
        item_open(x, "winback-due", "klaviyo/events.jsonl", 0);
        text(x, "No customer reached a win-back date this week: the win-back flow sends nothing.");
        item_close(x);
        return;
    }
    char who[48], count[32], middle[200];
    report_count_of(who, sizeof who, n, "customer");
    report_count(count, sizeof count, n);
    snprintf(middle, sizeof middle,
             " reached their win-back date: the win-back flow will send to %s (the \"CVO "
             "Winback Due\" events in ",
             count);
    item(x, "winback-due", "klaviyo/events.jsonl", n, "", who, middle, ").");
}

/* The item of lists/<action>.csv, the list of bit: none when it is empty,
 * else before, "N customers", middle, the file and end. */
static void list_item(actions *x, const char *action, unsigned bit, const char *none,
                      const char *before, const char *middle, const char *end)
{
    char file[48], who[48];
    snprintf(file, sizeof file, "lists/%s.csv", action);
    uint64_t n = members(x, bit);
    if (n == 0) {
        item_none(x, action, file, none);
        return;
    }
    report_count_of(who, sizeof who, n, "customer");
    item(x, action, file, n, before, who, middle, end);
}

static void winback_window(actions *x)
{
    char middle[160];
    snprintf(middle, sizeof middle,
             " are within %.0f days of their win-back date, before or after it: each one's "
             "date is in ",
             setting(x, "lists", "winback_window_days"));
    list_item(x, "winback", CVO_LIST_WINBACK, "No customer is near a win-back date.", "", middle,
              ".");
}

static void tickets(actions *x)
{
    double days = setting(x, "gorgias", "max_answer_age_days"); /* NaN until the key exists */
    char when[48] = "";
    if (isfinite(days))
        snprintf(when, sizeof when, " in the last %.0f days", days);
    char sentence[200];
    if (cvo_analysis_nps(x->a) == NULL) {
        item_open(x, "tickets", NULL, 0);
        text(x, "No NPS answers were given (cvo analyze --nps FILE), so there are no Gorgias "
                "tickets for unhappy top customers.");
        item_close(x);
    } else if (x->n.tickets == 0) {
        item_open(x, "tickets", "gorgias/tickets.jsonl", 0);
        snprintf(sentence, sizeof sentence,
                 "No top customer gave NPS 0-6%s: no Gorgias ticket to open.", when);
        text(x, sentence);
        item_close(x);
    } else {
        char who[48];
        report_count_of(who, sizeof who, x->n.tickets, "top customer");
        snprintf(sentence, sizeof sentence,
                 " gave NPS 0-6%s: tickets to open in Gorgias, one each, in ", when);
        item(x, "tickets", "gorgias/tickets.jsonl", x->n.tickets, "", who, sentence,
             " (cvo analyze --push gorgias sends them).");
    }
}

/* ": 12 buy at full price anyway, ..." for each reason with customers. */
static void no_discount_reasons(actions *x)
{
    char unprofitable[96], part[160], count[32];
    snprintf(unprofitable, sizeof unprofitable, "would turn unprofitable with a %.0f%% discount",
             100 * setting(x, "lists", "standard_discount"));
    const char *const why[3] = {"buy at full price anyway", unprofitable,
                                "are unlikely to come back whatever the offer"};
    static const int order[3] = {CVO_NO_DISCOUNT_FULL_PRICE, CVO_NO_DISCOUNT_UNPROFITABLE,
                                 CVO_NO_DISCOUNT_LOST};
    bool first = true;
    for (int k = 0; k < 3; k++) {
        uint64_t n = x->n.no_discount[order[k]];
        if (n == 0)
            continue;
        report_count(count, sizeof count, n);
        snprintf(part, sizeof part, "%s%s %s", first ? ": " : ", ", count, why[k]);
        text(x, part);
        first = false;
    }
}

static void no_discount(actions *x)
{
    uint64_t n = members(x, CVO_LIST_NO_DISCOUNT);
    if (n == 0) {
        item_none(x, "no-discount", "lists/no-discount.csv",
                  "No customer needs to be kept out of discounts.");
        return;
    }
    char who[64];
    report_count_of(who, sizeof who, n, "customer");
    item_open(x, "no-discount", "lists/no-discount.csv", n);
    text(x, "Stop discounts for ");
    bold(x, who);
    text(x, " (");
    file_ref(x, "lists/no-discount.csv");
    text(x, ")");
    no_discount_reasons(x);
    text(x, ".");
    item_close(x);
}

static void exclude(actions *x)
{
    list_item(x, "exclude", CVO_LIST_EXCLUDE, "No customer needs to be suppressed.", "Suppress ",
              " in every campaign (",
              "): they stopped buying long ago, are unlikely to return and are worth little.");
}

static void vip(actions *x)
{
    char middle[160];
    snprintf(middle, sizeof middle,
             " are VIPs, the top %.0f%% by predicted value: thank them, give them early access "
             "and a personal touch (",
             100 * setting(x, "lists", "vip_share"));
    list_item(x, "vip", CVO_LIST_VIP, "No VIP this week.", "", middle, ").");
}

static void referral(actions *x)
{
    list_item(x, "referral", CVO_LIST_REFERRAL, "Nobody to ask for a referral this week.", "Ask ",
              " for a referral or a review: recent, active top customers and promoters (", ").");
}

static void interview(actions *x)
{
    list_item(x, "interview", CVO_LIST_INTERVIEW, "No interview sample was drawn.", "Interview ",
              " of the top segments, a fixed sample: ask why they buy and what nearly stopped "
              "them (",
              ").");
}

static void tiers(actions *x)
{
    size_t count = cvo_analysis_tier_count(x->a);
    char who[48], part[160], n[32];
    report_count_of(who, sizeof who, x->n.customers, "customer");
    item_open(x, "loyalty-tiers", "lists/loyalty-tiers.csv", x->n.customers);
    text(x, "Loyalty tiers for ");
    bold(x, who);
    for (size_t t = 0; t < count && t < TIERS_MAX; t++) {
        report_count(n, sizeof n, x->n.tiers[t]);
        snprintf(part, sizeof part, "%s%s %s", t ? ", " : ": ", cvo_analysis_tier_name(x->a, t),
                 n);
        text(x, part);
    }
    text(x, "; give each tier its perks and flows (");
    file_ref(x, "lists/loyalty-tiers.csv");
    text(x, ").");
    item_close(x);
}

/* ---- movers --------------------------------------------------------------- */

typedef struct mover_counts {
    uint64_t moved, changed, dropped, entered, left;
} mover_counts;

static mover_counts count_movers(const cvo_migration *m)
{
    mover_counts c = {0, 0, 0, 0, 0};
    size_t n = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &n);
    for (size_t i = 0; rows != NULL && i < n; i++) {
        const cvo_migration_customer *r = &rows[i];
        c.moved += r->segment_changed || r->r_dropped || r->entered_top || r->left_top;
        c.changed += r->segment_changed;
        c.dropped += r->r_dropped;
        c.entered += r->entered_top;
        c.left += r->left_top;
    }
    return c;
}

static void movers_detail(actions *x, const mover_counts *c)
{
    char a[32], b[32], d[32], e[32], part[320];
    report_count(a, sizeof a, c->changed);
    report_count(b, sizeof b, c->dropped);
    report_count(d, sizeof d, c->entered);
    report_count(e, sizeof e, c->left);
    snprintf(part, sizeof part,
             ": %s changed segment, %s are slipping away (their recency score "
             "fell), %s entered the top segments and %s left them. Welcome the "
             "risers, win back the fallers (",
             a, b, d, e);
    text(x, part);
}

static void movers(actions *x, const cvo_migration *m)
{
    if (m == NULL) {
        item_open(x, "movers", NULL, 0);
        text(x, "No history database was given (cvo analyze --db FILE), so movers between "
                "runs are not followed.");
        item_close(x);
        return;
    }
    if (!cvo_migration_has_previous(m)) {
        item_open(x, "movers", NULL, 0);
        text(x, "This is the first run in the history database: who moved since the last run "
                "shows from the next run on.");
        item_close(x);
        return;
    }
    mover_counts c = count_movers(m);
    char day[11], who[48], since[64];
    cvo_day_format(cvo_migration_from_day(m), day);
    if (c.moved == 0) {
        snprintf(since, sizeof since, "No customer moved since the run of %s.", day);
        item_none(x, "movers", "lists/movers.csv", since);
        return;
    }
    report_count_of(who, sizeof who, c.moved, "customer");
    snprintf(since, sizeof since, " moved since the run of %s", day);
    item_open(x, "movers", "lists/movers.csv", c.moved);
    bold(x, who);
    text(x, since);
    movers_detail(x, &c);
    file_ref(x, "lists/movers.csv");
    text(x, ").");
    item_close(x);
}

/* Who is kept out of every list for want of marketing consent; nothing when
 * the orders never say. */
static void consent(actions *x)
{
    if (x->n.consent_known == 0)
        return;
    item_open(x, "consent", NULL, x->n.left_out);
    if (x->n.left_out == 0) {
        text(x, "Every customer the orders say anything about accepts marketing: nobody is "
                "left out of the lists.");
    } else {
        char who[48];
        report_count_of(who, sizeof who, x->n.left_out, "customer");
        bold(x, who);
        text(x, " said no to marketing on their latest order: they are on no list and in no "
                "Klaviyo file, as consent requires (customers.csv keeps them, marked as not "
                "accepting marketing).");
    }
    item_close(x);
}

/* ---- the section ---------------------------------------------------------- */

cvo_status report_actions(cvo_ctx *ctx, const cvo_analysis *a, const cvo_migration *m, FILE *out)
{
    (void)ctx;
    actions x;
    memset(&x, 0, sizeof x);
    x.out = out;
    x.a = a;
    x.config = cvo_analysis_config(a);
    count_all(&x);
    fputs("<section id=\"this-week\" aria-labelledby=\"this-week-h\">\n"
          "<h2 id=\"this-week-h\">This week</h2>\n<p class=\"lead\">What to do with this run, "
          "one line per action: how many customers, what to do, and the file that holds them "
          "(in the folder of this report).</p>\n<ul class=\"actions\">\n",
          out);
    winback_due(&x);
    winback_window(&x);
    tickets(&x);
    no_discount(&x);
    exclude(&x);
    vip(&x);
    referral(&x);
    interview(&x);
    tiers(&x);
    movers(&x, m);
    consent(&x);
    fputs("</ul>\n</section>\n", out);
    return CVO_OK;
}
