/*
 * fuzz_trace.h - what the trace-reader targets (fuzz_lackey.c,
 * fuzz_btrace.c) share: the input goes into a memfd, which is read
 * through its /proc/self/fd path, as `vmsim trace FILE` reads a file
 * (format sniffing, gzip, the text or binary reader, folding, rewinding
 * for --populate).
 *
 *   trace_read_all()   every item of a trace, with the invariants any
 *                      folded stream must satisfy checked on the way;
 *   gzip_of()          the input compressed, in one or two gzip
 *                      members, to check that gzip changes nothing;
 *   replay_check()     the whole `vmsim trace` path (trace_run) on a
 *                      small machine, so that RAM can run out, and
 *                      after a populated replay, `vmsim sweep` of the
 *                      same TLB against it.
 */
#ifndef VMSIM_FUZZ_TRACE_H
#define VMSIM_FUZZ_TRACE_H

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "sweep.h"
#include "trace_reader.h"
#include "trace_run.h"

struct memfile {
    int fd;
    char path[64];
};

static inline void memfile_create(struct memfile *f, const uint8_t *data, size_t size)
{
    f->fd = memfd_create("fuzz-trace", 0);
    FUZZ_CHECK(f->fd >= 0, "memfd_create failed");
    for (size_t done = 0; done < size;) {
        ssize_t n = write(f->fd, data + done, size - done);
        FUZZ_CHECK(n > 0, "write to the memfd failed");
        done += (size_t)n;
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

static inline void memfile_close(struct memfile *f)
{
    close(f->fd);
}

/* The input as gzip data: one member, or two when `split` (cut in the
 * middle), as gzip(1) writes concatenated files.  Free *out. */
static inline void gzip_of(const uint8_t *data, size_t size, bool split, uint8_t **out,
                           size_t *out_len)
{
    size_t cut = split ? size / 2 : size, cap = 2 * (compressBound(size) + 64);
    uint8_t *buf = malloc(cap);
    FUZZ_CHECK(buf != NULL, "out of memory");
    size_t len = 0;
    for (int member = 0; member < (split ? 2 : 1); member++) {
        const uint8_t *src = member ? data + cut : data;
        size_t n = member ? size - cut : cut;
        z_stream z;
        memset(&z, 0, sizeof z);
        FUZZ_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                   "deflateInit2");
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)n;
        z.next_out = buf + len;
        z.avail_out = (uInt)(cap - len);
        FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
        len = cap - z.avail_out;
        deflateEnd(&z);
    }
    *out = buf;
    *out_len = len;
}

/* Everything one read of a trace produced. */
struct trace_result {
    int rc; /* of the open, or of the last trace_reader_next() */
    bool binary;
    struct trace_access *item; /* the items, in order */
    size_t n, cap;
    char err[400]; /* r->err with the path replaced by "T" */
    uint64_t skipped;
};

static inline void trace_result_free(struct trace_result *t)
{
    free(t->item);
}

/* Copy `err`, with `path` at its start replaced by "T" (two reads of one
 * trace through different memfds give the same messages then; every
 * message starts with the file's name). */
static inline void normalise(char *dst, size_t cap, const char *err, const char *path)
{
    size_t len = strlen(path);
    if (strncmp(err, path, len) == 0)
        snprintf(dst, cap, "T%s", err + len);
    else
        snprintf(dst, cap, "%s", err);
}

/* What every folded stream satisfies (trace_types.h): kinds and sizes in
 * range, REGION items on a 4 MiB slot of user space, each access inside
 * one 4 MiB slot.  For a text trace also: every access lies in a region
 * announced before it, each region is announced once, a SPLIT piece
 * ends at its slot's end and is followed by its other piece. */
