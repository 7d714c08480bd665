/*
 * mmu_verify.c - bench_mmu --verify: the fast path changes nothing.
 *
 * Two machines with the same configuration, one with the fast path and
 * one without, get the same random operations: typed loads, stores and
 * fetches of every size (page-crossing ones too), vmsim_access() and
 * byte ranges, page-table edits through the bus (which leave stale TLB
 * entries, as on hardware), INVLPG, CR3 reloads, CR0.WP / CR4 / EFER.NXE
 * / AC changes, statistics banks, a fault handler that maps pages and
 * reads memory itself, and a translation observer.  Every result is
 * compared at once; statistics, TLB entries and RAM every 256 steps.
 *
 * Both machines share src/tlb, so this checks the shortcuts (the fast
 * cache, the quick route) against the general route; the replacement
 * rules themselves are the business of tests/test_tlb.c and the
 * conformance vectors.
 */
#include "mmu_verify.h"

#include <stdio.h>
#include <string.h>

#define V_RAM (2u << 20)
#define V_HOT 96

struct vcase {
    const char *name;
    bool split, pae;
    vmsim_tlb_config_t dtlb, itlb;
};

struct vworld {
    vmsim_machine_t *m[2]; /* [0] fast path on, [1] off */
    bool pae;
    uint32_t rng;
    uint32_t hot[V_HOT];   /* linear pages the accesses go to */
    uint64_t n_observed[2];
};

static uint32_t vrand(struct vworld *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 17;
    w->rng ^= w->rng << 5;
    return w->rng;
}

static bool chance(struct vworld *w, unsigned percent) { return vrand(w) % 100 < percent; }

/* The physical address of the PTE (or, for a large or unmapped slot,
 * the PDE) that maps `va`. */
static uint32_t entry_addr(const struct vworld *w, uint32_t va)
{
    if (!w->pae)
        return (va >> 22) < 4 ? 0x2000 + (va >> 22) * 4096 + ((va >> 12) & 1023) * 4
                              : 0x1000 + (va >> 22) * 4;
    if (va >> 30) /* the PDPTE in RAM: it counts from the next CR3 load */
        return 0x1000 + (va >> 30) * 8;
    return (va >> 21) < 8 ? 0x3000 + (va >> 21) * 4096 + ((va >> 12) & 511) * 8
                          : 0x2000 + (va >> 21) * 8;
}

static uint64_t random_leaf(struct vworld *w)
{
    uint64_t e = chance(w, 95) ? (16 + vrand(w) % 496) * 4096ull : (600 + vrand(w) % 100) * 4096ull;
    e |= chance(w, 90) ? VMSIM_PTE_P : 0;
    e |= chance(w, 70) ? VMSIM_PTE_RW : 0;
    e |= chance(w, 70) ? VMSIM_PTE_US : 0;
    e |= chance(w, 50) ? VMSIM_PTE_A : 0;
    e |= chance(w, 50) ? VMSIM_PTE_D : 0;
    e |= chance(w, 15) ? VMSIM_PTE_G : 0;
    if (w->pae) {
        e |= chance(w, 20) ? VMSIM_PTE_XD : 0;
        e |= chance(w, 2) ? 1ull << 51 : 0; /* reserved with maxphyaddr 40 */
    }
    return e;
}

static void put_entry(struct vworld *w, uint32_t pa, uint64_t e)
{
    for (int k = 0; k < 2; k++) {
        if (w->pae)
            vmsim_bus_write64(w->m[k], pa, e);
        else
            vmsim_bus_write32(w->m[k], pa, (uint32_t)e);
    }
}

static uint64_t get_entry(const struct vworld *w, int k, uint32_t pa)
{
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    if (w->pae)
        vmsim_bus_read64(w->m[k], pa, &v64);
    else
        vmsim_bus_read32(w->m[k], pa, &v32);
    return w->pae ? v64 : v32;
}

