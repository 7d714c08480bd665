/*
 * paging_report.c - the table and the CSV of `vmsim paging`.
 *
 * CSV: one row per (policy, F) or (ws, tau), in run order, with the
 * columns of docs/paging.md; figures that are not defined for a row
 * (frames, evictions and write-backs for ws; tau and mean_ws_size for
 * the others) are empty fields.
 *
 * Table: the same figures for a reader, fixed-F policies first, then the
 * working sets, then every case of Belady's anomaly found: a policy that
 * faults more with more frames (fifo on 1 2 3 4 1 2 5 1 2 3 4 5: 9 faults
 * with 3 frames, 10 with 4).  lru and opt cannot show it (stack
 * algorithms), and the table says which of their rows came from the
 * one-pass stack.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "paging_cmd.h"

void paging_params(const struct paging_row *row, char *buf, size_t cap)
{
    const struct paging_policy *p = row->policy;
    if (p->kind == PAGING_RANDOM)
        snprintf(buf, cap, "seed=%" PRIu32, p->seed);
    else if (p->kind == PAGING_AGING)
        snprintf(buf, cap, "k=%u;t=%" PRIu64, p->k, p->t);
    else if (p->kind == PAGING_WS)
        snprintf(buf, cap, "tau=%" PRIu64, row->tau);
    else
        buf[0] = 0;
}

void paging_write_csv(FILE *f, const char *name, const struct paging_row *rows, size_t n)
{
    fputs("trace,policy,params,frames,references,faults,cold,reloads,evictions,writebacks,tau,"
          "mean_ws_size\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const struct paging_row *row = &rows[i];
        const struct paging_result *r = &row->r;
        char params[64];
        paging_params(row, params, sizeof params);
        fprintf(f, "%s,%s,%s,", name, paging_kind_name(row->policy->kind), params);
        if (row->policy->kind == PAGING_WS)
            fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",,,%" PRIu64 ",%.6f\n",
                    r->references, r->faults, r->cold, r->reloads, row->tau, r->mean_ws);
        else
            fprintf(f,
                    "%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",,\n",
                    row->frames, r->references, r->faults, r->cold, r->reloads, r->evictions,
                    r->writebacks);
    }
}

static double rate(const struct paging_result *r)
{
    return r->references ? 100.0 * (double)r->faults / (double)r->references : 0.0;
}

static void header(FILE *f, const struct paging_opts *o, const struct paging_refs *r)
{
    const uint64_t *a = r->n_access;
    fprintf(f, "vmsim paging: %s, %s pages\n", o->use_synth ? o->name : o->path,
            o->page_shift == 22 ? "4 MiB" : "4 KiB");
    fprintf(f,
            "  %" PRIu64 " references (%" PRIu64 " reads, %" PRIu64 " writes) from %" PRIu64
            " accesses (%" PRIu64 " I, %" PRIu64 " L, %" PRIu64 " S, %" PRIu64 " M)\n",
            r->n, r->n - r->n_writes, r->n_writes, a[0] + a[1] + a[2] + a[3], a[0], a[1], a[2],
            a[3]);
    fprintf(f, "  %" PRIu32 " distinct pages; the widest access covers %" PRIu32 " page%s\n\n",
            r->n_pages, r->widest, r->widest == 1 ? "" : "s");
}

static void fixed_table(FILE *f, const struct paging_row *rows, size_t n, bool *any_stack)
{
    fprintf(f, "%-7s %-12s %7s %12s %10s %10s %12s %12s %12s\n", "policy", "params", "frames",
            "faults", "fault rate", "cold", "reloads", "evictions", "writebacks");
    for (size_t i = 0; i < n; i++) {
        const struct paging_row *row = &rows[i];
        const struct paging_result *r = &row->r;
        char params[64];
        if (row->policy->kind == PAGING_WS)
            continue;
        paging_params(row, params, sizeof params);
        fprintf(f,
                "%-6s%s %-12s %7" PRIu32 " %12" PRIu64 " %9.4f%% %10" PRIu64 " %12" PRIu64
                " %12" PRIu64 " %12" PRIu64 "\n",
                paging_kind_name(row->policy->kind), row->one_pass ? "*" : " ", params, row->frames,
                r->faults, rate(r), r->cold, r->reloads, r->evictions, r->writebacks);
        *any_stack |= row->one_pass;
    }
}

static void ws_table(FILE *f, const struct paging_row *rows, size_t n)
{
    fprintf(f,
            "\nworking set (Denning): a page is resident while referenced in the last tau "
            "references\n%-12s %12s %10s %10s %12s %16s\n",
            "tau", "faults", "fault rate", "cold", "reloads", "mean size");
    for (size_t i = 0; i < n; i++) {
        const struct paging_result *r = &rows[i].r;
        if (rows[i].policy->kind == PAGING_WS)
            fprintf(f,
                    "%-12" PRIu64 " %12" PRIu64 " %9.4f%% %10" PRIu64 " %12" PRIu64
                    " %10.3f pages\n",
                    rows[i].tau, r->faults, rate(r), r->cold, r->reloads, r->mean_ws);
    }
}

static int by_frames(const void *x, const void *y)
{
    const struct paging_row *a = *(const struct paging_row *const *)x,
                            *b = *(const struct paging_row *const *)y;
    return (a->frames > b->frames) - (a->frames < b->frames);
}

/* Belady's anomaly in the rows of one policy: with F sorted, each step to
 * a larger F that faults more (the first few of them). */
