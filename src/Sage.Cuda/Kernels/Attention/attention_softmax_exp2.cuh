// The exp2 of the main loop's softmax (rescale factors and P, docs/kernel-spec.md §7): sage_softmax_exp2 is the one
// call site to swap when the kernel exp2 changes.
//
// It is the special-function unit's ex2.approx.ftz.f32 (sage_mufu_exp2): one MUFU.EX2 per score, whose bits are known
// exactly (Sage.Emulation.SpecialFunctions.MufuExp2, checked on the H100 against all 2^32 inputs). Until session 2 of
// 2026-11-25 this was the specified polynomial sage_kernel_exp2 (Probes/kernel_exp2.cuh, ~16 FMA-pipe instructions per
// score); that function and its C# twin KernelExp2 stay verified as the alternative for a GPU whose MUFU is not
// characterised (docs/tensor-core-numerics.md).
#pragma once
#include "mufu_exp2.cuh"

__device__ __forceinline__ float sage_softmax_exp2(float x) { return sage_mufu_exp2(x); }
