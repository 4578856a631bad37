using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// Host-side rules of launch 3 as a ring (GpuPreprocessor.CodesSchedule.Ring, preprocess_codes_ring.cuh) that need no GPU:
/// the switch, where the ring applies, and that its stages fit the shared memory of one CTA per SM. The GPU class
/// RingCodesTests checks its bytes.
/// </summary>
public class RingCodesSwitchTests
{
    [Theory]
    [InlineData(null, "Ring")]
    [InlineData("", "Ring")]
    [InlineData("ring", "Ring")]
    [InlineData("per-tile", "PerTile")]
    public void Codes_switch(string? value, string expected) => Assert.Equal(expected, GpuPreprocessor.CodesSelected(value).ToString());

    [Fact]
    public void Unknown_codes_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.CodesSelected("pipelined"));
        Assert.Contains(GpuPreprocessor.CodesEnvironmentVariable, e.Message);
        Assert.Contains("pipelined", e.Message);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("40", 40)]
    public void Ring_cta_cap(string? value, int? expected) => Assert.Equal(expected, GpuPreprocessor.RingCtasSelected(value));

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    public void Ring_cta_cap_refuses_what_is_not_a_positive_count(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.RingCtasSelected(value));
        Assert.Contains(GpuPreprocessor.RingCtasEnvironmentVariable, e.Message);
        Assert.Contains(value, e.Message);
    }

    private static readonly DeviceTensor Aligned = new(0x10000, 1, ElementType.Float16);

    private static AttentionProblem Problem(int batch, int heads, int length, TensorLayout layout = TensorLayout.HND) =>
        new(new AttentionShape(batch, heads, heads, length, length, 128), layout, causal: false);

    [Fact]
    public void Ring_applies_to_one_pass_values()
    {
        var p = Problem(4, 32, 2048);
        Assert.True(GpuPreprocessor.RingCodesApply(p, new SageOptions(), Aligned, Aligned, onePassValues: true));
        Assert.False(GpuPreprocessor.RingCodesApply(p, new SageOptions(), Aligned, Aligned, onePassValues: false));
    }

    [Fact]
    public void Ring_refuses_what_its_boxes_cannot_copy()
    {
        var options = new SageOptions();
        Assert.False(GpuPreprocessor.RingCodesApply(Problem(1, 1, 255), options, Aligned, Aligned, true));                    // fewer rows than a box
        Assert.True(GpuPreprocessor.RingCodesApply(Problem(1, 1, 256), options, Aligned, Aligned, true));
        // NHD: the boxes run along B·Nk tokens of one head (a rank-3 map), so the heads do not count towards the 256.
        Assert.True(GpuPreprocessor.RingCodesApply(Problem(4, 32, 2048, TensorLayout.NHD), options, Aligned, Aligned, true));
        Assert.False(GpuPreprocessor.RingCodesApply(Problem(2, 32, 100, TensorLayout.NHD), options, Aligned, Aligned, true));
        Assert.True(GpuPreprocessor.RingCodesApply(Problem(2, 32, 128, TensorLayout.NHD), options, Aligned, Aligned, true));
        var misaligned = Aligned with { Pointer = 0x10008 };
        Assert.False(GpuPreprocessor.RingCodesApply(Problem(4, 32, 2048), options, misaligned, Aligned, true));
        Assert.False(GpuPreprocessor.RingCodesApply(Problem(4, 32, 2048), options, Aligned, misaligned, true));
        Assert.False(GpuPreprocessor.RingCodesApply(Problem(4, 32, 2048), new SageOptions { SmoothQ = true }, Aligned, Aligned, true));
    }

    [Fact]
    public void Ring_stages_leave_one_cta_per_sm_within_the_opt_in_limit()
    {
        // 227 KiB (232,448 bytes) is Hopper's opt-in limit per block, static shared memory included. The static part is
        // the barriers and, per team, the arrays quantize_kv_ring declares: 3 × 4 key group maxima (48 bytes), a V maximum
        // per warp and channel (32 bytes a warp), 8 V brackets (128) and the Q slots (1,024). The driver read 6,144, 7,168
        // and 8,192 bytes in all at four, five and six teams of 128 threads (its refusal of seven stages, session 50): at
        // most 2 KiB besides the teams' arrays.
        var ring = GpuPreprocessor.RingShape.Default;
        int teamArrays = ring.Teams * (48 + 32 * (ring.TeamThreads / 32) + 128 + 1024);
        Assert.True(ring.SharedMemoryBytes + 2048 + teamArrays <= 232448);
        Assert.False(new GpuPreprocessor.RingShape(ring.Stages + 1, ring.Teams, ring.TeamThreads).SharedMemoryBytes + teamArrays <= 232448);
        Assert.True(ring.SharedMemoryBytes > 228 * 1024 / 2); // never two ring CTAs on one SM
        Assert.Equal(2048 * 16, GpuPreprocessor.RingStageBytes); // a V item: every token of 8 channels
        Assert.Equal(3 * 256 + 32, ring.Threads);               // three teams of 256 and the producer warp
        // Registers: 72 a thread at three teams of 256 (`sage kernels`, session 51), 800 threads in 65,536.
        Assert.True(ring.Threads * 72 <= 65536);
    }

    [Fact]
    public void Ring_shape_default_is_the_kernels_default()
    {
        // The host sizes the launch (threads, shared memory) from RingShape; the kernel from its macros' defaults.
        var source = KernelSource.FromEmbedded(typeof(GpuPreprocessor).Assembly, "Sage.Cuda.Kernels.Preprocess.preprocess_fused.cu");
        string ring = source.Headers.First(h => h.IncludeName.EndsWith("preprocess_codes_ring.cuh", StringComparison.Ordinal)).Code;
        int Macro(string name) => int.Parse(System.Text.RegularExpressions.Regex.Match(ring, $@"#define {name} (\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(GpuPreprocessor.RingShape.Default, new GpuPreprocessor.RingShape(Macro("SAGE_RING_STAGES"), Macro("SAGE_RING_TEAMS"),
            Macro("SAGE_RING_TEAM_THREADS")));
    }

    [Fact]
    public void Ring_shape_follows_the_schedule_macros()
    {
        Assert.Equal(GpuPreprocessor.RingShape.Default, GpuPreprocessor.RingShape.Of([]));
        Assert.Equal(GpuPreprocessor.RingShape.Default, GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_ONEPASS_MIN_BLOCKS_D128=4", "test")));
        var shape = GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_STAGES=7,SAGE_RING_TEAMS=2", "test"));
        Assert.Equal(new GpuPreprocessor.RingShape(7, 2, 256), shape);
        Assert.Equal(2 * 256 + 32, shape.Threads);
        Assert.Equal(7 * 32768, shape.SharedMemoryBytes);
        var narrow = GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_TEAMS=5,SAGE_RING_TEAM_THREADS=128", "test"));
        Assert.Equal(new GpuPreprocessor.RingShape(6, 5, 128), narrow);
        Assert.Equal(5 * 128 + 32, narrow.Threads);
    }

    [Fact]
    public void Ring_shape_refuses_a_count_that_is_not_a_number()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_TEAMS=four", "test")));
        Assert.Contains(GpuPreprocessor.DefinesEnvironmentVariable, e.Message);
        Assert.Contains("SAGE_RING_TEAMS=four", e.Message);
    }

    [Fact]
    public void Ring_shape_refuses_more_threads_than_a_block_holds()
    {
        // Four teams of 256 and the producer warp: 1,056 threads, which cuLaunchKernelEx refuses as an invalid value.
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_TEAMS=4", "test")));
        Assert.Contains(GpuPreprocessor.DefinesEnvironmentVariable, e.Message);
        Assert.Contains("1056 threads", e.Message);
        Assert.Equal(3 * 256 + 32, GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_TEAMS=3", "test")).Threads);
    }
}
