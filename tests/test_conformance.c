/*
 * test_conformance.c - the conformance runner: every vector of a folder
 * of shared/ run in process through scenario_run() and compared with its
 * expected output byte for byte.
 *
 *   usage: conformance [SET [--retention]]
 *                                SET is a folder of VMSIM_SHARED_DIR:
 *                                "conformance" (default), "conformance-pae",
 *                                "conformance-64" or "conformance-sdm"
 *
 * Each NNN-name.scn runs three ways:
 *
 *   default TLB   (split, 64 x 4-way LRU)   must print NNN-name.out exactly;
 *   unified TLB                              must print NNN-name.out exactly;
 *   with an STLB  (1536 x 12-way behind the default L1s, then behind
 *                 2-entry L1s, then with paging-structure caches too)
 *                                            must print NNN-name.out exactly;
 *   no TLB        must print what the default TLB prints for the same
 *                 scenario once its deliberate stale reads are left out.
 *
 * A stale read is the one place where a vector depends on having a TLB
 * (spec/scenario.md: after a table change the vectors flush before
 * touching the page again, "except for one deliberate stale read that
 * repeats the access that cached it").  Such a line -- an access that
 * repeats the previous access while a phys32/phys64 made after the first
 * access has not yet been followed by invlpg or a control-register load
 * -- is blanked (line numbers stay), and TLB on and TLB off must then
 * agree on everything else: the design's "TLB on vs. TLB off" check.
 * --retention names a set whose vectors test what the TLB keeps (global
 * pages, PCIDs, INVPCID: conformance-sdm); without a TLB nothing is kept,
 * so for those the no-TLB run is left out.
 *
 * On a mismatch the file name and the first differing line are printed.
 * The last line is "SET: N passed, M failed"; the exit status is 0 when
 * nothing failed, 1 otherwise, 77 (skipped) when the folder is absent.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define SKIPPED 77

struct text {
    char *data;
    size_t len;
};

static bool read_file(const char *path, struct text *t)
{
    FILE *f = fopen(path, "rb");
    t->data = NULL;
    t->len = 0;
    if (!f)
        return false;
    char buf[4096];
    FILE *mem = open_memstream(&t->data, &t->len);
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, mem);
    bool ok = mem && !ferror(f);
    fclose(f);
    if (mem)
        fclose(mem);
    return ok;
}

/* Run scenario `in` with `opt`; output and errors into *out, *err. */
static int run(const struct text *in, const char *name, const struct scenario_options *opt,
               struct text *out, struct text *err)
{
    FILE *fin = fmemopen(in->data, in->len, "r");
    FILE *fout = open_memstream(&out->data, &out->len);
    FILE *ferr = open_memstream(&err->data, &err->len);
    int rc = fin && fout && ferr ? scenario_run(fin, name, fout, ferr, opt) : 1;
    if (fin)
        fclose(fin);
    if (fout)
        fclose(fout);
    if (ferr)
        fclose(ferr);
    return rc;
}

/* Print where `got` first differs from `want`, line by line. */
static void show_difference(const char *name, const char *how, const struct text *want,
                            const struct text *got)
{
    const char *w = want->data, *g = got->data;
    unsigned line = 1;
    while (*w && *g) {
        size_t lw = strcspn(w, "\n"), lg = strcspn(g, "\n");
        if (lw != lg || memcmp(w, g, lw) != 0)
            break;
        w += lw + (w[lw] == '\n');
        g += lg + (g[lg] == '\n');
        line++;
    }
    printf("FAIL %s (%s): first difference at output line %u\n", name, how, line);
    printf("  expected: %.*s\n", *w ? (int)strcspn(w, "\n") : 12, *w ? w : "<end of output>");
    printf("  got:      %.*s\n", *g ? (int)strcspn(g, "\n") : 12, *g ? g : "<end of output>");
}

/* Run one variant and compare its output with `want`. */
static bool check(const struct text *scn, const char *name, const char *how,
                  const struct scenario_options *opt, const struct text *want)
{
    struct text out = {0}, err = {0};
    int rc = run(scn, name, opt, &out, &err);
    bool ok = rc == 0 && err.len == 0 && out.len == want->len &&
              memcmp(out.data, want->data, out.len) == 0;
    if (!ok && (rc != 0 || err.len))
        printf("FAIL %s (%s): status %d\n%s", name, how, rc, err.data ? err.data : "");
    else if (!ok)
        show_difference(name, how, want, &out);
    free(out.data);
    free(err.data);
    return ok;
}

/* --- leaving out deliberate stale reads ----------------------------------- */

struct stale_state {
    bool seen_access;    /* an access has been made */
    bool tables_changed; /* phys32/phys64 since the first access, no flush since */
    char previous[256];  /* the previous access's fields, space-joined */
};

/* The directive fields of `line` (comment cut), space-joined into buf. */
static void join_fields(const char *line, size_t len, char *buf, size_t size)
{
    char copy[256];
    size_t n = len < sizeof copy - 1 ? len : sizeof copy - 1;
    memcpy(copy, line, n);
    copy[n] = '\0';
    copy[strcspn(copy, "#")] = '\0';
    buf[0] = '\0';
    for (char *tok = strtok(copy, " \t\r"); tok; tok = strtok(NULL, " \t\r")) {
        if (buf[0])
            strncat(buf, " ", size - strlen(buf) - 1);
        strncat(buf, tok, size - strlen(buf) - 1);
    }
}

static bool starts_with_word(const char *fields, const char *word)
{
    size_t n = strlen(word);
    return strncmp(fields, word, n) == 0 && (fields[n] == ' ' || fields[n] == '\0');
}

