/*
 * paging_plot.c - the PNG of `vmsim paging --plot`: fault rate (%)
 * against frames, one curve per fixed-F policy (ws has no F).
 *
 * The curves are told apart three ways at once -- colour, dash pattern
 * and point shape -- so they stay distinct in grey print and where they
 * overlap (fifo, clock and eclock often coincide).  Points are joined in
 * order of F, so Belady's anomaly shows as a curve going up.
 *
 * As for `vmsim sweep --plot`: gnuplot draws it when installed, else
 * /usr/bin/python3 with matplotlib; the figures go through a temporary
 * data file, one block per curve separated by two blank lines.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paging_cmd.h"

#define MAX_CURVES 64

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_COLOURS (sizeof colours / sizeof colours[0])

struct curve {
    size_t first, n; /* rows[first .. first + n) */
    char title[80];
};

static size_t find_curves(const struct paging_row *rows, size_t n, struct curve *cv)
{
    size_t k = 0;
    for (size_t i = 0, j; i < n && k < MAX_CURVES; i = j) {
        for (j = i; j < n && rows[j].policy == rows[i].policy; j++)
            ;
        if (rows[i].policy->kind == PAGING_WS)
            continue;
        char params[64];
        paging_params(&rows[i], params, sizeof params);
        cv[k].first = i;
        cv[k].n = j - i;
        snprintf(cv[k].title, sizeof cv[k].title, "%s%s%s", paging_kind_name(rows[i].policy->kind),
                 params[0] ? " " : "", params);
        k++;
    }
    return k;
}

static int by_frames(const void *x, const void *y)
{
    const struct paging_row *a = x, *b = y;
    return (a->frames > b->frames) - (a->frames < b->frames);
}

static int write_data(const struct paging_row *rows, const struct curve *cv, size_t n_cv, FILE *f)
{
    for (size_t i = 0; i < n_cv; i++) {
        struct paging_row *c = malloc(cv[i].n * sizeof *c);
        if (!c)
            return -1;
        memcpy(c, rows + cv[i].first, cv[i].n * sizeof *c);
        qsort(c, cv[i].n, sizeof *c, by_frames);
        for (size_t j = 0; j < cv[i].n; j++)
            fprintf(f, "%u %.6f\n", c[j].frames,
                    c[j].r.references ? 100.0 * (double)c[j].r.faults / (double)c[j].r.references
                                      : 0.0);
        fputs("\n\n", f);
        free(c);
    }
    return ferror(f) ? -1 : 0;
}

/* A log scale when F spans a factor of 16 or more (power-of-two lists). */
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

static void gnuplot_script(FILE *p, const char *data, const char *png, const char *title,
                           const struct curve *cv, size_t n_cv, bool log_x)
{
    fprintf(p,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 960,640 font ',11' dashed\n"
            "} else {\n  set terminal png size 960,640\n}\nset output '%s'\n",
            png);
    fprintf(p, "set title \"%s\" noenhanced\nset grid\nset key top right noenhanced\n", title);
    fprintf(p, "set xlabel 'frames (F)'\nset ylabel 'page faults per reference (%%)'\n");
    fprintf(p, "set yrange [0:*]\n%splot ", log_x ? "set logscale x 2\n" : "");
    for (size_t i = 0; i < n_cv; i++)
        fprintf(p,
                "%s'%s' index %zu using 1:2 with linespoints lw 2 lc rgb '%s' dt %zu pt %zu "
                "ps 1.3 title '%s'",
                i ? ", " : "", data, i, colours[i % N_COLOURS], i % 5 + 1, i % 13 + 1, cv[i].title);
    fputc('\n', p);
}

static void python_script(FILE *p, const char *data, const char *png, const char *title,
                          const struct curve *cv, size_t n_cv, bool log_x)
{
    fprintf(p, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n");
    fprintf(p, "blocks = [b for b in open('%s').read().split('\\n\\n\\n') if b.strip()]\n", data);
    fprintf(p, "titles = [");
    for (size_t i = 0; i < n_cv; i++)
        fprintf(p, "%s'%s'", i ? ", " : "", cv[i].title);
    fprintf(p, "]\ncolours = [");
    for (size_t i = 0; i < N_COLOURS; i++)
        fprintf(p, "%s'%s'", i ? ", " : "", colours[i]);
    fprintf(p,
            "]\ndashes = ['-', '--', '-.', ':', (0, (5, 1, 1, 1, 1, 1))]\n"
            "marks = ['o', 's', '^', 'D', 'v', 'x', '+', 'p', '*', 'h', '<', '>', 'P']\n"
            "plt.figure(figsize=(9.6, 6.4))\n"
            "for i, (b, t) in enumerate(zip(blocks, titles)):\n"
            "    xy = [tuple(map(float, l.split())) for l in b.strip().split('\\n')]\n"
            "    plt.plot([x for x, y in xy], [y for x, y in xy], color=colours[i %% %zu],\n"
            "             linestyle=dashes[i %% 5], marker=marks[i %% 13], lw=2, label=t)\n"
            "%splt.ylim(bottom=0)\nplt.grid(True)\nplt.xlabel('frames (F)')\n"
            "plt.ylabel('page faults per reference (%%)')\nplt.title('''%s''')\n"
            "plt.legend(loc='upper right')\nplt.savefig('%s')\n",
            N_COLOURS, log_x ? "plt.xscale('log', base=2)\n" : "", title, png);
}

static bool have(const char *cmd)
{
    return system(cmd) == 0;
}

int paging_plot(const struct paging_row *rows, size_t n, const char *png, const char *title,
                FILE *err)
{
    if (strpbrk(png, "'\"\\\n")) {
        fprintf(err, "vmsim paging: --plot: give a file name without quotes or backslashes\n");
        return -1;
    }
    char safe[320];
    snprintf(safe, sizeof safe, "%s", title);
    for (char *c = safe; (c = strpbrk(c, "'\"\\\n")) != NULL;)
        *c = '_';
    title = safe;
    bool gp = have("command -v gnuplot >/dev/null 2>&1");
    if (!gp && !have("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1")) {
        fprintf(err, "vmsim paging: --plot: neither gnuplot nor Debian's python3-matplotlib is "
                     "installed (apt-get install gnuplot-nox); the table has the same figures\n");
        return 1;
    }
    struct curve cv[MAX_CURVES];
    size_t n_cv = find_curves(rows, n, cv);
    char data[] = "/tmp/vmsim-paging-XXXXXX";
    int fd = mkstemp(data);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = f ? write_data(rows, cv, n_cv, f) : -1;
    if (f && fclose(f))
        rc = -1;
    FILE *p = rc ? NULL : popen(gp ? "gnuplot" : "/usr/bin/python3 -", "w");
    if (p) {
        (gp ? gnuplot_script : python_script)(p, data, png, title, cv, n_cv, wide_range(rows, n));
        rc = pclose(p) == 0 ? 0 : -1;
    } else {
        rc = -1;
    }
    if (fd >= 0)
        unlink(data);
    if (rc)
        fprintf(err, "vmsim paging: --plot: %s failed to write %s\n", gp ? "gnuplot" : "python3",
                png);
    return rc;
}
