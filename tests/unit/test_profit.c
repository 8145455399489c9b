/* test_profit.c - cvo_profit_compute: on a generated store (some unit costs
 * blanked, a products file missing some SKUs) every customer's and segment's
 * profit equals an independent computation from the CSV files to the cent;
 * break-even counts, the predicted-margin fallbacks and the errors by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/summary.h"
#include "cvo.h"

#include <math.h>

#define HEADER                                                                                     \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

/* ---- files ------------------------------------------------------------------------ */

typedef struct text {
    char *ptr;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->ptr = realloc(t->ptr, cap);
        assert_non_null(t->ptr);
        t->cap = cap;
    }
    memcpy(t->ptr + t->len, s, n);
    t->len += n;
    t->ptr[t->len] = '\0';
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text t = {0};
    char buf[8192];
    size_t n;
    text_add(&t, "", 0);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    return t.ptr;
}

static void write_all(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- a tiny CSV reader: quoted fields, "" escapes, no quoted newlines ------------------ */

#define MAX_FIELDS 24

typedef struct record {
    char *field[MAX_FIELDS];
    int count;
} record;

/* Splits the line at *pos into fields (owned strings); false at the end. */
static bool next_record(const char *data, size_t *pos, record *r)
{
    if (data[*pos] == '\0')
        return false;
    r->count = 0;
    const char *p = data + *pos;
    for (;;) {
        text f = {0};
        text_add(&f, "", 0);
        bool quoted = *p == '"';
        p += quoted;
        while (*p && (quoted || (*p != ',' && *p != '\n' && *p != '\r'))) {
            if (quoted && *p == '"' && p[1] == '"')
                p++;
            else if (quoted && *p == '"') {
                quoted = false;
                p++;
                continue;
            }
            text_add(&f, p++, 1);
        }
        assert_true(r->count < MAX_FIELDS);
        r->field[r->count++] = f.ptr;
        if (*p != ',')
            break;
        p++;
    }
    while (*p == '\r' || *p == '\n')
        p++;
    *pos = (size_t)(p - data);
    return true;
}

static void record_free(record *r)
{
    for (int i = 0; i < r->count; i++)
        free(r->field[i]);
    r->count = 0;
}

static void write_field(text *t, const char *s, bool last)
{
    bool quote = strpbrk(s, ",\"") != NULL;
    if (quote)
        text_add(t, "\"", 1);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            text_add(t, "\"", 1); /* doubled inside quotes */
        text_add(t, c, 1);
    }
    if (quote)
        text_add(t, "\"", 1);
    text_add(t, last ? "\n" : ",", 1);
}

/* "12.34" / "-1.5" / "" to cents, exactly. */
static int64_t cents_of(const char *s)
{
    bool neg = *s == '-';
    s += neg;
    int64_t units = 0, frac = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        units = units * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9' && digits < 2; s++, digits++)
            frac = frac * 10 + (*s - '0');
    assert_true(*s == '\0');
    for (; digits < 2; digits++)
        frac *= 10;
    return (neg ? -1 : 1) * (units * 100 + frac);
}

static int64_t integer_of(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    assert_true(*s && *end == '\0');
    return v;
}

/* ---- the independent computation ------------------------------------------------------- */

enum { O_ID, O_CUSTOMER, O_EMAIL, O_DATE, O_SKU, O_PRODUCT, O_QTY, O_PRICE, O_DISCOUNT,
       O_COST, O_SHIPPING, O_REFUND, O_COUNTRY, O_CODE, O_CHANNEL, O_FULFILLED, O_DELIVERED,
       O_FIELDS };

typedef struct rates {
    int64_t fee_ppm, fee_fixed, margin_ppm;
    const char *channels[4];
    int64_t channel_cents[4];
    int64_t default_acquisition;
} rates;

typedef struct sku_cost {
    char sku[32];
    int64_t cents;
} sku_cost;

typedef struct ind_order {
    char customer[64], channel[32];
    int64_t net, cogs, costed, from_line, shipping, refund, discount;
    bool has_shipping, code;
} ind_order;

typedef struct ind_customer {
    char key[64], channel[32];
    uint32_t orders, code_orders;
    int64_t revenue, margin, acquisition, profit, discount;
} ind_customer;

