/*
 * fuzz_kernel.c - libFuzzer target: the simulated kernel's API
 * (vmsim/vmm.h, vmsim/kmem.h) as a sequence of calls with arbitrary,
 * often bad, arguments on a small machine with frame fault injection.
 *
 *     input = machine and kernel config bytes, then operations:
 *             opcode byte + arguments
 *
 * Processes are created, forked, switched and exited; memory is mapped,
 * unmapped, protected, committed, decommitted, grown with brk and sbrk,
 * read and written through the kernel's accessors and through the raw
 * MMU; kernel memory comes from kmalloc, vmalloc and named caches and is
 * freed -- also twice, at interior addresses, in the wrong cache, at
 * addresses never allocated.  The frame allocator is told to fail
 * allocations and capped, so RAM runs out in the middle of operations.
 *
 * What must hold after every call:
 *   - the status is a vmsim_status_t;
 *   - vmsim_check() finds nothing wrong (refcounts, reverse maps, page
 *     tables against regions, the kernel half, the TLBs against the
 *     tables, the slab and area allocators), and vmsim_pmm_verify() too;
 *   - a process the kernel says exists is listed, one that was exited
 *     is not;
 *   - values stored in user memory are still there (a small shadow of
 *     the last stores, forgotten only when something may change them).
 * At the end every process exits, every kernel object is freed, every
 * cache destroyed and empty slabs released: the frames in use must be
 * exactly those the boot left in use (no frame leaked on any error path).
 *
 * The kernel's user-pointer calls (copy_to/from_user, the vmsim_proc_*
 * family in either mode) get any range: addresses in the kernel half,
 * ranges that cross into it or wrap past 4 GiB, lengths near SIZE_MAX.
 * Whatever is not wholly in user space must be refused before a byte
 * moves when the kernel acts for the process (supervisor mode), and any
 * range longer than what is left of the 4 GiB must be refused in either
 * mode; the checker then proves nothing was written behind the refusal.
 * Raw supervisor-mode MMU writes go only into user space and into live
 * kernel objects within their size: a raw supervisor store anywhere else
 * may legitimately corrupt kernel memory (the page tables are writable
 * through the recursive mapping), which the checker would then rightly
 * report.  User-mode accesses and supervisor reads go anywhere.
 */
#include "fuzz_util.h"
#include "vmsim/vmsim.h"

#define MAX_OPS    160
#define MAX_PIDS   32
#define MAX_OBJS   64
#define MAX_CACHES 8
#define MAX_COPY   (2 * 4096 + 100)

enum obj_kind { OBJ_KMALLOC, OBJ_VMALLOC, OBJ_CACHE };

struct obj {
    enum obj_kind kind;
    uint32_t addr, size;
    int cache; /* OBJ_CACHE: index in caches[] */
};

struct ctx {
    struct bytes in;
    vmsim_machine_t *m;
    vmsim_kernel_t *k;
    vmsim_pmm_t *pmm;
    vmsim_pid_t pids[MAX_PIDS];
    unsigned n_pids;
    vmsim_pid_t dead[8];
    struct obj objs[MAX_OBJS];
    unsigned n_objs;
    uint32_t freed[8]; /* addresses freed lately, for double frees */
    vmsim_kmem_cache_t *caches[MAX_CACHES];
    uint32_t cache_size[MAX_CACHES];
    bool cache_live[MAX_CACHES];
    unsigned op;
    const char *what;
    struct stored {
        vmsim_pid_t pid;
        uint32_t vaddr;
        unsigned size; /* 0: slot unused */
        uint64_t value;
    } stored[16]; /* values stored in user memory that must still be there */
    unsigned next_stored;
};

/* --- checking ------------------------------------------------------------- */

static int trace_ops = -1; /* VMSIM_FUZZ_TRACE=1 in the environment: print every call */

static void status_ok(struct ctx *c, vmsim_status_t rc)
{
    if (trace_ops < 0)
        trace_ops = getenv("VMSIM_FUZZ_TRACE") != NULL;
    if (trace_ops)
        fprintf(stderr, "op %u: %s -> %s\n", c->op, c->what, vmsim_status_name(rc));
    FUZZ_CHECK((unsigned)rc < VMSIM_STATUS_COUNT, "op %u (%s) returned %d", c->op, c->what,
               (int)rc);
}

/* --- the data shadow ---------------------------------------------------------
 * A few values stored with vmsim_proc_store() are remembered and read
 * back at every check: data is never lost.  Conservatively, a value is
 * forgotten when anything may legitimately change it: a write of any
 * process to an overlapping address (shared regions), or an mmap,
 * munmap, mcommit, mdecommit, brk or exit of its process. */

static void forget_range(struct ctx *c, uint32_t vaddr, uint64_t len)
{
    for (unsigned i = 0; i < 16; i++) {
        struct stored *st = &c->stored[i];
        if (st->size && st->vaddr < (uint64_t)vaddr + len && vaddr < (uint64_t)st->vaddr + st->size)
            st->size = 0;
    }
}

static void forget_pid(struct ctx *c, vmsim_pid_t pid)
{
    for (unsigned i = 0; i < 16; i++)
        if (c->stored[i].pid == pid)
            c->stored[i].size = 0;
}

static void remember(struct ctx *c, vmsim_pid_t pid, uint32_t vaddr, unsigned size, uint64_t value)
{
    forget_range(c, vaddr, size);
    if (size < 8)
        value &= (1ull << (8 * size)) - 1;
    c->stored[c->next_stored++ % 16] = (struct stored){pid, vaddr, size, value};
}

