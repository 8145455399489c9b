/* orders.c - cvo_orders_load: opens the input, reads the header, runs one or
 * two workers over record-aligned halves of a plain file, checks that the
 * halves met at a record boundary and that no order spans both, and merges.
 * Whatever path is taken, the result equals a single sequential pass. */
#include "core/orders_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- worker -------------------------------------------------------------- */

static cvo_status worker_fail(worker *w, cvo_status status, const char *message)
{
    w->status = status;
    snprintf(w->message, sizeof w->message, "%s", message);
    return status;
}

static cvo_status keep_head(worker *w, const csv_record *rec)
{
    if (w->head_count == w->head_cap) {
        size_t cap = w->head_cap ? w->head_cap * 2 : 16;
        head_record *h = mem_realloc(w->sh.ctx, w->head, cap * sizeof *h);
        if (h == NULL)
            return worker_fail(w, CVO_ERR_NOMEM, "out of memory");
        w->head = h;
        w->head_cap = cap;
    }
    char *raw = mem_strndup(w->sh.ctx, rec->raw, rec->raw_len);
    if (raw == NULL)
        return worker_fail(w, CVO_ERR_NOMEM, "out of memory");
    w->head[w->head_count++] = (head_record){raw, rec->raw_len, rec->line};
    return CVO_OK;
}

/* The second worker's first order goes to the first worker, so that an order
 * cut by the split point is read whole by one worker. */
static cvo_status maybe_capture(worker *w, const csv_record *rec, char *first_key,
                                size_t *first_len, bool *taken)
{
    *taken = false;
    if (!w->capture_head)
        return CVO_OK;
    char key[GROUP_KEY_BYTES];
    size_t len = shard_group_key(w->sh.config, rec, key, sizeof key);
    if (w->head_count == 0) {
        memcpy(first_key, key, len);
        *first_len = len;
    } else if (len != *first_len || memcmp(key, first_key, len) != 0) {
        w->capture_head = false;
        return CVO_OK;
    }
    *taken = true;
    return keep_head(w, rec);
}

static cvo_status worker_take(worker *w, reader_result rr, const csv_record *rec)
{
    if (rr == READER_TOO_LONG)
        return shard_reject_raw(&w->sh, rec->line, CVO_REJECT_TOO_LONG, "", 0);
    if (rr == READER_UNTERMINATED)
        return shard_reject_raw(&w->sh, rec->line, CVO_REJECT_UNTERMINATED, rec->raw,
                                rec->raw_len);
    return shard_record(&w->sh, rec);
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    char first_key[GROUP_KEY_BYTES];
    size_t first_len = 0;
    for (;;) {
        csv_record rec;
        reader_result rr = reader_next(&w->rd, &w->sc, &rec);
        if (rr == READER_END)
            break;
        if (rr == READER_ERROR) {
            worker_fail(w, CVO_ERR_IO, w->positional ? "read error" : source_error(w->rd.src));
            break;
        }
        uint64_t at = reader_abs(&w->rd, rec.raw);
        if (rr == READER_RECORD && at >= w->stop) {
            w->stopped = true;
            w->stop_offset = at;
            w->stop_line = rec.line;
            break;
        }
        if (!w->have_first) {
            w->have_first = true;
            w->first_offset = at;
            w->first_record_line = rec.line;
        }
        bool taken = false;
        if (rr == READER_RECORD && maybe_capture(w, &rec, first_key, &first_len, &taken) != CVO_OK)
            break;
        if (taken)
            continue;
        cvo_status status = worker_take(w, rr, &rec);
        if (status != CVO_OK) {
            worker_fail(w, status, w->sh.message);
            break;
        }
        if (w->sh.noncontiguous)
            break;
    }
    return NULL;
}

static cvo_status worker_start_reader(load *ld, worker *w, uint64_t offset, uint64_t line)
{
    reader_free(&w->rd);
    CVO_TRY(reader_init(&w->rd, ld->ctx, ld->src, w->positional, offset, ld->chunk));
    csv_init(&w->sc, ld->schema.delimiter, line);
    return CVO_OK;
}

