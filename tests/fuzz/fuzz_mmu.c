/*
 * fuzz_mmu.c - libFuzzer target: the public MMU API (vmsim/machine.h,
 * mmu.h, tlb.h), driven by the input as a little program, on two
 * machines at once.
 *
 *     input = config bytes, then operations: opcode byte + arguments
 *
 *     machine A: the config with fast_path = true
 *     machine B: the same config with fast_path = false
 *
 * Every operation is applied to both machines, and both must answer
 * alike: the same status, result, fault, data, n_done; after every
 * operation the same registers, last fault, statistics (both banks) and
 * TLB entries -- the fast path "never changes a result or a statistic".
 * Besides, the contracts of the headers are checked as they are stated:
 * every status is a vmsim_status_t and one the function may return, a
 * page fault's CR2 lies inside the access and is what vmsim_last_fault()
 * and CR2 say, an OK access's physical address lies in RAM, lookups =
 * hits + misses, vmsim_translate() changes nothing, a NULL handle or
 * pointer gives VMSIM_ERR_NULL, an unknown enum VMSIM_ERR_INVALID.
 *
 * The configs include bad ones (RAM sizes, maxphyaddr, TLB geometries,
 * policies): vmsim_create() must refuse them on both machines alike and
 * leave *out untouched; the program then runs on a small default machine.
 *
 * IA-32e mode is reached too: op_setup_paging builds 4-level or 5-level
 * tables (with CR4.PCIDE and CR4.PKE at times), vaddrs include
 * canonical high-half and non-canonical 64-bit addresses, and the
 * register values include LME, LA57, PCIDE, PKE, PCIDs and CR3 bit 63;
 * INVPCID and PKRU loads are operations of their own.
 *
 * A fault handler can be installed.  It decides from a generator seeded
 * identically on both machines: return the fault, map the page through
 * the bus port (PDE, page table, PTE or large page, in 32-bit or PAE
 * format) and retry, retry without fixing anything (the restart limit
 * must end the access), make an access of its own (a fault inside the
 * handler comes back to it), reload CR3, or toggle the translation
 * observer (which turns the fast path off and on in the middle of an
 * access).
 */
#include <sys/mman.h>

#include "fuzz_util.h"
#include "vmsim/vmsim.h"

#define N_MACHINES 2
#define MAX_OPS    400
#define MAX_RANGE  (3 * 4096 + 64)

struct handler_state {
    uint32_t rng;
    unsigned calls, depth;
    bool observer_on;
    struct observer_state *obs;
};

struct observer_state {
    uint64_t calls;
    vmsim_translation_t last;
};

struct ctx {
    struct bytes in;
    vmsim_machine_t *m[N_MACHINES];
    struct handler_state h[N_MACHINES];
    struct observer_state obs[N_MACHINES];
    uint64_t ram;
    vmsim_vaddr_t recent[8]; /* linear addresses seen in faults, for reuse */
};

/* --- checking helpers ---------------------------------------------------- */

static void check_status(vmsim_status_t rc, const char *what)
{
    FUZZ_CHECK((unsigned)rc < VMSIM_STATUS_COUNT, "%s returned %d", what, (int)rc);
    FUZZ_CHECK(vmsim_strerror(rc) != NULL && vmsim_status_name(rc) != NULL, "names of %d", rc);
}

static void check_one_of(vmsim_status_t rc, const char *what, unsigned allowed)
{
    check_status(rc, what);
    FUZZ_CHECK(allowed & (1u << rc), "%s returned %s, which its contract does not list", what,
               vmsim_status_name(rc));
}

#define S(x) (1u << (x))
#define ACCESS_STATUSES                                                                            \
    (S(VMSIM_OK) | S(VMSIM_ERR_PAGE_FAULT) | S(VMSIM_ERR_BUS) | S(VMSIM_ERR_NULL) |                \
     S(VMSIM_ERR_INVALID) | S(VMSIM_ERR_GP))

static void same_fault(const vmsim_fault_t *a, const vmsim_fault_t *b, const char *what)
{
    FUZZ_CHECK(a->cr2 == b->cr2 && a->error_code == b->error_code && a->reason == b->reason &&
                   a->access == b->access && a->mode == b->mode && a->level == b->level,
               "%s: faults differ: cr2 0x%llx/0x%llx err 0x%x/0x%x why %d/%d", what,
               (unsigned long long)a->cr2, (unsigned long long)b->cr2, a->error_code, b->error_code,
               a->reason, b->reason);
}

static void same_result(const vmsim_result_t *a, const vmsim_result_t *b, const char *what)
{
    FUZZ_CHECK(a->status == b->status, "%s: status %s vs %s", what, vmsim_status_name(a->status),
               vmsim_status_name(b->status));
    if (a->status == VMSIM_OK)
        FUZZ_CHECK(a->paddr == b->paddr, "%s: paddr 0x%llx vs 0x%llx", what,
                   (unsigned long long)a->paddr, (unsigned long long)b->paddr);
    if (a->status == VMSIM_ERR_BUS)
        FUZZ_CHECK(a->bus_addr == b->bus_addr, "%s: bus_addr differs", what);
    if (a->status == VMSIM_ERR_PAGE_FAULT)
        same_fault(&a->fault, &b->fault, what);
}

static void same_translation(const vmsim_translation_t *a, const vmsim_translation_t *b,
                             const char *what)
{
    FUZZ_CHECK(a->vaddr == b->vaddr && a->access == b->access && a->mode == b->mode &&
                   a->paging == b->paging && a->tlb_hit == b->tlb_hit && a->walked == b->walked &&
                   a->dirty_walk == b->dirty_walk && a->n_steps == b->n_steps &&
                   a->outcome == b->outcome && a->writable == b->writable && a->user == b->user &&
                   a->executable == b->executable && a->cached == b->cached && a->tlb == b->tlb,
               "%s: translations differ (vaddr 0x%llx hit %d/%d walked %d/%d outcome %d/%d)", what,
               (unsigned long long)a->vaddr, a->tlb_hit, b->tlb_hit, a->walked, b->walked,
               a->outcome, b->outcome);
    FUZZ_CHECK(a->n_steps <= VMSIM_MAX_WALK_STEPS, "%s: %u steps", what, a->n_steps);
    for (unsigned i = 0; i < a->n_steps; i++) {
        const vmsim_walk_step_t *x = &a->steps[i], *y = &b->steps[i];
        FUZZ_CHECK(x->level == y->level && x->index == y->index && x->table == y->table &&
                       x->addr == y->addr && x->width == y->width && x->value == y->value &&
                       x->new_value == y->new_value && x->leaf == y->leaf,
                   "%s: step %u differs", what, i);
    }
    if (a->outcome == VMSIM_OUTCOME_OK)
        FUZZ_CHECK(a->paddr == b->paddr && a->page_size == b->page_size, "%s: paddr", what);
    if (a->outcome == VMSIM_OUTCOME_BUS)
        FUZZ_CHECK(a->bus_addr == b->bus_addr, "%s: bus_addr", what);
    if (a->outcome == VMSIM_OUTCOME_FAULT)
        same_fault(&a->fault, &b->fault, what);
}

