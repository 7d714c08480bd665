/*
 * paging_sim.h - the frame table every fixed-F simulation shares.
 *
 * One word per distinct page and one per frame:
 *
 *     state[page]   (frame + 1) << 2 | R << 1 | D    while resident
 *                   1                                seen, not resident
 *                   0                                never referenced
 *     page_of[frame]  the page in the frame (frames 0 .. used-1 are full)
 *
 * so a hit is one load, one compare and one store of state[page]; only a
 * fault touches anything else.  R is set by every reference (clock,
 * eclock and aging read it), D by every write since the page was loaded.
 */
#ifndef VMSIM_TOOLS_PAGING_SIM_H
#define VMSIM_TOOLS_PAGING_SIM_H

#include "paging.h"

#define ST_D            1u
#define ST_R            2u
#define ST_SEEN         1u
#define ST_RESIDENT(st) ((st) >= 4u)
#define ST_FRAME(st)    (((st) >> 2) - 1u)

struct psim {
    const uint32_t *ref;
    uint64_t n;
    uint32_t n_pages;
    uint32_t frames, used;
    uint32_t *state;
    uint32_t *page_of;
    struct paging_result res;
};

/* Allocate for `frames` frames (clamped to the pages there are, which
 * changes nothing: with a frame per page nothing is ever evicted).
 * 0, or -1 (no memory). */
int psim_init(struct psim *s, const struct paging_refs *r, uint32_t frames);
void psim_free(struct psim *s);

/* Is `page` one of the pinned pages while ref[t] (a PAGING_CONT
 * reference) is served: the pages of its access's earlier references? */
static inline bool psim_pinned(const uint32_t *ref, uint64_t t, uint32_t page)
{
    for (uint64_t j = t; j-- > 0;) {
        if (ref[j] >> PAGING_ID_SHIFT == page)
            return true;
        if (!(ref[j] & PAGING_CONT))
            break;
    }
    return false;
}

/* Is frame f's page pinned while ref[t] is served? */
static inline bool psim_frame_pinned(const struct psim *s, uint64_t t, uint32_t f)
{
    return (s->ref[t] & PAGING_CONT) && psim_pinned(s->ref, t, s->page_of[f]);
}

/* Count a fault on page p (state st). */
static inline void psim_count_fault(struct psim *s, uint32_t st)
{
    s->res.faults++;
    if (st == 0)
        s->res.cold++;
}

/* Evict the page in frame f (a write-back if it is dirty); returns f. */
static inline uint32_t psim_evict(struct psim *s, uint32_t f)
{
    uint32_t q = s->page_of[f];
    s->res.evictions++;
    s->res.writebacks += s->state[q] & ST_D;
    s->state[q] = ST_SEEN;
    return f;
}

/* Load page p into frame f for reference v (referenced: R = 1). */
static inline void psim_load(struct psim *s, uint32_t p, uint32_t f, uint32_t v)
{
    s->state[p] = (f + 1) << 2 | ST_R | (v & PAGING_WRITE);
    s->page_of[f] = p;
}

/* opt's eviction order (paging_opt.c): the greatest key goes first. */
static inline uint64_t opt_key(uint32_t next_use, uint32_t page, uint32_t n_pages)
{
    return next_use != PAGING_NEVER ? next_use : (1ull << 32) + (n_pages - page);
}

/* Chooses the victim frame when every frame is full, for ref[t]. */
typedef uint32_t (*psim_victim_fn)(struct psim *s, void *ctx, uint64_t t);

/* The loop of every policy whose hits only set R and D (fifo, random,
 * clock, eclock): inline, so that `victim` is inlined into it too. */
static inline void psim_run(struct psim *s, psim_victim_fn victim, void *ctx)
{
    uint32_t *state = s->state;
    for (uint64_t t = 0; t < s->n; t++) {
        uint32_t v = s->ref[t], p = v >> PAGING_ID_SHIFT, st = state[p];
        if (ST_RESIDENT(st)) {
            state[p] = st | ST_R | (v & PAGING_WRITE);
            continue;
        }
        psim_count_fault(s, st);
        uint32_t f = s->used < s->frames ? s->used++ : psim_evict(s, victim(s, ctx, t));
        psim_load(s, p, f, v);
    }
}

/* Fill in references and re-loads once the string is done. */
void psim_finish(struct psim *s, struct paging_result *out);

/* The per-policy simulations (paging_sim.c, paging_clock.c, paging_opt.c). */
int psim_fifo(struct psim *s);
int psim_lru(struct psim *s);
int psim_random(struct psim *s, uint32_t seed);
int psim_aging(struct psim *s, unsigned k, uint64_t period);
int psim_clock(struct psim *s);
int psim_eclock(struct psim *s);
int psim_opt(struct psim *s, const uint32_t *next);

#endif