static void check_data(struct ctx *c)
{
    vmsim_pid_t current = vmsim_proc_current(c->k);
    for (unsigned i = 0; i < 16; i++) {
        const struct stored *st = &c->stored[i];
        uint64_t v = 0;
        if (st->size &&
            vmsim_proc_load(c->k, st->pid, VMSIM_SUPERVISOR, st->vaddr, st->size, &v) == VMSIM_OK)
            FUZZ_CHECK(v == st->value,
                       "after op %u (%s): pid %d 0x%x holds 0x%llx, 0x%llx was stored there", c->op,
                       c->what, st->pid, st->vaddr, (unsigned long long)v,
                       (unsigned long long)st->value);
    }
    if (current && vmsim_proc_current(c->k) != current)
        FUZZ_CHECK(vmsim_proc_switch(c->k, current) == VMSIM_OK, "switch back");
}

static void check_kernel(struct ctx *c)
{
    static vmsim_check_report_t rep;
    vmsim_status_t rc = vmsim_check(c->k, &rep);
    if (rc != VMSIM_OK) {
        fprintf(stderr, "vmsim_check after op %u (%s): %s, %u problems\n", c->op, c->what,
                vmsim_status_name(rc), rep.n_problems);
        for (uint32_t i = 0; i < rep.n_stored; i++) {
            const vmsim_check_problem_t *p = &rep.problems[i];
            fprintf(stderr, "  %s: pid %d vaddr 0x%x pfn 0x%x expected 0x%llx actual 0x%llx\n",
                    vmsim_check_kind_text(p->kind), p->pid, p->vaddr, p->pfn,
                    (unsigned long long)p->expected, (unsigned long long)p->actual);
        }
        FUZZ_CHECK(false, "the kernel's invariants are broken");
    }
    uint32_t bad = 0;
    FUZZ_CHECK(vmsim_pmm_verify(c->pmm, &bad) == VMSIM_OK, "pmm_verify: frame 0x%x", bad);
    vmsim_pid_t list[MAX_PIDS + 8];
    uint32_t n = vmsim_proc_list(c->k, list, MAX_PIDS + 8);
    FUZZ_CHECK(n == c->n_pids, "op %u (%s): %u processes listed, %u alive", c->op, c->what, n,
               c->n_pids);
    for (unsigned i = 0; i < c->n_pids; i++) {
        bool found = false;
        for (uint32_t j = 0; j < n && !found; j++)
            found = list[j] == c->pids[i];
        FUZZ_CHECK(found, "pid %d is not listed", c->pids[i]);
    }
    check_data(c);
}

/* --- picking arguments -------------------------------------------------------- */

static vmsim_pid_t pick_pid(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    if (how < 200 && c->n_pids)
        return c->pids[how % c->n_pids];
    switch (how % 4) {
    case 0: return c->dead[how % 8];
    case 1: return 0;
    case 2: return -1;
    default: return (vmsim_pid_t)take32(&c->in);
    }
}

static uint32_t pick_uaddr(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    uint32_t page = take8(&c->in);
    switch (how % 10) {
    case 0:
    case 1:
    case 2: return 0x40000000u + (page % 64) * 4096;
    case 3: return 0x10000000u + (page % 64) * 4096;
    case 4: return 0x40000000u + (page % 64) * 4096 + (take16(&c->in) & 0xfff);
    case 5: return 0xc0000000u - (page % 4) * 4096;
    case 6: return 0x80000000u + (page % 4) * (4u << 20);
    case 7: return 0;
    case 8: return take32(&c->in);
    default: return 0x3ff000u + (page % 4) * 4096;
    }
}

static uint32_t pick_len(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    uint32_t n = take8(&c->in);
    switch (how % 8) {
    case 0:
    case 1:
    case 2: return (n % 16 + 1) * 4096;
    case 3: return n * 37 + 1;
    case 4: return 0;
    case 5: return (n % 3 + 1) * (4u << 20);
    case 6: return 0xfffff000u - (n % 4) * 4096;
    default: return take32(&c->in);
    }
}

static unsigned pick_prot(struct ctx *c)
{
    uint8_t p = take8(&c->in);
    return p < 240 ? p % 8 : p;
}

static unsigned pick_flags(struct ctx *c)
{
    uint8_t f = take8(&c->in);
    static const unsigned common[] = {VMSIM_MAP_PRIVATE,
                                      VMSIM_MAP_SHARED,
                                      VMSIM_MAP_PRIVATE | VMSIM_MAP_FIXED,
                                      VMSIM_MAP_PRIVATE | VMSIM_MAP_POPULATE,
                                      VMSIM_MAP_SHARED | VMSIM_MAP_POPULATE,
                                      VMSIM_MAP_PRIVATE | VMSIM_MAP_RESERVE,
                                      VMSIM_MAP_PRIVATE | VMSIM_MAP_LARGE,
                                      VMSIM_MAP_PRIVATE | VMSIM_MAP_LARGE | VMSIM_MAP_FIXED,
                                      0};
    if (f < 200)
        return common[f % (sizeof common / sizeof common[0])];
    return take8(&c->in);
}

static unsigned pick_size(struct ctx *c)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 4, 8, 0, 3, 16};
    return sizes[take8(&c->in) % (sizeof sizes / sizeof sizes[0])];
}

static vmsim_mode_t pick_mode(struct ctx *c)
{
    uint8_t m = take8(&c->in);
    return m < 250 ? (vmsim_mode_t)(m & 1) : (vmsim_mode_t)m;
}

/* An address to free: a live object, an object freed lately, the inside
 * of a live object, zero, or anything. */
static uint32_t pick_free_addr(struct ctx *c, unsigned *obj_index)
{
    uint8_t how = take8(&c->in);
    *obj_index = MAX_OBJS;
    if (how < 160 && c->n_objs) {
        *obj_index = how % c->n_objs;
        return c->objs[*obj_index].addr;
    }
    switch (how % 5) {
    case 0: return c->freed[how % 8];
    case 1: return c->n_objs ? c->objs[how % c->n_objs].addr + 8 * (1 + take8(&c->in) % 4) : 8;
    case 2: return 0;
    case 3: return 0xd0000000u + (take8(&c->in) % 16) * 4096;
    default: return take32(&c->in);
    }
}

