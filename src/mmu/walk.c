/*
 * walk.c - the software page walker (Intel SDM Vol. 3A, 4.3 and 4.4).
 *
 * 32-bit paging splits a linear address 10 / 10 / 12:
 *
 *    31        22 21        12 11          0
 *   +------------+------------+-------------+
 *   | PD index   | PT index   | offset      |     CR3 -> PD -> PT -> page
 *   +------------+------------+-------------+
 *
 * PAE paging splits it 2 / 9 / 9 / 12, and its root is one of four
 * PDPTE registers loaded from CR3 (see regs.c):
 *
 *    31 30 29       21 20       12 11          0
 *   +-----+-----------+-----------+-------------+
 *   |PDPT | PD index  | PT index  | offset      |   PDPTE -> PD -> PT -> page
 *   +-----+-----------+-----------+-------------+
 *
 * IA-32e paging (EFER.LMA = 1) splits a 48-bit canonical address
 * 9 / 9 / 9 / 9 / 12, and with CR4.LA57 a 57-bit one 9 / 9 / 9 / 9 / 9 / 12:
 *
 *   63   57 56    48 47    39 38    30 29    21 20    12 11         0
 *  +-------+--------+--------+--------+--------+--------+------------+
 *  | sign  | PML5   | PML4   | PDPT   | PD     | PT     | offset     |
 *  +-------+--------+--------+--------+--------+--------+------------+
 *   CR3 -> (PML5 ->) PML4 -> PDPT -> PD -> PT -> page
 *   PS = 1 in a PDPTE maps a 1 GiB page, in a PDE a 2 MiB page.
 *
 * All of them are one loop over the levels held in RAM, driven by data:
 * struct paging_format (entry width, the levels with their index bits)
 * and the per-level masks of struct walk_masks (where a large page stops
 * the walk, which bits are reserved, which are address bits).  The step
 * that reads one entry is walk_step() in mmu_internal.h, shared with the
 * quick route of access.c.  At each level the walk
 *
 *   1. reads the entry (outside RAM: the walk ends with a bus error and
 *      changes nothing);
 *   2. faults if P = 0, or if a reserved bit is set (RSVD);
 *   3. ANDs R/W and U/S into the combined rights, ORs XD;
 *   4. either descends (marking the entry accessed: a PDE's A bit is set
 *      as soon as it is used to find a page table, even if the walk then
 *      faults), or stops at the leaf.
 *
 * Then the combined rights and the leaf's protection key are checked
 * against the access (mmu_check_rights, SDM 4.6); if allowed, the leaf
 * gets A, and D for a write.  The walk only
 * computes: the new entry values go into the translation's steps and
 * access.c writes them back, so vmsim_translate() can show a walk
 * without side effects.
 */
#include "mmu_internal.h"

#include <string.h>

static const struct paging_format fmt_32bit = {
    VMSIM_PAGING_32BIT, 4, 2, false, {{VMSIM_LEVEL_PDE, 22, 0x3ff}, {VMSIM_LEVEL_PTE, 12, 0x3ff}}};
static const struct paging_format fmt_pae = {
    VMSIM_PAGING_PAE, 8, 2, true, {{VMSIM_LEVEL_PDE, 21, 0x1ff}, {VMSIM_LEVEL_PTE, 12, 0x1ff}}};
static const struct paging_format fmt_4level = {VMSIM_PAGING_4LEVEL,
                                                8,
                                                4,
                                                false,
                                                {{VMSIM_LEVEL_PML4E, 39, 0x1ff},
                                                 {VMSIM_LEVEL_PDPTE, 30, 0x1ff},
                                                 {VMSIM_LEVEL_PDE, 21, 0x1ff},
                                                 {VMSIM_LEVEL_PTE, 12, 0x1ff}}};
