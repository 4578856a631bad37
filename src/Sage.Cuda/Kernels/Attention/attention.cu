// The SageAttention main loop on Hopper (sm_90a), docs/kernel-spec.md §5-§10, bit-exact with Sage.Emulation.
//
// v1 structure (correctness first): one warpgroup (128 threads) per 64-row query block; grid (⌈Nq/64⌉, Hq, B).
// Per visited 128-token K/V tile:
//   1. The Q block (once), the K tile (int8) and the V tile (E4M3) are copied to shared memory with cp.async in
//      the core-matrix layout below; K/V tiles are double-buffered (tile kt + 1 loads while tile kt computes).
//   2. QKᵀ on wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 (exact), A = Q, B = K from descriptors; a lane
//      holds rows 16w+g, 16w+g+8 and columns 8i+2t, 8i+2t+1 (§0).
//   3. S dequantisation, masking, online softmax with the kernel exp2 (sage_exp2_shifter: sage_kernel_exp2 without
//      conversion-pipe instructions, identical on all 2^32 inputs), P -> E4M3 (cvt.rn.satfinite), all per lane in
//      register order (§5, §7).
//   4. p8 is stored to shared memory in the no-swizzle core-matrix layout and PV runs on
//      wgmma.mma_async.sync.aligned.m64nNk32.{f32,f16}.e4m3.e4m3 with both operands from descriptors (§8).
// Epilogue: quad reduction of the lane sums, div.rn, v_scale, output rounding, LSE in double (§9, §10).
//
// [SMOOTH-QV] Q and V smoothing (features branch; marked so the hooks can be ported to other main loops): kernels
// named *_smooth are instantiated with SMOOTH = true and honour the runtime flags smoothQ (§5.3: S = fma(acc,
// qk_scale, ΔS) with ΔS precomputed by score_correction.cu, [B, Hq, padQ/64, padK]) and smoothV (§9.4: o = o ⊕
// vmean[c] after the v_scale multiply, rows with l != 0 only). The plain kernels (SMOOTH = false) contain neither
// hook, so the common path pays nothing; both share one flat parameter list.
//
// Shared-memory operands (no swizzle, "interleave" mode). A core matrix is 8 rows × 16 bytes, stored as 128
// contiguous bytes (row r at byte 16r). For an operand of R rows (M for A, N for B) and KB bytes per row
// (K-major, as 8-bit wgmma requires for both A and B):
//     byte(row, k) = (row / 8) · 8·KB + (k / 16) · 128 + (row % 8) · 16 + (k % 16)
// so the descriptor's leading byte offset (next core matrix along K) is 128 and its stride byte offset (next
// 8-row group along M/N) is 8·KB: 1024 for P and V (KB = 128 tokens), 8·d for Q and K (KB = d channels). One
// k-step of 32 bytes starts at byte 256·s. The tc_probe kernels verified LBO = K direction on the H100.
#include "attention_exp2.cuh" // includes kernel_exp2.cuh; value-identical shifter forms
#include "attention_wgmma.cuh"

#define SAGE_ATT_THREADS 128
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
#define SAGE_IN_F16 0
#define SAGE_IN_BF16 1
#define SAGE_IN_F32 2

