/*
 * mmap.c - the region system calls: mmap, munmap, mprotect, commit /
 * decommit, brk.
 *
 * Each call is two halves that must agree: the host-side region list
 * (region.c) and the page tables (pages.c).  The order is chosen so that
 * a failure changes nothing:
 *
 *   munmap(a, b)    reserve 2 region slots        (may fail: NOMEM)
 *                   unmap the pages of [a, b)      page tables, TLB batch
 *                   split at a and b, drop regions
 *                   free page tables no region uses any more
 *
 *   mprotect(a, b)  check [a, b) is covered, reserve 2 slots
 *                   split at a and b, set prot, re-derive every PTE
 *
 *   mmap            find the range (or FIXED: munmap it), insert the
 *                   region, and with POPULATE back every page now -
 *                   undoing the whole mapping if a frame runs out.
 *                   FIXED|POPULATE over existing mappings first checks
 *                   that the frames it needs are free (one a page, one
 *                   page table a 4 MiB slot, not counting what the old
 *                   mapping gives back): running out halfway would
 *                   leave the old mapping gone.
 *
 * Ranges are page aligned at the start and rounded up at the end; a
 * 4 MiB region is only ever cut at 4 MiB boundaries.
 */
#include "vmm_internal.h"

#include <string.h>

#define MAP_KNOWN                                                                                  \
    (VMSIM_MAP_PRIVATE | VMSIM_MAP_SHARED | VMSIM_MAP_FIXED | VMSIM_MAP_POPULATE |                 \
     VMSIM_MAP_RESERVE | VMSIM_MAP_LARGE)
#define PROT_KNOWN (VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC)

/* Round [addr, addr + len) out to pages; false when it is not a valid
 * user range. */
static bool user_range(uint32_t addr, uint32_t len, uint32_t *end)
{
    if ((addr & 0xfff) || len == 0)
        return false;
    uint64_t e = (uint64_t)addr + (((uint64_t)len + VMM_PAGE - 1) & ~(uint64_t)(VMM_PAGE - 1));
    if (e > VMSIM_USER_END)
        return false;
    *end = (uint32_t)e;
    return true;
}

/* Does [start, end) cut a 4 MiB region anywhere but at 4 MiB boundaries? */
static bool cuts_large(const struct vmm_space *s, uint32_t start, uint32_t end)
{
    uint32_t mask = VMSIM_LARGE_PAGE_SIZE - 1;
    for (uint32_t i = vmm_region_first_after(s, start);
         i < s->n_regions && s->regions[i].start < end; i++) {
        const struct vmm_region *r = &s->regions[i];
        if (!(r->flags & VMSIM_MAP_LARGE))
            continue;
        if ((start > r->start && (start & mask)) || (end < r->end && (end & mask)))
            return true;
    }
    return false;
}

/* munmap's body, for a range already checked. */
static vmsim_status_t unmap(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    if (cuts_large(s, start, end))
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = vmm_region_reserve(s, 2);
    if (rc)
        return rc;
    vmm_unmap_range(k, s, start, end);
    vmm_region_split_at(s, start);
    vmm_region_split_at(s, end);
    vmm_region_remove_range(k, s, start, end);
    vmm_free_unused_pts(k, s, start, end);
    return VMSIM_OK;
}

static vmsim_status_t check_map_args(const vmsim_kernel_t *k, uint32_t addr, uint32_t len,
                                     unsigned prot, unsigned flags)
{
    if ((prot & ~PROT_KNOWN) || (flags & ~MAP_KNOWN) || len == 0 || len > VMSIM_USER_END)
        return VMSIM_ERR_INVALID;
    if ((flags & VMSIM_MAP_PRIVATE) && (flags & VMSIM_MAP_SHARED))
        return VMSIM_ERR_INVALID;
    if ((flags & VMSIM_MAP_FIXED) && (addr & 0xfff))
        return VMSIM_ERR_INVALID;
    if (flags & VMSIM_MAP_LARGE) {
        uint32_t mask = VMSIM_LARGE_PAGE_SIZE - 1;
        if ((addr & mask) || (len & mask) || (flags & VMSIM_MAP_SHARED) || !k->cfg.large_pages)
            return VMSIM_ERR_INVALID;
    }
    return VMSIM_OK;
}

