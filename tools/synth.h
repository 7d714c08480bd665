/*
 * synth.h - synthetic traces, for quick studies without Valgrind.
 *
 * Each pattern is a stream of data accesses of `size` bytes over a data
 * region of `footprint` bytes starting at SYNTH_DATA_BASE:
 *
 *     seq      0, size, 2 size, ...          (wrapping at the footprint)
 *     stride   0, stride, 2 stride, ...      (wrapping, then shifted by
 *                                              `size` so every byte is hit)
 *     uniform  a uniformly random aligned address
 *     zipf     a page drawn with P(rank k) ~ 1 / k^theta (pages ranked in a
 *              random order), then a random aligned offset in it
 *
 * A fraction `writes` of the data accesses are stores (the rest loads);
 * with `fetch` every data access is preceded by one instruction fetch
 * from a 64-byte loop body at SYNTH_CODE_BASE, as a real loop would be.
 * Everything comes from one seeded generator (splitmix64): a seed gives
 * the same trace on every machine.
 */
#ifndef VMSIM_TOOLS_SYNTH_H
#define VMSIM_TOOLS_SYNTH_H

#include <stdbool.h>
#include <stdio.h>

#include "trace_types.h"

#define SYNTH_CODE_BASE 0x08048000u
#define SYNTH_DATA_BASE 0x10000000u

enum synth_pattern { SYNTH_SEQ, SYNTH_STRIDE, SYNTH_UNIFORM, SYNTH_ZIPF };

struct synth_options {
    enum synth_pattern pattern;
    uint64_t accesses;   /* data accesses to make */
    uint64_t footprint;  /* bytes of data region (multiple of 4096, <= 2 GiB) */
    uint32_t size;       /* bytes per access, 1..64 */
    uint64_t stride;     /* bytes between accesses (stride) */
    double theta;        /* zipf exponent (> 0) */
    double writes;       /* fraction of stores, 0..1 */
    bool fetch;          /* an instruction fetch before each data access */
    uint64_t seed;
};

void synth_options_default(struct synth_options *opt);

/* Parse "seq", "stride", "uniform", "zipf".  false when unknown. */
bool synth_pattern_parse(const char *name, enum synth_pattern *out);

struct synth;

/* Prepare a generator.  Returns NULL (with a message in err) for bad
 * options or no memory. */
struct synth *synth_create(const struct synth_options *opt, char *err, size_t cap);

/* Up to `max` raw records into rec[]; returns how many (0 at the end). */
size_t synth_next(struct synth *s, struct trace_rec *rec, size_t max);

void synth_destroy(struct synth *s);

#endif
