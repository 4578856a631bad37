// Session 32 probe: how fast can a FEW SMs stream the pre-processing's bytes when each holds a deep ring of bulk copies?
//
// Question behind it (docs/results/gpu-run-session32-2026-11-27.md): at 2K causal the pre-processing (0.178 ms) and the
// main loop (0.183 ms) run one after the other. Today's pre-processing kernels are load-latency bound at about 27 GB/s
// per SM (sessions 21, 24), so they need every SM. A producer that keeps a ring of cp.async.bulk copies in flight needs
// no registers for loads in flight; if P such SMs reach most of the DRAM bandwidth, the pre-processing could run on P
// dedicated SMs BESIDE a main loop that keeps three CTAs on each of the other 132 - P SMs.
//
// Work per 16 KiB chunk (64 rows x 128 fp16, one Q block or a K half-tile): the pre-processing's INT8 quantisation
// pattern per row (widen, |max| over the row, scale = amax / 127, reciprocal, the division-free code of
// quantize_codes.cuh: mul, add, two subs, one predicate; bytes packed), 8 KiB of codes written. QUANT = 0 copies the
// chunk back instead (16 KiB written), to separate the memory side from the arithmetic.
//
// Kernels:
//   ring<STAGES, WARPS, QUANT>: QUANT 0 copy, 1 the plain consumer, 2 the lean one (emit_lean, a scale per row), 3 the
//     lean one with each warpgroup on a chunk of its own and a scale per 16 rows; persistent, P CTAs, one per SM (dynamic shared memory > half an SM), a producer warp
//     whose lane 0 issues cp.async.bulk (global -> shared, mbarrier complete_tx) into STAGES stages, and WARPS consumer
//     warps that copy a stage to registers, release it (empty mbarrier), then compute and store.
//   percta<QUANT>: today's shape, one chunk per CTA of 256 threads, 16-byte __ldg loads, on every SM.
//   hog: one CTA per SM with > half an SM of shared memory, FFMA chains for a fixed number of cycles: stands in for
//     a main loop holding the other SMs (it moves no bytes).
// Not part of the library: nothing here is bit-checked; it measures time only.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        cudaError_t e_ = (x);                                                                                          \
        if (e_ != cudaSuccess) { fprintf(stderr, "%s failed: %s (%s:%d)\n", #x, cudaGetErrorString(e_), __FILE__, __LINE__); exit(1); } \
    } while (0)

constexpr int CHUNK = 16384;       // bytes per chunk: 64 rows x 128 fp16
constexpr int PIECES = CHUNK / 16; // 16-byte pieces per chunk
constexpr float SHIFTER = 12582912.0f;

__device__ __forceinline__ unsigned smem_addr(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(unsigned long long* b, unsigned count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(b)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(unsigned long long* b, unsigned bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(b)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned long long* b)
{
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(b)) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned long long* b, unsigned parity)
{
    asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n}\n" ::"r"(smem_addr(b)), "r"(parity) : "memory");
}
__device__ __forceinline__ void bulk_load(void* dst, const void* src, unsigned bytes, unsigned long long* bar)
{
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
                 ::"r"(smem_addr(dst)), "l"(src), "r"(bytes), "r"(smem_addr(bar)) : "memory");
}

__device__ __forceinline__ float widen(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// One 16-byte piece (8 fp16 of one row) -> 8 INT8 codes, the row's scale shared by the 16 lanes that hold the row
// (a warp's 32 consecutive pieces are two whole rows). Returns the codes as two words; `refused` as quantize_codes.cuh.
__device__ __forceinline__ uint2 quantize_piece(uint4 v, bool& refused)
{
    const unsigned w[4] = { v.x, v.y, v.z, v.w };
    float x[8];
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        x[2 * i] = widen((unsigned short)(w[i] & 0xFFFFu));
        x[2 * i + 1] = widen((unsigned short)(w[i] >> 16));
    }
    float amax = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; i++) amax = fmaxf(amax, fabsf(x[i]));
#pragma unroll
    for (int o = 1; o < 16; o <<= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    const float scale = __fdiv_rn(amax, 127.0f);
    const float r = __frcp_rn(scale);
    unsigned b[8];
#pragma unroll
    for (int i = 0; i < 8; i++)
    {
        const float y = __fmul_rn(x[i], r);
        const float s = __fadd_rn(y, SHIFTER);
        const float f = __fsub_rn(y, __fsub_rn(s, SHIFTER));
        refused = refused | !(fabsf(f) < 0.49993896484375f);
        b[i] = __float_as_uint(s);
    }
    uint2 out;
    out.x = __byte_perm(__byte_perm(b[0], b[1], 0x0040), __byte_perm(b[2], b[3], 0x0040), 0x5410);
    out.y = __byte_perm(__byte_perm(b[4], b[5], 0x0040), __byte_perm(b[6], b[7], 0x0040), 0x5410);
    return out;
}

