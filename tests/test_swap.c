/*
 * test_swap.c - the swap device and page replacement in the kernel.
 *
 * Each test boots a kernel with a small user-frame limit and a small
 * swap, drives a process through vmsim_proc_load / vmsim_proc_store (so
 * every reference goes through the MMU and its A/D bits), and checks
 * what came back, what the statistics say and that vmsim_check() is
 * clean.  Pages are 4 KiB apart from BASE; page n holds the value
 * 0x1000 * n + 7 when a test writes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel_rig.h"

#define BASE    0x40000000u
#define NPAGES  16u
#define PAGE(n) (BASE + (uint32_t)(n)*4096u)

static void swap_config(vmsim_kernel_config_t *kc, vmsim_policy_kind_t policy, uint32_t frames,
                        uint32_t slots)
{
    vmsim_kernel_config_default(kc);
    kc->zero_page = false;
    kc->policy = policy;
    kc->max_user_frames = frames;
    kc->swap_slots = slots;
}

/* A process with NPAGES of private read/write memory at BASE. */
static void up(struct krig *f, const vmsim_kernel_config_t *kc)
{
    krig_up_proc(f, KRIG_RAM, kc);
    uint32_t at;
    assert_int_equal(vmsim_mmap(f->k, f->pid, BASE, NPAGES * 4096u,
                                VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED, &at),
                     VMSIM_OK);
}

static void store(struct krig *f, vmsim_pid_t pid, uint32_t n)
{
    assert_int_equal(vmsim_proc_store(f->k, pid, VMSIM_USER, PAGE(n), 4, 0x1000u * n + 7),
                     VMSIM_OK);
}

static uint32_t load(struct krig *f, vmsim_pid_t pid, uint32_t n)
{
    return user_load(f->k, pid, PAGE(n));
}

/* Faults the spec counts: cold (demand zero) and re-loads. */
static uint64_t paging_faults(const vmsim_kernel_t *k)
{
    vmsim_kernel_stats_t st = kstats(k);
    return st.faults_demand_zero + st.faults_swap_in + st.faults_swap_cache + st.faults_zero_reload;
}

static vmsim_swap_stats_t swapstats(const vmsim_kernel_t *k)
{
    vmsim_swap_stats_t st;
    assert_int_equal(vmsim_swap_get_stats(k, &st), VMSIM_OK);
    return st;
}

static vmsim_pte_info_t query(struct krig *f, vmsim_pid_t pid, uint32_t n)
{
    vmsim_pte_info_t info;
    assert_int_equal(vmsim_proc_query(f->k, pid, PAGE(n), &info), VMSIM_OK);
    return info;
}

/* --- the device and the defaults --- */

static void default_kernel_has_no_swap(void **state)
{
    struct krig f;
    (void)state;
    krig_up_proc(&f, KRIG_RAM, NULL);
    assert_int_equal(swapstats(f.k).n_slots, 0);
    assert_int_equal(vmsim_swap_fail_next(f.k, VMSIM_SWAP_IN, 0, 1), VMSIM_ERR_UNSUPPORTED);
    assert_int_equal(vmsim_kernel_tick(f.k), VMSIM_OK);
    krig_down(&f);
}

static void bad_swap_configs_are_refused(void **state)
{
    vmsim_kernel_config_t kc;
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 4, VMSIM_SWAP_MAX_SLOTS + 1);
    assert_int_equal(krig_boot(KRIG_RAM, &kc, &m, &k), VMSIM_ERR_INVALID);
    swap_config(&kc, VMSIM_POLICY_COUNT, 4, 8);
    assert_int_equal(krig_boot(KRIG_RAM, &kc, &m, &k), VMSIM_ERR_INVALID);
    swap_config(&kc, VMSIM_POLICY_AGING, 4, 8);
    kc.aging_bits = 33;
    assert_int_equal(krig_boot(KRIG_RAM, &kc, &m, &k), VMSIM_ERR_INVALID);
    assert_string_equal(vmsim_status_name(VMSIM_ERR_NO_SWAP), "VMSIM_ERR_NO_SWAP");
    assert_non_null(strstr(vmsim_strerror(VMSIM_ERR_NO_SWAP), "swap"));
}

/* --- eviction and swap-in --- */

static void pages_evicted_under_the_limit_come_back_intact(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 4, 64);
    up(&f, &kc);
    for (uint32_t n = 0; n < NPAGES; n++)
        store(&f, f.pid, n);
    assert_clean(f.k);
    assert_int_equal(kstats(f.k).resident_user_pages, 4);
    for (uint32_t n = 0; n < NPAGES; n++)
        assert_int_equal(load(&f, f.pid, n), 0x1000u * n + 7);
    vmsim_kernel_stats_t st = kstats(f.k);
    assert_true(st.evictions >= NPAGES);
    assert_int_equal(st.writebacks, NPAGES); /* each dirty page written exactly once */
    assert_int_equal(st.faults_swap_in, NPAGES);
    assert_int_equal(st.faults_major, NPAGES);
    assert_int_equal(swapstats(f.k).page_outs, NPAGES);
    krig_down(&f);
}

