/* nps_words.c - the words of NPS comments: UTF-8 aware words and two-word
 * phrases without stop words, counted per class and per segment, and the most
 * frequent ones of each. */
#include "analysis/nps.h"

#include "base/arena.h"
#include "base/ctx.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of one word of a comment (longer ones are cut). */
#define NPS_WORD_BYTES 256

/* ---- words --------------------------------------------------------------------------- */

/* Sorted for bsearch. */
static const char *const stop_words[] = {
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did",
    "didn't", "do", "does", "doesn't", "don't", "each", "even", "every", "for", "from", "get",
    "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "i'd", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "just",
    "me", "more", "most", "my", "no", "nor", "not", "now", "of", "on", "once", "one", "only",
    "or", "other", "our", "ours", "out", "over", "own", "really", "same", "she", "so", "some",
    "such", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "up", "us", "very", "was", "wasn't", "we", "were",
    "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "you",
    "your",
};

static int compare_text(const void *key, const void *item)
{
    return strcmp((const char *)key, *(const char *const *)item);
}

static bool is_stop_word(const char *word)
{
    return bsearch(word, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                   compare_text) != NULL;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0. */
static size_t utf8_length(const unsigned char *p, size_t avail, uint32_t *code)
{
    size_t n = p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || n > avail)
        return 0;
    uint32_t c = p[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    *code = c;
    return n;
}

/* Non-ASCII code points that separate words: Latin-1 punctuation and signs,
 * general punctuation (dashes, quotes, spaces) and CJK punctuation. */
static bool is_separator(uint32_t code)
{
    return (code >= 0x80 && code <= 0xbf) || code == 0xd7 || code == 0xf7 ||
           (code >= 0x2000 && code <= 0x206f) || (code >= 0x3000 && code <= 0x303f) ||
           code == 0xfeff;
}

typedef struct word_buf {
    char text[NPS_WORD_BYTES];
    size_t len;
    bool apostrophe; /* an apostrophe waits: kept only when a letter follows */
} word_buf;

static void word_put(word_buf *w, const char *bytes, size_t n)
{
    if (w->apostrophe && w->len > 0 && w->len + 1 < sizeof w->text)
        w->text[w->len++] = '\'';
    w->apostrophe = false;
    if (w->len + n < sizeof w->text) {
        memcpy(w->text + w->len, bytes, n);
        w->len += n;
    }
}

/* Reads one character at text[*i] into w; false when it ends a word. */
static bool word_step(word_buf *w, const char *text, size_t len, size_t *i)
{
    unsigned char ch = (unsigned char)text[*i];
    if (ch < 0x80) {
        (*i)++;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            char lower = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            word_put(w, &lower, 1);
            return true;
        }
        w->apostrophe = ch == '\'' && w->len > 0 && !w->apostrophe;
        return ch == '\'' && w->apostrophe;
    }
    uint32_t code = 0;
    size_t n = utf8_length((const unsigned char *)text + *i, len - *i, &code);
    if (n == 0) {
        (*i)++;
        return false;
    }
    *i += n;
    if (code == 0x2019) { /* right single quotation mark: an apostrophe */
        w->apostrophe = w->len > 0 && !w->apostrophe;
        return w->apostrophe;
    }
    if (is_separator(code))
        return false;
    char bytes[4];
    memcpy(bytes, text + *i - n, n);
    if (n == 2 && code >= 0xc0 && code <= 0xde) /* Latin-1 capitals */
        bytes[1] = (char)(bytes[1] + 0x20);
    word_put(w, bytes, n);
    return true;
}

/* The next word of text from *i into w (lower case); false at the end. */
static bool next_word(const char *text, size_t len, size_t *i, word_buf *w)
{
    w->len = 0;
    w->apostrophe = false;
    while (*i < len) {
        if (!word_step(w, text, len, i) && w->len > 0)
            break;
    }
    w->text[w->len] = '\0';
    return w->len > 0;
}

/* Counts a term for the class, and for the segment (segment_byte 0: none). */
static cvo_status count_term(nps_load *ld, tally *all, tally *by_segment, const char *text,
                             size_t len, cvo_nps_class cls, unsigned char segment_byte)
{
    arena *strings = &ld->nps->strings;
    CVO_TRY(nps_tally_add(ld->ctx, strings, all, text, len, cls));
    if (segment_byte == 0)
        return CVO_OK;
    char keyed[2 * NPS_WORD_BYTES + 2];
    keyed[0] = (char)segment_byte;
    memcpy(keyed + 1, text, len);
    return nps_tally_add(ld->ctx, strings, by_segment, keyed, len + 1, cls);
}

