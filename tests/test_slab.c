/*
 * test_slab.c - the slab allocator: how it comes up (bootstrap), kmalloc
 * size classes, the free list in simulated RAM, partial / full / empty
 * slabs and the empty-slab policy, named caches, every kind of bad free,
 * the debug mode (red zones, poison) and what the checker finds, free
 * lists damaged by a use after free, running out of frames at every
 * point of a slab's growth, reclaiming empty slabs under pressure, and
 * statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define PAGE 4096u
#define SUP  VMSIM_SUPERVISOR

/* A kernel in kmem debug mode: red zones and poison. */
static void up_debug(struct krig *f)
{
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.kmem_debug = true;
    krig_up(f, KRIG_RAM, &kc);
}

static vmsim_kmem_stats_t mstats(vmsim_kernel_t *k)
{
    vmsim_kmem_stats_t st;
    assert_int_equal(vmsim_kmem_stats(k, &st), VMSIM_OK);
    return st;
}

static vmsim_kmem_cache_stats_t cstats(vmsim_kernel_t *k, vmsim_kmem_cache_t *c)
{
    vmsim_kmem_cache_stats_t st;
    assert_int_equal(vmsim_kmem_cache_stats(k, c, &st), VMSIM_OK);
    return st;
}

/* The statistics of the cache called `name`, from slabinfo. */
static vmsim_kmem_cache_stats_t named(vmsim_kernel_t *k, const char *name)
{
    vmsim_kmem_cache_stats_t all[32];
    uint32_t n;
    assert_int_equal(vmsim_kmem_slabinfo(k, all, 32, &n), VMSIM_OK);
    for (uint32_t i = 0; i < n && i < 32; i++)
        if (strcmp(all[i].name, name) == 0)
            return all[i];
    fail_msg("no cache %s", name);
    return all[0];
}

static uint8_t read8(vmsim_machine_t *m, uint32_t vaddr)
{
    uint8_t b = 0;
    assert_int_equal(vmsim_read8(m, SUP, vaddr, &b), VMSIM_OK);
    return b;
}

static uint32_t read32(vmsim_machine_t *m, uint32_t vaddr)
{
    uint32_t w = 0;
    assert_int_equal(vmsim_read32(m, SUP, vaddr, &w), VMSIM_OK);
    return w;
}

static uint32_t class_of(uint32_t size)
{
    static const uint32_t classes[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048};
    for (unsigned i = 0; i < sizeof classes / sizeof *classes; i++)
        if (size <= classes[i])
            return classes[i];
    return 0;
}

/* --- bootstrap --------------------------------------------------------------------- */

static void bootstrap_takes_no_frames(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    assert_int_equal(st0.kmem_frames, 0);
    vmsim_kmem_cache_stats_t info[16];
    uint32_t n;
    assert_int_equal(vmsim_kmem_slabinfo(f.k, info, 16, &n), VMSIM_OK);
    assert_int_equal(n, 11);
    assert_string_equal(info[0].name, "kmalloc-8");
    assert_string_equal(info[10].name, "kmalloc-2048");
    for (uint32_t i = 0; i < n; i++) {
        assert_true(info[i].kmalloc);
        assert_int_equal(info[i].pages, 0);
    }
    vmsim_kmem_cache_t *c;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "inode", 100, 0, &c), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use);
    /* the first kmalloc: exactly one frame, no page table, at kernel_end */
    uint32_t a;
    assert_int_equal(vmsim_kmalloc(f.k, 8, &a), VMSIM_OK);
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 1);
    assert_int_equal(st1.page_tables, st0.page_tables);
    assert_int_equal(st1.kmem_frames, 1);
    assert_int_equal(a, st0.kernel_end);
    assert_int_equal(named(f.k, "kmalloc-8").objects_per_slab, 512);
    assert_clean(f.k);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_OK);
    krig_down(&f);
}

