// §3 for the CTA's own 64-row Q block, in the prologue of the *_mlq main-loop kernels (without SmoothQ and SmoothV; the
// default at d = 64, CudaAttention.QuantizesQueriesInMainLoop): the arithmetic of the pre-processing's query_blocks
// (preprocess_fused.cu) unchanged, only the place differs:
//   amax = max over the group's real elements of |x| (fmaxf from +0: exact in any order; NaN never wins),
//   scale = amax ⊘ 127, code = cvt.rni.sat.s8(x ⊘ scale) (0 when scale = 0 or past the last real row),
//   q_scale = scale ⊗ LOG2E_SCALE (what the pre-processing stores and block_rows would load).
// The codes go into the CTA's Q buffer exactly where the TMA load of the pre-processed block would have put them (the
// 128B swizzle of 128-byte rows, the 64B swizzle of 64-byte rows), so the QKᵀ wgmma reads the same operand.
// Why: the pre-processing's Q pass wrote D bytes per row and the main loop read them back; here Q is read once (its
// 16-bit input) by the CTA that needs it, and the first pre-processing launch only reads K and V. The loads overlap the
// CTA's first K/V tile loads, which thread 0 issues before this runs. The price is ≈ 1,000 warp instructions per CTA
// (ncu, H100): at d = 64 the saved pass is worth more (end to end +1-9 % at 2K-16K), at d = 128 less (−2-4 %), so d = 128
// keeps the pre-processed Q by default (docs/results/gpu-run-session6-2026-11-26.md). At d = 128 the prologue runs about
// 730 more instructions per warp than the pre-processed Q's, once each, and what they cost is mostly their instruction
// fetch, not the 16-bit Q's latency (ncu stall sampling; an L2 prefetch of the rows did not help; session 37). Neither
// the three-instruction bracket codes (session 38: 192 fewer instructions in the d = 128 kernel) nor a rolled loop over
// the chunks (3,500 fewer) moved the 2K e2e beyond its ±2 % noise (probes/session38-mlq-rolled-and-shifter-codes.patch).
//
// Lane (w, g, t) quantises rows 16w + g and 16w + g + 8 of the block (its accumulator rows), channels [t·D/4, (t+1)·D/4):
// the PerThread group of §3 is exactly these two rows, so its maximum is a reduction over the quad; PerWarp reduces over
// the warp, PerBlock over the warp and then the four warps (through the Q buffer before the codes are written).
#pragma once
// The pre-processing's own helpers (load8: 8 elements widened exactly; quantize8_fast: the division-free codes where they
// provably equal the spec's, div.rn where not; pack_int8x8), so the prologue's codes come from the same functions as
// query_blocks'.
#include "preprocess_common.cuh"
#include "quantize_codes.cuh"

// The barrier of the threads that quantise one block: the CTA (WGS = 1), or warpgroup wg's 128 threads on named barrier
// 1 + wg (barrier 0 is __syncthreads), so that the shared CTA's warpgroups never wait for each other here.
template <int WGS>
__device__ __forceinline__ void warpgroup_sync(int wg)
{
    if constexpr (WGS == 1) __syncthreads();
    else asm volatile("bar.sync %0, 128;\n" ::"r"(1 + wg) : "memory");
}

