/*
 * paging_plot.c - the PNG of `vmsim paging --plot`: fault rate (%)
 * against frames, one curve per fixed-F policy (ws has no F), drawn by
 * plot.c.
 *
 * Points are joined in increasing F, so Belady's anomaly shows as a
 * curve going up; a list of frame counts spanning a factor of 16 or more
 * (2, 4, 8, ...) gets a log scale.
 */
#include <stdlib.h>
#include <string.h>

#include "paging_cmd.h"
#include "plot.h"

struct curves {
    const struct paging_row *rows;
    size_t first[PLOT_MAX_CURVES], n[PLOT_MAX_CURVES]; /* rows[first .. first + n) */
    char title[PLOT_MAX_CURVES][80];
    size_t n_curves;
};

static void find_curves(const struct paging_row *rows, size_t n, struct curves *c)
{
    c->rows = rows;
    c->n_curves = 0;
    for (size_t i = 0, j; i < n && c->n_curves < PLOT_MAX_CURVES; i = j) {
        for (j = i; j < n && rows[j].policy == rows[i].policy; j++)
            ;
        if (rows[i].policy->kind == PAGING_WS)
            continue;
        char params[64];
        paging_params(&rows[i], params, sizeof params);
        c->first[c->n_curves] = i;
        c->n[c->n_curves] = j - i;
        snprintf(c->title[c->n_curves], sizeof c->title[0], "%s%s%s",
                 paging_kind_name(rows[i].policy->kind), params[0] ? " " : "", params);
        c->n_curves++;
    }
}

static int by_frames(const void *x, const void *y)
{
    const struct paging_row *a = x, *b = y;
    return (a->frames > b->frames) - (a->frames < b->frames);
}

static int write_data(FILE *f, void *ctx)
{
    const struct curves *c = ctx;
    for (size_t i = 0; i < c->n_curves; i++) {
        struct paging_row *sorted = malloc(c->n[i] * sizeof *sorted);
        if (!sorted)
            return -1;
        memcpy(sorted, c->rows + c->first[i], c->n[i] * sizeof *sorted);
        qsort(sorted, c->n[i], sizeof *sorted, by_frames);
        for (size_t j = 0; j < c->n[i]; j++) {
            const struct paging_result *r = &sorted[j].r;
            fprintf(f, "%u %.6f\n", sorted[j].frames,
                    r->references ? 100.0 * (double)r->faults / (double)r->references : 0.0);
        }
        fputs("\n\n", f);
        free(sorted);
    }
    return 0;
}

static bool wide_range(const struct paging_row *rows, size_t n)
{
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].policy->kind == PAGING_WS)
            continue;
        lo = rows[i].frames < lo ? rows[i].frames : lo;
        hi = rows[i].frames > hi ? rows[i].frames : hi;
    }
    return hi >= 16 * (uint64_t)lo;
}

int paging_plot(const struct paging_row *rows, size_t n, const char *png, const char *input,
                const char *title, FILE *err)
{
    struct curves *c = malloc(sizeof *c);
    if (!c)
        return -1;
    find_curves(rows, n, c);
    struct plot p = {.png = png,
                     .input = input,
                     .title = title,
                     .xlabel = "frames (F)",
                     .ylabel = "page faults per reference (%)",
                     .key = "top right",
                     .log_x = wide_range(rows, n),
                     .y_from_zero = true,
                     .n_curves = c->n_curves,
                     .who = "vmsim paging"};
    for (size_t i = 0; i < c->n_curves; i++)
        p.curve_title[i] = c->title[i];
    int rc = plot_draw(&p, write_data, c, err);
    free(c);
    return rc;
}
