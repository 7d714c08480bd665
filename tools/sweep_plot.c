/*
 * sweep_plot.c - the figure of `vmsim sweep --plot`.
 *
 * The rows are written to a temporary data file, one block per curve
 * (blocks separated by two blank lines, gnuplot's "index"), each block
 * "entries value" lines in increasing size, the value being the chosen
 * metric.  A curve is the rows sharing ways (or "fully associative") and
 * policy.  The plotting program is fed a script on its standard input.
 *
 * Figures are meant for papers: each curve has its own colour (the
 * Okabe-Ito palette, readable by colour-blind readers and in grey), its
 * own dash pattern and its own point shape, so curves that coincide stay
 * distinguishable; the legend sits outside the plotting area, so it never
 * covers data; miss rates use a logarithmic axis, where the differences
 * near a 100 % hit rate show.
 */
#include "sweep_plot.h"

#include "out_file.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
#define N_COLOURS (sizeof colours / sizeof colours[0])

void plot_opts_default(struct plot_opts *p)
{
    memset(p, 0, sizeof *p);
    p->width = 800;
    p->height = 500;
}

bool plot_parse_metric(const char *s, enum plot_metric *out)
{
    static const char *const names[] = {"hit", "miss", "mpki"};
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum plot_metric)i;
            return true;
        }
    return false;
}

/* "png", "svg" or "pdf" from the path's extension; NULL for others. */
static const char *plot_format(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    if (!strcasecmp(dot, ".png"))
        return "png";
    if (!strcasecmp(dot, ".svg"))
        return "svg";
    if (!strcasecmp(dot, ".pdf"))
        return "pdf";
    return NULL;
}

static bool have(const char *cmd)
{
    return system(cmd) == 0;
}

static bool have_gnuplot(void)
{
    return have("command -v gnuplot >/dev/null 2>&1");
}

static bool have_matplotlib(void)
{
    return have("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1");
}

/* Can `path` be written?  Its folder must exist and be writable, and an
 * existing file writable; nothing is created. */
static bool writable(const char *path)
{
    if (access(path, F_OK) == 0)
        return access(path, W_OK) == 0;
    const char *slash = strrchr(path, '/');
    if (!slash)
        return access(".", W_OK) == 0;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return false;
    memcpy(dir, path, n ? n : 1);
    dir[n ? n : 1] = '\0';
    return access(dir, W_OK) == 0;
}

static int no_plotter(FILE *err)
{
    fprintf(err, "vmsim sweep: --plot: neither gnuplot nor Debian's python3-matplotlib is "
                 "installed (apt-get install gnuplot-nox); --csv FILE writes the same figures\n");
    return 1;
}

/* Quotes, backslashes and control characters would end the strings of
 * the plotting script early: a name with one is refused, a title gets
 * '?' instead. */
static bool script_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\'' || *s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
            return false;
    return true;
}