static void sane_translation(const vmsim_translation_t *t)
{
    FUZZ_CHECK(t->n_steps <= VMSIM_MAX_WALK_STEPS, "%u walk steps", t->n_steps);
    FUZZ_CHECK((unsigned)t->outcome <= VMSIM_OUTCOME_BUS, "outcome %d", t->outcome);
    FUZZ_CHECK((unsigned)t->paging <= VMSIM_PAGING_5LEVEL, "paging %d", t->paging);
    if (t->outcome == VMSIM_OUTCOME_OK)
        FUZZ_CHECK(t->page_size == 4096 || t->page_size == 2u << 20 || t->page_size == 4u << 20 ||
                       t->page_size == 1u << 30,
                   "page size %u", t->page_size);
    for (unsigned i = 0; i < t->n_steps; i++)
        FUZZ_CHECK(t->steps[i].width == 4 || t->steps[i].width == 8, "entry width %u",
                   t->steps[i].width);
}

static void sane_fault(const vmsim_fault_t *f, vmsim_vaddr_t vaddr, unsigned size)
{
    FUZZ_CHECK((f->error_code & ~0x3fu) == 0, "error code 0x%x", f->error_code);
    FUZZ_CHECK((unsigned)f->reason <= VMSIM_WHY_PKEY && f->reason != VMSIM_WHY_NONE,
               "fault reason %d", f->reason);
    FUZZ_CHECK(!(f->error_code & VMSIM_PF_PK) || (f->error_code & VMSIM_PF_P), "PK without P: 0x%x",
               f->error_code);
    FUZZ_CHECK((unsigned)f->access <= VMSIM_FETCH && (unsigned)f->mode <= VMSIM_USER,
               "fault access %d mode %d", f->access, f->mode);
    FUZZ_CHECK(f->level >= VMSIM_LEVEL_NONE && f->level <= VMSIM_LEVEL_PML5E, "level %d", f->level);
    /* outside IA-32e mode the second page of an access wraps at 4 GiB */
    vmsim_vaddr_t off = f->cr2 - vaddr;
    if (vaddr <= 0xffffffffu && f->cr2 <= 0xffffffffu)
        off = (uint32_t)off;
    FUZZ_CHECK(off < size, "CR2 0x%llx outside the access 0x%llx+%u", (unsigned long long)f->cr2,
               (unsigned long long)vaddr, size);
}

/* Registers, last fault, statistics and TLBs of the two machines agree. */
static void same_state(struct ctx *c)
{
    vmsim_machine_t *a = c->m[0], *b = c->m[1];
    for (int r = 0; r < VMSIM_REG_COUNT; r++) {
        uint64_t x = 0, y = 0;
        FUZZ_CHECK(vmsim_read_reg(a, (vmsim_reg_t)r, &x) == VMSIM_OK, "read_reg");
        FUZZ_CHECK(vmsim_read_reg(b, (vmsim_reg_t)r, &y) == VMSIM_OK, "read_reg");
        FUZZ_CHECK(x == y, "register %d: 0x%llx vs 0x%llx", r, (unsigned long long)x,
                   (unsigned long long)y);
    }
    FUZZ_CHECK(vmsim_get_ac(a) == vmsim_get_ac(b), "AC differs");
    FUZZ_CHECK(vmsim_paging_mode(a) == vmsim_paging_mode(b), "paging mode differs");
    vmsim_fault_t fa, fb;
    FUZZ_CHECK(vmsim_last_fault(a, &fa) == VMSIM_OK && vmsim_last_fault(b, &fb) == VMSIM_OK,
               "last_fault");
    same_fault(&fa, &fb, "last fault");
    for (int bank = 0; bank < VMSIM_BANK_COUNT; bank++) {
        vmsim_stats_t sa, sb;
        FUZZ_CHECK(vmsim_get_stats(a, (vmsim_bank_t)bank, &sa) == VMSIM_OK, "get_stats");
        FUZZ_CHECK(vmsim_get_stats(b, (vmsim_bank_t)bank, &sb) == VMSIM_OK, "get_stats");
        FUZZ_CHECK(memcmp(&sa, &sb, sizeof sa) == 0,
                   "bank %d statistics differ: walks %llu/%llu faults %llu/%llu dtlb hits "
                   "%llu/%llu itlb hits %llu/%llu",
                   bank, (unsigned long long)sa.walks, (unsigned long long)sb.walks,
                   (unsigned long long)sa.faults, (unsigned long long)sb.faults,
                   (unsigned long long)sa.dtlb.hits, (unsigned long long)sb.dtlb.hits,
                   (unsigned long long)sa.itlb.hits, (unsigned long long)sb.itlb.hits);
        FUZZ_CHECK(sa.dtlb.lookups == sa.dtlb.hits + sa.dtlb.misses &&
                       sa.itlb.lookups == sa.itlb.hits + sa.itlb.misses,
                   "lookups != hits + misses");
    }
    for (int id = 0; id < 4; id++) { /* DTLB, ITLB, STLB, STLB_1G */
        uint32_t n = vmsim_tlb_size(a, (vmsim_tlb_id_t)id);
        FUZZ_CHECK(n == vmsim_tlb_size(b, (vmsim_tlb_id_t)id), "TLB sizes differ");
        for (uint32_t i = 0; i < n; i++) {
            vmsim_tlb_entry_t x, y;
            FUZZ_CHECK(vmsim_tlb_entry(a, (vmsim_tlb_id_t)id, i, &x) == VMSIM_OK, "tlb_entry");
            FUZZ_CHECK(vmsim_tlb_entry(b, (vmsim_tlb_id_t)id, i, &y) == VMSIM_OK, "tlb_entry");
            FUZZ_CHECK(x.valid == y.valid, "TLB %d entry %u: valid %d vs %d", id, i, x.valid,
                       y.valid);
            if (!x.valid)
                continue;
            FUZZ_CHECK(x.set == y.set && x.way == y.way && x.vaddr == y.vaddr &&
                           x.paddr == y.paddr && x.page_size == y.page_size &&
                           x.writable == y.writable && x.user == y.user &&
                           x.executable == y.executable && x.dirty == y.dirty &&
                           x.global == y.global && x.pcid == y.pcid && x.pkey == y.pkey,
                       "TLB %d entry %u differs: 0x%llx->0x%llx vs 0x%llx->0x%llx", id, i,
                       (unsigned long long)x.vaddr, (unsigned long long)x.paddr,
                       (unsigned long long)y.vaddr, (unsigned long long)y.paddr);
        }
    }
}

/* --- choosing arguments ----------------------------------------------------- */

static vmsim_vaddr_t pick_vaddr(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    switch (how % 12) {
    case 8: return 0xffffffff80000000ull | (take16(&c->in) & 0x7fff); /* kernel half */
    case 9: return (1ull << 47) - 4096 + (take16(&c->in) & 0xfff);    /* top of the lower half */
    case 10: return take64(&c->in);                                   /* often non-canonical */
    case 11: return (uint64_t)(take8(&c->in) % 4) << 48 | (take16(&c->in) & 0x7fff); /* 5-level */
    case 0: return take16(&c->in) & 0x7fff;                                          /* low pages */
    case 1:
        return (uint32_t)(take8(&c->in) % 8) << 12 | (0xff8u + take8(&c->in) % 8); /* page end */
    case 2: return take32(&c->in);
    case 3: return 0xfffff000u | (take16(&c->in) & 0xfff);
    case 4: return c->recent[take8(&c->in) % 8] + (take8(&c->in) % 16);
    case 5: return (uint32_t)(take8(&c->in) % 4) << 22 | (take16(&c->in) & 0x3fff);
    case 6: return (uint32_t)(take8(&c->in) % 4) << 30 | (take16(&c->in) & 0x7fff);
    default: return 0x400000u * (take8(&c->in) % 4) - (take8(&c->in) % 8);
    }
}

