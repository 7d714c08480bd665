/*
 * test_kmem_stress.c - the kernel's allocators against a host model.
 *
 * Each run boots a kernel (every other seed in kmem debug mode), makes
 * three named caches of random geometry, and takes random steps:
 *
 *   allocate   kmalloc of a small size (skewed small) or a large one,
 *              a named cache's object, or a vmalloc area (immediate or
 *              on demand, with or without a guard page); the new range
 *              must lie in the right part of the kernel's layout and
 *              overlap no live allocation; it is filled with a pattern
 *              of its own through the MMU, in supervisor mode
 *   free       a random live allocation: its pattern is read back
 *              through the MMU and compared, then it is freed with the
 *              call that matches how it was made
 *   bad free   an address that is not a live allocation's start (inside
 *              one, recently freed, or through the wrong call): must be
 *              VMSIM_ERR_BAD_FREE - and the patterns checked later prove
 *              nothing was corrupted
 *   switch     between the kernel's space and two processes: the kernel
 *              half is the same everywhere
 *
 * Every so often vmsim_check() must be clean and the allocators'
 * statistics must match the model.  A second phase injects frame
 * allocation failures at random (vmsim_pmm_fail_next): a failed
 * allocation returns 0 and VMSIM_ERR_NO_FRAMES and takes no frame; a
 * failed first touch of an on-demand page faults (OOM) and works once
 * frames are back.  At the end everything is freed and, after
 * vmsim_kmem_shrink(), the kernel holds exactly the frames it held after
 * boot.
 *
 *   VMSIM_KMEM_SEEDS  runs (default 4)      VMSIM_KMEM_SEED  first seed (1)
 *   VMSIM_KMEM_STEPS  steps per run (default 2500)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define SUP       VMSIM_SUPERVISOR
#define MAX_LIVE  400
#define N_CACHES  3
#define MAX_BYTES (96u << 10)

enum kind { KIND_KMALLOC, KIND_CACHE, KIND_VMALLOC };

struct live {
    uint32_t addr, size, id;
    enum kind kind;
    int cache;
};

struct run {
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    uint64_t rng;
    vmsim_kmem_cache_t *caches[N_CACHES];
    uint32_t cache_size[N_CACHES];
    struct live live[MAX_LIVE];
    uint32_t n_live, next_id;
    uint32_t freed[64]; /* recently freed starts */
    uint32_t n_freed;
    vmsim_pid_t pids[2];
    uint32_t boot_frames;
    uint8_t *buf, *back;
    uint64_t n_allocs, n_frees, n_bad, n_failed, n_checks;
};

static uint32_t env_or(const char *name, uint32_t def)
{
    const char *s = getenv(name);
    return s && *s ? (uint32_t)strtoul(s, NULL, 0) : def;
}

static uint32_t rnd(struct run *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return (uint32_t)(r->rng >> 16);
}

static uint32_t below(struct run *r, uint32_t n)
{
    return rnd(r) % n;
}

