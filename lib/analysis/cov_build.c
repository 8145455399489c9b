/* cov_build.c - the covariate matrix of a summary: from what cvo reads per
 * customer (first-order discount, channel, country, main category of the
 * first order), dummy-coded against the largest level, or from a file of
 * numeric columns keyed by customer id. Invariant: row i of the matrix is the
 * customer of summary row i. */
#include "base/ctx.h"
#include "core/customers.h"
#include "io/reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A level needs this many customers, and this share of all, for a column of its own. */
#define COV_MIN_LEVEL 30
#define COV_MIN_SHARE 0.01
/* Levels of one attribute told apart; the rest are pooled as "(other)". */
enum { COV_MAX_LEVELS = 256 };

static const char *or_unknown(const char *text)
{
    return text != NULL && text[0] ? text : "(unknown)";
}

/* ---- summary rows to customers ------------------------------------------------------ */

/* The customer index of every summary row (the summary keeps the customers'
 * order, leaving out those born after its end). */
static cvo_status summary_customers(cvo_ctx *ctx, const cvo_customers *cs,
                                    const cvo_summary *summary, size_t *map)
{
    size_t n = cvo_summary_count(summary), j = 0;
    for (size_t i = 0; i < cvo_customers_count(cs) && j < n; i++) {
        const cvo_customer *c = cvo_customers_at(cs, i);
        const char *key = c->customer_id[0] ? c->customer_id : c->email;
        if (strcmp(key, cvo_summary_at(summary, j)->customer_id) == 0)
            map[j++] = i;
    }
    if (j != n)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "covariates: the summary was not made from these customers");
    return CVO_OK;
}

/* ---- one customer's attribute ----------------------------------------------------------- */

typedef enum attribute {
    ATTR_DISCOUNT,
    ATTR_CHANNEL,
    ATTR_COUNTRY,
    ATTR_CATEGORY,
    ATTR__COUNT
} attribute;

static const char *const attribute_names[ATTR__COUNT] = {"discount", "channel", "country",
                                                         "category"};

static const char *category_of(const cvo_customers *cs, uint32_t product)
{
    const cvo_product *p = cvo_customers_product(cs, product);
    return p != NULL && p->category != NULL ? p->category : "";
}

/* The category most of the first order's products belong to (the first of
 * those tied), as the deep dives take it. */
static const char *main_category(const cvo_customers *cs, size_t i)
{
    size_t n = 0, lines = 0, best_count = 0;
    const cvo_order *first = cvo_customers_orders(cs, i, &n);
    const uint32_t *products = n ? cvo_customers_order_products(cs, first, &lines) : NULL;
    const char *best = "";
    for (size_t k = 0; k < lines; k++) {
        const char *cat = category_of(cs, products[k]);
        size_t count = 0;
        for (size_t j = 0; j < lines; j++)
            count += strcmp(category_of(cs, products[j]), cat) == 0;
        if (count > best_count) {
            best = cat;
            best_count = count;
        }
    }
    return best;
}

static const char *level_of(const cvo_customers *cs, size_t i, attribute a)
{
    const cvo_customer *c = cvo_customers_at(cs, i);
    size_t n = 0;
    const cvo_order *first = cvo_customers_orders(cs, i, &n);
    switch (a) {
    case ATTR_DISCOUNT: return n > 0 && first->has_code ? "yes" : "no";
    case ATTR_CHANNEL: return or_unknown(c->channel);
    case ATTR_COUNTRY: return or_unknown(c->country);
    default: return or_unknown(main_category(cs, i));
    }
}

/* ---- levels ------------------------------------------------------------------------------ */

typedef struct level {
    const char *name; /* borrowed from the customer table */
    double customers;
    int column; /* -1: the reference; -2: pooled */
} level;

typedef struct level_set {
    level items[COV_MAX_LEVELS + 1]; /* the last: "(other)" beyond COV_MAX_LEVELS */
    size_t count;
    double other;
} level_set;

static size_t level_index(level_set *set, const char *name)
{
    for (size_t k = 0; k < set->count; k++)
        if (strcmp(set->items[k].name, name) == 0)
            return k;
    if (set->count == COV_MAX_LEVELS)
        return COV_MAX_LEVELS;
    set->items[set->count] = (level){name, 0, -2};
    return set->count++;
}

