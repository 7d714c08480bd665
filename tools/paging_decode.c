/*
 * paging_decode.c - a trace into a reference string, once.
 *
 * Every record becomes references exactly as the TLB replay turns it
 * into lookups (docs/paging.md, "From a trace to references"):
 *
 *     I, L       one read access            S   one write access
 *     M          a read access, then a write access of the same bytes
 *     an access of `size` bytes at `addr` covering pages a .. b makes
 *     b - a + 1 references, lowest page first; the second and later carry
 *     PAGING_CONT (the earlier ones are pinned while they are served)
 *
 * Pages are the program's own (addr >> page_shift): text traces are read
 * unfolded, and a binary trace's folded addresses are mapped back through
 * its region table, so both forms of one trace give one string.  Each
 * distinct page gets a dense id from a hash table the first time it is
 * seen; paging_build_finish() then renumbers the ids in page order, so
 * that opt's tie-break ("lowest page number") compares ids.
 */
#include "paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_reader.h"

static uint64_t hash64(uint64_t k)
{
    k ^= k >> 31;
    k *= 0x9E3779B97F4A7C15ull;
    return k ^ (k >> 29);
}

int paging_build_init(struct paging_builder *b, unsigned page_shift)
{
    memset(b, 0, sizeof *b);
    b->r.page_shift = page_shift;
    b->mask = 1023;
    b->key = calloc(b->mask + 1, sizeof *b->key);
    b->val = malloc((b->mask + 1) * sizeof *b->val);
    if (b->key && b->val)
        return 0;
    paging_build_free(b);
    return -1;
}

void paging_build_free(struct paging_builder *b)
{
    free(b->key);
    free(b->val);
    paging_refs_free(&b->r);
    memset(b, 0, sizeof *b);
}

static uint32_t slot_of(const struct paging_builder *b, uint64_t key)
{
    uint32_t i = (uint32_t)hash64(key) & b->mask;
    while (b->key[i] && b->key[i] != key)
        i = (i + 1) & b->mask;
    return i;
}

static int grow_hash(struct paging_builder *b)
{
    uint32_t old_mask = b->mask;
    uint64_t *old_key = b->key;
    uint32_t *old_val = b->val;
    b->mask = 2 * old_mask + 1;
    b->key = calloc((size_t)b->mask + 1, sizeof *b->key);
    b->val = malloc(((size_t)b->mask + 1) * sizeof *b->val);
    if (!b->key || !b->val) {
        free(b->key);
        free(b->val);
        b->key = old_key;
        b->val = old_val;
        b->mask = old_mask;
        return -1;
    }
    for (uint32_t i = 0; i <= old_mask; i++) {
        if (old_key[i]) {
            uint32_t s = slot_of(b, old_key[i]);
            b->key[s] = old_key[i];
            b->val[s] = old_val[i];
        }
    }
    free(old_key);
    free(old_val);
    return 0;
}

