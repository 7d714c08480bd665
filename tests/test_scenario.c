/*
 * test_scenario.c - the scenario language of `vmsim run`, driven in
 * process through scenario_run() with in-memory streams.
 *
 * What this suite proves:
 *   - output follows shared/spec/scenario.md to the byte: one result line
 *     per access (`ok PADDR`, `#PF ERR CR2`, `!bus PADDR`), minimal
 *     lower-case hexadecimal, decimal SIZE, then `  ~ ADDR OLD -> NEW` for
 *     every phys32/phys64 word the access changed, in ascending address
 *     order; `cr0 VALUE -> #GP` for a refused load, which changes nothing;
 *   - page-crossing writes, paging off, the default and explicit RAM size;
 *   - comments, blank lines, extra white space and CRLF line ends are
 *     ignored;
 *   - every class of malformed line stops the run with
 *     `NAME:LINE: error: ...` on the error stream and status 2, keeping the
 *     results printed before it and printing nothing after it;
 *   - the options' TLB configuration, --explain and --stats streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

struct run_result {
    int rc;
    char *out, *err;
};

static struct run_result run_bytes_with(const char *text, size_t len,
                                        const struct scenario_options *opt)
{
    struct run_result r = {0};
    size_t n_out = 0, n_err = 0;
    FILE *in = fmemopen((void *)text, len, "r");
    FILE *out = open_memstream(&r.out, &n_out);
    FILE *err = open_memstream(&r.err, &n_err);
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(err);
    r.rc = scenario_run(in, "t.scn", out, err, opt);
    fclose(in);
    fclose(out);
    fclose(err);
    return r;
}

static struct run_result run_bytes(const char *text, size_t len)
{
    struct scenario_options opt;
    scenario_options_default(&opt);
    return run_bytes_with(text, len, &opt);
}

static struct run_result run_text(const char *text)
{
    return run_bytes(text, strlen(text));
}

static void free_result(struct run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Run `text`; it must succeed (status 0, nothing on the error stream) and
 * print exactly `expected`. */
static void expect_output(const char *text, const char *expected)
{
    struct run_result r = run_text(text);
    if (r.rc != 0 || strcmp(r.out, expected) != 0 || r.err[0])
        fail_msg("scenario:\n%s\nstatus %d, expected output:\n%s\ngot:\n%s\nerrors:\n%s", text,
                 r.rc, expected, r.out, r.err);
    free_result(&r);
}

/* --- result lines -------------------------------------------------------- */

/* Page directory at 0x20000 above its page table at 0x11000, so the walk
 * changes the PDE (higher address) before the PTE (lower address): the
 * change lines must still come out in address order. */
static void changed_words_are_listed_in_ascending_address_order(void **state)
{
    (void)state;
    expect_output("phys32 0x20000 0x11003\n"
                  "phys32 0x11004 0x30003\n"
                  "cr3 0x20000\n"
                  "cr0 0x80000001\n"
                  "read sup 0x1234 4\n"
                  "read sup 0x1238 4\n",
                  "read sup 0x1234 4 -> ok 0x30234\n"
                  "  ~ 0x11004 0x30003 -> 0x30023\n"
                  "  ~ 0x20000 0x11003 -> 0x11023\n"
                  "read sup 0x1238 4 -> ok 0x30238\n");
}

static const char walk_setup[] = "phys32 0x10000 0x11007\n"  /* PDE 0 -> PT 0x11000 */
                                 "phys32 0x11004 0x30007\n"  /* page 1 -> 0x30000 */
                                 "phys32 0x11008 0x50007\n"  /* page 2 -> 0x50000 */
                                 "phys32 0x11014 0x60005\n"  /* page 5 -> 0x60000 read-only */
                                 "cr3 0x10000\n"
                                 "cr0 0x80000001\n";

static void expect_after_setup(const char *accesses, const char *expected)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", walk_setup, accesses);
    expect_output(text, expected);
}

