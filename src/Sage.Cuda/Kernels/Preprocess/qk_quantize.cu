// QkQuantization (docs/kernel-spec.md §3) of K (per 128-token tile) and Q (per 64-row warpgroup block, with the
// optional QSmoothing of §2). Per group: amax = max|x| (exact, order irrelevant: shared atomicMax on the bit
// patterns), scale = amax ⊘ qmax, q = (scale == 0) ? 0 : cvt(x ⊘ scale) with an exact division.
// Two passes over the tile: the first finds the group maxima, the second re-reads the input (from L2) and
// recomputes the same smoothed values, so no tile has to fit in registers or shared memory.
// Outputs (see docs/results/preprocess-2026-11-25.md for the layout the attention kernel reads):
//   INT8: [B, H, paddedLength, d] bytes; INT4: [B, H, paddedLength, d/2] bytes, element 2m in bits 3..0 and
//   element 2m+1 in bits 7..4 of byte m. Padded rows/tokens are 0.
#include "preprocess_common.cuh"

// ---------------------------------------------------------------------------------------------------------------
// K: grid (tiles, heads, batch), SAGE_THREADS threads. Thread = (token row, 8 channels); rows step by
// SAGE_THREADS / (d/8) = 16 or 32, a multiple of 8, so all tokens of a thread share t mod 8 and hence one
// per-thread group ((t mod 8) / 2).
template <class E>
__device__ __forceinline__ void key_quantize(const typename E::storage* __restrict__ k, TensorStrides strides,
                                             int length, int headDim, int heads, const float* __restrict__ mean,
                                             int granularity, int int4, float* __restrict__ scales,
                                             signed char* __restrict__ quantized, int paddedLength,
                                             float* __restrict__ smoothed)
{
    __shared__ float s_mean[128];
    __shared__ unsigned int s_amax[4];
    const int tile = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const int tiles = gridDim.x;
    const long long bh = static_cast<long long>(b) * heads + h;
    const int tid = threadIdx.x;
    if (tid < headDim) s_mean[tid] = mean != nullptr ? mean[bh * headDim + tid] : 0.0f;
    if (tid < 4) s_amax[tid] = 0u;
    __syncthreads();

    const int chunksPerRow = headDim / 8;
    const int rowsPerPass = SAGE_THREADS / chunksPerRow;
    const int c0 = (tid % chunksPerRow) * 8;
    const int firstRow = tid / chunksPerRow;
    const int groups = granularity == SAGE_PER_THREAD ? 4 : 1;
    const int group = granularity == SAGE_PER_THREAD ? ((firstRow & 7) >> 1) : 0;
    const int t0 = tile * SAGE_KEY_TILE;

    float amax = 0.0f;
    for (int r = firstRow; r < SAGE_KEY_TILE; r += rowsPerPass)
    {
        const int t = t0 + r;
        if (t >= length) break;
        float x[8];
        load8<E>(k + token_offset(strides, b, h, t) + c0, x);
        if (mean != nullptr)
        {
#pragma unroll
            for (int i = 0; i < 8; ++i) x[i] = __fsub_rn(x[i], s_mean[c0 + i]); // without SmoothK: no subtraction at all
        }
#pragma unroll
        for (int i = 0; i < 8; ++i) amax = fmaxf(amax, fabsf(x[i]));
        if (smoothed != nullptr)
        {
            float4* dst = reinterpret_cast<float4*>(smoothed + (bh * length + t) * headDim + c0);
            dst[0] = make_float4(x[0], x[1], x[2], x[3]);
            dst[1] = make_float4(x[4], x[5], x[6], x[7]);
        }
    }
    shared_max(&s_amax[group], amax);
    __syncthreads();

    const float qmax = int4 ? 7.0f : 127.0f;
    if (tid < groups) scales[(bh * tiles + tile) * groups + tid] = __fdiv_rn(__uint_as_float(s_amax[tid]), qmax);
    const float scale = __fdiv_rn(__uint_as_float(s_amax[group]), qmax);

    for (int r = firstRow; r < SAGE_KEY_TILE; r += rowsPerPass)
    {
        const int t = t0 + r;
        int q[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        if (t < length && scale != 0.0f)
        {
            float x[8];
            load8<E>(k + token_offset(strides, b, h, t) + c0, x);
            if (mean != nullptr)
            {
#pragma unroll
                for (int i = 0; i < 8; ++i) x[i] = __fsub_rn(x[i], s_mean[c0 + i]);
            }
            quantize8(x, scale, int4, q);
        }
        store_quantized(quantized, bh * paddedLength + t, headDim, c0, q, int4);
    }
}

#define SAGE_KEY_QUANTIZE(SUFFIX, ELEM)                                                                             \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS) key_quantize_##SUFFIX(                             \
        const ELEM::storage* __restrict__ k, long long sb, long long sh, long long st, int length, int headDim,   \
        int heads, const float* __restrict__ mean, int granularity, int int4, float* __restrict__ scales,          \
        signed char* __restrict__ quantized, int paddedLength, float* __restrict__ smoothed)                       \
    {                                                                                                              \
        key_quantize<ELEM>(k, TensorStrides{ sb, sh, st }, length, headDim, heads, mean, granularity, int4, scales, \
                           quantized, paddedLength, smoothed);                                                     \
    }