static void query_says_swapped_out_to_slot(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    char text[96];
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    store(&f, f.pid, 2); /* fifo: page 0 goes, to the first slot */
    vmsim_pte_info_t info = query(&f, f.pid, 0);
    assert_false(info.present);
    assert_true(info.swapped);
    assert_int_equal(info.slot, 1);
    assert_int_equal(info.entry & 1, 0);
    vmsim_pte_info_describe(&info, text, sizeof text);
    assert_string_equal(text, "swapped out to slot 1");
    vmsim_proc_info_t pi;
    assert_int_equal(vmsim_proc_get_info(f.k, f.pid, &pi), VMSIM_OK);
    assert_int_equal(pi.swapped_pages, 1);
    assert_int_equal(pi.resident_pages, 2);
    krig_down(&f);
}

static void clean_swapped_in_page_is_evicted_without_a_write(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    store(&f, f.pid, 2);                     /* 0 written out */
    assert_int_equal(load(&f, f.pid, 0), 7); /* 1 written out, 0 read back clean */
    uint64_t outs = swapstats(f.k).page_outs;
    assert_int_equal(swapstats(f.k).slots_cached, 1);
    assert_int_equal(load(&f, f.pid, 1), 0x1007); /* 2 written out */
    assert_int_equal(load(&f, f.pid, 2), 0x2007); /* 0 evicted: clean, its slot still valid */
    assert_int_equal(swapstats(f.k).page_outs, outs + 1);
    assert_true(kstats(f.k).evictions_clean >= 1);
    assert_int_equal(load(&f, f.pid, 0), 7);
    krig_down(&f);
}

/* A page written after it came back from swap, then made PROT_NONE:
 * its PTE has P = 0 but keeps D, and eviction must still write it. */
static void dirty_prot_none_page_is_written_back(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    store(&f, f.pid, 2);                     /* 0 out to slot 1 */
    assert_int_equal(load(&f, f.pid, 0), 7); /* 0 back, clean, slot 1 cached */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, PAGE(0), 4, 1234), VMSIM_OK);
    assert_int_equal(vmsim_mprotect(f.k, f.pid, PAGE(0), 4096, VMSIM_PROT_NONE), VMSIM_OK);
    assert_clean(f.k);
    store(&f, f.pid, 3);
    store(&f, f.pid, 4); /* 0 goes again */
    assert_true(query(&f, f.pid, 0).swapped);
    assert_int_equal(vmsim_mprotect(f.k, f.pid, PAGE(0), 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE),
                     VMSIM_OK);
    assert_int_equal(load(&f, f.pid, 0), 1234);
    krig_down(&f);
}

static void never_written_page_comes_back_demand_zero(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    for (uint32_t n = 0; n < 4; n++)
        assert_int_equal(load(&f, f.pid, n), 0);
    assert_int_equal(load(&f, f.pid, 0), 0);
    vmsim_kernel_stats_t st = kstats(f.k);
    assert_int_equal(st.writebacks, 0);
    assert_int_equal(st.faults_zero_reload, 1);
    assert_int_equal(swapstats(f.k).slots_used, 0);
    vmsim_pte_info_t info = query(&f, f.pid, 1);
    assert_true(info.swapped);
    assert_int_equal(info.slot, 0);
    krig_down(&f);
}

/* No user-frame limit, but frames capped (max_frames): user pages fill
 * RAM, and a fault that needs a new page table as well as a frame gets
 * both by evicting user pages. */
static void page_tables_get_frames_by_eviction_when_ram_is_full(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    uint32_t at;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 0, 256);
    krig_up_proc(&f, KRIG_RAM, &kc);
    vmsim_kernel_stats_t boot = kstats(f.k);
    assert_int_equal(vmsim_pmm_set_cap(vmsim_kernel_pmm(f.k), boot.frames_in_use + 24), VMSIM_OK);
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0x40000000u, 64u << 20,
                                VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_FIXED, &at),
                     VMSIM_OK);
    for (uint32_t i = 0; i < 64; i++) /* 4 pages in each of 16 page tables */
        assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER,
                                          0x40000000u + (i / 4) * (4u << 20) + (i % 4) * 4096, 4,
                                          i + 1),
                         VMSIM_OK);
    assert_clean(f.k);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(user_load(f.k, f.pid, 0x40000000u + (i / 4) * (4u << 20) + (i % 4) * 4096),
                         i + 1);
    vmsim_kernel_stats_t st = kstats(f.k);
    assert_true(st.evictions > 64);
    assert_true(st.frames_in_use <= boot.frames_in_use + 24);
    krig_down(&f);
}

/* --- errors: swap full, injected I/O failures --- */

