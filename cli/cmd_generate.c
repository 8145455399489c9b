/* cmd_generate.c - cvo generate: a deterministic synthetic store in DIR. */
#include "commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const opt_spec specs[] = {
    {"customers", 'n', "N", "customers (default 1000)"},
    {"seed", 's', "S", "random seed (default 1)"},
    {"output", 'o', "DIR", "directory to write orders.csv, products.csv, nps.csv"},
    {"duplicate-rate", 0, "R", "share of line rows written twice (default 0)"},
    {"from", 0, "DATE", "first order day (default 2023-01-01)"},
    {"to", 0, "DATE", "last order day (default 2025-12-31)"},
    {"plant-toxic", 0, "SKU[,SKU]", "plant: customers whose first order holds SKU churn, detract"},
    {"plant-late-region", 0, "CC", "plant: country CC gets late deliveries, churn and detractors"},
    {"plant-discount-churn", 0, NULL, "plant: customers acquired with a discount code churn more"},
    {"plant-strength", 0, "X", "0..1, how strongly planted effects act (default 0.5)"},
    {"plant-uplift", 0, "SPEC",
     "plant: LIST@DATE[:conversion=X][,spend=X], that experiment's treated arm buys more"},
    {"plant-share", 0, "X", "holdout share of the planted experiment (default 0.2)"},
    {"plant-window", 0, "DAYS", "days the planted uplift lasts after DATE (default 60)"},
    {"id-key", 0, "TEXT", "the [privacy] id_key the planted experiment's arms are drawn with"},
    {"plant-season", 0, "SPEC",
     "plant: yearly purchase rates, nov=1.6,dec=2.2 or amplitude=0.5,peak=12-15"},
    {"model", 'm', "NAME", "purchase process: bgnbd (default) or pnbd"},
    {"params", 0, "LIST", "NAME=X,...: r,alpha,a,b (bgnbd) or r,alpha,s,beta (pnbd)"},
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static bool parse_u64(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end != '\0' || text[0] == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_rate(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v >= 0 && v <= 1))
        return false;
    *out = v;
    return true;
}

/* The parameter called name (len bytes) of the chosen process, or NULL. */
static double *process_parameter(cvo_generate_options *o, const char *name, size_t len)
{
    static const char *const names[] = {"r", "alpha", "a", "b", "s", "beta"};
    bool pnbd = o->process == CVO_GEN_PNBD;
    double *bgnbd[] = {&o->bgnbd_r, &o->bgnbd_alpha, &o->bgnbd_a, &o->bgnbd_b, NULL, NULL};
    double *pareto[] = {&o->pnbd_r, &o->pnbd_alpha, NULL, NULL, &o->pnbd_s, &o->pnbd_beta};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return pnbd ? pareto[i] : bgnbd[i];
    return NULL;
}

/* "r=0.55,alpha=10.5,...": each NAME=X sets that parameter of the process. */
static bool parse_params(const char *list, cvo_generate_options *o)
{
    for (const char *item = list; item != NULL;) {
        const char *comma = strchr(item, ',');
        const char *eq = strchr(item, '=');
        if (eq == NULL || (comma != NULL && eq > comma))
            return false;
        double *slot = process_parameter(o, item, (size_t)(eq - item));
        char *end;
        errno = 0;
        double v = strtod(eq + 1, &end);
        if (slot == NULL || errno || end == eq + 1 || (comma ? end != comma : *end != '\0'))
            return false;
        *slot = v; /* the library checks the range */
        item = comma ? comma + 1 : NULL;
    }
    return true;
}

static int read_process(const parsed_args *a, cvo_generate_options *o)
{
    const char *model = args_get(a, specs, SPEC_COUNT, "model");
    const char *params = args_get(a, specs, SPEC_COUNT, "params");
    if (model != NULL && strcmp(model, "pnbd") == 0)
        o->process = CVO_GEN_PNBD;
    else if (model != NULL && strcmp(model, "bgnbd") != 0) {
        fprintf(stderr, "cvo: generate: unknown model '%s' (bgnbd or pnbd)\n", model);
        return EXIT_USAGE;
    }
    if (params != NULL && !parse_params(params, o)) {
        fprintf(stderr,
                "cvo: generate: bad --params '%s' (NAME=X,...: r, alpha, a, b for bgnbd; r, "
                "alpha, s, beta for pnbd)\n",
                params);
        return EXIT_USAGE;
    }
    return -1;
}

