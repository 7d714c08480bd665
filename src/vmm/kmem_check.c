/*
 * kmem_check.c - what vmsim_check() verifies about the kernel's own
 * allocators.
 *
 * Like the rest of the checker it reads RAM through the bus port only
 * (kernel PTEs from the kernel page tables' frames, slab contents from
 * their frames), so checking changes no TLB entry and no statistic.
 *
 *   every present kernel PTE above kernel_end (check.c hands them over;
 *   each is also one kernel hold on its frame):
 *       heap:     inside a slab's span
 *       vmalloc:  inside a used area, not its guard page
 *       else:     nothing else maps pages there          -> KMEM_MAPPING
 *       the frame is flagged VMSIM_FRAME_KERNEL          -> KMEM_MAPPING
 *   then, from the descriptors' side:
 *       every page of every slab is mapped; every page of an immediate
 *       area is, and an on-demand area has exactly n_backed mapped
 *                                                        -> KMEM_MAPPING
 *       list membership, objects in use, bytes requested, frames held
 *       agree with what the slabs and areas say          -> KMEM_ACCOUNTING
 *   and for every slab, from a copy of its pages:
 *       the in-band free list visits each free object once, only free
 *       objects, and ends with 0                         -> KMEM_FREELIST
 *       debug mode: every red zone intact, every free object still
 *       poisoned after its free pointer   -> KMEM_REDZONE / KMEM_POISON
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

struct kmem_check {
    vmsim_kernel_t *k;
    kmem_report_fn report;
    void *ctx;
    uint8_t *image; /* one slab, read through the bus */
    uint32_t pfn[VMSIM_KMEM_MAX_SLAB_PAGES];
    uint8_t *visited; /* per object of the slab being walked */
};

#define MAX_OBJECTS (VMSIM_KMEM_MAX_SLAB_PAGES * VMM_PAGE / KMEM_MIN_SLOT)

static void report(struct kmem_check *kc, vmsim_check_kind_t kind, uint32_t vaddr, uint32_t pfn,
                   uint64_t expected, uint64_t actual)
{
    kc->report(kc->ctx, kind, vaddr, pfn, expected, actual);
}

struct kmem_check *kmem_check_begin(vmsim_kernel_t *k, kmem_report_fn fn, void *ctx)
{
    struct kmem_check *kc = calloc(1, sizeof *kc);
    if (!kc)
        return NULL;
    kc->k = k;
    kc->report = fn;
    kc->ctx = ctx;
    kc->image = malloc(VMSIM_KMEM_MAX_SLAB_PAGES * VMM_PAGE);
    kc->visited = malloc(MAX_OBJECTS);
    if (!kc->image || !kc->visited) {
        kmem_check_abort(kc);
        return NULL;
    }
    for (struct area *ar = k->kmem->heap.used_list; ar; ar = ar->next)
        ar->seen = 0;
    for (struct area *ar = k->kmem->vmalloc.used_list; ar; ar = ar->next)
        ar->seen = 0;
    return kc;
}

void kmem_check_abort(struct kmem_check *kc)
{
    if (!kc)
        return;
    free(kc->image);
    free(kc->visited);
    free(kc);
}

/* The used area of `a` that may hold a mapped page at vaddr, or NULL. */
static struct area *owner(const struct area_arena *a, uint32_t vaddr)
{
    struct area *ar = area_find(a, vaddr);
    if (ar && (ar->flags & VMSIM_VM_GUARD) && vaddr >= area_end(ar) - VMM_PAGE)
        return NULL;
    return ar;
}

void kmem_check_pte(struct kmem_check *kc, uint32_t vaddr, uint32_t pte)
{
    const struct kmem *km = kc->k->kmem;
    uint32_t pfn = vmm_entry_pfn(pte);
    struct area *ar = NULL;
    if (vaddr >= km->heap.base && vaddr < km->heap.end)
        ar = owner(&km->heap, vaddr);
    else if (vaddr >= km->vmalloc.base && vaddr < km->vmalloc.end)
        ar = owner(&km->vmalloc, vaddr);
    if (!ar) {
        report(kc, VMSIM_CHECK_KMEM_MAPPING, vaddr, pfn, 0, pte);
        return;
    }
    ar->seen++;
    unsigned flags = kc->k->pmm->frames[pfn].flags;
    if (!(flags & VMSIM_FRAME_KERNEL))
        report(kc, VMSIM_CHECK_KMEM_MAPPING, vaddr, pfn, VMSIM_FRAME_KERNEL, flags);
}

/* --- areas --------------------------------------------------------------------- */

static void check_areas(struct kmem_check *kc)
{
    const struct kmem *km = kc->k->kmem;
    uint32_t backed = 0;
    for (const struct area *ar = km->vmalloc.used_list; ar; ar = ar->next) {
        uint32_t want = (ar->flags & VMSIM_VM_DEMAND) ? ar->n_backed : area_data_pages(ar);
        if (ar->seen != want || ar->n_backed > area_data_pages(ar))
            report(kc, VMSIM_CHECK_KMEM_MAPPING, ar->start, 0, want, ar->seen);
        backed += ar->n_backed;
    }
    if (backed != km->va.pages_backed)
        report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, VMSIM_VMALLOC_BASE, 0, backed, km->va.pages_backed);
}

/* --- slabs ----------------------------------------------------------------------- */

