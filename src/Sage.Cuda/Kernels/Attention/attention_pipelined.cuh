// The SageAttention main loop on Hopper (sm_90a), docs/kernel-spec.md §5-§10, bit-exact with Sage.Emulation.
//
// v2 structure ("pipelined"): one CTA = the spec's 128-row query tile = 2 consumer warpgroups (256 threads), each
// owning one 64-row block; grid (⌈Nq/128⌉, Hq, B). Both warpgroups read the same K/V tiles (§6) from a ring of
// SAGE_STAGES shared-memory stages:
//   - Every thread copies its share of a tile with cp.async (16 bytes, L1 bypassed) and then
//     cp.async.mbarrier.arrive.noinc on the stage's "full" barrier (256 arrivals): the barrier completes when all
//     copies of the tile have landed. No __syncthreads in the loop.
//   - After its PV product of a tile has completed, every thread arrives on the stage's "empty" barrier; tile
//     kt + 3 is copied into the stage of tile kt - 2 once that barrier says both warpgroups are done with it, so
//     two to three tiles are in flight while one is computed, and a lagging warpgroup never stalls the other.
//   - QKᵀ: wgmma.mma_async m64n128k32.s32.s8.s8, A = Q block, B = K tile, both from shared memory (exact int32).
//   - S, masking, online softmax and P -> E4M3 per lane in register order (§5, §7), exactly as v1 did.
//   - P stays in registers: the E4M3 codes of one k-step (32 tokens) are packed into the 4 registers of the wgmma
//     A fragment and PV runs as wgmma.mma_async m64nNk32.{f32,f16}.e4m3.e4m3 with A from registers. A lane holds
//     tokens {8i + 2t, 8i + 2t + 1} of the accumulator layout, the A fragment wants k = 4t..4t+3 (and 16 + ...),
//     so within every 16-token group the fragment's k position 4t + 2a + b carries token 8a + 2t + b. The V codes
//     are stored pre-permuted the same way by the pre-processing (v_quantize.cu, docs/kernel-spec.md "Storage
//     layouts"), so every product still pairs P[i, token] with V[token, c]. The permutation stays inside one
//     k-step, and the wgmma.e4m3 model is symmetric in the 32 products of a k-step (docs/tensor-core-numerics.md),
//     so no bit changes; the row sums (§7.6) keep their register order.
//   - OVERLAP = true (FA3's intra-warpgroup pipelining): QKᵀ of tile kt + 1 and PV of tile kt are issued back to back,
//     the softmax of tile kt + 1 runs while PV of tile kt is in the tensor cores; its P stays fp32 until that PV has
//     completed and is packed into the A fragment only then (ptxas serialises every wgmma of the kernel when an
//     in-flight wgmma's input registers are redefined, or when the QK issue is conditional: hence the peeled last
//     tile). The arithmetic and its order per output element are unchanged (acc_o of tile kt is finished before
//     that of tile kt + 1 starts).
// Epilogue: quad reduction of the lane sums, div.rn, v_scale, (SmoothV: + vmean), output rounding, LSE (§9, §10).
//
// Shared-memory operands (no swizzle, "interleave" mode), as in v1: a core matrix is 8 rows × 16 bytes stored as
// 128 contiguous bytes; byte(row, k) = (row / 8)·8·KB + (k / 16)·128 + (row % 8)·16 + (k % 16) for an operand of
// KB bytes per row; descriptor LBO = 128 (next core matrix along K), SBO = 8·KB; k-step s starts at byte 256·s.
#pragma once
#include "attention_softmax_exp2.cuh" // sage_softmax_exp2: MUFU ex2.approx.ftz.f32 (kernel-spec §7)
#include "attention_int_to_float.cuh" // sage_small_int_to_float (cvt.rn.f32.s32 without the conversion pipe)
#include "attention_pipelined_wgmma.cuh"

#ifndef SAGE_PINGPONG
#define SAGE_PINGPONG 0 // 1 in attention_pingpong.cu: the overlap loop with the warpgroups' wgmma issues taking turns
#endif
// Named barriers of the ping-pong turn (0 is __syncthreads): barrier 1 + w is "warpgroup w may issue".
#define SAGE_TURN_BARRIER0 1

#define SAGE_ATT_THREADS 256
#define SAGE_KEY_TILE 128
#define SAGE_STAGES 5
#define SAGE_GRAN_BLOCK 0
#define SAGE_GRAN_WARP 1
#define SAGE_GRAN_THREAD 2
#define SAGE_MODE_FP32 0
#define SAGE_MODE_FP32_TWO_LEVEL 1
#define SAGE_MODE_FP16_TWO_LEVEL 2
#define SAGE_OUT_F16 0
#define SAGE_OUT_BF16 1
#define SAGE_OUT_F32 2
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
    const float* k_mean;         // [B, Hkv, d] (LSE correction with SmoothK)
    const float* delta_s;        // [B, Hq, padQ/64, padK] ΔS (SmoothQ), 0 for padded tokens
    const float* v_mean;         // [B, Hkv, d] (SmoothV)
    const void* q_orig;          // original Q (LSE correction with SmoothK), element type q_orig_type
    void* out;                   // output, element type out_type
    float* lse;                  // [B, Hq, Nq] or null
    long long q_orig_strides[3]; // batch, head, token (elements)
    long long out_strides[3];    // batch, head, token (elements)
    int batch, hq, hkv, nq, nk, padQ, padK, tiles, qGroups, granularity, causal, smoothK, smoothQ, smoothV, outType, qOrigType;
    double smScale;
};

