/*
 * random.c - random reads over a large array.
 * usage: random [MIB [LOADS]]   (default 64 MiB, 1000000 loads)
 *
 * TLB behaviour: every load picks one of MIB x 256 pages uniformly, so
 * the hit rate is about entries / pages: 64 entries over 16384 pages is
 * ~0.4%.  Only a TLB covering the footprint (or 4 MiB pages) helps.
 */
#include "common.h"

int main(int argc, char **argv)
{
    size_t n = (size_t)arg(argc, argv, 1, 64) << 18; /* ints */
    long loads = arg(argc, argv, 2, 1000000);
    int *a = malloc(n * sizeof *a);
    if (!a)
        return 1;
    for (size_t i = 0; i < n; i += 1024)
        a[i] = (int)i;
    uint32_t x = 2463534242u;
    uint64_t sum = 0;
    for (long k = 0; k < loads; k++)
        sum += (unsigned)a[next_random(&x) % n];
    sink = sum;
    free(a);
    return 0;
}
