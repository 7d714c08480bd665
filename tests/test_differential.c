/*
 * test_differential.c - the TLB never changes a result.
 *
 * Random page tables and random operations are run in lockstep on
 * several machines that differ only in their TLBs:
 *
 *     machine 0  no TLB at all (entries = 0): every access walks -- the reference
 *     machine 1  the default TLBs and the fast path
 *     machine 2  a random geometry and policy (often tiny: evictions all the time)
 *     machine 3  another random one, unified or split, fast path on or off,
 *                with a random second-level TLB and PDE cache
 *
 * After every operation the result of each machine must equal the
 * reference's: status, physical address, error code, CR2, fault reason
 * and level, bus address, the bytes read, the status of each register
 * load; at the end (and every few steps for the page tables) the whole
 * of RAM must be identical, A/D bits included.  A run is one seed:
 * 32-bit paging (4 KiB and 4 MiB pages, CR4.PSE fixed on, fixed off, or
 * toggled) or PAE paging (2 MiB pages, EFER.NXE on or off).
 *
 * What a TLB may legitimately do differently is kept out, as the
 * conformance vectors keep it out: after every table edit the generator
 * invalidates what a real kernel must (INVLPG of every linear page that
 * maps through the edited PTE, a sweep or full flush for a PDE, a flush
 * that reloads the PDPTEs for a PDPTE), CR3 is switched to the other
 * address space only while CR4.PGE = 0, EFER.NXE never changes with
 * paging on, and no leaf maps a page-table frame.  Everything else --
 * random P/RW/US/A/D/G/PWT/PCD/PAT/XD and ignored bits, reserved bits,
 * tables and pages outside RAM, a large page that runs past the end of
 * RAM, accesses of every kind, mode and size (1-8 bytes, some crossing
 * pages) through vmsim_access(), the typed loads and stores and the
 * byte-range calls, CR0.WP / CR0.PG / CR4.PGE / SMEP / SMAP / PSE
 * toggles, EFLAGS.AC toggles, INVLPG, CR3 reloads -- is fair game.
 *
 * Environment: VMSIM_DIFF_RUNS (seeds per paging mode), VMSIM_DIFF_STEPS
 * (operations per seed), VMSIM_DIFF_SEED (first seed), VMSIM_DIFF_TRACE=1
 * (print every operation).  A failure prints the seed and the step.
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

#define N_MACHINES  4
#define RAM         0x900000u /* 9 MiB: the large page at 8 MiB runs past the end */
#define TABLES      0x400000u /* page-structure frames live in [TABLES, TABLES + TABLES_SIZE) */
#define TABLES_SIZE 0x20000u
#define N_PT        8  /* page tables, shared at random between PDEs */
#define N_HOT       12 /* page indices most accesses use */
#define N_POOL      48 /* data frames leaves point to */
#define MAX_SLOTS   8  /* PDE slots most accesses use */
#define N_RECENT    8  /* pages accessed lately, for reuse */

#define DEFAULT_RUNS  6
#define DEFAULT_STEPS 2500

enum pse_policy { PSE_ON, PSE_OFF, PSE_TOGGLES };

/* --- random numbers: splitmix64 --------------------------------------------- */

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

/* --- the world the generator keeps ----------------------------------------- */

struct world {
    bool pae, nxe;
    unsigned maxphyaddr;
    enum pse_policy pse;
    uint32_t roots[2];  /* CR3 values: page directories / PDPTs */
    uint64_t pds[2][4]; /* PAE: the page directory behind each PDPTE */
    uint64_t pts[N_PT];
    uint64_t pool[N_POOL];
    unsigned hot[N_HOT];
    unsigned slots[MAX_SLOTS]; /* PDE numbers: linear address >> 22 (32-bit) or >> 21 (PAE) */
    unsigned n_slots;
    unsigned cur;      /* root in CR3 */
    uint32_t cr0, cr4; /* as last accepted */
    bool ac;
    bool pdpt_dirty; /* a PDPTE changed in memory since the registers were loaded */
};

struct rig {
    vmsim_machine_t *m[N_MACHINES];
    char name[N_MACHINES][160];
    struct world w;
    uint64_t rng, seed;
    unsigned step;
    char op[160];
    bool trace;
    uint32_t recent[N_RECENT]; /* pages used lately */
    unsigned n_recent;
    uint64_t n_probes[N_MACHINES]; /* bus errors of probe_bus()'s own accesses */
    uint64_t *tally;               /* ok, #PF, bus (reference); TLB lookups, hits (machine 1) */
};

static unsigned env_unsigned(const char *name, unsigned fallback)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : fallback;
}

/* Report a difference between machine k and the reference, and fail. */
static void mismatch(const struct rig *r, unsigned k, const char *what, uint64_t ref, uint64_t got)
{
    fail_msg("differential (%s paging): seed %" PRIu64 " step %u: %s\n"
             "  %s: reference (%s) 0x%" PRIx64 ", machine %u (%s) 0x%" PRIx64 "\n"
             "  reproduce: VMSIM_DIFF_SEED=%" PRIu64 " VMSIM_DIFF_RUNS=1 VMSIM_DIFF_STEPS=%u "
             "VMSIM_DIFF_TRACE=1",
             r->w.pae ? "PAE" : "32-bit", r->seed, r->step, r->op, what, r->name[0], ref, k,
             r->name[k], got, r->seed, r->step + 1);
}

#define SAME(r, k, what, ref, got)                                                                 \
    do {                                                                                           \
        uint64_t ref_ = (uint64_t)(ref), got_ = (uint64_t)(got);                                   \
        if (ref_ != got_)                                                                          \
            mismatch((r), (k), (what), ref_, got_);                                                \
    } while (0)