static void bootstrap_large_first(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    uint32_t a, size;
    /* a large kmalloc before any slab exists is just an area */
    assert_int_equal(vmsim_kmalloc(f.k, 5000, &a), VMSIM_OK);
    assert_true(a >= VMSIM_VMALLOC_BASE && a < VMSIM_VMALLOC_END);
    assert_int_equal(kstats(f.k).frames_in_use - st0.frames_in_use, 2);
    vmsim_kmem_stats_t ms = mstats(f.k);
    assert_int_equal(ms.slab_pages, 0);
    assert_int_equal(ms.slabs, 0);
    assert_int_equal(ms.large_objects, 1);
    assert_int_equal(ms.large_pages, 2);
    assert_int_equal(vmsim_ksize(f.k, a, &size), VMSIM_OK);
    assert_int_equal(size, 2 * PAGE);
    vmsim_area_info_t info;
    assert_int_equal(vmsim_area_list(f.k, &info, 1, NULL), VMSIM_OK);
    assert_true(info.used && info.kmalloc && !info.guard);
    /* then slabs and areas side by side */
    uint32_t b, v;
    assert_int_equal(vmsim_kmalloc(f.k, 100, &b), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, 0, &v), VMSIM_OK);
    assert_int_equal(kstats(f.k).kmem_frames, 4);
    assert_clean(f.k);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, v), VMSIM_OK);
    assert_int_equal(mstats(f.k).large_objects, 0);
    krig_down(&f);
}

static void bootstrap_out_of_frames(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    uint32_t a = 1;
    assert_int_equal(vmsim_pmm_fail_next(vmsim_kernel_pmm(f.k), 0, 1), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 8, &a), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(a, 0);
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use);
    assert_int_equal(named(f.k, "kmalloc-8").failed_allocs, 1);
    assert_int_equal(mstats(f.k).failed_allocs, 1);
    assert_clean(f.k);
    assert_int_equal(vmsim_kmalloc(f.k, 8, &a), VMSIM_OK);
    assert_int_equal(a, st0.kernel_end);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

/* --- size classes and the in-band free list ------------------------------------------ */

static void size_classes(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    for (uint32_t size = 1; size <= VMSIM_KMALLOC_MAX; size += (size < 300 ? 1 : 37)) {
        uint32_t a, got;
        assert_int_equal(vmsim_kmalloc(f.k, size, &a), VMSIM_OK);
        assert_int_equal(vmsim_ksize(f.k, a, &got), VMSIM_OK);
        assert_int_equal(got, class_of(size));
        assert_int_equal(a % 8, 0);
        if ((got & (got - 1)) == 0)
            assert_int_equal(a % got, 0); /* powers of two: aligned to their size */
        assert_true(a >= kstats(f.k).kernel_end && a < VMSIM_VMALLOC_BASE);
        assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    }
    uint32_t a, got;
    assert_int_equal(vmsim_kmalloc(f.k, VMSIM_KMALLOC_MAX + 1, &a), VMSIM_OK);
    assert_int_equal(vmsim_ksize(f.k, a, &got), VMSIM_OK);
    assert_int_equal(got, PAGE);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_ksize(f.k, a, &got), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kmalloc(f.k, 0, &a), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_kmalloc(NULL, 8, &a), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_kmalloc(f.k, 8, NULL), VMSIM_ERR_NULL);
    krig_down(&f);
}

static void free_list_lives_in_ram(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, c, x;
    assert_int_equal(vmsim_kmalloc(f.k, 64, &a), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 64, &b), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 64, &c), VMSIM_OK);
    assert_int_equal(b, a + 64);
    assert_int_equal(c, a + 128);
    /* a fresh slab links its objects in order, each word naming the next */
    assert_int_equal(read32(f.m, c + 64), c + 128);
    assert_int_equal(read32(f.m, a + PAGE - 64), 0); /* the last one ends the list */
    vmsim_stats_t k0, k1, p0, p1;
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k0);
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &p0);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k1);
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &p1);
    /* one supervisor store through the MMU, counted as the kernel's */
    assert_int_equal(k1.dtlb.lookups - k0.dtlb.lookups, 1);
    assert_int_equal(p1.dtlb.lookups, p0.dtlb.lookups);
    assert_int_equal(read32(f.m, a), c + 64); /* a -> the old head */
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_OK);
    assert_int_equal(read32(f.m, b), a); /* b -> a -> ... */
    /* LIFO: the last freed comes back first; a pop is one load */
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k0);
    assert_int_equal(vmsim_kmalloc(f.k, 64, &x), VMSIM_OK);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k1);
    assert_int_equal(k1.dtlb.lookups - k0.dtlb.lookups, 1);
    assert_int_equal(x, b);
    assert_int_equal(vmsim_kmalloc(f.k, 64, &x), VMSIM_OK);
    assert_int_equal(x, a);
    assert_int_equal(vmsim_kmalloc(f.k, 64, &x), VMSIM_OK);
    assert_int_equal(x, c + 64);
    assert_clean(f.k);
    krig_down(&f);
}