template <bool QUANT>
__device__ __forceinline__ void emit(uint4 v, int chunk, int piece, unsigned char* __restrict__ out, unsigned& refusedCount)
{
    if constexpr (QUANT)
    {
        bool refused = false;
        const uint2 codes = quantize_piece(v, refused);
        *reinterpret_cast<uint2*>(out + (size_t)chunk * (CHUNK / 2) + (size_t)piece * 8) = codes;
        refusedCount += refused ? 1u : 0u; // keeps the check alive; one atomic per thread at the end
    }
    else
        *reinterpret_cast<uint4*>(out + (size_t)chunk * CHUNK + (size_t)piece * 16) = v;
}

// The lean consumer: LANES threads per row, each 128 / LANES fp16 of one row (PIECES_PER pieces of 16 bytes, read in a
// rotated order so that a warp's shared-memory reads spread over the banks). |max| on the packed halves' bits (positive
// fp16 order as their bit patterns), one division and one reciprocal per row, then per element: widen, fma(x, r, SHIFTER),
// the exact n = s - SHIFTER, f = fma(x, r, -n), one test: about 6 instructions an element instead of about 20.
template <int LANES>
__device__ __forceinline__ void emit_lean(const uint4* tile, int tid, int chunk, unsigned char* __restrict__ out, unsigned& refusedCount)
{
    constexpr int PIECES_PER = 16 / LANES;
    const int row = tid / LANES, q = tid % LANES;
    uint4 v[PIECES_PER];
    int col[PIECES_PER];
#pragma unroll
    for (int j = 0; j < PIECES_PER; j++)
    {
        // Rotated by q and, with 8 pieces a thread (LANES = 2), by the row too: the 8 lanes of a quarter-warp phase then
        // read 8 distinct 16-byte bank groups (2 threads a row: rows r..r+3 take rotations 2r + q, all different).
        col[j] = q * PIECES_PER + (j + q + (PIECES_PER == 8 ? 2 * row : 0)) % PIECES_PER;
        v[j] = tile[row * 16 + col[j]];
    }
    unsigned m = 0;
#pragma unroll
    for (int j = 0; j < PIECES_PER; j++)
        m = __vmaxu2(m, __vmaxu2(__vmaxu2(v[j].x & 0x7FFF7FFFu, v[j].y & 0x7FFF7FFFu), __vmaxu2(v[j].z & 0x7FFF7FFFu, v[j].w & 0x7FFF7FFFu)));
    m = max(m & 0xFFFFu, m >> 16);
    // The scale's group: the row (LANES = 4, 8), or with LANES = 2 the warp's 16 rows, as a K tile's per-thread group
    // of 32 rows shares one scale (quantisation groups span several rows in every granularity of §3).
#pragma unroll
    for (int o = 1; o < (LANES == 2 ? 32 : LANES); o <<= 1) m = max(m, __shfl_xor_sync(0xffffffffu, m, o));
    const float scale = __fdiv_rn(widen((unsigned short)m), 127.0f);
    const float r = __frcp_rn(scale);
    bool refused = false;
#pragma unroll
    for (int j = 0; j < PIECES_PER; j++)
    {
        const unsigned w[4] = { v[j].x, v[j].y, v[j].z, v[j].w };
        unsigned b[8];
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            const float x = widen((unsigned short)(i & 1 ? w[i / 2] >> 16 : w[i / 2] & 0xFFFFu));
            const float s = __fmaf_rn(x, r, SHIFTER);
            const float f = __fmaf_rn(x, r, -__fsub_rn(s, SHIFTER));
            refused = refused | !(fabsf(f) < 0.49993896484375f);
            b[i] = __float_as_uint(s);
        }
        uint2 codes;
        codes.x = __byte_perm(__byte_perm(b[0], b[1], 0x0040), __byte_perm(b[2], b[3], 0x0040), 0x5410);
        codes.y = __byte_perm(__byte_perm(b[4], b[5], 0x0040), __byte_perm(b[6], b[7], 0x0040), 0x5410);
        *reinterpret_cast<uint2*>(out + (size_t)chunk * (CHUNK / 2) + (size_t)(row * 16 + col[j]) * 8) = codes;
    }
    refusedCount += refused ? 1u : 0u;
}