static void describe(struct rig *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void describe(struct rig *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->op, sizeof r->op, fmt, ap);
    va_end(ap);
    if (r->trace)
        fprintf(stderr, "seed %" PRIu64 " step %u: %s\n", r->seed, r->step, r->op);
}

/* --- machines -------------------------------------------------------------- */

static vmsim_tlb_config_t random_tlb(uint64_t *s)
{
    uint32_t entries = 1u << below(s, 8); /* 1 .. 128 */
    uint32_t ways = 1u << below(s, 8);
    if (ways > entries)
        ways = entries;
    vmsim_tlb_config_t t = vmsim_tlb_config(entries, ways, (vmsim_tlb_policy_t)below(s, 4));
    t.seed = (uint32_t)next(s);
    return t;
}

static void name_tlb(char *out, size_t n, const vmsim_tlb_config_t *t)
{
    snprintf(out, n, "%ux%u %s", t->entries, t->ways, vmsim_tlb_policy_name(t->policy));
}

static void make_machine(struct rig *r, unsigned k)
{
    vmsim_config_t cfg;
    char d[32], i[32];
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM;
    cfg.maxphyaddr = r->w.maxphyaddr;
    if (k == 0) {
        cfg.dtlb.entries = cfg.itlb.entries = 0;
    } else if (k >= 2) {
        cfg.split_tlb = chance(&r->rng, 60);
        cfg.dtlb = random_tlb(&r->rng);
        cfg.itlb = random_tlb(&r->rng);
        cfg.fast_path = chance(&r->rng, 70);
        if (k == 3) { /* a second-level TLB behind the random L1s, and a PDE cache */
            cfg.stlb = random_tlb(&r->rng);
            cfg.psc_pde = random_tlb(&r->rng);
        }
    }
    name_tlb(d, sizeof d, &cfg.dtlb);
    name_tlb(i, sizeof i, &cfg.itlb);
    if (k == 0)
        snprintf(r->name[k], sizeof r->name[k], "no TLB");
    else
        snprintf(r->name[k], sizeof r->name[k], "dtlb %s%s%s%s, stlb %u", d,
                 cfg.split_tlb ? ", itlb " : ", unified", cfg.split_tlb ? i : "",
                 cfg.fast_path ? ", fast path" : "", cfg.stlb.entries);
    assert_int_equal(vmsim_create(&cfg, &r->m[k]), VMSIM_OK);
}

/* --- physical memory: what may point where --------------------------------- */

static uint64_t table_frame(unsigned i)
{
    return TABLES + 0x1000ull * i;
}

static uint64_t random_data_frame(uint64_t *s)
{
    for (;;) {
        uint64_t f = (uint64_t)below(s, RAM >> 12) << 12;
        if (f < TABLES || f >= TABLES + TABLES_SIZE)
            return f;
    }
}

/* A 4 KiB frame outside RAM: below 4 GiB, or above it within MAXPHYADDR (PAE). */
static uint64_t outside_frame(struct rig *r)
{
    uint64_t f = (RAM + (uint64_t)below(&r->rng, (uint32_t)((0x100000000ull - RAM) >> 12)) * 4096);
    if (r->w.pae && r->w.maxphyaddr > 32 && chance(&r->rng, 50))
        f |= 1ull << (32 + below(&r->rng, r->w.maxphyaddr - 32));
    return f;
}

static uint64_t leaf_frame(struct rig *r)
{
    return chance(&r->rng, 90) ? r->w.pool[below(&r->rng, N_POOL)] : outside_frame(r);
}

static uint64_t table_pointer(struct rig *r)
{
    return chance(&r->rng, 93) ? r->w.pts[below(&r->rng, N_PT)] : outside_frame(r);
}

/* P, RW, US, PWT, PCD, A, D, G and the ignored bits 11:9, at random. */
static uint64_t random_flags(struct rig *r, unsigned p_percent)
{
    uint64_t *s = &r->rng;
    uint64_t e = next(s) &
                 (VMSIM_PTE_PWT | VMSIM_PTE_PCD | VMSIM_PTE_A | VMSIM_PTE_D | VMSIM_PTE_G | 0xe00u);
    if (chance(s, p_percent))
        e |= VMSIM_PTE_P;
    if (chance(s, 75))
        e |= VMSIM_PTE_RW;
    if (chance(s, 75))
        e |= VMSIM_PTE_US;
    return e;
}

/* PAE: XD now and then, and now and then a reserved bit in 62:MAXPHYADDR. */
static uint64_t random_high(struct rig *r)
{
    uint64_t e = 0;
    if (!r->w.pae)
        return 0;
    if (chance(&r->rng, r->w.nxe ? 15 : 4))
        e |= VMSIM_PTE_XD;
    if (chance(&r->rng, 4))
        e |= 1ull << (r->w.maxphyaddr + below(&r->rng, 63 - r->w.maxphyaddr));
    return e;
}

static uint64_t random_pte(struct rig *r)
{
    uint64_t e = random_flags(r, 88) | leaf_frame(r) | random_high(r);
    if (chance(&r->rng, 20))
        e |= VMSIM_PTE_PAT;
    return e;
}

/* A 4 MiB page: the data at 0, the page across the end of RAM, or far out;
 * PSE-36 bits 20:13 and reserved bit 21 now and then. */
static uint64_t large_32(struct rig *r)
{
    static const uint32_t frames[] = {0, 0x800000u, 0x40000000u, 0xffc00000u};
    uint64_t e = frames[below(&r->rng, 4)] | (next(&r->rng) & (1u << 12));
    if (chance(&r->rng, 12))
        e |= (next(&r->rng) & 0xffu) << 13;
    if (chance(&r->rng, 5))
        e |= 1u << 21;
    return e;
}

