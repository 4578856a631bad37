// The shifter of docs/kernel-spec.md §5.3: for |x| < 2^22 the bit pattern SAGE_SHIFTER_BITS + x is the float
// SAGE_SHIFTER + x exactly, so an integer add turns an int32 QK sum into a float without the SM's narrow conversion pipe
// (I2F, 16 lanes/clk/SM). The main loop starts its QKᵀ wgmma from these bits (the sums arrive as floats) and folds the
// subtraction of SHIFTER into its score fma; sage_small_int_to_float below is the full conversion, value-identical to
// cvt.rn.f32.s32, which tests/Gpu/Attention/ConversionFreeIdentityTests checks on the GPU for every integer in
// [-2^22, 2^22].
#pragma once

#define SAGE_SHIFTER 12582912.0f     // 1.5 · 2^23: in [2^23, 2^24) the ulp is 1
#define SAGE_SHIFTER_BITS 0x4B400000 // its bit pattern

// For |x| < 2^22 the pattern 0x4B400000 + x is the float 1.5·2^23 + x exactly, and subtracting 1.5·2^23 is exact.
__device__ __forceinline__ float sage_small_int_to_float(int x) {
  return __fsub_rn(__int_as_float(x + SAGE_SHIFTER_BITS), SAGE_SHIFTER);
}
