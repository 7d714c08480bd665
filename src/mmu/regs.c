/*
 * regs.c - control registers, EFLAGS.AC, PKRU, INVLPG, INVPCID: MOV to
 * CRn as x86 does it.
 *
 *   CR0  PE(0) .. WP(16) .. PG(31)   PG without PE is #GP; so is NW without CD
 *   CR3  page-directory base (32-bit paging), PDPT base (PAE, bits 31:5),
 *        PML4/PML5 base (IA-32e, bits M-1:12) and with CR4.PCIDE the
 *        current PCID in bits 11:0; bit 63 of a load means "no flush"
 *   CR4  PSE(4) PAE(5) PGE(7) LA57(12) PCIDE(17) SMEP(20) SMAP(21) PKE(22)
 *        are modelled; the other bits a Skylake-class CPU accepts are
 *        stored; unknown bits are #GP
 *   EFER SCE(0) LME(8) NXE(11); LMA(10) is read-only and set when CR0.PG
 *        turns on with LME = 1 (IA-32e mode); other bits #GP, and so is
 *        changing LME while CR0.PG = 1
 *   PKRU 32 bits, two per key (AD, WD); loads flush nothing
 *
 * TLB effects (docs/scenario-language.md): a CR3 load flushes non-global
 * entries (with PCIDs: of the new PCID, unless bit 63); a change of
 * CR0.PG, CR0.WP, CR4.PGE, PSE, PAE, SMEP or SMAP flushes everything, and
 * so does clearing CR4.PCIDE; EFER, PKRU, CR4.PKE and CR4.LA57 loads flush
 * nothing.  In PAE paging the four PDPTEs are loaded from CR3 at a CR3
 * load, and at a CR0/CR4 load that changes PG, CD, NW, PAE, PGE, PSE or
 * SMEP (SDM 4.4.1); a present PDPTE with a reserved bit set makes the
 * load #GP, and nothing changes.  The #GP rules of IA-32e mode (SDM 2.5,
 * 4.1.1 and the MOV CRn pages) are in write_cr0, write_cr4 and write_cr3.
 */
#include "mmu_internal.h"

#include <stdlib.h>

#define CR0_CD (1u << 30)
#define CR0_NW (1u << 29)
/* VME..OSXMMEXCPT(10) LA57(12) FSGSBASE(16) PCIDE(17) OSXSAVE(18) SMEP SMAP PKE */
#define CR4_KNOWN  0x007717ffu
#define CR4_FLUSH  (VMSIM_CR4_PGE | VMSIM_CR4_PSE | VMSIM_CR4_PAE | VMSIM_CR4_SMEP | VMSIM_CR4_SMAP)
#define CR4_PDPTE  (VMSIM_CR4_PAE | VMSIM_CR4_PGE | VMSIM_CR4_PSE | VMSIM_CR4_SMEP)
#define EFER_LME   VMSIM_EFER_LME
#define EFER_LMA   VMSIM_EFER_LMA
#define EFER_KNOWN (1u | EFER_LME | VMSIM_EFER_NXE)

static uint64_t pcid_tag(const vmsim_machine_t *m)
{
    return (uint64_t)m->pcid << TLB_PCID_SHIFT;
}

void mmu_invalidate_page(vmsim_machine_t *m, vmsim_vaddr_t vaddr)
{
    for (unsigned i = 0; i < m->n_tlbs; i++)
        tlb_invalidate_page(m->tlbs[i], vaddr, pcid_tag(m), true);
    psc_flush(m, true, pcid_tag(m)); /* SDM 4.10.4.1: every PSC entry of the PCID */
}

void mmu_clear_fast(vmsim_machine_t *m)
{
    for (unsigned k = 0; k < FAST_KINDS; k++)
        for (unsigned i = 0; i < FAST_SLOTS; i++)
            m->fast[k][i].tag = FAST_NONE;
}

void mmu_set_pcid(vmsim_machine_t *m)
{
    bool on = m->cr4 & VMSIM_CR4_PCIDE;
    unsigned pcid = on ? (unsigned)(m->cr3 & 0xfff) : 0;
    if (pcid != m->pcid)
        mmu_clear_fast(m); /* shortcuts stand for the old PCID's ways */
    m->pcid = pcid;
    if (on && pcid > m->pcid_max)
        m->pcid_max = pcid;
    mmu_point_stats(m);
    for (unsigned i = 0; i < m->n_tlbs; i++) {
        m->tlbs[i]->tag = pcid_tag(m);
        m->tlbs[i]->pcids_on = on;
    }
    for (unsigned i = 0; i < m->n_pscs; i++)
        m->pscs[i]->tag = pcid_tag(m);
}

static void uncount_stlb1g_flush(vmsim_machine_t *m);

