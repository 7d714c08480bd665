/*
 * test_walk.c - the rules of 32-bit paging (Intel SDM Vol. 3A 4.3, 4.6,
 * 4.7), one case per rule, proved through the public API only: tables
 * are written through the bus port, registers with vmsim_write_reg(),
 * and the MMU is judged by what accesses and vmsim_translate() return
 * and by what the walk wrote back into RAM.
 *
 * Every case builds on the same small machine (16 MiB of RAM):
 *
 *     CR3 = 0x10000  page directory
 *           0x11000  page table for linear 0x00000000 - 0x003fffff (PDE 0)
 *           0x12000  a second page table (PDE 1, 0x00400000 - 0x007fffff)
 *           0x20000+ data frames
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rig.h"

#define RAM   0x1000000u
#define PD    0x10000u
#define PT    0x11000u
#define PT2   0x12000u
#define FRAME 0x20000u

/* --- the rig ------------------------------------------------------------ */

static vmsim_machine_t *make_machine(uint64_t ram, unsigned maxphyaddr)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.maxphyaddr = maxphyaddr;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    return m;
}

static int setup(void **state)
{
    *state = make_machine(RAM, 40);
    return 0;
}

/* PDE `index` of the page directory. */
static void pde(vmsim_machine_t *m, unsigned index, uint32_t value)
{
    put32(m, PD + 4u * index, value);
}

/* Turn 32-bit paging on with CR3 = PD and the given CR4. */
static void paging_on(vmsim_machine_t *m, uint32_t cr4)
{
    set_reg(m, VMSIM_REG_CR3, PD);
    set_reg(m, VMSIM_REG_CR4, cr4);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
}

/* The usual two-level map: PDE 0 -> PT, PTE `page` -> `frame`. */
static void map4k(vmsim_machine_t *m, uint32_t pde_flags, unsigned page, uint32_t frame,
                  uint32_t pte_flags)
{
    pde(m, 0, PT | pde_flags);
    put32(m, PT + 4u * page, frame | pte_flags);
}

/* One access with the data dropped (reads) or zero bytes stored (writes). */
static vmsim_result_t go(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                         uint32_t vaddr, unsigned size)
{
    vmsim_result_t r;
    vmsim_access(m, access, mode, vaddr, NULL, size, &r);
    return r;
}

static vmsim_stats_t stats(vmsim_machine_t *m)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s), VMSIM_OK);
    return s;
}

/* --- the two-level walk ------------------------------------------------- */

static void two_level_walk_maps_linear_to_physical_through_pde_and_pte(void **state)
{
    vmsim_machine_t *m = *state;
    uint32_t value = 0;
    pde(m, 1, PT2 | PRWU);
    put32(m, PT2 + 4 * 3, FRAME | PRWU); /* linear 0x00403000 */
    put32(m, FRAME + 0xabc, 0x12345678);
    paging_on(m, 0);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_32BIT);
    EXPECT_OK(go(m, READ, USER, 0x00403abc, 4), FRAME + 0xabc);
    assert_int_equal(vmsim_read32(m, USER, 0x00403abc, &value), VMSIM_OK);
    assert_int_equal(value, 0x12345678);

    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, USER, 0x00403abc, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 2);
    assert_int_equal(t.steps[0].level, VMSIM_LEVEL_PDE);
    assert_int_equal(t.steps[0].index, 1);
    assert_int_equal(t.steps[0].addr, PD + 4);
    assert_int_equal(t.steps[0].width, 4);
    assert_false(t.steps[0].leaf);
    assert_int_equal(t.steps[1].level, VMSIM_LEVEL_PTE);
    assert_int_equal(t.steps[1].index, 3);
    assert_int_equal(t.steps[1].addr, PT2 + 12);
    assert_true(t.steps[1].leaf);
    assert_int_equal(t.page_size, 4096);
}

static void walk_sets_accessed_in_pde_and_pte_but_not_dirty_on_read(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 5, FRAME, PRWU);
    paging_on(m, 0);
    EXPECT_OK(go(m, READ, SUP, 0x5010, 2), FRAME + 0x10);
    assert_int_equal(get32(m, PD), PT | PRWU | A);
    assert_int_equal(get32(m, PT + 4 * 5), FRAME | PRWU | A);
}

