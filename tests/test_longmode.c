/*
 * test_longmode.c - the rules of IA-32e paging (Intel SDM Vol. 3A 4.5,
 * 4.6, 4.7, 4.10 and the MOV CRn / INVPCID pages), one case per rule,
 * proved through the public API: tables written through the bus port,
 * registers through vmsim_write_reg(), results read from accesses,
 * vmsim_translate(), the entries in RAM and vmsim_tlb_entry().
 *
 * The usual layout (16 MiB of RAM, MAXPHYADDR 40, 4-level paging):
 *
 *     CR3 = 0x10000  PML4:  [0] -> PDPT, [511] -> KPDPT
 *           0x11000  PDPT:  [0] -> PD, [1] -> a 1 GiB page at physical 0
 *           0x12000  PD:    [0] -> PT, [3] -> a 2 MiB page at 0x600000
 *           0x13000  PT:    [1] -> 0x21000, [2] -> 0x22000, [3] -> 0x23000
 *           0x14000  KPDPT: [510] -> KPD   (linear 0xffffffff80000000)
 *           0x15000  KPD:   [0] -> KPT
 *           0x16000  KPT:   [1] -> 0x24000 (supervisor)
 *           0x18000  PML5 (5-level cases): [0] -> PML4, [1] -> PML4
 *
 * Every upper entry is present, writable and user unless a case changes
 * it; no A bit is set at the start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rig.h"

#define RAM     0x1000000u
#define PML4    0x10000u
#define PDPT    0x11000u
#define PD      0x12000u
#define PT      0x13000u
#define KPDPT   0x14000u
#define KPD     0x15000u
#define KPT     0x16000u
#define PML5    0x18000u
#define XD      VMSIM_PTE_XD
#define G       VMSIM_PTE_G
#define BIT(n)  (1ull << (n))
#define KEY(k)  ((uint64_t)(k) << VMSIM_PTE_PKEY_SHIFT)
#define KVA     0xffffffff80001000ull /* PML4 511, PDPT 510, PD 0, PT 1 */
#define NOFLUSH VMSIM_CR3_NOFLUSH

#define PF_P  VMSIM_PF_P
#define PF_W  VMSIM_PF_W
#define PF_U  VMSIM_PF_U
#define PF_R  VMSIM_PF_RSVD
#define PF_I  VMSIM_PF_I
#define PF_PK VMSIM_PF_PK

/* --- the rig ------------------------------------------------------------ */

static vmsim_machine_t *tables(bool fast)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM;
    cfg.fast_path = fast;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    put64(m, PML4, PDPT | PRWU);
    put64(m, PML4 + 8 * 511, KPDPT | PRW);
    put64(m, PDPT, PD | PRWU);
    put64(m, PDPT + 8, 0x0 | PRWU | PS); /* 1 GiB page at physical 0 */
    put64(m, PD, PT | PRWU);
    put64(m, PD + 8 * 3, 0x600000 | PRWU | PS);
    for (unsigned i = 1; i <= 3; i++)
        put64(m, PT + 8 * i, (0x20000 + 0x1000 * i) | PRWU);
    put64(m, KPDPT + 8 * 510, KPD | PRW);
    put64(m, KPD, KPT | PRW);
    put64(m, KPT + 8, 0x24000 | PRW);
    put64(m, PML5, PML4 | PRWU);
    put64(m, PML5 + 8, PML4 | PRWU);
    return m;
}

/* Enter IA-32e mode: EFER (LME plus `efer`), CR4 (PAE plus `cr4`), CR3, CR0. */
static void enter(vmsim_machine_t *m, uint64_t efer, uint32_t cr4, uint64_t cr3)
{
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME | efer);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | cr4);
    set_reg(m, VMSIM_REG_CR3, cr3);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
}

static vmsim_machine_t *four_level(void)
{
    vmsim_machine_t *m = tables(true);
    enter(m, VMSIM_EFER_NXE, 0, PML4);
    return m;
}

static vmsim_result_t acc(vmsim_machine_t *m, vmsim_access_t a, vmsim_mode_t mode, vmsim_vaddr_t va,
                          unsigned size)
{
    vmsim_result_t r;
    vmsim_access(m, a, mode, va, NULL, size, &r);
    return r;
}

static vmsim_stats_t stats(vmsim_machine_t *m)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s), VMSIM_OK);
    return s;
}

