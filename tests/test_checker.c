/*
 * test_checker.c - vmsim_check() on healthy and on deliberately broken
 * kernels: a refcount off by one, a missing INVLPG (a bug switch and a
 * PTE changed behind the kernel's back), fork without references or
 * without write protection, a damaged kernel half, recursive slot and
 * temp slot, a PTE outside any region, a free frame mapped.  Every
 * problem comes back as data naming the frame, the address, and what was
 * expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define RW   (VMSIM_PROT_READ | VMSIM_PROT_WRITE)
#define PAGE 4096u

/* Boot a kernel with `bugs` and one process, current, whose four pages
 * at the address returned hold 0, 1, 2 and 3. */
static uint32_t up(struct krig *f, unsigned bugs)
{
    vmsim_kernel_config_t kc;
    uint32_t a;
    vmsim_kernel_config_default(&kc);
    kc.bugs = bugs;
    krig_up_proc(f, 16u << 20, &kc);
    assert_int_equal(vmsim_mmap(f->k, f->pid, 0, 4 * PAGE, RW, 0, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(vmsim_write32(f->m, VMSIM_USER, a + i * PAGE, i), VMSIM_OK);
    return a;
}

static uint32_t pte_paddr(vmsim_machine_t *m, uint32_t va)
{
    uint64_t cr3;
    uint32_t pde;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    vmsim_bus_read32(m, (cr3 & ~0xfffull) + (va >> 22) * 4, &pde);
    return (pde & ~0xfffu) + ((va >> 12) & 1023) * 4;
}

static void clean_kernel(void **state)
{
    (void)state;
    struct krig f;
    up(&f, 0);
    vmsim_check_report_t rep;
    assert_int_equal(vmsim_check(f.k, &rep), VMSIM_OK);
    assert_int_equal(rep.n_problems, 0);
    assert_int_equal(rep.n_spaces, 2);
    assert_int_equal(rep.n_ptes, 4);
    assert_true(rep.n_tlb_entries >= 4);
    assert_true(rep.n_frames > 256);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    assert_int_equal(vmsim_check(NULL, &rep), VMSIM_ERR_NULL);
    /* checking changes nothing: no statistic moves */
    vmsim_stats_t s0, s1;
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &s0);
    vmsim_check(f.k, &rep);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &s1);
    assert_memory_equal(&s0, &s1, sizeof s0);
    for (int kind = VMSIM_CHECK_REFCOUNT; kind <= VMSIM_CHECK_ACCOUNTING; kind++)
        assert_non_null(vmsim_check_kind_text((vmsim_check_kind_t)kind));
    krig_halt(f.k);
}

static void refcount_off_by_one(void **state)
{
    (void)state;
    struct krig f;
    uint32_t a = up(&f, 0);
    vmsim_pte_info_t q;
    vmsim_proc_query(f.k, f.pid, a + PAGE, &q);
    vmsim_pmm_get(vmsim_kernel_pmm(f.k), q.pfn); /* one reference too many */
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_REFCOUNT);
    assert_int_equal(p.pfn, q.pfn);
    assert_int_equal(p.expected, 1);
    assert_int_equal(p.actual, 2);
    char line[128], want[128];
    snprintf(want, sizeof want,
             "REFCOUNT frame 0x%x: refcount 2, but its mappings and kernel holds account for 1",
             q.pfn);
    size_t n = vmsim_check_problem_format(&p, line, sizeof line);
    assert_string_equal(line, want);
    /* cut to fit, as snprintf: the return value is the whole length */
    assert_int_equal(vmsim_check_problem_format(&p, line, 9), n);
    assert_string_equal(line, "REFCOUNT");
    assert_int_equal(vmsim_check_problem_format(&p, NULL, 0), n);
    assert_int_equal(vmsim_check_problem_format(NULL, line, sizeof line), 0);
    assert_string_equal(vmsim_check_kind_name(VMSIM_CHECK_REFCOUNT), "REFCOUNT");
    assert_string_equal(vmsim_check_kind_name((vmsim_check_kind_t)999), "?");
    vmsim_pmm_put(vmsim_kernel_pmm(f.k), q.pfn, NULL);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    krig_halt(f.k);
}

/* The kernel forgets INVLPG: fork write-protects the parent's pages but
 * the TLB still says writable, and a write goes straight into the frame
 * the child shares.  The checker names the stale entry. */
static void missing_invlpg_bug(void **state)
{
    (void)state;
    struct krig f;
    uint32_t a = up(&f, VMSIM_BUG_SKIP_INVLPG);
    vmsim_pid_t child;
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_STALE_TLB);
    assert_int_equal(p.pid, f.pid);
    assert_int_equal(p.vaddr & 0xfff, 0);
    assert_true(p.vaddr >= a && p.vaddr < a + 4 * PAGE);
    assert_int_equal(p.tlb, VMSIM_DTLB);
    /* the consequence: the parent's write leaks into the child */
    assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a, 0xBAD), VMSIM_OK);
    uint64_t v;
    assert_int_equal(vmsim_proc_load(f.k, child, VMSIM_USER, a, 4, &v), VMSIM_OK);
    assert_int_equal(v, 0xBAD);
    krig_halt(f.k);
}

