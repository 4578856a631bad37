using Sage.Reference;

namespace Sage.Cli.Verification;

/// <summary>The outcome of one (data set, mode) pair.</summary>
public sealed record VerifyRow(string Case, string Mode, bool Gating, AccuracyReport Report, IReadOnlyList<string> Violations, bool ModelsVerifiedOnHardware, double Seconds, GpuComparison? Gpu = null)
{
    /// <summary>Within budget (accuracy) and, where the GPU ran, bit-identical to it.</summary>
    public bool Passed => Violations.Count == 0 && (Gpu?.Passed ?? true);
}
