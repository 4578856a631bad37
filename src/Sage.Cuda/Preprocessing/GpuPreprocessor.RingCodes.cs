using Sage.Cuda.Interop;

namespace Sage.Cuda.Preprocessing;

// Launch 3 as a ring (preprocess_codes_ring.cuh): the switch, where it applies, and its launch.
public sealed partial class GpuPreprocessor
{
    /// <summary>
    /// Environment variable choosing launch 3's schedule where V goes in one pass: unset, empty or "ring"
    /// (preprocess_quantize_kv_ring_*: one CTA per SM, the rows of six items in flight through the copy engine into
    /// shared memory, three teams of 256 threads working on them) wherever <see cref="RingCodesApply"/> says it can;
    /// "per-tile" keeps one item per CTA with its rows loaded into registers (preprocess_quantize_kv_onepass_*). Same
    /// items, same arithmetic, same bytes (RingCodesTests). H100, session 32 (docs/results/gpu-run-session32-2026-11-27.md):
    /// the pre-processing at 2K d = 128 0.178-0.183 → 0.164-0.169 ms.
    /// </summary>
    public const string CodesEnvironmentVariable = "SAGE_PREPROCESS_CODES";

    internal enum CodesSchedule { Ring, PerTile }

    /// <summary>The choice of this instance (<see cref="CodesEnvironmentVariable"/>; tests set it).</summary>
    internal CodesSchedule CodesChoice { get; set; } = CodesSelected(Environment.GetEnvironmentVariable(CodesEnvironmentVariable));

    internal static CodesSchedule CodesSelected(string? value) =>
        ScheduleSwitch.Select(CodesEnvironmentVariable, value, ("ring", CodesSchedule.Ring), ("per-tile", CodesSchedule.PerTile));

    /// <summary>Bytes of one ring stage (SAGE_RING_STAGE_BYTES: a V item, every token of 8 channels).</summary>
    internal const int RingStageBytes = 32768;

