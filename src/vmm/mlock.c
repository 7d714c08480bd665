/*
 * mlock.c - locking pages in memory.
 *
 * A locked range is a set of regions with VMSIM_MAP_LOCKED: every page
 * of them is resident, and none is evicted, because a page mapped by a
 * locked region fails vmsim_page_evictable() (the reverse map says who
 * maps a frame, the region says whether that mapping is locked).  There
 * is no per-frame lock count to keep in step: a COW copy made inside a
 * locked region is locked by where it is mapped, and munmap or exit
 * unlocks by unmapping.
 *
 *   mlock(a, b)   check [a, b) is covered by committed 4 KiB regions and
 *                 that the process's locked pages stay within the limit;
 *                 fault every page in (swap-ins included), each pinned
 *                 until all are in, so bringing in one never evicts
 *                 another; only then split at a and b and set the flag.
 *
 * Any failure before the last step leaves the range unlocked (the pages
 * brought in stay resident, as after any fault): nothing half-locked.
 * fork does not inherit locks (the child's regions are unlocked), as in
 * POSIX.
 */
#include "vmm_internal.h"

bool vmm_page_locked(const vmsim_kernel_t *k, uint32_t pfn)
{
    const vmsim_pmm_t *p = k->pmm;
    for (uint32_t n = p->frames[pfn].rmap_head; n; n = p->rmap_pool[n].next) {
        const struct vmm_space *s = vmm_space_find(k, p->rmap_pool[n].pid);
        int i = s ? vmm_region_find(s, p->rmap_pool[n].vpn << 12) : -1;
        if (i >= 0 && (s->regions[i].flags & VMSIM_MAP_LOCKED))
            return true;
    }
    return false;
}

uint32_t vmm_locked_pages(const struct vmm_space *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_regions; i++)
        if (s->regions[i].flags & VMSIM_MAP_LOCKED)
            n += (s->regions[i].end - s->regions[i].start) / VMM_PAGE;
    return n;
}

/* Pages of [start, end) that are not locked yet; false when a hole, a
 * reserved or a 4 MiB region is in the way. */
static bool lockable(const struct vmm_space *s, uint32_t start, uint32_t end, uint32_t *n_new)
{
    *n_new = 0;
    if (!vmm_region_covers(s, start, end))
        return false;
    for (uint32_t i = vmm_region_first_after(s, start);
         i < s->n_regions && s->regions[i].start < end; i++) {
        const struct vmm_region *r = &s->regions[i];
        if (r->flags & (VMSIM_MAP_RESERVE | VMSIM_MAP_LARGE))
            return false;
        if (!(r->flags & VMSIM_MAP_LOCKED)) {
            uint32_t a = r->start > start ? r->start : start, b = r->end < end ? r->end : end;
            *n_new += (b - a) / VMM_PAGE;
        }
    }
    return true;
}

static uint32_t page_entry(vmsim_kernel_t *k, struct vmm_space *s, uint32_t va)
{
    uint32_t pde = vmm_pde_read(k, s, va >> 22);
    return (pde & VMSIM_PTE_P) ? vmm_pte_read(k, s, va) : 0;
}

/* Fault in every page of [start, end), pinning each; *n_pinned pages
 * from start are pinned on return (also on failure). */
static vmsim_status_t bring_in(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end,
                               uint32_t *n_pinned)
{
    *n_pinned = 0;
    for (uint32_t va = start; va < end; va += VMM_PAGE) {
        const struct vmm_region *r = &s->regions[vmm_region_find(s, va)];
        uint32_t pte = page_entry(k, s, va);
        /* Resident already (a PROT_NONE page too): kept as it is. */
        vmsim_status_t rc = vmm_holds_frame(pte) ? VMSIM_OK : vmm_populate_page(k, s, r, va);
        if (rc)
            return rc;
        pte = page_entry(k, s, va);
        if (!vmm_holds_frame(pte))
            return VMSIM_ERR_KERNEL;
        vmm_pin(k, vmm_entry_pfn(pte));
        (*n_pinned)++;
    }
    return VMSIM_OK;
}

static void unpin_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pte = vmm_pte_read(k, s, start + i * VMM_PAGE);
        if (vmm_holds_frame(pte))
            vmm_unpin(k, vmm_entry_pfn(pte));
    }
}

/* Set or clear LOCKED on the regions of [start, end) (split first). */
static void mark(struct vmm_space *s, uint32_t start, uint32_t end, bool lock)
{
    vmm_region_split_at(s, start);
    vmm_region_split_at(s, end);
    for (uint32_t i = vmm_region_first_after(s, start);
         i < s->n_regions && s->regions[i].start < end; i++) {
        struct vmm_region *r = &s->regions[i];
        r->flags = lock ? r->flags | VMSIM_MAP_LOCKED : r->flags & ~VMSIM_MAP_LOCKED;
    }
}

vmsim_status_t vmm_mlock(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    uint32_t n_new, n_pinned;
    if (!lockable(s, start, end, &n_new))
        return VMSIM_ERR_NOT_FOUND;
    if (k->cfg.max_locked_pages && (uint64_t)vmm_locked_pages(s) + n_new > k->cfg.max_locked_pages)
        return VMSIM_ERR_NO_SPACE;
    if (vmm_region_reserve(s, 2))
        return VMSIM_ERR_NOMEM;
    vmsim_status_t rc = bring_in(k, s, start, end, &n_pinned);
    unpin_range(k, s, start, n_pinned);
    if (rc == VMSIM_OK)
        mark(s, start, end, true);
    return rc == VMSIM_ERR_NOMEM || rc == VMSIM_ERR_NO_SWAP || rc == VMSIM_ERR_IO ||
                   rc == VMSIM_ERR_KERNEL
               ? rc
               : (rc ? VMSIM_ERR_NO_FRAMES : VMSIM_OK);
}

/* Check the arguments and find the space; the range in *end. */
static vmsim_status_t lock_args(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                                struct vmm_space **s, uint32_t *end)
{
    if (!k)
        return VMSIM_ERR_NULL;
    *s = vmm_space_find(k, pid);
    if (!*s)
        return VMSIM_ERR_NOT_FOUND;
    uint64_t e = (uint64_t)addr + (((uint64_t)len + VMM_PAGE - 1) & ~(uint64_t)(VMM_PAGE - 1));
    if ((addr & 0xfff) || len == 0 || e > VMSIM_USER_END)
        return VMSIM_ERR_INVALID;
    *end = (uint32_t)e;
    return VMSIM_OK;
}

vmsim_status_t vmsim_mlock(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len)
{
    struct vmm_space *s;
    uint32_t end;
    vmsim_status_t rc = lock_args(k, pid, addr, len, &s, &end);
    if (rc)
        return rc;
    vmm_enter(k);
    vmm_switch(k, s); /* populate through the process's own view */
    return vmm_leave(k, vmm_mlock(k, s, addr, end));
}

vmsim_status_t vmsim_munlock(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len)
{
    struct vmm_space *s;
    uint32_t end, n_new;
    vmsim_status_t rc = lock_args(k, pid, addr, len, &s, &end);
    if (rc)
        return rc;
    if (!lockable(s, addr, end, &n_new))
        return VMSIM_ERR_NOT_FOUND;
    if (vmm_region_reserve(s, 2))
        return VMSIM_ERR_NOMEM;
    mark(s, addr, end, false);
    return VMSIM_OK;
}