static int compare_levels(const void *pa, const void *pb)
{
    const level *a = pa, *b = pb;
    if (a->customers != b->customers)
        return a->customers > b->customers ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* ---- the builder --------------------------------------------------------------------------- */

typedef struct cov_builder {
    cvo_ctx *ctx;
    const cvo_customers *customers;
    const cvo_summary *summary;
    const size_t *map;
    cvo_covariates *cov;
    double *values;   /* one column */
    uint16_t *levels; /* each row's level index */
    size_t budget;    /* columns left */
    char *note;
    size_t note_size;
} cov_builder;

static void note_add(cov_builder *b, const char *text)
{
    if (b->note == NULL || b->note_size == 0)
        return;
    size_t used = strlen(b->note);
    snprintf(b->note + used, b->note_size - used, "%s%s", used ? "; " : "", text);
}

static void count_levels(cov_builder *b, attribute a, level_set *set)
{
    size_t n = cvo_summary_count(b->summary);
    set->count = 0;
    set->items[COV_MAX_LEVELS] = (level){"(other)", 0, -2};
    for (size_t r = 0; r < n; r++) {
        size_t k = level_index(set, level_of(b->customers, b->map[r], a));
        b->levels[r] = (uint16_t)k;
        set->items[k].customers += cvo_summary_at(b->summary, r)->weight;
    }
}

/* Gives the largest level the reference (column -1) and each level with
 * enough customers a column of its own, while the budget lasts; the others
 * share a last column "(other)" when together they have enough, else join the
 * reference. Returns the columns; *pool_column the pool's, or -1. */
static size_t choose_columns(const cov_builder *b, level_set *set, double total, int *pool_column)
{
    level sorted[COV_MAX_LEVELS];
    memcpy(sorted, set->items, set->count * sizeof *sorted);
    qsort(sorted, set->count, sizeof *sorted, compare_levels);
    double need = fmax(COV_MIN_LEVEL, COV_MIN_SHARE * total);
    double pooled = set->items[COV_MAX_LEVELS].customers;
    size_t columns = 0;
    for (size_t s = 0; s < set->count; s++) {
        level *l = &set->items[level_index(set, sorted[s].name)];
        if (s == 0)
            l->column = -1;
        else if (sorted[s].customers >= need && columns < b->budget)
            l->column = (int)columns++;
        else
            pooled += l->customers;
    }
    *pool_column = pooled >= need && columns < b->budget ? (int)columns++ : -1;
    for (size_t k = 0; k <= COV_MAX_LEVELS; k++)
        if ((k < set->count || k == COV_MAX_LEVELS) && set->items[k].column == -2)
            set->items[k].column = *pool_column;
    return columns;
}

static cvo_status add_level_column(cov_builder *b, const level_set *set, const char *group,
                                   const char *name, int column)
{
    size_t n = cvo_summary_count(b->summary);
    for (size_t r = 0; r < n; r++)
        b->values[r] = set->items[b->levels[r]].column == column ? 1.0 : 0.0;
    char full[CVO_COV_NAME_BYTES];
    if (strcmp(group, "discount") == 0)
        snprintf(full, sizeof full, "discount");
    else
        snprintf(full, sizeof full, "%s=%s", group, name);
    return cvo_covariates_add(b->cov, group, full, b->values);
}

/* The name of the level with column c. */
static const char *column_level(const level_set *set, int c, int pool_column)
{
    if (c == pool_column)
        return "(other)";
    for (size_t k = 0; k < set->count; k++)
        if (set->items[k].column == c)
            return set->items[k].name;
    return "?";
}

static cvo_status add_attribute(cov_builder *b, attribute a)
{
    const char *group = attribute_names[a];
    char text[160];
    if (b->budget == 0) {
        snprintf(text, sizeof text, "%s left out: no column left", group);
        note_add(b, text);
        return CVO_OK;
    }
    level_set *set = mem_alloc(b->ctx, sizeof *set);
    if (set == NULL)
        return ctx_nomem(b->ctx);
    count_levels(b, a, set);
    double total = set->items[COV_MAX_LEVELS].customers;
    for (size_t k = 0; k < set->count; k++)
        total += set->items[k].customers;
    int pool_column = -1;
    size_t columns = choose_columns(b, set, total, &pool_column);
    if (columns == 0) {
        snprintf(text, sizeof text, "%s left out: one level (or too few customers in the others)",
                 group);
        note_add(b, text);
    }
    cvo_status status = CVO_OK;
    for (int c = 0; c < (int)columns && status == CVO_OK; c++)
        status = add_level_column(b, set, group, column_level(set, c, pool_column), c);
    b->budget -= columns;
    mem_free(b->ctx, set);
    return status;
}

static cvo_status parse_list(cvo_ctx *ctx, const char *list, bool *wanted)
{
    const char *p = list;
    while (p != NULL && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int found = -1;
        for (int a = 0; a < ATTR__COUNT; a++)
            if (strlen(attribute_names[a]) == len && strncmp(p, attribute_names[a], len) == 0)
                found = a;
        if (found < 0)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                            "unknown covariate '%.*s' (known: discount, channel, country, "
                            "category)",
                            (int)len, p);
        wanted[found] = true;
        p = end ? end + 1 : NULL;
    }
    return CVO_OK;
}

