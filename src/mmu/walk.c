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
 * Both are the same loop over two levels held in RAM (PD, PT), driven by
 * struct paging_format and the masks in struct walk_masks: entry width,
 * index bits, where a large page (PS = 1 in a PDE) stops the walk, which
 * bits are reserved.  At each level the walk
 *
 *   1. reads the entry (outside RAM: the walk ends with a bus error and
 *      changes nothing);
 *   2. faults if P = 0, or if a reserved bit is set (RSVD);
 *   3. ANDs R/W and U/S into the combined rights, ORs XD;
 *   4. either descends (marking the entry accessed: a PDE's A bit is set
 *      as soon as it is used to find a page table, even if the walk then
 *      faults), or stops at the leaf.
 *
 * Then the combined rights are checked against the access (mmu_check_rights,
 * SDM 4.6); if allowed, the leaf gets A, and D for a write.  The walk only
 * computes: the new entry values go into the translation's steps and
 * access.c writes them back, so vmsim_translate() can show a walk
 * without side effects.
 */
#include "mmu_internal.h"

#include <string.h>

static const struct paging_format fmt_32bit = {VMSIM_PAGING_32BIT, 4, 10, 22, false};
static const struct paging_format fmt_pae = {VMSIM_PAGING_PAE, 8, 9, 21, true};

static uint64_t bits(unsigned hi, unsigned lo) /* bits hi..lo inclusive */
{
    uint64_t upper = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;
    return upper & ~((1ull << lo) - 1);
}

void mmu_update_mode(vmsim_machine_t *m)
{
    struct walk_masks *w = &m->walk;
    unsigned maxpa = m->maxphyaddr;
    memset(w, 0, sizeof *w);
    if (!(m->cr0 & VMSIM_CR0_PG))
        return;
    if (m->cr4 & VMSIM_CR4_PAE) {
        bool nxe = m->efer & VMSIM_EFER_NXE;
        w->fmt = &fmt_pae;
        w->table_addr = bits(maxpa - 1, 12);
        w->rsvd_table = bits(62, maxpa) | (nxe ? 0 : bits(63, 63));
        w->rsvd_large = w->rsvd_table | bits(20, 13);
        w->large_lo = bits(maxpa - 1, 21);
        w->xd_bit = nxe ? bits(63, 63) : 0;
        w->large_ok = true;
        w->large_shift = 21;
    } else {
        w->fmt = &fmt_32bit;
        w->table_addr = bits(31, 12);
        w->rsvd_table = 0;
        /* PSE-36: bits 20:13 carry physical-address bits 39:32; those at
         * or above maxphyaddr, and bit 21, are reserved. */
        w->rsvd_large = bits(21, 21) | (maxpa < 40 ? bits(20, 13 + (maxpa - 32)) : 0);
        w->large_lo = bits(31, 22);
        w->large_hi = bits(20, 13) & ~w->rsvd_large;
        w->large_ok = m->cr4 & VMSIM_CR4_PSE;
        w->large_shift = 22;
    }
}

vmsim_fault_reason_t mmu_check_rights(const vmsim_machine_t *m, vmsim_access_t access,
                                      vmsim_mode_t mode, bool writable, bool user, bool xd)
{
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

void mmu_make_fault(const vmsim_machine_t *m, vmsim_translation_t *t,
                    vmsim_fault_reason_t reason, int level)
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
    if (t->access == VMSIM_FETCH &&
        ((m->cr4 & VMSIM_CR4_SMEP) || (m->walk.fmt == &fmt_pae && (m->efer & VMSIM_EFER_NXE))))
        ec |= VMSIM_PF_I;
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

/* The root of the walk: CR3's page directory, or in PAE paging the PDPTE
 * register for bits 31:30.  Returns false when the PDPTE is not present. */
static bool walk_root(const vmsim_machine_t *m, vmsim_translation_t *t, uint64_t *table)
{
    if (!m->walk.fmt->has_pdpte) {
        *table = m->cr3 & 0xfffff000u;
        return true;
    }
    unsigned i = t->vaddr >> 30;
    vmsim_walk_step_t *s = add_step(t, VMSIM_LEVEL_PDPTE, i, m->cr3 & 0xffffffe0u, 8, m->pdpte[i]);
    if (!(s->value & VMSIM_PTE_P)) {
        mmu_make_fault(m, t, VMSIM_WHY_NOT_PRESENT, VMSIM_LEVEL_PDPTE);
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

/* The physical base of the page a leaf entry maps. */
static uint64_t leaf_base(const struct walk_masks *w, uint64_t entry, bool large)
{
    if (!large)
        return entry & w->table_addr;
    return (entry & w->large_lo) | ((entry & w->large_hi) << 19);
}

unsigned mmu_walk(const vmsim_machine_t *m, uint32_t vaddr, vmsim_access_t access,
                  vmsim_mode_t mode, unsigned len, vmsim_translation_t *t)
{
    const struct walk_masks *wm = &m->walk;
    const struct paging_format *f = wm->fmt;
    unsigned n_reads = 0;
    uint64_t table, entry = 0;
    bool writable = true, user = true, xd = false, large = false;
    vmsim_walk_step_t *s = NULL;

    t->walked = true;
    if (!walk_root(m, t, &table))
        return 0;
    for (int level = VMSIM_LEVEL_PDE; level <= VMSIM_LEVEL_PTE; level++) {
        unsigned shift = level == VMSIM_LEVEL_PDE ? f->pd_shift : 12;
        unsigned index = (vaddr >> shift) & ((1u << f->index_bits) - 1);
        uint64_t addr = table + (uint64_t)index * f->entry_width;
        if (!ram_contains(m, addr, f->entry_width))
            return walk_bus(t, addr, n_reads);
        entry = ram_load(m, addr, f->entry_width);
        n_reads++;
        s = add_step(t, (vmsim_level_t)level, index, table, f->entry_width, entry);
        if (!(entry & VMSIM_PTE_P)) {
            mmu_make_fault(m, t, VMSIM_WHY_NOT_PRESENT, level);
            return n_reads;
        }
        large = level == VMSIM_LEVEL_PDE && (entry & VMSIM_PTE_PS) && wm->large_ok;
        if (entry & (large ? wm->rsvd_large : wm->rsvd_table)) {
            mmu_make_fault(m, t, VMSIM_WHY_RESERVED, level);
            return n_reads;
        }
        writable = writable && (entry & VMSIM_PTE_RW);
        user = user && (entry & VMSIM_PTE_US);
        xd = xd || (entry & wm->xd_bit);
        if (large || level == VMSIM_LEVEL_PTE)
            break;
        s->new_value = entry | VMSIM_PTE_A; /* used to find the page table */
        table = entry & wm->table_addr;
    }
    s->leaf = true;
    t->writable = writable;
    t->user = user;
    t->executable = !xd;
    vmsim_fault_reason_t why = mmu_check_rights(m, access, mode, writable, user, xd);
    if (why != VMSIM_WHY_NONE) {
        mmu_make_fault(m, t, why, s->level);
        return n_reads;
    }
    unsigned shift = large ? wm->large_shift : 12;
    t->page_size = 1u << shift;
    t->paddr = leaf_base(wm, entry, large) + (vaddr & (t->page_size - 1));
    if (!ram_contains(m, t->paddr, len))
        return walk_bus(t, t->paddr, n_reads);
    s->new_value = entry | VMSIM_PTE_A | (access == VMSIM_WRITE ? VMSIM_PTE_D : 0);
    t->outcome = VMSIM_OUTCOME_OK;
    return n_reads;
}
