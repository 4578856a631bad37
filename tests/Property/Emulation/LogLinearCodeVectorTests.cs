using System.Runtime.Intrinsics;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised codes (<see cref="LogLinearCodes.Encode(ReadOnlySpan{float}, Span{byte})"/>, both fp16 roundings done in
/// fp32 arithmetic, <see cref="LogLinearCodes.CodeVector"/>) equal the scalar definition <see cref="LogLinearCodes.Code"/>
/// bit for bit: on every edge float, on a stride of all 2^32 bit patterns, and (explicit test) on every one of them.
/// </summary>
public class LogLinearCodeVectorTests
{
    [Fact]
    public void SpanCodesEqualTheScalarCodeOnEdgeFloats()
    {
        var z = LogLinearEdgeFloats.All;
        var codes = new byte[z.Length];
        LogLinearCodes.Encode(z, codes);
        for (int i = 0; i < z.Length; i++)
            if (codes[i] != LogLinearCodes.Code(z[i]))
                Assert.Fail($"z = {z[i]:R} (0x{BitConverter.SingleToUInt32Bits(z[i]):X8}): span {codes[i]}, scalar {LogLinearCodes.Code(z[i])}");
    }

    [Fact]
    public void VectorCodeEqualsTheScalarCodeInEveryLane()
    {
        // CodeVector directly (also where the span method would take its scalar tail), 16 different lanes at a time.
        var z = LogLinearEdgeFloats.All;
        for (int i = 0; i + 16 <= z.Length; i += 16)
        {
            var c = LogLinearCodes.CodeVector(Vector512.Create(z.AsSpan(i, 16)));
            for (int lane = 0; lane < 16; lane++)
                if (c[lane] != LogLinearCodes.Code(z[i + lane]))
                    Assert.Fail($"z = {z[i + lane]:R}: lane {lane} {c[lane]}, scalar {LogLinearCodes.Code(z[i + lane])}");
        }
    }

    [Fact]
    public void SpanCodesEqualTheScalarCodeOnAStrideOfAllBitPatterns() => CompareRange(stride: 257);

    /// <summary>All 2^32 bit patterns (tens of seconds on two cores; run explicitly).</summary>
    [Fact(Explicit = true)]
    public void SpanCodesEqualTheScalarCodeOnEveryBitPattern() => CompareRange(stride: 1);

    [Fact]
    public void SpanLengthsThatAreNoMultipleOf64TakeTheScalarTail()
    {
        var rnd = new Random(7);
        foreach (int n in new[] { 0, 1, 15, 63, 65, 127, 128, 130 })
        {
            var z = new float[n];
            for (int i = 0; i < n; i++) z[i] = (float)(rnd.NextDouble() * 140 - 10);
            var codes = new byte[n + 3];
            LogLinearCodes.Encode(z, codes);
            for (int i = 0; i < n; i++) Assert.Equal(LogLinearCodes.Code(z[i]), codes[i]);
            Assert.All(codes.Skip(n), b => Assert.Equal(0, b));
        }
        Assert.Equal("codes", Assert.Throws<ArgumentException>(() => LogLinearCodes.Encode(new float[64], new byte[63])).ParamName);
    }

    private static void CompareRange(uint stride)
    {
        const int Batch = 1 << 16;
        long count = ((1L << 32) + stride - 1) / stride;
        long batches = (count + Batch - 1) / Batch;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Parallel.For(0L, batches, () => (z: new float[Batch], c: new byte[Batch]), (b, _, buffers) =>
        {
            if (!failures.IsEmpty) return buffers;
            int n = (int)Math.Min(Batch, count - b * Batch);
            for (int i = 0; i < n; i++) buffers.z[i] = BitConverter.UInt32BitsToSingle((uint)((b * Batch + i) * stride));
            LogLinearCodes.Encode(buffers.z.AsSpan(0, n), buffers.c);
            for (int i = 0; i < n; i++)
                if (buffers.c[i] != LogLinearCodes.Code(buffers.z[i]))
                {
                    failures.Enqueue($"0x{BitConverter.SingleToUInt32Bits(buffers.z[i]):X8}: span {buffers.c[i]}, scalar {LogLinearCodes.Code(buffers.z[i])}");
                    break;
                }
            return buffers;
        }, _ => { });
        Assert.True(failures.IsEmpty, string.Join("; ", failures.Take(5)));
    }
}