struct AttentionParams
{
    const signed char* q;        // [B, Hq, padQ, d] int8
    const float* q_scale;        // [B, Hq, qGroups]
    const signed char* k;        // [B, Hkv, padK, d] int8
    const float* k_scale;        // [B, Hkv, tiles, kGroups]
    const unsigned char* v;      // [B, Hkv, d, padK] E4M3
    const float* v_scale;        // [B, Hkv, d]
    const float* k_mean;         // [B, Hkv, d] (LSE correction with SmoothK)
    const float* delta_s;        // [B, Hq, padQ/64, padK] ΔS in log2 units (SmoothQ; *_smooth kernels only)
    const float* v_mean;         // [B, Hkv, d] (SmoothV; *_smooth kernels only)
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

__device__ __forceinline__ float s32_to_f32(int x)
{
    float f;
    asm("cvt.rn.f32.s32 %0, %1;" : "=f"(f) : "r"(x));
    return f;
}

__device__ __forceinline__ void mma_s8_m16n8k32(int (&c)[4], const unsigned int (&a)[4], unsigned int b0, unsigned int b1)
{
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
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

template <int D> struct PvOps;
template <> struct PvOps<128>
{
    __device__ static void f32(float* d, unsigned long long a, unsigned long long b) { wgmma_m64n128k32_f32_e4m3(d, a, b); }
    __device__ static void f16(unsigned int* d, unsigned long long a, unsigned long long b) { wgmma_m64n128k32_f16_e4m3(d, a, b); }
};
template <> struct PvOps<64>
{
    __device__ static void f32(float* d, unsigned long long a, unsigned long long b) { wgmma_m64n64k32_f32_e4m3(d, a, b); }
    __device__ static void f16(unsigned int* d, unsigned long long a, unsigned long long b) { wgmma_m64n64k32_f16_e4m3(d, a, b); }
};

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }

template <int D, int MODE, bool SMOOTH>
__device__ __forceinline__ void attention_block(const AttentionParams& p)
{
    constexpr int KSTEPS = D / 32;     // QK k-steps of wgmma k32
    constexpr int NV = D / 8;          // n8 column groups of the PV accumulator (channels 8i + 2t, +1)
    constexpr int STAGE = 2 * D * SAGE_KEY_TILE; // one V tile + one K tile (a multiple of 1024)

    // Dynamic shared memory: [P 8 KiB][Q 8 KiB][stage 0: V, K][stage 1: V, K] (CudaAttention.SharedMemoryBytes).
    // Every piece starts at a multiple of 1024 bytes; the descriptors need 16-byte alignment (no swizzle).
    extern __shared__ __align__(1024) unsigned char smem[];
    unsigned char* sP = smem;
    unsigned char* sQ = smem + 64 * SAGE_KEY_TILE;
    unsigned char* stages = sQ + 64 * 128;

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int block = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const int hk = h / (p.hq / p.hkv);
    const int row0 = block * 64 + warp * 16 + g; // this lane's rows: row0 and row0 + 8
    const int row1 = row0 + 8;

    // §6: the tiles the 128-row CTA tile of the spec visits (both of its warpgroups visit the same ones).
    int T = p.tiles;
    if (p.causal)
    {
        int q0 = (block >> 1) * 128;
        int lastRow = min(q0 + 127, p.nq - 1);
        int last = min(p.nk - 1, lastRow + p.nk - p.nq);
        T = last < 0 ? 0 : last / SAGE_KEY_TILE + 1;
    }

    // Q block (64 rows × D int8) to shared memory once, in the core-matrix layout of the wgmma A operand.
    const long long bhq = (long long)b * p.hq + h;
    {
        const signed char* qBlock = p.q + (bhq * p.padQ + block * 64) * D;
        for (int idx = tid; idx < 64 * D / 16; idx += SAGE_ATT_THREADS)
        {
            int r = idx / (D / 16), c = idx % (D / 16);
            cp_async16(sQ + core_matrix_offset(r, 16 * c, D), qBlock + r * D + 16 * c);
        }
        asm volatile("cp.async.commit_group;\n" ::: "memory");
    }
    int qGroup;
    if (p.granularity == SAGE_GRAN_THREAD) qGroup = (row0 >> 4) * 8 + (row0 & 7);
    else if (p.granularity == SAGE_GRAN_WARP) qGroup = row0 >> 4;
    else qGroup = row0 >> 6;
    // Padded rows past the last group have no scale; their results are discarded.
    const float qScale = qGroup < p.qGroups ? p.q_scale[bhq * p.qGroups + qGroup] : 0.0f;
    const int kGroups = p.granularity == SAGE_GRAN_THREAD ? 4 : 1;

    const long long bhk = (long long)b * p.hkv + hk;
    const signed char* kHead = p.k + bhk * p.padK * D;
    const float* kScaleHead = p.k_scale + bhk * p.tiles * kGroups;
    const unsigned char* vHead = p.v + bhk * D * p.padK;
    // [SMOOTH-QV] ΔS row of this warpgroup's 64-row block (both of a lane's rows are in it); null without SmoothQ.
    const float* deltaSBlock = (SMOOTH && p.smoothQ) ? p.delta_s + (bhq * (p.padQ / 64) + block) * (long long)p.padK : nullptr;

    // Causal: last visible key of each row (bottom-right aligned), else nk - 1. Padding is masked by nk.
    const int last0 = p.causal ? min(p.nk - 1, row0 + p.nk - p.nq) : p.nk - 1;
    const int last1 = p.causal ? min(p.nk - 1, row1 + p.nk - p.nq) : p.nk - 1;

    float accO[NV * 4];
#pragma unroll
    for (int i = 0; i < NV * 4; i++) accO[i] = 0.0f;
    float m0 = __int_as_float(0xff800000), m1 = m0; // running maxima, -inf
    float l0 = 0.0f, l1 = 0.0f;                     // lane partial row sums
    float base0 = 0.0f, base1 = 0.0f;               // base of the last visited tile (LSE)

    // K/V tile kt goes to stage kt % 2 with cp.async; tile kt + 1 is fetched while tile kt is computed.
    auto prefetch = [&](int kt) {
        unsigned char* sV = stages + (kt & 1) * STAGE;
        unsigned char* sK = sV + D * SAGE_KEY_TILE;
        const signed char* kTile = kHead + (long long)kt * SAGE_KEY_TILE * D;
        // K: token rows of D bytes (K-major B operand of the s8 wgmma, N = 128 tokens).
        for (int idx = tid; idx < SAGE_KEY_TILE * D / 16; idx += SAGE_ATT_THREADS)
        {
            int token = idx / (D / 16), c = idx % (D / 16);
            cp_async16(sK + core_matrix_offset(token, 16 * c, D), kTile + token * D + 16 * c);
        }
        // V: channel n, tokens 128kt .. +127 contiguous in global; core-matrix layout in shared memory.
        for (int idx = tid; idx < D * 8; idx += SAGE_ATT_THREADS)
        {
            int n = idx >> 3, c = idx & 7;
            cp_async16(sV + core_matrix_offset(n, 16 * c), vHead + (long long)n * p.padK + (long long)kt * SAGE_KEY_TILE + 16 * c);
        }
        asm volatile("cp.async.commit_group;\n" ::: "memory");
    };
    if (T > 0) prefetch(0);

    for (int kt = 0; kt < T; kt++)
    {
        // Everyone is done with tile kt - 1 (its waited wgmma reads of sK, sV and sP), so its
        // stage can take tile kt + 1.
        __syncthreads();
        if (kt + 1 < T)
        {
            prefetch(kt + 1);
            asm volatile("cp.async.wait_group 1;\n" ::: "memory");
        }
        else asm volatile("cp.async.wait_group 0;\n" ::: "memory");
        // cp.async wrote through the generic proxy; the wgmma reads through the async proxy.
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();
        unsigned char* sV = stages + (kt & 1) * STAGE;
        const unsigned char* sK = sV + D * SAGE_KEY_TILE;

        // §5.1 QKᵀ in int32 (exact): acc[4j + 0..3] = (row0, 8j+2t), (row0, 8j+2t+1), (row1, 8j+2t), (row1, 8j+2t+1).
        int accv[64];
#pragma unroll
        for (int i = 0; i < 64; i++) accv[i] = 0;
        wgmma_fence();
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++)
            wgmma_m64n128k32_s32_s8(accv, smem_descriptor(sQ + 256 * ks, 8 * D), smem_descriptor(sK + 256 * ks, 8 * D));
        wgmma_commit();
        wgmma_wait0();

        // §5.2-5.4 S in log2 units, masked.
        const float kScale = kScaleHead[kt * kGroups + (kGroups == 4 ? t : 0)];
        const float qkScale = __fmul_rn(qScale, kScale);
        float s0[32], s1[32];
        const int k0 = kt * SAGE_KEY_TILE;
        // [SMOOTH-QV] §5.3 with Q smoothing: S = fma(acc, qk_scale, ΔS_b[j]) (masked keys are −∞ all the same).
        if (SMOOTH && deltaSBlock != nullptr)
        {
#pragma unroll
            for (int j = 0; j < 16; j++)
            {
                const float2 ds = *reinterpret_cast<const float2*>(deltaSBlock + k0 + 8 * j + 2 * t);
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int key = k0 + 8 * j + 2 * t + e;
                    float dse = e == 0 ? ds.x : ds.y;
                    float a = __fmaf_rn(sage_small_int_to_float(accv[4 * j + e]), qkScale, dse);
                    float c = __fmaf_rn(sage_small_int_to_float(accv[4 * j + 2 + e]), qkScale, dse);
                    s0[2 * j + e] = key <= last0 ? a : __int_as_float(0xff800000);
                    s1[2 * j + e] = key <= last1 ? c : __int_as_float(0xff800000);
                }
            }
        }
        else if (k0 + SAGE_KEY_TILE - 1 <= min(last0, last1))
        {
            // Every key of the tile is visible to both rows: no mask.
#pragma unroll
            for (int j = 0; j < 16; j++)
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    s0[2 * j + e] = __fmul_rn(sage_small_int_to_float(accv[4 * j + e]), qkScale);
                    s1[2 * j + e] = __fmul_rn(sage_small_int_to_float(accv[4 * j + 2 + e]), qkScale);
                }
        }
        else
        {
#pragma unroll
            for (int j = 0; j < 16; j++)
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int key = k0 + 8 * j + 2 * t + e;
                    float a = __fmul_rn(sage_small_int_to_float(accv[4 * j + e]), qkScale);
                    float c = __fmul_rn(sage_small_int_to_float(accv[4 * j + 2 + e]), qkScale);
                    s0[2 * j + e] = key <= last0 ? a : __int_as_float(0xff800000);
                    s1[2 * j + e] = key <= last1 ? c : __int_as_float(0xff800000);
                }
        }

        // §7 online softmax, both rows.
        float tmax0 = __int_as_float(0xff800000), tmax1 = tmax0;