static int read_options(const parsed_args *a, cvo_generate_options *o)
{
    cvo_generate_options_init(o);
    const char *customers = args_get(a, specs, SPEC_COUNT, "customers");
    const char *seed = args_get(a, specs, SPEC_COUNT, "seed");
    const char *rate = args_get(a, specs, SPEC_COUNT, "duplicate-rate");
    const char *from = args_get(a, specs, SPEC_COUNT, "from");
    const char *to = args_get(a, specs, SPEC_COUNT, "to");
    const char *strength = args_get(a, specs, SPEC_COUNT, "plant-strength");
    if ((customers && !parse_u64(customers, &o->customers)) ||
        (seed && !parse_u64(seed, &o->seed)) || (rate && !parse_rate(rate, &o->duplicate_rate)) ||
        (from && !cvo_day_parse(from, &o->first_day)) || (to && !cvo_day_parse(to, &o->last_day)) ||
        (strength && !parse_rate(strength, &o->plant_strength))) {
        fprintf(stderr,
                "cvo: generate: bad value (numbers for -n/-s, 0..1 for --duplicate-rate and "
                "--plant-strength, YYYY-MM-DD for --from/--to)\n");
        return EXIT_USAGE;
    }
    const char *share = args_get(a, specs, SPEC_COUNT, "plant-share");
    const char *window = args_get(a, specs, SPEC_COUNT, "plant-window");
    uint64_t window_days = o->plant_window;
    if ((share && !parse_rate(share, &o->plant_share)) ||
        (window && (!parse_u64(window, &window_days) || window_days > 3650))) {
        fprintf(stderr, "cvo: generate: bad value (0..1 for --plant-share, 1..3650 days for "
                        "--plant-window)\n");
        return EXIT_USAGE;
    }
    o->plant_window = (uint32_t)window_days;
    o->plant_uplift = args_get(a, specs, SPEC_COUNT, "plant-uplift");
    o->plant_id_key = args_get(a, specs, SPEC_COUNT, "id-key");
    o->plant_season = args_get(a, specs, SPEC_COUNT, "plant-season");
    o->toxic_skus = args_get(a, specs, SPEC_COUNT, "plant-toxic");
    o->late_country = args_get(a, specs, SPEC_COUNT, "plant-late-region");
    o->plant_discount_churn = args_get(a, specs, SPEC_COUNT, "plant-discount-churn") != NULL;
    return read_process(a, o);
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "cvo: %s: cannot write: %s\n", path, strerror(errno));
    return f;
}

/* Closes the files; a failed close of a complete file says which and why. */
static int close_all(FILE **files, char paths[][4096], int n, int code)
{
    for (int i = 0; i < n; i++) {
        if (files[i] == NULL)
            continue;
        if (code != EXIT_OK)
            fclose(files[i]);
        else if (!cli_close_output(files[i], paths[i]))
            code = EXIT_SYSTEM;
    }
    return code;
}

static int generate(const char *dir, const cvo_generate_options *o)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cvo: %s: cannot create: %s\n", dir, strerror(errno));
        return EXIT_SYSTEM;
    }
    char paths[3][4096];
    FILE *files[3] = {open_in(dir, "orders.csv", paths[0], sizeof paths[0]),
                      open_in(dir, "products.csv", paths[1], sizeof paths[1]),
                      open_in(dir, "nps.csv", paths[2], sizeof paths[2])};
    if (!files[0] || !files[1] || !files[2])
        return close_all(files, paths, 3, EXIT_SYSTEM);
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return close_all(files, paths, 3, EXIT_SYSTEM);
    cvo_status status = cvo_generate(ctx, o, files[0], files[1], files[2]);
    int code = status == CVO_OK ? EXIT_OK : cli_fail(ctx, status);
    cvo_ctx_free(ctx);
    code = close_all(files, paths, 3, code);
    if (code == EXIT_OK)
        fprintf(stderr, "cvo: wrote %s, %s, %s\n", paths[0], paths[1], paths[2]);
    return code;
}

int cmd_generate(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo generate [-n N] [-s SEED] -o DIR",
                  "Writes a synthetic store whose customers buy and lapse like real ones\n"
                  "(a BG/NBD process, or Pareto/NBD with -m pnbd): DIR/orders.csv,\n"
                  "DIR/products.csv, DIR/nps.csv.\n"
                  "The same options always give the same bytes. --plant-* options plant\n"
                  "known effects on churn and NPS (none by default), for testing analyses.");
    if (code >= 0)
        return code;
    const char *dir = args_get(&args, specs, SPEC_COUNT, "output");
    if (dir == NULL || args.positional_count != 0) {
        fprintf(stderr, "cvo: generate needs -o DIR\nTry 'cvo generate --help'.\n");
        return EXIT_USAGE;
    }
    cvo_generate_options options;
    code = read_options(&args, &options);
    return code >= 0 ? code : generate(dir, &options);
}