/* --- lists and the empty-slab policy ----------------------------------------------------- */

static void assert_lists(vmsim_kernel_t *k, vmsim_kmem_cache_t *c, uint32_t partial, uint32_t full,
                         uint32_t empty)
{
    vmsim_kmem_cache_stats_t st = cstats(k, c);
    assert_int_equal(st.slabs_partial, partial);
    assert_int_equal(st.slabs_full, full);
    assert_int_equal(st.slabs_empty, empty);
    assert_int_equal(st.pages, partial + full + empty);
}

static void partial_full_empty(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kmem_cache_t *c;
    uint32_t o[5];
    assert_int_equal(vmsim_kmem_cache_create(f.k, "quarter", 1024, 0, &c), VMSIM_OK);
    vmsim_kmem_cache_stats_t st = cstats(f.k, c);
    assert_int_equal(st.objects_per_slab, 4);
    assert_int_equal(st.pages_per_slab, 1);
    for (int i = 0; i < 4; i++)
        assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[i]), VMSIM_OK);
    assert_lists(f.k, c, 0, 1, 0);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[4]), VMSIM_OK);
    assert_lists(f.k, c, 1, 1, 0);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[0]), VMSIM_OK);
    assert_lists(f.k, c, 2, 0, 0);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[4]), VMSIM_OK);
    assert_lists(f.k, c, 1, 0, 1); /* one empty slab is kept */
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[1]), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[2]), VMSIM_OK);
    uint64_t inv0 = kstats(f.k).invlpgs;
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[3]), VMSIM_OK);
    /* a second empty slab goes back at once: its page was touched, one INVLPG */
    assert_lists(f.k, c, 0, 0, 1);
    assert_int_equal(kstats(f.k).invlpgs - inv0, 1);
    st = cstats(f.k, c);
    assert_int_equal(st.slabs_created, 2);
    assert_int_equal(st.slabs_released, 1);
    assert_int_equal(st.objects_free, 4);
    /* the kept slab serves the next allocation without a new frame */
    uint32_t frames = kstats(f.k).frames_in_use;
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[0]), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use, frames);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[0]), VMSIM_OK);
    uint32_t released = 0;
    assert_int_equal(vmsim_kmem_shrink(f.k, &released), VMSIM_OK);
    assert_int_equal(released, 1);
    assert_lists(f.k, c, 0, 0, 0);
    /* keep none: an emptied slab goes at once */
    assert_int_equal(vmsim_kmem_set_keep_empty(f.k, 0), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[0]), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[0]), VMSIM_OK);
    assert_lists(f.k, c, 0, 0, 0);
    assert_int_equal(kstats(f.k).kmem_frames, 0);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_OK);
    krig_down(&f);
}

static void keep_empty_shrinks_at_once(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kmem_cache_t *c;
    uint32_t o[12];
    assert_int_equal(vmsim_kmem_cache_create(f.k, "quarter", 1024, 0, &c), VMSIM_OK);
    assert_int_equal(vmsim_kmem_set_keep_empty(f.k, 3), VMSIM_OK);
    for (int i = 0; i < 12; i++)
        assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[i]), VMSIM_OK);
    for (int i = 0; i < 12; i++)
        assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[i]), VMSIM_OK);
    assert_lists(f.k, c, 0, 0, 3);
    assert_int_equal(vmsim_kmem_set_keep_empty(f.k, 1), VMSIM_OK);
    assert_lists(f.k, c, 0, 0, 1);
    assert_int_equal(vmsim_kmem_set_keep_empty(NULL, 1), VMSIM_ERR_NULL);
    krig_down(&f);
}

/* --- named caches --------------------------------------------------------------------- */

