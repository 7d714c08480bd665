# No global mutable state (design.md, rule 3): machines driven from
# several threads at once must give exactly the results they give one
# after another.  VMSIM_THREADS_ROUNDS / _STEPS set the load.
find_package(Threads REQUIRED)
vmsim_suite(test_threads test_threads.c LIBS Threads::Threads)
