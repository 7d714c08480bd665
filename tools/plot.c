/*
 * plot.c - plot_draw(): the data file, and a script for gnuplot or
 * matplotlib fed to the program on its standard input.
 *
 * Names that go into a script (titles, the PNG's path) are quoted with
 * single quotes; a quote, backslash or control character in a title
 * becomes '?', and a PNG path holding one is refused, so no name can end
 * a string of the script early.
 */
#include "plot.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out_file.h"

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_COLOURS (sizeof colours / sizeof colours[0])

static bool bad_char(char c)
{
    return c == '\'' || c == '"' || c == '\\' || (unsigned char)c < 0x20;
}

/* s with quotes, backslashes and control characters made '?' (a static
 * buffer, one of 4). */
static const char *safe(const char *s)
{
    static char buf[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s", s ? s : "");
    for (char *c = buf[i]; *c; c++)
        if (bad_char(*c))
            *c = '?';
    return buf[i];
}

static bool script_safe(const char *s)
{
    for (; *s; s++)
        if (bad_char(*s))
            return false;
    return true;
}

static void gnuplot_script(FILE *f, const struct plot *p, const char *data)
{
    fprintf(f,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 960,640 font ',11' dashed\n"
            "} else {\n  set terminal png size 960,640\n}\nset output '%s'\n",
            p->png);
    fprintf(f, "set title '%s' noenhanced\nset grid\nset key %s noenhanced\n", safe(p->title),
            p->key);
    fprintf(f, "set xlabel '%s'\nset ylabel '%s'\n", safe(p->xlabel), safe(p->ylabel));
    fprintf(f, "%s%splot ", p->log_x ? "set logscale x 2\n" : "",
            p->y_from_zero ? "set yrange [0:*]\n" : "");
    for (size_t i = 0; i < p->n_curves; i++)
        fprintf(f,
                "%s'%s' index %zu using 1:2 with linespoints lw 2 lc rgb '%s' dt %zu pt %zu "
                "ps 1.3 title '%s'",
                i ? ", " : "", data, i, colours[i % N_COLOURS], i % 5 + 1, i % 13 + 1,
                safe(p->curve_title[i]));
    fputc('\n', f);
}

static void python_script(FILE *f, const struct plot *p, const char *data)
{
    fprintf(f, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n");
    fprintf(f, "blocks = [b for b in open('%s').read().split('\\n\\n\\n') if b.strip()]\n", data);
    fprintf(f, "titles = [");
    for (size_t i = 0; i < p->n_curves; i++)
        fprintf(f, "%s'%s'", i ? ", " : "", safe(p->curve_title[i]));
    fprintf(f, "]\ncolours = [");
    for (size_t i = 0; i < N_COLOURS; i++)
        fprintf(f, "%s'%s'", i ? ", " : "", colours[i]);
    fprintf(f,
            "]\ndashes = ['-', '--', '-.', ':', (0, (5, 1, 1, 1, 1, 1))]\n"
            "marks = ['o', 's', '^', 'D', 'v', 'x', '+', 'p', '*', 'h', '<', '>', 'P']\n"
            "plt.figure(figsize=(9.6, 6.4))\n"
            "for i, (b, t) in enumerate(zip(blocks, titles)):\n"
            "    xy = [tuple(map(float, l.split())) for l in b.strip().split('\\n')]\n"
            "    plt.plot([x for x, y in xy], [y for x, y in xy], color=colours[i %% %zu],\n"
            "             linestyle=dashes[i %% 5], marker=marks[i %% 13], lw=2, label=t)\n",
            N_COLOURS);
    fprintf(f, "%s%splt.grid(True)\nplt.xlabel('%s')\nplt.ylabel('%s')\nplt.title('%s')\n",
            p->log_x ? "plt.xscale('log', base=2)\n" : "",
            p->y_from_zero ? "plt.ylim(bottom=0)\n" : "", safe(p->xlabel), safe(p->ylabel),
            safe(p->title));
    /* gnuplot's "top right" is matplotlib's "upper right" */
    fprintf(f,
            "plt.legend(loc='%s'.replace('top', 'upper').replace('bottom', 'lower'))\n"
            "plt.savefig('%s')\n",
            safe(p->key), p->png);
}

static bool have(const char *cmd)
{
    return system(cmd) == 0;
}

/* The data file, then the plotting program fed a script on its stdin,
 * drawing into `png`. */
static int draw(const struct plot *p, const char *png, bool gp,
                int (*write_data)(FILE *f, void *ctx), void *ctx)
{
    char data[] = "/tmp/vmsim-plot-XXXXXX";
    int fd = mkstemp(data);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f && fd >= 0)
        close(fd);
    int rc = f ? write_data(f, ctx) : -1;
    if (f && (ferror(f) | fclose(f)))
        rc = -1;
    FILE *prog = rc ? NULL : popen(gp ? "gnuplot" : "/usr/bin/python3 -", "w");
    if (prog) {
        struct plot q = *p;
        q.png = png;
        (gp ? gnuplot_script : python_script)(prog, &q, data);
        rc = pclose(prog) == 0 ? 0 : -1;
    } else {
        rc = -1;
    }
    if (fd >= 0)
        unlink(data);
    return rc;
}

int plot_draw(const struct plot *p, int (*write_data)(FILE *f, void *ctx), void *ctx, FILE *err)
{
    if (!script_safe(p->png)) {
        fprintf(err,
                "%s: --plot: the file name may not contain quotes, backslashes or control "
                "characters: '%s'\n",
                p->who, safe(p->png));
        return -1;
    }
    bool gp = have("command -v gnuplot >/dev/null 2>&1");
    if (!gp && !have("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1")) {
        fprintf(err,
                "%s: --plot: neither gnuplot nor Debian's python3-matplotlib is installed "
                "(apt-get install gnuplot-nox); the table and the CSV have the same figures\n",
                p->who);
        return 1;
    }
    const char *base = strrchr(p->png, '/') ? strrchr(p->png, '/') + 1 : p->png;
    const char *dot = strrchr(base, '.');
    struct out_file of;
    if (out_open(&of, p->png, &p->input, p->input ? 1 : 0, dot && strlen(dot) < 16 ? dot : "", 0)) {
        fprintf(err, "%s: --plot: %s\n", p->who, of.err);
        return -1;
    }
    int rc = draw(p, of.temp ? of.temp : p->png, gp, write_data, ctx);
    if (rc) {
        out_discard(&of);
        fprintf(err, "%s: --plot: %s failed to write %s\n", p->who, gp ? "gnuplot" : "python3",
                p->png);
    } else if (out_commit(&of)) {
        fprintf(err, "%s: --plot: %s\n", p->who, of.err);
        rc = -1;
    }
    return rc;
}
