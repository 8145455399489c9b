/* scheme.c - built-in segment schemes and user map files. A scheme is complete
 * by construction: every one of its levels^3 score cells holds exactly one
 * segment index below segment_count. The reasoning behind every built-in map is
 * in docs/segments.md; the maps below are the data that document describes. */
#include "scheme.h"

#include <errno.h>
#include <string.h>

/* ---- built-in maps ------------------------------------------------------- */

/* Maps are written at 5 levels (klaviyo: 3), one string per R score from 1 to
 * 5; inside a string one group per F score, one letter per M score. So the
 * letter at row R, group F, position M is the segment of code RFM. */

/* relationship (Reveal's 11 groups): S Soulmates, L Lovers, N New Passion,
 * F Flirting, P Potential Lovers, T Platonic Friends, D About to Dump You,
 * J Don Juan, X Ex-Lovers, A Apprentice, B Breakup. */
static const char *const relationship_names[] = {
    "Soulmates",        "Lovers",   "New Passion", "Flirting",   "Potential Lovers",
    "Platonic Friends", "About to Dump You",       "Don Juan",   "Ex-Lovers",
    "Apprentice",       "Breakup"};
static const char *const relationship_rows[5] = {
    /*           F=1   F=2   F=3   F=4   F=5 */
    /* R=1 */ "BBBJJ BBBXX BBXXX BBXXX BBXXX",
    /* R=2 */ "DDDFF DDDFF DDDDD DDDDD DDDDD",
    /* R=3 */ "TTTFF TTTFF TPPPP TPPPP TPPPP",
    /* R=4 */ "AATFF TTTFF TPPLL TPPLL TPPLL",
    /* R=5 */ "AATNN TTTNN TPPLL TPPLL TPPLS"};

/* classic (R package rfm's 11 rules, first match in a fixed order, uncovered
 * cells to the nearest rule; see docs/segments.md): C Champions, L Loyal
 * Customers, P Potential Loyalist, N New Customers, O Promising, A Need
 * Attention, S About To Sleep, K At Risk, T Can't Lose Them, H Hibernating,
 * D Lost. */
static const char *const classic_names[] = {
    "Champions",      "Loyal Customers", "Potential Loyalist", "New Customers",
    "Promising",      "Need Attention",  "About To Sleep",     "At Risk",
    "Can't Lose Them", "Hibernating",    "Lost"};
static const char *const classic_rows[5] = {
    /*           F=1   F=2   F=3   F=4   F=5 */
    /* R=1 */ "DHKKK HKKKK KKKKK KKKTT KKKTT",
    /* R=2 */ "SSAKK SAAKK AALLL KKLLL KKLLL",
    /* R=3 */ "OPPPL PPPLL PPLLL PLLLL LLLLL",
    /* R=4 */ "NPPPL PPPLL PPLLL PLLCC LLLCC",
    /* R=5 */ "NPPPL PPPLL PPLLL PLLCC LLLCC"};

/* klaviyo (1-3 scores only): C Champions, L Loyal, R Recent, N Needs
 * attention, K At risk, I Inactive. Loyal is exactly the published list. */
static const char *const klaviyo_names[] = {"Champions", "Loyal",   "Recent",
                                            "Needs attention", "At risk", "Inactive"};
static const char *const klaviyo_rows[3] = {
    /*           F=1 F=2 F=3 */
    /* R=1 */ "III KKK KKK",
    /* R=2 */ "NNN NNN NLL",
    /* R=3 */ "RRR LLC LCC"};

typedef struct builtin {
    const char *name;
    const char *letters; /* letter of segment i */
    const char *const *names;
    size_t segment_count;
    int map_levels; /* the level count the rows are written at */
    const char *const *rows;
} builtin;

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static const builtin builtins[] = {
    {"relationship", "SLNFPTDJXAB", relationship_names, COUNT_OF(relationship_names), 5,
     relationship_rows},
    {"classic", "CLPNOASKTHD", classic_names, COUNT_OF(classic_names), 5, classic_rows},
    {"klaviyo", "CLRNKI", klaviyo_names, COUNT_OF(klaviyo_names), 3, klaviyo_rows},
};