/* Copy slab s into kc->image through the bus.  False if a page is not mapped. */
static bool read_slab(struct kmem_check *kc, const struct slab *s)
{
    vmsim_kernel_t *k = kc->k;
    for (uint32_t p = 0; p < s->cache->pages_per_slab; p++) {
        uint32_t v = s->base + p * VMM_PAGE, pte = 0;
        uint64_t pt = (uint64_t)k->kpt_pfn[(v >> 22) - VMM_KERNEL_FIRST] << 12;
        vmsim_bus_read32(k->m, pt + ((v >> 12) & 1023) * 4, &pte);
        if (!(pte & VMSIM_PTE_P))
            return false;
        kc->pfn[p] = vmm_entry_pfn(pte);
        vmsim_bus_read(k->m, (uint64_t)kc->pfn[p] << 12, kc->image + p * VMM_PAGE, VMM_PAGE);
    }
    return true;
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t pfn_of(const struct kmem_check *kc, const struct slab *s, uint32_t vaddr)
{
    return kc->pfn[(vaddr - s->base) / VMM_PAGE];
}

/* Walk the in-band free list of s (in kc->image). */
static void walk_free_list(struct kmem_check *kc, const struct slab *s)
{
    const struct slab_cache *c = s->cache;
    uint32_t n_free = c->objects_per_slab - s->n_in_use, steps = 0;
    uint32_t at = 0, p = s->free_head; /* at: where p was read (0: the host head) */
    memset(kc->visited, 0, c->objects_per_slab);
    while (p) {
        int i = slab_index(s, p);
        if (i < 0 || s->req[i] || kc->visited[i] || steps == n_free) {
            report(kc, VMSIM_CHECK_KMEM_FREELIST, at, at ? pfn_of(kc, s, at) : 0, 0, p);
            return;
        }
        kc->visited[i] = 1;
        steps++;
        at = p;
        p = get32(kc->image + (uint32_t)i * c->stride + c->offset);
    }
    if (steps != n_free)
        report(kc, VMSIM_CHECK_KMEM_FREELIST, s->base, pfn_of(kc, s, s->base), n_free, steps);
}

static void check_slots(struct kmem_check *kc, const struct slab *s)
{
    const struct slab_cache *c = s->cache;
    for (uint32_t i = 0; i < c->objects_per_slab; i++) {
        uint32_t off;
        uint8_t expected;
        const uint8_t *slot = kc->image + i * c->stride;
        vmsim_kmem_problem_kind_t kind = kdebug_check_slot(c, slot, s->req[i], &off, &expected);
        if (!kind)
            continue;
        uint32_t vaddr = s->base + i * c->stride + off;
        report(kc, kind == VMSIM_KMEM_POISON ? VMSIM_CHECK_KMEM_POISON : VMSIM_CHECK_KMEM_REDZONE,
               vaddr, pfn_of(kc, s, vaddr), expected, slot[off]);
    }
}

/* One slab: its span, its counts, its list, its memory. */
static void check_slab(struct kmem_check *kc, const struct slab *s, uint32_t *in_use,
                       uint64_t *bytes)
{
    const struct slab_cache *c = s->cache;
    uint32_t used = 0;
    for (uint32_t i = 0; i < c->objects_per_slab; i++) {
        used += s->req[i] != 0;
        *bytes += s->req[i];
    }
    *in_use += used;
    enum slab_list want = used == 0                     ? SLAB_EMPTY
                          : used == c->objects_per_slab ? SLAB_FULL
                                                        : SLAB_PARTIAL;
    if (used != s->n_in_use || s->list != want || !s->span || s->span->owner != s)
        report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, s->base, 0, used, s->n_in_use);
    if (s->span && s->span->seen != c->pages_per_slab)
        report(kc, VMSIM_CHECK_KMEM_MAPPING, s->base, 0, c->pages_per_slab, s->span->seen);
    if (!read_slab(kc, s))
        return;
    walk_free_list(kc, s);
    if (c->debug)
        check_slots(kc, s);
}

static uint32_t check_cache(struct kmem_check *kc, const struct slab_cache *c)
{
    uint32_t in_use = 0, n_slabs = 0;
    uint64_t bytes = 0;
    for (int l = 0; l < SLAB_LISTS; l++) {
        uint32_t n = 0;
        for (const struct slab *s = c->lists[l]; s; s = s->next, n++)
            if (s->cache == c && s->list == (enum slab_list)l)
                check_slab(kc, s, &in_use, &bytes);
            else
                report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, s->base, 0, (uint64_t)l, s->list);
        if (n != c->n_slabs[l])
            report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, 0, 0, n, c->n_slabs[l]);
        n_slabs += n;
    }
    if (in_use != c->n_in_use || bytes != c->bytes_requested)
        report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, 0, 0, in_use, c->n_in_use);
    return n_slabs * c->pages_per_slab;
}

void kmem_check_end(struct kmem_check *kc)
{
    const struct kmem *km = kc->k->kmem;
    uint32_t pages = 0, spans = 0;
    check_areas(kc);
    for (const struct slab_cache *c = km->caches; c; c = c->next)
        pages += check_cache(kc, c);
    for (const struct area *ar = km->heap.used_list; ar; ar = ar->next)
        spans += ar->n_pages;
    if (pages != km->slab_pages || spans != km->slab_pages)
        report(kc, VMSIM_CHECK_KMEM_ACCOUNTING, km->heap.base, 0, pages, km->slab_pages);
    kmem_check_abort(kc);
}
