/*
 * explain64.c - `vmsim run --explain` for IA-32e paging: how a 64-bit
 * linear address is cut, and what each entry of a 4-level or 5-level
 * walk said.
 *
 *   read sup 0xffffffff80001234 8
 *     linear 0xffffffff80001234 (4-level paging: 48-bit canonical, bits 63:47 equal)
 *       +------------+-----------+-----------+----------+----------+-------------+
 *       | sign 63:48 | PML4 47:39| PDPT 38:30| PD 29:21 | PT 20:12 | offset 11:0 |
 *       |     0xffff |       511 |       510 |        0 |        1 |       0x234 |
 *       +------------+-----------+-----------+----------+----------+-------------+
 *     data TLB miss: walk from CR3 = 0x10000 (PML4 table, PCID 0)
 *     PML4E [511] at 0x10ff8 = 0x14003  P RW (supervisor) -> PDPT 0x14000
 *           accessed set: 0x14003 -> 0x14023
 *     ...
 *
 * The picture stops at the level that maps the page: a 2 MiB page has a
 * 21-bit offset (no PT field), a 1 GiB page a 30-bit one.  Each entry
 * line names the bits that matter in IA-32e paging (XD only while
 * EFER.NXE makes bit 63 one, the protection key of a leaf while CR4.PKE
 * is set) and where the entry leads; a reserved-bit fault names the
 * reserved bits that are set and the rule that reserves them.
 */
#include <inttypes.h>
#include <string.h>

#include "explain.h"

struct field {
    const char *name;
    unsigned hi, lo;
};

/* The fields of the address down to the level of the leaf (or of the
 * last entry read, for a fault), then the offset. */
static unsigned fields_of(const vmsim_translation_t *t, struct field out[7])
{
    static const struct field levels[] = {
        {"PML5", 56, 48}, {"PML4", 47, 39}, {"PDPT", 38, 30}, {"PD", 29, 21}, {"PT", 20, 12}};
    bool five = t->paging == VMSIM_PAGING_5LEVEL;
    unsigned n = 0, first = five ? 0 : 1, last = 4; /* index into levels[] */
    if (t->n_steps && t->steps[t->n_steps - 1].leaf) {
        vmsim_level_t l = t->steps[t->n_steps - 1].level;
        last = l == VMSIM_LEVEL_PDPTE ? 2 : l == VMSIM_LEVEL_PDE ? 3 : 4;
    } else if (t->outcome == VMSIM_OUTCOME_OK && t->page_size > VMSIM_PAGE_SIZE) {
        last = t->page_size == (1u << 30) ? 2 : 3; /* a TLB hit on a large page */
    }
    out[n++] = (struct field){"sign", 63, five ? 57 : 48};
    for (unsigned i = first; i <= last; i++)
        out[n++] = levels[i];
    out[n++] = (struct field){"offset", levels[last].lo - 1, 0};
    return n;
}

static void field_value(char *buf, size_t size, const struct field *fl, vmsim_vaddr_t va)
{
    uint64_t v = (va & explain_bits(fl->hi, fl->lo)) >> fl->lo;
    bool hex = !strcmp(fl->name, "sign") || !strcmp(fl->name, "offset");
    snprintf(buf, size, hex ? "0x%" PRIx64 : "%" PRIu64, v);
}

static void rule(FILE *f, const unsigned *width, unsigned n)
{
    fprintf(f, "    +");
    for (unsigned i = 0; i < n; i++) {
        for (unsigned k = 0; k < width[i] + 2; k++)
            fputc('-', f);
        fputc('+', f);
    }
    fputc('\n', f);
}

void explain64_split(FILE *f, const vmsim_translation_t *t)
{
    struct field fl[7];
    char label[7][24], value[7][24];
    unsigned width[7], n = fields_of(t, fl);
    bool five = t->paging == VMSIM_PAGING_5LEVEL;
    fprintf(f, "  linear 0x%" PRIx64 " (%s paging: %u-bit canonical, bits 63:%u equal)\n", t->vaddr,
            five ? "5-level" : "4-level", five ? 57 : 48, five ? 56 : 47);
    for (unsigned i = 0; i < n; i++) {
        snprintf(label[i], sizeof label[i], "%s %u:%u", fl[i].name, fl[i].hi, fl[i].lo);
        field_value(value[i], sizeof value[i], &fl[i], t->vaddr);
        size_t a = strlen(label[i]), b = strlen(value[i]);
        width[i] = (unsigned)(a > b ? a : b);
    }
    rule(f, width, n);
    fprintf(f, "    |");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, " %-*s |", (int)width[i], label[i]);
    fprintf(f, "\n    |");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, " %*s |", (int)width[i], value[i]);
    fputc('\n', f);
    rule(f, width, n);
}

/* --- one entry ------------------------------------------------------------ */

struct regs64 {
    bool nxe, pke;
    unsigned maxphyaddr;
};

static struct regs64 regs_of(const vmsim_machine_t *m)
{
    uint64_t efer = 0, cr4 = 0;
    vmsim_read_reg(m, VMSIM_REG_EFER, &efer);
    vmsim_read_reg(m, VMSIM_REG_CR4, &cr4);
    struct regs64 r = {(efer & VMSIM_EFER_NXE) != 0, (cr4 & VMSIM_CR4_PKE) != 0,
                       vmsim_get_config(m)->maxphyaddr};
    return r;
}

