using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Tracing;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>Whole-pass properties of the emulator: finiteness, determinism, trace consistency, layout and GQA.</summary>
public class EmulatorInvariantTests
{
    [Property(MaxTest = 100)]
    public void OutputsAreFiniteForFiniteInputs(int seed)
    {
        var c = RandomAttentionCase.From(seed);
        var result = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var o = result.Output.ToSingleArray();
        for (long i = 0; i < o.LongLength; i++)
            Assert.True(float.IsFinite(o[i]), $"{c}: output[{i}] = {o[i]}");
        var shape = c.Problem.Shape;
        for (int b = 0; b < shape.Batch; b++)
        for (int h = 0; h < shape.QueryHeads; h++)
        for (int r = 0; r < shape.QueryLength; r++)
        {
            float lse = result.Lse![((long)b * shape.QueryHeads + h) * shape.QueryLength + r];
            bool seesKeys = c.Problem.LastVisibleKey(r) >= 0;
            Assert.True(seesKeys ? float.IsFinite(lse) : float.IsNegativeInfinity(lse), $"{c}: LSE row {r} = {lse}");
        }
    }

    [Property(MaxTest = 30)]
    public void ResultsAreDeterministicAcrossThreadCounts(int seed)
    {
        var c = RandomAttentionCase.From(seed);
        var a = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var b = new EmulatedAttention { MaxDegreeOfParallelism = 1 }.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        AssertBitwiseEqual(a, b, c.ToString());
    }

    [Property(MaxTest = 20)]
    public void VectorisedPvPathEqualsTheTensorCoreModel(int seed)
    {
        var c = RandomAttentionCase.From(seed, maxLength: 160);
        var fast = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var model = new EmulatedAttention(PvModelSet.Measured(allowFastPath: false)).Run(c.Problem, c.Q, c.K, c.V, c.Options);
        AssertBitwiseEqual(fast, model, c.ToString());
    }

    [Property(MaxTest = 30)]
    public void TraceReproducesTheRunOfItsTile(int seed)
    {
        TraceChecks.AssertTraceReproducesRun(RandomAttentionCase.From(seed), seed);
    }

    [Property(MaxTest = 20)]
    public void GroupedQueryAttentionEqualsRepeatedKeyValueHeads(int seed)
    {
        var c = RandomAttentionCase.From(seed);
        var s = c.Problem.Shape;
        if (s.GroupSize == 1) return;
        var expanded = new AttentionProblem(s with { KeyValueHeads = s.QueryHeads }, c.Problem.Layout, c.Problem.Causal, c.Problem.SoftmaxScale, true);
        HostTensor Repeat(HostTensor t)
        {
            var src = t.ToSingleArray();
            var shape = expanded.Shape.KeyValueShape(c.Problem.Layout);
            var dst = new float[src.Length * s.GroupSize];
            for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
            for (int n = 0; n < s.KeyLength; n++)
            {
                int kvh = h / s.GroupSize;
                long from = c.Problem.Layout == TensorLayout.HND ? (((long)b * s.KeyValueHeads + kvh) * s.KeyLength + n) * s.HeadDim
                    : (((long)b * s.KeyLength + n) * s.KeyValueHeads + kvh) * s.HeadDim;
                long to = c.Problem.Layout == TensorLayout.HND ? (((long)b * s.QueryHeads + h) * s.KeyLength + n) * s.HeadDim
                    : (((long)b * s.KeyLength + n) * s.QueryHeads + h) * s.HeadDim;
                Array.Copy(src, from, dst, to, s.HeadDim);
            }
            return HostTensor.Create(t.ElementType, dst, shape);
        }
        var a = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var b2 = RandomAttentionCase.Emulator.Run(expanded, c.Q, Repeat(c.K), Repeat(c.V), c.Options);
        AssertBitwiseEqual(a, b2, c.ToString());
    }

