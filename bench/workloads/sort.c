/*
 * sort.c - merge sort of N random ints (top-down, with a scratch array).
 * usage: sort [N]   (default 1000000 ints: 4 MiB, and 4 MiB of scratch)
 *
 * TLB behaviour: each merge pass streams through two runs and the output
 * sequentially, so accesses come in a few interleaved sequential
 * streams: the hit rate stays high (~99.5%) even though the footprint is
 * 8 MiB, as long as the TLB holds the handful of pages being streamed.
 */
#include <string.h>

#include "common.h"

static void merge_sort(int *a, int *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)arg(argc, argv, 1, 1000000);
    int *a = malloc(n * sizeof *a), *tmp = malloc(n * sizeof *tmp);
    if (!a || !tmp)
        return 1;
    uint32_t x = 42u;
    for (size_t i = 0; i < n; i++)
        a[i] = (int)(next_random(&x) >> 1);
    merge_sort(a, tmp, n);
    for (size_t i = 1; i < n; i++)
        if (a[i - 1] > a[i])
            return 1;
    sink = (uint64_t)a[n / 2];
    free(a);
    free(tmp);
    return 0;
}