static uint64_t pick_paddr(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    switch (how % 6) {
    case 0: return take16(&c->in) & 0x7ffc;
    case 1: return c->ram - (take8(&c->in) % 16);
    case 2: return take64(&c->in);
    case 3: return UINT64_MAX - (take8(&c->in) % 16);
    case 4: return take32(&c->in) % (c->ram + 1);
    default: return (uint64_t)(take8(&c->in) % 16) << 12 | (take16(&c->in) & 0xfff);
    }
}

static uint64_t pick_reg_value(struct ctx *c, vmsim_reg_t reg)
{
    static const uint32_t cr0s[] = {0,           1,           0x80000001u, 0x80010001u, 0x80000000u,
                                    0x60000001u, 0xa0000001u, 0xc0000001u, 0x10001u};
    static const uint32_t cr4s[] = {0,      0x10,     0x20,     0x80,     0x90,     0xa0,
                                    0xb0,   0x100000, 0x200000, 0x300010, 0x1000,   0x800,
                                    0x1020, 0x20020,  0x400020, 0x420020, 0x4200a0, 0x1000000};
    static const uint64_t cr3s[] = {0x1000,
                                    0x3000,
                                    0x3020,
                                    0x4000,
                                    0x1018,
                                    0xfffff000u,
                                    0,
                                    0x3005,
                                    0x8000000000003005ull,
                                    0x8000000000003000ull,
                                    0x10000000003000ull};
    static const uint64_t efers[] = {0, 0x800, 0x100, 0x900, 0x400, 0x1, 1ull << 40};
    uint8_t how = take8(&c->in);
    if (how % 4 == 3)
        return how & 4 ? take64(&c->in) : take32(&c->in);
    uint8_t i = take8(&c->in);
    switch (reg) {
    case VMSIM_REG_CR0: return cr0s[i % (sizeof cr0s / sizeof cr0s[0])];
    case VMSIM_REG_CR3: return cr3s[i % (sizeof cr3s / sizeof cr3s[0])];
    case VMSIM_REG_CR4: return cr4s[i % (sizeof cr4s / sizeof cr4s[0])];
    case VMSIM_REG_EFER: return efers[i % (sizeof efers / sizeof efers[0])];
    default: return take32(&c->in);
    }
}

static unsigned pick_size(struct ctx *c)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 1, 2, 4, 8, 1, 4, 0, 3, 16, 4096};
    return sizes[take8(&c->in) % (sizeof sizes / sizeof sizes[0])];
}

/* --- the fault handler and the observer --------------------------------------- */