static void full_swap_fails_cleanly_and_loses_nothing(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 2);
    up(&f, &kc);
    for (uint32_t n = 0; n < 4; n++)
        store(&f, f.pid, n); /* pages 0 and 1 fill the two slots */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, PAGE(4), 4, 1), VMSIM_ERR_NO_SWAP);
    assert_int_equal(last_fault(f.k).status, VMSIM_ERR_NO_SWAP);
    assert_int_equal(kstats(f.k).evictions_failed, 1);
    assert_clean(f.k);
    /* Page 2, the victim that could not be written, is still there. */
    assert_int_equal(load(&f, f.pid, 2), 0x2007);
    assert_int_equal(load(&f, f.pid, 3), 0x3007);
    /* Freeing a page makes room: everything reads back. */
    assert_int_equal(vmsim_munmap(f.k, f.pid, PAGE(3), 4096), VMSIM_OK);
    assert_int_equal(load(&f, f.pid, 0), 7);
    assert_int_equal(load(&f, f.pid, 2), 0x2007);
    krig_down(&f);
}

static void injected_page_out_failure_keeps_the_victim(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    assert_int_equal(vmsim_swap_fail_next(f.k, VMSIM_SWAP_OUT, 0, 1), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, PAGE(2), 4, 5), VMSIM_ERR_IO);
    assert_true(query(&f, f.pid, 0).present);
    assert_int_equal(swapstats(f.k).injected_failures, 1);
    assert_clean(f.k);
    store(&f, f.pid, 2); /* the next try works */
    assert_int_equal(load(&f, f.pid, 0), 7);
    assert_int_equal(load(&f, f.pid, 1), 0x1007);
    assert_int_equal(load(&f, f.pid, 2), 0x2007);
    krig_down(&f);
}

static void injected_page_in_failure_leaves_the_page_swapped(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    uint64_t v;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    for (uint32_t n = 0; n < 3; n++)
        store(&f, f.pid, n);
    assert_int_equal(vmsim_swap_fail_next(f.k, VMSIM_SWAP_IN, 0, 1), VMSIM_OK);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, PAGE(0), 4, &v), VMSIM_ERR_IO);
    assert_true(query(&f, f.pid, 0).swapped);
    assert_clean(f.k);
    assert_int_equal(load(&f, f.pid, 0), 7);
    krig_down(&f);
}

/* --- sharing: fork, MAP_SHARED, exit --- */

static void fork_shares_slots_and_each_side_keeps_its_data(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    vmsim_pid_t child;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 3, 32);
    up(&f, &kc);
    for (uint32_t n = 0; n < 6; n++)
        store(&f, f.pid, n);
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    assert_clean(f.k);
    assert_int_equal(vmsim_proc_store(f.k, child, VMSIM_USER, PAGE(0), 4, 99), VMSIM_OK);
    for (uint32_t n = 1; n < 6; n++)
        assert_int_equal(load(&f, child, n), 0x1000u * n + 7);
    for (uint32_t n = 0; n < 6; n++)
        assert_int_equal(load(&f, f.pid, n), 0x1000u * n + 7);
    assert_int_equal(load(&f, child, 0), 99);
    assert_clean(f.k);
    assert_int_equal(vmsim_proc_exit(f.k, child), VMSIM_OK);
    assert_int_equal(vmsim_proc_exit(f.k, f.pid), VMSIM_OK);
    assert_int_equal(swapstats(f.k).slots_used, 0);
    assert_int_equal(kstats(f.k).resident_user_pages, 0);
    krig_down(&f);
}

static void shared_page_is_swapped_once_and_comes_back_shared(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    vmsim_pid_t child;
    uint32_t shared;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 3, 32);
    up(&f, &kc);
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                VMSIM_MAP_SHARED, &shared),
                     VMSIM_OK);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, shared, 4, 42), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    assert_int_equal(user_load(f.k, child, shared), 42);
    for (uint32_t n = 0; n < 6; n++) /* push the shared page out */
        store(&f, f.pid, n);
    vmsim_pte_info_t a, b;
    assert_int_equal(vmsim_proc_query(f.k, f.pid, shared, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_query(f.k, child, shared, &b), VMSIM_OK);
    assert_true(a.swapped && b.swapped);
    assert_int_equal(a.slot, b.slot);
    assert_int_equal(vmsim_proc_store(f.k, child, VMSIM_USER, shared, 4, 43), VMSIM_OK);
    assert_int_equal(user_load(f.k, f.pid, shared), 43);
    assert_int_equal(vmsim_proc_query(f.k, f.pid, shared, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_query(f.k, child, shared, &b), VMSIM_OK);
    assert_true(a.present && b.present);
    assert_int_equal(a.pfn, b.pfn);
    assert_clean(f.k);
    assert_int_equal(vmsim_proc_exit(f.k, child), VMSIM_OK);
    assert_int_equal(vmsim_munmap(f.k, f.pid, BASE, NPAGES * 4096u), VMSIM_OK);
    assert_int_equal(vmsim_munmap(f.k, f.pid, shared, 4096u), VMSIM_OK);
    assert_int_equal(swapstats(f.k).slots_used, 0);
    krig_down(&f);
}

/* --- pinning --- */

/* F = 2 with fifo, page 1 loaded first.  A 4-byte store at the end of
 * page 1 crossing into page 2 translates page 1, faults on page 2, and
 * the kernel needs a frame: without pinning fifo would take page 1,
 * whose translation the access already holds, and the restarted access
 * would fault on it again (a second fault, a swap-in, and page 2 the
 * wrong page out).  Pinned, page 0 goes: one fault, one eviction. */
static void page_crossing_access_never_evicts_its_first_page(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    store(&f, f.pid, 1);
    store(&f, f.pid, 0); /* fifo order: 1, 0 */
    vmsim_kernel_stats_t before = kstats(f.k);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, PAGE(2) - 2, 4, 0xa1b2c3d4u),
                     VMSIM_OK);
    vmsim_kernel_stats_t after = kstats(f.k);
    assert_int_equal(after.faults - before.faults, 1);
    assert_int_equal(after.evictions - before.evictions, 1);
    assert_int_equal(after.faults_swap_in, before.faults_swap_in);
    assert_true(query(&f, f.pid, 1).present);
    assert_true(query(&f, f.pid, 0).swapped);
    uint64_t v;
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, PAGE(2) - 2, 4, &v), VMSIM_OK);
    assert_int_equal(v, 0xa1b2c3d4u);
    assert_int_equal(load(&f, f.pid, 0), 7);
    krig_down(&f);
}