    [Fact]
    public void UnsupportedHeadDimThrowsNotSupported()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 4, 4, 96));
        var t = HostTensor.FromSingle(new float[4 * 96], 1, 1, 4, 96);
        Assert.Throws<NotSupportedException>(() => RandomAttentionCase.Emulator.Run(problem, t, t, t));
    }

    [Fact]
    public void MismatchedInputShapeThrowsArgumentException()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 4, 4, 64));
        var good = HostTensor.FromSingle(new float[4 * 64], 1, 1, 4, 64);
        var bad = HostTensor.FromSingle(new float[5 * 64], 1, 1, 5, 64);
        Assert.Throws<ArgumentException>(() => RandomAttentionCase.Emulator.Run(problem, good, bad, good));
    }

    [Fact]
    public void RowsWithoutVisibleKeysGiveZeroOutputAndMinusInfinityLse()
    {
        // Causal with Nq > Nk: the first Nq − Nk rows see no key (bottom-right alignment).
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 200, 50, 64), causal: true, returnLse: true);
        var rnd = new Random(3);
        float[] Fill(int n) { var a = new float[n * 64]; for (int i = 0; i < a.Length; i++) a[i] = (float)rnd.NextDouble() - 0.5f; return a; }
        var q = HostTensor.FromSingle(Fill(200), 1, 1, 200, 64);
        var kv = HostTensor.FromSingle(Fill(50), 1, 1, 50, 64);
        var result = RandomAttentionCase.Emulator.Run(problem, q, kv, kv, new SageOptions { OutputType = ElementType.Float32 });
        var o = result.Output.Single;
        for (int r = 0; r < 150; r++)
        {
            Assert.True(float.IsNegativeInfinity(result.Lse![r]), $"row {r}");
            for (int c = 0; c < 64; c++) Assert.Equal(0u, BitConverter.SingleToUInt32Bits(o[r * 64 + c]));
        }
        for (int r = 150; r < 200; r++) Assert.True(float.IsFinite(result.Lse![r]), $"row {r}");
    }

    [Fact]
    public void AllZeroValueChannelGivesExactZeroNotNaN()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 130, 130, 64));
        var rnd = new Random(5);
        var q = new float[130 * 64]; var v = new float[130 * 64];
        for (int i = 0; i < q.Length; i++) { q[i] = (float)rnd.NextDouble(); v[i] = i % 64 == 7 ? 0f : (float)rnd.NextDouble(); }
        var qt = HostTensor.FromSingle(q, 1, 1, 130, 64);
        foreach (var mode in Enum.GetValues<PvAccumulation>())
        {
            var o = RandomAttentionCase.Emulator.Run(problem, qt, qt, HostTensor.FromSingle(v, 1, 1, 130, 64),
                new SageOptions { PvAccumulation = mode, OutputType = ElementType.Float32 }).Output.Single;
            for (int r = 0; r < 130; r++) Assert.Equal(0f, o[r * 64 + 7]);
        }
    }

    internal static void AssertBitwiseEqual(AttentionResult a, AttentionResult b, string context)
    {
        var x = a.Output.ToSingleArray();
        var y = b.Output.ToSingleArray();
        Assert.Equal(x.Length, y.Length);
        for (long i = 0; i < x.LongLength; i++)
            if (BitConverter.SingleToUInt32Bits(x[i]) != BitConverter.SingleToUInt32Bits(y[i]))
                Assert.Fail($"{context}: output[{i}] differs: {x[i]:R} vs {y[i]:R}");
        if (a.Lse is null) { Assert.Null(b.Lse); return; }
        for (int i = 0; i < a.Lse.Length; i++)
            if (BitConverter.SingleToUInt32Bits(a.Lse[i]) != BitConverter.SingleToUInt32Bits(b.Lse![i]))
                Assert.Fail($"{context}: LSE[{i}] differs: {a.Lse[i]:R} vs {b.Lse[i]:R}");
    }
}
