/*
 * common.h - what every workload shares: reading its size arguments and
 * a deterministic pseudo-random generator, so that a trace is the same
 * on every run.  The workloads are deliberately plain C with no library
 * calls in their loops, so the trace shows the access pattern itself.
 */
#ifndef WORKLOAD_COMMON_H
#define WORKLOAD_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* argv[i] as a positive number, or `fallback` when absent. */
static inline long arg(int argc, char **argv, int i, long fallback)
{
    if (argc <= i)
        return fallback;
    long v = strtol(argv[i], NULL, 0);
    if (v <= 0) {
        fprintf(stderr, "%s: argument %d must be a positive number\n", argv[0], i);
        exit(2);
    }
    return v;
}

/* xorshift32: a small, fast, reproducible generator. */
static inline uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Keep a result alive so the compiler cannot drop the loop. */
static volatile uint64_t sink;

#endif
