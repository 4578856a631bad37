namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// One random pre-processing problem: shape, layout, input type, options and the edge cases it plants. SmoothK's mean is
/// the full mean unless a case names <see cref="KeyMeanTokens.Strided"/> (the library's default since session 40), so that
/// launch 1's K statistics keep their coverage here; the strided cases are listed apart.
/// </summary>
internal sealed record PreprocessCase(
    int Seed, int Batch, int KeyValueHeads, int GroupSize, int QueryLength, int KeyLength, int HeadDim,
    TensorLayout Layout, ElementType Input, QuantGranularity Granularity, QkFormat Format,
    bool SmoothK, bool SmoothQ, PvAccumulation Pv, bool ZeroValueChannel, bool BiasedKeys, bool ZeroQueryRows,
    bool TinyHead = false, bool SmoothV = false, bool RoundingBoundaries = false, KeyMeanTokens KeyMean = KeyMeanTokens.All)
{
    public AttentionProblem Problem => new(
        new AttentionShape(Batch, KeyValueHeads * GroupSize, KeyValueHeads, QueryLength, KeyLength, HeadDim), Layout,
        softmaxScale: 1.0 / Math.Sqrt(HeadDim) * (1 + Seed % 3) / 2);

    public SageOptions Options => new()
    {
        QkFormat = Format, Granularity = Granularity, SmoothK = SmoothK, SmoothQ = SmoothQ, SmoothV = SmoothV, PvAccumulation = Pv,
        KeyMeanTokens = KeyMean,
    };

    /// <summary>Q, K, V rounded to <see cref="Input"/>, with the planted edge cases.</summary>
    public (HostTensor Q, HostTensor K, HostTensor V) Inputs()
    {
        var problem = Problem;
        var s = problem.Shape;
        var random = new Random(Seed);
        int d = HeadDim;
        var q = Normal(random, s.Batch * s.QueryHeads * s.QueryLength * d, 1.5f);
        var k = Normal(random, s.Batch * s.KeyValueHeads * s.KeyLength * d, 1f);
        var v = Normal(random, s.Batch * s.KeyValueHeads * s.KeyLength * d, 0.8f);
        if (BiasedKeys)
        {
            // A large per-channel offset, as real K has: what K smoothing exists to remove.
            var bias = new float[d];
            for (int c = 0; c < d; c++) bias[c] = (float)(random.NextDouble() * 16 - 8);
            for (int i = 0; i < k.Length; i++) k[i] += bias[i % d];
        }
        if (ZeroValueChannel)
            for (int i = 5; i < v.Length; i += d) v[i] = 0f; // channel 5 of every head: v_scale 0, codes +0
        if (ZeroQueryRows)
            foreach (int t in Enumerable.Range(0, Math.Min(s.QueryLength, 24)))
                Array.Clear(q, (int)TokenOffset.Of(problem.Layout, s.QueryHeads, s.QueryLength, d, 0, 0, t), d); // all-zero Q groups
        if (TinyHead)
        {
            // Head 0 of batch 0 scaled into the range where amax/127 and amax/V_MAX are subnormal (FP32 only).
            foreach (var (data, heads, n) in new[] { (k, s.KeyValueHeads, s.KeyLength), (v, s.KeyValueHeads, s.KeyLength), (q, s.QueryHeads, s.QueryLength) })
                for (int t = 0; t < n; t++)
                {
                    long at = TokenOffset.Of(problem.Layout, heads, n, d, 0, 0, t);
                    for (int c = 0; c < d; c++) data[at + c] *= 1e-37f;
                }
        }
        if (RoundingBoundaries) PlantRoundingBoundaries(random, problem, q, k, v);
        var qShape = s.QueryShape(Layout);
        var kvShape = s.KeyValueShape(Layout);
        return (HostTensor.Create(Input, q, qShape), HostTensor.Create(Input, k, kvShape), HostTensor.Create(Input, v, kvShape));
    }

    /// <summary>
    /// Quotients x ⊘ scale on and next to the points where the codes' rounding turns, where the kernels' division-free
    /// codes (Kernels/Preprocess/quantize_codes.cuh) must hand over to the division: channel 0 of every Q and K row holds
    /// amax, so every group's scale is amax ⊘ qmax, and the other elements are (k + ½)·scale and its neighbouring floats;
    /// token 0 of each V channel holds that channel's amax and the other tokens E4M3 midpoints times its v_scale. FP32
    /// inputs without smoothing only (the scales are then known here). (NaN and ±∞ are outside the backends' input domain,
    /// docs/kernel-spec.md §0; ValueCodeBracketTests covers the bracket's behaviour on them.)
    /// </summary>
    private void PlantRoundingBoundaries(Random random, AttentionProblem problem, float[] q, float[] k, float[] v)
    {
        if (Input != ElementType.Float32 || SmoothK || SmoothQ || SmoothV)
            throw new InvalidOperationException("rounding-boundary cases need FP32 inputs and no smoothing");
        var s = problem.Shape;
        int d = HeadDim;
        float qmax = Format == QkFormat.Int4 ? 7f : 127f;
        float vMax = Pv == PvAccumulation.Fp16TwoLevel ? 1.125f : 448f;
        float Neighbour(float x) => random.Next(3) switch { 0 => x, 1 => MathF.BitIncrement(x), _ => MathF.BitDecrement(x) };
        float Sign(float x) => random.Next(2) == 0 ? x : -x;

        foreach (var (data, heads, n) in new[] { (q, s.QueryHeads, s.QueryLength), (k, s.KeyValueHeads, s.KeyLength) })
            for (int b = 0; b < s.Batch; b++)
                for (int h = 0; h < heads; h++)
                    for (int t = 0; t < n; t++)
                    {
                        long at = TokenOffset.Of(problem.Layout, heads, n, d, b, h, t);
                        float amax = 5.1f * (1 + h);
                        float scale = amax / qmax;
                        data[at] = amax;
                        for (int c = 1; c < d; c++)
                            data[at + c] = Sign(Neighbour((random.Next((int)qmax) + 0.5f) * scale));
                    }

        float[] midpoints = [.. Enumerable.Range(-9, 18).SelectMany(e => Enumerable.Range(0, 8).Select(m => e == -9
            ? (m + 0.5f) * MathF.ScaleB(1f, -9) : (1 + (m + 0.5f) / 8) * MathF.ScaleB(1f, e))).Where(x => x < vMax)];
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.KeyValueHeads; h++)
                for (int c = 0; c < d; c++)
                {
                    float amax = 3.3f * (1 + c / 16f) * (1 + h);
                    float scale = amax / vMax;
                    for (int t = 0; t < s.KeyLength; t++)
                        v[TokenOffset.Of(problem.Layout, s.KeyValueHeads, s.KeyLength, d, b, h, t) + c] =
                            t == 0 ? amax : Sign(Neighbour(midpoints[random.Next(midpoints.Length)] * scale));
                }
    }

    private static float[] Normal(Random random, int count, float sigma)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            data[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return data;
    }

    public override string ToString() =>
        $"#{Seed} B={Batch} Hkv={KeyValueHeads}x{GroupSize} Nq={QueryLength} Nk={KeyLength} d={HeadDim} {Layout} {Input} " +
        $"{Format}/{Granularity}{(SmoothK ? KeyMean == KeyMeanTokens.Strided ? "+smoothK(strided)" : "+smoothK" : "")}{(SmoothQ ? "+smoothQ" : "")}{(SmoothV ? "+smoothV" : "")} V_MAX={(Pv == PvAccumulation.Fp16TwoLevel ? "1.125" : "448")}" +
        $"{(ZeroValueChannel ? " zeroVchannel" : "")}{(BiasedKeys ? " biasedK" : "")}{(ZeroQueryRows ? " zeroQrows" : "")}{(TinyHead ? " subnormal-scales" : "")}{(RoundingBoundaries ? " rounding-boundaries" : "")}";

    /// <summary>
    /// Every granularity × input type × layout, with the other choices varied across them, plus INT4, empty,
    /// subnormal-scale and rounding-boundary cases and one multi-tile problem.
    /// </summary>
    public static IReadOnlyList<PreprocessCase> All { get; } = Build();

    private static List<PreprocessCase> Build()
    {
        int[] queryLengths = [1, 77, 130, 200, 257, 63, 129, 191];
        int[] keyLengths = [1, 100, 129, 255, 300, 383, 128, 257];
        var cases = new List<PreprocessCase>();
        int i = 0;
        foreach (var granularity in Enum.GetValues<QuantGranularity>())
        foreach (var input in Enum.GetValues<ElementType>())
        foreach (var layout in Enum.GetValues<TensorLayout>())
        {
            cases.Add(new PreprocessCase(
                Seed: 1000 + i, Batch: 1 + i % 2, KeyValueHeads: 1 + i / 2 % 2, GroupSize: 1 + i % 3,
                QueryLength: queryLengths[i % queryLengths.Length], KeyLength: keyLengths[(i * 3 + 1) % keyLengths.Length],
                HeadDim: i % 2 == 0 ? 128 : 64, Layout: layout, Input: input, Granularity: granularity,
                Format: i % 4 == 3 ? QkFormat.Int4 : QkFormat.Int8, SmoothK: i % 5 != 4, SmoothQ: i % 3 == 1,
                Pv: (PvAccumulation)(i % 3), ZeroValueChannel: i % 2 == 0, BiasedKeys: i % 3 != 2, ZeroQueryRows: i % 4 == 1,
                SmoothV: i % 2 == 1));
            i++;
        }
        foreach (var granularity in Enum.GetValues<QuantGranularity>())
        {
            cases.Add(new PreprocessCase(2000 + (int)granularity, 2, 2, 2, 150, 290, 128, TensorLayout.NHD, ElementType.BFloat16,
                granularity, QkFormat.Int4, true, true, PvAccumulation.Fp16TwoLevel, true, true, true, SmoothV: true));
            cases.Add(new PreprocessCase(2100 + (int)granularity, 1, 2, 1, 140, 260, 64, TensorLayout.HND, ElementType.Float32,
                granularity, QkFormat.Int8, true, true, PvAccumulation.Fp32, true, true, false, TinyHead: true));
        }
        // Quotients on the codes' rounding boundaries (the division-free codes must hand these to the division).
        foreach (var (format, pv, d) in new[] { (QkFormat.Int8, PvAccumulation.Fp32, 128), (QkFormat.Int4, PvAccumulation.Fp16TwoLevel, 64),
                     (QkFormat.Int8, PvAccumulation.Fp16TwoLevel, 128) })
            cases.Add(new PreprocessCase(2200 + d + (int)pv, 1, 2, 2, 200, 300, d, TensorLayout.HND, ElementType.Float32,
                QuantGranularity.PerThread, format, false, false, pv, false, false, false, RoundingBoundaries: true));
        cases.Add(new PreprocessCase(3000, 1, 1, 2, 5, 0, 128, TensorLayout.HND, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, true, PvAccumulation.Fp16TwoLevel, false, false, false, SmoothV: true));
        cases.Add(new PreprocessCase(3001, 1, 2, 4, 1000, 2000, 128, TensorLayout.NHD, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, false, PvAccumulation.Fp16TwoLevel, true, true, false));
        // SmoothK's trimmed mean over a strided sample (§1, key_trimmed_sample_mean; steps 16, 7, 2 and 1, the first 128 of
        // 255 tokens): V in one pass (d = 128, ≤ 2048 tokens: the mean's kernel first, launch 1 with no statistics), V in two
        // passes (d = 64, FP32, SmoothV, N > 2048: the mean's kernel after launch 1), with ΔS (SmoothQ reads K̃), both layouts.
        cases.Add(new PreprocessCase(4000, 2, 2, 2, 300, 2048, 128, TensorLayout.HND, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, false, PvAccumulation.Fp16TwoLevel, false, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4001, 1, 2, 2, 200, 1000, 128, TensorLayout.NHD, ElementType.BFloat16, QuantGranularity.PerWarp,
            QkFormat.Int8, true, false, PvAccumulation.Fp32, true, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4002, 1, 2, 1, 129, 300, 128, TensorLayout.HND, ElementType.Float16, QuantGranularity.PerBlock,
            QkFormat.Int4, true, false, PvAccumulation.Fp16TwoLevel, false, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4003, 1, 1, 2, 77, 255, 128, TensorLayout.HND, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, false, PvAccumulation.Fp16TwoLevel, false, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4004, 2, 1, 2, 190, 1000, 64, TensorLayout.NHD, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, false, PvAccumulation.Fp16TwoLevel, true, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4005, 1, 2, 1, 260, 390, 64, TensorLayout.HND, ElementType.Float32, QuantGranularity.PerWarp,
            QkFormat.Int8, true, true, PvAccumulation.Fp32TwoLevel, false, true, false, KeyMean: KeyMeanTokens.Strided));
        cases.Add(new PreprocessCase(4006, 1, 1, 2, 140, 2600, 128, TensorLayout.HND, ElementType.BFloat16, QuantGranularity.PerThread,
            QkFormat.Int8, true, true, PvAccumulation.Fp16TwoLevel, false, true, false, SmoothV: true, KeyMean: KeyMeanTokens.Strided));
        return cases;
    }
}