typedef struct ind_store {
    ind_customer *customers;
    size_t count;
    int64_t revenue, from_line, from_products, by_default;
} ind_store;

/* round(a x ppm / 1e6) half away from zero, written differently from the library */
static int64_t ppm_round(int64_t a, int64_t ppm)
{
    int64_t twice = 2 * a * ppm;
    return (twice + (twice >= 0 ? 1000000 : -1000000)) / 2000000;
}

static void normalise_email(char *s)
{
    size_t start = 0, len = strlen(s);
    while (s[start] == ' ')
        start++;
    while (len > start && s[len - 1] == ' ')
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    for (char *c = s; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

typedef struct email_id {
    char email[64], id[64];
} email_id;

static const char *id_of_email(const email_id *map, size_t n, const char *email)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(map[i].email, email) == 0)
            return map[i].id;
    return NULL;
}

static email_id *email_ids(const char *data, size_t *count)
{
    email_id *map = calloc(20000, sizeof *map);
    size_t pos = 0, n = 0;
    record r;
    assert_true(next_record(data, &pos, &r));
    record_free(&r);
    while (next_record(data, &pos, &r)) {
        normalise_email(r.field[O_EMAIL]);
        if (r.field[O_CUSTOMER][0] && r.field[O_EMAIL][0] &&
            !id_of_email(map, n, r.field[O_EMAIL])) {
            snprintf(map[n].email, 64, "%s", r.field[O_EMAIL]);
            snprintf(map[n++].id, 64, "%s", r.field[O_CUSTOMER]);
        }
        record_free(&r);
    }
    *count = n;
    return map;
}

static bool sku_lookup(const sku_cost *skus, size_t n, const char *sku, int64_t *cents)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(skus[i].sku, sku) == 0) {
            *cents = skus[i].cents;
            return true;
        }
    return false;
}

static void add_line(ind_order *o, const record *r, const sku_cost *skus, size_t nskus)
{
    int64_t qty = integer_of(r->field[O_QTY]);
    int64_t refund = cents_of(r->field[O_REFUND]), discount = cents_of(r->field[O_DISCOUNT]);
    int64_t net = qty * cents_of(r->field[O_PRICE]) - discount - refund, unit = 0;
    o->net += net;
    o->refund += refund;
    o->discount += discount;
    o->code |= r->field[O_CODE][0] != '\0';
    if (!o->has_shipping && r->field[O_SHIPPING][0]) {
        o->has_shipping = true;
        o->shipping = cents_of(r->field[O_SHIPPING]);
    }
    if (!o->channel[0])
        snprintf(o->channel, sizeof o->channel, "%s", r->field[O_CHANNEL]);
    if (r->field[O_COST][0]) {
        o->cogs += qty * cents_of(r->field[O_COST]);
        o->costed += net;
        o->from_line += net;
    } else if (sku_lookup(skus, nskus, r->field[O_SKU], &unit)) {
        o->cogs += qty * unit;
        o->costed += net;
    }
}

static ind_customer *customer_of(ind_store *s, const char *key, const char *channel)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->customers[i].key, key) == 0)
            return &s->customers[i];
    ind_customer *c = &s->customers[s->count++];
    memset(c, 0, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    snprintf(c->channel, sizeof c->channel, "%s", channel);
    return c;
}

static int64_t acquisition(const rates *rt, const char *channel)
{
    for (int i = 0; i < 4 && rt->channels[i]; i++)
        if (strcmp(rt->channels[i], channel) == 0)
            return rt->channel_cents[i];
    return rt->default_acquisition;
}

static void close_order(ind_store *s, const ind_order *o, const rates *rt)
{
    if ((o->net <= 0 && o->refund > 0) || o->net < 0)
        return; /* not counted: refunded away, or returns only */
    ind_customer *c = customer_of(s, o->customer, o->channel);
    if (c->orders == 0)
        c->acquisition = acquisition(rt, c->channel);
    int64_t uncosted = o->net - o->costed;
    int64_t cogs = o->cogs + ppm_round(uncosted, 1000000 - rt->margin_ppm);
    int64_t fee = ppm_round(o->net, rt->fee_ppm) + rt->fee_fixed;
    c->orders++;
    c->code_orders += o->code;
    c->discount += o->discount;
    c->revenue += o->net;
    c->margin += o->net - cogs - o->shipping - fee;
    c->profit = c->margin - c->acquisition;
    s->revenue += o->net;
    s->from_line += o->from_line;
    s->from_products += o->costed - o->from_line;
    s->by_default += uncosted;
}

