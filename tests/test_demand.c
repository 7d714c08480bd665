/*
 * test_demand.c - demand paging: demand-zero frames, the shared zero
 * frame and its first write, segmentation errors with CR2 and error
 * code, kernel-mode faults, the raw MMU path a trace replayer uses,
 * statistics banks, out-of-frames, 4 MiB demand-zero, and exactly how
 * many INVLPGs each kind of fault costs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define RW   (VMSIM_PROT_READ | VMSIM_PROT_WRITE)
#define PAGE 4096u

static void zero_page_then_write(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a;
    uint64_t v = 1;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 4 * PAGE, RW, 0, &a), VMSIM_OK);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a, 4, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a + PAGE, 4, &v), VMSIM_OK);
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.faults_zero_map - st0.faults_zero_map, 2);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 1); /* the page table only */
    assert_int_equal(st1.invlpgs, st0.invlpgs); /* nothing was cached, nothing zeroed */
    vmsim_pte_info_t q0, q1;
    vmsim_proc_query(f.k, f.pid, a, &q0);
    vmsim_proc_query(f.k, f.pid, a + PAGE, &q1);
    assert_int_equal(q0.pfn, q1.pfn); /* one zero frame */
    assert_false(q0.writable);
    /* first write: a fresh frame replaces the zero frame */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + 8, 4, 0xdead), VMSIM_OK);
    vmsim_kernel_stats_t st2 = kstats(f.k);
    assert_int_equal(st2.faults_zero_break - st1.faults_zero_break, 1);
    assert_int_equal(st2.invlpgs - st1.invlpgs, 1); /* the temp slot that zeroed it */
    vmsim_proc_query(f.k, f.pid, a, &q0);
    assert_true(q0.writable);
    assert_int_not_equal(q0.pfn, q1.pfn);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a + 8, 4, &v), VMSIM_OK);
    assert_int_equal(v, 0xdead);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a + PAGE + 8, 4, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    /* a first write goes straight to a fresh frame */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + 2 * PAGE, 1, 7), VMSIM_OK);
    vmsim_kernel_stats_t st3 = kstats(f.k);
    assert_int_equal(st3.faults_demand_zero - st2.faults_demand_zero, 1);
    vmsim_proc_info_t info;
    vmsim_proc_get_info(f.k, f.pid, &info);
    assert_int_equal(info.resident_pages, 3);
    krig_down(&f);
}

static void without_zero_page(void **state)
{
    (void)state;
    struct krig f;
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.zero_page = false;
    krig_up_proc(&f, KRIG_RAM, &kc);
    uint32_t a;
    uint64_t v;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, PAGE, RW, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a, 4, &v), VMSIM_OK);
    assert_int_equal(kstats(f.k).faults_demand_zero, 1);
    assert_int_equal(kstats(f.k).faults_zero_map, 0);
    krig_down(&f);
}

static void segv_and_kernel_errors(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a;
    uint64_t v;
    vmsim_kfault_t kf;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, PAGE, VMSIM_PROT_READ, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a, 4, 1), VMSIM_ERR_SEGV);
    vmsim_kernel_last_fault(f.k, &kf);
    assert_int_equal(kf.kind, VMSIM_KFAULT_SEGV);
    assert_int_equal(kf.cr2, a);
    assert_int_equal(kf.error_code, VMSIM_PF_W | VMSIM_PF_U); /* not present yet */
    assert_int_equal(kf.pid, f.pid);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, 0x1234, 4, &v), VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, 0xC0001000u, 4, &v), VMSIM_ERR_SEGV);
    vmsim_kernel_last_fault(f.k, &kf);
    assert_int_equal(kf.error_code, VMSIM_PF_P | VMSIM_PF_U); /* a supervisor page */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_SUPERVISOR, a, 4, 1), VMSIM_ERR_KERNEL);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_SUPERVISOR, 0x1234, 4, &v),
                     VMSIM_ERR_KERNEL);
    /* the raw MMU call sees the page fault; the kernel judged it */
    uint32_t w;
    assert_int_equal(vmsim_read32(f.m, VMSIM_SUPERVISOR, 0xD0000000u, &w), VMSIM_ERR_PAGE_FAULT);
    vmsim_kernel_last_fault(f.k, &kf);
    assert_int_equal(kf.kind, VMSIM_KFAULT_KERNEL);
    assert_int_equal(kf.status, VMSIM_ERR_KERNEL);
    vmsim_kernel_stats_t st = kstats(f.k);
    assert_int_equal(st.faults_segv, 3);
    assert_int_equal(st.faults_kernel, 3);
    assert_string_equal(vmsim_kfault_kind_name(VMSIM_KFAULT_COW_COPY), "cow-copy");
    krig_down(&f);
}

/* What a trace replayer does: raw user-mode accesses on the machine. */
static void raw_mmu_path(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0x08000000u, 64 * PAGE,
                                VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC,
                                VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED, &a),
                     VMSIM_OK);
    vmsim_reset_stats(f.m);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a + i * PAGE + 4, i), VMSIM_OK);
    for (uint32_t i = 0; i < 64; i++) {
        uint32_t v;
        assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a + i * PAGE + 4, &v), VMSIM_OK);
        assert_int_equal(v, i);
        assert_int_equal(vmsim_fetch32(f.m, VMSIM_USER, a + i * PAGE, &v), VMSIM_OK);
    }
    vmsim_stats_t prog, kern;
    vmsim_get_stats(f.m, VMSIM_BANK_PROGRAM, &prog);
    vmsim_get_stats(f.m, VMSIM_BANK_KERNEL, &kern);
    assert_int_equal(prog.faults, 64);
    assert_int_equal(prog.faults_handled, 64);
    assert_int_equal(prog.invlpgs, 0);
    assert_int_equal(kern.invlpgs, 64); /* one temp-slot unmap per zeroed frame */
    assert_true(kern.walks > 0);
    assert_int_equal(kern.faults, 0);
    krig_down(&f);
}

