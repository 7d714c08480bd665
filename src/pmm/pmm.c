/*
 * pmm.c - the frame allocator: a bitmap with a rotating hint.
 *
 * One bit per 4 KiB frame, 64 frames per word:
 *
 *     word 0                       word 1
 *    +--------------------------+ +--------------------------+
 *    |1 1 1 1 0 0 1 0 ...  bit63| |0 0 0 ...                 |  1 = in use
 *    +--------------------------+ +--------------------------+
 *     pfn 0 (reserved) ^ first free: pfn 4
 *
 * A single frame is found by scanning words from `hint` for one that is
 * not all ones and taking its lowest zero bit (one count-trailing-zeros);
 * the hint then stays on that word, so a run of allocations costs O(1)
 * each and the search wraps around once before giving up.  An aligned
 * run of `count` frames is found by trying each multiple of `align` and,
 * when a used frame is found inside the candidate, jumping to the next
 * multiple past it.  docs/pmm.md weighs this against a buddy allocator:
 * in short, the kernel allocates single frames a thousand times more
 * often than runs, runs of any size and alignment come for free, and the
 * bitmap is the structure the checker can read at a glance.
 *
 * Fault injection sits in front of every allocation (alloc_gate): the
 * cap on frames in use, then the "let `skip` through, fail `count`"
 * counter.
 */
#include "pmm_internal.h"

#include <stdlib.h>
#include <string.h>

#define PMM_MAX_FRAMES (1u << 20)

static void bit_set(uint64_t *bm, uint32_t i)
{
    bm[i >> 6] |= 1ull << (i & 63);
}
static void bit_clear(uint64_t *bm, uint32_t i)
{
    bm[i >> 6] &= ~(1ull << (i & 63));
}

vmsim_status_t vmsim_pmm_create(uint32_t n_frames, vmsim_pmm_t **out)
{
    if (!out)
        return VMSIM_ERR_NULL;
    if (n_frames == 0 || n_frames > PMM_MAX_FRAMES)
        return VMSIM_ERR_INVALID;
    vmsim_pmm_t *p = calloc(1, sizeof *p);
    if (!p)
        return VMSIM_ERR_NOMEM;
    p->n_frames = n_frames;
    p->n_words = (n_frames + 63) / 64;
    p->bitmap = calloc(p->n_words, sizeof *p->bitmap);
    p->frames = calloc(n_frames, sizeof *p->frames);
    if (!p->bitmap || !p->frames) {
        vmsim_pmm_destroy(p);
        return VMSIM_ERR_NOMEM;
    }
    for (uint32_t i = n_frames; i < p->n_words * 64; i++)
        bit_set(p->bitmap, i); /* padding past the last frame */
    p->st.n_frames = n_frames;
    p->st.n_free = n_frames;
    *out = p;
    return VMSIM_OK;
}

void vmsim_pmm_destroy(vmsim_pmm_t *p)
{
    if (!p)
        return;
    free(p->bitmap);
    free(p->frames);
    free(p->rmap_pool);
    free(p);
}

/* The first used frame in [from, to), or `to` when all are free. */
static uint32_t first_used(const vmsim_pmm_t *p, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to) {
        uint64_t w = p->bitmap[i >> 6] >> (i & 63);
        if (w)
            return i + (uint32_t)__builtin_ctzll(w) < to ? i + (uint32_t)__builtin_ctzll(w) : to;
        i = (i | 63) + 1;
    }
    return to;
}

vmsim_status_t vmsim_pmm_reserve(vmsim_pmm_t *p, uint32_t pfn, uint32_t count)
{
    if (!p)
        return VMSIM_ERR_NULL;
    if (pfn >= p->n_frames || count > p->n_frames - pfn)
        return VMSIM_ERR_INVALID;
    for (uint32_t i = pfn; i < pfn + count; i++)
        if (p->frames[i].flags & (VMSIM_FRAME_ALLOCATED | VMSIM_FRAME_RESERVED))
            return VMSIM_ERR_BUSY;
    for (uint32_t i = pfn; i < pfn + count; i++) {
        bit_set(p->bitmap, i);
        p->frames[i].flags = VMSIM_FRAME_RESERVED;
    }
    p->st.n_reserved += count;
    p->st.n_free -= count;
    return VMSIM_OK;
}

/* May `count` more frames be handed out?  Applies the cap and the
 * injected failures, and counts refusals. */