static void named_cache_lifecycle(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    vmsim_kmem_cache_t *c, *bad = (vmsim_kmem_cache_t *)&f;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "task_struct", 300, 64, &c), VMSIM_OK);
    vmsim_kmem_cache_stats_t st = cstats(f.k, c);
    assert_string_equal(st.name, "task_struct");
    assert_false(st.kmalloc);
    assert_int_equal(st.object_size, 300);
    assert_int_equal(st.stride, 320);
    assert_int_equal(st.objects_per_slab, 12);
    uint32_t o[30];
    for (uint32_t i = 0; i < 30; i++) {
        assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o[i]), VMSIM_OK);
        assert_int_equal(o[i] % 64, 0);
        assert_int_equal(vmsim_fill_bytes(f.m, SUP, o[i], (uint8_t)i, 300, NULL), VMSIM_OK);
    }
    for (uint32_t i = 0; i < 30; i++) {
        assert_int_equal(read8(f.m, o[i]), (uint8_t)i);
        assert_int_equal(read8(f.m, o[i] + 299), (uint8_t)i);
    }
    assert_int_equal(cstats(f.k, c).objects_in_use, 30);
    assert_int_equal(cstats(f.k, c).pages, 3);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_ERR_BUSY);
    for (uint32_t i = 0; i < 30; i++)
        assert_int_equal(vmsim_kmem_cache_free(f.k, c, o[i]), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use);
    /* a destroyed (or never created) cache is unknown */
    uint32_t a;
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &a), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_kmem_cache_free(f.k, bad, 0), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_kmem_cache_stats(f.k, c, &st), VMSIM_ERR_NOT_FOUND);
    krig_down(&f);
}

static void cache_create_arguments(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kmem_cache_t *c;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "x", 0, 0, &c), VMSIM_ERR_INVALID);
    assert_null(c);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "x", VMSIM_KMEM_CACHE_MAX_SIZE + 1, 0, &c),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "x", 64, 3, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "x", 64, 2 * PAGE, &c), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_kmem_cache_create(f.k, NULL, 64, 0, &c), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "x", 64, 0, NULL), VMSIM_ERR_NULL);
    /* a long name is cut; a tiny object still holds a free pointer */
    const char *longname = "a_cache_name_that_is_longer_than_thirty_one_characters";
    assert_int_equal(vmsim_kmem_cache_create(f.k, longname, 1, 1, &c), VMSIM_OK);
    vmsim_kmem_cache_stats_t st = cstats(f.k, c);
    assert_int_equal(strlen(st.name), VMSIM_KMEM_NAME_MAX - 1);
    assert_int_equal(st.stride, 8);
    assert_int_equal(st.objects_per_slab, 512);
    /* the largest objects still make a slab, waste bounded */
    vmsim_kmem_cache_t *big;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "big", VMSIM_KMEM_CACHE_MAX_SIZE, 0, &big),
                     VMSIM_OK);
    st = cstats(f.k, big);
    assert_true(st.objects_per_slab >= 1);
    assert_true(st.pages_per_slab <= VMSIM_KMEM_MAX_SLAB_PAGES);
    uint32_t a;
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, big, &a), VMSIM_OK);
    assert_int_equal(vmsim_fill_bytes(f.m, SUP, a, 0x5a, VMSIM_KMEM_CACHE_MAX_SIZE, NULL),
                     VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, big, a), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, big), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_OK);
    krig_down(&f);
}

/* --- bad frees ------------------------------------------------------------------------ */