static void faults_print_error_code_and_cr2_in_minimal_hex(void **state)
{
    (void)state;
    expect_after_setup("read sup 0x3000 4\n"
                       "write user 0x5004 1\n"
                       "fetch user 0x3ffe 2\n",
                       "read sup 0x3000 4 -> #PF 0x0 0x3000\n"
                       "  ~ 0x10000 0x11007 -> 0x11027\n"
                       "write user 0x5004 1 -> #PF 0x7 0x5004\n"
                       "fetch user 0x3ffe 2 -> #PF 0x4 0x3ffe\n");
}

static void page_crossing_write_changes_both_ptes_and_the_data_words(void **state)
{
    (void)state;
    expect_after_setup("phys32 0x30ffc 0x11223344\n"
                       "phys32 0x50000 0x55667788\n"
                       "write user 0x1ffe 4\n",
                       "write user 0x1ffe 4 -> ok 0x30ffe\n"
                       "  ~ 0x10000 0x11007 -> 0x11027\n"
                       "  ~ 0x11004 0x30007 -> 0x30067\n"
                       "  ~ 0x11008 0x50007 -> 0x50067\n"
                       "  ~ 0x30ffc 0x11223344 -> 0x3344\n"
                       "  ~ 0x50000 0x55667788 -> 0x55660000\n");
}

static void page_crossing_fault_on_the_second_page_keeps_the_first_pages_bits(void **state)
{
    (void)state;
    expect_after_setup("phys32 0x30ffc 0x11223344\n"
                       "write user 0x2ffe 4\n"
                       "write sup 0x1ffe 4\n",
                       "write user 0x2ffe 4 -> #PF 0x6 0x3000\n"
                       "  ~ 0x10000 0x11007 -> 0x11027\n"
                       "  ~ 0x11008 0x50007 -> 0x50067\n"
                       "write sup 0x1ffe 4 -> ok 0x30ffe\n"
                       "  ~ 0x11004 0x30007 -> 0x30067\n"
                       "  ~ 0x30ffc 0x11223344 -> 0x3344\n");
}

static void paging_off_results_are_identity_with_decimal_sizes(void **state)
{
    (void)state;
    expect_output("read user 0x0 8\n"
                  "fetch sup 0xabc 2\n"
                  "write sup 4096 1\n",
                  "read user 0x0 8 -> ok 0x0\n"
                  "fetch sup 0xabc 2 -> ok 0xabc\n"
                  "write sup 0x1000 1 -> ok 0x1000\n");
}

static void writes_store_zero_bytes_into_tracked_words_of_both_widths(void **state)
{
    (void)state;
    expect_output("phys32 0x5000 0xffffffff\n"
                  "phys64 0x6000 0x1122334455667788\n"
                  "write sup 0x5002 2\n"
                  "write user 0x6003 4\n"
                  "write user 0x6003 4\n",
                  "write sup 0x5002 2 -> ok 0x5002\n"
                  "  ~ 0x5000 0xffffffff -> 0xffff\n"
                  "write user 0x6003 4 -> ok 0x6003\n"
                  "  ~ 0x6000 0x1122334455667788 -> 0x1100000000667788\n"
                  "write user 0x6003 4 -> ok 0x6003\n");
}

static void bus_errors_name_the_entry_or_the_first_byte_outside_ram(void **state)
{
    (void)state;
    expect_output("ram 0x10000\n"
                  "read sup 0xfffc 4\n"
                  "read sup 0x10000 1\n"
                  "phys32 0x1000 0x2003\n"   /* PDE 0 -> PT 0x2000 */
                  "phys32 0x2000 0x20003\n"  /* page 0 -> 0x20000: outside RAM */
                  "phys32 0x1004 0x40003\n"  /* PDE 1 -> PT 0x40000: outside RAM */
                  "cr3 0x1000\n"
                  "cr0 0x80000001\n"
                  "read sup 0x10 4\n"
                  "write sup 0x400000 4\n",
                  "read sup 0xfffc 4 -> ok 0xfffc\n"
                  "read sup 0x10000 1 -> !bus 0x10000\n"
                  "read sup 0x10 4 -> !bus 0x20010\n"
                  "write sup 0x400000 4 -> !bus 0x40000\n");
}

