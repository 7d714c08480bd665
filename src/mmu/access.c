/*
 * access.c - loads, stores and fetches through the MMU.
 *
 * An access of `size` bytes at linear `vaddr` is cut at the page
 * boundary into at most two pieces.  Each piece is translated (lowest
 * first): TLB lookup, and on a miss -- or a hit that cannot serve the
 * access (a write to an entry with D = 0, rights the entry refuses) -- a
 * page walk whose A/D bits are written back and whose result is cached.
 * Only when every piece has translated is data moved, so a faulting
 * write stores nothing.  A page fault goes to the kernel's handler, if
 * one is registered, and the access is retried once.
 *
 *     vmsim_read32() ----fast hit----> RAM            (~20 instructions)
 *          |
 *          +--> mmu_access --> translate_piece x1..2 --> move data
 *                    ^               |  tlb_find / mmu_walk / cache
 *                    +-- retry <-- fault handler
 *
 * The fast path (struct fast_entry, see tlb_internal.h) answers the
 * common case -- a 4 KiB TLB hit that needs no walk -- with the same
 * bookkeeping as the modelled TLB: the hit counter and the way's LRU
 * stamp or PLRU bits.
 */
#include "mmu_internal.h"

#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)

static void translation_init(const vmsim_machine_t *m, vmsim_translation_t *t, uint32_t vaddr,
                             vmsim_access_t access, vmsim_mode_t mode)
{
    t->vaddr = vaddr;
    t->access = access;
    t->mode = mode;
    t->paging = m->walk.fmt ? m->walk.fmt->paging : VMSIM_PAGING_OFF;
    t->tlb_hit = t->walked = t->dirty_walk = t->cached = false;
    t->n_steps = 0;
    t->writable = t->user = t->executable = true;
    t->outcome = VMSIM_OUTCOME_OK;
    t->paddr = t->bus_addr = 0;
    t->page_size = VMSIM_PAGE_SIZE;
    t->tlb = -1;
    memset(&t->fault, 0, sizeof t->fault);
}

static void commit_ad(vmsim_machine_t *m, const vmsim_translation_t *t)
{
    if (t->outcome == VMSIM_OUTCOME_BUS)
        return;
    for (unsigned i = 0; i < t->n_steps; i++) {
        const vmsim_walk_step_t *s = &t->steps[i];
        if (s->new_value != s->value) {
            ram_store(m, s->addr, s->new_value, s->width);
            m->st->ad_writes++;
        }
    }
}

static unsigned way_rights(const vmsim_machine_t *m, const vmsim_translation_t *t)
{
    const vmsim_walk_step_t *leaf = &t->steps[t->n_steps - 1];
    unsigned r = 0;
    if (t->writable)
        r |= TLB_W;
    if (t->user)
        r |= TLB_U;
    if (!t->executable)
        r |= TLB_XD;
    if (leaf->new_value & VMSIM_PTE_D)
        r |= TLB_D;
    if ((leaf->value & VMSIM_PTE_G) && (m->cr4 & VMSIM_CR4_PGE))
        r |= TLB_G;
    return r;
}

/* Offer a way that now serves (access, mode) at vaddr to the fast path. */
static void fast_fill(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w,
                      vmsim_access_t access, vmsim_mode_t mode, uint32_t vaddr)
{
    if (!m->fast_on || (w->key & 3) != TLB_SIZE_4K)
        return;
    /* SMAP depends on EFLAGS.AC, which changes without a flush. */
    if (mode == VMSIM_SUPERVISOR && access != VMSIM_FETCH && (w->rights & TLB_U) &&
        (m->cr4 & VMSIM_CR4_SMAP))
        return;
    unsigned kind = FAST_KIND(access, mode);
    struct fast_entry *e = &m->fast[kind][(vaddr >> 12) & FAST_MASK];
    e->tag = vaddr >> 12;
    e->delta = (uintptr_t)(m->ram + w->pbase) - (uintptr_t)(vaddr & ~0xfffu);
    e->way = w;
    e->tlb = tlb;
    w->fast_kinds |= (uint8_t)(1u << kind);
}

/* Put a successful walk into `tlb`; `hit` is the way the lookup found (a
 * dirty-bit or re-check walk), rewritten in place when the page is the
 * same size, else dropped. */
static struct tlb_way *cache(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *hit,
                             const vmsim_translation_t *t)
{
    unsigned shift = t->page_size == VMSIM_PAGE_SIZE ? 12 : m->walk.large_shift;
    uint64_t pbase = t->paddr & ~(uint64_t)(t->page_size - 1);
    unsigned rights = way_rights(m, t);
    if (hit && hit->key == tlb_key(t->vaddr, shift, hit->key & 3) && tlb_way_shift(hit) == shift) {
        tlb_drop_fast(tlb, hit);
        hit->pbase = pbase;
        hit->rights = (uint8_t)rights;
        return hit;
    }
    if (hit)
        tlb_invalidate_way(tlb, hit);
    return tlb_fill(tlb, t->vaddr, shift, pbase, rights);
}