static uint32_t next_rng(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void observe(void *user, const vmsim_translation_t *t)
{
    struct observer_state *o = user;
    sane_translation(t);
    o->calls++;
    o->last = *t;
}

/* Map the page of `cr2` through the bus port, building what is missing
 * (32-bit and PAE paging; in IA-32e mode it does nothing). */
static void map_page(vmsim_machine_t *m, vmsim_vaddr_t cr2, uint32_t r)
{
    if (vmsim_paging_mode(m) >= VMSIM_PAGING_4LEVEL)
        return;
    uint64_t cr3 = 0, cr4 = 0;
    vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
    vmsim_read_reg(m, VMSIM_REG_CR4, &cr4);
    uint64_t n_frames = vmsim_ram_size(m) / 4096;
    uint64_t frame = 1 + r % (n_frames > 1 ? n_frames - 1 : 1);
    uint64_t table = 1 + (r >> 16) % (n_frames > 1 ? n_frames - 1 : 1);
    uint32_t flags = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US | (r & 0x160u);
    if (vmsim_paging_mode(m) == VMSIM_PAGING_PAE) {
        uint64_t pdpte_addr = (cr3 & 0xffffffe0u) + 8 * (cr2 >> 30), pdpte = 0;
        if (vmsim_bus_read64(m, pdpte_addr, &pdpte) != VMSIM_OK)
            return;
        if (!(pdpte & VMSIM_PTE_P)) {
            pdpte = table << 12 | VMSIM_PTE_P;
            vmsim_bus_write64(m, pdpte_addr, pdpte);
            vmsim_write_reg(m, VMSIM_REG_CR3, cr3); /* PDPTEs are loaded with CR3 */
            table = frame;
        }
        uint64_t pde_addr = (pdpte & 0xffffffffff000ull) + 8 * ((cr2 >> 21) & 0x1ff), pde = 0;
        if (vmsim_bus_read64(m, pde_addr, &pde) != VMSIM_OK)
            return;
        if (r & 0x200) {
            vmsim_bus_write64(m, pde_addr, (frame & ~0x1ffull) << 12 | flags | VMSIM_PTE_PS);
            return;
        }
        if (!(pde & VMSIM_PTE_P) || (pde & VMSIM_PTE_PS)) {
            pde = table << 12 | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US;
            vmsim_bus_write64(m, pde_addr, pde);
        }
        uint64_t pte_addr = (pde & 0xffffffffff000ull) + 8 * ((cr2 >> 12) & 0x1ff);
        vmsim_bus_write64(m, pte_addr, frame << 12 | flags);
        return;
    }
    uint64_t pde_addr = (cr3 & 0xfffff000u) + 4 * (cr2 >> 22);
    uint32_t pde = 0;
    if (vmsim_bus_read32(m, pde_addr, &pde) != VMSIM_OK)
        return;
    if ((r & 0x200) && (cr4 & VMSIM_CR4_PSE)) {
        vmsim_bus_write32(m, pde_addr, (uint32_t)(frame & ~0x3ffull) << 12 | flags | VMSIM_PTE_PS);
        return;
    }
    if (!(pde & VMSIM_PTE_P) || ((pde & VMSIM_PTE_PS) && (cr4 & VMSIM_CR4_PSE))) {
        pde = (uint32_t)table << 12 | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US;
        vmsim_bus_write32(m, pde_addr, pde);
    }
    uint64_t pte_addr = (pde & 0xfffff000u) + 4 * ((cr2 >> 12) & 0x3ff);
    vmsim_bus_write32(m, pte_addr, (uint32_t)frame << 12 | flags);
}

static vmsim_fault_action_t handler(vmsim_machine_t *m, const vmsim_fault_t *f, void *user)
{
    struct handler_state *h = user;
    uint64_t cr2 = 0;
    FUZZ_CHECK(h->depth == 0, "the fault handler was re-entered");
    FUZZ_CHECK(vmsim_read_reg(m, VMSIM_REG_CR2, &cr2) == VMSIM_OK && cr2 == f->cr2,
               "CR2 0x%llx is not the fault's 0x%llx", (unsigned long long)cr2,
               (unsigned long long)f->cr2);
    vmsim_fault_t last;
    vmsim_last_fault(m, &last);
    same_fault(&last, f, "handler: last fault vs its argument");
    sane_fault(f, f->cr2, 1);
    h->depth++;
    h->calls++;
    uint32_t r = next_rng(&h->rng);
    vmsim_fault_action_t action = VMSIM_FAULT_RETRY;
    switch (r % 10) {
    case 0:
    case 1: action = VMSIM_FAULT_UNHANDLED; break;
    case 2:
    case 3:
    case 4: map_page(m, f->cr2, next_rng(&h->rng)); break;
    case 5:
        map_page(m, f->cr2, next_rng(&h->rng));
        vmsim_invlpg(m, f->cr2);
        break;
    case 6: { /* an access of its own: a fault in it comes back here as a status */
        vmsim_result_t res;
        uint8_t byte;
        vmsim_status_t rc = vmsim_access(m, VMSIM_READ, VMSIM_SUPERVISOR, f->cr2, &byte, 1, &res);
        check_one_of(rc, "access in the handler", ACCESS_STATUSES);
        FUZZ_CHECK(rc == res.status, "returned status and res.status differ");
        break;
    }
    case 7: {
        uint64_t cr3 = 0;
        vmsim_read_reg(m, VMSIM_REG_CR3, &cr3);
        check_status(vmsim_write_reg(m, VMSIM_REG_CR3, cr3), "CR3 reload in the handler");
        break;
    }
    case 8:
        h->observer_on = !h->observer_on;
        vmsim_set_translation_observer(m, h->observer_on ? observe : NULL, h->obs);
        break;
    default: break; /* retry without fixing anything */
    }
    h->depth--;
    return action;
}

/* --- operations ---------------------------------------------------------------- */

static void op_access(struct ctx *c)
{
    vmsim_access_t kind = (vmsim_access_t)(take8(&c->in) % 4);
    vmsim_mode_t mode = (vmsim_mode_t)(take8(&c->in) % 3);
    vmsim_vaddr_t vaddr = pick_vaddr(c);
    unsigned size = pick_size(c);
    uint8_t opts = take8(&c->in);
    uint64_t value = take64(&c->in);
    vmsim_result_t res[N_MACHINES];
    uint8_t buf[N_MACHINES][4096];
    for (int i = 0; i < N_MACHINES; i++) {
        memset(buf[i], 0xa5, sizeof buf[i]);
        memcpy(buf[i], &value, sizeof value);
        vmsim_status_t rc = vmsim_access(c->m[i], kind, mode, vaddr, (opts & 1) ? NULL : buf[i],
                                         size, (opts & 2) ? NULL : &res[i]);
        check_one_of(rc, "vmsim_access", ACCESS_STATUSES);
        if (opts & 2) {
            memset(&res[i], 0, sizeof res[i]);
            res[i].status = rc;
            if (rc == VMSIM_ERR_PAGE_FAULT)
                vmsim_last_fault(c->m[i], &res[i].fault);
        }
        FUZZ_CHECK(res[i].status == rc, "vmsim_access: returned %d, res.status %d", rc,
                   res[i].status);
        bool wide = vmsim_paging_mode(c->m[i]) >= VMSIM_PAGING_4LEVEL;
        if (rc == VMSIM_ERR_INVALID)
            FUZZ_CHECK((unsigned)kind > VMSIM_FETCH || (unsigned)mode > VMSIM_USER ||
                           (size != 1 && size != 2 && size != 4 && size != 8) ||
                           (!wide && vaddr > 0xffffffffu) || (wide && vaddr + size < vaddr),
                       "vmsim_access refused a valid access");
        if (rc == VMSIM_ERR_GP)
            FUZZ_CHECK(wide, "#GP outside IA-32e mode");
        if (rc == VMSIM_OK && !(opts & 2))
            FUZZ_CHECK(res[i].paddr < c->ram, "paddr 0x%llx outside RAM",
                       (unsigned long long)res[i].paddr);
        if (rc == VMSIM_ERR_PAGE_FAULT) {
            sane_fault(&res[i].fault, vaddr, size);
            vmsim_fault_t last;
            vmsim_last_fault(c->m[i], &last);
            same_fault(&last, &res[i].fault, "vmsim_last_fault vs the result");
            c->recent[c->in.pos % 8] = res[i].fault.cr2 & ~0xfffull;
        }
    }
    same_result(&res[0], &res[1], "vmsim_access");
    FUZZ_CHECK(memcmp(buf[0], buf[1], sizeof buf[0]) == 0, "the data read differs");
}

static void op_typed(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 10;
    vmsim_mode_t mode = (vmsim_mode_t)(take8(&c->in) % 3);
    vmsim_vaddr_t vaddr = pick_vaddr(c);
    uint64_t value = take64(&c->in);
    bool null_out = take8(&c->in) % 8 == 0;
    vmsim_status_t rc[N_MACHINES];
    uint64_t got[N_MACHINES];
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *m = c->m[i];
        uint8_t o8 = 0;
        uint16_t o16 = 0;
        uint32_t o32 = 0;
        uint64_t o64 = 0;
        switch (which) {
        case 0: rc[i] = vmsim_read8(m, mode, vaddr, null_out ? NULL : &o8); break;
        case 1: rc[i] = vmsim_read16(m, mode, vaddr, null_out ? NULL : &o16); break;
        case 2: rc[i] = vmsim_read32(m, mode, vaddr, null_out ? NULL : &o32); break;
        case 3: rc[i] = vmsim_read64(m, mode, vaddr, null_out ? NULL : &o64); break;
        case 4: rc[i] = vmsim_write8(m, mode, vaddr, (uint8_t)value); break;
        case 5: rc[i] = vmsim_write16(m, mode, vaddr, (uint16_t)value); break;
        case 6: rc[i] = vmsim_write32(m, mode, vaddr, (uint32_t)value); break;
        case 7: rc[i] = vmsim_write64(m, mode, vaddr, value); break;
        default: rc[i] = vmsim_fetch32(m, mode, vaddr, null_out ? NULL : &o32); break;
        }
        check_one_of(rc[i], "typed access", ACCESS_STATUSES);
        if (null_out && (which < 4 || which > 7))
            FUZZ_CHECK(rc[i] == VMSIM_ERR_NULL, "NULL out gave %s", vmsim_status_name(rc[i]));
        got[i] = o8 | (uint64_t)o16 | o32 | o64;
    }
    FUZZ_CHECK(rc[0] == rc[1], "typed access %u: %s vs %s", which, vmsim_status_name(rc[0]),
               vmsim_status_name(rc[1]));
    FUZZ_CHECK(got[0] == got[1], "typed access %u read 0x%llx vs 0x%llx", which,
               (unsigned long long)got[0], (unsigned long long)got[1]);
}

/* A range length: mostly one that fits the buffer; sometimes one longer
 * than what is left of the 4 GiB (near SIZE_MAX too), which must be
 * refused whole -- a library that took it would run off the buffer. */
static size_t pick_range_len(struct ctx *c, uint32_t vaddr)
{
    uint8_t how = take8(&c->in);
    size_t small = take16(&c->in) % MAX_RANGE;
    uint64_t past_4g = (1ull << 32) - vaddr + 1 + (how >> 4);
    switch (how % 16) {
    case 0: return SIZE_MAX - (how >> 4);
    case 1: return past_4g > SIZE_MAX ? SIZE_MAX : (size_t)past_4g;
    case 2: return SIZE_MAX - vaddr + 1; /* vaddr + len wraps to exactly 0 */
    default: return small;
    }
}

