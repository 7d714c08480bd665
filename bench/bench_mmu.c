/*
 * bench_mmu.c - what an access through libvmsim costs, next to a plain
 * host load of the same word.
 *
 * Every row of the table runs one access pattern three times:
 *
 *     native    sum += host[x]                      a host array, no MMU
 *     fast on   vmsim_read32(m, USER, BASE + 4x)    the fast cache in front
 *                                                   of the modelled TLB
 *     fast off  the same, config.fast_path = false  the previous design:
 *                                                   modelled TLB lookup only
 *
 * with the same word-index sequence x, generated inline by the loop in
 * all three (so the index arithmetic costs the same everywhere):
 *
 *     seq    x = (x + 1) & mask                       4-byte stride
 *     scat   x = (x * 1664525 + 1013904223) & mask    an LCG of full period:
 *                                                     every word once per
 *                                                     period, pages in
 *                                                     scattered order
 *     page   x = (x + 1025) & mask                    a new page every access
 *
 * over 1 .. 4096 pages of 4 KiB mapped by 32-bit (or PAE) page tables
 * with A and D already set, so that a steady-state walk writes nothing.
 * The native loop sums into a local that is stored to a volatile sink at
 * the end; every emulated access's status is checked, as a caller must.
 * Each measurement is warmed up, then timed best-of-`reps` with
 * CLOCK_MONOTONIC.  The statistics of the two machines (fast on, off) are
 * compared after every row: they must be identical, and so must RAM.
 *
 * Other modes:
 *   --count-hit N / --count-miss N / --count-walk N / --count-write N /
 *   --count-native N   do N accesses of one kind, for callgrind
 *                      (bench/callgrind.sh differences two values of N);
 *   --verify           random operations on two machines, fast path on
 *                      and off, compared after every step.
 */
#include <vmsim/vmsim.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BASE_VA 0x40000000u  /* linear base of the benchmark's pages */
#define MAX_PAGES 4096u
#define TABLES_PA 0x1000u    /* PD (32-bit) or PDPT + PD (PAE), then page tables */
#define FRAMES_PA 0x100000u  /* the data frames, contiguous */
#define RAM_BYTES (FRAMES_PA + MAX_PAGES * VMSIM_PAGE_SIZE)

enum op { OP_READ, OP_WRITE };
enum pattern { PAT_SEQ, PAT_SCAT, PAT_PAGE };
static const char *const pattern_names[] = {"seq", "scat", "page"};

static volatile uint32_t sink;
static uint64_t n_errors; /* emulated accesses that did not return VMSIM_OK */

/* ---- machines ------------------------------------------------------------ */

static int bus32(vmsim_machine_t *m, uint64_t pa, uint32_t v) { return vmsim_bus_write32(m, pa, v); }
static int bus64(vmsim_machine_t *m, uint64_t pa, uint64_t v) { return vmsim_bus_write64(m, pa, v); }

/* Map n_pages pages at BASE_VA to consecutive frames at FRAMES_PA and
 * turn paging on.  Entries are user, writable, accessed and dirty. */
static int map_pages(vmsim_machine_t *m, bool pae, unsigned n_pages)
{
    const uint32_t leaf = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A | VMSIM_PTE_D;
    const uint32_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A;
    int rc = 0;
    if (!pae) { /* PD at TABLES_PA, page tables after it */
        uint32_t pt = TABLES_PA + VMSIM_PAGE_SIZE;
        for (unsigned i = 0; i < n_pages; i++)
            rc |= bus32(m, pt + 4ull * i, (FRAMES_PA + i * VMSIM_PAGE_SIZE) | leaf);
        for (unsigned t = 0; t * 1024 < n_pages; t++)
            rc |= bus32(m, TABLES_PA + 4 * ((BASE_VA >> 22) + t), (pt + t * VMSIM_PAGE_SIZE) | dir);
    } else { /* PDPT at TABLES_PA, one PD after it, page tables after that */
        uint32_t pd = TABLES_PA + VMSIM_PAGE_SIZE, pt = pd + VMSIM_PAGE_SIZE;
        for (unsigned i = 0; i < n_pages; i++)
            rc |= bus64(m, pt + 8ull * i, (FRAMES_PA + i * VMSIM_PAGE_SIZE) | leaf);
        for (unsigned t = 0; t * 512 < n_pages; t++)
            rc |= bus64(m, pd + 8ull * (((BASE_VA >> 21) & 511) + t), (pt + t * VMSIM_PAGE_SIZE) | dir);
        rc |= bus64(m, TABLES_PA + 8 * (BASE_VA >> 30), pd | VMSIM_PTE_P);
        rc |= vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    }
    rc |= vmsim_write_reg(m, VMSIM_REG_CR3, TABLES_PA);
    rc |= vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
    return rc;
}

static vmsim_machine_t *make_machine(vmsim_tlb_config_t tlb, bool pae, bool fast, unsigned n_pages)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM_BYTES;
    cfg.dtlb = tlb;
    cfg.fast_path = fast;
    /* Write every frame, as the native loop's array is written: an
     * untouched page would be the host's shared zero page. */
    if (vmsim_create(&cfg, &m) || map_pages(m, pae, n_pages) ||
        vmsim_bus_fill(m, FRAMES_PA, 0x5a, (size_t)n_pages * VMSIM_PAGE_SIZE)) {
        fprintf(stderr, "bench_mmu: cannot set up the machine\n");
        exit(2);
    }
    return m;
}