static cvo_status worker_init(load *ld, worker *w, uint64_t offset, uint64_t line,
                              uint64_t stop, size_t expected)
{
    memset(w, 0, sizeof *w);
    w->positional = source_seekable(ld->src);
    w->stop = stop;
    CVO_TRY(shard_init(&w->sh, ld->ctx, &ld->config, expected));
    if (!w->positional) {
        /* sequential input: take over the reader that read the header */
        w->rd = ld->header_reader;
        memset(&ld->header_reader, 0, sizeof ld->header_reader);
        csv_init(&w->sc, ld->schema.delimiter, line);
        return CVO_OK;
    }
    return worker_start_reader(ld, w, offset, line);
}

static void worker_free(worker *w)
{
    if (w->sh.ctx != NULL) {
        for (size_t i = 0; i < w->head_count; i++)
            mem_free(w->sh.ctx, w->head[i].raw);
        mem_free(w->sh.ctx, w->head);
    }
    reader_free(&w->rd);
    shard_free(&w->sh);
    memset(w, 0, sizeof *w);
}

/* ---- header ------------------------------------------------------------- */

static cvo_status read_header(load *ld)
{
    reader *r = &ld->header_reader;
    CVO_TRY(reader_init(r, ld->ctx, ld->src, source_seekable(ld->src), 0, ld->chunk));
    reader_skip_bom(r);
    const char *line;
    size_t len;
    if (!reader_peek_line(r, &line, &len))
        return ctx_fail(ld->ctx, CVO_ERR_IO, "%s: %s", ld->name,
                        source_seekable(ld->src) ? "cannot read" : source_error(ld->src));
    bool log = ld->options->format == CVO_FORMAT_CDNOW;
    ld->schema.delimiter = log ? ' ' : csv_sniff_delimiter(line, len);
    csv_scanner sc;
    csv_init(&sc, ld->schema.delimiter, 1);
    csv_record header;
    reader_result rr = reader_next(r, &sc, &header);
    if (rr != READER_RECORD)
        return header_unreadable(ld->ctx, ld->name, rr);
    CVO_TRY(schema_detect(ld->ctx, ld->name, &header, ld->options, &ld->schema));
    if (ld->schema.has_header) {
        ld->data_start = reader_abs(r, r->buf + r->pos);
        ld->data_line = sc.line;
    } else {
        ld->data_start = reader_abs(r, header.raw);
        ld->data_line = header.line;
        r->pos = (size_t)(header.raw - r->buf); /* the first line is data */
    }
    return CVO_OK;
}

static cvo_status make_config(load *ld)
{
    ingest_config *c = &ld->config;
    memset(c, 0, sizeof *c);
    c->schema = &ld->schema;
    c->name = ld->name;
    c->decimal_comma = ld->options->decimal_comma;
    c->cancel_prefix = ld->options->cancel_prefix ? ld->options->cancel_prefix : "";
    c->cancel_prefix_len = strlen(c->cancel_prefix);
    c->max_rejects = CVO_MAX_REJECTS;
    c->keep_orders = ld->options->keep_orders;
    c->latest_day = ld->options->latest_day;
    c->statuses = &ld->statuses;
    if (ld->options->products_path != NULL) {
        products *p = NULL;
        CVO_TRY(products_load(ld->ctx, ld->options->products_path, &p));
        c->products = p;
    }
    if (ld->options->date_format != NULL) {
        char why[160];
        if (!date_format_compile(ld->options->date_format, &c->date_fmt, why, sizeof why))
            return ctx_fail(ld->ctx, CVO_ERR_ARGUMENT, "--date-format '%s': %s",
                            ld->options->date_format, why);
        c->has_date_format = true;
    }
    return CVO_OK;
}

