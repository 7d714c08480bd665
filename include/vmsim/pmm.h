/*
 * vmsim/pmm.h - the physical frame allocator and per-frame metadata.
 *
 * Simulated RAM is cut into 4 KiB frames numbered by their pfn
 * (physical address >> 12).  The frame allocator hands them out one at
 * a time or as aligned contiguous runs (a 4 MiB page is a run of 1024
 * frames aligned to 1024), and keeps, for every frame, host-side
 * metadata that the kernel needs:
 *
 *     pfn -> +-----------+-------+----------------------------+
 *            | refcount  | flags | reverse map: (pid, vpn)... |
 *            +-----------+-------+----------------------------+
 *
 *   refcount  32 bits: how many page-table entries map the frame plus
 *             the kernel's own holds.  An increment that would wrap is
 *             refused (VMSIM_ERR_INVALID), never silently lost.
 *   flags     VMSIM_FRAME_*: reserved, kernel, page table, zero page,
 *             locked, large-page head / tail.
 *   rmap      which address spaces map the frame, at which virtual
 *             page: what copy-on-write and, later, swap-out consult.
 *
 * The allocator never touches RAM: it only does bookkeeping.  Zeroing a
 * frame is the kernel's job (through the MMU).  A frame is allocated
 * with refcount 1 (the caller's hold); vmsim_pmm_put() drops a
 * reference and frees the frame when the count reaches zero.
 *
 * Fault injection: vmsim_pmm_fail_next() makes chosen future
 * allocations fail, vmsim_pmm_set_cap() caps the frames in use, so every
 * "out of frames" path of the kernel can be tested.  See docs/pmm.md
 * for why it is a bitmap allocator and not a buddy allocator.
 */
#ifndef VMSIM_PMM_H
#define VMSIM_PMM_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmsim_pmm vmsim_pmm_t;

/* Frame flags. */
#define VMSIM_FRAME_RESERVED   (1u << 0)  /* never allocatable (firmware, frame 0) */
#define VMSIM_FRAME_KERNEL     (1u << 1)  /* held by the kernel for itself */
#define VMSIM_FRAME_PAGE_TABLE (1u << 2)  /* a page directory or page table */
#define VMSIM_FRAME_ZERO       (1u << 3)  /* the shared read-only zero frame */
#define VMSIM_FRAME_LOCKED     (1u << 4)  /* pinned: never to be swapped out */
#define VMSIM_FRAME_LARGE      (1u << 5)  /* first frame of a 4 MiB page run */
#define VMSIM_FRAME_TAIL       (1u << 6)  /* other frames of a 4 MiB page run */
#define VMSIM_FRAME_ALLOCATED  (1u << 15) /* read-only: the frame is in use */

/* Flags a caller may set or clear (ALLOCATED and RESERVED are the
 * allocator's own). */
#define VMSIM_FRAME_USER_FLAGS                                                                     \
    (VMSIM_FRAME_KERNEL | VMSIM_FRAME_PAGE_TABLE | VMSIM_FRAME_ZERO | VMSIM_FRAME_LOCKED |         \
     VMSIM_FRAME_LARGE | VMSIM_FRAME_TAIL)

/* Allocator counters. */
typedef struct vmsim_pmm_stats {
    uint32_t n_frames;          /* frames managed */
    uint32_t n_reserved;        /* reserved, never allocatable */
    uint32_t n_free;            /* free now */
    uint32_t n_used;            /* allocated now */
    uint32_t n_page_tables;     /* allocated frames flagged PAGE_TABLE */
    uint32_t peak_used;         /* most frames ever allocated at once */
    uint64_t allocs;            /* successful single-frame allocations */
    uint64_t run_allocs;        /* successful run allocations */
    uint64_t frees;             /* frames returned */
    uint64_t failed_allocs;     /* allocations refused (no frames, cap, injection) */
    uint64_t injected_failures; /* ... of which by vmsim_pmm_fail_next() */
    uint32_t rmap_entries;      /* reverse-map entries in use */
} vmsim_pmm_stats_t;

/* Create an allocator for `n_frames` frames (1 .. 1 << 20), all free,
 * refcount 0.  VMSIM_ERR_NULL, VMSIM_ERR_INVALID, VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_pmm_create(uint32_t n_frames, vmsim_pmm_t **out);

/* Free the allocator's host memory.  NULL is ignored. */
VMSIM_API void vmsim_pmm_destroy(vmsim_pmm_t *p);

/* Mark frames [pfn, pfn + count) reserved: never handed out.  They must
 * be free.  VMSIM_ERR_INVALID (out of range), VMSIM_ERR_BUSY (one is
 * allocated). */
VMSIM_API vmsim_status_t vmsim_pmm_reserve(vmsim_pmm_t *p, uint32_t pfn, uint32_t count);

/* Allocate one frame, lowest free first after a rotating hint; it gets
 * refcount 1 and `flags` (VMSIM_FRAME_USER_FLAGS bits).  Returns
 * VMSIM_OK and *pfn, or VMSIM_ERR_NO_FRAMES (none free, the cap is
 * reached, or an injected failure), VMSIM_ERR_NULL, VMSIM_ERR_INVALID
 * (bad flags). */
VMSIM_API vmsim_status_t vmsim_pmm_alloc(vmsim_pmm_t *p, unsigned flags, uint32_t *pfn);

