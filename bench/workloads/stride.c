/*
 * stride.c - strided scan: read one int every STRIDE bytes of an array,
 * PASSES times.  usage: stride [MIB [STRIDE [PASSES]]]
 * (default 64 MiB, stride 4096, 4 passes)
 *
 * TLB behaviour: with a stride of a page or more every load is on a new
 * page; once the array has more pages than the TLB has entries, LRU
 * misses on every load (the pages come back in the same order, just
 * after being evicted) -- the classic worst case.
 */
#include "common.h"

int main(int argc, char **argv)
{
    size_t bytes = (size_t)arg(argc, argv, 1, 64) << 20;
    size_t stride = (size_t)arg(argc, argv, 2, 4096);
    long passes = arg(argc, argv, 3, 4);
    char *a = malloc(bytes);
    if (!a)
        return 1;
    for (size_t i = 0; i < bytes; i += 4096)
        a[i] = (char)i;
    uint64_t sum = 0;
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < bytes; i += stride)
            sum += (unsigned char)a[i];
    sink = sum;
    free(a);
    return 0;
}
