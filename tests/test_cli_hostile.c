/*
 * test_cli_hostile.c - every vmsim command against hostile files
 * (issue 9: "Keep it from coming back", and items 3, 4, 6 and 12).
 *
 * Each command that reads a file -- `run`, `trace`, `trace convert` and
 * `sweep` -- is given, as a file and again through a FIFO:
 *
 *   no-newline   3 MiB without a newline (a reader that reads "a line"
 *                whole would take it all, or /dev/zero for ever)
 *   nul          lines holding NUL bytes
 *   token        one 512 KiB token (the message must not echo it whole)
 *   binary       random bytes
 *   /dev/zero    an endless stream of NULs
 *   gzip         corrupt and truncated gzip data (the trace commands)
 *
 * and must end by itself (a timeout of 30 s kills it otherwise) with
 * status 2, a "NAME:...error: ..." message on standard error of bounded
 * size, nothing on standard output, and a bounded peak memory (128 MiB:
 * the readers buffer 1 MiB).  Outputs equal to the input are refused
 * (test_cli_outputs has the details), and a scenario of 10^6 lines of
 * the kind that used to be quadratic must end within the timeout too
 * (its speed is measured by bench/bench_scenario, not here), and so must
 * a replay through a 2^20-entry fully-associative TLB (issue 9, item 5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <zlib.h>

#include "cli_rig.h"

#define TIMEOUT    30
#define MAX_RSS_KB (128 * 1024)
#define MAX_ERR    2048

static char *dir;

static int group_setup(void **state)
{
    (void)state;
    dir = scratch_dir();
    signal(SIGPIPE, SIG_IGN); /* a FIFO writer whose reader gave up */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    return 0;
}

/* The commands, with IN for the input and OUT for an output file. */
static const char *const commands[][6] = {
    {"run", "IN"},
    {"trace", "IN"},
    {"trace", "convert", "IN", "-o", "OUT"},
    {"sweep", "IN"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static struct tool_result run_command(size_t c, const char *in, const char *out)
{
    const char *args[8] = {0};
    for (size_t i = 0; i < 6 && commands[c][i]; i++)
        args[i] = !strcmp(commands[c][i], "IN")    ? in
                  : !strcmp(commands[c][i], "OUT") ? out
                                                   : commands[c][i];
    return tool_run(NULL, TIMEOUT, args);
}

/* Ended by itself, status 2, a short message naming the input, no output. */
static void expect_clear_error(struct tool_result r, size_t c, const char *name, const char *phrase)
{
    char what[64];
    snprintf(what, sizeof what, "vmsim %s %s", commands[c][0],
             commands[c][1] && strcmp(commands[c][1], "IN") ? commands[c][1] : "");
    if (r.timed_out)
        fail_msg("%s on %s did not end within %d s", what, name, TIMEOUT);
    if (r.status != 2 || r.out[0] || !strstr(r.err, "error: ") || !strstr(r.err, name) ||
        (phrase && !strstr(r.err, phrase)))
        fail_msg("%s on %s: wanted status 2, no output and an error naming it%s%s; got status "
                 "%d, stdout '%.200s', stderr '%.300s'",
                 what, name, phrase ? " with " : "", phrase ? phrase : "", r.status, r.out, r.err);
    if (strlen(r.err) > MAX_ERR)
        fail_msg("%s on %s: a %zu-byte message", what, name, strlen(r.err));
    if (r.max_rss_kb > MAX_RSS_KB)
        fail_msg("%s on %s: peak memory %ld KiB", what, name, r.max_rss_kb);
    tool_free(&r);
}

static void every_command(const char *path, const char *name, const char *phrase_run,
                          const char *phrase_trace)
{
    char *out = scratch_path(dir, "out.vbt");
    for (size_t c = 0; c < N_COMMANDS; c++)
        expect_clear_error(run_command(c, path, out), c, name, c == 0 ? phrase_run : phrase_trace);
    free(out);
}

static char *hostile_file(const char *name, const void *data, size_t len)
{
    char *path = scratch_path(dir, name);
    write_file(path, data, len);
    return path;
}

static char *no_newline(size_t *len)
{
    *len = 3u << 20;
    char *text = malloc(*len);
    assert_non_null(text);
    memset(text, 'A', *len);
    return text;
}

static const char nul_lines[] = "phys32 0x1000\0 5\n I  1000\0,4\nread\0 user 0x1000 4\n";

static void every_command_refuses_a_file_without_newlines(void **state)
{
    (void)state;
    size_t len;
    char *text = no_newline(&len);
    char *path = hostile_file("no-newline", text, len);
    every_command(path, "no-newline:1: error:", "line longer than", "line longer than");
    free(text);
    free(path);
}

static void every_command_refuses_nul_bytes(void **state)
{
    (void)state;
    char *path = hostile_file("nul", nul_lines, sizeof nul_lines - 1);
    every_command(path, "nul:1: error:", "NUL", NULL);
    free(path);
}

/* One 512 KiB token: the message quotes a short prefix only. */
static void every_command_cuts_a_huge_token_short(void **state)
{
    (void)state;
    size_t len = 512u << 10;
    char *text = malloc(len + 32);
    assert_non_null(text);
    memset(text, 'x', len);
    strcpy(text + len, " 0x1000 4\n");
    char *path = hostile_file("token", text, strlen(text));
    every_command(path, "token:1: error:", "xxx...", NULL);
    /* a huge number, too */
    memcpy(text, "read user 0x", 12);
    memset(text + 12, 'f', len - 12);
    strcpy(text + len, " 4\n");
    write_file(path, text, strlen(text));
    expect_clear_error(run_command(0, path, NULL), 0, "token:1: error:", "fff...' does not fit");
    free(text);
    free(path);
}

static void every_command_refuses_random_bytes(void **state)
{
    (void)state;
    uint8_t bytes[65536];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bytes[i] = (uint8_t)x;
    }
    bytes[0] = 'Z'; /* not a gzip or binary-trace magic */
    char *path = hostile_file("random", bytes, sizeof bytes);
    every_command(path, "random:1: error:", NULL, NULL);
    free(path);
}

static void every_command_ends_on_dev_zero(void **state)
{
    (void)state;
    every_command("/dev/zero", "/dev/zero:1: error:", NULL, NULL);
}

/* A child writes data into the FIFO, then closes it; it gives up after
 * the timeout (a reader that never came must not leave it behind). */
static pid_t fifo_writer(const char *fifo, const void *data, size_t len)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(1); /* nothing of the test's output held open */
        close(2);
        alarm(TIMEOUT);
        int fd = open(fifo, O_WRONLY);
        const char *p = data;
        while (fd >= 0 && len) {
            ssize_t n = write(fd, p, len);
            if (n <= 0)
                break;
            p += n;
            len -= (size_t)n;
        }
        _exit(0);
    }
    return pid;
}

