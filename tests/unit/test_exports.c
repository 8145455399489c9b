/* test_exports.c - the writers of cvo analyze on a generated store and on a
 * hand-made hostile one: list files match the flags of customers.csv, Klaviyo
 * bodies parse as JSON within their caps, and no CSV cell starts a formula. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"
#include "output/cells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORDERS_HEADER                                                                              \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

#define KLAVIYO_BODY_CAP 5000000u

/* ---- an analysed store ------------------------------------------------------------ */

typedef struct store {
    cvo_ctx *ctx;
    char *path;
    cvo_customers *customers;
    cvo_config *config;
    cvo_analysis *analysis;
} store;

static char *temp_path(const char *text, size_t len)
{
    char *path = strdup("/tmp/cvo_test_exports_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    if (text != NULL)
        assert_int_equal(fwrite(text, 1, len, f), len);
    return fclose(f) == 0 ? path : NULL;
}

static char *generated_orders(cvo_ctx *ctx, uint64_t customers, uint64_t seed)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cvo_generate_options options;
    cvo_generate_options_init(&options);
    options.customers = customers;
    options.seed = seed;
    assert_int_equal(cvo_generate(ctx, &options, f, NULL, NULL), CVO_OK);
    fclose(f);
    char *path = temp_path(text, len);
    free(text);
    return path;
}

/* Loads path and analyses it with key=value settings ("section.key=value"). */
static void analyse(store *s, const char *const *settings)
{
    cvo_load_options options;
    cvo_load_options_init(&options);
    options.path = s->path;
    options.keep_orders = true;
    cvo_load_stats stats;
    assert_int_equal(cvo_orders_load(s->ctx, &options, &s->customers, &stats), CVO_OK);
    assert_int_equal(cvo_config_new(s->ctx, &s->config), CVO_OK);
    for (size_t i = 0; settings && settings[i]; i += 3)
        assert_int_equal(cvo_config_set(s->config, settings[i], settings[i + 1], settings[i + 2]),
                         CVO_OK);
    cvo_status status = cvo_analyze(s->ctx, s->customers, &stats, s->config, &s->analysis);
    if (status != CVO_OK)
        fail_msg("cvo_analyze: %s", cvo_ctx_message(s->ctx));
}

static void store_free(store *s)
{
    cvo_analysis_free(s->analysis);
    cvo_config_free(s->config);
    cvo_customers_free(s->customers);
    if (s->path) {
        unlink(s->path);
        free(s->path);
    }
    cvo_ctx_free(s->ctx);
    free(s);
}

static int setup_generated(void **state)
{
    static const char *const settings[] = {"klaviyo", "profiles_per_job", "100", NULL};
    store *s = calloc(1, sizeof *s);
    assert_int_equal(cvo_ctx_new(&s->ctx, NULL), CVO_OK);
    s->path = generated_orders(s->ctx, 600, 5);
    analyse(s, settings);
    *state = s;
    return 0;
}

/* Formula-looking ids and emails, a quote and a control character. */
static const char hostile_rows[] = ORDERS_HEADER
    "o1,+4915112345,=1+2@x.com,2024-01-05,S1,=cmd|' /C calc'!A0,1,10.00,0,,,,DE,,web\n"
    "o2,+4915112345,=1+2@x.com,2024-03-05,S1,p,2,10.00,0,,,,DE,,web\n"
    "o3,@admin,\"-x\"\"q@x.com\",2024-02-01,S2,p,1,20.00,0,,,,DE,,web\n"
    "o4,-5,+plus@x.com,2024-02-11,S2,p,1,30.00,0,,,,DE,,web\n"
    "o5,c5,tab@x.com,2024-04-01,S2,p,1,5.00,0,,,,DE,,web\n"
    "o6,,only@x.com,2024-04-02,S2,p,1,5.00,0,,,,DE,,web\n"
    "o7,c7,,2024-04-03,S2,p,1,5.00,0,,,,DE,,web\n"
    "o8,c8,b@x.com,2023-01-03,S2,p,1,5.00,0,,,,DE,,web\n"
    "o9,c8,b@x.com,2023-06-03,S2,p,1,5.00,0,,,,DE,,web\n"
    "o10,c8,b@x.com,2024-05-03,S2,p,1,5.00,0,,,,DE,,web\n";

static int setup_hostile(void **state)
{
    store *s = calloc(1, sizeof *s);
    assert_int_equal(cvo_ctx_new(&s->ctx, NULL), CVO_OK);
    s->path = temp_path(hostile_rows, strlen(hostile_rows));
    analyse(s, NULL);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store_free(*state);
    return 0;
}

/* ---- capturing writer output ---------------------------------------------------- */

typedef struct text {
    char *data;
    size_t len;
} text;

typedef cvo_status (*stream_writer)(cvo_ctx *, const cvo_analysis *, FILE *);

static text capture(const store *s, stream_writer write)
{
    text t = {NULL, 0};
    FILE *f = open_memstream(&t.data, &t.len);
    assert_non_null(f);
    cvo_status status = write(s->ctx, s->analysis, f);
    if (status != CVO_OK)
        fail_msg("writer: %s", cvo_ctx_message(s->ctx));
    fclose(f);
    return t;
}

