/*
 * test_access.c - loads, stores and fetches through the MMU, as a program
 * and a kernel see them.
 *
 * What this suite proves:
 *   - 1/2/4/8-byte reads, writes and fetches move little-endian data to
 *     and from the translated frame, and report its physical address;
 *   - an access that crosses a page boundary translates both pages, the
 *     lower first; a fault on either reports CR2 = the first faulting
 *     byte and stores nothing, while the first page keeps its A/D bits;
 *   - with paging off the linear address is the physical one, and an
 *     access reaching past RAM is a bus error that stores nothing;
 *   - byte ranges go page by page and report how much was transferred
 *     before a fault; ranges that wrap past 4 GiB are refused;
 *   - the fault handler is called once per fault, the access is restarted
 *     at most once per page it touches, UNHANDLED returns the fault, faults inside the handler go back
 *     to the handler's own access, a retried access is not a second TLB
 *     lookup;
 *   - vmsim_last_fault / CR2, the two statistics banks, the translation
 *     observer, and vmsim_translate's freedom from side effects;
 *   - every bad argument gets the documented status code;
 *   - the fast path changes nothing: a long random sequence of accesses,
 *     table edits and flushes, in 32-bit and PAE paging, gives identical
 *     results, RAM, TLB entries and statistics with config.fast_path on
 *     and off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmsim/vmsim.h"

/* Physical layout (4 MiB of RAM):
 *   0x010000  page directory          0x100000  page table of PD slot 0
 *   0x030000  frame of page 1 (0x1000)   0x050000  frame of page 2 (0x2000)
 *   0x060000  frame of page 4 (read-only) 0x070000  frame of page 5 (supervisor)
 * Page 3 (0x3000) is not present.  Frames 1 and 2 are not adjacent, so a
 * page-crossing access must really use two translations. */
#define RAM_BYTES (4u << 20)
#define PD_BASE 0x10000u
#define PT_BASE 0x100000u
#define FRAME1 0x30000u
#define FRAME2 0x50000u
#define FRAME4 0x60000u
#define FRAME5 0x70000u
#define PG_ON (VMSIM_CR0_PG | VMSIM_CR0_PE)
#define URW (VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US)
#define SUP VMSIM_SUPERVISOR
#define USER VMSIM_USER

static uint32_t pte_addr(uint32_t va)
{
    return PT_BASE + (va >> 22) * 4096u + 4 * ((va >> 12) & 0x3ff);
}

static void map_page(vmsim_machine_t *m, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t slot = va >> 22;
    assert_int_equal(vmsim_bus_write32(m, PD_BASE + 4 * slot, (PT_BASE + slot * 4096u) | URW),
                     VMSIM_OK);
    assert_int_equal(vmsim_bus_write32(m, pte_addr(va), pa | flags), VMSIM_OK);
}

static uint32_t bus32(const vmsim_machine_t *m, uint64_t pa)
{
    uint32_t v = 0;
    assert_int_equal(vmsim_bus_read32(m, pa, &v), VMSIM_OK);
    return v;
}

static vmsim_machine_t *bare_machine(bool fast)
{
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = RAM_BYTES;
    cfg.fast_path = fast;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    return m;
}

static void paging_on(vmsim_machine_t *m)
{
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PD_BASE), VMSIM_OK);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_OK);
}

/* The machine of the layout above, paging on, statistics zero. */
static vmsim_machine_t *paged_machine(void)
{
    vmsim_machine_t *m = bare_machine(true);
    map_page(m, 0x1000, FRAME1, URW);
    map_page(m, 0x2000, FRAME2, URW);
    map_page(m, 0x4000, FRAME4, VMSIM_PTE_P | VMSIM_PTE_US);
    map_page(m, 0x5000, FRAME5, VMSIM_PTE_P | VMSIM_PTE_RW);
    paging_on(m);
    vmsim_reset_stats(m);
    return m;
}

static vmsim_stats_t stats(const vmsim_machine_t *m, vmsim_bank_t bank)
{
    vmsim_stats_t s;
    assert_int_equal(vmsim_get_stats(m, bank, &s), VMSIM_OK);
    return s;
}

/* Teardown for tests that keep their machine in *state, so that it is
 * freed even when an assertion fails. */
static int destroy_machine(void **state)
{
    vmsim_destroy(*state);
    *state = NULL;
    return 0;
}

static const uint8_t pattern[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

/* --- sizes and byte order --------------------------------------------- */

static void typed_reads_return_little_endian_values(void **state)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_bus_write(m, FRAME1 + 0x10, pattern, 8), VMSIM_OK);
    assert_int_equal(vmsim_read8(m, USER, 0x1010, &v8), VMSIM_OK);
    assert_int_equal(v8, 0x01);
    assert_int_equal(vmsim_read16(m, USER, 0x1010, &v16), VMSIM_OK);
    assert_int_equal(v16, 0x0201);
    assert_int_equal(vmsim_read32(m, SUP, 0x1010, &v32), VMSIM_OK);
    assert_int_equal(v32, 0x04030201u);
    assert_int_equal(vmsim_read64(m, USER, 0x1010, &v64), VMSIM_OK);
    assert_int_equal(v64, 0x0807060504030201ull);
    assert_int_equal(vmsim_read16(m, USER, 0x1013, &v16), VMSIM_OK); /* unaligned is fine */
    assert_int_equal(v16, 0x0504);
    assert_int_equal(vmsim_fetch32(m, USER, 0x1011, &v32), VMSIM_OK);
    assert_int_equal(v32, 0x05040302u);
    vmsim_destroy(m);
}

static void general_access_moves_each_size_and_reports_the_frame(void **state)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_bus_write(m, FRAME2 + 0x100, pattern, 8), VMSIM_OK);
    for (size_t i = 0; i < 4; i++) {
        for (int kind = VMSIM_READ; kind <= VMSIM_FETCH; kind += 2) {
            uint8_t buf[8] = {0};
            vmsim_result_t res;
            assert_int_equal(vmsim_access(m, (vmsim_access_t)kind, USER, 0x2100, buf, sizes[i], &res),
                             VMSIM_OK);
            assert_int_equal(res.status, VMSIM_OK);
            assert_int_equal(res.paddr, FRAME2 + 0x100);
            assert_memory_equal(buf, pattern, sizes[i]);
            for (size_t k = sizes[i]; k < 8; k++)
                assert_int_equal(buf[k], 0); /* nothing beyond `size` */
        }
    }
    vmsim_destroy(m);
}

static void typed_writes_store_little_endian_bytes(void **state)
{
    uint8_t got[16];
    static const uint8_t want[16] = {0xaa, 0xef, 0xbe, 0x78, 0x56, 0x34, 0x12, 0,
                                     0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_write8(m, USER, 0x1200, 0xaa), VMSIM_OK);
    assert_int_equal(vmsim_write16(m, USER, 0x1201, 0xbeef), VMSIM_OK);
    assert_int_equal(vmsim_write32(m, SUP, 0x1203, 0x12345678u), VMSIM_OK);
    assert_int_equal(vmsim_write64(m, USER, 0x1208, 0x0102030405060708ull), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, FRAME1 + 0x200, got, 16), VMSIM_OK);
    assert_memory_equal(got, want, 16);
    vmsim_destroy(m);
}

static void general_write_with_null_buffer_stores_zero_bytes(void **state)
{
    vmsim_result_t res;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_bus_fill(m, FRAME1 + 0x300, 0xff, 16), VMSIM_OK);
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, USER, 0x1304, NULL, 4, &res), VMSIM_OK);
    assert_int_equal(bus32(m, FRAME1 + 0x300), 0xffffffffu);
    assert_int_equal(bus32(m, FRAME1 + 0x304), 0);
    assert_int_equal(bus32(m, FRAME1 + 0x308), 0xffffffffu);
    /* A read with a NULL buffer still happens (A bit, statistics). */
    assert_int_equal(vmsim_access(m, VMSIM_READ, USER, 0x1304, NULL, 8, NULL), VMSIM_OK);
    vmsim_destroy(m);
}

/* --- page-crossing accesses -------------------------------------------- */