/* ---- the store currency ------------------------------------------------------ */

static int by_status(const void *a, const void *b)
{
    return strcmp(((const cvo_status_count *)a)->status, ((const cvo_status_count *)b)->status);
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const cvo_currency_total *)a)->code, ((const cvo_currency_total *)b)->code);
}

/* The status and currency tables in name order, however the workers met
 * them. */
static void sort_tables(cvo_load_stats *st)
{
    qsort(st->not_counted_by_status, st->status_kinds, sizeof *st->not_counted_by_status,
          by_status);
    qsort(st->currencies, st->currency_count, sizeof *st->currencies, by_code);
}

typedef struct currency_tally {
    char code[4];
    uint64_t orders;
} currency_tally;

/* Counts the orders per currency (a currency is written once per order) of
 * a file that can be read again: src from data_start when it is seekable, a
 * second opening (gzip) from its start, skipping the header; the most wins,
 * the first seen on a tie. */
static cvo_status scan_currencies(load *ld, int column, source *src)
{
    currency_tally tally[64];
    size_t kinds = 0;
    reader rd;
    memset(&rd, 0, sizeof rd);
    bool again = src != ld->src;
    CVO_TRY(reader_init(&rd, ld->ctx, src, !again, again ? 0 : ld->data_start, ld->chunk));
    csv_scanner sc;
    csv_init(&sc, ld->schema.delimiter, again ? 1 : ld->data_line);
    csv_record rec;
    reader_result rr = READER_RECORD;
    if (again) {
        reader_skip_bom(&rd);
        if (ld->schema.has_header)
            rr = reader_next(&rd, &sc, &rec);
    }
    while (rr != READER_ERROR && (rr = reader_next(&rd, &sc, &rec)) != READER_END &&
           rr != READER_ERROR) {
        if (rr != READER_RECORD || (uint32_t)column >= rec.stored)
            continue;
        const csv_field *f = &rec.fields[column];
        const char *p = f->ptr;
        size_t len = f->len;
        while (len > 0 && (*p == ' ' || *p == '\t' || *p == '"'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '"'))
            len--;
        if (!currency_known(p, len))
            continue;
        size_t k = 0;
        while (k < kinds && memcmp(tally[k].code, p, 3) != 0)
            k++;
        if (k == kinds && kinds < sizeof tally / sizeof *tally) {
            memcpy(tally[k].code, p, 3);
            tally[k].code[3] = '\0';
            tally[k].orders = 0;
            kinds++;
        }
        if (k < kinds)
            tally[k].orders++;
        ld->scanned_orders++;
    }
    reader_free(&rd);
    if (rr == READER_ERROR)
        return ctx_fail(ld->ctx, CVO_ERR_IO, "%s: read error", ld->name);
    size_t best = 0;
    for (size_t k = 1; k < kinds; k++)
        if (tally[k].orders > tally[best].orders)
            best = k;
    if (kinds > 0) {
        memcpy(ld->config.store_currency, tally[best].code, 4);
        ld->majority_orders = tally[best].orders;
        ld->currency_source = CVO_CURRENCY_MAJORITY;
    }
    return CVO_OK;
}

/* The store currency: given, else the currency of most orders, else (input
 * read once) the first order's; then the rates to it. */
