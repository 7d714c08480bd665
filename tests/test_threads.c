/*
 * test_threads.c - no global mutable state: machines driven from
 * different threads at the same time never see each other.
 *
 * A job is one machine and everything done to it, from a seed:
 *
 *   machine    its own TLB geometry and policy, fast path on or off,
 *              and its own kernel configuration (zero page, global
 *              kernel pages, flush threshold, kmem debug)
 *   MMU part   page tables written by hand through the bus port (4 KiB
 *              pages and a 4 MiB page), paging on, then random reads,
 *              writes and fetches of every size and mode, PTE edits
 *              with their INVLPG, CR0.WP toggles and CR3 reloads;
 *              paging off again
 *   kernel     a kernel booted on the same machine, then random steps:
 *              process create / fork / exit / switch, mmap (private,
 *              shared, populated), munmap, mprotect, sbrk, user loads
 *              and stores (demand paging, the zero frame, COW, SEGVs),
 *              kmalloc / kfree, a named cache, vmalloc / vfree (on
 *              demand, guard pages) with supervisor accesses, and
 *              vmsim_check() every so often
 *
 * Every result goes into the job's digest: each status, value read,
 * physical address, fault (CR2, error code, reason, level), address an
 * allocator returned; the RAM of the pages the MMU part used and of every
 * frame allocated at the end of the kernel part (with its refcount and
 * flags); the machine's statistics (both banks), the kernel's, the frame
 * allocator's and the slab allocator's.
 *
 * The jobs run once one after another on the main thread, then for
 * several rounds at the same time, one thread each, released together by
 * a barrier.  Every digest must equal the sequential one.  The workers
 * never call cmocka (its asserts longjmp on the thread that runs the
 * test): a job records the first call that failed, and the main thread
 * asserts on it.
 *
 *   VMSIM_THREADS_ROUNDS  concurrent rounds (default 3)
 *   VMSIM_THREADS_STEPS   kernel steps per job (default 1500; the MMU
 *                         part takes four times as many)
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#define N_JOBS    4
#define RAM       (8u << 20)
#define PAGE      4096u
#define RW        (VMSIM_PROT_READ | VMSIM_PROT_WRITE)
#define MAX_PROCS 6
#define MAX_REGS  8
#define MAX_KMEM  24

/* The MMU part's physical layout: a page directory, four page tables,
 * 64 data frames, and a 4 MiB page at 4 MiB (accesses stay in its first
 * 32 pages).  Linear: PDE slots 1..4 through the tables, slot 5 large. */
#define PD_PADDR   0x10000u
#define PT_PADDR   0x11000u
#define POOL_PADDR 0x20000u
#define N_POOL     64u
#define LARGE_BASE 0x400000u
#define N_HOT      32u /* pages used in each slot */

struct job {
    int id;
    vmsim_config_t mc;
    vmsim_kernel_config_t kc;
    uint64_t seed;
    uint32_t steps;
    /* results */
    uint64_t digest;
    uint64_t n_ok;                   /* operations that succeeded: the workload did work */
    uint64_t n_mmu_faults, n_frames; /* MMU part faults; frames hashed at the end */
    vmsim_kernel_stats_t ks;         /* the kernel's statistics at the end */
    const char *failed;
    int failed_line;
    vmsim_status_t failed_rc;
    /* while running */
    uint64_t rng;
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
};

/* --- determinism: random numbers and the digest ------------------------------------- */

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(struct job *j, uint32_t n)
{
    return n ? (uint32_t)(next(&j->rng) % n) : 0;
}

static void mix(struct job *j, uint64_t v)
{
    j->digest = (j->digest ^ v) * 0x100000001b3ull;
    j->digest ^= j->digest >> 29;
}

static void mix_status(struct job *j, vmsim_status_t rc)
{
    mix(j, (uint64_t)rc);
    j->n_ok += rc == VMSIM_OK;
}

static void mix_words(struct job *j, const void *p, size_t n_words)
{
    uint64_t w;
    for (size_t i = 0; i < n_words; i++) {
        memcpy(&w, (const char *)p + i * 8, 8);
        mix(j, w);
    }
}

