using Sage.Cli.Commands;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// `sage kernels` options (KernelsCommand.Settings): --sass writes into the --out folder, so it needs one; the filter must
/// be a regular expression and the architecture an sm_ name. Each refusal names the option and the value.
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
    }
}
