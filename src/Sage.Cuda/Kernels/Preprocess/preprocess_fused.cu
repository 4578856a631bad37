// The whole pre-processing of docs/kernel-spec.md §1-§4 in two or three launches, with the spec's arithmetic and orders
// unchanged (the per-stage kernels of key_smoothing.cu, qk_quantize.cu and v_quantize.cu stay as the reference
// implementation, selectable with SAGE_PREPROCESS=separate; both give the same bits).
//
//   1. preprocess_stats_queries: one pass over K and V per (key/value head, 128-token tile, 8 channels): the tile's
//      K chunk sums (§1 step 1, ascending tokens), V chunk sums with SmoothV (§4 step 1), and the tile's per-channel
//      V minimum and maximum; in the same launch, Q quantisation (+ Q smoothing) of every 64-row block, one read of Q.
//   2. the finish, per (head, channel): the chunk sums in ascending chunk order ⊘ N (§1 steps 2-3; §4 likewise),
//      and v_scale = amax ⊘ V_MAX with amax = max over tiles of max(|fl(vmax − m)|, |fl(vmin − m)|) (m = 0 and no
//      subtraction without SmoothV). Why this is amax_t |fl(V[t] − m)| bit for bit: x ↦ fl(x − m) is monotone
//      (the exact difference is, and rounding to nearest is), so every fl(V[t] − m) lies between fl(vmin − m) and
//      fl(vmax − m), both of which occur; the largest magnitude is therefore at one of them.
//      Since session 21 the statistics CTA of launch 1 that completes a head runs that head's finish (per-head counters,
//      finish_completed_heads), so two launches remain; preprocess_finish (a launch of its own) stays for Nk = 0 and for
//      SAGE_PREPROCESS_FINISH=launch. Same function, same order, same bits.
//   3. preprocess_quantize_kv: K (§3, with K̃ = K ⊖ mean) and V (§4) codes of every 128-token tile; each thread
//      keeps its rows in registers between the group maximum and the quantisation, so K and V are read once here.
//
//      Without SmoothV, with SmoothK, 16-bit inputs and up to 2048 padded tokens (GpuPreprocessor.ReadsValuesOnce, at
//      d = 128 by default) V goes in one pass instead: launch 1 forms the K sums alone and launch 3's V CTAs take a
//      head's 8 channels over all its tokens (value_onepass, 3c).
//
// DRAM traffic: Q once, K and V twice (the mean and the per-channel V scale span the whole sequence, so their tile
// codes cannot be written before one whole pass; V once where value_onepass runs), the codes once, plus ≈ 4·d floats
// per tile of partials.
#include "preprocess_common.cuh"
#include "quantize_codes.cuh" // the division-free codes where they provably equal the division

