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
 *        |
 *        +--> typed_slow --quick route--> RAM          (hit or plain miss)
 *                  |
 *                  +--> mmu_access --> translate_piece x1..2 --> move data
 *                           ^            |  tlb_find / mmu_walk / cache
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
 * (bench/bench_mmu --verify, tests/test_differential.c).
 */
#include "mmu_internal.h"

#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

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

/* Point the fast cache at way `w`, which serves (access, mode) at vaddr
 * and maps vaddr's 4 KiB page in RAM -- unless SMAP makes the answer
 * depend on EFLAGS.AC, or protection keys on PKRU, which change without
 * a flush.  For a large way the shortcut covers the one 4 KiB piece of
 * it that vaddr lies in. */
static inline __attribute__((always_inline)) void fast_set(vmsim_machine_t *m, struct tlb *tlb,
                                                           struct tlb_way *w, vmsim_access_t access,
                                                           vmsim_mode_t mode, vmsim_vaddr_t vaddr)
{
    if (access != VMSIM_FETCH && (w->rights & TLB_U) &&
        (m->walk.pke || (mode == VMSIM_SUPERVISOR && (m->cr4 & VMSIM_CR4_SMAP))))
        return;
    unsigned kind = FAST_KIND(access, mode);
    struct fast_entry *e = &m->fast[kind][(vaddr >> 12) & FAST_MASK];
    e->tag = vaddr & ~(vmsim_vaddr_t)0xfff;
    e->delta =
        (uintptr_t)(m->ram + w->pbase) - (uintptr_t)(vaddr & ~((1ull << tlb_way_shift(w)) - 1));
    e->way = w;
    e->tlb = tlb;
    w->fast_kinds |= (uint8_t)(1u << kind);
}

