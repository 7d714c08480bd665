/*
 * sweep_model.h - a lean TLB model for sweeping many configurations.
 *
 * It follows docs/tlb-counting.md to the letter for what the sweep needs:
 * a lookup is a hit or a miss, a miss fills the lowest-numbered invalid
 * way of set vpn mod S, a full set asks the policy (LRU, FIFO, tree-PLRU,
 * xorshift32 random) for a victim.  It holds tags only -- no frames,
 * rights or dirty bits -- because under --populate nothing else changes
 * which entries a TLB holds: no faults, no invalidations, no kernel
 * accesses.  tests/test_sweep.c proves it against the full replay.
 *
 * Since nothing is ever invalidated, a set fills its ways in order
 * 0, 1, 2, ... (n_filled tells the lowest invalid way), and FIFO's
 * victim is simply the next way round (a per-set pointer).
 */
#ifndef VMSIM_TOOLS_SWEEP_MODEL_H
#define VMSIM_TOOLS_SWEEP_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsim/tlb.h"

struct tlbmodel {
    vmsim_tlb_config_t cfg;
    uint32_t n_sets, n_ways, set_mask, levels;
    uint32_t *tag;          /* vpn + 1 per way, 0 while invalid: [set * n_ways + way] */
    uint64_t *stamp;        /* LRU: last use */
    uint32_t *n_filled;     /* per set: ways filled so far (the lowest invalid way) */
    uint32_t *fifo_next;    /* FIFO: per set, the way filled longest ago */
    uint8_t *plru;          /* tree-PLRU: n_ways bytes per set, node 1 is the root */
    uint64_t clock;
    uint32_t rng;
    uint32_t *index;        /* wide sets (> 16 ways): open-addressing vpn + 1 -> way slot */
    uint32_t *index_way;
    uint32_t index_mask;
    uint64_t hits, misses, evictions;
};

/* Set up a model of `cfg` (checked with vmsim_tlb_config_check, entries
 * > 0).  Returns 0, or -1 when out of memory. */
int tlbmodel_init(struct tlbmodel *t, const vmsim_tlb_config_t *cfg);
void tlbmodel_free(struct tlbmodel *t);

/* One lookup of page `vpn`: counts it, fills on a miss.  Returns true
 * on a hit. */
bool tlbmodel_access(struct tlbmodel *t, uint32_t vpn);

#endif
