/*
 * btrace.c - reading and writing the binary trace format (btrace.h).
 *
 * The reader's inner loop is the replay's speed limit, so an ordinary
 * unit costs a 4-byte load, a byte load and one well-predicted branch;
 * escapes (sizes above 63, split accesses, new regions) take the slow
 * path.  Units never straddle a refill: a partial unit at the end of the
 * buffer is moved to the front with the bytes that follow.
 */
#include "btrace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (1u << 20)
#define likely(x) __builtin_expect(!!(x), 1)

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

bool btrace_is_binary(const void *magic, size_t len)
{
    return len >= 8 && memcmp(magic, BTRACE_MAGIC, 8) == 0;
}

/* --- reading --- */

static int read_exact(struct btrace_reader *br, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        long n = tin_read(br->in, buf + got, len - got);
        if (n < 0) {
            snprintf(br->err, sizeof br->err, "%s", br->in->err);
            return 1;
        }
        if (n == 0) {
            snprintf(br->err, sizeof br->err, "%s: error: truncated binary trace: the file ends "
                     "inside its header", br->in->name);
            return 2;
        }
        got += (size_t)n;
    }
    return 0;
}

static int bad_header(struct btrace_reader *br, const char *why)
{
    snprintf(br->err, sizeof br->err, "%s: error: not a valid binary trace: %s", br->in->name, why);
    return 2;
}

static int parse_fixed(struct btrace_reader *br, const uint8_t *p)
{
    struct btrace_header *h = &br->h;
    if (!btrace_is_binary(p, 8))
        return bad_header(br, "no VMSIMTRC magic");
    h->version = get32(p + 8);
    h->data_offset = get32(p + 12);
    h->n_units = get64(p + 16);
    for (int k = 0; k < TRACE_KINDS; k++)
        h->n_access[k] = get64(p + 24 + 8 * k);
    h->n_regions = get32(p + 56);
    h->flags = get32(p + 60);
    if (h->version != BTRACE_VERSION)
        return bad_header(br, "unknown version (this vmsim reads version 1)");
    if (h->n_units == BTRACE_UNFINISHED)
        return bad_header(br, "the file was never finished (did vmsim trace convert stop early?)");
    if (h->n_regions > FOLD_LAST_SLOT ||
        h->data_offset < BTRACE_HEADER + 16u * h->n_regions || h->data_offset > (1u << 24))
        return bad_header(br, "impossible region count or data offset");
    return 0;
}

/* Was chunk given to one of the first n regions? (n < 767: quadratic is fine) */
static bool chunk_taken(const struct btrace_header *h, uint32_t n, uint64_t chunk)
{
    for (uint32_t i = 0; i < n; i++)
        if (h->chunk[i] == chunk)
            return true;
    return false;
}

static int parse_regions(struct btrace_reader *br, const uint8_t *p)
{
    uint8_t seen[FOLD_SLOTS] = {0};
    for (uint32_t i = 0; i < br->h.n_regions; i++, p += 16) {
        uint32_t slot = get32(p);
        uint64_t chunk = get64(p + 8);
        if (slot < FOLD_FIRST_SLOT || slot > FOLD_LAST_SLOT || seen[slot])
            return bad_header(br, "a region slot is out of range or repeated");
        if (chunk_taken(&br->h, i, chunk))
            return bad_header(br, "the region table gives one chunk to two slots");
        seen[slot] = 1;
        br->h.slot[i] = slot;
        br->h.chunk[i] = chunk;
    }
    return 0;
}

int btrace_open(struct btrace_reader *br, struct trace_input *in)
{
    memset(br, 0, sizeof *br);
    br->in = in;
    br->buf = malloc(BUF_SIZE);
    if (!br->buf) {
        snprintf(br->err, sizeof br->err, "%s: out of memory", in->name);
        return 1;
    }
    int rc = read_exact(br, br->buf, BTRACE_HEADER);
    if (!rc)
        rc = parse_fixed(br, br->buf);
    if (!rc)
        rc = read_exact(br, br->buf, 16u * br->h.n_regions);
    if (!rc)
        rc = parse_regions(br, br->buf);
    /* the padding up to data_offset (up to 16 MiB) goes through buf in pieces */
    size_t left = rc ? 0 : br->h.data_offset - BTRACE_HEADER - 16u * br->h.n_regions;
    while (!rc && left) {
        size_t n = left < BUF_SIZE ? left : BUF_SIZE;
        rc = read_exact(br, br->buf, n);
        left -= n;
    }
    return rc;
}

void btrace_close(struct btrace_reader *br)
{
    free(br->buf);
    br->buf = NULL;
}