static void op_range(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 3;
    vmsim_mode_t mode = (vmsim_mode_t)(take8(&c->in) % 3);
    vmsim_vaddr_t vaddr = pick_vaddr(c);
    size_t len = pick_range_len(c, (uint32_t)vaddr);
    /* past 4 GiB is no wrap in IA-32e mode: such a range is valid there
     * and would overrun the buffers, so it stays within them */
    if (vmsim_paging_mode(c->m[0]) >= VMSIM_PAGING_4LEVEL && len > MAX_RANGE &&
        vaddr + (len - 1) >= vaddr)
        len %= MAX_RANGE;
    size_t in_buf = len < MAX_RANGE ? len : MAX_RANGE;
    uint8_t opts = take8(&c->in);
    static uint8_t buf[N_MACHINES][MAX_RANGE];
    vmsim_status_t rc[N_MACHINES];
    size_t done[N_MACHINES];
    for (int i = 0; i < N_MACHINES; i++) {
        for (size_t k = 0; k < in_buf; k++)
            buf[i][k] = (uint8_t)(k * 7 + opts);
        void *p = (opts & 1) ? NULL : buf[i];
        done[i] = 12345;
        size_t *pd = (opts & 2) ? NULL : &done[i];
        switch (which) {
        case 0: rc[i] = vmsim_read_bytes(c->m[i], mode, vaddr, p, len, pd); break;
        case 1: rc[i] = vmsim_write_bytes(c->m[i], mode, vaddr, p, len, pd); break;
        default: rc[i] = vmsim_fill_bytes(c->m[i], mode, vaddr, opts, len, pd); break;
        }
        check_one_of(rc[i], "byte range", ACCESS_STATUSES);
        if (pd && rc[i] != VMSIM_ERR_NULL && rc[i] != VMSIM_ERR_INVALID)
            FUZZ_CHECK(done[i] <= len && (rc[i] != VMSIM_OK || done[i] == len),
                       "n_done %zu of %zu with %s", done[i], len, vmsim_status_name(rc[i]));
        if (vmsim_paging_mode(c->m[i]) < VMSIM_PAGING_4LEVEL && vaddr <= UINT32_MAX &&
            len > (1ull << 32) - vaddr && rc[i] != VMSIM_ERR_NULL) /* no overflow here */
            FUZZ_CHECK(rc[i] == VMSIM_ERR_INVALID && (!pd || done[i] == 0),
                       "a range of %zu bytes at 0x%llx wrapping past 4 GiB gave %s", len,
                       (unsigned long long)vaddr,
                       vmsim_status_name(rc[i]));
    }
    FUZZ_CHECK(rc[0] == rc[1] && done[0] == done[1], "byte range %u: %s/%zu vs %s/%zu", which,
               vmsim_status_name(rc[0]), done[0], vmsim_status_name(rc[1]), done[1]);
    FUZZ_CHECK(memcmp(buf[0], buf[1], in_buf) == 0, "byte range data differs");
}

static void op_bus(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 8;
    uint64_t paddr = pick_paddr(c);
    uint64_t value = take64(&c->in);
    size_t len = take8(&c->in) % 80;
    uint8_t buf[N_MACHINES][80];
    vmsim_status_t rc[N_MACHINES];
    uint32_t v32[N_MACHINES] = {0};
    uint64_t v64[N_MACHINES] = {0};
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *m = c->m[i];
        memset(buf[i], (int)value, sizeof buf[i]);
        switch (which) {
        case 0: rc[i] = vmsim_bus_write32(m, paddr, (uint32_t)value); break;
        case 1: rc[i] = vmsim_bus_write64(m, paddr, value); break;
        case 2: rc[i] = vmsim_bus_write(m, paddr, (value & 1) && !len ? NULL : buf[i], len); break;
        case 3: rc[i] = vmsim_bus_fill(m, paddr, (uint8_t)value, len); break;
        case 4: rc[i] = vmsim_bus_read32(m, paddr, &v32[i]); break;
        case 5: rc[i] = vmsim_bus_read64(m, paddr, &v64[i]); break;
        case 6: rc[i] = vmsim_bus_read(m, paddr, buf[i], len); break;
        default: rc[i] = vmsim_bus_read(m, paddr, NULL, len); break;
        }
        check_one_of(rc[i], "bus port",
                     S(VMSIM_OK) | S(VMSIM_ERR_BUS) | S(VMSIM_ERR_NULL) | S(VMSIM_ERR_INVALID));
        if (which == 7 && len)
            FUZZ_CHECK(rc[i] == VMSIM_ERR_NULL, "bus read into NULL gave %s",
                       vmsim_status_name(rc[i]));
        if (rc[i] == VMSIM_ERR_INVALID)
            FUZZ_CHECK(which < 2 || which == 4 || which == 5, "INVALID from a byte bus call");
    }
    FUZZ_CHECK(v32[0] == v32[1] && v64[0] == v64[1], "bus words differ");
    FUZZ_CHECK(rc[0] == rc[1], "bus op %u: %s vs %s", which, vmsim_status_name(rc[0]),
               vmsim_status_name(rc[1]));
    FUZZ_CHECK(memcmp(buf[0], buf[1], sizeof buf[0]) == 0, "bus data differs");
}

static void op_reg(struct ctx *c)
{
    vmsim_reg_t reg = (vmsim_reg_t)(take8(&c->in) % 7);
    uint64_t value = pick_reg_value(c, reg);
    vmsim_status_t rc[N_MACHINES];
    for (int i = 0; i < N_MACHINES; i++) {
        rc[i] = vmsim_write_reg(c->m[i], reg, value);
        check_one_of(rc[i], "vmsim_write_reg",
                     S(VMSIM_OK) | S(VMSIM_ERR_GP) | S(VMSIM_ERR_BUS) | S(VMSIM_ERR_INVALID));
        if ((unsigned)reg >= VMSIM_REG_COUNT)
            FUZZ_CHECK(rc[i] == VMSIM_ERR_INVALID, "unknown register gave %s",
                       vmsim_status_name(rc[i]));
        uint64_t back = 0;
        if (rc[i] == VMSIM_OK && reg != VMSIM_REG_EFER) {
            FUZZ_CHECK(vmsim_read_reg(c->m[i], reg, &back) == VMSIM_OK, "read back");
            FUZZ_CHECK(back == (reg == VMSIM_REG_CR3 ? value & ~VMSIM_CR3_NOFLUSH : value),
                       "register %d reads 0x%llx after loading 0x%llx", reg,
                       (unsigned long long)back, (unsigned long long)value);
        }
    }
    FUZZ_CHECK(rc[0] == rc[1], "write_reg %d 0x%llx: %s vs %s", reg, (unsigned long long)value,
               vmsim_status_name(rc[0]), vmsim_status_name(rc[1]));
}

/* IA-32e mode: (PML5 at 0x7000 ->) PML4 at 0x3000 -> PDPT 0x6000 -> PD
 * 0x4000 -> PT 0x5000 identity-maps the first 2 MiB, the PD's second
 * entry is a 2 MiB page, the PDPT's second a 1 GiB page at 0, and the
 * kernel half (PML4 511) leads to the same PDPT; keys in the leaves. */
static void setup_ia32e(struct ctx *c, uint8_t opts, uint32_t flags, uint32_t holes)
{
    const uint64_t dir = VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US;
    bool five = opts & 32;
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *m = c->m[i];
        vmsim_bus_write64(m, 0x7000, 0x3000 | dir);
        vmsim_bus_write64(m, 0x3000, 0x6000 | dir);
        vmsim_bus_write64(m, 0x3000 + 8 * 511, 0x6000 | dir);
        vmsim_bus_write64(m, 0x6000, 0x4000 | dir);
        vmsim_bus_write64(m, 0x6008, 0 | flags | VMSIM_PTE_PS);
        vmsim_bus_write64(m, 0x4000, 0x5000 | dir);
        vmsim_bus_write64(m, 0x4008, 0x200000 | flags | VMSIM_PTE_PS);
        for (uint32_t k = 0; k < 512; k++)
            vmsim_bus_write64(
                m, 0x5000 + 8 * k,
                (holes >> (k % 32) & 1) ? 0 : (uint64_t)k << 12 | flags | (uint64_t)(k % 16) << 59);
        vmsim_write_reg(m, VMSIM_REG_EFER, VMSIM_EFER_LME | ((opts & 8) ? VMSIM_EFER_NXE : 0));
        vmsim_write_reg(m, VMSIM_REG_CR4,
                        VMSIM_CR4_PAE | (five ? VMSIM_CR4_LA57 : 0) |
                            ((opts & 2) ? VMSIM_CR4_PGE : 0) | ((opts & 64) ? VMSIM_CR4_PKE : 0));
        vmsim_write_reg(m, VMSIM_REG_CR3, five ? 0x7000 : 0x3000);
        vmsim_write_reg(m, VMSIM_REG_CR0,
                        VMSIM_CR0_PG | VMSIM_CR0_PE | ((opts & 4) ? VMSIM_CR0_WP : 0));
        if (opts & 128) {
            uint64_t cr4 = 0;
            vmsim_read_reg(m, VMSIM_REG_CR4, &cr4);
            vmsim_write_reg(m, VMSIM_REG_CR4, cr4 | VMSIM_CR4_PCIDE);
            vmsim_write_reg(m, VMSIM_REG_CR3, (five ? 0x7000 : 0x3000) | (holes & 0xfff));
        }
    }
}