static void bad_frees(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, o1, kend = kstats(f.k).kernel_end;
    vmsim_kmem_cache_t *c1, *c2;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "one", 48, 0, &c1), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "two", 48, 0, &c2), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 32, &a), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 32, &b), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c1, &o1), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    /* double */
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_ERR_BAD_FREE);
    /* interior */
    assert_int_equal(vmsim_kfree(f.k, b + 4), VMSIM_ERR_BAD_FREE);
    /* never allocated: a heap page without a slab, the image, user space, tables */
    assert_int_equal(vmsim_kfree(f.k, kend + (8u << 20)), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kfree(f.k, 0xC0000100u), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kfree(f.k, 0x1000u), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kfree(f.k, 0xFFFFF000u), VMSIM_ERR_BAD_FREE);
    /* cache mismatch, every way round */
    assert_int_equal(vmsim_kfree(f.k, o1), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c2, o1), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, b), VMSIM_ERR_BAD_FREE);
    /* and for a named cache: not heap memory, interior, double */
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, VMSIM_VMALLOC_BASE), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, o1 + 1), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, o1), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, o1), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_kfree(f.k, 0), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c1, 0), VMSIM_OK);
    vmsim_kmem_stats_t ms = mstats(f.k);
    assert_int_equal(ms.double_frees, 2);
    assert_int_equal(ms.interior_frees, 2);
    assert_int_equal(ms.invalid_frees, 5);
    assert_int_equal(ms.mismatched_frees, 3);
    assert_int_equal(cstats(f.k, c1).bad_frees, 5);
    assert_int_equal(cstats(f.k, c2).bad_frees, 1);
    assert_int_equal(named(f.k, "kmalloc-32").bad_frees, 2);
    /* nothing was corrupted: b is intact and 200 allocations are distinct */
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use);
    assert_int_equal(named(f.k, "kmalloc-32").objects_in_use, 1);
    assert_clean(f.k);
    uint32_t got[200];
    for (int i = 0; i < 200; i++) {
        assert_int_equal(vmsim_kmalloc(f.k, 32, &got[i]), VMSIM_OK);
        assert_int_not_equal(got[i], b);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(got[i], got[j]);
    }
    for (int i = 0; i < 200; i++)
        assert_int_equal(vmsim_kfree(f.k, got[i]), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c1), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c2), VMSIM_OK);
    krig_down(&f);
}

/* --- a free list damaged by a use after free ---------------------------------------------- */

static void free_pointer_overwritten(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, x;
    assert_int_equal(vmsim_kmalloc(f.k, 32, &a), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 32, &b), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK); /* head: a -> b -> ... */
    assert_int_equal(vmsim_write32(f.m, SUP, a, 0xdeadbeefu), VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_KMEM_FREELIST);
    assert_int_equal(p.actual, 0xdeadbeefu);
    assert_int_equal(p.vaddr, a);
    /* the allocator will not follow it: the list is rebuilt, the damage recorded */
    assert_int_equal(vmsim_kmalloc(f.k, 32, &x), VMSIM_ERR_CORRUPT);
    assert_int_equal(x, 0);
    vmsim_kmem_problem_t kp;
    assert_int_equal(vmsim_kmem_last_problem(f.k, &kp), VMSIM_OK);
    assert_int_equal(kp.kind, VMSIM_KMEM_FREELIST);
    assert_int_equal(kp.object, a);
    assert_int_equal(kp.actual, 0xdeadbeefu);
    assert_string_equal(kp.cache, "kmalloc-32");
    assert_string_equal(vmsim_kmem_problem_name(kp.kind), "free list");
    assert_int_equal(mstats(f.k).problems, 1);
    assert_clean(f.k);
    /* rebuilt in address order */
    assert_int_equal(vmsim_kmalloc(f.k, 32, &x), VMSIM_OK);
    assert_int_equal(x, a);
    assert_int_equal(vmsim_kmalloc(f.k, 32, &x), VMSIM_OK);
    assert_int_equal(x, b);
    /* a pointer to an allocated object is refused as well */
    uint32_t c;
    assert_int_equal(vmsim_kmalloc(f.k, 32, &c), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, c), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, c, a), VMSIM_OK);
    expect_problem(f.k, VMSIM_CHECK_KMEM_FREELIST);
    assert_int_equal(vmsim_kmalloc(f.k, 32, &x), VMSIM_ERR_CORRUPT);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_OK);
    krig_down(&f);
}

/* --- debug mode ----------------------------------------------------------------------- */

