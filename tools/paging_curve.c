/*
 * paging_curve.c - lru and opt for every F at once (Mattson, Gecsei,
 * Slutz and Traiger, "Evaluation techniques for storage hierarchies",
 * IBM Systems Journal 9(2), 1970).
 *
 * Both are stack algorithms: at every moment the pages can be ranked
 * 0, 1, 2, ... so that a memory of F frames holds exactly ranks 0..F-1,
 * for every F.  A reference to the page at rank d is a hit for F > d and
 * a fault for F <= d (a first reference faults for every F), so one pass
 * that histograms d gives the faults of every F.  Ranks only grow between
 * two references to a page, which gives the rest too:
 *
 *   evictions(F)  = faults(F) - min(F, pages): the first F loads fill
 *                   empty frames, every later fault evicts
 *   write-backs   a page referenced at rank d was evicted since its last
 *                 reference in memories F <= d, and was dirty there when
 *                 no reference since its last write had rank >= F.  With
 *                 M = the greatest such rank (-1 after the write itself),
 *                 the eviction wrote back for M < F <= d.  At the end of
 *                 the string a page at rank e was evicted for F <= e.
 *                 Each is a range of F: a difference array sums them.
 *
 * Ranks are clamped at fmax (the largest F asked, at most the pages
 * there are): rank >= fmax faults for every F asked.
 *
 * lru: the rank is the stack distance, the number of distinct pages used
 * since the page's last use: a short array holds the few most recent
 * pages, and a Fenwick tree over time slots, one mark per older page at
 * its last use, counts the rest (O(log) per reference at worst).
 *
 * opt: Belady's priority stack.  The referenced page goes to rank 0 and
 * the page it displaces is carried down: at each rank up to the old rank
 * of the referenced page, the one of the two that opt would evict first
 * (paging_opt.c's key) is carried on and the other stays.  The page
 * carried out of ranks 0..F-1 is the F-frame victim.
 *
 * Pinning: lru's victim is the least recent page, never a pinned one (they
 * are the most recent, and F >= the widest access).  opt's could be one:
 * the first page of a crossing access is often the page needed last.  But
 * opt with pinning is a stack algorithm too.  Mattson et al. show that
 * any policy that evicts the resident page lowest in a priority order is
 * one, provided the order at each reference does not depend on F; opt
 * with pinning evicts by the order "the pinned pages of this reference
 * first, then every other page by opt's key", which depends only on the
 * string.  So while a reference continues an access, its pinned pages get
 * key 0 (kept before anything) in the carry, and the stack describes the
 * pinned simulation for every F.  As a guard the pass still notes any F
 * whose victim would be pinned (exact[] false, simulated directly): only
 * F below the access's width, which --frames refuses, can have one.
 */
#include <stdlib.h>
#include <string.h>

#include "paging_sim.h"

#define NOT_WRITTEN UINT32_MAX

/* The histogram and write-back ranges of one pass. */
struct curve {
    uint32_t fmax;
    uint64_t *hist;  /* [0 .. fmax]: references by clamped rank */
    int64_t *wb;     /* [0 .. fmax + 1]: write-backs, difference over F */
    uint32_t *since; /* per page: 1 + M (see above), NOT_WRITTEN before a write */
};

static int curve_init(struct curve *c, const struct paging_refs *r, const uint32_t *frames,
                      size_t n)
{
    c->fmax = 1;
    for (size_t i = 0; i < n; i++)
        if (frames[i] > c->fmax)
            c->fmax = frames[i];
    if (c->fmax > r->n_pages)
        c->fmax = r->n_pages ? r->n_pages : 1;
    c->hist = calloc((size_t)c->fmax + 2, sizeof *c->hist);
    c->wb = calloc((size_t)c->fmax + 2, sizeof *c->wb);
    c->since = malloc(((size_t)r->n_pages + 1) * sizeof *c->since);
    if (!c->hist || !c->wb || !c->since)
        return -1;
    memset(c->since, 0xff, ((size_t)r->n_pages + 1) * sizeof *c->since);
    return 0;
}

static void curve_free(struct curve *c)
{
    free(c->hist);
    free(c->wb);
    free(c->since);
}

