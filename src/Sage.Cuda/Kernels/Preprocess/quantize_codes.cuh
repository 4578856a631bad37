// The spec's codes (docs/kernel-spec.md §3: cvt.rni.sat.s8(x ⊘ scale), §4: cvt.rn.satfinite.e4m3(x ⊘ v_scale)) without
// a division where the result is provably the same, and with the division where it is not. div.rn.f32 is ≈ 10 SASS
// instructions (MUFU.RCP, FFMAs, FCHK and a slow-path branch) per element, and the pre-processing divides every element of
// Q, K and V: at N = 2K that is ≈ 1 G thread instructions, a third of the issue slots of the two DRAM-streaming launches.
// Nothing here changes a bit of any output; the division stays as the fallback and in the per-stage reference kernels.
#pragma once
#include "preprocess_common.cuh"
#include "attention_int_to_float.cuh" // SAGE_SHIFTER

// The bracket of a quotient x ⊘ scale (scale ≥ 0): r = 1 ⊘ scale (rcp.rn), lo = r ⊗ (1 − 2^-20), hi = r ⊗ (1 + 2^-20).
// For r a finite normal number ≥ 2^-125 (lo stays normal), each of r, lo and hi carries at most 2^-24 relative rounding,
// so the exact products x·lo and x·hi lie strictly on either side of x ⊘ scale (for x > 0: x·lo ≤ (x / scale)(1 − 2^-20)
// (1 + 2^-24)^2 < (x / scale)(1 − 2^-24) ≤ x ⊘ scale, and symmetrically above; for x < 0 the ends swap; x = ±0 gives
// ±0 at all three), and so do the rounded products x ⊗ lo, x ⊗ hi (one more 2^-24: still inside the 2^-20). Any other r
// (scale 0, subnormal below 2^-128, ∞, NaN) gets lo = 0, hi = +∞, whose ends differ for every non-NaN x, so the
// division decides. The INT8/INT4 codes below use the exact products (in an fma), the E4M3 V codes the rounded ones.
struct QuotientBracket
{
    float lo, hi;
};

__device__ __forceinline__ QuotientBracket quotient_bracket(float scale)
{
    const float r = __frcp_rn(scale);
    const bool normal = r >= 2.35098870e-38f && r <= 3.40282347e38f; // 2^-125 (lo stays normal) … FLT_MAX: false for ±∞, NaN, subnormals
    return normal ? QuotientBracket{ __fmul_rn(r, 0.99999904632568359375f), __fmul_rn(r, 1.00000095367431640625f) }
                  : QuotientBracket{ 0.0f, __int_as_float(0x7F800000) };
}

// INT8/INT4, one element (the main loop's Q prologue and the pre-processing's Q and K codes), where scale = amax ⊘ qmax
// (qmax = 127, or 7 for INT4) and |x| ≤ amax, amax the maximum of these very |x|:
//   T_lo = fma(x, lo, SHIFTER), T_hi = fma(x, hi, SHIFTER) (SHIFTER = 1.5·2^23), code = the low byte of T_lo's bits,
//   refused where T_lo ≠ T_hi (unordered: a NaN refuses).
// Why it equals cvt.rni.sat.s8(x ⊘ scale) (and the INT4 code, clamp(rni(x ⊘ scale), ±7)) when not refused: the fma
// rounds the exact x·lo + SHIFTER once, and for |v| < 2^22 rn(v + SHIFTER) = SHIFTER + rni(v) (the ulp in [2^23, 2^24) is
// 1, SHIFTER is even, so ties go to even as rni's do), a non-decreasing function of v. x ⊘ scale lies between x·lo and
// x·hi (quotient_bracket), so where both ends give the same n, x ⊘ scale gives n too. |x ⊘ scale| ≤ qmax·(1 + 2^-23)
// (amax ⊘ qmax ≥ (amax / qmax)(1 − 2^-24)), so |n| ≤ qmax: neither the saturation nor the INT4 clamp applies, and
// SHIFTER + n is the float whose bits are 0x4B400000 + n, whose low byte is n mod 256 (n mod 16 its nibble). x = ±∞ has
// amax = ∞, r = 0 and so lo = 0, hi = +∞: T_lo is NaN (∞·0), refused; with lo = 0, hi = +∞ every x refuses (NaN for
// x = ±0). Three instructions per element (FFMA, FFMA, an accumulating FSETP) where the shifter form of sessions 11-37
// (y = x ⊗ r, T = y ⊕ SHIFTER, f = y ⊖ (T ⊖ SHIFTER), refused unless |f| < ½ − 2^-14) took five.
// (tests/Property/Cuda/QueryCodeFastPathTests mirrors this in C#.)
__device__ __forceinline__ unsigned int int8_code_fast(float x, const QuotientBracket& b, bool& refused)
{
    const float low = __fmaf_rn(x, b.lo, SAGE_SHIFTER);
    const float high = __fmaf_rn(x, b.hi, SAGE_SHIFTER);
    // Bitwise |, not ||: every element is evaluated, and the test folds into one predicate-accumulating FSETP (a
    // short-circuit chain made ptxas predicate the whole block on the running result). != is true for NaN.
    refused = refused | (low != high);
    return __float_as_uint(low); // the caller keeps the low byte
}

// Eight elements of one group: the division-free codes, or, if any of the eight is refused (≈ 7·10^-5 per element on
// Gaussian rows), all eight through div.rn, the spec's own form.
__device__ __forceinline__ void quantize8_fast(const float (&x)[8], float scale, const QuotientBracket& bracket, int int4, int (&q)[8])
{
    bool refused = false;
#pragma unroll
    for (int i = 0; i < 8; ++i) q[i] = static_cast<int>(static_cast<signed char>(int8_code_fast(x[i], bracket, refused) & 0xFFu));
    if (refused) quantize8(x, scale, int4, q);
}

// E4M3 (the V codes of §4): cvt.rn.satfinite.e4m3 is monotone (non-decreasing) in its argument, so if the two ends
// x ⊗ lo, x ⊗ hi of quotient_bracket(v_scale) give the same code, x ⊘ v_scale, which lies between them, gives it too:
// each of r, lo or hi and the product carries a relative rounding of at most 2^-24, so x ⊗ lo ≤ (x / v_scale)(1 − 2^-20
// + 3·2^-24) < (x ⊘ v_scale) and symmetrically above. Results in binary32's subnormal range are far below E4M3's
// smallest half-step (2^-10), so all of them give ±0 with x's sign, as x ⊘ v_scale does. ±∞ gives 448 at both ends, as
// the division's ±∞ does; NaN gives the canonical NaN's code at both ends (binary32 arithmetic returns the canonical
// NaN), as the division does. A v_scale whose reciprocal is not a finite normal number gets lo = 0, hi = +∞: the ends
// then differ for every non-NaN x and the division decides. Only v_scale = 0 (code +0 for every x, NaN included) needs
// its own test. (value_code_word in preprocess_fused.cu; tests/Property/Cuda/ValueCodeBracketTests.)
