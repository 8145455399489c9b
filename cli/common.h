/* common.h - what the subcommands share: exit codes, the input and scoring
 * options, loading with a summary on stderr, the rejects file, CSV cells. */
#ifndef CVO_CLI_COMMON_H
#define CVO_CLI_COMMON_H

#include "args.h"
#include "cvo.h"

/* Exit codes, documented in cvo(1). */
enum {
    EXIT_OK = 0,      /* success, every record used */
    EXIT_REJECTS = 1, /* success, some records rejected (see --rejects) */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_INPUT = 3,   /* unusable input: unreadable, unknown format, no usable record */
    EXIT_SYSTEM = 4,  /* cannot write output (disk full), out of memory, internal error,
                         a push refused or not reached */
    EXIT_REFUSED = 5  /* refused: another run holds the lock, or a safety check failed */
};

#define CLI_INPUT_OPTIONS                                                                      \
    {"format", 0, "NAME",                                                                      \
     "input format: auto (default), generic, shopify, woocommerce, bigcommerce, magento, cdnow"}, \
    {"rates", 0, "FILE", "dated rates (date,currency,rate) to convert other currencies"},      \
    {"map", 0, "FIELD=COL,..", "name the columns, e.g. customer_id=CustomerID"},               \
    {"date-format", 0, "FMT", "order date format, e.g. %m/%d/%Y %H:%M"},                       \
    {"decimal-comma", 0, NULL, "amounts use a decimal comma (12,99)"},                         \
    {"cancel-prefix", 0, "P", "order ids starting with P are cancellations (UCI: C)"},         \
    {"rejects", 0, "FILE", "write rejected records (line,reason,record) to FILE"},             \
    {"threads", 0, "N", "worker threads (default 2)"},                                          \
    {"quiet", 'q', NULL, "no summary on stderr"}

#define CLI_SCORE_OPTIONS                                                                      \
    {"as-of", 0, "DATE", "score as of DATE (default: the day after the last order)"},          \
    {"levels", 0, "N", "score levels 3, 4 or 5 (default 5)"},                                  \
    {"ties", 0, "RULE", "equal (default), ntile, or fixed (with --cuts)"},                     \
    {"cuts", 0, "FILE", "fixed cut points (recency/frequency/monetary = a,b,..)"},             \
    {"scheme", 0, "NAME", "relationship (default), classic, klaviyo"},                          \
    {"segment-map", 0, "FILE", "your own segment map: lines RFM,Segment"}

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

/* Parses argv against specs; prints usage errors. Returns -1 to go on, or an
 * exit code (help printed: EXIT_OK; error: EXIT_USAGE). */
int cli_parse(int argc, char **argv, const opt_spec *specs, size_t count, parsed_args *out,
              const char *usage, const char *about);

int cli_exit_for(cvo_status status);
/* For a library writer's failure on out (path its name; stdout: "standard
 * output"): "cvo: NAME: write error: reason" for CVO_ERR_WRITE, else as
 * cli_fail. Returns the exit code. */
int cli_fail_output(cvo_ctx *ctx, cvo_status status, FILE *out, const char *path);
/* Flushes and closes an output file (stdout: only flushes; cli_close_stdout
 * closes it); false after "cvo: path: write error: reason" on stderr. */
bool cli_close_output(FILE *out, const char *path);
/* At the end of every command: flushes and closes standard output. A write
 * that failed on it at any time (disk full, a device that refuses) is
 * reported once, "cvo: standard output: write error: reason", and turns a
 * success (EXIT_OK, EXIT_REJECTS) into EXIT_SYSTEM. Returns the exit code. */
int cli_close_stdout(int code);
/* The latest day an order or an answer may carry: the day after today (UTC),
 * one day of slack for time zones ahead of UTC. Today is SOURCE_DATE_EPOCH
 * (seconds since 1970) when it is set and valid, so that runs are
 * reproducible, else the clock. */
int32_t cli_latest_day(void);
/* Prints "cvo: message" on stderr for a failed library call. */
int cli_fail(cvo_ctx *ctx, cvo_status status);

/* Loads path with the input options; prints the summary unless --quiet.
 * Returns EXIT_OK, EXIT_REJECTS or an error exit code. */
int cli_load(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
             const char *path, cvo_customers **out, cvo_load_stats *stats);

