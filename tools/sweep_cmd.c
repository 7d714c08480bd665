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
    "  --plot FILE          draw a metric against entries, one curve per associativity;\n"
    "                       FILE ends in .png, .svg or .pdf (needs gnuplot, or Debian's\n"
    "                       python3-matplotlib; without them --plot fails unless --csv\n"
    "                       is given too)\n"
    "  --plot-tlb d|i       with split TLBs, plot the data (default) or instruction TLB\n"
    "  --metric hit|miss|mpki  what to plot: hit rate (default), miss rate on a log\n"
    "                       scale, or misses per 1000 instructions\n"
    "  --title TEXT         the plot's title (default: trace name, TLB, policy, page size)\n"
    "  --size W,H           the plot's size in pixels (default 800,500)\n"
    "  --yrange LO:HI       fix the y axis (to compare several plots)\n"
    "  --direct             simulate fully-associative LRU too, instead of stack distances\n"
    "  --skip-bad           skip malformed lines and count them, instead of stopping\n"
    "  -h, --help           this text\n"
    "\n"
    "Combinations that are not a valid TLB (entries not a multiple of ways, sets not a\n"
    "power of two, PLRU with ways not a power of two) are left out.\n"
    "The CSV names the trace and the vmsim version in every row, so the CSVs of many\n"
    "runs concatenate into one table (docs/tlb-studies.md, 'Many traces').\n"
    "exit status: 0 done, 2 malformed input or bad option, 1 anything else.\n";

struct sweep_opts {
    uint32_t entries[MAX_LIST], ways[MAX_LIST]; /* ways 0 = full */
    vmsim_tlb_policy_t policy[VMSIM_TLB_POLICY_COUNT];
    size_t n_entries, n_ways, n_policy;
    vmsim_tlb_config_t config[MAX_CONFIGS];
    size_t n_config;
    bool split, direct, skip_bad;
    unsigned page_shift, plot_side;
    const char *csv, *path;
    struct plot_opts plot; /* plot.path NULL: no plot */
    char entries_note[128]; /* how an A..B range was cut down to powers of two */
};

enum { O_ENTRIES = 256, O_WAYS, O_POLICY, O_CONFIG, O_UNIFIED, O_PAGE, O_CSV, O_PLOT, O_PLOT_TLB,
       O_DIRECT, O_SKIP, O_METRIC, O_TITLE, O_SIZE, O_YRANGE };

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "vmsim sweep: %s: '%.60s%s'\n(vmsim sweep --help lists the options)\n", what,
            arg, strlen(arg) > 60 ? "..." : "");
    return 2;
}

/* A comma-separated list of numbers 1..2^20 (and 'full'), none empty. */
static bool parse_u32_list(const char *s, uint32_t *out, size_t *n, bool allow_full)
{
    char buf[512], *t[MAX_LIST];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    *n = opt_split(buf, ',', t, MAX_LIST);
    for (size_t i = 0; i < *n && *n != SIZE_MAX; i++) {
        uint64_t v = 0;
        if (!(allow_full && strcmp(t[i], "full") == 0) &&
            (!opt_parse_u64(t[i], &v) || v == 0 || v > (1u << 20)))
            return false;
        out[i] = (uint32_t)v;
    }
    return *n > 0 && *n != SIZE_MAX;
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
    o->entries_note[0] = '\0';
    if (!o->n_entries)
        return false; /* no power of two in the range */
    if (o->entries[0] != lo || o->entries[o->n_entries - 1] != hi)
        snprintf(o->entries_note, sizeof o->entries_note,
                 "--entries %" PRIu64 "..%" PRIu64
                 " means the powers of two in that range: %u to %u",
                 lo, hi, o->entries[0], o->entries[o->n_entries - 1]);
    return true;
}

static bool parse_policies(const char *s, struct sweep_opts *o)
{
    char buf[128], *t[VMSIM_TLB_POLICY_COUNT];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    size_t n = opt_split(buf, ',', t, VMSIM_TLB_POLICY_COUNT);
    if (n == SIZE_MAX)
        return false;
    for (o->n_policy = 0; o->n_policy < n; o->n_policy++)
        if (vmsim_tlb_policy_parse(t[o->n_policy], &o->policy[o->n_policy]))
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
    case O_PLOT: o->plot.path = optarg; return 0;
    case O_METRIC:
        return plot_parse_metric(optarg, &o->plot.metric)
                   ? 0
                   : bad("--metric is hit, miss or mpki", optarg);
    case O_TITLE: o->plot.title = optarg; return 0;
    case O_SIZE:
        return sscanf(optarg, "%u,%u", &o->plot.width, &o->plot.height) == 2 &&
                       o->plot.width >= 100 && o->plot.width <= 10000 && o->plot.height >= 100 &&
                       o->plot.height <= 10000
                   ? 0
                   : bad("--size wants W,H in pixels, 100 to 10000", optarg);
    case O_YRANGE:
        return sscanf(optarg, "%lf:%lf", &o->plot.y_lo, &o->plot.y_hi) == 2 &&
                       o->plot.y_lo < o->plot.y_hi
                   ? 0
                   : bad("--yrange wants LO:HI with LO < HI", optarg);
    case O_PLOT_TLB:
        if (strcmp(optarg, "d") && strcmp(optarg, "i"))
            return bad("--plot-tlb is d or i", optarg);
        o->plot_side = optarg[0] == 'i' ? SWEEP_FETCH : SWEEP_DATA;
        return 0;
    case O_DIRECT: o->direct = true; return 0;
    case O_SKIP: o->skip_bad = true; return 0;
    case 'h': fputs(sweep_usage, stdout); return -1;
    default: fputs("(vmsim sweep --help lists the options)\n", stderr); return 2;
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
    plot_opts_default(&o->plot);
}

