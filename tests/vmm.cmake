# The kernel side: frame allocator and VMM suites (issue 3).
vmsim_suite(test_pmm test_pmm.c)
vmsim_suite(test_boot test_boot.c)
vmsim_suite(test_regions test_regions.c)
vmsim_suite(test_demand test_demand.c)
vmsim_suite(test_cow test_cow.c)
vmsim_suite(test_fork test_fork.c)
vmsim_suite(test_checker test_checker.c)
vmsim_suite(test_vmm_model test_vmm_model.c)

# The full model run (8 seeds x 1500 steps, plus fault injection) is too
# slow under valgrind; memcheck runs the same program on a smaller load.
set_tests_properties(test_vmm_model PROPERTIES LABELS nomemcheck TIMEOUT 900)
add_test(NAME test_vmm_model_small COMMAND test_vmm_model)
set_tests_properties(test_vmm_model_small PROPERTIES
  ENVIRONMENT "VMSIM_MODEL_SEEDS=3;VMSIM_MODEL_STEPS=300" SKIP_RETURN_CODE 77)

# Swap and page replacement (issue 10).
vmsim_suite(test_swap test_swap.c)

# The same model with swap on: at most 24 resident user pages, the policy
# and lazy A clearing drawn from the seed, swap I/O failures injected at
# every point of every operation; every byte must survive paging.
add_test(NAME test_vmm_model_swap COMMAND test_vmm_model)
set_tests_properties(test_vmm_model_swap PROPERTIES LABELS nomemcheck SKIP_RETURN_CODE 77
  ENVIRONMENT "VMSIM_MODEL_SWAP=24;VMSIM_MODEL_SEEDS=6;VMSIM_MODEL_STEPS=600")
add_test(NAME test_vmm_model_swap_small COMMAND test_vmm_model)
set_tests_properties(test_vmm_model_swap_small PROPERTIES SKIP_RETURN_CODE 77
  ENVIRONMENT "VMSIM_MODEL_SWAP=16;VMSIM_MODEL_SEEDS=2;VMSIM_MODEL_STEPS=200")
# ... and with a swap of 24 slots that fills: faults that find no frame
# and no slot fail cleanly (VMSIM_ERR_NO_SWAP), the model unchanged.
add_test(NAME test_vmm_model_swap_full COMMAND test_vmm_model)
set_tests_properties(test_vmm_model_swap_full PROPERTIES LABELS nomemcheck SKIP_RETURN_CODE 77
  ENVIRONMENT "VMSIM_MODEL_SWAP=16;VMSIM_MODEL_SWAP_SLOTS=24;VMSIM_MODEL_SEEDS=6;VMSIM_MODEL_STEPS=600")
