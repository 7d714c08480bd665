/*
 * wsclock_policy.c - a page-replacement policy written outside the
 * library, against the public ops table: WSClock (Carr and Hennessy,
 * 1981), the working-set clock.
 *
 * The kernel tells the policy when a page becomes resident (loaded) and
 * when it leaves (unloaded), calls tick() when the program's clock
 * advances, and asks choose() for a victim.  The policy sees references
 * only through the hardware: vmsim_page_accessed() reads (and clears,
 * with the INVLPG that needs) the A bits of every PTE that maps a frame,
 * vmsim_page_dirty() the D bits.
 *
 * WSClock keeps the resident pages in a ring, each with the virtual time
 * of its last use.  From the hand:
 *   R = 1                     the page is in use: R = 0, last use = now
 *   R = 0, older than tau     out of the working set: clean -> victim;
 *                             dirty -> remembered, the hand goes on
 *   otherwise                 the hand goes on
 * After a whole turn: the first old dirty page, else the first page that
 * may be evicted at all.
 *
 * The program runs a process through two working-set phases with 8
 * frames and prints what it cost.  Exits 0 when every byte read back is
 * what was written and vmsim_check() is clean.
 *
 *   build:  cmake --build build && ./build/examples/wsclock_policy
 */
#include <stdio.h>
#include <stdlib.h>
#include <vmsim/vmsim.h>

#define NONE UINT32_MAX
#define TAU  4u /* the working-set window, in ticks */

struct wsclock {
    uint32_t n_frames;
    uint32_t *next, *prev; /* the ring, in load order */
    uint64_t *last_use;
    uint32_t hand; /* NONE when the ring is empty */
    uint64_t now;
};

static vmsim_status_t ws_init(vmsim_kernel_t *k, void *user, void **state)
{
    vmsim_pmm_stats_t ps;
    (void)user;
    vmsim_pmm_get_stats(vmsim_kernel_pmm(k), &ps);
    struct wsclock *w = calloc(1, sizeof *w);
    if (!w)
        return VMSIM_ERR_NOMEM;
    w->n_frames = ps.n_frames;
    w->next = calloc(ps.n_frames, sizeof *w->next);
    w->prev = calloc(ps.n_frames, sizeof *w->prev);
    w->last_use = calloc(ps.n_frames, sizeof *w->last_use);
    w->hand = NONE;
    if (!w->next || !w->prev || !w->last_use) {
        free(w->next);
        free(w->prev);
        free(w->last_use);
        free(w);
        return VMSIM_ERR_NOMEM;
    }
    *state = w;
    return VMSIM_OK;
}

/* A new page goes just behind the hand: the last one it will reach. */
static void ws_loaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    struct wsclock *w = state;
    (void)k;
    w->last_use[pfn] = w->now;
    if (w->hand == NONE) {
        w->next[pfn] = w->prev[pfn] = pfn;
        w->hand = pfn;
        return;
    }
    uint32_t before = w->prev[w->hand];
    w->next[before] = pfn;
    w->prev[pfn] = before;
    w->next[pfn] = w->hand;
    w->prev[w->hand] = pfn;
}

static void ws_unloaded(vmsim_kernel_t *k, void *state, uint32_t pfn)
{
    struct wsclock *w = state;
    (void)k;
    if (w->next[pfn] == pfn) {
        w->hand = NONE;
        return;
    }
    w->next[w->prev[pfn]] = w->next[pfn];
    w->prev[w->next[pfn]] = w->prev[pfn];
    if (w->hand == pfn)
        w->hand = w->next[pfn];
}

static void ws_tick(vmsim_kernel_t *k, void *state)
{
    (void)k;
    ((struct wsclock *)state)->now++;
}

