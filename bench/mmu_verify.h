/*
 * mmu_verify.h - the differential check behind bench_mmu --verify.
 */
#ifndef BENCH_MMU_VERIFY_H
#define BENCH_MMU_VERIFY_H

#include <vmsim/vmsim.h>

/* Run random operations on machines with the fast path on and off and
 * compare every result, the statistics, the TLBs and RAM.  Prints one
 * line per difference and a summary; 0 when all agree, 1 otherwise,
 * 2 when a machine cannot be created.  quick: fewer steps and seeds. */
int mmu_verify(bool quick);

#endif