static bool job_fail(struct job *j, const char *what, vmsim_status_t rc, int line)
{
    if (!j->failed) {
        j->failed = what;
        j->failed_rc = rc;
        j->failed_line = line;
    }
    return false;
}

/* A call that must succeed; the job stops at the first that does not. */
#define MUST(j, call)                                                                              \
    do {                                                                                           \
        vmsim_status_t must_rc_ = (call);                                                          \
        if (must_rc_ != VMSIM_OK)                                                                  \
            return job_fail((j), #call, must_rc_, __LINE__);                                       \
    } while (0)

/* The RAM of `n` frames from `paddr`, read through the bus port. */
static bool mix_ram(struct job *j, uint64_t paddr, uint32_t n)
{
    uint64_t buf[PAGE / 8];
    for (uint32_t i = 0; i < n; i++) {
        MUST(j, vmsim_bus_read(j->m, paddr + (uint64_t)i * PAGE, buf, sizeof buf));
        mix_words(j, buf, PAGE / 8);
    }
    return true;
}

static bool mix_machine_stats(struct job *j)
{
    _Static_assert(sizeof(vmsim_stats_t) % 8 == 0, "vmsim_stats_t is all 64-bit counters");
    vmsim_stats_t st;
    for (int bank = 0; bank < VMSIM_BANK_COUNT; bank++) {
        MUST(j, vmsim_get_stats(j->m, (vmsim_bank_t)bank, &st));
        mix_words(j, &st, sizeof st / 8);
    }
    return true;
}

/* --- the MMU part: page tables by hand ------------------------------------------------ */

static uint32_t random_pte(struct job *j)
{
    uint32_t pte = (POOL_PADDR + below(j, N_POOL) * PAGE) | VMSIM_PTE_P;
    if (below(j, 10) == 0)
        pte &= ~VMSIM_PTE_P;
    if (below(j, 10) < 7)
        pte |= VMSIM_PTE_RW;
    if (below(j, 10) < 7)
        pte |= VMSIM_PTE_US;
    if (below(j, 4) == 0)
        pte |= VMSIM_PTE_A | VMSIM_PTE_D;
    return pte;
}

static bool mmu_build(struct job *j)
{
    MUST(j, vmsim_bus_fill(j->m, PD_PADDR, 0, 5 * PAGE));
    for (uint32_t slot = 1; slot <= 4; slot++) {
        uint32_t pt = PT_PADDR + (slot - 1) * PAGE;
        MUST(j, vmsim_bus_write32(j->m, PD_PADDR + slot * 4,
                                  pt | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US));
        for (uint32_t i = 0; i < N_HOT; i++)
            MUST(j, vmsim_bus_write32(j->m, pt + i * 4, random_pte(j)));
    }
    uint32_t large = LARGE_BASE | VMSIM_PTE_P | VMSIM_PTE_PS | VMSIM_PTE_RW;
    MUST(j, vmsim_bus_write32(j->m, PD_PADDR + 5 * 4, large | (below(j, 2) ? VMSIM_PTE_US : 0)));
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR3, PD_PADDR));
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR4, VMSIM_CR4_PSE));
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR0, VMSIM_CR0_PG | VMSIM_CR0_PE | VMSIM_CR0_WP));
    return true;
}

static void mmu_access(struct job *j)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    uint32_t slot = 1 + below(j, 5);
    uint32_t page = below(j, N_HOT);
    uint32_t vaddr = (slot << 22) + page * PAGE + below(j, PAGE);
    vmsim_access_t access = (vmsim_access_t)below(j, 3);
    vmsim_mode_t mode = below(j, 2) ? VMSIM_USER : VMSIM_SUPERVISOR;
    uint64_t data = access == VMSIM_WRITE ? next(&j->rng) : 0;
    vmsim_result_t res;
    memset(&res, 0, sizeof res);
    vmsim_status_t rc = vmsim_access(j->m, access, mode, vaddr, &data, sizes[below(j, 4)], &res);
    mix_status(j, rc);
    mix(j, data);
    mix(j, res.paddr);
    mix(j, res.bus_addr);
    mix(j, ((uint64_t)res.fault.cr2 << 32) | res.fault.error_code);
    mix(j, ((uint64_t)res.fault.reason << 32) | (uint32_t)res.fault.level);
}

