/*
 * tlb.c - set-associative TLBs and their replacement policies.
 *
 * The rules are those of docs/tlb-counting.md, followed to the letter so
 * that hit counts can be compared with other simulators:
 *
 *   lookup   set = vpn & set_mask; a hit is a way whose key matches.
 *            4 KiB entries are probed first; large-page entries (2 MiB in
 *            PAE and IA-32e paging, 4 MiB in 32-bit paging, 1 GiB in
 *            IA-32e paging) only when the TLB holds any of that size, in
 *            the set of their own vpn.  A key carries the PCID of the
 *            fill; with PCIDs on, a global way of another PCID also
 *            matches when the current PCID has no way for the page.
 *   fill     the lowest-numbered invalid way of the set; if none, the
 *            policy's victim.
 *   use      every hit and every fill: used = ++clock (any policy);
 *            a fill also sets filled = used.
 *   LRU      victim = least `used`.
 *   FIFO     victim = least `filled`; hits change nothing it reads.
 *   PLRU     the spec's tree of n_ways - 1 bits, 0 pointing to the lower
 *            half, each use pointing every bit on its path away from the
 *            way it touched.  A bit is therefore decided by the latest
 *            use below it: it points right exactly when that use was in
 *            its left half.  So the tree is not stored but read out of
 *            the `used` stamps: at each node compare the newest stamp of
 *            the two halves, go right when the left one is newer.
 *   random   xorshift32 per TLB, victim = x mod n_ways, drawn only when
 *            the set is full.
 *
 * Invalidating a way leaves the stamps, and so the order of the others
 * (and the PLRU bits), alone.  The spec also resets the PLRU bits of a
 * set that a flush empties; nothing needs doing for that here, because
 * it can never be observed: a victim is chosen only in a full set, so
 * an emptied set is filled way by way first, every fill is a use, and
 * after the last one every bit (every stamp) has been set by a use
 * since the flush.  The clock is a 64-bit count of uses: it does not
 * wrap in the life of a machine.
 *
 * Sets of more than TLB_INDEX_MIN_WAYS ways are searched through an
 * index (tlb_index.c) with the same answers: a hash of the keys, a
 * bitmap of invalid ways and, for LRU and FIFO, a lazy heap of stamps.
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
    t->ways = calloc(cfg->entries, sizeof *t->ways);
    t->set_valid = calloc(t->n_sets, sizeof *t->set_valid);
    t->n_compare = t->n_ways;
    if (tlb_index_wanted(cfg)) {
        t->index = tlb_index_create(cfg->entries, t->n_sets);
        t->n_compare = 0;
    }
    if (!t->ways || !t->set_valid || (tlb_index_wanted(cfg) && !t->index)) {
        tlb_destroy(t);
        return NULL;
    }
    return t;
}

void tlb_destroy(struct tlb *t)
{
    if (!t)
        return;
    free(t->ways);
    free(t->set_valid);
    tlb_index_destroy(t->index);
    free(t);
}

static uint64_t newest(const struct tlb_way *ways, uint32_t n)
{
    uint64_t max = 0;
    for (uint32_t i = 0; i < n; i++)
        if (ways[i].used > max)
            max = ways[i].used;
    return max;
}

/* Follow the PLRU tree from the root: at each node the bit says "go
 * right" exactly when the newer use lies in the left half. */
static uint32_t plru_victim(const struct tlb *t, const struct tlb_way *set)
{
    uint32_t lo = 0;
    for (uint32_t half = t->n_ways / 2; half; half /= 2)
        if (newest(set + lo, half) > newest(set + lo + half, half))
            lo += half;
    return lo;
}

/* The way of a full set that FIFO or LRU replaces: the least stamp. */
static inline uint32_t oldest(const struct tlb_way *set, uint32_t n_ways, bool fifo)
{
    uint32_t v = 0;
    uint64_t least = fifo ? set[0].filled : set[0].used;
    for (uint32_t i = 1; i < n_ways; i++) {
        uint64_t stamp = fifo ? set[i].filled : set[i].used;
        if (stamp < least) {
            least = stamp;
            v = i;
        }
    }
    return v;
}