/* Every TLB, each once (a unified TLB is both the data and the
 * instruction TLB; the STLB and its 1 GiB array are two). */
static void flush_pcid(vmsim_machine_t *m, uint64_t tag)
{
    for (unsigned i = 0; i < m->n_tlbs; i++)
        tlb_flush_pcid(m->tlbs[i], tag);
    uncount_stlb1g_flush(m);
    psc_flush(m, true, tag);
}

static void invalidate_page_nonglobal(vmsim_machine_t *m, vmsim_vaddr_t vaddr, uint64_t tag)
{
    for (unsigned i = 0; i < m->n_tlbs; i++)
        tlb_invalidate_page(m->tlbs[i], vaddr, tag, false);
    psc_flush(m, true, tag);
}

/* The STLB's 1 GiB array counts into the STLB's counters: a flush of
 * both is one flush. */
static void uncount_stlb1g_flush(vmsim_machine_t *m)
{
    if (m->stlb1g)
        m->stlb1g->st->flushes--;
}

void mmu_flush(vmsim_machine_t *m, bool keep_global)
{
    for (unsigned i = 0; i < m->n_tlbs; i++)
        tlb_flush(m->tlbs[i], keep_global);
    uncount_stlb1g_flush(m);
    psc_flush(m, false, 0); /* no PSC entry is global */
}

/* Read the four PDPTEs for a PAE CR3 value into out[]; VMSIM_ERR_GP when
 * a present one has a reserved bit, VMSIM_ERR_BUS outside RAM. */
static vmsim_status_t load_pdptes(const vmsim_machine_t *m, uint64_t cr3, uint64_t out[4])
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

static bool long_mode(const vmsim_machine_t *m)
{
    return m->efer & EFER_LMA;
}

/* Commit new CR0/CR4 values after the checks: PDPTEs if PAE paging
 * follows and the change requires it, IA-32e mode on, TLB flush, mode
 * masks, the current PCID. */
static vmsim_status_t set_cr0_cr4(vmsim_machine_t *m, uint32_t cr0, uint32_t cr4)
{
    uint32_t d0 = cr0 ^ m->cr0, d4 = cr4 ^ m->cr4;
    bool paging_after = cr0 & VMSIM_CR0_PG;
    bool enter_long = paging_after && !(m->cr0 & VMSIM_CR0_PG) && (m->efer & EFER_LME);
    bool pae_after = paging_after && (cr4 & VMSIM_CR4_PAE) && !enter_long && !long_mode(m);
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
    if (enter_long)
        m->efer |= EFER_LMA;
    else if (!paging_after)
        m->efer &= ~(uint64_t)EFER_LMA;
    bool pcide_cleared = (d4 & VMSIM_CR4_PCIDE) && !(cr4 & VMSIM_CR4_PCIDE);
    if ((d0 & (VMSIM_CR0_PG | VMSIM_CR0_WP)) || (d4 & CR4_FLUSH) || pcide_cleared) {
        mmu_flush(m, false);
        m->st->cr_flushes++;
    }
    if (d4 & VMSIM_CR4_PKE)
        mmu_clear_fast(m); /* shortcuts were made without the key check */
    mmu_update_mode(m);
    mmu_set_pcid(m);
    return VMSIM_OK;
}

static vmsim_status_t write_cr0(vmsim_machine_t *m, uint64_t value)
{
    uint32_t v = (uint32_t)value;
    if ((v & VMSIM_CR0_PG) && !(v & VMSIM_CR0_PE))
        return VMSIM_ERR_GP;
    if ((v & CR0_NW) && !(v & CR0_CD))
        return VMSIM_ERR_GP;
    if ((v & VMSIM_CR0_PG) && (m->efer & EFER_LME) && !(m->cr4 & VMSIM_CR4_PAE))
        return VMSIM_ERR_GP;
    if (!(v & VMSIM_CR0_PG) && long_mode(m))
        return VMSIM_ERR_GP;
    return set_cr0_cr4(m, v, m->cr4);
}

/* The MOV to CR4 refusals beyond unknown bits. */
static vmsim_status_t write_cr4(vmsim_machine_t *m, uint64_t value)
{
    uint32_t v = (uint32_t)value;
    if (value & ~(uint64_t)CR4_KNOWN)
        return VMSIM_ERR_GP;
    if (long_mode(m) && (!(v & VMSIM_CR4_PAE) || ((v ^ m->cr4) & VMSIM_CR4_LA57)))
        return VMSIM_ERR_GP;
    if ((v & VMSIM_CR4_PCIDE) && !(m->cr4 & VMSIM_CR4_PCIDE) && (!long_mode(m) || (m->cr3 & 0xfff)))
        return VMSIM_ERR_GP;
    if ((v & VMSIM_CR4_PCIDE) && !m->pcid_stats) {
        m->pcid_stats = calloc((size_t)VMSIM_BANK_COUNT * PCID_COUNT, sizeof *m->pcid_stats);
        if (!m->pcid_stats)
            return VMSIM_ERR_NOMEM;
    }
    return set_cr0_cr4(m, m->cr0, v);
}