static void debug_layout(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    assert_true(mstats(f.k).debug);
    uint32_t a;
    assert_int_equal(vmsim_kmalloc(f.k, 20, &a), VMSIM_OK);
    vmsim_kmem_cache_stats_t st = named(f.k, "kmalloc-32");
    assert_int_equal(st.stride, 48); /* 8 + 32 + 8 */
    for (uint32_t i = 1; i <= 8; i++)
        assert_int_equal(read8(f.m, a - i), VMSIM_KMEM_RED_ACTIVE);
    for (uint32_t i = 20; i < 40; i++)
        assert_int_equal(read8(f.m, a + i), VMSIM_KMEM_RED_ACTIVE); /* slack + right zone */
    assert_int_equal(vmsim_fill_bytes(f.m, SUP, a, 0x11, 20, NULL), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    for (uint32_t i = 1; i <= 8; i++)
        assert_int_equal(read8(f.m, a - i), VMSIM_KMEM_RED_INACTIVE);
    assert_int_equal(read32(f.m, a), a + 48); /* the free pointer */
    for (uint32_t i = 4; i < 32; i++)
        assert_int_equal(read8(f.m, a + i), VMSIM_KMEM_POISON_FREE);
    for (uint32_t i = 32; i < 40; i++)
        assert_int_equal(read8(f.m, a + i), VMSIM_KMEM_RED_INACTIVE);
    assert_int_equal(vmsim_kmem_last_problem(f.k, NULL), VMSIM_ERR_NULL);
    vmsim_kmem_problem_t kp;
    assert_int_equal(vmsim_kmem_last_problem(f.k, &kp), VMSIM_ERR_NOT_FOUND);
    /* an aligned named cache keeps its alignment behind the red zone */
    vmsim_kmem_cache_t *c;
    uint32_t o;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "aligned", 100, 64, &c), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o), VMSIM_OK);
    assert_int_equal(o % 64, 0);
    assert_int_equal(read8(f.m, o - 1), VMSIM_KMEM_RED_ACTIVE);
    assert_int_equal(read8(f.m, o + 100), VMSIM_KMEM_RED_ACTIVE);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o), VMSIM_OK);
    krig_down(&f);
}

static void debug_overflow_on_free(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    uint32_t a, b;
    assert_int_equal(vmsim_kmalloc(f.k, 20, &a), VMSIM_OK);
    assert_int_equal(vmsim_write8(f.m, SUP, a + 20, 0x41), VMSIM_OK); /* one byte too far */
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_ERR_CORRUPT);
    vmsim_kmem_problem_t kp;
    assert_int_equal(vmsim_kmem_last_problem(f.k, &kp), VMSIM_OK);
    assert_int_equal(kp.kind, VMSIM_KMEM_REDZONE);
    assert_int_equal(kp.object, a);
    assert_int_equal(kp.vaddr, a + 20);
    assert_int_equal(kp.expected, VMSIM_KMEM_RED_ACTIVE);
    assert_int_equal(kp.actual, 0x41);
    assert_string_equal(kp.cache, "kmalloc-32");
    /* freed all the same, and repaired */
    assert_int_equal(named(f.k, "kmalloc-32").objects_in_use, 0);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_ERR_BAD_FREE);
    assert_clean(f.k);
    /* an underflow */
    assert_int_equal(vmsim_kmalloc(f.k, 64, &b), VMSIM_OK);
    assert_int_equal(vmsim_write8(f.m, SUP, b - 1, 0), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_ERR_CORRUPT);
    assert_int_equal(vmsim_kmem_last_problem(f.k, &kp), VMSIM_OK);
    assert_int_equal(kp.vaddr, b - 1);
    assert_int_equal(mstats(f.k).problems, 2);
    assert_int_equal(mstats(f.k).kfrees, 2);
    krig_down(&f);
}

static void debug_overflow_found_by_check(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    uint32_t a;
    assert_int_equal(vmsim_kmalloc(f.k, 64, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + 64, 0), VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_KMEM_REDZONE);
    assert_int_equal(p.vaddr, a + 64);
    assert_int_equal(p.expected, VMSIM_KMEM_RED_ACTIVE);
    assert_int_equal(p.actual, 0);
    assert_int_not_equal(p.pfn, 0);
    /* put the zone back and all is well */
    assert_int_equal(vmsim_write32(f.m, SUP, a + 64, 0xccccccccu), VMSIM_OK);
    assert_clean(f.k);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

static void debug_use_after_free(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    uint32_t a, x;
    assert_int_equal(vmsim_kmalloc(f.k, 64, &a), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + 8, 1), VMSIM_OK); /* after free */
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_KMEM_POISON);
    assert_int_equal(p.vaddr, a + 8);
    assert_int_equal(p.expected, VMSIM_KMEM_POISON_FREE);
    assert_int_equal(p.actual, 1);
    /* the allocation that meets it records it and succeeds */
    assert_int_equal(vmsim_kmalloc(f.k, 64, &x), VMSIM_OK);
    assert_int_equal(x, a);
    vmsim_kmem_problem_t kp;
    assert_int_equal(vmsim_kmem_last_problem(f.k, &kp), VMSIM_OK);
    assert_int_equal(kp.kind, VMSIM_KMEM_POISON);
    assert_int_equal(kp.vaddr, a + 8);
    assert_string_equal(vmsim_kmem_problem_name(kp.kind), "poison");
    assert_clean(f.k);
    assert_int_equal(vmsim_kfree(f.k, x), VMSIM_OK);
    krig_down(&f);
}

