# Extra libraries of the trace commands (included by tools/CMakeLists.txt):
# zlib reads gzip-compressed traces, libm serves the zipf generator.
find_package(ZLIB REQUIRED)
target_link_libraries(vmsim_cli PUBLIC ZLIB::ZLIB m)
