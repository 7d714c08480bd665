/*
 * test_replay.c - `vmsim trace`: hit and miss counts on small traces
 * computed by hand from shared/spec/tlb.md, the counting rules (M, page
 * crossing, split vs unified, 4 MiB pages, demand paging vs --populate,
 * the kernel's accesses kept apart), and the JSON / CSV output shapes.
 */
#include "test_trace_util.h"

#include "trace_cmd.h"

/* Data loads of the pages 0x10000 + p[i] (one per line). */
static void loads(const char *path, const int *page, size_t n)
{
    char text[4096], *t = text;
    for (size_t i = 0; i < n; i++)
        t += sprintf(t, " L %x,4\n", (0x10000 + page[i]) << 12 | 0x40);
    tt_write(path, text);
}

static void replay(const char *path, const char *dtlb, const char *itlb, bool populate,
                   struct trace_run_output *out)
{
    struct trace_run_options o;
    char msg[512];
    tt_options(&o, path, dtlb, itlb, populate);
    if (tt_run(&o, out, msg, sizeof msg) != 0)
        fail_msg("replay of %s failed: %s", path, msg);
}

struct expect {
    const char *tlb;
    uint64_t hits, misses, evictions;
};

static void check_dtlb(const char *path, const struct expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct trace_run_output out;
        replay(path, e[i].tlb, NULL, true, &out);
        const vmsim_tlb_stats_t *s = &out.r.program.dtlb;
        if (s->hits != e[i].hits || s->misses != e[i].misses || s->evictions != e[i].evictions)
            fail_msg("%s: hits %llu misses %llu evictions %llu, expected %llu %llu %llu", e[i].tlb,
                     (unsigned long long)s->hits, (unsigned long long)s->misses,
                     (unsigned long long)s->evictions, (unsigned long long)e[i].hits,
                     (unsigned long long)e[i].misses, (unsigned long long)e[i].evictions);
        assert_int_equal(out.r.program.itlb.lookups, 0);
        assert_int_equal(out.r.program.faults, 0); /* --populate: no fault */
    }
}

/*
 * Fully associative, 4 entries, pages 1 2 3 4 1 5 2 1 3:
 *   LRU     5 evicts 2, 2 evicts 3, 3 evicts 4           hits: 1 1      = 2
 *   FIFO    5 evicts 1 (way 0), 1 evicts 2 (way 1)       hits: 1 2 3    = 3
 *   PLRU    5 evicts way 2 (3), 3 evicts way 3 (4)       hits: 1 2 1    = 3
 *   random  x = 270369 (mod 4 = 1): 5 evicts way 1 (2);
 *           x = 67634689 (mod 4 = 1): 2 evicts way 1 (5) hits: 1 1 3    = 3
 */
static void test_policies_fully_associative(void **state)
{
    static const int pages[] = {1, 2, 3, 4, 1, 5, 2, 1, 3};
    static const struct expect e[] = {
        {"4,full,lru", 2, 7, 3}, {"4,full,fifo", 3, 6, 2},
        {"4,full,plru", 3, 6, 2}, {"4,full,random", 3, 6, 2}};
    (void)state;
    loads(tt_path("fa.txt"), pages, 9);
    check_dtlb(tt_path("fa.txt"), e, 4);
}

/*
 * 4 entries, 2-way (2 sets), pages 0 1 2 0 4 1 2 0: set 0 sees 0 2 0 4 2 0,
 * set 1 sees 1 1 (a miss, then a hit).
 *   LRU = PLRU (2 ways)  0m 2m 0h 4m(-2) 2m(-0) 0m(-4)   set 0: 1 hit, 3 evictions
 *   FIFO                 0m 2m 0h 4m(-0) 2h 0m(-2)       set 0: 2 hits, 2 evictions
 *   random               4m: x mod 2 = 1 (-2); 2m: x mod 2 = 1 (-4); 0h
 */
