/*
 * region.c - the regions of an address space, host-side bookkeeping.
 *
 * A process's user half is described by a sorted array of disjoint
 * regions (what Linux calls VMAs and Windows VADs):
 *
 *   0          0x10000000          0x40000000                0xC0000000
 *   |  ......  [heap rw-p )  ....  [anon r--p)[anon rw-s)  ..  |
 *               brk_start   brk      ^ mmap_base
 *
 * Each region has a protection (R/W/X), a kind (private or shared), a
 * state (committed, or reserved: the range is held but every access
 * faults), and may use 4 MiB pages.  A shared region points at a shared
 * object (struct vmm_shm) that owns its frames, so two processes that
 * inherited it touch the same frames whoever touches first.
 *
 * munmap and mprotect work on any page-aligned sub-range: the regions
 * at the range's ends are split first (vmm_region_split_at), so every
 * region is then entirely inside or entirely outside the range.  A split
 * needs one more array slot; callers reserve the slots before changing
 * anything (vmm_region_reserve), so running out of host memory leaves
 * everything as it was.
 *
 * Lookups are binary searches: the fault handler finds the region of a
 * faulting address in O(log n).
 */
#include "vmm_internal.h"

#include <stdlib.h>
#include <string.h>

/* Index of the first region whose end is above vaddr (n_regions if none). */
static uint32_t lower_bound(const struct vmm_space *s, uint32_t vaddr)
{
    uint32_t lo = 0, hi = s->n_regions;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->regions[mid].end <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int vmm_region_find(const struct vmm_space *s, uint32_t vaddr)
{
    uint32_t i = lower_bound(s, vaddr);
    if (i < s->n_regions && s->regions[i].start <= vaddr)
        return (int)i;
    return -1;
}

uint32_t vmm_region_first_after(const struct vmm_space *s, uint32_t vaddr)
{
    return lower_bound(s, vaddr);
}

bool vmm_region_overlaps(const struct vmm_space *s, uint32_t start, uint32_t end)
{
    uint32_t i = lower_bound(s, start);
    return i < s->n_regions && s->regions[i].start < end;
}

bool vmm_region_covers(const struct vmm_space *s, uint32_t start, uint32_t end)
{
    uint32_t at = start;
    for (uint32_t i = lower_bound(s, start); i < s->n_regions && at < end; i++) {
        if (s->regions[i].start > at)
            return false;
        at = s->regions[i].end;
    }
    return at >= end;
}

vmsim_status_t vmm_region_reserve(struct vmm_space *s, uint32_t extra)
{
    if (s->n_regions + extra <= s->cap_regions)
        return VMSIM_OK;
    uint32_t cap = s->cap_regions ? s->cap_regions : 8;
    while (cap < s->n_regions + extra)
        cap *= 2;
    struct vmm_region *r = realloc(s->regions, cap * sizeof *r);
    if (!r)
        return VMSIM_ERR_NOMEM;
    s->regions = r;
    s->cap_regions = cap;
    return VMSIM_OK;
}

vmsim_status_t vmm_region_insert(struct vmm_space *s, const struct vmm_region *r)
{
    vmsim_status_t rc = vmm_region_reserve(s, 1);
    if (rc)
        return rc;
    uint32_t i = lower_bound(s, r->start);
    memmove(&s->regions[i + 1], &s->regions[i], (s->n_regions - i) * sizeof *r);
    s->regions[i] = *r;
    s->n_regions++;
    return VMSIM_OK;
}

/* Split the region containing vaddr (if any, and if vaddr is inside it)
 * into [start, vaddr) and [vaddr, end).  A slot must be reserved. */
void vmm_region_split_at(struct vmm_space *s, uint32_t vaddr)
{
    int i = vmm_region_find(s, vaddr);
    if (i < 0 || s->regions[i].start == vaddr)
        return;
    struct vmm_region upper = s->regions[i];
    upper.start = vaddr;
    if (upper.shm) {
        upper.shm_pgoff += (vaddr - s->regions[i].start) / VMM_PAGE;
        upper.shm->n_refs++;
    }
    s->regions[i].end = vaddr;
    memmove(&s->regions[i + 2], &s->regions[i + 1], (s->n_regions - i - 1) * sizeof upper);
    s->regions[i + 1] = upper;
    s->n_regions++;
}

/* Forget every region inside [start, end) (the ends are already split). */
void vmm_region_remove_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    uint32_t first = lower_bound(s, start), last = first;
    while (last < s->n_regions && s->regions[last].start < end) {
        if (s->regions[last].shm)
            vmm_shm_put(k, s->regions[last].shm);
        last++;
    }
    memmove(&s->regions[first], &s->regions[last], (s->n_regions - last) * sizeof *s->regions);
    s->n_regions -= last - first;
}

void vmm_regions_free(vmsim_kernel_t *k, struct vmm_space *s)
{
    for (uint32_t i = 0; i < s->n_regions; i++)
        if (s->regions[i].shm)
            vmm_shm_put(k, s->regions[i].shm);
    free(s->regions);
    s->regions = NULL;
    s->n_regions = s->cap_regions = 0;
}

vmsim_status_t vmm_regions_copy(struct vmm_space *dst, const struct vmm_space *src)
{
    vmsim_status_t rc = vmm_region_reserve(dst, src->n_regions);
    if (rc)
        return rc;
    if (src->n_regions)
        memcpy(dst->regions, src->regions, src->n_regions * sizeof *src->regions);
    dst->n_regions = src->n_regions;
    for (uint32_t i = 0; i < dst->n_regions; i++)
        if (dst->regions[i].shm)
            dst->regions[i].shm->n_refs++;
    return VMSIM_OK;
}

/* The lowest `align`-aligned start >= from of a free range of len bytes
 * below the end of user space. */
bool vmm_find_gap(const struct vmm_space *s, uint32_t from, uint32_t len, uint32_t align,
                  uint32_t *out)
{
    uint64_t at = ((uint64_t)from + align - 1) & ~((uint64_t)align - 1); /* 64 bits: no wrap to 0 */
    for (uint32_t i = lower_bound(s, (uint32_t)at); i <= s->n_regions; i++) {
        uint64_t limit = i < s->n_regions ? s->regions[i].start : VMSIM_USER_END;
        if (at + len <= limit) {
            *out = (uint32_t)at;
            return true;
        }
        if (i < s->n_regions)
            at = (s->regions[i].end + (uint64_t)align - 1) & ~((uint64_t)align - 1);
        if (at >= VMSIM_USER_END)
            return false;
    }
    return false;
}

/* --- shared objects --- */

struct vmm_shm *vmm_shm_new(uint32_t n_pages)
{
    struct vmm_shm *shm = calloc(1, sizeof *shm);
    if (!shm)
        return NULL;
    shm->pfns = calloc(n_pages ? n_pages : 1, sizeof *shm->pfns);
    if (!shm->pfns) {
        free(shm);
        return NULL;
    }
    shm->n_refs = 1;
    shm->n_pages = n_pages;
    return shm;
}

/* Drop a region's use of the object; the last one releases its frames
 * (each frame loses the object's hold; mappings hold their own). */
void vmm_shm_put(vmsim_kernel_t *k, struct vmm_shm *shm)
{
    if (--shm->n_refs)
        return;
    for (uint32_t i = 0; i < shm->n_pages; i++)
        if (shm->pfns[i])
            vmsim_pmm_put(k->pmm, shm->pfns[i], NULL);
    free(shm->pfns);
    free(shm);
}
