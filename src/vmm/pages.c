/*
 * pages.c - mapping and unmapping pages: the page-table side of
 * regions.
 *
 * A user PTE the kernel writes is one of:
 *
 *     31            12 11  9 8 7 6 5 4 3 2 1 0
 *    +----------------+-----+-+-+-+-+-+-+-+-+-+
 *    | frame          |  N  | |0|D|A| | |U|W|P|     N = VMM_PTE_PROTNONE
 *    +----------------+-----+-+-+-+-+-+-+-+-+-+
 *
 *      P=1 U=1 W=1   a private page held only here, or a shared page
 *      P=1 U=1 W=0   read-only region, the zero frame, or copy-on-write
 *                    (a private page of a writable region whose frame
 *                    has other references)
 *      P=0 N=1       PROT_NONE: the frame is kept, every access faults
 *      P=0 S=1       swapped out: bits 31:12 are a swap slot (swap.c)
 *
 * A 4 MiB page is the same in a PDE with PS = 1.  vmm_pte_rights() is the
 * one place that decides W: it is what makes copy-on-write work, and what
 * the checker holds every PTE against.
 *
 * Page tables are allocated when the first page of a PD slot is mapped
 * (zeroed through their own view: the recursive mapping or the window,
 * which shows the new table as soon as its PDE is written) and freed
 * when no region overlaps the slot any more, as Linux's free_pgtables
 * does.  Every frame a PTE maps holds one reference for it, and one
 * reverse-map entry (except the zero frame, which is never copied or
 * swapped).
 */
#include "vmm_internal.h"

#include <string.h>

uint32_t vmm_pte_rights(vmsim_kernel_t *k, const struct vmm_region *r, uint32_t pfn, bool large)
{
    if (!(r->prot & (VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC)))
        return VMM_PTE_PROTNONE | (large ? VMSIM_PTE_PS : 0);
    uint32_t rights = VMSIM_PTE_P | VMSIM_PTE_US | (large ? VMSIM_PTE_PS : 0);
    if (!(r->prot & VMSIM_PROT_WRITE))
        return rights;
    if (r->flags & VMSIM_MAP_SHARED)
        return rights | VMSIM_PTE_RW;
    if (pfn != k->zero_pfn && vmm_page_exclusive(k, pfn))
        rights |= VMSIM_PTE_RW;
    return rights;
}

vmsim_status_t vmm_ensure_pt(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot)
{
    uint32_t pde = vmm_pde_read(k, s, slot);
    if (pde & VMSIM_PTE_P)
        return VMSIM_OK;
    uint32_t pt;
    vmsim_status_t rc = vmm_table_frame(k, VMSIM_FRAME_PAGE_TABLE, &pt);
    if (rc)
        return rc;
    vmm_pde_write(k, s, slot, (pt << 12) | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US);
    /* Not present before, so no view of this slot can be cached. */
    vmm_fill(k, vmm_pt_view(k, s, slot), 0, VMM_PAGE);
    s->n_page_tables++;
    return VMSIM_OK;
}

vmsim_status_t vmm_map_frame(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t pfn,
                             uint32_t pte_flags)
{
    vmsim_status_t rc = vmm_ensure_pt(k, s, vaddr >> 22);
    if (rc)
        return rc;
    if (pfn != k->zero_pfn) {
        rc = vmsim_pmm_rmap_add(k->pmm, pfn, s->pid, vaddr >> 12);
        if (rc)
            return rc;
    }
    vmm_pte_write(k, s, vaddr, (pfn << 12) | pte_flags);
    s->resident++;
    return VMSIM_OK;
}

void vmm_release_frame(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t entry)
{
    if (vmm_is_swap(entry)) {
        swap_entry_put(k, entry);
        s->swapped--;
        k->st.swapped_pages--;
        return;
    }
    uint32_t pfn = vmm_entry_pfn(entry);
    if (pfn != k->zero_pfn)
        vmsim_pmm_rmap_remove(k->pmm, pfn, s->pid, vaddr >> 12);
    if (k->pages && (entry & VMSIM_PTE_D))
        k->pages[pfn].dirty = true; /* the page was written through this mapping */
    vmm_page_put(k, pfn);
    s->resident--;
}

void vmm_release_large(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t head)
{
    uint32_t refs = 0;
    vmsim_pmm_rmap_remove(k->pmm, head, s->pid, vaddr >> 12);
    vmsim_pmm_refcount(k->pmm, head, &refs);
    if (refs <= 1)
        vmsim_pmm_free_run(k->pmm, head, VMM_LARGE_FRAMES);
    else
        vmsim_pmm_put(k->pmm, head, NULL);
    s->resident -= VMM_LARGE_FRAMES;
}

