/*
 * bench_paging.c - how fast `vmsim paging` simulates: references per
 * second for each (policy, F), and for the one-pass lru and opt curves
 * (every F at once).
 *
 *     bench_paging [--quick] [--csv] [TRACE ...]
 *
 * Without TRACE it makes three reference strings in memory (synth.h,
 * the generators of `vmsim trace synth`), each an instruction fetch and a
 * data access per step, a quarter of the data accesses writes:
 *
 *     loop      a sequential sweep over 1 MiB (256 pages), again and again
 *     zipf      Zipf(0.99) over 64 MiB (16384 pages): a hot set and a tail
 *     uniform   uniformly random over 2 MiB (512 pages): the worst case
 *
 * Every figure is the best of several runs (the machine is shared), in
 * millions of references per second; decoding the trace is not counted.
 * The direct simulations are paging_simulate(); the curves are
 * paging_lru_curve() and paging_opt_curve() over F = 2 .. 1024 (or the
 * pages there are), opt's curve including the direct simulation of any F
 * where pinning mattered (none here: no access crosses a page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "paging.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct bench {
    int runs;
    bool csv;
};

static void report(const struct bench *b, const char *name, const char *what, uint32_t frames,
                   uint64_t refs, double secs, const struct paging_result *r)
{
    double mps = (double)refs / secs / 1e6;
    if (b->csv)
        printf("%s,%s,%u,%llu,%.4f,%.1f\n", name, what, frames, (unsigned long long)refs,
               r ? 100.0 * (double)r->faults / (double)refs : 0.0, mps);
    else if (frames)
        printf("  %-8s F=%-5u %8.1f M refs/s   (fault rate %7.3f%%)\n", what, frames, mps,
               100.0 * (double)r->faults / (double)refs);
    else
        printf("  %-8s every F %8.1f M refs/s\n", what, mps);
}

static void bench_policy(const struct bench *b, const char *name, const struct paging_refs *r,
                         enum paging_kind kind, uint32_t frames)
{
    struct paging_policy p = paging_policy_default(kind);
    struct paging_result res;
    double best = 1e30;
    for (int i = 0; i < b->runs; i++) {
        double t0 = now();
        if (paging_simulate(r, &p, frames, &res)) {
            fprintf(stderr, "bench_paging: simulation failed\n");
            exit(1);
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    report(b, name, paging_kind_name(kind), frames, r->n, best, &res);
}

static void bench_curve(const struct bench *b, const char *name, const struct paging_refs *r,
                        enum paging_kind kind)
{
    static uint32_t frames[1024];
    static struct paging_result out[1024];
    static bool exact[1024];
    size_t n = 0, n_direct = 0;
    for (uint32_t f = 2; f <= 1024 && f <= r->n_pages + 1; f++)
        frames[n++] = f;
    double best = 1e30, best_pass = 1e30;
    for (int i = 0; i < b->runs; i++) {
        double t0 = now();
        int rc = kind == PAGING_LRU ? paging_lru_curve(r, frames, n, out)
                                    : paging_opt_curve(r, frames, n, out, exact);
        double t1 = now();
        n_direct = 0;
        for (size_t j = 0; kind == PAGING_OPT && !rc && j < n; j++) {
            struct paging_policy p = paging_policy_default(PAGING_OPT);
            if (!exact[j]) {
                rc = paging_simulate(r, &p, frames[j], &out[j]);
                n_direct++;
            }
        }
        if (rc) {
            fprintf(stderr, "bench_paging: curve failed\n");
            exit(1);
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
        best_pass = t1 - t0 < best_pass ? t1 - t0 : best_pass;
    }
    report(b, name, kind == PAGING_LRU ? "lru-all" : "opt-all", 0, r->n, best, NULL);
    if (kind == PAGING_OPT && !b->csv)
        printf("           (the pass alone %.1f M refs/s; %zu of F = 2..%u simulated directly, "
               "where pinning mattered)\n",
               (double)r->n / best_pass / 1e6, n_direct, frames[n - 1]);
}

static void bench_string(const struct bench *b, const char *name, struct paging_refs *r)
{
    static const enum paging_kind kinds[] = {PAGING_FIFO,   PAGING_LRU,    PAGING_CLOCK,
                                             PAGING_RANDOM, PAGING_ECLOCK, PAGING_AGING,
                                             PAGING_OPT};
    static const uint32_t frames[] = {16, 64, 256};
    if (paging_refs_next(r)) {
        fprintf(stderr, "bench_paging: out of memory\n");
        exit(1);
    }
    if (!b->csv)
        printf("%s: %llu references, %u pages\n", name, (unsigned long long)r->n, r->n_pages);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t f = 0; f < sizeof frames / sizeof frames[0]; f++)
            if (frames[f] >= r->widest && frames[f] >= 2)
                bench_policy(b, name, r, kinds[k], frames[f]);
    bench_curve(b, name, r, PAGING_LRU);
    bench_curve(b, name, r, PAGING_OPT);
}

static void synthetic(const struct bench *b, const char *name, enum synth_pattern pattern,
                      uint64_t footprint, uint64_t accesses)
{
    struct synth_options o;
    struct paging_refs r;
    char err[200];
    synth_options_default(&o);
    o.pattern = pattern;
    o.footprint = footprint;
    o.accesses = accesses;
    o.writes = 0.25;
    if (paging_decode_synth(&o, 12, &r, err, sizeof err)) {
        fprintf(stderr, "bench_paging: %s\n", err);
        exit(1);
    }
    bench_string(b, name, &r);
    paging_refs_free(&r);
}

int main(int argc, char **argv)
{
    struct bench b = {5, false};
    uint64_t accesses = 10000000;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--quick")) {
            b.runs = 1;
            accesses = 1000000;
        } else if (!strcmp(argv[first], "--csv")) {
            b.csv = true;
        } else {
            fprintf(stderr, "usage: bench_paging [--quick] [--csv] [TRACE ...]\n");
            return 2;
        }
    }
    if (b.csv)
        printf("workload,policy,frames,references,fault_rate_percent,mrefs_per_s\n");
    for (int i = first; i < argc; i++) {
        struct paging_refs r;
        char err[512];
        if (paging_decode(argv[i], 12, false, &r, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        bench_string(&b, argv[i], &r);
        paging_refs_free(&r);
    }
    if (first < argc)
        return 0;
    synthetic(&b, "loop", SYNTH_SEQ, 1u << 20, accesses);
    synthetic(&b, "zipf", SYNTH_ZIPF, 64u << 20, accesses);
    synthetic(&b, "uniform", SYNTH_UNIFORM, 2u << 20, accesses);
    return 0;
}
