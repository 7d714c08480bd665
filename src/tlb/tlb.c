/*
 * tlb.c - set-associative TLBs and their replacement policies.
 *
 * The rules are those of shared/spec/tlb.md, followed to the letter so
 * that hit counts can be compared with other simulators:
 *
 *   lookup   set = vpn & set_mask; a hit is a way whose key matches.
 *            4 KiB entries are probed first; large-page entries (2 MiB in
 *            PAE paging, 4 MiB in 32-bit paging) only when the TLB holds
 *            any, in the set of their own vpn.
 *   fill     the lowest-numbered invalid way of the set; if none, the
 *            policy's victim.
 *   LRU      stamp = ++clock on every hit and fill; victim = least stamp.
 *   FIFO     stamp = ++clock on fill only; victim = least stamp.
 *   PLRU     a tree of n_ways - 1 nodes per set, node 1 the root, node
 *            n's children 2n and 2n+1; 0 points to the lower half.  A use
 *            points every node on the way's path away from it; the victim
 *            is found by following the nodes from the root.
 *   random   xorshift32 per TLB, victim = x mod n_ways, drawn only when
 *            the set is full.
 *
 * Invalidating a way leaves the order of the others alone; a set whose
 * every way is invalid after a flush gets its PLRU bits cleared, which
 * makes a whole-TLB flush reset them as the spec requires.
 */
#include "tlb_internal.h"

#include <stdlib.h>
#include <string.h>

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

vmsim_tlb_config_t vmsim_tlb_config(uint32_t entries, uint32_t ways, vmsim_tlb_policy_t policy)
{
    vmsim_tlb_config_t c = {entries, ways, policy, 1};
    return c;
}

vmsim_status_t vmsim_tlb_config_check(const vmsim_tlb_config_t *cfg)
{
    if (!cfg)
        return VMSIM_ERR_NULL;
    if ((unsigned)cfg->policy >= VMSIM_TLB_POLICY_COUNT)
        return VMSIM_ERR_INVALID;
    if (cfg->entries == 0)
        return VMSIM_OK; /* no TLB */
    if (cfg->entries > (1u << 20) || cfg->ways == 0 || cfg->entries % cfg->ways)
        return VMSIM_ERR_INVALID;
    if (!is_pow2(cfg->entries / cfg->ways))
        return VMSIM_ERR_INVALID;
    if (cfg->policy == VMSIM_TLB_PLRU && !is_pow2(cfg->ways))
        return VMSIM_ERR_INVALID;
    return VMSIM_OK;
}

static const char *const policy_names[] = {"lru", "fifo", "random", "plru"};

const char *vmsim_tlb_policy_name(vmsim_tlb_policy_t policy)
{
    return (unsigned)policy < VMSIM_TLB_POLICY_COUNT ? policy_names[policy] : NULL;
}

vmsim_status_t vmsim_tlb_policy_parse(const char *name, vmsim_tlb_policy_t *out)
{
    if (!name || !out)
        return VMSIM_ERR_NULL;
    for (unsigned i = 0; i < VMSIM_TLB_POLICY_COUNT; i++) {
        if (strcmp(name, policy_names[i]) == 0) {
            *out = (vmsim_tlb_policy_t)i;
            return VMSIM_OK;
        }
    }
    if (strcmp(name, "tree-plru") == 0 || strcmp(name, "pseudo-lru") == 0) {
        *out = VMSIM_TLB_PLRU;
        return VMSIM_OK;
    }
    if (strcmp(name, "rand") == 0) {
        *out = VMSIM_TLB_RANDOM;
        return VMSIM_OK;
    }
    return VMSIM_ERR_INVALID;
}

