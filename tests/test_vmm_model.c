/*
 * test_vmm_model.c - the kernel against a naive model of every process.
 *
 * Thousands of random operations (create, fork, exit, switch, mmap,
 * munmap, mprotect, commit, decommit, brk, read, write) over up to
 * MAX_PROCS processes run on the simulated kernel and, side by side, on
 * a host-side model that knows nothing about page tables:
 *
 *     model process = sorted regions + a hash of written private pages
 *                     (+ shared objects: page arrays shared by reference)
 *
 * After every step: the status the kernel returned is the one the model
 * predicts (a read returns the model's bytes, a fault happens exactly
 * where the model says, with SEGV in user mode and KERNEL in supervisor
 * mode), and vmsim_check() is clean.  Every few hundred steps every
 * readable page of every process is compared in full.  At the end all
 * processes exit and the frames in use are back to what boot left.
 *
 * Each seed also picks a machine and kernel configuration (TLB
 * geometry, zero page, flush threshold, global kernel pages), so the
 * same test covers them all.  With fault injection on, every operation
 * is first run with an allocation failure injected at each of its
 * allocation points in turn (fail_next(j, 1), j = 0, 1, ...) until it
 * gets through: each failure must be clean (the model says what the
 * failure leaves behind, and the checker agrees).
 *
 * A failing run prints its seed and step.  Environment: VMSIM_MODEL_SEEDS
 * (number of seeds, default 8), VMSIM_MODEL_STEPS (default 1500),
 * VMSIM_MODEL_SEED (run only this seed), VMSIM_MODEL_SWAP=F (swap on,
 * at most F resident user pages, the policy and lazy A clearing drawn
 * from the seed, process 0 locking and unlocking pages: every byte must
 * survive being paged out and in), VMSIM_MODEL_SWAP_SLOTS=N (a swap that
 * fills: an operation refused for want of a frame or a slot must have
 * changed nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmsim/vmsim.h>

#include "kernel_rig.h"

#define MAX_PROCS  24
#define WIN_BASE   0x40000000u
#define WIN_PAGES  2048u /* 8 MiB: two page-directory slots */
#define LWIN_BASE  0x80000000u
#define LWIN_SLOTS 4u
#define MAX_LARGE  8u
#define NB         256
#define PAGE       4096u
#define LARGE      (4u << 20)

/* --- the model --- */

struct mshm {
    int refs;
    uint32_t n;
    uint8_t **pages;
};

struct mreg {
    uint32_t start, end;
    unsigned prot;
    bool shared, reserved, large;
    struct mshm *shm;
    uint32_t off; /* page of shm at start */
};

struct mpage {
    uint32_t vpn;
    struct mpage *next;
    uint8_t data[PAGE];
};

struct mproc {
    vmsim_pid_t pid;
    struct mreg *r;
    int n, cap;
    struct mpage *b[NB];
    uint32_t brk, brk_start;
};

struct run {
    uint32_t seed, rng;
    int step;
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    struct mproc *p[MAX_PROCS];
    int n_procs;
    bool inject;
    bool swap;
    bool tight; /* a small swap: out of frames and swap full are clean failures */
    uint64_t n_injected;
    uint64_t n_full; /* tight: operations refused for want of frames or slots */
};

/* An operation that failed for want of memory, as it may: injected
 * (fault injection), or the small swap was full (tight).  It must have
 * changed nothing, which the model and the checker then confirm. */
static bool clean_failure(struct run *r, vmsim_status_t rc)
{
    bool out = rc == VMSIM_ERR_NO_FRAMES || rc == VMSIM_ERR_NO_SWAP || rc == VMSIM_ERR_IO;
    if (out && r->tight && rc != VMSIM_ERR_IO)
        r->n_full++;
    return out && (r->inject || r->tight);
}

static uint32_t rnd(struct run *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 17;
    r->rng ^= r->rng << 5;
    return r->rng;
}

static uint32_t below(struct run *r, uint32_t n)
{
    return n ? rnd(r) % n : 0;
}

static void fail_run(struct run *r, const char *what)
{
    fail_msg("model mismatch: %s (seed %u, step %d)", what, r->seed, r->step);
}

static struct mshm *shm_new(uint32_t n)
{
    struct mshm *s = calloc(1, sizeof *s);
    s->refs = 1;
    s->n = n;
    s->pages = calloc(n, sizeof *s->pages);
    return s;
}

