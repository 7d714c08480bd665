# Packaging checks: only vmsim_ symbols leave the shared library, and an
# installed libvmsim is usable through find_package(vmsim) and pkg-config.
# man_page: the man page names every command and option of the help
# texts.  They run cmake and compilers, so they stay out of memcheck and ASan runs.

if(BUILD_SHARED_LIBS)
  add_test(NAME exported_symbols
           COMMAND ${CMAKE_COMMAND} -DLIB=$<TARGET_FILE:vmsim>
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/package/check_exports.cmake)
  set_tests_properties(exported_symbols PROPERTIES LABELS nomemcheck)
endif()

add_test(NAME install_consumer
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR}
                 -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/package
                 -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_consumer
                 -DC_COMPILER=${CMAKE_C_COMPILER} -DHAVE_TOOL=$<TARGET_EXISTS:vmsim_tool>
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/package/check_install.cmake)
set_tests_properties(install_consumer PROPERTIES LABELS nomemcheck)

if(TARGET vmsim_tool)
  add_test(NAME man_page
           COMMAND ${CMAKE_COMMAND} -DVMSIM=$<TARGET_FILE:vmsim_tool>
                   -DMAN=${PROJECT_SOURCE_DIR}/docs/man/vmsim.1
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/package/check_man.cmake)
  set_tests_properties(man_page PROPERTIES LABELS nomemcheck)
endif()

# The cluster recipe of docs/tlb-studies.md, run locally with GNU parallel
# (skipped without it): sweep shards merge into one self-describing table.
if(TARGET vmsim_tool)
  add_test(NAME sweep_shards_parallel
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/shards.sh $<TARGET_FILE:vmsim_tool>
                   ${CMAKE_CURRENT_BINARY_DIR}/sweep_shards)
  set_tests_properties(sweep_shards_parallel PROPERTIES LABELS nomemcheck SKIP_RETURN_CODE 77)
endif()

# What a newcomer meets at the command line (exit statuses, prefixes,
# --plot refused early, plot formats and sizes, synth's summary).
if(TARGET vmsim_tool)
  add_test(NAME cli_newcomer
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/cli_newcomer.sh $<TARGET_FILE:vmsim_tool>
                   ${CMAKE_CURRENT_BINARY_DIR}/cli_newcomer)
  set_tests_properties(cli_newcomer PROPERTIES LABELS nomemcheck)
endif()