/* Offer a way that now serves (access, mode) at vaddr to the fast path. */
static void fast_fill(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w, vmsim_access_t access,
                      vmsim_mode_t mode, vmsim_vaddr_t vaddr)
{
    if (m->fast_on)
        fast_set(m, tlb, w, access, mode, vaddr);
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

/* Does the cached way serve this access without a walk? */
static bool way_serves(const vmsim_machine_t *m, const struct tlb_way *w, vmsim_access_t access,
                       vmsim_mode_t mode, bool *rights_ok)
{
    bool pk;
    *rights_ok = mmu_check_rights(m, access, mode, w->rights, w->pkey, &pk) == VMSIM_WHY_NONE;
    return *rights_ok && (access != VMSIM_WRITE || (w->rights & TLB_D));
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
    vmsim_fault_t fault = *raised;
    m->in_handler = true;
    vmsim_fault_action_t action = m->handler(m, &fault, m->handler_user);
    m->in_handler = false;
    if (action != VMSIM_FAULT_RETRY)
        return false;
    m->st->faults_handled++;
    return true;
}

static vmsim_status_t mmu_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
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

/* ---- the quick route ----------------------------------------------------
 * quick_walk() is mmu_walk() restricted to the walks that write nothing
 * and end well: present entries without reserved bits, each classified
 * by the walker's own walk_step(), A set in all of them (and D in the
 * leaf for a write), a 4 KiB leaf, rights that allow the access, a frame
 * in RAM.  It returns false for anything else, and the general route
 * then walks for real.
 *
 * It is compiled once per entry width, so ram_load's width is constant.
 * An entry is width-aligned and RAM is a whole number of pages, so
 * "entry in RAM" is addr < ram_size; likewise for a frame, as the piece
 * lies within its page. */

struct quick {
    uint64_t pbase;    /* physical base of the 4 KiB page */
    unsigned rights;   /* TLB_* bits for the way */
    unsigned pkey;     /* the leaf's protection key */
};

/* The first table: CR3's, or the PAE PDPTE register's. */
static inline __attribute__((always_inline)) bool quick_root(const vmsim_machine_t *m,
                                                             vmsim_vaddr_t vaddr, uint64_t *table)
{
    if (!m->walk.has_pdpte) {
        *table = m->cr3 & m->walk.root_mask;
        return true;
    }
    uint64_t pdpte = m->pdpte[(vaddr >> 30) & 3];
    *table = pdpte & m->walk.table_addr;
    return pdpte & VMSIM_PTE_P;
}

static inline __attribute__((always_inline)) bool
quick_walk(const vmsim_machine_t *m, vmsim_vaddr_t vaddr, vmsim_access_t access, vmsim_mode_t mode,
           unsigned width, struct quick *q, const struct walk_start *start, uint64_t *entries)
{
    const struct walk_masks *wm = &m->walk;
    const uint64_t need_leaf = VMSIM_PTE_A | (access == VMSIM_WRITE ? VMSIM_PTE_D : 0);
    uint64_t table, all = ~0ull, any = 0, entry;
    const struct level_masks *l = wm->lv;
    bool pk;
    if (start) { /* below a cached table entry: its rights stand for the levels above */
        l += start->level;
        table = start->table;
        all = start->rights & TLB_W ? ~0ull : ~(uint64_t)VMSIM_PTE_RW;
        all &= start->rights & TLB_U ? ~0ull : ~(uint64_t)VMSIM_PTE_US;
        any = start->rights & TLB_XD ? wm->xd_bit : 0;
    } else if (!quick_root(m, vaddr, &table)) {
        return false;
    }
    for (;; l++) {
        uint64_t addr = table + ((vaddr >> l->shift) & l->index_mask) * width;
        if (addr >= m->ram_size)
            return false;
        entry = ram_load(m, addr, width);
        if (entries)
            *entries++ = entry;
        all &= entry;
        any |= entry;
        enum walk_step step = walk_step(l, entry);
        if (step != STEP_TABLE)
            break;
        table = entry & wm->table_addr;
    }
    if (!l->last || walk_step(l, entry) != STEP_LEAF || (all & need_leaf) != need_leaf)
        return false; /* a large page, a fault, or an A/D bit to set */
    q->rights = (all & VMSIM_PTE_RW ? TLB_W : 0) | (all & VMSIM_PTE_US ? TLB_U : 0) |
                (any & wm->xd_bit ? TLB_XD : 0);
    q->pkey = wm->long_mode ? (unsigned)(entry >> VMSIM_PTE_PKEY_SHIFT) & 0xf : 0;
    q->pbase = entry & wm->table_addr;
    if (q->pbase >= m->ram_size ||
        mmu_check_rights(m, access, mode, q->rights, q->pkey, &pk) != VMSIM_WHY_NONE)
        return false;
    q->rights |= (entry & VMSIM_PTE_D ? TLB_D : 0) |
                 ((entry & VMSIM_PTE_G) && (m->cr4 & VMSIM_CR4_PGE) ? TLB_G : 0);
    return true;
}

/* A modelled hit, when the way serves the access as it stands. */
static bool quick_hit(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w, vmsim_access_t access,
                      vmsim_mode_t mode, vmsim_vaddr_t vaddr, unsigned len, uint64_t *paddr)
{
    bool rights_ok;
    uint64_t pa = w->pbase + (vaddr & ((1ull << tlb_way_shift(w)) - 1));
    if (!way_serves(m, w, access, mode, &rights_ok) || !ram_contains(m, pa, len))
        return false;
    tlb->st->hits++;
    tlb_touch(tlb, w);
    fast_fill(m, tlb, w, access, mode, vaddr);
    *paddr = pa;
    return true;
}

/* The quick route's miss with paging-structure caches: the walk starts
 * below the deepest cached entry; only when it ends well are the caches
 * counted, touched and filled, as the general route does. */
static __attribute__((noinline)) bool quick_walk_psc(vmsim_machine_t *m, struct tlb *tlb,
                                                     vmsim_access_t access, vmsim_mode_t mode,
                                                     vmsim_vaddr_t vaddr, uint64_t *paddr)
{
    struct quick q;
    struct walk_start start;
    struct tlb *owner = NULL;
    uint64_t entries[5];
    struct tlb_way *pw = psc_probe(m, vaddr, &start, &owner);
    if (!(m->walk.width == 4
              ? quick_walk(m, vaddr, access, mode, 4, &q, pw ? &start : NULL, entries)
              : quick_walk(m, vaddr, access, mode, 8, &q, pw ? &start : NULL, entries)))
        return false;
    unsigned first = pw ? start.level : 0;
    m->st->walks++;
    m->st->walk_reads += m->walk.n_levels - first;
    psc_count(m, pw, owner);
    psc_fill_entries(m, vaddr, entries, first, m->walk.n_levels - 1 - first,
                     pw ? start.rights : TLB_W | TLB_U);
    if (tlb) {
        tlb->st->misses++;
        fast_set(m, tlb, tlb_fill(tlb, vaddr, 12, q.pbase, q.rights, q.pkey), access, mode, vaddr);
    }
    *paddr = q.pbase + (vaddr & 0xfff);
    return true;
}

/* Translate a piece within one page with every effect of the general
 * route, or return false having changed nothing. */
static inline __attribute__((always_inline)) bool
quick_translate(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                unsigned len, uint64_t *paddr)
{
    struct tlb *tlb = access == VMSIM_FETCH ? m->itlb : m->dtlb;
    struct quick q;
    if (tlb) {
        struct tlb_way *w = tlb_find(tlb, vaddr);
        if (w)
            return quick_hit(m, tlb, w, access, mode, vaddr, len, paddr);
    }
    if (m->stlb)
        return false; /* an L1 miss looks in the STLB: the general route */
    if (m->n_pscs)
        return quick_walk_psc(m, tlb, access, mode, vaddr, paddr);
    if (!(m->walk.width == 4 ? quick_walk(m, vaddr, access, mode, 4, &q, NULL, NULL)
                             : quick_walk(m, vaddr, access, mode, 8, &q, NULL, NULL)))
        return false;
    m->st->walks++;
    m->st->walk_reads += m->walk.n_levels; /* a 4 KiB leaf: every level read */
    if (tlb) {
        tlb->st->misses++;
        fast_set(m, tlb, tlb_fill(tlb, vaddr, 12, q.pbase, q.rights, q.pkey), access, mode, vaddr);
    }
    *paddr = q.pbase + (vaddr & 0xfff);
    return true;
}

/* Where a typed access goes when the fast cache cannot answer it (the
 * arguments are checked already): the quick route, else the general
 * one.  Inlined into one out-of-line function per accessor, so access
 * and size are constants there. */
static inline __attribute__((always_inline)) vmsim_status_t
typed_slow(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
           void *buf, unsigned size)
{
    vmsim_result_t res;
    uint64_t paddr;
    if (m->fast_on && m->walk.fmt && (vaddr & 0xfff) <= VMSIM_PAGE_SIZE - size &&
        mmu_check_vaddr(m, vaddr, size) == VMSIM_OK &&
        quick_translate(m, access, mode, vaddr, size, &paddr)) {
        if (access == VMSIM_WRITE)
            memcpy(m->ram + paddr, buf, size);
        else
            memcpy(buf, m->ram + paddr, size);
        return VMSIM_OK;
    }
    return mmu_access(m, access, mode, vaddr, buf, 0, size, &res);
}

/* ---- the fast cache -------------------------------------------------------
 * A hit: the tag matches the access's address masked so that a
 * misaligned access never matches (it might cross the page; it takes
 * the quick route instead).  Then the data moves and the hit is counted
 * as the modelled TLB counts it.  No frame, no call: the out-of-line
 * slow function is a tail call. */

#define FAST_TAG_MASK(size) (~(vmsim_vaddr_t)0xfff | (vmsim_vaddr_t)((size)-1))

_Static_assert(sizeof(struct fast_entry) == 32, "fast_slot() scales the page number by 32");

/* The slot of `vaddr` in table `kind`: its byte offset is the page
 * number times 32, which is (vaddr >> 7) masked -- one shift, one mask. */
static inline const struct fast_entry *fast_slot(const vmsim_machine_t *m, unsigned kind,
                                                 vmsim_vaddr_t vaddr)
{
    const char *table = (const char *)m->fast[kind];
    return (const struct fast_entry *)(table + ((vaddr >> 7) & ((vmsim_vaddr_t)FAST_MASK << 5)));
}

static inline void fast_hit(const struct fast_entry *e)
{
    struct tlb *t = e->tlb;
    t->st->hits++;
    e->way->used = ++t->clock;
}

#define DEFINE_LOAD(name, type, access)                                                            \
    static __attribute__((noinline)) vmsim_status_t name##_slow(                                   \
        vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr, type *out)                     \
    {                                                                                              \
        return typed_slow(m, access, mode, vaddr, out, sizeof(type));                              \
    }                                                                                              \
    vmsim_status_t name(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr, type *out)     \
    {                                                                                              \
        if (unlikely(!out))                                                                        \
            return VMSIM_ERR_NULL;                                                                 \
        if (unlikely(!m))                                                                          \
            return VMSIM_ERR_NULL;                                                                 \
        if (unlikely((unsigned)mode > VMSIM_USER))                                                 \
            return VMSIM_ERR_INVALID;                                                              \
        const struct fast_entry *e = fast_slot(m, FAST_KIND(access, mode), vaddr);                 \
        if (unlikely(e->tag != (vaddr & FAST_TAG_MASK(sizeof(type)))))                             \
            return name##_slow(m, mode, vaddr, out);                                               \
        memcpy(out, (const void *)(e->delta + vaddr), sizeof(type));                               \
        fast_hit(e);                                                                               \
        return VMSIM_OK;                                                                           \
    }

#define DEFINE_STORE(name, type)                                                                   \
    static __attribute__((noinline)) vmsim_status_t name##_slow(                                   \
        vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr, type value)                    \
    {                                                                                              \
        return typed_slow(m, VMSIM_WRITE, mode, vaddr, &value, sizeof(type));                      \
    }                                                                                              \
    vmsim_status_t name(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr, type value)    \
    {                                                                                              \
        if (unlikely(!m))                                                                          \
            return VMSIM_ERR_NULL;                                                                 \
        if (unlikely((unsigned)mode > VMSIM_USER))                                                 \
            return VMSIM_ERR_INVALID;                                                              \
        const struct fast_entry *e = fast_slot(m, FAST_KIND(VMSIM_WRITE, mode), vaddr);            \
        if (unlikely(e->tag != (vaddr & FAST_TAG_MASK(sizeof(type)))))                             \
            return name##_slow(m, mode, vaddr, value);                                             \
        memcpy((void *)(e->delta + vaddr), &value, sizeof(type));                                  \
        fast_hit(e);                                                                               \
        return VMSIM_OK;                                                                           \
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