/* A PTE changed behind the kernel's back (through the bus): stale entry. */
static void pte_changed_without_invlpg(void **state)
{
    (void)state;
    struct krig f;
    uint32_t a = up(&f, 0);
    uint32_t addr = pte_paddr(f.m, a + 2 * PAGE), pte;
    vmsim_bus_read32(f.m, addr, &pte);
    vmsim_bus_write32(f.m, addr, pte & ~VMSIM_PTE_RW);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_STALE_TLB);
    assert_int_equal(p.vaddr, a + 2 * PAGE);
    /* the line says which right differs, not two equal addresses */
    char line[256], want[256];
    snprintf(want, sizeof want,
             "STALE_TLB pid %d vaddr 0x%x: the DTLB says frame 0x%x writable, the page tables "
             "say frame 0x%x read-only (a PTE's rights changed without INVLPG)",
             (int)f.pid, a + 2 * PAGE, pte >> 12, pte >> 12);
    assert_int_equal(vmsim_check_problem_format(&p, line, sizeof line), strlen(want));
    assert_string_equal(line, want);
    vmsim_invlpg(f.m, a + 2 * PAGE); /* what the kernel should have done */
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    /* and pointing it at another frame */
    vmsim_bus_write32(f.m, addr, pte);
    vmsim_write32(f.m, VMSIM_USER, a + 2 * PAGE, 1);
    vmsim_bus_write32(f.m, addr, (pte & 0xfff) | ((pte & ~0xfffu) + PAGE));
    p = expect_problem(f.k, VMSIM_CHECK_STALE_TLB);
    snprintf(want, sizeof want,
             "STALE_TLB pid %d vaddr 0x%x: the DTLB says frame 0x%x, the page tables say frame "
             "0x%x (a mapping changed without INVLPG)",
             (int)f.pid, a + 2 * PAGE, pte >> 12, (pte >> 12) + 1);
    vmsim_check_problem_format(&p, line, sizeof line);
    assert_string_equal(line, want);
    krig_halt(f.k);
}

/* A stale entry that only the second-level TLB still holds (the 1-entry
 * L1 TLBs lost it): the checker looks there too, and names the STLB. */
static void stale_entry_in_the_second_level_tlb(void **state)
{
    (void)state;
    struct krig f;
    vmsim_config_t mc;
    vmsim_kernel_config_t kc;
    uint32_t a;
    vmsim_config_default(&mc);
    mc.ram_bytes = 16u << 20;
    mc.dtlb = mc.itlb = vmsim_tlb_config(1, 1, VMSIM_TLB_LRU);
    mc.stlb = vmsim_tlb_config(256, 4, VMSIM_TLB_LRU);
    vmsim_kernel_config_default(&kc);
    assert_int_equal(krig_boot_machine(&mc, &kc, &f.m, &f.k), VMSIM_OK);
    assert_int_equal(vmsim_proc_create(f.k, &f.pid), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f.k, f.pid), VMSIM_OK);
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 4 * PAGE, RW, 0, &a), VMSIM_OK);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a + i * PAGE, i), VMSIM_OK);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    uint32_t addr = pte_paddr(f.m, a), pte;
    vmsim_bus_read32(f.m, addr, &pte);
    vmsim_bus_write32(f.m, addr, pte & ~VMSIM_PTE_RW);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_STALE_TLB);
    assert_int_equal(p.vaddr, a);
    assert_int_equal(p.tlb, VMSIM_STLB);
    char line[256];
    vmsim_check_problem_format(&p, line, sizeof line);
    assert_non_null(strstr(line, "the STLB says"));
    vmsim_invlpg(f.m, a);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    krig_halt(f.k);
}

static void fork_bugs(void **state)
{
    (void)state;
    struct krig f;
    vmsim_pid_t child;
    up(&f, VMSIM_BUG_FORK_NO_REF);
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_REFCOUNT);
    assert_int_equal(p.expected, 2);
    assert_int_equal(p.actual, 1);
    krig_halt(f.k);
    uint32_t a = up(&f, VMSIM_BUG_COW_NO_RO);
    assert_int_equal(vmsim_proc_fork(f.k, f.pid, &child), VMSIM_OK);
    p = expect_problem(f.k, VMSIM_CHECK_COW_WRITABLE);
    assert_true(p.vaddr >= a && p.vaddr < a + 4 * PAGE);
    krig_halt(f.k);
}

