/*
 * frame.c - per-frame metadata: reference counts, flags, reverse map.
 *
 * The reference count is the heart of copy-on-write and of the checker's
 * first invariant:
 *
 *     refcount(frame) = number of page-table entries that map it
 *                     + the kernel's own holds (zero frame, page tables,
 *                       shared-object pages, a frame being worked on)
 *
 * It is 32 bits wide.  Four billion mappings of one frame cannot happen
 * with a 32-bit address space per process and a bounded number of
 * processes, but an increment that would wrap is refused all the same,
 * so a refcount leak shows up as an error and not as a frame freed under
 * its users.
 *
 * The reverse map answers "who maps this frame?": a singly linked list
 * of (pid, vpn) nodes per frame, drawn from one pool that grows by
 * doubling.  Removal walks the list; lists are as long as the number of
 * processes sharing a page, so a few entries.  The shared zero frame is
 * left out of the reverse map by the kernel (it is never copied or
 * swapped, and would otherwise collect one node per zero-mapped page).
 */
#include "pmm_internal.h"

#include <stdlib.h>

vmsim_status_t vmsim_pmm_get(vmsim_pmm_t *p, uint32_t pfn)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn) || !pmm_is_allocated(p, pfn) || p->frames[pfn].refcount == UINT32_MAX)
        return VMSIM_ERR_INVALID;
    p->frames[pfn].refcount++;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_put(vmsim_pmm_t *p, uint32_t pfn, bool *freed)
{
    if (freed)
        *freed = false;
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn) || !pmm_is_allocated(p, pfn) || p->frames[pfn].refcount == 0)
        return VMSIM_ERR_BAD_FREE;
    struct pmm_frame *f = &p->frames[pfn];
    if (f->refcount == 1 && f->n_rmap)
        return VMSIM_ERR_BUSY;
    if (--f->refcount == 0) {
        pmm_mark_free(p, pfn, 1);
        if (freed)
            *freed = true;
    }
    return VMSIM_OK;
}

static void rmap_clear(vmsim_pmm_t *p, uint32_t pfn);

vmsim_status_t vmsim_pmm_free_run(vmsim_pmm_t *p, uint32_t pfn, uint32_t count)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn) || count == 0 || count > p->n_frames - pfn)
        return VMSIM_ERR_BAD_FREE;
    for (uint32_t i = pfn; i < pfn + count; i++)
        if (!pmm_is_allocated(p, i))
            return VMSIM_ERR_BAD_FREE;
    for (uint32_t i = pfn; i < pfn + count; i++)
        rmap_clear(p, i);
    pmm_mark_free(p, pfn, count);
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_refcount(const vmsim_pmm_t *p, uint32_t pfn, uint32_t *out)
{
    if (!p || !out)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn))
        return VMSIM_ERR_INVALID;
    *out = p->frames[pfn].refcount;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_flags(const vmsim_pmm_t *p, uint32_t pfn, unsigned *out)
{
    if (!p || !out)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn))
        return VMSIM_ERR_INVALID;
    *out = p->frames[pfn].flags;
    return VMSIM_OK;
}

static vmsim_status_t change_flags(vmsim_pmm_t *p, uint32_t pfn, unsigned flags, bool set)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn) || !pmm_is_allocated(p, pfn) || (flags & ~VMSIM_FRAME_USER_FLAGS))
        return VMSIM_ERR_INVALID;
    struct pmm_frame *f = &p->frames[pfn];
    bool was_pt = f->flags & VMSIM_FRAME_PAGE_TABLE;
    f->flags = set ? f->flags | flags : f->flags & ~flags;
    bool is_pt = f->flags & VMSIM_FRAME_PAGE_TABLE;
    p->st.n_page_tables += (uint32_t)is_pt - (uint32_t)was_pt;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_set_flags(vmsim_pmm_t *p, uint32_t pfn, unsigned flags)
{
    return change_flags(p, pfn, flags, true);
}

vmsim_status_t vmsim_pmm_clear_flags(vmsim_pmm_t *p, uint32_t pfn, unsigned flags)
{
    return change_flags(p, pfn, flags, false);
}

void pmm_debug_set_refcount(vmsim_pmm_t *p, uint32_t pfn, uint32_t refcount)
{
    if (p && pmm_in_range(p, pfn))
        p->frames[pfn].refcount = refcount;
}

/* --- reverse map --- */

static bool rmap_grow(vmsim_pmm_t *p)
{
    uint32_t cap = p->rmap_cap ? p->rmap_cap * 2 : 256;
    if (cap > (1u << 30))
        return false;
    struct pmm_rmap_node *pool = realloc(p->rmap_pool, (size_t)cap * sizeof *pool);
    if (!pool)
        return false;
    uint32_t first = p->rmap_cap ? p->rmap_cap : 1; /* node 0 is the list end */
    for (uint32_t i = first; i < cap; i++)
        pool[i].next = i + 1 < cap ? i + 1 : p->rmap_free;
    p->rmap_free = first;
    p->rmap_pool = pool;
    p->rmap_cap = cap;
    return true;
}

