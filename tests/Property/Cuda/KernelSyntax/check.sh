#!/usr/bin/env bash
# Front-end check of the CUDA kernels without a GPU or the CUDA Toolkit: clang parses every .cu under
# src/Sage.Cuda/Kernels (or the files given) as device code, with clang_cuda_stub.h standing in for what NVRTC provides,
# and instantiates every kernel's templates. It finds what NVRTC's front end would (unknown names, wrong overloads or
# argument counts, template errors), not what ptxas would (inline asm operands, registers). Headers are found by their
# bare names in any kernel folder, as KernelSource resolves them for NVRTC. sm_80 rules: clang 14 has no sm_90, and
# no kernel source tests __CUDA_ARCH__.
#   bash tests/Property/Cuda/KernelSyntax/check.sh [FILE.cu ...]
# Exit 0: all clean; 1: errors (printed); 77: no clang with CUDA support here (only the NVRTC rules below checked, clean).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernels=$(cd "$here/../../../../src/Sage.Cuda/Kernels" && pwd)
clang=${CLANG:-}
if [ -z "$clang" ]; then
  for c in clang++ /usr/lib/llvm-*/bin/clang++; do
    if command -v "$c" > /dev/null 2>&1; then clang=$(command -v "$c"); break; fi
  done
fi
# NVRTC's own rules that clang's CUDA front end does not apply, checked by pattern over the kernels' sources (the files
# given and every header): a generic lambda (a parameter declared auto) is a host function to NVRTC's JIT mode ("host
# functions are not allowed in JIT mode"), while clang makes it host-device and accepts it (session 44 lost a device
# call to one).
nvrtc_rules() {
  local hits
  hits=$(grep -nE '\[[&=]?[A-Za-z0-9_, &]*\]\s*\([^)]*\bauto\b' "$@" 2>/dev/null)
  [ -z "$hits" ] && return 0
  echo "NVRTC rule: generic lambda (a parameter declared auto), which NVRTC rejects in device code:"
  echo "$hits"
  return 1
}
if [ $# -gt 0 ]; then rule_files=("$@"); else mapfile -t rule_files < <(find "$kernels" -name '*.cu' ! -name argument_echo.cu | sort); fi
mapfile -t -O ${#rule_files[@]} rule_files < <(find "$kernels" -name '*.cuh' | sort)
rules=0
nvrtc_rules "${rule_files[@]}" || rules=1
[ -n "$clang" ] || { echo "check.sh: no clang++ on PATH or in /usr/lib/llvm-*/bin: kernels not checked"; [ $rules -eq 0 ] && exit 77; exit 1; }
echo "__global__ void probe() {}" | "$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib \
  -fsyntax-only -I"$here" -include "$here/clang_cuda_stub.h" - > /dev/null 2>&1 \
  || { echo "check.sh: $clang cannot parse CUDA device code: kernels not checked"; [ $rules -eq 0 ] && exit 77; exit 1; }
includes=()
while IFS= read -r d; do includes+=("-I$d"); done < <(find "$kernels" -type d | sort)
if [ $# -gt 0 ]; then files=("$@"); else
  # argument_echo.cu includes the Toolkit's cuda_fp16.h and cuda_fp8.h on purpose (it tests NVRTC's include path).
  mapfile -t files < <(find "$kernels" -name '*.cu' ! -name argument_echo.cu | sort)
fi
# CHECK_FLAGS: extra clang flags, e.g. CHECK_FLAGS=-DSAGE_EPILOGUE_STAGED=1 to check a probe variant (SAGE_KERNEL_DEFINES).
read -r -a extra <<< "${CHECK_FLAGS:-}"
failed=$rules
for f in "${files[@]}"; do
  f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f") # absolute, so that the name below is relative to the kernels
  log=$("$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -fsyntax-only -std=c++17 \
        "${extra[@]}" -I"$here" "${includes[@]}" -include "$here/clang_cuda_stub.h" "$f" 2>&1)
  errors=$(grep -c "error:" <<< "$log")
  echo "$errors errors  ${f#"$kernels"/}"
  if [ "$errors" -ne 0 ] || grep -q "fatal error" <<< "$log"; then failed=1; echo "$log" | grep -A4 "error:" | head -40; fi
done
exit $failed
