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

/* The shape of one paging mode: the levels held in RAM, top first, and
 * whether a PDPTE register (PAE) comes before them. */
struct level_format {
    vmsim_level_t level;
    unsigned shift;      /* the linear-address bit its index starts at */
    unsigned index_mask; /* 0x3ff (32-bit paging) or 0x1ff */
};

struct paging_format {
    vmsim_paging_t paging;
    unsigned entry_width; /* bytes per entry: 4 or 8 */
    unsigned n_levels;    /* levels read from RAM: 2, 4 or 5 */
    bool has_pdpte;       /* the root is one of four PDPTE registers */
    struct level_format levels[5];
};

/* One level of the current mode as the walk loop uses it: its format
 * plus the masks the registers (CR4.PSE, EFER.NXE, maxphyaddr) give it. */
struct level_masks {
    vmsim_level_t level;
    unsigned shift, index_mask;
    bool last;           /* the PTE level: its entries always map a page */
    bool large_ok;       /* PS = 1 maps a page at this level */
    uint64_t rsvd_table; /* reserved bits of an entry that points to a table (or a PTE) */
    uint64_t rsvd_large; /* reserved bits of an entry with PS = 1 that maps a page */
    uint64_t leaf_lo;    /* leaf bits that are address bits as they stand */
    uint64_t leaf_hi;    /* 4 MiB PDE bits 20:13 that are address bits 39:32 (PSE-36) */
};

/* The mode as data, recomputed by mmu_update_mode() from CR0, CR4,
 * EFER and maxphyaddr. */
struct walk_masks {
    const struct paging_format *fmt; /* NULL when paging is off */
    unsigned n_levels, width;
    bool has_pdpte;      /* PAE: the root is a PDPTE register */
    struct level_masks lv[5];
    uint64_t root_mask;  /* CR3 bits that locate the top table (not PAE) */
    uint64_t table_addr; /* entry bits that hold the next table's address */
    uint64_t xd_bit;     /* bit 63 when it means XD (PAE or IA-32e with NXE), else 0 */
    bool long_mode;      /* IA-32e paging (EFER.LMA): 64-bit canonical addresses */
    unsigned va_shift;   /* IA-32e: 64 - linear-address width (16 or 7) */
    bool pke;            /* protection keys are checked (IA-32e and CR4.PKE) */
};

/* What one entry tells the walk (SDM 4.5, tables 4-15 to 4-20): the
 * step shared by the general walk (walk.c) and the quick route
 * (access.c), so the rules are written once. */
enum walk_step {
    STEP_NOT_PRESENT, /* P = 0 */
    STEP_RESERVED,    /* a reserved bit is set */
    STEP_TABLE,       /* points to the next table */
    STEP_LEAF         /* maps the page */
};

static inline enum walk_step walk_step(const struct level_masks *l, uint64_t entry)
{
    if (!(entry & VMSIM_PTE_P))
        return STEP_NOT_PRESENT;
    bool large = l->large_ok && (entry & VMSIM_PTE_PS);
    if (entry & (large ? l->rsvd_large : l->rsvd_table))
        return STEP_RESERVED;
    return large || l->last ? STEP_LEAF : STEP_TABLE;
}

/* Rights combined over the levels (SDM 4.6): R/W and U/S ANDed, XD ORed
 * (bit 63 counts only when `xd_bit` says it is XD). */
static inline unsigned walk_rights(unsigned rights, uint64_t entry, uint64_t xd_bit)
{
    if (!(entry & VMSIM_PTE_RW))
        rights &= ~(unsigned)TLB_W;
    if (!(entry & VMSIM_PTE_US))
        rights &= ~(unsigned)TLB_U;
    if (entry & xd_bit)
        rights |= TLB_XD;
    return rights;
}

/* The physical base of the page a leaf entry at level `l` maps. */
static inline uint64_t walk_leaf_base(const struct level_masks *l, uint64_t entry)
{
    return (entry & l->leaf_lo) | ((entry & l->leaf_hi) << 19);
}

struct vmsim_machine {
    vmsim_config_t cfg;
    uint8_t *ram;
    uint64_t ram_size;

