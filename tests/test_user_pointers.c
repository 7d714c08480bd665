/*
 * test_user_pointers.c - the kernel never lets a "user" pointer reach
 * the kernel half (issue 9, item 2).
 *
 * copy_to_user and copy_from_user are supervisor accesses made for a
 * process: without a check of the pointer (Linux's access_ok) a process
 * hands the kernel 0xFFC00000 as its buffer and the kernel rewrites the
 * process's own page tables for it.  What this suite proves:
 *   - that attack (a PTE of the attacker pointed at the victim's frame)
 *     fails: the victim's data is not read, the checker stays clean and
 *     no frame is leaked;
 *   - copy_from_user of the page tables, of the kernel image, of a range
 *     that crosses VMSIM_USER_END, that wraps past 4 GiB or whose length
 *     is near SIZE_MAX is refused, and nothing is copied;
 *   - the supervisor-mode vmsim_proc_* calls (the kernel acting for the
 *     process) and the string helpers obey the same rule;
 *   - a range that ends exactly at VMSIM_USER_END is still fine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define PAGE 4096u
#define RW   (VMSIM_PROT_READ | VMSIM_PROT_WRITE)

struct two {
    struct krig r;
    vmsim_pid_t attacker, victim;
    uint32_t a, v; /* a page of each */
};

static void two_up(struct two *t)
{
    krig_up(&t->r, KRIG_RAM, NULL);
    vmsim_kernel_t *k = t->r.k;
    assert_int_equal(vmsim_proc_create(k, &t->attacker), VMSIM_OK);
    assert_int_equal(vmsim_proc_create(k, &t->victim), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, t->attacker, 0, PAGE, RW, VMSIM_MAP_PRIVATE, &t->a), VMSIM_OK);
    assert_int_equal(vmsim_mmap(k, t->victim, 0, PAGE, RW, VMSIM_MAP_PRIVATE, &t->v), VMSIM_OK);
    assert_int_equal(vmsim_proc_write_string(k, t->victim, VMSIM_USER, t->v, "victim's secret"),
                     VMSIM_OK);
    assert_int_equal(vmsim_proc_write_string(k, t->attacker, VMSIM_USER, t->a, "mine"), VMSIM_OK);
}

static void copy_to_user_cannot_rewrite_the_callers_page_tables(void **state)
{
    (void)state;
    struct two t;
    two_up(&t);
    vmsim_kernel_t *k = t.r.k;
    vmsim_pte_info_t victim_page;
    assert_int_equal(vmsim_proc_query(k, t.victim, t.v, &victim_page), VMSIM_OK);
    assert_true(victim_page.present);
    uint32_t free_before = kstats(k).frames_free;

    /* the attacker's PTE for t.a, seen through the recursive mapping */
    uint32_t pte_addr = VMSIM_SELF_PT_BASE + (t.a >> 12) * 4;
    uint32_t evil = victim_page.pfn << 12 | 0x7; /* present, writable, user */
    assert_int_not_equal(vmsim_copy_to_user(k, t.attacker, pte_addr, &evil, 4), VMSIM_OK);

    char s[32];
    assert_int_equal(vmsim_proc_read_string(k, t.attacker, VMSIM_USER, t.a, s, sizeof s), VMSIM_OK);
    assert_string_equal(s, "mine");
    assert_clean(k);
    assert_int_equal(kstats(k).frames_free, free_before);
    assert_int_equal(vmsim_proc_exit(k, t.attacker), VMSIM_OK);
    assert_int_equal(vmsim_proc_exit(k, t.victim), VMSIM_OK);
    assert_clean(k);
    krig_down(&t.r);
}

static void copy_from_user_cannot_read_kernel_memory(void **state)
{
    (void)state;
    struct two t;
    two_up(&t);
    vmsim_kernel_t *k = t.r.k;
    static const uint32_t kernel_addrs[] = {VMSIM_USER_END, VMSIM_KERNEL_BASE + 0x1000,
                                            VMSIM_SELF_PT_BASE, VMSIM_SELF_PD, 0xFFFFFFFCu};
    for (size_t i = 0; i < sizeof kernel_addrs / sizeof kernel_addrs[0]; i++) {
        uint32_t word = 0xdeadbeef;
        assert_int_equal(vmsim_copy_from_user(k, t.attacker, &word, kernel_addrs[i], 4),
                         VMSIM_ERR_KERNEL);
        assert_int_equal(word, 0xdeadbeef);
    }
    assert_clean(k);
    krig_down(&t.r);
}

