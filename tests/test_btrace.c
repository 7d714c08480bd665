/*
 * test_btrace.c - the binary trace format: convert round trips, the
 * escapes (large sizes, split accesses, regions), the header's counts
 * and region table, and every way a binary trace can be cut or damaged.
 */
#include "test_trace_util.h"

#include "btrace.h"
#include "trace_cmd.h"
#include "trace_reader.h"

static const char mixed[] =
    "==1== header\n"
    "I  0401b5c0,2\n"
    " L 1ffefffd58,8\n"
    " S 1ffefffd50,512\n"          /* SIZE escape */
    " M 7ffc123ffffc,8\n"          /* split across 4 MiB chunks: SPLIT, two REGIONs */
    "I  0401b5c2,63\n"
    " L 0401b000,64\n"
    " S 00001000,4\n";             /* chunk 0 */

/* Every item of a trace, in order. */
static size_t read_items(const char *path, struct trace_access *out, size_t cap, int *rc,
                         char *err, size_t err_cap)
{
    struct trace_reader r;
    size_t total = 0, n;
    *rc = trace_reader_open(&r, path, false);
    while (*rc == 0 && (*rc = trace_reader_next(&r, out + total, cap - total, &n)) == 0 && n)
        total += n;
    snprintf(err, err_cap, "%s", r.err);
    trace_reader_close(&r);
    return total;
}

static int convert(const char *in, const char *out)
{
    char *argv[] = {"trace", "convert", (char *)in, "-o", (char *)out, NULL};
    return trace_main(5, argv);
}