#pragma unroll
        for (int i = 0; i < 32; i++) { tmax0 = fmaxf(tmax0, s0[i]); tmax1 = fmaxf(tmax1, s1[i]); }
        tmax0 = fmaxf(tmax0, __shfl_xor_sync(0xffffffffu, tmax0, 1));
        tmax1 = fmaxf(tmax1, __shfl_xor_sync(0xffffffffu, tmax1, 1));
        tmax0 = fmaxf(tmax0, __shfl_xor_sync(0xffffffffu, tmax0, 2));
        tmax1 = fmaxf(tmax1, __shfl_xor_sync(0xffffffffu, tmax1, 2));
        const float negInf = __int_as_float(0xff800000);
        const float log2_448 = __int_as_float(0x410CEAED);
        float mNew0 = fmaxf(m0, tmax0), mNew1 = fmaxf(m1, tmax1);
        bool empty0 = mNew0 == negInf, empty1 = mNew1 == negInf;
        float rescale0 = empty0 ? 1.0f : sage_exp2_shifter(__fsub_rn(m0, mNew0));
        float rescale1 = empty1 ? 1.0f : sage_exp2_shifter(__fsub_rn(m1, mNew1));
        base0 = empty0 ? 0.0f : __fsub_rn(mNew0, log2_448);
        base1 = empty1 ? 0.0f : __fsub_rn(mNew1, log2_448);
        float sum0 = 0.0f, sum1 = 0.0f;
        const int prow0 = warp * 16 + g, prow1 = prow0 + 8; // rows within the 64-row block
