/*
 * fork.c - copying an address space, copy-on-write.
 *
 * fork copies page tables, not pages.  For every page the parent maps:
 *
 *     parent PTE               child PTE             frame
 *     P W  (private, RW)  ->   P -  in both          refcount + 1   COW
 *     P -  (read-only)    ->   P -                   refcount + 1
 *     P W  (shared)       ->   P W                   refcount + 1
 *     N    (PROT_NONE)    ->   N                     refcount + 1
 *     S    (swapped)      ->   S                     slot count + 1
 *
 * The first write to a COW page faults in whichever process makes it;
 * fault.c copies the frame, or - if the other side has already let go
 * and the count is back to 1 - simply sets W again.
 *
 * The parent is current (fork runs in the parent, so it is switched to
 * first if needed): its tables are read and written through the
 * recursive mapping, a whole page table per access, and every PTE that
 * loses W while it may be cached (A = 1) joins the TLB batch - the one
 * INVLPG per page that fork really needs, or one CR3 reload when there
 * are many.  The child's tables are written through the foreign window
 * and need no invalidation at all: nothing of the child is in the TLB.
 *
 * On failure (no frame for a page table, host memory) the child is
 * destroyed, which releases exactly the references it had taken; the
 * parent keeps read-only PTEs for some private pages, which is harmless:
 * a write finds refcount 1 and takes the COW-reuse path.
 */
#include "vmm_internal.h"

#include <string.h>

struct fork_ctx {
    vmsim_kernel_t *k;
    struct vmm_space *parent, *child;
    int region; /* region of the last page looked at (a cache) */
};

static const struct vmm_region *region_of(struct fork_ctx *c, uint32_t vaddr)
{
    const struct vmm_space *s = c->parent;
    if (c->region < 0 || s->regions[c->region].start > vaddr || s->regions[c->region].end <= vaddr)
        c->region = vmm_region_find(s, vaddr);
    return c->region < 0 ? NULL : &s->regions[c->region];
}

/* The parent's entry after fork, for a frame-holding entry. */
static uint32_t parent_entry(struct fork_ctx *c, const struct vmm_region *r, uint32_t entry)
{
    if (!r || (r->flags & VMSIM_MAP_SHARED) || !(entry & VMSIM_PTE_RW))
        return entry;
    if (c->k->cfg.bugs & VMSIM_BUG_COW_NO_RO)
        return entry;
    return entry & ~VMSIM_PTE_RW;
}

/* Share one frame with the child: a reference and a reverse-map entry. */
static vmsim_status_t share(struct fork_ctx *c, uint32_t pfn, uint32_t vaddr)
{
    vmsim_kernel_t *k = c->k;
    vmsim_status_t rc = VMSIM_OK;
    if (!(k->cfg.bugs & VMSIM_BUG_FORK_NO_REF))
        rc = vmsim_pmm_get(k->pmm, pfn);
    if (rc == VMSIM_OK && pfn != k->zero_pfn) {
        rc = vmsim_pmm_rmap_add(k->pmm, pfn, c->child->pid, vaddr >> 12);
        if (rc && !(k->cfg.bugs & VMSIM_BUG_FORK_NO_REF))
            vmsim_pmm_put(k->pmm, pfn, NULL);
    }
    return rc;
}

static vmsim_status_t fork_large(struct fork_ctx *c, unsigned slot, uint32_t pde)
{
    uint32_t base = slot << 22;
    uint32_t after = parent_entry(c, region_of(c, base), pde);
    vmsim_status_t rc = share(c, vmm_entry_pfn(pde), base);
    if (rc)
        return rc;
    if (after != pde) {
        vmm_pde_write(c->k, c->parent, slot, after);
        vmm_tlb_note(c->k, c->parent, base, pde);
    }
    vmm_pde_write(c->k, c->child, slot, after & ~VMSIM_PTE_A);
    c->child->resident += VMM_LARGE_FRAMES;
    return VMSIM_OK;
}

