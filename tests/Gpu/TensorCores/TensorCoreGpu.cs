using System.Security.Cryptography;
using Sage.Cuda;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Gpu.Tests.TensorCores;

/// <summary>Launches the tensor-core probe kernels (src/Sage.Cuda/Kernels/Probes) on device 0.</summary>
internal static class TensorCoreGpu
{
    /// <summary>A context on a Hopper (sm_90a) device, or a skip saying why there is none.</summary>
    public static CudaContext HopperContextOrSkip()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip($"no CUDA device: {reason}");
        var context = CudaContext.Create();
        if (context.Device.Architecture != "sm_90a")
        {
            string arch = context.Device.Architecture;
            context.Dispose();
            Assert.Skip($"the probes need wgmma (sm_90a); device 0 is {arch}");
        }
        return context;
    }

    public static CudaModule LoadProbe(CudaContext context, string fileName) =>
        new KernelCompiler().Load(context, KernelSource.FromEmbedded(typeof(CudaContext).Assembly, $"Sage.Cuda.Kernels.Probes.{fileName}"));

    /// <summary>Runs n cases (inputs packed case-major, K bytes each) through the variant's probe kernel; returns the output words.</summary>
    public static uint[] Run(CudaContext context, CudaModule module, ProbeVariant variant, byte[] a, byte[] b, uint[] c)
    {
        int n = c.Length;
        using var da = DeviceBuffer<byte>.Upload(context, a);
        using var db = DeviceBuffer<byte>.Upload(context, b);
        using var dc = DeviceBuffer<uint>.Upload(context, c);
        using var dd = DeviceBuffer<uint>.Allocate(context, n);
        dd.FillBytes(0xEE); // an output the kernel never wrote shows as 0xEEEEEEEE
        module.GetFunction(variant.KernelName).Launch(new Dim3(132 * 8, 1, 1), new Dim3(128, 1, 1), 0, null, da, db, dc, dd, n, variant.K);
        context.Synchronize();
        uint[] d = dd.ToArray();
        if (variant.OutputBytes == 2)
            for (int i = 0; i < n; i++) if (d[i] != 0xEEEEEEEEu) d[i] &= 0xFFFF;
        return d;
    }

    /// <summary>Cases [0, n) of <paramref name="seed"/>'s stream for a variant, packed for <see cref="Run"/>.</summary>
    public static (byte[] A, byte[] B, uint[] C) Generate(ProbeVariant variant, ulong seed, int n)
    {
        var a = new byte[(long)n * variant.K];
        var b = new byte[(long)n * variant.K];
        var c = new uint[n];
        Parallel.For(0, n, i => c[i] = variant.Generate(seed, (ulong)i, a.AsSpan(i * variant.K, variant.K), b.AsSpan(i * variant.K, variant.K)));
        return (a, b, c);
    }

    /// <summary>Cases where the model's output word differs from the device's (first few described).</summary>
    public static (long Count, List<string> Examples) Compare(ProbeVariant variant, byte[] a, byte[] b, uint[] c, uint[] d)
    {
        var model = TensorCoreVariants.Get(variant.ModelName);
        long count = 0;
        var examples = new List<string>();
        object gate = new();
        Parallel.For(0, c.Length, () => 0L, (i, _, local) =>
        {
            uint want = variant.Evaluate(model, a.AsSpan(i * variant.K, variant.K), b.AsSpan(i * variant.K, variant.K), c[i]);
            if (want == d[i]) return local;
            lock (gate)
            {
                if (examples.Count < 8)
                    examples.Add($"case {i}: c=0x{c[i]:X8} a=[{Convert.ToHexString(a, i * variant.K, variant.K)}] b=[{Convert.ToHexString(b, i * variant.K, variant.K)}] device 0x{d[i]:X8} model 0x{want:X8}");
            }
            return local + 1;
        }, local => Interlocked.Add(ref count, local));
        return (count, examples);
    }

    /// <summary>SHA-256 of the output words as the recorded digests hash them (u16 for FP16 accumulators).</summary>
    public static string Digest(ProbeVariant variant, uint[] d)
    {
        int w = variant.OutputBytes;
        var bytes = new byte[d.Length * w];
        for (int i = 0; i < d.Length; i++)
        {
            if (w == 2) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (ushort)d[i]);
            else BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), d[i]);
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>A recorded-data file of tests/Property/TensorCores/Data, found by walking up from the binary and the working directory.</summary>
    public static string? RecordedData(string fileName)
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "Property", "TensorCores", "Data", fileName);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