static bool maps_page(const vmsim_walk_step_t *s)
{
    return s->level == VMSIM_LEVEL_PTE ||
           ((s->level == VMSIM_LEVEL_PDE || s->level == VMSIM_LEVEL_PDPTE) &&
            (s->value & VMSIM_PTE_PS));
}

static void flags64(FILE *f, const struct regs64 *r, const vmsim_walk_step_t *s)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {{VMSIM_PTE_P, "P"},     {VMSIM_PTE_RW, "RW"},   {VMSIM_PTE_US, "US"},
                 {VMSIM_PTE_PWT, "PWT"}, {VMSIM_PTE_PCD, "PCD"}, {VMSIM_PTE_A, "A"}};
    if (!(s->value & VMSIM_PTE_P)) {
        fprintf(f, " not present");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s->value & names[i].bit)
            fprintf(f, " %s", names[i].name);
    if (maps_page(s) && (s->value & VMSIM_PTE_D))
        fprintf(f, " D");
    if (maps_page(s) && (s->value & VMSIM_PTE_G))
        fprintf(f, " G");
    if (s->value & VMSIM_PTE_PS)
        fprintf(f, s->level == VMSIM_LEVEL_PTE ? " PAT" : " PS");
    if (s->value & VMSIM_PTE_XD)
        fprintf(f, r->nxe ? " XD" : " bit63");
    if (maps_page(s) && r->pke)
        fprintf(f, " key %u", (unsigned)(s->value >> VMSIM_PTE_PKEY_SHIFT) & 0xf);
    if (!(s->value & VMSIM_PTE_RW))
        fprintf(f, " (read-only)");
    if (!(s->value & VMSIM_PTE_US))
        fprintf(f, " (supervisor)");
}

static const char *next_table(vmsim_level_t level)
{
    switch (level) {
    case VMSIM_LEVEL_PML5E: return "PML4";
    case VMSIM_LEVEL_PML4E: return "PDPT";
    case VMSIM_LEVEL_PDPTE: return "page directory";
    default: return "page table";
    }
}

static void target64(FILE *f, const struct regs64 *r, const vmsim_walk_step_t *s)
{
    uint64_t addr = s->value & explain_bits(r->maxphyaddr - 1, 12);
    if (!s->leaf)
        fprintf(f, " -> %s 0x%" PRIx64 "\n", next_table(s->level), addr);
    else if (s->level == VMSIM_LEVEL_PDPTE)
        fprintf(f, " -> 1 GiB page 0x%" PRIx64 "\n", addr & ~explain_bits(29, 0));
    else if (s->level == VMSIM_LEVEL_PDE)
        fprintf(f, " -> 2 MiB page 0x%" PRIx64 "\n", addr & ~explain_bits(20, 0));
    else
        fprintf(f, " -> 4 KiB page 0x%" PRIx64 "\n", addr);
}

/* Name each class of reserved bit that is set (SDM 4.5, tables 4-15..4-20). */
static void reserved64(FILE *f, const struct regs64 *r, const vmsim_walk_step_t *s)
{
    unsigned m = r->maxphyaddr;
    uint64_t v = s->value;
    bool upper = s->level == VMSIM_LEVEL_PML4E || s->level == VMSIM_LEVEL_PML5E;
    bool large =
        (s->level == VMSIM_LEVEL_PDPTE || s->level == VMSIM_LEVEL_PDE) && (v & VMSIM_PTE_PS);
    unsigned large_hi = s->level == VMSIM_LEVEL_PDPTE ? 29 : 20;
    fprintf(f, "        reserved bits set:");
    if (v & explain_bits(51, m))
        fprintf(f, " bits 51:%u (beyond MAXPHYADDR %u);", m, m);
    if ((v & VMSIM_PTE_XD) && !r->nxe)
        fprintf(f, " bit 63 (XD is a reserved bit while EFER.NXE = 0);");
    if (upper && (v & VMSIM_PTE_PS))
        fprintf(f, " bit 7 (PS is reserved in a %s);",
                s->level == VMSIM_LEVEL_PML4E ? "PML4E" : "PML5E");
    if (large && (v & explain_bits(large_hi, 13)))
        fprintf(f, " bits %u:13 (reserved in a %s page entry);", large_hi,
                s->level == VMSIM_LEVEL_PDPTE ? "1 GiB" : "2 MiB");
    fprintf(f, " (bits 62:52 are ignored, not reserved)\n");
}

void explain64_step(FILE *f, const vmsim_machine_t *m, const vmsim_translation_t *t,
                    const vmsim_walk_step_t *s, bool last)
{
    struct regs64 r = regs_of(m);
    fprintf(f, "  %-5s [%u] at 0x%" PRIx64 " = 0x%" PRIx64 " ", vmsim_level_name(s->level),
            s->index, s->addr, s->value);
    flags64(f, &r, s);
    bool decided_here =
        last && t->outcome == VMSIM_OUTCOME_FAULT && t->fault.level == (int)s->level;
    if (!(s->value & VMSIM_PTE_P) || (decided_here && !s->leaf))
        fprintf(f, "\n");
    else
        target64(f, &r, s);
    if (decided_here && t->fault.reason == VMSIM_WHY_RESERVED)
        reserved64(f, &r, s);
    explain_ad_line(f, s);
}
