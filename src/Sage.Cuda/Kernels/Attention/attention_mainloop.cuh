// Helpers of the SageAttention main loop on Hopper (sm_90a), docs/kernel-spec.md §5-§10, bit-exact with Sage.Emulation;
// the CTA itself is attention_solo.cuh (one consumer warpgroup = one 64-row query block per CTA).
//   - QKᵀ: wgmma.mma_async m64n128k32.s32.s8.s8, A = Q block, B = K tile, both from shared memory (exact int32).
//   - S, masking, online softmax and P -> E4M3 per lane in register order (§5, §7).
//   - P stays in registers: the E4M3 codes of one k-step (32 tokens) are packed into the 4 registers of the wgmma
//     A fragment and PV runs as wgmma.mma_async m64nNk32.{f32,f16}.e4m3.e4m3 with A from registers. A lane holds
//     tokens {8i + 2t, 8i + 2t + 1} of the accumulator layout, the A fragment wants k = 4t..4t+3 (and 16 + ...),
//     so within every 16-token group the fragment's k position 4t + 2a + b carries token 8a + 2t + b. The V codes
//     are stored pre-permuted the same way by the pre-processing (docs/kernel-spec.md "Storage layouts"), so every
//     product still pairs P[i, token] with V[token, c]. The permutation stays inside one k-step, and the wgmma.e4m3
//     model is symmetric in the 32 products of a k-step (docs/tensor-core-numerics.md), so no bit changes.
//   - N = d + 8: the V tile in shared memory is followed by 8 rows of E4M3 ones, so accumulator columns d..d+7 are
//     the row sum of the FP8 P, accumulated by the tensor core exactly like a channel (§8, the row-sum column); every
//     lane holds it in its columns d + 2t, d + 2t + 1, so the softmax has no per-score sum and the epilogue no shuffle.
// Epilogue: div.rn by the row sum, v_scale, (SmoothV: + vmean), output rounding, LSE (§9, §10).
#pragma once
#include "attention_softmax_exp2.cuh" // sage_softmax_exp2: MUFU ex2.approx.ftz.f32 (kernel-spec §7)
#include "attention_int_to_float.cuh" // sage_small_int_to_float (cvt.rn.f32.s32 without the conversion pipe)
#include "attention_wgmma.cuh"
#include "async_copy.cuh" // shared_address, the mbarriers, tma_load_2d, SageTensorMap
#include "attention_timeline.cuh" // SAGE_CTA_TIMELINE probe (never in a default build)

// P encoding (SageOptions.PEncoding, docs/kernel-spec.md §7.5, §7.8): 0 = Exp2 (MUFU ex2, then cvt to E4M3), 1 = LogLinear
// (the E4M3 code read straight off the argument, no exp2). attention_solo_loglinear.cu compiles the same kernels with 1.
#ifndef SAGE_P_LOGLINEAR
#define SAGE_P_LOGLINEAR 0
#endif
#define SAGE_LOG_LINEAR_OFFSET 55.5f // z = 8·x + 55.5: the row maximum (x ≈ log2 448 ≈ 8.807) lands on code 126 (448)

#define SAGE_KEY_TILE 128
#define SAGE_GRAN_BLOCK 0
#define SAGE_GRAN_WARP 1
#define SAGE_GRAN_THREAD 2
#define SAGE_MODE_FP32 0
#define SAGE_MODE_FP32_TWO_LEVEL 1
#define SAGE_MODE_FP16_TWO_LEVEL 2
#define SAGE_OUT_F16 0
#define SAGE_OUT_BF16 1
#define SAGE_OUT_F32 2

// The solo CTA's 16-bit outputs leave through shared memory (store_rows_staged; session 27: the 2K kernels 2-5 % faster,
// same bits). SAGE_KERNEL_DEFINES=SAGE_EPILOGUE_STAGED=0 compiles the per-pair stores alone, for A/B runs.
#ifndef SAGE_EPILOGUE_STAGED
#define SAGE_EPILOGUE_STAGED 1
#endif
#define SAGE_IN_F16 0
#define SAGE_IN_BF16 1
#define SAGE_IN_F32 2

struct AttentionParams
{
    const signed char* q;        // [B, Hq, padQ, d] int8
    const float* q_scale;        // [B, Hq, qGroups]
    const signed char* k;        // [B, Hkv, padK, d] int8
    const float* k_scale;        // [B, Hkv, tiles, kGroups]
    const unsigned char* v;      // [B, Hkv, d, padK] E4M3, tokens permuted within each 16-token group (see above)
    const float* v_scale;        // [B, Hkv, d]
    const double* lse_dot;       // [B, Hq, Nq] Σ_c q[c]·mean[c] (§10's SmoothK correction, formed by the pre-processing) or null
    const float* delta_s;        // [B, Hq, padQ/64, padK] ΔS (SmoothQ), 0 for padded tokens
    const float* v_mean;         // [B, Hkv, d] (SmoothV)
    const void* q_orig;          // original Q (the *_mlq prologue quantises it), element type q_orig_type
    void* out;                   // output, element type out_type
    float* lse;                  // [B, Hq, Nq] or null
    long long q_orig_strides[3]; // batch, head, token (elements)
    long long out_strides[3];    // batch, head, token (elements)
    int batch, hq, hkv, nq, nk, padQ, padK, tiles, qGroups, granularity, causal, smoothK, smoothQ, smoothV, outType, qOrigType;
    double smScale;
    float log2eScale;      // LOG2E_SCALE of §3 (the host's float(smScale · log2 e)), for q_scale in the *_mlq prologue
};

