/*
 * kmem_demo.c - watch the kernel's allocators work in simulated RAM.
 *
 * Boots a kernel, then:
 *   1. kmalloc()s a few small objects and a named cache's objects; every
 *      object is simulated kernel memory, written and read back through
 *      the MMU in supervisor mode;
 *   2. shows the in-band free list: after kfree(), the object's first
 *      word holds the address of the next free object;
 *   3. vmalloc()s an on-demand area with a guard page: frames appear on
 *      first touch, and touching the guard page is a kernel error;
 *   4. prints /proc/slabinfo-style statistics and the area allocator's.
 *
 * Build: part of the project (examples/ builds every *.c); run
 * build/<dir>/examples/kmem_demo.
 */
#include <inttypes.h>
#include <stdio.h>
#include <vmsim/vmsim.h>

#define CHECK(call)                                                                        \
    do {                                                                                   \
        vmsim_status_t rc_ = (call);                                                       \
        if (rc_ != VMSIM_OK) {                                                             \
            fprintf(stderr, "%s: %s\n", #call, vmsim_strerror(rc_));                       \
            return 1;                                                                      \
        }                                                                                  \
    } while (0)

static int small_objects(vmsim_kernel_t *k, vmsim_machine_t *m)
{
    uint32_t a, b, next = 0;
    CHECK(vmsim_kmalloc(k, 40, &a)); /* the 64-byte class */
    CHECK(vmsim_kmalloc(k, 40, &b));
    CHECK(vmsim_write32(m, VMSIM_SUPERVISOR, a, 0xc0ffee));
    printf("kmalloc(40) -> 0x%08" PRIx32 " and 0x%08" PRIx32 " (one slab, 64 bytes apart)\n", a, b);
    CHECK(vmsim_kfree(k, b));
    CHECK(vmsim_kfree(k, a));
    CHECK(vmsim_read32(m, VMSIM_SUPERVISOR, a, &next));
    printf("after kfree: the free object at 0x%08" PRIx32 " points to the next free one, 0x%08" PRIx32 "\n",
           a, next);
    vmsim_status_t again = vmsim_kfree(k, a);
    printf("kfree the same object again -> %s\n", vmsim_status_name(again));
    return 0;
}

static int named_cache(vmsim_kernel_t *k, vmsim_machine_t *m)
{
    vmsim_kmem_cache_t *tasks;
    uint32_t t[3];
    CHECK(vmsim_kmem_cache_create(k, "task_struct", 300, 8, &tasks));
    for (int i = 0; i < 3; i++) {
        CHECK(vmsim_kmem_cache_alloc(k, tasks, &t[i]));
        CHECK(vmsim_write32(m, VMSIM_SUPERVISOR, t[i], (uint32_t)i));
    }
    printf("task_struct objects at 0x%08" PRIx32 ", 0x%08" PRIx32 ", 0x%08" PRIx32 "\n", t[0], t[1], t[2]);
    vmsim_kmem_cache_stats_t st;
    CHECK(vmsim_kmem_cache_stats(k, tasks, &st));
    printf("  %u objects per %u-page slab, %u in use, internal fragmentation %.1f%%\n",
           st.objects_per_slab, st.pages_per_slab, st.objects_in_use, 100 * st.internal_fragmentation);
    for (int i = 0; i < 3; i++)
        CHECK(vmsim_kmem_cache_free(k, tasks, t[i]));
    return vmsim_kmem_cache_destroy(k, tasks) == VMSIM_OK ? 0 : 1;
}

static int demand_area(vmsim_kernel_t *k, vmsim_machine_t *m)
{
    uint32_t area;
    vmsim_area_stats_t before, after;
    CHECK(vmsim_vmalloc(k, 4 * 4096, VMSIM_VM_DEMAND | VMSIM_VM_GUARD, &area));
    CHECK(vmsim_area_stats(k, &before));
    CHECK(vmsim_write32(m, VMSIM_SUPERVISOR, area + 4096, 7)); /* first touch of page 1 */
    CHECK(vmsim_area_stats(k, &after));
    printf("vmalloc(16 KiB, on demand, guard) -> 0x%08" PRIx32 "; frames backed %u -> %u after one touch\n",
           area, before.pages_backed, after.pages_backed);
    vmsim_status_t guard = vmsim_write32(m, VMSIM_SUPERVISOR, area + 4 * 4096, 1);
    printf("write to the guard page -> %s\n", vmsim_status_name(guard));
    CHECK(vmsim_vfree(k, area));
    return 0;
}

int main(void)
{
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;
    CHECK(vmsim_create(&cfg, &m));
    CHECK(vmsim_kernel_boot(m, NULL, &k));
    int bad = small_objects(k, m) || named_cache(k, m) || demand_area(k, m);
    vmsim_kmem_stats_t ks;
    vmsim_check_report_t report;
    CHECK(vmsim_kmem_stats(k, &ks));
    printf("kmem: %u caches, %u slabs on %u pages, %" PRIu64 " kmallocs, %" PRIu64 " double frees caught\n",
           ks.n_caches, ks.slabs, ks.slab_pages, ks.kmallocs, ks.double_frees);
    vmsim_status_t checked = vmsim_check(k, &report);
    printf("vmsim_check: %s\n", vmsim_status_name(checked));
    for (uint32_t i = 0; i < report.n_stored; i++) {
        char line[256];
        vmsim_check_problem_format(&report.problems[i], line, sizeof line);
        printf("  %s\n", line);
    }
    vmsim_kernel_shutdown(k);
    vmsim_destroy(m);
    return bad || checked != VMSIM_OK;
}
