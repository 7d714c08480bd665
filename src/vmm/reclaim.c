/*
 * reclaim.c - page replacement: which user pages are resident, which
 * one goes when a frame is needed, and how it goes.
 *
 * With swap configured the kernel keeps a record per frame (struct
 * vmm_page) of every resident 4 KiB user page: private, shared, heap.
 * A page is "tracked" from the moment a fault (or populate, or mlock)
 * maps it into a fresh frame until the frame is freed or evicted; the
 * policy hears of both (loaded / unloaded).  The zero frame, page
 * tables, slabs, vmalloc areas and 4 MiB pages are never tracked, so
 * never evicted; cfg.max_user_frames counts tracked pages only.
 *
 * vmm_user_frame() is where a fault gets a frame.  Below the limits it
 * is the frame allocator's; at a limit the policy names a victim and
 *
 *   1. the victim's dirtiness is read: D of every PTE that maps it (the
 *      reverse map lists them: a COW-shared or MAP_SHARED frame has
 *      several), or what a policy or an unmap remembered for it;
 *   2. dirty, or with no copy in swap and not all zero -> written to its
 *      swap-cache slot or a new one (swap full: VMSIM_ERR_NO_SWAP, and
 *      nothing has changed); clean with a valid copy -> nothing written;
 *      never written since it was demand-zeroed -> nothing written, its
 *      PTEs name slot 0 and it comes back demand-zero;
 *   3. every PTE that maps it becomes a swap entry (a slot reference
 *      each), with the INVLPG each needs (batched: one CR3 reload above
 *      cfg.flush_threshold); a shared object's page records the slot;
 *   4. the frame, now held by nobody else, is handed to the fault.
 *
 * Pinning: the fault handler pins the pages of the access in flight (the
 * first page of a page-crossing access whose second page faulted) and
 * the page a COW copy reads from; vmsim_page_evictable() is false for
 * them, so no policy can choose them.
 */
#include "vmm_internal.h"

#include <stdlib.h>
#include <string.h>

vmsim_status_t reclaim_init(vmsim_kernel_t *k)
{
    if (!k->cfg.swap_slots)
        return VMSIM_OK;
    k->pages = calloc(k->pmm->n_frames, sizeof *k->pages);
    if (!k->pages)
        return VMSIM_ERR_NOMEM;
    vmsim_status_t rc = swap_create(k);
    if (rc)
        return rc;
    k->policy = k->cfg.policy_ops ? k->cfg.policy_ops : vmsim_policy_builtin(k->cfg.policy);
    if (!k->policy->init)
        return VMSIM_OK;
    rc = k->policy->init(k, k->cfg.policy_user, &k->policy_state);
    if (rc)
        k->policy = NULL; /* no destroy() for a state that was never made */
    return rc;
}

void reclaim_shutdown(vmsim_kernel_t *k)
{
    if (k->policy && k->policy->destroy)
        k->policy->destroy(k, k->policy_state);
    k->policy = NULL;
    swap_destroy(k);
    free(k->pages);
    k->pages = NULL;
}

/* --- tracking --- */

void vmm_page_loaded(vmsim_kernel_t *k, uint32_t pfn, bool pristine)
{
    if (!k->pages || k->pages[pfn].tracked)
        return;
    struct vmm_page *pg = &k->pages[pfn];
    pg->tracked = true;
    pg->pristine = pristine;
    pg->dirty = false;
    k->n_tracked++;
    k->policy->loaded(k, k->policy_state, pfn);
}

static void untrack(vmsim_kernel_t *k, uint32_t pfn)
{
    struct vmm_page *pg = &k->pages[pfn];
    if (pg->tracked) {
        pg->tracked = false;
        k->n_tracked--;
        k->policy->unloaded(k, k->policy_state, pfn);
    }
    swap_cache_drop(k, pfn);
    pg->shm = NULL;
    pg->pristine = pg->dirty = false;
    pg->pins = 0;
}

void vmm_page_put(vmsim_kernel_t *k, uint32_t pfn)
{
    bool freed = false;
    vmsim_pmm_put(k->pmm, pfn, &freed);
    if (freed && k->pages)
        untrack(k, pfn);
}

void vmm_pin(vmsim_kernel_t *k, uint32_t pfn)
{
    if (k->pages && pfn < k->pmm->n_frames)
        k->pages[pfn].pins++;
}

void vmm_unpin(vmsim_kernel_t *k, uint32_t pfn)
{
    if (k->pages && pfn < k->pmm->n_frames && k->pages[pfn].pins)
        k->pages[pfn].pins--;
}

bool vmm_page_exclusive(vmsim_kernel_t *k, uint32_t pfn)
{
    uint32_t refs = 0;
    vmsim_pmm_refcount(k->pmm, pfn, &refs);
    if (refs != 1)
        return false;
    uint32_t slot = k->pages ? k->pages[pfn].slot : 0;
    return !slot || swap_count(k, slot) == 1;
}

bool vmsim_page_evictable(const vmsim_kernel_t *k, uint32_t pfn)
{
    if (!k || !k->pages || pfn >= k->pmm->n_frames)
        return false;
    const struct vmm_page *pg = &k->pages[pfn];
    return pg->tracked && !pg->pins && !vmm_page_locked(k, pfn);
}

