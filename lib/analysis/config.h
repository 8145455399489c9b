/* config.h - the key table behind cvo_config: every key of the analyze
 * configuration with its type, allowed values, default and documentation.
 * Shared with the tests, which render docs/config.md from it. */
#ifndef CVO_CONFIG_H
#define CVO_CONFIG_H

#include "cvo.h"

typedef enum config_type {
    CONFIG_TEXT,    /* free text, checked by config_key.format */
    CONFIG_NUMBER,  /* a decimal number within [min, max] (ends open per `open`) */
    CONFIG_INTEGER, /* a decimal integer within [min, max] */
    CONFIG_BOOL,    /* true or false */
    CONFIG_LIST,    /* comma-separated items, each trimmed and non-empty; may be empty */
    CONFIG_ENUM     /* one of config_key.choices */
} config_type;

typedef enum config_format {
    CONFIG_ANY,      /* any text, empty included */
    CONFIG_NONEMPTY, /* any text but the empty one */
    CONFIG_CURRENCY, /* three upper-case letters (ISO 4217) */
    CONFIG_DATE,     /* YYYY-MM-DD, a valid day */
    CONFIG_EMPTY_OK  /* CONFIG_NUMBER, CONFIG_INTEGER: empty too (unset; the getter gives NaN) */
} config_format;

/* Bits of config_key.open: which end of [min, max] is excluded. */
enum { CONFIG_OPEN_MIN = 1, CONFIG_OPEN_MAX = 2 };

typedef struct config_key {
    const char *section;
    const char *key;
    config_type type;
    const char *default_value;
    const char *const *choices; /* CONFIG_ENUM: NULL-terminated allowed values */
    config_format format;       /* CONFIG_TEXT */
    double min, max;            /* CONFIG_NUMBER, CONFIG_INTEGER */
    unsigned open;              /* CONFIG_OPEN_* */
    const char *doc;            /* one line: what the key means */
} config_key;

/* The table, in file order (grouped by section). */
size_t config_key_count(void);
const config_key *config_key_at(size_t index);

/* What values a key accepts, as a phrase completing "must be ...":
 * "an integer from 3 to 5", "one of day, week, month". Always NUL-terminated. */
void config_describe(const config_key *key, char *out, size_t size);

/* Writes value as an INI value: bare when it reads back as itself, else quoted
 * with '"' and '\' escaped. Returns false on a write error. */
bool config_write_value(FILE *out, const char *value);

#endif