static const struct paging_format fmt_5level = {VMSIM_PAGING_5LEVEL,
                                                8,
                                                5,
                                                false,
                                                {{VMSIM_LEVEL_PML5E, 48, 0x1ff},
                                                 {VMSIM_LEVEL_PML4E, 39, 0x1ff},
                                                 {VMSIM_LEVEL_PDPTE, 30, 0x1ff},
                                                 {VMSIM_LEVEL_PDE, 21, 0x1ff},
                                                 {VMSIM_LEVEL_PTE, 12, 0x1ff}}};

static uint64_t bits(unsigned hi, unsigned lo) /* bits hi..lo inclusive; 0 when hi < lo */
{
    uint64_t upper = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;
    return upper & ~((1ull << lo) - 1);
}

/* 32-bit paging: no reserved bits but in a 4 MiB PDE, whose bits 20:13
 * carry physical-address bits 39:32 (PSE-36); those at or above
 * maxphyaddr, and bit 21, are reserved. */
static void masks_32bit(vmsim_machine_t *m, struct walk_masks *w)
{
    struct level_masks *pde = &w->lv[0], *pte = &w->lv[1];
    unsigned maxpa = m->maxphyaddr;
    w->root_mask = w->table_addr = bits(31, 12);
    pde->large_ok = m->cr4 & VMSIM_CR4_PSE;
    pde->rsvd_large = bits(21, 21) | (maxpa < 40 ? bits(20, 13 + (maxpa - 32)) : 0);
    pde->leaf_lo = bits(31, 22);
    pde->leaf_hi = bits(20, 13) & ~pde->rsvd_large;
    pte->leaf_lo = bits(31, 12);
}

/* PAE and IA-32e paging: 8-byte entries, XD with NXE; PS maps a page in
 * a PDE (2 MiB) and, in IA-32e paging, a PDPTE (1 GiB), and is reserved
 * in a PML4E or PML5E.  PAE reserves bits 62:maxphyaddr, IA-32e only
 * 51:maxphyaddr (62:52 are ignored there). */
static void masks_64bit(vmsim_machine_t *m, struct walk_masks *w, bool long_mode)
{
    unsigned maxpa = m->maxphyaddr;
    bool nxe = m->efer & VMSIM_EFER_NXE;
    uint64_t rsvd = bits(long_mode ? 51 : 62, maxpa) | (nxe ? 0 : bits(63, 63));
    w->root_mask = w->table_addr = bits(maxpa - 1, 12);
    w->xd_bit = nxe ? bits(63, 63) : 0;
    for (unsigned i = 0; i < w->n_levels; i++) {
        struct level_masks *l = &w->lv[i];
        l->rsvd_table = l->rsvd_large = rsvd;
        l->leaf_lo = bits(maxpa - 1, l->shift);
        if (l->level == VMSIM_LEVEL_PML4E || l->level == VMSIM_LEVEL_PML5E)
            l->rsvd_table |= VMSIM_PTE_PS;
        if (l->level == VMSIM_LEVEL_PDE || (l->level == VMSIM_LEVEL_PDPTE && long_mode)) {
            l->large_ok = true;
            l->rsvd_large |= bits(l->shift - 1, 13);
        }
    }
}

static const struct paging_format *format_of(const vmsim_machine_t *m)
{
    if (m->efer & VMSIM_EFER_LMA)
        return (m->cr4 & VMSIM_CR4_LA57) ? &fmt_5level : &fmt_4level;
    return (m->cr4 & VMSIM_CR4_PAE) ? &fmt_pae : &fmt_32bit;
}

