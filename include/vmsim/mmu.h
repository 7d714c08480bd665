/*
 * vmsim/mmu.h - the memory-management unit: control registers, loads,
 * stores and instruction fetches through paging, page faults.
 *
 * The MMU implements 32-bit paging, PAE paging and IA-32e paging (4-level
 * and 5-level, with 1 GiB pages, PCIDs and protection keys) as the Intel
 * SDM Vol. 3A chapter 4 describes them.  An access
 *
 *     linear address --TLB hit--> physical address --> RAM
 *                    \--miss--> page walk (reads entries from RAM,
 *                                writes A/D bits back) --> TLB fill
 *
 * either completes, or returns VMSIM_ERR_PAGE_FAULT with the fault as a
 * value (vmsim_fault_t: CR2, the x86 error code, why), or VMSIM_ERR_BUS
 * when a physical address outside RAM was reached, or (IA-32e mode only)
 * VMSIM_ERR_GP for a non-canonical address.  With CR0.PG = 0 the
 * linear address is the physical address.
 *
 * A kernel running on the machine can register a fault handler; it is
 * called for each page fault, may fix the page tables (with accesses of
 * its own), and asks for the access to be restarted (at most once per
 * page the access touches).
 */
#ifndef VMSIM_MMU_H
#define VMSIM_MMU_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Control-register and page-table bits (Intel SDM names). */
#define VMSIM_CR0_PE      (1u << 0)
#define VMSIM_CR0_WP      (1u << 16)
#define VMSIM_CR0_PG      (1u << 31)
#define VMSIM_CR4_PSE     (1u << 4)
#define VMSIM_CR4_PAE     (1u << 5)
#define VMSIM_CR4_PGE     (1u << 7)
#define VMSIM_CR4_LA57    (1u << 12) /* 5-level paging (chosen when IA-32e mode starts) */
#define VMSIM_CR4_PCIDE   (1u << 17) /* process-context identifiers */
#define VMSIM_CR4_SMEP    (1u << 20)
#define VMSIM_CR4_SMAP    (1u << 21)
#define VMSIM_CR4_PKE     (1u << 22) /* protection keys for user-mode pages */
#define VMSIM_EFER_LME    (1u << 8)  /* long mode enable */
#define VMSIM_EFER_LMA    (1u << 10) /* long mode active (read-only) */
#define VMSIM_EFER_NXE    (1u << 11)
#define VMSIM_CR3_NOFLUSH (1ull << 63) /* with CR4.PCIDE: the CR3 load flushes nothing */

#define VMSIM_PTE_P          (1u << 0)
#define VMSIM_PTE_RW         (1u << 1)
#define VMSIM_PTE_US         (1u << 2)
#define VMSIM_PTE_PWT        (1u << 3)
#define VMSIM_PTE_PCD        (1u << 4)
#define VMSIM_PTE_A          (1u << 5)
#define VMSIM_PTE_D          (1u << 6)
#define VMSIM_PTE_PS         (1u << 7) /* in a PDE: large page */
#define VMSIM_PTE_PAT        (1u << 7) /* in a PTE */
#define VMSIM_PTE_G          (1u << 8)
#define VMSIM_PTE_XD         (1ull << 63) /* PAE and IA-32e entries, with EFER.NXE */
#define VMSIM_PTE_PKEY_SHIFT 59 /* IA-32e leaf entries: bits 62:59 are the protection key */

/* Page-fault error code bits. */
#define VMSIM_PF_P (1u << 0)
#define VMSIM_PF_W (1u << 1)
#define VMSIM_PF_U (1u << 2)
#define VMSIM_PF_RSVD (1u << 3)
#define VMSIM_PF_I    (1u << 4)
#define VMSIM_PF_PK   (1u << 5)

