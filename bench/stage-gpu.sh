#!/usr/bin/env bash
# Here (no GPU): publish the GPU tests and the sage tool into .gpu/ for the GPU machine, then drop what the machine
# does not need (pdbs, runtimes other than linux-x64, the plot renderers) so that the tree stays under the 64 MiB that travels.
#   bash bench/stage-gpu.sh [STAGE_SCRIPT]        (default ../shared/gpu/stage)
# Then, on the GPU machine with carry [".gpu"]: bash bench/validate-gpu.sh, bash bench/run-gpu.sh, bash bench/ab-gpu.sh.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
stage=${1:-"$root/../shared/gpu/stage"}
[ -x "$stage" ] || { echo "stage-gpu: $stage not found or not executable" >&2; exit 2; }
"$stage" tests/Gpu src/Sage.Cli
find .gpu -name '*.pdb' -delete
for app in .gpu/*/; do
  [ -d "$app/runtimes" ] || continue
  for r in "$app"runtimes/*; do [ "$(basename "$r")" = linux-x64 ] || rm -rf "$r"; done
done
# ScottPlot's native renderers (SkiaSharp, HarfBuzz: 11 MB) serve only `sage study`'s plots, which the GPU machine never
# draws: dropping them leaves room in the 64 MiB for bench/kernel-cache.sh's entries.
rm -f .gpu/sage/runtimes/linux-x64/native/libSkiaSharp.so .gpu/sage/runtimes/linux-x64/native/libHarfBuzzSharp.so
# The XML documentation files (1.2 MB) serve IDEs only.
find .gpu -name 'Sage.*.xml' -delete
du -sh .gpu | awk '{print "stage-gpu: .gpu holds " $1}'
