using Sage.Cuda;
using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// CtaTimeline turns the main loop's probe records (attention_solo.cuh, SAGE_CTA_TIMELINE) into per-phase times and the
/// share of SM time with k CTAs in their K-tile loop: checked here on hand-made launches whose answers are known.
/// </summary>
public sealed class CtaTimelineTests
{
    // A 1 GHz clock: 1000 cycles per µs, and the global timer (ns) equals the clock.
    // Setup ends a fifth of the way to the loop (indices a twentieth, then the issue another twentieth); the first QKᵀ
    // completes 1000 cycles into the loop (or at its end); the epilogue's barrier takes a tenth of it, its staging half.
    private static CtaTimeline.Record Cta(int sm, int tiles, long entry, long loopStart, long loopEnd, long exit) =>
        new(sm, tiles, entry, entry + (loopStart - entry) / 5, loopStart, Math.Min(loopStart + 1000, loopEnd), loopEnd, exit, entry,
            entry + (loopStart - entry) / 20, entry + (loopStart - entry) / 10, loopEnd + (exit - loopEnd) / 10,
            loopEnd + (exit - loopEnd) * 6 / 10);

    [Fact]
    public void Records_parse_from_the_kernel_s_twelve_words()
    {
        ulong[] words = [7ul | (12ul << 32), 100, 180, 250, 400, 900, 1000, 5000, 120, 150, 920, 960];
        var r = Assert.Single(CtaTimeline.Parse(words));
        Assert.Equal(new CtaTimeline.Record(7, 12, 100, 180, 250, 400, 900, 1000, 5000, 120, 150, 920, 960), r);
        Assert.Throws<ArgumentException>(() => CtaTimeline.Parse(new ulong[13]));
        Assert.Throws<ArgumentException>(() => CtaTimeline.Parse(new ulong[8])); // the eight-word records of session 35
    }

    [Fact]
    public void Two_slots_one_sm_give_phases_refill_and_loop_shares()
    {
        // SM 0: CTA a [0, 30 µs] with loop [5, 25]; CTA b [0, 50] with loop [10, 40]; CTA c enters 2 µs after a exits,
        // [32, 60], loop [35, 55]. SM 1 holds one CTA far away in time, so that the clock rate is measurable on SM 0 only.
        CtaTimeline.Record[] records =
        [
            Cta(0, 4, 0, 5_000, 25_000, 30_000),
            Cta(0, 6, 0, 10_000, 40_000, 50_000),
            Cta(0, 5, 32_000, 35_000, 55_000, 60_000),
            Cta(1, 1, 0, 1_000, 2_000, 3_000),
        ];
        var t = CtaTimeline.Summarize(records);
        Assert.Equal(4, t.Ctas);
        Assert.Equal(2, t.Sms);
        Assert.Equal(1000, t.ClockMhz, 6);
        Assert.Equal((5 + 10 + 3 + 1) / 4.0, t.PrologueMicroseconds, 9);
        Assert.Equal((5 + 10 + 3 + 1) / 4.0 / 5, t.SetupMicroseconds, 9);
        Assert.Equal((5 + 10 + 3 + 1) / 4.0 / 20, t.IndexMicroseconds, 9);
        Assert.Equal((5 + 10 + 3 + 1) / 4.0 / 20, t.IssueMicroseconds, 9);
        Assert.Equal((5 + 10 + 3 + 1) / 4.0 * 4 / 5, t.QueryWaitMicroseconds, 9);
        Assert.Equal(1, t.FirstQkMicroseconds, 9);
        Assert.Equal((20.0 / 4 + 30.0 / 6 + 20.0 / 5 + 1.0) / 4, t.TileMicroseconds, 9);
        Assert.Equal((5 + 10 + 5 + 1) / 4.0, t.EpilogueMicroseconds, 9);
        Assert.Equal((5 + 10 + 5 + 1) / 4.0 / 10, t.EpilogueBarrierMicroseconds, 9);
        Assert.Equal((5 + 10 + 5 + 1) / 4.0 / 2, t.StagingMicroseconds, 9);
        Assert.Equal(2, t.RefillMicroseconds, 9); // only c refilled a slot
        Assert.Equal((60 + 3) / 2.0, t.SpanMicroseconds, 9);
        // Resident: SM 0 holds 30 + 50 + 28 = 108 CTA-µs over 60 µs, SM 1 3 over 3: 111 / 63.
        Assert.Equal(111.0 / 63, t.MeanResident, 9);
        // In loop, SM 0 over [0, 60]: 0 CTAs in [0,5], [25,35) minus [10,40] overlap..., computed by hand:
        // [0,5) 0, [5,10) 1, [10,25) 2, [25,35) 1, [35,40) 2, [40,55) 1, [55,60) 0; SM 1 over [0,3]: [0,1) 0, [1,2) 1, [2,3) 0.
        double[] expected = [(5 + 5 + 2) / 63.0, (5 + 10 + 15 + 1) / 63.0, (15 + 5) / 63.0];
        Assert.Equal(expected.Length, t.InLoopShares.Count);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], t.InLoopShares[k], 9);
        Assert.Equal(expected[1] + 2 * expected[2], t.MeanInLoop, 9);
        // Company: a's loop [5,25] overlaps b for 15 of 20 µs (0.75 → 1), b's [10,40] overlaps a 15 and c 5 of 30 (0.67 → 1),
        // c's [35,55] overlaps b 5 of 20 (0.25 → 0), the SM 1 CTA has none (0). Tiles: a 5, b 5, c 4, SM 1 1 µs.
        Assert.Equal(2, t.TileMicrosecondsByCompany.Count);
        Assert.Equal((4 + 1) / 2.0, t.TileMicrosecondsByCompany[0], 9);
        Assert.Equal((5 + 5) / 2.0, t.TileMicrosecondsByCompany[1], 9);
    }

    [Fact]
    public void Without_a_measurable_clock_times_are_in_thousands_of_cycles()
    {
        var t = CtaTimeline.Summarize([Cta(0, 2, 0, 2_000, 6_000, 7_000)]);
        Assert.True(double.IsNaN(t.ClockMhz));
        Assert.Equal(2, t.PrologueMicroseconds, 9);
        Assert.Equal(2, t.TileMicroseconds, 9);
        Assert.True(double.IsNaN(t.RefillMicroseconds)); // nothing refilled
    }

    [Fact]
    public void Records_out_of_order_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => CtaTimeline.Summarize([new CtaTimeline.Record(3, 1, 10, 12, 5, 6, 20, 30, 10, 11, 11, 22, 25)]));
        Assert.Contains("SM 3", e.Message);
        // The epilogue's staging reading after the exit.
        e = Assert.Throws<ArgumentException>(() => CtaTimeline.Summarize([new CtaTimeline.Record(4, 1, 10, 12, 15, 16, 20, 30, 10, 11, 11, 22, 31)]));
        Assert.Contains("SM 4", e.Message);
        Assert.Throws<ArgumentException>(() => CtaTimeline.Summarize([]));
    }

    [Theory]
    [InlineData(null, "SAGE_CTA_TIMELINE=65536")]
    [InlineData("", "SAGE_CTA_TIMELINE=65536")]
    [InlineData("SAGE_CAUSAL_TAIL=0", "SAGE_CAUSAL_TAIL=0 SAGE_CTA_TIMELINE=65536")]
    [InlineData("SAGE_CTA_TIMELINE=8", "SAGE_CTA_TIMELINE=8")]
    public void The_bench_adds_the_probe_macro_once(string? defines, string expected) =>
        Assert.Equal(expected, KernelDefines.With(defines, CtaTimeline.Define));
}
