/*
 * fuzz_btrace.c - libFuzzer target: the input is a binary trace (.vbt,
 * docs/trace-format.md), plain or gzip-compressed, read as `vmsim
 * trace` reads a file.  The seeds are small traces written by `vmsim
 * trace convert` and `vmsim trace synth`, most with the data moved up to
 * just after the region table (a data_offset the reader accepts), so the
 * fuzzer spends its mutations on the header and the units rather than on
 * 16 KiB of padding.
 *
 * For every input:
 *   1. read it through in batches of 8 items: status 0, 1 or 2 with a
 *      message exactly when not 0, the items well formed (check_items);
 *      a trace read without error is also well formed as a sequence: a
 *      SPLIT piece is followed by the rest of its access, of its kind,
 *      and the trace does not end inside a split access;
 *   2. the same bytes gzip-compressed, in full batches: the same result;
 *   3. the region list first (--populate): the same items;
 *   4. a trace read without error is written again (btrace_write with
 *      its own region table) and read back: the same items;
 *   5. replayed through the kernel (trace_run) on a 2 MiB or 8 MiB
 *      machine: status 0, 1 or 2 with a message -- accesses outside the
 *      trace's regions, in kernel space, or more than RAM holds are
 *      errors, never crashes; after a populated replay, `vmsim sweep`
 *      of the same TLB counts the same lookups, hits, misses and
 *      evictions.
 */
#include "fuzz_trace.h"

static void check_splits(const struct trace_result *t)
{
    bool want_rest = false;
    unsigned kind = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_access *a = &t->item[i];
        if (a->kind == TRACE_REGION)
            continue;
        if (want_rest)
            FUZZ_CHECK(a->kind == kind && !(a->flags & TRACE_SPLIT),
                       "item %zu: a split access continues with another split or kind", i);
        want_rest = !want_rest && (a->flags & TRACE_SPLIT);
        kind = a->kind;
    }
    FUZZ_CHECK(!want_rest, "the trace ends inside a split access");
}

static void rewrite_round_trip(const char *path, const struct trace_result *t)
{
    struct trace_reader *r = calloc(1, sizeof *r);
    FUZZ_CHECK(r != NULL, "out of memory");
    FUZZ_CHECK(trace_reader_open(r, path, false) == 0, "second open failed: %s", r->err);
    struct fold *f = calloc(1, sizeof *f);
    FUZZ_CHECK(f != NULL, "out of memory");
    fold_init(f);
    for (unsigned i = 0; i < r->br.h.n_regions; i++) /* a hand-made table may repeat a */
        (void)fold_assign(f, r->br.h.chunk[i], r->br.h.slot[i]); /* chunk: not an error */
    trace_reader_close(r);
    free(r);

    struct trace_result back;
    write_read_back(t, f, "read vs rewritten", &back);
    free(f);
    trace_result_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memfile plain;
    memfile_create(&plain, data, size);

    struct trace_result strict;
    trace_read_all(plain.path, false, 8, false, &strict);
    check_items(&strict, !strict.binary);
    if (strict.rc == 0)
        check_splits(&strict);

    if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
        uint8_t *gz;
        size_t gz_len;
        gzip_of(data, size, size % 2, &gz, &gz_len);
        struct memfile packed;
        memfile_create(&packed, gz, gz_len);
        free(gz);
        struct trace_result unpacked;
        trace_read_all(packed.path, false, TRACE_BATCH, false, &unpacked);
        same_result(&strict, &unpacked, "plain vs gzip");
        trace_result_free(&unpacked);
        memfile_close(&packed);
    }

    struct trace_result twice;
    trace_read_all(plain.path, false, TRACE_BATCH, true, &twice);
    if (twice.rc == 0 || strict.binary)
        same_result(&strict, &twice, "with the region list first");
    trace_result_free(&twice);

    if (strict.rc == 0 && strict.binary)
        rewrite_round_trip(plain.path, &strict);

    struct replay_choice ch = choose_replay(size, false);
    replay_check(plain.path, &ch);

    trace_result_free(&strict);
    memfile_close(&plain);
    return 0;
}