/* ---- the loops ------------------------------------------------------------
 * One function per (op, target), the pattern chosen outside the loop so
 * each inner loop is the plain form of its pattern. */

#define STEP_SEQ(x, mask) (((x) + 1u) & (mask))
#define STEP_SCAT(x, mask) (((x) * 1664525u + 1013904223u) & (mask))
#define STEP_PAGE(x, mask) (((x) + 1025u) & (mask))

#define FOR_PATTERN(pat, x, mask, n, body)                                                     \
    do {                                                                                       \
        if ((pat) == PAT_SEQ) {                                                                \
            for (uint64_t i_ = 0; i_ < (n); i_++) { (x) = STEP_SEQ(x, mask); body; }           \
        } else if ((pat) == PAT_SCAT) {                                                        \
            for (uint64_t i_ = 0; i_ < (n); i_++) { (x) = STEP_SCAT(x, mask); body; }          \
        } else {                                                                               \
            for (uint64_t i_ = 0; i_ < (n); i_++) { (x) = STEP_PAGE(x, mask); body; }          \
        }                                                                                      \
    } while (0)

__attribute__((noinline)) static uint32_t api_read(vmsim_machine_t *m, enum pattern pat,
                                                   uint32_t mask, uint64_t n)
{
    uint32_t x = 0, sum = 0, bad = 0, v = 0;
    FOR_PATTERN(pat, x, mask, n, {
        if (vmsim_read32(m, VMSIM_USER, BASE_VA + 4 * x, &v) != VMSIM_OK)
            bad++;
        sum += v;
    });
    n_errors += bad;
    return sum;
}

__attribute__((noinline)) static uint32_t api_write(vmsim_machine_t *m, enum pattern pat,
                                                    uint32_t mask, uint64_t n)
{
    uint32_t x = 0, bad = 0;
    FOR_PATTERN(pat, x, mask, n, {
        if (vmsim_write32(m, VMSIM_USER, BASE_VA + 4 * x, x) != VMSIM_OK)
            bad++;
    });
    n_errors += bad;
    return x;
}

__attribute__((noinline)) static uint32_t native_read(uint32_t *host, enum pattern pat,
                                                      uint32_t mask, uint64_t n)
{
    uint32_t x = 0, sum = 0;
    FOR_PATTERN(pat, x, mask, n, { sum += host[x]; });
    return sum;
}

__attribute__((noinline)) static uint32_t native_write(uint32_t *host, enum pattern pat,
                                                       uint32_t mask, uint64_t n)
{
    uint32_t x = 0;
    FOR_PATTERN(pat, x, mask, n, { host[x] = x; });
    return x;
}

/* One thing to time: a machine (or the native array when m is NULL). */
struct target {
    vmsim_machine_t *m;
    uint32_t *host;
    enum op op;
    enum pattern pat;
    uint32_t mask;
};