/* The data TLB's entry for page `vaddr` of `pcid` (valid = false if none). */
static vmsim_tlb_entry_t dtlb_entry(vmsim_machine_t *m, vmsim_vaddr_t vaddr, unsigned pcid)
{
    vmsim_tlb_entry_t e;
    for (uint32_t i = 0; i < vmsim_tlb_size(m, VMSIM_DTLB); i++) {
        assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, i, &e), VMSIM_OK);
        if (e.valid && e.vaddr == vaddr && e.pcid == pcid)
            return e;
    }
    memset(&e, 0, sizeof e);
    return e;
}

/* --- entering IA-32e mode and the #GP rules of the loads -------------------- */

static void cr0_pg_with_lme_and_pae_enters_4level_mode_and_sets_lma(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_4LEVEL);
    assert_true(get_reg(m, VMSIM_REG_EFER) & VMSIM_EFER_LMA);
    EXPECT_OK(acc(m, READ, SUP, 0x1010, 4), 0x21010);
    vmsim_destroy(m);
}

static void la57_at_the_cr0_load_selects_5level_paging(void **state)
{
    (void)state;
    vmsim_machine_t *m = tables(true);
    enter(m, 0, VMSIM_CR4_LA57, PML5);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_5LEVEL);
    EXPECT_OK(acc(m, READ, SUP, 0x1010, 4), 0x21010);
    /* PML5[1] leads to the same PML4: linear bit 48 is a PML5 index bit */
    EXPECT_OK(acc(m, READ, SUP, BIT(48) | 0x2000, 4), 0x22000);
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, SUP, BIT(48) | 0x3000, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 5);
    assert_int_equal(t.steps[0].level, VMSIM_LEVEL_PML5E);
    assert_int_equal(t.steps[0].index, 1);
    assert_int_equal(t.steps[1].level, VMSIM_LEVEL_PML4E);
    assert_int_equal(t.steps[4].level, VMSIM_LEVEL_PTE);
    vmsim_destroy(m);
}

static void control_register_loads_ia32e_refuses_are_gp_and_change_nothing(void **state)
{
    (void)state;
    vmsim_machine_t *m = tables(true);
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME);
    set_reg(m, VMSIM_REG_CR3, PML4);
    /* PG with LME but without PAE */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_ERR_GP);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_OFF);
    /* PCIDE outside IA-32e mode */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE),
                     VMSIM_ERR_GP);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    set_reg(m, VMSIM_REG_CR0, PG_ON);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PE), VMSIM_ERR_GP); /* PG off */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, 0), VMSIM_ERR_GP);            /* PAE off */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_LA57),
                     VMSIM_ERR_GP);                                        /* LA57 */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_EFER, 0), VMSIM_ERR_GP); /* LME */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PML4 | BIT(40)), VMSIM_ERR_GP);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PML4 | NOFLUSH), VMSIM_ERR_GP);
    set_reg(m, VMSIM_REG_CR3, PML4 | 0x18); /* PWT PCD: no PCID yet */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE),
                     VMSIM_ERR_GP); /* CR3[11:0] != 0 */
    assert_int_equal(get_reg(m, VMSIM_REG_CR4), VMSIM_CR4_PAE);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_4LEVEL);
    vmsim_destroy(m);
}

/* --- addresses ------------------------------------------------------------ */

static void non_canonical_accesses_are_gp_before_any_translation(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    vmsim_result_t r = acc(m, READ, SUP, BIT(47), 4);
    assert_int_equal(r.status, VMSIM_ERR_GP);
    /* the first bytes canonical, the last not: #GP too, nothing read */
    assert_int_equal(acc(m, WRITE, USER, BIT(47) - 4, 8).status, VMSIM_ERR_GP);
    uint32_t v;
    assert_int_equal(vmsim_read32(m, USER, 0x8000000000001000ull, &v), VMSIM_ERR_GP);
    assert_int_equal(get64(m, PML4), PDPT | PRWU); /* no A bit: no walk */
    assert_int_equal(stats(m).walks, 0);
    assert_int_equal(stats(m).gp_faults, 3);
    assert_int_equal(get_reg(m, VMSIM_REG_CR2), 0);
    /* the highest and lowest canonical pages are fine as addresses */
    assert_int_equal(acc(m, READ, SUP, BIT(47) - 4, 4).status, VMSIM_ERR_PAGE_FAULT);
    EXPECT_OK(acc(m, READ, SUP, KVA, 8), 0x24000);
    vmsim_destroy(m);
}

