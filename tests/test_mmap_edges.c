/*
 * test_mmap_edges.c - mmap at the edges: out of frames halfway through a
 * MAP_FIXED|MAP_POPULATE, and hints at the top of the address space
 * (issue 9, items 7 and 8).
 *
 * What this suite proves:
 *   - a MAP_FIXED|MAP_POPULATE over an existing mapping that cannot get
 *     the frames it needs fails with VMSIM_ERR_NO_FRAMES and changes
 *     nothing: the old mapping, its region and its data are all there,
 *     no frame is leaked, and the checker is clean;
 *   - the same call with the frames available replaces the mapping;
 *   - a hint anywhere in 0xFFFFF001..0xFFFFFFFF (where rounding up to a
 *     page wraps 32 bits) or in the kernel half never places a mapping
 *     on the NULL page: the mapping goes to the lowest free range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define PAGE 4096u
#define RW   (VMSIM_PROT_READ | VMSIM_PROT_WRITE)

static uint32_t frames_used(vmsim_kernel_t *k)
{
    vmsim_pmm_stats_t st;
    assert_int_equal(vmsim_pmm_get_stats(vmsim_kernel_pmm(k), &st), VMSIM_OK);
    return st.n_used;
}

static void fill_pages(struct krig *r, uint32_t a, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(vmsim_proc_store(r->k, r->pid, VMSIM_USER, a + i * PAGE, 4, 0x1000 + i),
                         VMSIM_OK);
}

static void expect_pages(struct krig *r, uint32_t a, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(user_load(r->k, r->pid, a + i * PAGE), 0x1000 + i);
}

static void fixed_populate_out_of_frames_keeps_the_old_mapping(void **state)
{
    (void)state;
    struct krig r;
    krig_up_proc(&r, KRIG_RAM, NULL);
    uint32_t a, got;
    assert_int_equal(vmsim_mmap(r.k, r.pid, 0, 8 * PAGE, RW, VMSIM_MAP_PRIVATE, &a), VMSIM_OK);
    fill_pages(&r, a, 8);
    uint32_t used = frames_used(r.k);
    /* 32 pages need 32 frames and a page table; even with the old 8
     * pages given back only 16 are allowed: it runs out halfway */
    assert_int_equal(vmsim_pmm_set_cap(vmsim_kernel_pmm(r.k), used + 8), VMSIM_OK);
    assert_int_equal(
        vmsim_mmap(r.k, r.pid, a, 32 * PAGE, RW, VMSIM_MAP_FIXED | VMSIM_MAP_POPULATE, &got),
        VMSIM_ERR_NO_FRAMES);
    assert_int_equal(frames_used(r.k), used);
    vmsim_region_info_t info[4];
    uint32_t n = 0;
    assert_int_equal(vmsim_region_list(r.k, r.pid, info, 4, &n), VMSIM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(info[0].start, a);
    assert_int_equal(info[0].end, a + 8 * PAGE);
    expect_pages(&r, a, 8);
    assert_clean(r.k);

    /* with the frames there, it replaces the mapping */
    assert_int_equal(vmsim_pmm_set_cap(vmsim_kernel_pmm(r.k), 0), VMSIM_OK);
    assert_int_equal(
        vmsim_mmap(r.k, r.pid, a, 32 * PAGE, RW, VMSIM_MAP_FIXED | VMSIM_MAP_POPULATE, &got),
        VMSIM_OK);
    assert_int_equal(got, a);
    assert_int_equal(user_load(r.k, r.pid, a), 0);
    assert_int_equal(frames_used(r.k), used - 8 + 32);
    krig_down(&r);
}

static void fixed_populate_of_a_shared_mapping_out_of_frames_keeps_it(void **state)
{
    (void)state;
    struct krig r;
    krig_up_proc(&r, KRIG_RAM, NULL);
    uint32_t a, got;
    assert_int_equal(vmsim_mmap(r.k, r.pid, 0, 4 * PAGE, RW, VMSIM_MAP_SHARED, &a), VMSIM_OK);
    fill_pages(&r, a, 4);
    uint32_t used = frames_used(r.k);
    assert_int_equal(vmsim_pmm_set_cap(vmsim_kernel_pmm(r.k), used + 2), VMSIM_OK);
    assert_int_equal(vmsim_mmap(r.k, r.pid, a, 16 * PAGE, RW,
                                VMSIM_MAP_FIXED | VMSIM_MAP_POPULATE | VMSIM_MAP_SHARED, &got),
                     VMSIM_ERR_NO_FRAMES);
    expect_pages(&r, a, 4);
    assert_int_equal(frames_used(r.k), used);
    krig_down(&r);
}

static void a_hint_at_the_top_never_maps_the_null_page(void **state)
{
    (void)state;
    static const uint32_t hints[] = {0xFFFFF001u, 0xFFFFF800u, 0xFFFFFFFFu, 0xFFFFF000u,
                                     0xFFC00001u, 0xC0000000u, 0xBFFFF001u, 1u};
    struct krig r;
    krig_up_proc(&r, KRIG_RAM, NULL);
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        uint32_t a = 0;
        assert_int_equal(vmsim_mmap(r.k, r.pid, hints[i], PAGE, RW, 0, &a), VMSIM_OK);
        if (a < PAGE || a >= VMSIM_USER_END)
            fail_msg("hint 0x%08x placed the mapping at 0x%08x", hints[i], a);
    }
    krig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_populate_out_of_frames_keeps_the_old_mapping),
        cmocka_unit_test(fixed_populate_of_a_shared_mapping_out_of_frames_keeps_it),
        cmocka_unit_test(a_hint_at_the_top_never_maps_the_null_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
