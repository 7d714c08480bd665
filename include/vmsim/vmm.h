/*
 * vmsim/vmm.h - the simulated kernel: address spaces, regions, demand
 * paging, copy-on-write fork, the page-fault handler, and a checker.
 *
 * The kernel is a client of the emulated hardware, as a real kernel is:
 * vmsim_kernel_boot() builds the first page directory with paging off,
 * turns paging on, and from then on edits page tables only through the
 * recursive mapping, with supervisor loads and stores through the MMU,
 * paying for its own TLB misses (counted in VMSIM_BANK_KERNEL).
 *
 *   0x00000000 +---------------------------+
 *              | user space (per process)  |  regions: mmap, brk
 *   0xC0000000 +---------------------------+  PD slots 768..1021: the
 *              | kernel image, heap, areas |  kernel half, one set of
 *   0xFF7FE000 | temp slot 1, temp slot 2  |  page tables shared by all
 *   0xFF800000 | foreign page tables (1022)|
 *   0xFFC00000 | own page tables     (1023)|  recursive slot
 *              +---------------------------+
 *
 * A process is an address space plus its regions.  Regions are
 * committed (backed on demand by zeroed frames) or reserved (the range
 * is held, every access faults).  The fault handler the kernel
 * registers with the MMU resolves demand-zero, zero-page and
 * copy-on-write faults and asks the MMU to retry the access; anything
 * else comes back to the caller as VMSIM_ERR_PAGE_FAULT from the raw
 * MMU calls, or VMSIM_ERR_SEGV / VMSIM_ERR_KERNEL from the
 * vmsim_proc_read/write family, with the details in
 * vmsim_kernel_last_fault().
 *
 * Every call returns a status; nothing aborts.  See docs/vmm.md.
 */
#ifndef VMSIM_VMM_H
#define VMSIM_VMM_H

#include "base.h"
#include "machine.h"
#include "mmu.h"
#include "pmm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmsim_kernel vmsim_kernel_t;
typedef int32_t vmsim_pid_t;

/* Fixed points of the kernel's virtual-address layout (design.md). */
#define VMSIM_USER_END        0xC0000000u /* first address above user space */
#define VMSIM_KERNEL_BASE     0xC0000000u /* kernel image */
#define VMSIM_VMALLOC_BASE    0xD0000000u /* vmalloc areas (vmsim/kmem.h) */
#define VMSIM_VMALLOC_END     0xEFFFF000u
#define VMSIM_TEMP_SLOT1      0xFF7FE000u
#define VMSIM_TEMP_SLOT2      0xFF7FF000u
#define VMSIM_FOREIGN_PT_BASE 0xFF800000u /* another space's page tables */
#define VMSIM_FOREIGN_PD      0xFFBFF000u /* ... and its page directory */
#define VMSIM_SELF_PT_BASE    0xFFC00000u /* this space's page tables */
#define VMSIM_SELF_PD         0xFFFFF000u /* ... and its page directory */
#define VMSIM_LARGE_PAGE_SIZE (4u << 20)

/* Deliberate kernel bugs, for labs and for testing the checker: a
 * student turns one on and watches vmsim_check() catch it. */
#define VMSIM_BUG_SKIP_INVLPG                                                                      \
    (1u << 0) /* never issue INVLPG (nor the CR3 reload that replaces a batch) */
#define VMSIM_BUG_FORK_NO_REF (1u << 1) /* fork shares frames without taking a reference */
#define VMSIM_BUG_COW_NO_RO   (1u << 2) /* fork leaves the parent's private pages writable */

