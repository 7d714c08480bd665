/*
 * sweep_stack.h - LRU stack distances (Mattson, Gecsei, Slutz and
 * Traiger, "Evaluation techniques for storage hierarchies", IBM Systems
 * Journal 9(2), 1970).
 *
 * LRU is a stack algorithm: a fully-associative LRU TLB of E entries
 * holds exactly the E most recently used pages, for every E at once.  So
 * a lookup hits in a TLB of E entries iff its page's stack distance --
 * the number of distinct other pages used since the page's previous use
 * -- is below E, and one pass that histograms the distances gives the
 * hit count of every size:
 *
 *     hits(E) = sum of hist[d] for d < E        cold misses: first uses
 *
 * Distances are counted with a Fenwick tree over "time slots": slot t is
 * marked while the lookup at time t is its page's latest.  The distance
 * of a page last used at t is the number of marks after t.  When the
 * slots run out they are renumbered in order (only marked ones matter),
 * so memory grows with the distinct pages, never with the trace.
 */
#ifndef VMSIM_TOOLS_SWEEP_STACK_H
#define VMSIM_TOOLS_SWEEP_STACK_H

#include <stdint.h>

struct lru_stack {
    uint32_t *key, *when;   /* hash: vpn + 1 -> time slot of its last use */
    uint32_t hash_mask, n_pages;
    uint32_t *tree;         /* Fenwick tree over slots 1..cap */
    uint32_t cap, now;
    uint32_t max_distance;  /* distances >= this are lumped together */
    uint64_t *hist;         /* hist[0 .. max_distance]; the last is ">= max" */
    uint64_t cold;          /* first uses */
    uint64_t lookups;
};

/* Track distances below `max_distance` exactly.  0, or -1 (no memory). */
int lru_stack_init(struct lru_stack *s, uint32_t max_distance);
void lru_stack_free(struct lru_stack *s);

/* One use of page `vpn`.  Returns 0, or -1 (no memory). */
int lru_stack_access(struct lru_stack *s, uint32_t vpn);

/* Hits a fully-associative LRU TLB of `entries` (<= max_distance)
 * entries would have had. */
uint64_t lru_stack_hits(const struct lru_stack *s, uint32_t entries);

#endif
