# Coverage-guided fuzzing with libFuzzer (clang only), off by default.
#
#   cmake --preset fuzz && cmake --build --preset fuzz && ctest --preset fuzz
#   make fuzz [FUZZ_SECONDS=60]        build, then fuzz each target that long
#
# Each tests/fuzz/fuzz_NAME.c is one target, fuzz_NAME, with a seed corpus
# of small valid inputs (and the regression inputs of every bug found) in
# tests/fuzz/corpus/NAME/, and optionally a dictionary tests/fuzz/NAME.dict.  One short ctest per target (labels fuzz,
# nomemcheck) replays its seeds and mutates them for a few seconds; the
# corpus in the source tree is only read (new inputs go to the build tree,
# see scripts/run_fuzzer.cmake).
#
# For useful coverage the library and vmsim_cli must be instrumented too:
# the `fuzz` preset builds everything with
# -fsanitize=fuzzer-no-link,address,undefined.  The targets themselves
# always get -fsanitize=fuzzer,address,undefined.

option(VMSIM_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)
set(VMSIM_FUZZ_RUNS 4000 CACHE STRING "Mutations per fuzz ctest (after the seeds)")
set(VMSIM_FUZZ_SECONDS 15 CACHE STRING "Time limit of each fuzz ctest, in seconds")

if(VMSIM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "VMSIM_FUZZ needs clang (configure with CC=clang): the fuzzers are not built")
  elseif(NOT TARGET vmsim_cli)
    message(WARNING "VMSIM_FUZZ needs the tools (VMSIM_BUILD_TOOLS=ON): the fuzzers are not built")
  else()
    # vmsim_check() runs after every call of fuzz_kernel and reads every
    # frame's metadata and every page table: with comparison tracing it
    # would take most of the time, and its branches guide nothing.
    set_source_files_properties(${PROJECT_SOURCE_DIR}/src/vmm/check.c
                                ${PROJECT_SOURCE_DIR}/src/vmm/kmem_check.c
                                DIRECTORY ${PROJECT_SOURCE_DIR}
                                PROPERTIES COMPILE_OPTIONS "-fno-sanitize-coverage=trace-cmp")
    add_custom_target(fuzzers)
    file(GLOB VMSIM_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
    list(SORT VMSIM_FUZZ_SOURCES)
    foreach(source IN LISTS VMSIM_FUZZ_SOURCES)
      get_filename_component(target ${source} NAME_WE)
      string(REGEX REPLACE "^fuzz_" "" name ${target})
      add_executable(${target} ${source})
      target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz
                                 ${PROJECT_SOURCE_DIR}/src)
      target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined
                             -fno-sanitize-recover=all)
      target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_libraries(${target} PRIVATE vmsim_cli vmsim vmsim_warnings)
      add_dependencies(fuzzers ${target})
      set(dict ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${name}.dict)
      if(NOT EXISTS ${dict})
        set(dict "")
      endif()
      add_test(NAME ${target}
               COMMAND ${CMAKE_COMMAND} -DFUZZER=$<TARGET_FILE:${target}>
                       -DSEEDS=${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name}
                       -DWORK=${CMAKE_CURRENT_BINARY_DIR}/fuzz-work/${name}
                       -DRUNS=${VMSIM_FUZZ_RUNS} -DSECONDS=${VMSIM_FUZZ_SECONDS} -DDICT=${dict}
                       -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/run_fuzzer.cmake)
      set_tests_properties(${target} PROPERTIES LABELS "fuzz;nomemcheck"
                           TIMEOUT 300)
    endforeach()
  endif()
endif()
