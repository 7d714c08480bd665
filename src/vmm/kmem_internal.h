/*
 * kmem_internal.h - the kernel's allocators as their own files see them.
 *
 *   struct kmem  (k->kmem, host memory: descriptors only)
 *     heap        an arena over [kernel_end, 0xD0000000): slab spans
 *     vmalloc     an arena over [0xD0000000, 0xEFFFF000): vmalloc areas
 *     kmalloc[]   the 11 size classes, created at boot with no pages
 *     caches      every cache, kmalloc classes first, in creation order
 *
 *   struct area_arena  (area.c): page-granular ranges, a free list in
 *                      address order, a used list, a page -> used-area map
 *   struct slab_cache  (slab.c): object geometry, partial / full / empty
 *                      slab lists, counters
 *   struct slab        one span of 1..8 heap pages cut into objects; its
 *                      free list lives in the objects, in simulated RAM:
 *                      free_head is the address of the first free object
 *                      and each free object's first word is the next
 *
 * Files: area.c (the range allocator), kpages.c (mapping and unmapping
 * the kernel's pages), vmalloc.c (areas backed by frames, on demand,
 * guard pages, the fault hook), slab.c (caches and slabs), kmem_debug.c
 * (red zones and poison), kmalloc.c (size classes, the public slab API,
 * statistics), kmem_check.c (what vmsim_check() verifies).
 */
#ifndef VMSIM_KMEM_INTERNAL_H
#define VMSIM_KMEM_INTERNAL_H

#include "vmm_internal.h"
#include "vmsim/kmem.h"

#define KMALLOC_CLASSES 11u
#define KMEM_HEAP_END   VMSIM_VMALLOC_BASE
#define KMEM_MIN_SLOT   8u /* a free object holds a 4-byte free pointer; keep 8 */
#define KMEM_RED_LEFT   8u /* debug mode: red-zone bytes before an object (at least) */
#define KMEM_RED_RIGHT  8u /* ... and after its slot (at least) */

/* --- area.c: a range allocator ------------------------------------------ */

#define AREA_USED    (1u << 8) /* on the used list (else the free list) */
#define AREA_KMALLOC (1u << 9) /* behind a large kmalloc */
#define AREA_VM_MASK (VMSIM_VM_DEMAND | VMSIM_VM_GUARD)

struct area {
    uint32_t start;    /* first byte, page aligned */
    uint32_t n_pages;  /* pages, the guard page included */
    uint32_t size;     /* used: bytes asked for */
    unsigned flags;    /* AREA_* | VMSIM_VM_* */
    uint32_t n_backed; /* used: pages mapped to frames */
    void *owner;       /* heap arena: the slab living in this span */
    struct area *prev, *next;
    uint32_t seen; /* vmsim_check()'s scratch: PTEs found in it */
};

struct area_arena {
    uint32_t base, end; /* [base, end), page aligned */
    vmsim_area_fit_t fit;
    struct area *free_list; /* address order, never two adjacent */
    struct area *used_list; /* newest first */
    struct area *rover;     /* next fit: the free area to start from */
    struct area ***map;     /* page -> its used area; two levels of 1024 */
    uint32_t n_dir;
    uint32_t n_used, n_free;
    uint64_t pages_used, pages_free;
};

vmsim_status_t area_arena_init(struct area_arena *a, uint32_t base, uint32_t end);
void area_arena_fini(struct area_arena *a);
vmsim_status_t area_alloc(struct area_arena *a, uint32_t n_pages, struct area **out);
void area_release(struct area_arena *a, struct area *ar);
struct area *area_find(const struct area_arena *a, uint32_t vaddr);
uint32_t area_largest_free(const struct area_arena *a);

static inline uint32_t area_end(const struct area *ar)
{
    return ar->start + ar->n_pages * VMM_PAGE;
}
static inline uint32_t area_data_pages(const struct area *ar)
{
    return ar->n_pages - ((ar->flags & VMSIM_VM_GUARD) ? 1 : 0);
}

/* --- kpages.c: the kernel's own mappings -------------------------------- */

