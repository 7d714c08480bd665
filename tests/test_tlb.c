/*
 * test_tlb.c - the TLBs, held to shared/spec/tlb.md through the public API.
 *
 * Every test builds 32-bit page tables in simulated RAM with the bus port,
 * turns paging on, makes supervisor accesses, and then reads the TLB back
 * with vmsim_tlb_entry() and vmsim_get_stats().  The expected victims are
 * worked out by hand in the comments, from the spec's rules alone:
 *
 *   - a miss fills the lowest-numbered invalid way of its set;
 *   - LRU evicts the least recently used way (hits and fills are uses);
 *   - FIFO evicts the way filled longest ago (hits change nothing);
 *   - tree-PLRU follows W - 1 bits from the root, 0 = left, and every hit
 *     and fill points the bits on the touched way's path away from it;
 *   - random draws x = xorshift32(x) (seed 1, or the configured seed) only
 *     when the set is full, and evicts way x mod W; each TLB has its own x;
 *   - INVLPG and flushes invalidate ways but keep the order of the rest.
 *
 * Policy tests run twice, with the fast path on and off: the fast path
 * must keep replacement state exactly as the modelled TLB does.  Also
 * proved: set mapping for direct-mapped, set-associative and fully
 * associative geometries and for 4 MiB pages, vmsim_tlb_config_check's
 * rejections, global entries and CR4.PGE, INVLPG (4 KiB and 4 MiB), which
 * control-register writes flush and which do not, every TLB counter,
 * split versus unified TLBs, and policy names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "vmsim/vmsim.h"

/* Physical layout of the test machine (16 MiB):
 *   0x010000  page directory
 *   0x100000  page table for PD slot i at 0x100000 + i * 0x1000
 *   0x400000  data frames: page vpn maps frame FRAMES + (vpn & 0x3ff) * 4096
 *   0x800000  target of the 4 MiB page tests */
#define RAM_BYTES (16u << 20)
#define PD_BASE 0x10000u
#define PT_BASE 0x100000u
#define FRAMES 0x400000u
#define PG_ON (VMSIM_CR0_PG | VMSIM_CR0_PE)
#define KERNEL_RW (VMSIM_PTE_P | VMSIM_PTE_RW)

static vmsim_config_t config_with(uint32_t entries, uint32_t ways, vmsim_tlb_policy_t policy,
                                  bool fast)
{
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM_BYTES;
    cfg.dtlb = vmsim_tlb_config(entries, ways, policy);
    cfg.itlb = vmsim_tlb_config(entries, ways, policy);
    cfg.fast_path = fast;
    return cfg;
}

static void map_page(vmsim_machine_t *m, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t slot = va >> 22, pde = 0;
    assert_int_equal(vmsim_bus_read32(m, PD_BASE + 4 * slot, &pde), VMSIM_OK);
    if (!(pde & VMSIM_PTE_P)) {
        pde = (PT_BASE + slot * 4096u) | KERNEL_RW | VMSIM_PTE_US;
        assert_int_equal(vmsim_bus_write32(m, PD_BASE + 4 * slot, pde), VMSIM_OK);
    }
    uint32_t pte_addr = (pde & 0xfffff000u) + 4 * ((va >> 12) & 0x3ff);
    assert_int_equal(vmsim_bus_write32(m, pte_addr, pa | flags), VMSIM_OK);
}

/* Map 4 KiB page number vpn (linear vpn << 12) to its frame. */
static void map_vpn(vmsim_machine_t *m, uint32_t vpn, uint32_t flags)
{
    map_page(m, vpn << 12, FRAMES + (vpn & 0x3ff) * 4096u, flags);
}

static void map_4m(vmsim_machine_t *m, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t pde = pa | flags | VMSIM_PTE_PS;
    assert_int_equal(vmsim_bus_write32(m, PD_BASE + 4 * (va >> 22), pde), VMSIM_OK);
}

/* A machine with pages 0..63 mapped (supervisor, RW) and paging on. */
static vmsim_machine_t *paged_machine(const vmsim_config_t *cfg, uint32_t cr4)
{
    vmsim_machine_t *m = NULL;
    assert_int_equal(vmsim_create(cfg, &m), VMSIM_OK);
    for (uint32_t vpn = 0; vpn < 64; vpn++)
        map_vpn(m, vpn, KERNEL_RW);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD_BASE), VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, cr4), VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_OK);
    assert_int_equal(vmsim_reset_stats(m), VMSIM_OK);
    return m;
}

static vmsim_machine_t *policy_machine(uint32_t entries, uint32_t ways, vmsim_tlb_policy_t p,
                                       bool fast)
{
    vmsim_config_t cfg = config_with(entries, ways, p, fast);
    return paged_machine(&cfg, 0);
}

/* A supervisor data read of page vpn (through the typed, fast-path API). */
static void touch(vmsim_machine_t *m, uint32_t vpn)
{
    uint32_t value;
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, (vpn << 12) | 0x10, &value), VMSIM_OK);
}

static void touch_all(vmsim_machine_t *m, const uint32_t *vpns, size_t n)
{
    for (size_t i = 0; i < n; i++)
        touch(m, vpns[i]);
}

static vmsim_tlb_entry_t entry(const vmsim_machine_t *m, vmsim_tlb_id_t id, uint32_t index)
{
    vmsim_tlb_entry_t e = {0};
    assert_int_equal(vmsim_tlb_entry(m, id, index, &e), VMSIM_OK);
    return e;
}

/* Assert that TLB `id` holds, way by way from index 0, the 4 KiB pages
 * vpns[] (~0u: that way is invalid). */
static void expect_ways(const vmsim_machine_t *m, vmsim_tlb_id_t id, const uint32_t *vpns,
                        size_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        vmsim_tlb_entry_t e = entry(m, id, i);
        if (vpns[i] == ~0u) {
            assert_false(e.valid);
            continue;
        }
        assert_true(e.valid);
        assert_int_equal(e.vaddr, vpns[i] << 12);
        assert_int_equal(e.paddr, FRAMES + (vpns[i] & 0x3ff) * 4096u);
        assert_int_equal(e.page_size, 4096);
    }
}

