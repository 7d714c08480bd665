/*
 * check_format.c - one readable line per problem that vmsim_check() found.
 *
 * A problem is data (kind, pid, vaddr, frame, expected, actual, TLB
 * rights); this file turns it into the sentence a student acts on:
 *
 *   STALE_TLB pid 1 vaddr 0x40000000: the DTLB says frame 0x102 writable,
 *     the page tables say frame 0x102 read-only (a PTE changed without INVLPG)
 *   REFCOUNT frame 0x1f3: refcount 2, but its mappings and kernel holds
 *     account for 1
 *
 * The line starts with the kind's name and the address space, address
 * and frame concerned (each only when the kind has one), then says what
 * differs in the kind's own terms; kinds without their own wording say
 * the kind's sentence and the two numbers.
 */
#include "vmm_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

struct line {
    char *buf;
    size_t len, used; /* used may exceed len: the length of the whole line */
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
    va_list ap;
    char *at = l->used < l->len ? l->buf + l->used : NULL;
    size_t room = l->used < l->len ? l->len - l->used : 0;
    va_start(ap, fmt);
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->used += (size_t)n;
}

const char *vmsim_check_kind_name(vmsim_check_kind_t kind)
{
    static const char *const names[] = {
        [VMSIM_CHECK_REFCOUNT] = "REFCOUNT",
        [VMSIM_CHECK_FREE_MAPPED] = "FREE_MAPPED",
        [VMSIM_CHECK_LEAK] = "LEAK",
        [VMSIM_CHECK_KERNEL_HALF] = "KERNEL_HALF",
        [VMSIM_CHECK_RECURSIVE] = "RECURSIVE",
        [VMSIM_CHECK_WINDOW] = "WINDOW",
        [VMSIM_CHECK_STALE_TLB] = "STALE_TLB",
        [VMSIM_CHECK_COW_WRITABLE] = "COW_WRITABLE",
        [VMSIM_CHECK_OUTSIDE_REGION] = "OUTSIDE_REGION",
        [VMSIM_CHECK_PROTECTION] = "PROTECTION",
        [VMSIM_CHECK_PAGE_TABLE] = "PAGE_TABLE",
        [VMSIM_CHECK_RMAP] = "RMAP",
        [VMSIM_CHECK_PMM] = "PMM",
        [VMSIM_CHECK_ACCOUNTING] = "ACCOUNTING",
        [VMSIM_CHECK_KMEM_MAPPING] = "KMEM_MAPPING",
        [VMSIM_CHECK_KMEM_FREELIST] = "KMEM_FREELIST",
        [VMSIM_CHECK_KMEM_REDZONE] = "KMEM_REDZONE",
        [VMSIM_CHECK_KMEM_POISON] = "KMEM_POISON",
        [VMSIM_CHECK_KMEM_ACCOUNTING] = "KMEM_ACCOUNTING",
    };
    if ((unsigned)kind >= sizeof names / sizeof names[0] || !names[kind])
        return "?";
    return names[kind];
}

/* "frame 0x102 writable" / "user-mode" ...: what one side of a stale
 * entry grants. */
static void put_rights(struct line *l, uint64_t paddr, uint32_t rights, uint32_t differ)
{
    if (!(rights & VMSIM_CHECK_RIGHT_MAPPED)) {
        put(l, "no mapping");
        return;
    }
    put(l, "frame 0x%" PRIx64, paddr >> 12);
    if (differ & VMSIM_CHECK_RIGHT_WRITABLE)
        put(l, " %s", rights & VMSIM_CHECK_RIGHT_WRITABLE ? "writable" : "read-only");
    if (differ & VMSIM_CHECK_RIGHT_USER)
        put(l, " %s", rights & VMSIM_CHECK_RIGHT_USER ? "user" : "supervisor-only");
    if (differ & VMSIM_CHECK_RIGHT_DIRTY)
        put(l, " %s", rights & VMSIM_CHECK_RIGHT_DIRTY ? "dirty" : "clean");
}

static void put_stale(struct line *l, const vmsim_check_problem_t *p)
{
    uint32_t differ = p->tlb_rights ^ p->table_rights;
    bool moved = p->expected != p->actual || !(p->table_rights & VMSIM_CHECK_RIGHT_MAPPED);
    put(l, "the %s says ", p->tlb == VMSIM_ITLB ? "ITLB" : p->tlb >= VMSIM_STLB ? "STLB" : "DTLB");
    put_rights(l, p->actual, p->tlb_rights, differ);
    put(l, ", the page tables say ");
    put_rights(l, p->expected, p->table_rights, differ);
    if (!moved && !(differ & ~VMSIM_CHECK_RIGHT_MAPPED))
        put(l, " with another page size");
    put(l, " (a %s changed without INVLPG)", moved ? "mapping" : "PTE's rights");
}

static void put_what(struct line *l, const vmsim_check_problem_t *p)
{
    switch (p->kind) {
    case VMSIM_CHECK_STALE_TLB: put_stale(l, p); break;
    case VMSIM_CHECK_REFCOUNT:
        put(l, "refcount %" PRIu64 ", but its mappings and kernel holds account for %" PRIu64,
            p->actual, p->expected);
        break;
    case VMSIM_CHECK_LEAK:
        put(l, "allocated (refcount %" PRIu64 "), but nothing maps or holds it", p->actual);
        break;
    case VMSIM_CHECK_RMAP:
        put(l, "the reverse map lists %" PRIu64 " mapping%s, the page tables have %" PRIu64,
            p->actual, p->actual == 1 ? "" : "s", p->expected);
        break;
    case VMSIM_CHECK_COW_WRITABLE:
        put(l,
            "the PTE is writable, but the private frame has refcount %" PRIu64
            ": a write would show in the other mappings (fork must write-protect it)",
            p->actual);
        break;
    case VMSIM_CHECK_FREE_MAPPED: put(l, "the frame is mapped but free (or beyond RAM)"); break;
    default:
        put(l, "%s (expected 0x%" PRIx64 ", found 0x%" PRIx64 ")", vmsim_check_kind_text(p->kind),
            p->expected, p->actual);
    }
}

size_t vmsim_check_problem_format(const vmsim_check_problem_t *problem, char *buf, size_t len)
{
    struct line l = {buf, buf ? len : 0, 0};
    if (!problem)
        return 0;
    if (l.len)
        buf[0] = '\0';
    put(&l, "%s", vmsim_check_kind_name(problem->kind));
    if (problem->pid > 0)
        put(&l, " pid %d", (int)problem->pid);
    if (problem->vaddr)
        put(&l, " vaddr 0x%" PRIx32, problem->vaddr);
    if (problem->kind != VMSIM_CHECK_STALE_TLB && (problem->pfn || !problem->vaddr))
        put(&l, " frame 0x%" PRIx32, problem->pfn);
    put(&l, ": ");
    put_what(&l, problem);
    return l.used;
}
