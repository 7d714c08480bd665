/*
 * listchase.c - follow a linked list whose nodes are scattered over a
 * pool in random order (a shuffled permutation).
 * usage: listchase [NODES [STEPS]]   (default 262144 nodes of 64 bytes =
 * 16 MiB, 1000000 steps)
 *
 * TLB behaviour: each step is a dependent load on a random page of the
 * pool: like random.c, but the next address is only known after the
 * load, which is what makes TLB misses so expensive in real programs.
 */
#include "common.h"

struct node {
    struct node *next;
    long payload[7]; /* 64 bytes per node with 64-bit pointers */
};

int main(int argc, char **argv)
{
    size_t n = (size_t)arg(argc, argv, 1, 262144);
    long steps = arg(argc, argv, 2, 1000000);
    struct node *pool = malloc(n * sizeof *pool);
    size_t *order = malloc(n * sizeof *order);
    if (!pool || !order)
        return 1;
    uint32_t x = 88172645u;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = next_random(&x) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        pool[order[i]].next = &pool[order[(i + 1) % n]];
    free(order);
    struct node *p = &pool[0];
    for (long s = 0; s < steps; s++)
        p = p->next;
    sink = (uint64_t)(uintptr_t)p;
    free(pool);
    return 0;
}