/* Identity-map the first 4 MiB (32-bit) or 2 MiB (PAE) and turn paging on
 * (or IA-32e paging, above): gets the fuzzer to interesting states quickly. */
static void op_setup_paging(struct ctx *c)
{
    uint8_t opts = take8(&c->in);
    uint32_t flags = VMSIM_PTE_P | (take8(&c->in) & 0x1e6u);
    uint32_t holes = take32(&c->in);
    if (opts & 16) {
        setup_ia32e(c, opts, flags, holes);
        return;
    }
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *m = c->m[i];
        if (opts & 1) {
            vmsim_bus_write64(m, 0x3000, 0x4000 | VMSIM_PTE_P);
            vmsim_bus_write64(m, 0x4000, 0x5000 | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US);
            for (uint32_t k = 0; k < 512; k++)
                vmsim_bus_write64(m, 0x5000 + 8 * k,
                                  (holes >> (k % 32) & 1) ? 0 : (uint64_t)k << 12 | flags);
            vmsim_write_reg(m, VMSIM_REG_CR4, VMSIM_CR4_PAE | ((opts & 2) ? VMSIM_CR4_PGE : 0));
            vmsim_write_reg(m, VMSIM_REG_CR3, 0x3000);
        } else {
            vmsim_bus_write32(m, 0x1000, 0x2000 | VMSIM_PTE_P | VMSIM_PTE_RW | VMSIM_PTE_US);
            vmsim_bus_write32(m, 0x1004, 0x400000 | VMSIM_PTE_PS | flags);
            for (uint32_t k = 0; k < 1024; k++)
                vmsim_bus_write32(m, 0x2000 + 4 * k, (holes >> (k % 32) & 1) ? 0 : k << 12 | flags);
            vmsim_write_reg(m, VMSIM_REG_CR4, (opts & 2) ? VMSIM_CR4_PGE | VMSIM_CR4_PSE : 0);
            vmsim_write_reg(m, VMSIM_REG_CR3, 0x1000);
        }
        vmsim_write_reg(m, VMSIM_REG_CR0,
                        VMSIM_CR0_PG | VMSIM_CR0_PE | ((opts & 4) ? VMSIM_CR0_WP : 0));
        if (opts & 8)
            vmsim_write_reg(m, VMSIM_REG_EFER, VMSIM_EFER_NXE);
    }
}

static void op_translate(struct ctx *c)
{
    vmsim_access_t kind = (vmsim_access_t)(take8(&c->in) % 4);
    vmsim_mode_t mode = (vmsim_mode_t)(take8(&c->in) % 3);
    vmsim_vaddr_t vaddr = pick_vaddr(c);
    vmsim_translation_t t[N_MACHINES];
    vmsim_status_t rc[N_MACHINES];
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_stats_t before, after;
        uint64_t cr2_before, cr2_after;
        vmsim_get_stats(c->m[i], VMSIM_BANK_PROGRAM, &before);
        vmsim_read_reg(c->m[i], VMSIM_REG_CR2, &cr2_before);
        memset(&t[i], 0, sizeof t[i]);
        rc[i] = vmsim_translate(c->m[i], kind, mode, vaddr, &t[i]);
        check_one_of(rc[i], "vmsim_translate",
                     S(VMSIM_OK) | S(VMSIM_ERR_INVALID) | S(VMSIM_ERR_GP));
        vmsim_get_stats(c->m[i], VMSIM_BANK_PROGRAM, &after);
        vmsim_read_reg(c->m[i], VMSIM_REG_CR2, &cr2_after);
        FUZZ_CHECK(memcmp(&before, &after, sizeof before) == 0 && cr2_before == cr2_after,
                   "vmsim_translate changed a statistic or CR2");
        if (rc[i] == VMSIM_OK)
            sane_translation(&t[i]);
        if (rc[i] == VMSIM_OK && t[i].outcome == VMSIM_OUTCOME_OK)
            FUZZ_CHECK(t[i].paddr < c->ram, "translated paddr outside RAM");
    }
    FUZZ_CHECK(rc[0] == rc[1], "translate status differs");
    if (rc[0] == VMSIM_OK)
        same_translation(&t[0], &t[1], "vmsim_translate");
}

static void op_tlb(struct ctx *c)
{
    vmsim_tlb_id_t id = (vmsim_tlb_id_t)(take8(&c->in) % 5);
    uint32_t index = take8(&c->in) & 1 ? take32(&c->in) : take16(&c->in) % 300;
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_tlb_entry_t e;
        vmsim_status_t rc = vmsim_tlb_entry(c->m[i], id, index, &e);
        check_one_of(rc, "vmsim_tlb_entry", S(VMSIM_OK) | S(VMSIM_ERR_INVALID));
        if ((unsigned)id <= VMSIM_STLB_1G)
            FUZZ_CHECK((rc == VMSIM_OK) == (index < vmsim_tlb_size(c->m[i], id)),
                       "tlb_entry %u of %u gave %s", index, vmsim_tlb_size(c->m[i], id),
                       vmsim_status_name(rc));
        FUZZ_CHECK(vmsim_tlb_entry(c->m[i], id, index, NULL) == VMSIM_ERR_NULL, "NULL out");
        if (rc == VMSIM_OK && e.valid)
            FUZZ_CHECK(e.page_size == 4096 || e.page_size == 2u << 20 || e.page_size == 4u << 20 ||
                           e.page_size == 1u << 30,
                       "TLB page size %u", e.page_size);
    }
}

