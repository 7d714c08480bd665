/*
 * test_area.c - the area allocator (vmalloc): immediate and on-demand
 * areas reached through the MMU in supervisor mode, splitting and
 * merging, the three fit strategies, guard pages and freed areas as
 * kernel faults, exactly the INVLPGs a vfree needs, bad frees, running
 * out of address space and of frames (every failure point), statistics,
 * and the checker's view.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define PAGE 4096u
#define BASE VMSIM_VMALLOC_BASE
#define SUP  VMSIM_SUPERVISOR

static vmsim_area_stats_t astats(vmsim_kernel_t *k)
{
    vmsim_area_stats_t st;
    assert_int_equal(vmsim_area_stats(k, &st), VMSIM_OK);
    return st;
}

/* --- immediate areas ------------------------------------------------------- */

static void immediate_area(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    uint32_t a, w;
    assert_int_equal(vmsim_vmalloc(f.k, 3 * PAGE + 1, 0, &a), VMSIM_OK);
    assert_int_equal(a, BASE); /* first fit: the bottom of the range */
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 4);
    assert_int_equal(st1.kmem_frames, 4);
    assert_int_equal(st1.page_tables, st0.page_tables); /* kernel PTs exist since boot */
    assert_int_equal(st1.user_frames, 0);
    /* zeroed, and reachable in supervisor mode only */
    for (uint32_t off = 0; off < 4 * PAGE; off += 1024) {
        assert_int_equal(vmsim_read32(f.m, SUP, a + off, &w), VMSIM_OK);
        assert_int_equal(w, 0);
    }
    assert_int_equal(vmsim_write32(f.m, SUP, a + 3 * PAGE + 4092, 0x12345678), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, SUP, a + 3 * PAGE + 4092, &w), VMSIM_OK);
    assert_int_equal(w, 0x12345678);
    assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a, &w), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(last_fault(f.k).kind, VMSIM_KFAULT_SEGV);
    vmsim_area_stats_t as = astats(f.k);
    assert_int_equal(as.n_areas, 1);
    assert_int_equal(as.bytes_used, 4 * PAGE);
    assert_int_equal(as.bytes_requested, 3 * PAGE + 1);
    assert_int_equal(as.pages_backed, 4);
    assert_clean(f.k);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    vmsim_kernel_stats_t st2 = kstats(f.k);
    assert_int_equal(st2.frames_in_use, st0.frames_in_use);
    assert_int_equal(st2.kmem_frames, 0);
    /* every page was touched (zeroed through its mapping): one INVLPG each */
    assert_int_equal(st2.invlpgs - st1.invlpgs, 4);
    assert_int_equal(astats(f.k).invlpgs, 4);
    krig_down(&f);
}

static void kernel_bank_counts_zeroing(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_stats_t p0, k0, p1, k1;
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &p0);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k0);
    uint32_t a;
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, 0, &a), VMSIM_OK);
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &p1);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &k1);
    assert_int_equal(p1.dtlb.lookups, p0.dtlb.lookups); /* the kernel's work is its own */
    assert_true(k1.dtlb.lookups > k0.dtlb.lookups);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

/* --- splitting, merging, fitting ----------------------------------------------- */

static uint32_t n_free_areas(vmsim_kernel_t *k)
{
    return astats(k).n_free_areas;
}