static text capture_list(const store *s, unsigned bit)
{
    text t = {NULL, 0};
    FILE *f = open_memstream(&t.data, &t.len);
    assert_int_equal(cvo_write_list(s->ctx, s->analysis, bit, f), CVO_OK);
    fclose(f);
    return t;
}

/* ---- a small CSV reader ------------------------------------------------------------ */

typedef struct csv_cell {
    char *value; /* unquoted, "" undone */
    bool quoted;
} csv_cell;

typedef struct csv_table {
    size_t rows, columns; /* rows include the header */
    csv_cell *cells;      /* rows x columns */
} csv_table;

/* One field at *p; moves *p past it and its delimiter; *end at a line end. */
static csv_cell read_field(const char **p, bool *end)
{
    csv_cell c = {NULL, **p == '"'};
    size_t cap = strlen(*p) + 1, n = 0;
    c.value = malloc(cap);
    const char *q = *p + c.quoted;
    for (;; q++) {
        if (c.quoted && *q == '"' && q[1] == '"') {
            c.value[n++] = '"';
            q++;
        } else if (c.quoted && *q == '"') {
            c.quoted = true;
            q++;
            break;
        } else if (!c.quoted && (*q == ',' || *q == '\n' || *q == '\0')) {
            break;
        } else {
            assert_true(*q != '\0');
            c.value[n++] = *q;
        }
    }
    c.value[n] = '\0';
    assert_true(*q == ',' || *q == '\n');
    *end = *q == '\n';
    *p = q + 1;
    return c;
}

static csv_table parse_csv(const text *t)
{
    csv_table table = {0, 0, NULL};
    size_t cap = 0, count = 0, in_row = 0;
    const char *p = t->data;
    while (p < t->data + t->len) {
        bool end;
        csv_cell c = read_field(&p, &end);
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            table.cells = realloc(table.cells, cap * sizeof *table.cells);
        }
        table.cells[count++] = c;
        in_row++;
        if (end) {
            if (table.rows == 0)
                table.columns = in_row;
            assert_int_equal(in_row, table.columns);
            table.rows++;
            in_row = 0;
        }
    }
    assert_int_equal(in_row, 0);
    return table;
}

static const char *cell_at(const csv_table *t, size_t row, size_t column)
{
    return t->cells[row * t->columns + column].value;
}

static size_t column_of(const csv_table *t, const char *name)
{
    for (size_t k = 0; k < t->columns; k++)
        if (strcmp(cell_at(t, 0, k), name) == 0)
            return k;
    fail_msg("no column %s", name);
    return 0;
}

static void free_csv(csv_table *t)
{
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i].value);
    free(t->cells);
}

static bool is_number(const char *s)
{
    char *end;
    if (s[0] == '\0')
        return false;
    strtod(s, &end);
    return *end == '\0';
}

/* Every cell that would start a formula is quoted and starts with '; a plain
 * cell starting with - is a number cvo formatted. */
static void assert_no_formula(const text *t)
{
    csv_table table = parse_csv(t);
    for (size_t i = 0; i < table.rows * table.columns; i++) {
        const csv_cell *c = &table.cells[i];
        if (c->value[0] == '\0' || !strchr("=+-@\t\r\n", c->value[0]))
            continue;
        if (c->value[0] == '-' && !c->quoted && is_number(c->value))
            continue;
        fail_msg("formula cell '%s'", c->value);
    }
    free_csv(&table);
}

/* ---- a tiny JSON validator ------------------------------------------------------------ */

static const char *json_value(const char *p, int depth);

static const char *json_space(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (!strchr("0123456789abcdefABCDEF", p[k]) || p[k] == '\0')
                        return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
                return NULL;
            }
        }
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    const char *start = p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p > start ? p : NULL;
}

/* Members of an object ('{' already read) or elements of an array. */
static const char *json_items(const char *p, char close, int depth)
{
    p = json_space(p);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            p = json_string(json_space(p));
            if (p == NULL || *(p = json_space(p)) != ':')
                return NULL;
            p++;
        }
        p = json_value(p, depth + 1);
        if (p == NULL)
            return NULL;
        p = json_space(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = json_space(p);
    if (*p == '{' || *p == '[')
        return json_items(p + 1, *p == '{' ? '}' : ']', depth);
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    return json_number(p);
}

