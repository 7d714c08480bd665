# The kernel's allocators (issue 4): areas (vmalloc), slabs (kmalloc,
# object caches), and a randomized stress test against a host model.
vmsim_suite(test_area test_area.c)
vmsim_suite(test_slab test_slab.c)
