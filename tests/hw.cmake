# Hardware-side suites (issue 2, part 7): RAM and the bus port, the TLB
# and its replacement policies, MMU accesses, the scenario language, the
# vmsim program, and the conformance runner.
vmsim_suite(test_ram test_ram.c)
vmsim_suite(test_tlb test_tlb.c)
vmsim_suite(test_access test_access.c)
if(TARGET vmsim_cli)
  vmsim_suite(test_scenario test_scenario.c LIBS vmsim_cli)
endif()
