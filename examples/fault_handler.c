/*
 * fault_handler.c - a tiny kernel that maps pages on demand.
 *
 * The kernel is one function, on_fault(), registered with
 * vmsim_set_fault_handler().  The program below uses a heap at
 * 0x10000000 that has no page at all to begin with.  Its first touch of
 * each page faults; the MMU calls on_fault() before the access returns;
 * the handler takes a free frame, maps it (making the page table first
 * when the PDE is empty), fills it with zeros, and answers
 * VMSIM_FAULT_RETRY.  The MMU then runs the access once more, and the
 * program never sees the fault.  An address outside the heap, or a
 * protection fault, gets VMSIM_FAULT_UNHANDLED: the fault goes back to
 * the program as VMSIM_ERR_PAGE_FAULT, its "segmentation fault".
 *
 * Like a real kernel, the handler reaches page tables only through the
 * MMU, with supervisor accesses, thanks to the recursive mapping: PDE
 * 1023 points at the page directory itself, so with paging on
 *
 *     the PDE of vaddr is at linear 0xFFFFF000 + 4 * (vaddr >> 22)
 *     the PTE of vaddr is at linear 0xFFC00000 + 4 * (vaddr >> 12)
 *
 * Only boot(), while paging is still off, writes RAM through the bus
 * port.  The handler issues no INVLPG: it only turns not-present entries
 * into present ones, and a not-present translation is never cached (the
 * page fault has also just dropped any entry for the page).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsim/vmsim.h>

#define PAGE 4096u
#define PAGE_DIR 0x1000u         /* physical frame of the page directory */
#define SELF_PD 0xFFFFF000u      /* the page directory, seen through slot 1023 */
#define SELF_PT_BASE 0xFFC00000u /* all page tables, seen through slot 1023 */
#define HEAP_START 0x10000000u
#define HEAP_END 0x10400000u     /* 4 MiB: one page table covers it all */
#define KERNEL_RW (VMSIM_PTE_P | VMSIM_PTE_RW)
#define USER_RW (VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US)

struct kernel {
    uint32_t next_frame; /* bump allocator: the next free physical frame */
    uint32_t ram_end;
    unsigned n_pages;    /* pages mapped on demand */
};

static void must(vmsim_status_t rc, const char *what)
{
    if (rc != VMSIM_OK) {
        fprintf(stderr, "fault_handler: %s: %s\n", what, vmsim_strerror(rc));
        exit(1);
    }
}

/* A free physical frame, or 0 when RAM is used up. */
static uint32_t alloc_frame(struct kernel *k)
{
    if (k->next_frame >= k->ram_end)
        return 0;
    k->next_frame += PAGE;
    return k->next_frame - PAGE;
}

/* Map a fresh zero-filled frame at the page of `vaddr`, creating its
 * page table if needed.  Returns false when out of frames or when one of
 * the kernel's own accesses fails. */
static bool map_zero_page(vmsim_machine_t *m, struct kernel *k, uint32_t vaddr)
{
    uint32_t page = vaddr & ~(PAGE - 1);
    uint32_t pde_addr = SELF_PD + 4 * (vaddr >> 22);
    uint32_t pte_addr = SELF_PT_BASE + 4 * (vaddr >> 12);
    uint32_t pde, frame;

    if (vmsim_read32(m, VMSIM_SUPERVISOR, pde_addr, &pde))
        return false;
    if (!(pde & VMSIM_PTE_P)) { /* no page table yet: make one */
        uint32_t table = alloc_frame(k);
        uint32_t table_view = SELF_PT_BASE + PAGE * (vaddr >> 22);
        if (!table || vmsim_write32(m, VMSIM_SUPERVISOR, pde_addr, table | USER_RW) ||
            vmsim_fill_bytes(m, VMSIM_SUPERVISOR, table_view, 0, PAGE, NULL))
            return false;
        printf("  kernel: page table for 0x%08" PRIx32 " in frame 0x%" PRIx32 "\n", page, table);
    }
    frame = alloc_frame(k);
    if (!frame || vmsim_write32(m, VMSIM_SUPERVISOR, pte_addr, frame | USER_RW) ||
        vmsim_fill_bytes(m, VMSIM_SUPERVISOR, page, 0, PAGE, NULL))
        return false;
    k->n_pages++;
    printf("  kernel: page 0x%08" PRIx32 " -> frame 0x%" PRIx32 ", zero-filled\n", page, frame);
    return true;
}

