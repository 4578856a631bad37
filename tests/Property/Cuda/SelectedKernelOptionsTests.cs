using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The NVRTC options of one kernel's module (SelectedKernels): the schedule macros of SAGE_KERNEL_DEFINES
/// first, then SAGE_KERNEL_ONLY naming the kernel; a name that is not an identifier is refused before it reaches the
/// preprocessor, where it could select nothing or define more than one macro.
/// </summary>
public class SelectedKernelOptionsTests
{
    [Fact]
    public void The_selection_follows_the_schedule_macros() =>
        Assert.Equal(["-DSAGE_CAUSAL_TAIL=0", "-DSAGE_KERNEL_ONLY=sage_attention_d128_fp16_two_level_share"],
            SelectedKernels.OptionsFor("sage_attention_d128_fp16_two_level_share", ["-DSAGE_CAUSAL_TAIL=0"]));

    [Fact]
    public void Without_schedule_macros_the_selection_is_the_only_option() =>
        Assert.Equal(["-DSAGE_KERNEL_ONLY=sage_attention_d64_fp32_mlq"], SelectedKernels.OptionsFor("sage_attention_d64_fp32_mlq", []));

    [Theory]
    [InlineData("sage attention")]
    [InlineData("sage_attention_d128_fp32 -DSAGE_CAUSAL_TAIL=0")]
    [InlineData("x=1")]
    [InlineData("1sage")]
    [InlineData("sage-attention")]
    public void A_name_that_is_not_an_identifier_is_refused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => SelectedKernels.OptionsFor(name, []));
        Assert.Equal("kernelName", e.ParamName);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void An_empty_name_is_refused() =>
        Assert.Equal("kernelName", Assert.ThrowsAny<ArgumentException>(() => SelectedKernels.OptionsFor("", [])).ParamName);
}
