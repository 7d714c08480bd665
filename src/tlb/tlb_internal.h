/*
 * tlb_internal.h - the TLB as the MMU sees it.
 *
 * A TLB is an array of sets, each of `n_ways` ways:
 *
 *     ways[set * n_ways + way]     set = vpn & set_mask
 *
 *     struct tlb_way (40 bytes)
 *     +-----+-------+-------+--------+--------+-------+------+
 *     | key | pbase | used  | filled | rights | kinds | pkey |
 *     +-----+-------+-------+--------+--------+-------+------+
 *       key = vpn << 16 | pcid << 4 | size code (0 = invalid), so a hit
 *       is one compare per way; vpn = linear address bits 56:shift (a
 *       canonical address is its low 57 bits sign-extended), pcid the
 *       PCID current at the fill (always 0 without CR4.PCIDE).
 *       used = the TLB's clock at the way's last use (a hit or a fill),
 *       filled = the clock at its fill.
 *
 * A lookup probes the key of the TLB's current PCID (`tag`, set by the
 * MMU at every CR3 and CR4 load); only while PCIDs are on and the TLB
 * holds global ways does it also look for a global way cached under
 * another PCID (the current PCID's own way wins).  Large ways (2 MiB,
 * 4 MiB, 1 GiB) are probed only when the TLB holds a way of that size.
 *
 * Replacement state is these two stamps.  Every hit, whatever the
 * policy, does the same thing -- `used = ++clock` -- so the hit path has
 * no policy branch: LRU evicts the least `used`, FIFO the least
 * `filled`, random ignores both, and tree-PLRU reads its tree out of
 * `used` (see tlb.c: a node's bit is "the most recent use below me was
 * on my left"), which is exactly the tree of docs/tlb-counting.md.  Each set also
 * counts its valid ways, so a fill into a full set skips the search for
 * an invalid way.
 *
 * In front of the modelled TLBs sits the fast cache: per access kind
 * (read/write/fetch x supervisor/user) a direct-mapped table of
 * FAST_SLOTS host-side shortcuts, each naming the modelled way it stands
 * for.  4096 slots reach 16 MiB, as much as the biggest TLBs one
 * simulates (a 64-entry TLB uses 64 of them); the price is 768 KiB per
 * machine, set empty at creation (docs/performance.md).  A fast hit does exactly what a modelled hit does (the hit
 * counter, `used = ++clock`) without searching the set:
 *
 *     fast[kind][vpn & FAST_MASK]
 *     +-----------+---------------------------+------+------+
 *     | tag       | delta                     | way  | tlb  |
 *     +-----------+---------------------------+------+------+
 *       tag = 64-bit linear page base; it is compared with the access's address
 *       masked by ~0xfff | (size - 1), so one compare also rejects an
 *       access that is not aligned to its size (which might cross the
 *       page); host address = linear address + delta.
 *
 * A large way gets a shortcut for each 4 KiB piece of it that is used.
 * A shortcut exists only while its way is valid and only for accesses
 * the way permits without a walk, so it never changes a result: whenever
 * a way is evicted, invalidated or rewritten, tlb_drop_fast() clears its
 * shortcuts.  (The modelled lookup tries 4 KiB ways before large ones;
 * a shortcut to a large way can never hide a 4 KiB way of the same page,
 * because filling that 4 KiB way takes a walk of the page, which replaces
 * or invalidates the large way first.)  The fast cache knows no PCIDs and
 * no protection keys: the MMU empties it whenever the current PCID or
 * CR4.PKE changes, and never gives a shortcut to a data access of a
 * user-mode page while keys are checked (PKRU changes flush nothing).
 */
#ifndef VMSIM_TLB_INTERNAL_H
#define VMSIM_TLB_INTERNAL_H

#include "vmsim/machine.h"
#include "vmsim/tlb.h"

enum {
    TLB_SIZE_INVALID = 0,
    TLB_SIZE_4K = 1,
    TLB_SIZE_2M = 2,
    TLB_SIZE_4M = 3,
    TLB_SIZE_1G = 4,
    TLB_SIZE_CODES = 5
};

#define TLB_CODE_MASK  0x7u
#define TLB_PCID_SHIFT 4
#define TLB_PCID_MASK  (0xfffull << TLB_PCID_SHIFT)
#define TLB_VPN_SHIFT  16

