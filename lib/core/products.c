/* products.c - the product cost table. Strict like every input: a row with
 * a bad cost or a repeated SKU stops the read with file:line: reason. */
#include "core/products.h"

#include "base/bytes.h"
#include "base/hash.h"
#include "io/header.h"
#include "io/money.h"
#include "io/reader.h"

#include <string.h>

typedef struct product {
    const char *sku;
    size_t len;
    int64_t cost_e4;
    const char *category; /* "" when the file has none */
} product;

struct products {
    cvo_ctx *ctx;
    product *items;
    size_t count, cap;
    uint32_t *slots; /* index + 1 */
    size_t mask;
    arena strings;
};

static product *lookup(const products *p, const char *sku, size_t len, size_t *slot)
{
    size_t i = (size_t)hash_bytes(sku, len, 0x5c) & p->mask;
    for (; p->slots[i] != 0; i = (i + 1) & p->mask) {
        product *x = &p->items[p->slots[i] - 1];
        if (x->len == len && bytes_eq(x->sku, sku, len))
            return x;
    }
    *slot = i;
    return NULL;
}

static cvo_status grow(products *p)
{
    size_t cap = p->cap ? p->cap * 2 : 1024;
    product *items = mem_realloc(p->ctx, p->items, cap * sizeof *items);
    uint32_t *slots = mem_zarray(p->ctx, cap * 2, sizeof *slots);
    if (items == NULL || slots == NULL) {
        mem_free(p->ctx, slots);
        if (items != NULL)
            p->items = items;
        return ctx_nomem(p->ctx);
    }
    mem_free(p->ctx, p->slots);
    p->items = items;
    p->slots = slots;
    p->cap = cap;
    p->mask = cap * 2 - 1;
    for (size_t k = 0; k < p->count; k++) {
        size_t slot = 0;
        lookup(p, p->items[k].sku, p->items[k].len, &slot);
        p->slots[slot] = (uint32_t)k + 1;
    }
    return CVO_OK;
}

/* The category field, unescaped into the table's strings ("" without the column). */
static const char *category_text(products *p, const csv_record *rec, int col)
{
    if (col < 0 || (uint32_t)col >= rec->stored || rec->fields[col].len == 0)
        return "";
    const csv_field *f = &rec->fields[col];
    char *out = arena_alloc(&p->strings, f->len + 1);
    if (out == NULL)
        return NULL;
    size_t len = f->needs_unescape ? csv_unescape(f, out) : f->len;
    if (!f->needs_unescape)
        memcpy(out, f->ptr, len);
    out[len] = '\0';
    return out;
}

static cvo_status add(products *p, const char *path, const csv_record *rec, int sku_col,
                      int cost_col, int category_col)
{
    if ((uint32_t)sku_col >= rec->stored || (uint32_t)cost_col >= rec->stored)
        return ctx_fail(p->ctx, CVO_ERR_FORMAT, "%s:%llu: missing sku or unit_cost", path,
                        (unsigned long long)rec->line);
    const csv_field *sku = &rec->fields[sku_col], *cost = &rec->fields[cost_col];
    int64_t e4 = 0;
    if (sku->len == 0 || sku->needs_unescape ||
        money_parse(cost->ptr, cost->len, false, &e4) != MONEY_OK || e4 < 0)
        return ctx_fail(p->ctx, CVO_ERR_FORMAT, "%s:%llu: bad sku or unit_cost '%.*s'", path,
                        (unsigned long long)rec->line, (int)(cost->len > 40 ? 40 : cost->len),
                        cost->ptr);
    if (p->count * 2 >= p->cap)
        CVO_TRY(grow(p));
    size_t slot = 0;
    if (lookup(p, sku->ptr, sku->len, &slot) != NULL)
        return ctx_fail(p->ctx, CVO_ERR_FORMAT, "%s:%llu: sku '%.*s' appears twice", path,
                        (unsigned long long)rec->line, (int)sku->len, sku->ptr);
    const char *copy = arena_strndup(&p->strings, sku->ptr, sku->len);
    const char *category = category_text(p, rec, category_col);
    if (copy == NULL || category == NULL)
        return ctx_nomem(p->ctx);
    p->items[p->count] = (product){copy, sku->len, e4, category};
    p->slots[slot] = (uint32_t)++p->count;
    return CVO_OK;
}

static cvo_status read_all(products *p, const char *path, reader *rd, csv_scanner *sc)
{
    csv_record rec;
    reader_result rr = reader_next(rd, sc, &rec);
    if (rr != READER_RECORD)
        return header_unreadable(p->ctx, path, rr);
    CVO_TRY(header_check(p->ctx, path, &rec, header_fold_lower));
    int sku_col = header_column(&rec, "sku"), cost_col = header_column(&rec, "unit_cost");
    int category_col = header_column(&rec, "category");
    if (sku_col < 0 || cost_col < 0)
        return ctx_fail(p->ctx, CVO_ERR_FORMAT, "%s:1: needs the columns sku and unit_cost", path);
    while ((rr = reader_next(rd, sc, &rec)) == READER_RECORD)
        CVO_TRY(add(p, path, &rec, sku_col, cost_col, category_col));
    return rr == READER_END ? CVO_OK
                            : ctx_fail(p->ctx, CVO_ERR_FORMAT, "%s:%llu: unreadable record", path,
                                       (unsigned long long)sc->line);
}

cvo_status products_load(cvo_ctx *ctx, const char *path, products **out)
{
    *out = NULL;
    products *p = mem_zarray(ctx, 1, sizeof *p);
    if (p == NULL)
        return ctx_nomem(ctx);
    p->ctx = ctx;
    arena_init(&p->strings, ctx);
    source *src = NULL;
    reader rd;
    memset(&rd, 0, sizeof rd);
    csv_scanner *sc = mem_alloc(ctx, sizeof *sc);
    cvo_status status = sc ? grow(p) : ctx_nomem(ctx);
    if (status == CVO_OK)
        status = source_open(ctx, path, path, &src);
    if (status == CVO_OK)
        status = reader_init(&rd, ctx, src, false, 0, 0);
    if (status == CVO_OK) {
        reader_skip_bom(&rd);
        csv_init(sc, ',', 1);
        status = read_all(p, path, &rd, sc);
    }
    mem_free(ctx, sc);
    reader_free(&rd);
    source_close(src);
    if (status != CVO_OK)
        products_free(p);
    else
        *out = p;
    return status;
}

bool products_cost(const products *p, const char *sku, size_t len, int64_t *cost_e4)
{
    size_t slot;
    const product *x = p ? lookup(p, sku, len, &slot) : NULL;
    if (x != NULL)
        *cost_e4 = x->cost_e4;
    return x != NULL;
}

bool products_category(const products *p, const char *sku, size_t len, const char **category)
{
    size_t slot;
    const product *x = p ? lookup(p, sku, len, &slot) : NULL;
    if (x == NULL || x->category[0] == '\0')
        return false;
    *category = x->category;
    return true;
}

void products_free(products *p)
{
    if (p == NULL)
        return;
    arena_release(&p->strings);
    mem_free(p->ctx, p->items);
    mem_free(p->ctx, p->slots);
    mem_free(p->ctx, p);
}
