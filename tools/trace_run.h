/*
 * trace_run.h - `vmsim trace`: read a trace, replay it, report.
 *
 * trace_run() is the whole command minus argument parsing, so the test
 * suites drive it in-process; trace_report_*() print its results as a
 * table, JSON or CSV (trace_report.c).
 */
#ifndef VMSIM_TOOLS_TRACE_RUN_H
#define VMSIM_TOOLS_TRACE_RUN_H

#include <stdio.h>

#include "replay.h"

struct trace_run_options {
    const char *path;          /* trace file, "-" for standard input */
    struct replay_config replay;
    bool skip_bad;             /* count malformed lines instead of stopping */
    FILE *progress;            /* where the progress line goes, or NULL */
};

struct trace_run_output {
    struct replay_results r;
    bool binary;               /* the trace was in the binary format */
    uint64_t skipped;          /* malformed lines skipped (--skip-bad) */
    char first_skipped[256];   /* FILE:LINE: why, of the first one */
    double seconds;            /* reading and replaying, setup excluded */
    double setup_seconds;      /* boot, process, --populate */
};

/* Replay opt->path.  Returns 0, 2 (malformed or truncated input), 1
 * (anything else: cannot open, footprint too large, RAM full, ...),
 * with "vmsim trace: ..." / "FILE:LINE: error: ..." written to err. */
int trace_run(const struct trace_run_options *opt, struct trace_run_output *out, FILE *err);

/* Reports.  `name` is the trace's name as given. */
void trace_report_table(FILE *f, const char *name, const struct trace_run_options *opt,
                        const struct trace_run_output *out);
void trace_report_json(FILE *f, const char *name, const struct trace_run_options *opt,
                       const struct trace_run_output *out);
void trace_report_csv(FILE *f, const char *name, const struct trace_run_options *opt,
                      const struct trace_run_output *out, bool header);

/* Monotonic seconds, for speed figures. */
double trace_now(void);

#endif
