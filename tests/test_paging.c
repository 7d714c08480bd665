/*
 * test_paging.c - `vmsim paging`, the pure reference-string model.
 *
 * Every policy on strings worked out by hand (in the comments), one test
 * per counting rule of docs/paging.md -- each built so that the rule
 * changes the figures, so that getting the rule wrong fails the test --
 * and the one-pass lru and opt curves against direct simulation on
 * random strings full of page-crossing accesses.
 *
 * Strings are written in a small notation (str()):
 *
 *     5      a read of page 5           5w    a write of page 5
 *     5m     an M: a read, then a write of page 5 (two accesses)
 *     5+2    one access covering pages 5 and 6 (5+2w: a write)
 */
#include "test_trace_util.h"

#include "btrace.h"
#include "paging.h"
#include "paging_cmd.h"
#include "trace_cmd.h"

/* Build the string described by `spec` (see above). */
static struct paging_refs str(const char *spec)
{
    struct paging_builder b;
    struct paging_refs r;
    char buf[1024], *save;
    assert_int_equal(paging_build_init(&b, 12), 0);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *end;
        uint64_t page = strtoull(t, &end, 10);
        uint32_t n = 1;
        if (*end == '+')
            n = (uint32_t)strtoul(end + 1, &end, 10);
        if (*end == 'm')
            assert_int_equal(paging_build_access(&b, page, n, false), 0);
        assert_int_equal(paging_build_access(&b, page, n, *end == 'w' || *end == 'm'), 0);
        if (b.r.widest < n)
            b.r.widest = n;
    }
    assert_int_equal(paging_build_finish(&b, &r), 0);
    assert_int_equal(paging_refs_next(&r), 0);
    return r;
}

static struct paging_result sim(const struct paging_refs *r, struct paging_policy p, uint32_t F)
{
    struct paging_result out;
    assert_int_equal(paging_simulate(r, &p, F, &out), 0);
    assert_int_equal(out.faults, out.cold + out.reloads);
    return out;
}

static uint64_t faults(const char *spec, enum paging_kind kind, uint32_t F)
{
    struct paging_refs r = str(spec);
    uint64_t n = sim(&r, paging_policy_default(kind), F).faults;
    paging_refs_free(&r);
    return n;
}

static const char belady[] = "1 2 3 4 1 2 5 1 2 3 4 5";
static const char sgg[] = "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1";

/* --- each policy on textbook strings --- */

static void test_fifo_belady_anomaly(void **state)
{
    (void)state;
    assert_int_equal(faults(belady, PAGING_FIFO, 3), 9);
    assert_int_equal(faults(belady, PAGING_FIFO, 4), 10); /* more frames, more faults */
    assert_int_equal(faults(belady, PAGING_FIFO, 5), 5);
    struct paging_refs r = str(belady);
    struct paging_result o = sim(&r, paging_policy_default(PAGING_FIFO), 4);
    assert_int_equal(o.cold, 5);
    assert_int_equal(o.reloads, 5);
    assert_int_equal(o.evictions, 6);
    assert_int_equal(o.writebacks, 0);
    paging_refs_free(&r);
}

/* Silberschatz's string at F = 3: fifo 15, lru 12, opt 9. */
static void test_sgg_string(void **state)
{
    (void)state;
    assert_int_equal(faults(sgg, PAGING_FIFO, 3), 15);
    assert_int_equal(faults(sgg, PAGING_LRU, 3), 12);
    assert_int_equal(faults(sgg, PAGING_OPT, 3), 9);
    assert_int_equal(faults(sgg, PAGING_FIFO, 4), 10);
    assert_int_equal(faults(sgg, PAGING_LRU, 4), 8);
    assert_int_equal(faults(sgg, PAGING_OPT, 4), 8);
}