void mmu_update_mode(vmsim_machine_t *m)
{
    struct walk_masks *w = &m->walk;
    memset(w, 0, sizeof *w);
    if (!(m->cr0 & VMSIM_CR0_PG))
        return;
    const struct paging_format *f = format_of(m);
    w->fmt = f;
    w->n_levels = f->n_levels;
    w->width = f->entry_width;
    w->has_pdpte = f->has_pdpte;
    for (unsigned i = 0; i < f->n_levels; i++) {
        w->lv[i].level = f->levels[i].level;
        w->lv[i].shift = f->levels[i].shift;
        w->lv[i].index_mask = f->levels[i].index_mask;
        w->lv[i].last = i + 1 == f->n_levels;
    }
    w->long_mode = f->paging == VMSIM_PAGING_4LEVEL || f->paging == VMSIM_PAGING_5LEVEL;
    w->va_shift = f->paging == VMSIM_PAGING_5LEVEL ? 7 : 16;
    w->pke = w->long_mode && (m->cr4 & VMSIM_CR4_PKE);
    if (f->entry_width == 4)
        masks_32bit(m, w);
    else
        masks_64bit(m, w, w->long_mode);
}

/* Does the page's protection key forbid a data access (SDM 4.6.2)?
 * Keys apply to user-mode pages only, and never to fetches. */
static bool pkey_forbids(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                         unsigned pkey)
{
    uint32_t kr = m->pkru >> (2 * pkey);
    if (kr & 1) /* AD */
        return true;
    return access == VMSIM_WRITE && (kr & 2) && (mode == VMSIM_USER || (m->cr0 & VMSIM_CR0_WP));
}

bool mmu_pkey_forbids(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                      unsigned rights, unsigned pkey)
{
    return access != VMSIM_FETCH && (rights & TLB_U) && pkey_forbids(m, access, mode, pkey);
}

void mmu_make_fault(const vmsim_machine_t *m, vmsim_translation_t *t, vmsim_fault_reason_t reason,
                    int level, bool pk)
{
    uint32_t ec = 0;
    if (reason != VMSIM_WHY_NOT_PRESENT)
        ec |= VMSIM_PF_P;
    if (t->access == VMSIM_WRITE)
        ec |= VMSIM_PF_W;
    if (t->mode == VMSIM_USER)
        ec |= VMSIM_PF_U;
    if (reason == VMSIM_WHY_RESERVED)
        ec |= VMSIM_PF_RSVD;
    if (t->access == VMSIM_FETCH && ((m->cr4 & VMSIM_CR4_SMEP) || m->walk.xd_bit))
        ec |= VMSIM_PF_I;
    if (pk)
        ec |= VMSIM_PF_PK;
    t->outcome = VMSIM_OUTCOME_FAULT;
    t->fault.cr2 = t->vaddr;
    t->fault.error_code = ec;
    t->fault.reason = reason;
    t->fault.access = t->access;
    t->fault.mode = t->mode;
    t->fault.level = level;
}

static vmsim_walk_step_t *add_step(vmsim_translation_t *t, vmsim_level_t level, unsigned index,
                                   uint64_t table, unsigned width, uint64_t value)
{
    vmsim_walk_step_t *s = &t->steps[t->n_steps++];
    s->level = level;
    s->index = index;
    s->table = table;
    s->addr = table + (uint64_t)index * width;
    s->width = width;
    s->value = s->new_value = value;
    s->leaf = false;
    return s;
}

/* The root of the walk: the table CR3 names, or in PAE paging the PDPTE
 * register for bits 31:30.  Returns false when the PDPTE is not present. */
static bool walk_root(const vmsim_machine_t *m, vmsim_translation_t *t, uint64_t *table)
{
    if (!m->walk.fmt->has_pdpte) {
        *table = m->cr3 & m->walk.root_mask;
        return true;
    }
    unsigned i = (unsigned)(t->vaddr >> 30) & 3;
    vmsim_walk_step_t *s = add_step(t, VMSIM_LEVEL_PDPTE, i, m->cr3 & 0xffffffe0u, 8, m->pdpte[i]);
    if (!(s->value & VMSIM_PTE_P)) {
        mmu_make_fault(m, t, VMSIM_WHY_NOT_PRESENT, VMSIM_LEVEL_PDPTE, false);
        return false;
    }
    *table = s->value & m->walk.table_addr;
    return true;
}

