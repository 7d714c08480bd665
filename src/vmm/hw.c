/*
 * hw.c - how the kernel touches the hardware: its own loads and stores,
 * the recursive mapping, the foreign window, the temporary slots, and
 * TLB maintenance.
 *
 * Once paging is on the kernel reaches page tables only through virtual
 * addresses, with supervisor accesses through the MMU:
 *
 *   PD slot 1023 -> this PD      0xFFC00000 + i * 4096 = page table i
 *                                0xFFFFF000            = this PD
 *   PD slot 1022 -> another PD   0xFF800000 + i * 4096 = its page table i
 *                                0xFFBFF000            = its PD
 *   PT 1021 entries 1022, 1023   0xFF7FE000, 0xFF7FF000 = temp slots
 *
 *      vaddr of PTE(v) = 0xFFC00000 + (v >> 12) * 4
 *      vaddr of PDE(v) = 0xFFFFF000 + (v >> 22) * 4
 *
 * TLB maintenance is exact.  The rule (SDM 4.10.2.3): a translation can
 * be cached only if the walk that made it found every entry with A = 1.
 * So when the kernel changes a user PTE of the current space it needs an
 * INVLPG only if the old entry was present and accessed, and only after
 * the change; a fault has already dropped the faulting page's entries
 * (SDM 4.10.4.1), so the fault handler never needs one for the page it
 * fixes.  Changes to another space's tables need none: a CR3 load
 * flushed that space's (non-global) entries when it was switched away.
 *
 * The invalidations an operation needs are batched (mmu_gather, in Linux
 * terms) and issued when it ends; more than cfg.flush_threshold of them
 * become one CR3 reload.  The window and the temp slots are different:
 * the kernel uses them again at once, so their entries are dropped
 * immediately - the window's for exactly the pages the kernel touched
 * through it since it was last pointed, the temp slot's after each use.
 */
#include "vmm_internal.h"

#include <string.h>

void vmm_enter(vmsim_kernel_t *k)
{
    if (k->depth++ == 0) {
        vmsim_set_stats_bank(k->m, VMSIM_BANK_KERNEL, &k->saved_bank);
        k->kerr = VMSIM_OK;
    }
}

vmsim_status_t vmm_leave(vmsim_kernel_t *k, vmsim_status_t rc)
{
    vmm_tlb_sync(k);
    if (--k->depth == 0) {
        vmsim_set_stats_bank(k->m, k->saved_bank, NULL);
        if (k->kerr && rc == VMSIM_OK)
            rc = k->kerr;
        k->kerr = VMSIM_OK;
    }
    return rc;
}

static void note_failure(vmsim_kernel_t *k, vmsim_status_t rc)
{
    if (rc && !k->kerr)
        k->kerr = VMSIM_ERR_KERNEL;
}

uint32_t vmm_load32(vmsim_kernel_t *k, uint32_t vaddr)
{
    uint32_t v = 0;
    vmsim_status_t rc = vmsim_read32(k->m, VMSIM_SUPERVISOR, vaddr, &v);
    note_failure(k, rc);
    return rc ? 0 : v;
}

void vmm_store32(vmsim_kernel_t *k, uint32_t vaddr, uint32_t value)
{
    note_failure(k, vmsim_write32(k->m, VMSIM_SUPERVISOR, vaddr, value));
}

void vmm_load_bytes(vmsim_kernel_t *k, uint32_t vaddr, void *buf, size_t len)
{
    vmsim_status_t rc = vmsim_read_bytes(k->m, VMSIM_SUPERVISOR, vaddr, buf, len, NULL);
    note_failure(k, rc);
    if (rc)
        memset(buf, 0, len);
}

void vmm_store_bytes(vmsim_kernel_t *k, uint32_t vaddr, const void *buf, size_t len)
{
    note_failure(k, vmsim_write_bytes(k->m, VMSIM_SUPERVISOR, vaddr, buf, len, NULL));
}

void vmm_fill(vmsim_kernel_t *k, uint32_t vaddr, uint8_t byte, size_t len)
{
    note_failure(k, vmsim_fill_bytes(k->m, VMSIM_SUPERVISOR, vaddr, byte, len, NULL));
}

