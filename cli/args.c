/* args.c - GNU-style options: --name VALUE, --name=VALUE, -x VALUE, flags,
 * "--" ends options, "-" alone is a positional (stdin). */
#include "args.h"

#include <string.h>

static int find_long(const opt_spec *specs, size_t count, const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

static int find_short(const opt_spec *specs, size_t count, char c)
{
    for (size_t i = 0; i < count; i++)
        if (specs[i].short_name == c)
            return (int)i;
    return -1;
}

static bool take_value(int argc, char **argv, int *i, const opt_spec *spec, const char *inline_value,
                       const char **out, char *err, size_t err_len)
{
    if (spec->arg == NULL) {
        if (inline_value != NULL) {
            snprintf(err, err_len, "option --%s takes no value", spec->name);
            return false;
        }
        *out = "1";
        return true;
    }
    if (inline_value != NULL) {
        *out = inline_value;
        return true;
    }
    if (*i + 1 >= argc) {
        snprintf(err, err_len, "option --%s needs a value (%s)", spec->name, spec->arg);
        return false;
    }
    *out = argv[++*i];
    return true;
}

static bool parse_option(int argc, char **argv, int *i, const opt_spec *specs, size_t count,
                         parsed_args *out, char *err, size_t err_len)
{
    const char *a = argv[*i];
    int index;
    const char *inline_value = NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        index = find_long(specs, count, a + 2, len);
        inline_value = eq ? eq + 1 : NULL;
    } else {
        index = a[2] == '\0' ? find_short(specs, count, a[1]) : -1;
    }
    if (index < 0) {
        snprintf(err, err_len, "unknown option '%s'", a);
        return false;
    }
    return take_value(argc, argv, i, &specs[index], inline_value, &out->values[index], err,
                      err_len);
}

bool args_parse(int argc, char **argv, const opt_spec *specs, size_t count, parsed_args *out,
                char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            out->help = true;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            if (!parse_option(argc, argv, &i, specs, count, out, err, err_len))
                return false;
        } else if (out->positional_count < sizeof out->positional / sizeof *out->positional) {
            out->positional[out->positional_count++] = a;
        } else {
            snprintf(err, err_len, "too many arguments (at most %zu)",
                     sizeof out->positional / sizeof *out->positional);
            return false;
        }
    }
    return true;
}

const char *args_get(const parsed_args *args, const opt_spec *specs, size_t count,
                     const char *name)
{
    int index = find_long(specs, count, name, strlen(name));
    return index >= 0 ? args->values[index] : NULL;
}

void args_print_options(FILE *out, const opt_spec *specs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char left[64];
        if (specs[i].short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", specs[i].short_name, specs[i].name,
                     specs[i].arg ? " " : "", specs[i].arg ? specs[i].arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", specs[i].name, specs[i].arg ? " " : "",
                     specs[i].arg ? specs[i].arg : "");
        fprintf(out, "  %-30s %s\n", left, specs[i].help);
    }
}