static vmsim_stats_t stats(const vmsim_machine_t *m)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s), VMSIM_OK);
    return s;
}

static void expect_dtlb(const vmsim_machine_t *m, uint64_t hits, uint64_t misses, uint64_t fills,
                        uint64_t evictions)
{
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.hits, hits);
    assert_int_equal(s.dtlb.misses, misses);
    assert_int_equal(s.dtlb.lookups, hits + misses);
    assert_int_equal(s.dtlb.fills, fills);
    assert_int_equal(s.dtlb.evictions, evictions);
}

static bool find_entry(const vmsim_machine_t *m, vmsim_tlb_id_t id, uint32_t vaddr,
                       vmsim_tlb_entry_t *out)
{
    for (uint32_t i = 0; i < vmsim_tlb_size(m, id); i++) {
        *out = entry(m, id, i);
        if (out->valid && out->vaddr <= vaddr && vaddr - out->vaddr < out->page_size)
            return true;
    }
    return false;
}

static uint32_t n_valid(const vmsim_machine_t *m, vmsim_tlb_id_t id)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < vmsim_tlb_size(m, id); i++)
        n += entry(m, id, i).valid;
    return n;
}

/* Pages A..G of the one-set tests (any vpn lands in the only set). */
enum { A = 1, B = 2, C = 3, D = 4, E = 5, F = 6, G = 7, NONE = ~0u };

/* --- fill and replacement ---------------------------------------------- */

static void miss_fills_the_lowest_invalid_way_for_every_policy(void **state)
{
    (void)state;
    for (int p = 0; p < VMSIM_TLB_POLICY_COUNT; p++) {
        vmsim_machine_t *m = policy_machine(4, 4, (vmsim_tlb_policy_t)p, true);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, B, C, D}, 4);
        /* Free ways 3 and 1: the next two misses take way 1, then way 3,
         * whatever the policy would have chosen in a full set. */
        assert_int_equal(vmsim_invlpg(m, D << 12), VMSIM_OK);
        assert_int_equal(vmsim_invlpg(m, B << 12), VMSIM_OK);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, NONE, C, NONE}, 4);
        touch(m, E);
        touch(m, F);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, E, C, F}, 4);
        expect_dtlb(m, 0, 6, 6, 0);
        vmsim_destroy(m);
    }
}

static void lru_evicts_the_least_recently_used_way(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_LRU, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4); /* ways A B C D; age order A B C D */
        touch(m, A);                                    /* hit; order B C D A */
        touch(m, E);                                    /* victim B (way 1): A E C D; order C D A E */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, E, C, D}, 4);
        touch(m, C);                                    /* hit; order D A E C */
        touch(m, F);                                    /* victim D (way 3): A E C F */
        touch(m, B);                                    /* victim A (way 0): B E C F */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){B, E, C, F}, 4);
        expect_dtlb(m, 2, 7, 7, 3);
        vmsim_destroy(m);
    }
}

static void fifo_evicts_the_way_filled_longest_ago_and_ignores_hits(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_FIFO, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4); /* fill order A B C D */
        touch(m, A);                                    /* hit: order unchanged */
        touch(m, E);                                    /* victim A (way 0): E B C D; order B C D E */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){E, B, C, D}, 4);
        touch(m, C);                                    /* hit: unchanged */
        touch(m, F);                                    /* victim B (way 1): E F C D */
        touch(m, B);                                    /* victim C (way 2): E F B D */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){E, F, B, D}, 4);
        expect_dtlb(m, 2, 7, 7, 3);
        vmsim_destroy(m);
    }
}

static void plru_four_ways_follows_the_tree_bits(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_PLRU, fast);
        /* Bits: r = root, l = node over ways 0/1, h = node over ways 2/3.
         * fill A->w0: r=1 l=1;  B->w1: r=1 l=0;  C->w2: r=0 h=1;  D->w3: r=0 h=0 */
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4);
        touch(m, A); /* hit w0: r=1 l=1 (h=0) */
        /* E: r=1 -> right, h=0 -> way 2 (C); LRU would have taken B.
         * fill w2: r=0 h=1 */
        touch(m, E);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, B, E, D}, 4);
        touch(m, F); /* r=0 -> left, l=1 -> way 1 (B); fill w1: r=1 l=0 */
        touch(m, G); /* r=1 -> right, h=1 -> way 3 (D); fill w3: r=0 h=0 */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, F, E, G}, 4);
        expect_dtlb(m, 1, 7, 7, 3);
        vmsim_destroy(m);
    }
}

static void plru_eight_ways_walks_three_levels(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(8, 8, VMSIM_TLB_PLRU, fast);
        /* Nodes: 1 root, 2 (ways 0-3), 3 (ways 4-7), 4..7 (pairs 01 23 45 67).
         * Filling ways 0..7 in order leaves every node 0 (last touch of each
         * node came from its right side). */
        touch_all(m, (const uint32_t[]){10, 11, 12, 13, 14, 15, 16, 17}, 8);
        touch(m, 15); /* hit way 5 (101): n1=0 n3=1 n6=0 */
        touch(m, 12); /* hit way 2 (010): n1=1 n2=0 n5=1 */
        /* miss: n1=1 -> n3=1 -> n7=0 -> way 110 = 6 (page 16).  LRU: way 0. */
        touch(m, 20); /* fill way 6: n1=0 n3=0 n7=1 */
        touch(m, 10); /* hit way 0 (000): n1=1 n2=1 n4=1 */
        /* miss: n1=1 -> n3=0 -> n6=0 -> way 100 = 4 (page 14).  LRU: way 1. */
        touch(m, 21);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){10, 11, 12, 13, 21, 15, 20, 17}, 8);
        expect_dtlb(m, 3, 10, 10, 2);
        vmsim_destroy(m);
    }
}

