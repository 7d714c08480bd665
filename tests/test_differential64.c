/*
 * test_differential64.c - the TLB never changes a result, in IA-32e mode.
 *
 * The companion of test_differential.c for 4-level and 5-level paging:
 * random paging structures and random operations run in lockstep on
 * four machines that differ only in their TLBs and fast path:
 *
 *     machine 0  no TLB, fast path off: every access walks -- the reference
 *     machine 1  the default TLBs and the fast path
 *     machine 2  a tiny random geometry and policy (evictions all the time),
 *                half the time with paging-structure caches, fast path on
 *     machine 3  a small unified TLB, fast path off, a second-level TLB and
 *                paging-structure caches at every level
 *
 * After every operation each machine's result must equal the
 * reference's (status, physical address, error code, CR2, fault reason
 * and level, bus address, the bytes read, the status of each register
 * load and INVPCID); every few steps and at the end the paging
 * structures, and the whole of RAM, must be identical, A/D bits included.
 *
 * What a TLB may legitimately do differently is kept out: every table
 * edit is followed by a flush of everything (INVPCID type 2, which also
 * covers other PCIDs); a PCID is only ever used with one address space;
 * CR3 switches to the other address space only while CR4.PGE = 0; no
 * leaf maps a paging-structure frame (1 GiB pages map physical 0 but are
 * only accessed in the data area).  Everything else is fair game: random
 * P/RW/US/A/D/G/PWT/PCD/PAT/XD, protection keys, ignored and reserved
 * bits at every level, tables and pages outside RAM, 4 KiB, 2 MiB and
 * 1 GiB pages, non-canonical addresses, accesses of every kind, mode and
 * size (some crossing pages), the typed loads and stores, CR0.WP,
 * CR4.PGE/SMEP/SMAP/PKE toggles, PKRU and EFLAGS.AC changes, CR3 reloads
 * with and without bit 63, INVLPG and INVPCID of every type.
 *
 * Environment: VMSIM_DIFF_RUNS (seeds per paging mode), VMSIM_DIFF_STEPS,
 * VMSIM_DIFF_SEED, VMSIM_DIFF_TRACE=1.  A failure prints seed and step.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsim/vmsim.h"

#define N_MACHINES 4
#define RAM        0x1000000u /* 16 MiB */
#define TABLES     0x100000u  /* paging structures: [1 MiB, 1 MiB + 64 * 4 KiB) */
#define N_TABLES   64
#define DATA       0x800000u /* data frames and 2 MiB pages: [8 MiB, 16 MiB) */
#define N_HOT      3         /* hot indices per level */

#define DEFAULT_RUNS  6
#define DEFAULT_STEPS 3000

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(next(s) % n);
}
static bool chance(uint64_t *s, unsigned percent)
{
    return below(s, 100) < percent;
}

struct rig {
    vmsim_machine_t *m[N_MACHINES];
    bool five;
    uint64_t roots[2];
    unsigned cur; /* address space in CR3 */
    unsigned hot[5][N_HOT];
    uint64_t rng, seed;
    unsigned step;
    bool trace;
    char op[200];
    vmsim_vaddr_t recent[8]; /* addresses used lately, for reuse */
    uint64_t *tally;         /* reference outcomes: ok, #PF, !bus, #GP; TLB hits of machine 1 */
};

static unsigned env_unsigned(const char *name, unsigned fallback)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : fallback;
}

static void fail_here(const struct rig *r, const char *what)
{
    fail_msg("seed %" PRIu64 " step %u (%s): %s", r->seed, r->step, r->op, what);
}

/* --- building machines and tables ----------------------------------------- */

