namespace Sage.Emulation.TensorCores;

/// <summary>
/// The probes' case generator, bit-identical to the nvcc harness's gen.h (docs/results/tensor-cores-2026-11-25.md):
/// the device run writes only the outputs of its 10^6 random cases per variant; the inputs are regenerated here
/// from (seed, index) and must match bit for bit (the first 512 cases of each variant are recorded with their
/// inputs to prove it). Modes stress the models: 0 uniform, 1 narrow exponent band, 2 wide spread with zeros,
/// 3 subnormal-heavy, 4 cancelling pairs (a[i+K/2] = −a[i]), 5 sparse, 6 largest exponents (FP16 overflow),
/// 7 one dominant product; C: zero, −Σ (cancellation), scaled Σ, random, tiny/subnormal, huge, Σ with noisy low
/// bits, −Σ ± 1 ulp (FP16: near 65504, subnormal).
/// </summary>
public static class ProbeCaseGenerator
{
    public const int E4M3 = 0, E5M2 = 1;

    private struct Rng(ulong seed, ulong index)
    {
        private ulong _s = unchecked(seed * 0xD1B54A32D192ED03UL + index);

        public ulong Next()
        {
            unchecked
            {
                _s += 0x9E3779B97F4A7C15UL;
                ulong z = _s;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }
        }
    }

    public static double Fp8Value(int fmt, byte b)
    {
        int s = b >> 7, sig, e;
        double v;
        if (fmt == E4M3)
        {
            int ef = (b >> 3) & 15, m = b & 7;
            sig = ef == 0 ? m : 8 + m; e = ef == 0 ? -6 : ef - 7;
            v = Math.ScaleB((double)sig, e - 3);
        }
        else
        {
            int ef = (b >> 2) & 31, m = b & 3;
            sig = ef == 0 ? m : 4 + m; e = ef == 0 ? -14 : ef - 15;
            v = Math.ScaleB((double)sig, e - 2);
        }
        return s != 0 ? -v : v;
    }

    private static byte Make(int fmt, int sign, int ef, int m)
    {
        if (fmt == E4M3)
        {
            if (ef == 15 && m == 7) m = 6;
            return (byte)((sign << 7) | (ef << 3) | m);
        }
        return (byte)((sign << 7) | (ef << 2) | m);
    }

    private static byte Elem(int fmt, int mode, ulong x, ulong @base, int idx, int k)
    {
        int emax = fmt == E4M3 ? 15 : 30;
        int mmask = fmt == E4M3 ? 7 : 3;
        int sign = (int)(x & 1);
        int m = (int)((x >> 1) & (ulong)mmask);
        ulong u = x >> 8;
        int e;
        switch (mode)
        {
            case 1: e = 1 + (int)(@base % (ulong)(emax - 1)) + (int)(u % 2); break;
            case 2: if (u % 4 == 0) return 0; e = (int)((u / 4) % (ulong)(emax + 1)); break;
            case 3: e = (u % 2 == 0) ? 0 : 1 + (int)((u / 2) % 3); break;
            case 5: if (u % 8 != 0) return 0; e = (int)((u / 8) % (ulong)(emax + 1)); break;
            case 6: e = emax - (int)(u % 3); break;
            case 7: e = (idx == (int)(@base % (ulong)k)) ? emax : 1 + (int)(u % 4); break;
            default: e = (int)(u % (ulong)(emax + 1)); break;
        }
        return Make(fmt, sign, e, m);
    }

    private static uint F2U(float f) => BitConverter.SingleToUInt32Bits(f);

    private static ushort HalfRneFinite(double v)
    {
        ushort bits = BitConverter.HalfToUInt16Bits((Half)(float)v);
        if ((bits & 0x7C00) == 0x7C00) bits = (ushort)((bits & 0x8000) | 0x7BFF);
        return bits;
    }

