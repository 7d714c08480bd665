/*
 * test_ram.c - simulated physical RAM and the bus/DMA port.
 *
 * What this suite proves:
 *   - vmsim_create accepts exactly the RAM sizes the API promises
 *     (4 KiB .. 4 GiB, multiples of 4096) and refuses every other size
 *     with VMSIM_ERR_INVALID without touching *out;
 *   - a 4 GiB machine is created quickly (RAM is reserved lazily) and its
 *     untouched RAM reads as zero, up to the very last byte;
 *   - the bus port copies, fills and moves little-endian words exactly,
 *     refuses (copying nothing) any range that reaches past the end of
 *     RAM, refuses misaligned word accesses and NULL arguments;
 *   - two machines never see each other's RAM;
 *   - the bus port counts no statistic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "vmsim/vmsim.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

static vmsim_machine_t *make_machine(uint64_t ram_bytes)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = ram_bytes;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    assert_non_null(m);
    return m;
}

static vmsim_status_t try_create(uint64_t ram_bytes, vmsim_machine_t **out)
{
    vmsim_config_t cfg;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = ram_bytes;
    return vmsim_create(&cfg, out);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* --- sizes at creation --------------------------------------------------- */

static void ram_sizes_in_range_and_page_multiples_are_accepted(void **state)
{
    static const uint64_t sizes[] = {4 * KIB, 8 * KIB, 1 * MIB + 4 * KIB, 64 * MIB,
                                     4 * GIB - 4 * KIB, 4 * GIB};
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        vmsim_machine_t *m = NULL;
        assert_int_equal(try_create(sizes[i], &m), VMSIM_OK);
        assert_int_equal(vmsim_ram_size(m), sizes[i]);
        assert_int_equal(vmsim_get_config(m)->ram_bytes, sizes[i]);
        vmsim_destroy(m);
    }
}

static void ram_sizes_out_of_range_or_unaligned_are_refused(void **state)
{
    static const uint64_t sizes[] = {0,           1,           4095,
                                     4097,        6000,        64 * MIB + 1,
                                     4 * GIB - 1, 4 * GIB + 1, 4 * GIB + 4 * KIB,
                                     8 * GIB,     UINT64_MAX,  UINT64_MAX - 4095};
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        vmsim_machine_t *sentinel = (vmsim_machine_t *)&sizes[i];
        vmsim_machine_t *m = sentinel;
        assert_int_equal(try_create(sizes[i], &m), VMSIM_ERR_INVALID);
        assert_ptr_equal(m, sentinel); /* *out untouched on failure */
    }
}

static void create_without_config_uses_the_64_mib_default(void **state)
{
    vmsim_machine_t *m = NULL;
    (void)state;
    assert_int_equal(vmsim_create(NULL, &m), VMSIM_OK);
    assert_int_equal(vmsim_ram_size(m), VMSIM_RAM_DEFAULT);
    assert_int_equal(VMSIM_RAM_DEFAULT, 64 * MIB);
    vmsim_destroy(m);
}

static void create_with_null_out_is_a_null_error(void **state)
{
    vmsim_config_t cfg;
    (void)state;
    vmsim_config_default(&cfg);
    assert_int_equal(vmsim_create(&cfg, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_create(NULL, NULL), VMSIM_ERR_NULL);
}

/* --- the 4 GiB machine --------------------------------------------------- */

static void four_gib_machine_creates_fast_and_untouched_ram_reads_zero(void **state)
{
    static const uint64_t probes[] = {0, 4096, 1 * GIB + 123, 2 * GIB, 3 * GIB + 4095,
                                      4 * GIB - 64};
    struct timespec start;
    uint8_t buf[64];
    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &start);
    vmsim_machine_t *m = make_machine(4 * GIB);
    /* Reserving 4 GiB eagerly (calloc + memset) takes seconds; lazily, microseconds. */
    assert_true(seconds_since(&start) < 0.5);
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        memset(buf, 0xa5, sizeof buf);
        assert_int_equal(vmsim_bus_read(m, probes[i], buf, sizeof buf), VMSIM_OK);
        for (size_t k = 0; k < sizeof buf; k++)
            assert_int_equal(buf[k], 0);
    }
    uint64_t last = 0xff;
    assert_int_equal(vmsim_bus_read64(m, 4 * GIB - 8, &last), VMSIM_OK);
    assert_int_equal(last, 0);
    vmsim_destroy(m);
}

