// The spec's codes (docs/kernel-spec.md §3: cvt.rni.sat.s8(x ⊘ scale), §4: cvt.rn.satfinite.e4m3(x ⊘ v_scale)) without
// a division where the result is provably the same, and with the division where it is not. div.rn.f32 is ≈ 10 SASS
// instructions (MUFU.RCP, FFMAs, FCHK and a slow-path branch) per element, and the pre-processing divides every element of
// Q, K and V: at N = 2K that is ≈ 1 G thread instructions, a third of the issue slots of the two DRAM-streaming launches.
// Nothing here changes a bit of any output; the division stays as the fallback and in the per-stage reference kernels.
#pragma once
#include "preprocess_common.cuh"
#include "attention_int_to_float.cuh" // SAGE_SHIFTER

// INT8/INT4, one element (the main loop's Q prologue and the pre-processing's Q and K codes):
//   r = 1 ⊘ scale (rcp.rn, once per group), y = x ⊗ r, T = y ⊕ SHIFTER (1.5·2^23: T = SHIFTER + n with n = rni(y) for
//   |y| < 2^22), f = y ⊖ (T ⊖ SHIFTER) (exact: y − n), code = the low byte of T's bits (n mod 256).
// Why it equals cvt.rni.sat.s8(x ⊘ scale) (and the INT4 code, clamp(rni(x ⊘ scale), ±7)) when f is not refused: with
// q = x / scale exactly, |x ⊘ scale − q| ≤ 2^-24·|q| and (r normal) |y − q| ≤ (2^-23 + 2^-48)·|q|, so
// |y − (x ⊘ scale)| < 2^-15.5 because |q| ≤ amax / scale ≤ qmax·(1 + 2^-23), qmax = 127 or 7 (amax is the maximum of these
// very |x|; scale = amax ⊘ qmax ≥ (amax / qmax)(1 − 2^-24); a subnormal scale with r finite is ≥ 2^-128, so its rounding
// stays below 2^-21 relative and the margin still holds; smaller ones make r = +∞). rni only changes at the midpoints
// k + ½, so if y is more than 2^-14 from every midpoint (|f| < ½ − 2^-14), x ⊘ scale lies strictly on y's side of the
// same midpoints and rounds to the same n; |n| ≤ qmax, so neither saturation nor the INT4 clamp applies and n mod 256 is
// its byte (n mod 16 its nibble). NaN or ±∞ anywhere (x, r or y) makes f NaN or |f| large: refused.
// (tests/Property/Cuda/QueryCodeFastPathTests mirrors this in C#.)
__device__ __forceinline__ unsigned int int8_code_fast(float x, float r, bool& refused)
{
    const float y = __fmul_rn(x, r);
    const float shifted = __fadd_rn(y, SAGE_SHIFTER);
    const float f = __fsub_rn(y, __fsub_rn(shifted, SAGE_SHIFTER));
    // Bitwise |, not ||: every element is evaluated, and the test folds into one predicate-accumulating FSETP (a
    // short-circuit chain made ptxas predicate the whole block on the running result).
    refused = refused | !(fabsf(f) < 0.49993896484375f); // ½ − 2^-14; NaN refuses
    return __float_as_uint(shifted);                      // the caller keeps the low byte
}

// Eight elements of one group: the division-free codes, or, if any of the eight is refused (≈ 1.2·10^-4 per element on
// ordinary data), all eight through div.rn, the spec's own form.
__device__ __forceinline__ void quantize8_fast(const float (&x)[8], float scale, float reciprocal, int int4, int (&q)[8])
{
    bool refused = false;
#pragma unroll
    for (int i = 0; i < 8; ++i) q[i] = static_cast<int>(static_cast<signed char>(int8_code_fast(x[i], reciprocal, refused) & 0xFFu));
    if (refused) quantize8(x, scale, int4, q);
}

// E4M3 (the V codes of §4): cvt.rn.satfinite.e4m3 is monotone (non-decreasing) in its argument, so if the two ends of an
// interval that contains x ⊘ v_scale give the same code, x ⊘ v_scale gives it too. The interval is [x ⊗ lo, x ⊗ hi] with
// lo = r ⊗ (1 − 2^-20), hi = r ⊗ (1 + 2^-20), r = 1 ⊘ v_scale (rcp.rn) normal: each of r, lo or hi and the product
// carries a relative rounding of at most 2^-24, so x ⊗ lo ≤ (x / v_scale)(1 − 2^-20 + 3·2^-24) < (x ⊘ v_scale) and
// symmetrically above (for x > 0; for x < 0 the ends swap, for x = ±0 all three are the same zero). Results in binary32's
// subnormal range are far below E4M3's smallest half-step (2^-10), so all of them give ±0 with x's sign, as x ⊘ v_scale
// does. ±∞ gives 448 at both ends, as the division's ±∞ does; NaN gives the canonical NaN's code at both ends (binary32
// arithmetic returns the canonical NaN), as the division does. A v_scale whose reciprocal is not a finite normal number
// gets lo = 0, hi = +∞: the ends then differ for every non-NaN x and the division decides. Only v_scale = 0 (code +0
// for every x, NaN included) needs its own test.
struct ValueReciprocals
{
    float lo, hi;
};

__device__ __forceinline__ ValueReciprocals value_reciprocals(float vScale)
{
    const float r = __frcp_rn(vScale);
    const bool normal = r >= 2.35098870e-38f && r <= 3.40282347e38f; // 2^-125 (lo stays normal) … FLT_MAX: false for ±∞, NaN, subnormals
    return normal ? ValueReciprocals{ __fmul_rn(r, 0.99999904632568359375f), __fmul_rn(r, 1.00000095367431640625f) }
                  : ValueReciprocals{ 0.0f, __int_as_float(0x7F800000) };
}
