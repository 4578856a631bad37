using Sage.Emulation;
using Sage.Emulation.Tracing;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>Checks shared by the emulator's property tests that compare a trace with the run it traces.</summary>
internal static class TraceChecks
{
    /// <summary>A query tile of <paramref name="c"/> picked by <paramref name="seed"/>: batch, query head, tile.</summary>
    public static TraceSelection Selection(RandomAttentionCase c, int seed)
    {
        var shape = c.Problem.Shape;
        var rnd = new Random(seed);
        return new TraceSelection(rnd.Next(shape.Batch), rnd.Next(shape.QueryHeads),
            rnd.Next(KernelTiling.TileCount(shape.QueryLength, KernelTiling.QueryTileRows)));
    }

    /// <summary>Where row <paramref name="r"/> of the traced tile starts in the run's output (HND or NHD).</summary>
    public static long OutputOffset(AttentionProblem problem, TraceSelection sel, int r)
    {
        var shape = problem.Shape;
        int row = sel.QueryTile * KernelTiling.QueryTileRows + r;
        return problem.Layout == TensorLayout.HND
            ? (((long)sel.Batch * shape.QueryHeads + sel.QueryHead) * shape.QueryLength + row) * shape.HeadDim
            : (((long)sel.Batch * shape.QueryLength + row) * shape.QueryHeads + sel.QueryHead) * shape.HeadDim;
    }

    /// <summary>
    /// The traced tile's output and LSE bits equal the full run's rows (FP32 output, so that no output rounding hides a
    /// difference): the traced softmax path (arguments and codes kept) and the untraced one compute the same.
    /// </summary>
    public static void AssertTraceReproducesRun(RandomAttentionCase c, int seed)
    {
        var options = c.Options with { OutputType = ElementType.Float32 };
        var run = RandomAttentionCase.Emulator.Run(c.Problem, c.Q, c.K, c.V, options);
        var shape = c.Problem.Shape;
        var sel = Selection(c, seed);
        var trace = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, options, sel);
        var o = run.Output.Single;
        int d = shape.HeadDim;
        for (int r = 0; r < trace.Rows; r++)
        {
            int row = sel.QueryTile * KernelTiling.QueryTileRows + r;
            long at = OutputOffset(c.Problem, sel, r);
            for (int ch = 0; ch < d; ch++)
                Assert.True(BitConverter.SingleToUInt32Bits(o[(int)(at + ch)]) == BitConverter.SingleToUInt32Bits(trace.Output[r * d + ch]),
                    $"{c}: row {row} channel {ch}: run {o[(int)(at + ch)]:R}, trace {trace.Output[r * d + ch]:R}");
            Assert.Equal(run.Lse![((long)sel.Batch * shape.QueryHeads + sel.QueryHead) * shape.QueryLength + row], trace.Lse[r]);
        }
    }
}
