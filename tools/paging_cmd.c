/*
 * paging_cmd.c - `vmsim paging`: options, policies, and the run.
 *
 * The run decodes the trace once, then fills one row per (policy, F) in
 * the order of the -p options and, within one, of --frames (of the tau
 * list for ws):
 *
 *     lru        every F from one stack-distance pass (--direct: simulated)
 *     opt        every F from one priority-stack pass, pinning included
 *                (an F the pass could not vouch for would be simulated)
 *     ws         one pass per tau
 *     the rest   one simulation per F, all reading the same string
 */
#include "paging_cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "out_file.h"
#include "trace_opts.h"
#include "trace_run.h"

const char paging_usage[] =
    "usage: vmsim paging [OPTIONS] FILE|-\n"
    "       vmsim paging [OPTIONS] --synth PATTERN [SYNTH OPTIONS]\n"
    "\n"
    "Page replacement on the reference string of a trace (docs/paging.md): F frames,\n"
    "a policy, and the faults, cold faults, re-loads, evictions and write-backs it\n"
    "makes.  No MMU and no kernel: the pure model courses teach.  FILE is Valgrind\n"
    "lackey output (plain or gzip) or a binary trace (vmsim trace convert).  An M line\n"
    "is a read then a write; an access covering k pages makes k references.  The\n"
    "trace is decoded once and every (policy, F) reads it; lru and opt give every F\n"
    "in one pass (stack algorithms).\n"
    "\n"
    "options:\n"
    "  --frames LIST        frame counts: 3,4,5 or 2..16 or both (2..8,16,32); each at\n"
    "                       least 2 and the pages of the widest access (default: 2, 4,\n"
    "                       8, ... up to the trace's distinct pages)\n"
    "  -p, --policy P[:ARGS]  a policy; repeat for more (default: all):\n"
    "                       fifo, lru, opt, clock, eclock, random[:seed=N] (xorshift32,\n"
    "                       seed 1), aging[:k=K,t=T] (K-bit counters, 1..32, default 8;\n"
    "                       a tick every T references, default 1000), ws:tau=LIST\n"
    "                       (working set, windows in references); all = fifo lru opt\n"
    "                       random clock eclock aging\n"
    "  --page-size 4k|4m    page size (default 4k)\n"
    "  --csv                CSV on standard output instead of the table (columns:\n"
    "                       trace,policy,params,frames,references,faults,cold,reloads,\n"
    "                       evictions,writebacks,tau,mean_ws_size)\n"
    "  --plot FILE.png      draw fault rate against frames, one curve per policy\n"
    "                       (needs gnuplot, or Debian's python3-matplotlib)\n"
    "  --direct             simulate lru and opt for each F instead of the one pass\n"
    "  --skip-bad           skip malformed lines and count them, instead of stopping\n"
    "  --synth PATTERN      no FILE: a synthetic trace, seq, stride, uniform or zipf,\n"
    "                       with --accesses N (10000000), --footprint SIZE (64M), --size\n"
    "                       BYTES (8), --stride BYTES (4096), --theta T (0.99), --writes\n"
    "                       FRACTION (0), --no-fetch, --seed N (1), as vmsim trace synth\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 done, 2 a bad option, an F too small for the trace, or malformed\n"
    "input (FILE:LINE: error: ... on standard error), 1 anything else.\n";

enum {
    O_FRAMES = 256,
    O_PAGE,
    O_CSV,
    O_PLOT,
    O_DIRECT,
    O_SKIP,
    O_SYNTH,
    O_ACCESSES,
    O_FOOTPRINT,
    O_SIZE,
    O_STRIDE,
    O_THETA,
    O_WRITES,
    O_NOFETCH,
    O_SEED
};

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "vmsim paging: %s%s%s\n(vmsim paging --help lists the options)\n", what,
            arg[0] ? ": " : "", arg);
    return 2;
}

/* --- policies --- */

static const char *const kind_names[PAGING_KINDS] = {"fifo",  "lru",    "opt",   "random",
                                                     "clock", "eclock", "aging", "ws"};

const char *paging_kind_name(enum paging_kind kind)
{
    return (unsigned)kind < PAGING_KINDS ? kind_names[kind] : "?";
}