static void page_crossing_write_splits_between_two_frames(void **state)
{
    vmsim_result_t res;
    uint64_t v64 = 0;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    uint32_t value = 0x11223344u;
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, USER, 0x1ffe, &value, 4, &res), VMSIM_OK);
    assert_int_equal(res.paddr, FRAME1 + 0xffe);
    assert_int_equal(bus32(m, FRAME1 + 0xffc) >> 16, 0x3344);
    assert_int_equal(bus32(m, FRAME2) & 0xffff, 0x1122);
    assert_int_equal(vmsim_write64(m, USER, 0x1ffd, 0x8877665544332211ull), VMSIM_OK);
    assert_int_equal(vmsim_read64(m, USER, 0x1ffd, &v64), VMSIM_OK);
    assert_int_equal(v64, 0x8877665544332211ull);
    assert_int_equal(bus32(m, FRAME2), 0x77665544u); /* bytes 3..6 of the value */
    /* Both leaf entries got A and D. */
    assert_int_equal(bus32(m, pte_addr(0x1000)) & 0x60, 0x60);
    assert_int_equal(bus32(m, pte_addr(0x2000)) & 0x60, 0x60);
    vmsim_destroy(m);
}

struct seen {
    unsigned n;
    vmsim_translation_t t[8];
};

static void record(void *user, const vmsim_translation_t *t)
{
    struct seen *s = user;
    if (s->n < 8)
        s->t[s->n] = *t;
    s->n++;
}

static void page_crossing_access_translates_the_lower_page_first(void **state)
{
    struct seen seen = {0};
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_set_translation_observer(m, record, &seen), VMSIM_OK);
    assert_int_equal(vmsim_read32(m, USER, 0x1ffd, &v), VMSIM_OK);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.t[0].vaddr, 0x1ffd);
    assert_int_equal(seen.t[0].paddr, FRAME1 + 0xffd);
    assert_int_equal(seen.t[1].vaddr, 0x2000);
    assert_int_equal(seen.t[1].paddr, FRAME2);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.dtlb.lookups, 2); /* one lookup per page */
    vmsim_destroy(m);
}

static void fault_on_second_page_stores_nothing_and_keeps_first_page_ad(void **state)
{
    vmsim_result_t res;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    map_page(m, 0x2000, FRAME2, VMSIM_PTE_P | VMSIM_PTE_US); /* second page read-only */
    uint32_t value = 0xdeadbeefu;
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, USER, 0x1ffe, &value, 4, &res),
                     VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(res.fault.cr2, 0x2000);
    assert_int_equal(res.fault.error_code, VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    assert_int_equal(bus32(m, FRAME1 + 0xffc), 0);
    assert_int_equal(bus32(m, FRAME2), 0);
    assert_int_equal(bus32(m, pte_addr(0x1000)) & 0x60, 0x60); /* first page: A and D stay */
    assert_int_equal(bus32(m, pte_addr(0x2000)) & 0x60, 0);    /* faulting page: untouched */
    /* Second page not present: CR2 is its first byte, nothing stored. */
    assert_int_equal(vmsim_write64(m, SUP, 0x2ffa, 0x1111111111111111ull), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_last_fault(m, &res.fault), VMSIM_OK);
    assert_int_equal(res.fault.cr2, 0x3000);
    assert_int_equal(res.fault.error_code, VMSIM_PF_W);
    assert_int_equal(bus32(m, FRAME2 + 0xffc), 0);
    vmsim_destroy(m);
}

static void fault_on_first_page_reports_the_first_byte_and_skips_the_second(void **state)
{
    struct seen seen = {0};
    uint32_t v = 0x5a5a5a5au;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    map_page(m, 0x3000, 0, 0);                  /* page 3 absent ... */
    map_page(m, 0x4000, FRAME4, URW);           /* ... page 4 present and writable */
    vmsim_set_translation_observer(m, record, &seen);
    assert_int_equal(vmsim_read32(m, SUP, 0x3ffe, &v), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(v, 0x5a5a5a5au);           /* *out untouched */
    assert_int_equal(seen.n, 1);                /* the second page was never translated */
    uint64_t cr2 = 0;
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR2, &cr2), VMSIM_OK);
    assert_int_equal(cr2, 0x3ffe);
    assert_int_equal(bus32(m, pte_addr(0x4000)) & VMSIM_PTE_A, 0);
    vmsim_destroy(m);
}

/* --- paging off --------------------------------------------------------- */

static void paging_off_maps_linear_to_physical(void **state)
{
    vmsim_result_t res;
    uint32_t v = 0;
    (void)state;
    vmsim_machine_t *m = bare_machine(true);
    assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_OFF);
    assert_int_equal(vmsim_write32(m, USER, 0x1234, 0xa1b2c3d4u), VMSIM_OK);
    assert_int_equal(bus32(m, 0x1234), 0xa1b2c3d4u);
    assert_int_equal(vmsim_access(m, VMSIM_FETCH, SUP, 0x3ffffc, &v, 4, &res), VMSIM_OK);
    assert_int_equal(res.paddr, 0x3ffffc);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.walks, 0);
    assert_int_equal(s.dtlb.lookups + s.itlb.lookups, 0);
    vmsim_destroy(m);
}

static void paging_off_access_past_ram_is_a_bus_error_that_stores_nothing(void **state)
{
    vmsim_result_t res;
    uint32_t value = 0xffffffffu;
    (void)state;
    vmsim_machine_t *m = bare_machine(true);
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, SUP, RAM_BYTES - 2, &value, 4, &res),
                     VMSIM_ERR_BUS);
    assert_int_equal(res.bus_addr, RAM_BYTES); /* the first byte outside RAM */
    assert_int_equal(bus32(m, RAM_BYTES - 4), 0);
    assert_int_equal(vmsim_access(m, VMSIM_READ, SUP, 0xfffffff0u, NULL, 8, &res), VMSIM_ERR_BUS);
    assert_int_equal(res.bus_addr, 0xfffffff0u);
    assert_int_equal(vmsim_read8(m, USER, RAM_BYTES - 1, (uint8_t *)&value), VMSIM_OK);
    assert_int_equal(stats(m, VMSIM_BANK_PROGRAM).bus_errors, 2);
    vmsim_destroy(m);
}

/* --- bus errors with paging on -------------------------------------------- */

static void walk_to_a_frame_outside_ram_changes_and_caches_nothing(void **state)
{
    vmsim_result_t res;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    map_page(m, 0x6000, RAM_BYTES + 0x3000, URW);   /* frame beyond the end of RAM */
    assert_int_equal(vmsim_access(m, VMSIM_READ, USER, 0x6010, NULL, 4, &res), VMSIM_ERR_BUS);
    assert_int_equal(res.bus_addr, RAM_BYTES + 0x3010);
    assert_int_equal(bus32(m, PD_BASE) & VMSIM_PTE_A, 0);          /* no A bit, not even the PDE's */
    assert_int_equal(bus32(m, pte_addr(0x6000)) & VMSIM_PTE_A, 0);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.dtlb.fills, 0);                            /* nothing cached */
    assert_int_equal(s.bus_errors, 1);
    assert_int_equal(s.ad_writes, 0);
    assert_int_equal(s.faults, 0);
    vmsim_destroy(m);
}

/* A 4 MiB page that straddles the end of (6 MiB of) RAM: the walk for an
 * address inside RAM caches it; a later address of the same page beyond
 * RAM hits that entry and must still be a bus error, not a host-memory
 * access (before commit cc1b2f1 the write below returned VMSIM_OK and
 * stored past the end of the host RAM mapping). */
static void tlb_hit_on_a_large_page_beyond_ram_is_a_bus_error(void **state)
{
    vmsim_result_t res;
    uint32_t v = 0;
    vmsim_config_t cfg;
    vmsim_machine_t *m = NULL;
    vmsim_config_default(&cfg);
    cfg.ram_bytes = 6u << 20;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    *state = m;
    assert_int_equal(vmsim_bus_write32(m, PD_BASE + 4 * 2, 0x400000u | URW | VMSIM_PTE_PS),
                     VMSIM_OK);               /* linear 0x800000 -> physical 0x400000..0x7fffff */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PSE), VMSIM_OK);
    paging_on(m);
    assert_int_equal(vmsim_read32(m, SUP, 0x800010, &v), VMSIM_OK);
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, SUP, 0xa00010, &v, 4, &res), VMSIM_ERR_BUS);
    assert_int_equal(res.bus_addr, 0x600010);
    assert_int_equal(vmsim_access(m, VMSIM_READ, SUP, 0xbffffc, &v, 4, &res), VMSIM_ERR_BUS);
    assert_int_equal(res.bus_addr, 0x7ffffc);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.dtlb.hits, 2);
    assert_int_equal(s.bus_errors, 2);
}

