/*
 * boot.c - bringing the kernel up on a machine, and taking it down.
 *
 * Boot runs with paging off, so every linear address is a physical one
 * and the kernel builds its first tables through the MMU's identity
 * mode (supervisor stores, counted in the kernel bank):
 *
 *   frame 0        reserved (a null frame: never handed out)
 *   frame 1        the kernel page directory (pid 0's)
 *   frames 2..255  the kernel half's 254 page tables, PD slots 768..1021,
 *                  allocated once and shared by every address space
 *   frame 256      the zero frame
 *
 *   kernel PD                                  kernel PT 768
 *   +------+                                   +------------------+
 *   | 0    | (user half: empty)                | 0xC0000000 -> f0 | (not mapped)
 *   | ...  |                                   | 0xC0001000 -> f1 | kernel image:
 *   | 768  |-> PT 768  (kernel image)          | ...              | the boot frames
 *   | ...  |-> PT 769 .. 1021                  | 0xC0100000 -> f256 (zero, r/o)
 *   | 1022 |  0 (foreign window, unused)       +------------------+
 *   | 1023 |-> the PD itself
 *   +------+
 *
 * then CR3 <- PD, CR4 |= PSE | PGE (as configured), CR0 |= PE | PG | WP
 * (WP so that the kernel's own writes honour read-only pages: the
 * copy-on-write of copy_to_user depends on it), and the fault handler is
 * registered.  The kernel image ends at kernel_end; the kmalloc heap
 * starts there.  Last, kmem_init() sets up the slab and area allocators
 * (host descriptors only: no frame is taken at boot; see kmalloc.c).
 */
#include "kmem_internal.h"
#include "../mmu/detail.h"

#include <stdlib.h>
#include <string.h>

void vmsim_kernel_config_default(vmsim_kernel_config_t *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->zero_page = true;
    cfg->global_kernel = true;
    cfg->large_pages = true;
    cfg->flush_threshold = 32;
    cfg->heap_base = 0x10000000u;
    cfg->mmap_base = 0x40000000u;
}

static vmsim_status_t check_config(vmsim_machine_t *m, const vmsim_kernel_config_t *c)
{
    if (c->flush_threshold > VMM_PENDING_MAX)
        return mmu_detail(m, VMSIM_ERR_INVALID, "kernel config: flush_threshold %u is above %u",
                          c->flush_threshold, (unsigned)VMM_PENDING_MAX);
    if ((c->heap_base & 0xfff) || c->heap_base >= VMSIM_USER_END)
        return mmu_detail(m, VMSIM_ERR_INVALID,
                          "kernel config: heap_base 0x%x must be page-aligned and in user "
                          "space (below 0x%x)",
                          c->heap_base, VMSIM_USER_END);
    if ((c->mmap_base & 0xfff) || c->mmap_base >= VMSIM_USER_END)
        return mmu_detail(m, VMSIM_ERR_INVALID,
                          "kernel config: mmap_base 0x%x must be page-aligned and in user "
                          "space (below 0x%x)",
                          c->mmap_base, VMSIM_USER_END);
    return VMSIM_OK;
}

/* Allocate a kernel frame and zero it through the identity mapping. */
static vmsim_status_t boot_frame(vmsim_kernel_t *k, unsigned flags, uint32_t *pfn)
{
    vmsim_status_t rc = vmsim_pmm_alloc(k->pmm, flags | VMSIM_FRAME_KERNEL, pfn);
    if (rc == VMSIM_OK)
        vmm_fill(k, *pfn << 12, 0, VMM_PAGE);
    return rc;
}