/* A large way may have a shortcut for any of its 512, 1024 or 262,144
 * pieces of 4 KiB, in the slots of their page numbers (every slot, for
 * a 1 GiB way). */
static __attribute__((noinline)) void drop_fast_large(struct tlb *t, struct tlb_way *w)
{
    unsigned pieces_log2 = tlb_way_shift(w) - 12;
    uint64_t first = (w->key >> TLB_VPN_SHIFT) << pieces_log2;
    uint32_t n = pieces_log2 >= FAST_BITS ? FAST_SLOTS : 1u << pieces_log2;
    while (w->fast_kinds) {
        unsigned k = (unsigned)__builtin_ctz(w->fast_kinds);
        for (uint32_t i = 0; i < n; i++) {
            struct fast_entry *e = &t->fast[k][(first + i) & FAST_MASK];
            if (e->way == w)
                e->tag = FAST_NONE;
        }
        w->fast_kinds &= (uint8_t)(w->fast_kinds - 1);
    }
}

/* A 4 KiB way has one slot per kind, that of its page number. */
static inline void drop_fast(struct tlb *t, struct tlb_way *w)
{
    uint32_t slot = (uint32_t)(w->key >> TLB_VPN_SHIFT) & FAST_MASK;
    if ((w->key & TLB_CODE_MASK) != TLB_SIZE_4K) {
        drop_fast_large(t, w);
        return;
    }
    while (w->fast_kinds) {
        struct fast_entry *e = &t->fast[__builtin_ctz(w->fast_kinds)][slot];
        if (e->way == w)
            e->tag = FAST_NONE;
        w->fast_kinds &= (uint8_t)(w->fast_kinds - 1);
    }
}

void tlb_drop_fast(struct tlb *t, struct tlb_way *w) { drop_fast(t, w); }

/* Invalidate valid way `w` of set number `set`. */
static inline void clear_way(struct tlb *t, struct tlb_way *w, uint32_t set)
{
    unsigned code = (unsigned)(w->key & TLB_CODE_MASK);
    drop_fast(t, w);
    if (code != TLB_SIZE_4K) {
        t->n_large--;
        t->n_code[code]--;
    }
    if (w->rights & TLB_G)
        t->n_global--;
    t->n_valid--;
    t->set_valid[set]--;
    w->key = 0;
}

/* Make invalid way `w` of set `set_index` map the page of vaddr. */
static inline unsigned size_code(unsigned shift)
{
    return shift == 12   ? TLB_SIZE_4K
           : shift == 21 ? TLB_SIZE_2M
           : shift == 22 ? TLB_SIZE_4M
                         : TLB_SIZE_1G;
}

static inline struct tlb_way *fill_way(struct tlb *t, struct tlb_way *w, uint32_t set_index,
                                       vmsim_vaddr_t vaddr, unsigned shift, uint64_t pbase,
                                       unsigned rights, unsigned pkey)
{
    unsigned code = size_code(shift);
    w->key = tlb_key(vaddr, shift, code, t->tag);
    w->rights = (uint8_t)rights;
    w->pkey = (uint8_t)pkey;
    w->pbase = pbase;
    w->used = w->filled = ++t->clock;
    if (code != TLB_SIZE_4K) {
        t->n_large++;
        t->n_code[code]++;
    }
    if (rights & TLB_G)
        t->n_global++;
    t->n_valid++;
    t->set_valid[set_index]++;
    t->st->fills++;
    return w;
}

static void evict(struct tlb *t, struct tlb_way *w, uint32_t set_index)
{
    clear_way(t, w, set_index);
    t->st->evictions++;
}

static uint32_t random_way(struct tlb *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 17;
    t->rng ^= t->rng << 5;
    return t->rng % t->n_ways;
}

/* A fill into a full set under PLRU or random, out of line so that the
 * common LRU fill below calls nothing and saves no registers. */
