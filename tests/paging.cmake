# Page replacement on reference strings (issue 10, part 3): `vmsim paging`.
#
#   test_paging              CMocka: each policy on hand-worked strings, one
#                            test per counting rule, the one-pass lru/opt
#                            curves against direct simulation
#   paging_vectors           every command of shared/paging-vectors/README.md
#                            reproduces its expected CSV byte for byte
#   paging_vectors_direct    the same with lru and opt simulated per F
#
# The vector checks run cmake itself, so they stay out of memcheck runs;
# they print "skipped:" when shared/ is absent.
vmsim_suite(test_paging test_paging.c LIBS vmsim_cli)
set_tests_properties(test_paging PROPERTIES LABELS paging)

if(TARGET vmsim_tool)
  foreach(variant IN ITEMS "" "direct")
    set(name paging_vectors)
    set(extra "")
    if(variant)
      set(name paging_vectors_${variant})
      set(extra "-DEXTRA=--${variant}")
    endif()
    add_test(NAME ${name}
             COMMAND ${CMAKE_COMMAND} -DVMSIM=$<TARGET_FILE:vmsim_tool>
                     -DDIR=${VMSIM_SHARED_DIR}/paging-vectors -DMIN_COUNT=32 ${extra}
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/run_paging_vectors.cmake)
    set_tests_properties(${name} PROPERTIES LABELS "paging;vectors;nomemcheck"
                         SKIP_REGULAR_EXPRESSION "skipped:")
  endforeach()
endif()
