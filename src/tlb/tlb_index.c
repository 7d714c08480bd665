/*
 * tlb_index.c - wide sets: finding a way without comparing them all.
 *
 * A set of W ways is searched by comparing W keys, which is what
 * hardware does in parallel and what a 4- or 8-way TLB does cheaply in
 * software.  A researcher's 1,536-entry fully-associative second-level
 * TLB, or a 1M-entry one, would pay W compares per access, W steps to
 * find the lowest invalid way per fill, and W more to find the LRU or
 * FIFO victim.  So a TLB whose sets have more than TLB_INDEX_MIN_WAYS
 * ways gets an index, which changes no result, only the cost:
 *
 *   slot[]     hash of key -> way number + 1 (open addressing, linear
 *              probing, at most half full, backward-shift deletion).  A
 *              key names one set (set = vpn & set_mask), so one table
 *              serves every set.
 *   invalid[]  one bit per way, 1 = invalid; summary[] one bit per word
 *              of it, 1 = that word has an invalid way.  The lowest
 *              invalid way of a set is then a few word scans.
 *   heap       per set, a min-heap of (stamp, way) with exactly one
 *              entry per way ever filled.  A stamp only grows (a hit or
 *              a fill sets `used` to the next clock value; a fill sets
 *              `filled`), so an entry's stamp is never above its way's
 *              real one.  The victim is found lazily: if the top entry's
 *              stamp is still its way's, no other way can be older and
 *              it is the victim; otherwise the entry is refreshed and
 *              sunk.  Each refresh follows at least one use of the way,
 *              so the cost is O(log W) a use, amortised -- and the hit
 *              path, the fast cache's included, stays untouched.
 *
 * PLRU reads its tree out of the `used` stamps of halves of the set
 * (tlb.c), which stays O(W) a victim in a wide set.
 */
#include "tlb_internal.h"

#include <stdlib.h>

struct heap_entry {
    uint64_t stamp;
    uint32_t way; /* within the set */
};

struct tlb_index {
    uint32_t *slot;
    uint32_t slot_mask, slot_shift;
    uint64_t *invalid, *summary;
    struct heap_entry *heap; /* n_ways per set */
    uint32_t *heap_n;        /* per set */
    uint8_t *in_heap;        /* per way */
};

static size_t words_for(size_t bits)
{
    return (bits + 63) / 64;
}

bool tlb_index_wanted(const vmsim_tlb_config_t *cfg)
{
    return cfg->ways > TLB_INDEX_MIN_WAYS;
}

struct tlb_index *tlb_index_create(uint32_t entries, uint32_t n_sets)
{
    struct tlb_index *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    uint32_t bits = 2;
    while ((1u << bits) < 2 * entries)
        bits++;
    x->slot_mask = (1u << bits) - 1;
    x->slot_shift = 32 - bits;
    x->slot = calloc((size_t)x->slot_mask + 1, sizeof *x->slot);
    x->invalid = calloc(words_for(entries), sizeof *x->invalid);
    x->summary = calloc(words_for(words_for(entries)), sizeof *x->summary);
    x->heap = malloc((size_t)entries * sizeof *x->heap);
    x->heap_n = calloc(n_sets, sizeof *x->heap_n);
    x->in_heap = calloc(entries, 1);
    if (!x->slot || !x->invalid || !x->summary || !x->heap || !x->heap_n || !x->in_heap) {
        tlb_index_destroy(x);
        return NULL;
    }
    for (size_t i = 0; i < entries; i++) /* every way starts invalid */
        x->invalid[i / 64] |= 1ull << (i % 64);
    for (size_t w = 0; w < words_for(entries); w++)
        x->summary[w / 64] |= 1ull << (w % 64);
    return x;
}

void tlb_index_destroy(struct tlb_index *x)
{
    if (!x)
        return;
    free(x->slot);
    free(x->invalid);
    free(x->summary);
    free(x->heap);
    free(x->heap_n);
    free(x->in_heap);
    free(x);
}

/* --- key -> way ------------------------------------------------------------ */

static uint32_t home(const struct tlb_index *x, uint64_t key)
{
    uint32_t folded = (uint32_t)(key ^ (key >> 32));
    return (folded * 0x9E3779B1u) >> x->slot_shift;
}

struct tlb_way *tlb_index_find(const struct tlb *t, uint64_t key)
{
    const struct tlb_index *x = t->index;
    for (uint32_t i = home(x, key); x->slot[i]; i = (i + 1) & x->slot_mask)
        if (t->ways[x->slot[i] - 1].key == key)
            return &t->ways[x->slot[i] - 1];
    return NULL;
}

static void slot_put(const struct tlb *t, uint32_t way)
{
    struct tlb_index *x = t->index;
    uint32_t i = home(x, t->ways[way].key);
    while (x->slot[i])
        i = (i + 1) & x->slot_mask;
    x->slot[i] = way + 1;
}