static void plru_invalidation_keeps_the_bits_of_the_other_ways(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_PLRU, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4); /* r=0 l=0 h=0 */
        touch(m, D);                                    /* hit w3: r=0 h=0 */
        touch(m, C);                                    /* hit w2: r=0 h=1 */
        assert_int_equal(vmsim_invlpg(m, A << 12), VMSIM_OK); /* w0 invalid; bits kept */
        touch(m, E);                                    /* lowest invalid w0: r=1 l=1 */
        /* r=1 -> right, h=1 (kept from the hit on C) -> way 3 (D).  Had the
         * invalidation cleared the bits, h=0 would pick way 2. */
        touch(m, F);
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){E, B, C, F}, 4);
        vmsim_destroy(m);
    }
}

static void lru_invalidation_keeps_the_order_of_the_other_ways(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_LRU, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4);
        touch(m, A);                                    /* order B C D A */
        assert_int_equal(vmsim_invlpg(m, C << 12), VMSIM_OK);
        touch(m, E);                                    /* way 2 (invalid); order B D A E */
        touch(m, F);                                    /* victim B (way 1) */
        touch(m, G);                                    /* victim D (way 3) */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, F, E, G}, 4);
        vmsim_destroy(m);
    }
}

static void fifo_invalidation_keeps_the_fill_order_of_the_other_ways(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_FIFO, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4); /* fill order A B C D */
        assert_int_equal(vmsim_invlpg(m, B << 12), VMSIM_OK);
        touch(m, E);                                    /* way 1; order A C D E */
        touch(m, F);                                    /* victim A (way 0) */
        touch(m, G);                                    /* victim C (way 2) */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){F, E, G, D}, 4);
        vmsim_destroy(m);
    }
}

/* xorshift32 from seed 1, worked by hand:
 *   x = 1:  x ^= x << 13 -> 0x2001;  x ^= x >> 17 -> 0x2001;  x ^= x << 5 -> 0x42021
 *   draws:  0x00042021 (270369)     mod 4 = 1
 *           0x04080601 (67634689)   mod 4 = 1
 *           0x9dcc10c5 (2647435461) mod 4 = 1
 *           0x1255aa4f (307599695)  mod 4 = 3 */
static void random_with_default_seed_evicts_xorshift_ways_and_draws_only_when_full(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_RANDOM, fast);
        touch_all(m, (const uint32_t[]){A, B, C, D}, 4); /* no draw: ways were free */
        touch(m, E);                                    /* draw 1: way 1 -> A E C D */
        touch(m, F);                                    /* draw 2: way 1 -> A F C D */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, F, C, D}, 4);
        assert_int_equal(vmsim_invlpg(m, C << 12), VMSIM_OK);
        touch(m, G);                                    /* way 2 is free: no draw */
        touch(m, 8);                                    /* draw 3: way 1 -> A 8 G D */
        touch(m, 9);                                    /* draw 4: way 3 -> A 8 G 9 */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, 8, G, 9}, 4);
        expect_dtlb(m, 0, 9, 9, 4);
        vmsim_destroy(m);
    }
}

/* xorshift32 from seed 12345 (0x3039): draws 0xc6e5d37a mod 4 = 2,
 * 0x6529b4af mod 4 = 3, 0xa7e0aea0 mod 4 = 0. */
static void random_with_a_given_seed_follows_that_seed(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        vmsim_config_t cfg = config_with(4, 4, VMSIM_TLB_RANDOM, fast);
        cfg.dtlb.seed = 12345;
        vmsim_machine_t *m = paged_machine(&cfg, 0);
        touch_all(m, (const uint32_t[]){A, B, C, D, E, F, G}, 7);
        /* E -> way 2, F -> way 3, G -> way 0 */
        expect_ways(m, VMSIM_DTLB, (const uint32_t[]){G, B, E, F}, 4);
        vmsim_destroy(m);
    }
}

static void random_seed_zero_means_seed_one(void **state)
{
    (void)state;
    vmsim_config_t cfg = config_with(4, 4, VMSIM_TLB_RANDOM, true);
    cfg.dtlb.seed = 0;
    vmsim_machine_t *m = paged_machine(&cfg, 0);
    touch_all(m, (const uint32_t[]){A, B, C, D, E, F}, 6);
    /* Seed 1: draws 1 and 1, as in the default-seed test. */
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, F, C, D}, 4);
    vmsim_destroy(m);
}

static void fetch_sup(vmsim_machine_t *m, uint32_t vpn)
{
    uint32_t insn;
    assert_int_equal(vmsim_fetch32(m, VMSIM_SUPERVISOR, vpn << 12, &insn), VMSIM_OK);
}

static void random_generators_are_per_tlb(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_RANDOM, true);
    /* Six evictions in the instruction TLB must not advance the data
     * TLB's generator: its first two victims stay way 1 and way 1. */
    for (uint32_t vpn = 30; vpn < 40; vpn++)
        fetch_sup(m, vpn);
    assert_int_equal(stats(m).itlb.evictions, 6);
    touch_all(m, (const uint32_t[]){A, B, C, D, E, F}, 6);
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){A, F, C, D}, 4);
    vmsim_destroy(m);
}

/* --- geometry ---------------------------------------------------------- */

static void direct_mapped_tlb_puts_page_n_in_set_n_mod_sets(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(4, 1, VMSIM_TLB_LRU, true);
    touch_all(m, (const uint32_t[]){1, 2, 4}, 3); /* sets 1, 2, 0 */
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){4, 1, 2, NONE}, 4);
    touch(m, 5); /* 5 mod 4 = 1: evicts page 1 although set 3 is free */
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){4, 5, 2, NONE}, 4);
    vmsim_tlb_entry_t e = entry(m, VMSIM_DTLB, 1);
    assert_int_equal(e.set, 1);
    assert_int_equal(e.way, 0);
    expect_dtlb(m, 0, 4, 4, 1);
    vmsim_destroy(m);
}

