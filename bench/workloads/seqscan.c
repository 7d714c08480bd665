/*
 * seqscan.c - sequential scan: sum an array from start to end, PASSES
 * times.  usage: seqscan [MIB [PASSES]]   (default 16 MiB, 2 passes)
 *
 * TLB behaviour: one miss per page per pass, then 1023 hits on the same
 * page (4-byte loads): the data TLB hit rate is ~99.9% whatever the TLB
 * size, because the reuse is all within a page.
 */
#include "common.h"

int main(int argc, char **argv)
{
    size_t n = (size_t)arg(argc, argv, 1, 16) << 18; /* ints */
    long passes = arg(argc, argv, 2, 2);
    int *a = calloc(n, sizeof *a);
    if (!a)
        return 1;
    uint64_t sum = 0;
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++)
            sum += (uint64_t)a[i] + i;
    sink = sum;
    free(a);
    return 0;
}
