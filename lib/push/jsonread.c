/* jsonread.c - jansson behind dotted paths (see jsonread.h). */
#include "push/jsonread.h"

#include <stdlib.h>
#include <string.h>

json_t *jsonread_parse(const char *text, size_t len)
{
    json_error_t error;
    return json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
}

/* One step: a member of an object, or an element of an array by its digits. */
static json_t *step(json_t *node, const char *name, size_t len)
{
    if (json_is_object(node)) {
        char key[128];
        if (len >= sizeof key)
            return NULL;
        memcpy(key, name, len);
        key[len] = '\0';
        return json_object_get(node, key);
    }
    if (!json_is_array(node) || len == 0 || len > 9 || strspn(name, "0123456789") < len)
        return NULL;
    size_t index = 0;
    for (size_t i = 0; i < len; i++)
        index = index * 10 + (size_t)(name[i] - '0');
    return json_array_get(node, index);
}

json_t *jsonread_at(json_t *root, const char *path)
{
    json_t *node = root;
    while (node != NULL && *path) {
        size_t len = strcspn(path, ".");
        node = step(node, path, len);
        path += len + (path[len] == '.');
    }
    return node;
}

const char *jsonread_text(json_t *root, const char *path)
{
    json_t *node = jsonread_at(root, path);
    return json_is_string(node) ? json_string_value(node) : NULL;
}

bool jsonread_integer(json_t *root, const char *path, long long *out)
{
    json_t *node = jsonread_at(root, path);
    if (!json_is_integer(node))
        return false;
    *out = (long long)json_integer_value(node);
    return true;
}