/* Rights bits cached in a way. */
enum {
    TLB_W = 1u << 0,  /* writable at every level */
    TLB_U = 1u << 1,  /* user at every level */
    TLB_XD = 1u << 2, /* execute-disable (PAE or IA-32e with NXE) */
    TLB_D = 1u << 3,  /* leaf D bit set */
    TLB_G = 1u << 4   /* global (leaf G while CR4.PGE) */
};

struct tlb_way {
    uint64_t key;       /* vpn << 16 | pcid << 4 | size code; 0 when invalid */
    uint64_t pbase;     /* physical base of the page */
    uint64_t used;      /* clock at the last hit or fill (LRU, PLRU) */
    uint64_t filled;    /* clock at the fill (FIFO) */
    uint8_t rights;     /* TLB_* bits */
    uint8_t fast_kinds; /* fast-cache kinds that may point here */
    uint8_t pkey;       /* protection key of the leaf (IA-32e) */
};

#define FAST_KINDS              6
#define FAST_BITS               12
#define FAST_SLOTS              (1u << FAST_BITS)
#define FAST_MASK               (FAST_SLOTS - 1)
#define FAST_NONE               (~0ull) /* never equals an address masked as above */
#define FAST_KIND(access, mode) ((unsigned)(access)*2u + (unsigned)(mode))

struct tlb;

struct fast_entry {
    uint64_t tag;    /* linear page base, FAST_NONE when empty */
    uintptr_t delta; /* host address = linear address + delta */
    struct tlb_way *way;
    struct tlb *tlb;
};

/* Sets wider than this get an index (tlb_index.c). */
#define TLB_INDEX_MIN_WAYS 32u

struct tlb_index;

struct tlb {
    vmsim_tlb_stats_t *st;      /* counters of the current statistics bank */
    uint64_t clock;             /* advances at every hit and fill */
    uint32_t n_sets, set_mask, n_ways;
    uint32_t n_compare;         /* ways a lookup compares: n_ways, 0 for an indexed TLB */
    uint32_t rng;
    uint32_t n_large;                /* valid 2 MiB / 4 MiB / 1 GiB entries */
    uint32_t n_code[TLB_SIZE_CODES]; /* valid large entries per size code (4 KiB not counted) */
    uint32_t n_global;               /* valid global entries */
    uint32_t n_valid;
    uint64_t tag;  /* the current PCID << TLB_PCID_SHIFT (set by the MMU) */
    bool pcids_on; /* CR4.PCIDE: global ways of other PCIDs match too */
    struct tlb_way *ways;
    uint32_t *set_valid;        /* valid ways per set: a full set skips the search */
    struct fast_entry (*fast)[FAST_SLOTS]; /* the machine's fast tables */
    struct tlb_index *index;               /* wide sets only (more than TLB_INDEX_MIN_WAYS ways) */
    vmsim_tlb_config_t cfg;
};

/* --- the index of wide sets (tlb_index.c) --------------------------------
 * Same answers as the plain searches, in O(1) / O(log W) instead of O(W). */
bool tlb_index_wanted(const vmsim_tlb_config_t *cfg);
struct tlb_index *tlb_index_create(uint32_t entries, uint32_t n_sets);
void tlb_index_destroy(struct tlb_index *x);
/* The valid way whose key is `key`, or NULL. */
struct tlb_way *tlb_index_find(const struct tlb *t, uint64_t key);
/* The lowest invalid way of `set` (its number within the set), or n_ways. */
uint32_t tlb_index_first_invalid(const struct tlb *t, uint32_t set);
/* The way of full `set` with the least `used` (LRU) or `filled` (FIFO). */
uint32_t tlb_index_victim(struct tlb *t, uint32_t set, bool fifo);
/* Way number `way` (of the whole TLB) has just been filled / is about to
 * be invalidated (its key still set). */
void tlb_index_filled(struct tlb *t, uint32_t way);
void tlb_index_clearing(struct tlb *t, uint32_t way);

/* Create a TLB for `cfg` (already checked).  NULL when out of memory. */
struct tlb *tlb_create(const vmsim_tlb_config_t *cfg, struct fast_entry (*fast)[FAST_SLOTS],
                       vmsim_tlb_stats_t *st);
void tlb_destroy(struct tlb *t);

