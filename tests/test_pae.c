/*
 * test_pae.c - the rules of PAE paging with execute-disable (Intel SDM
 * Vol. 3A 4.4, 4.6, 4.7, 4.10), one case per rule, proved through the
 * public API: tables written through the bus port, registers through
 * vmsim_write_reg(), results read from accesses, vmsim_translate(), the
 * entries in RAM and vmsim_tlb_entry().
 *
 * Where QEMU differs from the SDM -- QEMU rereads the PDPTE at every
 * walk -- these cases hold the MMU to the SDM: the four PDPTEs are
 * registers, loaded at a CR3 load (and at the CR0/CR4 loads of SDM
 * 4.4.1), checked for reserved bits then (#GP), and used until the next
 * load.
 *
 * The usual layout (16 MiB of RAM, MAXPHYADDR 40):
 *
 *     CR3 = 0x10000  PDPT: PDPTE 0 -> PD0, PDPTE 1 -> PD1
 *           0x11000  PD0   (linear 0x00000000 - 0x3fffffff)
 *           0x12000  PT    (PDE 0 of PD0: linear 0x00000000 - 0x001fffff)
 *           0x13000  PD1   (linear 0x40000000 - 0x7fffffff)
 *           0x14000  PT2
 *           0x20000+ data frames; 0x600000 a 2 MiB frame
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rig.h"

#define RAM    0x1000000u
#define PDPT   0x10000u
#define PD0    0x11000u
#define PT     0x12000u
#define PD1    0x13000u
#define PT2    0x14000u
#define FRAME  0x20000u
#define BIG    0x600000u
#define XD     VMSIM_PTE_XD
#define BIT(n) (1ull << (n))

#define PF_P    VMSIM_PF_P
#define PF_W    VMSIM_PF_W
#define PF_U    VMSIM_PF_U
#define PF_RSVD VMSIM_PF_RSVD
#define PF_I    VMSIM_PF_I

/* --- the rig ------------------------------------------------------------ */

static vmsim_machine_t *make_machine(unsigned maxphyaddr, bool split_tlb)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM;
    cfg.maxphyaddr = maxphyaddr;
    cfg.split_tlb = split_tlb;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    return m;
}

static int setup(void **state)
{
    *state = make_machine(40, true);
    return 0;
}

static void pdpte(vmsim_machine_t *m, unsigned i, uint64_t v)
{
    put64(m, PDPT + 8u * i, v);
}
static void pde(vmsim_machine_t *m, uint64_t pd, unsigned i, uint64_t v)
{
    put64(m, pd + 8u * i, v);
}
static void pte(vmsim_machine_t *m, uint64_t pt, unsigned i, uint64_t v)
{
    put64(m, pt + 8u * i, v);
}

/* PDPTE 0 -> PD0, PDE 0 -> PT with `pde_bits`, PTE `page` = `leaf`. */
static void map4k(vmsim_machine_t *m, uint64_t pde_bits, unsigned page, uint64_t leaf)
{
    pdpte(m, 0, PD0 | P);
    pde(m, PD0, 0, PT | pde_bits);
    pte(m, PT, page, leaf);
}

/* PAE paging on: EFER (before paging, as the vectors do), CR3, CR4, CR0. */
static void pae_on(vmsim_machine_t *m, uint32_t cr4, uint64_t efer)
{
    set_reg(m, VMSIM_REG_EFER, efer);
    set_reg(m, VMSIM_REG_CR3, PDPT);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | cr4);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_PAE);
}

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

static vmsim_fault_t last_fault(vmsim_machine_t *m)
{
    vmsim_fault_t f;
    assert_int_equal(vmsim_last_fault(m, &f), VMSIM_OK);
    return f;
}

/* The valid entry of TLB `id` that maps `vaddr`; fails when none does. */
static vmsim_tlb_entry_t tlb_entry_for(vmsim_machine_t *m, vmsim_tlb_id_t id, uint32_t vaddr)
{
    vmsim_tlb_entry_t e;
    for (uint32_t i = 0; i < vmsim_tlb_size(m, id); i++) {
        assert_int_equal(vmsim_tlb_entry(m, id, i, &e), VMSIM_OK);
        if (e.valid && vaddr - e.vaddr < e.page_size)
            return e;
    }
    fail_msg("no TLB entry maps 0x%x", (unsigned)vaddr);
    return e;
}

