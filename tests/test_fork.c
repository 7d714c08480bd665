/*
 * test_fork.c - fork and exit: fork of a process that is not current,
 * chains of forks, exits in any order releasing every frame and page
 * table, exit of the current process, the reverse map across fork, a
 * fork that runs out of frames at each of its allocations in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define RW   (VMSIM_PROT_READ | VMSIM_PROT_WRITE)
#define PAGE 4096u

static vmsim_machine_t *m;
static vmsim_kernel_t *k;
static uint32_t boot_frames;

static int setup(void **state)
{
    (void)state;
    if (krig_boot(64u << 20, NULL, &m, &k))
        return -1;
    boot_frames = kstats(k).frames_in_use;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    krig_halt(k);
    return 0;
}

/* A process with some of everything: private, shared, read-only, heap. */
static vmsim_pid_t busy_process(uint32_t *a)
{
    vmsim_pid_t pid;
    uint32_t sh, ro, old;
    assert_int_equal(vmsim_proc_create(k, &pid), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, pid, 0, 16 * PAGE, RW, 0, a), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, pid, 0x60000000u, 2 * PAGE, RW, VMSIM_MAP_SHARED, &sh),
                     VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, pid, 0, PAGE, VMSIM_PROT_READ, VMSIM_MAP_POPULATE, &ro),
                     VMSIM_OK);
    assert_int_equal(vmsim_sbrk(k, pid, 3 * PAGE, &old), VMSIM_OK);
    for (uint32_t i = 0; i < 16; i += 2)
        assert_int_equal(vmsim_proc_store(k, pid, VMSIM_USER, *a + i * PAGE, 4, i), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, pid, VMSIM_USER, sh, 4, 99), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, pid, VMSIM_USER, old, 4, 7), VMSIM_OK);
    return pid;
}

static void fork_not_current(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_pid_t p = busy_process(&a), other, c;
    assert_int_equal(vmsim_proc_create(k, &other), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(k, other), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(k, p, &c), VMSIM_OK);
    assert_int_equal(vmsim_proc_current(k), p); /* fork runs in the parent */
    vmsim_proc_info_t pi, ci;
    vmsim_proc_get_info(k, p, &pi);
    vmsim_proc_get_info(k, c, &ci);
    assert_int_equal(pi.resident_pages, ci.resident_pages);
    assert_int_equal(pi.n_regions, ci.n_regions);
    assert_int_equal(pi.brk, ci.brk);
    for (uint32_t i = 0; i < 16; i += 2)
        assert_int_equal(user_load(k, c, a + i * PAGE), i);
    assert_int_equal(user_load(k, c, 0x60000000u), 99);
    assert_int_equal(user_load(k, c, 0x10000000u), 7);
    assert_clean(k);
    assert_int_equal(vmsim_proc_fork(k, 9999, &c), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_proc_fork(k, p, NULL), VMSIM_ERR_NULL);
    vmsim_pid_t list[8];
    assert_int_equal(vmsim_proc_list(k, list, 8), 3);
    vmsim_proc_exit(k, p);
    vmsim_proc_exit(k, c);
    vmsim_proc_exit(k, other);
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
    assert_clean(k);
}

static void chain_and_exit_any_order(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_pid_t pids[10];
    pids[0] = busy_process(&a);
    for (int g = 1; g < 10; g++) {
        assert_int_equal(vmsim_proc_fork(k, pids[g - 1], &pids[g]), VMSIM_OK);
        assert_int_equal(vmsim_proc_store(k, pids[g], VMSIM_USER, a + (uint32_t)g * PAGE, 4,
                                          1000u + (uint32_t)g),
                         VMSIM_OK);
    }
    assert_clean(k);
    for (int g = 1; g < 10; g++) {
        assert_int_equal(user_load(k, pids[g], a + (uint32_t)g * PAGE), 1000u + (uint32_t)g);
        assert_int_equal(user_load(k, pids[g], a), 0);
        if (g < 9)
            assert_int_equal(user_load(k, pids[g], a + (uint32_t)(g + 1) * PAGE),
                             (g + 1) % 2 ? 0 : (uint32_t)(g + 1));
    }
    static const int order[10] = {4, 0, 9, 1, 8, 2, 7, 3, 6, 5};
    for (int i = 0; i < 10; i++) {
        vmsim_proc_switch(k, pids[order[(i + 3) % 10]]);
        assert_int_equal(vmsim_proc_exit(k, pids[order[i]]), VMSIM_OK);
        assert_clean(k);
    }
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
    assert_int_equal(vmsim_proc_current(k), 0);
}