/* Lazy A clearing leaves translations cached with A = 0 in the PTE.
 * Evicting such a page must still drop its translation: clock clears
 * A of pages 0 and 1 (lazily, no INVLPG), wraps and takes page 0, whose
 * TLB entry would otherwise keep pointing at the frame page 2 now owns. */
static void lazy_clearing_still_drops_the_victims_translation(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 2, 8);
    kc.lazy_ad_clear = true;
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    store(&f, f.pid, 2);
    assert_int_equal(kstats(f.k).ad_clear_invlpgs, 0);
    assert_true(query(&f, f.pid, 0).swapped);
    assert_clean(f.k);
    assert_int_equal(load(&f, f.pid, 0), 7);
    assert_int_equal(load(&f, f.pid, 2), 0x2007);
    krig_down(&f);
}

/* --- mlock --- */

static void locked_pages_are_never_evicted(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 4, 32);
    up(&f, &kc);
    store(&f, f.pid, 0);
    store(&f, f.pid, 1);
    for (uint32_t n = 2; n < 8; n++) /* pages 0 and 1 go out */
        store(&f, f.pid, n);
    assert_true(query(&f, f.pid, 0).swapped);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(0), 2 * 4096), VMSIM_OK);
    assert_true(query(&f, f.pid, 0).present); /* brought back in */
    assert_true(query(&f, f.pid, 1).present);
    for (uint32_t n = 2; n < NPAGES; n++)
        store(&f, f.pid, n);
    assert_true(query(&f, f.pid, 0).present);
    assert_true(query(&f, f.pid, 1).present);
    vmsim_proc_info_t pi;
    assert_int_equal(vmsim_proc_get_info(f.k, f.pid, &pi), VMSIM_OK);
    assert_int_equal(pi.locked_pages, 2);
    assert_clean(f.k);
    /* A PROT_NONE page keeps its frame and its data when locked. */
    assert_int_equal(load(&f, f.pid, 8), 0x8007); /* resident */
    assert_int_equal(vmsim_mprotect(f.k, f.pid, PAGE(8), 4096, VMSIM_PROT_NONE), VMSIM_OK);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(8), 4096), VMSIM_OK);
    assert_int_equal(vmsim_mprotect(f.k, f.pid, PAGE(8), 4096, VMSIM_PROT_READ), VMSIM_OK);
    assert_int_equal(load(&f, f.pid, 8), 0x8007);
    assert_int_equal(vmsim_munlock(f.k, f.pid, PAGE(8), 4096), VMSIM_OK);
    assert_int_equal(vmsim_mprotect(f.k, f.pid, PAGE(8), 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE),
                     VMSIM_OK);
    assert_int_equal(vmsim_munlock(f.k, f.pid, PAGE(0), 2 * 4096), VMSIM_OK);
    for (uint32_t n = 2; n < NPAGES; n++)
        assert_int_equal(load(&f, f.pid, n), 0x1000u * n + 7);
    assert_true(query(&f, f.pid, 0).swapped); /* evictable again */
    krig_down(&f);
}

static void locking_more_than_allowed_fails_and_locks_nothing(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 4, 32);
    kc.max_locked_pages = 3;
    up(&f, &kc);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(0), 4 * 4096), VMSIM_ERR_NO_SPACE);
    /* More than the frames can hold: every page cannot be resident at once. */
    kc.max_locked_pages = 0;
    krig_down(&f);
    up(&f, &kc);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(0), 5 * 4096), VMSIM_ERR_NO_FRAMES);
    vmsim_proc_info_t pi;
    assert_int_equal(vmsim_proc_get_info(f.k, f.pid, &pi), VMSIM_OK);
    assert_int_equal(pi.locked_pages, 0);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(0), 3 * 4096), VMSIM_OK);
    uint32_t at;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 2 * 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                VMSIM_MAP_LOCKED, &at),
                     VMSIM_ERR_NO_FRAMES); /* 3 locked + 2 > 4 frames: undone */
    assert_int_equal(
        vmsim_mmap(f.k, f.pid, 0, 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_LOCKED, &at),
        VMSIM_OK);
    assert_int_equal(vmsim_proc_get_info(f.k, f.pid, &pi), VMSIM_OK);
    assert_int_equal(pi.locked_pages, 4);
    assert_int_equal(vmsim_mlock(f.k, f.pid, 0x20000000u, 4096), VMSIM_ERR_NOT_FOUND);
    krig_down(&f);
}