/* --- byte ranges -------------------------------------------------------- */

static void byte_range_crosses_pages_in_order(void **state)
{
    uint8_t src[6000], dst[6000];
    size_t done = 0;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i % 251);
    assert_int_equal(vmsim_write_bytes(m, USER, 0x1400, src, sizeof src, &done), VMSIM_OK);
    assert_int_equal(done, sizeof src);
    assert_int_equal(vmsim_read_bytes(m, USER, 0x1400, dst, sizeof dst, &done), VMSIM_OK);
    assert_int_equal(done, sizeof dst);
    assert_memory_equal(src, dst, sizeof src);
    /* The bytes really went to the two frames. */
    assert_int_equal(vmsim_bus_read(m, FRAME2, dst, 16), VMSIM_OK);
    assert_memory_equal(dst, src + 0xc00, 16);
    vmsim_destroy(m);
}

static void byte_range_fault_reports_the_bytes_done_before_it(void **state)
{
    uint8_t buf[8192];
    size_t done = 99;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    memset(buf, 0x3c, sizeof buf);
    /* 0x1800 .. 0x37ff: pages 1 and 2 go through, page 3 faults. */
    assert_int_equal(vmsim_write_bytes(m, USER, 0x1800, buf, sizeof buf, &done),
                     VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(done, 0x3000 - 0x1800);
    assert_int_equal(bus32(m, FRAME2 + 0xffc), 0x3c3c3c3cu);
    vmsim_fault_t f;
    vmsim_last_fault(m, &f);
    assert_int_equal(f.cr2, 0x3000);
    assert_int_equal(vmsim_read_bytes(m, USER, 0x2ff0, buf, 32, &done), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(done, 16);
    assert_int_equal(vmsim_fill_bytes(m, USER, 0x1ff0, 0x77, 0x2000, &done), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(done, 0x1010);
    assert_int_equal(bus32(m, FRAME2 + 0xffc), 0x77777777u);
    /* A fault on the very first page: nothing done. */
    assert_int_equal(vmsim_read_bytes(m, USER, 0x3000, buf, 4, &done), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(done, 0);
    vmsim_destroy(m);
}

static void byte_range_refuses_wrap_and_bad_arguments(void **state)
{
    uint8_t buf[16];
    size_t done = 99;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_read_bytes(m, SUP, 0xfffffff8u, buf, 16, &done), VMSIM_ERR_INVALID);
    assert_int_equal(done, 0);
    assert_int_equal(vmsim_write_bytes(m, SUP, 0xffffffffu, buf, 2, &done), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_fill_bytes(m, SUP, 0xfffff001u, 0, 0x1000, &done), VMSIM_ERR_INVALID);
    /* Ending exactly at 4 GiB is not a wrap: the access is made (and faults). */
    assert_int_equal(vmsim_read_bytes(m, SUP, 0xfffffff0u, buf, 16, &done), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_read_bytes(m, SUP, 0xffffffffu, buf, 0, &done), VMSIM_OK);
    assert_int_equal(done, 0);
    assert_int_equal(vmsim_read_bytes(m, SUP, 0x1000, NULL, 4, &done), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write_bytes(m, SUP, 0x1000, NULL, 4, &done), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read_bytes(m, SUP, 0x1000, NULL, 0, NULL), VMSIM_OK);
    assert_int_equal(vmsim_read_bytes(NULL, SUP, 0x1000, buf, 4, &done), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_fill_bytes(NULL, SUP, 0x1000, 0, 4, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read_bytes(m, (vmsim_mode_t)7, 0x1000, buf, 4, &done),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_write_bytes(m, USER, 0x1000, buf, 4, NULL), VMSIM_OK);
    vmsim_destroy(m);
}

/* --- the fault handler --------------------------------------------------- */

struct kernel {
    unsigned calls;
    vmsim_fault_t fault;           /* the last fault the handler saw */
    vmsim_fault_action_t action;
    bool map_it;                   /* map the faulting page at FRAME5 */
    bool nested_access;            /* make a faulting access of its own */
    vmsim_status_t nested_status;
    bool kernel_bank;              /* do the handler's work in the kernel bank */
    uint64_t cr2_seen;             /* CR2 as the handler found it */
    vmsim_fault_t last_seen;       /* vmsim_last_fault() as the handler found it */
};

static vmsim_fault_action_t handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    struct kernel *k = user;
    vmsim_bank_t bank = VMSIM_BANK_PROGRAM;
    k->calls++;
    k->fault = *f;
    vmsim_read_reg(m, VMSIM_REG_CR2, &k->cr2_seen);
    vmsim_last_fault(m, &k->last_seen);
    if (k->kernel_bank)
        vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, &bank);
    if (k->nested_access) {
        uint32_t v;
        k->nested_status = vmsim_read32(m, SUP, 0x7000, &v); /* page 7: never mapped */
    }
    if (k->map_it)
        map_page(m, f->cr2 & ~0xfffu, FRAME5, URW);
    if (k->kernel_bank)
        vmsim_set_stats_bank(m, bank, NULL);
    return k->action;
}

static void handler_that_maps_the_page_gets_the_access_retried(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true};
    uint32_t v = 0;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_bus_write32(m, FRAME5 + 0x10, 0xfeedf00du), VMSIM_OK);
    void *user = NULL;
    assert_null(vmsim_get_fault_handler(m, &user));
    assert_int_equal(vmsim_set_fault_handler(m, handler, &k), VMSIM_OK);
    assert_ptr_equal(vmsim_get_fault_handler(m, &user), handler);
    assert_ptr_equal(user, &k);
    assert_null(vmsim_get_fault_handler(NULL, &user));
    assert_null(user);
    assert_int_equal(vmsim_read32(m, USER, 0x3010, &v), VMSIM_OK);
    assert_int_equal(v, 0xfeedf00du);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.fault.cr2, 0x3010);
    assert_int_equal(k.fault.error_code, VMSIM_PF_U);
    assert_int_equal(k.fault.reason, VMSIM_WHY_NOT_PRESENT);
    assert_int_equal(k.fault.access, VMSIM_READ);
    assert_int_equal(k.fault.mode, USER);
    assert_int_equal(k.fault.level, VMSIM_LEVEL_PTE);
    assert_int_equal(k.cr2_seen, 0x3010); /* CR2 and the last fault are set before the call */
    assert_memory_equal(&k.last_seen, &k.fault, sizeof k.fault);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.faults, 1);
    assert_int_equal(s.faults_not_present, 1);
    assert_int_equal(s.faults_handled, 1);
    assert_int_equal(s.walks, 2);
    /* The retry is the same access: one lookup, one miss, one fill. */
    assert_int_equal(s.dtlb.lookups, 1);
    assert_int_equal(s.dtlb.misses, 1);
    assert_int_equal(s.dtlb.fills, 1);
    vmsim_destroy(m);
}

static void retry_happens_once_even_if_the_fault_persists(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY};
    vmsim_result_t res;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_access(m, VMSIM_WRITE, USER, 0x3000, NULL, 4, &res),
                     VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(res.status, VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(res.fault.cr2, 0x3000);
    assert_int_equal(k.calls, 1);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.faults, 2);         /* first try and retry both fault */
    assert_int_equal(s.faults_handled, 1); /* one retry granted */
    assert_int_equal(s.dtlb.lookups, 1);
    vmsim_destroy(m);
}

