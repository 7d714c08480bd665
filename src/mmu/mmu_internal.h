/*
 * mmu_internal.h - the machine as the library sees it.
 *
 *   struct vmsim_machine
 *     ram[ram_size]        host memory, reserved lazily (mmap NORESERVE)
 *     cr0 cr2 cr3 cr4 efer ac, pdpte[4]   architectural state
 *     walk                 the paging mode as data (struct paging_format)
 *                          plus reserved-bit and address masks derived
 *                          from CR4, EFER and maxphyaddr
 *     dtlb, itlb           modelled TLBs (itlb == dtlb when unified,
 *                          both NULL without TLB)
 *     fast[6][FAST_SLOTS]  host-side shortcuts in front of the TLBs
 *     stats[2], bank       statistics banks (program / kernel)
 */
#ifndef VMSIM_MMU_INTERNAL_H
#define VMSIM_MMU_INTERNAL_H

#include "../tlb/tlb_internal.h"
#include "detail.h"
#include "vmsim/machine.h"
#include "vmsim/mmu.h"

/* The shape of one paging mode: everything the walk loop needs to know
 * that differs between 32-bit and PAE paging. */
struct paging_format {
    vmsim_paging_t paging;
    unsigned entry_width;   /* bytes per entry: 4 or 8 */
    unsigned index_bits;    /* 10 or 9 */
    unsigned pd_shift;      /* linear bits that index the page directory: 22 or 21 */
    bool has_pdpte;         /* the root is one of four PDPTE registers */
};

/* Masks derived from the registers; recomputed by mmu_update_mode(). */
struct walk_masks {
    const struct paging_format *fmt; /* NULL when paging is off */
    uint64_t table_addr;   /* entry bits that hold the next table's / frame's address */
    uint64_t rsvd_table;   /* reserved bits of a PDE that points to a table, and of a PTE */
    uint64_t rsvd_large;   /* reserved bits of a large-page PDE */
    uint64_t large_lo;     /* large PDE bits that are address bits as they stand */
    uint64_t large_hi;     /* large PDE bits 20:13 that are address bits 39:32 (PSE-36) */
    uint64_t xd_bit;       /* bit 63 when it means XD (PAE with NXE), else 0 */
    bool large_ok;         /* PS in a PDE maps a large page */
    unsigned large_shift;  /* 21 or 22 */
};

struct vmsim_machine {
    vmsim_config_t cfg;
    uint8_t *ram;
    uint64_t ram_size;

    uint32_t cr0, cr2, cr3, cr4;
    uint64_t efer;
    bool ac;
    uint64_t pdpte[4];
    unsigned maxphyaddr;
    struct walk_masks walk;

    struct tlb *dtlb, *itlb;
    bool fast_on;               /* fast path enabled (config, and no observer) */
    struct fast_entry fast[FAST_KINDS][FAST_SLOTS];

    vmsim_stats_t stats[VMSIM_BANK_COUNT];
    vmsim_stats_t *st;          /* the current bank */
    vmsim_bank_t bank;

    vmsim_fault_handler_fn handler;
    void *handler_user;
    bool in_handler;
    vmsim_fault_t last_fault;
    char detail[MMU_DETAIL_MAX]; /* vmsim_error_detail(); "" until a call sets it */

    vmsim_translation_observer_fn observer;
    void *observer_user;
};

/* Recompute m->walk from CR0, CR4, EFER and maxphyaddr. */
void mmu_update_mode(vmsim_machine_t *m);

/* Walk the tables for one page piece of `len` bytes at `vaddr`; fills
 * *t (steps, rights, outcome, the A/D values a real walk writes) without
 * touching RAM or the TLB.  Returns the number of entries read. */
unsigned mmu_walk(const vmsim_machine_t *m, uint32_t vaddr, vmsim_access_t access,
                  vmsim_mode_t mode, unsigned len, vmsim_translation_t *t);

/* The rights check of SDM 4.6 on combined rights; VMSIM_WHY_NONE when
 * the access is allowed. */
vmsim_fault_reason_t mmu_check_rights(const vmsim_machine_t *m, vmsim_access_t access,
                                      vmsim_mode_t mode, bool writable, bool user, bool xd);

/* Fill in t->fault for `reason` at `level`. */
void mmu_make_fault(const vmsim_machine_t *m, vmsim_translation_t *t,
                    vmsim_fault_reason_t reason, int level);

/* Invalidate the TLB entries of the page of `vaddr` in every TLB. */
void mmu_invalidate_page(vmsim_machine_t *m, uint32_t vaddr);

/* Flush every TLB (keep_global: only non-global entries). */
void mmu_flush(vmsim_machine_t *m, bool keep_global);

static inline bool ram_contains(const vmsim_machine_t *m, uint64_t paddr, uint64_t len)
{
    return paddr <= m->ram_size && len <= m->ram_size - paddr;
}

static inline uint64_t ram_load(const vmsim_machine_t *m, uint64_t paddr, unsigned width)
{
    if (width == 8) {
        uint64_t v;
        __builtin_memcpy(&v, m->ram + paddr, 8);
        return v;
    }
    uint32_t v;
    __builtin_memcpy(&v, m->ram + paddr, 4);
    return v;
}

static inline void ram_store(vmsim_machine_t *m, uint64_t paddr, uint64_t value, unsigned width)
{
    if (width == 8) {
        __builtin_memcpy(m->ram + paddr, &value, 8);
    } else {
        uint32_t v = (uint32_t)value;
        __builtin_memcpy(m->ram + paddr, &v, 4);
    }
}

#endif