/* Tables: 32-bit, PD slots 0-3 -> page tables, slot 4 a 4 MiB page at
 * 0 (over the tables themselves), slot 5 absent; PAE, PDPTE 0 -> a PD
 * whose slots 0-7 -> page tables, slot 8 a 2 MiB page at 0. */
static void build_tables(struct vworld *w)
{
    const uint64_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US;
    unsigned n_tables = w->pae ? 8 : 4, per_table = w->pae ? 512 : 1024;
    uint32_t pd = w->pae ? 0x2000 : 0x1000, pt = w->pae ? 0x3000 : 0x2000;
    if (w->pae)
        put_entry(w, 0x1000, pd | VMSIM_PTE_P);
    for (unsigned t = 0; t < n_tables; t++) {
        uint64_t a = chance(w, 50) ? VMSIM_PTE_A : 0, rights = chance(w, 85) ? dir : VMSIM_PTE_P;
        put_entry(w, pd + t * (w->pae ? 8 : 4), (pt + t * 4096) | rights | a);
        for (unsigned i = 0; i < per_table; i++)
            put_entry(w, pt + t * 4096 + i * (w->pae ? 8 : 4), random_leaf(w));
    }
    put_entry(w, pd + n_tables * (w->pae ? 8 : 4), dir | VMSIM_PTE_PS | VMSIM_PTE_A);
    /* Frame 0 (the large page's first) and the data frames hold entries
     * that look present, so that a walk gone wrong -- a large PDE taken
     * for a table pointer, an absent PDPTE read as a table -- finds
     * mappings there instead of stopping at P = 0. */
    for (uint32_t pa = 0; pa < V_RAM; pa += w->pae ? 8 : 4)
        if (pa < 0x1000 || pa >= 0x10000)
            put_entry(w, pa, random_leaf(w) | VMSIM_PTE_A);
    /* Pages of the tables, the large page and the absent slot; every
     * fourth one 1024, 2048 or 4096 pages from the one before, so that
     * they share a slot of any direct-mapped fast cache of that size;
     * some at the start of the large page, a few at 1 GiB, behind an
     * absent PDE or PDPTE. */
    uint32_t span = (n_tables + 2) * per_table;
    for (unsigned i = 0; i < V_HOT; i++) {
        uint32_t page = vrand(w) % span;
        if (i % 4 == 3)
            page = ((w->hot[i - 1] >> 12) + (1024u << vrand(w) % 3)) % span;
        if (i % 16 == 14) /* beyond the tables: a PDPTE (PAE) or PDE not present */
            page = 0x40000 + vrand(w) % 0x40000;
        if (i % 8 == 5) /* the first pieces of the large page */
            page = n_tables * per_table + vrand(w) % 16;
        w->hot[i] = page << 12;
    }
}

static vmsim_fault_action_t v_handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    struct vworld *w = user;
    int k = m == w->m[0] ? 0 : 1;
    uint32_t pa = entry_addr(w, f->cr2), v;
    vmsim_bank_t prev;
    if (f->reason != VMSIM_WHY_NOT_PRESENT)
        return VMSIM_FAULT_UNHANDLED;
    uint64_t e = get_entry(w, k, pa) | VMSIM_PTE_P;
    if (w->pae)
        vmsim_bus_write64(m, pa, e);
    else
        vmsim_bus_write32(m, pa, (uint32_t)e);
    vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, &prev); /* the kernel's own accesses */
    vmsim_read32(m, VMSIM_SUPERVISOR, w->hot[f->cr2 % V_HOT] + 8, &v);
    vmsim_write16(m, VMSIM_SUPERVISOR, w->hot[(f->cr2 >> 12) % V_HOT] + 2, (uint16_t)f->cr2);
    vmsim_set_stats_bank(m, prev, NULL);
    return VMSIM_FAULT_RETRY;
}

static void v_observer(void *user, const vmsim_translation_t *t)
{
    uint64_t *n = user;
    *n += 1 + t->tlb_hit;
}

