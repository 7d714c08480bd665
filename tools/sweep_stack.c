/*
 * sweep_stack.c - Mattson's stack distances with a Fenwick tree.
 *
 *   access(vpn):  t = when[vpn]
 *                 t ? d = marks after t = live - prefix(t); hist[d]++; unmark t
 *                   : cold++
 *                 mark ++now; when[vpn] = now       (renumber when now = cap)
 *
 * Each step is O(log cap).  Repeated uses of the page just used (d = 0)
 * are filtered out before they get here by the sweep (sweep.c).
 */
#include "sweep_stack.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash32(uint32_t k) { return k * 0x9E3779B1u; }

int lru_stack_init(struct lru_stack *s, uint32_t max_distance)
{
    memset(s, 0, sizeof *s);
    s->max_distance = max_distance;
    s->hash_mask = 1023;
    s->cap = 1u << 16;
    s->key = calloc(s->hash_mask + 1, sizeof *s->key);
    s->when = calloc(s->hash_mask + 1, sizeof *s->when);
    s->tree = calloc(s->cap + 1, sizeof *s->tree);
    s->hist = calloc((size_t)max_distance + 1, sizeof *s->hist);
    if (s->key && s->when && s->tree && s->hist)
        return 0;
    lru_stack_free(s);
    return -1;
}

void lru_stack_free(struct lru_stack *s)
{
    free(s->key);
    free(s->when);
    free(s->tree);
    free(s->hist);
    memset(s, 0, sizeof *s);
}

static void tree_add(struct lru_stack *s, uint32_t i, int32_t v)
{
    for (; i <= s->cap; i += i & -i)
        s->tree[i] += (uint32_t)v;
}

static uint32_t tree_prefix(const struct lru_stack *s, uint32_t i)
{
    uint32_t sum = 0;
    for (; i; i -= i & -i)
        sum += s->tree[i];
    return sum;
}

/* The hash cell of vpn + 1 = key, or the empty cell for it. */
static uint32_t cell(const struct lru_stack *s, uint32_t key)
{
    uint32_t i = hash32(key) & s->hash_mask;
    while (s->key[i] && s->key[i] != key)
        i = (i + 1) & s->hash_mask;
    return i;
}

static int grow_hash(struct lru_stack *s)
{
    uint32_t old_mask = s->hash_mask, *old_key = s->key, *old_when = s->when;
    s->hash_mask = 2 * old_mask + 1;
    s->key = calloc(s->hash_mask + 1, sizeof *s->key);
    s->when = calloc(s->hash_mask + 1, sizeof *s->when);
    if (!s->key || !s->when) {
        free(s->key);
        free(s->when);
        s->key = old_key;
        s->when = old_when;
        s->hash_mask = old_mask;
        return -1;
    }
    for (uint32_t i = 0; i <= old_mask; i++) {
        if (old_key[i]) {
            uint32_t c = cell(s, old_key[i]);
            s->key[c] = old_key[i];
            s->when[c] = old_when[i];
        }
    }
    free(old_key);
    free(old_when);
    return 0;
}

static int by_when(const void *a, const void *b)
{
    uint32_t x = **(uint32_t *const *)a, y = **(uint32_t *const *)b;
    return (x > y) - (x < y);
}

/* Renumber the live slots 1..n_pages in time order; make room for as
 * many again. */
static int renumber(struct lru_stack *s)
{
    uint32_t **live = malloc((size_t)s->n_pages * sizeof *live), n = 0;
    if (!live)
        return -1;
    for (uint32_t i = 0; i <= s->hash_mask; i++)
        if (s->key[i] && s->when[i])
            live[n++] = &s->when[i];
    qsort(live, n, sizeof *live, by_when);
    uint32_t cap = s->cap;
    while (cap < 2 * n + 1024)
        cap *= 2;
    uint32_t *tree = calloc((size_t)cap + 1, sizeof *tree);
    if (!tree) {
        free(live);
        return -1;
    }
    free(s->tree);
    s->tree = tree;
    s->cap = cap;
    for (uint32_t i = 0; i < n; i++) {
        *live[i] = i + 1;
        tree_add(s, i + 1, 1);
    }
    s->now = n;
    free(live);
    return 0;
}

int lru_stack_access(struct lru_stack *s, uint32_t vpn)
{
    uint32_t c = cell(s, vpn + 1);
    s->lookups++;
    if (s->key[c]) {
        uint32_t t = s->when[c];
        uint32_t d = s->n_pages - tree_prefix(s, t);
        s->hist[d < s->max_distance ? d : s->max_distance]++;
        tree_add(s, t, -1);
    } else {
        if (2 * (s->n_pages + 1) > s->hash_mask + 1) {
            if (grow_hash(s))
                return -1;
            c = cell(s, vpn + 1);
        }
        s->key[c] = vpn + 1;
        s->n_pages++;
        s->cold++;
    }
    if (s->now == s->cap) {
        s->when[c] = 0; /* not live until marked below */
        if (renumber(s))
            return -1;
    }
    s->when[c] = ++s->now;
    tree_add(s, s->now, 1);
    return 0;
}

uint64_t lru_stack_hits(const struct lru_stack *s, uint32_t entries)
{
    uint64_t hits = 0;
    for (uint32_t d = 0; d < entries && d < s->max_distance; d++)
        hits += s->hist[d];
    return hits;
}
