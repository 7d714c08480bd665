/*
 * kmem_debug.c - the slab allocator's debug mode: red zones around every
 * object, poison in every free one, and the checks that read them.
 *
 * With vmsim_kernel_config_t.kmem_debug, every slot of a cache carries a
 * red zone before the object and one after it, and the bytes of a free
 * object after its free pointer are poisoned.  A kmalloc object's red
 * zone starts right after the bytes that were asked for, so the slack of
 * its size class guards it too.  kmalloc-32, 20 bytes asked for:
 *
 *   slot start              object (the address kmalloc returned)
 *   |                       |
 *   v                       v
 *   allocated:  | cc x 8   | 20 bytes of the caller | cc x 12 | cc x 8   |
 *   free:       | bb x 8   | next | 6b x 28                   | bb x 8   |
 *                left zone   ptr    poison                    right zone
 *               <- offset -><------------- slot ------------><-- rest ->
 *
 *   0xcc  VMSIM_KMEM_RED_ACTIVE    red zone of an allocated object
 *   0xbb  VMSIM_KMEM_RED_INACTIVE  red zone of a free object
 *   0x6b  VMSIM_KMEM_POISON_FREE   a free object's bytes (Linux's values)
 *
 * Who looks, and when:
 *   free   the slot is read through the MMU; a damaged red zone (an
 *          overflow or underflow while the object was in use) is
 *          recorded and the free returns VMSIM_ERR_CORRUPT - the object
 *          is freed all the same, its slot rewritten clean;
 *   alloc  the free slot is read before it is handed out; damaged poison
 *          (a write after free) is recorded (the allocation succeeds);
 *   check  vmsim_check() reads every slot of every slab through the bus
 *          port and reports each damaged one (kmem_check.c).
 * Damage is recorded as the first bad byte: its address, the byte that
 * belonged there, and the byte found (vmsim_kmem_last_problem()).
 *
 * Outside debug mode a slot is just the object, and only the free
 * pointer is written by the allocator (kdebug_free_slot).
 */
#include "kmem_internal.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void kdebug_free_slot(const struct slab_cache *c, uint8_t *slot, uint32_t next)
{
    if (c->debug) {
        memset(slot, VMSIM_KMEM_RED_INACTIVE, c->offset);
        memset(slot + c->offset + 4, VMSIM_KMEM_POISON_FREE, c->slot - 4);
        memset(slot + c->offset + c->slot, VMSIM_KMEM_RED_INACTIVE,
               c->stride - c->offset - c->slot);
    }
    put32(slot + c->offset, next);
}

/* The first byte of p[from, to) that is not `byte`. */
static bool find_bad(const uint8_t *p, uint32_t from, uint32_t to, uint8_t byte, uint32_t *bad)
{
    for (uint32_t i = from; i < to; i++) {
        if (p[i] != byte) {
            *bad = i;
            return true;
        }
    }
    return false;
}

vmsim_kmem_problem_kind_t kdebug_check_slot(const struct slab_cache *c, const uint8_t *slot,
                                            uint32_t req, uint32_t *bad_off, uint8_t *expected)
{
    uint32_t obj = c->offset;
    if (req) {
        *expected = VMSIM_KMEM_RED_ACTIVE;
        if (find_bad(slot, 0, obj, VMSIM_KMEM_RED_ACTIVE, bad_off) ||
            find_bad(slot, obj + req, c->stride, VMSIM_KMEM_RED_ACTIVE, bad_off))
            return VMSIM_KMEM_REDZONE;
        return 0;
    }
    *expected = VMSIM_KMEM_RED_INACTIVE;
    if (find_bad(slot, 0, obj, VMSIM_KMEM_RED_INACTIVE, bad_off))
        return VMSIM_KMEM_REDZONE;
    *expected = VMSIM_KMEM_POISON_FREE;
    if (find_bad(slot, obj + 4, obj + c->slot, VMSIM_KMEM_POISON_FREE, bad_off))
        return VMSIM_KMEM_POISON;
    *expected = VMSIM_KMEM_RED_INACTIVE;
    if (find_bad(slot, obj + c->slot, c->stride, VMSIM_KMEM_RED_INACTIVE, bad_off))
        return VMSIM_KMEM_REDZONE;
    return 0;
}

void kmem_note_problem(vmsim_kernel_t *k, vmsim_kmem_problem_kind_t kind,
                       const struct slab_cache *c, uint32_t object, uint32_t vaddr,
                       uint32_t expected, uint32_t actual)
{
    struct kmem *km = k->kmem;
    vmsim_kmem_problem_t *p = &km->last_problem;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    memcpy(p->cache, c->name, sizeof p->cache);
    p->object = object;
    p->vaddr = vaddr;
    p->expected = expected;
    p->actual = actual;
    km->has_problem = true;
    km->problems++;
}

void kdebug_on_alloc(vmsim_kernel_t *k, struct slab *s, uint32_t i, uint32_t req)
{
    const struct slab_cache *c = s->cache;
    uint8_t *buf = k->kmem->image;
    uint32_t slot = s->base + i * c->stride, obj = slot + c->offset, off;
    uint32_t tail = c->stride - c->offset - req;
    uint8_t expected;
    vmm_load_bytes(k, slot, buf, c->stride);
    vmsim_kmem_problem_kind_t kind = kdebug_check_slot(c, buf, 0, &off, &expected);
    if (kind)
        kmem_note_problem(k, kind, c, obj, slot + off, expected, buf[off]);
    memset(buf, VMSIM_KMEM_RED_ACTIVE, c->offset);
    memset(buf + c->offset + req, VMSIM_KMEM_RED_ACTIVE, tail);
    vmm_store_bytes(k, slot, buf, c->offset);
    vmm_store_bytes(k, obj + req, buf + c->offset + req, tail);
}

vmsim_status_t kdebug_on_free(vmsim_kernel_t *k, struct slab *s, uint32_t i, uint32_t next)
{
    const struct slab_cache *c = s->cache;
    uint8_t *buf = k->kmem->image;
    uint32_t slot = s->base + i * c->stride, off;
    uint8_t expected;
    vmsim_status_t rc = VMSIM_OK;
    vmm_load_bytes(k, slot, buf, c->stride);
    vmsim_kmem_problem_kind_t kind = kdebug_check_slot(c, buf, s->req[i], &off, &expected);
    if (kind) {
        kmem_note_problem(k, kind, c, slot + c->offset, slot + off, expected, buf[off]);
        rc = VMSIM_ERR_CORRUPT;
    }
    kdebug_free_slot(c, buf, next);
    vmm_store_bytes(k, slot, buf, c->stride);
    return rc;
}
