/*
 * fault.c - the page-fault handler the kernel registers with the MMU.
 *
 * The MMU calls it with the fault as a value (CR2, error code); it
 * decides, fixes the tables, and asks for a retry, or leaves the fault
 * to the caller:
 *
 *   fault(cr2, err)
 *     |
 *     +- supervisor, cr2 in the vmalloc range ----- vmalloc.c: an on-demand
 *     |    area's page gets a fresh zeroed frame (VMALLOC); a guard page
 *     |    is GUARD, a freed or never-allocated page KERNEL
 *     +- cr2 in the kernel half --------- user: SEGV   supervisor: KERNEL
 *     +- no region, reserved, or the access is not allowed ------- SEGV
 *     +- 4 MiB region, PDE empty ----- allocate a 1024-frame run, zero it
 *     +- PTE a swap entry (swap.c) ---- the slot's frame if still cached
 *     |    (SWAP_CACHE), else a frame read back from it (SWAP_IN); slot 0:
 *     |    a zeroed frame (ZERO_RELOAD); a write then goes on as below
 *     +- PTE empty (P = 0)
 *     |    shared region -------------------- the object's frame (SHARED)
 *     |    private, write (or no zero page) ---- fresh zeroed frame (DEMAND_ZERO)
 *     |    private, read/fetch ------------ the zero frame, read-only (ZERO_MAP)
 *     +- PTE present, write to read-only
 *          zero frame ------------------- fresh zeroed frame (ZERO_BREAK)
 *          refcount 1 ------------------- just set W (COW_REUSE)
 *          refcount > 1 ----------------- copy into a fresh frame (COW_COPY)
 *
 * No INVLPG for the faulting page: the #PF already dropped its TLB
 * entries (SDM 4.10.4.1), and a PTE that was not present was never
 * cached.  The handler's own accesses (page-table edits, zeroing through
 * the temp slots) are counted in the kernel statistics bank.  When a
 * frame cannot be had, the fault is returned as OOM (status
 * VMSIM_ERR_NO_FRAMES, or with swap VMSIM_ERR_NO_SWAP / VMSIM_ERR_IO when
 * the victim could not be written or the page not read); nothing is left
 * half done except, possibly, an empty page table, which belongs to a
 * region and is freed with it.
 *
 * With swap, a frame may come from evicting another page (reclaim.c).
 * The pages this fault must keep are pinned while it runs: the first
 * page of a page-crossing access whose second page faulted (its
 * translation is part of the access in flight), and the page a
 * copy-on-write copy reads from.
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

struct fault_ctx {
    vmsim_kernel_t *k;
    struct vmm_space *s;
    const struct vmm_region *r;
    uint32_t vaddr; /* page base */
    bool write;
};

static vmsim_kfault_kind_t segv(const vmsim_fault_t *f)
{
    return f->mode == VMSIM_SUPERVISOR ? VMSIM_KFAULT_KERNEL : VMSIM_KFAULT_SEGV;
}

static bool access_allowed(const struct vmm_region *r, vmsim_access_t access)
{
    if (r->flags & VMSIM_MAP_RESERVE)
        return false;
    if (access == VMSIM_WRITE)
        return r->prot & VMSIM_PROT_WRITE;
    /* 32-bit paging cannot refuse a fetch from a readable page. */
    return r->prot & (VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC);
}

/* A fresh zeroed frame with one reference (perhaps another page's,
 * evicted for it). */
static vmsim_status_t fresh_frame(vmsim_kernel_t *k, uint32_t *pfn)
{
    return vmm_user_frame(k, true, pfn);
}

/* Map `pfn` (whose reference the caller passes) at the faulting page,
 * over whatever entry is there (empty or a swap entry, whose slot
 * reference the caller deals with). */
static vmsim_status_t install(struct fault_ctx *c, uint32_t pfn)
{
    uint32_t rights = vmm_pte_rights(c->k, c->r, pfn, false);
    vmm_pin(c->k, pfn); /* a page table for it may evict a page: not this one */
    vmsim_status_t rc = vmm_map_frame(c->k, c->s, c->vaddr, pfn, rights);
    vmm_unpin(c->k, pfn);
    if (rc)
        vmm_page_put(c->k, pfn);
    return rc;
}