static void pde_accessed_is_set_when_walk_faults_at_not_present_pte(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRWU);
    put32(m, PT + 4 * 7, FRAME | VMSIM_PTE_RW); /* P = 0 */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, WRITE, USER, 0x7000, 4), 0x7000, VMSIM_PF_W | VMSIM_PF_U);
    assert_int_equal(get32(m, PD), PT | PRWU | A);
    assert_int_equal(get32(m, PT + 4 * 7), FRAME | VMSIM_PTE_RW);
}

static void pde_accessed_is_set_when_walk_faults_on_rights_at_pte(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 2, FRAME, PRW); /* PTE supervisor-only */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, READ, USER, 0x2000, 4), 0x2000, VMSIM_PF_P | VMSIM_PF_U);
    assert_int_equal(get32(m, PD), PT | PRWU | A);
    assert_int_equal(get32(m, PT + 8), FRAME | PRW); /* leaf untouched */
}

static void nothing_is_marked_accessed_when_walk_faults_at_pde(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | VMSIM_PTE_RW | VMSIM_PTE_US); /* P = 0 */
    put32(m, PT, FRAME | PRWU);
    paging_on(m, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x0, 1), 0x0, 0);
    EXPECT_PF(m, go(m, FETCH, USER, 0x10, 1), 0x10, VMSIM_PF_U);
    assert_int_equal(get32(m, PD), PT | VMSIM_PTE_RW | VMSIM_PTE_US);
    assert_int_equal(get32(m, PT), FRAME | PRWU);
}

static void bus_error_reading_page_table_reports_entry_and_marks_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 2, 0x7fff000u | PRWU); /* page table beyond RAM (16 MiB) */
    paging_on(m, 0);
    set_reg(m, VMSIM_REG_CR2, 0x1234);
    EXPECT_BUS(go(m, READ, SUP, 0x00805000, 4), 0x7fff000u + 4 * 5);
    assert_int_equal(get32(m, PD + 8), 0x7fff000u | PRWU);
    assert_int_equal(get_reg(m, VMSIM_REG_CR2), 0x1234); /* no #PF, CR2 kept */
}

static void bus_error_on_page_outside_ram_marks_nothing_and_caches_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, 0x2000000u, PRWU); /* frame at 32 MiB */
    paging_on(m, 0);
    EXPECT_BUS(go(m, WRITE, USER, 0x1ffc, 4), 0x2000ffcu);
    assert_int_equal(get32(m, PD), PT | PRWU);
    assert_int_equal(get32(m, PT + 4), 0x2000000u | PRWU);
    uint64_t walks = stats(m).walks;
    EXPECT_BUS(go(m, READ, USER, 0x1000, 1), 0x2000000u);
    assert_int_equal(stats(m).walks, walks + 1); /* not served by a TLB entry */
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, WRITE, USER, 0x1000, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_BUS);
    for (unsigned i = 0; i < t.n_steps; i++) /* the walk would write nothing either */
        assert_int_equal(t.steps[i].new_value, t.steps[i].value);
}

/* --- the dirty bit ------------------------------------------------------- */

static void first_write_sets_dirty_in_the_pte_only(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 3, FRAME, PRWU);
    paging_on(m, 0);
    EXPECT_OK(go(m, WRITE, USER, 0x3ffc, 4), FRAME + 0xffc);
    assert_int_equal(get32(m, PD), PT | PRWU | A);
    assert_int_equal(get32(m, PT + 12), FRAME | PRWU | A | D);
}

static void write_after_cached_read_walks_again_to_set_dirty(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 3, FRAME, PRWU);
    paging_on(m, 0);
    EXPECT_OK(go(m, READ, USER, 0x3000, 4), FRAME);
    assert_int_equal(get32(m, PT + 12), FRAME | PRWU | A);
    EXPECT_OK(go(m, WRITE, USER, 0x3004, 4), FRAME + 4);
    assert_int_equal(get32(m, PT + 12), FRAME | PRWU | A | D);
    assert_int_equal(stats(m).dirty_walks, 1);
    /* D is now cached too: another write needs no walk. */
    uint64_t walks = stats(m).walks;
    EXPECT_OK(go(m, WRITE, USER, 0x3008, 4), FRAME + 8);
    assert_int_equal(stats(m).walks, walks);
}