/* Map `n_pages` fresh frames (VMSIM_FRAME_KERNEL) at vaddr: all or
 * nothing.  The pages are not touched.  VMSIM_ERR_NO_FRAMES. */
vmsim_status_t kpages_map(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages);
/* Unmap [vaddr, +n_pages): free the frame of every present PTE, INVLPG
 * the pages whose PTE was accessed.  Returns frames freed; *n_invlpg
 * (may be NULL) gets INVLPGs issued. */
uint32_t kpages_unmap(vmsim_kernel_t *k, uint32_t vaddr, uint32_t n_pages, uint32_t *n_invlpg);
/* The kernel PTE of vaddr, read through the recursive mapping. */
uint32_t kpages_pte(vmsim_kernel_t *k, uint32_t vaddr);

/* --- slab.c -------------------------------------------------------------- */

enum slab_list { SLAB_PARTIAL = 0, SLAB_FULL, SLAB_EMPTY, SLAB_LISTS };

struct slab_cache;

struct slab {
    struct slab_cache *cache;
    struct area *span;  /* its pages in the heap arena */
    uint32_t base;      /* span->start: slot 0 */
    uint32_t free_head; /* address of the first free object, 0 = none */
    uint32_t n_in_use;
    enum slab_list list;
    struct slab *prev, *next;
    uint32_t seen;  /* vmsim_check()'s scratch */
    uint16_t req[]; /* per object: bytes asked for, 0 = free */
};

/*   slot = max(object_size, 8)
 *   normal: offset 0, stride = slot rounded to align
 *   debug:  offset = 8 rounded to align, stride = offset + slot + 8
 *           rounded to align (the red zone after the slot takes the rest) */
struct slab_cache {
    char name[VMSIM_KMEM_NAME_MAX];
    bool kmalloc, debug;
    uint32_t object_size, align;
    uint32_t slot;   /* bytes an object may use (>= object_size, >= 8) */
    uint32_t offset; /* object address - slot start: the left red zone */
    uint32_t stride; /* slot start to slot start */
    uint32_t pages_per_slab, objects_per_slab;
    struct slab *lists[SLAB_LISTS];
    uint32_t n_slabs[SLAB_LISTS];
    uint32_t n_in_use;
    uint64_t bytes_requested;
    uint64_t allocs, frees, failed_allocs, bad_frees, slabs_created, slabs_released;
    struct slab_cache *prev, *next;
};

vmsim_status_t slab_cache_new(const char *name, uint32_t size, uint32_t align, bool kmalloc,
                              bool debug, struct slab_cache **out);
/* Free the descriptor and its slabs' host memory (not their pages:
 * slab_shrink() first, or the kernel is going away). */
void slab_cache_free_host(struct slab_cache *c);
vmsim_status_t slab_alloc(vmsim_kernel_t *k, struct slab_cache *c, uint32_t req, uint32_t *addr);
/* Free addr, an address inside slab s.  VMSIM_ERR_BAD_FREE (interior or
 * double: counted in km), VMSIM_ERR_CORRUPT (freed, red zone damaged). */
vmsim_status_t slab_free(vmsim_kernel_t *k, struct slab *s, uint32_t addr);
/* The slab whose span holds addr, or NULL. */
struct slab *slab_of(const struct kmem *km, uint32_t addr);
/* The index of the object at addr in s, or -1 when addr is not an object's start. */
int slab_index(const struct slab *s, uint32_t addr);
static inline uint32_t slab_object(const struct slab *s, uint32_t i)
{
    return s->base + i * s->cache->stride + s->cache->offset;
}
/* Release empty slabs beyond `keep`; returns the pages released. */
uint32_t slab_shrink(vmsim_kernel_t *k, struct slab_cache *c, uint32_t keep);

/* --- kmem_debug.c: red zones and poison ----------------------------------- */

/* Write the image of slot i of a fresh slab (free, linked to `next`). */
void kdebug_free_slot(const struct slab_cache *c, uint8_t *slot, uint32_t next);
/* Check a slot image: object state `req` (0 = free).  Returns 0 when
 * intact, else the problem kind with the offset in the slot of the first
 * bad byte and the byte expected there. */
