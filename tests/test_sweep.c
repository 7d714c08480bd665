/*
 * test_sweep.c - `vmsim sweep`: the one-pass sweep must give, for every
 * configuration, exactly the counts of a full `vmsim trace --populate`
 * replay of that configuration alone; LRU stack distances must agree
 * with direct simulation of fully-associative LRU at every size.
 */
#include "test_trace_util.h"

#include "sweep.h"
#include "trace_cmd.h"
#include "trace_reader.h"

/* Feed a whole trace file to a sweep. */
static void sweep_file(const char *path, struct sweep *s)
{
    struct trace_reader r;
    struct trace_access items[TRACE_BATCH];
    size_t n;
    int rc;
    assert_int_equal(trace_reader_open(&r, path, false), 0);
    while ((rc = trace_reader_next(&r, items, TRACE_BATCH, &n)) == 0 && n)
        assert_int_equal(sweep_run(s, items, n), 0);
    assert_int_equal(rc, 0);
    trace_reader_close(&r);
    sweep_finish(s);
}

/* a b c a b b d a: distances -, -, -, 2, 2, 0, -, 2 */
static void test_stack_by_hand(void **state)
{
    struct lru_stack s;
    static const uint32_t seq[] = {1, 2, 3, 1, 2, 2, 4, 1};
    (void)state;
    assert_int_equal(lru_stack_init(&s, 8), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(lru_stack_access(&s, seq[i]), 0);
    assert_int_equal(s.cold, 4);
    assert_int_equal(s.hist[0], 1);
    assert_int_equal(s.hist[1], 0);
    assert_int_equal(s.hist[2], 3);
    assert_int_equal(lru_stack_hits(&s, 1), 1);
    assert_int_equal(lru_stack_hits(&s, 2), 1);
    assert_int_equal(lru_stack_hits(&s, 3), 4);
    lru_stack_free(&s);
}

static void synth(const char *pattern, const char *accesses, const char *footprint,
                  const char *path)
{
    char *argv[] = {"trace", "synth", (char *)pattern, "--accesses", (char *)accesses,
                    "--footprint", (char *)footprint, "--writes", "0.25", "--size", "8",
                    "-o", (char *)path, NULL};
    assert_int_equal(trace_main(13, argv), 0);
}

/* Mattson against direct simulation, for every size 1..1024, long enough
 * to renumber the Fenwick tree's slots several times. */
static void test_stack_matches_direct(void **state)
{
    vmsim_tlb_config_t cfg[2 * 64];
    size_t n = 0;
    (void)state;
    synth("zipf", "150000", "6M", tt_path("z.vbt")); /* 1536 pages, skewed */
    for (uint32_t e = 1; e <= 1024; e = e < 8 ? e + 1 : e * 2)
        cfg[n++] = vmsim_tlb_config(e, e, VMSIM_TLB_LRU);
    struct sweep st, direct;
    assert_int_equal(sweep_init(&st, cfg, n, true, 12, false), 0);
    assert_int_equal(sweep_init(&direct, cfg, n, true, 12, true), 0);
    sweep_file(tt_path("z.vbt"), &st);
    sweep_file(tt_path("z.vbt"), &direct);
    assert_true(st.stack[SWEEP_DATA].now > 0);
    for (size_t r = 0; r < n; r++) {
        assert_true(st.rows[r].from_stack);
        assert_false(direct.rows[r].from_stack);
        for (int d = 0; d < 2; d++)
            assert_memory_equal(&st.rows[r].side[d], &direct.rows[r].side[d],
                                sizeof st.rows[r].side[d]);
    }
    assert_true(st.rows[n - 1].side[SWEEP_DATA].hits > st.rows[0].side[SWEEP_DATA].hits);
    sweep_free(&st);
    sweep_free(&direct);
}

/* A trace with every counting case: fetches, M, page and region crossings. */
static void awkward_trace(const char *path)
{
    char *text = malloc(3000 * 80), *t = text;
    uint32_t x = 7;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t page = (x >> 8) % 96;
        t += sprintf(t, "I  %x,%d\n", 0x08048000 + (i % 700) * 7, 1 + i % 7);
        t += sprintf(t, " %c %llx,%d\n", "LSML"[i % 4],
                     (unsigned long long)(0x7ffc10000000ull + page * 4096 + (x % 4096)), 1 << (i % 5));
        if (i % 97 == 0)
            t += sprintf(t, " L 7ffc103ffffc,8\n"); /* crosses a 4 MiB boundary */
    }
    tt_write(path, text);
    free(text);
}

static void compare_with_replay(const char *path, const vmsim_tlb_config_t *cfg, size_t n,
                                bool split, unsigned page_shift)
{
    struct sweep s;
    assert_int_equal(sweep_init(&s, cfg, n, split, page_shift, false), 0);
    sweep_file(path, &s);
    for (size_t r = 0; r < n; r++) {
        struct trace_run_options o;
        struct trace_run_output out;
        char msg[256];
        tt_options(&o, path, NULL, NULL, true);
        o.replay.machine.dtlb = o.replay.machine.itlb = cfg[r];
        o.replay.machine.split_tlb = split;
        o.replay.page_shift = page_shift;
        assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
        const vmsim_tlb_stats_t *side[2] = {&out.r.program.dtlb, &out.r.program.itlb};
        for (unsigned d = 0; d < s.n_sides; d++) {
            const struct sweep_counts *c = &s.rows[r].side[d];
            if (c->lookups != side[d]->lookups || c->hits != side[d]->hits ||
                c->misses != side[d]->misses || c->evictions != side[d]->evictions)
                fail_msg("%u,%u,%s %s side %u: sweep %llu/%llu/%llu/%llu, replay %llu/%llu/%llu/%llu",
                         cfg[r].entries, cfg[r].ways, vmsim_tlb_policy_name(cfg[r].policy),
                         split ? "split" : "unified", d, (unsigned long long)c->lookups,
                         (unsigned long long)c->hits, (unsigned long long)c->misses,
                         (unsigned long long)c->evictions, (unsigned long long)side[d]->lookups,
                         (unsigned long long)side[d]->hits, (unsigned long long)side[d]->misses,
                         (unsigned long long)side[d]->evictions);
        }
        for (int k = 0; k < TRACE_KINDS; k++)
            assert_int_equal(s.access[k], out.r.access[k]);
    }
    sweep_free(&s);
}