/* Frames the allocator can still hand out (under the cap). */
static uint32_t frames_available(const vmsim_pmm_t *p)
{
    uint32_t n = p->st.n_free;
    if (p->cap) {
        uint32_t under_cap = p->cap > p->st.n_used ? p->cap - p->st.n_used : 0;
        n = under_cap < n ? under_cap : n;
    }
    return n;
}

/* Could a populated mapping of [start, end) be backed without the frames
 * its old mappings hold?  Counts a frame a page and a page table a 4 MiB
 * slot (an upper bound: no page directory entry is read). */
static bool populate_fits(const vmsim_kernel_t *k, uint32_t start, uint32_t end, unsigned flags)
{
    uint64_t need = (end - start) / VMM_PAGE;
    if (!(flags & VMSIM_MAP_LARGE))
        need += ((end - 1) >> 22) - (start >> 22) + 1;
    return need <= frames_available(k->pmm);
}

/* Choose where the mapping goes. */
static vmsim_status_t place(vmsim_kernel_t *k, struct vmm_space *s, uint32_t addr, uint32_t len,
                            unsigned flags, uint32_t *start)
{
    uint32_t end;
    if (flags & VMSIM_MAP_FIXED) {
        if (!user_range(addr, len, &end))
            return VMSIM_ERR_INVALID;
        if ((flags & VMSIM_MAP_POPULATE) && !(flags & VMSIM_MAP_RESERVE) &&
            vmm_region_overlaps(s, addr, end) && !populate_fits(k, addr, end, flags))
            return VMSIM_ERR_NO_FRAMES;
        *start = addr;
        return unmap(k, s, addr, end);
    }
    uint32_t align = (flags & VMSIM_MAP_LARGE) ? VMSIM_LARGE_PAGE_SIZE : VMM_PAGE;
    uint32_t from = addr ? addr : k->cfg.mmap_base;
    if (vmm_find_gap(s, from, len, align, start) || vmm_find_gap(s, align, len, align, start))
        return VMSIM_OK;
    return VMSIM_ERR_NO_SPACE;
}

static vmsim_status_t populate(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start)
{
    const struct vmm_region *r = &s->regions[vmm_region_find(s, start)];
    uint32_t step = (r->flags & VMSIM_MAP_LARGE) ? VMSIM_LARGE_PAGE_SIZE : VMM_PAGE;
    for (uint64_t va = r->start; va < r->end; va += step) {
        vmsim_status_t rc = vmm_populate_page(k, s, r, (uint32_t)va);
        if (rc)
            return rc;
    }
    return VMSIM_OK;
}

static vmsim_status_t do_mmap(vmsim_kernel_t *k, struct vmm_space *s, uint32_t addr, uint32_t len,
                              unsigned prot, unsigned flags, uint32_t *out)
{
    struct vmm_region r = {0};
    len = vmm_round_up(len, VMM_PAGE);
    vmsim_status_t rc = vmm_region_reserve(s, 3);
    if (rc == VMSIM_OK)
        rc = place(k, s, addr, len, flags, &r.start);
    if (rc)
        return rc;
    r.end = r.start + len;
    r.prot = prot;
    r.flags = flags & (VMSIM_MAP_SHARED | VMSIM_MAP_RESERVE | VMSIM_MAP_LARGE);
    if ((flags & VMSIM_MAP_SHARED) && !(flags & VMSIM_MAP_RESERVE) &&
        !(r.shm = vmm_shm_new(len / VMM_PAGE)))
        return VMSIM_ERR_NOMEM;
    vmm_region_insert(s, &r); /* cannot fail: slots reserved */
    if ((flags & VMSIM_MAP_POPULATE) && !(flags & VMSIM_MAP_RESERVE)) {
        rc = populate(k, s, r.start);
        if (rc) {
            unmap(k, s, r.start, r.end);
            return rc == VMSIM_ERR_NOMEM ? rc : VMSIM_ERR_NO_FRAMES;
        }
    }
    *out = r.start;
    return VMSIM_OK;
}