cvo_status nps_count_comment(nps_load *ld, const char *text, size_t len, cvo_nps_class cls,
                             unsigned char segment_byte)
{
    word_buf word, previous = {{0}, 0, false};
    size_t i = 0;
    while (next_word(text, len, &i, &word)) {
        bool stop = is_stop_word(word.text);
        if (!stop)
            CVO_TRY(count_term(ld, &ld->words, &ld->segment_words, word.text, word.len, cls,
                               segment_byte));
        if (!stop && previous.len > 0) {
            char phrase[2 * sizeof word.text];
            memcpy(phrase, previous.text, previous.len);
            phrase[previous.len] = ' ';
            memcpy(phrase + previous.len + 1, word.text, word.len);
            CVO_TRY(count_term(ld, &ld->phrases, &ld->segment_phrases, phrase,
                               previous.len + 1 + word.len, cls, segment_byte));
        }
        previous.len = stop ? 0 : word.len;
        if (!stop)
            memcpy(previous.text, word.text, word.len + 1);
    }
    return CVO_OK;
}

/* ---- top terms ------------------------------------------------------------------ */

/* Whether entry e ranks before the term t for class c (count, then text). */
static bool ranks_before(const tally_entry *e, int c, const cvo_nps_term *t)
{
    return e->counts[c] > t->count || (e->counts[c] == t->count && strcmp(e->text, t->text) < 0);
}

static void top_terms(const tally *t, int c, cvo_nps_term *top, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const tally_entry *e = &t->slots[i];
        if (e->text == NULL || e->counts[c] == 0)
            continue;
        size_t at = *count;
        while (at > 0 && ranks_before(e, c, &top[at - 1]))
            at--;
        if (at >= CVO_NPS_TOP_TERMS)
            continue;
        size_t last = *count < CVO_NPS_TOP_TERMS ? (*count)++ : CVO_NPS_TOP_TERMS - 1;
        memmove(&top[at + 1], &top[at], (last - at) * sizeof *top);
        top[at] = (cvo_nps_term){e->text, e->counts[c]};
    }
}

/* Top terms of one segment: entries whose key starts with its byte, ranked
 * by their count over all classes. */
static void top_segment_terms(const tally *t, unsigned char key, cvo_nps_term *top, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const tally_entry *e = &t->slots[i];
        if (e->text == NULL || (unsigned char)e->text[0] != key)
            continue;
        cvo_nps_term term = {e->text + 1, e->counts[0] + e->counts[1] + e->counts[2]};
        size_t at = *count;
        while (at > 0 && (term.count > top[at - 1].count ||
                          (term.count == top[at - 1].count && strcmp(term.text, top[at - 1].text) < 0)))
            at--;
        if (at >= CVO_NPS_TOP_TERMS)
            continue;
        size_t last = *count < CVO_NPS_TOP_TERMS ? (*count)++ : CVO_NPS_TOP_TERMS - 1;
        memmove(&top[at + 1], &top[at], (last - at) * sizeof *top);
        top[at] = term;
    }
}

static cvo_status segment_terms(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    if (ld->counts_segment == NULL)
        return CVO_OK;
    size_t rows = ld->segments + 1;
    nps->segment_terms = mem_zarray(ld->ctx, rows, sizeof *nps->segment_terms);
    nps->segment_term_count = mem_zarray(ld->ctx, rows, sizeof *nps->segment_term_count);
    if (nps->segment_terms == NULL || nps->segment_term_count == NULL)
        return ctx_nomem(ld->ctx);
    nps->segment_term_rows = rows;
    for (size_t s = 0; s < rows; s++) {
        top_segment_terms(&ld->segment_words, (unsigned char)(s + 1), nps->segment_terms[s][0],
                          &nps->segment_term_count[s][0]);
        top_segment_terms(&ld->segment_phrases, (unsigned char)(s + 1), nps->segment_terms[s][1],
                          &nps->segment_term_count[s][1]);
    }
    return CVO_OK;
}

/* The top words and phrases of each class, and of each segment. */
cvo_status nps_rank_terms(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    for (int c = 0; c < CVO_NPS_CLASS__COUNT; c++) {
        top_terms(&ld->words, c, nps->terms[c][0], &nps->term_count[c][0]);
        top_terms(&ld->phrases, c, nps->terms[c][1], &nps->term_count[c][1]);
    }
    return segment_terms(ld);
}