    /// <summary>
    /// The ring's stages, consumer teams and threads per team (SAGE_RING_STAGES, SAGE_RING_TEAMS, SAGE_RING_TEAM_THREADS of
    /// preprocess_codes_ring.cuh, 6, 3 and 256 unless <see cref="DefinesEnvironmentVariable"/> sets them for an A/B run),
    /// hence its threads and shared memory.
    /// </summary>
    internal readonly record struct RingShape(int Stages, int Teams, int TeamThreads = 256)
    {
        public static RingShape Default => new(6, 3, 256);

        public int Threads => TeamThreads * Teams + 32;

        public int SharedMemoryBytes => Stages * RingStageBytes;

        private const int MaxBlockThreads = 1024;

        public static RingShape Of(IReadOnlyList<string> defines)
        {
            // The items as KernelDefines.Parse gives them to NVRTC: "-DSAGE_NAME=VALUE".
            static int? Value(IReadOnlyList<string> defines, string name) => defines
                .Select(d => (d.StartsWith("-D", StringComparison.Ordinal) ? d[2..] : d).Split('=', 2))
                .Where(p => p.Length == 2 && p[0] == name)
                .Select(p => int.TryParse(p[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0
                    ? (int?)n
                    : throw new ArgumentException($"{DefinesEnvironmentVariable}: {name}={p[1]}; expected a positive number (the host sizes the ring's launch from it)."))
                .LastOrDefault();
            var shape = new RingShape(Value(defines, "SAGE_RING_STAGES") ?? Default.Stages, Value(defines, "SAGE_RING_TEAMS") ?? Default.Teams,
                Value(defines, "SAGE_RING_TEAM_THREADS") ?? Default.TeamThreads);
            // A block holds at most 1,024 threads: the launch would fail with CUDA_ERROR_INVALID_VALUE (session 51 asked
            // for four teams of 256, 1,056 threads).
            return shape.Threads <= MaxBlockThreads ? shape
                : throw new ArgumentException($"{DefinesEnvironmentVariable}: SAGE_RING_TEAMS={shape.Teams} teams of SAGE_RING_TEAM_THREADS=" +
                    $"{shape.TeamThreads} and the producer warp make {shape.Threads} threads; a block holds at most {MaxBlockThreads}.");
        }
    }

    private readonly RingShape _ring; // RingShape.Of the instance's SAGE_PREPROCESS_DEFINES (constructor)

    /// <summary>
    /// Whether launch 3 can run as a ring: V in one pass (<paramref name="onePassValues"/>: 16-bit inputs, SmoothK, no SmoothV,
    /// at most 2048 padded tokens), no SmoothQ (the ring writes no K̃), and boxes the copy engine can take: a K tile is one
    /// box of one head's rows and a V item eight, over a rank-2 map of the rows in the HND layout or a rank-3 map (token,
    /// head, byte) in the NHD layout; at least 256 rows along the boxes' token axis (the largest box: B·Hkv·Nk rows in HND,
    /// B·Nk tokens in NHD) and fewer than 2^31 (the kernel's coordinates), both tensors 16-byte aligned (the copy engine's
    /// requirement).
    /// </summary>
    internal static bool RingCodesApply(AttentionProblem problem, SageOptions options, DeviceTensor k, DeviceTensor v, bool onePassValues)
    {
        var s = problem.Shape;
        long rows = problem.Layout == TensorLayout.HND ? (long)s.Batch * s.KeyValueHeads * s.KeyLength : (long)s.Batch * s.KeyLength;
        return onePassValues && !options.SmoothQ && rows >= 256 && rows <= int.MaxValue && k.Pointer % 16 == 0 && v.Pointer % 16 == 0;
    }

    /// <summary>
    /// Environment variable for probes: at most this many ring CTAs (one per SM), so that the ring's rate on fewer SMs can
    /// be timed (the question behind a producer beside the main loop); unset or empty: one per SM.
    /// </summary>
    public const string RingCtasEnvironmentVariable = "SAGE_PREPROCESS_RING_CTAS";

    /// <summary>The cap of this instance (<see cref="RingCtasEnvironmentVariable"/>), or null.</summary>
    internal int? RingCtaLimit { get; set; } = RingCtasSelected(Environment.GetEnvironmentVariable(RingCtasEnvironmentVariable));

    internal static int? RingCtasSelected(string? value) =>
        string.IsNullOrEmpty(value) ? null
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0 ? n
        : throw new ArgumentException($"{RingCtasEnvironmentVariable}={value}: expected a positive number of CTAs.");

    /// <summary>
    /// Whether Q's map can be made for the ring's Q items (<see cref="QueriesInRing"/>): Q 16-byte aligned and at least 256
    /// rows along its boxes' token axis, fewer than 2^31. The caller checks the rest: that the ring applies
    /// (<see cref="RingCodesApply"/>, which also excludes SmoothQ, whose block means form ΔS in launch 1's path).
    /// </summary>
    internal static bool RingQueriesApply(AttentionProblem problem, DeviceTensor q)
    {
        var s = problem.Shape;
        long rows = problem.Layout == TensorLayout.HND ? (long)s.Batch * s.QueryHeads * s.QueryLength : (long)s.Batch * s.QueryLength;
        return rows >= 256 && rows <= int.MaxValue && q.Pointer % 16 == 0;
    }

    /// <summary>The ring's Q items (two 64-row blocks of one head each) and what they write, or null for none.</summary>
    internal sealed record RingQueries(DeviceTensor Q, float Log2EScale, DeviceBuffer<float> Scales, int GroupCount,
        DeviceBuffer<sbyte> Values, int PaddedLength)
    {
        /// <summary>Q items per head: the padded length holds whole 128-row tiles.</summary>
        public int Tiles => PaddedLength / PreprocessLayout.QueryTileRows;
    }

    /// <summary>
    /// Queues the ring (launch 3): one CTA per SM, or one per item if there are fewer. The maps view K and V as bytes: in
    /// HND as matrices of B·Hkv·Nk rows of 2d bytes, in NHD as B·Nk tokens of Hkv heads of 2d bytes; boxes of one head,
    /// 128 tokens × 2d bytes (a K tile) and 256 tokens × 16 bytes (8 channels of a V item). With <paramref name="queries"/>
    /// a map of Q as well (two 64-row blocks per box, a K tile's geometry), whose items go first.
    /// </summary>
    private void LaunchRingCodes(string kernels, AttentionShape s, TensorLayout layout, SageOptions options, DeviceTensor k, DeviceTensor v,
        FusedPreprocessGeometry g, int padK, KernelArgument keyMean, DeviceBuffer<float> kScales, DeviceBuffer<sbyte> kValues,
        DeviceBuffer<float> vScales, DeviceBuffer<byte> vCodes, bool dependent, CudaStream? stream, RingQueries? queries = null)
    {
        var function = _fused.GetFunction("preprocess_quantize_kv_ring_" + kernels);
        function.ReserveSharedMemory(_ring.SharedMemoryBytes);
        int d = s.HeadDim;
        ulong rowBytes = (ulong)(2 * d);
        long qItems = queries is null ? 0 : (long)s.Batch * s.QueryHeads * queries.Tiles;
        if (qItems + g.KeyTiles + g.OnePassValueBlocks > int.MaxValue)
            throw new NotSupportedException($"{s}: {qItems + g.KeyTiles + g.OnePassValueBlocks} ring items; the ring counts at most {int.MaxValue}.");
        int items = (int)qItems + g.KeyTiles + g.OnePassValueBlocks;
        int ctas = Math.Min(Math.Min(items, _context.Device.MultiprocessorCount), RingCtaLimit ?? int.MaxValue);
        bool nhd = layout == TensorLayout.NHD;
        KernelArgument Map(DeviceTensor t, uint boxWidth, uint boxTokens, int headCount, int length)
        {
            if (!nhd)
            {
                ulong rows = (ulong)s.Batch * (ulong)headCount * (ulong)length;
                return new ByteTileMap(t.Pointer, rowBytes, rows, rowBytes, boxWidth, boxTokens, CuTensorMapSwizzle.None).Encode(_context);
            }
            ulong heads = (ulong)headCount, tokens = (ulong)s.Batch * (ulong)length;
            return new HeadTileMap(t.Pointer, rowBytes, heads, tokens, rowBytes, heads * rowBytes, boxWidth, boxTokens).Encode(_context);
        }
        var mapK = Map(k, (uint)rowBytes, 128, s.KeyValueHeads, s.KeyLength);
        // Without Q items the kernel never reads its Q map: K's stands in (a parameter of the map's size).
        var mapQ = queries is null ? mapK : Map(queries.Q, (uint)rowBytes, 128, s.QueryHeads, s.QueryLength);
        KernelArgument[] arguments =
        [
            mapK, Map(v, 16, 256, s.KeyValueHeads, s.KeyLength), nhd ? 1 : 0, s.KeyValueHeads,
            s.KeyLength, g.TilesPerHead, g.KeyTiles, items, keyMean, (int)options.Granularity,
            options.QkFormat == QkFormat.Int4 ? 1 : 0, kScales, kValues, padK, vScales, vCodes, (float)options.VScaleMax,
            mapQ, s.QueryHeads, s.QueryLength, queries?.Tiles ?? 1, (int)qItems, queries?.Log2EScale ?? 0f,
            KernelArgument.DevicePointer(queries?.Scales.Pointer ?? 0), queries?.GroupCount ?? 0,
            // With Q items the V items go before the K tiles, which alone wait for the mean's grid (ring_item_kind); the kernel
            // takes Q's padded length as 128 rows per item (RingQueries.Tiles).
            KernelArgument.DevicePointer(queries?.Values.Pointer ?? 0),
        ];
        // As a programmatic dependent of launch 1 where launch 1 holds no Q blocks, as the per-tile launch 3
        // (DependentCodes), or of the trimmed mean with the Q items (QueriesInRing): its teams wait for that grid before
        // their first K tile; the producer does not.
        function.Launch(new Dim3((uint)ctas), (uint)_ring.Threads, _ring.SharedMemoryBytes, stream, dependent, arguments);
    }
}