/* --- the walk ------------------------------------------------------------ */

static void pae_walk_splits_linear_address_2_9_9_12(void **state)
{
    vmsim_machine_t *m = *state;
    pdpte(m, 1, PD1 | P);
    pde(m, PD1, 2, PT2 | PRWU);
    pte(m, PT2, 3, FRAME | PRWU);
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, READ, USER, 0x40403abc, 4), FRAME + 0xabc); /* 1 | 2 | 3 | 0xabc */

    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, USER, 0x40403abc, &t), VMSIM_OK);
    assert_int_equal(t.paging, VMSIM_PAGING_PAE);
    assert_int_equal(t.n_steps, 3);
    assert_int_equal(t.steps[0].level, VMSIM_LEVEL_PDPTE);
    assert_int_equal(t.steps[0].index, 1);
    assert_int_equal(t.steps[0].addr, PDPT + 8);
    assert_int_equal(t.steps[1].level, VMSIM_LEVEL_PDE);
    assert_int_equal(t.steps[1].index, 2);
    assert_int_equal(t.steps[1].addr, PD1 + 16);
    assert_int_equal(t.steps[1].width, 8);
    assert_int_equal(t.steps[2].index, 3);
    assert_int_equal(t.steps[2].addr, PT2 + 24);
    assert_true(t.steps[2].leaf);
}

static void cr3_bits_31_5_locate_the_pdpt(void **state)
{
    vmsim_machine_t *m = *state;
    put64(m, PDPT + 0x20, PD1 | P); /* a PDPT 32 bytes into the page */
    pde(m, PD1, 0, PT2 | PRWU);
    pte(m, PT2, 1, FRAME | PRWU);
    set_reg(m, VMSIM_REG_CR3, PDPT + 0x20);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    EXPECT_OK(go(m, READ, SUP, 0x1004, 4), FRAME + 4);
}

static void walk_writes_accessed_and_dirty_into_64_bit_entries(void **state)
{
    vmsim_machine_t *m = *state;
    uint64_t ignored = BIT(9) | BIT(10) | BIT(11);
    map4k(m, XD | ignored | PRWU, 5, XD | ignored | FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_OK(go(m, READ, USER, 0x5000, 8), FRAME);
    assert_int_equal(get64(m, PD0), XD | ignored | PT | PRWU | A);
    assert_int_equal(get64(m, PT + 40), XD | ignored | FRAME | PRWU | A);
    EXPECT_OK(go(m, WRITE, USER, 0x5008, 8), FRAME + 8); /* D after a cached read */
    assert_int_equal(get64(m, PT + 40), XD | ignored | FRAME | PRWU | A | D);
    assert_int_equal(get64(m, PD0), XD | ignored | PT | PRWU | A);
}

static void pdptes_have_no_accessed_bit_and_restrict_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU); /* PDPTE 0 = PD0 | P: no R/W, no U/S */
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, WRITE, USER, 0x10, 4), FRAME + 0x10);
    assert_int_equal(get64(m, PDPT), PD0 | P);
    vmsim_translation_t t;
    vmsim_translate(m, WRITE, USER, 0x10, &t);
    assert_true(t.writable);
    assert_true(t.user);
    assert_int_equal(t.steps[0].new_value, t.steps[0].value);
}

static void not_present_pdpte_faults_at_the_pdpte_and_marks_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pdpte(m, 1, PD1 | 0x1e6); /* P = 0: its reserved bits do not matter */
    pde(m, PD1, 0, PT | PRWU);
    pae_on(m, 0, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x40000000, 4), 0x40000000, 0);
    EXPECT_PF(m, go(m, WRITE, USER, 0x40000004, 4), 0x40000004, PF_W | PF_U);
    assert_int_equal(last_fault(m).level, VMSIM_LEVEL_PDPTE);
    assert_int_equal(last_fault(m).reason, VMSIM_WHY_NOT_PRESENT);
    assert_int_equal(get64(m, PD1), PT | PRWU);
    assert_int_equal(stats(m).walk_reads, 0); /* the PDPTE is a register */
}

