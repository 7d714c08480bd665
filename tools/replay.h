/*
 * replay.h - replaying a folded trace through the whole stack.
 *
 *     items (trace_types.h) --> replay_run --> one user access per page
 *                                  |              through the MMU and TLB
 *                                  |              (vmsim_fetch32 / read8 / write8)
 *                                  +--> REGION --> replay_os_map (the kernel)
 *
 * The counting rules are docs/tlb-counting.md's: an access that covers k
 * pages is k accesses of one byte, one per page, lowest first, so the
 * MMU makes exactly k lookups; M is a read of its pages, then a write of
 * them; a fetch goes to the instruction TLB.  A retry after a page fault
 * is the MMU's business (it does not count it again).
 *
 * Under --populate every region is mapped with all its pages present
 * before the first access, then the TLBs are flushed and every statistic
 * zeroed.  Under demand paging (the default) a region is mapped (not
 * populated) when the trace enters it, and the statistics are zeroed
 * after the kernel has booted and entered the process, so the figures
 * are those of the trace and the kernel work it causes.
 */
#ifndef VMSIM_TOOLS_REPLAY_H
#define VMSIM_TOOLS_REPLAY_H

#include "fold.h"
#include "replay_os.h"
#include "trace_types.h"

struct replay_config {
    vmsim_config_t machine;  /* RAM, TLB geometry, split or unified */
    unsigned page_shift;     /* 12 (4 KiB pages) or 22 (4 MiB pages) */
    bool populate;
};

struct replay_results {
    uint64_t access[TRACE_KINDS]; /* accesses by kind (records of the trace) */
    uint64_t page_splits;         /* accesses that covered more than one page */
    unsigned regions;             /* 4 MiB regions mapped */
    vmsim_stats_t program;        /* the machine's PROGRAM bank */
    vmsim_stats_t kernel;         /* the KERNEL bank: the kernel's own accesses */
    struct replay_os_counters os;
};

struct replay {
    struct replay_config cfg;
    struct replay_os *os;
    vmsim_machine_t *m;
    uint32_t page_mask;
    uint64_t access[TRACE_KINDS];
    uint64_t page_splits;
    unsigned regions;
    uint8_t mapped[FOLD_SLOTS];
    bool have_first;              /* holding the first piece of a split access */
    struct trace_access first;
    uint32_t fail_vaddr;          /* folded address of the access that failed */
    char err[320];
};

/* Fill *cfg with the defaults: the machine's, 4 KiB pages, demand
 * paging, and a RAM of 1 GiB (host memory is taken only as it is used). */
void replay_config_default(struct replay_config *cfg);

/* Boot a kernel and enter a process.  Returns 0, or 1 with r->err. */
int replay_open(struct replay *r, const struct replay_config *cfg);

/* Map the 4 MiB region of `slot` (fold.h) now, populated if the config
 * says so; does nothing for a slot already mapped.  0, or 1 with r->err. */
int replay_map(struct replay *r, uint32_t slot);

/* Start counting: flush the TLBs (under --populate) and zero every
 * statistic.  Call after the regions known beforehand are mapped. */
void replay_begin(struct replay *r);

/* Replay items a[0..n).  Returns 0, or 1 with r->err when an access
 * failed (a fault the kernel could not resolve; r->fail_vaddr) or a
 * region could not be mapped. */
int replay_run(struct replay *r, const struct trace_access *a, size_t n);

void replay_results(const struct replay *r, struct replay_results *out);

void replay_close(struct replay *r);

#endif
