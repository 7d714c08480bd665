/*
 * machine.c - creating and destroying machines, simulated RAM, the
 * bus/DMA port, statistics banks.
 *
 * RAM is one anonymous mapping of ram_size bytes made with MAP_NORESERVE:
 * the host kernel gives it pages only when they are first written, so
 * a 4 GiB machine starts in microseconds and costs what its programs
 * touch.  The bus port is the only way into RAM that does not go
 * through the MMU; it exists for loaders, swap I/O and debuggers.
 */
#include "mmu_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void vmsim_config_default(vmsim_config_t *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->ram_bytes = VMSIM_RAM_DEFAULT;
    cfg->maxphyaddr = 40;
    cfg->split_tlb = true;
    cfg->dtlb = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    cfg->itlb = vmsim_tlb_config(64, 4, VMSIM_TLB_LRU);
    cfg->fast_path = true;
    cfg->stlb = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    cfg->stlb_1g = vmsim_tlb_config(16, 4, VMSIM_TLB_LRU);
    cfg->psc_pml5e = cfg->psc_pml4e = cfg->psc_pdpte = cfg->psc_pde =
        vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
}

static vmsim_status_t check_config(const vmsim_config_t *c)
{
    if (c->ram_bytes < VMSIM_RAM_MIN || c->ram_bytes > VMSIM_RAM_MAX || c->ram_bytes % VMSIM_PAGE_SIZE)
        return VMSIM_ERR_INVALID;
    if (c->maxphyaddr < 32 || c->maxphyaddr > 52)
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = vmsim_tlb_config_check(&c->dtlb);
    if (rc == VMSIM_OK && c->split_tlb)
        rc = vmsim_tlb_config_check(&c->itlb);
    if (rc == VMSIM_OK)
        rc = vmsim_tlb_config_check(&c->stlb);
    if (rc == VMSIM_OK && c->stlb.entries)
        rc = vmsim_tlb_config_check(&c->stlb_1g);
    if (rc == VMSIM_OK)
        rc = psc_check_config(c);
    return rc;
}

static vmsim_status_t make_tlbs(vmsim_machine_t *m)
{
    const vmsim_config_t *c = &m->cfg;
    if (c->dtlb.entries) {
        m->dtlb = tlb_create(&c->dtlb, m->fast, &m->st->dtlb);
        if (!m->dtlb)
            return VMSIM_ERR_NOMEM;
    }
    if (!c->split_tlb) {
        m->itlb = m->dtlb;
    } else if (c->itlb.entries) {
        m->itlb = tlb_create(&c->itlb, m->fast, &m->st->itlb);
        if (!m->itlb)
            return VMSIM_ERR_NOMEM;
    }
    if (c->stlb.entries) { /* both arrays count into the STLB's counters */
        m->stlb = tlb_create(&c->stlb, m->fast, &m->st->stlb);
        if (!m->stlb)
            return VMSIM_ERR_NOMEM;
        if (c->stlb_1g.entries && !(m->stlb1g = tlb_create(&c->stlb_1g, m->fast, &m->st->stlb)))
            return VMSIM_ERR_NOMEM;
    }
    if (psc_create(m))
        return VMSIM_ERR_NOMEM;
    struct tlb *all[4] = {m->dtlb, m->itlb != m->dtlb ? m->itlb : NULL, m->stlb, m->stlb1g};
    for (unsigned i = 0; i < 4; i++)
        if (all[i])
            m->tlbs[m->n_tlbs++] = all[i];
    return VMSIM_OK;
}

vmsim_status_t vmsim_create(const vmsim_config_t *cfg, vmsim_machine_t **out)
{
    vmsim_config_t defaults;
    if (!out)
        return VMSIM_ERR_NULL;
    if (!cfg) {
        vmsim_config_default(&defaults);
        cfg = &defaults;
    }
    vmsim_status_t rc = check_config(cfg);
    if (rc)
        return rc;
    vmsim_machine_t *m = calloc(1, sizeof *m);
    if (!m)
        return VMSIM_ERR_NOMEM;
    m->cfg = *cfg;
    m->ram_size = cfg->ram_bytes;
    m->maxphyaddr = cfg->maxphyaddr;
    m->st = &m->stats[VMSIM_BANK_PROGRAM];
    m->fast_on = cfg->fast_path;
    mmu_clear_fast(m);
    void *ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) {
        free(m);
        return VMSIM_ERR_NOMEM;
    }
    m->ram = ram;
    rc = make_tlbs(m);
    if (rc) {
        vmsim_destroy(m);
        return rc;
    }
    mmu_update_mode(m);
    *out = m;
    return VMSIM_OK;
}