static void debug_large_kmalloc_guard(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    uint32_t a;
    assert_int_equal(vmsim_kmalloc(f.k, 5000, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + 2 * PAGE - 4, 1), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + 2 * PAGE, 1), VMSIM_ERR_PAGE_FAULT);
    vmsim_kfault_t kf;
    vmsim_kernel_last_fault(f.k, &kf);
    assert_int_equal(kf.kind, VMSIM_KFAULT_GUARD);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

/* --- the checker sees damage done behind the allocators' backs ------------------------- */

static uint64_t pte_paddr(vmsim_machine_t *m, uint32_t vaddr)
{
    vmsim_translation_t t;
    assert_int_equal(vmsim_translate(m, VMSIM_READ, SUP, 0xFFC00000u + (vaddr >> 12) * 4, &t),
                     VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_OK);
    return t.paddr;
}

static void checker_sees_mapping_damage(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, pte;
    assert_int_equal(vmsim_kmalloc(f.k, 128, &a), VMSIM_OK);
    uint64_t at = pte_paddr(f.m, a);
    assert_int_equal(vmsim_bus_read32(f.m, at, &pte), VMSIM_OK);
    /* unmap the slab's page behind the allocator's back */
    assert_int_equal(vmsim_bus_write32(f.m, at, 0), VMSIM_OK);
    expect_problem(f.k, VMSIM_CHECK_KMEM_MAPPING);
    assert_int_equal(vmsim_bus_write32(f.m, at, pte), VMSIM_OK);
    assert_clean(f.k);
    /* a stray kernel mapping where no area is */
    uint64_t stray = pte_paddr(f.m, 0xE0000000u);
    assert_int_equal(vmsim_bus_write32(f.m, stray, pte), VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_KMEM_MAPPING);
    assert_int_equal(p.vaddr, 0xE0000000u);
    assert_int_equal(vmsim_bus_write32(f.m, stray, 0), VMSIM_OK);
    assert_int_equal(vmsim_kfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

/* --- running out of frames ----------------------------------------------------------------- */

static void grow_fails_at_every_frame(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    vmsim_kmem_cache_t *c;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "odd", 3000, 0, &c), VMSIM_OK);
    uint32_t pages = cstats(f.k, c).pages_per_slab;
    assert_int_equal(pages, 4);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    for (uint32_t at = 0; at < pages; at++) {
        uint32_t o = 1;
        assert_int_equal(vmsim_pmm_fail_next(pmm, at, 1), VMSIM_OK);
        assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o), VMSIM_ERR_NO_FRAMES);
        assert_int_equal(o, 0);
        vmsim_kernel_stats_t st = kstats(f.k);
        assert_int_equal(st.frames_in_use, st0.frames_in_use);
        assert_int_equal(st.invlpgs, st0.invlpgs); /* the half-made slab was never touched */
        assert_int_equal(cstats(f.k, c).pages, 0);
        assert_clean(f.k);
    }
    assert_int_equal(cstats(f.k, c).failed_allocs, pages);
    uint32_t o;
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &o), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use - st0.frames_in_use, pages);
    assert_int_equal(vmsim_kmem_cache_free(f.k, c, o), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_destroy(f.k, c), VMSIM_OK);
    krig_down(&f);
}

static void reclaim_under_pressure(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    vmsim_kmem_cache_t *a, *b;
    uint32_t o;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "a", 1024, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_create(f.k, "b", 1024, 0, &b), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, a, &o), VMSIM_OK);
    assert_int_equal(vmsim_kmem_cache_free(f.k, a, o), VMSIM_OK);
    assert_int_equal(cstats(f.k, a).slabs_empty, 1); /* kept */
    vmsim_pmm_set_cap(pmm, kstats(f.k).frames_in_use);
    /* b needs a page; a's spare slab is given back for it */
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, b, &o), VMSIM_OK);
    assert_int_equal(cstats(f.k, a).pages, 0);
    assert_int_equal(mstats(f.k).slabs_reclaimed, 1);
    /* with nothing left to reclaim the allocation fails cleanly */
    uint32_t frames = kstats(f.k).frames_in_use, o2 = 1;
    assert_int_equal(vmsim_kmem_cache_alloc(f.k, a, &o2), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(o2, 0);
    assert_int_equal(kstats(f.k).frames_in_use, frames);
    assert_int_equal(vmsim_kmalloc(f.k, 16, &o2), VMSIM_ERR_NO_FRAMES);
    assert_clean(f.k);
    vmsim_pmm_set_cap(pmm, 0);
    assert_int_equal(vmsim_kmem_cache_free(f.k, b, o), VMSIM_OK);
    krig_down(&f);
}

