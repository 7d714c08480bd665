/*
 * test_regions.c - mmap (hint, fixed, populate, reserve, large), munmap
 * and mprotect on any sub-range with region splitting, commit /
 * decommit, brk / sbrk, page tables freed when no region needs them.
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
static vmsim_pid_t pid;

static int setup(void **state)
{
    (void)state;
    if (krig_boot(64u << 20, NULL, &m, &k) || vmsim_proc_create(k, &pid))
        return -1;
    return vmsim_proc_switch(k, pid);
}

static int teardown(void **state)
{
    (void)state;
    krig_halt(k);
    return 0;
}

static vmsim_status_t put32(uint32_t va, uint32_t v)
{
    return vmsim_proc_store(k, pid, VMSIM_USER, va, 4, v);
}

static uint32_t get32(uint32_t va, vmsim_status_t want)
{
    uint64_t v = 0;
    assert_int_equal(vmsim_proc_load(k, pid, VMSIM_USER, va, 4, &v), want);
    return (uint32_t)v;
}

static uint32_t n_regions(void)
{
    uint32_t n;
    assert_int_equal(vmsim_region_list(k, pid, NULL, 0, &n), VMSIM_OK);
    return n;
}

static void mmap_placement(void **state)
{
    (void)state;
    uint32_t a, b, c;
    assert_int_equal(vmsim_mmap(k, pid, 0, 3 * PAGE, RW, VMSIM_MAP_PRIVATE, &a), VMSIM_OK);
    assert_int_equal(a, 0x40000000u);
    assert_int_equal(vmsim_mmap(k, pid, 0, 100, RW, VMSIM_MAP_PRIVATE, &b), VMSIM_OK);
    assert_int_equal(b, a + 3 * PAGE); /* next gap; length rounded up */
    assert_int_equal(vmsim_mmap(k, pid, 0x50000123u, PAGE, RW, 0, &c), VMSIM_OK);
    assert_int_equal(c, 0x50001000u); /* hint rounded up to a page */
    assert_int_equal(vmsim_mmap(k, pid, a, PAGE, RW, 0, &c), VMSIM_OK);
    assert_int_not_equal(c, a); /* a hint never replaces */
    assert_int_equal(put32(a, 7), VMSIM_OK);
    /* FIXED replaces, and the new memory is zero */
    assert_int_equal(vmsim_mmap(k, pid, a, PAGE, RW, VMSIM_MAP_FIXED, &c), VMSIM_OK);
    assert_int_equal(c, a);
    assert_int_equal(get32(a, VMSIM_OK), 0);
    assert_clean(k);
    /* bad arguments */
    assert_int_equal(vmsim_mmap(k, pid, 0x123, PAGE, RW, VMSIM_MAP_FIXED, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, 0, 0, RW, 0, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, 0, PAGE, RW, VMSIM_MAP_PRIVATE | VMSIM_MAP_SHARED, &c),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, 0, PAGE, 0x80, 0, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, 0, PAGE, RW, 0x1000, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, 0xBFFFF000u, 2 * PAGE, RW, VMSIM_MAP_FIXED, &c),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, 4242, 0, PAGE, RW, 0, &c), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_mmap(k, pid, 0, 0xA0000000u, RW, 0, &c), VMSIM_ERR_NO_SPACE);
    assert_int_equal(vmsim_munmap(k, pid, 0, 0xC0000000u), VMSIM_OK);
    assert_int_equal(n_regions(), 0);
    vmsim_proc_info_t info;
    vmsim_proc_get_info(k, pid, &info);
    assert_int_equal(info.page_tables, 0);
    assert_int_equal(info.resident_pages, 0);
    assert_clean(k);
}