static vmsim_status_t ws_choose(vmsim_kernel_t *k, void *state, uint32_t *victim)
{
    struct wsclock *w = state;
    uint32_t old_dirty = NONE, any = NONE, pfn = w->hand;
    if (pfn == NONE)
        return VMSIM_ERR_NO_FRAMES;
    do {
        bool referenced = false, dirty = false;
        if (vmsim_page_evictable(k, pfn)) {
            vmsim_page_accessed(k, pfn, true, &referenced);
            vmsim_page_dirty(k, pfn, false, &dirty);
            if (referenced) {
                w->last_use[pfn] = w->now;
            } else if (w->now - w->last_use[pfn] > TAU && !dirty) {
                w->hand = w->next[pfn];
                *victim = pfn;
                return VMSIM_OK;
            } else if (w->now - w->last_use[pfn] > TAU && old_dirty == NONE) {
                old_dirty = pfn;
            }
            if (any == NONE)
                any = pfn;
        }
        pfn = w->next[pfn];
    } while (pfn != w->hand);
    *victim = old_dirty != NONE ? old_dirty : any;
    if (*victim == NONE)
        return VMSIM_ERR_NO_FRAMES;
    w->hand = w->next[*victim];
    return VMSIM_OK;
}

static bool ws_tracks(const vmsim_kernel_t *k, const void *state, uint32_t pfn)
{
    const struct wsclock *w = state;
    (void)k;
    if (w->hand == NONE || pfn >= w->n_frames)
        return false;
    uint32_t p = w->hand;
    do {
        if (p == pfn)
            return true;
        p = w->next[p];
    } while (p != w->hand);
    return false;
}

static void ws_destroy(vmsim_kernel_t *k, void *state)
{
    struct wsclock *w = state;
    (void)k;
    free(w->next);
    free(w->prev);
    free(w->last_use);
    free(w);
}

static const vmsim_policy_ops_t wsclock = {"wsclock", ws_init,   ws_loaded, ws_unloaded,
                                           ws_tick,   ws_choose, ws_tracks, ws_destroy};

/* Touch pages [first, first + n) `rounds` times, writing page numbers;
 * a tick every 4 references.  Returns false if a value came back wrong. */
static bool phase(vmsim_kernel_t *k, vmsim_pid_t pid, uint32_t base, uint32_t first, uint32_t n,
                  int rounds)
{
    unsigned refs = 0;
    for (int r = 0; r < rounds; r++) {
        for (uint32_t p = first; p < first + n; p++) {
            uint64_t v = 0;
            if (r == 0 && vmsim_proc_store(k, pid, VMSIM_USER, base + p * 4096, 4, p) != VMSIM_OK)
                return false;
            if (vmsim_proc_load(k, pid, VMSIM_USER, base + p * 4096, 4, &v) != VMSIM_OK || v != p)
                return false;
            if (++refs % 4 == 0)
                vmsim_kernel_tick(k);
        }
    }
    return true;
}

int main(void)
{
    vmsim_config_t mc;
    vmsim_kernel_config_t kc;
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_pid_t pid;
    uint32_t base;
    vmsim_config_default(&mc);
    mc.ram_bytes = 16u << 20;
    vmsim_kernel_config_default(&kc);
    kc.swap_slots = 64;
    kc.max_user_frames = 8;
    kc.policy_ops = &wsclock;
    if (vmsim_create(&mc, &m) || vmsim_kernel_boot(m, &kc, &k) || vmsim_proc_create(k, &pid) ||
        vmsim_mmap(k, pid, 0, 32 * 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_PRIVATE,
                   &base)) {
        fprintf(stderr, "wsclock_policy: cannot set up the machine\n");
        return 1;
    }
    bool ok = phase(k, pid, base, 0, 6, 20) && phase(k, pid, base, 10, 6, 20) &&
              phase(k, pid, base, 0, 6, 5);
    vmsim_kernel_stats_t st;
    vmsim_swap_stats_t sw;
    vmsim_kernel_get_stats(k, &st);
    vmsim_swap_get_stats(k, &sw);
    printf("wsclock, 8 frames, tau %u ticks: %llu faults (%llu major), %llu evictions "
           "(%llu written back), %llu swap-ins, %llu A bits cleared\n",
           TAU, (unsigned long long)st.faults, (unsigned long long)st.faults_major,
           (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
           (unsigned long long)sw.page_ins, (unsigned long long)st.ad_clears);
    vmsim_status_t rc = vmsim_check(k, NULL);
    printf("data %s, checker: %s\n", ok ? "intact" : "LOST", vmsim_strerror(rc));
    vmsim_kernel_shutdown(k);
    vmsim_destroy(m);
    return ok && rc == VMSIM_OK ? 0 : 1;
}
