// KSmoothing (docs/kernel-spec.md §1): the per-channel mean of K over the sequence in the spec's fixed order.
// Pass 1: one thread per (channel, 128-token chunk) sums the chunk's tokens in ascending order (reads are
// coalesced across the channels of a token). Pass 2: one thread per channel adds the chunk sums in ascending
// chunk order and divides by N. Neither pass depends on the launch shape, so the mean is the same on every run.
#include "preprocess_common.cuh"

template <class E>
__device__ __forceinline__ void key_chunk_sums(const typename E::storage* __restrict__ k, TensorStrides strides,
                                               int length, int headDim, int heads, float* __restrict__ partial)
{
    const int c = threadIdx.x;
    const int chunk = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const int chunks = gridDim.x;
    if (c >= headDim) return;
    const int t0 = chunk * SAGE_KEY_TILE;
    const int t1 = min(length, t0 + SAGE_KEY_TILE);
    float s = 0.0f;
    // Unrolled so the independent loads are in flight together; the additions stay in order.
    #pragma unroll 8
    for (int t = t0; t < t1; ++t) s = __fadd_rn(s, widen<E>(k[token_offset(strides, b, h, t) + c]));
    partial[((static_cast<long long>(b) * heads + h) * chunks + chunk) * headDim + c] = s;
}

extern "C" __global__ void key_chunk_sums_f32(const float* __restrict__ k, long long sb, long long sh, long long st,
                                              int length, int headDim, int heads, float* __restrict__ partial)
{
    key_chunk_sums<ElemF32>(k, TensorStrides{ sb, sh, st }, length, headDim, heads, partial);
}

extern "C" __global__ void key_chunk_sums_f16(const unsigned short* __restrict__ k, long long sb, long long sh, long long st,
                                              int length, int headDim, int heads, float* __restrict__ partial)
{
    key_chunk_sums<ElemF16>(k, TensorStrides{ sb, sh, st }, length, headDim, heads, partial);
}

extern "C" __global__ void key_chunk_sums_bf16(const unsigned short* __restrict__ k, long long sb, long long sh, long long st,
                                               int length, int headDim, int heads, float* __restrict__ partial)
{
    key_chunk_sums<ElemBF16>(k, TensorStrides{ sb, sh, st }, length, headDim, heads, partial);
}

// Grid: (batch·heads). Block: headDim threads. mean[bh, c] = (Σ_j partial[bh, j, c] in ascending j) ⊘ (float)N.
extern "C" __global__ void key_mean(const float* __restrict__ partial, int chunks, int length, int headDim,
                                    float* __restrict__ mean)
{
    const int c = threadIdx.x;
    const long long bh = blockIdx.x;
    if (c >= headDim) return;
    float total = 0.0f;
    for (int j = 0; j < chunks; ++j) total = __fadd_rn(total, partial[(bh * chunks + j) * headDim + c]);
    mean[bh * headDim + c] = __fdiv_rn(total, __int2float_rn(length)); // (float)N is exact: N < 2^24
}