static vmsim_machine_t *machine(struct rig *r, unsigned i)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM;
    if (i == 0) {
        cfg.dtlb.entries = cfg.itlb.entries = 0;
        cfg.fast_path = false;
    } else if (i == 2) {
        static const uint32_t geo[][2] = {{1, 1}, {2, 1}, {4, 2}, {8, 8}, {16, 4}};
        unsigned g = below(&r->rng, 5);
        cfg.dtlb = vmsim_tlb_config(geo[g][0], geo[g][1], (vmsim_tlb_policy_t)below(&r->rng, 3));
        cfg.itlb = vmsim_tlb_config(geo[g][0], geo[g][1], VMSIM_TLB_FIFO);
        if (chance(&r->rng, 50)) /* and the fast path's quick walk from them */
            cfg.psc_pde = cfg.psc_pdpte = cfg.psc_pml4e = vmsim_tlb_config(4, 2, VMSIM_TLB_LRU);
    } else if (i == 3) {
        cfg.split_tlb = false;
        cfg.fast_path = false;
        cfg.stlb = vmsim_tlb_config(16 << below(&r->rng, 3), 4, VMSIM_TLB_LRU);
        cfg.stlb_1g = vmsim_tlb_config(4, 4, VMSIM_TLB_FIFO);
        cfg.dtlb = vmsim_tlb_config(4, 2, VMSIM_TLB_LRU); /* small: the STLB serves */
        cfg.psc_pml5e = cfg.psc_pml4e = vmsim_tlb_config(2, 2, VMSIM_TLB_LRU);
        cfg.psc_pdpte = cfg.psc_pde = vmsim_tlb_config(4 << below(&r->rng, 3), 4, VMSIM_TLB_FIFO);
    }
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    return m;
}

static void put(struct rig *r, uint64_t paddr, uint64_t value)
{
    for (unsigned i = 0; i < N_MACHINES; i++)
        assert_int_equal(vmsim_bus_write64(r->m[i], paddr, value), VMSIM_OK);
}

/* A random entry at `level` (0 = PTE .. 4 = PML5E): mostly a present
 * entry leading to a table or page in the right place, sometimes with
 * junk, a reserved bit, a pointer beyond RAM, or not present. */
static uint64_t random_entry(struct rig *r, unsigned level)
{
    uint64_t *s = &r->rng, e = 0x1 | (next(s) & 0x7e); /* P, RW, US, PWT, PCD, A, D */
    if (chance(s, 4))
        return next(s) & ~1ull; /* not present, with junk */
    if (chance(s, 85))
        e |= VMSIM_PTE_RW | VMSIM_PTE_US;
    if (chance(s, 8))
        e |= VMSIM_PTE_XD;
    if (chance(s, 20))
        e |= VMSIM_PTE_G;
    if (chance(s, 10))
        e |= (uint64_t)below(s, 0x800) << 52; /* ignored 62:52 (protection key in a leaf) */
    if (chance(s, 2))
        e |= 1ull << (40 + below(s, 12)); /* reserved 51:40 */
    bool large = (level == 1 || level == 2) && chance(s, 20);
    if (level >= 3 && chance(s, 1))
        e |= VMSIM_PTE_PS; /* reserved in a PML4E/PML5E */
    if (level == 0 || large) {
        if (large)
            e |= VMSIM_PTE_PS;
        uint64_t frame = level == 2   ? 0 /* 1 GiB at 0 */
                         : level == 1 ? DATA + ((uint64_t)below(s, 4) << 21)
                                      : DATA + ((uint64_t)below(s, 2048) << 12);
        if (chance(s, 3))
            frame = (uint64_t)(1 + below(s, 16)) << 32; /* beyond RAM */
        if (large && chance(s, 3))
            e |= 1ull << (13 + below(s, 8)); /* reserved low address bits */
        return e | frame;
    }
    e &= ~(uint64_t)VMSIM_PTE_D;
    /* a table whose role is the level below (table t serves level t % levels) */
    unsigned levels = r->five ? 5 : 4;
    uint64_t table = TABLES + (uint64_t)(level - 1 + levels * below(s, N_TABLES / levels)) * 0x1000;
    if (chance(s, 2))
        table = 0x2000000; /* beyond RAM */
    return e | table;
}

