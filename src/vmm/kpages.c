/*
 * kpages.c - the kernel's own pages: mapping fresh frames into the
 * kernel half, and taking them out again with exactly the TLB
 * invalidations that needs.
 *
 * The kernel half's page tables were allocated at boot and are shared by
 * every page directory, so a kernel PTE written here is seen at once in
 * every address space and no directory ever needs syncing.  They are
 * reached, like any page table, through the recursive mapping of
 * whichever directory is current; the PTEs of consecutive pages are
 * consecutive words there, even across page tables:
 *
 *     PTE of v  at  0xFFC00000 + (v >> 12) * 4
 *
 *     heap / vmalloc page  v      kernel PT (shared)       frame
 *     D0003000 ------------------> [ 3: pfn 812 P RW G ] --> 812
 *                                    [ 4: 0               ]   not mapped
 *
 * A kernel page is P | RW (| G when the kernel runs with global pages);
 * never U, so a user access is a protection fault.  G keeps the entry in
 * the TLB across CR3 loads - which is why freeing a kernel page can
 * never rely on a CR3 reload and must INVLPG it (INVLPG drops global
 * entries too, SDM 4.10.4.1).
 *
 * Exactness.  An entry can be cached only if its PTE had A = 1 (SDM
 * 4.10.2.3).  Mapping writes PTEs that were not present, which nothing
 * can have cached: no INVLPG.  Unmapping INVLPGs a page only if its PTE
 * was accessed.  So a mapping that fails half-way is undone without a
 * single INVLPG (its PTEs were never used), and freeing an on-demand area
 * costs one INVLPG per page that was touched, none for the rest or for a
 * guard page.
 */
#include "kmem_internal.h"

static uint32_t pte_addr(uint32_t vaddr)
{
    return VMSIM_SELF_PT_BASE + (vaddr >> 12) * 4;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

uint32_t kpages_pte(vmsim_kernel_t *k, uint32_t vaddr)
{
    return vmm_load32(k, pte_addr(vaddr));
}

/* Map up to 1024 pages: frames first (all or none), then the PTEs in one
 * store. */
static vmsim_status_t map_chunk(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages)
{
    uint32_t *pte = k->kmem->words;
    uint32_t bits = VMSIM_PTE_P | VMSIM_PTE_RW | (k->cfg.global_kernel ? VMSIM_PTE_G : 0);
    for (uint32_t i = 0; i < n_pages; i++) {
        uint32_t pfn;
        vmsim_status_t rc = vmsim_pmm_alloc(k->pmm, VMSIM_FRAME_KERNEL, &pfn);
        if (rc) {
            for (uint32_t j = 0; j < i; j++)
                vmsim_pmm_put(k->pmm, vmm_entry_pfn(pte[j]), NULL);
            return rc;
        }
        pte[i] = (pfn << 12) | bits;
    }
    vmm_store_bytes(k, pte_addr(vaddr), pte, n_pages * 4);
    return VMSIM_OK;
}

vmsim_status_t kpages_map(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages)
{
    uint32_t done = 0;
    while (done < n_pages) {
        uint32_t n = min_u32(n_pages - done, 1024);
        vmsim_status_t rc = map_chunk(k, vaddr + done * VMM_PAGE, n);
        if (rc) {
            kpages_unmap(k, vaddr, done, NULL); /* never accessed: no INVLPG */
            return rc;
        }
        done += n;
    }
    return VMSIM_OK;
}

/* Unmap up to 1024 pages; returns frames freed. */
static uint32_t unmap_chunk(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages, uint32_t *n_inv)
{
    uint32_t *pte = k->kmem->words, freed = 0;
    bool any = false;
    vmm_load_bytes(k, pte_addr(vaddr), pte, n_pages * 4);
    for (uint32_t i = 0; i < n_pages && !any; i++)
        any = pte[i] & VMSIM_PTE_P;
    if (!any)
        return 0;
    /* Clear the PTEs first, then drop what the TLB may hold, then free
     * the frames: no stale entry can reach a frame that is free. */
    vmm_fill(k, pte_addr(vaddr), 0, n_pages * 4);
    for (uint32_t i = 0; i < n_pages; i++) {
        if (!(pte[i] & VMSIM_PTE_P))
            continue;
        if ((pte[i] & VMSIM_PTE_A) && !(k->cfg.bugs & VMSIM_BUG_SKIP_INVLPG)) {
            vmm_invlpg(k, vaddr + i * VMM_PAGE);
            (*n_inv)++;
        }
        vmsim_pmm_put(k->pmm, vmm_entry_pfn(pte[i]), NULL);
        freed++;
    }
    return freed;
}

uint32_t kpages_unmap(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages, uint32_t *n_invlpg)
{
    uint32_t freed = 0, inv = 0;
    for (uint32_t done = 0; done < n_pages; done += 1024) {
        uint32_t n = min_u32(n_pages - done, 1024);
        freed += unmap_chunk(k, vaddr + done * VMM_PAGE, n, &inv);
    }
    if (n_invlpg)
        *n_invlpg = inv;
    return freed;
}