static uint32_t run(const struct target *t, uint64_t n)
{
    if (t->m)
        return t->op == OP_READ ? api_read(t->m, t->pat, t->mask, n)
                                : api_write(t->m, t->pat, t->mask, n);
    return t->op == OP_READ ? native_read(t->host, t->pat, t->mask, n)
                            : native_write(t->host, t->pat, t->mask, n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double time_run(const struct target *t, uint64_t n)
{
    double t0 = now_ns();
    sink += run(t, n);
    return now_ns() - t0;
}

/* Time the targets against each other: warm each up with n accesses
 * and zero its machine's statistics, then `reps` rounds in which every
 * target runs n accesses in turn, so that all of them see the machine
 * in the same moods; the best round of each, in ns per access. */
static void measure(const struct target *t, size_t n_targets, uint64_t n, int reps, double *ns)
{
    for (size_t i = 0; i < n_targets; i++) {
        sink += run(&t[i], n);
        if (t[i].m)
            vmsim_reset_stats(t[i].m);
        ns[i] = 1e300;
    }
    for (int r = 0; r < reps; r++) {
        for (size_t i = 0; i < n_targets; i++) {
            double dt = time_run(&t[i], n);
            if (dt < ns[i])
                ns[i] = dt;
        }
    }
    for (size_t i = 0; i < n_targets; i++)
        ns[i] /= (double)n;
}

/* ---- the table ------------------------------------------------------------ */

struct row {
    const char *what;     /* "hit", "write", "miss", "walk", "policy" */
    enum op op;
    enum pattern pat;
    unsigned pages;
    vmsim_tlb_config_t tlb;
    bool pae;
    unsigned n_div;       /* fewer accesses for slow rows */
    /* results */
    double ns_native, ns_on, ns_off;
    double hit_rate;      /* TLB hits per lookup, -1 without TLB */
    double walks;         /* walks per access */
    bool same;            /* statistics and RAM identical, fast on vs off */
};

static bool same_state(vmsim_machine_t *a, vmsim_machine_t *b)
{
    static uint8_t ra[1 << 16], rb[1 << 16];
    for (vmsim_bank_t k = 0; k < VMSIM_BANK_COUNT; k++) {
        vmsim_stats_t sa, sb;
        vmsim_get_stats(a, k, &sa);
        vmsim_get_stats(b, k, &sb);
        if (memcmp(&sa, &sb, sizeof sa))
            return false;
    }
    for (uint64_t pa = 0; pa < RAM_BYTES; pa += sizeof ra) {
        vmsim_bus_read(a, pa, ra, sizeof ra);
        vmsim_bus_read(b, pa, rb, sizeof rb);
        if (memcmp(ra, rb, sizeof ra))
            return false;
    }
    return true;
}

static void run_row(struct row *r, uint32_t *host, uint64_t n, int reps)
{
    uint32_t mask = r->pages * 1024u - 1;
    vmsim_machine_t *on = make_machine(r->tlb, r->pae, true, r->pages);
    vmsim_machine_t *off = make_machine(r->tlb, r->pae, false, r->pages);
    struct target t[3] = {{NULL, host, r->op, r->pat, mask},
                          {on, NULL, r->op, r->pat, mask},
                          {off, NULL, r->op, r->pat, mask}};
    double ns[3];
    n /= r->n_div;
    measure(t, 3, n, reps, ns);
    r->ns_native = ns[0];
    r->ns_on = ns[1];
    r->ns_off = ns[2];

    vmsim_stats_t st;
    vmsim_get_stats(on, VMSIM_BANK_PROGRAM, &st);
    r->hit_rate = st.dtlb.lookups ? (double)st.dtlb.hits / (double)st.dtlb.lookups : -1;
    r->walks = (double)st.walks / (double)(n * (uint64_t)reps);
    r->same = same_state(on, off);
    vmsim_destroy(on);
    vmsim_destroy(off);
}

static char *tlb_text(const vmsim_tlb_config_t *c, char *buf, size_t len)
{
    if (!c->entries)
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%ux%u %s", c->entries, c->ways, vmsim_tlb_policy_name(c->policy));
    return buf;
}

static void cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    snprintf(buf, len, "unknown CPU");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(buf, len, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = 0;
            break;
        }
    }
    if (f)
        fclose(f);
}

static void print_table(const struct row *rows, size_t n_rows)
{
    char tlb[32];
    printf("%-7s %-5s %-4s %5s %-13s %6s %6s %8s %8s %7s %8s %7s %7s %s\n", "what", "op", "pat",
           "pages", "tlb", "hit%", "walks", "native", "fast-on", "x nat", "fast-off", "x nat",
           "off/on", "same");
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        char hit[16];
        if (r->hit_rate < 0)
            snprintf(hit, sizeof hit, "-");
        else
            snprintf(hit, sizeof hit, "%.1f", 100 * r->hit_rate);
        printf("%-7s %-5s %-4s %5u %-13s %6s %6.3f %8.2f %8.2f %7.1f %8.2f %7.1f %7.2f %s\n",
               r->what, r->op == OP_READ ? "read" : "write", pattern_names[r->pat], r->pages,
               tlb_text(&r->tlb, tlb, sizeof tlb), hit, r->walks, r->ns_native, r->ns_on,
               r->ns_on / r->ns_native, r->ns_off, r->ns_off / r->ns_native, r->ns_off / r->ns_on,
               r->same ? "yes" : "NO");
    }
}

static int write_csv(const char *path, const struct row *rows, size_t n_rows)
{
    FILE *f = fopen(path, "w");
    char tlb[32];
    if (!f)
        return -1;
    fprintf(f, "what,op,pattern,pages,tlb,paging,hit_rate,walks_per_access,ns_native,ns_fast_on,"
               "ns_fast_off,on_vs_native,off_vs_native,off_vs_on,same_state\n");
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        fprintf(f, "%s,%s,%s,%u,%s,%s,%.6f,%.6f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d\n", r->what,
                r->op == OP_READ ? "read" : "write", pattern_names[r->pat], r->pages,
                tlb_text(&r->tlb, tlb, sizeof tlb), r->pae ? "pae" : "32bit", r->hit_rate,
                r->walks, r->ns_native, r->ns_on, r->ns_off, r->ns_on / r->ns_native,
                r->ns_off / r->ns_native, r->ns_off / r->ns_on, r->same);
    }
    return fclose(f);
}

static int write_json(const char *path, const char *cpu, const struct row *rows, size_t n_rows)
{
    FILE *f = fopen(path, "w");
    char tlb[32];
    if (!f)
        return -1;
    fprintf(f, "{\n  \"benchmark\": \"bench_mmu\",\n  \"vmsim\": \"%s\",\n  \"cpu\": \"%s\",\n"
               "  \"rows\": [\n", vmsim_version(), cpu);
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        fprintf(f, "    {\"what\": \"%s\", \"op\": \"%s\", \"pattern\": \"%s\", \"pages\": %u, "
                   "\"tlb\": \"%s\", \"paging\": \"%s\", \"hit_rate\": %.6f, "
                   "\"walks_per_access\": %.6f, \"ns_native\": %.3f, \"ns_fast_on\": %.3f, "
                   "\"ns_fast_off\": %.3f, \"same_state\": %s}%s\n",
                r->what, r->op == OP_READ ? "read" : "write", pattern_names[r->pat], r->pages,
                tlb_text(&r->tlb, tlb, sizeof tlb), r->pae ? "pae" : "32bit", r->hit_rate,
                r->walks, r->ns_native, r->ns_on, r->ns_off, r->same ? "true" : "false",
                i + 1 < n_rows ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f);
}

