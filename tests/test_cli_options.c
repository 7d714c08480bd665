/*
 * test_cli_options.c - option values follow the scenario's number rule,
 * and `vmsim sweep` says what it leaves out (issue 9, items 13 and 14).
 *
 * What this suite proves, running the vmsim program:
 *   - numbers in options are decimal or 0x hexadecimal, never octal:
 *     `--dtlb 010,1` is ten entries (an impossible geometry, refused),
 *     `--dtlb 016,16` sixteen, `--accesses 010` ten, `--ram 010000000000`
 *     ten thousand million bytes (too much, refused);
 *   - a TLB spec with a fifth field, an empty field, a sign or a space
 *     is refused, and its echo is cut short;
 *   - `vmsim sweep` names its lists and, for each combination it leaves
 *     out, why; when none is valid it says so (it used to print "in the
 *     lists: ''"), and it says how `--entries A..B` was cut down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli_rig.h"

static char *dir, *trace;

static int group_setup(void **state)
{
    (void)state;
    dir = scratch_dir();
    trace = scratch_path(dir, "t.vbt");
    struct tool_result r =
        TOOL(NULL, 60, "trace", "synth", "uniform", "--accesses", "3000", "-o", trace);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    free(trace);
    return 0;
}

static void expect(struct tool_result r, int status, const char *in_out, const char *in_err)
{
    if (r.timed_out || r.status != status || (in_out && !strstr(r.out, in_out)) ||
        (in_err && !strstr(r.err, in_err)))
        fail_msg("wanted status %d, '%s' on stdout and '%s' on stderr; got status %d, stdout "
                 "'%.300s', stderr '%.600s'",
                 status, in_out ? in_out : "", in_err ? in_err : "", r.status, r.out, r.err);
    tool_free(&r);
}

static unsigned count_lines(const char *text)
{
    unsigned n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void option_numbers_are_decimal_or_hex_never_octal(void **state)
{
    (void)state;
    expect(TOOL(NULL, 30, "run", "--dtlb", "010,1", "/dev/null"), 2, NULL, "impossible geometry");
    expect(TOOL(NULL, 30, "trace", "--dtlb", "016,16", trace), 0,
           "DTLB 16 entries fully associative", NULL);
    expect(TOOL(NULL, 30, "trace", "--dtlb", "0x10,0x4", trace), 0, "DTLB 16 entries 4-way", NULL);
    expect(TOOL(NULL, 30, "trace", "--ram", "010000000000", trace), 2, NULL, "--ram wants");
    struct tool_result r = TOOL(NULL, 30, "trace", "synth", "seq", "--accesses", "010",
                                "--no-fetch", "--text", "-o", "-");
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 10);
    tool_free(&r);
    r = TOOL(NULL, 30, "trace", "synth", "seq", "--accesses", "0x10", "--no-fetch", "--text", "-o",
             "-");
    assert_int_equal(count_lines(r.out), 16);
    tool_free(&r);
    expect(TOOL(NULL, 30, "trace", "synth", "seq", "--accesses", "-5", "-o", "-"), 2, NULL,
           "bad value");
    expect(TOOL(NULL, 30, "trace", "synth", "zipf", "--theta", "nan", "-o", "-"), 2, NULL,
           "bad value");
}

static void tlb_specs_with_extra_or_empty_fields_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"64,4,lru,1,junk",
                                      "64,,4",
                                      "64,4,",
                                      ",64,4",
                                      "+64,4",
                                      " 64,4",
                                      "64,4,lru,99999999999999999999",
                                      "64"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(TOOL(NULL, 30, "run", "--dtlb", bad[i], "/dev/null"), 2, NULL,
               "expects ENTRIES,WAYS");
    char huge[4096];
    memset(huge, '6', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    struct tool_result r = TOOL(NULL, 30, "run", "--itlb", huge, "/dev/null");
    assert_int_equal(r.status, 2);
    assert_true(strlen(r.err) < 400);
    tool_free(&r);
    expect(TOOL(NULL, 30, "sweep", "--entries", "16,,64", trace), 2, NULL, "--entries wants");
    expect(TOOL(NULL, 30, "sweep", "--policy", "lru,", trace), 2, NULL, "--policy wants");
}

static void sweep_names_its_lists_and_why_each_combination_was_left_out(void **state)
{
    (void)state;
    struct tool_result r = TOOL(NULL, 60, "sweep", "--ways", "3", trace);
    assert_int_equal(r.status, 2);
    assert_null(strstr(r.err, "''"));
    assert_non_null(strstr(r.err, "none of the combinations of --entries 8,16,32,64,128,256,512,"
                                  "1024 --ways 3 --policy lru is a valid TLB"));
    assert_non_null(strstr(r.err, "  8 entries, 3 ways, lru: entries not a multiple of ways"));
    tool_free(&r);
    expect(TOOL(NULL, 60, "sweep", "--entries", "8,16", "--ways", "2,12", "--policy", "plru,lru",
                trace),
           0, NULL, "  8 entries, 12 ways, plru: more ways than entries");
    expect(TOOL(NULL, 60, "sweep", "--entries", "8..1000", "--ways", "2", trace), 0, "512",
           "--entries 8..1000 means the powers of two in that range: 8 to 512");
    expect(
        TOOL(NULL, 60, "sweep", "--entries", "64", "--ways", "16", "--policy", "lru,plru", trace),
        0, NULL, NULL);
    expect(TOOL(NULL, 60, "sweep", "--entries", "96", "--ways", "4", "--policy", "lru", trace), 2,
           NULL,
           "96 entries, 4 ways, lru: the number of sets (entries / ways) is not a power of two");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(option_numbers_are_decimal_or_hex_never_octal),
        cmocka_unit_test(tlb_specs_with_extra_or_empty_fields_are_refused),
        cmocka_unit_test(sweep_names_its_lists_and_why_each_combination_was_left_out),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