static __attribute__((noinline)) struct tlb_way *fill_other(struct tlb *t, struct tlb_way *set,
                                                            uint32_t set_index, vmsim_vaddr_t vaddr,
                                                            unsigned shift, uint64_t pbase,
                                                            unsigned rights, unsigned pkey)
{
    uint32_t v = t->cfg.policy == VMSIM_TLB_PLRU ? plru_victim(t, set) : random_way(t);
    evict(t, &set[v], set_index);
    return fill_way(t, &set[v], set_index, vaddr, shift, pbase, rights, pkey);
}

/* A fill into a wide set: the same choice of way, found through the
 * index, which is kept in step (out of line, like fill_other). */
static __attribute__((noinline)) struct tlb_way *fill_indexed(struct tlb *t, struct tlb_way *set,
                                                              uint32_t set_index, vmsim_vaddr_t vaddr,
                                                              unsigned shift, uint64_t pbase,
                                                              unsigned rights, unsigned pkey)
{
    uint32_t v;
    vmsim_tlb_policy_t p = t->cfg.policy;
    if (t->set_valid[set_index] < t->n_ways) {
        v = tlb_index_first_invalid(t, set_index);
    } else {
        if (p == VMSIM_TLB_LRU || p == VMSIM_TLB_FIFO)
            v = tlb_index_victim(t, set_index, p == VMSIM_TLB_FIFO);
        else
            v = p == VMSIM_TLB_PLRU ? plru_victim(t, set) : random_way(t);
        tlb_index_clearing(t, set_index * t->n_ways + v);
        evict(t, &set[v], set_index);
    }
    fill_way(t, &set[v], set_index, vaddr, shift, pbase, rights, pkey);
    tlb_index_filled(t, set_index * t->n_ways + v);
    return &set[v];
}

struct tlb_way *tlb_fill(struct tlb *t, vmsim_vaddr_t vaddr, unsigned shift, uint64_t pbase,
                         unsigned rights, unsigned pkey)
{
    uint32_t set_index = (uint32_t)tlb_vpn(vaddr, shift) & t->set_mask;
    struct tlb_way *set = &t->ways[(size_t)set_index * t->n_ways];
    struct tlb_way *w = set;
    if (t->index)
        return fill_indexed(t, set, set_index, vaddr, shift, pbase, rights, pkey);
    if (t->set_valid[set_index] < t->n_ways) { /* the lowest invalid way */
        while (w->key)
            w++;
    } else if (t->cfg.policy == VMSIM_TLB_LRU || t->cfg.policy == VMSIM_TLB_FIFO) {
        w = &set[oldest(set, t->n_ways, t->cfg.policy == VMSIM_TLB_FIFO)];
        evict(t, w, set_index);
    } else {
        return fill_other(t, set, set_index, vaddr, shift, pbase, rights, pkey);
    }
    return fill_way(t, w, set_index, vaddr, shift, pbase, rights, pkey);
}

/* Invalidate valid way `w` of set number `set` outside a fill: the
 * index, if any, forgets it first. */
static void forget_way(struct tlb *t, struct tlb_way *w, uint32_t set)
{
    if (t->index)
        tlb_index_clearing(t, (uint32_t)(w - t->ways));
    clear_way(t, w, set);
    t->st->invalidations++;
}

void tlb_invalidate_way(struct tlb *t, struct tlb_way *w)
{
    if (w->key)
        forget_way(t, w, (uint32_t)((size_t)(w - t->ways) / t->n_ways));
}

/* A global way of any PCID for page `vpn` of size `code`, or NULL. */
static struct tlb_way *probe_global(const struct tlb *t, uint64_t vpn, unsigned code)
{
    struct tlb_way *w = tlb_set(t, vpn);
    uint64_t want = vpn << TLB_VPN_SHIFT | code;
    for (uint32_t i = 0; i < t->n_ways; i++)
        if ((w[i].key & ~TLB_PCID_MASK) == want && (w[i].rights & TLB_G))
            return &w[i];
    return NULL;
}