vmsim_status_t vmsim_pmm_rmap_add(vmsim_pmm_t *p, uint32_t pfn, int32_t pid, uint32_t vpn)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn) || !pmm_is_allocated(p, pfn))
        return VMSIM_ERR_INVALID;
    if (!p->rmap_free && !rmap_grow(p))
        return VMSIM_ERR_NOMEM;
    uint32_t n = p->rmap_free;
    struct pmm_rmap_node *node = &p->rmap_pool[n];
    p->rmap_free = node->next;
    node->pid = pid;
    node->vpn = vpn;
    node->next = p->frames[pfn].rmap_head;
    p->frames[pfn].rmap_head = n;
    p->frames[pfn].n_rmap++;
    p->st.rmap_entries++;
    return VMSIM_OK;
}

static void node_release(vmsim_pmm_t *p, uint32_t n)
{
    p->rmap_pool[n].next = p->rmap_free;
    p->rmap_free = n;
    p->st.rmap_entries--;
}

vmsim_status_t vmsim_pmm_rmap_remove(vmsim_pmm_t *p, uint32_t pfn, int32_t pid, uint32_t vpn)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn))
        return VMSIM_ERR_INVALID;
    uint32_t *link = &p->frames[pfn].rmap_head;
    while (*link) {
        struct pmm_rmap_node *node = &p->rmap_pool[*link];
        if (node->pid == pid && node->vpn == vpn) {
            uint32_t n = *link;
            *link = node->next;
            node_release(p, n);
            p->frames[pfn].n_rmap--;
            return VMSIM_OK;
        }
        link = &node->next;
    }
    return VMSIM_ERR_NOT_FOUND;
}

static void rmap_clear(vmsim_pmm_t *p, uint32_t pfn)
{
    uint32_t n = p->frames[pfn].rmap_head;
    while (n) {
        uint32_t next = p->rmap_pool[n].next;
        node_release(p, n);
        n = next;
    }
    p->frames[pfn].rmap_head = 0;
    p->frames[pfn].n_rmap = 0;
}

vmsim_status_t vmsim_pmm_rmap(const vmsim_pmm_t *p, uint32_t pfn, vmsim_rmap_entry_t *out,
                              uint32_t max, uint32_t *n_total)
{
    if (!p || !n_total || (!out && max))
        return VMSIM_ERR_NULL;
    if (!pmm_in_range(p, pfn))
        return VMSIM_ERR_INVALID;
    uint32_t i = 0;
    for (uint32_t n = p->frames[pfn].rmap_head; n && i < max; n = p->rmap_pool[n].next, i++) {
        out[i].pid = p->rmap_pool[n].pid;
        out[i].vpn = p->rmap_pool[n].vpn;
    }
    *n_total = p->frames[pfn].n_rmap;
    return VMSIM_OK;
}

/* --- self-check --- */

static bool frame_ok(const vmsim_pmm_t *p, uint32_t pfn, uint32_t *n_used, uint32_t *n_pt,
                     uint32_t *n_rmap)
{
    const struct pmm_frame *f = &p->frames[pfn];
    bool bit = (p->bitmap[pfn >> 6] >> (pfn & 63)) & 1;
    bool alloc = f->flags & VMSIM_FRAME_ALLOCATED, reserved = f->flags & VMSIM_FRAME_RESERVED;
    uint32_t len = 0;
    for (uint32_t n = f->rmap_head; n && len <= f->n_rmap; n = p->rmap_pool[n].next)
        len++;
    *n_rmap += len;
    if (alloc) {
        (*n_used)++;
        *n_pt += (f->flags & VMSIM_FRAME_PAGE_TABLE) != 0;
    }
    if (bit != (alloc || reserved) || (alloc && reserved) || len != f->n_rmap)
        return false;
    return alloc ? f->refcount > 0 : (f->refcount == 0 && len == 0);
}

vmsim_status_t vmsim_pmm_verify(const vmsim_pmm_t *p, uint32_t *bad_pfn)
{
    if (!p)
        return VMSIM_ERR_NULL;
    uint32_t n_used = 0, n_pt = 0, n_rmap = 0;
    for (uint32_t pfn = 0; pfn < p->n_frames; pfn++) {
        if (!frame_ok(p, pfn, &n_used, &n_pt, &n_rmap)) {
            if (bad_pfn)
                *bad_pfn = pfn;
            return VMSIM_ERR_CORRUPT;
        }
    }
    if (bad_pfn)
        *bad_pfn = p->n_frames;
    if (n_used != p->st.n_used || n_pt != p->st.n_page_tables || n_rmap != p->st.rmap_entries ||
        n_used + p->st.n_reserved + p->st.n_free != p->n_frames)
        return VMSIM_ERR_CORRUPT;
    return VMSIM_OK;
}