/* --- the helpers a policy uses --- */

static bool count_mapping(void *user, vmsim_pid_t pid, uint32_t vaddr, uint32_t pte)
{
    uint32_t *n = user;
    (void)pid;
    if (vaddr == PAGE(0) && (pte & VMSIM_PTE_P))
        (*n)++;
    return true;
}

static void helpers_see_every_mapping_of_a_frame(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    vmsim_pid_t child;
    uint32_t n = 0;
    bool r = false, d = false;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 8, 16);
    up(&f, &kc);
    store(&f, f.pid, 0);
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    assert_int_equal(load(&f, child, 0), 7);
    uint32_t pfn = query(&f, f.pid, 0).pfn;
    assert_int_equal(query(&f, child, 0).pfn, pfn); /* COW-shared */
    assert_int_equal(vmsim_page_foreach_mapping(f.k, pfn, count_mapping, &n), VMSIM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vmsim_page_accessed(f.k, pfn, true, &r), VMSIM_OK);
    assert_true(r);
    assert_int_equal(vmsim_page_accessed(f.k, pfn, false, &r), VMSIM_OK);
    assert_false(r); /* cleared in both PTEs */
    assert_false(query(&f, f.pid, 0).accessed);
    assert_false(query(&f, child, 0).accessed);
    assert_int_equal(vmsim_page_dirty(f.k, pfn, true, &d), VMSIM_OK);
    assert_true(d); /* the parent wrote it before fork */
    assert_int_equal(vmsim_page_dirty(f.k, pfn, false, &d), VMSIM_OK);
    assert_true(d); /* D cleared in the PTEs, remembered by the kernel */
    assert_false(query(&f, f.pid, 0).dirty);
    assert_true(vmsim_page_evictable(f.k, pfn));
    assert_false(vmsim_page_evictable(f.k, 0));
    assert_int_equal(vmsim_page_accessed(f.k, 0, false, &r), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_page_foreach_mapping(f.k, pfn, NULL, NULL), VMSIM_ERR_NULL);
    assert_clean(f.k);
    /* The remembered D makes eviction write the page back. */
    for (uint32_t n2 = 1; n2 < 12; n2++)
        store(&f, f.pid, n2);
    assert_int_equal(load(&f, child, 0), 7);
    assert_int_equal(load(&f, f.pid, 0), 7);
    krig_down(&f);
}

/* --- the checker sees swap --- */

/* The physical address of the PTE of `va` in the current space. */
static uint32_t pte_paddr(vmsim_machine_t *m, uint32_t va)
{
    uint64_t cr3;
    uint32_t pde;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    vmsim_bus_read32(m, (cr3 & ~0xfffull) + (va >> 22) * 4, &pde);
    return (pde & ~0xfffu) + ((va >> 12) & 1023) * 4;
}

static void checker_catches_a_wrong_slot_and_a_stale_swap_cache(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    uint32_t pte;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 2, 8);
    up(&f, &kc);
    for (uint32_t n = 0; n < 3; n++)
        store(&f, f.pid, n); /* page 0 in slot 1 */
    assert_int_equal(vmsim_proc_switch(f.k, f.pid), VMSIM_OK);
    uint32_t at = pte_paddr(f.m, PAGE(0));
    vmsim_bus_read32(f.m, at, &pte);
    vmsim_bus_write32(f.m, at, pte + (1u << 12)); /* names slot 2, which is free */
    expect_problem(f.k, VMSIM_CHECK_SWAP_SLOT);
    vmsim_bus_write32(f.m, at, pte);
    assert_clean(f.k);
    assert_int_equal(load(&f, f.pid, 0), 7); /* back in, clean, slot 1 cached */
    vmsim_pte_info_t info = query(&f, f.pid, 0);
    uint32_t byte = 0x99;
    vmsim_bus_write(f.m, ((uint64_t)info.pfn << 12) + 100, &byte, 1); /* behind the kernel's back */
    expect_problem(f.k, VMSIM_CHECK_SWAP_CACHE);
    byte = 0;
    vmsim_bus_write(f.m, ((uint64_t)info.pfn << 12) + 100, &byte, 1);
    assert_clean(f.k);
    krig_down(&f);
}

static void checker_catches_a_locked_page_gone(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_FIFO, 4, 8);
    up(&f, &kc);
    store(&f, f.pid, 0);
    assert_int_equal(vmsim_mlock(f.k, f.pid, PAGE(0), 2 * 4096), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, f.pid), VMSIM_OK);
    uint32_t at = pte_paddr(f.m, PAGE(1)), pte;
    vmsim_bus_read32(f.m, at, &pte);
    vmsim_bus_write32(f.m, at, 0);
    expect_problem(f.k, VMSIM_CHECK_LOCKED);
    vmsim_bus_write32(f.m, at, pte);
    assert_clean(f.k);
    krig_down(&f);
}

