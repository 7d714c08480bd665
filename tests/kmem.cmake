# The kernel's allocators (issue 4): areas (vmalloc), slabs (kmalloc,
# object caches), and a randomized stress test against a host model.
vmsim_suite(test_area test_area.c)
vmsim_suite(test_slab test_slab.c)
vmsim_suite(test_kmem_stress test_kmem_stress.c)

# A longer run of the same program (12 seeds x 10000 steps, ~5 s); the
# default run above (4 x 2500) is the one memcheck and ASan take.
add_test(NAME test_kmem_stress_long COMMAND test_kmem_stress)
set_tests_properties(test_kmem_stress_long PROPERTIES LABELS nomemcheck TIMEOUT 600
  ENVIRONMENT "VMSIM_KMEM_SEEDS=12;VMSIM_KMEM_STEPS=10000;VMSIM_KMEM_SEED=101")
