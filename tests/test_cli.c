/*
 * test_cli.c - the `vmsim` program as a user runs it.
 *
 * Each test starts the built binary (its path comes from CMake as
 * VMSIM_TOOL) with posix_spawn, standard input from a file, standard
 * output and error captured in unlinked temporary files.
 *
 * What this suite proves:
 *   - `vmsim --help`, `vmsim help run`, `vmsim run --help` and
 *     `vmsim version` succeed and print on standard output only;
 *   - `vmsim help` with an unknown command lists the commands;
 *   - an unknown command, a missing or nonexistent scenario file, an
 *     unknown option and every kind of bad --dtlb/--itlb spec exit with
 *     status 2 and say why on standard error, printing nothing on
 *     standard output;
 *   - `vmsim run FILE` and `vmsim run -` (standard input) print exactly a
 *     conformance vector's expected output;
 *   - --explain and --stats write to standard error only, leaving
 *     standard output byte-identical;
 *   - --no-tlb, --unified and other TLB geometries still pass a vector,
 *     and --no-tlb really removes the TLB (the stale-read vector changes);
 *   - a malformed scenario line gives `FILE:LINE: error: ...` and status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmsim/vmsim.h"

#ifndef VMSIM_TOOL
#error "VMSIM_TOOL (the path of the vmsim binary) must be defined by the build"
#endif

extern char **environ;

#define VECTORS VMSIM_SHARED_DIR "/conformance/"
#define WALK_VECTOR VECTORS "001-walk-4k"
#define STALE_VECTOR VECTORS "011-invlpg-stale"

struct cli_result {
    int status; /* exit status, or -1 when the program did not exit normally */
    char *out, *err;
};

static int temp_file(void)
{
    char path[] = "/tmp/vmsim-test-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    return fd;
}

/* The whole content of the file open as fd, NUL-terminated. */
static char *slurp_fd(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size >= 0);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    text[size] = '\0';
    return text;
}

static char *slurp_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    char *text = slurp_fd(fd);
    close(fd);
    return text;
}

/* Run `vmsim args...` (NULL-terminated) with stdin from `input` (or
 * /dev/null) and capture what it prints. */
static struct cli_result run_vmsim(const char *input, const char *const *args)
{
    struct cli_result r = {-1, NULL, NULL};
    char *argv[16] = {(char *)VMSIM_TOOL};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        assert_true(n < 15);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    int in = open(input ? input : "/dev/null", O_RDONLY);
    assert_true(in >= 0);
    int out = temp_file(), err = temp_file();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, VMSIM_TOOL, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    if (WIFEXITED(wstatus))
        r.status = WEXITSTATUS(wstatus);
    r.out = slurp_fd(out);
    r.err = slurp_fd(err);
    close(in);
    close(out);
    close(err);
    return r;
}

#define VMSIM(input, ...) run_vmsim(input, (const char *const[]){__VA_ARGS__, NULL})

static void free_result(struct cli_result *r)
{
    free(r->out);
    free(r->err);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void need_vectors(void)
{
    if (!exists(WALK_VECTOR ".scn") || !exists(STALE_VECTOR ".scn")) {
        print_message("skipped: %s not found; set -DVMSIM_SHARED_DIR\n", VECTORS);
        skip();
    }
}

/* Status 2, nothing on stdout, and `phrase` in the message on stderr. */
static void expect_usage_error(struct cli_result r, const char *phrase)
{
    if (r.status != 2 || r.out[0] || !strstr(r.err, phrase))
        fail_msg("wanted status 2, empty stdout and '%s' on stderr; got status %d, stdout '%s', "
                 "stderr '%s'", phrase, r.status, r.out, r.err);
    free_result(&r);
}

/* Status 0, `expected` exactly on stdout; stderr empty unless allowed. */
static void expect_success(struct cli_result r, const char *expected, bool stderr_allowed)
{
    if (r.status != 0 || strcmp(r.out, expected) != 0 || (!stderr_allowed && r.err[0]))
        fail_msg("wanted status 0 and the expected output; got status %d, stdout:\n%s\nstderr:\n%s",
                 r.status, r.out, r.err);
    free_result(&r);
}

/* --- help and usage ---------------------------------------------------- */

static void top_level_help_exits_0_and_lists_the_commands(void **state)
{
    (void)state;
    static const char *const spellings[] = {"--help", "-h"};
    for (size_t i = 0; i < 2; i++) {
        struct cli_result r = VMSIM(NULL, spellings[i]);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "usage: vmsim COMMAND"));
        assert_non_null(strstr(r.out, "  run "));
        assert_string_equal(r.err, "");
        free_result(&r);
    }
}