/* lru and opt never show the anomaly on Belady's string. */
static void test_stack_policies_on_belady(void **state)
{
    (void)state;
    assert_int_equal(faults(belady, PAGING_LRU, 3), 10);
    assert_int_equal(faults(belady, PAGING_LRU, 4), 8);
    assert_int_equal(faults(belady, PAGING_OPT, 3), 7);
    assert_int_equal(faults(belady, PAGING_OPT, 4), 6);
}

/* F = 3: 1 2 3 fill; 4 finds every R set, clears them all and takes frame
 * 0 (page 1), hand at 1; 2 hits (R = 1); 5: page 2 has R, cleared, page
 * 3 has not: 3 goes; 2 hits.  5 faults.  fifo evicts 2 at 5: 6 faults. */
static void test_clock_second_chance(void **state)
{
    (void)state;
    assert_int_equal(faults("1 2 3 4 2 5 2", PAGING_CLOCK, 3), 5);
    assert_int_equal(faults("1 2 3 4 2 5 2", PAGING_FIFO, 3), 6);
}

/* F = 3, 1w 2w 3 4 5 3: at 4 round (1) finds no (0,0), round (2) no
 * (0,1) but clears every R; the second round (1) finds 3 (0,0) clean:
 * 3 goes though 1 and 2 are older.  At 5 round (1) finds nothing, round
 * (2) takes 1 (0,1): a write-back.  At 3, 2 (0,1) goes: a write-back.
 * 6 faults, 3 evictions, 2 write-backs; clock keeps 3 and takes 1, 2. */
static void test_eclock_rounds(void **state)
{
    (void)state;
    struct paging_refs r = str("1w 2w 3 4 5 3");
    struct paging_result e = sim(&r, paging_policy_default(PAGING_ECLOCK), 3);
    struct paging_result c = sim(&r, paging_policy_default(PAGING_CLOCK), 3);
    assert_int_equal(e.faults, 6);
    assert_int_equal(e.evictions, 3);
    assert_int_equal(e.writebacks, 2);
    assert_int_equal(c.faults, 5);
    assert_int_equal(c.writebacks, 2);
    paging_refs_free(&r);
}

/* Round (2) clears R only of the pages it inspected before its victim.
 * 1w 2w 3 4 leaves [1 (0,1)] [2 (0,1)] [4 (1,0)], hand 0; 1 hits: (1,1).
 * 5: round (1) nothing; round (2) clears 1's R and takes 2; 4 keeps R = 1
 * (it comes after the victim); hand at 2.  6: round (1) from 4: (1,0),
 * no; round (2) clears 4 and takes 1.  4 then hits.  Clearing 4 at the
 * fault of 5 would make it the (0,0) victim of 6, and 4 a fault. */
static void test_eclock_clears_only_before_victim(void **state)
{
    (void)state;
    struct paging_refs r = str("1w 2w 3 4 1 5 6 4");
    struct paging_result e = sim(&r, paging_policy_default(PAGING_ECLOCK), 3);
    assert_int_equal(e.faults, 6);
    assert_int_equal(e.evictions, 3);
    assert_int_equal(e.writebacks, 2);
    paging_refs_free(&r);
}

/* xorshift32 from seed 1 draws 270369, 67634689, 2647435461: mod 3,
 * frames 0, 1, 0.  F = 3 on 1 7 8 9 1 7 8: 1 7 8 fill frames 0 1 2; 9
 * takes frame 0 (page 1); 1 takes frame 1 (7); 7 takes frame 0 (9); 8
 * hits: 6 faults.  Seed 12345 draws 3336926330, 1697253807 (mod 3: 2, 0):
 * 9 takes frame 2 (8), 1 and 7 hit, 8 takes frame 0 (1): 5 faults. */
static void test_random_xorshift(void **state)
{
    (void)state;
    struct paging_refs r = str("1 7 8 9 1 7 8");
    struct paging_policy p = paging_policy_default(PAGING_RANDOM);
    struct paging_result o = sim(&r, p, 3);
    assert_int_equal(o.faults, 6);
    assert_int_equal(o.evictions, 3);
    p.seed = 12345;
    assert_int_equal(sim(&r, p, 3).faults, 5);
    paging_refs_free(&r);
}

