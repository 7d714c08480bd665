# Replay every command of the paging vectors' README through `vmsim
# paging` and compare its output, byte for byte, with the expected CSV.
#
#   cmake -DVMSIM=path/to/vmsim -DDIR=shared/paging-vectors [-DMIN_COUNT=32]
#         [-DEXTRA=--direct] -P tests/scripts/run_paging_vectors.cmake
#
# The README lists one command per trace, `pagingref ARGS > NAME.expected.csv`,
# run in its folder; each runs here as `vmsim paging EXTRA ARGS`.  EXTRA
# lets the same vectors check the direct simulation of lru and opt
# (--direct) against the figures the one-pass stacks must give.  When DIR
# is absent the test prints "skipped:" (ctest's SKIP_REGULAR_EXPRESSION).

if(NOT VMSIM OR NOT DIR)
  message(FATAL_ERROR "usage: cmake -DVMSIM=<vmsim> -DDIR=<paging-vectors> -P run_paging_vectors.cmake")
endif()
if(NOT EXISTS "${DIR}/README.md")
  message("skipped: ${DIR}/README.md not found (the shared vectors are not beside the source)")
  return()
endif()
if(NOT MIN_COUNT)
  set(MIN_COUNT 32)
endif()

file(STRINGS "${DIR}/README.md" commands REGEX "^pagingref ")
list(LENGTH commands n_commands)
if(n_commands LESS MIN_COUNT)
  message(FATAL_ERROR "found ${n_commands} commands in ${DIR}/README.md, expected at least ${MIN_COUNT}")
endif()

set(n_failed 0)
foreach(line IN LISTS commands)
  string(REGEX REPLACE "^pagingref " "" line "${line}")
  if(NOT line MATCHES "^(.*) > ([^ ]+)$")
    message(SEND_ERROR "cannot read the command '${line}'")
    math(EXPR n_failed "${n_failed} + 1")
    continue()
  endif()
  set(expected_file "${CMAKE_MATCH_2}")
  separate_arguments(args UNIX_COMMAND "${CMAKE_MATCH_1}")
  execute_process(COMMAND "${VMSIM}" paging ${EXTRA} ${args} WORKING_DIRECTORY "${DIR}"
                  OUTPUT_VARIABLE actual ERROR_VARIABLE errors RESULT_VARIABLE rc)
  file(READ "${DIR}/${expected_file}" expected)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${expected_file}: vmsim paging exited with status ${rc}\n${errors}")
    math(EXPR n_failed "${n_failed} + 1")
  elseif(NOT actual STREQUAL expected)
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/${expected_file}.actual" "${actual}")
    message(SEND_ERROR "${expected_file}: output differs; compare with\n"
                       "  diff ${DIR}/${expected_file} ${CMAKE_CURRENT_BINARY_DIR}/${expected_file}.actual")
    math(EXPR n_failed "${n_failed} + 1")
  else()
    message(STATUS "ok   ${expected_file}")
  endif()
endforeach()

math(EXPR n_passed "${n_commands} - ${n_failed}")
if(n_failed GREATER 0)
  message(FATAL_ERROR "paging vectors${EXTRA}: ${n_passed} passed, ${n_failed} failed")
endif()
message(STATUS "paging vectors${EXTRA}: ${n_passed} passed, 0 failed")