/* Rewrite one PTE and invalidate it, as a kernel must. */
static bool mmu_edit(struct job *j)
{
    uint32_t slot = 1 + below(j, 4), page = below(j, N_HOT);
    MUST(j, vmsim_bus_write32(j->m, PT_PADDR + (slot - 1) * PAGE + page * 4, random_pte(j)));
    MUST(j, vmsim_invlpg(j->m, (slot << 22) + page * PAGE));
    return true;
}

static bool mmu_step(struct job *j)
{
    uint64_t cr0;
    uint32_t pick = below(j, 100);
    if (pick < 90) {
        mmu_access(j);
        return true;
    }
    if (pick < 96)
        return mmu_edit(j);
    if (pick < 98) {
        MUST(j, vmsim_read_reg(j->m, VMSIM_REG_CR0, &cr0));
        MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR0, cr0 ^ VMSIM_CR0_WP));
        return true;
    }
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR3, PD_PADDR));
    return true;
}

/* Tables by hand, accesses, then paging off so that a kernel can boot. */
static bool mmu_part(struct job *j)
{
    if (!mmu_build(j))
        return false;
    for (uint32_t i = 0; i < 4 * j->steps; i++)
        if (!mmu_step(j))
            return false;
    if (!mix_ram(j, PD_PADDR, 5) || !mix_ram(j, POOL_PADDR, N_POOL) ||
        !mix_ram(j, LARGE_BASE, N_HOT) || !mix_machine_stats(j))
        return false;
    vmsim_stats_t st;
    MUST(j, vmsim_get_stats(j->m, VMSIM_BANK_PROGRAM, &st));
    j->n_mmu_faults = st.faults;
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR0, 0));
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR4, 0));
    MUST(j, vmsim_write_reg(j->m, VMSIM_REG_CR3, 0));
    return true;
}

/* --- the kernel part -------------------------------------------------------------------- */

struct region {
    uint32_t addr, len;
};

struct proc {
    vmsim_pid_t pid;
    struct region reg[MAX_REGS];
    uint32_t n_reg;
};

struct live {
    uint32_t at[MAX_KMEM], n; /* addresses allocated and not freed yet */
};

struct kwork {
    struct proc procs[MAX_PROCS];
    uint32_t n_procs;
    struct live kmallocs, vmallocs, objects; /* kmalloc, vmalloc, cache */
    vmsim_kmem_cache_t *cache;
    uint32_t boot_frames; /* frames in use right after boot */
};

static struct proc *any_proc(struct job *j, struct kwork *w)
{
    return w->n_procs ? &w->procs[below(j, w->n_procs)] : NULL;
}

static void op_create(struct job *j, struct kwork *w)
{
    vmsim_pid_t pid = 0;
    if (w->n_procs == MAX_PROCS)
        return;
    vmsim_status_t rc = vmsim_proc_create(j->k, &pid);
    mix_status(j, rc);
    mix(j, (uint64_t)pid);
    if (rc == VMSIM_OK)
        w->procs[w->n_procs++] = (struct proc){.pid = pid};
}

static void op_fork(struct job *j, struct kwork *w)
{
    struct proc *p = any_proc(j, w);
    vmsim_pid_t child = 0;
    if (!p || w->n_procs == MAX_PROCS)
        return;
    vmsim_status_t rc = vmsim_proc_fork(j->k, p->pid, &child);
    mix_status(j, rc);
    mix(j, (uint64_t)child);
    if (rc == VMSIM_OK) {
        w->procs[w->n_procs] = *p;
        w->procs[w->n_procs++].pid = child;
    }
}

static void op_exit(struct job *j, struct kwork *w)
{
    if (w->n_procs < 2)
        return;
    uint32_t i = below(j, w->n_procs);
    mix_status(j, vmsim_proc_exit(j->k, w->procs[i].pid));
    w->procs[i] = w->procs[--w->n_procs];
}