static vmsim_status_t finish(vmsim_machine_t *m, const vmsim_translation_t *t, uint64_t *paddr,
                             vmsim_result_t *res)
{
    if (m->observer)
        m->observer(m->observer_user, t);
    switch (t->outcome) {
    case VMSIM_OUTCOME_OK: *paddr = t->paddr; return VMSIM_OK;
    case VMSIM_OUTCOME_BUS:
        m->st->bus_errors++;
        res->bus_addr = t->bus_addr;
        return VMSIM_ERR_BUS;
    default:
        m->st->faults++;
        if (t->fault.reason == VMSIM_WHY_NOT_PRESENT)
            m->st->faults_not_present++;
        else if (t->fault.reason == VMSIM_WHY_RESERVED)
            m->st->faults_reserved++;
        else
            m->st->faults_protection++;
        m->cr2 = t->fault.cr2;
        m->last_fault = t->fault;
        res->fault = t->fault;
        return VMSIM_ERR_PAGE_FAULT;
    }
}

/* Does the cached way serve this access without a walk? */
static bool way_serves(const vmsim_machine_t *m, const struct tlb_way *w, vmsim_access_t access,
                       vmsim_mode_t mode, bool *rights_ok)
{
    *rights_ok = mmu_check_rights(m, access, mode, w->rights & TLB_W, w->rights & TLB_U,
                                  w->rights & TLB_XD) == VMSIM_WHY_NONE;
    return *rights_ok && (access != VMSIM_WRITE || (w->rights & TLB_D));
}

static bool tlb_answer(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w,
                       vmsim_translation_t *t)
{
    bool rights_ok;
    t->tlb_hit = true;
    if (!way_serves(m, w, t->access, t->mode, &rights_ok)) {
        t->dirty_walk = rights_ok;
        return false;
    }
    unsigned shift = tlb_way_shift(w);
    t->page_size = 1u << shift;
    t->paddr = w->pbase + (t->vaddr & (t->page_size - 1));
    t->writable = w->rights & TLB_W;
    t->user = w->rights & TLB_U;
    t->executable = !(w->rights & TLB_XD);
    fast_fill(m, tlb, w, t->access, t->mode, t->vaddr);
    return true;
}

/* Translate [vaddr, vaddr + len), which lies within one page. */
static vmsim_status_t translate_piece(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                      uint32_t vaddr, unsigned len, uint64_t *paddr,
                                      vmsim_result_t *res)
{
    vmsim_translation_t t;
    translation_init(m, &t, vaddr, access, mode);
    if (!m->walk.fmt) { /* paging off: linear = physical */
        t.paddr = vaddr;
        if (!ram_contains(m, vaddr, len)) {
            t.outcome = VMSIM_OUTCOME_BUS;
            t.bus_addr = vaddr;
        }
        return finish(m, &t, paddr, res);
    }
    struct tlb *tlb = access == VMSIM_FETCH ? m->itlb : m->dtlb;
    struct tlb_way *w = NULL;
    if (tlb) {
        t.tlb = (access == VMSIM_FETCH && m->cfg.split_tlb) ? VMSIM_ITLB : VMSIM_DTLB;
        w = tlb_find(tlb, vaddr, m->walk.large_shift);
        if (!m->retrying)
            *(w ? &tlb->st->hits : &tlb->st->misses) += 1;
        if (w) {
            tlb_touch(tlb, w);
            if (tlb_answer(m, tlb, w, &t))
                return finish(m, &t, paddr, res);
        }
    }
    m->st->walks++;
    if (t.dirty_walk)
        m->st->dirty_walks++;
    m->st->walk_reads += mmu_walk(m, vaddr, access, mode, len, &t);
    commit_ad(m, &t);
    if (t.outcome == VMSIM_OUTCOME_OK && tlb) {
        struct tlb_way *nw = cache(m, tlb, w, &t);
        t.cached = true;
        fast_fill(m, tlb, nw, access, mode, vaddr);
    } else if (t.outcome == VMSIM_OUTCOME_FAULT) {
        mmu_invalidate_page(m, vaddr); /* a #PF invalidates the page's entries (SDM 4.10.4.1) */
    }
    return finish(m, &t, paddr, res);
}

enum move { MOVE_IN, MOVE_OUT, MOVE_FILL };

static void move_data(vmsim_machine_t *m, enum move how, void *buf, uint8_t byte, uint64_t paddr,
                      size_t len)
{
    if (how == MOVE_IN)
        memcpy(buf, m->ram + paddr, len);
    else if (how == MOVE_OUT)
        memcpy(m->ram + paddr, buf, len);
    else
        memset(m->ram + paddr, byte, len);
}

