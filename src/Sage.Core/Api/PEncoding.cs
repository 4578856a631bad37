namespace Sage;

/// <summary>
/// How the softmax turns each argument x of P = 2^x into the E4M3 code the P·V tensor-core product reads
/// (docs/kernel-spec.md §7.5, §7.8).
/// </summary>
public enum PEncoding
{
    /// <summary>
    /// P = ex2.approx.ftz.f32(x) on the special-function unit (MUFU.EX2), rounded to E4M3 (cvt.rn.satfinite): the
    /// nearest E4M3 value to the hardware's 2^x. The default.
    /// </summary>
    Exp2,

    /// <summary>
    /// The E4M3 code is read straight off x: code = rne(f16(max(8·x + 55.5, 0))), so the exponent field is ⌊x⌋ + 7 and the
    /// three fraction bits the first eighths of x's fraction (a Mitchell approximation of 2^x, then the E4M3 grid). No
    /// exp2: three CUDA-core instructions per pair of scores instead of two MUFU.EX2 and a conversion; the row's base is
    /// rounded toward +∞ so that no code passes 126 (448). Where <see cref="Exp2"/>'s code is an E4M3 normal (P ≥ 2^−6)
    /// the codes differ by at most one step; P's spread of relative error is about 1.2× that of E4M3 rounding (its
    /// constant bias cancels, since the row sum l sums the same codes), and the attention output's relative L1 about
    /// 1.09× (docs/kernel-spec.md §12-§13). On the H100 the main loop runs 10-15 % faster.
    /// </summary>
    LogLinear,
}
