/*
 * trace_run.c - driving a replay from a trace file.
 *
 *   open the trace --> boot kernel, enter process --> [--populate: map
 *   every region] --> zero the statistics --> batches: read, replay -->
 *   results
 *
 * The progress line is written at most four times a second, checked
 * once per 256 batches, so it costs nothing measurable.
 */
#include "trace_run.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace_reader.h"

double trace_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t total_accesses(const struct replay *r)
{
    return r->access[0] + r->access[1] + r->access[2] + r->access[3];
}

static void progress(FILE *f, const struct trace_reader *tr, const struct replay *r, double t0,
                     double *last)
{
    double now = trace_now();
    if (now - *last < 0.25)
        return;
    *last = now;
    double n = (double)total_accesses(r), frac = trace_reader_progress(tr);
    fprintf(f, "\rvmsim trace: %.1f M accesses, %.1f M/s", n / 1e6, n / 1e6 / (now - t0));
    if (frac >= 0)
        fprintf(f, ", %.0f%% of the file", frac * 100);
    fflush(f);
}

static int map_all_regions(struct trace_reader *tr, struct replay *r, FILE *err)
{
    uint32_t slot[FOLD_SLOTS];
    unsigned n;
    int rc = trace_reader_regions(tr, slot, &n);
    if (rc) {
        fprintf(err, "%s%s\n", rc == 1 ? "vmsim trace: " : "", tr->err);
        return rc;
    }
    for (unsigned i = 0; i < n; i++) {
        if (replay_map(r, slot[i])) {
            fprintf(err, "vmsim trace: %s\n", r->err);
            return 1;
        }
    }
    return 0;
}

static int replay_failed(struct trace_reader *tr, struct replay *r, FILE *err)
{
    fprintf(err, "vmsim trace: %s", r->err);
    if (r->fail_vaddr)
        fprintf(err, " (program address 0x%" PRIx64 ")",
                trace_reader_unfold(tr, r->fail_vaddr));
    fputc('\n', err);
    return 1;
}

/* The batch loop.  Returns 0, 1 or 2 like trace_run(). */
static int pump(struct trace_reader *tr, struct replay *r, const struct trace_run_options *opt,
                FILE *err)
{
    struct trace_access *batch = malloc(TRACE_BATCH * sizeof *batch);
    double t0 = trace_now(), last = t0;
    size_t n;
    int rc = batch ? 0 : 1;
    for (unsigned round = 1; rc == 0; round++) {
        if ((rc = trace_reader_next(tr, batch, TRACE_BATCH, &n)) != 0) {
            fprintf(err, "%s\n", tr->err);
            break;
        }
        if (n == 0)
            break;
        if (replay_run(r, batch, n)) {
            rc = replay_failed(tr, r, err);
            break;
        }
        if (opt->progress && round % 256 == 0)
            progress(opt->progress, tr, r, t0, &last);
    }
    if (opt->progress)
        fprintf(opt->progress, "\r\033[K");
    free(batch);
    return rc;
}

static int run_open(const struct trace_run_options *opt, struct trace_reader *tr,
                    struct replay *r, FILE *err)
{
    int rc = trace_reader_open(tr, opt->path, opt->skip_bad);
    /* a file that cannot be opened is named after the command; FILE:LINE as it is */
    if (rc) {
        fprintf(err, "%s%s\n", rc == 1 ? "vmsim trace: " : "", tr->err);
        return rc;
    }
    if (replay_open(r, &opt->replay)) {
        fprintf(err, "vmsim trace: %s\n", r->err);
        return 1;
    }
    return opt->replay.populate ? map_all_regions(tr, r, err) : 0;
}

int trace_run(const struct trace_run_options *opt, struct trace_run_output *out, FILE *err)
{
    struct trace_reader *tr = calloc(1, sizeof *tr);
    struct replay *r = calloc(1, sizeof *r);
    memset(out, 0, sizeof *out);
    if (!tr || !r) {
        free(tr);
        free(r);
        fprintf(err, "vmsim trace: out of memory\n");
        return 1;
    }
    double t0 = trace_now();
    int rc = run_open(opt, tr, r, err);
    if (rc == 0) {
        replay_begin(r);
        double t1 = trace_now();
        out->setup_seconds = t1 - t0;
        rc = pump(tr, r, opt, err);
        out->seconds = trace_now() - t1;
        replay_results(r, &out->r);
        out->binary = tr->binary;
        out->skipped = trace_reader_skipped(tr, out->first_skipped, sizeof out->first_skipped);
    }
    if (r->m)
        replay_close(r);
    trace_reader_close(tr);
    free(tr);
    free(r);
    return rc;
}