/* One typed accessor call; kind 0-3 loads, 4-7 stores, 8 a fetch. */
static vmsim_status_t typed(vmsim_machine_t *m, unsigned kind, vmsim_mode_t mode, uint32_t va,
                            uint64_t value, uint64_t *out)
{
    uint8_t b = 0;
    uint16_t h = 0;
    uint32_t x = 0;
    uint64_t q = 0;
    vmsim_status_t rc;
    switch (kind) {
    case 0: rc = vmsim_read8(m, mode, va, &b); break;
    case 1: rc = vmsim_read16(m, mode, va, &h); break;
    case 2: rc = vmsim_read32(m, mode, va, value == 7 ? NULL : &x); break;
    case 3: rc = vmsim_read64(m, mode, va, &q); break;
    case 4: return vmsim_write8(m, mode, va, (uint8_t)value);
    case 5: return vmsim_write16(m, mode, va, (uint16_t)value);
    case 6: return vmsim_write32(m, mode, va, (uint32_t)value);
    case 7: return vmsim_write64(m, mode, va, value);
    default: rc = vmsim_fetch32(m, mode, va, &x); break;
    }
    *out = b | (uint64_t)h | x | q;
    return rc;
}

static uint32_t hot_address(struct vworld *w)
{
    uint32_t page = w->hot[vrand(w) % V_HOT];
    uint32_t off = chance(w, 10) ? 4096 - 1 - vrand(w) % 8 : vrand(w) & 0xfff;
    return page + off;
}

/* An access of some kind through both machines; false when they differ. */
static bool step_access(struct vworld *w)
{
    uint32_t va = hot_address(w), r = vrand(w);
    vmsim_mode_t mode = chance(w, 1) ? (vmsim_mode_t)2 : (vmsim_mode_t)(r & 1);
    uint64_t out[2] = {0, 0}, value = ((uint64_t)vrand(w) << 32) | vrand(w);
    vmsim_status_t rc[2];
    if (chance(w, 85)) {
        unsigned kind = (r >> 1) % 9;
        for (int k = 0; k < 2; k++)
            rc[k] = typed(w->m[k], kind, mode, va, value % 64, &out[k]);
        return rc[0] == rc[1] && out[0] == out[1];
    }
    if (chance(w, 70)) {
        vmsim_access_t acc = (vmsim_access_t)((r >> 1) % 3);
        unsigned size = 1u << ((r >> 3) % 4);
        vmsim_result_t res[2];
        for (int k = 0; k < 2; k++) {
            uint64_t buf = value;
            rc[k] = vmsim_access(w->m[k], acc, mode, va, &buf, size, &res[k]);
            out[k] = buf;
        }
        return rc[0] == rc[1] && out[0] == out[1] && res[0].paddr == res[1].paddr &&
               res[0].bus_addr == res[1].bus_addr &&
               !memcmp(&res[0].fault, &res[1].fault, sizeof res[0].fault);
    }
    static uint8_t buf[2][9000];
    size_t len = vrand(w) % 9000, done[2];
    for (int k = 0; k < 2; k++) {
        memset(buf[k], (int)value, len);
        rc[k] = r & 2 ? vmsim_write_bytes(w->m[k], mode, va, buf[k], len, &done[k])
                      : vmsim_read_bytes(w->m[k], mode, va, buf[k], len, &done[k]);
    }
    return rc[0] == rc[1] && done[0] == done[1] && !memcmp(buf[0], buf[1], len);
}

static void both_reg(struct vworld *w, vmsim_reg_t reg, uint64_t flip)
{
    for (int k = 0; k < 2; k++) {
        uint64_t v;
        vmsim_read_reg(w->m[k], reg, &v);
        vmsim_write_reg(w->m[k], reg, v ^ flip);
    }
}

