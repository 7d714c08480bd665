/*
 * paging_sim.c - fifo, lru, random and aging on F frames, one reference
 * at a time, and the dispatch of paging_simulate().
 *
 * Each policy is its own loop over the string, so the common case -- a
 * hit -- is a few instructions with no call and no policy switch:
 *
 *     st = state[page]
 *     if resident:  state[page] = st | R | write       (+ lru: move to front)
 *     else:         fault: lowest empty frame, or the policy's victim
 *
 * Pinning: a victim must not be one of the pages of the current access's
 * earlier references (psim_pinned()); every policy below chooses among
 * the others "as if the pinned ones were not there".
 *
 *     fifo    a queue of frames in load order; the victim is the first
 *             unpinned one (without pinning the queue only rotates)
 *     lru     a doubly-linked list of frames, most recent first; the
 *             victim is the last unpinned one
 *     random  xorshift32, one draw per eviction: frame x mod F, or the
 *             next unpinned frame up, wrapping
 *     aging   k-bit counters shifted right at every tick (after each T-th
 *             reference), R entering at the top; the victim has the least
 *             R * 2^k + counter, the earliest-loaded among equals
 */
#include "paging_sim.h"

#include <stdlib.h>
#include <string.h>

int psim_init(struct psim *s, const struct paging_refs *r, uint32_t frames)
{
    memset(s, 0, sizeof *s);
    s->ref = r->ref;
    s->n = r->n;
    s->n_pages = r->n_pages;
    s->frames = frames < r->n_pages ? frames : r->n_pages;
    s->state = calloc((size_t)r->n_pages + 1, sizeof *s->state);
    s->page_of = calloc((size_t)s->frames + 1, sizeof *s->page_of);
    if (s->state && s->page_of)
        return 0;
    psim_free(s);
    return -1;
}

void psim_free(struct psim *s)
{
    free(s->state);
    free(s->page_of);
    s->state = s->page_of = NULL;
}

void psim_finish(struct psim *s, struct paging_result *out)
{
    *out = s->res;
    out->references = s->n;
    out->reloads = out->faults - out->cold;
}

/* --- fifo --- */

struct fifo {
    uint32_t *q; /* frames in load order, circular, from head */
    uint32_t head;
};

/* Take the first unpinned frame of the queue out of it, keeping the
 * order of the rest, and append it as the newest; returns it.  Without
 * pinning this is q[head++]: the queue only rotates. */
static uint32_t fifo_victim(struct psim *s, void *ctx, uint64_t t)
{
    struct fifo *fq = ctx;
    uint32_t F = s->frames, h = fq->head, m = 0, *q = fq->q;
    while (psim_frame_pinned(s, t, q[(h + m) % F]))
        m++;
    uint32_t victim = q[(h + m) % F];
    for (; m > 0; m--)
        q[(h + m) % F] = q[(h + m - 1) % F];
    q[h] = victim; /* the slot behind the new head: the newest */
    fq->head = (h + 1) % F;
    return victim;
}

int psim_fifo(struct psim *s)
{
    struct fifo fq = {malloc(((size_t)s->frames + 1) * sizeof(uint32_t)), 0};
    if (!fq.q)
        return -1;
    for (uint32_t f = 0; f < s->frames; f++)
        fq.q[f] = f;
    psim_run(s, fifo_victim, &fq);
    free(fq.q);
    return 0;
}

/* --- lru --- */

struct lru_list {
    uint32_t *prev, *next; /* frame links; NONE at the ends */
    uint32_t head, tail;   /* most and least recently used frame */
};

#define NONE UINT32_MAX

static void lru_unlink(struct lru_list *l, uint32_t f)
{
    uint32_t p = l->prev[f], n = l->next[f];
    if (p != NONE)
        l->next[p] = n;
    else
        l->head = n;
    if (n != NONE)
        l->prev[n] = p;
    else
        l->tail = p;
}

static void lru_push(struct lru_list *l, uint32_t f)
{
    l->prev[f] = NONE;
    l->next[f] = l->head;
    if (l->head != NONE)
        l->prev[l->head] = f;
    else
        l->tail = f;
    l->head = f;
}

/* The least recently used unpinned frame. */
static uint32_t lru_victim(const struct psim *s, const struct lru_list *l, uint64_t t)
{
    uint32_t f = l->tail;
    while (psim_frame_pinned(s, t, f))
        f = l->prev[f];
    return f;
}