/* --- bookkeeping ---------------------------------------------------------------- */

static void add_pid(struct ctx *c, vmsim_pid_t pid)
{
    FUZZ_CHECK(c->n_pids < MAX_PIDS, "too many processes");
    for (unsigned i = 0; i < c->n_pids; i++)
        FUZZ_CHECK(c->pids[i] != pid, "pid %d handed out twice", pid);
    c->pids[c->n_pids++] = pid;
}

static void remove_pid(struct ctx *c, vmsim_pid_t pid)
{
    for (unsigned i = 0; i < c->n_pids; i++)
        if (c->pids[i] == pid) {
            c->pids[i] = c->pids[--c->n_pids];
            c->dead[c->op % 8] = pid;
            return;
        }
    FUZZ_CHECK(false, "exit of pid %d, which the kernel says existed, succeeded", pid);
}

static void add_obj(struct ctx *c, enum obj_kind kind, uint32_t addr, uint32_t size, int cache)
{
    FUZZ_CHECK(addr != 0, "an allocation succeeded with address 0");
    for (unsigned i = 0; i < c->n_objs; i++) {
        const struct obj *o = &c->objs[i];
        FUZZ_CHECK(addr + size <= o->addr || o->addr + o->size <= addr,
                   "new object 0x%x+%u overlaps live 0x%x+%u", addr, size, o->addr, o->size);
    }
    c->objs[c->n_objs++] = (struct obj){kind, addr, size, cache};
}

static void remove_obj(struct ctx *c, unsigned i)
{
    c->freed[c->op % 8] = c->objs[i].addr;
    c->objs[i] = c->objs[--c->n_objs];
}

/* The live object whose address is exactly addr, or MAX_OBJS. */
static unsigned find_obj(const struct ctx *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->n_objs; i++)
        if (c->objs[i].addr == addr)
            return i;
    return MAX_OBJS;
}

/* --- operations -------------------------------------------------------------------- */

static void op_process(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 4;
    vmsim_pid_t pid = pick_pid(c), child = -7;
    vmsim_status_t rc;
    switch (which) {
    case 0:
        if (c->n_pids >= MAX_PIDS - 1)
            return;
        c->what = "proc_create";
        rc = vmsim_proc_create(c->k, &child);
        status_ok(c, rc);
        if (rc == VMSIM_OK)
            add_pid(c, child);
        break;
    case 1:
        if (c->n_pids >= MAX_PIDS - 1)
            return;
        c->what = "proc_fork";
        rc = vmsim_proc_fork(c->k, pid, &child);
        status_ok(c, rc);
        if (rc == VMSIM_OK)
            add_pid(c, child);
        break;
    case 2:
        c->what = "proc_exit";
        rc = vmsim_proc_exit(c->k, pid);
        status_ok(c, rc);
        if (rc == VMSIM_OK)
            remove_pid(c, pid);
        forget_pid(c, pid);
        break;
    default:
        c->what = "proc_switch";
        status_ok(c, vmsim_proc_switch(c->k, pid));
        break;
    }
}

static void op_map(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 7;
    vmsim_pid_t pid = pick_pid(c);
    uint32_t addr = pick_uaddr(c), len = pick_len(c), out = 0;
    vmsim_status_t rc;
    switch (which) {
    case 0:
    case 1: {
        unsigned prot = pick_prot(c), flags = pick_flags(c);
        c->what = "mmap";
        forget_pid(c, pid);
        rc = vmsim_mmap(c->k, pid, addr, len, prot, flags, (take8(&c->in) & 1) ? NULL : &out);
        break;
    }
    case 2:
        c->what = "munmap";
        forget_pid(c, pid);
        rc = vmsim_munmap(c->k, pid, addr, len);
        break;
    case 3:
        c->what = "mprotect";
        rc = vmsim_mprotect(c->k, pid, addr, len, pick_prot(c));
        break;
    case 4:
        c->what = "mcommit";
        forget_pid(c, pid);
        rc = vmsim_mcommit(c->k, pid, addr, len, pick_prot(c));
        break;
    case 5:
        c->what = "mdecommit";
        forget_pid(c, pid);
        rc = vmsim_mdecommit(c->k, pid, addr, len);
        break;
    default:
        forget_pid(c, pid);
        if (take8(&c->in) & 1) {
            c->what = "brk";
            rc = vmsim_brk(c->k, pid, (take8(&c->in) & 1) ? 0x10000000u + len : addr,
                           (take8(&c->in) & 1) ? NULL : &out);
        } else {
            c->what = "sbrk";
            rc = vmsim_sbrk(c->k, pid, (int32_t)(take8(&c->in) & 1 ? len : -len), &out);
        }
        break;
    }
    status_ok(c, rc);
}

/* Is [addr, addr + len) inside one live kernel object? */
static bool in_object(const struct ctx *c, uint32_t addr, uint32_t len)
{
    for (unsigned i = 0; i < c->n_objs; i++)
        if (addr >= c->objs[i].addr &&
            (uint64_t)addr + len <= (uint64_t)c->objs[i].addr + c->objs[i].size)
            return true;
    return false;
}

/* Supervisor stores may go to user space and into live kernel objects only. */
static bool store_allowed(const struct ctx *c, vmsim_mode_t mode, uint32_t addr, uint64_t len)
{
    if (mode != VMSIM_SUPERVISOR)
        return true;
    if ((uint64_t)addr + len <= VMSIM_USER_END)
        return true;
    return len <= UINT32_MAX && in_object(c, addr, (uint32_t)len);
}