static void set_associative_tlb_indexes_entries_as_set_times_ways_plus_way(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(16, 4, VMSIM_TLB_LRU, true);
    touch_all(m, (const uint32_t[]){0x13, 0x17, 0x1b}, 3); /* all in set 3 */
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){NONE, NONE, NONE, NONE}, 4);
    for (uint32_t way = 0; way < 3; way++) {
        vmsim_tlb_entry_t e = entry(m, VMSIM_DTLB, 12 + way);
        assert_true(e.valid);
        assert_int_equal(e.set, 3);
        assert_int_equal(e.way, way);
        assert_int_equal(e.vaddr, (0x13u + 4 * way) << 12);
    }
    assert_false(entry(m, VMSIM_DTLB, 15).valid);
    vmsim_destroy(m);
}

static void fully_associative_tlb_uses_every_way_before_evicting(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(8, 8, VMSIM_TLB_LRU, true);
    /* Pages 4, 8 ... 32: in a 4-way geometry they would crowd into one set. */
    for (uint32_t i = 1; i <= 8; i++)
        touch(m, 4 * i);
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){4, 8, 12, 16, 20, 24, 28, 32}, 8);
    expect_dtlb(m, 0, 8, 8, 0);
    touch(m, 3); /* ninth page: the first eviction, of way 0 (least recently used) */
    expect_ways(m, VMSIM_DTLB, (const uint32_t[]){3, 8}, 2);
    expect_dtlb(m, 0, 9, 9, 1);
    vmsim_destroy(m);
}

static void large_page_entry_lives_in_the_set_of_its_4m_page_number(void **state)
{
    (void)state;
    vmsim_config_t cfg = config_with(4, 1, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = paged_machine(&cfg, VMSIM_CR4_PSE);
    map_4m(m, 0xc00000, 0x800000, KERNEL_RW); /* 4 MiB page number 3 */
    uint32_t v;
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 0xc01234, &v), VMSIM_OK);
    vmsim_tlb_entry_t e = entry(m, VMSIM_DTLB, 3);
    assert_true(e.valid);
    assert_int_equal(e.vaddr, 0xc00000);
    assert_int_equal(e.paddr, 0x800000);
    assert_int_equal(e.page_size, 4u << 20);
    /* Another address in the same 4 MiB page is a hit on that entry. */
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 0xfff000, &v), VMSIM_OK);
    expect_dtlb(m, 1, 1, 1, 0);
    vmsim_destroy(m);
}

static void tlb_config_check_rejects_impossible_geometries(void **state)
{
    static const struct {
        uint32_t entries, ways;
        vmsim_tlb_policy_t policy;
    } bad[] = {
        {64, 0, VMSIM_TLB_LRU},           /* no ways */
        {6, 4, VMSIM_TLB_LRU},            /* entries not a multiple of ways */
        {12, 4, VMSIM_TLB_LRU},           /* 3 sets: not a power of two */
        {12, 3, VMSIM_TLB_PLRU},          /* PLRU with 3 ways */
        {24, 6, VMSIM_TLB_PLRU},          /* PLRU with 6 ways */
        {64, 4, VMSIM_TLB_POLICY_COUNT},  /* unknown policy */
        {0, 1, (vmsim_tlb_policy_t)99},   /* unknown policy, even without TLB */
        {(1u << 20) + 4, 4, VMSIM_TLB_LRU}, /* more than 1 << 20 entries */
        {1u << 21, 1, VMSIM_TLB_LRU},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vmsim_tlb_config_t c = vmsim_tlb_config(bad[i].entries, bad[i].ways, bad[i].policy);
        assert_int_equal(vmsim_tlb_config_check(&c), VMSIM_ERR_INVALID);
    }
    assert_int_equal(vmsim_tlb_config_check(NULL), VMSIM_ERR_NULL);
}

static void tlb_config_check_accepts_legal_geometries(void **state)
{
    static const struct {
        uint32_t entries, ways;
        vmsim_tlb_policy_t policy;
    } good[] = {
        {0, 0, VMSIM_TLB_LRU},     /* no TLB */
        {1, 1, VMSIM_TLB_LRU},     {64, 4, VMSIM_TLB_FIFO}, {64, 64, VMSIM_TLB_PLRU},
        {12, 3, VMSIM_TLB_LRU},    /* 4 sets of 3 ways: fine without PLRU */
        {12, 3, VMSIM_TLB_RANDOM}, {1u << 20, 1, VMSIM_TLB_LRU},
    };
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        vmsim_tlb_config_t c = vmsim_tlb_config(good[i].entries, good[i].ways, good[i].policy);
        assert_int_equal(c.seed, 1);
        assert_int_equal(vmsim_tlb_config_check(&c), VMSIM_OK);
    }
}

static void create_refuses_a_bad_tlb_and_ignores_the_itlb_when_unified(void **state)
{
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = NULL;
    (void)state;
    cfg.itlb = vmsim_tlb_config(12, 3, VMSIM_TLB_PLRU);
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_ERR_INVALID);
    assert_null(m);
    cfg.split_tlb = false; /* the instruction TLB config is not used */
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_ITLB), 64);
    vmsim_destroy(m);
    cfg.dtlb = vmsim_tlb_config(6, 4, VMSIM_TLB_LRU);
    m = NULL;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_ERR_INVALID);
    assert_null(m);
}

/* --- global entries, INVLPG, flushes ------------------------------------ */

static vmsim_machine_t *global_machine(uint32_t cr4)
{
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = paged_machine(&cfg, cr4);
    map_vpn(m, A, KERNEL_RW | VMSIM_PTE_G);
    touch(m, A);
    touch(m, B);
    return m;
}

static void global_entry_survives_cr3_load_with_pge(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = global_machine(VMSIM_CR4_PGE);
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_true(e.global);
    assert_true(find_entry(m, VMSIM_DTLB, B << 12, &e));
    assert_false(e.global);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD_BASE), VMSIM_OK);
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_false(find_entry(m, VMSIM_DTLB, B << 12, &e));
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.flushes, 1);
    assert_int_equal(s.dtlb.invalidations, 1);
    assert_int_equal(s.cr3_loads, 1);
    touch(m, A); /* still cached: a hit */
    expect_dtlb(m, 1, 2, 2, 0);
    vmsim_destroy(m);
}