static void unhandled_fault_is_returned_to_the_caller(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_UNHANDLED, .map_it = true};
    vmsim_result_t res;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_access(m, VMSIM_READ, SUP, 0x3abc, NULL, 2, &res),
                     VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(k.calls, 1);
    assert_memory_equal(&res.fault, &k.fault, sizeof k.fault);
    assert_int_equal(stats(m, VMSIM_BANK_PROGRAM).faults_handled, 0);
    /* The handler did map the page: the next access succeeds without it. */
    assert_int_equal(vmsim_access(m, VMSIM_READ, SUP, 0x3abc, NULL, 2, &res), VMSIM_OK);
    assert_int_equal(k.calls, 1);
    vmsim_destroy(m);
}

static void fault_inside_the_handler_goes_back_to_the_handler_not_to_a_new_call(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true, .nested_access = true};
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_read32(m, SUP, 0x3000, &v), VMSIM_OK);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.nested_status, VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(k.fault.cr2, 0x3000);
    vmsim_fault_t last;
    vmsim_last_fault(m, &last);
    assert_int_equal(last.cr2, 0x7000); /* the handler's own fault was the last one raised */
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.faults, 2);
    assert_int_equal(s.faults_handled, 1);
    vmsim_destroy(m);
}

static void handler_retry_completes_a_page_crossing_write(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true};
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_write32(m, USER, 0x2ffe, 0xa1b2c3d4u), VMSIM_OK);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.fault.cr2, 0x3000);
    assert_int_equal(bus32(m, FRAME2 + 0xffc) >> 16, 0xc3d4);
    assert_int_equal(bus32(m, FRAME5) & 0xffff, 0xa1b2);
    vmsim_destroy(m);
}

/* mmu.h: an access is restarted "at most once per page it touches (twice
 * for an access that crosses a page boundary)".  Both pages of this
 * access are missing: the handler maps page 2, the restart faults on page
 * 3, the handler maps it, the second restart completes. */
static void page_crossing_access_is_restarted_once_per_faulting_page(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true};
    vmsim_machine_t *m = *state = paged_machine();
    map_page(m, 0x2000, 0, 0);
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_write32(m, USER, 0x2ffe, 0xa1b2c3d4u), VMSIM_OK);
    assert_int_equal(k.calls, 2);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.faults, 2);
    assert_int_equal(s.faults_handled, 2);
    assert_int_equal(s.dtlb.lookups, 2);
}

/* spec/tlb.md: an access covering k pages makes k lookups, and a retry
 * is not a second lookup.  Page 1 faults and is mapped by the handler;
 * on the restart page 1's lookup is the retry's (not counted) but page
 * 2's lookup is made for the first time and must be counted. */
static void restarted_crossing_access_counts_each_page_lookup_once(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true};
    uint32_t v;
    vmsim_machine_t *m = *state = paged_machine();
    map_page(m, 0x1000, 0, 0);
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_read32(m, USER, 0x1ffe, &v), VMSIM_OK);
    assert_int_equal(k.calls, 1);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.dtlb.lookups, 2);
    assert_int_equal(s.dtlb.misses, 2);
}

static void handler_work_in_the_kernel_bank_is_counted_apart(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true, .nested_access = true,
                       .kernel_bank = true};
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_read32(m, USER, 0x3000, &v), VMSIM_OK);
    vmsim_stats_t p = stats(m, VMSIM_BANK_PROGRAM), kb = stats(m, VMSIM_BANK_KERNEL);
    assert_int_equal(p.faults, 1);          /* the program's fault ... */
    assert_int_equal(p.faults_handled, 1);
    assert_int_equal(p.dtlb.lookups, 1);    /* ... and its one lookup */
    assert_int_equal(kb.faults, 1);         /* the handler's own fault at 0x7000 */
    assert_int_equal(kb.dtlb.lookups, 1);
    assert_int_equal(kb.faults_handled, 0);
    vmsim_destroy(m);
}

static void removed_handler_is_not_called(void **state)
{
    struct kernel k = {.action = VMSIM_FAULT_RETRY, .map_it = true};
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_fault_handler(m, handler, &k);
    assert_int_equal(vmsim_set_fault_handler(m, NULL, NULL), VMSIM_OK);
    assert_int_equal(vmsim_read32(m, SUP, 0x3000, &v), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(k.calls, 0);
    vmsim_destroy(m);
}

/* --- last fault, CR2, statistics banks ------------------------------------- */

static void last_fault_and_cr2_follow_the_latest_fault(void **state)
{
    vmsim_fault_t f;
    static const vmsim_fault_t zero;
    uint64_t cr2 = 1;
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_last_fault(m, &f), VMSIM_OK);
    assert_memory_equal(&f, &zero, sizeof f);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR2, &cr2), VMSIM_OK);
    assert_int_equal(cr2, 0);
    assert_int_equal(vmsim_write32(m, USER, 0x4008, 1), VMSIM_ERR_PAGE_FAULT); /* read-only */
    assert_int_equal(vmsim_last_fault(m, &f), VMSIM_OK);
    assert_int_equal(f.cr2, 0x4008);
    assert_int_equal(f.error_code, VMSIM_PF_P | VMSIM_PF_W | VMSIM_PF_U);
    assert_int_equal(f.reason, VMSIM_WHY_READ_ONLY);
    assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK); /* success changes neither */
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR2, &cr2), VMSIM_OK);
    assert_int_equal(cr2, 0x4008);
    assert_int_equal(vmsim_read32(m, USER, 0x5000, &v), VMSIM_ERR_PAGE_FAULT); /* supervisor page */
    assert_int_equal(vmsim_last_fault(m, &f), VMSIM_OK);
    assert_int_equal(f.cr2, 0x5000);
    assert_int_equal(f.reason, VMSIM_WHY_USER_TO_SUP);
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR2, 0x1234), VMSIM_OK);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR2, &cr2), VMSIM_OK);
    assert_int_equal(cr2, 0x1234);
    vmsim_destroy(m);
}

static void kernel_bank_counts_apart_from_the_program_bank(void **state)
{
    vmsim_bank_t prev = VMSIM_BANK_KERNEL;
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, &prev), VMSIM_OK);
    assert_int_equal(prev, VMSIM_BANK_PROGRAM);
    assert_int_equal(vmsim_read32(m, SUP, 0x1000, &v), VMSIM_OK);
    assert_int_equal(vmsim_read32(m, SUP, 0x1004, &v), VMSIM_OK);
    assert_int_equal(vmsim_read32(m, SUP, 0x3000, &v), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(vmsim_set_stats_bank(m, VMSIM_BANK_PROGRAM, &prev), VMSIM_OK);
    assert_int_equal(prev, VMSIM_BANK_KERNEL);
    assert_int_equal(vmsim_read32(m, SUP, 0x1008, &v), VMSIM_OK); /* hit, in the program bank */
    vmsim_stats_t k = stats(m, VMSIM_BANK_KERNEL), p = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(k.dtlb.misses, 2);
    assert_int_equal(k.dtlb.hits, 1);
    assert_int_equal(k.walks, 2);
    assert_int_equal(k.faults, 1);
    assert_int_equal(p.dtlb.hits, 1);
    assert_int_equal(p.dtlb.misses, 0);
    assert_int_equal(p.walks, 0);
    assert_int_equal(p.faults, 0);
    assert_int_equal(vmsim_set_stats_bank(m, VMSIM_BANK_COUNT, NULL), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_COUNT, &p), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_set_stats_bank(m, VMSIM_BANK_KERNEL, NULL), VMSIM_OK);
    assert_int_equal(vmsim_reset_stats(m), VMSIM_OK); /* zeroes both banks */
    k = stats(m, VMSIM_BANK_KERNEL);
    assert_int_equal(k.dtlb.hits + k.walks, 0);
    vmsim_destroy(m);
}

/* --- the observer and vmsim_translate ----------------------------------- */