static void split_and_merge(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, c;
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, VMSIM_VM_DEMAND, &b), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, 0, &c), VMSIM_OK);
    assert_int_equal(b, a + 2 * PAGE);
    assert_int_equal(c, b + 2 * PAGE);
    assert_int_equal(n_free_areas(f.k), 1);
    vmsim_area_info_t list[8];
    uint32_t n;
    assert_int_equal(vmsim_area_list(f.k, list, 8, &n), VMSIM_OK);
    assert_int_equal(n, 4);
    assert_true(list[0].used && list[1].used && list[2].used && !list[3].used);
    assert_true(list[1].demand && !list[0].demand);
    assert_int_equal(list[3].start, c + 2 * PAGE);
    /* a hole in the middle, then its left neighbour merges into it */
    assert_int_equal(vmsim_vfree(f.k, b), VMSIM_OK);
    assert_int_equal(n_free_areas(f.k), 2);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(n_free_areas(f.k), 2);
    assert_int_equal(vmsim_area_list(f.k, list, 8, &n), VMSIM_OK);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].start, BASE);
    assert_int_equal(list[0].n_pages, 4);
    assert_false(list[0].used);
    /* the last one joins both sides: the whole range is one area again */
    assert_int_equal(vmsim_vfree(f.k, c), VMSIM_OK);
    assert_int_equal(vmsim_area_list(f.k, list, 8, &n), VMSIM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].n_pages, (VMSIM_VMALLOC_END - BASE) / PAGE);
    vmsim_area_stats_t as = astats(f.k);
    assert_int_equal(as.largest_free, VMSIM_VMALLOC_END - BASE);
    assert_true(as.external_fragmentation == 0.0);
    krig_down(&f);
}

/* Leave holes of 4 and 2 pages low in the range, then ask for 2 pages. */
static uint32_t place_with(vmsim_area_fit_t fit, uint32_t *hole4, uint32_t *hole2, uint32_t *tail)
{
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    assert_int_equal(vmsim_area_set_fit(f.k, fit), VMSIM_OK);
    uint32_t x1, s1, x2, s2, got;
    assert_int_equal(vmsim_vmalloc(f.k, 4 * PAGE, VMSIM_VM_DEMAND, &x1), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_DEMAND, &s1), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, VMSIM_VM_DEMAND, &x2), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_DEMAND, &s2), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, x1), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, x2), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, VMSIM_VM_DEMAND, &got), VMSIM_OK);
    *hole4 = x1;
    *hole2 = x2;
    *tail = s2 + PAGE;
    krig_down(&f);
    return got;
}

static void fit_strategies(void **state)
{
    (void)state;
    uint32_t hole4, hole2, tail, got;
    got = place_with(VMSIM_FIT_FIRST, &hole4, &hole2, &tail);
    assert_int_equal(got, hole4);
    got = place_with(VMSIM_FIT_BEST, &hole4, &hole2, &tail);
    assert_int_equal(got, hole2);
    got = place_with(VMSIM_FIT_NEXT, &hole4, &hole2, &tail);
    assert_int_equal(got, tail);
    assert_true(hole4 != hole2 && hole2 != tail);
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    assert_int_equal(vmsim_area_set_fit(f.k, (vmsim_area_fit_t)7), VMSIM_ERR_INVALID);
    assert_int_equal(astats(f.k).fit, VMSIM_FIT_FIRST);
    krig_down(&f);
}

static void next_fit_wraps(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    assert_int_equal(vmsim_area_set_fit(f.k, VMSIM_FIT_NEXT), VMSIM_OK);
    uint32_t total = (VMSIM_VMALLOC_END - BASE), a, b, c;
    /* fill the range but for a hole at the bottom: the search must wrap */
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, total - PAGE, VMSIM_VM_DEMAND, &b), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_DEMAND, &c), VMSIM_ERR_NO_SPACE);
    assert_int_equal(c, 0);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_DEMAND, &c), VMSIM_OK);
    assert_int_equal(c, a);
    assert_int_equal(astats(f.k).bytes_free, 0);
    assert_int_equal(vmsim_vfree(f.k, b), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, c), VMSIM_OK);
    krig_down(&f);
}

/* --- on demand, guard pages, freed areas ---------------------------------------- */

