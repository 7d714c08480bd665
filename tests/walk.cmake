# The page walker's suites (issue 2 and issue 5):
#   test_walk          one case per rule of 32-bit paging
#   test_pae           one case per rule of PAE paging with execute-disable
#   test_longmode      one case per rule of IA-32e 4-level and 5-level paging,
#                      protection keys, PCIDs and INVPCID
#   test_differential  random tables and accesses on machines with and
#                      without TLBs (and with odd TLB geometries): every
#                      result and the final RAM must agree.
#                      VMSIM_DIFF_RUNS / _STEPS / _SEED set the soak.
#   test_differential64  the same for IA-32e 4-level and 5-level paging
#                      (PCIDs, INVPCID, protection keys, 1 GiB pages).
vmsim_suite(test_walk test_walk.c)
vmsim_suite(test_pae test_pae.c)
vmsim_suite(test_longmode test_longmode.c)
vmsim_suite(test_differential test_differential.c)
vmsim_suite(test_differential64 test_differential64.c)