/* Remove way's slot (its key still set), shifting later entries back. */
static void slot_remove(const struct tlb *t, uint32_t way)
{
    struct tlb_index *x = t->index;
    uint32_t i = home(x, t->ways[way].key);
    while (x->slot[i] != way + 1)
        i = (i + 1) & x->slot_mask;
    for (uint32_t j = (i + 1) & x->slot_mask; x->slot[j]; j = (j + 1) & x->slot_mask) {
        uint32_t h = home(x, t->ways[x->slot[j] - 1].key);
        if (((j - h) & x->slot_mask) >= ((j - i) & x->slot_mask)) {
            x->slot[i] = x->slot[j];
            i = j;
        }
    }
    x->slot[i] = 0;
}

/* --- invalid ways ------------------------------------------------------------ */

static void mark_invalid(struct tlb_index *x, uint32_t way, bool invalid)
{
    uint64_t *word = &x->invalid[way / 64];
    if (invalid)
        *word |= 1ull << (way % 64);
    else
        *word &= ~(1ull << (way % 64));
    uint32_t w = way / 64;
    if (*word)
        x->summary[w / 64] |= 1ull << (w % 64);
    else
        x->summary[w / 64] &= ~(1ull << (w % 64));
}

/* The first set bit of bits[] in [lo, hi), or hi. */
static uint32_t first_bit(const uint64_t *bits, uint32_t lo, uint32_t hi)
{
    while (lo < hi) {
        uint64_t word = bits[lo / 64] & (~0ull << (lo % 64));
        if (word) {
            uint32_t found = (lo & ~63u) + (uint32_t)__builtin_ctzll(word);
            return found < hi ? found : hi;
        }
        lo = (lo & ~63u) + 64;
    }
    return hi;
}

uint32_t tlb_index_first_invalid(const struct tlb *t, uint32_t set)
{
    const struct tlb_index *x = t->index;
    uint32_t lo = set * t->n_ways, hi = lo + t->n_ways, end_word = (hi + 63) / 64;
    /* only the set's first and last words can hold other sets' ways */
    for (uint32_t w = first_bit(x->summary, lo / 64, end_word); w < end_word;
         w = first_bit(x->summary, w + 1, end_word)) {
        uint32_t from = w * 64 > lo ? w * 64 : lo;
        uint32_t to = w * 64 + 64 < hi ? w * 64 + 64 : hi;
        uint32_t way = first_bit(x->invalid, from, to);
        if (way < to)
            return way - lo;
    }
    return t->n_ways; /* none: the set is full */
}

/* --- victims (LRU, FIFO) ------------------------------------------------------ */

static void sift_down(struct heap_entry *h, uint32_t n, uint32_t i)
{
    struct heap_entry e = h[i];
    for (uint32_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && h[c + 1].stamp < h[c].stamp)
            c++;
        if (h[c].stamp >= e.stamp)
            break;
        h[i] = h[c];
    }
    h[i] = e;
}

static void sift_up(struct heap_entry *h, uint32_t i)
{
    struct heap_entry e = h[i];
    for (; i && h[(i - 1) / 2].stamp > e.stamp; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = e;
}

static uint64_t stamp_of(const struct tlb_way *w, bool fifo)
{
    return fifo ? w->filled : w->used;
}

uint32_t tlb_index_victim(struct tlb *t, uint32_t set, bool fifo)
{
    struct tlb_index *x = t->index;
    struct heap_entry *h = &x->heap[(size_t)set * t->n_ways];
    const struct tlb_way *ways = &t->ways[(size_t)set * t->n_ways];
    for (;;) {
        const struct tlb_way *w = &ways[h[0].way];
        if (!w->key) { /* an invalid way: not a candidate (the set is full: never) */
            x->in_heap[(size_t)set * t->n_ways + h[0].way] = 0;
            h[0] = h[--x->heap_n[set]];
        } else if (stamp_of(w, fifo) == h[0].stamp) {
            return h[0].way;
        } else {
            h[0].stamp = stamp_of(w, fifo);
        }
        sift_down(h, x->heap_n[set], 0);
    }
}

/* --- keeping the index in step with the ways ------------------------------------ */

void tlb_index_filled(struct tlb *t, uint32_t way)
{
    struct tlb_index *x = t->index;
    slot_put(t, way);
    mark_invalid(x, way, false);
    if (!x->in_heap[way]) {
        uint32_t set = way / t->n_ways;
        struct heap_entry *h = &x->heap[(size_t)set * t->n_ways];
        x->in_heap[way] = 1;
        h[x->heap_n[set]] = (struct heap_entry){t->ways[way].used, way % t->n_ways};
        sift_up(h, x->heap_n[set]++);
    }
}

void tlb_index_clearing(struct tlb *t, uint32_t way)
{
    slot_remove(t, way);
    mark_invalid(t->index, way, true);
}
