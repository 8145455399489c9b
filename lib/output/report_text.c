/* report_text.c - counts, amounts and masked e-mail addresses for the
 * report's sections. A masked address never shows more than the first
 * character (a whole UTF-8 sequence) of the local part. */
#include "output/report_text.h"

#include <stdio.h>
#include <string.h>

void report_count(char *buf, size_t size, uint64_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n && k + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0 && k + 2 < size)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    if (size > 0)
        buf[k < size ? k : size - 1] = '\0';
}

void report_amount(char *buf, size_t size, int64_t cents, int decimals)
{
    char whole[28]; /* 20 digits and 6 commas at most */
    uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    uint64_t units = decimals ? mag / 100 : (mag + 50) / 100;
    report_count(whole, sizeof whole, units);
    if (decimals)
        snprintf(buf, size, "%s%s.%02u", cents < 0 ? "-" : "", whole, (unsigned)(mag % 100));
    else
        snprintf(buf, size, "%s%s", cents < 0 && units ? "-" : "", whole);
}

void report_count_of(char *buf, size_t size, uint64_t v, const char *noun)
{
    char count[32];
    report_count(count, sizeof count, v);
    snprintf(buf, size, "%s %s%s", count, noun, v == 1 ? "" : "s");
}

bool report_show_emails(const cvo_analysis *a)
{
    return cvo_config_number(cvo_analysis_config(a), "report", "show_emails") > 0;
}

/* Bytes of the UTF-8 sequence text starts with (1 for a stray byte). */
static size_t first_char_bytes(const char *text)
{
    size_t n = 1;
    while (text[n] != '\0' && ((unsigned char)text[n] & 0xC0) == 0x80 && n < 4)
        n++;
    return n;
}

void report_email(char *buf, size_t size, const char *email, bool show)
{
    if (email == NULL || email[0] == '\0' || show) {
        snprintf(buf, size, "%s", email ? email : "");
        return;
    }
    const char *at = strrchr(email, '@');
    size_t first = at == email ? 0 : first_char_bytes(email);
    snprintf(buf, size, "%.*s***%s", (int)first, email, at ? at : "");
}