__device__ __forceinline__ float f16_to_f32(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
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

// rowGroupBytes: the stride byte offset (next 8-row group along M/N) = 8 × the operand's K extent in bytes.
__device__ __forceinline__ unsigned long long smem_descriptor(const void* p, unsigned int rowGroupBytes = 1024)
{
    unsigned int addr = (unsigned int)__cvta_generic_to_shared(p);
    unsigned long long d = 0;
    d |= (unsigned long long)((addr & 0x3FFFF) >> 4);
    d |= (unsigned long long)(128 >> 4) << 16;           // leading byte offset: next core matrix along K
    d |= (unsigned long long)(rowGroupBytes >> 4) << 32; // stride byte offset: next 8-row group along M/N
    return d;                                            // base offset 0, swizzle mode 0 (none)
}

// Byte of element (row, k) of a K-major operand whose rows hold kBytes bytes, in core matrices of 8 rows × 16 bytes.
__device__ __forceinline__ int core_matrix_offset(int row, int k, int kBytes = 128)
{
    return (row >> 3) * (kBytes * 8) + (k >> 4) * 128 + (row & 7) * 16 + (k & 15);
}

// 16-byte global -> shared copy that bypasses L1 (cp.async.cg); completes at cp.async.wait_group.
__device__ __forceinline__ void cp_async16(void* shared, const void* global)
{
    unsigned int addr = (unsigned int)__cvta_generic_to_shared(shared);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(addr), "l"(global) : "memory");
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
    double f = __dadd_rn(1.0, __ddiv_rn((double)fraction, 8388608.0));
    double u = __ddiv_rn(__dsub_rn(f, 1.0), __dadd_rn(f, 1.0));
    double z = __dmul_rn(u, u);
    double p = __ddiv_rn(1.0, 39.0);
    for (int k = 18; k >= 0; k--) p = __fma_rn(p, z, __ddiv_rn(1.0, (double)(2 * k + 1)));
    return __dadd_rn((double)e, __dmul_rn(__dmul_rn(u, p), 2.8853900817779268));
}

__device__ __forceinline__ float load_orig(const void* base, int type, long long index)
{
    if (type == SAGE_IN_F32) return static_cast<const float*>(base)[index];
    unsigned short h = static_cast<const unsigned short*>(base)[index];
    if (type == SAGE_IN_F16) return f16_to_f32(h);
    return __uint_as_float((unsigned int)h << 16);
}

__device__ __forceinline__ void store_out(void* base, int type, long long index, float value)
{
    if (type == SAGE_OUT_F32) static_cast<float*>(base)[index] = value;
    else if (type == SAGE_OUT_F16) static_cast<unsigned short*>(base)[index] = f32_to_f16(value);
    else static_cast<unsigned short*>(base)[index] = f32_to_bf16(value);
}


__device__ __forceinline__ unsigned int shared_address(const void* p) { return (unsigned int)__cvta_generic_to_shared(p); }

__device__ __forceinline__ void mbarrier_init(unsigned long long* bar, unsigned int count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(shared_address(bar)), "r"(count) : "memory");
}

__device__ __forceinline__ void mbarrier_arrive(unsigned long long* bar)
{
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(shared_address(bar)) : "memory");
}

// Arrives on bar when every cp.async this thread issued before has completed (the barrier's count includes it).
__device__ __forceinline__ void cp_async_arrive_noinc(unsigned long long* bar)
{
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(shared_address(bar)) : "memory");
}

// Waits until the phase with parity `parity` of bar has completed.
__device__ __forceinline__ void mbarrier_wait(unsigned long long* bar, unsigned int parity)
{
    asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n}\n" ::"r"(shared_address(bar)), "r"(parity) : "memory");
}

