/*
 * test_boot.c - booting the kernel: the first page directory, the kernel
 * half, the recursive slot, paging on, the kernel's own accesses counted
 * in the kernel bank, and address-space creation / switching.
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

static void boot_layout(void **state)
{
    (void)state;
    vmsim_machine_t *m = krig_machine(16u << 20);
    vmsim_kernel_t *k = NULL;
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k), VMSIM_OK);
    uint64_t cr0, cr3, cr4;
    vmsim_read_reg(m, VMSIM_REG_CR0, &cr0);
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    vmsim_read_reg(m, VMSIM_REG_CR4, &cr4);
    assert_true(cr0 & VMSIM_CR0_PG);
    assert_true(cr0 & VMSIM_CR0_WP);
    assert_true(cr4 & VMSIM_CR4_PSE);
    assert_true(cr4 & VMSIM_CR4_PGE);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_32BIT);
    /* the recursive slot: 0xFFFFF000 is the PD itself */
    uint32_t self;
    assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 0xFFFFF000u + 1023 * 4, &self), VMSIM_OK);
    assert_int_equal(self & ~0xfffu, (uint32_t)cr3);
    /* user may not see the page tables */
    assert_int_equal(vmsim_read32(m, VMSIM_USER, 0xFFFFF000u, &self), VMSIM_ERR_PAGE_FAULT);
    /* kernel half PDEs present, foreign window empty */
    for (unsigned i = 768; i <= 1021; i++) {
        uint32_t pde;
        assert_int_equal(vmsim_read32(m, VMSIM_SUPERVISOR, 0xFFFFF000u + i * 4, &pde), VMSIM_OK);
        assert_true(pde & VMSIM_PTE_P);
    }
    vmsim_kernel_stats_t st;
    assert_int_equal(vmsim_kernel_get_stats(k, &st), VMSIM_OK);
    assert_int_equal(st.page_tables, 255);
    assert_true(st.kernel_end > 0xC0000000u);
    assert_clean(k);
    krig_halt(k);
}

static void boot_counts_kernel_bank(void **state)
{
    (void)state;
    vmsim_machine_t *m = krig_machine(16u << 20);
    vmsim_kernel_t *k = NULL;
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k), VMSIM_OK);
    vmsim_stats_t prog, kern;
    vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &prog);
    vmsim_get_stats(m, VMSIM_BANK_KERNEL, &kern);
    assert_int_equal(prog.walks, 0);
    assert_int_equal(prog.cr3_loads, 0);
    assert_int_equal(kern.cr3_loads, 1);
    vmsim_pid_t pid;
    assert_int_equal(vmsim_proc_create(k, &pid), VMSIM_OK);
    vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &prog);
    assert_int_equal(prog.walks, 0);
    vmsim_get_stats(m, VMSIM_BANK_KERNEL, &kern);
    assert_true(kern.walks > 0);
    assert_true(kern.invlpgs >= 1); /* temp slot */
    krig_halt(k);
}

static vmsim_fault_action_t refuse_all(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    (void)m, (void)f, (void)user;
    return VMSIM_FAULT_UNHANDLED;
}

static void boot_refuses(void **state)
{
    (void)state;
    vmsim_kernel_t *k = NULL;
    assert_int_equal(vmsim_kernel_boot(NULL, NULL, &k), VMSIM_ERR_NULL);
    vmsim_machine_t *m = krig_machine(512u << 10); /* 128 frames: too small */
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k), VMSIM_ERR_NO_FRAMES);
    uint64_t cr0;
    vmsim_read_reg(m, VMSIM_REG_CR0, &cr0);
    assert_false(cr0 & VMSIM_CR0_PG);
    vmsim_destroy(m);
    m = krig_machine(8u << 20);
    vmsim_kernel_config_t cfg;
    vmsim_kernel_config_default(&cfg);
    cfg.flush_threshold = 1000;
    assert_int_equal(vmsim_kernel_boot(m, &cfg, &k), VMSIM_ERR_INVALID);
    assert_non_null(strstr(vmsim_error_detail(m), "flush_threshold 1000"));
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k), VMSIM_OK);
    vmsim_kernel_t *k2 = NULL;
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k2), VMSIM_ERR_BUSY);
    assert_non_null(strstr(vmsim_error_detail(m), "a kernel is already booted on this machine"));
    /* a pid that does not exist: the detail says where pids come from */
    assert_int_equal(vmsim_proc_switch(k, 99), VMSIM_ERR_NOT_FOUND);
    assert_non_null(strstr(vmsim_error_detail(m), "no process with pid 99"));
    assert_non_null(strstr(vmsim_error_detail(NULL), "NULL"));
    vmsim_kernel_shutdown(k);
    vmsim_kernel_shutdown(NULL);
    vmsim_destroy(m);
    /* paging off but a handler already installed: the machine is taken */
    m = krig_machine(8u << 20);
    assert_int_equal(vmsim_set_fault_handler(m, refuse_all, NULL), VMSIM_OK);
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k2), VMSIM_ERR_BUSY);
    vmsim_destroy(m);
}

