# bench_kmem: the kernel allocators' speed (kmalloc/kfree, cache, vmalloc/
# vfree operations per second) and fragmentation under a mixed workload
# for each fit strategy of the area allocator, printed as tables.
add_executable(bench_kmem ${CMAKE_CURRENT_LIST_DIR}/bench_kmem.c)
target_link_libraries(bench_kmem PRIVATE vmsim vmsim_warnings)
