/*
 * check.c - vmsim_check(): the kernel's invariants, verified from RAM.
 *
 * The checker is a debugger, not part of the kernel: it reads page
 * directories and tables through the bus port, so checking changes no
 * TLB entry, no A/D bit and no statistic, and can run after every step
 * of a test.  It recomputes, from the tables alone, what the kernel's
 * bookkeeping should say, and reports every disagreement as data:
 *
 *   for every address space (the kernel's and each process's)
 *     PD: slot 1023 -> itself, 1022 -> the window or nothing,
 *         768..1021 identical to the kernel's PD
 *     each user PDE / PTE that holds a frame:
 *         inside a committed region, rights no wider than the region's,
 *         writable only if the frame has no other user (private) --
 *         expected[frame] += 1, mapped[frame] += 1, (pid, vpn) in rmap
 *   kernel holds: page directories, page tables, the zero frame, the
 *         frames of shared objects, every kernel PTE above kernel_end
 *         (slab and vmalloc pages)             -- expected[frame] += 1
 *   the slab and area allocators: PTEs against their descriptors, free
 *         lists, red zones (kmem_check.c)
 *   then for every frame: refcount == expected, nobody maps a free
 *         frame, the reverse map has exactly mapped[frame] entries
 *   with swap: every swap entry (PTE or shared object) and swap-cache
 *         hold counts one for its slot -- each slot's count must equal
 *         them; a swap-cache page that no PTE marks dirty must equal its
 *         slot byte for byte; the policy tracks exactly the resident
 *         user pages; a page of an mlocked region is resident
 *   and for every valid TLB entry: a fresh walk (vmsim_translate, which
 *         has no side effects) finds the same frame and at least the
 *         rights the entry grants -- else the entry is stale: the kernel
 *         changed a PTE and forgot its INVLPG.
 *
 * A TLB entry with fewer rights than the tables is fine: x86 may keep
 * it, and a write through it re-walks (that is why raising rights needs
 * no INVLPG).
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_MASK (~(uint32_t)(VMSIM_PTE_A | VMSIM_PTE_D))

struct checker {
    vmsim_kernel_t *k;
    vmsim_check_report_t *rep;
    uint32_t n_frames;
    uint32_t *expected; /* references the tables and holds account for */
    uint32_t *mapped;   /* user mappings (what the rmap should list) */
    struct kmem_check *kc;
    uint32_t *slot_refs; /* swap entries and holds naming each slot */
    uint32_t kpd[1024];
    uint32_t table[1024];
    uint8_t page[2][VMM_PAGE];
};

static void problem(struct checker *c, vmsim_check_kind_t kind, vmsim_pid_t pid, uint32_t vaddr,
                    uint32_t pfn, uint64_t expected, uint64_t actual)
{
    vmsim_check_report_t *rep = c->rep;
    if (rep->n_stored < VMSIM_CHECK_MAX_PROBLEMS) {
        vmsim_check_problem_t *p = &rep->problems[rep->n_stored++];
        p->kind = kind;
        p->pid = pid;
        p->vaddr = vaddr;
        p->pfn = pfn;
        p->expected = expected;
        p->actual = actual;
        p->tlb = -1;
    }
    rep->n_problems++;
}

static const struct pmm_frame *frame(const struct checker *c, uint32_t pfn)
{
    return &c->k->pmm->frames[pfn];
}

static bool read_frame(struct checker *c, uint32_t pfn, uint32_t *out)
{
    return pfn < c->n_frames &&
           vmsim_bus_read(c->k->m, (uint64_t)pfn << 12, out, VMM_PAGE) == VMSIM_OK;
}

/* Count one reference to pfn from (pid, vaddr); false if it is bad. */
static bool reference(struct checker *c, vmsim_pid_t pid, uint32_t vaddr, uint32_t pfn)
{
    if (pfn >= c->n_frames || !(frame(c, pfn)->flags & VMSIM_FRAME_ALLOCATED)) {
        problem(c, VMSIM_CHECK_FREE_MAPPED, pid, vaddr, pfn, 0, 1);
        return false;
    }
    c->expected[pfn]++;
    return true;
}