/* A new page: its id is the next one. */
static int new_page(struct paging_builder *b, uint64_t page, uint32_t *id)
{
    if (b->r.n_pages == PAGING_MAX_PAGES)
        return -1;
    if (b->r.n_pages == b->pages_cap) {
        uint32_t cap = b->pages_cap ? 2 * b->pages_cap : 1024;
        uint64_t *p = realloc(b->r.page, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        b->r.page = p;
        b->pages_cap = cap;
    }
    if (2 * (b->r.n_pages + 1) > b->mask + 1 && grow_hash(b))
        return -1;
    uint32_t s = slot_of(b, page + 1);
    b->key[s] = page + 1;
    b->val[s] = b->r.n_pages;
    b->r.page[b->r.n_pages] = page;
    *id = b->r.n_pages++;
    return 0;
}

static int page_id(struct paging_builder *b, uint64_t page, uint32_t *id)
{
    if (b->have_last && b->last_page == page) {
        *id = b->last_id;
        return 0;
    }
    uint32_t s = slot_of(b, page + 1);
    if (b->key[s])
        *id = b->val[s];
    else if (new_page(b, page, id))
        return -1;
    b->have_last = true;
    b->last_page = page;
    b->last_id = *id;
    return 0;
}

static int reserve(struct paging_builder *b, uint32_t more)
{
    if (b->r.n + more <= b->cap)
        return 0;
    if (b->r.n + more > PAGING_MAX_REFS)
        return -1;
    uint64_t cap = b->cap ? 2 * b->cap : 65536;
    while (cap < b->r.n + more)
        cap *= 2;
    if (cap > PAGING_MAX_REFS)
        cap = PAGING_MAX_REFS;
    uint32_t *p = realloc(b->r.ref, (size_t)cap * sizeof *p);
    if (!p)
        return -1;
    b->r.ref = p;
    b->cap = cap;
    return 0;
}

int paging_build_access(struct paging_builder *b, uint64_t first, uint32_t n_pages, bool write)
{
    if (reserve(b, n_pages))
        return -1;
    for (uint32_t i = 0; i < n_pages; i++) {
        uint32_t id;
        if (page_id(b, first + i, &id))
            return -1;
        b->r.ref[b->r.n++] =
            id << PAGING_ID_SHIFT | (i ? PAGING_CONT : 0) | (write ? PAGING_WRITE : 0);
    }
    b->r.n_writes += write ? n_pages : 0;
    return 0;
}

int paging_build_record(struct paging_builder *b, uint64_t addr, uint32_t size, unsigned kind)
{
    unsigned shift = b->r.page_shift;
    uint64_t first = addr >> shift, last = (addr + (size ? size - 1 : 0)) >> shift;
    uint32_t k = (uint32_t)(last - first + 1);
    b->r.n_records++;
    b->r.n_access[kind & 3]++;
    if (k > b->r.widest) {
        b->r.widest = k;
        b->r.widest_record = b->r.n_records;
    }
    if (kind == TRACE_MODIFY && paging_build_access(b, first, k, false))
        return -1;
    return paging_build_access(b, first, k, kind == TRACE_STORE || kind == TRACE_MODIFY);
}

static int by_page(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

int paging_build_finish(struct paging_builder *b, struct paging_refs *out)
{
    uint32_t n = b->r.n_pages;
    uint64_t *sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    uint32_t *rank = malloc(((size_t)n + 1) * sizeof *rank);
    int rc = sorted && rank ? 0 : -1;
    if (!rc) {
        if (n)
            memcpy(sorted, b->r.page, (size_t)n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, by_page);
        for (uint32_t i = 0; i < n; i++) /* the new id of id i: its page's place in sorted */
            rank[i] =
                (uint32_t)((uint64_t *)bsearch(&b->r.page[i], sorted, n, sizeof *sorted, by_page) -
                           sorted);
        for (uint64_t t = 0; t < b->r.n; t++) {
            uint32_t v = b->r.ref[t];
            b->r.ref[t] = rank[v >> PAGING_ID_SHIFT] << PAGING_ID_SHIFT | (v & 3u);
        }
        if (n)
            memcpy(b->r.page, sorted, (size_t)n * sizeof *sorted);
        *out = b->r;
        memset(&b->r, 0, sizeof b->r);
    }
    free(sorted);
    free(rank);
    paging_build_free(b);
    return rc;
}

void paging_refs_free(struct paging_refs *r)
{
    free(r->ref);
    free(r->page);
    free(r->next);
    memset(r, 0, sizeof *r);
}

int paging_refs_next(struct paging_refs *r)
{
    if (r->next)
        return 0;
    uint32_t *last = malloc(((size_t)r->n_pages + 1) * sizeof *last);
    r->next = malloc(((size_t)r->n + 1) * sizeof *r->next);
    if (!last || !r->next) {
        free(last);
        free(r->next);
        r->next = NULL;
        return -1;
    }
    for (uint32_t p = 0; p < r->n_pages; p++)
        last[p] = PAGING_NEVER;
    for (uint64_t t = r->n; t-- > 0;) {
        uint32_t p = r->ref[t] >> PAGING_ID_SHIFT;
        r->next[t] = last[p];
        last[p] = (uint32_t)t;
    }
    free(last);
    return 0;
}

/* --- reading traces --- */

static int no_memory(const struct paging_builder *b, const char *name, char *err, size_t cap)
{
    snprintf(err, cap,
             "%s: out of memory after %llu references to %u pages (vmsim paging keeps "
             "4 bytes per reference; at most %u references)",
             name, (unsigned long long)b->r.n, b->r.n_pages, PAGING_MAX_REFS);
    return 1;
}

static int read_text(struct trace_reader *tr, struct paging_builder *b, char *err, size_t cap)
{
    size_t n;
    int rc;
    tr->lk.max_size = LACKEY_MAX_SIZE;
    while ((rc = lackey_next(&tr->lk, tr->raw, TRACE_BATCH, &n)) == 0 && n > 0)
        for (size_t i = 0; i < n; i++)
            if (paging_build_record(b, tr->raw[i].addr, tr->raw[i].size, tr->raw[i].kind))
                return no_memory(b, tr->in.name, err, cap);
    if (rc)
        snprintf(err, cap, "%s", tr->lk.err);
    b->r.n_skipped = trace_reader_skipped(tr, b->r.first_skipped, sizeof b->r.first_skipped);
    return rc;
}

/* A binary trace's items, unfolded through its region table; the pieces
 * of a split access are put back together. */
#define ALL_SLOTS (1u << (32 - FOLD_SHIFT)) /* every 4 MiB slot a 32-bit address can name */

struct unsplit {
    uint64_t chunk_of[ALL_SLOTS];
    bool known[ALL_SLOTS];
    bool pending;
    uint64_t addr;
    uint32_t size;
    uint64_t n_items;
};

static int binary_item(struct unsplit *u, const struct trace_access *a, struct paging_builder *b,
                       const char *name, char *err, size_t cap)
{
    u->n_items++;
    if (a->kind == TRACE_REGION)
        return 0;
    uint32_t slot = a->vaddr >> FOLD_SHIFT;
    if (!u->known[slot]) {
        snprintf(err, cap,
                 "%s: error: item %llu: address 0x%08x lies in a 4 MiB slot the region "
                 "table does not list",
                 name, (unsigned long long)u->n_items, a->vaddr);
        return 2;
    }
    uint64_t addr = u->chunk_of[slot] << FOLD_SHIFT | (a->vaddr & (FOLD_CHUNK - 1));
    uint64_t end = (u->pending ? u->addr + u->size : addr) + a->size - 1;
    if (u->chunk_of[slot] >> (64 - FOLD_SHIFT) || end < addr) {
        snprintf(err, cap,
                 "%s: error: item %llu: the region table puts this access past the top "
                 "of the 64-bit address space",
                 name, (unsigned long long)u->n_items);
        return 2;
    }
    if (!u->pending) {
        u->addr = addr;
        u->size = 0;
    }
    u->size += a->size;
    u->pending = (a->flags & TRACE_SPLIT) != 0;
    if (u->pending)
        return 0;
    if (paging_build_record(b, u->addr, u->size, a->kind))
        return no_memory(b, name, err, cap);
    return 0;
}

static int read_binary(struct trace_reader *tr, struct paging_builder *b, char *err, size_t cap)
{
    struct unsplit *u = calloc(1, sizeof *u);
    struct trace_access *items = malloc(TRACE_BATCH * sizeof *items);
    size_t n;
    int rc = u && items ? 0 : no_memory(b, tr->in.name, err, cap);
    for (uint32_t i = 0; !rc && i < tr->br.h.n_regions; i++) {
        u->chunk_of[tr->br.h.slot[i]] = tr->br.h.chunk[i];
        u->known[tr->br.h.slot[i]] = true;
    }
    while (!rc && (rc = trace_reader_next(tr, items, TRACE_BATCH, &n)) == 0 && n > 0)
        for (size_t i = 0; i < n && !rc; i++)
            rc = binary_item(u, &items[i], b, tr->in.name, err, cap);
    if (rc && !err[0])
        snprintf(err, cap, "%s", tr->err);
    free(u);
    free(items);
    return rc;
}

int paging_decode(const char *path, unsigned page_shift, bool skip_bad, struct paging_refs *out,
                  char *err, size_t cap)
{
    struct trace_reader *tr = calloc(1, sizeof *tr);
    struct paging_builder b;
    memset(out, 0, sizeof *out);
    err[0] = 0;
    if (!tr || paging_build_init(&b, page_shift)) {
        free(tr);
        snprintf(err, cap, "vmsim paging: out of memory");
        return 1;
    }
    int rc = trace_reader_open(tr, path, skip_bad);
    if (rc)
        snprintf(err, cap, "%s", tr->err);
    else
        rc = tr->binary ? read_binary(tr, &b, err, cap) : read_text(tr, &b, err, cap);
    if (!rc && paging_build_finish(&b, out))
        rc = no_memory(&b, tr->in.name, err, cap);
    if (rc)
        paging_build_free(&b);
    trace_reader_close(tr);
    free(tr);
    return rc;
}

int paging_decode_synth(const struct synth_options *opt, unsigned page_shift,
                        struct paging_refs *out, char *err, size_t cap)
{
    struct paging_builder b;
    struct trace_rec rec[1024];
    size_t n;
    memset(out, 0, sizeof *out);
    struct synth *s = synth_create(opt, err, cap);
    if (!s)
        return 2;
    int rc = paging_build_init(&b, page_shift) ? 1 : 0;
    while (!rc && (n = synth_next(s, rec, 1024)) > 0)
        for (size_t i = 0; i < n && !rc; i++)
            rc = paging_build_record(&b, rec[i].addr, rec[i].size, rec[i].kind) ? 1 : 0;
    if (!rc)
        rc = paging_build_finish(&b, out) ? 1 : 0;
    else
        paging_build_free(&b);
    if (rc)
        snprintf(err, cap, "vmsim paging: out of memory for the synthetic trace");
    synth_destroy(s);
    return rc;
}
