/* trace_opts.c - parsing sizes and numbers for the trace commands. */
#include "trace_opts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool opt_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

bool opt_parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    if (shift)
        end++;
    if (*end == 'i' && shift)
        end++;
    if ((*end == 'b' || *end == 'B') && shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

bool opt_parse_page_size(const char *s, unsigned *shift)
{
    uint64_t bytes;
    if (!opt_parse_bytes(s, &bytes))
        return false;
    if (bytes == 4096)
        *shift = 12;
    else if (bytes == 4u << 20)
        *shift = 22;
    else
        return false;
    return true;
}

bool opt_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    double v = strtod(s, &end);
    if (*end)
        return false;
    *out = v;
    return true;
}