__device__ __forceinline__ float f16_to_f32(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// Both halves of an f16x2 register, each widened exactly (cvt.f32.f16). Unpacked with mov.b32 {lo, hi} rather than a
// shift, so ptxas selects the upper half inside the conversion (HADD2.F32 …H1_H1): a shift per upper half was 32 SHF of
// the ≈ 650 instructions per warp and tile of the FP16 two-level update (SASS, session 6).
__device__ __forceinline__ void f16x2_to_f32(unsigned int h, float& lo, float& hi)
{
    asm("{\n.reg .f16 l, u;\nmov.b32 {l, u}, %2;\ncvt.f32.f16 %0, l;\ncvt.f32.f16 %1, u;\n}\n" : "=f"(lo), "=f"(hi) : "r"(h));
}

__device__ __forceinline__ unsigned short f32_to_f16(float f)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ unsigned short f32_to_bf16(float f)
{
    unsigned short h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// Two E4M3 codes: lo in bits 7..0, hi in bits 15..8 (cvt puts its first source in the upper byte).
__device__ __forceinline__ unsigned short e4m3x2(float lo, float hi)
{
    unsigned short packed;
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(packed) : "f"(hi), "f"(lo));
    return packed;
}

// §10 Log2 of a positive finite fp32, in binary64 with every operation rounded as the emulator's KernelLog2.
__device__ double kernel_log2(float x)
{
    unsigned int bits = __float_as_uint(x);
    int field = (int)(bits >> 23);
    unsigned int fraction = bits & 0x7FFFFFu;
    int e;
    if (field == 0)
    {
        int shift = __clz((int)fraction) - 8;
        fraction = (fraction << shift) & 0x7FFFFFu;
        e = -126 - shift;
    }
    else e = field - 127;
    // The quotients 1 ⊘ (2k + 1) and fraction ⊘ 2^23 of the emulator's KernelLog2 as correctly rounded binary64
    // constants (the same bits as the __ddiv_rn they replace; ≈ 20 double divisions per row were most of the LSE's cost).
    constexpr unsigned long long inverseOdd[19] = {
        0x3FF0000000000000ull, 0x3FD5555555555555ull, 0x3FC999999999999Aull,
        0x3FC2492492492492ull, 0x3FBC71C71C71C71Cull, 0x3FB745D1745D1746ull,
        0x3FB3B13B13B13B14ull, 0x3FB1111111111111ull, 0x3FAE1E1E1E1E1E1Eull,
        0x3FAAF286BCA1AF28ull, 0x3FA8618618618618ull, 0x3FA642C8590B2164ull,
        0x3FA47AE147AE147Bull, 0x3FA2F684BDA12F68ull, 0x3FA1A7B9611A7B96ull,
        0x3FA0842108421084ull, 0x3F9F07C1F07C1F08ull, 0x3F9D41D41D41D41Dull,
        0x3F9BACF914C1BAD0ull};
    double f = __dadd_rn(1.0, (double)fraction * 0x1p-23);
    double u = __ddiv_rn(__dsub_rn(f, 1.0), __dadd_rn(f, 1.0));
    double z = __dmul_rn(u, u);
    double p = __longlong_as_double(0x3F9A41A41A41A41All); // 1 ⊘ 39
#pragma unroll
    for (int k = 18; k >= 0; k--) p = __fma_rn(p, z, __longlong_as_double((long long)inverseOdd[k]));
    return __dadd_rn((double)e, __dmul_rn(__dmul_rn(u, p), 2.8853900817779268));
}

__device__ __forceinline__ void store_out(void* base, int type, long long index, float value)
{
    if (type == SAGE_OUT_F32) static_cast<float*>(base)[index] = value;
    else if (type == SAGE_OUT_F16) static_cast<unsigned short*>(base)[index] = f32_to_f16(value);
    else static_cast<unsigned short*>(base)[index] = f32_to_bf16(value);
}

// Elements index and index + 1 in one store (index even; base 8-byte aligned): the same roundings as two store_out.
__device__ __forceinline__ void store_out2(void* base, int type, long long index, float lo, float hi)
{
    if (type == SAGE_OUT_F32)
    {
        *reinterpret_cast<float2*>(static_cast<float*>(base) + index) = make_float2(lo, hi);
        return;
    }
    unsigned int packed; // cvt.rn.{f16,bf16}x2.f32 d, a, b puts a in the upper half
    if (type == SAGE_OUT_F16) asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(packed) : "f"(hi), "f"(lo));
    else asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(packed) : "f"(hi), "f"(lo));
    *reinterpret_cast<unsigned int*>(static_cast<unsigned short*>(base) + index) = packed;
}


__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

// Keeps the compiler from moving reads or writes of wgmma registers across a wait (CUTLASS's fence_operand).
template <int N> __device__ __forceinline__ void fence_registers(float (&r)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(r[i])::"memory");
}
template <int N> __device__ __forceinline__ void fence_registers(unsigned int (&r)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+r"(r[i])::"memory");
}
template <int N> __device__ __forceinline__ void fence_registers(int (&r)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+r"(r[i])::"memory");
}

template <typename T, int N> __device__ __forceinline__ void zero_registers(T (&r)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) r[i] = T(0);
}

// The PV wgmma of head dim D runs N = D + 8 (the row-sum column, §8).
template <int D> struct PvOps;
template <> struct PvOps<128>
{
    __device__ static void f32(float* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n136k32_f32_e4m3(d, a, b, scaleD); }
    __device__ static void f16(unsigned int* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n136k32_f16_e4m3(d, a, b, scaleD); }
};
template <> struct PvOps<64>
{
    __device__ static void f32(float* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n72k32_f32_e4m3(d, a, b, scaleD); }
    __device__ static void f16(unsigned int* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n72k32_f16_e4m3(d, a, b, scaleD); }
};

// f32 accumulator registers of one lane for N = D + 8: D / 2 for the channels, then 4 for the row-sum column
// (row g: columns D + 2t, D + 2t + 1; row g + 8: the same), all four equal to the tile's row sums. acc_o is kept at this
// size in every mode (in the two-level modes the last four are never written, and the compiler drops them).
#define SAGE_ACC_O(D) ((D) / 2 + 4)

// Per-row online-softmax state of one lane's two rows (§7).
struct RowState
{
    float m0, m1;       // running maxima
    float l0, l1;       // row sums (§8 row-sum column; each lane holds the whole row's)
    float base0, base1; // base of the last visited tile (LSE)

    // Before the first tile: maxima -inf, sums 0, base 0 (§7).
    __device__ static RowState start()
    {
        RowState st;
        st.m0 = st.m1 = __int_as_float(0xff800000);
        st.l0 = st.l1 = 0.0f;
        st.base0 = st.base1 = 0.0f;
        return st;
    }
};

// What one lane of a 64-row query block needs besides the tiles, the same in every main-loop variant: its Q scale
// (§5.2), the K scales and ΔS row of its head and block (§5.2, §5.3), and the last visible key of its two rows (§6).
struct BlockRows
{
    float qScale;
    int kGroups;              // K scales per K tile: 4 (per-thread: one per lane column t) or 1
    const float* kScaleHead;  // [tiles, kGroups] of this K/V head
    const float* dsBlock;     // ΔS of this 64-row block ([padK]), SmoothQ only, else null
    int last0, last1;         // last visible key of rows row0 and row0 + 8
};

