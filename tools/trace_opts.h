/*
 * trace_opts.h - small option parsers shared by the commands.  Numbers
 * are decimal or 0x hexadecimal, as in scenarios (never octal).
 */
#ifndef VMSIM_TOOLS_TRACE_OPTS_H
#define VMSIM_TOOLS_TRACE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "4096", "0x1000", "64K", "256M", "1G" (binary units) -> bytes. */
bool opt_parse_bytes(const char *s, uint64_t *out);

/* "4k" / "4K" / "4096" -> 12, "4m" / "4M" / "4194304" -> 22. */
bool opt_parse_page_size(const char *s, unsigned *shift);

/* A plain unsigned decimal (or 0x hex) number that fits in 64 bits. */
bool opt_parse_u64(const char *s, uint64_t *out);

/* A finite, unsigned fraction or real number ("0.25", "1e-3"). */
bool opt_parse_double(const char *s, double *out);

/* Cut s at each `sep` into fields[] (at most max).  Returns how many,
 * or SIZE_MAX when there are more than max or one is empty. */
size_t opt_split(char *s, char sep, char **fields, size_t max);

#endif
