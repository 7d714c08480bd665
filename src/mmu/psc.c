/*
 * psc.c - paging-structure caches (Intel SDM Vol. 3A, 4.10.3).
 *
 * Besides translations, a processor may cache the upper entries of a
 * walk: for each non-leaf level (PML5E, PML4E, PDPTE, PDE; in 32-bit and
 * PAE paging only the PDE) a small cache maps the linear-address bits
 * that select the entry to the physical address of the table it points
 * to, with the rights of every level down to it combined:
 *
 *   PDE cache    (PCID, vaddr bits 56:21) -> page table,   R/W, U/S, XD
 *   PDPTE cache  (PCID, vaddr bits 56:30) -> page directory ...
 *   PML4E cache  (PCID, vaddr bits 56:39) -> PDPT ...
 *   PML5E cache  (PCID, vaddr bits 56:48) -> PML4 ...
 *
 * A walk (a TLB miss) starts below the deepest entry that hits, and reads
 * only the entries under it: walk_reads counts what was really read.
 * Each cache is a struct tlb (set-associative, the replacement rules of
 * the TLBs) keyed like a TLB entry whose "page" is the area one entry
 * covers; entries are never global.
 *
 * What fills them: a walk that ends with a translation caches every
 * table entry it used.  What empties them (SDM 4.10.4.1) -- coarser than
 * the TLB, as the SDM allows:
 *   INVLPG, INVPCID type 0 or 1, a page fault   every entry of the PCID
 *   a CR3 load                                  the new PCID's entries,
 *                                               none with bit 63 set
 *   INVPCID type 2 or 3, CR0/CR4 flushes        every entry
 * So a kernel that changes a PDE and forgets the INVLPG keeps walking
 * from the stale page table the PDE cache remembers.
 */
#include "mmu_internal.h"

static const vmsim_level_t cached_levels[] = {VMSIM_LEVEL_PML5E, VMSIM_LEVEL_PML4E,
                                              VMSIM_LEVEL_PDPTE, VMSIM_LEVEL_PDE};

static const vmsim_tlb_config_t *psc_config(const vmsim_config_t *c, vmsim_level_t level)
{
    switch (level) {
    case VMSIM_LEVEL_PML5E: return &c->psc_pml5e;
    case VMSIM_LEVEL_PML4E: return &c->psc_pml4e;
    case VMSIM_LEVEL_PDPTE: return &c->psc_pdpte;
    default: return &c->psc_pde;
    }
}

vmsim_status_t psc_check_config(const vmsim_config_t *c)
{
    for (unsigned i = 0; i < 4; i++) {
        vmsim_status_t rc = vmsim_tlb_config_check(psc_config(c, cached_levels[i]));
        if (rc)
            return rc;
    }
    return VMSIM_OK;
}

vmsim_status_t psc_create(vmsim_machine_t *m)
{
    for (unsigned i = 0; i < 4; i++) {
        const vmsim_tlb_config_t *cfg = psc_config(&m->cfg, cached_levels[i]);
        if (!cfg->entries)
            continue;
        struct tlb *t = tlb_create(cfg, m->fast, &m->st->psc);
        if (!t)
            return VMSIM_ERR_NOMEM;
        m->psc[cached_levels[i]] = t;
        m->pscs[m->n_pscs++] = t;
    }
    return VMSIM_OK;
}

void psc_destroy(vmsim_machine_t *m)
{
    for (unsigned i = 0; i < m->n_pscs; i++)
        tlb_destroy(m->pscs[i]);
}

static uint64_t psc_key(const struct tlb *t, vmsim_vaddr_t vaddr, unsigned shift)
{
    unsigned code = shift == 21 ? TLB_SIZE_2M : shift == 22 ? TLB_SIZE_4M : TLB_SIZE_1G;
    return tlb_vpn(vaddr, shift) << TLB_VPN_SHIFT | t->tag | code;
}

struct tlb_way *psc_probe(const vmsim_machine_t *m, vmsim_vaddr_t vaddr, struct walk_start *start,
                          struct tlb **owner)
{
    const struct walk_masks *wm = &m->walk;
    for (unsigned i = wm->n_levels - 1; i-- > 0;) { /* the deepest table entry first */
        struct tlb *t = m->psc[wm->lv[i].level];
        if (!t)
            continue;
        unsigned shift = wm->lv[i].shift;
        struct tlb_way *w = tlb_probe(t, psc_key(t, vaddr, shift), tlb_vpn(vaddr, shift));
        if (w) {
            start->level = i + 1;
            start->table = w->pbase;
            start->rights = w->rights;
            *owner = t;
            return w;
        }
    }
    return NULL;
}

void psc_count(vmsim_machine_t *m, struct tlb_way *w, struct tlb *owner)
{
    if (w) {
        tlb_touch(owner, w);
        m->st->psc.hits++;
    } else {
        m->st->psc.misses++;
    }
}

bool psc_lookup(vmsim_machine_t *m, vmsim_vaddr_t vaddr, struct walk_start *start)
{
    struct tlb *owner = NULL;
    struct tlb_way *w = psc_probe(m, vaddr, start, &owner);
    psc_count(m, w, owner);
    return w != NULL;
}

void psc_fill(vmsim_machine_t *m, const vmsim_translation_t *t, const struct walk_start *start)
{
    uint64_t entries[VMSIM_MAX_WALK_STEPS];
    unsigned n = 0, s = !start && m->walk.has_pdpte ? 1 : 0; /* PAE: steps[0] is a register */
    for (; s < t->n_steps && !t->steps[s].leaf; s++)
        entries[n++] = t->steps[s].value;
    psc_fill_entries(m, t->vaddr, entries, start ? start->level : 0, n,
                     start ? start->rights : TLB_W | TLB_U);
}

void psc_fill_entries(vmsim_machine_t *m, vmsim_vaddr_t vaddr, const uint64_t *entries,
                      unsigned first, unsigned n, unsigned rights)
{
    const struct walk_masks *wm = &m->walk;
    for (unsigned k = 0, i = first; k < n; k++, i++) {
        uint64_t e = entries[k];
        rights = walk_rights(rights, e, wm->xd_bit);
        struct tlb *c = m->psc[wm->lv[i].level];
        if (!c)
            continue;
        unsigned shift = wm->lv[i].shift;
        uint64_t key = psc_key(c, vaddr, shift);
        struct tlb_way *w = tlb_probe(c, key, tlb_vpn(vaddr, shift));
        if (w) { /* the same area: the entry now says this */
            w->pbase = e & wm->table_addr;
            w->rights = (uint8_t)rights;
        } else {
            tlb_fill(c, vaddr, shift, e & wm->table_addr, rights, 0);
        }
    }
}

void psc_flush(vmsim_machine_t *m, bool one_pcid, uint64_t tag)
{
    for (unsigned i = 0; i < m->n_pscs; i++) {
        if (one_pcid)
            tlb_flush_pcid(m->pscs[i], tag);
        else
            tlb_flush(m->pscs[i], false);
    }
}
