using FsCheck.Xunit;
using Sage.Numerics;

namespace Sage.Property.Tests.Numerics;

/// <summary>Algebraic properties of the FP8 conversions over FsCheck-generated inputs (NaN inputs are excluded where the property is about order or magnitude).</summary>
public class Fp8Properties
{
    private static readonly Func<float, byte>[] SatFinite = [Ptx.CvtRnSatfiniteE4M3, Ptx.CvtRnSatfiniteE5M2];
    private static readonly Func<float, byte>[] All = [Ptx.CvtRnSatfiniteE4M3, Ptx.CvtRnE4M3, Ptx.CvtRnSatfiniteE5M2, Ptx.CvtRnE5M2];

    private static float DecodeFor(int converter, byte code) => converter < 2 ? Fp8E4M3.Decode(code) : Fp8E5M2.Decode(code);

    [Property(MaxTest = 2000)]
    public bool SatFiniteIsMonotone(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return true;
        (float lo, float hi) = a <= b ? (a, b) : (b, a);
        return Fp8E4M3.Decode(Ptx.CvtRnSatfiniteE4M3(lo)) <= Fp8E4M3.Decode(Ptx.CvtRnSatfiniteE4M3(hi))
            && Fp8E5M2.Decode(Ptx.CvtRnSatfiniteE5M2(lo)) <= Fp8E5M2.Decode(Ptx.CvtRnSatfiniteE5M2(hi));
    }

    /// <summary>Neighbouring floats (a few ulps apart) are where a monotonicity bug would hide.</summary>
    [Property(MaxTest = 5000)]
    public bool NoSatIsMonotoneOnNeighbours(float a, byte ulps)
    {
        if (!float.IsFinite(a)) return true;
        float b = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(MathF.Abs(a)) + ulps);
        if (!float.IsFinite(b)) return true;
        float fa = Fp8E4M3.Decode(Ptx.CvtRnE4M3(MathF.Abs(a))), fb = Fp8E4M3.Decode(Ptx.CvtRnE4M3(b));
        bool e4m3 = float.IsNaN(fb) || (!float.IsNaN(fa) && fa <= fb); // once overflowed to NaN, it stays NaN
        return e4m3 && Fp8E5M2.Decode(Ptx.CvtRnE5M2(MathF.Abs(a))) <= Fp8E5M2.Decode(Ptx.CvtRnE5M2(b));
    }

    [Property]
    public bool DecodeThenEncodeIsIdentityOnCodes(byte code)
    {
        bool e4m3 = Fp8E4M3.IsNaN(code)
            || (Ptx.CvtRnSatfiniteE4M3(Fp8E4M3.Decode(code)) == code && Ptx.CvtRnE4M3(Fp8E4M3.Decode(code)) == code);
        bool e5m2 = Fp8E5M2.IsNaN(code)
            || (Ptx.CvtRnE5M2(Fp8E5M2.Decode(code)) == code
                && Ptx.CvtRnSatfiniteE5M2(Fp8E5M2.Decode(code)) == ((code & 0x7F) == Fp8E5M2.InfinityCode ? code - 1 : code));
        return e4m3 && e5m2;
    }

    [Property(MaxTest = 2000)]
    public bool SatFiniteNeverLeavesTheFiniteRange(float x)
    {
        if (float.IsNaN(x)) return Ptx.CvtRnSatfiniteE4M3(x) == 0x7F && Ptx.CvtRnSatfiniteE5M2(x) == 0x7F;
        float e4m3 = Fp8E4M3.Decode(Ptx.CvtRnSatfiniteE4M3(x)), e5m2 = Fp8E5M2.Decode(Ptx.CvtRnSatfiniteE5M2(x));
        return MathF.Abs(e4m3) <= Fp8E4M3.MaxFinite && MathF.Abs(e5m2) <= Fp8E5M2.MaxFinite
            && (MathF.Abs(x) < Fp8E4M3.MaxFinite || MathF.Abs(e4m3) == Fp8E4M3.MaxFinite)
            && (MathF.Abs(x) < Fp8E5M2.MaxFinite || MathF.Abs(e5m2) == Fp8E5M2.MaxFinite);
    }

    [Property(MaxTest = 2000)]
    public bool NegationFlipsOnlyTheSignBit(float x)
    {
        if (float.IsNaN(x)) return true;
        return All.All(convert => convert(-x) == (convert(x) ^ 0x80));
    }

    [Property(MaxTest = 2000)]
    public bool ResultIsNoFartherThanEitherNeighbour(float x)
    {
        if (!float.IsFinite(x) || MathF.Abs(x) > 440f) return true;
        for (int i = 0; i < SatFinite.Length; i++)
        {
            byte code = SatFinite[i](x);
            double error = Math.Abs(x - (double)DecodeFor(2 * i, code));
            foreach (int neighbour in new[] { code - 1, code + 1 }) // any finite code is a valid competitor
            {
                float value = DecodeFor(2 * i, (byte)neighbour);
                if (float.IsFinite(value) && Math.Abs(x - (double)value) < error) return false;
            }
        }
        return true;
    }
}