static void op_misc(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 12;
    uint32_t arg = take32(&c->in);
    vmsim_vaddr_t vaddr = which == 0 || which == 10 ? pick_vaddr(c) : 0;
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *m = c->m[i];
        vmsim_status_t rc = VMSIM_OK;
        switch (which) {
        case 0: rc = vmsim_invlpg(m, vaddr); break;
        case 1: rc = vmsim_set_ac(m, arg & 1); break;
        case 2:
            rc = vmsim_set_maxphyaddr(m, arg % 64);
            check_one_of(rc, "set_maxphyaddr", S(VMSIM_OK) | S(VMSIM_ERR_INVALID));
            FUZZ_CHECK((rc == VMSIM_OK) == (arg % 64 >= 32 && arg % 64 <= 52), "maxphyaddr %u",
                       arg % 64);
            break;
        case 3: rc = vmsim_tlb_flush_all(m); break;
        case 4: rc = vmsim_reset_stats(m); break;
        case 5: {
            vmsim_bank_t prev = VMSIM_BANK_COUNT;
            rc = vmsim_set_stats_bank(m, (vmsim_bank_t)(arg % 3), (arg & 4) ? NULL : &prev);
            FUZZ_CHECK((rc == VMSIM_OK) == (arg % 3 < 2), "set_stats_bank %u gave %s", arg % 3,
                       vmsim_status_name(rc));
            break;
        }
        case 6: {
            vmsim_stats_t s;
            rc = vmsim_get_stats(m, (vmsim_bank_t)(arg % 3), (arg & 4) ? NULL : &s);
            check_one_of(rc, "get_stats", S(VMSIM_OK) | S(VMSIM_ERR_INVALID) | S(VMSIM_ERR_NULL));
            break;
        }
        case 7: /* the observer, on both machines or on A only */
            if (i == 0 || (arg & 1)) {
                bool on = arg & 2;
                c->h[i].observer_on = on;
                rc = vmsim_set_translation_observer(m, on ? observe : NULL, &c->obs[i]);
            }
            break;
        case 8: /* the fault handler on (both machines) or off */
            c->h[i].rng = arg | 1;
            rc = vmsim_set_fault_handler(m, (arg & 6) ? handler : NULL, &c->h[i]);
            break;
        case 10: { /* INVPCID with any operands: OK or #GP, alike on both */
            rc = vmsim_invpcid(m, arg % 6, (arg >> 3) % 0x1003, vaddr);
            check_one_of(rc, "invpcid", S(VMSIM_OK) | S(VMSIM_ERR_GP));
            FUZZ_CHECK(arg % 6 <= 3 || rc == VMSIM_ERR_GP, "invpcid type %u accepted", arg % 6);
            rc = VMSIM_OK;
            break;
        }
        case 11: rc = vmsim_write_reg(m, VMSIM_REG_PKRU, arg); break;
        default: rc = vmsim_set_stats_bank(m, VMSIM_BANK_PROGRAM, NULL); break;
        }
        check_status(rc, "misc op");
    }
}

/* Every entry point with a NULL machine (and NULL outputs): never a crash. */
static void op_nulls(struct ctx *c)
{
    uint8_t buf[8];
    uint64_t v;
    vmsim_result_t res;
    vmsim_translation_t t;
    vmsim_fault_t f;
    vmsim_stats_t s;
    vmsim_tlb_entry_t e;
    FUZZ_CHECK(vmsim_create(NULL, NULL) == VMSIM_ERR_NULL, "create(NULL, NULL)");
    FUZZ_CHECK(vmsim_access(NULL, VMSIM_READ, VMSIM_USER, 0, buf, 4, &res) == VMSIM_ERR_NULL,
               "access NULL");
    FUZZ_CHECK(vmsim_read32(NULL, VMSIM_USER, 0, (uint32_t *)buf) == VMSIM_ERR_NULL, "read32");
    FUZZ_CHECK(vmsim_write64(NULL, VMSIM_USER, 0, 1) == VMSIM_ERR_NULL, "write64");
    FUZZ_CHECK(vmsim_fetch32(NULL, VMSIM_USER, 0, (uint32_t *)buf) == VMSIM_ERR_NULL, "fetch32");
    FUZZ_CHECK(vmsim_read_bytes(NULL, VMSIM_USER, 0, buf, 8, NULL) == VMSIM_ERR_NULL, "rbytes");
    FUZZ_CHECK(vmsim_write_bytes(NULL, VMSIM_USER, 0, buf, 8, NULL) == VMSIM_ERR_NULL, "wbytes");
    FUZZ_CHECK(vmsim_fill_bytes(NULL, VMSIM_USER, 0, 0, 8, NULL) == VMSIM_ERR_NULL, "fill");
    FUZZ_CHECK(vmsim_write_reg(NULL, VMSIM_REG_CR0, 0) == VMSIM_ERR_NULL, "write_reg");
    FUZZ_CHECK(vmsim_read_reg(NULL, VMSIM_REG_CR0, &v) == VMSIM_ERR_NULL, "read_reg");
    FUZZ_CHECK(vmsim_read_reg(c->m[0], VMSIM_REG_CR0, NULL) == VMSIM_ERR_NULL, "read_reg out");
    FUZZ_CHECK(vmsim_set_ac(NULL, true) == VMSIM_ERR_NULL && !vmsim_get_ac(NULL), "ac");
    FUZZ_CHECK(vmsim_invlpg(NULL, 0) == VMSIM_ERR_NULL, "invlpg");
    FUZZ_CHECK(vmsim_set_maxphyaddr(NULL, 40) == VMSIM_ERR_NULL, "maxphyaddr");
    FUZZ_CHECK(vmsim_paging_mode(NULL) == VMSIM_PAGING_OFF, "paging_mode");
    FUZZ_CHECK(vmsim_translate(NULL, VMSIM_READ, VMSIM_USER, 0, &t) == VMSIM_ERR_NULL, "translate");
    FUZZ_CHECK(vmsim_translate(c->m[0], VMSIM_READ, VMSIM_USER, 0, NULL) == VMSIM_ERR_NULL,
               "translate out");
    FUZZ_CHECK(vmsim_last_fault(NULL, &f) == VMSIM_ERR_NULL, "last_fault");
    FUZZ_CHECK(vmsim_last_fault(c->m[0], NULL) == VMSIM_ERR_NULL, "last_fault out");
    FUZZ_CHECK(vmsim_set_fault_handler(NULL, handler, NULL) == VMSIM_ERR_NULL, "handler");
    FUZZ_CHECK(vmsim_get_fault_handler(NULL, NULL) == NULL, "get handler");
    FUZZ_CHECK(vmsim_set_translation_observer(NULL, observe, NULL) == VMSIM_ERR_NULL, "observer");
    FUZZ_CHECK(vmsim_bus_read(NULL, 0, buf, 1) == VMSIM_ERR_NULL, "bus_read");
    FUZZ_CHECK(vmsim_bus_write(NULL, 0, buf, 1) == VMSIM_ERR_NULL, "bus_write");
    FUZZ_CHECK(vmsim_bus_fill(NULL, 0, 0, 1) == VMSIM_ERR_NULL, "bus_fill");
    FUZZ_CHECK(vmsim_bus_read32(NULL, 0, (uint32_t *)buf) == VMSIM_ERR_NULL, "bus_read32");
    FUZZ_CHECK(vmsim_bus_read32(c->m[0], 0, NULL) == VMSIM_ERR_NULL, "bus_read32 out");
    FUZZ_CHECK(vmsim_bus_read64(c->m[0], 0, NULL) == VMSIM_ERR_NULL, "bus_read64 out");
    FUZZ_CHECK(vmsim_bus_write32(NULL, 0, 0) == VMSIM_ERR_NULL, "bus_write32");
    FUZZ_CHECK(vmsim_bus_write64(NULL, 0, 0) == VMSIM_ERR_NULL, "bus_write64");
    FUZZ_CHECK(vmsim_get_stats(NULL, VMSIM_BANK_PROGRAM, &s) == VMSIM_ERR_NULL, "get_stats");
    FUZZ_CHECK(vmsim_reset_stats(NULL) == VMSIM_ERR_NULL, "reset_stats");
    FUZZ_CHECK(vmsim_set_stats_bank(NULL, VMSIM_BANK_PROGRAM, NULL) == VMSIM_ERR_NULL, "bank");
    FUZZ_CHECK(vmsim_tlb_size(NULL, VMSIM_DTLB) == 0, "tlb_size");
    FUZZ_CHECK(vmsim_tlb_entry(NULL, VMSIM_DTLB, 0, &e) == VMSIM_ERR_NULL, "tlb_entry");
    FUZZ_CHECK(vmsim_tlb_flush_all(NULL) == VMSIM_ERR_NULL, "flush_all");
    FUZZ_CHECK(vmsim_tlb_config_check(NULL) == VMSIM_ERR_NULL, "config_check");
    FUZZ_CHECK(vmsim_tlb_policy_parse(NULL, NULL) != VMSIM_OK, "policy_parse");
    FUZZ_CHECK(vmsim_get_config(NULL) == NULL && vmsim_ram_size(NULL) == 0, "config");
    vmsim_config_default(NULL);
    vmsim_destroy(NULL);
    /* names of every value, valid or not */
    uint32_t x = take32(&c->in);
    FUZZ_CHECK(vmsim_access_name((vmsim_access_t)x) && vmsim_mode_name((vmsim_mode_t)x) &&
                   vmsim_level_name((vmsim_level_t)x) &&
                   vmsim_fault_reason_text((vmsim_fault_reason_t)x) &&
                   vmsim_strerror((vmsim_status_t)x) && vmsim_status_name((vmsim_status_t)x) &&
                   vmsim_version(),
               "a name function returned NULL for %u", x);
    (void)vmsim_tlb_policy_name((vmsim_tlb_policy_t)x);
    char name[9];
    for (int k = 0; k < 8; k++)
        name[k] = (char)take8(&c->in);
    name[8] = '\0';
    vmsim_tlb_policy_t pol;
    check_one_of(vmsim_tlb_policy_parse(name, &pol), "policy_parse",
                 S(VMSIM_OK) | S(VMSIM_ERR_INVALID) | S(VMSIM_ERR_NULL));
}