/* Fewer levels are read off the 5-level map: a score s of an L-level scale
 * stands for the 5-level score whose quantile band holds the middle of s's
 * band (1,2,4,5 at 4 levels; 1,3,5 at 3 levels). One exception: R at 3 levels
 * uses 1,2,5, so the middle third of recency reads the lapsing row R=2 -
 * otherwise About to Dump You would vanish at 3 levels. See docs/segments.md. */
static const int score_map4[4] = {1, 2, 4, 5};
static const int score_map3[3] = {1, 3, 5};
static const int score_map3_r[3] = {1, 2, 5};

static int map_score(int levels, int score, bool recency)
{
    if (levels == 4)
        return score_map4[score - 1];
    if (levels == 3)
        return recency ? score_map3_r[score - 1] : score_map3[score - 1];
    return score;
}

/* The letter of code (r, f, m) in rows written at map_levels levels. */
static char map_letter(const builtin *b, int r, int f, int m)
{
    size_t group = (size_t)(b->map_levels + 1); /* letters plus the blank */
    return b->rows[r - 1][(size_t)(f - 1) * group + (size_t)(m - 1)];
}

static bool fill_builtin(cvo_scheme *scheme, const builtin *b)
{
    int levels = scheme->levels;
    bool derive = b->map_levels != levels;
    for (int r = 1; r <= levels; r++)
        for (int f = 1; f <= levels; f++)
            for (int m = 1; m <= levels; m++) {
                int r5 = derive ? map_score(levels, r, true) : r;
                int f5 = derive ? map_score(levels, f, false) : f;
                int m5 = derive ? map_score(levels, m, false) : m;
                const char *hit = strchr(b->letters, map_letter(b, r5, f5, m5));
                if (hit == NULL || *hit == '\0')
                    return false;
                scheme->cells[scheme_cell(levels, r, f, m)] = (uint8_t)(hit - b->letters);
            }
    return true;
}

static cvo_scheme *scheme_alloc(cvo_ctx *ctx, int levels)
{
    cvo_scheme *scheme = mem_alloc(ctx, sizeof *scheme);
    if (scheme == NULL)
        return NULL;
    memset(scheme, 0, sizeof *scheme);
    scheme->ctx = ctx;
    scheme->levels = levels;
    arena_init(&scheme->strings, ctx);
    return scheme;
}

static bool levels_supported(int levels)
{
    return levels >= CVO_MIN_LEVELS && levels <= CVO_MAX_LEVELS;
}

static const builtin *find_builtin(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(builtins); i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

cvo_status cvo_scheme_builtin(cvo_ctx *ctx, const char *name, int levels, cvo_scheme **out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    const builtin *b = find_builtin(name ? name : "relationship");
    if (b == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "unknown scheme '%s' (expected relationship, classic or klaviyo)", name);
    if (!levels_supported(levels))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "levels must be 3, 4 or 5, not %d", levels);
    if (b->map_levels < CVO_MAX_LEVELS && levels != b->map_levels)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "scheme '%s' needs %d levels, not %d", b->name,
                        b->map_levels, levels);
    cvo_scheme *scheme = scheme_alloc(ctx, levels);
    if (scheme == NULL)
        return ctx_nomem(ctx);
    scheme->segment_count = b->segment_count;
    for (size_t i = 0; i < b->segment_count; i++)
        scheme->names[i] = b->names[i];
    if (!fill_builtin(scheme, b)) {
        cvo_scheme_free(scheme);
        return ctx_fail(ctx, CVO_ERR_INTERNAL, "built-in scheme '%s' is malformed", b->name);
    }
    *out = scheme;
    return CVO_OK;
}

/* ---- config lines ---------------------------------------------------------- */

static cvo_status read_whole(cvo_ctx *ctx, const char *path, FILE *file, scheme_lines *lines)
{
    size_t cap = (size_t)CVO_MAX_CONFIG_BYTES + 1; /* one more byte tells "too big" */
    lines->text = mem_alloc(ctx, cap + 1);
    if (lines->text == NULL)
        return ctx_nomem(ctx);
    lines->len = fread(lines->text, 1, cap, file);
    if (ferror(file))
        return ctx_fail(ctx, CVO_ERR_IO, "%s: read error", path);
    if (lines->len == cap)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "%s: larger than %u bytes", path,
                        (unsigned)CVO_MAX_CONFIG_BYTES);
    lines->text[lines->len] = '\0';
    return CVO_OK;
}