struct paging_policy paging_policy_default(enum paging_kind kind)
{
    struct paging_policy p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.seed = 1;
    p.k = 8;
    p.t = 1000;
    return p;
}

static bool parse_tau(const char *s, struct paging_policy *p, char *err, size_t cap)
{
    char buf[1024], *save;
    if (strncmp(s, "tau=", 4) || strlen(s + 4) >= sizeof buf) {
        snprintf(err, cap, "ws wants tau=LIST (windows in references, e.g. ws:tau=100,1000)");
        return false;
    }
    strcpy(buf, s + 4);
    p->n_tau = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (p->n_tau == PAGING_MAX_TAU || !opt_parse_u64(t, &v) || v == 0) {
            snprintf(err, cap, "ws: each tau is a whole number >= 1 (at most %d of them): '%s'",
                     PAGING_MAX_TAU, t);
            return false;
        }
        p->tau[p->n_tau++] = v;
    }
    if (p->n_tau == 0)
        snprintf(err, cap, "ws wants at least one tau");
    return p->n_tau > 0;
}

/* One "name=value" of random or aging. */
static bool parse_param(const char *item, struct paging_policy *p, char *err, size_t cap)
{
    uint64_t v;
    const char *eq = strchr(item, '=');
    bool ok = eq && opt_parse_u64(eq + 1, &v);
    size_t len = eq ? (size_t)(eq - item) : 0;
    if (ok && p->kind == PAGING_RANDOM && len == 4 && !strncmp(item, "seed", 4) && v >= 1 &&
        v <= UINT32_MAX)
        p->seed = (uint32_t)v;
    else if (ok && p->kind == PAGING_AGING && len == 1 && item[0] == 'k' && v >= 1 && v <= 32)
        p->k = (unsigned)v;
    else if (ok && p->kind == PAGING_AGING && len == 1 && item[0] == 't' && v >= 1)
        p->t = v;
    else {
        snprintf(
            err, cap, "%s",
            p->kind == PAGING_RANDOM
                ? "random takes seed=N (1 .. 4294967295: xorshift32 needs a non-zero seed)"
                : "aging takes k=K (1..32 counter bits) and t=T (a tick every T >= 1 references)");
        return false;
    }
    return true;
}

static bool parse_params(const char *s, struct paging_policy *p, char *err, size_t cap)
{
    char buf[256], *save;
    if (p->kind == PAGING_WS)
        return parse_tau(s, p, err, cap);
    if (p->kind != PAGING_RANDOM && p->kind != PAGING_AGING) {
        snprintf(err, cap, "%s takes no parameters", paging_kind_name(p->kind));
        return false;
    }
    if (strlen(s) >= sizeof buf || !*s) {
        snprintf(err, cap, "bad parameters '%s'", s);
        return false;
    }
    strcpy(buf, s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!parse_param(t, p, err, cap))
            return false;
    return true;
}

bool paging_policy_parse(const char *s, struct paging_policy *out, char *err, size_t cap)
{
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    for (int k = 0; k < PAGING_KINDS; k++) {
        if (strlen(kind_names[k]) != len || strncmp(s, kind_names[k], len))
            continue;
        *out = paging_policy_default((enum paging_kind)k);
        if (colon)
            return parse_params(colon + 1, out, err, cap);
        if (k == PAGING_WS) {
            snprintf(err, cap, "ws wants its windows: ws:tau=LIST");
            return false;
        }
        return true;
    }
    snprintf(err, cap, "no policy '%.*s' (fifo, lru, opt, random, clock, eclock, aging, ws, all)",
             (int)len, s);
    return false;
}

static bool add_policy(struct paging_opts *o, const char *s, char *err, size_t cap)
{
    static const enum paging_kind all[] = {PAGING_FIFO,  PAGING_LRU,    PAGING_OPT,  PAGING_RANDOM,
                                           PAGING_CLOCK, PAGING_ECLOCK, PAGING_AGING};
    size_t n = strcmp(s, "all") == 0 ? 7 : 1;
    if (o->n_policy + n > PAGING_MAX_POLICIES) {
        snprintf(err, cap, "at most %d policies", PAGING_MAX_POLICIES);
        return false;
    }
    if (n == 1)
        return paging_policy_parse(s, &o->policy[o->n_policy++], err, cap);
    for (size_t i = 0; i < n; i++)
        o->policy[o->n_policy++] = paging_policy_default(all[i]);
    return true;
}