static void anomalies_of(FILE *f, const struct paging_row *rows, size_t n,
                         const struct paging_row **sorted)
{
    size_t shown = 0, found = 0;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &rows[i];
    qsort(sorted, n, sizeof *sorted, by_frames);
    for (size_t i = 1; i < n; i++) {
        const struct paging_row *a = sorted[i - 1], *b = sorted[i];
        if (b->frames == a->frames || b->r.faults <= a->r.faults)
            continue;
        if (found++ >= 5)
            continue;
        char params[64];
        paging_params(a, params, sizeof params);
        fprintf(f,
                "Belady's anomaly: %s%s%s faults %" PRIu64 " times with %" PRIu32
                " frames, %" PRIu64 " with %" PRIu32 "\n",
                paging_kind_name(a->policy->kind), params[0] ? " " : "", params, b->r.faults,
                b->frames, a->r.faults, a->frames);
        shown++;
    }
    if (found > shown)
        fprintf(f, "  (and %zu more steps up for %s)\n", found - shown,
                paging_kind_name(rows[0].policy->kind));
}

static void anomalies(FILE *f, const struct paging_row *rows, size_t n)
{
    const struct paging_row **sorted = malloc((n + 1) * sizeof *sorted);
    for (size_t i = 0, j; sorted && i < n; i = j) {
        for (j = i; j < n && rows[j].policy == rows[i].policy; j++)
            ;
        if (rows[i].policy->kind != PAGING_WS)
            anomalies_of(f, rows + i, j - i, sorted);
    }
    free(sorted);
}

void paging_write_table(FILE *f, const struct paging_opts *o, const struct paging_refs *r,
                        const struct paging_row *rows, size_t n, double decode_s, double sim_s)
{
    bool any_stack = false, any_ws = false, any_fixed = false;
    for (size_t i = 0; i < n; i++) {
        any_ws |= rows[i].policy->kind == PAGING_WS;
        any_fixed |= rows[i].policy->kind != PAGING_WS;
    }
    header(f, o, r);
    if (any_fixed)
        fixed_table(f, rows, n, &any_stack);
    if (any_stack)
        fprintf(f,
                "  (* every F from one stack pass, Mattson et al. 1970: exact, not estimated)\n");
    if (any_ws)
        ws_table(f, rows, n);
    fputc('\n', f);
    anomalies(f, rows, n);
    fprintf(f, "decoding: %.3f s; %zu rows: %.3f s\n", decode_s, n, sim_s);
}
