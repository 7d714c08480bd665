/*
 * policy.c - the built-in page-replacement policies, written against
 * the public table (vmsim_policy_ops_t) like any outside policy.
 *
 * They see the resident user pages as frame numbers, and references
 * only through the hardware: R is the accessed bit and D the dirty bit
 * of the page's PTEs, read and cleared with vmsim_page_accessed() /
 * vmsim_page_dirty() (each cleared A costs an INVLPG, so the next
 * reference walks and the walker sets it again).  The rules are those
 * of docs/swap.md, which follow the project's paging spec exactly:
 *
 *   frames     the resident pages' frames in frame-number order form the
 *              ring; a page that replaces a victim takes the victim's
 *              frame, so the ring keeps its order
 *   fifo       the page loaded longest ago (a list in load order)
 *   clock      from the hand: R = 1 -> clear R, next; R = 0 -> victim;
 *              the hand then stands one frame past the victim
 *   eclock     from the hand, up to four rounds of F frames: (1) first
 *              R = 0, D = 0, touching nothing; (2) first R = 0, D = 1,
 *              clearing R of the pages passed; then (1) and (2) again
 *   aging      k-bit counters, at each tick counter = counter >> 1 |
 *              R << (k - 1) and R = 0; victim: least R * 2^k + counter,
 *              ties to the page resident longest
 *   random     xorshift32 draw x; the page in ring position x mod F
 *
 * Pinned and mlocked pages (vmsim_page_evictable() false) are passed
 * over as if they were not there: clock and eclock move the hand past
 * them without touching their bits, fifo and aging skip them, random
 * takes the next evictable frame up from its draw, wrapping.
 */
#include "vmm_internal.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct pol {
    vmsim_policy_kind_t kind;
    uint32_t n_frames, n_words, n_in;
    uint64_t *in;                      /* ring membership, by pfn */
    uint32_t hand;                     /* clock, eclock: the ring position at or after this pfn */
    uint32_t *prev, *next, head, tail; /* fifo: load order */
    uint32_t *counter;                 /* aging */
    uint64_t *since, seq;              /* aging: when the residency began */
    unsigned bits;
    uint32_t x; /* random */
};

static bool member(const struct pol *p, uint32_t pfn)
{
    return pfn < p->n_frames && ((p->in[pfn >> 6] >> (pfn & 63)) & 1);
}

/* The first member at or after pfn, wrapping; NONE when empty. */
static uint32_t ring_next(const struct pol *p, uint32_t pfn)
{
    if (!p->n_in)
        return NONE;
    uint32_t i = pfn < p->n_frames ? pfn : 0;
    for (uint32_t n = 0; n <= p->n_words; n++) {
        uint32_t w = i >> 6;
        uint64_t bits = p->in[w] >> (i & 63);
        if (bits)
            return i + (uint32_t)__builtin_ctzll(bits);
        i = (w + 1) * 64;
        if (i >= p->n_frames)
            i = 0;
    }
    return NONE;
}

/* The member of rank `rank` (0-based) in frame order. */
static uint32_t ring_at(const struct pol *p, uint32_t rank)
{
    for (uint32_t w = 0; w < p->n_words; w++) {
        uint32_t c = (uint32_t)__builtin_popcountll(p->in[w]);
        if (rank >= c) {
            rank -= c;
            continue;
        }
        uint64_t bits = p->in[w];
        while (rank--)
            bits &= bits - 1;
        return w * 64 + (uint32_t)__builtin_ctzll(bits);
    }
    return NONE;
}

static bool referenced(vmsim_kernel_t *k, uint32_t pfn, bool clear)
{
    bool r = false;
    vmsim_page_accessed(k, pfn, clear, &r);
    return r;
}

static bool dirty(vmsim_kernel_t *k, uint32_t pfn)
{
    bool d = false;
    vmsim_page_dirty(k, pfn, false, &d);
    return d;
}

/* --- the table's life cycle --- */

static void pol_destroy(vmsim_kernel_t *k, void *state)
{
    struct pol *p = state;
    (void)k;
    if (!p)
        return;
    free(p->in);
    free(p->prev);
    free(p->next);
    free(p->counter);
    free(p->since);
    free(p);
}

