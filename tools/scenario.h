/*
 * scenario.h - running scenario files (docs/scenario-language.md).
 *
 * The parser and executor live apart from main() so the test suites can
 * drive them with in-memory streams.
 */
#ifndef VMSIM_TOOLS_SCENARIO_H
#define VMSIM_TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>

#include "vmsim/vmsim.h"

struct scenario_options {
    vmsim_config_t config;   /* TLB geometry etc.; ram_bytes and maxphyaddr come from the file */
    FILE *explain;           /* where --explain writes its account, or NULL */
    FILE *stats;             /* where --stats writes the counters at the end, or NULL */
};

void scenario_options_default(struct scenario_options *opt);

/* Run the scenario read from `in`, whose name in messages is `name`.
 * Results go to `out`, "NAME:LINE: error: ..." messages to `err`.
 * Returns the process exit status: 0 when the scenario ran to its end,
 * 2 for a malformed line (results already printed stay printed), 1 when
 * the host failed (out of memory, read error). */
int scenario_run(FILE *in, const char *name, FILE *out, FILE *err,
                 const struct scenario_options *opt);

/* The --explain account of one translation (explain.c). */
void explain_translation(FILE *f, const vmsim_machine_t *m, const vmsim_translation_t *t);
void explain_stats(FILE *f, const vmsim_machine_t *m);

#endif
