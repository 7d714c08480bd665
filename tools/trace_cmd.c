/*
 * trace_cmd.c - `vmsim trace`, `vmsim trace convert`, `vmsim trace synth`.
 *
 * Argument parsing and output only; the work is in trace_run.c (replay),
 * trace_reader.c + btrace.c (convert) and synth.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btrace.h"
#include "cli_tlb.h"
#include "out_file.h"
#include "synth.h"
#include "trace_cmd.h"
#include "trace_opts.h"
#include "trace_reader.h"
#include "trace_run.h"

const char trace_usage[] =
    "usage: vmsim trace [OPTIONS] FILE|-\n"
    "       vmsim trace convert [--skip-bad] FILE|- -o OUT.vbt\n"
    "       vmsim trace synth PATTERN [OPTIONS] -o OUT\n"
    "\n"
    "Replay a memory trace through a simulated process: its address space is made\n"
    "of the 4 MiB regions the trace touches (docs/trace-format.md, 'Folding'), its\n"
    "pages come by demand paging, and every access goes through the MMU and the\n"
    "TLBs; instruction fetches use the instruction TLB.  Counting follows\n"
    "docs/tlb-counting.md.  FILE is Valgrind lackey output (valgrind --tool=lackey\n"
    "--trace-mem=yes), plain or gzip, or a binary trace from `vmsim trace convert`\n"
    "(much faster to replay).\n"
    "\n"
    "options:\n"
    "  --dtlb E,W[,POLICY]  data TLB: E entries, W ways ('full'), policy lru|fifo|random|plru\n"
    "                       (default 64,4,lru); the unified TLB with --unified\n"
    "  --itlb E,W[,POLICY]  instruction TLB (default 64,4,lru)\n"
    "  --unified            one TLB (the --dtlb one) for fetches and data\n"
    "  --page-size 4k|4m    map the trace's regions with 4 KiB pages (default) or\n"
    "                       4 MiB pages (PSE)\n"
    "  --ram SIZE           simulated RAM, e.g. 256M, 2G (default 1G; host memory is\n"
    "                       used only as pages are touched)\n"
    "  --populate           map every page of every region before the replay, then\n"
    "                       flush the TLBs and zero the statistics: TLB figures of the\n"
    "                       trace alone, comparable with any simulator following the spec\n"
    "  --json, --csv        machine-readable output instead of the table\n"
    "  --skip-bad           skip malformed lines and count them, instead of stopping\n"
    "  -h, --help           this text\n"
    "\n"
    "convert: write a binary trace (docs/trace-format.md); -o must be a regular file.\n"
    "synth:   write a synthetic trace; PATTERN is seq, stride, uniform or zipf;\n"
    "         --accesses N (10000000), --footprint SIZE (64M), --size BYTES (8),\n"
    "         --stride BYTES (4096), --theta T (0.99, zipf), --writes FRACTION (0),\n"
    "         --no-fetch (no instruction fetches), --seed N (1), --text (lackey text\n"
    "         instead of binary).\n"
    "\n"
    "exit status: 0 done, 2 malformed input (FILE:LINE: error: ... on standard error)\n"
    "or a bad option, 1 anything else (cannot open, the footprint does not fit in\n"
    "3 GiB of user space, simulated RAM full, ...).\n";

enum {
    OPT_DTLB = 256, OPT_ITLB, OPT_UNIFIED, OPT_PAGE, OPT_RAM, OPT_POPULATE, OPT_JSON, OPT_CSV,
    OPT_SKIP, OPT_OUT, OPT_ACCESSES, OPT_FOOTPRINT, OPT_SIZE, OPT_STRIDE, OPT_THETA, OPT_WRITES,
    OPT_NOFETCH, OPT_SEED, OPT_TEXT
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("vmsim trace: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(vmsim trace --help lists the options)\n", stderr);
    return 2;
}

static int replay_option(int c, struct trace_run_options *o, int *format)
{
    vmsim_config_t *mc = &o->replay.machine;
    switch (c) {
    case OPT_DTLB: return cli_parse_tlb(optarg, &mc->dtlb, stderr, "--dtlb") ? 0 : 2;
    case OPT_ITLB: return cli_parse_tlb(optarg, &mc->itlb, stderr, "--itlb") ? 0 : 2;
    case OPT_UNIFIED: mc->split_tlb = false; return 0;
    case OPT_PAGE:
        return opt_parse_page_size(optarg, &o->replay.page_shift)
                   ? 0 : usage_error("--page-size is 4k or 4m, not '%s'", optarg);
    case OPT_RAM:
        if (!opt_parse_bytes(optarg, &mc->ram_bytes) || mc->ram_bytes < (8u << 20) ||
            mc->ram_bytes > VMSIM_RAM_MAX || mc->ram_bytes % 4096)
            return usage_error("--ram wants 8M..4G in whole pages, not '%s'", optarg);
        return 0;
    case OPT_POPULATE: o->replay.populate = true; return 0;
    case OPT_JSON: *format = 'j'; return 0;
    case OPT_CSV: *format = 'c'; return 0;
    case OPT_SKIP: o->skip_bad = true; return 0;
    case 'h': fputs(trace_usage, stdout); return -1;
    default: fputs(trace_usage, stderr); return 2;
    }
}

static int replay_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dtlb", required_argument, NULL, OPT_DTLB}, {"itlb", required_argument, NULL, OPT_ITLB},
        {"unified", no_argument, NULL, OPT_UNIFIED}, {"page-size", required_argument, NULL, OPT_PAGE},
        {"ram", required_argument, NULL, OPT_RAM}, {"populate", no_argument, NULL, OPT_POPULATE},
        {"json", no_argument, NULL, OPT_JSON}, {"csv", no_argument, NULL, OPT_CSV},
        {"skip-bad", no_argument, NULL, OPT_SKIP}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct trace_run_options o = {0};
    struct trace_run_output out;
    int c, format = 't';
    replay_config_default(&o.replay);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = replay_option(c, &o, &format);
        if (rc)
            return rc < 0 ? 0 : rc;
    }
    if (optind != argc - 1)
        return usage_error("expected one trace file (or - for standard input)%s", "");
    o.path = argv[optind];
    o.progress = isatty(STDERR_FILENO) ? stderr : NULL;
    int rc = trace_run(&o, &out, stderr);
    if (rc)
        return rc;
    if (format == 'j')
        trace_report_json(stdout, o.path, &o, &out);
    else if (format == 'c')
        trace_report_csv(stdout, o.path, &o, &out, true);
    else
        trace_report_table(stdout, o.path, &o, &out);
    if (out.skipped && format != 't')
        fprintf(stderr, "vmsim trace: skipped %" PRIu64 " malformed lines; the first: %s\n",
                out.skipped, out.first_skipped);
    return 0;
}

/* --- convert --- */