/* How the kernel is set up.  Fill with vmsim_kernel_config_default(). */
typedef struct vmsim_kernel_config {
    bool zero_page;     /* read faults on private pages map one shared zero frame; default true */
    bool global_kernel; /* kernel-half PTEs get G and CR4.PGE is set; default true */
    bool large_pages;   /* set CR4.PSE so VMSIM_MAP_LARGE works; default true */
    uint32_t flush_threshold; /* an operation that must invalidate more pages than this reloads CR3
                                 once instead; default 32; 0 = always INVLPG page by page */
    uint32_t heap_base;       /* where brk starts; default 0x10000000 */
    uint32_t mmap_base;       /* where mmap without a hint starts looking; default 0x40000000 */
    uint32_t max_frames;      /* cap on frames in use (0 = all of RAM); see vmsim_pmm_set_cap() */
    unsigned bugs;            /* VMSIM_BUG_* bits; default 0 */
    bool kmem_debug; /* slab red zones and poisoning (vmsim/kmem.h); default false */
} vmsim_kernel_config_t;

/* Fill *cfg with the defaults above.  NULL is ignored. */
VMSIM_API void vmsim_kernel_config_default(vmsim_kernel_config_t *cfg);

/* Boot a kernel on machine `m` (paging must be off): create the frame
 * allocator, the kernel page directory and the kernel half's page tables
 * (through the MMU's identity mode), the recursive slot, the zero frame;
 * load CR3, set CR4.PSE/PGE as configured and CR0.PG|PE|WP; register the
 * fault handler.  The machine must outlive the kernel.  cfg NULL means
 * the defaults.  Returns VMSIM_OK and *out, or VMSIM_ERR_NULL,
 * VMSIM_ERR_BUSY (paging already on, or a fault handler installed:
 * another kernel owns the machine),
 * VMSIM_ERR_INVALID (bad config), VMSIM_ERR_NO_FRAMES (RAM too small:
 * the kernel half alone needs 256 frames), VMSIM_ERR_NOMEM.  On failure
 * the machine is left with paging off and no handler. */
VMSIM_API vmsim_status_t vmsim_kernel_boot(vmsim_machine_t *m, const vmsim_kernel_config_t *cfg,
                                           vmsim_kernel_t **out);

/* Free the kernel's host memory and unregister its fault handler.  The
 * machine keeps its RAM and registers (paging stays on).  NULL is ok. */
VMSIM_API void vmsim_kernel_shutdown(vmsim_kernel_t *k);

/* The machine the kernel runs on, and its frame allocator (for
 * statistics, frame queries and fault injection). */
VMSIM_API vmsim_machine_t *vmsim_kernel_machine(const vmsim_kernel_t *k);
VMSIM_API vmsim_pmm_t *vmsim_kernel_pmm(vmsim_kernel_t *k);

/* --- Processes ------------------------------------------------------------ */

/* Create a process with an empty user half (a fresh page directory that
 * shares the kernel half).  It does not become current.
 * VMSIM_ERR_NO_FRAMES, VMSIM_ERR_NOMEM, VMSIM_ERR_NULL. */
VMSIM_API vmsim_status_t vmsim_proc_create(vmsim_kernel_t *k, vmsim_pid_t *out);

/* Make `pid` the current process (MOV CR3; nothing when it already is).
 * VMSIM_ERR_NOT_FOUND. */
VMSIM_API vmsim_status_t vmsim_proc_switch(vmsim_kernel_t *k, vmsim_pid_t pid);

/* The current process, 0 when none (the kernel's own space). */
VMSIM_API vmsim_pid_t vmsim_proc_current(const vmsim_kernel_t *k);

/* Tear `pid` down: every frame and page table released (shared frames
 * keep their other references), its page directory freed.  When it is
 * current the kernel first switches to its own space.
 * VMSIM_ERR_NOT_FOUND. */
VMSIM_API vmsim_status_t vmsim_proc_exit(vmsim_kernel_t *k, vmsim_pid_t pid);

/* Fork `parent` (made current first if it is not: fork runs in the
 * parent): the child gets a copy of every region; private writable pages
 * become copy-on-write in both (read-only PTEs, refcount + 1), shared
 * regions stay shared, read-only pages stay read-only.  The child is not
 * made current.  VMSIM_ERR_NO_FRAMES / VMSIM_ERR_NOMEM: nothing is
 * created, no frame leaks (the parent's pages may stay read-only; a
 * write makes them writable again through the COW reuse path).
 * VMSIM_ERR_NO_SPACE: a frame's reference count would overflow.
 * VMSIM_ERR_NOT_FOUND. */
