/* utf8.h - UTF-8 validation and repair for text fields. Invalid sequences
 * (overlongs, surrogates, > U+10FFFF, truncated) are replaced by U+FFFD. */
#ifndef CVO_UTF8_H
#define CVO_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the longest valid prefix; == len when all of it is valid. */
size_t utf8_valid_prefix(const char *text, size_t len);
/* Writes a repaired copy into out (capacity >= 3 * len + 1), NUL-terminated;
 * returns the output length. */
size_t utf8_repair(const char *text, size_t len, char *out);

#endif
