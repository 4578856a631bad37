using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Softmax;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The emulator under <see cref="PEncoding.LogLinear"/> (docs/kernel-spec.md §7.8): its trace reproduces the run of its
/// tile (the traced and the untraced softmax paths agree), its fast PV paths equal the tensor-core model, everything
/// before the codes (S, tile maxima, rescale, base) is the Exp2 run's bit for bit and the codes are the stage's codes of
/// the traced z, within one step of Exp2's where those are E4M3 normals; outputs are finite, and close to the float64
/// reference, about as close as Exp2's.
/// </summary>
public class LogLinearEmulatorTests
{
    /// <summary>
    /// <see cref="RandomAttentionCase.From"/> under LogLinear, over its whole range of magnitudes (up to 10^6): with the
    /// base rounded toward +∞ (§7 step 4') the bound of §7.8 holds on both rules however large the scores.
    /// </summary>
    private static RandomAttentionCase Case(int seed, int maxLength = 300)
    {
        var c = RandomAttentionCase.From(seed, maxLength);
        return c with { Options = c.Options with { PEncoding = PEncoding.LogLinear } };
    }

    [Property(MaxTest = 30)]
    public void TraceReproducesTheRunOfItsTile(int seed)
    {
        TraceChecks.AssertTraceReproducesRun(Case(seed), seed);
    }

    [Property(MaxTest = 20)]
    public void VectorisedPvPathEqualsTheTensorCoreModel(int seed)
    {
        var c = Case(seed, maxLength: 160);
        var fast = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var model = new EmulatedAttention(PvModelSet.Measured(allowFastPath: false)).Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var (a, b) = (fast.Output.ToSingleArray(), model.Output.ToSingleArray());
        for (long i = 0; i < a.LongLength; i++)
            Assert.True(BitConverter.SingleToUInt32Bits(a[i]) == BitConverter.SingleToUInt32Bits(b[i]), $"{c}: output[{i}]: fast {a[i]:R}, model {b[i]:R}");
        for (int i = 0; i < fast.Lse!.Length; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(fast.Lse[i]), BitConverter.SingleToUInt32Bits(model.Lse![i]));
    }

    [Property(MaxTest = 30)]
    public void OnlyTheCodesDifferFromExp2AndTheyAreWithinOneStepWhereExp2IsNormal(int seed)
    {
        var c = Case(seed);
        var sel = TraceChecks.Selection(c, seed);
        var t = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, c.Options, sel);
        var e = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, c.Options with { PEncoding = PEncoding.Exp2 }, sel);
        Assert.Equal(e.KeyTiles.Count, t.KeyTiles.Count);
        for (int kt = 0; kt < t.KeyTiles.Count; kt++)
        {
            var (l, x) = (t.KeyTiles[kt], e.KeyTiles[kt]);
            Assert.Equal(x.Scores.Select(Bits), l.Scores.Select(Bits));
            Assert.Equal(x.NewMax.Select(Bits), l.NewMax.Select(Bits));
            Assert.Equal(x.Rescale.Select(Bits), l.Rescale.Select(Bits));
            // The base: Exp2's rounds to nearest, LogLinear's toward +∞ (§7 step 4').
            Assert.Equal(x.NewMax.Select(m => Bits(float.IsNegativeInfinity(m) ? 0f : OnlineSoftmax.BaseRoundedUp(m))), l.Base.Select(Bits));
            for (int i = 0; i < l.ProbabilityCodes.Length; i++)
            {
                byte code = l.ProbabilityCodes[i], exp2Code = x.ProbabilityCodes[i];
                float z = l.ExponentArguments[i];
                string what = $"{c}: tile {kt} [{i / 128}, {i % 128}]: LogLinear {code} (z = {z}), Exp2 {exp2Code} (x = {x.ExponentArguments[i]}, base {l.Base[i / 128]})";
                Assert.True(code == Sage.Emulation.Softmax.LogLinearCodes.Code(z), what);
                Assert.Equal(BitConverter.SingleToUInt32Bits(Fp8E4M3.Decode(code)), BitConverter.SingleToUInt32Bits(l.Probabilities[i]));
                Assert.True(code <= 126, what);
                // Where the row maximum's float grid is fine (|m| < 2^19) the two bases are within 2^−5 of each other and the
                // codes within a step; beyond, the bases may sit a whole grid step apart (Exp2's x = 9 saturates to 448,
                // LogLinear's x = 8.5 codes 124), and only the bound above holds.
                if (!(Math.Abs(l.NewMax[i / 128]) < 1 << 19)) continue;
                if (exp2Code >= 8) Assert.True(Math.Abs(code - exp2Code) <= 1, what);
                else Assert.True(exp2Code - code is >= 0 and <= 4, what);
            }
        }
    }

    [Property(MaxTest = 60)]
    public void OutputsAreFiniteForFiniteInputs(int seed)
    {
        var c = Case(seed);
        var result = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options);
        var o = result.Output.ToSingleArray();
        for (long i = 0; i < o.LongLength; i++)
            Assert.True(float.IsFinite(o[i]), $"{c}: output[{i}] = {o[i]}");
    }

    /// <summary>
    /// 100 problems over the whole input range of RandomAttentionCase (magnitudes up to 10^6). With the base rounded to
    /// nearest, as Exp2 forms it, this failed: on the two-step rule a row maximum m with |m| in [2^22, 2^24) got
    /// x = m ⊖ (m ⊖ log2 448) = 9, z = 127.5, code 0x80 (E4M3 −0), and with |m| in [2^27, 2^28) x = 16, code 0xB8 (−1),
    /// so that a row sum went negative (seed 38: l = −1). Rounded toward +∞, m − base ≤ log2 448 and codes stay ≤ 126.
    /// </summary>
    [Fact]
    public void OutputsAreFiniteOverTheWholeInputDomain()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var c0 = RandomAttentionCase.From(seed);
            var c = c0 with { Options = c0.Options with { PEncoding = PEncoding.LogLinear } };
            var o = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, c.Options).Output.ToSingleArray();
            for (long i = 0; i < o.LongLength; i++)
                Assert.True(float.IsFinite(o[i]), $"{c}: output[{i}] = {o[i]}");
        }
    }

    /// <summary>
    /// A Gaussian problem (B = 1, 2 heads, N = 384, d = 128, causal and not) in every PV mode: cosine ≥ 0.999 against
    /// float64, and a relative L1 at most 1.2 times the Exp2 encoding's.
    /// </summary>
    [Theory]
    [InlineData(PvAccumulation.Fp16TwoLevel, false)]
    [InlineData(PvAccumulation.Fp32TwoLevel, false)]
    [InlineData(PvAccumulation.Fp32, true)]
    public void OutputsAreCloseToTheReferenceAndToExp2sError(PvAccumulation mode, bool causal)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 384, 384, 128), TensorLayout.HND, causal);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, seed: 5);
        var expected = new ReferenceAttention().Compute(problem, inputs.Q, inputs.K, inputs.V);
        var options = new SageOptions { PvAccumulation = mode, OutputType = ElementType.Float32 };
        var logLinear = AccuracyMetrics.Compare(expected,
            RandomAttentionCase.Emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options with { PEncoding = PEncoding.LogLinear }).Output);
        var exp2 = AccuracyMetrics.Compare(expected, RandomAttentionCase.Emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options).Output);
        string report = $"{mode} causal={causal}: LogLinear {logLinear}, Exp2 {exp2}";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(logLinear.AllFinite && logLinear.CosineSimilarity >= 0.999, report);
        Assert.True(logLinear.RelativeL1 <= 1.2 * exp2.RelativeL1, report);
    }

    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);
}