static void shm_put(struct mshm *s)
{
    if (!s || --s->refs)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        free(s->pages[i]);
    free(s->pages);
    free(s);
}

static struct mpage *page_find(struct mproc *p, uint32_t vpn)
{
    for (struct mpage *q = p->b[vpn % NB]; q; q = q->next)
        if (q->vpn == vpn)
            return q;
    return NULL;
}

static void pages_drop(struct mproc *p, uint32_t start, uint32_t end)
{
    for (int b = 0; b < NB; b++) {
        struct mpage **link = &p->b[b];
        while (*link) {
            uint32_t va = (*link)->vpn * PAGE;
            if (va >= start && va < end) {
                struct mpage *dead = *link;
                *link = dead->next;
                free(dead);
            } else {
                link = &(*link)->next;
            }
        }
    }
}

static int reg_find(const struct mproc *p, uint32_t va)
{
    for (int i = 0; i < p->n; i++)
        if (p->r[i].start <= va && va < p->r[i].end)
            return i;
    return -1;
}

static bool overlaps(const struct mproc *p, uint32_t a, uint32_t b)
{
    for (int i = 0; i < p->n; i++)
        if (p->r[i].start < b && p->r[i].end > a)
            return true;
    return false;
}

static bool covered(const struct mproc *p, uint32_t a, uint32_t b)
{
    for (uint32_t va = a; va < b;) {
        int i = reg_find(p, va);
        if (i < 0)
            return false;
        va = p->r[i].end;
    }
    return true;
}

static bool cuts_large(const struct mproc *p, uint32_t a, uint32_t b)
{
    for (int i = 0; i < p->n; i++) {
        const struct mreg *g = &p->r[i];
        if (!g->large || g->start >= b || g->end <= a)
            continue;
        if ((a > g->start && a % LARGE) || (b < g->end && b % LARGE))
            return true;
    }
    return false;
}

static void reg_insert(struct mproc *p, const struct mreg *g)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->r = realloc(p->r, p->cap * sizeof *p->r);
    }
    int i = 0;
    while (i < p->n && p->r[i].start < g->start)
        i++;
    memmove(&p->r[i + 1], &p->r[i], (p->n - i) * sizeof *g);
    p->r[i] = *g;
    p->n++;
}

static void reg_split(struct mproc *p, uint32_t at)
{
    int i = reg_find(p, at);
    if (i < 0 || p->r[i].start == at)
        return;
    struct mreg upper = p->r[i];
    upper.start = at;
    if (upper.shm) {
        upper.off += (at - p->r[i].start) / PAGE;
        upper.shm->refs++;
    }
    p->r[i].end = at;
    reg_insert(p, &upper);
}

static void m_unmap(struct mproc *p, uint32_t a, uint32_t b)
{
    reg_split(p, a);
    reg_split(p, b);
    for (int i = 0; i < p->n;) {
        if (p->r[i].start >= a && p->r[i].end <= b) {
            shm_put(p->r[i].shm);
            memmove(&p->r[i], &p->r[i + 1], (p->n - i - 1) * sizeof *p->r);
            p->n--;
        } else {
            i++;
        }
    }
    pages_drop(p, a, b);
}

static bool m_allowed(const struct mproc *p, uint32_t va, bool write)
{
    int i = reg_find(p, va);
    if (i < 0 || p->r[i].reserved)
        return false;
    return write ? (p->r[i].prot & VMSIM_PROT_WRITE) != 0 : p->r[i].prot != 0;
}

static uint8_t *m_byte(struct mproc *p, uint32_t va, bool create)
{
    const struct mreg *g = &p->r[reg_find(p, va)];
    uint8_t **slot;
    if (g->shared) {
        slot = &g->shm->pages[g->off + (va - g->start) / PAGE];
    } else {
        struct mpage *q = page_find(p, va / PAGE);
        if (!q && create) {
            q = calloc(1, sizeof *q);
            q->vpn = va / PAGE;
            q->next = p->b[q->vpn % NB];
            p->b[q->vpn % NB] = q;
        }
        return q ? &q->data[va % PAGE] : NULL;
    }
    if (!*slot && create)
        *slot = calloc(1, PAGE);
    return *slot ? &(*slot)[va % PAGE] : NULL;
}

static void mproc_free(struct mproc *p)
{
    for (int i = 0; i < p->n; i++)
        shm_put(p->r[i].shm);
    pages_drop(p, 0, 0xFFFFFFFFu);
    free(p->r);
    free(p);
}

