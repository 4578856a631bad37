namespace Sage.Cuda.Preprocessing;

/// <summary>
/// The settable schedule switches of a <see cref="GpuPreprocessor"/> at one moment (tests set them between calls; the
/// environment sets them at construction). Part of a replayed call's key (<see cref="AttentionCallKey"/>): a graph
/// captured under one schedule is not replayed under another. Every switch the preprocessor lets a caller set must be
/// here (PreprocessSchedulesTests checks the names).
/// </summary>
internal readonly record struct PreprocessSchedules(
    bool FinishLaunch,
    bool DependentCodes,
    bool QueriesInRing,
    bool SplitStatistics,
    GpuPreprocessor.ValuePasses ValuePassChoice,
    GpuPreprocessor.CodesSchedule CodesChoice,
    int? RingCtaLimit);