static void op_mmap(struct job *j, struct kwork *w)
{
    static const unsigned flags[] = {VMSIM_MAP_PRIVATE, VMSIM_MAP_SHARED, VMSIM_MAP_POPULATE,
                                     VMSIM_MAP_PRIVATE};
    struct proc *p = any_proc(j, w);
    uint32_t len = (1 + below(j, 8)) * PAGE, addr = 0;
    if (!p || p->n_reg == MAX_REGS)
        return;
    unsigned prot = below(j, 4) ? RW : VMSIM_PROT_READ;
    vmsim_status_t rc = vmsim_mmap(j->k, p->pid, 0, len, prot, flags[below(j, 4)], &addr);
    mix_status(j, rc);
    mix(j, addr);
    if (rc == VMSIM_OK)
        p->reg[p->n_reg++] = (struct region){addr, len};
}

static void op_munmap(struct job *j, struct kwork *w)
{
    struct proc *p = any_proc(j, w);
    if (!p || !p->n_reg)
        return;
    uint32_t i = below(j, p->n_reg);
    mix_status(j, vmsim_munmap(j->k, p->pid, p->reg[i].addr, p->reg[i].len));
    p->reg[i] = p->reg[--p->n_reg];
}

static void op_mprotect(struct job *j, struct kwork *w)
{
    struct proc *p = any_proc(j, w);
    if (!p || !p->n_reg)
        return;
    const struct region *r = &p->reg[below(j, p->n_reg)];
    unsigned prot = below(j, 2) ? RW : VMSIM_PROT_READ;
    mix_status(j, vmsim_mprotect(j->k, p->pid, r->addr, PAGE, prot));
}

/* An address in one of the process's regions, now and then just past it. */
static bool user_addr(struct job *j, const struct proc *p, uint32_t *vaddr)
{
    if (!p || !p->n_reg)
        return false;
    const struct region *r = &p->reg[below(j, p->n_reg)];
    *vaddr = r->addr + below(j, r->len + (below(j, 8) ? 0 : PAGE));
    return true;
}

static void op_access(struct job *j, struct kwork *w, bool store)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    struct proc *p = any_proc(j, w);
    uint32_t vaddr;
    uint64_t value = next(&j->rng);
    if (!user_addr(j, p, &vaddr))
        return;
    unsigned size = sizes[below(j, 4)];
    vmsim_mode_t mode = below(j, 8) ? VMSIM_USER : VMSIM_SUPERVISOR;
    if (store) {
        mix_status(j, vmsim_proc_store(j->k, p->pid, mode, vaddr, size, value));
    } else {
        value = 0;
        mix_status(j, vmsim_proc_load(j->k, p->pid, mode, vaddr, size, &value));
        mix(j, value);
    }
    vmsim_kfault_t kf;
    vmsim_kernel_last_fault(j->k, &kf);
    mix(j, ((uint64_t)kf.kind << 32) | kf.cr2);
}

static void op_sbrk(struct job *j, struct kwork *w)
{
    struct proc *p = any_proc(j, w);
    uint32_t old = 0;
    if (!p)
        return;
    int32_t delta = ((int32_t)below(j, 5) - 1) * (int32_t)PAGE;
    mix_status(j, vmsim_sbrk(j->k, p->pid, delta, &old));
    mix(j, old);
    if (delta > 0)
        mix_status(j, vmsim_proc_store(j->k, p->pid, VMSIM_USER, old, 4, old));
}

static void op_switch(struct job *j, struct kwork *w)
{
    struct proc *p = any_proc(j, w);
    if (p)
        mix_status(j, vmsim_proc_switch(j->k, p->pid));
}

/* --- the kernel's own memory: kmalloc, a named cache, vmalloc ------------------------------- */

/* Write a word at `addr` in supervisor mode, read it back. */
static void touch(struct job *j, uint32_t addr)
{
    uint32_t back = 0;
    mix_status(j, vmsim_write32(j->m, VMSIM_SUPERVISOR, addr, addr ^ (uint32_t)j->seed));
    mix_status(j, vmsim_read32(j->m, VMSIM_SUPERVISOR, addr, &back));
    mix(j, back);
}

/* Free rather than allocate: always when the list is full, else half
 * the time when it is not empty. */
static bool time_to_free(struct job *j, const struct live *l)
{
    return l->n == MAX_KMEM || (l->n && below(j, 2));
}

