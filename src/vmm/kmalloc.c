/*
 * kmalloc.c - the kernel's general-purpose allocator, the public slab
 * API, and how the two allocators come up without needing each other.
 *
 *   vmsim_kmalloc(k, size)
 *       size <= 2048 --> the smallest size class that fits:
 *                        8 16 32 64 96 128 192 256 512 1024 2048
 *                        (a slab cache each, named "kmalloc-<size>")
 *       size  > 2048 --> an immediate vmalloc area marked AREA_KMALLOC
 *                        (with a guard page in debug mode)
 *
 *   vmsim_kfree(k, addr) finds the owner from the address alone:
 *       kernel_end <= addr < 0xD0000000  the heap arena's page map names
 *                                        the span, the span its slab, the
 *                                        slab its cache (Linux:
 *                                        virt_to_slab)
 *       0xD0000000 <= addr < 0xEFFFF000  the vmalloc arena's page map
 *                                        names the area
 *       anything else                    VMSIM_ERR_BAD_FREE
 *
 * Bootstrap.  In Linux the cycle is real: slab caches are themselves
 * objects of the "kmem_cache" cache, vmap areas are objects of a slab
 * cache, and slabs need pages.  Linux breaks it with static boot caches
 * that are copied into slab memory once slab works (create_boot_cache).
 * Here the cycle is cut by where things live:
 *
 *   1. Descriptors are host memory (struct slab_cache, struct slab,
 *      struct area): neither allocator ever calls the other to describe
 *      its own state.
 *   2. Slab pages come from the frame allocator directly, mapped into
 *      the heap arena - never through vmalloc.
 *   3. The area allocator needs no small objects, so kmalloc's large
 *      requests can go to it at any time.
 *   4. kmem_init() runs at boot, after the kernel half exists; it creates
 *      the 11 kmalloc caches as descriptors only.  No frame is taken
 *      until the first allocation, and the kernel half's page tables are
 *      already there, so mapping a slab or an area never allocates a
 *      page table either.
 *
 * So the order of use does not matter: a kmalloc(4096) before any slab
 * exists is just an area, and the first kmalloc(8) costs exactly one
 * frame.  tests/test_slab.c checks all of it.
 */
#include "kmem_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t class_sizes[KMALLOC_CLASSES] = {8,   16,  32,  64,   96,  128,
                                                      192, 256, 512, 1024, 2048};

static struct slab_cache *class_for(const struct kmem *km, uint32_t size)
{
    for (uint32_t i = 0; i < KMALLOC_CLASSES; i++)
        if (size <= class_sizes[i])
            return km->kmalloc[i];
    return NULL;
}

static void cache_link(struct kmem *km, struct slab_cache *c)
{
    c->prev = km->caches_tail;
    if (km->caches_tail)
        km->caches_tail->next = c;
    else
        km->caches = c;
    km->caches_tail = c;
    km->n_caches++;
}

static void cache_unlink(struct kmem *km, struct slab_cache *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        km->caches = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        km->caches_tail = c->prev;
    km->n_caches--;
}

/* The cache a public handle names, if it is alive. */
static struct slab_cache *cache_lookup(const struct kmem *km, const vmsim_kmem_cache_t *handle)
{
    for (struct slab_cache *c = km->caches; c; c = c->next)
        if ((const void *)c == (const void *)handle)
            return c;
    return NULL;
}

/* --- bringing it up and down -------------------------------------------------- */

static vmsim_status_t create_classes(struct kmem *km)
{
    for (uint32_t i = 0; i < KMALLOC_CLASSES; i++) {
        char name[VMSIM_KMEM_NAME_MAX];
        snprintf(name, sizeof name, "kmalloc-%u", (unsigned)class_sizes[i]);
        vmsim_status_t rc =
            slab_cache_new(name, class_sizes[i], 8, true, km->debug, &km->kmalloc[i]);
        if (rc)
            return rc;
        cache_link(km, km->kmalloc[i]);
    }
    return VMSIM_OK;
}

