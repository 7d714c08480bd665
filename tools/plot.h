/*
 * plot.h - line plots as PNG files, for the commands that draw one
 * (`vmsim sweep --plot`, `vmsim paging --plot`).
 *
 * A plot is a few curves of (x, y) points.  The caller writes the points
 * into a temporary data file, one block per curve ("x y" lines, blocks
 * separated by two blank lines: gnuplot's "index"), and plot_draw() has
 * gnuplot draw it when installed (Debian: gnuplot-nox), else Debian's
 * /usr/bin/python3 with matplotlib (python3-matplotlib).  Every curve
 * gets its own colour, dash pattern and point shape, so that curves stay
 * apart in grey print and where they overlap.  The PNG is drawn into a
 * temporary file beside it and renamed over it only when complete
 * (out_file.h).
 */
#ifndef VMSIM_TOOLS_PLOT_H
#define VMSIM_TOOLS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PLOT_MAX_CURVES 64

struct plot {
    const char *png;   /* output file (no quotes, backslashes or control characters) */
    const char *input; /* the command's input, which png may not be (or NULL) */
    const char *title, *xlabel, *ylabel;
    const char *key;  /* where the legend goes: "bottom right", "top right" */
    bool log_x;       /* x on a log2 scale */
    bool y_from_zero; /* y axis starts at 0 */
    size_t n_curves;
    const char *curve_title[PLOT_MAX_CURVES];
    const char *who; /* "vmsim sweep", for messages */
};

/* Draw `p`: write_data(f, ctx) writes the curves' blocks into f (returns
 * 0, or -1 when writing failed).  Returns 0 when the PNG was written, 1
 * when neither gnuplot nor matplotlib is installed (a message on err),
 * -1 when plotting failed or the PNG's name was refused -- a quote, a
 * backslash or a control character in it, or the input's own name (a
 * message on err). */
int plot_draw(const struct plot *p, int (*write_data)(FILE *f, void *ctx), void *ctx, FILE *err);

#endif