// Programmatic dependent launch of launch 3 after launch 1 (GpuPreprocessor.DependentCodes): every launch-1 CTA allows
// the dependent grid at its start, so launch 3's CTAs take the SMs that launch 1's last wave leaves idle once that wave
// has started. Launch 3 loads its K/V rows (inputs, which no launch writes), then waits for launch 1 to complete and its
// writes (means, V scales) to be visible before it reads them. Launched without the attribute both are no-ops.
__device__ __forceinline__ void allow_dependent_grid() { asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory"); }
__device__ __forceinline__ void wait_for_prerequisite_grid() { asm volatile("griddepcontrol.wait;\n" ::: "memory"); }

// Every kernel family of this file exists for each input element type and head dim; the host picks
// <family>_<f32|f16|bf16>_d<64|128>.
#define SAGE_FOR_EACH_INPUT(FAMILY)                                                                                 \
    FAMILY(f32, ElemF32, 64) FAMILY(f32, ElemF32, 128) FAMILY(f16, ElemF16, 64) FAMILY(f16, ElemF16, 128)          \
    FAMILY(bf16, ElemBF16, 64) FAMILY(bf16, ElemBF16, 128)

// CTAs per SM the registers are budgeted for, per head dim. Both kernels stream from DRAM, and more resident warps keep
// more loads in flight: without a bound ptxas gave the d = 128 stats kernel 122 registers (2 CTAs, 16 warps per SM) and
// the quantisation 71 (3 CTAs), and ncu measured 68-71 % of the DRAM peak at N = 16K. With 3 and 4 CTAs (80 and 63
// registers; the stats kernel spills 268 bytes) the d = 128 pre-processing ran 9-12 % faster on the H100 (session 5);
// at d = 64 the same bounds were 5-11 % slower at N = 2K, so d = 64 keeps ptxas's choice (1).
// Each bound can be set per head dim for A/B runs (GpuPreprocessor.DefinesEnvironmentVariable).
#ifndef SAGE_STATS_MIN_BLOCKS_D128
#define SAGE_STATS_MIN_BLOCKS_D128 3
#endif
#ifndef SAGE_STATS_MIN_BLOCKS_D64
#define SAGE_STATS_MIN_BLOCKS_D64 1
#endif
#ifndef SAGE_QUANTIZE_MIN_BLOCKS_D128
#define SAGE_QUANTIZE_MIN_BLOCKS_D128 4
#endif
#ifndef SAGE_QUANTIZE_MIN_BLOCKS_D64
#define SAGE_QUANTIZE_MIN_BLOCKS_D64 1
#endif
// Launch 3 with V in one pass (preprocess_quantize_kv_onepass_*): 3 CTAs per SM at d = 128. value_onepass keeps 8 rows a
// thread in registers and is latency-bound; at 4 (64 registers) launch 3 took 103.6 µs at 2K, at 3 (80) 98.3, and the
// call was 0.4-2.9 % faster at 1K-2K causal and 2K (session 28, call 15; 1K non-causal −0.6 %).
#ifndef SAGE_ONEPASS_MIN_BLOCKS_D128
#define SAGE_ONEPASS_MIN_BLOCKS_D128 3
#endif
#define SAGE_ONEPASS_MIN_BLOCKS(D) ((D) == 128 ? SAGE_ONEPASS_MIN_BLOCKS_D128 : SAGE_QUANTIZE_MIN_BLOCKS_D64)
#define SAGE_STATS_MIN_BLOCKS(D) ((D) == 128 ? SAGE_STATS_MIN_BLOCKS_D128 : SAGE_STATS_MIN_BLOCKS_D64)
#define SAGE_QUANTIZE_MIN_BLOCKS(D) ((D) == 128 ? SAGE_QUANTIZE_MIN_BLOCKS_D128 : SAGE_QUANTIZE_MIN_BLOCKS_D64)

// Eight consecutive elements as loaded (16 bytes for 16-bit types, 32 for fp32), widened later, so a thread can keep
// several rows in flight in few registers.
template <class E> struct Raw8;
template <> struct Raw8<ElemF32> { float4 a, b; };
template <> struct Raw8<ElemF16> { uint4 a; };
template <> struct Raw8<ElemBF16> { uint4 a; };

template <class E> __device__ __forceinline__ Raw8<E> load_raw8(const typename E::storage* p);
template <> __device__ __forceinline__ Raw8<ElemF32> load_raw8<ElemF32>(const float* p)
{
    Raw8<ElemF32> r;
    r.a = __ldg(reinterpret_cast<const float4*>(p));
    r.b = __ldg(reinterpret_cast<const float4*>(p) + 1);
    return r;
}
template <> __device__ __forceinline__ Raw8<ElemF16> load_raw8<ElemF16>(const unsigned short* p)
{
    Raw8<ElemF16> r;
    r.a = __ldg(reinterpret_cast<const uint4*>(p));
    return r;
}
template <> __device__ __forceinline__ Raw8<ElemBF16> load_raw8<ElemBF16>(const unsigned short* p)
{
    Raw8<ElemBF16> r;
    r.a = __ldg(reinterpret_cast<const uint4*>(p));
    return r;
}

template <class E> __device__ __forceinline__ void widen8(const Raw8<E>& r, float (&out)[8]);
template <> __device__ __forceinline__ void widen8<ElemF32>(const Raw8<ElemF32>& r, float (&out)[8])
{
    out[0] = r.a.x; out[1] = r.a.y; out[2] = r.a.z; out[3] = r.a.w;
    out[4] = r.b.x; out[5] = r.b.y; out[6] = r.b.z; out[7] = r.b.w;
}
template <> __device__ __forceinline__ void widen8<ElemF16>(const Raw8<ElemF16>& r, float (&out)[8]) { unpack16x8(r.a, false, out); }
template <> __device__ __forceinline__ void widen8<ElemBF16>(const Raw8<ElemBF16>& r, float (&out)[8]) { unpack16x8(r.a, true, out); }

template <class E> __device__ __forceinline__ Raw8<E> zero_raw8();
template <> __device__ __forceinline__ Raw8<ElemF32> zero_raw8<ElemF32>() { Raw8<ElemF32> r; r.a = make_float4(0.f, 0.f, 0.f, 0.f); r.b = r.a; return r; }
template <> __device__ __forceinline__ Raw8<ElemF16> zero_raw8<ElemF16>() { Raw8<ElemF16> r; r.a = make_uint4(0u, 0u, 0u, 0u); return r; }
template <> __device__ __forceinline__ Raw8<ElemBF16> zero_raw8<ElemBF16>() { Raw8<ElemBF16> r; r.a = make_uint4(0u, 0u, 0u, 0u); return r; }

// Maximum over the `lanes` consecutive lanes that share one row (a power of two ≤ 16, aligned); every lane of the warp
// must call it. fmaxf of non-negative values: exact in any order.
template <int LANES>
__device__ __forceinline__ float row_lanes_max(float x)
{
#pragma unroll
    for (int offset = LANES / 2; offset > 0; offset >>= 1) x = fmaxf(x, __shfl_xor_sync(0xFFFFFFFFu, x, offset));
    return x;
}

__device__ __forceinline__ void store8(float* p, const float (&x)[8])
{
    reinterpret_cast<float4*>(p)[0] = make_float4(x[0], x[1], x[2], x[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(x[4], x[5], x[6], x[7]);
}

// Partial statistics per (key/value head, tile, channel), four arrays of [BHkv, tiles, D] floats one after another:
// K chunk sums, V minima, V maxima, V chunk sums.
struct Partials
{
    float* kSum; float* vMin; float* vMax; float* vSum;
};

__device__ __forceinline__ Partials partials_of(float* base, long long perArray)
{
    return Partials{ base, base + perArray, base + 2 * perArray, base + 3 * perArray };
}

// ---------------------------------------------------------------------------------------------------------------
// An item's tile rows: [t0, t1), the element offset of the first row's 8 channels, and where its partials go.
struct StatsTile
{
    int t0, t1;
    long long row, partial;
};

template <int D>
__device__ __forceinline__ StatsTile stats_tile(long long item, TensorStrides s, int length, int heads, int tiles)
{
    constexpr int CPR = D / 8;
    const int c0 = static_cast<int>(item % CPR) * 8;
    const long long tileItem = item / CPR; // bhk·tiles + tile
    const int tile = static_cast<int>(tileItem % tiles);
    const long long bh = tileItem / tiles;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const int t0 = tile * SAGE_KEY_TILE;
    return StatsTile{ t0, min(length, t0 + SAGE_KEY_TILE), token_offset(s, b, h, t0) + c0, tileItem * D + c0 };
}

// 1a. Tile statistics. Item = (bhk, tile, 8 channels), channels fastest, so the threads of a token row read it
// contiguously with 16-byte loads. Each channel's sum runs over the tile's tokens in ascending order from 0 (§1 step
// 1), exactly as key_chunk_sums; the 8 channels are 8 independent chains. Tokens go in batches of BATCH whose loads
// are all issued before any of them is used (SMOOTH_K / SMOOTH_V are template arguments so that no branch sits
// between the loads of a batch).
template <class E, int D, bool SMOOTH_K, bool SMOOTH_V>
__device__ __forceinline__ void tile_stats(long long item, const typename E::storage* __restrict__ k,
                                           const typename E::storage* __restrict__ v, TensorStrides s, int length,
                                           int heads, int tiles, Partials out)
{
    constexpr int BATCH = 8;
    const StatsTile tile = stats_tile<D>(item, s, length, heads, tiles);
    const int t0 = tile.t0, t1 = tile.t1;
    const typename E::storage* kRow = k + tile.row;
    const typename E::storage* vRow = v + tile.row;

    float ks[8], vs[8], vmin[8], vmax[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) { ks[i] = 0.0f; vs[i] = 0.0f; vmin[i] = __int_as_float(0x7F800000); vmax[i] = -__int_as_float(0x7F800000); }

    for (int t = t0; t < t1; t += BATCH)
    {
        Raw8<E> kr[BATCH], vr[BATCH];
#pragma unroll
        for (int u = 0; u < BATCH; ++u)
        {
            const long long at = static_cast<long long>(t - t0 + u) * s.token;
            const bool real = t + u < t1;
            vr[u] = real ? load_raw8<E>(vRow + at) : zero_raw8<E>();
            if (SMOOTH_K) kr[u] = real ? load_raw8<E>(kRow + at) : zero_raw8<E>();
        }
#pragma unroll
        for (int u = 0; u < BATCH; ++u)
        {
            if (t + u >= t1) break; // the tile's real tokens, ascending
            float y[8];
            widen8<E>(vr[u], y);
            if (SMOOTH_K)
            {
                float x[8];
                widen8<E>(kr[u], x);
#pragma unroll
                for (int i = 0; i < 8; ++i) ks[i] = __fadd_rn(ks[i], x[i]);
            }
#pragma unroll
            for (int i = 0; i < 8; ++i)
            {
                vmin[i] = fminf(vmin[i], y[i]);
                vmax[i] = fmaxf(vmax[i], y[i]);
                if (SMOOTH_V) vs[i] = __fadd_rn(vs[i], y[i]);
            }
        }
    }
    const long long at = tile.partial;
    if (SMOOTH_K) store8(out.kSum + at, ks);
    store8(out.vMin + at, vmin);
    store8(out.vMax + at, vmax);
    if (SMOOTH_V) store8(out.vSum + at, vs);
}

// 1a'. The split statistics (GpuPreprocessor.SplitStatistics, the default with SmoothK; session 28): a CTA takes
// SAGE_THREADS / 2 items, warps 0-3 form their K chunk sums (tile_key_sums), warps 4-7 their V minima, maxima and, with
// SmoothV, sums (tile_value_stats). Each chain is tile_stats's, operation for operation and in the same token order, so
// the partials are the same bits; what changes is that a thread loads one tensor's rows, SPLIT_BATCH tokens ahead
// (the registers tile_stats spends on BATCH rows of K and BATCH of V), so its chain has half as many load round trips.
// Why: at N = 2K, d = 128 launch 1's statistics alone moved K and V at about 1.7 TB/s, and the Q blocks beside them
// lengthened the launch by only a quarter of their own bytes' time: the statistics CTAs (one per head) set its length.
// Measured (H100, 2K d = 128, ncu): launch 1 101 -> 92 µs (DRAM 71 -> 76 % of peak); the statistics alone took 67 µs at
// 61 % in 0.32 waves of CTAs, so they were latency-bound, not bandwidth-bound.
#ifndef SAGE_SPLIT_BATCH
#define SAGE_SPLIT_BATCH 16
#endif

// step(x) for the 8 channels x of each of the tile's real rows in ascending token order, the loads of SAGE_SPLIT_BATCH
// rows going out before any of them is used (the batched row loop of tile_key_sums and tile_value_stats).
template <class E, class Step>
__device__ __forceinline__ void for_each_tile_row(const typename E::storage* __restrict__ row, const StatsTile& tile, long long stride,
                                                  Step step)
{
    for (int t = tile.t0; t < tile.t1; t += SAGE_SPLIT_BATCH)
    {
        Raw8<E> raw[SAGE_SPLIT_BATCH];
#pragma unroll
        for (int u = 0; u < SAGE_SPLIT_BATCH; ++u)
            raw[u] = t + u < tile.t1 ? load_raw8<E>(row + static_cast<long long>(t - tile.t0 + u) * stride) : zero_raw8<E>();
#pragma unroll
        for (int u = 0; u < SAGE_SPLIT_BATCH; ++u)
        {
            if (t + u >= tile.t1) break; // the tile's real tokens, ascending
            float x[8];
            widen8<E>(raw[u], x);
            step(x);
        }
    }
}

// The K chunk sums of an item's 8 channels: from +0, the tile's real tokens ascending.
template <class E>
__device__ __forceinline__ void key_sums8(const typename E::storage* __restrict__ k, const StatsTile& tile, long long stride, float (&ks)[8])
{
#pragma unroll
    for (int i = 0; i < 8; ++i) ks[i] = 0.0f;
    for_each_tile_row<E>(k + tile.row, tile, stride, [&](const float (&x)[8]) {
#pragma unroll
        for (int i = 0; i < 8; ++i) ks[i] = __fadd_rn(ks[i], x[i]);
    });
}

template <class E, int D>
__device__ __forceinline__ void tile_key_sums(long long item, const typename E::storage* __restrict__ k, TensorStrides s,
                                              int length, int heads, int tiles, Partials out)
{
    const StatsTile tile = stats_tile<D>(item, s, length, heads, tiles);
    float ks[8];
    key_sums8<E>(k, tile, s.token, ks);
    store8(out.kSum + tile.partial, ks);
}

// 1a''. The keys-only layout when a head is one tile (N ≤ 128; SmoothK's strided sample has its own kernel): the
// thread that forms the tile's chunk sums forms the means too, finish_channel's values for one tile (total = 0 ⊕ s_0,
// then ⊘ N). No partials, no counter, no finish: with many heads per CTA, launch 1's finishes ran one head after another
// in the CTA that completed them (meansInThreads in GpuPreprocessor.PreprocessFused, session 34).
template <class E, int D>
__device__ __forceinline__ void tile_key_means(long long item, const typename E::storage* __restrict__ k, TensorStrides s,
                                               int length, int heads, float* __restrict__ keyMean)
{
    const StatsTile tile = stats_tile<D>(item, s, length, heads, 1); // tile.partial = bh·D + c0 with one tile
    float ks[8], mean[8];
    key_sums8<E>(k, tile, s.token, ks);
    const float n = __int2float_rn(length); // exact: N < 2^24
#pragma unroll
    for (int i = 0; i < 8; ++i) mean[i] = __fdiv_rn(__fadd_rn(0.0f, ks[i]), n);
    store8(keyMean + tile.partial, mean);
}

template <class E, int D, bool SMOOTH_V>
__device__ __forceinline__ void tile_value_stats(long long item, const typename E::storage* __restrict__ v, TensorStrides s,
                                                 int length, int heads, int tiles, Partials out)
{
    const StatsTile tile = stats_tile<D>(item, s, length, heads, tiles);
    float vs[8], vmin[8], vmax[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) { vs[i] = 0.0f; vmin[i] = __int_as_float(0x7F800000); vmax[i] = -__int_as_float(0x7F800000); }
    for_each_tile_row<E>(v + tile.row, tile, s.token, [&](const float (&y)[8]) {
#pragma unroll
        for (int i = 0; i < 8; ++i)
        {
            vmin[i] = fminf(vmin[i], y[i]);
            vmax[i] = fmaxf(vmax[i], y[i]);
            if (SMOOTH_V) vs[i] = __fadd_rn(vs[i], y[i]);
        }
    });
    store8(out.vMin + tile.partial, vmin);
    store8(out.vMax + tile.partial, vmax);
    if (SMOOTH_V) store8(out.vSum + tile.partial, vs);
}

// 1b. Q of NB consecutive 64-row blocks of one head (§2 steps 1-2, §3), SAGE_THREADS threads; the groups inside a block
// as query_group. Every block's arithmetic is that of a block alone: its own amax slots, scales, reciprocals and means.
// NB = 2 for 16-bit inputs (SAGE_QUERY_BLOCKS_PER_CTA): the rows of both blocks are loaded before any is used, so a CTA
// keeps twice the bytes in flight under the launch's three-CTA register budget (at NB = 1 the Q part of launch 1 moved
// its 0.8 GB at 2.1 TB/s against the statistics' 2.6, ncu at 16K, session 18). FP32 rows take twice the registers, so
// FP32 keeps NB = 1. blocksPerHead is even (the padded length is a multiple of 128), so NB = 2 never crosses a head.
#define SAGE_QUERY_BLOCKS_PER_CTA(E) (sizeof(typename E::storage) == 2 ? 2 : 1)
template <class E, int D>
__device__ __forceinline__ void query_blocks(int firstBlockIndex, const typename E::storage* __restrict__ q, TensorStrides s,
                                             int length, int heads, int blocksPerHead, int smooth, int granularity,
                                             int int4, float log2eScale, float* __restrict__ scales, int groupCount,
                                             signed char* __restrict__ quantized, int paddedLength,
                                             float* __restrict__ means)
{
    constexpr int NB = SAGE_QUERY_BLOCKS_PER_CTA(E);
    constexpr int CPR = D / 8;
    constexpr int RPP = SAGE_THREADS / CPR;
    constexpr int ROWS = SAGE_QUERY_BLOCK / RPP;
    __shared__ float s_qmean[NB][D];
    __shared__ unsigned int s_qamax[NB][32];
    __shared__ float s_qscale[NB][32];
    __shared__ QuotientBracket s_qbracket[NB][32];
    const int block0 = firstBlockIndex % blocksPerHead;
    const long long bh = firstBlockIndex / blocksPerHead;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const int tid = threadIdx.x;
    const int meanBlocks = (length + SAGE_QUERY_BLOCK - 1) / SAGE_QUERY_BLOCK;
    const int c0 = (tid % CPR) * 8;
    const int firstRow = tid / CPR;
    int row0[NB], rows[NB];
#pragma unroll
    for (int n = 0; n < NB; ++n)
    {
        row0[n] = (block0 + n) * SAGE_QUERY_BLOCK;
        rows[n] = max(0, min(SAGE_QUERY_BLOCK, length - row0[n]));
    }

    Raw8<E> raw[NB][ROWS];
#pragma unroll
    for (int n = 0; n < NB; ++n)
#pragma unroll
        for (int i = 0; i < ROWS; ++i)
        {
            const int r = firstRow + i * RPP;
            raw[n][i] = r < rows[n] ? load_raw8<E>(q + token_offset(s, b, h, row0[n] + r) + c0) : zero_raw8<E>();
        }

    if (tid < 32)
    {
#pragma unroll
        for (int n = 0; n < NB; ++n) s_qamax[n][tid] = 0u;
    }
    if (tid < D)
    {
#pragma unroll
        for (int n = 0; n < NB; ++n)
        {
            // QSmoothing step 1: s = 0; s = s ⊕ Q[r, c] over the block's real rows ascending; mean = s ⊘ rows.
            float m = 0.0f;
            if (smooth && rows[n] > 0)
            {
                float sum = 0.0f;
#pragma unroll 8
                for (int r = 0; r < rows[n]; ++r) sum = __fadd_rn(sum, widen<E>(q[token_offset(s, b, h, row0[n] + r) + tid]));
                m = __fdiv_rn(sum, __int2float_rn(rows[n]));
                means[(bh * meanBlocks + block0 + n) * D + tid] = m;
            }
            s_qmean[n][tid] = m;
        }
    }
    __syncthreads();

#pragma unroll
    for (int n = 0; n < NB; ++n)
#pragma unroll
        for (int i = 0; i < ROWS; ++i)
        {
            const int r = firstRow + i * RPP;
            float x[8];
            widen8<E>(raw[n][i], x);
            float amax = 0.0f;
            if (r < rows[n])
            {
#pragma unroll
                for (int j = 0; j < 8; ++j)
                {
                    if (smooth) x[j] = __fsub_rn(x[j], s_qmean[n][c0 + j]);
                    amax = fmaxf(amax, fabsf(x[j]));
                }
            }
            amax = row_lanes_max<CPR>(amax); // the CPR lanes of one row: one atomic per row
            if ((tid % CPR) == 0) shared_max(&s_qamax[n][query_group(granularity, r)], amax);
        }
    __syncthreads();

    const float qmax = int4 ? 7.0f : 127.0f;
    const int groupsPerBlock = granularity == SAGE_PER_THREAD ? 32 : (granularity == SAGE_PER_WARP ? 4 : 1);
    // Each group's scale amax ⊘ qmax and its bracket (quotient_bracket), once per group (a division and a correctly rounded reciprocal
    // are ≈ 20 instructions; per row and thread they were ≈ 2.5 of the ≈ 24 instructions per Q element, session 13).
    if (tid < 32)
    {
#pragma unroll
        for (int n = 0; n < NB; ++n)
        {
            const float scale = __fdiv_rn(__uint_as_float(s_qamax[n][tid]), qmax);
            s_qscale[n][tid] = scale;
            s_qbracket[n][tid] = quotient_bracket(scale);
            const int global = (block0 + n) * groupsPerBlock + tid;
            // Stored q_scale = (amax ⊘ qmax) ⊗ LOG2E_SCALE (§3 step 4).
            if (tid < groupsPerBlock && global < groupCount) scales[bh * groupCount + global] = __fmul_rn(scale, log2eScale);
        }
    }
    __syncthreads();

#pragma unroll
    for (int n = 0; n < NB; ++n)
#pragma unroll
        for (int i = 0; i < ROWS; ++i)
        {
            const int r = firstRow + i * RPP;
            int qv[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
            const int group = query_group(granularity, r);
            const float scale = s_qscale[n][group];
            const QuotientBracket bracket = s_qbracket[n][group];
            if (r < rows[n] && scale != 0.0f)
            {
                float x[8];
                widen8<E>(raw[n][i], x);
                if (smooth)
                {
#pragma unroll
                    for (int j = 0; j < 8; ++j) x[j] = __fsub_rn(x[j], s_qmean[n][c0 + j]);
                }
                quantize8_fast(x, scale, bracket, int4, qv);
            }
            store_quantized(quantized, bh * paddedLength + row0[n] + r, D, c0, qv, int4);
        }
}

template <bool COHERENT>
__device__ __forceinline__ void finish_channel(const float* __restrict__ partials, long long perArray, int tiles, int length,
                                               int headDim, int smoothK, int smoothV, bool values, float vMax, float* __restrict__ keyMean,
                                               float* __restrict__ valueMean, float* __restrict__ valueScales, long long bh, int c);

// Launch 1's own finish (headCounters non-null; launch 2 is then not run): after writing its partials, a statistics CTA
// adds its items to the counter of every head they belong to, and the CTA whose addition completes a head runs the
// finish of that head (finish_channel, D threads, one per channel) before it exits. The release/acquire pair: every
// thread's partials, then __threadfence and the CTA barrier, then thread 0's atomicAdd; the completing CTA fences again
// before it loads the partials, through L2. The counters (BHkv ints) are zeroed on the stream before the launch.
template <int D>
__device__ __forceinline__ void finish_completed_heads(long long statsItems, int itemsPerCta, int tiles, int length, int smoothK, int smoothV, bool values,
                                                       const float* __restrict__ partials, int* __restrict__ headCounters, float vMax,
                                                       float* __restrict__ keyMean, float* __restrict__ valueMean,
                                                       float* __restrict__ valueScales)
{
    constexpr int CPR = D / 8;
    // A head has tiles · CPR ≥ CPR items, so a CTA's items (at most SAGE_THREADS) touch at most SAGE_THREADS / CPR heads,
    // one more if they straddle.
    __shared__ int s_completed[SAGE_THREADS / CPR + 1];
    __shared__ int s_count;
    const long long perHead = static_cast<long long>(tiles) * CPR; // items of one head
    const long long first = static_cast<long long>(blockIdx.x) * itemsPerCta;
    const long long last = min(first + itemsPerCta, statsItems) - 1;
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0)
    {
        int count = 0;
        for (long long h = first / perHead; h <= last / perHead; ++h)
        {
            const long long from = max(first, h * perHead), to = min(last + 1, (h + 1) * perHead);
            const int mine = static_cast<int>(to - from);
            if (atomicAdd(headCounters + h, mine) + mine == perHead) s_completed[count++] = static_cast<int>(h);
        }
        s_count = count;
        __threadfence();
    }
    __syncthreads();
    for (int i = 0; i < s_count; ++i)
        if (threadIdx.x < D)
            finish_channel<true>(partials, statsItems * 8, tiles, length, D, smoothK, smoothV, values, vMax, keyMean, valueMean, valueScales,
                                 s_completed[i], threadIdx.x);
}

// Grid: statsBlocks + queryBlocks / SAGE_QUERY_BLOCKS_PER_CTA (1-D), SAGE_THREADS threads. The statistics blocks come
// first: each of their threads walks a whole tile, the longest work of the launch.
// Launch 1's statistics layout (its statsLayout argument; GpuPreprocessor.StatisticsLayout).
#define SAGE_STATS_JOINT 0     // one thread per item for K and V (tile_stats)
#define SAGE_STATS_SPLIT 1     // half the items per CTA: the K sums by warps 0-3, the V statistics by warps 4-7 (1a')
#define SAGE_STATS_KEYS_ONLY 2 // the K sums alone, one item per thread (V in one pass in launch 3, value_onepass)

template <class E, int D>
__device__ __forceinline__ void stats_queries(
    const typename E::storage* __restrict__ q, TensorStrides qs, int qLength, int qHeads, int qBlocksPerHead,
    int smoothQ, int granularity, int int4, float log2eScale, float* __restrict__ qScales, int qGroupCount,
    signed char* __restrict__ qQuantized, int qPadded, float* __restrict__ qMeans,
    const typename E::storage* __restrict__ k, const typename E::storage* __restrict__ v, TensorStrides kvs,
    int kvLength, int kvHeads, int tiles, int smoothK, int smoothV, float* __restrict__ partials, long long statsItems,
    int statsBlocks, int statsLayout, int* __restrict__ headCounters, float vMax, float* __restrict__ keyMean,
    float* __restrict__ valueMean, float* __restrict__ valueScales)
{
    allow_dependent_grid();
    if (static_cast<int>(blockIdx.x) < statsBlocks)
    {
        const Partials p = partials_of(partials, statsItems * 8);
        // The split and keys-only layouts come with SmoothK only; keys-only forms no V scales (value_onepass does).
        // A thread's item: the split layout gives both halves of the CTA the same items (K by the first, V by the second).
        const int itemsPerCta = statsLayout == SAGE_STATS_SPLIT ? SAGE_THREADS / 2 : SAGE_THREADS;
        const long long item = static_cast<long long>(blockIdx.x) * itemsPerCta + threadIdx.x % itemsPerCta;
        if (item < statsItems)
        {
            if (statsLayout == SAGE_STATS_KEYS_ONLY && tiles == 1) tile_key_means<E, D>(item, k, kvs, kvLength, kvHeads, keyMean);
            else if (statsLayout == SAGE_STATS_KEYS_ONLY) tile_key_sums<E, D>(item, k, kvs, kvLength, kvHeads, tiles, p);
            else if (statsLayout == SAGE_STATS_SPLIT)
            {
                if (static_cast<int>(threadIdx.x) < itemsPerCta) tile_key_sums<E, D>(item, k, kvs, kvLength, kvHeads, tiles, p);
                else if (smoothV) tile_value_stats<E, D, true>(item, v, kvs, kvLength, kvHeads, tiles, p);
                else tile_value_stats<E, D, false>(item, v, kvs, kvLength, kvHeads, tiles, p);
            }
            else if (smoothK && smoothV) tile_stats<E, D, true, true>(item, k, v, kvs, kvLength, kvHeads, tiles, p);
            else if (smoothK) tile_stats<E, D, true, false>(item, k, v, kvs, kvLength, kvHeads, tiles, p);
            else if (smoothV) tile_stats<E, D, false, true>(item, k, v, kvs, kvLength, kvHeads, tiles, p);
            else tile_stats<E, D, false, false>(item, k, v, kvs, kvLength, kvHeads, tiles, p);
        }
        if (headCounters != nullptr)
            finish_completed_heads<D>(statsItems, itemsPerCta, tiles, kvLength, smoothK, smoothV, statsLayout != SAGE_STATS_KEYS_ONLY,
                                      partials, headCounters, vMax, keyMean, valueMean, valueScales);
        return;
    }
    query_blocks<E, D>((static_cast<int>(blockIdx.x) - statsBlocks) * SAGE_QUERY_BLOCKS_PER_CTA(E), q, qs, qLength, qHeads,
                       qBlocksPerHead, smoothQ, granularity, int4, log2eScale, qScales, qGroupCount, qQuantized, qPadded,
                       qMeans);
    // Queued as the programmatic dependent of the strided sample's trimmed mean (launch 1 then holds Q blocks only), the
    // Q blocks run beside it; each waits for it before exiting, so that launch 1 completes after it and the codes launch,
    // stream-ordered after launch 1, reads its mean. A no-op when launch 1 is queued plainly.
    wait_for_prerequisite_grid();
}

#define SAGE_STATS_QUERIES(SUFFIX, ELEM, D)                                                                         \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS, SAGE_STATS_MIN_BLOCKS(D))                             \
        preprocess_stats_queries_##SUFFIX##_d##D(                                                                    \
        const ELEM::storage* __restrict__ q, long long qsb, long long qsh, long long qst, int qLength, int qHeads,  \
        int qBlocksPerHead, int smoothQ, int granularity, int int4, float log2eScale, float* __restrict__ qScales,  \
        int qGroupCount, signed char* __restrict__ qQuantized, int qPadded, float* __restrict__ qMeans,            \
        const ELEM::storage* __restrict__ k, const ELEM::storage* __restrict__ v, long long sb, long long sh,       \
        long long st, int kvLength, int kvHeads, int tiles, int smoothK, int smoothV, float* __restrict__ partials, \
        long long statsItems, int statsBlocks, int statsLayout, int* __restrict__ headCounters, float vMax,         \
        float* __restrict__ keyMean, float* __restrict__ valueMean, float* __restrict__ valueScales)              \
    {                                                                                                              \
        stats_queries<ELEM, D>(q, TensorStrides{ qsb, qsh, qst }, qLength, qHeads, qBlocksPerHead, smoothQ,         \
                               granularity, int4, log2eScale, qScales, qGroupCount, qQuantized, qPadded, qMeans, k, \
                               v, TensorStrides{ sb, sh, st }, kvLength, kvHeads, tiles, smoothK, smoothV, partials, \
                               statsItems, statsBlocks, statsLayout, headCounters, vMax, keyMean, valueMean,         \
                               valueScales);                                                                       \
    }

SAGE_FOR_EACH_INPUT(SAGE_STATS_QUERIES)

// ---------------------------------------------------------------------------------------------------------------
// A partial as loaded by the finish: plainly in launch 2; in launch 1's own finish (COHERENT) through L2 only
// (ld.global.cg), since other CTAs of the same launch wrote the partials.
template <bool COHERENT>
__device__ __forceinline__ float load_partial(const float* p)
{
    if constexpr (COHERENT) return __ldcg(p);
    else return *p;
}

// step(a[j·stride], b[j·stride], c[j·stride]) for j = 0 … count − 1 in ascending order, over up to three arrays (a null
// array reads as 0 and is not loaded), the loads of BATCH tiles of every array going out before any step, so that the
// chains wait for one round trip per batch instead of one per tile. Since session 18 the finish issues all of a pass's
// arrays together in batches of 16 (at 16K: 8 round trips instead of 48; 28.7 µs per launch with one array at a time
// in batches of 8, ncu, session 18 call 4).
template <int BATCH, bool COHERENT, class Step>
__device__ __forceinline__ int tile_batches(const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c,
                                            long long stride, int j, int count, Step& step)
{
    for (; j + BATCH <= count; j += BATCH)
    {
        float x[BATCH], y[BATCH], z[BATCH];
#pragma unroll
        for (int u = 0; u < BATCH; ++u)
        {
            const long long at = (j + u) * stride;
            x[u] = a ? load_partial<COHERENT>(a + at) : 0.0f;
            y[u] = b ? load_partial<COHERENT>(b + at) : 0.0f;
            z[u] = c ? load_partial<COHERENT>(c + at) : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < BATCH; ++u) step(x[u], y[u], z[u]);
    }
    return j;
}

template <bool COHERENT, class Step>
__device__ __forceinline__ void for_each_tile(const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c,
                                              long long stride, int count, Step step)
{
    int j = tile_batches<16, COHERENT>(a, b, c, stride, 0, count, step);
    j = tile_batches<4, COHERENT>(a, b, c, stride, j, count, step);
    tile_batches<1, COHERENT>(a, b, c, stride, j, count, step);
}

// |fl(x − m)|, a candidate of the V amax with SmoothV (without it the candidates are |x|: no subtraction at all).
__device__ __forceinline__ float centred_magnitude(float x, float m)
{
    return fabsf(__fsub_rn(x, m));
}

// 2. Per (head, channel): every output is written (zeros where a stage is off or N = 0), so no buffer needs a fill. The
// K sum is Σ_j in ascending j from +0 (the spec's order); fmaxf of non-negative values is exact in any order (NaN never
// wins), so the V maxima and minima go in the same pass, and without SmoothV (no mean to centre on) in the K sum's pass.
// Run by launch 2 (preprocess_finish: grid BHkv, headDim threads) or, with per-head counters, by the statistics CTA of
// launch 1 that completes a head (stats_queries: the same function, the same order, the partials read through L2).
// Without `values` (V in one pass, value_onepass; never with SmoothV) only the K mean: no V partials exist.
template <bool COHERENT>
__device__ __forceinline__ void finish_channel(const float* __restrict__ partials, long long perArray, int tiles, int length,
                                               int headDim, int smoothK, int smoothV, bool values, float vMax, float* __restrict__ keyMean,
                                               float* __restrict__ valueMean, float* __restrict__ valueScales, long long bh, int c)
{
    const Partials p = partials_of(const_cast<float*>(partials), perArray);
    const float n = __int2float_rn(length); // exact: N < 2^24

    const long long first = bh * tiles * headDim + c; // this channel's partial of tile 0; tile j at first + j·headDim
    const float* kSum = smoothK ? p.kSum + first : nullptr; // written by launch 1 only with SmoothK

    float kTotal = 0.0f, vTotal = 0.0f, vMean = 0.0f, amax = 0.0f;
    if (smoothV)
    {
        for_each_tile<COHERENT>(kSum, p.vSum + first, nullptr, headDim, tiles, [&](float k, float v, float) {
            kTotal = __fadd_rn(kTotal, k);
            vTotal = __fadd_rn(vTotal, v);
        });
        if (tiles > 0) vMean = __fdiv_rn(vTotal, n);
        valueMean[bh * headDim + c] = vMean;
        for_each_tile<COHERENT>(p.vMax + first, p.vMin + first, nullptr, headDim, tiles, [&](float hi, float lo, float) {
            amax = fmaxf(amax, centred_magnitude(hi, vMean));
            amax = fmaxf(amax, centred_magnitude(lo, vMean));
        });
    }
    else if (values)
    {
        for_each_tile<COHERENT>(kSum, p.vMax + first, p.vMin + first, headDim, tiles, [&](float k, float hi, float lo) {
            kTotal = __fadd_rn(kTotal, k);
            amax = fmaxf(amax, fabsf(hi));
            amax = fmaxf(amax, fabsf(lo));
        });
    }
    else for_each_tile<COHERENT>(kSum, nullptr, nullptr, headDim, tiles, [&](float k, float, float) { kTotal = __fadd_rn(kTotal, k); });
    keyMean[bh * headDim + c] = smoothK && tiles > 0 ? __fdiv_rn(kTotal, n) : 0.0f;
    if (values) valueScales[bh * headDim + c] = __fdiv_rn(amax, vMax);
}

extern "C" __global__ void preprocess_finish(const float* __restrict__ partials, long long perArray, int tiles,
                                             int length, int headDim, int smoothK, int smoothV, float vMax,
                                             float* __restrict__ keyMean, float* __restrict__ valueMean,
                                             float* __restrict__ valueScales)
{
    const int c = threadIdx.x;
    if (c >= headDim) return;
    finish_channel<false>(partials, perArray, tiles, length, headDim, smoothK, smoothV, true, vMax, keyMean, valueMean, valueScales,
                          blockIdx.x, c);
}

// ---------------------------------------------------------------------------------------------------------------
// 3a. K of one 128-token tile (§1 step 4, §3): thread = (8 channels, rows firstRow + k·RPP); RPP is a multiple of
// 8, so all rows of a thread share t mod 8 and hence one per-thread group ((t mod 8) / 2), as in key_quantize.
template <class E, int D>
__device__ __forceinline__ void key_tile(int tileIndex, const typename E::storage* __restrict__ k, TensorStrides s,
                                         int length, int heads, int tiles, const float* __restrict__ mean,
                                         int granularity, int int4, float* __restrict__ scales,
                                         signed char* __restrict__ quantized, int paddedLength,
                                         float* __restrict__ smoothed)
{
    constexpr int CPR = D / 8;
    constexpr int RPP = SAGE_THREADS / CPR;
    constexpr int ROWS = SAGE_KEY_TILE / RPP;
    __shared__ float s_kmean[D];
    __shared__ unsigned int s_kamax[4];
    const int tile = tileIndex % tiles;
    const long long bh = tileIndex / tiles;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const int tid = threadIdx.x;
    const int c0 = (tid % CPR) * 8;
    const int firstRow = tid / CPR;
    const int t0 = tile * SAGE_KEY_TILE;

    Raw8<E> raw[ROWS];
#pragma unroll
    for (int i = 0; i < ROWS; ++i)
    {
        const int t = t0 + firstRow + i * RPP;
        raw[i] = t < length ? load_raw8<E>(k + token_offset(s, b, h, t) + c0) : zero_raw8<E>();
    }
    wait_for_prerequisite_grid(); // the mean is launch 1's
    if (tid < D) s_kmean[tid] = mean != nullptr ? mean[bh * D + tid] : 0.0f;
    if (tid < 4) s_kamax[tid] = 0u;
    __syncthreads();

    const int groups = granularity == SAGE_PER_THREAD ? 4 : 1;
    const int group = granularity == SAGE_PER_THREAD ? ((firstRow & 7) >> 1) : 0;
    float amax = 0.0f;
#pragma unroll
    for (int i = 0; i < ROWS; ++i)
    {
        const int t = t0 + firstRow + i * RPP;
        if (t >= length) continue;
        float x[8];
        widen8<E>(raw[i], x);
        if (mean != nullptr)
        {
#pragma unroll
            for (int j = 0; j < 8; ++j) x[j] = __fsub_rn(x[j], s_kmean[c0 + j]); // without SmoothK: no subtraction at all
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) amax = fmaxf(amax, fabsf(x[j]));
        if (smoothed != nullptr) store8(smoothed + (bh * length + t) * D + c0, x);
    }
    amax = row_lanes_max<CPR>(amax); // lanes of one row share the group
    if ((tid % CPR) == 0) shared_max(&s_kamax[group], amax);
    __syncthreads();

    const float qmax = int4 ? 7.0f : 127.0f;
    if (tid < groups) scales[(bh * tiles + tile) * groups + tid] = __fdiv_rn(__uint_as_float(s_kamax[tid]), qmax);
    const float scale = __fdiv_rn(__uint_as_float(s_kamax[group]), qmax);
    const QuotientBracket bracket = quotient_bracket(scale);

#pragma unroll
    for (int i = 0; i < ROWS; ++i)
    {
        const int t = t0 + firstRow + i * RPP;
        int qv[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        if (t < length && scale != 0.0f)
        {
            float x[8];
            widen8<E>(raw[i], x);
            if (mean != nullptr)
            {
#pragma unroll
                for (int j = 0; j < 8; ++j) x[j] = __fsub_rn(x[j], s_kmean[c0 + j]);
            }
            quantize8_fast(x, scale, bracket, int4, qv);
        }
        store_quantized(quantized, bh * paddedLength + t, D, c0, qv, int4);
    }
}

// 3b. V codes of one 128-token tile (§4), [BHkv, D, paddedLength] with the token order of value_code_position.
// Unit = (16-token group g, quad t, 8 channels): the tokens 16g + {2t, 2t+1, 2t+8, 2t+9} are stored at positions
// 16g + 4t + {0, 1, 2, 3}, so a unit makes one 32-bit word per channel. Words go through shared memory, swizzled so
// that neither the word stores nor the 16-byte reads of a channel row conflict: word w of channel c sits at
// c·32 + (w ^ swizzle(c)).
template <int D>
__device__ __forceinline__ int value_swizzle(int c)
{
    // D = 128: 16 channel chunks per warp row, one half-warp per quad t (parity of w): even XOR values keep the
    // halves on disjoint banks. D = 64: 8 chunks, 4 quads per warp: multiples of 4 keep the quads apart.
    return D == 128 ? (((c >> 3) & 15) << 1) : (((c >> 3) & 7) << 2);
}

// Slot of channel c's float4 in s_vcode: the 8 channels of chunk c / 8 rotated by the chunk, so that the quarter-warp
// phases of a 16-byte load (8 lanes on 8 consecutive chunks, the same j) hit 8 different bank groups.
__device__ __forceinline__ int value_channel_slot(int c)
{
    return (c & ~7) | ((c ^ (c >> 3)) & 7);
}

// §4's codes of one channel j for a unit's four tokens x[0..3][j] (real[m]: token m is before the sequence end), as the
// 32-bit word of value_code_position: tokens 0, 1 in the low half, 2, 3 in the high half. code = (lo, hi, v_scale, mask)
// of the channel (quotient_bracket; mask 0 where v_scale = 0). Shared by value_tile and value_onepass.
__device__ __forceinline__ unsigned int value_code_word(const float (&x)[4][8], int j, const bool (&real)[4], float4 code)
{
    // The codes of both ends of the bracket (quantize_codes.cuh); past the last token x = +0, whose code is 0 at both
    // ends, as the division's +0 ratio below gives.
    const auto word_at = [&](float r) {
        return cvt_e4m3x2(__fmul_rn(x[1][j], r), __fmul_rn(x[0][j], r)) |
               (cvt_e4m3x2(__fmul_rn(x[3][j], r), __fmul_rn(x[2][j], r)) << 16);
    };
    unsigned int word = word_at(code.x);
    if (word != word_at(code.y))
    {
        // The ends differ (below 10^-4 of ordinary elements, ValueCodeBracketTests; or a reciprocal that is not normal):
        // §4 as written.
        const float sc = code.z;
        float ratio[4];
#pragma unroll
        for (int m = 0; m < 4; ++m) ratio[m] = (real[m] && sc != 0.0f) ? __fdiv_rn(x[m][j], sc) : 0.0f; // +0: code 0
        word = cvt_e4m3x2(ratio[1], ratio[0]) | (cvt_e4m3x2(ratio[3], ratio[2]) << 16);
    }
    return word & __float_as_uint(code.w);
}

template <class E, int D>
__device__ __forceinline__ void value_tile(int tileIndex, const typename E::storage* __restrict__ v, TensorStrides s,
                                           int length, int heads, int tiles, const float* __restrict__ mean,
                                           const float* __restrict__ vScales, unsigned char* __restrict__ codes,
                                           int paddedLength)
{
    constexpr int CPR = D / 8;
    constexpr int UNITS = (SAGE_KEY_TILE / 16) * 4 * CPR;
    __shared__ __align__(16) unsigned int s_words[D * (SAGE_KEY_TILE / 4)];
    __shared__ float4 s_vcode[D]; // per channel: the bracket's lo, hi (quotient_bracket), v_scale, the code mask
    __shared__ float s_vmean[D];
    const int tile = tileIndex % tiles;
    const long long bh = tileIndex / tiles;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const int tid = threadIdx.x;
    const int t0 = tile * SAGE_KEY_TILE;
    static_assert(UNITS % SAGE_THREADS == 0, "whole units per thread");
    // A unit's rows: m = 2a + b is token 16g + 8a + 2t + b of the tile.
    const auto unit_row = [&](int u, int m) { return 16 * (u / (4 * CPR)) + 2 * ((u / CPR) % 4) + (m & 1) + 8 * (m >> 1); };
    // The first unit's rows load before the wait for launch 1, whose V scales and means the codes need.
    Raw8<E> first[4];
#pragma unroll
    for (int m = 0; m < 4; ++m)
    {
        const int t = t0 + unit_row(tid, m);
        first[m] = t < length ? load_raw8<E>(v + token_offset(s, b, h, t) + (tid % CPR) * 8) : zero_raw8<E>();
    }
    wait_for_prerequisite_grid();
    if (tid < D)
    {
        const float sc = vScales[bh * D + tid];
        const QuotientBracket r = quotient_bracket(sc);
        // v_scale = 0: every code is +0 (NaN inputs included), hence a mask of 0 on the word.
        s_vcode[value_channel_slot(tid)] = make_float4(r.lo, r.hi, sc, __uint_as_float(sc != 0.0f ? 0xFFFFFFFFu : 0u));
        s_vmean[tid] = mean != nullptr ? mean[bh * D + tid] : 0.0f;
    }
    __syncthreads();

#pragma unroll
    for (int unit = 0; unit < UNITS / SAGE_THREADS; ++unit)
    {
        const int u = tid + unit * SAGE_THREADS;
        const int cc = u % CPR, quad = (u / CPR) % 4, g = u / (4 * CPR);
        const int c0 = cc * 8;
        float x[4][8];
        bool real[4];
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            const int t = t0 + unit_row(u, m);
            real[m] = t < length;
            const Raw8<E> raw = unit == 0 ? first[m] : real[m] ? load_raw8<E>(v + token_offset(s, b, h, t) + c0) : zero_raw8<E>();
            widen8<E>(raw, x[m]);
            if (real[m] && mean != nullptr)
            {
#pragma unroll
                for (int j = 0; j < 8; ++j) x[m][j] = __fsub_rn(x[m][j], s_vmean[c0 + j]);
            }
        }
#pragma unroll
        for (int j = 0; j < 8; ++j)
        {
            const int c = c0 + j;
            s_words[c * (SAGE_KEY_TILE / 4) + ((4 * g + quad) ^ value_swizzle<D>(c))] = value_code_word(x, j, real, s_vcode[value_channel_slot(c)]);
        }
    }
    __syncthreads();

#pragma unroll
    for (int pass = 0; pass < D * (SAGE_KEY_TILE / 16) / SAGE_THREADS; ++pass)
    {
        const int i = tid + pass * SAGE_THREADS;
        const int c = i / (SAGE_KEY_TILE / 16), part = i % (SAGE_KEY_TILE / 16);
        const int sw = value_swizzle<D>(c);
        uint4 w = *reinterpret_cast<const uint4*>(&s_words[c * (SAGE_KEY_TILE / 4) + 4 * (part ^ (sw >> 2))]);
        if (sw & 2) w = make_uint4(w.z, w.w, w.x, w.y); // words 4p + j sit at (4p + j) ^ sw: j ^ 2 swaps the halves
        *reinterpret_cast<uint4*>(codes + (bh * D + c) * paddedLength + t0 + part * 16) = w;
    }
}

// 3c. V in one pass, without SmoothV and for padded lengths up to SAGE_ONEPASS_TOKENS (GpuPreprocessor.OnePassValues):
// one CTA per (key/value head, 8 channels) holds all the head's tokens of its channels in registers, so V is read once
// instead of twice (launch 1's minima and maxima, then value_tile). The statistics are order-free: each tile's minimum
// and maximum (fminf / fmaxf from ±∞, NaN never wins, as tile_stats), the tile's max(|max|, |min|), and their maximum
// from +0; v_scale = amax ⊘ V_MAX is then finish_channel's value without SmoothV, bit for bit. The codes are
// value_tile's words (value_code_word). Thread = units (16-token group g, quad q) with u = tid + k · SAGE_THREADS,
// q = u mod 4, g = u / 4: its word of channel c goes to position 16g + 4q of the channel's code row, so a warp's 32
// lanes store 128 contiguous bytes per channel.
#define SAGE_ONEPASS_TOKENS 2048
template <class E, int D>
__device__ __forceinline__ void value_onepass(int index, const typename E::storage* __restrict__ v, TensorStrides s, int length,
                                              int heads, int paddedLength, float vMax, float* __restrict__ vScales,
                                              unsigned char* __restrict__ codes)
{
    constexpr int CPR = D / 8;
    constexpr int UNITS = SAGE_ONEPASS_TOKENS / 4 / SAGE_THREADS; // units per thread at the longest length
    __shared__ float s_amax[SAGE_THREADS / 32][8];
    __shared__ float4 s_code[8];
    const long long bh = index / CPR;
    const int c0 = (index % CPR) * 8;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int units = paddedLength / 4; // (group, quad) pairs of the padded length
    const auto unit_row = [&](int u, int m) { return 16 * (u >> 2) + 2 * (u & 3) + (m & 1) + 8 * (m >> 1); };

    Raw8<E> raw[UNITS][4];
#pragma unroll
    for (int k = 0; k < UNITS; ++k)
    {
        const int u = tid + k * SAGE_THREADS;
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            const int t = unit_row(u, m);
            raw[k][m] = u < units && t < length ? load_raw8<E>(v + token_offset(s, b, h, t) + c0) : zero_raw8<E>();
        }
    }
    // Per tile (a warp's 32 units at one k are one 128-token tile, tile = warp + 8k), finish_channel's candidate
    // max(|max|, |min|) of tile_stats's minimum and maximum (fminf / fmaxf from ±∞, NaN never wins): max |x| over the
    // tile's values that are not NaN, or +∞ when all are NaN (the sentinels ±∞ then remain). Non-negative floats order
    // as their bit patterns, so the warp's maximum is one redux.sync per channel.
    float amax[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) amax[i] = 0.0f;
#pragma unroll
    for (int k = 0; k < UNITS; ++k)
    {
        float m8[8];
        unsigned int seen = 0u; // bit i: a value of channel i that is not NaN
#pragma unroll
        for (int i = 0; i < 8; ++i) m8[i] = 0.0f;
        const int u = tid + k * SAGE_THREADS;
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            if (u >= units || unit_row(u, m) >= length) continue;
            float y[8];
            widen8<E>(raw[k][m], y);
#pragma unroll
            for (int i = 0; i < 8; ++i)
            {
                m8[i] = fmaxf(m8[i], fabsf(y[i]));
                if (y[i] == y[i]) seen |= 1u << i;
            }
        }
        const unsigned int seenTile = __reduce_or_sync(0xFFFFFFFFu, seen);
        const int tile = warp + k * (SAGE_THREADS / 32);
#pragma unroll
        for (int i = 0; i < 8; ++i)
        {
            const float tileMax = __uint_as_float(__reduce_max_sync(0xFFFFFFFFu, __float_as_uint(m8[i])));
            if (tile * SAGE_KEY_TILE < length) // a tile of the sequence (one with real tokens)
                amax[i] = fmaxf(amax[i], (seenTile >> i) & 1u ? tileMax : __int_as_float(0x7F800000));
        }
    }
    if (lane == 0)
    {
#pragma unroll
        for (int i = 0; i < 8; ++i) s_amax[warp][i] = amax[i];
    }
    __syncthreads();
    if (tid < 8)
    {
        float amax = 0.0f;
#pragma unroll
        for (int w = 0; w < SAGE_THREADS / 32; ++w) amax = fmaxf(amax, s_amax[w][tid]);
        const float sc = __fdiv_rn(amax, vMax);
        vScales[bh * D + c0 + tid] = sc;
        const QuotientBracket r = quotient_bracket(sc);
        s_code[tid] = make_float4(r.lo, r.hi, sc, __uint_as_float(sc != 0.0f ? 0xFFFFFFFFu : 0u));
    }
    __syncthreads();

#pragma unroll
    for (int k = 0; k < UNITS; ++k)
    {
        const int u = tid + k * SAGE_THREADS;
        if (u >= units) break;
        float x[4][8];
        bool real[4];
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            real[m] = unit_row(u, m) < length;
            widen8<E>(raw[k][m], x[m]);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j)
            *reinterpret_cast<unsigned int*>(codes + (bh * D + c0 + j) * paddedLength + 4 * u) = value_code_word(x, j, real, s_code[j]);
    }
}