/* --- looking at a page through its PTEs --- */

vmsim_status_t vmsim_page_foreach_mapping(vmsim_kernel_t *k, uint32_t pfn, vmsim_mapping_fn fn,
                                          void *user)
{
    if (!k || !fn)
        return VMSIM_ERR_NULL;
    if (!k->pages || pfn >= k->pmm->n_frames || !k->pages[pfn].tracked)
        return VMSIM_ERR_INVALID;
    const vmsim_pmm_t *p = k->pmm;
    vmm_enter(k);
    for (uint32_t n = p->frames[pfn].rmap_head; n; n = p->rmap_pool[n].next) {
        struct vmm_space *s = vmm_space_find(k, p->rmap_pool[n].pid);
        uint32_t vaddr = p->rmap_pool[n].vpn << 12;
        if (s && !fn(user, s->pid, vaddr, vmm_pte_read(k, s, vaddr)))
            break;
    }
    return vmm_leave(k, VMSIM_OK);
}

/* OR of `bit` over the frame's PTEs; with clear, each set one is cleared
 * (and its TLB entry dropped, unless lazy). */
static bool test_bit(vmsim_kernel_t *k, uint32_t pfn, uint32_t bit, bool clear)
{
    const vmsim_pmm_t *p = k->pmm;
    bool any = false;
    for (uint32_t n = p->frames[pfn].rmap_head; n; n = p->rmap_pool[n].next) {
        struct vmm_space *s = vmm_space_find(k, p->rmap_pool[n].pid);
        uint32_t vaddr = p->rmap_pool[n].vpn << 12;
        uint32_t pte = s ? vmm_pte_read(k, s, vaddr) : 0;
        if (!vmm_holds_frame(pte) || !(pte & bit))
            continue; /* a PROT_NONE entry (P = 0) keeps the D it had */
        any = true;
        if (!clear)
            continue;
        vmm_pte_write(k, s, vaddr, pte & ~bit);
        k->st.ad_clears++;
        if (!k->cfg.lazy_ad_clear && s == k->current) {
            vmm_tlb_note(k, s, vaddr, pte | VMSIM_PTE_A);
            k->st.ad_clear_invlpgs++;
        }
    }
    return any;
}

static vmsim_status_t page_bit(vmsim_kernel_t *k, uint32_t pfn, uint32_t bit, bool clear, bool *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    if (!k->pages || pfn >= k->pmm->n_frames || !k->pages[pfn].tracked)
        return VMSIM_ERR_INVALID;
    vmm_enter(k);
    *out = test_bit(k, pfn, bit, clear);
    if (bit == VMSIM_PTE_D) {
        *out |= k->pages[pfn].dirty;
        k->pages[pfn].dirty = *out; /* a cleared D is remembered here */
    }
    return vmm_leave(k, VMSIM_OK);
}

vmsim_status_t vmsim_page_accessed(vmsim_kernel_t *k, uint32_t pfn, bool clear, bool *out)
{
    return page_bit(k, pfn, VMSIM_PTE_A, clear, out);
}

vmsim_status_t vmsim_page_dirty(vmsim_kernel_t *k, uint32_t pfn, bool clear, bool *out)
{
    return page_bit(k, pfn, VMSIM_PTE_D, clear, out);
}

/* --- eviction --- */

/* Turn the PTE of (pid, vpn) that maps pfn into `entry`. */
static void unmap_one(vmsim_kernel_t *k, uint32_t pfn, vmsim_pid_t pid, uint32_t vpn,
                      uint32_t entry)
{
    struct vmm_space *s = vmm_space_find(k, pid);
    uint32_t vaddr = vpn << 12;
    vmsim_pmm_rmap_remove(k->pmm, pfn, pid, vpn);
    vmsim_pmm_put(k->pmm, pfn, NULL); /* the evictor's hold keeps it */
    if (!s)
        return;
    uint32_t old = vmm_pte_read(k, s, vaddr);
    vmm_pte_write(k, s, vaddr, entry);
    vmm_tlb_note(k, s, vaddr, old);
    swap_get(k, vmm_swap_slot(entry));
    s->resident--;
    s->swapped++;
    k->st.swapped_pages++;
}

static void unmap_all(vmsim_kernel_t *k, uint32_t pfn, uint32_t slot)
{
    vmsim_pmm_t *p = k->pmm;
    while (p->frames[pfn].rmap_head) {
        const struct pmm_rmap_node *node = &p->rmap_pool[p->frames[pfn].rmap_head];
        unmap_one(k, pfn, node->pid, node->vpn, vmm_swap_entry(slot));
    }
    struct vmm_page *pg = &k->pages[pfn];
    if (pg->shm) {
        pg->shm->pfns[pg->shm_index] = slot ? VMM_SHM_SWAPPED | slot : 0;
        swap_get(k, slot);
        vmsim_pmm_put(k->pmm, pfn, NULL);
    }
}

/* Write pfn out if it must be; *slot receives where its copy is (0:
 * all zero, none needed).  Changes nothing on failure. */
