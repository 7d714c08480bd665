/*
 * bench_kmem.c - what the kernel's allocators cost, and how much memory
 * they waste, on the emulated hardware.
 *
 * Part 1, speed: operations per second of
 *
 *   kmalloc+kfree 64 B      allocate and free at once: the hot path (one
 *                           supervisor load to pop, one store to push)
 *   kmalloc/kfree mixed     a working set of 2000 objects of 8 .. 2048
 *                           bytes (skewed small); each step frees a random
 *                           one and allocates a new one
 *   cache alloc/free 300 B  a named cache, the same working-set pattern
 *   kmalloc 4..40 KiB       large kmallocs: immediate areas, zeroed
 *   vmalloc 1..16 pages     immediate areas (frames mapped and zeroed),
 *                           working set of 200
 *   vmalloc on demand       the same without backing (bookkeeping only)
 *
 * An operation is one allocation or one free.  Each row is timed with
 * CLOCK_MONOTONIC, best of `reps` rounds, on a fresh 256 MiB machine.
 *
 * Part 2, fragmentation: a mixed workload with random sizes and
 * lifetimes, the same seed for each fit strategy of the area allocator:
 *
 *   areas   on-demand areas of 1 .. 512 pages (70% 1-8, 25% 9-64, 5%
 *           65-512), a working set of 2500: external fragmentation
 *           (1 - largest free / free), free areas, largest free block,
 *           averaged over samples every 100 steps
 *   slabs   kmalloc of 8 .. 2048 bytes and three named caches, working
 *           set 4000: internal fragmentation (1 - requested / handed-out
 *           slot bytes) and utilization (requested / slab bytes), averaged
 *
 * Usage: bench_kmem [--quick] [--seed N]
 */
