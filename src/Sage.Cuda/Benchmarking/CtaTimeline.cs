namespace Sage.Cuda.Benchmarking;

/// <summary>
/// What the main loop's CTAs did with their SMs' time in one launch, from the records of the SAGE_CTA_TIMELINE probe
/// (attention_timeline.cuh; `sage bench --timeline`): per CTA its SM, its K tile count, ten SM clock readings (entry, after
/// the block's indices, after thread 0's barrier setup and first copies, after the prologue's CTA barrier, loop start, first
/// QKᵀ completed, loop end, after the epilogue's CTA barrier, with every output staged, exit) and the global timer at entry. Why: the fitted per-block cost of the 2K kernels (about 4.3 tile
/// iterations, docs/results/gpu-run-session30-2026-11-27.md) is mostly latency that ncu's samples do not place; the
/// records say how long a CTA's prologue, tiles, epilogue and its SM's refill take and how many CTAs of an SM are in their
/// K-tile loop at a time.
/// </summary>
/// <param name="Ctas">CTAs with a record.</param>
/// <param name="Sms">SMs they ran on.</param>
/// <param name="ClockMhz">SM clock over the launch (clock64 against %globaltimer, median over SMs); NaN when no SM ran
/// CTAs far enough apart to measure it, and then every time below is in cycles / 1000 instead of µs.</param>
/// <param name="PrologueMicroseconds">Mean time from a CTA's entry to its K-tile loop (setup, then the Q wait).</param>
/// <param name="SetupMicroseconds">Mean time from a CTA's entry to the end of its prologue's CTA barrier (barrier
/// initialisation, the first copies issued).</param>
/// <param name="IndexMicroseconds">Mean part of the setup spent on the block's indices and tile count (entry to thread 0's
/// first reading after them).</param>
/// <param name="IssueMicroseconds">Mean part of the setup spent by thread 0 on the ones rows, the barriers' initialisation
/// and the first copies' issue; the rest of the setup is the wait at the CTA barrier.</param>
/// <param name="QueryWaitMicroseconds">Mean time from that barrier to the loop (block rows, the Q block's arrival).</param>
/// <param name="FirstQkMicroseconds">Mean time from the loop's start to its first QKᵀ's completion (tile 0's K copy and
/// the wgmma).</param>
/// <param name="TileMicroseconds">Mean K-tile iteration of a CTA (its loop ÷ its tiles).</param>
/// <param name="EpilogueMicroseconds">Mean time from a CTA's loop end to its exit (§9's stores).</param>
/// <param name="EpilogueBarrierMicroseconds">Mean part of the epilogue up to the end of its CTA barrier (the row sums'
/// reciprocals, the v_scale loads' issue, the barrier that frees the stage memory; 0 without a staged epilogue).</param>
/// <param name="StagingMicroseconds">Mean part of the epilogue from that barrier until every output is formed and in the
/// staging rows (the v_scale loads' arrival, the conversions, stmatrix); the rest is the global stores' issue.</param>
/// <param name="RefillMicroseconds">Mean time from a CTA's exit to the next CTA's entry on the same SM (CTAs after the
/// first wave).</param>
/// <param name="SpanMicroseconds">Mean over SMs of the time from their first CTA's entry to their last one's exit.</param>
/// <param name="MeanResident">Time-weighted mean of the CTAs resident on an SM over its span.</param>
/// <param name="InLoopShares">Share of SM time (over the SMs' spans) with k CTAs in their K-tile loop, k = 0, 1, ...</param>
/// <param name="TileMicrosecondsByCompany">Mean K-tile iteration of the CTAs whose loop had, on time average, k other CTAs
/// of its SM in their loops (rounded to the nearest k; NaN where no CTA had). Whether a CTA's tiles slow down with company
/// says whether the loop is bound by its own latency chain (flat: an SM's throughput grows with the CTAs in loop) or by
/// the SM's shared units (rising).</param>
public sealed record CtaTimeline(int Ctas, int Sms, double ClockMhz, double PrologueMicroseconds, double SetupMicroseconds,
    double IndexMicroseconds, double IssueMicroseconds, double QueryWaitMicroseconds, double FirstQkMicroseconds, double TileMicroseconds,
    double EpilogueMicroseconds, double EpilogueBarrierMicroseconds, double StagingMicroseconds, double RefillMicroseconds, double SpanMicroseconds, double MeanResident, IReadOnlyList<double> InLoopShares,
    IReadOnlyList<double> TileMicrosecondsByCompany)
{
    /// <summary>Words per CTA record (attention_timeline.cuh).</summary>
    public const int WordsPerCta = 12;

    /// <summary>The macro that compiles the probe in, with its CTA capacity (SAGE_KERNEL_DEFINES).</summary>
    public const string Define = "SAGE_CTA_TIMELINE=65536";

    /// <summary>Time-weighted mean of the CTAs in their K-tile loop on an SM.</summary>
    public double MeanInLoop => InLoopShares.Select((share, k) => share * k).Sum();

    /// <summary>One CTA's record: SM clock readings in the order they are taken (<see cref="Indexed"/> and
    /// <see cref="Issued"/> lie between <see cref="Entry"/> and <see cref="Setup"/>, <see cref="EpilogueBarrier"/> and
    /// <see cref="Staged"/> between <see cref="LoopEnd"/> and <see cref="Exit"/>) and the global timer at entry.</summary>
    public readonly record struct Record(int Sm, int Tiles, long Entry, long Setup, long LoopStart, long FirstQk, long LoopEnd, long Exit,
        long EntryNanoseconds, long Indexed, long Issued, long EpilogueBarrier, long Staged);

    /// <summary>The records of <paramref name="words"/> (<see cref="WordsPerCta"/> per CTA, in CTA order).</summary>
    public static Record[] Parse(ReadOnlySpan<ulong> words)
    {
        if (words.Length % WordsPerCta != 0)
            throw new ArgumentException($"{words.Length} words: expected a multiple of {WordsPerCta} (one record per CTA).", nameof(words));
        var records = new Record[words.Length / WordsPerCta];
        for (int i = 0; i < records.Length; i++)
        {
            var w = words.Slice(i * WordsPerCta, WordsPerCta);
            records[i] = new Record((int)(w[0] & 0xFFFFFFFF), (int)(w[0] >> 32), (long)w[1], (long)w[2], (long)w[3], (long)w[4], (long)w[5],
                (long)w[6], (long)w[7], (long)w[8], (long)w[9], (long)w[10], (long)w[11]);
        }
        return records;
    }

    /// <summary>The summary of one launch's records (every CTA of the grid, each with its clocks in order).</summary>
    public static CtaTimeline Summarize(IReadOnlyList<Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) throw new ArgumentException("No CTA records.", nameof(records));
        foreach (var r in records)
            if (!(r.Entry <= r.Indexed && r.Indexed <= r.Issued && r.Issued <= r.Setup && r.Setup <= r.LoopStart && r.LoopStart <= r.FirstQk &&
                  r.FirstQk <= r.LoopEnd && r.LoopEnd <= r.EpilogueBarrier && r.EpilogueBarrier <= r.Staged && r.Staged <= r.Exit))
                throw new ArgumentException(
                    $"A CTA record on SM {r.Sm} has its clocks out of order ({r.Entry}, {r.Indexed}, {r.Issued}, {r.Setup}, {r.LoopStart}, {r.FirstQk}, {r.LoopEnd}, {r.EpilogueBarrier}, {r.Staged}, {r.Exit}): not one launch's records.",
                    nameof(records));
        var bySm = records.GroupBy(r => r.Sm).Select(g => g.OrderBy(r => r.Entry).ToArray()).ToArray();
        double mhz = ClockRate(bySm);
        double perMicrosecond = double.IsNaN(mhz) ? 1000 : mhz; // cycles per µs (or per 1000 cycles without a rate)
        double Mean(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Average();

        var byCompany = new List<(double Sum, int Count)>();
        var refills = new List<double>();
        double span = 0, resident = 0;
        var inLoop = new List<double>();
        foreach (var sm in bySm)
        {
            span += sm.Max(r => r.Exit) - sm[0].Entry;
            resident += Occupancy(sm, r => (r.Entry, r.Exit), null);
            Occupancy(sm, r => (r.LoopStart, r.LoopEnd), inLoop);
            for (int i = 0; i < sm.Length; i++)
            {
                var r = sm[i];
                if (r.Tiles <= 0 || r.LoopEnd <= r.LoopStart) continue;
                double overlap = 0;
                for (int j = 0; j < sm.Length; j++)
                    if (j != i) overlap += Math.Max(0, Math.Min(r.LoopEnd, sm[j].LoopEnd) - Math.Max(r.LoopStart, sm[j].LoopStart));
                int k = (int)Math.Round(overlap / (r.LoopEnd - r.LoopStart), MidpointRounding.AwayFromZero);
                while (byCompany.Count <= k) byCompany.Add((0, 0));
                byCompany[k] = (byCompany[k].Sum + (r.LoopEnd - r.LoopStart) / perMicrosecond / r.Tiles, byCompany[k].Count + 1);
            }
            // A CTA that enters after some CTA of its SM exited took that CTA's slot: the gap since the latest such exit.
            var exits = sm.Select(r => r.Exit).Order().ToArray();
            foreach (var r in sm)
            {
                int i = Array.BinarySearch(exits, r.Entry);
                int before = i >= 0 ? i : ~i - 1;
                if (before >= 0) refills.Add((r.Entry - exits[before]) / perMicrosecond);
            }
        }
        double total = inLoop.Sum();
        return new CtaTimeline(records.Count, bySm.Length, mhz,
            Mean(records.Select(r => (r.LoopStart - r.Entry) / perMicrosecond)),
            Mean(records.Select(r => (r.Setup - r.Entry) / perMicrosecond)),
            Mean(records.Select(r => (r.Indexed - r.Entry) / perMicrosecond)),
            Mean(records.Select(r => (r.Issued - r.Indexed) / perMicrosecond)),
            Mean(records.Select(r => (r.LoopStart - r.Setup) / perMicrosecond)),
            Mean(records.Where(r => r.Tiles > 0).Select(r => (r.FirstQk - r.LoopStart) / perMicrosecond)),
            Mean(records.Where(r => r.Tiles > 0).Select(r => (r.LoopEnd - r.LoopStart) / perMicrosecond / r.Tiles)),
            Mean(records.Select(r => (r.Exit - r.LoopEnd) / perMicrosecond)),
            Mean(records.Select(r => (r.EpilogueBarrier - r.LoopEnd) / perMicrosecond)),
            Mean(records.Select(r => (r.Staged - r.EpilogueBarrier) / perMicrosecond)),
            Mean(refills), span / bySm.Length / perMicrosecond, resident / span,
            [.. inLoop.Select(t => total > 0 ? t / total : 0)], [.. byCompany.Select(c => c.Count > 0 ? c.Sum / c.Count : double.NaN)]);
    }

    /// <summary>
    /// Sweeps one SM's intervals: returns the integral of the number of open intervals over time, and, with
    /// <paramref name="levels"/>, adds to levels[k] the time during the SM's span (first entry to last exit) with k open.
    /// </summary>
    private static double Occupancy(Record[] sm, Func<Record, (long Open, long Close)> interval, List<double>? levels)
    {
        var events = new List<(long Time, int Step)>(2 * sm.Length);
        foreach (var r in sm)
        {
            var (opens, closes) = interval(r);
            events.Add((opens, +1));
            events.Add((closes, -1));
        }
        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Step.CompareTo(b.Step)); // closes first
        long start = sm[0].Entry, end = sm.Max(r => r.Exit), last = start;
        int open = 0;
        double integral = 0;
        void Add(long from, long to)
        {
            if (to <= from) return;
            integral += (double)open * (to - from);
            if (levels is null) return;
            while (levels.Count <= open) levels.Add(0);
            levels[open] += to - from;
        }
        foreach (var (time, step) in events)
        {
            Add(last, time);
            last = Math.Max(last, time);
            open += step;
        }
        Add(last, end);
        return integral;
    }

    /// <summary>SM clock cycles per µs: per SM, the clock64 and %globaltimer distances between its first and last CTA
    /// entries (SMs whose entries lie at least 20 µs apart), median over those SMs; NaN when none qualifies.</summary>
    private static double ClockRate(Record[][] bySm)
    {
        var rates = new List<double>();
        foreach (var sm in bySm)
        {
            var first = sm[0];
            var last = sm[^1];
            long nanoseconds = last.EntryNanoseconds - first.EntryNanoseconds;
            if (nanoseconds >= 20_000) rates.Add((last.Entry - first.Entry) * 1000.0 / nanoseconds);
        }
        if (rates.Count == 0) return double.NaN;
        rates.Sort();
        return rates[rates.Count / 2];
    }
}