/* Aging with the defaults and no tick before the end (T = 1000) is fifo:
 * every counter is 0, every R is 1, and the tie goes to the page loaded
 * first. */
static void test_aging_defaults_tie_to_fifo(void **state)
{
    (void)state;
    assert_int_equal(faults(belady, PAGING_AGING, 3), 9);
    assert_int_equal(faults(belady, PAGING_AGING, 4), 10);
}

/* --- one test per rule --- */

/* Time counts references, not lines: with T = 3, "1 2 1m 3" ticks after
 * reference 3 (the read half of the M), so the write sets 1's R again:
 * at 3, page 1 has key 2^2 + 2 = 6 and page 2 has 2: 2 goes, and the last
 * 1 hits.  Counting lines, the tick would come after the whole M, both
 * keys would be 2, and the tie would evict 1 (loaded first). */
static void test_aging_tick_counts_references(void **state)
{
    (void)state;
    struct paging_refs r = str("1 2 1m 3 1");
    struct paging_policy p = paging_policy_default(PAGING_AGING);
    p.k = 2;
    p.t = 3;
    assert_int_equal(sim(&r, p, 2).faults, 3);
    p.t = 4; /* a tick after the M: 1's R clear, the tie goes to 1 */
    assert_int_equal(sim(&r, p, 2).faults, 4);
    paging_refs_free(&r);
}

/* F = 2: 1, 3w, then an access covering 1 and 2.  At 2, fifo's oldest is
 * 1, but 1 is pinned (the access holds it): 3 goes, dirty. */
static void test_pinning_fifo(void **state)
{
    (void)state;
    struct paging_refs r = str("1 3w 1+2");
    struct paging_result o = sim(&r, paging_policy_default(PAGING_FIFO), 2);
    assert_int_equal(o.faults, 3);
    assert_int_equal(o.evictions, 1);
    assert_int_equal(o.writebacks, 1);
    paging_refs_free(&r);
}

/* opt with the farthest page pinned takes the next farthest: F = 2,
 * 5 1 then 1+2: at 2, 1 is never used again but pinned, so 5 goes; 5
 * then faults (evicting 1), 2 hits: 4 faults (3 unpinned). */
static void test_pinning_opt(void **state)
{
    (void)state;
    assert_int_equal(faults("5 1 1+2 5 2", PAGING_OPT, 2), 4);
}

/* clock passes a pinned page without clearing its R.  F = 3: 1 5 7, then
 * 1+2: at 2 the hand passes 1 (pinned), clears 5 and 7, passes 1, takes
 * 5; 1 keeps R = 1.  7 hits (R = 1).  9: the hand clears 7, 1, 2 and
 * takes 7; the last 1 hits.  Had the pass cleared 1's R, 9 would take 1. */
static void test_pinning_clock_keeps_r(void **state)
{
    (void)state;
    assert_int_equal(faults("1 5 7 1+2 7 9 1", PAGING_CLOCK, 3), 5);
}

/* random: a draw on a pinned frame takes the next frame up.  F = 3:
 * 1 7 8 fill frames 0 1 2; 1+2: 2 faults, the draw (270369 mod 3 = 0)
 * lands on 1, pinned: frame 1 (page 7) goes.  8 and 1 hit.  F = 2:
 * 5 1 then 1+2: the draw (mod 2 = 1) lands on 1, pinned: the next frame
 * up wraps to frame 0 (page 5), and 5 faults again. */
static void test_pinning_random_next_frame_up(void **state)
{
    (void)state;
    assert_int_equal(faults("1 7 8 1+2 8 1", PAGING_RANDOM, 3), 4);
    assert_int_equal(faults("5 1 1+2 5", PAGING_RANDOM, 2), 4);
}

