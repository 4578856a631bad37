using Sage.Emulation;
using Sage.Emulation.Softmax;
using Sage.Emulation.TensorCores;
using Sage.Numerics;

namespace Sage.Cli.Study;

/// <summary>
/// The SageAttention2++ question, measured with the tensor-core models verified bit for bit on the H100
/// (wgmma.e4m3.f16 / wgmma.e4m3.f32, <see cref="Fp8FusedDotModel.DotBytes"/> chains): how large may V be after its
/// per-channel scaling so that a fresh FP16 accumulator over one inner block of tokens never overflows, and what does
/// FP16 accumulation cost in accuracy against FP32?
/// </summary>
/// <remarks>
/// One output element of P·V is studied per row: P = 448·exp(s − max s) as E4M3 (the kernel's static scale; the
/// study uses the row's final max, not the running max), V one channel scaled to [−bound, bound] and stored as E4M3.
/// P's codes follow the chosen <see cref="PEncoding"/> (<see cref="PCode"/>): Exp2 rounds the exact value to nearest
/// (the kernel's MUFU.EX2 is within 2 ulp of fp32 of it, far below E4M3's step), LogLinear reads the code off the
/// argument with the kernel's two-step rule (docs/kernel-spec.md §7, "P encoding LogLinear").
/// Each inner block of tokens is a chain of k32 instructions into a zero accumulator (FP16 or FP32), and block
/// results are added in FP32, as the two-level kernels do.
/// </remarks>
public static class Fp16AccumulationStudy
{
    public const double Fp16Max = 65504;
    public const double PMax = 448;
    public const int KStep = 32;

    public static Fp8FusedDotModel Fp16Model { get; } = TensorCoreVariants.GetFp8("wgmma.e4m3.f16");
    public static Fp8FusedDotModel Fp32Model { get; } = TensorCoreVariants.GetFp8("wgmma.e4m3.f32");

    /// <summary>The kernel's FP16 block: one accumulator per 128-token K tile (docs/kernel-spec.md §8), as the emulator has it.</summary>
    public static int KernelBlockTokens => KernelTiling.Fp16BlockTokens;

    /// <summary>The kernel's V bound for FP16 accumulation (the emulator's V_MAX): the largest E4M3 value with 448·bound·128 ≤ 65504.</summary>
    public static double KernelVBound => KernelConstants.VMax(PvAccumulation.Fp16TwoLevel);

    /// <summary>SageAttention2++'s V bound, for its 64-token FP16 blocks.</summary>
    public const double SageAttention2PlusPlusVBound = 2.25;

    public static IReadOnlyList<double> StudiedBounds { get; } =
        [KernelVBound, Fp16Max / (PMax * KernelBlockTokens), 1.25, SageAttention2PlusPlusVBound, Fp16Max / (PMax * 64), 2.5, 4, 448];
    public static IReadOnlyList<int> StudiedBlocks { get; } = [32, 64, 128];

    /// <summary>Two-level accumulation of Σ p·v over <paramref name="p"/>, <paramref name="v"/> (E4M3 codes).</summary>
    public static float Accumulate(Fp8FusedDotModel model, ReadOnlySpan<byte> p, ReadOnlySpan<byte> v, int blockTokens, out bool overflow)
    {
        overflow = false;
        float total = 0;
        Span<byte> pBlock = stackalloc byte[blockTokens], vBlock = stackalloc byte[blockTokens];
        for (int start = 0; start < p.Length; start += blockTokens)
        {
            int length = Math.Min(blockTokens, p.Length - start);
            int padded = (length + KStep - 1) / KStep * KStep; // the kernel pads the last block with zeros
            pBlock.Clear();
            vBlock.Clear();
            p.Slice(start, length).CopyTo(pBlock);
            v.Slice(start, length).CopyTo(vBlock);
            float block = model.DotBytes(pBlock[..padded], vBlock[..padded], 0f);
            if (!float.IsFinite(block)) overflow = true;
            total += block;
        }
        return total;
    }

    public static double Decode(byte code) => Fp8E4M3.Decode(code);