/* Whether data[0..len) is exactly one JSON value (and blanks). */
static bool json_valid(const char *data, size_t len)
{
    char *copy = strndup(data, len);
    const char *end = json_value(copy, 0);
    bool ok = end != NULL && *json_space(end) == '\0' && strlen(copy) == len;
    free(copy);
    return ok;
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- counting in the analysis ------------------------------------------------------ */

static size_t customers_of(const store *s)
{
    return cvo_customers_count(s->customers);
}

static size_t with_email(const store *s)
{
    size_t n = 0;
    for (size_t i = 0; i < customers_of(s); i++)
        n += cvo_customers_at(s->customers, i)->email[0] != '\0';
    return n;
}

static size_t members(const store *s, unsigned bit)
{
    const cvo_customer_result *r = cvo_analysis_results(s->analysis);
    size_t n = 0;
    for (size_t i = 0; i < customers_of(s); i++)
        n += (r[i].lists & bit) != 0;
    return n;
}

/* ---- the cells themselves ---------------------------------------------------------- */

static void assert_cell(void (*write)(cell_buf *, const char *), const char *in,
                        const char *expected)
{
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cell_buf b;
    cell_buf_init(&b, ctx);
    write(&b, in);
    cell_char(&b, '\0');
    assert_string_equal(b.data, expected);
    cell_buf_free(&b);
    cvo_ctx_free(ctx);
}

static void test_cells(void **state)
{
    (void)state;
    assert_cell(cell_csv_text, "=1+2\";=1+2", "\"'=1+2\"\";=1+2\""); /* OWASP's example */
    assert_cell(cell_csv_text, "@SUM(A1)", "\"'@SUM(A1)\"");
    assert_cell(cell_csv_text, "\tx", "\"'\tx\"");
    assert_cell(cell_csv_text, "-12.50", "\"'-12.50\"");
    assert_cell(cell_csv_text, "a,b", "\"a,b\"");
    assert_cell(cell_csv_text, "plain", "plain");
    assert_cell(cell_csv_text, "", "");
    assert_cell(cell_json_string, "a\"b\\c\n\x01\x1f\x7f\xc3\xa9",
                "\"a\\\"b\\\\c\\n\\u0001\\u001f\\u007f\xc3\xa9\"");
}

/* Text cut to the scratch never ends inside a UTF-8 character. */
static void test_cell_format_cut(void **state)
{
    (void)state;
    char long_text[601];
    for (size_t i = 0; i < 600; i += 2)
        memcpy(long_text + i, "\xc3\xa9", 2); /* e-acute */
    long_text[600] = '\0';
    cell c;
    cell_set_format(&c, "x%s", long_text);
    size_t len = strlen(c.text);
    assert_true(len < sizeof c.scratch);
    assert_int_equal(len % 2, 1); /* "x" and whole two-byte characters */
    assert_int_equal((unsigned char)c.text[len - 1], 0xa9);
    cell_set_format(&c, "%d%d%d", 5, 3, 5);
    assert_string_equal(c.text, "535");
    assert_int_equal(c.type, CELL_TEXT);
}

static void test_cell_numbers(void **state)
{
    (void)state;
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cell_buf b;
    cell_buf_init(&b, ctx);
    cell_money(&b, -1250);
    cell_char(&b, ' ');
    cell_money(&b, 5);
    cell_char(&b, ' ');
    cell_fixed(&b, NAN, 2, false);
    cell_fixed(&b, INFINITY, 2, false);
    cell_fixed(&b, 0.12345, 4, false);
    cell_char(&b, ' ');
    cell_fixed(&b, 2.5, 4, true);
    cell_char(&b, ' ');
    cell_fixed(&b, -0.00001, 2, false);
    cell_char(&b, ' ');
    cell_json_number(&b, NAN);
    cell_char(&b, ' ');
    cell_json_number(&b, -INFINITY);
    cell_char(&b, ' ');
    cell_day(&b, INT32_MIN);
    cell_day(&b, cvo_day_from_ymd(2024, 2, 29));
    cell_char(&b, '\0');
    assert_string_equal(b.data, "-12.50 0.05 0.1235 2.5 0.00 null null 2024-02-29");
    assert_int_equal(cell_status(&b), CVO_OK);
    cell_buf_free(&b);
    cvo_ctx_free(ctx);
}

/* ---- customers.csv and the lists -------------------------------------------------- */

static const char customers_header[] =
    "customer_id,email,first_order,last_order,recency_days,frequency,monetary,r,f,m,rfm,segment,"
    "p_alive,expected_orders,predicted_clv,churn_risk,next_order_date,winback_date,profit,"
    "predicted_profit,orders_to_break_even,profitable,exclude,no_discount,winback,vip,referral,"
    "interview,holdout,loyalty_tier,nps_last,nps_class,accepts_marketing\n";

/* Cents as the writers print money: "-12.50". */
static void money_text(int64_t cents, char *out, size_t size)
{
    uint64_t magnitude = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(out, size, "%s%llu.%02u", cents < 0 ? "-" : "", (unsigned long long)(magnitude / 100),
             (unsigned)(magnitude % 100));
}

/* Row r (customer r - 1) of a table holds the profit accessors' values. */
static void assert_profit_cells(const store *s, const csv_table *table, size_t r,
                                const char *const names[4])
{
    const cvo_profit_row *p = &cvo_profit_rows(cvo_analysis_profit(s->analysis))[r - 1];
    char want[48];
    money_text(p->profit_cents, want, sizeof want);
    assert_string_equal(cell_at(table, r, column_of(table, names[0])), want);
    if (p->has_prediction)
        money_text(p->predicted_profit_cents, want, sizeof want);
    else
        want[0] = '\0';
    assert_string_equal(cell_at(table, r, column_of(table, names[1])), want);
    if (p->break_even_orders > 0)
        snprintf(want, sizeof want, "%u", (unsigned)p->break_even_orders);
    else
        want[0] = '\0';
    assert_string_equal(cell_at(table, r, column_of(table, names[2])), want);
    if (names[3] != NULL)
        assert_string_equal(cell_at(table, r, column_of(table, names[3])),
                            p->profitable ? "1" : "0");
}

static void test_customers_profit_columns(void **state)
{
    static const char *const names[4] = {"profit", "predicted_profit", "orders_to_break_even",
                                         "profitable"};
    const store *s = *state;
    assert_non_null(cvo_analysis_profit(s->analysis));
    text t = capture(s, cvo_write_customers_csv);
    csv_table table = parse_csv(&t);
    size_t predicted = 0, unprofitable = 0;
    for (size_t r = 1; r < table.rows; r++) {
        assert_profit_cells(s, &table, r, names);
        predicted += cell_at(&table, r, column_of(&table, "predicted_profit"))[0] != '\0';
        unprofitable += strcmp(cell_at(&table, r, column_of(&table, "profitable")), "0") == 0;
    }
    assert_true(predicted > 0);
    assert_int_equal(unprofitable,
                     cvo_profit_overall(cvo_analysis_profit(s->analysis))->unprofitable);
    free_csv(&table);
    free(t.data);
}

/* The no-discount flag, its reason and the profit after the standard discount agree. */
static void test_no_discount_reasons(void **state)
{
    const store *s = *state;
    const cvo_customer_result *results = cvo_analysis_results(s->analysis);
    size_t unprofitable = 0;
    for (size_t i = 0; i < customers_of(s); i++) {
        cvo_no_discount_reason why = cvo_analysis_no_discount_reason(s->analysis, i);
        bool listed = (results[i].lists & CVO_LIST_NO_DISCOUNT) != 0;
        assert_int_equal(listed, why != CVO_NO_DISCOUNT_NONE);
        int64_t after = 0;
        bool known = cvo_analysis_profit_after_discount(s->analysis, i, &after);
        if (why == CVO_NO_DISCOUNT_UNPROFITABLE) {
            assert_true(known && after < 0);
            unprofitable++;
        }
        if (why == CVO_NO_DISCOUNT_FULL_PRICE)
            assert_int_equal(cvo_profit_rows(cvo_analysis_profit(s->analysis))[i].code_orders, 0);
    }
    int64_t after = 1;
    assert_false(cvo_analysis_profit_after_discount(s->analysis, customers_of(s), &after));
    assert_int_equal(after, 0);
    text t = capture_list(s, CVO_LIST_NO_DISCOUNT);
    if (unprofitable > 0)
        assert_non_null(strstr(t.data, "discount makes them unprofitable"));
    free(t.data);
}

static void test_customers_csv(void **state)
{
    const store *s = *state;
    text t = capture(s, cvo_write_customers_csv);
    assert_true(t.len > sizeof customers_header);
    assert_memory_equal(t.data, customers_header, sizeof customers_header - 1);
    csv_table table = parse_csv(&t);
    assert_int_equal(table.rows, customers_of(s) + 1);
    size_t churn = column_of(&table, "churn_risk");
    for (size_t r = 1; r < table.rows; r++) {
        const char *risk = cell_at(&table, r, churn);
        assert_true(!strcmp(risk, "low") || !strcmp(risk, "medium") || !strcmp(risk, "high"));
    }
    assert_no_formula(&t);
    free_csv(&table);
    free(t.data);
}

/* The customer ids of rows of a table whose column flag is "1" (all rows when NULL). */
static char *ids_where(const csv_table *t, const char *flag)
{
    size_t id = column_of(t, "customer_id"), k = flag ? column_of(t, flag) : 0;
    size_t cap = 1;
    for (size_t r = 1; r < t->rows; r++)
        cap += strlen(cell_at(t, r, id)) + 1;
    char *out = calloc(1, cap);
    for (size_t r = 1; r < t->rows; r++)
        if (flag == NULL || strcmp(cell_at(t, r, k), "1") == 0) {
            strcat(out, cell_at(t, r, id));
            strcat(out, "\n");
        }
    return out;
}

static void check_list(const store *s, const csv_table *customers, unsigned bit, const char *flag)
{
    text t = capture_list(s, bit);
    csv_table list = parse_csv(&t);
    assert_string_equal(cell_at(&list, 0, 0), "Email");
    assert_int_equal(list.rows - 1, members(s, bit));
    char *expected = ids_where(customers, flag), *got = ids_where(&list, NULL);
    assert_string_equal(got, expected);
    assert_no_formula(&t);
    free(expected);
    free(got);
    free_csv(&list);
    free(t.data);
}

static void test_lists_match_flags(void **state)
{
    const store *s = *state;
    static const struct {
        unsigned bit;
        const char *flag;
    } lists[] = {{CVO_LIST_EXCLUDE, "exclude"},   {CVO_LIST_NO_DISCOUNT, "no_discount"},
                 {CVO_LIST_WINBACK, "winback"},   {CVO_LIST_VIP, "vip"},
                 {CVO_LIST_REFERRAL, "referral"}, {CVO_LIST_INTERVIEW, "interview"}};
    text t = capture(s, cvo_write_customers_csv);
    csv_table customers = parse_csv(&t);
    size_t nonempty = 0;
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        check_list(s, &customers, lists[k].bit, lists[k].flag);
        nonempty += members(s, lists[k].bit) > 0;
    }
    assert_true(nonempty >= 4); /* the store is big enough to fill most lists */
    free_csv(&customers);
    free(t.data);
}