/* An address in a live kernel object, or anywhere. */
static uint32_t pick_any_addr(struct ctx *c)
{
    uint8_t how = take8(&c->in);
    if (how < 100 && c->n_objs) {
        const struct obj *o = &c->objs[how % c->n_objs];
        return o->addr + (o->size ? take16(&c->in) % o->size : 0);
    }
    if (how < 110)
        return 0xc0000000u + take32(&c->in) % 0x40000000u;
    return pick_uaddr(c);
}

/* A length for a byte range at addr: mostly small (it fits the buffer);
 * sometimes one that must be refused whole -- longer than what is left
 * of the 4 GiB, near SIZE_MAX, or, for a user pointer the kernel
 * dereferences (supervisor mode), one that runs into the kernel half. */
static size_t pick_copy_len(struct ctx *c, uint32_t addr, bool user_pointer)
{
    uint8_t how = take8(&c->in);
    size_t small = take16(&c->in) % MAX_COPY;
    uint64_t past_4g = (1ull << 32) - addr + 1 + (how >> 4);
    switch (how % 16) {
    case 0: return SIZE_MAX - (how >> 4);
    case 1: return past_4g > SIZE_MAX ? SIZE_MAX : (size_t)past_4g;
    case 2:
        if (user_pointer && addr < VMSIM_USER_END)
            return VMSIM_USER_END - addr + 1 + (how >> 4);
        return small;
    default: return small;
    }
}

/* Is [addr, addr + len) wholly in user space? */
static bool in_user_space(uint32_t addr, uint64_t len)
{
    return len <= VMSIM_USER_END && addr <= VMSIM_USER_END - len;
}

/* What must hold after an access through the kernel's user-pointer calls. */
static void check_user_pointer(struct ctx *c, uint8_t which, vmsim_mode_t mode, uint32_t addr,
                               uint64_t len, vmsim_status_t rc, size_t done)
{
    bool ranged = which >= 2 && which <= 5;
    bool for_process = which == 4 || which == 5 || mode == VMSIM_SUPERVISOR;
    if (ranged && len > (1ull << 32) - addr)
        FUZZ_CHECK(rc != VMSIM_OK && done == 0, "%s of %llu bytes at 0x%x: %s, %zu done", c->what,
                   (unsigned long long)len, addr, vmsim_status_name(rc), done);
    if (for_process && which != 6 && which != 7 && !in_user_space(addr, len))
        FUZZ_CHECK(rc != VMSIM_OK && done == 0,
                   "%s for the process at 0x%x, %llu bytes, reaches the kernel half: %s, %zu done",
                   c->what, addr, (unsigned long long)len, vmsim_status_name(rc), done);
    if (for_process && (which == 6 || which == 7) && addr >= VMSIM_USER_END)
        FUZZ_CHECK(rc != VMSIM_OK, "%s for the process at 0x%x: %s", c->what, addr,
                   vmsim_status_name(rc));
}

static void op_access(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 8;
    vmsim_pid_t pid = pick_pid(c);
    vmsim_mode_t mode = pick_mode(c);
    uint32_t addr = pick_any_addr(c);
    unsigned size = pick_size(c);
    size_t len = pick_copy_len(c, addr, which == 4 || which == 5 || mode == VMSIM_SUPERVISOR);
    uint64_t value = take64(&c->in);
    static uint8_t buf[MAX_COPY + 1];
    size_t done = 0;
    vmsim_status_t rc = VMSIM_OK;
    memset(buf, (int)value, sizeof buf);
    switch (which) {
    case 0:
        c->what = "proc_load";
        rc = vmsim_proc_load(c->k, pid, mode, addr, size, (value & 1) ? NULL : &value);
        break;
    case 1:
        c->what = "proc_store";
        forget_range(c, addr, size);
        rc = vmsim_proc_store(c->k, pid, mode, addr, size, value);
        if (rc == VMSIM_OK && addr < VMSIM_USER_END)
            remember(c, pid, addr, size, value);
        break;
    case 2:
        c->what = "proc_read";
        rc = vmsim_proc_read(c->k, pid, mode, addr, (value & 1) && len ? NULL : buf, len, &done);
        break;
    case 3:
        c->what = "proc_write";
        forget_range(c, addr, len);
        rc = vmsim_proc_write(c->k, pid, mode, addr, buf, len, (value & 2) ? NULL : &done);
        break;
    case 4:
        c->what = "copy_from_user";
        rc = vmsim_copy_from_user(c->k, pid, buf, addr, len);
        break;
    case 5:
        c->what = "copy_to_user";
        forget_range(c, addr, len);
        rc = vmsim_copy_to_user(c->k, pid, addr, buf, len);
        break;
    case 6:
        c->what = "proc_read_string";
        rc =
            vmsim_proc_read_string(c->k, pid, mode, addr, (char *)buf, (value & 4) ? 0 : len % 300);
        break;
    default:
        buf[len % 300] = '\0';
        c->what = "proc_write_string";
        forget_range(c, addr, len % 300 + 1);
        rc = vmsim_proc_write_string(c->k, pid, mode, addr, (char *)buf);
        break;
    }
    status_ok(c, rc);
    if (which == 2 || which == 3)
        FUZZ_CHECK(done <= len, "%s: n_done %zu > len %zu", c->what, done, len);
    check_user_pointer(c, which, mode, addr, which < 2 ? size : len, rc, done);
    vmsim_kfault_t kf;
    status_ok(c, vmsim_kernel_last_fault(c->k, &kf));
}

/* The raw MMU, in the current process. */
static void op_raw(struct ctx *c)
{
    vmsim_mode_t mode = pick_mode(c);
    uint32_t addr = pick_any_addr(c);
    uint8_t which = take8(&c->in) % 4;
    uint64_t value = take64(&c->in);
    vmsim_status_t rc;
    c->what = "raw MMU access";
    if (which == 0) {
        uint32_t v;
        rc = vmsim_read32(c->m, mode, addr, &v);
    } else if (which == 1) {
        uint32_t v;
        rc = vmsim_fetch32(c->m, mode, addr, &v);
    } else {
        if (!store_allowed(c, mode, addr, 8))
            return;
        forget_range(c, addr, 8);
        rc = vmsim_write64(c->m, mode, addr, value);
    }
    status_ok(c, rc);
}

