using Sage.Cli.Commands;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// `sage kernels` options (KernelsCommand.Settings): --sass writes into the --out folder, so it needs one; the filter and the
/// program pattern must be regular expressions and the architecture an sm_ name. Each refusal names the option and the
/// value; a program pattern that matches no program is refused with the programs there are.
/// </summary>
public sealed class KernelsCommandSettingsTests
{
    [Fact]
    public void Sass_needs_an_output_folder()
    {
        var alone = new KernelsCommand.Settings { Sass = true }.Validate();
        Assert.False(alone.Successful);
        Assert.Contains("--out", alone.Message);
        Assert.True(new KernelsCommand.Settings { Sass = true, Output = "sass" }.Validate().Successful);
        Assert.True(new KernelsCommand.Settings { Output = "cubins" }.Validate().Successful);
    }

    [Fact]
    public void Filter_and_architecture_are_checked_with_their_values()
    {
        var filter = new KernelsCommand.Settings { Filter = "d128_(" }.Validate();
        Assert.False(filter.Successful);
        Assert.Contains("--filter 'd128_('", filter.Message);
        var arch = new KernelsCommand.Settings { Architecture = "hopper" }.Validate();
        Assert.False(arch.Successful);
        Assert.Contains("--arch 'hopper'", arch.Message);
        Assert.True(new KernelsCommand.Settings { Filter = "d128_fp16", Architecture = "sm_90a" }.Validate().Successful);
        var program = new KernelsCommand.Settings { Program = "attention_solo[" }.Validate();
        Assert.False(program.Successful);
        Assert.Contains("--program 'attention_solo['", program.Message);
        Assert.True(new KernelsCommand.Settings { Program = "attention_solo_loglinear" }.Validate().Successful);
    }

    private static readonly string[] Programs =
        ["Sage.Cuda.Kernels.Attention.attention_solo.cu", "Sage.Cuda.Kernels.Attention.attention_solo_loglinear.cu", "Sage.Cuda.Kernels.Preprocess.preprocess_fused.cu"];

    [Fact]
    public void Program_pattern_keeps_the_matching_programs_in_order()
    {
        Assert.Equal(Programs, KernelsCommand.SelectPrograms(Programs, null));
        Assert.Equal(Programs[..2], KernelsCommand.SelectPrograms(Programs, "attention_solo"));
        Assert.Equal([Programs[1]], KernelsCommand.SelectPrograms(Programs, "loglinear"));
    }

    [Fact]
    public void Program_pattern_matching_nothing_names_the_programs()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelsCommand.SelectPrograms(Programs, "flash"));
        Assert.Contains("--program 'flash'", e.Message);
        Assert.Contains("preprocess_fused.cu", e.Message);
    }
}