static void test_loyalty_tiers(void **state)
{
    const store *s = *state;
    text c = capture(s, cvo_write_customers_csv), t = capture(s, cvo_write_loyalty_tiers);
    csv_table customers = parse_csv(&c), tiers = parse_csv(&t);
    assert_string_equal(cell_at(&tiers, 0, 0), "Email");
    assert_string_equal(cell_at(&tiers, 0, 1), "tier");
    assert_int_equal(tiers.rows, customers.rows);
    size_t tier = column_of(&customers, "loyalty_tier");
    for (size_t r = 1; r < tiers.rows; r++)
        assert_string_equal(cell_at(&tiers, r, 1), cell_at(&customers, r, tier));
    assert_no_formula(&t);
    free_csv(&customers);
    free_csv(&tiers);
    free(c.data);
    free(t.data);
}

static void test_bad_list(void **state)
{
    const store *s = *state;
    FILE *f = tmpfile();
    assert_int_equal(cvo_write_list(s->ctx, s->analysis, 1u << 20, f), CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_write_list(s->ctx, s->analysis, 0, f), CVO_ERR_ARGUMENT);
    fclose(f);
}

static void test_write_error(void **state)
{
    const store *s = *state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    assert_int_equal(cvo_write_customers_csv(s->ctx, s->analysis, full), CVO_ERR_WRITE);
    assert_non_null(strstr(cvo_ctx_message(s->ctx), "write error"));
    fclose(full);
}