static uint64_t random_pde_32(struct rig *r)
{
    uint64_t e = random_flags(r, 90);
    bool ps = chance(&r->rng, 25);
    if (!ps)
        return e | table_pointer(r);
    if (r->w.pse == PSE_ON)
        return e | VMSIM_PTE_PS | large_32(r);
    if (r->w.pse == PSE_OFF) /* PS is ignored: it must be a sound table pointer */
        return e | VMSIM_PTE_PS | table_pointer(r);
    /* PSE toggles: the entry must be harmless read either way, so it points far
     * outside RAM both as a page table and as a 4 MiB page. */
    return e | VMSIM_PTE_PS | (0x40000000u + (next(&r->rng) & 0x3ffff000u));
}

/* A 2 MiB page: frames 0, 2M, 6M, 8M (across the end of RAM) or outside. */
static uint64_t large_pae(struct rig *r)
{
    static const uint32_t frames[] = {0, 0x200000u, 0x600000u, 0x800000u};
    uint64_t e = chance(&r->rng, 85) ? frames[below(&r->rng, 4)] : outside_frame(r) & ~0x1fffffull;
    e |= next(&r->rng) & (1u << 12); /* PAT */
    if (chance(&r->rng, 5))
        e |= 1ull << (13 + below(&r->rng, 8)); /* reserved bits 20:13 */
    return e;
}

static uint64_t random_pde_pae(struct rig *r)
{
    uint64_t e = random_flags(r, 90) | random_high(r);
    if (chance(&r->rng, 30))
        return e | VMSIM_PTE_PS | large_pae(r);
    return e | table_pointer(r);
}

static uint64_t random_pde(struct rig *r)
{
    return r->w.pae ? random_pde_pae(r) : random_pde_32(r);
}

/* A PDPTE always points to its own page directory; only P, PWT, PCD and
 * the ignored bits 11:9 vary (reserved PDPTE bits are test_pae.c's). */
static uint64_t random_pdpte(struct rig *r, unsigned root, unsigned i)
{
    uint64_t e = r->w.pds[root][i] | (next(&r->rng) & (VMSIM_PTE_PWT | VMSIM_PTE_PCD | 0xe00u));
    return chance(&r->rng, 90) ? e | VMSIM_PTE_P : e;
}

/* --- writing entries into every machine ------------------------------------ */

static vmsim_mode_t random_mode(struct rig *r)
{
    return chance(&r->rng, 40) ? VMSIM_USER : VMSIM_SUPERVISOR;
}

static unsigned width(const struct rig *r)
{
    return r->w.pae ? 8 : 4;
}

static uint64_t read_entry(const struct rig *r, uint64_t addr)
{
    uint64_t v = 0;
    assert_int_equal(vmsim_bus_read(r->m[0], addr, &v, width(r)), VMSIM_OK);
    return v;
}

static void write_entry(struct rig *r, uint64_t addr, uint64_t value)
{
    for (unsigned k = 0; k < N_MACHINES; k++)
        assert_int_equal(vmsim_bus_write(r->m[k], addr, &value, width(r)), VMSIM_OK);
}

/* The address of PDE number `slot` of root `root`. */
static uint64_t pde_addr(const struct rig *r, unsigned root, unsigned slot)
{
    if (!r->w.pae)
        return r->w.roots[root] + 4ull * slot;
    return r->w.pds[root][slot >> 9] + 8ull * (slot & 511);
}

static unsigned n_pdes(const struct rig *r)
{
    return r->w.pae ? 2048 : 1024;
}
static unsigned pde_shift(const struct rig *r)
{
    return r->w.pae ? 21 : 22;
}
static unsigned pte_count(const struct rig *r)
{
    return r->w.pae ? 512 : 1024;
}

static void build_world(struct rig *r)
{
    struct world *w = &r->w;
    unsigned next_table = 2;
    w->roots[0] = (uint32_t)table_frame(0);
    w->roots[1] = (uint32_t)table_frame(1) + (w->pae ? 0x20u * below(&r->rng, 128) : 0);
    if (w->pae)
        for (unsigned root = 0; root < 2; root++)
            for (unsigned i = 0; i < 4; i++)
                w->pds[root][i] = table_frame(next_table++);
    for (unsigned i = 0; i < N_PT; i++)
        w->pts[i] = table_frame(next_table++);
    for (unsigned i = 0; i < N_POOL; i++)
        w->pool[i] = random_data_frame(&r->rng);
    for (unsigned i = 0; i < N_HOT; i++)
        w->hot[i] = below(&r->rng, pte_count(r));
    w->n_slots = 4 + below(&r->rng, MAX_SLOTS - 3);
    for (unsigned i = 0; i < w->n_slots; i++)
        w->slots[i] = below(&r->rng, n_pdes(r));
}

static void fill_tables(struct rig *r)
{
    struct world *w = &r->w;
    for (unsigned root = 0; root < 2; root++) {
        for (unsigned i = 0; w->pae && i < 4; i++)
            write_entry(r, w->roots[root] + 8ull * i, random_pdpte(r, root, i));
        for (unsigned i = 0; i < w->n_slots; i++)
            write_entry(r, pde_addr(r, root, w->slots[i]), random_pde(r));
    }
    for (unsigned t = 0; t < N_PT; t++) {
        for (unsigned i = 0; i < N_HOT; i++)
            write_entry(r, w->pts[t] + width(r) * w->hot[i], random_pte(r));
        for (unsigned i = 0; i < 8; i++)
            write_entry(r, w->pts[t] + width(r) * below(&r->rng, pte_count(r)), random_pte(r));
    }
}

