/* test_sort.c - the radix sort of doubles agrees with qsort on random data of
 * every sign and magnitude, with ties, zeros, infinities and tiny sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int ascending(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static void test_matches_qsort(void **state)
{
    (void)state;
    uint64_t seed = 42;
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(next(&seed) % 3000);
        double *v = malloc((n + 1) * sizeof *v), *w = malloc((n + 1) * sizeof *w);
        double *scratch = malloc((n + 1) * sizeof *scratch);
        for (size_t i = 0; i < n; i++) {
            double mantissa = (double)(next(&seed) % 2000001) - 1000000.0;
            double x = ldexp(mantissa, (int)(next(&seed) % 120) - 60);
            int kind = (int)(next(&seed) % 40);
            x = kind == 0 ? 0.0 : kind == 1 ? INFINITY : kind == 2 ? -INFINITY : kind < 8 ? 7.5 : x;
            v[i] = w[i] = x;
        }
        sort_doubles(v, n, scratch);
        qsort(w, n, sizeof *w, ascending);
        for (size_t i = 0; i < n; i++)
            assert_true(v[i] == w[i]);
        free(v);
        free(w);
        free(scratch);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_qsort)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
