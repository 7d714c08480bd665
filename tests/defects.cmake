# Regression suites of issue 9 (defects found by adversarial testing):
# the vmsim program's outputs and hostile inputs, user pointers, range
# checks and mmap edge cases.
if(TARGET vmsim_tool)
  foreach(suite test_cli_outputs)
    vmsim_suite(${suite} ${suite}.c)
    target_compile_definitions(${suite} PRIVATE VMSIM_TOOL="$<TARGET_FILE:vmsim_tool>")
    add_dependencies(${suite} vmsim_tool)
  endforeach()
endif()
vmsim_suite(test_user_pointers test_user_pointers.c)
vmsim_suite(test_mmap_edges test_mmap_edges.c)
vmsim_suite(test_range_checks test_range_checks.c)
vmsim_suite(test_trace_edges test_trace_edges.c LIBS vmsim_cli)