/* Every earlier page of a wide access is pinned, not only the last one;
 * F must cover the access.  fifo, F = 3, 1 5 1+3 5: 1 hits, 2 fills
 * frame 2; at 3 the oldest, 1, is pinned (and 2): 5 goes, and faults
 * again at the end: 5 faults.  Pinning only 2 would evict 1: 4 faults. */
static void test_pinning_wide_access(void **state)
{
    (void)state;
    struct paging_refs r = str("1 5 1+3 5");
    struct paging_policy p = paging_policy_default(PAGING_FIFO);
    struct paging_result o;
    assert_int_equal(r.widest, 3);
    assert_int_equal(paging_simulate(&r, &p, 2, &o), -1); /* F below the widest access */
    assert_int_equal(sim(&r, p, 3).faults, 5);
    paging_refs_free(&r);
}

/* opt's tie among pages never used again: the lowest page number goes,
 * seen through its write-back.  F = 2, 5w 3 9: at 9 both 5 and 3 are
 * never used again: 3 goes, clean.  3w 5 9: 3 goes, dirty.  Pages are
 * renumbered in page order, not in order of first use (5 before 3),
 * which is what makes this hold. */
static void test_opt_tie_lowest_page(void **state)
{
    (void)state;
    struct paging_refs r = str("5w 3 9");
    assert_int_equal(r.page[0], 3);
    assert_int_equal(r.page[2], 9);
    assert_int_equal(sim(&r, paging_policy_default(PAGING_OPT), 2).writebacks, 0);
    paging_refs_free(&r);
    r = str("3w 5 9");
    assert_int_equal(sim(&r, paging_policy_default(PAGING_OPT), 2).writebacks, 1);
    paging_refs_free(&r);
}

/* Write-backs: evictions of pages written since they were loaded; pages
 * still dirty at the end are not counted.  fifo, F = 2, 1w 2 3 4w 5: 3
 * evicts 1 (dirty), 4w evicts 2 (clean), 5 evicts 3 (clean); 4 ends
 * dirty.  3 evictions, 1 write-back. */
static void test_writebacks(void **state)
{
    (void)state;
    struct paging_refs r = str("1w 2 3 4w 5");
    struct paging_result o = sim(&r, paging_policy_default(PAGING_FIFO), 2);
    assert_int_equal(o.evictions, 3);
    assert_int_equal(o.writebacks, 1);
    paging_refs_free(&r);
}

/* An M crossing a page: references 1 2 1w 2w, each access pinned on its
 * own; the write half counts as a write. */
static void test_decode_modify_crossing(void **state)
{
    struct paging_builder b;
    struct paging_refs r;
    (void)state;
    assert_int_equal(paging_build_init(&b, 12), 0);
    assert_int_equal(paging_build_record(&b, 0x1ffe, 4, TRACE_MODIFY), 0);
    assert_int_equal(paging_build_finish(&b, &r), 0);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.ref[0], 0 << PAGING_ID_SHIFT);
    assert_int_equal(r.ref[1], 1 << PAGING_ID_SHIFT | PAGING_CONT);
    assert_int_equal(r.ref[2], 0 << PAGING_ID_SHIFT | PAGING_WRITE);
    assert_int_equal(r.ref[3], 1 << PAGING_ID_SHIFT | PAGING_CONT | PAGING_WRITE);
    assert_int_equal(r.widest, 2);
    assert_int_equal(r.n_writes, 2);
    paging_refs_free(&r);
}

/* ws, tau = 2, on 1 1 2 1 3: faults at 1, 2, 3 (the second 1 is 2 back:
 * resident); sizes 1 1 2 2 2: mean 8/5.  tau = 1: 1 2 1 3 fault, mean 1. */
