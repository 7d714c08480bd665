# Trace workloads (issue 6): small C programs with telling memory access
# patterns, traced with Valgrind lackey by bench/demo.sh and replayed by
# `vmsim trace` / `vmsim sweep` (docs/tlb-studies.md).
#
# They are built as 32-bit programs when the compiler can (Debian:
# gcc-multilib), so their addresses need no folding; else as 64-bit ones,
# whose addresses vmsim folds into 32-bit user space.  They are compiled
# with plain -O2 and none of the project's flags: a sanitizer or coverage
# build must not change what the programs do, and Valgrind cannot run
# sanitized programs.
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -m32)
set(CMAKE_REQUIRED_LINK_OPTIONS -m32)
check_c_source_compiles("#include <stdlib.h>\nint main(void) { return abs(0); }" VMSIM_HAVE_M32)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)

set(VMSIM_WORKLOAD_FLAGS -O2 -g0)
if(VMSIM_HAVE_M32)
  list(APPEND VMSIM_WORKLOAD_FLAGS -m32)
endif()

set(workload_dir ${CMAKE_CURRENT_BINARY_DIR}/workloads)
file(MAKE_DIRECTORY ${workload_dir})
set(workload_outputs "")
foreach(w seqscan stride matrix random listchase hashtable sort)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/workloads/${w}.c)
  set(out ${workload_dir}/${w})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_C_COMPILER} ${VMSIM_WORKLOAD_FLAGS} -o ${out} ${src}
    DEPENDS ${src} ${CMAKE_CURRENT_SOURCE_DIR}/workloads/common.h
    COMMENT "Building trace workload ${w}" VERBATIM)
  list(APPEND workload_outputs ${out})
endforeach()
add_custom_target(trace_workloads ALL DEPENDS ${workload_outputs})
file(GENERATE OUTPUT ${workload_dir}/BITS CONTENT "$<IF:$<BOOL:${VMSIM_HAVE_M32}>,32,64>\n")
