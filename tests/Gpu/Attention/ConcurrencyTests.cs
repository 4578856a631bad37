using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// One <see cref="CudaAttention"/> shared by 8 threads, 50 calls each, over a mix of problems and options (SmoothQ/SmoothV,
/// every PV mode, GQA, causal): every result must carry the same bits as the single-threaded run of the same problem.
/// Threads start on a barrier so that first-use paths (kernel lookup, shared-memory configuration) race too.
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 8;
    private const int CallsPerThread = 50;

    [Fact]
    public void Concurrent_calls_from_8_threads_give_the_single_threaded_bits()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        int[] picks = [0, 1, 5, 6, 9, 13, 23, 26, 27, 29, 31]; // small fixed cases, both head dims, all PV modes, Q/V smoothing
        var cases = picks.Select(i => AttentionCase.Fixed[i]).ToArray();
        var inputs = cases.Select(c => c.Inputs()).ToArray();

        // Single-threaded answers. They come from a second instance so that the shared one meets its kernels first under load.
        AttentionResult[] expected;
        using (var reference = new CudaAttention(context))
            expected = cases.Select((c, i) => reference.Run(c.Problem, inputs[i].Q, inputs[i].K, inputs[i].V, c.Options)).ToArray();

        using var barrier = new Barrier(Threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long elements = 0;
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                for (int call = 0; call < CallsPerThread; call++)
                {
                    int i = (t * 7 + call * 3) % cases.Length;
                    var c = cases[i];
                    var actual = gpu.Run(c.Problem, inputs[i].Q, inputs[i].K, inputs[i].V, c.Options);
                    var cmp = OutputComparison.Compare(c.Problem, expected[i], actual);
                    Interlocked.Add(ref elements, cmp.ElementsCompared);
                    if (cmp.Mismatches != 0) failures.Enqueue($"thread {t} call {call}: " + cmp.Summary(c.ToString()));
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"thread {t}: {e.GetType().Name}: {e.Message}");
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());

        string line = $"concurrency: {Threads} threads x {CallsPerThread} calls on one CudaAttention, {elements} elements compared with " +
                      $"the single-threaded results, {failures.Count} failing calls ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        foreach (var f in failures.Take(5)) output.WriteLine(f);
        Assert.True(failures.IsEmpty, line + "\n" + string.Join("\n", failures.Take(5)));
    }

    [Fact]
    public void Threads_without_a_current_context_can_call()
    {
        // A fresh thread has no current CUDA context; every call must bind the instance's context itself.
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var c = AttentionCase.Fixed[1];
        var inputs = c.Inputs();
        var expected = gpu.Run(c.Problem, inputs.Q, inputs.K, inputs.V, c.Options);
        AttentionResult? actual = null;
        var thread = new Thread(() => actual = gpu.Run(c.Problem, inputs.Q, inputs.K, inputs.V, c.Options));
        thread.Start();
        thread.Join();
        Assert.NotNull(actual);
        Assert.Equal(0, OutputComparison.Compare(c.Problem, expected, actual!).Mismatches);
    }
}