/* A frame holding the page that lives in `slot`: the swap cache's, or a
 * new one read from the slot (*major).  Returns the frame with one
 * reference for the caller. */
static vmsim_status_t slot_frame(vmsim_kernel_t *k, uint32_t slot, uint32_t *pfn, bool *major)
{
    *major = false;
    *pfn = swap_cache_pfn(k, slot);
    if (*pfn)
        return vmsim_pmm_get(k->pmm, *pfn);
    vmsim_status_t rc = vmm_user_frame(k, false, pfn);
    if (rc)
        return rc;
    rc = swap_read(k, slot, *pfn);
    if (rc) {
        vmm_page_put(k, *pfn);
        return rc;
    }
    *major = true;
    swap_cache_add(k, slot, *pfn);
    vmm_page_loaded(k, *pfn, false);
    return VMSIM_OK;
}

/* The faulting PTE was a swap entry and now maps a frame: its slot
 * reference goes. */
static void swap_entry_done(struct fault_ctx *c, uint32_t old)
{
    if (vmm_is_swap(old)) {
        swap_entry_put(c->k, old);
        c->s->swapped--;
        c->k->st.swapped_pages--;
    }
}

/* Bring a shared object's page `index` into a frame (the object's hold). */
static vmsim_status_t shm_back(vmsim_kernel_t *k, struct vmm_shm *shm, uint32_t index,
                               vmsim_kfault_kind_t *kind)
{
    uint32_t v = shm->pfns[index], pfn;
    bool major = false;
    vmsim_status_t rc;
    if (v && !(v & VMM_SHM_SWAPPED))
        return VMSIM_OK;
    if (v) {
        rc = slot_frame(k, v & ~VMM_SHM_SWAPPED, &pfn, &major);
        *kind = major ? VMSIM_KFAULT_SWAP_IN : VMSIM_KFAULT_SWAP_CACHE;
    } else {
        rc = fresh_frame(k, &pfn);
    }
    if (rc)
        return rc;
    shm->pfns[index] = pfn;
    if (k->pages) {
        swap_put(k, v & ~VMM_SHM_SWAPPED);
        vmm_page_loaded(k, pfn, !v);
        k->pages[pfn].shm = shm;
        k->pages[pfn].shm_index = index;
    }
    return VMSIM_OK;
}

/* The frame of a shared region's page, backed on first touch. */
static vmsim_status_t shared_page(struct fault_ctx *c, uint32_t old, vmsim_kfault_kind_t *kind)
{
    struct vmm_shm *shm = c->r->shm;
    uint32_t index = c->r->shm_pgoff + (c->vaddr - c->r->start) / VMM_PAGE;
    vmsim_status_t rc = shm_back(c->k, shm, index, kind);
    if (rc == VMSIM_OK)
        rc = vmsim_pmm_get(c->k->pmm, shm->pfns[index]);
    if (rc == VMSIM_OK)
        rc = install(c, shm->pfns[index]);
    if (rc == VMSIM_OK)
        swap_entry_done(c, old);
    return rc;
}

static vmsim_kfault_kind_t write_protected(struct fault_ctx *c, uint32_t pte, vmsim_status_t *rc);

/* A private page whose PTE is a swap entry. */
static vmsim_kfault_kind_t swap_in(struct fault_ctx *c, uint32_t old, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t slot = vmm_swap_slot(old), pfn;
    bool major = false;
    vmsim_kfault_kind_t kind = VMSIM_KFAULT_ZERO_RELOAD;
    if (slot) {
        *rc = slot_frame(k, slot, &pfn, &major);
        kind = major ? VMSIM_KFAULT_SWAP_IN : VMSIM_KFAULT_SWAP_CACHE;
    } else {
        *rc = fresh_frame(k, &pfn);
        if (*rc == VMSIM_OK)
            vmm_page_loaded(k, pfn, true);
    }
    if (*rc)
        return kind;
    swap_put(k, slot); /* before install: the rights see who else names the slot */
    *rc = install(c, pfn);
    if (*rc) {
        swap_get(k, slot);
        return kind;
    }
    c->s->swapped--;
    k->st.swapped_pages--;
    uint32_t pte = vmm_pte_read(k, c->s, c->vaddr);
    if (c->write && (pte & VMSIM_PTE_P) && !(pte & VMSIM_PTE_RW))
        write_protected(c, pte, rc); /* one fault per page: finish the write's COW now */
    return kind;
}

