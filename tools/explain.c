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
 */
#include <inttypes.h>

#include "scenario.h"

static void flags(FILE *f, const vmsim_walk_step_t *s)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {{VMSIM_PTE_P, "P"},   {VMSIM_PTE_RW, "RW"}, {VMSIM_PTE_US, "US"},
                 {VMSIM_PTE_PWT, "PWT"}, {VMSIM_PTE_PCD, "PCD"}, {VMSIM_PTE_A, "A"},
                 {VMSIM_PTE_D, "D"},   {VMSIM_PTE_G, "G"},   {VMSIM_PTE_XD, "XD"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s->value & names[i].bit)
            fprintf(f, " %s", names[i].name);
    if (s->level == VMSIM_LEVEL_PDE && (s->value & VMSIM_PTE_PS))
        fprintf(f, " PS");
    else if (s->level == VMSIM_LEVEL_PTE && (s->value & VMSIM_PTE_PAT))
        fprintf(f, " PAT");
    if (!(s->value & VMSIM_PTE_RW))
        fprintf(f, " (read-only)");
    if (!(s->value & VMSIM_PTE_US) && s->level != VMSIM_LEVEL_PDPTE)
        fprintf(f, " (supervisor)");
}

static void split(FILE *f, const vmsim_translation_t *t)
{
    uint32_t va = t->vaddr;
    if (t->paging == VMSIM_PAGING_PAE)
        fprintf(f, "  linear 0x%08" PRIx32 " = PDPTE %u | PDE %u | PTE %u | offset 0x%x (PAE paging)\n",
                va, va >> 30, (va >> 21) & 0x1ff, (va >> 12) & 0x1ff, va & 0xfff);
    else
        fprintf(f, "  linear 0x%08" PRIx32 " = PDE %u | PTE %u | offset 0x%x (32-bit paging)\n", va,
                va >> 22, (va >> 12) & 0x3ff, va & 0xfff);
}

static void step(FILE *f, const vmsim_translation_t *t, const vmsim_walk_step_t *s, bool last)
{
    fprintf(f, "  %-5s [%u] at 0x%" PRIx64 " = 0x%" PRIx64 " ", vmsim_level_name(s->level), s->index,
            s->addr, s->value);
    flags(f, s);
    if (!(s->value & VMSIM_PTE_P))
        fprintf(f, "\n");
    else if (s->leaf)
        fprintf(f, " -> %s page\n", s->level == VMSIM_LEVEL_PTE ? "4 KiB" :
                t->paging == VMSIM_PAGING_PAE ? "2 MiB" : "4 MiB");
    else if (!last || t->outcome != VMSIM_OUTCOME_FAULT || t->fault.level != (int)s->level)
        fprintf(f, " -> next table\n");
    else
        fprintf(f, "\n");
    if (s->new_value != s->value)
        fprintf(f, "        %s%s set: 0x%" PRIx64 " -> 0x%" PRIx64 "\n",
                ((s->new_value ^ s->value) & VMSIM_PTE_A) ? "accessed " : "",
                ((s->new_value ^ s->value) & VMSIM_PTE_D) ? "dirty " : "", s->value, s->new_value);
}

static void outcome(FILE *f, const vmsim_translation_t *t)
{
    const char *tlb = t->tlb == VMSIM_ITLB ? "instruction TLB" : "data TLB";
    switch (t->outcome) {
    case VMSIM_OUTCOME_OK:
        fprintf(f, "  => ok 0x%" PRIx64 " (%u KiB page, rights:%s%s%s)%s%s\n", t->paddr, t->page_size / 1024,
                t->writable ? " write" : " read-only", t->user ? " user" : " supervisor",
                t->executable ? "" : " no-execute", t->cached ? ", cached in the " : "",
                t->cached ? tlb : "");
        break;
    case VMSIM_OUTCOME_BUS:
        fprintf(f, "  => !bus 0x%" PRIx64 ": that physical address is outside RAM; nothing is changed\n",
                t->bus_addr);
        break;
    default:
        fprintf(f, "  => #PF error code 0x%" PRIx32 " (P=%u W/R=%u U/S=%u RSVD=%u I/D=%u), CR2 = 0x%" PRIx32 "\n",
                t->fault.error_code, t->fault.error_code & 1, (t->fault.error_code >> 1) & 1,
                (t->fault.error_code >> 2) & 1, (t->fault.error_code >> 3) & 1,
                (t->fault.error_code >> 4) & 1, t->fault.cr2);
        fprintf(f, "     because: %s%s%s\n", vmsim_fault_reason_text(t->fault.reason),
                t->fault.level >= 0 ? " -- decided at the " : "",
                t->fault.level >= 0 ? vmsim_level_name((vmsim_level_t)t->fault.level) : "");
    }
}

void explain_translation(FILE *f, const vmsim_machine_t *m, const vmsim_translation_t *t)
{
    uint64_t cr3 = 0;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    if (t->paging == VMSIM_PAGING_OFF) {
        fprintf(f, "  paging is off (CR0.PG = 0): physical = linear = 0x%" PRIx32 "\n", t->vaddr);
        outcome(f, t);
        return;
    }
    split(f, t);
    const char *tlb = t->tlb == VMSIM_ITLB ? "instruction TLB" : t->tlb == VMSIM_DTLB ? "data TLB" : "";
    if (t->tlb < 0)
        fprintf(f, "  no TLB: walk from CR3 = 0x%" PRIx64 "\n", cr3);
    else if (t->tlb_hit && !t->walked)
        fprintf(f, "  %s hit: the cached translation is used, the tables are not read\n", tlb);
    else if (t->dirty_walk)
        fprintf(f, "  %s hit with D = 0 for a write: walk again to set the dirty bit\n", tlb);
    else if (t->tlb_hit)
        fprintf(f, "  %s hit, but the cached rights refuse this access: walk again\n", tlb);
    else
        fprintf(f, "  %s miss: walk from CR3 = 0x%" PRIx64 "\n", tlb, cr3);
    for (unsigned i = 0; i < t->n_steps; i++)
        step(f, t, &t->steps[i], i + 1 == t->n_steps);
    outcome(f, t);
}

static void tlb_line(FILE *f, const char *name, const vmsim_tlb_stats_t *s)
{
    fprintf(f, "  %-5s lookups %" PRIu64 " hits %" PRIu64 " misses %" PRIu64 " evictions %" PRIu64
            " invalidations %" PRIu64 " flushes %" PRIu64 "\n", name, s->lookups, s->hits, s->misses,
            s->evictions, s->invalidations, s->flushes);
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
    fprintf(f, "  walks %" PRIu64 " (dirty-bit walks %" PRIu64 "), entries read %" PRIu64
            ", A/D write-backs %" PRIu64 "\n", s.walks, s.dirty_walks, s.walk_reads, s.ad_writes);
    fprintf(f, "  page faults %" PRIu64 " (not present %" PRIu64 ", protection %" PRIu64
            ", reserved bit %" PRIu64 "), bus errors %" PRIu64 "\n", s.faults, s.faults_not_present,
            s.faults_protection, s.faults_reserved, s.bus_errors);
    fprintf(f, "  CR3 loads %" PRIu64 ", INVLPG %" PRIu64 ", control-register flushes %" PRIu64 "\n",
            s.cr3_loads, s.invlpgs, s.cr_flushes);
}