static void demand_area(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, w;
    vmsim_kernel_stats_t st0 = kstats(f.k);
    assert_int_equal(vmsim_vmalloc(f.k, 8 * PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use); /* nothing yet */
    assert_int_equal(vmsim_write32(f.m, SUP, a + 3 * PAGE + 8, 0xfeed), VMSIM_OK);
    assert_int_equal(last_fault(f.k).kind, VMSIM_KFAULT_VMALLOC);
    assert_int_equal(vmsim_read32(f.m, SUP, a + 5 * PAGE, &w), VMSIM_OK);
    assert_int_equal(w, 0);
    assert_int_equal(vmsim_read32(f.m, SUP, a + 3 * PAGE + 8, &w), VMSIM_OK);
    assert_int_equal(w, 0xfeed);
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.faults_vmalloc, 2);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 2);
    assert_int_equal(astats(f.k).demand_faults, 2);
    /* a fault the handler resolved counts as handled for the machine */
    vmsim_stats_t prog;
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &prog);
    assert_int_equal(prog.faults_handled, 2);
    vmsim_area_info_t info;
    assert_int_equal(vmsim_area_list(f.k, &info, 1, NULL), VMSIM_OK);
    assert_int_equal(info.pages_backed, 2);
    assert_clean(f.k);
    /* exactly the two touched pages need an INVLPG */
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    vmsim_kernel_stats_t st2 = kstats(f.k);
    assert_int_equal(st2.invlpgs - st1.invlpgs, 2);
    assert_int_equal(st2.frames_in_use, st0.frames_in_use);
    krig_down(&f);
}

static void demand_bytes_across_pages(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a;
    uint8_t out[3 * PAGE], in[3 * PAGE];
    for (uint32_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(vmsim_vmalloc(f.k, 4 * PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_write_bytes(f.m, SUP, a + 100, out, sizeof out, NULL), VMSIM_OK);
    assert_int_equal(vmsim_read_bytes(f.m, SUP, a + 100, in, sizeof in, NULL), VMSIM_OK);
    assert_memory_equal(in, out, sizeof in);
    assert_int_equal(astats(f.k).pages_backed, 4);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

static void guard_page_faults(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, w;
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_GUARD, &a), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, VMSIM_VM_GUARD | VMSIM_VM_DEMAND, &b), VMSIM_OK);
    assert_int_equal(b, a + 2 * PAGE); /* the guard page is part of the area */
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE - 4, 1), VMSIM_OK);
    /* one word too far */
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE, 1), VMSIM_ERR_PAGE_FAULT);
    vmsim_kfault_t kf = last_fault(f.k);
    assert_int_equal(kf.kind, VMSIM_KFAULT_GUARD);
    assert_int_equal(kf.status, VMSIM_ERR_KERNEL);
    assert_int_equal(kf.cr2, a + PAGE);
    /* an on-demand area's guard is no more backable than an immediate one's */
    assert_int_equal(vmsim_read32(f.m, SUP, b + PAGE + 64, &w), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(last_fault(f.k).kind, VMSIM_KFAULT_GUARD);
    vmsim_kernel_stats_t st = kstats(f.k);
    assert_int_equal(st.faults_guard, 2);
    assert_int_equal(st.faults_kernel, 2);
    assert_int_equal(astats(f.k).guard_pages, 2);
    assert_clean(f.k);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, b), VMSIM_OK);
    assert_int_equal(astats(f.k).guard_pages, 0);
    krig_down(&f);
}

static void freed_area_faults(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, w;
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a, 5), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    /* the TLB entry went with the INVLPG: the access faults, and is not
     * backed again: a use after vfree is a kernel error, as data */
    assert_int_equal(vmsim_read32(f.m, SUP, a, &w), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(last_fault(f.k).kind, VMSIM_KFAULT_KERNEL);
    assert_int_equal(vmsim_read32(f.m, SUP, 0xE0000000u, &w), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(last_fault(f.k).kind, VMSIM_KFAULT_KERNEL);
    assert_int_equal(kstats(f.k).faults_vmalloc, 1);
    krig_down(&f);
}

static void skip_invlpg_is_caught(void **state)
{
    (void)state;
    struct krig f;
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.bugs = VMSIM_BUG_SKIP_INVLPG;
    krig_up(&f, KRIG_RAM, &kc);
    uint32_t a, w;
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a, 77), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    /* the stale global entry still reaches the freed frame */
    assert_int_equal(vmsim_read32(f.m, SUP, a, &w), VMSIM_OK);
    assert_int_equal(w, 77);
    vmsim_check_report_t rep;
    assert_int_equal(vmsim_check(f.k, &rep), VMSIM_ERR_CORRUPT);
    bool found = false;
    for (uint32_t i = 0; i < rep.n_stored; i++)
        found |= rep.problems[i].kind == VMSIM_CHECK_STALE_TLB && rep.problems[i].vaddr == a;
    assert_true(found);
    vmsim_kernel_shutdown(f.k);
    vmsim_destroy(f.m);
}