/* One attempt at an access of `size` <= 4096 bytes. */
static vmsim_status_t access_once(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                  uint32_t vaddr, void *buf, uint8_t byte, unsigned size,
                                  vmsim_result_t *res)
{
    unsigned len0 = VMSIM_PAGE_SIZE - (vaddr & 0xfff);
    uint64_t pa0, pa1 = 0;
    if (len0 > size)
        len0 = size;
    vmsim_status_t rc = translate_piece(m, access, mode, vaddr, len0, &pa0, res);
    if (rc == VMSIM_OK && len0 < size)
        rc = translate_piece(m, access, mode, vaddr + len0, size - len0, &pa1, res);
    if (rc)
        return rc;
    enum move how = access != VMSIM_WRITE ? MOVE_IN : buf ? MOVE_OUT : MOVE_FILL;
    if (buf || how == MOVE_FILL) {
        move_data(m, how, buf, byte, pa0, len0);
        if (len0 < size)
            move_data(m, how, (uint8_t *)buf + (buf ? len0 : 0), byte, pa1, size - len0);
    }
    res->paddr = pa0;
    return VMSIM_OK;
}

static vmsim_status_t mmu_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                 uint32_t vaddr, void *buf, uint8_t byte, unsigned size,
                                 vmsim_result_t *res)
{
    vmsim_status_t rc = access_once(m, access, mode, vaddr, buf, byte, size, res);
    if (rc == VMSIM_ERR_PAGE_FAULT && m->handler && !m->in_handler) {
        vmsim_fault_t fault = res->fault;
        m->in_handler = true;
        vmsim_fault_action_t action = m->handler(m, &fault, m->handler_user);
        m->in_handler = false;
        if (action == VMSIM_FAULT_RETRY) {
            m->st->faults_handled++;
            m->retrying = true;
            rc = access_once(m, access, mode, vaddr, buf, byte, size, res);
            m->retrying = false;
        }
    }
    res->status = rc;
    return rc;
}

vmsim_status_t vmsim_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                            uint32_t vaddr, void *buf, unsigned size, vmsim_result_t *res)
{
    vmsim_result_t local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!m)
        return res->status = VMSIM_ERR_NULL;
    if ((unsigned)access > VMSIM_FETCH || (unsigned)mode > VMSIM_USER ||
        (size != 1 && size != 2 && size != 4 && size != 8))
        return res->status = VMSIM_ERR_INVALID;
    return mmu_access(m, access, mode, vaddr, buf, 0, size, res);
}

static vmsim_status_t access_slow(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                  uint32_t vaddr, void *buf, unsigned size)
{
    vmsim_result_t res;
    if (!buf)
        return VMSIM_ERR_NULL;
    return vmsim_access(m, access, mode, vaddr, buf, size, &res);
}

static inline void fast_hit(const struct fast_entry *e)
{
    struct tlb *t = e->tlb;
    t->st->hits++;
    if (t->cfg.policy == VMSIM_TLB_LRU)
        e->way->stamp = ++t->clock;
    else if (t->cfg.policy == VMSIM_TLB_PLRU)
        tlb_touch(t, e->way);
}

#define DEFINE_LOAD(name, type, access)                                                        \
    vmsim_status_t name(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t vaddr, type *out)      \
    {                                                                                          \
        if (likely(m && out && (unsigned)mode <= VMSIM_USER)) {                                \
            const struct fast_entry *e =                                                       \
                &m->fast[FAST_KIND(access, mode)][(vaddr >> 12) & FAST_MASK];                  \
            if (likely(e->tag == vaddr >> 12 && (vaddr & 0xfff) <= 4096 - sizeof(type))) {     \
                memcpy(out, (const void *)(e->delta + vaddr), sizeof(type));                   \
                fast_hit(e);                                                                   \
                return VMSIM_OK;                                                               \
            }                                                                                  \
        }                                                                                      \
        return access_slow(m, access, mode, vaddr, out, sizeof(type));                         \
    }

#define DEFINE_STORE(name, type)                                                               \
    vmsim_status_t name(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t vaddr, type value)     \
    {                                                                                          \
        if (likely(m && (unsigned)mode <= VMSIM_USER)) {                                       \
            const struct fast_entry *e =                                                       \
                &m->fast[FAST_KIND(VMSIM_WRITE, mode)][(vaddr >> 12) & FAST_MASK];             \
            if (likely(e->tag == vaddr >> 12 && (vaddr & 0xfff) <= 4096 - sizeof(type))) {     \
                memcpy((void *)(e->delta + vaddr), &value, sizeof(type));                      \
                fast_hit(e);                                                                   \
                return VMSIM_OK;                                                               \
            }                                                                                  \
        }                                                                                      \
        return access_slow(m, VMSIM_WRITE, mode, vaddr, &value, sizeof(type));                 \
    }

