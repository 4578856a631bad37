using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// One launch, one warm-up, five measured iterations: each benchmark takes seconds, so more adds time, not precision.
// In-process, so the staged benchmark also runs where only the .NET runtime exists (the GPU machine has no SDK).
if (args.Length > 0 && args[0] == "--quick") { Sage.Bench.QuickTiming.Run(args); return; }
if (args.Length > 0 && args[0] == "--pv") { Sage.Bench.PvKernelTiming.Run(args); return; }
var job = Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddJob(job));
