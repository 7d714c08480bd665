/*
 * space.c - address spaces: creating, switching, destroying, finding.
 *
 * An address space is a page directory in simulated RAM:
 *
 *     slot    0 .. 767   user page tables, allocated on first use
 *     slot  768 .. 1021  the kernel half: copied from the kernel's
 *                        directory at creation, and never changed after,
 *                        because the page tables they point at were all
 *                        allocated at boot and are shared by everyone
 *     slot 1022          the foreign window (empty unless in use)
 *     slot 1023          the directory itself (recursive mapping)
 *
 * A new directory is built through temp slot 1: zeroed, the kernel half
 * copied from the current directory's view (0xFFFFFC00), the recursive
 * slot set.  Destroying one walks its user slots through the foreign
 * window, releasing every frame (a reference each), every page table,
 * and finally the directory - after the window is pointed away from it.
 *
 * Processes are found by pid in a table that grows; pids are not
 * reused.  pid 0 is the kernel's own space (the boot directory), which
 * is current whenever no process is.
 */
#include "vmm_internal.h"
#include "../mmu/detail.h"

#include <stdlib.h>
#include <string.h>

struct vmm_space *vmm_space_find(const vmsim_kernel_t *k, vmsim_pid_t pid)
{
    if (!k)
        return NULL;
    if (pid > 0 && (uint32_t)pid < k->n_pids && k->procs[pid])
        return k->procs[pid];
    mmu_detail(k->m, VMSIM_ERR_NOT_FOUND,
               "no process with pid %d: pids come from vmsim_proc_create() and "
               "vmsim_proc_fork(), and vmsim_proc_exit() ends them",
               (int)pid);
    return NULL;
}

static vmsim_status_t pid_slot(vmsim_kernel_t *k, vmsim_pid_t *out)
{
    if (k->next_pid == INT32_MAX)
        return VMSIM_ERR_NO_SPACE;
    if ((uint32_t)k->next_pid >= k->n_pids) {
        uint32_t n = k->n_pids ? k->n_pids * 2 : 64;
        struct vmm_space **procs = realloc(k->procs, n * sizeof *procs);
        if (!procs)
            return VMSIM_ERR_NOMEM;
        memset(procs + k->n_pids, 0, (n - k->n_pids) * sizeof *procs);
        k->procs = procs;
        k->n_pids = n;
    }
    *out = k->next_pid;
    return VMSIM_OK;
}

/* Build a fresh page directory in frame pd, through temp slot 1. */
static void build_pd(vmsim_kernel_t *k, uint32_t pd)
{
    uint8_t *half = k->scratch;
    vmm_load_bytes(k, VMSIM_SELF_PD + VMM_KERNEL_FIRST * 4, half, VMM_KERNEL_SLOTS * 4);
    vmm_temp_map(k, VMSIM_TEMP_SLOT1, pd);
    vmm_fill(k, VMSIM_TEMP_SLOT1, 0, VMM_PAGE);
    vmm_store_bytes(k, VMSIM_TEMP_SLOT1 + VMM_KERNEL_FIRST * 4, half, VMM_KERNEL_SLOTS * 4);
    vmm_store32(k, VMSIM_TEMP_SLOT1 + VMM_SELF_SLOT * 4, (pd << 12) | VMSIM_PTE_P | VMSIM_PTE_RW);
    vmm_temp_unmap(k, VMSIM_TEMP_SLOT1);
}

vmsim_status_t vmm_space_new(vmsim_kernel_t *k, struct vmm_space **out)
{
    vmsim_pid_t pid;
    vmsim_status_t rc = pid_slot(k, &pid);
    if (rc)
        return rc;
    struct vmm_space *s = calloc(1, sizeof *s);
    if (!s)
        return VMSIM_ERR_NOMEM;
    rc = vmsim_pmm_alloc(k->pmm, VMSIM_FRAME_PAGE_TABLE | VMSIM_FRAME_KERNEL, &s->pd_pfn);
    if (rc) {
        free(s);
        return rc;
    }
    build_pd(k, s->pd_pfn);
    s->pid = pid;
    s->brk_start = s->brk = k->cfg.heap_base;
    k->procs[pid] = s;
    k->next_pid++;
    k->n_procs++;
    k->st.processes_created++;
    *out = s;
    return VMSIM_OK;
}