static sku_cost *read_products(const char *path, size_t *count)
{
    char *data = read_all(path);
    sku_cost *skus = calloc(1000, sizeof *skus);
    size_t pos = 0, n = 0;
    record r;
    assert_true(next_record(data, &pos, &r));
    record_free(&r);
    while (next_record(data, &pos, &r)) {
        assert_int_equal(r.count, 4);
        snprintf(skus[n].sku, sizeof skus[n].sku, "%s", r.field[0]);
        skus[n++].cents = cents_of(r.field[2]);
        record_free(&r);
    }
    free(data);
    *count = n;
    return skus;
}

static void customer_key(const record *r, const email_id *map, size_t n, char out[64])
{
    const char *id = r->field[O_CUSTOMER];
    if (!id[0])
        id = id_of_email(map, n, r->field[O_EMAIL]);
    snprintf(out, 64, "%s", id ? id : r->field[O_EMAIL]);
}

/* Reads orders.csv (and products.csv when given) the way the header documents. */
static ind_store independent(const char *orders_path, const char *products_path, const rates *rt)
{
    char *data = read_all(orders_path);
    size_t nskus = 0, nmap = 0;
    sku_cost *skus = products_path ? read_products(products_path, &nskus) : NULL;
    email_id *map = email_ids(data, &nmap);
    ind_store s = {calloc(20000, sizeof(ind_customer)), 0, 0, 0, 0, 0};
    size_t pos = 0;
    record r;
    assert_true(next_record(data, &pos, &r));
    record_free(&r);
    char order_id[32] = "";
    ind_order o;
    memset(&o, 0, sizeof o);
    while (next_record(data, &pos, &r)) {
        assert_int_equal(r.count, O_FIELDS);
        normalise_email(r.field[O_EMAIL]);
        if (strcmp(order_id, r.field[O_ID]) != 0) { /* the generator keeps lines together */
            if (order_id[0])
                close_order(&s, &o, rt);
            memset(&o, 0, sizeof o);
            snprintf(order_id, sizeof order_id, "%s", r.field[O_ID]);
            customer_key(&r, map, nmap, o.customer);
        }
        add_line(&o, &r, skus, nskus);
        record_free(&r);
    }
    if (order_id[0])
        close_order(&s, &o, rt);
    free(map);
    free(skus);
    free(data);
    return s;
}

/* ---- the store ----------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64], orders[96], products[96], config[96], blanked[96], partial[96];
    cvo_ctx *ctx;
} fixture;

static void generate(fixture *f, uint64_t customers, uint64_t seed)
{
    cvo_generate_options o;
    cvo_generate_options_init(&o);
    o.customers = customers;
    o.seed = seed;
    FILE *orders = fopen(f->orders, "wb"), *products = fopen(f->products, "wb");
    assert_non_null(orders);
    assert_non_null(products);
    assert_int_equal(cvo_generate(f->ctx, &o, orders, products, NULL), CVO_OK);
    assert_int_equal(fclose(orders), 0);
    assert_int_equal(fclose(products), 0);
}

/* Copies orders with unit_cost blanked on every third line (and the products
 * file without every fourth SKU), so each cost source covers some revenue. */
