/*
 * pmm_internal.h - the frame allocator as the kernel sees it.
 *
 *   struct vmsim_pmm
 *     bitmap[n_words]     one bit per frame: 1 = allocated or reserved;
 *                         the padding bits past n_frames are 1 too, so a
 *                         word scan never hands out a frame that does not
 *                         exist
 *     frames[n_frames]    per-frame metadata (struct pmm_frame)
 *     rmap_pool[]         reverse-map nodes, linked per frame by index
 *                         (0 ends a list; node 0 is never used)
 *
 *     frames[pfn]  +----------+-------+--------+-----------+
 *                  | refcount | flags | n_rmap | rmap_head |--> node --> node
 *                  +----------+-------+--------+-----------+    (pid, vpn, next)
 *
 * Everything here is host memory: the allocator is bookkeeping about
 * simulated RAM and never reads or writes it.
 */
#ifndef VMSIM_PMM_INTERNAL_H
#define VMSIM_PMM_INTERNAL_H

#include "vmsim/pmm.h"

struct pmm_frame {
    uint32_t refcount;
    uint32_t flags;
    uint32_t n_rmap;
    uint32_t rmap_head; /* index into rmap_pool, 0 = empty */
};

struct pmm_rmap_node {
    int32_t pid;
    uint32_t vpn;
    uint32_t next; /* index of the next node, 0 = end */
};

struct vmsim_pmm {
    uint32_t n_frames;
    uint32_t n_words;
    uint64_t *bitmap;
    uint32_t hint; /* word where the next single-frame search starts */
    struct pmm_frame *frames;
    struct pmm_rmap_node *rmap_pool;
    uint32_t rmap_cap;     /* nodes in the pool, node 0 included */
    uint32_t rmap_free;    /* first free node, 0 = none */
    uint32_t cap;          /* max frames in use, 0 = none */
    uint32_t inject_skip;  /* allocations to let through before failing */
    uint32_t inject_count; /* allocations still to fail */
    vmsim_pmm_stats_t st;
};

static inline bool pmm_in_range(const vmsim_pmm_t *p, uint32_t pfn)
{
    return pfn < p->n_frames;
}

static inline bool pmm_is_allocated(const vmsim_pmm_t *p, uint32_t pfn)
{
    return p->frames[pfn].flags & VMSIM_FRAME_ALLOCATED;
}

/* Mark a run used / free in the bitmap and the metadata (frame.c uses
 * them for frees; pmm.c for allocations). */
void pmm_mark_used(vmsim_pmm_t *p, uint32_t pfn, uint32_t count, unsigned flags);
void pmm_mark_free(vmsim_pmm_t *p, uint32_t pfn, uint32_t count);

/* Test hook: set a frame's refcount directly (tests of overflow). */
void pmm_debug_set_refcount(vmsim_pmm_t *p, uint32_t pfn, uint32_t refcount);

#endif