    uint32_t cr0, cr4;
    uint64_t cr2, cr3;
    uint64_t efer;
    uint32_t pkru;
    unsigned pcid; /* CR3[11:0] while CR4.PCIDE, else 0 */
    bool ac;
    uint64_t pdpte[4];
    unsigned maxphyaddr;
    struct walk_masks walk;

    struct tlb *dtlb, *itlb;
    struct tlb *stlb, *stlb1g;  /* second-level TLB and its 1 GiB array, or NULL */
    struct tlb *tlbs[4];        /* every distinct TLB, for flushes and invalidations */
    unsigned n_tlbs;
    struct tlb *psc[5];         /* paging-structure cache by vmsim_level_t, or NULL */
    struct tlb *pscs[4];        /* the ones that exist */
    unsigned n_pscs;
    bool fast_on;               /* fast path enabled (config, and no observer) */
    struct fast_entry fast[FAST_KINDS][FAST_SLOTS];

    vmsim_stats_t stats[VMSIM_BANK_COUNT];
    /* TLB counters of the events made while CR4.PCIDE = 1, per bank and
     * PCID (allocated when PCIDE is first set); the TLBs count into the
     * current one, and vmsim_get_stats() adds them up. */
    struct pcid_stats *pcid_stats; /* [VMSIM_BANK_COUNT * PCID_COUNT] */
    unsigned pcid_max;             /* the highest PCID counted so far */
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

/* Where a walk starts when a paging-structure cache held an entry: the
 * level (index into walk_masks.lv) whose table it names, that table, and
 * the rights of the levels above combined. */
struct walk_start {
    unsigned level;
    uint64_t table;
    unsigned rights;
};

/* Walk the tables for one page piece of `len` bytes at `vaddr` (from CR3,
 * or from `start` when not NULL); fills *t (steps, rights, outcome, the
 * A/D values a real walk writes) without touching RAM or the TLB.
 * Returns the number of entries read. */
unsigned mmu_walk(const vmsim_machine_t *m, vmsim_vaddr_t vaddr, vmsim_access_t access,
                  vmsim_mode_t mode, unsigned len, vmsim_translation_t *t,
                  const struct walk_start *start);

/* Paging-structure caches (psc.c). */
vmsim_status_t psc_check_config(const vmsim_config_t *c);
vmsim_status_t psc_create(vmsim_machine_t *m);
void psc_destroy(vmsim_machine_t *m);
/* The deepest cached table entry for vaddr: true and *start, counting a
 * hit, or false counting a miss. */
bool psc_lookup(vmsim_machine_t *m, vmsim_vaddr_t vaddr, struct walk_start *start);
/* The same without counting or touching anything: the way and its cache
 * (*owner), or NULL. */
struct tlb_way *psc_probe(const vmsim_machine_t *m, vmsim_vaddr_t vaddr, struct walk_start *start,
                          struct tlb **owner);
/* Count a lookup that found `w` (in `owner`) or nothing, as psc_lookup. */
void psc_count(vmsim_machine_t *m, struct tlb_way *w, struct tlb *owner);
/* Cache the table entries a successful walk used. */
void psc_fill(vmsim_machine_t *m, const vmsim_translation_t *t, const struct walk_start *start);
/* The same from the n table entries read from level index `first` down,
 * with `rights` those of the levels above. */
void psc_fill_entries(vmsim_machine_t *m, vmsim_vaddr_t vaddr, const uint64_t *entries,
                      unsigned first, unsigned n, unsigned rights);
/* Drop every entry (one_pcid: of PCID tag `tag`). */
void psc_flush(vmsim_machine_t *m, bool one_pcid, uint64_t tag);

/* The rights check of SDM 4.6 on combined rights (TLB_W, TLB_U, TLB_XD
 * bits) and the leaf's protection key; VMSIM_WHY_NONE when the access is
 * allowed.  *pk is set when the key forbids the access, also when an
 * ordinary right forbids it too (the reason is then the ordinary one). */
static inline vmsim_fault_reason_t mmu_check_rights(const vmsim_machine_t *m,
                                                    vmsim_access_t access, vmsim_mode_t mode,
                                                    unsigned rights, unsigned pkey, bool *pk);

/* Does protection key `pkey` forbid this access to a page with `rights`
 * (SDM 4.6.2: data accesses to user-mode pages; AD forbids any, WD a user
 * write and, with CR0.WP, a supervisor write)?  Only while m->walk.pke. */
bool mmu_pkey_forbids(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                      unsigned rights, unsigned pkey);

/* Fill in t->fault for `reason` at `level`; `pk` adds the PK bit. */
void mmu_make_fault(const vmsim_machine_t *m, vmsim_translation_t *t, vmsim_fault_reason_t reason,
                    int level, bool pk);

/* Invalidate the TLB entries of the page of `vaddr` (current PCID and
 * global ones) in every TLB. */
void mmu_invalidate_page(vmsim_machine_t *m, vmsim_vaddr_t vaddr);

/* Flush every TLB (keep_global: only non-global entries). */
void mmu_flush(vmsim_machine_t *m, bool keep_global);

/* Empty the fast cache (host-side only: no modelled effect). */
void mmu_clear_fast(vmsim_machine_t *m);

/* Tell the TLBs the current PCID (after CR3 and CR4 loads). */
void mmu_set_pcid(vmsim_machine_t *m);

#define PCID_COUNT 4096u

struct pcid_stats {
    vmsim_tlb_stats_t dtlb, itlb, stlb;
};

/* Point the TLBs' counters at the current bank (and PCID, while
 * CR4.PCIDE = 1). */
void mmu_point_stats(vmsim_machine_t *m);

/* Is an access of `len` bytes at `vaddr` addressable in the current
 * mode?  VMSIM_OK; VMSIM_ERR_GP for a non-canonical byte (IA-32e);
 * VMSIM_ERR_INVALID for bits above 31 outside IA-32e mode, or a range
 * past 2^64 - 1. */
static inline vmsim_status_t mmu_check_vaddr(const vmsim_machine_t *m, vmsim_vaddr_t vaddr,
                                             uint64_t len)
{
    if (!m->walk.long_mode)
        return vaddr >> 32 ? VMSIM_ERR_INVALID : VMSIM_OK;
    vmsim_vaddr_t last = vaddr + (len ? len - 1 : 0);
    unsigned sh = m->walk.va_shift;
    if (last < vaddr)
        return VMSIM_ERR_INVALID;
    if ((vmsim_vaddr_t)((int64_t)(vaddr << sh) >> sh) != vaddr ||
        (vmsim_vaddr_t)((int64_t)(last << sh) >> sh) != last)
        return VMSIM_ERR_GP;
    return VMSIM_OK;
}

static inline __attribute__((always_inline)) vmsim_fault_reason_t
mmu_ordinary_rights(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                    unsigned rights)
{
    bool writable = rights & TLB_W, user = rights & TLB_U, xd = rights & TLB_XD;
    if (mode == VMSIM_USER) {
        if (!user)
            return VMSIM_WHY_USER_TO_SUP;
        if (access == VMSIM_WRITE && !writable)
            return VMSIM_WHY_READ_ONLY;
        if (access == VMSIM_FETCH && xd)
            return VMSIM_WHY_XD;
        return VMSIM_WHY_NONE;
    }
    if (access == VMSIM_FETCH) {
        if (user && (m->cr4 & VMSIM_CR4_SMEP))
            return VMSIM_WHY_SMEP;
        return xd ? VMSIM_WHY_XD : VMSIM_WHY_NONE;
    }
    if (user && (m->cr4 & VMSIM_CR4_SMAP) && !m->ac)
        return VMSIM_WHY_SMAP;
    if (access == VMSIM_WRITE && !writable && (m->cr0 & VMSIM_CR0_WP))
        return VMSIM_WHY_READ_ONLY;
    return VMSIM_WHY_NONE;
}

static inline __attribute__((always_inline)) vmsim_fault_reason_t
mmu_check_rights(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                 unsigned rights, unsigned pkey, bool *pk)
{
    vmsim_fault_reason_t why = mmu_ordinary_rights(m, access, mode, rights);
    *pk = m->walk.pke && mmu_pkey_forbids(m, access, mode, rights, pkey);
    return why == VMSIM_WHY_NONE && *pk ? VMSIM_WHY_PKEY : why;
}

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