static void observer_sees_every_translation_with_its_story(void **state)
{
    struct seen seen = {0};
    uint32_t v;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    vmsim_set_translation_observer(m, record, &seen);
    assert_int_equal(vmsim_read32(m, USER, 0x1010, &v), VMSIM_OK);   /* miss, walk */
    assert_int_equal(vmsim_read32(m, USER, 0x1020, &v), VMSIM_OK);   /* hit */
    assert_int_equal(vmsim_write8(m, USER, 0x1030, 1), VMSIM_OK);    /* hit, dirty walk */
    assert_int_equal(vmsim_read8(m, USER, 0x3000, (uint8_t *)&v), VMSIM_ERR_PAGE_FAULT);
    assert_int_equal(seen.n, 4);
    const vmsim_translation_t *t = seen.t;
    assert_true(t[0].walked && !t[0].tlb_hit && t[0].cached);
    assert_int_equal(t[0].n_steps, 2);
    assert_int_equal(t[0].steps[0].addr, PD_BASE);
    assert_int_equal(t[0].steps[1].addr, pte_addr(0x1000));
    assert_int_equal(t[0].steps[1].new_value, FRAME1 | URW | VMSIM_PTE_A);
    assert_int_equal(t[0].tlb, VMSIM_DTLB);
    assert_true(t[1].tlb_hit && !t[1].walked);
    assert_int_equal(t[1].paddr, FRAME1 + 0x20);
    assert_true(t[2].tlb_hit && t[2].dirty_walk && t[2].walked);
    assert_int_equal(t[2].steps[1].new_value, FRAME1 | URW | VMSIM_PTE_A | VMSIM_PTE_D);
    assert_int_equal(t[3].outcome, VMSIM_OUTCOME_FAULT);
    assert_int_equal(t[3].fault.cr2, 0x3000);
    vmsim_set_translation_observer(m, NULL, NULL);
    assert_int_equal(vmsim_read32(m, USER, 0x1010, &v), VMSIM_OK);
    assert_int_equal(seen.n, 4); /* removed: no more calls */
    vmsim_destroy(m);
}

static void run_small_program(vmsim_machine_t *m)
{
    uint32_t v;
    for (uint32_t i = 0; i < 40; i++) {
        vmsim_read32(m, USER, 0x1000 + 0x97 * i, &v);
        vmsim_write16(m, i & 1 ? USER : SUP, 0x2000 + 0x55 * i, (uint16_t)i);
        vmsim_read8(m, USER, 0x3000 + i, (uint8_t *)&v);
        vmsim_fetch32(m, SUP, 0x4000 + 4 * i, &v);
    }
}

static void observer_changes_no_result_or_statistic(void **state)
{
    struct seen seen = {0};
    (void)state;
    vmsim_machine_t *plain = paged_machine(), *watched = paged_machine();
    vmsim_set_translation_observer(watched, record, &seen);
    run_small_program(plain);
    run_small_program(watched);
    vmsim_stats_t a = stats(plain, VMSIM_BANK_PROGRAM), b = stats(watched, VMSIM_BANK_PROGRAM);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(seen.n, 160); /* four single-page accesses per round, 40 rounds */
    vmsim_destroy(plain);
    vmsim_destroy(watched);
}

struct snapshot {
    uint8_t tables[2 * 4096];
    vmsim_stats_t stats;
    vmsim_fault_t last;
    uint64_t cr2;
    vmsim_tlb_entry_t dtlb[64];
};

static void take_snapshot(const vmsim_machine_t *m, struct snapshot *s)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(vmsim_bus_read(m, PD_BASE, s->tables, 4096), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(m, PT_BASE, s->tables + 4096, 4096), VMSIM_OK);
    s->stats = stats(m, VMSIM_BANK_PROGRAM);
    vmsim_last_fault(m, &s->last);
    vmsim_read_reg(m, VMSIM_REG_CR2, &s->cr2);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(vmsim_tlb_entry(m, VMSIM_DTLB, i, &s->dtlb[i]), VMSIM_OK);
}

static void translate_shows_a_walk_without_side_effects(void **state)
{
    vmsim_translation_t t;
    struct snapshot before, after;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    take_snapshot(m, &before);
    assert_int_equal(vmsim_translate(m, VMSIM_WRITE, USER, 0x2abc, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_OK);
    assert_int_equal(t.paddr, FRAME2 + 0xabc);
    assert_int_equal(t.n_steps, 2);
    assert_int_equal(t.steps[1].value, FRAME2 | URW);
    assert_int_equal(t.steps[1].new_value, FRAME2 | URW | VMSIM_PTE_A | VMSIM_PTE_D);
    assert_true(t.steps[1].leaf);
    assert_int_equal(vmsim_translate(m, VMSIM_READ, USER, 0x3000, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_FAULT);
    assert_int_equal(t.fault.cr2, 0x3000);
    assert_int_equal(vmsim_translate(m, VMSIM_WRITE, USER, 0x4000, &t), VMSIM_OK);
    assert_int_equal(t.fault.reason, VMSIM_WHY_READ_ONLY);
    take_snapshot(m, &after);
    assert_memory_equal(&before, &after, sizeof before);
    vmsim_destroy(m);
}

static void translate_with_paging_off_is_identity_or_bus(void **state)
{
    vmsim_translation_t t;
    (void)state;
    vmsim_machine_t *m = bare_machine(true);
    assert_int_equal(vmsim_translate(m, VMSIM_READ, SUP, 0x12345, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_OK);
    assert_int_equal(t.paddr, 0x12345);
    assert_int_equal(t.paging, VMSIM_PAGING_OFF);
    assert_int_equal(vmsim_translate(m, VMSIM_READ, SUP, RAM_BYTES, &t), VMSIM_OK);
    assert_int_equal(t.outcome, VMSIM_OUTCOME_BUS);
    assert_int_equal(t.bus_addr, RAM_BYTES);
    assert_int_equal(stats(m, VMSIM_BANK_PROGRAM).bus_errors, 0);
    vmsim_destroy(m);
}

/* --- bad arguments -------------------------------------------------------- */

static void null_handle_is_a_null_error(void **state)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    vmsim_result_t res;
    vmsim_translation_t t;
    vmsim_fault_t f;
    (void)state;
    assert_int_equal(vmsim_access(NULL, VMSIM_READ, SUP, 0x1000, &v32, 4, &res), VMSIM_ERR_NULL);
    assert_int_equal(res.status, VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read8(NULL, SUP, 0x1000, &v8), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read16(NULL, SUP, 0x1000, &v16), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read32(NULL, SUP, 0x1000, &v32), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read64(NULL, SUP, 0x1000, &v64), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_fetch32(NULL, SUP, 0x1000, &v32), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write8(NULL, SUP, 0x1000, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write16(NULL, SUP, 0x1000, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write32(NULL, SUP, 0x1000, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write64(NULL, SUP, 0x1000, 1), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_translate(NULL, VMSIM_READ, SUP, 0x1000, &t), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_last_fault(NULL, &f), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read_reg(NULL, VMSIM_REG_CR0, &v64), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_write_reg(NULL, VMSIM_REG_CR0, 0), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_invlpg(NULL, 0), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_set_ac(NULL, true), VMSIM_ERR_NULL);
    assert_false(vmsim_get_ac(NULL));
    assert_int_equal(vmsim_set_fault_handler(NULL, handler, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_set_translation_observer(NULL, record, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_get_stats(NULL, VMSIM_BANK_PROGRAM, &(vmsim_stats_t){0}), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_reset_stats(NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_set_stats_bank(NULL, VMSIM_BANK_KERNEL, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_set_maxphyaddr(NULL, 40), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_paging_mode(NULL), VMSIM_PAGING_OFF);
}

static void null_out_pointer_is_a_null_error(void **state)
{
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_read8(m, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read16(m, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read32(m, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read64(m, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_fetch32(m, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_translate(m, VMSIM_READ, SUP, 0x1000, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_last_fault(m, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR0, NULL), VMSIM_ERR_NULL);
    assert_int_equal(vmsim_get_stats(m, VMSIM_BANK_PROGRAM, NULL), VMSIM_ERR_NULL);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.walks + s.dtlb.lookups, 0); /* refused before any lookup */
    vmsim_destroy(m);
}

static void bad_size_mode_or_access_kind_is_invalid_and_does_nothing(void **state)
{
    uint8_t buf[8] = {0};
    vmsim_result_t res;
    vmsim_translation_t t;
    uint32_t v32;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    static const unsigned bad_sizes[] = {0, 3, 5, 6, 7, 16};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++)
        assert_int_equal(vmsim_access(m, VMSIM_READ, SUP, 0x1000, buf, bad_sizes[i], &res),
                         VMSIM_ERR_INVALID);
    assert_int_equal(res.status, VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_access(m, VMSIM_READ, (vmsim_mode_t)7, 0x1000, buf, 4, &res),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_access(m, (vmsim_access_t)9, SUP, 0x1000, buf, 4, &res),
                     VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_read32(m, (vmsim_mode_t)7, 0x1000, &v32), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_write32(m, (vmsim_mode_t)7, 0x1000, 1), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_translate(m, (vmsim_access_t)9, SUP, 0x1000, &t), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_translate(m, VMSIM_READ, (vmsim_mode_t)7, 0x1000, &t),
                     VMSIM_ERR_INVALID);
    vmsim_stats_t s = stats(m, VMSIM_BANK_PROGRAM);
    assert_int_equal(s.walks + s.dtlb.lookups, 0); /* nothing was attempted */
    assert_int_equal(bus32(m, pte_addr(0x1000)) & VMSIM_PTE_A, 0);
    vmsim_destroy(m);
}

static void bad_registers_and_values_are_refused(void **state)
{
    uint64_t v = 0;
    (void)state;
    vmsim_machine_t *m = paged_machine();
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_COUNT, 0), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_write_reg(m, (vmsim_reg_t)42, 0), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_COUNT, &v), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_read_reg(m, (vmsim_reg_t)-1, &v), VMSIM_ERR_INVALID);
    /* CR2 holds 64-bit linear addresses; CR3 is wider in IA-32e mode only */
    static const vmsim_reg_t crs[] = {VMSIM_REG_CR0, VMSIM_REG_CR3, VMSIM_REG_CR4, VMSIM_REG_PKRU};
    for (size_t i = 0; i < 4; i++) {
        uint64_t before = 0, after = 1;
        vmsim_read_reg(m, crs[i], &before);
        assert_int_equal(vmsim_write_reg(m, crs[i], 1ull << 32 | before), VMSIM_ERR_INVALID);
        vmsim_read_reg(m, crs[i], &after);
        assert_int_equal(after, before);
    }
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, VMSIM_CR0_PG), VMSIM_ERR_GP); /* PG w/o PE */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON | (1u << 29)), VMSIM_ERR_GP); /* NW w/o CD */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, 1u << 24), VMSIM_ERR_GP);    /* PKS */
    assert_int_equal(vmsim_write_reg(m, VMSIM_REG_EFER, 1ull << 40), VMSIM_ERR_GP); /* no such bit */
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR4, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_EFER, &v), VMSIM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(vmsim_read_reg(m, VMSIM_REG_CR0, &v), VMSIM_OK);
    assert_int_equal(v, PG_ON);
    assert_int_equal(vmsim_set_maxphyaddr(m, 31), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_set_maxphyaddr(m, 53), VMSIM_ERR_INVALID);
    assert_int_equal(vmsim_set_maxphyaddr(m, 52), VMSIM_OK);
    vmsim_destroy(m);
}

/* A page cached by reads (so the fast path knows it) is moved to another
 * frame behind the TLB's back; a write then finds D = 0, walks again and
 * caches the new frame.  Every later read must use the new frame -- with
 * the fast path on as with it off. */
static void dirty_walk_to_a_moved_page_redirects_later_reads(void **state)
{
    (void)state;
    for (int fast = 0; fast < 2; fast++) {
        uint32_t v = 0;
        vmsim_machine_t *m = bare_machine(fast);
        map_page(m, 0x1000, FRAME1, URW);
        assert_int_equal(vmsim_bus_write32(m, FRAME1, 0x11111111u), VMSIM_OK);
        assert_int_equal(vmsim_bus_write32(m, FRAME2, 0x22222222u), VMSIM_OK);
        paging_on(m);
        assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK);
        assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK); /* fast hit when on */
        map_page(m, 0x1000, FRAME2, URW);                             /* no INVLPG */
        assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK);
        assert_int_equal(v, 0x11111111u);                             /* stale, as on hardware */
        assert_int_equal(vmsim_write8(m, USER, 0x1100, 0x33), VMSIM_OK); /* D = 0: walk again */
        assert_int_equal(bus32(m, FRAME2 + 0x100), 0x33);
        assert_int_equal(vmsim_read32(m, USER, 0x1000, &v), VMSIM_OK);
        assert_int_equal(v, 0x22222222u);
        vmsim_destroy(m);
    }
}

