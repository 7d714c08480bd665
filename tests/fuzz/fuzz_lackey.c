/*
 * fuzz_lackey.c - libFuzzer target: the input is a lackey text trace
 * (docs/trace-format.md), read as `vmsim trace` reads a file.
 *
 * For every input:
 *   1. read it through in batches of 8 items (the smallest a consumer
 *      may ask for): status 0, 1 or 2 with a message exactly when not 0,
 *      the items well formed (fuzz_trace.h: check_items);
 *   2. the same bytes gzip-compressed (one member, or two for odd
 *      lengths) in full batches: the same items, status and message --
 *      neither the batch size nor the compression may change anything;
 *   3. with --skip-bad: the strict read's items are a prefix of these;
 *   4. read again asking for the region list first (--populate: a
 *      prescan, a rewind, a second pass): same items, and the list is
 *      the REGION items' slots;
 *   5. a well-formed trace is converted to the binary format
 *      (btrace_write) and read back: the same items, as `vmsim trace
 *      convert` promises;
 *   6. replayed through the kernel (trace_run) on a 2 MiB or 8 MiB
 *      machine, with 4 KiB or 4 MiB pages, demand paging or populated,
 *      split or unified TLBs of several geometries and policies, chosen
 *      from the input's length: status 0, 1 or 2 with a message, and
 *      simulated RAM running out is one of those, never a crash;
 *   7. after a populated replay, `vmsim sweep` of the same TLB counts
 *      the same lookups, hits, misses and evictions.
 */
#include "fuzz_trace.h"

static void convert_round_trip(const char *path, const struct trace_result *text)
{
    /* fold as the reader did: read again keeping the reader for its fold */
    struct trace_reader *r = calloc(1, sizeof *r);
    FUZZ_CHECK(r != NULL, "out of memory");
    FUZZ_CHECK(trace_reader_open(r, path, false) == 0, "second open failed: %s", r->err);
    struct trace_access buf[64];
    size_t n;
    while (trace_reader_next(r, buf, 64, &n) == 0 && n)
        ;
    struct trace_result back;
    write_read_back(text, &r->fold, "text vs converted", &back);
    FUZZ_CHECK(back.binary, "the converted trace is not read as binary");
    check_items(&back, false);
    trace_reader_close(r);
    free(r);
    trace_result_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memfile plain;
    memfile_create(&plain, data, size);

    struct trace_result strict;
    trace_read_all(plain.path, false, 8, false, &strict);
    check_items(&strict, !strict.binary);

    bool gzip_input = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!gzip_input) {
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

    if (!strict.binary) {
        struct trace_result lax;
        trace_read_all(plain.path, true, TRACE_BATCH, false, &lax);
        check_items(&lax, true);
        FUZZ_CHECK(lax.n >= strict.n, "--skip-bad gave fewer items (%zu < %zu)", lax.n, strict.n);
        for (size_t i = 0; i < strict.n; i++)
            FUZZ_CHECK(memcmp(&lax.item[i], &strict.item[i], sizeof lax.item[i]) == 0,
                       "--skip-bad: item %zu differs", i);
        if (strict.rc == 0)
            FUZZ_CHECK(lax.rc == 0 && lax.n == strict.n && lax.skipped == 0,
                       "a clean trace reads differently with --skip-bad");
        trace_result_free(&lax);
    }

    struct trace_result twice;
    trace_read_all(plain.path, false, TRACE_BATCH, true, &twice);
    if (twice.rc == 0 || strict.binary) {
        same_result(&strict, &twice, "with the region list first");
    } else {
        FUZZ_CHECK(twice.rc == strict.rc && strcmp(twice.err, strict.err) == 0,
                   "the prescan fails differently: %d %s | %d %s", twice.rc, twice.err, strict.rc,
                   strict.err);
    }
    trace_result_free(&twice);

    if (strict.rc == 0 && !strict.binary)
        convert_round_trip(plain.path, &strict);

    struct replay_choice ch = choose_replay(size, size % 2);
    replay_check(plain.path, &ch);

    trace_result_free(&strict);
    memfile_close(&plain);
    return 0;
}
