/*
 * trace_types.h - what every part of trace replay passes around.
 *
 * A trace is read as raw records (struct trace_rec: the program's own
 * 64-bit address), folded into the simulated process's 32-bit user space
 * (fold.h), and handed to the replay or the sweep as a stream of folded
 * items (struct trace_access):
 *
 *     FETCH / LOAD / STORE / MODIFY   one access of `size` bytes at vaddr
 *     REGION                          the trace enters a new 4 MiB region
 *                                     at vaddr: map it before going on
 *
 * An access that crosses a 4 MiB region boundary in the program's
 * address space lands in two regions that need not be adjacent after
 * folding, so it becomes two items: the first carries TRACE_SPLIT and
 * the next one (REGION items may come between) is the rest of the same
 * access.  Page-crossing inside a region is left to the consumer, which
 * knows the page size.
 */
#ifndef VMSIM_TOOLS_TRACE_TYPES_H
#define VMSIM_TOOLS_TRACE_TYPES_H

#include <stdint.h>

enum trace_kind {
    TRACE_FETCH = 0, /* lackey I: instruction fetch */
    TRACE_LOAD = 1,  /* lackey L: data read */
    TRACE_STORE = 2, /* lackey S: data write */
    TRACE_MODIFY = 3, /* lackey M: data read, then data write of the same bytes */
    TRACE_REGION = 4, /* folded stream only: a new region starts at vaddr */
    TRACE_KINDS = 4   /* number of access kinds */
};

#define TRACE_SPLIT 1u       /* flags: the next access item is the rest of this one */
#define TRACE_MAX_SIZE 4096u /* largest access a record may describe */

/* One record as the program made it. */
struct trace_rec {
    uint64_t addr;
    uint32_t size;
    uint32_t kind; /* enum trace_kind, never TRACE_REGION */
};

/* One item of the folded stream (8 bytes). */
struct trace_access {
    uint32_t vaddr;
    uint16_t size;
    uint8_t kind;  /* enum trace_kind */
    uint8_t flags; /* TRACE_SPLIT */
};

/* Short names: "fetch", "load", "store", "modify". */
const char *trace_kind_name(unsigned kind);

#endif