static size_t configs(vmsim_tlb_config_t *cfg)
{
    static const uint32_t geo[][2] = {{1, 1}, {4, 1}, {8, 2}, {16, 4}, {16, 16}, {64, 4},
                                      {32, 32}, {64, 64}};
    size_t n = 0;
    for (int p = 0; p < VMSIM_TLB_POLICY_COUNT; p++)
        for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++)
            cfg[n++] = vmsim_tlb_config(geo[g][0], geo[g][1], (vmsim_tlb_policy_t)p);
    cfg[n] = vmsim_tlb_config(16, 4, VMSIM_TLB_RANDOM);
    cfg[n++].seed = 12345;
    return n;
}

static void test_sweep_equals_replay_split(void **state)
{
    vmsim_tlb_config_t cfg[64];
    (void)state;
    awkward_trace(tt_path("aw.txt"));
    compare_with_replay(tt_path("aw.txt"), cfg, configs(cfg), true, 12);
}

static void test_sweep_equals_replay_unified(void **state)
{
    vmsim_tlb_config_t cfg[64];
    (void)state;
    awkward_trace(tt_path("aw.txt"));
    compare_with_replay(tt_path("aw.txt"), cfg, configs(cfg), false, 12);
}

static void test_sweep_equals_replay_large_pages(void **state)
{
    vmsim_tlb_config_t cfg[] = {vmsim_tlb_config(1, 1, VMSIM_TLB_LRU),
                                vmsim_tlb_config(2, 2, VMSIM_TLB_FIFO),
                                vmsim_tlb_config(4, 2, VMSIM_TLB_PLRU)};
    (void)state;
    awkward_trace(tt_path("aw.txt"));
    compare_with_replay(tt_path("aw.txt"), cfg, 3, true, 22);
}

/* A binary zipf trace, against the replay, policies at 64 entries. */
static void test_sweep_equals_replay_binary(void **state)
{
    vmsim_tlb_config_t cfg[] = {
        vmsim_tlb_config(64, 4, VMSIM_TLB_LRU), vmsim_tlb_config(64, 64, VMSIM_TLB_LRU),
        vmsim_tlb_config(64, 8, VMSIM_TLB_PLRU), vmsim_tlb_config(32, 32, VMSIM_TLB_FIFO),
        vmsim_tlb_config(128, 128, VMSIM_TLB_RANDOM)};
    (void)state;
    synth("zipf", "20000", "4M", tt_path("zz.vbt"));
    compare_with_replay(tt_path("zz.vbt"), cfg, 5, true, 12);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    assert_non_null(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_cli_csv(void **state)
{
    (void)state;
    awkward_trace(tt_path("aw.txt"));
    char *argv[] = {"sweep", "--entries", "8..64", "--ways", "2,full", "--policy", "lru,fifo",
                    "--csv", (char *)tt_path("s.csv"), (char *)tt_path("aw.txt"), NULL};
    assert_int_equal(sweep_main(10, argv), 0);
    assert_int_equal(count_lines(tt_path("s.csv")), 1 + 2 * 2 * 4);
    FILE *f = fopen(tt_path("s.csv"), "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "entries,ways,policy,method,split_tlb,page_size,itlb_lookups,"
                              "itlb_hits,itlb_misses,itlb_hit_rate,itlb_evictions,dtlb_lookups,"
                              "dtlb_hits,dtlb_misses,dtlb_hit_rate,dtlb_evictions,trace,"
                              "vmsim_version\n");
    while (fgets(line, sizeof line, f)) {
        int commas = 0;
        for (char *p = line; *p; p++)
            commas += *p == ',';
        assert_int_equal(commas, 17);
        assert_true(strstr(line, ",lru,stack,") || strstr(line, ",lru,direct,") ||
                    strstr(line, ",fifo,direct,"));
        /* every row names its trace (without folders) and the tool's version */
        char tail[64];
        snprintf(tail, sizeof tail, ",\"aw.txt\",%s\n", vmsim_version());
        assert_non_null(strstr(line, tail));
    }
    fclose(f);
    char *bad[] = {"sweep", "--ways", "0", (char *)tt_path("aw.txt"), NULL};
    assert_int_equal(sweep_main(4, bad), 2);
    char *none[] = {"sweep", "--entries", "3", "--ways", "2", (char *)tt_path("aw.txt"), NULL};
    assert_int_equal(sweep_main(6, none), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_by_hand),
        cmocka_unit_test(test_stack_matches_direct),
        cmocka_unit_test(test_sweep_equals_replay_split),
        cmocka_unit_test(test_sweep_equals_replay_unified),
        cmocka_unit_test(test_sweep_equals_replay_large_pages),
        cmocka_unit_test(test_sweep_equals_replay_binary),
        cmocka_unit_test(test_cli_csv),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