/* Random bytes in the data frames, so that reads have something to compare. */
static void fill_data(struct rig *r)
{
    uint8_t buf[256];
    for (unsigned i = 0; i < N_POOL; i++) {
        for (unsigned j = 0; j < sizeof buf; j++)
            buf[j] = (uint8_t)next(&r->rng);
        for (unsigned k = 0; k < N_MACHINES; k++)
            for (unsigned off = 0; off < 4096; off += 1024)
                vmsim_bus_write(r->m[k], r->w.pool[i] + off + 768, buf, sizeof buf);
    }
}

/* --- register loads and flushes ------------------------------------------- */

/* Load `reg` on every machine; all must agree on the status.  Returns it. */
static vmsim_status_t load_reg(struct rig *r, vmsim_reg_t reg, uint64_t value)
{
    vmsim_status_t ref = vmsim_write_reg(r->m[0], reg, value);
    for (unsigned k = 1; k < N_MACHINES; k++)
        SAME(r, k, "register load status", ref, vmsim_write_reg(r->m[k], reg, value));
    if (ref == VMSIM_OK && reg == VMSIM_REG_CR0)
        r->w.cr0 = (uint32_t)value;
    if (ref == VMSIM_OK && reg == VMSIM_REG_CR4)
        r->w.cr4 = (uint32_t)value;
    return ref;
}

static bool paging_on(const struct rig *r)
{
    return r->w.cr0 & VMSIM_CR0_PG;
}

static void invlpg_all(struct rig *r, uint32_t vaddr)
{
    for (unsigned k = 0; k < N_MACHINES; k++)
        assert_int_equal(vmsim_invlpg(r->m[k], vaddr), VMSIM_OK);
}

/* Reload CR3 with the current root (PAE: the PDPTEs too, when paging is on). */
static void reload_cr3(struct rig *r)
{
    if (load_reg(r, VMSIM_REG_CR3, r->w.roots[r->w.cur]) == VMSIM_OK && paging_on(r))
        r->w.pdpt_dirty = false;
}

/* Invalidate every TLB entry, global ones too, the way software does it:
 * toggle CR4.PGE when it is set, else reload CR3. */
static void full_flush(struct rig *r)
{
    if (r->w.cr4 & VMSIM_CR4_PGE) {
        load_reg(r, VMSIM_REG_CR4, r->w.cr4 & ~VMSIM_CR4_PGE);
        load_reg(r, VMSIM_REG_CR4, r->w.cr4 | VMSIM_CR4_PGE);
        if (paging_on(r))
            r->w.pdpt_dirty = false;
    } else {
        reload_cr3(r);
    }
}

/* INVLPG every page of PDE number `slot`. */
static void sweep_slot(struct rig *r, unsigned slot)
{
    uint32_t base = (uint32_t)slot << pde_shift(r);
    for (unsigned i = 0; i < pte_count(r); i++)
        invlpg_all(r, base + (i << 12));
}

/* After PTE `index` of page table `pt` changed: INVLPG each linear page of
 * the current address space that maps through it (page tables are shared). */
static void invalidate_pte(struct rig *r, uint64_t pt, unsigned index)
{
    uint64_t mask = r->w.pae ? 0x000ffffffffff000ull : 0xfffff000ull;
    for (unsigned slot = 0; slot < n_pdes(r); slot++)
        if ((read_entry(r, pde_addr(r, r->w.cur, slot)) & mask) == pt)
            invlpg_all(r, ((uint32_t)slot << pde_shift(r)) + (index << 12));
}

/* --- comparing ------------------------------------------------------------- */

static void same_fault(const struct rig *r, unsigned k, const vmsim_fault_t *a,
                       const vmsim_fault_t *b)
{
    SAME(r, k, "error code", a->error_code, b->error_code);
    SAME(r, k, "fault CR2", a->cr2, b->cr2);
    SAME(r, k, "fault reason", a->reason, b->reason);
    SAME(r, k, "fault level", a->level, b->level);
    SAME(r, k, "fault access", a->access, b->access);
    SAME(r, k, "fault mode", a->mode, b->mode);
}

static void same_result(const struct rig *r, unsigned k, const vmsim_result_t *a,
                        const vmsim_result_t *b)
{
    SAME(r, k, "status", a->status, b->status);
    if (a->status == VMSIM_OK)
        SAME(r, k, "physical address", a->paddr, b->paddr);
    else if (a->status == VMSIM_ERR_BUS)
        SAME(r, k, "bus address", a->bus_addr, b->bus_addr);
    else if (a->status == VMSIM_ERR_PAGE_FAULT)
        same_fault(r, k, &a->fault, &b->fault);
}

static uint64_t cr2(vmsim_machine_t *m)
{
    uint64_t v = 0;
    vmsim_read_reg(m, VMSIM_REG_CR2, &v);
    return v;
}

/* CR2 and the last fault, which every kind of access may have changed. */
static void same_fault_state(const struct rig *r, unsigned k)
{
    vmsim_fault_t a, b;
    SAME(r, k, "CR2", cr2(r->m[0]), cr2(r->m[k]));
    vmsim_last_fault(r->m[0], &a);
    vmsim_last_fault(r->m[k], &b);
    same_fault(r, k, &a, &b);
}

static void same_bytes(const struct rig *r, unsigned k, const uint8_t *a, const uint8_t *b,
                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        SAME(r, k, "byte read", a[i], b[i]);
}

static void same_ram(const struct rig *r, uint64_t from, uint64_t len)
{
    static uint8_t a[65536], b[65536];
    for (uint64_t at = from; at < from + len; at += sizeof a) {
        size_t n = (size_t)(from + len - at < sizeof a ? from + len - at : sizeof a);
        vmsim_bus_read(r->m[0], at, a, n);
        for (unsigned k = 1; k < N_MACHINES; k++) {
            vmsim_bus_read(r->m[k], at, b, n);
            if (memcmp(a, b, n) == 0)
                continue;
            size_t i = 0;
            while (a[i] == b[i])
                i++;
            char what[64];
            snprintf(what, sizeof what, "RAM byte at 0x%" PRIx64, at + i);
            mismatch(r, k, what, a[i], b[i]);
        }
    }
}