static void without_global_pages(void **state)
{
    (void)state;
    struct krig f;
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.global_kernel = false;
    krig_up(&f, KRIG_RAM, &kc);
    uint32_t a, w;
    vmsim_pid_t pid;
    assert_int_equal(vmsim_vmalloc(f.k, 3 * PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE, 6), VMSIM_OK);
    assert_int_equal(vmsim_proc_create(f.k, &pid), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, pid), VMSIM_OK); /* flushes the kernel's entries */
    assert_int_equal(vmsim_read32(f.m, SUP, a + PAGE, &w), VMSIM_OK);
    assert_int_equal(w, 6);
    uint64_t inv0 = kstats(f.k).invlpgs;
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(kstats(f.k).invlpgs - inv0, 1);
    assert_int_equal(vmsim_read32(f.m, SUP, a + PAGE, &w), VMSIM_ERR_PAGE_FAULT);
    krig_down(&f);
}

/* --- every address space sees the same areas ----------------------------------------- */

static void shared_by_every_space(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, w;
    vmsim_pid_t p1, p2;
    assert_int_equal(vmsim_vmalloc(f.k, 6u << 20, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a + (5u << 20), 0xabc), VMSIM_OK);
    assert_int_equal(vmsim_proc_create(f.k, &p1), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, p1), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, SUP, a + (5u << 20), &w), VMSIM_OK);
    assert_int_equal(w, 0xabc);
    /* backed while p1 is current, seen from p2 and the kernel's space */
    assert_int_equal(vmsim_write32(f.m, SUP, a + 8, 0xdef), VMSIM_OK);
    assert_int_equal(vmsim_proc_fork(f.k, p1, &p2), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, p2), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, SUP, a + 8, &w), VMSIM_OK);
    assert_int_equal(w, 0xdef);
    assert_clean(f.k);
    /* freed while p2 is current: the global entries must go anyway */
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, p1), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, SUP, a + 8, &w), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_proc_exit(f.k, p1), VMSIM_OK);
    assert_int_equal(vmsim_proc_exit(f.k, p2), VMSIM_OK);
    assert_int_equal(kstats(f.k).kmem_frames, 0);
    krig_down(&f);
}

static void large_immediate_area(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, w;
    vmsim_kernel_stats_t st0 = kstats(f.k);
    /* 5 MiB: more than one page table's worth, and more than a PTE chunk */
    assert_int_equal(vmsim_vmalloc(f.k, 5u << 20, VMSIM_VM_GUARD, &a), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use - st0.frames_in_use, 1280);
    assert_int_equal(vmsim_write32(f.m, SUP, a + (5u << 20) - 4, 9), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, SUP, a + (4u << 20), &w), VMSIM_OK);
    assert_clean(f.k);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use, st0.frames_in_use);
    krig_down(&f);
}

/* --- bad frees and bad arguments ---------------------------------------------------- */

