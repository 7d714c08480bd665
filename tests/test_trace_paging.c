/*
 * test_trace_paging.c - `vmsim trace --frames`: the whole system paging
 * to swap gives the reference-string model's figures (faults, cold,
 * re-loads, evictions, write-backs) on hand-worked traces, pins the pages
 * of an access while it is served, ticks the aging policy by references,
 * refuses bad options, and reports under the vectors' column names.
 */
#include "test_trace_util.h"

#include "trace_cmd.h"

/* One lackey line per reference: " L" or " S" of 4 bytes in page n. */
static void refs_trace(const char *path, const char *refs)
{
    char text[4096], *t = text;
    for (const char *s = refs; *s;) {
        char *end;
        unsigned long page = strtoul(s, &end, 10);
        bool write = *end == 'w';
        t += sprintf(t, " %c %lx,4\n", write ? 'S' : 'L', (0x10000ul + page) << 12 | 0x40);
        s = end + write;
        s += strspn(s, " ");
    }
    tt_write(path, text);
}

static struct replay_os_counters paging(const char *path, vmsim_policy_kind_t policy,
                                        uint32_t frames, uint32_t tick, uint64_t *refs)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[512];
    tt_options(&o, path, NULL, NULL, false);
    o.replay.paging.frames = frames;
    o.replay.paging.policy = policy;
    o.replay.paging.zero_page_off = true;
    o.replay.paging.aging_bits = 2;
    o.replay.tick = tick;
    if (tt_run(&o, &out, msg, sizeof msg) != 0)
        fail_msg("replay of %s failed: %s", path, msg);
    *refs = out.r.references;
    return out.r.os;
}

static void expect_figures(const struct replay_os_counters *c, uint64_t faults, uint64_t cold,
                           uint64_t evictions, uint64_t writebacks)
{
    assert_int_equal(c->cold + c->reloads, faults);
    assert_int_equal(c->cold, cold);
    assert_int_equal(c->evictions, evictions);
    assert_int_equal(c->writebacks, writebacks);
}

/* fifo on Belady's string: 9 faults with 3 frames, 10 with 4. */
static void beladys_anomaly_through_the_kernel(void **state)
{
    uint64_t refs;
    (void)state;
    refs_trace(tt_path("belady.txt"), "1 2 3 4 1 2 5 1 2 3 4 5");
    struct replay_os_counters c = paging(tt_path("belady.txt"), VMSIM_POLICY_FIFO, 3, 0, &refs);
    assert_int_equal(refs, 12);
    expect_figures(&c, 9, 5, 6, 0);
    c = paging(tt_path("belady.txt"), VMSIM_POLICY_FIFO, 4, 0, &refs);
    expect_figures(&c, 10, 5, 6, 0);
    assert_int_equal(c.swap_outs, 0); /* pages never written go back to zero */
}

/* F = 2, fifo: 1, 3w, then a load crossing from page 1 into page 2, 3, 1.
 * At the crossing page 1 (the oldest) is pinned, so the dirty page 3 goes
 * (a write-back); then 3 comes back in place of 1, and 1 in place of 2:
 * 5 faults (3 cold), 3 evictions, 1 write-back, 6 references. */
static void the_first_page_of_a_crossing_access_is_pinned(void **state)
{
    uint64_t refs;
    (void)state;
    tt_write(tt_path("pin.txt"), " L 10001040,4\n S 10003040,4\n L 10001ffe,4\n"
                                 " L 10003040,4\n L 10001040,4\n");
    struct replay_os_counters c = paging(tt_path("pin.txt"), VMSIM_POLICY_FIFO, 2, 0, &refs);
    assert_int_equal(refs, 6);
    expect_figures(&c, 5, 3, 3, 1);
    assert_int_equal(c.swap_outs, 1);
    assert_int_equal(c.faults_major, 1); /* page 3 read back */
}

/* Clock, F = 3, writes to 1 and 4: the hand clears R of 1 2 3 and takes
 * 1 (dirty: a write-back), then takes 2 and 3 for 5 and 1 ... */