static vmsim_status_t build_kernel_half(vmsim_kernel_t *k, uint32_t pd)
{
    uint32_t kernel_pte = VMSIM_PTE_P | VMSIM_PTE_RW | (k->cfg.global_kernel ? VMSIM_PTE_G : 0);
    for (unsigned i = 0; i < VMM_KERNEL_SLOTS; i++) {
        vmsim_status_t rc = boot_frame(k, VMSIM_FRAME_PAGE_TABLE, &k->kpt_pfn[i]);
        if (rc)
            return rc;
        vmm_store32(k, (pd << 12) + (VMM_KERNEL_FIRST + i) * 4,
                    (k->kpt_pfn[i] << 12) | VMSIM_PTE_P | VMSIM_PTE_RW);
    }
    vmm_store32(k, (pd << 12) + VMM_SELF_SLOT * 4, (pd << 12) | VMSIM_PTE_P | VMSIM_PTE_RW);
    vmsim_status_t rc = boot_frame(k, VMSIM_FRAME_ZERO, &k->zero_pfn);
    if (rc)
        return rc;
    /* The kernel image: every boot frame at 0xC0000000 + pfn * 4096. */
    for (uint32_t pfn = 1; pfn <= k->zero_pfn && pfn < 1024; pfn++) {
        uint32_t pte = (pfn << 12) | kernel_pte;
        if (pfn == k->zero_pfn)
            pte &= ~VMSIM_PTE_RW;
        vmm_store32(k, (k->kpt_pfn[0] << 12) + pfn * 4, pte);
    }
    k->kernel_end = VMSIM_KERNEL_BASE + (k->zero_pfn + 1) * VMM_PAGE;
    return k->kerr;
}

static vmsim_status_t enable_paging(vmsim_kernel_t *k, uint32_t pd)
{
    uint64_t cr0 = 0, cr4 = 0;
    vmsim_status_t rc = vmsim_write_reg(k->m, VMSIM_REG_CR3, (uint64_t)pd << 12);
    k->st.cr3_loads++;
    if (rc == VMSIM_OK)
        rc = vmsim_read_reg(k->m, VMSIM_REG_CR4, &cr4);
    if (k->cfg.large_pages)
        cr4 |= VMSIM_CR4_PSE;
    if (k->cfg.global_kernel)
        cr4 |= VMSIM_CR4_PGE;
    cr4 &= ~(uint64_t)VMSIM_CR4_PAE;
    if (rc == VMSIM_OK)
        rc = vmsim_write_reg(k->m, VMSIM_REG_CR4, cr4);
    if (rc == VMSIM_OK)
        rc = vmsim_read_reg(k->m, VMSIM_REG_CR0, &cr0);
    if (rc == VMSIM_OK)
        rc = vmsim_write_reg(k->m, VMSIM_REG_CR0, cr0 | VMSIM_CR0_PE | VMSIM_CR0_PG | VMSIM_CR0_WP);
    return rc;
}

static vmsim_status_t boot_body(vmsim_kernel_t *k)
{
    uint64_t ram = vmsim_ram_size(k->m);
    uint32_t pd;
    vmsim_status_t rc = vmsim_pmm_create((uint32_t)(ram / VMM_PAGE), &k->pmm);
    if (rc)
        return rc;
    vmsim_pmm_reserve(k->pmm, 0, 1);
    if (ram / VMM_PAGE < 260)
        return VMSIM_ERR_NO_FRAMES;
    rc = boot_frame(k, VMSIM_FRAME_PAGE_TABLE, &pd);
    if (rc == VMSIM_OK)
        rc = build_kernel_half(k, pd);
    if (rc == VMSIM_OK)
        rc = enable_paging(k, pd);
    if (rc)
        return rc;
    k->kspace.pd_pfn = pd;
    k->current = &k->kspace;
    vmsim_pmm_set_cap(k->pmm, k->cfg.max_frames);
    rc = kmem_init(k);
    return rc ? rc : vmsim_set_fault_handler(k->m, vmm_fault_handler, k);
}