/* Allocate `count` contiguous frames whose first pfn is a multiple of
 * `align` (a power of two, 1 .. 1 << 20).  Every frame gets refcount 1
 * and `flags`.  Counts as one allocation for fault injection.
 * VMSIM_ERR_NO_FRAMES when no such run is free, VMSIM_ERR_INVALID. */
VMSIM_API vmsim_status_t vmsim_pmm_alloc_run(vmsim_pmm_t *p, uint32_t count, uint32_t align,
                                             unsigned flags, uint32_t *pfn);

/* Take one more reference to an allocated frame.  VMSIM_ERR_INVALID
 * when the frame is free, out of range, or the count would overflow
 * (it then stays at its maximum value minus nothing: unchanged). */
VMSIM_API vmsim_status_t vmsim_pmm_get(vmsim_pmm_t *p, uint32_t pfn);

/* Drop one reference; at zero the frame is freed (flags cleared, rmap
 * must be empty).  *freed (may be NULL) tells whether it was.
 * VMSIM_ERR_BAD_FREE when the frame is free or reserved,
 * VMSIM_ERR_BUSY when the count would reach zero while the reverse map
 * still names mappings (nothing changes). */
VMSIM_API vmsim_status_t vmsim_pmm_put(vmsim_pmm_t *p, uint32_t pfn, bool *freed);

/* Free a whole run allocated by vmsim_pmm_alloc_run() whatever the
 * references (the caller knows nobody maps it).  VMSIM_ERR_BAD_FREE when
 * a frame of the run is not allocated. */
VMSIM_API vmsim_status_t vmsim_pmm_free_run(vmsim_pmm_t *p, uint32_t pfn, uint32_t count);

/* The reference count of `pfn` (0 for a free frame).  VMSIM_ERR_INVALID
 * out of range. */
VMSIM_API vmsim_status_t vmsim_pmm_refcount(const vmsim_pmm_t *p, uint32_t pfn, uint32_t *out);

/* The flags of `pfn` (VMSIM_FRAME_ALLOCATED included). */
VMSIM_API vmsim_status_t vmsim_pmm_flags(const vmsim_pmm_t *p, uint32_t pfn, unsigned *out);

/* Set / clear VMSIM_FRAME_USER_FLAGS bits of an allocated frame.
 * VMSIM_ERR_INVALID for other bits or a free frame. */
VMSIM_API vmsim_status_t vmsim_pmm_set_flags(vmsim_pmm_t *p, uint32_t pfn, unsigned flags);
VMSIM_API vmsim_status_t vmsim_pmm_clear_flags(vmsim_pmm_t *p, uint32_t pfn, unsigned flags);

/* --- Reverse map --------------------------------------------------------
 * One entry per (address space, virtual page) that maps the frame. */
typedef struct vmsim_rmap_entry {
    int32_t pid;  /* the address space (0 is the kernel's) */
    uint32_t vpn; /* virtual page number: vaddr >> 12 */
} vmsim_rmap_entry_t;

/* Record that `pid` maps `pfn` at `vpn`.  VMSIM_ERR_INVALID (frame free
 * or out of range), VMSIM_ERR_NOMEM (host memory). */
VMSIM_API vmsim_status_t vmsim_pmm_rmap_add(vmsim_pmm_t *p, uint32_t pfn, int32_t pid,
                                            uint32_t vpn);

/* Forget that mapping.  VMSIM_ERR_NOT_FOUND when it is not recorded. */
VMSIM_API vmsim_status_t vmsim_pmm_rmap_remove(vmsim_pmm_t *p, uint32_t pfn, int32_t pid,
                                               uint32_t vpn);

/* Copy up to `max` entries of the frame's reverse map into out[] (may be
 * NULL with max 0) and the total number into *n_total. */
VMSIM_API vmsim_status_t vmsim_pmm_rmap(const vmsim_pmm_t *p, uint32_t pfn, vmsim_rmap_entry_t *out,
                                        uint32_t max, uint32_t *n_total);

/* --- Fault injection ----------------------------------------------------
 * After `skip` more successful allocations, fail the following `count`
 * (count 0 turns injection off).  A run allocation counts as one. */
VMSIM_API vmsim_status_t vmsim_pmm_fail_next(vmsim_pmm_t *p, uint32_t skip, uint32_t count);

/* Refuse allocations that would bring the frames in use above
 * `max_used` (0 = no cap). */
VMSIM_API vmsim_status_t vmsim_pmm_set_cap(vmsim_pmm_t *p, uint32_t max_used);

/* Copy the counters. */
VMSIM_API vmsim_status_t vmsim_pmm_get_stats(const vmsim_pmm_t *p, vmsim_pmm_stats_t *out);

/* Check the allocator against itself: the bitmap agrees with the flags,
 * the counters agree with the bitmap, every allocated non-tail frame has
 * a refcount, every free frame has none and an empty reverse map, the
 * rmap counts add up.  VMSIM_OK or VMSIM_ERR_CORRUPT; *bad_pfn (may be
 * NULL) names the first bad frame. */
VMSIM_API vmsim_status_t vmsim_pmm_verify(const vmsim_pmm_t *p, uint32_t *bad_pfn);

#ifdef __cplusplus
}
#endif
#endif