typedef enum vmsim_reg {
    VMSIM_REG_CR0 = 0,
    VMSIM_REG_CR2,
    VMSIM_REG_CR3,
    VMSIM_REG_CR4,
    VMSIM_REG_EFER,
    VMSIM_REG_PKRU, /* protection-key rights (WRPKRU): bit 2i AD, bit 2i+1 WD of key i */
    VMSIM_REG_COUNT
} vmsim_reg_t;

typedef enum vmsim_mode {
    VMSIM_SUPERVISOR = 0, /* CPL 0 */
    VMSIM_USER = 1        /* CPL 3 */
} vmsim_mode_t;

typedef enum vmsim_access {
    VMSIM_READ = 0,
    VMSIM_WRITE = 1,
    VMSIM_FETCH = 2
} vmsim_access_t;

/* Why a page fault happened, beyond what the error code says. */
typedef enum vmsim_fault_reason {
    VMSIM_WHY_NONE = 0,
    VMSIM_WHY_NOT_PRESENT, /* P = 0 in an entry of the walk */
    VMSIM_WHY_RESERVED,    /* a reserved bit is set in an entry */
    VMSIM_WHY_USER_TO_SUP, /* user access to a supervisor page (U/S = 0 somewhere) */
    VMSIM_WHY_READ_ONLY, /* write to a page with R/W = 0 somewhere (user, or supervisor with CR0.WP)
                          */
    VMSIM_WHY_SMEP,      /* supervisor fetch from a user page with CR4.SMEP */
    VMSIM_WHY_SMAP,      /* supervisor data access to a user page with CR4.SMAP and AC = 0 */
    VMSIM_WHY_XD,        /* fetch from a page with XD = 1 (PAE, IA-32e, EFER.NXE) */
    VMSIM_WHY_PKEY       /* the page's protection key forbids it (PKRU AD / WD, CR4.PKE) */
} vmsim_fault_reason_t;

/* A page fault, as a value. */
typedef struct vmsim_fault {
    vmsim_vaddr_t cr2;           /* the faulting linear address (first faulting byte) */
    uint32_t error_code;         /* x86 #PF error code: VMSIM_PF_* bits */
    vmsim_fault_reason_t reason; /* the rule that failed (an ordinary right before PKEY when
                                    both forbid; the error code then has PK too) */
    vmsim_access_t access;
    vmsim_mode_t mode;
    int level;                   /* walk level that decided it: see vmsim_level_t */
    uint32_t access_vaddr;       /* the whole access (first byte, size), as a kernel learns it */
    uint32_t access_size;        /* decoding the instruction; set when a handler is called */
} vmsim_fault_t;

/* The outcome of one access through vmsim_access(). */
typedef struct vmsim_result {
    vmsim_status_t status; /* VMSIM_OK, VMSIM_ERR_PAGE_FAULT, VMSIM_ERR_BUS, VMSIM_ERR_GP (or an
                              argument error) */
    uint64_t paddr;        /* VMSIM_OK: physical address of the first byte */
    uint64_t bus_addr;   /* VMSIM_ERR_BUS: the entry address (walk) or the first byte outside RAM */
    vmsim_fault_t fault; /* VMSIM_ERR_PAGE_FAULT: the fault */
} vmsim_result_t;

/* --- Registers --------------------------------------------------------- */