/* Write-backs for F in [lo, hi]. */
static void curve_wb(struct curve *c, uint32_t lo, uint32_t hi)
{
    if (lo < 1)
        lo = 1;
    if (lo <= hi) {
        c->wb[lo]++;
        c->wb[hi + 1]--;
    }
}

/* A reference to page p at clamped rank d. */
static inline void curve_ref(struct curve *c, uint32_t p, bool write, uint32_t d)
{
    uint32_t m = c->since[p];
    c->hist[d]++;
    if (m != NOT_WRITTEN)
        curve_wb(c, m, d);
    if (write)
        c->since[p] = 0;
    else if (m != NOT_WRITTEN && m < d + 1)
        c->since[p] = d + 1;
}

/* Page p ends the string at clamped rank e. */
static void curve_end(struct curve *c, uint32_t p, uint32_t e)
{
    if (c->since[p] != NOT_WRITTEN)
        curve_wb(c, c->since[p], e);
}

static void curve_results(const struct curve *c, const struct paging_refs *r,
                          const uint32_t *frames, size_t n, struct paging_result *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t F = frames[i] < c->fmax ? frames[i] : c->fmax;
        struct paging_result *o = &out[i];
        memset(o, 0, sizeof *o);
        o->references = r->n;
        for (uint32_t d = F; d <= c->fmax; d++)
            o->faults += c->hist[d];
        if (r->n_pages == 0)
            o->faults = 0;
        o->cold = r->n_pages;
        o->reloads = o->faults - o->cold;
        o->evictions = o->faults - (F < r->n_pages ? F : r->n_pages);
        int64_t wb = 0;
        for (uint32_t f = 0; f <= F; f++)
            wb += c->wb[f];
        o->writebacks = (uint64_t)wb;
    }
}

/* --- lru: stack distances --- */

/* The LRU_TOP most recent pages sit in a small array, most recent first,
 * where a reference finds its distance by a short scan (most references
 * of a real program land there).  Every other page used so far has a
 * mark in a Fenwick tree at the slot of its last use; its distance is
 * LRU_TOP plus the marks after that slot.  A page pushed out of the array
 * gets its mark then.  Slots are handed out one per reference and
 * renumbered in order when they run out. */
#define LRU_TOP 8

struct lru_dist {
    uint32_t top[LRU_TOP];
    uint32_t n_top;
    uint32_t *tree;  /* [1 .. cap] */
    uint32_t *owner; /* [1 .. cap]: the page used at each slot */
    uint32_t *when;  /* per page: the slot of its last use, 0 = never used */
    uint32_t cap, now, marked;
};

static uint32_t fen_prefix(const struct lru_dist *f, uint32_t i)
{
    uint32_t sum = 0;
    for (; i; i -= i & -i)
        sum += f->tree[i];
    return sum;
}

static void fen_add(struct lru_dist *f, uint32_t i, uint32_t v)
{
    for (; i <= f->cap; i += i & -i)
        f->tree[i] += v;
}

static bool in_top(const struct lru_dist *f, uint32_t p)
{
    for (uint32_t i = 0; i < f->n_top; i++)
        if (f->top[i] == p)
            return true;
    return false;
}

/* Slots 1.. for the pages' last uses, in time order; the tree rebuilt
 * (marks for the pages below the array) in O(cap). */
static void fen_renumber(struct lru_dist *f)
{
    uint32_t k = 0;
    for (uint32_t i = 1; i <= f->cap; i++)
        f->tree[i] = 0;
    for (uint32_t s = 1; s <= f->now; s++) {
        uint32_t p = f->owner[s];
        if (f->when[p] == s) {
            f->when[p] = ++k;
            f->owner[k] = p;
            f->tree[k] = !in_top(f, p);
        }
    }
    for (uint32_t i = 1; i <= f->cap; i++) {
        uint32_t j = i + (i & -i);
        if (j <= f->cap)
            f->tree[j] += f->tree[i];
    }
    f->now = k;
}