vmsim_status_t kmem_init(vmsim_kernel_t *k)
{
    struct kmem *km = calloc(1, sizeof *km);
    if (!km)
        return VMSIM_ERR_NOMEM;
    k->kmem = km;
    km->keep_empty = 1;
    km->debug = k->cfg.kmem_debug;
    km->image = malloc(VMSIM_KMEM_MAX_SLAB_PAGES * VMM_PAGE);
    km->words = malloc(1024 * sizeof *km->words);
    if (!km->image || !km->words)
        return VMSIM_ERR_NOMEM;
    vmsim_status_t rc = area_arena_init(&km->heap, k->kernel_end, KMEM_HEAP_END);
    if (rc == VMSIM_OK)
        rc = area_arena_init(&km->vmalloc, VMSIM_VMALLOC_BASE, VMSIM_VMALLOC_END);
    return rc ? rc : create_classes(km);
}

void kmem_shutdown(vmsim_kernel_t *k)
{
    struct kmem *km = k->kmem;
    if (!km)
        return;
    while (km->caches) {
        struct slab_cache *c = km->caches;
        km->caches = c->next;
        slab_cache_free_host(c);
    }
    area_arena_fini(&km->heap);
    area_arena_fini(&km->vmalloc);
    free(km->image);
    free(km->words);
    free(km);
    k->kmem = NULL;
}

uint32_t kmem_frames(const vmsim_kernel_t *k)
{
    return k->kmem ? k->kmem->slab_pages + k->kmem->va.pages_backed : 0;
}

uint32_t kmem_reclaim(vmsim_kernel_t *k)
{
    uint32_t pages = 0;
    for (struct slab_cache *c = k->kmem->caches; c; c = c->next) {
        uint32_t n = slab_shrink(k, c, 0);
        k->kmem->slabs_reclaimed += n / c->pages_per_slab;
        pages += n;
    }
    return pages;
}

/* --- kmalloc ------------------------------------------------------------------- */

static vmsim_status_t kmalloc_large(vmsim_kernel_t *k, uint32_t size, uint32_t *addr)
{
    struct kmem *km = k->kmem;
    struct area *ar = NULL;
    unsigned flags = AREA_KMALLOC | (km->debug ? VMSIM_VM_GUARD : 0);
    vmsim_status_t rc = vmalloc_area(k, size, flags, &ar);
    if (rc)
        return rc;
    km->large_objects++;
    km->large_pages += area_data_pages(ar);
    *addr = ar->start;
    return VMSIM_OK;
}

vmsim_status_t vmsim_kmalloc(vmsim_kernel_t *k, uint32_t size, uint32_t *addr)
{
    if (!k || !addr)
        return VMSIM_ERR_NULL;
    *addr = 0;
    if (size == 0)
        return VMSIM_ERR_INVALID;
    struct kmem *km = k->kmem;
    vmm_enter(k);
    vmsim_status_t rc = size <= VMSIM_KMALLOC_MAX ? slab_alloc(k, class_for(km, size), size, addr)
                                                  : kmalloc_large(k, size, addr);
    rc = vmm_leave(k, rc);
    if (rc) {
        *addr = 0;
        km->failed_allocs++;
    } else {
        km->kmallocs++;
    }
    return rc;
}

static vmsim_status_t kfree_large(vmsim_kernel_t *k, uint32_t addr)
{
    struct kmem *km = k->kmem;
    struct area *ar = area_find(&km->vmalloc, addr);
    if (!ar || ar->start != addr || !(ar->flags & AREA_KMALLOC)) {
        if (!ar)
            km->invalid_frees++;
        else if (ar->start != addr)
            km->interior_frees++;
        else
            km->mismatched_frees++;
        return VMSIM_ERR_BAD_FREE;
    }
    km->large_objects--;
    km->large_pages -= area_data_pages(ar);
    vmm_enter(k);
    vmalloc_release(k, ar);
    return vmm_leave(k, VMSIM_OK);
}