/* --- the PDPTE registers (SDM 4.4.1) -------------------------------------- */

/* PDPTE 0 in memory now says PD1, which maps page 0 to FRAME2. */
#define FRAME2 (FRAME + 0x7000)
static void repoint_pdpte0_to_pd1(vmsim_machine_t *m)
{
    pde(m, PD1, 0, PT2 | PRWU);
    pte(m, PT2, 0, FRAME2 | PRWU);
    pdpte(m, 0, PD1 | P);
}

/* Flush the TLB without touching the PDPTE registers. */
static void flush_page0(vmsim_machine_t *m)
{
    assert_int_equal(vmsim_invlpg(m, 0), VMSIM_OK);
}

static void pdpte_change_in_memory_waits_for_the_next_cr3_load(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
    repoint_pdpte0_to_pd1(m);
    flush_page0(m);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME); /* the old PDPTE register is walked */
    pdpte(m, 0, 0);                             /* even "not present" goes unseen */
    flush_page0(m);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
    pdpte(m, 0, PD1 | P);
    set_reg(m, VMSIM_REG_CR3, PDPT);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME2);
}

static void pdptes_are_loaded_when_paging_is_turned_on_not_at_cr3_load(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(m, VMSIM_REG_CR3, PDPT); /* paging off: nothing loaded yet */
    pdpte(m, 0, PD1 | 0x1e7);        /* reserved bits: a load would #GP */
    set_reg(m, VMSIM_REG_CR3, PDPT); /* still no PAE paging: no check */
    repoint_pdpte0_to_pd1(m);
    set_reg(m, VMSIM_REG_CR0, PG_ON); /* loaded now */
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME2);
}

static void pdptes_reload_on_cr4_pge_pse_and_smep_changes(void **state)
{
    static const uint32_t bits[] = {VMSIM_CR4_PGE, VMSIM_CR4_PSE, VMSIM_CR4_SMEP};
    vmsim_machine_t *m = *state;
    for (unsigned i = 0; i < 3; i++) {
        map4k(m, PRWU, 0, FRAME | PRWU);
        pae_on(m, 0, 0);
        EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
        repoint_pdpte0_to_pd1(m);
        set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | bits[i]);
        EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME2);
        set_reg(m, VMSIM_REG_CR0, 0);
        set_reg(m, VMSIM_REG_CR4, 0);
    }
}

static void pdptes_reload_on_cr0_cd_change_and_a_bad_one_is_gp(void **state)
{
    const uint32_t cd = 1u << 30;
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pae_on(m, 0, 0);
    repoint_pdpte0_to_pd1(m);
    set_reg(m, VMSIM_REG_CR0, PG_ON | cd);
    flush_page0(m); /* CD does not flush the TLB; the new PDPTE shows after INVLPG */
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME2);
    pdpte(m, 2, PD1 | P | BIT(6));
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_CR0), PG_ON | cd);
}

static void cr0_wp_and_cr4_smap_changes_keep_the_pdpte_registers(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRW);
    pae_on(m, 0, 0);
    repoint_pdpte0_to_pd1(m);
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP); /* flushes the TLB only */
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_SMAP);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
}

/* Each class of reserved PDPTE bits: 2:1, 8:5 and 63:MAXPHYADDR (40). */
static const uint64_t pdpte_reserved[] = {BIT(1),  BIT(2),  BIT(5),  BIT(6),  BIT(7), BIT(8),
                                          BIT(40), BIT(51), BIT(52), BIT(62), BIT(63)};
#define N_PDPTE_RESERVED (sizeof pdpte_reserved / sizeof pdpte_reserved[0])