/* A policy that forgets one page it was told about: the built-in clock
 * behind a box, whose tracks() leaves out forgotten_pfn. */
static uint32_t forgotten_pfn;

static const vmsim_policy_ops_t *clock_ops(void)
{
    return vmsim_policy_builtin(VMSIM_POLICY_CLOCK);
}

static vmsim_status_t forgetful_init(vmsim_kernel_t *k, void *user, void **state)
{
    void **box = malloc(sizeof *box);
    if (!box)
        return VMSIM_ERR_NOMEM;
    vmsim_status_t rc = clock_ops()->init(k, user, box);
    if (rc)
        free(box);
    else
        *state = box;
    return rc;
}

static void forgetful_loaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    clock_ops()->loaded(k, *(void **)state, pfn);
}

static void forgetful_unloaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    clock_ops()->unloaded(k, *(void **)state, pfn);
}

static vmsim_status_t forgetful_choose(vmsim_kernel_t *k, void *state, uint32_t *victim)
{
    return clock_ops()->choose(k, *(void **)state, victim);
}

static void forgetful_destroy(vmsim_kernel_t *k, void *state)
{
    clock_ops()->destroy(k, *(void **)state);
    free(state);
}

static bool forgetful_tracks(const vmsim_kernel_t *k, const void *state, uint32_t pfn)
{
    const vmsim_policy_ops_t *clock = vmsim_policy_builtin(VMSIM_POLICY_CLOCK);
    (void)state;
    return clock->tracks(k, *(void *const *)state, pfn) && pfn != forgotten_pfn;
}

static void checker_catches_a_policy_out_of_step(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    (void)state;
    swap_config(&kc, VMSIM_POLICY_CLOCK, 4, 8);
    vmsim_policy_ops_t ops = *vmsim_policy_builtin(VMSIM_POLICY_CLOCK);
    ops.init = forgetful_init;
    ops.loaded = forgetful_loaded;
    ops.unloaded = forgetful_unloaded;
    ops.choose = forgetful_choose;
    ops.tracks = forgetful_tracks;
    ops.destroy = forgetful_destroy;
    kc.policy_ops = &ops;
    up(&f, &kc);
    store(&f, f.pid, 0);
    assert_clean(f.k);
    forgotten_pfn = query(&f, f.pid, 0).pfn;
    expect_problem(f.k, VMSIM_CHECK_POLICY);
    forgotten_pfn = 0;
    krig_down(&f);
}

static void file_backed_swap_works_and_is_removed(void **state)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    char path[] = "/tmp/vmsim-swap-XXXXXX";
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    swap_config(&kc, VMSIM_POLICY_CLOCK, 3, 16);
    kc.swap_file = path;
    up(&f, &kc);
    for (uint32_t n = 0; n < 10; n++)
        store(&f, f.pid, n);
    for (uint32_t n = 0; n < 10; n++)
        assert_int_equal(load(&f, f.pid, n), 0x1000u * n + 7);
    assert_true(swapstats(f.k).page_outs >= 7);
    assert_int_equal(swapstats(f.k).host_bytes, 0); /* the file holds them */
    assert_int_equal(access(path, F_OK), 0);
    krig_down(&f);
    assert_int_equal(access(path, F_OK), -1);
    /* A file that cannot be created: boot says so. */
    kc.swap_file = "/nonexistent-dir/swap";
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    assert_int_equal(krig_boot(KRIG_RAM, &kc, &m, &k), VMSIM_ERR_IO);
}

/* --- policies, hand-worked ---
 * refs: "1 2w 3": page numbers, w for a write.  The driver counts the
 * paging faults, evictions and write-backs, and after every `tick`
 * references calls vmsim_kernel_tick() (0: never). */

struct outcome {
    uint64_t faults, evictions, writebacks;
};

static struct outcome drive(struct krig *f, const char *refs, uint32_t tick)
{
    uint32_t n_refs = 0;
    for (const char *s = refs; *s;) {
        char *end;
        uint32_t page = (uint32_t)strtoul(s, &end, 10);
        if (*end == 'w') {
            store(f, f->pid, page);
            end++;
        } else {
            load(f, f->pid, page);
        }
        if (tick && ++n_refs % tick == 0)
            assert_int_equal(vmsim_kernel_tick(f->k), VMSIM_OK);
        s = end + strspn(end, " ");
    }
    vmsim_kernel_stats_t st = kstats(f->k);
    return (struct outcome){paging_faults(f->k), st.evictions, st.writebacks};
}

static void policy_up(struct krig *f, vmsim_policy_kind_t policy, uint32_t frames)
{
    vmsim_kernel_config_t kc;
    swap_config(&kc, policy, frames, 32);
    kc.aging_bits = 2;
    up(f, &kc);
}

