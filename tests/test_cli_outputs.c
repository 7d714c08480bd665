/*
 * test_cli_outputs.c - a command never destroys its input, and never
 * leaves a half-written output (issue 9, item 1).
 *
 * What this suite proves, running the vmsim program:
 *   - `vmsim trace convert IN -o IN` is refused, with IN untouched, also
 *     when either name is a symlink to the other;
 *   - a conversion that fails on bad input leaves an existing output
 *     byte for byte as it was, and leaves no temporary file behind;
 *   - an output that is a symlink keeps being a symlink: the file it
 *     names is the one replaced;
 *   - `vmsim sweep --csv` and `--plot` naming the trace are refused
 *     before the trace is read, and the trace is intact;
 *   - `vmsim trace synth -o` replaces an existing file only when done,
 *     and a binary trace is refused on a FIFO or device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli_rig.h"

struct fixture {
    char *dir;
    char *text, *bin; /* a lackey text trace and its conversion */
    char *orig_text;
    size_t text_len;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = scratch_dir();
    f->text = scratch_path(f->dir, "t.txt");
    f->bin = scratch_path(f->dir, "t.vbt");
    struct tool_result r =
        TOOL(NULL, 60, "trace", "synth", "seq", "--accesses", "500", "--text", "-o", f->text);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    f->orig_text = read_file(f->text, &f->text_len);
    assert_true(f->text_len > 1000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    scratch_remove(f->dir);
    free(f->text);
    free(f->bin);
    free(f->orig_text);
    free(f);
    return 0;
}

static void expect_unchanged(const char *path, const char *want, size_t want_len)
{
    size_t len = 0;
    char *now = read_file(path, &len);
    assert_non_null(now);
    assert_int_equal(len, want_len);
    assert_memory_equal(now, want, want_len);
    free(now);
}

static void expect_refused(struct tool_result r, const char *phrase)
{
    if (r.status != 2 || !strstr(r.err, phrase))
        fail_msg("wanted status 2 and '%s'; got status %d, stderr '%s'", phrase, r.status, r.err);
    tool_free(&r);
}

static void convert_refuses_an_output_that_is_its_input(void **state)
{
    struct fixture *f = *state;
    char *link = scratch_path(f->dir, "link");
    assert_int_equal(symlink(f->text, link), 0);
    expect_refused(TOOL(NULL, 60, "trace", "convert", f->text, "-o", f->text), "is the input");
    expect_refused(TOOL(NULL, 60, "trace", "convert", link, "-o", f->text), "is the input");
    expect_refused(TOOL(NULL, 60, "trace", "convert", f->text, "-o", link), "is the input");
    expect_refused(TOOL(f->text, 60, "trace", "convert", "-", "-o", link), "is the input");
    expect_unchanged(f->text, f->orig_text, f->text_len);
    assert_int_equal(count_entries(f->dir), 2);
    free(link);
}

static void failed_convert_leaves_the_existing_output_intact(void **state)
{
    struct fixture *f = *state;
    struct tool_result r = TOOL(NULL, 60, "trace", "convert", f->text, "-o", f->bin);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    size_t bin_len = 0;
    char *bin = read_file(f->bin, &bin_len);
    char *bad = scratch_path(f->dir, "bad.txt");
    /* good lines first, so that the output has been written to when it fails */
    FILE *out = fopen(bad, "w");
    for (int i = 0; i < 100000; i++)
        fprintf(out, " L %08x,4\n", i * 64);
    fputs("this is not a lackey line\n", out);
    fclose(out);
    r = TOOL(NULL, 60, "trace", "convert", bad, "-o", f->bin);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad.txt:100001: error:"));
    tool_free(&r);
    expect_unchanged(f->bin, bin, bin_len);
    assert_int_equal(count_entries(f->dir), 3); /* no temporary left behind */
    free(bin);
    free(bad);
}

static void convert_through_a_symlink_replaces_the_file_it_names(void **state)
{
    struct fixture *f = *state;
    char *link = scratch_path(f->dir, "out-link");
    write_file(f->bin, "old", 3);
    assert_int_equal(symlink("t.vbt", link), 0);
    struct tool_result r = TOOL(NULL, 60, "trace", "convert", f->text, "-o", link);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    size_t len = 0;
    char *bin = read_file(f->bin, &len);
    assert_true(len > 16384 && memcmp(bin, "VMSIMTRC", 8) == 0);
    free(bin);
    free(link);
}

static void sweep_refuses_csv_or_plot_naming_its_trace(void **state)
{
    struct fixture *f = *state;
    expect_refused(TOOL(NULL, 60, "sweep", "--csv", f->text, f->text), "is the input");
    expect_refused(TOOL(NULL, 60, "sweep", "--plot", f->text, f->text), "is the input");
    expect_refused(TOOL(f->text, 60, "sweep", "--csv", f->text, "-"), "is the input");
    expect_unchanged(f->text, f->orig_text, f->text_len);
}

static void sweep_csv_replaces_an_existing_file_whole(void **state)
{
    struct fixture *f = *state;
    char *csv = scratch_path(f->dir, "rows.csv");
    char junk[100000];
    memset(junk, 'x', sizeof junk);
    write_file(csv, junk, sizeof junk);
    struct tool_result r = TOOL(NULL, 60, "sweep", "--csv", csv, f->text);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    char *text = read_file(csv, NULL);
    assert_true(strncmp(text, "entries,ways,", 13) == 0);
    assert_null(strchr(text, 'x'));
    assert_int_equal(count_entries(f->dir), 2);
    free(text);
    free(csv);
}

static void synth_binary_is_refused_on_a_fifo(void **state)
{
    struct fixture *f = *state;
    char *fifo = scratch_path(f->dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct tool_result r = TOOL(NULL, 10, "trace", "synth", "seq", "-o", fifo);
    assert_false(r.timed_out);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "must be a regular file"));
    tool_free(&r);
    r = TOOL(NULL, 10, "trace", "convert", f->text, "-o", fifo);
    assert_false(r.timed_out);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "must be a regular file"));
    tool_free(&r);
    free(fifo);
}

static void synth_keeps_the_mode_of_the_file_it_replaces(void **state)
{
    struct fixture *f = *state;
    write_file(f->bin, "old", 3);
    assert_int_equal(chmod(f->bin, 0640), 0);
    struct tool_result r =
        TOOL(NULL, 60, "trace", "synth", "seq", "--accesses", "100", "-o", f->bin);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    struct stat st;
    assert_int_equal(stat(f->bin, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_true(st.st_size > 16384);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(convert_refuses_an_output_that_is_its_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failed_convert_leaves_the_existing_output_intact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(convert_through_a_symlink_replaces_the_file_it_names, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(sweep_refuses_csv_or_plot_naming_its_trace, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(sweep_csv_replaces_an_existing_file_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(synth_binary_is_refused_on_a_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(synth_keeps_the_mode_of_the_file_it_replaces, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
