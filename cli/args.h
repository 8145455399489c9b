/* args.h - table-driven option parsing for the subcommands: each command
 * lists its options once, and help text is printed from the same table. */
#ifndef CVO_CLI_ARGS_H
#define CVO_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct opt_spec {
    const char *name;  /* long name without "--" */
    char short_name;   /* 0 for none */
    const char *arg;   /* value placeholder ("FILE"), NULL for a flag */
    const char *help;
} opt_spec;

typedef struct parsed_args {
    const char *values[48]; /* per spec: the value, or "1" for a set flag, NULL unset */
    const char *positional[64]; /* cvo forget takes that many customers at once */
    size_t positional_count;
    bool help;
} parsed_args;

/* false with a message in err on an unknown option or missing value. */
bool args_parse(int argc, char **argv, const opt_spec *specs, size_t count, parsed_args *out,
                char *err, size_t err_len);
/* The value of option name, or NULL. */
const char *args_get(const parsed_args *args, const opt_spec *specs, size_t count,
                     const char *name);
void args_print_options(FILE *out, const opt_spec *specs, size_t count);

#endif
