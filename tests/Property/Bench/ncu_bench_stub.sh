#!/usr/bin/env bash
# Stands in for `ncu` and for `bash .gpu/run` in NcuBenchScriptTests (first argument: which). As ncu it records its
# arguments, runs the profiled command line (everything after the options), writes the report and prints pages from a
# two-launch fixture; as the runner it answers `sage --help` and `sage bench ... --json`.
role=$1; shift
case "$role" in
  ncu)
    if [ "$1" = "-i" ]; then
      case "$*" in
        *"--page details"*) echo "  sage_attention_d128_fp16_two_level (32, 32, 4)x(128, 1, 1)" ;;
        *"--page raw"*)
          echo '"ID","Kernel Name","Grid Size","gpu__time_duration.sum","gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed","sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed","launch__waves_per_multiprocessor","smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio","smsp__average_warps_issue_stalled_wait_per_issue_active.ratio"'
          echo '"","","","us","%","%","","ratio","ratio"'
          echo '"0","preprocess_quantize_kv_f16_d128","(4096, 1, 1)","79.39","72.54","0.5","7.76","2.49","1.43"'
          echo '"1","sage_attention_d128_fp16_two_level","(32, 32, 4)","280.38","16.62","53.54","10.34","0.97","0.91"' ;;
      esac
      exit 0
    fi
    echo "$*" > "$STUB_LOG"
    rep=""
    while [ $# -gt 0 ]; do
      case "$1" in
        -o) rep=$2; shift 2 ;;
        --clock-control|--target-processes|-k|--launch-skip|-c|--section) shift 2 ;;
        -f) shift ;;
        *) break ;;
      esac
    done
    "$@" || exit 3
    touch "$rep.ncu-rep" ;;
  run)
    [ "$1" = "sage" ] || exit 64
    [ "$2" = "--help" ] && exit 0
    [ "$2" = "bench" ] || exit 64
    echo "[]" ;;
  *) exit 64 ;;
esac
