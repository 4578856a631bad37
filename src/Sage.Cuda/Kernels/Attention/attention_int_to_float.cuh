// Conversion-free int -> float for the main loop's scores, value-identical to cvt.rn.f32.s32 (docs/kernel-spec.md §5.3):
// the I2F instruction it replaces runs on the SM's narrow conversion pipe (16 lanes/clk/SM), which the softmax would
// otherwise saturate (one per score). tests/Gpu/Attention/ConversionFreeIdentityTests checks it against cvt.rn.f32.s32
// on the GPU for every integer in [-2^22, 2^22] (every INT8 QK sum: |acc| <= 127²·128 < 2^21).
#pragma once

#define SAGE_SHIFTER 12582912.0f     // 1.5 · 2^23: in [2^23, 2^24) the ulp is 1
#define SAGE_SHIFTER_BITS 0x4B400000 // its bit pattern

// For |x| < 2^22 the pattern 0x4B400000 + x is the float 1.5·2^23 + x exactly, and subtracting 1.5·2^23 is exact.
__device__ __forceinline__ float sage_small_int_to_float(int x) {
  return __fsub_rn(__int_as_float(x + SAGE_SHIFTER_BITS), SAGE_SHIFTER);
}
