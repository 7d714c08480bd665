# Hardware-side suites (issue 2, part 7): RAM and the bus port, the TLB
# and its replacement policies, MMU accesses, the scenario language, the
# vmsim program, and the conformance runner.
vmsim_suite(test_ram test_ram.c)
vmsim_suite(test_tlb test_tlb.c)
vmsim_suite(test_stlb test_stlb.c)
vmsim_suite(test_psc test_psc.c)
vmsim_suite(test_access test_access.c)
if(TARGET vmsim_cli)
  vmsim_suite(test_scenario test_scenario.c LIBS vmsim_cli)
endif()
if(TARGET vmsim_tool)
  vmsim_suite(test_cli test_cli.c)
  target_compile_definitions(test_cli PRIVATE VMSIM_TOOL="$<TARGET_FILE:vmsim_tool>")
  add_dependencies(test_cli vmsim_tool)
endif()
# The conformance runner: one executable, one ctest test per folder of
# shared/; exit status 77 (skipped) when the folder is absent.
if(TARGET vmsim_cli)
  vmsim_suite(conformance test_conformance.c LIBS vmsim_cli)
  add_test(NAME conformance_pae COMMAND conformance conformance-pae)
  set_tests_properties(conformance_pae PROPERTIES SKIP_RETURN_CODE 77)
  # IA-32e paging (made on QEMU) and the SDM's TLB-retention rules (made
  # by a model of the SDM; they need a TLB, so no TLB-off run).
  add_test(NAME conformance_64 COMMAND conformance conformance-64)
  add_test(NAME conformance_sdm COMMAND conformance conformance-sdm --retention)
  set_tests_properties(conformance_64 conformance_sdm PROPERTIES SKIP_RETURN_CODE 77)
endif()
