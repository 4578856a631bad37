namespace Sage.Emulation.TensorCores;

/// <summary>
/// s8·s8 → s32 tensor-core variants (wgmma .s32.s8.s8, mma.sync .s32.s8.s8.s32 without .satfinite):
/// the products and their sum are exact integers; the addition of C wraps modulo 2^32.
/// </summary>
public sealed class Int8DotModel : IDotProductModel
{
    public Int8DotModel(string name, bool verifiedOnHardware, string provenance, int k = 32)
    {
        Name = name; K = k; VerifiedOnHardware = verifiedOnHardware; Provenance = provenance;
    }

    public string Name { get; }
    public MmaInputFormat Input => MmaInputFormat.Int8;
    public MmaAccumulator Accumulator => MmaAccumulator.Int32;
    public int K { get; }
    public bool VerifiedOnHardware { get; }
    public string Provenance { get; }

    public float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c) =>
        throw new NotSupportedException($"{Name} is an integer variant; use DotInt32");

    public int DotInt32(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int c)
    {
        if (a.Length != b.Length || a.Length == 0 || a.Length % K != 0)
            throw new ArgumentException($"a and b must have the same length, a positive multiple of K={K}; got {a.Length} and {b.Length}", nameof(a));
        // |Σ of 32 products| ≤ 32·128·128 = 2^19: exact in int; only the running sum with C can wrap.
        int acc = c;
        for (int i = 0; i < a.Length; i++) acc = unchecked(acc + a[i] * b[i]);
        return acc;
    }
}