/* --- the fast path changes nothing -------------------------------------------
 * Two machines, fast path on and off, in 32-bit and in PAE paging, get the
 * same pseudo-random stream of operations: typed and general accesses of
 * every size (some crossing a page), byte ranges, INVLPG, page-table edits
 * without a flush (so stale TLB entries matter), CR3 reloads, CR0.WP /
 * CR4.SMAP / SMEP / PGE / PSE toggles, EFLAGS.AC, bank switches, whole
 * flushes, and a demand-paging fault handler.  Every result must agree,
 * and at the end so must RAM, the registers, every TLB entry and both
 * statistics banks. */

#define WORLD_RAM (8u << 20)
#define WORLD_PAGES 128u
#define WORLD_FRAMES 0x200000u
#define WORLD_STEPS 3000

struct outcome {
    vmsim_status_t status;
    uint64_t value;
    uint64_t done;
    uint64_t hash;
    vmsim_fault_t fault;
};

static uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* The world's page tables.  32-bit paging: the PD at PD_BASE, pages
 * 0..127 in the page table at PT_BASE, PD slot 1 a 4 MiB page onto
 * 0x400000.  PAE paging: the PDPT at PAE_PDPT (entry 0 -> PD at PD_BASE),
 * the same pages in a PAE page table at PT_BASE, PD slots 2 and 3 2 MiB
 * pages onto 0x400000 and 0x600000, and EFER.NXE with XD on some pages.
 * Frames are spread over WORLD_FRAMES by vpn * 37 mod 128. */
#define PAE_PDPT 0x20000u

static bool world_is_pae(const vmsim_machine_t *m)
{
    return vmsim_paging_mode(m) == VMSIM_PAGING_PAE;
}

static uint64_t world_pte(uint32_t vpn, bool pae)
{
    uint64_t flags = URW | (vpn % 13 == 4 ? VMSIM_PTE_G : 0);
    if (vpn % 11 == 5)
        flags &= ~(uint64_t)VMSIM_PTE_P;
    if (vpn % 5 == 3)
        flags &= ~(uint64_t)VMSIM_PTE_RW;
    if (vpn % 7 == 2)
        flags &= ~(uint64_t)VMSIM_PTE_US;
    if (pae && vpn % 17 == 6)
        flags |= VMSIM_PTE_XD;
    return (WORLD_FRAMES + ((vpn * 37) % WORLD_PAGES) * 4096u) | flags;
}

static uint64_t world_entry_addr(bool pae, uint32_t va)
{
    return pae ? PT_BASE + 8u * ((va >> 12) & 0x1ff) : pte_addr(va);
}

static uint64_t world_get_pte(const vmsim_machine_t *m, uint32_t va)
{
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    if (world_is_pae(m)) {
        vmsim_bus_read64(m, world_entry_addr(true, va), &v64);
        return v64;
    }
    vmsim_bus_read32(m, world_entry_addr(false, va), &v32);
    return v32;
}

static void world_set_pte(vmsim_machine_t *m, uint32_t va, uint64_t pte)
{
    if (world_is_pae(m))
        vmsim_bus_write64(m, world_entry_addr(true, va), pte);
    else
        vmsim_bus_write32(m, world_entry_addr(false, va), (uint32_t)pte);
}

/* Demand paging: odd pages of the world are made present and retried. */
static vmsim_fault_action_t world_handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    uint32_t vpn = f->cr2 >> 12;
    (void)user;
    if (vpn >= WORLD_PAGES || !(vpn & 1))
        return VMSIM_FAULT_UNHANDLED;
    world_set_pte(m, f->cr2, world_get_pte(m, f->cr2) | VMSIM_PTE_P);
    return VMSIM_FAULT_RETRY;
}

