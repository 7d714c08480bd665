/*
 * trace_report.c - printing a replay's figures: a table for people,
 * JSON and CSV for scripts (their shapes are fixed by docs/tlb-studies.md
 * and checked by tests/test_replay.c; add fields, never rename them).
 */
#include <inttypes.h>
#include <string.h>

#include "trace_run.h"

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

static double rate(uint64_t part, uint64_t whole) { return whole ? (double)part / (double)whole : 0; }

static uint64_t total(const struct trace_run_output *out)
{
    const uint64_t *a = out->r.access;
    return a[0] + a[1] + a[2] + a[3];
}

static void tlb_desc(char *buf, size_t cap, const vmsim_tlb_config_t *t)
{
    if (!t->entries)
        snprintf(buf, cap, "none");
    else if (t->ways == t->entries)
        snprintf(buf, cap, "%u entries fully associative %s", t->entries,
                 vmsim_tlb_policy_name(t->policy));
    else
        snprintf(buf, cap, "%u entries %u-way %s", t->entries, t->ways,
                 vmsim_tlb_policy_name(t->policy));
}

static void table_tlb_row(FILE *f, const char *name, const vmsim_tlb_stats_t *s)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "  %-12s %15s %15s %13s %9.4f%% %12s\n", name, grouped(s->lookups, a),
            grouped(s->hits, b), grouped(s->misses, c), 100 * rate(s->hits, s->lookups),
            grouped(s->evictions, d));
}

static void table_header(FILE *f, const char *name, const struct trace_run_options *opt,
                         const struct trace_run_output *out)
{
    const vmsim_config_t *mc = &opt->replay.machine;
    char d[96], i[96];
    fprintf(f, "vmsim trace: %s (%s trace)\n", name, out->binary ? "binary" : "lackey text");
    fprintf(f, "  kernel   %s\n", replay_os_name());
    fprintf(f, "  machine  RAM %" PRIu64 " MiB, %s pages, %s\n", mc->ram_bytes >> 20,
            opt->replay.page_shift == 22 ? "4 MiB" : "4 KiB",
            opt->replay.populate ? "--populate (every page mapped before the replay)"
                                 : "demand paging");
    tlb_desc(d, sizeof d, &mc->dtlb);
    tlb_desc(i, sizeof i, &mc->itlb);
    if (mc->split_tlb)
        fprintf(f, "  TLBs     split: ITLB %s; DTLB %s\n\n", i, d);
    else
        fprintf(f, "  TLB      unified: %s\n\n", d);
}

static void table_accesses(FILE *f, const struct trace_run_output *out)
{
    static const char *const label[TRACE_KINDS] = {
        "instruction fetches (I)", "data loads (L)", "data stores (S)", "data modifies (M)"};
    char a[32];
    fprintf(f, "accesses\n");
    for (int k = 0; k < TRACE_KINDS; k++)
        fprintf(f, "  %-28s %15s\n", label[k], grouped(out->r.access[k], a));
    fprintf(f, "  %-28s %15s\n", "total", grouped(total(out), a));
    fprintf(f, "  %-28s %15s\n", "covering two or more pages", grouped(out->r.page_splits, a));
    fprintf(f, "  %-28s %15u\n\n", "4 MiB regions mapped", out->r.regions);
}

static void table_walks(FILE *f, const struct trace_run_output *out)
{
    const vmsim_stats_t *p = &out->r.program, *k = &out->r.kernel;
    char a[32], b[32];
    fprintf(f, "page walks                         program          kernel\n");
    fprintf(f, "  %-22s %15s %15s\n", "walks", grouped(p->walks, a), grouped(k->walks, b));
    fprintf(f, "  %-22s %15s %15s\n", "entries read", grouped(p->walk_reads, a),
            grouped(k->walk_reads, b));
    fprintf(f, "  %-22s %15s %15s\n", "dirty-bit walks", grouped(p->dirty_walks, a),
            grouped(k->dirty_walks, b));
    fprintf(f, "  %-22s %15s %15s\n\n", "A/D write-backs", grouped(p->ad_writes, a),
            grouped(k->ad_writes, b));
    const struct replay_os_counters *os = &out->r.os;
    fprintf(f, "page faults and memory\n");
    fprintf(f, "  %-22s %15s\n", "page faults", grouped(p->faults, a));
    fprintf(f, "  %-22s %15s", "resolved by the kernel", grouped(os->faults_resolved, a));
    fprintf(f, "  (demand-zero %" PRIu64 ", zero-page map %" PRIu64 ", zero-page break %" PRIu64
            ")\n", os->demand_zero, os->zero_map, os->zero_break);
    fprintf(f, "  %-22s %15s  (%.1f MiB; process pages %" PRIu64 ", page tables %" PRIu64 ")\n\n",
            "frames in use", grouped(os->frames_used, a), (double)os->frames_used / 256.0,
            os->user_frames, os->page_tables);
}