static struct row mkrow(const char *what, enum op op, enum pattern pat, unsigned pages,
                        vmsim_tlb_config_t tlb, bool pae, unsigned n_div)
{
    struct row r = {.what = what, .op = op, .pat = pat, .pages = pages, .tlb = tlb, .pae = pae,
                    .n_div = n_div};
    return r;
}

/* The rows: hits over 1..4096 pages (a 4096-entry 4-way TLB holds them
 * all), writes, misses that walk, and the policies side by side. */
static size_t make_rows(struct row *rows)
{
    static const unsigned pages[] = {1, 4, 16, 64, 256, 1024, 4096};
    const vmsim_tlb_config_t big = vmsim_tlb_config(4096, 4, VMSIM_TLB_LRU);
    const vmsim_tlb_config_t dflt = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    const vmsim_tlb_config_t none = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    size_t n = 0;
    for (int pat = PAT_SEQ; pat <= PAT_SCAT; pat++)
        for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
            rows[n++] = mkrow("hit", OP_READ, pat, pages[i], big, false, 1);
    for (int pat = PAT_SEQ; pat <= PAT_SCAT; pat++)
        for (size_t i = 0; i < sizeof pages / sizeof *pages; i += 3)
            rows[n++] = mkrow("hit", OP_WRITE, pat, pages[i], big, false, 1);
    for (vmsim_tlb_policy_t p = 0; p < VMSIM_TLB_POLICY_COUNT; p++)
        rows[n++] = mkrow("policy", OP_READ, PAT_SCAT, 64, vmsim_tlb_config(64, 4, p),
                                 false, 1);
    rows[n++] = mkrow("miss", OP_READ, PAT_SCAT, 4096, dflt, false, 2);
    rows[n++] = mkrow("miss", OP_READ, PAT_PAGE, 4096, dflt, false, 2);
    rows[n++] = mkrow("miss", OP_READ, PAT_PAGE, 4096, dflt, true, 2);
    rows[n++] = mkrow("miss", OP_WRITE, PAT_PAGE, 4096, dflt, false, 2);
    rows[n++] = mkrow("walk", OP_READ, PAT_SCAT, 64, none, false, 2);
    rows[n++] = mkrow("walk", OP_READ, PAT_PAGE, 4096, none, false, 2);
    return n;
}

static int bench_table(bool quick, const char *csv, const char *json)
{
    struct row rows[64];
    size_t n_rows = make_rows(rows);
    uint64_t n = quick ? 1u << 14 : 1u << 17; /* short runs: fewer of them preempted */
    int reps = quick ? 2 : 41;
    char cpu[128];
    uint32_t *host = malloc((size_t)MAX_PAGES * VMSIM_PAGE_SIZE);
    if (!host)
        return 2;
    memset(host, 0x5a, (size_t)MAX_PAGES * VMSIM_PAGE_SIZE);
    cpu_model(cpu, sizeof cpu);
    printf("bench_mmu: libvmsim %s, %s, %" PRIu64 " accesses x best of %d%s\n", vmsim_version(), cpu,
           n, reps, quick ? " (quick)" : "");
    printf("ns per 4-byte access; x nat = ratio to the native loop; off/on = fast path off "
           "(previous design) / on\n\n");
    for (size_t i = 0; i < n_rows; i++) {
        run_row(&rows[i], host, n, reps);
        if (isatty(2))
            fprintf(stderr, "\r%zu/%zu rows", i + 1, n_rows);
    }
    if (isatty(2))
        fprintf(stderr, "\r");
    print_table(rows, n_rows);
    free(host);
    bool all_same = true;
    for (size_t i = 0; i < n_rows; i++)
        all_same = all_same && rows[i].same;
    if ((csv && write_csv(csv, rows, n_rows)) || (json && write_json(json, cpu, rows, n_rows))) {
        fprintf(stderr, "bench_mmu: cannot write the results file\n");
        return 2;
    }
    if (n_errors || !all_same) {
        fprintf(stderr, "bench_mmu: %" PRIu64 " failed accesses, state %s\n", n_errors,
                all_same ? "identical" : "DIFFERS between fast path on and off");
        return 1;
    }
    return 0;
}

/* ---- counting modes, for callgrind ------------------------------------------ */