#include <vmsim/vmsim.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAM_BYTES (256ull << 20)

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static uint32_t below(uint32_t n)
{
    return rnd() % n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void must(vmsim_status_t rc, const char *what)
{
    if (rc != VMSIM_OK) {
        fprintf(stderr, "bench_kmem: %s: %s\n", what, vmsim_strerror(rc));
        exit(1);
    }
}

struct sys {
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
};

static void boot(struct sys *s)
{
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM_BYTES;
    must(vmsim_create(&cfg, &s->m), "create");
    must(vmsim_kernel_boot(s->m, NULL, &s->k), "boot");
}

static void halt(struct sys *s)
{
    vmsim_check_report_t rep;
    must(vmsim_check(s->k, &rep), "check");
    vmsim_kernel_shutdown(s->k);
    vmsim_destroy(s->m);
}

static uint32_t small_size(void)
{
    uint32_t size = 1 + below(1u << (3 + below(9)));
    return size > VMSIM_KMALLOC_MAX ? VMSIM_KMALLOC_MAX : size;
}

static uint32_t area_pages(void)
{
    uint32_t p = below(100);
    return p < 70 ? 1 + below(8) : p < 95 ? 9 + below(56) : 65 + below(448);
}

/* --- part 1: speed ------------------------------------------------------------- */

enum op_kind { OP_KMALLOC_PAIR, OP_KMALLOC_MIXED, OP_CACHE, OP_LARGE, OP_VMALLOC, OP_DEMAND };

struct row {
    const char *name;
    enum op_kind kind;
    uint32_t working_set;
    uint32_t steps;
};

/* Allocate one object of the row's kind. */
static uint32_t alloc_one(struct sys *s, const struct row *r, vmsim_kmem_cache_t *c)
{
    uint32_t a = 0;
    switch (r->kind) {
    case OP_KMALLOC_PAIR: must(vmsim_kmalloc(s->k, 64, &a), "kmalloc"); break;
    case OP_KMALLOC_MIXED: must(vmsim_kmalloc(s->k, small_size(), &a), "kmalloc"); break;
    case OP_CACHE: must(vmsim_kmem_cache_alloc(s->k, c, &a), "cache alloc"); break;
    case OP_LARGE: must(vmsim_kmalloc(s->k, 4096 + below(36 * 1024), &a), "kmalloc large"); break;
    case OP_VMALLOC: must(vmsim_vmalloc(s->k, (1 + below(16)) * 4096, 0, &a), "vmalloc"); break;
    case OP_DEMAND:
        must(vmsim_vmalloc(s->k, (1 + below(16)) * 4096, VMSIM_VM_DEMAND, &a), "vmalloc");
        break;
    }
    return a;
}

static void free_one(struct sys *s, const struct row *r, vmsim_kmem_cache_t *c, uint32_t a)
{
    if (r->kind == OP_CACHE)
        must(vmsim_kmem_cache_free(s->k, c, a), "cache free");
    else if (r->kind == OP_VMALLOC || r->kind == OP_DEMAND)
        must(vmsim_vfree(s->k, a), "vfree");
    else
        must(vmsim_kfree(s->k, a), "kfree");
}

/* One timed round: fill the working set, then `steps` free+alloc pairs.
 * Returns seconds for the 2 * steps operations of the steady state. */
static double round_of(const struct row *r)
{
    struct sys s;
    vmsim_kmem_cache_t *c = NULL;
    boot(&s);
    must(vmsim_kmem_cache_create(s.k, "bench", 300, 0, &c), "cache");
    uint32_t *live = calloc(r->working_set ? r->working_set : 1, sizeof *live);
    for (uint32_t i = 0; i < r->working_set; i++)
        live[i] = alloc_one(&s, r, c);
    double t0 = now();
    for (uint32_t i = 0; i < r->steps; i++) {
        if (r->working_set == 0) {
            free_one(&s, r, c, alloc_one(&s, r, c));
            continue;
        }
        uint32_t j = below(r->working_set);
        free_one(&s, r, c, live[j]);
        live[j] = alloc_one(&s, r, c);
    }
    double t = now() - t0;
    for (uint32_t i = 0; i < r->working_set; i++)
        free_one(&s, r, c, live[i]);
    free(live);
    must(vmsim_kmem_cache_destroy(s.k, c), "destroy");
    halt(&s);
    return t;
}

static void speed(int quick)
{
    uint32_t scale = quick ? 10 : 1;
    const struct row rows[] = {
        {"kmalloc+kfree 64 B (pairs)", OP_KMALLOC_PAIR, 0, 400000 / scale},
        {"kmalloc/kfree 8..2048 B, ws 2000", OP_KMALLOC_MIXED, 2000, 200000 / scale},
        {"cache alloc/free 300 B, ws 2000", OP_CACHE, 2000, 200000 / scale},
        {"kmalloc 4..40 KiB (areas), ws 200", OP_LARGE, 200, 10000 / scale},
        {"vmalloc 1..16 pages, ws 200", OP_VMALLOC, 200, 10000 / scale},
        {"vmalloc 1..16 pages on demand, ws 200", OP_DEMAND, 200, 100000 / scale},
    };
    int reps = quick ? 1 : 3;
    printf("%-40s %10s %12s %10s\n", "operation", "ops", "ops/s", "ns/op");
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        double best = 1e30;
        for (int rep = 0; rep < reps; rep++) {
            double t = round_of(&rows[i]);
            best = t < best ? t : best;
        }
        double ops = 2.0 * rows[i].steps;
        printf("%-40s %10.0f %12.0f %10.1f\n", rows[i].name, ops, ops / best, best * 1e9 / ops);
    }
}

/* --- part 2: fragmentation ---------------------------------------------------------- */

struct frag {
    double ext, n_free, largest_mib, int_frag, util, slab_pages;
    uint32_t samples, failures;
};

static void sample(struct sys *s, struct frag *f)
{
    vmsim_area_stats_t as;
    vmsim_kmem_stats_t ks;
    vmsim_area_stats(s->k, &as);
    vmsim_kmem_stats(s->k, &ks);
    f->ext += as.external_fragmentation;
    f->n_free += as.n_free_areas;
    f->largest_mib += (double)as.largest_free / (1 << 20);
    f->int_frag += ks.internal_fragmentation;
    f->util += ks.utilization;
    f->slab_pages += ks.slab_pages;
    f->samples++;
}

#define AREA_WS 2500u
#define OBJ_WS  4000u

struct obj {
    uint32_t addr;
    int cache; /* -1: kmalloc */
};

