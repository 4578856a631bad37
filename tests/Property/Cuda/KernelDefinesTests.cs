using Sage.Cli.Commands;
using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// SAGE_KERNEL_DEFINES and `sage kernels --define` (KernelDefines): SAGE_ macros become NVRTC -D options in order;
/// anything else is refused with its source and the item named; nothing set means no options.
/// </summary>
public sealed class KernelDefinesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void Nothing_set_gives_no_options(string? text) => Assert.Empty(KernelDefines.Parse(text, "X"));

    [Fact]
    public void Items_become_define_options_in_order()
    {
        Assert.Equal(["-DSAGE_CAUSAL_TAIL=1", "-DSAGE_TAIL_SMS=114", "-DSAGE_FLAG"],
            KernelDefines.Parse("SAGE_CAUSAL_TAIL=1, SAGE_TAIL_SMS=114  SAGE_FLAG", "X"));
    }

    [Theory]
    [InlineData("CAUSAL_TAIL=1")]          // not a SAGE_ name
    [InlineData("SAGE_causal=1")]          // lower case
    [InlineData("SAGE_X=")]                // empty value
    [InlineData("SAGE_X=1;rm")]            // a character outside the value set
    [InlineData("-DSAGE_X=1")]             // an option, not an item
    [InlineData("SAGE_=1")]                // no name after SAGE_
    public void Other_items_are_refused_with_the_source_and_the_item(string item)
    {
        var e = Assert.Throws<ArgumentException>(() => KernelDefines.Parse($"SAGE_OK {item}", "SAGE_KERNEL_DEFINES"));
        Assert.Contains("SAGE_KERNEL_DEFINES", e.Message);
        Assert.Contains($"'{item}'", e.Message);
    }

    [Fact]
    public void Define_options_pass_the_compiler_option_check()
    {
        var options = KernelCompiler.BuildOptions("sm_90a", [], KernelDefines.Parse("SAGE_CAUSAL_TAIL=3", "X"));
        Assert.Equal("-DSAGE_CAUSAL_TAIL=3", options[^1]);
        Assert.Contains("--fmad=false", options);
    }

    [Fact]
    public void Kernels_command_checks_its_defines()
    {
        var bad = new KernelsCommand.Settings { Defines = ["SAGE_A=1", "fast_math"] }.Validate();
        Assert.False(bad.Successful);
        Assert.Contains("--define", bad.Message);
        Assert.Contains("'fast_math'", bad.Message);
        Assert.True(new KernelsCommand.Settings { Defines = ["SAGE_CAUSAL_TAIL=1", "SAGE_TAIL_SMS=114"] }.Validate().Successful);
    }
}