// Grid (1-D), SAGE_THREADS threads: the K tiles (BHkv · tiles), then the V tiles (as many) or, with VALUE_ONEPASS, one CTA
// per (key/value head, 8 channels) (value_onepass). Two kernels, so that each has its own register bound.
template <class E, int D, bool VALUE_ONEPASS>
__device__ __forceinline__ void quantize_kv(
    const typename E::storage* __restrict__ k, const typename E::storage* __restrict__ v, TensorStrides s, int length,
    int heads, int tiles, int keyTiles, const float* __restrict__ keyMean, int granularity, int int4,
    float* __restrict__ kScales, signed char* __restrict__ kQuantized, int paddedLength, float* __restrict__ kSmoothed,
    const float* __restrict__ valueMean, float* __restrict__ vScales, unsigned char* __restrict__ codes, float vMax)
{
    const int index = blockIdx.x;
    if (index < keyTiles)
        key_tile<E, D>(index, k, s, length, heads, tiles, keyMean, granularity, int4, kScales, kQuantized, paddedLength, kSmoothed);
    else if constexpr (VALUE_ONEPASS)
        value_onepass<E, D>(index - keyTiles, v, s, length, heads, paddedLength, vMax, vScales, codes);
    else
        value_tile<E, D>(index - keyTiles, v, s, length, heads, tiles, valueMean, vScales, codes, paddedLength);
}

