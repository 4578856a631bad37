#!/bin/bash
set -o pipefail
cd "$(dirname "$0")"
nvcc -O2 -gencode=arch=compute_90a,code=sm_90a -o /tmp/ex2probe ex2probe.cu 2>&1 | tail -5
cuobjdump -sass /tmp/ex2probe | grep -B2 -A2 MUFU | head -20
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
mkdir -p /tmp/d; /tmp/ex2probe /tmp/d | tee $OUT/probe.log
cd /tmp/d; for f in *.i8; do if command -v xz >/dev/null; then xz -6 -T16 -c $f > $OUT/$f.xz; else gzip -9 -c $f > $OUT/$f.gz; fi; done
ls -la $OUT
