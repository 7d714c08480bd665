/*
 * fuzz_util.h - what the libFuzzer targets of tests/fuzz share.
 *
 * FUZZ_CHECK(cond, fmt, ...) states an invariant: when it does not hold
 * the target prints why and aborts, which libFuzzer reports as a crash
 * and saves the input.  (An abort here is the harness's, never the
 * library's: the library itself must never abort.)
 *
 * struct membuf is an open_memstream() stream whose text is read after
 * membuf_close().
 */
#ifndef VMSIM_FUZZ_UTIL_H
#define VMSIM_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct membuf {
    FILE *f;
    char *text;
    size_t len;
};

static inline void membuf_open(struct membuf *b)
{
    b->text = NULL;
    b->len = 0;
    b->f = open_memstream(&b->text, &b->len);
    FUZZ_CHECK(b->f != NULL, "open_memstream failed");
}

static inline void membuf_close(struct membuf *b)
{
    fclose(b->f);
    b->f = NULL;
}

static inline void membuf_free(struct membuf *b)
{
    free(b->text);
    b->text = NULL;
}

/* A little-endian cursor over the fuzzer's bytes: reading past the end
 * gives zeros, so every input is a complete program. */
struct bytes {
    const uint8_t *p;
    size_t n, pos;
};

static inline uint8_t take8(struct bytes *b)
{
    return b->pos < b->n ? b->p[b->pos++] : 0;
}

static inline uint16_t take16(struct bytes *b)
{
    uint16_t v = take8(b);
    return (uint16_t)(v | take8(b) << 8);
}

static inline uint32_t take32(struct bytes *b)
{
    uint32_t v = take16(b);
    return v | (uint32_t)take16(b) << 16;
}

static inline uint64_t take64(struct bytes *b)
{
    uint64_t v = take32(b);
    return v | (uint64_t)take32(b) << 32;
}

static inline bool bytes_left(const struct bytes *b)
{
    return b->pos < b->n;
}

#endif