static void cr3_load_of_present_pdpte_with_reserved_bit_is_gp_and_changes_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE); /* bit 63 is reserved in a PDPTE even with NXE */
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME);
    uint64_t loads = stats(m).cr3_loads, walks = stats(m).walks;
    for (unsigned i = 0; i < N_PDPTE_RESERVED; i++) {
        put64(m, PDPT + 0x20 + 8, PD1 | P | pdpte_reserved[i]); /* PDPTE 1 of a second PDPT */
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PDPT + 0x20), VMSIM_ERR_GP);
        assert_int_equal(get_reg(m, VMSIM_REG_CR3), PDPT);
    }
    assert_int_equal(stats(m).cr3_loads, loads);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME); /* still cached: no flush */
    assert_int_equal(stats(m).walks, walks);
    flush_page0(m);
    EXPECT_OK(go(m, READ, SUP, 0x0, 4), FRAME); /* old PDPTE registers kept */
}

static void cr0_and_cr4_loads_that_read_bad_pdptes_are_gp_and_change_nothing(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pdpte(m, 3, PD1 | P | BIT(5));
    set_reg(m, VMSIM_REG_CR3, PDPT);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_CR0), 0);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_OFF);

    set_reg(m, VMSIM_REG_CR4, 0); /* 32-bit paging: CR3 is a page directory now */
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE), VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_CR4), 0);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_32BIT);

    pdpte(m, 3, PD1 | P);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    pdpte(m, 3, PD1 | P | BIT(2));
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PSE),
                     VMSIM_ERR_GP);
    assert_int_equal(get_reg(m, VMSIM_REG_CR4), VMSIM_CR4_PAE);
}

/* --- 2 MiB pages ------------------------------------------------------------ */

static void pae_2m_page_is_one_level_with_accessed_and_dirty_in_the_pde(void **state)
{
    vmsim_machine_t *m = *state;
    pdpte(m, 0, PD0 | P);
    pde(m, PD0, 1, BIG | PRWU | PS); /* linear 0x00200000 - 0x003fffff */
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, READ, USER, 0x003abcde, 4), BIG + 0x1abcde);
    assert_int_equal(get64(m, PD0 + 8), BIG | PRWU | PS | A);
    EXPECT_OK(go(m, WRITE, USER, 0x00200000, 4), BIG);
    assert_int_equal(get64(m, PD0 + 8), BIG | PRWU | PS | A | D);
    vmsim_translation_t t;
    vmsim_translate(m, READ, USER, 0x00212345, &t);
    assert_int_equal(t.n_steps, 2);
    assert_true(t.steps[1].leaf);
    assert_int_equal(t.page_size, 2u << 20);
}

static void pae_2m_page_bit_12_is_pat_not_an_address_bit(void **state)
{
    vmsim_machine_t *m = *state;
    pdpte(m, 0, PD0 | P);
    pde(m, PD0, 1, BIG | BIT(12) | PRWU | PS);
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, READ, SUP, 0x00200010, 4), BIG + 0x10);
}

static void pae_2m_page_bits_20_13_are_reserved(void **state)
{
    vmsim_machine_t *m = *state;
    pdpte(m, 0, PD0 | P);
    for (unsigned bit = 13; bit <= 20; bit++)
        pde(m, PD0, bit, BIG | BIT(bit) | PRWU | PS);
    pae_on(m, 0, 0);
    for (unsigned bit = 13; bit <= 20; bit++) {
        uint32_t va = bit << 21;
        EXPECT_PF(m, go(m, READ, SUP, va, 4), va, PF_P | PF_RSVD);
        assert_int_equal(last_fault(m).level, VMSIM_LEVEL_PDE);
        assert_int_equal(get64(m, PD0 + 8u * bit), BIG | BIT(bit) | PRWU | PS); /* no A */
    }
}

static void tlb_caches_a_2m_page_as_one_entry_until_invlpg(void **state)
{
    vmsim_machine_t *m = *state;
    pdpte(m, 0, PD0 | P);
    pde(m, PD0, 1, BIG | PRWU | PS);
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, READ, SUP, 0x00201000, 4), BIG + 0x1000);
    vmsim_tlb_entry_t e = tlb_entry_for(m, VMSIM_DTLB, 0x00201000);
    assert_int_equal(e.vaddr, 0x00200000);
    assert_int_equal(e.paddr, BIG);
    assert_int_equal(e.page_size, 2u << 20);
    uint64_t walks = stats(m).walks;
    EXPECT_OK(go(m, READ, SUP, 0x003ff000, 4), BIG + 0x1ff000); /* same entry, no walk */
    assert_int_equal(stats(m).walks, walks);
    vmsim_invlpg(m, 0x00300000); /* any address in the page */
    EXPECT_OK(go(m, READ, SUP, 0x00201000, 4), BIG + 0x1000);
    assert_int_equal(stats(m).walks, walks + 1);
}