static void test_round_trip(void **state)
{
    struct trace_access a[64], b[64];
    char err[400];
    int rc;
    (void)state;
    tt_write(tt_path("mixed.txt"), mixed);
    assert_int_equal(convert(tt_path("mixed.txt"), tt_path("mixed.vbt")), 0);
    size_t na = read_items(tt_path("mixed.txt"), a, 64, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    size_t nb = read_items(tt_path("mixed.vbt"), b, 64, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(na, nb);
    assert_int_equal(na, 7 + 1 + 5); /* 7 records, one split in two, 5 regions */
    assert_memory_equal(a, b, na * sizeof *a);
    /* binary to binary is a faithful copy too */
    assert_int_equal(convert(tt_path("mixed.vbt"), tt_path("again.vbt")), 0);
    nb = read_items(tt_path("again.vbt"), b, 64, &rc, err, sizeof err);
    assert_int_equal(nb, na);
    assert_memory_equal(a, b, na * sizeof *a);
}

static void test_header(void **state)
{
    struct trace_input in;
    struct btrace_reader br;
    (void)state;
    tt_write(tt_path("mixed.txt"), mixed);
    assert_int_equal(convert(tt_path("mixed.txt"), tt_path("mixed.vbt")), 0);
    assert_int_equal(tin_open(&in, tt_path("mixed.vbt")), 0);
    assert_int_equal(btrace_open(&br, &in), 0);
    assert_int_equal(br.h.version, BTRACE_VERSION);
    assert_int_equal(br.h.data_offset, BTRACE_DATA_OFFSET);
    assert_int_equal(br.h.n_access[TRACE_FETCH], 2);
    assert_int_equal(br.h.n_access[TRACE_LOAD], 2);
    assert_int_equal(br.h.n_access[TRACE_STORE], 2);
    assert_int_equal(br.h.n_access[TRACE_MODIFY], 1);
    assert_int_equal(br.h.n_regions, 5);
    /* 7 accesses + 1 second piece + 5 regions + 2 SIZE (512, 64) + 1 SPLIT escape */
    assert_int_equal(br.h.n_units, 16);
    assert_int_equal(br.h.slot[0], 0x0401b5c0u >> 22); /* identity for 32-bit chunks */
    assert_int_equal(br.h.chunk[1], 0x1ffefffd58ull >> 22);
    assert_int_equal(tt_file_size(tt_path("mixed.vbt")), BTRACE_DATA_OFFSET + 16 * BTRACE_UNIT);
    btrace_close(&br);
    tin_close(&in);
}

static void test_gzip_binary(void **state)
{
    struct trace_access a[64], b[64];
    char err[400], cmd[300];
    int rc;
    (void)state;
    tt_write(tt_path("mixed.txt"), mixed);
    assert_int_equal(convert(tt_path("mixed.txt"), tt_path("m.vbt")), 0);
    snprintf(cmd, sizeof cmd, "gzip -c %s > %s", tt_path("m.vbt"), tt_path("m.vbt.gz"));
    assert_int_equal(system(cmd), 0);
    size_t na = read_items(tt_path("m.vbt"), a, 64, &rc, err, sizeof err);
    size_t nb = read_items(tt_path("m.vbt.gz"), b, 64, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof *a);
}

/* Convert, then damage the file with `edit`, and expect `want`. */
static void expect_damage(void (*edit)(const char *path), int want_rc, const char *want)
{
    struct trace_access a[64];
    char err[400];
    int rc;
    tt_write(tt_path("mixed.txt"), mixed);
    assert_int_equal(convert(tt_path("mixed.txt"), tt_path("d.vbt")), 0);
    edit(tt_path("d.vbt"));
    read_items(tt_path("d.vbt"), a, 64, &rc, err, sizeof err);
    if (rc != want_rc || !strstr(err, want))
        fail_msg("rc %d, message '%s'; wanted %d and '%s'", rc, err, want_rc, want);
}

static void cut_mid_unit(const char *p) { tt_truncate(p, tt_file_size(p) - 2); }
static void cut_whole_unit(const char *p) { tt_truncate(p, tt_file_size(p) - BTRACE_UNIT); }
static void cut_header(const char *p) { tt_truncate(p, 40); }
static void cut_table(const char *p) { tt_truncate(p, 100); }

static void patch(const char *path, long offset, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, offset, SEEK_SET);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static void mark_unfinished(const char *p)
{
    uint64_t v = BTRACE_UNFINISHED;
    patch(p, 16, &v, 8);
}

static void bad_version(const char *p) { patch(p, 8, "\x07\0\0\0", 4); }
static void repeat_slot(const char *p) { patch(p, 64 + 16, "\x10\0\0\0", 4); } /* = slot 16 of entry 0 */

static void append_unit(const char *p)
{
    FILE *f = fopen(p, "ab");
    fwrite("\0\0\0\0\x05", 1, 5, f);
    fclose(f);
}

/* The unit after the header: make it escape 3 / a SIZE of 5 bytes. */
static void bad_escape(const char *p) { patch(p, BTRACE_DATA_OFFSET + 4, "\x03", 1); }
static void bad_size_escape(const char *p)
{
    patch(p, BTRACE_DATA_OFFSET, "\x05\0\0\0\0", 5);
}

static void test_damaged(void **state)
{
    (void)state;
    expect_damage(cut_mid_unit, 2, "ends inside a unit");
    expect_damage(cut_whole_unit, 2, "the header promises 16 units, the file holds 15");
    expect_damage(cut_header, 2, "ends inside its header");
    expect_damage(cut_table, 2, "ends inside its header");
    expect_damage(mark_unfinished, 2, "never finished");
    expect_damage(bad_version, 2, "unknown version");
    expect_damage(repeat_slot, 2, "out of range or repeated");
    expect_damage(append_unit, 2, "more units than the header promises");
    expect_damage(bad_escape, 2, "unknown escape 3");
    expect_damage(bad_size_escape, 2, "SIZE escape gives a size outside 64..4096");
}

static void test_convert_errors(void **state)
{
    (void)state;
    tt_write(tt_path("bad.txt"), "I  1000,4\nnonsense\n");
    assert_int_equal(convert(tt_path("bad.txt"), tt_path("bad.vbt")), 2);
    assert_int_equal(convert(tt_path("missing.txt"), tt_path("x.vbt")), 1);
    tt_write(tt_path("ok.txt"), "I  1000,4\n");
    assert_int_equal(convert(tt_path("ok.txt"), "/dev/full"), 1); /* not seekable / full */
    char *argv[] = {"trace", "convert", "--skip-bad", (char *)tt_path("bad.txt"), "-o",
                    (char *)tt_path("skip.vbt"), NULL};
    assert_int_equal(trace_main(6, argv), 0);
    assert_int_equal(tt_file_size(tt_path("skip.vbt")), BTRACE_DATA_OFFSET + 2 * BTRACE_UNIT);
}

/* The synthetic generators write valid binary and text traces. */
static void test_synth(void **state)
{
    struct trace_access a[4096], b[4096];
    char err[400];
    int rc;
    (void)state;
    char *bin[] = {"trace", "synth", "zipf", "--accesses", "1000", "--footprint", "1M",
                   "--writes", "0.3", "-o", (char *)tt_path("z.vbt"), NULL};
    char *txt[] = {"trace", "synth", "zipf", "--accesses", "1000", "--footprint", "1M",
                   "--writes", "0.3", "--text", "-o", (char *)tt_path("z.txt"), NULL};
    assert_int_equal(trace_main(11, bin), 0);
    assert_int_equal(trace_main(12, txt), 0);
    size_t na = read_items(tt_path("z.vbt"), a, 4096, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    size_t nb = read_items(tt_path("z.txt"), b, 4096, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(na, 2000 + 2); /* a fetch per access, code and data regions */
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof *a);
    char *badopt[] = {"trace", "synth", "zipf", "--footprint", "1000", "-o", "x", NULL};
    assert_int_equal(trace_main(7, badopt), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_gzip_binary),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_convert_errors),
        cmocka_unit_test(test_synth),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
