/*
 * area.c - the area allocator's bookkeeping: a range of kernel virtual
 * addresses cut into page-granular, page-aligned areas, each either free
 * or used.
 *
 * Two lists hold every area of the range; together they tile it:
 *
 *   free list (address order, never two neighbours)
 *     +-----------+      +-----------+      +-------------------+
 *     | D0004000  | <--> | D0009000  | <--> | D000C000          |
 *     | 2 pages   |      | 1 page    |      | 131059 pages      |
 *     +-----------+      +-----------+      +-------------------+
 *
 *   used list (newest first; order does not matter)
 *     +-----------+      +-----------+      +-----------+
 *     | D000A000  | <--> | D0000000  | <--> | D0006000  |
 *     | 2 pages   |      | 4 pages   |      | 3 pages   |
 *     +-----------+      +-----------+      +-----------+
 *
 *   D0000000  D0004000  D0006000  D0009000 D000A000 D000C000 ...  EFFFF000
 *   |  used   |  free   |  used   | free |  used  |     free      |
 *
 * Allocating n pages picks a free area of at least n pages (the fit
 * strategy below), takes its low n pages for a new used area and leaves
 * the rest in place, so a split costs no new free descriptor.  Freeing
 * puts the area back into the free list at its address and merges it
 * with a free neighbour on either side, so the free list never holds two
 * adjacent areas and a range freed piece by piece becomes one area again.
 *
 * Fit strategies.  First fit (the default) takes the lowest free area
 * that is large enough.  Address-ordered first fit keeps allocations
 * packed at the low end and leaves the high end as one large block, so
 * large requests keep succeeding; in allocator studies (Wilson,
 * Johnstone et al., "Dynamic Storage Allocation: A Survey and Critical
 * Review", 1995; Johnstone and Wilson, "The Memory Fragmentation
 * Problem: Solved?", 1998) it fragments about as little as best fit,
 * while next fit - which starts where the last search stopped - spreads
 * allocations over the whole range and fragments more.  It is also what
 * Linux's vmalloc does (the lowest matching free vmap area).  Best fit
 * and next fit are here so that bench/bench_kmem.c can show the
 * difference.  Searching is O(free areas); merging keeps that list short.
 *
 * To find the used area that holds an address (vfree, kfree, the fault
 * handler) in O(1), a two-level table maps every page of a used area to
 * its descriptor, like a page table: 1024 entries per second-level
 * array, allocated the first time an area covers them.
 *
 * All of this is host memory: descriptors about simulated addresses.
 * Nothing here touches the machine.
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

/* --- the page -> area map --------------------------------------------------- */

static uint32_t page_index(const struct area_arena *a, uint32_t vaddr)
{
    return (vaddr - a->base) >> 12;
}

/* Make sure the map has entries for [start, start + n pages). */
static vmsim_status_t map_prepare(struct area_arena *a, uint32_t start, uint32_t n_pages)
{
    uint32_t first = page_index(a, start), last = first + n_pages - 1;
    for (uint32_t d = first >> 10; d <= last >> 10; d++) {
        if (a->map[d])
            continue;
        a->map[d] = calloc(1024, sizeof *a->map[d]);
        if (!a->map[d])
            return VMSIM_ERR_NOMEM;
    }
    return VMSIM_OK;
}

static void map_set(struct area_arena *a, uint32_t start, uint32_t n_pages, struct area *value)
{
    uint32_t first = page_index(a, start);
    for (uint32_t i = first; i < first + n_pages; i++)
        a->map[i >> 10][i & 1023] = value;
}

struct area *area_find(const struct area_arena *a, uint32_t vaddr)
{
    if (vaddr < a->base || vaddr >= a->end)
        return NULL;
    uint32_t i = page_index(a, vaddr);
    struct area **dir = a->map[i >> 10];
    return dir ? dir[i & 1023] : NULL;
}

/* --- lists -------------------------------------------------------------------- */

static void list_unlink(struct area **head, struct area *ar)
{
    if (ar->prev)
        ar->prev->next = ar->next;
    else
        *head = ar->next;
    if (ar->next)
        ar->next->prev = ar->prev;
    ar->prev = ar->next = NULL;
}

/* Insert ar after `prev` (at the head when prev is NULL). */
static void list_insert(struct area **head, struct area *prev, struct area *ar)
{
    ar->prev = prev;
    ar->next = prev ? prev->next : *head;
    if (ar->next)
        ar->next->prev = ar;
    if (prev)
        prev->next = ar;
    else
        *head = ar;
}

/* --- setting up --------------------------------------------------------------- */

vmsim_status_t area_arena_init(struct area_arena *a, uint32_t base, uint32_t end)
{
    memset(a, 0, sizeof *a);
    a->base = base;
    a->end = end;
    uint32_t n_pages = (end - base) / VMM_PAGE;
    a->n_dir = (n_pages + 1023) / 1024;
    a->map = calloc(a->n_dir, sizeof *a->map);
    struct area *all = calloc(1, sizeof *all);
    if (!a->map || !all) {
        free(all);
        free(a->map);
        a->map = NULL;
        return VMSIM_ERR_NOMEM;
    }
    all->start = base;
    all->n_pages = n_pages;
    a->free_list = all;
    a->n_free = 1;
    a->pages_free = n_pages;
    return VMSIM_OK;
}