/* The counters of events that do not depend on the TLB. */
static void same_event_counts(const struct rig *r)
{
    vmsim_stats_t a, b;
    vmsim_get_stats(r->m[0], VMSIM_BANK_PROGRAM, &a);
    for (unsigned k = 1; k < N_MACHINES; k++) {
        vmsim_get_stats(r->m[k], VMSIM_BANK_PROGRAM, &b);
        SAME(r, k, "page faults counted", a.faults, b.faults);
        SAME(r, k, "not-present faults counted", a.faults_not_present, b.faults_not_present);
        SAME(r, k, "protection faults counted", a.faults_protection, b.faults_protection);
        SAME(r, k, "reserved-bit faults counted", a.faults_reserved, b.faults_reserved);
        SAME(r, k, "bus errors counted", a.bus_errors, b.bus_errors - r->n_probes[k]);
        SAME(r, k, "CR3 loads counted", a.cr3_loads, b.cr3_loads);
        SAME(r, k, "INVLPGs counted", a.invlpgs, b.invlpgs);
        SAME(r, k, "control-register flushes counted", a.cr_flushes, b.cr_flushes);
    }
}

/* --- accesses -------------------------------------------------------------- */

/* Tally the reference's outcome; remember the page of a successful access. */
static void count(struct rig *r, vmsim_status_t status, uint32_t vaddr)
{
    r->tally[status == VMSIM_OK ? 0 : status == VMSIM_ERR_PAGE_FAULT ? 1 : 2]++;
    if (status == VMSIM_OK)
        r->recent[r->n_recent++ % N_RECENT] = vaddr & ~0xfffu;
}

static bool overlaps_tables(uint32_t vaddr, unsigned len)
{
    return (uint64_t)vaddr + len > TABLES && vaddr < TABLES + TABLES_SIZE;
}

/* Writes with paging off go straight to physical memory: keep them off the tables. */
static bool write_allowed(const struct rig *r, uint32_t vaddr, unsigned len)
{
    return paging_on(r) || !overlaps_tables(vaddr, len);
}

/* Half the time a page that an access reached lately (so that TLB entries
 * get hit, by other kinds, modes and sizes), else a fresh one: mostly the hot pages of
 * the PDE slots, sometimes anywhere; with paging off, mostly in RAM. */
static uint32_t random_vaddr(struct rig *r, unsigned size)
{
    uint64_t *s = &r->rng;
    uint32_t base, offset;
    if (chance(s, 50) && r->n_recent)
        base = r->recent[below(s, r->n_recent < N_RECENT ? r->n_recent : N_RECENT)];
    else if (!paging_on(r) && chance(s, 70))
        base = below(s, RAM >> 12) << 12;
    else if (chance(s, 85))
        base = ((uint32_t)r->w.slots[below(s, r->w.n_slots)] << pde_shift(r)) +
               ((chance(s, 90) ? r->w.hot[below(s, N_HOT)] : below(s, pte_count(r))) << 12);
    else
        base = (uint32_t)next(s) & ~0xfffu;
    switch (below(s, 10)) {
    case 0:
    case 1: offset = 4096 - size + below(s, size); break; /* crosses when size > 1 */
    case 2:
    case 3: offset = below(s, 4096); break;
    default: offset = below(s, 4096) & ~(size - 1); break;
    }
    return base + offset;
}

/* Machine k is about to make an access the reference found outside RAM.
 * Ask it first with a data-less read of the same pages: a machine that
 * wrongly says OK would otherwise move data outside its RAM array. */
static void probe_bus(struct rig *r, unsigned k, vmsim_access_t access, vmsim_mode_t mode,
                      uint32_t vaddr, unsigned size, const vmsim_result_t *ref)
{
    vmsim_result_t res;
    vmsim_access_t probe = access == VMSIM_FETCH ? VMSIM_FETCH : VMSIM_READ;
    vmsim_access(r->m[k], probe, mode, vaddr, NULL, size, &res);
    r->n_probes[k]++;
    SAME(r, k, "status (data-less probe of an access outside RAM)", ref->status, res.status);
}

static void op_access(struct rig *r)
{
    static const char *const kinds[] = {"read", "write", "fetch"};
    vmsim_access_t access = (vmsim_access_t)below(&r->rng, 3);
    vmsim_mode_t mode = random_mode(r);
    unsigned size = 1u << below(&r->rng, 4);
    uint32_t vaddr = random_vaddr(r, size);
    bool null_buf = chance(&r->rng, 20);
    uint8_t data[8], ref_buf[8], buf[8];
    if (access == VMSIM_WRITE && !write_allowed(r, vaddr, size))
        access = VMSIM_READ;
    for (unsigned i = 0; i < 8; i++)
        data[i] = (uint8_t)next(&r->rng);
    describe(r, "vmsim_access %s %s 0x%" PRIx32 " %u%s", kinds[access], vmsim_mode_name(mode),
             vaddr, size, null_buf ? " (no buffer)" : "");
    vmsim_result_t ref, res;
    memcpy(ref_buf, data, 8);
    vmsim_access(r->m[0], access, mode, vaddr, null_buf ? NULL : ref_buf, size, &ref);
    count(r, ref.status, vaddr);
    for (unsigned k = 1; k < N_MACHINES; k++) {
        if (ref.status == VMSIM_ERR_BUS && !null_buf)
            probe_bus(r, k, access, mode, vaddr, size, &ref);
        memcpy(buf, data, 8);
        vmsim_access(r->m[k], access, mode, vaddr, null_buf ? NULL : buf, size, &res);
        same_result(r, k, &ref, &res);
        if (ref.status == VMSIM_OK && access != VMSIM_WRITE && !null_buf)
            same_bytes(r, k, ref_buf, buf, size);
        same_fault_state(r, k);
    }
}