static void world_tables(vmsim_machine_t *m, bool pae)
{
    for (uint32_t vpn = 0; vpn < WORLD_PAGES; vpn++) {
        uint64_t addr = world_entry_addr(pae, vpn << 12);
        if (pae)
            assert_int_equal(vmsim_bus_write64(m, addr, world_pte(vpn, true)), VMSIM_OK);
        else
            assert_int_equal(vmsim_bus_write32(m, addr, (uint32_t)world_pte(vpn, false)), VMSIM_OK);
        /* Distinct contents per frame, so a read from a wrong frame shows. */
        assert_int_equal(vmsim_bus_fill(m, WORLD_FRAMES + vpn * 4096u, (uint8_t)(vpn * 7 + 1), 4096),
                         VMSIM_OK);
    }
    /* Physical page 0 looks like a page directory of present, accessed
     * entries: a walk that wrongly starts from a not-present PDPTE (base 0)
     * would find them. */
    for (uint32_t off = 0; off < 4096; off += 8)
        assert_int_equal(vmsim_bus_write64(m, off, PT_BASE | URW | VMSIM_PTE_A), VMSIM_OK);
    if (!pae) {
        assert_int_equal(vmsim_bus_write32(m, PD_BASE, PT_BASE | URW), VMSIM_OK);
        assert_int_equal(vmsim_bus_write32(m, PD_BASE + 4, 0x400000u | URW | VMSIM_PTE_PS), VMSIM_OK);
        return;
    }
    assert_int_equal(vmsim_bus_write64(m, PAE_PDPT, PD_BASE | VMSIM_PTE_P), VMSIM_OK);
    assert_int_equal(vmsim_bus_write64(m, PD_BASE, PT_BASE | URW), VMSIM_OK);
    assert_int_equal(vmsim_bus_write64(m, PD_BASE + 16, 0x400000u | URW | VMSIM_PTE_PS), VMSIM_OK);
    assert_int_equal(vmsim_bus_write64(m, PD_BASE + 24, 0x600000u | URW | VMSIM_PTE_PS), VMSIM_OK);
}

static vmsim_machine_t *world_machine(const vmsim_config_t *base, bool fast, bool pae)
{
    vmsim_config_t cfg = *base;
    vmsim_machine_t *m = NULL;
    cfg.ram_bytes = WORLD_RAM;
    cfg.fast_path = fast;
    assert_int_equal(vmsim_create(&cfg, &m), VMSIM_OK);
    world_tables(m, pae);
    if (pae) {
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_EFER, VMSIM_EFER_NXE), VMSIM_OK);
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR3, PAE_PDPT), VMSIM_OK);
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE), VMSIM_OK);
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR0, PG_ON), VMSIM_OK);
        assert_int_equal(vmsim_paging_mode(m), VMSIM_PAGING_PAE);
    } else {
        assert_int_equal(vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PSE), VMSIM_OK);
        paging_on(m);
    }
    vmsim_set_fault_handler(m, world_handler, NULL);
    return m;
}

/* Mostly a small hot set (pages 0..7, so the TLBs and the fast path hit),
 * sometimes any page of the world or beyond it, sometimes the large pages,
 * sometimes an address whose PDPTE (PAE) or PDE (32-bit) is not present;
 * offsets near the page end make accesses cross into the next page. */
static uint32_t world_address(uint32_t r1, uint32_t r2)
{
    uint32_t pick = r1 % 16, page;
    if (pick == 0)
        return 0x400000u + r2 % 0x400000u;
    if (pick == 15 && (r2 & 2))
        return 0x40000000u + (r2 >> 2) % 0x200000u; /* PDPTE 1 / PD slot 256: not present */
    if (pick < 12)
        page = (r1 >> 4) % 8;
    else
        page = (r1 >> 4) % (WORLD_PAGES + 8);
    return (page << 12) + ((r2 & 1) ? 0xff8u + (r2 >> 1) % 8 : (r2 >> 1) % 4096);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static vmsim_status_t typed_read(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t va, unsigned sz,
                                 uint64_t *value)
{
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    vmsim_status_t rc;
    switch (sz % 5) {
    case 0: rc = vmsim_read8(m, mode, va, &v8); *value = v8; return rc;
    case 1: rc = vmsim_read16(m, mode, va, &v16); *value = v16; return rc;
    case 2: rc = vmsim_read32(m, mode, va, &v32); *value = v32; return rc;
    case 3: rc = vmsim_fetch32(m, mode, va, &v32); *value = v32; return rc;
    default: return vmsim_read64(m, mode, va, value);
    }
}

static vmsim_status_t typed_write(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t va, unsigned sz,
                                  uint64_t value)
{
    switch (sz % 4) {
    case 0: return vmsim_write8(m, mode, va, (uint8_t)value);
    case 1: return vmsim_write16(m, mode, va, (uint16_t)value);
    case 2: return vmsim_write32(m, mode, va, (uint32_t)value);
    default: return vmsim_write64(m, mode, va, value);
    }
}

static vmsim_status_t range_op(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t va, uint32_t r,
                               struct outcome *o)
{
    uint8_t buf[300];
    size_t len = r % sizeof buf, done = 0;
    vmsim_status_t rc;
    memset(buf, (int)(r >> 8), sizeof buf);
    if (r % 3 == 0)
        rc = vmsim_read_bytes(m, mode, va, buf, len, &done);
    else if (r % 3 == 1)
        rc = vmsim_write_bytes(m, mode, va, buf, len, &done);
    else
        rc = vmsim_fill_bytes(m, mode, va, (uint8_t)r, len, &done);
    o->done = done;
    o->hash = hash_bytes(buf, len);
    return rc;
}

static void toggle_reg(vmsim_machine_t *m, vmsim_reg_t reg, uint64_t bit)
{
    uint64_t v = 0;
    vmsim_read_reg(m, reg, &v);
    vmsim_write_reg(m, reg, v ^ bit);
}

/* Flip one bit of a PTE behind the TLB's back: a rights bit, D, G, XD
 * (PAE), or a frame-number bit (the page moves to the neighbouring frame). */
static void edit_pte(vmsim_machine_t *m, uint32_t r)
{
    static const uint64_t bits[] = {VMSIM_PTE_P, VMSIM_PTE_RW, VMSIM_PTE_US, VMSIM_PTE_G,
                                    VMSIM_PTE_D, 1u << 12, VMSIM_PTE_XD};
    uint32_t va = ((r & 1) ? r % 8 : r % WORLD_PAGES) << 12;
    uint64_t bit = bits[(r >> 8) % (world_is_pae(m) ? 7 : 6)];
    world_set_pte(m, va, world_get_pte(m, va) ^ bit);
}

static void reload_cr3(vmsim_machine_t *m)
{
    uint64_t cr3 = 0;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    vmsim_write_reg(m, VMSIM_REG_CR3, cr3);
}

static void control_op(vmsim_machine_t *m, uint32_t op, uint32_t r1)
{
    switch (op) {
    case 83: case 84: case 85: vmsim_invlpg(m, world_address(r1, r1 >> 7)); break;
    case 86: case 87: case 88: case 89: edit_pte(m, r1); break;
    case 90: case 91: reload_cr3(m); break;
    case 92: toggle_reg(m, VMSIM_REG_CR0, VMSIM_CR0_WP); break;
    case 93: toggle_reg(m, VMSIM_REG_CR4, VMSIM_CR4_SMAP); break;
    case 94: case 95: vmsim_set_ac(m, !vmsim_get_ac(m)); break;
    case 96: toggle_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PGE); break;
    case 97: vmsim_set_stats_bank(m, (vmsim_bank_t)(r1 & 1), NULL); break;
    case 98: toggle_reg(m, VMSIM_REG_CR4,
                        (r1 & 2) ? VMSIM_CR4_SMEP : VMSIM_CR4_PSE); break;
    default: vmsim_tlb_flush_all(m); break;
    }
}