static void upper_address_bits_outside_ia32e_mode_are_invalid(void **state)
{
    (void)state;
    vmsim_machine_t *m = tables(true);
    vmsim_translation_t t;
    assert_int_equal(acc(m, READ, SUP, BIT(32) | 0x1000, 4).status, VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_invlpg(m, BIT(40)), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_translate(m, READ, SUP, BIT(33), &t), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, BIT(32)), VMSIM_ERR_INVALID);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x1000);
    vmsim_destroy(m);
}

/* --- the walk --------------------------------------------------------------- */

static void four_level_walk_sets_a_at_every_level_and_d_in_the_leaf_only(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    EXPECT_OK(acc(m, WRITE, USER, 0x1ff8, 8), 0x21ff8);
    assert_int_equal(get64(m, PML4), PDPT | PRWU | A);
    assert_int_equal(get64(m, PDPT), PD | PRWU | A);
    assert_int_equal(get64(m, PD), PT | PRWU | A);
    assert_int_equal(get64(m, PT + 8), 0x21000 | PRWU | A | D);
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, READ, SUP, KVA, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 4);
    assert_int_equal(t.steps[0].level, VMSIM_LEVEL_PML4E);
    assert_int_equal(t.steps[0].index, 511);
    assert_int_equal(t.steps[1].index, 510);
    assert_int_equal(t.paddr, 0x24000);
    vmsim_destroy(m);
}

static void a_fault_low_in_the_walk_keeps_the_a_bits_above(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    EXPECT_PF(m, acc(m, READ, USER, 0x4000, 4), 0x4000, PF_U); /* PT[4] not present */
    assert_int_equal(get64(m, PML4), PDPT | PRWU | A);
    assert_int_equal(get64(m, PD), PT | PRWU | A);
    vmsim_destroy(m);
}

static void pages_of_2_mib_and_1_gib_end_the_walk_at_the_pde_and_pdpte(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    vmsim_translation_t t;
    EXPECT_OK(acc(m, READ, SUP, 0x6abcde, 4), 0x6abcde);
    assert_int_equal(vmsim_translate(m, READ, SUP, 0x6abcde, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 3);
    assert_int_equal(t.page_size, 2u << 20);
    EXPECT_OK(acc(m, WRITE, SUP, BIT(30) | 0x123450, 4), 0x123450);
    assert_int_equal(get64(m, PDPT + 8), PRWU | PS | A | D);
    assert_int_equal(vmsim_translate(m, READ, SUP, BIT(30) | 0x100, &t), VMSIM_OK);
    assert_int_equal(t.n_steps, 2);
    assert_int_equal(t.page_size, 1u << 30);
    /* the TLB holds one 1 GiB entry: another 4 KiB piece of it hits */
    vmsim_stats_t before = stats(m);
    EXPECT_OK(acc(m, READ, SUP, BIT(30) | 0x800000, 4), 0x800000);
    assert_int_equal(stats(m).walks, before.walks);
    vmsim_destroy(m);
}

static void reserved_bits_of_each_entry_kind_fault_with_rsvd(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    put64(m, PT + 8, 0x21000 | PRWU | BIT(45)); /* 51:MAXPHYADDR */
    EXPECT_PF(m, acc(m, READ, SUP, 0x1000, 4), 0x1000, PF_P | PF_R);
    put64(m, PT + 8, 0x21000 | PRWU | BIT(55)); /* 62:52 ignored */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);
    put64(m, PDPT + 8, PRWU | PS | BIT(13)); /* 1 GiB page: 29:13 */
    EXPECT_PF(m, acc(m, READ, SUP, BIT(30), 4), BIT(30), PF_P | PF_R);
    put64(m, PD + 8 * 3, 0x600000 | PRWU | PS | BIT(20)); /* 2 MiB page: 20:13 */
    EXPECT_PF(m, acc(m, READ, SUP, 0x600000, 4), 0x600000, PF_P | PF_R);
    put64(m, PML4 + 8, PDPT | PRWU | PS); /* PS in a PML4E */
    EXPECT_PF(m, acc(m, READ, USER, BIT(39), 4), BIT(39), PF_P | PF_U | PF_R);
    vmsim_destroy(m);
}