/* --- frames --- */

static bool frame_count(const char *s, uint64_t *v)
{
    return opt_parse_u64(s, v) && *v <= PAGING_FRAMES_LIMIT;
}

static bool add_frames(const char *item, uint32_t *out, size_t *n, char *err, size_t cap)
{
    char lo_s[32];
    const char *dots = strstr(item, "..");
    uint64_t lo, hi;
    if (!dots) {
        if (!frame_count(item, &lo))
            return snprintf(err, cap, "not a frame count: '%s'", item), false;
        hi = lo;
    } else {
        size_t len = (size_t)(dots - item);
        if (len >= sizeof lo_s)
            return snprintf(err, cap, "not a range A..B: '%s'", item), false;
        memcpy(lo_s, item, len);
        lo_s[len] = 0;
        if (!frame_count(lo_s, &lo) || !frame_count(dots + 2, &hi) || hi < lo)
            return snprintf(err, cap, "not a range A..B with A <= B: '%s'", item), false;
    }
    if (lo < 2)
        return snprintf(err, cap,
                        "F must be at least 2 (the pages of an access crossing a "
                        "page boundary are held together): '%s'",
                        item),
               false;
    for (uint64_t f = lo; f <= hi; f++) {
        if (*n == PAGING_MAX_FRAMES)
            return snprintf(err, cap, "at most %d frame counts", PAGING_MAX_FRAMES), false;
        out[(*n)++] = (uint32_t)f;
    }
    return true;
}

bool paging_parse_frames(const char *s, uint32_t *out, size_t *n, char *err, size_t cap)
{
    char buf[1024], *save;
    *n = 0;
    if (strlen(s) >= sizeof buf)
        return snprintf(err, cap, "--frames list too long"), false;
    strcpy(buf, s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!add_frames(t, out, n, err, cap))
            return false;
    if (*n == 0)
        snprintf(err, cap, "--frames wants a list");
    return *n > 0;
}

/* 2, 4, 8, ... from the widest access up to the distinct pages. */
static void default_frames(struct paging_opts *o, const struct paging_refs *r)
{
    uint32_t f = r->widest > 2 ? r->widest : 2;
    o->n_frames = 0;
    for (;;) {
        o->frames[o->n_frames++] = f;
        if (f >= r->n_pages || f >= PAGING_FRAMES_LIMIT / 2 || o->n_frames == 40)
            break;
        f *= 2;
    }
}

/* --- options --- */

static int synth_option(int c, struct synth_options *s)
{
    uint64_t v = 0;
    bool ok = true;
    switch (c) {
    case O_ACCESSES: ok = opt_parse_u64(optarg, &s->accesses); break;
    case O_FOOTPRINT: ok = opt_parse_bytes(optarg, &s->footprint); break;
    case O_SIZE:
        ok = opt_parse_u64(optarg, &v) && v >= 1 && v <= 64;
        s->size = (uint32_t)v;
        break;
    case O_STRIDE: ok = opt_parse_bytes(optarg, &s->stride); break;
    case O_THETA: ok = opt_parse_double(optarg, &s->theta); break;
    case O_WRITES: ok = opt_parse_double(optarg, &s->writes); break;
    case O_NOFETCH: s->fetch = false; break;
    case O_SEED: ok = opt_parse_u64(optarg, &s->seed); break;
    default: return -2;
    }
    return ok ? 0 : bad("bad value for a synthetic-trace option", optarg);
}

static int option(int c, struct paging_opts *o)
{
    char err[200];
    switch (c) {
    case O_FRAMES:
        return paging_parse_frames(optarg, o->frames, &o->n_frames, err, sizeof err)
                   ? 0
                   : bad("--frames", err);
    case 'p': return add_policy(o, optarg, err, sizeof err) ? 0 : bad("-p", err);
    case O_PAGE:
        return opt_parse_page_size(optarg, &o->page_shift) ? 0
                                                           : bad("--page-size is 4k or 4m", optarg);
    case O_CSV: o->csv = true; return 0;
    case O_PLOT: o->plot = optarg; return 0;
    case O_DIRECT: o->direct = true; return 0;
    case O_SKIP: o->skip_bad = true; return 0;
    case O_SYNTH:
        o->use_synth = true;
        return synth_pattern_parse(optarg, &o->synth.pattern)
                   ? 0
                   : bad("--synth is seq, stride, uniform or zipf", optarg);
    case 'h': fputs(paging_usage, stdout); return -1;
    default: {
        int rc = synth_option(c, &o->synth);
        if (rc != -2)
            return rc;
        fputs(paging_usage, stderr);
        return 2;
    }
    }
}