static bool has_full(const struct sweep_opts *o)
{
    for (size_t w = 0; w < o->n_ways; w++)
        if (o->ways[w] == 0)
            return true;
    return false;
}

/* Why entries x ways under policy p is not a TLB, or NULL when it is. */
static const char *why_invalid(uint32_t entries, uint32_t ways, vmsim_tlb_policy_t p)
{
    if (ways > entries)
        return "more ways than entries";
    if (entries % ways)
        return "entries not a multiple of ways";
    vmsim_tlb_config_t c = vmsim_tlb_config(entries, ways, p);
    if (p == VMSIM_TLB_PLRU && (ways & (ways - 1)))
        return "PLRU needs a power-of-two number of ways";
    if (vmsim_tlb_config_check(&c) != VMSIM_OK)
        return "the number of sets (entries / ways) is not a power of two";
    return NULL;
}

/* Say which combination was left out and why (the first few of them). */
static void left_out(size_t k, uint32_t entries, uint32_t ways, vmsim_tlb_policy_t p,
                     const char *why)
{
    if (k < 8)
        fprintf(stderr, "  %u entries, %u ways, %s: %s\n", entries, ways, vmsim_tlb_policy_name(p),
                why);
    else if (k == 8)
        fprintf(stderr, "  ...\n");
}

/* The cross product entries x ways x policy, valid combinations only
 * (the others are named on standard error).  W ways of W entries is the
 * fully-associative TLB: with 'full' in the list it is left to 'full'. */
static size_t cross_product(struct sweep_opts *o, size_t *n_skipped, size_t *n_over)
{
    size_t n = 0;
    bool full = has_full(o);
    *n_skipped = *n_over = 0;
    for (size_t p = 0; p < o->n_policy; p++)
        for (size_t w = 0; w < o->n_ways; w++)
            for (size_t e = 0; e < o->n_entries; e++) {
                uint32_t ways = o->ways[w] ? o->ways[w] : o->entries[e];
                const char *why = why_invalid(o->entries[e], ways, o->policy[p]);
                if (o->ways[w] && ways == o->entries[e] && full)
                    continue;
                if (why)
                    left_out((*n_skipped)++, o->entries[e], ways, o->policy[p], why);
                else if (n < MAX_CONFIGS)
                    o->config[n++] = vmsim_tlb_config(o->entries[e], ways, o->policy[p]);
                else
                    (*n_over)++;
            }
    return n;
}

static void print_u32_list(FILE *f, const uint32_t *v, size_t n, bool full_for_zero)
{
    for (size_t i = 0; i < n; i++) {
        if (full_for_zero && v[i] == 0)
            fprintf(f, "%sfull", i ? "," : "");
        else
            fprintf(f, "%s%u", i ? "," : "", v[i]);
    }
}

/* "--entries 8,16 --ways 3 --policy lru" */
static void print_lists(FILE *f, const struct sweep_opts *o)
{
    fputs("--entries ", f);
    print_u32_list(f, o->entries, o->n_entries, false);
    fputs(" --ways ", f);
    print_u32_list(f, o->ways, o->n_ways, true);
    fputs(" --policy ", f);
    for (size_t i = 0; i < o->n_policy; i++)
        fprintf(f, "%s%s", i ? "," : "", vmsim_tlb_policy_name(o->policy[i]));
}

/* The configurations to run: the --config ones, or the lists' valid
 * combinations with the others named.  0 after a message when none. */
