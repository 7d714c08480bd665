/*
 * replay_os_tmp.c - TEMPORARY stand-in kernel for the trace replay.
 *
 * ***  To be replaced by replay_os_vmm.c once include/vmsim/vmm.h  ***
 * ***  (the VMM: processes, demand paging) has landed.              ***
 *
 * It does the least a kernel must for a replay, and nothing more:
 *
 *     physical memory   frame 0 unused, the page directory at 0x1000,
 *                       4 KiB frames handed out upward from 0x2000,
 *                       4 MiB frames downward from the top of RAM
 *     paging            32-bit, CR4.PSE, one process, CR3 = 0x1000
 *     regions           slots of fold.h; every page user, read/write
 *     page fault        not present inside a region: a zeroed frame
 *                       (and a page table when the PDE is empty), then
 *                       retry; anything else is returned unresolved
 *
 * Unlike the real kernel it writes the tables and zeroes frames through
 * the bus port, not through the MMU: its work never passes through the
 * TLB, so the replay's supervisor column stays zero with it.  The
 * program's own figures do not depend on the kernel under --populate.
 */
#include "replay_os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PD_ADDR 0x1000u
#define PAGE 4096u
#define LARGE (4u << 20)
#define PDE_BITS (VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US)

struct replay_os {
    vmsim_machine_t *m;
    bool large;
    uint8_t region[1024];   /* PD index -> mapped by the process */
    uint64_t next_small;    /* next free 4 KiB frame */
    uint64_t next_large;    /* bottom of the 4 MiB frames handed out */
    struct replay_os_counters c, zero;
    const char *why;        /* the last unresolved fault */
};

const char *replay_os_name(void)
{
    return "temporary stand-in kernel (tools/replay_os_tmp.c; the VMM has not landed)";
}

static bool alloc_small(struct replay_os *os, uint64_t *frame)
{
    if (os->next_small + PAGE > os->next_large)
        return false;
    *frame = os->next_small;
    os->next_small += PAGE;
    os->c.frames_used++;
    return vmsim_bus_fill(os->m, *frame, 0, PAGE) == VMSIM_OK;
}

static bool alloc_large(struct replay_os *os, uint64_t *frame)
{
    if (os->next_large < LARGE || os->next_large - LARGE < os->next_small)
        return false;
    os->next_large -= LARGE;
    *frame = os->next_large;
    os->c.frames_used += LARGE / PAGE;
    return vmsim_bus_fill(os->m, *frame, 0, LARGE) == VMSIM_OK;
}

/* Make the page of `vaddr` present.  Returns false when RAM is full. */
static bool map_page(struct replay_os *os, uint32_t vaddr)
{
    uint64_t pde_addr = PD_ADDR + 4u * (vaddr >> 22), frame;
    uint32_t pde;
    vmsim_bus_read32(os->m, pde_addr, &pde);
    if (os->large) {
        if (pde & VMSIM_PTE_P)
            return true;
        if (!alloc_large(os, &frame))
            return false;
        return vmsim_bus_write32(os->m, pde_addr, (uint32_t)frame | PDE_BITS | VMSIM_PTE_PS) == 0;
    }
    if (!(pde & VMSIM_PTE_P)) {
        if (!alloc_small(os, &frame))
            return false;
        pde = (uint32_t)frame | PDE_BITS;
        vmsim_bus_write32(os->m, pde_addr, pde);
    }
    uint64_t pte_addr = (pde & ~0xfffu) + 4u * ((vaddr >> 12) & 1023);
    uint32_t pte;
    vmsim_bus_read32(os->m, pte_addr, &pte);
    if (pte & VMSIM_PTE_P)
        return true;
    if (!alloc_small(os, &frame))
        return false;
    return vmsim_bus_write32(os->m, pte_addr, (uint32_t)frame | PDE_BITS) == 0;
}

static vmsim_fault_action_t on_fault(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    struct replay_os *os = user;
    (void)m;
    os->why = NULL;
    if ((f->error_code & VMSIM_PF_P) || !os->region[f->cr2 >> 22]) {
        os->why = "an access outside the trace's regions, or a protection fault";
        return VMSIM_FAULT_UNHANDLED;
    }
    if (!map_page(os, f->cr2)) {
        os->why = "simulated RAM is full (give the replay more with --ram)";
        return VMSIM_FAULT_UNHANDLED;
    }
    os->c.faults_resolved++;
    os->c.demand_zero++;
    return VMSIM_FAULT_RETRY;
}

static int start_paging(struct replay_os *os, char *err, size_t cap)
{
    vmsim_machine_t *m = os->m;
    if (vmsim_bus_fill(m, PD_ADDR, 0, PAGE) || vmsim_write_reg(m, VMSIM_REG_CR3, PD_ADDR) ||
        vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PSE) ||
        vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG | VMSIM_CR0_PE)) {
        snprintf(err, cap, "cannot turn paging on (RAM too small?)");
        return 1;
    }
    return vmsim_set_fault_handler(m, on_fault, os) ? 1 : 0;
}

int replay_os_boot(const vmsim_config_t *cfg, bool large_pages, struct replay_os **out,
                   vmsim_machine_t **m, char *err, size_t cap)
{
    struct replay_os *os = calloc(1, sizeof *os);
    if (!os) {
        snprintf(err, cap, "out of memory");
        return 1;
    }
    vmsim_status_t rc = vmsim_create(cfg, &os->m);
    if (rc) {
        snprintf(err, cap, "cannot create the machine: %s", vmsim_strerror(rc));
        free(os);
        return 1;
    }
    os->large = large_pages;
    os->next_small = 2 * PAGE;
    os->next_large = vmsim_ram_size(os->m) & ~(uint64_t)(LARGE - 1);
    if (start_paging(os, err, cap)) {
        replay_os_shutdown(os);
        return 1;
    }
    *out = os;
    *m = os->m;
    return 0;
}

int replay_os_map(struct replay_os *os, uint32_t base, uint32_t len, bool populate, char *err,
                  size_t cap)
{
    for (uint32_t a = base; a - base < len; a += LARGE)
        os->region[a >> 22] = 1;
    if (!populate)
        return 0;
    uint32_t step = os->large ? LARGE : PAGE;
    for (uint32_t a = base; a - base < len; a += step) {
        if (!map_page(os, a)) {
            snprintf(err, cap, "simulated RAM is full while populating 0x%08x (give the replay "
                     "more with --ram)", a);
            return 1;
        }
    }
    return 0;
}

void replay_os_zero(struct replay_os *os) { os->zero = os->c; }

void replay_os_counters(const struct replay_os *os, struct replay_os_counters *out)
{
    out->frames_used = os->c.frames_used; /* a level, not a count of events */
    out->faults_resolved = os->c.faults_resolved - os->zero.faults_resolved;
    out->demand_zero = os->c.demand_zero - os->zero.demand_zero;
}

const char *replay_os_fault_reason(const struct replay_os *os) { return os->why; }

void replay_os_shutdown(struct replay_os *os)
{
    if (!os)
        return;
    vmsim_destroy(os->m);
    free(os);
}
