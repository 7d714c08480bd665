/*
 * lackey.h - reading Valgrind lackey's --trace-mem=yes output.
 *
 *     I  0401b5c0,2        instruction fetch of 2 bytes
 *      L fef3a868,4        data load
 *      S fef3a870,4        data store
 *      M 0804a01c,4        modify: load, then store of the same bytes
 *     ==10822== ...        Valgrind's own lines: skipped (so are --PID--)
 *
 * Addresses are hexadecimal (up to 16 digits, no 0x), sizes decimal,
 * 1 .. TRACE_MAX_SIZE (1 .. max_size for a reader that raises it: `vmsim
 * paging` takes wider accesses than the replay).  A line ending in CR LF
 * is accepted.  Anything else is a malformed line: the reader stops with "FILE:LINE: error:
 * why", or, with skip_bad, counts it and goes on.
 */
#ifndef VMSIM_TOOLS_LACKEY_H
#define VMSIM_TOOLS_LACKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "trace_io.h"
#include "trace_types.h"

#define LACKEY_BUF (1u << 20) /* the longest line a trace may have, too */
#define LACKEY_MAX_SIZE 999999u /* the widest size a line can spell (6 digits) */

struct lackey {
    struct trace_input *in;
    char *buf;             /* LACKEY_BUF + 1 bytes */
    size_t pos, end;       /* unparsed bytes: buf[pos, end) */
    size_t lines_end;      /* buf[pos, lines_end) holds only whole lines */
    uint64_t line;         /* number of the last line parsed */
    bool at_eof;           /* the input has no more bytes */
    bool skip_bad;
    uint64_t n_skipped;    /* malformed lines skipped (skip_bad) */
    uint64_t first_bad_line;
    char first_bad[160];   /* why the first skipped line was refused */
    uint64_t n_valgrind;   /* ==PID== / --PID-- lines skipped */
    uint32_t max_size;     /* widest access accepted (lackey_open: TRACE_MAX_SIZE) */
    char err[320];         /* "FILE:LINE: error: ..." or an input error */
};

/* Start reading lackey text from `in`, accepting sizes up to
 * TRACE_MAX_SIZE (raise lk->max_size after opening, up to
 * LACKEY_MAX_SIZE, for wider ones).  Returns 0, or -1 (no memory). */
int lackey_open(struct lackey *lk, struct trace_input *in, bool skip_bad);

/* Parse up to `max` records into rec[].  Returns 0 with *n records (0 at
 * the end of the trace), 2 for a malformed line (lk->err holds
 * "FILE:LINE: error: ...") or corrupt gzip data ("FILE: error: ..."),
 * 1 for an input error (lk->err). */
int lackey_next(struct lackey *lk, struct trace_rec *rec, size_t max, size_t *n);

void lackey_close(struct lackey *lk);

#endif