static bool rmap_has(const struct checker *c, uint32_t pfn, vmsim_pid_t pid, uint32_t vpn)
{
    const vmsim_pmm_t *p = c->k->pmm;
    for (uint32_t n = p->frames[pfn].rmap_head; n; n = p->rmap_pool[n].next)
        if (p->rmap_pool[n].pid == pid && p->rmap_pool[n].vpn == vpn)
            return true;
    return false;
}

/* A user mapping of pfn at vaddr: reference, rmap, and rights. */
static void user_mapping(struct checker *c, const struct vmm_space *s, uint32_t vaddr,
                         uint32_t entry, bool large)
{
    uint32_t pfn = vmm_entry_pfn(entry);
    int i = vmm_region_find(s, vaddr);
    const struct vmm_region *r = i >= 0 ? &s->regions[i] : NULL;
    if (!r || (r->flags & VMSIM_MAP_RESERVE) || !(r->flags & VMSIM_MAP_LARGE) != !large)
        problem(c, VMSIM_CHECK_OUTSIDE_REGION, s->pid, vaddr, pfn, 0, entry);
    if (!reference(c, s->pid, vaddr, pfn))
        return;
    if (pfn != c->k->zero_pfn) {
        c->mapped[pfn]++;
        if (!rmap_has(c, pfn, s->pid, vaddr >> 12))
            problem(c, VMSIM_CHECK_RMAP, s->pid, vaddr, pfn, 1, 0);
    }
    if (!r)
        return;
    bool none = !(r->prot & (VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC));
    bool present = entry & VMSIM_PTE_P, rw = entry & VMSIM_PTE_RW;
    bool shared = r->flags & VMSIM_MAP_SHARED;
    if (none == present || (present && !(entry & VMSIM_PTE_US)) ||
        (rw && (!(r->prot & VMSIM_PROT_WRITE) || pfn == c->k->zero_pfn)))
        problem(c, VMSIM_CHECK_PROTECTION, s->pid, vaddr, pfn, r->prot, entry);
    else if (rw && !shared && frame(c, pfn)->refcount > 1)
        problem(c, VMSIM_CHECK_COW_WRITABLE, s->pid, vaddr, pfn, 1, frame(c, pfn)->refcount);
}

static void check_large(struct checker *c, const struct vmm_space *s, uint32_t base, uint32_t pde,
                        uint32_t *resident)
{
    uint32_t head = vmm_entry_pfn(pde);
    *resident += VMM_LARGE_FRAMES;
    if (head % VMM_LARGE_FRAMES || head + VMM_LARGE_FRAMES > c->n_frames ||
        !(frame(c, head)->flags & VMSIM_FRAME_LARGE)) {
        problem(c, VMSIM_CHECK_FREE_MAPPED, s->pid, base, head, VMSIM_FRAME_LARGE, pde);
        return;
    }
    user_mapping(c, s, base, pde, true);
}

/* A swap entry of s at vaddr: one reference to its slot. */
static void swap_entry(struct checker *c, const struct vmm_space *s, uint32_t vaddr, uint32_t pte,
                       uint32_t *swapped)
{
    uint32_t slot = vmm_swap_slot(pte);
    (*swapped)++;
    if (!c->slot_refs || slot > swap_n_slots(c->k))
        problem(c, VMSIM_CHECK_SWAP_SLOT, s->pid, vaddr, 0, swap_n_slots(c->k), slot);
    else if (slot)
        c->slot_refs[slot]++;
}

static bool locked_region(const struct vmm_space *s, uint32_t vaddr)
{
    int i = vmm_region_find(s, vaddr);
    return i >= 0 && (s->regions[i].flags & VMSIM_MAP_LOCKED) &&
           !(s->regions[i].flags & VMSIM_MAP_RESERVE);
}

