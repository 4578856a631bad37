#!/usr/bin/env bash
# On the GPU machine: our CUDA backend (sage bench) and PyTorch SDPA (flash, cuDNN) in the same call, then one table
# with TFLOPS and ratios. Usage (staged sage in .gpu-final, see docs/results):
#   bash bench/run-gpu.sh [SAGE_RUNNER] [OUT_DIR]
# TELEMETRY=1 adds --telemetry to both (NVML SM clock and power per row; each timed window then follows one second of
# the same calls) and a clock column per side. SETTLE=SECONDS sets that settle for both sides, with or without telemetry.
# P_ENCODING=LogLinear runs our side with log-linear P codes (sage bench --p-encoding; docs/kernel-spec.md §7).
# KEY_MEAN=All runs our side with SmoothK's mean over every token (sage bench --key-mean; §1); unset, sage bench's default, the
# trimmed mean of a strided sample of each head (KEY_MEAN=Strided says so explicitly).
# QUEUE_AHEAD=US queues a GPU spin of US microseconds before each timed call on both sides (--queue-ahead), so that
# both are timed on the GPU alone, without their host's dispatch. LAYOUT=NHD times [B, N, H, D] tensors on both sides
# (sage bench --layout NHD; SDPA on transposed views of [B, N, H, D] memory).
set -euo pipefail
runner=${1:-"bash .gpu/run sage"}
out=${2:-${OUT:-/tmp}}
args="--seq ${SEQ:-1024,4096,16384} --head-dim ${HEAD_DIM:-128,64}${TELEMETRY:+ --telemetry}${SETTLE:+ --settle $SETTLE}${QUEUE_AHEAD:+ --queue-ahead $QUEUE_AHEAD}${LAYOUT:+ --layout $LAYOUT}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"
$runner bench $args ${P_ENCODING:+--p-encoding $P_ENCODING} ${KEY_MEAN:+--key-mean $KEY_MEAN} --json > "$out/sage-bench.json"
python3 "$(dirname "$0")/sdpa_baseline.py" $args > "$out/sdpa.json"
python3 - "$out/sage-bench.json" "$out/sdpa.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1])); sdpa = json.load(open(sys.argv[2]))
base = {(r["backend"], r["n"], r["headDim"], r["causal"]): r.get("tflops") for r in sdpa}
clock = {(r["backend"], r["n"], r["headDim"], r["causal"]): (r.get("telemetry") or {}).get("smClockMHz") for r in sdpa}
mhz = lambda x: f"{float(x):6.0f}" if x not in (None, "NaN") and x == x else f"{'-':>6}"
print(f"{'d':>4} {'N':>6} {'causal':>6} | {'ours kernel':>11} {'ours e2e':>9} {'MHz':>6} | {'flash':>7} {'cudnn':>7} {'MHz':>6} | {'e2e/flash':>9} {'e2e/cudnn':>9}")
for r in ours:
    key = (r["n"], r["headDim"], r["causal"])
    f, c = base.get(("flash",) + key), base.get(("cudnn",) + key)
    ratio = lambda b: f"{r['endToEndTflops'] / b:9.2f}" if b else f"{'n/a':>9}"
    fmt = lambda b: f"{b:7.1f}" if b else f"{'n/a':>7}"
    ours_mhz = mhz((r.get("endToEndTelemetry") or {}).get("smClockMHz"))
    cudnn_mhz = mhz(clock.get(("cudnn",) + key))
    print(f"{r['headDim']:>4} {r['n']:>6} {str(r['causal']):>6} | {r['kernelTflops']:11.1f} {r['endToEndTflops']:9.1f} {ours_mhz} | {fmt(f)} {fmt(c)} {cudnn_mhz} | {ratio(f)} {ratio(c)}")
PY