static vmsim_status_t pol_init(vmsim_kernel_t *k, vmsim_policy_kind_t kind, void **state)
{
    struct pol *p = calloc(1, sizeof *p);
    if (!p)
        return VMSIM_ERR_NOMEM;
    p->kind = kind;
    p->n_frames = k->pmm->n_frames;
    p->n_words = (p->n_frames + 63) / 64;
    p->head = p->tail = NONE;
    p->bits = k->cfg.aging_bits;
    p->x = k->cfg.random_seed ? k->cfg.random_seed : 1;
    p->in = calloc(p->n_words, sizeof *p->in);
    bool ok = p->in != NULL;
    if (kind == VMSIM_POLICY_FIFO) {
        p->prev = malloc(p->n_frames * sizeof *p->prev);
        p->next = malloc(p->n_frames * sizeof *p->next);
        ok = ok && p->prev && p->next;
    } else if (kind == VMSIM_POLICY_AGING) {
        p->counter = calloc(p->n_frames, sizeof *p->counter);
        p->since = calloc(p->n_frames, sizeof *p->since);
        ok = ok && p->counter && p->since;
    }
    if (!ok) {
        pol_destroy(k, p);
        return VMSIM_ERR_NOMEM;
    }
    *state = p;
    return VMSIM_OK;
}

static void pol_loaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    struct pol *p = state;
    (void)k;
    p->in[pfn >> 6] |= 1ull << (pfn & 63);
    p->n_in++;
    if (p->prev) {
        p->prev[pfn] = p->tail;
        p->next[pfn] = NONE;
        if (p->tail != NONE)
            p->next[p->tail] = pfn;
        else
            p->head = pfn;
        p->tail = pfn;
    }
    if (p->counter) {
        p->counter[pfn] = 0;
        p->since[pfn] = ++p->seq;
    }
}

static void pol_unloaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    struct pol *p = state;
    (void)k;
    if (!member(p, pfn))
        return;
    p->in[pfn >> 6] &= ~(1ull << (pfn & 63));
    p->n_in--;
    if (p->prev) {
        uint32_t a = p->prev[pfn], b = p->next[pfn];
        *(a != NONE ? &p->next[a] : &p->head) = b;
        *(b != NONE ? &p->prev[b] : &p->tail) = a;
    }
}

static bool pol_tracks(const vmsim_kernel_t *k, const void *state, uint32_t pfn)
{
    (void)k;
    return member(state, pfn);
}

/* --- choosing --- */

static vmsim_status_t fifo_choose(vmsim_kernel_t *k, struct pol *p, uint32_t *victim)
{
    for (uint32_t pfn = p->head; pfn != NONE; pfn = p->next[pfn]) {
        if (vmsim_page_evictable(k, pfn)) {
            *victim = pfn;
            return VMSIM_OK;
        }
    }
    return VMSIM_ERR_NO_FRAMES;
}

static vmsim_status_t clock_choose(vmsim_kernel_t *k, struct pol *p, uint32_t *victim)
{
    uint32_t pfn = ring_next(p, p->hand);
    /* One round clears every unpinned R, so the second must find one. */
    for (uint32_t step = 0; pfn != NONE && step <= 2 * p->n_in; step++) {
        if (vmsim_page_evictable(k, pfn) && !referenced(k, pfn, true)) {
            *victim = pfn;
            p->hand = pfn + 1;
            return VMSIM_OK;
        }
        pfn = ring_next(p, pfn + 1);
    }
    return VMSIM_ERR_NO_FRAMES;
}

/* One eclock round from the hand: the first evictable page with R = 0
 * and D = want_dirty; with clear, R of every page passed is cleared. */
static uint32_t eclock_round(vmsim_kernel_t *k, struct pol *p, bool want_dirty, bool clear)
{
    uint32_t pfn = ring_next(p, p->hand);
    for (uint32_t i = 0; pfn != NONE && i < p->n_in; i++) {
        if (vmsim_page_evictable(k, pfn)) {
            if (!referenced(k, pfn, false) && dirty(k, pfn) == want_dirty)
                return pfn;
            if (clear)
                referenced(k, pfn, true);
        }
        pfn = ring_next(p, pfn + 1);
    }
    return NONE;
}

static vmsim_status_t eclock_choose(vmsim_kernel_t *k, struct pol *p, uint32_t *victim)
{
    for (int pass = 0; pass < 4; pass++) {
        bool second = pass & 1;
        uint32_t pfn = eclock_round(k, p, second, second);
        if (pfn != NONE) {
            *victim = pfn;
            p->hand = pfn + 1;
            return VMSIM_OK;
        }
    }
    return VMSIM_ERR_NO_FRAMES;
}