// Ping-pong turn (FA3's warp-scheduler barriers): warpgroup w waits for its turn on barrier 1 + w, issues its wgmmas,
// then hands the turn to the other warpgroup (bar.arrive does not wait). Both warpgroups take part in each barrier
// (count 256: 128 threads sync, 128 arrive). Only the order in which the two warpgroups' wgmma groups reach the tensor
// cores changes; every value and every operation order per element is that of the overlap loop.
__device__ __forceinline__ void turn_wait(int wg)
{
    asm volatile("bar.sync %0, 256;\n" ::"r"(SAGE_TURN_BARRIER0 + wg) : "memory");
}
__device__ __forceinline__ void turn_pass(int wg)
{
    asm volatile("bar.arrive %0, 256;\n" ::"r"(SAGE_TURN_BARRIER0 + (wg ^ 1)) : "memory");
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

template <int D> struct PvOps;
template <> struct PvOps<128>
{
    __device__ static void f32(float* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n128k32_f32_e4m3(d, a, b, scaleD); }
    __device__ static void f16(unsigned int* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n128k32_f16_e4m3(d, a, b, scaleD); }
};
template <> struct PvOps<64>
{
    __device__ static void f32(float* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n64k32_f32_e4m3(d, a, b, scaleD); }
    __device__ static void f16(unsigned int* d, const unsigned int* a, unsigned long long b, int scaleD) { wgmma_rs_m64n64k32_f16_e4m3(d, a, b, scaleD); }
};

// Per-row online-softmax state of one lane's two rows (§7).
struct RowState
{
    float m0, m1;       // running maxima
    float l0, l1;       // lane partial row sums
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
// st.m and st.base take their new values (st.l is updated by the caller once the sums are complete).
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
    base0 = empty0 ? 0.0f : __fsub_rn(mNew0, log2_448);
    base1 = empty1 ? 0.0f : __fsub_rn(mNew1, log2_448);
    st.m0 = mNew0;
    st.m1 = mNew1;
    st.base0 = base0;
    st.base1 = base1;
}

// §5.3 and §7 for one K tile (keys k0 + 8j + 2t + e of accumulator column group j, e = 0, 1, of the lane's two rows):
//   qk = q_scale ⊗ k_scale with its two lowest significand bits cleared (qkScale arrives as the product; the clearing
//   makes shift = SHIFTER ⊗ qk exact, since 3·qk then fits 24 bits),
//   f = SHIFTER + acc (exact; done in place on the int32 bits),
//   S = fma(f, qk, −shift) = round(acc·qk) (one rounding: f·qk − shift is acc·qk exactly), or with SmoothQ
//   S = fma(f ⊖ SHIFTER, qk, ΔS) (f ⊖ SHIFTER = acc exactly); −∞ past a row's last visible key,
//   tile maximum → m, rescale, base (row_max_update), P = exp2(S ⊖ base) in place, lane sums in register order
//   (even then odd column of each group, groups ascending), st.l = fma(st.l, rescale, sum).
// Per score without SmoothQ that is IADD (shifter), FFMA, half a 3-input integer max, FADD (⊖ base), MUFU.EX2, FADD
// (sum) and half an F2FP: the conversion back (FADD of −SHIFTER) and the separate FMUL of the old rule are gone. The
// maximum of a plain tile is taken on the integer sums (positive floats order as their bits, and round(acc·qk) with
// qk ≥ 0 is monotone in acc), with 3-input integer max instructions.
// A tile with a key past some row's last visible key (causal edge or padding; warp-uniform test) runs the masked
// loops, a plain tile the loops without per-key tests.
template <bool SMOOTHQ, bool MASKED>
__device__ __forceinline__ void score_pass(const int (&acc)[64], float qk, float shift, const float* dsTile, int k0, int t,
                                           int last0, int last1, float (&s0)[32], float (&s1)[32])
{
    const float negInf = __int_as_float(0xff800000);
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        float2 ds = make_float2(0.0f, 0.0f);
        if constexpr (SMOOTHQ) ds = *reinterpret_cast<const float2*>(dsTile + 8 * j + 2 * t);
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const float f0 = __int_as_float(acc[4 * j + e]), f1 = __int_as_float(acc[4 * j + 2 + e]);
            float v0, v1;
            if constexpr (SMOOTHQ)
            {
                const float d = e == 0 ? ds.x : ds.y;
                v0 = __fmaf_rn(__fsub_rn(f0, SAGE_SHIFTER), qk, d);
                v1 = __fmaf_rn(__fsub_rn(f1, SAGE_SHIFTER), qk, d);
            }
            else
            {
                v0 = __fmaf_rn(f0, qk, -shift);
                v1 = __fmaf_rn(f1, qk, -shift);
            }
            const int key = k0 + 8 * j + 2 * t + e;
            s0[2 * j + e] = MASKED && key > last0 ? negInf : v0;
            s1[2 * j + e] = MASKED && key > last1 ? negInf : v1;
        }
    }
}

