/* sort.h - linear-time sorting of doubles (LSD radix on the IEEE-754 bits),
 * for the quantiles of millions of customers where qsort's comparisons would
 * dominate. NaNs are not allowed (callers keep finite values only). */
#ifndef CVO_SORT_H
#define CVO_SORT_H

#include <stddef.h>

/* Sorts v[0..n) ascending; scratch must hold n doubles. */
void sort_doubles(double *v, size_t n, double *scratch);

#endif