static struct mproc *mproc_clone(const struct mproc *src)
{
    struct mproc *p = calloc(1, sizeof *p);
    p->brk = src->brk;
    p->brk_start = src->brk_start;
    for (int i = 0; i < src->n; i++) {
        reg_insert(p, &src->r[i]);
        if (src->r[i].shm)
            src->r[i].shm->refs++;
    }
    for (int b = 0; b < NB; b++)
        for (struct mpage *q = src->b[b]; q; q = q->next) {
            struct mpage *c = malloc(sizeof *c);
            memcpy(c, q, sizeof *c);
            c->next = p->b[b];
            p->b[b] = c;
        }
    return p;
}

static uint32_t large_count(const struct run *r)
{
    uint32_t n = 0;
    for (int i = 0; i < r->n_procs; i++)
        for (int j = 0; j < r->p[i]->n; j++)
            if (r->p[i]->r[j].large)
                n += (r->p[i]->r[j].end - r->p[i]->r[j].start) / LARGE;
    return n;
}

/* --- checks --- */

static void check_clean(struct run *r)
{
    if (krig_check(r->k, NULL) != VMSIM_OK)
        fail_run(r, "vmsim_check");
}

static void expect(struct run *r, vmsim_status_t got, vmsim_status_t want, const char *op)
{
    if (got == want)
        return;
    char msg[160];
    snprintf(msg, sizeof msg, "%s returned %s, model says %s", op, vmsim_status_name(got),
             vmsim_status_name(want));
    fail_run(r, msg);
}

static void compare_all(struct run *r)
{
    static uint8_t buf[PAGE];
    for (int i = 0; i < r->n_procs; i++) {
        struct mproc *p = r->p[i];
        for (int j = 0; j < p->n; j++) {
            const struct mreg *g = &p->r[j];
            if (g->reserved || !g->prot || g->end - g->start > 64 * PAGE)
                continue; /* large regions: sampled by reads */
            for (uint32_t va = g->start; va < g->end; va += PAGE) {
                vmsim_status_t rc = vmsim_proc_read(r->k, p->pid, VMSIM_USER, va, buf, PAGE, NULL);
                if (rc == VMSIM_ERR_NO_SWAP && r->tight)
                    continue; /* cannot come in now; compared next time */
                expect(r, rc, VMSIM_OK, "full read");
                for (uint32_t o = 0; o < PAGE; o++) {
                    uint8_t *b = m_byte(p, va + o, false);
                    if (buf[o] != (b ? *b : 0))
                        fail_run(r, "full compare: memory differs");
                }
            }
        }
    }
}

/* --- operations: drawn first (struct op), then applied to both sides --- */

enum kind {
    OP_CREATE,
    OP_FORK,
    OP_EXIT,
    OP_SWITCH,
    OP_MMAP,
    OP_MUNMAP,
    OP_MPROTECT,
    OP_COMMIT,
    OP_DECOMMIT,
    OP_BRK,
    OP_READ,
    OP_WRITE,
    OP_KINDS,
    OP_MLOCK, /* with swap only: drawn in place of some switches */
    OP_MUNLOCK
};

struct op {
    enum kind kind;
    int proc;
    uint32_t a, len;
    unsigned prot, flags, size;
    bool user;
    uint64_t value;
};

static const unsigned prots[] = {VMSIM_PROT_READ,
                                 VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                 VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                 VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC,
                                 VMSIM_PROT_WRITE,
                                 VMSIM_PROT_EXEC,
                                 VMSIM_PROT_NONE};

static unsigned any_prot(struct run *r)
{
    return prots[below(r, 7)];
}

/* An address range near existing regions, to make cuts and overlaps likely. */
static void draw_range(struct run *r, const struct mproc *p, struct op *o)
{
    uint32_t pick = below(r, 10);
    if (pick < 6 && p->n) {
        const struct mreg *g = &p->r[below(r, p->n)];
        uint32_t pages = (g->end - g->start) / PAGE;
        o->a = g->start + below(r, pages) * PAGE;
        o->len = (1 + below(r, pages + 2)) * PAGE;
        if (g->large && below(r, 3)) {
            o->a = g->start + below(r, pages / 1024) * LARGE;
            o->len = LARGE * (1 + below(r, 2));
        }
    } else if (pick < 8) {
        o->a = WIN_BASE + below(r, WIN_PAGES) * PAGE;
        o->len = (1 + below(r, 40)) * PAGE;
    } else if (pick < 9) {
        o->a = p->brk_start + below(r, 64) * PAGE;
        o->len = (1 + below(r, 16)) * PAGE;
    } else {
        o->a = LWIN_BASE + below(r, LWIN_SLOTS) * LARGE;
        o->len = LARGE;
    }
}