static void page_crossing_value(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a;
    uint64_t v;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 2 * PAGE, RW, 0, &a), VMSIM_OK);
    assert_int_equal(
        vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + PAGE - 3, 8, 0x1122334455667788ull), VMSIM_OK);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a + PAGE - 3, 8, &v), VMSIM_OK);
    assert_int_equal(v, 0x1122334455667788ull);
    /* crossing into nothing: SEGV, and no byte written */
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + 2 * PAGE - 2, 4, 0xffffffff),
                     VMSIM_ERR_SEGV);
    assert_int_equal(vmsim_proc_load(f.k, f.pid, VMSIM_USER, a + 2 * PAGE - 2, 2, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    char s[32];
    assert_int_equal(vmsim_proc_write_string(f.k, f.pid, VMSIM_USER, a + PAGE - 4, "hello, pages"),
                     VMSIM_OK);
    assert_int_equal(vmsim_proc_read_string(f.k, f.pid, VMSIM_USER, a + PAGE - 4, s, sizeof s),
                     VMSIM_OK);
    assert_string_equal(s, "hello, pages");
    assert_int_equal(vmsim_proc_read_string(f.k, f.pid, VMSIM_USER, a + PAGE - 4, s, 4),
                     VMSIM_ERR_NO_SPACE);
    assert_string_equal(s, "hel");
    uint8_t buf[100];
    size_t done;
    assert_int_equal(vmsim_proc_read(f.k, f.pid, VMSIM_USER, a + 2 * PAGE - 50, buf, 100, &done),
                     VMSIM_ERR_SEGV);
    assert_int_equal(done, 50);
    krig_down(&f);
}

static void out_of_frames(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a;
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0, 8 * PAGE, RW, 0, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a, 4, 1), VMSIM_OK);
    vmsim_kernel_stats_t st = kstats(f.k);
    vmsim_pmm_set_cap(vmsim_kernel_pmm(f.k), st.frames_in_use);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + PAGE, 4, 1), VMSIM_ERR_NO_FRAMES);
    vmsim_kfault_t kf;
    vmsim_kernel_last_fault(f.k, &kf);
    assert_int_equal(kf.kind, VMSIM_KFAULT_OOM);
    uint32_t w;
    assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a + PAGE, 1), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a, &w),
                     VMSIM_OK); /* what is mapped still works */
    vmsim_check_report_t rep;
    assert_int_equal(vmsim_check(f.k, &rep), VMSIM_OK);
    vmsim_pmm_set_cap(vmsim_kernel_pmm(f.k), 0);
    assert_int_equal(vmsim_proc_store(f.k, f.pid, VMSIM_USER, a + PAGE, 4, 1), VMSIM_OK);
    assert_int_equal(kstats(f.k).faults_oom, 2);
    krig_down(&f);
}

static void large_demand_zero(void **state)
{
    (void)state;
    struct krig f;
    krig_up_proc(&f, KRIG_RAM, NULL);
    uint32_t a, v;
    assert_int_equal(
        vmsim_mmap(f.k, f.pid, 0x00400000u, 8u << 20, RW, VMSIM_MAP_FIXED | VMSIM_MAP_LARGE, &a),
        VMSIM_OK);
    vmsim_kernel_stats_t st0 = kstats(f.k);
    assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a + 0x123450, 77), VMSIM_OK);
    assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a + 0x3FFFFC, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    vmsim_kernel_stats_t st1 = kstats(f.k);
    assert_int_equal(st1.faults_large - st0.faults_large, 1);
    assert_int_equal(st1.frames_in_use - st0.frames_in_use, 1024);
    assert_int_equal(st1.invlpgs - st0.invlpgs, 0); /* zeroed through its own mapping */
    assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a + (4u << 20), &v), VMSIM_OK);
    assert_int_equal(kstats(f.k).frames_in_use - st0.frames_in_use, 2048);
    /* a read-only 4 MiB region: zeroed writable, then made read-only (one INVLPG) */
    assert_int_equal(vmsim_mmap(f.k, f.pid, 0x01000000u, 4u << 20, VMSIM_PROT_READ,
                                VMSIM_MAP_FIXED | VMSIM_MAP_LARGE, &a),
                     VMSIM_OK);
    st0 = kstats(f.k);
    assert_int_equal(vmsim_read32(f.m, VMSIM_USER, a, &v), VMSIM_OK);
    assert_int_equal(kstats(f.k).invlpgs - st0.invlpgs, 1);
    assert_int_equal(vmsim_write32(f.m, VMSIM_USER, a, 1), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_proc_exit(f.k, f.pid), VMSIM_OK);
    assert_int_equal(kstats(f.k).user_frames, 0);
    krig_down(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_page_then_write),   cmocka_unit_test(without_zero_page),
        cmocka_unit_test(segv_and_kernel_errors), cmocka_unit_test(raw_mmu_path),
        cmocka_unit_test(page_crossing_value),    cmocka_unit_test(out_of_frames),
        cmocka_unit_test(large_demand_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