template <int STAGES, int WARPS, int QUANT>
__global__ void __launch_bounds__(32 * (WARPS + 1), 1)
    ring(const unsigned char* __restrict__ in, unsigned char* __restrict__ out, unsigned* __restrict__ sink, int chunks)
{
    extern __shared__ __align__(128) unsigned char smem[];
    unsigned long long* full = reinterpret_cast<unsigned long long*>(smem + STAGES * CHUNK);
    unsigned long long* empty = full + STAGES;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    if (tid == 0)
    {
        for (int s = 0; s < STAGES; s++)
        {
            mbar_init(full + s, 1);
            mbar_init(empty + s, QUANT == 3 ? 4 : WARPS); // QUANT 3: one warpgroup releases a stage
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();
    if (warp == WARPS)
    {
        if (lane == 0)
        {
            int k = 0;
            for (int c = blockIdx.x; c < chunks; c += gridDim.x, k++)
            {
                const int s = k % STAGES;
                const unsigned ph = (unsigned)(k / STAGES) & 1u;
                if (k >= STAGES) mbar_wait(empty + s, ph ^ 1u);
                mbar_expect_tx(full + s, CHUNK);
                bulk_load(smem + s * CHUNK, in + (size_t)c * CHUNK, CHUNK, full + s);
            }
        }
        return;
    }
    constexpr int PER_THREAD = PIECES / (32 * WARPS);
    unsigned refusedCount = 0;
    if constexpr (QUANT == 3)
    {
        // Each warpgroup takes every G-th chunk on its own (G = WARPS / 4 chunks in work at once per SM, each a chain
        // of its own): 2 threads per row, 8 pieces each.
        constexpr int G = WARPS / 4;
        const int wg = warp >> 2;
        for (int k = wg, c = blockIdx.x + wg * gridDim.x; c < chunks; k += G, c += G * gridDim.x)
        {
            const int s = k % STAGES;
            mbar_wait(full + s, (unsigned)(k / STAGES) & 1u);
            emit_lean<2>(reinterpret_cast<const uint4*>(smem + s * CHUNK), tid & 127, c, out, refusedCount);
            __syncwarp();
            if (lane == 0) mbar_arrive(empty + s);
        }
        if (refusedCount) atomicAdd(sink, refusedCount);
        return;
    }
    int k = 0;
    for (int c = blockIdx.x; c < chunks; c += gridDim.x, k++)
    {
        const int s = k % STAGES;
        const unsigned ph = (unsigned)(k / STAGES) & 1u;
        mbar_wait(full + s, ph);
        const uint4* tile = reinterpret_cast<const uint4*>(smem + s * CHUNK);
        if constexpr (QUANT == 2)
        {
            emit_lean<(32 * WARPS) / 64>(tile, tid, c, out, refusedCount);
            __syncwarp();
            if (lane == 0) mbar_arrive(empty + s);
            continue;
        }
        uint4 v[PER_THREAD];
#pragma unroll
        for (int j = 0; j < PER_THREAD; j++) v[j] = tile[tid + 32 * WARPS * j];
        __syncwarp();
        if (lane == 0) mbar_arrive(empty + s); // the stage may refill while this warp computes
#pragma unroll
        for (int j = 0; j < PER_THREAD; j++) emit<QUANT == 1>(v[j], c, tid + 32 * WARPS * j, out, refusedCount);
    }
    if (refusedCount) atomicAdd(sink, refusedCount);
}

template <bool QUANT>
__global__ void __launch_bounds__(256) percta(const unsigned char* __restrict__ in, unsigned char* __restrict__ out, unsigned* __restrict__ sink)
{
    const int c = blockIdx.x, tid = threadIdx.x;
    const uint4* src = reinterpret_cast<const uint4*>(in + (size_t)c * CHUNK);
    uint4 v[4];
#pragma unroll
    for (int j = 0; j < 4; j++) v[j] = __ldg(src + tid + 256 * j);
    unsigned refusedCount = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) emit<QUANT>(v[j], c, tid + 256 * j, out, refusedCount);
    if (refusedCount) atomicAdd(sink, refusedCount);
}

__global__ void __launch_bounds__(128, 1) hog(float* sink, long long cycles)
{
    extern __shared__ unsigned char hogSmem[];
    float a = threadIdx.x * 1e-3f, b = 1.0000001f;
    const long long start = clock64();
    while (clock64() - start < cycles)
    {
#pragma unroll 64
        for (int i = 0; i < 256; i++) a = fmaf(a, b, 1e-7f);
    }
    if (a == 12345.0f) sink[0] = a + hogSmem[threadIdx.x]; // never: keeps the chain
}

struct Timer
{
    cudaEvent_t a, b;
    Timer() { CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b)); }
};