VMSIM_API vmsim_status_t vmsim_proc_fork(vmsim_kernel_t *k, vmsim_pid_t parent, vmsim_pid_t *child);

/* What a process holds. */
typedef struct vmsim_proc_info {
    vmsim_pid_t pid;
    uint32_t pd_pfn;         /* its page directory */
    uint32_t resident_pages; /* 4 KiB pages mapped (a 4 MiB page counts 1024) */
    uint32_t page_tables;    /* user page tables */
    uint32_t n_regions;
    uint32_t brk_start, brk; /* heap */
} vmsim_proc_info_t;

VMSIM_API vmsim_status_t vmsim_proc_get_info(const vmsim_kernel_t *k, vmsim_pid_t pid,
                                             vmsim_proc_info_t *out);

/* Number of live processes, and up to `max` of their pids in order. */
VMSIM_API uint32_t vmsim_proc_list(const vmsim_kernel_t *k, vmsim_pid_t *out, uint32_t max);

/* --- Regions ---------------------------------------------------------------- */

#define VMSIM_PROT_NONE  0u
#define VMSIM_PROT_READ  (1u << 0)
#define VMSIM_PROT_WRITE (1u << 1)
#define VMSIM_PROT_EXEC  (1u << 2) /* recorded; enforced once PAE/NX is used */

#define VMSIM_MAP_PRIVATE  (1u << 0) /* copy-on-write across fork (default) */
#define VMSIM_MAP_SHARED   (1u << 1) /* one set of frames for every process that inherits it */
#define VMSIM_MAP_FIXED    (1u << 2) /* exactly at addr, replacing what is there */
#define VMSIM_MAP_POPULATE (1u << 3) /* back every page now instead of on first touch */
#define VMSIM_MAP_RESERVE  (1u << 4) /* hold the range only: every access faults until committed */
#define VMSIM_MAP_LARGE    (1u << 5) /* 4 MiB pages (CR4.PSE); addr and len 4 MiB aligned, private */

/* Map `len` bytes (rounded up to pages) of anonymous memory into `pid`.
 * Without VMSIM_MAP_FIXED `addr` is a hint: the lowest free range at or
 * above it (or above cfg.mmap_base when 0), else anywhere in user space.
 * With it, exactly `addr` (page aligned), unmapping what was there.
 * Returns VMSIM_OK and *out_addr (may be NULL), or VMSIM_ERR_INVALID
 * (len 0, unaligned fixed addr, range beyond user space, PRIVATE and
 * SHARED both, unknown bits, LARGE unaligned or shared or without
 * CR4.PSE), VMSIM_ERR_NO_SPACE (no free range), VMSIM_ERR_NO_FRAMES
 * (POPULATE ran out: the mapping is undone), VMSIM_ERR_NOT_FOUND,
 * VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_mmap(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr, uint32_t len,
                                    unsigned prot, unsigned flags, uint32_t *out_addr);

/* Unmap every page of [addr, addr + len) (page aligned addr; len
 * rounded up; holes are fine); regions are split as needed.  Large
 * regions only at 4 MiB granularity.  VMSIM_ERR_INVALID,
 * VMSIM_ERR_NOT_FOUND (pid), VMSIM_ERR_NOMEM (a split needs host memory:
 * nothing changed). */
VMSIM_API vmsim_status_t vmsim_munmap(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr,
                                      uint32_t len);

/* Change the protection of [addr, addr + len), which must be covered by
 * regions (VMSIM_ERR_NOT_FOUND otherwise, nothing changed).  Pages lose
 * rights at once (with the TLB invalidations that needs); pages that gain
 * write access stay copy-on-write where they are shared. */