/* Linear-address bits 56:shift, the page number a key holds. */
static inline uint64_t tlb_vpn(vmsim_vaddr_t vaddr, unsigned shift)
{
    return (vaddr << 7) >> (7 + shift);
}

static inline uint64_t tlb_key(vmsim_vaddr_t vaddr, unsigned shift, unsigned code, uint64_t tag)
{
    return tlb_vpn(vaddr, shift) << TLB_VPN_SHIFT | tag | code;
}

static inline unsigned tlb_code_shift(unsigned code)
{
    static const unsigned char shift[8] = {0, 12, 21, 22, 30, 0, 0, 0};
    return shift[code & TLB_CODE_MASK];
}

static inline unsigned tlb_way_shift(const struct tlb_way *w)
{
    return tlb_code_shift((unsigned)w->key);
}

/* The first way of the set of `vpn`. */
static inline struct tlb_way *tlb_set(const struct tlb *t, uint64_t vpn)
{
    return &t->ways[(size_t)(vpn & t->set_mask) * t->n_ways];
}

/* The way of the set of `vpn` whose key is `key`, or NULL. */
static inline struct tlb_way *tlb_probe(const struct tlb *t, uint64_t key, uint64_t vpn)
{
    struct tlb_way *w = tlb_set(t, vpn);
    for (uint32_t i = 0; i < t->n_compare; i++)
        if (w[i].key == key)
            return &w[i];
    /* a wide set compares nothing: its index answers (only on this path,
     * so that a hit in an ordinary set costs what it always did) */
    return __builtin_expect(t->index != NULL, 0) ? tlb_index_find(t, key) : NULL;
}

/* tlb_find() beyond the 4 KiB way of the current PCID: global ways of
 * other PCIDs, large ways. */
struct tlb_way *tlb_find_other(const struct tlb *t, vmsim_vaddr_t vaddr);

/* The valid way that maps `vaddr` for the current PCID (4 KiB first,
 * then 2 MiB, 4 MiB, 1 GiB; at each size the current PCID's way, then a
 * global one), or NULL.  Counts nothing. */
static inline struct tlb_way *tlb_find(const struct tlb *t, vmsim_vaddr_t vaddr)
{
    uint64_t vpn = tlb_vpn(vaddr, 12);
    struct tlb_way *w = tlb_probe(t, vpn << TLB_VPN_SHIFT | t->tag | TLB_SIZE_4K, vpn);
    if (w || !(t->n_large || (t->pcids_on && t->n_global)))
        return w;
    return tlb_find_other(t, vaddr);
}

/* Record a use of `w` by a hit: the same for every policy. */
static inline void tlb_touch(struct tlb *t, struct tlb_way *w) { w->used = ++t->clock; }

/* Put a translation into the TLB: the way of its set chosen by the
 * rules of docs/tlb-counting.md (lowest invalid, else the policy's victim).
 * Counts the fill and any eviction.  Returns the way. */
struct tlb_way *tlb_fill(struct tlb *t, vmsim_vaddr_t vaddr, unsigned shift, uint64_t pbase,
                         unsigned rights, unsigned pkey);

/* Invalidate one way (its shortcuts too); counts an invalidation. */
void tlb_invalidate_way(struct tlb *t, struct tlb_way *w);

/* Invalidate the ways that map `vaddr` (any page size) and belong to
 * PCID tag `tag`: with `globals` (INVLPG, a page fault) global ways of
 * any PCID too, without (INVPCID type 0) only non-global ones. */
void tlb_invalidate_page(struct tlb *t, vmsim_vaddr_t vaddr, uint64_t tag, bool globals);

/* Invalidate every way, or every non-global way when keep_global, of
 * every PCID.  Counts one flush. */
void tlb_flush(struct tlb *t, bool keep_global);

/* Invalidate the non-global ways of PCID tag `tag`.  Counts one flush. */
void tlb_flush_pcid(struct tlb *t, uint64_t tag);

/* Clear the fast-cache shortcuts that point at `w` (for a large way, up
 * to 1024 slots per kind). */
void tlb_drop_fast(struct tlb *t, struct tlb_way *w);

/* Fill in a public view of way number `index`. */
void tlb_describe(const struct tlb *t, uint32_t index, vmsim_tlb_entry_t *out);

#endif
