/*
 * fold.h - folding a program's addresses into 32-bit user space.
 *
 * A trace of a 64-bit program (or a 32-bit one whose stack sits above
 * 3 GiB) uses addresses the simulated 32-bit process cannot have.  Each
 * 4 MiB "chunk" of the program's address space that the trace touches
 * gets a 4 MiB slot of user space, the first time the trace touches it:
 *
 *     program address  a = chunk << 22 | offset       (offset < 4 MiB)
 *     folded address      slot  << 22 | offset
 *
 *     slot 0                 never used: the first 4 MiB stay unmapped
 *     slots 1 .. 767         0x00400000 .. 0xBFFFFFFF (user space)
 *     home slot of a chunk   the chunk itself when it is 1..767, so a
 *                            32-bit program below 3 GiB keeps its
 *                            addresses; else 512 + chunk mod 256, in the
 *                            top GiB, keeping the chunk's low 8 bits
 *     home taken             the next free slot upward, 767 wrapping to 1
 *
 * The offset inside 4 MiB is kept, so every page keeps its offset, every
 * 4 KiB page number keeps its low 10 bits (the set index of any TLB with
 * up to 1024 sets is the program's own), and a 4 MiB slot is one large
 * page.  Distinct chunks get distinct slots, so two pages never collide.
 * A trace that touches more than 767 chunks (3 GiB of 4 MiB regions)
 * does not fit: fold_slot() says so and the replay stops.
 *
 * The assignment depends only on the order in which chunks are first
 * touched, so text and binary forms of one trace fold identically.
 */
#ifndef VMSIM_TOOLS_FOLD_H
#define VMSIM_TOOLS_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "trace_types.h"

#define FOLD_SHIFT 22
#define FOLD_CHUNK (1u << FOLD_SHIFT)
#define FOLD_FIRST_SLOT 1u
#define FOLD_LAST_SLOT 767u
#define FOLD_SLOTS (FOLD_LAST_SLOT + 1)
#define FOLD_HASH 2048u /* open-addressing table, > 2 x slots */

struct fold {
    uint64_t chunk_of[FOLD_SLOTS]; /* program chunk number of each used slot */
    uint8_t used[FOLD_SLOTS];
    uint16_t order[FOLD_SLOTS];    /* slots in the order they were assigned */
    unsigned n_used;
    uint64_t hash_chunk[FOLD_HASH]; /* chunk + 1, 0 when empty */
    uint16_t hash_slot[FOLD_HASH];
    uint64_t last_chunk;           /* one-entry cache: most accesses stay in a chunk */
    uint32_t last_base;            /* folded base of last_chunk */
};

void fold_init(struct fold *f);

/* The slot of program chunk `chunk`, assigning one on first use
 * (*is_new set).  Returns 0, or -1 when every slot is taken. */
int fold_slot(struct fold *f, uint64_t chunk, uint32_t *slot, bool *is_new);

/* Give slot `slot` to `chunk` (reading a binary trace's table).
 * Returns -1 when the slot or the chunk is already assigned. */
int fold_assign(struct fold *f, uint64_t chunk, uint32_t slot);

/* Fold raw records rec[0..n) into items out[], which must have room for
 * 4 n items (a split access in two new regions makes four).  *n_out is
 * the number of items written.  Returns the number of records consumed:
 * n, or fewer when the footprint stopped fitting at record `returned`. */
size_t fold_batch(struct fold *f, const struct trace_rec *rec, size_t n, struct trace_access *out,
                  size_t *n_out);

/* The program address that folded address `vaddr` stands for. */
uint64_t fold_unfold(const struct fold *f, uint32_t vaddr);

#endif
