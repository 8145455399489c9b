/* orders_impl.h - what orders.c (header, workers, the parallel run, entry) and
 * orders_results.c (merging the workers into the customer table, rejects, stats)
 * share. Kept out of orders.h, which the tests include.
 * Invariant: whatever path is taken, the result equals a single sequential pass. */
#ifndef CVO_ORDERS_IMPL_H
#define CVO_ORDERS_IMPL_H

#include "core/customers.h"
#include "core/orders.h"
#include "core/ingest.h"
#include "core/products.h"
#include "io/header.h"
#include "io/reader.h"

enum { PARALLEL_MIN_BYTES = 8 << 20, GROUP_KEY_BYTES = 512 };

typedef struct head_record {
    char *raw;
    size_t raw_len;
    uint64_t line;
} head_record;

typedef struct worker {
    shard sh;
    reader rd;
    csv_scanner sc;
    source *src;
    bool positional;
    uint64_t start;        /* offset of the first byte */
    uint64_t first_line;   /* line number at start */
    uint64_t stop;         /* records starting here or later are left alone */
    size_t chunk;
    /* where it stopped: the first record it did not take */
    bool stopped;
    uint64_t stop_offset, stop_line;
    /* the second worker sets aside its first order for the first worker */
    bool capture_head;
    head_record *head;
    size_t head_count, head_cap;
    bool have_first;
    uint64_t first_offset, first_record_line;
    cvo_status status;
    char message[256];
} worker;

typedef struct load {
    cvo_ctx *ctx;
    const cvo_load_options *options;
    const char *name;
    source *src;
    schema schema;
    ingest_config config;
    uint64_t data_start;    /* offset of the first data record */
    uint64_t data_line;
    size_t chunk;
    reader header_reader;   /* non-seekable input continues on this one */
    progress progress;      /* with options->on_progress, once tracking */
    bool tracking;
    status_rules statuses;
    cvo_currency_source currency_source;
    uint64_t majority_orders, scanned_orders;
} load;

/* Closes the workers' orders, merges w1 into w0 when merged, emits the rejects
 * and builds *out (owned by the caller); fails with the context's message. */
cvo_status orders_finish(load *ld, worker *w0, worker *w1, bool merged, cvo_customers **out,
                          cvo_load_stats *stats);

#endif