    /// <summary>
    /// P's E4M3 code for score <paramref name="score"/> of a row whose maximum is <paramref name="max"/> (natural-log
    /// units, P = 448·exp(score − max)). Exp2: the exact value rounded to nearest (cvt.rn.satfinite). LogLinear: the
    /// scores in log2 units as floats, the base m ⊖ log2 448 rounded toward +∞, z = fma(S ⊖ base, 8, 55.5) and its code.
    /// </summary>
    public static byte PCode(double score, double max, PEncoding encoding) => encoding switch
    {
        PEncoding.Exp2 => Ptx.CvtRnSatfiniteE4M3((float)(PMax * Math.Exp(score - max))),
        PEncoding.LogLinear => LogLinearCodes.Code(LogLinearCodes.TwoStep((float)(score * KernelConstants.Log2E),
            OnlineSoftmax.BaseRoundedUp((float)(max * KernelConstants.Log2E)))),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown P encoding."),
    };

    /// <summary>Overflow counts for every studied bound and block length.</summary>
    public static IReadOnlyList<OverflowRow> OverflowTable(int randomRows = 1000, int seed = 1, PEncoding encoding = PEncoding.Exp2)
    {
        var rows = new List<OverflowRow>();
        foreach (double bound in StudiedBounds)
            foreach (int block in StudiedBlocks)
                rows.Add(Overflow(bound, block, randomRows, seed, encoding));
        return rows;
    }

    public static OverflowRow Overflow(double bound, int block, int randomRows, int seed, PEncoding encoding = PEncoding.Exp2)
    {
        byte vMax = Ptx.CvtRnSatfiniteE4M3((float)bound), pMax = Ptx.CvtRnSatfiniteE4M3((float)PMax);
        double boundE4M3 = Decode(vMax);
        var p = new byte[block];
        var v = new byte[block];
        int adversarial = 0;
        foreach (byte sign in new byte[] { 0x00, 0x80 })
        {
            Array.Fill(p, pMax);
            Array.Fill(v, (byte)(vMax | sign));
            Accumulate(Fp16Model, p, v, block, out bool overflow);
            if (overflow) adversarial++;
        }
        var random = new Random(seed);
        int sameSign = 0, softmax = 0;
        var scores = new double[block];
        for (int r = 0; r < randomRows; r++)
        {
            for (int j = 0; j < block; j++)
            {
                p[j] = PCode(-0.05 * random.NextDouble(), 0, encoding);
                v[j] = Ptx.CvtRnSatfiniteE4M3((float)(boundE4M3 * random.NextDouble()));
            }
            Accumulate(Fp16Model, p, v, block, out bool overflow);
            if (overflow) sameSign++;

            for (int j = 0; j < block; j++) scores[j] = Gaussian(random);
            double max = scores.Max();
            for (int j = 0; j < block; j++)
            {
                p[j] = PCode(scores[j], max, encoding);
                v[j] = Ptx.CvtRnSatfiniteE4M3((float)(boundE4M3 * (2 * random.NextDouble() - 1)));
            }
            Accumulate(Fp16Model, p, v, block, out overflow);
            if (overflow) softmax++;
        }
        return new OverflowRow(bound, boundE4M3, block, PMax * boundE4M3 * block, adversarial, sameSign, softmax, randomRows);
    }

    /// <summary>For each block length, the largest positive E4M3 value whose adversarial block (P = 448, V = it) stays finite.</summary>
    public static IReadOnlyList<SafeBoundRow> LargestSafeBounds()
    {
        var rows = new List<SafeBoundRow>();
        byte pMax = Ptx.CvtRnSatfiniteE4M3((float)PMax);
        foreach (int block in StudiedBlocks)
        {
            var p = Enumerable.Repeat(pMax, block).ToArray();
            var v = new byte[block];
            byte largest = 0;
            for (byte code = 1; code < 0x7F; code++) // positive finite E4M3 codes, ascending in value
            {
                Array.Fill(v, code);
                Accumulate(Fp16Model, p, v, block, out bool overflow);
                if (overflow) break;
                largest = code;
            }
            rows.Add(new SafeBoundRow(block, Decode(largest), Decode((byte)(largest + 1)), Fp16Max / (PMax * block)));
        }
        return rows;
    }

    /// <summary>The error sweep: sequence length × score spread × V distribution × block length × accumulator.</summary>
    public static IReadOnlyList<ErrorRow> ErrorSweep(IReadOnlyList<int>? sequenceLengths = null, int rowsPerPoint = 8, int seed = 2,
        PEncoding encoding = PEncoding.Exp2)
    {
        sequenceLengths ??= [256, 1024, 4096, 16384];
        double[] sigmas = [0, 0.25, 1, 4]; // σ = 0: uniform attention, every P at 448 (the flat worst case)
        string[] vDistributions = ["gaussian", "biased +8σ"];
        var points = (from n in sequenceLengths from s in sigmas from vd in vDistributions select (n, s, vd)).ToArray();
        var results = new List<ErrorRow>[points.Length];
        Parallel.For(0, points.Length, i =>
        {
            var (n, sigma, vd) = points[i];
            results[i] = SweepPoint(n, sigma, vd, rowsPerPoint, seed + i, encoding);
        });
        return results.SelectMany(r => r).ToArray();
    }

