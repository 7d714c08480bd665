/*
 * test_lackey.c - the lackey text reader, the input layer (plain, gzip,
 * pipes, truncation) and the folding of 64-bit addresses.
 *
 * Every malformed-line class of lackey.c has a case here, each checked
 * for its FILE:LINE message and for --skip-bad counting.
 */
#include "test_trace_util.h"

#include "fold.h"
#include "lackey.h"
#include "trace_reader.h"

/* Read every record of `path`; returns the status, records in rec[]. */
static int read_all(const char *path, bool skip_bad, struct trace_rec *rec, size_t cap, size_t *n,
                    char *err, size_t err_cap, uint64_t *skipped)
{
    struct trace_input in;
    struct lackey lk;
    int rc = tin_open(&in, path);
    if (rc) {
        snprintf(err, err_cap, "%s", in.err);
        return 1;
    }
    assert_int_equal(lackey_open(&lk, &in, skip_bad), 0);
    *n = 0;
    for (;;) {
        size_t got;
        rc = lackey_next(&lk, rec + *n, cap - *n, &got);
        *n += got;
        if (rc || got == 0 || *n == cap)
            break;
    }
    snprintf(err, err_cap, "%s", lk.err);
    if (skipped)
        *skipped = lk.n_skipped;
    lackey_close(&lk);
    tin_close(&in);
    return rc;
}

static const char sample[] =
    "==10822== Lackey, an example Valgrind tool\n"
    "==10822== \n"
    "I  0401b5c0,2\n"
    " S fef3a870,4\n"
    " L 1ffefffd58,8\n"
    " M 0804a01c,16\r\n"
    "--10822-- a warning from the core\n"
    "I  ffffffffff600000,3";  /* no final newline */

static void check_sample(const struct trace_rec *r, size_t n)
{
    assert_int_equal(n, 5);
    assert_int_equal(r[0].kind, TRACE_FETCH);
    assert_int_equal(r[0].addr, 0x0401b5c0);
    assert_int_equal(r[0].size, 2);
    assert_int_equal(r[1].kind, TRACE_STORE);
    assert_int_equal(r[1].addr, 0xfef3a870);
    assert_int_equal(r[2].kind, TRACE_LOAD);
    assert_int_equal(r[2].addr, 0x1ffefffd58ull);
    assert_int_equal(r[2].size, 8);
    assert_int_equal(r[3].kind, TRACE_MODIFY);
    assert_int_equal(r[3].size, 16);
    assert_int_equal(r[4].addr, 0xffffffffff600000ull);
}

static void test_parse_all_kinds(void **state)
{
    struct trace_rec rec[16];
    size_t n;
    char err[400];
    (void)state;
    tt_write(tt_path("sample.txt"), sample);
    assert_int_equal(read_all(tt_path("sample.txt"), false, rec, 16, &n, err, sizeof err, NULL), 0);
    check_sample(rec, n);
}

static void test_gzip_same_records(void **state)
{
    struct trace_rec rec[16];
    size_t n;
    char err[400];
    (void)state;
    tt_write_gz(tt_path("sample.gz"), sample);
    assert_int_equal(read_all(tt_path("sample.gz"), false, rec, 16, &n, err, sizeof err, NULL), 0);
    check_sample(rec, n);
}

