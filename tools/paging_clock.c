/*
 * paging_clock.c - clock (second chance) and eclock (enhanced second
 * chance) on F frames.
 *
 * The frames form a ring in frame-number order with one hand, at frame 0
 * at the start.  Loads into empty frames do not move it; after an
 * eviction it stands one frame past the victim.
 *
 *        frame:   0     1     2     3
 *                [a R] [b  ] [c R] [d R]        clock, a fault:
 *                  ^hand                        a: R=1 -> clear, on
 *                                               b: R=0 -> victim, hand -> 2
 *
 * clock:  while the page under the hand has R = 1, clear R and advance;
 *         the page under the hand is the victim.
 * eclock: classes by (R, D).  Round (1) goes once round from the hand
 *         looking for (0, 0) and changes nothing; round (2) goes once
 *         round looking for (0, 1), clearing R of each page it passes
 *         over; if neither found one, (1) and (2) again, and the second
 *         (2) must find one (every R is clear by then).  Each round
 *         inspects the F frames from where the hand stands; the hand moves
 *         only when a victim is chosen.
 *
 * A pinned page (an earlier page of the access being served) is passed in
 * every round without looking at or changing its bits.
 */
#include "paging_sim.h"

/* clock: the victim frame; the hand ends one past it.  (Locals: the
 * stores to R could otherwise alias s's fields and reload them.) */
static uint32_t clock_victim(struct psim *s, void *ctx, uint64_t t)
{
    uint32_t *hand = ctx, h = *hand, frames = s->frames, *state = s->state;
    const uint32_t *page_of = s->page_of;
    bool cont = (s->ref[t] & PAGING_CONT) != 0;
    for (;;) {
        uint32_t *st = &state[page_of[h]];
        if (!cont || !psim_pinned(s->ref, t, page_of[h])) {
            if (!(*st & ST_R))
                break;
            *st &= ~ST_R;
        }
        h = h + 1 == frames ? 0 : h + 1;
    }
    *hand = h + 1 == frames ? 0 : h + 1;
    return h;
}

int psim_clock(struct psim *s)
{
    uint32_t hand = 0;
    psim_run(s, clock_victim, &hand);
    return 0;
}

/* One eclock round from `hand`: the first unpinned frame whose page has
 * (R, D) = (0, dirty), or UINT32_MAX.  With `clear`, R is cleared on each
 * unpinned page inspected before it (round 2). */
static uint32_t eclock_round(struct psim *s, uint32_t hand, uint64_t t, uint32_t dirty, bool clear)
{
    uint32_t f = hand;
    for (uint32_t i = 0; i < s->frames; i++) {
        if (!psim_frame_pinned(s, t, f)) {
            uint32_t *st = &s->state[s->page_of[f]];
            if ((*st & (ST_R | ST_D)) == dirty)
                return f;
            if (clear)
                *st &= ~ST_R;
        }
        f = f + 1 == s->frames ? 0 : f + 1;
    }
    return UINT32_MAX;
}

static uint32_t eclock_victim(struct psim *s, void *ctx, uint64_t t)
{
    uint32_t *hand = ctx;
    uint32_t f = UINT32_MAX;
    for (int pass = 0; pass < 2 && f == UINT32_MAX; pass++) {
        f = eclock_round(s, *hand, t, 0, false);
        if (f == UINT32_MAX)
            f = eclock_round(s, *hand, t, ST_D, true);
    }
    *hand = f + 1 == s->frames ? 0 : f + 1;
    return f;
}

int psim_eclock(struct psim *s)
{
    uint32_t hand = 0;
    psim_run(s, eclock_victim, &hand);
    return 0;
}
