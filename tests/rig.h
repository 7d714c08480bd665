/*
 * rig.h - the small test rig the walker suites share: asserting wrappers
 * around the bus port and the register API, and short names for the bits
 * and enums a page-table test spells out on every line.
 *
 * Every helper asserts that its call succeeded, so a test body reads as
 * the sequence of hardware events it sets up.  Include after <cmocka.h>.
 */
#ifndef VMSIM_TESTS_RIG_H
#define VMSIM_TESTS_RIG_H

#include "vmsim/vmsim.h"

#define P     VMSIM_PTE_P
#define PRW   (VMSIM_PTE_P | VMSIM_PTE_RW)
#define PRWU  (VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US)
#define A     VMSIM_PTE_A
#define D     VMSIM_PTE_D
#define PS    VMSIM_PTE_PS
#define PG_ON (VMSIM_CR0_PG | VMSIM_CR0_PE)

#define SUP   VMSIM_SUPERVISOR
#define USER  VMSIM_USER
#define READ  VMSIM_READ
#define WRITE VMSIM_WRITE
#define FETCH VMSIM_FETCH

/* A cmocka teardown for suites whose state is the machine. */
static inline int rig_teardown(void **state)
{
    vmsim_destroy(*state);
    return 0;
}

static inline void put32(vmsim_machine_t *m, uint64_t paddr, uint32_t value)
{
    assert_int_equal(vmsim_bus_write32(m, paddr, value), VMSIM_OK);
}

static inline uint32_t get32(vmsim_machine_t *m, uint64_t paddr)
{
    uint32_t v = 0;
    assert_int_equal(vmsim_bus_read32(m, paddr, &v), VMSIM_OK);
    return v;
}

static inline void put64(vmsim_machine_t *m, uint64_t paddr, uint64_t value)
{
    assert_int_equal(vmsim_bus_write64(m, paddr, value), VMSIM_OK);
}

static inline uint64_t get64(vmsim_machine_t *m, uint64_t paddr)
{
    uint64_t v = 0;
    assert_int_equal(vmsim_bus_read64(m, paddr, &v), VMSIM_OK);
    return v;
}

static inline void set_reg(vmsim_machine_t *m, vmsim_reg_t reg, uint64_t value)
{
    assert_int_equal(vmsim_write_reg(m, reg, value), VMSIM_OK);
}

static inline uint64_t get_reg(vmsim_machine_t *m, vmsim_reg_t reg)
{
    uint64_t v = 0;
    assert_int_equal(vmsim_read_reg(m, reg, &v), VMSIM_OK);
    return v;
}

/* Outcome checks on a vmsim_result_t: macros, so that a failure names
 * the line of the test case, not of a helper. */
#define EXPECT_OK(r, pa)                                                                           \
    do {                                                                                           \
        vmsim_result_t r_ = (r);                                                                   \
        assert_int_equal(r_.status, VMSIM_OK);                                                     \
        assert_int_equal(r_.paddr, (pa));                                                          \
    } while (0)

#define EXPECT_PF(m, r, va, ec)                                                                    \
    do {                                                                                           \
        vmsim_result_t r_ = (r);                                                                   \
        assert_int_equal(r_.status, VMSIM_ERR_PAGE_FAULT);                                         \
        assert_int_equal(r_.fault.error_code, (ec));                                               \
        assert_int_equal(r_.fault.cr2, (va));                                                      \
        assert_int_equal(get_reg((m), VMSIM_REG_CR2), (va));                                       \
    } while (0)

#define EXPECT_BUS(r, addr)                                                                        \
    do {                                                                                           \
        vmsim_result_t r_ = (r);                                                                   \
        assert_int_equal(r_.status, VMSIM_ERR_BUS);                                                \
        assert_int_equal(r_.bus_addr, (addr));                                                     \
    } while (0)

#endif