static vmsim_kfault_kind_t not_present(struct fault_ctx *c, uint32_t old, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t pfn;
    if (c->r->flags & VMSIM_MAP_SHARED) {
        vmsim_kfault_kind_t kind = VMSIM_KFAULT_SHARED;
        *rc = shared_page(c, old, &kind);
        return kind;
    }
    if (vmm_is_swap(old))
        return swap_in(c, old, rc);
    if (!c->write && k->cfg.zero_page) {
        *rc = vmsim_pmm_get(k->pmm, k->zero_pfn);
        if (*rc == VMSIM_OK)
            *rc = install(c, k->zero_pfn);
        return VMSIM_KFAULT_ZERO_MAP;
    }
    *rc = fresh_frame(k, &pfn);
    if (*rc == VMSIM_OK) {
        vmm_page_loaded(k, pfn, true);
        *rc = install(c, pfn);
    }
    return VMSIM_KFAULT_DEMAND_ZERO;
}

/* Replace the frame of a present PTE by `pfn` (reference passed). */
static vmsim_status_t replace(struct fault_ctx *c, uint32_t pte, uint32_t pfn)
{
    if (pfn != c->k->zero_pfn) {
        vmsim_status_t rc = vmsim_pmm_rmap_add(c->k->pmm, pfn, c->s->pid, c->vaddr >> 12);
        if (rc) {
            vmm_page_put(c->k, pfn);
            return rc;
        }
    }
    uint32_t rights = vmm_pte_rights(c->k, c->r, pfn, false);
    vmm_pte_write(c->k, c->s, c->vaddr, (pfn << 12) | rights | (pte & VMSIM_PTE_A));
    c->s->resident++; /* release_frame takes it back */
    vmm_release_frame(c->k, c->s, c->vaddr, pte);
    return VMSIM_OK;
}

/* A copy of frame src for the faulting page: src is pinned while a frame
 * is found, which may evict another page. */
static vmsim_status_t cow_copy(struct fault_ctx *c, uint32_t pte, uint32_t src)
{
    uint32_t copy;
    vmm_pin(c->k, src);
    vmsim_status_t rc = vmm_user_frame(c->k, false, &copy);
    vmm_unpin(c->k, src);
    if (rc)
        return rc;
    vmm_copy_frame(c->k, copy, src);
    vmm_page_loaded(c->k, copy, false);
    return replace(c, pte, copy);
}

static vmsim_kfault_kind_t write_protected(struct fault_ctx *c, uint32_t pte, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t pfn = vmm_entry_pfn(pte), refs = 0, copy;
    *rc = VMSIM_OK;
    if (pte & VMSIM_PTE_RW)
        return VMSIM_KFAULT_SPURIOUS;
    if (c->r->flags & VMSIM_MAP_SHARED) {
        vmm_pte_write(k, c->s, c->vaddr, pte | VMSIM_PTE_RW);
        return VMSIM_KFAULT_SPURIOUS;
    }
    if (pfn == k->zero_pfn) {
        *rc = fresh_frame(k, &copy);
        if (*rc == VMSIM_OK) {
            vmm_page_loaded(k, copy, true);
            *rc = replace(c, pte, copy);
        }
        return VMSIM_KFAULT_ZERO_BREAK;
    }
    vmsim_pmm_refcount(k->pmm, pfn, &refs);
    if (refs == 1 && vmm_page_exclusive(k, pfn)) {
        vmm_pte_write(k, c->s, c->vaddr, pte | VMSIM_PTE_RW);
        return VMSIM_KFAULT_COW_REUSE;
    }
    *rc = cow_copy(c, pte, pfn);
    return VMSIM_KFAULT_COW_COPY;
}

