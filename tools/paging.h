/*
 * paging.h - `vmsim paging`: page replacement on a pure reference string.
 *
 * The model (docs/paging.md): F frames, initially empty; a trace becomes
 * a string of page references; a reference to a page that is not
 * resident is a fault, which loads the page into the lowest empty frame
 * or, when every frame is full, into the frame of a victim the policy
 * chooses.  No MMU, no TLB, no kernel: only the string and the policy.
 *
 * The trace is decoded once (paging_decode.c) into a compact stream that
 * every (policy, F) simulation then reads:
 *
 *     ref[t] = page id << 2 | PAGING_CONT | PAGING_WRITE      t = 0 .. n-1
 *
 *     page id       dense: 0 .. n_pages-1, numbered in increasing page
 *                   number, so "lowest page number" is "lowest id"
 *     PAGING_WRITE  the reference writes (S, or the second half of M)
 *     PAGING_CONT   not the first page of its access: the pages of the
 *                   access's earlier references (the run of CONT
 *                   references before it, back to the first one without
 *                   CONT) are pinned while it is served
 *
 * Four bytes per reference and one word per distinct page are all the
 * memory a simulation needs, so the policies run at memory speed
 * (paging_sim.c, paging_clock.c, paging_opt.c); lru and opt also give
 * every F at once (paging_curve.c).
 */
#ifndef VMSIM_TOOLS_PAGING_H
#define VMSIM_TOOLS_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synth.h"

#define PAGING_WRITE     1u
#define PAGING_CONT      2u
#define PAGING_ID_SHIFT  2
#define PAGING_MAX_PAGES (1u << 29)  /* distinct pages a trace may have */
#define PAGING_MAX_REFS  0xFFFFFFF0u /* references a trace may make */
#define PAGING_NEVER     UINT32_MAX  /* next use of a page never referenced again */

/* The decoded reference string. */
struct paging_refs {
    uint32_t *ref;           /* n entries, as above */
    uint64_t n;              /* references */
    uint64_t *page;          /* page number of each id (n_pages entries) */
    uint32_t n_pages;        /* distinct pages */
    uint32_t widest;         /* pages of the widest access (0 for an empty string) */
    uint64_t widest_record;  /* the first trace record (1-based) that wide */
    uint64_t n_records;      /* trace records (lines) decoded */
    uint64_t n_skipped;      /* malformed lines skipped (--skip-bad) */
    char first_skipped[256]; /* FILE:LINE: why, of the first one */
    uint64_t n_access[4];    /* accesses of each trace_kind (I L S M lines) */
    uint64_t n_writes;       /* references that write */
    unsigned page_shift;     /* 12 or 22 */
    uint32_t *next;          /* paging_refs_next(): next use of ref[t]'s page */
};

/* Incremental construction: the decoder and the tests add accesses, then
 * paging_build_finish() renumbers the pages. */
struct paging_builder {
    struct paging_refs r;
    uint64_t cap;  /* entries allocated in r.ref */
    uint64_t *key; /* hash: page number + 1, 0 = empty */
    uint32_t *val; /* hash: id in order of first use */
    uint32_t mask;
    uint32_t pages_cap; /* entries allocated in r.page */
    uint64_t last_page; /* one-entry cache of the last lookup */
    uint32_t last_id;
    bool have_last;
};

/* Start an empty string of pages of 1 << page_shift bytes.  0, or -1 (no
 * memory). */
int paging_build_init(struct paging_builder *b, unsigned page_shift);

/* Append one access: `n_pages` references to pages first, first + 1, ...,
 * writes when `write`.  Returns 0, or -1 when memory runs out or the
 * string would pass PAGING_MAX_REFS / PAGING_MAX_PAGES. */
int paging_build_access(struct paging_builder *b, uint64_t first, uint32_t n_pages, bool write);

/* Append one trace access of `size` bytes at `addr` of `kind` (an M is
 * two accesses, read then write).  Same returns. */
int paging_build_record(struct paging_builder *b, uint64_t addr, uint32_t size, unsigned kind);