/* --- machines --------------------------------------------------------------------- */

static vmsim_tlb_config_t pick_tlb(struct bytes *in)
{
    static const uint32_t entries[] = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 3, 12, 1u << 21};
    static const uint32_t ways[] = {1, 2, 4, 8, 0, 3, 16, 64};
    vmsim_tlb_config_t t;
    t.entries = entries[take8(in) % (sizeof entries / sizeof entries[0])];
    uint8_t w = take8(in);
    t.ways = w & 0x80 ? t.entries : ways[w % (sizeof ways / sizeof ways[0])];
    t.policy = (vmsim_tlb_policy_t)(take8(in) % 5);
    t.seed = take32(in);
    return t;
}

static void pick_config(struct bytes *in, vmsim_config_t *cfg)
{
    static const uint64_t rams[] = {4096,       8192,   0x100000, 0x400000, 0x4000000,
                                    4ull << 30, 0,      4095,     0x100001, (4ull << 30) + 4096,
                                    0x6000,     0x20000};
    vmsim_config_default(cfg);
    cfg->ram_bytes = rams[take8(in) % (sizeof rams / sizeof rams[0])];
    uint8_t mp = take8(in);
    cfg->maxphyaddr = mp < 200 ? 32 + mp % 21 : mp % 64;
    uint8_t tlb = take8(in);
    cfg->split_tlb = tlb & 1;
    if (tlb & 2) {
        cfg->dtlb = pick_tlb(in);
        cfg->itlb = pick_tlb(in);
    }
    if (tlb & 4) { /* a second-level TLB, and its 1 GiB array */
        cfg->stlb = pick_tlb(in);
        cfg->stlb_1g = pick_tlb(in);
    }
    if (tlb & 8) { /* paging-structure caches */
        cfg->psc_pde = cfg->psc_pdpte = pick_tlb(in);
        cfg->psc_pml4e = cfg->psc_pml5e = pick_tlb(in);
    }
}

static void create_machines(struct ctx *c)
{
    vmsim_config_t cfg;
    pick_config(&c->in, &cfg);
    vmsim_status_t rc[N_MACHINES];
    for (int i = 0; i < N_MACHINES; i++) {
        vmsim_machine_t *sentinel = (vmsim_machine_t *)&c->h[i];
        c->m[i] = sentinel;
        cfg.fast_path = i == 0;
        rc[i] = vmsim_create(&cfg, &c->m[i]);
        check_one_of(rc[i], "vmsim_create",
                     S(VMSIM_OK) | S(VMSIM_ERR_INVALID) | S(VMSIM_ERR_NOMEM));
        if (rc[i] != VMSIM_OK)
            FUZZ_CHECK(c->m[i] == sentinel, "vmsim_create failed but wrote *out");
    }
    FUZZ_CHECK(rc[0] == rc[1], "create: %s vs %s", vmsim_status_name(rc[0]),
               vmsim_status_name(rc[1]));
    if (rc[0] == VMSIM_OK) {
        const vmsim_config_t *got = vmsim_get_config(c->m[0]);
        FUZZ_CHECK(got && got->ram_bytes == cfg.ram_bytes &&
                       vmsim_ram_size(c->m[0]) == cfg.ram_bytes,
                   "config not kept");
    } else {
        vmsim_config_default(&cfg);
        cfg.ram_bytes = 0x100000;
        for (int i = 0; i < N_MACHINES; i++) {
            cfg.fast_path = i == 0;
            FUZZ_CHECK(vmsim_create(&cfg, &c->m[i]) == VMSIM_OK, "default machine");
        }
    }
    c->ram = vmsim_ram_size(c->m[0]);
    for (int i = 0; i < N_MACHINES; i++) {
        c->h[i].obs = &c->obs[i];
        c->h[i].rng = 1;
    }
}

/* RAM that the program may have written is the same on both machines. */
static void same_ram(struct ctx *c)
{
    static uint8_t a[1 << 16], b[1 << 16];
    uint64_t n = c->ram < sizeof a ? c->ram : sizeof a;
    FUZZ_CHECK(vmsim_bus_read(c->m[0], 0, a, n) == VMSIM_OK, "bus_read");
    FUZZ_CHECK(vmsim_bus_read(c->m[1], 0, b, n) == VMSIM_OK, "bus_read");
    FUZZ_CHECK(memcmp(a, b, n) == 0, "RAM contents differ");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.in = (struct bytes){data, size, 0};
    create_machines(&c);
    for (int op = 0; op < MAX_OPS && bytes_left(&c.in); op++) {
        bool on_before = c.h[0].observer_on && c.h[1].observer_on;
        c.obs[0].calls = c.obs[1].calls = 0;
        switch (take8(&c.in) % 16) {
        case 0:
        case 1:
        case 2:
        case 3: op_access(&c); break;
        case 4: op_typed(&c); break;
        case 5: op_range(&c); break;
        case 6:
        case 7: op_bus(&c); break;
        case 8: op_reg(&c); break;
        case 9: op_setup_paging(&c); break;
        case 10: op_translate(&c); break;
        case 11: op_tlb(&c); break;
        case 12:
        case 13: op_misc(&c); break;
        case 14: op_nulls(&c); break;
        default: op_typed(&c); break;
        }
        same_state(&c);
        bool on_after = c.h[0].observer_on && c.h[1].observer_on;
        if (on_before && on_after) {
            FUZZ_CHECK(c.obs[0].calls == c.obs[1].calls, "observer called %llu vs %llu times",
                       (unsigned long long)c.obs[0].calls, (unsigned long long)c.obs[1].calls);
            if (c.obs[0].calls)
                same_translation(&c.obs[0].last, &c.obs[1].last, "observed translation");
        }
    }
    same_ram(&c);
    for (int i = 0; i < N_MACHINES; i++)
        vmsim_destroy(c.m[i]);
    return 0;
}