static cvo_status settle_currency(load *ld)
{
    const cvo_load_options *o = ld->options;
    int column = ld->schema.column[FIELD_CURRENCY];
    if (o->currency != NULL && o->currency[0] != '\0') {
        if (!currency_known(o->currency, strlen(o->currency)))
            return ctx_fail(ld->ctx, CVO_ERR_ARGUMENT,
                            "store currency '%s' is not an ISO 4217 code (like EUR or USD)",
                            o->currency);
        memcpy(ld->config.store_currency, o->currency, 4);
        ld->currency_source = CVO_CURRENCY_GIVEN;
    } else if (column >= 0 && source_seekable(ld->src)) {
        CVO_TRY(scan_currencies(ld, column, ld->src));
    } else if (column >= 0 && strcmp(o->path, "-") != 0) {
        source *again = NULL; /* a gzip file: read it twice */
        cvo_status status = source_open(ld->ctx, o->path, ld->name, &again);
        if (status == CVO_OK)
            status = scan_currencies(ld, column, again);
        source_close(again);
        CVO_TRY(status);
    } else if (column >= 0) {
        ld->config.currency_lazy = true;
        ld->currency_source = CVO_CURRENCY_FIRST;
    }
    if (o->rates_path == NULL)
        return CVO_OK;
    if (ld->config.store_currency[0] == '\0' && !ld->config.currency_lazy)
        return ctx_fail(ld->ctx, CVO_ERR_ARGUMENT,
                        "--rates %s: %s has no currency column and no store currency is set "
                        "([model] currency)",
                        o->rates_path, ld->name);
    rates *r = NULL;
    CVO_TRY(rates_load(ld->ctx, o->rates_path, ld->config.store_currency, &r));
    ld->config.rates = r;
    return CVO_OK;
}

/* Counts the bytes read from here on: a sequential input from its first
 * byte, a plain file from after the header (the workers read it again). */
static void track_progress(load *ld, bool header_read)
{
    if (ld->options->on_progress == NULL || ld->tracking ||
        source_seekable(ld->src) != header_read)
        return;
    progress_init(&ld->progress, ld->options->on_progress, ld->options->progress_user_data,
                  source_stored_size(ld->src));
    source_set_progress(ld->src, &ld->progress);
    ld->tracking = true;
}

/* ---- running ------------------------------------------------------------- */

static cvo_status run_sequential(load *ld, worker *w)
{
    CVO_TRY(worker_init(ld, w, ld->data_start, ld->data_line, UINT64_MAX, 1 << 16));
    worker_run(w);
    if (w->status != CVO_OK)
        return ctx_fail(ld->ctx, w->status, "%s: %s", ld->name, w->message);
    return CVO_OK;
}

/* First line break at or after the middle: where the second worker begins. */
static uint64_t split_point(load *ld)
{
    uint64_t size = source_size(ld->src);
    uint64_t at = ld->data_start + (size - ld->data_start) / 2;
    char buf[4096];
    while (at < size) {
        ssize_t n = source_pread(ld->src, buf, sizeof buf, at);
        if (n <= 0)
            return UINT64_MAX;
        const char *nl = memchr(buf, '\n', (size_t)n);
        if (nl != NULL)
            return at + (uint64_t)(nl - buf) + 1;
        at += (uint64_t)n;
    }
    return UINT64_MAX;
}

static cvo_status replay_head(load *ld, worker *w0, const worker *w1, int64_t line_shift)
{
    csv_scanner sc;
    for (size_t i = 0; i < w1->head_count; i++) {
        const head_record *h = &w1->head[i];
        csv_init(&sc, ld->schema.delimiter, (uint64_t)((int64_t)h->line + line_shift));
        size_t pos = 0;
        csv_record rec;
        if (csv_next(&sc, h->raw, h->raw_len, &pos, true, &rec) != CSV_RECORD)
            continue; /* cannot happen: it was a record before */
        cvo_status status = shard_record(&w0->sh, &rec);
        if (status != CVO_OK)
            return ctx_fail(ld->ctx, status, "%s: %s", ld->name, w0->sh.message);
    }
    return CVO_OK;
}

/* The first worker read on past its half: let it finish the file alone. */
static cvo_status continue_alone(load *ld, worker *w0)
{
    if (!w0->stopped)
        return CVO_OK;
    CVO_TRY(worker_start_reader(ld, w0, w0->stop_offset, w0->stop_line));
    w0->stop = UINT64_MAX;
    w0->stopped = false;
    worker_run(w0);
    if (w0->status != CVO_OK)
        return ctx_fail(ld->ctx, w0->status, "%s: %s", ld->name, w0->message);
    return CVO_OK;
}

