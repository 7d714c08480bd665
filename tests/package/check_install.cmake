# Install the build tree into a scratch prefix and use it as a newcomer
# would, with no LD_LIBRARY_PATH anywhere:
#
#   1. the installed vmsim runs (--help, and an installed example scenario
#      gives its installed expected output), and its man page and docs are
#      there
#   2. a program built with find_package(vmsim CONFIG) runs
#   3. a program built with `cc prog.c $(pkg-config --cflags --libs vmsim)`
#      runs (the .pc file gives it a runtime path)
#   4. a program built with `pkg-config --static` links libvmsim.a
#
# Every step runs under `cmake -E env --unset=LD_LIBRARY_PATH`.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(noenv ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH)
set(passed 0)

function(run what)
  execute_process(COMMAND ${noenv} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# 1. the installed program, its man page and docs
if(HAVE_TOOL)
  run("the installed vmsim --help" ${prefix}/bin/vmsim --help)
  if(NOT out MATCHES "commands:")
    message(FATAL_ERROR "installed vmsim --help printed no command list:\n${out}")
  endif()
  file(GLOB_RECURSE scn ${prefix}/share/*/01-first-walk.scn)
  if(NOT scn)
    message(FATAL_ERROR "the example scenarios are not installed under ${prefix}/share")
  endif()
  string(REGEX REPLACE "\\.scn$" ".out" expected_file "${scn}")
  file(READ ${expected_file} expected)
  run("the installed vmsim run ${scn}" ${prefix}/bin/vmsim run ${scn})
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "installed vmsim run printed\n${out}\ninstead of\n${expected}")
  endif()
  foreach(f share/man/man1/vmsim.1 share/doc/vmsim/scenario-language.md
            share/doc/vmsim/tlb-counting.md share/doc/vmsim/api.md share/doc/vmsim/README.md
            share/doc/vmsim/examples/hello_paging.c)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "${f} is not installed")
    endif()
  endforeach()
  math(EXPR passed "${passed} + 1")
endif()

# 2. find_package
run("configuring a consumer with find_package(vmsim CONFIG)"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK_DIR}/consumer
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER})
run("building the find_package consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run("the find_package consumer" ${WORK_DIR}/consumer/consumer)
if(NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the find_package consumer printed: ${out}")
endif()
math(EXPR passed "${passed} + 1")

# 3. pkg-config, exactly as docs/api.md shows (the .pc file is relocatable
# through ${pcfiledir})
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB_RECURSE pcs ${prefix}/*/vmsim.pc)
list(GET pcs 0 pc)
get_filename_component(pcdir ${pc} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pcdir})
foreach(mode shared static)
  set(static_flag)
  set(exe ${WORK_DIR}/pc_consumer)
  if(mode STREQUAL "static")
    set(static_flag --static)
    set(exe ${WORK_DIR}/pc_consumer_static)
  endif()
  run("pkg-config ${static_flag} --cflags --libs vmsim" ${PKG_CONFIG} ${static_flag} --cflags --libs vmsim)
  string(STRIP "${out}" flags)
  separate_arguments(flag_list UNIX_COMMAND "${flags}")
  if(mode STREQUAL "static")
    # Ask the linker for the archive by name: libvmsim.a must sit beside
    # the shared library.
    list(TRANSFORM flag_list REPLACE "^-lvmsim$" "-l:libvmsim.a")
  endif()
  run("compiling with `pkg-config ${static_flag} --cflags --libs vmsim` (${flags})"
      ${C_COMPILER} ${SOURCE_DIR}/consumer/consumer.c ${flag_list} -o ${exe})
  run("the pkg-config (${mode}) consumer" ${exe})
  if(NOT out MATCHES "consumer ok")
    message(FATAL_ERROR "the pkg-config (${mode}) consumer printed: ${out}")
  endif()
  math(EXPR passed "${passed} + 1")
endforeach()
message(STATUS "install_consumer: ${passed} passed, 0 failed")