/* --- 4 MiB pages --- */

/* A zeroed run mapped at the faulting 4 MiB page.  It is zeroed through
 * the user address itself (a 4 MiB page does not fit a 4 KiB temp slot),
 * writable for that, then made read-only if the region is. */
static vmsim_kfault_kind_t large_fresh(struct fault_ctx *c, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t head, slot = c->vaddr >> 22;
    *rc = vmsim_pmm_alloc_run(k->pmm, VMM_LARGE_FRAMES, VMM_LARGE_FRAMES, VMSIM_FRAME_TAIL, &head);
    if (*rc)
        return VMSIM_KFAULT_DEMAND_ZERO;
    vmsim_pmm_clear_flags(k->pmm, head, VMSIM_FRAME_TAIL);
    vmsim_pmm_set_flags(k->pmm, head, VMSIM_FRAME_LARGE);
    *rc = vmsim_pmm_rmap_add(k->pmm, head, c->s->pid, (slot << 22) >> 12);
    if (*rc) {
        vmsim_pmm_free_run(k->pmm, head, VMM_LARGE_FRAMES);
        return VMSIM_KFAULT_OOM;
    }
    uint32_t rights = vmm_pte_rights(k, c->r, head, true);
    uint32_t pde = (head << 12) | VMSIM_PTE_P | VMSIM_PTE_US | VMSIM_PTE_RW | VMSIM_PTE_PS;
    if (c->s != k->current) {
        /* populating another process: its addresses are not reachable */
        for (uint32_t i = 0; i < VMM_LARGE_FRAMES; i++)
            vmm_zero_frame(k, head + i);
        vmm_pde_write(k, c->s, slot, (head << 12) | rights);
    } else {
        vmm_tlb_sync(k); /* no stale user entry may serve the zeroing */
        vmm_pde_write(k, c->s, slot, pde);
        vmm_fill(k, slot << 22, 0, 4u << 20);
        if (!(rights & VMSIM_PTE_RW) || !(rights & VMSIM_PTE_P)) {
            vmm_pde_write(k, c->s, slot, (head << 12) | rights);
            vmm_invlpg(k, slot << 22); /* the zeroing cached it writable */
        }
    }
    c->s->resident += VMM_LARGE_FRAMES;
    return VMSIM_KFAULT_DEMAND_ZERO;
}

/* Write to a read-only 4 MiB page of a writable private region. */
static vmsim_kfault_kind_t large_cow(struct fault_ctx *c, uint32_t pde, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t head = vmm_entry_pfn(pde), refs = 0, copy, slot = c->vaddr >> 22;
    vmsim_pmm_refcount(k->pmm, head, &refs);
    *rc = VMSIM_OK;
    if (refs == 1) {
        vmm_pde_write(k, c->s, slot, pde | VMSIM_PTE_RW);
        return VMSIM_KFAULT_COW_REUSE;
    }
    uint8_t *buf = malloc(4u << 20);
    *rc = buf ? vmsim_pmm_alloc_run(k->pmm, VMM_LARGE_FRAMES, VMM_LARGE_FRAMES, VMSIM_FRAME_TAIL,
                                    &copy)
              : VMSIM_ERR_NOMEM;
    if (*rc == VMSIM_OK) {
        vmsim_pmm_clear_flags(k->pmm, copy, VMSIM_FRAME_TAIL);
        vmsim_pmm_set_flags(k->pmm, copy, VMSIM_FRAME_LARGE);
        *rc = vmsim_pmm_rmap_add(k->pmm, copy, c->s->pid, (slot << 22) >> 12);
        if (*rc)
            vmsim_pmm_free_run(k->pmm, copy, VMM_LARGE_FRAMES);
    }
    if (*rc == VMSIM_OK) {
        /* Copy through the user address: read the old page, point the
         * PDE at the copy, drop the entry the read cached, write. */
        vmm_tlb_sync(k);
        vmm_load_bytes(k, slot << 22, buf, 4u << 20);
        vmm_pde_write(k, c->s, slot,
                      (copy << 12) | (pde & VMSIM_PTE_A) | VMSIM_PTE_P | VMSIM_PTE_US |
                          VMSIM_PTE_RW | VMSIM_PTE_PS);
        vmm_invlpg(k, slot << 22);
        vmm_store_bytes(k, slot << 22, buf, 4u << 20);
        c->s->resident += VMM_LARGE_FRAMES;
        vmm_release_large(k, c->s, slot << 22, head);
    }
    free(buf);
    return VMSIM_KFAULT_COW_COPY;
}