VMSIM_API vmsim_status_t vmsim_mprotect(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr,
                                        uint32_t len, unsigned prot);

/* Commit a reserved range (it becomes demand-zero memory with `prot`),
 * or decommit a committed one (its frames are released, the range stays
 * reserved).  The range must be covered by regions. */
VMSIM_API vmsim_status_t vmsim_mcommit(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr,
                                       uint32_t len, unsigned prot);
VMSIM_API vmsim_status_t vmsim_mdecommit(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t addr,
                                         uint32_t len);

/* Set the program break to `new_brk` (0: just report it), growing or
 * shrinking the heap region [brk_start, brk) (private, read/write).
 * *out_brk (may be NULL) receives the break after the call.
 * VMSIM_ERR_INVALID (below brk_start), VMSIM_ERR_NO_SPACE (would collide
 * with another region). */
VMSIM_API vmsim_status_t vmsim_brk(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t new_brk,
                                   uint32_t *out_brk);

/* Move the break by `delta` bytes; *old_brk receives the break before. */
VMSIM_API vmsim_status_t vmsim_sbrk(vmsim_kernel_t *k, vmsim_pid_t pid, int32_t delta,
                                    uint32_t *old_brk);

/* One region, as vmsim_region_list() reports it. */
typedef struct vmsim_region_info {
    uint32_t start, end; /* [start, end), page aligned */
    unsigned prot;       /* VMSIM_PROT_* */
    unsigned flags;      /* VMSIM_MAP_SHARED / PRIVATE / RESERVE / LARGE */
    bool heap;           /* the brk region */
} vmsim_region_info_t;

/* Copy up to `max` regions of `pid`, lowest first; *n_total gets how
 * many there are. */
VMSIM_API vmsim_status_t vmsim_region_list(const vmsim_kernel_t *k, vmsim_pid_t pid,
                                           vmsim_region_info_t *out, uint32_t max,
                                           uint32_t *n_total);

/* What the page tables of `pid` say about `vaddr` (read by the kernel
 * through the recursive mapping or the foreign window). */
typedef struct vmsim_pte_info {
    bool present;
    bool writable, user, large, accessed, dirty;
    uint32_t pfn;   /* the frame (for a large page: the frame of vaddr) */
    uint32_t entry; /* the raw PTE, or PDE for a large page */
} vmsim_pte_info_t;

VMSIM_API vmsim_status_t vmsim_proc_query(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t vaddr,
                                          vmsim_pte_info_t *out);

/* --- Host-side access to a process's memory --------------------------------
 * Each call makes `pid` current (a context switch when it is not) and
 * goes through the MMU and TLB in `mode`, so faults are resolved by the
 * kernel as for the program itself.  User-mode accesses are counted in
 * VMSIM_BANK_PROGRAM, supervisor-mode ones in VMSIM_BANK_KERNEL.
 * Returns VMSIM_OK, VMSIM_ERR_SEGV (user access the kernel refused),
 * VMSIM_ERR_KERNEL (supervisor access it could not resolve),
 * VMSIM_ERR_NO_FRAMES (demand paging ran out of frames), or an argument
 * error; the fault is then in vmsim_kernel_last_fault().  Byte ranges
 * are copied page by page: *n_done (may be NULL) says how many bytes
 * were before the fault.
 * In VMSIM_SUPERVISOR mode the call is the kernel acting for the process
 * (a system call), so the address is a user pointer: a range that is not
 * wholly below VMSIM_USER_END, or that wraps, is refused with
 * VMSIM_ERR_KERNEL before anything is read or written (Linux's
 * access_ok); kernel memory is reached with the machine's own calls
 * (vmsim_read32 ...).  User-mode ranges are left to the MMU, which
 * refuses the kernel half to CPL 3. */
VMSIM_API vmsim_status_t vmsim_proc_read(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                         uint32_t vaddr, void *buf, size_t len, size_t *n_done);
VMSIM_API vmsim_status_t vmsim_proc_write(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                          uint32_t vaddr, const void *buf, size_t len,
                                          size_t *n_done);