/* The fold of a binary input's region table; NULL when out of memory
 * or when the table is not one slot per chunk (the reader refuses such
 * a table, so that is a bug). */
static struct fold *fold_of_binary(const struct trace_reader *r)
{
    struct fold *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    fold_init(f);
    for (unsigned i = 0; i < r->br.h.n_regions; i++)
        if (fold_assign(f, r->br.h.chunk[i], r->br.h.slot[i]) != 0) {
            free(f);
            return NULL;
        }
    return f;
}

static int convert_pump(struct trace_reader *r, struct btrace_writer *w)
{
    struct trace_access *batch = malloc(TRACE_BATCH * sizeof *batch);
    size_t n;
    int rc = batch ? 0 : 1;
    while (rc == 0) {
        if ((rc = trace_reader_next(r, batch, TRACE_BATCH, &n)) != 0)
            fprintf(stderr, "%s\n", r->err);
        else if (n == 0)
            break;
        else if (btrace_write(w, batch, n)) {
            fprintf(stderr, "vmsim trace convert: %s\n", w->err);
            rc = 1;
        }
    }
    free(batch);
    return rc;
}

static void convert_summary(const struct trace_reader *r, const struct btrace_writer *w,
                            const char *out, double t0)
{
    const uint64_t *a = w->n_access;
    fprintf(stderr,
            "vmsim trace convert: %s: %" PRIu64 " accesses (%" PRIu64 " I, %" PRIu64 " L, %" PRIu64
            " S, %" PRIu64 " M) in %u regions, %.2f s\n",
            out, a[0] + a[1] + a[2] + a[3], a[0], a[1], a[2], a[3],
            r->binary ? r->br.h.n_regions : r->fold.n_used, trace_now() - t0);
    char first[256];
    uint64_t skipped = trace_reader_skipped(r, first, sizeof first);
    if (skipped)
        fprintf(stderr, "vmsim trace convert: skipped %" PRIu64 " malformed lines; the first: %s\n",
                skipped, first);
}

