/*
 * paging_opt.c - Belady's MIN (opt) on F frames, by direct simulation.
 *
 * Each frame remembers when its page is next referenced (next[] of the
 * reference that last touched it: paging_refs_next()).  The victim is the
 * unpinned page referenced farthest in the future; pages never referenced
 * again are farther than any, and among them the lowest page number (the
 * lowest id: ids are in page order) goes first.  As one key:
 *
 *     key = next use                      when there is one
 *         = 2^32 + (n_pages - page id)    never again
 *
 * and the victim has the greatest key.  A scan of the F frames per
 * eviction: opt is simulated directly only to check the one-pass curve
 * (paging_curve.c) and for the few F where pinning may change its
 * choices, so simplicity wins here.
 */
#include "paging_sim.h"

#include <stdlib.h>

static uint32_t opt_victim(const struct psim *s, const uint32_t *next_use, uint64_t t)
{
    uint32_t best = UINT32_MAX;
    uint64_t best_key = 0;
    for (uint32_t f = 0; f < s->frames; f++) {
        uint64_t key = opt_key(next_use[f], s->page_of[f], s->n_pages);
        if (key > best_key && !psim_frame_pinned(s, t, f)) {
            best = f;
            best_key = key;
        }
    }
    return best;
}

int psim_opt(struct psim *s, const uint32_t *next)
{
    uint32_t *next_use = malloc(((size_t)s->frames + 1) * sizeof *next_use), *state = s->state;
    if (!next_use)
        return -1;
    for (uint64_t t = 0; t < s->n; t++) {
        uint32_t v = s->ref[t], p = v >> PAGING_ID_SHIFT, st = state[p], f;
        if (ST_RESIDENT(st)) {
            state[p] = st | ST_R | (v & PAGING_WRITE);
            f = ST_FRAME(st);
        } else {
            psim_count_fault(s, st);
            f = s->used < s->frames ? s->used++ : psim_evict(s, opt_victim(s, next_use, t));
            psim_load(s, p, f, v);
        }
        next_use[f] = next[t];
    }
    free(next_use);
    return 0;
}
