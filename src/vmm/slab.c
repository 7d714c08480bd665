/*
 * slab.c - object caches: slabs of 1..8 pages from the kmalloc heap, cut
 * into equal objects, with the free list threaded through the free
 * objects themselves, in simulated RAM.
 *
 * One slab of a 96-byte cache (1 page, 42 objects, 64 bytes left over):
 *
 *   base = C0105000                                          C0106000
 *   +--------+--------+--------+--------+-- ... --+--------+-------+
 *   | obj 0  | obj 1  | obj 2  | obj 3  |         | obj 41 | tail  |
 *   | in use | free   | in use | free   |         | free   | 64 B  |
 *   +--------+--------+--------+--------+-- ... --+--------+-------+
 *                |                 |  ^               ^  |
 *   free_head ---+                 |  |               |  +--> 0 (end)
 *   (host)       +-> C0105120 -----+  |               |
 *                    (first word of obj 1, in RAM)    |
 *                                     +-> C0105F60 ---+
 *
 * The first 4 bytes of a free object hold the address of the next free
 * object (0 ends the list); the kernel reads and writes them with
 * supervisor loads and stores through the MMU, so they cost TLB lookups
 * and show up in the kernel's statistics bank.  Allocation pops the head,
 * free pushes: LIFO, so the object freed last - still warm in the TLB
 * and cache - is handed out next.
 *
 * A cache keeps its slabs on three lists, as SLAB does:
 *
 *   partial  some objects free     <- allocations come from here first
 *   full     no object free
 *   empty    every object free     <- then here; then a new slab
 *
 * Empty-slab policy.  When a free empties a slab, the cache keeps it on
 * the empty list if it holds fewer than keep_empty (default 1) empty
 * slabs, else gives its pages back to the frame allocator at once.  One
 * spare slab absorbs a workload that allocates and frees around a slab
 * boundary without taking and returning pages every time; more would be
 * memory that nobody uses.  When growing a cache finds no frame (or no
 * heap address), every cache's empty slabs are given back first and the
 * growth is tried once more (kmem_reclaim, the shrinker of Linux);
 * vmsim_kmem_shrink() does the same on request.
 *
 * Beside the in-band free list, each slab has host-side bookkeeping: the
 * number of objects in use and, per object, the bytes asked for (0 when
 * free).  The free list decides which object is handed out; the
 * bookkeeping decides whether a free is legal (an object's start, and
 * allocated: else VMSIM_ERR_BAD_FREE, nothing changed) and feeds the
 * statistics.  Every pointer popped from the free list is checked
 * against it: a free pointer overwritten by a use after free is caught
 * before it is followed, recorded, and the list is rebuilt from the
 * bookkeeping (VMSIM_ERR_CORRUPT).  vmsim_check() walks every list and
 * compares.
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

/* --- geometry ----------------------------------------------------------------- */

/* Pages per slab: the fewest (1, 2, 4, 8) that waste at most 1/8 of the
 * slab, else the ones that waste the smallest fraction. */
static void choose_pages(struct slab_cache *c)
{
    uint32_t best_pages = 0, best_n = 0;
    uint64_t best_waste = 0;
    for (uint32_t p = 1; p <= VMSIM_KMEM_MAX_SLAB_PAGES; p *= 2) {
        uint32_t bytes = p * VMM_PAGE, n = bytes / c->stride;
        if (n == 0)
            continue;
        uint64_t waste = bytes - n * c->stride;
        if (waste * 8 <= bytes) {
            best_pages = p, best_n = n;
            break;
        }
        /* compare waste / bytes without division */
        if (!best_pages || waste * best_pages * VMM_PAGE < best_waste * bytes)
            best_pages = p, best_n = n, best_waste = waste;
    }
    c->pages_per_slab = best_pages;
    c->objects_per_slab = best_n;
}