/* Effective access time in ns: every reference costs a memory access,
 * every page moved to or from swap its transfer (the textbook's
 * (1 - p) * ma + p * fault time, with p the rate of swap I/O). */
static double eat_ns(const struct replay_results *r)
{
    if (!r->references)
        return 0;
    return ((double)r->references * r->os.ns_per_access + (double)r->os.io_ns) /
           (double)r->references;
}

static void table_paging(FILE *f, const struct trace_run_options *opt,
                         const struct trace_run_output *out)
{
    const struct replay_os_paging *pg = &opt->replay.paging;
    const struct replay_results *r = &out->r;
    const struct replay_os_counters *os = &r->os;
    char a[32], b[32];
    if (!pg->frames)
        return;
    fprintf(f, "paging: %u frames, policy %s%s, zero page %s\n", pg->frames,
            vmsim_policy_name(pg->policy), pg->lazy ? " (lazy A clearing)" : "",
            pg->zero_page_off ? "off" : "on");
    fprintf(f, "  %-22s %15s\n", "references", grouped(r->references, a));
    fprintf(f, "  %-22s %15s  (cold %s, reloads %" PRIu64 ")\n", "faults",
            grouped(os->cold + os->reloads, a), grouped(os->cold, b), os->reloads);
    fprintf(f, "  %-22s %15s  (minor %" PRIu64 ", major %" PRIu64 ")\n", "faults resolved",
            grouped(os->faults_minor + os->faults_major, a), os->faults_minor, os->faults_major);
    fprintf(f, "  %-22s %15s  (write-backs %s)\n", "evictions", grouped(os->evictions, a),
            grouped(os->writebacks, b));
    fprintf(f, "  %-22s %15s  (%" PRIu64 " bytes)\n", "swap-ins", grouped(os->swap_ins, a),
            os->swap_bytes_in);
    fprintf(f, "  %-22s %15s  (%" PRIu64 " bytes)\n", "swap-outs", grouped(os->swap_outs, a),
            os->swap_bytes_out);
    fprintf(f, "  %-22s %15s  (INVLPGs for them %" PRIu64 ")\n", "A/D bits cleared",
            grouped(os->ad_clears, a), os->ad_clear_invlpgs);
    fprintf(f, "  %-22s %15.1f ns  (%u ns a reference, plus swap I/O)\n\n",
            "effective access time", eat_ns(r), os->ns_per_access);
}

void trace_report_table(FILE *f, const char *name, const struct trace_run_options *opt,
                        const struct trace_run_output *out)
{
    const vmsim_stats_t *p = &out->r.program, *k = &out->r.kernel;
    bool split = opt->replay.machine.split_tlb;
    table_header(f, name, opt, out);
    table_accesses(f, out);
    fprintf(f, "TLB                    lookups            hits        misses  hit rate    evictions\n");
    if (split)
        table_tlb_row(f, "ITLB", &p->itlb);
    table_tlb_row(f, split ? "DTLB" : "unified", &p->dtlb);
    if (split)
        table_tlb_row(f, "kernel ITLB", &k->itlb);
    table_tlb_row(f, split ? "kernel DTLB" : "kernel", &k->dtlb);
    fprintf(f, "  (kernel rows: the kernel's own accesses, never in the program's rows)\n\n");
    table_walks(f, out);
    table_paging(f, opt, out);
    if (out->skipped)
        fprintf(f, "skipped %" PRIu64 " malformed lines (--skip-bad); the first: %s\n\n",
                out->skipped, out->first_skipped);
    fprintf(f, "replay   %.3f s for %.1f M accesses: %.1f M accesses/s (setup %.3f s)\n",
            out->seconds, (double)total(out) / 1e6,
            out->seconds > 0 ? (double)total(out) / out->seconds / 1e6 : 0, out->setup_seconds);
}

/* --- JSON --- */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 32)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_tlb_config(FILE *f, const char *key, const vmsim_tlb_config_t *t)
{
    fprintf(f, "\"%s\": {\"entries\": %u, \"ways\": %u, \"policy\": \"%s\"}", key, t->entries,
            t->ways, vmsim_tlb_policy_name(t->policy));
}

static void json_tlb(FILE *f, const char *key, const vmsim_tlb_stats_t *s)
{
    fprintf(f, "\"%s\": {\"lookups\": %" PRIu64 ", \"hits\": %" PRIu64 ", \"misses\": %" PRIu64
            ", \"hit_rate\": %.6f, \"fills\": %" PRIu64 ", \"evictions\": %" PRIu64
            ", \"invalidations\": %" PRIu64 ", \"flushes\": %" PRIu64 "}", key, s->lookups, s->hits,
            s->misses, rate(s->hits, s->lookups), s->fills, s->evictions, s->invalidations,
            s->flushes);
}