static void fill_pattern(uint8_t *buf, uint32_t id, uint32_t size)
{
    for (uint32_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(id * 131u + i * 7u + (i >> 8));
}

static void check_clean(struct run *r)
{
    assert_clean(r->k);
    r->n_checks++;
}

/* --- the model ----------------------------------------------------------------- */

static bool overlaps(const struct run *r, uint32_t addr, uint32_t size)
{
    for (uint32_t i = 0; i < r->n_live; i++) {
        const struct live *l = &r->live[i];
        if (addr < l->addr + l->size && l->addr < addr + size)
            return true;
    }
    return false;
}

static void assert_placed(const struct run *r, const struct live *l)
{
    vmsim_kernel_stats_t st;
    vmsim_kernel_get_stats(r->k, &st);
    bool heap = l->kind == KIND_CACHE || (l->kind == KIND_KMALLOC && l->size <= VMSIM_KMALLOC_MAX);
    if (heap)
        assert_true(l->addr >= st.kernel_end && l->addr + l->size <= VMSIM_VMALLOC_BASE);
    else
        assert_true(l->addr >= VMSIM_VMALLOC_BASE && l->addr + l->size <= VMSIM_VMALLOC_END &&
                    l->addr % VMSIM_PAGE_SIZE == 0);
    if (l->kind == KIND_CACHE)
        assert_int_equal(l->addr % 8, 0);
    assert_false(overlaps(r, l->addr, l->size));
}

static uint32_t small_size(struct run *r)
{
    uint32_t bits = 3 + below(r, 9); /* 8 .. 2048, skewed small */
    uint32_t size = 1 + below(r, 1u << bits);
    return size > VMSIM_KMALLOC_MAX ? VMSIM_KMALLOC_MAX : size;
}

/* Try one allocation of a random kind; fills *l.  Returns the status. */
static vmsim_status_t try_alloc(struct run *r, struct live *l)
{
    uint32_t pick = below(r, 100);
    memset(l, 0, sizeof *l);
    if (pick < 62) {
        l->kind = KIND_KMALLOC;
        l->size = small_size(r);
        return vmsim_kmalloc(r->k, l->size, &l->addr);
    }
    if (pick < 70) {
        l->kind = KIND_KMALLOC;
        l->size = VMSIM_KMALLOC_MAX + 1 + below(r, 40000);
        return vmsim_kmalloc(r->k, l->size, &l->addr);
    }
    if (pick < 88) {
        l->kind = KIND_CACHE;
        l->cache = (int)below(r, N_CACHES);
        l->size = r->cache_size[l->cache];
        return vmsim_kmem_cache_alloc(r->k, r->caches[l->cache], &l->addr);
    }
    l->kind = KIND_VMALLOC;
    l->size = 1 + below(r, 64u << 10);
    return vmsim_vmalloc(r->k, l->size, below(r, 4), &l->addr);
}

static void allocate(struct run *r)
{
    struct live l;
    vmsim_status_t rc = try_alloc(r, &l);
    assert_int_equal(rc, VMSIM_OK);
    l.id = r->next_id++;
    assert_placed(r, &l);
    fill_pattern(r->buf, l.id, l.size);
    assert_int_equal(vmsim_write_bytes(r->m, SUP, l.addr, r->buf, l.size, NULL), VMSIM_OK);
    r->live[r->n_live++] = l;
    r->n_allocs++;
}

static vmsim_status_t free_live(struct run *r, const struct live *l)
{
    switch (l->kind) {
    case KIND_KMALLOC: return vmsim_kfree(r->k, l->addr);
    case KIND_CACHE: return vmsim_kmem_cache_free(r->k, r->caches[l->cache], l->addr);
    default: return vmsim_vfree(r->k, l->addr);
    }
}

static void verify(struct run *r, const struct live *l)
{
    fill_pattern(r->buf, l->id, l->size);
    assert_int_equal(vmsim_read_bytes(r->m, SUP, l->addr, r->back, l->size, NULL), VMSIM_OK);
    assert_memory_equal(r->back, r->buf, l->size);
}

static void release(struct run *r, uint32_t i)
{
    struct live l = r->live[i];
    verify(r, &l);
    assert_int_equal(free_live(r, &l), VMSIM_OK);
    r->live[i] = r->live[--r->n_live];
    r->freed[r->n_freed++ % 64] = l.addr;
    r->n_frees++;
}

/* --- bad frees ---------------------------------------------------------------------- */

static const struct live *live_at(const struct run *r, uint32_t addr)
{
    for (uint32_t i = 0; i < r->n_live; i++)
        if (r->live[i].addr == addr)
            return &r->live[i];
    return NULL;
}

/* how: 0 kfree, 1 kmem_cache_free(caches[cache]), 2 vfree */
static bool right_call(const struct live *l, int how, int cache)
{
    switch (l->kind) {
    case KIND_KMALLOC: return how == 0;
    case KIND_CACHE: return how == 1 && cache == l->cache;
    default: return how == 2;
    }
}

/* Free an address that is not a live allocation's start (inside one, or
 * recently freed), or a live start through the wrong call. */
static void bad_free(struct run *r)
{
    uint32_t addr, pick = below(r, 3);
    int how = (int)below(r, 3), cache = (int)below(r, N_CACHES);
    if (pick < 2 && r->n_live) {
        const struct live *l = &r->live[below(r, r->n_live)];
        addr = pick == 0 ? l->addr + 1 + below(r, l->size) : l->addr;
    } else if (r->n_freed) {
        addr = r->freed[below(r, r->n_freed < 64 ? r->n_freed : 64)];
    } else {
        return;
    }
    const struct live *l = live_at(r, addr);
    if (l && right_call(l, how, cache))
        return; /* that would be a legitimate free */
    vmsim_status_t rc = how == 0   ? vmsim_kfree(r->k, addr)
                        : how == 1 ? vmsim_kmem_cache_free(r->k, r->caches[cache], addr)
                                   : vmsim_vfree(r->k, addr);
    if (rc == VMSIM_OK)
        fail_msg("bad free of %08x (call %d) was accepted", addr, how);
    assert_int_equal(rc, VMSIM_ERR_BAD_FREE);
    r->n_bad++;
}

/* --- statistics against the model --------------------------------------------------------- */

static void compare_stats(struct run *r)
{
    uint32_t slab_objects = 0, areas = 0;
    for (uint32_t i = 0; i < r->n_live; i++) {
        const struct live *l = &r->live[i];
        bool area =
            l->kind == KIND_VMALLOC || (l->kind == KIND_KMALLOC && l->size > VMSIM_KMALLOC_MAX);
        areas += area;
        slab_objects += !area;
    }
    vmsim_kmem_stats_t ms;
    vmsim_area_stats_t as;
    vmsim_kernel_stats_t ks;
    vmsim_kmem_stats(r->k, &ms);
    vmsim_area_stats(r->k, &as);
    vmsim_kernel_get_stats(r->k, &ks);
    assert_int_equal(ms.objects_in_use, slab_objects);
    assert_int_equal(as.n_areas, areas);
    assert_int_equal(ks.kmem_frames, ms.slab_pages + as.pages_backed);
}

/* --- a run -------------------------------------------------------------------------------- */

static void boot(struct run *r, uint32_t seed)
{
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.kmem_debug = seed & 1;
    memset(r, 0, sizeof *r);
    r->rng = 0x9E3779B97F4A7C15ull * (seed + 1);
    r->buf = malloc(MAX_BYTES);
    r->back = malloc(MAX_BYTES);
    assert_non_null(r->buf);
    assert_non_null(r->back);
    r->m = krig_machine(64u << 20);
    assert_int_equal(vmsim_kernel_boot(r->m, &kc, &r->k), VMSIM_OK);
    for (int i = 0; i < N_CACHES; i++) {
        char name[16] = "stress-0";
        name[7] = (char)('0' + i);
        r->cache_size[i] = 1 + below(r, i == 2 ? 6000 : 500);
        uint32_t align = 1u << below(r, 7);
        assert_int_equal(
            vmsim_kmem_cache_create(r->k, name, r->cache_size[i], align, &r->caches[i]), VMSIM_OK);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(vmsim_proc_create(r->k, &r->pids[i]), VMSIM_OK);
    vmsim_kernel_stats_t st;
    vmsim_kernel_get_stats(r->k, &st);
    r->boot_frames = st.frames_in_use; /* boot, plus two page directories */
    assert_int_equal(st.kmem_frames, 0);
}

static void step(struct run *r)
{
    uint32_t pick = below(r, 100);
    if (pick < 3) {
        uint32_t which = below(r, 3);
        if (which < 2)
            assert_int_equal(vmsim_proc_switch(r->k, r->pids[which]), VMSIM_OK);
        else
            assert_int_equal(vmsim_proc_switch(r->k, r->pids[0]), VMSIM_OK);
    } else if (pick < 8) {
        bad_free(r);
    } else if (pick < 58 && r->n_live < MAX_LIVE) {
        allocate(r);
    } else if (r->n_live) {
        release(r, below(r, r->n_live));
    }
}

/* Allocations with injected frame failures: clean failure or success. */
static void injected_step(struct run *r)
{
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(r->k);
    vmsim_kernel_stats_t before, after;
    struct live l;
    if (r->n_live >= MAX_LIVE || below(r, 3) == 0) {
        if (r->n_live)
            release(r, below(r, r->n_live));
        return;
    }
    vmsim_kernel_get_stats(r->k, &before);
    vmsim_pmm_fail_next(pmm, below(r, 4), 1 + below(r, 2));
    vmsim_status_t rc = try_alloc(r, &l);
    vmsim_pmm_fail_next(pmm, 0, 0);
    vmsim_kernel_get_stats(r->k, &after);
    if (rc != VMSIM_OK) {
        assert_int_equal(rc, VMSIM_ERR_NO_FRAMES);
        assert_int_equal(l.addr, 0);
        assert_true(after.frames_in_use <= before.frames_in_use); /* reclaim may give back */
        r->n_failed++;
        return;
    }
    l.id = r->next_id++;
    assert_placed(r, &l);
    fill_pattern(r->buf, l.id, l.size);
    vmsim_pmm_fail_next(pmm, below(r, 2), 1);
    rc = vmsim_write_bytes(r->m, SUP, l.addr, r->buf, l.size, NULL);
    vmsim_pmm_fail_next(pmm, 0, 0);
    if (rc != VMSIM_OK) {
        vmsim_kfault_t kf;
        vmsim_kernel_last_fault(r->k, &kf);
        assert_int_equal(rc, VMSIM_ERR_PAGE_FAULT); /* an on-demand page found no frame */
        assert_int_equal(kf.kind, VMSIM_KFAULT_OOM);
        assert_int_equal(vmsim_write_bytes(r->m, SUP, l.addr, r->buf, l.size, NULL), VMSIM_OK);
        r->n_failed++;
    }
    r->live[r->n_live++] = l;
    r->n_allocs++;
}

static void teardown(struct run *r)
{
    while (r->n_live)
        release(r, r->n_live - 1);
    vmsim_kernel_stats_t st;
    vmsim_kernel_get_stats(r->k, &st);
    uint32_t spare = 0;
    vmsim_kmem_cache_stats_t info[16];
    uint32_t n;
    vmsim_kmem_slabinfo(r->k, info, 16, &n);
    for (uint32_t i = 0; i < n && i < 16; i++) {
        assert_int_equal(info[i].objects_in_use, 0);
        assert_true(info[i].slabs_empty <= 1); /* the policy: one spare at most */
        spare += info[i].pages;
    }
    assert_int_equal(st.frames_in_use, r->boot_frames + spare);
    uint32_t released = 0;
    assert_int_equal(vmsim_kmem_shrink(r->k, &released), VMSIM_OK);
    assert_int_equal(released, spare);
    vmsim_kernel_get_stats(r->k, &st);
    assert_int_equal(st.frames_in_use, r->boot_frames);
    assert_int_equal(st.kmem_frames, 0);
    check_clean(r);
    for (int i = 0; i < N_CACHES; i++)
        assert_int_equal(vmsim_kmem_cache_destroy(r->k, r->caches[i]), VMSIM_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(vmsim_proc_exit(r->k, r->pids[i]), VMSIM_OK);
    vmsim_area_stats_t as;
    vmsim_area_stats(r->k, &as);
    assert_int_equal(as.n_free_areas, 1);
    assert_true(as.external_fragmentation == 0.0);
    krig_halt(r->k);
    free(r->buf);
    free(r->back);
}

static void one_run(uint32_t seed, uint32_t steps)
{
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    boot(r, seed);
    for (uint32_t i = 1; i <= steps; i++) {
        step(r);
        if (i % 250 == 0) {
            check_clean(r);
            compare_stats(r);
        }
    }
    for (uint32_t i = 1; i <= steps / 4; i++) {
        injected_step(r);
        if (i % 100 == 0) {
            check_clean(r);
            compare_stats(r);
        }
    }
    print_message("seed %u%s: %llu allocs, %llu frees, %llu bad frees refused, %llu injected "
                  "failures, %llu checks\n",
                  seed, seed & 1 ? " (debug)" : "", (unsigned long long)r->n_allocs,
                  (unsigned long long)r->n_frees, (unsigned long long)r->n_bad,
                  (unsigned long long)r->n_failed, (unsigned long long)r->n_checks);
    teardown(r);
    free(r);
}

static void stress(void **state)
{
    (void)state;
    uint32_t seeds = env_or("VMSIM_KMEM_SEEDS", 4);
    uint32_t first = env_or("VMSIM_KMEM_SEED", 1);
    uint32_t steps = env_or("VMSIM_KMEM_STEPS", 2500);
    for (uint32_t s = first; s < first + seeds; s++)
        one_run(s, steps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
