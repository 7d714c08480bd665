/*
 * trace_io.h - reading a trace file, plain or gzip-compressed, from a
 * path or from standard input.
 *
 * A trace can be gigabytes long, so it is never read whole: the readers
 * (lackey.c, btrace.c) pull bytes through tin_read() into buffers of
 * their own.  The first bytes decide the encoding: 1f 8b is gzip, which
 * zlib inflates (several concatenated members are one stream, as gzip(1)
 * writes them); anything else is passed through untouched, read() going
 * straight into the caller's buffer.
 *
 * A gzip stream that stops before its end marker is an error, never a
 * short trace: the last member must end with Z_STREAM_END.
 */
#ifndef VMSIM_TOOLS_TRACE_IO_H
#define VMSIM_TOOLS_TRACE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define TIN_PEEK 16

struct trace_input {
    int fd;
    bool own_fd;          /* opened by tin_open (closed by tin_close) */
    bool gzip;            /* the bytes are gzip data */
    bool eof;             /* no more bytes will come */
    bool in_member;       /* gzip: inside a member, its end marker not seen yet */
    bool regular;         /* a regular file (tin_rewind can restart it, even when empty) */
    const char *name;     /* for messages: the path, or "<stdin>" */
    uint8_t peek[TIN_PEEK];
    size_t n_peek, peek_pos; /* plain data sniffed but not yet handed out */
    z_stream z;
    bool z_ready;
    uint8_t *zbuf;        /* compressed bytes read ahead */
    uint64_t bytes_read;  /* bytes taken from the file (compressed bytes for gzip) */
    uint64_t file_size;   /* size of a regular file, else 0 */
    char err[256];        /* the last error, a sentence naming the file */
    bool malformed;       /* ... and it is bad data (corrupt or truncated gzip), not an
                             I/O failure: "NAME: error: ...", exit status 2 */
};

/* Open `path` ("-" means standard input).  Returns 0, or -1 with
 * in->err set (the file cannot be opened or read). */
int tin_open(struct trace_input *in, const char *path);

/* Use an open descriptor (not closed by tin_close). */
int tin_open_fd(struct trace_input *in, int fd, const char *name);

/* Read up to `len` bytes of trace data.  Returns the count (> 0), 0 at
 * the end of the data, or -1 with in->err set: a read error, corrupt or
 * truncated gzip data, garbage after the last gzip member. */
long tin_read(struct trace_input *in, void *buf, size_t len);

/* Start again from the first byte (regular files only; -1 with in->err
 * otherwise). */
int tin_rewind(struct trace_input *in);

/* Is the input a regular file that tin_rewind() can restart? */
bool tin_seekable(const struct trace_input *in);

/* Look at the first `len` (<= TIN_PEEK) bytes without consuming them:
 * copies what there is and returns how many (fewer at a short input). */
size_t tin_peek(struct trace_input *in, void *buf, size_t len);

void tin_close(struct trace_input *in);

#endif