static void check_pt(struct checker *c, const struct vmm_space *s, unsigned slot, uint32_t pde,
                     uint32_t *resident, uint32_t *n_pt, uint32_t *swapped)
{
    uint32_t base = slot << 22, pt = vmm_entry_pfn(pde);
    (*n_pt)++;
    if (!reference(c, s->pid, base, pt) || !read_frame(c, pt, c->table))
        return;
    if (!(frame(c, pt)->flags & VMSIM_FRAME_PAGE_TABLE))
        problem(c, VMSIM_CHECK_PAGE_TABLE, s->pid, base, pt, VMSIM_FRAME_PAGE_TABLE, 0);
    if (!vmm_region_overlaps(s, base, base + ((4u << 20) - 1)))
        problem(c, VMSIM_CHECK_LEAK, s->pid, base, pt, 0, 1);
    for (unsigned i = 0; i < 1024; i++) {
        bool holds = vmm_holds_frame(c->table[i]);
        if (vmm_is_swap(c->table[i]))
            swap_entry(c, s, base + i * VMM_PAGE, c->table[i], swapped);
        if (!holds && locked_region(s, base + i * VMM_PAGE))
            problem(c, VMSIM_CHECK_LOCKED, s->pid, base + i * VMM_PAGE, 0, 1, c->table[i]);
        if (!holds)
            continue;
        c->rep->n_ptes++;
        (*resident)++;
        user_mapping(c, s, base + i * VMM_PAGE, c->table[i], false);
    }
}

static void check_pd_fixed(struct checker *c, const struct vmm_space *s, const uint32_t *pd)
{
    vmsim_kernel_t *k = c->k;
    uint32_t self = (s->pd_pfn << 12) | VMSIM_PTE_P | VMSIM_PTE_RW;
    if ((pd[VMM_SELF_SLOT] & ENTRY_MASK) != self)
        problem(c, VMSIM_CHECK_RECURSIVE, s->pid, VMSIM_SELF_PD, s->pd_pfn, self,
                pd[VMM_SELF_SLOT]);
    uint32_t window = 0;
    if (s == k->current && k->window)
        window = (k->window->pd_pfn << 12) | VMSIM_PTE_P | VMSIM_PTE_RW;
    if ((pd[VMM_WINDOW_SLOT] & ENTRY_MASK) != window)
        problem(c, VMSIM_CHECK_WINDOW, s->pid, VMSIM_FOREIGN_PT_BASE, s->pd_pfn, window,
                pd[VMM_WINDOW_SLOT]);
    for (unsigned i = VMM_KERNEL_FIRST; i <= VMM_KERNEL_LAST; i++) {
        uint32_t want = (k->kpt_pfn[i - VMM_KERNEL_FIRST] << 12) | VMSIM_PTE_P | VMSIM_PTE_RW;
        if ((pd[i] & ENTRY_MASK) != want)
            problem(c, VMSIM_CHECK_KERNEL_HALF, s->pid, i << 22, s->pd_pfn, want, pd[i]);
    }
}

static void check_space(struct checker *c, const struct vmm_space *s)
{
    uint32_t *pd = malloc(VMM_PAGE);
    uint32_t resident = 0, n_pt = 0, swapped = 0;
    c->rep->n_spaces++;
    if (!pd || !reference(c, s->pid, VMSIM_SELF_PD, s->pd_pfn) || !read_frame(c, s->pd_pfn, pd)) {
        free(pd);
        return;
    }
    check_pd_fixed(c, s, pd);
    for (unsigned slot = 0; slot < VMM_PD_USER_SLOTS; slot++) {
        if (vmm_is_large(pd[slot]))
            check_large(c, s, slot << 22, pd[slot], &resident);
        else if (pd[slot] & VMSIM_PTE_P)
            check_pt(c, s, slot, pd[slot], &resident, &n_pt, &swapped);
    }
    if (resident != s->resident || n_pt != s->n_page_tables)
        problem(c, VMSIM_CHECK_ACCOUNTING, s->pid, 0, s->pd_pfn, s->resident, resident);
    if (swapped != s->swapped)
        problem(c, VMSIM_CHECK_ACCOUNTING, s->pid, 0, s->pd_pfn, s->swapped, swapped);
    free(pd);
}

