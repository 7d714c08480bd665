/*
 * vmsim/machine.h - creating a machine, its physical RAM, the bus/DMA
 * port, and the statistics every part of the hardware counts.
 *
 * Simulated RAM is one array of `ram_bytes` bytes.  Host memory for it is
 * reserved lazily, so a 4 GiB machine whose programs touch a few pages
 * costs a few pages.  Nothing reads or writes RAM except
 *   - the MMU (vmsim/mmu.h): every load, store and fetch of the
 *     simulated CPU, and the page walker's entry reads and A/D updates;
 *   - the bus port below: vmsim_bus_read() / vmsim_bus_write(), the
 *     door for loaders, swap I/O and debuggers.  It bypasses the MMU and
 *     the TLB, like DMA, and touches no statistic.
 */
#ifndef VMSIM_MACHINE_H
#define VMSIM_MACHINE_H

#include "base.h"
#include "tlb.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIM_PAGE_SIZE 4096u
#define VMSIM_RAM_MIN 4096ull
#define VMSIM_RAM_MAX (4ull << 30)
#define VMSIM_RAM_DEFAULT (64ull << 20)

/* What a machine is made of.  Fill it with vmsim_config_default() and
 * change what you need, so fields added later keep their defaults. */
typedef struct vmsim_config {
    uint64_t ram_bytes;       /* 4 KiB .. 4 GiB, a multiple of 4096; default 64 MiB */
    unsigned maxphyaddr;      /* physical-address width, 32..52; default 40 */
    bool split_tlb;           /* separate instruction and data TLBs; default true */
    vmsim_tlb_config_t dtlb;  /* data TLB (the unified TLB when !split_tlb); default 64 x 4-way LRU */
    vmsim_tlb_config_t itlb;  /* instruction TLB when split_tlb; default 64 x 4-way LRU */
    bool fast_path;           /* host-side shortcut in front of the TLB; default true.
                                 It never changes a result or a statistic, only speed. */
    vmsim_tlb_config_t stlb;  /* second-level TLB (4 KiB, 2 MiB and 4 MiB entries) behind
                                 the L1 TLBs; default entries = 0: none.  Ways need not be a
                                 power of two, sets must (Skylake: 1536 = 128 x 12) */
    vmsim_tlb_config_t stlb_1g; /* the STLB's own array for 1 GiB entries, used only with an
                                   STLB; default 16 x 4-way LRU */
    /* Paging-structure caches (SDM 4.10.3), one per level of table entry;
     * default entries = 0: none.  32-bit and PAE paging use only the PDE
     * cache.  See docs/longmode.md for what fills and empties them. */
    vmsim_tlb_config_t psc_pml5e, psc_pml4e, psc_pdpte, psc_pde;
} vmsim_config_t;

/* Fill *cfg with the defaults above.  Does nothing when cfg is NULL. */
VMSIM_API void vmsim_config_default(vmsim_config_t *cfg);

/* Create a machine: RAM all zero, CR0 = CR2 = CR3 = CR4 = EFER = 0
 * (paging off), EFLAGS.AC = 0, TLBs empty, statistics zero.
 * cfg NULL means the defaults.  Returns VMSIM_OK and *out, or
 * VMSIM_ERR_NULL (out NULL), VMSIM_ERR_INVALID (bad RAM size,
 * maxphyaddr or TLB geometry; *out untouched), VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_create(const vmsim_config_t *cfg, vmsim_machine_t **out);

/* Free the machine and its RAM.  NULL is ignored. */
VMSIM_API void vmsim_destroy(vmsim_machine_t *m);

/* More than vmsim_strerror() can say: a sentence on what the last
 * failing call that had something to add ran into, and what to do, e.g.
 * "no current process: call vmsim_proc_switch() first (...)", "no
 * process with pid 7: ...", "a kernel is already booted on this machine
 * ...", or why the kernel could not resolve a page fault.  Calls that fail in a way
 * the status code already explains, and calls that succeed, leave it as
 * it was, so read it right after the call that failed.  "" when no call
 * has set one; a fixed sentence when m is NULL.  Never NULL.  The kernel
 * of vmsim/vmm.h sets it on its machine (vmsim_kernel_machine()). */
VMSIM_API const char *vmsim_error_detail(const vmsim_machine_t *m);

/* The configuration the machine was created with (NULL for NULL). */
VMSIM_API const vmsim_config_t *vmsim_get_config(const vmsim_machine_t *m);

/* Size of simulated RAM in bytes (0 for NULL). */
VMSIM_API uint64_t vmsim_ram_size(const vmsim_machine_t *m);

/* --- The bus/DMA port ---------------------------------------------------
 * Copy `len` bytes between host memory and physical RAM at `paddr`,
 * bypassing the MMU and TLB.  VMSIM_ERR_BUS when any byte lies outside
 * RAM (nothing is copied then), VMSIM_ERR_NULL for a NULL pointer with
 * len > 0.  Changing a page-table entry through the bus does not touch
 * the TLB: a cached translation stays until INVLPG or a flush, as on
 * hardware. */
VMSIM_API vmsim_status_t vmsim_bus_read(const vmsim_machine_t *m, uint64_t paddr,
                                        void *buf, size_t len);
