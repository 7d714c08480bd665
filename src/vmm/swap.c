/*
 * swap.c - the swap device: page-sized slots, their allocator, the swap
 * cache, and page I/O over the bus/DMA port.
 *
 * A swapped-out page leaves a PTE with P = 0 that the hardware ignores
 * and the kernel reads back on the fault (cf. Linux's swp_entry_t):
 *
 *     31                              12 11 10  9  8           1  0
 *    +----------------------------------+--+--+--+--------------+--+
 *    |           slot number            |  | S| N|      0       | P|
 *    +----------------------------------+--+--+--+--------------+--+
 *      20 bits: slots 1 .. 2^20 - 1        S = VMM_PTE_SWAP = 1
 *      slot 0: evicted clean and all zero  N = VMM_PTE_PROTNONE = 0
 *              (comes back demand-zero)    P = 0
 *
 * P = 0 makes the walker fault whatever the other bits say, so the slot
 * number can sit where a present entry has its frame.  A PROT_NONE entry
 * (N = 1) still holds a frame; an entry with S = 1 never does.
 *
 * Slots are counted like frames.  count[slot] is the number of PTEs
 * naming the slot, plus the shared objects whose page lives there, plus
 * one while a frame caches it (the swap cache: a page read back in keeps
 * its slot as long as it stays clean, so evicting it again writes
 * nothing).  A slot is free when its count is zero; a free map (one bit
 * per slot, a rotating hint, like the frame allocator) finds the next.
 *
 * Slot 0 is never handed out.  The backing store is host memory, one
 * 4 KiB block per slot taken when the slot is first written and given
 * back when it is freed (so host memory follows the slots in use, not
 * the configured size), or a host file (cfg.swap_file) written at
 * slot * 4096.  Pages move between RAM and the store only through
 * vmsim_bus_read / vmsim_bus_write: DMA, as a disk controller does, with
 * no TLB lookups and no A/D bits.
 *
 * Fault injection (vmsim_swap_fail_next) refuses chosen page-ins or
 * page-outs before anything moves, so every caller's rollback is tested.
 */
#include "vmm_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vmm_swap {
    uint32_t n_slots; /* slots 1 .. n_slots */
    uint32_t *count;  /* [n_slots + 1] */
    uint32_t *cache;  /* [n_slots + 1]: the frame caching the slot, 0 = none */
    uint64_t *used;   /* free map, 1 = allocated (bit 0 always set) */
    uint32_t n_words, hint;
    uint8_t **mem; /* memory backing, [n_slots + 1] */
    int fd;        /* file backing, -1 = memory */
    char *path;
    uint32_t fail_skip[2], fail_count[2];
    vmsim_swap_stats_t st;
    uint8_t page[VMM_PAGE]; /* the page in transit */
};

static void set_bit(uint64_t *map, uint32_t i, bool on)
{
    if (on)
        map[i >> 6] |= 1ull << (i & 63);
    else
        map[i >> 6] &= ~(1ull << (i & 63));
}

static vmsim_status_t open_file(struct vmm_swap *sw, const char *path)
{
    sw->path = strdup(path);
    if (!sw->path)
        return VMSIM_ERR_NOMEM;
    sw->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    return sw->fd < 0 ? VMSIM_ERR_IO : VMSIM_OK;
}

vmsim_status_t swap_create(vmsim_kernel_t *k)
{
    uint32_t n = k->cfg.swap_slots;
    struct vmm_swap *sw = calloc(1, sizeof *sw);
    if (!sw)
        return VMSIM_ERR_NOMEM;
    k->swap = sw;
    sw->fd = -1;
    sw->n_slots = n;
    sw->n_words = (n + 1 + 63) / 64;
    sw->count = calloc(n + 1, sizeof *sw->count);
    sw->cache = calloc(n + 1, sizeof *sw->cache);
    sw->used = calloc(sw->n_words, sizeof *sw->used);
    if (!sw->count || !sw->cache || !sw->used)
        return VMSIM_ERR_NOMEM;
    for (uint32_t i = n + 1; i < sw->n_words * 64; i++)
        set_bit(sw->used, i, true); /* padding past the last slot */
    set_bit(sw->used, 0, true);
    sw->st.n_slots = n;
    if (k->cfg.swap_file)
        return open_file(sw, k->cfg.swap_file);
    sw->mem = calloc(n + 1, sizeof *sw->mem);
    return sw->mem ? VMSIM_OK : VMSIM_ERR_NOMEM;
}