static void op_kmem(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 8;
    uint32_t addr = 0;
    unsigned idx;
    vmsim_status_t rc;
    switch (which) {
    case 0:
    case 1: {
        uint8_t how = take8(&c->in);
        uint32_t size = how < 200   ? 1 + take16(&c->in) % 2100
                        : how < 240 ? take16(&c->in) * 3u
                                    : take32(&c->in);
        if (c->n_objs >= MAX_OBJS)
            return;
        c->what = "kmalloc";
        rc = vmsim_kmalloc(c->k, size, (how & 1) || how < 240 ? &addr : NULL);
        status_ok(c, rc);
        if (rc == VMSIM_OK && addr) {
            uint32_t usable = 0;
            FUZZ_CHECK(vmsim_ksize(c->k, addr, &usable) == VMSIM_OK && usable >= size,
                       "ksize %u of a %u-byte object", usable, size);
            add_obj(c, OBJ_KMALLOC, addr, size, -1);
        }
        break;
    }
    case 2:
        addr = pick_free_addr(c, &idx);
        c->what = "kfree";
        rc = vmsim_kfree(c->k, addr);
        status_ok(c, rc);
        idx = find_obj(c, addr);
        if (rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT) {
            FUZZ_CHECK(addr == 0 || (idx < MAX_OBJS && c->objs[idx].kind == OBJ_KMALLOC),
                       "kfree(0x%x) succeeded on no live kmalloc object", addr);
            if (addr)
                remove_obj(c, idx);
        } else {
            FUZZ_CHECK(idx == MAX_OBJS || c->objs[idx].kind != OBJ_KMALLOC,
                       "kfree of live object 0x%x refused: %s", addr, vmsim_status_name(rc));
        }
        break;
    case 3: {
        uint8_t how = take8(&c->in);
        uint32_t size = how < 200 ? 1 + take16(&c->in) % (64 * 4096) : take32(&c->in);
        unsigned flags = take8(&c->in);
        flags = flags < 240 ? flags % 4 : flags;
        if (c->n_objs >= MAX_OBJS)
            return;
        c->what = "vmalloc";
        rc = vmsim_vmalloc(c->k, size, flags, (how & 2) || how < 250 ? &addr : NULL);
        status_ok(c, rc);
        if (rc == VMSIM_OK && addr)
            add_obj(c, OBJ_VMALLOC, addr, size, -1);
        break;
    }
    case 4:
        addr = pick_free_addr(c, &idx);
        c->what = "vfree";
        rc = vmsim_vfree(c->k, addr);
        status_ok(c, rc);
        idx = find_obj(c, addr);
        if (rc == VMSIM_OK) {
            FUZZ_CHECK(addr == 0 || (idx < MAX_OBJS && c->objs[idx].kind == OBJ_VMALLOC),
                       "vfree(0x%x) succeeded on no live area", addr);
            if (addr)
                remove_obj(c, idx);
        } else {
            FUZZ_CHECK(idx == MAX_OBJS || c->objs[idx].kind != OBJ_VMALLOC,
                       "vfree of live area 0x%x refused: %s", addr, vmsim_status_name(rc));
        }
        break;
    case 5: {
        uint32_t a = 0;
        c->what = "ksize";
        status_ok(c, vmsim_ksize(c->k, pick_free_addr(c, &idx), (take8(&c->in) & 1) ? NULL : &a));
        break;
    }
    case 6: {
        uint8_t w = take8(&c->in);
        uint32_t arg = take32(&c->in);
        c->what = "kmem knobs";
        if (w % 3 == 0)
            status_ok(c, vmsim_kmem_shrink(c->k, (arg & 1) ? NULL : &arg));
        else if (w % 3 == 1)
            status_ok(c, vmsim_kmem_set_keep_empty(c->k, arg % 4));
        else
            status_ok(c, vmsim_area_set_fit(c->k, (vmsim_area_fit_t)(arg % 4)));
        break;
    }
    default: {
        /* write inside a live object (what kernel code may do) */
        if (!c->n_objs)
            return;
        const struct obj *o = &c->objs[take8(&c->in) % c->n_objs];
        uint32_t off = o->size ? take16(&c->in) % o->size : 0;
        uint32_t n = take16(&c->in) % (o->size - off + 1);
        c->what = "write into an object";
        status_ok(c,
                  vmsim_fill_bytes(c->m, VMSIM_SUPERVISOR, o->addr + off, take8(&c->in), n, NULL));
        break;
    }
    }
}

/* The index of the live cache `cache` is (a destroyed cache's host memory
 * may come back as a new cache), or -1. */
static int live_cache(const struct ctx *c, const vmsim_kmem_cache_t *cache)
{
    for (int i = 0; i < MAX_CACHES; i++)
        if (c->cache_live[i] && c->caches[i] == cache)
            return i;
    return -1;
}

