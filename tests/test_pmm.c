/*
 * test_pmm.c - the frame allocator on its own: single frames, aligned
 * runs, reservation, reference counts and their overflow, flags, the
 * reverse map, fault injection (fail next N, cap), and the self-check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <vmsim/pmm.h>

#include "pmm/pmm_internal.h"

static vmsim_pmm_t *make(uint32_t n)
{
    vmsim_pmm_t *p = NULL;
    assert_int_equal(vmsim_pmm_create(n, &p), VMSIM_OK);
    return p;
}

static void create_args(void **state)
{
    (void)state;
    vmsim_pmm_t *p = NULL;
    assert_int_equal(vmsim_pmm_create(0, &p), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_create((1u << 20) + 1, &p), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_create(10, NULL), VMSIM_ERR_NULL);
    p = make(1u << 20);
    vmsim_pmm_stats_t st;
    assert_int_equal(vmsim_pmm_get_stats(p, &st), VMSIM_OK);
    assert_int_equal(st.n_free, 1u << 20);
    vmsim_pmm_destroy(p);
    vmsim_pmm_destroy(NULL);
}

static void alloc_all_then_free(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(100); /* not a multiple of 64: padding bits */
    uint8_t seen[100] = {0};
    for (int i = 0; i < 100; i++) {
        uint32_t pfn;
        assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
        assert_true(pfn < 100);
        assert_false(seen[pfn]);
        seen[pfn] = 1;
    }
    uint32_t pfn;
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    bool freed = false;
    assert_int_equal(vmsim_pmm_put(p, 42, &freed), VMSIM_OK);
    assert_true(freed);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(pfn, 42);
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_stats_t st;
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.n_used, 100);
    assert_int_equal(st.peak_used, 100);
    assert_int_equal(st.failed_allocs, 1);
    vmsim_pmm_destroy(p);
}

static void reserve(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(64);
    assert_int_equal(vmsim_pmm_reserve(p, 0, 4), VMSIM_OK);
    uint32_t pfn;
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(pfn, 4);
    assert_int_equal(vmsim_pmm_reserve(p, 4, 1), VMSIM_ERR_BUSY);
    assert_int_equal(vmsim_pmm_reserve(p, 60, 5), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_put(p, 0, NULL), VMSIM_ERR_BAD_FREE);
    unsigned flags;
    vmsim_pmm_flags(p, 1, &flags);
    assert_int_equal(flags, VMSIM_FRAME_RESERVED);
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_destroy(p);
}

static void runs_aligned(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(4096);
    uint32_t single, run, run2, pfn;
    assert_int_equal(vmsim_pmm_alloc(p, 0, &single), VMSIM_OK); /* frame 0 */
    assert_int_equal(vmsim_pmm_alloc_run(p, 1024, 1024, VMSIM_FRAME_TAIL, &run), VMSIM_OK);
    assert_int_equal(run, 1024);
    assert_int_equal(vmsim_pmm_alloc_run(p, 3, 4, 0, &run2), VMSIM_OK);
    assert_int_equal(run2 % 4, 0);
    assert_true(run2 >= 4 && run2 < 1024);
    assert_int_equal(vmsim_pmm_alloc_run(p, 2048, 1024, 0, &pfn), VMSIM_OK);
    assert_int_equal(pfn, 2048);
    assert_int_equal(vmsim_pmm_alloc_run(p, 1024, 1024, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_pmm_alloc_run(p, 5, 3, 0, &pfn), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_alloc_run(p, 0, 1, 0, &pfn), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_free_run(p, run, 1024), VMSIM_OK);
    assert_int_equal(vmsim_pmm_free_run(p, run, 1024), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_pmm_alloc_run(p, 1024, 1024, 0, &pfn), VMSIM_OK);
    assert_int_equal(pfn, 1024);
    vmsim_pmm_stats_t st;
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.run_allocs, 4);
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_destroy(p);
}

static void refcounts(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(16);
    uint32_t pfn, rc;
    bool freed;
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    vmsim_pmm_refcount(p, pfn, &rc);
    assert_int_equal(rc, 1);
    assert_int_equal(vmsim_pmm_get(p, pfn), VMSIM_OK);
    vmsim_pmm_refcount(p, pfn, &rc);
    assert_int_equal(rc, 2);
    assert_int_equal(vmsim_pmm_put(p, pfn, &freed), VMSIM_OK);
    assert_false(freed);
    assert_int_equal(vmsim_pmm_put(p, pfn, &freed), VMSIM_OK);
    assert_true(freed);
    assert_int_equal(vmsim_pmm_put(p, pfn, &freed), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_pmm_get(p, pfn), VMSIM_ERR_INVALID); /* free */
    assert_int_equal(vmsim_pmm_get(p, 99), VMSIM_ERR_INVALID);
    /* overflow is refused, never wrapped */
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    p->frames[pfn].refcount = UINT32_MAX - 1;
    assert_int_equal(vmsim_pmm_get(p, pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_get(p, pfn), VMSIM_ERR_INVALID);
    vmsim_pmm_refcount(p, pfn, &rc);
    assert_int_equal(rc, UINT32_MAX);
    vmsim_pmm_destroy(p);
}

static void flags(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(16);
    uint32_t pfn;
    unsigned f;
    vmsim_pmm_stats_t st;
    assert_int_equal(vmsim_pmm_alloc(p, VMSIM_FRAME_PAGE_TABLE, &pfn), VMSIM_OK);
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.n_page_tables, 1);
    assert_int_equal(vmsim_pmm_set_flags(p, pfn, VMSIM_FRAME_LOCKED | VMSIM_FRAME_KERNEL),
                     VMSIM_OK);
    assert_int_equal(vmsim_pmm_clear_flags(p, pfn, VMSIM_FRAME_PAGE_TABLE), VMSIM_OK);
    vmsim_pmm_flags(p, pfn, &f);
    assert_int_equal(f, VMSIM_FRAME_ALLOCATED | VMSIM_FRAME_LOCKED | VMSIM_FRAME_KERNEL);
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.n_page_tables, 0);
    assert_int_equal(vmsim_pmm_set_flags(p, pfn, VMSIM_FRAME_ALLOCATED), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_alloc(p, VMSIM_FRAME_RESERVED, &pfn), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_pmm_set_flags(p, 5, VMSIM_FRAME_ZERO), VMSIM_ERR_INVALID); /* free */
    vmsim_pmm_destroy(p);
}