static void help_run_and_run_help_print_the_same_usage(void **state)
{
    (void)state;
    struct cli_result a = VMSIM(NULL, "help", "run");
    struct cli_result b = VMSIM(NULL, "run", "--help");
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_non_null(strstr(a.out, "usage: vmsim run"));
    assert_non_null(strstr(a.out, "--no-tlb"));
    assert_string_equal(a.out, b.out);
    assert_string_equal(a.err, "");
    assert_string_equal(b.err, "");
    free_result(&a);
    free_result(&b);
}

static void version_prints_the_library_version(void **state)
{
    char expected[64];
    (void)state;
    snprintf(expected, sizeof expected, "vmsim %s\n", vmsim_version());
    expect_success(VMSIM(NULL, "version"), expected, false);
    expect_success(VMSIM(NULL, "--version"), expected, false);
}

static void unknown_or_missing_command_exits_2(void **state)
{
    (void)state;
    expect_usage_error(VMSIM(NULL, "frobnicate"), "unknown command 'frobnicate'");
    expect_usage_error(VMSIM(NULL, "help", "frobnicate"), "no command 'frobnicate'");
    expect_usage_error(VMSIM(NULL, "help", "frobnicate"), "commands:\n  run ");
    expect_usage_error(run_vmsim(NULL, (const char *const[]){NULL}), "usage: vmsim");
}

static void run_needs_exactly_one_existing_file(void **state)
{
    (void)state;
    expect_usage_error(VMSIM(NULL, "run"), "expected one scenario file");
    expect_usage_error(VMSIM(NULL, "run", "a.scn", "b.scn"), "expected one scenario file");
    expect_usage_error(VMSIM(NULL, "run", "/nonexistent/dir/x.scn"),
                       "cannot open /nonexistent/dir/x.scn");
    expect_usage_error(VMSIM(NULL, "run", "--frobnicate", "x.scn"), "usage: vmsim run");
}

static void bad_tlb_specs_exit_2_with_a_message(void **state)
{
    static const struct {
        const char *option, *spec, *phrase;
    } cases[] = {
        {"--dtlb", "3,2", "impossible geometry"},       /* not a multiple */
        {"--dtlb", "12,4", "impossible geometry"},      /* 3 sets */
        {"--itlb", "12,3,plru", "impossible geometry"}, /* PLRU, 3 ways */
        {"--dtlb", "64,0", "impossible geometry"},
        {"--dtlb", "x", "expects ENTRIES,WAYS"},
        {"--dtlb", "64", "expects ENTRIES,WAYS"},
        {"--dtlb", "64,4,mru", "expects ENTRIES,WAYS"},
        {"--itlb", "-64,4", "expects ENTRIES,WAYS"},
        {"--dtlb", "64,4,lru,seed", "expects ENTRIES,WAYS"},
        {"--dtlb", "64,four", "expects ENTRIES,WAYS"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(VMSIM(NULL, "run", cases[i].option, cases[i].spec, "x.scn"),
                           cases[i].phrase);
}

/* --- running vectors ------------------------------------------------------ */

static void run_file_prints_the_vector_output(void **state)
{
    (void)state;
    need_vectors();
    char *expected = slurp_path(WALK_VECTOR ".out");
    expect_success(VMSIM(NULL, "run", WALK_VECTOR ".scn"), expected, false);
    free(expected);
}

static void run_dash_reads_standard_input(void **state)
{
    (void)state;
    need_vectors();
    char *expected = slurp_path(STALE_VECTOR ".out");
    expect_success(VMSIM(STALE_VECTOR ".scn", "run", "-"), expected, false);
    free(expected);
}

static void explain_and_stats_write_to_stderr_only(void **state)
{
    (void)state;
    need_vectors();
    char *expected = slurp_path(WALK_VECTOR ".out");
    struct cli_result r = VMSIM(NULL, "run", "--explain", WALK_VECTOR ".scn");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, expected);
    assert_non_null(strstr(r.err, "walk from CR3"));
    assert_non_null(strstr(r.err, "hit"));
    free_result(&r);
    r = VMSIM(WALK_VECTOR ".scn", "run", "--stats", "--explain", "-");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, expected);
    assert_non_null(strstr(r.err, "statistics:"));
    free_result(&r);
    free(expected);
}