static void cached_translation_is_used_until_invlpg(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 4, FRAME, PRWU);
    paging_on(m, 0);
    EXPECT_OK(go(m, READ, SUP, 0x4000, 4), FRAME);
    put32(m, PT + 16, (FRAME + 0x1000) | PRWU); /* no flush: the TLB keeps the old frame */
    EXPECT_OK(go(m, READ, SUP, 0x4000, 4), FRAME);
    assert_int_equal(vmsim_invlpg(m, 0x4abc), VMSIM_OK);
    EXPECT_OK(go(m, READ, SUP, 0x4000, 4), FRAME + 0x1000);
}

static void global_translation_survives_cr3_load_only_while_pge(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, FRAME, PRWU | VMSIM_PTE_G);
    put32(m, PT + 8, FRAME | PRWU); /* page 2: not global */
    paging_on(m, VMSIM_CR4_PGE);
    EXPECT_OK(go(m, READ, SUP, 0x1000, 4), FRAME);
    EXPECT_OK(go(m, READ, SUP, 0x2000, 4), FRAME);
    put32(m, PT + 4, (FRAME + 0x1000) | PRWU | VMSIM_PTE_G); /* no INVLPG */
    put32(m, PT + 8, (FRAME + 0x1000) | PRWU);
    set_reg(m, VMSIM_REG_CR3, PD);
    EXPECT_OK(go(m, READ, SUP, 0x1000, 4), FRAME);          /* global: kept */
    EXPECT_OK(go(m, READ, SUP, 0x2000, 4), FRAME + 0x1000); /* flushed */
    set_reg(m, VMSIM_REG_CR4, 0);                           /* PGE off flushes all */
    EXPECT_OK(go(m, READ, SUP, 0x1000, 4), FRAME + 0x1000);
}

/* --- 4 MiB pages (CR4.PSE) ----------------------------------------------- */

static void pse_4m_page_is_one_level_with_accessed_and_dirty_in_the_pde(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 1, 0x00c00000u | PRWU | PS);
    paging_on(m, VMSIM_CR4_PSE);
    EXPECT_OK(go(m, READ, USER, 0x007abcde, 4), 0x00fabcdeu);
    assert_int_equal(get32(m, PD + 4), 0x00c00000u | PRWU | PS | A);
    EXPECT_OK(go(m, WRITE, USER, 0x00400000, 1), 0x00c00000u); /* D after a cached read */
    assert_int_equal(get32(m, PD + 4), 0x00c00000u | PRWU | PS | A | D);

    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, USER, 0x00412345, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 1);
    assert_true(t.steps[0].leaf);
    assert_int_equal(t.page_size, 4u << 20);
    assert_int_equal(t.paddr, 0x00c12345u);
}

static void pse36_pde_bits_20_13_are_physical_address_bits_39_32(void **state)
{
    vmsim_machine_t *m = *state;
    /* bits 13 and 20: physical bits 32 and 39; bit 12 (PAT) is no address bit */
    pde(m, 1, 0x00800000u | (1u << 13) | (1u << 20) | (1u << 12) | PRWU | PS);
    paging_on(m, VMSIM_CR4_PSE);
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, SUP, 0x00400010, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_BUS);
    assert_int_equal(t.paddr, 0x8100800010ull);
    EXPECT_BUS(go(m, READ, SUP, 0x00400010, 4), 0x8100800010ull);
    assert_int_equal(get32(m, PD + 4) & A, 0); /* a bus error marks nothing */
}

static void pse_4m_page_bit_21_is_reserved(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 1, 0x00800000u | (1u << 21) | PRWU | PS);
    paging_on(m, VMSIM_CR4_PSE);
    EXPECT_PF(m, go(m, READ, SUP, 0x00400000, 4), 0x00400000, VMSIM_PF_P | VMSIM_PF_RSVD);
    EXPECT_PF(m, go(m, WRITE, USER, 0x00400004, 4), 0x00400004,
              VMSIM_PF_P | VMSIM_PF_RSVD | VMSIM_PF_W | VMSIM_PF_U);
    vmsim_fault_t f;
    assert_int_equal(vmsim_last_fault(m, &f), VMSIM_OK);
    assert_int_equal(f.reason, VMSIM_WHY_RESERVED);
    assert_int_equal(f.level, VMSIM_LEVEL_PDE);
    assert_int_equal(get32(m, PD + 4), 0x00800000u | (1u << 21) | PRWU | PS);
}

