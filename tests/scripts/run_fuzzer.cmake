# One short libFuzzer run: replay the seed corpus, then mutate it.
#
#   cmake -DFUZZER=path/to/fuzz_NAME -DSEEDS=tests/fuzz/corpus/NAME
#         -DWORK=build/.../fuzz-work/NAME [-DRUNS=4000] [-DSECONDS=15]
#         [-DDICT=tests/fuzz/NAME.dict] [-DKEEP=ON]
#         -P tests/scripts/run_fuzzer.cmake
#
# libFuzzer writes the inputs it finds into the first corpus folder it
# is given, so that is WORK (emptied first), never SEEDS in the source
# tree.  A crash, leak, sanitizer report, timeout or failed invariant
# makes the fuzzer exit non-zero and this script fail; the input is
# saved as WORK/crash-* (or leak-*, timeout-*), named in the output.
# RUNS=-1 means no limit on the number of runs (SECONDS decides).  With
# KEEP=ON the corpus found by earlier runs in WORK/corpus is kept and
# grown (`make fuzz`); otherwise every run starts from the seeds alone.

if(NOT FUZZER OR NOT SEEDS OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DFUZZER=<fuzzer> -DSEEDS=<seed folder> -DWORK=<work folder> "
                      "[-DRUNS=n] [-DSECONDS=n] -P run_fuzzer.cmake")
endif()
if(NOT RUNS)
  set(RUNS 4000)
endif()
if(NOT SECONDS)
  set(SECONDS 15)
endif()
if(NOT IS_DIRECTORY "${SEEDS}")
  message(FATAL_ERROR "no seed corpus at ${SEEDS}")
endif()

set(dict_arg "")
if(DICT)
  set(dict_arg "-dict=${DICT}")
endif()

if(KEEP)
  file(GLOB old_artifacts "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
  if(old_artifacts)
    file(REMOVE ${old_artifacts})
  endif()
else()
  file(REMOVE_RECURSE "${WORK}")
endif()
file(MAKE_DIRECTORY "${WORK}/corpus")
execute_process(COMMAND "${FUZZER}" -seed=1 -runs=${RUNS} -max_total_time=${SECONDS}
                        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${dict_arg}
                        "-artifact_prefix=${WORK}/" "${WORK}/corpus" "${SEEDS}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (status ${status}); the input is in ${WORK}/")
endif()