/* Unmap [lo, hi) of PD slot `slot` (a page table). */
static void unmap_in_pt(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, unsigned lo,
                        unsigned hi)
{
    uint32_t *pte = (uint32_t *)k->scratch;
    uint32_t view = vmm_pt_view(k, s, slot);
    uint32_t base = slot << 22;
    bool any = false;
    vmm_load_bytes(k, view + lo * 4, pte + lo, (hi - lo) * 4);
    for (unsigned i = lo; i < hi; i++) {
        if (!vmm_holds_frame(pte[i]) && !vmm_is_swap(pte[i]))
            continue;
        vmm_release_frame(k, s, base + i * VMM_PAGE, pte[i]);
        vmm_tlb_note(k, s, base + i * VMM_PAGE, pte[i]);
        any = true;
    }
    if (any)
        vmm_fill(k, view + lo * 4, 0, (hi - lo) * 4);
}

void vmm_unmap_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    for (unsigned slot = start >> 22; slot <= (end - 1) >> 22; slot++) {
        uint32_t base = slot << 22;
        uint32_t pde = vmm_pde_read(k, s, slot);
        if (vmm_is_large(pde)) {
            vmm_pde_write(k, s, slot, 0);
            vmm_tlb_note(k, s, base, pde);
            vmm_release_large(k, s, base, vmm_entry_pfn(pde));
        } else if (pde & VMSIM_PTE_P) {
            unsigned lo = start > base ? (start - base) >> 12 : 0;
            unsigned hi = end - base < (4u << 20) ? (end - base) >> 12 : 1024;
            unmap_in_pt(k, s, slot, lo, hi);
        }
    }
}

void vmm_free_unused_pts(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    for (unsigned slot = start >> 22; slot <= (end - 1) >> 22; slot++) {
        uint32_t base = slot << 22;
        if (vmm_region_overlaps(s, base, base + ((4u << 20) - 1)))
            continue;
        uint32_t pde = vmm_pde_read(k, s, slot);
        if (!(pde & VMSIM_PTE_P) || (pde & VMSIM_PTE_PS))
            continue;
        vmm_pde_write(k, s, slot, 0);
        vmm_pt_view_drop(k, s, slot, pde);
        vmsim_pmm_put(k->pmm, vmm_entry_pfn(pde), NULL);
        s->n_page_tables--;
    }
}

/* The new entry for a frame-holding entry `old` under region r; notes
 * the TLB when rights shrink. */
static uint32_t reprotect(vmsim_kernel_t *k, struct vmm_space *s, const struct vmm_region *r,
                          uint32_t vaddr, uint32_t old, bool large)
{
    uint32_t pfn = vmm_entry_pfn(old);
    uint32_t entry =
        (pfn << 12) | (old & (VMSIM_PTE_A | VMSIM_PTE_D)) | vmm_pte_rights(k, r, pfn, large);
    bool lost_p = (old & VMSIM_PTE_P) && !(entry & VMSIM_PTE_P);
    bool lost_w = (old & VMSIM_PTE_RW) && !(entry & VMSIM_PTE_RW);
    if (lost_p || lost_w)
        vmm_tlb_note(k, s, vaddr, old);
    return entry;
}

/* Re-derive the rights of every page of region r inside PD slot `slot`. */
static void protect_slot(vmsim_kernel_t *k, struct vmm_space *s, const struct vmm_region *r,
                         unsigned slot)
{
    uint32_t base = slot << 22;
    uint32_t pde = vmm_pde_read(k, s, slot);
    if (vmm_is_large(pde)) {
        uint32_t entry = reprotect(k, s, r, base, pde, true);
        if (entry != pde)
            vmm_pde_write(k, s, slot, entry);
        return;
    }
    if (!(pde & VMSIM_PTE_P))
        return;
    unsigned lo = r->start > base ? (r->start - base) >> 12 : 0;
    unsigned hi = r->end - base < (4u << 20) ? (r->end - base) >> 12 : 1024;
    uint32_t *pte = (uint32_t *)k->scratch;
    uint32_t view = vmm_pt_view(k, s, slot);
    bool changed = false;
    vmm_load_bytes(k, view + lo * 4, pte + lo, (hi - lo) * 4);
    for (unsigned i = lo; i < hi; i++) {
        if (!vmm_holds_frame(pte[i]))
            continue;
        uint32_t entry = reprotect(k, s, r, base + i * VMM_PAGE, pte[i], false);
        changed |= entry != pte[i];
        pte[i] = entry;
    }
    if (changed)
        vmm_store_bytes(k, view + lo * 4, pte + lo, (hi - lo) * 4);
}

void vmm_protect_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end)
{
    for (uint32_t i = vmm_region_first_after(s, start);
         i < s->n_regions && s->regions[i].start < end; i++) {
        const struct vmm_region *r = &s->regions[i];
        if (r->flags & VMSIM_MAP_RESERVE)
            continue;
        for (unsigned slot = r->start >> 22; slot <= (r->end - 1) >> 22; slot++)
            protect_slot(k, s, r, slot);
    }
}
