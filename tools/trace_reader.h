/*
 * trace_reader.h - one interface over every trace a command accepts.
 *
 *     path or "-" --> trace_io (plain / gzip) --> sniff the first bytes
 *         "VMSIMTRC..."  binary trace (btrace.c): items come ready-folded
 *         anything else  lackey text (lackey.c), folded here (fold.c)
 *
 * Consumers (the replay, the sweep, convert) see only the folded stream
 * of trace_types.h, in batches.
 */
#ifndef VMSIM_TOOLS_TRACE_READER_H
#define VMSIM_TOOLS_TRACE_READER_H

#include "btrace.h"
#include "fold.h"
#include "lackey.h"

/* Items per batch a consumer should ask for (and at least 8). */
#define TRACE_BATCH 4096u

struct trace_reader {
    struct trace_input in;
    bool binary;
    bool opened_lackey, opened_btrace;
    struct lackey lk;
    struct btrace_reader br;
    struct fold fold;           /* text: the folding so far */
    struct trace_rec *raw;      /* text: parsed records awaiting folding */
    uint64_t n_records;         /* text: records folded so far */
    char err[400];
};

/* Open a trace.  Returns 0, or 2 (not a trace we can read: r->err), 1
 * (cannot open or read it: r->err).  trace_reader_close() is needed in
 * every case. */
int trace_reader_open(struct trace_reader *r, const char *path, bool skip_bad);

/* Next batch of up to `max` (>= 8) items.  Returns 0 with *n items (0 at
 * the end), 2 for malformed or truncated input, 1 for an input error or a
 * footprint that does not fit; r->err says which, naming FILE[:LINE]. */
int trace_reader_next(struct trace_reader *r, struct trace_access *out, size_t max, size_t *n);

/* Every region of the trace, as slot numbers in the order the trace
 * enters them, before the replay starts (for --populate).  A binary
 * trace has them in its header; a text trace is read through once and
 * restarted, which needs a regular file.  Returns 0, or 1/2 with r->err. */
int trace_reader_regions(struct trace_reader *r, uint32_t *slot, unsigned *n);

/* Fraction of the input read so far (0..1), or -1 when unknown (a pipe). */
double trace_reader_progress(const struct trace_reader *r);

/* The program address behind folded `vaddr` (for messages). */
uint64_t trace_reader_unfold(const struct trace_reader *r, uint32_t vaddr);

/* Text traces: malformed lines skipped, and the first one's description. */
uint64_t trace_reader_skipped(const struct trace_reader *r, char *first, size_t cap);

void trace_reader_close(struct trace_reader *r);

#endif
