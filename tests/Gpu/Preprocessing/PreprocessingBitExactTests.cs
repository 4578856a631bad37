using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The GPU pre-processing kernels against the emulator's stages, every output byte and every scale's bits:
/// KSmoothing (mean, K̃), QSmoothing (block means, ΔS), QkQuantization (Q and K values and scales), VSmoothing
/// (channel means) and VQuantization (codes and v_scale), over <see cref="PreprocessCase.All"/>. Zero mismatches allowed.
/// </summary>
public sealed class PreprocessingBitExactTests(ITestOutputHelper output)
{
    /// <summary>Every case on every launch path (the fused three launches and the per-stage kernels).</summary>
    public static TheoryData<int, PreprocessPath> CasesAndPaths
    {
        get
        {
            var data = new TheoryData<int, PreprocessPath>();
            foreach (var path in Enum.GetValues<PreprocessPath>())
                for (int i = 0; i < PreprocessCase.All.Count; i++) data.Add(i, path);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CasesAndPaths))]
    public void Gpu_preprocessing_matches_the_emulator_stages_bit_for_bit(int caseIndex, PreprocessPath path)
    {
        var c = PreprocessCase.All[caseIndex];
        using var context = PreprocessingGpu.ContextOrSkip();
        var problem = c.Problem;
        var options = c.Options;
        var (q, k, v) = c.Inputs();
        var expected = PreprocessingOracle.Compute(problem, options, q, k, v);

        using var preprocessor = new GpuPreprocessor(context, path: path);
        using var gpu = preprocessor.Preprocess(problem, options, q, k, v);

        var s = problem.Shape;
        int d = s.HeadDim, bhq = s.Batch * s.QueryHeads, bhk = s.Batch * s.KeyValueHeads;
        bool int4 = options.QkFormat == QkFormat.Int4;
        var cmp = new StageComparison(c.ToString());
        (string, int) Bh(int n) => ("bh", n);

        var queries = gpu.Queries ?? throw new InvalidOperationException("Preprocess with quantizeQueries left Q out.");
        var qBytes = queries.Values.ToArray();
        cmp.Values("QkQuantization: quantised Q", expected.Q, int4 ? PreprocessingGpu.UnpackInt4(qBytes) : qBytes, qBytes.Length,
            Bh(bhq), ("row", queries.PaddedLength), ("c", d));
        cmp.Floats("QkQuantization: q_scale (LOG2E_SCALE folded)", expected.QScales, queries.Scales.ToArray(),
            Bh(bhq), ("group", queries.GroupCount));
        if (options.SmoothQ)
            cmp.Floats("QSmoothing: block mean", expected.QMeans, queries.Means!.ToArray(),
                Bh(bhq), ("block", PreprocessLayout.QueryBlocks(s.QueryLength)), ("c", d));

        cmp.Floats("KSmoothing: channel mean", expected.KMean, gpu.Keys.Mean.ToArray(), Bh(bhk), ("c", d));
        if (options.SmoothQ)
            cmp.Floats("KSmoothing: K̃ (fp32, for ΔS)", expected.KSmoothed, gpu.Keys.Smoothed!.ToArray(),
                Bh(bhk), ("token", Math.Max(1, s.KeyLength)), ("c", d));
        var kBytes = gpu.Keys.Values.ToArray();
        cmp.Values("QkQuantization: quantised K", expected.K, int4 ? PreprocessingGpu.UnpackInt4(kBytes) : kBytes, kBytes.Length,
            Bh(bhk), ("token", Math.Max(1, gpu.Keys.PaddedLength)), ("c", d));
        cmp.Floats("QkQuantization: k_scale", expected.KScales, gpu.Keys.Scales.ToArray(),
            Bh(bhk), ("tile", Math.Max(1, gpu.Keys.Tiles)), ("group", PreprocessLayout.KeyGroupsPerTile(options.Granularity)));

        // Stored with tokens permuted inside 16-token groups (PreprocessLayout.ValueCodePosition); compared in token order.
        cmp.Codes("VQuantization: E4M3 codes", expected.VCodes,
            PreprocessLayout.ValueCodesInTokenOrder(gpu.Values.Codes.ToArray(), gpu.Values.PaddedLength),
            Bh(bhk), ("c", d), ("token", Math.Max(1, gpu.Values.PaddedLength)));
        cmp.Floats("VQuantization: v_scale", expected.VScales, gpu.Values.Scales.ToArray(), Bh(bhk), ("c", d));
        if (options.SmoothV)
            cmp.Floats("VSmoothing: channel mean", expected.VMean, gpu.Values.Mean!.ToArray(), Bh(bhk), ("c", d));
        if (options.SmoothQ)
            cmp.Floats("QSmoothing: ΔS (log2 units)", expected.DeltaS, gpu.DeltaS!.ToArray(),
                Bh(bhq), ("block", queries.PaddedLength / 64), ("token", Math.Max(1, gpu.Keys.PaddedLength)));

        string line = $"{c} [{path}]: {cmp.BytesCompared} bytes compared, {cmp.Mismatches} mismatches ({context.Device.Name})";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        cmp.ThrowIfAny();
        // Not vacuous: nonzero values wherever the stage has data. (A single row or token minus its own mean is
        // exactly 0, so smoothing a length-1 sequence legitimately quantises to all zeros; V smoothing likewise.)
        if (s.QueryLength > (options.SmoothQ ? 1 : 0)) Assert.Contains(qBytes, b => b != 0);
        if (s.KeyLength > (options.SmoothK ? 1 : 0)) Assert.Contains(kBytes, b => b != 0);
        if (s.KeyLength > (options.SmoothV ? 1 : 0)) Assert.Contains(expected.VCodes, b => b != 0);
    }

    [Fact]
    public void Every_preprocessing_kernel_compiles_without_fast_math()
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        foreach (string resource in GpuPreprocessor.KernelResources)
        {
            var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, resource);
            using var module = new KernelCompiler(cache: null).Load(context, source);
            var compiled = module.Compiled!;
            Assert.Contains("--fmad=false", compiled.Options);
            Assert.DoesNotContain(compiled.Options, o => o.Contains("fast", StringComparison.OrdinalIgnoreCase));
            output.WriteLine($"{resource}: {compiled.Image.Length} bytes for {compiled.Architecture}");
            if (compiled.Log.Length > 0) output.WriteLine(compiled.Log);
        }
    }

    [Fact]
    public void Undefined_path_is_rejected_with_its_value()
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GpuPreprocessor(context, path: (PreprocessPath)7));
        Assert.Equal("path", e.ParamName);
        Assert.Contains("ThreeLaunches", e.Message);
    }

    [Fact]
    public void Wrongly_sized_device_tensor_is_rejected_with_its_name()
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 10, 20, 64));
        using var small = DeviceBuffer<float>.Allocate(context, 10);
        var e = Assert.Throws<ArgumentException>(() => preprocessor.QuantizeKeys(problem, SageOptions.Default, DeviceTensor.From(small)));
        Assert.Equal("k", e.ParamName);
        Assert.Contains("1280", e.Message);
    }
}