static void bad_frees(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a, b, k8;
    assert_int_equal(vmsim_vmalloc(f.k, 2 * PAGE, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, 0, &b), VMSIM_OK);
    assert_int_equal(vmsim_kmalloc(f.k, 3 * PAGE, &k8), VMSIM_OK); /* an area too */
    vmsim_kernel_stats_t st0 = kstats(f.k);
    assert_int_equal(vmsim_vfree(f.k, a + PAGE), VMSIM_ERR_BAD_FREE);    /* interior */
    assert_int_equal(vmsim_vfree(f.k, a + 16), VMSIM_ERR_BAD_FREE);      /* interior */
    assert_int_equal(vmsim_vfree(f.k, 0xE0000000u), VMSIM_ERR_BAD_FREE); /* never */
    assert_int_equal(vmsim_vfree(f.k, 0x40000000u), VMSIM_ERR_BAD_FREE); /* user space */
    assert_int_equal(vmsim_vfree(f.k, VMSIM_VMALLOC_END), VMSIM_ERR_BAD_FREE);
    assert_int_equal(vmsim_vfree(f.k, k8), VMSIM_ERR_BAD_FREE); /* kmalloc's */
    assert_int_equal(vmsim_kfree(f.k, b), VMSIM_ERR_BAD_FREE);  /* vmalloc's */
    assert_int_equal(vmsim_vfree(f.k, 0), VMSIM_OK);            /* no-op */
    assert_int_equal(vmsim_vfree(f.k, b), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, b), VMSIM_ERR_BAD_FREE); /* double */
    vmsim_kmem_stats_t ks;
    assert_int_equal(vmsim_kmem_stats(f.k, &ks), VMSIM_OK);
    assert_int_equal(ks.interior_frees, 2);
    assert_int_equal(ks.invalid_frees, 4);
    assert_int_equal(ks.mismatched_frees, 2);
    assert_int_equal(astats(f.k).bad_frees, 7);
    /* nothing moved: a and the kmalloc area are intact */
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.frames_in_use, st0.frames_in_use - 1);
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE, 3), VMSIM_OK);
    assert_int_equal(astats(f.k).n_areas, 2);
    assert_clean(f.k);
    assert_int_equal(vmsim_kfree(f.k, k8), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

static void bad_arguments(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a = 123;
    vmsim_area_stats_t as;
    assert_int_equal(vmsim_vmalloc(NULL, PAGE, 0, &a), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, 0, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_vmalloc(f.k, 0, 0, &a), VMSIM_ERR_INVALID);
    assert_int_equal(a, 0);
    assert_int_equal(vmsim_vmalloc(f.k, PAGE, 1u << 7, &a), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_vmalloc(f.k, 0xFFFFFFFFu, VMSIM_VM_DEMAND, &a), VMSIM_ERR_NO_SPACE);
    assert_int_equal(vmsim_vmalloc(f.k, VMSIM_VMALLOC_END - BASE, VMSIM_VM_GUARD, &a),
                     VMSIM_ERR_NO_SPACE);
    assert_int_equal(vmsim_vfree(NULL, BASE), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_area_stats(NULL, &as), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_area_stats(f.k, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_area_list(f.k, NULL, 3, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_area_set_fit(NULL, VMSIM_FIT_BEST), VMSIM_ERR_NULL);
    as = astats(f.k);
    assert_int_equal(as.failed_allocs, 2);
    assert_int_equal(as.n_areas, 0);
    krig_down(&f);
}

/* --- running out of frames ------------------------------------------------------------ */

static void immediate_out_of_frames(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    for (uint32_t at = 0; at < 6; at++) {
        uint32_t a = 1;
        vmsim_pmm_stats_t ps0, ps1;
        vmsim_pmm_get_stats(pmm, &ps0);
        assert_int_equal(vmsim_pmm_fail_next(pmm, at, 1), VMSIM_OK);
        assert_int_equal(vmsim_vmalloc(f.k, 6 * PAGE, VMSIM_VM_GUARD, &a), VMSIM_ERR_NO_FRAMES);
        vmsim_pmm_get_stats(pmm, &ps1);
        assert_int_equal(ps1.injected_failures - ps0.injected_failures, 1);
        assert_int_equal(a, 0);
        vmsim_kernel_stats_t st = kstats(f.k);
        assert_int_equal(st.frames_in_use, st0.frames_in_use);
        assert_int_equal(st.invlpgs, st0.invlpgs); /* nothing was ever touched */
        vmsim_area_stats_t as = astats(f.k);
        assert_int_equal(as.n_areas, 0);
        assert_int_equal(as.n_free_areas, 1);
        assert_int_equal(as.guard_pages, 0);
        assert_clean(f.k);
    }
    assert_int_equal(vmsim_pmm_fail_next(pmm, 0, 0), VMSIM_OK);
    assert_int_equal(astats(f.k).failed_allocs, 6);
    /* the cap works the same */
    uint32_t a;
    vmsim_pmm_set_cap(pmm, st0.frames_in_use + 3);
    assert_int_equal(vmsim_vmalloc(f.k, 4 * PAGE, 0, &a), VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_vmalloc(f.k, 3 * PAGE, 0, &a), VMSIM_OK);
    vmsim_pmm_set_cap(pmm, 0);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

static void demand_out_of_frames(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    uint32_t a, w;
    assert_int_equal(vmsim_vmalloc(f.k, 4 * PAGE, VMSIM_VM_DEMAND, &a), VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a, 1), VMSIM_OK);
    vmsim_pmm_set_cap(pmm, kstats(f.k).frames_in_use);
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE, 1), VMSIM_ERR_PAGE_FAULT);
    vmsim_kfault_t kf = last_fault(f.k);
    assert_int_equal(kf.kind, VMSIM_KFAULT_OOM);
    assert_int_equal(kf.status, VMSIM_ERR_NO_FRAMES);
    assert_int_equal(vmsim_read32(f.m, SUP, a, &w), VMSIM_OK); /* what is backed still works */
    assert_int_equal(w, 1);
    assert_clean(f.k);
    vmsim_pmm_set_cap(pmm, 0);
    assert_int_equal(vmsim_write32(f.m, SUP, a + PAGE, 1), VMSIM_OK);
    assert_int_equal(kstats(f.k).faults_oom, 1);
    assert_int_equal(astats(f.k).pages_backed, 2);
    assert_int_equal(vmsim_vfree(f.k, a), VMSIM_OK);
    krig_down(&f);
}

/* --- statistics ------------------------------------------------------------------------ */

static void fragmentation_stats(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(vmsim_vmalloc(f.k, 10 * PAGE, VMSIM_VM_DEMAND, &a[i]), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, a[1]), VMSIM_OK);
    assert_int_equal(vmsim_vfree(f.k, a[3]), VMSIM_OK);
    vmsim_area_stats_t as = astats(f.k);
    uint64_t range = VMSIM_VMALLOC_END - BASE;
    assert_int_equal(as.n_areas, 4);
    assert_int_equal(as.n_free_areas, 3);
    assert_int_equal(as.bytes_used, 40 * PAGE);
    assert_int_equal(as.bytes_free, range - 40 * PAGE);
    assert_int_equal(as.largest_free, range - 60 * PAGE);
    double want = 1.0 - (double)(range - 60 * PAGE) / (double)(range - 40 * PAGE);
    assert_true(as.external_fragmentation > want - 1e-9 && as.external_fragmentation < want + 1e-9);
    assert_int_equal(as.allocs, 6);
    assert_int_equal(as.frees, 2);
    for (int i = 0; i < 6; i++)
        if (i != 1 && i != 3)
            assert_int_equal(vmsim_vfree(f.k, a[i]), VMSIM_OK);
    assert_int_equal(astats(f.k).n_free_areas, 1);
    krig_down(&f);
}