#pragma unroll
        for (int j = 0; j < 16; j++)
        {
            float pa = sage_exp2_shifter(__fsub_rn(s0[2 * j], base0));
            float pb = sage_exp2_shifter(__fsub_rn(s0[2 * j + 1], base0));
            float pc = sage_exp2_shifter(__fsub_rn(s1[2 * j], base1));
            float pd = sage_exp2_shifter(__fsub_rn(s1[2 * j + 1], base1));
            sum0 = __fadd_rn(__fadd_rn(sum0, pa), pb);
            sum1 = __fadd_rn(__fadd_rn(sum1, pc), pd);
            *reinterpret_cast<unsigned short*>(sP + core_matrix_offset(prow0, 8 * j + 2 * t)) = e4m3x2(pa, pb);
            *reinterpret_cast<unsigned short*>(sP + core_matrix_offset(prow1, 8 * j + 2 * t)) = e4m3x2(pc, pd);
        }
        l0 = __fmaf_rn(l0, rescale0, sum0);
        l1 = __fmaf_rn(l1, rescale1, sum1);
        m0 = mNew0;
        m1 = mNew1;

        // Generic-proxy stores of p8 must be visible to the async proxy (wgmma) of every warp.
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();

        // §8 PV.
        if constexpr (MODE == SAGE_MODE_FP32)
        {
#pragma unroll
            for (int i = 0; i < NV * 4; i++) accO[i] = __fmul_rn(accO[i], (i & 2) ? rescale1 : rescale0);
            wgmma_fence();
#pragma unroll
            for (int s = 0; s < 4; s++)
                PvOps<D>::f32(accO, smem_descriptor(sP + 256 * s), smem_descriptor(sV + 256 * s));
            wgmma_commit();
            wgmma_wait0();
        }
        else if constexpr (MODE == SAGE_MODE_FP32_TWO_LEVEL)
        {
            float blk[NV * 4];
#pragma unroll
            for (int i = 0; i < NV * 4; i++) blk[i] = 0.0f;
            wgmma_fence();
#pragma unroll
            for (int s = 0; s < 4; s++)
                PvOps<D>::f32(blk, smem_descriptor(sP + 256 * s), smem_descriptor(sV + 256 * s));
            wgmma_commit();
            wgmma_wait0();
#pragma unroll
            for (int i = 0; i < NV * 4; i++) accO[i] = __fmaf_rn(accO[i], (i & 2) ? rescale1 : rescale0, blk[i]);
        }
        else
        {
            unsigned int h0[NV * 2], h1[NV * 2];
#pragma unroll
            for (int i = 0; i < NV * 2; i++) { h0[i] = 0u; h1[i] = 0u; }
            wgmma_fence();
            PvOps<D>::f16(h0, smem_descriptor(sP), smem_descriptor(sV));
            PvOps<D>::f16(h0, smem_descriptor(sP + 256), smem_descriptor(sV + 256));
            PvOps<D>::f16(h1, smem_descriptor(sP + 512), smem_descriptor(sV + 512));
            PvOps<D>::f16(h1, smem_descriptor(sP + 768), smem_descriptor(sV + 768));
            wgmma_commit();
            wgmma_wait0();
            // f16 register i of the D fragment: n8 group i/2, row g (i even) or g + 8 (i odd); low half = column
            // 8(i/2) + 2t, high half = + 1. The f32 fragment index of the same element is 4(i/2) + 2(i odd) + e.
#pragma unroll
            for (int i = 0; i < NV * 2; i++)
            {
                float rs = (i & 1) ? rescale1 : rescale0;
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int f = 4 * (i >> 1) + 2 * (i & 1) + e;
                    float a = f16_to_f32((unsigned short)(h0[i] >> (16 * e)));
                    float c = f16_to_f32((unsigned short)(h1[i] >> (16 * e)));
                    accO[f] = __fadd_rn(__fmaf_rn(accO[f], rs, a), c);
                }
            }
        }
    }

    asm volatile("cp.async.wait_all;\n" ::: "memory"); // T = 0: the Q copy is still in flight

    // §9 epilogue.
    float l0x = __fadd_rn(l0, __shfl_xor_sync(0xffffffffu, l0, 1));
    float l1x = __fadd_rn(l1, __shfl_xor_sync(0xffffffffu, l1, 1));
    float lsum0 = __fadd_rn(l0x, __shfl_xor_sync(0xffffffffu, l0x, 2));
    float lsum1 = __fadd_rn(l1x, __shfl_xor_sync(0xffffffffu, l1x, 2));
    const float* vScale = p.v_scale + bhk * D;
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        int row = r == 0 ? row0 : row1;
        if (row >= p.nq) continue;
        float l = r == 0 ? lsum0 : lsum1;
        long long outBase = (long long)b * p.out_strides[0] + (long long)h * p.out_strides[1] + (long long)row * p.out_strides[2];
