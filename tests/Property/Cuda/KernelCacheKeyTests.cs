using FsCheck;
using FsCheck.Xunit;
using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>The cache key must change whenever any input that can change the machine code changes.</summary>
public class KernelCacheKeyTests
{
    private static readonly string[] BaseOptions = ["--gpu-architecture=sm_90a", "-std=c++17", "--fmad=false"];

    private static string Key(string source = "abc", string[]? options = null, string arch = "sm_90a", string version = "13.0") =>
        KernelCacheKey.Compute(source, options ?? BaseOptions, arch, version);

    [Fact]
    public void Key_is_64_lower_case_hex_digits_and_deterministic()
    {
        string key = Key();
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, Key());
    }

    [Property]
    public bool Source_hash_changes_the_key(NonNull<string> a, NonNull<string> b) =>
        (a.Get == b.Get) == (Key(source: a.Get) == Key(source: b.Get));

    [Property]
    public bool Architecture_changes_the_key(NonNull<string> a, NonNull<string> b) =>
        (a.Get == b.Get) == (Key(arch: a.Get) == Key(arch: b.Get));

    [Property]
    public bool Nvrtc_version_changes_the_key(NonNull<string> a, NonNull<string> b) =>
        (a.Get == b.Get) == (Key(version: a.Get) == Key(version: b.Get));

    [Property]
    public bool Each_option_changes_the_key(NonNull<string>[] options, PositiveInt index, NonNull<string> replacement)
    {
        string[] original = [.. options.Select(o => o.Get)];
        if (original.Length == 0) return true;
        string[] changed = [.. original];
        int i = index.Get % changed.Length;
        changed[i] = replacement.Get;
        return (original[i] == replacement.Get) == (Key(options: original) == Key(options: changed));
    }

    [Property]
    public bool Adding_an_option_changes_the_key(NonNull<string>[] options, NonNull<string> extra)
    {
        string[] original = [.. options.Select(o => o.Get)];
        return Key(options: original) != Key(options: [.. original, extra.Get]);
    }

    [Fact]
    public void Option_order_matters_because_nvrtc_applies_later_options_last() =>
        Assert.NotEqual(Key(options: ["-DA=1", "-DA=2"]), Key(options: ["-DA=2", "-DA=1"]));

    [Fact]
    public void Field_boundaries_cannot_be_shifted()
    {
        // Length prefixes: moving characters from one field into the next never yields the same key.
        Assert.NotEqual(Key(options: ["ab", "c"]), Key(options: ["a", "bc"]));
        Assert.NotEqual(Key(options: ["", "x"]), Key(options: ["x", ""]));
        Assert.NotEqual(Key(options: []), Key(options: [""]));
        Assert.NotEqual(Key(arch: "sm_90a", version: "13.0"), Key(arch: "sm_90a13", version: ".0"));
        Assert.NotEqual(Key(source: "abc", options: ["d"]), Key(source: "abcd", options: []));
    }
}
