/*
 * vmsim/kmem.h - the kernel's own memory: the area allocator (vmalloc)
 * and the slab allocator (kmalloc, object caches).
 *
 * Both hand out simulated kernel virtual addresses.  The memory behind
 * them is frames of simulated RAM mapped in the kernel half, so the host
 * reads and writes an object with the MMU calls in VMSIM_SUPERVISOR
 * mode, exactly as kernel code would:
 *
 *   0xC0000000 +------------------------+
 *              | kernel image           |
 *   kernel_end +------------------------+ <- slab allocator: slabs of 1..8
 *              | kmalloc heap           |    pages, objects of 8..2048
 *              |                        |    bytes (kmalloc) or of a named
 *   0xD0000000 +------------------------+    cache's size
 *              | vmalloc areas          | <- area allocator: page-granular,
 *              |                        |    backed now or on first touch,
 *   0xEFFFF000 +------------------------+    optional guard page after each
 *
 *   uint32_t a;
 *   vmsim_kmalloc(k, 100, &a);                    // a 128-byte slab object
 *   vmsim_write32(m, VMSIM_SUPERVISOR, a, 42);    // through the MMU
 *   vmsim_kfree(k, a);
 *
 * A slab's free list is threaded through its free objects, in simulated
 * memory: the first 4 bytes of a free object hold the address of the
 * next free object.  Bad frees (double, interior pointer, never
 * allocated, wrong cache) are refused with VMSIM_ERR_BAD_FREE and change
 * nothing.  With vmsim_kernel_config_t.kmem_debug the slab allocator
 * surrounds objects with red zones and poisons freed ones; overwrites are
 * reported by the free that finds them (VMSIM_ERR_CORRUPT) and by
 * vmsim_check().  docs/kmem.md has the pictures.
 *
 * Every call returns a status; nothing aborts.  On failure an address
 * output is set to 0.
 */
#ifndef VMSIM_KMEM_H
#define VMSIM_KMEM_H

#include "base.h"
#include "vmm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIM_KMALLOC_MIN         8u    /* smallest kmalloc size class */
#define VMSIM_KMALLOC_MAX         2048u /* larger kmalloc requests become areas */
#define VMSIM_KMEM_CACHE_MAX_SIZE 8192u /* largest object of a named cache */
#define VMSIM_KMEM_NAME_MAX       32u   /* cache names, NUL included */
#define VMSIM_KMEM_MAX_SLAB_PAGES 8u    /* a slab is 1, 2, 4 or 8 pages */

/* --- The area allocator (vmalloc) ----------------------------------------- */

#define VMSIM_VM_DEMAND (1u << 0) /* back pages on first touch (fault handler), not now */
#define VMSIM_VM_GUARD  (1u << 1) /* an unmapped guard page after the area: overflow faults */

/* Where a request goes among the free areas.  docs/kmem.md explains why
 * first fit is the default. */
typedef enum vmsim_area_fit {
    VMSIM_FIT_FIRST = 0, /* lowest-addressed free area large enough (default) */
    VMSIM_FIT_NEXT,      /* first fit, starting where the last search ended */
    VMSIM_FIT_BEST       /* smallest free area large enough (lowest on a tie) */
} vmsim_area_fit_t;

/* Allocate an area of `size` bytes (rounded up to pages) in the vmalloc
 * range, page aligned.  flags: VMSIM_VM_DEMAND (frames come from the
 * fault handler on first touch; the area is committed, so a supervisor
 * access never fails for want of a mapping, only for want of a frame),
 * VMSIM_VM_GUARD (one more page, never mapped, after the area).  Without
 * DEMAND every page is backed by a zeroed frame now.  Returns VMSIM_OK and
 * *addr, or VMSIM_ERR_NULL, VMSIM_ERR_INVALID (size 0, unknown flags),
 * VMSIM_ERR_NO_SPACE (no free range that large), VMSIM_ERR_NO_FRAMES (no
 * frame for an immediate area: nothing is kept), VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_vmalloc(vmsim_kernel_t *k, uint32_t size, unsigned flags,
                                       uint32_t *addr);

/* Free the area that starts at `addr`: its pages are unmapped, their
 * frames freed, and exactly the TLB entries that may hold them (pages
 * whose PTE was accessed) are invalidated, one INVLPG each; the range
 * returns to the free list, merged with free neighbours.  addr 0 is a
 * no-op.  VMSIM_ERR_BAD_FREE (nothing changes): no area starts there
 * (never allocated, already freed, or an address inside an area), or the
 * area belongs to kmalloc (free it with vmsim_kfree). */
