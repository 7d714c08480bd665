/*
 * trace_reader.c - format sniffing and folding in front of the readers.
 *
 * Text: lackey_next() fills `raw` with at most max / 4 records, which
 * fold_batch() turns into at most max items (a record can become four:
 * REGION, first piece, REGION, second piece).  Binary: btrace_next()
 * fills the caller's array directly; folding was done by convert.
 */
#include "trace_reader.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int open_format(struct trace_reader *r, bool skip_bad)
{
    uint8_t magic[8];
    size_t n = tin_peek(&r->in, magic, sizeof magic);
    if (r->in.err[0]) {
        snprintf(r->err, sizeof r->err, "%s", r->in.err);
        return r->in.malformed ? 2 : 1;
    }
    r->binary = btrace_is_binary(magic, n);
    if (r->binary) {
        r->opened_btrace = true;
        int rc = btrace_open(&r->br, &r->in);
        if (rc)
            snprintf(r->err, sizeof r->err, "%s", r->br.err);
        return rc;
    }
    r->opened_lackey = true;
    fold_init(&r->fold);
    r->raw = malloc(TRACE_BATCH * sizeof *r->raw);
    if (!r->raw || lackey_open(&r->lk, &r->in, skip_bad)) {
        snprintf(r->err, sizeof r->err, "%s: out of memory", r->in.name);
        return 1;
    }
    return 0;
}

int trace_reader_open(struct trace_reader *r, const char *path, bool skip_bad)
{
    memset(r, 0, sizeof *r);
    if (tin_open(&r->in, path) < 0) {
        snprintf(r->err, sizeof r->err, "%s", r->in.err);
        return 1;
    }
    return open_format(r, skip_bad);
}

static int footprint_error(struct trace_reader *r, const struct trace_rec *rec)
{
    snprintf(r->err, sizeof r->err,
             "%s: error: the trace's footprint does not fit in 32-bit user space: record %" PRIu64
             " (address 0x%" PRIx64 ") enters a %uth 4 MiB region, and only %u fit below "
             "0xC0000000 (see docs/trace-format.md, 'Folding')", r->in.name, r->n_records + 1,
             rec->addr, FOLD_LAST_SLOT + 1, FOLD_LAST_SLOT);
    return 1;
}

static int next_text(struct trace_reader *r, struct trace_access *out, size_t max, size_t *n)
{
    size_t n_raw, want = max / 4 < TRACE_BATCH ? max / 4 : TRACE_BATCH;
    int rc = lackey_next(&r->lk, r->raw, want, &n_raw);
    if (rc) {
        snprintf(r->err, sizeof r->err, "%s", r->lk.err);
        return rc;
    }
    size_t used = fold_batch(&r->fold, r->raw, n_raw, out, n);
    r->n_records += used;
    if (used < n_raw)
        return footprint_error(r, &r->raw[used]);
    return 0;
}

int trace_reader_next(struct trace_reader *r, struct trace_access *out, size_t max, size_t *n)
{
    if (!r->binary)
        return next_text(r, out, max, n);
    int rc = btrace_next(&r->br, out, max, n);
    if (rc)
        snprintf(r->err, sizeof r->err, "%s", r->br.err);
    return rc;
}

/* Read a text trace through, keeping only its folding; then restart. */
static int prescan_text(struct trace_reader *r)
{
    struct trace_access *tmp = malloc(4 * TRACE_BATCH * sizeof *tmp);
    size_t n;
    int rc = tmp ? 0 : 1;
    if (!tmp)
        snprintf(r->err, sizeof r->err, "%s: out of memory", r->in.name);
    while (rc == 0 && (rc = next_text(r, tmp, 4 * TRACE_BATCH, &n)) == 0 && n > 0)
        ;
    free(tmp);
    if (rc)
        return rc;
    if (tin_rewind(&r->in) < 0) {
        snprintf(r->err, sizeof r->err, "%s", r->in.err);
        return 1;
    }
    bool skip_bad = r->lk.skip_bad;
    lackey_close(&r->lk);
    r->n_records = 0;
    return lackey_open(&r->lk, &r->in, skip_bad);
}

int trace_reader_regions(struct trace_reader *r, uint32_t *slot, unsigned *n)
{
    if (r->binary) {
        *n = r->br.h.n_regions;
        memcpy(slot, r->br.h.slot, *n * sizeof *slot);
        return 0;
    }
    if (!tin_seekable(&r->in)) {
        snprintf(r->err, sizeof r->err, "%s: error: --populate must know every region before "
                 "the replay, so it reads a text trace twice: give a file, not a pipe, or "
                 "convert the trace first (vmsim trace convert)", r->in.name);
        return 1;
    }
    int rc = prescan_text(r);
    if (rc)
        return rc;
    *n = r->fold.n_used;
    for (unsigned i = 0; i < *n; i++)
        slot[i] = r->fold.order[i];
    fold_init(&r->fold); /* the replay folds again, identically, emitting REGION items */
    return 0;
}

double trace_reader_progress(const struct trace_reader *r)
{
    if (!r->in.file_size)
        return -1;
    return (double)r->in.bytes_read / (double)r->in.file_size;
}

uint64_t trace_reader_unfold(const struct trace_reader *r, uint32_t vaddr)
{
    if (!r->binary)
        return fold_unfold(&r->fold, vaddr);
    for (unsigned i = 0; i < r->br.h.n_regions; i++)
        if (r->br.h.slot[i] == vaddr >> FOLD_SHIFT)
            return r->br.h.chunk[i] << FOLD_SHIFT | (vaddr & (FOLD_CHUNK - 1));
    return vaddr;
}

uint64_t trace_reader_skipped(const struct trace_reader *r, char *first, size_t cap)
{
    if (r->binary || !r->lk.n_skipped)
        return 0;
    snprintf(first, cap, "%s:%" PRIu64 ": %s", r->in.name, r->lk.first_bad_line, r->lk.first_bad);
    return r->lk.n_skipped;
}

void trace_reader_close(struct trace_reader *r)
{
    if (r->opened_btrace)
        btrace_close(&r->br);
    if (r->opened_lackey)
        lackey_close(&r->lk);
    free(r->raw);
    r->raw = NULL;
    tin_close(&r->in);
}

const char *trace_kind_name(unsigned kind)
{
    static const char *const names[] = {"fetch", "load", "store", "modify", "region"};
    return kind <= TRACE_REGION ? names[kind] : "?";
}