static vmsim_kfault_kind_t resolve_large(struct fault_ctx *c, vmsim_status_t *rc)
{
    uint32_t pde = vmm_pde_read(c->k, c->s, c->vaddr >> 22);
    c->k->st.faults_large++;
    if (!vmm_holds_frame(pde))
        return large_fresh(c, rc);
    *rc = VMSIM_OK;
    if (!c->write || (pde & VMSIM_PTE_RW))
        return VMSIM_KFAULT_SPURIOUS;
    return large_cow(c, pde, rc);
}

/* Resolve an allowed access to c->vaddr.  Returns the kind; *rc is
 * VMSIM_OK when the tables now allow the access. */
static vmsim_kfault_kind_t resolve(struct fault_ctx *c, vmsim_status_t *rc)
{
    if (c->r->flags & VMSIM_MAP_LARGE)
        return resolve_large(c, rc);
    uint32_t pde = vmm_pde_read(c->k, c->s, c->vaddr >> 22);
    uint32_t pte = (pde & VMSIM_PTE_P) ? vmm_pte_read(c->k, c->s, c->vaddr) : 0;
    if (!(pte & VMSIM_PTE_P))
        return not_present(c, pte, rc);
    *rc = VMSIM_OK;
    if (!c->write)
        return VMSIM_KFAULT_SPURIOUS;
    return write_protected(c, pte, rc);
}

vmsim_status_t vmm_populate_page(vmsim_kernel_t *k, struct vmm_space *s, const struct vmm_region *r,
                                 uint32_t vaddr)
{
    struct fault_ctx c = {k, s, r, vaddr & ~0xfffu, (r->prot & VMSIM_PROT_WRITE) != 0};
    vmsim_status_t rc;
    resolve(&c, &rc);
    return rc;
}

static void count(vmsim_kernel_t *k, vmsim_kfault_kind_t kind)
{
    vmsim_kernel_stats_t *st = &k->st;
    switch (kind) {
    case VMSIM_KFAULT_DEMAND_ZERO: st->faults_demand_zero++; break;
    case VMSIM_KFAULT_ZERO_MAP: st->faults_zero_map++; break;
    case VMSIM_KFAULT_ZERO_BREAK: st->faults_zero_break++; break;
    case VMSIM_KFAULT_COW_COPY: st->faults_cow_copy++; break;
    case VMSIM_KFAULT_COW_REUSE: st->faults_cow_reuse++; break;
    case VMSIM_KFAULT_SHARED: st->faults_shared++; break;
    case VMSIM_KFAULT_SPURIOUS: st->faults_spurious++; break;
    case VMSIM_KFAULT_SEGV: st->faults_segv++; break;
    case VMSIM_KFAULT_KERNEL: st->faults_kernel++; break;
    case VMSIM_KFAULT_OOM: st->faults_oom++; break;
    case VMSIM_KFAULT_VMALLOC: st->faults_vmalloc++; break;
    case VMSIM_KFAULT_GUARD:
        st->faults_guard++;
        st->faults_kernel++;
        break;
    case VMSIM_KFAULT_SWAP_IN: st->faults_swap_in++; break;
    case VMSIM_KFAULT_SWAP_CACHE: st->faults_swap_cache++; break;
    case VMSIM_KFAULT_ZERO_RELOAD: st->faults_zero_reload++; break;
    default: break;
    }
}