#pragma unroll
        for (int i = 0; i < NV; i++)
        {
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                int c = 8 * i + 2 * t + e;
                float o = l == 0.0f ? 0.0f : __fmul_rn(__fdiv_rn(accO[4 * i + 2 * r + e], l), vScale[c]);
                // [SMOOTH-QV] §9.4: the V mean back, one add after the multiply, only for rows that saw a key.
                if (SMOOTH && p.smoothV && l != 0.0f) o = __fadd_rn(o, p.v_mean[bhk * D + c]);
                store_out(p.out, p.outType, outBase + c, o);
            }
        }
        if (p.lse != nullptr && t == 0)
        {
            float value;
            if (l == 0.0f) value = __int_as_float(0xff800000);
            else
            {
                float base = r == 0 ? base0 : base1;
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

// Flat parameter list (the launcher checks it against cuFuncGetParamInfo); ElementType and QuantGranularity
// values are the C# enums' (Float16 0, BFloat16 1, Float32 2; PerBlock 0, PerWarp 1, PerThread 2).
#define SAGE_ATTENTION_KERNEL(NAME, D, MODE, SMOOTH)                                                                    \
    extern "C" __global__ void __launch_bounds__(SAGE_ATT_THREADS) NAME(                                               \
        const signed char* q, const float* qScale, const signed char* k, const float* kScale, const unsigned char* v,  \
        const float* vScale, const float* kMean, const float* deltaS, const float* vMean, const void* qOrig, void* out, \
        float* lse, long long qob, long long qoh, long long qot, long long ob, long long oh, long long ot, int batch,   \
        int hq, int hkv, int nq, int nk, int padQ, int padK, int tiles, int qGroups, int granularity, int causal,        \
        int smoothK, int smoothQ, int smoothV, int outType, int qOrigType, double smScale)                              \
    {                                                                                                                  \
        AttentionParams p;                                                                                             \
        p.q = q; p.q_scale = qScale; p.k = k; p.k_scale = kScale; p.v = v; p.v_scale = vScale; p.k_mean = kMean;      \
        p.delta_s = deltaS; p.v_mean = vMean;                                                                          \
        p.q_orig = qOrig; p.out = out; p.lse = lse;                                                                    \
        p.q_orig_strides[0] = qob; p.q_orig_strides[1] = qoh; p.q_orig_strides[2] = qot;                               \
        p.out_strides[0] = ob; p.out_strides[1] = oh; p.out_strides[2] = ot;                                           \
        p.batch = batch; p.hq = hq; p.hkv = hkv; p.nq = nq; p.nk = nk; p.padQ = padQ; p.padK = padK; p.tiles = tiles;  \
        p.qGroups = qGroups; p.granularity = granularity; p.causal = causal; p.smoothK = smoothK;                      \
        p.smoothQ = smoothQ; p.smoothV = smoothV; p.outType = outType;                                                 \
        p.qOrigType = qOrigType; p.smScale = smScale;                                                                  \
        attention_block<D, MODE, SMOOTH>(p);                                                                           \
    }

SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32, 64, SAGE_MODE_FP32, false)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level, 64, SAGE_MODE_FP32_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level, 64, SAGE_MODE_FP16_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32, 128, SAGE_MODE_FP32, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level, 128, SAGE_MODE_FP32_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level, 128, SAGE_MODE_FP16_TWO_LEVEL, false)
// [SMOOTH-QV] the same kernels with the Q/V smoothing hooks compiled in (chosen by the host when SmoothQ or SmoothV).
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_smooth, 64, SAGE_MODE_FP32, true)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level_smooth, 64, SAGE_MODE_FP32_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level_smooth, 64, SAGE_MODE_FP16_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_smooth, 128, SAGE_MODE_FP32, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level_smooth, 128, SAGE_MODE_FP32_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level_smooth, 128, SAGE_MODE_FP16_TWO_LEVEL, true)
