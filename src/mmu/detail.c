/*
 * detail.c - the last error detail of a machine (see detail.h).
 *
 * vmsim_strerror() gives one sentence per status code, the same for
 * every caller.  The detail says what this call ran into, in terms of
 * the API: which register bit the CPU refused, which pid does not exist,
 * what to call first.  It lives in the machine, like errno lives in a
 * thread: a failing call that has more to say overwrites it, and nothing
 * clears it, so it is read right after the call that failed.
 */
#include "detail.h"

#include "mmu_internal.h"

#include <stdarg.h>
#include <stdio.h>

vmsim_status_t mmu_detail(vmsim_machine_t *m, vmsim_status_t status, const char *fmt, ...)
{
    if (!m)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->detail, sizeof m->detail, fmt, ap);
    va_end(ap);
    return status;
}

const char *vmsim_error_detail(const vmsim_machine_t *m)
{
    if (!m)
        return "no machine: the handle is NULL (vmsim_create() makes one)";
    return m->detail;
}