vmsim_status_t slab_cache_new(const char *name, uint32_t size, uint32_t align, bool kmalloc,
                              bool debug, struct slab_cache **out)
{
    struct slab_cache *c = calloc(1, sizeof *c);
    if (!c)
        return VMSIM_ERR_NOMEM;
    strncpy(c->name, name, sizeof c->name - 1);
    c->kmalloc = kmalloc;
    c->debug = debug;
    c->object_size = size;
    c->align = align;
    c->slot = size > KMEM_MIN_SLOT ? size : KMEM_MIN_SLOT;
    if (debug) {
        c->offset = vmm_round_up(KMEM_RED_LEFT, align);
        c->stride = vmm_round_up(c->offset + c->slot + KMEM_RED_RIGHT, align);
    } else {
        c->stride = vmm_round_up(c->slot, align);
    }
    choose_pages(c);
    *out = c;
    return VMSIM_OK;
}

void slab_cache_free_host(struct slab_cache *c)
{
    for (int l = 0; l < SLAB_LISTS; l++) {
        while (c->lists[l]) {
            struct slab *s = c->lists[l];
            c->lists[l] = s->next;
            free(s);
        }
    }
    free(c);
}

/* --- lists ------------------------------------------------------------------- */

static void list_remove(struct slab_cache *c, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->lists[s->list] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    c->n_slabs[s->list]--;
}

static void list_push(struct slab_cache *c, struct slab *s, enum slab_list l)
{
    s->list = l;
    s->prev = NULL;
    s->next = c->lists[l];
    if (s->next)
        s->next->prev = s;
    c->lists[l] = s;
    c->n_slabs[l]++;
}

/* Put s on the list its fill level calls for. */
static void list_settle(struct slab_cache *c, struct slab *s)
{
    enum slab_list want = s->n_in_use == 0                     ? SLAB_EMPTY
                          : s->n_in_use == c->objects_per_slab ? SLAB_FULL
                                                               : SLAB_PARTIAL;
    if (want == s->list)
        return;
    list_remove(c, s);
    list_push(c, s, want);
}

/* --- slabs ------------------------------------------------------------------- */

struct slab *slab_of(const struct kmem *km, uint32_t addr)
{
    const struct area *span = area_find(&km->heap, addr);
    return span ? span->owner : NULL;
}

int slab_index(const struct slab *s, uint32_t addr)
{
    const struct slab_cache *c = s->cache;
    if (addr < s->base + c->offset)
        return -1;
    uint32_t off = addr - s->base - c->offset;
    if (off % c->stride || off / c->stride >= c->objects_per_slab)
        return -1;
    return (int)(off / c->stride);
}

/* Write a fresh slab's image: every object free, linked in order. */
static void write_fresh(vmsim_kernel_t *k, struct slab *s)
{
    const struct slab_cache *c = s->cache;
    uint8_t *image = k->kmem->image;
    uint32_t bytes = c->pages_per_slab * VMM_PAGE, n = c->objects_per_slab;
    memset(image, 0, bytes);
    for (uint32_t i = 0; i < n; i++)
        kdebug_free_slot(c, image + i * c->stride, i + 1 < n ? slab_object(s, i + 1) : 0);
    vmm_store_bytes(k, s->base, image, bytes);
    s->free_head = slab_object(s, 0);
}

static vmsim_status_t slab_grow(vmsim_kernel_t *k, struct slab_cache *c, struct slab **out)
{
    struct kmem *km = k->kmem;
    struct area *span = NULL;
    struct slab *s = calloc(1, sizeof *s + c->objects_per_slab * sizeof s->req[0]);
    vmsim_status_t rc = s ? area_alloc(&km->heap, c->pages_per_slab, &span) : VMSIM_ERR_NOMEM;
    if (rc == VMSIM_OK) {
        rc = kpages_map(k, span->start, c->pages_per_slab);
        if (rc)
            area_release(&km->heap, span);
    }
    if (rc) {
        free(s);
        return rc;
    }
    span->owner = s;
    s->span = span;
    s->base = span->start;
    s->cache = c;
    write_fresh(k, s);
    list_push(c, s, SLAB_EMPTY);
    c->slabs_created++;
    km->slab_pages += c->pages_per_slab;
    *out = s;
    return VMSIM_OK;
}

static void slab_release(vmsim_kernel_t *k, struct slab *s)
{
    struct kmem *km = k->kmem;
    struct slab_cache *c = s->cache;
    list_remove(c, s);
    kpages_unmap(k, s->base, c->pages_per_slab, NULL);
    area_release(&km->heap, s->span);
    km->slab_pages -= c->pages_per_slab;
    c->slabs_released++;
    free(s);
}