/* ---- summary.json ------------------------------------------------------------------ */

static void test_summary_json(void **state)
{
    const store *s = *state;
    text t = capture(s, cvo_write_summary_json);
    assert_true(json_valid(t.data, t.len));
    static const char *const keys[] = {"\"as_of\":\"",
                                       "\"currency\":",
                                       "\"records\":{\"read\":",
                                       "\"by_reason\":{",
                                       "\"segments\":[{\"segment\":",
                                       "\"model\":{\"ok\":",
                                       "\"purchase\":",
                                       "\"backtest\":",
                                       "\"lists\":{\"exclude\":",
                                       "\"median_recency_days\":",
                                       "\"profit\":{\"customers\":",
                                       "\"cost_sources\":{\"line_unit_cost\":",
                                       "\"segments\":[{\"segment\":",
                                       "\"revenue_share\":",
                                       "\"profit_share\":",
                                       "\"mean_profit\":",
                                       "\"unprofitable_share\":"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strstr(t.data, keys[k]) == NULL)
            fail_msg("summary.json lacks %s", keys[k]);
    assert_null(strstr(t.data, "nan"));
    assert_null(strstr(t.data, "inf"));
    free(t.data);
}

/* drivers: per grouping exactly the significant rows (up to 20 per direction). */
static void test_summary_drivers(void **state)
{
    const store *s = *state;
    text t = capture(s, cvo_write_summary_json);
    const char *drivers = strstr(t.data, "\"drivers\":{");
    assert_non_null(drivers);
    size_t total = 0;
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
        const cvo_dive *d = cvo_analysis_dive(s->analysis, (cvo_dive_by)by);
        assert_non_null(d);
        size_t rows = 0, want = 0, found = 0;
        const cvo_dive_row *r = cvo_dive_rows(d, &rows);
        size_t per_direction[2] = {0, 0};
        for (size_t i = 0; i < rows; i++)
            per_direction[r[i].direction] += r[i].significant;
        want = (per_direction[0] < 20 ? per_direction[0] : 20) +
               (per_direction[1] < 20 ? per_direction[1] : 20);
        char key[64];
        snprintf(key, sizeof key, "\"%s\":[", cvo_dive_by_name((cvo_dive_by)by));
        const char *at = strstr(drivers, key);
        assert_non_null(at);
        const char *end = strchr(at, ']');
        for (const char *p = at; (p = strstr(p, "\"direction\":")) != NULL && p < end; p++)
            found++;
        assert_int_equal(found, want);
        total += found;
    }
    (void)total; /* this small store may have none; tests/dive_check.sh has a planted one */
    free(t.data);
}

/* ---- Klaviyo -------------------------------------------------------------------------- */

static const char profiles_header[] =
    "Email,CVO RFM Segment,CVO RFM Score,CVO Recency Days,CVO Orders,CVO Historic CLV,"
    "CVO Predicted CLV,CVO P Alive,CVO Churn Risk,CVO Next Order Date,CVO Winback Date,"
    "CVO Exclude,CVO Winback,CVO VIP,CVO Referral,CVO Interview,CVO No Discount,"
    "CVO Loyalty Tier,CVO Discount Eligible,CVO Profit,CVO Predicted Profit,"
    "CVO Orders To Break Even\n";

/* Every list is a boolean on every row; the win-back date only with the win-back
 * flag; "CVO Discount Eligible" (deprecated) is the inverse of "CVO No Discount". */
