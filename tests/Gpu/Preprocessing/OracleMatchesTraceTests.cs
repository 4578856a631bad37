using Sage.Cuda.Preprocessing;
using Sage.Emulation;
using Sage.Emulation.Tracing;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// CPU only (runs without a GPU): the test oracle, which calls the emulator's pre-processing stages over every
/// head, gives exactly what EmulatedAttention.Trace records for the traced head and tile, so the GPU tests
/// compare against the emulator itself, not against a copy of it.
/// </summary>
public sealed class OracleMatchesTraceTests
{
    public static TheoryData<int> CaseIndices => new(Enumerable.Range(0, PreprocessCase.All.Count)
        .Where(i => PreprocessCase.All[i].KeyLength is > 0 and <= 400));

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Oracle_equals_the_emulator_trace(int caseIndex)
    {
        var c = PreprocessCase.All[caseIndex];
        var problem = c.Problem;
        var options = c.Options;
        var (q, k, v) = c.Inputs();
        var oracle = PreprocessingOracle.Compute(problem, options, q, k, v);
        var s = problem.Shape;
        int d = s.HeadDim;
        int tiles = (s.QueryLength + 127) / 128;
        var selection = new TraceSelection(s.Batch - 1, s.QueryHeads - 1, tiles - 1);
        var trace = new EmulatedAttention().Trace(problem, q, k, v, options, selection);

        int bhq = selection.Batch * s.QueryHeads + selection.QueryHead;
        int bhk = selection.Batch * s.KeyValueHeads + selection.QueryHead / s.GroupSize;
        int padQ = PreprocessLayout.PaddedQueryLength(s.QueryLength), padK = PreprocessLayout.PaddedKeyLength(s.KeyLength);
        int q0 = selection.QueryTile * 128;
        var cmp = new StageComparison(c.ToString());

        cmp.Values("QuantizedQ", trace.QuantizedQ, oracle.Q.AsSpan(bhq * padQ * d + q0 * d, 128 * d), 128 * d, ("row", 128), ("c", d));
        int qGroups = PreprocessLayout.QueryGroups(options.Granularity, s.QueryLength);
        var perRow = new float[128];
        for (int r = 0; r < 128; r++)
        {
            int g = PreprocessLayout.QueryGroupOf(options.Granularity, q0 + r);
            perRow[r] = g < qGroups ? oracle.QScales[bhq * qGroups + g] : 0f; // groups past the array hold only padding
        }
        cmp.Floats("QueryScalePerRow", trace.QueryScalePerRow, perRow, ("row", 128));
        if (options.SmoothQ)
        {
            int blocks = PreprocessLayout.QueryBlocks(s.QueryLength);
            var means = new float[2 * d];
            for (int b = 0; b < 2; b++)
                if (2 * selection.QueryTile + b < blocks)
                    Array.Copy(oracle.QMeans, (bhq * blocks + 2 * selection.QueryTile + b) * d, means, b * d, d);
            cmp.Floats("QueryMean", trace.QueryMean, means, ("block", 2), ("c", d));
        }
        cmp.Floats("KeyMean", trace.KeyMean, oracle.KMean.AsSpan(bhk * d, d), ("c", d));
        cmp.Values("QuantizedK", trace.QuantizedK, oracle.K.AsSpan(bhk * padK * d, padK * d), padK * d, ("token", padK), ("c", d));
        int kGroups = PreprocessLayout.KeyGroupsPerTile(options.Granularity) * PreprocessLayout.KeyTiles(s.KeyLength);
        cmp.Floats("KeyGroupScales", trace.KeyGroupScales, oracle.KScales.AsSpan(bhk * kGroups, kGroups), ("group", kGroups));
        cmp.Floats("ValueScales", trace.ValueScales, oracle.VScales.AsSpan(bhk * d, d), ("c", d));
        cmp.Codes("ValueCodesTransposed", trace.ValueCodesTransposed, oracle.VCodes.AsSpan(bhk * d * padK, d * padK), ("c", d), ("token", padK));
        if (options.SmoothV) cmp.Floats("ValueMean", trace.ValueMean, oracle.VMean.AsSpan(bhk * d, d), ("c", d));
        if (options.SmoothQ)
        {
            // ΔS of the traced tile's two 64-row blocks for each visited K tile, against the oracle's [bhq, block, padK] rows.
            int blocks = padQ / 64;
            foreach (var tile in trace.KeyTiles)
            {
                var expected = new float[2 * 128];
                for (int b = 0; b < 2; b++)
                    Array.Copy(oracle.DeltaS, ((long)bhq * blocks + 2 * selection.QueryTile + b) * padK + tile.KeyTile * 128, expected, b * 128, 128);
                cmp.Floats($"DeltaS (K tile {tile.KeyTile})", tile.DeltaS, expected, ("block", 2), ("token", 128));
            }
        }
        cmp.ThrowIfAny();
    }
}
