/*
 * sweep_plot.h - drawing a sweep: hit rate against TLB size, one curve
 * per associativity (and policy), as a PNG.
 *
 * gnuplot draws it when installed (Debian: gnuplot-nox); otherwise
 * Debian's /usr/bin/python3 with matplotlib (python3-matplotlib).  With
 * neither, sweep_plot() says so and the CSV carries the same figures.
 */
#ifndef VMSIM_TOOLS_SWEEP_PLOT_H
#define VMSIM_TOOLS_SWEEP_PLOT_H

#include <stdio.h>

#include "sweep.h"

/* Plot the hit rates of `side` of every row of `s` into `png`, titled
 * `title`.  The picture is drawn into a temporary file renamed over
 * `png` on success; `png` may not be the trace `input` (out_file.h).
 * Returns 0 when the PNG was written, 1 when no plotting tool is
 * installed (a message on err), -1 when plotting failed or `png` was
 * refused (a message on err). */
int sweep_plot(const struct sweep *s, unsigned side, const char *png, const char *input,
               const char *title, FILE *err);

#endif