static void broken_directory(void **state)
{
    (void)state;
    struct krig f;
    up(&f, 0);
    vmsim_proc_info_t info;
    vmsim_proc_get_info(f.k, f.pid, &info);
    uint64_t pd = (uint64_t)info.pd_pfn << 12;
    uint32_t saved;
    vmsim_bus_read32(f.m, pd + 800 * 4, &saved);
    vmsim_bus_write32(f.m, pd + 800 * 4, 0);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_KERNEL_HALF);
    assert_int_equal(p.pid, f.pid);
    assert_int_equal(p.vaddr, 800u << 22);
    vmsim_bus_write32(f.m, pd + 800 * 4, saved);
    vmsim_bus_read32(f.m, pd + 1023 * 4, &saved);
    vmsim_bus_write32(f.m, pd + 1023 * 4, saved + PAGE);
    expect_problem(f.k, VMSIM_CHECK_RECURSIVE);
    vmsim_bus_write32(f.m, pd + 1023 * 4, saved);
    vmsim_bus_write32(f.m, pd + 1022 * 4, saved);
    expect_problem(f.k, VMSIM_CHECK_WINDOW);
    vmsim_bus_write32(f.m, pd + 1022 * 4, 0);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    krig_halt(f.k);
}

static void temp_slot_left_mapped(void **state)
{
    (void)state;
    struct krig f;
    up(&f, 0);
    /* map a frame at temp slot 1 through the recursive mapping and forget it */
    assert_int_equal(vmsim_write32(f.m, VMSIM_SUPERVISOR,
                                   0xFFC00000u + (VMSIM_TEMP_SLOT1 >> 12) * 4,
                                   (300u << 12) | VMSIM_PTE_P | VMSIM_PTE_RW),
                     VMSIM_OK);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_WINDOW);
    assert_int_equal(p.vaddr, VMSIM_TEMP_SLOT1);
    krig_halt(f.k);
}

static void stray_and_free_mappings(void **state)
{
    (void)state;
    struct krig f;
    uint32_t a = up(&f, 0);
    /* a PTE past the end of the region, pointing at a free frame */
    uint32_t va = a + 8 * PAGE;
    vmsim_bus_write32(f.m, pte_paddr(f.m, va), (3000u << 12) | VMSIM_PTE_P | VMSIM_PTE_US);
    vmsim_check_report_t rep;
    assert_int_equal(vmsim_check(f.k, &rep), VMSIM_ERR_CORRUPT);
    bool outside = false, free_mapped = false;
    for (uint32_t i = 0; i < rep.n_stored; i++) {
        outside |=
            rep.problems[i].kind == VMSIM_CHECK_OUTSIDE_REGION && rep.problems[i].vaddr == va;
        free_mapped |=
            rep.problems[i].kind == VMSIM_CHECK_FREE_MAPPED && rep.problems[i].pfn == 3000;
    }
    assert_true(outside);
    assert_true(free_mapped);
    vmsim_bus_write32(f.m, pte_paddr(f.m, va), 0);
    /* a writable PTE in a read-only region */
    assert_int_equal(vmsim_mprotect(f.k, f.pid, a, PAGE, VMSIM_PROT_READ), VMSIM_OK);
    uint32_t pte;
    vmsim_bus_read32(f.m, pte_paddr(f.m, a), &pte);
    vmsim_bus_write32(f.m, pte_paddr(f.m, a), pte | VMSIM_PTE_RW);
    expect_problem(f.k, VMSIM_CHECK_PROTECTION);
    vmsim_bus_write32(f.m, pte_paddr(f.m, a), pte);
    /* a frame freed under its mapping */
    vmsim_pte_info_t q;
    vmsim_proc_query(f.k, f.pid, a + 3 * PAGE, &q);
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    vmsim_pmm_rmap_remove(pmm, q.pfn, f.pid, (a + 3 * PAGE) >> 12);
    vmsim_pmm_put(pmm, q.pfn, NULL);
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_FREE_MAPPED);
    assert_int_equal(p.pfn, q.pfn);
    assert_int_equal(p.vaddr, a + 3 * PAGE);
    krig_halt(f.k);
}

static void rmap_and_leaks(void **state)
{
    (void)state;
    struct krig f;
    uint32_t a = up(&f, 0);
    vmsim_pte_info_t q;
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(f.k);
    vmsim_proc_query(f.k, f.pid, a, &q);
    vmsim_pmm_rmap_add(pmm, q.pfn, 77, 0x1234);
    expect_problem(f.k, VMSIM_CHECK_RMAP);
    vmsim_pmm_rmap_remove(pmm, q.pfn, 77, 0x1234);
    uint32_t lost;
    vmsim_pmm_alloc(pmm, 0, &lost); /* allocated, never mapped */
    vmsim_check_problem_t p = expect_problem(f.k, VMSIM_CHECK_LEAK);
    assert_int_equal(p.pfn, lost);
    vmsim_pmm_put(pmm, lost, NULL);
    assert_int_equal(vmsim_check(f.k, NULL), VMSIM_OK);
    krig_halt(f.k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_kernel),
        cmocka_unit_test(refcount_off_by_one),
        cmocka_unit_test(missing_invlpg_bug),
        cmocka_unit_test(pte_changed_without_invlpg),
        cmocka_unit_test(stale_entry_in_the_second_level_tlb),
        cmocka_unit_test(fork_bugs),
        cmocka_unit_test(broken_directory),
        cmocka_unit_test(temp_slot_left_mapped),
        cmocka_unit_test(stray_and_free_mappings),
        cmocka_unit_test(rmap_and_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
