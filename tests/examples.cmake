# The examples a student copies from must keep working (issue 2, docs and
# examples).
#
#   examples_scenarios   every examples/scenarios/*.scn, run by the vmsim
#                        program, prints exactly its .out file
#   example_*            the example programs run and exit with status 0
#
# The scenario check runs cmake itself, so it stays out of memcheck runs.

if(TARGET vmsim_tool)
  add_test(NAME examples_scenarios
           COMMAND ${CMAKE_COMMAND} -DVMSIM=$<TARGET_FILE:vmsim_tool>
                   -DDIR=${PROJECT_SOURCE_DIR}/examples/scenarios -DMIN_COUNT=8
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/run_examples.cmake)
  set_tests_properties(examples_scenarios PROPERTIES LABELS nomemcheck)
endif()

# examples/ is added after tests/, so its targets are named here by
# generator expressions, which are resolved once every target exists.
if(VMSIM_BUILD_EXAMPLES)
  add_test(NAME example_hello_paging COMMAND $<TARGET_FILE:example_hello_paging>)
  add_test(NAME example_fault_handler COMMAND $<TARGET_FILE:example_fault_handler>)
  add_test(NAME example_fork_cow COMMAND $<TARGET_FILE:example_fork_cow>)
  add_test(NAME example_kmem_demo COMMAND $<TARGET_FILE:example_kmem_demo>)
  add_test(NAME example_wsclock_policy COMMAND $<TARGET_FILE:example_wsclock_policy>)
endif()
