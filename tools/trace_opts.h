/*
 * trace_opts.h - small option parsers shared by `vmsim trace` and
 * `vmsim sweep`.
 */
#ifndef VMSIM_TOOLS_TRACE_OPTS_H
#define VMSIM_TOOLS_TRACE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* "4096", "64K", "256M", "1G" (binary units) -> bytes. */
bool opt_parse_bytes(const char *s, uint64_t *out);

/* "4k" / "4K" / "4096" -> 12, "4m" / "4M" / "4194304" -> 22. */
bool opt_parse_page_size(const char *s, unsigned *shift);

/* A plain unsigned decimal (or 0x hex) number. */
bool opt_parse_u64(const char *s, uint64_t *out);

/* A fraction or real number. */
bool opt_parse_double(const char *s, double *out);

#endif