static void rmap(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(16);
    uint32_t pfn, n;
    vmsim_rmap_entry_t e[4];
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    for (int i = 0; i < 300; i++) /* beyond the first pool */
        assert_int_equal(vmsim_pmm_rmap_add(p, pfn, i, 0x100 + (uint32_t)i), VMSIM_OK);
    assert_int_equal(vmsim_pmm_rmap(p, pfn, e, 4, &n), VMSIM_OK);
    assert_int_equal(n, 300);
    assert_int_equal(e[0].pid, 299);
    assert_int_equal(vmsim_pmm_rmap_remove(p, pfn, 7, 0x107), VMSIM_OK);
    assert_int_equal(vmsim_pmm_rmap_remove(p, pfn, 7, 0x107), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_pmm_put(p, pfn, NULL), VMSIM_ERR_BUSY); /* mapped: not freed */
    for (int i = 0; i < 300; i++)
        if (i != 7)
            assert_int_equal(vmsim_pmm_rmap_remove(p, pfn, i, 0x100 + (uint32_t)i), VMSIM_OK);
    vmsim_pmm_stats_t st;
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.rmap_entries, 0);
    assert_int_equal(vmsim_pmm_put(p, pfn, NULL), VMSIM_OK);
    assert_int_equal(vmsim_pmm_rmap_add(p, pfn, 1, 1), VMSIM_ERR_INVALID); /* free frame */
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_destroy(p);
}

static void fault_injection(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(64);
    uint32_t pfn;
    assert_int_equal(vmsim_pmm_fail_next(p, 2, 3), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc_run(p, 2, 2, 0, &pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_pmm_alloc_run(p, 2, 2, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    vmsim_pmm_stats_t st;
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.injected_failures, 3);
    assert_int_equal(st.n_used, 4);
    /* cap */
    assert_int_equal(vmsim_pmm_set_cap(p, 6), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc_run(p, 2, 1, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_ERR_NO_FRAMES);
    vmsim_pmm_set_cap(p, 0);
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_destroy(p);
}

static void verify_catches(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(128);
    uint32_t pfn, bad;
    assert_int_equal(vmsim_pmm_alloc(p, 0, &pfn), VMSIM_OK);
    p->frames[pfn].refcount = 0; /* allocated without a reference */
    assert_int_equal(vmsim_pmm_verify(p, &bad), VMSIM_ERR_CORRUPT);
    assert_int_equal(bad, pfn);
    p->frames[pfn].refcount = 1;
    p->frames[77].refcount = 3; /* a free frame with a count */
    assert_int_equal(vmsim_pmm_verify(p, &bad), VMSIM_ERR_CORRUPT);
    assert_int_equal(bad, 77);
    vmsim_pmm_destroy(p);
}

static void many_cycles(void **state)
{
    (void)state;
    vmsim_pmm_t *p = make(1000);
    uint32_t held[1000], n = 0, x = 12345;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        if ((x % 3 != 0 || n == 0) && n < 1000) {
            if (vmsim_pmm_alloc(p, 0, &held[n]) == VMSIM_OK)
                n++;
        } else {
            uint32_t j = x % n;
            assert_int_equal(vmsim_pmm_put(p, held[j], NULL), VMSIM_OK);
            held[j] = held[--n];
        }
    }
    vmsim_pmm_stats_t st;
    vmsim_pmm_get_stats(p, &st);
    assert_int_equal(st.n_used, n);
    assert_int_equal(vmsim_pmm_verify(p, NULL), VMSIM_OK);
    vmsim_pmm_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_args),    cmocka_unit_test(alloc_all_then_free),
        cmocka_unit_test(reserve),        cmocka_unit_test(runs_aligned),
        cmocka_unit_test(refcounts),      cmocka_unit_test(flags),
        cmocka_unit_test(rmap),           cmocka_unit_test(fault_injection),
        cmocka_unit_test(verify_catches), cmocka_unit_test(many_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