static void op_cache(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 5;
    unsigned ci = take8(&c->in) % MAX_CACHES;
    vmsim_status_t rc;
    static int not_a_cache[64];
    vmsim_kmem_cache_t *cache = c->caches[ci];
    if (take8(&c->in) == 0xff)
        cache = (vmsim_kmem_cache_t *)not_a_cache; /* a pointer the kernel never handed out */
    switch (which) {
    case 0: {
        if (c->cache_live[ci])
            return;
        uint8_t how = take8(&c->in);
        uint32_t size = how < 230 ? 1 + take16(&c->in) % 9000 : take32(&c->in);
        uint32_t align = take8(&c->in);
        align = align < 200 ? (align % 14 ? 1u << (align % 14) : 0) : align;
        char name[40];
        snprintf(name, sizeof name, "cache-%u-with-a-rather-long-name", ci);
        vmsim_kmem_cache_t *out = NULL;
        c->what = "kmem_cache_create";
        rc = vmsim_kmem_cache_create(c->k, (how & 1) ? name : "c", size, align, &out);
        status_ok(c, rc);
        if (rc == VMSIM_OK) {
            FUZZ_CHECK(out != NULL, "cache_create OK without a cache");
            c->caches[ci] = out;
            c->cache_size[ci] = size;
            c->cache_live[ci] = true;
        }
        break;
    }
    case 1: {
        uint32_t addr = 0;
        if (!cache || c->n_objs >= MAX_OBJS)
            return;
        c->what = "kmem_cache_alloc";
        rc = vmsim_kmem_cache_alloc(c->k, cache, &addr);
        status_ok(c, rc);
        if (rc == VMSIM_OK) {
            int live = live_cache(c, cache);
            FUZZ_CHECK(live >= 0, "allocation from a cache that is not live");
            add_obj(c, OBJ_CACHE, addr, c->cache_size[live], live);
        }
        break;
    }
    case 2: {
        unsigned idx;
        uint32_t addr = pick_free_addr(c, &idx);
        if (!cache)
            return;
        c->what = "kmem_cache_free";
        rc = vmsim_kmem_cache_free(c->k, cache, addr);
        status_ok(c, rc);
        idx = find_obj(c, addr);
        if ((rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT) && addr) {
            FUZZ_CHECK(idx < MAX_OBJS && c->objs[idx].kind == OBJ_CACHE &&
                           c->objs[idx].cache == live_cache(c, cache),
                       "cache_free(0x%x) succeeded on no live object of that cache", addr);
            remove_obj(c, idx);
        } else if (addr && idx < MAX_OBJS && c->objs[idx].kind == OBJ_CACHE &&
                   c->objs[idx].cache == live_cache(c, cache)) {
            FUZZ_CHECK(false, "cache_free of live object 0x%x refused: %s", addr,
                       vmsim_status_name(rc));
        }
        break;
    }
    case 3: {
        if (!cache)
            return;
        c->what = "kmem_cache_destroy";
        rc = vmsim_kmem_cache_destroy(c->k, cache);
        status_ok(c, rc);
        int live = live_cache(c, cache);
        if (rc == VMSIM_OK) {
            FUZZ_CHECK(live >= 0, "destroyed a cache that is not live");
            for (unsigned i = 0; i < c->n_objs; i++)
                FUZZ_CHECK(c->objs[i].kind != OBJ_CACHE || c->objs[i].cache != live,
                           "destroyed a cache with live objects");
            c->cache_live[live] = false;
        } else if (rc == VMSIM_ERR_NOT_FOUND) {
            FUZZ_CHECK(live < 0, "a live cache is not found");
        }
        break;
    }
    default: {
        vmsim_kmem_cache_stats_t st;
        c->what = "kmem_cache_stats";
        if (cache)
            status_ok(c, vmsim_kmem_cache_stats(c->k, cache, &st));
        break;
    }
    }
}

/* Swap: I/O failures, mlock / munlock, pins, ticks. */
static void op_swap(struct ctx *c, uint8_t which, uint32_t a, uint32_t b)
{
    vmsim_pid_t pid = pick_pid(c);
    uint32_t addr = pick_uaddr(c) & ~0xfffu, len = (b % 8 + 1) * 4096u;
    vmsim_status_t rc;
    switch (which) {
    case 3:
        c->what = "swap_fail_next";
        rc = vmsim_swap_fail_next(c->k, (vmsim_swap_dir_t)(a % 3), a / 3 % 8, b % 3);
        break;
    case 4:
        c->what = "mlock";
        rc = vmsim_mlock(c->k, pid, addr, len);
        break;
    case 5:
        c->what = "munlock";
        rc = vmsim_munlock(c->k, pid, addr, len);
        break;
    case 6:
        c->what = "pin";
        rc = (a & 1) ? vmsim_proc_unpin(c->k, pid, addr) : vmsim_proc_pin(c->k, pid, addr);
        if (rc == VMSIM_OK && !(a & 1))
            FUZZ_CHECK(vmsim_proc_unpin(c->k, pid, addr) == VMSIM_OK, "unpin of a pinned page");
        break;
    case 7:
        c->what = "tick";
        rc = vmsim_kernel_tick(c->k);
        break;
    default: /* memory pressure: a run of user stores, remembered */
        c->what = "mmap (run)";
        if (a & 1) {
            forget_pid(c, pid);
            status_ok(c, vmsim_mmap(c->k, pid, 0x40000000u, 64 * 4096,
                                    VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                                    VMSIM_MAP_FIXED | ((a & 2) ? VMSIM_MAP_SHARED : 0), NULL));
        }
        c->what = "proc_store (run)";
        for (uint32_t i = 0, base = 0x40000000u + (a % 16) * 4096; i < 8 + b % 32; i++) {
            uint32_t va = base + i * 4096;
            forget_range(c, va, 4);
            rc = vmsim_proc_store(c->k, pid, VMSIM_USER, va, 4, va ^ b);
            status_ok(c, rc);
            if (rc == VMSIM_OK)
                remember(c, pid, va, 4, va ^ b);
        }
        return;
    }
    status_ok(c, rc);
}

static void op_inject(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 9;
    uint32_t a = take8(&c->in), b = take8(&c->in);
    c->what = "fault injection";
    if (which == 0)
        status_ok(c, vmsim_pmm_fail_next(c->pmm, a % 32, b % 4));
    else if (which == 1)
        status_ok(c, vmsim_pmm_set_cap(c->pmm, b < 128 ? 0 : 256 + a * 2));
    else if (which == 2)
        status_ok(c, vmsim_pmm_fail_next(c->pmm, 0, 0));
    else
        op_swap(c, which, a, b);
}

