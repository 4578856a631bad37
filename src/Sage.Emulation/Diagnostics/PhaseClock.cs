using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sage.Emulation.Diagnostics;

/// <summary>The parts of an emulator run that <see cref="PhaseClock"/> times.</summary>
internal enum Phase
{
    // Whole-run steps, one after the other (wall time of each).
    Validate,
    Widen,
    KeyValueHeads,
    KeyValueTiles,
    MainLoop,
    Result,
    // Summed over the workers (thread CPU time): the pre-processing (widening, K/V), then each main-loop stage.
    Preprocessing,
    QueryLoad,
    Qk,
    Softmax,
    Pv,
    Epilogue,
    Output,
}

/// <summary>
/// Per-phase time of emulator runs, for the bench harness's breakdown (bench/Sage.Bench --quick). Off unless
/// <see cref="Enabled"/>. Whole-run steps (<see cref="Start"/>, <see cref="Lap"/>) take wall time; main-loop stages
/// (<see cref="ThreadStart"/>, <see cref="ThreadLap"/>) take the calling thread's CPU time (Linux
/// CLOCK_THREAD_CPUTIME_ID, else wall time), so that their sum is CPU time even on a shared machine. Each lap costs a
/// clock read (≈ 0.3 µs for the thread clock) and an interlocked add, a few hundred per query tile, ≈ 1 % of the work.
/// Not for concurrent runs (the totals would mix).
/// </summary>
internal static partial class PhaseClock
{
    private static readonly long[] s_ticks = new long[Enum.GetValues<Phase>().Length];

    public static bool Enabled { get; set; }

    /// <summary>A start timestamp (0 when off).</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/> and returns a new start.</summary>
    public static long Lap(Phase phase, long start)
    {
        if (!Enabled) return 0;
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref s_ticks[(int)phase], now - start);
        return now;
    }

    /// <summary>The calling thread's CPU time in ticks (0 when off).</summary>
    public static long ThreadStart() => Enabled ? ThreadTicks() : 0;

    /// <summary>Adds the calling thread's CPU time since <paramref name="start"/> to <paramref name="phase"/>.</summary>
    public static long ThreadLap(Phase phase, long start)
    {
        if (!Enabled) return 0;
        long now = ThreadTicks();
        Interlocked.Add(ref s_ticks[(int)phase], now - start);
        return now;
    }

    public static void Reset() => Array.Clear(s_ticks);

    /// <summary>Milliseconds per phase since the last <see cref="Reset"/>.</summary>
    public static IReadOnlyList<(Phase Phase, double Milliseconds)> Snapshot() =>
        Enum.GetValues<Phase>().Select(p => (p, Volatile.Read(ref s_ticks[(int)p]) * 1000.0 / Stopwatch.Frequency)).ToList();

    // Thread CPU time in Stopwatch ticks.
    private static long ThreadTicks()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTimeClock, out var t) == 0)
            return (long)((t.Seconds * 1_000_000_000.0 + t.Nanoseconds) * Stopwatch.Frequency / 1e9);
        return Stopwatch.GetTimestamp();
    }

    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