/* cli_load, optionally keeping every customer's orders (for the models). */
int cli_load_orders(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    const char *path, bool keep_orders, cvo_customers **out,
                    cvo_load_stats *stats);

/* The first rejected records of a load, for a message that says why. */
#define CLI_REJECT_SAMPLE 3
typedef struct cli_reject_sample {
    size_t count;
    uint64_t line[CLI_REJECT_SAMPLE];
    char detail[CLI_REJECT_SAMPLE][160];
} cli_reject_sample;

/* cli_load_orders, keeping the first rejected records in *sample (NULL: not). */
int cli_load_orders_sampled(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs,
                            size_t count, const char *path, bool keep_orders, cvo_customers **out,
                            cvo_load_stats *stats, cli_reject_sample *sample);

/* The scoring set-up, checked before any input is read. */
typedef struct score_setup {
    cvo_rfm_options options;
    cvo_cuts cuts;
    cvo_scheme *scheme;
} score_setup;

/* Reads the scoring options, cut points and segment scheme. Returns -1 to go
 * on, or an exit code. setup->scheme is the caller's to free. */
int cli_score_setup(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    score_setup *setup);
/* Scores the customers; returns EXIT_OK or an error exit code. */
int cli_score(cvo_ctx *ctx, score_setup *setup, const cvo_customers *customers, cvo_rfm **rfm);

/* Writes one CSV cell, neutralising formula starts (= + - @ TAB CR) as OWASP
 * recommends: quoted, with a leading '. */
void cli_csv_cell(FILE *out, const char *text);
/* What cvo rfm and cvo segments do with the scored customers. */
typedef int (*scored_fn)(cvo_ctx *ctx, const parsed_args *args, const cvo_customers *customers,
                         const cvo_rfm *rfm, const cvo_scheme *scheme);
/* Loads ORDERS, scores every customer and hands the result to emit; returns
 * the exit code (rejected records: EXIT_REJECTS when all else went well). */
int cli_run_scored(const parsed_args *args, const opt_spec *specs, size_t count,
                   const char *command, scored_fn emit);
/* The defaults, then --config FILE when given, else the first of ./cvo.ini and
 * $XDG_CONFIG_HOME/cvo/config.ini (default $HOME/.config) that exists, named on
 * stderr unless --quiet; a file found that cannot be read or is invalid fails
 * as a given one does. -1 when loaded, else the exit code (the message
 * printed). *config is the caller's either way (cvo_config_free). */
int cli_load_config(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    cvo_config **config);
/* --config (cli_load_config), then the ORDERS argument with its orders kept:
 * the orders' load code (EXIT_OK or EXIT_REJECTS) or the failure's. *config
 * and *customers are the caller's either way. */
int cli_load_config_and_orders(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs,
                               size_t count, cvo_config **config, cvo_customers **customers,
                               cvo_load_stats *stats);
/* A command's job on one ORDERS argument, with a context made for it. */
typedef int (*orders_job_fn)(cvo_ctx *ctx, const parsed_args *args);
/* Checks there is one ORDERS argument, makes a context and runs job; the exit code. */
int cli_run_orders_job(const parsed_args *args, const char *command, orders_job_fn job);
/* The on_reject callback for NPS answers: writes line,reason,detail,record to
 * the FILE * in user_data. */
cvo_status cli_write_nps_reject(void *user_data, const cvo_nps_reject *reject);
/* Opens path (NULL: none) for the rejected NPS answers, writes its header and
 * points options' on_reject at it: -1, or EXIT_SYSTEM (said why). */
int cli_nps_rejects_open(const char *path, cvo_nps_options *options, FILE **out);
/* Closes it: -1, or EXIT_SYSTEM on a write error (said). NULL: nothing. */
int cli_nps_rejects_close(const char *path, FILE *rejects);
/* The NPS summary on stderr: responses used, rejected (by reason) and left out
 * as later, then the joins and where the stages came from. */
void cli_print_nps_summary(const char *path, const cvo_nps_stats *stats);
/* Writes text as a JSON string on stdout. */
void cli_json_string(const char *text);

/* A number in [min, max]; false otherwise. */
bool cli_parse_double(const char *text, double min, double max, double *out);
/* Writes cents as "-1234.56". */
void cli_money(FILE *out, int64_t cents);
/* Formats cents into buf (24 bytes), returns buf. */
const char *cli_money_text(int64_t cents, char *buf);

#endif