static void global_bit_is_ignored_without_pge(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = global_machine(0);
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_false(e.global);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD_BASE), VMSIM_OK);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 0);
    assert_int_equal(stats(m).dtlb.invalidations, 2);
    vmsim_destroy(m);
}

static void clearing_pge_flushes_global_entries(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = global_machine(VMSIM_CR4_PGE);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, 0), VMSIM_OK);
    assert_false(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_int_equal(n_valid(m, VMSIM_DTLB), 0);
    vmsim_destroy(m);
}

static void invlpg_drops_a_global_entry(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = global_machine(VMSIM_CR4_PGE);
    assert_int_equal(vmsim_invlpg(m, (A << 12) + 0xfff), VMSIM_OK);
    assert_false(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_true(find_entry(m, VMSIM_DTLB, B << 12, &e));
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.invlpgs, 1);
    assert_int_equal(s.dtlb.invalidations, 1);
    vmsim_destroy(m);
}

static void invlpg_drops_only_the_page_it_names(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(64, 4, VMSIM_TLB_LRU, true);
    touch_all(m, (const uint32_t[]){A, B, C}, 3);
    assert_int_equal(vmsim_invlpg(m, (B << 12) + 0x123), VMSIM_OK);
    assert_int_equal(vmsim_invlpg(m, 40 << 12), VMSIM_OK); /* not cached: no effect */
    assert_int_equal(n_valid(m, VMSIM_DTLB), 2);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.invlpgs, 2);
    assert_int_equal(s.dtlb.invalidations, 1);
    touch(m, B); /* walks again */
    expect_dtlb(m, 0, 4, 4, 0);
    vmsim_destroy(m);
}

static void invlpg_drops_a_4m_page_from_any_address_inside_it(void **state)
{
    vmsim_tlb_entry_t e = {0};
    uint32_t v;
    (void)state;
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = paged_machine(&cfg, VMSIM_CR4_PSE);
    map_4m(m, 0x400000, 0x800000, KERNEL_RW);
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 0x400123, &v), VMSIM_OK);
    assert_true(find_entry(m, VMSIM_DTLB, 0x400000, &e));
    assert_int_equal(e.page_size, 4u << 20);
    assert_int_equal(vmsim_invlpg(m, 0x800000), VMSIM_OK); /* the next 4 MiB: no effect */
    assert_int_equal(vmsim_invlpg(m, 0x3ff000), VMSIM_OK); /* the previous: no effect */
    assert_true(find_entry(m, VMSIM_DTLB, 0x400000, &e));
    assert_int_equal(vmsim_invlpg(m, 0x7ffabc), VMSIM_OK); /* last page inside it */
    assert_false(find_entry(m, VMSIM_DTLB, 0x400000, &e));
    assert_int_equal(stats(m).dtlb.invalidations, 1);
    vmsim_destroy(m);
}

struct reg_change {
    const char *what;
    uint32_t cr4_before;
    vmsim_reg_t reg;
    uint64_t value;
    bool flushes;
};

static const struct reg_change reg_changes[] = {
    {"CR0.WP set", 0, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP, true},
    {"CR0.PG clear", 0, VMSIM_REG_CR0, VMSIM_CR0_PE, true},
    {"CR4.PGE set", 0, VMSIM_REG_CR4, VMSIM_CR4_PGE, true},
    {"CR4.PGE clear", VMSIM_CR4_PGE, VMSIM_REG_CR4, 0, true},
    {"CR4.PSE set", 0, VMSIM_REG_CR4, VMSIM_CR4_PSE, true},
    {"CR4.PSE clear", VMSIM_CR4_PSE, VMSIM_REG_CR4, 0, true},
    {"CR4.SMEP set", 0, VMSIM_REG_CR4, VMSIM_CR4_SMEP, true},
    {"CR4.SMAP set", 0, VMSIM_REG_CR4, VMSIM_CR4_SMAP, true},
    {"CR4.SMAP clear", VMSIM_CR4_SMAP, VMSIM_REG_CR4, 0, true},
    {"EFER.NXE set", 0, VMSIM_REG_EFER, VMSIM_EFER_NXE, false},
    {"CR4 same value", VMSIM_CR4_PSE, VMSIM_REG_CR4, VMSIM_CR4_PSE, false},
    {"CR4 zero again", 0, VMSIM_REG_CR4, 0, false},
    {"CR4.OSFXSR set", 0, VMSIM_REG_CR4, 1u << 9, false},
    {"CR0 same value", 0, VMSIM_REG_CR0, PG_ON, false},
    {"CR0.MP set", 0, VMSIM_REG_CR0, PG_ON | 2u, false},
};

static void check_reg_change(const struct reg_change *c)
{
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = paged_machine(&cfg, c->cr4_before);
    touch(m, A);
    fetch_sup(m, B);
    assert_int_equal(vmsim_write_reg(m, c->reg, c->value), VMSIM_OK);
    vmsim_stats_t s = stats(m);
    uint32_t left = c->flushes ? 0 : 1;
    if (n_valid(m, VMSIM_DTLB) != left || n_valid(m, VMSIM_ITLB) != left)
        fail_msg("%s: expected %s", c->what, c->flushes ? "a flush" : "no flush");
    assert_int_equal(s.dtlb.flushes, c->flushes);
    assert_int_equal(s.itlb.flushes, c->flushes);
    assert_int_equal(s.cr_flushes, c->flushes);
    assert_int_equal(s.dtlb.invalidations, c->flushes);
    vmsim_destroy(m);
}

static void control_register_writes_flush_exactly_when_the_spec_says(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof reg_changes / sizeof reg_changes[0]; i++)
        check_reg_change(&reg_changes[i]);
}

static void refused_cr4_load_changes_nothing_and_flushes_nothing(void **state)
{
    uint64_t cr4 = 7;
    (void)state;
    vmsim_machine_t *m = policy_machine(64, 4, VMSIM_TLB_LRU, true);
    touch(m, A);
    /* CR4.PKS (bit 24) does not exist on this CPU: #GP. */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PGE | (1u << 24)), VMSIM_ERR_GP);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR4, &cr4), VMSIM_OK);
    assert_int_equal(cr4, 0);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 1);
    assert_int_equal(stats(m).dtlb.flushes, 0);
    vmsim_destroy(m);
}

