namespace Sage.Emulation.Planning;

/// <summary>The fields of <see cref="SageOptions"/>, as a plan file stores them.</summary>
public sealed record PlannedOptions(QkFormat QkFormat, QuantGranularity Granularity, bool SmoothK, bool SmoothQ,
    PvAccumulation PvAccumulation, ElementType OutputType)
{
    public static PlannedOptions From(SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.QkFormat, options.Granularity, options.SmoothK, options.SmoothQ, options.PvAccumulation, options.OutputType);
    }

    public SageOptions ToSageOptions() => new()
    {
        QkFormat = QkFormat,
        Granularity = Granularity,
        SmoothK = SmoothK,
        SmoothQ = SmoothQ,
        PvAccumulation = PvAccumulation,
        OutputType = OutputType,
    };
}