static void draw_mmap(struct run *r, struct op *o)
{
    if (below(r, 10) == 0) {
        uint32_t slot = below(r, LWIN_SLOTS);
        o->a = LWIN_BASE + slot * LARGE;
        o->len = LARGE * ((slot + 1 < LWIN_SLOTS && below(r, 2)) ? 2 : 1);
        o->prot = below(r, 3) ? VMSIM_PROT_READ | VMSIM_PROT_WRITE : VMSIM_PROT_READ;
        o->flags = VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED | VMSIM_MAP_LARGE;
        if (below(r, 4) == 0)
            o->flags |= VMSIM_MAP_POPULATE;
        return;
    }
    uint32_t pages = 1 + below(r, 16);
    o->len = pages * PAGE - (below(r, 4) == 0 ? below(r, PAGE - 1) : 0); /* some unrounded */
    o->prot = any_prot(r);
    o->flags = below(r, 4) == 0 ? VMSIM_MAP_SHARED : VMSIM_MAP_PRIVATE;
    if (below(r, 5) < 2) {
        o->flags |= VMSIM_MAP_FIXED;
        o->a = WIN_BASE + below(r, WIN_PAGES - pages) * PAGE;
    }
    if (below(r, 5) == 0)
        o->flags |= VMSIM_MAP_POPULATE;
    if (below(r, 10) == 0)
        o->flags |= VMSIM_MAP_RESERVE;
}

static void draw_access(struct run *r, const struct mproc *p, struct op *o)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    o->size = sizes[below(r, 4)];
    o->user = below(r, 5) != 0;
    o->value = ((uint64_t)rnd(r) << 32) | rnd(r);
    if (p->n && below(r, 100) < 85) {
        const struct mreg *g = &p->r[below(r, p->n)];
        o->a = g->start + below(r, g->end - g->start);
    } else {
        o->a = WIN_BASE + below(r, WIN_PAGES * PAGE);
    }
    if (below(r, 5))
        o->a &= ~(o->size - 1);
}

static struct op draw(struct run *r)
{
    static const unsigned weights[OP_KINDS] = {2, 4, 3, 1, 10, 6, 6, 2, 2, 4, 28, 32};
    struct op o = {0};
    unsigned total = 0, pick;
    for (int i = 0; i < OP_KINDS; i++)
        total += weights[i];
    pick = below(r, total);
    o.kind = 0;
    while (pick >= weights[o.kind])
        pick -= weights[o.kind++];
    if (r->n_procs == 0)
        o.kind = OP_CREATE;
    o.proc = (int)below(r, (uint32_t)r->n_procs);
    const struct mproc *p = r->n_procs ? r->p[o.proc] : NULL;
    switch (o.kind) {
    case OP_MMAP: draw_mmap(r, &o); break;
    case OP_MUNMAP:
    case OP_MPROTECT:
    case OP_COMMIT:
    case OP_DECOMMIT:
        draw_range(r, p, &o);
        o.prot = any_prot(r);
        if (r->swap && o.kind == OP_COMMIT && below(r, 2)) {
            o.kind = OP_MLOCK; /* with swap, half the commits lock instead */
            o.proc = 0;
            draw_range(r, r->p[0], &o);
            o.len = o.len > 4 * PAGE ? 4 * PAGE : o.len;
        }
        break;
    case OP_BRK:
        o.a = p->brk_start + (below(r, 3) ? below(r, 2u << 20) : below(r, 16 * PAGE));
        break;
    case OP_READ:
    case OP_WRITE: draw_access(r, p, &o); break;
    case OP_SWITCH:
        if (r->swap) { /* lock or unlock a few pages of process 0 */
            o.kind = below(r, 3) ? OP_MLOCK : OP_MUNLOCK;
            o.proc = 0;
            draw_range(r, r->p[0], &o);
            if (o.len > 4 * PAGE)
                o.len = 4 * PAGE;
        }
        break;
    default: break;
    }
    return o;
}

