/*
 * btrace.h - libvmsim's binary trace format (docs/trace-format.md).
 *
 * A binary trace is a lackey trace already parsed and folded (fold.h),
 * so replaying it is a copy of 5 bytes per access:
 *
 *     offset 0      header, 64 bytes, little-endian
 *            64     region table: n_regions x 16 bytes
 *                   (u32 slot, u32 zero, u64 program chunk number)
 *            ...    zero padding
 *     data_offset   units of 5 bytes: u32 folded address, u8 meta
 *
 *     meta = size << 2 | kind      size 1..63, kind fetch/load/store/modify
 *     meta = 0 << 2 | escape       escape 0 SIZE:   u32 is the size (64..4096)
 *                                                   of the next unit (whose
 *                                                   own size field is 63)
 *                                  escape 1 SPLIT:  the next access continues
 *                                                   in another region
 *                                  escape 2 REGION: u32 is the base of a new
 *                                                   region entered here
 *
 * The header counts the units and the accesses of each kind, so a file
 * cut short is detected; the region table (every region, in the order
 * the trace enters them) lets --populate map the whole footprint before
 * the first access and recovers every program address.
 */
#ifndef VMSIM_TOOLS_BTRACE_H
#define VMSIM_TOOLS_BTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fold.h"
#include "trace_io.h"
#include "trace_types.h"

#define BTRACE_MAGIC "VMSIMTRC"
#define BTRACE_VERSION 1u
#define BTRACE_HEADER 64u
#define BTRACE_DATA_OFFSET 16384u  /* where the writer puts the first unit */
#define BTRACE_UNIT 5u
#define BTRACE_UNFINISHED UINT64_MAX /* n_units of a file still being written */

enum btrace_escape { BTRACE_ESC_SIZE = 0, BTRACE_ESC_SPLIT = 1, BTRACE_ESC_REGION = 2 };

struct btrace_header {
    uint32_t version;
    uint32_t data_offset;
    uint64_t n_units;
    uint64_t n_access[TRACE_KINDS];
    uint32_t n_regions;
    uint32_t flags;
    uint32_t slot[FOLD_LAST_SLOT];      /* region table, in order of entry */
    uint64_t chunk[FOLD_LAST_SLOT];
};

struct btrace_reader {
    struct trace_input *in;
    struct btrace_header h;
    uint8_t *buf;
    size_t pos, end;
    uint64_t units;          /* units decoded so far */
    uint32_t pending_size;   /* from a SIZE escape, 0 if none */
    uint8_t pending_flags;   /* from a SPLIT escape */
    bool in_split;           /* the last access unit was a split's first piece */
    uint8_t split_kind;      /* ... of this kind: the next access unit is its rest */
    bool at_eof;
    char err[320];
};

/* Does `magic` (at least 8 bytes) start a binary trace? */
bool btrace_is_binary(const void *magic, size_t len);

/* Read and check the header.  Returns 0, 2 (not a valid binary trace,
 * br->err says why), 1 (input error or no memory). */
int btrace_open(struct btrace_reader *br, struct trace_input *in);

/* Decode up to `max` items.  Returns 0 with *n items (0 at the end),
 * 2 for bad or truncated data, 1 for an input error; br->err says what. */
int btrace_next(struct btrace_reader *br, struct trace_access *out, size_t max, size_t *n);

void btrace_close(struct btrace_reader *br);

struct btrace_writer {
    FILE *f;
    const char *name;
    uint8_t *buf;
    size_t len;
    uint64_t n_units;
    uint64_t n_access[TRACE_KINDS];
    bool prev_split;
    bool own_file; /* opened by btrace_create, closed by finish/abandon */
    char err[320];
};

/* Create `path` (a regular file: its header is written last).  Returns
 * 0, or -1 with w->err. */
int btrace_create(struct btrace_writer *w, const char *path);

/* Write to `f`, open for writing and seekable (a regular file), which
 * the caller closes: finish and abandon only flush it.  Returns 0, or -1
 * with w->err (out of memory). */
int btrace_create_on(struct btrace_writer *w, FILE *f, const char *name);

/* Append items.  Returns 0, or -1 with w->err (write error). */
int btrace_write(struct btrace_writer *w, const struct trace_access *a, size_t n);

/* Flush, write the header with the region table of `f`, close (or
 * flush, with btrace_create_on).
 * Returns 0, or -1 with w->err. */
int btrace_finish(struct btrace_writer *w, const struct fold *f);

/* Close (or flush) without finishing (the file stays marked unfinished). */
void btrace_abandon(struct btrace_writer *w);

#endif