static void test_ws_by_hand(void **state)
{
    struct paging_result o;
    (void)state;
    struct paging_refs r = str("1 1 2 1 3");
    assert_int_equal(paging_ws(&r, 2, &o), 0);
    assert_int_equal(o.faults, 3);
    assert_int_equal(o.cold, 3);
    assert_true(o.mean_ws > 1.5999 && o.mean_ws < 1.6001);
    assert_int_equal(paging_ws(&r, 1, &o), 0);
    assert_int_equal(o.faults, 4);
    assert_true(o.mean_ws > 0.9999 && o.mean_ws < 1.0001);
    paging_refs_free(&r);
}

/* --- one pass against direct simulation --- */

static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static struct paging_refs random_string(uint32_t seed, uint32_t n_pages, uint32_t n_access)
{
    struct paging_builder b;
    struct paging_refs r;
    uint32_t x = seed;
    assert_int_equal(paging_build_init(&b, 12), 0);
    for (uint32_t i = 0; i < n_access; i++) {
        uint32_t page = rng_next(&x) % n_pages, k = rng_next(&x) % 100;
        uint32_t width = k < 20 ? 2 : k < 23 ? 3 : 1, kind = rng_next(&x) % 10;
        assert_int_equal(paging_build_record(&b, (uint64_t)page << 12 | 4094,
                                             width == 1 ? 2 : 4096 * (width - 1) + 4,
                                             kind < 6   ? TRACE_LOAD
                                             : kind < 9 ? TRACE_STORE
                                                        : TRACE_MODIFY),
                         0);
    }
    assert_int_equal(paging_build_finish(&b, &r), 0);
    assert_int_equal(paging_refs_next(&r), 0);
    return r;
}

/* opt without pinning, the naive way (a scan for the farthest next use,
 * the lowest page among pages never used again): only to show that the
 * random strings below are ones where pinning changes opt. */
static uint64_t naive_unpinned_opt_faults(const struct paging_refs *r, uint32_t F)
{
    uint32_t frame_page[64], used = 0;
    uint64_t faults = 0;
    for (uint64_t t = 0; t < r->n; t++) {
        uint32_t p = r->ref[t] >> PAGING_ID_SHIFT, f = 0;
        while (f < used && frame_page[f] != p)
            f++;
        if (f < used)
            continue;
        faults++;
        if (used < F) {
            frame_page[used++] = p;
            continue;
        }
        uint32_t victim = 0;
        uint64_t best = 0;
        for (f = 0; f < used; f++) {
            uint64_t u = t + 1;
            while (u < r->n && r->ref[u] >> PAGING_ID_SHIFT != frame_page[f])
                u++;
            uint64_t key = u < r->n ? u : (1ull << 40) + (r->n_pages - frame_page[f]);
            if (key > best) {
                best = key;
                victim = f;
            }
        }
        frame_page[victim] = p;
    }
    return faults;
}

/* The one-pass curves against direct simulation for every F, on random
 * strings where a fifth of the accesses cross into a second page and a
 * few into a third.  opt's pass gives the pinned pages of a continuing
 * reference the first rank (paging_curve.c), and must equal the pinned
 * simulation everywhere -- on strings where pinning does change opt. */
static void test_one_pass_matches_direct(void **state)
{
    uint32_t frames[64];
    struct paging_result curve[64];
    bool exact[64];
    unsigned n_pinning_matters = 0;
    (void)state;
    for (uint32_t seed = 1; seed <= 60; seed++) {
        struct paging_refs r = random_string(seed, 4 + seed % 37, 400 + 10 * seed);
        size_t n = 0;
        for (uint32_t F = r.widest; F <= r.n_pages + 2 && n < 64; F++)
            frames[n++] = F;
        assert_int_equal(paging_lru_curve(&r, frames, n, curve), 0);
        for (size_t i = 0; i < n; i++) {
            struct paging_result d = sim(&r, paging_policy_default(PAGING_LRU), frames[i]);
            assert_memory_equal(&curve[i], &d, sizeof d);
        }
        assert_int_equal(paging_opt_curve(&r, frames, n, curve, exact), 0);
        for (size_t i = 0; i < n; i++) {
            struct paging_result d = sim(&r, paging_policy_default(PAGING_OPT), frames[i]);
            assert_true(exact[i]);
            assert_memory_equal(&curve[i], &d, sizeof d);
            n_pinning_matters += naive_unpinned_opt_faults(&r, frames[i]) != d.faults;
        }
        paging_refs_free(&r);
    }
    assert_true(n_pinning_matters > 0);
}

