/*
 * fast.h - what the general route (access.c) and the fast cache and
 * quick route (fast.c) share: giving a way a fast-cache shortcut, asking
 * whether a cached way serves an access, and the general route itself.
 */
#ifndef VMSIM_MMU_FAST_H
#define VMSIM_MMU_FAST_H

#include "mmu_internal.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

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
static inline void fast_fill(vmsim_machine_t *m, struct tlb *tlb, struct tlb_way *w,
                             vmsim_access_t access, vmsim_mode_t mode, vmsim_vaddr_t vaddr)
{
    if (m->fast_on)
        fast_set(m, tlb, w, access, mode, vaddr);
}

/* Does the cached way serve this access without a walk? */
static inline bool way_serves(const vmsim_machine_t *m, const struct tlb_way *w,
                              vmsim_access_t access, vmsim_mode_t mode, bool *rights_ok)
{
    bool pk;
    *rights_ok = mmu_check_rights(m, access, mode, w->rights, w->pkey, &pk) == VMSIM_WHY_NONE;
    return *rights_ok && (access != VMSIM_WRITE || (w->rights & TLB_D));
}

/* The general route: one access of `size` <= 4096 bytes (a byte or
 * `buf`), with restarts after handled faults; the status is also placed
 * in res->status.  The arguments are checked already. */
vmsim_status_t mmu_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                          vmsim_vaddr_t vaddr, void *buf, uint8_t byte, unsigned size,
                          vmsim_result_t *res);

#endif
