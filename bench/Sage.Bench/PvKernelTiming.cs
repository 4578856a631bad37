using System.Diagnostics;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;

namespace Sage.Bench;

/// <summary>
/// `--pv [iterations]`: one thread, the two PV tile kernels (channels in lanes, <see cref="Fp8PvTileKernel"/>; rows in
/// lanes, <see cref="Fp8PvRowLaneKernel"/>) on one softmax-like 128 × 128 P tile and a random V tile (d = 128), FP16
/// two-level chains (two 64-token halves from zero): ms per tile, for comparing the kernels alone.
/// </summary>
public static class PvKernelTiming
{
    public static void Run(string[] args)
    {
        int iterations = args.Length > 1 ? int.Parse(args[1]) : 200;
        var model = TensorCoreVariants.GetFp8(PvModelSet.Fp16VariantName);
        var rnd = new Random(1);
        var p = new byte[128 * 128];
        for (int i = 0; i < p.Length; i++) p[i] = (byte)Math.Max(0, 0x38 - (int)(rnd.NextDouble() * rnd.NextDouble() * 0x40)); // P ≤ 1, as the softmax gives
        var v = new byte[128 * 128];
        for (int i = 0; i < v.Length; i++) v[i] = (byte)(rnd.Next(0x10, 0x70) | (rnd.Next(2) << 7));
        var kv = new Sage.Emulation.Preprocessing.PreparedKeyValueHead(128, 128);
        for (int t = 0; t < 128; t++)
        for (int c = 0; c < 128; c++)
            kv.ValueCodesTransposed[c * 128 + t] = v[t * 128 + c];
        kv.DeriveTokenMajorValues();
        var old = Fp8PvTileKernel.TryCreate(model)!;
        var lanes = Fp8PvRowLaneKernel.TryCreate(model)!;
        var values = new float[128 * 128];
        var exps = new sbyte[128 * 128];
        Fp8PvTileKernel.Decode(p, values, exps);
        var codesT = new byte[128 * 128];
        var valuesT = new float[128 * 128];
        var expsT = new sbyte[128 * 128];
        var acc = new float[128 * 256];
        var accT = new float[256 * 128];
        for (int round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                old.Chain(p, values, exps, 128, 0, 0, 64, kv, acc, 256, fromZero: true);
                old.Chain(p, values, exps, 128, 0, 64, 64, kv, acc.AsSpan(128), 256, fromZero: true);
            }
            double tOld = sw.Elapsed.TotalMilliseconds / iterations;
            sw.Restart();
            for (int i = 0; i < iterations; i++)
            {
                Fp8PvRowLaneKernel.TransposeCodes(p, codesT);
                Fp8PvTileKernel.Decode(codesT, valuesT, expsT);
            }
            double tTranspose = sw.Elapsed.TotalMilliseconds / iterations;
            sw.Restart();
            for (int i = 0; i < iterations; i++)
            {
                lanes.Chain(codesT, valuesT, expsT, 0, 0, 64, kv, accT, fromZero: true);
                lanes.Chain(codesT, valuesT, expsT, 0, 64, 64, kv, accT.AsSpan(128 * 128), fromZero: true);
            }
            double tNew = sw.Elapsed.TotalMilliseconds / iterations;
            bool equal = true;
            for (int r = 0; r < 128; r++)
            for (int c = 0; c < 128; c++)
                equal &= acc[r * 256 + c] == accT[c * 128 + r] && acc[r * 256 + 128 + c] == accT[128 * 128 + c * 128 + r];
            Console.WriteLine($"per tile: channels-in-lanes {tOld * 1000:F1} µs, rows-in-lanes {tNew * 1000:F1} µs (+ transpose and decode {tTranspose * 1000:F1} µs), equal {equal}");
        }
    }
}
