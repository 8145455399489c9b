/* prodmap.c - products keyed by SKU (or name), codes folded to upper case.
 * Names and categories are kept once each in a second interner, so a
 * catalogue of a few thousand products costs next to nothing per order. */
#include "core/prodmap.h"

#include "base/limits.h"

#include <string.h>

bool prodmap_init(prodmap *pm, cvo_ctx *ctx)
{
    memset(pm, 0, sizeof *pm);
    pm->ctx = ctx;
    intern_init(&pm->keys, ctx);
    intern_init(&pm->text, ctx);
    intern_init(&pm->codes, ctx);
    return intern_put(&pm->codes, "", 0, NULL) == 0 && intern_put(&pm->text, "", 0, NULL) == 0;
}

void prodmap_free(prodmap *pm)
{
    if (pm->ctx == NULL)
        return;
    intern_free(&pm->keys);
    intern_free(&pm->text);
    intern_free(&pm->codes);
    mem_free(pm->ctx, pm->name);
    mem_free(pm->ctx, pm->category);
    mem_free(pm->ctx, pm->order_products);
    memset(pm, 0, sizeof *pm);
}

static bool room_for_product(prodmap *pm)
{
    if (pm->keys.count < pm->cap)
        return true;
    size_t cap = pm->cap ? pm->cap * 2 : 256;
    uint32_t *name = mem_realloc(pm->ctx, pm->name, cap * sizeof *name);
    if (name != NULL)
        pm->name = name;
    uint32_t *category = mem_realloc(pm->ctx, pm->category, cap * sizeof *category);
    if (category != NULL)
        pm->category = category;
    if (name == NULL || category == NULL)
        return false;
    pm->cap = cap;
    return true;
}

uint32_t prodmap_product(prodmap *pm, const char *sku, size_t sku_len, const char *name,
                         size_t name_len, const char *category, size_t category_len)
{
    char key[CVO_PRODUCT_KEY_BYTES + 1];
    const char *text = sku_len > 0 ? sku : name;
    size_t len = sku_len > 0 ? sku_len : name_len;
    if (len > CVO_PRODUCT_KEY_BYTES)
        len = CVO_PRODUCT_KEY_BYTES; /* longer keys are cut, never rejected */
    key[0] = sku_len > 0 ? 's' : 'n';
    memcpy(key + 1, text, len);
    if (!room_for_product(pm))
        return INTERN_NONE;
    bool added;
    uint32_t index = intern_put(&pm->keys, key, len + 1, &added);
    if (index == INTERN_NONE)
        return INTERN_NONE;
    if (added) {
        uint32_t n = intern_put(&pm->text, name, name_len, NULL);
        pm->name[index] = n;
        pm->category[index] = 0;
        if (n == INTERN_NONE)
            return INTERN_NONE;
    }
    if (pm->category[index] == 0 && category_len > 0) {
        uint32_t c = intern_put(&pm->text, category, category_len, NULL);
        if (c == INTERN_NONE)
            return INTERN_NONE;
        pm->category[index] = c;
    }
    return index;
}

uint32_t prodmap_code(prodmap *pm, const char *code, size_t len)
{
    char upper[CVO_PRODUCT_KEY_BYTES];
    if (len > sizeof upper)
        len = sizeof upper;
    for (size_t i = 0; i < len; i++)
        upper[i] = code[i] >= 'a' && code[i] <= 'z' ? (char)(code[i] - 'a' + 'A') : code[i];
    return intern_put(&pm->codes, upper, len, NULL);
}

bool prodmap_log(prodmap *pm, const uint32_t *products, uint32_t count, uint32_t *first)
{
    if (pm->count + count > UINT32_MAX)
        return false;
    if (pm->count + count > pm->order_cap) {
        size_t cap = pm->order_cap ? pm->order_cap : 4096;
        while (cap < pm->count + count)
            cap *= 2;
        uint32_t *list = mem_realloc(pm->ctx, pm->order_products, cap * sizeof *list);
        if (list == NULL)
            return false;
        pm->order_products = list;
        pm->order_cap = cap;
    }
    *first = (uint32_t)pm->count;
    if (count > 0)
        memcpy(pm->order_products + pm->count, products, count * sizeof *products);
    pm->count += count;
    return true;
}

/* remap[i]: the index in pm of src's product i. */
static uint32_t *absorb_products(prodmap *pm, const prodmap *src)
{
    uint32_t *remap = mem_array(pm->ctx, src->keys.count ? src->keys.count : 1, sizeof *remap);
    for (size_t i = 0; remap != NULL && i < src->keys.count; i++) {
        const char *key = intern_at(&src->keys, (uint32_t)i);
        uint32_t key_len = intern_length(&src->keys, (uint32_t)i);
        const char *name = intern_at(&src->text, src->name[i]);
        const char *category = intern_at(&src->text, src->category[i]);
        bool by_sku = key[0] == 's';
        remap[i] = prodmap_product(pm, by_sku ? key + 1 : "", by_sku ? key_len - 1 : 0, name,
                                   intern_length(&src->text, src->name[i]), category,
                                   intern_length(&src->text, src->category[i]));
        if (remap[i] == INTERN_NONE) {
            mem_free(pm->ctx, remap);
            return NULL;
        }
    }
    return remap;
}

static uint32_t *absorb_codes(prodmap *pm, const prodmap *src)
{
    uint32_t *remap = mem_array(pm->ctx, src->codes.count, sizeof *remap);
    for (size_t i = 0; remap != NULL && i < src->codes.count; i++) {
        remap[i] = intern_put(&pm->codes, intern_at(&src->codes, (uint32_t)i),
                              intern_length(&src->codes, (uint32_t)i), NULL);
        if (remap[i] == INTERN_NONE) {
            mem_free(pm->ctx, remap);
            return NULL;
        }
    }
    return remap;
}

bool prodmap_absorb(prodmap *pm, const prodmap *src, cvo_order *orders, size_t n, size_t stride)
{
    uint32_t *products = absorb_products(pm, src);
    uint32_t *codes = products ? absorb_codes(pm, src) : NULL;
    uint32_t base = (uint32_t)pm->count, first = 0;
    bool ok = codes != NULL && prodmap_log(pm, src->order_products, (uint32_t)src->count, &first);
    for (size_t i = base; ok && i < pm->count; i++)
        pm->order_products[i] = products[pm->order_products[i]];
    for (size_t i = 0; ok && i < n; i++) {
        cvo_order *o = (cvo_order *)((char *)orders + i * stride);
        o->product_first += base;
        o->code = codes[o->code];
    }
    mem_free(pm->ctx, products);
    mem_free(pm->ctx, codes);
    return ok;
}
