/* forget.c - the right to erasure: cvo_history_forget removes a customer from
 * every snapshot (the snapshot and segment totals lowered to match), from the
 * push ledgers and the Klaviyo property state, and keeps only a keyed hash of
 * the customer's identifiers as a suppression entry, so that later runs leave
 * the customer out of every output (cvo_history_forgotten). */
#include "history/history.h"
#include "history/state.h"

#include "base/ctx.h"
#include "base/hmac.h"
#include "base/limits.h"

#include <stdlib.h>
#include <string.h>

/* The identifiers the history knows one customer by. */
typedef struct identity {
    char key[CVO_MAX_IDENTIFIER_BYTES], id[CVO_MAX_IDENTIFIER_BYTES],
        email[CVO_MAX_IDENTIFIER_BYTES];
} identity;

enum { IDENTITIES_MAX = 64 }; /* customers one identifier can match (an id, an email) */

/* "  Jane@Example.COM " -> "jane@example.com"; ids only trimmed. */
static void normalise(const char *who, char *out, size_t size, bool *is_email)
{
    while (*who == ' ' || *who == '\t')
        who++;
    size_t len = strlen(who);
    while (len > 0 && (who[len - 1] == ' ' || who[len - 1] == '\t'))
        len--;
    if (len >= size)
        len = size - 1;
    *is_email = memchr(who, '@', len) != NULL;
    for (size_t i = 0; i < len; i++) {
        char c = who[i];
        out[i] = *is_email && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[len] = '\0';
}

static void copy_text(sqlite3_stmt *st, int column, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, column);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

/* The customers of the snapshots known by who (as their key, id or email). */
static cvo_status find_identities(cvo_history *h, const char *who, identity *found, size_t *count)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT DISTINCT customer_key, customer_id, email"
                            " FROM snapshot_customer_rows"
                            " WHERE customer_key = ?1 OR customer_id = ?1 OR email = ?1",
                            &st));
    sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
    int rc;
    *count = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < IDENTITIES_MAX) {
        identity *c = &found[(*count)++];
        copy_text(st, 0, c->key, sizeof c->key);
        copy_text(st, 1, c->id, sizeof c->id);
        copy_text(st, 2, c->email, sizeof c->email);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CVO_OK
                                                 : history_db_fail(h, "cannot read snapshots");
}

static cvo_status run_bound(cvo_history *h, const char *sql, const char *text, uint64_t *changed)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, sql, &st));
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot erase a customer");
    sqlite3_finalize(st);
    if (status == CVO_OK && changed != NULL)
        *changed += (uint64_t)sqlite3_changes(h->db);
    return status;
}

/* Lowers the totals of every snapshot and segment the customer was in, then
 * deletes the customer's rows. */
static cvo_status erase_snapshots(cvo_history *h, const char *customer_key, uint64_t *rows)
{
    static const char *const lower[2] = {
        "UPDATE snapshot_list SET customers = customers - 1,"
        " revenue_cents = revenue_cents - r.monetary_cents, orders = orders - r.frequency"
        " FROM (SELECT snapshot_id, monetary_cents, frequency FROM snapshot_customer_rows"
        " WHERE customer_key = ?1) AS r WHERE snapshot_list.id = r.snapshot_id",
        "UPDATE snapshot_segment_rows SET customers = customers - 1,"
        " revenue_cents = revenue_cents - r.monetary_cents"
        " FROM (SELECT snapshot_id, segment, monetary_cents FROM snapshot_customer_rows"
        " WHERE customer_key = ?1) AS r"
        " WHERE snapshot_segment_rows.snapshot_id = r.snapshot_id"
        " AND snapshot_segment_rows.segment = r.segment"};
    for (int k = 0; k < 2; k++)
        CVO_TRY(run_bound(h, lower[k], customer_key, NULL));
    return run_bound(h, "DELETE FROM snapshot_customer_rows WHERE customer_key = ?1", customer_key,
                     rows);
}

/* Drops the keyed customer from the ledgers and the Klaviyo state, and
 * suppresses it. *added: 1 when the suppression entry is new. */
static cvo_status erase_keyed(cvo_history *h, const char *keyed, const char *added_at,
                              uint64_t *ledger_rows, size_t *added)
{
    CVO_TRY(run_bound(h, "DELETE FROM push_ledger WHERE customer = ?1", keyed, ledger_rows));
    CVO_TRY(run_bound(h, "DELETE FROM klaviyo_profiles WHERE customer = ?1", keyed, ledger_rows));
    CVO_TRY(run_bound(h, "DELETE FROM experiment_members WHERE customer = ?1", keyed, ledger_rows));
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "INSERT OR IGNORE INTO suppressed (customer, added_at)"
                            " VALUES (?1, ?2)",
                            &st));
    sqlite3_bind_text(st, 1, keyed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, added_at, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot record the suppression");
    sqlite3_finalize(st);
    if (status == CVO_OK)
        *added += (size_t)sqlite3_changes(h->db);
    return status;
}

/* Every identifier of the customer, keyed (an id and an e-mail: the next
 * export may know the customer by either). */