static int refill(struct btrace_reader *br)
{
    size_t tail = br->end - br->pos;
    memmove(br->buf, br->buf + br->pos, tail);
    br->pos = 0;
    br->end = tail;
    while (br->end < BTRACE_UNIT && !br->at_eof) {
        long n = tin_read(br->in, br->buf + br->end, BUF_SIZE - br->end);
        if (n < 0) {
            snprintf(br->err, sizeof br->err, "%s", br->in->err);
            return 1;
        }
        br->at_eof = n == 0;
        br->end += (size_t)n;
    }
    return 0;
}

static int bad_data(struct btrace_reader *br, const char *why)
{
    snprintf(br->err, sizeof br->err, "%s: error: unit %llu (byte %llu): %s", br->in->name,
             (unsigned long long)br->units, (unsigned long long)(br->h.data_offset +
             br->units * BTRACE_UNIT), why);
    return 2;
}

/* An escape unit, or an ordinary one that follows an escape. */
static int slow_unit(struct btrace_reader *br, uint32_t v, uint8_t meta, struct trace_access *out,
                     size_t *n)
{
    unsigned size = meta >> 2, kind = meta & 3;
    if (size) {
        if (br->pending_size && size != 63)
            return bad_data(br, "a SIZE escape is not followed by a unit of size field 63");
        if (br->in_split && (br->pending_flags || kind != br->split_kind))
            return bad_data(br, "the first piece of a split access is not followed by its rest "
                                "(an access unit of its kind without a SPLIT escape)");
        br->in_split = br->pending_flags != 0;
        br->split_kind = (uint8_t)kind;
        out[(*n)++] = (struct trace_access){v, (uint16_t)(br->pending_size ? br->pending_size : size),
                                            (uint8_t)kind, br->pending_flags};
        br->pending_size = 0;
        br->pending_flags = 0;
        return 0;
    }
    if (kind == BTRACE_ESC_SIZE) {
        if (v < 64 || v > TRACE_MAX_SIZE)
            return bad_data(br, "a SIZE escape gives a size outside 64..4096");
        br->pending_size = v;
    } else if (kind == BTRACE_ESC_SPLIT) {
        br->pending_flags = TRACE_SPLIT;
    } else if (kind == BTRACE_ESC_REGION) {
        if ((v & (FOLD_CHUNK - 1)) || (v >> FOLD_SHIFT) < FOLD_FIRST_SLOT ||
            (v >> FOLD_SHIFT) > FOLD_LAST_SLOT)
            return bad_data(br, "a REGION escape names no 4 MiB slot of user space");
        out[(*n)++] = (struct trace_access){v, 0, TRACE_REGION, 0};
    } else {
        return bad_data(br, "unknown escape 3");
    }
    return 0;
}

static int at_end(struct btrace_reader *br)
{
    if (br->end - br->pos)
        return bad_data(br, "truncated binary trace: the file ends inside a unit");
    if (br->units != br->h.n_units) {
        snprintf(br->err, sizeof br->err, "%s: error: truncated binary trace: the header promises "
                 "%llu units, the file holds %llu", br->in->name,
                 (unsigned long long)br->h.n_units, (unsigned long long)br->units);
        return 2;
    }
    if (br->pending_size || br->pending_flags || br->in_split)
        return bad_data(br, "truncated binary trace: the file ends after an escape or inside a "
                            "split access");
    return 0;
}

int btrace_next(struct btrace_reader *br, struct trace_access *out, size_t max, size_t *n)
{
    size_t k = 0;
    int rc = 0;
    *n = 0;
    while (k + 1 < max && rc == 0) { /* + 1: a unit may give one item after an escape */
        if (br->end - br->pos < BTRACE_UNIT) {
            if ((rc = refill(br)) != 0)
                break;
            if (br->end - br->pos < BTRACE_UNIT) {
                rc = at_end(br);
                break;
            }
        }
        const uint8_t *p = br->buf + br->pos, *lim = br->buf + br->end - (BTRACE_UNIT - 1);
        uint64_t units0 = br->units;
        /* decode no unit beyond those the header promises, so that an
         * extra one is reported as itself whatever the batch size */
        if (br->h.n_units - units0 < (uint64_t)(lim - p + BTRACE_UNIT - 1) / BTRACE_UNIT)
            lim = p + (br->h.n_units - units0) * BTRACE_UNIT;
        /* pending escapes in a local: stores to out[] could alias br's fields */
        bool pending = br->pending_size || br->pending_flags || br->in_split;
        while (p < lim && k + 1 < max) {
            uint32_t v;
            memcpy(&v, p, 4);
            uint8_t meta = p[4];
            p += BTRACE_UNIT;
            if (likely(meta >= 4 && !pending)) {
                out[k++] = (struct trace_access){v, (uint16_t)(meta >> 2), (uint8_t)(meta & 3), 0};
                continue;
            }
            br->units = units0 + (uint64_t)(p - (br->buf + br->pos)) / BTRACE_UNIT - 1;
            if ((rc = slow_unit(br, v, meta, out, &k)) != 0)
                break;
            pending = br->pending_size || br->pending_flags || br->in_split;
        }
        br->units = units0 + (uint64_t)(p - (br->buf + br->pos)) / BTRACE_UNIT;
        br->pos = (size_t)(p - br->buf);
        if (br->units == br->h.n_units && br->end - br->pos >= BTRACE_UNIT && !rc)
            rc = bad_data(br, "more units than the header promises");
    }
    *n = k;
    return rc;
}