static void default_ram_is_64_mib(void **state)
{
    (void)state;
    expect_output("read sup 0x3fffffc 4\nread sup 0x4000000 1\n",
                  "read sup 0x3fffffc 4 -> ok 0x3fffffc\n"
                  "read sup 0x4000000 1 -> !bus 0x4000000\n");
}

static void ram_directive_accepts_4_kib_up_to_4_gib(void **state)
{
    (void)state;
    expect_output("ram 4096\nread sup 0xfff 1\nread sup 0x1000 1\n",
                  "read sup 0xfff 1 -> ok 0xfff\nread sup 0x1000 1 -> !bus 0x1000\n");
    expect_output("ram 0x100000000\nphys32 0xfffffffc 1\nread sup 0xfffffffc 4\n",
                  "read sup 0xfffffffc 4 -> ok 0xfffffffc\n");
    expect_output("# a comment first is fine\n\nram 0x2000\nmaxphyaddr 32\nmaxphyaddr 52\n", "");
}

static void refused_cr0_load_prints_gp_and_changes_nothing(void **state)
{
    (void)state;
    expect_after_setup("cr0 0x1\n"                /* paging off again */
                       "cr0 0x80000000\n"         /* PG without PE: #GP */
                       "read sup 0x1000 4\n"
                       "cr4 0x1000000\n",         /* CR4.PKS: #GP */
                       "cr0 0x80000000 -> #GP\n"
                       "read sup 0x1000 4 -> ok 0x1000\n"
                       "cr4 0x1000000 -> #GP\n");
}

static void refused_pae_cr3_load_prints_gp(void **state)
{
    (void)state;
    expect_output("phys64 0x1000 0x2001\n"   /* PDPTE 0 -> PD 0x2000 */
                  "phys64 0x2000 0x3003\n"   /* PDE 0 -> PT 0x3000 */
                  "phys64 0x3008 0x7003\n"   /* page 1 -> 0x7000 */
                  "phys64 0x4000 0x2003\n"   /* a PDPT whose entry 0 has reserved bit 1 */
                  "cr3 0x1000\n"
                  "cr4 0x20\n"
                  "cr0 0x80000001\n"
                  "cr3 0x4000\n"
                  "read sup 0x1010 4\n",
                  "cr3 0x4000 -> #GP\n"
                  "read sup 0x1010 4 -> ok 0x7010\n"
                  "  ~ 0x2000 0x3003 -> 0x3023\n"
                  "  ~ 0x3008 0x7003 -> 0x7023\n");
}

/* A CR0/CR4 load that turns PAE paging on reads the PDPTEs at CR3; when
 * they lie outside RAM the load is refused and the line names their
 * address, CR3 & ~0x1f -- as a refused CR3 load does. */
static void refused_cr0_load_names_the_pdpt_address_from_cr3(void **state)
{
    (void)state;
    expect_output("ram 0x10000\n"
                  "cr3 0x20000\n"       /* the PDPT lies outside RAM */
                  "cr4 0x20\n"
                  "cr0 0x80000001\n"    /* PAE paging would start: PDPTE load fails */
                  "cr4 0x0\n"
                  "cr0 0x80000001\n"    /* 32-bit paging: the walk reads the PDE at 0x20000 */
                  "read sup 0x0 4\n",
                  "cr0 0x80000001 -> !bus 0x20000\n"
                  "read sup 0x0 4 -> !bus 0x20000\n");
}

/* --- lexical rules -------------------------------------------------------- */

static const char lexical_expected[] = "read sup 0x10 4 -> ok 0x10\n"
                                       "read user 0xabc 2 -> ok 0xabc\n"
                                       "write sup 0x20 1 -> ok 0x20\n";

