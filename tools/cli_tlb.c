/* cli_tlb.c - parsing "--dtlb 64,4,lru"-style TLB options: two to four
 * fields, numbers decimal or 0x hexadecimal, nothing else. */
#include "cli_tlb.h"

#include "trace_opts.h"

#include <stdlib.h>
#include <string.h>

/* A decimal or 0x number of 32 bits (trace_opts.h: never octal). */
static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!opt_parse_u64(s, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_tlb(const char *spec, vmsim_tlb_config_t *out, FILE *err, const char *option)
{
    char buf[128];
    char *field[4] = {0};
    size_t n = 0;
    vmsim_tlb_config_t c = vmsim_tlb_config(0, 1, VMSIM_TLB_LRU);
    if (strlen(spec) >= sizeof buf)
        goto bad;
    strcpy(buf, spec);
    n = opt_split(buf, ',', field, 4); /* SIZE_MAX: a fifth or an empty field */
    if (n < 2 || n > 4 || !parse_u32(field[0], &c.entries))
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
        fprintf(err,
                "vmsim: %s %s: impossible geometry (at most 1048576 entries, a multiple of "
                "ways; entries/ways a power of two; PLRU ways a power of two)\n",
                option, spec);
        return false;
    }
    *out = c;
    return true;
bad:
    fprintf(err,
            "vmsim: %s expects ENTRIES,WAYS[,POLICY[,SEED]] (numbers decimal or 0x hex; "
            "WAYS may be 'full'; POLICY lru, fifo, random or plru), not '%.60s%s'\n",
            option, spec, strlen(spec) > 60 ? "..." : "");
    return false;
}