/* With MAXPHYADDR = 36 only bits 16:13 carry address bits 35:32. */
static void maxphyaddr_36_makes_pse36_bits_20_17_reserved(void **state)
{
    (void)state;
    vmsim_machine_t *m = make_machine(RAM, 36);
    pde(m, 0, 0x00400000u | (1u << 17) | PRWU | PS);
    pde(m, 1, 0x00400000u | (1u << 16) | PRWU | PS);
    paging_on(m, VMSIM_CR4_PSE);
    EXPECT_PF(m, go(m, READ, SUP, 0x00000000, 4), 0x0, VMSIM_PF_P | VMSIM_PF_RSVD);
    EXPECT_BUS(go(m, READ, SUP, 0x00400000, 4), 0x800400000ull); /* bit 35 */
    vmsim_destroy(m);
}

static void maxphyaddr_32_makes_every_pse36_bit_reserved(void **state)
{
    (void)state;
    vmsim_machine_t *m = make_machine(RAM, 32);
    pde(m, 0, 0x00400000u | (1u << 13) | PRWU | PS);
    pde(m, 1, 0x00400000u | (1u << 12) | PRWU | PS); /* PAT: not reserved */
    paging_on(m, VMSIM_CR4_PSE);
    EXPECT_PF(m, go(m, READ, SUP, 0x00000000, 4), 0x0, VMSIM_PF_P | VMSIM_PF_RSVD);
    EXPECT_OK(go(m, READ, SUP, 0x00400000, 4), 0x00400000u);
    vmsim_destroy(m);
}

static void ps_bit_is_ignored_without_cr4_pse(void **state)
{
    vmsim_machine_t *m = *state;
    /* Without PSE this PDE points to a page table; bit 21 is an address bit then. */
    put32(m, PD, 0x00211000u | PRWU | PS);
    put32(m, 0x00211000u + 4 * 2, FRAME | PRWU);
    paging_on(m, 0);
    EXPECT_OK(go(m, READ, USER, 0x2008, 4), FRAME + 8);
    assert_int_equal(get32(m, PD), 0x00211000u | PRWU | PS | A);
    assert_int_equal(get32(m, 0x00211000u + 8), FRAME | PRWU | A);
}

static void large_page_tlb_hit_beyond_ram_is_a_bus_error(void **state)
{
    (void)state;
    /* RAM ends 1 MiB into the 4 MiB page at 8 MiB.  The page is cached by
     * the first read; an offset past the end of RAM is still outside RAM. */
    vmsim_machine_t *m = make_machine(0x900000u, 40);
    pde(m, 0, 0x00800000u | PRWU | PS | A | D);
    paging_on(m, VMSIM_CR4_PSE);
    EXPECT_OK(go(m, READ, SUP, 0x00000010, 4), 0x00800010u);
    EXPECT_BUS(go(m, READ, SUP, 0x00200000, 4), 0x00a00000u);
    vmsim_destroy(m);
}

/* --- access rights (SDM 4.6) --------------------------------------------- */

static void user_access_needs_us_in_both_pde_and_pte(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRW); /* PDE supervisor */
    put32(m, PT, FRAME | PRWU);
    pde(m, 1, PT2 | PRWU); /* PTE supervisor */
    put32(m, PT2, FRAME | PRW);
    pde(m, 2, PT | PRWU); /* both user */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, READ, USER, 0x0, 4), 0x0, VMSIM_PF_P | VMSIM_PF_U);
    EXPECT_PF(m, go(m, WRITE, USER, 0x00400000, 4), 0x00400000,
              VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    EXPECT_OK(go(m, READ, USER, 0x00800000, 4), FRAME);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME); /* supervisor reads both */
    EXPECT_OK(go(m, WRITE, SUP, 0x00400000, 4), FRAME);
}

