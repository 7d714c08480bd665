# bench_scenario: `vmsim run` on a generated scenario of 10^6 lines
# (issue 9, item 4: tracking phys32 words used to be quadratic).
if(TARGET vmsim_cli)
  add_executable(bench_scenario ${CMAKE_CURRENT_LIST_DIR}/bench_scenario.c)
  target_link_libraries(bench_scenario PRIVATE vmsim_cli vmsim_warnings)
endif()