SAGE_KEY_QUANTIZE(f32, ElemF32)
SAGE_KEY_QUANTIZE(f16, ElemF16)
SAGE_KEY_QUANTIZE(bf16, ElemBF16)

// ---------------------------------------------------------------------------------------------------------------
// Q: grid (paddedLength / 64, heads, batch), SAGE_THREADS threads; one CTA per 64-row warpgroup block, the unit
// of Q smoothing and of the per-block group. Groups inside a block (local row r):
//   PerThread: (r/16)·8 + r mod 8 (32 groups), PerWarp: r/16 (4), PerBlock: 0 (1);
// global group = block·groupsPerBlock + local, which is the spec's index row/16·8 + row mod 8, row/16, row/64.

template <class E>
__device__ __forceinline__ void query_quantize(const typename E::storage* __restrict__ q, TensorStrides strides,
                                               int length, int headDim, int heads, int smooth, int granularity,
                                               int int4, float log2eScale, float* __restrict__ scales, int groupCount,
                                               signed char* __restrict__ quantized, int paddedLength,
                                               float* __restrict__ means)
{
    __shared__ float s_mean[128];
    __shared__ unsigned int s_amax[32];
    const int block = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const long long bh = static_cast<long long>(b) * heads + h;
    const int tid = threadIdx.x;
    const int row0 = block * SAGE_QUERY_BLOCK;
    const int rows = max(0, min(SAGE_QUERY_BLOCK, length - row0));
    const int meanBlocks = (length + SAGE_QUERY_BLOCK - 1) / SAGE_QUERY_BLOCK;
    if (tid < 32) s_amax[tid] = 0u;
    if (tid < headDim)
    {
        // QSmoothing step 1: s = 0; s = s ⊕ Q[r, c] over the block's real rows ascending; mean = s ⊘ rows.
        float m = 0.0f;
        if (smooth && rows > 0)
        {
            float s = 0.0f;
            // Unrolled so the independent loads are in flight together; the additions stay in order.
            #pragma unroll 8
            for (int r = 0; r < rows; ++r) s = __fadd_rn(s, widen<E>(q[token_offset(strides, b, h, row0 + r) + tid]));
            m = __fdiv_rn(s, __int2float_rn(rows));
            means[(bh * meanBlocks + block) * headDim + tid] = m;
        }
        s_mean[tid] = m;
    }
    __syncthreads();

    const int chunksPerRow = headDim / 8;
    const int rowsPerPass = SAGE_THREADS / chunksPerRow;
    const int c0 = (tid % chunksPerRow) * 8;
    const int firstRow = tid / chunksPerRow;

    for (int r = firstRow; r < rows; r += rowsPerPass)
    {
        float x[8];
        load8<E>(q + token_offset(strides, b, h, row0 + r) + c0, x);
        float amax = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i)
        {
            if (smooth) x[i] = __fsub_rn(x[i], s_mean[c0 + i]);
            amax = fmaxf(amax, fabsf(x[i]));
        }
        shared_max(&s_amax[query_group(granularity, r)], amax);
    }
    __syncthreads();

    const float qmax = int4 ? 7.0f : 127.0f;
    const int groupsPerBlock = granularity == SAGE_PER_THREAD ? 32 : (granularity == SAGE_PER_WARP ? 4 : 1);
    if (tid < groupsPerBlock)
    {
        const int global = block * groupsPerBlock + tid;
        // Stored q_scale = (amax ⊘ qmax) ⊗ LOG2E_SCALE (§3 step 4).
        if (global < groupCount)
            scales[bh * groupCount + global] = __fmul_rn(__fdiv_rn(__uint_as_float(s_amax[tid]), qmax), log2eScale);
    }

    for (int r = firstRow; r < SAGE_QUERY_BLOCK; r += rowsPerPass)
    {
        int qv[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        const float scale = __fdiv_rn(__uint_as_float(s_amax[query_group(granularity, r)]), qmax);
        if (r < rows && scale != 0.0f)
        {
            float x[8];
            load8<E>(q + token_offset(strides, b, h, row0 + r) + c0, x);
            if (smooth)
            {
#pragma unroll
                for (int i = 0; i < 8; ++i) x[i] = __fsub_rn(x[i], s_mean[c0 + i]);
            }
            quantize8(x, scale, int4, qv);
        }
        store_quantized(quantized, bh * paddedLength + row0 + r, headDim, c0, qv, int4);
    }
}

#define SAGE_QUERY_QUANTIZE(SUFFIX, ELEM)                                                                           \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS) query_quantize_##SUFFIX(                           \
        const ELEM::storage* __restrict__ q, long long sb, long long sh, long long st, int length, int headDim,   \
        int heads, int smooth, int granularity, int int4, float log2eScale, float* __restrict__ scales,            \
        int groupCount, signed char* __restrict__ quantized, int paddedLength, float* __restrict__ means)          \
    {                                                                                                              \
        query_quantize<ELEM>(q, TensorStrides{ sb, sh, st }, length, headDim, heads, smooth, granularity, int4,    \
                             log2eScale, scales, groupCount, quantized, paddedLength, means);                      \
    }

SAGE_QUERY_QUANTIZE(f32, ElemF32)
SAGE_QUERY_QUANTIZE(f16, ElemF16)
SAGE_QUERY_QUANTIZE(bf16, ElemBF16)
