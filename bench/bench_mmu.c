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
 * over 1 .. 4096 pages of 4 KiB mapped by 32-bit or PAE page tables
 * (or by 4 MiB / 2 MiB pages) with A and D already set, so that a
 * steady-state walk writes nothing.  The hit, miss and walk rows come in
 * pairs, 32-bit paging and then PAE paging with the same pattern (and a
 * 4 MiB-page row is followed by a 2 MiB-page one); twins are timed in
 * the same rounds, and a summary after the table sets each PAE row's
 * fast-path time next to its twin's.
 * The native loop sums into a local that is stored to a volatile sink at
 * the end; every emulated access's status is checked, as a caller must.
 * Each measurement is warmed up, then timed best-of-`reps` with
 * CLOCK_MONOTONIC, the loops of a row (or of a pair of twins) taking
 * turns in every round.  The statistics of the two machines (fast on, off) are
 * compared after every row: they must be identical, and so must RAM.
 *
 * Other modes:
 *   --count-hit N / --count-miss N / --count-walk N / --count-write N /
 *   --count-native N   do N accesses of one kind, for callgrind
 *                      (bench/callgrind.sh differences two values of N);
 *                      --paging 32-bit|pae|2m|4m picks the page tables
 *                      (default 32-bit; 2m and 4m only for hit and write);
 *   --verify           random operations on two machines, fast path on
 *                      and off, compared after every step (mmu_verify.c).
 */
#include <vmsim/vmsim.h>

#include "mmu_verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BASE_VA 0x40000000u  /* linear base of the benchmark's pages */
#define MAX_PAGES 4096u
#define TABLES_PA 0x1000u    /* PD (32-bit) or PDPT + PD (PAE), then page tables */
#define FRAMES_PA 0x400000u  /* the data frames, contiguous, 4 MiB aligned */
#define RAM_BYTES (FRAMES_PA + MAX_PAGES * VMSIM_PAGE_SIZE)

enum op { OP_READ, OP_WRITE };
/* 32-bit and PAE paging with 4 KiB pages; 32-bit paging with 4 MiB pages
 * (CR4.PSE); PAE paging with 2 MiB pages; IA-32e 4-level and 5-level
 * paging with 4 KiB pages (the counting modes only). */
enum paging { PG_32BIT, PG_PAE, PG_4M, PG_2M, PG_4LEVEL, PG_5LEVEL, PG_COUNT };
static const char *const paging_names[] = {"32-bit", "pae", "4m", "2m", "4level", "5level"};
enum pattern { PAT_SEQ, PAT_SCAT, PAT_PAGE };
static const char *const pattern_names[] = {"seq", "scat", "page"};

static volatile uint32_t sink;
static bool with_psc;  /* --psc: paging-structure caches (32 x 4-way per level) */
static bool with_stlb; /* --stlb: a second-level TLB (1536 x 12-way) */
static uint64_t n_errors; /* emulated accesses that did not return VMSIM_OK */

/* ---- machines ------------------------------------------------------------ */

static int bus32(vmsim_machine_t *m, uint64_t pa, uint32_t v) { return vmsim_bus_write32(m, pa, v); }
static int bus64(vmsim_machine_t *m, uint64_t pa, uint64_t v) { return vmsim_bus_write64(m, pa, v); }

/* Map n_pages pages at BASE_VA to consecutive frames at FRAMES_PA and
 * turn paging on.  Entries are user, writable, accessed and dirty. */
/* IA-32e paging: (PML5 ->) PML4 -> PDPT -> PD at TABLES_PA and the pages
 * after it, page tables after those; one path down to BASE_VA. */