/* Anything but an access, the same on both machines. */
static void step_other(struct vworld *w)
{
    uint32_t r = vrand(w) % 100, va = hot_address(w);
    static const uint64_t bits[] = {VMSIM_PTE_P, VMSIM_PTE_RW, VMSIM_PTE_US, VMSIM_PTE_A,
                                    VMSIM_PTE_D, VMSIM_PTE_G, VMSIM_PTE_XD};
    if (r < 40) { /* edit an entry behind the TLB's back */
        uint32_t pa = entry_addr(w, va);
        put_entry(w, pa, get_entry(w, 0, pa) ^ bits[vrand(w) % (w->pae ? 7 : 6)]);
        return;
    }
    for (int k = 0; k < 2 && r >= 85; k++) {
        vmsim_machine_t *m = w->m[k];
        if (r < 88)
            vmsim_set_stats_bank(m, (vmsim_bank_t)(va & 1), NULL);
        else if (r < 90)
            vmsim_set_ac(m, va & 2);
        else if (r < 93)
            vmsim_set_fault_handler(m, va & 4 ? v_handler : NULL, w);
        else if (r < 95)
            vmsim_set_translation_observer(m, va & 8 ? NULL : v_observer, &w->n_observed[k]);
        else if (r < 96)
            vmsim_reset_stats(m);
        else if (r < 97)
            vmsim_tlb_flush_all(m);
        else
            vmsim_invlpg(m, va);
    }
    if (r < 60)
        for (int k = 0; k < 2; k++)
            vmsim_invlpg(w->m[k], va);
    else if (r < 70)
        both_reg(w, VMSIM_REG_CR3, 0);
    else if (r < 74)
        both_reg(w, VMSIM_REG_CR0, VMSIM_CR0_WP);
    else if (r < 83) {
        static const uint64_t cr4[] = {VMSIM_CR4_SMAP, VMSIM_CR4_SMEP, VMSIM_CR4_PGE};
        both_reg(w, VMSIM_REG_CR4, cr4[vrand(w) % 3]);
    } else if (r < 85 && w->pae)
        both_reg(w, VMSIM_REG_EFER, VMSIM_EFER_NXE);
}

static bool same_tlbs(const struct vworld *w)
{
    for (vmsim_tlb_id_t id = VMSIM_DTLB; id <= VMSIM_ITLB; id++) {
        uint32_t n = vmsim_tlb_size(w->m[0], id);
        for (uint32_t i = 0; i < n; i++) {
            vmsim_tlb_entry_t a, b;
            vmsim_tlb_entry(w->m[0], id, i, &a);
            vmsim_tlb_entry(w->m[1], id, i, &b);
            if (a.valid != b.valid || a.vaddr != b.vaddr || a.paddr != b.paddr ||
                a.page_size != b.page_size || a.writable != b.writable || a.user != b.user ||
                a.executable != b.executable || a.dirty != b.dirty || a.global != b.global)
                return false;
        }
    }
    return true;
}

static bool same_everything(const struct vworld *w)
{
    static uint8_t ra[V_RAM], rb[V_RAM];
    vmsim_fault_t fa, fb;
    uint64_t cr2a, cr2b;
    vmsim_last_fault(w->m[0], &fa);
    vmsim_last_fault(w->m[1], &fb);
    vmsim_read_reg(w->m[0], VMSIM_REG_CR2, &cr2a);
    vmsim_read_reg(w->m[1], VMSIM_REG_CR2, &cr2b);
    vmsim_bus_read(w->m[0], 0, ra, V_RAM);
    vmsim_bus_read(w->m[1], 0, rb, V_RAM);
    for (vmsim_bank_t k = 0; k < VMSIM_BANK_COUNT; k++) {
        vmsim_stats_t sa, sb;
        vmsim_get_stats(w->m[0], k, &sa);
        vmsim_get_stats(w->m[1], k, &sb);
        if (memcmp(&sa, &sb, sizeof sa))
            return false;
    }
    return cr2a == cr2b && !memcmp(&fa, &fb, sizeof fa) && !memcmp(ra, rb, V_RAM) &&
           w->n_observed[0] == w->n_observed[1] && same_tlbs(w);
}