/* --- decoding and the command --- */

/* A text trace and its binary form give one string, even when folding
 * reorders the 4 MiB chunks (64-bit addresses, entered high first). */
static void test_decode_text_and_binary_agree(void **state)
{
    static const char text[] = "==1== Lackey\n"
                               " L 7ffff0000ffe,4\n"
                               " S 0000000400000,8\n"
                               " M 7ffff0001000,8\n"
                               "I  0000000401000,4\n"
                               " L 0000000403ffe,8192\n";
    struct paging_refs t, b;
    char err[512];
    (void)state;
    tt_write(tt_path("t.lackey"), text);
    assert_int_equal(paging_decode(tt_path("t.lackey"), 12, false, &t, err, sizeof err), 0);
    assert_int_equal(t.n, 2 + 1 + 2 + 1 + 3);
    assert_int_equal(t.n_pages, 7);
    assert_int_equal(t.widest, 3);
    assert_int_equal(t.widest_record, 5);
    assert_true(t.page[0] < t.page[6]);
    /* the binary form cannot hold the 8192-byte access: compare without it */
    tt_write(tt_path("t2.lackey"), "==1== Lackey\n L 7ffff0000ffe,4\n S 0000000400000,8\n"
                                   " M 7ffff0001000,8\nI  0000000401000,4\n");
    char *argv[] = {
        "trace", "convert", (char *)tt_path("t2.lackey"), "-o", (char *)tt_path("t2.vbt"), NULL};
    assert_int_equal(trace_main(5, argv), 0);
    paging_refs_free(&t);
    assert_int_equal(paging_decode(tt_path("t2.lackey"), 12, false, &t, err, sizeof err), 0);
    assert_int_equal(paging_decode(tt_path("t2.vbt"), 12, false, &b, err, sizeof err), 0);
    assert_int_equal(t.n, b.n);
    assert_int_equal(t.n_pages, b.n_pages);
    assert_memory_equal(t.ref, b.ref, t.n * sizeof *t.ref);
    assert_memory_equal(t.page, b.page, t.n_pages * sizeof *t.page);
    paging_refs_free(&t);
    paging_refs_free(&b);
}

static void test_decode_malformed_names_line(void **state)
{
    struct paging_refs r;
    char err[512];
    (void)state;
    tt_write(tt_path("bad.lackey"), " L 1000,4\n L 2000,4\n X nonsense\n");
    assert_int_equal(paging_decode(tt_path("bad.lackey"), 12, false, &r, err, sizeof err), 2);
    assert_non_null(strstr(err, "bad.lackey:3: error"));
    tt_write(tt_path("huge.lackey"), " L 1000,1000000\n");
    assert_int_equal(paging_decode(tt_path("huge.lackey"), 12, false, &r, err, sizeof err), 2);
    assert_non_null(strstr(err, "huge.lackey:1: error"));
}

static int run_cmd(int argc, char **argv)
{
    fflush(stdout);
    return paging_main(argc, argv);
}