/* N accesses of one kind after a warm-up of the same pattern. */
static int count_mode(const char *what, uint64_t n, bool fast)
{
    const vmsim_tlb_config_t dflt = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    const vmsim_tlb_config_t none = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    struct target t = {NULL, NULL, OP_READ, PAT_SCAT, 16 * 1024 - 1};
    unsigned pages = 16;
    if (!strcmp(what, "miss") || !strcmp(what, "walk")) {
        pages = MAX_PAGES;
        t.pat = PAT_PAGE;
        t.mask = MAX_PAGES * 1024 - 1;
    }
    if (!strcmp(what, "write"))
        t.op = OP_WRITE;
    if (!strcmp(what, "native")) {
        t.host = malloc((size_t)pages * VMSIM_PAGE_SIZE);
        if (!t.host)
            return 2;
        memset(t.host, 0x5a, (size_t)pages * VMSIM_PAGE_SIZE);
    } else {
        t.m = make_machine(!strcmp(what, "walk") ? none : dflt, false, fast, pages);
    }
    sink += run(&t, 2 * (uint64_t)pages); /* every page, twice: tables, TLB, fast cache warm */
    sink += run(&t, n);
    if (t.m) {
        vmsim_stats_t st;
        vmsim_get_stats(t.m, VMSIM_BANK_PROGRAM, &st);
        printf("%s x %" PRIu64 ": dtlb hits %" PRIu64 " misses %" PRIu64 " walks %" PRIu64
               " walk reads %" PRIu64 "\n", what, n, st.dtlb.hits, st.dtlb.misses, st.walks,
               st.walk_reads);
        vmsim_destroy(t.m);
    }
    free(t.host);
    return n_errors ? 1 : 0;
}

/* ---- differential check: fast path on vs off ---------------------------------
 * Two machines with the same configuration, one with the fast path and
 * one without, get the same random operations: typed loads, stores and
 * fetches of every size (page-crossing ones too), vmsim_access() and
 * byte ranges, page-table edits through the bus (which leave stale TLB
 * entries, as on hardware), INVLPG, CR3 reloads, CR0.WP / CR4 / EFER.NXE
 * / AC changes, statistics banks, a fault handler that maps pages and
 * reads memory itself, and a translation observer.  Every result is
 * compared at once; statistics, TLB entries and RAM every 256 steps. */

#define V_RAM (2u << 20)
#define V_HOT 96

struct vcase {
    const char *name;
    bool split, pae;
    vmsim_tlb_config_t dtlb, itlb;
};

struct vworld {
    vmsim_machine_t *m[2]; /* [0] fast path on, [1] off */
    bool pae;
    uint32_t rng;
    uint32_t hot[V_HOT];   /* linear pages the accesses go to */
    uint64_t n_observed[2];
};

static uint32_t vrand(struct vworld *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 17;
    w->rng ^= w->rng << 5;
    return w->rng;
}

static bool chance(struct vworld *w, unsigned percent) { return vrand(w) % 100 < percent; }

/* The physical address of the PTE (or, for a large or unmapped slot,
 * the PDE) that maps `va`. */
static uint32_t entry_addr(const struct vworld *w, uint32_t va)
{
    if (!w->pae)
        return (va >> 22) < 4 ? 0x2000 + (va >> 22) * 4096 + ((va >> 12) & 1023) * 4
                              : 0x1000 + (va >> 22) * 4;
    if (va >> 30) /* the PDPTE in RAM: it counts from the next CR3 load */
        return 0x1000 + (va >> 30) * 8;
    return (va >> 21) < 8 ? 0x3000 + (va >> 21) * 4096 + ((va >> 12) & 511) * 8
                          : 0x2000 + (va >> 21) * 8;
}

static uint64_t random_leaf(struct vworld *w)
{
    uint64_t e = chance(w, 95) ? (16 + vrand(w) % 496) * 4096ull : (600 + vrand(w) % 100) * 4096ull;
    e |= chance(w, 90) ? VMSIM_PTE_P : 0;
    e |= chance(w, 70) ? VMSIM_PTE_RW : 0;
    e |= chance(w, 70) ? VMSIM_PTE_US : 0;
    e |= chance(w, 50) ? VMSIM_PTE_A : 0;
    e |= chance(w, 50) ? VMSIM_PTE_D : 0;
    e |= chance(w, 15) ? VMSIM_PTE_G : 0;
    if (w->pae) {
        e |= chance(w, 20) ? VMSIM_PTE_XD : 0;
        e |= chance(w, 2) ? 1ull << 51 : 0; /* reserved with maxphyaddr 40 */
    }
    return e;
}

static void put_entry(struct vworld *w, uint32_t pa, uint64_t e)
{
    for (int k = 0; k < 2; k++) {
        if (w->pae)
            vmsim_bus_write64(w->m[k], pa, e);
        else
            vmsim_bus_write32(w->m[k], pa, (uint32_t)e);
    }
}

static uint64_t get_entry(const struct vworld *w, int k, uint32_t pa)
{
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    if (w->pae)
        vmsim_bus_read64(w->m[k], pa, &v64);
    else
        vmsim_bus_read32(w->m[k], pa, &v32);
    return w->pae ? v64 : v32;
}

/* Tables: 32-bit, PD slots 0-3 -> page tables, slot 4 a 4 MiB page at
 * 0 (over the tables themselves), slot 5 absent; PAE, PDPTE 0 -> a PD
 * whose slots 0-7 -> page tables, slot 8 a 2 MiB page at 0. */