static void user_write_needs_rw_in_both_pde_and_pte(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | VMSIM_PTE_P | VMSIM_PTE_US); /* PDE read-only */
    put32(m, PT, FRAME | PRWU);
    pde(m, 1, PT2 | PRWU); /* PTE read-only */
    put32(m, PT2, FRAME | VMSIM_PTE_P | VMSIM_PTE_US);
    pde(m, 2, PT | PRWU);
    put32(m, PT + 4, FRAME | PRWU);
    paging_on(m, 0);
    EXPECT_PF(m, go(m, WRITE, USER, 0x0, 4), 0x0, VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    EXPECT_PF(m, go(m, WRITE, USER, 0x00400000, 4), 0x00400000,
              VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    EXPECT_OK(go(m, READ, USER, 0x0, 4), FRAME);
    EXPECT_OK(go(m, WRITE, USER, 0x00801000, 4), FRAME);
}

static void supervisor_write_to_read_only_page_succeeds_with_wp_clear(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | VMSIM_PTE_P); /* read-only PDE */
    put32(m, PT, FRAME | VMSIM_PTE_P | VMSIM_PTE_US);
    paging_on(m, 0);
    EXPECT_OK(go(m, WRITE, SUP, 0x10, 4), FRAME + 0x10);
    assert_int_equal(get32(m, PT), FRAME | VMSIM_PTE_P | VMSIM_PTE_US | A | D);
}

static void supervisor_write_to_read_only_page_faults_with_wp_set(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRW);
    put32(m, PT, FRAME | VMSIM_PTE_P); /* read-only PTE */
    pde(m, 1, PT2 | VMSIM_PTE_P);      /* read-only PDE */
    put32(m, PT2, FRAME | PRW);
    paging_on(m, 0);
    EXPECT_OK(go(m, WRITE, SUP, 0x0, 4), FRAME); /* WP = 0: allowed, and cached */
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x0, 4), 0x0, VMSIM_PF_P | VMSIM_PF_W);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x00400000, 4), 0x00400000, VMSIM_PF_P | VMSIM_PF_W);
    EXPECT_OK(go(m, READ, SUP, 0x00400000, 4), FRAME);
}

static void smep_blocks_supervisor_fetch_from_user_page(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRWU);
    put32(m, PT, FRAME | PRWU);    /* user page */
    put32(m, PT + 4, FRAME | PRW); /* supervisor page */
    paging_on(m, VMSIM_CR4_SMEP);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x0, 1), 0x0, VMSIM_PF_P | VMSIM_PF_I);
    vmsim_fault_t f;
    vmsim_last_fault(m, &f);
    assert_int_equal(f.reason, VMSIM_WHY_SMEP);
    EXPECT_OK(go(m, FETCH, SUP, 0x1000, 1), FRAME);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME); /* SMEP is about fetches only */
    EXPECT_OK(go(m, FETCH, USER, 0x0, 1), FRAME);
}

static void id_bit_is_set_for_faulting_fetches_only_with_smep(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRWU);
    put32(m, PT, FRAME | PRW); /* supervisor page */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, FETCH, USER, 0x0, 1), 0x0, VMSIM_PF_P | VMSIM_PF_U);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x5000, 1), 0x5000, 0);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_SMEP);
    EXPECT_PF(m, go(m, FETCH, USER, 0x0, 1), 0x0, VMSIM_PF_P | VMSIM_PF_U | VMSIM_PF_I);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x5000, 1), 0x5000, VMSIM_PF_I);
    EXPECT_PF(m, go(m, READ, USER, 0x0, 1), 0x0, VMSIM_PF_P | VMSIM_PF_U); /* data: never I/D */
}

static void efer_nxe_alone_gives_no_id_bit_under_32bit_paging(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRWU);
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_NXE); /* means something only with PAE */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x5000, 1), 0x5000, 0);
}

static void smap_blocks_supervisor_data_access_to_user_page_with_ac_clear(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME, PRWU);
    paging_on(m, VMSIM_CR4_SMAP);
    EXPECT_PF(m, go(m, READ, SUP, 0x8, 4), 0x8, VMSIM_PF_P);
    EXPECT_PF(m, go(m, WRITE, SUP, 0xc, 4), 0xc, VMSIM_PF_P | VMSIM_PF_W);
    vmsim_fault_t f;
    vmsim_last_fault(m, &f);
    assert_int_equal(f.reason, VMSIM_WHY_SMAP);
    assert_int_equal(vmsim_set_ac(m, true), VMSIM_OK);
    EXPECT_OK(go(m, READ, SUP, 0x8, 4), FRAME + 8);
    EXPECT_OK(go(m, WRITE, SUP, 0xc, 4), FRAME + 0xc);
    assert_int_equal(vmsim_set_ac(m, false), VMSIM_OK); /* cached, but AC is checked again */
    EXPECT_PF(m, go(m, READ, SUP, 0x8, 4), 0x8, VMSIM_PF_P);
}