static void tlb_flush_all_drops_globals_and_counts_a_flush(void **state)
{
    (void)state;
    vmsim_machine_t *m = global_machine(VMSIM_CR4_PGE);
    assert_int_equal(vmsim_tlb_flush_all(m), VMSIM_OK);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 0);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.flushes, 1);
    assert_int_equal(s.itlb.flushes, 1);
    assert_int_equal(s.dtlb.invalidations, 2);
    assert_int_equal(vmsim_tlb_flush_all(NULL), VMSIM_ERR_NULL);
    vmsim_destroy(m);
}

static void set_maxphyaddr_flushes_every_tlb(void **state)
{
    (void)state;
    vmsim_machine_t *m = global_machine(VMSIM_CR4_PGE);
    fetch_sup(m, C);
    assert_int_equal(vmsim_set_maxphyaddr(m, 36), VMSIM_OK);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 0); /* the global entry too */
    assert_int_equal(n_valid(m, VMSIM_ITLB), 0);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.flushes, 1);
    assert_int_equal(s.itlb.flushes, 1);
    assert_int_equal(s.dtlb.invalidations, 2);
    vmsim_destroy(m);
}

/* A page cached as 4 KiB becomes part of a 4 MiB page behind the TLB's
 * back; a write then hits the 4 KiB entry with D = 0, walks again and
 * finds the large page: the old entry is invalidated (a counted
 * invalidation) and the large page filled in its own set. */
static void walk_that_finds_a_new_page_size_replaces_the_entry(void **state)
{
    vmsim_tlb_entry_t e = {0};
    uint32_t v = 0;
    (void)state;
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    vmsim_machine_t *m = paged_machine(&cfg, VMSIM_CR4_PSE);
    touch(m, A);
    map_4m(m, 0, 0x800000, KERNEL_RW);                /* PD slot 0: now a 4 MiB page */
    assert_int_equal(vmsim_write32(m, VMSIM_SUPERVISOR, A << 12, 0xabcd), VMSIM_OK);
    assert_int_equal(vmsim_bus_read32(m, 0x800000 + (A << 12), &v), VMSIM_OK);
    assert_int_equal(v, 0xabcd);
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_int_equal(e.page_size, 4u << 20);
    assert_int_equal(e.vaddr, 0);
    assert_true(e.dirty);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 1);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.invalidations, 1);
    assert_int_equal(s.dtlb.fills, 2);
    assert_int_equal(s.dirty_walks, 1);
    vmsim_destroy(m);
}

/* --- statistics -------------------------------------------------------- */

static void expect_program_counters(const vmsim_stats_t *s)
{
    assert_int_equal(s->dtlb.hits, 4);
    assert_int_equal(s->dtlb.misses, 8);
    assert_int_equal(s->dtlb.lookups, 12);
    assert_int_equal(s->dtlb.fills, 7);
    assert_int_equal(s->dtlb.evictions, 1);
    assert_int_equal(s->dtlb.invalidations, 5);
    assert_int_equal(s->dtlb.flushes, 2);
    assert_int_equal(s->walks, 10);
    assert_int_equal(s->dirty_walks, 1);
    assert_int_equal(s->walk_reads, 20);
    assert_int_equal(s->ad_writes, 7);
    assert_int_equal(s->faults, 2);
    assert_int_equal(s->faults_not_present, 1);
    assert_int_equal(s->faults_protection, 1);
    assert_int_equal(s->faults_reserved, 0);
    assert_int_equal(s->bus_errors, 0);
    assert_int_equal(s->cr3_loads, 1);
    assert_int_equal(s->invlpgs, 1);
    assert_int_equal(s->cr_flushes, 1);
    /* The instruction TLB saw only the two flushes. */
    assert_int_equal(s->itlb.lookups, 0);
    assert_int_equal(s->itlb.fills, 0);
    assert_int_equal(s->itlb.flushes, 2);
}

static void tlb_and_walk_counters_count_each_event_once(void **state)
{
    uint64_t v = 0;
    uint32_t w = 0;
    (void)state;
    /* Pages are mapped P|RW without A or D; the PDE has no A either. */
    vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_LRU, true);
    touch(m, A);            /* miss, walk (2 reads), fill; A set in PDE and PTE (2 writes) */
    touch(m, A);            /* hit */
    assert_int_equal(vmsim_write8(m, VMSIM_SUPERVISOR, A << 12, 1), VMSIM_OK);
                            /* hit with D = 0: dirty walk (2 reads), D set (1 write), no fill */
    touch_all(m, (const uint32_t[]){B, C, D}, 3); /* 3 misses, walks, fills, PTE A bits */
    touch(m, E);            /* miss; LRU victim A: 1 eviction */
    assert_int_equal(vmsim_invlpg(m, C << 12), VMSIM_OK);                   /* 1 invalidation */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD_BASE), VMSIM_OK); /* flush: B D E */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON | VMSIM_CR0_WP), VMSIM_OK);
                            /* flush of an empty TLB: counted, nothing invalidated */
    assert_int_equal(vmsim_read64(m, VMSIM_SUPERVISOR, 0x2ffc, &v), VMSIM_OK);
                            /* pages 2 and 3 (B, C): 2 misses, 2 walks, 2 fills; A already set */
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 100u << 12, &w), VMSIM_ERR_PAGE_FAULT);
                            /* page 100 not mapped: miss, walk (2 reads), not-present fault */
    touch(m, B);            /* hit */
    assert_int_equal(vmsim_read32(m, VMSIM_USER, B << 12, &w), VMSIM_ERR_PAGE_FAULT);
                            /* hit, rights refuse a user read: walk (2 reads), protection
                             * fault, and the fault invalidates the entry */
    vmsim_stats_t s = stats(m);
    expect_program_counters(&s);
    vmsim_destroy(m);
}