void swap_destroy(vmsim_kernel_t *k)
{
    struct vmm_swap *sw = k->swap;
    if (!sw)
        return;
    for (uint32_t i = 0; sw->mem && i <= sw->n_slots; i++)
        free(sw->mem[i]);
    if (sw->fd >= 0) {
        close(sw->fd);
        unlink(sw->path);
    }
    free(sw->path);
    free(sw->mem);
    free(sw->count);
    free(sw->cache);
    free(sw->used);
    free(sw);
    k->swap = NULL;
}

vmsim_status_t swap_alloc(vmsim_kernel_t *k, uint32_t *slot)
{
    struct vmm_swap *sw = k->swap;
    for (uint32_t n = 0; n < sw->n_words; n++) {
        uint32_t w = (sw->hint + n) % sw->n_words;
        if (~sw->used[w]) {
            uint32_t found = w * 64 + (uint32_t)__builtin_ctzll(~sw->used[w]);
            sw->hint = w;
            set_bit(sw->used, found, true);
            sw->count[found] = 1;
            if (++sw->st.slots_used > sw->st.peak_slots_used)
                sw->st.peak_slots_used = sw->st.slots_used;
            *slot = found;
            return VMSIM_OK;
        }
    }
    sw->st.full++;
    return VMSIM_ERR_NO_SWAP;
}

void swap_get(vmsim_kernel_t *k, uint32_t slot)
{
    if (slot)
        k->swap->count[slot]++;
}

void swap_put(vmsim_kernel_t *k, uint32_t slot)
{
    struct vmm_swap *sw = k->swap;
    if (!slot || !sw->count[slot] || --sw->count[slot])
        return;
    set_bit(sw->used, slot, false);
    sw->st.slots_used--;
    if (sw->mem && sw->mem[slot]) {
        free(sw->mem[slot]);
        sw->mem[slot] = NULL;
        sw->st.host_bytes -= VMM_PAGE;
    }
    if (slot >> 6 < sw->hint)
        sw->hint = slot >> 6;
}

uint32_t swap_count(const vmsim_kernel_t *k, uint32_t slot)
{
    return k->swap && slot <= k->swap->n_slots ? k->swap->count[slot] : 0;
}

void swap_entry_put(vmsim_kernel_t *k, uint32_t entry)
{
    if (k->swap)
        swap_put(k, vmm_swap_slot(entry));
}

/* --- I/O --- */

/* Consume one injected failure in direction dir, if one is due. */
static bool injected(struct vmm_swap *sw, int dir)
{
    if (!sw->fail_count[dir])
        return false;
    if (sw->fail_skip[dir]) {
        sw->fail_skip[dir]--;
        return false;
    }
    sw->fail_count[dir]--;
    sw->st.injected_failures++;
    return true;
}

static bool store(struct vmm_swap *sw, uint32_t slot, const void *page)
{
    if (sw->fd >= 0)
        return pwrite(sw->fd, page, VMM_PAGE, (off_t)slot * VMM_PAGE) == VMM_PAGE;
    if (!sw->mem[slot]) {
        sw->mem[slot] = malloc(VMM_PAGE);
        if (!sw->mem[slot])
            return false;
        sw->st.host_bytes += VMM_PAGE;
    }
    memcpy(sw->mem[slot], page, VMM_PAGE);
    return true;
}

