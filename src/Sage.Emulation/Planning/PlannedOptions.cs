namespace Sage.Emulation.Planning;

/// <summary>The fields of <see cref="SageOptions"/>, as a plan file stores them.</summary>
/// <remarks><see cref="SmoothV"/> came after format version 1's first files; a file without it reads as false.</remarks>
public sealed record PlannedOptions(QkFormat QkFormat, QuantGranularity Granularity, bool SmoothK, bool SmoothQ,
    PvAccumulation PvAccumulation, ElementType OutputType, bool SmoothV = false)
{
    public static PlannedOptions From(SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.QkFormat, options.Granularity, options.SmoothK, options.SmoothQ, options.PvAccumulation, options.OutputType, options.SmoothV);
    }

    public SageOptions ToSageOptions() => new()
    {
        QkFormat = QkFormat,
        Granularity = Granularity,
        SmoothK = SmoothK,
        SmoothQ = SmoothQ,
        SmoothV = SmoothV,
        PvAccumulation = PvAccumulation,
        OutputType = OutputType,
    };
}