/* Is this line a stale read?  Updates the state either way. */
static bool is_stale_read(struct stale_state *s, const char *fields)
{
    if (starts_with_word(fields, "read") || starts_with_word(fields, "write") ||
        starts_with_word(fields, "fetch")) {
        if (s->tables_changed && strcmp(fields, s->previous) == 0)
            return true;
        snprintf(s->previous, sizeof s->previous, "%s", fields);
        s->seen_access = true;
    } else if (starts_with_word(fields, "phys32") || starts_with_word(fields, "phys64")) {
        s->tables_changed = s->tables_changed || s->seen_access;
    } else if (starts_with_word(fields, "invlpg") || starts_with_word(fields, "invpcid") ||
               starts_with_word(fields, "cr0") || starts_with_word(fields, "cr3") ||
               starts_with_word(fields, "cr4")) {
        s->tables_changed = false;
    }
    return false;
}

/* A copy of `scn` with every stale read blanked; *n_stale counts them. */
static struct text without_stale_reads(const struct text *scn, unsigned *n_stale)
{
    struct text t = {malloc(scn->len + 1), scn->len};
    struct stale_state s = {0};
    char fields[256];
    *n_stale = 0;
    memcpy(t.data, scn->data, scn->len);
    t.data[t.len] = '\0';
    for (char *line = t.data; line < t.data + t.len;) {
        size_t len = strcspn(line, "\n");
        join_fields(line, len, fields, sizeof fields);
        if (is_stale_read(&s, fields)) {
            memset(line, ' ', len);
            ++*n_stale;
        }
        line += len + 1;
    }
    return t;
}

/* --- one vector, one folder ------------------------------------------------ */

static bool check_without_tlb(const struct text *scn, const char *name, unsigned *n_stale)
{
    struct scenario_options with, without;
    struct text stripped = without_stale_reads(scn, n_stale);
    struct text ref = {0}, err = {0};
    scenario_options_default(&with);
    scenario_options_default(&without);
    without.config.dtlb.entries = without.config.itlb.entries = 0;
    bool ok = run(&stripped, name, &with, &ref, &err) == 0 && err.len == 0;
    if (!ok)
        printf("FAIL %s (default TLB, stale reads left out): %s", name, err.data ? err.data : "");
    ok = ok && check(&stripped, name, "no TLB vs. TLB, stale reads left out", &without, &ref);
    free(stripped.data);
    free(ref.data);
    free(err.data);
    return ok;
}

static bool check_vector(const char *dir, const char *file, bool retention, unsigned *n_stale)
{
    char path[4096];
    struct text scn, want;
    struct scenario_options opt;
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
        printf("FAIL %s: path too long\n", file);
        return false;
    }
    bool ok = read_file(path, &scn);
    memcpy(path + strlen(path) - 4, ".out", 4); /* NAME.scn -> NAME.out */
    if (!ok || !read_file(path, &want)) {
        printf("FAIL %s: cannot read it or its .out\n", file);
        free(scn.data);
        return false;
    }
    scenario_options_default(&opt);
    ok = check(&scn, file, "default TLB", &opt, &want);
    opt.config.split_tlb = false;
    ok = check(&scn, file, "unified TLB", &opt, &want) && ok;
    /* a second-level TLB behind the L1s, then behind tiny L1s that evict
     * all the time: the hierarchy must keep and drop exactly what one
     * large TLB would */
    opt.config.split_tlb = true;
    opt.config.stlb = vmsim_tlb_config(1536, 12, VMSIM_TLB_LRU);
    ok = check(&scn, file, "default TLB and an STLB", &opt, &want) && ok;
    opt.config.dtlb = opt.config.itlb = vmsim_tlb_config(2, 2, VMSIM_TLB_FIFO);
    ok = check(&scn, file, "2-entry L1 TLBs and an STLB", &opt, &want) && ok;
    /* paging-structure caches at every level: the vectors change a table
     * entry only with the flush the SDM asks for, so nothing may differ */
    opt.config.psc_pml5e = opt.config.psc_pml4e = vmsim_tlb_config(4, 4, VMSIM_TLB_LRU);
    opt.config.psc_pdpte = opt.config.psc_pde = vmsim_tlb_config(32, 4, VMSIM_TLB_LRU);
    ok = check(&scn, file, "2-entry L1 TLBs, an STLB and paging-structure caches", &opt, &want) &&
         ok;
    if (!retention)
        ok = check_without_tlb(&scn, file, n_stale) && ok;
    free(scn.data);
    free(want.data);
    return ok;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.scn names of `dir`, sorted; NULL when the folder cannot be read. */
static char **list_vectors(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".scn") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (!names)
        names = calloc(1, sizeof *names);
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

int main(int argc, char **argv)
{
    const char *set = argc > 1 ? argv[1] : "conformance";
    bool retention = argc > 2 && strcmp(argv[2], "--retention") == 0;
    char dir[4096];
    size_t n;
    unsigned passed = 0, failed = 0, n_stale = 0, stale_files = 0;
    snprintf(dir, sizeof dir, "%s/%s", VMSIM_SHARED_DIR, set);
    char **names = list_vectors(dir, &n);
    if (!names) {
        printf("skipped: %s not found; set -DVMSIM_SHARED_DIR\n", dir);
        return SKIPPED;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned stale = 0;
        if (check_vector(dir, names[i], retention, &stale))
            passed++;
        else
            failed++;
        n_stale += stale;
        stale_files += stale > 0;
        free(names[i]);
    }
    free(names);
    if (n == 0) {
        printf("%s: no *.scn vectors in %s\n", set, dir);
        failed = 1;
    }
    printf("(the TLB-off runs left out %u deliberate stale reads in %u vectors)\n", n_stale,
           stale_files);
    printf("%s: %u passed, %u failed\n", set, passed, failed);
    return failed ? 1 : 0;
}