static void blank_costs(fixture *f)
{
    char *data = read_all(f->orders);
    text out = {0};
    size_t pos = 0, line = 0;
    record r;
    while (next_record(data, &pos, &r)) {
        if (line > 0 && line % 3 == 0)
            r.field[O_COST][0] = '\0';
        for (int i = 0; i < r.count; i++)
            write_field(&out, r.field[i], i + 1 == r.count);
        record_free(&r);
        line++;
    }
    write_all(f->blanked, out.ptr, out.len);
    free(out.ptr);
    free(data);
    data = read_all(f->products);
    out = (text){0};
    pos = line = 0;
    while (next_record(data, &pos, &r)) {
        for (int i = 0; line % 4 != 3 && i < r.count; i++)
            write_field(&out, r.field[i], i + 1 == r.count);
        record_free(&r);
        line++;
    }
    write_all(f->partial, out.ptr, out.len);
    free(out.ptr);
    free(data);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cvo-test-profit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->orders, sizeof f->orders, "%s/orders.csv", f->dir);
    snprintf(f->products, sizeof f->products, "%s/products.csv", f->dir);
    snprintf(f->config, sizeof f->config, "%s/store.ini", f->dir);
    snprintf(f->blanked, sizeof f->blanked, "%s/blanked.csv", f->dir);
    snprintf(f->partial, sizeof f->partial, "%s/partial.csv", f->dir);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    const char *paths[] = {f->orders, f->products, f->config, f->blanked, f->partial};
    for (size_t i = 0; i < 5; i++)
        unlink(paths[i]);
    rmdir(f->dir);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* ---- running the library --------------------------------------------------------------------- */

typedef struct run {
    cvo_customers *customers;
    cvo_scheme *scheme;
    cvo_rfm *rfm;
    cvo_config *config;
    cvo_profit *profit;
} run;

static cvo_status run_profit(fixture *f, const char *orders, const char *products,
                             const char *ini, const double *expected, run *out)
{
    memset(out, 0, sizeof *out);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = orders;
    lo.keep_orders = true;
    lo.products_path = products;
    assert_int_equal(cvo_orders_load(f->ctx, &lo, &out->customers, NULL), CVO_OK);
    assert_int_equal(cvo_scheme_builtin(f->ctx, "relationship", 5, &out->scheme), CVO_OK);
    cvo_rfm_options ro;
    cvo_rfm_options_init(&ro);
    assert_int_equal(cvo_rfm_new(f->ctx, out->customers, &ro, out->scheme, &out->rfm), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &out->config), CVO_OK);
    if (ini != NULL) {
        write_all(f->config, ini, strlen(ini));
        assert_int_equal(cvo_config_load(out->config, f->config), CVO_OK);
    }
    return cvo_profit_compute(f->ctx, out->customers, out->rfm, out->scheme, out->config,
                              expected, &out->profit);
}

static void run_free(run *r)
{
    cvo_profit_free(r->profit);
    cvo_config_free(r->config);
    cvo_rfm_free(r->rfm);
    cvo_scheme_free(r->scheme);
    cvo_customers_free(r->customers);
}

static const char *key_of(const cvo_customer *c)
{
    return c->customer_id[0] ? c->customer_id : c->email;
}

static const ind_customer *find(const ind_store *s, const char *key)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->customers[i].key, key) == 0)
            return &s->customers[i];
    fail_msg("customer %s not in the independent computation", key);
    return NULL;
}

static void check_customers(const run *r, const ind_store *s)
{
    size_t n = cvo_customers_count(r->customers);
    assert_int_equal(n, s->count);
    const cvo_profit_row *rows = cvo_profit_rows(r->profit);
    for (size_t i = 0; i < n; i++) {
        const ind_customer *c = find(s, key_of(cvo_customers_at(r->customers, i)));
        assert_int_equal(rows[i].orders, c->orders);
        assert_int_equal(rows[i].revenue_cents, c->revenue);
        assert_int_equal(rows[i].margin_cents, c->margin);
        assert_int_equal(rows[i].acquisition_cents, c->acquisition);
        assert_int_equal(rows[i].profit_cents, c->profit);
        assert_int_equal(rows[i].profitable, c->profit > 0);
        assert_int_equal(rows[i].code_orders, c->code_orders);
        assert_int_equal(rows[i].discount_cents, c->discount);
    }
}