template <bool SMOOTHQ>
__device__ __forceinline__ BlockRows block_rows(const AttentionParams& p, int row0, int row1, int block, long long bhq, long long bhk)
{
    BlockRows r;
    int qGroup;
    if (p.granularity == SAGE_GRAN_THREAD) qGroup = (row0 >> 4) * 8 + (row0 & 7);
    else if (p.granularity == SAGE_GRAN_WARP) qGroup = row0 >> 4;
    else qGroup = row0 >> 6;
    // Padded rows past the last group have no scale; their results are discarded.
    r.qScale = qGroup < p.qGroups ? p.q_scale[bhq * p.qGroups + qGroup] : 0.0f;
    r.kGroups = p.granularity == SAGE_GRAN_THREAD ? 4 : 1;
    r.kScaleHead = p.k_scale + bhk * p.tiles * r.kGroups;
    r.dsBlock = SMOOTHQ ? p.delta_s + (bhq * (p.padQ / 64) + block) * (long long)p.padK : nullptr;
    // Causal: last visible key of each row (bottom-right aligned), else nk - 1. Padding is masked by nk.
    r.last0 = p.causal ? min(p.nk - 1, row0 + p.nk - p.nq) : p.nk - 1;
    r.last1 = p.causal ? min(p.nk - 1, row1 + p.nk - p.nq) : p.nk - 1;
    return r;
}

// §7.2-§7.4 from the lane's tile maxima: quad maxima, new running maxima, rescale factors and the bases of the exp2;
// st.m and st.base take their new values (st.l is updated in pv_finish, from the row-sum column).
__device__ __forceinline__ void row_max_update(float tmax0, float tmax1, RowState& st, float& rescale0, float& rescale1,
                                               float& base0, float& base1)
{
    const float negInf = __int_as_float(0xff800000);
    const float log2_448 = __int_as_float(0x410CEAED);
    tmax0 = fmaxf(tmax0, __shfl_xor_sync(0xffffffffu, tmax0, 1));
    tmax1 = fmaxf(tmax1, __shfl_xor_sync(0xffffffffu, tmax1, 1));
    tmax0 = fmaxf(tmax0, __shfl_xor_sync(0xffffffffu, tmax0, 2));
    tmax1 = fmaxf(tmax1, __shfl_xor_sync(0xffffffffu, tmax1, 2));
    float mNew0 = fmaxf(st.m0, tmax0), mNew1 = fmaxf(st.m1, tmax1);
    bool empty0 = mNew0 == negInf, empty1 = mNew1 == negInf;
    rescale0 = empty0 ? 1.0f : sage_softmax_exp2(__fsub_rn(st.m0, mNew0));
    rescale1 = empty1 ? 1.0f : sage_softmax_exp2(__fsub_rn(st.m1, mNew1));
    // PEncoding.LogLinear rounds the base toward +∞ (§7 step 4'): m − base ≤ log2 448 exactly, so no argument's code
    // passes 126 however coarse the float grid of a huge m (round-to-nearest could leave x = 9 or 16 there: codes 0x80+).
    if constexpr (SAGE_P_LOGLINEAR)
    {
        base0 = empty0 ? 0.0f : __fsub_ru(mNew0, log2_448);
        base1 = empty1 ? 0.0f : __fsub_ru(mNew1, log2_448);
    }
    else
    {
        base0 = empty0 ? 0.0f : __fsub_rn(mNew0, log2_448);
        base1 = empty1 ? 0.0f : __fsub_rn(mNew1, log2_448);
    }
    st.m0 = mNew0;
    st.m1 = mNew1;
    st.base0 = base0;
    st.base1 = base1;
}

// §5.3 and §7 for one K tile (keys k0 + 8j + 2t + e of accumulator column group j, e = 0, 1, of the lane's two rows):
//   qk = q_scale ⊗ k_scale with its two lowest significand bits cleared (qkScale arrives as the product; the clearing
//   makes shift = SHIFTER ⊗ qk exact, since 3·qk then fits 24 bits),
//   f = SHIFTER + acc (exact): the QKᵀ wgmma starts from SHIFTER_BITS instead of 0 (attention_solo.cuh), so acc
//   arrives holding the bits of f (integer addition is exact in any order),
//   S = fma(f, qk, −shift) = round(acc·qk) (one rounding: f·qk − shift is acc·qk exactly), or with SmoothQ
//   S = fma(f ⊖ SHIFTER, qk, ΔS) (f ⊖ SHIFTER = acc exactly); −∞ past a row's last visible key,
//   tile maximum → m, rescale, base (row_max_update),
//   P = exp2(x) with x of §7.5, rounded to E4M3 and packed into the PV A fragments as each column group's four P form
//   (§7.8, pack_group): without SmoothQ and where qk < 2^−7 (SAGE_FUSED_OFFSET_LIMIT, a per-lane test: a lane's 32 keys
//   share one qk) x = fma(f, qk, c) with c = (−shift) ⊖ base, the offset folded into the score fma; otherwise
//   x = S ⊖ base (the row sum is the PV wgmma's row-sum column, §8).
// Per score on the fused path that is FFMA, half a 3-input integer max, MUFU.EX2 and half an F2FP (the two-step rule adds
// an FADD): the shifter's IADD went into the wgmma's C operand and the FADD of ⊖ base into the fma's addend (session 8).
// Without Q smoothing the tile maximum is taken on the integer sums (positive floats order as their bits, and
// round(acc·qk) with qk ≥ 0 is monotone in acc) with 3-input integer max instructions, masked keys counting as INT_MIN,
// and no S is stored. A tile with a key past some row's last visible key (causal edge or padding; warp-uniform test)
// runs the masked loops, a plain tile the loops without per-key tests.
#define SAGE_FUSED_OFFSET_LIMIT 0.0078125f // 2^-7 (KernelConstants.FusedOffsetLimit)

// §7.8: P -> E4M3, packed into the PV A fragments pr[4s .. 4s+3] of k-steps s = 0..3. Column group j = 4s + w of
// k-step s: w = 0, 1 fill fragment registers 0 (row g) and 1 (row g + 8), w = 2, 3 registers 2 and 3; odd w takes the
// upper 16 bits (k positions 4t + 2, 4t + 3).
__device__ __forceinline__ void pack_group(int j, float p00, float p01, float p10, float p11, unsigned int (&pr)[16])
{
    const unsigned int c0 = e4m3x2(p00, p01), c1 = e4m3x2(p10, p11);
    const int s = j >> 2, w = j & 3, r = 4 * s + (w >> 1) * 2;
    if (w & 1) { pr[r] |= c0 << 16; pr[r + 1] |= c1 << 16; }
    else { pr[r] = c0; pr[r + 1] = c1; }
}

