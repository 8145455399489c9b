/* report_page.c - the pieces every section of report.html is made of: text and
 * money as the page shows them, the settings it reads, sections, cards, notes,
 * tables and figures. Every text that comes from the data goes through esc. */
#include "output/report_page.h"

#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

/* ---- text ---------------------------------------------------------------- */

void put(report *r, const char *html)
{
    fputs(html, r->out);
}

void esc(report *r, const char *text)
{
    svg_escape(r->out, text);
}

/* Money for running text: the amount and the currency code. */
void fmt_cents(char *buf, size_t size, const report *r, int64_t cents, int decimals)
{
    char amount[40];
    report_amount(amount, sizeof amount, cents, decimals);
    snprintf(buf, size, "%s%s%.8s", amount, r->currency[0] ? " " : "", r->currency);
}

void fmt_units(char *buf, size_t size, const report *r, double units, int decimals)
{
    if (!isfinite(units))
        snprintf(buf, size, "-");
    else
        fmt_cents(buf, size, r, (int64_t)llround(units * 100), decimals);
}

void fmt_day(char *buf, int32_t day)
{
    if (day == INT32_MIN)
        memcpy(buf, "-", 2);
    else
        cvo_day_format(day, buf);
}

/* ---- configuration ------------------------------------------------------- */

const char *setting_text(const report *r, const char *section, const char *key,
                         const char *fallback)
{
    const char *v = cvo_config_text(cvo_analysis_config(r->a), section, key);
    return v && v[0] ? v : fallback;
}

double setting_number(const report *r, const char *section, const char *key, double fallback)
{
    double v = cvo_config_number(cvo_analysis_config(r->a), section, key);
    return isfinite(v) ? v : fallback;
}

const char *period_name(const report *r)
{
    const char *p = setting_text(r, "model", "period", "week");
    return strcmp(p, "day") == 0 ? "days" : strcmp(p, "month") == 0 ? "months" : "weeks";
}

/* ---- page pieces --------------------------------------------------------- */

void section_open(report *r, const char *id, const char *heading, const char *lead)
{
    fprintf(r->out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", id, id, id);
    esc(r, heading);
    put(r, "</h2>\n");
    if (lead) {
        put(r, "<p class=\"lead\">");
        esc(r, lead);
        put(r, "</p>\n");
    }
}

void section_close(report *r)
{
    put(r, "</section>\n");
}

/* A plain-words box for what could not be computed. */
void note_box(report *r, const char *title, const char *text)
{
    put(r, "<div class=\"note\" role=\"note\"><strong>");
    esc(r, title);
    put(r, "</strong> ");
    esc(r, text && text[0] ? text : "No reason was recorded.");
    put(r, "</div>\n");
}

void card(report *r, const char *label, const char *value, const char *sub)
{
    put(r, "<div class=\"card\"><div class=\"label\">");
    esc(r, label);
    put(r, "</div><div class=\"value\">");
    esc(r, value);
    put(r, "</div><div class=\"sub\">");
    esc(r, sub);
    put(r, "</div></div>\n");
}

static void th(report *r, const char *text, bool numeric)
{
    fprintf(r->out, "<th scope=\"col\"%s>", numeric ? " class=\"num\"" : "");
    esc(r, text);
    put(r, "</th>");
}

/* A table with a caption and a header row; a column name starting with '#' is
 * right-aligned (numbers), one containing "%s" gets the currency. wide tables
 * take the full width, others only what they need. */
void table_head(report *r, const char *caption, const char *const *cols, size_t n, bool wide)
{
    fprintf(r->out, "<div class=\"scroll\"><table%s>\n<caption>", wide ? " class=\"wide\"" : "");
    esc(r, caption);
    put(r, "</caption>\n<thead><tr>");
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
    put(r, "</tr></thead>\n<tbody>\n");
}

void table_end(report *r)
{
    put(r, "</tbody></table></div>\n");
}

void td(report *r, const char *text, bool numeric)
{
    put(r, numeric ? "<td class=\"num\">" : "<td>");
    esc(r, text);
    put(r, "</td>");
}

/* A table cell of money (the currency is in the column header). */
void td_money(report *r, int64_t cents, int decimals)
{
    if (r->no_amounts) {
        td(r, "-", true);
        return;
    }
    char buf[40];
    report_amount(buf, sizeof buf, cents, decimals);
    td(r, buf, true);
}

void td_count(report *r, uint64_t v)
{
    char buf[32];
    report_count(buf, sizeof buf, v);
    td(r, buf, true);
}

/* A number with decimals places, followed by suffix ("%" or ""); "-" if not finite. */
void td_real(report *r, double v, int decimals, const char *suffix)
{
    char buf[48];
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.*f%s", decimals, v, suffix);
    else
        snprintf(buf, sizeof buf, "-");
    td(r, buf, true);
}

/* A sentence naming the groups a table left out for being empty: the first
 * call opens it with lead (HTML), each adds a name; empty_end closes it. */
void empty_add(report *r, size_t *count, const char *lead, const char *name)
{
    put(r, *count ? ", " : lead);
    esc(r, name);
    (*count)++;
}

void empty_end(report *r, size_t count)
{
    if (count > 0)
        put(r, ".</p>\n");
}

void figure_open(report *r)
{
    put(r, "<figure>\n");
}

void figure_close(report *r, const char *caption)
{
    put(r, "<figcaption>");
    esc(r, caption);
    put(r, "</figcaption>\n</figure>\n");
}

/* ---- models and predictions ---------------------------------------------- */

const char *model_title(cvo_model model)
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
const char *chosen_title(const report *r)
{
    const cvo_fit *fit = cvo_analysis_purchase_fit(r->a);
    return fit != NULL && cvo_analysis_model_ok(r->a) ? model_title(fit->model) : "BG/NBD";
}

double sum_finite_clv(const report *r, size_t *n)
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