static void check_segments(const run *r, const ind_store *s)
{
    size_t segments = cvo_scheme_segment_count(r->scheme);
    int64_t revenue[32] = {0}, profit[32] = {0}, total_profit = 0;
    uint64_t customers[32] = {0}, unprofitable[32] = {0};
    const cvo_score *scores = cvo_rfm_scores(r->rfm);
    for (size_t i = 0; i < cvo_customers_count(r->customers); i++) {
        const ind_customer *c = find(s, key_of(cvo_customers_at(r->customers, i)));
        size_t k = scores[i].segment;
        customers[k]++;
        revenue[k] += c->revenue;
        profit[k] += c->profit;
        unprofitable[k] += c->profit <= 0;
        total_profit += c->profit;
    }
    assert_int_equal(cvo_profit_segment_count(r->profit), segments);
    const cvo_profit_segment *seg = cvo_profit_segments(r->profit);
    for (size_t k = 0; k < segments; k++) {
        assert_string_equal(seg[k].name, cvo_scheme_segment_name(r->scheme, k));
        assert_int_equal(seg[k].customers, customers[k]);
        assert_int_equal(seg[k].revenue_cents, revenue[k]);
        assert_int_equal(seg[k].profit_cents, profit[k]);
        assert_int_equal(seg[k].unprofitable, unprofitable[k]);
        int64_t mean = customers[k] ? (int64_t)llround((double)profit[k] / customers[k]) : 0;
        assert_int_equal(seg[k].mean_profit_cents, mean);
        assert_float_equal(seg[k].profit_share, (double)profit[k] / total_profit, 1e-12);
        assert_float_equal(seg[k].revenue_share, (double)revenue[k] / s->revenue, 1e-12);
    }
    assert_int_equal(cvo_profit_overall(r->profit)->profit_cents, total_profit);
}

static const char store_ini[] = "[profit]\n"
                                "payment_fee_percent = 0.029\n"
                                "payment_fee_fixed = 0.30\n"
                                "default_margin = 0.35\n"
                                "acquisition_cost = paid_social:25, paid_search:30.50, organic:0\n"
                                "default_acquisition_cost = 12.25\n";

static const rates store_rates = {29000, 30, 350000, {"paid_social", "paid_search", "organic", NULL},
                                  {2500, 3050, 0, 0}, 1225};

/* ---- tests ------------------------------------------------------------------------------------- */

/* Every cost on its line: per customer and per segment to the cent. */
static void test_generated_store(void **state)
{
    fixture *f = *state;
    generate(f, 2000, 5);
    ind_store s = independent(f->orders, NULL, &store_rates);
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, store_ini, NULL, &r), CVO_OK);
    check_customers(&r, &s);
    check_segments(&r, &s);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    assert_int_equal(t->revenue_cents, s.revenue);
    assert_float_equal(t->from_line_share, 1.0, 1e-12);
    assert_true(t->acquisition_cents > 0 && t->unprofitable > 0);
    run_free(&r);
    free(s.customers);
}

/* Blank unit costs, a products file without some SKUs: all three sources. */
static void test_cost_sources(void **state)
{
    fixture *f = *state;
    generate(f, 600, 11);
    blank_costs(f);
    ind_store s = independent(f->blanked, f->partial, &store_rates);
    run r;
    assert_int_equal(run_profit(f, f->blanked, f->partial, store_ini, NULL, &r), CVO_OK);
    check_customers(&r, &s);
    check_segments(&r, &s);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    assert_int_equal(t->cost_from_line_cents, s.from_line);
    assert_int_equal(t->cost_from_products_cents, s.from_products);
    assert_int_equal(t->cost_by_default_cents, s.by_default);
    assert_int_equal(s.from_line + s.from_products + s.by_default, s.revenue);
    assert_true(s.from_line > 0 && s.from_products > 0 && s.by_default > 0);
    assert_float_equal(t->from_line_share, (double)s.from_line / s.revenue, 1e-12);
    assert_float_equal(t->from_products_share, (double)s.from_products / s.revenue, 1e-12);
    assert_float_equal(t->by_default_share, (double)s.by_default / s.revenue, 1e-12);
    run_free(&r);
    free(s.customers);
}

/* Price 100, cost as given, no fees, no shipping: margin = 100 - cost. */
static const char break_even_orders[] =
    HEADER "A1,A,,2024-01-01,S,Thing,1,100.00,0.00,90.00,,0.00,US,,paid\n"  /* -20 */
           "A2,A,,2024-02-01,S,Thing,1,100.00,0.00,85.00,,0.00,US,,paid\n"  /* -5 */
           "A3,A,,2024-03-01,S,Thing,1,100.00,0.00,90.00,,0.00,US,,paid\n"  /* +5: 3rd */
           "B1,B,,2024-01-05,S,Thing,1,100.00,0.00,90.00,,0.00,US,,paid\n"  /* mean 10 */
           "C1,C,,2024-01-07,S,Thing,1,100.00,0.00,105.00,,0.00,US,,paid\n" /* never */
           "C2,C,,2024-02-07,S,Thing,1,100.00,0.00,104.00,,0.00,US,,paid\n"
           "D1,D,,2024-01-09,S,Thing,1,100.00,0.00,60.00,,0.00,US,,organic\n" /* 1st */
           "E1,E,,2024-01-09,S,Thing,1,100.00,0.00,88.00,,0.00,US,,paid\n"  /* 12, 12: */
           "E2,E,,2024-03-09,S,Thing,1,100.00,0.00,88.00,,0.00,US,,paid\n"; /* ceil(2.5) */

