/*
 * matrix.c - walk an N x N matrix of doubles row by row or column by
 * column.  usage: matrix row|col [N [PASSES]]   (default N = 1024: 8 MiB)
 *
 * TLB behaviour: a row of 1024 doubles is 8 KiB, two pages.  Row-major
 * order uses each page for 512 consecutive loads: ~99.8% hits.  Column
 * order touches a new page on every load (consecutive elements of a
 * column are 8 KiB apart), and comes back to a page only after N loads:
 * with fewer than N TLB entries nearly every load misses.
 */
#include <string.h>

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "row") && strcmp(argv[1], "col"))) {
        fprintf(stderr, "usage: matrix row|col [N [PASSES]]\n");
        return 2;
    }
    int by_column = argv[1][0] == 'c';
    size_t n = (size_t)arg(argc, argv, 2, 1024);
    long passes = arg(argc, argv, 3, 1);
    double *m = calloc(n * n, sizeof *m);
    if (!m)
        return 1;
    double sum = 0;
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                sum += by_column ? m[j * n + i] : m[i * n + j];
    sink = (uint64_t)sum;
    free(m);
    return 0;
}