static void every_command_refuses_hostile_data_from_a_fifo(void **state)
{
    (void)state;
    char *fifo = scratch_path(dir, "fifo");
    char *out = scratch_path(dir, "out.vbt");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    size_t len;
    char *text = no_newline(&len);
    for (size_t c = 0; c < N_COMMANDS; c++) {
        for (int big = 0; big < 2; big++) {
            pid_t w = big ? fifo_writer(fifo, text, len)
                          : fifo_writer(fifo, nul_lines, sizeof nul_lines - 1);
            struct tool_result r = run_command(c, fifo, out);
            kill(w, SIGKILL); /* before any assertion can leave this function */
            waitpid(w, NULL, 0);
            expect_clear_error(r, c, "fifo:1: error:", big ? "line longer than" : NULL);
        }
    }
    free(text);
    free(fifo);
    free(out);
}

static void gzip_file(const char *path, size_t n_lines)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    for (size_t i = 0; i < n_lines; i++)
        gzprintf(g, " L %08zx,4\n", i * 4096);
    assert_int_equal(gzclose(g), Z_OK);
}

/* Corrupt or truncated gzip: status 2 and "FILE: error:" like any bad input. */
static void trace_commands_refuse_bad_gzip_as_malformed_input(void **state)
{
    (void)state;
    char *path = scratch_path(dir, "bad.gz");
    char *out = scratch_path(dir, "out.vbt");
    for (int corrupt = 0; corrupt < 2; corrupt++) {
        gzip_file(path, 200000);
        size_t len = 0;
        char *gz = read_file(path, &len);
        if (corrupt)
            gz[10] = (char)0xff; /* the first deflate block: type 3, reserved */
        write_file(path, gz, corrupt ? len : len / 2);
        for (size_t c = 1; c < N_COMMANDS; c++)
            expect_clear_error(run_command(c, path, out), c, "bad.gz: error: ",
                               corrupt ? "corrupt gzip data" : "truncated gzip data");
        free(gz);
    }
    free(path);
    free(out);
}