static void spaces_switch(void **state)
{
    (void)state;
    vmsim_machine_t *m = krig_machine(16u << 20);
    vmsim_kernel_t *k = NULL;
    assert_int_equal(vmsim_kernel_boot(m, NULL, &k), VMSIM_OK);
    vmsim_pid_t a, b;
    assert_int_equal(vmsim_proc_create(k, &a), VMSIM_OK);
    assert_int_equal(vmsim_proc_create(k, &b), VMSIM_OK);
    assert_int_not_equal(a, b);
    assert_int_equal(vmsim_proc_current(k), 0);
    vmsim_kernel_stats_t st0, st1;
    vmsim_kernel_get_stats(k, &st0);
    assert_int_equal(vmsim_proc_switch(k, a), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(k, a), VMSIM_OK); /* no reload */
    vmsim_kernel_get_stats(k, &st1);
    assert_int_equal(st1.cr3_loads - st0.cr3_loads, 1);
    vmsim_proc_info_t info;
    assert_int_equal(vmsim_proc_get_info(k, a, &info), VMSIM_OK);
    uint64_t cr3;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    assert_int_equal(cr3 >> 12, info.pd_pfn);
    assert_int_equal(vmsim_proc_switch(k, 999), VMSIM_ERR_NOT_FOUND);
    assert_clean(k);
    assert_int_equal(vmsim_proc_exit(k, a), VMSIM_OK);
    assert_int_equal(vmsim_proc_current(k), 0);
    assert_int_equal(vmsim_proc_exit(k, a), VMSIM_ERR_NOT_FOUND);
    assert_int_equal(vmsim_proc_exit(k, b), VMSIM_OK);
    vmsim_kernel_get_stats(k, &st1);
    assert_int_equal(st1.page_tables, 255);
    assert_int_equal(st1.processes, 0);
    assert_clean(k);
    krig_halt(k);
}

static void two_kernels_isolated(void **state)
{
    (void)state;
    vmsim_machine_t *m1 = krig_machine(8u << 20), *m2 = krig_machine(8u << 20);
    vmsim_kernel_t *k1, *k2;
    assert_int_equal(vmsim_kernel_boot(m1, NULL, &k1), VMSIM_OK);
    assert_int_equal(vmsim_kernel_boot(m2, NULL, &k2), VMSIM_OK);
    vmsim_pid_t p1, p2;
    uint32_t a1, a2;
    vmsim_proc_create(k1, &p1);
    vmsim_proc_create(k2, &p2);
    assert_int_equal(vmsim_mmap(k1, p1, 0, 4096, 3, VMSIM_MAP_PRIVATE, &a1), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k2, p2, 0, 4096, 3, VMSIM_MAP_PRIVATE, &a2), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k1, p1, VMSIM_USER, a1, 4, 111), VMSIM_OK);
    assert_int_equal(vmsim_proc_store(k2, p2, VMSIM_USER, a2, 4, 222), VMSIM_OK);
    uint64_t v1, v2;
    assert_int_equal(vmsim_proc_load(k1, p1, VMSIM_USER, a1, 4, &v1), VMSIM_OK);
    assert_int_equal(vmsim_proc_load(k2, p2, VMSIM_USER, a2, 4, &v2), VMSIM_OK);
    assert_int_equal(v1, 111);
    assert_int_equal(v2, 222);
    assert_clean(k1);
    assert_clean(k2);
    krig_halt(k1);
    krig_halt(k2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boot_layout),          cmocka_unit_test(boot_counts_kernel_bank),
        cmocka_unit_test(boot_refuses),         cmocka_unit_test(spaces_switch),
        cmocka_unit_test(two_kernels_isolated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
