/*
 * paging_cmd.h - `vmsim paging`: the command around the model of
 * paging.h (options and the run in paging_cmd.c, the table and CSV in
 * paging_report.c, the PNG in paging_plot.c).
 */
#ifndef VMSIM_TOOLS_PAGING_CMD_H
#define VMSIM_TOOLS_PAGING_CMD_H

#include <stdio.h>

#include "paging.h"

#define PAGING_MAX_FRAMES   4096 /* entries in --frames */
#define PAGING_MAX_POLICIES 64   /* -p options, `all` counting 7 */
#define PAGING_FRAMES_LIMIT (1u << 28)

extern const char paging_usage[];

/* argv[0] is "paging".  Returns the exit status: 0, 2 (bad option or
 * malformed trace), 1 (anything else). */
int paging_main(int argc, char **argv);

struct paging_opts {
    uint32_t frames[PAGING_MAX_FRAMES];
    size_t n_frames; /* 0: the default list, made once the pages are known */
    struct paging_policy policy[PAGING_MAX_POLICIES];
    size_t n_policy;
    unsigned page_shift;
    bool csv, direct, skip_bad, use_synth;
    struct synth_options synth;
    const char *plot, *path;
    char name[256]; /* the trace as the CSV names it */
};

/* One row of output: a (policy, F) or a (ws, tau). */
struct paging_row {
    const struct paging_policy *policy;
    uint32_t frames; /* 0 for ws */
    uint64_t tau;    /* ws only */
    bool one_pass;   /* from the lru / opt stack, not simulated */
    struct paging_result r;
};

/* Parse a --frames list: "2,3,4", "2..16", "2..8,16,32".  Returns
 * true, or false with why in err. */
bool paging_parse_frames(const char *s, uint32_t *out, size_t *n, char *err, size_t cap);

/* The policy's parameters as the CSV prints them ("seed=1", "k=8;t=1000",
 * "tau=N" for a ws row), "" for none. */
void paging_params(const struct paging_row *row, char *buf, size_t cap);

/* Outputs of a finished run. */
void paging_write_csv(FILE *f, const char *name, const struct paging_row *rows, size_t n);
void paging_write_table(FILE *f, const struct paging_opts *o, const struct paging_refs *r,
                        const struct paging_row *rows, size_t n, double decode_s, double sim_s);

/* Plot fault rate against frames, one curve per policy, into png (drawn
 * beside it and renamed over it when complete; png may not be the trace
 * `input`).  Returns 0 when written, 1 when no plotting tool is installed
 * (a message on err), -1 when plotting failed or png was refused. */
int paging_plot(const struct paging_row *rows, size_t n, const char *png, const char *input,
                const char *title, FILE *err);

#endif