    private static List<ErrorRow> SweepPoint(int n, double sigma, string vDistribution, int rowsPerPoint, int seed, PEncoding encoding)
    {
        var random = new Random(seed);
        var configurations = new List<(string Accumulator, Fp8FusedDotModel Model, double Bound, int Block)>();
        foreach (int block in StudiedBlocks)
        {
            configurations.Add(("fp16", Fp16Model, SageAttention2PlusPlusVBound, block));
            configurations.Add(("fp32", Fp32Model, 448, block));
        }
        // The kernel's configuration: one FP16 accumulator per 128-token tile, V scaled to 1.125.
        configurations.Add(("fp16", Fp16Model, KernelVBound, KernelBlockTokens));
        var sums = new (double Acc, double MaxAcc, double Total, double Normalized, int Overflows)[configurations.Count];
        var scores = new double[n];
        var pExact = new double[n];
        var vExact = new double[n];
        var p = new byte[n];
        var v = new byte[n];
        for (int r = 0; r < rowsPerPoint; r++)
        {
            for (int j = 0; j < n; j++) scores[j] = sigma * Gaussian(random);
            double max = scores.Max();
            for (int j = 0; j < n; j++)
            {
                pExact[j] = PMax * Math.Exp(scores[j] - max);
                p[j] = PCode(scores[j], max, encoding);
                vExact[j] = Gaussian(random) + (vDistribution == "gaussian" ? 0 : 8);
            }
            double vAbsMax = vExact.Max(Math.Abs), trueSum = 0, trueAbs = 0, trueL = 0, codedL = 0;
            for (int j = 0; j < n; j++)
            {
                trueSum += pExact[j] * vExact[j];
                trueAbs += Math.Abs(pExact[j] * vExact[j]);
                trueL += pExact[j];
                codedL += Decode(p[j]); // the kernel's row sum l adds the same codes (the row-sum column, spec §8)
            }
            for (int c = 0; c < configurations.Count; c++)
            {
                var (_, model, bound, block) = configurations[c];
                double scale = vAbsMax / bound;
                double exactQ = 0, absQ = 0;
                for (int j = 0; j < n; j++)
                {
                    v[j] = Ptx.CvtRnSatfiniteE4M3((float)(vExact[j] / scale));
                    double product = Decode(p[j]) * Decode(v[j]);
                    exactQ += product;
                    absQ += Math.Abs(product);
                }
                float acc = Accumulate(model, p, v, block, out bool overflow);
                double accError = Math.Abs(acc - exactQ) / absQ;
                double totalError = Math.Abs(acc * scale - trueSum) / trueAbs;
                // The output the kernel returns is acc·scale / l over the same codes: a bias shared by every P (LogLinear's
                // codes all sit at or above the exact values) cancels there, not in the unnormalised sum.
                double normalizedError = Math.Abs(acc * scale / codedL - trueSum / trueL) / (trueAbs / trueL);
                var s = sums[c];
                // An overflowed row has no error to average (it is ±inf or NaN): it is counted instead.
                sums[c] = overflow
                    ? s with { Overflows = s.Overflows + 1 }
                    : (s.Acc + accError, Math.Max(s.MaxAcc, accError), s.Total + totalError, s.Normalized + normalizedError, s.Overflows);
            }
        }
        var rows = new List<ErrorRow>();
        for (int c = 0; c < configurations.Count; c++)
        {
            var (name, _, bound, block) = configurations[c];
            var s = sums[c];
            int finite = rowsPerPoint - s.Overflows;
            double Mean(double sum) => finite == 0 ? double.NaN : sum / finite;
            rows.Add(new ErrorRow(n, sigma, vDistribution, block, name, bound, Mean(s.Acc), finite == 0 ? double.NaN : s.MaxAcc,
                Mean(s.Total), Mean(s.Normalized), s.Overflows, rowsPerPoint, encoding));
        }
        return rows;
    }

    /// <summary>Standard normal sample (Box–Muller), from a seeded System.Random so runs repeat exactly.</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