/* Copy page table `slot`: child[] is built in scratch2 and written even
 * after a failure, so that destroying the child releases what it holds. */
static vmsim_status_t fork_pt(struct fork_ctx *c, unsigned slot)
{
    vmsim_kernel_t *k = c->k;
    uint32_t *pt = (uint32_t *)k->scratch, *child = (uint32_t *)k->scratch2;
    uint32_t base = slot << 22, pt_pfn;
    vmsim_status_t rc = vmsim_pmm_alloc(k->pmm, VMSIM_FRAME_PAGE_TABLE, &pt_pfn);
    if (rc)
        return rc;
    vmm_pde_write(k, c->child, slot, (pt_pfn << 12) | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US);
    c->child->n_page_tables++;
    vmm_load_bytes(k, vmm_pt_view(k, c->parent, slot), pt, VMM_PAGE);
    memset(child, 0, VMM_PAGE);
    bool changed = false;
    for (unsigned i = 0; i < 1024 && rc == VMSIM_OK; i++) {
        uint32_t vaddr = base + i * VMM_PAGE;
        if (vmm_is_swap(pt[i])) {
            swap_get(k, vmm_swap_slot(pt[i]));
            child[i] = pt[i];
            c->child->swapped++;
            k->st.swapped_pages++;
            continue;
        }
        if (!vmm_holds_frame(pt[i]))
            continue;
        rc = share(c, vmm_entry_pfn(pt[i]), vaddr);
        if (rc)
            break;
        uint32_t after = parent_entry(c, region_of(c, vaddr), pt[i]);
        if (after != pt[i]) {
            vmm_tlb_note(k, c->parent, vaddr, pt[i]);
            pt[i] = after;
            changed = true;
        }
        child[i] = after & ~VMSIM_PTE_A;
        c->child->resident++;
    }
    if (changed)
        vmm_store_bytes(k, vmm_pt_view(k, c->parent, slot), pt, VMM_PAGE);
    vmm_store_bytes(k, vmm_pt_view(k, c->child, slot), child, VMM_PAGE);
    return rc;
}

static vmsim_status_t fork_tables(struct fork_ctx *c)
{
    uint32_t pd[VMM_PD_USER_SLOTS];
    vmm_load_bytes(c->k, VMSIM_SELF_PD, pd, sizeof pd);
    for (unsigned slot = 0; slot < VMM_PD_USER_SLOTS; slot++) {
        vmsim_status_t rc = VMSIM_OK;
        if (vmm_is_large(pd[slot]))
            rc = fork_large(c, slot, pd[slot]);
        else if (pd[slot] & VMSIM_PTE_P)
            rc = fork_pt(c, slot);
        if (rc)
            return rc;
    }
    return VMSIM_OK;
}

static vmsim_status_t do_fork(vmsim_kernel_t *k, struct vmm_space *parent, vmsim_pid_t *out)
{
    struct vmm_space *child;
    vmm_switch(k, parent);
    vmsim_status_t rc = vmm_space_new(k, &child);
    if (rc)
        return rc;
    rc = vmm_regions_copy(child, parent);
    if (rc == VMSIM_OK) {
        struct fork_ctx c = {k, parent, child, -1};
        child->brk_start = parent->brk_start;
        child->brk = parent->brk;
        rc = fork_tables(&c);
    }
    if (rc) {
        k->st.processes_created--;
        vmm_space_destroy(k, child);
        return rc == VMSIM_ERR_NOMEM ? rc : (rc == VMSIM_ERR_INVALID ? VMSIM_ERR_NO_SPACE : rc);
    }
    k->st.forks++;
    *out = child->pid;
    return VMSIM_OK;
}

vmsim_status_t vmsim_proc_fork(vmsim_kernel_t *k, vmsim_pid_t parent, vmsim_pid_t *child)
{
    if (!k || !child)
        return VMSIM_ERR_NULL;
    struct vmm_space *p = vmm_space_find(k, parent);
    if (!p)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmsim_status_t rc = do_fork(k, p, child);
    return vmm_leave(k, rc);
}
