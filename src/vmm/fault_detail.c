/*
 * fault_detail.c - what to tell a newcomer when the kernel gives up on a
 * page fault.
 *
 * A failed access returns VMSIM_ERR_SEGV or VMSIM_ERR_KERNEL, and
 * vmsim_kernel_last_fault() has the numbers; this file puts them in a
 * sentence that also says the usual cause and the call that fixes it,
 * into the machine's error detail (vmsim_error_detail()).  The commonest
 * one: a user-mode access while no process is current, which runs on the
 * kernel's own address space, where no user page is mapped.
 */
#include "vmm_internal.h"

#include "../mmu/detail.h"

#include <inttypes.h>

static const char *access_name(const vmsim_kfault_t *f)
{
    if (f->access == VMSIM_FETCH)
        return "fetch";
    return f->access == VMSIM_WRITE ? "write" : "read";
}

void vmm_fault_detail(vmsim_kernel_t *k, const vmsim_kfault_t *f)
{
    const char *mode = f->mode == VMSIM_USER ? "user" : "supervisor";
    switch (f->kind) {
    case VMSIM_KFAULT_SEGV:
        if (!f->pid && f->cr2 < VMSIM_USER_END)
            mmu_detail(k->m, f->status,
                       "no current process: call vmsim_proc_switch() first (the %s %s at "
                       "0x%" PRIx32 " ran on the kernel's address space, which maps no user page)",
                       mode, access_name(f), f->cr2);
        else
            mmu_detail(k->m, f->status,
                       "pid %d: the %s %s at 0x%" PRIx32 " (error code 0x%" PRIx32
                       ") is outside every region or against its protection: vmsim_mmap() or "
                       "vmsim_mprotect() first",
                       (int)f->pid, mode, access_name(f), f->cr2, f->error_code);
        break;
    case VMSIM_KFAULT_KERNEL:
        mmu_detail(k->m, f->status,
                   "the supervisor %s at 0x%" PRIx32 " (error code 0x%" PRIx32
                   ") faulted where the kernel maps nothing it can supply",
                   access_name(f), f->cr2, f->error_code);
        break;
    case VMSIM_KFAULT_GUARD:
        mmu_detail(k->m, f->status,
                   "the supervisor %s at 0x%" PRIx32 " hit a vmalloc guard page: an access "
                   "past the end (or before the start) of a vmalloc area",
                   access_name(f), f->cr2);
        break;
    case VMSIM_KFAULT_OOM:
        mmu_detail(k->m, f->status,
                   "the fault at 0x%" PRIx32 " needed a frame and simulated RAM has none "
                   "left (a larger ram_bytes in vmsim_config_t, or fewer pages)",
                   f->cr2);
        break;
    default: break;
    }
}
