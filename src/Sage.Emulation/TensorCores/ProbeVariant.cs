namespace Sage.Emulation.TensorCores;

/// <summary>
/// One variant as the device probes ran it: the index is the harness's (it tags recorded records), the seed drives
/// <see cref="ProbeCaseGenerator"/>, K = 32 is one instruction and K = 128 a chain of four through the accumulator.
/// </summary>
public sealed record ProbeVariant(int Index, string Name, string ModelName, MmaInputFormat Input, MmaAccumulator Accumulator, int K, ulong Seed)
{
    /// <summary>Name of the probe kernel in src/Sage.Cuda/Kernels/Probes/tc_probe.cu.</summary>
    public string KernelName => $"tc_{(Name.StartsWith("wgmma", StringComparison.Ordinal) ? "wgmma" : "mma")}_{Input switch
    {
        MmaInputFormat.E4M3 => "e4m3",
        MmaInputFormat.E5M2 => "e5m2",
        _ => "s8",
    }}_{Accumulator switch
    {
        MmaAccumulator.Fp32 => "f32",
        MmaAccumulator.Fp16 => "f16",
        _ => "s32",
    }}";

    /// <summary>Bytes per recorded output word: 2 for FP16 accumulators, else 4.</summary>
    public int OutputBytes => Accumulator == MmaAccumulator.Fp16 ? 2 : 4;

    /// <summary>The generator's format code for this variant's FP8 input.</summary>
    public int GeneratorFormat => Input == MmaInputFormat.E5M2 ? ProbeCaseGenerator.E5M2 : ProbeCaseGenerator.E4M3;

    /// <summary>The model's output as the hardware writes it: float32 bits, FP16 bits, or the int32 word.</summary>
    public uint Evaluate(IDotProductModel model, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, uint c)
    {
        if (Input == MmaInputFormat.Int8)
            return unchecked((uint)model.DotInt32(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(a),
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(b), (int)c));
        var fp8 = (Fp8FusedDotModel)model;
        if (Accumulator == MmaAccumulator.Fp16)
        {
            float d = fp8.DotBytes(a, b, (float)BitConverter.UInt16BitsToHalf((ushort)c));
            return BitConverter.HalfToUInt16Bits((Half)d);
        }
        return BitConverter.SingleToUInt32Bits(fp8.DotBytes(a, b, BitConverter.UInt32BitsToSingle(c)));
    }

    /// <summary>Case <paramref name="index"/> of this variant's random stream (a, b of length K; c as the kernel takes it).</summary>
    public uint Generate(ulong index, Span<byte> a, Span<byte> b) => Generate(Seed, index, a, b);

    /// <summary>Case <paramref name="index"/> of the stream of <paramref name="seed"/>.</summary>
    public uint Generate(ulong seed, ulong index, Span<byte> a, Span<byte> b)
    {
        if (Input == MmaInputFormat.Int8)
        {
            ProbeCaseGenerator.S8Case(K, seed, index, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(a),
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(b), out int ci);
            return unchecked((uint)ci);
        }
        ProbeCaseGenerator.Fp8Case(GeneratorFormat, K, Accumulator == MmaAccumulator.Fp16, seed, index, a, b, out uint c);
        return c;
    }
}

/// <summary>The variants of the 2026-11-25 H100 probe run, in the harness's order.</summary>
public static class ProbeVariants
{
    private static ProbeVariant V(int i, string name, MmaInputFormat input, MmaAccumulator acc, int k) =>
        new(i, name, name.Replace(".chain4", "", StringComparison.Ordinal), input, acc, k, (ulong)(101 + i));

    public static IReadOnlyList<ProbeVariant> All { get; } =
    [
        V(0, "wgmma.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, 32),
        V(1, "wgmma.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, 32),
        V(2, "wgmma.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, 32),
        V(3, "wgmma.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, 32),
        V(4, "mma.m16n8k32.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, 32),
        V(5, "mma.m16n8k32.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, 32),
        V(6, "mma.m16n8k32.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, 32),
        V(7, "mma.m16n8k32.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, 32),
        V(8, "wgmma.e4m3.f32.chain4", MmaInputFormat.E4M3, MmaAccumulator.Fp32, 128),
        V(9, "wgmma.e4m3.f16.chain4", MmaInputFormat.E4M3, MmaAccumulator.Fp16, 128),
        V(10, "mma.m16n8k32.e4m3.f32.chain4", MmaInputFormat.E4M3, MmaAccumulator.Fp32, 128),
        V(11, "wgmma.e5m2.f32.chain4", MmaInputFormat.E5M2, MmaAccumulator.Fp32, 128),
        V(12, "wgmma.s8.s32", MmaInputFormat.Int8, MmaAccumulator.Int32, 32),
        V(13, "mma.m16n8k32.s8.s32", MmaInputFormat.Int8, MmaAccumulator.Int32, 32),
        V(14, "wgmma.s8.s32.chain4", MmaInputFormat.Int8, MmaAccumulator.Int32, 128),
    ];

    public static ProbeVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"unknown probe variant '{name}'; valid: {string.Join(", ", All.Select(v => v.Name))}", nameof(name));
}