static void op_query(struct ctx *c)
{
    uint8_t which = take8(&c->in) % 10;
    vmsim_pid_t pid = pick_pid(c);
    uint32_t n = 0, addr = pick_uaddr(c);
    c->what = "query";
    switch (which) {
    case 0: {
        vmsim_proc_info_t info;
        status_ok(c, vmsim_proc_get_info(c->k, pid, &info));
        break;
    }
    case 1: {
        vmsim_region_info_t r[8];
        status_ok(c, vmsim_region_list(c->k, pid, r, take8(&c->in) % 9, &n));
        break;
    }
    case 2: {
        vmsim_pte_info_t pte;
        status_ok(c, vmsim_proc_query(c->k, pid, addr, &pte));
        break;
    }
    case 3: {
        vmsim_kernel_stats_t st;
        status_ok(c, vmsim_kernel_get_stats(c->k, &st));
        break;
    }
    case 4: {
        vmsim_area_info_t a[8];
        status_ok(c, vmsim_area_list(c->k, a, take8(&c->in) % 9, (take8(&c->in) & 1) ? NULL : &n));
        break;
    }
    case 5: {
        vmsim_kmem_cache_stats_t s[4];
        status_ok(c, vmsim_kmem_slabinfo(c->k, s, take8(&c->in) % 5, &n));
        break;
    }
    case 6: {
        vmsim_kmem_stats_t s;
        vmsim_area_stats_t a;
        status_ok(c, vmsim_kmem_stats(c->k, &s));
        status_ok(c, vmsim_area_stats(c->k, &a));
        break;
    }
    case 7: {
        vmsim_kmem_problem_t p;
        status_ok(c, vmsim_kmem_last_problem(c->k, &p));
        break;
    }
    case 8: {
        vmsim_pid_t list[4];
        (void)vmsim_proc_list(c->k, take8(&c->in) & 1 ? NULL : list, take8(&c->in) % 5);
        break;
    }
    default: {
        /* NULL handles and outputs */
        vmsim_pid_t p;
        uint32_t a;
        FUZZ_CHECK(vmsim_proc_create(NULL, &p) == VMSIM_ERR_NULL, "proc_create(NULL)");
        FUZZ_CHECK(vmsim_proc_create(c->k, NULL) == VMSIM_ERR_NULL, "proc_create out NULL");
        FUZZ_CHECK(vmsim_kmalloc(NULL, 8, &a) == VMSIM_ERR_NULL, "kmalloc(NULL)");
        FUZZ_CHECK(vmsim_vmalloc(NULL, 8, 0, &a) == VMSIM_ERR_NULL, "vmalloc(NULL)");
        FUZZ_CHECK(vmsim_check(NULL, NULL) == VMSIM_ERR_NULL, "check(NULL)");
        FUZZ_CHECK(vmsim_kmem_cache_alloc(c->k, NULL, &a) == VMSIM_ERR_NULL, "cache NULL");
        status_ok(c, vmsim_proc_fork(c->k, pid, NULL));
        status_ok(c, vmsim_proc_get_info(c->k, pid, NULL));
        status_ok(c, vmsim_region_list(c->k, pid, NULL, 4, NULL));
        status_ok(c, vmsim_proc_query(c->k, pid, addr, NULL));
        status_ok(c, vmsim_kernel_get_stats(c->k, NULL));
        status_ok(c, vmsim_kernel_last_fault(c->k, NULL));
        status_ok(c, vmsim_munmap(NULL, pid, addr, 4096));
        status_ok(c, vmsim_proc_load(c->k, pid, VMSIM_USER, addr, 4, NULL));
        status_ok(c, vmsim_proc_write_string(c->k, pid, VMSIM_USER, addr, NULL));
        status_ok(c, vmsim_proc_read_string(c->k, pid, VMSIM_USER, addr, NULL, 10));
        status_ok(c, vmsim_kmem_cache_create(c->k, NULL, 8, 0, NULL));
        (void)vmsim_kfault_kind_name((vmsim_kfault_kind_t)take32(&c->in));
        (void)vmsim_check_kind_text((vmsim_check_kind_t)take32(&c->in));
        (void)vmsim_kmem_problem_name((vmsim_kmem_problem_kind_t)take32(&c->in));
        break;
    }
    }
}

/* --- set-up and tear-down ---------------------------------------------------------- */

