// QSmoothing step 3 (docs/kernel-spec.md §2): ΔS_b[j] = (fma chain over c = 0..d−1 of qmean_b[c]·K̃[j,c], from 0) ⊗
// LOG2E_SCALE, for every 64-row query block b and key token j, from the fp32 smoothed K (K̃, written by key_quantize
// when SmoothQ is on) and the block means (written by query_quantize). Padded tokens (j ≥ Nk) and padded blocks
// (b ≥ ⌈Nq/64⌉, whose rows are discarded) get 0.
// Output: [B, Hq, blocks, padK] floats, blocks = padQ / 64, the layout the attention main loop reads.
// Grid (key tiles, Hq, B), 128 threads: thread = key token of the tile. Its K̃ row stays in registers while the
// block means go through shared memory, so each K̃ element is read once per query head.
#include "preprocess_common.cuh"

template <int D>
__device__ __forceinline__ void score_correction(const float* __restrict__ kSmoothed, const float* __restrict__ qMeans,
                                                 int queryLength, int keyLength, int queryHeads, int keyValueHeads,
                                                 int blocks, int paddedKeyLength, float log2eScale,
                                                 float* __restrict__ deltaS)
{
    __shared__ float s_mean[D];
    const int tile = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const int tid = threadIdx.x;
    const int hk = h / (queryHeads / keyValueHeads);
    const long long bhq = static_cast<long long>(b) * queryHeads + h;
    const long long bhk = static_cast<long long>(b) * keyValueHeads + hk;
    const int j = tile * SAGE_KEY_TILE + tid;
    const bool real = j < keyLength;
    const int meanBlocks = (queryLength + SAGE_QUERY_BLOCK - 1) / SAGE_QUERY_BLOCK;

    float key[D];
    if (real)
    {
        const float4* row = reinterpret_cast<const float4*>(kSmoothed + (bhk * keyLength + j) * D);
#pragma unroll
        for (int i = 0; i < D / 4; ++i)
        {
            const float4 x = row[i];
            key[4 * i] = x.x; key[4 * i + 1] = x.y; key[4 * i + 2] = x.z; key[4 * i + 3] = x.w;
        }
    }
    else
    {
#pragma unroll
        for (int c = 0; c < D; ++c) key[c] = 0.0f;
    }

    for (int block = 0; block < blocks; ++block)
    {
        __syncthreads(); // everyone is done with the previous block's means
        if (tid < D) s_mean[tid] = block < meanBlocks ? qMeans[(bhq * meanBlocks + block) * D + tid] : 0.0f;
        __syncthreads();
        float value = 0.0f;
        if (real && block < meanBlocks)
        {
            float dot = 0.0f;
#pragma unroll
            for (int c = 0; c < D; ++c) dot = __fmaf_rn(s_mean[c], key[c], dot);
            value = __fmul_rn(dot, log2eScale);
        }
        deltaS[(bhq * blocks + block) * paddedKeyLength + j] = value;
    }
}

#define SAGE_SCORE_CORRECTION(D)                                                                                    \
    extern "C" __global__ void __launch_bounds__(SAGE_KEY_TILE) score_correction_d##D(                            \
        const float* __restrict__ kSmoothed, const float* __restrict__ qMeans, int queryLength, int keyLength,     \
        int queryHeads, int keyValueHeads, int blocks, int paddedKeyLength, float log2eScale,                      \
        float* __restrict__ deltaS)                                                                                \
    {                                                                                                              \
        score_correction<D>(kSmoothed, qMeans, queryLength, keyLength, queryHeads, keyValueHeads, blocks,          \
                            paddedKeyLength, log2eScale, deltaS);                                                  \
    }

SAGE_SCORE_CORRECTION(64)
SAGE_SCORE_CORRECTION(128)