/* Hand the finished string to *out (ids renumbered in page order) and
 * free the builder.  0, or -1 (no memory; the builder is freed). */
int paging_build_finish(struct paging_builder *b, struct paging_refs *out);

/* Free the builder without finishing. */
void paging_build_free(struct paging_builder *b);

/* Decode the trace at `path` ("-": standard input), lackey text (plain or
 * gzip) or binary, into *out.  Returns 0; 2 for malformed input (err
 * holds "FILE:LINE: error: ..."); 1 when the file cannot be read or
 * memory runs out (err says which). */
int paging_decode(const char *path, unsigned page_shift, bool skip_bad, struct paging_refs *out,
                  char *err, size_t cap);

/* The same for a synthetic trace (synth.h).  0, or 2 (bad options) / 1
 * (no memory) with err. */
int paging_decode_synth(const struct synth_options *opt, unsigned page_shift,
                        struct paging_refs *out, char *err, size_t cap);

/* Fill r->next (once): for each t, the index of the next reference to the
 * same page, PAGING_NEVER if none.  0, or -1 (no memory). */
int paging_refs_next(struct paging_refs *r);

void paging_refs_free(struct paging_refs *r);

/* --- policies --- */

enum paging_kind {
    PAGING_FIFO,
    PAGING_LRU,
    PAGING_OPT,
    PAGING_RANDOM,
    PAGING_CLOCK,
    PAGING_ECLOCK,
    PAGING_AGING,
    PAGING_WS,
    PAGING_KINDS
};

#define PAGING_MAX_TAU 64

struct paging_policy {
    enum paging_kind kind;
    uint32_t seed;                /* random: xorshift32 seed (non-zero), default 1 */
    unsigned k;                   /* aging: counter bits, 1..32, default 8 */
    uint64_t t;                   /* aging: a tick every t references, default 1000 */
    uint64_t tau[PAGING_MAX_TAU]; /* ws: windows, in references */
    size_t n_tau;
};

/* The figures of one (policy, F) or (ws, tau). */
struct paging_result {
    uint64_t references, faults, cold, reloads, evictions, writebacks;
    double mean_ws; /* ws: mean working-set size */
};

/* "fifo", "lru", ... */
const char *paging_kind_name(enum paging_kind kind);

/* A policy with its defaults. */
struct paging_policy paging_policy_default(enum paging_kind kind);

/* Parse "NAME" or "NAME:PARAMS" (random:seed=N, aging:k=K,t=T,
 * ws:tau=LIST).  Returns true, or false with why in err. */
bool paging_policy_parse(const char *s, struct paging_policy *out, char *err, size_t cap);

/* Simulate a fixed-F policy (every kind but ws) directly on `frames`
 * frames, which must be >= 2 and >= r->widest.  opt needs
 * paging_refs_next(r) first.  Returns 0, or -1 (no memory, or frames out
 * of range). */
int paging_simulate(const struct paging_refs *r, const struct paging_policy *p, uint32_t frames,
                    struct paging_result *out);

/* lru for every F in frames[0..n) at once, from stack distances.  Exact
 * for every F >= 2 >= widest (the pinned pages are the most recent).
 * Returns 0, or -1 (no memory). */
int paging_lru_curve(const struct paging_refs *r, const uint32_t *frames, size_t n,
                     struct paging_result *out);

/* opt (with pinning) for every F in frames[0..n) at once, from Belady's
 * priority stack.  exact[i] is set false for an F the stack cannot vouch
 * for -- one whose victim would be a pinned page, which only an F below
 * r->widest can have (see paging_curve.c) -- and that F needs
 * paging_simulate().  Needs paging_refs_next(r).  Returns 0, or -1 (no
 * memory). */
int paging_opt_curve(const struct paging_refs *r, const uint32_t *frames, size_t n,
                     struct paging_result *out, bool *exact);

/* Denning's working set with window tau >= 1.  Returns 0, or -1 (no
 * memory). */
int paging_ws(const struct paging_refs *r, uint64_t tau, struct paging_result *out);

#endif
