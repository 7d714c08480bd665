/*
 * fuzz_scenario.c - libFuzzer target: the input is a scenario file
 * (shared/spec/scenario.md) run by scenario_run(), the engine of
 * `vmsim run`, with in-memory streams.
 *
 * What must hold for any input:
 *   - no crash, leak or sanitizer report (libFuzzer and ASan/UBSan see
 *     to those);
 *   - the exit status is 0, 1 or 2;
 *   - status 0 writes nothing to the error stream; status 2 writes
 *     exactly one message, "fuzz.scn:LINE: error: ..." with LINE no
 *     larger than the number of lines read;
 *   - every result line on the output has one of the forms the spec
 *     allows (checked loosely: it names an access or a register, or it
 *     is a "  ~ " change line).
 *
 * `ram 0x100000000` (4 GiB) is allowed: RAM is reserved lazily, so a
 * scenario costs only the pages it touches.  The engine runs with
 * --explain and --stats on (into memory), so their printers are fuzzed
 * too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scenario.h"

static unsigned count_lines(const uint8_t *data, size_t size)
{
    unsigned n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size && data[size - 1] != '\n');
}

static void check_output(const char *out)
{
    static const char *const starts[] = {"read ", "write ", "fetch ", "cr0 ",
                                         "cr3 ",  "cr4 ",   "efer ",  "  ~ 0x"};
    for (const char *line = out; *line;) {
        const char *nl = strchr(line, '\n');
        FUZZ_CHECK(nl != NULL, "output line without a newline: %s", line);
        bool known = false;
        for (size_t i = 0; i < sizeof starts / sizeof starts[0] && !known; i++)
            known = strncmp(line, starts[i], strlen(starts[i])) == 0;
        FUZZ_CHECK(known, "unexpected output line: %.*s", (int)(nl - line), line);
        line = nl + 1;
    }
}

static void check_errors(const char *err, int rc, unsigned n_lines)
{
    if (rc == 0) {
        FUZZ_CHECK(err[0] == '\0', "status 0 but an error message: %s", err);
        return;
    }
    FUZZ_CHECK(err[0] != '\0', "status %d without a message", rc);
    const char *nl = strchr(err, '\n');
    FUZZ_CHECK(nl && nl[1] == '\0', "not exactly one message line: %s", err);
    if (rc != 2)
        return;
    unsigned line;
    int used = 0;
    FUZZ_CHECK(sscanf(err, "fuzz.scn:%u: error: %n", &line, &used) == 1 && used > 0,
               "status 2 message is not FILE:LINE: error: %s", err);
    FUZZ_CHECK(line >= 1 && line <= n_lines, "message names line %u of %u: %s", line, n_lines, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* fmemopen() of zero bytes is refused by some libcs: give it one
     * byte and read none of it. */
    FILE *in = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
    if (!in)
        return 0;
    if (!size)
        fgetc(in);
    struct membuf out, err, explain, stats;
    membuf_open(&out);
    membuf_open(&err);
    membuf_open(&explain);
    membuf_open(&stats);

    struct scenario_options opt;
    scenario_options_default(&opt);
    opt.explain = explain.f;
    opt.stats = stats.f;
    int rc = scenario_run(in, "fuzz.scn", out.f, err.f, &opt);
    fclose(in);
    membuf_close(&out);
    membuf_close(&err);
    membuf_close(&explain);
    membuf_close(&stats);

    FUZZ_CHECK(rc == 0 || rc == 1 || rc == 2, "scenario_run returned %d", rc);
    check_output(out.text);
    check_errors(err.text, rc, count_lines(data, size));
    FUZZ_CHECK(rc != 0 || stats.text[0] != '\0', "status 0 but no statistics printed");
    membuf_free(&out);
    membuf_free(&err);
    membuf_free(&explain);
    membuf_free(&stats);
    return 0;
}
