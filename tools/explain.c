/*
 * explain.c - `vmsim run --explain`: a readable account of every
 * translation, for a student who wants to know *why*.
 *
 *   read user 0x1ff8 4
 *     linear 0x00001ff8 = PDE 0 | PTE 1 | offset 0xff8 (32-bit paging)
 *     data TLB miss: walk from CR3 = 0x10000
 *     PDE  [0] at 0x10000 = 0x11007  P RW US -> page table 0x11000
 *          accessed: 0x11007 -> 0x11027
 *     ...
 *     => ok 0x20ff8 (4 KiB page), cached in the data TLB
 *
 * PAE walks are told in PAE terms: the walk starts at one of the four
 * PDPTE registers (loaded from the PDPT that CR3 names when CR3 or paging
 * was last loaded, so a PDPTE changed in memory since then is not what
 * the walk uses), a PDPTE shows only the bits it has (P, PWT, PCD: no
 * R/W, U/S or A), bit 63 is called XD only while EFER.NXE makes it one,
 * and each step names the table or frame it leads to.  A reserved-bit
 * fault names the reserved bits that are set, and a rights fault shows
 * the rights combined over the levels.  The 32-bit lines are kept as
 * docs/scenarios.md shows them.
 */
#include <inttypes.h>

#include "explain.h"
#include "scenario.h"

/* What the account needs to know beyond the translation itself. */
struct view {
    bool pae, nxe, pse;
    unsigned maxphyaddr; /* as configured (a later `maxphyaddr` directive is not seen) */
};

static struct view view_of(const vmsim_machine_t *m, const vmsim_translation_t *t)
{
    uint64_t efer = 0, cr4 = 0;
    vmsim_read_reg(m, VMSIM_REG_EFER, &efer);
    vmsim_read_reg(m, VMSIM_REG_CR4, &cr4);
    struct view v = {t->paging == VMSIM_PAGING_PAE, (efer & VMSIM_EFER_NXE) != 0,
                     (cr4 & VMSIM_CR4_PSE) != 0, vmsim_get_config(m)->maxphyaddr};
    return v;
}

uint64_t explain_bits(unsigned hi, unsigned lo)
{
    uint64_t upper = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;
    return upper & ~((1ull << lo) - 1);
}

static uint64_t bit_range(unsigned hi, unsigned lo) { return explain_bits(hi, lo); }

void explain_ad_line(FILE *f, const vmsim_walk_step_t *s)
{
    if (s->new_value == s->value)
        return;
    uint64_t set = s->new_value ^ s->value;
    const char *what = (set & VMSIM_PTE_A) && (set & VMSIM_PTE_D) ? "accessed and dirty"
                       : (set & VMSIM_PTE_A)                       ? "accessed"
                                                                   : "dirty";
    fprintf(f, "        %s set: 0x%" PRIx64 " -> 0x%" PRIx64 "\n", what, s->value, s->new_value);
}

static bool is_large(const struct view *v, const vmsim_walk_step_t *s)
{
    return s->level == VMSIM_LEVEL_PDE && (s->value & VMSIM_PTE_PS) && (v->pae || v->pse);
}

/* PDPTEs have P, PWT and PCD; the other low bits are reserved or ignored. */
static void pdpte_flags(FILE *f, const vmsim_walk_step_t *s)
{
    if (!(s->value & VMSIM_PTE_P)) {
        fprintf(f, " not present");
        return;
    }
    fprintf(f, " P%s%s", (s->value & VMSIM_PTE_PWT) ? " PWT" : "",
            (s->value & VMSIM_PTE_PCD) ? " PCD" : "");
}

static void flags(FILE *f, const struct view *v, const vmsim_walk_step_t *s)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {{VMSIM_PTE_P, "P"},     {VMSIM_PTE_RW, "RW"},   {VMSIM_PTE_US, "US"},
                 {VMSIM_PTE_PWT, "PWT"}, {VMSIM_PTE_PCD, "PCD"}, {VMSIM_PTE_A, "A"},
                 {VMSIM_PTE_D, "D"},     {VMSIM_PTE_G, "G"}};
    if (s->level == VMSIM_LEVEL_PDPTE)
        return pdpte_flags(f, s);
    if (!(s->value & VMSIM_PTE_P)) { /* the other bits mean nothing */
        fprintf(f, " not present");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s->value & names[i].bit)
            fprintf(f, " %s", names[i].name);
    if (s->value & VMSIM_PTE_XD)
        fprintf(f, v->nxe ? " XD" : " bit63");
    if (s->level == VMSIM_LEVEL_PDE && (s->value & VMSIM_PTE_PS))
        fprintf(f, is_large(v, s) ? " PS" : " PS (ignored: CR4.PSE = 0)");
    else if (s->level == VMSIM_LEVEL_PTE && (s->value & VMSIM_PTE_PAT))
        fprintf(f, " PAT");
    if (!(s->value & VMSIM_PTE_RW))
        fprintf(f, " (read-only)");
    if (!(s->value & VMSIM_PTE_US))
        fprintf(f, " (supervisor)");
}