/* One operation, chosen and parameterised by r0..r2, on machine m. */
static struct outcome world_step(vmsim_machine_t *m, uint32_t r0, uint32_t r1, uint32_t r2)
{
    struct outcome o;
    uint32_t op = r0 % 100, va = world_address(r1, r2);
    vmsim_mode_t mode = (r0 >> 8) & 1 ? USER : SUP;
    uint64_t value = (uint64_t)r1 << 32 | r2;
    uint8_t buf[8] = {0};
    static const unsigned sizes[] = {1, 2, 4, 8};
    memset(&o, 0, sizeof o);
    if (op < 30) {
        o.status = typed_read(m, mode, va, r0 >> 9, &o.value);
    } else if (op < 50) {
        o.status = typed_write(m, mode, va, r0 >> 9, value);
    } else if (op < 70) {
        vmsim_access_t kind = (vmsim_access_t)((r0 >> 9) % 3);
        memcpy(buf, &value, sizeof buf);
        o.status = vmsim_access(m, kind, mode, va, buf, sizes[(r0 >> 11) % 4], NULL);
        o.hash = hash_bytes(buf, sizeof buf);
    } else if (op < 83) {
        o.status = range_op(m, mode, va, r0 >> 9, &o);
    } else {
        control_op(m, op, r1);
    }
    vmsim_last_fault(m, &o.fault);
    return o;
}

static void compare_machines(const vmsim_machine_t *a, const vmsim_machine_t *b)
{
    static uint8_t ram_a[WORLD_RAM], ram_b[WORLD_RAM];
    assert_int_equal(vmsim_bus_read(a, 0, ram_a, WORLD_RAM), VMSIM_OK);
    assert_int_equal(vmsim_bus_read(b, 0, ram_b, WORLD_RAM), VMSIM_OK);
    assert_true(memcmp(ram_a, ram_b, WORLD_RAM) == 0);
    for (int bank = 0; bank < VMSIM_BANK_COUNT; bank++) {
        vmsim_stats_t sa = stats(a, (vmsim_bank_t)bank), sb = stats(b, (vmsim_bank_t)bank);
        assert_memory_equal(&sa, &sb, sizeof sa);
    }
    for (int reg = 0; reg < VMSIM_REG_COUNT; reg++) {
        uint64_t va = 0, vb = 1;
        vmsim_read_reg(a, (vmsim_reg_t)reg, &va);
        vmsim_read_reg(b, (vmsim_reg_t)reg, &vb);
        assert_int_equal(va, vb);
    }
    for (int id = VMSIM_DTLB; id <= VMSIM_ITLB; id++) {
        for (uint32_t i = 0; i < vmsim_tlb_size(a, (vmsim_tlb_id_t)id); i++) {
            vmsim_tlb_entry_t ea, eb;
            assert_int_equal(vmsim_tlb_entry(a, (vmsim_tlb_id_t)id, i, &ea), VMSIM_OK);
            assert_int_equal(vmsim_tlb_entry(b, (vmsim_tlb_id_t)id, i, &eb), VMSIM_OK);
            assert_memory_equal(&ea, &eb, sizeof ea);
        }
    }
}

static void run_world(const vmsim_config_t *cfg, uint32_t seed, bool pae)
{
    vmsim_machine_t *fast = world_machine(cfg, true, pae), *slow = world_machine(cfg, false, pae);
    uint32_t x = seed;
    unsigned n_ok = 0, n_fault = 0;
    for (int step = 0; step < WORLD_STEPS; step++) {
        uint32_t r0 = next_random(&x), r1 = next_random(&x), r2 = next_random(&x);
        struct outcome a = world_step(fast, r0, r1, r2), b = world_step(slow, r0, r1, r2);
        if (memcmp(&a, &b, sizeof a) != 0)
            fail_msg("%s seed %u step %d (op %u): fast path %s, reference %s", pae ? "PAE" : "32-bit",
                     seed, step, r0 % 100,
                     vmsim_status_name(a.status), vmsim_status_name(b.status));
        n_ok += a.status == VMSIM_OK;
        n_fault += a.status == VMSIM_ERR_PAGE_FAULT;
    }
    /* The stream really exercised both outcomes. */
    assert_true(n_ok > WORLD_STEPS / 4);
    assert_true(n_fault > WORLD_STEPS / 50);
    compare_machines(fast, slow);
    vmsim_destroy(fast);
    vmsim_destroy(slow);
}

static void fast_path_gives_the_same_results_ram_and_statistics(void **state)
{
    static const struct {
        uint32_t entries, ways;
        vmsim_tlb_policy_t policy;
        bool split;
    } configs[] = {
        {64, 4, VMSIM_TLB_LRU, true},    {16, 4, VMSIM_TLB_LRU, true},
        {16, 4, VMSIM_TLB_FIFO, true},   {16, 4, VMSIM_TLB_PLRU, true},
        {16, 4, VMSIM_TLB_RANDOM, true}, {8, 8, VMSIM_TLB_PLRU, false},
        {16, 1, VMSIM_TLB_LRU, false},   {0, 1, VMSIM_TLB_LRU, true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        vmsim_config_t cfg;
        vmsim_config_default(&cfg);
        cfg.dtlb = cfg.itlb = vmsim_tlb_config(configs[i].entries, configs[i].ways,
                                               configs[i].policy);
        cfg.split_tlb = configs[i].split;
        run_world(&cfg, 0x9e3779b9u + (uint32_t)i, false);
        run_world(&cfg, 0x7f4a7c15u + (uint32_t)i, true);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_reads_return_little_endian_values),
        cmocka_unit_test(general_access_moves_each_size_and_reports_the_frame),
        cmocka_unit_test(typed_writes_store_little_endian_bytes),
        cmocka_unit_test(general_write_with_null_buffer_stores_zero_bytes),
        cmocka_unit_test(page_crossing_write_splits_between_two_frames),
        cmocka_unit_test(page_crossing_access_translates_the_lower_page_first),
        cmocka_unit_test(fault_on_second_page_stores_nothing_and_keeps_first_page_ad),
        cmocka_unit_test(fault_on_first_page_reports_the_first_byte_and_skips_the_second),
        cmocka_unit_test(paging_off_maps_linear_to_physical),
        cmocka_unit_test(paging_off_access_past_ram_is_a_bus_error_that_stores_nothing),
        cmocka_unit_test(walk_to_a_frame_outside_ram_changes_and_caches_nothing),
        cmocka_unit_test_teardown(tlb_hit_on_a_large_page_beyond_ram_is_a_bus_error, destroy_machine),
        cmocka_unit_test(byte_range_crosses_pages_in_order),
        cmocka_unit_test(byte_range_fault_reports_the_bytes_done_before_it),
        cmocka_unit_test(byte_range_refuses_wrap_and_bad_arguments),
        cmocka_unit_test(handler_that_maps_the_page_gets_the_access_retried),
        cmocka_unit_test(retry_happens_once_even_if_the_fault_persists),
        cmocka_unit_test(unhandled_fault_is_returned_to_the_caller),
        cmocka_unit_test(fault_inside_the_handler_goes_back_to_the_handler_not_to_a_new_call),
        cmocka_unit_test(handler_retry_completes_a_page_crossing_write),
        cmocka_unit_test_teardown(page_crossing_access_is_restarted_once_per_faulting_page, destroy_machine),
        cmocka_unit_test_teardown(restarted_crossing_access_counts_each_page_lookup_once, destroy_machine),
        cmocka_unit_test(handler_work_in_the_kernel_bank_is_counted_apart),
        cmocka_unit_test(removed_handler_is_not_called),
        cmocka_unit_test(last_fault_and_cr2_follow_the_latest_fault),
        cmocka_unit_test(kernel_bank_counts_apart_from_the_program_bank),
        cmocka_unit_test(observer_sees_every_translation_with_its_story),
        cmocka_unit_test(observer_changes_no_result_or_statistic),
        cmocka_unit_test(translate_shows_a_walk_without_side_effects),
        cmocka_unit_test(translate_with_paging_off_is_identity_or_bus),
        cmocka_unit_test(null_handle_is_a_null_error),
        cmocka_unit_test(null_out_pointer_is_a_null_error),
        cmocka_unit_test(bad_size_mode_or_access_kind_is_invalid_and_does_nothing),
        cmocka_unit_test(bad_registers_and_values_are_refused),
        cmocka_unit_test(dirty_walk_to_a_moved_page_redirects_later_reads),
        cmocka_unit_test(fast_path_gives_the_same_results_ram_and_statistics),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