// Codes of one 8-element load as two words (pack_int8x8), from the pre-processing's own quantize8_fast: the
// division-free form, and where it refused an element all eight again through div.rn (rare per element, ≈ 7·10^-5, but
// about half of d = 128 CTAs hold one; redoing only its chunk keeps the block's wait at that lane to eight divisions,
// session 37). 0 past the last real row and where scale = 0 (keep false), without coding them.
__device__ __forceinline__ void encode8(const float (&x)[8], float scale, const QuotientBracket& bracket, bool keep, unsigned int (&w)[2])
{
    int q[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
    if (keep) quantize8_fast(x, scale, bracket, 0, q);
    pack_int8x8(q, w);
}

// The maximum of |x| over 8 elements (fmaxf from acc: exact in any order, NaN never wins).
__device__ __forceinline__ float amax8(const float (&x)[8], float acc)
{
#pragma unroll
    for (int j = 0; j < 8; j++) acc = fmaxf(acc, fabsf(x[j]));
    return acc;
}

// Quantises the block's Q into sQ (64 rows × D bytes, swizzled as the TMA map of the pre-processed Q) and returns this
// lane's q_scale. All 128 threads of the warpgroup call it; it ends with the generic-to-async proxy fence of its
// shared-memory writes (the caller's __syncthreads completes the hand-over to the wgmma). WGS = 3 (the shared CTA):
// warpgroup wg quantises its own block, and the PerBlock maximum meets at named barrier 1 + wg (128 threads) instead of
// the CTA-wide barrier.
template <int D, class E, int WGS>
__device__ __forceinline__ float quantize_query_block(const AttentionParams& p, int block, int b, int h, unsigned char* sQ,
                                                      float log2eScale, int wg)
{
    constexpr int CH = D / 4;      // channels per lane and row
    constexpr int CHUNKS = CH / 8; // 8-element loads per lane and row
    constexpr int PAIRS = CHUNKS / 2; // 16-byte code chunks (two loads) per lane and row
    const int tid = WGS == 1 ? (int)threadIdx.x : (int)threadIdx.x & 127, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int rows = min(64, p.nq - block * 64); // real rows of the block (≥ 1)
    const int r0 = warp * 16 + g, r1 = r0 + 8;   // block-local rows of this lane
    const bool real0 = r0 < rows, real1 = r1 < rows;
    const long long head = (long long)b * p.q_orig_strides[0] + (long long)h * p.q_orig_strides[1];
    const long long at0 = head + (long long)(block * 64 + r0) * p.q_orig_strides[2] + t * CH;
    const long long at1 = head + (long long)(block * 64 + r1) * p.q_orig_strides[2] + t * CH;
    const typename E::storage* q = static_cast<const typename E::storage*>(p.q_orig);

    float amax = 0.0f;
    float x0[CHUNKS][8], x1[CHUNKS][8];
#pragma unroll
    for (int c = 0; c < CHUNKS; c++)
    {
        if (real0) load8<E>(q + at0 + 8 * c, x0[c]);
        else zero_registers(x0[c]);
        if (real1) load8<E>(q + at1 + 8 * c, x1[c]);
        else zero_registers(x1[c]);
    }
#pragma unroll
    for (int c = 0; c < CHUNKS; c++)
    {
        if (real0) amax = amax8(x0[c], amax);
        if (real1) amax = amax8(x1[c], amax);
    }
    amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 1));
    amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 2));
    if (p.granularity != SAGE_GRAN_THREAD)
    {
#pragma unroll
        for (int offset = 4; offset < 32; offset <<= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
        if (p.granularity == SAGE_GRAN_BLOCK)
        {
            // The four warps' maxima meet in the first 16 bytes of sQ, which nothing else touches before the codes.
            float* partial = reinterpret_cast<float*>(sQ);
            if (lane == 0) partial[warp] = amax;
            warpgroup_sync<WGS>(wg);
            amax = fmaxf(fmaxf(partial[0], partial[1]), fmaxf(partial[2], partial[3]));
            warpgroup_sync<WGS>(wg);
        }
    }
    const float scale = __fdiv_rn(amax, 127.0f);
    const QuotientBracket bracket = quotient_bracket(scale);
    const bool any = scale != 0.0f;

    // Codes, one 16-byte chunk of a row (two 8-element loads) at a time. Row r's 16-byte chunk c sits at
    // r·D + (c ^ swizzle(r))·16: the 128B swizzle XORs the chunk with r mod 8 (rows of 128 bytes), the 64B swizzle with
    // (r / 2) mod 4 (rows of 64 bytes).
    auto store16 = [&](int row, int pair, const unsigned int (&wa)[2], const unsigned int (&wb)[2]) {
        const int r = row == 0 ? r0 : r1;
        const int chunk = (t * CH) / 16 + pair;
        const int swizzled = D == 128 ? (chunk ^ (r & 7)) : (chunk ^ ((r >> 1) & 3));
        *reinterpret_cast<uint4*>(sQ + r * D + swizzled * 16) = make_uint4(wa[0], wa[1], wb[0], wb[1]);
    };
#pragma unroll
    for (int row = 0; row < 2; row++)
#pragma unroll
        for (int pair = 0; pair < PAIRS; pair++)
        {
            const bool keep = (row == 0 ? real0 : real1) && any;
            unsigned int wa[2], wb[2];
            encode8(row == 0 ? x0[2 * pair] : x1[2 * pair], scale, bracket, keep, wa);
            encode8(row == 0 ? x0[2 * pair + 1] : x1[2 * pair + 1], scale, bracket, keep, wb);
            store16(row, pair, wa, wb);
        }
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    return __fmul_rn(scale, log2eScale);
}

// The prologue's entry: one instantiation per input type (the host passes q_orig's type), so that the prologue holds one
// widening only.
template <int D, int WGS>
__device__ __forceinline__ float quantize_query_block(const AttentionParams& p, int block, int b, int h, unsigned char* sQ, int wg)
{
    if (p.qOrigType == SAGE_IN_F16) return quantize_query_block<D, ElemF16, WGS>(p, block, b, h, sQ, p.log2eScale, wg);
    if (p.qOrigType == SAGE_IN_BF16) return quantize_query_block<D, ElemBF16, WGS>(p, block, b, h, sQ, p.log2eScale, wg);
    return quantize_query_block<D, ElemF32, WGS>(p, block, b, h, sQ, p.log2eScale, wg);
}