struct tlb *tlb_create(const vmsim_tlb_config_t *cfg, struct fast_entry (*fast)[FAST_SLOTS],
                       vmsim_tlb_stats_t *st)
{
    struct tlb *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    t->n_ways = cfg->ways;
    t->n_sets = cfg->entries / cfg->ways;
    t->set_mask = t->n_sets - 1;
    t->rng = cfg->seed ? cfg->seed : 1;
    t->st = st;
    t->fast = fast;
    while ((1u << t->tree_levels) < t->n_ways)
        t->tree_levels++;
    t->ways = calloc(cfg->entries, sizeof *t->ways);
    if (cfg->policy == VMSIM_TLB_PLRU)
        t->plru = calloc(cfg->entries, 1);
    if (!t->ways || (cfg->policy == VMSIM_TLB_PLRU && !t->plru)) {
        tlb_destroy(t);
        return NULL;
    }
    for (uint32_t i = 0; i < cfg->entries; i++) {
        t->ways[i].set = i / t->n_ways;
        t->ways[i].way = i % t->n_ways;
    }
    return t;
}

void tlb_destroy(struct tlb *t)
{
    if (!t)
        return;
    free(t->ways);
    free(t->plru);
    free(t);
}

static struct tlb_way *probe(struct tlb *t, uint32_t key, uint32_t vpn)
{
    struct tlb_way *w = &t->ways[(vpn & t->set_mask) * t->n_ways];
    for (uint32_t i = 0; i < t->n_ways; i++)
        if (w[i].key == key)
            return &w[i];
    return NULL;
}

struct tlb_way *tlb_find(struct tlb *t, uint32_t vaddr, unsigned large_shift)
{
    struct tlb_way *w = probe(t, tlb_key(vaddr, 12, TLB_SIZE_4K), vaddr >> 12);
    if (w || !t->n_large)
        return w;
    unsigned code = large_shift == 21 ? TLB_SIZE_2M : TLB_SIZE_4M;
    return probe(t, tlb_key(vaddr, large_shift, code), vaddr >> large_shift);
}

static void plru_touch(struct tlb *t, const struct tlb_way *w)
{
    uint8_t *tree = &t->plru[(size_t)w->set * t->n_ways];
    unsigned node = 1;
    for (unsigned level = t->tree_levels; level-- > 0;) {
        unsigned bit = (w->way >> level) & 1;
        tree[node] = (uint8_t)!bit;
        node = 2 * node + bit;
    }
}

static uint32_t plru_victim(const struct tlb *t, uint32_t set)
{
    const uint8_t *tree = &t->plru[(size_t)set * t->n_ways];
    unsigned node = 1, way = 0;
    for (unsigned level = 0; level < t->tree_levels; level++) {
        unsigned bit = tree[node];
        way = way * 2 + bit;
        node = 2 * node + bit;
    }
    return way;
}

void tlb_touch(struct tlb *t, struct tlb_way *w)
{
    switch (t->cfg.policy) {
    case VMSIM_TLB_LRU: w->stamp = ++t->clock; break;
    case VMSIM_TLB_PLRU: plru_touch(t, w); break;
    default: break;
    }
}

static uint32_t victim(struct tlb *t, struct tlb_way *set_ways, uint32_t set)
{
    uint32_t v = 0;
    switch (t->cfg.policy) {
    case VMSIM_TLB_LRU:
    case VMSIM_TLB_FIFO:
        for (uint32_t i = 1; i < t->n_ways; i++)
            if (set_ways[i].stamp < set_ways[v].stamp)
                v = i;
        return v;
    case VMSIM_TLB_PLRU: return plru_victim(t, set);
    case VMSIM_TLB_RANDOM:
    default:
        t->rng ^= t->rng << 13;
        t->rng ^= t->rng >> 17;
        t->rng ^= t->rng << 5;
        return t->rng % t->n_ways;
    }
}

void tlb_drop_fast(struct tlb *t, struct tlb_way *w)
{
    uint32_t slot = (w->key >> 2) & FAST_MASK;
    for (unsigned k = 0; w->fast_kinds; k++) {
        if (w->fast_kinds & (1u << k)) {
            struct fast_entry *e = &t->fast[k][slot];
            if (e->way == w)
                e->tag = FAST_NONE;
            w->fast_kinds &= (uint8_t)~(1u << k);
        }
    }
}