static void fill_tables(struct rig *r)
{
    for (unsigned lvl = 0; lvl < 5; lvl++) {
        r->hot[lvl][0] = 0;
        r->hot[lvl][1] = 511;
        r->hot[lvl][2] = below(&r->rng, 512);
    }
    unsigned levels = r->five ? 5 : 4;
    for (unsigned t = 0; t < N_TABLES; t++) {
        unsigned level = t % levels; /* 0: a page table ... levels - 1: the top */
        for (unsigned k = 0; k < N_HOT; k++)
            put(r, TABLES + t * 0x1000ull + 8 * r->hot[level][k], random_entry(r, level));
    }
    r->roots[0] = TABLES + (levels - 1) * 0x1000;
    r->roots[1] = TABLES + (2 * levels - 1) * 0x1000;
}

/* --- comparing ---------------------------------------------------------------- */

static void same_result(struct rig *r, const vmsim_result_t *a, const vmsim_result_t *b,
                        const uint8_t *da, const uint8_t *db, unsigned size)
{
    char what[200];
    if (a->status != b->status || a->paddr != b->paddr || a->bus_addr != b->bus_addr ||
        a->fault.error_code != b->fault.error_code || a->fault.cr2 != b->fault.cr2 ||
        a->fault.reason != b->fault.reason || a->fault.level != b->fault.level ||
        memcmp(da, db, size) != 0) {
        snprintf(what, sizeof what,
                 "status %d/%d paddr 0x%" PRIx64 "/0x%" PRIx64 " ec 0x%x/0x%x cr2 0x%" PRIx64
                 "/0x%" PRIx64,
                 a->status, b->status, a->paddr, b->paddr, a->fault.error_code, b->fault.error_code,
                 a->fault.cr2, b->fault.cr2);
        fail_here(r, what);
    }
}

static void same_ram(struct rig *r, uint64_t from, uint64_t len)
{
    static uint8_t a[RAM], b[RAM];
    assert_int_equal(vmsim_bus_read(r->m[0], from, a, len), VMSIM_OK);
    for (unsigned i = 1; i < N_MACHINES; i++) {
        assert_int_equal(vmsim_bus_read(r->m[i], from, b, len), VMSIM_OK);
        if (memcmp(a, b, len) != 0)
            fail_here(r, "RAM differs");
    }
}

/* --- operations ---------------------------------------------------------------- */

static vmsim_vaddr_t fresh_vaddr(struct rig *r);

/* Half the time an address used lately (so the TLBs hit), else a new one. */
static vmsim_vaddr_t random_vaddr(struct rig *r)
{
    unsigned k = below(&r->rng, 8);
    if (r->recent[k] && chance(&r->rng, 70))
        return r->recent[k] + (chance(&r->rng, 50) ? 0 : below(&r->rng, 8));
    if (chance(&r->rng, 50)) /* a neighbour: another page under the same tables */
        return r->recent[k] = (r->recent[k] & ~0x1fffffull) |
                              ((vmsim_vaddr_t)r->hot[0][below(&r->rng, N_HOT)] << 12) |
                              below(&r->rng, 4096);
    return r->recent[k] = fresh_vaddr(r);
}

static vmsim_vaddr_t fresh_vaddr(struct rig *r)
{
    uint64_t *s = &r->rng;
    unsigned levels = r->five ? 5 : 4, width = r->five ? 57 : 48;
    vmsim_vaddr_t va = 0;
    for (unsigned lvl = 0; lvl < levels; lvl++)
        va |= (vmsim_vaddr_t)r->hot[lvl][below(s, N_HOT)] << (12 + 9 * lvl);
    va |= chance(s, 20) ? 0xff8 + below(s, 8) : below(s, 4096);
    if (chance(s, 15)) /* inside a 2 MiB page: the PT index is offset */
        va |= (vmsim_vaddr_t)below(s, 512) << 12;
    else if (chance(s, 15)) /* inside a 1 GiB page, in the data area */
        va = (va & ~0x3fffffffull) | DATA | below(s, DATA);
    va = (vmsim_vaddr_t)((int64_t)(va << (64 - width)) >> (64 - width)); /* canonical */
    if (chance(s, 3))
        va ^= 1ull << (width + below(s, 64 - width)); /* non-canonical */
    return va;
}

static void each_reg(struct rig *r, vmsim_reg_t reg, uint64_t value);
static uint64_t reg(struct rig *r, vmsim_reg_t which);
static void op_cr3(struct rig *r);

