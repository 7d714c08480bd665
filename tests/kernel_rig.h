/*
 * kernel_rig.h - the test rig the kernel-side suites share: booting a
 * kernel on a fresh machine and tearing both down, running the checker
 * (printing every problem it reports), and the few kernel queries most
 * suites spell out (statistics, the last fault, a user-mode load).
 *
 *   struct krig        a machine, the kernel booted on it, and a process
 *   krig_boot()        boot on a new machine; returns a status (for a
 *                      cmocka group setup, or a thread that cannot assert)
 *   krig_up()          the same, asserting; krig_up_proc() adds a process
 *                      and makes it current
 *   krig_down()        assert the checker is clean, then krig_halt()
 *   krig_halt()        shut the kernel down and free its machine
 *   assert_clean()     vmsim_check() must pass; problems are printed
 *   expect_problem()   vmsim_check() must fail with a problem of a kind
 *
 * The asserting helpers use cmocka, so they belong on the thread that
 * runs the test.  Include after <cmocka.h>.
 */
#ifndef VMSIM_TESTS_KERNEL_RIG_H
#define VMSIM_TESTS_KERNEL_RIG_H

#include "vmsim/vmsim.h"

/* The RAM of a rig machine unless a suite asks for another size. */
#define KRIG_RAM (32u << 20)

struct krig {
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_pid_t pid; /* krig_up_proc()'s process, current; 0 after krig_up() */
};

/* Create a machine from *mc and boot a kernel with *kc (NULL: the
 * defaults) on it.  On failure nothing is left allocated, *m and *k are
 * NULL, and the status says why. */
static inline vmsim_status_t krig_boot_machine(const vmsim_config_t *mc,
                                               const vmsim_kernel_config_t *kc, vmsim_machine_t **m,
                                               vmsim_kernel_t **k)
{
    *m = NULL;
    *k = NULL;
    vmsim_status_t rc = vmsim_create(mc, m);
    if (rc == VMSIM_OK && (rc = vmsim_kernel_boot(*m, kc, k)) != VMSIM_OK) {
        vmsim_destroy(*m);
        *m = NULL;
    }
    return rc;
}

/* The same on a default machine with `ram` bytes of RAM. */
static inline vmsim_status_t krig_boot(uint64_t ram, const vmsim_kernel_config_t *kc,
                                       vmsim_machine_t **m, vmsim_kernel_t **k)
{
    vmsim_config_t mc;
    vmsim_config_default(&mc);
    mc.ram_bytes = ram;
    return krig_boot_machine(&mc, kc, m, k);
}

/* A default machine with `ram` bytes and no kernel (asserts). */
static inline vmsim_machine_t *krig_machine(uint64_t ram)
{
    vmsim_config_t mc;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&mc);
    mc.ram_bytes = ram;
    assert_int_equal(vmsim_create(&mc, &m), VMSIM_OK);
    return m;
}

/* Shut the kernel down and destroy the machine it ran on.  NULL is ok. */
static inline void krig_halt(vmsim_kernel_t *k)
{
    vmsim_machine_t *m = vmsim_kernel_machine(k);
    vmsim_kernel_shutdown(k);
    vmsim_destroy(m);
}

static inline void krig_up(struct krig *f, uint64_t ram, const vmsim_kernel_config_t *kc)
{
    f->m = krig_machine(ram);
    f->pid = 0;
    assert_int_equal(vmsim_kernel_boot(f->m, kc, &f->k), VMSIM_OK);
}

static inline void krig_up_proc(struct krig *f, uint64_t ram, const vmsim_kernel_config_t *kc)
{
    krig_up(f, ram, kc);
    assert_int_equal(vmsim_proc_create(f->k, &f->pid), VMSIM_OK);
    assert_int_equal(vmsim_proc_switch(f->k, f->pid), VMSIM_OK);
}

static inline void print_problems(const vmsim_check_report_t *rep)
{
    for (uint32_t i = 0; i < rep->n_stored; i++) {
        char line[256];
        vmsim_check_problem_format(&rep->problems[i], line, sizeof line);
        print_message("problem: %s\n", line);
    }
}

/* Run the checker into *rep (NULL: a report of its own), print what it
 * found, and return its status. */
static inline vmsim_status_t krig_check(vmsim_kernel_t *k, vmsim_check_report_t *rep)
{
    vmsim_check_report_t own;
    if (!rep)
        rep = &own;
    vmsim_status_t rc = vmsim_check(k, rep);
    if (rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT)
        print_problems(rep);
    return rc;
}

static inline void assert_clean(vmsim_kernel_t *k)
{
    assert_int_equal(krig_check(k, NULL), VMSIM_OK);
}

/* The checker must fail; returns its first problem of `kind` (and fails
 * the test, listing what it found instead, when there is none). */
static inline vmsim_check_problem_t expect_problem(vmsim_kernel_t *k, vmsim_check_kind_t kind)
{
    vmsim_check_report_t rep;
    assert_int_equal(vmsim_check(k, &rep), VMSIM_ERR_CORRUPT);
    assert_true(rep.n_problems >= 1);
    for (uint32_t i = 0; i < rep.n_stored; i++)
        if (rep.problems[i].kind == kind)
            return rep.problems[i];
    for (uint32_t i = 0; i < rep.n_stored; i++)
        print_message("got: %s\n", vmsim_check_kind_text(rep.problems[i].kind));
    fail_msg("expected a '%s' problem", vmsim_check_kind_text(kind));
    return rep.problems[0];
}

static inline void krig_down(struct krig *f)
{
    assert_clean(f->k);
    krig_halt(f->k);
}

static inline vmsim_kernel_stats_t kstats(const vmsim_kernel_t *k)
{
    vmsim_kernel_stats_t st;
    vmsim_kernel_get_stats(k, &st);
    return st;
}

static inline vmsim_kfault_t last_fault(const vmsim_kernel_t *k)
{
    vmsim_kfault_t kf;
    vmsim_kernel_last_fault(k, &kf);
    return kf;
}

/* A 4-byte user-mode load from `pid` that must succeed. */
static inline uint32_t user_load(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr)
{
    uint64_t v;
    assert_int_equal(vmsim_proc_load(k, pid, VMSIM_USER, vaddr, 4, &v), VMSIM_OK);
    return (uint32_t)v;
}

#endif
