using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// The register-blocked float64 GEMM micro-kernel that both <see cref="ScoreKernel"/> and <see cref="ValueKernel"/>
/// run: <see cref="Rows"/> rows of A against 4 vectors of B columns, one broadcast-FMA chain per output element,
/// written once for any vector width (<see cref="Lanes512"/>, <see cref="Lanes256"/>).
/// </summary>
/// <remarks>
/// c[r, i] = scale · fma(a[r, n−1], b[n−1, i], … fma(a[r, 0], b[0, i], c₀[r, i])), with c₀ = c when accumulating and
/// +0 otherwise: the chain runs t = 0, 1, …, n − 1 whatever the width, so the two widths give the same bits. A scale
/// of 1 is exact (x · 1 = x for every value the chain can produce, including −0, ±∞ and quiet NaN).
/// Why our own lane interface and not <c>System.Runtime.Intrinsics.ISimdVector&lt;TSelf, T&gt;</c>: that interface is
/// internal to CoreLib in .NET 10 (and the vectors' generic-math operator interfaces are not in the reference
/// assemblies). Loads, stores and the width work for any vector struct (unaligned reads and writes, as LoadUnsafe and
/// StoreUnsafe do); broadcast, fma and × get a three-member shim per width whose static calls the JIT inlines. The
/// kernel is instantiated over structs, hence compiled separately per width, as if written out by hand.
/// </remarks>
internal static class FmaTile
{
    /// <summary>Rows of A (and of C) per call.</summary>
    public const int Rows = 4;

