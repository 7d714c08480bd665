/*
 * vmalloc.c - kernel areas: page-granular memory in the vmalloc range
 * [0xD0000000, 0xEFFFF000), backed by frames now or on first touch, with
 * an optional guard page.
 *
 *   vmsim_vmalloc(k, 10000, VMSIM_VM_GUARD, &a)       3 pages + guard
 *
 *     a = D0004000   D0005000   D0006000   D0007000   D0008000
 *         +----------+----------+----------+----------+
 *         | frame 812| frame 813| frame 814|  guard   |  next area ...
 *         +----------+----------+----------+----------+
 *           PTE P RW G for each data page;  the guard's PTE stays 0, so an
 *           overflow faults (VMSIM_KFAULT_GUARD, a kernel error as data)
 *
 *   vmsim_vmalloc(k, 4 * 4096, VMSIM_VM_DEMAND, &b)  no frame yet:
 *
 *     supervisor write b + 0x1008
 *       -> #PF (not present) -> vmm_fault_handler -> vmalloc_fault():
 *          area found, not a guard page -> fresh frame, PTE, zero it
 *          through its new mapping -> retry -> OK   (VMSIM_KFAULT_VMALLOC)
 *
 * The range is bookkept by an area arena (area.c).  Backing goes through
 * kpages.c, which knows which INVLPGs a change needs: none to map (the
 * PTEs were not present), one per accessed page to unmap.  An immediate
 * area is zeroed through its own mapping after every page is mapped, so a
 * failure half-way is undone without INVLPGs and nothing leaks.
 *
 * A large kmalloc (above VMSIM_KMALLOC_MAX) is an immediate area marked
 * AREA_KMALLOC: kfree frees it, vfree refuses it, and the other way
 * round.  A fault in a freed area, or in no area, is VMSIM_KFAULT_KERNEL.
 */
#include "kmem_internal.h"

#include <stdlib.h>
#include <string.h>

vmsim_status_t vmalloc_area(vmsim_kernel_t *k, uint32_t size, unsigned flags, struct area **out)
{
    struct kmem *km = k->kmem;
    uint64_t n_pages = ((uint64_t)size + VMM_PAGE - 1) / VMM_PAGE + ((flags & VMSIM_VM_GUARD) != 0);
    struct area *ar = NULL;
    vmsim_status_t rc = n_pages > UINT32_MAX ? VMSIM_ERR_NO_SPACE
                                             : area_alloc(&km->vmalloc, (uint32_t)n_pages, &ar);
    if (rc == VMSIM_OK) {
        ar->flags |= flags & (AREA_VM_MASK | AREA_KMALLOC);
        ar->size = size;
        if (!(flags & VMSIM_VM_DEMAND)) {
            uint32_t data = area_data_pages(ar);
            rc = kpages_map(k, ar->start, data);
            if (rc) {
                area_release(&km->vmalloc, ar);
            } else {
                vmm_fill(k, ar->start, 0, (size_t)data * VMM_PAGE);
                ar->n_backed = data;
                km->va.pages_backed += data;
            }
        }
    }
    if (rc) {
        km->va.failed_allocs++;
        return rc;
    }
    km->va.allocs++;
    km->va.bytes_requested += size;
    km->va.guard_pages += (flags & VMSIM_VM_GUARD) != 0;
    *out = ar;
    return VMSIM_OK;
}

void vmalloc_release(vmsim_kernel_t *k, struct area *ar)
{
    struct kmem *km = k->kmem;
    uint32_t n_inv = 0;
    uint32_t freed = kpages_unmap(k, ar->start, area_data_pages(ar), &n_inv);
    km->va.pages_backed -= freed;
    km->va.invlpgs += n_inv;
    km->va.frees++;
    km->va.bytes_requested -= ar->size;
    km->va.guard_pages -= (ar->flags & VMSIM_VM_GUARD) != 0;
    area_release(&km->vmalloc, ar);
}

vmsim_kfault_kind_t vmalloc_fault(vmsim_kernel_t *k, const vmsim_fault_t *f, vmsim_status_t *rc)
{
    struct kmem *km = k->kmem;
    uint32_t page = f->cr2 & ~0xfffu;
    struct area *ar = area_find(&km->vmalloc, page);
    *rc = VMSIM_ERR_KERNEL;
    if (!ar)
        return VMSIM_KFAULT_KERNEL; /* never allocated, or freed */
    if ((ar->flags & VMSIM_VM_GUARD) && page == area_end(ar) - VMM_PAGE)
        return VMSIM_KFAULT_GUARD;
    if (kpages_pte(k, page) & VMSIM_PTE_P) {
        *rc = VMSIM_OK;
        return VMSIM_KFAULT_SPURIOUS;
    }
    if (!(ar->flags & VMSIM_VM_DEMAND))
        return VMSIM_KFAULT_KERNEL; /* an immediate area lost a page: a kernel bug */
    *rc = kpages_map(k, page, 1);
    if (*rc) {
        *rc = VMSIM_ERR_NO_FRAMES;
        return VMSIM_KFAULT_OOM;
    }
    vmm_fill(k, page, 0, VMM_PAGE);
    ar->n_backed++;
    km->va.pages_backed++;
    km->va.demand_faults++;
    return VMSIM_KFAULT_VMALLOC;
}

