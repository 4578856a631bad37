using System.Reflection;
using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// Host-side rules of graph replay (CudaAttention.GraphReplay) that need no GPU: which call is captured, replayed or run
/// directly, which graph is dropped and disposed, what a call's key compares, and that every schedule switch a caller may
/// set is part of the key. The GPU class GraphReplayTests checks the bits.
/// </summary>
public class GraphReplayPolicyTests
{
    private sealed class FakeGraph(string name) : IDisposable
    {
        public string Name { get; } = name;
        public int Disposals { get; private set; }
        public void Dispose() => Disposals++;
    }

    [Fact]
    public void A_call_runs_directly_then_is_captured_on_its_repeat_then_replays()
    {
        using var graphs = new RepeatedCallGraphs<string, FakeGraph>(graphCapacity: 2, seenCapacity: 4);
        Assert.Equal(GraphStep.Direct, graphs.Next("a", out _));
        Assert.Equal(GraphStep.Capture, graphs.Next("a", out _));
        var a = new FakeGraph("a");
        graphs.Add("a", a);
        Assert.Equal(GraphStep.Replay, graphs.Next("a", out var replayed));
        Assert.Same(a, replayed);
        Assert.Equal(GraphStep.Replay, graphs.Next("a", out _));
        Assert.Equal(0, a.Disposals);
    }

    [Fact]
    public void Calls_that_never_repeat_are_never_captured()
    {
        using var graphs = new RepeatedCallGraphs<int, FakeGraph>(graphCapacity: 2, seenCapacity: 4);
        for (int i = 0; i < 100; i++) Assert.Equal(GraphStep.Direct, graphs.Next(i, out _));
        Assert.Equal(0, graphs.Count);
    }

    [Fact]
    public void A_key_pushed_out_of_the_recent_calls_starts_over()
    {
        using var graphs = new RepeatedCallGraphs<int, FakeGraph>(graphCapacity: 2, seenCapacity: 3);
        Assert.Equal(GraphStep.Direct, graphs.Next(0, out _));
        for (int i = 1; i <= 3; i++) graphs.Next(i, out _); // three newer keys push 0 out
        Assert.Equal(GraphStep.Direct, graphs.Next(0, out _));
        Assert.Equal(GraphStep.Capture, graphs.Next(0, out _));
    }

    [Fact]
    public void The_least_recently_used_graph_is_disposed_to_make_room()
    {
        using var graphs = new RepeatedCallGraphs<string, FakeGraph>(graphCapacity: 2, seenCapacity: 8);
        FakeGraph a = new("a"), b = new("b"), c = new("c");
        graphs.Add("a", a);
        graphs.Add("b", b);
        Assert.Equal(GraphStep.Replay, graphs.Next("a", out _)); // a is now the most recent
        graphs.Add("c", c);
        Assert.Equal(1, b.Disposals);
        Assert.Equal(0, a.Disposals);
        Assert.Equal(GraphStep.Replay, graphs.Next("a", out _));
        Assert.Equal(GraphStep.Replay, graphs.Next("c", out _));
        Assert.Equal(GraphStep.Direct, graphs.Next("b", out _)); // forgotten with its graph: seen afresh
        Assert.Equal(2, graphs.Count);
    }

    [Fact]
    public void A_refused_key_runs_directly_from_then_on()
    {
        using var graphs = new RepeatedCallGraphs<string, FakeGraph>(graphCapacity: 2, seenCapacity: 4);
        graphs.Next("a", out _);
        Assert.Equal(GraphStep.Capture, graphs.Next("a", out _));
        graphs.Refuse("a");
        for (int i = 0; i < 5; i++) Assert.Equal(GraphStep.Direct, graphs.Next("a", out _));
    }

    [Fact]
    public void Clear_disposes_every_graph_and_forgets_the_calls()
    {
        var graphs = new RepeatedCallGraphs<string, FakeGraph>(graphCapacity: 4, seenCapacity: 4);
        FakeGraph a = new("a"), b = new("b");
        graphs.Add("a", a);
        graphs.Add("b", b);
        graphs.Next("x", out _);
        graphs.Clear();
        Assert.Equal((1, 1), (a.Disposals, b.Disposals));
        Assert.Equal(0, graphs.Count);
        Assert.Equal(GraphStep.Direct, graphs.Next("x", out _));
        graphs.Dispose();
        Assert.Equal((1, 1), (a.Disposals, b.Disposals));
    }

