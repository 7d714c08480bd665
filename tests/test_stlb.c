/*
 * test_stlb.c - the second-level TLB (config.stlb): what it holds, when
 * it is looked up, what fills it, what empties it, how it is counted.
 *
 * The rules (include/vmsim/machine.h, docs/longmode.md):
 *   - an access is counted once in the L1 TLB that serves it; an L1 miss
 *     is looked up, and counted, once in the STLB;
 *   - an STLB hit that serves the access fills the L1 TLB from it, with
 *     no walk; an STLB entry that cannot serve (D = 0 for a write,
 *     rights) makes a walk, like an L1 entry;
 *   - every walk fills the STLB as well as the L1 TLB (4 KiB, 2 MiB and
 *     4 MiB entries in the STLB, 1 GiB entries in its own array); the
 *     levels are not inclusive: an STLB eviction leaves the L1 TLB alone;
 *   - every invalidation (INVLPG, flushes, CR3 loads, INVPCID, a page
 *     fault) reaches the STLB exactly as it reaches the L1 TLBs.
 *
 * The rig: 16 MiB of RAM, 4-level paging, PML4 0x10000 -> PDPT 0x11000 ->
 * PD 0x12000 -> PT 0x13000 mapping linear page i to 0x100000 + i * 4 KiB,
 * PDPT[1] a 1 GiB page at physical 0; L1 TLBs of 4 entries (one set),
 * an STLB of 64 entries in 4 ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rig.h"

#define PT_BASE 0x13000u
#define FRAMES  0x100000u
#define GIB     (1ull << 30)

static vmsim_machine_t *machine(uint32_t l1_entries)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;
    cfg.dtlb = cfg.itlb = vmsim_tlb_config(l1_entries, l1_entries, VMSIM_TLB_LRU);
    cfg.stlb = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    put64(m, 0x10000, 0x11000 | PRWU);
    put64(m, 0x11000, 0x12000 | PRWU);
    put64(m, 0x11008, 0 | PRWU | PS); /* 1 GiB page at physical 0 */
    put64(m, 0x12000, PT_BASE | PRWU);
    for (unsigned i = 0; i < 64; i++)
        put64(m, PT_BASE + 8 * i, (FRAMES + 0x1000 * i) | PRWU);
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(m, VMSIM_REG_CR3, 0x10000);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    return m;
}

static vmsim_stats_t stats(vmsim_machine_t *m)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s), VMSIM_OK);
    return s;
}

static uint64_t read_pa(vmsim_machine_t *m, vmsim_vaddr_t va)
{
    vmsim_result_t r;
    assert_int_equal(vmsim_access(m, READ, SUP, va, NULL, 4, &r), VMSIM_OK);
    return r.paddr;
}

/* Touch pages 0..n-1 once each. */
static void touch_pages(vmsim_machine_t *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(read_pa(m, 0x1000ull * i), FRAMES + 0x1000 * i);
}

static void stlb_geometry_may_have_ways_that_are_not_a_power_of_two(void **state)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    (void)state;
    vmsim_config_default(&cfg);
    cfg.stlb = vmsim_tlb_config(1536, 12, VMSIM_TLB_LRU); /* 128 sets of 12 */
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_STLB), 1536);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_STLB_1G), 16);
    vmsim_destroy(m);
    cfg.stlb = vmsim_tlb_config(1200, 12, VMSIM_TLB_LRU); /* 100 sets: not a power of two */
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_ERR_INVALID);
    vmsim_config_default(&cfg);
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_STLB), 0); /* none by default */
    vmsim_destroy(m);
}

static void l1_misses_are_looked_up_once_in_the_stlb_and_its_hits_need_no_walk(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(4);
    touch_pages(m, 8); /* 8 walks: the 4-entry L1 keeps pages 4..7, the STLB all 8 */
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.walks, 8);
    assert_int_equal(s.dtlb.misses, 8);
    assert_int_equal(s.stlb.lookups, 8);
    assert_int_equal(s.stlb.misses, 8);
    assert_int_equal(s.stlb.fills, 8);
    touch_pages(m, 4); /* pages 0..3: L1 misses, STLB hits, no walk */
    s = stats(m);
    assert_int_equal(s.walks, 8);
    assert_int_equal(s.dtlb.misses, 12);
    assert_int_equal(s.stlb.hits, 4);
    assert_int_equal(s.dtlb.fills, 12);                    /* the L1 was filled from the STLB */
    assert_int_equal(read_pa(m, 0x3000), FRAMES + 0x3000); /* an L1 hit now... */
    s = stats(m);
    assert_int_equal(s.dtlb.hits, 1);
    assert_int_equal(s.stlb.lookups, 12); /* ...not looked up in the STLB */
    vmsim_destroy(m);
}

