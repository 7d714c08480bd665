/*
 * test_psc.c - paging-structure caches (SDM 4.10.3): a walk starts below
 * the deepest cached table entry and reads only what is under it; the
 * caches keep a table entry until the invalidations of SDM 4.10.4.1 drop
 * it, so a changed PDE is not seen until then; rights of the cached
 * levels still count.
 *
 * The rig: 16 MiB of RAM, 4-level paging, PML4 0x10000 -> PDPT 0x11000
 * -> PD 0x12000 -> PT 0x13000 (linear page i -> 0x100000 + i * 4 KiB,
 * i < 64); a second page table at 0x14000 (page i -> 0x200000 + i * 4
 * KiB); 1-entry L1 TLBs so that nearly every access walks; caches of 8
 * entries at every level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rig.h"

#define PD_BASE 0x12000u
#define PT_A    0x13000u
#define PT_B    0x14000u

static void fill_pt(vmsim_machine_t *m, uint64_t pt, uint64_t frames)
{
    for (unsigned i = 0; i < 64; i++)
        put64(m, pt + 8 * i, (frames + 0x1000 * i) | PRWU);
}

static vmsim_machine_t *machine_with(bool psc, bool fast)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;
    cfg.fast_path = fast;
    cfg.dtlb = cfg.itlb = vmsim_tlb_config(1, 1, VMSIM_TLB_LRU);
    if (psc)
        cfg.psc_pml5e = cfg.psc_pml4e = cfg.psc_pdpte = cfg.psc_pde =
            vmsim_tlb_config(8, 8, VMSIM_TLB_LRU);
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    put64(m, 0x10000, 0x11000 | PRWU);
    put64(m, 0x11000, PD_BASE | PRWU);
    put64(m, PD_BASE, PT_A | PRWU);
    fill_pt(m, PT_A, 0x100000);
    fill_pt(m, PT_B, 0x200000);
    assert_int_equal(vmsim_bus_fill(m, 0x100000, 0xaa, 0x40000), VMSIM_OK); /* the frames of */
    assert_int_equal(vmsim_bus_fill(m, 0x200000, 0x55, 0x40000), VMSIM_OK); /* PT_A and PT_B */
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(m, VMSIM_REG_CR3, 0x10000);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    return m;
}

static vmsim_machine_t *machine(bool psc)
{
    return machine_with(psc, true);
}

static vmsim_stats_t stats(vmsim_machine_t *m)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s), VMSIM_OK);
    return s;
}

static vmsim_result_t acc(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t va)
{
    vmsim_result_t r;
    vmsim_access(m, READ, mode, va, NULL, 4, &r);
    return r;
}

static void a_walk_starts_below_the_deepest_cached_entry(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(true);
    EXPECT_OK(acc(m, SUP, 0x1000), 0x101000);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.walk_reads, 4); /* PML4E, PDPTE, PDE, PTE */
    assert_int_equal(s.psc.misses, 1);
    assert_int_equal(s.psc.fills, 3);         /* one table entry per level above the PTE */
    EXPECT_OK(acc(m, SUP, 0x2000), 0x102000); /* the PDE cache names PT_A */
    s = stats(m);
    assert_int_equal(s.walks, 2);
    assert_int_equal(s.walk_reads, 5); /* the PTE only */
    assert_int_equal(s.psc.hits, 1);
    vmsim_translation_t t; /* vmsim_translate walks from CR3, caches or not */
    assert_int_equal(vmsim_translate(m, READ, SUP, 0x3000, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 4);
    vmsim_destroy(m);
}

static void without_caches_every_walk_reads_every_level(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(false);
    EXPECT_OK(acc(m, SUP, 0x1000), 0x101000);
    EXPECT_OK(acc(m, SUP, 0x2000), 0x102000);
    assert_int_equal(stats(m).walk_reads, 8);
    assert_int_equal(stats(m).psc.lookups, 0);
    vmsim_destroy(m);
}

static void a_changed_pde_is_not_seen_until_invlpg(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(true);
    EXPECT_OK(acc(m, SUP, 0x1000), 0x101000);
    put64(m, PD_BASE, PT_B | PRWU | A);       /* the kernel forgets the INVLPG */
    EXPECT_OK(acc(m, SUP, 0x2000), 0x102000); /* a TLB miss, walked from the stale PDE cache */
    assert_int_equal(vmsim_invlpg(m, 0x7000), VMSIM_OK); /* any address: all of the PCID */
    EXPECT_OK(acc(m, SUP, 0x3000), 0x203000);
    vmsim_destroy(m);
}

