#!/usr/bin/env bash
# INT4 tensor-core probe: compile for sm_90a, dump the SASS, summarise the instructions of each kernel.
cd "$(dirname "$0")"
export PATH=/usr/local/cuda/bin:$PATH
out=${OUT:-/tmp}
{
  nvcc --version | tail -2
  if nvcc -arch=sm_90a -cubin -o /tmp/int4_probe.cubin int4_probe.cu; then
    cuobjdump -sass /tmp/int4_probe.cubin > "$out/int4-sass.txt"
    for k in mma_s4 mma_s8; do
      echo "== $k: instruction histogram"
      awk -v k="$k" '/Function :/ {on = ($3 == k)} on && /\/\*[0-9a-f]+\*\// {for (i=1;i<=NF;i++) if ($i ~ /^[A-Z][A-Z0-9_.]+$/) {print $i; break}}' "$out/int4-sass.txt" | sed 's/\..*//' | sort | uniq -c | sort -rn | head -12
      echo "   IMMA lines:"; awk -v k="$k" '/Function :/ {on = ($3 == k)} on && /IMMA/' "$out/int4-sass.txt" | sed 's/^ *//' | head -8
    done
  else
    echo "nvcc/ptxas refused mma.sync s4 for sm_90a"
  fi
} 2>&1 | tee "$out/int4-probe.txt"
