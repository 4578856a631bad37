// 2^x by the special-function unit: ex2.approx.ftz.f32 (SASS MUFU.EX2, one instruction, ~3.7x the throughput of
// sage_kernel_exp2). Its bits are not specified by NVIDIA; Sage.Emulation.SpecialFunctions.MufuExp2 reproduces
// them exactly on the H100 for every one of the 2^32 float inputs (device check: tests/Gpu/TensorCores/
// MufuExp2GpuTests.cs; model: docs/tensor-core-numerics.md, "MUFU.EX2: the exact model"). No input handling
// is needed: NaN -> 0x7fffffff, -inf and x <= -128 -> +0, x >= 128 -> +inf, subnormal inputs -> 1, results
// below 2^-126 -> +0 are all part of the model. Not volatile: the compiler may schedule and CSE it freely.
#pragma once

__device__ __forceinline__ float sage_mufu_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