template <bool SMOOTHQ>
__device__ __forceinline__ void softmax_tile(int (&acc)[64], float qkScale, const float* dsTile, int k0, int t,
                                             int last0, int last1, RowState& st, float& rescale0, float& rescale1,
                                             float (&s0)[32], float (&s1)[32])
{
    const float negInf = __int_as_float(0xff800000);
    const float qk = __uint_as_float(__float_as_uint(qkScale) & ~3u);
    const float shift = __fmul_rn(SAGE_SHIFTER, qk);
#pragma unroll
    for (int i = 0; i < 64; i++) acc[i] += SAGE_SHIFTER_BITS;
    const bool edge = __any_sync(0xffffffffu, k0 + SAGE_KEY_TILE - 1 > min(last0, last1));
    float tmax0 = negInf, tmax1 = negInf;
    if (edge || SMOOTHQ)
    {
        if (edge) score_pass<SMOOTHQ, true>(acc, qk, shift, dsTile, k0, t, last0, last1, s0, s1);
        else score_pass<SMOOTHQ, false>(acc, qk, shift, dsTile, k0, t, last0, last1, s0, s1);
#pragma unroll
        for (int i = 0; i < 32; i++) { tmax0 = fmaxf(tmax0, s0[i]); tmax1 = fmaxf(tmax1, s1[i]); }
    }
    else
    {
        // Integer max is exact in any order: four independent chains per row, then their maximum.
        int c0[4], c1[4];
#pragma unroll
        for (int q = 0; q < 4; q++) { c0[q] = acc[4 * q + (q & 1)]; c1[q] = acc[4 * q + 2 + (q & 1)]; }
#pragma unroll
        for (int j = 0; j < 16; j++)
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                c0[j & 3] = max(c0[j & 3], acc[4 * j + e]);
                c1[j & 3] = max(c1[j & 3], acc[4 * j + 2 + e]);
            }
        tmax0 = __fmaf_rn(__int_as_float(max(max(c0[0], c0[1]), max(c0[2], c0[3]))), qk, -shift);
        tmax1 = __fmaf_rn(__int_as_float(max(max(c1[0], c1[1]), max(c1[2], c1[3]))), qk, -shift);
        score_pass<false, false>(acc, qk, shift, dsTile, k0, t, last0, last1, s0, s1);
    }
    float base0, base1;
    row_max_update(tmax0, tmax1, st, rescale0, rescale1, base0, base1);
    float sum0 = 0.0f, sum1 = 0.0f;
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        const float pa = sage_softmax_exp2(__fsub_rn(s0[2 * j], base0));
        const float pb = sage_softmax_exp2(__fsub_rn(s0[2 * j + 1], base0));
        const float pc = sage_softmax_exp2(__fsub_rn(s1[2 * j], base1));
        const float pd = sage_softmax_exp2(__fsub_rn(s1[2 * j + 1], base1));
        sum0 = __fadd_rn(__fadd_rn(sum0, pa), pb);
        sum1 = __fadd_rn(__fadd_rn(sum1, pc), pd);
        s0[2 * j] = pa;
        s0[2 * j + 1] = pb;
        s1[2 * j] = pc;
        s1[2 * j + 1] = pd;
    }
    st.l0 = __fmaf_rn(st.l0, rescale0, sum0);
    st.l1 = __fmaf_rn(st.l1, rescale1, sum1);
}

// §7.8: P -> E4M3, packed into the PV A fragments pr[4s .. 4s+3] of k-steps s = 0..3. Column group j = 4s + w of
// k-step s: w = 0, 1 fill fragment registers 0 (row g) and 1 (row g + 8), w = 2, 3 registers 2 and 3; odd w takes the
// upper 16 bits (k positions 4t + 2, 4t + 3).
__device__ __forceinline__ void pack_p(const float (&p0)[32], const float (&p1)[32], unsigned int (&pr)[16])
{
#pragma unroll
    for (int j = 0; j < 16; j++)
    {
        const unsigned int c0 = e4m3x2(p0[2 * j], p0[2 * j + 1]), c1 = e4m3x2(p1[2 * j], p1[2 * j + 1]);
        const int s = j >> 2, w = j & 3, r = 4 * s + (w >> 1) * 2;
        if (w & 1) { pr[r] |= c0 << 16; pr[r + 1] |= c1 << 16; }
        else { pr[r] = c0; pr[r + 1] = c1; }
    }
}

// PV accumulators of one tile, per mode (§8).
template <int D, int MODE> struct PvBlock;
template <int D> struct PvBlock<D, SAGE_MODE_FP32> { float unused[1]; };
template <int D> struct PvBlock<D, SAGE_MODE_FP32_TWO_LEVEL> { float blk[D / 2]; };
template <int D> struct PvBlock<D, SAGE_MODE_FP16_TWO_LEVEL> { unsigned int h[D / 4]; };

// Issues (and commits) the PV wgmmas of one tile: A = pr, B = the V tile whose k-step s (32 tokens) has the shared-memory
// descriptor vDesc + s·vStep (the descriptor's start address counts 16-byte units). Fp32 mode scales acc_o first.
template <int D, int MODE>
__device__ __forceinline__ void pv_issue_desc(float (&accO)[D / 2], PvBlock<D, MODE>& pv, const unsigned int (&pr)[16],
                                              unsigned long long vDesc, unsigned long long vStep, float rescale0, float rescale1)
{
    if constexpr (MODE == SAGE_MODE_FP32)
    {
#pragma unroll
        for (int i = 0; i < D / 2; i++) accO[i] = __fmul_rn(accO[i], (i & 2) ? rescale1 : rescale0);
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f32(accO, &pr[4 * s], vDesc + s * vStep, 1);
    }
    else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
    {
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f32(pv.blk, &pr[4 * s], vDesc + s * vStep, s > 0 ? 1 : 0);
    }
    else
    {
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) PvOps<D>::f16(pv.h, &pr[4 * s], vDesc + s * vStep, s > 0 ? 1 : 0);
    }
    wgmma_commit();
}

// pv_issue_desc for a V tile in the no-swizzle core-matrix layout at sV (k-step s at byte 256·s).
template <int D, int MODE>
__device__ __forceinline__ void pv_issue(float (&accO)[D / 2], PvBlock<D, MODE>& pv, const unsigned int (&pr)[16],
                                         const unsigned char* sV, float rescale0, float rescale1)
{
    pv_issue_desc<D, MODE>(accO, pv, pr, smem_descriptor(sV), 256 >> 4, rescale0, rescale1);
}

