# Trace replay and TLB studies (issue 6): readers, binary format,
# replay through a process, the one-pass sweep.
vmsim_suite(test_lackey test_lackey.c LIBS vmsim_cli)
vmsim_suite(test_btrace test_btrace.c LIBS vmsim_cli)
vmsim_suite(test_replay test_replay.c LIBS vmsim_cli)
vmsim_suite(test_sweep test_sweep.c LIBS vmsim_cli)

# The whole system against the paging vectors (issue 10): every 4 KiB-page
# vector replayed through vmsim trace --frames for fifo, clock, eclock,
# aging and random must give the expected faults, cold faults, re-loads,
# evictions and write-backs.  Skips when ../shared is absent.
add_test(NAME paging_vectors_trace
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/paging_vectors_trace.sh
                 $<TARGET_FILE:vmsim_tool> ${VMSIM_SHARED_DIR}/paging-vectors)
set_tests_properties(paging_vectors_trace PROPERTIES LABELS nomemcheck TIMEOUT 300
                     SKIP_RETURN_CODE 77)
vmsim_suite(test_trace_paging test_trace_paging.c LIBS vmsim_cli)
