/*
 * explain.h - what explain.c (32-bit and PAE accounts, the outcome and
 * the statistics) and explain64.c (IA-32e accounts) share.
 */
#ifndef VMSIM_TOOLS_EXPLAIN_H
#define VMSIM_TOOLS_EXPLAIN_H

#include <stdio.h>

#include "vmsim/vmsim.h"

/* Bits hi..lo inclusive (0 when hi < lo). */
uint64_t explain_bits(unsigned hi, unsigned lo);

/* "        accessed set: OLD -> NEW" when the walk changed the entry. */
void explain_ad_line(FILE *f, const vmsim_walk_step_t *s);

/* The IA-32e account: the 9/9/9/9/12 (or 9/9/9/9/9/12) split of the
 * linear address with a picture, and one line per entry of the walk. */
void explain64_split(FILE *f, const vmsim_translation_t *t);
void explain64_step(FILE *f, const vmsim_machine_t *m, const vmsim_translation_t *t,
                    const vmsim_walk_step_t *s, bool last);

#endif