/* Remove a random entry of the list and return it. */
static uint32_t take(struct job *j, struct live *l)
{
    uint32_t i = below(j, l->n), addr = l->at[i];
    l->at[i] = l->at[--l->n];
    return addr;
}

/* An allocation's outcome: on success touch `at` and keep `addr`. */
static void keep(struct job *j, struct live *l, vmsim_status_t rc, uint32_t addr, uint32_t at)
{
    mix_status(j, rc);
    mix(j, addr);
    if (rc == VMSIM_OK) {
        touch(j, at);
        l->at[l->n++] = addr;
    }
}

static void op_kmalloc(struct job *j, struct kwork *w)
{
    uint32_t addr = 0;
    if (time_to_free(j, &w->kmallocs)) {
        addr = take(j, &w->kmallocs);
        touch(j, addr);
        mix_status(j, vmsim_kfree(j->k, addr));
        return;
    }
    uint32_t size = 4 + below(j, below(j, 4) ? 500 : 6000);
    vmsim_status_t rc = vmsim_kmalloc(j->k, size, &addr);
    keep(j, &w->kmallocs, rc, addr, addr);
}

static void op_cache(struct job *j, struct kwork *w)
{
    uint32_t addr = 0;
    if (time_to_free(j, &w->objects)) {
        mix_status(j, vmsim_kmem_cache_free(j->k, w->cache, take(j, &w->objects)));
        return;
    }
    vmsim_status_t rc = vmsim_kmem_cache_alloc(j->k, w->cache, &addr);
    keep(j, &w->objects, rc, addr, addr);
}

static void op_vmalloc(struct job *j, struct kwork *w)
{
    uint32_t addr = 0, pages = 1 + below(j, 4);
    if (time_to_free(j, &w->vmallocs)) {
        mix_status(j, vmsim_vfree(j->k, take(j, &w->vmallocs)));
        return;
    }
    uint32_t offset = below(j, pages) * PAGE + below(j, PAGE / 4) * 4;
    vmsim_status_t rc = vmsim_vmalloc(j->k, pages * PAGE, below(j, 4), &addr);
    keep(j, &w->vmallocs, rc, addr, addr + offset);
}

static void kernel_step(struct job *j, struct kwork *w)
{
    switch (below(j, 20)) {
    case 0: op_create(j, w); break;
    case 1: op_fork(j, w); break;
    case 2: op_exit(j, w); break;
    case 3:
    case 4: op_mmap(j, w); break;
    case 5: op_munmap(j, w); break;
    case 6: op_mprotect(j, w); break;
    case 7:
    case 8:
    case 9:
    case 10: op_access(j, w, true); break;
    case 11:
    case 12:
    case 13: op_access(j, w, false); break;
    case 14: op_sbrk(j, w); break;
    case 15: op_switch(j, w); break;
    case 16:
    case 17: op_kmalloc(j, w); break;
    case 18: op_cache(j, w); break;
    default: op_vmalloc(j, w); break;
    }
}

/* Every allocated frame: number, flags, refcount, contents. */
static bool mix_frames(struct job *j)
{
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(j->k);
    vmsim_pmm_stats_t ps;
    unsigned flags;
    uint32_t refs;
    MUST(j, vmsim_pmm_get_stats(pmm, &ps));
    for (uint32_t pfn = 0; pfn < ps.n_frames; pfn++) {
        MUST(j, vmsim_pmm_flags(pmm, pfn, &flags));
        if (!(flags & VMSIM_FRAME_ALLOCATED))
            continue;
        MUST(j, vmsim_pmm_refcount(pmm, pfn, &refs));
        mix(j, ((uint64_t)pfn << 32) | flags);
        mix(j, refs);
        if (!mix_ram(j, (uint64_t)pfn * PAGE, 1))
            return false;
        j->n_frames++;
    }
    return true;
}

