# Packaging checks: only vmsim_ symbols leave the shared library, and an
# installed libvmsim is usable through find_package(vmsim) and pkg-config.
# They run cmake and compilers, so they stay out of memcheck and ASan runs.

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
                 -DC_COMPILER=${CMAKE_C_COMPILER}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/package/check_install.cmake)
set_tests_properties(install_consumer PROPERTIES LABELS nomemcheck)
