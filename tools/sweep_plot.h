/*
 * sweep_plot.h - drawing a sweep: one metric (hit rate, miss rate, misses
 * per thousand instructions) against TLB size, one curve per
 * associativity (and policy), as PNG, SVG or PDF by the file's extension.
 *
 * gnuplot draws it when installed (Debian: gnuplot-nox); otherwise
 * Debian's /usr/bin/python3 with matplotlib (python3-matplotlib).  With
 * neither, sweep_plot() says so and the CSV carries the same figures.
 */
#ifndef VMSIM_TOOLS_SWEEP_PLOT_H
#define VMSIM_TOOLS_SWEEP_PLOT_H

#include <stdbool.h>
#include <stdio.h>

#include "sweep.h"

enum plot_metric { PLOT_HIT, PLOT_MISS, PLOT_MPKI };

struct plot_opts {
    const char *path;  /* FILE.png, .svg or .pdf */
    const char *title; /* NULL: the caller's default */
    enum plot_metric metric;
    unsigned width, height; /* pixels (PDF and SVG: at 100 per inch) */
    double y_lo, y_hi;      /* y range; y_lo == y_hi: automatic */
};

/* The defaults: hit rate, 800 x 500, automatic range. */
void plot_opts_default(struct plot_opts *p);

/* Parse "hit", "miss" or "mpki"; false for anything else. */
bool plot_parse_metric(const char *s, enum plot_metric *out);

/* Check before any work that o->path can be drawn: a known extension,
 * no quote, backslash or control character in the name, a writable
 * place, a plotting program.  Returns 0, or 2 (bad name or place) or 1
 * (no plotter), with a message on err. */
int sweep_plot_check(const struct plot_opts *o, FILE *err);

/* Plot `side` of every row of `s` as o says.  The picture is drawn into
 * a temporary file renamed over o->path on success; o->path may not be
 * the trace `input` (out_file.h).  A title's quotes, backslashes and
 * control characters become '?'.  Returns 0 when the file was written,
 * 1 when no plotting tool is installed (a message on err), -1 when
 * plotting failed or the name was refused (a message on err). */
int sweep_plot(const struct sweep *s, unsigned side, const struct plot_opts *o, const char *input,
               FILE *err);

#endif