/* --- writing --- */

static int wfail(struct btrace_writer *w, const char *what)
{
    snprintf(w->err, sizeof w->err, "%s: cannot %s: %s", w->name, what, strerror(errno));
    return -1;
}

static int flush_buf(struct btrace_writer *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
        return wfail(w, "write");
    w->len = 0;
    return 0;
}

static void encode_header(const struct btrace_writer *w, const struct fold *f, uint8_t *p)
{
    memcpy(p, BTRACE_MAGIC, 8);
    put32(p + 8, BTRACE_VERSION);
    put32(p + 12, BTRACE_DATA_OFFSET);
    put64(p + 16, f ? w->n_units : BTRACE_UNFINISHED);
    for (int k = 0; k < TRACE_KINDS; k++)
        put64(p + 24 + 8 * k, w->n_access[k]);
    put32(p + 56, f ? f->n_used : 0);
    for (unsigned i = 0; f && i < f->n_used; i++) {
        uint8_t *e = p + BTRACE_HEADER + 16 * i;
        put32(e, f->order[i]);
        put64(e + 8, f->chunk_of[f->order[i]]);
    }
}

int btrace_create_on(struct btrace_writer *w, FILE *f, const char *name)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->f = f;
    w->buf = calloc(BUF_SIZE, 1);
    if (!w->buf) {
        snprintf(w->err, sizeof w->err, "%s: out of memory", name);
        return -1;
    }
    encode_header(w, NULL, w->buf);
    w->len = BTRACE_DATA_OFFSET;
    return 0;
}

int btrace_create(struct btrace_writer *w, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        memset(w, 0, sizeof *w);
        w->name = path;
        return wfail(w, "create");
    }
    if (btrace_create_on(w, f, path)) {
        fclose(f);
        return -1;
    }
    w->own_file = true;
    return 0;
}

static void put_unit(struct btrace_writer *w, uint32_t v, uint8_t meta)
{
    put32(w->buf + w->len, v);
    w->buf[w->len + 4] = meta;
    w->len += BTRACE_UNIT;
    w->n_units++;
}

int btrace_write(struct btrace_writer *w, const struct trace_access *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (w->len + 3 * BTRACE_UNIT > BUF_SIZE && flush_buf(w))
            return -1;
        if (a[i].kind == TRACE_REGION) {
            put_unit(w, a[i].vaddr, BTRACE_ESC_REGION);
            continue;
        }
        if (!w->prev_split)
            w->n_access[a[i].kind]++;
        w->prev_split = a[i].flags & TRACE_SPLIT;
        if (a[i].flags & TRACE_SPLIT)
            put_unit(w, 0, BTRACE_ESC_SPLIT);
        unsigned size = a[i].size;
        if (size > 63) {
            put_unit(w, size, BTRACE_ESC_SIZE);
            size = 63;
        }
        put_unit(w, a[i].vaddr, (uint8_t)(size << 2 | a[i].kind));
    }
    return 0;
}

/* Close the file if the writer opened it, else just flush it. */
static int release_file(struct btrace_writer *w, int rc)
{
    if ((w->own_file ? fclose(w->f) : fflush(w->f)) != 0 && !rc)
        rc = wfail(w, "close");
    w->f = NULL;
    free(w->buf);
    w->buf = NULL;
    return rc;
}

int btrace_finish(struct btrace_writer *w, const struct fold *f)
{
    int rc = flush_buf(w);
    if (!rc && fseek(w->f, 0, SEEK_SET) != 0)
        rc = wfail(w, "seek back to the header (the output must be a regular file)");
    if (!rc) {
        memset(w->buf, 0, BTRACE_DATA_OFFSET);
        encode_header(w, f, w->buf);
        if (fwrite(w->buf, 1, BTRACE_DATA_OFFSET, w->f) != BTRACE_DATA_OFFSET)
            rc = wfail(w, "write the header");
    }
    return release_file(w, rc);
}

void btrace_abandon(struct btrace_writer *w)
{
    if (w->f)
        release_file(w, -1);
}