static int verify_case(const struct vcase *c, uint32_t seed, unsigned n_steps)
{
    struct vworld w = {.pae = c->pae, .rng = seed};
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = V_RAM;
    cfg.split_tlb = c->split;
    cfg.dtlb = c->dtlb;
    cfg.itlb = c->itlb;
    for (int k = 0; k < 2; k++) {
        cfg.fast_path = k == 0;
        if (vmsim_create(&cfg, &w.m[k]))
            return 2;
    }
    build_tables(&w);
    both_reg(&w, VMSIM_REG_CR4, c->pae ? VMSIM_CR4_PAE : VMSIM_CR4_PSE);
    if (c->pae)
        both_reg(&w, VMSIM_REG_EFER, VMSIM_EFER_NXE);
    both_reg(&w, VMSIM_REG_CR3, 0x1000);
    both_reg(&w, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
    int bad = 0;
    for (unsigned i = 0; i < n_steps && !bad; i++) {
        if (chance(&w, 95) ? !step_access(&w) : (step_other(&w), false))
            bad = printf("verify %s: step %u: an access differs\n", c->name, i);
        else if ((i % 256 == 255 || i + 1 == n_steps) && !same_everything(&w))
            bad = printf("verify %s: step %u: state differs\n", c->name, i);
    }
    vmsim_destroy(w.m[0]);
    vmsim_destroy(w.m[1]);
    return bad ? 1 : 0;
}

int mmu_verify(bool quick)
{
    const vmsim_tlb_config_t lru = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    const struct vcase cases[] = {
        {"64x4-lru", true, false, lru, vmsim_tlb_config(16, 4, VMSIM_TLB_FIFO)},
        {"16x2-fifo-unified", false, false, vmsim_tlb_config(16, 2, VMSIM_TLB_FIFO), lru},
        {"8x8-plru", true, false, vmsim_tlb_config(8, 8, VMSIM_TLB_PLRU),
         vmsim_tlb_config(4, 4, VMSIM_TLB_PLRU)},
        {"32x1-random", true, false, vmsim_tlb_config(32, 1, VMSIM_TLB_RANDOM),
         vmsim_tlb_config(8, 2, VMSIM_TLB_RANDOM)},
        {"no-tlb", true, false, vmsim_tlb_config(0, 1, VMSIM_TLB_LRU),
         vmsim_tlb_config(0, 1, VMSIM_TLB_LRU)},
        {"pae-64x4-plru", true, true, vmsim_tlb_config(64, 4, VMSIM_TLB_PLRU), lru},
        {"pae-4x4-lru-unified", false, true, vmsim_tlb_config(4, 4, VMSIM_TLB_LRU), lru},
        {"pae-128x8-fifo", true, true, vmsim_tlb_config(128, 8, VMSIM_TLB_FIFO),
         vmsim_tlb_config(0, 1, VMSIM_TLB_LRU)},
        {"pae-32x1-random", true, true, vmsim_tlb_config(32, 1, VMSIM_TLB_RANDOM),
         vmsim_tlb_config(8, 2, VMSIM_TLB_RANDOM)},
        {"pae-no-tlb", true, true, vmsim_tlb_config(0, 1, VMSIM_TLB_LRU),
         vmsim_tlb_config(0, 1, VMSIM_TLB_LRU)},
    };
    unsigned n_steps = quick ? 20000 : 300000, n_seeds = quick ? 1 : 3;
    int rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (uint32_t s = 1; s <= n_seeds; s++)
            rc |= verify_case(&cases[i], 0x9e3779b9u * s, n_steps);
    printf("verify: %zu configurations x %u seeds x %u steps, fast path on vs off: %s\n",
           sizeof cases / sizeof *cases, n_seeds, n_steps, rc ? "DIFFERENT" : "identical");
    return rc;
}

