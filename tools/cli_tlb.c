/* cli_tlb.c - parsing "--dtlb 64,4,lru"-style TLB options. */
#include "cli_tlb.h"

#include <stdlib.h>
#include <string.h>

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    unsigned long v = strtoul(s, &end, 0);
    if (*end || v > 0xffffffffUL)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_tlb(const char *spec, vmsim_tlb_config_t *out, FILE *err, const char *option)
{
    char buf[128];
    char *field[4] = {0};
    unsigned n = 0;
    vmsim_tlb_config_t c = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    if (strlen(spec) >= sizeof buf)
        goto bad;
    strcpy(buf, spec);
    char *save = NULL;
    for (char *p = strtok_r(buf, ",", &save); p && n < 4; p = strtok_r(NULL, ",", &save))
        field[n++] = p;
    if (n < 2 || !parse_u32(field[0], &c.entries))
        goto bad;
    if (strcmp(field[1], "full") == 0)
        c.ways = c.entries;
    else if (!parse_u32(field[1], &c.ways))
        goto bad;
    if (n > 2 && vmsim_tlb_policy_parse(field[2], &c.policy) != VMSIM_OK)
        goto bad;
    if (n > 3 && !parse_u32(field[3], &c.seed))
        goto bad;
    if (vmsim_tlb_config_check(&c) != VMSIM_OK) {
        fprintf(err, "vmsim: %s %s: impossible geometry (entries must be a multiple of ways, "
                "entries/ways a power of two, PLRU ways a power of two)\n", option, spec);
        return false;
    }
    *out = c;
    return true;
bad:
    fprintf(err, "vmsim: %s expects ENTRIES,WAYS[,POLICY[,SEED]] (WAYS may be 'full'; "
            "POLICY lru, fifo, random or plru), not '%s'\n", option, spec);
    return false;
}
