/*
 * sweep_cmd.c - `vmsim sweep`: options, the configuration list, and the
 * table / CSV / plot of the results (the engine is sweep.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_tlb.h"
#include "out_file.h"
#include "sweep.h"
#include "sweep_plot.h"
#include "trace_cmd.h"
#include "trace_opts.h"
#include "trace_reader.h"
#include "trace_run.h"

#define MAX_CONFIGS 1024
#define MAX_LIST 64

const char sweep_usage[] =
    "usage: vmsim sweep [OPTIONS] FILE|-\n"
    "\n"
    "Simulate many TLB configurations in one pass over a trace (lackey text, plain or\n"
    "gzip, or binary) and print one row per configuration.  The counts are those\n"
    "`vmsim trace --populate` gives for each configuration alone (docs/tlb-counting.md);\n"
    "fully-associative LRU comes from LRU stack distances (Mattson et al. 1970), all\n"
    "sizes at once.  With split TLBs each configuration is used for both the\n"
    "instruction and the data TLB.\n"
    "\n"
    "options:\n"
    "  --entries LIST|A..B  TLB sizes: a list (16,64,256) or every power of two from\n"
    "                       A to B (default 8..1024)\n"
    "  --ways LIST          associativities, 'full' = fully associative\n"
    "                       (default 1,2,4,8,full)\n"
    "  --policy LIST        replacement policies lru,fifo,random,plru (default lru)\n"
    "  --config E,W[,POL]   one configuration; repeat it for more (replaces the lists)\n"
    "  --unified            one TLB for fetches and data (default: split)\n"
    "  --page-size 4k|4m    page size of the trace's regions (default 4k)\n"
    "  --csv FILE           also write the rows as CSV (- for standard output only)\n"
    "  --plot FILE.png      draw hit rate against entries, one curve per associativity\n"
    "                       (needs gnuplot, or Debian's python3-matplotlib)\n"
    "  --plot-tlb d|i       with split TLBs, plot the data (default) or instruction TLB\n"
    "  --direct             simulate fully-associative LRU too, instead of stack distances\n"
    "  --skip-bad           skip malformed lines and count them, instead of stopping\n"
    "  -h, --help           this text\n"
    "\n"
    "Combinations that are not a valid TLB (entries not a multiple of ways, sets not a\n"
    "power of two, PLRU with ways not a power of two) are left out.\n"
    "exit status: 0 done, 2 malformed input or bad option, 1 anything else.\n";

struct sweep_opts {
    uint32_t entries[MAX_LIST], ways[MAX_LIST]; /* ways 0 = full */
    vmsim_tlb_policy_t policy[VMSIM_TLB_POLICY_COUNT];
    size_t n_entries, n_ways, n_policy;
    vmsim_tlb_config_t config[MAX_CONFIGS];
    size_t n_config;
    bool split, direct, skip_bad;
    unsigned page_shift, plot_side;
    const char *csv, *plot, *path;
};

enum { O_ENTRIES = 256, O_WAYS, O_POLICY, O_CONFIG, O_UNIFIED, O_PAGE, O_CSV, O_PLOT, O_PLOT_TLB,
       O_DIRECT, O_SKIP };

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "vmsim sweep: %s: '%s'\n(vmsim sweep --help lists the options)\n", what, arg);
    return 2;
}

static bool parse_u32_list(const char *s, uint32_t *out, size_t *n, bool allow_full)
{
    char buf[512], *save;
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    *n = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v = 0;
        if (*n == MAX_LIST || (!(allow_full && strcmp(t, "full") == 0) &&
                               (!opt_parse_u64(t, &v) || v == 0 || v > (1u << 20))))
            return false;
        out[(*n)++] = (uint32_t)v;
    }
    return *n > 0;
}

static bool parse_entries(const char *s, struct sweep_opts *o)
{
    const char *dots = strstr(s, "..");
    if (!dots)
        return parse_u32_list(s, o->entries, &o->n_entries, false);
    char lo_s[32];
    uint64_t lo, hi;
    if ((size_t)(dots - s) >= sizeof lo_s)
        return false;
    memcpy(lo_s, s, (size_t)(dots - s));
    lo_s[dots - s] = 0;
    if (!opt_parse_u64(lo_s, &lo) || !opt_parse_u64(dots + 2, &hi) || lo == 0 || hi < lo ||
        hi > (1u << 20))
        return false;
    o->n_entries = 0;
    for (uint64_t e = 1; e <= hi && o->n_entries < MAX_LIST; e *= 2)
        if (e >= lo)
            o->entries[o->n_entries++] = (uint32_t)e;
    return o->n_entries > 0;
}