static void munmap_splits(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(vmsim_mmap(k, pid, 0, 8 * PAGE, RW, VMSIM_MAP_PRIVATE, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(put32(a + i * PAGE, 100 + i), VMSIM_OK);
    assert_int_equal(vmsim_munmap(k, pid, a + 3 * PAGE, 2 * PAGE), VMSIM_OK);
    assert_int_equal(n_regions(), 2);
    vmsim_region_info_t r[2];
    uint32_t n;
    vmsim_region_list(k, pid, r, 2, &n);
    assert_int_equal(r[0].end, a + 3 * PAGE);
    assert_int_equal(r[1].start, a + 5 * PAGE);
    assert_int_equal(get32(a + 2 * PAGE, VMSIM_OK), 102);
    get32(a + 3 * PAGE, VMSIM_ERR_SEGV);
    get32(a + 4 * PAGE, VMSIM_ERR_SEGV);
    assert_int_equal(get32(a + 5 * PAGE, VMSIM_OK), 105);
    vmsim_kfault_t f;
    vmsim_kernel_last_fault(k, &f);
    get32(a + 4 * PAGE + 8, VMSIM_ERR_SEGV);
    vmsim_kernel_last_fault(k, &f);
    assert_int_equal(f.kind, VMSIM_KFAULT_SEGV);
    assert_int_equal(f.cr2, a + 4 * PAGE + 8);
    assert_int_equal(f.error_code, VMSIM_PF_U);
    /* unaligned start is refused; a length is rounded up; holes are fine */
    assert_int_equal(vmsim_munmap(k, pid, a + 1, PAGE), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_munmap(k, pid, a, 1), VMSIM_OK);
    get32(a, VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_munmap(k, pid, a, 8 * PAGE), VMSIM_OK);
    assert_int_equal(n_regions(), 0);
    assert_clean(k);
}

static void mprotect_subrange(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(vmsim_mmap(k, pid, 0, 4 * PAGE, RW, VMSIM_MAP_PRIVATE, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(put32(a + i * PAGE, 0xA0 + i), VMSIM_OK);
    assert_int_equal(vmsim_mprotect(k, pid, a + PAGE, 2 * PAGE, VMSIM_PROT_READ), VMSIM_OK);
    assert_int_equal(n_regions(), 3);
    assert_int_equal(put32(a, 1), VMSIM_OK);
    assert_int_equal(put32(a + PAGE, 1), VMSIM_ERR_SEGV);
    vmsim_kfault_t f;
    vmsim_kernel_last_fault(k, &f);
    assert_int_equal(f.error_code, VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    assert_int_equal(get32(a + PAGE, VMSIM_OK), 0xA1);
    assert_clean(k);
    /* PROT_NONE keeps the contents */
    assert_int_equal(vmsim_mprotect(k, pid, a + PAGE, PAGE, VMSIM_PROT_NONE), VMSIM_OK);
    get32(a + PAGE, VMSIM_ERR_SEGV);
    uint64_t v;
    assert_int_equal(vmsim_proc_load(k, pid, VMSIM_SUPERVISOR, a + PAGE, 4, &v), VMSIM_ERR_KERNEL);
    assert_clean(k);
    assert_int_equal(vmsim_mprotect(k, pid, a, 4 * PAGE, RW), VMSIM_OK);
    assert_int_equal(get32(a + PAGE, VMSIM_OK), 0xA1);
    assert_int_equal(put32(a + 2 * PAGE, 5), VMSIM_OK);
    /* not covered: nothing changes */
    assert_int_equal(vmsim_mprotect(k, pid, a, 5 * PAGE, VMSIM_PROT_READ), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(put32(a, 9), VMSIM_OK);
    assert_int_equal(vmsim_munmap(k, pid, a, 4 * PAGE), VMSIM_OK);
    assert_clean(k);
}

static void reserve_commit(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(vmsim_mmap(k, pid, 0, 16 * PAGE, RW, VMSIM_MAP_RESERVE, &a), VMSIM_OK);
    get32(a, VMSIM_ERR_SEGV);
    uint32_t b;
    assert_int_equal(vmsim_mmap(k, pid, a, PAGE, RW, 0, &b), VMSIM_OK);
    assert_true(b >= a + 16 * PAGE); /* the reserved range is held */
    assert_int_equal(vmsim_mcommit(k, pid, a + 4 * PAGE, 2 * PAGE, RW), VMSIM_OK);
    assert_int_equal(put32(a + 4 * PAGE, 44), VMSIM_OK);
    assert_int_equal(get32(a + 5 * PAGE, VMSIM_OK), 0);
    get32(a + 6 * PAGE, VMSIM_ERR_SEGV);
    assert_clean(k);
    assert_int_equal(vmsim_mdecommit(k, pid, a + 4 * PAGE, PAGE), VMSIM_OK);
    get32(a + 4 * PAGE, VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_mcommit(k, pid, a + 4 * PAGE, PAGE, VMSIM_PROT_READ), VMSIM_OK);
    assert_int_equal(get32(a + 4 * PAGE, VMSIM_OK), 0); /* decommitted data is gone */
    assert_int_equal(put32(a + 4 * PAGE, 1), VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_mcommit(k, pid, a + 15 * PAGE, 3 * PAGE, RW), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_munmap(k, pid, a, 17 * PAGE), VMSIM_OK);
    assert_clean(k);
}

static void brk_sbrk(void **state)
{
    (void)state;
    uint32_t cur, old;
    assert_int_equal(vmsim_brk(k, pid, 0, &cur), VMSIM_OK);
    assert_int_equal(cur, 0x10000000u);
    assert_int_equal(vmsim_sbrk(k, pid, 10000, &old), VMSIM_OK);
    assert_int_equal(old, 0x10000000u);
    assert_int_equal(put32(0x10000000u + 9996, 5), VMSIM_OK);
    assert_int_equal(put32(0x10000000u + 3 * PAGE, 5), VMSIM_ERR_SEGV); /* past the rounded break */
    assert_int_equal(vmsim_brk(k, pid, 0x10000000u + 5 * PAGE, &cur), VMSIM_OK);
    assert_int_equal(put32(0x10000000u + 4 * PAGE, 6), VMSIM_OK);
    assert_int_equal(get32(0x10000000u + 9996, VMSIM_OK), 5);
    assert_int_equal(vmsim_sbrk(k, pid, -(int32_t)(4 * PAGE), &old), VMSIM_OK);
    get32(0x10000000u + 4 * PAGE, VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_brk(k, pid, 0x0FFFF000u, &cur), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_sbrk(k, pid, -(int32_t)(8 * PAGE), &old), VMSIM_ERR_INVALID);
    /* a region in the way */
    uint32_t a;
    assert_int_equal(vmsim_mmap(k, pid, 0x10010000u, PAGE, RW, VMSIM_MAP_FIXED, &a), VMSIM_OK);
    assert_int_equal(vmsim_brk(k, pid, 0x10020000u, &cur), VMSIM_ERR_NO_SPACE);
    assert_int_equal(cur, 0x10000000u + PAGE);
    vmsim_region_info_t r[4];
    uint32_t n;
    vmsim_region_list(k, pid, r, 4, &n);
    assert_true(r[0].heap);
    assert_int_equal(vmsim_brk(k, pid, 0x10000000u, &cur), VMSIM_OK);
    assert_int_equal(vmsim_munmap(k, pid, a, PAGE), VMSIM_OK);
    assert_clean(k);
}

static void populate_and_large(void **state)
{
    (void)state;
    uint32_t a;
    vmsim_proc_info_t info;
    assert_int_equal(vmsim_mmap(k, pid, 0, 5 * PAGE, RW, VMSIM_MAP_POPULATE, &a), VMSIM_OK);
    vmsim_proc_get_info(k, pid, &info);
    assert_int_equal(info.resident_pages, 5);
    vmsim_kernel_stats_t st0, st1;
    vmsim_kernel_get_stats(k, &st0);
    assert_int_equal(put32(a + 4 * PAGE, 1), VMSIM_OK);
    vmsim_kernel_get_stats(k, &st1);
    assert_int_equal(st1.faults, st0.faults); /* populated: no fault */
    assert_int_equal(vmsim_munmap(k, pid, a, 5 * PAGE), VMSIM_OK);
    /* 4 MiB pages */
    uint32_t big = 0x80000000u;
    assert_int_equal(
        vmsim_mmap(k, pid, big + PAGE, 4u << 20, RW, VMSIM_MAP_FIXED | VMSIM_MAP_LARGE, &a),
        VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, big, 4u << 20, RW, VMSIM_MAP_SHARED | VMSIM_MAP_LARGE, &a),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mmap(k, pid, big, 8u << 20, RW, VMSIM_MAP_FIXED | VMSIM_MAP_LARGE, &a),
                     VMSIM_OK);
    assert_int_equal(put32(big + (5u << 20) + 12, 0x55), VMSIM_OK);
    vmsim_pte_info_t q;
    assert_int_equal(vmsim_proc_query(k, pid, big + (5u << 20), &q), VMSIM_OK);
    assert_true(q.present && q.large && q.writable);
    assert_int_equal(q.pfn % 1024, (5u << 20) / PAGE % 1024);
    vmsim_proc_get_info(k, pid, &info);
    assert_int_equal(info.resident_pages, 1024);
    assert_int_equal(get32(big + (5u << 20) + 12, VMSIM_OK), 0x55);
    assert_int_equal(vmsim_munmap(k, pid, big, PAGE), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mprotect(k, pid, big, PAGE, VMSIM_PROT_READ), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_mprotect(k, pid, big + (4u << 20), 4u << 20, VMSIM_PROT_READ), VMSIM_OK);
    assert_int_equal(put32(big + (5u << 20), 1), VMSIM_ERR_SEGV);
    assert_int_equal(put32(big, 1), VMSIM_OK);
    assert_clean(k);
    assert_int_equal(vmsim_munmap(k, pid, big, 8u << 20), VMSIM_OK);
    vmsim_proc_get_info(k, pid, &info);
    assert_int_equal(info.resident_pages, 0);
    assert_clean(k);
}

static void shared_region(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(vmsim_mmap(k, pid, 0, 4 * PAGE, RW, VMSIM_MAP_SHARED, &a), VMSIM_OK);
    assert_int_equal(get32(a, VMSIM_OK), 0); /* a real frame, even for a read */
    vmsim_pte_info_t q;
    vmsim_proc_query(k, pid, a, &q);
    assert_true(q.writable);
    assert_int_equal(vmsim_munmap(k, pid, a + PAGE, PAGE), VMSIM_OK); /* split the object */
    assert_int_equal(put32(a + 2 * PAGE, 3), VMSIM_OK);
    assert_clean(k);
    assert_int_equal(vmsim_munmap(k, pid, a, 4 * PAGE), VMSIM_OK);
    assert_clean(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mmap_placement),    cmocka_unit_test(munmap_splits),
        cmocka_unit_test(mprotect_subrange), cmocka_unit_test(reserve_commit),
        cmocka_unit_test(brk_sbrk),          cmocka_unit_test(populate_and_large),
        cmocka_unit_test(shared_region),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