static void build_tables(struct vworld *w)
{
    const uint64_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US;
    unsigned n_tables = w->pae ? 8 : 4, per_table = w->pae ? 512 : 1024;
    uint32_t pd = w->pae ? 0x2000 : 0x1000, pt = w->pae ? 0x3000 : 0x2000;
    if (w->pae)
        put_entry(w, 0x1000, pd | VMSIM_PTE_P);
    for (unsigned t = 0; t < n_tables; t++) {
        uint64_t a = chance(w, 50) ? VMSIM_PTE_A : 0, rights = chance(w, 85) ? dir : VMSIM_PTE_P;
        put_entry(w, pd + t * (w->pae ? 8 : 4), (pt + t * 4096) | rights | a);
        for (unsigned i = 0; i < per_table; i++)
            put_entry(w, pt + t * 4096 + i * (w->pae ? 8 : 4), random_leaf(w));
    }
    put_entry(w, pd + n_tables * (w->pae ? 8 : 4), dir | VMSIM_PTE_PS | VMSIM_PTE_A);
    /* Frame 0 (the large page's first) and the data frames hold entries
     * that look present, so that a walk gone wrong -- a large PDE taken
     * for a table pointer, an absent PDPTE read as a table -- finds
     * mappings there instead of stopping at P = 0. */
    for (uint32_t pa = 0; pa < V_RAM; pa += w->pae ? 8 : 4)
        if (pa < 0x1000 || pa >= 0x10000)
            put_entry(w, pa, random_leaf(w) | VMSIM_PTE_A);
    /* Pages of the tables, the large page and the absent slot; every
     * fourth one 1024, 2048 or 4096 pages from the one before, so that
     * they share a slot of any direct-mapped fast cache of that size;
     * a few at 1 GiB, behind an absent PDE or PDPTE. */
    uint32_t span = (n_tables + 2) * per_table;
    for (unsigned i = 0; i < V_HOT; i++) {
        uint32_t page = vrand(w) % span;
        if (i % 4 == 3)
            page = ((w->hot[i - 1] >> 12) + (1024u << vrand(w) % 3)) % span;
        if (i % 16 == 14) /* beyond the tables: a PDPTE (PAE) or PDE not present */
            page = 0x40000 + vrand(w) % 0x40000;
        w->hot[i] = page << 12;
    }
}

static vmsim_fault_action_t v_handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    struct vworld *w = user;
    int k = m == w->m[0] ? 0 : 1;
    uint32_t pa = entry_addr(w, f->cr2), v;
    vmsim_bank_t prev;
    if (f->reason != VMSIM_WHY_NOT_PRESENT)
        return VMSIM_FAULT_UNHANDLED;
    uint64_t e = get_entry(w, k, pa) | VMSIM_PTE_P;
    if (w->pae)
        vmsim_bus_write64(m, pa, e);
    else
        vmsim_bus_write32(m, pa, (uint32_t)e);
    vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, &prev); /* the kernel's own accesses */
    vmsim_read32(m, VMSIM_SUPERVISOR, w->hot[f->cr2 % V_HOT] + 8, &v);
    vmsim_write16(m, VMSIM_SUPERVISOR, w->hot[(f->cr2 >> 12) % V_HOT] + 2, (uint16_t)f->cr2);
    vmsim_set_stats_bank(m, prev, NULL);
    return VMSIM_FAULT_RETRY;
}

static void v_observer(void *user, const vmsim_translation_t *t)
{
    uint64_t *n = user;
    *n += 1 + t->tlb_hit;
}

/* One typed accessor call; kind 0-3 loads, 4-7 stores, 8 a fetch. */
static vmsim_status_t typed(vmsim_machine_t *m, unsigned kind, vmsim_mode_t mode, uint32_t va,
                            uint64_t value, uint64_t *out)
{
    uint8_t b = 0;
    uint16_t h = 0;
    uint32_t x = 0;
    uint64_t q = 0;
    vmsim_status_t rc;
    switch (kind) {
    case 0: rc = vmsim_read8(m, mode, va, &b); break;
    case 1: rc = vmsim_read16(m, mode, va, &h); break;
    case 2: rc = vmsim_read32(m, mode, va, value == 7 ? NULL : &x); break;
    case 3: rc = vmsim_read64(m, mode, va, &q); break;
    case 4: return vmsim_write8(m, mode, va, (uint8_t)value);
    case 5: return vmsim_write16(m, mode, va, (uint16_t)value);
    case 6: return vmsim_write32(m, mode, va, (uint32_t)value);
    case 7: return vmsim_write64(m, mode, va, value);
    default: rc = vmsim_fetch32(m, mode, va, &x); break;
    }
    *out = b | (uint64_t)h | x | q;
    return rc;
}

static uint32_t hot_address(struct vworld *w)
{
    uint32_t page = w->hot[vrand(w) % V_HOT];
    uint32_t off = chance(w, 10) ? 4096 - 1 - vrand(w) % 8 : vrand(w) & 0xfff;
    return page + off;
}