static bool parse_policies(const char *s, struct sweep_opts *o)
{
    char buf[128], *save;
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    o->n_policy = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (o->n_policy == VMSIM_TLB_POLICY_COUNT ||
            vmsim_tlb_policy_parse(t, &o->policy[o->n_policy++]))
            return false;
    return o->n_policy > 0;
}

static int option(int c, struct sweep_opts *o)
{
    switch (c) {
    case O_ENTRIES: return parse_entries(optarg, o) ? 0 : bad("--entries wants a list or A..B", optarg);
    case O_WAYS:
        return parse_u32_list(optarg, o->ways, &o->n_ways, true) ? 0 : bad("--ways wants a list", optarg);
    case O_POLICY: return parse_policies(optarg, o) ? 0 : bad("--policy wants lru,fifo,random,plru", optarg);
    case O_CONFIG:
        if (o->n_config == MAX_CONFIGS)
            return bad("too many --config", optarg);
        return cli_parse_tlb(optarg, &o->config[o->n_config++], stderr, "--config") ? 0 : 2;
    case O_UNIFIED: o->split = false; return 0;
    case O_PAGE:
        return opt_parse_page_size(optarg, &o->page_shift) ? 0 : bad("--page-size is 4k or 4m", optarg);
    case O_CSV: o->csv = optarg; return 0;
    case O_PLOT: o->plot = optarg; return 0;
    case O_PLOT_TLB:
        if (strcmp(optarg, "d") && strcmp(optarg, "i"))
            return bad("--plot-tlb is d or i", optarg);
        o->plot_side = optarg[0] == 'i' ? SWEEP_FETCH : SWEEP_DATA;
        return 0;
    case O_DIRECT: o->direct = true; return 0;
    case O_SKIP: o->skip_bad = true; return 0;
    case 'h': fputs(sweep_usage, stdout); return -1;
    default: fputs(sweep_usage, stderr); return 2;
    }
}

static void defaults(struct sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    parse_entries("8..1024", o);
    parse_u32_list("1,2,4,8,full", o->ways, &o->n_ways, true);
    o->policy[0] = VMSIM_TLB_LRU;
    o->n_policy = 1;
    o->split = true;
    o->page_shift = 12;
}

static bool has_full(const struct sweep_opts *o)
{
    for (size_t w = 0; w < o->n_ways; w++)
        if (o->ways[w] == 0)
            return true;
    return false;
}

/* The cross product entries x ways x policy, valid combinations only.  W
 * ways of W entries is the fully-associative TLB: with 'full' in the
 * list it is left to 'full'. */
static size_t cross_product(struct sweep_opts *o, size_t *n_skipped)
{
    size_t n = 0;
    bool full = has_full(o);
    *n_skipped = 0;
    for (size_t p = 0; p < o->n_policy; p++)
        for (size_t w = 0; w < o->n_ways; w++)
            for (size_t e = 0; e < o->n_entries && n < MAX_CONFIGS; e++) {
                uint32_t ways = o->ways[w] ? o->ways[w] : o->entries[e];
                vmsim_tlb_config_t c = vmsim_tlb_config(o->entries[e], ways, o->policy[p]);
                if (o->ways[w] && ways == o->entries[e] && full)
                    continue;
                if (ways > o->entries[e] || vmsim_tlb_config_check(&c) != VMSIM_OK)
                    (*n_skipped)++;
                else
                    o->config[n++] = c;
            }
    return n;
}