static void assert_list_properties(const csv_table *table)
{
    static const char *const flags[] = {"CVO Exclude",  "CVO Winback",   "CVO VIP",
                                        "CVO Referral", "CVO Interview", "CVO No Discount"};
    size_t date = column_of(table, "CVO Winback Date"), winback = column_of(table, "CVO Winback");
    size_t no = column_of(table, "CVO No Discount"),
           eligible = column_of(table, "CVO Discount Eligible");
    for (size_t r = 1; r < table->rows; r++) {
        for (size_t k = 0; k < sizeof flags / sizeof *flags; k++) {
            const char *v = cell_at(table, r, column_of(table, flags[k]));
            assert_true(!strcmp(v, "true") || !strcmp(v, "false"));
        }
        bool listed = strcmp(cell_at(table, r, winback), "true") == 0;
        const char *day = cell_at(table, r, date);
        assert_int_equal(day[0] != '\0', listed);
        /* the one form Klaviyo takes as a date: YYYY-MM-DD HH:MM:SS */
        int32_t parsed = 0;
        char ymd[11];
        snprintf(ymd, sizeof ymd, "%s", day);
        assert_true(!listed || (strlen(day) == 19 && strcmp(day + 10, " 00:00:00") == 0 &&
                                cvo_day_parse(ymd, &parsed)));
        assert_int_not_equal(strcmp(cell_at(table, r, no), "true") == 0,
                             strcmp(cell_at(table, r, eligible), "true") == 0);
    }
}

static void test_profiles_csv(void **state)
{
    const store *s = *state;
    text t = capture(s, cvo_write_klaviyo_profiles);
    assert_memory_equal(t.data, profiles_header, sizeof profiles_header - 1);
    csv_table table = parse_csv(&t);
    assert_int_equal(table.rows - 1, with_email(s));
    for (size_t r = 1; r < table.rows; r++)
        assert_true(cell_at(&table, r, 0)[0] != '\0');
    assert_list_properties(&table);
    /* profiles.csv holds only customers with an email: check the first rows
     * whose customer row is the same (the generated store gives everyone one) */
    static const char *const names[4] = {"CVO Profit", "CVO Predicted Profit",
                                         "CVO Orders To Break Even", NULL};
    if (with_email(s) == customers_of(s))
        for (size_t r = 1; r < table.rows && r <= 20; r++)
            assert_profit_cells(s, &table, r, names);
    assert_no_formula(&t);
    free_csv(&table);
    free(t.data);
}

typedef struct bodies {
    text body[64];
    FILE *open_stream;
    size_t opened, closed;
} bodies;

static cvo_status open_body(void *user_data, size_t index, FILE **out)
{
    bodies *b = user_data;
    assert_int_equal(index, b->opened);
    assert_true(index < 64);
    *out = open_memstream(&b->body[index].data, &b->body[index].len);
    b->opened++;
    return *out ? CVO_OK : CVO_ERR_IO;
}

static cvo_status close_body(void *user_data, size_t index, FILE *out)
{
    bodies *b = user_data;
    assert_int_equal(index, b->closed);
    b->closed++;
    return fclose(out) == 0 ? CVO_OK : CVO_ERR_IO;
}

static const char bulk_start[] = "{\"data\":{\"type\":\"profile-bulk-import-job\",";

/* Writes the bulk bodies and checks each: JSON, caps, shape; returns profiles. */
static size_t check_bulk(const store *s, size_t per_job, size_t *jobs_out)
{
    bodies *b = calloc(1, sizeof *b);
    size_t jobs = 0, profiles = 0;
    assert_int_equal(cvo_write_klaviyo_bulk(s->ctx, s->analysis, open_body, close_body, b, &jobs),
                     CVO_OK);
    assert_int_equal(jobs, b->opened);
    assert_int_equal(jobs, b->closed);
    for (size_t j = 0; j < jobs; j++) {
        const text *t = &b->body[j];
        assert_true(json_valid(t->data, t->len));
        assert_true(t->len <= KLAVIYO_BODY_CAP);
        assert_true(strncmp(t->data, bulk_start, sizeof bulk_start - 1) == 0);
        size_t n = occurrences(t->data, "{\"type\":\"profile\",\"attributes\":{");
        assert_true(n >= 1 && n <= per_job);
        profiles += n;
        free(t->data);
    }
    free(b);
    *jobs_out = jobs;
    return profiles;
}

static void test_bulk_bodies(void **state)
{
    const store *s = *state;
    size_t jobs;
    assert_int_equal(check_bulk(s, 100, &jobs), with_email(s));
    assert_int_equal(jobs, (with_email(s) + 99) / 100);
}