static void test_policies_set_associative(void **state)
{
    static const int pages[] = {0, 1, 2, 0, 4, 1, 2, 0};
    static const struct expect e[] = {
        {"4,2,lru", 2, 6, 3}, {"4,2,fifo", 3, 5, 2},
        {"4,2,plru", 2, 6, 3}, {"4,2,random", 3, 5, 2}};
    (void)state;
    loads(tt_path("sa.txt"), pages, 8);
    check_dtlb(tt_path("sa.txt"), e, 4);
}

/* M is a read then a write: two lookups, the second a hit. */
static void test_modify_two_lookups(void **state)
{
    struct trace_run_output out;
    (void)state;
    tt_write(tt_path("m.txt"), " M 10000040,4\n");
    replay(tt_path("m.txt"), NULL, NULL, true, &out);
    assert_int_equal(out.r.access[TRACE_MODIFY], 1);
    assert_int_equal(out.r.program.dtlb.lookups, 2);
    assert_int_equal(out.r.program.dtlb.hits, 1);
    assert_int_equal(out.r.program.dtlb.misses, 1);
}

/* An access covering k pages makes k lookups, lowest first. */
static void test_page_crossing(void **state)
{
    struct trace_run_output out;
    struct trace_run_options o;
    char msg[256];
    (void)state;
    tt_write(tt_path("x.txt"), " L 10000ffc,8\n S 10001ff0,64\n M 10003ffe,4\nI  10005ffe,4\n");
    replay(tt_path("x.txt"), "64,4,lru", "64,4,lru", true, &out);
    assert_int_equal(out.r.page_splits, 4);
    /* pages 0x10000/1, 0x10001/2, 0x10003/4 read + written, fetch 0x10005/6 */
    assert_int_equal(out.r.program.dtlb.lookups, 2 + 2 + 4);
    assert_int_equal(out.r.program.dtlb.misses, 5);
    assert_int_equal(out.r.program.itlb.lookups, 2);
    /* with 4 MiB pages none of them crosses a page */
    tt_options(&o, tt_path("x.txt"), NULL, NULL, true);
    o.replay.page_shift = 22;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    assert_int_equal(out.r.page_splits, 0);
    assert_int_equal(out.r.program.dtlb.lookups, 1 + 1 + 2);
    assert_int_equal(out.r.program.dtlb.misses, 1);
    assert_int_equal(out.r.program.itlb.misses, 1);
    /* crossing a 4 MiB boundary with 4 MiB pages: two lookups */
    tt_write(tt_path("y.txt"), " L 103ffffc,8\n");
    tt_options(&o, tt_path("y.txt"), NULL, NULL, true);
    o.replay.page_shift = 22;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    assert_int_equal(out.r.program.dtlb.lookups, 2);
    assert_int_equal(out.r.program.dtlb.misses, 2);
}

/* A unified TLB tags by page alone: a fetch and a load of one page share. */
static void test_unified_shares_entries(void **state)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[256];
    (void)state;
    tt_write(tt_path("u.txt"), "I  10000000,4\n L 10000010,4\nI  10000004,4\n");
    tt_options(&o, tt_path("u.txt"), "16,4,lru", NULL, true);
    o.replay.machine.split_tlb = false;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    assert_int_equal(out.r.program.dtlb.lookups, 3);
    assert_int_equal(out.r.program.dtlb.misses, 1);
    replay(tt_path("u.txt"), "16,4,lru", "16,4,lru", true, &out); /* split: one miss each */
    assert_int_equal(out.r.program.itlb.lookups, 2);
    assert_int_equal(out.r.program.itlb.misses, 1);
    assert_int_equal(out.r.program.dtlb.misses, 1);
}

/* A trace touching `n` pages, some written, some read, fetches between. */
static void mixed_trace(const char *path, int n)
{
    char *text = malloc((size_t)n * 80), *t = text;
    for (int i = 0; i < n; i++) {
        t += sprintf(t, "I  %x,3\n", 0x08048000 + (i % 50) * 3);
        t += sprintf(t, " %c %x,8\n", "LSM"[i % 3], 0x20000000 + ((i * 7) % n) * 4096 + 8 * (i % 5));
        t += sprintf(t, " L %x,4\n", 0xbfff0000u + (i % 16) * 4);
    }
    tt_write(path, text);
    free(text);
}

