/*
 * vmm_internal.h - the simulated kernel as its own files see it.
 *
 *   struct vmsim_kernel
 *     m, pmm                 the machine it runs on, its frame allocator
 *     kspace                 pid 0: the boot page directory (no user part)
 *     procs[pid]             live processes (NULL for unused pids)
 *     current                the space whose directory CR3 holds
 *     kpt_pfn[254]           the kernel half's page tables (PD 768..1021)
 *     zero_pfn               the shared zero frame
 *     window, window_touched the space whose directory sits in slot 1022
 *                            of the current directory, and which of the
 *                            window's 1024 pages the kernel has touched
 *                            since it was pointed there
 *     pending[]              user pages of the current space whose TLB
 *                            entries the running operation must drop
 *     kmem                   the slab and area allocators (kmem_internal.h)
 *
 *   struct vmm_space: one address space = a page directory + regions
 *     regions[]  sorted, non-overlapping [start, end) ranges
 *
 * A page-table entry that holds a frame is present (P = 1), or is a
 * PROT_NONE entry: P = 0 with the software bit VMM_PTE_PROTNONE and the
 * frame number kept, so mprotect(PROT_NONE) keeps the page's contents.
 */
#ifndef VMSIM_VMM_INTERNAL_H
#define VMSIM_VMM_INTERNAL_H

#include "../pmm/pmm_internal.h"
#include "vmsim/vmm.h"

#define VMM_PTE_PROTNONE  (1u << 9) /* software bit: frame kept, no access */
#define VMM_PD_USER_SLOTS 768u      /* PD slots 0..767: user space */
#define VMM_KERNEL_FIRST  768u
#define VMM_KERNEL_LAST   1021u
#define VMM_KERNEL_SLOTS  (VMM_KERNEL_LAST - VMM_KERNEL_FIRST + 1)
#define VMM_WINDOW_SLOT   1022u
#define VMM_SELF_SLOT     1023u
#define VMM_LARGE_FRAMES  1024u
#define VMM_PENDING_MAX   64u
#define VMM_PAGE          4096u

/* A shared anonymous object: the frames behind a MAP_SHARED region,
 * one hold each, whichever process touched them first. */
struct vmm_shm {
    uint32_t n_refs; /* regions that use it */
    uint32_t n_pages;
    uint32_t *pfns; /* 0 = not backed yet (frame 0 is reserved) */
};

struct vmm_region {
    uint32_t start, end; /* [start, end), page aligned */
    unsigned prot;       /* VMSIM_PROT_* */
    unsigned flags;      /* VMSIM_MAP_SHARED | VMSIM_MAP_RESERVE | VMSIM_MAP_LARGE */
    bool heap;
    struct vmm_shm *shm; /* SHARED: the object, and the page of it at `start` */
    uint32_t shm_pgoff;
};

struct vmm_space {
    vmsim_pid_t pid;
    uint32_t pd_pfn;
    struct vmm_region *regions;
    uint32_t n_regions, cap_regions;
    uint32_t brk_start, brk;
    uint32_t resident;      /* 4 KiB pages mapped */
    uint32_t n_page_tables; /* user page tables */
};

struct kmem;

struct vmsim_kernel {
    vmsim_machine_t *m;
    vmsim_kernel_config_t cfg;
    vmsim_pmm_t *pmm;
    struct vmm_space kspace;
    struct vmm_space **procs;
    uint32_t n_pids; /* size of procs[] */
    vmsim_pid_t next_pid;
    uint32_t n_procs;
    struct vmm_space *current;
    uint32_t kpt_pfn[VMM_KERNEL_SLOTS];
    uint32_t zero_pfn;
    uint32_t kernel_end;
    struct vmm_space *window;
    uint64_t window_touched[16];
    uint32_t pending[VMM_PENDING_MAX];
    uint32_t n_pending;
    bool pending_overflow;
    int depth; /* nesting of vmm_enter() */
    vmsim_bank_t saved_bank;
    vmsim_status_t kerr; /* first failed kernel access of this operation */
    uint8_t *scratch;    /* 4 KiB host buffers: copies, page-table images */
    uint8_t *scratch2;
    uint64_t handler_calls;
    vmsim_kfault_t last_fault;
    vmsim_kernel_stats_t st;
    struct kmem *kmem;
};

static inline bool vmm_holds_frame(uint32_t entry)
{
    return entry & (VMSIM_PTE_P | VMM_PTE_PROTNONE);
}
static inline uint32_t vmm_entry_pfn(uint32_t entry)
{
    return entry >> 12;
}
static inline bool vmm_is_large(uint32_t pde)
{
    return vmm_holds_frame(pde) && (pde & VMSIM_PTE_PS);
}
/* x rounded up to a multiple of a (a power of two).  Wraps to 0 above
 * the last multiple: callers keep x <= 0xFFFFFFFF - (a - 1) (sizes and
 * user addresses), or round in 64 bits (vmm_find_gap). */