static void clear_way(struct tlb *t, struct tlb_way *w)
{
    tlb_drop_fast(t, w);
    if ((w->key & 3) != TLB_SIZE_4K)
        t->n_large--;
    t->n_valid--;
    w->key = 0;
}

struct tlb_way *tlb_fill(struct tlb *t, uint32_t vaddr, unsigned shift, uint64_t pbase,
                         unsigned rights)
{
    unsigned code = shift == 12 ? TLB_SIZE_4K : shift == 21 ? TLB_SIZE_2M : TLB_SIZE_4M;
    uint32_t set = (vaddr >> shift) & t->set_mask;
    struct tlb_way *ways = &t->ways[set * t->n_ways];
    struct tlb_way *w = NULL;
    for (uint32_t i = 0; i < t->n_ways && !w; i++)
        if (!ways[i].key)
            w = &ways[i];
    if (!w) {
        w = &ways[victim(t, ways, set)];
        clear_way(t, w);
        t->st->evictions++;
    }
    w->key = tlb_key(vaddr, shift, code);
    w->rights = (uint8_t)rights;
    w->pbase = pbase;
    w->stamp = ++t->clock; /* a fill is a use (LRU) and the fill time (FIFO) */
    if (t->cfg.policy == VMSIM_TLB_PLRU)
        plru_touch(t, w);
    if (code != TLB_SIZE_4K)
        t->n_large++;
    t->n_valid++;
    t->st->fills++;
    return w;
}

void tlb_invalidate_way(struct tlb *t, struct tlb_way *w)
{
    if (!w->key)
        return;
    clear_way(t, w);
    t->st->invalidations++;
}

void tlb_invalidate_page(struct tlb *t, uint32_t vaddr)
{
    struct tlb_way *w = probe(t, tlb_key(vaddr, 12, TLB_SIZE_4K), vaddr >> 12);
    if (w)
        tlb_invalidate_way(t, w);
    if (t->n_large) {
        w = probe(t, tlb_key(vaddr, 21, TLB_SIZE_2M), vaddr >> 21);
        if (w)
            tlb_invalidate_way(t, w);
        w = probe(t, tlb_key(vaddr, 22, TLB_SIZE_4M), vaddr >> 22);
        if (w)
            tlb_invalidate_way(t, w);
    }
}

void tlb_flush(struct tlb *t, bool keep_global)
{
    t->st->flushes++;
    if (!t->n_valid) {
        if (t->plru)
            memset(t->plru, 0, t->cfg.entries);
        return;
    }
    for (uint32_t s = 0; s < t->n_sets; s++) {
        struct tlb_way *ways = &t->ways[s * t->n_ways];
        bool any_left = false;
        for (uint32_t i = 0; i < t->n_ways; i++) {
            if (keep_global && (ways[i].rights & TLB_G) && ways[i].key)
                any_left = true;
            else
                tlb_invalidate_way(t, &ways[i]);
        }
        if (!any_left && t->plru)
            memset(&t->plru[(size_t)s * t->n_ways], 0, t->n_ways);
    }
}

void tlb_describe(const struct tlb *t, uint32_t index, vmsim_tlb_entry_t *out)
{
    const struct tlb_way *w = &t->ways[index];
    memset(out, 0, sizeof *out);
    out->set = w->set;
    out->way = w->way;
    out->valid = w->key != 0;
    if (!out->valid)
        return;
    unsigned shift = tlb_way_shift(w);
    out->vaddr = (w->key >> 2) << shift;
    out->paddr = w->pbase;
    out->page_size = 1u << shift;
    out->writable = w->rights & TLB_W;
    out->user = w->rights & TLB_U;
    out->executable = !(w->rights & TLB_XD);
    out->dirty = w->rights & TLB_D;
    out->global = w->rights & TLB_G;
}