/* Release what one user PD slot holds (page table and frames, or a large page). */
static void release_slot(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, uint32_t pde)
{
    uint32_t base = slot << 22;
    if (vmm_is_large(pde)) {
        vmm_release_large(k, s, base, vmm_entry_pfn(pde));
        return;
    }
    uint32_t *pt = (uint32_t *)k->scratch;
    vmm_load_bytes(k, vmm_pt_view(k, s, slot), pt, VMM_PAGE);
    for (unsigned i = 0; i < 1024; i++)
        if (vmm_holds_frame(pt[i]))
            vmm_release_frame(k, s, base + i * VMM_PAGE, vmm_entry_pfn(pt[i]));
    vmm_pt_view_drop(k, s, slot, pde);
    vmsim_pmm_put(k->pmm, vmm_entry_pfn(pde), NULL);
    s->n_page_tables--;
}

void vmm_space_destroy(vmsim_kernel_t *k, struct vmm_space *s)
{
    uint32_t pd[VMM_PD_USER_SLOTS];
    if (k->current == s)
        vmm_switch(k, &k->kspace);
    vmm_load_bytes(k, vmm_pd_view(k, s), pd, sizeof pd);
    for (unsigned slot = 0; slot < VMM_PD_USER_SLOTS; slot++)
        if (pd[slot] & VMSIM_PTE_P || vmm_is_large(pd[slot]))
            release_slot(k, s, slot, pd[slot]);
    vmm_window_forget(k, s);
    vmm_regions_free(k, s);
    vmsim_pmm_put(k->pmm, s->pd_pfn, NULL);
    k->procs[s->pid] = NULL;
    k->n_procs--;
    free(s);
}

/* --- the process API --- */

vmsim_status_t vmsim_proc_create(vmsim_kernel_t *k, vmsim_pid_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = NULL;
    vmm_enter(k);
    vmsim_status_t rc = vmm_space_new(k, &s);
    if (rc == VMSIM_OK)
        *out = s->pid;
    return vmm_leave(k, rc);
}

vmsim_status_t vmsim_proc_switch(vmsim_kernel_t *k, vmsim_pid_t pid)
{
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmm_switch(k, s);
    return vmm_leave(k, VMSIM_OK);
}

vmsim_pid_t vmsim_proc_current(const vmsim_kernel_t *k)
{
    return k && k->current ? k->current->pid : 0;
}

vmsim_status_t vmsim_proc_exit(vmsim_kernel_t *k, vmsim_pid_t pid)
{
    if (!k)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmm_space_destroy(k, s);
    k->st.exits++;
    return vmm_leave(k, VMSIM_OK);
}

vmsim_status_t vmsim_proc_get_info(const vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_proc_info_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    const struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->pid = pid;
    out->pd_pfn = s->pd_pfn;
    out->resident_pages = s->resident;
    out->page_tables = s->n_page_tables;
    out->n_regions = s->n_regions;
    out->brk_start = s->brk_start;
    out->brk = s->brk;
    return VMSIM_OK;
}

uint32_t vmsim_proc_list(const vmsim_kernel_t *k, vmsim_pid_t *out, uint32_t max)
{
    uint32_t n = 0;
    if (!k)
        return 0;
    for (uint32_t pid = 1; pid < k->n_pids; pid++) {
        if (!k->procs[pid])
            continue;
        if (out && n < max)
            out[n] = (vmsim_pid_t)pid;
        n++;
    }
    return n;
}

static void describe_entry(uint32_t entry, uint32_t vaddr, bool large, vmsim_pte_info_t *out)
{
    out->entry = entry;
    out->present = entry & VMSIM_PTE_P;
    out->large = large;
    out->writable = entry & VMSIM_PTE_RW;
    out->user = entry & VMSIM_PTE_US;
    out->accessed = entry & VMSIM_PTE_A;
    out->dirty = entry & VMSIM_PTE_D;
    out->pfn = vmm_entry_pfn(entry) + (large ? (vaddr >> 12) & 1023 : 0);
    if (!vmm_holds_frame(entry))
        out->pfn = 0;
}

vmsim_status_t vmsim_proc_query(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr,
                                vmsim_pte_info_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    if (vaddr >= VMSIM_USER_END)
        return VMSIM_ERR_INVALID;
    memset(out, 0, sizeof *out);
    vmm_enter(k);
    uint32_t pde = vmm_pde_read(k, s, vaddr >> 22);
    if (vmm_is_large(pde))
        describe_entry(pde, vaddr, true, out);
    else if (pde & VMSIM_PTE_P)
        describe_entry(vmm_pte_read(k, s, vaddr), vaddr, false, out);
    return vmm_leave(k, VMSIM_OK);
}
