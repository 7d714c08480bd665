/*
 * test_tlb_wide.c - TLBs with wide sets (more than 32 ways, which are
 * searched through an index) give exactly the spec's answers (issue 9,
 * item 5).
 *
 * A naive model of shared/spec/tlb.md -- every way of a set compared,
 * the lowest invalid way filled, LRU / FIFO / PLRU / random victims read
 * off per-way stamps -- runs beside a machine whose data TLB has wide
 * sets.  Random supervisor reads over 4 KiB pages and 4 MiB pages, with
 * INVLPGs and whole flushes mixed in, must give the same hit, miss,
 * fill, eviction and invalidation counts after every operation, and
 * the same contents in every way (set, way, page) every few hundred.
 * Geometries: 64 ways fully associative, 2 sets of 128, 1,536 ways (not
 * a power of two), 4 sets of 512 under PLRU; the pages outnumber the
 * entries, so victims are chosen all the time.  The fast path stays on:
 * its hits must keep the index's replacement order as modelled hits do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <vmsim/vmsim.h>

#define PD         0x1000u
#define PT         0x2000u /* 4 page tables: 16 MiB of 4 KiB pages */
#define SMALL_PGS  4096u
#define LARGE_BASE (16u << 20) /* then 8 pages of 4 MiB: 16 .. 48 MiB */
#define N_LARGE    8u

struct mway {
    uint32_t key; /* vpn << 2 | code, 0 invalid (as the library's) */
    uint64_t used, filled;
};

struct model {
    vmsim_tlb_config_t cfg;
    uint32_t n_sets;
    struct mway *w;
    uint64_t clock;
    uint32_t rng;
    vmsim_tlb_stats_t st;
};

static uint32_t key_of(uint32_t vaddr, bool large)
{
    return large ? (vaddr >> 22) << 2 | 3 : (vaddr >> 12) << 2 | 1;
}

static struct mway *mset(struct model *m, uint32_t key)
{
    return &m->w[(size_t)((key >> 2) & (m->n_sets - 1)) * m->cfg.ways];
}

static uint64_t newest(const struct mway *w, uint32_t n)
{
    uint64_t max = 0;
    for (uint32_t i = 0; i < n; i++)
        max = w[i].used > max ? w[i].used : max;
    return max;
}

static uint32_t victim(struct model *m, const struct mway *set)
{
    uint32_t n = m->cfg.ways, v = 0;
    switch (m->cfg.policy) {
    case VMSIM_TLB_LRU:
    case VMSIM_TLB_FIFO:
        for (uint32_t i = 1; i < n; i++) {
            bool fifo = m->cfg.policy == VMSIM_TLB_FIFO;
            if ((fifo ? set[i].filled : set[i].used) < (fifo ? set[v].filled : set[v].used))
                v = i;
        }
        return v;
    case VMSIM_TLB_PLRU:
        for (uint32_t half = n / 2; half; half /= 2)
            if (newest(set + v, half) > newest(set + v + half, half))
                v += half;
        return v;
    default:
        m->rng ^= m->rng << 13;
        m->rng ^= m->rng >> 17;
        m->rng ^= m->rng << 5;
        return m->rng % n;
    }
}

static void model_access(struct model *m, uint32_t vaddr, bool large)
{
    uint32_t key = key_of(vaddr, large);
    struct mway *set = mset(m, key);
    m->st.lookups++;
    for (uint32_t i = 0; i < m->cfg.ways; i++)
        if (set[i].key == key) {
            m->st.hits++;
            set[i].used = ++m->clock;
            return;
        }
    m->st.misses++;
    m->st.fills++;
    uint32_t v = 0;
    while (v < m->cfg.ways && set[v].key)
        v++;
    if (v == m->cfg.ways) {
        v = victim(m, set);
        m->st.evictions++;
    }
    set[v] = (struct mway){key, ++m->clock, m->clock};
}

static void model_invalidate(struct model *m, uint32_t key)
{
    struct mway *set = mset(m, key);
    for (uint32_t i = 0; i < m->cfg.ways; i++)
        if (set[i].key == key) {
            set[i].key = 0;
            m->st.invalidations++;
        }
}

static void model_flush(struct model *m)
{
    m->st.flushes++;
    for (uint32_t i = 0; i < m->cfg.entries; i++)
        if (m->w[i].key) {
            m->w[i].key = 0;
            m->st.invalidations++;
        }
}

static vmsim_machine_t *machine(const vmsim_tlb_config_t *tlb)
{
    vmsim_config_t c;
    vmsim_machine_t *m;
    vmsim_config_default(&c);
    c.ram_bytes = 64u << 20;
    c.dtlb = *tlb;
    assert_int_equal(vmsim_create(&c, &m), VMSIM_OK);
    for (uint32_t t = 0; t < 4; t++)
        assert_int_equal(vmsim_bus_write32(m, PD + 4 * t, (PT + 4096 * t) | 3), VMSIM_OK);
    for (uint32_t p = 0; p < SMALL_PGS; p++)
        assert_int_equal(vmsim_bus_write32(m, PT + 4 * p, p << 12 | 3), VMSIM_OK);
    for (uint32_t l = 0; l < N_LARGE; l++) /* identity, PS = 1 */
        assert_int_equal(vmsim_bus_write32(m, PD + 4 * (4 + l), (LARGE_BASE + (l << 22)) | 0x83),
                         VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PSE), VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD), VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG | 1), VMSIM_OK);
    assert_int_equal(vmsim_reset_stats(m), VMSIM_OK);
    return m;
}

