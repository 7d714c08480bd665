/*
 * scenario.c - the scenario language of `vmsim run`.
 *
 * A scenario is read line by line.  Each line is split into at most
 * MAX_FIELDS fields after its comment is cut off; the first field names
 * the directive, which is looked up in a table giving its argument count
 * and handler.  The machine is created lazily, at the first directive
 * that is not `ram`, so that `ram` can size it.
 *
 * After an access the words named by phys32/phys64 directives that the
 * access changed are printed.  To find them without rereading every
 * word, a translation observer collects what each access may have
 * written (entries whose A/D bits the walk set, and the data bytes of a
 * write); only tracked words overlapping those ranges are compared.
 *
 * Tracked words live in a hash table keyed by 8-byte granule (a word is
 * 4- or 8-byte aligned, so it lies in one granule: a phys64, or up to
 * two phys32 halves).  A touched range is at most 8 bytes, two
 * granules, so both naming a word and reporting an access's changes
 * cost O(1) however many words a scenario names.
 *
 * Input is bounded: a line longer than SCN_MAX_LINE bytes, or holding a
 * NUL byte, is an error (so is /dev/zero), and text echoed in a message
 * is cut to ECHO_MAX characters with "...".
 */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/types.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS   8
#define MAX_TOUCHED  16
#define SCN_MAX_LINE (1u << 20) /* as the lackey reader */
#define ECHO_MAX     40

/* printf arguments for "%.*s%s": s cut to ECHO_MAX characters, then "..." */
#define ECHO(s)                                                                                    \
    (strlen(s) > ECHO_MAX ? ECHO_MAX : (int)strlen(s)), (s), (strlen(s) > ECHO_MAX ? "..." : "")

struct word {
    uint64_t addr;
    unsigned width;
    uint64_t value;
};

/* The words of one 8-byte granule: a phys64, or phys32 halves. */
enum { HAS_LO32 = 1, HAS_HI32 = 2, HAS_64 = 4 };
struct granule {
    uint64_t key;   /* granule number + 1; 0 = empty slot */
    uint64_t value; /* last known value of the words present (halves for phys32) */
    unsigned has;
};

struct range {
    uint64_t addr, len;
};

struct run {
    const char *name;
    unsigned line;
    FILE *out, *err;
    const struct scenario_options *opt;
    vmsim_config_t config;
    vmsim_machine_t *m;
    bool seen_directive;     /* any directive yet (for `ram`) */
    struct granule *words;   /* tracked words: open addressing, linear probing */
    size_t n_words, cap_words; /* granules in use, slots (a power of two) */
    struct range touched[MAX_TOUCHED];
    unsigned n_touched;
    struct range pieces[2];  /* data pieces of the current access */
    unsigned n_pieces;
};

static int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct run *r, const char *fmt, ...)
{
    va_list ap;
    fprintf(r->err, "%s:%u: error: ", r->name, r->line);
    va_start(ap, fmt);
    vfprintf(r->err, fmt, ap);
    va_end(ap);
    fputc('\n', r->err);
    return 2;
}

enum number_status { NUMBER_OK, NUMBER_TOO_BIG, NUMBER_MALFORMED };

/* Parse a decimal or 0x-hexadecimal number no larger than `max`. */
static enum number_status parse_number(const char *s, uint64_t max, uint64_t *out)
{
    int base = 10;
    bool too_big = false;
    if (s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    if (!*s)
        return NUMBER_MALFORMED;
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return NUMBER_MALFORMED;
        if (d > max || v > (max - d) / (unsigned)base)
            too_big = true; /* keep going: a later bad digit makes it malformed */
        else
            v = v * (unsigned)base + d;
    }
    *out = v;
    return too_big ? NUMBER_TOO_BIG : NUMBER_OK;
}

static int number(struct run *r, const char *field, const char *what, uint64_t max, uint64_t *out)
{
    switch (parse_number(field, max, out)) {
    case NUMBER_OK: return 0;
    case NUMBER_TOO_BIG:
        return fail(r, "%s '%.*s%s' does not fit (largest is 0x%" PRIx64 ")", what, ECHO(field),
                    max);
    default:
        return fail(r, "%s '%.*s%s' is not a number (decimal, or hexadecimal with 0x)", what,
                    ECHO(field));
    }
}

