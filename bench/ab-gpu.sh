#!/usr/bin/env bash
# On the GPU machine: the staged sage (.gpu/sage) against the same tool with another Sage.Cuda.dll, alternating rounds
# in one call, so that both sides see the same card, clock and temperature.
#   bash bench/ab-gpu.sh OLD_DLL [ROUNDS] -- [sage bench arguments]
# OLD_DLL: a Sage.Cuda.dll built here from the baseline (git worktree add --detach /tmp/base REV; dotnet build
# /tmp/base/src/Sage.Cuda -c Release), copied into a carried, git-ignored folder. Tables go to $OUT/ab.txt.
set -euo pipefail
old=${1:?usage: ab-gpu.sh OLD_DLL [ROUNDS] -- [bench args]}; shift
rounds=2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
out=${OUT:-/tmp}
base=/tmp/ab-base
rm -rf "$base" && mkdir -p "$base"
cp .gpu/run "$base/" && ln -sf "$PWD/.gpu/dotnet.tar.xz" "$base/dotnet.tar.xz" && cp -r .gpu/sage "$base/sage" && cp "$old" "$base/sage/"
for round in $(seq 1 "$rounds"); do
  for side in new old; do
    runner=.gpu/run; [ $side = old ] && runner=$base/run
    echo "== $side, round $round" | tee -a "$out/ab.txt"
    bash "$runner" sage bench "$@" 2>&1 | tee -a "$out/ab.txt" | grep -E "│ +[0-9]+ +│" || true
  done
done