static void xd_is_reserved_without_nxe_and_blocks_fetches_only_with_it(void **state)
{
    (void)state;
    vmsim_machine_t *m = tables(true);
    enter(m, 0, 0, PML4);
    put64(m, PDPT, PD | PRWU | XD);
    EXPECT_PF(m, acc(m, READ, SUP, 0x1000, 4), 0x1000, PF_P | PF_R);
    set_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME | VMSIM_EFER_NXE);
    EXPECT_OK(acc(m, READ, USER, 0x1000, 4), 0x21000);
    EXPECT_PF(m, acc(m, FETCH, USER, 0x2000, 1), 0x2000, PF_P | PF_U | PF_I);
    EXPECT_PF(m, acc(m, FETCH, SUP, 0x3000, 1), 0x3000, PF_P | PF_I);
    vmsim_destroy(m);
}

static void rights_of_every_level_are_combined(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    put64(m, PDPT, PD | PRW);            /* supervisor at the PDPTE */
    put64(m, PD, PT | P | VMSIM_PTE_US); /* read-only at the PDE */
    EXPECT_PF(m, acc(m, READ, USER, 0x1000, 4), 0x1000, PF_P | PF_U);
    EXPECT_OK(acc(m, WRITE, SUP, 0x1000, 4), 0x21000); /* CR0.WP = 0 */
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP);
    EXPECT_PF(m, acc(m, WRITE, SUP, 0x2000, 4), 0x2000, PF_P | PF_W);
    vmsim_destroy(m);
}

/* --- protection keys ------------------------------------------------------- */

static void protection_keys_forbid_data_accesses_to_user_pages_with_pk(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    put64(m, PT + 8, 0x21000 | PRWU | KEY(3));
    put64(m, PT + 16, 0x22000 | P | VMSIM_PTE_US | KEY(3)); /* read-only */
    set_reg(m, VMSIM_REG_PKRU, 2u << 6);                    /* key 3: WD */
    EXPECT_OK(acc(m, WRITE, USER, 0x1000, 4), 0x21000);     /* CR4.PKE = 0: keys ignored */
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PKE);
    EXPECT_OK(acc(m, READ, USER, 0x1000, 4), 0x21000);
    EXPECT_PF(m, acc(m, WRITE, USER, 0x1000, 4), 0x1000, PF_P | PF_W | PF_U | PF_PK);
    EXPECT_OK(acc(m, WRITE, SUP, 0x1000, 4), 0x21000); /* CR0.WP = 0 */
    set_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP);
    EXPECT_PF(m, acc(m, WRITE, SUP, 0x1000, 4), 0x1000, PF_P | PF_W | PF_PK);
    /* PK together with an ordinary violation */
    EXPECT_PF(m, acc(m, WRITE, USER, 0x2000, 4), 0x2000, PF_P | PF_W | PF_U | PF_PK);
    set_reg(m, VMSIM_REG_PKRU, 1u << 6); /* key 3: AD */
    EXPECT_PF(m, acc(m, READ, SUP, 0x1000, 4), 0x1000, PF_P | PF_PK);
    EXPECT_OK(acc(m, FETCH, USER, 0x1000, 1), 0x21000); /* fetches ignore keys */
    put64(m, KPT + 8, 0x24000 | PRW | KEY(3));          /* supervisor pages ignore keys */
    EXPECT_OK(acc(m, READ, SUP, KVA, 4), 0x24000);
    vmsim_destroy(m);
}

static void pkru_and_pke_changes_flush_nothing_and_apply_to_cached_entries(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    uint32_t v;
    put64(m, PT + 8, 0x21000 | PRWU | A | D | KEY(5));
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK); /* cached, fast path too */
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK);
    set_reg(m, VMSIM_REG_PKRU, 1u << 10);                          /* key 5: AD */
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK); /* CR4.PKE = 0 */
    uint64_t fills = stats(m).dtlb.fills, flushes = stats(m).dtlb.flushes;
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PKE);
    assert_int_equal(stats(m).dtlb.flushes, flushes);
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_ERR_PAGE_FAULT);
    vmsim_fault_t f;
    vmsim_last_fault(m, &f);
    assert_int_equal(f.error_code, PF_P | PF_U | PF_PK);
    assert_int_equal(f.reason, VMSIM_WHY_PKEY);
    set_reg(m, VMSIM_REG_PKRU, 0);
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK);
    assert_int_equal(stats(m).dtlb.fills, fills + 1); /* refilled after the #PF dropped it */
    vmsim_destroy(m);
}