static bool in_vmalloc(const vmsim_fault_t *f)
{
    return f->mode == VMSIM_SUPERVISOR && f->cr2 >= VMSIM_VMALLOC_BASE &&
           f->cr2 < VMSIM_VMALLOC_END && !(f->error_code & VMSIM_PF_RSVD);
}

/* Pin the frame of the access's first page when the fault is on its
 * second: that page's translation is part of the access in flight, and
 * evicting it would make the restarted access fault again (or, on a CPU
 * that kept the translation, write into a frame now another page's).
 * Returns the pinned frame, 0 when none. */
static uint32_t pin_access(vmsim_kernel_t *k, struct vmm_space *s, const vmsim_fault_t *f)
{
    uint32_t first = f->access_vaddr & ~0xfffu;
    if (!k->pages || !f->access_size || first == (f->cr2 & ~0xfffu))
        return 0;
    uint32_t pde = vmm_pde_read(k, s, first >> 22);
    uint32_t pte = (pde & VMSIM_PTE_P) && !(pde & VMSIM_PTE_PS) ? vmm_pte_read(k, s, first) : 0;
    if (!vmm_holds_frame(pte))
        return 0;
    vmm_pin(k, vmm_entry_pfn(pte));
    return vmm_entry_pfn(pte);
}

static vmsim_kfault_kind_t judge(vmsim_kernel_t *k, const vmsim_fault_t *f, vmsim_status_t *rc)
{
    struct vmm_space *s = k->current;
    if (in_vmalloc(f))
        return vmalloc_fault(k, f, rc);
    *rc = VMSIM_ERR_SEGV;
    if (f->cr2 >= VMSIM_USER_END || s == &k->kspace || (f->error_code & VMSIM_PF_RSVD))
        return segv(f);
    int i = vmm_region_find(s, f->cr2);
    if (i < 0 || !access_allowed(&s->regions[i], f->access))
        return segv(f);
    struct fault_ctx c = {k, s, &s->regions[i], f->cr2 & ~0xfffu, f->access == VMSIM_WRITE};
    uint32_t pinned = pin_access(k, s, f);
    vmsim_kfault_kind_t kind = resolve(&c, rc);
    vmm_unpin(k, pinned);
    if (*rc == VMSIM_ERR_NO_SWAP || *rc == VMSIM_ERR_IO)
        return VMSIM_KFAULT_OOM;
    if (*rc == VMSIM_ERR_NO_FRAMES || *rc == VMSIM_ERR_NOMEM || kind == VMSIM_KFAULT_OOM) {
        *rc = VMSIM_ERR_NO_FRAMES;
        return VMSIM_KFAULT_OOM;
    }
    return kind;
}

vmsim_fault_action_t vmm_fault_handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    vmsim_kernel_t *k = user;
    vmsim_status_t rc;
    (void)m;
    k->handler_calls++;
    k->st.faults++;
    vmm_enter(k);
    vmsim_kfault_kind_t kind = judge(k, f, &rc);
    rc = vmm_leave(k, rc);
    if (kind == VMSIM_KFAULT_SEGV || kind == VMSIM_KFAULT_KERNEL || kind == VMSIM_KFAULT_GUARD)
        rc = kind == VMSIM_KFAULT_SEGV ? VMSIM_ERR_SEGV : VMSIM_ERR_KERNEL;
    count(k, kind);
    if (rc == VMSIM_OK)
        *(kind == VMSIM_KFAULT_SWAP_IN ? &k->st.faults_major : &k->st.faults_minor) += 1;
    vmsim_kfault_t *lf = &k->last_fault;
    lf->kind = kind;
    lf->pid = k->current ? k->current->pid : 0;
    lf->cr2 = f->cr2;
    lf->error_code = f->error_code;
    lf->access = f->access;
    lf->mode = f->mode;
    lf->status = rc;
    vmm_fault_detail(k, lf);
    return rc == VMSIM_OK ? VMSIM_FAULT_RETRY : VMSIM_FAULT_UNHANDLED;
}

vmsim_status_t vmsim_kernel_last_fault(const vmsim_kernel_t *k, vmsim_kfault_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    *out = k->last_fault;
    return VMSIM_OK;
}