/* Read the whole input into w; 0, or the exit status with the message printed. */
static int convert_body(struct trace_reader *r, struct btrace_writer *w, const char *out)
{
    double t0 = trace_now();
    int rc = convert_pump(r, w);
    struct fold *bf = r->binary ? fold_of_binary(r) : NULL;
    if (!rc && r->binary && !bf) {
        fprintf(stderr, "vmsim trace convert: out of memory, or a region table that is not one "
                        "slot per chunk\n");
        rc = 1;
    }
    if (rc || btrace_finish(w, r->binary ? bf : &r->fold)) {
        if (!rc)
            fprintf(stderr, "vmsim trace convert: %s\n", w->err);
        btrace_abandon(w);
        rc = rc ? rc : 1;
    } else {
        convert_summary(r, w, out, t0);
    }
    free(bf);
    return rc;
}

/* The output is written to a temporary file and renamed over OUT only
 * when the conversion succeeded (out_file.h). */
static int convert_run(const char *in, const char *out, bool skip_bad)
{
    struct out_file of;
    int rc = out_open(&of, out, &in, 1, "", OUT_SEEKABLE);
    if (rc) {
        fprintf(stderr, "vmsim trace convert: %s\n", of.err);
        return rc;
    }
    struct trace_reader *r = calloc(1, sizeof *r);
    struct btrace_writer w;
    rc = r ? trace_reader_open(r, in, skip_bad) : 1;
    if (rc)
        fprintf(stderr, "%s\n", r ? r->err : "vmsim trace convert: out of memory");
    if (!rc && btrace_create_on(&w, of.f, out)) {
        fprintf(stderr, "vmsim trace convert: %s\n", w.err);
        rc = 1;
    } else if (!rc) {
        rc = convert_body(r, &w, out);
    }
    if (rc)
        out_discard(&of);
    else if ((rc = out_commit(&of)) != 0)
        fprintf(stderr, "vmsim trace convert: %s\n", of.err);
    if (r)
        trace_reader_close(r);
    free(r);
    return rc;
}

static int convert_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"skip-bad", no_argument, NULL, OPT_SKIP},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = NULL;
    bool skip_bad = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (c == OPT_SKIP)
            skip_bad = true;
        else if (c == 'o')
            out = optarg;
        else if (c == 'h') {
            fputs(trace_usage, stdout);
            return 0;
        } else
            return usage_error("convert: unknown option%s", "");
    }
    if (optind != argc - 1 || !out)
        return usage_error("convert needs one input trace and -o OUT%s", "");
    return convert_run(argv[optind], out, skip_bad);
}

/* --- synth --- */

static int synth_option(int c, struct synth_options *o, bool *text, const char **out)
{
    bool ok = true;
    switch (c) {
    case OPT_ACCESSES: ok = opt_parse_u64(optarg, &o->accesses); break;
    case OPT_FOOTPRINT: ok = opt_parse_bytes(optarg, &o->footprint); break;
    case OPT_SIZE: {
        uint64_t v;
        ok = opt_parse_u64(optarg, &v) && v <= 64;
        o->size = (uint32_t)v;
        break;
    }
    case OPT_STRIDE: ok = opt_parse_bytes(optarg, &o->stride); break;
    case OPT_THETA: ok = opt_parse_double(optarg, &o->theta); break;
    case OPT_WRITES: ok = opt_parse_double(optarg, &o->writes); break;
    case OPT_NOFETCH: o->fetch = false; break;
    case OPT_SEED: ok = opt_parse_u64(optarg, &o->seed); break;
    case OPT_TEXT: *text = true; break;
    case 'o': *out = optarg; break;
    case 'h': fputs(trace_usage, stdout); return -1;
    default: return usage_error("synth: unknown option%s", "");
    }
    return ok ? 0 : usage_error("synth: bad value '%s'", optarg);
}