static vmsim_status_t do_create(struct run *r)
{
    vmsim_pid_t pid;
    if (r->n_procs == MAX_PROCS)
        return VMSIM_OK;
    vmsim_status_t rc = vmsim_proc_create(r->k, &pid);
    if (clean_failure(r, rc))
        return rc;
    expect(r, rc, VMSIM_OK, "create");
    struct mproc *p = calloc(1, sizeof *p);
    p->pid = pid;
    p->brk = p->brk_start = 0x10000000u;
    r->p[r->n_procs++] = p;
    return rc;
}

static vmsim_status_t do_fork(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    uint32_t parent_large = 0;
    vmsim_pid_t child;
    for (int j = 0; j < p->n; j++)
        if (p->r[j].large)
            parent_large += (p->r[j].end - p->r[j].start) / LARGE;
    if (r->n_procs == MAX_PROCS || large_count(r) + parent_large > MAX_LARGE)
        return VMSIM_OK;
    vmsim_status_t rc = vmsim_proc_fork(r->k, p->pid, &child);
    if (clean_failure(r, rc))
        return rc;
    expect(r, rc, VMSIM_OK, "fork");
    struct mproc *c = mproc_clone(p);
    c->pid = child;
    r->p[r->n_procs++] = c;
    return rc;
}

static vmsim_status_t do_exit(struct run *r, const struct op *o)
{
    expect(r, vmsim_proc_exit(r->k, r->p[o->proc]->pid), VMSIM_OK, "exit");
    mproc_free(r->p[o->proc]);
    r->p[o->proc] = r->p[--r->n_procs];
    return VMSIM_OK;
}

static vmsim_status_t do_mmap(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    uint32_t out = 0, len = (o->len + PAGE - 1) & ~(PAGE - 1);
    bool fixed = o->flags & VMSIM_MAP_FIXED;
    if ((o->flags & VMSIM_MAP_LARGE) && large_count(r) + len / LARGE > MAX_LARGE)
        return VMSIM_OK;
    vmsim_status_t rc = vmsim_mmap(r->k, p->pid, o->a, o->len, o->prot, o->flags, &out);
    if (clean_failure(r, rc)) {
        if (fixed)
            m_unmap(p, o->a, o->a + len);
        return rc;
    }
    expect(r, rc, VMSIM_OK, "mmap");
    if (fixed && out != o->a)
        fail_run(r, "mmap FIXED moved");
    if (fixed)
        m_unmap(p, o->a, o->a + len);
    if ((out & 0xfff) || overlaps(p, out, out + len) || (uint64_t)out + len > 0xC0000000u)
        fail_run(r, "mmap placed the region badly");
    struct mreg g = {out,
                     out + len,
                     o->prot,
                     (o->flags & VMSIM_MAP_SHARED) != 0,
                     (o->flags & VMSIM_MAP_RESERVE) != 0,
                     (o->flags & VMSIM_MAP_LARGE) != 0,
                     NULL,
                     0};
    if (g.shared && !g.reserved)
        g.shm = shm_new(len / PAGE);
    reg_insert(p, &g);
    return rc;
}

static vmsim_status_t do_munmap(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    uint32_t end = o->a + o->len;
    vmsim_status_t want = cuts_large(p, o->a, end) ? VMSIM_ERR_INVALID : VMSIM_OK;
    expect(r, vmsim_munmap(r->k, p->pid, o->a, o->len), want, "munmap");
    if (want == VMSIM_OK)
        m_unmap(p, o->a, end);
    return VMSIM_OK;
}

/* mprotect, commit, decommit: the range must be covered. */
static vmsim_status_t do_ranged(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    uint32_t a = o->a, b = o->a + o->len;
    vmsim_status_t want = !covered(p, a, b)     ? VMSIM_ERR_NOT_FOUND
                          : cuts_large(p, a, b) ? VMSIM_ERR_INVALID
                                                : VMSIM_OK;
    vmsim_status_t rc = o->kind == OP_MPROTECT ? vmsim_mprotect(r->k, p->pid, a, o->len, o->prot)
                        : o->kind == OP_COMMIT ? vmsim_mcommit(r->k, p->pid, a, o->len, o->prot)
                                               : vmsim_mdecommit(r->k, p->pid, a, o->len);
    expect(r, rc, want, o->kind == OP_MPROTECT ? "mprotect" : "commit/decommit");
    if (want)
        return VMSIM_OK;
    reg_split(p, a);
    reg_split(p, b);
    for (int i = 0; i < p->n; i++) {
        struct mreg *g = &p->r[i];
        if (g->start < a || g->end > b)
            continue;
        if (o->kind == OP_MPROTECT) {
            g->prot = o->prot;
        } else if (o->kind == OP_COMMIT) {
            if (g->reserved && g->shared) {
                g->shm = shm_new((g->end - g->start) / PAGE);
                g->off = 0;
            }
            g->reserved = false;
            g->prot = o->prot;
        } else if (!g->reserved) {
            pages_drop(p, g->start, g->end);
            shm_put(g->shm);
            g->shm = NULL;
            g->reserved = true;
        }
    }
    return VMSIM_OK;
}