static vmsim_status_t write_back(vmsim_kernel_t *k, uint32_t pfn, uint32_t *slot)
{
    struct vmm_page *pg = &k->pages[pfn];
    bool dirty = pg->dirty || test_bit(k, pfn, VMSIM_PTE_D, false);
    *slot = pg->slot;
    if (!dirty && (pg->slot || pg->pristine)) {
        k->st.evictions_clean++;
        return VMSIM_OK;
    }
    bool fresh = !pg->slot;
    vmsim_status_t rc = fresh ? swap_alloc(k, slot) : VMSIM_OK;
    if (rc == VMSIM_OK)
        rc = swap_write(k, *slot, pfn);
    if (rc) {
        if (fresh)
            swap_put(k, *slot);
        return rc;
    }
    if (fresh) {
        swap_cache_add(k, *slot, pfn);
        swap_put(k, *slot); /* the allocation's count becomes the cache's */
    }
    k->st.writebacks++;
    return VMSIM_OK;
}

static vmsim_status_t evict(vmsim_kernel_t *k, uint32_t pfn)
{
    const struct pmm_frame *f = &k->pmm->frames[pfn];
    if (f->refcount != f->n_rmap + (k->pages[pfn].shm ? 1u : 0u))
        return VMSIM_ERR_KERNEL; /* a hold the evictor does not know about */
    uint32_t slot;
    vmsim_status_t rc = write_back(k, pfn, &slot);
    if (rc)
        return rc;
    vmsim_pmm_get(k->pmm, pfn);
    unmap_all(k, pfn, slot);
    untrack(k, pfn);
    k->st.evictions++;
    return VMSIM_OK;
}

static bool at_limit(const vmsim_kernel_t *k)
{
    return k->cfg.max_user_frames && k->n_tracked >= k->cfg.max_user_frames;
}

static vmsim_status_t reclaim_one(vmsim_kernel_t *k, uint32_t *pfn)
{
    uint32_t victim = 0;
    vmsim_status_t rc = k->policy->choose(k, k->policy_state, &victim);
    if (rc == VMSIM_OK && !vmsim_page_evictable(k, victim))
        rc = VMSIM_ERR_KERNEL; /* the policy named a page it may not */
    if (rc == VMSIM_OK)
        rc = evict(k, victim);
    if (rc) {
        k->st.evictions_failed++;
        return rc == VMSIM_ERR_INVALID ? VMSIM_ERR_NO_FRAMES : rc;
    }
    *pfn = victim;
    return VMSIM_OK;
}

vmsim_status_t vmm_user_frame(vmsim_kernel_t *k, bool zero, uint32_t *pfn)
{
    vmsim_status_t rc = VMSIM_ERR_NO_FRAMES;
    if (!k->pages || !at_limit(k))
        rc = vmsim_pmm_alloc(k->pmm, 0, pfn);
    if (rc == VMSIM_ERR_NO_FRAMES && k->pages && k->n_tracked)
        rc = reclaim_one(k, pfn);
    if (rc == VMSIM_OK && zero)
        vmm_zero_frame(k, *pfn);
    return rc;
}

vmsim_status_t vmm_table_frame(vmsim_kernel_t *k, unsigned flags, uint32_t *pfn)
{
    vmsim_status_t rc = vmsim_pmm_alloc(k->pmm, flags, pfn);
    if (rc != VMSIM_ERR_NO_FRAMES || !k->pages || !k->n_tracked)
        return rc;
    rc = reclaim_one(k, pfn);
    if (rc == VMSIM_OK)
        vmsim_pmm_set_flags(k->pmm, *pfn, flags);
    return rc;
}

vmsim_status_t vmsim_kernel_tick(vmsim_kernel_t *k)
{
    if (!k)
        return VMSIM_ERR_NULL;
    k->st.ticks++;
    if (!k->policy || !k->policy->tick)
        return VMSIM_OK;
    vmm_enter(k);
    k->policy->tick(k, k->policy_state);
    return vmm_leave(k, VMSIM_OK);
}

/* The frame of the resident 4 KiB user page at vaddr of pid, 0 if none. */
static uint32_t resident_frame(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr)
{
    vmsim_pte_info_t info;
    if (vmsim_proc_query(k, pid, vaddr, &info) != VMSIM_OK || !info.present || info.large ||
        !k->pages[info.pfn].tracked)
        return 0;
    return info.pfn;
}

static vmsim_status_t pin_op(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr, bool pin)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if (!k->pages)
        return VMSIM_ERR_UNSUPPORTED;
    uint32_t pfn = resident_frame(k, pid, vaddr);
    if (!pfn || (!pin && !k->pages[pfn].pins))
        return VMSIM_ERR_NOT_FOUND;
    if (pin)
        vmm_pin(k, pfn);
    else
        vmm_unpin(k, pfn);
    return VMSIM_OK;
}

vmsim_status_t vmsim_proc_pin(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr)
{
    return pin_op(k, pid, vaddr, true);
}

vmsim_status_t vmsim_proc_unpin(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr)
{
    return pin_op(k, pid, vaddr, false);
}