static const char no_fees_ini[] = "[profit]\npayment_fee_percent = 0\npayment_fee_fixed = 0\n"
                                  "acquisition_cost = paid:30\n";

static void test_break_even(void **state)
{
    fixture *f = *state;
    write_all(f->orders, break_even_orders, strlen(break_even_orders));
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, no_fees_ini, NULL, &r), CVO_OK);
    const cvo_profit_row *rows = cvo_profit_rows(r.profit);
    struct {
        uint32_t orders;
        bool reached;
        int64_t profit;
    } want[] = {{3, true, 500}, {3, false, -2000}, {0, false, -3900},
                {1, true, 4000}, {3, false, -600}};
    assert_int_equal(cvo_customers_count(r.customers), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(rows[i].break_even_orders, want[i].orders);
        assert_int_equal(rows[i].break_even_reached, want[i].reached);
        assert_int_equal(rows[i].profit_cents, want[i].profit);
        assert_int_equal(rows[i].profitable, want[i].profit > 0);
    }
    run_free(&r);
}

/* [profit] shipping_cost is charged to orders whose file gives no shipping
 * cost, never to one that gives it (even as 0.00). */
static void test_default_shipping(void **state)
{
    fixture *f = *state;
    static const char orders[] =
        HEADER "A1,A,,2024-01-01,S,Thing,1,100.00,0.00,90.00,,0.00,US,,paid\n"
               "A2,A,,2024-02-01,S,Thing,1,100.00,0.00,85.00,0.00,0.00,US,,paid\n"
               "B1,B,,2024-01-05,S,Thing,1,100.00,0.00,60.00,7.00,0.00,US,,organic\n";
    static const char ini[] = "[profit]\npayment_fee_percent = 0\npayment_fee_fixed = 0\n"
                              "shipping_cost = 2.50\n";
    write_all(f->orders, orders, strlen(orders));
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, ini, NULL, &r), CVO_OK);
    const cvo_profit_row *rows = cvo_profit_rows(r.profit);
    assert_int_equal(rows[0].profit_cents, (1000 - 250) + 1500);
    assert_int_equal(rows[0].shipping_cents, 250);
    assert_int_equal(rows[1].profit_cents, 4000 - 700);
    assert_int_equal(cvo_profit_overall(r.profit)->shipping_cents, 950);
    run_free(&r);
}

/* An order-level refund bigger than the uncosted revenue never makes a
 * negative cost of goods: the uncosted revenue is 0, not 30 - 100. */
static void test_order_refund_costs(void **state)
{
    fixture *f = *state;
    static const char orders[] = "order_id,customer_id,order_date,sku,quantity,unit_price,"
                                 "unit_cost,order_refund\n"
                                 "A1,A,2024-01-01,S,1,100.00,40.00,120.00\n"
                                 "A1,A,2024-01-01,T,1,50.00,,\n";
    write_all(f->orders, orders, strlen(orders));
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, no_fees_ini, NULL, &r), CVO_OK);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    assert_int_equal(t->revenue_cents, 3000);
    assert_int_equal(t->cogs_cents, 4000);
    assert_int_equal(t->cost_by_default_cents, 0);
    assert_float_equal(t->by_default_share, 0, 0);
    assert_float_equal(t->from_line_share, 1, 1e-12);
    run_free(&r);
}

/* Given expected orders are used as they are (NaN: no prediction); a
 * repeater whose mean repeat margin is negative keeps it, spend model or not. */