static vmsim_status_t do_brk(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    uint32_t old_end = (p->brk + PAGE - 1) & ~(PAGE - 1), new_end = (o->a + PAGE - 1) & ~(PAGE - 1);
    vmsim_status_t want = VMSIM_OK;
    if (new_end > old_end && overlaps(p, old_end, new_end))
        want = VMSIM_ERR_NO_SPACE;
    uint32_t now = 0;
    expect(r, vmsim_brk(r->k, p->pid, o->a, &now), want, "brk");
    if (want)
        return VMSIM_OK;
    if (new_end > old_end) {
        struct mreg g = {old_end, new_end, VMSIM_PROT_READ | VMSIM_PROT_WRITE, false, false, false,
                         NULL,    0};
        reg_insert(p, &g);
    } else if (new_end < old_end) {
        m_unmap(p, new_end, old_end);
    }
    p->brk = o->a;
    if (now != o->a)
        fail_run(r, "brk reported a different break");
    return VMSIM_OK;
}

/* mlock / munlock of process 0 (at most 8 locked pages: kc.max_locked_
 * pages), which the model does not need to know about: locked pages
 * keep their data like any other, and the checker sees that they stay
 * resident.  Holes, reserved and 4 MiB regions are refused. */
static vmsim_status_t do_lock(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    vmsim_status_t rc = o->kind == OP_MLOCK ? vmsim_mlock(r->k, p->pid, o->a, o->len)
                                            : vmsim_munlock(r->k, p->pid, o->a, o->len);
    if (clean_failure(r, rc))
        return VMSIM_ERR_NO_FRAMES;
    if (rc != VMSIM_OK && rc != VMSIM_ERR_NOT_FOUND && rc != VMSIM_ERR_INVALID &&
        !(rc == VMSIM_ERR_NO_SPACE && o->kind == OP_MLOCK))
        expect(r, rc, VMSIM_OK, o->kind == OP_MLOCK ? "mlock" : "munlock");
    return VMSIM_OK;
}

static vmsim_status_t do_access(struct run *r, const struct op *o)
{
    struct mproc *p = r->p[o->proc];
    bool write = o->kind == OP_WRITE;
    vmsim_mode_t mode = o->user ? VMSIM_USER : VMSIM_SUPERVISOR;
    bool ok = (uint64_t)o->a + o->size <= 0xC0000000u && m_allowed(p, o->a, write) &&
              m_allowed(p, o->a + o->size - 1, write);
    vmsim_status_t want = ok ? VMSIM_OK : o->user ? VMSIM_ERR_SEGV : VMSIM_ERR_KERNEL;
    uint64_t v = 0;
    vmsim_status_t rc = write ? vmsim_proc_store(r->k, p->pid, mode, o->a, o->size, o->value)
                              : vmsim_proc_load(r->k, p->pid, mode, o->a, o->size, &v);
    if (clean_failure(r, rc))
        return VMSIM_ERR_NO_FRAMES; /* no frame, an I/O failure, or a full swap */
    expect(r, rc, want, write ? "write" : "read");
    if (!ok)
        return VMSIM_OK;
    for (unsigned i = 0; i < o->size; i++) {
        if (write) {
            *m_byte(p, o->a + i, true) = (uint8_t)(o->value >> (8 * i));
        } else {
            uint8_t *b = m_byte(p, o->a + i, false);
            if ((uint8_t)(v >> (8 * i)) != (b ? *b : 0))
                fail_run(r, "read returned other bytes than the model");
        }
    }
    return VMSIM_OK;
}

