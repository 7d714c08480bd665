/*
 * test_cow.c - copy-on-write: frames shared after fork, the copy on the
 * first write, the reuse when the last other reference is gone, shared
 * and read-only mappings, the zero frame, 4 MiB pages, kernel-mode
 * writes (copy_to_user) that break COW, and the exact INVLPG / CR3 cost
 * of a fork + COW scenario.
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

static int setup(void **state)
{
    (void)state;
    return krig_boot(64u << 20, NULL, &m, &k);
}

/* Fails the group when the tests left the kernel inconsistent. */
static int teardown(void **state)
{
    (void)state;
    vmsim_status_t rc = krig_check(k, NULL);
    krig_halt(k);
    return rc == VMSIM_OK ? 0 : -1;
}

static vmsim_pte_info_t query(vmsim_pid_t pid, uint32_t va)
{
    vmsim_pte_info_t q;
    assert_int_equal(vmsim_proc_query(k, pid, va, &q), VMSIM_OK);
    return q;
}

static uint32_t refs(uint32_t pfn)
{
    uint32_t n;
    vmsim_pmm_refcount(vmsim_kernel_pmm(k), pfn, &n);
    return n;
}

static void copy_then_reuse(void **state)
{
    (void)state;
    vmsim_pid_t parent, child;
    uint32_t a;
    assert_int_equal(vmsim_proc_create(k, &parent), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0, 2 * PAGE, RW, VMSIM_MAP_PRIVATE, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, a, 4, 1111), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, a + PAGE, 4, 2222), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(k, parent, &child), VMSIM_OK);
    vmsim_pte_info_t p0 = query(parent, a), c0 = query(child, a);
    assert_int_equal(p0.pfn, c0.pfn);
    assert_false(p0.writable);
    assert_false(c0.writable);
    assert_int_equal(refs(p0.pfn), 2);
    vmsim_rmap_entry_t e[4];
    uint32_t n;
    vmsim_pmm_rmap(vmsim_kernel_pmm(k), p0.pfn, e, 4, &n);
    assert_int_equal(n, 2);
    assert_clean(k);
    /* the child writes: it gets a copy */
    vmsim_kernel_stats_t st0 = kstats(k);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, a, 4, 3333), VMSIM_OK);
    vmsim_kernel_stats_t st1 = kstats(k);
    assert_int_equal(st1.faults_cow_copy - st0.faults_cow_copy, 1);
    c0 = query(child, a);
    assert_int_not_equal(c0.pfn, p0.pfn);
    assert_true(c0.writable);
    assert_int_equal(refs(p0.pfn), 1);
    assert_int_equal(user_load(k, parent, a), 1111);
    assert_int_equal(user_load(k, child, a), 3333);
    assert_int_equal(user_load(k, child, a + PAGE), 2222);
    /* the parent writes: last reference, so no copy */
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, a, 4, 4444), VMSIM_OK);
    vmsim_kernel_stats_t st2 = kstats(k);
    assert_int_equal(st2.faults_cow_reuse - st1.faults_cow_reuse, 1);
    assert_int_equal(st2.faults_cow_copy, st1.faults_cow_copy);
    assert_int_equal(query(parent, a).pfn, p0.pfn);
    assert_int_equal(user_load(k, child, a), 3333);
    assert_clean(k);
    assert_int_equal(vmsim_proc_exit(k, child), VMSIM_OK);
    assert_int_equal(refs(query(parent, a + PAGE).pfn), 1);
    assert_int_equal(vmsim_proc_exit(k, parent), VMSIM_OK);
    assert_clean(k);
}