static bool mix_kernel_stats(struct job *j)
{
    vmsim_kernel_stats_t ks;
    vmsim_pmm_stats_t ps;
    vmsim_kmem_stats_t ms;
    MUST(j, vmsim_kernel_get_stats(j->k, &ks));
    MUST(j, vmsim_pmm_get_stats(vmsim_kernel_pmm(j->k), &ps));
    MUST(j, vmsim_kmem_stats(j->k, &ms));
    mix_words(j, &ks, offsetof(vmsim_kernel_stats_t, processes) / 8); /* the 64-bit counters */
    uint64_t rest[] = {ks.processes,      ks.frames_in_use,  ks.page_tables,   ks.user_frames,
                       ks.kernel_end,     ks.faults_vmalloc, ks.faults_guard,  ks.kmem_frames,
                       ps.n_used,         ps.peak_used,      ps.allocs,        ps.run_allocs,
                       ps.frees,          ps.rmap_entries,   ms.slabs,         ms.slab_pages,
                       ms.objects_in_use, ms.objects_free,   ms.kmallocs,      ms.kfrees,
                       ms.cache_allocs,   ms.cache_frees,    ms.large_objects, ms.bytes_requested};
    mix_words(j, rest, sizeof rest / 8);
    j->ks = ks;
    return mix_machine_stats(j);
}

/* Free what is left and check that the kernel is whole. */
static bool kernel_teardown(struct job *j, struct kwork *w)
{
    while (w->kmallocs.n)
        mix_status(j, vmsim_kfree(j->k, w->kmallocs.at[--w->kmallocs.n]));
    while (w->vmallocs.n)
        mix_status(j, vmsim_vfree(j->k, w->vmallocs.at[--w->vmallocs.n]));
    while (w->objects.n)
        mix_status(j, vmsim_kmem_cache_free(j->k, w->cache, w->objects.at[--w->objects.n]));
    MUST(j, vmsim_kmem_cache_destroy(j->k, w->cache));
    while (w->n_procs)
        MUST(j, vmsim_proc_exit(j->k, w->procs[--w->n_procs].pid));
    MUST(j, vmsim_kmem_shrink(j->k, NULL));
    MUST(j, vmsim_check(j->k, NULL));
    vmsim_kernel_stats_t ks;
    MUST(j, vmsim_kernel_get_stats(j->k, &ks));
    if (ks.frames_in_use != w->boot_frames)
        return job_fail(j, "frames in use after teardown", VMSIM_ERR_CORRUPT, __LINE__);
    return mix_kernel_stats(j);
}

static bool kernel_part(struct job *j)
{
    struct kwork w;
    memset(&w, 0, sizeof w);
    vmsim_kernel_stats_t ks;
    MUST(j, vmsim_kernel_boot(j->m, &j->kc, &j->k));
    MUST(j, vmsim_kernel_get_stats(j->k, &ks));
    w.boot_frames = ks.frames_in_use;
    MUST(j, vmsim_kmem_cache_create(j->k, "thread", 24 + below(j, 200), 0, &w.cache));
    op_create(j, &w);
    for (uint32_t i = 1; i <= j->steps; i++) {
        kernel_step(j, &w);
        if (i % 100 == 0)
            MUST(j, vmsim_check(j->k, NULL));
    }
    return mix_frames(j) && kernel_teardown(j, &w);
}

/* --- jobs and threads ------------------------------------------------------------------- */

static uint32_t env_or(const char *name, uint32_t def)
{
    const char *s = getenv(name);
    return s && *s ? (uint32_t)strtoul(s, NULL, 0) : def;
}

/* Job `id`: its machine, its kernel and its seed. */
static struct job job_make(int id)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.id = id;
    j.seed = 0x7e57u + 1000u * (uint64_t)id;
    j.steps = env_or("VMSIM_THREADS_STEPS", 1500);
    vmsim_config_default(&j.mc);
    j.mc.ram_bytes = RAM;
    vmsim_kernel_config_default(&j.kc);
    switch (id % 4) {
    case 0: break; /* the defaults: split 64 x 4-way LRU TLBs, fast path */
    case 1:
        j.mc.fast_path = false;
        j.mc.split_tlb = false;
        j.mc.dtlb = vmsim_tlb_config(16, 4, VMSIM_TLB_FIFO);
        j.kc.zero_page = false;
        break;
    case 2:
        j.mc.fast_path = false;
        j.mc.dtlb = j.mc.itlb = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU); /* no TLB */
        j.kc.flush_threshold = 0;
        break;
    default:
        j.mc.dtlb = vmsim_tlb_config(32, 4, VMSIM_TLB_RANDOM);
        j.mc.dtlb.seed = 77;
        j.mc.itlb = vmsim_tlb_config(8, 8, VMSIM_TLB_PLRU);
        j.kc.global_kernel = false;
        j.kc.kmem_debug = true;
        break;
    }
    return j;
}