static void tlb_options_still_pass_a_vector(void **state)
{
    static const char *const options[][3] = {
        {"--no-tlb", NULL, NULL},        {"--unified", NULL, NULL},
        {"--dtlb", "1,1", NULL},         {"--dtlb", "16,full,plru", NULL},
        {"--itlb", "8,2,fifo", NULL},    {"--dtlb", "0x40,4,random,7", NULL},
    };
    (void)state;
    need_vectors();
    char *expected = slurp_path(WALK_VECTOR ".out");
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const char *o1 = options[i][0], *o2 = options[i][1];
        struct cli_result r = o2 ? VMSIM(NULL, "run", o1, o2, WALK_VECTOR ".scn")
                                 : VMSIM(NULL, "run", o1, WALK_VECTOR ".scn");
        if (r.status != 0 || strcmp(r.out, expected) != 0)
            fail_msg("vmsim run %s %s: status %d, output:\n%s", o1, o2 ? o2 : "", r.status, r.out);
        free_result(&r);
    }
    free(expected);
}

static void unified_keeps_and_no_tlb_loses_the_stale_translation(void **state)
{
    (void)state;
    need_vectors();
    char *expected = slurp_path(STALE_VECTOR ".out");
    expect_success(VMSIM(NULL, "run", "--unified", STALE_VECTOR ".scn"), expected, false);
    struct cli_result r = VMSIM(NULL, "run", "--no-tlb", STALE_VECTOR ".scn");
    assert_int_equal(r.status, 0);
    assert_string_not_equal(r.out, expected); /* without a TLB the stale read sees the new PTE */
    free_result(&r);
    free(expected);
}

/* --- malformed scenarios ----------------------------------------------------- */

static void malformed_scenario_names_file_and_line_and_exits_2(void **state)
{
    char path[] = "/tmp/vmsim-test-cli-XXXXXX";
    static const char text[] = "read sup 0x0 4\nread sup 0x0 3\nread sup 0x0 4\n";
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s:2: error: ", path);
    struct cli_result r = VMSIM(NULL, "run", path);
    struct cli_result s = VMSIM(path, "run", "-");
    unlink(path);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "read sup 0x0 4 -> ok 0x0\n");
    assert_true(strncmp(r.err, prefix, strlen(prefix)) == 0);
    assert_int_equal(s.status, 2);
    assert_string_equal(s.out, r.out);
    assert_true(strncmp(s.err, "<stdin>:2: error: ", 18) == 0);
    free_result(&r);
    free_result(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_level_help_exits_0_and_lists_the_commands),
        cmocka_unit_test(help_run_and_run_help_print_the_same_usage),
        cmocka_unit_test(version_prints_the_library_version),
        cmocka_unit_test(unknown_or_missing_command_exits_2),
        cmocka_unit_test(run_needs_exactly_one_existing_file),
        cmocka_unit_test(bad_tlb_specs_exit_2_with_a_message),
        cmocka_unit_test(run_file_prints_the_vector_output),
        cmocka_unit_test(run_dash_reads_standard_input),
        cmocka_unit_test(explain_and_stats_write_to_stderr_only),
        cmocka_unit_test(tlb_options_still_pass_a_vector),
        cmocka_unit_test(unified_keeps_and_no_tlb_loses_the_stale_translation),
        cmocka_unit_test(malformed_scenario_names_file_and_line_and_exits_2),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