static void test_bulk_list_relationship(void **state)
{
    store *s = *state;
    assert_int_equal(cvo_config_set(s->config, "klaviyo", "list_id", "VRgFBd"), CVO_OK);
    bodies *b = calloc(1, sizeof *b);
    size_t jobs = 0;
    assert_int_equal(cvo_write_klaviyo_bulk(s->ctx, s->analysis, open_body, close_body, b, &jobs),
                     CVO_OK);
    assert_int_equal(cvo_config_set(s->config, "klaviyo", "list_id", ""), CVO_OK);
    for (size_t j = 0; j < jobs; j++) {
        assert_non_null(strstr(b->body[j].data,
                               ",\"relationships\":{\"lists\":{\"data\":[{\"type\":"
                               "\"list\",\"id\":\"VRgFBd\"}]}}}}\n"));
        assert_true(json_valid(b->body[j].data, b->body[j].len));
        free(b->body[j].data);
    }
    free(b);
}

static const char event_start[] =
    "{\"data\":{\"type\":\"event\",\"attributes\":{\"properties\":{\"CVO Winback Date\":\"";

static cvo_status open_full(void *user_data, size_t index, FILE **out)
{
    size_t *opened = user_data;
    (*opened)++;
    *out = fopen("/dev/full", "w");
    return *out ? CVO_OK : CVO_ERR_WRITE;
}

static cvo_status close_full(void *user_data, size_t index, FILE *out)
{
    size_t *opened = user_data;
    opened[1]++;
    return fclose(out) == 0 ? CVO_OK : CVO_ERR_WRITE;
}

/* A body that cannot be written fails the job, and its stream is still closed. */
static void test_bulk_write_error(void **state)
{
    const store *s = *state;
    size_t counts[2] = {0, 0}, jobs = 99;
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(
        cvo_write_klaviyo_bulk(s->ctx, s->analysis, open_full, close_full, counts, &jobs),
        CVO_ERR_WRITE);
    assert_true(counts[0] >= 1);
    assert_int_equal(counts[0], counts[1]);
    assert_int_equal(jobs, counts[0]);
    assert_int_equal(cvo_write_klaviyo_bulk(s->ctx, s->analysis, NULL, close_full, counts, &jobs),
                     CVO_ERR_ARGUMENT);
    assert_int_equal(jobs, 0);
}

static void test_events(void **state)
{
    const store *s = *state;
    text t = capture(s, cvo_write_klaviyo_events);
    size_t lines = 0;
    for (char *line = t.data, *end; line < t.data + t.len; line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);
        assert_true(json_valid(line, (size_t)(end - line)));
        assert_true(strncmp(line, event_start, sizeof event_start - 1) == 0);
        assert_non_null(strstr(line, "T00:00:00Z\",\"unique_id\":\"cvo-winback-"));
        assert_non_null(strstr(line, "\"metric\":{\"data\":{\"type\":\"metric\",\"attributes\":"
                                     "{\"name\":\"CVO Winback Due\"}}}"));
        lines++;
    }
    assert_int_equal(lines, members(s, CVO_LIST_WINBACK_DUE));
    free(t.data);
}

/* The events with options: unique_ids are keyed hashes (no e-mail, the same for
 * the same key, other for another key), and a customer left out has no event,
 * profile row or bulk profile. */
static bool leave_out_first(void *user_data, const cvo_analysis *a, size_t index)
{
    return index == *(const size_t *)user_data;
}

static text capture_events(const store *s, const cvo_export_options *o)
{
    text t = {NULL, 0};
    FILE *out = open_memstream(&t.data, &t.len);
    assert_int_equal(cvo_write_klaviyo_events_with(s->ctx, s->analysis, o, out), CVO_OK);
    assert_int_equal(fclose(out), 0);
    return t;
}