static void four_gib_machine_stores_at_its_last_byte(void **state)
{
    uint8_t byte = 0x5a, back = 0;
    (void)state;
    vmsim_machine_t *m = make_machine(4 * GIB);
    assert_int_equal(vmsim_bus_write(m, 4 * GIB - 1, &byte, 1), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 4 * GIB - 1, &back, 1), VMSIM_OK);
    assert_int_equal(back, 0x5a);
    assert_int_equal(vmsim_bus_write(m, 4 * GIB, &byte, 1), VMSIM_ERR_BUS);
    vmsim_destroy(m);
}

/* --- copying, filling, words --------------------------------------------- */

static void bus_write_then_read_returns_the_same_bytes(void **state)
{
    uint8_t src[300], dst[300 + 2];
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + 1);
    /* A range that straddles a 4 KiB frame boundary. */
    assert_int_equal(vmsim_bus_write(m, 0x1f80, src, sizeof src), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 0x1f7f, dst, sizeof dst), VMSIM_OK);
    assert_int_equal(dst[0], 0);                   /* byte before: untouched */
    assert_memory_equal(dst + 1, src, sizeof src);
    assert_int_equal(dst[sizeof dst - 1], 0);      /* byte after: untouched */
    vmsim_destroy(m);
}

static void bus_fill_sets_exactly_the_range(void **state)
{
    uint8_t buf[4 + 5000 + 4];
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    assert_int_equal(vmsim_bus_fill(m, 0x3004, 0xcd, 5000), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 0x3000, buf, sizeof buf), VMSIM_OK);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], (i >= 4 && i < 5004) ? 0xcd : 0);
    assert_int_equal(vmsim_bus_fill(m, 0x3000, 0x11, 0), VMSIM_OK); /* empty fill */
    assert_int_equal(vmsim_bus_read(m, 0x3000, buf, 8), VMSIM_OK);
    assert_int_equal(buf[4], 0xcd);
    vmsim_destroy(m);
}

static void bus_words_are_little_endian(void **state)
{
    uint8_t bytes[8];
    uint32_t w32 = 0;
    uint64_t w64 = 0;
    static const uint8_t le32[4] = {0x44, 0x33, 0x22, 0x11};
    static const uint8_t le64[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    assert_int_equal(vmsim_bus_write32(m, 0x100, 0x11223344u), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 0x100, bytes, 4), VMSIM_OK);
    assert_memory_equal(bytes, le32, 4);
    assert_int_equal(vmsim_bus_read32(m, 0x100, &w32), VMSIM_OK);
    assert_int_equal(w32, 0x11223344u);

    assert_int_equal(vmsim_bus_write64(m, 0x208, 0x0102030405060708ull), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 0x208, bytes, 8), VMSIM_OK);
    assert_memory_equal(bytes, le64, 8);
    assert_int_equal(vmsim_bus_read64(m, 0x208, &w64), VMSIM_OK);
    assert_int_equal(w64, 0x0102030405060708ull);
    /* The low half of the 64-bit word read as a 32-bit word. */
    assert_int_equal(vmsim_bus_read32(m, 0x208, &w32), VMSIM_OK);
    assert_int_equal(w32, 0x05060708u);
    vmsim_destroy(m);
}

/* --- the end of RAM ------------------------------------------------------ */

static void bus_read_at_and_across_ram_end_is_a_bus_error_and_copies_nothing(void **state)
{
    const uint64_t size = 64 * KIB;
    uint8_t buf[8];
    (void)state;
    vmsim_machine_t *m = make_machine(size);
    assert_int_equal(vmsim_bus_fill(m, size - 8, 0x77, 8), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, size - 1, buf, 1), VMSIM_OK); /* last byte */
    assert_int_equal(buf[0], 0x77);
    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(vmsim_bus_read(m, size - 4, buf, 8), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read(m, size, buf, 1), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read(m, UINT64_MAX, buf, 1), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read(m, UINT64_MAX - 2, buf, 8), VMSIM_ERR_BUS); /* wraps */
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xaa);
    vmsim_destroy(m);
}

