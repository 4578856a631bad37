using System.Text.RegularExpressions;

namespace Sage.Cuda;

/// <summary>
/// Macros for probing variants of the main loop's schedule without restaging: items <c>SAGE_NAME[=VALUE]</c>, separated
/// by spaces or commas, become NVRTC options <c>-DSAGE_NAME[=VALUE]</c>. <see cref="CudaAttention"/> compiles both
/// main-loop programs with those of <see cref="EnvironmentVariable"/>; `sage kernels --define` shows ptxas's allocation
/// for them. Only the kernels' schedule macros are meant (SAGE_CAUSAL_TAIL, SAGE_TAIL_SMS, ...: where work runs, never
/// what it computes); the bit-exact suite is the judge of any other. Names must start with SAGE_, so that a variable
/// left over from another tool cannot reach the compiler. GpuPreprocessor reads the same syntax from
/// <see cref="Preprocessing.GpuPreprocessor.DefinesEnvironmentVariable"/> for the fused pre-processing.
/// </summary>
public static partial class KernelDefines
{
    /// <summary>The environment variable <see cref="CudaAttention"/> reads at construction.</summary>
    public const string EnvironmentVariable = "SAGE_KERNEL_DEFINES";

    [GeneratedRegex("^SAGE_[A-Z0-9_]+(=[A-Za-z0-9_.+-]+)?$")]
    private static partial Regex Item();

    /// <summary>
    /// The NVRTC options for <paramref name="text"/> (empty for null or blank). Throws <see cref="ArgumentException"/> with
    /// <see cref="Refusal"/>'s message.
    /// </summary>
    public static IReadOnlyList<string> Parse(string? text, string source)
    {
        if (Refusal(text, source) is { } refusal) throw new ArgumentException(refusal, nameof(text));
        return [.. Items(text).Select(item => "-D" + item)];
    }

    /// <summary>
    /// Why <paramref name="text"/> is refused, naming <paramref name="source"/> (the variable or option it came from) and
    /// the first item that is not a kernel macro; null when every item is one.
    /// </summary>
    public static string? Refusal(string? text, string source) =>
        Items(text).FirstOrDefault(item => !Item().IsMatch(item)) is { } bad
            ? $"{source}: '{bad}' is not a kernel macro; expected SAGE_NAME or SAGE_NAME=VALUE (upper-case name after SAGE_, value of letters, digits and _.+-)."
            : null;

    /// <summary>
    /// <paramref name="text"/> with <paramref name="item"/> (SAGE_NAME[=VALUE]) added, unless an item of the same name is
    /// already there (the caller's value wins): how a tool adds a probe's macro to what the user set.
    /// </summary>
    public static string With(string? text, string item)
    {
        ArgumentException.ThrowIfNullOrEmpty(item);
        static string Name(string i) => i.Split('=', 2)[0];
        var items = Items(text);
        return items.Any(i => Name(i) == Name(item)) ? text! : string.Join(' ', [.. items, item]);
    }

    private static string[] Items(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The options of <see cref="EnvironmentVariable"/>.</summary>
    public static IReadOnlyList<string> FromEnvironment() =>
        Parse(Environment.GetEnvironmentVariable(EnvironmentVariable), EnvironmentVariable);
}