/* Load a control register, IA32_EFER or PKRU with the effects of MOV to
 * CRn / WRMSR / WRPKRU.  A CR3 load flushes the non-global TLB entries
 * (with CR4.PCIDE: those of the new PCID, CR3[11:0], and nothing at all
 * when VMSIM_CR3_NOFLUSH is set; that bit is not stored); changing CR0.PG,
 * CR0.WP, CR4.PGE, CR4.PSE, CR4.PAE, CR4.SMEP or CR4.SMAP flushes every
 * entry, and clearing CR4.PCIDE flushes every entry of every PCID; EFER,
 * PKRU, CR4.PKE and setting CR4.PCIDE flush nothing.  When PAE paging is
 * (or becomes) active, the four PDPTEs are loaded from CR3 by a CR3 load
 * and by a CR0/CR4 load that changes CR0.PG/CD/NW or CR4.PAE/PGE/PSE/SMEP
 * (SDM 4.4.1).  Setting CR0.PG with EFER.LME = 1 and CR4.PAE = 1 enters
 * IA-32e mode (EFER.LMA = 1): 5-level paging when CR4.LA57 is set, else
 * 4-level, and the mode cannot change while paging stays on.
 * Returns VMSIM_OK, or, changing nothing:
 *   VMSIM_ERR_GP      x86 refuses the load: CR0 with PG = 1 and PE = 0,
 *                     with NW = 1 and CD = 0, with PG = 1 while EFER.LME = 1
 *                     and CR4.PAE = 0, with PG = 0 in IA-32e mode; CR4 or
 *                     EFER with a bit this CPU does not have; in IA-32e
 *                     mode CR4.PAE = 0 or a CR4.LA57 change; CR4.PCIDE set
 *                     outside IA-32e mode or with CR3[11:0] != 0; an
 *                     EFER.LME change while CR0.PG = 1; in IA-32e mode a
 *                     CR3 with a bit in 62:maxphyaddr, or bit 63 while
 *                     CR4.PCIDE = 0; a PDPTE load that finds a present
 *                     PDPTE with a reserved bit (2:1, 8:5, 63:maxphyaddr);
 *   VMSIM_ERR_BUS     the PDPTEs to load lie outside RAM;
 *   VMSIM_ERR_INVALID a CR0/CR4/PKRU value above 32 bits, a CR3 value
 *                     above 32 bits outside IA-32e mode, an unknown register;
 *   VMSIM_ERR_NOMEM   no host memory for the per-PCID statistics (the first
 *                     time CR4.PCIDE is set);
 *   VMSIM_ERR_NULL    m is NULL. */
VMSIM_API vmsim_status_t vmsim_write_reg(vmsim_machine_t *m, vmsim_reg_t reg, uint64_t value);

/* Read a register into *out.  VMSIM_ERR_NULL, VMSIM_ERR_INVALID. */
VMSIM_API vmsim_status_t vmsim_read_reg(const vmsim_machine_t *m, vmsim_reg_t reg, uint64_t *out);

/* EFLAGS.AC (matters only for SMAP).  STAC / CLAC. */
VMSIM_API vmsim_status_t vmsim_set_ac(vmsim_machine_t *m, bool ac);
VMSIM_API bool vmsim_get_ac(const vmsim_machine_t *m);

/* INVLPG: drop the TLB entries for the page that contains `vaddr` --
 * those of the current PCID and global ones, a whole large page when the
 * entry came from one -- in every TLB.  A non-canonical address (IA-32e
 * mode) does nothing.  VMSIM_ERR_NULL; VMSIM_ERR_INVALID for an address
 * above 32 bits outside IA-32e mode. */
VMSIM_API vmsim_status_t vmsim_invlpg(vmsim_machine_t *m, vmsim_vaddr_t vaddr);

/* INVPCID at CPL 0 (SDM 4.10.4.1).  type 0: the non-global entries of
 * `pcid` for the page of `vaddr` (a whole large page); 1: every
 * non-global entry of `pcid`; 2: every entry, global ones included; 3:
 * every entry except global ones.  `vaddr` matters for type 0 only.
 * Returns VMSIM_OK, VMSIM_ERR_NULL, or VMSIM_ERR_GP (nothing flushed) when
 * type > 3, pcid > 0xfff, type 0 or 1 names a PCID other than 0 while
 * CR4.PCIDE = 0, or type 0 has a non-canonical address. */
VMSIM_API vmsim_status_t vmsim_invpcid(vmsim_machine_t *m, uint64_t type, uint64_t pcid,
                                       vmsim_vaddr_t vaddr);