static void bus_write_and_fill_across_ram_end_store_nothing(void **state)
{
    const uint64_t size = 64 * KIB;
    const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t tail[8];
    (void)state;
    vmsim_machine_t *m = make_machine(size);
    assert_int_equal(vmsim_bus_write(m, size - 4, src, 8), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_fill(m, size - 4, 0xee, 5), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_fill(m, size, 0xee, 1), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_fill(m, UINT64_MAX - 1, 0xee, 4), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read(m, size - 8, tail, 8), VMSIM_OK);
    for (size_t i = 0; i < sizeof tail; i++)
        assert_int_equal(tail[i], 0);
    assert_int_equal(vmsim_bus_write(m, size - 8, src, 8), VMSIM_OK); /* ends exactly at the end */
    assert_int_equal(vmsim_bus_read(m, size - 8, tail, 8), VMSIM_OK);
    assert_memory_equal(tail, src, 8);
    vmsim_destroy(m);
}

static void bus_words_at_ram_end(void **state)
{
    const uint64_t size = 8 * KIB;
    uint32_t w32 = 0x12345678u;
    uint64_t w64 = 0x1122334455667788ull;
    (void)state;
    vmsim_machine_t *m = make_machine(size);
    assert_int_equal(vmsim_bus_write32(m, size - 4, 0xcafef00du), VMSIM_OK);
    assert_int_equal(vmsim_bus_read32(m, size - 4, &w32), VMSIM_OK);
    assert_int_equal(w32, 0xcafef00du);
    assert_int_equal(vmsim_bus_write32(m, size, 1), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read32(m, size, &w32), VMSIM_ERR_BUS);
    assert_int_equal(w32, 0xcafef00du); /* not written on error */
    assert_int_equal(vmsim_bus_write64(m, size - 8, 0x0123456789abcdefull), VMSIM_OK);
    assert_int_equal(vmsim_bus_read64(m, size - 8, &w64), VMSIM_OK);
    assert_int_equal(w64, 0x0123456789abcdefull);
    assert_int_equal(vmsim_bus_write64(m, size, 1), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read64(m, size, &w64), VMSIM_ERR_BUS);
    assert_int_equal(vmsim_bus_read64(m, UINT64_MAX - 7, &w64), VMSIM_ERR_BUS);
    assert_int_equal(w64, 0x0123456789abcdefull);
    vmsim_destroy(m);
}

/* --- bad arguments ------------------------------------------------------- */

static void misaligned_bus_words_are_invalid_and_store_nothing(void **state)
{
    uint32_t w32 = 7;
    uint64_t w64 = 7, all = 0;
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    for (uint64_t off = 1; off < 4; off++) {
        assert_int_equal(vmsim_bus_read32(m, 0x100 + off, &w32), VMSIM_ERR_INVALID);
        assert_int_equal(vmsim_bus_write32(m, 0x100 + off, 0xffffffffu), VMSIM_ERR_INVALID);
    }
    for (uint64_t off = 1; off < 8; off++) {
        assert_int_equal(vmsim_bus_read64(m, 0x200 + off, &w64), VMSIM_ERR_INVALID);
        assert_int_equal(vmsim_bus_write64(m, 0x200 + off, UINT64_MAX), VMSIM_ERR_INVALID);
    }
    assert_int_equal(w32, 7);
    assert_int_equal(w64, 7);
    for (uint64_t a = 0x100; a < 0x210; a += 8) {
        assert_int_equal(vmsim_bus_read64(m, a, &all), VMSIM_OK);
        assert_int_equal(all, 0);
    }
    vmsim_destroy(m);
}

