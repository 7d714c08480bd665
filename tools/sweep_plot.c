/*
 * sweep_plot.c - the PNG of `vmsim sweep --plot`.
 *
 * One curve per associativity (and policy): the rows sharing ways (or
 * "fully associative") and policy, as "entries hit-rate-percent" points
 * in increasing size, drawn by plot.c.
 */
#include "sweep_plot.h"

#include "plot.h"

struct curve {
    uint32_t ways;       /* 0 = fully associative */
    vmsim_tlb_policy_t policy;
};

static uint32_t curve_ways(const vmsim_tlb_config_t *c) { return c->ways == c->entries ? 0 : c->ways; }

static size_t find_curves(const struct sweep *s, struct curve *cv, size_t cap)
{
    size_t n = 0;
    for (size_t r = 0; r < s->n_rows; r++) {
        struct curve c = {curve_ways(&s->rows[r].tlb), s->rows[r].tlb.policy};
        size_t i = 0;
        while (i < n && (cv[i].ways != c.ways || cv[i].policy != c.policy))
            i++;
        if (i == n && n < cap)
            cv[n++] = c;
    }
    return n;
}

static void curve_title(const struct curve *c, bool many_policies, char *buf, size_t cap)
{
    const char *p = vmsim_tlb_policy_name(c->policy);
    if (c->ways == 0)
        snprintf(buf, cap, "fully associative%s%s", many_policies ? " " : "", many_policies ? p : "");
    else if (c->ways == 1)
        snprintf(buf, cap, "direct-mapped");
    else
        snprintf(buf, cap, "%u-way%s%s", c->ways, many_policies ? " " : "", many_policies ? p : "");
}

struct plot_data {
    const struct sweep *s;
    unsigned side;
    const struct curve *cv;
    size_t n_cv;
};

static int write_data(FILE *f, void *ctx)
{
    const struct plot_data *d = ctx;
    for (size_t i = 0; i < d->n_cv; i++) {
        for (size_t r = 0; r < d->s->n_rows; r++) {
            const struct sweep_row *row = &d->s->rows[r];
            if (curve_ways(&row->tlb) != d->cv[i].ways || row->tlb.policy != d->cv[i].policy)
                continue;
            const struct sweep_counts *c = &row->side[d->side];
            fprintf(f, "%u %.6f\n", row->tlb.entries,
                    c->lookups ? 100.0 * (double)c->hits / (double)c->lookups : 0.0);
        }
        fputs("\n\n", f);
    }
    return 0;
}

int sweep_plot(const struct sweep *s, unsigned side, const char *png, const char *input,
               const char *title, FILE *err)
{
    struct curve cv[PLOT_MAX_CURVES];
    char names[PLOT_MAX_CURVES][64];
    size_t n_cv = find_curves(s, cv, PLOT_MAX_CURVES);
    bool many = false;
    for (size_t i = 1; i < n_cv; i++)
        many |= cv[i].policy != cv[0].policy;
    struct plot p = {.png = png,
                     .input = input,
                     .title = title,
                     .xlabel = "TLB entries",
                     .ylabel = "hit rate (%)",
                     .key = "bottom right",
                     .log_x = true,
                     .n_curves = n_cv,
                     .who = "vmsim sweep"};
    for (size_t i = 0; i < n_cv; i++) {
        curve_title(&cv[i], many, names[i], sizeof names[i]);
        p.curve_title[i] = names[i];
    }
    struct plot_data d = {s, side, cv, n_cv};
    return plot_draw(&p, write_data, &d, err);
}