/* Free addr, which lies in the heap, on behalf of `want` (NULL: kmalloc). */
static vmsim_status_t free_object(vmsim_kernel_t *k, struct slab_cache *want, uint32_t addr)
{
    struct kmem *km = k->kmem;
    struct slab *s = slab_of(km, addr);
    if (!s) {
        km->invalid_frees++;
        if (want)
            want->bad_frees++;
        return VMSIM_ERR_BAD_FREE;
    }
    if (want ? s->cache != want : !s->cache->kmalloc) {
        km->mismatched_frees++;
        (want ? want : s->cache)->bad_frees++;
        return VMSIM_ERR_BAD_FREE;
    }
    vmm_enter(k);
    vmsim_status_t rc = slab_free(k, s, addr);
    return vmm_leave(k, rc);
}

static bool in_heap(const struct kmem *km, uint32_t addr)
{
    return addr >= km->heap.base && addr < km->heap.end;
}

static bool in_vmalloc(uint32_t addr)
{
    return addr >= VMSIM_VMALLOC_BASE && addr < VMSIM_VMALLOC_END;
}

vmsim_status_t vmsim_kfree(vmsim_kernel_t *k, uint32_t addr)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if (addr == 0)
        return VMSIM_OK;
    struct kmem *km = k->kmem;
    vmsim_status_t rc;
    if (in_heap(km, addr)) {
        rc = free_object(k, NULL, addr);
    } else if (in_vmalloc(addr)) {
        rc = kfree_large(k, addr);
    } else {
        km->invalid_frees++;
        rc = VMSIM_ERR_BAD_FREE;
    }
    if (rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT)
        km->kfrees++;
    return rc;
}

vmsim_status_t vmsim_ksize(const vmsim_kernel_t *k, uint32_t addr, uint32_t *size)
{
    if (!k || !size)
        return VMSIM_ERR_NULL;
    *size = 0;
    const struct kmem *km = k->kmem;
    if (in_vmalloc(addr)) {
        const struct area *ar = area_find(&km->vmalloc, addr);
        if (!ar || ar->start != addr || !(ar->flags & AREA_KMALLOC))
            return VMSIM_ERR_BAD_FREE;
        *size = area_data_pages(ar) * VMM_PAGE;
        return VMSIM_OK;
    }
    const struct slab *s = in_heap(km, addr) ? slab_of(km, addr) : NULL;
    int i = s ? slab_index(s, addr) : -1;
    if (i < 0 || !s->cache->kmalloc || !s->req[i])
        return VMSIM_ERR_BAD_FREE;
    *size = s->cache->object_size;
    return VMSIM_OK;
}

/* --- named caches ---------------------------------------------------------------- */

vmsim_status_t vmsim_kmem_cache_create(vmsim_kernel_t *k, const char *name, uint32_t size,
                                       uint32_t align, vmsim_kmem_cache_t **out)
{
    if (!k || !name || !out)
        return VMSIM_ERR_NULL;
    *out = NULL;
    if (size == 0 || size > VMSIM_KMEM_CACHE_MAX_SIZE || (align & (align - 1)) || align > VMM_PAGE)
        return VMSIM_ERR_INVALID;
    if (align < KMEM_MIN_SLOT)
        align = KMEM_MIN_SLOT; /* the free pointer is a word: keep it aligned */
    struct slab_cache *c;
    vmsim_status_t rc = slab_cache_new(name, size, align, false, k->kmem->debug, &c);
    if (rc)
        return rc;
    cache_link(k->kmem, c);
    *out = (vmsim_kmem_cache_t *)c;
    return VMSIM_OK;
}

