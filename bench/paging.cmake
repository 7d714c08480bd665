# bench_paging: references per second of `vmsim paging`'s simulations,
# per (policy, F) and for the one-pass lru / opt curves (docs/paging.md,
# "Speed").  It links the command's engine (tools/), not the library alone.
if(TARGET vmsim_cli)
  add_executable(bench_paging ${CMAKE_CURRENT_LIST_DIR}/bench_paging.c)
  target_link_libraries(bench_paging PRIVATE vmsim_cli vmsim_warnings)
endif()