static void exit_current(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_pid_t p = busy_process(&a);
    assert_int_equal(vmsim_proc_switch(k, p), VMSIM_OK);
    vmsim_kernel_stats_t st0, st1;
    vmsim_kernel_get_stats(k, &st0);
    assert_int_equal(vmsim_proc_exit(k, p), VMSIM_OK);
    vmsim_kernel_get_stats(k, &st1);
    assert_int_equal(st1.cr3_loads - st0.cr3_loads, 1); /* back to the kernel's directory */
    assert_int_equal(st1.exits - st0.exits, 1);
    assert_int_equal(vmsim_proc_current(k), 0);
    uint64_t cr3;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
    assert_clean(k);
}

static void rmap_after_fork(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_pid_t p = busy_process(&a), c;
    assert_int_equal(vmsim_proc_fork(k, p, &c), VMSIM_OK);
    vmsim_pte_info_t q;
    vmsim_proc_query(k, c, a, &q);
    vmsim_rmap_entry_t e[4];
    uint32_t n;
    vmsim_pmm_rmap(vmsim_kernel_pmm(k), q.pfn, e, 4, &n);
    assert_int_equal(n, 2);
    bool seen_p = false, seen_c = false;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(e[i].vpn, a >> 12);
        seen_p |= e[i].pid == p;
        seen_c |= e[i].pid == c;
    }
    assert_true(seen_p && seen_c);
    vmsim_proc_exit(k, p);
    vmsim_pmm_rmap(vmsim_kernel_pmm(k), q.pfn, e, 4, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].pid, c);
    vmsim_proc_exit(k, c);
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
}

static void fork_out_of_frames(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_pid_t p = busy_process(&a), c;
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(k);
    uint32_t before = kstats(k).frames_in_use;
    int failures = 0;
    for (uint32_t j = 0;; j++) {
        vmsim_pmm_fail_next(pmm, j, 1);
        vmsim_status_t rc = vmsim_proc_fork(k, p, &c);
        vmsim_pmm_fail_next(pmm, 0, 0);
        assert_clean(k);
        if (rc == VMSIM_OK)
            break;
        assert_int_equal(rc, VMSIM_ERR_NO_FRAMES);
        assert_int_equal(kstats(k).frames_in_use, before); /* nothing leaked */
        assert_int_equal(vmsim_proc_list(k, NULL, 0), 1);
        failures++;
    }
    assert_true(failures >= 2); /* the directory and at least one page table */
    for (uint32_t i = 0; i < 16; i += 2)
        assert_int_equal(user_load(k, p, a + i * PAGE), i);
    assert_int_equal(vmsim_proc_store(k, p, VMSIM_USER, a, 4, 5), VMSIM_OK);
    assert_int_equal(user_load(k, c, a), 0);
    vmsim_proc_exit(k, c);
    vmsim_proc_exit(k, p);
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
    assert_clean(k);
}

static void create_out_of_frames(void **state)
{
    (void)state;
    vmsim_pid_t p;
    vmsim_pmm_fail_next(vmsim_kernel_pmm(k), 0, 1);
    assert_int_equal(vmsim_proc_create(k, &p), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(kstats(k).frames_in_use, boot_frames);
    assert_int_equal(vmsim_proc_create(k, &p), VMSIM_OK);
    vmsim_proc_exit(k, p);
    assert_clean(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_not_current),   cmocka_unit_test(chain_and_exit_any_order),
        cmocka_unit_test(exit_current),       cmocka_unit_test(rmap_after_fork),
        cmocka_unit_test(fork_out_of_frames), cmocka_unit_test(create_out_of_frames),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
