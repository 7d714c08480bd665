/*
 * fold.c - the chunk-to-slot map of fold.h.
 *
 * chunk -> slot is an open-addressing hash table (linear probing, never
 * more than 767 of its 2048 cells used); slot -> chunk is a plain array.
 * A one-entry cache in front answers the common case, an access in the
 * same 4 MiB chunk as the one before, with one compare.
 */
#include "fold.h"

#include <string.h>

void fold_init(struct fold *f)
{
    memset(f, 0, sizeof *f);
    f->last_chunk = UINT64_MAX;
}

static unsigned hash_cell(uint64_t chunk)
{
    return (unsigned)((chunk * 0x9E3779B97F4A7C15ull) >> 53) & (FOLD_HASH - 1);
}

/* The hash cell holding `chunk`, or the empty cell where it would go. */
static unsigned find_cell(const struct fold *f, uint64_t chunk)
{
    unsigned i = hash_cell(chunk);
    while (f->hash_chunk[i] && f->hash_chunk[i] != chunk + 1)
        i = (i + 1) & (FOLD_HASH - 1);
    return i;
}

static uint32_t home_slot(uint64_t chunk)
{
    if (chunk >= FOLD_FIRST_SLOT && chunk <= FOLD_LAST_SLOT)
        return (uint32_t)chunk;
    return 512u + (uint32_t)(chunk & 255u);
}

static void record(struct fold *f, unsigned cell, uint64_t chunk, uint32_t slot)
{
    f->hash_chunk[cell] = chunk + 1;
    f->hash_slot[cell] = (uint16_t)slot;
    f->chunk_of[slot] = chunk;
    f->used[slot] = 1;
    f->order[f->n_used++] = (uint16_t)slot;
}

int fold_slot(struct fold *f, uint64_t chunk, uint32_t *slot, bool *is_new)
{
    unsigned cell = find_cell(f, chunk);
    *is_new = false;
    if (f->hash_chunk[cell]) {
        *slot = f->hash_slot[cell];
        return 0;
    }
    if (f->n_used == FOLD_LAST_SLOT)
        return -1;
    uint32_t s = home_slot(chunk);
    while (f->used[s])
        s = s == FOLD_LAST_SLOT ? FOLD_FIRST_SLOT : s + 1;
    record(f, cell, chunk, s);
    *slot = s;
    *is_new = true;
    return 0;
}

int fold_assign(struct fold *f, uint64_t chunk, uint32_t slot)
{
    if (slot < FOLD_FIRST_SLOT || slot > FOLD_LAST_SLOT || f->used[slot])
        return -1;
    unsigned cell = find_cell(f, chunk);
    if (f->hash_chunk[cell])
        return -1;
    record(f, cell, chunk, slot);
    return 0;
}

/* Fold one piece that lies inside one chunk; emits a REGION item first
 * when the chunk is new.  Returns false when the footprint is full. */
static bool fold_piece(struct fold *f, uint64_t addr, uint32_t size, uint32_t kind, uint8_t flags,
                       struct trace_access *out, size_t *n)
{
    uint64_t chunk = addr >> FOLD_SHIFT;
    if (chunk != f->last_chunk) {
        uint32_t slot;
        bool is_new;
        if (fold_slot(f, chunk, &slot, &is_new) < 0)
            return false;
        f->last_chunk = chunk;
        f->last_base = slot << FOLD_SHIFT;
        if (is_new)
            out[(*n)++] = (struct trace_access){f->last_base, 0, TRACE_REGION, 0};
    }
    uint32_t vaddr = f->last_base | (uint32_t)(addr & (FOLD_CHUNK - 1));
    out[(*n)++] = (struct trace_access){vaddr, (uint16_t)size, (uint8_t)kind, flags};
    return true;
}

size_t fold_batch(struct fold *f, const struct trace_rec *rec, size_t n, struct trace_access *out,
                  size_t *n_out)
{
    size_t k = 0, i;
    for (i = 0; i < n; i++) {
        const struct trace_rec *r = &rec[i];
        uint64_t off = r->addr & (FOLD_CHUNK - 1);
        if (r->addr >> FOLD_SHIFT == f->last_chunk && off + r->size <= FOLD_CHUNK) {
            out[k++] = (struct trace_access){f->last_base | (uint32_t)off, (uint16_t)r->size,
                                             (uint8_t)r->kind, 0};
            continue;
        }
        size_t k0 = k;
        uint32_t first = off + r->size <= FOLD_CHUNK ? r->size : (uint32_t)(FOLD_CHUNK - off);
        bool ok = fold_piece(f, r->addr, first, r->kind, first < r->size ? TRACE_SPLIT : 0, out, &k);
        if (ok && first < r->size)
            ok = fold_piece(f, r->addr + first, r->size - first, r->kind, 0, out, &k);
        if (!ok) {
            k = k0; /* the record is not consumed */
            break;
        }
    }
    *n_out = k;
    return i;
}

uint64_t fold_unfold(const struct fold *f, uint32_t vaddr)
{
    uint32_t slot = vaddr >> FOLD_SHIFT;
    return (f->chunk_of[slot] << FOLD_SHIFT) | (vaddr & (FOLD_CHUNK - 1));
}
