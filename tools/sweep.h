/*
 * sweep.h - `vmsim sweep`: many TLB configurations in one pass.
 *
 * The trace is read and folded once; every lookup it makes (the same
 * lookups as `vmsim trace --populate`: one per page an access covers, M
 * as a read then a write, fetches on the instruction side when split) is
 * offered to a lean model of each configuration (sweep_model.h), and
 * fully-associative LRU configurations are answered for every size at
 * once from LRU stack distances (sweep_stack.h).
 *
 * One shortcut keeps the pass cheap: a lookup of the page that the same
 * TLB looked up just before is a hit in every configuration and changes
 * no replacement state (LRU: already most recent; PLRU: its path already
 * points away; FIFO, random: hits change nothing), so it is counted once
 * for all, without asking the models.
 */
#ifndef VMSIM_TOOLS_SWEEP_H
#define VMSIM_TOOLS_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include "sweep_model.h"
#include "sweep_stack.h"
#include "trace_types.h"

enum { SWEEP_DATA = 0, SWEEP_FETCH = 1 }; /* sides; unified uses SWEEP_DATA only */

struct sweep_counts {
    uint64_t lookups, hits, misses, evictions;
};

struct sweep_row {
    vmsim_tlb_config_t tlb;
    bool from_stack;                 /* answered by stack distances */
    struct sweep_counts side[2];     /* [SWEEP_DATA] data or unified, [SWEEP_FETCH] instruction */
};

struct sweep {
    bool split;
    unsigned page_shift, n_sides;
    size_t n_rows;
    struct sweep_row *rows;
    struct tlbmodel *models;         /* [side * n_rows + row]; unused where from_stack */
    bool use_stack;
    struct lru_stack stack[2];
    uint32_t last_vpn[2];
    bool have_last[2];
    uint64_t lookups[2], repeats[2];
    uint64_t access[TRACE_KINDS], page_splits;
    bool have_first;
    struct trace_access first;
};

/* Prepare rows for cfg[0..n) (each checked, entries > 0).  direct:
 * simulate fully-associative LRU too instead of using stack distances.
 * Returns 0, or -1 (no memory). */
int sweep_init(struct sweep *s, const vmsim_tlb_config_t *cfg, size_t n, bool split,
               unsigned page_shift, bool direct);

/* Feed items.  Returns 0, or -1 (no memory). */
int sweep_run(struct sweep *s, const struct trace_access *a, size_t n);

/* Fill in every row's counts (call once the trace is done). */
void sweep_finish(struct sweep *s);

/* Hit count of a fully-associative LRU TLB of any size <= the largest
 * such row (the plot's curve), for `side`. */
uint64_t sweep_stack_hits(const struct sweep *s, unsigned side, uint32_t entries);

void sweep_free(struct sweep *s);

/* The rows as CSV, header first (columns in docs/tlb-studies.md); every
 * row ends with `trace` (its file name, without folders) and the vmsim
 * version, so CSVs of many runs concatenate into one table. */
void sweep_write_csv(FILE *f, const struct sweep *s, const char *trace);

#endif
