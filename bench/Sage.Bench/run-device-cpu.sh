#!/usr/bin/env bash
# The emulator-vs-libtorch CPU benchmark in one GPU-machine call (docs/results/emulator-bench-2026-11-25.md).
# Layout (an ignored folder DIR of the checkout, carried): DIR/run, DIR/dotnet.tar.xz and DIR/Sage.Bench from
# ../shared/gpu/stage bench/Sage.Bench (non-linux-x64 runtimes removed); DIR/SageBase holding the project DLLs
# (Sage.*.dll) of an earlier emulator for a same-run before/after (its own --quick harness; missing files are filled
# in from DIR/Sage.Bench); DIR/torch_cpu_sdpa.py. The "after" run also prints the per-phase breakdown (`phases`).
#   bash DIR/run-device-cpu.sh DIR OUT
set -u
dir=$1; out=$2
{ lscpu | grep -E 'Model name|^CPU\(s\)|Thread\(s\)|Core\(s\)|Socket'; grep -o -w 'avx512f\|avx512_vnni\|avx_vnni\|avx512_bf16\|amx_int8' /proc/cpuinfo | sort | uniq -c; } > "$out/cpu.txt" 2>&1
python3 "$dir/torch_cpu_sdpa.py" > "$out/torch-before.txt" 2>&1
[ -x /tmp/dotnet/dotnet ] || { mkdir -p /tmp/dotnet && tar -xJf "$dir/dotnet.tar.xz" -C /tmp/dotnet; }
export DOTNET_ROOT=/tmp/dotnet
cp -rn "$dir/Sage.Bench/." "$dir/SageBase/"
DOTNET_TieredCompilation=0 /tmp/dotnet/dotnet "$dir/Sage.Bench/Sage.Bench.dll" --quick 4096 8 -1 3 fp16-2level fp32-2level fp32 phases > "$out/quick-after.txt" 2>&1
DOTNET_TieredCompilation=0 /tmp/dotnet/dotnet "$dir/SageBase/Sage.Bench.dll" --quick 4096 8 -1 3 > "$out/quick-before.txt" 2>&1
bash "$dir/run" Sage.Bench --filter '*EmulatorFp16TwoLevel*' '*EmulatorFp32TwoLevel*' '*Float32*' > "$out/bdn.txt" 2>&1
cp BenchmarkDotNet.Artifacts/results/*.md "$out/" 2>/dev/null
python3 "$dir/torch_cpu_sdpa.py" > "$out/torch-after.txt" 2>&1
cat "$out/cpu.txt" "$out/torch-before.txt" "$out/quick-after.txt" "$out/quick-before.txt" "$out/torch-after.txt"
grep -E '^\|' "$out/bdn.txt" | tail -8
