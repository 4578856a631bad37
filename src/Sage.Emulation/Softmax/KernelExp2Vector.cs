using System.Runtime.Intrinsics;
using Sage.Emulation.SpecialFunctions;

namespace Sage.Emulation.Softmax;

/// <summary>
/// <see cref="KernelExp2.Evaluate"/> on 16 lanes at once: the same clamp, round-half-even, Horner chain of fused
/// multiply-adds and exponent-field addition, so every lane equals the scalar function bit for bit (checked over
/// random and boundary inputs by tests/Property/Emulation).
/// </summary>
public static class KernelExp2Vector
{
    private static readonly float C0 = KernelExp2.Coefficients[0], C1 = KernelExp2.Coefficients[1], C2 = KernelExp2.Coefficients[2],
        C3 = KernelExp2.Coefficients[3], C4 = KernelExp2.Coefficients[4], C5 = KernelExp2.Coefficients[5], C6 = KernelExp2.Coefficients[6];

    public static Vector512<float> Evaluate(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(-200f)), Vector512.Create(128f));
        var n = Vector512.Round(clamped);
        var f = clamped - n;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(C6), f, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(C4));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(C2));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(C1));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(C0));
        var ni = Vector512.ConvertToInt32(n);
        var bits = p.AsInt32();
        var field = (bits >> 23) + ni;
        var result = (bits + (ni << 23)).AsSingle();
        result = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(field, Vector512<int>.Zero).AsSingle(), Vector512<float>.Zero, result);
        result = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(field, Vector512.Create(255)).AsSingle(),
            Vector512.Create(float.PositiveInfinity), result);
        return Vector512.ConditionalSelect(Vector512.IsNaN(x), x, result);
    }

    /// <summary>destination[i] = exp2(scores[i] − base) for every element (the P of one row's tile).</summary>
    public static void ExponentiateShifted(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= scores.Length; i += 16)
                Evaluate(Vector512.Create(scores.Slice(i, 16)) - Vector512.Create(@base)).CopyTo(destination.Slice(i, 16));
        for (; i < scores.Length; i++) destination[i] = KernelExp2.Evaluate(scores[i] - @base);
    }
}