VMSIM_API vmsim_status_t vmsim_vfree(vmsim_kernel_t *k, uint32_t addr);

/* Choose the fit strategy for later allocations.  VMSIM_ERR_INVALID. */
VMSIM_API vmsim_status_t vmsim_area_set_fit(vmsim_kernel_t *k, vmsim_area_fit_t fit);

/* One area of the vmalloc range, used or free, as vmsim_area_list()
 * reports it. */
typedef struct vmsim_area_info {
    uint32_t start;        /* first address, page aligned */
    uint32_t n_pages;      /* pages, the guard page included */
    bool used;             /* false: a free area */
    uint32_t size;         /* used: bytes asked for */
    bool guard;            /* used: the last page is a guard page */
    bool demand;           /* used: backed on first touch */
    bool kmalloc;          /* used: behind a large kmalloc */
    uint32_t pages_backed; /* used: pages mapped to frames now */
} vmsim_area_info_t;

/* Copy up to `max` areas, free and used, in address order; *n_total
 * (may be NULL) gets how many there are.  VMSIM_ERR_NULL, VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_area_list(const vmsim_kernel_t *k, vmsim_area_info_t *out,
                                         uint32_t max, uint32_t *n_total);

typedef struct vmsim_area_stats {
    uint32_t n_areas;              /* used areas */
    uint32_t n_free_areas;         /* free areas (after merging) */
    uint64_t bytes_used;           /* pages of used areas, guard pages included */
    uint64_t bytes_requested;      /* what the callers asked for */
    uint64_t bytes_free;           /* the rest of the range */
    uint64_t largest_free;         /* the largest free area */
    double external_fragmentation; /* 1 - largest_free / bytes_free (0 when nothing is free) */
    uint32_t pages_backed;         /* frames mapped in areas now */
    uint32_t guard_pages;
    uint64_t allocs, frees; /* successful vmalloc / vfree (kmalloc's areas included) */
    uint64_t failed_allocs; /* NO_SPACE, NO_FRAMES, NOMEM */
    uint64_t bad_frees;     /* vfree refused */
    uint64_t demand_faults; /* pages backed by the fault handler */
    uint64_t invlpgs;       /* INVLPGs issued to free areas */
    vmsim_area_fit_t fit;
} vmsim_area_stats_t;

VMSIM_API vmsim_status_t vmsim_area_stats(const vmsim_kernel_t *k, vmsim_area_stats_t *out);

/* --- The slab allocator ----------------------------------------------------- */

typedef struct vmsim_kmem_cache vmsim_kmem_cache_t;

/* Allocate `size` bytes (1 .. any) of kernel memory.  Up to
 * VMSIM_KMALLOC_MAX the object comes from the smallest size class that
 * fits (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048: aligned to 8,
 * and powers of two to their size outside debug mode); above it, from an
 * immediate area (a guard page after it in debug mode).  Memory is not
 * zeroed.  VMSIM_ERR_NULL, VMSIM_ERR_INVALID (size 0), VMSIM_ERR_NO_FRAMES
 * (no frame even after giving back every cache's empty slabs),
 * VMSIM_ERR_NO_SPACE (heap or vmalloc range full), VMSIM_ERR_NOMEM,
 * VMSIM_ERR_CORRUPT (the slab's free list was damaged by a write after
 * free; it has been rebuilt and the damage recorded: see
 * vmsim_kmem_last_problem(); retry). */
VMSIM_API vmsim_status_t vmsim_kmalloc(vmsim_kernel_t *k, uint32_t size, uint32_t *addr);