/* --- the public API ---------------------------------------------------------- */

vmsim_status_t vmsim_vmalloc(vmsim_kernel_t *k, uint32_t size, unsigned flags, uint32_t *addr)
{
    if (!k || !addr)
        return VMSIM_ERR_NULL;
    *addr = 0;
    if (size == 0 || (flags & ~AREA_VM_MASK))
        return VMSIM_ERR_INVALID;
    struct area *ar = NULL;
    vmm_enter(k);
    vmsim_status_t rc = vmalloc_area(k, size, flags, &ar);
    rc = vmm_leave(k, rc);
    if (rc == VMSIM_OK)
        *addr = ar->start;
    return rc;
}

/* Why vfree(addr) is refused, counted; VMSIM_OK when it is not. */
static vmsim_status_t vfree_refusal(struct kmem *km, const struct area *ar, uint32_t addr)
{
    if (ar && ar->start == addr && !(ar->flags & AREA_KMALLOC))
        return VMSIM_OK;
    if (!ar)
        km->invalid_frees++; /* never allocated, or already freed: they look alike */
    else if (ar->start != addr)
        km->interior_frees++;
    else
        km->mismatched_frees++;
    km->va.bad_frees++;
    return VMSIM_ERR_BAD_FREE;
}

vmsim_status_t vmsim_vfree(vmsim_kernel_t *k, uint32_t addr)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if (addr == 0)
        return VMSIM_OK;
    struct area *ar = area_find(&k->kmem->vmalloc, addr);
    vmsim_status_t rc = vfree_refusal(k->kmem, ar, addr);
    if (rc)
        return rc;
    vmm_enter(k);
    vmalloc_release(k, ar);
    return vmm_leave(k, VMSIM_OK);
}

vmsim_status_t vmsim_area_set_fit(vmsim_kernel_t *k, vmsim_area_fit_t fit)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if ((unsigned)fit > VMSIM_FIT_BEST)
        return VMSIM_ERR_INVALID;
    k->kmem->vmalloc.fit = fit;
    k->kmem->vmalloc.rover = NULL;
    return VMSIM_OK;
}

static int by_start(const void *a, const void *b)
{
    uint32_t x = (*(const struct area *const *)a)->start;
    uint32_t y = (*(const struct area *const *)b)->start;
    return x < y ? -1 : x > y;
}

static void describe(const struct area *ar, vmsim_area_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->start = ar->start;
    out->n_pages = ar->n_pages;
    out->used = ar->flags & AREA_USED;
    out->size = ar->size;
    out->guard = ar->flags & VMSIM_VM_GUARD;
    out->demand = ar->flags & VMSIM_VM_DEMAND;
    out->kmalloc = ar->flags & AREA_KMALLOC;
    out->pages_backed = ar->n_backed;
}

vmsim_status_t vmsim_area_list(const vmsim_kernel_t *k, vmsim_area_info_t *out, uint32_t max,
                               uint32_t *n_total)
{
    if (!k || (!out && max))
        return VMSIM_ERR_NULL;
    const struct area_arena *a = &k->kmem->vmalloc;
    uint32_t n = a->n_used + a->n_free, i = 0;
    const struct area **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return VMSIM_ERR_NOMEM;
    for (const struct area *ar = a->free_list; ar; ar = ar->next)
        all[i++] = ar;
    for (const struct area *ar = a->used_list; ar; ar = ar->next)
        all[i++] = ar;
    qsort(all, n, sizeof *all, by_start);
    for (i = 0; i < n && i < max; i++)
        describe(all[i], &out[i]);
    free(all);
    if (n_total)
        *n_total = n;
    return VMSIM_OK;
}

vmsim_status_t vmsim_area_stats(const vmsim_kernel_t *k, vmsim_area_stats_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    const struct kmem *km = k->kmem;
    const struct area_arena *a = &km->vmalloc;
    memset(out, 0, sizeof *out);
    out->n_areas = a->n_used;
    out->n_free_areas = a->n_free;
    out->bytes_used = a->pages_used * VMM_PAGE;
    out->bytes_requested = km->va.bytes_requested;
    out->bytes_free = a->pages_free * VMM_PAGE;
    out->largest_free = (uint64_t)area_largest_free(a) * VMM_PAGE;
    if (out->bytes_free)
        out->external_fragmentation = 1.0 - (double)out->largest_free / (double)out->bytes_free;
    out->pages_backed = km->va.pages_backed;
    out->guard_pages = km->va.guard_pages;
    out->allocs = km->va.allocs;
    out->frees = km->va.frees;
    out->failed_allocs = km->va.failed_allocs;
    out->bad_frees = km->va.bad_frees;
    out->demand_faults = km->va.demand_faults;
    out->invlpgs = km->va.invlpgs;
    out->fit = a->fit;
    return VMSIM_OK;
}