static void expect_resident(struct krig *f, const char *pages)
{
    for (uint32_t n = 1; n < 10; n++) {
        bool want = strchr(pages, (int)('0' + n)) != NULL;
        vmsim_pte_info_t info = query(f, f->pid, n);
        if (info.present != want)
            fail_msg("page %u: resident %d, expected %d", n, info.present, want);
    }
}

/* Clock, F = 3, Belady's string: 1 2 3 fill frames a b c; 4 clears R
 * of 1 2 3, wraps, takes 1 (hand -> b); 1 takes 2 (hand -> c); 2 takes 3
 * (hand -> a); 5 clears 4 1 2, wraps, takes 4 (hand -> b); 1, 2 hit; 3
 * clears 1 2 5, takes 1 (hand -> c); 4 takes 2; 5 hits.  9 faults, 6
 * evictions, and 5 3 4 resident. */
static void clock_hand_worked(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_CLOCK, 3);
    struct outcome o = drive(&f, "1 2 3 4 1 2 5 1 2 3 4 5", 0);
    assert_int_equal(o.faults, 9);
    assert_int_equal(o.evictions, 6);
    assert_int_equal(o.writebacks, 0);
    expect_resident(&f, "345");
    krig_down(&f);
}

/* Clock moves its hand past a pinned page without touching its bits:
 * 1 2 3 resident with R = 1, 1 pinned; 4: the hand passes 1, clears 2
 * and 3, passes 1 again and takes 2.  1 keeps its A bit, 3 lost it. */
static void clock_passes_a_pinned_page_without_clearing_it(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_CLOCK, 3);
    drive(&f, "1 2 3", 0);
    assert_int_equal(vmsim_proc_pin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    drive(&f, "4", 0);
    assert_int_equal(vmsim_proc_unpin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    assert_int_equal(vmsim_proc_unpin(f.k, f.pid, PAGE(1)), VMSIM_ERR_NOT_FOUND);
    expect_resident(&f, "134");
    assert_true(query(&f, f.pid, 1).accessed);
    assert_false(query(&f, f.pid, 3).accessed);
    krig_down(&f);
}

/* Eclock, F = 3: 1w 2 3 fill a b c.  4: round (1) finds no R = 0; round
 * (2) finds 1 2 3 with R = 1 and clears each; round (1) again: 1 is
 * dirty, 2 is clean -> 2 goes (hand -> c).  5:
 * round (1) at c: 3 is R = 0, D = 0 -> 3 goes (hand -> a).  6: round (1)
 * finds nothing (1 dirty, 4 and 5 referenced); round (2) takes 1 at
 * once, clearing nothing else: 4 and 5 keep their A bits.  Clock on the
 * same string evicts the dirty page 1 first. */
static void eclock_hand_worked(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_ECLOCK, 3);
    struct outcome o = drive(&f, "1w 2 3 4", 0);
    assert_int_equal(o.writebacks, 0);
    expect_resident(&f, "134");
    o = drive(&f, "5", 0);
    expect_resident(&f, "145");
    o = drive(&f, "6", 0);
    assert_int_equal(o.faults, 6);
    assert_int_equal(o.evictions, 3);
    assert_int_equal(o.writebacks, 1);
    expect_resident(&f, "456");
    assert_true(query(&f, f.pid, 4).accessed); /* round (2) stopped before it */
    assert_true(query(&f, f.pid, 5).accessed);
    krig_down(&f);
    policy_up(&f, VMSIM_POLICY_CLOCK, 3);
    o = drive(&f, "1w 2 3 4", 0);
    assert_int_equal(o.writebacks, 1);
    expect_resident(&f, "234");
    krig_down(&f);
}

/* Aging, k = 2, a tick every 3 references, F = 2: 1 2 1 | tick: both
 * counters 2 (binary 10), R = 0 | 3: keys 2 and 2, the tie goes to the
 * page resident longest, 1 | 2 | 1: keys 3 -> 4 (R = 1, counter 0) and
 * 2 -> 6: 3 goes | tick: 1 -> 2, 2 -> 3 | 3: 1 goes.  5 faults, 3
 * evictions, 2 and 3 resident. */
static void aging_hand_worked(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_AGING, 2);
    struct outcome o = drive(&f, "1 2 1 3", 3);
    expect_resident(&f, "23");
    o = drive(&f, "2 1", 0);
    expect_resident(&f, "12");
    assert_int_equal(vmsim_kernel_tick(f.k), VMSIM_OK); /* after reference 6 */
    o = drive(&f, "3", 0);
    assert_int_equal(o.faults, 5);
    assert_int_equal(o.evictions, 3);
    expect_resident(&f, "23");
    assert_int_equal(kstats(f.k).ticks, 2);
    krig_down(&f);
}

/* Random, seed 1, F = 3: xorshift32 draws 270369 (mod 3 = 0), 67634689
 * (1), 2647435461 (0): 4 replaces the page in frame a (1), 5 the one in
 * b (2), 6 the one in a again (4). */
