/*
 * test_trace_util.h - helpers shared by the trace suites (test_lackey,
 * test_btrace, test_replay, test_sweep): a scratch directory, writing
 * small trace files, and running the engines with their messages
 * captured.
 */
#ifndef VMSIM_TESTS_TRACE_UTIL_H
#define VMSIM_TESTS_TRACE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "cli_tlb.h"
#include "trace_run.h"

static char tt_dir[64];

static inline int tt_setup(void **state)
{
    (void)state;
    strcpy(tt_dir, "/tmp/vmsim-trace-test-XXXXXX");
    return mkdtemp(tt_dir) ? 0 : -1;
}

static inline int tt_teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tt_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A path in the scratch directory (static buffer, rotates among 4). */
static inline const char *tt_path(const char *name)
{
    static char buf[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tt_dir, name);
    return buf[i];
}

static inline void tt_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void tt_write(const char *path, const char *text) { tt_write_bytes(path, text, strlen(text)); }

/* Write `text` gzip-compressed. */
static inline void tt_write_gz(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
}

static inline long tt_file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Keep the first `len` bytes of a file. */
static inline void tt_truncate(const char *path, long len) { assert_int_equal(truncate(path, len), 0); }

/* Replay options for the tests: small RAM, the given TLBs. */
static inline void tt_options(struct trace_run_options *o, const char *path, const char *dtlb,
                       const char *itlb, bool populate)
{
    memset(o, 0, sizeof *o);
    replay_config_default(&o->replay);
    o->replay.machine.ram_bytes = 64ull << 20;
    o->replay.populate = populate;
    o->path = path;
    if (dtlb)
        assert_true(cli_parse_tlb(dtlb, &o->replay.machine.dtlb, stderr, "--dtlb"));
    if (itlb)
        assert_true(cli_parse_tlb(itlb, &o->replay.machine.itlb, stderr, "--itlb"));
}

/* Run trace_run() with its messages in msg[cap]; returns its status. */
static inline int tt_run(const struct trace_run_options *o, struct trace_run_output *out, char *msg,
                  size_t cap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_non_null(err);
    int rc = trace_run(o, out, err);
    fclose(err);
    snprintf(msg, cap, "%s", buf ? buf : "");
    free(buf);
    return rc;
}

#endif