static void shift_lines(shard *sh, int64_t shift)
{
    for (size_t i = 0; i < sh->reject_count; i++) {
        sh->rejects[i].line = (uint64_t)((int64_t)sh->rejects[i].line + shift);
        if (sh->rejects[i].ref_line)
            sh->rejects[i].ref_line = (uint64_t)((int64_t)sh->rejects[i].ref_line + shift);
    }
}

static bool met_at_boundary(const worker *w0, const worker *w1)
{
    if (!w1->have_first)
        return !w0->stopped;
    return w0->stopped && w0->stop_offset == w1->first_offset;
}

static cvo_status join_workers(load *ld, worker *w0, worker *w1, bool *merged)
{
    *merged = false;
    if (w0->status != CVO_OK)
        return ctx_fail(ld->ctx, w0->status, "%s: %s", ld->name, w0->message);
    if (!met_at_boundary(w0, w1) || w0->sh.noncontiguous)
        return continue_alone(ld, w0);
    if (w1->status != CVO_OK)
        return ctx_fail(ld->ctx, w1->status, "%s: %s", ld->name, w1->message);
    int64_t shift = (int64_t)w0->stop_line - (int64_t)w1->first_record_line;
    CVO_TRY(replay_head(ld, w0, w1, shift));
    shift_lines(&w1->sh, shift);
    *merged = true;
    return CVO_OK;
}

static void *thread_main(void *arg)
{
    return worker_run(arg);
}

static cvo_status run_parallel(load *ld, worker *w0, worker *w1, bool *merged)
{
    uint64_t split = split_point(ld);
    uint64_t size = source_size(ld->src);
    /* a guess of customers per half (about 1 per kB); tables grow past it */
    size_t expected = (size_t)((size - ld->data_start) / 2048);
    ld->config.max_rejects = CVO_MAX_REJECTS / 2;
    CVO_TRY(worker_init(ld, w0, ld->data_start, ld->data_line, split, expected));
    CVO_TRY(worker_init(ld, w1, split, 1, UINT64_MAX, expected));
    w1->capture_head = true;
    pthread_t thread;
    if (pthread_create(&thread, NULL, thread_main, w1) != 0)
        return ctx_fail(ld->ctx, CVO_ERR_INTERNAL, "cannot start a worker thread");
    worker_run(w0);
    pthread_join(thread, NULL);
    return join_workers(ld, w0, w1, merged);
}

/* ---- entry --------------------------------------------------------------- */

static bool redo_in_general_mode(const worker *w0, const worker *w1, bool merged)
{
    if (w0->sh.noncontiguous)
        return true;
    return merged && (w1->sh.noncontiguous || shard_orders_overlap(&w0->sh, &w1->sh));
}

static cvo_status run(load *ld, const load_tuning *tune, worker *w0, worker *w1, bool *merged)
{
    *merged = false;
    bool seekable = source_seekable(ld->src);
    ld->config.general = tune->force_general || !seekable;
    int threads = ld->options->threads > 0 ? ld->options->threads : 2;
    uint64_t size = seekable ? source_size(ld->src) : 0;
    bool parallel = !ld->config.general && threads > 1 &&
                    size - ld->data_start >= tune->parallel_min && split_point(ld) < size;
    CVO_TRY(parallel ? run_parallel(ld, w0, w1, merged) : run_sequential(ld, w0));
    if (ld->config.general || !redo_in_general_mode(w0, w1, *merged))
        return CVO_OK;
    /* an order's records are not contiguous: read again keeping orders open */
    worker_free(w0);
    worker_free(w1);
    *merged = false;
    ld->config.general = true;
    ld->config.max_rejects = CVO_MAX_REJECTS;
    if (ld->tracking)
        progress_restart(&ld->progress);
    return run_sequential(ld, w0);
}