/* Free what vmsim_kmalloc returned.  addr 0 is a no-op.
 * VMSIM_ERR_BAD_FREE (nothing changes): never allocated, already freed,
 * an address inside an object, an object of a named cache, a vmalloc
 * area.  VMSIM_ERR_CORRUPT (debug mode): the object was freed, but its
 * red zone had been overwritten; the damage is in
 * vmsim_kmem_last_problem(). */
VMSIM_API vmsim_status_t vmsim_kfree(vmsim_kernel_t *k, uint32_t addr);

/* The usable size of a live kmalloc object (its size class, or the
 * whole pages of a large one).  VMSIM_ERR_BAD_FREE when addr is not one. */
VMSIM_API vmsim_status_t vmsim_ksize(const vmsim_kernel_t *k, uint32_t addr, uint32_t *size);

/* Create a cache of objects of `size` bytes (1 .. VMSIM_KMEM_CACHE_MAX_SIZE)
 * aligned to `align` (0 or a power of two up to 4096; objects are always
 * aligned to at least 8, so that a free object's free pointer is).  `name` is
 * copied (truncated to VMSIM_KMEM_NAME_MAX - 1).  No frame is taken
 * until the first allocation.  VMSIM_ERR_NULL, VMSIM_ERR_INVALID,
 * VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_kmem_cache_create(vmsim_kernel_t *k, const char *name, uint32_t size,
                                                 uint32_t align, vmsim_kmem_cache_t **out);

/* One object of the cache (contents undefined; poisoned in debug mode).
 * Errors as vmsim_kmalloc, and VMSIM_ERR_NOT_FOUND for an unknown cache. */
VMSIM_API vmsim_status_t vmsim_kmem_cache_alloc(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache,
                                                uint32_t *addr);

/* Return an object to its cache.  VMSIM_ERR_BAD_FREE (nothing changes):
 * not a live object of this cache (another cache's, kmalloc's, interior,
 * double, never allocated).  VMSIM_ERR_CORRUPT as for vmsim_kfree. */
VMSIM_API vmsim_status_t vmsim_kmem_cache_free(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache,
                                               uint32_t addr);

/* Destroy an empty cache: its slabs go back to the frame allocator.
 * VMSIM_ERR_BUSY (objects still allocated: nothing changes),
 * VMSIM_ERR_INVALID (a kmalloc cache), VMSIM_ERR_NOT_FOUND (unknown or
 * already destroyed cache). */
VMSIM_API vmsim_status_t vmsim_kmem_cache_destroy(vmsim_kernel_t *k, vmsim_kmem_cache_t *cache);

/* Empty-slab policy: each cache keeps up to `n` empty slabs (default 1)
 * for the next allocations and gives the rest back at once. */
VMSIM_API vmsim_status_t vmsim_kmem_set_keep_empty(vmsim_kernel_t *k, uint32_t n);

/* Give every empty slab of every cache back to the frame allocator.
 * *pages_released (may be NULL) gets how many pages that freed. */
VMSIM_API vmsim_status_t vmsim_kmem_shrink(vmsim_kernel_t *k, uint32_t *pages_released);

/* One cache, as /proc/slabinfo would show it. */
typedef struct vmsim_kmem_cache_stats {
    char name[VMSIM_KMEM_NAME_MAX];
    bool kmalloc;         /* a kmalloc size class */
    uint32_t object_size; /* bytes per object as created */
    uint32_t stride;      /* bytes between objects (alignment, red zones) */
    uint32_t align;
    uint32_t pages_per_slab;
    uint32_t objects_per_slab;
    uint32_t objects_in_use;
    uint32_t objects_free; /* free objects in its slabs */
    uint32_t slabs_partial, slabs_full, slabs_empty;
    uint32_t pages;                /* frames its slabs hold */
    uint64_t bytes_requested;      /* live objects: what the callers asked for */
    double internal_fragmentation; /* 1 - bytes_requested / (objects_in_use * stride) */
    double utilization;            /* bytes_requested / (pages * 4096) */
    uint64_t allocs, frees, failed_allocs, bad_frees;
    uint64_t slabs_created, slabs_released;
} vmsim_kmem_cache_stats_t;