static inline void check_items(const struct trace_result *t, bool text)
{
    uint8_t seen[FOLD_SLOTS] = {0};
    bool want_rest = false;
    unsigned rest_kind = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_access *a = &t->item[i];
        uint32_t slot = a->vaddr >> FOLD_SHIFT;
        if (a->kind == TRACE_REGION) {
            FUZZ_CHECK((a->vaddr & (FOLD_CHUNK - 1)) == 0 && slot >= FOLD_FIRST_SLOT &&
                           slot <= FOLD_LAST_SLOT && a->size == 0 && a->flags == 0,
                       "item %zu: bad REGION item 0x%x", i, a->vaddr);
            FUZZ_CHECK(!text || !seen[slot], "item %zu: region slot %u announced twice", i, slot);
            seen[slot] = 1;
            continue;
        }
        FUZZ_CHECK(a->kind <= TRACE_MODIFY, "item %zu: kind %u", i, a->kind);
        FUZZ_CHECK(a->size >= 1 && a->size <= TRACE_MAX_SIZE, "item %zu: size %u", i, a->size);
        FUZZ_CHECK((a->flags & ~TRACE_SPLIT) == 0, "item %zu: flags 0x%x", i, a->flags);
        if (!text)
            continue;
        FUZZ_CHECK(seen[slot], "item %zu: access 0x%x in a region never announced", i, a->vaddr);
        FUZZ_CHECK((a->vaddr & (FOLD_CHUNK - 1)) + a->size <= FOLD_CHUNK,
                   "item %zu: access 0x%x size %u leaves its slot", i, a->vaddr, a->size);
        if (want_rest) {
            FUZZ_CHECK(a->kind == rest_kind && !(a->flags & TRACE_SPLIT),
                       "item %zu: the rest of a split access is not an access of its kind", i);
            want_rest = false;
        } else if (a->flags & TRACE_SPLIT) {
            FUZZ_CHECK((a->vaddr & (FOLD_CHUNK - 1)) + a->size == FOLD_CHUNK,
                       "item %zu: a split piece does not end at its slot's end", i);
            want_rest = true;
            rest_kind = a->kind;
        }
    }
    FUZZ_CHECK(!text || !want_rest || t->rc != 0, "the trace ends inside a split access");
}

static inline void push_items(struct trace_result *t, const struct trace_access *a, size_t n)
{
    if (n == 0)
        return;
    if (t->n + n > t->cap) {
        t->cap = (t->n + n) * 2;
        t->item = realloc(t->item, t->cap * sizeof *t->item);
        FUZZ_CHECK(t->item != NULL, "out of memory");
    }
    memcpy(t->item + t->n, a, n * sizeof *a);
    t->n += n;
}

/* Read the trace at `path` through, in batches of `batch` (>= 8) items.
 * With `populate` the regions are asked for first (a text trace is then
 * read twice, through a rewind) and must be the REGION items' slots. */
static inline void trace_read_all(const char *path, bool skip_bad, size_t batch, bool populate,
                                  struct trace_result *t)
{
    memset(t, 0, sizeof *t);
    struct trace_reader *r = calloc(1, sizeof *r);
    struct trace_access *buf = malloc(batch * sizeof *buf);
    FUZZ_CHECK(r && buf, "out of memory");
    uint32_t slot[FOLD_SLOTS];
    unsigned n_slots = 0;
    t->rc = trace_reader_open(r, path, skip_bad);
    t->binary = r->binary;
    if (t->rc == 0 && populate) {
        t->rc = trace_reader_regions(r, slot, &n_slots);
        FUZZ_CHECK(t->rc != 0 || n_slots <= FOLD_LAST_SLOT, "%u regions", n_slots);
    }
    while (t->rc == 0) { /* on an error *n means nothing */
        size_t n = 0;
        t->rc = trace_reader_next(r, buf, batch, &n);
        if (t->rc || n == 0)
            break;
        FUZZ_CHECK(n <= batch, "trace_reader_next gave %zu items for %zu", n, batch);
        push_items(t, buf, n);
    }
    FUZZ_CHECK(t->rc >= 0 && t->rc <= 2, "trace reader returned %d", t->rc);
    FUZZ_CHECK(t->rc == 0 || r->err[0], "status %d without a message", t->rc);
    FUZZ_CHECK(t->rc != 0 || !r->err[0], "status 0 with a message: %s", r->err);
    normalise(t->err, sizeof t->err, r->err, path);
    t->skipped = trace_reader_skipped(r, NULL, 0);
    if (populate && t->rc == 0 && !t->binary) {
        unsigned k = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->item[i].kind == TRACE_REGION) {
                FUZZ_CHECK(k < n_slots && slot[k] == t->item[i].vaddr >> FOLD_SHIFT,
                           "REGION item %u disagrees with the region list", k);
                k++;
            }
        FUZZ_CHECK(k == n_slots, "%u REGION items, %u regions listed", k, n_slots);
    }
    for (size_t i = 0; t->rc == 0 && i < t->n; i++)
        (void)trace_reader_unfold(r, t->item[i].vaddr);
    (void)trace_reader_progress(r);
    trace_reader_close(r);
    free(r);
    free(buf);
}

