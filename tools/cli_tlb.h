/*
 * cli_tlb.h - TLB options shared by the vmsim subcommands.
 */
#ifndef VMSIM_TOOLS_CLI_TLB_H
#define VMSIM_TOOLS_CLI_TLB_H

#include <stdio.h>

#include "vmsim/vmsim.h"

/* Parse "ENTRIES,WAYS[,POLICY[,SEED]]" (ways may be "full") into *out.
 * Writes a message to err and returns false on a bad spec. */
bool cli_parse_tlb(const char *spec, vmsim_tlb_config_t *out, FILE *err, const char *option);

#endif
