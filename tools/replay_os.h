/*
 * replay_os.h - what the trace replay needs from a kernel.
 *
 * The replay runs a trace as one user process: boot a kernel on a fresh
 * machine, create and enter a process, map the trace's regions (4 MiB
 * each, read/write/execute, private; with 4 MiB pages as one PSE mapping
 * each), and let page faults be resolved by demand paging.  This small
 * interface is all the replay engine (replay.c) knows of the kernel; its
 * one implementation, replay_os_vmm.c, drives libvmsim's VMM
 * (include/vmsim/vmm.h).
 */
#ifndef VMSIM_TOOLS_REPLAY_OS_H
#define VMSIM_TOOLS_REPLAY_OS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmsim/vmsim.h"

struct replay_os;

/* What the kernel counted (zero where a kernel does not count it). */
struct replay_os_counters {
    uint64_t frames_used;     /* frames allocated at the end, the kernel's own included */
    uint64_t user_frames;     /* ... of which mapped by the process */
    uint64_t page_tables;     /* ... of which page directories and page tables */
    uint64_t faults_resolved; /* page faults the kernel resolved (the access retried) */
    uint64_t demand_zero;     /* ... with a fresh zeroed frame */
    uint64_t zero_map;        /* ... reads of untouched pages: the shared zero frame */
    uint64_t zero_break;      /* ... first writes to a zero-frame mapping: a fresh frame */
    /* Paging with swap (replay_os_paging.frames > 0; else zero). */
    uint64_t cold;            /* faults on pages never referenced before */
    uint64_t reloads;         /* faults on pages evicted before (swap-ins and the like) */
    uint64_t evictions, writebacks;
    uint64_t faults_minor, faults_major;
    uint64_t swap_ins, swap_outs, swap_bytes_in, swap_bytes_out;
    uint64_t ad_clears, ad_clear_invlpgs;
    uint64_t io_ns;           /* the latency model's time for the swap I/O */
    uint32_t ns_per_access;
};

/* The whole-system paging setup: user memory limited to `frames`
 * frames, a swap of `swap_slots` pages, a replacement policy. */
struct replay_os_paging {
    uint32_t frames;     /* 0: no limit, no swap (the default replay) */
    uint32_t swap_slots; /* 0: as large as the kernel allows */
    vmsim_policy_kind_t policy;
    uint32_t aging_bits, seed;
    bool zero_page_off;
    bool lazy;           /* clear A bits without INVLPG */
};

/* Create a machine from `cfg`, boot the kernel, create and enter one
 * process.  large_pages: regions will be mapped with 4 MiB pages.
 * Returns 0 with *os and *m (owned by *os), or 1 with a sentence in err. */
int replay_os_boot(const vmsim_config_t *cfg, bool large_pages, const struct replay_os_paging *pg,
                   struct replay_os **os, vmsim_machine_t **m, char *err, size_t cap);

/* Pin the page at vaddr (resident: it was just touched) while the rest
 * of its access is served; unpin it after.  A timer tick for the policy. */
void replay_os_pin(struct replay_os *os, uint32_t vaddr);
void replay_os_unpin(struct replay_os *os, uint32_t vaddr);
void replay_os_tick(struct replay_os *os);

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