// After the PV wgmmas of a tile completed: the two-level modes add the block into acc_o (§8).
template <int D, int MODE>
__device__ __forceinline__ void pv_finish(float (&accO)[D / 2], PvBlock<D, MODE>& pv, float rescale0, float rescale1)
{
    if constexpr (MODE == SAGE_MODE_FP32) fence_registers(accO);
    else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
    {
        fence_registers(pv.blk);
#pragma unroll
        for (int i = 0; i < D / 2; i++) accO[i] = __fmaf_rn(accO[i], (i & 2) ? rescale1 : rescale0, pv.blk[i]);
    }
    else
    {
        fence_registers(pv.h);
        // f16 register i of the D fragment: n8 group i/2, row g (i even) or g + 8 (i odd); low half = column
        // 8(i/2) + 2t, high half = + 1. The f32 fragment index of the same element is 4(i/2) + 2(i odd) + e.
#pragma unroll
        for (int i = 0; i < D / 4; i++)
        {
            float rs = (i & 1) ? rescale1 : rescale0;
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                int f = 4 * (i >> 1) + 2 * (i & 1) + e;
                accO[f] = __fmaf_rn(accO[f], rs, f16_to_f32((unsigned short)(pv.h[i] >> (16 * e))));
            }
        }
    }
}

// §9 and §10 for one lane's two rows: quad reduction of the lane sums, div.rn, v_scale, (SmoothV: + vmean), output
// rounding, LSE. Rows at or past nq (padding) are skipped.
template <int D, bool HOOKS>
__device__ __forceinline__ void store_rows(const AttentionParams& p, const RowState& st, const float (&accO)[D / 2], int row0,
                                           int row1, int b, int h, long long bhq, long long bhk, int t)
{
    const float l0x = __fadd_rn(st.l0, __shfl_xor_sync(0xffffffffu, st.l0, 1));
    const float l1x = __fadd_rn(st.l1, __shfl_xor_sync(0xffffffffu, st.l1, 1));
    const float lsum0 = __fadd_rn(l0x, __shfl_xor_sync(0xffffffffu, l0x, 2));
    const float lsum1 = __fadd_rn(l1x, __shfl_xor_sync(0xffffffffu, l1x, 2));
    const float* vScale = p.v_scale + bhk * D;
    const float* vMean = (HOOKS && p.smoothV) ? p.v_mean + bhk * D : nullptr;
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        int row = r == 0 ? row0 : row1;
        if (row >= p.nq) continue;
        float l = r == 0 ? lsum0 : lsum1;
        long long outBase = (long long)b * p.out_strides[0] + (long long)h * p.out_strides[1] + (long long)row * p.out_strides[2];
#pragma unroll
        for (int i = 0; i < D / 8; i++)
        {
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                int c = 8 * i + 2 * t + e;
                float o = 0.0f;
                if (l != 0.0f)
                {
                    o = __fmul_rn(__fdiv_rn(accO[4 * i + 2 * r + e], l), vScale[c]);
                    if (vMean != nullptr) o = __fadd_rn(o, vMean[c]); // §9.4, never fused into the multiply
                }
                store_out(p.out, p.outType, outBase + c, o);
            }
        }
        if (p.lse != nullptr && t == 0)
        {
            float value;
            if (l == 0.0f) value = __int_as_float(0xff800000);
            else
            {
                float base = r == 0 ? st.base0 : st.base1;
                double lse = __dmul_rn(__dadd_rn((double)base, kernel_log2(l)), __longlong_as_double(0x3FE62E42FEFA39EFll));
                if (p.smoothK)
                {
                    long long qBase = (long long)b * p.q_orig_strides[0] + (long long)h * p.q_orig_strides[1] + (long long)row * p.q_orig_strides[2];
                    const float* mean = p.k_mean + bhk * D;
                    double dot = 0.0;
                    for (int c = 0; c < D; c++)
                        dot = __dadd_rn(dot, __dmul_rn((double)load_orig(p.q_orig, p.qOrigType, qBase + c), (double)mean[c]));
                    lse = __dadd_rn(lse, __dmul_rn(p.smScale, dot));
                }
                value = __double2float_rn(lse);
            }
            p.lse[bhq * p.nq + row] = value;
        }
    }
}