static int parse_args(int argc, char **argv, struct sweep_opts *o)
{
    static const struct option longopts[] = {
        {"entries", required_argument, NULL, O_ENTRIES}, {"ways", required_argument, NULL, O_WAYS},
        {"policy", required_argument, NULL, O_POLICY}, {"config", required_argument, NULL, O_CONFIG},
        {"unified", no_argument, NULL, O_UNIFIED}, {"page-size", required_argument, NULL, O_PAGE},
        {"csv", required_argument, NULL, O_CSV}, {"plot", required_argument, NULL, O_PLOT},
        {"plot-tlb", required_argument, NULL, O_PLOT_TLB}, {"direct", no_argument, NULL, O_DIRECT},
        {"skip-bad", no_argument, NULL, O_SKIP}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    defaults(o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = option(c, o);
        if (rc)
            return rc;
    }
    if (optind != argc - 1)
        return bad("expected one trace file (or - for standard input)", optind < argc ? argv[optind] : "");
    o->path = argv[optind];
    return 0;
}

/* --- output --- */

static double pct(const struct sweep_counts *c)
{
    return c->lookups ? 100.0 * (double)c->hits / (double)c->lookups : 0;
}

static void ways_label(const vmsim_tlb_config_t *t, char *buf, size_t cap)
{
    if (t->ways == t->entries)
        snprintf(buf, cap, "full");
    else
        snprintf(buf, cap, "%u", t->ways);
}

static void print_table(FILE *f, const struct sweep_opts *o, const struct sweep *s, bool binary,
                        double secs)
{
    const uint64_t *a = s->access;
    fprintf(f, "vmsim sweep: %s (%s trace), %s pages, %s\n", o->path, binary ? "binary" : "lackey text",
            o->page_shift == 22 ? "4 MiB" : "4 KiB",
            o->split ? "split TLBs (each configuration is both the ITLB and the DTLB)" : "unified TLB");
    fprintf(f, "  %" PRIu64 " accesses (%" PRIu64 " I, %" PRIu64 " L, %" PRIu64 " S, %" PRIu64
            " M), %" PRIu64 " %s lookups%s", a[0] + a[1] + a[2] + a[3], a[0], a[1], a[2], a[3],
            s->lookups[SWEEP_DATA], o->split ? "data" : "TLB", o->split ? ", " : "\n");
    if (o->split)
        fprintf(f, "%" PRIu64 " instruction lookups\n", s->lookups[SWEEP_FETCH]);
    fprintf(f, "  %zu configurations in one pass: %.3f s\n\n", s->n_rows, secs);
    if (o->split)
        fprintf(f, "%8s %5s %7s %11s %13s %11s %13s %13s\n", "entries", "ways", "policy",
                "ITLB hit%", "ITLB misses", "DTLB hit%", "DTLB misses", "DTLB evicts");
    else
        fprintf(f, "%8s %5s %7s %11s %13s %13s\n", "entries", "ways", "policy", "hit%", "misses",
                "evictions");
    for (size_t r = 0; r < s->n_rows; r++) {
        const struct sweep_row *row = &s->rows[r];
        char w[16];
        ways_label(&row->tlb, w, sizeof w);
        fprintf(f, "%8u %5s %6s%s", row->tlb.entries, w, vmsim_tlb_policy_name(row->tlb.policy),
                row->from_stack ? "*" : " ");
        if (o->split)
            fprintf(f, " %10.4f%% %13" PRIu64, pct(&row->side[SWEEP_FETCH]),
                    row->side[SWEEP_FETCH].misses);
        fprintf(f, " %10.4f%% %13" PRIu64 " %13" PRIu64 "\n", pct(&row->side[SWEEP_DATA]),
                row->side[SWEEP_DATA].misses, row->side[SWEEP_DATA].evictions);
    }
    if (s->use_stack)
        fprintf(f, "  (* from LRU stack distances, Mattson et al. 1970: exact, not estimated)\n");
}

/* Five fields, each after a comma. */
static void csv_side(FILE *f, const struct sweep_counts *c, bool present)
{
    if (!present)
        fputs(",,,,,", f);
    else
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64, c->lookups, c->hits,
                c->misses, c->lookups ? (double)c->hits / (double)c->lookups : 0, c->evictions);
}

void sweep_write_csv(FILE *f, const struct sweep *s)
{
    fputs("entries,ways,policy,method,split_tlb,page_size,itlb_lookups,itlb_hits,itlb_misses,"
          "itlb_hit_rate,itlb_evictions,dtlb_lookups,dtlb_hits,dtlb_misses,dtlb_hit_rate,"
          "dtlb_evictions\n", f);
    for (size_t r = 0; r < s->n_rows; r++) {
        const struct sweep_row *row = &s->rows[r];
        fprintf(f, "%u,%u,%s,%s,%d,%u", row->tlb.entries, row->tlb.ways,
                vmsim_tlb_policy_name(row->tlb.policy), row->from_stack ? "stack" : "direct",
                s->split, 1u << s->page_shift);
        csv_side(f, &row->side[SWEEP_FETCH], s->split);
        csv_side(f, &row->side[SWEEP_DATA], true);
        fputs("\n", f);
    }
}

/* --- the run --- */

