// VSmoothing + VQuantization (docs/kernel-spec.md §4): with SmoothV the host passes the channel means (key_chunk_sums +
// key_mean of key_smoothing.cu run on V: the same order as §1) and every pass reads Ṽ = V ⊖ vmean (no subtraction at
// all without it, so −0 stays −0). Then per (batch, key/value head, channel) over the real tokens,
// v_scale = amax ⊘ V_MAX and v8 = (v_scale == 0) ? E4M3(+0) : cvt.rn.satfinite.e4m3x2.f32(V ⊘ v_scale).
// Output codes are channel-major, [B, H, d, paddedLength] (the K-major B operand FP8 wgmma needs for P·V),
// padded tokens +0; scales [B, H, d]. Storage order (docs/kernel-spec.md §4 "Storage layout of the V codes"): within every 16-token
// group, token 8a + 2t + b is stored at position 4t + 2a + b (value_code_position), the k order of the register A
// fragment the main loop feeds P through; the values are those of the spec, only their addresses move.
#include "preprocess_common.cuh"

// Pass 1. Grid (tiles, heads, batch); block: headDim threads, one per channel, over the tile's tokens.
// amaxBits [B·H, d] must be zero before the launch; the maximum is order-independent, so atomics are exact.
template <class E>
__device__ __forceinline__ void value_amax(const typename E::storage* __restrict__ v, TensorStrides strides,
                                           int length, int headDim, int heads, const float* __restrict__ mean,
                                           unsigned int* __restrict__ amaxBits)
{
    const int c = threadIdx.x;
    const int tile = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    if (c >= headDim) return;
    const int t0 = tile * SAGE_KEY_TILE;
    const int t1 = min(length, t0 + SAGE_KEY_TILE);
    float amax = 0.0f;
    if (mean != nullptr)
    {
        const float m = mean[(static_cast<long long>(b) * heads + h) * headDim + c];
        #pragma unroll 8
        for (int t = t0; t < t1; ++t) amax = fmaxf(amax, fabsf(__fsub_rn(widen<E>(v[token_offset(strides, b, h, t) + c]), m)));
    }
    else
    {
        // Unrolled so the independent loads are in flight together (max is order-independent).
        #pragma unroll 8
        for (int t = t0; t < t1; ++t) amax = fmaxf(amax, fabsf(widen<E>(v[token_offset(strides, b, h, t) + c])));
    }
    shared_max(&amaxBits[(static_cast<long long>(b) * heads + h) * headDim + c], amax);
}

// Position of tile token r (0..127) in the stored tile: within its 16-token group, token 8a + 2t + b -> 4t + 2a + b.
__device__ __forceinline__ int value_code_position(int r)
{
    const int u = r & 15;
    return (r & ~15) | (((u >> 1) & 3) << 2) | ((u >> 3) << 1) | (u & 1);
}

// Pass 2. Grid (tiles, heads, batch), SAGE_THREADS threads: codes of one 128-token tile, transposed through
// shared memory so both the reads (token rows) and the writes (channel rows of 128 bytes) are 16-byte wide.
template <class E>
__device__ __forceinline__ void value_quantize(const typename E::storage* __restrict__ v, TensorStrides strides,
                                               int length, int headDim, int heads, const float* __restrict__ mean,
                                               const unsigned int* __restrict__ amaxBits, float vMax,
                                               float* __restrict__ scales, unsigned char* __restrict__ codes,
                                               int paddedLength)
{
    __shared__ __align__(16) unsigned char s_codes[128][SAGE_KEY_TILE + 16];
    __shared__ float s_scale[128];
    __shared__ float s_mean[128];
    const int tile = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const long long bh = static_cast<long long>(b) * heads + h;
    const int tid = threadIdx.x;
    if (tid < headDim)
    {
        const float scale = __fdiv_rn(__uint_as_float(amaxBits[bh * headDim + tid]), vMax);
        s_scale[tid] = scale;
        s_mean[tid] = mean != nullptr ? mean[bh * headDim + tid] : 0.0f;
        if (tile == 0) scales[bh * headDim + tid] = scale;
    }
    __syncthreads();

    const int chunksPerRow = headDim / 8;
    const int rowsPerPass = SAGE_THREADS / chunksPerRow;
    const int c0 = (tid % chunksPerRow) * 8;
    const int t0 = tile * SAGE_KEY_TILE;
    for (int r = tid / chunksPerRow; r < SAGE_KEY_TILE; r += rowsPerPass)
    {
        const int t = t0 + r;
        const bool real = t < length;
        float x[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
        if (real) load8<E>(v + token_offset(strides, b, h, t) + c0, x);
        if (real && mean != nullptr)
        {
#pragma unroll
            for (int i = 0; i < 8; ++i) x[i] = __fsub_rn(x[i], s_mean[c0 + i]);
        }
#pragma unroll
        for (int i = 0; i < 8; i += 2)
        {
            const int c = c0 + i;
            const float s0 = s_scale[c], s1 = s_scale[c + 1];
            // scale 0 (all-zero channel) and padding give E4M3 +0, the code of +0.0f.
            const float r0 = (real && s0 != 0.0f) ? __fdiv_rn(x[i], s0) : 0.0f;
            const float r1 = (real && s1 != 0.0f) ? __fdiv_rn(x[i + 1], s1) : 0.0f;
            const unsigned int packed = cvt_e4m3x2(r1, r0);
            const int position = value_code_position(r);
            s_codes[c][position] = static_cast<unsigned char>(packed & 0xFFu);
            s_codes[c + 1][position] = static_cast<unsigned char>(packed >> 8);
        }
    }
    __syncthreads();

    for (int i = tid; i < headDim * (SAGE_KEY_TILE / 16); i += SAGE_THREADS)
    {
        const int c = i / (SAGE_KEY_TILE / 16), part = i % (SAGE_KEY_TILE / 16);
        *reinterpret_cast<uint4*>(codes + (bh * headDim + c) * paddedLength + t0 + part * 16) =
            *reinterpret_cast<const uint4*>(&s_codes[c][part * 16]);
    }
}

#define SAGE_VALUE_KERNELS(SUFFIX, ELEM)                                                                            \
    extern "C" __global__ void value_amax_##SUFFIX(const ELEM::storage* __restrict__ v, long long sb, long long sh, \
                                                   long long st, int length, int headDim, int heads,              \
                                                   const float* __restrict__ mean,                                \
                                                   unsigned int* __restrict__ amaxBits)                           \
    {                                                                                                              \
        value_amax<ELEM>(v, TensorStrides{ sb, sh, st }, length, headDim, heads, mean, amaxBits);                 \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(SAGE_THREADS) value_quantize_##SUFFIX(                           \
        const ELEM::storage* __restrict__ v, long long sb, long long sh, long long st, int length, int headDim,   \
        int heads, const float* __restrict__ mean, const unsigned int* __restrict__ amaxBits, float vMax,          \
        float* __restrict__ scales, unsigned char* __restrict__ codes, int paddedLength)                           \
    {                                                                                                              \
        value_quantize<ELEM>(v, TensorStrides{ sb, sh, st }, length, headDim, heads, mean, amaxBits, vMax, scales, \
                             codes, paddedLength);                                                                 \
    }

SAGE_VALUE_KERNELS(f32, ElemF32)
SAGE_VALUE_KERNELS(f16, ElemF16)
SAGE_VALUE_KERNELS(bf16, ElemBF16)