int psim_lru(struct psim *s)
{
    struct lru_list l = {malloc(((size_t)s->frames + 1) * sizeof(uint32_t)),
                         malloc(((size_t)s->frames + 1) * sizeof(uint32_t)), NONE, NONE};
    int rc = l.prev && l.next ? 0 : -1;
    uint32_t *state = s->state;
    for (uint64_t t = 0; !rc && t < s->n; t++) {
        uint32_t v = s->ref[t], p = v >> PAGING_ID_SHIFT, st = state[p];
        if (ST_RESIDENT(st)) {
            state[p] = st | ST_R | (v & PAGING_WRITE);
            uint32_t f = ST_FRAME(st);
            if (f != l.head) {
                lru_unlink(&l, f);
                lru_push(&l, f);
            }
            continue;
        }
        psim_count_fault(s, st);
        uint32_t f;
        if (s->used < s->frames) {
            f = s->used++;
        } else {
            f = lru_victim(s, &l, t);
            psim_evict(s, f);
            lru_unlink(&l, f);
        }
        psim_load(s, p, f, v);
        lru_push(&l, f);
    }
    free(l.prev);
    free(l.next);
    return rc;
}

/* --- random --- */

static uint32_t xorshift32(uint32_t x)
{
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

/* One draw: frame x mod F, or the next unpinned frame up, wrapping. */
static uint32_t random_victim(struct psim *s, void *ctx, uint64_t t)
{
    uint32_t *x = ctx;
    *x = xorshift32(*x);
    uint32_t f = *x % s->frames;
    while (psim_frame_pinned(s, t, f))
        f = f + 1 == s->frames ? 0 : f + 1;
    return f;
}

int psim_random(struct psim *s, uint32_t seed)
{
    uint32_t x = seed;
    psim_run(s, random_victim, &x);
    return 0;
}

/* --- aging --- */

struct aging {
    uint32_t *counter; /* per frame */
    uint64_t *loaded;  /* per frame: when its page's residency began */
    unsigned k;
};

static void aging_tick(struct psim *s, struct aging *a)
{
    for (uint32_t f = 0; f < s->used; f++) {
        uint32_t *st = &s->state[s->page_of[f]];
        uint32_t r = (*st & ST_R) ? 1u : 0u;
        a->counter[f] = a->counter[f] >> 1 | r << (a->k - 1);
        *st &= ~ST_R;
    }
}

/* The unpinned frame of least key R * 2^k + counter, earliest loaded
 * among equal keys. */
static uint32_t aging_victim(const struct psim *s, const struct aging *a, uint64_t t)
{
    uint32_t best = NONE;
    uint64_t best_key = 0;
    for (uint32_t f = 0; f < s->frames; f++) {
        if (psim_frame_pinned(s, t, f))
            continue;
        uint64_t r = (s->state[s->page_of[f]] & ST_R) ? 1 : 0;
        uint64_t key = r << a->k | a->counter[f];
        if (best == NONE || key < best_key || (key == best_key && a->loaded[f] < a->loaded[best])) {
            best = f;
            best_key = key;
        }
    }
    return best;
}

int psim_aging(struct psim *s, unsigned k, uint64_t period)
{
    struct aging a = {calloc((size_t)s->frames + 1, sizeof(uint32_t)),
                      calloc((size_t)s->frames + 1, sizeof(uint64_t)), k};
    int rc = a.counter && a.loaded && k >= 1 && k <= 32 && period >= 1 ? 0 : -1;
    uint32_t *state = s->state;
    for (uint64_t t = 0; !rc && t < s->n; t++) {
        uint32_t v = s->ref[t], p = v >> PAGING_ID_SHIFT, st = state[p];
        if (ST_RESIDENT(st)) {
            state[p] = st | ST_R | (v & PAGING_WRITE);
        } else {
            psim_count_fault(s, st);
            uint32_t f = s->used < s->frames ? s->used++ : psim_evict(s, aging_victim(s, &a, t));
            psim_load(s, p, f, v);
            a.counter[f] = 0;
            a.loaded[f] = t;
        }
        if ((t + 1) % period == 0)
            aging_tick(s, &a);
    }
    free(a.counter);
    free(a.loaded);
    return rc;
}

/* --- dispatch --- */

static int run_policy(struct psim *s, const struct paging_refs *r, const struct paging_policy *p)
{
    switch (p->kind) {
    case PAGING_FIFO: return psim_fifo(s);
    case PAGING_LRU: return psim_lru(s);
    case PAGING_RANDOM: return psim_random(s, p->seed);
    case PAGING_AGING: return psim_aging(s, p->k, p->t);
    case PAGING_CLOCK: return psim_clock(s);
    case PAGING_ECLOCK: return psim_eclock(s);
    case PAGING_OPT: return r->next ? psim_opt(s, r->next) : -1;
    default: return -1;
    }
}

int paging_simulate(const struct paging_refs *r, const struct paging_policy *p, uint32_t frames,
                    struct paging_result *out)
{
    struct psim s;
    memset(out, 0, sizeof *out);
    if (frames < 2 || frames < r->widest || psim_init(&s, r, frames))
        return -1;
    int rc = run_policy(&s, r, p);
    if (!rc)
        psim_finish(&s, out);
    psim_free(&s);
    return rc;
}