static int map_pages_64(vmsim_machine_t *m, bool five, unsigned n_pages)
{
    const uint64_t leaf = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A | VMSIM_PTE_D;
    const uint64_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A;
    uint64_t table = TABLES_PA, va = BASE_VA;
    unsigned levels = five ? 5 : 4, pd_slot = (BASE_VA >> 21) & 511;
    int rc = 0;
    for (unsigned l = levels; l > 2; l--, table += VMSIM_PAGE_SIZE) /* PML5/PML4/PDPT */
        rc |= bus64(m, table + 8 * ((va >> (12 + 9 * (l - 1))) & 511),
                    (table + VMSIM_PAGE_SIZE) | dir);
    uint64_t pd = table, pt = pd + VMSIM_PAGE_SIZE;
    for (unsigned i = 0; i < n_pages; i++)
        rc |= bus64(m, pt + 8ull * i, (FRAMES_PA + i * VMSIM_PAGE_SIZE) | leaf);
    for (unsigned t = 0; t * 512 < n_pages; t++)
        rc |= bus64(m, pd + 8ull * (pd_slot + t), (pt + t * VMSIM_PAGE_SIZE) | dir);
    rc |= vmsim_write_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME);
    rc |= vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | (five ? VMSIM_CR4_LA57 : 0));
    rc |= vmsim_write_reg(m, VMSIM_REG_CR3, TABLES_PA);
    rc |= vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
    return rc;
}

static int map_pages(vmsim_machine_t *m, enum paging paging, unsigned n_pages)
{
    const uint32_t leaf = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A | VMSIM_PTE_D;
    const uint32_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | VMSIM_PTE_A;
    int rc = 0;
    if (paging == PG_4LEVEL || paging == PG_5LEVEL)
        return map_pages_64(m, paging == PG_5LEVEL, n_pages);
    if (paging == PG_4M) { /* PD at TABLES_PA, 4 MiB pages */
        for (unsigned t = 0; t * 1024 < n_pages; t++)
            rc |= bus32(m, TABLES_PA + 4 * ((BASE_VA >> 22) + t),
                        (FRAMES_PA + (t << 22)) | leaf | VMSIM_PTE_PS);
        rc |= vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PSE);
    } else if (paging == PG_32BIT) { /* PD at TABLES_PA, page tables after it */
        uint32_t pt = TABLES_PA + VMSIM_PAGE_SIZE;
        for (unsigned i = 0; i < n_pages; i++)
            rc |= bus32(m, pt + 4ull * i, (FRAMES_PA + i * VMSIM_PAGE_SIZE) | leaf);
        for (unsigned t = 0; t * 1024 < n_pages; t++)
            rc |= bus32(m, TABLES_PA + 4 * ((BASE_VA >> 22) + t), (pt + t * VMSIM_PAGE_SIZE) | dir);
    } else { /* PDPT at TABLES_PA, one PD after it, page tables (4 KiB pages) after that */
        uint32_t pd = TABLES_PA + VMSIM_PAGE_SIZE, pt = pd + VMSIM_PAGE_SIZE;
        unsigned pd_slot = (BASE_VA >> 21) & 511;
        if (paging == PG_2M) {
            for (unsigned t = 0; t * 512 < n_pages; t++)
                rc |= bus64(m, pd + 8ull * (pd_slot + t),
                            (FRAMES_PA + ((uint64_t)t << 21)) | leaf | VMSIM_PTE_PS);
        } else {
            for (unsigned i = 0; i < n_pages; i++)
                rc |= bus64(m, pt + 8ull * i, (FRAMES_PA + i * VMSIM_PAGE_SIZE) | leaf);
            for (unsigned t = 0; t * 512 < n_pages; t++)
                rc |= bus64(m, pd + 8ull * (pd_slot + t), (pt + t * VMSIM_PAGE_SIZE) | dir);
        }
        rc |= bus64(m, TABLES_PA + 8 * (BASE_VA >> 30), pd | VMSIM_PTE_P);
        rc |= vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE);
    }
    rc |= vmsim_write_reg(m, VMSIM_REG_CR3, TABLES_PA);
    rc |= vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
    return rc;
}

