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