bool swap_read_host(const vmsim_kernel_t *k, uint32_t slot, void *buf)
{
    const struct vmm_swap *sw = k->swap;
    if (sw->fd >= 0)
        return pread(sw->fd, buf, VMM_PAGE, (off_t)slot * VMM_PAGE) == VMM_PAGE;
    if (!sw->mem[slot])
        return false;
    memcpy(buf, sw->mem[slot], VMM_PAGE);
    return true;
}

vmsim_status_t swap_write(vmsim_kernel_t *k, uint32_t slot, uint32_t pfn)
{
    struct vmm_swap *sw = k->swap;
    if (injected(sw, VMSIM_SWAP_OUT))
        return VMSIM_ERR_IO;
    if (vmsim_bus_read(k->m, (uint64_t)pfn << 12, sw->page, VMM_PAGE) != VMSIM_OK)
        return VMSIM_ERR_KERNEL;
    if (!store(sw, slot, sw->page)) {
        sw->st.io_errors++;
        return sw->fd >= 0 ? VMSIM_ERR_IO : VMSIM_ERR_NOMEM;
    }
    sw->st.page_outs++;
    sw->st.bytes_out += VMM_PAGE;
    sw->st.io_ns += k->cfg.ns_per_page_out;
    return VMSIM_OK;
}

vmsim_status_t swap_read(vmsim_kernel_t *k, uint32_t slot, uint32_t pfn)
{
    struct vmm_swap *sw = k->swap;
    if (injected(sw, VMSIM_SWAP_IN))
        return VMSIM_ERR_IO;
    if (!swap_read_host(k, slot, sw->page)) {
        sw->st.io_errors++;
        return VMSIM_ERR_IO;
    }
    if (vmsim_bus_write(k->m, (uint64_t)pfn << 12, sw->page, VMM_PAGE) != VMSIM_OK)
        return VMSIM_ERR_KERNEL;
    sw->st.page_ins++;
    sw->st.bytes_in += VMM_PAGE;
    sw->st.io_ns += k->cfg.ns_per_page_in;
    return VMSIM_OK;
}

/* --- the swap cache --- */

uint32_t swap_cache_pfn(const vmsim_kernel_t *k, uint32_t slot)
{
    return slot && slot <= k->swap->n_slots ? k->swap->cache[slot] : 0;
}

void swap_cache_add(vmsim_kernel_t *k, uint32_t slot, uint32_t pfn)
{
    swap_get(k, slot);
    k->swap->cache[slot] = pfn;
    k->pages[pfn].slot = slot;
    k->swap->st.slots_cached++;
}

void swap_cache_drop(vmsim_kernel_t *k, uint32_t pfn)
{
    uint32_t slot = k->pages[pfn].slot;
    if (!slot)
        return;
    k->pages[pfn].slot = 0;
    k->swap->cache[slot] = 0;
    k->swap->st.slots_cached--;
    swap_put(k, slot);
}

/* --- the API --- */

vmsim_status_t vmsim_swap_get_stats(const vmsim_kernel_t *k, vmsim_swap_stats_t *out)
{
    if (!k || !out)
        return VMSIM_ERR_NULL;
    memset(out, 0, sizeof *out);
    if (k->swap)
        *out = k->swap->st;
    return VMSIM_OK;
}

vmsim_status_t vmsim_swap_fail_next(vmsim_kernel_t *k, vmsim_swap_dir_t dir, uint32_t skip,
                                    uint32_t count)
{
    if (!k)
        return VMSIM_ERR_NULL;
    if (dir != VMSIM_SWAP_IN && dir != VMSIM_SWAP_OUT)
        return VMSIM_ERR_INVALID;
    if (!k->swap)
        return VMSIM_ERR_UNSUPPORTED;
    k->swap->fail_skip[dir] = count ? skip : 0;
    k->swap->fail_count[dir] = count;
    return VMSIM_OK;
}

uint32_t swap_n_slots(const vmsim_kernel_t *k)
{
    return k->swap ? k->swap->n_slots : 0;
}
