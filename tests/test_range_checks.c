/*
 * test_range_checks.c - byte-range calls refuse ranges longer than the
 * linear address space, or that wrap, whatever their length (issue 9,
 * item 9).
 *
 * The check "vaddr + len - 1 <= 0xFFFFFFFF" itself overflowed for a len
 * near SIZE_MAX, so vmsim_fill_bytes(m, ..., 0x10, ..., SIZE_MAX) went
 * round the 4 GiB space writing.  What this suite proves:
 *   - vmsim_read_bytes / write_bytes / fill_bytes refuse every length
 *     from 4 GiB - vaddr + 1 up to SIZE_MAX with VMSIM_ERR_INVALID,
 *     *n_done 0, and not a byte of RAM changed;
 *   - a range that ends exactly at 0xFFFFFFFF, and an empty one at
 *     0xFFFFFFFF, are still accepted by the check;
 *   - vmsim_proc_read / write refuse the same lengths in user mode too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define RAM (1u << 20)

static size_t bad_lengths(uint32_t vaddr, size_t *out)
{
    size_t n = 0;
    out[n++] = SIZE_MAX;
    out[n++] = SIZE_MAX - 0xF; /* vaddr + len wraps to exactly vaddr - 0x10 in 64 bits */
    if (vaddr)
        out[n++] = SIZE_MAX - vaddr + 1; /* vaddr + len wraps to exactly 0 */
    out[n++] = (size_t)(0x100000000ull - vaddr + 1);
    out[n++] = (size_t)1 << 33;
    return n;
}

static void byte_ranges_near_size_max_are_invalid(void **state)
{
    (void)state;
    vmsim_machine_t *m = krig_machine(RAM); /* paging off: linear = physical */
    static const uint32_t starts[] = {0, 0x10, 0x1000, 0xFFFFF000u};
    uint8_t buf[64] = {0};
    assert_int_equal(vmsim_fill_bytes(m, VMSIM_SUPERVISOR, 0, 0x5A, 0x100, NULL), VMSIM_OK);
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        size_t lens[8];
        size_t n = bad_lengths(starts[s], lens);
        for (size_t i = 0; i < n; i++) {
            size_t done = 99;
            assert_int_equal(vmsim_fill_bytes(m, VMSIM_SUPERVISOR, starts[s], 0, lens[i], &done),
                             VMSIM_ERR_INVALID);
            assert_int_equal(done, 0);
            assert_int_equal(vmsim_write_bytes(m, VMSIM_SUPERVISOR, starts[s], buf, lens[i], &done),
                             VMSIM_ERR_INVALID);
            assert_int_equal(vmsim_read_bytes(m, VMSIM_SUPERVISOR, starts[s], buf, lens[i], &done),
                             VMSIM_ERR_INVALID);
            assert_int_equal(done, 0);
        }
    }
    uint8_t now[0x100];
    assert_int_equal(vmsim_read_bytes(m, VMSIM_SUPERVISOR, 0, now, sizeof now, NULL), VMSIM_OK);
    for (size_t i = 0; i < sizeof now; i++)
        assert_int_equal(now[i], 0x5A);
    vmsim_destroy(m);
}

static void ranges_that_end_at_the_top_pass_the_check(void **state)
{
    (void)state;
    vmsim_machine_t *m = krig_machine(RAM);
    uint8_t buf[16];
    /* outside RAM: the access is refused by the bus, not by the check */
    assert_int_equal(vmsim_read_bytes(m, VMSIM_SUPERVISOR, 0xFFFFFFF0u, buf, 16, NULL),
                     VMSIM_ERR_BUS);
    assert_int_equal(vmsim_read_bytes(m, VMSIM_SUPERVISOR, 0xFFFFFFFFu, buf, 0, NULL), VMSIM_OK);
    assert_int_equal(vmsim_read_bytes(m, VMSIM_SUPERVISOR, 0xFFFFFFF0u, buf, 17, NULL),
                     VMSIM_ERR_INVALID);
    vmsim_destroy(m);
}

static void proc_ranges_near_size_max_are_invalid(void **state)
{
    (void)state;
    struct krig r;
    krig_up_proc(&r, 32u << 20, NULL);
    uint32_t a;
    assert_int_equal(vmsim_mmap(r.k, r.pid, 0, 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE, 0, &a),
                     VMSIM_OK);
    uint8_t buf[64] = {0};
    size_t lens[8];
    size_t n = bad_lengths(a, lens);
    for (size_t i = 0; i < n; i++) {
        size_t done = 99;
        assert_int_equal(vmsim_proc_read(r.k, r.pid, VMSIM_USER, a, buf, lens[i], &done),
                         VMSIM_ERR_INVALID);
        assert_int_equal(done, 0);
        assert_int_equal(vmsim_proc_write(r.k, r.pid, VMSIM_USER, a, buf, lens[i], &done),
                         VMSIM_ERR_INVALID);
        assert_int_equal(done, 0);
    }
    krig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_ranges_near_size_max_are_invalid),
        cmocka_unit_test(ranges_that_end_at_the_top_pass_the_check),
        cmocka_unit_test(proc_ranges_near_size_max_are_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
