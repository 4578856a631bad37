using System.Collections.Concurrent;
using Sage.Numerics;

namespace Sage.Property.Tests.Numerics;

/// <summary>
/// Runs every float32 → FP8 conversion (E4M3/E5M2, satfinite/non-saturating, scalar and span) over a family of
/// inputs and compares each result with <see cref="Fp8Oracle"/>. Work is split in chunks across cores; each chunk
/// goes through the span converters in one call so their vector bodies and tails are exercised too.
/// </summary>
public static class Fp8Sweep
{
    private const int ChunkSize = 1 << 16;
    private const int MaxReported = 12;
    private const int SliceLength = 100;

    /// <summary>Checks inputs <c>inputAt(0) … inputAt(count − 1)</c>; returns a readable list of mismatches (empty when all agree).</summary>
    public static IReadOnlyList<string> Check(long count, Func<long, float> inputAt)
    {
        var failures = new ConcurrentQueue<string>();
        long chunks = (count + ChunkSize - 1) / ChunkSize;
        Parallel.For(0L, chunks, () => new Buffers(), (chunk, _, buffers) =>
        {
            long start = chunk * ChunkSize;
            int n = (int)Math.Min(ChunkSize, count - start);
            Span<float> x = buffers.Input.AsSpan(0, n);
            for (int i = 0; i < n; i++)
                x[i] = inputAt(start + i);
            CheckChunk(x, buffers, failures);
            return buffers;
        }, _ => { });
        return failures.Take(MaxReported).ToList();
    }

    /// <summary>Checks an explicit list of inputs.</summary>
    public static IReadOnlyList<string> Check(float[] inputs) => Check(inputs.Length, i => inputs[i]);

    private static void CheckChunk(ReadOnlySpan<float> x, Buffers b, ConcurrentQueue<string> failures)
    {
        int n = x.Length;
        // Slices of 100 run 64 lanes through the 512-bit body, 32 through the 256-bit body and 4 through the
        // scalar tail (on AVX-512 hardware), so every code path meets every kind of input.
        for (int start = 0; start < n; start += SliceLength)
        {
            int length = Math.Min(SliceLength, n - start);
            ReadOnlySpan<float> slice = x.Slice(start, length);
            Ptx.CvtRnSatfiniteE4M3(slice, b.E4M3Sat.AsSpan(start, length));
            Ptx.CvtRnE4M3(slice, b.E4M3NoSat.AsSpan(start, length));
            Ptx.CvtRnSatfiniteE5M2(slice, b.E5M2Sat.AsSpan(start, length));
            Ptx.CvtRnE5M2(slice, b.E5M2NoSat.AsSpan(start, length));
        }
        Fp8Oracle e4m3 = Fp8Oracle.E4M3, e5m2 = Fp8Oracle.E5M2;
        for (int i = 0; i < n && failures.IsEmpty; i++)
        {
            float v = x[i];
            byte e4m3Sat = 0x7F, e4m3NoSat = 0x7F, e5m2Sat = 0x7F, e5m2NoSat = 0x7F;
            if (!float.IsNaN(v))
            {
                int nearest = e4m3.NearestExtended(v);
                e4m3Sat = e4m3.SatFiniteFrom(v, nearest);
                e4m3NoSat = e4m3.NoSatFrom(v, nearest);
                nearest = e5m2.NearestExtended(v);
                e5m2Sat = e5m2.SatFiniteFrom(v, nearest);
                e5m2NoSat = e5m2.NoSatFrom(v, nearest);
            }
            if (Ptx.CvtRnSatfiniteE4M3(v) != e4m3Sat || b.E4M3Sat[i] != e4m3Sat
                || Ptx.CvtRnE4M3(v) != e4m3NoSat || b.E4M3NoSat[i] != e4m3NoSat
                || Ptx.CvtRnSatfiniteE5M2(v) != e5m2Sat || b.E5M2Sat[i] != e5m2Sat
                || Ptx.CvtRnE5M2(v) != e5m2NoSat || b.E5M2NoSat[i] != e5m2NoSat)
            {
                Compare("E4M3 satfinite", v, e4m3Sat, Ptx.CvtRnSatfiniteE4M3(v), b.E4M3Sat[i], failures);
                Compare("E4M3 nosat", v, e4m3NoSat, Ptx.CvtRnE4M3(v), b.E4M3NoSat[i], failures);
                Compare("E5M2 satfinite", v, e5m2Sat, Ptx.CvtRnSatfiniteE5M2(v), b.E5M2Sat[i], failures);
                Compare("E5M2 nosat", v, e5m2NoSat, Ptx.CvtRnE5M2(v), b.E5M2NoSat[i], failures);
            }
        }
    }

    private static void Compare(string what, float x, byte expected, byte scalar, byte span, ConcurrentQueue<string> failures)
    {
        if (scalar != expected || span != expected)
            failures.Enqueue($"{what}: x = {x:R} (0x{BitConverter.SingleToUInt32Bits(x):X8}) expected 0x{expected:X2}, scalar 0x{scalar:X2}, span 0x{span:X2}");
    }

    private sealed class Buffers
    {
        public readonly float[] Input = new float[ChunkSize];
        public readonly byte[] E4M3Sat = new byte[ChunkSize];
        public readonly byte[] E4M3NoSat = new byte[ChunkSize];
        public readonly byte[] E5M2Sat = new byte[ChunkSize];
        public readonly byte[] E5M2NoSat = new byte[ChunkSize];
    }
}
