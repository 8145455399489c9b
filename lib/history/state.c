/* state.c - the pushes' tables in the state database and cvo_id_key_load.
 * Statements are prepared once per open database and kept on it. Every write
 * outside state_begin/commit is its own transaction (durable on return, as the
 * history file is opened with synchronous=FULL). */
#include "history/state.h"

#include "analysis/config.h"
#include "base/ctx.h"
#include "base/hmac.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* Created after the snapshot schema; HISTORY_SCHEMA_VERSION is not changed by them. */
static const char STATE_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS state_secrets ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS klaviyo_property_sets ("
    " id INTEGER PRIMARY KEY,"
    " names TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS klaviyo_profiles ("
    " customer TEXT PRIMARY KEY NOT NULL,"
    " property_set INTEGER NOT NULL REFERENCES klaviyo_property_sets(id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS push_ledger ("
    " kind TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " customer TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " day TEXT,"
    " remote_id TEXT,"
    " PRIMARY KEY (kind, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS push_ledger_customer ON push_ledger (kind, customer, day);"
    "CREATE INDEX IF NOT EXISTS push_ledger_by_customer ON push_ledger (customer);"
    "CREATE TABLE IF NOT EXISTS suppressed ("
    " customer TEXT PRIMARY KEY NOT NULL,"
    " added_at TEXT NOT NULL) WITHOUT ROWID;";

enum {
    SQL_SECRET_GET,
    SQL_SECRET_ADD,
    SQL_LEDGER_GET,
    SQL_LEDGER_PUT,
    SQL_LEDGER_DROP,
    SQL_LEDGER_SWEEP,
    SQL_LEDGER_SINCE,
    SQL_PROPS_GET,
    SQL_SET_FIND,
    SQL_SET_ADD,
    SQL_PROPS_PUT,
    SQL_COUNT
};

static const char *const statements[SQL_COUNT] = {
    [SQL_SECRET_GET] = "SELECT value FROM state_secrets WHERE name = ?1",
    [SQL_SECRET_ADD] = "INSERT OR IGNORE INTO state_secrets (name, value) VALUES (?1, ?2)",
    [SQL_LEDGER_GET] = "SELECT state FROM push_ledger WHERE kind = ?1 AND key = ?2",
    [SQL_LEDGER_PUT] = "INSERT OR REPLACE INTO push_ledger (kind, key, customer, state, day,"
                       " remote_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_LEDGER_DROP] = "DELETE FROM push_ledger WHERE kind = ?1 AND key = ?2",
    [SQL_LEDGER_SWEEP] = "UPDATE push_ledger SET state = 'unknown' WHERE kind = ?1 AND"
                         " state = 'sending'",
    [SQL_LEDGER_SINCE] = "SELECT count(*) FROM push_ledger WHERE kind = ?1 AND customer = ?2"
                         " AND day >= ?3",
    [SQL_PROPS_GET] = "SELECT s.names FROM klaviyo_profiles p JOIN klaviyo_property_sets s"
                      " ON s.id = p.property_set WHERE p.customer = ?1",
    [SQL_SET_FIND] = "SELECT id FROM klaviyo_property_sets WHERE names = ?1",
    [SQL_SET_ADD] = "INSERT INTO klaviyo_property_sets (names) VALUES (?1)",
    [SQL_PROPS_PUT] = "INSERT OR REPLACE INTO klaviyo_profiles (customer, property_set)"
                      " VALUES (?1, ?2)",
};

_Static_assert(SQL_COUNT <= HISTORY_STATE_STATEMENTS, "room for the cached statements");

static const char *const entry_names[] = {"", "sending", "done", "unknown"};

cvo_status state_setup(cvo_history *h)
{
    if (sqlite3_exec(h->db, STATE_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot create the state tables");
    return CVO_OK;
}

void state_close(cvo_history *h)
{
    for (size_t i = 0; i < HISTORY_STATE_STATEMENTS; i++) {
        sqlite3_finalize(h->state[i]);
        h->state[i] = NULL;
    }
}

/* The cached statement, reset and unbound. */
static cvo_status statement(cvo_history *h, int which, sqlite3_stmt **out)
{
    if (h->state[which] == NULL &&
        sqlite3_prepare_v2(h->db, statements[which], -1, &h->state[which], NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot prepare a state statement");
    sqlite3_reset(h->state[which]);
    sqlite3_clear_bindings(h->state[which]);
    *out = h->state[which];
    return CVO_OK;
}

/* Writes fail with CVO_ERR_WRITE: the push cannot record what it did. */
static cvo_status write_fail(cvo_history *h, const char *what)
{
    history_db_fail(h, what);
    return CVO_ERR_WRITE;
}

static cvo_status step_write(cvo_history *h, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CVO_OK : write_fail(h, what);
}

static void bind_text(sqlite3_stmt *st, int column, const char *text)
{
    sqlite3_bind_text(st, column, text, -1, SQLITE_STATIC);
}

cvo_status state_begin(cvo_history *h)
{
    return sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? CVO_OK
               : write_fail(h, "cannot start a transaction");
}

cvo_status state_commit(cvo_history *h)
{
    if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return CVO_OK;
    cvo_status status = write_fail(h, "cannot commit");
    state_rollback(h);
    return status;
}

void state_rollback(cvo_history *h)
{
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- ledgers ------------------------------------------------------------------------ */

cvo_status state_ledger_get(cvo_history *h, const char *kind, const char *key, state_entry *out)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(statement(h, SQL_LEDGER_GET, &st));
    bind_text(st, 1, kind);
    bind_text(st, 2, key);
    int rc = sqlite3_step(st);
    *out = STATE_NONE;
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        for (int e = STATE_SENDING; e <= STATE_UNKNOWN; e++)
            if (name != NULL && strcmp(name, entry_names[e]) == 0)
                *out = (state_entry)e;
        if (*out == STATE_NONE)
            *out = STATE_UNKNOWN; /* a state this cvo does not know: never resend */
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CVO_OK
                                                 : history_db_fail(h, "cannot read a ledger");
}

cvo_status state_ledger_put(cvo_history *h, const char *kind, const char *key, const char *customer,
                            state_entry entry, int32_t day, const char *remote_id)
{
    sqlite3_stmt *st = NULL;
    char date[11];
    CVO_TRY(statement(h, SQL_LEDGER_PUT, &st));
    bind_text(st, 1, kind);
    bind_text(st, 2, key);
    bind_text(st, 3, customer);
    bind_text(st, 4, entry_names[entry]);
    if (day != INT32_MIN) {
        cvo_day_format(day, date);
        bind_text(st, 5, date);
    }
    if (remote_id != NULL)
        bind_text(st, 6, remote_id);
    return step_write(h, st, "cannot write a ledger");
}

cvo_status state_ledger_drop(cvo_history *h, const char *kind, const char *key)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(statement(h, SQL_LEDGER_DROP, &st));
    bind_text(st, 1, kind);
    bind_text(st, 2, key);
    return step_write(h, st, "cannot write a ledger");
}

cvo_status state_ledger_sweep(cvo_history *h, const char *kind, size_t *count)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    CVO_TRY(statement(h, SQL_LEDGER_SWEEP, &st));
    bind_text(st, 1, kind);
    CVO_TRY(step_write(h, st, "cannot write a ledger"));
    *count = (size_t)sqlite3_changes(h->db);
    return CVO_OK;
}

cvo_status state_ledger_customer_since(cvo_history *h, const char *kind, const char *customer,
                                       int32_t day, bool *found)
{
    sqlite3_stmt *st = NULL;
    char date[11];
    cvo_day_format(day, date);
    CVO_TRY(statement(h, SQL_LEDGER_SINCE, &st));
    bind_text(st, 1, kind);
    bind_text(st, 2, customer);
    bind_text(st, 3, date);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? CVO_OK : history_db_fail(h, "cannot read a ledger");
}

/* ---- Klaviyo properties --------------------------------------------------------------- */

cvo_status state_properties_get(cvo_history *h, const char *customer, char out[STATE_NAMES_MAX])
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    CVO_TRY(statement(h, SQL_PROPS_GET, &st));
    bind_text(st, 1, customer);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *names = (const char *)sqlite3_column_text(st, 0);
        size_t len = names ? strlen(names) : 0;
        if (len >= STATE_NAMES_MAX)
            len = 0; /* not written by this code: treat as nothing recorded */
        memcpy(out, names ? names : "", len);
        out[len] = '\0';
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? CVO_OK
               : history_db_fail(h, "cannot read the Klaviyo properties");
}

/* The id of the set of names, added when new. */
static cvo_status property_set(cvo_history *h, const char *names, sqlite3_int64 *id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(statement(h, SQL_SET_FIND, &st));
    bind_text(st, 1, names);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return CVO_OK;
    if (rc != SQLITE_DONE)
        return history_db_fail(h, "cannot read the Klaviyo properties");
    CVO_TRY(statement(h, SQL_SET_ADD, &st));
    bind_text(st, 1, names);
    CVO_TRY(step_write(h, st, "cannot record the Klaviyo properties"));
    *id = sqlite3_last_insert_rowid(h->db);
    return CVO_OK;
}

cvo_status state_properties_put(cvo_history *h, const char *customer, const char *names)
{
    sqlite3_int64 id = 0;
    sqlite3_stmt *st = NULL;
    CVO_TRY(property_set(h, names, &id));
    CVO_TRY(statement(h, SQL_PROPS_PUT, &st));
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, id);
    return step_write(h, st, "cannot record the Klaviyo properties");
}

/* ---- the secret key ------------------------------------------------------------------- */

static bool random_bytes(uint8_t *out, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(out + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

static cvo_status secret_get(cvo_history *h, const char *name, cvo_id_key *out, bool *found)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(statement(h, SQL_SECRET_GET, &st));
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof out->bytes;
    if (*found)
        memcpy(out->bytes, sqlite3_column_blob(st, 0), sizeof out->bytes);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && !*found)
        return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: the stored %s is not 32 bytes", h->path, name);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CVO_OK
                                                 : history_db_fail(h, "cannot read a secret");
}

/* INSERT OR IGNORE, then read back: of two runs creating the key at once, both
 * end with the one that was stored first. */
static cvo_status state_key(cvo_history *h, cvo_id_key *out)
{
    static const char name[] = "id_key";
    bool found = false;
    CVO_TRY(secret_get(h, name, out, &found));
    if (found)
        return CVO_OK;
    cvo_id_key fresh;
    if (!random_bytes(fresh.bytes, sizeof fresh.bytes))
        return ctx_fail(h->ctx, CVO_ERR_INTERNAL, "no random bytes for the identifier key: %s",
                        strerror(errno));
    sqlite3_stmt *st = NULL;
    CVO_TRY(statement(h, SQL_SECRET_ADD, &st));
    bind_text(st, 1, name);
    sqlite3_bind_blob(st, 2, fresh.bytes, (int)sizeof fresh.bytes, SQLITE_TRANSIENT);
    CVO_TRY(step_write(h, st, "cannot store the identifier key"));
    CVO_TRY(secret_get(h, name, out, &found));
    return found ? CVO_OK : history_db_fail(h, "the identifier key was not stored");
}

cvo_status cvo_id_key_load(cvo_ctx *ctx, cvo_history *state, const cvo_config *config,
                           cvo_id_key *out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    memset(out, 0, sizeof *out);
    const char *text = config ? cvo_config_text(config, "privacy", "id_key") : NULL;
    if (text != NULL && text[0] != '\0') {
        sha256(text, strlen(text), out->bytes);
        return CVO_OK;
    }
    if (state == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "the identifier key needs [privacy] id_key or a state database");
    return state_key(state, out);
}
