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
 * one is registered, and the access is restarted -- at most once per page
 * it touches, as an x86 instruction restarts after each handled fault.
 *
 *   vmsim_read32() --fast hit--> RAM                   (~30 instructions)
 *        |                                              fast.c
 *        +--> typed_slow --quick route--> RAM          (hit or plain miss)
 *                  |
 *                  +--> mmu_access --> piece_translate x1..2 --> commit
 *                           ^           | L1 / STLB / PSC / mmu_walk --> move data
 *                           +-- retry <-- fault handler
 *
 * Only the general route (mmu_access) builds a vmsim_translation_t, calls
 * the observer and handles faults, bus errors, A/D write-back, large
 * pages and page-crossing accesses.  In front of it, and only while
 * config.fast_path is on and no observer is installed, two shortcuts
 * serve the typed accessors (vmsim_read32() and friends) with exactly
 * the same effects -- results, RAM, statistics, replacement state:
 *
 *   the fast cache (struct fast_entry, see tlb_internal.h) answers a
 *   TLB hit that needs no walk, 4 KiB at a time: a tag compare, the load
 *   or store, the hit counter and `used = ++clock`, no function call;
 *
 *   the quick route answers what the fast cache missed when nothing
 *   unusual happens: a modelled hit that serves the access, or a miss
 *   whose walk (two, four or five levels, through the same walk_step()
 *   as the general walker) finds present entries with A (and for a
 *   write D) already set, a 4 KiB page and rights that allow the
 *   access.  Anything else returns having changed nothing and the
 *   general route does it all.
 *
 * With config.fast_path = false every access takes the general route:
 * that is the reference the shortcuts are checked against
 * (bench/bench_mmu --verify, tests/test_differential.c).  This file is the
 * general route; fast.c holds the fast cache and the quick route.
 */
#include "fast.h"

#include <string.h>


static void translation_init(const vmsim_machine_t *m, vmsim_translation_t *t, vmsim_vaddr_t vaddr,
                             vmsim_access_t access, vmsim_mode_t mode)
{
    t->vaddr = vaddr;
    t->access = access;
    t->mode = mode;
    t->paging = m->walk.fmt ? m->walk.fmt->paging : VMSIM_PAGING_OFF;
    t->tlb_hit = t->walked = t->dirty_walk = t->cached = t->stlb_hit = false;
    t->n_steps = 0;
    t->writable = t->user = t->executable = true;
    t->outcome = VMSIM_OUTCOME_OK;
    t->paddr = t->bus_addr = 0;
    t->page_size = VMSIM_PAGE_SIZE;
    t->pkey = 0;
    t->pcid = m->pcid;
    t->tlb = -1;
    memset(&t->fault, 0, sizeof t->fault);
}

/* Write back the A/D bits a walk set.  An entry that already holds the
 * new value (set by the other piece of a page-crossing access, which
 * shares upper levels) is not written again. */