static void smap_leaves_fetches_and_user_accesses_alone(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME, PRWU);
    put32(m, PT + 4, FRAME | PRW); /* supervisor page */
    paging_on(m, VMSIM_CR4_SMAP);
    EXPECT_OK(go(m, FETCH, SUP, 0x0, 1), FRAME);
    EXPECT_OK(go(m, READ, USER, 0x0, 4), FRAME);
    EXPECT_OK(go(m, WRITE, USER, 0x0, 4), FRAME);
    EXPECT_OK(go(m, WRITE, SUP, 0x1000, 4), FRAME); /* supervisor page: SMAP silent */
}

static void smap_with_ac_set_still_honours_wp_on_read_only_user_pages(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME, VMSIM_PTE_P | VMSIM_PTE_US);
    paging_on(m, VMSIM_CR4_SMAP);
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP);
    vmsim_set_ac(m, true);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x0, 4), 0x0, VMSIM_PF_P | VMSIM_PF_W);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    EXPECT_OK(go(m, WRITE, SUP, 0x0, 4), FRAME);
}

/* --- error codes, CR2, page crossings ----------------------------------- */

static void not_present_error_codes_carry_only_w_and_u(void **state)
{
    vmsim_machine_t *m = *state;
    pde(m, 0, PT | PRWU);
    paging_on(m, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x1000, 1), 0x1000, 0);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x1001, 1), 0x1001, VMSIM_PF_W);
    EXPECT_PF(m, go(m, READ, USER, 0x1002, 1), 0x1002, VMSIM_PF_U);
    EXPECT_PF(m, go(m, WRITE, USER, 0x1003, 1), 0x1003, VMSIM_PF_W | VMSIM_PF_U);
    vmsim_fault_t f;
    vmsim_last_fault(m, &f);
    assert_int_equal(f.reason, VMSIM_WHY_NOT_PRESENT);
    assert_int_equal(f.level, VMSIM_LEVEL_PTE);
}

static void page_crossing_fault_reports_first_faulting_byte_and_writes_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, FRAME, PRWU); /* page 2 is not present */
    put32(m, FRAME + 0xffc, 0xdeadbeef);
    paging_on(m, 0);
    uint64_t value = 0;
    vmsim_result_t r;
    assert_int_equal(vmsim_access(m, WRITE, USER, 0x1ffe, &value, 8, &r), VMSIM_ERR_PAGE_FAULT);
    EXPECT_PF(m, r, 0x2000, VMSIM_PF_W | VMSIM_PF_U);
    assert_int_equal(get32(m, FRAME + 0xffc), 0xdeadbeef);
    /* the first page translated: its A and D bits stay set */
    assert_int_equal(get32(m, PT + 4), FRAME | PRWU | A | D);
}

static void fault_in_first_page_of_a_crossing_reports_its_own_address(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 2, FRAME, PRWU); /* page 1 is not present */
    paging_on(m, 0);
    EXPECT_PF(m, go(m, READ, USER, 0x1ffd, 8), 0x1ffd, VMSIM_PF_U);
    assert_int_equal(get32(m, PT + 8), FRAME | PRWU); /* second page never walked */
}

static void page_crossing_access_translates_both_pages(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, FRAME + 0x5000, PRWU);
    put32(m, PT + 8, FRAME | PRWU);
    put32(m, FRAME + 0x5ffc, 0x44332211);
    put32(m, FRAME, 0x88776655);
    paging_on(m, 0);
    uint64_t value = 0;
    assert_int_equal(vmsim_read64(m, USER, 0x1ffc, &value), VMSIM_OK);
    assert_int_equal(value, 0x8877665544332211ull);
}

/* --- control registers ------------------------------------------------------ */

static void cr0_pg_without_pe_is_gp_and_changes_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME, PRWU);
    set_reg(m, VMSIM_REG_CR3, PD);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG), VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_CR0), 0);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_OFF);
    EXPECT_OK(go(m, READ, SUP, 0x10, 4), 0x10); /* still linear = physical */
}

