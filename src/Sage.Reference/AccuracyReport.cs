using System.Globalization;

namespace Sage.Reference;

/// <summary>
/// How far an output is from the reference (see <see cref="AccuracyMetrics"/> for the definitions).
/// </summary>
/// <param name="CosineSimilarity">Σ r·o / (‖r‖ ‖o‖), clamped to [−1, 1]; 1 when both are all zero, 0 when only one is.</param>
/// <param name="RelativeL1">Σ|o − r| / Σ|r|; 0 when both sums are 0, +∞ when only Σ|r| is.</param>
/// <param name="Rmse">√(Σ(o − r)² / Count).</param>
/// <param name="MaxAbsError">max |o − r|.</param>
/// <param name="Count">Elements compared.</param>
/// <param name="NaNInExpected">NaN values in the reference.</param>
/// <param name="NaNInActual">NaN values in the output under test.</param>
/// <param name="InfinityInExpected">±∞ values in the reference.</param>
/// <param name="InfinityInActual">±∞ values in the output under test.</param>
/// <remarks>The four metrics are defined over finite data only: when any value on either side is NaN or infinite,
/// all four are NaN and the counts say which side held what.</remarks>
public readonly record struct AccuracyReport(
    double CosineSimilarity,
    double RelativeL1,
    double Rmse,
    double MaxAbsError,
    long Count,
    long NaNInExpected,
    long NaNInActual,
    long InfinityInExpected,
    long InfinityInActual)
{
    /// <summary>True when neither side holds a NaN or an infinity, so the metrics are numbers.</summary>
    public bool AllFinite => NaNInExpected == 0 && NaNInActual == 0 && InfinityInExpected == 0 && InfinityInActual == 0;

    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"cos={CosineSimilarity:F7} relL1={RelativeL1:E3} rmse={Rmse:E3} maxAbs={MaxAbsError:E3} n={Count}");
        return AllFinite
            ? text
            : string.Create(CultureInfo.InvariantCulture,
                $"{text} NaN(expected/actual)={NaNInExpected}/{NaNInActual} Inf(expected/actual)={InfinityInExpected}/{InfinityInActual}");
    }
}