static inline uint32_t vmm_round_up(uint32_t x, uint32_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* --- operations (hw.c) -------------------------------------------------
 * Every API call runs between vmm_enter() and vmm_leave(): statistics go
 * to the kernel bank, and vmm_leave() issues the pending invalidations
 * and turns a failed kernel access into VMSIM_ERR_KERNEL. */
void vmm_enter(vmsim_kernel_t *k);
vmsim_status_t vmm_leave(vmsim_kernel_t *k, vmsim_status_t rc);

/* Supervisor loads and stores through the MMU; a failure is remembered
 * in k->kerr (and a load then yields 0). */
uint32_t vmm_load32(vmsim_kernel_t *k, uint32_t vaddr);
void vmm_store32(vmsim_kernel_t *k, uint32_t vaddr, uint32_t value);
void vmm_load_bytes(vmsim_kernel_t *k, uint32_t vaddr, void *buf, size_t len);
void vmm_store_bytes(vmsim_kernel_t *k, uint32_t vaddr, const void *buf, size_t len);
void vmm_fill(vmsim_kernel_t *k, uint32_t vaddr, uint8_t byte, size_t len);

/* Page-directory and page-table entries of `s`: through the recursive
 * mapping when s is current, else through the foreign window. */
uint32_t vmm_pde_read(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot);
void vmm_pde_write(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, uint32_t value);
uint32_t vmm_pte_read(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr);
void vmm_pte_write(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t value);
/* The virtual address at which the kernel sees page table `slot` of s. */
uint32_t vmm_pt_view(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot);
/* ... and the directory of s. */
uint32_t vmm_pd_view(vmsim_kernel_t *k, struct vmm_space *s);

/* Point slot 1022 away from s if it shows s (before s is freed). */
void vmm_window_forget(vmsim_kernel_t *k, struct vmm_space *s);
/* A page table of s is going away: drop the views of it that the TLB may hold. */
void vmm_pt_view_drop(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot, uint32_t old_pde);

/* Temporary slots: map a frame at VMSIM_TEMP_SLOT1/2, unmap after use
 * (with its INVLPG); zero / copy frames through them. */
void vmm_temp_map(vmsim_kernel_t *k, uint32_t slot_vaddr, uint32_t pfn);
void vmm_temp_unmap(vmsim_kernel_t *k, uint32_t slot_vaddr);
void vmm_zero_frame(vmsim_kernel_t *k, uint32_t pfn);
void vmm_copy_frame(vmsim_kernel_t *k, uint32_t dst_pfn, uint32_t src_pfn);

/* TLB maintenance.  vmm_tlb_note(): the entry of user page `vaddr` in
 * space s changed from `old`; when s is current and the old entry may be
 * cached (present and accessed) the page joins the pending batch. */
void vmm_tlb_note(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t old);
void vmm_tlb_sync(vmsim_kernel_t *k);
void vmm_invlpg(vmsim_kernel_t *k, uint32_t vaddr);
void vmm_load_cr3(vmsim_kernel_t *k, uint32_t pd_pfn);

/* --- address spaces (space.c) --- */
struct vmm_space *vmm_space_find(const vmsim_kernel_t *k, vmsim_pid_t pid);
vmsim_status_t vmm_space_new(vmsim_kernel_t *k, struct vmm_space **out);
void vmm_space_destroy(vmsim_kernel_t *k, struct vmm_space *s);
void vmm_switch(vmsim_kernel_t *k, struct vmm_space *s);

/* --- regions (region.c), host-side only --- */
int vmm_region_find(const struct vmm_space *s, uint32_t vaddr);
uint32_t vmm_region_first_after(const struct vmm_space *s, uint32_t vaddr);
bool vmm_region_overlaps(const struct vmm_space *s, uint32_t start, uint32_t end);
bool vmm_region_covers(const struct vmm_space *s, uint32_t start, uint32_t end);
vmsim_status_t vmm_region_reserve(struct vmm_space *s, uint32_t extra);
vmsim_status_t vmm_region_insert(struct vmm_space *s, const struct vmm_region *r);
void vmm_region_split_at(struct vmm_space *s, uint32_t vaddr);
void vmm_region_remove_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end);
void vmm_regions_free(vmsim_kernel_t *k, struct vmm_space *s);
vmsim_status_t vmm_regions_copy(struct vmm_space *dst, const struct vmm_space *src);
bool vmm_find_gap(const struct vmm_space *s, uint32_t from, uint32_t len, uint32_t align,
                  uint32_t *out);
struct vmm_shm *vmm_shm_new(uint32_t n_pages);
void vmm_shm_put(vmsim_kernel_t *k, struct vmm_shm *shm);

/* --- pages (pages.c) --- */
vmsim_status_t vmm_ensure_pt(vmsim_kernel_t *k, struct vmm_space *s, unsigned slot);
vmsim_status_t vmm_map_frame(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t pfn,
                             uint32_t pte_flags);
void vmm_release_frame(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t pfn);
void vmm_release_large(vmsim_kernel_t *k, struct vmm_space *s, uint32_t vaddr, uint32_t head);
void vmm_unmap_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end);
void vmm_free_unused_pts(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end);
void vmm_protect_range(vmsim_kernel_t *k, struct vmm_space *s, uint32_t start, uint32_t end);
uint32_t vmm_pte_rights(vmsim_kernel_t *k, const struct vmm_region *r, uint32_t pfn, bool large);

/* --- faults (fault.c) --- */
vmsim_fault_action_t vmm_fault_handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user);
/* Back the page at vaddr of region r as an access would (populate). */
vmsim_status_t vmm_populate_page(vmsim_kernel_t *k, struct vmm_space *s, const struct vmm_region *r,
                                 uint32_t vaddr);

#endif