// SMOOTHQ: the ΔS path of §5.3 (Q smoothing); HOOKS: the kernel is a *_smooth kernel, which also honours smoothV.
template <int D, int MODE, bool SMOOTHQ, bool OVERLAP, bool HOOKS>
__device__ __forceinline__ void attention_cta(const AttentionParams& p)
{
    constexpr int KSTEPS = D / 32;               // QK k-steps of wgmma k32
    constexpr int STAGE = 2 * D * SAGE_KEY_TILE; // one V tile + one K tile (a multiple of 1024)

    // Dynamic shared memory: [Q: 2 blocks of 64 × D][stages: (V tile, K tile) × SAGE_STAGES][full, empty barriers]
    // (CudaAttention.SharedMemoryBytes). Every operand starts at a multiple of 1024 bytes.
    extern __shared__ __align__(1024) unsigned char smem[];
    unsigned char* stages = smem + 128 * D;
    unsigned long long* full = reinterpret_cast<unsigned long long*>(stages + SAGE_STAGES * STAGE);
    unsigned long long* empty = full + SAGE_STAGES;

    const int tid = threadIdx.x, wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31, g = lane >> 2, t = lane & 3;
    // Causal: the CTAs with the most K tiles (the last query tiles) are launched first, so that the short ones fill the
    // tail of the grid instead of the long ones. Only which SM runs a tile and when changes, not what it computes.
    const int cta = p.causal ? (int)gridDim.x - 1 - (int)blockIdx.x : (int)blockIdx.x;
    const int h = blockIdx.y, b = blockIdx.z;
    const int block = cta * 2 + wg;              // this warpgroup's 64-row query block
    const unsigned char* sQ = smem + wg * 64 * D;
    const int hk = h / (p.hq / p.hkv);
    const int row0 = block * 64 + warp * 16 + g; // this lane's rows: row0 and row0 + 8
    const int row1 = row0 + 8;

    // §6: the tiles the 128-row CTA tile visits (both warpgroups visit the same ones).
    int T = p.tiles;
    if (p.causal)
    {
        int q0 = cta * 128;
        int lastRow = min(q0 + 127, p.nq - 1);
        int last = min(p.nk - 1, lastRow + p.nk - p.nq);
        T = last < 0 ? 0 : last / SAGE_KEY_TILE + 1;
    }

    if (tid == 0)
    {
#pragma unroll
        for (int s = 0; s < SAGE_STAGES; s++)
        {
            mbarrier_init(full + s, SAGE_ATT_THREADS);
            mbarrier_init(empty + s, SAGE_ATT_THREADS);
        }
    }
    __syncthreads();

    const long long bhq = (long long)b * p.hq + h;
    const long long bhk = (long long)b * p.hkv + hk;
    const signed char* kHead = p.k + bhk * p.padK * D;
    const unsigned char* vHead = p.v + bhk * D * p.padK;

    // Tile kt -> stage kt % SAGE_STAGES; each of the 256 threads copies its share, then arrives (noinc) on "full".
    // Every thread copies the same chunk column of D / 8 (K) or 4 (V) token/channel rows, 256 / (D / 16) resp. 32 rows
    // apart: the trip counts are compile-time constants (the loop `idx = tid; idx < n; idx += 256` was not unrolled,
    // since the compiler cannot know tid < 256, and cost ≈ 290 SASS instructions of address arithmetic and remainder
    // handling per tile), and every per-thread address is a base plus an immediate offset.
    constexpr int K_CHUNKS = D / 16;                                   // 16-byte chunks per K row
    constexpr int K_ROWS_STEP = SAGE_ATT_THREADS / K_CHUNKS;           // 16 (D = 128) or 32 (D = 64)
    constexpr int K_COPIES = SAGE_KEY_TILE / K_ROWS_STEP;              // 4 (D = 128) or 2 (D = 64)
    constexpr int V_ROWS_STEP = SAGE_ATT_THREADS / 8;                  // 32 channels apart
    constexpr int V_COPIES = D / V_ROWS_STEP;                          // 4 (D = 128) or 2 (D = 64)
    const int kRow0 = tid / K_CHUNKS, kChunk = tid % K_CHUNKS;
    const int vRow0 = tid >> 3, vChunk = tid & 7;
    const int kSharedOffset = core_matrix_offset(kRow0, 16 * kChunk, D); // + (K_ROWS_STEP / 8)·8·D per copy
    const int vSharedOffset = core_matrix_offset(vRow0, 16 * vChunk);    // + (V_ROWS_STEP / 8)·1024 per copy
    const signed char* kThread = kHead + kRow0 * D + 16 * kChunk;
    const unsigned char* vThread = vHead + (long long)vRow0 * p.padK + 16 * vChunk;
    const long long vCopyStride = (long long)V_ROWS_STEP * p.padK;

    // Tile kt -> stage kt % SAGE_STAGES; each of the 256 threads copies its share, then arrives (noinc) on "full".
    auto load_tile = [&](int kt) {
        unsigned char* sV = stages + (kt % SAGE_STAGES) * STAGE;
        unsigned char* sK = sV + D * SAGE_KEY_TILE;
        const signed char* kTile = kThread + (long long)kt * SAGE_KEY_TILE * D;
#pragma unroll
        for (int i = 0; i < K_COPIES; i++)
            cp_async16(sK + kSharedOffset + i * (K_ROWS_STEP / 8) * 8 * D, kTile + i * K_ROWS_STEP * D);
        const unsigned char* vTile = vThread + (long long)kt * SAGE_KEY_TILE;
#pragma unroll
        for (int i = 0; i < V_COPIES; i++)
            cp_async16(sV + vSharedOffset + i * (V_ROWS_STEP / 8) * 1024, vTile + i * vCopyStride);
        cp_async_arrive_noinc(full + kt % SAGE_STAGES);
    };

    // Q tile (128 rows × D int8, both blocks) once, in the core-matrix layout of the wgmma A operand.
    {
        const signed char* qTile = p.q + (bhq * p.padQ + cta * 128) * D;
        for (int idx = tid; idx < 128 * D / 16; idx += SAGE_ATT_THREADS)
        {
            int r = idx / (D / 16), c = idx % (D / 16);
            cp_async16(smem + (r >> 6) * 64 * D + core_matrix_offset(r & 63, 16 * c, D), qTile + r * D + 16 * c);
        }
        asm volatile("cp.async.commit_group;\n" ::: "memory");
    }
#pragma unroll
    for (int kt = 0; kt < 3; kt++)
        if (kt < T) load_tile(kt);
    asm volatile("cp.async.commit_group;\n" ::: "memory");
    asm volatile("cp.async.wait_group 1;\n" ::: "memory"); // the Q group
    // Q was written through the generic proxy; the wgmma reads it through the async proxy.
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();

    // At iteration kt: tile kt + 3 goes into the stage of tile kt - 2 once both warpgroups released it.
    auto refill = [&](int kt) {
        if (kt + 3 < T)
        {
            if (kt >= 2) mbarrier_wait(empty + (kt - 2) % SAGE_STAGES, ((kt - 2) / SAGE_STAGES) & 1);
            load_tile(kt + 3);
        }
    };

    const BlockRows rows = block_rows<SMOOTHQ>(p, row0, row1, block, bhq, bhk);
    float accO[D / 2];
    zero_registers(accO);
    RowState st = RowState::start();
    int accS[64];
    zero_registers(accS);
    PvBlock<D, MODE> pv;

    auto qk_issue = [&](int kt) {
        mbarrier_wait(full + kt % SAGE_STAGES, (kt / SAGE_STAGES) & 1);
        const unsigned char* sK = stages + (kt % SAGE_STAGES) * STAGE + D * SAGE_KEY_TILE;
        wgmma_fence();
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++)
            wgmma_ss_m64n128k32_s32_s8(accS, smem_descriptor(sQ + 256 * ks, 8 * D), smem_descriptor(sK + 256 * ks, 8 * D), ks > 0 ? 1 : 0);
        wgmma_commit();
    };
    auto softmax = [&](int kt, float& rescale0, float& rescale1, float (&p0)[32], float (&p1)[32]) {
        fence_registers(accS);
        const float kScale = rows.kScaleHead[kt * rows.kGroups + (rows.kGroups == 4 ? t : 0)];
        const float qkScale = __fmul_rn(rows.qScale, kScale);
        softmax_tile<SMOOTHQ>(accS, qkScale, SMOOTHQ ? rows.dsBlock + kt * SAGE_KEY_TILE : nullptr, kt * SAGE_KEY_TILE, t,
                              rows.last0, rows.last1, st, rescale0, rescale1, p0, p1);
    };

    if constexpr (!OVERLAP)
    {
        for (int kt = 0; kt < T; kt++)
        {
            qk_issue(kt);
            refill(kt);
            wgmma_wait<0>();
            float rescale0, rescale1;
            float p0[32], p1[32];
            unsigned int pr[16];
            softmax(kt, rescale0, rescale1, p0, p1);
            pack_p(p0, p1, pr);
            pv_issue<D, MODE>(accO, pv, pr, stages + (kt % SAGE_STAGES) * STAGE, rescale0, rescale1);
            wgmma_wait<0>();
            mbarrier_arrive(empty + kt % SAGE_STAGES);
            pv_finish<D, MODE>(accO, pv, rescale0, rescale1);
        }
    }
    else if (T > 0)
    {
        // The last tile is peeled off so that every iteration issues the same two wgmma groups (ptxas serialises all
        // wgmmas when the QK issue is conditional), and the P of tile kt + 1 stays fp32 until the PV of tile kt has
        // completed: only then is it packed into the A-fragment registers (ptxas serialises when registers an
        // in-flight wgmma reads are redefined). Arithmetic and order per element as in the serial loop.
        // Ping-pong: T + 1 issue points per warpgroup (first QK, T - 1 loop iterations, last PV), each inside a turn;
        // warpgroup 1 hands warpgroup 0 the first turn, and warpgroup 0 takes one more turn after its last issue so
        // that every arrive on a barrier is matched by a sync before the CTA exits.
        constexpr bool PP = SAGE_PINGPONG != 0;
        if constexpr (PP)
            if (wg == 1) asm volatile("bar.arrive %0, 256;\n" ::"r"(SAGE_TURN_BARRIER0) : "memory");
        float rsCur0, rsCur1;
        unsigned int prCur[16];
        {
            float p0[32], p1[32];
            if constexpr (PP) turn_wait(wg);
            qk_issue(0);
            if constexpr (PP) turn_pass(wg);
            wgmma_wait<0>();
            softmax(0, rsCur0, rsCur1, p0, p1);
            pack_p(p0, p1, prCur);
        }
        for (int kt = 0; kt + 1 < T; kt++)
        {
            refill(kt);
            if constexpr (PP) turn_wait(wg);
            qk_issue(kt + 1);
            pv_issue<D, MODE>(accO, pv, prCur, stages + (kt % SAGE_STAGES) * STAGE, rsCur0, rsCur1);
            if constexpr (PP) turn_pass(wg);
            float rsNext0, rsNext1;
            float p0[32], p1[32];
            wgmma_wait<1>(); // QK of tile kt + 1 (the older group)
            softmax(kt + 1, rsNext0, rsNext1, p0, p1);
            // Pin the softmax before the wait: plain arithmetic may otherwise be scheduled after the asm below.
            fence_registers(p0);
            fence_registers(p1);
            asm volatile("" : "+f"(rsNext0), "+f"(rsNext1), "+f"(st.l0), "+f"(st.l1)::"memory");
            wgmma_wait<0>();
            mbarrier_arrive(empty + kt % SAGE_STAGES);
            pv_finish<D, MODE>(accO, pv, rsCur0, rsCur1);
            pack_p(p0, p1, prCur);
            rsCur0 = rsNext0;
            rsCur1 = rsNext1;
        }
        if constexpr (PP) turn_wait(wg);
        pv_issue<D, MODE>(accO, pv, prCur, stages + ((T - 1) % SAGE_STAGES) * STAGE, rsCur0, rsCur1);
        if constexpr (PP)
        {
            turn_pass(wg);
            if (wg == 0) turn_wait(0); // matches warpgroup 1's last turn_pass
        }
        wgmma_wait<0>();
        mbarrier_arrive(empty + (T - 1) % SAGE_STAGES);
        pv_finish<D, MODE>(accO, pv, rsCur0, rsCur1);
    }

    // §9 epilogue.
    store_rows<D, HOOKS>(p, st, accO, row0, row1, b, h, bhq, bhk, t);
}