vmsim_kmem_problem_kind_t kdebug_check_slot(const struct slab_cache *c, const uint8_t *slot,
                                            uint32_t req, uint32_t *bad_off, uint8_t *expected);
/* Debug-mode work around an allocation / a free of object i of s, through
 * the MMU.  on_alloc records damage it finds and re-arms the red zones;
 * on_free returns VMSIM_ERR_CORRUPT when a red zone was damaged and
 * leaves the slot poisoned, holding `next` as its free pointer. */
void kdebug_on_alloc(vmsim_kernel_t *k, struct slab *s, uint32_t i, uint32_t req);
vmsim_status_t kdebug_on_free(vmsim_kernel_t *k, struct slab *s, uint32_t i, uint32_t next);
/* Record damage found by the allocator itself. */
void kmem_note_problem(vmsim_kernel_t *k, vmsim_kmem_problem_kind_t kind,
                       const struct slab_cache *c, uint32_t object, uint32_t vaddr,
                       uint32_t expected, uint32_t actual);

/* --- vmalloc.c ------------------------------------------------------------- */

vmsim_status_t vmalloc_area(vmsim_kernel_t *k, uint32_t size, unsigned flags, struct area **out);
void vmalloc_release(vmsim_kernel_t *k, struct area *ar);
/* The fault handler's branch for supervisor faults in the vmalloc range. */
vmsim_kfault_kind_t vmalloc_fault(vmsim_kernel_t *k, const vmsim_fault_t *f, vmsim_status_t *rc);

/* --- kmalloc.c: the state ------------------------------------------------- */

struct kmem_area_counters {
    uint64_t allocs, frees, failed_allocs, bad_frees, demand_faults, invlpgs;
    uint64_t bytes_requested;
    uint32_t pages_backed, guard_pages;
};

struct kmem {
    struct area_arena heap, vmalloc;
    struct slab_cache *kmalloc[KMALLOC_CLASSES];
    struct slab_cache *caches, *caches_tail;
    uint32_t n_caches;
    uint32_t keep_empty;
    bool debug;
    uint8_t *image;  /* host copy of one slab (VMSIM_KMEM_MAX_SLAB_PAGES pages) */
    uint32_t *words; /* 1024 words: PTEs, frame numbers */
    uint32_t slab_pages;
    struct kmem_area_counters va;
    uint32_t large_objects, large_pages;
    uint64_t kmallocs, kfrees, cache_allocs, cache_frees, failed_allocs;
    uint64_t double_frees, invalid_frees, interior_frees, mismatched_frees;
    uint64_t problems, slabs_reclaimed;
    bool has_problem;
    vmsim_kmem_problem_t last_problem;
};

/* Set up / tear down k->kmem (host memory only: no frame is taken). */
vmsim_status_t kmem_init(vmsim_kernel_t *k);
void kmem_shutdown(vmsim_kernel_t *k);
/* Frames the allocators hold (slabs + areas). */
uint32_t kmem_frames(const vmsim_kernel_t *k);
/* Give back every cache's empty slabs; returns pages released. */
uint32_t kmem_reclaim(vmsim_kernel_t *k);

/* --- kmem_check.c: what vmsim_check() asks ---------------------------------- */

typedef void (*kmem_report_fn)(void *ctx, vmsim_check_kind_t kind, uint32_t vaddr, uint32_t pfn,
                               uint64_t expected, uint64_t actual);
struct kmem_check;
/* Start a check (resets the scratch counts).  NULL when host memory ran out. */
struct kmem_check *kmem_check_begin(vmsim_kernel_t *k, kmem_report_fn fn, void *ctx);
/* A present PTE of the kernel half above kernel_end (the temp slots excluded). */
void kmem_check_pte(struct kmem_check *kc, uint32_t vaddr, uint32_t pte);
/* Everything the PTEs could not say: counts, free lists, red zones.
 * Frees kc. */
void kmem_check_end(struct kmem_check *kc);
/* Free kc without checking (NULL is fine). */
void kmem_check_abort(struct kmem_check *kc);

#endif
