// Conversion-free forms of two main-loop steps, value-identical to the specified ones (docs/kernel-spec.md):
// the FRND, F2I and I2F instructions they replace run on the SM's narrow conversion pipe (16 lanes/clk/SM), which
// the softmax would otherwise saturate (three per score). tests/Gpu/Attention/ConversionFreeIdentityTests checks
// both against their references on the GPU for every input they can receive (all 2^32 fp32 patterns for the exp2;
// every integer in [-2^22, 2^22] for the int -> float).
#pragma once
#include "kernel_exp2.cuh"

#define SAGE_SHIFTER 12582912.0f     // 1.5 · 2^23: adding it rounds |x| < 2^22 to an integer (RNE), ulp 1
#define SAGE_SHIFTER_BITS 0x4B400000 // its bit pattern

// sage_kernel_exp2 with rint(x) and (int)n done by the shifter: for x in [-200, 128], t = x ⊕ 1.5·2^23 lies in
// [2^23, 2^24) where the ulp is 1, so t = 1.5·2^23 + rint(x) (round-half-even, as rintf), n = t ⊖ 1.5·2^23 exactly,
// and the integer n is the difference of the bit patterns (same exponent).
__device__ __forceinline__ float sage_exp2_shifter(float x) {
  if (x != x) return x;
  x = fminf(fmaxf(x, -200.0f), 128.0f);
  float t = __fadd_rn(x, SAGE_SHIFTER);
  float n = __fsub_rn(t, SAGE_SHIFTER);
  int ni = __float_as_int(t) - SAGE_SHIFTER_BITS;
  float f = __fsub_rn(x, n);
  float p = __int_as_float(0x39218489);            // c6
  p = __fmaf_rn(p, f, __int_as_float(0x3aaec3ff));  // c5
  p = __fmaf_rn(p, f, __int_as_float(0x3c1d955b));  // c4
  p = __fmaf_rn(p, f, __int_as_float(0x3d635847));  // c3
  p = __fmaf_rn(p, f, __int_as_float(0x3e75fdf0));  // c2
  p = __fmaf_rn(p, f, __int_as_float(0x3f317218));  // c1
  p = __fmaf_rn(p, f, 1.0f);                        // c0
  int bits = __float_as_int(p);
  int field = (bits >> 23) + ni;
  if (field <= 0) return 0.0f;
  if (field >= 255) return __int_as_float(0x7f800000);
  return __int_as_float(bits + (ni << 23));
}

// cvt.rn.f32.s32 for |x| < 2^22 (every INT8 QK sum: |acc| ≤ 127²·128 < 2^21): the pattern 0x4B400000 + x is the
// float 1.5·2^23 + x exactly, and subtracting 1.5·2^23 is exact.
__device__ __forceinline__ float sage_small_int_to_float(int x) {
  return __fsub_rn(__int_as_float(x + SAGE_SHIFTER_BITS), SAGE_SHIFTER);
}