// Flat parameter list (the launcher checks it against cuFuncGetParamInfo); ElementType and QuantGranularity
// values are the C# enums' (Float16 0, BFloat16 1, Float32 2; PerBlock 0, PerWarp 1, PerThread 2).
// deltaS / vMean and smoothQ / smoothV: Q smoothing (§2, §5.3) and V smoothing (§4, §9.4), null / 0 when off. Only the
// *_smooth kernels (SMOOTH = true) look at them, so the plain kernels pay nothing; both share one parameter list.
// The flat parameters after any leading ones (tensor maps of the solo variant), and the AttentionParams built from them.
#define SAGE_ATTENTION_PARAMETERS                                                                                      \
    const signed char *q, const float *qScale, const signed char *k, const float *kScale, const unsigned char *v,      \
        const float *vScale, const float *kMean, const float *deltaS, const float *vMean, const void *qOrig,          \
        void *out, float *lse, long long qob, long long qoh, long long qot, long long ob, long long oh, long long ot,   \
        int batch, int hq, int hkv, int nq, int nk, int padQ, int padK, int tiles, int qGroups, int granularity,      \
        int causal, int smoothK, int smoothQ, int smoothV, int outType, int qOrigType, double smScale
#define SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                        \
    AttentionParams p;                                                                                                 \
    p.q = q; p.q_scale = qScale; p.k = k; p.k_scale = kScale; p.v = v; p.v_scale = vScale; p.k_mean = kMean;          \
    p.delta_s = deltaS; p.v_mean = vMean; p.q_orig = qOrig; p.out = out; p.lse = lse;                                  \
    p.q_orig_strides[0] = qob; p.q_orig_strides[1] = qoh; p.q_orig_strides[2] = qot;                                   \
    p.out_strides[0] = ob; p.out_strides[1] = oh; p.out_strides[2] = ot;                                               \
    p.batch = batch; p.hq = hq; p.hkv = hkv; p.nq = nq; p.nk = nk; p.padQ = padQ; p.padK = padK; p.tiles = tiles;      \
    p.qGroups = qGroups; p.granularity = granularity; p.causal = causal; p.smoothK = smoothK;                         \
    p.smoothQ = smoothQ; p.smoothV = smoothV; p.outType = outType; p.qOrigType = qOrigType; p.smScale = smScale;