static vmsim_status_t write_cr3_legacy(vmsim_machine_t *m, uint64_t value)
{
    if (value > 0xffffffffu)
        return VMSIM_ERR_INVALID;
    if ((m->cr0 & VMSIM_CR0_PG) && (m->cr4 & VMSIM_CR4_PAE)) {
        uint64_t pdpte[4];
        vmsim_status_t rc = load_pdptes(m, value, pdpte);
        if (rc)
            return rc;
        for (unsigned i = 0; i < 4; i++)
            m->pdpte[i] = pdpte[i];
    }
    m->cr3 = value;
    m->st->cr3_loads++;
    mmu_flush(m, (m->cr4 & VMSIM_CR4_PGE) != 0);
    mmu_set_pcid(m);
    return VMSIM_OK;
}

/* IA-32e mode: bits 62:maxphyaddr are reserved; bit 63 asks for no
 * flush and needs CR4.PCIDE. */
static vmsim_status_t write_cr3(vmsim_machine_t *m, uint64_t value)
{
    if (!long_mode(m))
        return write_cr3_legacy(m, value);
    bool pcide = m->cr4 & VMSIM_CR4_PCIDE, noflush = value & VMSIM_CR3_NOFLUSH;
    uint64_t rsvd = ~((1ull << m->maxphyaddr) - 1) & ~VMSIM_CR3_NOFLUSH;
    if ((value & rsvd) || (noflush && !pcide))
        return VMSIM_ERR_GP;
    m->cr3 = value & ~VMSIM_CR3_NOFLUSH;
    m->st->cr3_loads++;
    mmu_set_pcid(m);
    if (!pcide)
        mmu_flush(m, (m->cr4 & VMSIM_CR4_PGE) != 0);
    else if (!noflush)
        flush_pcid(m, pcid_tag(m));
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
    if (reg != VMSIM_REG_EFER && reg != VMSIM_REG_CR3 && reg != VMSIM_REG_CR2 &&
        value > 0xffffffffu)
        return VMSIM_ERR_INVALID;
    switch (reg) {
    case VMSIM_REG_CR0: return write_cr0(m, value);
    case VMSIM_REG_CR2: m->cr2 = value; return VMSIM_OK;
    case VMSIM_REG_CR3: return write_cr3(m, value);
    case VMSIM_REG_CR4: return write_cr4(m, value);
    case VMSIM_REG_EFER: return write_efer(m, value);
    case VMSIM_REG_PKRU: m->pkru = (uint32_t)value; return VMSIM_OK; /* flushes nothing */
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
    case VMSIM_REG_PKRU: *out = m->pkru; return VMSIM_OK;
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

vmsim_status_t vmsim_invlpg(vmsim_machine_t *m, vmsim_vaddr_t vaddr)
{
    if (!m)
        return VMSIM_ERR_NULL;
    vmsim_status_t rc = mmu_check_vaddr(m, vaddr, 1);
    if (rc == VMSIM_ERR_INVALID)
        return rc;
    m->st->invlpgs++;
    if (rc == VMSIM_OK) /* INVLPG of a non-canonical address is a no-op */
        mmu_invalidate_page(m, vaddr);
    return VMSIM_OK;
}

static bool canonical(const vmsim_machine_t *m, vmsim_vaddr_t vaddr)
{
    unsigned sh = m->walk.long_mode ? m->walk.va_shift : 16;
    return (vmsim_vaddr_t)((int64_t)(vaddr << sh) >> sh) == vaddr;
}

vmsim_status_t vmsim_invpcid(vmsim_machine_t *m, uint64_t type, uint64_t pcid, vmsim_vaddr_t vaddr)
{
    if (!m)
        return VMSIM_ERR_NULL;
    bool pcide = m->cr4 & VMSIM_CR4_PCIDE;
    if (type > 3 || pcid > 0xfff || (type <= 1 && pcid != 0 && !pcide) ||
        (type == 0 && !canonical(m, vaddr)))
        return VMSIM_ERR_GP;
    uint64_t tag = pcid << TLB_PCID_SHIFT;
    m->st->invpcids++;
    switch (type) {
    case 0: invalidate_page_nonglobal(m, vaddr, tag); break;
    case 1: flush_pcid(m, tag); break;
    default: mmu_flush(m, type == 3); break;
    }
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