/* Did the translation end at a large-page PDE (from the walk, or a TLB hit)? */
static bool large_leaf(const vmsim_translation_t *t)
{
    if (t->n_steps)
        return t->steps[t->n_steps - 1].leaf && t->steps[t->n_steps - 1].level == VMSIM_LEVEL_PDE;
    return t->outcome == VMSIM_OUTCOME_OK && t->page_size > VMSIM_PAGE_SIZE;
}

static void split(FILE *f, const vmsim_translation_t *t)
{
    uint32_t va = t->vaddr;
    bool pae = t->paging == VMSIM_PAGING_PAE;
    unsigned pd = pae ? (va >> 21) & 0x1ff : va >> 22;
    fprintf(f, "  linear 0x%08" PRIx32 " = ", va);
    if (pae)
        fprintf(f, "PDPTE %u | ", va >> 30);
    if (large_leaf(t))
        fprintf(f, "PDE %u | offset 0x%x (%s paging, %s page: bits %s | %s)\n", pd,
                va & (pae ? 0x1fffffu : 0x3fffffu), pae ? "PAE" : "32-bit", pae ? "2 MiB" : "4 MiB",
                pae ? "31:30 | 29:21" : "31:22", pae ? "20:0" : "21:0");
    else if (pae)
        fprintf(f,
                "PDE %u | PTE %u | offset 0x%x (PAE paging: bits 31:30 | 29:21 | 20:12 | 11:0)\n",
                pd, (va >> 12) & 0x1ff, va & 0xfff);
    else
        fprintf(f, "PDE %u | PTE %u | offset 0x%x (32-bit paging)\n", pd, (va >> 12) & 0x3ff,
                va & 0xfff);
}

/* Where a present entry leads: the next table, or the page it maps. */
static void target(FILE *f, const struct view *v, const vmsim_walk_step_t *s)
{
    uint64_t addr = s->value & bit_range(v->maxphyaddr - 1, 12);
    if (!v->pae) {
        if (s->leaf)
            fprintf(f, " -> %s page\n", s->level == VMSIM_LEVEL_PTE ? "4 KiB" : "4 MiB");
        else
            fprintf(f, " -> next table\n");
        return;
    }
    if (s->leaf && s->level == VMSIM_LEVEL_PDE)
        fprintf(f, " -> 2 MiB page 0x%" PRIx64 "\n", addr & ~(uint64_t)0x1fffff);
    else if (s->leaf)
        fprintf(f, " -> 4 KiB page 0x%" PRIx64 "\n", addr);
    else
        fprintf(f, " -> %s 0x%" PRIx64 "\n",
                s->level == VMSIM_LEVEL_PDPTE ? "page directory" : "page table", addr);
}

/* The reserved bits of this entry under the current registers. */
static uint64_t reserved_bits(const struct view *v, const vmsim_walk_step_t *s)
{
    unsigned m = v->maxphyaddr;
    if (!v->pae)
        return is_large(v, s) ? bit_range(21, 21) | (m < 40 ? bit_range(20, m - 19) : 0) : 0;
    uint64_t r = bit_range(62, m) | (v->nxe ? 0 : VMSIM_PTE_XD);
    return is_large(v, s) ? r | bit_range(20, 13) : r;
}

/* Name each class of reserved bit that is set, with the rule that reserves it. */
static void reserved_line(FILE *f, const struct view *v, const vmsim_walk_step_t *s)
{
    uint64_t set = s->value & reserved_bits(v, s);
    unsigned m = v->maxphyaddr, n = 0;
    char part[3][80];
    if (!set)
        return;
    if (!v->pae && (set & bit_range(21, 21)))
        snprintf(part[n++], sizeof part[0], "bit 21 (always reserved in a 4 MiB PDE)");
    if (!v->pae && (set & bit_range(20, 13)))
        snprintf(part[n++], sizeof part[0],
                 "PSE-36 bits 20:%u (address bits 39:%u, beyond "
                 "MAXPHYADDR %u)",
                 m - 19, m, m);
    if (v->pae && (set & bit_range(62, m)))
        snprintf(part[n++], sizeof part[0], "bits 62:%u (beyond MAXPHYADDR %u)", m, m);
    if (v->pae && (set & VMSIM_PTE_XD))
        snprintf(part[n++], sizeof part[0], "bit 63 (XD is a reserved bit while EFER.NXE = 0)");
    if (v->pae && (set & bit_range(20, 13)))
        snprintf(part[n++], sizeof part[0], "bits 20:13 (reserved in a 2 MiB PDE)");
    fprintf(f, "        reserved bits set: 0x%" PRIx64 " =", set);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s %s", i ? "," : "", part[i]);
    fprintf(f, "\n");
}

