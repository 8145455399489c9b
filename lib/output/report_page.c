/* report_page.c - the pieces every section of report.html is made of: text and
 * money as the page shows them, the settings it reads, sections, cards, notes,
 * tables and figures. Every text that comes from the data goes through esc. */
#include "output/report_page.h"

#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

/* ---- text ---------------------------------------------------------------- */

void report_put(report *r, const char *html)
{
    fputs(html, r->out);
}

void report_esc(report *r, const char *text)
{
    svg_escape(r->out, text);
}

/* Money for running text: the amount and the currency code. */
void report_fmt_cents(char *buf, size_t size, const report *r, int64_t cents, int decimals)
{
    char amount[40];
    report_amount(amount, sizeof amount, cents, decimals);
    snprintf(buf, size, "%s%s%.8s", amount, r->currency[0] ? " " : "", r->currency);
}

void report_fmt_units(char *buf, size_t size, const report *r, double units, int decimals)
{
    if (!isfinite(units))
        snprintf(buf, size, "-");
    else
        report_fmt_cents(buf, size, r, (int64_t)llround(units * 100), decimals);
}

void report_fmt_day(char *buf, int32_t day)
{
    if (day == INT32_MIN)
        memcpy(buf, "-", 2);
    else
        cvo_day_format(day, buf);
}

/* ---- configuration ------------------------------------------------------- */

const char *report_setting_text(const report *r, const char *section, const char *key,
                         const char *fallback)
{
    const char *v = cvo_config_text(cvo_analysis_config(r->a), section, key);
    return v && v[0] ? v : fallback;
}

double report_setting_number(const report *r, const char *section, const char *key, double fallback)
{
    double v = cvo_config_number(cvo_analysis_config(r->a), section, key);
    return isfinite(v) ? v : fallback;
}

const char *report_period_name(const report *r)
{
    const char *p = report_setting_text(r, "model", "period", "week");
    return strcmp(p, "day") == 0 ? "days" : strcmp(p, "month") == 0 ? "months" : "weeks";
}

/* ---- page pieces --------------------------------------------------------- */

void report_section_open(report *r, const char *id, const char *heading, const char *lead)
{
    fprintf(r->out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", id, id, id);
    report_esc(r, heading);
    report_put(r, "</h2>\n");
    if (lead) {
        report_put(r, "<p class=\"lead\">");
        report_esc(r, lead);
        report_put(r, "</p>\n");
    }
}

void report_section_close(report *r)
{
    report_put(r, "</section>\n");
}

/* A plain-words box for what could not be computed. */
void report_note_box(report *r, const char *title, const char *text)
{
    report_put(r, "<div class=\"note\" role=\"note\"><strong>");
    report_esc(r, title);
    report_put(r, "</strong> ");
    report_esc(r, text && text[0] ? text : "No reason was recorded.");
    report_put(r, "</div>\n");
}

void report_card(report *r, const char *label, const char *value, const char *sub)
{
    report_put(r, "<div class=\"card\"><div class=\"label\">");
    report_esc(r, label);
    report_put(r, "</div><div class=\"value\">");
    report_esc(r, value);
    report_put(r, "</div><div class=\"sub\">");
    report_esc(r, sub);
    report_put(r, "</div></div>\n");
}

static void th(report *r, const char *text, bool numeric)
{
    fprintf(r->out, "<th scope=\"col\"%s>", numeric ? " class=\"num\"" : "");
    report_esc(r, text);
    report_put(r, "</th>");
}

/* A table with a caption and a header row; a column name starting with '#' is
 * right-aligned (numbers), one containing "%s" gets the currency. wide tables
 * take the full width, others only what they need. */
void report_table_head(report *r, const char *caption, const char *const *cols, size_t n, bool wide)
{
    fprintf(r->out, "<div class=\"scroll\"><table%s>\n<caption>", wide ? " class=\"wide\"" : "");
    report_esc(r, caption);
    report_put(r, "</caption>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        const char *name = cols[i][0] == '#' ? cols[i] + 1 : cols[i];
        char with_currency[64];
        if (strstr(name, "%s")) {
            const char *at = strstr(name, "%s");
            snprintf(with_currency, sizeof with_currency, "%.*s%s%s", (int)(at - name), name,
                     r->currency[0] ? r->currency : "amount", at + 2);
            name = with_currency;
        }
        th(r, name, cols[i][0] == '#');
    }
    report_put(r, "</tr></thead>\n<tbody>\n");
}

void report_table_end(report *r)
{
    report_put(r, "</tbody></table></div>\n");
}

void report_td(report *r, const char *text, bool numeric)
{
    report_put(r, numeric ? "<td class=\"num\">" : "<td>");
    report_esc(r, text);
    report_put(r, "</td>");
}

/* A table cell of money (the currency is in the column header). */
void report_td_money(report *r, int64_t cents, int decimals)
{
    if (r->no_amounts) {
        report_td(r, "-", true);
        return;
    }
    char buf[40];
    report_amount(buf, sizeof buf, cents, decimals);
    report_td(r, buf, true);
}

void report_td_count(report *r, uint64_t v)
{
    char buf[32];
    report_count(buf, sizeof buf, v);
    report_td(r, buf, true);
}

/* A number with decimals places, followed by suffix ("%" or ""); "-" if not finite. */
void report_td_real(report *r, double v, int decimals, const char *suffix)
{
    char buf[48];
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.*f%s", decimals, v, suffix);
    else
        snprintf(buf, sizeof buf, "-");
    report_td(r, buf, true);
}

/* A sentence naming the groups a table left out for being empty: the first
 * call opens it with lead (HTML), each adds a name; empty_end closes it. */
void report_empty_add(report *r, size_t *count, const char *lead, const char *name)
{
    report_put(r, *count ? ", " : lead);
    report_esc(r, name);
    (*count)++;
}

void report_empty_end(report *r, size_t count)
{
    if (count > 0)
        report_put(r, ".</p>\n");
}

void report_figure_open(report *r)
{
    report_put(r, "<figure>\n");
}

void report_figure_close(report *r, const char *caption)
{
    report_put(r, "<figcaption>");
    report_esc(r, caption);
    report_put(r, "</figcaption>\n</figure>\n");
}

/* ---- models and predictions ---------------------------------------------- */

const char *report_model_title(cvo_model model)
{
    switch (model) {
    case CVO_MODEL_BGNBD: return "BG/NBD";
    case CVO_MODEL_MBGNBD: return "MBG/NBD";
    case CVO_MODEL_PNBD: return "Pareto/NBD";
    case CVO_MODEL_BGBB: return "BG/BB";
    case CVO_MODEL_GG: return "Gamma-Gamma";
    case CVO_MODEL_NBD: return "NBD";
    }
    return cvo_model_name(model);
}

/* The purchase model the analysis backtested and predicts with. */
const char *report_chosen_title(const report *r)
{
    const cvo_fit *fit = cvo_analysis_purchase_fit(r->a);
    return fit != NULL && cvo_analysis_model_ok(r->a) ? report_model_title(fit->model) : "BG/NBD";
}

double report_sum_finite_clv(const report *r, size_t *n)
{
    double sum = 0;
    *n = 0;
    for (size_t i = 0; i < r->count; i++)
        if (isfinite(r->results[i].predicted_clv)) {
            sum += r->results[i].predicted_clv;
            (*n)++;
        }
    return sum;
}
