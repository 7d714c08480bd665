/*
 * vmsim/tlb.h - the translation lookaside buffers: geometry, replacement
 * policies, statistics and a read-only view of the entries.
 *
 * A TLB has `entries` entries in entries / ways sets of `ways` ways
 * (ways = 1: direct-mapped; ways = entries: fully associative).  The set
 * of a page is vpn mod sets, where vpn = linear address / page size, so
 * 4 KiB, 2 MiB and 4 MiB entries live side by side.  The exact fill and
 * replacement rules are those of docs/tlb-counting.md, so that hit counts
 * are reproducible on every machine:
 *
 *   - a miss fills the lowest-numbered invalid way of its set;
 *   - only a full set asks the policy for a victim;
 *   - LRU: least recently used (hits and fills are uses);
 *   - FIFO: filled longest ago (hits change nothing);
 *   - tree-PLRU: ways - 1 bits per set, 0 points left, every hit and fill
 *     points the bits on its path away from the touched way;
 *   - random: per-TLB xorshift32 (x ^= x << 13; x ^= x >> 17;
 *     x ^= x << 5), seeded with `seed` (0 means 1), victim = x mod ways.
 */
#ifndef VMSIM_TLB_H
#define VMSIM_TLB_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vmsim_tlb_policy {
    VMSIM_TLB_LRU = 0,
    VMSIM_TLB_FIFO,
    VMSIM_TLB_RANDOM,
    VMSIM_TLB_PLRU, /* tree pseudo-LRU; ways must be a power of two */
    VMSIM_TLB_POLICY_COUNT
} vmsim_tlb_policy_t;

/* Geometry of one TLB.  entries = 0 means "no TLB": every access walks
 * the page tables (the reference for differential tests).  Otherwise
 * entries must be a multiple of ways, and entries / ways a power of two
 * (the set index is a mask of the page number, as in hardware). */
typedef struct vmsim_tlb_config {
    uint32_t entries;
    uint32_t ways;
    vmsim_tlb_policy_t policy;
    uint32_t seed; /* VMSIM_TLB_RANDOM only; 0 means 1 */
} vmsim_tlb_config_t;

/* Which TLB: with a unified TLB both names mean the same one. */
typedef enum vmsim_tlb_id {
    VMSIM_DTLB = 0,   /* data TLB, or the unified TLB */
    VMSIM_ITLB = 1,   /* instruction TLB (fetches) when the TLBs are split */
    VMSIM_STLB = 2,   /* second-level TLB (config.stlb), 4 KiB / 2 MiB / 4 MiB entries */
    VMSIM_STLB_1G = 3 /* the second-level TLB's array of 1 GiB entries */
} vmsim_tlb_id_t;

/* Counters of one TLB.  lookups = hits + misses.  A hit is a valid entry
 * whose tag matches; a write that hits an entry with D = 0, or an access
 * the cached rights refuse, is still a hit (the walk that follows is
 * counted in vmsim_stats_t).  evictions: valid entries replaced by a fill.
 * The retry of an access after its fault was handled makes no new
 * lookup.  invalidations: valid entries dropped by INVLPG, a flush, a
 * fault, or a walk that found the page changed size.  flushes: whole-TLB
 * flushes (CR3 loads, control-register changes, vmsim_tlb_flush_all(),
 * vmsim_set_maxphyaddr()). */
typedef struct vmsim_tlb_stats {
    uint64_t lookups;
    uint64_t hits;
    uint64_t misses;
    uint64_t fills;
    uint64_t evictions;
    uint64_t invalidations;
    uint64_t flushes;
} vmsim_tlb_stats_t;

/* A read-only copy of one TLB entry (vmsim_tlb_entry()). */
typedef struct vmsim_tlb_entry {
    bool valid;
    uint32_t set, way;
    vmsim_vaddr_t vaddr; /* linear base of the page */
    uint64_t paddr;      /* physical base of the page */
    uint32_t page_size;  /* 4096, 2 MiB, 4 MiB or 1 GiB */
    bool writable;       /* R/W of every level */
    bool user;           /* U/S of every level */
    bool executable;     /* false when XD applies (PAE with EFER.NXE) */
    bool dirty;          /* the leaf's D bit was set when cached */
    bool global;         /* G set in the leaf while CR4.PGE */
    unsigned pcid;       /* the PCID current when it was cached (0 without CR4.PCIDE) */
    unsigned pkey;       /* IA-32e: the protection key of the leaf */
} vmsim_tlb_entry_t;

/* A TLB config with the given geometry and policy, seed 1. */
VMSIM_API vmsim_tlb_config_t vmsim_tlb_config(uint32_t entries, uint32_t ways,
                                              vmsim_tlb_policy_t policy);

/* Check a TLB config without creating anything: VMSIM_OK, or
 * VMSIM_ERR_NULL / VMSIM_ERR_INVALID (ways = 0, entries not a multiple of
 * ways, sets not a power of two, PLRU with ways not a power of two,
 * unknown policy, more than 1 << 20 entries). */
VMSIM_API vmsim_status_t vmsim_tlb_config_check(const vmsim_tlb_config_t *cfg);

/* "lru", "fifo", "random", "plru"; NULL for an unknown policy. */
VMSIM_API const char *vmsim_tlb_policy_name(vmsim_tlb_policy_t policy);

/* Parse a policy name (as above; "tree-plru", "pseudo-lru" and "rand"
 * accepted too).
 * VMSIM_ERR_INVALID for an unknown name. */
VMSIM_API vmsim_status_t vmsim_tlb_policy_parse(const char *name,
                                                vmsim_tlb_policy_t *out);

/* Number of entries of TLB `id` (0 when the machine runs without TLB). */
VMSIM_API uint32_t vmsim_tlb_size(const vmsim_machine_t *m, vmsim_tlb_id_t id);

/* Copy entry `index` (set * ways + way) of TLB `id` into *out.
 * VMSIM_ERR_NULL for a NULL argument, VMSIM_ERR_INVALID when `index` is
 * not below vmsim_tlb_size().  An invalid entry is returned with
 * valid = false. */
VMSIM_API vmsim_status_t vmsim_tlb_entry(const vmsim_machine_t *m, vmsim_tlb_id_t id,
                                         uint32_t index, vmsim_tlb_entry_t *out);

/* Invalidate every entry of every TLB, global ones included (what a
 * CR4.PGE toggle does).  Counted as a flush. */
VMSIM_API vmsim_status_t vmsim_tlb_flush_all(vmsim_machine_t *m);

#ifdef __cplusplus
}
#endif
#endif