/* Statistics of one cache.  VMSIM_ERR_NULL, VMSIM_ERR_NOT_FOUND. */
VMSIM_API vmsim_status_t vmsim_kmem_cache_stats(const vmsim_kernel_t *k,
                                                const vmsim_kmem_cache_t *cache,
                                                vmsim_kmem_cache_stats_t *out);

/* Statistics of up to `max` caches (kmalloc classes first, then named
 * caches in creation order); *n_total (may be NULL) gets how many. */
VMSIM_API vmsim_status_t vmsim_kmem_slabinfo(const vmsim_kernel_t *k, vmsim_kmem_cache_stats_t *out,
                                             uint32_t max, uint32_t *n_total);

/* The slab allocator as a whole. */
typedef struct vmsim_kmem_stats {
    uint32_t n_caches; /* kmalloc classes included */
    uint32_t slabs;
    uint32_t slab_pages; /* frames held by slabs */
    uint32_t objects_in_use, objects_free;
    uint64_t bytes_requested;
    double internal_fragmentation; /* over every cache, as per cache */
    double utilization;
    uint32_t large_objects; /* live kmallocs above VMSIM_KMALLOC_MAX (areas) */
    uint32_t large_pages;   /* ... and the frames behind them */
    uint64_t kmallocs, kfrees, cache_allocs, cache_frees, failed_allocs;
    uint64_t double_frees;     /* bad frees, by kind (vmalloc's included) */
    uint64_t invalid_frees;    /* never allocated (or not kernel memory at all) */
    uint64_t interior_frees;   /* an address inside an object or area */
    uint64_t mismatched_frees; /* wrong cache, or kfree / vfree crossed */
    uint64_t problems;         /* red-zone, poison and free-list damage found */
    uint64_t slabs_reclaimed;  /* empty slabs given back to let an allocation succeed */
    bool debug;                /* red zones and poisoning are on */
} vmsim_kmem_stats_t;

VMSIM_API vmsim_status_t vmsim_kmem_stats(const vmsim_kernel_t *k, vmsim_kmem_stats_t *out);

/* --- Debugging ---------------------------------------------------------------- */

#define VMSIM_KMEM_RED_ACTIVE   0xcc /* red zone of an allocated object (debug mode) */
#define VMSIM_KMEM_RED_INACTIVE 0xbb /* red zone of a free object */
#define VMSIM_KMEM_POISON_FREE  0x6b /* the bytes of a free object, after its free pointer */

typedef enum vmsim_kmem_problem_kind {
    VMSIM_KMEM_REDZONE = 1, /* a red-zone byte was overwritten (overflow or underflow) */
    VMSIM_KMEM_POISON,      /* a free object was written (use after free) */
    VMSIM_KMEM_FREELIST     /* a free pointer was overwritten */
} vmsim_kmem_problem_kind_t;

typedef struct vmsim_kmem_problem {
    vmsim_kmem_problem_kind_t kind;
    char cache[VMSIM_KMEM_NAME_MAX];
    uint32_t object;   /* the object's address */
    uint32_t vaddr;    /* the first damaged byte (FREELIST: the free pointer) */
    uint32_t expected; /* the byte that should be there (FREELIST: 0, as any free object of
                          the slab, or 0 at the end of the list, would have been right) */
    uint32_t actual;   /* the byte found (FREELIST: the bad pointer) */
} vmsim_kmem_problem_t;

/* The last damage the slab allocator found itself (on a free, or on an
 * allocation that met a damaged free object).  VMSIM_ERR_NOT_FOUND when
 * there has been none.  vmsim_check() reports damage as
 * VMSIM_CHECK_KMEM_* problems instead. */
VMSIM_API vmsim_status_t vmsim_kmem_last_problem(const vmsim_kernel_t *k,
                                                 vmsim_kmem_problem_t *out);

/* "red zone", "poison", "free list". */
VMSIM_API const char *vmsim_kmem_problem_name(vmsim_kmem_problem_kind_t kind);

#ifdef __cplusplus
}
#endif
#endif