// preprocess_quantize_kv_* (V in two passes, SAGE_QUANTIZE_MIN_BLOCKS) and preprocess_quantize_kv_onepass_* (V in one
// pass, SAGE_ONEPASS_MIN_BLOCKS): the same parameters.
#define SAGE_QUANTIZE_KV_KERNEL(NAME, MIN_BLOCKS, VALUE_ONEPASS, SUFFIX, ELEM, D)                                   \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS, MIN_BLOCKS) NAME##_##SUFFIX##_d##D(                  \
        const ELEM::storage* __restrict__ k, const ELEM::storage* __restrict__ v, long long sb, long long sh,       \
        long long st, int length, int heads, int tiles, int keyTiles, const float* __restrict__ keyMean,           \
        int granularity, int int4, float* __restrict__ kScales, signed char* __restrict__ kQuantized,              \
        int paddedLength, float* __restrict__ kSmoothed, const float* __restrict__ valueMean,                      \
        float* __restrict__ vScales, unsigned char* __restrict__ codes, float vMax)                                 \
    {                                                                                                              \
        quantize_kv<ELEM, D, VALUE_ONEPASS>(k, v, TensorStrides{ sb, sh, st }, length, heads, tiles, keyTiles,     \
                                            keyMean, granularity, int4, kScales, kQuantized, paddedLength,         \
                                            kSmoothed, valueMean, vScales, codes, vMax);                           \
    }