static void comments_blank_lines_and_extra_white_space_are_ignored(void **state)
{
    (void)state;
    expect_output("# a scenario\n"
                  "\n"
                  "   \t  \n"
                  "   read   sup\t0x0010  4   # trailing comment\n"
                  "read user 0xAbC 2#no space before the comment\n"
                  "\twrite sup 32 1\t\n"
                  "#read sup 0x999 4\n",
                  lexical_expected);
}

static void crlf_line_ends_read_like_lf(void **state)
{
    (void)state;
    expect_output("# a scenario\r\n"
                  "\r\n"
                  "read sup 0x10 4\r\n"
                  "read user 0xabc 2 # comment\r\n"
                  "write sup 32 1\r\n",
                  lexical_expected);
}

static void last_line_without_newline_is_run(void **state)
{
    (void)state;
    expect_output("read sup 0x10 4\nread user 0xabc 2\nwrite sup 32 1", lexical_expected);
}

/* --- malformed input ------------------------------------------------------- */

struct bad_case {
    const char *text;      /* the whole scenario */
    unsigned line;         /* the line the error must name */
    const char *message;   /* a phrase the message must contain */
};

/* Cases put an access that succeeds before the bad line where `ram`
 * allows it, so the test can check that earlier results stay printed, and
 * one after it that must not run. */
#define OK_LINE "read sup 0x0 1\n"
#define OK_OUT "read sup 0x0 1 -> ok 0x0\n"