/* --- reserved bits in PDEs and PTEs ---------------------------------------- */

static void bits_62_to_maxphyaddr_are_reserved_in_pde_and_pte(void **state)
{
    vmsim_machine_t *m = *state; /* MAXPHYADDR 40 */
    map4k(m, PRWU, 1, FRAME | BIT(40) | PRWU);
    pte(m, PT, 2, FRAME | BIT(62) | PRWU);
    pte(m, PT, 3, FRAME | BIT(39) | PRWU);     /* an address bit: beyond RAM */
    pde(m, PD0, 1, PT2 | BIT(51) | PRWU);      /* table pointer */
    pde(m, PD0, 2, BIG | BIT(45) | PRWU | PS); /* 2 MiB page */
    pae_on(m, 0, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x1000, 4), 0x1000, PF_P | PF_RSVD);
    EXPECT_PF(m, go(m, WRITE, USER, 0x2000, 4), 0x2000, PF_P | PF_RSVD | PF_W | PF_U);
    EXPECT_BUS(go(m, READ, SUP, 0x3000, 4), BIT(39) | FRAME);
    EXPECT_PF(m, go(m, READ, SUP, 0x00200000, 4), 0x00200000, PF_P | PF_RSVD);
    assert_int_equal(last_fault(m).level, VMSIM_LEVEL_PDE);
    assert_int_equal(get64(m, PD0 + 8), PT2 | BIT(51) | PRWU); /* no A on a reserved-bit fault */
    EXPECT_PF(m, go(m, READ, SUP, 0x00400000, 4), 0x00400000, PF_P | PF_RSVD);
}

static void maxphyaddr_52_makes_bits_51_40_address_bits(void **state)
{
    (void)state;
    vmsim_machine_t *m = make_machine(52, true);
    map4k(m, PRWU, 1, FRAME | BIT(51) | PRWU);
    pte(m, PT, 2, FRAME | BIT(52) | PRWU);
    pae_on(m, 0, 0);
    EXPECT_BUS(go(m, READ, SUP, 0x1000, 4), BIT(51) | FRAME);
    EXPECT_PF(m, go(m, READ, SUP, 0x2000, 4), 0x2000, PF_P | PF_RSVD);
    vmsim_destroy(m);
}

static void maxphyaddr_36_makes_bit_36_reserved(void **state)
{
    (void)state;
    vmsim_machine_t *m = make_machine(36, true);
    map4k(m, PRWU, 1, FRAME | BIT(35) | PRWU);
    pte(m, PT, 2, FRAME | BIT(36) | PRWU);
    pae_on(m, 0, 0);
    EXPECT_BUS(go(m, READ, SUP, 0x1000, 4), BIT(35) | FRAME);
    EXPECT_PF(m, go(m, READ, SUP, 0x2000, 4), 0x2000, PF_P | PF_RSVD);
    vmsim_destroy(m);
}

static void bit_63_is_reserved_without_nxe(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, XD | FRAME | PRWU);
    pde(m, PD0, 1, XD | PT2 | PRWU);
    pte(m, PT2, 0, FRAME | PRWU);
    pae_on(m, 0, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x1000, 4), 0x1000, PF_P | PF_RSVD);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x1000, 1), 0x1000, PF_P | PF_RSVD); /* no I/D without NXE */
    EXPECT_PF(m, go(m, READ, SUP, 0x00200000, 4), 0x00200000, PF_P | PF_RSVD);
    assert_int_equal(last_fault(m).level, VMSIM_LEVEL_PDE);
    assert_int_equal(get64(m, PD0 + 8), XD | PT2 | PRWU);
}

/* --- execute-disable (EFER.NXE) ------------------------------------------ */