#define SAGE_ATTENTION_KERNEL(NAME, D, MODE, OVERLAP, SMOOTH)                                                          \
    extern "C" __global__ void __launch_bounds__(SAGE_ATT_THREADS, 1) NAME(SAGE_ATTENTION_PARAMETERS)                \
    {                                                                                                                  \
        SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                        \
        if (SMOOTH && smoothQ) attention_cta<D, MODE, SMOOTH, OVERLAP, SMOOTH>(p);                                     \
        else attention_cta<D, MODE, false, OVERLAP, SMOOTH>(p);                                                        \
    }

// All twelve kernels of one variant: sage_attention_d{64,128}_{fp32,fp32_two_level,fp16_two_level}[_smooth].
#define SAGE_ATTENTION_KERNELS(OVERLAP)                                                                                \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32, 64, SAGE_MODE_FP32, OVERLAP, false)                                 \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level, 64, SAGE_MODE_FP32_TWO_LEVEL, OVERLAP, false)             \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level, 64, SAGE_MODE_FP16_TWO_LEVEL, OVERLAP, false)             \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32, 128, SAGE_MODE_FP32, OVERLAP, false)                               \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level, 128, SAGE_MODE_FP32_TWO_LEVEL, OVERLAP, false)           \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level, 128, SAGE_MODE_FP16_TWO_LEVEL, OVERLAP, false)           \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_smooth, 64, SAGE_MODE_FP32, OVERLAP, true)                           \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level_smooth, 64, SAGE_MODE_FP32_TWO_LEVEL, OVERLAP, true)       \
    SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level_smooth, 64, SAGE_MODE_FP16_TWO_LEVEL, OVERLAP, true)       \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_smooth, 128, SAGE_MODE_FP32, OVERLAP, true)                         \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level_smooth, 128, SAGE_MODE_FP32_TWO_LEVEL, OVERLAP, true)     \
    SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level_smooth, 128, SAGE_MODE_FP16_TWO_LEVEL, OVERLAP, true)