/* The file name less its extension (and less .gz first). */
static void trace_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(out, cap, "%s", strcmp(path, "-") == 0 ? "stdin" : base);
    size_t len = strlen(out);
    if (len > 3 && strcmp(out + len - 3, ".gz") == 0)
        out[len - 3] = 0;
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

static int parse_args(int argc, char **argv, struct paging_opts *o)
{
    static const struct option longopts[] = {{"frames", required_argument, NULL, O_FRAMES},
                                             {"policy", required_argument, NULL, 'p'},
                                             {"page-size", required_argument, NULL, O_PAGE},
                                             {"csv", no_argument, NULL, O_CSV},
                                             {"plot", required_argument, NULL, O_PLOT},
                                             {"direct", no_argument, NULL, O_DIRECT},
                                             {"skip-bad", no_argument, NULL, O_SKIP},
                                             {"synth", required_argument, NULL, O_SYNTH},
                                             {"accesses", required_argument, NULL, O_ACCESSES},
                                             {"footprint", required_argument, NULL, O_FOOTPRINT},
                                             {"size", required_argument, NULL, O_SIZE},
                                             {"stride", required_argument, NULL, O_STRIDE},
                                             {"theta", required_argument, NULL, O_THETA},
                                             {"writes", required_argument, NULL, O_WRITES},
                                             {"no-fetch", no_argument, NULL, O_NOFETCH},
                                             {"seed", required_argument, NULL, O_SEED},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->page_shift = 12;
    synth_options_default(&o->synth);
    optind = 1;
    while ((c = getopt_long(argc, argv, "hp:", longopts, NULL)) != -1) {
        int rc = option(c, o);
        if (rc)
            return rc;
    }
    if (o->n_policy == 0)
        add_policy(o, "all", NULL, 0);
    if (o->use_synth) {
        if (optind != argc)
            return bad("--synth takes no trace file", argv[optind]);
        snprintf(o->name, sizeof o->name, "synth-%s",
                 (const char *[]){"seq", "stride", "uniform", "zipf"}[o->synth.pattern]);
        return 0;
    }
    if (optind != argc - 1)
        return bad("expected one trace file (or - for standard input)",
                   optind < argc ? argv[optind] : "");
    o->path = argv[optind];
    trace_name(o->path, o->name, sizeof o->name);
    return 0;
}

/* --- the run --- */

static int check_frames(const struct paging_opts *o, const struct paging_refs *r)
{
    for (size_t i = 0; i < o->n_frames; i++) {
        if (o->frames[i] < r->widest) {
            fprintf(stderr,
                    "vmsim paging: %s: record %llu is an access covering %u pages, so "
                    "every F must be at least %u (its pages are held together), and --frames "
                    "has %u\n",
                    o->use_synth ? o->name : o->path, (unsigned long long)r->widest_record,
                    r->widest, r->widest, o->frames[i]);
            return 2;
        }
    }
    return 0;
}

static bool needs_fixed(const struct paging_opts *o)
{
    for (size_t i = 0; i < o->n_policy; i++)
        if (o->policy[i].kind != PAGING_WS)
            return true;
    return false;
}

static size_t count_rows(const struct paging_opts *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_policy; i++)
        n += o->policy[i].kind == PAGING_WS ? o->policy[i].n_tau : o->n_frames;
    return n;
}

