/*
 * uaccess.c - the host program reads and writes a process's memory.
 *
 * Every access goes through the MMU and TLB like the program's own: the
 * process is made current (a context switch, counted in the kernel bank,
 * when it is not), the access is made in the requested mode, and page
 * faults go to the kernel's handler, which resolves them and has the MMU
 * retry.  What the handler refuses comes back as a status:
 *
 *   user mode         VMSIM_ERR_SEGV         outside a region, against
 *                                            its protection, reserved
 *   supervisor mode   VMSIM_ERR_KERNEL       the same, by the kernel
 *   either            VMSIM_ERR_NO_FRAMES    demand paging ran dry
 *
 * The MMU restarts an access after each fault the handler resolves, once
 * per page it touches, so a value that straddles two untouched pages is
 * one access.  Byte ranges go page by page, like a string instruction.
 *
 * A supervisor-mode access here is the kernel acting for the process (a
 * system call's copy_to_user), so its pointer is the process's and must
 * be checked first, as Linux's access_ok does: the whole range must lie
 * below VMSIM_USER_END without wrapping, else VMSIM_ERR_KERNEL and not a
 * byte moves.  Without the check a process could pass 0xFFC00000 and
 * have the kernel rewrite its own page tables.  User-mode accesses need
 * no such check: the MMU refuses the kernel half to CPL 3 by itself.
 */
#include "vmm_internal.h"

#include <inttypes.h>
#include <string.h>

#include "../mmu/detail.h"

/* Make pid current; statistics of the switch go to the kernel bank. */
static vmsim_status_t enter_process(vmsim_kernel_t *k, vmsim_pid_t pid)
{
    struct vmm_space *s = vmm_space_find(k, pid);
    if (!s)
        return VMSIM_ERR_NOT_FOUND;
    vmm_enter(k);
    vmm_switch(k, s);
    return vmm_leave(k, VMSIM_OK);
}

/* access_ok: [vaddr, vaddr + len) lies wholly in user space. */
static bool user_range_ok(uint32_t vaddr, size_t len)
{
    return len <= VMSIM_USER_END && vaddr <= VMSIM_USER_END - len;
}

/* The pointer check of a supervisor access made for the process. */
static bool pointer_refused(vmsim_mode_t mode, uint32_t vaddr, size_t len)
{
    return mode == VMSIM_SUPERVISOR && !user_range_ok(vaddr, len);
}

/* Turn an MMU status into the kernel's verdict. */
static vmsim_status_t verdict(const vmsim_kernel_t *k, vmsim_mode_t mode, vmsim_status_t rc)
{
    if (rc != VMSIM_ERR_PAGE_FAULT)
        return rc;
    const vmsim_kfault_t *f = &k->last_fault;
    if (f->status == VMSIM_ERR_SEGV)
        mmu_detail(k->m, f->status,
                   "pid %d: the %s access at 0x%" PRIx32 " faulted (error code 0x%" PRIx32
                   ") and no region allows it: vmsim_mmap() or vmsim_mprotect() first",
                   (int)f->pid, f->mode == VMSIM_USER ? "user" : "supervisor", f->cr2,
                   f->error_code);
    if (f->status != VMSIM_OK)
        return f->status;
    return mode == VMSIM_USER ? VMSIM_ERR_SEGV : VMSIM_ERR_KERNEL;
}

static vmsim_status_t value_access(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_access_t access,
                                   vmsim_mode_t mode, uint32_t vaddr, void *buf, unsigned size)
{
    vmsim_bank_t saved;
    vmsim_status_t rc = enter_process(k, pid);
    if (rc)
        return rc;
    if (pointer_refused(mode, vaddr, size))
        return VMSIM_ERR_KERNEL;
    vmsim_set_stats_bank(k->m, mode == VMSIM_USER ? VMSIM_BANK_PROGRAM : VMSIM_BANK_KERNEL, &saved);
    rc = vmsim_access(k->m, access, mode, vaddr, buf, size, NULL);
    vmsim_set_stats_bank(k->m, saved, NULL);
    return verdict(k, mode, rc);
}