/* One value of 1, 2, 4 or 8 bytes: a single access (both pages of a
 * page-crossing value are translated before a byte moves). */
VMSIM_API vmsim_status_t vmsim_proc_load(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                         uint32_t vaddr, unsigned size, uint64_t *out);
VMSIM_API vmsim_status_t vmsim_proc_store(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                          uint32_t vaddr, unsigned size, uint64_t value);
/* copy_from_user / copy_to_user: supervisor-mode copies, as the kernel
 * makes them on a system call's behalf.  The user range must lie wholly
 * below VMSIM_USER_END and not wrap, else VMSIM_ERR_KERNEL and nothing is
 * copied; otherwise the statuses above. */
VMSIM_API vmsim_status_t vmsim_copy_from_user(vmsim_kernel_t *k, vmsim_pid_t pid, void *dst,
                                              uint32_t src, size_t len);
VMSIM_API vmsim_status_t vmsim_copy_to_user(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t dst,
                                            const void *src, size_t len);
/* Read a NUL-terminated string of at most `max - 1` characters into
 * dst[max] (always terminated).  VMSIM_ERR_NO_SPACE when no NUL was found
 * within max - 1 bytes (dst holds the prefix). */
VMSIM_API vmsim_status_t vmsim_proc_read_string(vmsim_kernel_t *k, vmsim_pid_t pid,
                                                vmsim_mode_t mode, uint32_t vaddr, char *dst,
                                                size_t max);
/* Write the string and its NUL. */
VMSIM_API vmsim_status_t vmsim_proc_write_string(vmsim_kernel_t *k, vmsim_pid_t pid,
                                                 vmsim_mode_t mode, uint32_t vaddr,
                                                 const char *src);

/* How the kernel judged a fault. */
typedef enum vmsim_kfault_kind {
    VMSIM_KFAULT_NONE = 0,
    VMSIM_KFAULT_DEMAND_ZERO, /* fresh zeroed frame on first touch */
    VMSIM_KFAULT_ZERO_MAP,    /* read of a never-written page: the zero frame, read-only */
    VMSIM_KFAULT_ZERO_BREAK,  /* first write to a zero-frame mapping: a fresh frame */
    VMSIM_KFAULT_COW_COPY,    /* write to a shared COW page: copied */
    VMSIM_KFAULT_COW_REUSE,   /* write to a COW page held only here: made writable */
    VMSIM_KFAULT_SHARED,      /* first touch of a shared-region page */
    VMSIM_KFAULT_SPURIOUS,    /* the tables already allowed the access */
    VMSIM_KFAULT_SEGV,        /* outside any region, reserved, or against its protection */
    VMSIM_KFAULT_KERNEL,      /* supervisor fault the kernel cannot resolve */
    VMSIM_KFAULT_OOM,         /* a resolvable fault, but no frame (or host memory) was left */
    VMSIM_KFAULT_VMALLOC,     /* first touch of an on-demand vmalloc page: a fresh frame */
    VMSIM_KFAULT_GUARD        /* supervisor access to a vmalloc guard page (a kernel error) */
} vmsim_kfault_kind_t;

typedef struct vmsim_kfault {
    vmsim_kfault_kind_t kind;
    vmsim_pid_t pid; /* current process at the fault (0: none) */
    uint32_t cr2;
    uint32_t error_code; /* VMSIM_PF_* */
    vmsim_access_t access;
    vmsim_mode_t mode;
    vmsim_status_t status; /* what the kernel would answer: OK, SEGV, KERNEL, NO_FRAMES */
} vmsim_kfault_t;

/* The last fault the kernel's handler saw, and how it was judged. */
VMSIM_API vmsim_status_t vmsim_kernel_last_fault(const vmsim_kernel_t *k, vmsim_kfault_t *out);

/* "demand-zero", "zero-map", ... */
VMSIM_API const char *vmsim_kfault_kind_name(vmsim_kfault_kind_t kind);