/* --- TLB maintenance --- */

void vmm_invlpg(vmsim_kernel_t *k, uint32_t vaddr)
{
    vmsim_invlpg(k->m, vaddr);
    k->st.invlpgs++;
}

void vmm_load_cr3(vmsim_kernel_t *k, uint32_t pd_pfn)
{
    note_failure(k, vmsim_write_reg(k->m, VMSIM_REG_CR3, (uint64_t)pd_pfn << 12));
    k->st.cr3_loads++;
}

/* Drop `n` pages' entries now: INVLPG each, or reload CR3 when there
 * are more than the threshold (only non-global entries can be meant). */
static void flush_pages(vmsim_kernel_t *k, const uint32_t *pages, uint32_t n, bool overflow)
{
    if (overflow || (k->cfg.flush_threshold && n > k->cfg.flush_threshold)) {
        vmm_load_cr3(k, k->current->pd_pfn);
        k->st.cr3_flushes++;
        /* The window's entries went too: nothing of it is cached now. */
        memset(k->window_touched, 0, sizeof k->window_touched);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        vmm_invlpg(k, pages[i]);
}

void vmm_tlb_note(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t old)
{
    /* With lazy A clearing a PTE with A = 0 may still be cached. */
    bool maybe_cached = (old & VMSIM_PTE_A) || k->cfg.lazy_ad_clear;
    if (s != k->current || !(old & VMSIM_PTE_P) || !maybe_cached)
        return;
    if (k->cfg.bugs & VMSIM_BUG_SKIP_INVLPG)
        return;
    if (k->cfg.flush_threshold == 0) {
        vmm_invlpg(k, vaddr);
    } else if (k->n_pending < k->cfg.flush_threshold) {
        k->pending[k->n_pending++] = vaddr;
    } else {
        k->pending_overflow = true;
    }
}

void vmm_tlb_sync(vmsim_kernel_t *k)
{
    if (k->n_pending || k->pending_overflow)
        flush_pages(k, k->pending, k->n_pending, k->pending_overflow);
    k->n_pending = 0;
    k->pending_overflow = false;
}

/* --- the foreign window --- */

static bool touched(const vmsim_kernel_t *k, unsigned page)
{
    return (k->window_touched[page >> 6] >> (page & 63)) & 1;
}

/* Drop the TLB entries of every window page touched since the window
 * was pointed, now. */
static void window_flush(vmsim_kernel_t *k)
{
    uint32_t pages[VMM_PENDING_MAX];
    uint32_t n = 0;
    bool overflow = false;
    for (unsigned page = 0; page < 1024; page++) {
        if (!touched(k, page))
            continue;
        if (n < VMM_PENDING_MAX)
            pages[n++] = VMSIM_FOREIGN_PT_BASE + page * VMM_PAGE;
        else
            overflow = true;
    }
    if (n || overflow)
        flush_pages(k, pages, n, overflow);
    memset(k->window_touched, 0, sizeof k->window_touched);
}

static void window_point(vmsim_kernel_t *k, struct vmm_space *s)
{
    uint32_t pde = s ? (s->pd_pfn << 12) | VMSIM_PTE_P | VMSIM_PTE_RW : 0;
    vmm_store32(k, VMSIM_SELF_PD + VMM_WINDOW_SLOT * 4, pde);
    if (k->window)
        window_flush(k);
    k->window = s;
}

void vmm_window_forget(vmsim_kernel_t *k, struct vmm_space *s)
{
    if (k->window == s)
        window_point(k, NULL);
}

/* The window page `page` (0..1023) of space s, which is not current. */
static uint32_t window_page(vmsim_kernel_t *k, struct vmm_space *s, unsigned page)
{
    if (k->window != s)
        window_point(k, s);
    k->window_touched[page >> 6] |= 1ull << (page & 63);
    return VMSIM_FOREIGN_PT_BASE + page * VMM_PAGE;
}

uint32_t vmm_pd_view(vmsim_kernel_t *k, struct vmm_space *s)
{
    return s == k->current ? VMSIM_SELF_PD : window_page(k, s, VMM_SELF_SLOT);
}

uint32_t vmm_pt_view(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot)
{
    return s == k->current ? VMSIM_SELF_PT_BASE + slot * VMM_PAGE : window_page(k, s, slot);
}

uint32_t vmm_pde_read(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot)
{
    return vmm_load32(k, vmm_pd_view(k, s) + slot * 4);
}

void vmm_pde_write(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, uint32_t value)
{
    vmm_store32(k, vmm_pd_view(k, s) + slot * 4, value);
}

uint32_t vmm_pte_read(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr)
{
    return vmm_load32(k, vmm_pt_view(k, s, vaddr >> 22) + ((vaddr >> 12) & 1023) * 4);
}

void vmm_pte_write(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t value)
{
    vmm_store32(k, vmm_pt_view(k, s, vaddr >> 22) + ((vaddr >> 12) & 1023) * 4, value);
}

void vmm_pt_view_drop(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, uint32_t old_pde)
{
    if (s == k->current) {
        /* The recursive view's leaf is the PDE itself: cached only if A. */
        if (old_pde & VMSIM_PTE_A)
            vmm_invlpg(k, VMSIM_SELF_PT_BASE + slot * VMM_PAGE);
    } else if (k->window == s && touched(k, slot)) {
        vmm_invlpg(k, VMSIM_FOREIGN_PT_BASE + slot * VMM_PAGE);
        k->window_touched[slot >> 6] &= ~(1ull << (slot & 63));
    }
}

/* --- switching --- */

void vmm_switch(vmsim_kernel_t *k, struct vmm_space *s)
{
    if (k->current == s)
        return;
    if (k->window) {
        /* Unhook the window from the outgoing directory; the CR3 load
         * below drops its TLB entries, so no INVLPG. */
        vmm_store32(k, VMSIM_SELF_PD + VMM_WINDOW_SLOT * 4, 0);
        k->window = NULL;
        memset(k->window_touched, 0, sizeof k->window_touched);
    }
    k->n_pending = 0; /* the CR3 load flushes what they would */
    k->pending_overflow = false;
    vmm_load_cr3(k, s->pd_pfn);
    k->current = s;
}

/* --- temporary slots --- */

static uint32_t temp_pte_addr(uint32_t slot_vaddr)
{
    return VMSIM_SELF_PT_BASE + (slot_vaddr >> 12) * 4;
}

void vmm_temp_map(vmsim_kernel_t *k, uint32_t slot_vaddr, uint32_t pfn)
{
    uint32_t pte = (pfn << 12) | VMSIM_PTE_P | VMSIM_PTE_RW;
    if (k->cfg.global_kernel)
        pte |= VMSIM_PTE_G;
    vmm_store32(k, temp_pte_addr(slot_vaddr), pte);
}

/* The slot was just used (A = 1): clear it and drop its entry. */
void vmm_temp_unmap(vmsim_kernel_t *k, uint32_t slot_vaddr)
{
    vmm_store32(k, temp_pte_addr(slot_vaddr), 0);
    vmm_invlpg(k, slot_vaddr);
}

void vmm_zero_frame(vmsim_kernel_t *k, uint32_t pfn)
{
    vmm_temp_map(k, VMSIM_TEMP_SLOT1, pfn);
    vmm_fill(k, VMSIM_TEMP_SLOT1, 0, VMM_PAGE);
    vmm_temp_unmap(k, VMSIM_TEMP_SLOT1);
}

void vmm_copy_frame(vmsim_kernel_t *k, uint32_t dst_pfn, uint32_t src_pfn)
{
    vmm_temp_map(k, VMSIM_TEMP_SLOT1, src_pfn);
    vmm_temp_map(k, VMSIM_TEMP_SLOT2, dst_pfn);
    vmm_load_bytes(k, VMSIM_TEMP_SLOT1, k->scratch2, VMM_PAGE);
    vmm_store_bytes(k, VMSIM_TEMP_SLOT2, k->scratch2, VMM_PAGE);
    vmm_temp_unmap(k, VMSIM_TEMP_SLOT1);
    vmm_temp_unmap(k, VMSIM_TEMP_SLOT2);
}