    [Fact]
    public void Replacing_a_kept_graph_disposes_the_old_one()
    {
        using var graphs = new RepeatedCallGraphs<string, FakeGraph>(graphCapacity: 2, seenCapacity: 4);
        FakeGraph first = new("1"), second = new("2");
        graphs.Add("a", first);
        graphs.Add("a", second);
        Assert.Equal((1, 0), (first.Disposals, second.Disposals));
        Assert.Equal(GraphStep.Replay, graphs.Next("a", out var kept));
        Assert.Same(second, kept);
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    public void Capacities_below_one_are_refused(int graphCapacity, int seenCapacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepeatedCallGraphs<string, FakeGraph>(graphCapacity, seenCapacity));

    [Fact]
    public void Recently_used_map_keeps_the_most_recent_entries()
    {
        var map = new RecentlyUsed<int, string>(2);
        Assert.Null(map.Add(1, "one"));
        Assert.Null(map.Add(2, "two"));
        Assert.True(map.TryGet(1, out var one));
        Assert.Equal("one", one);
        Assert.Equal("two", map.Add(3, "three")); // 2 was the least recently used
        Assert.False(map.TryGet(2, out _));
        Assert.Equal(["three", "one"], map.Values);
        Assert.Equal("one", map.Add(1, "uno")); // replacing returns the old value
        Assert.Equal(2, map.Count);
        Assert.True(map.Remove(3));
        Assert.False(map.Remove(3));
        Assert.Equal(["uno"], map.Values);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public void Graph_switch(string? value, bool expected) => Assert.Equal(expected, CudaAttention.GraphReplaySelected(value));

    [Fact]
    public void Unknown_graph_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => CudaAttention.GraphReplaySelected("sometimes"));
        Assert.Contains(CudaAttention.GraphReplayEnvironmentVariable, e.Message);
        Assert.Contains("sometimes", e.Message);
    }

    private static AttentionCallKey Key(ulong q = 0x1000, int length = 2048, bool causal = true, double scale = 0.125,
        PvAccumulation mode = PvAccumulation.Fp16TwoLevel, ulong lse = 0, bool finishLaunch = false,
        CudaAttention.MainLoopCta cta = CudaAttention.MainLoopCta.Auto)
    {
        // Built afresh on every call: equal keys must come from equal values, not shared instances.
        var problem = new AttentionProblem(new AttentionShape(4, 32, 32, length, length, 128), TensorLayout.HND, causal, softmaxScale: scale);
        long count = 4L * 32 * length * 128;
        var schedules = new PreprocessSchedules(finishLaunch, true, true, false, GpuPreprocessor.ValuePasses.Auto, GpuPreprocessor.CodesSchedule.Ring, null);
        return new AttentionCallKey(problem, new SageOptions { PvAccumulation = mode },
            new DeviceTensor(q, count, ElementType.Float16), new DeviceTensor(0x2000, count, ElementType.Float16),
            new DeviceTensor(0x3000, count, ElementType.Float16), new DeviceTensor(0x4000, count, ElementType.Float16), lse, cta, schedules);
    }

    [Fact]
    public void Keys_of_equal_calls_are_equal()
    {
        Assert.Equal(Key(), Key());
        Assert.Equal(Key().GetHashCode(), Key().GetHashCode());
    }

    [Fact]
    public void Keys_differ_in_every_part_that_changes_the_launches()
    {
        var key = Key();
        Assert.NotEqual(key, Key(q: 0x1100));
        Assert.NotEqual(key, Key(length: 2047));
        Assert.NotEqual(key, Key(causal: false));
        Assert.NotEqual(key, Key(scale: 0.1));
        Assert.NotEqual(key, Key(mode: PvAccumulation.Fp32));
        Assert.NotEqual(key, Key(lse: 0x5000));
        Assert.NotEqual(key, Key(finishLaunch: true));
        Assert.NotEqual(key, Key(cta: CudaAttention.MainLoopCta.Solo));
        Assert.NotEqual(key, key with { Output = key.Output with { ElementType = ElementType.BFloat16 } });
    }

    [Fact]
    public void Every_settable_schedule_switch_is_part_of_the_key()
    {
        // A switch the key lacks would let a graph captured under one schedule replay under another.
        static string[] Settable(Type t) => [.. t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.SetMethod is not null).Select(p => p.Name).Order()];
        var preprocessSwitches = typeof(PreprocessSchedules).GetProperties().Select(p => p.Name).Order().ToArray();
        Assert.Equal(Settable(typeof(GpuPreprocessor)), preprocessSwitches);
        // CudaAttention's own: the CTA choice (in the key) and GraphReplay itself (which decides whether there is a key).
        Assert.Equal(["GraphReplay", "MainLoopCtaChoice"], Settable(typeof(CudaAttention)));
        Assert.Contains(typeof(AttentionCallKey).GetProperties(), p => p.PropertyType == typeof(CudaAttention.MainLoopCta));
        Assert.Contains(typeof(AttentionCallKey).GetProperties(), p => p.PropertyType == typeof(PreprocessSchedules));
    }
}