/* --- Statistics ------------------------------------------------------------ */
typedef struct vmsim_kernel_stats {
    uint64_t faults; /* faults the handler was called for */
    uint64_t faults_demand_zero;
    uint64_t faults_zero_map;
    uint64_t faults_zero_break;
    uint64_t faults_cow_copy;
    uint64_t faults_cow_reuse;
    uint64_t faults_shared;
    uint64_t faults_spurious;
    uint64_t faults_large; /* of the resolved ones, on 4 MiB regions */
    uint64_t faults_segv;
    uint64_t faults_kernel;
    uint64_t faults_oom;
    uint64_t invlpgs;     /* INVLPG instructions the kernel issued */
    uint64_t cr3_loads;   /* MOV CR3 the kernel issued (switches and batch flushes) */
    uint64_t cr3_flushes; /* ... of which to flush a batch instead of many INVLPGs */
    uint64_t forks, exits, processes_created;
    uint32_t processes;    /* live processes */
    uint32_t frames_total; /* frames of RAM */
    uint32_t frames_free;
    uint32_t frames_in_use; /* every allocated frame */
    uint32_t page_tables;   /* frames holding page directories and page tables */
    uint32_t user_frames;   /* frames mapped by some process (the zero frame excluded) */
    uint32_t kernel_end;    /* first address above the kernel image */
    uint64_t faults_vmalloc; /* on-demand vmalloc pages backed (vmsim/kmem.h) */
    uint64_t faults_guard;   /* vmalloc guard-page hits (also counted in faults_kernel) */
    uint32_t kmem_frames;    /* frames held by slabs and vmalloc areas */
} vmsim_kernel_stats_t;

VMSIM_API vmsim_status_t vmsim_kernel_get_stats(const vmsim_kernel_t *k, vmsim_kernel_stats_t *out);

/* --- The checker ------------------------------------------------------------ */

typedef enum vmsim_check_kind {
    VMSIM_CHECK_REFCOUNT = 1,   /* refcount != mappings + kernel holds */
    VMSIM_CHECK_FREE_MAPPED,    /* a free frame is mapped */
    VMSIM_CHECK_LEAK,           /* an allocated frame nobody maps or holds */
    VMSIM_CHECK_KERNEL_HALF,    /* a kernel-half PDE differs from the kernel's */
    VMSIM_CHECK_RECURSIVE,      /* slot 1023 does not point at the directory itself */
    VMSIM_CHECK_WINDOW,         /* slot 1022 or a temp slot maps something it should not */
    VMSIM_CHECK_STALE_TLB,      /* a TLB entry disagrees with a fresh walk */
    VMSIM_CHECK_COW_WRITABLE,   /* a writable PTE to a frame others also map (private) */
    VMSIM_CHECK_OUTSIDE_REGION, /* a PTE outside any committed region */
    VMSIM_CHECK_PROTECTION,     /* a PTE grants more than its region */
    VMSIM_CHECK_PAGE_TABLE,     /* a PDE points at a frame not flagged as a page table */
    VMSIM_CHECK_RMAP,           /* the reverse map disagrees with the page tables */
    VMSIM_CHECK_PMM,            /* the allocator is inconsistent with itself */
    VMSIM_CHECK_ACCOUNTING,     /* a per-process counter disagrees with its tables */
    VMSIM_CHECK_KMEM_MAPPING,   /* a kernel heap / vmalloc PTE disagrees with the allocators */
    VMSIM_CHECK_KMEM_FREELIST,  /* a slab's in-band free list disagrees with its bookkeeping */
    VMSIM_CHECK_KMEM_REDZONE,   /* debug mode: a red zone was overwritten */
    VMSIM_CHECK_KMEM_POISON,    /* debug mode: a free object was written */
    VMSIM_CHECK_KMEM_ACCOUNTING /* a slab or area counter disagrees with what it describes */
} vmsim_check_kind_t;