// S with Q smoothing, fma(f ⊖ SHIFTER, qk, ΔS), −∞ past a row's last visible key when MASKED.
template <bool MASKED>
__device__ __forceinline__ void smooth_score_pass(const int (&acc)[64], float qk, const float* dsTile, int k0, int t, int last0,
                                                  int last1, float (&s0)[32], float (&s1)[32])
{
    const float negInf = __int_as_float(0xff800000);
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        const float2 ds = *reinterpret_cast<const float2*>(dsTile + 8 * j + 2 * t);
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const float d = e == 0 ? ds.x : ds.y;
            const float v0 = __fmaf_rn(__fsub_rn(__int_as_float(acc[4 * j + e]), SAGE_SHIFTER), qk, d);
            const float v1 = __fmaf_rn(__fsub_rn(__int_as_float(acc[4 * j + 2 + e]), SAGE_SHIFTER), qk, d);
            const int key = k0 + 8 * j + 2 * t + e;
            s0[2 * j + e] = MASKED && key > last0 ? negInf : v0;
            s1[2 * j + e] = MASKED && key > last1 ? negInf : v1;
        }
    }
}

// §7.5 for the lane's keys, from the integer sums (−∞ past a row's last visible key when MASKED): x = fma(f, qk, c), then,
// unless ALL_FUSED, x ⊖ b. The caller passes c = (−shift) ⊖ base, b = 0 for a lane on the fused rule and c = −shift,
// b = base for one on the two-step rule (x ⊖ 0 = x for every x, −0 and NaN included), so one branch-free pass serves a warp
// whose lanes take different rules; a warp entirely on the fused rule runs ALL_FUSED, one FFMA per score.
// Each column group's four P are packed into the PV fragments (pack_group) as soon as they exist, so the F2FPs can issue
// among the MUFU.EX2s and no more than a few P are live. Forming the tile's 64 P first and packing them after ran 3-4 %
// slower kernel-only in the FP16 and FP32 two-level modes and 6 % end to end (H100, 16K, d = 128, session 14).
template <bool ALL_FUSED, bool MASKED>
__device__ __forceinline__ void exp_pass(const int (&acc)[64], float qk, float c0, float c1, float b0, float b1, int k0, int t,
                                         int last0, int last1, unsigned int (&pr)[16])
{
    const float negInf = __int_as_float(0xff800000);
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        float p0[2], p1[2];
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const int key = k0 + 8 * j + 2 * t + e;
            float x0 = __fmaf_rn(__int_as_float(acc[4 * j + e]), qk, c0);
            float x1 = __fmaf_rn(__int_as_float(acc[4 * j + 2 + e]), qk, c1);
            if constexpr (!ALL_FUSED)
            {
                x0 = __fsub_rn(x0, b0);
                x1 = __fsub_rn(x1, b1);
            }
            p0[e] = sage_softmax_exp2(MASKED && key > last0 ? negInf : x0);
            p1[e] = sage_softmax_exp2(MASKED && key > last1 ? negInf : x1);
        }
        pack_group(j, p0[0], p0[1], p1[0], p1[1], pr);
    }
}

// §7.5 and §7.8 under PEncoding.LogLinear: two scores' codes from their arguments z (lo: the key of the lower column,
// hi: the next). cvt.rn.relu.f16x2.f32 rounds each z to fp16 (negatives, −0 and −∞ to +0; NaN to the canonical NaN), and
// the fp16 add of 1536 (ulp 1 in [1024, 2048)) rounds it to an integer n, so each half holds 0x6600 + n: its low byte is
// the E4M3 code n (exponent field ⌊n/8⌋, fraction n mod 8: 2^x to within one code step). NaN stays NaN, low byte 0xFF.
__device__ __forceinline__ unsigned int log_linear_pair(float lo, float hi)
{
    unsigned int h;
    asm("cvt.rn.relu.f16x2.f32 %0, %1, %2;" : "=r"(h) : "f"(hi), "f"(lo));
    asm("add.rn.f16x2 %0, %0, %1;" : "+r"(h) : "r"(0x66006600u));
    return h;
}

// The low bytes of two log_linear_pair results (column groups j − 1 and j of one row) as one PV fragment register: the
// same byte order as two e4m3x2 conversions packed by pack_group (group j − 1 in the lower 16 bits).
__device__ __forceinline__ unsigned int log_linear_word(unsigned int even, unsigned int odd) { return __byte_perm(even, odd, 0x6420); }

// The fragment register of column groups j − 1, j (j odd) in pr, for the lane's rows g (h0) and g + 8 (h1).
__device__ __forceinline__ void pack_log_linear(int j, unsigned int h0Even, unsigned int h0Odd, unsigned int h1Even,
                                                unsigned int h1Odd, unsigned int (&pr)[16])
{
    const int s = j >> 2, w = j & 3, r = 4 * s + (w >> 1) * 2;
    pr[r] = log_linear_word(h0Even, h0Odd);
    pr[r + 1] = log_linear_word(h1Even, h1Odd);
}

// PEncoding.LogLinear codes of the lane's keys from the integer sums (−∞ past a row's last visible key when MASKED):
// ALL_FUSED: z = fma(f, a, c) (a = 8 ⊗ qk, c = fma((−shift) ⊖ base, 8, 55.5): the fused rule); otherwise
// z = fma(fma(f, a, c) ⊖ b, m, o), where a lane on the fused rule passes (8 ⊗ qk, its c, 0, 1, 0) — fma(y, 1, 0) is y
// up to the sign of a zero, which gives the same code — and a lane on the two-step rule (qk, −shift, base, 8, 55.5):
// z = fma(S ⊖ base, 8, 55.5). Two instructions per score fewer than exp_pass's MUFU.EX2 and E4M3 conversion per pair.
template <bool ALL_FUSED, bool MASKED>
__device__ __forceinline__ void code_pass(const int (&acc)[64], float a, float c0, float c1, float b0, float b1, float m, float o,
                                          int k0, int t, int last0, int last1, unsigned int (&pr)[16])
{
    const float negInf = __int_as_float(0xff800000);
    unsigned int h0Even = 0, h1Even = 0;
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        float z0[2], z1[2];
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const int key = k0 + 8 * j + 2 * t + e;
            float x0 = __fmaf_rn(__int_as_float(acc[4 * j + e]), a, c0);
            float x1 = __fmaf_rn(__int_as_float(acc[4 * j + 2 + e]), a, c1);
            if constexpr (!ALL_FUSED)
            {
                x0 = __fmaf_rn(__fsub_rn(x0, b0), m, o);
                x1 = __fmaf_rn(__fsub_rn(x1, b1), m, o);
            }
            z0[e] = MASKED && key > last0 ? negInf : x0;
            z1[e] = MASKED && key > last1 ? negInf : x1;
        }
        const unsigned int h0 = log_linear_pair(z0[0], z0[1]), h1 = log_linear_pair(z1[0], z1[1]);
        if (j & 1) pack_log_linear(j, h0Even, h0, h1Even, h1, pr);
        else { h0Even = h0; h1Even = h1; }
    }
}