static void efer_lme_cannot_change_while_paging_is_on(void **state)
{
    vmsim_machine_t *m = *state;
    const uint64_t lme = 1u << 8;
    paging_on(m, 0);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_EFER, lme), VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_EFER), 0);
    set_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PE); /* paging off: allowed */
    set_reg(m, VMSIM_REG_EFER, lme);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_ERR_GP); /* LME without PAE */
    set_reg(m, VMSIM_REG_EFER, 0);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_EFER, lme), VMSIM_ERR_GP);
}

static void paging_off_maps_linear_to_physical(void **state)
{
    vmsim_machine_t *m = *state;
    EXPECT_OK(go(m, WRITE, USER, 0x123456, 4), 0x123456);
    EXPECT_OK(go(m, READ, SUP, RAM - 4, 4), RAM - 4);
    EXPECT_BUS(go(m, READ, SUP, RAM + 0x10, 4), RAM + 0x10);
    EXPECT_BUS(go(m, FETCH, SUP, RAM, 1), RAM);
}

static void translate_shows_a_walk_without_side_effects(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME, PRWU);
    paging_on(m, 0);
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, WRITE, USER, 0x10, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_OK);
    assert_int_equal(t.steps[1].new_value, FRAME | PRWU | A | D);
    assert_int_equal(get32(m, PT), FRAME | PRWU); /* nothing written */
    assert_int_equal(get32(m, PD), PT | PRWU);
    assert_int_equal(stats(m).walks, 0);
    assert_int_equal(vmsim_translate(m, READ, USER, 0x1000, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_FAULT);
    assert_int_equal(get_reg(m, VMSIM_REG_CR2), 0); /* no CR2 either */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, rig_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(two_level_walk_maps_linear_to_physical_through_pde_and_pte),
        T(walk_sets_accessed_in_pde_and_pte_but_not_dirty_on_read),
        T(pde_accessed_is_set_when_walk_faults_at_not_present_pte),
        T(pde_accessed_is_set_when_walk_faults_on_rights_at_pte),
        T(nothing_is_marked_accessed_when_walk_faults_at_pde),
        T(bus_error_reading_page_table_reports_entry_and_marks_nothing),
        T(bus_error_on_page_outside_ram_marks_nothing_and_caches_nothing),
        T(first_write_sets_dirty_in_the_pte_only),
        T(write_after_cached_read_walks_again_to_set_dirty),
        T(cached_translation_is_used_until_invlpg),
        T(global_translation_survives_cr3_load_only_while_pge),
        T(pse_4m_page_is_one_level_with_accessed_and_dirty_in_the_pde),
        T(pse36_pde_bits_20_13_are_physical_address_bits_39_32),
        T(pse_4m_page_bit_21_is_reserved),
        cmocka_unit_test(maxphyaddr_36_makes_pse36_bits_20_17_reserved),
        cmocka_unit_test(maxphyaddr_32_makes_every_pse36_bit_reserved),
        T(ps_bit_is_ignored_without_cr4_pse),
        cmocka_unit_test(large_page_tlb_hit_beyond_ram_is_a_bus_error),
        T(user_access_needs_us_in_both_pde_and_pte),
        T(user_write_needs_rw_in_both_pde_and_pte),
        T(supervisor_write_to_read_only_page_succeeds_with_wp_clear),
        T(supervisor_write_to_read_only_page_faults_with_wp_set),
        T(smep_blocks_supervisor_fetch_from_user_page),
        T(id_bit_is_set_for_faulting_fetches_only_with_smep),
        T(efer_nxe_alone_gives_no_id_bit_under_32bit_paging),
        T(smap_blocks_supervisor_data_access_to_user_page_with_ac_clear),
        T(smap_leaves_fetches_and_user_accesses_alone),
        T(smap_with_ac_set_still_honours_wp_on_read_only_user_pages),
        T(not_present_error_codes_carry_only_w_and_u),
        T(page_crossing_fault_reports_first_faulting_byte_and_writes_nothing),
        T(fault_in_first_page_of_a_crossing_reports_its_own_address),
        T(page_crossing_access_translates_both_pages),
        T(cr0_pg_without_pe_is_gp_and_changes_nothing),
        T(efer_lme_cannot_change_while_paging_is_on),
        T(paging_off_maps_linear_to_physical),
        T(translate_shows_a_walk_without_side_effects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