static cvo_status erase_identity(cvo_history *h, const cvo_id_key *key, const char *id,
                                 const char *email, const char *added_at, cvo_forget_result *r)
{
    char keyed[KEYED_HEX + 1];
    if (id[0] != '\0') {
        keyed_customer(key, id, "", keyed);
        CVO_TRY(erase_keyed(h, keyed, added_at, &r->ledger_rows, &r->suppressed));
    }
    if (email[0] != '\0') {
        keyed_customer(key, "", email, keyed);
        CVO_TRY(erase_keyed(h, keyed, added_at, &r->ledger_rows, &r->suppressed));
    }
    return CVO_OK;
}

static cvo_status forget_one(cvo_history *h, const cvo_id_key *key, const char *who,
                             const char *added_at, cvo_forget_result *r)
{
    char text[CVO_MAX_IDENTIFIER_BYTES];
    bool is_email = false;
    normalise(who, text, sizeof text, &is_email);
    if (text[0] == '\0')
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "forget: an empty customer");
    identity *found = mem_array(h->ctx, IDENTITIES_MAX, sizeof *found);
    if (found == NULL)
        return ctx_nomem(h->ctx);
    size_t count = 0;
    cvo_status status = find_identities(h, text, found, &count);
    r->matched += count > 0;
    for (size_t i = 0; status == CVO_OK && i < count; i++) {
        status = erase_snapshots(h, found[i].key, &r->snapshot_rows);
        if (status == CVO_OK)
            status = erase_identity(h, key, found[i].id, found[i].email, added_at, r);
    }
    /* as given too: a customer the history never saw is kept out from now on */
    if (status == CVO_OK)
        status = erase_identity(h, key, is_email ? "" : text, is_email ? text : "", added_at, r);
    mem_free(h->ctx, found);
    return status;
}

cvo_status cvo_history_forget(cvo_history *h, const cvo_id_key *key, const char *const *who,
                              size_t count, int64_t now_unix, cvo_forget_result *out)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (key == NULL || (who == NULL && count > 0) || out == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "forget: no key, customers or result");
    memset(out, 0, sizeof *out);
    char added_at[32];
    history_format_time(now_unix, added_at);
    /* overwrite what is deleted, so the file keeps no trace of it */
    if (sqlite3_exec(h->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot erase securely");
    CVO_TRY(history_begin(h));
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < count; i++)
        status = forget_one(h, key, who[i], added_at, out);
    return history_end(h, status);
}

/* ---- leaving the forgotten out -------------------------------------------------------- */

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suppressed keyed hashes, sorted, into *list (the caller frees each and it). */
static cvo_status load_suppressed(cvo_history *h, char ***list, size_t *count)
{
    *list = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "SELECT customer FROM suppressed", &st));
    size_t cap = 0;
    int rc;
    cvo_status status = CVO_OK;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = mem_realloc(h->ctx, *list, cap * sizeof *grown);
            if (grown == NULL) {
                status = ctx_nomem(h->ctx);
                break;
            }
            *list = grown;
        }
        const char *text = (const char *)sqlite3_column_text(st, 0);
        (*list)[*count] = mem_strndup(h->ctx, text ? text : "", text ? strlen(text) : 0);
        if ((*list)[*count] == NULL)
            status = ctx_nomem(h->ctx);
        else
            (*count)++;
    }
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read the suppression list");
    sqlite3_finalize(st);
    if (*count > 1)
        qsort(*list, *count, sizeof **list, compare_text);
    return status;
}

static bool listed(char *const *list, size_t count, const char *keyed)
{
    return count > 0 && bsearch(&keyed, list, count, sizeof *list, compare_text) != NULL;
}

static bool suppressed_customer(const cvo_id_key *key, const cvo_customer *c, char *const *list,
                                size_t count)
{
    char keyed[KEYED_HEX + 1];
    if (c->customer_id[0] != '\0') {
        keyed_customer(key, c->customer_id, "", keyed);
        if (listed(list, count, keyed))
            return true;
    }
    if (c->email[0] == '\0')
        return false;
    keyed_customer(key, "", c->email, keyed);
    return listed(list, count, keyed);
}

cvo_status cvo_history_forgotten(cvo_history *h, const cvo_id_key *key,
                                 const cvo_customers *customers, bool *drop, size_t *dropped)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (key == NULL || customers == NULL || drop == NULL || dropped == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "forgotten: no key, table or mask");
    size_t n = cvo_customers_count(customers);
    memset(drop, 0, n * sizeof *drop);
    *dropped = 0;
    char **list = NULL;
    size_t count = 0;
    cvo_status status = load_suppressed(h, &list, &count);
    for (size_t i = 0; status == CVO_OK && count > 0 && i < n; i++) {
        drop[i] = suppressed_customer(key, cvo_customers_at(customers, i), list, count);
        *dropped += drop[i];
    }
    for (size_t i = 0; i < count; i++)
        mem_free(h->ctx, list[i]);
    mem_free(h->ctx, list);
    return status;
}