static void shutdown_with_live_areas(void **state)
{
    (void)state;
    struct krig f;
    krig_up(&f, KRIG_RAM, NULL);
    uint32_t a;
    for (int i = 0; i < 20; i++)
        assert_int_equal(vmsim_vmalloc(f.k, (uint32_t)(i + 1) * 1000, (unsigned)i & 3, &a),
                         VMSIM_OK);
    assert_int_equal(vmsim_write32(f.m, SUP, a, 1), VMSIM_OK);
    krig_down(&f); /* valgrind: no host memory is lost */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(immediate_area),
        cmocka_unit_test(kernel_bank_counts_zeroing),
        cmocka_unit_test(split_and_merge),
        cmocka_unit_test(fit_strategies),
        cmocka_unit_test(next_fit_wraps),
        cmocka_unit_test(demand_area),
        cmocka_unit_test(demand_bytes_across_pages),
        cmocka_unit_test(guard_page_faults),
        cmocka_unit_test(freed_area_faults),
        cmocka_unit_test(skip_invlpg_is_caught),
        cmocka_unit_test(without_global_pages),
        cmocka_unit_test(shared_by_every_space),
        cmocka_unit_test(large_immediate_area),
        cmocka_unit_test(bad_frees),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(immediate_out_of_frames),
        cmocka_unit_test(demand_out_of_frames),
        cmocka_unit_test(fragmentation_stats),
        cmocka_unit_test(shutdown_with_live_areas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