vmsim_status_t vmsim_kmem_cache_alloc(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache, uint32_t *addr)
{
    if (!k || !cache || !addr)
        return VMSIM_ERR_NULL;
    *addr = 0;
    struct kmem *km = k->kmem;
    struct slab_cache *c = cache_lookup(km, cache);
    if (!c)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmsim_status_t rc = vmm_leave(k, slab_alloc(k, c, c->object_size, addr));
    if (rc) {
        *addr = 0;
        km->failed_allocs++;
    } else {
        km->cache_allocs++;
    }
    return rc;
}

vmsim_status_t vmsim_kmem_cache_free(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache, uint32_t addr)
{
    if (!k || !cache)
        return VMSIM_ERR_NULL;
    struct kmem *km = k->kmem;
    struct slab_cache *c = cache_lookup(km, cache);
    if (!c)
        return VMSIM_ERR_NOT_FOUND;
    if (addr == 0)
        return VMSIM_OK;
    vmsim_status_t rc;
    if (in_heap(km, addr)) {
        rc = free_object(k, c, addr);
    } else {
        km->invalid_frees++;
        c->bad_frees++;
        rc = VMSIM_ERR_BAD_FREE;
    }
    if (rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT)
        km->cache_frees++;
    return rc;
}

vmsim_status_t vmsim_kmem_cache_destroy(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache)
{
    if (!k || !cache)
        return VMSIM_ERR_NULL;
    struct kmem *km = k->kmem;
    struct slab_cache *c = cache_lookup(km, cache);
    if (!c)
        return VMSIM_ERR_NOT_FOUND;
    if (c->kmalloc)
        return VMSIM_ERR_INVALID;
    if (c->n_in_use)
        return VMSIM_ERR_BUSY;
    vmm_enter(k);
    slab_shrink(k, c, 0);
    vmsim_status_t rc = vmm_leave(k, VMSIM_OK);
    cache_unlink(km, c);
    slab_cache_free_host(c);
    return rc;
}

vmsim_status_t vmsim_kmem_set_keep_empty(vmsim_kernel_t *k, uint32_t n)
{
    if (!k)
        return VMSIM_ERR_NULL;
    k->kmem->keep_empty = n;
    vmm_enter(k);
    for (struct slab_cache *c = k->kmem->caches; c; c = c->next)
        slab_shrink(k, c, n);
    return vmm_leave(k, VMSIM_OK);
}

vmsim_status_t vmsim_kmem_shrink(vmsim_kernel_t *k, uint32_t *pages_released)
{
    if (!k)
        return VMSIM_ERR_NULL;
    uint32_t pages = 0;
    vmm_enter(k);
    for (struct slab_cache *c = k->kmem->caches; c; c = c->next)
        pages += slab_shrink(k, c, 0);
    if (pages_released)
        *pages_released = pages;
    return vmm_leave(k, VMSIM_OK);
}

/* --- statistics -------------------------------------------------------------------- */

static void cache_stats(const struct slab_cache *c, vmsim_kmem_cache_stats_t *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->name, c->name, sizeof out->name);
    out->kmalloc = c->kmalloc;
    out->object_size = c->object_size;
    out->stride = c->stride;
    out->align = c->align;
    out->pages_per_slab = c->pages_per_slab;
    out->objects_per_slab = c->objects_per_slab;
    out->objects_in_use = c->n_in_use;
    out->slabs_partial = c->n_slabs[SLAB_PARTIAL];
    out->slabs_full = c->n_slabs[SLAB_FULL];
    out->slabs_empty = c->n_slabs[SLAB_EMPTY];
    uint32_t slabs = out->slabs_partial + out->slabs_full + out->slabs_empty;
    out->objects_free = slabs * c->objects_per_slab - c->n_in_use;
    out->pages = slabs * c->pages_per_slab;
    out->bytes_requested = c->bytes_requested;
    if (c->n_in_use)
        out->internal_fragmentation =
            1.0 - (double)c->bytes_requested / ((double)c->n_in_use * c->stride);
    if (out->pages)
        out->utilization = (double)c->bytes_requested / ((double)out->pages * VMM_PAGE);
    out->allocs = c->allocs;
    out->frees = c->frees;
    out->failed_allocs = c->failed_allocs;
    out->bad_frees = c->bad_frees;
    out->slabs_created = c->slabs_created;
    out->slabs_released = c->slabs_released;
}