static void invalidations_reach_the_stlb(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(4);
    touch_pages(m, 8);
    put64(m, PT_BASE, 0x200000 | PRWU | A);  /* page 0 moves; it is only in the STLB now */
    assert_int_equal(read_pa(m, 0), FRAMES); /* stale, from the STLB */
    put64(m, PT_BASE + 8, 0x201000 | PRWU | A);
    assert_int_equal(vmsim_invlpg(m, 0x1000), VMSIM_OK);
    assert_int_equal(read_pa(m, 0x1000), 0x201000);
    assert_int_equal(vmsim_invpcid(m, 0, 0, 0), VMSIM_OK); /* type 0, PCID 0 */
    assert_int_equal(read_pa(m, 0), 0x200000);
    put64(m, PT_BASE + 16, 0x202000 | PRWU | A);
    set_reg(m, VMSIM_REG_CR3, 0x10000); /* a CR3 load flushes the STLB too */
    assert_int_equal(read_pa(m, 0x2000), 0x202000);
    vmsim_tlb_entry_t e;
    unsigned valid = 0;
    assert_int_equal(vmsim_tlb_flush_all(m), VMSIM_OK);
    for (uint32_t i = 0; i < vmsim_tlb_size(m, VMSIM_STLB); i++) {
        assert_int_equal(vmsim_tlb_entry(m, VMSIM_STLB, i, &e), VMSIM_OK);
        valid += e.valid;
    }
    assert_int_equal(valid, 0);
    vmsim_destroy(m);
}

static void gib_pages_go_to_the_stlb_1g_array(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(4);
    assert_int_equal(read_pa(m, GIB + 0x5000), 0x5000);
    vmsim_tlb_entry_t e;
    bool in_1g = false, in_stlb = false;
    for (uint32_t i = 0; i < vmsim_tlb_size(m, VMSIM_STLB_1G); i++) {
        vmsim_tlb_entry(m, VMSIM_STLB_1G, i, &e);
        in_1g = in_1g || (e.valid && e.vaddr == GIB && e.page_size == (1u << 30));
    }
    for (uint32_t i = 0; i < vmsim_tlb_size(m, VMSIM_STLB); i++) {
        vmsim_tlb_entry(m, VMSIM_STLB, i, &e);
        in_stlb = in_stlb || e.valid;
    }
    assert_true(in_1g);
    assert_false(in_stlb);
    touch_pages(m, 4); /* the L1 loses the 1 GiB entry */
    uint64_t walks = stats(m).walks;
    assert_int_equal(read_pa(m, GIB + 0x7000), 0x7000); /* served by the 1 GiB array */
    assert_int_equal(stats(m).walks, walks);
    assert_int_equal(stats(m).stlb.hits, 1);
    vmsim_destroy(m);
}

static void a_write_through_an_stlb_entry_with_d_clear_walks_and_updates_it(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(1);
    assert_int_equal(read_pa(m, 0), FRAMES);               /* page 0 cached with D = 0 */
    assert_int_equal(read_pa(m, 0x1000), FRAMES + 0x1000); /* the 1-entry L1 loses page 0 */
    vmsim_result_t r;
    assert_int_equal(vmsim_access(m, WRITE, SUP, 0x10, NULL, 4, &r), VMSIM_OK);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.stlb.hits, 1);
    assert_int_equal(s.dirty_walks, 1);
    assert_int_equal(get64(m, PT_BASE), FRAMES | PRWU | A | D);
    assert_int_equal(read_pa(m, 0x1000), FRAMES + 0x1000);
    assert_int_equal(vmsim_access(m, WRITE, SUP, 0x20, NULL, 4, &r), VMSIM_OK);
    s = stats(m);
    assert_int_equal(s.dirty_walks, 1); /* the STLB entry has D now: no walk */
    assert_int_equal(s.stlb.hits, 3);   /* page 0, page 1, page 0 again */
    vmsim_destroy(m);
}

static void the_fast_path_gives_the_same_results_and_counts_with_an_stlb(void **state)
{
    (void)state;
    vmsim_config_t cfg;
    vmsim_machine_t *on = machine(4), *off = NULL;
    cfg = *vmsim_get_config(on);
    cfg.fast_path = false;
    assert_int_equal(vmsim_create(&cfg, &off), VMSIM_OK);
    uint8_t ram[0x20000];
    assert_int_equal(vmsim_bus_read(on, 0, ram, sizeof ram), VMSIM_OK);
    assert_int_equal(vmsim_bus_write(off, 0, ram, sizeof ram), VMSIM_OK);
    set_reg(off, VMSIM_REG_EFER, VMSIM_EFER_LME);
    set_reg(off, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(off, VMSIM_REG_CR3, 0x10000);
    set_reg(off, VMSIM_REG_CR0, PG_ON);
    for (unsigned k = 0; k < 2000; k++) {
        vmsim_vaddr_t va = (k * 7919u % 40) * 0x1000ull + (k % 3) * 8;
        uint32_t a = 0, b = 0;
        assert_int_equal(vmsim_read32(on, SUP, va, &a), vmsim_read32(off, SUP, va, &b));
        assert_int_equal(a, b);
    }
    vmsim_stats_t s1 = stats(on), s2 = stats(off);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_true(s1.stlb.hits > 0);
    vmsim_destroy(on);
    vmsim_destroy(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stlb_geometry_may_have_ways_that_are_not_a_power_of_two),
        cmocka_unit_test(l1_misses_are_looked_up_once_in_the_stlb_and_its_hits_need_no_walk),
        cmocka_unit_test(invalidations_reach_the_stlb),
        cmocka_unit_test(gib_pages_go_to_the_stlb_1g_array),
        cmocka_unit_test(a_write_through_an_stlb_entry_with_d_clear_walks_and_updates_it),
        cmocka_unit_test(the_fast_path_gives_the_same_results_and_counts_with_an_stlb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