static void test_given_expectations(void **state)
{
    fixture *f = *state;
    write_all(f->orders, break_even_orders, strlen(break_even_orders));
    run r;
    double expected[5] = {2, 4, 3, 1.5, NAN};
    assert_int_equal(run_profit(f, f->orders, NULL, no_fees_ini, expected, &r), CVO_OK);
    const cvo_profit_row *rows = cvo_profit_rows(r.profit);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    for (size_t i = 0; i < 4; i++) {
        assert_true(rows[i].has_prediction);
        assert_float_equal(rows[i].expected_orders, expected[i], 0);
    }
    assert_int_equal(rows[2].margin_source, CVO_MARGIN_OWN); /* C: repeat margin -4 */
    assert_int_equal(rows[2].margin_per_order_cents, -400);
    assert_int_equal(rows[2].predicted_profit_cents, -1200);
    assert_false(rows[4].has_prediction);
    assert_true(t->purchase_model);
    assert_int_equal(t->orders, 9); /* margins 10 15 10, 10, -5 -4, 40, 12 12 */
    assert_int_equal(t->margin_cents, 10000);
    assert_int_equal(t->mean_margin_cents, 1111);
    int64_t sum = 0;
    for (size_t i = 0; i < 5; i++)
        sum += rows[i].has_prediction ? rows[i].predicted_profit_cents : 0;
    assert_int_equal(t->predicted_profit_cents, sum);
    run_free(&r);
}

/* Only negative repeat margins: Gamma-Gamma has nobody to fit on. */
static void test_no_spend_model(void **state)
{
    fixture *f = *state;
    const char *orders = HEADER
        "A1,A,,2024-01-01,S,Thing,1,100.00,0.00,110.00,,0.00,US,,paid\n"
        "A2,A,,2024-02-01,S,Thing,1,100.00,0.00,120.00,,0.00,US,,paid\n"
        "A3,A,,2024-03-01,S,Thing,1,100.00,0.00,101.00,,0.00,US,,paid\n"
        "B1,B,,2024-01-05,S,Thing,1,100.00,0.00,40.00,,0.00,US,,paid\n";
    write_all(f->orders, orders, strlen(orders));
    run r;
    double expected[2] = {2, 3};
    assert_int_equal(run_profit(f, f->orders, NULL, no_fees_ini, expected, &r), CVO_OK);
    const cvo_profit_row *rows = cvo_profit_rows(r.profit);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    assert_false(t->spend_model);
    assert_true(strstr(cvo_profit_note(r.profit), "Gamma-Gamma") != NULL);
    assert_int_equal(rows[0].margin_source, CVO_MARGIN_OWN); /* (-20 - 1) / 2 */
    assert_int_equal(rows[0].margin_per_order_cents, -1050);
    assert_int_equal(rows[0].predicted_profit_cents, -2100);
    assert_int_equal(rows[1].margin_source, CVO_MARGIN_POPULATION); /* (-10-20-1+60)/4 */
    assert_int_equal(rows[1].margin_per_order_cents, 725);
    assert_int_equal(rows[1].predicted_profit_cents, 2175);
    assert_int_equal(rows[0].break_even_orders, 0); /* mean margin < 0: never */
    assert_int_equal(rows[1].break_even_orders, 1);
    run_free(&r);
}

/* The margin of one order by the documented formula, for store_rates. */
static int64_t order_margin(const cvo_order *o)
{
    const rates *rt = &store_rates;
    int64_t cogs = o->cogs_cents + ppm_round(o->net_cents - o->costed_cents,
                                             1000000 - rt->margin_ppm);
    int64_t fee = ppm_round(o->net_cents, rt->fee_ppm) + rt->fee_fixed;
    return o->net_cents - cogs - o->shipping_cents - fee;
}

/* m_x of every row: the mean margin of the repeat days (after the first). */
static void set_repeat_margins(const cvo_customers *customers, cvo_summary *s)
{
    for (size_t i = 0; i < s->count; i++) {
        size_t n = 0;
        const cvo_order *orders = cvo_customers_orders(customers, i, &n);
        int64_t repeat = 0;
        for (size_t k = 1; k < n; k++)
            repeat += orders[k].day > orders[0].day ? order_margin(&orders[k]) : 0;
        s->rows[i].m_x = s->rows[i].x > 0 ? (double)repeat / s->rows[i].x / 100 : 0;
    }
}