#define SAGE_QUANTIZE_KV(SUFFIX, ELEM, D)                                                                           \
    SAGE_QUANTIZE_KV_KERNEL(preprocess_quantize_kv, SAGE_QUANTIZE_MIN_BLOCKS(D), false, SUFFIX, ELEM, D)
#define SAGE_QUANTIZE_KV_ONEPASS(SUFFIX, ELEM, D)                                                                   \
    SAGE_QUANTIZE_KV_KERNEL(preprocess_quantize_kv_onepass, SAGE_ONEPASS_MIN_BLOCKS(D), true, SUFFIX, ELEM, D)

SAGE_FOR_EACH_INPUT(SAGE_QUANTIZE_KV)
// V in one pass takes 16-bit inputs only (GpuPreprocessor.OnePassValuesApply: an FP32 row chunk would double the registers).
SAGE_QUANTIZE_KV_ONEPASS(f16, ElemF16, 64) SAGE_QUANTIZE_KV_ONEPASS(f16, ElemF16, 128)
SAGE_QUANTIZE_KV_ONEPASS(bf16, ElemBF16, 64) SAGE_QUANTIZE_KV_ONEPASS(bf16, ElemBF16, 128)

// Launch 3 with V in one pass as a persistent ring of copy-engine loads (GpuPreprocessor.CodesSchedule.Ring).
#include "preprocess_codes_ring.cuh"