static void reset_stats_zeroes_every_counter_but_keeps_entries(void **state)
{
    static const vmsim_stats_t zero;
    (void)state;
    vmsim_machine_t *m = policy_machine(4, 4, VMSIM_TLB_LRU, true);
    touch_all(m, (const uint32_t[]){A, B, A}, 3);
    assert_int_equal(vmsim_reset_stats(m), VMSIM_OK);
    vmsim_stats_t s = stats(m);
    assert_memory_equal(&s, &zero, sizeof s);
    touch(m, B); /* the entry survived the reset: a hit */
    expect_dtlb(m, 1, 0, 0, 0);
    vmsim_destroy(m);
}

/* --- split and unified TLBs --------------------------------------------- */

static void split_tlbs_cache_fetches_and_data_apart(void **state)
{
    (void)state;
    vmsim_machine_t *m = policy_machine(64, 4, VMSIM_TLB_LRU, true);
    fetch_sup(m, A);
    touch(m, A);
    fetch_sup(m, A);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.itlb.misses, 1);
    assert_int_equal(s.itlb.hits, 1);
    assert_int_equal(s.itlb.fills, 1);
    assert_int_equal(s.dtlb.misses, 1);
    assert_int_equal(s.dtlb.hits, 0);
    assert_int_equal(s.dtlb.fills, 1);
    assert_int_equal(n_valid(m, VMSIM_ITLB), 1);
    assert_int_equal(n_valid(m, VMSIM_DTLB), 1);
    vmsim_destroy(m);
}

static void split_tlbs_have_their_own_geometry(void **state)
{
    vmsim_config_t cfg = config_with(16, 4, VMSIM_TLB_LRU, true);
    (void)state;
    cfg.itlb = vmsim_tlb_config(2, 1, VMSIM_TLB_FIFO);
    vmsim_machine_t *m = paged_machine(&cfg, 0);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_DTLB), 16);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_ITLB), 2);
    fetch_sup(m, 2);
    fetch_sup(m, 4); /* same set of the 2-set, direct-mapped ITLB: evicts page 2 */
    assert_int_equal(stats(m).itlb.evictions, 1);
    vmsim_tlb_entry_t e = entry(m, VMSIM_ITLB, 0);
    assert_int_equal(e.vaddr, 4u << 12);
    vmsim_destroy(m);
}

static void unified_tlb_shares_one_entry_between_fetch_and_data(void **state)
{
    vmsim_config_t cfg = config_with(64, 4, VMSIM_TLB_LRU, true);
    (void)state;
    cfg.split_tlb = false;
    vmsim_machine_t *m = paged_machine(&cfg, 0);
    fetch_sup(m, A);
    touch(m, A);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.dtlb.misses, 1);
    assert_int_equal(s.dtlb.hits, 1);
    assert_int_equal(s.dtlb.fills, 1);
    static const vmsim_tlb_stats_t zero;
    assert_memory_equal(&s.itlb, &zero, sizeof zero);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_ITLB), vmsim_tlb_size(m, VMSIM_DTLB));
    vmsim_tlb_entry_t di = {0}, ii = {0};
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &di));
    assert_true(find_entry(m, VMSIM_ITLB, A << 12, &ii));
    /* field by field: struct copies need not carry padding bytes */
    assert_int_equal(di.set, ii.set);
    assert_int_equal(di.way, ii.way);
    assert_int_equal(di.vaddr, ii.vaddr);
    assert_int_equal(di.paddr, ii.paddr);
    assert_int_equal(di.page_size, ii.page_size);
    assert_int_equal(di.writable, ii.writable);
    assert_int_equal(di.user, ii.user);
    assert_int_equal(di.executable, ii.executable);
    assert_int_equal(di.dirty, ii.dirty);
    assert_int_equal(di.global, ii.global);
    vmsim_destroy(m);
}

static void machine_without_tlb_walks_every_access(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = policy_machine(0, 1, VMSIM_TLB_LRU, true);
    touch_all(m, (const uint32_t[]){A, A, A}, 3);
    fetch_sup(m, A);
    vmsim_stats_t s = stats(m);
    assert_int_equal(s.walks, 4);
    assert_int_equal(s.dtlb.lookups, 0);
    assert_int_equal(s.itlb.lookups, 0);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_DTLB), 0);
    assert_int_equal(vmsim_tlb_size(m, VMSIM_ITLB), 0);
    assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, 0, &e), VMSIM_ERR_INVALID);
    vmsim_destroy(m);
}

static void tlb_entry_refuses_bad_arguments(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = policy_machine(16, 4, VMSIM_TLB_LRU, true);
    assert_int_equal(vmsim_tlb_entry(NULL, VMSIM_DTLB, 0, &e), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, 0, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, 16, &e), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_tlb_entry(m, (vmsim_tlb_id_t)2, 0, &e), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, 15, &e), VMSIM_OK);
    assert_false(e.valid);
    assert_int_equal(e.set, 3);
    assert_int_equal(e.way, 3);
    assert_int_equal(vmsim_tlb_size(NULL, VMSIM_DTLB), 0);
    vmsim_destroy(m);
}

/* --- entries as cached ---------------------------------------------------- */

static void entry_records_rights_and_dirty_state_of_the_walk(void **state)
{
    vmsim_tlb_entry_t e = {0};
    (void)state;
    vmsim_machine_t *m = policy_machine(64, 4, VMSIM_TLB_LRU, true);
    map_vpn(m, A, VMSIM_PTE_P | VMSIM_PTE_US);         /* read-only user page */
    map_vpn(m, B, KERNEL_RW | VMSIM_PTE_US | VMSIM_PTE_D); /* already dirty */
    touch_all(m, (const uint32_t[]){A, B, C}, 3);
    assert_true(find_entry(m, VMSIM_DTLB, A << 12, &e));
    assert_false(e.writable);
    assert_true(e.user);
    assert_false(e.dirty);
    assert_true(e.executable);
    assert_true(find_entry(m, VMSIM_DTLB, B << 12, &e));
    assert_true(e.writable && e.user && e.dirty);
    assert_true(find_entry(m, VMSIM_DTLB, C << 12, &e));
    assert_true(e.writable);
    assert_false(e.user);
    assert_false(e.dirty);
    assert_int_equal(vmsim_write8(m, VMSIM_SUPERVISOR, C << 12, 1), VMSIM_OK);
    assert_true(find_entry(m, VMSIM_DTLB, C << 12, &e));
    assert_true(e.dirty); /* the dirty walk rewrote the entry in place */
    vmsim_destroy(m);
}