static void xd_in_a_pte_blocks_only_fetches_with_nxe(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, XD | FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_OK(go(m, READ, USER, 0x1000, 4), FRAME);
    EXPECT_OK(go(m, WRITE, SUP, 0x1000, 4), FRAME);
    EXPECT_PF(m, go(m, FETCH, USER, 0x1000, 1), 0x1000, PF_I | PF_U | PF_P);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x1004, 1), 0x1004, PF_I | PF_P);
    assert_int_equal(last_fault(m).reason, VMSIM_WHY_XD);
}

static void xd_in_a_pde_blocks_fetches_from_every_page_below_it(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, XD | PRWU, 1, FRAME | PRWU); /* XD in the PDE only */
    pde(m, PD0, 1, XD | BIG | PRWU | PS); /* a 2 MiB page with XD */
    pte(m, PT, 2, FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x1000, 1), 0x1000, PF_I | PF_P);
    EXPECT_PF(m, go(m, FETCH, USER, 0x2000, 1), 0x2000, PF_I | PF_U | PF_P);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x00300000, 1), 0x00300000, PF_I | PF_P);
    EXPECT_OK(go(m, READ, SUP, 0x00300000, 1), BIG + 0x100000);
}

static void id_bit_is_set_on_every_faulting_fetch_under_nxe(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, FRAME | PRW);        /* supervisor page */
    pte(m, PT, 2, FRAME | BIT(62) | PRWU); /* reserved bit */
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x5000, 1), 0x5000, PF_I);                /* not present */
    EXPECT_PF(m, go(m, FETCH, USER, 0x1000, 1), 0x1000, PF_I | PF_U | PF_P); /* rights */
    EXPECT_PF(m, go(m, FETCH, SUP, 0x2000, 1), 0x2000, PF_I | PF_RSVD | PF_P);
    EXPECT_PF(m, go(m, FETCH, USER, 0x40000000, 1), 0x40000000, PF_I | PF_U); /* PDPTE */
    EXPECT_PF(m, go(m, READ, SUP, 0x5000, 1), 0x5000, 0);                     /* data: no I/D */
}

static void id_bit_is_clear_on_faulting_fetches_without_nxe_or_smep(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, FRAME | PRW);
    pae_on(m, 0, 0);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x5000, 1), 0x5000, 0);
    EXPECT_PF(m, go(m, FETCH, USER, 0x1000, 1), 0x1000, PF_U | PF_P);
}

static void tlb_entries_carry_the_execute_permission(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 1, XD | FRAME | PRWU);
    pte(m, PT, 2, FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_OK(go(m, READ, SUP, 0x1000, 4), FRAME);
    EXPECT_OK(go(m, FETCH, SUP, 0x2000, 4), FRAME);
    assert_false(tlb_entry_for(m, VMSIM_DTLB, 0x1000).executable);
    assert_true(tlb_entry_for(m, VMSIM_ITLB, 0x2000).executable);
}

static void unified_tlb_entry_without_execute_permission_refuses_a_fetch(void **state)
{
    (void)state;
    vmsim_machine_t *m = make_machine(40, false);
    map4k(m, PRWU, 1, XD | FRAME | PRWU);
    pae_on(m, 0, VMSIM_EFER_NXE);
    EXPECT_OK(go(m, READ, USER, 0x1000, 4), FRAME); /* cached with XD */
    assert_false(tlb_entry_for(m, VMSIM_DTLB, 0x1000).executable);
    EXPECT_PF(m, go(m, FETCH, USER, 0x1000, 1), 0x1000, PF_I | PF_U | PF_P);
    vmsim_destroy(m);
}

/* --- access rights under PAE --------------------------------------------- */

static void user_and_write_rights_combine_pde_and_pte(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRW, 0, FRAME | PRWU);                   /* PDE supervisor */
    pde(m, PD0, 1, PT2 | VMSIM_PTE_P | VMSIM_PTE_US); /* PDE read-only */
    pte(m, PT2, 0, FRAME | PRWU);
    pae_on(m, 0, 0);
    EXPECT_PF(m, go(m, READ, USER, 0x0, 4), 0x0, PF_P | PF_U);
    EXPECT_PF(m, go(m, WRITE, USER, 0x00200000, 4), 0x00200000, PF_P | PF_W | PF_U);
    EXPECT_OK(go(m, READ, USER, 0x00200000, 4), FRAME);
    EXPECT_OK(go(m, WRITE, SUP, 0x00200000, 4), FRAME); /* WP = 0 */
}