static int synth_write_text(struct synth *s, FILE *f)
{
    struct trace_rec rec[1024];
    size_t n;
    static const char *const fmt[] = {"I  %08" PRIx64 ",%u\n", " L %08" PRIx64 ",%u\n",
                                      " S %08" PRIx64 ",%u\n", " M %08" PRIx64 ",%u\n"};
    while ((n = synth_next(s, rec, 1024)) > 0)
        for (size_t i = 0; i < n; i++)
            fprintf(f, fmt[rec[i].kind], rec[i].addr, rec[i].size);
    return ferror(f) ? 1 : 0;
}

static int synth_write_binary(struct synth *s, FILE *out, const char *name)
{
    struct trace_rec rec[1024];
    struct trace_access items[4096];
    struct fold f;
    struct btrace_writer w;
    size_t n, k;
    fold_init(&f);
    if (btrace_create_on(&w, out, name)) {
        fprintf(stderr, "vmsim trace synth: %s\n", w.err);
        return 1;
    }
    while ((n = synth_next(s, rec, 1024)) > 0) {
        fold_batch(&f, rec, n, items, &k); /* synthetic footprints always fit */
        if (btrace_write(&w, items, k)) {
            btrace_abandon(&w);
            fprintf(stderr, "vmsim trace synth: %s\n", w.err);
            return 1;
        }
    }
    if (btrace_finish(&w, &f)) {
        fprintf(stderr, "vmsim trace synth: %s\n", w.err);
        return 1;
    }
    return 0;
}

/* The output goes to a temporary file renamed over OUT on success. */
static int synth_run(const struct synth_options *o, bool text, const char *out)
{
    char err[160];
    struct synth *s = synth_create(o, err, sizeof err);
    if (!s)
        return usage_error("synth: %s", err);
    struct out_file of;
    int rc = out_open(&of, out, NULL, 0, "", text ? 0 : OUT_SEEKABLE);
    if (rc) {
        fprintf(stderr, "vmsim trace synth: %s\n", of.err);
    } else {
        rc = text ? synth_write_text(s, of.f) : synth_write_binary(s, of.f, out);
        if (rc) {
            if (text)
                fprintf(stderr, "vmsim trace synth: cannot write %s\n", out);
            out_discard(&of);
        } else if ((rc = out_commit(&of)) != 0) {
            fprintf(stderr, "vmsim trace synth: %s\n", of.err);
        }
    }
    synth_destroy(s);
    return rc;
}

static int synth_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"accesses", required_argument, NULL, OPT_ACCESSES},
        {"footprint", required_argument, NULL, OPT_FOOTPRINT},
        {"size", required_argument, NULL, OPT_SIZE}, {"stride", required_argument, NULL, OPT_STRIDE},
        {"theta", required_argument, NULL, OPT_THETA}, {"writes", required_argument, NULL, OPT_WRITES},
        {"no-fetch", no_argument, NULL, OPT_NOFETCH}, {"seed", required_argument, NULL, OPT_SEED},
        {"text", no_argument, NULL, OPT_TEXT}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct synth_options o;
    const char *out = NULL;
    bool text = false;
    int c;
    synth_options_default(&o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        int rc = synth_option(c, &o, &text, &out);
        if (rc)
            return rc < 0 ? 0 : rc;
    }
    if (optind != argc - 1 || !synth_pattern_parse(argv[optind], &o.pattern))
        return usage_error("synth needs one PATTERN: seq, stride, uniform or zipf%s", "");
    if (!out)
        return usage_error("synth needs -o OUT%s", "");
    return synth_run(&o, text, out);
}

int trace_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "convert") == 0)
        return convert_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "synth") == 0)
        return synth_main(argc - 1, argv + 1);
    return replay_main(argc, argv);
}