static void commit_ad(vmsim_machine_t *m, const vmsim_translation_t *t)
{
    for (unsigned i = 0; i < t->n_steps; i++) {
        const vmsim_walk_step_t *s = &t->steps[i];
        if (s->new_value != s->value && ram_load(m, s->addr, s->width) != s->new_value) {
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

/* Put a successful walk into `tlb`; `hit` is the way the lookup found (a
 * dirty-bit or re-check walk), rewritten in place when it is the current
 * PCID's way for a page of the same size, else dropped. */
static struct tlb_way *cache(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *hit,
                             const vmsim_translation_t *t)
{
    unsigned shift = (unsigned)__builtin_ctz(t->page_size);
    uint64_t pbase = t->paddr & ~(uint64_t)(t->page_size - 1);
    unsigned rights = way_rights(m, t);
    if (hit &&
        hit->key == tlb_key(t->vaddr, shift, (unsigned)(hit->key & TLB_CODE_MASK), tlb->tag) &&
        tlb_way_shift(hit) == shift && !((hit->rights ^ rights) & TLB_G)) {
        tlb_drop_fast(tlb, hit);
        hit->pbase = pbase;
        hit->rights = (uint8_t)rights;
        hit->pkey = (uint8_t)t->pkey;
        return hit;
    }
    if (hit)
        tlb_invalidate_way(tlb, hit);
    return tlb_fill(tlb, t->vaddr, shift, pbase, rights, t->pkey);
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

/* A way that serves the access answers it; a large page may reach past
 * the end of RAM (the walk that cached it checked only its own bytes),
 * and such a hit is a bus error like the walk's.  False when it cannot
 * serve: a write to a D = 0 entry (t->dirty_walk), or rights it refuses. */
static bool way_answer(vmsim_machine_t *m, struct tlb_way *w, vmsim_translation_t *t,
                       unsigned len)
{
    bool rights_ok;
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
    t->pkey = w->pkey;
    if (!ram_contains(m, t->paddr, len)) {
        t->outcome = VMSIM_OUTCOME_BUS;
        t->bus_addr = t->paddr;
    }
    return true;
}

/* An L1 hit: the way answers, and gets a fast-cache shortcut. */
static bool tlb_answer(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w,
                       vmsim_translation_t *t, unsigned len)
{
    t->tlb_hit = true;
    if (!way_answer(m, w, t, len))
        return false;
    if (t->outcome == VMSIM_OUTCOME_OK)
        fast_fill(m, tlb, w, t->access, t->mode, t->vaddr);
    return true;
}

/* One page piece of an access: its translation, and the TLB and way its
 * lookup found, kept until the piece's effects are committed. */
struct piece {
    vmsim_translation_t t;
    struct tlb *tlb;
    struct tlb_way *hit;
    bool from_psc;            /* the walk started below a cached table entry: */
    struct walk_start start;
    bool from_stlb;           /* the STLB answered an L1 miss with... */
    struct tlb_way stlb_copy; /* ...this translation (a copy: the way may be refilled) */
};

/* An L1 miss looks in the second-level TLB (its 4 KiB / 2 MiB / 4 MiB
 * array, then its 1 GiB array), counted once there.  True when its way
 * answers; the L1 fill follows at commit. */
static bool stlb_answer(vmsim_machine_t *m, struct piece *p, unsigned len, bool count_lookup)
{
    struct tlb *owner = m->stlb;
    struct tlb_way *w = tlb_find(owner, p->t.vaddr);
    if (!w && m->stlb1g) {
        owner = m->stlb1g;
        w = tlb_find(owner, p->t.vaddr);
    }
    if (count_lookup)
        *(w ? &m->stlb->st->hits : &m->stlb->st->misses) += 1;
    if (!w)
        return false;
    tlb_touch(owner, w);
    p->t.stlb_hit = true;
    if (!way_answer(m, w, &p->t, len))
        return false;
    p->from_stlb = true;
    p->stlb_copy = *w;
    return true;
}

/* Translate [vaddr, vaddr + len), which lies within one page: TLB lookup,
 * and a walk unless a hit answers -- without writing A/D bits or filling
 * the TLB yet (piece_commit does).  The lookup is counted only when
 * count_lookup: a restarted access does not look up again a page it
 * already looked up (docs/tlb-counting.md). */
static void piece_translate(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                            vmsim_vaddr_t vaddr, unsigned len, bool count_lookup, struct piece *p)
{
    vmsim_translation_t *t = &p->t;
    translation_init(m, t, vaddr, access, mode);
    p->hit = NULL;
    p->from_stlb = p->from_psc = false;
    p->tlb = NULL;
    if (!m->walk.fmt) { /* paging off: linear = physical */
        t->paddr = vaddr;
        if (!ram_contains(m, vaddr, len)) {
            t->outcome = VMSIM_OUTCOME_BUS;
            t->bus_addr = vaddr;
        }
        return;
    }
    struct tlb *tlb = access == VMSIM_FETCH ? m->itlb : m->dtlb;
    if (tlb) {
        p->tlb = tlb;
        t->tlb = (access == VMSIM_FETCH && m->cfg.split_tlb) ? VMSIM_ITLB : VMSIM_DTLB;
        p->hit = tlb_find(tlb, vaddr);
        if (count_lookup)
            *(p->hit ? &tlb->st->hits : &tlb->st->misses) += 1;
        if (p->hit) {
            tlb_touch(tlb, p->hit);
            if (tlb_answer(m, tlb, p->hit, t, len))
                return;
        }
    }
    if (m->stlb && !p->hit && stlb_answer(m, p, len, count_lookup))
        return;
    m->st->walks++;
    if (t->dirty_walk)
        m->st->dirty_walks++;
    p->from_psc = m->n_pscs && psc_lookup(m, vaddr, &p->start);
    m->st->walk_reads += mmu_walk(m, vaddr, access, mode, len, t, p->from_psc ? &p->start : NULL);
}

/* An STLB hit fills the L1 TLB with the STLB's translation (unless
 * another piece of the access has just put the same page there). */
static void fill_from_stlb(vmsim_machine_t *m, struct piece *p, bool relook)
{
    const struct tlb_way *s = &p->stlb_copy;
    if (!p->tlb || (relook && tlb_find(p->tlb, p->t.vaddr)))
        return;
    struct tlb_way *w = tlb_fill(p->tlb, p->t.vaddr, tlb_way_shift(s), s->pbase, s->rights, s->pkey);
    p->t.cached = true;
    fast_fill(m, p->tlb, w, p->t.access, p->t.mode, p->t.vaddr);
}

/* A walk that will not be committed: show it as writing nothing. */
static void piece_drop(struct piece *p)
{
    for (unsigned i = 0; i < p->t.n_steps; i++)
        p->t.steps[i].new_value = p->t.steps[i].value;
}

/* The effects of a walked piece: A/D write-back, the TLB fill (or, after
 * a fault, dropping the page's entries: SDM 4.10.4.1).  `relook` asks
 * for the way to be looked up again, because another piece changed the
 * TLB since this one's lookup. */
static void piece_commit(vmsim_machine_t *m, struct piece *p, bool relook)
{
    vmsim_translation_t *t = &p->t;
    if (p->from_stlb && t->outcome == VMSIM_OUTCOME_OK) {
        fill_from_stlb(m, p, relook);
        return;
    }
    if (!t->walked)
        return;
    if (t->outcome == VMSIM_OUTCOME_BUS) {
        piece_drop(p); /* a bus error changes nothing */
        return;
    }
    commit_ad(m, t);
    if (t->outcome == VMSIM_OUTCOME_OK && p->tlb) {
        struct tlb_way *hit = relook ? tlb_find(p->tlb, t->vaddr) : p->hit;
        struct tlb_way *nw = cache(m, p->tlb, hit, t);
        t->cached = true;
        fast_fill(m, p->tlb, nw, t->access, t->mode, t->vaddr);
    }
    if (t->outcome == VMSIM_OUTCOME_OK && m->n_pscs)
        psc_fill(m, t, p->from_psc ? &p->start : NULL);
    if (t->outcome == VMSIM_OUTCOME_OK && m->stlb) { /* the STLB is filled by walks too */
        struct tlb *s = t->page_size == (1u << 30) ? m->stlb1g : m->stlb;
        if (s)
            cache(m, s, tlb_find(s, t->vaddr), t);
    } else if (t->outcome == VMSIM_OUTCOME_FAULT) {
        mmu_invalidate_page(m, t->vaddr);
    }
}

/* The piece's data lies outside RAM (its walk itself stayed inside). */
static bool data_bus(const vmsim_translation_t *t)
{
    return t->outcome == VMSIM_OUTCOME_BUS && t->bus_addr == t->paddr;
}

/* Both pieces of a page-crossing access, lowest first.  A fault on the
 * second is reported, and the first page's walk keeps its A/D bits --
 * also when the first page's data lies outside RAM (QEMU's order: both
 * pages are translated before memory is touched); otherwise a bus error
 * on either changes nothing at all. */
static vmsim_status_t translate_both(vmsim_machine_t *m, struct piece *p0, struct piece *p1,
                                     uint64_t pa[2], vmsim_result_t *res)
{
    if (p1->t.outcome == VMSIM_OUTCOME_FAULT) {
        if (p0->t.outcome == VMSIM_OUTCOME_OK) {
            piece_commit(m, p0, false);
            finish(m, &p0->t, &pa[0], res);
        } else { /* its data outside RAM: the walk's A/D bits only */
            commit_ad(m, &p0->t);
            if (m->observer)
                m->observer(m->observer_user, &p0->t);
        }
        piece_commit(m, p1, true);
        return finish(m, &p1->t, &pa[1], res);
    }
    if (p0->t.outcome == VMSIM_OUTCOME_BUS || p1->t.outcome == VMSIM_OUTCOME_BUS) {
        piece_drop(p0);
        piece_drop(p1);
        vmsim_status_t rc = finish(m, &p0->t, &pa[0], res);
        return rc ? rc : finish(m, &p1->t, &pa[1], res);
    }
    piece_commit(m, p0, false);
    piece_commit(m, p1, true);
    finish(m, &p0->t, &pa[0], res);
    return finish(m, &p1->t, &pa[1], res);
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

/* One attempt at an access of `size` <= 4096 bytes.  *looked_up has bit
 * i set once page piece i has been looked up in the TLB by an earlier
 * attempt of the same access. */
static vmsim_status_t access_once(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                  vmsim_vaddr_t vaddr, void *buf, uint8_t byte, unsigned size,
                                  vmsim_result_t *res, unsigned *looked_up)
{
    unsigned len0 = VMSIM_PAGE_SIZE - (unsigned)(vaddr & 0xfff);
    /* the second page: outside IA-32e mode a linear address wraps at 4 GiB */
    vmsim_vaddr_t vaddr1 = m->walk.long_mode ? vaddr + len0 : (uint32_t)(vaddr + len0);
    uint64_t pa[2] = {0, 0};
    struct piece p0, p1;
    vmsim_status_t rc;
    if (len0 > size)
        len0 = size;
    piece_translate(m, access, mode, vaddr, len0, !(*looked_up & 1), &p0);
    *looked_up |= 1;
    if (len0 < size && (p0.t.outcome == VMSIM_OUTCOME_OK || data_bus(&p0.t))) {
        piece_translate(m, access, mode, vaddr1, size - len0, !(*looked_up & 2), &p1);
        *looked_up |= 2;
        rc = translate_both(m, &p0, &p1, pa, res);
    } else {
        piece_commit(m, &p0, false);
        rc = finish(m, &p0.t, &pa[0], res);
    }
    if (rc)
        return rc;
    enum move how = access != VMSIM_WRITE ? MOVE_IN : buf ? MOVE_OUT : MOVE_FILL;
    if (buf || how == MOVE_FILL) {
        move_data(m, how, buf, byte, pa[0], len0);
        if (len0 < size)
            move_data(m, how, buf ? (uint8_t *)buf + len0 : NULL, byte, pa[1], size - len0);
    }
    res->paddr = pa[0];
    return VMSIM_OK;
}

/* Pass a fault to the kernel's handler; true when it asks for a restart. */
static bool handle_fault(vmsim_machine_t *m, const vmsim_fault_t *raised)
{
    m->last_fault.access_vaddr = raised->access_vaddr;
    m->last_fault.access_size = raised->access_size;
    vmsim_fault_t fault = *raised;
    m->in_handler = true;
    vmsim_fault_action_t action = m->handler(m, &fault, m->handler_user);
    m->in_handler = false;
    if (action != VMSIM_FAULT_RETRY)
        return false;
    m->st->faults_handled++;
    return true;
}

vmsim_status_t mmu_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                 vmsim_vaddr_t vaddr, void *buf, uint8_t byte, unsigned size,
                                 vmsim_result_t *res)
{
    /* Like an x86 instruction, the access restarts after each fault the
     * handler resolves -- at most once per page it touches. */
    vmsim_status_t bad = mmu_check_vaddr(m, vaddr, size);
    if (bad) { /* #GP comes before any translation: nothing read, changed or cached */
        if (bad == VMSIM_ERR_GP)
            m->st->gp_faults++;
        return res->status = bad;
    }
    unsigned looked_up = 0;
    unsigned restarts_left = (vaddr & 0xfff) + size > VMSIM_PAGE_SIZE ? 2 : 1;
    vmsim_status_t rc;
    for (;;) { /* one call site, so access_once stays inlined */
        rc = access_once(m, access, mode, vaddr, buf, byte, size, res, &looked_up);
        if (rc != VMSIM_ERR_PAGE_FAULT || !m->handler || m->in_handler || !restarts_left)
            break;
        res->fault.access_vaddr = vaddr; /* what a kernel learns decoding the instruction */
        res->fault.access_size = size;
        if (!handle_fault(m, &res->fault))
            break;
        restarts_left--;
    }
    res->status = rc;
    return rc;
}

vmsim_status_t vmsim_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                            vmsim_vaddr_t vaddr, void *buf, unsigned size, vmsim_result_t *res)
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

/* Page-by-page transfer of a byte range (see mmu.h). */
static vmsim_status_t range(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                            vmsim_vaddr_t vaddr, void *buf, uint8_t byte, size_t len,
                            size_t *n_done)
{
    size_t done = 0;
    vmsim_status_t rc = VMSIM_OK;
    if (n_done)
        *n_done = 0;
    if (!m)
        return VMSIM_ERR_NULL;
    if (!buf && len && access != VMSIM_WRITE)
        return VMSIM_ERR_NULL;
    if ((unsigned)mode > VMSIM_USER)
        return VMSIM_ERR_INVALID;
    /* no longer than the linear space and no wrap (len near SIZE_MAX too):
     * 4 GiB outside IA-32e mode, 2^64 in it */
    if (m->walk.long_mode ? len && vaddr + (len - 1) < vaddr
                          : vaddr > 0xffffffffu || (uint64_t)len > 0x100000000ull - vaddr)
        return VMSIM_ERR_INVALID;
    while (done < len && rc == VMSIM_OK) {
        vmsim_vaddr_t va = vaddr + done;
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

vmsim_status_t vmsim_read_bytes(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                void *buf, size_t len, size_t *n_done)
{
    return range(m, VMSIM_READ, mode, vaddr, buf, 0, len, n_done);
}

vmsim_status_t vmsim_write_bytes(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                 const void *buf, size_t len, size_t *n_done)
{
    if (!buf && len) {
        if (n_done)
            *n_done = 0;
        return VMSIM_ERR_NULL;
    }
    return range(m, VMSIM_WRITE, mode, vaddr, (void *)(uintptr_t)buf, 0, len, n_done);
}

vmsim_status_t vmsim_fill_bytes(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                uint8_t byte, size_t len, size_t *n_done)
{
    return range(m, VMSIM_WRITE, mode, vaddr, NULL, byte, len, n_done);
}

vmsim_status_t vmsim_translate(const vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                               vmsim_vaddr_t vaddr, vmsim_translation_t *out)
{
    if (!m || !out)
        return VMSIM_ERR_NULL;
    if ((unsigned)access > VMSIM_FETCH || (unsigned)mode > VMSIM_USER)
        return VMSIM_ERR_INVALID;
    translation_init(m, out, vaddr, access, mode);
    vmsim_status_t bad = mmu_check_vaddr(m, vaddr, 1);
    if (bad)
        return bad;
    if (!m->walk.fmt) {
        out->paddr = vaddr;
        if (!ram_contains(m, vaddr, 1)) {
            out->outcome = VMSIM_OUTCOME_BUS;
            out->bus_addr = vaddr;
        }
        return VMSIM_OK;
    }
    mmu_walk(m, vaddr, access, mode, 1, out, NULL);
    if (out->outcome == VMSIM_OUTCOME_BUS) /* a bus error writes nothing */
        for (unsigned i = 0; i < out->n_steps; i++)
            out->steps[i].new_value = out->steps[i].value;
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

vmsim_fault_handler_fn vmsim_get_fault_handler(const vmsim_machine_t *m, void **user)
{
    if (user)
        *user = m ? m->handler_user : NULL;
    return m ? m->handler : NULL;
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
        mmu_clear_fast(m);
    return VMSIM_OK;
}