/* A page of the slab or area allocators: the mapping is a kernel hold. */
static void kernel_page(struct checker *c, uint32_t vaddr, uint32_t pte)
{
    c->expected[vmm_entry_pfn(pte)]++;
    kmem_check_pte(c->kc, vaddr, pte);
}

static void kmem_problem(void *ctx, vmsim_check_kind_t kind, uint32_t vaddr, uint32_t pfn,
                         uint64_t expected, uint64_t actual)
{
    problem(ctx, kind, 0, vaddr, pfn, expected, actual);
}

/* Kernel page tables: holds, and no free frame behind a kernel PTE. */
static void check_kernel_tables(struct checker *c)
{
    vmsim_kernel_t *k = c->k;
    c->expected[k->zero_pfn]++;
    for (unsigned i = 0; i < VMM_KERNEL_SLOTS; i++) {
        if (!reference(c, 0, (VMM_KERNEL_FIRST + i) << 22, k->kpt_pfn[i]) ||
            !read_frame(c, k->kpt_pfn[i], c->table))
            continue;
        for (unsigned j = 0; j < 1024; j++) {
            uint32_t vaddr = ((VMM_KERNEL_FIRST + i) << 22) + j * VMM_PAGE;
            uint32_t pfn = vmm_entry_pfn(c->table[j]);
            if (!(c->table[j] & VMSIM_PTE_P))
                continue;
            if (vaddr == VMSIM_TEMP_SLOT1 || vaddr == VMSIM_TEMP_SLOT2)
                problem(c, VMSIM_CHECK_WINDOW, 0, vaddr, pfn, 0, c->table[j]);
            else if (pfn >= c->n_frames || !(frame(c, pfn)->flags & VMSIM_FRAME_ALLOCATED))
                problem(c, VMSIM_CHECK_FREE_MAPPED, 0, vaddr, pfn, 0, 1);
            else if (vaddr >= k->kernel_end)
                kernel_page(c, vaddr, c->table[j]);
        }
    }
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Each shared object holds its frames once, however many regions use it. */
static bool check_shm_holds(struct checker *c)
{
    vmsim_kernel_t *k = c->k;
    size_t n = 0, cap = 0;
    for (uint32_t pid = 1; pid < k->n_pids; pid++)
        if (k->procs[pid])
            cap += k->procs[pid]->n_regions;
    struct vmm_shm **objs = malloc((cap ? cap : 1) * sizeof *objs);
    if (!objs)
        return false;
    for (uint32_t pid = 1; pid < k->n_pids; pid++)
        for (uint32_t i = 0; k->procs[pid] && i < k->procs[pid]->n_regions; i++)
            if (k->procs[pid]->regions[i].shm)
                objs[n++] = k->procs[pid]->regions[i].shm;
    qsort(objs, n, sizeof *objs, cmp_ptr);
    for (size_t i = 0; i < n; i++) {
        if (i && objs[i] == objs[i - 1])
            continue;
        for (uint32_t p = 0; p < objs[i]->n_pages; p++) {
            uint32_t v = objs[i]->pfns[p];
            if ((v & VMM_SHM_SWAPPED) && c->slot_refs && (v & ~VMM_SHM_SWAPPED) <= swap_n_slots(k))
                c->slot_refs[v & ~VMM_SHM_SWAPPED]++;
            else if (v)
                reference(c, -1, 0, v);
        }
    }
    free(objs);
    return true;
}

static void check_frames(struct checker *c)
{
    const vmsim_pmm_t *p = c->k->pmm;
    for (uint32_t pfn = 0; pfn < c->n_frames; pfn++) {
        const struct pmm_frame *f = &p->frames[pfn];
        if (!(f->flags & VMSIM_FRAME_ALLOCATED))
            continue;
        c->rep->n_frames++;
        uint32_t want = (f->flags & VMSIM_FRAME_TAIL) ? 1 : c->expected[pfn];
        if (f->refcount != want)
            problem(c, want ? VMSIM_CHECK_REFCOUNT : VMSIM_CHECK_LEAK, -1, 0, pfn, want,
                    f->refcount);
        if (pfn != c->k->zero_pfn && f->n_rmap != c->mapped[pfn])
            problem(c, VMSIM_CHECK_RMAP, -1, 0, pfn, c->mapped[pfn], f->n_rmap);
    }
    uint32_t bad;
    if (vmsim_pmm_verify(p, &bad) != VMSIM_OK)
        problem(c, VMSIM_CHECK_PMM, -1, 0, bad, 0, 0);
}

/* The D bit of the PTE of s at vaddr, read over the bus. */
static bool pte_dirty(struct checker *c, const struct vmm_space *s, uint32_t vaddr)
{
    uint32_t pde = 0, pte = 0;
    vmsim_bus_read32(c->k->m, ((uint64_t)s->pd_pfn << 12) + (vaddr >> 22) * 4, &pde);
    if (!(pde & VMSIM_PTE_P))
        return false;
    vmsim_bus_read32(c->k->m, (uint64_t)(pde & ~0xfffu) + ((vaddr >> 12) & 1023) * 4, &pte);
    return vmm_holds_frame(pte) && (pte & VMSIM_PTE_D); /* PROT_NONE keeps D */
}

/* A clean swap-cache page must equal its slot. */
static void check_cached(struct checker *c, uint32_t slot, uint32_t pfn)
{
    vmsim_kernel_t *k = c->k;
    const vmsim_pmm_t *p = k->pmm;
    c->slot_refs[slot]++;
    if (pfn >= c->n_frames || k->pages[pfn].slot != slot || !k->pages[pfn].tracked) {
        problem(c, VMSIM_CHECK_SWAP_CACHE, -1, 0, pfn, slot,
                pfn < c->n_frames ? k->pages[pfn].slot : 0);
        return;
    }
    bool dirty = k->pages[pfn].dirty;
    for (uint32_t n = p->frames[pfn].rmap_head; n && !dirty; n = p->rmap_pool[n].next) {
        const struct vmm_space *s = vmm_space_find(k, p->rmap_pool[n].pid);
        dirty = s && pte_dirty(c, s, p->rmap_pool[n].vpn << 12);
    }
    if (dirty || !read_frame(c, pfn, (uint32_t *)c->page[0]) ||
        !swap_read_host(k, slot, c->page[1]))
        return;
    if (memcmp(c->page[0], c->page[1], VMM_PAGE) != 0)
        problem(c, VMSIM_CHECK_SWAP_CACHE, -1, 0, pfn, slot, 0);
}

/* Slots against the references counted, the policy against the pages. */
static void check_swap(struct checker *c)
{
    vmsim_kernel_t *k = c->k;
    if (!k->swap)
        return;
    for (uint32_t slot = 1; slot <= swap_n_slots(k); slot++) {
        uint32_t pfn = swap_cache_pfn(k, slot);
        if (pfn)
            check_cached(c, slot, pfn);
        if (swap_count(k, slot) != c->slot_refs[slot])
            problem(c, VMSIM_CHECK_SWAP_SLOT, -1, 0, pfn, c->slot_refs[slot], swap_count(k, slot));
    }
    uint32_t n = 0;
    const unsigned not_user = VMSIM_FRAME_KERNEL | VMSIM_FRAME_PAGE_TABLE | VMSIM_FRAME_ZERO;
    for (uint32_t pfn = 0; pfn < c->n_frames; pfn++) {
        bool tracked = k->pages[pfn].tracked;
        unsigned flags = frame(c, pfn)->flags;
        bool user = (flags & VMSIM_FRAME_ALLOCATED) && !(flags & not_user);
        bool policy = k->policy->tracks ? k->policy->tracks(k, k->policy_state, pfn) : tracked;
        n += tracked;
        if (tracked != policy || (tracked && !user))
            problem(c, VMSIM_CHECK_POLICY, -1, 0, pfn, tracked, policy);
    }
    if (n != k->n_tracked)
        problem(c, VMSIM_CHECK_POLICY, -1, 0, 0, n, k->n_tracked);
    uint32_t swapped = 0;
    for (uint32_t pid = 1; pid < k->n_pids; pid++)
        swapped += k->procs[pid] ? k->procs[pid]->swapped : 0;
    if (swapped != k->st.swapped_pages)
        problem(c, VMSIM_CHECK_ACCOUNTING, -1, 0, 0, swapped, k->st.swapped_pages);
}

static void check_tlb_entry(struct checker *c, int id, const vmsim_tlb_entry_t *e)
{
    vmsim_translation_t t;
    vmsim_pid_t pid = c->k->current ? c->k->current->pid : 0;
    c->rep->n_tlb_entries++;
    vmsim_translate(c->k->m, VMSIM_READ, VMSIM_SUPERVISOR, e->vaddr, &t);
    uint64_t base = t.outcome == VMSIM_OUTCOME_OK ? t.paddr & ~(uint64_t)(t.page_size - 1) : 0;
    bool leaf_dirty = t.n_steps && (t.steps[t.n_steps - 1].value & VMSIM_PTE_D);
    bool stale = t.outcome != VMSIM_OUTCOME_OK || base != e->paddr || t.page_size != e->page_size ||
                 (e->writable && !t.writable) || (e->user && !t.user) || (e->dirty && !leaf_dirty);
    if (!stale)
        return;
    problem(c, VMSIM_CHECK_STALE_TLB, pid, e->vaddr, (uint32_t)(e->paddr >> 12), base, e->paddr);
    if (c->rep->n_stored && c->rep->problems[c->rep->n_stored - 1].kind == VMSIM_CHECK_STALE_TLB) {
        vmsim_check_problem_t *p = &c->rep->problems[c->rep->n_stored - 1];
        p->tlb = id;
        p->tlb_rights = VMSIM_CHECK_RIGHT_MAPPED | (e->writable ? VMSIM_CHECK_RIGHT_WRITABLE : 0) |
                        (e->user ? VMSIM_CHECK_RIGHT_USER : 0) |
                        (e->dirty ? VMSIM_CHECK_RIGHT_DIRTY : 0);
        if (t.outcome == VMSIM_OUTCOME_OK)
            p->table_rights =
                VMSIM_CHECK_RIGHT_MAPPED | (t.writable ? VMSIM_CHECK_RIGHT_WRITABLE : 0) |
                (t.user ? VMSIM_CHECK_RIGHT_USER : 0) | (leaf_dirty ? VMSIM_CHECK_RIGHT_DIRTY : 0);
    }
}

static void check_tlbs(struct checker *c)
{
    const vmsim_config_t *cfg = vmsim_get_config(c->k->m);
    for (int id = VMSIM_DTLB; id <= VMSIM_STLB_1G; id++) { /* L1s, the STLB and its 1 GiB array */
        if (id == VMSIM_ITLB && !cfg->split_tlb)
            continue; /* the unified TLB is the DTLB */
        uint32_t size = vmsim_tlb_size(c->k->m, (vmsim_tlb_id_t)id);
        for (uint32_t i = 0; i < size; i++) {
            vmsim_tlb_entry_t e;
            if (vmsim_tlb_entry(c->k->m, (vmsim_tlb_id_t)id, i, &e) == VMSIM_OK && e.valid)
                check_tlb_entry(c, id, &e);
        }
    }
}

vmsim_status_t vmsim_check(vmsim_kernel_t *k, vmsim_check_report_t *report)
{
    vmsim_check_report_t local;
    struct checker *c;
    if (!k)
        return VMSIM_ERR_NULL;
    if (!report)
        report = &local;
    memset(report, 0, sizeof *report);
    c = calloc(1, sizeof *c);
    if (!c)
        return VMSIM_ERR_NOMEM;
    c->k = k;
    c->rep = report;
    c->n_frames = k->pmm->n_frames;
    c->expected = calloc(c->n_frames, sizeof *c->expected);
    c->mapped = calloc(c->n_frames, sizeof *c->mapped);
    if (k->swap && !(c->slot_refs = calloc(swap_n_slots(k) + 1, sizeof *c->slot_refs)))
        c->mapped = (free(c->mapped), NULL);
    c->kc = kmem_check_begin(k, kmem_problem, c);
    bool ok = c->expected && c->mapped && c->kc && read_frame(c, k->kspace.pd_pfn, c->kpd);
    if (ok) {
        check_kernel_tables(c);
        kmem_check_end(c->kc);
        c->kc = NULL;
        check_space(c, &k->kspace);
        for (uint32_t pid = 1; pid < k->n_pids; pid++)
            if (k->procs[pid])
                check_space(c, k->procs[pid]);
        ok = check_shm_holds(c);
    }
    if (ok) {
        check_frames(c);
        check_swap(c);
        check_tlbs(c);
    }
    kmem_check_abort(c->kc);
    free(c->expected);
    free(c->mapped);
    free(c->slot_refs);
    free(c);
    if (!ok)
        return VMSIM_ERR_NOMEM;
    return report->n_problems ? VMSIM_ERR_CORRUPT : VMSIM_OK;
}

const char *vmsim_check_kind_text(vmsim_check_kind_t kind)
{
    switch (kind) {
    case VMSIM_CHECK_REFCOUNT: return "frame refcount differs from its mappings plus kernel holds";
    case VMSIM_CHECK_FREE_MAPPED: return "a free (or invalid) frame is mapped";
    case VMSIM_CHECK_LEAK: return "an allocated frame or page table nobody maps or holds";
    case VMSIM_CHECK_KERNEL_HALF: return "kernel-half PDE differs from the kernel's directory";
    case VMSIM_CHECK_RECURSIVE: return "PD slot 1023 does not point at the directory itself";
    case VMSIM_CHECK_WINDOW: return "foreign window or temp slot maps something it should not";
    case VMSIM_CHECK_STALE_TLB: return "TLB entry disagrees with the page tables (missing INVLPG)";
    case VMSIM_CHECK_COW_WRITABLE: return "writable PTE to a private frame that others also map";
    case VMSIM_CHECK_OUTSIDE_REGION: return "PTE outside any committed region";
    case VMSIM_CHECK_PROTECTION: return "PTE rights differ from its region's protection";
    case VMSIM_CHECK_PAGE_TABLE: return "PDE points at a frame not flagged as a page table";
    case VMSIM_CHECK_RMAP: return "reverse map disagrees with the page tables";
    case VMSIM_CHECK_PMM: return "frame allocator inconsistent with itself";
    case VMSIM_CHECK_ACCOUNTING: return "per-process counters disagree with the page tables";
    case VMSIM_CHECK_KMEM_MAPPING:
        return "kernel heap / vmalloc PTE disagrees with the slab and area allocators";
    case VMSIM_CHECK_KMEM_FREELIST: return "slab free list (in RAM) disagrees with its bookkeeping";
    case VMSIM_CHECK_KMEM_REDZONE: return "slab red zone overwritten (overflow or underflow)";
    case VMSIM_CHECK_KMEM_POISON: return "free slab object written after free (poison damaged)";
    case VMSIM_CHECK_KMEM_ACCOUNTING: return "slab or area counters disagree with their contents";
    case VMSIM_CHECK_SWAP_SLOT:
        return "swap slot count differs from the swap entries and holds naming it";
    case VMSIM_CHECK_SWAP_CACHE: return "swap-cache page is not a clean copy of its slot";
    case VMSIM_CHECK_LOCKED: return "a page of an mlocked region is not resident";
    case VMSIM_CHECK_POLICY: return "replacement policy disagrees with the resident user pages";
    default: return "unknown problem";
    }
}
