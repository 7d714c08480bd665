# bench_mmu: the hardware side's speed -- TLB-hit and miss accesses
# through the public API next to a native host loop, fast path on and
# off, plus small modes for callgrind (bench/callgrind.sh) and a
# differential check of the fast path (--verify).
add_executable(bench_mmu ${CMAKE_CURRENT_LIST_DIR}/bench_mmu.c ${CMAKE_CURRENT_LIST_DIR}/mmu_verify.c)
target_link_libraries(bench_mmu PRIVATE vmsim vmsim_warnings)