static int lru_init(struct lru_dist *f, uint32_t n_pages)
{
    memset(f, 0, sizeof *f);
    f->cap = 1024;
    while (f->cap < 2 * (uint64_t)n_pages + 1024)
        f->cap *= 2;
    f->tree = calloc((size_t)f->cap + 1, sizeof *f->tree);
    f->owner = calloc((size_t)f->cap + 1, sizeof *f->owner);
    f->when = calloc((size_t)n_pages + 1, sizeof *f->when);
    return f->tree && f->owner && f->when ? 0 : -1;
}

static void lru_free(struct lru_dist *f)
{
    free(f->tree);
    free(f->owner);
    free(f->when);
}

/* Page p's distance, and p on top: UINT32_MAX on its first use. */
static uint32_t lru_use(struct lru_dist *f, uint32_t p)
{
    uint32_t d = 0;
    while (d < f->n_top && f->top[d] != p)
        d++;
    if (d == f->n_top) { /* below the array, or new */
        uint32_t t = f->when[p];
        d = t ? f->n_top + f->marked - fen_prefix(f, t) : UINT32_MAX;
        if (t) {
            fen_add(f, t, UINT32_MAX); /* -1 */
            f->marked--;
        }
        if (f->n_top == LRU_TOP) { /* the last of the array goes below it */
            uint32_t q = f->top[LRU_TOP - 1];
            fen_add(f, f->when[q], 1);
            f->marked++;
        } else {
            f->n_top++;
        }
    }
    uint32_t i = d < f->n_top ? d : f->n_top - 1;
    for (; i > 0; i--)
        f->top[i] = f->top[i - 1];
    f->top[0] = p;
    if (f->now == f->cap) {
        f->when[p] = 0;
        fen_renumber(f);
    }
    f->when[p] = ++f->now;
    f->owner[f->now] = p;
    return d;
}

/* Where page p stands at the end. */
static uint32_t lru_rank(const struct lru_dist *f, uint32_t p)
{
    for (uint32_t i = 0; i < f->n_top; i++)
        if (f->top[i] == p)
            return i;
    return f->n_top + f->marked - fen_prefix(f, f->when[p]);
}

int paging_lru_curve(const struct paging_refs *r, const uint32_t *frames, size_t n,
                     struct paging_result *out)
{
    struct curve c;
    struct lru_dist f;
    memset(&c, 0, sizeof c);
    memset(&f, 0, sizeof f);
    int rc = curve_init(&c, r, frames, n) || lru_init(&f, r->n_pages) ? -1 : 0;
    for (uint64_t t = 0; !rc && t < r->n; t++) {
        uint32_t v = r->ref[t], p = v >> PAGING_ID_SHIFT, d = lru_use(&f, p);
        curve_ref(&c, p, v & PAGING_WRITE, d < c.fmax ? d : c.fmax);
    }
    for (uint32_t p = 0; !rc && p < r->n_pages; p++) {
        uint32_t e = lru_rank(&f, p);
        curve_end(&c, p, e < c.fmax ? e : c.fmax);
    }
    if (!rc)
        curve_results(&c, r, frames, n, out);
    lru_free(&f);
    curve_free(&c);
    return rc;
}

/* --- opt: Belady's priority stack --- */

struct opt_stack {
    uint32_t *page; /* [0 .. size): page at each rank */
    uint64_t *key;  /* its opt_key() */
    uint32_t *rank; /* per page: its rank, UINT32_MAX when below fmax */
    uint32_t size;
    bool *pin_matters; /* [0 .. fmax]: F where pinning changed a victim */
};

/* Rank i's page is evicted before the carry: it is carried on, the carry
 * stays at rank i. */
static void opt_swap(struct opt_stack *o, uint32_t i, uint32_t *carry, uint64_t *carry_key)
{
    uint32_t pg = o->page[i];
    uint64_t k = o->key[i];
    o->page[i] = *carry;
    o->key[i] = *carry_key;
    o->rank[*carry] = i;
    *carry = pg;
    *carry_key = k;
}

/* Carry down through ranks 1 .. end-1. */
static void opt_carry(struct opt_stack *o, uint32_t end, uint32_t *carry, uint64_t *carry_key)
{
    for (uint32_t i = 1; i < end; i++)
        if (o->key[i] > *carry_key)
            opt_swap(o, i, carry, carry_key);
}

