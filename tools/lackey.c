/*
 * lackey.c - a hand-written parser for lackey's memory traces.
 *
 * Speed matters (a trace has one line per instruction), so the parser
 * never scans a byte twice in the common case and never checks bounds
 * inside a line: the buffer is cut after its last newline, so every line
 * handed to parse_line() ends with '\n', which stops every digit loop.
 * At the end of the input a missing final newline is supplied.
 *
 *     buf:  [ parsed | whole lines ......... \n | partial line ]
 *           0        pos                    lines_end          end
 *
 * A refill moves the partial line to the front and reads behind it.
 */
#include "lackey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* hex_plus1[c] = value of hex digit c plus one, 0 when c is no digit. */
static const uint8_t hex_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
    ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
};

/* data_kind_plus1[c] for the letter after a leading space. */
static const uint8_t data_kind_plus1[256] = {
    ['L'] = TRACE_LOAD + 1, ['S'] = TRACE_STORE + 1, ['M'] = TRACE_MODIFY + 1};

int lackey_open(struct lackey *lk, struct trace_input *in, bool skip_bad)
{
    memset(lk, 0, sizeof *lk);
    lk->in = in;
    lk->skip_bad = skip_bad;
    lk->buf = malloc(LACKEY_BUF + 1);
    return lk->buf ? 0 : -1;
}

void lackey_close(struct lackey *lk)
{
    free(lk->buf);
    lk->buf = NULL;
}

/* Copy the start of the line at p (up to its newline) for a message. */
static void quote_line(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    while (p[n] != '\n' && n + 4 < cap && n < 40)
        n++;
    for (size_t i = 0; i < n; i++)
        out[i] = (p[i] >= 32 && p[i] < 127) ? p[i] : '?';
    strcpy(out + n, p[n] == '\n' ? "" : "...");
}

/* A malformed line at p: stop (2), or count it and skip it (0). */
static int bad_line(struct lackey *lk, const char **pp, const char *why)
{
    const char *p = *pp;
    char text[48];
    uint64_t line = lk->line + 1;
    quote_line(p, text, sizeof text);
    if (!lk->skip_bad) {
        snprintf(lk->err, sizeof lk->err, "%s:%llu: error: %s: \"%s\"", lk->in->name,
                 (unsigned long long)line, why, text);
        return 2;
    }
    if (lk->n_skipped++ == 0) {
        lk->first_bad_line = line;
        snprintf(lk->first_bad, sizeof lk->first_bad, "%s: \"%s\"", why, text);
    }
    while (*p != '\n') /* every line in the buffer ends with one */
        p++;
    *pp = p + 1;
    lk->line = line;
    return 0;
}

/* "==1234==" or "--1234--" at the start of the line. */
static bool valgrind_line(const char *p)
{
    char c = p[0];
    if ((c != '=' && c != '-') || p[1] != c)
        return false;
    p += 2;
    if ((unsigned)(*p - '0') >= 10)
        return false;
    while ((unsigned)(*p - '0') < 10)
        p++;
    return p[0] == c && p[1] == c;
}

/* Why the line at p is not a record (for lines the fast path refused). */
static const char *kind_problem(const char *p)
{
    if (p[0] == '\n' || (p[0] == '\r' && p[1] == '\n'))
        return "empty line";
    return "not a lackey record: expected 'I  ', ' L ', ' S ' or ' M ' at the start of the line";
}

/* Parse "ADDR,SIZE\n" at *pp into *r; returns NULL or why it is bad. */
static const char *parse_operands(const char **pp, struct trace_rec *r)
{
    const char *p = *pp;
    uint64_t addr = 0;
    unsigned n = 0, h;
    while ((h = hex_plus1[(uint8_t)*p]) != 0) {
        addr = addr << 4 | (h - 1);
        p++;
        n++;
    }
    if (n == 0)
        return "missing or malformed hexadecimal address after the record kind";
    if (n > 16)
        return "address has more than 16 hexadecimal digits";
    if (*p != ',')
        return "expected ',' and a size after the address";
    p++;
    uint32_t size = 0;
    for (n = 0; (unsigned)(*p - '0') < 10 && n < 6; n++, p++)
        size = size * 10 + (uint32_t)(*p - '0');
    if (n == 0)
        return "missing decimal size after ','";
    if (*p == '\r')
        p++;
    if (*p != '\n')
        return n == 6 ? "size is out of range (1..4096 bytes)" : "unexpected text after the size";
    if (size == 0 || size > TRACE_MAX_SIZE)
        return "size is out of range (1..4096 bytes)";
    if (addr + size - 1 < addr)
        return "the access runs past the top of the 64-bit address space";
    r->addr = addr;
    r->size = size;
    *pp = p + 1;
    return NULL;
}

