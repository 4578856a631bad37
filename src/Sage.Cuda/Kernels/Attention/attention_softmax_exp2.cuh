// The exp2 of the main loop's softmax (rescale factors and P, docs/kernel-spec.md §7): sage_softmax_exp2 is the one
// call site to swap when the kernel exp2 changes.
//
// Since 2026-11-25 (session 2) it is the special-function unit's ex2.approx.ftz.f32 (sage_mufu_exp2): one MUFU.EX2 per
// score instead of ~16 FMA-pipe instructions, and its bits are known exactly (Sage.Emulation.SpecialFunctions.MufuExp2,
// checked on the H100 against all 2^32 inputs). The specified polynomial below stays as the documented alternative for
// a GPU whose MUFU is not characterised; the identity tests keep it honest.
//
// sage_exp2_branchless is sage_exp2_shifter (attention_exp2.cuh) with its three early returns turned into selects:
// the same fp32/int operations in the same order, every value computed unconditionally, the result chosen at the
// end. The NaN input is clamped to -200 by fmaxf before the arithmetic, so nothing else changes. Why: the early
// returns compile to a branch region (BSSY/BSYNC) per call, and the 64 calls of a tile then run one after another as
// dependent chains; without branches the compiler interleaves them. tests/Gpu/Attention/ConversionFreeIdentityTests
// checks it against sage_kernel_exp2 on all 2^32 fp32 inputs (conversion_identity.cu, exp2_branchless_identity).
#pragma once
#include "attention_exp2.cuh"
#include "mufu_exp2.cuh"

__device__ __forceinline__ float sage_exp2_branchless(float x) {
  const float c = fminf(fmaxf(x, -200.0f), 128.0f); // NaN -> -200 (fmaxf returns the non-NaN operand)
  const float t = __fadd_rn(c, SAGE_SHIFTER);
  const float n = __fsub_rn(t, SAGE_SHIFTER);
  const int ni = __float_as_int(t) - SAGE_SHIFTER_BITS;
  const float f = __fsub_rn(c, n);
  float p = __int_as_float(0x39218489);             // c6
  p = __fmaf_rn(p, f, __int_as_float(0x3aaec3ff));  // c5
  p = __fmaf_rn(p, f, __int_as_float(0x3c1d955b));  // c4
  p = __fmaf_rn(p, f, __int_as_float(0x3d635847));  // c3
  p = __fmaf_rn(p, f, __int_as_float(0x3e75fdf0));  // c2
  p = __fmaf_rn(p, f, __int_as_float(0x3f317218));  // c1
  p = __fmaf_rn(p, f, 1.0f);                        // c0
  const int bits = __float_as_int(p);
  const int field = (bits >> 23) + ni;
  float r = __int_as_float((int)((unsigned int)bits + ((unsigned int)ni << 23)));
  r = field <= 0 ? 0.0f : r;
  r = field >= 255 ? __int_as_float(0x7f800000) : r;
  return x != x ? x : r;
}

__device__ __forceinline__ float sage_softmax_exp2(float x) { return sage_mufu_exp2(x); }