/* Refused as a whole: not even the user-space part is copied. */
static void a_range_that_crosses_into_the_kernel_half_is_refused_whole(void **state)
{
    (void)state;
    struct krig r;
    krig_up_proc(&r, KRIG_RAM, NULL);
    uint32_t top = VMSIM_USER_END - PAGE, got;
    assert_int_equal(vmsim_mmap(r.k, r.pid, top, PAGE, RW, VMSIM_MAP_FIXED, &got), VMSIM_OK);
    uint8_t buf[16];
    memset(buf, 0xAB, sizeof buf);
    assert_int_equal(vmsim_copy_to_user(r.k, r.pid, VMSIM_USER_END - 8, buf, 16), VMSIM_ERR_KERNEL);
    assert_int_equal(user_load(r.k, r.pid, VMSIM_USER_END - 8), 0);
    /* ending exactly at the boundary is fine */
    assert_int_equal(vmsim_copy_to_user(r.k, r.pid, VMSIM_USER_END - 8, buf, 8), VMSIM_OK);
    assert_int_equal(vmsim_copy_from_user(r.k, r.pid, buf, VMSIM_USER_END - 8, 8), VMSIM_OK);
    assert_int_equal(vmsim_copy_from_user(r.k, r.pid, buf, VMSIM_USER_END, 0), VMSIM_OK);
    assert_int_equal(vmsim_copy_from_user(r.k, r.pid, buf, VMSIM_USER_END - 8, 9),
                     VMSIM_ERR_KERNEL);
    krig_down(&r);
}

static void wrapping_and_huge_lengths_are_refused(void **state)
{
    (void)state;
    struct krig r;
    krig_up_proc(&r, KRIG_RAM, NULL);
    uint32_t a;
    assert_int_equal(vmsim_mmap(r.k, r.pid, 0, PAGE, RW, 0, &a), VMSIM_OK);
    uint8_t buf[64] = {0};
    static const size_t lens[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - PAGE, (size_t)1 << 32,
                                  VMSIM_USER_END + 1u};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_int_equal(vmsim_copy_from_user(r.k, r.pid, buf, a, lens[i]), VMSIM_ERR_KERNEL);
        assert_int_equal(vmsim_copy_to_user(r.k, r.pid, a, buf, lens[i]), VMSIM_ERR_KERNEL);
    }
    assert_int_equal(vmsim_copy_to_user(r.k, r.pid, 0xFFFFFFF0u, buf, 0x20), VMSIM_ERR_KERNEL);
    krig_down(&r);
}

static void supervisor_proc_calls_stay_in_user_space(void **state)
{
    (void)state;
    struct two t;
    two_up(&t);
    vmsim_kernel_t *k = t.r.k;
    uint32_t pte_addr = VMSIM_SELF_PT_BASE + (t.a >> 12) * 4;
    uint64_t v = 0;
    size_t done = 99;
    uint32_t word = 0;
    char s[8];
    assert_int_equal(vmsim_proc_load(k, t.attacker, VMSIM_SUPERVISOR, pte_addr, 4, &v),
                     VMSIM_ERR_KERNEL);
    assert_int_equal(vmsim_proc_store(k, t.attacker, VMSIM_SUPERVISOR, pte_addr, 4, 0),
                     VMSIM_ERR_KERNEL);
    assert_int_equal(vmsim_proc_read(k, t.attacker, VMSIM_SUPERVISOR, pte_addr, &word, 4, &done),
                     VMSIM_ERR_KERNEL);
    assert_int_equal(done, 0);
    assert_int_equal(vmsim_proc_write(k, t.attacker, VMSIM_SUPERVISOR, pte_addr, &word, 4, &done),
                     VMSIM_ERR_KERNEL);
    assert_int_equal(vmsim_proc_write_string(k, t.attacker, VMSIM_SUPERVISOR, pte_addr, "x"),
                     VMSIM_ERR_KERNEL);
    assert_int_equal(
        vmsim_proc_read_string(k, t.attacker, VMSIM_SUPERVISOR, VMSIM_SELF_PD, s, sizeof s),
        VMSIM_ERR_KERNEL);
    /* a user-space string that runs up to the boundary stops there */
    uint32_t got;
    assert_int_equal(
        vmsim_mmap(k, t.attacker, VMSIM_USER_END - PAGE, PAGE, RW, VMSIM_MAP_FIXED, &got),
        VMSIM_OK);
    assert_int_equal(
        vmsim_proc_write(k, t.attacker, VMSIM_SUPERVISOR, VMSIM_USER_END - 4, "abcd", 4, NULL),
        VMSIM_OK);
    assert_int_equal(
        vmsim_proc_read_string(k, t.attacker, VMSIM_SUPERVISOR, VMSIM_USER_END - 4, s, sizeof s),
        VMSIM_ERR_KERNEL);
    assert_clean(k);
    krig_down(&t.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_to_user_cannot_rewrite_the_callers_page_tables),
        cmocka_unit_test(copy_from_user_cannot_read_kernel_memory),
        cmocka_unit_test(a_range_that_crosses_into_the_kernel_half_is_refused_whole),
        cmocka_unit_test(wrapping_and_huge_lengths_are_refused),
        cmocka_unit_test(supervisor_proc_calls_stay_in_user_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
