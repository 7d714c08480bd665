/*
 * replay_os_vmm.c - the replay's process, run by libvmsim's VMM.
 *
 *     vmsim_create --> vmsim_kernel_boot (CR4.PSE for 4 MiB regions)
 *                  --> vmsim_proc_create, vmsim_proc_switch
 *     each region  --> vmsim_mmap(FIXED | PRIVATE [| POPULATE] [| LARGE],
 *                                 read/write/exec)
 *
 * The kernel resolves the program's page faults itself (demand zero; a
 * read of a page never written maps the shared zero frame, and the first
 * write then breaks it), editing page tables through the recursive
 * mapping and zeroing frames through its temporary slots -- accesses
 * that go through the TLB and are counted in the KERNEL bank.
 */
#include "replay_os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct replay_os {
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_pid_t pid;
    bool large;
    uint32_t ns_per_access;
    vmsim_kernel_stats_t zero;  /* counters when the replay started */
    vmsim_swap_stats_t swap_zero;
    char why[160];
};

const char *replay_os_name(void) { return "libvmsim VMM (demand paging, zero page)"; }

static int fail(char *err, size_t cap, const char *what, vmsim_status_t rc)
{
    snprintf(err, cap, "%s: %s", what, vmsim_strerror(rc));
    return 1;
}

static void paging_config(vmsim_kernel_config_t *kc, const struct replay_os_paging *pg)
{
    if (!pg || !pg->frames)
        return;
    kc->max_user_frames = pg->frames;
    kc->swap_slots = pg->swap_slots ? pg->swap_slots : VMSIM_SWAP_MAX_SLOTS;
    kc->policy = pg->policy;
    kc->aging_bits = pg->aging_bits ? pg->aging_bits : 8;
    kc->random_seed = pg->seed ? pg->seed : 1;
    kc->zero_page = !pg->zero_page_off;
    kc->lazy_ad_clear = pg->lazy;
}

static int start_process(struct replay_os *os, const struct replay_os_paging *pg, char *err,
                         size_t cap)
{
    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    kc.large_pages = true;
    paging_config(&kc, pg);
    os->ns_per_access = kc.ns_per_access;
    vmsim_status_t rc = vmsim_kernel_boot(os->m, &kc, &os->k);
    if (rc)
        return fail(err, cap, "cannot boot the kernel", rc);
    if ((rc = vmsim_proc_create(os->k, &os->pid)) != VMSIM_OK)
        return fail(err, cap, "cannot create the process", rc);
    if ((rc = vmsim_proc_switch(os->k, os->pid)) != VMSIM_OK)
        return fail(err, cap, "cannot enter the process", rc);
    return 0;
}

int replay_os_boot(const vmsim_config_t *cfg, bool large_pages, const struct replay_os_paging *pg,
                   struct replay_os **out, vmsim_machine_t **m, char *err, size_t cap)
{
    struct replay_os *os = calloc(1, sizeof *os);
    if (!os) {
        snprintf(err, cap, "out of memory");
        return 1;
    }
    vmsim_status_t rc = vmsim_create(cfg, &os->m);
    if (rc) {
        free(os);
        return fail(err, cap, "cannot create the machine", rc);
    }
    os->large = large_pages;
    if (start_process(os, pg, err, cap)) {
        replay_os_shutdown(os);
        return 1;
    }
    replay_os_zero(os);
    *out = os;
    *m = os->m;
    return 0;
}

int replay_os_map(struct replay_os *os, uint32_t base, uint32_t len, bool populate, char *err,
                  size_t cap)
{
    unsigned flags = VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED;
    if (populate)
        flags |= VMSIM_MAP_POPULATE;
    if (os->large)
        flags |= VMSIM_MAP_LARGE;
    vmsim_status_t rc = vmsim_mmap(os->k, os->pid, base, len,
                                   VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC, flags, NULL);
    if (rc == VMSIM_ERR_NO_FRAMES) {
        snprintf(err, cap, "simulated RAM is full while populating the region at 0x%08x (give "
                 "the replay more with --ram)", base);
        return 1;
    }
    if (rc) {
        snprintf(err, cap, "cannot map the region at 0x%08x: %s", base, vmsim_strerror(rc));
        return 1;
    }
    return 0;
}

