/* utf8.c - UTF-8 validation and repair after RFC 3629. Invariant: only the
 * shortest form of a scalar value in U+0000..U+10FFFF is valid, and repair
 * replaces each maximal ill-formed subpart with exactly one U+FFFD. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'}; /* U+FFFD */

/* Length of the leading run of ASCII bytes. Text fields are mostly ASCII, so
 * eight bytes are tested per step while no byte has its high bit set. */
static size_t ascii_run(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (len - i >= 8) {
        uint64_t chunk;
        memcpy(&chunk, p + i, 8);
        if (chunk & UINT64_C(0x8080808080808080))
            break;
        i += 8;
    }
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

/* How many continuation bytes a lead byte announces (0: not a lead byte),
 * and the range its first continuation byte must lie in. That narrower
 * range is what rules out overlongs (E0 80.., F0 80..), surrogates (ED A0..)
 * and values above U+10FFFF (F4 90..). */
static int lead_byte(unsigned char lead, unsigned char *low, unsigned char *high)
{
    *low = 0x80;
    *high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 1;
    if (lead >= 0xE0 && lead <= 0xEF) {
        *low = lead == 0xE0 ? 0xA0 : 0x80;
        *high = lead == 0xED ? 0x9F : 0xBF;
        return 2;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        *low = lead == 0xF0 ? 0x90 : 0x80;
        *high = lead == 0xF4 ? 0x8F : 0xBF;
        return 3;
    }
    return 0;
}

/* The non-ASCII sequence at p (avail >= 1): returns its length when it is
 * well formed, else sets *valid false and returns the length of its maximal
 * ill-formed subpart (at least 1), which is what one U+FFFD replaces. */
static size_t scan_sequence(const unsigned char *p, size_t avail, bool *valid)
{
    unsigned char low, high;
    size_t continuation = (size_t)lead_byte(p[0], &low, &high);
    *valid = false;
    if (continuation == 0 || avail < 2 || p[1] < low || p[1] > high)
        return 1;
    size_t i = 2;
    for (; i <= continuation; i++) {
        if (i >= avail || (p[i] & 0xC0) != 0x80)
            return i;
    }
    *valid = true;
    return i;
}

size_t utf8_valid_prefix(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        i += ascii_run(p + i, len - i);
        if (i == len)
            break;
        bool valid;
        size_t n = scan_sequence(p + i, len - i, &valid);
        if (!valid)
            return i;
        i += n;
    }
    return len;
}

size_t utf8_repair(const char *text, size_t len, char *out)
{
    size_t in = 0, written = 0;
    while (in < len) {
        size_t good = utf8_valid_prefix(text + in, len - in);
        memcpy(out + written, text + in, good);
        written += good;
        in += good;
        if (in == len)
            break;
        bool valid;
        in += scan_sequence((const unsigned char *)text + in, len - in, &valid);
        memcpy(out + written, replacement, sizeof replacement);
        written += sizeof replacement;
    }
    out[written] = '\0';
    return written;
}