static void json_tlbs(FILE *f, const char *key, const vmsim_stats_t *s, bool split)
{
    fprintf(f, "  \"%s\": {", key);
    if (split) {
        json_tlb(f, "itlb", &s->itlb);
        fputs(", ", f);
        json_tlb(f, "dtlb", &s->dtlb);
    } else {
        json_tlb(f, "unified", &s->dtlb);
    }
    fputs("},\n", f);
}

static void json_walks(FILE *f, const char *key, const vmsim_stats_t *s)
{
    fprintf(f, "\"%s\": {\"walks\": %" PRIu64 ", \"entries_read\": %" PRIu64
            ", \"dirty_walks\": %" PRIu64 ", \"ad_writes\": %" PRIu64 "}", key, s->walks,
            s->walk_reads, s->dirty_walks, s->ad_writes);
}

static void json_config(FILE *f, const struct trace_run_options *opt)
{
    const vmsim_config_t *mc = &opt->replay.machine;
    fprintf(f, "  \"config\": {\"ram_bytes\": %" PRIu64 ", \"page_size\": %u, \"populate\": %s, "
            "\"split_tlb\": %s, ", mc->ram_bytes, 1u << opt->replay.page_shift,
            opt->replay.populate ? "true" : "false", mc->split_tlb ? "true" : "false");
    if (mc->split_tlb) {
        json_tlb_config(f, "itlb", &mc->itlb);
        fputs(", ", f);
    }
    json_tlb_config(f, mc->split_tlb ? "dtlb" : "unified", &mc->dtlb);
    fputs("},\n", f);
}

static void json_paging(FILE *f, const struct trace_run_options *opt,
                        const struct replay_results *r)
{
    const struct replay_os_counters *os = &r->os;
    if (!opt->replay.paging.frames)
        return;
    fprintf(f, "  \"paging\": {\"frames\": %u, \"policy\": \"%s\", \"references\": %" PRIu64
            ", \"faults\": %" PRIu64 ", \"cold\": %" PRIu64 ", \"reloads\": %" PRIu64
            ", \"evictions\": %" PRIu64 ", \"writebacks\": %" PRIu64 ", \"minor_faults\": %" PRIu64
            ", \"major_faults\": %" PRIu64 ", \"swap_ins\": %" PRIu64 ", \"swap_outs\": %" PRIu64
            ", \"ad_clears\": %" PRIu64 ", \"ad_clear_invlpgs\": %" PRIu64
            ", \"effective_access_ns\": %.3f},\n",
            opt->replay.paging.frames, vmsim_policy_name(opt->replay.paging.policy), r->references,
            os->cold + os->reloads, os->cold, os->reloads, os->evictions, os->writebacks,
            os->faults_minor, os->faults_major, os->swap_ins, os->swap_outs, os->ad_clears,
            os->ad_clear_invlpgs, eat_ns(r));
}

void trace_report_json(FILE *f, const char *name, const struct trace_run_options *opt,
                       const struct trace_run_output *out)
{
    const struct replay_results *r = &out->r;
    bool split = opt->replay.machine.split_tlb;
    fputs("{\n  \"trace\": ", f);
    json_string(f, name);
    fprintf(f, ",\n  \"format\": \"%s\",\n  \"kernel\": ", out->binary ? "binary" : "lackey");
    json_string(f, replay_os_name());
    fputs(",\n", f);
    json_config(f, opt);
    fprintf(f, "  \"accesses\": {\"fetch\": %" PRIu64 ", \"load\": %" PRIu64 ", \"store\": %" PRIu64
            ", \"modify\": %" PRIu64 ", \"total\": %" PRIu64 ", \"page_crossing\": %" PRIu64
            "},\n  \"regions\": %u,\n", r->access[0], r->access[1], r->access[2], r->access[3],
            total(out), r->page_splits, r->regions);
    json_tlbs(f, "tlb", &r->program, split);
    json_tlbs(f, "kernel_tlb", &r->kernel, split);
    fputs("  \"walks\": {", f);
    json_walks(f, "program", &r->program);
    fputs(", ", f);
    json_walks(f, "kernel", &r->kernel);
    fprintf(f, "},\n  \"faults\": {\"raised\": %" PRIu64 ", \"not_present\": %" PRIu64
            ", \"protection\": %" PRIu64 ", \"resolved\": %" PRIu64 ", \"demand_zero\": %" PRIu64
            ", \"zero_map\": %" PRIu64 ", \"zero_break\": %" PRIu64 "},\n", r->program.faults,
            r->program.faults_not_present, r->program.faults_protection, r->os.faults_resolved,
            r->os.demand_zero, r->os.zero_map, r->os.zero_break);
    fprintf(f, "  \"frames_used\": %" PRIu64 ",\n  \"user_frames\": %" PRIu64
            ",\n  \"page_tables\": %" PRIu64 ",\n  \"skipped_lines\": %" PRIu64 ",\n",
            r->os.frames_used, r->os.user_frames, r->os.page_tables, out->skipped);
    json_paging(f, opt, r);
    fprintf(f, "  \"replay\": {\"seconds\": %.6f, \"setup_seconds\": %.6f, "
            "\"accesses_per_second\": %.0f}\n}\n", out->seconds, out->setup_seconds,
            out->seconds > 0 ? (double)total(out) / out->seconds : 0);
}

