/*
 * vmsim/base.h - what every part of libvmsim shares: the machine handle,
 * status codes, and the export macro.
 *
 * Every public function returns a vmsim_status_t (or, where it cannot
 * fail, a plain value).  VMSIM_OK is zero, so `if (rc) ...` tests for
 * any error; vmsim_strerror() turns a code into a sentence a student can
 * act on.  Nothing in the library prints, exits or aborts.
 */
#ifndef VMSIM_BASE_H
#define VMSIM_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(VMSIM_STATIC_DEFINE)
#define VMSIM_API
#elif defined(VMSIM_BUILDING_LIBRARY) && defined(__GNUC__)
#define VMSIM_API __attribute__((visibility("default")))
#else
#define VMSIM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIM_VERSION_MAJOR 0
#define VMSIM_VERSION_MINOR 1
#define VMSIM_VERSION_PATCH 0
#define VMSIM_VERSION_STRING "0.1.0"

/* The emulated machine: RAM, MMU registers, TLBs, statistics.  Opaque;
 * create it with vmsim_create() and free it with vmsim_destroy().  Two
 * machines never share state, so each thread may drive its own. */
typedef struct vmsim_machine vmsim_machine_t;

/* A linear (virtual) address.  64 bits wide in every mode: in IA-32e
 * paging all 64 bits count (and must be canonical); with paging off, in
 * 32-bit and in PAE paging the upper 32 bits must be zero. */
typedef uint64_t vmsim_vaddr_t;

typedef enum vmsim_status {
    VMSIM_OK = 0,
    VMSIM_ERR_PAGE_FAULT,  /* the access faulted; the fault is in the result / vmsim_last_fault() */
    VMSIM_ERR_BUS,         /* a physical address outside simulated RAM was reached */
    VMSIM_ERR_GP,          /* #GP: a refused register load or INVPCID, a non-canonical address */
    VMSIM_ERR_NULL,        /* a required pointer or handle argument was NULL */
    VMSIM_ERR_INVALID,     /* an argument is out of range (size, alignment, register, policy...) */
    VMSIM_ERR_NOMEM,       /* the host ran out of memory */
    VMSIM_ERR_NO_FRAMES,   /* simulated RAM has no free frame left */
    VMSIM_ERR_SEGV,        /* a process touched memory it has no right to */
    VMSIM_ERR_KERNEL,      /* the simulated kernel hit a fault it cannot resolve */
    VMSIM_ERR_NOT_FOUND,   /* no such process, region, object or entry */
    VMSIM_ERR_BUSY,        /* the object is in use (e.g. destroying the current address space) */
    VMSIM_ERR_BAD_FREE,    /* double free, interior pointer, never allocated, cache mismatch */
    VMSIM_ERR_NO_SPACE,    /* no free virtual range large enough */
    VMSIM_ERR_CORRUPT,     /* a debugging check found corrupted state */
    VMSIM_ERR_UNSUPPORTED, /* the feature is not modelled */
    VMSIM_ERR_IO,          /* a host file or stream could not be read or written */
    VMSIM_ERR_NO_SWAP,     /* a page had to be swapped out and the swap device is full */
    VMSIM_STATUS_COUNT
} vmsim_status_t;

/* A short English sentence for `status` (never NULL; unknown codes get a
 * generic sentence). */
VMSIM_API const char *vmsim_strerror(vmsim_status_t status);

/* The symbolic name of `status` ("VMSIM_ERR_BUS"), for logs and tests. */
VMSIM_API const char *vmsim_status_name(vmsim_status_t status);

/* The library's version string, e.g. "0.1.0". */
VMSIM_API const char *vmsim_version(void);

#ifdef __cplusplus
}
#endif
#endif
