/*
 * sweep_plot.c - the PNG of `vmsim sweep --plot`.
 *
 * The rows are written to a temporary data file, one block per curve
 * (blocks separated by two blank lines, gnuplot's "index"), each block
 * "entries hit-rate-percent" lines in increasing size.  A curve is the
 * rows sharing ways (or "fully associative") and policy.  The plotting
 * program is fed a script on its standard input.
 */
#include "sweep_plot.h"

#include "out_file.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int write_data(const struct sweep *s, unsigned side, const struct curve *cv, size_t n_cv,
                      FILE *f)
{
    for (size_t i = 0; i < n_cv; i++) {
        for (size_t r = 0; r < s->n_rows; r++) {
            const struct sweep_row *row = &s->rows[r];
            if (curve_ways(&row->tlb) != cv[i].ways || row->tlb.policy != cv[i].policy)
                continue;
            const struct sweep_counts *c = &row->side[side];
            fprintf(f, "%u %.6f\n", row->tlb.entries,
                    c->lookups ? 100.0 * (double)c->hits / (double)c->lookups : 0.0);
        }
        fputs("\n\n", f);
    }
    return ferror(f) ? -1 : 0;
}

static void gnuplot_script(FILE *p, const char *data, const char *png, const char *title,
                           const struct curve *cv, size_t n_cv, bool many)
{
    fprintf(p, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
               "  set terminal pngcairo size 960,640 font ',11'\n"
               "} else {\n  set terminal png size 960,640\n}\nset output '%s'\n", png);
    fprintf(p, "set title \"%s\" noenhanced\nset logscale x 2\nset grid\n", title);
    fprintf(p, "set xlabel 'TLB entries'\nset ylabel 'hit rate (%%)'\nset key bottom right\n");
    fprintf(p, "plot ");
    for (size_t i = 0; i < n_cv; i++) {
        char t[64];
        curve_title(&cv[i], many, t, sizeof t);
        fprintf(p, "%s'%s' index %zu using 1:2 with linespoints lw 2 title '%s'", i ? ", " : "",
                data, i, t);
    }
    fputc('\n', p);
}

static void python_script(FILE *p, const char *data, const char *png, const char *title,
                          const struct curve *cv, size_t n_cv, bool many)
{
    fprintf(p, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n");
    fprintf(p, "blocks = [b for b in open('%s').read().split('\\n\\n\\n') if b.strip()]\n", data);
    fprintf(p, "titles = [");
    for (size_t i = 0; i < n_cv; i++) {
        char t[64];
        curve_title(&cv[i], many, t, sizeof t);
        fprintf(p, "%s'%s'", i ? ", " : "", t);
    }
    fprintf(p, "]\nplt.figure(figsize=(9.6, 6.4))\n"
               "for b, t in zip(blocks, titles):\n"
               "    xy = [tuple(map(float, l.split())) for l in b.strip().split('\\n')]\n"
               "    plt.plot([x for x, y in xy], [y for x, y in xy], marker='o', label=t)\n"
               "plt.xscale('log', base=2)\nplt.grid(True)\nplt.xlabel('TLB entries')\n"
               "plt.ylabel('hit rate (%%)')\nplt.title(%s%s%s)\nplt.legend(loc='lower right')\n"
               "plt.savefig('%s')\n", "'''", title, "'''", png);
}

static bool have(const char *cmd) { return system(cmd) == 0; }

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

/* The data file, then the plotting program fed a script on its stdin. */
static int draw(const struct sweep *s, unsigned side, const char *png, const char *title, bool gp)
{
    struct curve cv[64];
    size_t n_cv = find_curves(s, cv, 64);
    bool many = false;
    for (size_t i = 1; i < n_cv; i++)
        many |= cv[i].policy != cv[0].policy;
    char data[] = "/tmp/vmsim-sweep-XXXXXX";
    int fd = mkstemp(data);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = f ? write_data(s, side, cv, n_cv, f) : -1;
    if (f && fclose(f))
        rc = -1;
    FILE *p = rc ? NULL : popen(gp ? "gnuplot" : "/usr/bin/python3 -", "w");
    if (p) {
        (gp ? gnuplot_script : python_script)(p, data, png, title, cv, n_cv, many);
        rc = pclose(p) == 0 ? 0 : -1;
    } else {
        rc = -1;
    }
    if (fd >= 0)
        unlink(data);
    return rc;
}

int sweep_plot(const struct sweep *s, unsigned side, const char *png, const char *input,
               const char *title, FILE *err)
{
    if (!script_safe(png)) {
        fprintf(err,
                "vmsim sweep: --plot: the file name may not contain quotes, backslashes or "
                "control characters: '%s'\n",
                png);
        return -1;
    }
    bool gp = have("command -v gnuplot >/dev/null 2>&1");
    if (!gp && !have("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1")) {
        fprintf(err, "vmsim sweep: --plot: neither gnuplot nor Debian's python3-matplotlib is "
                     "installed (apt-get install gnuplot-nox); the CSV has the same figures\n");
        return 1;
    }
    const char *base = strrchr(png, '/') ? strrchr(png, '/') + 1 : png;
    const char *dot = strrchr(base, '.');
    struct out_file of;
    if (out_open(&of, png, &input, 1, dot && strlen(dot) < 16 ? dot : "", 0)) {
        fprintf(err, "vmsim sweep: --plot: %s\n", of.err);
        return -1;
    }
    char safe_title[256];
    sanitize_title(title, safe_title, sizeof safe_title);
    int rc = draw(s, side, of.temp ? of.temp : png, safe_title, gp);
    if (rc) {
        out_discard(&of);
        fprintf(err, "vmsim sweep: --plot: %s failed to write %s\n", gp ? "gnuplot" : "python3",
                png);
    } else if (out_commit(&of)) {
        fprintf(err, "vmsim sweep: --plot: %s\n", of.err);
        rc = -1;
    }
    return rc;
}