vmsim_status_t vmsim_proc_load(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                               uint32_t vaddr, unsigned size, uint64_t *out)
{
    uint64_t v = 0;
    if (!k || !out)
        return VMSIM_ERR_NULL;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = value_access(k, pid, VMSIM_READ, mode, vaddr, &v, size);
    if (rc == VMSIM_OK)
        *out = v;
    return rc;
}

vmsim_status_t vmsim_proc_store(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                uint32_t vaddr, unsigned size, uint64_t value)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return VMSIM_ERR_INVALID;
    return value_access(k, pid, VMSIM_WRITE, mode, vaddr, &value, size);
}

enum range_op { RANGE_READ, RANGE_WRITE };

static vmsim_status_t range_access(vmsim_kernel_t *k, vmsim_pid_t pid, enum range_op op,
                                   vmsim_mode_t mode, uint32_t vaddr, void *buf, size_t len,
                                   size_t *n_done)
{
    vmsim_bank_t saved;
    if (n_done)
        *n_done = 0;
    if (!k || (!buf && len))
        return VMSIM_ERR_NULL;
    if ((unsigned)mode > VMSIM_USER)
        return VMSIM_ERR_INVALID;
    vmsim_status_t rc = enter_process(k, pid);
    if (rc)
        return rc;
    if (pointer_refused(mode, vaddr, len))
        return VMSIM_ERR_KERNEL;
    vmsim_set_stats_bank(k->m, mode == VMSIM_USER ? VMSIM_BANK_PROGRAM : VMSIM_BANK_KERNEL, &saved);
    if (op == RANGE_READ)
        rc = vmsim_read_bytes(k->m, mode, vaddr, buf, len, n_done);
    else
        rc = vmsim_write_bytes(k->m, mode, vaddr, buf, len, n_done);
    vmsim_set_stats_bank(k->m, saved, NULL);
    return verdict(k, mode, rc);
}

vmsim_status_t vmsim_proc_read(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                               uint32_t vaddr, void *buf, size_t len, size_t *n_done)
{
    return range_access(k, pid, RANGE_READ, mode, vaddr, buf, len, n_done);
}

vmsim_status_t vmsim_proc_write(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                uint32_t vaddr, const void *buf, size_t len, size_t *n_done)
{
    return range_access(k, pid, RANGE_WRITE, mode, vaddr, (void *)(uintptr_t)buf, len, n_done);
}

vmsim_status_t vmsim_copy_from_user(vmsim_kernel_t *k, vmsim_pid_t pid, void *dst, uint32_t src,
                                    size_t len)
{
    return range_access(k, pid, RANGE_READ, VMSIM_SUPERVISOR, src, dst, len, NULL);
}

vmsim_status_t vmsim_copy_to_user(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t dst, const void *src,
                                  size_t len)
{
    return range_access(k, pid, RANGE_WRITE, VMSIM_SUPERVISOR, dst, (void *)(uintptr_t)src, len,
                        NULL);
}

vmsim_status_t vmsim_proc_read_string(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                      uint32_t vaddr, char *dst, size_t max)
{
    if (!k || !dst)
        return VMSIM_ERR_NULL;
    if (max == 0)
        return VMSIM_ERR_INVALID;
    for (size_t i = 0; i + 1 < max; i++) {
        uint64_t c = 0;
        vmsim_status_t rc = vmsim_proc_load(k, pid, mode, vaddr + (uint32_t)i, 1, &c);
        if (rc) {
            dst[i] = '\0';
            return rc;
        }
        dst[i] = (char)c;
        if (c == 0)
            return VMSIM_OK;
    }
    dst[max - 1] = '\0';
    return VMSIM_ERR_NO_SPACE;
}

vmsim_status_t vmsim_proc_write_string(vmsim_kernel_t *k, vmsim_pid_t pid, vmsim_mode_t mode,
                                       uint32_t vaddr, const char *src)
{
    if (!k || !src)
        return VMSIM_ERR_NULL;
    return vmsim_proc_write(k, pid, mode, vaddr, src, strlen(src) + 1, NULL);
}