/* The walk reached outside RAM at `addr`: nothing it would write is kept. */
static unsigned walk_bus(vmsim_translation_t *t, uint64_t addr, unsigned n_reads)
{
    t->outcome = VMSIM_OUTCOME_BUS;
    t->bus_addr = addr;
    for (unsigned i = 0; i < t->n_steps; i++)
        t->steps[i].new_value = t->steps[i].value;
    return n_reads;
}

/* The rights check at the leaf, then the page, its bytes in RAM, A/D. */
static unsigned walk_leaf(const vmsim_machine_t *m, vmsim_translation_t *t,
                          const struct level_masks *l, vmsim_walk_step_t *s, unsigned rights,
                          unsigned len, unsigned n_reads)
{
    bool pk;
    uint64_t entry = s->value;
    s->leaf = true;
    t->writable = rights & TLB_W;
    t->user = rights & TLB_U;
    t->executable = !(rights & TLB_XD);
    t->pkey = m->walk.long_mode ? (unsigned)(entry >> VMSIM_PTE_PKEY_SHIFT) & 0xf : 0;
    vmsim_fault_reason_t why = mmu_check_rights(m, t->access, t->mode, rights, t->pkey, &pk);
    if (why != VMSIM_WHY_NONE) {
        mmu_make_fault(m, t, why, s->level, pk);
        return n_reads;
    }
    t->page_size = 1u << l->shift;
    t->paddr = walk_leaf_base(l, entry) + (t->vaddr & (t->page_size - 1));
    s->new_value = entry | VMSIM_PTE_A | (t->access == VMSIM_WRITE ? VMSIM_PTE_D : 0);
    t->outcome = VMSIM_OUTCOME_OK;
    if (!ram_contains(m, t->paddr, len)) {
        /* the walk succeeded, the data lies outside RAM: the new values
         * stay in the steps, for access.c to write only if a page fault
         * on the second page of the access wins over this bus error */
        t->outcome = VMSIM_OUTCOME_BUS;
        t->bus_addr = t->paddr;
    }
    return n_reads;
}

unsigned mmu_walk(const vmsim_machine_t *m, vmsim_vaddr_t vaddr, vmsim_access_t access,
                  vmsim_mode_t mode, unsigned len, vmsim_translation_t *t,
                  const struct walk_start *start)
{
    const struct walk_masks *wm = &m->walk;
    unsigned n_reads = 0, width = wm->width, rights = TLB_W | TLB_U;
    uint64_t table;
    (void)access;
    (void)mode;
    unsigned first = 0;
    t->walked = true;
    if (start) { /* below an entry a paging-structure cache held */
        first = start->level;
        table = start->table;
        rights = start->rights;
    } else if (!walk_root(m, t, &table)) {
        return 0;
    }
    for (unsigned i = first; i < wm->n_levels; i++) {
        const struct level_masks *l = &wm->lv[i];
        unsigned index = (unsigned)(vaddr >> l->shift) & l->index_mask;
        uint64_t addr = table + (uint64_t)index * width;
        if (!ram_contains(m, addr, width))
            return walk_bus(t, addr, n_reads);
        uint64_t entry = ram_load(m, addr, width);
        n_reads++;
        vmsim_walk_step_t *s = add_step(t, l->level, index, table, width, entry);
        enum walk_step step = walk_step(l, entry);
        if (step == STEP_NOT_PRESENT || step == STEP_RESERVED) {
            mmu_make_fault(m, t, step == STEP_RESERVED ? VMSIM_WHY_RESERVED : VMSIM_WHY_NOT_PRESENT,
                           l->level, false);
            return n_reads;
        }
        rights = walk_rights(rights, entry, wm->xd_bit);
        if (step == STEP_LEAF)
            return walk_leaf(m, t, l, s, rights, len, n_reads);
        s->new_value = entry | VMSIM_PTE_A; /* used to find the next table */
        table = entry & wm->table_addr;
    }
    return n_reads; /* not reached: the last level always ends the walk */
}
