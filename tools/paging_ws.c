/*
 * paging_ws.c - Denning's working set W(t, tau): the pages referenced in
 * the last tau references, t - tau + 1 .. t (times count references from
 * 1).  Not a fixed-F policy: memory grows and shrinks with the window.
 *
 *   fault at t      the page's previous reference is more than tau back
 *                   (t - prev > tau), or there is none (a cold fault)
 *   |W(t, tau)|     kept as a count: +1 when a reference brings its page
 *                   into the window, -1 when the reference leaving the
 *                   window (the one at t - tau) was its page's last
 *
 *        t - tau    t - tau + 1 ...... t - 1    t
 *        leaves     [------- W(t - 1, tau) ------]
 *                   [----------- W(t, tau) ---------]
 *
 * The mean working-set size is the sum of |W(t, tau)| over every t,
 * divided by the number of references (the first tau - 1 windows are
 * shorter and count as they are).  Evictions and write-backs are not
 * defined for ws.
 */
#include <stdlib.h>
#include <string.h>

#include "paging.h"

int paging_ws(const struct paging_refs *r, uint64_t tau, struct paging_result *out)
{
    uint64_t *last = calloc((size_t)r->n_pages + 1, sizeof *last); /* time of last use, 0 never */
    memset(out, 0, sizeof *out);
    if (!last || tau == 0) {
        free(last);
        return -1;
    }
    uint64_t size = 0, sum = 0;
    for (uint64_t t = 1; t <= r->n; t++) {
        uint32_t p = r->ref[t - 1] >> PAGING_ID_SHIFT;
        if (t > tau) {
            uint32_t q = r->ref[t - tau - 1] >> PAGING_ID_SHIFT; /* the reference at t - tau */
            if (last[q] == t - tau)
                size--;
        }
        uint64_t prev = last[p];
        if (prev == 0 || t - prev > tau) {
            out->faults++;
            out->cold += prev == 0;
        }
        if (prev == 0 || prev + tau <= t) /* not in t - tau + 1 .. t - 1 */
            size++;
        last[p] = t;
        sum += size;
    }
    free(last);
    out->references = r->n;
    out->reloads = out->faults - out->cold;
    out->mean_ws = r->n ? (double)sum / (double)r->n : 0.0;
    return 0;
}
