/*
 * replay.c - the replay loop of replay.h.
 *
 * The common item -- an access inside one page -- costs one call of the
 * MMU's typed fast path: vmsim_fetch32 on the aligned word holding the
 * first byte (a 4-byte fetch that cannot leave the page), vmsim_read8 or
 * vmsim_write8 on the first byte.  Everything else (several pages, a
 * split across regions, a new region, a failure) takes slow_item().
 */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

void replay_config_default(struct replay_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    vmsim_config_default(&cfg->machine);
    cfg->machine.ram_bytes = 1ull << 30;
    cfg->page_shift = 12;
    cfg->paging.policy = VMSIM_POLICY_CLOCK;
}

int replay_open(struct replay *r, const struct replay_config *cfg)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->page_mask = (1u << cfg->page_shift) - 1;
    return replay_os_boot(&cfg->machine, cfg->page_shift == 22, &cfg->paging, &r->os, &r->m,
                          r->err, sizeof r->err);
}

int replay_map(struct replay *r, uint32_t slot)
{
    if (r->mapped[slot])
        return 0;
    if (replay_os_map(r->os, slot << FOLD_SHIFT, FOLD_CHUNK, r->cfg.populate, r->err,
                      sizeof r->err))
        return 1;
    r->mapped[slot] = 1;
    r->regions++;
    return 0;
}

void replay_begin(struct replay *r)
{
    if (r->cfg.populate)
        vmsim_tlb_flush_all(r->m);
    vmsim_reset_stats(r->m);
    replay_os_zero(r->os);
    memset(r->access, 0, sizeof r->access);
    r->page_splits = 0;
    r->references = 0;
}

/* One access of one byte, fetch or read or write. */
static vmsim_status_t touch(vmsim_machine_t *m, unsigned kind, uint32_t vaddr)
{
    uint32_t word;
    uint8_t byte;
    if (kind == TRACE_FETCH)
        return vmsim_fetch32(m, VMSIM_USER, vaddr & ~3u, &word);
    if (kind == TRACE_STORE)
        return vmsim_write8(m, VMSIM_USER, vaddr, 0);
    return vmsim_read8(m, VMSIM_USER, vaddr, &byte);
}

static int access_failed(struct replay *r, uint32_t vaddr, vmsim_status_t rc)
{
    const char *why = replay_os_fault_reason(r->os);
    r->fail_vaddr = vaddr;
    snprintf(r->err, sizeof r->err, "the access at folded address 0x%08" PRIx32 " failed: %s%s%s",
             vaddr, vmsim_strerror(rc), why ? ": " : "", why ? why : "");
    return 1;
}

/* Add the first byte of every page of [vaddr, vaddr + size) to pages[]. */
static unsigned page_starts(uint32_t mask, uint32_t vaddr, unsigned size, uint32_t *pages,
                            unsigned n)
{
    uint32_t last = vaddr + size - 1;
    pages[n++] = vaddr;
    for (uint32_t p = (vaddr | mask) + 1; p - 1 < last && p != 0; p += mask + 1)
        pages[n++] = p;
    return n;
}

/* One reference done: the policy's clock ticks every cfg.tick of them. */
static void referenced(struct replay *r)
{
    r->references++;
    if (r->cfg.tick && r->references % r->cfg.tick == 0)
        replay_os_tick(r->os);
}

/* Touch pages[0..n) as one access: with paging, each page touched stays
 * pinned until the access is done (the paging spec's pinning rule). */
static int one_access(struct replay *r, unsigned kind, const uint32_t *pages, unsigned n)
{
    bool pin = r->cfg.paging.frames && n > 1;
    unsigned i;
    vmsim_status_t rc = VMSIM_OK;
    for (i = 0; i < n && rc == VMSIM_OK; i++) {
        rc = touch(r->m, kind, pages[i]);
        if (rc == VMSIM_OK && pin && i + 1 < n)
            replay_os_pin(r->os, pages[i]);
        if (rc == VMSIM_OK)
            referenced(r);
    }
    for (unsigned j = 0; pin && j + 1 < i; j++)
        replay_os_unpin(r->os, pages[j]);
    return rc ? access_failed(r, pages[i - 1], rc) : 0;
}