/* The same while ref[t] continues an access: its pinned pages come before
 * every other page (key 0 for this reference), so none is carried past
 * another page.  A carry still pinned as it leaves ranks 0 .. i-1 would
 * be the victim of F = i: noted (it happens only for F below the access's
 * width, which no F may be). */
static void opt_carry_pinned(struct opt_stack *o, const struct paging_refs *r, uint64_t t,
                             uint32_t end, uint32_t *carry, uint64_t *carry_key)
{
    bool carry_pinned = psim_pinned(r->ref, t, *carry);
    for (uint32_t i = 1;; i++) {
        if (carry_pinned)
            o->pin_matters[i] = true;
        if (i == end)
            break;
        bool pinned = psim_pinned(r->ref, t, o->page[i]);
        if ((pinned ? 0 : o->key[i]) > (carry_pinned ? 0 : *carry_key)) {
            opt_swap(o, i, carry, carry_key);
            carry_pinned = pinned;
        }
    }
}

/* Page p, next used at next_use, referenced while ref[t] is served:
 * returns its rank before (UINT32_MAX: below fmax, or new). */
static uint32_t opt_use(struct opt_stack *o, const struct paging_refs *r, uint32_t fmax, uint64_t t,
                        uint32_t p, uint32_t next_use)
{
    uint32_t d = o->rank[p];
    uint64_t key = opt_key(next_use, p, r->n_pages);
    if (d == 0) {
        o->key[0] = key;
        return 0;
    }
    uint32_t end = d != UINT32_MAX ? d : o->size, carry = o->page[0];
    uint64_t carry_key = o->key[0];
    o->page[0] = p;
    o->key[0] = key;
    o->rank[p] = 0;
    if (end == 0) { /* the first page of all */
        o->size = 1;
        return d;
    }
    if (r->ref[t] & PAGING_CONT)
        opt_carry_pinned(o, r, t, end, &carry, &carry_key);
    else
        opt_carry(o, end, &carry, &carry_key);
    if (end < fmax) { /* into the referenced page's old rank, or one more rank */
        o->page[end] = carry;
        o->key[end] = carry_key;
        o->rank[carry] = end;
        o->size += d == UINT32_MAX;
    } else {
        o->rank[carry] = UINT32_MAX; /* below every memory asked about */
    }
    return d;
}

static int opt_init(struct opt_stack *o, uint32_t fmax, uint32_t n_pages)
{
    o->page = calloc((size_t)fmax + 1, sizeof *o->page);
    o->key = calloc((size_t)fmax + 1, sizeof *o->key);
    o->rank = malloc(((size_t)n_pages + 1) * sizeof *o->rank);
    o->pin_matters = calloc((size_t)fmax + 2, sizeof *o->pin_matters);
    o->size = 0;
    if (!o->page || !o->key || !o->rank || !o->pin_matters)
        return -1;
    memset(o->rank, 0xff, ((size_t)n_pages + 1) * sizeof *o->rank);
    return 0;
}

static void opt_free(struct opt_stack *o)
{
    free(o->page);
    free(o->key);
    free(o->rank);
    free(o->pin_matters);
}

int paging_opt_curve(const struct paging_refs *r, const uint32_t *frames, size_t n,
                     struct paging_result *out, bool *exact)
{
    struct curve c;
    struct opt_stack o;
    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    int rc = !r->next || curve_init(&c, r, frames, n) || opt_init(&o, c.fmax, r->n_pages) ? -1 : 0;
    for (uint64_t t = 0; !rc && t < r->n; t++) {
        uint32_t v = r->ref[t], p = v >> PAGING_ID_SHIFT;
        uint32_t d = opt_use(&o, r, c.fmax, t, p, r->next[t]);
        curve_ref(&c, p, v & PAGING_WRITE, d < c.fmax ? d : c.fmax);
    }
    for (uint32_t p = 0; !rc && p < r->n_pages; p++)
        curve_end(&c, p, o.rank[p] < c.fmax ? o.rank[p] : c.fmax);
    if (!rc) {
        curve_results(&c, r, frames, n, out);
        for (size_t i = 0; i < n; i++)
            exact[i] = !o.pin_matters[frames[i] < c.fmax ? frames[i] : c.fmax];
    }
    opt_free(&o);
    curve_free(&c);
    return rc;
}
