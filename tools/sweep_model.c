/*
 * sweep_model.c - the lean TLB model of sweep_model.h.
 *
 *   lookup   set = vpn & set_mask; compare the set's tags (a hash index
 *            instead when a set has more than 16 ways)
 *   hit      LRU: stamp = ++clock; PLRU: point the path away; else nothing
 *   miss     way = n_filled[set] while the set is not full, else
 *            LRU least stamp / FIFO fifo_next / PLRU follow the bits /
 *            random x mod ways (x = xorshift32, drawn only here)
 *   fill     a use: LRU stamp, PLRU path
 */
#include "sweep_model.h"

#include <stdlib.h>
#include <string.h>

#define WIDE 16u

static void index_put(struct tlbmodel *t, uint32_t key, uint32_t slot)
{
    uint32_t i = (key * 0x9E3779B1u) & t->index_mask;
    while (t->index[i])
        i = (i + 1) & t->index_mask;
    t->index[i] = key;
    t->index_way[i] = slot;
}

/* Remove `key` (present) with backward-shift deletion. */
static void index_del(struct tlbmodel *t, uint32_t key)
{
    uint32_t i = (key * 0x9E3779B1u) & t->index_mask;
    while (t->index[i] != key)
        i = (i + 1) & t->index_mask;
    for (uint32_t j = (i + 1) & t->index_mask; t->index[j]; j = (j + 1) & t->index_mask) {
        uint32_t home = (t->index[j] * 0x9E3779B1u) & t->index_mask;
        if (((j - home) & t->index_mask) >= ((j - i) & t->index_mask)) {
            t->index[i] = t->index[j];
            t->index_way[i] = t->index_way[j];
            i = j;
        }
    }
    t->index[i] = 0;
}

static int64_t index_get(const struct tlbmodel *t, uint32_t key)
{
    for (uint32_t i = (key * 0x9E3779B1u) & t->index_mask; t->index[i]; i = (i + 1) & t->index_mask)
        if (t->index[i] == key)
            return t->index_way[i];
    return -1;
}

int tlbmodel_init(struct tlbmodel *t, const vmsim_tlb_config_t *cfg)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->n_ways = cfg->ways;
    t->n_sets = cfg->entries / cfg->ways;
    t->set_mask = t->n_sets - 1;
    t->rng = cfg->seed ? cfg->seed : 1;
    while ((1u << t->levels) < t->n_ways)
        t->levels++;
    t->tag = calloc(cfg->entries, sizeof *t->tag);
    t->stamp = calloc(cfg->entries, sizeof *t->stamp);
    t->n_filled = calloc(t->n_sets, sizeof *t->n_filled);
    t->fifo_next = calloc(t->n_sets, sizeof *t->fifo_next);
    t->plru = calloc(cfg->entries, 1);
    bool ok = t->tag && t->stamp && t->n_filled && t->fifo_next && t->plru;
    if (ok && t->n_ways > WIDE) {
        uint32_t size = 4;
        while (size < 2 * cfg->entries)
            size *= 2;
        t->index_mask = size - 1;
        t->index = calloc(size, sizeof *t->index);
        t->index_way = calloc(size, sizeof *t->index_way);
        ok = t->index && t->index_way;
    }
    if (!ok)
        tlbmodel_free(t);
    return ok ? 0 : -1;
}

void tlbmodel_free(struct tlbmodel *t)
{
    free(t->tag);
    free(t->stamp);
    free(t->n_filled);
    free(t->fifo_next);
    free(t->plru);
    free(t->index);
    free(t->index_way);
    memset(t, 0, sizeof *t);
}

static void plru_use(struct tlbmodel *t, uint32_t set, uint32_t way)
{
    uint8_t *tree = &t->plru[(size_t)set * t->n_ways];
    unsigned node = 1;
    for (unsigned level = t->levels; level-- > 0;) {
        unsigned bit = (way >> level) & 1;
        tree[node] = (uint8_t)!bit;
        node = 2 * node + bit;
    }
}

static uint32_t victim(struct tlbmodel *t, uint32_t set)
{
    uint32_t base = set * t->n_ways, v = 0;
    switch (t->cfg.policy) {
    case VMSIM_TLB_LRU:
        for (uint32_t i = 1; i < t->n_ways; i++)
            if (t->stamp[base + i] < t->stamp[base + v])
                v = i;
        return v;
    case VMSIM_TLB_FIFO:
        v = t->fifo_next[set];
        t->fifo_next[set] = v + 1 == t->n_ways ? 0 : v + 1;
        return v;
    case VMSIM_TLB_PLRU: {
        const uint8_t *tree = &t->plru[base];
        unsigned node = 1;
        for (unsigned level = 0; level < t->levels; level++) {
            v = v * 2 + tree[node];
            node = 2 * node + tree[node];
        }
        return v;
    }
    default:
        t->rng ^= t->rng << 13;
        t->rng ^= t->rng >> 17;
        t->rng ^= t->rng << 5;
        return t->rng % t->n_ways;
    }
}

static void use(struct tlbmodel *t, uint32_t set, uint32_t way)
{
    if (t->cfg.policy == VMSIM_TLB_LRU)
        t->stamp[set * t->n_ways + way] = ++t->clock;
    else if (t->cfg.policy == VMSIM_TLB_PLRU)
        plru_use(t, set, way);
}

static void fill(struct tlbmodel *t, uint32_t set, uint32_t key)
{
    uint32_t way;
    if (t->n_filled[set] < t->n_ways) {
        way = t->n_filled[set]++;
    } else {
        way = victim(t, set);
        t->evictions++;
        if (t->index)
            index_del(t, t->tag[set * t->n_ways + way]);
    }
    t->tag[set * t->n_ways + way] = key;
    if (t->index)
        index_put(t, key, set * t->n_ways + way);
    use(t, set, way);
}

bool tlbmodel_access(struct tlbmodel *t, uint32_t vpn)
{
    uint32_t set = vpn & t->set_mask, key = vpn + 1;
    const uint32_t *tags = &t->tag[set * t->n_ways];
    int64_t slot = -1;
    if (t->index) {
        slot = index_get(t, key);
    } else {
        for (uint32_t i = 0; i < t->n_ways; i++) {
            if (tags[i] == key) {
                slot = set * t->n_ways + i;
                break;
            }
        }
    }
    if (slot >= 0) {
        t->hits++;
        use(t, set, (uint32_t)slot - set * t->n_ways);
        return true;
    }
    t->misses++;
    fill(t, set, key);
    return false;
}
