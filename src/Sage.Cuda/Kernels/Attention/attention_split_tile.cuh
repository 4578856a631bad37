// One K tile of the main loop cut into its two 64-key halves, for the "split" serial loop of attention_solo.cuh
// (SAGE_SOLO_SPLIT): the same operations on the same values as softmax_tile / pack_p / pv_issue_desc / pv_finish of
// attention_pipelined.cuh, grouped by key half so that one half's CUDA-core work runs while the other half's wgmma is in
// the tensor cores:
//   - QKᵀ as two wgmma groups of N = 64 (keys 0..63 and 64..127 of the tile): exact int32 sums, so the split cannot
//     change a bit; the scores and the mask of half 0 are computed while half 1's products are still running.
//   - The row maximum of the tile as the maximum of the two halves' maxima: fmaxf of finite or −inf scores gives the same
//     value in any order (the sign of a zero maximum never reaches a result: it only enters differences and
//     comparisons with −inf).
//   - P of half 0 (tokens 0..63 = PV k-steps 0 and 1) is packed and its PV wgmmas are issued before the exp2 of half 1:
//     the sum chain of §7.6 still runs over the tokens in register order (half 0's, then half 1's).
//   - FP16 two-level (§8): h0 is complete once its group has retired, so acc_o = fma(acc_o, rescale, (float)h0) runs
//     while h1's wgmmas are in flight, and acc_o ⊕ (float)h1 after them: the per-element operations and their order
//     are §8's.
#pragma once
#include "attention_pipelined.cuh"

// wgmma m64n64k32 s32.s8.s8, A and B from shared memory: half of the QKᵀ tile (32 accumulators of the m64n64 layout,
// which are accumulators 32·half .. 32·half + 31 of the m64n128 layout).
__device__ __forceinline__ void wgmma_ss_m64n64k32_s32_s8(int* d, unsigned long long da, unsigned long long db, int scaleD)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p;\n}\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7]), "+r"(d[8]), "+r"(d[9]), "+r"(d[10]), "+r"(d[11]), "+r"(d[12]), "+r"(d[13]), "+r"(d[14]), "+r"(d[15]), "+r"(d[16]), "+r"(d[17]), "+r"(d[18]), "+r"(d[19]), "+r"(d[20]), "+r"(d[21]), "+r"(d[22]), "+r"(d[23]), "+r"(d[24]), "+r"(d[25]), "+r"(d[26]), "+r"(d[27]), "+r"(d[28]), "+r"(d[29]), "+r"(d[30]), "+r"(d[31])
                 : "l"(da), "l"(db), "r"(scaleD));
}

// QKᵀ of one key half of the tile as one commit group: keys 64·HALF .. 64·HALF + 63 are K rows 64·HALF.. of the tile,
// 64·D bytes further per half (a whole number of swizzle atoms), and accumulators 32·HALF .. 32·HALF + 31 of accS.
template <int D, int HALF>
__device__ __forceinline__ void qk_issue_half(int (&accS)[64], unsigned long long qDesc, unsigned long long kDesc)
{
    const unsigned long long kHalf = kDesc + HALF * ((64 * D) >> 4);
#pragma unroll
    for (int ks = 0; ks < D / 32; ks++) wgmma_ss_m64n64k32_s32_s8(&accS[32 * HALF], qDesc + 2 * ks, kHalf + 2 * ks, ks > 0 ? 1 : 0);
    wgmma_commit();
}

// fence_registers for elements [FIRST, FIRST + COUNT) of an array.
template <int FIRST, int COUNT, int N> __device__ __forceinline__ void fence_register_range(int (&r)[N])
{
#pragma unroll
    for (int i = FIRST; i < FIRST + COUNT; i++) asm volatile("" : "+r"(r[i])::"memory");
}
template <int FIRST, int COUNT, int N> __device__ __forceinline__ void fence_register_range(float (&r)[N])
{
#pragma unroll
    for (int i = FIRST; i < FIRST + COUNT; i++) asm volatile("" : "+f"(r[i])::"memory");
}

// §5.2-§5.4 and the mask for the keys of one half (accumulator column groups j = 8·HALF .. 8·HALF + 7, keys
// k0 + 64·HALF ..), as softmax_tile does them; returns the half's row maxima of the lane.
template <bool SMOOTHQ, int HALF>
__device__ __forceinline__ void scores_half(const int (&acc)[64], float qkScale, const float* dsTile, int k0, int t, int last0,
                                            int last1, float (&s0)[32], float (&s1)[32], float& max0, float& max1)
{
    const float negInf = __int_as_float(0xff800000);
    tile_scores<SMOOTHQ, 8 * HALF, 8 * HALF + 8>(acc, qkScale, dsTile, k0, t, last0, last1, s0, s1);
    float m0 = negInf, m1 = negInf;
#pragma unroll
    for (int i = 16 * HALF; i < 16 * HALF + 16; i++) { m0 = fmaxf(m0, s0[i]); m1 = fmaxf(m1, s1[i]); }
    max0 = m0;
    max1 = m1;
}