static void compare_stats(vmsim_machine_t *m, const struct model *md, unsigned op)
{
    vmsim_stats_t st;
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &st), VMSIM_OK);
    const vmsim_tlb_stats_t *a = &st.dtlb, *b = &md->st;
    if (a->hits != b->hits || a->misses != b->misses || a->fills != b->fills ||
        a->evictions != b->evictions || a->invalidations != b->invalidations)
        fail_msg("%u,%u,%s op %u: TLB hits/misses/fills/evictions/invalidations %llu/%llu/%llu/"
                 "%llu/%llu, model %llu/%llu/%llu/%llu/%llu",
                 md->cfg.entries, md->cfg.ways, vmsim_tlb_policy_name(md->cfg.policy), op,
                 (unsigned long long)a->hits, (unsigned long long)a->misses,
                 (unsigned long long)a->fills, (unsigned long long)a->evictions,
                 (unsigned long long)a->invalidations, (unsigned long long)b->hits,
                 (unsigned long long)b->misses, (unsigned long long)b->fills,
                 (unsigned long long)b->evictions, (unsigned long long)b->invalidations);
}

static void compare_ways(vmsim_machine_t *m, const struct model *md, unsigned op)
{
    for (uint32_t i = 0; i < md->cfg.entries; i++) {
        vmsim_tlb_entry_t e;
        assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, i, &e), VMSIM_OK);
        uint32_t key = md->w[i].key;
        uint32_t vaddr = (key & 3) == 3 ? (key >> 2) << 22 : (key >> 2) << 12;
        if (e.valid != (key != 0) || (key && e.vaddr != vaddr))
            fail_msg("%u,%u,%s op %u: way %u holds %s 0x%x, model %s 0x%x", md->cfg.entries,
                     md->cfg.ways, vmsim_tlb_policy_name(md->cfg.policy), op, i,
                     e.valid ? "valid" : "invalid", e.vaddr, key ? "valid" : "invalid", vaddr);
    }
}

static uint32_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* A skewed page choice, so that there are hits as well as victims. */
static uint32_t pick_vaddr(uint64_t *s, uint32_t n_pages, bool *large)
{
    uint32_t r = next(s);
    *large = r % 16 == 0;
    if (*large)
        return LARGE_BASE + (next(s) % N_LARGE << 22) + (next(s) & 0x3ffffc);
    uint32_t p = r % 4 ? next(s) % (n_pages / 8) : next(s) % n_pages;
    return p << 12 | (next(s) & 0xffc);
}

static void run_against_model(vmsim_tlb_config_t cfg, unsigned n_ops)
{
    vmsim_machine_t *m = machine(&cfg);
    struct model md = {cfg, cfg.entries / cfg.ways,  calloc(cfg.entries, sizeof(struct mway)),
                       0,   cfg.seed ? cfg.seed : 1, {0}};
    assert_non_null(md.w);
    uint32_t n_pages = cfg.entries * 2 < SMALL_PGS ? cfg.entries * 2 : SMALL_PGS;
    uint64_t seed = cfg.entries * 31 + cfg.policy;
    for (unsigned op = 0; op < n_ops; op++) {
        bool large;
        uint32_t va = pick_vaddr(&seed, n_pages, &large), v;
        unsigned what = next(&seed) % 1000;
        if (what < 20) {
            assert_int_equal(vmsim_invlpg(m, va), VMSIM_OK);
            model_invalidate(&md, key_of(va, large));
        } else if (what < 21) {
            assert_int_equal(vmsim_tlb_flush_all(m), VMSIM_OK);
            model_flush(&md);
        } else {
            assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, va, &v), VMSIM_OK);
            model_access(&md, va, large);
        }
        compare_stats(m, &md, op);
        if (op % 500 == 499)
            compare_ways(m, &md, op);
    }
    compare_ways(m, &md, n_ops);
    free(md.w);
    vmsim_destroy(m);
}

static void wide_sets_follow_the_spec(void **state)
{
    (void)state;
    static const uint32_t geo[][2] = {{64, 64}, {256, 128}, {1536, 1536}, {2048, 512}};
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++)
        for (int p = 0; p < VMSIM_TLB_POLICY_COUNT; p++) {
            vmsim_tlb_config_t cfg = vmsim_tlb_config(geo[g][0], geo[g][1], (vmsim_tlb_policy_t)p);
            if (vmsim_tlb_config_check(&cfg) == VMSIM_OK)
                run_against_model(cfg, 6000);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wide_sets_follow_the_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
