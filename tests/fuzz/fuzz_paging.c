/*
 * fuzz_paging.c - libFuzzer target: the input is a trace (lackey text,
 * gzip or binary), decoded as `vmsim paging FILE` decodes it.
 *
 * For every input:
 *   1. decoding gives status 0, 1 or 2, with a message exactly when not
 *      0, and with 4 MiB pages too;
 *   2. a decoded string is well formed: every page id below n_pages and
 *      used, the first reference of the string and of every access
 *      without PAGING_CONT, no access wider than `widest`, ids in
 *      increasing page order;
 *   3. for F from the widest access up to a few past the distinct pages,
 *      every fixed-F policy keeps the counting identities (faults = cold
 *      + reloads, cold = distinct pages, evictions = faults - min(F,
 *      pages), write-backs <= evictions, faults <= references);
 *   4. the one-pass lru and opt curves equal direct simulation at every
 *      such F (opt with pinning, every F vouched for), and lru and opt
 *      never fault more with more frames;
 *   5. ws keeps faults >= cold and a mean working set of at most
 *      min(tau, pages).
 * Strings longer than 4,000 references are only decoded and checked
 * (2), to keep each run short.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "paging.h"

static void check_string(const struct paging_refs *r)
{
    uint32_t width = 0;
    bool *seen = calloc((size_t)r->n_pages + 1, 1);
    FUZZ_CHECK(seen != NULL, "out of memory");
    for (uint64_t t = 0; t < r->n; t++) {
        uint32_t p = r->ref[t] >> PAGING_ID_SHIFT;
        FUZZ_CHECK(p < r->n_pages, "reference %llu: page id %u of %u", (unsigned long long)t, p,
                   r->n_pages);
        seen[p] = true;
        width = (r->ref[t] & PAGING_CONT) ? width + 1 : 1;
        FUZZ_CHECK(t > 0 || !(r->ref[t] & PAGING_CONT), "the string starts inside an access");
        FUZZ_CHECK(width <= r->widest, "an access of %u pages, widest %u", width, r->widest);
    }
    for (uint32_t p = 0; p < r->n_pages; p++) {
        FUZZ_CHECK(seen[p], "page id %u never referenced", p);
        FUZZ_CHECK(p == 0 || r->page[p - 1] < r->page[p], "ids not in page order at %u", p);
    }
    free(seen);
}

static void check_identities(const struct paging_refs *r, const struct paging_result *o, uint32_t F)
{
    FUZZ_CHECK(o->references == r->n, "references %llu", (unsigned long long)o->references);
    FUZZ_CHECK(o->faults == o->cold + o->reloads, "faults != cold + reloads at F=%u", F);
    FUZZ_CHECK(o->cold == r->n_pages, "cold %llu, pages %u", (unsigned long long)o->cold,
               r->n_pages);
    FUZZ_CHECK(o->evictions == o->faults - (F < r->n_pages ? F : r->n_pages),
               "evictions %llu at F=%u", (unsigned long long)o->evictions, F);
    FUZZ_CHECK(o->writebacks <= o->evictions && o->faults <= r->n, "write-backs or faults at F=%u",
               F);
}

static void check_policies(struct paging_refs *r)
{
    static const enum paging_kind kinds[] = {PAGING_FIFO,   PAGING_LRU,   PAGING_OPT,
                                             PAGING_RANDOM, PAGING_CLOCK, PAGING_ECLOCK,
                                             PAGING_AGING};
    uint32_t frames[16];
    struct paging_result lru[16], opt[16], o;
    bool exact[16];
    size_t n = 0;
    FUZZ_CHECK(paging_refs_next(r) == 0, "out of memory");
    for (uint32_t F = r->widest > 2 ? r->widest : 2; F <= r->n_pages + 2 && n < 16; F++)
        frames[n++] = F;
    FUZZ_CHECK(paging_lru_curve(r, frames, n, lru) == 0, "lru curve failed");
    FUZZ_CHECK(paging_opt_curve(r, frames, n, opt, exact) == 0, "opt curve failed");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            struct paging_policy p = paging_policy_default(kinds[k]);
            p.k = 1 + (uint32_t)(r->n % 32);
            p.t = 1 + r->n % 7;
            FUZZ_CHECK(paging_simulate(r, &p, frames[i], &o) == 0, "simulation failed");
            check_identities(r, &o, frames[i]);
            if (kinds[k] == PAGING_LRU)
                FUZZ_CHECK(!memcmp(&o, &lru[i], sizeof o), "lru curve != direct at F=%u",
                           frames[i]);
            if (kinds[k] == PAGING_OPT)
                FUZZ_CHECK(exact[i] && !memcmp(&o, &opt[i], sizeof o),
                           "opt curve != direct at F=%u", frames[i]);
        }
        FUZZ_CHECK(i == 0 ||
                       (lru[i].faults <= lru[i - 1].faults && opt[i].faults <= opt[i - 1].faults),
                   "a stack algorithm faulted more with more frames at F=%u", frames[i]);
    }
    for (uint64_t tau = 1; tau <= 64; tau *= 4) {
        FUZZ_CHECK(paging_ws(r, tau, &o) == 0, "ws failed");
        FUZZ_CHECK(o.faults >= o.cold && o.cold == r->n_pages, "ws faults at tau=%llu",
                   (unsigned long long)tau);
        FUZZ_CHECK(o.mean_ws <= (double)(tau < r->n_pages ? tau : r->n_pages) + 1e-9,
                   "ws mean %f at tau=%llu", o.mean_ws, (unsigned long long)tau);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-paging", 0);
    FUZZ_CHECK(fd >= 0, "memfd_create failed");
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size, "write to the memfd failed");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    for (unsigned shift = 12; shift <= 22; shift += 10) {
        struct paging_refs r;
        char err[512] = "";
        int rc = paging_decode(path, shift, false, &r, err, sizeof err);
        FUZZ_CHECK(rc == 0 || rc == 1 || rc == 2, "status %d", rc);
        FUZZ_CHECK((rc != 0) == (err[0] != 0), "status %d with message '%s'", rc, err);
        if (rc == 0) {
            check_string(&r);
            if (r.n <= 4000)
                check_policies(&r);
        }
        paging_refs_free(&r);
    }
    close(fd);
    return 0;
}
