/*
 * bench_swap.c - what paging to swap costs on the emulated hardware.
 *
 *   minor faults/s     demand-zero faults: a process writes one word in
 *                      each of N fresh pages, RAM to spare
 *   per policy, with F = 256 user frames and 1024 pages written once:
 *     read pass        every page read in turn: each access a major fault
 *                      (a swap-in) evicting a clean page (no write)
 *     write pass       every page written in turn: each access a major
 *                      fault whose victim is dirty (a write-back, then a
 *                      swap-in)
 *   replay             the same random stream of loads and stores (80%
 *                      on a hot quarter of the pages) with enough frames
 *                      for every page and with a quarter of them: the
 *                      time ratio is what swap pressure costs
 *
 * The swap is held in host memory: the figures are the kernel's work
 * (policy, reverse map, PTE edits, INVLPGs, bus copies), not a disk's.
 * Each row is timed with CLOCK_MONOTONIC on a fresh machine.
 *
 * Usage: bench_swap [--quick]
 */
#include <vmsim/vmsim.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BASE 0x40000000u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct sys {
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_pid_t pid;
};

static int sys_up(struct sys *s, uint32_t frames, uint32_t pages, vmsim_policy_kind_t policy)
{
    vmsim_config_t mc;
    vmsim_kernel_config_t kc;
    vmsim_config_default(&mc);
    mc.ram_bytes = 64u << 20;
    vmsim_kernel_config_default(&kc);
    kc.zero_page = false;
    kc.policy = policy;
    if (frames) {
        kc.max_user_frames = frames;
        kc.swap_slots = pages + 16;
    }
    if (vmsim_create(&mc, &s->m) || vmsim_kernel_boot(s->m, &kc, &s->k) ||
        vmsim_proc_create(s->k, &s->pid) ||
        vmsim_mmap(s->k, s->pid, BASE, pages * 4096u, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                   VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED, NULL)) {
        fprintf(stderr, "bench_swap: cannot set up the machine\n");
        return 1;
    }
    return 0;
}

static void sys_down(struct sys *s)
{
    vmsim_kernel_shutdown(s->k);
    vmsim_destroy(s->m);
}

/* One pass over the pages, reading or writing a word in each. */
static int pass(struct sys *s, uint32_t pages, bool write)
{
    for (uint32_t p = 0; p < pages; p++) {
        uint64_t v;
        vmsim_status_t rc = write
                                ? vmsim_proc_store(s->k, s->pid, VMSIM_USER, BASE + p * 4096, 4, p)
                                : vmsim_proc_load(s->k, s->pid, VMSIM_USER, BASE + p * 4096, 4, &v);
        if (rc) {
            fprintf(stderr, "bench_swap: access to page %u: %s\n", p, vmsim_strerror(rc));
            return 1;
        }
    }
    return 0;
}

static vmsim_kernel_stats_t stats(const struct sys *s)
{
    vmsim_kernel_stats_t st;
    vmsim_kernel_get_stats(s->k, &st);
    return st;
}

static int minor_faults(uint32_t pages)
{
    struct sys s;
    if (sys_up(&s, 0, pages, VMSIM_POLICY_CLOCK))
        return 1;
    double t0 = now();
    int rc = pass(&s, pages, true);
    double t = now() - t0;
    printf("%-34s %10.0f faults/s  (%u demand-zero faults, %.2f us each)\n",
           "minor (demand-zero) faults", pages / t, pages, t / pages * 1e6);
    sys_down(&s);
    return rc;
}

static int policy_row(vmsim_policy_kind_t policy, uint32_t frames, uint32_t pages)
{
    struct sys s;
    if (sys_up(&s, frames, pages, policy) || pass(&s, pages, true))
        return 1;
    vmsim_kernel_stats_t a = stats(&s);
    double t0 = now();
    if (pass(&s, pages, false))
        return 1;
    double t1 = now();
    vmsim_kernel_stats_t b = stats(&s);
    if (pass(&s, pages, true))
        return 1;
    double t2 = now();
    vmsim_kernel_stats_t c = stats(&s);
    double major_r = (double)(b.faults_major - a.faults_major);
    double major_w = (double)(c.faults_major - b.faults_major);
    printf("%-8s read pass %9.0f major/s (clean evictions %llu)   write pass %9.0f major/s "
           "(write-backs %llu)\n",
           vmsim_policy_name(policy), major_r / (t1 - t0),
           (unsigned long long)(b.evictions_clean - a.evictions_clean), major_w / (t2 - t1),
           (unsigned long long)(c.writebacks - b.writebacks));
    sys_down(&s);
    return 0;
}

/* A random stream: 80% of the references on the first quarter. */
static double replay(uint32_t frames, uint32_t pages, uint32_t n, uint64_t *major)
{
    struct sys s;
    uint32_t x = 1;
    if (sys_up(&s, frames, pages, VMSIM_POLICY_CLOCK) || pass(&s, pages, true))
        return -1;
    vmsim_kernel_stats_t a = stats(&s);
    double t0 = now();
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t page = (x % 10 < 8) ? (x >> 8) % (pages / 4) : (x >> 8) % pages;
        uint64_t v;
        vmsim_status_t rc =
            (x & 0x30000)
                ? vmsim_proc_load(s.k, s.pid, VMSIM_USER, BASE + page * 4096 + (x & 0xffc), 4, &v)
                : vmsim_proc_store(s.k, s.pid, VMSIM_USER, BASE + page * 4096 + (x & 0xffc), 4, i);
        if (rc)
            return -1;
    }
    double t = now() - t0;
    *major = stats(&s).faults_major - a.faults_major;
    sys_down(&s);
    return t;
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    uint32_t pages = quick ? 256 : 1024, frames = pages / 4, n = quick ? 200000 : 2000000;
    printf("bench_swap: %u pages, %u user frames, swap in host memory\n\n", pages, frames);
    if (minor_faults(pages * 8))
        return 1;
    for (int p = 0; p < VMSIM_POLICY_COUNT; p++)
        if (policy_row((vmsim_policy_kind_t)p, frames, pages))
            return 1;
    uint64_t major_full = 0, major_tight = 0;
    double full = replay(0, pages, n, &major_full), tight = replay(frames, pages, n, &major_tight);
    if (full < 0 || tight < 0)
        return 1;
    printf("\nreplay of %u random accesses (80%% on a quarter of %u pages), clock:\n", n, pages);
    printf("  enough frames   %8.3f s  %10.0f accesses/s  %llu major faults\n", full, n / full,
           (unsigned long long)major_full);
    printf("  %u frames      %8.3f s  %10.0f accesses/s  %llu major faults\n", frames, tight,
           n / tight, (unsigned long long)major_tight);
    printf("  swap pressure costs %.2fx\n", tight / full);
    return 0;
}
