using Sage.Reference;

namespace Sage.Gpu.Tests.Attention;

/// <summary>One attention problem for the bit-exact comparison: shape, layout, data, options.</summary>
internal sealed record AttentionCase(
    int Seed, int Batch, int KeyValueHeads, int GroupSize, int QueryLength, int KeyLength, int HeadDim,
    TensorLayout Layout, ElementType Input, bool Causal, PvAccumulation Pv, QuantGranularity Granularity, bool SmoothK,
    DataFamily Family, bool Lse, ElementType Output = ElementType.Float16, bool SmoothQ = false, bool SmoothV = false,
    PEncoding P = PEncoding.Exp2, KeyMeanTokens KeyMean = KeyMeanTokens.Strided)
{
    public AttentionProblem Problem => new(
        new AttentionShape(Batch, KeyValueHeads * GroupSize, KeyValueHeads, QueryLength, KeyLength, HeadDim), Layout, Causal,
        softmaxScale: 1.0 / Math.Sqrt(HeadDim) * (1 + Seed % 3) / 2, returnLse: Lse);

    public SageOptions Options => new()
    {
        Granularity = Granularity, SmoothK = SmoothK, PvAccumulation = Pv, OutputType = Output, SmoothQ = SmoothQ, SmoothV = SmoothV,
        PEncoding = P, KeyMeanTokens = KeyMean,
    };

    public AttentionInputs Inputs() => SyntheticData.GenerateInputs(Problem, Family, Input, Seed);

    public override string ToString() =>
        $"#{Seed} {Problem.Shape} {Layout} {Input} {(Causal ? "causal" : "full")} {Pv} {Granularity}{(SmoothK ? KeyMean == KeyMeanTokens.All ? "+smoothK(full)" : "+smoothK" : "")}{(SmoothQ ? "+smoothQ" : "")}{(SmoothV ? "+smoothV" : "")}{(P == PEncoding.LogLinear ? "+logLinearP" : "")} {Family}{(Lse ? " lse" : "")} out={Output}";

    /// <summary>The fixed set: both head dims, every PV mode, odd lengths, GQA, causal with Nq ≠ Nk, every family; SmoothK with
    /// the default strided mean and, in cases 3, 6, 8, 15, 16, 19, 22, 27 and 35, with the mean over every token.</summary>
    public static IReadOnlyList<AttentionCase> Fixed { get; } = BuildFixed();

    private static List<AttentionCase> BuildFixed()
    {
        var f16 = ElementType.Float16;
        var pt = QuantGranularity.PerThread;
        var l = new List<AttentionCase>
        {
            new(1, 1, 1, 1, 64, 128, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(2, 1, 1, 1, 64, 128, 64, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(3, 1, 2, 1, 200, 300, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.Gaussian, true, KeyMean: KeyMeanTokens.All),
            new(4, 1, 2, 1, 200, 300, 64, TensorLayout.HND, f16, false, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.KChannelBias, true),
            new(5, 2, 2, 3, 77, 257, 128, TensorLayout.NHD, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.VChannelBias, true),
            new(6, 1, 1, 4, 129, 383, 64, TensorLayout.NHD, ElementType.BFloat16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.HeavyTail, true, KeyMean: KeyMeanTokens.All),
            new(7, 1, 2, 2, 300, 300, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(8, 1, 2, 2, 300, 300, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.HeavyTail, true, KeyMean: KeyMeanTokens.All),
            new(9, 1, 1, 2, 100, 500, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Uniform, true),
            new(10, 1, 1, 2, 500, 100, 64, TensorLayout.HND, f16, true, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(11, 1, 1, 1, 1, 1, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(12, 1, 1, 1, 1, 1, 64, TensorLayout.HND, f16, true, PvAccumulation.Fp32TwoLevel, pt, false, DataFamily.Gaussian, true),
            new(13, 1, 2, 1, 63, 129, 128, TensorLayout.NHD, ElementType.Float32, false, PvAccumulation.Fp16TwoLevel, pt, false, DataFamily.KChannelBias, true),
            new(14, 1, 2, 1, 191, 255, 64, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, QuantGranularity.PerWarp, true, DataFamily.HeavyTail, true),
            new(15, 1, 2, 1, 191, 255, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp32TwoLevel, QuantGranularity.PerBlock, true, DataFamily.HeavyTail, true, KeyMean: KeyMeanTokens.All),
            new(16, 1, 1, 1, 256, 1024, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp32, pt, true, DataFamily.VChannelBias, true, KeyMean: KeyMeanTokens.All),
            new(17, 1, 1, 1, 130, 257, 64, TensorLayout.HND, f16, true, PvAccumulation.Fp32, pt, true, DataFamily.Gaussian, true),
            new(18, 1, 1, 2, 257, 1000, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.VChannelBias, false, ElementType.BFloat16),
            new(19, 1, 1, 2, 257, 1000, 64, TensorLayout.NHD, f16, false, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.Gaussian, false, ElementType.Float32, KeyMean: KeyMeanTokens.All),
            new(20, 1, 1, 1, 100, 0, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(21, 1, 1, 1, 1000, 2000, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.HeavyTail, true),
            new(22, 2, 1, 8, 384, 384, 64, TensorLayout.NHD, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.KChannelBias, true, KeyMean: KeyMeanTokens.All),
            // Q and V smoothing (issue 5): every PV mode, both head dims, causal with Nq ≠ Nk, GQA, odd lengths, padded
            // Q blocks (Nq mod 128 ≤ 64), Nk = 0, and the data families each smoothing exists for.
            new(23, 1, 1, 1, 64, 128, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true, SmoothQ: true),
            new(24, 1, 2, 2, 200, 300, 64, TensorLayout.NHD, f16, true, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.KChannelBias, true, SmoothQ: true),
            new(25, 1, 2, 1, 191, 255, 128, TensorLayout.HND, ElementType.BFloat16, false, PvAccumulation.Fp32, QuantGranularity.PerBlock, false, DataFamily.HeavyTail, true, SmoothQ: true),
            new(26, 1, 1, 1, 64, 128, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.VChannelBias, true, SmoothV: true),
            new(27, 2, 2, 3, 77, 257, 64, TensorLayout.NHD, f16, false, PvAccumulation.Fp32TwoLevel, QuantGranularity.PerWarp, true, DataFamily.VChannelBias, true, ElementType.Float32, SmoothV: true, KeyMean: KeyMeanTokens.All),
            new(28, 1, 1, 2, 100, 500, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp32, pt, true, DataFamily.Uniform, true, ElementType.BFloat16, SmoothV: true),
            new(29, 1, 1, 2, 500, 100, 64, TensorLayout.HND, ElementType.Float32, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.VChannelBias, true, SmoothQ: true, SmoothV: true),
            new(30, 1, 2, 2, 300, 1000, 128, TensorLayout.NHD, f16, true, PvAccumulation.Fp32TwoLevel, pt, false, DataFamily.KChannelBias, true, SmoothQ: true, SmoothV: true),
            new(31, 1, 1, 1, 1, 1, 128, TensorLayout.HND, f16, false, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true, SmoothQ: true, SmoothV: true),
            new(32, 1, 1, 1, 100, 0, 64, TensorLayout.HND, f16, false, PvAccumulation.Fp32, pt, true, DataFamily.Gaussian, true, SmoothQ: true, SmoothV: true),
            new(33, 1, 1, 1, 1000, 2000, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.HeavyTail, true, SmoothQ: true, SmoothV: true),
            // Causal solo grids with more heads than the tail the kernel interleaves (attention_solo.cuh: about one wave
            // of CTAs, 50 heads of 8 blocks at d = 128, 44 of 12 at d = 64): head-major heads and tail heads in one grid.
            new(34, 1, 64, 1, 512, 512, 128, TensorLayout.HND, f16, true, PvAccumulation.Fp16TwoLevel, pt, true, DataFamily.Gaussian, true),
            new(35, 2, 20, 2, 768, 700, 64, TensorLayout.NHD, f16, true, PvAccumulation.Fp32TwoLevel, pt, true, DataFamily.KChannelBias, false,
                P: PEncoding.LogLinear, KeyMean: KeyMeanTokens.All),
        };
        return l;
    }

    /// <summary>Random problems for the sweep: small shapes, every mode and option the kernel supports.</summary>
    public static AttentionCase Random(int seed)
    {
        var r = new Random(seed * 7919 + 17);
        int d = r.Next(2) == 0 ? 64 : 128;
        int hkv = 1 + r.Next(2);
        int group = 1 + r.Next(3);
        int nq = 1 + r.Next(400);
        int nk = r.Next(10) == 0 ? 1 + r.Next(8) : 1 + r.Next(600);
        var layout = r.Next(2) == 0 ? TensorLayout.HND : TensorLayout.NHD;
        var input = (ElementType)r.Next(3);
        bool causal = r.Next(2) == 0;
        var pv = (PvAccumulation)r.Next(3);
        var gran = r.Next(4) == 0 ? (QuantGranularity)r.Next(3) : QuantGranularity.PerThread;
        bool smoothK = r.Next(5) != 0;
        var family = (DataFamily)r.Next(5);
        bool lse = r.Next(3) != 0;
        var output = r.Next(4) == 0 ? (ElementType)r.Next(3) : ElementType.Float16;
        bool smoothQ = r.Next(3) == 0, smoothV = r.Next(3) == 0;
        var keyMean = r.Next(2) == 0 ? KeyMeanTokens.All : KeyMeanTokens.Strided; // drawn last: the draws before keep their seeds' values
        return new AttentionCase(1000 + seed, 1, hkv, group, nq, nk, d, layout, input, causal, pv, gran, smoothK, family, lse, output, smoothQ, smoothV,
            KeyMean: keyMean);
    }
}
