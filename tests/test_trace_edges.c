/*
 * test_trace_edges.c - the trace readers at the edges of their formats
 * (issue 9, items 10 and 11).
 *
 * What this suite proves:
 *   - lackey lines of one or two characters (" ", "I", " L", "I ") are
 *     malformed lines with a FILE:LINE message, and the reader never
 *     looks past their newline (valgrind reported a read of an
 *     uninitialised byte for a line of one space at the end of the
 *     buffer: this suite runs under memcheck with `make test`);
 *   - a binary trace whose region table gives one chunk to two slots is
 *     refused when opened, so `vmsim trace convert` can no longer say
 *     "in 2 regions" and write 1.
 */
#include "test_trace_util.h"

#include "lackey.h"
#include "trace_cmd.h"
#include "trace_reader.h"

static int open_and_read(const char *path, char *err, size_t cap)
{
    struct trace_reader *r = calloc(1, sizeof *r);
    struct trace_access batch[64];
    size_t n = 0;
    int rc = trace_reader_open(r, path, false);
    while (rc == 0 && (rc = trace_reader_next(r, batch, 64, &n)) == 0 && n > 0)
        ;
    snprintf(err, cap, "%s", r->err);
    trace_reader_close(r);
    free(r);
    return rc;
}

static void lackey_lines_of_one_or_two_characters_are_malformed(void **state)
{
    (void)state;
    static const char *const lines[] = {" \n",  " ",  "I\n",   "I",     "I \n",
                                        " L\n", " L", " M \n", "\n \n", "I  0400,4\n \n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char err[512];
        const char *path = tt_path("short.txt");
        tt_write(path, lines[i]);
        assert_int_equal(open_and_read(path, err, sizeof err), 2);
        if (!strstr(err, "short.txt:") || !strstr(err, ": error: "))
            fail_msg("line '%s': message '%s'", lines[i], err);
    }
}

/* A binary trace of several regions, from `vmsim trace synth`. */
static void synth_binary(const char *path)
{
    char *argv[] = {"trace",      "synth", "uniform", "--footprint", "16M",
                    "--accesses", "2000",  "-o",      (char *)path,  NULL};
    assert_int_equal(trace_main(9, argv), 0);
}

static void a_region_table_giving_one_chunk_two_slots_is_refused(void **state)
{
    (void)state;
    const char *path = tt_path("twice.vbt");
    synth_binary(path);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    uint8_t head[64 + 3 * 16];
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    uint32_t n_regions = head[56] | head[57] << 8;
    assert_true(n_regions >= 3);
    memcpy(head + 64 + 16 * 2 + 8, head + 64 + 16 * 1 + 8, 8); /* region 2 gets region 1's chunk */
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fwrite(head, 1, sizeof head, f), sizeof head);
    assert_int_equal(fclose(f), 0);
    char err[512];
    assert_int_equal(open_and_read(path, err, sizeof err), 2);
    assert_non_null(strstr(err, "twice.vbt: error: not a valid binary trace"));
    assert_non_null(strstr(err, "one chunk to two slots"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lackey_lines_of_one_or_two_characters_are_malformed),
        cmocka_unit_test(a_region_table_giving_one_chunk_two_slots_is_refused),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
