#!/usr/bin/env bash
# On the GPU machine (carry [".gpu", ".kcache.tgz"], after bench/stage-gpu.sh; there bench/kernel-cache.sh unpack first): Nsight Compute over the kernels one
# `sage bench` run launches, then one summary row per profiled launch.
#   bash bench/ncu-bench.sh [-k REGEX] [-c COUNT] [-s SKIP] -- sage bench arguments
# -k: kernels to profile (default 'sage_attention|preprocess'); -c: launches to profile (default 24); -s: matching
# launches to skip first (the bench times non-causal before causal, each case's kernel-only launches before its
# end-to-end ones: --repetitions 1 keeps the counts small). Clocks are left alone (--clock-control none, METHOD.md).
# $OUT (default /tmp/ncu-bench): prof.ncu-rep, details.txt (ncu's details page), raw.csv.gz, summary.txt (printed
# last: duration, DRAM and tensor-pipe use, occupancy, waves and the three largest stall reasons per launch).
# Session 27 ran this by hand (docs/results/gpu-run-session27-2026-11-27.md, call 4); NCU replaces `ncu` and RUNNER
# `bash .gpu/run` (tests of the script).
set -uo pipefail
kernels='sage_attention|preprocess' count=24 skip=0
while [ $# -gt 0 ]; do
  case "$1" in
    -k) kernels=${2:?-k needs a regular expression}; shift 2 ;;
    -c) count=${2:?-c needs a number}; shift 2 ;;
    -s) skip=${2:?-s needs a number}; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: ncu-bench.sh [-k REGEX] [-c COUNT] [-s SKIP] -- sage bench arguments" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: ncu-bench.sh [-k REGEX] [-c COUNT] [-s SKIP] -- sage bench arguments" >&2; exit 2; }
ncu=${NCU:-ncu}
run=${RUNNER:-bash .gpu/run}
out=${OUT:-/tmp/ncu-bench}; mkdir -p "$out"
$run sage --help > /dev/null 2>&1 # the runtime unpacks before the profiled process starts
# shellcheck disable=SC2086 # RUNNER is a command line
$ncu --clock-control none --target-processes all -k "regex:$kernels" --launch-skip "$skip" -c "$count" \
  --section SpeedOfLight --section Occupancy --section WarpStateStats --section SchedulerStats \
  --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section LaunchStats \
  -f -o "$out/prof" $run sage bench "$@" --json > "$out/ncu.log" 2>&1
status=$?
[ $status -eq 0 ] || { echo "ncu-bench: ncu exited $status (last lines of $out/ncu.log):" >&2; tail -5 "$out/ncu.log" >&2; exit $status; }
$ncu -i "$out/prof.ncu-rep" --page details > "$out/details.txt" 2>&1
$ncu -i "$out/prof.ncu-rep" --page raw --csv > "$out/raw.csv" 2>&1
python3 "$(dirname "$0")/ncu_summary.py" "$out/raw.csv" | tee "$out/summary.txt"
gzip -f "$out/raw.csv"