typedef struct vmsim_check_problem {
    vmsim_check_kind_t kind;
    vmsim_pid_t pid;   /* the address space concerned, -1 when none */
    uint32_t vaddr;    /* the virtual address concerned, when one */
    uint32_t pfn;      /* the frame concerned, when one */
    uint64_t expected; /* what the checker computed (refcount, PDE, paddr...) */
    uint64_t actual;   /* what it found */
    int tlb;           /* STALE_TLB: vmsim_tlb_id_t; else -1 */
    uint32_t tlb_rights;   /* STALE_TLB: VMSIM_CHECK_RIGHT_* of the TLB entry */
    uint32_t table_rights; /* STALE_TLB: VMSIM_CHECK_RIGHT_* a fresh walk finds */
} vmsim_check_problem_t;

/* What a STALE_TLB problem compares (tlb_rights, table_rights). */
#define VMSIM_CHECK_RIGHT_MAPPED 0x1u   /* the walk succeeds (always set in tlb_rights) */
#define VMSIM_CHECK_RIGHT_WRITABLE 0x2u /* R/W in every level */
#define VMSIM_CHECK_RIGHT_USER 0x4u     /* U/S in every level */
#define VMSIM_CHECK_RIGHT_DIRTY 0x8u    /* the leaf's D bit */

#define VMSIM_CHECK_MAX_PROBLEMS 32

typedef struct vmsim_check_report {
    uint32_t n_problems; /* problems found (more than are stored) */
    uint32_t n_stored;   /* min(n_problems, VMSIM_CHECK_MAX_PROBLEMS) */
    vmsim_check_problem_t problems[VMSIM_CHECK_MAX_PROBLEMS];
    uint32_t n_spaces, n_ptes, n_frames, n_tlb_entries; /* what was examined */
} vmsim_check_report_t;

/* Check the kernel's invariants against RAM (read through the bus port,
 * so checking changes no TLB state and no statistic): refcounts equal
 * mappings plus kernel holds, no free frame is mapped, the kernel half
 * is identical in every page directory, slots 1022/1023 and the temp
 * slots are as they should be, PTEs agree with regions, the reverse map
 * agrees with the tables, and every valid TLB entry matches a fresh walk
 * (rights no wider, same frame); every kernel heap and vmalloc PTE
 * belongs to a slab or a used area (and each of their pages is mapped),
 * every slab's in-band free list agrees with its bookkeeping, and in
 * kmem debug mode every red zone and poisoned free object is intact
 * (VMSIM_CHECK_KMEM_*).  Returns VMSIM_OK when clean,
 * VMSIM_ERR_CORRUPT when something is wrong (details in *report, which
 * may be NULL), VMSIM_ERR_NULL, VMSIM_ERR_NOMEM. */
VMSIM_API vmsim_status_t vmsim_check(vmsim_kernel_t *k, vmsim_check_report_t *report);

/* A sentence for a check kind. */
VMSIM_API const char *vmsim_check_kind_text(vmsim_check_kind_t kind);

/* The short name of a check kind ("STALE_TLB"), "?" when unknown. */
VMSIM_API const char *vmsim_check_kind_name(vmsim_check_kind_t kind);

/* One line of plain words for a problem, without a newline, e.g.
 *   STALE_TLB pid 1 vaddr 0x40000000: the DTLB says frame 0x102 writable,
 *   the page tables say frame 0x102 read-only (a PTE changed without INVLPG)
 * Writes at most len bytes including the terminating NUL (cut to fit, as
 * snprintf does) and returns the length of the whole line, so a result
 * >= len means it was cut.  Returns 0 and writes nothing when problem is
 * NULL, or when buf is NULL or len is 0 (then nothing is written but the
 * length is still returned for a valid problem). */
VMSIM_API size_t vmsim_check_problem_format(const vmsim_check_problem_t *problem, char *buf,
                                            size_t len);

#ifdef __cplusplus
}
#endif
#endif