/* On the generated store: BG/NBD expected orders over 12 months (none given);
 * Gamma-Gamma on the positive mean repeat margins, and for one-time buyers;
 * every other repeater's own mean. */
static void test_spend_model_on_margins(void **state)
{
    fixture *f = *state;
    generate(f, 2000, 5);
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, store_ini, NULL, &r), CVO_OK);
    const cvo_profit_totals *t = cvo_profit_overall(r.profit);
    assert_true(t->spend_model && t->purchase_model);
    assert_string_equal(cvo_profit_note(r.profit), "");
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.as_of_day = cvo_rfm_as_of_day(r.rfm);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(f->ctx, r.customers, &so, &s), CVO_OK);
    set_repeat_margins(r.customers, s);
    cvo_fit bgnbd, gg;
    assert_int_equal(cvo_model_fit(f->ctx, CVO_MODEL_BGNBD, s, NULL, &bgnbd), CVO_OK);
    assert_int_equal(cvo_model_fit(f->ctx, CVO_MODEL_GG, s, NULL, &gg), CVO_OK);
    double horizon = 12 * 365.25 / 12 / 7;
    const cvo_profit_row *rows = cvo_profit_rows(r.profit);
    size_t own = 0;
    for (size_t i = 0; i < s->count; i++) {
        const cvo_summary_row *x = &s->rows[i];
        double expected = cvo_fit_expected(&bgnbd, x->x, x->t_x, x->T, horizon);
        double margin = x->m_x * 100;
        if (x->x == 0 || x->m_x > 0) {
            assert_int_equal(rows[i].margin_source, CVO_MARGIN_SPEND_MODEL);
            margin = 100 * cvo_fit_spend(&gg, x->x, x->m_x);
        } else {
            assert_int_equal(rows[i].margin_source, CVO_MARGIN_OWN);
            own++;
        }
        assert_true(rows[i].has_prediction);
        assert_float_equal(rows[i].expected_orders, expected, 1e-12);
        assert_true(llabs(rows[i].margin_per_order_cents - llround(margin)) <= 0);
        assert_true(llabs(rows[i].predicted_profit_cents - llround(expected * margin)) <= 0);
    }
    assert_true(own > 0);
    cvo_summary_free(s);
    run_free(&r);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    write_all(f->orders, break_even_orders, strlen(break_even_orders));
    run r;
    assert_int_equal(run_profit(f, f->orders, NULL, "[profit]\nacquisition_cost = paid30\n",
                                NULL, &r),
                     CVO_ERR_CONFIG);
    assert_null(r.profit);
    assert_true(strstr(cvo_ctx_message(f->ctx), "profit.acquisition_cost: 'paid30'") != NULL);
    run_free(&r);
    const char *bad[] = {"paid:", ":5", "paid:-3", "paid:1,paid:2", "paid:abc"};
    for (size_t i = 0; i < 5; i++) {
        char ini[128];
        snprintf(ini, sizeof ini, "[profit]\nacquisition_cost = \"%s\"\n", bad[i]);
        assert_int_equal(run_profit(f, f->orders, NULL, ini, NULL, &r), CVO_ERR_CONFIG);
        run_free(&r);
    }
    /* a table without orders */
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = f->orders;
    cvo_customers *plain = NULL;
    assert_int_equal(cvo_orders_load(f->ctx, &lo, &plain, NULL), CVO_OK);
    assert_int_equal(run_profit(f, f->orders, NULL, NULL, NULL, &r), CVO_OK);
    cvo_profit *p = NULL;
    assert_int_equal(cvo_profit_compute(f->ctx, plain, r.rfm, r.scheme, r.config, NULL, &p),
                     CVO_ERR_ARGUMENT);
    assert_null(p);
    assert_int_equal(cvo_profit_compute(f->ctx, r.customers, NULL, r.scheme, r.config, NULL, &p),
                     CVO_ERR_ARGUMENT);
    cvo_customers_free(plain);
    run_free(&r);
    cvo_profit_free(NULL);
    assert_string_equal(cvo_margin_source_name(CVO_MARGIN_OWN), "own mean");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generated_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_break_even, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_shipping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_refund_costs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_expectations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_spend_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spend_model_on_margins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