/* Demand paging changes faults and kernel work, never the program's lookups. */
static void test_demand_vs_populate(void **state)
{
    struct trace_run_output pop, dem;
    (void)state;
    mixed_trace(tt_path("mix.txt"), 300);
    replay(tt_path("mix.txt"), "32,4,lru", "16,4,lru", true, &pop);
    replay(tt_path("mix.txt"), "32,4,lru", "16,4,lru", false, &dem);
    assert_int_equal(dem.r.program.dtlb.lookups, pop.r.program.dtlb.lookups);
    assert_int_equal(dem.r.program.itlb.lookups, pop.r.program.itlb.lookups);
    assert_int_equal(pop.r.program.faults, 0);
    assert_int_equal(pop.r.os.faults_resolved, 0);
    /* 300 data pages, 1 code page, 1 stack page, each faulted in at least once */
    assert_true(dem.r.os.faults_resolved >= 302);
    assert_true(dem.r.program.faults >= 302);
    assert_true(dem.r.os.frames_used >= 302);
    assert_int_equal(dem.r.regions, 3);
}

/* The same trace as text, gzip text and binary gives the same figures. */
static void test_formats_agree(void **state)
{
    struct trace_run_output a, b, c;
    char cmd[300];
    (void)state;
    mixed_trace(tt_path("f.txt"), 200);
    snprintf(cmd, sizeof cmd, "gzip -c %s > %s", tt_path("f.txt"), tt_path("f.txt.gz"));
    assert_int_equal(system(cmd), 0);
    char *argv[] = {"trace", "convert", (char *)tt_path("f.txt"), "-o", (char *)tt_path("f.vbt"), NULL};
    assert_int_equal(trace_main(5, argv), 0);
    for (int populate = 0; populate < 2; populate++) {
        replay(tt_path("f.txt"), "16,2,plru", "8,8,fifo", populate, &a);
        replay(tt_path("f.txt.gz"), "16,2,plru", "8,8,fifo", populate, &b);
        replay(tt_path("f.vbt"), "16,2,plru", "8,8,fifo", populate, &c);
        assert_false(a.binary);
        assert_true(c.binary);
        assert_memory_equal(&a.r, &b.r, sizeof a.r);
        assert_memory_equal(&a.r, &c.r, sizeof a.r);
    }
}

static void test_ram_full(void **state)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[512];
    char *text = malloc(4000 * 24), *t = text;
    (void)state;
    for (int i = 0; i < 4000; i++) /* 16 MiB of pages in an 8 MiB machine */
        t += sprintf(t, " S %x,4\n", 0x20000000 + i * 4096);
    tt_write(tt_path("big.txt"), text);
    free(text);
    tt_options(&o, tt_path("big.txt"), NULL, NULL, false);
    o.replay.machine.ram_bytes = 8u << 20;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "vmsim trace:"));
    assert_non_null(strstr(msg, "program address 0x2"));
}

static void test_malformed_exit_status(void **state)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[512], want[200];
    (void)state;
    tt_write(tt_path("bad.txt"), "I  1000,4\n L zz,4\n");
    tt_options(&o, tt_path("bad.txt"), NULL, NULL, false);
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 2);
    snprintf(want, sizeof want, "%s:2: error:", tt_path("bad.txt"));
    assert_non_null(strstr(msg, want));
    o.skip_bad = true;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    assert_int_equal(out.skipped, 1);
    char *argv[] = {"trace", "--page-size", "8k", (char *)tt_path("bad.txt"), NULL};
    assert_int_equal(trace_main(4, argv), 2);
}

/* --- output shapes --- */

struct text {
    char *buf;
    size_t len;
};