static void clock_counts_write_backs(void **state)
{
    uint64_t refs;
    (void)state;
    refs_trace(tt_path("clock.txt"), "1w 2 3 4w 1 2 5 1 2 3 4 5");
    struct replay_os_counters c = paging(tt_path("clock.txt"), VMSIM_POLICY_CLOCK, 3, 0, &refs);
    /* the same victims as without writes (9 faults, 6 evictions); 1 is
     * dirty when it goes first, 4 when it goes fourth */
    expect_figures(&c, 9, 5, 6, 2);
    assert_true(c.ad_clears > 0);
    assert_int_equal(c.ad_clears, c.ad_clear_invlpgs);
}

/* Aging with k = 2 ticked every 3 references (test_swap works the same
 * string by hand): 5 faults, 3 evictions. */
static void aging_ticks_by_references(void **state)
{
    uint64_t refs;
    (void)state;
    refs_trace(tt_path("aging.txt"), "1 2 1 3 2 1 3");
    struct replay_os_counters c = paging(tt_path("aging.txt"), VMSIM_POLICY_AGING, 2, 3, &refs);
    expect_figures(&c, 5, 3, 3, 0);
}

static int run_trace(char **argv, int argc)
{
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = trace_main(argc, argv);
    fclose(stderr);
    stderr = saved;
    return rc;
}

static void bad_paging_options_are_usage_errors(void **state)
{
    (void)state;
    refs_trace(tt_path("ok.txt"), "1 2 3");
    char *path = (char *)tt_path("ok.txt");
    char *a1[] = {"trace", "--frames", "1", path, NULL};
    char *a2[] = {"trace", "--frames", "4", "--policy", "lru", path, NULL};
    char *a3[] = {"trace", "--frames", "4", "--policy", "aging:k=40", path, NULL};
    char *a4[] = {"trace", "--swap", "1M", path, NULL};
    char *a5[] = {"trace", "--frames", "4", "--zero-page", "maybe", path, NULL};
    char *a6[] = {"trace", "--frames", "4", "--page-size", "4m", path, NULL};
    char *a7[] = {"trace", "--frames", "4", "--tick", "0", path, NULL};
    char *a8[] = {"trace", "--frames", "4", "--populate", path, NULL};
    assert_int_equal(run_trace(a1, 4), 2);
    assert_int_equal(run_trace(a2, 6), 2);
    assert_int_equal(run_trace(a3, 6), 2);
    assert_int_equal(run_trace(a4, 4), 2);
    assert_int_equal(run_trace(a5, 6), 2);
    assert_int_equal(run_trace(a6, 6), 2);
    assert_int_equal(run_trace(a7, 6), 2);
    assert_int_equal(run_trace(a8, 5), 2);
}

static void reports_use_the_vectors_names(void **state)
{
    struct trace_run_options o;
    struct trace_run_output out;
    char msg[256], *buf = NULL;
    size_t len = 0;
    (void)state;
    refs_trace(tt_path("r.txt"), "1w 2 3 1 4");
    tt_options(&o, tt_path("r.txt"), NULL, NULL, false);
    o.replay.paging.frames = 2;
    o.replay.paging.policy = VMSIM_POLICY_FIFO;
    o.replay.paging.zero_page_off = true;
    assert_int_equal(tt_run(&o, &out, msg, sizeof msg), 0);
    FILE *f = open_memstream(&buf, &len);
    trace_report_csv(f, "r", &o, &out, true);
    trace_report_json(f, "r", &o, &out);
    trace_report_table(f, "r", &o, &out);
    fclose(f);
    assert_non_null(strstr(buf, ",frames,policy,references,faults,cold,reloads,evictions,"
                                "writebacks,minor_faults,major_faults,swap_ins,swap_outs"));
    assert_non_null(strstr(buf, ",2,fifo,5,5,4,1,3,1,"));
    assert_non_null(strstr(buf, "\"paging\": {\"frames\": 2, \"policy\": \"fifo\""));
    assert_non_null(strstr(buf, "effective access time"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(beladys_anomaly_through_the_kernel),
        cmocka_unit_test(the_first_page_of_a_crossing_access_is_pinned),
        cmocka_unit_test(clock_counts_write_backs),
        cmocka_unit_test(aging_ticks_by_references),
        cmocka_unit_test(bad_paging_options_are_usage_errors),
        cmocka_unit_test(reports_use_the_vectors_names),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