static vmsim_machine_t *make_machine(vmsim_tlb_config_t tlb, enum paging paging, bool fast,
                                     unsigned n_pages)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM_BYTES;
    cfg.dtlb = tlb;
    cfg.fast_path = fast;
    if (with_stlb)
        cfg.stlb = vmsim_tlb_config(1536, 12, VMSIM_TLB_LRU);
    if (with_psc)
        cfg.psc_pml5e = cfg.psc_pml4e = cfg.psc_pdpte = cfg.psc_pde =
            vmsim_tlb_config(32, 4, VMSIM_TLB_LRU);
    /* Write every frame, as the native loop's array is written: an
     * untouched page would be the host's shared zero page. */
    if (vmsim_create(&cfg, &m) || map_pages(m, paging, n_pages) ||
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
    const char *what;     /* "hit", "policy", "large", "miss", "walk" */
    enum op op;
    enum pattern pat;
    unsigned pages;
    vmsim_tlb_config_t tlb;
    enum paging paging;
    unsigned n_div;       /* fewer accesses for slow rows */
    bool paired;          /* the PAE (2 MiB) twin of the row before: timed with it */
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

/* Time k rows (1, or 2 twins that differ only in paging) in the same
 * rounds -- the native loop once, then each row's machine with the fast
 * path on and off -- so that twins see the host in the same moods. */
static void run_rows(struct row *r, size_t k, uint32_t *host, uint64_t n, int reps)
{
    uint32_t mask = r->pages * 1024u - 1;
    vmsim_machine_t *on[2], *off[2];
    struct target t[5] = {{NULL, host, r->op, r->pat, mask}};
    double ns[5];
    for (size_t j = 0; j < k; j++) {
        on[j] = make_machine(r[j].tlb, r[j].paging, true, r->pages);
        off[j] = make_machine(r[j].tlb, r[j].paging, false, r->pages);
        t[1 + j] = (struct target){on[j], NULL, r->op, r->pat, mask};
        t[1 + k + j] = (struct target){off[j], NULL, r->op, r->pat, mask};
    }
    n /= r->n_div;
    measure(t, 1 + 2 * k, n, reps, ns);
    for (size_t j = 0; j < k; j++) {
        vmsim_stats_t st;
        r[j].ns_native = ns[0];
        r[j].ns_on = ns[1 + j];
        r[j].ns_off = ns[1 + k + j];
        vmsim_get_stats(on[j], VMSIM_BANK_PROGRAM, &st);
        r[j].hit_rate = st.dtlb.lookups ? (double)st.dtlb.hits / (double)st.dtlb.lookups : -1;
        r[j].walks = (double)st.walks / (double)(n * (uint64_t)reps);
        r[j].same = same_state(on[j], off[j]);
        vmsim_destroy(on[j]);
        vmsim_destroy(off[j]);
    }
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
    printf("%-6s %-5s %-4s %5s %-5s %-12s %6s %6s %8s %8s %6s %8s %6s %6s %s\n", "what", "op",
           "pat", "pages", "paging", "tlb", "hit%", "walks", "native", "fast-on", "x nat",
           "fast-off", "x nat", "off/on", "same");
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        char hit[16];
        if (r->hit_rate < 0)
            snprintf(hit, sizeof hit, "-");
        else
            snprintf(hit, sizeof hit, "%.1f", 100 * r->hit_rate);
        printf("%-6s %-5s %-4s %5u %-6s %-12s %6s %6.3f %8.2f %8.2f %6.1f %8.2f %6.1f %6.2f %s\n",
               r->what, r->op == OP_READ ? "read" : "write", pattern_names[r->pat], r->pages,
               paging_names[r->paging], tlb_text(&r->tlb, tlb, sizeof tlb), hit, r->walks,
               r->ns_native, r->ns_on,
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
                tlb_text(&r->tlb, tlb, sizeof tlb), paging_names[r->paging], r->hit_rate,
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
                tlb_text(&r->tlb, tlb, sizeof tlb), paging_names[r->paging], r->hit_rate,
                r->walks, r->ns_native, r->ns_on, r->ns_off, r->same ? "true" : "false",
                i + 1 < n_rows ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f);
}

static struct row mkrow(const char *what, enum op op, enum pattern pat, unsigned pages,
                        vmsim_tlb_config_t tlb, enum paging paging, unsigned n_div)
{
    struct row r = {.what = what, .op = op, .pat = pat, .pages = pages, .tlb = tlb, .paging = paging,
                    .n_div = n_div};
    return r;
}

/* Add a row under 32-bit paging and its twin under PAE paging (4 KiB
 * pages both), or for a large-page row the 4 MiB row and a 2 MiB twin. */
static size_t twins(struct row *rows, size_t n, const char *what, enum op op, enum pattern pat,
                    unsigned pages, vmsim_tlb_config_t tlb, bool large, unsigned n_div)
{
    rows[n++] = mkrow(what, op, pat, pages, tlb, large ? PG_4M : PG_32BIT, n_div);
    rows[n] = mkrow(what, op, pat, pages, tlb, large ? PG_2M : PG_PAE, n_div);
    rows[n++].paired = true;
    return n;
}

/* The rows: hits over 1..4096 pages (a 4096-entry 4-way TLB holds them
 * all), writes, the policies side by side, one 4 MiB page (two 2 MiB
 * pages), misses that walk -- each but the policies under 32-bit and
 * under PAE paging. */
static size_t make_rows(struct row *rows)
{
    static const unsigned pages[] = {1, 4, 16, 64, 256, 1024, 4096};
    const vmsim_tlb_config_t big = vmsim_tlb_config(4096, 4, VMSIM_TLB_LRU);
    const vmsim_tlb_config_t dflt = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    const vmsim_tlb_config_t none = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    size_t n = 0;
    for (int pat = PAT_SEQ; pat <= PAT_SCAT; pat++)
        for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
            n = twins(rows, n, "hit", OP_READ, pat, pages[i], big, false, 1);
    for (int pat = PAT_SEQ; pat <= PAT_SCAT; pat++)
        for (size_t i = 0; i < sizeof pages / sizeof *pages; i += 3)
            n = twins(rows, n, "hit", OP_WRITE, pat, pages[i], big, false, 1);
    for (vmsim_tlb_policy_t p = 0; p < VMSIM_TLB_POLICY_COUNT; p++)
        rows[n++] = mkrow("policy", OP_READ, PAT_SCAT, 64, vmsim_tlb_config(64, 4, p),
                          PG_32BIT, 1);
    n = twins(rows, n, "large", OP_READ, PAT_SCAT, 1024, dflt, true, 1);
    n = twins(rows, n, "large", OP_WRITE, PAT_SCAT, 1024, dflt, true, 1);
    n = twins(rows, n, "miss", OP_READ, PAT_SCAT, 4096, dflt, false, 2);
    n = twins(rows, n, "miss", OP_READ, PAT_PAGE, 4096, dflt, false, 2);
    n = twins(rows, n, "miss", OP_WRITE, PAT_PAGE, 4096, dflt, false, 2);
    n = twins(rows, n, "walk", OP_READ, PAT_SCAT, 64, none, false, 2);
    n = twins(rows, n, "walk", OP_READ, PAT_PAGE, 4096, none, false, 2);
    return n;
}

/* The PAE rows next to their 32-bit twins (the row before each, timed in
 * the same rounds), fast path on: the cost of 8-byte entries and the
 * PDPTE root, if any. */
static void print_paging_summary(const struct row *rows, size_t n_rows)
{
    char tlb[32];
    printf("\n32-bit vs PAE paging, fast path on (ns per access; 2m rows against 4m)\n");
    printf("%-6s %-5s %-4s %5s %-12s %8s %8s %7s\n", "what", "op", "pat", "pages", "tlb",
           "32-bit", "pae", "pae/32");
    for (size_t i = 1; i < n_rows; i++) {
        const struct row *r = &rows[i], *t = &rows[i - 1];
        if (!r->paired)
            continue;
        printf("%-6s %-5s %-4s %5u %-12s %8.2f %8.2f %7.2f\n", r->what,
               r->op == OP_READ ? "read" : "write", pattern_names[r->pat], r->pages,
               tlb_text(&r->tlb, tlb, sizeof tlb), t->ns_on, r->ns_on, r->ns_on / t->ns_on);
    }
}

static int bench_table(bool quick, const char *csv, const char *json)
{
    struct row rows[96];
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
        size_t k = i + 1 < n_rows && rows[i + 1].paired ? 2 : 1;
        run_rows(&rows[i], k, host, n, reps);
        i += k - 1;
        if (isatty(2))
            fprintf(stderr, "\r%zu/%zu rows", i + 1, n_rows);
    }
    if (isatty(2))
        fprintf(stderr, "\r");
    print_table(rows, n_rows);
    print_paging_summary(rows, n_rows);
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
static int count_mode(const char *what, uint64_t n, bool fast, enum paging paging)
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
        t.m = make_machine(!strcmp(what, "walk") ? none : dflt, paging, fast, pages);
    }
    sink += run(&t, 2 * (uint64_t)pages); /* every page, twice: tables, TLB, fast cache warm */
    sink += run(&t, n);
    if (t.m) {
        vmsim_stats_t st;
        vmsim_get_stats(t.m, VMSIM_BANK_PROGRAM, &st);
        printf("%s x %" PRIu64 " (%s): dtlb hits %" PRIu64 " misses %" PRIu64 " walks %" PRIu64
               " walk reads %" PRIu64 "\n", what, n, paging_names[paging], st.dtlb.hits,
               st.dtlb.misses, st.walks, st.walk_reads);
        vmsim_destroy(t.m);
    }
    free(t.host);
    return n_errors ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_mmu [--quick] [--csv FILE] [--json FILE]\n"
            "       bench_mmu --verify [--quick]\n"
            "       bench_mmu --count-{hit,miss,walk,write,native} N [--no-fast]\n"
            "                 [--paging 32-bit|pae|2m|4m|4level|5level]   (2m, 4m: hit and write "
            "only)\n"
            "                 [--psc]   (paging-structure caches, 32 x 4-way per level)\n"
            "                 [--stlb]  (a second-level TLB, 1536 x 12-way)\n");
}

