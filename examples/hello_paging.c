/*
 * hello_paging.c - the smallest complete libvmsim program.
 *
 * It plays boot loader and CPU at once: it writes a page directory and a
 * page table into simulated RAM through the bus port, loads CR3, turns
 * paging on, stores and loads a word through the MMU, provokes a page
 * fault and prints it, and ends with the TLB counters.  The one mapping:
 *
 *     linear 0x00400000 --PDE 1--> page table 0x2000 --PTE 0--> frame 0x5000
 *
 * Build: examples/CMakeLists.txt builds it as build/.../examples/hello_paging.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <vmsim/vmsim.h>

#define PAGE_DIR 0x1000u   /* physical frame of the page directory */
#define PAGE_TABLE 0x2000u /* physical frame of the page table */
#define DATA_FRAME 0x5000u /* the frame that linear 0x400000 maps to */
#define USER_RW (VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US)

/* Stop the program with a message when a call fails. */
static void must(vmsim_status_t rc, const char *what)
{
    if (rc != VMSIM_OK) {
        fprintf(stderr, "hello_paging: %s: %s\n", what, vmsim_strerror(rc));
        exit(1);
    }
}

int main(void)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m;
    vmsim_config_default(&cfg); /* 64-entry 4-way LRU TLBs, ... */
    cfg.ram_bytes = 1u << 20;   /* 1 MiB of simulated RAM */
    must(vmsim_create(&cfg, &m), "create the machine");

    /* Page tables live in simulated RAM; a loader writes them through the bus. */
    must(vmsim_bus_write32(m, PAGE_DIR + 4 * 1, PAGE_TABLE | USER_RW), "write PDE 1");
    must(vmsim_bus_write32(m, PAGE_TABLE + 4 * 0, DATA_FRAME | USER_RW), "write PTE 0");
    must(vmsim_write_reg(m, VMSIM_REG_CR3, PAGE_DIR), "load CR3");
    must(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG | VMSIM_CR0_PE), "turn paging on");

    /* From here on, user-mode accesses go through the MMU. */
    uint32_t value = 0;
    must(vmsim_write32(m, VMSIM_USER, 0x400010, 0xcafef00d), "store");
    must(vmsim_read32(m, VMSIM_USER, 0x400010, &value), "load");
    printf("linear 0x400010 holds 0x%08" PRIx32 "\n", value);

    /* The MMU set A and D in the PTE; the word sits in frame 0x5000. */
    uint32_t pte = 0, word = 0;
    must(vmsim_bus_read32(m, PAGE_TABLE, &pte), "read PTE 0");
    must(vmsim_bus_read32(m, DATA_FRAME + 0x10, &word), "read the frame");
    printf("PTE 0 is now 0x%" PRIx32 " (A and D set); physical 0x5010 holds 0x%08" PRIx32 "\n",
           pte, word);

    /* Nothing maps linear 0x401000: a page fault, returned as a value. */
    vmsim_status_t rc = vmsim_read32(m, VMSIM_USER, 0x401000, &value);
    if (rc == VMSIM_ERR_PAGE_FAULT) {
        vmsim_fault_t fault;
        vmsim_last_fault(m, &fault);
        printf("page fault: CR2 = 0x%" PRIx64 ", error code 0x%" PRIx32 ": %s\n", fault.cr2,
               fault.error_code, vmsim_fault_reason_text(fault.reason));
    }

    vmsim_stats_t st;
    must(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &st), "read the statistics");
    printf("data TLB: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64 " misses; "
           "%" PRIu64 " page walks read %" PRIu64 " entries\n",
           st.dtlb.lookups, st.dtlb.hits, st.dtlb.misses, st.walks, st.walk_reads);
    vmsim_destroy(m);
    return rc == VMSIM_ERR_PAGE_FAULT ? 0 : 1;
}
