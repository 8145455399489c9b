/* fuzz_csv.c - libFuzzer target for the CSV record scanner. Besides not
 * crashing, it checks the scanner's contract: the records found do not depend
 * on how the input is cut into chunks. */
#include "io/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    uint64_t records, fields, bytes;
    uint64_t mix;
} digest;

static void add_record(digest *d, const csv_record *rec)
{
    d->records++;
    d->fields += rec->count;
    d->bytes += rec->raw_len;
    d->mix = d->mix * 1099511628211ull + rec->line * 31 + rec->count;
    for (uint32_t i = 0; i < rec->stored; i++)
        d->mix = d->mix * 1099511628211ull + rec->fields[i].len + rec->fields[i].needs_unescape;
}

/* Feeds the input growing by step bytes, the way the reader refills. */
static digest scan(const char *text, size_t size, char delimiter, size_t step)
{
    static csv_scanner scanner;
    csv_init(&scanner, delimiter, 1);
    digest d = {0, 0, 0, 0};
    size_t pos = 0, visible = step < size ? step : size;
    for (;;) {
        csv_record rec;
        csv_result r = csv_next(&scanner, text, visible, &pos, visible == size, &rec);
        if (r == CSV_RECORD) {
            add_record(&d, &rec);
            char *out = malloc(rec.raw_len + 1);
            for (uint32_t i = 0; out && i < rec.stored; i++)
                if (rec.fields[i].needs_unescape)
                    (void)csv_unescape(&rec.fields[i], out);
            free(out);
            continue;
        }
        if (r != CSV_NEED_MORE)
            break;
        visible = visible + step < size ? visible + step : size;
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char delimiters[] = {',', ';', '\t', ' '};
    char delimiter = delimiters[data[0] & 3];
    const char *text = (const char *)data + 1;
    size--;
    digest whole = scan(text, size, delimiter, size ? size : 1);
    digest bytewise = scan(text, size, delimiter, 1);
    if (memcmp(&whole, &bytewise, sizeof whole) != 0)
        abort();
    (void)csv_sniff_delimiter(text, size);
    return 0;
}