vmsim_status_t vmsim_mmap(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                          unsigned prot, unsigned flags, uint32_t *out_addr)
{
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    vmsim_status_t rc = check_map_args(k, addr, len, prot, flags);
    if (rc)
        return rc;
    uint32_t start = 0;
    vmm_enter(k);
    rc = do_mmap(k, s, addr, len, prot, flags, &start);
    rc = vmm_leave(k, rc);
    if (rc == VMSIM_OK && out_addr)
        *out_addr = start;
    return rc;
}

vmsim_status_t vmsim_munmap(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len)
{
    uint32_t end;
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    if (!user_range(addr, len, &end))
        return VMSIM_ERR_INVALID;
    vmm_enter(k);
    return vmm_leave(k, unmap(k, s, addr, end));
}

/* Split at the ends of [start, end) and apply `fn` to each region inside. */
static vmsim_status_t for_regions(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                                  void (*fn)(vmsim_kernel_t *, struct vmm_space *,
                                             struct vmm_region *, unsigned),
                                  unsigned arg)
{
    uint32_t end;
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    if (!user_range(addr, len, &end) || (arg & ~PROT_KNOWN))
        return VMSIM_ERR_INVALID;
    if (!vmm_region_covers(s, addr, end))
        return VMSIM_ERR_NOT_FOUND;
    if (cuts_large(s, addr, end))
        return VMSIM_ERR_INVALID;
    if (vmm_region_reserve(s, 2))
        return VMSIM_ERR_NOMEM;
    vmm_enter(k);
    vmm_region_split_at(s, addr);
    vmm_region_split_at(s, end);
    for (uint32_t i = vmm_region_first_after(s, addr);
         i < s->n_regions && s->regions[i].start < end; i++)
        fn(k, s, &s->regions[i], arg);
    vmm_protect_range(k, s, addr, end);
    return vmm_leave(k, VMSIM_OK);
}

static void set_prot(vmsim_kernel_t *k, struct vmm_space *s, struct vmm_region *r, unsigned prot)
{
    (void)k;
    (void)s;
    r->prot = prot;
}

vmsim_status_t vmsim_mprotect(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                              unsigned prot)
{
    return for_regions(k, pid, addr, len, set_prot, prot);
}

/* Commit: a reserved region becomes demand-zero memory; a shared one
 * gets a fresh object.  (Host memory for it is taken here; running out
 * leaves the region reserved.) */
static void commit(vmsim_kernel_t *k, struct vmm_space *s, struct vmm_region *r, unsigned prot)
{
    (void)s;
    if (!(r->flags & VMSIM_MAP_RESERVE)) {
        r->prot = prot;
        return;
    }
    if (r->flags & VMSIM_MAP_SHARED) {
        r->shm = vmm_shm_new((r->end - r->start) / VMM_PAGE);
        r->shm_pgoff = 0;
        if (!r->shm) {
            if (!k->kerr)
                k->kerr = VMSIM_ERR_NOMEM;
            return;
        }
    }
    r->flags &= ~VMSIM_MAP_RESERVE;
    r->prot = prot;
}

vmsim_status_t vmsim_mcommit(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                             unsigned prot)
{
    return for_regions(k, pid, addr, len, commit, prot);
}

/* Decommit: the frames go, the range stays held. */
static void decommit(vmsim_kernel_t *k, struct vmm_space *s, struct vmm_region *r, unsigned arg)
{
    (void)arg;
    if (r->flags & VMSIM_MAP_RESERVE)
        return;
    vmm_unmap_range(k, s, r->start, r->end);
    if (r->shm)
        vmm_shm_put(k, r->shm);
    r->shm = NULL;
    r->flags |= VMSIM_MAP_RESERVE;
}