static cvo_status build_all(cov_builder *b, const char *list)
{
    bool wanted[ATTR__COUNT] = {false};
    CVO_TRY(parse_list(b->ctx, list, wanted));
    /* in the order the list names them */
    const char *p = list;
    while (p != NULL && *p) {
        for (int a = 0; a < ATTR__COUNT; a++) {
            size_t len = strlen(attribute_names[a]);
            if (wanted[a] && strncmp(p, attribute_names[a], len) == 0 &&
                (p[len] == ',' || p[len] == '\0')) {
                wanted[a] = false;
                CVO_TRY(add_attribute(b, (attribute)a));
            }
        }
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    if (cvo_covariates_columns(b->cov) == 0)
        return ctx_fail(b->ctx, CVO_ERR_EMPTY,
                        "no covariate column: every attribute asked for "
                        "has a single level here");
    return CVO_OK;
}

cvo_status cvo_covariates_from_customers(cvo_ctx *ctx, const cvo_customers *customers,
                                         const cvo_summary *summary, const char *list,
                                         size_t max_columns, cvo_covariates **out, char *note,
                                         size_t note_size)
{
    *out = NULL;
    if (note != NULL && note_size > 0)
        note[0] = '\0';
    if (customers == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the customer table was loaded without orders");
    size_t n = cvo_summary_count(summary);
    cov_builder b = {
        ctx,
        customers,
        summary,
        NULL,
        NULL,
        NULL,
        NULL,
        max_columns == 0 || max_columns > CVO_COV_MAX_COLUMNS ? CVO_COV_MAX_COLUMNS : max_columns,
        note,
        note_size};
    size_t *map = mem_array(ctx, n, sizeof *map);
    b.values = mem_array(ctx, n, sizeof *b.values);
    b.levels = mem_array(ctx, n, sizeof *b.levels);
    cvo_status status = map && b.values && b.levels ? CVO_OK : ctx_nomem(ctx);
    b.map = map;
    if (status == CVO_OK)
        status = summary_customers(ctx, customers, summary, map);
    if (status == CVO_OK)
        status = cvo_covariates_new(ctx, n, &b.cov);
    if (status == CVO_OK)
        status = build_all(&b, list);
    mem_free(ctx, map);
    mem_free(ctx, b.values);
    mem_free(ctx, b.levels);
    if (status != CVO_OK)
        cvo_covariates_free(b.cov);
    else
        *out = b.cov;
    return status;
}

/* ---- a covariate file ------------------------------------------------------------------------ */

typedef struct id_row {
    const char *id;
    size_t row;
} id_row;

static int compare_ids(const void *pa, const void *pb)
{
    return strcmp(((const id_row *)pa)->id, ((const id_row *)pb)->id);
}

static void field_text(const csv_field *f, char *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < f->len && n + 1 < cap; i++)
        if (f->ptr[i] != '"')
            out[n++] = f->ptr[i];
    out[n] = '\0';
}

typedef struct file_state {
    cvo_ctx *ctx;
    const char *path;
    const cvo_summary *summary;
    id_row *ids;
    size_t id_count;
    double *values; /* rows x CVO_COV_MAX_COLUMNS */
    bool *seen;
    int key; /* the id column */
    int columns[CVO_COV_MAX_COLUMNS];
    char names[CVO_COV_MAX_COLUMNS][CVO_COV_NAME_BYTES];
    size_t count;
} file_state;

static cvo_status file_header(file_state *st, const csv_record *rec)
{
    st->key = -1;
    for (uint32_t i = 0; i < rec->stored; i++) {
        char name[CVO_COV_NAME_BYTES];
        field_text(&rec->fields[i], name, sizeof name);
        if (st->key < 0 && (strcmp(name, "customer_id") == 0 || strcmp(name, "Id") == 0 ||
                            strcmp(name, "id") == 0)) {
            st->key = (int)i;
            continue;
        }
        if (st->count == CVO_COV_MAX_COLUMNS)
            return ctx_fail(st->ctx, CVO_ERR_LIMIT, "%s:1: more than %d covariate columns",
                            st->path, CVO_COV_MAX_COLUMNS);
        st->columns[st->count] = (int)i;
        snprintf(st->names[st->count++], CVO_COV_NAME_BYTES, "%s", name);
    }
    if (st->key < 0 || st->count == 0)
        return ctx_fail(st->ctx, CVO_ERR_FORMAT,
                        "%s:1: needs a customer_id (or Id) column and covariate columns", st->path);
    return CVO_OK;
}

static cvo_status file_row(file_state *st, const csv_record *rec)
{
    char id[512], text[64];
    if ((uint32_t)st->key >= rec->stored)
        return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s:%llu: no customer id", st->path,
                        (unsigned long long)rec->line);
    field_text(&rec->fields[st->key], id, sizeof id);
    id_row probe = {id, 0};
    const id_row *hit = bsearch(&probe, st->ids, st->id_count, sizeof probe, compare_ids);
    if (hit == NULL)
        return CVO_OK; /* a customer the summary does not hold */
    for (size_t c = 0; c < st->count; c++) {
        int col = st->columns[c];
        char *end = NULL;
        if ((uint32_t)col < rec->stored)
            field_text(&rec->fields[col], text, sizeof text);
        else
            text[0] = '\0';
        errno = 0;
        double v = strtod(text, &end);
        if (text[0] == '\0' || errno != 0 || *end != '\0' || !isfinite(v))
            return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s:%llu: %s is not a number", st->path,
                            (unsigned long long)rec->line, st->names[c]);
        st->values[hit->row * CVO_COV_MAX_COLUMNS + c] = v;
    }
    st->seen[hit->row] = true;
    return CVO_OK;
}