static void shared_and_readonly(void **state)
{
    (void)state;
    vmsim_pid_t parent, child;
    uint32_t sh, ro;
    uint64_t v;
    assert_int_equal(vmsim_proc_create(k, &parent), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0, PAGE, RW, VMSIM_MAP_SHARED, &sh), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0, 2 * PAGE, VMSIM_PROT_READ, 0, &ro), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, sh, 4, 5), VMSIM_OK);
    user_load(k, parent, ro);
    assert_int_equal(vmsim_proc_fork(k, parent, &child), VMSIM_OK);
    assert_true(query(parent, sh).writable);
    assert_true(query(child, sh).writable);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, sh, 4, 6), VMSIM_OK);
    assert_int_equal(user_load(k, parent, sh), 6); /* shared stays shared */
    /* a page first touched by the child is the parent's too */
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, sh + 100, 1, 9), VMSIM_OK);
    assert_int_equal(vmsim_proc_load(k, parent, VMSIM_USER, sh + 100, 1, &v), VMSIM_OK);
    assert_int_equal(v, 9);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, ro, 4, 1), VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, ro, 4, 1), VMSIM_ERR_SEGV);
    /* mprotect to writable later: the shared frame is still copy-on-write */
    assert_int_equal(vmsim_mprotect(k, child, ro, PAGE, RW), VMSIM_OK);
    assert_false(query(child, ro).writable);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, ro, 4, 1), VMSIM_OK);
    assert_int_equal(user_load(k, parent, ro), 0);
    assert_clean(k);
    assert_int_equal(vmsim_proc_exit(k, parent), VMSIM_OK);
    assert_int_equal(user_load(k, child, sh), 6);
    assert_int_equal(vmsim_proc_exit(k, child), VMSIM_OK);
    assert_clean(k);
}

static void zero_frame_and_kernel_writes(void **state)
{
    (void)state;
    vmsim_pid_t parent, child;
    uint32_t a;
    assert_int_equal(vmsim_proc_create(k, &parent), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0, 2 * PAGE, RW, 0, &a), VMSIM_OK);
    assert_int_equal(user_load(k, parent, a), 0); /* the zero frame */
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, a + PAGE, 4, 8), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(k, parent, &child), VMSIM_OK);
    vmsim_kernel_stats_t st0 = kstats(k);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, a, 4, 1), VMSIM_OK);
    assert_int_equal(kstats(k).faults_zero_break - st0.faults_zero_break, 1);
    assert_int_equal(user_load(k, parent, a), 0);
    /* copy_to_user: a supervisor write honours WP and breaks COW too */
    uint32_t word = 0x77;
    assert_int_equal(vmsim_copy_to_user(k, child, a + PAGE, &word, 4), VMSIM_OK);
    assert_int_equal(user_load(k, parent, a + PAGE), 8);
    assert_int_equal(user_load(k, child, a + PAGE), 0x77);
    assert_int_equal(vmsim_copy_from_user(k, parent, &word, a + PAGE, 4), VMSIM_OK);
    assert_int_equal(word, 8);
    assert_clean(k);
    vmsim_proc_exit(k, parent);
    vmsim_proc_exit(k, child);
    assert_clean(k);
}

static void large_pages(void **state)
{
    (void)state;
    vmsim_pid_t parent, child;
    uint32_t a, v;
    assert_int_equal(vmsim_proc_create(k, &parent), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0x00800000u, 4u << 20, RW,
                                VMSIM_MAP_FIXED | VMSIM_MAP_LARGE | VMSIM_MAP_POPULATE, &a),
                     VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k, parent, VMSIM_USER, a + 0x2000, 4, 42), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(k, parent, &child), VMSIM_OK);
    vmsim_pte_info_t p = query(parent, a), c = query(child, a);
    assert_int_equal(p.pfn, c.pfn);
    assert_false(p.writable);
    vmsim_kernel_stats_t st0 = kstats(k);
    assert_int_equal(vmsim_proc_store(k, child, VMSIM_USER, a + 0x3FF000, 4, 43), VMSIM_OK);
    vmsim_kernel_stats_t st1 = kstats(k);
    assert_int_equal(st1.faults_cow_copy - st0.faults_cow_copy, 1);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 1024);
    assert_int_equal(user_load(k, child, a + 0x2000), 42);
    assert_int_equal(user_load(k, parent, a + 0x3FF000), 0);
    vmsim_proc_switch(k, parent);
    assert_int_equal(vmsim_write32(m, VMSIM_USER, a, 1), VMSIM_OK); /* reuse */
    assert_int_equal(kstats(k).faults_cow_reuse - st1.faults_cow_reuse, 1);
    assert_int_equal(vmsim_read32(m, VMSIM_USER, a + 0x2000, &v), VMSIM_OK);
    assert_int_equal(v, 42);
    assert_clean(k);
    vmsim_proc_exit(k, child);
    vmsim_proc_exit(k, parent);
    assert_int_equal(kstats(k).user_frames, 0);
    assert_clean(k);
}