/* One typed call (vmsim_read8 ... vmsim_fetch32) on machine `m`. */
static vmsim_status_t typed(vmsim_machine_t *m, unsigned which, vmsim_mode_t mode, uint32_t va,
                            uint64_t value, uint64_t *out)
{
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    vmsim_status_t rc;
    *out = 0;
    switch (which) {
    case 0:
        rc = vmsim_read8(m, mode, va, &v8);
        *out = v8;
        return rc;
    case 1:
        rc = vmsim_read16(m, mode, va, &v16);
        *out = v16;
        return rc;
    case 2:
        rc = vmsim_read32(m, mode, va, &v32);
        *out = v32;
        return rc;
    case 3: return vmsim_read64(m, mode, va, out);
    case 4:
        rc = vmsim_fetch32(m, mode, va, &v32);
        *out = v32;
        return rc;
    case 5: return vmsim_write8(m, mode, va, (uint8_t)value);
    case 6: return vmsim_write16(m, mode, va, (uint16_t)value);
    case 7: return vmsim_write32(m, mode, va, (uint32_t)value);
    default: return vmsim_write64(m, mode, va, value);
    }
}

static void op_typed(struct rig *r)
{
    static const char *const names[] = {"read8",  "read16",  "read32",  "read64", "fetch32",
                                        "write8", "write16", "write32", "write64"};
    static const unsigned sizes[] = {1, 2, 4, 8, 4, 1, 2, 4, 8};
    unsigned which = below(&r->rng, 9);
    vmsim_mode_t mode = random_mode(r);
    uint32_t vaddr = random_vaddr(r, sizes[which]);
    uint64_t value = next(&r->rng), ref_out, out;
    if (which >= 5 && !write_allowed(r, vaddr, sizes[which]))
        which -= 5;
    describe(r, "vmsim_%s %s 0x%" PRIx32, names[which], vmsim_mode_name(mode), vaddr);
    vmsim_status_t ref = typed(r->m[0], which, mode, vaddr, value, &ref_out);
    count(r, ref, vaddr);
    for (unsigned k = 1; k < N_MACHINES; k++) {
        if (ref == VMSIM_ERR_BUS) {
            vmsim_result_t bus = {.status = VMSIM_ERR_BUS};
            probe_bus(r, k, which == 4 ? VMSIM_FETCH : VMSIM_READ, mode, vaddr, sizes[which], &bus);
        }
        SAME(r, k, "status", ref, typed(r->m[k], which, mode, vaddr, value, &out));
        if (ref == VMSIM_OK)
            SAME(r, k, "value read", ref_out, out);
        same_fault_state(r, k);
    }
}

/* vmsim_read_bytes / write_bytes / fill_bytes of 1-8 bytes on machine m. */
static vmsim_status_t ranged(vmsim_machine_t *m, unsigned which, vmsim_mode_t mode, uint32_t va,
                             uint8_t *buf, size_t len, size_t *done)
{
    if (which == 0)
        return vmsim_read_bytes(m, mode, va, buf, len, done);
    if (which == 1)
        return vmsim_write_bytes(m, mode, va, buf, len, done);
    return vmsim_fill_bytes(m, mode, va, buf[0], len, done);
}

static void op_range(struct rig *r)
{
    static const char *const names[] = {"read_bytes", "write_bytes", "fill_bytes"};
    unsigned which = below(&r->rng, 3);
    vmsim_mode_t mode = random_mode(r);
    size_t len = 1 + below(&r->rng, 8), ref_done, done;
    uint32_t vaddr = random_vaddr(r, (unsigned)len);
    uint8_t data[8], ref_buf[8], buf[8];
    if (which && !write_allowed(r, vaddr, (unsigned)len))
        which = 0;
    for (unsigned i = 0; i < 8; i++)
        data[i] = (uint8_t)next(&r->rng);
    describe(r, "vmsim_%s %s 0x%" PRIx32 " %zu", names[which], vmsim_mode_name(mode), vaddr, len);
    memcpy(ref_buf, data, 8);
    vmsim_status_t ref = ranged(r->m[0], which, mode, vaddr, ref_buf, len, &ref_done);
    count(r, ref, vaddr);
    for (unsigned k = 1; k < N_MACHINES; k++) {
        if (ref == VMSIM_ERR_BUS) {
            vmsim_result_t bus = {.status = VMSIM_ERR_BUS};
            probe_bus(r, k, VMSIM_READ, mode, vaddr + (uint32_t)ref_done, 1, &bus);
        }
        memcpy(buf, data, 8);
        SAME(r, k, "status", ref, ranged(r->m[k], which, mode, vaddr, buf, len, &done));
        SAME(r, k, "bytes done", ref_done, done);
        if (which == 0)
            same_bytes(r, k, ref_buf, buf, ref_done);
        same_fault_state(r, k);
    }
}

/* vmsim_translate() never touches the TLB: every machine must agree. */
static void op_translate(struct rig *r)
{
    vmsim_access_t access = (vmsim_access_t)below(&r->rng, 3);
    vmsim_mode_t mode = random_mode(r);
    uint32_t vaddr = random_vaddr(r, 1);
    vmsim_translation_t a, b;
    describe(r, "vmsim_translate %s 0x%" PRIx32, vmsim_access_name(access), vaddr);
    vmsim_translate(r->m[0], access, mode, vaddr, &a);
    for (unsigned k = 1; k < N_MACHINES; k++) {
        vmsim_translate(r->m[k], access, mode, vaddr, &b);
        SAME(r, k, "translate outcome", a.outcome, b.outcome);
        SAME(r, k, "translate paddr", a.paddr, b.paddr);
        SAME(r, k, "translate steps", a.n_steps, b.n_steps);
        for (unsigned i = 0; i < a.n_steps; i++)
            SAME(r, k, "translate step value", a.steps[i].new_value, b.steps[i].new_value);
    }
}