vmsim_status_t vmsim_kernel_boot(vmsim_machine_t *m, const vmsim_kernel_config_t *cfg,
                                 vmsim_kernel_t **out)
{
    vmsim_kernel_config_t defaults;
    uint64_t cr0 = 0;
    if (!m || !out)
        return VMSIM_ERR_NULL;
    if (!cfg) {
        vmsim_kernel_config_default(&defaults);
        cfg = &defaults;
    }
    vmsim_status_t rc = check_config(m, cfg);
    if (rc)
        return rc;
    vmsim_read_reg(m, VMSIM_REG_CR0, &cr0);
    if (vmsim_get_fault_handler(m, NULL))
        return mmu_detail(m, VMSIM_ERR_BUSY,
                          "a kernel is already booted on this machine (or a fault handler is "
                          "installed): one kernel per machine, vmsim_kernel_shutdown() first");
    if (cr0 & VMSIM_CR0_PG)
        return mmu_detail(m, VMSIM_ERR_BUSY,
                          "paging is already on: the kernel boots a machine with paging off, "
                          "as vmsim_create() makes it");
    vmsim_kernel_t *k = calloc(1, sizeof *k);
    if (!k)
        return VMSIM_ERR_NOMEM;
    k->m = m;
    k->cfg = *cfg;
    k->next_pid = 1;
    k->scratch = malloc(VMM_PAGE);
    k->scratch2 = malloc(VMM_PAGE);
    vmm_enter(k);
    rc = (k->scratch && k->scratch2) ? boot_body(k) : VMSIM_ERR_NOMEM;
    rc = vmm_leave(k, rc);
    if (rc) {
        uint64_t cr0_now = 0;
        vmsim_read_reg(m, VMSIM_REG_CR0, &cr0_now);
        vmsim_write_reg(m, VMSIM_REG_CR0, cr0_now & ~(uint64_t)VMSIM_CR0_PG);
        vmsim_set_fault_handler(m, NULL, NULL);
        vmsim_kernel_shutdown(k);
        return rc;
    }
    *out = k;
    return VMSIM_OK;
}

void vmsim_kernel_shutdown(vmsim_kernel_t *k)
{
    if (!k)
        return;
    if (k->pmm)
        vmsim_set_fault_handler(k->m, NULL, NULL);
    for (uint32_t pid = 1; pid < k->n_pids; pid++) {
        if (k->procs[pid]) {
            vmm_regions_free(k, k->procs[pid]);
            free(k->procs[pid]);
        }
    }
    free(k->procs);
    kmem_shutdown(k);
    vmsim_pmm_destroy(k->pmm);
    free(k->scratch);
    free(k->scratch2);
    free(k);
}

vmsim_machine_t *vmsim_kernel_machine(const vmsim_kernel_t *k)
{
    return k ? k->m : NULL;
}

vmsim_pmm_t *vmsim_kernel_pmm(vmsim_kernel_t *k)
{
    return k ? k->pmm : NULL;
}

static uint32_t count_user_frames(const vmsim_kernel_t *k)
{
    const vmsim_pmm_t *p = k->pmm;
    const unsigned not_user = VMSIM_FRAME_KERNEL | VMSIM_FRAME_PAGE_TABLE | VMSIM_FRAME_ZERO;
    uint32_t n = 0;
    for (uint32_t pfn = 0; pfn < p->n_frames; pfn++) {
        uint32_t f = p->frames[pfn].flags;
        n += (f & VMSIM_FRAME_ALLOCATED) && !(f & not_user);
    }
    return n;
}

vmsim_status_t vmsim_kernel_get_stats(const vmsim_kernel_t *k, vmsim_kernel_stats_t *out)
{
    vmsim_pmm_stats_t ps;
    if (!k || !out)
        return VMSIM_ERR_NULL;
    *out = k->st;
    vmsim_pmm_get_stats(k->pmm, &ps);
    out->processes = k->n_procs;
    out->frames_total = ps.n_frames;
    out->frames_free = ps.n_free;
    out->frames_in_use = ps.n_used;
    out->page_tables = ps.n_page_tables;
    out->user_frames = count_user_frames(k);
    out->kernel_end = k->kernel_end;
    out->kmem_frames = kmem_frames(k);
    return VMSIM_OK;
}

const char *vmsim_kfault_kind_name(vmsim_kfault_kind_t kind)
{
    static const char *const names[] = {"none",     "demand-zero", "zero-map", "zero-break",
                                        "cow-copy", "cow-reuse",   "shared",   "spurious",
                                        "segv",     "kernel",      "oom",      "vmalloc",
                                        "guard"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "unknown";
}