vmsim_status_t vmsim_kmem_cache_stats(const vmsim_kernel_t *k, const vmsim_kmem_cache_t *cache,
                                      vmsim_kmem_cache_stats_t *out)
{
    if (!k || !cache || !out)
        return VMSIM_ERR_NULL;
    const struct slab_cache *c = cache_lookup(k->kmem, cache);
    if (!c)
        return VMSIM_ERR_NOT_FOUND;
    cache_stats(c, out);
    return VMSIM_OK;
}

vmsim_status_t vmsim_kmem_slabinfo(const vmsim_kernel_t *k, vmsim_kmem_cache_stats_t *out,
                                   uint32_t max, uint32_t *n_total)
{
    if (!k || (!out && max))
        return VMSIM_ERR_NULL;
    uint32_t n = 0;
    for (const struct slab_cache *c = k->kmem->caches; c; c = c->next, n++)
        if (n < max)
            cache_stats(c, &out[n]);
    if (n_total)
        *n_total = n;
    return VMSIM_OK;
}

static void add_cache(vmsim_kmem_stats_t *out, const struct slab_cache *c, double *slot_bytes)
{
    vmsim_kmem_cache_stats_t cs;
    cache_stats(c, &cs);
    out->slabs += cs.slabs_partial + cs.slabs_full + cs.slabs_empty;
    out->slab_pages += cs.pages;
    out->objects_in_use += cs.objects_in_use;
    out->objects_free += cs.objects_free;
    out->bytes_requested += cs.bytes_requested;
    *slot_bytes += (double)cs.objects_in_use * cs.stride;
}

vmsim_status_t vmsim_kmem_stats(const vmsim_kernel_t *k, vmsim_kmem_stats_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    const struct kmem *km = k->kmem;
    double slot_bytes = 0;
    memset(out, 0, sizeof *out);
    out->n_caches = km->n_caches;
    for (const struct slab_cache *c = km->caches; c; c = c->next)
        add_cache(out, c, &slot_bytes);
    if (slot_bytes > 0)
        out->internal_fragmentation = 1.0 - (double)out->bytes_requested / slot_bytes;
    if (out->slab_pages)
        out->utilization = (double)out->bytes_requested / ((double)out->slab_pages * VMM_PAGE);
    out->large_objects = km->large_objects;
    out->large_pages = km->large_pages;
    out->kmallocs = km->kmallocs;
    out->kfrees = km->kfrees;
    out->cache_allocs = km->cache_allocs;
    out->cache_frees = km->cache_frees;
    out->failed_allocs = km->failed_allocs;
    out->double_frees = km->double_frees;
    out->invalid_frees = km->invalid_frees;
    out->interior_frees = km->interior_frees;
    out->mismatched_frees = km->mismatched_frees;
    out->problems = km->problems;
    out->slabs_reclaimed = km->slabs_reclaimed;
    out->debug = km->debug;
    return VMSIM_OK;
}

vmsim_status_t vmsim_kmem_last_problem(const vmsim_kernel_t *k, vmsim_kmem_problem_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    if (!k->kmem->has_problem)
        return VMSIM_ERR_NOT_FOUND;
    *out = k->kmem->last_problem;
    return VMSIM_OK;
}

const char *vmsim_kmem_problem_name(vmsim_kmem_problem_kind_t kind)
{
    switch (kind) {
    case VMSIM_KMEM_REDZONE: return "red zone";
    case VMSIM_KMEM_POISON: return "poison";
    case VMSIM_KMEM_FREELIST: return "free list";
    default: return "unknown";
    }
}
