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

// 16-bit inputs sort their 16-bit keys two to a register (SAGE_TRIM_PACKED_KEYS, session 50): the sort is the kernel's
// time (ncu: issue-bound, "math pipe throttle", 11.6 µs at B = 4, H = 32, d = 128 on the H200, in series before the
// codes ring), and min/max.u16x2 compare two keys per instruction. Widening is exact and monotone on FP16 and BF16 bits
// (−0 below +0 included), so the 16-bit keys sort into the same sequence as the 32-bit keys of the widened values, and
// the group sums add the same floats in the same order: the same mean, bit for bit, on the inputs of the contract's
// domain (docs/kernel-spec.md §0: finite; a NaN with its sign bit set sorts below −∞ here, where cvt.f32.f16 may have made
// it a positive NaN for the 32-bit keys). 0 keeps the 32-bit sort for A/B runs.
#ifndef SAGE_TRIM_PACKED_KEYS
#define SAGE_TRIM_PACKED_KEYS 1
#endif

// totalOrder keys of 16-bit float bits (FP16 or BF16: sign, then magnitude), and back.
__device__ __forceinline__ unsigned int total_order_key16(unsigned int u)
{
    return (u & 0x8000u) ? (~u & 0xFFFFu) : (u | 0x8000u);
}
__device__ __forceinline__ unsigned short total_order_bits16(unsigned int key)
{
    return static_cast<unsigned short>((key & 0x8000u) ? (key & 0x7FFFu) : (~key & 0xFFFFu));
}
__device__ __forceinline__ unsigned int min_u16x2(unsigned int a, unsigned int b)
{
    unsigned int d;
    asm("min.u16x2 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(b));
    return d;
}
__device__ __forceinline__ unsigned int max_u16x2(unsigned int a, unsigned int b)
{
    unsigned int d;
    asm("max.u16x2 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(b));
    return d;
}

// The bitonic stages that pair lanes (j ≥ 16: lane g with lane g ^ j/16, the same register index) in both sorts below:
// each register keeps the smaller of its two keys, or the larger, as position 16g's run ascends and g is the lower lane
// or not. PACKED: two 16-bit keys per register, compared half by half (min/max.u16x2); else one 32-bit key.
template <bool PACKED, int N>
__device__ __forceinline__ void trimmed_lane_stage(unsigned int (&keys)[N], int g, int size, int j)
{
    const int apart = j >> 4;
    const bool keepSmaller = ((g & apart) == 0) == (((16 * g) & size) == 0);
#pragma unroll
    for (int i = 0; i < N; ++i)
    {
        const unsigned int other = __shfl_xor_sync(0xFFFFFFFFu, keys[i], apart);
        if constexpr (PACKED) keys[i] = keepSmaller ? min_u16x2(keys[i], other) : max_u16x2(keys[i], other);
        else keys[i] = keepSmaller ? min(keys[i], other) : max(keys[i], other);
    }
}

// The channel's 128 sample values sorted, then lane g's group sum of sorted positions 16g … 16g + 15 (+0 for groups 0
// and 7), 32-bit keys: any element type. Lane g loads sample tokens 16g … 16g + 15 (16g + r in v[r]).
template <class E>
__device__ __forceinline__ float trimmed_group_sum32(const typename E::storage* __restrict__ k, TensorStrides strides, int b, int h,
                                                     int g, int cc)
{
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
            else trimmed_lane_stage<false>(v, g, size, j);
        }
    }
    float p = 0.0f;
    if (g >= 1 && g <= 6)
    {
#pragma unroll
        for (int r = 0; r < 16; ++r) p = __fadd_rn(p, total_order_value(v[r]));
    }
    return p;
}

// The same network on 16-bit keys, two per register: P[i] holds position 16g + i in its low half and 16g + i + 8 in its
// high half. Every stage makes the 32-bit network's comparisons (the same mean: KeyMeanBitExactTests and the
// pre-processing bit-exact tests compare it with the emulator's):
//   j ≥ 16 (lanes g, g ^ j/16): both halves keep the smaller or both the larger, as in the 32-bit network;
//   j = 8 (the two halves of one register): min and max of the register and its halves exchanged, low half the min
//         where the run ascends;
//   j < 8 (registers i, i | j, half by half): both halves ascend or descend together, except in the runs of 8 (size 8),
//         where the low halves (positions i < 8) ascend and the high halves (i + 8) descend.
template <class E>
__device__ __forceinline__ float trimmed_group_sum16(const typename E::storage* __restrict__ k, TensorStrides strides, int b, int h,
                                                     int g, int cc)
{
    unsigned int P[8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
    {
        const unsigned int lo = k[token_offset(strides, b, h, 16 * g + i) + cc];
        const unsigned int hi = k[token_offset(strides, b, h, 16 * g + i + 8) + cc];
        P[i] = total_order_key16(lo) | (total_order_key16(hi) << 16);
    }
#pragma unroll
    for (int size = 2; size <= 128; size <<= 1)
    {
#pragma unroll
        for (int j = size >> 1; j > 0; j >>= 1)
        {
            if (j >= 16) trimmed_lane_stage<true>(P, g, size, j);
            else if (j == 8)
            {
#pragma unroll
                for (int i = 0; i < 8; ++i)
                {
                    const bool up = ((16 * g + i) & size) == 0; // the same for i + 8: size ≥ 16
                    const unsigned int swapped = __byte_perm(P[i], 0u, 0x1032);
                    const unsigned int lo = min_u16x2(P[i], swapped), hi = max_u16x2(P[i], swapped);
                    P[i] = __byte_perm(lo, hi, up ? 0x7610 : 0x3254); // low half from lo and high from hi, or the reverse
                }
            }
            else
            {
#pragma unroll
                for (int i = 0; i < 8; ++i)
                {
                    if (i & j) continue;
                    const unsigned int lo = min_u16x2(P[i], P[i | j]), hi = max_u16x2(P[i], P[i | j]);
                    if (size == 8)
                    {
                        P[i] = __byte_perm(lo, hi, 0x7610);     // position i ascends: min; i + 8 descends: max
                        P[i | j] = __byte_perm(hi, lo, 0x7610);
                    }
                    else
                    {
                        const bool up = ((16 * g + i) & size) == 0; // the same for i + 8: size ≤ 4 or ≥ 16
                        P[i] = up ? lo : hi;
                        P[i | j] = up ? hi : lo;
                    }
                }
            }
        }
    }
    float p = 0.0f;
    if (g >= 1 && g <= 6)
    {
#pragma unroll
        for (int r = 0; r < 16; ++r)
        {
            const unsigned int key = r < 8 ? (P[r] & 0xFFFFu) : (P[r - 8] >> 16);
            p = __fadd_rn(p, widen<E>(static_cast<typename E::storage>(total_order_bits16(key))));
        }
    }
    return p;
}

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
    // Groups 1 … 6 are kept (sorted positions 16 … 111); groups 0 and 7 stay +0.
    float p;
    if constexpr (SAGE_TRIM_PACKED_KEYS && sizeof(typename E::storage) == 2)
        p = trimmed_group_sum16<E>(k, strides, b, h, g, cc);
    else p = trimmed_group_sum32<E>(k, strides, b, h, g, cc);
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