/* --- PCIDs and INVPCID ------------------------------------------------------ */

static vmsim_machine_t *with_pcids(void)
{
    vmsim_machine_t *m = four_level();
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE);
    set_reg(m, VMSIM_REG_CR3, PML4 | 5);
    return m;
}

static void cr3_loads_with_pcids_flush_only_the_new_pcid_unless_bit_63(void **state)
{
    (void)state;
    vmsim_machine_t *m = with_pcids();
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* cached for PCID 5 */
    put64(m, PT + 8, 0x30000 | PRWU | A);             /* remapped behind the TLB's back */
    set_reg(m, VMSIM_REG_CR3, PML4 | 9);              /* PCID 9, flushes PCID 9 only */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x30000);
    set_reg(m, VMSIM_REG_CR3, PML4 | 5 | NOFLUSH);         /* back, nothing flushed */
    assert_int_equal(get_reg(m, VMSIM_REG_CR3), PML4 | 5); /* bit 63 not stored */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);      /* PCID 5's stale entry */
    set_reg(m, VMSIM_REG_CR3, PML4 | 5);                   /* flushes PCID 5 */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x30000);
    vmsim_tlb_entry_t e = dtlb_entry(m, 0x1000, 9);
    assert_true(e.valid && e.paddr == 0x30000);
    vmsim_destroy(m);
}

static void invpcid_types_reach_exactly_what_the_sdm_says(void **state)
{
    (void)state;
    vmsim_machine_t *m = with_pcids();
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE | VMSIM_CR4_PGE);
    put64(m, PT + 16, 0x22000 | PRWU | G);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);
    EXPECT_OK(acc(m, READ, SUP, 0x2000, 4), 0x22000); /* global */
    put64(m, PT + 8, 0x31000 | PRWU | A);
    put64(m, PT + 16, 0x32000 | PRWU | A | G);
    assert_int_equal(vmsim_invpcid(m, 0, 9, 0x1000), VMSIM_OK); /* another PCID */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);
    assert_int_equal(vmsim_invpcid(m, 0, 5, 0x1000), VMSIM_OK);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x31000);
    assert_int_equal(vmsim_invpcid(m, 3, 0, 0), VMSIM_OK); /* all but global */
    EXPECT_OK(acc(m, READ, SUP, 0x2000, 4), 0x22000);
    assert_int_equal(vmsim_invpcid(m, 1, 5, 0), VMSIM_OK); /* globals stay */
    EXPECT_OK(acc(m, READ, SUP, 0x2000, 4), 0x22000);
    assert_int_equal(vmsim_invpcid(m, 2, 0, 0), VMSIM_OK); /* everything */
    EXPECT_OK(acc(m, READ, SUP, 0x2000, 4), 0x32000);
    /* refused operands: #GP, nothing flushed */
    uint64_t inv = stats(m).dtlb.invalidations;
    assert_int_equal(vmsim_invpcid(m, 4, 0, 0), VMSIM_ERR_GP);
    assert_int_equal(vmsim_invpcid(m, 1, 0x1000, 0), VMSIM_ERR_GP);
    assert_int_equal(vmsim_invpcid(m, 0, 5, BIT(47)), VMSIM_ERR_GP);
    assert_int_equal(stats(m).dtlb.invalidations, inv);
    vmsim_destroy(m);
}

static void invpcid_of_another_pcid_is_gp_while_pcide_is_clear(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    assert_int_equal(vmsim_invpcid(m, 0, 1, 0x1000), VMSIM_ERR_GP);
    assert_int_equal(vmsim_invpcid(m, 1, 1, 0), VMSIM_ERR_GP);
    assert_int_equal(vmsim_invpcid(m, 2, 1, 0), VMSIM_OK);
    assert_int_equal(vmsim_invpcid(m, 1, 0, 0), VMSIM_OK);
    vmsim_destroy(m);
}