// What tile_max_bits gives a row without a visible key, and what masked keys count as: INT_MIN, below every shifted sum
// (SHIFTER_BITS + acc > 0 for |acc| < 2^22).
#define SAGE_NO_KEY_BITS ((int)0x80000000)

// The largest shifted integer sum of each of the lane's two rows over its visible keys (MASKED: keys past a row's last
// visible key count as SAGE_NO_KEY_BITS; a row with none gives it). Integer max is exact in any order: four independent
// chains per row, then their maximum (3-input integer max instructions).
template <bool MASKED>
__device__ __forceinline__ void tile_max_bits(const int (&acc)[64], int k0, int t, int last0, int last1, int& m0, int& m1)
{
    const int none = SAGE_NO_KEY_BITS;
    int c0[4] = {none, none, none, none}, c1[4] = {none, none, none, none};
#pragma unroll
    for (int j = 0; j < 16; j++)
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const int key = k0 + 8 * j + 2 * t + e;
            c0[j & 3] = max(c0[j & 3], MASKED && key > last0 ? none : acc[4 * j + e]);
            c1[j & 3] = max(c1[j & 3], MASKED && key > last1 ? none : acc[4 * j + 2 + e]);
        }
    m0 = max(max(c0[0], c0[1]), max(c0[2], c0[3]));
    m1 = max(max(c1[0], c1[1]), max(c1[2], c1[3]));
}

// S of a tile maximum from its shifted bits: round(acc·qk) (monotone in acc for qk ≥ 0, so the S of the largest sum is
// the largest S), or −∞ for a row without a visible key.
__device__ __forceinline__ float max_score(int bits, float qk, float shift)
{
    return bits == SAGE_NO_KEY_BITS ? __int_as_float(0xff800000) : __fmaf_rn(__int_as_float(bits), qk, -shift);
}

template <bool SMOOTHQ>
__device__ __forceinline__ void softmax_tile(const int (&acc)[64], float qkScale, const float* dsTile, int k0, int t,
                                             int last0, int last1, RowState& st, float& rescale0, float& rescale1,
                                             unsigned int (&pr)[16])
{
    const float negInf = __int_as_float(0xff800000);
    const float qk = __uint_as_float(__float_as_uint(qkScale) & ~3u);
    const float shift = __fmul_rn(SAGE_SHIFTER, qk);
    const bool edge = __any_sync(0xffffffffu, k0 + SAGE_KEY_TILE - 1 > min(last0, last1));
    float tmax0 = negInf, tmax1 = negInf, base0, base1;
    if constexpr (SMOOTHQ)
    {
        // S = fma(acc, qk, ΔS) is not monotone in acc: the scores first, their maximum, then P = exp2(S ⊖ base).
        float s0[32], s1[32];
        if (edge) smooth_score_pass<true>(acc, qk, dsTile, k0, t, last0, last1, s0, s1);
        else smooth_score_pass<false>(acc, qk, dsTile, k0, t, last0, last1, s0, s1);
#pragma unroll
        for (int i = 0; i < 32; i++) { tmax0 = fmaxf(tmax0, s0[i]); tmax1 = fmaxf(tmax1, s1[i]); }
        row_max_update(tmax0, tmax1, st, rescale0, rescale1, base0, base1);
        if constexpr (SAGE_P_LOGLINEAR)
        {
            // The two-step rule: z = fma(S ⊖ base, 8, 55.5).
            unsigned int h0Even = 0, h1Even = 0;
#pragma unroll
            for (int j = 0; j < 16; j++)
            {
                const unsigned int h0 = log_linear_pair(__fmaf_rn(__fsub_rn(s0[2 * j], base0), 8.0f, SAGE_LOG_LINEAR_OFFSET),
                                                        __fmaf_rn(__fsub_rn(s0[2 * j + 1], base0), 8.0f, SAGE_LOG_LINEAR_OFFSET));
                const unsigned int h1 = log_linear_pair(__fmaf_rn(__fsub_rn(s1[2 * j], base1), 8.0f, SAGE_LOG_LINEAR_OFFSET),
                                                        __fmaf_rn(__fsub_rn(s1[2 * j + 1], base1), 8.0f, SAGE_LOG_LINEAR_OFFSET));
                if (j & 1) pack_log_linear(j, h0Even, h0, h1Even, h1, pr);
                else { h0Even = h0; h1Even = h1; }
            }
            return;
        }
#pragma unroll
        for (int j = 0; j < 16; j++)
            pack_group(j, sage_softmax_exp2(__fsub_rn(s0[2 * j], base0)), sage_softmax_exp2(__fsub_rn(s0[2 * j + 1], base0)),
                       sage_softmax_exp2(__fsub_rn(s1[2 * j], base1)), sage_softmax_exp2(__fsub_rn(s1[2 * j + 1], base1)), pr);
        return;
    }
    // Without Q smoothing no S is kept: the maxima come from the integer sums, and the exp pass forms each argument
    // from acc after row_max_update, so only acc is live across it. (Session 8, call 2: with S formed before the update
    // for the two-step rule and acc kept for the fused one, ptxas held both, 128 registers, and the d = 128 loop spilled
    // at half speed.) The shuffles of row_max_update run in warp-uniform code.
    int m0, m1;
    if (edge) tile_max_bits<true>(acc, k0, t, last0, last1, m0, m1);
    else tile_max_bits<false>(acc, k0, t, last0, last1, m0, m1);
    tmax0 = max_score(m0, qk, shift);
    tmax1 = max_score(m1, qk, shift);
    row_max_update(tmax0, tmax1, st, rescale0, rescale1, base0, base1);
    // The rule is per lane (§7.5); the branch is per warp, so it is uniform (no convergence barrier): a per-lane branch
    // between two passes cost 1.3 % at 16K against the fused pass alone (session 8, call 4).
    const bool fused = qk < SAGE_FUSED_OFFSET_LIMIT;
    const float f0 = __fsub_rn(-shift, base0), f1 = __fsub_rn(-shift, base1);
    if constexpr (SAGE_P_LOGLINEAR)
    {
        const float qk8 = __fmul_rn(qk, 8.0f);
        const float g0 = __fmaf_rn(f0, 8.0f, SAGE_LOG_LINEAR_OFFSET), g1 = __fmaf_rn(f1, 8.0f, SAGE_LOG_LINEAR_OFFSET);
        if (__all_sync(0xffffffffu, fused))
        {
            if (edge) code_pass<true, true>(acc, qk8, g0, g1, 0.0f, 0.0f, 1.0f, 0.0f, k0, t, last0, last1, pr);
            else code_pass<true, false>(acc, qk8, g0, g1, 0.0f, 0.0f, 1.0f, 0.0f, k0, t, last0, last1, pr);
            return;
        }
        const float a = fused ? qk8 : qk, m = fused ? 1.0f : 8.0f, o = fused ? 0.0f : SAGE_LOG_LINEAR_OFFSET;
        const float c0 = fused ? g0 : -shift, c1 = fused ? g1 : -shift;
        const float b0 = fused ? 0.0f : base0, b1 = fused ? 0.0f : base1;
        if (edge) code_pass<false, true>(acc, a, c0, c1, b0, b1, m, o, k0, t, last0, last1, pr);
        else code_pass<false, false>(acc, a, c0, c1, b0, b1, m, o, k0, t, last0, last1, pr);
        return;
    }
    if (__all_sync(0xffffffffu, fused))
    {
        if (edge) exp_pass<true, true>(acc, qk, f0, f1, 0.0f, 0.0f, k0, t, last0, last1, pr);
        else exp_pass<true, false>(acc, qk, f0, f1, 0.0f, 0.0f, k0, t, last0, last1, pr);
        return;
    }
    const float c0 = fused ? f0 : -shift, c1 = fused ? f1 : -shift;
    const float b0 = fused ? 0.0f : base0, b1 = fused ? 0.0f : base1;
    if (edge) exp_pass<false, true>(acc, qk, c0, c1, b0, b1, k0, t, last0, last1, pr);
    else exp_pass<false, false>(acc, qk, c0, c1, b0, b1, k0, t, last0, last1, pr);
}

