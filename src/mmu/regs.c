/*
 * regs.c - control registers, EFLAGS.AC, INVLPG: MOV to CRn as x86 does it.
 *
 *   CR0  PE(0) .. WP(16) .. PG(31)   PG without PE is #GP; so is NW without CD
 *   CR3  page-directory base (32-bit paging) or PDPT base (PAE, bits 31:5)
 *   CR4  PSE(4) PAE(5) PGE(7) SMEP(20) SMAP(21) are modelled; the other
 *        bits a Broadwell-class 32-bit CPU accepts are stored; PKE and
 *        unknown bits are #GP
 *   EFER SCE(0) LME(8) NXE(11); LMA is read-only; other bits #GP, and so
 *        is changing LME while CR0.PG = 1
 *
 * TLB effects (docs/scenario-language.md): a CR3 load flushes non-global
 * entries; a change of CR0.PG, CR0.WP, CR4.PGE, PSE, PAE, SMEP or SMAP
 * flushes everything; EFER loads flush nothing.  In PAE paging the four
 * PDPTEs are loaded from CR3 at a CR3 load, and at a CR0/CR4 load that
 * changes PG, CD, NW, PAE, PGE, PSE or SMEP (SDM 4.4.1); a present PDPTE
 * with a reserved bit set makes the load #GP, and nothing changes.
 */
#include "mmu_internal.h"

#define CR0_CD (1u << 30)
#define CR0_NW (1u << 29)
#define CR4_KNOWN 0x003507ffu /* VME..OSXMMEXCPT(10) FSGSBASE(16) OSXSAVE(18) SMEP SMAP */
#define CR4_FLUSH (VMSIM_CR4_PGE | VMSIM_CR4_PSE | VMSIM_CR4_PAE | VMSIM_CR4_SMEP | VMSIM_CR4_SMAP)
#define CR4_PDPTE (VMSIM_CR4_PAE | VMSIM_CR4_PGE | VMSIM_CR4_PSE | VMSIM_CR4_SMEP)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_KNOWN (1u | EFER_LME | VMSIM_EFER_NXE)

void mmu_invalidate_page(vmsim_machine_t *m, uint32_t vaddr)
{
    if (m->dtlb)
        tlb_invalidate_page(m->dtlb, vaddr);
    if (m->itlb && m->itlb != m->dtlb)
        tlb_invalidate_page(m->itlb, vaddr);
}

void mmu_flush(vmsim_machine_t *m, bool keep_global)
{
    if (m->dtlb)
        tlb_flush(m->dtlb, keep_global);
    if (m->itlb && m->itlb != m->dtlb)
        tlb_flush(m->itlb, keep_global);
}

/* Read the four PDPTEs for a PAE CR3 value into out[]; VMSIM_ERR_GP when
 * a present one has a reserved bit, VMSIM_ERR_BUS outside RAM. */
static vmsim_status_t load_pdptes(const vmsim_machine_t *m, uint32_t cr3, uint64_t out[4])
{
    uint64_t base = cr3 & 0xffffffe0u;
    uint64_t rsvd = 0x1e6ull | ~((1ull << m->maxphyaddr) - 1); /* 2:1, 8:5, 63:maxphyaddr */
    if (!ram_contains(m, base, 32))
        return VMSIM_ERR_BUS;
    for (unsigned i = 0; i < 4; i++) {
        out[i] = ram_load(m, base + 8 * i, 8);
        if ((out[i] & VMSIM_PTE_P) && (out[i] & rsvd))
            return VMSIM_ERR_GP;
    }
    return VMSIM_OK;
}

/* Commit new CR0/CR4 values after the checks: PDPTEs if PAE paging
 * follows and the change requires it, TLB flush, mode masks. */
static vmsim_status_t set_cr0_cr4(vmsim_machine_t *m, uint32_t cr0, uint32_t cr4)
{
    uint32_t d0 = cr0 ^ m->cr0, d4 = cr4 ^ m->cr4;
    bool pae_after = (cr0 & VMSIM_CR0_PG) && (cr4 & VMSIM_CR4_PAE);
    if (pae_after && ((d0 & (VMSIM_CR0_PG | CR0_CD | CR0_NW)) || (d4 & CR4_PDPTE))) {
        uint64_t pdpte[4];
        vmsim_status_t rc = load_pdptes(m, m->cr3, pdpte);
        if (rc)
            return rc;
        for (unsigned i = 0; i < 4; i++)
            m->pdpte[i] = pdpte[i];
    }
    m->cr0 = cr0;
    m->cr4 = cr4;
    if ((d0 & (VMSIM_CR0_PG | VMSIM_CR0_WP)) || (d4 & CR4_FLUSH)) {
        mmu_flush(m, false);
        m->st->cr_flushes++;
    }
    mmu_update_mode(m);
    return VMSIM_OK;
}

