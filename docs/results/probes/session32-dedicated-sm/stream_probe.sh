#!/usr/bin/env bash
# Session 32: build and run stream_probe.cu on the GPU machine (nvcc, sm_90a); output to $OUT/stream-probe.txt.
set -e
cd "$(dirname "$0")"
export PATH=/usr/local/cuda/bin:$PATH
out=${OUT:-/tmp}
nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -o /tmp/stream_probe stream_probe.cu
/tmp/stream_probe 2>&1 | tee "$out/stream-probe.txt"