static void pdpte_step(FILE *f, const struct view *v, const vmsim_walk_step_t *s)
{
    fprintf(f, "  PDPTE [%u] register = 0x%" PRIx64 " ", s->index, s->value);
    flags(f, v, s);
    if (s->value & VMSIM_PTE_P)
        target(f, v, s);
    else
        fprintf(f, "\n");
    fprintf(f,
            "        (loaded from 0x%" PRIx64 " when CR3 or paging was last loaded;"
            " no A bit, no rights)\n",
            s->addr);
}

static void step(FILE *f, const struct view *v, const vmsim_translation_t *t,
                 const vmsim_walk_step_t *s, bool last)
{
    if (s->level == VMSIM_LEVEL_PDPTE)
        return pdpte_step(f, v, s);
    fprintf(f, "  %-5s [%u] at 0x%" PRIx64 " = 0x%" PRIx64 " ", vmsim_level_name(s->level),
            s->index, s->addr, s->value);
    flags(f, v, s);
    bool decided_here =
        last && t->outcome == VMSIM_OUTCOME_FAULT && t->fault.level == (int)s->level;
    if (!(s->value & VMSIM_PTE_P) || (decided_here && !s->leaf))
        fprintf(f, "\n");
    else
        target(f, v, s);
    if (decided_here && t->fault.reason == VMSIM_WHY_RESERVED)
        reserved_line(f, v, s);
    explain_ad_line(f, s);
}

static bool rights_fault(const vmsim_translation_t *t)
{
    return t->outcome == VMSIM_OUTCOME_FAULT && t->fault.reason != VMSIM_WHY_NOT_PRESENT &&
           t->fault.reason != VMSIM_WHY_RESERVED;
}

static void outcome(FILE *f, const vmsim_translation_t *t)
{
    const char *tlb = t->tlb == VMSIM_ITLB ? "instruction TLB" : "data TLB";
    switch (t->outcome) {
    case VMSIM_OUTCOME_OK:
        fprintf(f, "  => ok 0x%" PRIx64 " (%u %s page, rights:%s%s%s)%s%s\n", t->paddr,
                t->page_size >> (t->page_size > 4096 ? 20 : 10),
                t->page_size > 4096 ? "MiB" : "KiB", t->writable ? " write" : " read-only",
                t->user ? " user" : " supervisor", t->executable ? "" : " no-execute",
                t->cached ? ", cached in the " : "", t->cached ? tlb : "");
        break;
    case VMSIM_OUTCOME_BUS:
        fprintf(f,
                "  => !bus 0x%" PRIx64
                ": that physical address is outside RAM; nothing is changed\n",
                t->bus_addr);
        break;
    default:
        fprintf(f,
                "  => #PF error code 0x%" PRIx32
                " (P=%u W/R=%u U/S=%u RSVD=%u I/D=%u%s), CR2 = 0x%" PRIx64 "\n",
                t->fault.error_code, t->fault.error_code & 1, (t->fault.error_code >> 1) & 1,
                (t->fault.error_code >> 2) & 1, (t->fault.error_code >> 3) & 1,
                (t->fault.error_code >> 4) & 1, (t->fault.error_code & VMSIM_PF_PK) ? " PK=1" : "",
                t->fault.cr2);
        fprintf(f, "     because: %s%s%s\n", vmsim_fault_reason_text(t->fault.reason),
                t->fault.level >= 0 ? " -- decided at the " : "",
                t->fault.level >= 0 ? vmsim_level_name((vmsim_level_t)t->fault.level) : "");
        if (t->fault.error_code & VMSIM_PF_PK)
            fprintf(f, "     protection key %u of the user-mode page: PKRU forbids the %s\n",
                    t->pkey, t->access == VMSIM_WRITE ? "write (AD or WD)" : "read (AD)");
        if (rights_fault(t))
            fprintf(f, "     rights of all levels together (R/W and U/S ANDed%s):%s%s%s\n",
                    t->paging != VMSIM_PAGING_32BIT ? ", XD ORed" : "",
                    t->writable ? " write" : " read-only", t->user ? " user" : " supervisor",
                    t->executable ? "" : " no-execute");
    }
}