    /// <summary>One FP8 case: a[K], b[K] bytes and C (float bits, or FP16 bits when <paramref name="accF16"/>).</summary>
    public static void Fp8Case(int fmt, int k, bool accF16, ulong seed, ulong index, Span<byte> a, Span<byte> b, out uint c)
    {
        var rng = new Rng(seed, index);
        ulong r = rng.Next();
        int mode = (int)(r % 8), cmode = (int)((r >> 8) % 8);
        ulong @base = r >> 16;
        if (mode == 4)
        {
            for (int i = 0; i < k / 2; i++)
            {
                a[i] = Elem(fmt, 1, rng.Next(), @base, i, k);
                b[i] = Elem(fmt, 1, rng.Next(), @base, i, k);
                a[i + k / 2] = (byte)(a[i] ^ 0x80);
                b[i + k / 2] = b[i];
            }
            ulong r2 = rng.Next();
            a[(int)(r2 % (ulong)k)] = Elem(fmt, 0, rng.Next(), @base, 0, k);
        }
        else
        {
            for (int i = 0; i < k; i++)
            {
                a[i] = Elem(fmt, mode, rng.Next(), @base, i, k);
                b[i] = Elem(fmt, mode, rng.Next(), @base, i, k);
            }
        }
        double s = 0;
        for (int i = 0; i < k; i++) s += Fp8Value(fmt, a[i]) * Fp8Value(fmt, b[i]);
        ulong y = rng.Next();
        uint sign = (uint)(y >> 63);
        if (!accF16)
        {
            c = cmode switch
            {
                0 => 0,
                1 => F2U((float)(-s)),
                2 => F2U((float)Math.ScaleB(s, (int)(y % 16) - 8)),
                3 => (sign << 31) | ((uint)(100 + (y >> 32) % 61) << 23) | (uint)(y & 0x7FFFFF),
                4 => (sign << 31) | ((uint)((y >> 32) % 40) << 23) | (uint)(y & 0x7FFFFF),
                5 => (sign << 31) | ((uint)(200 + (y >> 32) % 54) << 23) | (uint)(y & 0x7FFFFF),
                6 => s == 0 ? (uint)(y & 0x3FFF) : (F2U((float)s) ^ (uint)(y & 0x3FFF)),
                _ => F2U((float)(-s)) ^ (uint)(y & 1),
            };
        }
        else
        {
            ushort h;
            switch (cmode)
            {
                case 0: h = 0; break;
                case 1: h = HalfRneFinite(-s); break;
                case 2: h = HalfRneFinite(Math.ScaleB(s, (int)(y % 8) - 4)); break;
                case 3: h = (ushort)((sign << 15) | ((uint)((y >> 32) % 31) << 10) | (uint)(y & 0x3FF)); break;
                case 4: h = (ushort)((sign << 15) | ((uint)(29 + (y >> 32) % 2) << 10) | (uint)(y & 0x3FF)); break;
                case 5: h = (ushort)((sign << 15) | (uint)(y & 0x3FF)); break;
                case 6: h = (ushort)(HalfRneFinite(s) ^ (ushort)(y & 7)); if ((h & 0x7C00) == 0x7C00) h = (ushort)(h & 0x83FF); break;
                default: h = (ushort)(HalfRneFinite(-s) ^ (ushort)(y & 1)); break;
            }
            c = h;
        }
    }

    /// <summary>One s8 case: a[K], b[K] and C.</summary>
    public static void S8Case(int k, ulong seed, ulong index, Span<sbyte> a, Span<sbyte> b, out int c)
    {
        var rng = new Rng(seed, index);
        ulong r = rng.Next();
        int mode = (int)(r % 4), cmode = (int)((r >> 8) % 4);
        ReadOnlySpan<sbyte> ext = [-128, 127, -127, 0];
        for (int i = 0; i < 2 * k; i++)
        {
            ulong x = rng.Next();
            sbyte v = mode switch
            {
                1 => (x % 4 == 3) ? unchecked((sbyte)(x >> 8)) : ext[(int)(x % 3)],
                2 => (sbyte)((int)(x % 9) - 4),
                3 => (x % 2) != 0 ? (sbyte)-128 : unchecked((sbyte)(x >> 8)),
                _ => unchecked((sbyte)(x >> 8)),
            };
            if (i < k) a[i] = v; else b[i - k] = v;
        }
        ulong y = rng.Next();
        c = cmode switch
        {
            0 => 0,
            1 => unchecked((int)(uint)y),
            2 => unchecked((int)(0x7FFFFFFFu - (uint)(y % (1u << 20)))),
            _ => unchecked((int)(0x80000000u + (uint)(y % (1u << 20)))),
        };
    }
}