/* The fault handler: demand-zero paging for the heap, nothing else.
 * Its own accesses are counted in the kernel's statistics bank. */
static vmsim_fault_action_t on_fault(vmsim_machine_t *m, const vmsim_fault_t *fault, void *user)
{
    struct kernel *k = user;
    vmsim_bank_t previous;
    bool ok = false;

    printf("  #PF at 0x%08" PRIx64 ", error code 0x%" PRIx32 " (%s)\n", fault->cr2,
           fault->error_code, vmsim_fault_reason_text(fault->reason));
    if (!(fault->error_code & VMSIM_PF_P) && fault->cr2 >= HEAP_START && fault->cr2 < HEAP_END) {
        vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, &previous);
        ok = map_zero_page(m, k, fault->cr2);
        vmsim_set_stats_bank(m, previous, NULL);
    }
    if (!ok)
        printf("  kernel: refused\n");
    return ok ? VMSIM_FAULT_RETRY : VMSIM_FAULT_UNHANDLED;
}

/* Boot: an empty page directory whose slot 1023 points at itself, then
 * paging on.  Frames from 0x2000 up are free. */
static void boot(vmsim_machine_t *m, struct kernel *k)
{
    must(vmsim_bus_write32(m, PAGE_DIR + 4 * 1023, PAGE_DIR | KERNEL_RW), "write PDE 1023");
    must(vmsim_write_reg(m, VMSIM_REG_CR3, PAGE_DIR), "load CR3");
    must(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG | VMSIM_CR0_WP | VMSIM_CR0_PE),
         "turn paging on");
    k->next_frame = PAGE_DIR + PAGE;
    k->ram_end = (uint32_t)vmsim_ram_size(m);
    must(vmsim_set_fault_handler(m, on_fault, k), "register the fault handler");
}

static void print_bank(const vmsim_machine_t *m, vmsim_bank_t bank, const char *name)
{
    vmsim_stats_t st;
    must(vmsim_get_stats(m, bank, &st), "read the statistics");
    printf("%-8s faults %" PRIu64 " (handled %" PRIu64 "), TLB misses %" PRIu64
           ", walks %" PRIu64 "\n", name, st.faults, st.faults_handled, st.dtlb.misses, st.walks);
}

int main(void)
{
    static const char message[] = "a string that spans two pages";
    struct kernel k = {0};
    vmsim_config_t cfg;
    vmsim_machine_t *m;
    uint32_t value = 1, outside;
    char back[sizeof message];

    vmsim_config_default(&cfg);
    cfg.ram_bytes = 256u << 10; /* 256 KiB: 64 frames */
    must(vmsim_create(&cfg, &m), "create the machine");
    boot(m, &k);

    printf("program: store 42 at 0x10000000\n");
    must(vmsim_write32(m, VMSIM_USER, HEAP_START, 42), "store");
    printf("program: load 0x10000004 (same page, no fault)\n");
    must(vmsim_read32(m, VMSIM_USER, HEAP_START + 4, &value), "load");
    printf("program: it holds %" PRIu32 ": the page was zero-filled\n", value);

    printf("program: copy a string to 0x10001ff0\n");
    must(vmsim_write_bytes(m, VMSIM_USER, HEAP_START + 0x1ff0, message, sizeof message, NULL),
         "copy");
    must(vmsim_read_bytes(m, VMSIM_USER, HEAP_START + 0x1ff0, back, sizeof back, NULL), "copy back");
    printf("program: read back \"%s\"\n", back);

    printf("program: load 0x20000000 (outside the heap)\n");
    vmsim_status_t rc = vmsim_read32(m, VMSIM_USER, 0x20000000, &outside);
    printf("program: %s\n", vmsim_strerror(rc));

    printf("%u pages mapped on demand\n", k.n_pages);
    print_bank(m, VMSIM_BANK_PROGRAM, "program:");
    print_bank(m, VMSIM_BANK_KERNEL, "kernel:");
    vmsim_destroy(m);
    bool as_expected = value == 0 && strcmp(back, message) == 0 && rc == VMSIM_ERR_PAGE_FAULT;
    return as_expected ? 0 : 1;
}