/* An access of some kind through both machines; false when they differ. */
static bool step_access(struct vworld *w)
{
    uint32_t va = hot_address(w), r = vrand(w);
    vmsim_mode_t mode = chance(w, 1) ? (vmsim_mode_t)2 : (vmsim_mode_t)(r & 1);
    uint64_t out[2] = {0, 0}, value = ((uint64_t)vrand(w) << 32) | vrand(w);
    vmsim_status_t rc[2];
    if (chance(w, 85)) {
        unsigned kind = (r >> 1) % 9;
        for (int k = 0; k < 2; k++)
            rc[k] = typed(w->m[k], kind, mode, va, value % 64, &out[k]);
        return rc[0] == rc[1] && out[0] == out[1];
    }
    if (chance(w, 70)) {
        vmsim_access_t acc = (vmsim_access_t)((r >> 1) % 3);
        unsigned size = 1u << ((r >> 3) % 4);
        vmsim_result_t res[2];
        for (int k = 0; k < 2; k++) {
            uint64_t buf = value;
            rc[k] = vmsim_access(w->m[k], acc, mode, va, &buf, size, &res[k]);
            out[k] = buf;
        }
        return rc[0] == rc[1] && out[0] == out[1] && res[0].paddr == res[1].paddr &&
               res[0].bus_addr == res[1].bus_addr &&
               !memcmp(&res[0].fault, &res[1].fault, sizeof res[0].fault);
    }
    static uint8_t buf[2][9000];
    size_t len = vrand(w) % 9000, done[2];
    for (int k = 0; k < 2; k++) {
        memset(buf[k], (int)value, len);
        rc[k] = r & 2 ? vmsim_write_bytes(w->m[k], mode, va, buf[k], len, &done[k])
                      : vmsim_read_bytes(w->m[k], mode, va, buf[k], len, &done[k]);
    }
    return rc[0] == rc[1] && done[0] == done[1] && !memcmp(buf[0], buf[1], len);
}

static void both_reg(struct vworld *w, vmsim_reg_t reg, uint64_t flip)
{
    for (int k = 0; k < 2; k++) {
        uint64_t v;
        vmsim_read_reg(w->m[k], reg, &v);
        vmsim_write_reg(w->m[k], reg, v ^ flip);
    }
}

/* Anything but an access, the same on both machines. */
static void step_other(struct vworld *w)
{
    uint32_t r = vrand(w) % 100, va = hot_address(w);
    static const uint64_t bits[] = {VMSIM_PTE_P, VMSIM_PTE_RW, VMSIM_PTE_US, VMSIM_PTE_A,
                                    VMSIM_PTE_D, VMSIM_PTE_G, VMSIM_PTE_XD};
    if (r < 40) { /* edit an entry behind the TLB's back */
        uint32_t pa = entry_addr(w, va);
        put_entry(w, pa, get_entry(w, 0, pa) ^ bits[vrand(w) % (w->pae ? 7 : 6)]);
        return;
    }
    for (int k = 0; k < 2 && r >= 85; k++) {
        vmsim_machine_t *m = w->m[k];
        if (r < 88)
            vmsim_set_stats_bank(m, (vmsim_bank_t)(va & 1), NULL);
        else if (r < 90)
            vmsim_set_ac(m, va & 2);
        else if (r < 93)
            vmsim_set_fault_handler(m, va & 4 ? v_handler : NULL, w);
        else if (r < 95)
            vmsim_set_translation_observer(m, va & 8 ? NULL : v_observer, &w->n_observed[k]);
        else if (r < 96)
            vmsim_reset_stats(m);
        else if (r < 97)
            vmsim_tlb_flush_all(m);
        else
            vmsim_invlpg(m, va);
    }
    if (r < 60)
        for (int k = 0; k < 2; k++)
            vmsim_invlpg(w->m[k], va);
    else if (r < 70)
        both_reg(w, VMSIM_REG_CR3, 0);
    else if (r < 74)
        both_reg(w, VMSIM_REG_CR0, VMSIM_CR0_WP);
    else if (r < 83) {
        static const uint64_t cr4[] = {VMSIM_CR4_SMAP, VMSIM_CR4_SMEP, VMSIM_CR4_PGE};
        both_reg(w, VMSIM_REG_CR4, cr4[vrand(w) % 3]);
    } else if (r < 85 && w->pae)
        both_reg(w, VMSIM_REG_EFER, VMSIM_EFER_NXE);
}

static bool same_tlbs(const struct vworld *w)
{
    for (vmsim_tlb_id_t id = VMSIM_DTLB; id <= VMSIM_ITLB; id++) {
        uint32_t n = vmsim_tlb_size(w->m[0], id);
        for (uint32_t i = 0; i < n; i++) {
            vmsim_tlb_entry_t a, b;
            vmsim_tlb_entry(w->m[0], id, i, &a);
            vmsim_tlb_entry(w->m[1], id, i, &b);
            if (a.valid != b.valid || a.vaddr != b.vaddr || a.paddr != b.paddr ||
                a.page_size != b.page_size || a.writable != b.writable || a.user != b.user ||
                a.executable != b.executable || a.dirty != b.dirty || a.global != b.global)
                return false;
        }
    }
    return true;
}