/* Physical-address width used for reserved-bit checks (32..52; the
 * machine's config sets it at creation).  Changing it flushes the TLBs.
 * VMSIM_ERR_INVALID outside 32..52. */
VMSIM_API vmsim_status_t vmsim_set_maxphyaddr(vmsim_machine_t *m, unsigned bits);

/* The paging mode the registers select. */
typedef enum vmsim_paging {
    VMSIM_PAGING_OFF = 0, /* CR0.PG = 0: linear = physical */
    VMSIM_PAGING_32BIT,   /* CR0.PG = 1, CR4.PAE = 0 */
    VMSIM_PAGING_PAE,     /* CR0.PG = 1, CR4.PAE = 1 */
    VMSIM_PAGING_4LEVEL,  /* IA-32e mode (EFER.LMA = 1), CR4.LA57 = 0 */
    VMSIM_PAGING_5LEVEL   /* IA-32e mode, CR4.LA57 = 1 */
} vmsim_paging_t;

VMSIM_API vmsim_paging_t vmsim_paging_mode(const vmsim_machine_t *m);

/* --- Accesses -------------------------------------------------------------
 * One access of `size` = 1, 2, 4 or 8 bytes is a single instruction's
 * access: when it crosses a page boundary both pages are translated,
 * lowest first, and no byte is written unless both translate (CR2 is then
 * the first faulting byte).  Data is little-endian. */

/* The general form: `access` of `size` bytes at `vaddr` in `mode`.
 * For VMSIM_WRITE `buf` supplies the bytes; for reads and fetches it
 * receives them.  `buf` may be NULL (the access happens, the data is
 * dropped, or for a write zero bytes are stored).  `res` may be NULL.
 * Returns the same status that is placed in res->status:
 * VMSIM_OK, VMSIM_ERR_PAGE_FAULT (CR2 set, fault in *res and in
 * vmsim_last_fault()), VMSIM_ERR_BUS, VMSIM_ERR_GP (IA-32e mode: a byte of
 * the access lies at a non-canonical address; nothing is read, changed or
 * cached), VMSIM_ERR_NULL (m NULL), VMSIM_ERR_INVALID (size not 1/2/4/8,
 * unknown access or mode, an address above 32 bits outside IA-32e mode,
 * an access past 2^64 - 1). */
VMSIM_API vmsim_status_t vmsim_access(vmsim_machine_t *m, vmsim_access_t access, vmsim_mode_t mode,
                                      vmsim_vaddr_t vaddr, void *buf, unsigned size,
                                      vmsim_result_t *res);

/* Typed loads and stores.  Return as vmsim_access() (VMSIM_ERR_NULL also
 * for out == NULL); *out is written only on VMSIM_OK. */
VMSIM_API vmsim_status_t vmsim_read8(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                     uint8_t *out);
VMSIM_API vmsim_status_t vmsim_read16(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                      uint16_t *out);
VMSIM_API vmsim_status_t vmsim_read32(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                      uint32_t *out);
VMSIM_API vmsim_status_t vmsim_read64(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                      uint64_t *out);
VMSIM_API vmsim_status_t vmsim_write8(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                      uint8_t value);
VMSIM_API vmsim_status_t vmsim_write16(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                       uint16_t value);
VMSIM_API vmsim_status_t vmsim_write32(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                       uint32_t value);
VMSIM_API vmsim_status_t vmsim_write64(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                       uint64_t value);
/* A 4-byte instruction fetch. */
VMSIM_API vmsim_status_t vmsim_fetch32(vmsim_machine_t *m, vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                       uint32_t *out);

/* Byte ranges of any length, copied page by page like a string
 * instruction: each page is translated and copied before the next, so on
 * a fault the bytes of the earlier pages have been transferred.
 * *n_done (may be NULL) receives how many bytes were.  A range longer
 * than the linear space, or one that wraps -- past 0xFFFFFFFF outside
 * IA-32e mode, past 2^64 - 1 in it -- whatever len is (up to SIZE_MAX),
 * is VMSIM_ERR_INVALID with nothing transferred. */