/* Two gzip members one after the other are one trace (gzip(1) does this). */
static void test_gzip_members(void **state)
{
    struct trace_rec rec[16];
    size_t n;
    char err[400], cmd[400];
    (void)state;
    tt_write_gz(tt_path("a.gz"), "I  1000,4\n L 2000,4\n");
    tt_write_gz(tt_path("b.gz"), " S 3000,4\n");
    snprintf(cmd, sizeof cmd, "cat %s %s > %s", tt_path("a.gz"), tt_path("b.gz"), tt_path("ab.gz"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(read_all(tt_path("ab.gz"), false, rec, 16, &n, err, sizeof err, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rec[2].addr, 0x3000);
}

/* Many lines, so the text crosses gzip blocks and the 1 MiB buffer. */
static char *many_lines(size_t n_lines)
{
    char *text = malloc(n_lines * 20 + 1), *p = text;
    for (size_t i = 0; i < n_lines; i++)
        p += sprintf(p, " L %08zx,4\n", 0x10000000 + i * 4);
    return text;
}

static void test_gzip_truncated(void **state)
{
    struct trace_rec *rec = malloc(300000 * sizeof *rec);
    size_t n;
    char err[400];
    char *text = many_lines(200000);
    (void)state;
    tt_write_gz(tt_path("big.gz"), text);
    assert_int_equal(read_all(tt_path("big.gz"), false, rec, 300000, &n, err, sizeof err, NULL), 0);
    assert_int_equal(n, 200000);
    assert_int_equal(rec[199999].addr, 0x10000000 + 199999 * 4);
    long size = tt_file_size(tt_path("big.gz"));
    tt_truncate(tt_path("big.gz"), size / 2);
    /* malformed input like any other: status 2, "FILE: error:" (issue 9, item 12) */
    assert_int_equal(read_all(tt_path("big.gz"), false, rec, 300000, &n, err, sizeof err, NULL), 2);
    assert_non_null(strstr(err, "big.gz: error: truncated gzip data"));
    assert_true(n < 200000);
    /* only the 8-byte trailer missing: still an error, never a short trace */
    tt_write_gz(tt_path("big.gz"), text);
    tt_truncate(tt_path("big.gz"), tt_file_size(tt_path("big.gz")) - 4);
    assert_int_equal(read_all(tt_path("big.gz"), false, rec, 300000, &n, err, sizeof err, NULL), 2);
    assert_non_null(strstr(err, "big.gz: error: truncated gzip data"));
    free(text);
    free(rec);
}

static void test_gzip_garbage_after(void **state)
{
    struct trace_rec rec[16];
    size_t n;
    char err[400], cmd[400];
    (void)state;
    tt_write_gz(tt_path("g.gz"), "I  1000,4\n");
    snprintf(cmd, sizeof cmd, "printf 'junk' >> %s", tt_path("g.gz"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(read_all(tt_path("g.gz"), false, rec, 16, &n, err, sizeof err, NULL), 2);
    assert_non_null(strstr(err, "g.gz: error: unexpected bytes after the end of the gzip data"));
}

static void test_large_plain_file(void **state)
{
    struct trace_rec *rec = malloc(300000 * sizeof *rec);
    size_t n;
    char err[400];
    char *text = many_lines(150000); /* ~2 MiB: several refills */
    (void)state;
    tt_write(tt_path("big.txt"), text);
    assert_int_equal(read_all(tt_path("big.txt"), false, rec, 300000, &n, err, sizeof err, NULL), 0);
    assert_int_equal(n, 150000);
    for (size_t i = 0; i < n; i += 9973)
        assert_int_equal(rec[i].addr, 0x10000000 + i * 4);
    free(text);
    free(rec);
}

/* Standard input is a pipe: read through tin_open_fd, plain and gzip. */
static void test_pipe_input(void **state)
{
    int fd[2];
    struct trace_input in;
    struct lackey lk;
    struct trace_rec rec[8];
    size_t n;
    (void)state;
    assert_int_equal(pipe(fd), 0);
    assert_int_equal(write(fd[1], "I  1000,4\n L 2000,8\n", 20), 20);
    close(fd[1]);
    assert_int_equal(tin_open_fd(&in, fd[0], "<stdin>"), 0);
    assert_false(tin_seekable(&in));
    assert_int_equal(lackey_open(&lk, &in, false), 0);
    assert_int_equal(lackey_next(&lk, rec, 8, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rec[1].size, 8);
    lackey_close(&lk);
    tin_close(&in);
    close(fd[0]);
}

struct bad_case {
    const char *line;
    const char *why;
};

static const struct bad_case bad_cases[] = {
    {"", "empty line"},
    {"X  1000,4", "not a lackey record"},
    {" Q 1000,4", "not a lackey record"},
    {"I 1000,4", "not a lackey record"},          /* one space after I */
    {"  L 1000,4", "not a lackey record"},
    {"==12 no closing ==", "not a lackey record"},
    {"I  ,4", "missing or malformed hexadecimal address"},
    {"I  xyz,4", "missing or malformed hexadecimal address"},
    {"I  12345678901234567,4", "more than 16 hexadecimal digits"},
    {" L 1000", "expected ','"},
    {" L 1000;4", "expected ','"},
    {" S 1000,", "missing decimal size"},
    {" S 1000,x", "missing decimal size"},
    {" S 1000,0", "size is out of range"},
    {" S 1000,4097", "size is out of range"},
    {" S 1000,99999999", "size is out of range"},
    {" M 1000,4 extra", "unexpected text after the size"},
    {" M 1000,4,", "unexpected text after the size"},
    {" L ffffffffffffffff,2", "past the top of the 64-bit address space"},
};

static void test_malformed_lines(void **state)
{
    struct trace_rec rec[8];
    size_t n;
    char err[400], text[128], want[128];
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        snprintf(text, sizeof text, "==1== head\nI  1000,4\n%s\n L 2000,4\n", bad_cases[i].line);
        tt_write(tt_path("bad.txt"), text);
        int rc = read_all(tt_path("bad.txt"), false, rec, 8, &n, err, sizeof err, NULL);
        snprintf(want, sizeof want, "%s:3: error: ", tt_path("bad.txt"));
        if (rc != 2 || !strstr(err, want) || !strstr(err, bad_cases[i].why))
            fail_msg("line '%s': rc %d, message '%s' (want '%s' and '%s')", bad_cases[i].line, rc,
                     err, want, bad_cases[i].why);
        /* --skip-bad: the line is counted, the others read */
        uint64_t skipped;
        rc = read_all(tt_path("bad.txt"), true, rec, 8, &n, err, sizeof err, &skipped);
        assert_int_equal(rc, 0);
        assert_int_equal(skipped, 1);
        assert_int_equal(n, 2);
        assert_int_equal(rec[1].addr, 0x2000);
    }
}

static void test_skip_bad_reports_first(void **state)
{
    struct trace_reader r;
    struct trace_access items[64];
    size_t n, total = 0;
    char first[256];
    (void)state;
    tt_write(tt_path("mixed.txt"), "I  1000,4\nbogus\n L 2000,4\n\n S 3000,2\n M 4000,x\n");
    assert_int_equal(trace_reader_open(&r, tt_path("mixed.txt"), true), 0);
    while (trace_reader_next(&r, items, 64, &n) == 0 && n)
        total += n;
    assert_int_equal(total, 3 + 1); /* 3 accesses and one REGION item */
    assert_int_equal(trace_reader_skipped(&r, first, sizeof first), 3);
    assert_non_null(strstr(first, "mixed.txt:2: not a lackey record"));
    trace_reader_close(&r);
}

static void test_line_too_long(void **state)
{
    size_t len = LACKEY_BUF + 10;
    char *text = malloc(len + 1);
    struct trace_rec rec[4];
    size_t n;
    char err[400];
    (void)state;
    memset(text, 'a', len);
    text[len] = 0;
    tt_write(tt_path("long.txt"), text);
    assert_int_equal(read_all(tt_path("long.txt"), false, rec, 4, &n, err, sizeof err, NULL), 2);
    assert_non_null(strstr(err, ":1: error: line longer than"));
    free(text);
}

static void test_missing_file(void **state)
{
    struct trace_reader r;
    (void)state;
    assert_int_equal(trace_reader_open(&r, tt_path("nope.txt"), false), 1);
    assert_non_null(strstr(r.err, "cannot open"));
    trace_reader_close(&r);
}

/* --- folding --- */

static void test_fold_home_slots(void **state)
{
    struct fold f;
    uint32_t slot;
    bool is_new;
    (void)state;
    fold_init(&f);
    assert_int_equal(fold_slot(&f, 0x08048000u >> 22, &slot, &is_new), 0); /* 32-bit: identity */
    assert_int_equal(slot, 0x08048000u >> 22);
    assert_true(is_new);
    assert_int_equal(fold_slot(&f, 0x08048000u >> 22, &slot, &is_new), 0);
    assert_false(is_new);
    assert_int_equal(fold_slot(&f, 0, &slot, &is_new), 0); /* chunk 0: 512 + 0 */
    assert_int_equal(slot, 512);
    assert_int_equal(fold_slot(&f, 0xfef3a870u >> 22, &slot, &is_new), 0); /* 1019: 512 + 251 */
    assert_int_equal(slot, 512 + ((0xfef3a870u >> 22) & 255));
    assert_int_equal(fold_slot(&f, 0x1fff000000ull >> 22, &slot, &is_new), 0);
    assert_int_equal(slot, 512 + ((0x1fff000000ull >> 22) & 255));
    /* a collision moves up: chunk 256 has home 512 + 0, taken by chunk 0 */
    assert_int_equal(fold_slot(&f, 1024 + 256, &slot, &is_new), 0);
    assert_int_equal(slot, 513);
    /* slot 767 taken: the next one wraps to 1 */
    assert_int_equal(fold_slot(&f, 767, &slot, &is_new), 0);
    assert_int_equal(fold_assign(&f, 5000, 1), 0);
    assert_int_equal(fold_slot(&f, 1024 + 255, &slot, &is_new), 0); /* home 767 */
    assert_int_equal(slot, 2);
}

static void test_fold_never_collides(void **state)
{
    struct fold f;
    uint32_t slot;
    bool is_new;
    uint8_t seen[FOLD_SLOTS] = {0};
    (void)state;
    fold_init(&f);
    for (uint64_t i = 0; i < FOLD_LAST_SLOT; i++) {
        uint64_t chunk = 0x7f0000000ull + i * 256; /* every chunk has the same home */
        assert_int_equal(fold_slot(&f, chunk, &slot, &is_new), 0);
        assert_true(slot >= FOLD_FIRST_SLOT && slot <= FOLD_LAST_SLOT);
        assert_int_equal(seen[slot], 0);
        seen[slot] = 1;
        assert_int_equal(fold_unfold(&f, slot << 22 | 0x123456) >> 22, chunk);
    }
    assert_int_equal(fold_slot(&f, 42, &slot, &is_new), -1); /* the 768th does not fit */
}

static void test_fold_batch_offsets_and_splits(void **state)
{
    struct fold f;
    struct trace_rec rec[] = {
        {0x7ffc12345678ull, 4, TRACE_LOAD},
        {0x7ffc12345ff8ull, 4, TRACE_STORE},    /* same chunk */
        {0x7ffc123ffffcull, 8, TRACE_MODIFY},   /* crosses into the next chunk */
    };
    struct trace_access out[12];
    size_t n;
    (void)state;
    fold_init(&f);
    assert_int_equal(fold_batch(&f, rec, 3, out, &n), 3);
    assert_int_equal(n, 6);
    assert_int_equal(out[0].kind, TRACE_REGION);
    assert_int_equal(out[1].vaddr & 0x3fffff, 0x345678);  /* offset kept */
    assert_int_equal(out[1].vaddr & 0xfff, 0x678);
    assert_int_equal(out[2].vaddr, out[1].vaddr + 0x980);
    assert_int_equal(out[3].flags, TRACE_SPLIT);           /* first piece, 4 bytes */
    assert_int_equal(out[3].size, 4);
    assert_int_equal(out[3].vaddr & 0x3fffff, 0x3ffffc);
    assert_int_equal(out[4].kind, TRACE_REGION);           /* the next chunk is new */
    assert_int_equal(out[5].size, 4);
    assert_int_equal(out[5].vaddr & 0x3fffff, 0);
    assert_int_equal(out[5].kind, TRACE_MODIFY);
}

static void test_footprint_too_large(void **state)
{
    size_t n_lines = FOLD_LAST_SLOT + 1;
    char *text = malloc(n_lines * 32), *p = text;
    struct trace_reader r;
    struct trace_access items[4096];
    size_t n;
    int rc;
    (void)state;
    for (size_t i = 0; i < n_lines; i++)
        p += sprintf(p, " L %llx,4\n", (unsigned long long)(0x100000000ull + (i << 22)));
    tt_write(tt_path("wide.txt"), text);
    assert_int_equal(trace_reader_open(&r, tt_path("wide.txt"), false), 0);
    while ((rc = trace_reader_next(&r, items, 4096, &n)) == 0 && n)
        ;
    assert_int_equal(rc, 1);
    assert_non_null(strstr(r.err, "does not fit in 32-bit user space"));
    assert_non_null(strstr(r.err, "record 768"));
    trace_reader_close(&r);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_kinds),
        cmocka_unit_test(test_gzip_same_records),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_gzip_truncated),
        cmocka_unit_test(test_gzip_garbage_after),
        cmocka_unit_test(test_large_plain_file),
        cmocka_unit_test(test_pipe_input),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_skip_bad_reports_first),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_fold_home_slots),
        cmocka_unit_test(test_fold_never_collides),
        cmocka_unit_test(test_fold_batch_offsets_and_splits),
        cmocka_unit_test(test_footprint_too_large),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