static vmsim_status_t write_cr0(vmsim_machine_t *m, uint64_t value)
{
    uint32_t v = (uint32_t)value;
    if ((v & VMSIM_CR0_PG) && !(v & VMSIM_CR0_PE))
        return VMSIM_ERR_GP;
    if ((v & CR0_NW) && !(v & CR0_CD))
        return VMSIM_ERR_GP;
    if ((v & VMSIM_CR0_PG) && !(m->cr0 & VMSIM_CR0_PG) && (m->efer & EFER_LME))
        return (m->cr4 & VMSIM_CR4_PAE) ? VMSIM_ERR_UNSUPPORTED : VMSIM_ERR_GP;
    return set_cr0_cr4(m, v, m->cr4);
}

static vmsim_status_t write_cr3(vmsim_machine_t *m, uint64_t value)
{
    uint32_t v = (uint32_t)value;
    if ((m->cr0 & VMSIM_CR0_PG) && (m->cr4 & VMSIM_CR4_PAE)) {
        uint64_t pdpte[4];
        vmsim_status_t rc = load_pdptes(m, v, pdpte);
        if (rc)
            return rc;
        for (unsigned i = 0; i < 4; i++)
            m->pdpte[i] = pdpte[i];
    }
    m->cr3 = v;
    m->st->cr3_loads++;
    mmu_flush(m, (m->cr4 & VMSIM_CR4_PGE) != 0);
    return VMSIM_OK;
}

/* WRMSR IA32_EFER: unknown bits are #GP, and so is a change of LME while
 * paging is on (SDM 4.1.2); LMA is read-only. */
static vmsim_status_t write_efer(vmsim_machine_t *m, uint64_t value)
{
    if (value & ~(uint64_t)(EFER_KNOWN | EFER_LMA))
        return VMSIM_ERR_GP;
    if (((value ^ m->efer) & EFER_LME) && (m->cr0 & VMSIM_CR0_PG))
        return VMSIM_ERR_GP;
    m->efer = (value & EFER_KNOWN) | (m->efer & EFER_LMA);
    mmu_update_mode(m);
    return VMSIM_OK;
}

vmsim_status_t vmsim_write_reg(vmsim_machine_t *m, vmsim_reg_t reg, uint64_t value)
{
    if (!m)
        return VMSIM_ERR_NULL;
    if (reg != VMSIM_REG_EFER && value > 0xffffffffu)
        return VMSIM_ERR_INVALID;
    switch (reg) {
    case VMSIM_REG_CR0: return write_cr0(m, value);
    case VMSIM_REG_CR2: m->cr2 = (uint32_t)value; return VMSIM_OK;
    case VMSIM_REG_CR3: return write_cr3(m, value);
    case VMSIM_REG_CR4:
        if (value & ~(uint64_t)CR4_KNOWN)
            return VMSIM_ERR_GP;
        return set_cr0_cr4(m, m->cr0, (uint32_t)value);
    case VMSIM_REG_EFER: return write_efer(m, value);
    default: return VMSIM_ERR_INVALID;
    }
}

vmsim_status_t vmsim_read_reg(const vmsim_machine_t *m, vmsim_reg_t reg, uint64_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    switch (reg) {
    case VMSIM_REG_CR0: *out = m->cr0; return VMSIM_OK;
    case VMSIM_REG_CR2: *out = m->cr2; return VMSIM_OK;
    case VMSIM_REG_CR3: *out = m->cr3; return VMSIM_OK;
    case VMSIM_REG_CR4: *out = m->cr4; return VMSIM_OK;
    case VMSIM_REG_EFER: *out = m->efer; return VMSIM_OK;
    default: return VMSIM_ERR_INVALID;
    }
}

vmsim_status_t vmsim_set_ac(vmsim_machine_t *m, bool ac)
{
    if (!m)
        return VMSIM_ERR_NULL;
    m->ac = ac; /* the fast path never caches SMAP-checked accesses, so nothing to drop */
    return VMSIM_OK;
}

bool vmsim_get_ac(const vmsim_machine_t *m) { return m && m->ac; }

vmsim_status_t vmsim_invlpg(vmsim_machine_t *m, uint32_t vaddr)
{
    if (!m)
        return VMSIM_ERR_NULL;
    m->st->invlpgs++;
    mmu_invalidate_page(m, vaddr);
    return VMSIM_OK;
}

vmsim_status_t vmsim_set_maxphyaddr(vmsim_machine_t *m, unsigned bits)
{
    if (!m)
        return VMSIM_ERR_NULL;
    if (bits < 32 || bits > 52)
        return VMSIM_ERR_INVALID;
    m->maxphyaddr = bits;
    m->cfg.maxphyaddr = bits;
    mmu_flush(m, false);
    mmu_update_mode(m);
    return VMSIM_OK;
}

vmsim_paging_t vmsim_paging_mode(const vmsim_machine_t *m)
{
    if (!m || !m->walk.fmt)
        return VMSIM_PAGING_OFF;
    return m->walk.fmt->paging;
}