void replay_os_zero(struct replay_os *os)
{
    vmsim_kernel_get_stats(os->k, &os->zero);
    vmsim_swap_get_stats(os->k, &os->swap_zero);
}

void replay_os_pin(struct replay_os *os, uint32_t vaddr) { vmsim_proc_pin(os->k, os->pid, vaddr); }

void replay_os_unpin(struct replay_os *os, uint32_t vaddr)
{
    vmsim_proc_unpin(os->k, os->pid, vaddr);
}

void replay_os_tick(struct replay_os *os) { vmsim_kernel_tick(os->k); }

static void paging_counters(const struct replay_os *os, const vmsim_kernel_stats_t *s,
                            struct replay_os_counters *out)
{
    const vmsim_kernel_stats_t *z = &os->zero;
    vmsim_swap_stats_t w;
    vmsim_swap_get_stats(os->k, &w);
    const vmsim_swap_stats_t *wz = &os->swap_zero;
    out->cold = (s->faults_demand_zero - z->faults_demand_zero) +
                (s->faults_zero_map - z->faults_zero_map);
    out->reloads = (s->faults_swap_in - z->faults_swap_in) +
                   (s->faults_swap_cache - z->faults_swap_cache) +
                   (s->faults_zero_reload - z->faults_zero_reload);
    out->evictions = s->evictions - z->evictions;
    out->writebacks = s->writebacks - z->writebacks;
    out->faults_minor = s->faults_minor - z->faults_minor;
    out->faults_major = s->faults_major - z->faults_major;
    out->ad_clears = s->ad_clears - z->ad_clears;
    out->ad_clear_invlpgs = s->ad_clear_invlpgs - z->ad_clear_invlpgs;
    out->swap_ins = w.page_ins - wz->page_ins;
    out->swap_outs = w.page_outs - wz->page_outs;
    out->swap_bytes_in = w.bytes_in - wz->bytes_in;
    out->swap_bytes_out = w.bytes_out - wz->bytes_out;
    out->io_ns = w.io_ns - wz->io_ns;
    out->ns_per_access = os->ns_per_access;
}

void replay_os_counters(const struct replay_os *os, struct replay_os_counters *out)
{
    vmsim_kernel_stats_t s;
    const vmsim_kernel_stats_t *z = &os->zero;
    memset(out, 0, sizeof *out);
    if (vmsim_kernel_get_stats(os->k, &s))
        return;
    out->frames_used = s.frames_in_use;
    out->user_frames = s.user_frames;
    out->page_tables = s.page_tables;
    uint64_t unresolved = (s.faults_segv - z->faults_segv) + (s.faults_kernel - z->faults_kernel) +
                          (s.faults_oom - z->faults_oom);
    out->faults_resolved = (s.faults - z->faults) - unresolved;
    out->demand_zero = s.faults_demand_zero - z->faults_demand_zero;
    out->zero_map = s.faults_zero_map - z->faults_zero_map;
    out->zero_break = s.faults_zero_break - z->faults_zero_break;
    paging_counters(os, &s, out);
}

const char *replay_os_fault_reason(const struct replay_os *os)
{
    vmsim_kfault_t f;
    struct replay_os *w = (struct replay_os *)os;
    if (vmsim_kernel_last_fault(os->k, &f) || f.kind == VMSIM_KFAULT_NONE)
        return NULL;
    if (f.kind == VMSIM_KFAULT_OOM && f.status != VMSIM_ERR_NO_FRAMES)
        snprintf(w->why, sizeof w->why, "no frame could be freed: %s (give the replay more "
                 "--swap or --frames)", vmsim_strerror(f.status));
    else if (f.kind == VMSIM_KFAULT_OOM)
        snprintf(w->why, sizeof w->why, "the kernel found no free frame: simulated RAM is full "
                 "(give the replay more with --ram)");
    else
        snprintf(w->why, sizeof w->why, "the kernel judged the fault at 0x%08x %s", f.cr2,
                 vmsim_kfault_kind_name(f.kind));
    return w->why;
}

void replay_os_shutdown(struct replay_os *os)
{
    if (!os)
        return;
    vmsim_kernel_shutdown(os->k);
    vmsim_destroy(os->m);
    free(os);
}
