/*
 * vmsim/vmsim.h - the whole public API of libvmsim.
 *
 *   vmsim/base.h     status codes, the machine handle
 *   vmsim/machine.h  creating a machine, RAM, the bus/DMA port, statistics
 *   vmsim/mmu.h      registers, accesses, page faults, walks
 *   vmsim/tlb.h      TLB geometry, replacement policies, entries
 *   vmsim/pmm.h      the kernel's physical frame allocator
 *   vmsim/vmm.h      the kernel: address spaces, regions, faults, fork, checker
 *   vmsim/kmem.h     the kernel's allocators: areas (vmalloc), slabs (kmalloc)
 */
#ifndef VMSIM_VMSIM_H
#define VMSIM_VMSIM_H

#include "base.h"
#include "machine.h"
#include "mmu.h"
#include "tlb.h"
#include "pmm.h"
#include "vmm.h"
#include "kmem.h"

#endif