struct tlb_way *tlb_find_other(const struct tlb *t, vmsim_vaddr_t vaddr)
{
    bool globals = t->pcids_on && t->n_global;
    for (unsigned code = TLB_SIZE_4K; code < TLB_SIZE_CODES; code++) {
        if (code != TLB_SIZE_4K && !t->n_code[code])
            continue;
        uint64_t vpn = tlb_vpn(vaddr, tlb_code_shift(code));
        struct tlb_way *w = NULL;
        if (code != TLB_SIZE_4K)
            w = tlb_probe(t, vpn << TLB_VPN_SHIFT | t->tag | code, vpn);
        if (!w && globals)
            w = probe_global(t, vpn, code);
        if (w)
            return w;
    }
    return NULL;
}

void tlb_invalidate_page(struct tlb *t, vmsim_vaddr_t vaddr, uint64_t tag, bool globals)
{
    for (unsigned code = TLB_SIZE_4K; code < TLB_SIZE_CODES && t->n_valid; code++) {
        if (code != TLB_SIZE_4K && !t->n_code[code])
            continue;
        uint64_t vpn = tlb_vpn(vaddr, tlb_code_shift(code));
        uint64_t want = vpn << TLB_VPN_SHIFT | code;
        struct tlb_way *w = tlb_set(t, vpn);
        if (t->index && !t->pcids_on) {
            /* a wide set without PCIDs: every key carries `tag`, so the
             * index finds the one way there can be */
            struct tlb_way *hit = tlb_index_find(t, want | tag);
            if (hit && (globals || !(hit->rights & TLB_G)))
                tlb_invalidate_way(t, hit);
            continue;
        }
        for (uint32_t i = 0; i < t->n_ways; i++) {
            if ((w[i].key & ~TLB_PCID_MASK) != want)
                continue;
            bool global = w[i].rights & TLB_G;
            if (globals ? global || (w[i].key & TLB_PCID_MASK) == tag
                        : !global && (w[i].key & TLB_PCID_MASK) == tag)
                tlb_invalidate_way(t, &w[i]);
        }
    }
}

/* Invalidate the ways `drop` selects; counts one flush. */
static void flush_where(struct tlb *t, bool keep_global, bool one_pcid, uint64_t tag)
{
    t->st->flushes++;
    for (uint32_t s = 0; s < t->n_sets && t->n_valid; s++) {
        struct tlb_way *ways = &t->ways[(size_t)s * t->n_ways];
        for (uint32_t i = 0; i < t->n_ways && t->set_valid[s]; i++) {
            if (!ways[i].key || (keep_global && (ways[i].rights & TLB_G)) ||
                (one_pcid && (ways[i].key & TLB_PCID_MASK) != tag))
                continue;
            forget_way(t, &ways[i], s);
        }
    }
}

void tlb_flush(struct tlb *t, bool keep_global)
{
    flush_where(t, keep_global, false, 0);
}

void tlb_flush_pcid(struct tlb *t, uint64_t tag)
{
    flush_where(t, true, true, tag);
}

void tlb_describe(const struct tlb *t, uint32_t index, vmsim_tlb_entry_t *out)
{
    const struct tlb_way *w = &t->ways[index];
    memset(out, 0, sizeof *out);
    out->set = index / t->n_ways;
    out->way = index % t->n_ways;
    out->valid = w->key != 0;
    if (!out->valid)
        return;
    unsigned shift = tlb_way_shift(w);
    uint64_t va57 = (w->key >> TLB_VPN_SHIFT) << shift;
    out->vaddr = (vmsim_vaddr_t)((int64_t)(va57 << 7) >> 7); /* sign-extend bit 56 */
    out->paddr = w->pbase;
    out->page_size = 1u << shift;
    out->writable = w->rights & TLB_W;
    out->user = w->rights & TLB_U;
    out->executable = !(w->rights & TLB_XD);
    out->dirty = w->rights & TLB_D;
    out->global = w->rights & TLB_G;
    out->pcid = (unsigned)((w->key & TLB_PCID_MASK) >> TLB_PCID_SHIFT);
    out->pkey = w->pkey;
}