/* Two reads of one trace: the same status and message, and the same
 * items (up to the shorter list after an error). */
static inline void same_result(const struct trace_result *a, const struct trace_result *b,
                               const char *what)
{
    FUZZ_CHECK(a->rc == b->rc, "%s: status %d vs %d (%s | %s)", what, a->rc, b->rc, a->err, b->err);
    FUZZ_CHECK(strcmp(a->err, b->err) == 0, "%s: messages differ:\n  %s\n  %s", what, a->err,
               b->err);
    /* a batch that ends in an error is not delivered, so after an error
     * reads in batches of different sizes agree only up to the shorter */
    FUZZ_CHECK(a->n == b->n || a->rc, "%s: %zu items vs %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++)
        FUZZ_CHECK(memcmp(&a->item[i], &b->item[i], sizeof a->item[i]) == 0, "%s: item %zu differs",
                   what, i);
}

/* How a trace is replayed: chosen from the input's length, so that the
 * corpus covers every combination. */
/* Write t's items as a binary trace with the regions of `fold`, read it
 * back into *back (rc must be 0), and require the same items as t. */
static inline void write_read_back(const struct trace_result *t, const struct fold *fold,
                                   const char *what, struct trace_result *back)
{
    struct memfile bin;
    struct btrace_writer w;
    memfile_create(&bin, NULL, 0);
    FUZZ_CHECK(btrace_create(&w, bin.path) == 0, "btrace_create: %s", w.err);
    FUZZ_CHECK(btrace_write(&w, t->item, t->n) == 0, "btrace_write: %s", w.err);
    FUZZ_CHECK(btrace_finish(&w, fold) == 0, "btrace_finish: %s", w.err);
    trace_read_all(bin.path, false, TRACE_BATCH, false, back);
    FUZZ_CHECK(back->rc == 0, "%s: the written trace does not read back: %s", what, back->err);
    same_result(t, back, what);
    memfile_close(&bin);
}

struct replay_choice {
    uint64_t ram;
    bool large, populate, skip_bad, split, direct;
    vmsim_tlb_config_t tlb;
};

static inline struct replay_choice choose_replay(size_t size, bool skip_bad)
{
    static const uint32_t geo[][3] = {{1, 1, VMSIM_TLB_LRU},    {4, 2, VMSIM_TLB_FIFO},
                                      {8, 4, VMSIM_TLB_PLRU},   {16, 16, VMSIM_TLB_LRU},
                                      {8, 2, VMSIM_TLB_RANDOM}, {64, 4, VMSIM_TLB_LRU}};
    struct replay_choice ch;
    ch.ram = size % 3 ? 2u << 20 : 8u << 20;
    ch.large = size % 5 == 4;
    ch.populate = size % 4 == 3;
    ch.skip_bad = skip_bad;
    ch.split = size % 7 != 2;
    ch.direct = size % 11 == 5;
    const uint32_t *g = geo[(size / 3) % (sizeof geo / sizeof geo[0])];
    ch.tlb = vmsim_tlb_config(g[0], g[1], (vmsim_tlb_policy_t)g[2]);
    ch.tlb.seed = (uint32_t)size;
    return ch;
}

/* `vmsim sweep` of one configuration against the populated replay that
 * just succeeded: the same lookups, hits, misses and evictions per TLB,
 * the same accesses per kind (docs/tlb-studies.md). */
static inline void sweep_check(const char *path, const struct replay_choice *ch,
                               const struct trace_run_output *out)
{
    struct sweep s;
    FUZZ_CHECK(sweep_init(&s, &ch->tlb, 1, ch->split, ch->large ? 22 : 12, ch->direct) == 0,
               "sweep_init");
    struct trace_reader *r = calloc(1, sizeof *r);
    struct trace_access *batch = malloc(TRACE_BATCH * sizeof *batch);
    FUZZ_CHECK(r && batch, "out of memory");
    FUZZ_CHECK(trace_reader_open(r, path, ch->skip_bad) == 0, "reopen: %s", r->err);
    size_t n;
    int rc;
    while ((rc = trace_reader_next(r, batch, TRACE_BATCH, &n)) == 0 && n)
        FUZZ_CHECK(sweep_run(&s, batch, n) == 0, "sweep_run");
    FUZZ_CHECK(rc == 0, "the trace the replay read fails for the sweep: %s", r->err);
    sweep_finish(&s);
    const vmsim_tlb_stats_t *side[2] = {&out->r.program.dtlb, &out->r.program.itlb};
    for (unsigned d = 0; d < s.n_sides; d++) {
        const struct sweep_counts *c = &s.rows[0].side[d];
        FUZZ_CHECK(c->lookups == side[d]->lookups && c->hits == side[d]->hits &&
                       c->misses == side[d]->misses && c->evictions == side[d]->evictions,
                   "%u,%u,%s %s side %u: sweep %llu/%llu/%llu/%llu, replay %llu/%llu/%llu/%llu",
                   ch->tlb.entries, ch->tlb.ways, vmsim_tlb_policy_name(ch->tlb.policy),
                   ch->split ? "split" : "unified", d, (unsigned long long)c->lookups,
                   (unsigned long long)c->hits, (unsigned long long)c->misses,
                   (unsigned long long)c->evictions, (unsigned long long)side[d]->lookups,
                   (unsigned long long)side[d]->hits, (unsigned long long)side[d]->misses,
                   (unsigned long long)side[d]->evictions);
    }
    for (int k = 0; k < TRACE_KINDS; k++)
        FUZZ_CHECK(s.access[k] == out->r.access[k], "%s: sweep %llu, replay %llu",
                   trace_kind_name((unsigned)k), (unsigned long long)s.access[k],
                   (unsigned long long)out->r.access[k]);
    trace_reader_close(r);
    free(r);
    free(batch);
    sweep_free(&s);
}

/* Replay the trace at `path` as `vmsim trace` does (trace_run), on a
 * small machine; check the status and that a failure says why; after a
 * populated replay that succeeded, check the sweep against it.  Returns
 * the status. */
static inline int replay_check(const char *path, const struct replay_choice *ch)
{
    struct trace_run_options opt;
    memset(&opt, 0, sizeof opt);
    opt.path = path;
    replay_config_default(&opt.replay);
    opt.replay.machine.ram_bytes = ch->ram;
    opt.replay.machine.split_tlb = ch->split;
    opt.replay.machine.dtlb = opt.replay.machine.itlb = ch->tlb;
    opt.replay.page_shift = ch->large ? 22 : 12;
    opt.replay.populate = ch->populate;
    opt.skip_bad = ch->skip_bad;
    struct trace_run_output out;
    struct membuf err;
    membuf_open(&err);
    int rc = trace_run(&opt, &out, err.f);
    membuf_close(&err);
    FUZZ_CHECK(rc >= 0 && rc <= 2, "trace_run returned %d", rc);
    FUZZ_CHECK(rc == 0 || err.text[0], "trace_run status %d without a message", rc);
    FUZZ_CHECK(rc != 0 || !err.text[0], "trace_run status 0 with a message: %s", err.text);
    if (rc == 0) {
        struct membuf rep;
        membuf_open(&rep);
        trace_report_table(rep.f, "fuzz", &opt, &out);
        trace_report_json(rep.f, "fuzz", &opt, &out);
        trace_report_csv(rep.f, "fuzz", &opt, &out, true);
        membuf_close(&rep);
        membuf_free(&rep);
        if (ch->populate)
            sweep_check(path, ch, &out);
    }
    membuf_free(&err);
    return rc;
}

#endif