// §7.6 for the tokens of one half: P = exp2(s − base) in place, the lane sums continued in register order.
template <int HALF>
__device__ __forceinline__ void exp_half(float (&s0)[32], float (&s1)[32], float base0, float base1, float& sum0, float& sum1)
{
    exp_groups<8 * HALF, 8 * HALF + 8>(s0, s1, base0, base1, sum0, sum1);
}

// §7.8 for one half: pack_p's loop over j = 8·HALF .. 8·HALF + 7, i.e. the A fragments pr[8·HALF .. 8·HALF + 7] of
// PV k-steps 2·HALF and 2·HALF + 1.
template <int HALF>
__device__ __forceinline__ void pack_p_half(const float (&p0)[32], const float (&p1)[32], unsigned int (&pr)[16])
{
#pragma unroll
    for (int j = 8 * HALF; j < 8 * HALF + 8; j++)
    {
        const unsigned int c0 = e4m3x2(p0[2 * j], p0[2 * j + 1]), c1 = e4m3x2(p1[2 * j], p1[2 * j + 1]);
        const int s = j >> 2, w = j & 3, r = 4 * s + (w >> 1) * 2;
        if (w & 1) { pr[r] |= c0 << 16; pr[r + 1] |= c1 << 16; }
        else { pr[r] = c0; pr[r + 1] = c1; }
    }
}

// pv_issue_desc for PV k-steps 2·HALF and 2·HALF + 1 only, as one commit group. Fp32 mode scales acc_o before the first
// half; the k-steps run in order 0, 1, 2, 3 on each accumulator as in pv_issue_desc.
template <int D, int MODE, int HALF>
__device__ __forceinline__ void pv_issue_half(float (&accO)[D / 2], PvBlock<D, MODE>& pv, const unsigned int (&pr)[16],
                                              unsigned long long vDesc, unsigned long long vStep, float rescale0, float rescale1)
{
    if constexpr (MODE == SAGE_MODE_FP32)
    {
        if constexpr (HALF == 0)
        {
#pragma unroll
            for (int i = 0; i < D / 2; i++) accO[i] = __fmul_rn(accO[i], (i & 2) ? rescale1 : rescale0);
        }
        wgmma_fence();
#pragma unroll
        for (int s = 2 * HALF; s < 2 * HALF + 2; s++) PvOps<D>::f32(accO, &pr[4 * s], vDesc + s * vStep, 1);
    }
    else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
    {
        wgmma_fence();
#pragma unroll
        for (int s = 2 * HALF; s < 2 * HALF + 2; s++) PvOps<D>::f32(pv.blk, &pr[4 * s], vDesc + s * vStep, s > 0 ? 1 : 0);
    }
    else
    {
        wgmma_fence();
        unsigned int* h = HALF == 0 ? pv.h0 : pv.h1;
        PvOps<D>::f16(h, &pr[8 * HALF], vDesc + (2 * HALF) * vStep, 0);
        PvOps<D>::f16(h, &pr[8 * HALF + 4], vDesc + (2 * HALF + 1) * vStep, 1);
    }
    wgmma_commit();
}

// FP16 two-level (§8), one half of pv_finish: HALF 0 after h0's group retired: acc_o = fma(acc_o, rescale, (float)h0);
// HALF 1 after h1's: acc_o = acc_o ⊕ (float)h1. Index mapping as pv_finish.
template <int D, int HALF>
__device__ __forceinline__ void pv_finish_fp16_half(float (&accO)[D / 2], PvBlock<D, SAGE_MODE_FP16_TWO_LEVEL>& pv, float rescale0,
                                                    float rescale1)
{
    unsigned int* h = HALF == 0 ? pv.h0 : pv.h1;
#pragma unroll
    for (int i = 0; i < D / 4; i++) asm volatile("" : "+r"(h[i])::"memory"); // fence_registers of this half's block
#pragma unroll
    for (int i = 0; i < D / 4; i++)
    {
        float rs = (i & 1) ? rescale1 : rescale0;
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            int f = 4 * (i >> 1) + 2 * (i & 1) + e;
            float a = f16_to_f32((unsigned short)(h[i] >> (16 * e)));
            accO[f] = HALF == 0 ? __fmaf_rn(accO[f], rs, a) : __fadd_rn(accO[f], a);
        }
    }
}
