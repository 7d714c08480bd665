# The kernel side: frame allocator and VMM suites (issue 3).
vmsim_suite(test_pmm test_pmm.c)
vmsim_suite(test_boot test_boot.c)
vmsim_suite(test_regions test_regions.c)
vmsim_suite(test_demand test_demand.c)
vmsim_suite(test_cow test_cow.c)
vmsim_suite(test_fork test_fork.c)
vmsim_suite(test_checker test_checker.c)
vmsim_suite(test_vmm_model test_vmm_model.c)
