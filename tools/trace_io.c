/*
 * trace_io.c - plain or gzip trace bytes from a file or standard input.
 *
 *   tin_open ---- sniff 2 raw bytes ---- 1f 8b? ---- yes: inflate members
 *                                             \---- no: plain read()
 *
 * The two sniffed bytes (and whatever tin_peek() looked at) wait in
 * `peek` and are handed out first.  Plain reads then go straight into the
 * caller's buffer.  Gzip data is inflated from `zbuf`; when a member ends
 * and more input follows, the next member must start with the gzip magic
 * (gzip(1) concatenates members that way), else the input is refused.
 */
#include "trace_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZBUF_SIZE (256u * 1024)

static int tin_fail(struct trace_input *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int tin_fail(struct trace_input *in, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(in->err, sizeof in->err, "%s: ", in->name);
    va_start(ap, fmt);
    vsnprintf(in->err + n, sizeof in->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Bad data rather than a failure to read: tagged and flagged like any
 * other malformed input. */
static int tin_bad(struct trace_input *in, const char *why)
{
    in->malformed = true;
    return tin_fail(in, "error: %s", why);
}

/* read() that retries on EINTR; -1 with in->err on failure. */
static long raw_read(struct trace_input *in, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = read(in->fd, buf, len);
        if (n >= 0) {
            in->bytes_read += (uint64_t)n;
            return (long)n;
        }
        if (errno != EINTR)
            return tin_fail(in, "cannot read: %s", strerror(errno));
    }
}

/* Read up to `len` raw bytes, insisting until `len` or the end. */
static long raw_read_full(struct trace_input *in, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        long n = raw_read(in, buf + got, len - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

static int start_gzip(struct trace_input *in, const uint8_t *magic, size_t n)
{
    in->zbuf = malloc(ZBUF_SIZE);
    if (!in->zbuf)
        return tin_fail(in, "out of memory");
    memset(&in->z, 0, sizeof in->z);
    if (inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK)
        return tin_fail(in, "cannot start zlib");
    in->z_ready = true;
    in->gzip = true;
    in->in_member = true;
    memcpy(in->zbuf, magic, n);
    in->z.next_in = in->zbuf;
    in->z.avail_in = (uInt)n;
    return 0;
}

static int sniff(struct trace_input *in)
{
    uint8_t magic[2];
    long n = raw_read_full(in, magic, 2);
    if (n < 0)
        return -1;
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return start_gzip(in, magic, 2);
    memcpy(in->peek, magic, (size_t)n);
    in->n_peek = (size_t)n;
    in->eof = n < 2;
    return 0;
}

int tin_open_fd(struct trace_input *in, int fd, const char *name)
{
    struct stat st;
    memset(in, 0, sizeof *in);
    in->fd = fd;
    in->name = name;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        in->regular = true;
        in->file_size = (uint64_t)st.st_size;
    }
    return sniff(in);
}

int tin_open(struct trace_input *in, const char *path)
{
    if (strcmp(path, "-") == 0)
        return tin_open_fd(in, STDIN_FILENO, "<stdin>");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        memset(in, 0, sizeof *in);
        in->fd = -1;
        in->name = path;
        return tin_fail(in, "cannot open: %s", strerror(errno));
    }
    int rc = tin_open_fd(in, fd, path);
    in->own_fd = true;
    return rc;
}

/* Refill zbuf; at the end of a member, decide whether another follows. */
static int gz_refill(struct trace_input *in)
{
    long n = raw_read(in, in->zbuf, ZBUF_SIZE);
    if (n < 0)
        return -1;
    in->z.next_in = in->zbuf;
    in->z.avail_in = (uInt)n;
    if (n == 0) {
        in->eof = true;
        if (in->in_member)
            return tin_bad(in, "truncated gzip data: the file ends inside a compressed "
                               "member (was the trace cut short, or is it still being written?)");
    }
    return 0;
}

static int gz_next_member(struct trace_input *in)
{
    if (in->z.avail_in == 0 && gz_refill(in) < 0)
        return -1;
    if (in->z.avail_in == 0)
        return 0; /* clean end after the last member */
    if (in->z.next_in[0] != 0x1f)
        return tin_bad(in, "unexpected bytes after the end of the gzip data");
    inflateReset(&in->z);
    in->in_member = true;
    return 0;
}

static int gz_corrupt(struct trace_input *in)
{
    char why[160];
    snprintf(why, sizeof why, "corrupt gzip data (%s)", in->z.msg ? in->z.msg : "bad data");
    return tin_bad(in, why);
}

static long gz_read(struct trace_input *in, uint8_t *buf, size_t len)
{
    in->z.next_out = buf;
    in->z.avail_out = (uInt)(len > (1u << 30) ? 1u << 30 : len);
    uInt want = in->z.avail_out;
    while (in->z.avail_out == want && !in->eof) {
        if (!in->in_member) {
            if (gz_next_member(in) < 0)
                return -1;
            if (!in->in_member) {
                in->eof = true;
                break;
            }
        }
        if (in->z.avail_in == 0 && gz_refill(in) < 0)
            return -1;
        int zrc = inflate(&in->z, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END)
            in->in_member = false;
        else if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT)
            return gz_corrupt(in);
        else if (zrc == Z_MEM_ERROR)
            return tin_fail(in, "out of memory while inflating");
    }
    return (long)(want - in->z.avail_out);
}

static long fill(struct trace_input *in, uint8_t *buf, size_t len)
{
    if (in->gzip)
        return gz_read(in, buf, len);
    if (in->eof)
        return 0;
    long n = raw_read(in, buf, len);
    if (n == 0)
        in->eof = true;
    return n;
}

long tin_read(struct trace_input *in, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (in->peek_pos < in->n_peek) {
        size_t n = in->n_peek - in->peek_pos;
        if (n > len)
            n = len;
        memcpy(buf, in->peek + in->peek_pos, n);
        in->peek_pos += n;
        return (long)n;
    }
    return fill(in, buf, len);
}

size_t tin_peek(struct trace_input *in, void *buf, size_t len)
{
    if (len > TIN_PEEK)
        len = TIN_PEEK;
    if (in->peek_pos) { /* compact what is left to the front */
        memmove(in->peek, in->peek + in->peek_pos, in->n_peek - in->peek_pos);
        in->n_peek -= in->peek_pos;
        in->peek_pos = 0;
    }
    while (in->n_peek < len) {
        long n = fill(in, in->peek + in->n_peek, len - in->n_peek);
        if (n <= 0)
            break;
        in->n_peek += (size_t)n;
    }
    size_t n = in->n_peek < len ? in->n_peek : len;
    memcpy(buf, in->peek, n);
    return n;
}

bool tin_seekable(const struct trace_input *in)
{
    return in->fd >= 0 && in->regular && lseek(in->fd, 0, SEEK_CUR) >= 0;
}

int tin_rewind(struct trace_input *in)
{
    if (!tin_seekable(in))
        return tin_fail(in, "cannot read the trace twice: it is not a regular file");
    if (lseek(in->fd, 0, SEEK_SET) < 0)
        return tin_fail(in, "cannot seek: %s", strerror(errno));
    if (in->z_ready)
        inflateEnd(&in->z);
    free(in->zbuf);
    int fd = in->fd;
    bool own = in->own_fd;
    const char *name = in->name;
    int rc = tin_open_fd(in, fd, name);
    in->own_fd = own;
    return rc;
}

void tin_close(struct trace_input *in)
{
    if (in->z_ready)
        inflateEnd(&in->z);
    in->z_ready = false;
    free(in->zbuf);
    in->zbuf = NULL;
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}