static cvo_status file_read(file_state *st, reader *rd, csv_scanner *sc)
{
    csv_record rec;
    reader_result rr = reader_next(rd, sc, &rec);
    if (rr != READER_RECORD)
        return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s: no header", st->path);
    CVO_TRY(file_header(st, &rec));
    while ((rr = reader_next(rd, sc, &rec)) == READER_RECORD)
        CVO_TRY(file_row(st, &rec));
    if (rr != READER_END)
        return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s:%llu: unreadable record", st->path,
                        (unsigned long long)sc->line);
    for (size_t r = 0; r < st->id_count; r++)
        if (!st->seen[r])
            return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s: customer %s has no covariates", st->path,
                            cvo_summary_at(st->summary, r)->customer_id);
    return CVO_OK;
}

static cvo_status file_open_read(file_state *st)
{
    source *src = NULL;
    reader rd;
    memset(&rd, 0, sizeof rd);
    cvo_status status = source_open(st->ctx, st->path, st->path, &src);
    if (status == CVO_OK)
        status = reader_init(&rd, st->ctx, src, false, 0, 0);
    if (status == CVO_OK) {
        reader_skip_bom(&rd);
        csv_scanner *sc = mem_alloc(st->ctx, sizeof *sc);
        status = sc ? CVO_OK : ctx_nomem(st->ctx);
        if (sc != NULL) {
            csv_init(sc, ',', 1);
            status = file_read(st, &rd, sc);
            mem_free(st->ctx, sc);
        }
    }
    reader_free(&rd);
    source_close(src);
    return status;
}

static cvo_status file_columns(file_state *st, cvo_covariates *cov, size_t n)
{
    double *column = mem_array(st->ctx, n, sizeof *column);
    if (column == NULL)
        return ctx_nomem(st->ctx);
    cvo_status status = CVO_OK;
    for (size_t c = 0; c < st->count && status == CVO_OK; c++) {
        for (size_t r = 0; r < n; r++)
            column[r] = st->values[r * CVO_COV_MAX_COLUMNS + c];
        status = cvo_covariates_add(cov, NULL, st->names[c], column);
    }
    mem_free(st->ctx, column);
    return status;
}

cvo_status cvo_covariates_load(cvo_ctx *ctx, const char *path, const cvo_summary *summary,
                               cvo_covariates **out)
{
    *out = NULL;
    size_t n = cvo_summary_count(summary);
    file_state st = {ctx,
                     path,
                     summary,
                     mem_array(ctx, n, sizeof(id_row)),
                     n,
                     mem_zarray(ctx, n, CVO_COV_MAX_COLUMNS * sizeof(double)),
                     mem_zarray(ctx, n, sizeof(bool)),
                     -1,
                     {0},
                     {{0}},
                     0};
    cvo_status status = st.ids && st.values && st.seen ? CVO_OK : ctx_nomem(ctx);
    for (size_t r = 0; status == CVO_OK && r < n; r++)
        st.ids[r] = (id_row){cvo_summary_at(summary, r)->customer_id, r};
    if (status == CVO_OK) {
        qsort(st.ids, n, sizeof *st.ids, compare_ids);
        status = file_open_read(&st);
    }
    if (status == CVO_OK)
        status = cvo_covariates_new(ctx, n, out);
    if (status == CVO_OK && (status = file_columns(&st, *out, n)) != CVO_OK) {
        cvo_covariates_free(*out);
        *out = NULL;
    }
    mem_free(ctx, st.ids);
    mem_free(ctx, st.values);
    mem_free(ctx, st.seen);
    return status;
}