/* The line that says where the translation came from. */
static void source(FILE *f, const vmsim_translation_t *t, uint64_t cr3)
{
    const char *tlb = t->tlb == VMSIM_ITLB   ? "instruction TLB"
                      : t->tlb == VMSIM_DTLB ? "data TLB"
                                             : "";
    char from[120];
    if (t->paging == VMSIM_PAGING_4LEVEL || t->paging == VMSIM_PAGING_5LEVEL)
        snprintf(from, sizeof from, "CR3 = 0x%" PRIx64 " (%s table, PCID %u)", cr3,
                 t->paging == VMSIM_PAGING_5LEVEL ? "PML5" : "PML4", t->pcid);
    else if (t->paging == VMSIM_PAGING_PAE)
        snprintf(from, sizeof from, "PDPTE register %u (PDPT at CR3 = 0x%" PRIx64 ")",
                 (unsigned)(t->vaddr >> 30), cr3 & 0xffffffe0u);
    else
        snprintf(from, sizeof from, "CR3 = 0x%" PRIx64, cr3);
    if (t->tlb < 0)
        fprintf(f, "  no TLB: walk from %s\n", from);
    else if (t->tlb_hit && !t->walked)
        fprintf(f, "  %s hit: the cached translation is used, the tables are not read\n", tlb);
    else if (t->stlb_hit && !t->walked)
        fprintf(f, "  %s miss, second-level TLB hit: its translation is used and copied into the"
                   " %s, the tables are not read\n",
                tlb, tlb);
    else if (t->stlb_hit)
        fprintf(f, "  %s miss, second-level TLB hit%s: walk again\n", tlb,
                t->dirty_walk ? " with D = 0 for a write" : " whose rights refuse this access");
    else if (t->dirty_walk)
        fprintf(f, "  %s hit with D = 0 for a write: walk again to set the dirty bit\n", tlb);
    else if (t->tlb_hit)
        fprintf(f, "  %s hit, but the cached rights refuse this access: walk again\n", tlb);
    else
        fprintf(f, "  %s miss: walk from %s\n", tlb, from);
}

void explain_translation(FILE *f, const vmsim_machine_t *m, const vmsim_translation_t *t)
{
    uint64_t cr3 = 0;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    if (t->paging == VMSIM_PAGING_OFF) {
        fprintf(f, "  paging is off (CR0.PG = 0): physical = linear = 0x%" PRIx64 "\n", t->vaddr);
        outcome(f, t);
        return;
    }
    if (t->paging == VMSIM_PAGING_4LEVEL || t->paging == VMSIM_PAGING_5LEVEL) {
        explain64_split(f, t);
        source(f, t, cr3);
        for (unsigned i = 0; i < t->n_steps; i++)
            explain64_step(f, m, t, &t->steps[i], i + 1 == t->n_steps);
        outcome(f, t);
        return;
    }
    struct view v = view_of(m, t);
    split(f, t);
    source(f, t, cr3);
    for (unsigned i = 0; i < t->n_steps; i++)
        step(f, &v, t, &t->steps[i], i + 1 == t->n_steps);
    outcome(f, t);
}

static void tlb_line(FILE *f, const char *name, const vmsim_tlb_stats_t *s)
{
    fprintf(f,
            "  %-5s lookups %" PRIu64 " hits %" PRIu64 " misses %" PRIu64 " evictions %" PRIu64
            " invalidations %" PRIu64 " flushes %" PRIu64 "\n",
            name, s->lookups, s->hits, s->misses, s->evictions, s->invalidations, s->flushes);
}

void explain_stats(FILE *f, const vmsim_machine_t *m)
{
    vmsim_stats_t s;
    if (vmsim_get_stats(m, VMSIM_BANK_PROGRAM, &s))
        return;
    fprintf(f, "statistics:\n");
    tlb_line(f, "dtlb", &s.dtlb);
    if (vmsim_get_config(m)->split_tlb)
        tlb_line(f, "itlb", &s.itlb);
    if (vmsim_get_config(m)->stlb.entries)
        tlb_line(f, "stlb", &s.stlb);
    if (s.psc.hits + s.psc.misses)
        tlb_line(f, "psc", &s.psc);
    fprintf(f,
            "  walks %" PRIu64 " (dirty-bit walks %" PRIu64 "), entries read %" PRIu64
            ", A/D write-backs %" PRIu64 "\n",
            s.walks, s.dirty_walks, s.walk_reads, s.ad_writes);
    fprintf(f,
            "  page faults %" PRIu64 " (not present %" PRIu64 ", protection %" PRIu64
            ", reserved bit %" PRIu64 "), bus errors %" PRIu64 "\n",
            s.faults, s.faults_not_present, s.faults_protection, s.faults_reserved, s.bus_errors);
    fprintf(f,
            "  CR3 loads %" PRIu64 ", INVLPG %" PRIu64 ", control-register flushes %" PRIu64 "\n",
            s.cr3_loads, s.invlpgs, s.cr_flushes);
    if (s.invpcids || s.gp_faults)
        fprintf(f, "  INVPCID %" PRIu64 ", #GP (non-canonical) %" PRIu64 "\n", s.invpcids,
                s.gp_faults);
}