static void sanitize_title(const char *title, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", title);
    for (char *p = buf; *p; p++)
        if (*p == '\'' || *p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '?';
}

/* Why `path` cannot take a plot (NULL when it can): a name the script
 * cannot quote, an unknown extension, a place that cannot be written. */
static const char *bad_name(const char *path)
{
    if (!script_safe(path))
        return "the file name may not contain quotes, backslashes or control characters";
    if (!plot_format(path))
        return "the name must end in .png, .svg or .pdf (the format follows it)";
    if (!writable(path))
        return "cannot write there (no such folder, or no permission)";
    return NULL;
}

int sweep_plot_check(const struct plot_opts *o, FILE *err)
{
    const char *why = bad_name(o->path);
    if (why) {
        fprintf(err, "vmsim sweep: --plot %s: %s\n", o->path, why);
        return 2;
    }
    return have_gnuplot() || have_matplotlib() ? 0 : no_plotter(err);
}

struct curve {
    uint32_t ways; /* 0 = fully associative */
    vmsim_tlb_policy_t policy;
};

static uint32_t curve_ways(const vmsim_tlb_config_t *c)
{
    return c->ways == c->entries ? 0 : c->ways;
}

static size_t find_curves(const struct sweep *s, struct curve *cv, size_t cap)
{
    size_t n = 0;
    for (size_t r = 0; r < s->n_rows; r++) {
        struct curve c = {curve_ways(&s->rows[r].tlb), s->rows[r].tlb.policy};
        size_t i = 0; /* direct-mapped: one curve, whatever the policy (there is no choice) */
        while (i < n && (cv[i].ways != c.ways || (c.ways != 1 && cv[i].policy != c.policy)))
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
        snprintf(buf, cap, "fully associative%s%s", many_policies ? " " : "",
                 many_policies ? p : "");
    else if (c->ways == 1)
        snprintf(buf, cap, "direct-mapped");
    else
        snprintf(buf, cap, "%u-way%s%s", c->ways, many_policies ? " " : "", many_policies ? p : "");
}

static double metric(const struct sweep *s, const struct sweep_counts *c, enum plot_metric m)
{
    if (m == PLOT_MPKI) {
        uint64_t per = s->access[0] ? s->access[0] : c->lookups; /* instructions, else lookups */
        return per ? 1000.0 * (double)c->misses / (double)per : 0.0;
    }
    if (!c->lookups)
        return 0.0;
    return 100.0 * (double)(m == PLOT_HIT ? c->hits : c->misses) / (double)c->lookups;
}

static const char *metric_label(const struct sweep *s, enum plot_metric m)
{
    if (m == PLOT_HIT)
        return "hit rate (%)";
    if (m == PLOT_MISS)
        return "miss rate (%, log scale)";
    return s->access[0] ? "misses per 1000 instructions" : "misses per 1000 lookups";
}

static int write_data(const struct sweep *s, unsigned side, const struct curve *cv, size_t n_cv,
                      enum plot_metric m, FILE *f)
{
    for (size_t i = 0; i < n_cv; i++) {
        for (size_t r = 0; r < s->n_rows; r++) {
            const struct sweep_row *row = &s->rows[r];
            if (curve_ways(&row->tlb) != cv[i].ways || row->tlb.policy != cv[i].policy)
                continue;
            double v = metric(s, &row->side[side], m);
            if (m == PLOT_MISS && v <= 0) /* no point on a log axis: a gap in the curve */
                fprintf(f, "%u nan\n", row->tlb.entries);
            else
                fprintf(f, "%u %.9g\n", row->tlb.entries, v);
        }
        fputs("\n\n", f);
    }
    return ferror(f) ? -1 : 0;
}

struct figure {
    const struct sweep *s;
    const struct plot_opts *o;
    const char *data, *format;
    const struct curve *cv;
    size_t n_cv;
    bool many; /* more than one policy: name it in each curve's title */
};

static void gnuplot_terminal(FILE *p, const struct figure *g)
{
    const struct plot_opts *o = g->o;
    if (!strcmp(g->format, "png"))
        fprintf(p,
                "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "  set terminal pngcairo size %u,%u font ',10'\n"
                "} else {\n  set terminal png size %u,%u\n}\n",
                o->width, o->height, o->width, o->height);
    else if (!strcmp(g->format, "svg"))
        fprintf(p, "set terminal svg size %u,%u font ',10'\n", o->width, o->height);
    else
        fprintf(p, "set terminal pdfcairo size %.2fin,%.2fin font ',9'\n", o->width / 100.0,
                o->height / 100.0);
    fprintf(p, "set output '%s'\n", o->path);
}

static void gnuplot_script(FILE *p, const struct figure *g)
{
    const struct plot_opts *o = g->o;
    gnuplot_terminal(p, g);
    fprintf(p, "set title \"%s\" noenhanced\nset logscale x 2\nset grid\n", o->title);
    fprintf(p, "set xlabel 'TLB entries'\nset ylabel '%s'\n", metric_label(g->s, o->metric));
    fprintf(p, "set key outside right top vertical box opaque noenhanced\n"
               "set datafile missing 'nan'\n");
    if (o->metric == PLOT_MISS)
        fprintf(p, "set logscale y 10\nset format y '%%g'\n");
    if (o->y_lo != o->y_hi)
        fprintf(p, "set yrange [%g:%g]\n", o->y_lo, o->y_hi);
    fprintf(p, "plot ");
    for (size_t i = 0; i < g->n_cv; i++) {
        char t[64];
        curve_title(&g->cv[i], g->many, t, sizeof t);
        fprintf(p,
                "%s'%s' index %zu using 1:2 with linespoints lw 2 lc rgb '%s' dt %zu pt %zu "
                "ps 1.2 title '%s'",
                i ? ", " : "", g->data, i, colours[i % N_COLOURS], i % 5 + 1, i % 13 + 1, t);
    }
    fputc('\n', p);
}

static void python_script(FILE *p, const struct figure *g)
{
    const struct plot_opts *o = g->o;
    fprintf(p, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n");
    fprintf(p, "blocks = open('%s').read().split('\\n\\n\\n')\n", g->data);
    fprintf(p, "titles = [");
    for (size_t i = 0; i < g->n_cv; i++) {
        char t[64];
        curve_title(&g->cv[i], g->many, t, sizeof t);
        fprintf(p, "%s'%s'", i ? ", " : "", t);
    }
    fprintf(p, "]\ncolours = [");
    for (size_t i = 0; i < N_COLOURS; i++)
        fprintf(p, "%s'%s'", i ? ", " : "", colours[i]);
    fprintf(p,
            "]\ndashes = ['-', '--', ':', '-.', (0, (5, 1, 1, 1, 1, 1))]\n"
            "marks = ['o', 's', '^', 'D', 'v', 'x', '+', '*']\n"
            "plt.figure(figsize=(%.2f, %.2f), dpi=100, layout='constrained')\n"
            "xs = set()\n"
            "for i, (b, t) in enumerate(zip(blocks, titles)):\n"
            "    xy = [tuple(map(float, l.split())) for l in b.strip().split('\\n') if l]\n"
            "    xs.update(x for x, y in xy)\n"
            "    plt.plot([x for x, y in xy], [y for x, y in xy], color=colours[i %% 8],\n"
            "             linestyle=dashes[i %% 5], marker=marks[i %% 7], label=t)\n"
            "plt.xscale('log', base=2)\n"
            "plt.xticks(sorted(xs), [str(int(x)) for x in sorted(xs)])\n"
            "plt.grid(True)\nplt.xlabel('TLB entries')\n",
            o->width / 100.0, o->height / 100.0);
    if (o->metric == PLOT_MISS)
        fprintf(p, "plt.yscale('log')\n");
    if (o->y_lo != o->y_hi)
        fprintf(p, "plt.ylim(%g, %g)\n", o->y_lo, o->y_hi);
    fprintf(p,
            "plt.ylabel('%s')\nplt.title(%s%s%s)\n"
            "plt.legend(loc='upper left', bbox_to_anchor=(1.02, 1.0))\n"
            "plt.savefig('%s', format='%s')\n",
            metric_label(g->s, o->metric), "'''", o->title, "'''", o->path, g->format);
}

/* The data file, then the plotting program fed a script on its stdin;
 * g->o->path is where the picture goes (the temporary). */
static int draw(struct figure *g, unsigned side, bool gp)
{
    char data[] = "/tmp/vmsim-sweep-XXXXXX";
    int fd = mkstemp(data);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = f && g->format ? write_data(g->s, side, g->cv, g->n_cv, g->o->metric, f) : -1;
    if (f && fclose(f))
        rc = -1;
    g->data = data;
    FILE *p = rc ? NULL : popen(gp ? "gnuplot" : "/usr/bin/python3 -", "w");
    if (p) {
        (gp ? gnuplot_script : python_script)(p, g);
        rc = pclose(p) == 0 ? 0 : -1;
    } else {
        rc = -1;
    }
    if (fd >= 0)
        unlink(data);
    return rc;
}

int sweep_plot(const struct sweep *s, unsigned side, const struct plot_opts *o, const char *input,
               FILE *err)
{
    const char *why = bad_name(o->path);
    if (why) {
        fprintf(err, "vmsim sweep: --plot %s: %s\n", o->path, why);
        return -1;
    }
    bool gp = have_gnuplot();
    if (!gp && !have_matplotlib())
        return no_plotter(err);
    const char *format = plot_format(o->path);
    struct out_file of;
    if (out_open(&of, o->path, &input, 1, strrchr(o->path, '.'), 0)) {
        fprintf(err, "vmsim sweep: --plot: %s\n", of.err);
        return -1;
    }
    char safe_title[256];
    sanitize_title(o->title ? o->title : "", safe_title, sizeof safe_title);
    struct plot_opts drawn = *o;
    drawn.path = of.temp ? of.temp : o->path;
    drawn.title = safe_title;
    struct curve cv[64];
    struct figure g = {s, &drawn, NULL, format, cv, find_curves(s, cv, 64), false};
    for (size_t i = 1; i < g.n_cv; i++)
        g.many |= cv[i].policy != cv[0].policy;
    int rc = draw(&g, side, gp);
    if (rc) {
        out_discard(&of);
        fprintf(err, "vmsim sweep: --plot: %s failed to write %s\n", gp ? "gnuplot" : "python3",
                o->path);
    } else if (out_commit(&of)) {
        fprintf(err, "vmsim sweep: --plot: %s\n", of.err);
        rc = -1;
    }
    return rc;
}
