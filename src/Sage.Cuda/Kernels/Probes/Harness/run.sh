#!/bin/bash
# The standalone nvcc probe run of 2026-11-25 (docs/results/tensor-cores-2026-11-25.md).
# On the device: copy this folder and ../kernel_exp2.cuh into a carried folder (keeping the relative path), then
#   bash run.sh [NRANDOM]      with $OUT set; writes random_*.bin, int_random.bin, probes.bin, exp2.bin, log.txt.
cd "$(dirname "$0")"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/log.txt
nvcc --version | tail -1 | tee -a $OUT/log.txt
FLAGS="-O2 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -x cu"
nvcc $FLAGS probe_main.cpp -o probe 2> build.err || { head -c 3000 build.err | tee -a $OUT/log.txt; exit 1; }
cuobjdump -sass probe | grep -oE "\b(QGMMA|HGMMA|IGMMA|HMMA|IMMA|QMMA|F2FP|HADD2|I2F)[A-Z0-9_.]*" | sort | uniq -c | tee -a $OUT/log.txt
./probe $OUT ${1:-1048576} 2>&1 | tee -a $OUT/log.txt
