/*
 * detail.h - the machine's "last error detail": one sentence, set where
 * a status code alone would send a newcomer to the source ("no process
 * with pid 7", "CR0.PG set while CR0.PE is clear"), read with
 * vmsim_error_detail().  The kernel side (src/vmm) sets it too, on its
 * machine; it is a field of the machine, so no state is shared.
 */
#ifndef VMSIM_MMU_DETAIL_H
#define VMSIM_MMU_DETAIL_H

#include "vmsim/base.h"

#define MMU_DETAIL_MAX 160

/* Replace m's detail with the formatted sentence (cut to fit); returns
 * `status`, so that a failing path reads `return mmu_detail(m, rc, ...)`.
 * A NULL m is ignored. */
vmsim_status_t mmu_detail(vmsim_machine_t *m, vmsim_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
