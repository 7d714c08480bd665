/*
 * fork_cow.c - fork and copy-on-write on real x86 page tables.
 *
 * Boots the simulated kernel on a 16 MiB machine, gives a process four
 * pages, forks it, and lets parent and child write.  After each step it
 * prints what the page tables say about the first page (which frame,
 * writable or not, how many references) and what it cost: page faults
 * by kind, INVLPGs and CR3 loads.  Finally it runs the kernel's
 * invariant checker.
 *
 *   build:  cmake --build build && ./build/examples/fork_cow
 */
#include <stdio.h>
#include <vmsim/vmsim.h>

#define PAGE 4096u

static vmsim_kernel_t *k;

static void show_page(const char *who, vmsim_pid_t pid, uint32_t va)
{
    vmsim_pte_info_t q;
    uint32_t refs = 0;
    uint64_t value = 0;
    vmsim_proc_query(k, pid, va, &q);
    vmsim_pmm_refcount(vmsim_kernel_pmm(k), q.pfn, &refs);
    vmsim_proc_load(k, pid, VMSIM_SUPERVISOR, va, 4, &value);
    printf("    %-7s %#010x -> frame %5u  %s  refcount %u  value %llu\n", who, va, q.pfn,
           q.writable ? "rw" : "ro", refs, (unsigned long long)value);
}

static void show_costs(const char *step, vmsim_kernel_stats_t *before)
{
    vmsim_kernel_stats_t now;
    vmsim_kernel_get_stats(k, &now);
    printf("  %s\n", step);
    printf("    faults: %llu demand-zero, %llu zero-map, %llu cow-copy, %llu cow-reuse;"
           " %llu INVLPG, %llu CR3 loads; %u frames in use\n",
           (unsigned long long)(now.faults_demand_zero - before->faults_demand_zero),
           (unsigned long long)(now.faults_zero_map - before->faults_zero_map),
           (unsigned long long)(now.faults_cow_copy - before->faults_cow_copy),
           (unsigned long long)(now.faults_cow_reuse - before->faults_cow_reuse),
           (unsigned long long)(now.invlpgs - before->invlpgs),
           (unsigned long long)(now.cr3_loads - before->cr3_loads), now.frames_in_use);
    *before = now;
}

static int run(vmsim_machine_t *m)
{
    vmsim_pid_t parent, child;
    vmsim_kernel_stats_t st;
    uint32_t a;
    if (vmsim_kernel_boot(m, NULL, &k) || vmsim_proc_create(k, &parent))
        return 1;
    vmsim_kernel_get_stats(k, &st);
    printf("booted: kernel image ends at %#x, %u of %u frames in use\n", st.kernel_end,
           st.frames_in_use, st.frames_total);
    vmsim_mmap(k, parent, 0, 4 * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_PRIVATE, &a);
    vmsim_proc_switch(k, parent);
    show_costs("mmap 4 pages and switch to the parent", &st);

    for (uint32_t i = 0; i < 4; i++)
        vmsim_write32(m, VMSIM_USER, a + i * PAGE, 100 + i); /* the program's own stores */
    show_costs("parent writes each page: one demand-zero fault per page", &st);
    show_page("parent", parent, a);

    vmsim_kernel_get_stats(k, &st); /* (show_page itself switches processes) */
    vmsim_proc_fork(k, parent, &child);
    show_costs("fork: every page now copy-on-write in both", &st);
    show_page("parent", parent, a);
    show_page("child", child, a);

    vmsim_proc_switch(k, child);
    vmsim_kernel_get_stats(k, &st);
    vmsim_write32(m, VMSIM_USER, a, 200);
    show_costs("switch to the child; it writes page 0: the frame is copied", &st);
    show_page("parent", parent, a);
    show_page("child", child, a);

    vmsim_proc_switch(k, parent);
    vmsim_kernel_get_stats(k, &st);
    vmsim_write32(m, VMSIM_USER, a, 300);
    show_costs("parent writes page 0: last reference, made writable again", &st);
    show_page("parent", parent, a);

    vmsim_kernel_get_stats(k, &st);
    vmsim_proc_exit(k, child);
    vmsim_proc_exit(k, parent);
    show_costs("both exit", &st);

    vmsim_check_report_t rep;
    vmsim_status_t rc = vmsim_check(k, &rep);
    printf("vmsim_check: %s (%u spaces, %u frames, %u TLB entries examined)\n",
           rc == VMSIM_OK ? "clean" : "PROBLEMS", rep.n_spaces, rep.n_frames, rep.n_tlb_entries);
    for (uint32_t i = 0; i < rep.n_stored; i++) {
        char line[256];
        vmsim_check_problem_format(&rep.problems[i], line, sizeof line);
        printf("  %s\n", line);
    }
    vmsim_kernel_shutdown(k);
    return rc == VMSIM_OK ? 0 : 1;
}

int main(void)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;
    if (vmsim_create(&cfg, &m) != VMSIM_OK)
        return 1;
    int rc = run(m);
    vmsim_destroy(m);
    return rc;
}
