/*
 * replay_os.h - what the trace replay needs from a kernel.
 *
 * The replay runs a trace as one user process: boot a kernel on a fresh
 * machine, create and enter a process, map the trace's regions (4 MiB
 * each, read/write/execute, private; with 4 MiB pages as one PSE mapping
 * each), and let page faults be resolved by demand paging.  This small
 * interface is all the replay engine (replay.c) knows of the kernel, so
 * that the kernel behind it can change with one file:
 *
 *     replay_os_vmm.c   libvmsim's VMM (include/vmsim/vmm.h), once it
 *                       has landed
 *     replay_os_tmp.c   TEMPORARY stand-in until then: builds 32-bit
 *                       page tables itself through the bus port and
 *                       resolves faults with a handler of its own
 */
#ifndef VMSIM_TOOLS_REPLAY_OS_H
#define VMSIM_TOOLS_REPLAY_OS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmsim/vmsim.h"

struct replay_os;

/* What the kernel counted (zero where a kernel does not count it). */
struct replay_os_counters {
    uint64_t frames_used;    /* frames holding the process's pages and tables */
    uint64_t faults_resolved; /* page faults the kernel resolved */
    uint64_t demand_zero;    /* ... by giving a fresh zeroed frame */
};

/* Create a machine from `cfg`, boot the kernel, create and enter one
 * process.  large_pages: regions will be mapped with 4 MiB pages.
 * Returns 0 with *os and *m (owned by *os), or 1 with a sentence in err. */
int replay_os_boot(const vmsim_config_t *cfg, bool large_pages, struct replay_os **os,
                   vmsim_machine_t **m, char *err, size_t cap);

/* Map [base, base + len) (4 MiB aligned) into the process, every page
 * present at once when `populate`.  Returns 0, or 1 with err. */
int replay_os_map(struct replay_os *os, uint32_t base, uint32_t len, bool populate, char *err,
                  size_t cap);

/* Take a snapshot of the kernel's counters now: later reads of
 * replay_os_counters() count from here. */
void replay_os_zero(struct replay_os *os);
void replay_os_counters(const struct replay_os *os, struct replay_os_counters *out);

/* Why the last fault was not resolved (NULL when it was, or unknown). */
const char *replay_os_fault_reason(const struct replay_os *os);

/* A few words naming the kernel, for reports. */
const char *replay_os_name(void);

void replay_os_shutdown(struct replay_os *os);

#endif
