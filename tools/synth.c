/*
 * synth.c - the synthetic trace generators of synth.h.
 *
 * Zipf sampling inverts the cumulative distribution by binary search
 * over a table of n_pages doubles (6 MiB for a 3 GiB footprint); a
 * Fisher-Yates permutation scatters the ranks over the pages so that the
 * hot pages are not all neighbours.
 */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct synth {
    struct synth_options o;
    uint64_t rng;
    uint64_t done;        /* data accesses made */
    uint64_t cursor;      /* seq / stride position */
    uint64_t lap;         /* stride: completed passes over the footprint */
    uint32_t n_pages;
    double *cdf;          /* zipf */
    uint32_t *perm;       /* zipf: rank -> page */
    bool fetch_next;      /* the next record is the fetch before an access */
};

void synth_options_default(struct synth_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->pattern = SYNTH_SEQ;
    opt->accesses = 10000000;
    opt->footprint = 64ull << 20;
    opt->size = 8;
    opt->stride = 4096;
    opt->theta = 0.99;
    opt->writes = 0.0;
    opt->fetch = true;
    opt->seed = 1;
}

bool synth_pattern_parse(const char *name, enum synth_pattern *out)
{
    static const char *const names[] = {"seq", "stride", "uniform", "zipf"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum synth_pattern)i;
            return true;
        }
    }
    return false;
}

static uint64_t next_u64(struct synth *s)
{
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_unit(struct synth *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; }

static int prepare_zipf(struct synth *s)
{
    s->cdf = malloc(s->n_pages * sizeof *s->cdf);
    s->perm = malloc(s->n_pages * sizeof *s->perm);
    if (!s->cdf || !s->perm)
        return -1;
    double sum = 0;
    for (uint32_t k = 0; k < s->n_pages; k++) {
        sum += 1.0 / pow((double)(k + 1), s->o.theta);
        s->cdf[k] = sum;
        s->perm[k] = k;
    }
    for (uint32_t k = 0; k < s->n_pages; k++)
        s->cdf[k] /= sum;
    for (uint32_t k = s->n_pages - 1; k > 0; k--) {
        uint32_t j = (uint32_t)(next_u64(s) % (k + 1));
        uint32_t t = s->perm[k];
        s->perm[k] = s->perm[j];
        s->perm[j] = t;
    }
    return 0;
}

static const char *check(const struct synth_options *o)
{
    if (o->footprint < 4096 || o->footprint % 4096 || o->footprint > (2ull << 30))
        return "--footprint must be a multiple of 4096 between 4 KiB and 2 GiB";
    if (o->size < 1 || o->size > 64)
        return "--size must be 1..64 bytes";
    if (o->pattern == SYNTH_STRIDE && (o->stride == 0 || o->stride >= o->footprint))
        return "--stride must be at least 1 and below the footprint";
    if (o->pattern == SYNTH_ZIPF && !(o->theta > 0))
        return "--theta must be positive";
    if (!(o->writes >= 0 && o->writes <= 1))
        return "--writes must be a fraction between 0 and 1";
    return NULL;
}

struct synth *synth_create(const struct synth_options *opt, char *err, size_t cap)
{
    const char *why = check(opt);
    if (why) {
        snprintf(err, cap, "%s", why);
        return NULL;
    }
    struct synth *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    s->o = *opt;
    s->rng = opt->seed;
    s->n_pages = (uint32_t)(opt->footprint / 4096);
    s->fetch_next = opt->fetch;
    if (opt->pattern == SYNTH_ZIPF && prepare_zipf(s)) {
        snprintf(err, cap, "out of memory");
        synth_destroy(s);
        return NULL;
    }
    return s;
}

static uint32_t zipf_page(struct synth *s)
{
    double u = next_unit(s);
    uint32_t lo = 0, hi = s->n_pages - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return s->perm[lo];
}

/* Offset in the data region of the next access. */
static uint64_t next_offset(struct synth *s)
{
    const struct synth_options *o = &s->o;
    uint64_t slots = o->footprint / o->size, off;
    switch (o->pattern) {
    case SYNTH_SEQ: off = (s->done % slots) * o->size; break;
    case SYNTH_STRIDE:
        off = s->cursor + (s->lap * o->size) % o->stride;
        s->cursor += o->stride;
        if (s->cursor + (s->lap * o->size) % o->stride + o->size > o->footprint) {
            s->cursor = 0;
            s->lap++;
        }
        break;
    case SYNTH_UNIFORM: off = (next_u64(s) % slots) * o->size; break;
    default:
        off = (uint64_t)zipf_page(s) * 4096 + (next_u64(s) % (4096 / o->size)) * o->size;
        break;
    }
    return off + o->size <= o->footprint ? off : 0;
}

size_t synth_next(struct synth *s, struct trace_rec *rec, size_t max)
{
    size_t n = 0;
    while (n < max && s->done < s->o.accesses) {
        if (s->fetch_next) {
            rec[n++] = (struct trace_rec){SYNTH_CODE_BASE + (s->done % 16) * 4, 4, TRACE_FETCH};
            s->fetch_next = false;
            continue;
        }
        uint32_t kind = s->o.writes > 0 && next_unit(s) < s->o.writes ? TRACE_STORE : TRACE_LOAD;
        rec[n++] = (struct trace_rec){SYNTH_DATA_BASE + next_offset(s), s->o.size, kind};
        s->done++;
        s->fetch_next = s->o.fetch;
    }
    return n;
}

void synth_destroy(struct synth *s)
{
    if (!s)
        return;
    free(s->cdf);
    free(s->perm);
    free(s);
}