/* --- table edits, each followed by the invalidation it needs ------------- */

/* A new value for an entry: a fresh random one, or the old one with a few
 * bits flipped (P, RW, US, A, D, G, PS-free bits, XD). */
static uint64_t mutate(struct rig *r, uint64_t old, uint64_t fresh)
{
    static const uint64_t flips[] = {VMSIM_PTE_P, VMSIM_PTE_RW, VMSIM_PTE_US, VMSIM_PTE_A,
                                     VMSIM_PTE_D, VMSIM_PTE_G,  VMSIM_PTE_XD};
    if (chance(&r->rng, 50))
        return fresh;
    unsigned n = r->w.pae && r->w.nxe ? 7 : 6;
    return old ^ flips[below(&r->rng, n)];
}

static void op_edit_pte(struct rig *r)
{
    uint64_t pt = r->w.pts[below(&r->rng, N_PT)];
    unsigned index =
        chance(&r->rng, 80) ? r->w.hot[below(&r->rng, N_HOT)] : below(&r->rng, pte_count(r));
    uint64_t addr = pt + width(r) * index;
    uint64_t value = mutate(r, read_entry(r, addr), random_pte(r));
    describe(r, "PTE at 0x%" PRIx64 " := 0x%" PRIx64 ", then invalidate", addr, value);
    write_entry(r, addr, value);
    if (chance(&r->rng, 80))
        invalidate_pte(r, pt, index);
    else
        full_flush(r);
}

static void op_edit_pde(struct rig *r)
{
    unsigned root = chance(&r->rng, 80) ? r->w.cur : 1 - r->w.cur;
    unsigned slot = r->w.slots[below(&r->rng, r->w.n_slots)];
    uint64_t addr = pde_addr(r, root, slot);
    uint64_t value = mutate(r, read_entry(r, addr), random_pde(r));
    describe(r, "PDE at 0x%" PRIx64 " := 0x%" PRIx64 ", then invalidate", addr, value);
    write_entry(r, addr, value);
    if (root != r->w.cur)
        return; /* the other address space has nothing in the TLB */
    if (chance(&r->rng, 50))
        sweep_slot(r, slot);
    else
        full_flush(r);
}

/* PAE: the new PDPTE counts only from the next PDPTE load. */
static void op_edit_pdpte(struct rig *r)
{
    unsigned root = below(&r->rng, 2), i = below(&r->rng, 4);
    uint64_t value = random_pdpte(r, root, i);
    describe(r, "PDPTE %u of root %u := 0x%" PRIx64, i, root, value);
    write_entry(r, r->w.roots[root] + 8ull * i, value);
    if (root == r->w.cur)
        r->w.pdpt_dirty = true;
}

/* --- register operations -------------------------------------------------- */

static void op_cr3_reload(struct rig *r)
{
    describe(r, "reload CR3 = 0x%" PRIx32 "%s", r->w.roots[r->w.cur],
             r->w.pdpt_dirty && (r->w.cr4 & VMSIM_CR4_PGE) ? " (as a CR4.PGE toggle)" : "");
    /* With globals kept across the load, a changed PDPTE needs a full flush. */
    if (r->w.pae && r->w.pdpt_dirty && (r->w.cr4 & VMSIM_CR4_PGE))
        full_flush(r);
    else
        reload_cr3(r);
}

static void op_cr3_switch(struct rig *r)
{
    if (r->w.cr4 & VMSIM_CR4_PGE)
        return; /* global entries would belong to the other address space */
    r->w.cur = 1 - r->w.cur;
    describe(r, "switch CR3 to 0x%" PRIx32, r->w.roots[r->w.cur]);
    reload_cr3(r);
}

static void op_invlpg(struct rig *r)
{
    uint32_t vaddr = random_vaddr(r, 1);
    describe(r, "invlpg 0x%" PRIx32, vaddr);
    invlpg_all(r, vaddr);
}

static void op_toggle_cr0(struct rig *r)
{
    uint32_t bit = chance(&r->rng, 80) ? VMSIM_CR0_WP : VMSIM_CR0_PG;
    describe(r, "CR0 := 0x%" PRIx32, r->w.cr0 ^ bit);
    if (load_reg(r, VMSIM_REG_CR0, r->w.cr0 ^ bit) == VMSIM_OK && (bit & VMSIM_CR0_PG) &&
        paging_on(r))
        r->w.pdpt_dirty = false;
}

static void op_toggle_cr4(struct rig *r)
{
    static const uint32_t bits[] = {VMSIM_CR4_PGE, VMSIM_CR4_SMEP, VMSIM_CR4_SMAP, VMSIM_CR4_PSE};
    unsigned n = !r->w.pae && r->w.pse == PSE_TOGGLES ? 4 : 3;
    uint32_t bit = bits[below(&r->rng, n)];
    describe(r, "CR4 := 0x%" PRIx32, r->w.cr4 ^ bit);
    if (load_reg(r, VMSIM_REG_CR4, r->w.cr4 ^ bit) == VMSIM_OK && bit != VMSIM_CR4_SMAP &&
        paging_on(r))
        r->w.pdpt_dirty = false; /* PGE, SMEP, PSE changes reload the PDPTEs */
}