static size_t configurations(struct sweep_opts *o)
{
    size_t skipped, over;
    if (o->n_config)
        return o->n_config;
    if (o->entries_note[0])
        fprintf(stderr, "vmsim sweep: %s\n", o->entries_note);
    size_t n = cross_product(o, &skipped, &over);
    if (!n)
        fputs("vmsim sweep: none of the combinations of ", stderr);
    else if (skipped)
        fprintf(stderr, "vmsim sweep: left out %zu combination%s of ", skipped,
                skipped == 1 ? "" : "s");
    if (!n || skipped) {
        print_lists(stderr, o);
        fputs(n ? " (not a valid TLB; why, above)\n" : " is a valid TLB (why, above)\n", stderr);
    }
    if (over)
        fprintf(stderr, "vmsim sweep: only the first %d configurations run; %zu more left out\n",
                MAX_CONFIGS, over);
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
        {"metric", required_argument, NULL, O_METRIC}, {"title", required_argument, NULL, O_TITLE},
        {"size", required_argument, NULL, O_SIZE}, {"yrange", required_argument, NULL, O_YRANGE},
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

/* The trace's name for tables, CSVs and titles: its file name without
 * folders ("<stdin>" for -). */
static const char *trace_name(const char *path)
{
    if (strcmp(path, "-") == 0)
        return "<stdin>";
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* A CSV field: quoted, with quotes doubled. */
static void csv_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void sweep_write_csv(FILE *f, const struct sweep *s, const char *trace)
{
    fputs("entries,ways,policy,method,split_tlb,page_size,itlb_lookups,itlb_hits,itlb_misses,"
          "itlb_hit_rate,itlb_evictions,dtlb_lookups,dtlb_hits,dtlb_misses,dtlb_hit_rate,"
          "dtlb_evictions,trace,vmsim_version\n", f);
    for (size_t r = 0; r < s->n_rows; r++) {
        const struct sweep_row *row = &s->rows[r];
        fprintf(f, "%u,%u,%s,%s,%d,%u", row->tlb.entries, row->tlb.ways,
                vmsim_tlb_policy_name(row->tlb.policy), row->from_stack ? "stack" : "direct",
                s->split, 1u << s->page_shift);
        csv_side(f, &row->side[SWEEP_FETCH], s->split);
        csv_side(f, &row->side[SWEEP_DATA], true);
        fputc(',', f);
        csv_string(f, trace_name(trace));
        fprintf(f, ",%s\n", vmsim_version());
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

/* "LRU", or "LRU, FIFO" for the rows' policies, in order of appearance. */
static const char *policy_names(const struct sweep *s, char *buf, size_t cap)
{
    static const char *const upper[] = {"LRU", "FIFO", "random", "PLRU"};
    bool seen[VMSIM_TLB_POLICY_COUNT] = {false};
    buf[0] = '\0';
    for (size_t r = 0; r < s->n_rows; r++) {
        unsigned p = (unsigned)s->rows[r].tlb.policy;
        if (p >= VMSIM_TLB_POLICY_COUNT || seen[p])
            continue;
        seen[p] = true;
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
                 p < 4 ? upper[p] : vmsim_tlb_policy_name((vmsim_tlb_policy_t)p));
    }
    return buf;
}

static int write_csv_file(const struct sweep_opts *o, const struct sweep *s)
{
    struct out_file of;
    int rc = out_open(&of, o->csv, &o->path, 1, "", 0);
    if (rc == 0) {
        sweep_write_csv(of.f, s, o->path);
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
    if (o->plot.path) {
        char title[256], policies[64];
        struct plot_opts po = o->plot;
        snprintf(title, sizeof title, "%s: %s, %s, %s pages", trace_name(o->path),
                 !o->split ? "unified TLB" : o->plot_side == SWEEP_FETCH ? "instruction TLB" : "data TLB",
                 policy_names(s, policies, sizeof policies), o->page_shift == 22 ? "4 MiB" : "4 KiB");
        if (!po.title)
            po.title = title;
        int rc = sweep_plot(s, o->split ? o->plot_side : SWEEP_DATA, &po, o->path, stderr);
        if (rc < 0 || (rc > 0 && !o->csv))
            return 1; /* the figure was asked for and not made; with --csv the figures are there */
        if (rc == 0 && !csv_only)
            printf("plot: %s\n", po.path);
    }
    return 0;
}

/* An output named as the trace would replace it: refuse before reading. */
static int outputs_are_not_the_input(const struct sweep_opts *o)
{
    const char *outs[2] = {o->csv, o->plot.path};
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
    /* a file that cannot be opened is named after the command; FILE:LINE errors as they are */
    if (rc)
        fprintf(stderr, "%s%s\n", rc == 1 ? "vmsim sweep: " : "", tr ? tr->err : "out of memory");
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
    size_t n = configurations(o);
    if (n == 0) {
        free(o);
        return 2;
    }
    /* a figure that cannot be made, or an output that is the input, is
     * refused before the pass over the trace */
    rc = outputs_are_not_the_input(o);
    if (rc == 0 && o->plot.path) {
        rc = sweep_plot_check(&o->plot, stderr);
        if (rc == 1 && o->csv)
            rc = 0; /* no plotter, but the CSV carries the figures: warned, go on */
    }
    if (rc == 0)
        rc = run(o, n);
    free(o);
    return rc;
}