static void typed_read(struct rig *r, vmsim_mode_t mode, vmsim_vaddr_t va)
{
    vmsim_result_t res[N_MACHINES];
    uint32_t v[N_MACHINES];
    snprintf(r->op, sizeof r->op, "read32 %s 0x%" PRIx64, vmsim_mode_name(mode), va);
    for (unsigned i = 0; i < N_MACHINES; i++) {
        memset(&res[i], 0, sizeof res[i]);
        v[i] = 0;
        res[i].status = vmsim_read32(r->m[i], mode, va, &v[i]);
        if (res[i].status == VMSIM_ERR_PAGE_FAULT)
            vmsim_last_fault(r->m[i], &res[i].fault);
    }
    for (unsigned i = 1; i < N_MACHINES; i++)
        same_result(r, &res[0], &res[i], (uint8_t *)&v[0], (uint8_t *)&v[i], 4);
}

/* A cached page, then a change that flushes nothing (PKRU, CR4.PKE, AC),
 * then the page again: the cached translation must see the change. */
static void op_change_under_cache(struct rig *r)
{
    vmsim_mode_t mode = (vmsim_mode_t)below(&r->rng, 2);
    vmsim_vaddr_t va = random_vaddr(r) & ~3ull;
    typed_read(r, mode, va);
    typed_read(r, mode, va);
    switch (below(&r->rng, 4)) {
    case 0: each_reg(r, VMSIM_REG_PKRU, next(&r->rng) & 0xffffffffu); break;
    case 3: op_cr3(r); break; /* another PCID or address space */
    case 1: each_reg(r, VMSIM_REG_CR4, reg(r, VMSIM_REG_CR4) ^ VMSIM_CR4_PKE); break;
    default:
        for (unsigned i = 0; i < N_MACHINES; i++)
            vmsim_set_ac(r->m[i], !vmsim_get_ac(r->m[i]));
    }
    typed_read(r, mode, va);
}

static void op_access(struct rig *r)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    vmsim_access_t kind = (vmsim_access_t)below(&r->rng, 3);
    vmsim_mode_t mode = (vmsim_mode_t)below(&r->rng, 2);
    unsigned size = sizes[below(&r->rng, 4)];
    vmsim_vaddr_t va = random_vaddr(r);
    bool typed = kind == VMSIM_READ && size == 4 && chance(&r->rng, 50);
    vmsim_result_t res[N_MACHINES];
    uint8_t data[N_MACHINES][8];
    snprintf(r->op, sizeof r->op, "%s %s 0x%" PRIx64 " %u%s", vmsim_access_name(kind),
             vmsim_mode_name(mode), va, size, typed ? " (typed)" : "");
    for (unsigned i = 0; i < N_MACHINES; i++) {
        memset(&res[i], 0, sizeof res[i]);
        memset(data[i], 0xee, 8);
        if (typed) {
            uint32_t v = 0;
            res[i].status = vmsim_read32(r->m[i], mode, va, &v);
            memcpy(data[i], &v, 4);
            if (res[i].status == VMSIM_ERR_PAGE_FAULT)
                vmsim_last_fault(r->m[i], &res[i].fault);
        } else {
            vmsim_access(r->m[i], kind, mode, va, kind == VMSIM_WRITE ? NULL : data[i], size,
                         &res[i]);
        }
    }
    for (unsigned i = 1; i < N_MACHINES; i++)
        same_result(r, &res[0], &res[i], data[0], data[i], size);
    switch (res[0].status) {
    case VMSIM_OK: r->tally[0]++; break;
    case VMSIM_ERR_PAGE_FAULT: r->tally[(res[0].fault.error_code & VMSIM_PF_PK) ? 5 : 1]++; break;
    case VMSIM_ERR_BUS: r->tally[2]++; break;
    default: r->tally[3]++; break;
    }
}