static void op_toggle_ac(struct rig *r)
{
    r->w.ac = !r->w.ac;
    describe(r, "ac %d", r->w.ac);
    for (unsigned k = 0; k < N_MACHINES; k++)
        assert_int_equal(vmsim_set_ac(r->m[k], r->w.ac), VMSIM_OK);
}

static void op_check_tables(struct rig *r)
{
    describe(r, "compare the page tables");
    same_ram(r, TABLES, TABLES_SIZE);
}

/* --- a run --------------------------------------------------------------- */

static const struct {
    unsigned weight;
    void (*run)(struct rig *r);
} ops[] = {
    {110, op_access},   {20, op_typed},       {10, op_range},     {3, op_translate},
    {10, op_edit_pte},  {3, op_edit_pde},     {1, op_edit_pdpte}, {2, op_cr3_reload},
    {1, op_cr3_switch}, {3, op_invlpg},       {2, op_toggle_cr0}, {2, op_toggle_cr4},
    {3, op_toggle_ac},  {1, op_check_tables},
};

static void one_step(struct rig *r)
{
    unsigned total = 0, pick;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        total += ops[i].weight;
    pick = below(&r->rng, total);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (pick < ops[i].weight) {
            if (ops[i].run != op_edit_pdpte || r->w.pae)
                ops[i].run(r);
            return;
        }
        pick -= ops[i].weight;
    }
}

static void choose_world(struct rig *r, bool pae)
{
    static const unsigned widths[] = {32, 36, 40, 52};
    memset(&r->w, 0, sizeof r->w);
    r->w.pae = pae;
    r->w.maxphyaddr = widths[below(&r->rng, 4)];
    r->w.nxe = pae && chance(&r->rng, 60);
    r->w.pse = (enum pse_policy)below(&r->rng, 3);
}

/* EFER first, then CR3, CR4 and CR0, as a kernel turns paging on. */
static void start_paging(struct rig *r)
{
    uint32_t cr4 = (uint32_t)next(&r->rng) & (VMSIM_CR4_PGE | VMSIM_CR4_SMEP | VMSIM_CR4_SMAP);
    if (r->w.pae)
        cr4 |= VMSIM_CR4_PAE;
    else if (r->w.pse == PSE_ON || (r->w.pse == PSE_TOGGLES && chance(&r->rng, 50)))
        cr4 |= VMSIM_CR4_PSE;
    describe(r, "start paging, CR4 = 0x%" PRIx32, cr4);
    assert_int_equal(load_reg(r, VMSIM_REG_EFER, r->w.nxe ? VMSIM_EFER_NXE : 0), VMSIM_OK);
    assert_int_equal(load_reg(r, VMSIM_REG_CR3, r->w.roots[0]), VMSIM_OK);
    assert_int_equal(load_reg(r, VMSIM_REG_CR4, cr4), VMSIM_OK);
    uint32_t cr0 = VMSIM_CR0_PG | VMSIM_CR0_PE | (chance(&r->rng, 50) ? VMSIM_CR0_WP : 0);
    assert_int_equal(load_reg(r, VMSIM_REG_CR0, cr0), VMSIM_OK);
}

static void run_seed(uint64_t seed, bool pae, unsigned steps, bool trace, uint64_t *tally)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    r.tally = tally;
    r.seed = seed;
    r.rng = seed * 2 + pae;
    r.trace = trace;
    choose_world(&r, pae);
    for (unsigned k = 0; k < N_MACHINES; k++)
        make_machine(&r, k);
    if (trace)
        for (unsigned k = 0; k < N_MACHINES; k++)
            fprintf(stderr, "machine %u: %s\n", k, r.name[k]);
    build_world(&r);
    fill_tables(&r);
    fill_data(&r);
    start_paging(&r);
    for (r.step = 0; r.step < steps; r.step++)
        one_step(&r);
    describe(&r, "compare all of RAM and the event counters at the end");
    same_ram(&r, 0, RAM);
    same_event_counts(&r);
    vmsim_stats_t st;
    vmsim_get_stats(r.m[1], VMSIM_BANK_PROGRAM, &st);
    tally[3] += st.dtlb.lookups + st.itlb.lookups;
    tally[4] += st.dtlb.hits + st.itlb.hits;
    for (unsigned k = 0; k < N_MACHINES; k++)
        vmsim_destroy(r.m[k]);
}

static void run_seeds(bool pae)
{
    unsigned runs = env_unsigned("VMSIM_DIFF_RUNS", DEFAULT_RUNS);
    unsigned steps = env_unsigned("VMSIM_DIFF_STEPS", DEFAULT_STEPS);
    uint64_t first = env_unsigned("VMSIM_DIFF_SEED", 1);
    bool trace = env_unsigned("VMSIM_DIFF_TRACE", 0) != 0;
    uint64_t tally[5] = {0, 0, 0, 0, 0};
    for (uint64_t seed = first; seed < first + runs; seed++)
        run_seed(seed, pae, steps, trace, tally);
    uint64_t n = tally[0] + tally[1] + tally[2];
    printf("%s: seeds %" PRIu64 "..%" PRIu64 ", %u steps each: %" PRIu64 " accesses, %" PRIu64
           " ok, %" PRIu64 " #PF, %" PRIu64 " outside RAM; "
           "default TLB: %" PRIu64 " hits in %" PRIu64 " lookups\n",
           pae ? "PAE" : "32-bit", first, first + runs - 1, steps, n, tally[0], tally[1], tally[2],
           tally[4], tally[3]);
}

static void tlb_never_changes_a_result_under_32bit_paging(void **state)
{
    (void)state;
    run_seeds(false);
}

static void tlb_never_changes_a_result_under_pae_paging(void **state)
{
    (void)state;
    run_seeds(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tlb_never_changes_a_result_under_32bit_paging),
        cmocka_unit_test(tlb_never_changes_a_result_under_pae_paging),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
