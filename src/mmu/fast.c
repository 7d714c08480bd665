/*
 * fast.c - the typed accessors (vmsim_read32() and friends): the fast
 * cache in front of the modelled TLBs, and the quick route behind it.
 *
 *   vmsim_read32() --fast hit--> RAM                (~30 instructions)
 *        |
 *        +--> *_slow --quick route--> RAM           (a modelled hit, or a
 *                  |                                 miss whose walk writes
 *                  |                                 nothing and ends well)
 *                  +--> mmu_access (access.c)       (everything else)
 *
 * Both do exactly what the general route would -- results, RAM,
 * statistics, replacement state -- only faster, and only while
 * config.fast_path is on and no observer is installed.  The quick walk
 * classifies each entry with the walker's own walk_step(), so the rules
 * are written once (walk.c, mmu_internal.h).
 */
#include "fast.h"

#include <string.h>

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
    uint64_t pbase;  /* physical base of the 4 KiB page */
    unsigned rights; /* TLB_* bits for the way */
    unsigned pkey;   /* the leaf's protection key */
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

/* An L1 miss that the second-level TLB answers: the STLB's way serves the
 * access, and fills the L1 TLB.  False, having changed nothing, when the
 * STLB holds no way for the page; *bail when it holds one that cannot
 * serve (the general route then walks). */
static bool quick_stlb(vmsim_machine_t *m, struct tlb *tlb, vmsim_access_t access,
                       vmsim_mode_t mode, vmsim_vaddr_t vaddr, unsigned len, uint64_t *paddr,
                       bool *bail)
{
    struct tlb *owner = m->stlb;
    struct tlb_way *sw = tlb_find(owner, vaddr);
    bool rights_ok;
    if (!sw && m->stlb1g) {
        owner = m->stlb1g;
        sw = tlb_find(owner, vaddr);
    }
    if (!sw)
        return false;
    uint64_t pa = sw->pbase + (vaddr & ((1ull << tlb_way_shift(sw)) - 1));
    *bail = !way_serves(m, sw, access, mode, &rights_ok) || !ram_contains(m, pa, len);
    if (*bail)
        return false;
    m->stlb->st->hits++;
    tlb_touch(owner, sw);
    if (tlb) {
        tlb->st->misses++;
        struct tlb_way *w =
            tlb_fill(tlb, vaddr, tlb_way_shift(sw), sw->pbase, sw->rights, sw->pkey);
        fast_set(m, tlb, w, access, mode, vaddr);
    }
    *paddr = pa;
    return true;
}

/* The quick route's L1 miss behind a second-level TLB or paging-structure
 * caches: an STLB hit, else the quick walk from the deepest cached table
 * entry.  Counted, touched and filled -- L1, STLB, caches -- only when it
 * ends well, as the general route does; else nothing has changed. */
static __attribute__((noinline)) bool quick_miss_cached(vmsim_machine_t *m, struct tlb *tlb,
                                                        vmsim_access_t access, vmsim_mode_t mode,
                                                        vmsim_vaddr_t vaddr, unsigned len,
                                                        uint64_t *paddr)
{
    struct quick q;
    struct walk_start start;
    struct tlb *owner = NULL;
    struct tlb_way *pw = NULL;
    uint64_t entries[5];
    bool bail = false;
    if (m->stlb && (quick_stlb(m, tlb, access, mode, vaddr, len, paddr, &bail) || bail))
        return !bail;
    if (m->n_pscs)
        pw = psc_probe(m, vaddr, &start, &owner);
    if (!(m->walk.width == 4
              ? quick_walk(m, vaddr, access, mode, 4, &q, pw ? &start : NULL, entries)
              : quick_walk(m, vaddr, access, mode, 8, &q, pw ? &start : NULL, entries)))
        return false;
    unsigned first = pw ? start.level : 0;
    m->st->walks++;
    m->st->walk_reads += m->walk.n_levels - first;
    if (m->n_pscs) {
        psc_count(m, pw, owner);
        psc_fill_entries(m, vaddr, entries, first, m->walk.n_levels - 1 - first,
                         pw ? start.rights : TLB_W | TLB_U);
    }
    if (tlb) {
        tlb->st->misses++;
        fast_set(m, tlb, tlb_fill(tlb, vaddr, 12, q.pbase, q.rights, q.pkey), access, mode, vaddr);
    }
    if (m->stlb) {
        m->stlb->st->misses++;
        tlb_fill(m->stlb, vaddr, 12, q.pbase, q.rights, q.pkey);
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
    if (m->stlb || m->n_pscs)
        return quick_miss_cached(m, tlb, access, mode, vaddr, len, paddr);
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
