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
        // 227 KiB (232,448 bytes) is Hopper's opt-in limit per block, static shared memory included. The static part
        // (barriers, the teams' group maxima, V scales and Q slots) read 6,144, 7,168 and 8,192 bytes at four, five and six
        // teams (the driver's refusal of seven stages, session 50): 2 KiB and 1 KiB a team.
        var ring = GpuPreprocessor.RingShape.Default;
        Assert.True(ring.SharedMemoryBytes + 2048 + 1024 * ring.Teams <= 232448);
        Assert.False(new GpuPreprocessor.RingShape(ring.Stages + 1, ring.Teams).SharedMemoryBytes + 2048 + 1024 * ring.Teams <= 232448);
        Assert.True(ring.SharedMemoryBytes > 228 * 1024 / 2); // never two ring CTAs on one SM
        Assert.Equal(2048 * 16, GpuPreprocessor.RingStageBytes); // a V item: every token of 8 channels
        Assert.Equal(5 * 128 + 32, ring.Threads);               // five teams of 128 and the producer warp
    }

    [Fact]
    public void Ring_shape_default_is_the_kernels_default()
    {
        // The host sizes the launch (threads, shared memory) from RingShape; the kernel from its macros' defaults.
        var source = KernelSource.FromEmbedded(typeof(GpuPreprocessor).Assembly, "Sage.Cuda.Kernels.Preprocess.preprocess_fused.cu");
        string ring = source.Headers.First(h => h.IncludeName.EndsWith("preprocess_codes_ring.cuh", StringComparison.Ordinal)).Code;
        int Macro(string name) => int.Parse(System.Text.RegularExpressions.Regex.Match(ring, $@"#define {name} (\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(GpuPreprocessor.RingShape.Default, new GpuPreprocessor.RingShape(Macro("SAGE_RING_STAGES"), Macro("SAGE_RING_TEAMS")));
    }

    [Fact]
    public void Ring_shape_follows_the_schedule_macros()
    {
        Assert.Equal(GpuPreprocessor.RingShape.Default, GpuPreprocessor.RingShape.Of([]));
        Assert.Equal(GpuPreprocessor.RingShape.Default, GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_ONEPASS_MIN_BLOCKS_D128=4", "test")));
        var shape = GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_STAGES=7,SAGE_RING_TEAMS=2", "test"));
        Assert.Equal(new GpuPreprocessor.RingShape(7, 2), shape);
        Assert.Equal(2 * 128 + 32, shape.Threads);
        Assert.Equal(7 * 32768, shape.SharedMemoryBytes);
    }

    [Fact]
    public void Ring_shape_refuses_a_count_that_is_not_a_number()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.RingShape.Of(KernelDefines.Parse("SAGE_RING_TEAMS=four", "test")));
        Assert.Contains(GpuPreprocessor.DefinesEnvironmentVariable, e.Message);
        Assert.Contains("SAGE_RING_TEAMS=four", e.Message);
    }
}