VMSIM_API vmsim_status_t vmsim_bus_write(vmsim_machine_t *m, uint64_t paddr,
                                         const void *buf, size_t len);
/* Little-endian 32- and 64-bit words; paddr must be aligned to the word
 * size (VMSIM_ERR_INVALID otherwise). */
VMSIM_API vmsim_status_t vmsim_bus_read32(const vmsim_machine_t *m, uint64_t paddr, uint32_t *out);
VMSIM_API vmsim_status_t vmsim_bus_write32(vmsim_machine_t *m, uint64_t paddr, uint32_t value);
VMSIM_API vmsim_status_t vmsim_bus_read64(const vmsim_machine_t *m, uint64_t paddr, uint64_t *out);
VMSIM_API vmsim_status_t vmsim_bus_write64(vmsim_machine_t *m, uint64_t paddr, uint64_t value);
/* Fill `len` bytes of RAM at `paddr` with `byte` (zeroing frames for a
 * loader).  VMSIM_ERR_NULL for m NULL, VMSIM_ERR_BUS (nothing written)
 * when any byte lies outside RAM. */
VMSIM_API vmsim_status_t vmsim_bus_fill(vmsim_machine_t *m, uint64_t paddr, uint8_t byte, size_t len);

/* --- Statistics --------------------------------------------------------
 * Counted where the events happen.  Two banks: every counter (accesses,
 * walks, faults, register loads, flushes) bumped while the bank is
 * VMSIM_BANK_KERNEL -- the simulated kernel's own work: page-table edits,
 * zeroing frames -- is counted apart from the program's. */
typedef enum vmsim_bank {
    VMSIM_BANK_PROGRAM = 0,
    VMSIM_BANK_KERNEL = 1,
    VMSIM_BANK_COUNT
} vmsim_bank_t;

typedef struct vmsim_stats {
    uint64_t walks;              /* page walks started: TLB misses, plus walks after a hit
                                    that could not serve the access (D = 0, rights) */
    uint64_t walk_reads;         /* page-structure entries read from RAM by walks */
    uint64_t ad_writes;          /* entries written back to set A and/or D */
    uint64_t dirty_walks;        /* walks made only because a write hit an entry with D = 0 */
    uint64_t faults;             /* page faults raised (before any handler) */
    uint64_t faults_not_present; /* ... with P = 0 in the error code */
    uint64_t faults_protection;  /* ... rights violations (P = 1, RSVD = 0) */
    uint64_t faults_reserved;    /* ... reserved bit set (RSVD = 1) */
    uint64_t faults_handled;     /* faults a fault handler resolved (access retried) */
    uint64_t bus_errors;         /* accesses that reached outside RAM */
    uint64_t gp_faults;          /* accesses refused with #GP (non-canonical, IA-32e mode) */
    uint64_t cr3_loads;          /* MOV to CR3 */
    uint64_t invlpgs;            /* INVLPG instructions */
    uint64_t invpcids;           /* INVPCID instructions that were not refused */
    uint64_t cr_flushes;         /* whole-TLB flushes from CR0/CR4 changes */
    vmsim_tlb_stats_t dtlb;      /* data (or unified) TLB */
    vmsim_tlb_stats_t itlb;      /* instruction TLB (all zero when unified) */
    vmsim_tlb_stats_t stlb;      /* second-level TLB, both arrays: one lookup per L1 miss */
    vmsim_tlb_stats_t psc;       /* paging-structure caches: one lookup per walk (a hit when
                                    some level's cache held its entry); fills, evictions,
                                    invalidations and flushes of all levels */
} vmsim_stats_t;

/* Copy bank `bank` of the counters into *out.  VMSIM_ERR_NULL,
 * VMSIM_ERR_INVALID for an unknown bank. */
VMSIM_API vmsim_status_t vmsim_get_stats(const vmsim_machine_t *m, vmsim_bank_t bank,
                                         vmsim_stats_t *out);

/* The TLB counters of bank `bank` that belong to PCID `pcid` (0..4095):
 * the events (lookups, hits, misses, fills, evictions, invalidations,
 * flushes) made while `pcid` was the current PCID with CR4.PCIDE = 1 --
 * and for PCID 0 also every event made while CR4.PCIDE = 0.  Summed over
 * all PCIDs they are vmsim_get_stats()'s dtlb and itlb.  Counting per
 * PCID costs nothing per access: the TLBs count into the current PCID's
 * counters.  VMSIM_ERR_NULL, VMSIM_ERR_INVALID (bank, pcid > 0xfff). */
VMSIM_API vmsim_status_t vmsim_get_pcid_stats(const vmsim_machine_t *m, vmsim_bank_t bank,
                                              unsigned pcid, vmsim_tlb_stats_t *dtlb,
                                              vmsim_tlb_stats_t *itlb);

/* Zero every counter of both banks (per-PCID counters too). */
VMSIM_API vmsim_status_t vmsim_reset_stats(vmsim_machine_t *m);

/* Select the bank that later events are counted in; returns the previous
 * one through *previous (may be NULL).  VMSIM_ERR_INVALID for an unknown
 * bank. */
VMSIM_API vmsim_status_t vmsim_set_stats_bank(vmsim_machine_t *m, vmsim_bank_t bank,
                                              vmsim_bank_t *previous);

#ifdef __cplusplus
}
#endif
#endif