template <class Launch>
static float median_ms(cudaStream_t st, Launch launch, int reps = 15)
{
    Timer t;
    launch();
    CHECK(cudaStreamSynchronize(st));
    std::vector<float> ms;
    for (int i = 0; i < reps; i++)
    {
        CHECK(cudaEventRecord(t.a, st));
        launch();
        CHECK(cudaEventRecord(t.b, st));
        CHECK(cudaEventSynchronize(t.b));
        float x;
        CHECK(cudaEventElapsedTime(&x, t.a, t.b));
        ms.push_back(x);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

int main()
{
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    const int sms = prop.multiProcessorCount;
    printf("device %s, %d SMs, L2 %d MB\n", prop.name, sms, prop.l2CacheSize >> 20);
    const int chunks = 4096; // 64 MiB of fp16: one of Q, K, V at B=4, H=32, N=2048, d=128
    const size_t inBytes = (size_t)chunks * CHUNK;
    unsigned char *in, *out;
    unsigned* sink;
    float* fsink;
    CHECK(cudaMalloc(&in, inBytes));
    CHECK(cudaMalloc(&out, inBytes));
    CHECK(cudaMalloc(&sink, 4));
    CHECK(cudaMalloc(&fsink, 4));
    {
        std::vector<unsigned short> h(inBytes / 2);
        unsigned x = 12345;
        for (auto& v : h) { x = x * 1664525u + 1013904223u; v = (unsigned short)(0x3000 + ((x >> 8) & 0x0FFF) + ((x >> 20) & 1) * 0x8000); }
        CHECK(cudaMemcpy(in, h.data(), inBytes, cudaMemcpyHostToDevice));
    }
    cudaStream_t s1, s2;
    CHECK(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking));
    CHECK(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking));
    const int forceOne = 120 * 1024; // > half of an SM's 228 KB: one such CTA per SM

    float copyMs = median_ms(s1, [&] { CHECK(cudaMemcpyAsync(out, in, inBytes, cudaMemcpyDeviceToDevice, s1)); });
    printf("\ncudaMemcpy D2D 64 MiB: %.4f ms, %.0f GB/s (read + write)\n", copyMs, 2.0 * inBytes / copyMs / 1e6);
    for (int q = 0; q < 2; q++)
    {
        float ms = median_ms(s1, [&] {
            if (q) percta<true><<<chunks, 256, 0, s1>>>(in, out, sink);
            else percta<false><<<chunks, 256, 0, s1>>>(in, out, sink);
        });
        const double bytes = inBytes + (q ? inBytes / 2 : inBytes);
        printf("percta quant=%d (one chunk per CTA, every SM; the plain consumer): %.4f ms, %.0f GB/s\n", q, ms, bytes / ms / 1e6);
    }

    printf("\n| kernel | stages | consumer warps | quant | SMs | hog on the rest | ms | GB/s | GB/s per SM |\n|---|---|---|---|---|---|---|---|---|\n");
    auto run = [&](auto kernel, int stages, int warps, int quant, int P, bool withHog) {
        const int smem = std::max(stages * CHUNK + 2 * stages * 8, forceOne);
        CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
        CHECK(cudaFuncSetAttribute(hog, cudaFuncAttributeMaxDynamicSharedMemorySize, forceOne));
        float ms = median_ms(s1, [&] {
            kernel<<<P, 32 * (warps + 1), smem, s1>>>(in, out, sink, chunks);
            if (withHog && P < sms) hog<<<sms - P, 128, forceOne, s2>>>(fsink, 4000000LL); // ≈ 2 ms at 1.98 GHz
        });
        if (withHog) CHECK(cudaStreamSynchronize(s2));
        const double bytes = inBytes + (quant ? inBytes / 2 : inBytes);
        printf("| ring | %d | %d | %d | %d | %s | %.4f | %.0f | %.1f |\n", stages, warps, quant, P, withHog ? "yes" : "no", ms,
               bytes / ms / 1e6, bytes / ms / 1e6 / P);
    };
    const int Ps[] = { 8, 16, 24, 32, 40, 48, 66, 132 };
    for (int P : Ps) run(ring<8, 8, 1>, 8, 8, 1, P, false);
    for (int P : Ps) run(ring<8, 8, 0>, 8, 8, 0, P, false);
    for (int P : Ps) run(ring<12, 16, 1>, 12, 16, 1, P, false);
    for (int P : Ps) run(ring<8, 8, 2>, 8, 8, 2, P, false);
    for (int P : Ps) run(ring<12, 16, 2>, 12, 16, 2, P, false);
    for (int P : { 24, 32, 40, 48 }) run(ring<12, 16, 2>, 12, 16, 2, P, true);
    for (int P : Ps) run(ring<12, 16, 3>, 12, 16, 3, P, false);
    for (int P : Ps) run(ring<8, 8, 3>, 8, 8, 3, P, false);
    for (int P : { 24, 32, 40, 48 }) run(ring<12, 16, 3>, 12, 16, 3, P, true);
    unsigned refused = 0;
    CHECK(cudaMemcpy(&refused, sink, 4, cudaMemcpyDeviceToHost));
    printf("\n(refused codes counted: %u)\n", refused);
    CHECK(cudaDeviceSynchronize());
    cudaFree(in); cudaFree(out); cudaFree(sink); cudaFree(fsink);
    return 0;
}