static vmsim_status_t alloc_gate(vmsim_pmm_t *p, uint32_t count)
{
    if (p->cap && (uint64_t)p->st.n_used + count > p->cap) {
        p->st.failed_allocs++;
        return VMSIM_ERR_NO_FRAMES;
    }
    if (p->inject_count) {
        if (p->inject_skip) {
            p->inject_skip--;
        } else {
            p->inject_count--;
            p->st.failed_allocs++;
            p->st.injected_failures++;
            return VMSIM_ERR_NO_FRAMES;
        }
    }
    return VMSIM_OK;
}

void pmm_mark_used(vmsim_pmm_t *p, uint32_t pfn, uint32_t count, unsigned flags)
{
    for (uint32_t i = pfn; i < pfn + count; i++) {
        bit_set(p->bitmap, i);
        p->frames[i].refcount = 1;
        p->frames[i].flags = VMSIM_FRAME_ALLOCATED | flags;
        p->frames[i].n_rmap = 0;
        p->frames[i].rmap_head = 0;
    }
    p->st.n_used += count;
    p->st.n_free -= count;
    if (flags & VMSIM_FRAME_PAGE_TABLE)
        p->st.n_page_tables += count;
    if (p->st.n_used > p->st.peak_used)
        p->st.peak_used = p->st.n_used;
}

void pmm_mark_free(vmsim_pmm_t *p, uint32_t pfn, uint32_t count)
{
    for (uint32_t i = pfn; i < pfn + count; i++) {
        if (p->frames[i].flags & VMSIM_FRAME_PAGE_TABLE)
            p->st.n_page_tables--;
        bit_clear(p->bitmap, i);
        p->frames[i].refcount = 0;
        p->frames[i].flags = 0;
    }
    p->st.n_used -= count;
    p->st.n_free += count;
    p->st.frees += count;
    p->hint = pfn >> 6 < p->hint ? pfn >> 6 : p->hint; /* keep memory dense: prefer low frames */
}

vmsim_status_t vmsim_pmm_alloc(vmsim_pmm_t *p, unsigned flags, uint32_t *pfn)
{
    if (!p || !pfn)
        return VMSIM_ERR_NULL;
    if (flags & ~VMSIM_FRAME_USER_FLAGS)
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = alloc_gate(p, 1);
    if (rc)
        return rc;
    for (uint32_t n = 0; n < p->n_words; n++) {
        uint32_t w = (p->hint + n) % p->n_words;
        if (~p->bitmap[w]) {
            uint32_t found = w * 64 + (uint32_t)__builtin_ctzll(~p->bitmap[w]);
            p->hint = w;
            pmm_mark_used(p, found, 1, flags);
            p->st.allocs++;
            *pfn = found;
            return VMSIM_OK;
        }
    }
    p->st.failed_allocs++;
    return VMSIM_ERR_NO_FRAMES;
}

/* Lowest run of `count` free frames starting at a multiple of `align`;
 * returns n_frames when there is none. */
static uint32_t find_run(const vmsim_pmm_t *p, uint32_t count, uint32_t align)
{
    uint64_t base = 0;
    while (base + count <= p->n_frames) {
        uint32_t used = first_used(p, (uint32_t)base, (uint32_t)(base + count));
        if (used == base + count)
            return (uint32_t)base;
        base = ((uint64_t)used / align + 1) * align;
    }
    return p->n_frames;
}

vmsim_status_t vmsim_pmm_alloc_run(vmsim_pmm_t *p, uint32_t count, uint32_t align, unsigned flags,
                                   uint32_t *pfn)
{
    if (!p || !pfn)
        return VMSIM_ERR_NULL;
    if (count == 0 || count > PMM_MAX_FRAMES || align == 0 || align > PMM_MAX_FRAMES ||
        (align & (align - 1)) || (flags & ~VMSIM_FRAME_USER_FLAGS))
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = alloc_gate(p, count);
    if (rc)
        return rc;
    uint32_t base = count <= p->n_frames ? find_run(p, count, align) : p->n_frames;
    if (base == p->n_frames) {
        p->st.failed_allocs++;
        return VMSIM_ERR_NO_FRAMES;
    }
    pmm_mark_used(p, base, count, flags);
    p->st.run_allocs++;
    *pfn = base;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_fail_next(vmsim_pmm_t *p, uint32_t skip, uint32_t count)
{
    if (!p)
        return VMSIM_ERR_NULL;
    p->inject_skip = count ? skip : 0;
    p->inject_count = count;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_set_cap(vmsim_pmm_t *p, uint32_t max_used)
{
    if (!p)
        return VMSIM_ERR_NULL;
    p->cap = max_used;
    return VMSIM_OK;
}

vmsim_status_t vmsim_pmm_get_stats(const vmsim_pmm_t *p, vmsim_pmm_stats_t *out)
{
    if (!p || !out)
        return VMSIM_ERR_NULL;
    *out = p->st;
    return VMSIM_OK;
}
