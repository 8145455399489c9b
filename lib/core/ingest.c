/* ingest.c - records to customers. A record is checked completely before it
 * touches an order, so a rejected record leaves no trace but its reject entry,
 * and records == used + rejected holds after every call. */
#include "ingest_impl.h"

#include "base/bytes.h"
#include "base/hash.h"
#include "base/limits.h"
#include "core/products.h"
#include "io/money.h"
#include "io/utf8.h"

#include <stdio.h>
#include <string.h>

/* ---- rejects ------------------------------------------------------------- */

cvo_status ingest_fail(shard *sh, cvo_status status, const char *message)
{
    if (sh->status == CVO_OK) {
        sh->status = status;
        snprintf(sh->message, sizeof sh->message, "%s", message);
    }
    return status;
}

cvo_status ingest_store_reject(shard *sh, uint64_t line, const verdict *v, const char *raw,
                               size_t raw_len)
{
    if (sh->reject_count == sh->reject_cap) {
        size_t cap = sh->reject_cap ? sh->reject_cap * 2 : 64;
        reject_entry *r = mem_realloc(sh->ctx, sh->rejects, cap * sizeof *r);
        if (r == NULL)
            return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory");
        sh->rejects = r;
        sh->reject_cap = cap;
    }
    reject_entry *e = &sh->rejects[sh->reject_count];
    e->line = line;
    e->ref_line = v->ref_line;
    e->reason = v->reason;
    e->detail = arena_strndup(&sh->scratch, v->detail, strlen(v->detail));
    e->raw = arena_strndup(&sh->scratch, raw, raw_len);
    e->raw_len = raw_len;
    if (e->detail == NULL || e->raw == NULL)
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory");
    sh->reject_count++;
    sh->stats.rejected++;
    sh->stats.rejected_by_reason[v->reason]++;
    if (v->reason == CVO_REJECT_DUPLICATE)
        sh->stats.duplicates++;
    if (sh->stats.rejected > sh->config->max_rejects)
        return ingest_fail(sh, CVO_ERR_LIMIT, "too many rejected records: wrong format or --map?");
    return CVO_OK;
}

bool ingest_say(verdict *v, cvo_reject_reason reason, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    v->reason = reason;
    v->order_level = false;
    v->ref_line = 0;
    vsnprintf(v->detail, sizeof v->detail, format, args);
    va_end(args);
    return false;
}

cvo_status shard_reject_raw(shard *sh, uint64_t line, cvo_reject_reason reason,
                            const char *raw, size_t raw_len)
{
    verdict v;
    if (reason == CVO_REJECT_TOO_LONG)
        ingest_say(&v, reason, "record longer than %u bytes", (unsigned)CVO_MAX_RECORD_BYTES);
    else
        ingest_say(&v, reason, "quoted field not closed before the end of the input");
    sh->stats.records++;
    return ingest_store_reject(sh, line, &v, raw, raw_len);
}

void ingest_count_status(cvo_load_stats *st, const char *name, uint64_t orders,
                         uint64_t records)
{
    uint32_t i = 0;
    while (i < st->status_kinds && strcmp(st->not_counted_by_status[i].status, name) != 0)
        i++;
    if (i == st->status_kinds) {
        if (i == CVO_MAX_STATUS_KINDS) {
            i = CVO_MAX_STATUS_KINDS - 1;
            name = "other";
        } else
            st->status_kinds++;
        snprintf(st->not_counted_by_status[i].status, sizeof st->not_counted_by_status[i].status,
                 "%s", name);
    }
    st->not_counted_by_status[i].orders += orders;
    st->not_counted_by_status[i].records += records;
}

void ingest_count_currency(cvo_load_stats *st, const char *code, uint64_t orders,
                           int64_t net_cents, int64_t store_cents, uint64_t rejected_orders)
{
    uint32_t i = 0;
    while (i < st->currency_count && strcmp(st->currencies[i].code, code) != 0)
        i++;
    if (i == st->currency_count) {
        if (i == CVO_MAX_CURRENCIES) {
            i = CVO_MAX_CURRENCIES - 1;
            code = "";
        } else
            st->currency_count++;
        snprintf(st->currencies[i].code, sizeof st->currencies[i].code, "%s", code);
    }
    cvo_currency_total *t = &st->currencies[i];
    t->orders += orders;
    t->net_cents += net_cents;
    t->store_cents += store_cents;
    t->rejected_orders += rejected_orders;
}

static size_t append_field(const ingest_config *config, const csv_record *record,
                           field_id id, char *out, size_t n, size_t cap)
{
    int column = config->schema->column[id];
    if (column < 0 || (uint32_t)column >= record->stored)
        return n;
    const csv_field *f = &record->fields[column];
    size_t len = f->len < cap - n ? f->len : cap - n;
    memcpy(out + n, f->ptr, len);
    n += len;
    if (n < cap)
        out[n++] = '\x1f';
    return n;
}

size_t shard_group_key(const ingest_config *config, const csv_record *record, char *out,
                       size_t cap)
{
    size_t n = append_field(config, record, FIELD_ORDER_ID, out, 0, cap);
    if (n > 1)
        return n;
    n = append_field(config, record, FIELD_CUSTOMER_ID, out, 0, cap);
    n = append_field(config, record, FIELD_EMAIL, out, n, cap);
    return append_field(config, record, FIELD_ORDER_DATE, out, n, cap);
}

/* ---- lifecycle -------------------------------------------------------------- */

cvo_status shard_init(shard *sh, cvo_ctx *ctx, const ingest_config *config, size_t expected)
{
    memset(sh, 0, sizeof *sh);
    sh->ctx = ctx;
    sh->config = config;
    arena_init(&sh->scratch, ctx);
    sh->keys_monotonic = true;
    memcpy(sh->store, config->store_currency, sizeof sh->store);
    for (int f = 0; f < FIELD__COUNT; f++)
        if (config->schema->column[f] >= 0 &&
            (uint32_t)config->schema->column[f] + 1 > sh->fields_needed)
            sh->fields_needed = (uint32_t)config->schema->column[f] + 1;
    sh->acc_cap = config->general ? 1024 : 1;
    sh->accs = mem_zarray(ctx, sh->acc_cap, sizeof *sh->accs);
    if (sh->accs == NULL || !custmap_init(&sh->customers, ctx, expected)) {
        shard_free(sh);
        return ctx_nomem(ctx);
    }
    if (config->keep_orders &&
        (!custmap_keep_orders(&sh->customers) || !prodmap_init(&sh->catalog, ctx))) {
        shard_free(sh);
        return ctx_nomem(ctx);
    }
    return CVO_OK;
}

void shard_free(shard *sh)
{
    if (sh->ctx == NULL)
        return; /* never set up, or freed already */
    size_t accs = sh->config && sh->config->general ? sh->acc_count : (sh->accs ? 1 : 0);
    for (size_t i = 0; i < accs; i++)
        ingest_acc_release(sh->ctx, &sh->accs[i]);
    mem_free(sh->ctx, sh->accs);
    mem_free(sh->ctx, sh->seen);
    mem_free(sh->ctx, sh->first_key.ptr);
    mem_free(sh->ctx, sh->last_key.ptr);
    mem_free(sh->ctx, sh->rejects);
    mem_free(sh->ctx, sh->text);
    arena_release(&sh->scratch);
    custmap_free(&sh->customers);
    prodmap_free(&sh->catalog);
    memset(sh, 0, sizeof *sh);
}