static void null_handle_or_buffer_is_a_null_error(void **state)
{
    uint8_t buf[4] = {0};
    uint32_t w32;
    uint64_t w64;
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    assert_int_equal(vmsim_bus_read(NULL, 0, buf, 4), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_write(NULL, 0, buf, 4), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_fill(NULL, 0, 1, 4), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read32(NULL, 0, &w32), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_write32(NULL, 0, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read64(NULL, 0, &w64), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_write64(NULL, 0, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read32(NULL, 2, &w32), VMSIM_ERR_NULL); /* misaligned too */
    assert_int_equal(vmsim_bus_write64(NULL, 4, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read(m, 0, NULL, 4), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_write(m, 0, NULL, 4), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read32(m, 0, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_bus_read64(m, 0, NULL), VMSIM_ERR_NULL);
    /* A NULL buffer is fine when nothing is copied. */
    assert_int_equal(vmsim_bus_read(m, 0, NULL, 0), VMSIM_OK);
    assert_int_equal(vmsim_bus_write(m, 0, NULL, 0), VMSIM_OK);
    assert_int_equal(vmsim_ram_size(NULL), 0);
    assert_null(vmsim_get_config(NULL));
    vmsim_destroy(NULL); /* ignored */
    vmsim_destroy(m);
}

/* --- isolation and statistics -------------------------------------------- */

static void two_machines_do_not_see_each_others_ram(void **state)
{
    uint32_t a = 0, b = 0;
    (void)state;
    vmsim_machine_t *ma = make_machine(64 * KIB);
    vmsim_machine_t *mb = make_machine(64 * KIB);
    assert_int_equal(vmsim_bus_write32(ma, 0x1000, 0xaaaaaaaau), VMSIM_OK);
    assert_int_equal(vmsim_bus_read32(mb, 0x1000, &b), VMSIM_OK);
    assert_int_equal(b, 0);
    assert_int_equal(vmsim_bus_write32(mb, 0x1000, 0xbbbbbbbbu), VMSIM_OK);
    assert_int_equal(vmsim_bus_read32(ma, 0x1000, &a), VMSIM_OK);
    assert_int_equal(a, 0xaaaaaaaau);
    assert_int_equal(vmsim_bus_read32(mb, 0x1000, &b), VMSIM_OK);
    assert_int_equal(b, 0xbbbbbbbbu);
    vmsim_destroy(ma);
    /* The survivor's RAM is intact after the other machine is gone. */
    assert_int_equal(vmsim_bus_read32(mb, 0x1000, &b), VMSIM_OK);
    assert_int_equal(b, 0xbbbbbbbbu);
    vmsim_destroy(mb);
}

static void bus_port_counts_no_statistic(void **state)
{
    uint8_t buf[16];
    vmsim_stats_t st;
    static const vmsim_stats_t zero;
    (void)state;
    vmsim_machine_t *m = make_machine(64 * KIB);
    assert_int_equal(vmsim_bus_fill(m, 0, 0x12, sizeof buf), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 0, buf, sizeof buf), VMSIM_OK);
    assert_int_equal(vmsim_bus_write32(m, 0x10, 1), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, 64 * KIB, buf, 1), VMSIM_ERR_BUS);
    for (int bank = 0; bank < VMSIM_BANK_COUNT; bank++) {
        assert_int_equal(vmsim_get_stats(m, (vmsim_bank_t)bank, &st), VMSIM_OK);
        assert_memory_equal(&st, &zero, sizeof st);
    }
    vmsim_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ram_sizes_in_range_and_page_multiples_are_accepted),
        cmocka_unit_test(ram_sizes_out_of_range_or_unaligned_are_refused),
        cmocka_unit_test(create_without_config_uses_the_64_mib_default),
        cmocka_unit_test(create_with_null_out_is_a_null_error),
        cmocka_unit_test(four_gib_machine_creates_fast_and_untouched_ram_reads_zero),
        cmocka_unit_test(four_gib_machine_stores_at_its_last_byte),
        cmocka_unit_test(bus_write_then_read_returns_the_same_bytes),
        cmocka_unit_test(bus_fill_sets_exactly_the_range),
        cmocka_unit_test(bus_words_are_little_endian),
        cmocka_unit_test(bus_read_at_and_across_ram_end_is_a_bus_error_and_copies_nothing),
        cmocka_unit_test(bus_write_and_fill_across_ram_end_store_nothing),
        cmocka_unit_test(bus_words_at_ram_end),
        cmocka_unit_test(misaligned_bus_words_are_invalid_and_store_nothing),
        cmocka_unit_test(null_handle_or_buffer_is_a_null_error),
        cmocka_unit_test(two_machines_do_not_see_each_others_ram),
        cmocka_unit_test(bus_port_counts_no_statistic),
    };
    return cmocka_run_group_tests_name("ram", tests, NULL, NULL);
}