/* One step of the area workload: replace a random live area. */
static void area_step(struct sys *s, uint32_t *areas, struct frag *f)
{
    uint32_t j = below(AREA_WS);
    if (areas[j])
        must(vmsim_vfree(s->k, areas[j]), "vfree");
    areas[j] = 0;
    if (vmsim_vmalloc(s->k, area_pages() * 4096, VMSIM_VM_DEMAND, &areas[j]) != VMSIM_OK)
        f->failures++;
}

static void obj_free(struct sys *s, struct obj *o, vmsim_kmem_cache_t **caches)
{
    if (o->addr && o->cache < 0)
        must(vmsim_kfree(s->k, o->addr), "kfree");
    else if (o->addr)
        must(vmsim_kmem_cache_free(s->k, caches[o->cache], o->addr), "cache free");
    o->addr = 0;
}

static void obj_step(struct sys *s, struct obj *objs, vmsim_kmem_cache_t **caches)
{
    struct obj *o = &objs[below(OBJ_WS)];
    obj_free(s, o, caches);
    o->cache = below(4) == 0 ? (int)below(3) : -1;
    if (o->cache < 0)
        must(vmsim_kmalloc(s->k, small_size(), &o->addr), "kmalloc");
    else
        must(vmsim_kmem_cache_alloc(s->k, caches[o->cache], &o->addr), "cache alloc");
}

static struct frag fragmentation(vmsim_area_fit_t fit, uint32_t steps, uint64_t seed)
{
    static const uint32_t sizes[3] = {40, 200, 700};
    static const char *const cache_names[3] = {"small", "medium", "large"};
    struct sys s;
    struct frag f;
    vmsim_kmem_cache_t *caches[3];
    memset(&f, 0, sizeof f);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    boot(&s);
    must(vmsim_area_set_fit(s.k, fit), "fit");
    for (int i = 0; i < 3; i++)
        must(vmsim_kmem_cache_create(s.k, cache_names[i], sizes[i], 0, &caches[i]), "cache");
    uint32_t *areas = calloc(AREA_WS, sizeof *areas);
    struct obj *objs = calloc(OBJ_WS, sizeof *objs);
    for (uint32_t i = 0; i < steps; i++) {
        area_step(&s, areas, &f);
        obj_step(&s, objs, caches);
        if (i >= steps / 4 && i % 100 == 0)
            sample(&s, &f);
    }
    for (uint32_t i = 0; i < AREA_WS; i++)
        if (areas[i])
            must(vmsim_vfree(s.k, areas[i]), "vfree");
    for (uint32_t i = 0; i < OBJ_WS; i++)
        obj_free(&s, &objs[i], caches);
    free(areas);
    free(objs);
    halt(&s);
    return f;
}

static void fragmentation_table(int quick, uint64_t seed)
{
    static const char *const names[] = {"first", "next", "best"};
    uint32_t steps = quick ? 10000 : 60000;
    printf("\nfragmentation, mixed workload: %u steps, areas ws %u (1..512 pages, on demand), "
           "objects ws %u (8..2048 B + 3 caches), seed %llu; averages of samples\n",
           steps, AREA_WS, OBJ_WS, (unsigned long long)seed);
    printf("%-6s %9s %11s %13s %9s | %10s %9s %11s\n", "fit", "ext frag", "free areas",
           "largest MiB", "failures", "slab pages", "int frag", "utilization");
    for (int fit = VMSIM_FIT_FIRST; fit <= VMSIM_FIT_BEST; fit++) {
        struct frag f = fragmentation((vmsim_area_fit_t)fit, steps, seed);
        double n = f.samples ? f.samples : 1;
        printf("%-6s %9.3f %11.1f %13.1f %9u | %10.0f %9.3f %11.3f\n", names[fit], f.ext / n,
               f.n_free / n, f.largest_mib / n, f.failures, f.slab_pages / n, f.int_frag / n,
               f.util / n);
    }
}

int main(int argc, char **argv)
{
    int quick = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else {
            fprintf(stderr, "usage: bench_kmem [--quick] [--seed N]\n");
            return 2;
        }
    }
    printf("libvmsim %s: kernel allocators on a %llu MiB machine%s\n\n", vmsim_version(),
           (unsigned long long)(RAM_BYTES >> 20), quick ? " (quick)" : "");
    speed(quick);
    fragmentation_table(quick, seed);
    return 0;
}