VMSIM_API vmsim_status_t vmsim_read_bytes(vmsim_machine_t *m, vmsim_mode_t mode,
                                          vmsim_vaddr_t vaddr, void *buf, size_t len,
                                          size_t *n_done);
VMSIM_API vmsim_status_t vmsim_write_bytes(vmsim_machine_t *m, vmsim_mode_t mode,
                                           vmsim_vaddr_t vaddr, const void *buf, size_t len,
                                           size_t *n_done);
VMSIM_API vmsim_status_t vmsim_fill_bytes(vmsim_machine_t *m, vmsim_mode_t mode,
                                          vmsim_vaddr_t vaddr, uint8_t byte, size_t len,
                                          size_t *n_done);

/* The last page fault raised on this machine (zero before the first). */
VMSIM_API vmsim_status_t vmsim_last_fault(const vmsim_machine_t *m, vmsim_fault_t *out);

/* --- Fault handler --------------------------------------------------------
 * Called for every page fault, before the access returns, with CR2 and
 * vmsim_last_fault() already set; `fault` points to a copy valid during
 * the call.  The handler runs in the current statistics bank (a kernel
 * switches to VMSIM_BANK_KERNEL for its own work).  It may make accesses
 * of its own (they are not passed to it again: a fault inside the
 * handler is returned to the handler) and may change registers.
 * Return VMSIM_FAULT_RETRY to have the access restarted, or
 * VMSIM_FAULT_UNHANDLED to return the fault to the caller.  Like an x86
 * instruction, an access is restarted after each fault the handler
 * resolves, but at most once per page it touches (twice for an access
 * that crosses a page boundary); a fault after that is returned. */
typedef enum vmsim_fault_action {
    VMSIM_FAULT_UNHANDLED = 0,
    VMSIM_FAULT_RETRY = 1
} vmsim_fault_action_t;

typedef vmsim_fault_action_t (*vmsim_fault_handler_fn)(vmsim_machine_t *m,
                                                        const vmsim_fault_t *fault,
                                                        void *user);

/* Install (or with handler NULL remove) the fault handler. */
VMSIM_API vmsim_status_t vmsim_set_fault_handler(vmsim_machine_t *m, vmsim_fault_handler_fn handler,
                                                 void *user);

/* The installed fault handler (NULL when none) and, through *user when
 * user is not NULL, its user pointer.  NULL for m NULL. */
VMSIM_API vmsim_fault_handler_fn vmsim_get_fault_handler(const vmsim_machine_t *m, void **user);

/* --- Looking inside: walks and translations ----------------------------- */

typedef enum vmsim_level {
    VMSIM_LEVEL_NONE = -1,
    VMSIM_LEVEL_PDPTE = 0, /* PAE: page-directory-pointer-table entry (a register) */
    VMSIM_LEVEL_PDE = 1,
    VMSIM_LEVEL_PTE = 2,
    VMSIM_LEVEL_PML4E = 3, /* IA-32e: page-map level-4 entry */
    VMSIM_LEVEL_PML5E = 4  /* 5-level paging: page-map level-5 entry */
} vmsim_level_t;

/* The most entries one walk reads (5-level paging). */
#define VMSIM_MAX_WALK_STEPS 5

/* One entry the walk used. */
typedef struct vmsim_walk_step {
    vmsim_level_t level;
    unsigned index;     /* index of the entry in its table */
    uint64_t table;     /* physical base of the table */
    uint64_t addr;      /* physical address of the entry */
    unsigned width;     /* 4 (32-bit paging) or 8 (PAE, IA-32e) bytes */
    uint64_t value;     /* the entry as read */
    uint64_t new_value; /* after A/D write-back (== value when unchanged) */
    bool leaf;          /* maps the page (PTE, or a large-page PDE or PDPTE) */
} vmsim_walk_step_t;