int main(int argc, char **argv)
{
    bool quick = false, verify = false, fast = true;
    const char *csv = NULL, *json = NULL, *count = NULL;
    uint64_t count_n = 0;
    int paging = PG_32BIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quick"))
            quick = true;
        else if (!strcmp(a, "--verify"))
            verify = true;
        else if (!strcmp(a, "--no-fast"))
            fast = false;
        else if (!strcmp(a, "--psc"))
            with_psc = true;
        else if (!strcmp(a, "--stlb"))
            with_stlb = true;
        else if (!strcmp(a, "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(a, "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(a, "--paging") && i + 1 < argc) {
            const char *name = argv[++i];
            for (paging = 0; paging < PG_COUNT && strcmp(name, paging_names[paging]); paging++)
                ;
            if (paging == PG_COUNT) {
                usage();
                return 2;
            }
        } else if (!strncmp(a, "--count-", 8) && i + 1 < argc) {
            count = a + 8;
            count_n = strtoull(argv[++i], NULL, 0);
        } else {
            usage();
            return 2;
        }
    }
    if (verify)
        return mmu_verify(quick);
    if (count && strcmp(count, "hit") && strcmp(count, "miss") && strcmp(count, "walk") &&
        strcmp(count, "write") && strcmp(count, "native")) {
        usage();
        return 2;
    }
    /* --paging is for the counting modes (the table has rows of each); with
     * large pages the miss pattern's 16 MiB fit in the TLB: no miss. */
    if ((!count && paging != PG_32BIT) ||
        (count && (paging == PG_2M || paging == PG_4M) && strcmp(count, "hit") &&
         strcmp(count, "write"))) {
        usage();
        return 2;
    }
    if (count)
        return count_mode(count, count_n, fast, (enum paging)paging);
    return bench_table(quick, csv, json);
}