/* Parse whole lines in [*pp, lim) into rec[]; stops at max records. */
static int parse_lines(struct lackey *lk, const char **pp, const char *lim, struct trace_rec *rec,
                       size_t max, size_t *n)
{
    const char *p = *pp;
    size_t k = *n;
    int rc = 0;
    while (p < lim && k < max && rc == 0) {
        const char *line = p;
        unsigned kind;
        /* p[1] before p[2]: the line may be one byte and its newline */
        if (p[0] == 'I' && p[1] == ' ' && p[2] == ' ')
            kind = TRACE_FETCH;
        else if (p[0] == ' ' && data_kind_plus1[(uint8_t)p[1]] && p[2] == ' ')
            kind = data_kind_plus1[(uint8_t)p[1]] - 1u;
        else if (valgrind_line(p)) {
            p = (const char *)memchr(p, '\n', (size_t)(lim - p)) + 1;
            lk->line++;
            lk->n_valgrind++;
            continue;
        } else {
            rc = bad_line(lk, &p, kind_problem(p));
            continue;
        }
        p += 3;
        const char *why = parse_operands(&p, &rec[k]);
        if (why) {
            p = line;
            rc = bad_line(lk, &p, why);
            continue;
        }
        rec[k++].kind = kind;
        lk->line++;
    }
    *pp = p;
    *n = k;
    return rc;
}

/* Move the unparsed tail to the front and read more.  Returns 0, or 1
 * for an input error, 2 for a line too long. */
static int refill(struct lackey *lk)
{
    size_t tail = lk->end - lk->pos;
    memmove(lk->buf, lk->buf + lk->pos, tail);
    lk->pos = 0;
    lk->end = tail;
    while (lk->end < LACKEY_BUF && !lk->at_eof) {
        long got = tin_read(lk->in, lk->buf + lk->end, LACKEY_BUF - lk->end);
        if (got < 0) {
            snprintf(lk->err, sizeof lk->err, "%s", lk->in->err);
            return 1;
        }
        lk->at_eof = got == 0;
        lk->end += (size_t)got;
        if (got > 0 && memchr(lk->buf + lk->end - (size_t)got, '\n', (size_t)got))
            break;
    }
    const char *last = memrchr(lk->buf, '\n', lk->end);
    lk->lines_end = last ? (size_t)(last - lk->buf) + 1 : 0;
    if (lk->at_eof && lk->lines_end < lk->end) { /* a last line without newline */
        lk->buf[lk->end++] = '\n';
        lk->lines_end = lk->end;
    }
    if (lk->lines_end == 0 && lk->end == LACKEY_BUF) {
        snprintf(lk->err, sizeof lk->err, "%s:%llu: error: line longer than %u bytes: is this a "
                 "lackey trace (valgrind --tool=lackey --trace-mem=yes)?", lk->in->name,
                 (unsigned long long)lk->line + 1, LACKEY_BUF);
        return 2;
    }
    return 0;
}

int lackey_next(struct lackey *lk, struct trace_rec *rec, size_t max, size_t *n)
{
    *n = 0;
    while (*n < max) {
        if (lk->pos == lk->lines_end) {
            if (lk->at_eof && lk->pos == lk->end)
                return 0;
            int rc = refill(lk);
            if (rc)
                return rc;
            if (lk->pos == lk->lines_end && lk->at_eof)
                return 0;
            continue;
        }
        const char *p = lk->buf + lk->pos;
        int rc = parse_lines(lk, &p, lk->buf + lk->lines_end, rec, max, n);
        lk->pos = (size_t)(p - lk->buf);
        if (rc)
            return rc;
    }
    return 0;
}
