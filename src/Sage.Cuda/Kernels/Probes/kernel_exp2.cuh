// 2^x as SageAttention.NET kernels compute it: a specified algorithm (not ex2.approx), reproduced bit for bit by
// Sage.Emulation.SpecialFunctions.KernelExp2.Evaluate. Only IEEE-exact operations: rint, subtraction (exact here),
// fma.rn, integer exponent arithmetic. Flushes results below 2^-126 to +0, like ex2.approx.ftz.
#pragma once

__device__ __forceinline__ float sage_kernel_exp2(float x) {
  if (x != x) return x;
  x = fminf(fmaxf(x, -200.0f), 128.0f);
  float n = rintf(x);
  float f = x - n;
  float p = __int_as_float(0x39218489);            // c6
  p = __fmaf_rn(p, f, __int_as_float(0x3aaec3ff));  // c5
  p = __fmaf_rn(p, f, __int_as_float(0x3c1d955b));  // c4
  p = __fmaf_rn(p, f, __int_as_float(0x3d635847));  // c3
  p = __fmaf_rn(p, f, __int_as_float(0x3e75fdf0));  // c2
  p = __fmaf_rn(p, f, __int_as_float(0x3f317218));  // c1
  p = __fmaf_rn(p, f, 1.0f);                        // c0
  int ni = (int)n;
  int bits = __float_as_int(p);
  int field = (bits >> 23) + ni;
  if (field <= 0) return 0.0f;
  if (field >= 255) return __int_as_float(0x7f800000);
  return __int_as_float(bits + (ni << 23));
}