static vmsim_status_t aging_choose(vmsim_kernel_t *k, struct pol *p, uint32_t *victim)
{
    uint32_t best = NONE;
    uint64_t best_key = 0;
    for (uint32_t pfn = ring_next(p, 0), i = 0; pfn != NONE && i < p->n_in;
         pfn = ring_next(p, pfn + 1), i++) {
        if (!vmsim_page_evictable(k, pfn))
            continue;
        uint64_t key = ((uint64_t)referenced(k, pfn, false) << p->bits) + p->counter[pfn];
        if (best == NONE || key < best_key || (key == best_key && p->since[pfn] < p->since[best])) {
            best = pfn;
            best_key = key;
        }
    }
    *victim = best;
    return best == NONE ? VMSIM_ERR_NO_FRAMES : VMSIM_OK;
}

static vmsim_status_t random_choose(vmsim_kernel_t *k, struct pol *p, uint32_t *victim)
{
    if (!p->n_in)
        return VMSIM_ERR_NO_FRAMES;
    p->x ^= p->x << 13;
    p->x ^= p->x >> 17;
    p->x ^= p->x << 5;
    uint32_t pfn = ring_at(p, p->x % p->n_in);
    for (uint32_t i = 0; i < p->n_in; i++, pfn = ring_next(p, pfn + 1)) {
        if (vmsim_page_evictable(k, pfn)) {
            *victim = pfn;
            return VMSIM_OK;
        }
    }
    return VMSIM_ERR_NO_FRAMES;
}

static vmsim_status_t pol_choose(vmsim_kernel_t *k, void *state, uint32_t *victim)
{
    struct pol *p = state;
    switch (p->kind) {
    case VMSIM_POLICY_FIFO: return fifo_choose(k, p, victim);
    case VMSIM_POLICY_CLOCK: return clock_choose(k, p, victim);
    case VMSIM_POLICY_ECLOCK: return eclock_choose(k, p, victim);
    case VMSIM_POLICY_AGING: return aging_choose(k, p, victim);
    default: return random_choose(k, p, victim);
    }
}

static void aging_tick(vmsim_kernel_t *k, void *state)
{
    struct pol *p = state;
    for (uint32_t pfn = ring_next(p, 0), i = 0; pfn != NONE && i < p->n_in;
         pfn = ring_next(p, pfn + 1), i++) {
        uint32_t r = referenced(k, pfn, true);
        p->counter[pfn] = (p->counter[pfn] >> 1) | (r << (p->bits - 1));
    }
}

/* --- the tables --- */

#define INIT_FN(kind_name, kind)                                                                   \
    static vmsim_status_t init_##kind_name(vmsim_kernel_t *k, void *user, void **state)            \
    {                                                                                              \
        (void)user;                                                                                \
        return pol_init(k, kind, state);                                                           \
    }
INIT_FN(fifo, VMSIM_POLICY_FIFO)
INIT_FN(clock, VMSIM_POLICY_CLOCK)
INIT_FN(eclock, VMSIM_POLICY_ECLOCK)
INIT_FN(aging, VMSIM_POLICY_AGING)
INIT_FN(random, VMSIM_POLICY_RANDOM)

#define TABLE(kind_name, tick_fn)                                                                  \
    {                                                                                              \
#kind_name, init_##kind_name, pol_loaded, pol_unloaded, tick_fn, pol_choose, pol_tracks,   \
            pol_destroy                                                                            \
    }

static const vmsim_policy_ops_t builtins[VMSIM_POLICY_COUNT] = {
    TABLE(fifo, NULL),        TABLE(clock, NULL),  TABLE(eclock, NULL),
    TABLE(aging, aging_tick), TABLE(random, NULL),
};

const vmsim_policy_ops_t *vmsim_policy_builtin(vmsim_policy_kind_t kind)
{
    return (unsigned)kind < VMSIM_POLICY_COUNT ? &builtins[kind] : NULL;
}

const char *vmsim_policy_name(vmsim_policy_kind_t kind)
{
    return (unsigned)kind < VMSIM_POLICY_COUNT ? builtins[kind].name : "unknown";
}

vmsim_status_t vmsim_policy_parse(const char *name, vmsim_policy_kind_t *out)
{
    if (!name || !out)
        return VMSIM_ERR_NULL;
    for (unsigned i = 0; i < VMSIM_POLICY_COUNT; i++) {
        if (strcmp(name, builtins[i].name) == 0) {
            *out = (vmsim_policy_kind_t)i;
            return VMSIM_OK;
        }
    }
    return VMSIM_ERR_NOT_FOUND;
}