static void random_hand_worked(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_RANDOM, 3);
    drive(&f, "1 2 3 4", 0);
    expect_resident(&f, "234");
    drive(&f, "5", 0);
    expect_resident(&f, "345");
    drive(&f, "6", 0);
    expect_resident(&f, "356");
    krig_down(&f);
}

/* Random takes the next evictable frame up when its draw lands on a
 * pinned one: 1 2 3 in frames a b c, 1 pinned; the first draw (270369,
 * mod 3 = 0) lands on a, so b's page 2 goes. */
static void random_skips_a_pinned_draw_to_the_next_frame_up(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_RANDOM, 3);
    drive(&f, "1 2 3", 0);
    assert_int_equal(vmsim_proc_pin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    drive(&f, "4", 0);
    assert_int_equal(vmsim_proc_unpin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    expect_resident(&f, "134");
    krig_down(&f);
}

/* Eclock passes a pinned page in every round without touching it: 1 2 3
 * resident (R = 1), 1 pinned; 4: round (1) finds nothing, round (2)
 * clears R of 2 and 3 but not of 1, round (1) again takes 2. */
static void eclock_passes_a_pinned_page_keeping_its_bits(void **state)
{
    struct krig f;
    (void)state;
    policy_up(&f, VMSIM_POLICY_ECLOCK, 3);
    drive(&f, "1 2 3", 0);
    assert_int_equal(vmsim_proc_pin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    drive(&f, "4", 0);
    assert_int_equal(vmsim_proc_unpin(f.k, f.pid, PAGE(1)), VMSIM_OK);
    expect_resident(&f, "134");
    assert_true(query(&f, f.pid, 1).accessed);
    assert_false(query(&f, f.pid, 3).accessed);
    krig_down(&f);
}

/* --- policies on textbook strings --- */

static uint64_t run_reads(vmsim_policy_kind_t policy, uint32_t frames, const uint8_t *refs,
                          size_t n)
{
    vmsim_kernel_config_t kc;
    struct krig f;
    swap_config(&kc, policy, frames, 32);
    up(&f, &kc);
    for (size_t i = 0; i < n; i++)
        load(&f, f.pid, refs[i]);
    uint64_t faults = paging_faults(f.k);
    krig_down(&f);
    return faults;
}

static void fifo_shows_beladys_anomaly(void **state)
{
    static const uint8_t belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    (void)state;
    assert_int_equal(run_reads(VMSIM_POLICY_FIFO, 3, belady, sizeof belady), 9);
    assert_int_equal(run_reads(VMSIM_POLICY_FIFO, 4, belady, sizeof belady), 10);
}

static void fifo_on_the_textbook_string(void **state)
{
    static const uint8_t sgg[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
    (void)state;
    assert_int_equal(run_reads(VMSIM_POLICY_FIFO, 3, sgg, sizeof sgg), 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_kernel_has_no_swap),
        cmocka_unit_test(bad_swap_configs_are_refused),
        cmocka_unit_test(pages_evicted_under_the_limit_come_back_intact),
        cmocka_unit_test(query_says_swapped_out_to_slot),
        cmocka_unit_test(clean_swapped_in_page_is_evicted_without_a_write),
        cmocka_unit_test(never_written_page_comes_back_demand_zero),
        cmocka_unit_test(dirty_prot_none_page_is_written_back),
        cmocka_unit_test(page_tables_get_frames_by_eviction_when_ram_is_full),
        cmocka_unit_test(full_swap_fails_cleanly_and_loses_nothing),
        cmocka_unit_test(injected_page_out_failure_keeps_the_victim),
        cmocka_unit_test(injected_page_in_failure_leaves_the_page_swapped),
        cmocka_unit_test(fork_shares_slots_and_each_side_keeps_its_data),
        cmocka_unit_test(shared_page_is_swapped_once_and_comes_back_shared),
        cmocka_unit_test(page_crossing_access_never_evicts_its_first_page),
        cmocka_unit_test(lazy_clearing_still_drops_the_victims_translation),
        cmocka_unit_test(locked_pages_are_never_evicted),
        cmocka_unit_test(locking_more_than_allowed_fails_and_locks_nothing),
        cmocka_unit_test(helpers_see_every_mapping_of_a_frame),
        cmocka_unit_test(checker_catches_a_wrong_slot_and_a_stale_swap_cache),
        cmocka_unit_test(checker_catches_a_locked_page_gone),
        cmocka_unit_test(checker_catches_a_policy_out_of_step),
        cmocka_unit_test(file_backed_swap_works_and_is_removed),
        cmocka_unit_test(clock_hand_worked),
        cmocka_unit_test(clock_passes_a_pinned_page_without_clearing_it),
        cmocka_unit_test(eclock_hand_worked),
        cmocka_unit_test(aging_hand_worked),
        cmocka_unit_test(random_hand_worked),
        cmocka_unit_test(random_skips_a_pinned_draw_to_the_next_frame_up),
        cmocka_unit_test(eclock_passes_a_pinned_page_keeping_its_bits),
        cmocka_unit_test(fifo_shows_beladys_anomaly),
        cmocka_unit_test(fifo_on_the_textbook_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