typedef enum vmsim_outcome {
    VMSIM_OUTCOME_OK = 0,
    VMSIM_OUTCOME_FAULT,
    VMSIM_OUTCOME_BUS
} vmsim_outcome_t;

/* One translation of one page of an access: what vmsim_translate()
 * returns and what a translation observer is shown. */
typedef struct vmsim_translation {
    vmsim_vaddr_t vaddr; /* linear address translated */
    vmsim_access_t access;
    vmsim_mode_t mode;
    vmsim_paging_t paging;
    bool tlb_hit;            /* a TLB entry matched; if `walked` too, it could not serve
                                the access (D = 0 for a write, or rights) and a walk followed */
    bool walked;             /* steps[] describe a walk of the tables */
    bool dirty_walk;         /* walked only to set D */
    bool stlb_hit;           /* the L1 TLB missed and the second-level TLB held the page */
    unsigned n_steps;
    vmsim_walk_step_t steps[VMSIM_MAX_WALK_STEPS];
    bool writable, user, executable; /* rights combined over the levels */
    unsigned pkey;                   /* IA-32e: the leaf's protection key (bits 62:59), else 0 */
    unsigned pcid;                   /* the PCID the translation belongs to (0 without CR4.PCIDE) */
    vmsim_outcome_t outcome;
    uint64_t paddr;      /* OK: physical address */
    uint32_t page_size;  /* OK: 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    uint64_t bus_addr;   /* BUS: the address outside RAM */
    vmsim_fault_t fault; /* FAULT */
    bool cached;         /* OK and put into a TLB */
    int tlb;             /* the TLB looked up (vmsim_tlb_id_t), -1 with paging off or no TLB */
} vmsim_translation_t;

/* Translate `vaddr` as `access` in `mode` with the current registers and
 * tables, without side effects: no TLB lookup or fill, no A/D write-back,
 * no statistic, no CR2.  steps[].new_value shows what a real walk would
 * write.  Because it ignores the TLB it can disagree with an access that
 * would use a stale cached entry -- which is how vmsim_check() finds
 * them.  The bus check covers the first byte only.  Returns VMSIM_OK
 * (translation in *out, whatever its outcome), VMSIM_ERR_NULL,
 * VMSIM_ERR_INVALID (as for vmsim_access()), VMSIM_ERR_GP (a non-canonical
 * address in IA-32e mode; *out describes no walk). */
VMSIM_API vmsim_status_t vmsim_translate(const vmsim_machine_t *m, vmsim_access_t access,
                                         vmsim_mode_t mode, vmsim_vaddr_t vaddr,
                                         vmsim_translation_t *out);

/* Called after every page translation an access makes (TLB hit or
 * walk), for explaining and tracing.  While an observer is installed the
 * fast path is off (results and statistics are unchanged). */
typedef void (*vmsim_translation_observer_fn)(void *user, const vmsim_translation_t *t);
VMSIM_API vmsim_status_t vmsim_set_translation_observer(vmsim_machine_t *m,
                                                        vmsim_translation_observer_fn fn,
                                                        void *user);

/* Names for printing: "read", "write", "fetch"; "sup", "user";
 * "PML5E", "PML4E", "PDPTE", "PDE", "PTE"; a sentence for a fault reason;
 * "off", "32-bit", "PAE", "4-level", "5-level". */
VMSIM_API const char *vmsim_access_name(vmsim_access_t access);
VMSIM_API const char *vmsim_mode_name(vmsim_mode_t mode);
VMSIM_API const char *vmsim_level_name(vmsim_level_t level);
VMSIM_API const char *vmsim_fault_reason_text(vmsim_fault_reason_t reason);
VMSIM_API const char *vmsim_paging_name(vmsim_paging_t paging);

#ifdef __cplusplus
}
#endif
#endif
