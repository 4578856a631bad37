using System.Diagnostics;
using System.Security.Cryptography;
using Sage.Emulation;
using Sage.Emulation.Diagnostics;
using Sage.Reference;

namespace Sage.Bench;

/// <summary>
/// A stopwatch harness for quick local measurements (BenchmarkDotNet takes minutes): `--quick N [heads] [threads]
/// [iterations]` times the emulator in two PV modes on Gaussian FP16 inputs (B=1, d=128) and prints a digest of each
/// output, so that a speed change can be checked for bit-identity on large problems too. With `phases` it also prints
/// where the time of a run goes (the emulator's <see cref="PhaseClock"/>): the wall time of each whole-run step, and the
/// thread time of each main-loop stage summed over the workers (≈ CPU time when the cores are not shared).
/// </summary>
public static class QuickTiming
{
    public static void Run(string[] args)
    {
        int n = args.Length > 1 ? int.Parse(args[1]) : 1024;
        int heads = args.Length > 2 ? int.Parse(args[2]) : 8;
        int threads = args.Length > 3 ? int.Parse(args[3]) : -1;
        int iterations = args.Length > 4 ? int.Parse(args[4]) : 3;
        bool causal = args.Contains("causal");
        bool phases = args.Contains("phases");
        var problem = new AttentionProblem(new AttentionShape(1, heads, heads, n, n, 128), causal: causal);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, seed: 1);
        var emulator = new EmulatedAttention { MaxDegreeOfParallelism = threads };
        (string, SageOptions)[] modes =
        [
            ("fp16-2level", SageOptions.Default),
            ("fp32-2level", new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel }),
            ("fp32", new SageOptions { PvAccumulation = PvAccumulation.Fp32, OutputType = ElementType.Float32 }),
        ];
        bool anySelected = modes.Any(m => args.Contains(m.Item1));
        foreach (var (name, options) in modes)
        {
            if (anySelected && !args.Contains(name)) continue;
            var result = emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options); // warm-up
            var times = new List<double>();
            var cpu = new List<double>();
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            int gen2 = GC.CollectionCount(2);
            var process = Process.GetCurrentProcess();
            PhaseClock.Reset();
            PhaseClock.Enabled = phases;
            for (int i = 0; i < iterations; i++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                result = emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options);
                times.Add(sw.Elapsed.TotalMilliseconds);
                process.Refresh();
                cpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
            }
            PhaseClock.Enabled = false;
            double allocatedPerRun = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / (double)iterations / (1 << 20);
            gen2 = GC.CollectionCount(2) - gen2;
            times.Sort();
            cpu.Sort();
            var digest = Convert.ToHexString(SHA256.HashData(result.Output.ToSingleArray().SelectMany(BitConverter.GetBytes).ToArray()))[..16];
            Console.WriteLine($"{name,-12} N={n} H={heads} threads={threads}{(causal ? " causal" : "")}: median {times[times.Count / 2]:F1} ms (min {times[0]:F1}), CPU time min {cpu[0]:F0} ms  digest {digest}");
            if (phases)
            {
                Console.WriteLine($"  allocated per run: {allocatedPerRun:F1} MiB; gen2 collections during the runs: {gen2}");
                PrintPhases(iterations, cpu.Average());
            }
        }
    }

    private static void PrintPhases(int iterations, double cpuPerRun)
    {
        var all = PhaseClock.Snapshot();
        string Row(IEnumerable<(Phase Phase, double Milliseconds)> items) =>
            string.Join("  ", items.Select(p => $"{p.Phase} {p.Milliseconds / iterations:F1}"));
        var wall = all.Where(p => p.Phase <= Phase.Result).ToList();
        var thread = all.Where(p => p.Phase > Phase.Result).ToList();
        Console.WriteLine($"  wall ms per run:   {Row(wall)}  (sum {wall.Sum(p => p.Milliseconds) / iterations:F1})");
        Console.WriteLine($"  thread ms per run: {Row(thread)}  (sum {thread.Sum(p => p.Milliseconds) / iterations:F1}; process CPU {cpuPerRun:F0})");
    }
}