/* An access made of one or two pieces, over several pages. */
static int multi_page(struct replay *r, const struct trace_access *a, const struct trace_access *b)
{
    uint32_t pages[8];
    unsigned n = page_starts(r->page_mask, a->vaddr, a->size, pages, 0);
    if (b)
        n = page_starts(r->page_mask, b->vaddr, b->size, pages, n);
    unsigned kind = a->kind == TRACE_MODIFY ? TRACE_LOAD : a->kind;
    r->access[a->kind]++;
    r->page_splits += n > 1;
    for (unsigned pass = 0; pass < 1u + (a->kind == TRACE_MODIFY); pass++) {
        if (one_access(r, kind, pages, n))
            return 1;
        kind = TRACE_STORE;
    }
    return 0;
}

static int slow_item(struct replay *r, const struct trace_access *a)
{
    if (a->kind == TRACE_REGION)
        return replay_map(r, a->vaddr >> FOLD_SHIFT);
    if (a->flags & TRACE_SPLIT) {
        r->first = *a;
        r->have_first = true;
        return 0;
    }
    if (r->have_first) {
        r->have_first = false;
        return multi_page(r, &r->first, a);
    }
    return multi_page(r, a, NULL);
}

/* The common items, until one needs slow_item(): returns how many were
 * replayed, or n + 1 after a failed access (r->err set). */
static size_t fast_items(struct replay *r, const struct trace_access *a, size_t n)
{
    vmsim_machine_t *const m = r->m;
    const uint32_t mask = r->page_mask;
    uint64_t count[TRACE_KINDS] = {0};
    uint32_t word;
    uint8_t byte;
    size_t i;
    /* With paging every reference goes through slow_item, which counts it. */
    const bool counting = r->cfg.tick || r->cfg.paging.frames;
    for (i = 0; i < n; i++) {
        const uint32_t vaddr = a[i].vaddr;
        const unsigned kind = a[i].kind;
        if (unlikely(counting || kind > TRACE_MODIFY || (vaddr & mask) + a[i].size > mask + 1 ||
                     a[i].flags))
            break;
        vmsim_status_t rc;
        count[kind]++;
        switch (kind) {
        case TRACE_FETCH: rc = vmsim_fetch32(m, VMSIM_USER, vaddr & ~3u, &word); break;
        case TRACE_LOAD: rc = vmsim_read8(m, VMSIM_USER, vaddr, &byte); break;
        case TRACE_STORE: rc = vmsim_write8(m, VMSIM_USER, vaddr, 0); break;
        default:
            rc = vmsim_read8(m, VMSIM_USER, vaddr, &byte);
            if (likely(rc == VMSIM_OK))
                rc = vmsim_write8(m, VMSIM_USER, vaddr, 0);
            break;
        }
        if (unlikely(rc)) {
            access_failed(r, vaddr, rc);
            i = n + 1;
            break;
        }
    }
    for (unsigned k = 0; k < TRACE_KINDS; k++)
        r->access[k] += count[k];
    return i;
}

int replay_run(struct replay *r, const struct trace_access *a, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!r->have_first) {
            i += fast_items(r, a + i, n - i);
            if (i > n)
                return 1;
            if (i == n)
                break;
        }
        if (slow_item(r, &a[i++]))
            return 1;
    }
    return 0;
}

void replay_results(const struct replay *r, struct replay_results *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->access, r->access, sizeof out->access);
    out->page_splits = r->page_splits;
    out->references = r->references;
    out->regions = r->regions;
    vmsim_get_stats(r->m, VMSIM_BANK_PROGRAM, &out->program);
    vmsim_get_stats(r->m, VMSIM_BANK_KERNEL, &out->kernel);
    replay_os_counters(r->os, &out->os);
}

void replay_close(struct replay *r)
{
    replay_os_shutdown(r->os);
    r->os = NULL;
    r->m = NULL;
}