void vmsim_destroy(vmsim_machine_t *m)
{
    if (!m)
        return;
    if (m->itlb != m->dtlb)
        tlb_destroy(m->itlb);
    tlb_destroy(m->dtlb);
    tlb_destroy(m->stlb);
    tlb_destroy(m->stlb1g);
    psc_destroy(m);
    free(m->pcid_stats);
    if (m->ram)
        munmap(m->ram, m->ram_size);
    free(m);
}

const vmsim_config_t *vmsim_get_config(const vmsim_machine_t *m) { return m ? &m->cfg : NULL; }

uint64_t vmsim_ram_size(const vmsim_machine_t *m) { return m ? m->ram_size : 0; }

/* --- bus port --- */

static vmsim_status_t bus_check(const vmsim_machine_t *m, uint64_t paddr, const void *buf, size_t len)
{
    if (!m || (!buf && len))
        return VMSIM_ERR_NULL;
    return ram_contains(m, paddr, len) ? VMSIM_OK : VMSIM_ERR_BUS;
}

vmsim_status_t vmsim_bus_read(const vmsim_machine_t *m, uint64_t paddr, void *buf, size_t len)
{
    vmsim_status_t rc = bus_check(m, paddr, buf, len);
    if (rc == VMSIM_OK && len)
        memcpy(buf, m->ram + paddr, len);
    return rc;
}

vmsim_status_t vmsim_bus_write(vmsim_machine_t *m, uint64_t paddr, const void *buf, size_t len)
{
    vmsim_status_t rc = bus_check(m, paddr, buf, len);
    if (rc == VMSIM_OK && len)
        memcpy(m->ram + paddr, buf, len);
    return rc;
}

vmsim_status_t vmsim_bus_fill(vmsim_machine_t *m, uint64_t paddr, uint8_t byte, size_t len)
{
    vmsim_status_t rc = bus_check(m, paddr, "", 0);
    if (rc == VMSIM_OK && !ram_contains(m, paddr, len))
        rc = VMSIM_ERR_BUS;
    if (rc == VMSIM_OK && len)
        memset(m->ram + paddr, byte, len);
    return rc;
}

/* A word access: aligned to its width, else VMSIM_ERR_INVALID. */
static vmsim_status_t word_check(const vmsim_machine_t *m, uint64_t paddr, unsigned width)
{
    if (!m)
        return VMSIM_ERR_NULL;
    return (paddr & (width - 1)) ? VMSIM_ERR_INVALID : VMSIM_OK;
}

vmsim_status_t vmsim_bus_read32(const vmsim_machine_t *m, uint64_t paddr, uint32_t *out)
{
    vmsim_status_t rc = out ? word_check(m, paddr, 4) : VMSIM_ERR_NULL;
    return rc ? rc : vmsim_bus_read(m, paddr, out, 4);
}

vmsim_status_t vmsim_bus_write32(vmsim_machine_t *m, uint64_t paddr, uint32_t value)
{
    vmsim_status_t rc = word_check(m, paddr, 4);
    return rc ? rc : vmsim_bus_write(m, paddr, &value, 4);
}

vmsim_status_t vmsim_bus_read64(const vmsim_machine_t *m, uint64_t paddr, uint64_t *out)
{
    vmsim_status_t rc = out ? word_check(m, paddr, 8) : VMSIM_ERR_NULL;
    return rc ? rc : vmsim_bus_read(m, paddr, out, 8);
}

vmsim_status_t vmsim_bus_write64(vmsim_machine_t *m, uint64_t paddr, uint64_t value)
{
    vmsim_status_t rc = word_check(m, paddr, 8);
    return rc ? rc : vmsim_bus_write(m, paddr, &value, 8);
}

/* --- statistics --- */

static void finish_tlb_stats(vmsim_tlb_stats_t *s) { s->lookups = s->hits + s->misses; }

static void add_tlb_stats(vmsim_tlb_stats_t *to, const vmsim_tlb_stats_t *s)
{
    to->hits += s->hits;
    to->misses += s->misses;
    to->fills += s->fills;
    to->evictions += s->evictions;
    to->invalidations += s->invalidations;
    to->flushes += s->flushes;
}

/* Both STLB arrays count fills, evictions, invalidations and flushes in
 * one place; a flush of the machine flushes both, and is one flush. */

void mmu_point_stats(vmsim_machine_t *m)
{
    vmsim_tlb_stats_t *d = &m->st->dtlb, *i = &m->st->itlb, *s = &m->st->stlb;
    if ((m->cr4 & VMSIM_CR4_PCIDE) && m->pcid_stats) {
        struct pcid_stats *p = &m->pcid_stats[(size_t)m->bank * PCID_COUNT + m->pcid];
        d = &p->dtlb;
        i = &p->itlb;
        s = &p->stlb;
    }
    if (m->dtlb)
        m->dtlb->st = d;
    if (m->itlb && m->itlb != m->dtlb)
        m->itlb->st = i;
    if (m->stlb)
        m->stlb->st = s;
    if (m->stlb1g)
        m->stlb1g->st = s;
    for (unsigned k = 0; k < m->n_pscs; k++)
        m->pscs[k]->st = &m->st->psc;
}