/* --- CSV --- */

static const char csv_header[] =
    "trace,format,page_size,populate,split_tlb,itlb_entries,itlb_ways,itlb_policy,dtlb_entries,"
    "dtlb_ways,dtlb_policy,fetch,load,store,modify,itlb_lookups,itlb_hits,itlb_misses,"
    "itlb_hit_rate,itlb_evictions,dtlb_lookups,dtlb_hits,dtlb_misses,dtlb_hit_rate,"
    "dtlb_evictions,walks,entries_read,dirty_walks,ad_writes,faults,faults_resolved,frames_used,"
    "kernel_lookups,kernel_misses,kernel_walks,seconds,accesses_per_second,vmsim_version";

/* Appended with --frames: the paging spec's figures under its names. */
static const char csv_paging_header[] =
    ",frames,policy,references,faults,cold,reloads,evictions,writebacks,minor_faults,"
    "major_faults,swap_ins,swap_outs,swap_bytes_in,swap_bytes_out,ad_clears,ad_clear_invlpgs,"
    "effective_access_ns";

static void csv_paging(FILE *f, const struct trace_run_options *opt, const struct replay_results *r)
{
    const struct replay_os_counters *os = &r->os;
    fprintf(f, ",%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%.3f",
            opt->replay.paging.frames, vmsim_policy_name(opt->replay.paging.policy), r->references,
            os->cold + os->reloads, os->cold, os->reloads, os->evictions, os->writebacks,
            os->faults_minor, os->faults_major, os->swap_ins, os->swap_outs, os->swap_bytes_in,
            os->swap_bytes_out, os->ad_clears, os->ad_clear_invlpgs, eat_ns(r));
}

static void csv_tlb(FILE *f, const vmsim_tlb_stats_t *s, bool present)
{
    if (!present) {
        fputs(",,,,,", f);
        return;
    }
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",", s->lookups, s->hits,
            s->misses, rate(s->hits, s->lookups), s->evictions);
}

void trace_report_csv(FILE *f, const char *name, const struct trace_run_options *opt,
                      const struct trace_run_output *out, bool header)
{
    const vmsim_config_t *mc = &opt->replay.machine;
    const struct replay_results *r = &out->r;
    bool paging = opt->replay.paging.frames != 0;
    if (header)
        fprintf(f, "%s%s\n", csv_header, paging ? csv_paging_header : "");
    fputc('"', f);
    for (const char *s = name; *s; s++)
        fputs(*s == '"' ? "\"\"" : (char[]){*s, 0}, f);
    fprintf(f, "\",%s,%u,%d,%d,", out->binary ? "binary" : "lackey", 1u << opt->replay.page_shift,
            opt->replay.populate, mc->split_tlb);
    if (mc->split_tlb)
        fprintf(f, "%u,%u,%s,", mc->itlb.entries, mc->itlb.ways, vmsim_tlb_policy_name(mc->itlb.policy));
    else
        fputs(",,,", f);
    fprintf(f, "%u,%u,%s,", mc->dtlb.entries, mc->dtlb.ways, vmsim_tlb_policy_name(mc->dtlb.policy));
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", r->access[0], r->access[1],
            r->access[2], r->access[3]);
    csv_tlb(f, &r->program.itlb, mc->split_tlb);
    csv_tlb(f, &r->program.dtlb, true);
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",", r->program.walks, r->program.walk_reads, r->program.dirty_walks,
            r->program.ad_writes, r->program.faults, r->os.faults_resolved, r->os.frames_used);
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%.0f,%s",
            r->kernel.dtlb.lookups + r->kernel.itlb.lookups,
            r->kernel.dtlb.misses + r->kernel.itlb.misses, r->kernel.walks, out->seconds,
            out->seconds > 0 ? (double)total(out) / out->seconds : 0, vmsim_version());
    if (paging)
        csv_paging(f, opt, r);
    fputc('\n', f);
}