/* Run job *j from scratch; its digest and failure are in *j afterwards. */
static void job_run(struct job *j)
{
    j->rng = j->seed;
    j->digest = 0xcbf29ce484222325ull;
    j->n_ok = j->n_mmu_faults = j->n_frames = 0;
    j->failed = NULL;
    j->m = NULL;
    j->k = NULL;
    if (vmsim_create(&j->mc, &j->m) != VMSIM_OK) {
        job_fail(j, "vmsim_create", VMSIM_ERR_NOMEM, __LINE__);
        return;
    }
    if (mmu_part(j))
        kernel_part(j);
    vmsim_kernel_shutdown(j->k);
    vmsim_destroy(j->m);
    j->k = NULL;
    j->m = NULL;
}

static void assert_job_ok(const struct job *j)
{
    if (j->failed)
        fail_msg("job %d: %s returned %s (line %d)", j->id, j->failed,
                 vmsim_status_name(j->failed_rc), j->failed_line);
    assert_true(j->n_ok >= j->steps); /* accesses and allocations did succeed */
}

struct worker {
    pthread_t thread;
    pthread_barrier_t *start;
    struct job job;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    job_run(&w->job);
    return NULL;
}

/* The reference: every job once, one after another, on this thread. */
static void run_sequential(struct job jobs[N_JOBS])
{
    for (int i = 0; i < N_JOBS; i++) {
        jobs[i] = job_make(i);
        job_run(&jobs[i]);
        assert_job_ok(&jobs[i]);
        const vmsim_kernel_stats_t *ks = &jobs[i].ks;
        print_message("job %d: digest %016llx, %llu ok, %llu MMU faults, %llu kernel faults "
                      "(%llu demand-zero, %llu COW copies, %llu segv), %llu forks, "
                      "%llu frames hashed\n",
                      i, (unsigned long long)jobs[i].digest, (unsigned long long)jobs[i].n_ok,
                      (unsigned long long)jobs[i].n_mmu_faults, (unsigned long long)ks->faults,
                      (unsigned long long)ks->faults_demand_zero,
                      (unsigned long long)ks->faults_cow_copy, (unsigned long long)ks->faults_segv,
                      (unsigned long long)ks->forks, (unsigned long long)jobs[i].n_frames);
        for (int other = 0; other < i; other++)
            assert_true(jobs[i].digest != jobs[other].digest); /* the jobs differ */
    }
}

/* One round: every job on a thread of its own, all released at once. */
static void run_round(const struct job reference[N_JOBS], int round)
{
    struct worker workers[N_JOBS];
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, N_JOBS), 0);
    for (int i = 0; i < N_JOBS; i++) {
        workers[i].start = &start;
        workers[i].job = job_make(i);
        assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < N_JOBS; i++)
        assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N_JOBS; i++) {
        assert_job_ok(&workers[i].job);
        if (workers[i].job.digest != reference[i].digest)
            fail_msg("round %d, job %d: digest %016llx, sequential %016llx", round, i,
                     (unsigned long long)workers[i].job.digest,
                     (unsigned long long)reference[i].digest);
    }
}

static void sequential_repeats(void **state)
{
    (void)state;
    struct job first[N_JOBS];
    run_sequential(first);
    struct job again = job_make(N_JOBS - 1);
    job_run(&again);
    assert_job_ok(&again);
    assert_true(again.digest == first[N_JOBS - 1].digest);
}

static void threads_match_sequential(void **state)
{
    (void)state;
    struct job reference[N_JOBS];
    uint32_t rounds = env_or("VMSIM_THREADS_ROUNDS", 3);
    run_sequential(reference);
    for (uint32_t r = 0; r < rounds; r++)
        run_round(reference, (int)r);
    print_message("%d jobs x %u rounds: every digest equals the sequential run's\n", N_JOBS,
                  rounds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequential_repeats),
        cmocka_unit_test(threads_match_sequential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