/* The rows of one fixed-F policy: rows[0 .. n_frames). */
static int fixed_rows(const struct paging_opts *o, struct paging_refs *r,
                      const struct paging_policy *p, struct paging_row *rows)
{
    struct paging_result *res = calloc(o->n_frames, sizeof *res);
    bool *exact = calloc(o->n_frames, sizeof *exact);
    bool one_pass = !o->direct && (p->kind == PAGING_LRU || p->kind == PAGING_OPT);
    int rc = res && exact && (p->kind != PAGING_OPT || !paging_refs_next(r)) ? 0 : -1;
    for (size_t i = 0; !rc && i < o->n_frames; i++)
        exact[i] = one_pass;
    if (!rc && one_pass && p->kind == PAGING_LRU)
        rc = paging_lru_curve(r, o->frames, o->n_frames, res);
    else if (!rc && one_pass)
        rc = paging_opt_curve(r, o->frames, o->n_frames, res, exact);
    for (size_t i = 0; !rc && i < o->n_frames; i++) {
        rows[i] = (struct paging_row){p, o->frames[i], 0, exact[i], res[i]};
        if (!exact[i])
            rc = paging_simulate(r, p, o->frames[i], &rows[i].r);
    }
    free(res);
    free(exact);
    return rc;
}

static int ws_rows(struct paging_refs *r, const struct paging_policy *p, struct paging_row *rows)
{
    for (size_t i = 0; i < p->n_tau; i++) {
        rows[i] = (struct paging_row){p, 0, p->tau[i], false, {0}};
        if (paging_ws(r, p->tau[i], &rows[i].r))
            return -1;
    }
    return 0;
}

static int outputs(const struct paging_opts *o, const struct paging_refs *r,
                   const struct paging_row *rows, size_t n, double decode_s, double sim_s)
{
    if (o->csv)
        paging_write_csv(stdout, o->name, rows, n);
    else
        paging_write_table(stdout, o, r, rows, n, decode_s, sim_s);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "vmsim paging: cannot write the output\n");
        return 1;
    }
    if (!o->plot)
        return 0;
    char title[320];
    snprintf(title, sizeof title, "%s: page faults per reference, %s pages", o->name,
             o->page_shift == 22 ? "4 MiB" : "4 KiB");
    int rc = paging_plot(rows, n, o->plot, o->use_synth ? NULL : o->path, title, stderr);
    if (rc == 0 && !o->csv)
        printf("plot: %s\n", o->plot);
    return rc < 0 ? 1 : 0;
}

static int simulate_all(struct paging_opts *o, struct paging_refs *r, double decode_s)
{
    if (o->n_frames == 0)
        default_frames(o, r);
    int rc = needs_fixed(o) ? check_frames(o, r) : 0;
    if (rc)
        return rc;
    size_t n = count_rows(o), k = 0;
    struct paging_row *rows = calloc(n + 1, sizeof *rows);
    double t0 = trace_now();
    rc = rows ? 0 : -1;
    for (size_t i = 0; !rc && i < o->n_policy; i++) {
        const struct paging_policy *p = &o->policy[i];
        rc = p->kind == PAGING_WS ? ws_rows(r, p, rows + k) : fixed_rows(o, r, p, rows + k);
        k += p->kind == PAGING_WS ? p->n_tau : o->n_frames;
    }
    if (rc)
        fprintf(stderr, "vmsim paging: out of memory\n");
    else
        rc = outputs(o, r, rows, n, decode_s, trace_now() - t0);
    free(rows);
    return rc < 0 ? 1 : rc;
}

int paging_main(int argc, char **argv)
{
    struct paging_opts *o = malloc(sizeof *o);
    struct paging_refs r;
    char err[512];
    if (!o)
        return 1;
    int rc = parse_args(argc, argv, o);
    if (rc) {
        free(o);
        return rc < 0 ? 0 : rc;
    }
    struct out_file of;
    if (o->plot && !o->use_synth && out_is_an_input(&of, o->plot, &o->path, 1)) {
        fprintf(stderr, "vmsim paging: --plot: %s\n", of.err);
        free(o);
        return 2;
    }
    double t0 = trace_now();
    rc = o->use_synth ? paging_decode_synth(&o->synth, o->page_shift, &r, err, sizeof err)
                      : paging_decode(o->path, o->page_shift, o->skip_bad, &r, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    else
        rc = simulate_all(o, &r, trace_now() - t0);
    if (r.n_skipped)
        fprintf(stderr, "vmsim paging: skipped %llu malformed lines; the first: %s\n",
                (unsigned long long)r.n_skipped, r.first_skipped);
    paging_refs_free(&r);
    free(o);
    return rc;
}
