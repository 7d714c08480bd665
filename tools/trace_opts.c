/*
 * trace_opts.c - parsing sizes and numbers for the commands' options.
 *
 * Numbers follow the scenario language's rule: decimal, or hexadecimal
 * after "0x"; a leading 0 is not octal ("010" is ten), and there is no
 * sign, space or other prefix.  A number too big for 64 bits is refused,
 * never wrapped or clamped.
 */
#include "trace_opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int digit_value(char c, unsigned base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The digits at s; returns the first character after them, or NULL when
 * there are none or the value does not fit in 64 bits. */
static const char *parse_digits(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    uint64_t v = 0;
    const char *start = s;
    for (int d; (d = digit_value(*s, base)) >= 0; s++) {
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return NULL;
        v = v * base + (unsigned)d;
    }
    if (s == start)
        return NULL;
    *out = v;
    return s;
}

bool opt_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end = s ? parse_digits(s, &v) : NULL;
    if (!end || *end)
        return false;
    *out = v;
    return true;
}

bool opt_parse_bytes(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end = s ? parse_digits(s, &v) : NULL;
    if (!end)
        return false;
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
    *out = v << shift;
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
    if (!s || !*s || !(*s == '.' || (*s >= '0' && *s <= '9')))
        return false; /* no sign, space, "inf", "nan" */
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

size_t opt_split(char *s, char sep, char **fields, size_t max)
{
    size_t n = 0;
    for (char *p = s;; p++) {
        char *next = strchr(p, sep);
        if (n == max)
            return SIZE_MAX;
        fields[n++] = p;
        if (!next)
            break;
        *next = '\0';
        p = next;
    }
    for (size_t i = 0; i < n; i++)
        if (!*fields[i])
            return SIZE_MAX;
    return n;
}