static unsigned long line_of(const char *text, size_t offset)
{
    unsigned long line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

cvo_status scheme_lines_open(cvo_ctx *ctx, const char *path, scheme_lines *lines)
{
    memset(lines, 0, sizeof *lines);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return ctx_fail(ctx, CVO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    cvo_status status = read_whole(ctx, path, file, lines);
    fclose(file);
    if (status == CVO_OK) {
        const char *nul = memchr(lines->text, '\0', lines->len);
        if (nul != NULL)
            status = ctx_fail(ctx, CVO_ERR_CONFIG, "%s:%lu: NUL byte", path,
                              line_of(lines->text, (size_t)(nul - lines->text)));
    }
    if (status != CVO_OK) {
        scheme_lines_close(ctx, lines);
        return status;
    }
    if (lines->len >= 3 && memcmp(lines->text, "\xEF\xBB\xBF", 3) == 0)
        lines->next = 3;
    return CVO_OK;
}

void scheme_trim(const char **text, size_t *len)
{
    while (*len > 0 && (**text == ' ' || **text == '\t')) {
        (*text)++;
        (*len)--;
    }
    while (*len > 0 && ((*text)[*len - 1] == ' ' || (*text)[*len - 1] == '\t'))
        (*len)--;
}

bool scheme_lines_next(scheme_lines *lines, const char **text, size_t *len)
{
    while (lines->next < lines->len) {
        const char *start = lines->text + lines->next;
        const char *end = memchr(start, '\n', lines->len - lines->next);
        size_t n = end ? (size_t)(end - start) : lines->len - lines->next;
        lines->next += n + (end != NULL);
        lines->line++;
        const char *hash = memchr(start, '#', n);
        if (hash != NULL)
            n = (size_t)(hash - start);
        if (n > 0 && start[n - 1] == '\r')
            n--;
        scheme_trim(&start, &n);
        if (n > 0) {
            *text = start;
            *len = n;
            return true;
        }
    }
    return false;
}

void scheme_lines_close(cvo_ctx *ctx, scheme_lines *lines)
{
    mem_free(ctx, lines->text);
    memset(lines, 0, sizeof *lines);
}

/* ---- user maps ------------------------------------------------------------- */

/* Parsing state of one user map file. first_line[cell] is the line that mapped
 * the cell, 0 while it is unmapped. */
typedef struct map_parse {
    cvo_ctx *ctx;
    const char *path;
    cvo_scheme *scheme;
    unsigned long first_line[SCHEME_MAX_CELLS];
} map_parse;

static cvo_status parse_code(map_parse *p, unsigned long line, const char *text, size_t len,
                             size_t *cell)
{
    int levels = p->scheme->levels;
    int score[3];
    if (len != 3)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                        "%s:%lu: bad code '%.*s' (expected three digits R, F, M)", p->path, line,
                        (int)len, text);
    for (int i = 0; i < 3; i++) {
        if (text[i] < '0' || text[i] > '9')
            return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                            "%s:%lu: bad code '%.3s' (expected three digits R, F, M)", p->path,
                            line, text);
        score[i] = text[i] - '0';
        if (score[i] < 1 || score[i] > levels)
            return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                            "%s:%lu: score %d in code '%.3s' is out of range 1..%d", p->path, line,
                            score[i], text, levels);
    }
    *cell = scheme_cell(levels, score[0], score[1], score[2]);
    return CVO_OK;
}

/* The index of segment name, added in order of first appearance. */
static cvo_status find_segment(map_parse *p, unsigned long line, const char *name, size_t len,
                               size_t *segment)
{
    cvo_scheme *scheme = p->scheme;
    for (size_t i = 0; i < scheme->segment_count; i++)
        if (strlen(scheme->names[i]) == len && memcmp(scheme->names[i], name, len) == 0) {
            *segment = i;
            return CVO_OK;
        }
    if (scheme->segment_count == CVO_MAX_SEGMENTS)
        return ctx_fail(p->ctx, CVO_ERR_LIMIT, "%s:%lu: more than %d segments", p->path, line,
                        CVO_MAX_SEGMENTS);
    char *copy = arena_strndup(&scheme->strings, name, len);
    if (copy == NULL)
        return ctx_nomem(p->ctx);
    *segment = scheme->segment_count;
    scheme->names[scheme->segment_count++] = copy;
    return CVO_OK;
}