static void observe(void *user, const vmsim_translation_t *t);

static int ensure_machine(struct run *r)
{
    if (r->m)
        return 0;
    vmsim_status_t rc = vmsim_create(&r->config, &r->m);
    if (rc) {
        fprintf(r->err, "%s:%u: error: cannot create the machine: %s\n", r->name, r->line,
                vmsim_strerror(rc));
        return rc == VMSIM_ERR_NOMEM ? 1 : 2;
    }
    vmsim_set_translation_observer(r->m, observe, r);
    return 0;
}

/* --- tracked words --- */

static size_t granule_hash(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

/* The slot of granule g, or the empty slot where it would go. */
static struct granule *granule_slot(struct granule *t, size_t cap, uint64_t g)
{
    size_t i = granule_hash(g + 1, cap);
    while (t[i].key && t[i].key != g + 1)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static struct granule *granule_find(const struct run *r, uint64_t g)
{
    if (!r->cap_words)
        return NULL;
    struct granule *e = granule_slot(r->words, r->cap_words, g);
    return e->key ? e : NULL;
}

/* Keep the table at most half full.  Returns false when out of memory. */
static bool granules_grow(struct run *r)
{
    if (2 * (r->n_words + 1) <= r->cap_words)
        return true;
    size_t cap = r->cap_words ? 2 * r->cap_words : 64;
    struct granule *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < r->cap_words; i++)
        if (r->words[i].key)
            *granule_slot(t, cap, r->words[i].key - 1) = r->words[i];
    free(r->words);
    r->words = t;
    r->cap_words = cap;
    return true;
}

/* The bits of a granule a word occupies. */
static unsigned word_bits(uint64_t addr, unsigned width)
{
    return width == 8 ? HAS_64 : (addr & 4) ? HAS_HI32 : HAS_LO32;
}

/* Name one of the words of e that `bits` overlaps, for a message. */
static struct word granule_word(const struct granule *e, unsigned bits)
{
    uint64_t base = (e->key - 1) << 3;
    if (e->has & HAS_64)
        return (struct word){base, 8, e->value};
    if ((bits & HAS_LO32 || bits & HAS_64) && (e->has & HAS_LO32))
        return (struct word){base, 4, (uint32_t)e->value};
    return (struct word){base + 4, 4, e->value >> 32};
}

static void granule_set(struct granule *e, unsigned bits, uint64_t value)
{
    if (bits == HAS_64)
        e->value = value;
    else if (bits == HAS_LO32)
        e->value = (e->value & ~0xffffffffull) | (uint32_t)value;
    else
        e->value = (e->value & 0xffffffffull) | value << 32;
    e->has |= bits;
}

static int track_word(struct run *r, uint64_t addr, unsigned width, uint64_t value)
{
    unsigned bits = word_bits(addr, width);
    struct granule *e = granule_find(r, addr >> 3);
    unsigned clash = bits == HAS_64 ? HAS_LO32 | HAS_HI32 : HAS_64;
    if (e && (e->has & clash)) {
        struct word w = granule_word(e, bits);
        return fail(
            r, "phys%u at 0x%" PRIx64 " overlaps the %u-bit word at 0x%" PRIx64 " named earlier",
            width * 8, addr, w.width * 8, w.addr);
    }
    if (!e) {
        if (!granules_grow(r)) {
            fprintf(r->err, "%s:%u: error: out of memory\n", r->name, r->line);
            return 1;
        }
        e = granule_slot(r->words, r->cap_words, addr >> 3);
        e->key = (addr >> 3) + 1;
        r->n_words++;
    }
    granule_set(e, bits, value);
    return 0;
}

static void touch(struct run *r, uint64_t addr, uint64_t len)
{
    if (r->n_touched < MAX_TOUCHED)
        r->touched[r->n_touched++] = (struct range){addr, len};
}

static void observe(void *user, const vmsim_translation_t *t)
{
    struct run *r = user;
    if (r->opt->explain)
        explain_translation(r->opt->explain, r->m, t);
    /* steps[].new_value differs from value only where the MMU wrote */
    for (unsigned i = 0; i < t->n_steps; i++)
        if (t->steps[i].new_value != t->steps[i].value)
            touch(r, t->steps[i].addr, t->steps[i].width);
    if (t->outcome == VMSIM_OUTCOME_OK && r->n_pieces < 2)
        r->pieces[r->n_pieces++] = (struct range){t->paddr, 0};
}

static bool overlaps(const struct word *w, const struct range *g)
{
    return w->addr < g->addr + g->len && g->addr < w->addr + w->width;
}

/* Add the tracked words of granule g that overlap `t` to hits[] (no repeats). */
static unsigned collect_hits(const struct run *r, uint64_t g, const struct range *t,
                             struct word *hits, unsigned n)
{
    const struct granule *e = granule_find(r, g);
    if (!e)
        return n;
    struct word in[2];
    unsigned n_in = 0;
    if (e->has & HAS_64)
        in[n_in++] = (struct word){g << 3, 8, e->value};
    if (e->has & HAS_LO32)
        in[n_in++] = (struct word){g << 3, 4, (uint32_t)e->value};
    if (e->has & HAS_HI32)
        in[n_in++] = (struct word){(g << 3) + 4, 4, e->value >> 32};
    for (unsigned i = 0; i < n_in; i++) {
        bool seen = false;
        for (unsigned k = 0; k < n && !seen; k++)
            seen = hits[k].addr == in[i].addr;
        if (!seen && overlaps(&in[i], t))
            hits[n++] = in[i];
    }
    return n;
}

static int by_address(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Print the tracked words the last access changed, in address order. */
static void print_changes(struct run *r)
{
    struct word hits[MAX_TOUCHED * 4];
    unsigned n = 0;
    for (unsigned i = 0; i < r->n_touched && r->n_words; i++) {
        const struct range *t = &r->touched[i];
        if (t->len == 0)
            continue;
        for (uint64_t g = t->addr >> 3; g <= (t->addr + t->len - 1) >> 3; g++)
            n = collect_hits(r, g, t, hits, n);
    }
    qsort(hits, n, sizeof *hits, by_address);
    for (unsigned i = 0; i < n; i++) {
        struct word *w = &hits[i];
        uint64_t now = 0;
        vmsim_bus_read(r->m, w->addr, &now, w->width);
        if (now != w->value)
            fprintf(r->out, "  ~ 0x%" PRIx64 " 0x%" PRIx64 " -> 0x%" PRIx64 "\n", w->addr, w->value, now);
        granule_set(granule_find(r, w->addr >> 3), word_bits(w->addr, w->width), now);
    }
}

/* --- directives --- */

static int do_ram(struct run *r, char **f)
{
    uint64_t bytes;
    if (r->seen_directive)
        return fail(r, "'ram' must come before any other directive");
    int rc = number(r, f[1], "RAM size", VMSIM_RAM_MAX, &bytes);
    if (rc)
        return rc;
    if (bytes < VMSIM_RAM_MIN || bytes % VMSIM_PAGE_SIZE)
        return fail(r, "RAM size 0x%" PRIx64 " must be a multiple of 4096, at least 4096", bytes);
    r->config.ram_bytes = bytes;
    return 0;
}

static int do_maxphyaddr(struct run *r, char **f)
{
    uint64_t bits;
    int rc = number(r, f[1], "maxphyaddr", 52, &bits);
    if (rc)
        return rc;
    if (bits < 32)
        return fail(r, "maxphyaddr %" PRIu64 " is out of range (32 to 52)", bits);
    r->config.maxphyaddr = (unsigned)bits;
    return r->m ? (vmsim_set_maxphyaddr(r->m, (unsigned)bits) ? 2 : 0) : 0;
}

static int do_phys(struct run *r, char **f, unsigned width)
{
    uint64_t addr, value;
    int rc = number(r, f[1], "physical address", UINT64_MAX, &addr);
    if (!rc)
        rc = number(r, f[2], "value", width == 4 ? UINT32_MAX : UINT64_MAX, &value);
    if (!rc)
        rc = ensure_machine(r);
    if (rc)
        return rc;
    if (addr % width)
        return fail(r, "phys%u address 0x%" PRIx64 " is not %u-byte aligned", width * 8, addr, width);
    if (addr > vmsim_ram_size(r->m) - width)
        return fail(r, "phys%u address 0x%" PRIx64 " is outside RAM (size 0x%" PRIx64 ")",
                    width * 8, addr, vmsim_ram_size(r->m));
    rc = track_word(r, addr, width, value);
    if (!rc)
        vmsim_bus_write(r->m, addr, &value, width);
    return rc;
}

static int do_phys32(struct run *r, char **f) { return do_phys(r, f, 4); }
static int do_phys64(struct run *r, char **f) { return do_phys(r, f, 8); }

static int do_reg(struct run *r, char **f, vmsim_reg_t reg, uint64_t max)
{
    uint64_t value;
    int rc = number(r, f[1], "register value", max, &value);
    if (!rc)
        rc = ensure_machine(r);
    if (rc)
        return rc;
    vmsim_status_t st = vmsim_write_reg(r->m, reg, value);
    if (st == VMSIM_ERR_GP) {
        fprintf(r->out, "%s 0x%" PRIx64 " -> #GP\n", f[0], value);
    } else if (st == VMSIM_ERR_BUS) {
        /* the PDPTEs a PAE load needed lie outside RAM: name their address,
         * from the value loaded into CR3, or from CR3 for a CR0/CR4 load */
        uint64_t cr3 = value;
        if (reg != VMSIM_REG_CR3)
            vmsim_read_reg(r->m, VMSIM_REG_CR3, &cr3);
        fprintf(r->out, "%s 0x%" PRIx64 " -> !bus 0x%" PRIx64 "\n", f[0], value,
                cr3 & 0xffffffe0u);
    } else if (st) {
        return fail(r, "%s 0x%" PRIx64 ": %s", f[0], value, vmsim_strerror(st));
    }
    if (r->opt->explain && st)
        fprintf(r->opt->explain, "%s 0x%" PRIx64 " refused: %s\n", f[0], value, vmsim_strerror(st));
    return 0;
}

/* Is IA-32e mode active (64-bit linear addresses, a 64-bit CR3)? */
static bool long_mode(const struct run *r)
{
    vmsim_paging_t p = vmsim_paging_mode(r->m);
    return p == VMSIM_PAGING_4LEVEL || p == VMSIM_PAGING_5LEVEL;
}

static int do_cr0(struct run *r, char **f)
{
    return do_reg(r, f, VMSIM_REG_CR0, UINT32_MAX);
}
static int do_cr3(struct run *r, char **f)
{
    int rc = ensure_machine(r);
    return rc ? rc : do_reg(r, f, VMSIM_REG_CR3, long_mode(r) ? UINT64_MAX : UINT32_MAX);
}
static int do_cr4(struct run *r, char **f)
{
    return do_reg(r, f, VMSIM_REG_CR4, UINT32_MAX);
}
static int do_efer(struct run *r, char **f)
{
    return do_reg(r, f, VMSIM_REG_EFER, UINT64_MAX);
}

/* WRPKRU: prints nothing, flushes nothing. */
static int do_pkru(struct run *r, char **f)
{
    uint64_t v;
    int rc = number(r, f[1], "pkru", UINT32_MAX, &v);
    if (!rc)
        rc = ensure_machine(r);
    if (!rc)
        vmsim_write_reg(r->m, VMSIM_REG_PKRU, v);
    return rc;
}

/* A linear address: 64 bits in IA-32e mode, else 32. */
static int linear_address(struct run *r, const char *field, uint64_t *va)
{
    int rc = ensure_machine(r);
    return rc ? rc : number(r, field, "linear address", long_mode(r) ? UINT64_MAX : UINT32_MAX, va);
}

static int do_ac(struct run *r, char **f)
{
    uint64_t v;
    int rc = number(r, f[1], "ac", 1, &v);
    if (!rc)
        rc = ensure_machine(r);
    if (!rc)
        vmsim_set_ac(r->m, v != 0);
    return rc;
}

static int do_invlpg(struct run *r, char **f)
{
    uint64_t va;
    int rc = linear_address(r, f[1], &va);
    if (!rc)
        vmsim_invlpg(r->m, va); /* a non-canonical address does nothing */
    return rc;
}

/* INVPCID TYPE PCID VADDR: prints only a refusal. */
static int do_invpcid(struct run *r, char **f)
{
    uint64_t type, pcid, va;
    int rc = number(r, f[1], "INVPCID type", UINT64_MAX, &type);
    if (!rc)
        rc = number(r, f[2], "PCID", UINT64_MAX, &pcid);
    if (!rc)
        rc = number(r, f[3], "linear address", UINT64_MAX, &va);
    if (!rc)
        rc = ensure_machine(r);
    if (rc)
        return rc;
    vmsim_status_t st = vmsim_invpcid(r->m, type, pcid, va);
    if (st == VMSIM_ERR_GP)
        fprintf(r->out, "invpcid %" PRIu64 " 0x%" PRIx64 " 0x%" PRIx64 " -> #GP\n", type, pcid, va);
    else if (st)
        return fail(r, "invpcid: %s", vmsim_strerror(st));
    return 0;
}

static void print_result(struct run *r, char **f, uint64_t va, unsigned size,
                         const vmsim_result_t *res)
{
    fprintf(r->out, "%s %s 0x%" PRIx64 " %u -> ", f[0], f[1], va, size);
    if (res->status == VMSIM_OK)
        fprintf(r->out, "ok 0x%" PRIx64 "\n", res->paddr);
    else if (res->status == VMSIM_ERR_PAGE_FAULT)
        fprintf(r->out, "#PF 0x%" PRIx32 " 0x%" PRIx64 "\n", res->fault.error_code, res->fault.cr2);
    else if (res->status == VMSIM_ERR_GP)
        fprintf(r->out, "#GP\n");
    else
        fprintf(r->out, "!bus 0x%" PRIx64 "\n", res->bus_addr);
}

static int do_access(struct run *r, char **f, vmsim_access_t access)
{
    uint64_t va, size;
    vmsim_mode_t mode;
    if (strcmp(f[1], "user") == 0)
        mode = VMSIM_USER;
    else if (strcmp(f[1], "sup") == 0)
        mode = VMSIM_SUPERVISOR;
    else
        return fail(r, "mode '%.*s%s' must be 'user' or 'sup'", ECHO(f[1]));
    int rc = linear_address(r, f[2], &va);
    if (!rc)
        rc = number(r, f[3], "size", 8, &size);
    if (!rc && size != 1 && size != 2 && size != 4 && size != 8)
        rc = fail(r, "size %" PRIu64 " must be 1, 2, 4 or 8", size);
    if (!rc && va > UINT64_MAX - (size - 1))
        rc = fail(r, "the access at 0x%" PRIx64 " ends beyond 0xffffffffffffffff", va);
    if (rc)
        return rc;
    if (r->opt->explain)
        fprintf(r->opt->explain, "%s %s 0x%" PRIx64 " %" PRIu64 "\n", f[0], f[1], va, size);
    r->n_touched = r->n_pieces = 0;
    vmsim_result_t res;
    vmsim_access(r->m, access, mode, va, NULL, (unsigned)size, &res);
    if (r->opt->explain && res.status == VMSIM_ERR_GP)
        fprintf(r->opt->explain, "  => #GP: a byte of the access lies at a non-canonical address"
                                 " (checked before any translation; nothing changes)\n");
    if (res.status == VMSIM_OK && access == VMSIM_WRITE) {
        unsigned len0 = VMSIM_PAGE_SIZE - (unsigned)(va & 0xfff);
        if (len0 > size)
            len0 = (unsigned)size;
        touch(r, r->pieces[0].addr, len0);
        if (r->n_pieces > 1)
            touch(r, r->pieces[1].addr, size - len0);
    }
    print_result(r, f, va, (unsigned)size, &res);
    print_changes(r);
    return 0;
}

static int do_read(struct run *r, char **f) { return do_access(r, f, VMSIM_READ); }
static int do_write(struct run *r, char **f) { return do_access(r, f, VMSIM_WRITE); }
static int do_fetch(struct run *r, char **f) { return do_access(r, f, VMSIM_FETCH); }

static const struct directive {
    const char *name;
    unsigned n_args;
    const char *usage;
    int (*run)(struct run *r, char **fields);
} directives[] = {
    {"ram", 1, "ram BYTES", do_ram},
    {"maxphyaddr", 1, "maxphyaddr BITS", do_maxphyaddr},
    {"phys32", 2, "phys32 PADDR VALUE", do_phys32},
    {"phys64", 2, "phys64 PADDR VALUE", do_phys64},
    {"cr0", 1, "cr0 VALUE", do_cr0},
    {"cr3", 1, "cr3 VALUE", do_cr3},
    {"cr4", 1, "cr4 VALUE", do_cr4},
    {"efer", 1, "efer VALUE", do_efer},
    {"ac", 1, "ac 0|1", do_ac},
    {"pkru", 1, "pkru VALUE", do_pkru},
    {"invlpg", 1, "invlpg VADDR", do_invlpg},
    {"invpcid", 3, "invpcid TYPE PCID VADDR", do_invpcid},
    {"read", 3, "read MODE VADDR SIZE", do_read},
    {"write", 3, "write MODE VADDR SIZE", do_write},
    {"fetch", 3, "fetch MODE VADDR SIZE", do_fetch},
};

static int run_line(struct run *r, char *text)
{
    char *fields[MAX_FIELDS + 1];
    unsigned n = 0;
    char *hash = strchr(text, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(text, " \t\r\n\v\f", &save); tok;
         tok = strtok_r(NULL, " \t\r\n\v\f", &save)) {
        if (n == MAX_FIELDS)
            return fail(r, "too many fields");
        fields[n++] = tok;
    }
    if (n == 0)
        return 0;
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
        const struct directive *d = &directives[i];
        if (strcmp(fields[0], d->name) != 0)
            continue;
        if (n - 1 != d->n_args)
            return fail(r, "'%s' takes %u argument%s: %s", d->name, d->n_args,
                        d->n_args == 1 ? "" : "s", d->usage);
        int rc = d->run(r, fields);
        r->seen_directive = true;
        return rc;
    }
    return fail(r, "unknown directive '%.*s%s'", ECHO(fields[0]));
}

void scenario_options_default(struct scenario_options *opt)
{
    memset(opt, 0, sizeof *opt);
    vmsim_config_default(&opt->config);
}

/* Read one line (its newline dropped) into buf[SCN_MAX_LINE + 1].
 * Returns 1 with a line, 0 at the end, or the exit status after an
 * error message (a NUL byte or an overlong line stop the reading there). */
static int read_line(struct run *r, FILE *in, char *buf)
{
    size_t n = 0;
    int c;
    r->line++;
    while ((c = getc_unlocked(in)) != EOF && c != '\n') {
        if (c == '\0' || n == SCN_MAX_LINE)
            return fail(r, c ? "line longer than %u bytes" : "the line contains a NUL byte",
                        SCN_MAX_LINE);
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (c == EOF && n == 0) {
        r->line--; /* the end of the input is no line */
        return 0;
    }
    return 1;
}

int scenario_run(FILE *in, const char *name, FILE *out, FILE *err, const struct scenario_options *opt)
{
    struct run r = {.name = name, .out = out, .err = err, .opt = opt, .config = opt->config};
    char *line = malloc(SCN_MAX_LINE + 1);
    int rc = line ? 0 : 1;
    r.config.ram_bytes = VMSIM_RAM_DEFAULT;
    r.config.maxphyaddr = 40;
    if (!line)
        fprintf(err, "%s: error: out of memory\n", name);
    while (rc == 0 && (rc = read_line(&r, in, line)) == 1)
        rc = run_line(&r, line);
    if (rc == 0 && ferror(in)) {
        fprintf(err, "%s: error: read failed: %s\n", name, strerror(errno));
        rc = 1;
    }
    if (rc == 0 && !r.m)
        rc = ensure_machine(&r);
    if (rc == 0 && opt->stats)
        explain_stats(opt->stats, r.m);
    free(line);
    free(r.words);
    vmsim_destroy(r.m);
    return rc;
}