vmsim_status_t vmsim_get_stats(const vmsim_machine_t *m, vmsim_bank_t bank, vmsim_stats_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    if ((unsigned)bank >= VMSIM_BANK_COUNT)
        return VMSIM_ERR_INVALID;
    *out = m->stats[bank];
    for (unsigned p = 0; m->pcid_stats && p <= m->pcid_max; p++) {
        add_tlb_stats(&out->dtlb, &m->pcid_stats[(size_t)bank * PCID_COUNT + p].dtlb);
        add_tlb_stats(&out->itlb, &m->pcid_stats[(size_t)bank * PCID_COUNT + p].itlb);
        add_tlb_stats(&out->stlb, &m->pcid_stats[(size_t)bank * PCID_COUNT + p].stlb);
    }
    finish_tlb_stats(&out->dtlb);
    finish_tlb_stats(&out->itlb);
    finish_tlb_stats(&out->stlb);
    return VMSIM_OK;
}

vmsim_status_t vmsim_reset_stats(vmsim_machine_t *m)
{
    if (!m)
        return VMSIM_ERR_NULL;
    memset(m->stats, 0, sizeof m->stats);
    if (m->pcid_stats)
        memset(m->pcid_stats, 0, (size_t)VMSIM_BANK_COUNT * PCID_COUNT * sizeof *m->pcid_stats);
    return VMSIM_OK;
}

vmsim_status_t vmsim_get_pcid_stats(const vmsim_machine_t *m, vmsim_bank_t bank, unsigned pcid,
                                    vmsim_tlb_stats_t *dtlb, vmsim_tlb_stats_t *itlb)
{
    if (!m || !dtlb || !itlb)
        return VMSIM_ERR_NULL;
    if ((unsigned)bank >= VMSIM_BANK_COUNT || pcid >= PCID_COUNT)
        return VMSIM_ERR_INVALID;
    memset(dtlb, 0, sizeof *dtlb);
    memset(itlb, 0, sizeof *itlb);
    if (pcid == 0) { /* what was counted while CR4.PCIDE = 0 is PCID 0's */
        *dtlb = m->stats[bank].dtlb;
        *itlb = m->stats[bank].itlb;
    }
    if (m->pcid_stats) {
        add_tlb_stats(dtlb, &m->pcid_stats[(size_t)bank * PCID_COUNT + pcid].dtlb);
        add_tlb_stats(itlb, &m->pcid_stats[(size_t)bank * PCID_COUNT + pcid].itlb);
    }
    finish_tlb_stats(dtlb);
    finish_tlb_stats(itlb);
    return VMSIM_OK;
}

vmsim_status_t vmsim_set_stats_bank(vmsim_machine_t *m, vmsim_bank_t bank, vmsim_bank_t *previous)
{
    if (!m)
        return VMSIM_ERR_NULL;
    if ((unsigned)bank >= VMSIM_BANK_COUNT)
        return VMSIM_ERR_INVALID;
    if (previous)
        *previous = m->bank;
    m->bank = bank;
    m->st = &m->stats[bank];
    mmu_point_stats(m);
    return VMSIM_OK;
}

/* --- TLB views --- */

static const struct tlb *pick_tlb(const vmsim_machine_t *m, vmsim_tlb_id_t id)
{
    switch (id) {
    case VMSIM_ITLB: return m->itlb;
    case VMSIM_STLB: return m->stlb;
    case VMSIM_STLB_1G: return m->stlb1g;
    default: return m->dtlb;
    }
}

uint32_t vmsim_tlb_size(const vmsim_machine_t *m, vmsim_tlb_id_t id)
{
    const struct tlb *t = m ? pick_tlb(m, id) : NULL;
    return t ? t->cfg.entries : 0;
}

vmsim_status_t vmsim_tlb_entry(const vmsim_machine_t *m, vmsim_tlb_id_t id, uint32_t index,
                               vmsim_tlb_entry_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    if ((unsigned)id > VMSIM_STLB_1G)
        return VMSIM_ERR_INVALID;
    const struct tlb *t = pick_tlb(m, id);
    if (!t || index >= t->cfg.entries)
        return VMSIM_ERR_INVALID;
    tlb_describe(t, index, out);
    return VMSIM_OK;
}

vmsim_status_t vmsim_tlb_flush_all(vmsim_machine_t *m)
{
    if (!m)
        return VMSIM_ERR_NULL;
    mmu_flush(m, false);
    return VMSIM_OK;
}