static void each_reg(struct rig *r, vmsim_reg_t reg, uint64_t value)
{
    vmsim_status_t rc0 = vmsim_write_reg(r->m[0], reg, value);
    for (unsigned i = 1; i < N_MACHINES; i++)
        if (vmsim_write_reg(r->m[i], reg, value) != rc0)
            fail_here(r, "register load status differs");
}

static uint64_t reg(struct rig *r, vmsim_reg_t which)
{
    uint64_t v = 0;
    vmsim_read_reg(r->m[0], which, &v);
    return v;
}

/* A PCID belongs to one address space: 0..1 to the first, 2..3 to the second. */
static void op_cr3(struct rig *r)
{
    bool pcide = reg(r, VMSIM_REG_CR4) & VMSIM_CR4_PCIDE;
    unsigned as = r->cur;
    if (!(reg(r, VMSIM_REG_CR4) & VMSIM_CR4_PGE) && chance(&r->rng, 50))
        as = 1 - as;
    uint64_t v = r->roots[as];
    if (pcide)
        v |= (2 * as + below(&r->rng, 2)) | (chance(&r->rng, 50) ? VMSIM_CR3_NOFLUSH : 0);
    snprintf(r->op, sizeof r->op, "cr3 0x%" PRIx64, v);
    each_reg(r, VMSIM_REG_CR3, v);
    r->cur = as;
}

static void op_toggle(struct rig *r)
{
    static const uint32_t cr4_bits[] = {VMSIM_CR4_PGE, VMSIM_CR4_SMEP, VMSIM_CR4_SMAP,
                                        VMSIM_CR4_PKE};
    switch (below(&r->rng, 4)) {
    case 0:
        snprintf(r->op, sizeof r->op, "toggle CR0.WP");
        each_reg(r, VMSIM_REG_CR0, reg(r, VMSIM_REG_CR0) ^ VMSIM_CR0_WP);
        break;
    case 1: {
        uint32_t bit = cr4_bits[below(&r->rng, 4)];
        snprintf(r->op, sizeof r->op, "toggle CR4 0x%x", bit);
        each_reg(r, VMSIM_REG_CR4, reg(r, VMSIM_REG_CR4) ^ bit);
        break;
    }
    case 2: {
        uint64_t pkru = next(&r->rng) & next(&r->rng) & 0xffffffffu;
        snprintf(r->op, sizeof r->op, "pkru 0x%" PRIx64, pkru);
        each_reg(r, VMSIM_REG_PKRU, pkru);
        break;
    }
    default: {
        bool ac = chance(&r->rng, 50);
        snprintf(r->op, sizeof r->op, "ac %d", ac);
        for (unsigned i = 0; i < N_MACHINES; i++)
            vmsim_set_ac(r->m[i], ac);
    }
    }
}

static void op_invalidate(struct rig *r)
{
    uint64_t type = below(&r->rng, 5), pcid = below(&r->rng, 4);
    vmsim_vaddr_t va = random_vaddr(r);
    vmsim_status_t rc0;
    if (chance(&r->rng, 40)) {
        snprintf(r->op, sizeof r->op, "invlpg 0x%" PRIx64, va);
        rc0 = vmsim_invlpg(r->m[0], va);
        for (unsigned i = 1; i < N_MACHINES; i++)
            if (vmsim_invlpg(r->m[i], va) != rc0)
                fail_here(r, "invlpg status differs");
        return;
    }
    snprintf(r->op, sizeof r->op, "invpcid %" PRIu64 " %" PRIu64 " 0x%" PRIx64, type, pcid, va);
    rc0 = vmsim_invpcid(r->m[0], type, pcid, va);
    for (unsigned i = 1; i < N_MACHINES; i++)
        if (vmsim_invpcid(r->m[i], type, pcid, va) != rc0)
            fail_here(r, "invpcid status differs");
}

/* Change one hot entry of one table, then flush everything everywhere. */
static void op_edit(struct rig *r)
{
    unsigned t = below(&r->rng, N_TABLES);
    unsigned level = t % (r->five ? 5 : 4);
    uint64_t addr = TABLES + t * 0x1000ull + 8 * r->hot[level][below(&r->rng, N_HOT)];
    uint64_t e = random_entry(r, level);
    snprintf(r->op, sizeof r->op, "edit 0x%" PRIx64 " = 0x%" PRIx64 " + invpcid 2", addr, e);
    put(r, addr, e);
    for (unsigned i = 0; i < N_MACHINES; i++)
        assert_int_equal(vmsim_invpcid(r->m[i], 2, 0, 0), VMSIM_OK);
}