static char *capture(void (*report)(FILE *, const char *, const struct trace_run_options *,
                                    const struct trace_run_output *),
                     const struct trace_run_options *o, const struct trace_run_output *out,
                     struct text *t)
{
    FILE *f = open_memstream(&t->buf, &t->len);
    report(f, "t \"q\".txt", o, out);
    fclose(f);
    return t->buf;
}

static void csv_report(FILE *f, const char *name, const struct trace_run_options *o,
                       const struct trace_run_output *out)
{
    trace_report_csv(f, name, o, out, true);
}

static int csv_fields(const char *line)
{
    int n = 1;
    bool quoted = false;
    for (; *line && *line != '\n'; line++) {
        if (*line == '"')
            quoted = !quoted;
        else if (*line == ',' && !quoted)
            n++;
    }
    return n;
}

static void test_json_shape(void **state)
{
    static const char *const keys[] = {
        "\"trace\": \"t \\\"q\\\".txt\"", "\"format\": \"lackey\"", "\"config\":", "\"ram_bytes\":",
        "\"page_size\": 4096", "\"populate\": true", "\"split_tlb\": true", "\"itlb\": {\"entries\":",
        "\"accesses\":", "\"fetch\":", "\"modify\":", "\"page_crossing\":", "\"regions\": 3",
        "\"tlb\": {\"itlb\": {\"lookups\":", "\"hit_rate\":", "\"evictions\":", "\"kernel_tlb\":",
        "\"walks\": {\"program\": {\"walks\":", "\"entries_read\":", "\"dirty_walks\":",
        "\"ad_writes\":", "\"faults\": {\"raised\":", "\"resolved\":", "\"frames_used\":",
        "\"skipped_lines\": 0", "\"replay\": {\"seconds\":", "\"accesses_per_second\":"};
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[256];
    (void)state;
    mixed_trace(tt_path("j.txt"), 50);
    tt_options(&o, tt_path("j.txt"), NULL, NULL, true);
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    struct text t;
    char *json = capture(trace_report_json, &o, &out, &t);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(json, keys[i]))
            fail_msg("JSON lacks %s:\n%s", keys[i], json);
    int depth = 0;
    for (const char *p = json; *p; p++)
        depth += (*p == '{') - (*p == '}');
    assert_int_equal(depth, 0);
    assert_int_equal(json[0], '{');
    free(json);
    o.replay.machine.split_tlb = false;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    json = capture(trace_report_json, &o, &out, &t);
    assert_non_null(strstr(json, "\"tlb\": {\"unified\": {\"lookups\":"));
    assert_null(strstr(json, "\"itlb\""));
    free(json);
}

static void test_csv_shape(void **state)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[256];
    (void)state;
    mixed_trace(tt_path("c.txt"), 50);
    for (int split = 0; split < 2; split++) {
        tt_options(&o, tt_path("c.txt"), NULL, NULL, true);
        o.replay.machine.split_tlb = split;
        assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
        struct text t;
        char *csv = capture(csv_report, &o, &out, &t);
        char *row = strchr(csv, '\n') + 1;
        assert_int_equal(strncmp(csv, "trace,format,page_size,populate,split_tlb,", 41), 0);
        assert_int_equal(csv_fields(csv), 38);
        assert_int_equal(csv_fields(row), 38);
        /* self-describing: every row ends with the tool's version */
        char tail[32];
        snprintf(tail, sizeof tail, ",%s\n", vmsim_version());
        assert_non_null(strstr(row, tail));
        assert_non_null(strstr(row, "\"t \"\"q\"\".txt\",lackey,4096,1,"));
        assert_int_equal(strchr(row, '\n')[1], 0); /* exactly two lines */
        free(csv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policies_fully_associative),
        cmocka_unit_test(test_policies_set_associative),
        cmocka_unit_test(test_modify_two_lookups),
        cmocka_unit_test(test_page_crossing),
        cmocka_unit_test(test_unified_shares_entries),
        cmocka_unit_test(test_demand_vs_populate),
        cmocka_unit_test(test_formats_agree),
        cmocka_unit_test(test_ram_full),
        cmocka_unit_test(test_malformed_exit_status),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_csv_shape),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