static vmsim_status_t apply(struct run *r, const struct op *o)
{
    switch (o->kind) {
    case OP_CREATE: return do_create(r);
    case OP_FORK: return do_fork(r, o);
    case OP_EXIT: return do_exit(r, o);
    case OP_SWITCH: return vmsim_proc_switch(r->k, r->p[o->proc]->pid);
    case OP_MMAP: return do_mmap(r, o);
    case OP_MUNMAP: return do_munmap(r, o);
    case OP_MPROTECT:
    case OP_COMMIT:
    case OP_DECOMMIT: return do_ranged(r, o);
    case OP_BRK: return do_brk(r, o);
    case OP_MLOCK:
    case OP_MUNLOCK: return do_lock(r, o);
    default: return do_access(r, o);
    }
}

/* Run o, first failing each of its allocations in turn when injecting. */
static void step(struct run *r, const struct op *o)
{
    vmsim_pmm_t *pmm = vmsim_kernel_pmm(r->k);
    if (getenv("VMSIM_MODEL_TRACE"))
        print_message(
            "step %d: op %d proc %d (pid %d) a %08x len %x prot %x flags %x size %u user %d\n",
            r->step, o->kind, o->proc, r->n_procs ? r->p[o->proc]->pid : 0, o->a, o->len, o->prot,
            o->flags, o->size, o->user);
    if (!r->inject) {
        apply(r, o);
        check_clean(r);
        return;
    }
    for (uint32_t j = 0; j < 100000; j++) {
        vmsim_pmm_stats_t before, after;
        vmsim_swap_stats_t sw_before, sw_after;
        vmsim_pmm_get_stats(pmm, &before);
        vmsim_swap_get_stats(r->k, &sw_before);
        vmsim_pmm_fail_next(pmm, j, 1);
        /* With swap, a page-in or page-out fails at the same point too. */
        vmsim_swap_fail_next(r->k, j % 2 ? VMSIM_SWAP_OUT : VMSIM_SWAP_IN, j / 2, 1);
        vmsim_status_t rc = apply(r, o);
        vmsim_pmm_fail_next(pmm, 0, 0);
        vmsim_swap_fail_next(r->k, VMSIM_SWAP_IN, 0, 0);
        vmsim_swap_fail_next(r->k, VMSIM_SWAP_OUT, 0, 0);
        vmsim_pmm_get_stats(pmm, &after);
        vmsim_swap_get_stats(r->k, &sw_after);
        check_clean(r);
        if (rc != VMSIM_ERR_NO_FRAMES)
            return;
        bool injected = after.injected_failures != before.injected_failures ||
                        sw_after.injected_failures != sw_before.injected_failures;
        if (!injected && r->tight)
            return; /* the small swap was full: a clean failure of its own */
        if (!injected)
            fail_run(r, "out of frames without an injected failure");
        r->n_injected++;
    }
    fail_run(r, "operation never got through");
}

static void machine_for_seed(struct run *r, vmsim_config_t *mc, vmsim_kernel_config_t *kc)
{
    vmsim_config_default(mc);
    vmsim_kernel_config_default(kc);
    mc->ram_bytes = 128u << 20;
    switch (r->seed % 4) {
    case 0: break;
    case 1:
        mc->dtlb = vmsim_tlb_config(8, 2, VMSIM_TLB_LRU);
        mc->split_tlb = false;
        break;
    case 2:
        mc->dtlb = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
        mc->itlb = mc->dtlb;
        break;
    default: mc->dtlb = vmsim_tlb_config(16, 4, VMSIM_TLB_RANDOM); break;
    }
    kc->zero_page = (r->seed / 4) % 2 == 0;
    kc->flush_threshold = (uint32_t[]){32, 0, 4}[(r->seed / 8) % 3];
    kc->global_kernel = (r->seed / 24) % 2 == 0;
    const char *swap = getenv("VMSIM_MODEL_SWAP"); /* user frames: page out beyond them */
    if (swap && atoi(swap) > 0) {
        kc->max_user_frames = (uint32_t)atoi(swap);
        kc->swap_slots = 1u << 16;
        kc->policy = (vmsim_policy_kind_t)(r->seed % VMSIM_POLICY_COUNT);
        kc->lazy_ad_clear = (r->seed / 5) % 2;
        kc->flush_threshold = (uint32_t[]){32, 0, 4}[(r->seed / 10) % 3];
        kc->max_locked_pages = 8;
        r->swap = true;
        const char *slots = getenv("VMSIM_MODEL_SWAP_SLOTS");
        if (slots && atoi(slots) > 0) {
            kc->swap_slots = (uint32_t)atoi(slots);
            r->tight = true;
        }
    }
}