static cvo_status parse_map_line(map_parse *p, unsigned long line, const char *text, size_t len)
{
    const char *comma = memchr(text, ',', len);
    if (comma == NULL)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: expected 'code,segment name'", p->path,
                        line);
    const char *code = text;
    size_t code_len = (size_t)(comma - text);
    const char *name = comma + 1;
    size_t name_len = len - code_len - 1;
    scheme_trim(&code, &code_len);
    scheme_trim(&name, &name_len);
    size_t cell = 0, segment = 0;
    CVO_TRY(parse_code(p, line, code, code_len, &cell));
    if (name_len == 0)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: empty segment name", p->path, line);
    if (p->first_line[cell] != 0)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: cell %.3s is already mapped on line %lu",
                        p->path, line, code, p->first_line[cell]);
    CVO_TRY(find_segment(p, line, name, name_len, &segment));
    p->first_line[cell] = line;
    p->scheme->cells[cell] = (uint8_t)segment;
    return CVO_OK;
}

/* Missing cells are reported all at once (the first few of them), since a
 * user fixing a map wants the whole list, not one error per run. */
enum { MISSING_LISTED = 12 };

static cvo_status check_complete(map_parse *p)
{
    int levels = p->scheme->levels;
    char list[MISSING_LISTED * 5 + 1] = "";
    size_t used = 0, missing = 0;
    for (int r = 1; r <= levels; r++)
        for (int f = 1; f <= levels; f++)
            for (int m = 1; m <= levels; m++) {
                if (p->first_line[scheme_cell(levels, r, f, m)] != 0)
                    continue;
                if (missing++ < MISSING_LISTED)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s%d%d%d",
                                             used ? ", " : "", r, f, m);
            }
    if (missing == 0)
        return CVO_OK;
    return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s: %zu of %d cells not mapped: %s%s", p->path,
                    missing, levels * levels * levels, list,
                    missing > MISSING_LISTED ? ", ..." : "");
}

static cvo_status parse_map(map_parse *p, scheme_lines *lines)
{
    const char *text;
    size_t len;
    while (scheme_lines_next(lines, &text, &len))
        CVO_TRY(parse_map_line(p, lines->line, text, len));
    return check_complete(p);
}

cvo_status cvo_scheme_load(cvo_ctx *ctx, const char *path, int levels, cvo_scheme **out)
{
    if (ctx == NULL || out == NULL || path == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no segment map path");
    *out = NULL;
    if (!levels_supported(levels))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "levels must be 3, 4 or 5, not %d", levels);
    map_parse *p = mem_alloc(ctx, sizeof *p);
    cvo_scheme *scheme = scheme_alloc(ctx, levels);
    if (p == NULL || scheme == NULL) {
        mem_free(ctx, p);
        cvo_scheme_free(scheme);
        return ctx_nomem(ctx);
    }
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->path = path;
    p->scheme = scheme;
    scheme_lines lines;
    cvo_status status = scheme_lines_open(ctx, path, &lines);
    if (status == CVO_OK) {
        status = parse_map(p, &lines);
        scheme_lines_close(ctx, &lines);
    }
    mem_free(ctx, p);
    if (status != CVO_OK) {
        cvo_scheme_free(scheme);
        return status;
    }
    *out = scheme;
    return CVO_OK;
}

/* ---- accessors -------------------------------------------------------------- */

int cvo_scheme_levels(const cvo_scheme *scheme)
{
    return scheme ? scheme->levels : 0;
}

size_t cvo_scheme_segment_count(const cvo_scheme *scheme)
{
    return scheme ? scheme->segment_count : 0;
}

const char *cvo_scheme_segment_name(const cvo_scheme *scheme, size_t segment)
{
    if (scheme == NULL || segment >= scheme->segment_count)
        return NULL;
    return scheme->names[segment];
}

/* SIZE_MAX for a score outside 1..levels. */
size_t cvo_scheme_lookup(const cvo_scheme *scheme, int r, int f, int m)
{
    if (scheme == NULL)
        return SIZE_MAX;
    int levels = scheme->levels;
    if (r < 1 || r > levels || f < 1 || f > levels || m < 1 || m > levels)
        return SIZE_MAX;
    return scheme->cells[scheme_cell(levels, r, f, m)];
}

void cvo_scheme_free(cvo_scheme *scheme)
{
    if (scheme == NULL)
        return;
    arena_release(&scheme->strings);
    mem_free(scheme->ctx, scheme);
}