static void cr3_loads_and_invpcid_drop_cached_entries_as_the_sdm_says(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(true);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE);
    set_reg(m, VMSIM_REG_CR3, 0x10000 | 3);
    EXPECT_OK(acc(m, SUP, 0x1000), 0x101000);
    put64(m, PD_BASE, PT_B | PRWU | A);
    set_reg(m, VMSIM_REG_CR3, 0x10000 | 3 | VMSIM_CR3_NOFLUSH); /* keeps them */
    EXPECT_OK(acc(m, SUP, 0x2000), 0x102000);
    assert_int_equal(vmsim_invpcid(m, 0, 7, 0), VMSIM_OK); /* another PCID's */
    EXPECT_OK(acc(m, SUP, 0x3000), 0x103000);
    assert_int_equal(vmsim_invpcid(m, 0, 3, 0x5000), VMSIM_OK); /* all of PCID 3's */
    EXPECT_OK(acc(m, SUP, 0x4000), 0x204000);
    put64(m, PD_BASE, PT_A | PRWU | A);
    set_reg(m, VMSIM_REG_CR3, 0x10000 | 3); /* flushes PCID 3 */
    EXPECT_OK(acc(m, SUP, 0x5000), 0x105000);
    vmsim_destroy(m);
}

static void rights_of_the_cached_levels_still_count(void **state)
{
    (void)state;
    vmsim_machine_t *m = machine(true);
    put64(m, 0x11000, PD_BASE | PRW); /* the PDPTE: supervisor only */
    EXPECT_OK(acc(m, SUP, 0x1000), 0x101000);
    EXPECT_PF(m, acc(m, USER, 0x2000), 0x2000, VMSIM_PF_P | VMSIM_PF_U);
    assert_int_equal(stats(m).psc.hits, 1); /* walked from the PDE cache, and refused */
    vmsim_destroy(m);
}

static void the_pde_cache_serves_32_bit_paging_too(void **state)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    (void)state;
    vmsim_config_default(&cfg);
    cfg.dtlb = cfg.itlb = vmsim_tlb_config(1, 1, VMSIM_TLB_LRU);
    cfg.psc_pde = vmsim_tlb_config(8, 2, VMSIM_TLB_FIFO);
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    put32(m, 0x10000, 0x11000 | PRWU);
    put32(m, 0x11004, 0x21000 | PRWU);
    put32(m, 0x11008, 0x22000 | PRWU);
    set_reg(m, VMSIM_REG_CR3, 0x10000);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    EXPECT_OK(acc(m, SUP, 0x1000), 0x21000);
    EXPECT_OK(acc(m, SUP, 0x2000), 0x22000);
    assert_int_equal(stats(m).walk_reads, 3);
    assert_int_equal(stats(m).psc.hits, 1);
    vmsim_destroy(m);
}

static void the_fast_path_walks_from_the_caches_as_the_general_route_does(void **state)
{
    (void)state;
    vmsim_machine_t *on = machine(true), *off = machine_with(true, false);
    for (unsigned k = 0; k < 3000; k++) {
        vmsim_vaddr_t va = (k * 7919u % 64) * 0x1000ull + (k % 5) * 4;
        uint32_t a = 0, b = 0;
        if (k % 500 == 0) { /* a PDE change the caches do not see until INVLPG */
            uint64_t pt = (k / 500) % 2 ? PT_B : PT_A;
            put64(on, PD_BASE, pt | PRWU | A);
            put64(off, PD_BASE, pt | PRWU | A);
        }
        if (k % 500 == 250) {
            assert_int_equal(vmsim_invlpg(on, va), VMSIM_OK);
            assert_int_equal(vmsim_invlpg(off, va), VMSIM_OK);
        }
        assert_int_equal(vmsim_read32(on, SUP, va, &a), vmsim_read32(off, SUP, va, &b));
        assert_int_equal(a, b);
    }
    vmsim_stats_t s1 = stats(on), s2 = stats(off);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_true(s1.psc.hits > 1000);
    vmsim_destroy(on);
    vmsim_destroy(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_walk_starts_below_the_deepest_cached_entry),
        cmocka_unit_test(without_caches_every_walk_reads_every_level),
        cmocka_unit_test(a_changed_pde_is_not_seen_until_invlpg),
        cmocka_unit_test(cr3_loads_and_invpcid_drop_cached_entries_as_the_sdm_says),
        cmocka_unit_test(rights_of_the_cached_levels_still_count),
        cmocka_unit_test(the_pde_cache_serves_32_bit_paging_too),
        cmocka_unit_test(the_fast_path_walks_from_the_caches_as_the_general_route_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