cvo_status orders_load_tuned(cvo_ctx *ctx, const cvo_load_options *options,
                             const load_tuning *tune, cvo_customers **out,
                             cvo_load_stats *stats)
{
    load ld;
    memset(&ld, 0, sizeof ld);
    ld.ctx = ctx;
    ld.options = options;
    ld.chunk = tune->chunk;
    ld.name = options->display_name ? options->display_name
              : strcmp(options->path, "-") == 0 ? "<stdin>" : options->path;
    worker w0, w1;
    memset(&w0, 0, sizeof w0);
    memset(&w1, 0, sizeof w1);
    bool merged = false;
    cvo_status status = make_config(&ld);
    if (status == CVO_OK)
        status = source_open(ctx, options->path, ld.name, &ld.src);
    if (status == CVO_OK) {
        track_progress(&ld, false);
        status = read_header(&ld);
    }
    if (status == CVO_OK)
        status = settle_currency(&ld);
    if (status == CVO_OK)
        status = status_rules_init(ctx, &ld.statuses, ld.schema.format, options->count_statuses,
                                   options->skip_statuses);
    if (status == CVO_OK) {
        track_progress(&ld, true);
        status = run(&ld, tune, &w0, &w1, &merged);
    }
    if (status == CVO_OK && ld.tracking)
        progress_finish(&ld.progress);
    if (status == CVO_OK)
        status = orders_finish(&ld, &w0, &w1, merged, out, stats);
    if (status == CVO_OK) {
        /* a plain file is read whole exactly once, however the workers overlapped */
        stats->bytes = source_seekable(ld.src) ? source_size(ld.src) : w0.rd.bytes;
        stats->format = ld.schema.format;
        stats->delimiter = ld.schema.delimiter;
        stats->format_detected = ld.schema.detected;
        sort_tables(stats);
        stats->no_amounts = !ld.schema.has_amount;
        if (ld.currency_source != CVO_CURRENCY_FIRST || stats->currency[0] != '\0') {
            if (ld.currency_source != CVO_CURRENCY_FIRST)
                memcpy(stats->currency, ld.config.store_currency, sizeof stats->currency);
            stats->currency_source = ld.currency_source;
        }
        stats->currency_majority_orders = ld.majority_orders;
        stats->currency_scanned_orders = ld.scanned_orders;
    }
    worker_free(&w0);
    worker_free(&w1);
    reader_free(&ld.header_reader);
    source_close(ld.src);
    if (ld.tracking)
        progress_destroy(&ld.progress);
    products_free((products *)ld.config.products);
    rates_free((rates *)ld.config.rates);
    return status;
}

void cvo_load_options_init(cvo_load_options *options)
{
    memset(options, 0, sizeof *options);
    options->format = CVO_FORMAT_AUTO;
    options->latest_day = INT32_MAX;
}

cvo_status cvo_orders_load(cvo_ctx *ctx, const cvo_load_options *options, cvo_customers **out,
                           cvo_load_stats *stats)
{
    cvo_load_stats local;
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    if (options == NULL || options->path == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no input path");
    if (options->threads < 0 || options->threads > CVO_MAX_THREADS)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "threads must be 0..%d", CVO_MAX_THREADS);
    memset(stats ? stats : &local, 0, sizeof local);
    load_tuning tune = {0, PARALLEL_MIN_BYTES, false};
    return orders_load_tuned(ctx, options, &tune, out, stats ? stats : &local);
}

const char *cvo_reject_reason_name(cvo_reject_reason reason)
{
    static const char *const names[CVO_REJECT__COUNT] = {
        "field count",     "no customer", "no date",         "bad date",
        "ambiguous date",  "bad amount",  "no amount",       "bad quantity",
        "amount overflow", "duplicate",   "record too long", "unterminated quote",
        "future date",     "bad consent", "unknown status", "unknown currency",
        "other currency",  "no rate"};
    return (unsigned)reason < CVO_REJECT__COUNT ? names[reason] : "unknown";
}