// ---------------------------------------------------------------------------------------------------------------
// 4. §10's SmoothK correction of the LSE, only for calls that return it: dot[row] = Σ_c (double)Q[row, c]·(double)
// mean[c] in binary64, summed for c = 0 … D − 1 in order from +0 (products exact), for every query row; the main loop's
// epilogue multiplies it by sm_scale and adds it. One thread per row (B·Hq·Nq rows, row index fastest within a head):
// the row's D elements are loaded with 16-byte loads before the chain starts. Query head h reads the K mean of its
// key/value head h / (Hq / Hkv).
template <class E, int D>
__device__ __forceinline__ void lse_dot_row(const typename E::storage* __restrict__ q, TensorStrides s, int length,
                                            int heads, int group, const float* __restrict__ mean,
                                            double* __restrict__ dot, long long rows)
{
    const long long i = static_cast<long long>(blockIdx.x) * SAGE_THREADS + threadIdx.x;
    if (i >= rows) return;
    const int t = static_cast<int>(i % length);
    const long long bh = i / length;
    const int h = static_cast<int>(bh % heads), b = static_cast<int>(bh / heads);
    const long long bhk = static_cast<long long>(b) * (heads / group) + h / group;
    const typename E::storage* row = q + token_offset(s, b, h, t);
    const float* m = mean + bhk * D;
    Raw8<E> raw[D / 8];
#pragma unroll
    for (int c = 0; c < D / 8; ++c) raw[c] = load_raw8<E>(row + 8 * c);
    double total = 0.0;
#pragma unroll
    for (int c = 0; c < D / 8; ++c)
    {
        float x[8];
        widen8<E>(raw[c], x);
#pragma unroll
        for (int j = 0; j < 8; ++j) total = __dadd_rn(total, __dmul_rn(static_cast<double>(x[j]), static_cast<double>(m[8 * c + j])));
    }
    dot[i] = total;
}

#define SAGE_LSE_DOT(SUFFIX, ELEM, D)                                                                               \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS) preprocess_lse_dot_##SUFFIX##_d##D(                 \
        const ELEM::storage* __restrict__ q, long long qsb, long long qsh, long long qst, int length, int heads,   \
        int group, const float* __restrict__ mean, double* __restrict__ dot, long long rows)                       \
    {                                                                                                              \
        lse_dot_row<ELEM, D>(q, TensorStrides{ qsb, qsh, qst }, length, heads, group, mean, dot, rows);            \
    }

SAGE_FOR_EACH_INPUT(SAGE_LSE_DOT)
