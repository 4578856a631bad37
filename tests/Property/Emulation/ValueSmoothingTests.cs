using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// V smoothing (docs/kernel-spec.md §4 VSmoothing, §9 step 4): the whole-pass invariants hold with SmoothV on, the trace
/// shows the V mean summed in the kernel's chunked order, Ṽ is what VQuantization quantises, and the mean comes back
/// exactly where a key is visible and never where none is.
/// </summary>
public class ValueSmoothingTests
{
    private static RandomAttentionCase WithSmoothV(RandomAttentionCase c) =>
        c with { Options = c.Options with { SmoothV = true }, Description = c.Description + " +SmoothV" };

    [Property(MaxTest = 60)]
    public void OutputsAreFiniteWithValueSmoothing(int seed)
    {
        var c = WithSmoothV(RandomAttentionCase.From(seed));
        var result = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var o = result.Output.ToSingleArray();
        for (long i = 0; i < o.LongLength; i++)
            Assert.True(float.IsFinite(o[i]), $"{c}: output[{i}] = {o[i]}");
    }

    [Property(MaxTest = 20)]
    public void ResultsAreDeterministicAcrossThreadCountsWithValueSmoothing(int seed)
    {
        var c = WithSmoothV(RandomAttentionCase.From(seed));
        var a = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var b = new EmulatedAttention { MaxDegreeOfParallelism = 1 }.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        EmulatorInvariantTests.AssertBitwiseEqual(a, b, c.ToString());
    }

    [Property(MaxTest = 15)]
    public void VectorisedPvPathEqualsTheTensorCoreModelWithValueSmoothing(int seed)
    {
        var c = WithSmoothV(RandomAttentionCase.From(seed, maxLength: 160));
        var fast = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var model = new EmulatedAttention(PvModelSet.Measured(allowFastPath: false)).Run(c.Problem, c.Q, c.K, c.V, c.Options);
        EmulatorInvariantTests.AssertBitwiseEqual(fast, model, c.ToString());
    }

    [Property(MaxTest = 20)]
    public void TraceShowsTheChunkedValueMeanAndQuantisesTheSmoothedValues(int seed)
    {
        var c = WithSmoothV(RandomAttentionCase.From(seed, maxLength: 300));
        var shape = c.Problem.Shape;
        var rnd = new Random(seed ^ 0x3c3c);
        var sel = new TraceSelection(rnd.Next(shape.Batch), rnd.Next(shape.QueryHeads),
            rnd.Next(KernelTiling.TileCount(shape.QueryLength, KernelTiling.QueryTileRows)));
        var options = c.Options with { OutputType = ElementType.Float32 };
        var t = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, options, sel);
        int d = shape.HeadDim, n = shape.KeyLength;
        var v = StageBoundTests.Rows(c.V, c.Problem, shape.KeyValueHeads, n, sel.Batch, sel.QueryHead / shape.GroupSize);

        // The mean, summed independently in the spec's order: 128-token chunks ascending, then the chunk sums.
        Assert.Equal(d, t.ValueMean.Length);
        for (int ch = 0; ch < d; ch++)
        {
            float total = 0f;
            for (int start = 0; start < n; start += 128)
            {
                float chunk = 0f;
                for (int tok = start; tok < Math.Min(n, start + 128); tok++) chunk += v[tok * d + ch];
                total += chunk;
            }
            float mean = total / n;
            Assert.True(BitConverter.SingleToUInt32Bits(mean) == BitConverter.SingleToUInt32Bits(t.ValueMean[ch]),
                $"{c}: mean[{ch}] {t.ValueMean[ch]:R}, expected {mean:R}");
        }

        // VQuantization reads Ṽ = V ⊖ mean: E4M3 round-to-nearest bounds against Ṽ, as in StageBoundTests.
        int padded = t.ValueCodesTransposed.Length / d;
        for (int j = 0; j < n; j++)
        for (int ch = 0; ch < d; ch++)
        {
            float scale = t.ValueScales[ch];
            double decoded = Fp8E4M3.Decode(t.ValueCodesTransposed[ch * padded + j]) * (double)scale;
            double x = v[j * d + ch] - t.ValueMean[ch];
            Assert.True(Math.Abs(x - decoded) <= Math.Max(Math.Abs(x) / 16, scale / 1024.0) * 1.000001, $"{c}: Ṽ[{j},{ch}] {x} vs {decoded}");
        }

        // The traced output is the run's output (the trace reproduces its tile with SmoothV too).
        var run = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, options).Output.Single;
        for (int r = 0; r < t.Rows; r++)
        {
            long at = TraceChecks.OutputOffset(c.Problem, sel, r);
            for (int ch = 0; ch < d; ch++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(run[(int)(at + ch)]), BitConverter.SingleToUInt32Bits(t.Output[r * d + ch]));
        }
    }

    [Fact]
    public void WithoutValueSmoothingTheTracedMeanIsZero()
    {
        var c = RandomAttentionCase.From(7);
        var t = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, c.Options with { SmoothV = false }, new TraceSelection(0, 0, 0));
        Assert.Equal(c.Problem.Shape.HeadDim, t.ValueMean.Length);
        Assert.All(t.ValueMean, m => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(m)));
    }

    [Theory]
    [InlineData(PvAccumulation.Fp16TwoLevel, ElementType.Float32)]
    [InlineData(PvAccumulation.Fp32TwoLevel, ElementType.Float32)]
    [InlineData(PvAccumulation.Fp32, ElementType.Float32)]
    [InlineData(PvAccumulation.Fp16TwoLevel, ElementType.Float16)]
    [InlineData(PvAccumulation.Fp16TwoLevel, ElementType.BFloat16)]
    public void ConstantValuesPerChannelComeBackExactlyAndRowsWithoutKeysStayZero(PvAccumulation mode, ElementType outputType)
    {
        // V[t,c] = c_c with c_c = (c − 20)·0.375: sums of up to 300 copies are exact in fp32, so mean_c = c_c exactly,
        // Ṽ = 0, v_scale = 0, o = (±0) ⊕ c_c = c_c, and c_c is exact in FP16 and BF16. Causal with Nq > Nk: the first
        // Nq − Nk rows see no key and must stay +0, not c_c.
        const int nq = 300, nk = 170, d = 64;
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, nq, nk, d), causal: true, returnLse: true);
        var rnd = new Random(11);
        var q = new float[2 * nq * d];
        var k = new float[nk * d];
        var v = new float[nk * d];
        for (int i = 0; i < q.Length; i++) q[i] = (float)(rnd.NextDouble() * 2 - 1);
        for (int i = 0; i < k.Length; i++) k[i] = (float)(rnd.NextDouble() * 2 - 1);
        for (int i = 0; i < v.Length; i++) v[i] = (i % d - 20) * 0.375f;
        var options = new SageOptions { SmoothV = true, PvAccumulation = mode, OutputType = outputType };
        var result = RandomAttentionCase.Emulator.Run(problem, HostTensor.FromSingle(q, 1, 2, nq, d),
            HostTensor.FromSingle(k, 1, 1, nk, d), HostTensor.FromSingle(v, 1, 1, nk, d), options);
        var o = result.Output.ToSingleArray();
        for (int h = 0; h < 2; h++)
        for (int r = 0; r < nq; r++)
        for (int c = 0; c < d; c++)
        {
            float got = o[(h * nq + r) * d + c];
            float expected = problem.LastVisibleKey(r) >= 0 ? (c - 20) * 0.375f : 0f;
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got),
                $"{options} head {h} row {r} channel {c}: {got:R}, expected {expected:R}");
        }
    }
}
