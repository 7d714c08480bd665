# Run every example scenario through the vmsim program and compare its
# standard output, byte for byte, with the expected NAME.out beside it.
#
#   cmake -DVMSIM=path/to/vmsim -DDIR=examples/scenarios [-DMIN_COUNT=8]
#         -P tests/scripts/run_examples.cmake
#
# A scenario passes when vmsim exits with status 0 and prints exactly its
# .out file.  On a mismatch the actual output is written next to the build
# (NAME.actual in the current directory) so that `diff` can show it.

if(NOT VMSIM OR NOT DIR)
  message(FATAL_ERROR "usage: cmake -DVMSIM=<vmsim program> -DDIR=<scenario folder> -P run_examples.cmake")
endif()
if(NOT MIN_COUNT)
  set(MIN_COUNT 8)
endif()

file(GLOB scenarios "${DIR}/*.scn")
list(SORT scenarios)
list(LENGTH scenarios n_scenarios)
if(n_scenarios LESS MIN_COUNT)
  message(FATAL_ERROR "found ${n_scenarios} scenarios in ${DIR}, expected at least ${MIN_COUNT}")
endif()

set(n_failed 0)
foreach(scn IN LISTS scenarios)
  get_filename_component(name "${scn}" NAME_WE)
  get_filename_component(dir "${scn}" DIRECTORY)
  set(expected_file "${dir}/${name}.out")
  if(NOT EXISTS "${expected_file}")
    message(SEND_ERROR "${name}: no expected output ${name}.out")
    math(EXPR n_failed "${n_failed} + 1")
    continue()
  endif()
  execute_process(COMMAND "${VMSIM}" run "${scn}"
                  OUTPUT_VARIABLE actual ERROR_VARIABLE errors RESULT_VARIABLE rc)
  file(READ "${expected_file}" expected)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${name}: vmsim exited with status ${rc}\n${errors}")
    math(EXPR n_failed "${n_failed} + 1")
  elseif(NOT actual STREQUAL expected)
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/${name}.actual" "${actual}")
    message(SEND_ERROR "${name}: output differs from ${name}.out; compare with\n"
                       "  diff ${expected_file} ${CMAKE_CURRENT_BINARY_DIR}/${name}.actual")
    math(EXPR n_failed "${n_failed} + 1")
  else()
    message(STATUS "ok   ${name}")
  endif()
endforeach()

math(EXPR n_passed "${n_scenarios} - ${n_failed}")
if(n_failed GREATER 0)
  message(FATAL_ERROR "examples_scenarios: ${n_passed} passed, ${n_failed} failed")
endif()
message(STATUS "examples_scenarios: ${n_passed} passed, 0 failed")