static void free_list_of(struct area *ar)
{
    while (ar) {
        struct area *next = ar->next;
        free(ar);
        ar = next;
    }
}

void area_arena_fini(struct area_arena *a)
{
    free_list_of(a->free_list);
    free_list_of(a->used_list);
    for (uint32_t d = 0; a->map && d < a->n_dir; d++)
        free(a->map[d]);
    free(a->map);
    memset(a, 0, sizeof *a);
}

/* --- fitting -------------------------------------------------------------------- */

static struct area *fit_first(const struct area_arena *a, uint32_t n_pages)
{
    for (struct area *f = a->free_list; f; f = f->next)
        if (f->n_pages >= n_pages)
            return f;
    return NULL;
}

static struct area *fit_best(const struct area_arena *a, uint32_t n_pages)
{
    struct area *best = NULL;
    for (struct area *f = a->free_list; f; f = f->next) {
        if (f->n_pages < n_pages || (best && f->n_pages >= best->n_pages))
            continue;
        best = f;
        if (f->n_pages == n_pages)
            break;
    }
    return best;
}

static struct area *fit_next(const struct area_arena *a, uint32_t n_pages)
{
    struct area *from = a->rover ? a->rover : a->free_list;
    for (struct area *f = from; f; f = f->next)
        if (f->n_pages >= n_pages)
            return f;
    for (struct area *f = a->free_list; f && f != from; f = f->next)
        if (f->n_pages >= n_pages)
            return f;
    return NULL;
}

static struct area *fit(const struct area_arena *a, uint32_t n_pages)
{
    switch (a->fit) {
    case VMSIM_FIT_BEST: return fit_best(a, n_pages);
    case VMSIM_FIT_NEXT: return fit_next(a, n_pages);
    default: return fit_first(a, n_pages);
    }
}

/* --- allocating and freeing ------------------------------------------------------ */

/* Take the low n pages of free area f for used area ar. */
static void split(struct area_arena *a, struct area *f, struct area *ar, uint32_t n_pages)
{
    ar->start = f->start;
    ar->n_pages = n_pages;
    ar->flags = AREA_USED;
    if (f->n_pages == n_pages) {
        a->rover = f->next;
        list_unlink(&a->free_list, f);
        free(f);
        a->n_free--;
    } else {
        f->start += n_pages * VMM_PAGE;
        f->n_pages -= n_pages;
        a->rover = f;
    }
}

vmsim_status_t area_alloc(struct area_arena *a, uint32_t n_pages, struct area **out)
{
    *out = NULL;
    if (n_pages == 0 || n_pages > a->pages_free)
        return VMSIM_ERR_NO_SPACE;
    struct area *f = fit(a, n_pages);
    if (!f)
        return VMSIM_ERR_NO_SPACE;
    struct area *ar = calloc(1, sizeof *ar);
    if (!ar)
        return VMSIM_ERR_NOMEM;
    if (map_prepare(a, f->start, n_pages)) {
        free(ar);
        return VMSIM_ERR_NOMEM;
    }
    split(a, f, ar, n_pages);
    list_insert(&a->used_list, NULL, ar);
    a->n_used++;
    a->pages_used += n_pages;
    a->pages_free -= n_pages;
    map_set(a, ar->start, n_pages, ar);
    *out = ar;
    return VMSIM_OK;
}

/* Merge free area `right` into `left` (its lower neighbour). */
static void merge(struct area_arena *a, struct area *left, struct area *right)
{
    left->n_pages += right->n_pages;
    if (a->rover == right)
        a->rover = left;
    list_unlink(&a->free_list, right);
    free(right);
    a->n_free--;
}

void area_release(struct area_arena *a, struct area *ar)
{
    list_unlink(&a->used_list, ar);
    map_set(a, ar->start, ar->n_pages, NULL);
    a->n_used--;
    a->pages_used -= ar->n_pages;
    a->pages_free += ar->n_pages;
    uint32_t start = ar->start, n_pages = ar->n_pages;
    memset(ar, 0, sizeof *ar);
    ar->start = start;
    ar->n_pages = n_pages;
    struct area *prev = NULL;
    for (struct area *f = a->free_list; f && f->start < start; f = f->next)
        prev = f;
    list_insert(&a->free_list, prev, ar);
    a->n_free++;
    if (ar->next && area_end(ar) == ar->next->start)
        merge(a, ar, ar->next);
    if (prev && area_end(prev) == ar->start)
        merge(a, prev, ar);
}

uint32_t area_largest_free(const struct area_arena *a)
{
    uint32_t best = 0;
    for (const struct area *f = a->free_list; f; f = f->next)
        if (f->n_pages > best)
            best = f->n_pages;
    return best;
}