/* The scenario of the report: what fork + COW costs in TLB maintenance. */
static void invlpg_budget(void **state)
{
    (void)state;
    vmsim_pid_t parent, child;
    uint32_t a;
    assert_int_equal(vmsim_proc_create(k, &parent), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(k, parent), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, parent, 0, 8 * PAGE, RW, 0, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(vmsim_write32(m, VMSIM_USER, a + i * PAGE, i), VMSIM_OK);
    vmsim_kernel_stats_t st0 = kstats(k);
    assert_int_equal(vmsim_proc_fork(k, parent, &child), VMSIM_OK);
    vmsim_kernel_stats_t st1 = kstats(k);
    /* 1 temp slot (new PD) + 8 parent PTEs that lost W while cached */
    print_message("fork of 8 dirty pages: %llu INVLPG, %llu CR3 loads\n",
                  (unsigned long long)(st1.invlpgs - st0.invlpgs),
                  (unsigned long long)(st1.cr3_loads - st0.cr3_loads));
    assert_int_equal(st1.invlpgs - st0.invlpgs, 9);
    assert_int_equal(st1.cr3_loads - st0.cr3_loads, 0);
    assert_int_equal(vmsim_write32(m, VMSIM_USER, a, 100), VMSIM_OK); /* parent: COW copy */
    vmsim_kernel_stats_t st2 = kstats(k);
    assert_int_equal(st2.invlpgs - st1.invlpgs, 2); /* temp slots 1 and 2; none for the page */
    assert_int_equal(vmsim_proc_switch(k, child), VMSIM_OK);
    assert_int_equal(vmsim_write32(m, VMSIM_USER, a, 200), VMSIM_OK); /* child: reuse */
    vmsim_kernel_stats_t st3 = kstats(k);
    assert_int_equal(st3.invlpgs - st2.invlpgs, 0);
    assert_int_equal(st3.cr3_loads - st2.cr3_loads, 1);
    assert_int_equal(st3.faults_cow_reuse - st2.faults_cow_reuse, 1);
    assert_clean(k);
    /* more dirty pages than the threshold (32): one CR3 reload instead */
    assert_int_equal(vmsim_mmap(k, child, 0, 64 * PAGE, RW, 0, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(vmsim_write32(m, VMSIM_USER, a + i * PAGE, i), VMSIM_OK);
    vmsim_pid_t grandchild;
    st0 = kstats(k);
    assert_int_equal(vmsim_proc_fork(k, child, &grandchild), VMSIM_OK);
    st1 = kstats(k);
    print_message("fork of 71 dirty pages: %llu INVLPG, %llu CR3 loads\n",
                  (unsigned long long)(st1.invlpgs - st0.invlpgs),
                  (unsigned long long)(st1.cr3_loads - st0.cr3_loads));
    assert_int_equal(st1.invlpgs - st0.invlpgs, 1);
    assert_int_equal(st1.cr3_flushes - st0.cr3_flushes, 1);
    assert_clean(k);
    vmsim_proc_exit(k, grandchild);
    vmsim_proc_exit(k, child);
    vmsim_proc_exit(k, parent);
    assert_clean(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_then_reuse),
        cmocka_unit_test(shared_and_readonly),
        cmocka_unit_test(zero_frame_and_kernel_writes),
        cmocka_unit_test(large_pages),
        cmocka_unit_test(invlpg_budget),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