static uint64_t total_full; /* tight swap: clean refusals over every seed */

static void run_seed(uint32_t seed, int steps, bool inject, uint64_t *n_injected)
{
    struct run r = {0};
    vmsim_config_t mc;
    vmsim_kernel_config_t kc;
    vmsim_kernel_stats_t boot_st, end_st;
    r.seed = seed;
    r.rng = seed * 2654435761u + 1;
    r.inject = inject;
    machine_for_seed(&r, &mc, &kc);
    assert_int_equal(vmsim_create(&mc, &r.m), VMSIM_OK);
    assert_int_equal(vmsim_kernel_boot(r.m, &kc, &r.k), VMSIM_OK);
    vmsim_kernel_get_stats(r.k, &boot_st);
    for (r.step = 0; r.step < steps; r.step++) {
        struct op o = draw(&r);
        step(&r, &o);
        if (r.step % 500 == 499)
            compare_all(&r);
    }
    compare_all(&r);
    while (r.n_procs) {
        struct op o = {.kind = OP_EXIT, .proc = r.n_procs - 1};
        step(&r, &o);
    }
    vmsim_kernel_get_stats(r.k, &end_st);
    if (getenv("VMSIM_MODEL_STATS"))
        print_message(
            "seed %u: faults %llu dz %llu zmap %llu zbrk %llu cowc %llu cowr %llu shared %llu "
            "spur %llu large %llu segv %llu kern %llu oom %llu invlpg %llu cr3 %llu "
            "(batch %llu) forks %llu evictions %llu swap-ins %llu\n",
            seed, (unsigned long long)end_st.faults, (unsigned long long)end_st.faults_demand_zero,
            (unsigned long long)end_st.faults_zero_map,
            (unsigned long long)end_st.faults_zero_break,
            (unsigned long long)end_st.faults_cow_copy, (unsigned long long)end_st.faults_cow_reuse,
            (unsigned long long)end_st.faults_shared, (unsigned long long)end_st.faults_spurious,
            (unsigned long long)end_st.faults_large, (unsigned long long)end_st.faults_segv,
            (unsigned long long)end_st.faults_kernel, (unsigned long long)end_st.faults_oom,
            (unsigned long long)end_st.invlpgs, (unsigned long long)end_st.cr3_loads,
            (unsigned long long)end_st.cr3_flushes, (unsigned long long)end_st.forks,
            (unsigned long long)end_st.evictions, (unsigned long long)end_st.faults_swap_in);
    if (end_st.frames_in_use != boot_st.frames_in_use)
        fail_run(&r, "frames still in use after every process exited");
    *n_injected += r.n_injected;
    if (r.tight)
        print_message("seed %u: %llu operations refused cleanly (no frame, swap full)\n", seed,
                      (unsigned long long)r.n_full);
    total_full += r.n_full;
    krig_halt(r.k);
}

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

static void model_random(void **state)
{
    (void)state;
    int seeds = env_int("VMSIM_MODEL_SEEDS", 8), steps = env_int("VMSIM_MODEL_STEPS", 1500);
    int only = env_int("VMSIM_MODEL_SEED", -1);
    uint64_t n_injected = 0;
    for (int s = 0; s < seeds; s++) {
        uint32_t seed = only >= 0 ? (uint32_t)only : (uint32_t)s + 1;
        run_seed(seed, steps, false, &n_injected);
        if (only >= 0)
            break;
    }
    print_message("model: %d seeds x %d steps clean\n", only >= 0 ? 1 : seeds, steps);
    if (getenv("VMSIM_MODEL_SWAP_SLOTS") && only < 0)
        assert_true(total_full > 0); /* the small swap did fill: the test proved something */
}

static void model_fault_injection(void **state)
{
    (void)state;
    int seeds = env_int("VMSIM_MODEL_SEEDS", 8) / 3 + 1;
    int steps = env_int("VMSIM_MODEL_STEPS", 1500) / 3;
    uint64_t n_injected = 0;
    for (int s = 0; s < seeds; s++)
        run_seed(1000u + (uint32_t)s, steps, true, &n_injected);
    print_message("fault injection: %d seeds x %d steps, %llu injected failures, all clean\n",
                  seeds, steps, (unsigned long long)n_injected);
    assert_true(n_injected >= (uint64_t)steps / 10); /* the injections did happen */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_random),
        cmocka_unit_test(model_fault_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