/* --- policy names ---------------------------------------------------------- */

static void policy_names_parse_and_print(void **state)
{
    static const struct {
        const char *name;
        vmsim_tlb_policy_t policy;
    } names[] = {{"lru", VMSIM_TLB_LRU},      {"fifo", VMSIM_TLB_FIFO},
                 {"random", VMSIM_TLB_RANDOM}, {"rand", VMSIM_TLB_RANDOM},
                 {"plru", VMSIM_TLB_PLRU},    {"tree-plru", VMSIM_TLB_PLRU},
                 {"pseudo-lru", VMSIM_TLB_PLRU}};
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        vmsim_tlb_policy_t p = VMSIM_TLB_POLICY_COUNT;
        assert_int_equal(vmsim_tlb_policy_parse(names[i].name, &p), VMSIM_OK);
        assert_int_equal(p, names[i].policy);
    }
    assert_string_equal(vmsim_tlb_policy_name(VMSIM_TLB_LRU), "lru");
    assert_string_equal(vmsim_tlb_policy_name(VMSIM_TLB_FIFO), "fifo");
    assert_string_equal(vmsim_tlb_policy_name(VMSIM_TLB_RANDOM), "random");
    assert_string_equal(vmsim_tlb_policy_name(VMSIM_TLB_PLRU), "plru");
    assert_null(vmsim_tlb_policy_name(VMSIM_TLB_POLICY_COUNT));
}

static void unknown_policy_names_are_refused(void **state)
{
    static const char *const bad[] = {"", "LRU", "Fifo", "lru ", "mru", "plru2", "random-1"};
    vmsim_tlb_policy_t p = VMSIM_TLB_FIFO;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vmsim_tlb_policy_parse(bad[i], &p), VMSIM_ERR_INVALID);
    assert_int_equal(p, VMSIM_TLB_FIFO); /* untouched */
    assert_int_equal(vmsim_tlb_policy_parse(NULL, &p), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_tlb_policy_parse("lru", NULL), VMSIM_ERR_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(miss_fills_the_lowest_invalid_way_for_every_policy),
        cmocka_unit_test(lru_evicts_the_least_recently_used_way),
        cmocka_unit_test(fifo_evicts_the_way_filled_longest_ago_and_ignores_hits),
        cmocka_unit_test(plru_four_ways_follows_the_tree_bits),
        cmocka_unit_test(plru_eight_ways_walks_three_levels),
        cmocka_unit_test(plru_invalidation_keeps_the_bits_of_the_other_ways),
        cmocka_unit_test(lru_invalidation_keeps_the_order_of_the_other_ways),
        cmocka_unit_test(fifo_invalidation_keeps_the_fill_order_of_the_other_ways),
        cmocka_unit_test(random_with_default_seed_evicts_xorshift_ways_and_draws_only_when_full),
        cmocka_unit_test(random_with_a_given_seed_follows_that_seed),
        cmocka_unit_test(random_seed_zero_means_seed_one),
        cmocka_unit_test(random_generators_are_per_tlb),
        cmocka_unit_test(direct_mapped_tlb_puts_page_n_in_set_n_mod_sets),
        cmocka_unit_test(set_associative_tlb_indexes_entries_as_set_times_ways_plus_way),
        cmocka_unit_test(fully_associative_tlb_uses_every_way_before_evicting),
        cmocka_unit_test(large_page_entry_lives_in_the_set_of_its_4m_page_number),
        cmocka_unit_test(tlb_config_check_rejects_impossible_geometries),
        cmocka_unit_test(tlb_config_check_accepts_legal_geometries),
        cmocka_unit_test(create_refuses_a_bad_tlb_and_ignores_the_itlb_when_unified),
        cmocka_unit_test(global_entry_survives_cr3_load_with_pge),
        cmocka_unit_test(global_bit_is_ignored_without_pge),
        cmocka_unit_test(clearing_pge_flushes_global_entries),
        cmocka_unit_test(invlpg_drops_a_global_entry),
        cmocka_unit_test(invlpg_drops_only_the_page_it_names),
        cmocka_unit_test(invlpg_drops_a_4m_page_from_any_address_inside_it),
        cmocka_unit_test(control_register_writes_flush_exactly_when_the_spec_says),
        cmocka_unit_test(refused_cr4_load_changes_nothing_and_flushes_nothing),
        cmocka_unit_test(tlb_flush_all_drops_globals_and_counts_a_flush),
        cmocka_unit_test(walk_that_finds_a_new_page_size_replaces_the_entry),
        cmocka_unit_test(set_maxphyaddr_flushes_every_tlb),
        cmocka_unit_test(tlb_and_walk_counters_count_each_event_once),
        cmocka_unit_test(reset_stats_zeroes_every_counter_but_keeps_entries),
        cmocka_unit_test(split_tlbs_cache_fetches_and_data_apart),
        cmocka_unit_test(split_tlbs_have_their_own_geometry),
        cmocka_unit_test(unified_tlb_shares_one_entry_between_fetch_and_data),
        cmocka_unit_test(machine_without_tlb_walks_every_access),
        cmocka_unit_test(tlb_entry_refuses_bad_arguments),
        cmocka_unit_test(entry_records_rights_and_dirty_state_of_the_walk),
        cmocka_unit_test(policy_names_parse_and_print),
        cmocka_unit_test(unknown_policy_names_are_refused),
    };
    return cmocka_run_group_tests_name("tlb", tests, NULL, NULL);
}
