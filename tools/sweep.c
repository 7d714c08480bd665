/*
 * sweep.c - the one-pass engine of sweep.h.
 *
 *   items --> lookups (side, vpn) --> same page as this side's last? --> count once
 *                                      \--> every model of the side, and the LRU stack
 *
 * The expansion of an item into lookups is replay.c's, rule for rule:
 * first byte of each page covered, lowest first; a TRACE_SPLIT item
 * waits for its second half; M looks its pages up as a read, then as a
 * write.
 */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)

static bool is_fa_lru(const vmsim_tlb_config_t *c)
{
    return c->ways == c->entries && c->policy == VMSIM_TLB_LRU;
}

static int init_models(struct sweep *s, uint32_t *max_fa)
{
    for (size_t r = 0; r < s->n_rows; r++) {
        if (s->rows[r].from_stack) {
            if (s->rows[r].tlb.entries > *max_fa)
                *max_fa = s->rows[r].tlb.entries;
            continue;
        }
        for (unsigned d = 0; d < s->n_sides; d++)
            if (tlbmodel_init(&s->models[d * s->n_rows + r], &s->rows[r].tlb))
                return -1;
    }
    return 0;
}

int sweep_init(struct sweep *s, const vmsim_tlb_config_t *cfg, size_t n, bool split,
               unsigned page_shift, bool direct)
{
    memset(s, 0, sizeof *s);
    s->split = split;
    s->page_shift = page_shift;
    s->n_sides = split ? 2 : 1;
    s->n_rows = n;
    s->rows = calloc(n ? n : 1, sizeof *s->rows);
    s->models = calloc(n ? 2 * n : 1, sizeof *s->models);
    if (!s->rows || !s->models)
        return -1;
    for (size_t r = 0; r < n; r++) {
        s->rows[r].tlb = cfg[r];
        s->rows[r].from_stack = !direct && is_fa_lru(&cfg[r]);
    }
    uint32_t max_fa = 0;
    if (init_models(s, &max_fa))
        return -1;
    s->use_stack = max_fa > 0;
    for (unsigned d = 0; s->use_stack && d < s->n_sides; d++)
        if (lru_stack_init(&s->stack[d], max_fa))
            return -1;
    return 0;
}

void sweep_free(struct sweep *s)
{
    for (size_t i = 0; s->models && i < 2 * s->n_rows; i++)
        if (s->models[i].tag)
            tlbmodel_free(&s->models[i]);
    for (unsigned d = 0; d < 2; d++)
        if (s->stack[d].tree)
            lru_stack_free(&s->stack[d]);
    free(s->models);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

/* One lookup of page `vpn` by the TLB of `side`. */
static int lookup(struct sweep *s, unsigned side, uint32_t vpn)
{
    s->lookups[side]++;
    if (s->have_last[side] && s->last_vpn[side] == vpn) {
        s->repeats[side]++;
        return 0;
    }
    s->have_last[side] = true;
    s->last_vpn[side] = vpn;
    struct tlbmodel *m = &s->models[side * s->n_rows];
    for (size_t r = 0; r < s->n_rows; r++)
        if (!s->rows[r].from_stack)
            tlbmodel_access(&m[r], vpn);
    return s->use_stack ? lru_stack_access(&s->stack[side], vpn) : 0;
}

static unsigned add_pages(const struct sweep *s, const struct trace_access *a, uint32_t *vpn,
                          unsigned n)
{
    uint32_t first = a->vaddr >> s->page_shift, last = (a->vaddr + a->size - 1u) >> s->page_shift;
    for (uint32_t p = first; p <= last; p++)
        vpn[n++] = p;
    return n;
}

/* An access of one or two pieces, each on one or more pages. */
static int multi(struct sweep *s, const struct trace_access *a, const struct trace_access *b)
{
    uint32_t vpn[8];
    unsigned n = add_pages(s, a, vpn, 0);
    if (b)
        n = add_pages(s, b, vpn, n);
    unsigned side = s->split && a->kind == TRACE_FETCH ? SWEEP_FETCH : SWEEP_DATA;
    s->access[a->kind]++;
    s->page_splits += n > 1;
    for (unsigned pass = 0; pass < 1u + (a->kind == TRACE_MODIFY); pass++)
        for (unsigned i = 0; i < n; i++)
            if (lookup(s, side, vpn[i]))
                return -1;
    return 0;
}

static int slow_item(struct sweep *s, const struct trace_access *a)
{
    if (a->kind == TRACE_REGION)
        return 0;
    if (a->flags & TRACE_SPLIT) {
        s->first = *a;
        s->have_first = true;
        return 0;
    }
    if (s->have_first) {
        s->have_first = false;
        return multi(s, &s->first, a);
    }
    return multi(s, a, NULL);
}

int sweep_run(struct sweep *s, const struct trace_access *a, size_t n)
{
    uint32_t mask = (1u << s->page_shift) - 1;
    for (size_t i = 0; i < n; i++) {
        const struct trace_access *x = &a[i];
        if (likely(x->kind <= TRACE_MODIFY && (x->vaddr & mask) + x->size <= mask + 1 &&
                   !x->flags && !s->have_first)) {
            unsigned side = s->split && x->kind == TRACE_FETCH ? SWEEP_FETCH : SWEEP_DATA;
            uint32_t vpn = x->vaddr >> s->page_shift;
            s->access[x->kind]++;
            if (lookup(s, side, vpn))
                return -1;
            if (x->kind == TRACE_MODIFY && lookup(s, side, vpn))
                return -1;
            continue;
        }
        if (slow_item(s, x))
            return -1;
    }
    return 0;
}

uint64_t sweep_stack_hits(const struct sweep *s, unsigned side, uint32_t entries)
{
    return s->repeats[side] + lru_stack_hits(&s->stack[side], entries);
}

static void finish_row(struct sweep *s, size_t r, unsigned d)
{
    struct sweep_counts *c = &s->rows[r].side[d];
    c->lookups = s->lookups[d];
    if (s->rows[r].from_stack) {
        uint32_t entries = s->rows[r].tlb.entries;
        c->hits = sweep_stack_hits(s, d, entries);
        c->misses = c->lookups - c->hits;
        c->evictions = c->misses > entries ? c->misses - entries : 0;
        return;
    }
    const struct tlbmodel *m = &s->models[d * s->n_rows + r];
    c->hits = s->repeats[d] + m->hits;
    c->misses = m->misses;
    c->evictions = m->evictions;
}

void sweep_finish(struct sweep *s)
{
    for (size_t r = 0; r < s->n_rows; r++)
        for (unsigned d = 0; d < s->n_sides; d++)
            finish_row(s, r, d);
}
