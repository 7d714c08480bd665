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
 * VMSIM_ERR_NO_FRAMES); nothing is left half done except, possibly, an
 * empty page table, which belongs to a region and is freed with it.
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

/* A fresh zeroed frame with one reference. */
static vmsim_status_t fresh_frame(vmsim_kernel_t *k, uint32_t *pfn)
{
    vmsim_status_t rc = vmsim_pmm_alloc(k->pmm, 0, pfn);
    if (rc == VMSIM_OK)
        vmm_zero_frame(k, *pfn);
    return rc;
}

/* Map `pfn` (whose reference the caller passes) at the faulting page. */
static vmsim_status_t install(struct fault_ctx *c, uint32_t pfn)
{
    uint32_t rights = vmm_pte_rights(c->k, c->r, pfn, false);
    vmsim_status_t rc = vmm_map_frame(c->k, c->s, c->vaddr, pfn, rights);
    if (rc)
        vmsim_pmm_put(c->k->pmm, pfn, NULL);
    return rc;
}

/* The frame of a shared region's page, backed on first touch. */
static vmsim_status_t shared_page(struct fault_ctx *c)
{
    struct vmm_shm *shm = c->r->shm;
    uint32_t index = c->r->shm_pgoff + (c->vaddr - c->r->start) / VMM_PAGE;
    if (!shm->pfns[index]) {
        uint32_t pfn;
        vmsim_status_t rc = fresh_frame(c->k, &pfn);
        if (rc)
            return rc;
        shm->pfns[index] = pfn; /* the object's hold */
    }
    vmsim_status_t rc = vmsim_pmm_get(c->k->pmm, shm->pfns[index]);
    return rc ? rc : install(c, shm->pfns[index]);
}

static vmsim_kfault_kind_t not_present(struct fault_ctx *c, vmsim_status_t *rc)
{
    vmsim_kernel_t *k = c->k;
    uint32_t pfn;
    if (c->r->flags & VMSIM_MAP_SHARED) {
        *rc = shared_page(c);
        return VMSIM_KFAULT_SHARED;
    }
    if (!c->write && k->cfg.zero_page) {
        *rc = vmsim_pmm_get(k->pmm, k->zero_pfn);
        if (*rc == VMSIM_OK)
            *rc = install(c, k->zero_pfn);
        return VMSIM_KFAULT_ZERO_MAP;
    }
    *rc = fresh_frame(k, &pfn);
    if (*rc == VMSIM_OK)
        *rc = install(c, pfn);
    return VMSIM_KFAULT_DEMAND_ZERO;
}

/* Replace the frame of a present PTE by `pfn` (reference passed). */
static vmsim_status_t replace(struct fault_ctx *c, uint32_t pte, uint32_t pfn)
{
    uint32_t old = vmm_entry_pfn(pte);
    if (pfn != c->k->zero_pfn) {
        vmsim_status_t rc = vmsim_pmm_rmap_add(c->k->pmm, pfn, c->s->pid, c->vaddr >> 12);
        if (rc) {
            vmsim_pmm_put(c->k->pmm, pfn, NULL);
            return rc;
        }
    }
    uint32_t rights = vmm_pte_rights(c->k, c->r, pfn, false);
    vmm_pte_write(c->k, c->s, c->vaddr, (pfn << 12) | rights | (pte & VMSIM_PTE_A));
    c->s->resident++; /* release_frame takes it back */
    vmm_release_frame(c->k, c->s, c->vaddr, old);
    return VMSIM_OK;
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
        if (*rc == VMSIM_OK)
            *rc = replace(c, pte, copy);
        return VMSIM_KFAULT_ZERO_BREAK;
    }
    vmsim_pmm_refcount(k->pmm, pfn, &refs);
    if (refs == 1) {
        vmm_pte_write(k, c->s, c->vaddr, pte | VMSIM_PTE_RW);
        return VMSIM_KFAULT_COW_REUSE;
    }
    *rc = vmsim_pmm_alloc(k->pmm, 0, &copy);
    if (*rc == VMSIM_OK) {
        vmm_copy_frame(k, copy, pfn);
        *rc = replace(c, pte, copy);
    }
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
        return not_present(c, rc);
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
    default: break;
    }
}

static bool in_vmalloc(const vmsim_fault_t *f)
{
    return f->mode == VMSIM_SUPERVISOR && f->cr2 >= VMSIM_VMALLOC_BASE &&
           f->cr2 < VMSIM_VMALLOC_END && !(f->error_code & VMSIM_PF_RSVD);
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
    vmsim_kfault_kind_t kind = resolve(&c, rc);
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
