/* fuzz_tz.c - libFuzzer target for the TZif reader (lib/io/tz). Besides not
 * crashing or reading past the input, it checks the contract: a zone that loads
 * answers every instant, the far past and future included, with an offset that
 * fits "+HHMM" (under 26 hours either way). */
#include "io/tz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_offset(const tz_zone *zone, int64_t t)
{
    int32_t offset = tz_offset(zone, t);
    if (offset <= -26 * 3600 || offset >= 26 * 3600)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        abort();
    tz_zone *zone = NULL;
    cvo_status status = tz_parse(ctx, data, size, "fuzz", &zone);
    if ((status == CVO_OK) != (zone != NULL) || (status != CVO_OK && cvo_ctx_message(ctx)[0] == 0))
        abort();
    if (zone != NULL) {
        static const int64_t instants[] = {INT64_MIN,  -2208988800LL, -1,           0,        1,
                                           1700000000, 2147483647,    4102444800LL, INT64_MAX};
        for (size_t i = 0; i < sizeof instants / sizeof *instants; i++)
            check_offset(zone, instants[i]);
        for (int64_t t = 0; t < 100LL * 365 * 86400; t += 7LL * 86400 + 3607)
            check_offset(zone, t);
    }
    tz_free(ctx, zone);
    cvo_ctx_free(ctx);
    return 0;
}