static void wp_makes_read_only_pages_read_only_for_the_supervisor(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | P);
    pae_on(m, 0, 0);
    EXPECT_OK(go(m, WRITE, SUP, 0x0, 4), FRAME);
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x0, 4), 0x0, PF_P | PF_W);
}

static void smep_blocks_supervisor_fetch_from_user_page(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pae_on(m, VMSIM_CR4_SMEP, 0);
    EXPECT_PF(m, go(m, FETCH, SUP, 0x0, 1), 0x0, PF_P | PF_I);
    assert_int_equal(last_fault(m).reason, VMSIM_WHY_SMEP);
    EXPECT_OK(go(m, READ, SUP, 0x0, 1), FRAME);
    EXPECT_OK(go(m, FETCH, USER, 0x0, 1), FRAME);
}

static void smap_blocks_supervisor_data_access_to_user_page_unless_ac(void **state)
{
    vmsim_machine_t *m = *state;
    map4k(m, PRWU, 0, FRAME | PRWU);
    pae_on(m, VMSIM_CR4_SMAP, 0);
    EXPECT_PF(m, go(m, READ, SUP, 0x0, 4), 0x0, PF_P);
    EXPECT_PF(m, go(m, WRITE, SUP, 0x0, 4), 0x0, PF_P | PF_W);
    EXPECT_OK(go(m, FETCH, SUP, 0x0, 1), FRAME);
    vmsim_set_ac(m, true);
    EXPECT_OK(go(m, WRITE, SUP, 0x0, 4), FRAME);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, rig_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(pae_walk_splits_linear_address_2_9_9_12),
        T(cr3_bits_31_5_locate_the_pdpt),
        T(walk_writes_accessed_and_dirty_into_64_bit_entries),
        T(pdptes_have_no_accessed_bit_and_restrict_nothing),
        T(not_present_pdpte_faults_at_the_pdpte_and_marks_nothing),
        T(pdpte_change_in_memory_waits_for_the_next_cr3_load),
        T(pdptes_are_loaded_when_paging_is_turned_on_not_at_cr3_load),
        T(pdptes_reload_on_cr4_pge_pse_and_smep_changes),
        T(pdptes_reload_on_cr0_cd_change_and_a_bad_one_is_gp),
        T(cr0_wp_and_cr4_smap_changes_keep_the_pdpte_registers),
        T(cr3_load_of_present_pdpte_with_reserved_bit_is_gp_and_changes_nothing),
        T(cr0_and_cr4_loads_that_read_bad_pdptes_are_gp_and_change_nothing),
        T(pae_2m_page_is_one_level_with_accessed_and_dirty_in_the_pde),
        T(pae_2m_page_bit_12_is_pat_not_an_address_bit),
        T(pae_2m_page_bits_20_13_are_reserved),
        T(tlb_caches_a_2m_page_as_one_entry_until_invlpg),
        T(bits_62_to_maxphyaddr_are_reserved_in_pde_and_pte),
        cmocka_unit_test(maxphyaddr_52_makes_bits_51_40_address_bits),
        cmocka_unit_test(maxphyaddr_36_makes_bit_36_reserved),
        T(bit_63_is_reserved_without_nxe),
        T(xd_in_a_pte_blocks_only_fetches_with_nxe),
        T(xd_in_a_pde_blocks_fetches_from_every_page_below_it),
        T(id_bit_is_set_on_every_faulting_fetch_under_nxe),
        T(id_bit_is_clear_on_faulting_fetches_without_nxe_or_smep),
        T(tlb_entries_carry_the_execute_permission),
        cmocka_unit_test(unified_tlb_entry_without_execute_permission_refuses_a_fetch),
        T(user_and_write_rights_combine_pde_and_pte),
        T(wp_makes_read_only_pages_read_only_for_the_supervisor),
        T(smep_blocks_supervisor_fetch_from_user_page),
        T(smap_blocks_supervisor_data_access_to_user_page_unless_ac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