vmsim_status_t vmsim_mdecommit(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len)
{
    return for_regions(k, pid, addr, len, decommit, 0);
}

vmsim_status_t vmsim_region_list(const vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_region_info_t *out,
                                 uint32_t max, uint32_t *n_total)
{
    if (!k || !n_total || (!out && max))
        return VMSIM_ERR_NULL;
    const struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    for (uint32_t i = 0; i < s->n_regions && i < max; i++) {
        const struct vmm_region *r = &s->regions[i];
        out[i].start = r->start;
        out[i].end = r->end;
        out[i].prot = r->prot;
        out[i].flags = r->flags | ((r->flags & VMSIM_MAP_SHARED) ? 0 : VMSIM_MAP_PRIVATE);
        out[i].heap = r->heap;
    }
    *n_total = s->n_regions;
    return VMSIM_OK;
}

/* --- brk --- */

static vmsim_status_t grow_heap(vmsim_kernel_t *k, struct vmm_space *s, uint32_t old_end,
                                uint32_t new_end)
{
    (void)k;
    if (vmm_region_overlaps(s, old_end, new_end))
        return VMSIM_ERR_NO_SPACE;
    int i = old_end > s->brk_start ? vmm_region_find(s, old_end - 1) : -1;
    if (i >= 0) {
        struct vmm_region *r = &s->regions[i];
        if (r->heap && r->end == old_end && r->prot == (VMSIM_PROT_READ | VMSIM_PROT_WRITE) &&
            !(r->flags & (VMSIM_MAP_SHARED | VMSIM_MAP_RESERVE | VMSIM_MAP_LARGE))) {
            r->end = new_end;
            return VMSIM_OK;
        }
    }
    struct vmm_region r = {0};
    r.start = old_end;
    r.end = new_end;
    r.prot = VMSIM_PROT_READ | VMSIM_PROT_WRITE;
    r.heap = true;
    return vmm_region_insert(s, &r);
}

static vmsim_status_t set_brk(vmsim_kernel_t *k, struct vmm_space *s, uint32_t new_brk)
{
    if (new_brk == 0)
        return VMSIM_OK;
    if (new_brk < s->brk_start)
        return VMSIM_ERR_INVALID;
    uint64_t new_end = ((uint64_t)new_brk + VMM_PAGE - 1) & ~(uint64_t)(VMM_PAGE - 1);
    uint32_t old_end = vmm_round_up(s->brk, VMM_PAGE);
    vmsim_status_t rc = VMSIM_OK;
    if (new_end > VMSIM_USER_END)
        return VMSIM_ERR_NO_SPACE;
    if (new_end > old_end)
        rc = grow_heap(k, s, old_end, (uint32_t)new_end);
    else if (new_end < old_end)
        rc = unmap(k, s, (uint32_t)new_end, old_end);
    if (rc == VMSIM_OK)
        s->brk = new_brk;
    return rc;
}

vmsim_status_t vmsim_brk(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t new_brk, uint32_t *out_brk)
{
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmsim_status_t rc = vmm_leave(k, set_brk(k, s, new_brk));
    if (out_brk)
        *out_brk = s->brk;
    return rc;
}

vmsim_status_t vmsim_sbrk(vmsim_kernel_t *k, vmsim_pid_t pid, int32_t delta, uint32_t *old_brk)
{
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    int64_t target = (int64_t)s->brk + delta;
    if (target < (int64_t)s->brk_start || target > (int64_t)VMSIM_USER_END)
        return VMSIM_ERR_INVALID;
    uint32_t before = s->brk;
    if (delta == 0) {
        if (old_brk)
            *old_brk = before;
        return VMSIM_OK;
    }
    vmsim_status_t rc = vmsim_brk(k, pid, (uint32_t)target, NULL);
    if (rc == VMSIM_OK && old_brk)
        *old_brk = before;
    return rc;
}