static void test_command_errors(void **state)
{
    (void)state;
    tt_write(tt_path("w.lackey"), " L 1000,4\n L 1ffe,4\n L 2ffe,4100\n");
    char *f1[] = {"paging", "--frames", "1,2", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, f1), 2); /* F < 2 */
    char *f2[] = {"paging", "--frames", "2..4", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, f2), 2); /* F = 2 below the 3-page access */
    char *f3[] = {"paging", "--csv", "--frames", "3..4", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(5, f3), 0);
    char *p1[] = {"paging", "-p", "random:seed=0", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, p1), 2);
    char *p2[] = {"paging", "-p", "aging:k=33", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, p2), 2);
    char *p3[] = {"paging", "-p", "ws", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, p3), 2);
    char *p4[] = {"paging", "-p", "lfu", (char *)tt_path("w.lackey"), NULL};
    assert_int_equal(run_cmd(4, p4), 2);
    tt_write(tt_path("m.lackey"), " L 1000,4\n Q 2000,4\n");
    char *m[] = {"paging", (char *)tt_path("m.lackey"), NULL};
    assert_int_equal(run_cmd(2, m), 2);
    char *missing[] = {"paging", (char *)tt_path("none.lackey"), NULL};
    assert_int_equal(run_cmd(2, missing), 1);
    /* --plot naming the trace itself is refused before anything is read */
    char *plot[] = {"paging", "--plot", (char *)tt_path("w.lackey"), (char *)tt_path("w.lackey"),
                    NULL};
    assert_int_equal(run_cmd(4, plot), 2);
    FILE *f = fopen(tt_path("w.lackey"), "r");
    char line[64];
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, " L 1000,4\n");
    fclose(f);
}

static void test_policy_parse(void **state)
{
    struct paging_policy p;
    char err[200];
    (void)state;
    assert_true(paging_policy_parse("aging:k=2,t=3", &p, err, sizeof err));
    assert_int_equal(p.k, 2);
    assert_int_equal(p.t, 3);
    assert_true(paging_policy_parse("ws:tau=2,3,5", &p, err, sizeof err));
    assert_int_equal(p.n_tau, 3);
    assert_int_equal(p.tau[2], 5);
    assert_true(paging_policy_parse("random:seed=12345", &p, err, sizeof err));
    assert_int_equal(p.seed, 12345);
    assert_false(paging_policy_parse("fifo:seed=2", &p, err, sizeof err));
    assert_false(paging_policy_parse("aging:t=0", &p, err, sizeof err));
    uint32_t f[PAGING_MAX_FRAMES];
    size_t n;
    assert_true(paging_parse_frames("2..4,8,16", f, &n, err, sizeof err));
    assert_int_equal(n, 5);
    assert_int_equal(f[3], 8);
    assert_false(paging_parse_frames("4..2", f, &n, err, sizeof err));
    assert_false(paging_parse_frames("1..3", f, &n, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_belady_anomaly),
        cmocka_unit_test(test_sgg_string),
        cmocka_unit_test(test_stack_policies_on_belady),
        cmocka_unit_test(test_clock_second_chance),
        cmocka_unit_test(test_eclock_rounds),
        cmocka_unit_test(test_eclock_clears_only_before_victim),
        cmocka_unit_test(test_random_xorshift),
        cmocka_unit_test(test_aging_defaults_tie_to_fifo),
        cmocka_unit_test(test_aging_tick_counts_references),
        cmocka_unit_test(test_pinning_fifo),
        cmocka_unit_test(test_pinning_opt),
        cmocka_unit_test(test_pinning_clock_keeps_r),
        cmocka_unit_test(test_pinning_random_next_frame_up),
        cmocka_unit_test(test_pinning_wide_access),
        cmocka_unit_test(test_opt_tie_lowest_page),
        cmocka_unit_test(test_writebacks),
        cmocka_unit_test(test_decode_modify_crossing),
        cmocka_unit_test(test_ws_by_hand),
        cmocka_unit_test(test_one_pass_matches_direct),
        cmocka_unit_test(test_decode_text_and_binary_agree),
        cmocka_unit_test(test_decode_malformed_names_line),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_policy_parse),
    };
    return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