// PV accumulators of one tile, per mode (§8).
template <int D, int MODE> struct PvBlock;
template <int D> struct PvBlock<D, SAGE_MODE_FP32> { float unused[1]; };
template <int D> struct PvBlock<D, SAGE_MODE_FP32_TWO_LEVEL> { float blk[D / 2 + 4]; };
template <int D> struct PvBlock<D, SAGE_MODE_FP16_TWO_LEVEL> { unsigned int h[D / 4 + 2]; };

// Issues (and commits) the PV wgmmas of one tile: A = pr, B = the V tile (128 tokens per row, 128B swizzle) whose k-step s
// (32 tokens, 32 bytes) starts at vDesc + 2·s (the descriptor's start address counts 16-byte units). Fp32 mode scales
// acc_o first.
template <int D, int MODE>
__device__ __forceinline__ void pv_issue_desc(float (&accO)[SAGE_ACC_O(D)], PvBlock<D, MODE>& pv, const unsigned int (&pr)[16],
                                              unsigned long long vDesc, float rescale0, float rescale1)
{
    if constexpr (MODE == SAGE_MODE_FP32)
    {
        // x ⊗ 1 = x for every finite x and ±0, so a tile where no row of the warp has a new maximum (rescale = 1 for all
        // its rows: most tiles once a row has seen a few) skips the 64 multiplications with the same bits. Warp-uniform.
        if (__any_sync(0xffffffffu, rescale0 != 1.0f || rescale1 != 1.0f))
        {
#pragma unroll
            for (int i = 0; i < D / 2; i++) accO[i] = __fmul_rn(accO[i], (i & 2) ? rescale1 : rescale0);
        }
        // The row-sum column is a fresh accumulator per tile in every mode (§8): C = +0, added to st.l in pv_finish.
#pragma unroll
        for (int i = D / 2; i < SAGE_ACC_O(D); i++) accO[i] = 0.0f;
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f32(accO, &pr[4 * s], vDesc + 2 * s, 1);
    }
    else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
    {
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f32(pv.blk, &pr[4 * s], vDesc + 2 * s, s > 0 ? 1 : 0);
    }
    else
    {
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f16(pv.h, &pr[4 * s], vDesc + 2 * s, s > 0 ? 1 : 0);
    }
    wgmma_commit();
}

// After the PV wgmmas of a tile completed: the two-level modes add the block into acc_o (§8), and every mode adds the
// tile's row-sum column into the row sums: st.l = fma(st.l, rescale, column) (§8).
template <int D, int MODE>
__device__ __forceinline__ void pv_finish(float (&accO)[SAGE_ACC_O(D)], PvBlock<D, MODE>& pv, RowState& st, float rescale0, float rescale1)
{
    if constexpr (MODE == SAGE_MODE_FP32)
    {
        fence_registers(accO);
        st.l0 = __fmaf_rn(st.l0, rescale0, accO[D / 2]);
        st.l1 = __fmaf_rn(st.l1, rescale1, accO[D / 2 + 2]);
    }
    else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
    {
        fence_registers(pv.blk);
#pragma unroll
        for (int i = 0; i < D / 2; i++) accO[i] = __fmaf_rn(accO[i], (i & 2) ? rescale1 : rescale0, pv.blk[i]);
        st.l0 = __fmaf_rn(st.l0, rescale0, pv.blk[D / 2]);
        st.l1 = __fmaf_rn(st.l1, rescale1, pv.blk[D / 2 + 2]);
    }
    else
    {
        fence_registers(pv.h);
        // f16 register i of the D fragment: n8 group i/2, row g (i even) or g + 8 (i odd); low half = column
        // 8(i/2) + 2t, high half = + 1. The f32 fragment index of the same element is 4(i/2) + 2(i odd) + e.
#pragma unroll
        for (int i = 0; i < D / 4; i++)
        {
            const float rs = (i & 1) ? rescale1 : rescale0;
            const int f = 4 * (i >> 1) + 2 * (i & 1);
            float lo, hi;
            f16x2_to_f32(pv.h[i], lo, hi);
            accO[f] = __fmaf_rn(accO[f], rs, lo);
            accO[f + 1] = __fmaf_rn(accO[f + 1], rs, hi);
        }
        st.l0 = __fmaf_rn(st.l0, rescale0, f16_to_f32((unsigned short)pv.h[D / 4]));
        st.l1 = __fmaf_rn(st.l1, rescale1, f16_to_f32((unsigned short)pv.h[D / 4 + 1]));
    }
}