static int pump(struct trace_reader *tr, struct sweep *s)
{
    struct trace_access *batch = malloc(TRACE_BATCH * sizeof *batch);
    size_t n;
    int rc = batch ? 0 : 1;
    while (rc == 0) {
        if ((rc = trace_reader_next(tr, batch, TRACE_BATCH, &n)) != 0)
            fprintf(stderr, "%s\n", tr->err);
        else if (n == 0)
            break;
        else if (sweep_run(s, batch, n)) {
            fprintf(stderr, "vmsim sweep: out of memory\n");
            rc = 1;
        }
    }
    free(batch);
    return rc;
}

static int write_csv_file(const struct sweep_opts *o, const struct sweep *s)
{
    struct out_file of;
    int rc = out_open(&of, o->csv, &o->path, 1, "", 0);
    if (rc == 0) {
        sweep_write_csv(of.f, s);
        rc = out_commit(&of);
    }
    if (rc)
        fprintf(stderr, "vmsim sweep: --csv: %s\n", of.err);
    return rc ? 1 : 0;
}

static int outputs(const struct sweep_opts *o, const struct sweep *s, bool binary, double secs)
{
    bool csv_only = o->csv && strcmp(o->csv, "-") == 0;
    if (!csv_only)
        print_table(stdout, o, s, binary, secs);
    if (o->csv && write_csv_file(o, s))
        return 1;
    if (o->plot) {
        char title[256];
        snprintf(title, sizeof title, "%s: %s hit rate, %s pages", o->path,
                 !o->split ? "unified TLB" : o->plot_side == SWEEP_FETCH ? "instruction TLB" : "data TLB",
                 o->page_shift == 22 ? "4 MiB" : "4 KiB");
        int rc =
            sweep_plot(s, o->split ? o->plot_side : SWEEP_DATA, o->plot, o->path, title, stderr);
        if (rc < 0)
            return 1;
        if (rc == 0 && !csv_only)
            printf("plot: %s\n", o->plot);
    }
    return 0;
}

/* An output named as the trace would replace it: refuse before reading. */
static int outputs_are_not_the_input(const struct sweep_opts *o)
{
    const char *outs[2] = {o->csv, o->plot};
    const char *names[2] = {"--csv", "--plot"};
    for (int i = 0; i < 2; i++) {
        struct out_file of;
        if (outs[i] && out_is_an_input(&of, outs[i], &o->path, 1)) {
            fprintf(stderr, "vmsim sweep: %s: %s\n", names[i], of.err);
            return 2;
        }
    }
    return 0;
}

static int run(struct sweep_opts *o, size_t n_cfg)
{
    struct trace_reader *tr = calloc(1, sizeof *tr);
    struct sweep s;
    memset(&s, 0, sizeof s);
    int rc = tr ? trace_reader_open(tr, o->path, o->skip_bad) : 1;
    if (rc)
        fprintf(stderr, "%s\n", tr ? tr->err : "vmsim sweep: out of memory");
    if (!rc && sweep_init(&s, o->config, n_cfg, o->split, o->page_shift, o->direct)) {
        fprintf(stderr, "vmsim sweep: out of memory\n");
        rc = 1;
    }
    if (!rc) {
        double t0 = trace_now();
        rc = pump(tr, &s);
        double secs = trace_now() - t0;
        if (!rc) {
            sweep_finish(&s);
            rc = outputs(o, &s, tr->binary, secs);
        }
        char first[256];
        uint64_t skipped = trace_reader_skipped(tr, first, sizeof first);
        if (skipped)
            fprintf(stderr, "vmsim sweep: skipped %" PRIu64 " malformed lines; the first: %s\n",
                    skipped, first);
    }
    sweep_free(&s);
    if (tr)
        trace_reader_close(tr);
    free(tr);
    return rc;
}

int sweep_main(int argc, char **argv)
{
    struct sweep_opts *o = malloc(sizeof *o);
    if (!o)
        return 1;
    int rc = parse_args(argc, argv, o);
    if (rc) {
        free(o);
        return rc < 0 ? 0 : rc;
    }
    size_t n = o->n_config, skipped = 0;
    if (n == 0)
        n = cross_product(o, &skipped);
    if (n == 0) {
        free(o);
        return bad("no valid TLB configuration in the lists", "");
    }
    if (skipped)
        fprintf(stderr, "vmsim sweep: left out %zu combinations that are not a valid TLB\n",
                skipped);
    rc = outputs_are_not_the_input(o);
    if (rc == 0)
        rc = run(o, n);
    free(o);
    return rc;
}
