/* klaviyo_files.c - reading and checking the Klaviyo files before a push (see
 * klaviyo_files.h). A body is read whole (at most Klaviyo's 5 MB) and parsed
 * with jansson; events.jsonl is read a line at a time. */
#include "push/klaviyo_files.h"
#include "push/session.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- names: sorted lists, each name followed by '\n' ----------------------------------- */

/* The next name of a list at *p (its length without the '\n'); false at the end. */
static bool next_name(const char **p, const char **name, size_t *len)
{
    if (**p == '\0')
        return false;
    *name = *p;
    *len = strcspn(*p, "\n");
    *p += *len + ((*p)[*len] == '\n');
    return true;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static bool names_put(char *out, size_t *used, const char *name, size_t len)
{
    if (*used + len + 2 > STATE_NAMES_MAX)
        return false;
    memcpy(out + *used, name, len);
    out[*used + len] = '\n';
    *used += len + 1;
    out[*used] = '\0';
    return true;
}

size_t names_minus(const char *a, const char *b, char out[STATE_NAMES_MAX])
{
    size_t used = 0, count = 0, alen = 0, blen = 0;
    const char *an = NULL, *bn = NULL;
    bool more_b = next_name(&b, &bn, &blen);
    out[0] = '\0';
    while (next_name(&a, &an, &alen)) {
        while (more_b && name_cmp(bn, blen, an, alen) < 0)
            more_b = next_name(&b, &bn, &blen);
        if (more_b && name_cmp(bn, blen, an, alen) == 0)
            continue;
        count += names_put(out, &used, an, alen); /* a fits: it came from the same cap */
    }
    return count;
}

bool names_union(const char *a, const char *b, char out[STATE_NAMES_MAX])
{
    size_t used = 0, alen = 0, blen = 0;
    const char *an = NULL, *bn = NULL;
    bool more_a = next_name(&a, &an, &alen), more_b = next_name(&b, &bn, &blen), ok = true;
    out[0] = '\0';
    while (ok && (more_a || more_b)) {
        int c = !more_a ? 1 : !more_b ? -1 : name_cmp(an, alen, bn, blen);
        ok = c <= 0 ? names_put(out, &used, an, alen) : names_put(out, &used, bn, blen);
        if (c <= 0)
            more_a = next_name(&a, &an, &alen);
        if (c >= 0)
            more_b = next_name(&b, &bn, &blen);
    }
    return ok;
}

static int compare_text(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The names of properties with a non-null value (a null clears nothing in a bulk import). */
static bool property_names(json_t *properties, char out[STATE_NAMES_MAX])
{
    const char *keys[512];
    size_t count = 0, used = 0;
    const char *key;
    json_t *value;
    out[0] = '\0';
    json_object_foreach(properties, key, value)
    {
        if (json_is_null(value))
            continue;
        if (count == sizeof keys / sizeof *keys || strchr(key, '\n') != NULL)
            return false;
        keys[count++] = key;
    }
    qsort(keys, count, sizeof *keys, compare_text);
    for (size_t i = 0; i < count; i++)
        if (!names_put(out, &used, keys[i], strlen(keys[i])))
            return false;
    return true;
}

/* ---- bulk bodies ------------------------------------------------------------------------ */

json_t *klaviyo_body_profiles(json_t *body)
{
    const char *type = jsonread_text(body, "data.type");
    json_t *profiles = jsonread_at(body, "data.attributes.profiles.data");
    if (type == NULL || strcmp(type, "profile-bulk-import-job") != 0 || !json_is_array(profiles))
        return NULL;
    return profiles;
}

/* *p from one profile object. */
static bool profile_of(json_t *profile, const cvo_id_key *key, bulk_profile *p)
{
    p->profile = profile;
    p->email = jsonread_text(p->profile, "attributes.email");
    p->external_id = jsonread_text(p->profile, "attributes.external_id");
    json_t *properties = jsonread_at(p->profile, "attributes.properties");
    if ((p->email == NULL || p->email[0] == '\0') &&
        (p->external_id == NULL || p->external_id[0] == '\0'))
        return false;
    p->customer[0] = '\0';
    if (key != NULL) /* NULL: only checking the file */
        keyed_customer(key, p->external_id ? p->external_id : "", p->email ? p->email : "",
                       p->customer);
    return properties == NULL ? (p->names[0] = '\0', true)
                              : json_is_object(properties) && property_names(properties, p->names);
}

bool klaviyo_profile_at(json_t *profiles, size_t index, const cvo_id_key *key, bulk_profile *p)
{
    return profile_of(json_array_get(profiles, index), key, p);
}

static bool bulk_name_usable(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    return digits >= 1 && digits <= 9 && strcmp(name + digits, ".json") == 0;
}

/* By number: shorter names first, then by text. */
static int bulk_order(const void *a, const void *b)
{
    const char *x = ((const bulk_file *)a)->name, *y = ((const bulk_file *)b)->name;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static cvo_status add_file(klaviyo_files *f, const char *name, size_t *cap)
{
    if (f->bulk_count == KLAVIYO_BULK_FILES_MAX)
        return ctx_fail(f->ctx, CVO_ERR_LIMIT, "klaviyo: more than %d bulk-import files",
                        KLAVIYO_BULK_FILES_MAX);
    if (f->bulk_count == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        bulk_file *files = mem_realloc(f->ctx, f->bulk, grown * sizeof *files);
        if (files == NULL)
            return ctx_nomem(f->ctx);
        f->bulk = files;
        *cap = grown;
    }
    bulk_file *b = &f->bulk[f->bulk_count++];
    *b = (bulk_file){.completed = -1, .failed = -1};
    memcpy(b->name, name, strlen(name) + 1); /* bulk_name_usable: at most 14 bytes */
    return CVO_OK;
}

static cvo_status list_bulk(klaviyo_files *f)
{
    DIR *d = opendir(f->bulk_dir);
    if (d == NULL)
        return ctx_fail(f->ctx, CVO_ERR_IO, "klaviyo: %s: %s (run analyze first)", f->bulk_dir,
                        strerror(errno));
    size_t cap = 0;
    cvo_status status = CVO_OK;
    struct dirent *e;
    while (status == CVO_OK && (e = readdir(d)) != NULL)
        if (bulk_name_usable(e->d_name))
            status = add_file(f, e->d_name, &cap);
    closedir(d);
    if (status == CVO_OK && f->bulk_count > 1)
        qsort(f->bulk, f->bulk_count, sizeof *f->bulk, bulk_order);
    return status;
}

static cvo_status read_whole(cvo_ctx *ctx, const char *path, char **text, size_t *len)
{
    FILE *in = fopen(path, "rb");
    struct stat st;
    if (in == NULL || fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
        cvo_status status = ctx_fail(ctx, CVO_ERR_IO, "klaviyo: %s: cannot read: %s", path,
                                     in ? "not a regular file" : strerror(errno));
        if (in != NULL)
            fclose(in);
        return status;
    }
    if (st.st_size > KLAVIYO_BODY_MAX) {
        fclose(in);
        return ctx_fail(ctx, CVO_ERR_LIMIT,
                        "klaviyo: %s: %lld bytes, over Klaviyo's %d-byte payload limit", path,
                        (long long)st.st_size, KLAVIYO_BODY_MAX);
    }
    *text = mem_alloc(ctx, (size_t)st.st_size + 1);
    *len = *text ? fread(*text, 1, (size_t)st.st_size, in) : 0;
    bool short_read = *text == NULL || ferror(in) || *len != (size_t)st.st_size;
    fclose(in);
    if (!short_read) {
        (*text)[*len] = '\0';
        return CVO_OK;
    }
    cvo_status status =
        *text ? ctx_fail(ctx, CVO_ERR_IO, "klaviyo: %s: read error", path) : ctx_nomem(ctx);
    mem_free(ctx, *text);
    *text = NULL;
    return status;
}

cvo_status klaviyo_files_read(klaviyo_files *f, size_t i, char **text, size_t *len)
{
    char path[KLAVIYO_PATH_BYTES + 32];
    snprintf(path, sizeof path, "%s/%s", f->bulk_dir, f->bulk[i].name);
    return read_whole(f->ctx, path, text, len);
}

static cvo_status check_bulk(klaviyo_files *f, bulk_file *b)
{
    char *text = NULL;
    size_t len = 0;
    CVO_TRY(klaviyo_files_read(f, (size_t)(b - f->bulk), &text, &len));
    json_t *body = jsonread_parse(text, len);
    json_t *profiles = klaviyo_body_profiles(body);
    b->bytes = len;
    b->profiles = json_array_size(profiles);
    mem_free(f->ctx, text);
    json_decref(body);
    if (profiles == NULL || b->profiles == 0)
        return ctx_fail(f->ctx, CVO_ERR_FORMAT,
                        "klaviyo: %s/%s: not a profile-bulk-import-job body with profiles",
                        f->bulk_dir, b->name);
    f->profiles += b->profiles;
    return CVO_OK;
}

/* ---- events.jsonl ------------------------------------------------------------------- */

typedef struct event_walk {
    klaviyo_files *f;
    event_visit visit;
    void *user;
} event_walk;

static cvo_status event_line(void *user, unsigned long number, char *text, size_t len)
{
    event_walk *w = user;
    klaviyo_files *f = w->f;
    if (len > KLAVIYO_BODY_MAX)
        return ctx_fail(f->ctx, CVO_ERR_LIMIT,
                        "klaviyo: %s:%lu: over Klaviyo's %d-byte payload limit", f->events_path,
                        number, KLAVIYO_BODY_MAX);
    json_t *event = jsonread_parse(text, len);
    const char *type = jsonread_text(event, "data.type");
    const char *unique_id = jsonread_text(event, "data.attributes.unique_id");
    cvo_status status = CVO_OK;
    if (type == NULL || strcmp(type, "event") != 0 || unique_id == NULL || unique_id[0] == '\0')
        status =
            ctx_fail(f->ctx, CVO_ERR_FORMAT, "klaviyo: %s:%lu: not an event body with a unique_id",
                     f->events_path, number);
    if (status == CVO_OK && w->visit != NULL)
        status = w->visit(w->user, number, text, len, event);
    json_decref(event);
    return status;
}

cvo_status klaviyo_events_each(klaviyo_files *f, event_visit visit, void *user)
{
    event_walk w = {f, visit, user};
    return session_lines(f->ctx, "klaviyo", f->events_path, event_line, &w);
}

static cvo_status count_event(void *user, unsigned long number, const char *line, size_t len,
                              json_t *event)
{
    klaviyo_files *f = user;
    if (++f->events > KLAVIYO_EVENTS_MAX)
        return ctx_fail(f->ctx, CVO_ERR_LIMIT, "klaviyo: %s:%lu: more than %d events",
                        f->events_path, number, KLAVIYO_EVENTS_MAX);
    return CVO_OK;
}

/* ---- withdrawn.jsonl ---------------------------------------------------------------- */

typedef struct withdrawn_walk {
    klaviyo_files *f;
    const cvo_id_key *key;
    withdrawn_visit visit;
    void *user;
} withdrawn_walk;

static cvo_status withdrawn_line(void *user, unsigned long number, char *text, size_t len)
{
    withdrawn_walk *w = user;
    json_t *profile = jsonread_parse(text, len);
    const char *type = jsonread_text(profile, "type");
    bulk_profile p;
    cvo_status status = CVO_OK;
    if (type == NULL || strcmp(type, "profile") != 0 || !profile_of(profile, w->key, &p) ||
        p.names[0] != '\0')
        status = ctx_fail(w->f->ctx, CVO_ERR_FORMAT,
                          "klaviyo: %s:%lu: not a profile's identifiers", w->f->withdrawn_path,
                          number);
    if (status == CVO_OK && w->visit != NULL)
        status = w->visit(w->user, number, &p);
    json_decref(profile);
    return status;
}

cvo_status klaviyo_withdrawn_each(klaviyo_files *f, const cvo_id_key *key, withdrawn_visit visit,
                                  void *user)
{
    if (access(f->withdrawn_path, F_OK) != 0)
        return CVO_OK; /* written by analyze since the consent rule; older runs have none */
    withdrawn_walk w = {f, key, visit, user};
    return session_lines(f->ctx, "klaviyo", f->withdrawn_path, withdrawn_line, &w);
}

cvo_status klaviyo_files_plan(klaviyo_files *f, cvo_ctx *ctx, const char *dir)
{
    memset(f, 0, sizeof *f);
    f->ctx = ctx;
    int n = snprintf(f->bulk_dir, sizeof f->bulk_dir, "%s/klaviyo/profile-bulk-import", dir);
    int m = snprintf(f->events_path, sizeof f->events_path, "%s/klaviyo/events.jsonl", dir);
    int w = snprintf(f->withdrawn_path, sizeof f->withdrawn_path, "%s/klaviyo/withdrawn.jsonl",
                     dir);
    if (n < 0 || m < 0 || w < 0 || (size_t)n >= sizeof f->bulk_dir ||
        (size_t)m >= sizeof f->events_path || (size_t)w >= sizeof f->withdrawn_path)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "klaviyo: %s: path too long", dir);
    CVO_TRY(list_bulk(f));
    for (size_t i = 0; i < f->bulk_count; i++)
        CVO_TRY(check_bulk(f, &f->bulk[i]));
    CVO_TRY(klaviyo_withdrawn_each(f, NULL, NULL, NULL));
    return klaviyo_events_each(f, count_event, f);
}

void klaviyo_files_free(klaviyo_files *f)
{
    mem_free(f->ctx, f->bulk);
    f->bulk = NULL;
    f->bulk_count = 0;
}
