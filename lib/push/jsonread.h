/* jsonread.h - reading JSON with jansson: the files cvo analyze wrote and the
 * services' answers. Values are found by dotted paths ("data.attributes.status",
 * "errors.0.detail"). jansson allocates with malloc, not the context's allocator
 * (its allocator is process-wide; the library sets no globals). */
#ifndef CVO_PUSH_JSONREAD_H
#define CVO_PUSH_JSONREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The document of text[0..len), or NULL when it is not JSON; json_decref it. */
json_t *jsonread_parse(const char *text, size_t len);
/* The value at path, or NULL. */
json_t *jsonread_at(json_t *root, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *jsonread_text(json_t *root, const char *path);
/* The integer at path; false when absent or not an integer. */
bool jsonread_integer(json_t *root, const char *path, long long *out);

#endif