static bool same_everything(const struct vworld *w)
{
    static uint8_t ra[V_RAM], rb[V_RAM];
    vmsim_fault_t fa, fb;
    uint64_t cr2a, cr2b;
    vmsim_last_fault(w->m[0], &fa);
    vmsim_last_fault(w->m[1], &fb);
    vmsim_read_reg(w->m[0], VMSIM_REG_CR2, &cr2a);
    vmsim_read_reg(w->m[1], VMSIM_REG_CR2, &cr2b);
    vmsim_bus_read(w->m[0], 0, ra, V_RAM);
    vmsim_bus_read(w->m[1], 0, rb, V_RAM);
    for (vmsim_bank_t k = 0; k < VMSIM_BANK_COUNT; k++) {
        vmsim_stats_t sa, sb;
        vmsim_get_stats(w->m[0], k, &sa);
        vmsim_get_stats(w->m[1], k, &sb);
        if (memcmp(&sa, &sb, sizeof sa))
            return false;
    }
    return cr2a == cr2b && !memcmp(&fa, &fb, sizeof fa) && !memcmp(ra, rb, V_RAM) &&
           w->n_observed[0] == w->n_observed[1] && same_tlbs(w);
}

static int verify_case(const struct vcase *c, uint32_t seed, unsigned n_steps)
{
    struct vworld w = {.pae = c->pae, .rng = seed};
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = V_RAM;
    cfg.split_tlb = c->split;
    cfg.dtlb = c->dtlb;
    cfg.itlb = c->itlb;
    for (int k = 0; k < 2; k++) {
        cfg.fast_path = k == 0;
        if (vmsim_create(&cfg, &w.m[k]))
            return 2;
    }
    build_tables(&w);
    both_reg(&w, VMSIM_REG_CR4, c->pae ? VMSIM_CR4_PAE : VMSIM_CR4_PSE);
    if (c->pae)
        both_reg(&w, VMSIM_REG_EFER, VMSIM_EFER_NXE);
    both_reg(&w, VMSIM_REG_CR3, 0x1000);
    both_reg(&w, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
    int bad = 0;
    for (unsigned i = 0; i < n_steps && !bad; i++) {
        if (chance(&w, 95) ? !step_access(&w) : (step_other(&w), false))
            bad = printf("verify %s: step %u: an access differs\n", c->name, i);
        else if ((i % 256 == 255 || i + 1 == n_steps) && !same_everything(&w))
            bad = printf("verify %s: step %u: state differs\n", c->name, i);
    }
    vmsim_destroy(w.m[0]);
    vmsim_destroy(w.m[1]);
    return bad ? 1 : 0;
}

static int verify_fast_path(bool quick)
{
    const vmsim_tlb_config_t lru = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    const struct vcase cases[] = {
        {"64x4-lru", true, false, lru, vmsim_tlb_config(16, 4, VMSIM_TLB_FIFO)},
        {"16x2-fifo-unified", false, false, vmsim_tlb_config(16, 2, VMSIM_TLB_FIFO), lru},
        {"8x8-plru", true, false, vmsim_tlb_config(8, 8, VMSIM_TLB_PLRU),
         vmsim_tlb_config(4, 4, VMSIM_TLB_PLRU)},
        {"32x1-random", true, false, vmsim_tlb_config(32, 1, VMSIM_TLB_RANDOM),
         vmsim_tlb_config(8, 2, VMSIM_TLB_RANDOM)},
        {"no-tlb", true, false, vmsim_tlb_config(0, 1, VMSIM_TLB_LRU),
         vmsim_tlb_config(0, 1, VMSIM_TLB_LRU)},
        {"pae-64x4-plru", true, true, vmsim_tlb_config(64, 4, VMSIM_TLB_PLRU), lru},
        {"pae-4x4-lru-unified", false, true, vmsim_tlb_config(4, 4, VMSIM_TLB_LRU), lru},
        {"pae-128x8-fifo", true, true, vmsim_tlb_config(128, 8, VMSIM_TLB_FIFO),
         vmsim_tlb_config(0, 1, VMSIM_TLB_LRU)},
    };
    unsigned n_steps = quick ? 20000 : 300000, n_seeds = quick ? 1 : 3;
    int rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (uint32_t s = 1; s <= n_seeds; s++)
            rc |= verify_case(&cases[i], 0x9e3779b9u * s, n_steps);
    printf("verify: %zu configurations x %u seeds x %u steps, fast path on vs off: %s\n",
           sizeof cases / sizeof *cases, n_seeds, n_steps, rc ? "DIFFERENT" : "identical");
    return rc;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_mmu [--quick] [--csv FILE] [--json FILE]\n"
            "       bench_mmu --verify [--quick]\n"
            "       bench_mmu --count-{hit,miss,walk,write,native} N [--no-fast]\n");
}

int main(int argc, char **argv)
{
    bool quick = false, verify = false, fast = true;
    const char *csv = NULL, *json = NULL, *count = NULL;
    uint64_t count_n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quick"))
            quick = true;
        else if (!strcmp(a, "--verify"))
            verify = true;
        else if (!strcmp(a, "--no-fast"))
            fast = false;
        else if (!strcmp(a, "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(a, "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strncmp(a, "--count-", 8) && i + 1 < argc) {
            count = a + 8;
            count_n = strtoull(argv[++i], NULL, 0);
        } else {
            usage();
            return 2;
        }
    }
    if (verify)
        return verify_fast_path(quick);
    if (count)
        return count_mode(count, count_n, fast);
    return bench_table(quick, csv, json);
}
