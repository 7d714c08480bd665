# Trace replay and TLB studies (issue 6): readers, binary format,
# replay through a process, the one-pass sweep.
vmsim_suite(test_lackey test_lackey.c LIBS vmsim_cli)
vmsim_suite(test_btrace test_btrace.c LIBS vmsim_cli)
vmsim_suite(test_replay test_replay.c LIBS vmsim_cli)
vmsim_suite(test_sweep test_sweep.c LIBS vmsim_cli)