static bool boot(struct ctx *c)
{
    static const uint64_t rams[] = {0x100000, 0x200000, 0x400000, 0x800000, 0x1000000, 0x180000};
    vmsim_config_t mc;
    vmsim_config_default(&mc);
    uint8_t b = take8(&c->in);
    mc.ram_bytes = rams[b % (sizeof rams / sizeof rams[0])];
    mc.split_tlb = b & 8;
    mc.fast_path = b & 16;
    if (b & 32)
        mc.dtlb = vmsim_tlb_config(8, 2, VMSIM_TLB_FIFO);
    FUZZ_CHECK(vmsim_create(&mc, &c->m) == VMSIM_OK, "vmsim_create");

    vmsim_kernel_config_t kc;
    vmsim_kernel_config_default(&kc);
    uint8_t f = take8(&c->in);
    kc.zero_page = f & 1;
    kc.global_kernel = f & 2;
    kc.large_pages = f & 4;
    kc.kmem_debug = f & 8;
    kc.flush_threshold = (f & 16) ? take8(&c->in) : 32;
    if (f & 32) {
        kc.heap_base = take32(&c->in);
        kc.mmap_base = take32(&c->in);
    }
    kc.max_frames = (f & 64) ? 256 + take8(&c->in) * 4u : 0;
    if (f & 128) { /* swap: small caps, small swaps */
        kc.swap_slots = 1 + take8(&c->in) % 64;
        kc.max_user_frames = take8(&c->in) % 24;
        uint8_t p = take8(&c->in);
        kc.policy = (vmsim_policy_kind_t)(p % 6); /* 5: invalid, boot must refuse it */
        kc.lazy_ad_clear = p & 8;
        kc.aging_bits = 1 + (p >> 4) % 32;
        kc.max_locked_pages = take8(&c->in) % 16;
    }

    /* someone else owns the machine: boot must refuse it and leave it be */
    uint8_t busy = take8(&c->in) % 8;
    vmsim_kernel_t *k = NULL;
    if (busy == 1) {
        vmsim_write_reg(c->m, VMSIM_REG_CR0, VMSIM_CR0_PE | VMSIM_CR0_PG);
        vmsim_status_t busy_rc = vmsim_kernel_boot(c->m, &kc, &k);
        FUZZ_CHECK((busy_rc == VMSIM_ERR_BUSY || busy_rc == VMSIM_ERR_INVALID) && !k,
                   "boot with paging on: %s", vmsim_status_name(busy_rc));
        vmsim_write_reg(c->m, VMSIM_REG_CR0, 0);
    }
    c->what = "vmsim_kernel_boot";
    vmsim_status_t rc = vmsim_kernel_boot(c->m, (busy == 2) ? NULL : &kc, &c->k);
    status_ok(c, rc);
    if (rc != VMSIM_OK) {
        FUZZ_CHECK(vmsim_paging_mode(c->m) == VMSIM_PAGING_OFF &&
                       vmsim_get_fault_handler(c->m, NULL) == NULL,
                   "a failed boot left paging on or a handler installed");
        vmsim_destroy(c->m);
        return false;
    }
    c->pmm = vmsim_kernel_pmm(c->k);
    FUZZ_CHECK(vmsim_kernel_machine(c->k) == c->m && c->pmm, "kernel accessors");
    vmsim_kernel_t *again = NULL;
    rc = vmsim_kernel_boot(c->m, &kc, &again); /* kc may be a bad config: INVALID then */
    FUZZ_CHECK((rc == VMSIM_ERR_BUSY || rc == VMSIM_ERR_INVALID) && !again,
               "a second kernel booted on the same machine: %s", vmsim_status_name(rc));
    return true;
}

static void tear_down(struct ctx *c, uint32_t frames_at_boot)
{
    c->what = "tear-down";
    FUZZ_CHECK(vmsim_pmm_fail_next(c->pmm, 0, 0) == VMSIM_OK, "fail_next off");
    FUZZ_CHECK(vmsim_pmm_set_cap(c->pmm, 0) == VMSIM_OK, "cap off");
    vmsim_swap_fail_next(c->k, VMSIM_SWAP_IN, 0, 0);
    vmsim_swap_fail_next(c->k, VMSIM_SWAP_OUT, 0, 0);
    while (c->n_objs) {
        const struct obj *o = &c->objs[c->n_objs - 1];
        vmsim_status_t rc = o->kind == OBJ_KMALLOC ? vmsim_kfree(c->k, o->addr)
                            : o->kind == OBJ_VMALLOC
                                ? vmsim_vfree(c->k, o->addr)
                                : vmsim_kmem_cache_free(c->k, c->caches[o->cache], o->addr);
        FUZZ_CHECK(rc == VMSIM_OK || rc == VMSIM_ERR_CORRUPT, "freeing live object 0x%x: %s",
                   o->addr, vmsim_status_name(rc));
        c->n_objs--;
    }
    for (unsigned i = 0; i < MAX_CACHES; i++)
        if (c->cache_live[i])
            FUZZ_CHECK(vmsim_kmem_cache_destroy(c->k, c->caches[i]) == VMSIM_OK, "cache_destroy");
    while (c->n_pids) {
        vmsim_pid_t pid = c->pids[c->n_pids - 1];
        FUZZ_CHECK(vmsim_proc_exit(c->k, pid) == VMSIM_OK, "exit of live pid %d", pid);
        c->n_pids--;
    }
    FUZZ_CHECK(vmsim_kmem_shrink(c->k, NULL) == VMSIM_OK, "shrink");
    check_kernel(c);
    vmsim_kernel_stats_t st;
    FUZZ_CHECK(vmsim_kernel_get_stats(c->k, &st) == VMSIM_OK, "stats");
    if (trace_ops > 0)
        fprintf(stderr, "evictions %llu (written %llu), swap-ins %llu\n",
                (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
                (unsigned long long)st.faults_swap_in);
    FUZZ_CHECK(st.frames_in_use == frames_at_boot,
               "%u frames in use after everything was released, %u after boot", st.frames_in_use,
               frames_at_boot);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ctx c;
    memset(&c, 0, sizeof c);
    c.in = (struct bytes){data, size, 0};
    if (!boot(&c))
        return 0;
    vmsim_kernel_stats_t st;
    FUZZ_CHECK(vmsim_kernel_get_stats(c.k, &st) == VMSIM_OK, "stats");
    uint32_t frames_at_boot = st.frames_in_use;
    check_kernel(&c);
    for (c.op = 0; c.op < MAX_OPS && bytes_left(&c.in); c.op++) {
        switch (take8(&c.in) % 12) {
        case 0:
        case 1: op_process(&c); break;
        case 2:
        case 3:
        case 4: op_map(&c); break;
        case 5:
        case 6: op_access(&c); break;
        case 7: op_raw(&c); break;
        case 8: op_kmem(&c); break;
        case 9: op_cache(&c); break;
        case 10: op_inject(&c); break;
        default: op_query(&c); break;
        }
        check_kernel(&c);
    }
    tear_down(&c, frames_at_boot);
    vmsim_kernel_shutdown(c.k);
    FUZZ_CHECK(vmsim_get_fault_handler(c.m, NULL) == NULL, "shutdown left the handler");
    vmsim_destroy(c.m);
    return 0;
}
