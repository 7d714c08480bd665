/*
 * hashtable.c - an open-addressing hash table: insert KEYS random keys,
 * then look up as many (half present, half absent).
 * usage: hashtable [KEYS]   (default 200000 keys, table of 2^19 slots)
 *
 * TLB behaviour: hashing scatters consecutive operations over the whole
 * table (8 bytes a slot: 4 MiB for 2^19 slots, 1024 pages), while a probe
 * sequence stays on one page: misses per operation approach 1 once the
 * table outgrows the TLB's reach.
 */
#include "common.h"

static uint64_t hash(uint64_t k) { return (k * 0x9E3779B97F4A7C15ull) >> 13; }

int main(int argc, char **argv)
{
    long keys = arg(argc, argv, 1, 200000);
    size_t size = 1;
    while (size < (size_t)keys * 2)
        size *= 2;
    uint64_t *table = calloc(size, sizeof *table); /* 0 = empty; keys are odd */
    if (!table)
        return 1;
    uint32_t x = 1234567u;
    for (long i = 0; i < keys; i++) {
        uint64_t k = (uint64_t)next_random(&x) << 1 | 1;
        size_t s = hash(k) & (size - 1);
        while (table[s] && table[s] != k)
            s = (s + 1) & (size - 1);
        table[s] = k;
    }
    x = 1234567u;
    long found = 0;
    for (long i = 0; i < keys; i++) {
        uint64_t k = (uint64_t)next_random(&x) << 1 | (i & 1); /* even keys: absent */
        size_t s = hash(k) & (size - 1);
        while (table[s] && table[s] != k)
            s = (s + 1) & (size - 1);
        found += table[s] == k;
    }
    sink = (uint64_t)found;
    free(table);
    return 0;
}
