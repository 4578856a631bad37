namespace Sage.Property.Tests.Emulation;

/// <summary>The P codes, V codes and incoming accumulators of the PV kernel tests (Fp8PvTileKernelTests, Fp8PvRowLaneKernelTests).</summary>
internal static class Fp8PvTileKernelTestCodes
{
    // 0: any non-negative finite code; 1: subnormal-heavy; 2: near the maximum; 3: mostly zero; 4: softmax-like
    // (exponents spread over the whole range); 5: as 0 with a rare negative or NaN code.
    internal static byte PCode(Random rnd, int style) => style switch
    {
        0 => (byte)rnd.Next(0, 0x7F),
        1 => (byte)rnd.Next(0, 0x10),
        2 => (byte)rnd.Next(0x70, 0x7F),
        3 => rnd.Next(8) == 0 ? (byte)rnd.Next(1, 0x7F) : (byte)0,
        4 => (byte)Math.Min(0x7E, Math.Max(0, 0x7E - (int)(rnd.NextDouble() * rnd.NextDouble() * 0x80))),
        _ => rnd.Next(200) == 0 ? (byte)(rnd.Next(2) == 0 ? 0x7F : rnd.Next(0x81, 0xFF)) : (byte)rnd.Next(0, 0x7F),
    };

    // 0: any finite code, either sign; 1: subnormal-heavy; 2: near the maxima; 3: mostly zero; 4: one sign only.
    internal static byte VCode(Random rnd, int style)
    {
        int magnitude = style switch
        {
            0 or 4 => rnd.Next(0, 0x7F),
            1 => rnd.Next(0, 0x10),
            2 => rnd.Next(0x70, 0x7F),
            _ => rnd.Next(6) == 0 ? rnd.Next(1, 0x7F) : 0,
        };
        return (byte)(magnitude | (style != 4 && rnd.Next(2) == 0 ? 0x80 : 0));
    }

    // Finite, nonzero or zero, exponents within [−40, 30]: inside the kernel's envelope.
    internal static float InsideAccumulator(Random rnd, bool fp16)
    {
        float x = rnd.Next(6) switch
        {
            0 => 0f,
            1 => (float)(rnd.NextDouble() - 0.5) * MathF.Pow(2, rnd.Next(-40, 30)),
            2 => -0f,
            _ => (float)(rnd.NextDouble() - 0.5) * 1000f,
        };
        return fp16 ? (float)(Half)x : x;
    }

    internal static float Accumulator(Random rnd, bool fp16)
    {
        float x = rnd.Next(9) switch
        {
            0 or 1 => 0f,
            2 => (float)(rnd.NextDouble() - 0.5) * MathF.Pow(2, rnd.Next(-30, 30)),
            3 => (float)(rnd.NextDouble() - 0.5) * 1e-40f,           // fp32 subnormal
            4 => (float)(rnd.NextDouble() - 0.5) * 120000f,          // FP16: near or past the overflow
            5 => (float)(rnd.NextDouble() - 0.5) * 1e35f,            // E beyond the kernel's envelope: the model
            6 => rnd.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
            7 => rnd.Next(10) == 0 ? float.NaN : -0f,
            _ => (float)(rnd.NextDouble() - 0.5) * 1000f,
        };
        return fp16 ? (float)(Half)x : x;
    }
}