static void one_run(bool five, uint64_t seed, unsigned steps, bool trace, uint64_t *tally)
{
    struct rig r = {.five = five, .rng = seed, .seed = seed, .trace = trace, .tally = tally};
    for (unsigned i = 0; i < N_MACHINES; i++)
        r.m[i] = machine(&r, i);
    fill_tables(&r);
    snprintf(r.op, sizeof r.op, "enter IA-32e mode");
    uint32_t cr4 =
        VMSIM_CR4_PAE | (five ? VMSIM_CR4_LA57 : 0) | (chance(&r.rng, 50) ? VMSIM_CR4_PKE : 0);
    each_reg(&r, VMSIM_REG_EFER, VMSIM_EFER_LME | (chance(&r.rng, 90) ? VMSIM_EFER_NXE : 0));
    each_reg(&r, VMSIM_REG_CR4, cr4);
    each_reg(&r, VMSIM_REG_CR3, r.roots[0]);
    each_reg(&r, VMSIM_REG_CR0, VMSIM_CR0_PG | VMSIM_CR0_PE);
    if (chance(&r.rng, 60))
        each_reg(&r, VMSIM_REG_CR4, cr4 | VMSIM_CR4_PCIDE);
    for (r.step = 0; r.step < steps; r.step++) {
        unsigned k = below(&r.rng, 100);
        if (k < 66)
            op_access(&r);
        else if (k < 70)
            op_change_under_cache(&r);
        else if (k < 78)
            op_edit(&r);
        else if (k < 86)
            op_toggle(&r);
        else if (k < 93)
            op_cr3(&r);
        else
            op_invalidate(&r);
        if (r.trace)
            printf("%u: %s\n", r.step, r.op);
        if (r.step % 64 == 0)
            same_ram(&r, TABLES, N_TABLES * 0x1000);
    }
    snprintf(r.op, sizeof r.op, "end");
    same_ram(&r, 0, RAM);
    vmsim_stats_t st;
    vmsim_get_stats(r.m[1], VMSIM_BANK_PROGRAM, &st);
    tally[4] += st.dtlb.hits + st.itlb.hits;
    for (unsigned i = 0; i < N_MACHINES; i++)
        vmsim_destroy(r.m[i]);
}

static void runs(bool five)
{
    unsigned n = env_unsigned("VMSIM_DIFF_RUNS", DEFAULT_RUNS);
    unsigned steps = env_unsigned("VMSIM_DIFF_STEPS", DEFAULT_STEPS);
    unsigned first = env_unsigned("VMSIM_DIFF_SEED", 1);
    bool trace = env_unsigned("VMSIM_DIFF_TRACE", 0) != 0;
    uint64_t tally[6] = {0};
    for (unsigned i = 0; i < n; i++)
        one_run(five, first + i, steps, trace, tally);
    printf("%s: %" PRIu64 " ok, %" PRIu64 " #PF (+%" PRIu64 " with PK), %" PRIu64 " !bus, %" PRIu64
           " #GP; %" PRIu64 " TLB hits on the default machine\n",
           five ? "5-level" : "4-level", tally[0], tally[1], tally[5], tally[2], tally[3],
           tally[4]);
    /* the runs must reach every outcome, or they prove little */
    if (n * steps >= 1000)
        for (unsigned k = 0; k < 6; k++)
            assert_true(tally[k] > 0);
}

static void four_level_tlbs_and_fast_path_never_change_a_result(void **state)
{
    (void)state;
    runs(false);
}

static void five_level_tlbs_and_fast_path_never_change_a_result(void **state)
{
    (void)state;
    runs(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_level_tlbs_and_fast_path_never_change_a_result),
        cmocka_unit_test(five_level_tlbs_and_fast_path_never_change_a_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