static void global_entries_serve_every_pcid_and_invlpg_drops_them(void **state)
{
    (void)state;
    vmsim_machine_t *m = with_pcids();
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE | VMSIM_CR4_PGE);
    put64(m, PT + 8, 0x21000 | PRWU | G);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* global, cached under PCID 5 */
    put64(m, PT + 8, 0x31000 | PRWU | A | G);
    set_reg(m, VMSIM_REG_CR3, PML4 | 7);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* used under PCID 7 */
    assert_int_equal(vmsim_invlpg(m, 0x1000), VMSIM_OK);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x31000);
    vmsim_destroy(m);
}

static void invlpg_leaves_the_entries_of_other_pcids(void **state)
{
    (void)state;
    vmsim_machine_t *m = with_pcids();
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* PCID 5 */
    put64(m, PT + 8, 0x31000 | PRWU | A);
    set_reg(m, VMSIM_REG_CR3, PML4 | 9 | NOFLUSH);
    assert_int_equal(vmsim_invlpg(m, 0x1000), VMSIM_OK); /* PCID 9's page only */
    set_reg(m, VMSIM_REG_CR3, PML4 | 5 | NOFLUSH);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);
    vmsim_destroy(m);
}

static void clearing_pcide_flushes_every_pcid_and_setting_it_flushes_nothing(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PGE);
    put64(m, PT + 8, 0x21000 | PRWU | G);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000);
    put64(m, PT + 8, 0x31000 | PRWU | A | G);
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PGE | VMSIM_CR4_PCIDE);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* kept: it belongs to PCID 0 */
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PGE);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x31000); /* the global entry went too */
    vmsim_destroy(m);
}

/* --- the rest ---------------------------------------------------------------- */

static void tlb_entries_show_64_bit_addresses_pcid_and_key(void **state)
{
    (void)state;
    vmsim_machine_t *m = with_pcids();
    put64(m, KPT + 8, 0x24000 | PRW | KEY(7));
    EXPECT_OK(acc(m, READ, SUP, KVA + 8, 4), 0x24008);
    vmsim_tlb_entry_t e = dtlb_entry(m, KVA, 5);
    assert_true(e.valid && e.pkey == 7 && e.paddr == 0x24000);
    vmsim_destroy(m);
}

static void quick_route_reads_every_level_and_agrees_with_the_general_route(void **state)
{
    (void)state;
    for (unsigned five = 0; five < 2; five++) {
        vmsim_machine_t *on = tables(true), *off = tables(false);
        enter(on, 0, five ? VMSIM_CR4_LA57 : 0, five ? PML5 : PML4);
        enter(off, 0, five ? VMSIM_CR4_LA57 : 0, five ? PML5 : PML4);
        uint32_t a = 0, b = 0;
        for (unsigned round = 0; round < 3; round++) {
            for (vmsim_vaddr_t va = 0x1000; va < 0x4000; va += 0x1000) {
                assert_int_equal(vmsim_read32(on, SUP, va, &a), vmsim_read32(off, SUP, va, &b));
                assert_int_equal(a, b);
            }
            vmsim_tlb_flush_all(on);
            vmsim_tlb_flush_all(off);
        }
        vmsim_stats_t s1 = stats(on), s2 = stats(off);
        assert_int_equal(s1.walks, 9);
        assert_int_equal(s1.walk_reads, 9 * (five ? 5 : 4));
        assert_memory_equal(&s1, &s2, sizeof s1);
        vmsim_destroy(on);
        vmsim_destroy(off);
    }
}

static void crossing_access_whose_second_page_faults_reports_the_fault(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    put64(m, PT + 8, 0x2000000 | PRWU); /* 0x1000 -> beyond RAM */
    put64(m, PT + 16, 0);               /* 0x2000 not present */
    EXPECT_PF(m, acc(m, READ, SUP, 0x1ffc, 8), 0x2000, 0);
    assert_int_equal(get64(m, PT + 8), 0x2000000 | PRWU | A); /* the first walk counts */
    put64(m, PT + 16, 0x22000 | PRWU);
    EXPECT_BUS(acc(m, READ, SUP, 0x1ffc, 8), 0x2000ffc);
    assert_int_equal(get64(m, PT + 16), 0x22000 | PRWU); /* a bus error changes nothing */
    vmsim_destroy(m);
}