    /// <summary>
    /// The tile at <paramref name="c"/> (rows <paramref name="cStride"/> apart, 4 vectors of columns) from
    /// <paramref name="depth"/> columns of A (rows <paramref name="aStride"/> apart) and as many rows of B
    /// (<paramref name="bStride"/> apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    public static void Run<TLanes, TVector>(ref double a, nint aStride, ref double b, nint bStride, int depth,
        ref double c, nint cStride, bool accumulate, double scale)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        nuint w = (nuint)(Unsafe.SizeOf<TVector>() / sizeof(double));
        ref double c1 = ref Unsafe.Add(ref c, cStride), c2 = ref Unsafe.Add(ref c, 2 * cStride), c3 = ref Unsafe.Add(ref c, 3 * cStride);
        TVector a00 = default, a01 = default, a02 = default, a03 = default;
        TVector a10 = default, a11 = default, a12 = default, a13 = default;
        TVector a20 = default, a21 = default, a22 = default, a23 = default;
        TVector a30 = default, a31 = default, a32 = default, a33 = default;
        if (accumulate)
        {
            a00 = Load<TVector>(ref c, 0); a01 = Load<TVector>(ref c, w); a02 = Load<TVector>(ref c, 2 * w); a03 = Load<TVector>(ref c, 3 * w);
            a10 = Load<TVector>(ref c1, 0); a11 = Load<TVector>(ref c1, w); a12 = Load<TVector>(ref c1, 2 * w); a13 = Load<TVector>(ref c1, 3 * w);
            a20 = Load<TVector>(ref c2, 0); a21 = Load<TVector>(ref c2, w); a22 = Load<TVector>(ref c2, 2 * w); a23 = Load<TVector>(ref c2, 3 * w);
            a30 = Load<TVector>(ref c3, 0); a31 = Load<TVector>(ref c3, w); a32 = Load<TVector>(ref c3, 2 * w); a33 = Load<TVector>(ref c3, 3 * w);
        }
        ref double r0 = ref a, r1 = ref Unsafe.Add(ref a, aStride), r2 = ref Unsafe.Add(ref a, 2 * aStride), r3 = ref Unsafe.Add(ref a, 3 * aStride);
        for (int t = 0; t < depth; t++)
        {
            ref double bt = ref Unsafe.Add(ref b, t * bStride);
            var b0 = Load<TVector>(ref bt, 0);
            var b1 = Load<TVector>(ref bt, w);
            var b2 = Load<TVector>(ref bt, 2 * w);
            var b3 = Load<TVector>(ref bt, 3 * w);
            var x = TLanes.Broadcast(Unsafe.Add(ref r0, t));
            a00 = TLanes.FusedMultiplyAdd(x, b0, a00); a01 = TLanes.FusedMultiplyAdd(x, b1, a01);
            a02 = TLanes.FusedMultiplyAdd(x, b2, a02); a03 = TLanes.FusedMultiplyAdd(x, b3, a03);
            x = TLanes.Broadcast(Unsafe.Add(ref r1, t));
            a10 = TLanes.FusedMultiplyAdd(x, b0, a10); a11 = TLanes.FusedMultiplyAdd(x, b1, a11);
            a12 = TLanes.FusedMultiplyAdd(x, b2, a12); a13 = TLanes.FusedMultiplyAdd(x, b3, a13);
            x = TLanes.Broadcast(Unsafe.Add(ref r2, t));
            a20 = TLanes.FusedMultiplyAdd(x, b0, a20); a21 = TLanes.FusedMultiplyAdd(x, b1, a21);
            a22 = TLanes.FusedMultiplyAdd(x, b2, a22); a23 = TLanes.FusedMultiplyAdd(x, b3, a23);
            x = TLanes.Broadcast(Unsafe.Add(ref r3, t));
            a30 = TLanes.FusedMultiplyAdd(x, b0, a30); a31 = TLanes.FusedMultiplyAdd(x, b1, a31);
            a32 = TLanes.FusedMultiplyAdd(x, b2, a32); a33 = TLanes.FusedMultiplyAdd(x, b3, a33);
        }
        var s = TLanes.Broadcast(scale);
        Store(TLanes.Multiply(a00, s), ref c, 0); Store(TLanes.Multiply(a01, s), ref c, w);
        Store(TLanes.Multiply(a02, s), ref c, 2 * w); Store(TLanes.Multiply(a03, s), ref c, 3 * w);
        Store(TLanes.Multiply(a10, s), ref c1, 0); Store(TLanes.Multiply(a11, s), ref c1, w);
        Store(TLanes.Multiply(a12, s), ref c1, 2 * w); Store(TLanes.Multiply(a13, s), ref c1, 3 * w);
        Store(TLanes.Multiply(a20, s), ref c2, 0); Store(TLanes.Multiply(a21, s), ref c2, w);
        Store(TLanes.Multiply(a22, s), ref c2, 2 * w); Store(TLanes.Multiply(a23, s), ref c2, 3 * w);
        Store(TLanes.Multiply(a30, s), ref c3, 0); Store(TLanes.Multiply(a31, s), ref c3, w);
        Store(TLanes.Multiply(a32, s), ref c3, 2 * w); Store(TLanes.Multiply(a33, s), ref c3, 3 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // what Vector512/256.LoadUnsafe do, for any width
    private static TVector Load<TVector>(ref double source, nuint offset) where TVector : struct =>
        Unsafe.ReadUnaligned<TVector>(ref Unsafe.As<double, byte>(ref Unsafe.Add(ref source, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TVector>(TVector value, ref double destination, nuint offset) where TVector : struct =>
        Unsafe.WriteUnaligned(ref Unsafe.As<double, byte>(ref Unsafe.Add(ref destination, offset)), value);

    /// <summary>What has no width-generic public form in .NET 10: broadcast, fused multiply-add, multiply.</summary>
    public interface ILanes<TVector> where TVector : struct
    {
        static abstract TVector Broadcast(double value);
        /// <summary>a · b + addend rounded once (IEEE fma): the chain's only rounding per step.</summary>
        static abstract TVector FusedMultiplyAdd(TVector a, TVector b, TVector addend);
        static abstract TVector Multiply(TVector a, TVector b);
    }

    /// <summary>8 doubles per vector (AVX-512).</summary>
    public readonly struct Lanes512 : ILanes<Vector512<double>>
    {
        public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
        public static Vector512<double> FusedMultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
        public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    }

    /// <summary>4 doubles per vector (AVX2 + FMA).</summary>
    public readonly struct Lanes256 : ILanes<Vector256<double>>
    {
        public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
        public static Vector256<double> FusedMultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
        public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    }
}
