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

// ---------------------------------------------------------------------------------------------------------------
// SmoothK's trimmed mean of the strided sample (docs/kernel-spec.md §1, "Strided sample, trimmed"): per channel the
// sample's 128 values sorted in IEEE totalOrder, 16 dropped on each side, the middle 96 summed in groups of 16 from +0,
// the eight group sums added by xor-shuffles 1, 2, 4 (the spec's tree, the dropped groups contributing +0), ⊘ 96.
// Grid (⌈headDim / 32⌉, heads, batch), 256 threads: 8 lanes per channel, lane g of a channel loading sample tokens
// 16g … 16g + 15 (strides.token is K's token stride times the sample's step) and, after the sort, holding sorted
// positions 16g … 16g + 15. A head's sample is 128 rows: the CTAs of a head read the same rows, from L1 after the first.

// Unsigned keys in IEEE totalOrder on binary32 (−0 before +0; the inputs are finite, §0): negatives complemented,
// the rest with the sign bit set. Sorting them sorts the values, and the sorted sequence is unique.
__device__ __forceinline__ unsigned int total_order_key(float x)
{
    const unsigned int u = __float_as_uint(x);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ float total_order_value(unsigned int key)
{
    return __uint_as_float((key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key);
}

#define SAGE_TRIM_CHANNELS_PER_CTA 32

template <class E>
__device__ __forceinline__ void key_trimmed_sample_mean(const typename E::storage* __restrict__ k, TensorStrides strides,
                                                        int headDim, int heads, float* __restrict__ mean)
{
    // Launch 1 (the Q blocks) may start beside this grid as its programmatic dependent (GpuPreprocessor.PreprocessFused):
    // it reads nothing this kernel writes, and waits for it only before it exits. A no-op without a dependent.
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
    const int g = threadIdx.x & 7; // this lane's 16 sample tokens, then its 16 sorted positions
    const int c = blockIdx.x * SAGE_TRIM_CHANNELS_PER_CTA + (threadIdx.x >> 3);
    const int h = blockIdx.y, b = blockIdx.z;
    // Past the last channel a group sorts a copy of it and stores nothing: every lane takes part in the shuffles.
    const int cc = min(c, headDim - 1);
    unsigned int v[16];
#pragma unroll
    for (int r = 0; r < 16; ++r) v[r] = total_order_key(widen<E>(k[token_offset(strides, b, h, 16 * g + r) + cc]));

    // Bitonic sort of the 128 keys, position e = 16g + r: stage (size, j) compares e with e ^ j and keeps the smaller
    // in the lower position where e & size == 0 (ascending runs), the larger where not. j < 16: both in this lane;
    // j ≥ 16: the partner is lane g ^ (j / 16), same r, within the channel's aligned 8 lanes.
#pragma unroll
    for (int size = 2; size <= 128; size <<= 1)
    {
#pragma unroll
        for (int j = size >> 1; j > 0; j >>= 1)
        {
            if (j < 16)
            {
#pragma unroll
                for (int r = 0; r < 16; ++r)
                {
                    if (r & j) continue;
                    const bool up = ((16 * g + r) & size) == 0;
                    const unsigned int a = v[r], z = v[r | j];
                    const unsigned int lo = min(a, z), hi = max(a, z);
                    v[r] = up ? lo : hi;
                    v[r | j] = up ? hi : lo;
                }
            }
            else
            {
                const int apart = j >> 4;
                const bool keepSmaller = ((g & apart) == 0) == (((16 * g) & size) == 0);
#pragma unroll
                for (int r = 0; r < 16; ++r)
                {
                    const unsigned int other = __shfl_xor_sync(0xFFFFFFFFu, v[r], apart);
                    v[r] = keepSmaller ? min(v[r], other) : max(v[r], other);
                }
            }
        }
    }

    // Groups 1 … 6 are kept (sorted positions 16 … 111); groups 0 and 7 stay +0.
    float p = 0.0f;
    if (g >= 1 && g <= 6)
    {
#pragma unroll
        for (int r = 0; r < 16; ++r) p = __fadd_rn(p, total_order_value(v[r]));
    }
    p = __fadd_rn(p, __shfl_xor_sync(0xFFFFFFFFu, p, 1));
    p = __fadd_rn(p, __shfl_xor_sync(0xFFFFFFFFu, p, 2));
    p = __fadd_rn(p, __shfl_xor_sync(0xFFFFFFFFu, p, 4));
    if (g == 0 && c < headDim) mean[(static_cast<long long>(b) * heads + h) * headDim + c] = __fdiv_rn(p, 96.0f);
}

#define SAGE_TRIMMED_MEAN_KERNEL(SUFFIX, ELEM, STORAGE)                                                                 \
    extern "C" __global__ void __launch_bounds__(8 * SAGE_TRIM_CHANNELS_PER_CTA) key_trimmed_sample_mean_##SUFFIX(    \
        const STORAGE* __restrict__ k, long long sb, long long sh, long long st, int headDim, int heads,               \
        float* __restrict__ mean)                                                                                      \
    {                                                                                                                  \
        key_trimmed_sample_mean<ELEM>(k, TensorStrides{ sb, sh, st }, headDim, heads, mean);                          \
    }
SAGE_TRIMMED_MEAN_KERNEL(f32, ElemF32, float)
SAGE_TRIMMED_MEAN_KERNEL(f16, ElemF16, unsigned short)
SAGE_TRIMMED_MEAN_KERNEL(bf16, ElemBF16, unsigned short)
