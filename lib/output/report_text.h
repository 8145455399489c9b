/* report_text.h - the report's text helpers shared by its sections: counts
 * with thousands separators, amounts, and e-mail addresses as the report
 * shows them (masked unless [report] show_emails is true). */
#ifndef CVO_REPORT_TEXT_H
#define CVO_REPORT_TEXT_H

#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Digits of v grouped by thousands: 1,234,567. */
void report_count(char *buf, size_t size, uint64_t v);
/* An amount from cents with grouped digits and 0 or 2 decimals, no currency. */
void report_amount(char *buf, size_t size, int64_t cents, int decimals);
/* "1 customer" or "1,234 customers": the count and the noun, singular for 1
 * (plural is the noun with an s). */
void report_count_of(char *buf, size_t size, uint64_t v, const char *noun);
/* Whether the report shows e-mail addresses in full ([report] show_emails). */
bool report_show_emails(const cvo_analysis *a);
/* email as shown: in full when show, else masked, keeping the first character
 * of the local part and the domain: "jane@example.com" -> "j***@example.com"
 * (no '@': the first character and "***"). "" stays "". */
void report_email(char *buf, size_t size, const char *email, bool show);

#endif