DEFINE_LOAD(vmsim_read8, uint8_t, VMSIM_READ)
DEFINE_LOAD(vmsim_read16, uint16_t, VMSIM_READ)
DEFINE_LOAD(vmsim_read32, uint32_t, VMSIM_READ)
DEFINE_LOAD(vmsim_read64, uint64_t, VMSIM_READ)
DEFINE_LOAD(vmsim_fetch32, uint32_t, VMSIM_FETCH)
DEFINE_STORE(vmsim_write8, uint8_t)
DEFINE_STORE(vmsim_write16, uint16_t)
DEFINE_STORE(vmsim_write32, uint32_t)
DEFINE_STORE(vmsim_write64, uint64_t)

/* Page-by-page transfer of a byte range (see mmu.h). */
static vmsim_status_t range(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                            uint32_t vaddr, void *buf, uint8_t byte, size_t len, size_t *n_done)
{
    size_t done = 0;
    vmsim_status_t rc = VMSIM_OK;
    if (n_done)
        *n_done = 0;
    if (!m)
        return VMSIM_ERR_NULL;
    if (!buf && len && access != VMSIM_WRITE)
        return VMSIM_ERR_NULL;
    if ((unsigned)mode > VMSIM_USER || (len && (uint64_t)vaddr + len - 1 > 0xffffffffu))
        return VMSIM_ERR_INVALID;
    while (done < len && rc == VMSIM_OK) {
        uint32_t va = vaddr + (uint32_t)done;
        size_t chunk = VMSIM_PAGE_SIZE - (va & 0xfff);
        vmsim_result_t res;
        if (chunk > len - done)
            chunk = len - done;
        rc = mmu_access(m, access, mode, va, buf ? (uint8_t *)buf + done : NULL, byte,
                        (unsigned)chunk, &res);
        if (rc == VMSIM_OK)
            done += chunk;
    }
    if (n_done)
        *n_done = done;
    return rc;
}

vmsim_status_t vmsim_read_bytes(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t vaddr, void *buf,
                                size_t len, size_t *n_done)
{
    return range(m, VMSIM_READ, mode, vaddr, buf, 0, len, n_done);
}

vmsim_status_t vmsim_write_bytes(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t vaddr,
                                 const void *buf, size_t len, size_t *n_done)
{
    if (!buf && len) {
        if (n_done)
            *n_done = 0;
        return VMSIM_ERR_NULL;
    }
    return range(m, VMSIM_WRITE, mode, vaddr, (void *)(uintptr_t)buf, 0, len, n_done);
}

vmsim_status_t vmsim_fill_bytes(vmsim_machine_t *m, vmsim_mode_t mode, uint32_t vaddr,
                                uint8_t byte, size_t len, size_t *n_done)
{
    return range(m, VMSIM_WRITE, mode, vaddr, NULL, byte, len, n_done);
}

vmsim_status_t vmsim_translate(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                               uint32_t vaddr, vmsim_translation_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    if ((unsigned)access > VMSIM_FETCH || (unsigned)mode > VMSIM_USER)
        return VMSIM_ERR_INVALID;
    translation_init(m, out, vaddr, access, mode);
    if (!m->walk.fmt) {
        out->paddr = vaddr;
        if (!ram_contains(m, vaddr, 1)) {
            out->outcome = VMSIM_OUTCOME_BUS;
            out->bus_addr = vaddr;
        }
        return VMSIM_OK;
    }
    mmu_walk(m, vaddr, access, mode, 1, out);
    return VMSIM_OK;
}

vmsim_status_t vmsim_last_fault(const vmsim_machine_t *m, vmsim_fault_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    *out = m->last_fault;
    return VMSIM_OK;
}

vmsim_status_t vmsim_set_fault_handler(vmsim_machine_t *m, vmsim_fault_handler_fn handler, void *user)
{
    if (!m)
        return VMSIM_ERR_NULL;
    m->handler = handler;
    m->handler_user = user;
    return VMSIM_OK;
}

vmsim_status_t vmsim_set_translation_observer(vmsim_machine_t *m, vmsim_translation_observer_fn fn,
                                              void *user)
{
    if (!m)
        return VMSIM_ERR_NULL;
    m->observer = fn;
    m->observer_user = user;
    m->fast_on = m->cfg.fast_path && !fn;
    if (!m->fast_on)
        for (unsigned k = 0; k < FAST_KINDS; k++)
            for (unsigned i = 0; i < FAST_SLOTS; i++)
                m->fast[k][i].tag = FAST_NONE;
    return VMSIM_OK;
}