static void outputs_equal_to_the_input_are_refused(void **state)
{
    (void)state;
    static const char text[] = "I  0400,4\n L 1000,4\n";
    char *in = hostile_file("in.txt", text, sizeof text - 1);
    const char *const tries[][6] = {{"trace", "convert", in, "-o", in},
                                    {"sweep", "--csv", in, in},
                                    {"sweep", "--plot", in, in}};
    for (size_t i = 0; i < 3; i++) {
        struct tool_result r = tool_run(NULL, TIMEOUT, tries[i]);
        assert_false(r.timed_out);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "is the input"));
        tool_free(&r);
        char *now = read_file(in, NULL);
        assert_string_equal(now, text);
        free(now);
    }
    free(in);
}

/* 10^6 lines: page-table words named in descending order, then accesses
 * setting A/D bits far apart (it took minutes when tracking was
 * quadratic; bench/bench_scenario measures it). */
static void run_of_a_million_lines_ends_within_the_timeout(void **state)
{
    (void)state;
    char *path = scratch_path(dir, "million.scn");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "ram 0x10000000\n");
    for (unsigned t = 0; t < 256; t++)
        fprintf(f, "phys32 0x%x 0x%x\n", 0x1000 + 4 * t, (0x400000 + 4096 * t) | 7);
    for (unsigned i = 262144; i-- > 0;)
        fprintf(f, "phys32 0x%x 0x%x\n", 0x400000 + 4 * i, (2048 + (i & 0x7fff)) << 12 | 7);
    for (unsigned i = 200000; i-- > 0;)
        fprintf(f, "phys32 0x%x 0\n", (2048 + (i & 0x7fff)) << 12 | (i >> 15) * 4);
    fprintf(f, "cr3 0x1000\ncr0 0x80000001\n");
    uint32_t x = 1;
    for (unsigned i = 0; i < 537000; i++) {
        x = x * 1664525u + 1013904223u;
        fprintf(f, "%s user 0x%x 4\n", i % 3 ? "read" : "write", (x >> 2) & 0x3ffffffc);
    }
    assert_int_equal(fclose(f), 0);
    struct tool_result r = TOOL(NULL, 60, "run", path);
    if (r.timed_out || r.status != 0)
        fail_msg("status %d%s: %.300s", r.status, r.timed_out ? " (timed out)" : "", r.err);
    tool_free(&r);
    free(path);
}

/* A fully-associative TLB of 2^20 entries: every lookup compared every
 * way (20,000 accesses took 23 s); wide sets are indexed now. */
static void trace_with_a_million_way_tlb_ends_within_the_timeout(void **state)
{
    (void)state;
    char *path = scratch_path(dir, "uniform.vbt");
    struct tool_result r = TOOL(NULL, TIMEOUT, "trace", "synth", "uniform", "--accesses", "60000",
                                "--footprint", "256M", "-o", path);
    assert_int_equal(r.status, 0);
    tool_free(&r);
    r = TOOL(NULL, TIMEOUT, "trace", "--dtlb", "1048576,full", "--itlb", "1048576,full", path);
    if (r.timed_out || r.status != 0)
        fail_msg("status %d%s: %.300s", r.status, r.timed_out ? " (timed out)" : "", r.err);
    assert_non_null(strstr(r.out, "DTLB 1048576 entries fully associative"));
    tool_free(&r);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_command_refuses_a_file_without_newlines),
        cmocka_unit_test(every_command_refuses_nul_bytes),
        cmocka_unit_test(every_command_cuts_a_huge_token_short),
        cmocka_unit_test(every_command_refuses_random_bytes),
        cmocka_unit_test(every_command_ends_on_dev_zero),
        cmocka_unit_test(every_command_refuses_hostile_data_from_a_fifo),
        cmocka_unit_test(trace_commands_refuse_bad_gzip_as_malformed_input),
        cmocka_unit_test(outputs_equal_to_the_input_are_refused),
        cmocka_unit_test(run_of_a_million_lines_ends_within_the_timeout),
        cmocka_unit_test(trace_with_a_million_way_tlb_ends_within_the_timeout),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