uint32_t slab_shrink(vmsim_kernel_t *k, struct slab_cache *c, uint32_t keep)
{
    uint32_t pages = 0;
    while (c->n_slabs[SLAB_EMPTY] > keep) {
        slab_release(k, c->lists[SLAB_EMPTY]);
        pages += c->pages_per_slab;
    }
    return pages;
}

/* --- the free list ------------------------------------------------------------- */

/* Is `next`, read from free object i, a pointer the list may hold? */
static bool next_ok(const struct slab *s, uint32_t i, uint32_t next)
{
    if (s->n_in_use + 1 == s->cache->objects_per_slab)
        return next == 0; /* i was the last free object */
    int j = next ? slab_index(s, next) : -1;
    return j >= 0 && (uint32_t)j != i && s->req[j] == 0;
}

/* Relink every free object of s in address order (after damage). */
static void rebuild(vmsim_kernel_t *k, struct slab *s)
{
    uint32_t next = 0;
    for (uint32_t i = s->cache->objects_per_slab; i-- > 0;) {
        if (s->req[i])
            continue;
        vmm_store32(k, slab_object(s, i), next);
        next = slab_object(s, i);
    }
    s->free_head = next;
}

/* Pop the first free object of s for a request of `req` bytes. */
static vmsim_status_t take(vmsim_kernel_t *k, struct slab *s, uint32_t req, uint32_t *addr)
{
    struct slab_cache *c = s->cache;
    uint32_t obj = s->free_head;
    uint32_t i = (uint32_t)slab_index(s, obj); /* the head is always checked */
    uint32_t next = vmm_load32(k, obj);
    if (!next_ok(s, i, next)) {
        kmem_note_problem(k, VMSIM_KMEM_FREELIST, c, obj, obj, 0, next);
        rebuild(k, s);
        c->failed_allocs++;
        return VMSIM_ERR_CORRUPT;
    }
    s->free_head = next;
    s->req[i] = (uint16_t)req;
    s->n_in_use++;
    c->n_in_use++;
    c->bytes_requested += req;
    c->allocs++;
    list_settle(c, s);
    if (c->debug)
        kdebug_on_alloc(k, s, i, req);
    *addr = obj;
    return VMSIM_OK;
}

vmsim_status_t slab_alloc(vmsim_kernel_t *k, struct slab_cache *c, uint32_t req, uint32_t *addr)
{
    struct slab *s = c->lists[SLAB_PARTIAL] ? c->lists[SLAB_PARTIAL] : c->lists[SLAB_EMPTY];
    if (!s) {
        vmsim_status_t rc = slab_grow(k, c, &s);
        if ((rc == VMSIM_ERR_NO_FRAMES || rc == VMSIM_ERR_NO_SPACE) && kmem_reclaim(k) > 0)
            rc = slab_grow(k, c, &s);
        if (rc) {
            c->failed_allocs++;
            return rc;
        }
    }
    return take(k, s, req, addr);
}

vmsim_status_t slab_free(vmsim_kernel_t *k, struct slab *s, uint32_t addr)
{
    struct kmem *km = k->kmem;
    struct slab_cache *c = s->cache;
    int i = slab_index(s, addr);
    if (i < 0 || !s->req[i]) {
        if (i < 0)
            km->interior_frees++;
        else
            km->double_frees++; /* or a slot never handed out: they look alike */
        c->bad_frees++;
        return VMSIM_ERR_BAD_FREE;
    }
    vmsim_status_t rc = VMSIM_OK;
    if (c->debug)
        rc = kdebug_on_free(k, s, (uint32_t)i, s->free_head);
    else
        vmm_store32(k, addr, s->free_head);
    s->free_head = addr;
    c->bytes_requested -= s->req[i];
    s->req[i] = 0;
    s->n_in_use--;
    c->n_in_use--;
    c->frees++;
    list_settle(c, s);
    if (s->list == SLAB_EMPTY && c->n_slabs[SLAB_EMPTY] > km->keep_empty)
        slab_release(k, s);
    return rc;
}
