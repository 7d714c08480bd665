# bench_swap: paging to swap (minor and major faults per second, read and
# write passes per policy, a replay under swap pressure against the same
# replay with enough frames), printed as tables.
add_executable(bench_swap ${CMAKE_CURRENT_LIST_DIR}/bench_swap.c)
target_link_libraries(bench_swap PRIVATE vmsim vmsim_warnings)