// §9.3-§9.4 for one lane's channels 8i + 2t and 8i + 2t + 1 of its row r (0: row0, 1: row1): the two multiplies by the
// row's reciprocal and by v_scale, then (SmoothV) + v_mean, never fused into the multiply. Rows with l = 0 give 0.
template <int D>
__device__ __forceinline__ float2 output_pair(const float (&accO)[SAGE_ACC_O(D)], int i, int r, float l, float recip, float2 vs,
                                              float2 vm, bool smoothV)
{
    float o[2];
#pragma unroll
    for (int e = 0; e < 2; e++)
    {
        o[e] = 0.0f;
        if (l != 0.0f)
        {
            o[e] = __fmul_rn(__fmul_rn(accO[4 * i + 2 * r + e], recip), e == 0 ? vs.x : vs.y);
            if (smoothV) o[e] = __fadd_rn(o[e], e == 0 ? vm.x : vm.y);
        }
    }
    return make_float2(o[0], o[1]);
}

// The solo CTA's 16-bit outputs whose rows are 16-byte aligned leave through shared memory: each warp writes its 16 rows
// with stmatrix (8 instructions per thread at d = 128), then copies them out 16 bytes per lane, two whole rows per warp
// instruction, instead of 32 four-byte stores per thread that each touch 8 rows (session 26: those stores were 8-11 % of
// the 2K kernel). `staging` is the K/V stage memory, free once every warp's last PV wgmma completed. Returns false, having
// stored nothing, where the output does not qualify (FP32, or rows not 16-byte aligned): the caller stores per pair.
template <int D>
__device__ __forceinline__ bool store_rows_staged(const AttentionParams& p, const RowState& st, const float (&accO)[SAGE_ACC_O(D)],
                                                  int row0, int b, int h, float recip0, float recip1, const float2 (&vsAll)[D / 8],
                                                  const float2 (&vmAll)[D / 8], bool smoothV, unsigned char* staging)
{
    const bool rows16 = p.outType != SAGE_OUT_F32 && (reinterpret_cast<unsigned long long>(p.out) & 15) == 0 &&
                        (p.out_strides[0] & 7) == 0 && (p.out_strides[1] & 7) == 0 && (p.out_strides[2] & 7) == 0;
    if (!rows16) return false; // uniform over the CTA: the barrier below is reached by all or none
    constexpr int PITCH = 2 * D + 16; // bytes per staged row; the pad puts a stmatrix phase's 8 rows on distinct banks
    const int lane = (int)(threadIdx.x & 31), warp = (int)(threadIdx.x >> 5);
    // Every thread waited for its own last PV wgmma (the async proxy's reads of the stages): after the barrier no read of
    // the stage memory is outstanding, and no TMA load is (the producer loads tiles < T only).
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();
    SAGE_TIMELINE(timeline_mark(10));
    unsigned char* warpRows = staging + warp * 16 * PITCH;
    // stmatrix .x4: lanes 8j..8j+7 give the rows of matrix j = (chunk i + j / 2, rows 8·(j % 2)..+7 of the warp's 16).
    const unsigned int matrixRow = shared_address(warpRows + (8 * ((lane >> 3) & 1) + (lane & 7)) * PITCH + 16 * (lane >> 4));
    const bool bf16 = p.outType == SAGE_OUT_BF16;
#pragma unroll
    for (int i = 0; i < D / 8; i += 2)
    {
        unsigned int packed[4];
#pragma unroll
        for (int m = 0; m < 4; m++)
        {
            const int ci = i + (m >> 1), r = m & 1;
            const float2 o = output_pair<D>(accO, ci, r, r == 0 ? st.l0 : st.l1, r == 0 ? recip0 : recip1, vsAll[ci], vmAll[ci], smoothV);
            if (bf16) asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(packed[m]) : "f"(o.y), "f"(o.x));
            else asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(packed[m]) : "f"(o.y), "f"(o.x));
        }
        asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n"
                     :: "r"(matrixRow + 16 * i), "r"(packed[0]), "r"(packed[1]), "r"(packed[2]), "r"(packed[3]) : "memory");
    }
    __syncwarp();
    SAGE_TIMELINE(timeline_mark(11));
    constexpr int CHUNKS = D / 8; // 16-byte chunks per row
    const long long headBase = (long long)b * p.out_strides[0] + (long long)h * p.out_strides[1];
    const int firstRow = row0 - (lane >> 2); // the warp's first row (row0 = 64·block + 16·warp + g)
#pragma unroll
    for (int it = 0; it < 2 * D / 32; it++)
    {
        const int q = it * 32 + lane, rl = q / CHUNKS, c = q % CHUNKS;
        const uint4 v = *reinterpret_cast<const uint4*>(warpRows + rl * PITCH + 16 * c);
        if (firstRow + rl < p.nq)
            *reinterpret_cast<uint4*>(static_cast<unsigned short*>(p.out) + headBase + (long long)(firstRow + rl) * p.out_strides[2] + 8 * c) = v;
    }
    return true;
}