/* The output a case must leave: one OK_OUT per OK_LINE before its bad line. */
static void output_before(const struct bad_case *c, char *buf, size_t size)
{
    const char *p = c->text;
    buf[0] = '\0';
    for (unsigned line = 1; line < c->line && p; line++) {
        if (strncmp(p, OK_LINE, strlen(OK_LINE)) == 0)
            strncat(buf, OK_OUT, size - strlen(buf) - 1);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
}

static void expect_error(const struct bad_case *c)
{
    char prefix[64], want_out[256];
    struct run_result r = run_text(c->text);
    snprintf(prefix, sizeof prefix, "t.scn:%u: error: ", c->line);
    output_before(c, want_out, sizeof want_out);
    if (r.rc != 2 || strncmp(r.err, prefix, strlen(prefix)) != 0 ||
        !strstr(r.err, c->message) || strcmp(r.out, want_out) != 0 ||
        strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
        fail_msg("scenario:\n%s\nwanted status 2, '%s...%s...' and output '%s'\n"
                 "got status %d, errors '%s', output '%s'",
                 c->text, prefix, c->message, want_out, r.rc, r.err, r.out);
    free_result(&r);
}

static void run_bad_cases(const struct bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_error(&cases[i]);
}

#define BAD(text, line, message) {text, line, message}

static void unknown_directives_and_upper_case_keywords_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "frobnicate 1\n" OK_LINE, 2, "unknown directive 'frobnicate'"),
        BAD(OK_LINE "READ sup 0x0 4\n" OK_LINE, 2, "unknown directive 'READ'"),
        BAD(OK_LINE "Cr0 0x1\n" OK_LINE, 2, "unknown directive"),
        BAD(OK_LINE "\n# c\nPhys32 0x0 0\n" OK_LINE, 4, "unknown directive"),
        BAD(OK_LINE "read_sup 0x0 4\n" OK_LINE, 2, "unknown directive"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void wrong_argument_counts_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "read sup 0x0\n" OK_LINE, 2, "'read' takes 3 arguments"),
        BAD(OK_LINE "write sup 0x0 4 4\n" OK_LINE, 2, "'write' takes 3 arguments"),
        BAD(OK_LINE "fetch\n" OK_LINE, 2, "'fetch' takes 3 arguments"),
        BAD(OK_LINE "cr3\n" OK_LINE, 2, "'cr3' takes 1 argument"),
        BAD(OK_LINE "cr0 0x1 0x2\n" OK_LINE, 2, "'cr0' takes 1 argument"),
        BAD(OK_LINE "phys32 0x1000\n" OK_LINE, 2, "'phys32' takes 2 arguments"),
        BAD(OK_LINE "phys64 0x1000 1 2\n" OK_LINE, 2, "'phys64' takes 2 arguments"),
        BAD(OK_LINE "ac\n" OK_LINE, 2, "'ac' takes 1 argument"),
        BAD(OK_LINE "invlpg 0x1000 0x2000\n" OK_LINE, 2, "'invlpg' takes 1 argument"),
        BAD(OK_LINE "efer\n" OK_LINE, 2, "'efer' takes 1 argument"),
        BAD("ram\n", 1, "'ram' takes 1 argument"),
        BAD(OK_LINE "maxphyaddr 40 40\n", 2, "'maxphyaddr' takes 1 argument"),
        BAD(OK_LINE "read sup 0 4 a b c d e\n" OK_LINE, 2, "too many fields"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void malformed_numbers_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "cr3 12z\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 0x\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 -1\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 +1\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 0X10\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 1.5\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 0xfg\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "cr3 ab\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "read sup 0x1g 4\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "read sup 0x0 four\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "phys32 0x1000 value\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "invlpg 0x1_000\n" OK_LINE, 2, "is not a number"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void numbers_too_big_for_their_field_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "cr3 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "cr0 4294967296\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "cr4 0x1ffffffff\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "invlpg 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "read sup 0x100000000 4\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "write user 4294967296 1\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "phys32 0x1000 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "phys64 0x1000 0x10000000000000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "phys64 0x1000 18446744073709551616\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "efer 0x10000000000000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "phys32 0x10000000000000000 0\n" OK_LINE, 2, "does not fit"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void misplaced_or_impossible_ram_sizes_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "ram 0x10000\n" OK_LINE, 2, "'ram' must come before any other directive"),
        BAD("cr4 0\nram 0x10000\n", 2, "'ram' must come before"),
        BAD("ram 0x10000\nram 0x10000\n", 2, "'ram' must come before"),
        BAD("ram 5000\n", 1, "multiple of 4096"),
        BAD("ram 0\n", 1, "at least 4096"),
        BAD("# comment\nram 4095\n", 2, "multiple of 4096"),
        BAD("ram 0x100001000\n", 1, "does not fit"),
        BAD("ram 0x200000000\n", 1, "does not fit"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void maxphyaddr_out_of_range_is_an_error(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "maxphyaddr 31\n" OK_LINE, 2, "out of range"),
        BAD(OK_LINE "maxphyaddr 0\n" OK_LINE, 2, "out of range"),
        BAD(OK_LINE "maxphyaddr 53\n" OK_LINE, 2, "does not fit"),
        BAD("maxphyaddr 64\n", 1, "does not fit"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void bad_phys_words_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "phys32 0x1002 0\n" OK_LINE, 2, "not 4-byte aligned"),
        BAD(OK_LINE "phys32 0x1001 0\n" OK_LINE, 2, "not 4-byte aligned"),
        BAD(OK_LINE "phys64 0x1004 0\n" OK_LINE, 2, "not 8-byte aligned"),
        BAD("ram 0x2000\n" OK_LINE "phys32 0x2000 1\n" OK_LINE, 3, "outside RAM"),
        BAD("ram 0x2000\n" OK_LINE "phys64 0x2000 1\n" OK_LINE, 3, "outside RAM"),
        BAD(OK_LINE "phys32 0xfffffffffffffffc 1\n" OK_LINE, 2, "outside RAM"),
        BAD(OK_LINE "phys64 0x1000 0\nphys32 0x1004 0\n" OK_LINE, 3, "overlaps"),
        BAD(OK_LINE "phys32 0x1004 0\nphys64 0x1000 0\n" OK_LINE, 3, "overlaps"),
        BAD(OK_LINE "phys32 0x1000 0\nphys64 0x1000 0\n" OK_LINE, 3, "overlaps"),
        BAD(OK_LINE "phys64 0x1000 0\nphys32 0x1000 0\n" OK_LINE, 3, "overlaps"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void phys_words_that_touch_without_overlapping_are_fine(void **state)
{
    (void)state;
    expect_output("phys32 0x1000 1\n"
                  "phys32 0x1000 0xffffffff\n"   /* same word again: a new value */
                  "phys64 0x1008 3\n"            /* right after it */
                  "phys32 0x1004 4\n"            /* between them */
                  "phys64 0xff8 0xffffffffffffffff\n" /* right before */
                  "write sup 0xffe 4\n",
                  "write sup 0xffe 4 -> ok 0xffe\n"
                  "  ~ 0xff8 0xffffffffffffffff -> 0xffffffffffff\n"
                  "  ~ 0x1000 0xffffffff -> 0xffff0000\n");
}

static void bad_modes_sizes_and_ac_values_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "read kernel 0x0 4\n" OK_LINE, 2, "mode 'kernel' must be 'user' or 'sup'"),
        BAD(OK_LINE "read USER 0x0 4\n" OK_LINE, 2, "must be 'user' or 'sup'"),
        BAD(OK_LINE "fetch 3 0x0 4\n" OK_LINE, 2, "must be 'user' or 'sup'"),
        BAD(OK_LINE "write supervisor 0x0 4\n" OK_LINE, 2, "must be 'user' or 'sup'"),
        BAD(OK_LINE "read sup 0x0 3\n" OK_LINE, 2, "must be 1, 2, 4 or 8"),
        BAD(OK_LINE "read sup 0x0 0\n" OK_LINE, 2, "must be 1, 2, 4 or 8"),
        BAD(OK_LINE "write sup 0x0 16\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "fetch sup 0x0 7\n" OK_LINE, 2, "must be 1, 2, 4 or 8"),
        BAD(OK_LINE "ac 2\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "ac 9\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "ac 10\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "ac -1\n" OK_LINE, 2, "is not a number"),
        BAD(OK_LINE "ac on\n" OK_LINE, 2, "is not a number"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void nul_byte_in_a_line_is_an_error(void **state)
{
    static const char text[] = OK_LINE "read\0 sup 0x0 4\n" OK_LINE;
    (void)state;
    struct run_result r = run_bytes(text, sizeof text - 1);
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.out, OK_OUT);
    assert_non_null(strstr(r.err, "t.scn:2: error: "));
    assert_non_null(strstr(r.err, "NUL"));
    free_result(&r);
}

static void error_line_numbers_count_comments_blank_and_crlf_lines(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "# one\n\n   \n\t# two\nbogus\n", 6, "unknown directive"),
        BAD(OK_LINE "\r\n# x\r\nread sup 0x0 5\r\n", 4, "must be 1, 2, 4 or 8"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

/* --- options ------------------------------------------------------------------ */

/* A stale read: the TLB keeps the old translation, no TLB does not. */
static const char stale_scenario[] = "phys32 0x10000 0x11003\n"
                                     "phys32 0x11020 0x20003\n"
                                     "cr3 0x10000\n"
                                     "cr0 0x80000001\n"
                                     "read sup 0x8010 4\n"
                                     "phys32 0x11020 0x30003\n"
                                     "read sup 0x8010 4\n";

static void options_select_the_tlb_configuration(void **state)
{
    struct scenario_options opt;
    (void)state;
    scenario_options_default(&opt);
    struct run_result with = run_bytes_with(stale_scenario, strlen(stale_scenario), &opt);
    opt.config.dtlb.entries = opt.config.itlb.entries = 0;
    struct run_result without = run_bytes_with(stale_scenario, strlen(stale_scenario), &opt);
    assert_int_equal(with.rc, 0);
    assert_int_equal(without.rc, 0);
    assert_non_null(strstr(with.out, "\nread sup 0x8010 4 -> ok 0x20010\n"));
    assert_non_null(strstr(without.out, "\nread sup 0x8010 4 -> ok 0x30010\n"));
    free_result(&with);
    free_result(&without);
}

static void explain_and_stats_go_to_their_own_streams(void **state)
{
    struct scenario_options opt;
    char *explain = NULL, *st = NULL;
    size_t n1 = 0, n2 = 0;
    (void)state;
    scenario_options_default(&opt);
    struct run_result plain = run_bytes_with(stale_scenario, strlen(stale_scenario), &opt);
    opt.explain = open_memstream(&explain, &n1);
    opt.stats = open_memstream(&st, &n2);
    struct run_result told = run_bytes_with(stale_scenario, strlen(stale_scenario), &opt);
    fclose(opt.explain);
    fclose(opt.stats);
    assert_int_equal(told.rc, 0);
    assert_string_equal(told.out, plain.out);
    assert_string_equal(told.err, "");
    assert_non_null(strstr(explain, "miss"));
    assert_non_null(strstr(explain, "hit"));
    assert_non_null(strstr(st, "statistics:"));
    free(explain);
    free(st);
    free_result(&plain);
    free_result(&told);
}

static void scenario_without_accesses_prints_nothing(void **state)
{
    (void)state;
    expect_output("# nothing but a comment\n", "");
    expect_output("\n\n\n", "");
}

/* --- IA-32e mode ------------------------------------------------------------ */

#define ENTER_4LEVEL                                                                               \
    "phys64 0x10000 0x11007\n"                                                                     \
    "phys64 0x10ff8 0x11007\n" /* PML4[511]: the same PDPT */                                      \
    "phys64 0x11000 0x12007\n"                                                                     \
    "phys64 0x11ff0 0x12007\n" /* PDPT[510] */                                                     \
    "phys64 0x12000 0x13007\n"                                                                     \
    "phys64 0x13008 0x20007\n" /* 0x1000 -> 0x20000 */                                             \
    "efer 0x100\ncr4 0x20\ncr3 0x10000\ncr0 0x80000001\n"

static void ia32e_scenarios_take_64_bit_addresses_and_print_gp(void **state)
{
    (void)state;
    expect_output(ENTER_4LEVEL "read sup 0xffffffff80001ff8 8\n"
                               "read sup 0x800000000000 4\n"
                               "write user 0x7ffffffffffc 8\n"
                               "invlpg 0x800000000000\n"
                               "invpcid 4 0x0 0x0\n"
                               "invpcid 0 0x1 0x1000\n"
                               "pkru 0xc\n"
                               "cr3 0x8000000000010000\n",
                  "read sup 0xffffffff80001ff8 8 -> ok 0x20ff8\n"
                  "  ~ 0x10ff8 0x11007 -> 0x11027\n"
                  "  ~ 0x11ff0 0x12007 -> 0x12027\n"
                  "  ~ 0x12000 0x13007 -> 0x13027\n"
                  "  ~ 0x13008 0x20007 -> 0x20027\n"
                  "read sup 0x800000000000 4 -> #GP\n"
                  "write user 0x7ffffffffffc 8 -> #GP\n"
                  "invpcid 4 0x0 0x0 -> #GP\n"
                  "invpcid 0 0x1 0x1000 -> #GP\n"
                  "cr3 0x8000000000010000 -> #GP\n");
}

static void protection_keys_show_pk_in_the_error_code(void **state)
{
    (void)state;
    expect_output(ENTER_4LEVEL "phys64 0x13010 0x1800000000021007\n" /* key 3 */
                               "cr4 0x400020\n"
                               "pkru 0x40\n" /* key 3: AD */
                               "read user 0x2000 4\n"
                               "fetch user 0x2000 1\n",
                  "read user 0x2000 4 -> #PF 0x25 0x2000\n"
                  "  ~ 0x10000 0x11007 -> 0x11027\n"
                  "  ~ 0x11000 0x12007 -> 0x12027\n"
                  "  ~ 0x12000 0x13007 -> 0x13027\n"
                  "fetch user 0x2000 1 -> ok 0x21000\n"
                  "  ~ 0x13010 0x1800000000021007 -> 0x1800000000021027\n");
}

static void wide_addresses_before_ia32e_mode_are_errors(void **state)
{
    static const struct bad_case cases[] = {
        BAD(OK_LINE "read sup 0x100000000 4\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "cr3 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "invlpg 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "pkru 0x100000000\n" OK_LINE, 2, "does not fit"),
        BAD(OK_LINE "invpcid 0 0\n" OK_LINE, 2, "takes 3 arguments"),
    };
    (void)state;
    run_bad_cases(cases, sizeof cases / sizeof cases[0]);
}

static void explain_draws_the_4_level_split(void **state)
{
    struct scenario_options opt;
    char *explain = NULL;
    size_t n = 0;
    const char *text = ENTER_4LEVEL "read sup 0xffffffff80001ff8 8\nread sup 0x800000000000 4\n";
    (void)state;
    scenario_options_default(&opt);
    opt.explain = open_memstream(&explain, &n);
    struct run_result r = run_bytes_with(text, strlen(text), &opt);
    fclose(opt.explain);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(explain, "4-level paging: 48-bit canonical"));
    assert_non_null(strstr(explain, "| sign 63:48 | PML4 47:39 | PDPT 38:30 |"));
    assert_non_null(strstr(explain, "PML4E [511] at 0x10ff8"));
    assert_non_null(strstr(explain, "PDPTE [510] at 0x11ff0"));
    assert_non_null(strstr(explain, "non-canonical"));
    free(explain);
    free_result(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(changed_words_are_listed_in_ascending_address_order),
        cmocka_unit_test(faults_print_error_code_and_cr2_in_minimal_hex),
        cmocka_unit_test(page_crossing_write_changes_both_ptes_and_the_data_words),
        cmocka_unit_test(page_crossing_fault_on_the_second_page_keeps_the_first_pages_bits),
        cmocka_unit_test(paging_off_results_are_identity_with_decimal_sizes),
        cmocka_unit_test(writes_store_zero_bytes_into_tracked_words_of_both_widths),
        cmocka_unit_test(bus_errors_name_the_entry_or_the_first_byte_outside_ram),
        cmocka_unit_test(default_ram_is_64_mib),
        cmocka_unit_test(ram_directive_accepts_4_kib_up_to_4_gib),
        cmocka_unit_test(refused_cr0_load_prints_gp_and_changes_nothing),
        cmocka_unit_test(refused_pae_cr3_load_prints_gp),
        cmocka_unit_test(refused_cr0_load_names_the_pdpt_address_from_cr3),
        cmocka_unit_test(comments_blank_lines_and_extra_white_space_are_ignored),
        cmocka_unit_test(crlf_line_ends_read_like_lf),
        cmocka_unit_test(last_line_without_newline_is_run),
        cmocka_unit_test(unknown_directives_and_upper_case_keywords_are_errors),
        cmocka_unit_test(wrong_argument_counts_are_errors),
        cmocka_unit_test(malformed_numbers_are_errors),
        cmocka_unit_test(numbers_too_big_for_their_field_are_errors),
        cmocka_unit_test(misplaced_or_impossible_ram_sizes_are_errors),
        cmocka_unit_test(maxphyaddr_out_of_range_is_an_error),
        cmocka_unit_test(bad_phys_words_are_errors),
        cmocka_unit_test(phys_words_that_touch_without_overlapping_are_fine),
        cmocka_unit_test(bad_modes_sizes_and_ac_values_are_errors),
        cmocka_unit_test(nul_byte_in_a_line_is_an_error),
        cmocka_unit_test(error_line_numbers_count_comments_blank_and_crlf_lines),
        cmocka_unit_test(options_select_the_tlb_configuration),
        cmocka_unit_test(explain_and_stats_go_to_their_own_streams),
        cmocka_unit_test(scenario_without_accesses_prints_nothing),
        cmocka_unit_test(ia32e_scenarios_take_64_bit_addresses_and_print_gp),
        cmocka_unit_test(protection_keys_show_pk_in_the_error_code),
        cmocka_unit_test(wide_addresses_before_ia32e_mode_are_errors),
        cmocka_unit_test(explain_draws_the_4_level_split),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
