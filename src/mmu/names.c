/*
 * names.c - words and sentences for status codes, accesses, levels and
 * fault reasons, for tools and error messages.
 */
#include "vmsim/vmsim.h"

static const struct {
    const char *name;
    const char *text;
} statuses[VMSIM_STATUS_COUNT] = {
    [VMSIM_OK] = {"VMSIM_OK", "success"},
    [VMSIM_ERR_PAGE_FAULT] = {"VMSIM_ERR_PAGE_FAULT", "page fault: see the fault's CR2 and error code"},
    [VMSIM_ERR_BUS] = {"VMSIM_ERR_BUS", "bus error: physical address outside simulated RAM"},
    [VMSIM_ERR_GP] = {"VMSIM_ERR_GP", "general protection (#GP): the CPU refuses this register "
                                      "value, INVPCID operand or non-canonical address"},
    [VMSIM_ERR_NULL] = {"VMSIM_ERR_NULL", "a required pointer or handle is NULL"},
    [VMSIM_ERR_INVALID] = {"VMSIM_ERR_INVALID", "invalid argument (size, alignment, range or name)"},
    [VMSIM_ERR_NOMEM] = {"VMSIM_ERR_NOMEM", "the host is out of memory"},
    [VMSIM_ERR_NO_FRAMES] = {"VMSIM_ERR_NO_FRAMES", "simulated RAM has no free frame"},
    [VMSIM_ERR_SEGV] = {"VMSIM_ERR_SEGV", "segmentation violation: address not mapped or not allowed"},
    [VMSIM_ERR_KERNEL] = {"VMSIM_ERR_KERNEL", "kernel error: a fault in kernel mode could not be resolved"},
    [VMSIM_ERR_NOT_FOUND] = {"VMSIM_ERR_NOT_FOUND", "no such object"},
    [VMSIM_ERR_BUSY] = {"VMSIM_ERR_BUSY", "the object is in use"},
    [VMSIM_ERR_BAD_FREE] = {"VMSIM_ERR_BAD_FREE", "bad free: double free, interior pointer or wrong cache"},
    [VMSIM_ERR_NO_SPACE] = {"VMSIM_ERR_NO_SPACE", "no free virtual range is large enough"},
    [VMSIM_ERR_CORRUPT] = {"VMSIM_ERR_CORRUPT", "a consistency check found corrupted state"},
    [VMSIM_ERR_UNSUPPORTED] = {"VMSIM_ERR_UNSUPPORTED", "this feature is not modelled"},
    [VMSIM_ERR_IO] = {"VMSIM_ERR_IO", "host input/output error"},
    [VMSIM_ERR_NO_SWAP] = {"VMSIM_ERR_NO_SWAP", "out of memory: no free frame and the swap device is full"},
};

const char *vmsim_strerror(vmsim_status_t status)
{
    if ((unsigned)status < VMSIM_STATUS_COUNT)
        return statuses[status].text;
    return "unknown status code";
}

const char *vmsim_status_name(vmsim_status_t status)
{
    if ((unsigned)status < VMSIM_STATUS_COUNT)
        return statuses[status].name;
    return "VMSIM_ERR_UNKNOWN";
}

const char *vmsim_version(void) { return VMSIM_VERSION_STRING; }

const char *vmsim_access_name(vmsim_access_t access)
{
    static const char *const names[] = {"read", "write", "fetch"};
    return (unsigned)access <= VMSIM_FETCH ? names[access] : "?";
}

const char *vmsim_mode_name(vmsim_mode_t mode)
{
    return mode == VMSIM_USER ? "user" : mode == VMSIM_SUPERVISOR ? "sup" : "?";
}

const char *vmsim_level_name(vmsim_level_t level)
{
    static const char *const names[] = {"PDPTE", "PDE", "PTE", "PML4E", "PML5E"};
    return level >= VMSIM_LEVEL_PDPTE && level <= VMSIM_LEVEL_PML5E ? names[level] : "-";
}

const char *vmsim_fault_reason_text(vmsim_fault_reason_t reason)
{
    switch (reason) {
    case VMSIM_WHY_NONE: return "no fault";
    case VMSIM_WHY_NOT_PRESENT: return "the entry is not present (P = 0)";
    case VMSIM_WHY_RESERVED: return "a reserved bit is set in the entry";
    case VMSIM_WHY_USER_TO_SUP: return "user-mode access to a supervisor page (U/S = 0 at some level)";
    case VMSIM_WHY_READ_ONLY: return "write to a read-only page (R/W = 0 at some level)";
    case VMSIM_WHY_SMEP: return "SMEP: supervisor fetch from a user page";
    case VMSIM_WHY_SMAP: return "SMAP: supervisor data access to a user page with AC = 0";
    case VMSIM_WHY_XD: return "execute-disable: fetch from a page with XD = 1";
    case VMSIM_WHY_PKEY: return "protection key: PKRU forbids this access to the page's key";
    }
    return "unknown reason";
}

const char *vmsim_paging_name(vmsim_paging_t paging)
{
    static const char *const names[] = {"off", "32-bit", "PAE", "4-level", "5-level"};
    return (unsigned)paging <= VMSIM_PAGING_5LEVEL ? names[paging] : "?";
}