static void statistics_per_pcid_add_up_to_the_totals(void **state)
{
    (void)state;
    vmsim_machine_t *m = four_level();
    vmsim_tlb_stats_t d0, i0, d5, i5, d9, i9;
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* PCIDE = 0: PCID 0's */
    set_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | VMSIM_CR4_PCIDE);
    set_reg(m, VMSIM_REG_CR3, PML4 | 5);
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* miss */
    EXPECT_OK(acc(m, READ, SUP, 0x1000, 4), 0x21000); /* hit */
    EXPECT_OK(acc(m, FETCH, SUP, 0x2000, 1), 0x22000); /* itlb miss */
    set_reg(m, VMSIM_REG_CR3, PML4 | 9);
    uint32_t v;
    for (unsigned k = 0; k < 3; k++) /* one miss, then fast-path hits */
        assert_int_equal(vmsim_read32(m, SUP, 0x3000, &v), VMSIM_OK);
    assert_int_equal(vmsim_get_pcid_stats(m, VMSIM_BANK_PROGRAM, 0, &d0, &i0), VMSIM_OK);
    assert_int_equal(vmsim_get_pcid_stats(m, VMSIM_BANK_PROGRAM, 5, &d5, &i5), VMSIM_OK);
    assert_int_equal(vmsim_get_pcid_stats(m, VMSIM_BANK_PROGRAM, 9, &d9, &i9), VMSIM_OK);
    assert_int_equal(d0.misses, 1);
    assert_int_equal(d5.misses, 1);
    assert_int_equal(d5.hits, 1);
    assert_int_equal(i5.misses, 1);
    assert_int_equal(d9.misses, 1);
    assert_int_equal(d9.hits, 2);
    assert_int_equal(d9.lookups, 3);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.hits, d0.hits + d5.hits + d9.hits);
    assert_int_equal(s.dtlb.misses, d0.misses + d5.misses + d9.misses);
    assert_int_equal(s.itlb.misses, i0.misses + i5.misses + i9.misses);
    assert_int_equal(vmsim_get_pcid_stats(m, VMSIM_BANK_PROGRAM, 0x1000, &d0, &i0),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_reset_stats(m), VMSIM_OK);
    assert_int_equal(vmsim_get_pcid_stats(m, VMSIM_BANK_PROGRAM, 9, &d9, &i9), VMSIM_OK);
    assert_int_equal(d9.lookups, 0);
    vmsim_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cr0_pg_with_lme_and_pae_enters_4level_mode_and_sets_lma),
        cmocka_unit_test(la57_at_the_cr0_load_selects_5level_paging),
        cmocka_unit_test(control_register_loads_ia32e_refuses_are_gp_and_change_nothing),
        cmocka_unit_test(non_canonical_accesses_are_gp_before_any_translation),
        cmocka_unit_test(upper_address_bits_outside_ia32e_mode_are_invalid),
        cmocka_unit_test(four_level_walk_sets_a_at_every_level_and_d_in_the_leaf_only),
        cmocka_unit_test(a_fault_low_in_the_walk_keeps_the_a_bits_above),
        cmocka_unit_test(pages_of_2_mib_and_1_gib_end_the_walk_at_the_pde_and_pdpte),
        cmocka_unit_test(reserved_bits_of_each_entry_kind_fault_with_rsvd),
        cmocka_unit_test(xd_is_reserved_without_nxe_and_blocks_fetches_only_with_it),
        cmocka_unit_test(rights_of_every_level_are_combined),
        cmocka_unit_test(protection_keys_forbid_data_accesses_to_user_pages_with_pk),
        cmocka_unit_test(pkru_and_pke_changes_flush_nothing_and_apply_to_cached_entries),
        cmocka_unit_test(cr3_loads_with_pcids_flush_only_the_new_pcid_unless_bit_63),
        cmocka_unit_test(invpcid_types_reach_exactly_what_the_sdm_says),
        cmocka_unit_test(invpcid_of_another_pcid_is_gp_while_pcide_is_clear),
        cmocka_unit_test(global_entries_serve_every_pcid_and_invlpg_drops_them),
        cmocka_unit_test(invlpg_leaves_the_entries_of_other_pcids),
        cmocka_unit_test(clearing_pcide_flushes_every_pcid_and_setting_it_flushes_nothing),
        cmocka_unit_test(tlb_entries_show_64_bit_addresses_pcid_and_key),
        cmocka_unit_test(quick_route_reads_every_level_and_agrees_with_the_general_route),
        cmocka_unit_test(crossing_access_whose_second_page_faults_reports_the_fault),
        cmocka_unit_test(statistics_per_pcid_add_up_to_the_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