/* --- statistics ------------------------------------------------------------------------------ */

static void fragmentation_stats(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(vmsim_kmalloc(f.k, 20, &a[i]), VMSIM_OK);
    vmsim_kmem_cache_stats_t st = named(f.k, "kmalloc-32");
    assert_int_equal(st.objects_in_use, 4);
    assert_int_equal(st.objects_free, 124);
    assert_int_equal(st.bytes_requested, 80);
    assert_int_equal(st.pages, 1);
    assert_true(st.internal_fragmentation > 0.375 - 1e-9 &&
                st.internal_fragmentation < 0.375 + 1e-9);
    assert_true(st.utilization > 80.0 / 4096 - 1e-9 && st.utilization < 80.0 / 4096 + 1e-9);
    assert_int_equal(st.allocs, 4);
    vmsim_kmem_stats_t ms = mstats(f.k);
    assert_int_equal(ms.n_caches, 11);
    assert_int_equal(ms.slabs, 1);
    assert_int_equal(ms.slab_pages, 1);
    assert_int_equal(ms.objects_in_use, 4);
    assert_int_equal(ms.kmallocs, 4);
    assert_true(ms.internal_fragmentation > 0.375 - 1e-9 &&
                ms.internal_fragmentation < 0.375 + 1e-9);
    for (int i = 0; i < 4; i++)
        assert_int_equal(vmsim_kfree(f.k, a[i]), VMSIM_OK);
    st = named(f.k, "kmalloc-32");
    assert_int_equal(st.bytes_requested, 0);
    assert_true(st.internal_fragmentation == 0.0);
    assert_int_equal(mstats(f.k).kfrees, 4);
    assert_int_equal(vmsim_kmem_stats(NULL, &ms), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_kmem_slabinfo(f.k, NULL, 1, NULL), VMSIM_ERR_NULL);
    krig_down(&f);
}

static void shutdown_with_live_objects(void **state)
{
    (void)state;
    struct krig f;
    up_debug(&f);
    vmsim_kmem_cache_t *c;
    uint32_t a;
    assert_int_equal(vmsim_kmem_cache_create(f.k, "left", 40, 0, &c), VMSIM_OK);
    for (uint32_t i = 0; i < 300; i++) {
        assert_int_equal(vmsim_kmalloc(f.k, 1 + i * 13, &a), VMSIM_OK);
        assert_int_equal(vmsim_kmem_cache_alloc(f.k, c, &a), VMSIM_OK);
    }
    krig_down(&f); /* valgrind: no host memory is lost */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bootstrap_takes_no_frames),
        cmocka_unit_test(bootstrap_large_first),
        cmocka_unit_test(bootstrap_out_of_frames),
        cmocka_unit_test(size_classes),
        cmocka_unit_test(free_list_lives_in_ram),
        cmocka_unit_test(partial_full_empty),
        cmocka_unit_test(keep_empty_shrinks_at_once),
        cmocka_unit_test(named_cache_lifecycle),
        cmocka_unit_test(cache_create_arguments),
        cmocka_unit_test(bad_frees),
        cmocka_unit_test(free_pointer_overwritten),
        cmocka_unit_test(debug_layout),
        cmocka_unit_test(debug_overflow_on_free),
        cmocka_unit_test(debug_overflow_found_by_check),
        cmocka_unit_test(debug_use_after_free),
        cmocka_unit_test(debug_large_kmalloc_guard),
        cmocka_unit_test(checker_sees_mapping_damage),
        cmocka_unit_test(grow_fails_at_every_frame),
        cmocka_unit_test(reclaim_under_pressure),
        cmocka_unit_test(fragmentation_stats),
        cmocka_unit_test(shutdown_with_live_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