// §9 and §10 for one lane's two rows: div.rn by the row sum, v_scale, (SmoothV: + vmean), output rounding; LSE by lanes
// t = 0 (row0) and t = 1 (row1). Rows at or past nq (padding) are skipped. STAGED (the solo CTA, SAGE_EPILOGUE_STAGED):
// 16-bit outputs through `staging` (store_rows_staged); every other output one lane's channel pairs at a time.
template <int D, bool HOOKS, bool STAGED>
__device__ __forceinline__ void store_rows(const AttentionParams& p, const RowState& st, const float (&accO)[SAGE_ACC_O(D)], int row0,
                                           int row1, int b, int h, long long bhq, long long bhk, int t, unsigned char* staging)
{
    const float* vScale = p.v_scale + bhk * D;
    const float* vMean = (HOOKS && p.smoothV) ? p.v_mean + bhk * D : nullptr;
    // §9.3: one div.rn per row, then two multiplies per element (the division per element cost ≈ 10 instructions and a
    // MUFU each, ≈ 1300 per thread and block: a fifth of a block's main loop at N = 2K).
    const float recip0 = st.l0 != 0.0f ? __fdiv_rn(1.0f, st.l0) : 0.0f;
    const float recip1 = st.l1 != 0.0f ? __fdiv_rn(1.0f, st.l1) : 0.0f;
    // Every v_scale (and v_mean) pair is loaded before the first output store. Interleaved with the stores, each load
    // had to stay behind the store before it (the output is a void* that might alias them), so the epilogue waited for
    // D / 8 L2 round trips one after another: 4.3 µs of a 36 µs CTA at N = 2K, d = 128 (timing probe, session 10).
    float2 vsAll[D / 8], vmAll[D / 8];
#pragma unroll
    for (int i = 0; i < D / 8; i++)
    {
        vsAll[i] = *reinterpret_cast<const float2*>(vScale + 8 * i + 2 * t);
        vmAll[i] = vMean != nullptr ? *reinterpret_cast<const float2*>(vMean + 8 * i + 2 * t) : make_float2(0.0f, 0.0f);
    }
    bool stored = false;
    if constexpr (STAGED) stored = store_rows_staged<D>(p, st, accO, row0, b, h, recip0, recip1, vsAll, vmAll, vMean != nullptr, staging);
    if (!stored)
    {
        SAGE_TIMELINE(timeline_mark(10); timeline_mark(11));
        const long long outBase0 = (long long)b * p.out_strides[0] + (long long)h * p.out_strides[1] + (long long)row0 * p.out_strides[2];
        const long long outBase1 = outBase0 + 8 * p.out_strides[2];
        // A lane's two channels 8i + 2t, 8i + 2t + 1 are adjacent: one paired store when the output allows it (a caller's
        // tensor may start at any element).
        const bool paired = (reinterpret_cast<unsigned long long>(p.out) & 7) == 0 && (p.out_strides[2] & 1) == 0 &&
                            (p.out_strides[1] & 1) == 0 && (p.out_strides[0] & 1) == 0;
#pragma unroll
        for (int i = 0; i < D / 8; i++)
        {
            const int c = 8 * i + 2 * t;
#pragma unroll
            for (int r = 0; r < 2; r++)
            {
                const int row = r == 0 ? row0 : row1;
                const float2 o = output_pair<D>(accO, i, r, r == 0 ? st.l0 : st.l1, r == 0 ? recip0 : recip1, vsAll[i], vmAll[i], vMean != nullptr);
                if (row >= p.nq) continue;
                const long long index = (r == 0 ? outBase0 : outBase1) + c;
                if (paired) store_out2(p.out, p.outType, index, o.x, o.y);
                else
                {
                    store_out(p.out, p.outType, index, o.x);
                    store_out(p.out, p.outType, index + 1, o.y);
                }
            }
        }
    }
    // §10, one row per lane: lane t = 0 of the quad takes row0, t = 1 row1 (every lane of the quad holds the same l and
    // base), so the two rows' binary64 logarithms run side by side instead of one after the other in lane 0.
    if (p.lse == nullptr || t >= 2) return;
    const int row = t == 0 ? row0 : row1;
    if (row >= p.nq) return;
    const float l = t == 0 ? st.l0 : st.l1;
    float value;
    if (l == 0.0f) value = __int_as_float(0xff800000);
    else
    {
        const float base = t == 0 ? st.base0 : st.base1;
        double lse = __dmul_rn(__dadd_rn((double)base, kernel_log2(l)), __longlong_as_double(0x3FE62E42FEFA39EFll));
        // The SmoothK correction's dot product comes from the pre-processing (preprocess_lse_dot): formed here, its 128
        // loads and binary64 chain per row cost a quarter of the kernel's speed at N = 2K (session 10).
        if (p.smoothK) lse = __dadd_rn(lse, __dmul_rn(p.smScale, p.lse_dot[bhq * p.nq + row]));
        value = __double2float_rn(lse);
    }
    p.lse[bhq * p.nq + row] = value;
}

// Flat parameter list (the launcher checks it against cuFuncGetParamInfo); ElementType and QuantGranularity
// values are the C# enums' (Float16 0, BFloat16 1, Float32 2; PerBlock 0, PerWarp 1, PerThread 2).
// deltaS / vMean and smoothQ / smoothV: Q smoothing (§2, §5.3) and V smoothing (§4, §9.4), null / 0 when off. Only the
// *_smooth kernels (SMOOTH = true) look at them, so the plain kernels pay nothing; both share one parameter list.
// The flat parameters after any leading ones (tensor maps of the solo variant), and the AttentionParams built from them.
#define SAGE_ATTENTION_PARAMETERS                                                                                      \
    const signed char *q, const float *qScale, const signed char *k, const float *kScale, const unsigned char *v,      \
        const float *vScale, const double *lseDot, const float *deltaS, const float *vMean, const void *qOrig,        \
        void *out, float *lse, long long qob, long long qoh, long long qot, long long ob, long long oh, long long ot,   \
        int batch, int hq, int hkv, int nq, int nk, int padQ, int padK, int tiles, int qGroups, int granularity,      \
        int causal, int smoothK, int smoothQ, int smoothV, int outType, int qOrigType, double smScale,                  \
        float log2eScale
#define SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                        \
    AttentionParams p;                                                                                                 \
    p.q = q; p.q_scale = qScale; p.k = k; p.k_scale = kScale; p.v = v; p.v_scale = vScale; p.lse_dot = lseDot;        \
    p.delta_s = deltaS; p.v_mean = vMean; p.q_orig = qOrig; p.out = out; p.lse = lse;                                  \
    p.q_orig_strides[0] = qob; p.q_orig_strides[1] = qoh; p.q_orig_strides[2] = qot;                                   \
    p.out_strides[0] = ob; p.out_strides[1] = oh; p.out_strides[2] = ot;                                               \
    p.batch = batch; p.hq = hq; p.hkv = hkv; p.nq = nq; p.nk = nk; p.padQ = padQ; p.padK = padK; p.tiles = tiles;      \
    p.qGroups = qGroups; p.granularity = granularity; p.causal = causal; p.smoothK = smoothK;                         \
    p.smoothQ = smoothQ; p.smoothV = smoothV; p.outType = outType; p.qOrigType = qOrigType; p.smScale = smScale;  \
    p.log2eScale = log2eScale;