static void test_events_keyed(void **state)
{
    const store *s = *state;
    cvo_id_key one, two;
    memset(&one, 1, sizeof one);
    memset(&two, 2, sizeof two);
    cvo_export_options o;
    cvo_export_options_init(&o);
    o.id_key = &one;
    text a = capture_events(s, &o), b = capture_events(s, &o);
    o.id_key = &two;
    text c = capture_events(s, &o);
    assert_true(a.len > 0);
    assert_true(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    assert_true(a.len == c.len && memcmp(a.data, c.data, a.len) != 0);
    for (char *p = a.data; (p = strstr(p, "\"unique_id\":\"")) != NULL; p++) {
        char *end = strchr(p + 13, '"');
        assert_null(memchr(p, '@', (size_t)(end - p)));
        assert_int_equal(end - (p + 13), (long)strlen("cvo-winback-") + 24);
    }
    /* the first customer with an event, left out */
    const cvo_customer_result *r = cvo_analysis_results(s->analysis);
    size_t first = 0;
    while (!(r[first].lists & CVO_LIST_WINBACK_DUE))
        first++;
    o.leave_out = leave_out_first;
    o.leave_out_data = &first;
    text d = capture_events(s, &o);
    assert_int_equal(occurrences(d.data, "\"unique_id\""),
                     occurrences(c.data, "\"unique_id\"") - 1);
    free(a.data);
    free(b.data);
    free(c.data);
    free(d.data);
}

static void test_xlsx(void **state)
{
    const store *s = *state;
    char *path = temp_path(NULL, 0);
    cvo_status status = cvo_write_xlsx(s->ctx, s->analysis, path);
    if (status == CVO_ERR_ARGUMENT) {
        assert_string_equal(cvo_ctx_message(s->ctx), "built without xlsx support");
    } else {
        assert_int_equal(status, CVO_OK);
        FILE *f = fopen(path, "rb");
        char magic[2] = {0};
        assert_int_equal(fread(magic, 1, 2, f), 2);
        assert_memory_equal(magic, "PK", 2);
        fclose(f);
    }
    unlink(path);
    free(path);
}

/* ---- the hostile store -------------------------------------------------------------- */

static void assert_contains(const text *t, const char *needle)
{
    char *copy = strndup(t->data, t->len);
    if (strstr(copy, needle) == NULL)
        fail_msg("missing %s", needle);
    free(copy);
}

static void test_hostile_neutralised(void **state)
{
    const store *s = *state;
    text c = capture(s, cvo_write_customers_csv), p = capture(s, cvo_write_klaviyo_profiles);
    assert_contains(&c, "\n\"'+4915112345\",\"'=1+2@x.com\",");
    assert_contains(&c, "\n\"'@admin\",\"'-x\"\"q@x.com\",");
    assert_contains(&c, "\n\"'-5\",\"'+plus@x.com\",");
    assert_contains(&p, "\n\"'=1+2@x.com\",");
    assert_no_formula(&c);
    assert_no_formula(&p);
    text t = capture(s, cvo_write_loyalty_tiers);
    assert_no_formula(&t);
    for (unsigned bit = 1; bit <= CVO_LIST_WINBACK_DUE; bit <<= 1) {
        text l = capture_list(s, bit);
        assert_no_formula(&l);
        free(l.data);
    }
    /* one customer has no email: left out of profiles.csv */
    csv_table table = parse_csv(&p);
    assert_int_equal(table.rows - 1, customers_of(s) - 1);
    free_csv(&table);
    free(c.data);
    free(p.data);
    free(t.data);
}

static void test_hostile_json(void **state)
{
    const store *s = *state;
    text sum = capture(s, cvo_write_summary_json), ev = capture(s, cvo_write_klaviyo_events);
    assert_true(json_valid(sum.data, sum.len));
    for (char *line = ev.data, *end; line && line < ev.data + ev.len; line = end + 1) {
        end = strchr(line, '\n');
        assert_true(json_valid(line, (size_t)(end - line)));
    }
    size_t jobs;
    assert_int_equal(check_bulk(s, 10000, &jobs), with_email(s));
    assert_int_equal(jobs, 1);
    free(sum.data);
    free(ev.data);
}

/* ---- the 5 MB cap ------------------------------------------------------------------------ */

/* 2,600 customers with 2 KB emails: about 6 MB of profiles, fewer than 10,000. */
static int setup_long_emails(void **state)
{
    store *s = calloc(1, sizeof *s);
    assert_int_equal(cvo_ctx_new(&s->ctx, NULL), CVO_OK);
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    char local[2001];
    memset(local, 'a', 2000);
    local[2000] = '\0';
    fputs(ORDERS_HEADER, f);
    for (int i = 0; i < 2600; i++)
        fprintf(f, "o%d,c%d,%s%d@x.com,2024-%02d-%02d,S,p,1,%d.00,0,,,,DE,,web\n", i, i, local, i,
                1 + i % 12, 1 + i % 28, 5 + i % 50);
    fclose(f);
    s->path = temp_path(data, len);
    free(data);
    analyse(s, NULL);
    *state = s;
    return 0;
}

static void test_bulk_byte_cap(void **state)
{
    const store *s = *state;
    size_t jobs;
    assert_int_equal(check_bulk(s, 10000, &jobs), 2600);
    assert_int_equal(jobs, 2);
}

int main(void)
{
    const struct CMUnitTest cells[] = {
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_cell_numbers),
        cmocka_unit_test(test_cell_format_cut),
    };
    const struct CMUnitTest generated[] = {
        cmocka_unit_test(test_customers_csv),       cmocka_unit_test(test_customers_profit_columns),
        cmocka_unit_test(test_no_discount_reasons), cmocka_unit_test(test_lists_match_flags),
        cmocka_unit_test(test_loyalty_tiers),       cmocka_unit_test(test_bad_list),
        cmocka_unit_test(test_write_error),         cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_summary_drivers),     cmocka_unit_test(test_profiles_csv),
        cmocka_unit_test(test_bulk_bodies),         cmocka_unit_test(test_bulk_list_relationship),
        cmocka_unit_test(test_bulk_write_error),    cmocka_unit_test(test_events),
        cmocka_unit_test(test_events_keyed),        cmocka_unit_test(test_xlsx),
    };
    const struct CMUnitTest hostile[] = {
        cmocka_unit_test(test_hostile_neutralised),
        cmocka_unit_test(test_hostile_json),
    };
    const struct CMUnitTest big[] = {
        cmocka_unit_test(test_bulk_byte_cap),
    };
    int failed = cmocka_run_group_tests_name("cells", cells, NULL, NULL);
    failed += cmocka_run_group_tests_name("generated", generated, setup_generated, teardown);
    failed += cmocka_run_group_tests_name("hostile", hostile, setup_hostile, teardown);
    failed += cmocka_run_group_tests_name("bulk byte cap", big, setup_long_emails, teardown);
    return failed != 0;
}
