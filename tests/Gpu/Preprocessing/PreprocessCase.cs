namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>One random pre-processing problem: shape, layout, input type, options and the edge cases it plants.</summary>
internal sealed record PreprocessCase(
    int Seed, int Batch, int KeyValueHeads, int GroupSize, int QueryLength, int KeyLength, int HeadDim,
    TensorLayout Layout, ElementType Input, QuantGranularity Granularity, QkFormat Format,
    bool SmoothK, bool SmoothQ, PvAccumulation Pv, bool ZeroValueChannel, bool BiasedKeys, bool ZeroQueryRows,
    bool TinyHead = false, bool SmoothV = false)
{
    public AttentionProblem Problem => new(
        new AttentionShape(Batch, KeyValueHeads * GroupSize, KeyValueHeads, QueryLength, KeyLength, HeadDim), Layout,
        softmaxScale: 1.0 / Math.Sqrt(HeadDim) * (1 + Seed % 3) / 2);

    public SageOptions Options => new()
    {
        QkFormat = Format, Granularity = Granularity, SmoothK = SmoothK, SmoothQ = SmoothQ, SmoothV = SmoothV, PvAccumulation = Pv,
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
                Array.Clear(q, (int)Offset(problem.Layout, s.QueryHeads, s.QueryLength, d, 0, 0, t), d); // all-zero Q groups
        if (TinyHead)
        {
            // Head 0 of batch 0 scaled into the range where amax/127 and amax/V_MAX are subnormal (FP32 only).
            foreach (var (data, heads, n) in new[] { (k, s.KeyValueHeads, s.KeyLength), (v, s.KeyValueHeads, s.KeyLength), (q, s.QueryHeads, s.QueryLength) })
                for (int t = 0; t < n; t++)
                {
                    long at = Offset(problem.Layout, heads, n, d, 0, 0, t);
                    for (int c = 0; c < d; c++) data[at + c] *= 1e-37f;
                }
        }
        var qShape = s.QueryShape(Layout);
        var kvShape = s.KeyValueShape(Layout);
        return (HostTensor.Create(Input, q, qShape), HostTensor.Create(Input, k, kvShape), HostTensor.Create(Input, v, kvShape));
    }

    private static long Offset(TensorLayout layout, int heads, int tokens, int d, int b, int h, int t) => layout == TensorLayout.HND
        ? (((long)b * heads + h) * tokens + t) * d
        : (((long)b * tokens + t) * heads + h) * d;

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
        $"{Format}/{Granularity}{(SmoothK ? "+smoothK" : "")}{(SmoothQ ? "+smoothQ" : "")}{(SmoothV ? "+smoothV" : "")} V_MAX={(Pv == PvAccumulation.Fp16TwoLevel ? "1.125" : "448")}" +
        $"{(ZeroValueChannel ? " zeroVchannel" : "")}{(BiasedKeys ? " biasedK" : "")}{(ZeroQueryRows ? " zeroQrows" : "")}{(TinyHead ? " subnormal-scales" : "")}";

    /// <summary>
    /// Every granularity × input type × layout, with the other choices varied across them, plus INT4, empty and
    /// subnormal-scale cases and one multi-tile problem.
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
        cases.Add(new PreprocessCase(3000, 1, 1, 2, 5, 0, 128, TensorLayout.HND, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, true, PvAccumulation.Fp16TwoLevel, false, false, false, SmoothV: true));
        cases.Add(new PreprocessCase(3001, 1, 2, 4, 1000, 2000, 128, TensorLayout.NHD, ElementType.Float16, QuantGranularity.PerThread,
            QkFormat.Int8, true, false, PvAccumulation.Fp16TwoLevel, true, true, false));
        return cases;
    }
}
