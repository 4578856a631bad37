// Records what the GPU's PTX conversions return for EVERY 32-bit input, compactly, so the C# models in
// Sage.Numerics can be checked bit for bit against the hardware without a GPU (see GpuRecordTests.cs).
//
// For each conversion and each block of 2^20 consecutive inputs u (u = float bits, or int bits for the
// int→float conversions) it stores S = Σ splitmix64(((u64)u << 32) | output) mod 2^64. The sum is order-free
// (so the GPU may reduce in any order) and any single changed output changes S (splitmix64 is a bijection).
// Output: hashes.bin = 8 conversions × 4096 blocks × u64 (little endian), small.bin = exhaustive 16-bit-input
// tables, and human-readable edge values on stdout.
//
// Build/run on the device machine: nvcc -O2 -arch=sm_90 -o cvt_probe cvt_probe.cu && ./cvt_probe OUTDIR
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <vector>

__host__ __device__ inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

constexpr int kConversions = 8;
constexpr int kBlocks = 4096;        // 2^32 / 2^20
constexpr int kThreads = 256;
constexpr int kPerCudaBlock = 1 << 16;

__device__ inline uint32_t convert(int which, uint32_t u) {
    float x = __uint_as_float(u);
    int i = (int)u;
    switch (which) {
    case 0: { unsigned short d; float nx = -x;  // a = x → upper byte, b = −x → lower byte
              asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(d) : "f"(x), "f"(nx)); return d; }
    case 1: { unsigned short d; float nx = -x;
              asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(d) : "f"(x), "f"(nx)); return d; }
    case 2: { unsigned short d; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(d) : "f"(x)); return d; }
    case 3: { unsigned short d; asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(d) : "f"(x)); return d; }
    case 4: { int d; asm("cvt.rni.sat.s8.f32 %0, %1;" : "=r"(d) : "f"(x)); return (uint32_t)d & 0xFFu; }
    case 5: { int d; asm("cvt.rzi.s32.f32 %0, %1;" : "=r"(d) : "f"(x)); return (uint32_t)d; }
    case 6: { float d; asm("cvt.rn.f32.s32 %0, %1;" : "=f"(d) : "r"(i)); return __float_as_uint(d); }
    default: { float d; asm("cvt.rz.f32.s32 %0, %1;" : "=f"(d) : "r"(i)); return __float_as_uint(d); }
    }
}

__global__ void hashAll(unsigned long long* sums) {
    __shared__ unsigned long long partial[kConversions][kThreads];
    uint64_t acc[kConversions] = {};
    uint32_t base = (uint32_t)blockIdx.x * kPerCudaBlock;
    for (int k = threadIdx.x; k < kPerCudaBlock; k += kThreads) {
        uint32_t u = base + (uint32_t)k;
        #pragma unroll
        for (int c = 0; c < kConversions; c++)
            acc[c] += splitmix64(((uint64_t)u << 32) | convert(c, u));
    }
    for (int c = 0; c < kConversions; c++) partial[c][threadIdx.x] = acc[c];
    __syncthreads();
    if (threadIdx.x < kConversions) {
        unsigned long long s = 0;
        for (int t = 0; t < kThreads; t++) s += partial[threadIdx.x][t];
        atomicAdd(&sums[threadIdx.x * kBlocks + (base >> 20)], s);
    }
}

__global__ void small(uint32_t* out) {
    uint32_t v = blockIdx.x * blockDim.x + threadIdx.x;
    if (v >= 65536) return;
    unsigned short h = (unsigned short)v;
    float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    uint32_t e4, e5;
    asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(e4) : "h"(h));
    asm("cvt.rn.f16x2.e5m2x2 %0, %1;" : "=r"(e5) : "h"(h));
    out[v] = __float_as_uint(f);
    out[65536 + v] = e4;
    out[2 * 65536 + v] = e5;
}

__global__ void edges(const float* a, const float* b, int n, uint32_t* out) {
    int k = threadIdx.x;
    if (k >= n) return;
    unsigned short d4, d5, h16, b16; uint32_t h2, b2;
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(d4) : "f"(a[k]), "f"(b[k]));
    asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(d5) : "f"(a[k]), "f"(b[k]));
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h16) : "f"(a[k]));
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(b16) : "f"(a[k]));
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(h2) : "f"(a[k]), "f"(b[k]));
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(b2) : "f"(a[k]), "f"(b[k]));
    out[k * 6 + 0] = d4; out[k * 6 + 1] = d5; out[k * 6 + 2] = h16; out[k * 6 + 3] = b16;
    out[k * 6 + 4] = h2; out[k * 6 + 5] = b2;
}

#define CHECK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

int main(int argc, char** argv) {
    const char* dir = argc > 1 ? argv[1] : ".";
    unsigned long long* sums;
    CHECK(cudaMalloc(&sums, sizeof(unsigned long long) * kConversions * kBlocks));
    CHECK(cudaMemset(sums, 0, sizeof(unsigned long long) * kConversions * kBlocks));
    cudaEvent_t t0, t1; cudaEventCreate(&t0); cudaEventCreate(&t1);
    cudaEventRecord(t0);
    hashAll<<<65536, kThreads>>>(sums);
    cudaEventRecord(t1);
    CHECK(cudaDeviceSynchronize());
    float ms; cudaEventElapsedTime(&ms, t0, t1);
    printf("hashAll over 2^32 inputs x %d conversions: %.1f ms\n", kConversions, ms);
    std::vector<unsigned long long> host(kConversions * kBlocks);
    CHECK(cudaMemcpy(host.data(), sums, host.size() * 8, cudaMemcpyDeviceToHost));
    char path[1024];
    snprintf(path, sizeof path, "%s/hashes.bin", dir);
    FILE* f = fopen(path, "wb"); fwrite(host.data(), 8, host.size(), f); fclose(f);

    uint32_t* smallOut; CHECK(cudaMalloc(&smallOut, 3 * 65536 * 4));
    small<<<256, 256>>>(smallOut);
    CHECK(cudaDeviceSynchronize());
    std::vector<uint32_t> s(3 * 65536);
    CHECK(cudaMemcpy(s.data(), smallOut, s.size() * 4, cudaMemcpyDeviceToHost));
    snprintf(path, sizeof path, "%s/small.bin", dir);
    f = fopen(path, "wb"); fwrite(s.data(), 4, s.size(), f); fclose(f);

    const uint32_t bitsA[] = { 0x3F800000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7F800000u, 0xFF800000u,
                               0x43E80000u /*464*/, 0x43E80001u, 0x47700000u /*61440*/, 0x80000000u, 0x3A800000u /*2^-10*/,
                               0x7FFFFFFFu, 0xFFFFFFFFu, 0x477FE000u /*65504*/, 0x477FF000u /*65520*/ };
    const int n = sizeof bitsA / 4;
    float ha[n], hb[n];
    for (int k = 0; k < n; k++) { memcpy(&ha[k], &bitsA[k], 4); hb[k] = 2.0f; }
    float *da, *db; uint32_t* dout;
    CHECK(cudaMalloc(&da, n * 4)); CHECK(cudaMalloc(&db, n * 4)); CHECK(cudaMalloc(&dout, n * 6 * 4));
    CHECK(cudaMemcpy(da, ha, n * 4, cudaMemcpyHostToDevice)); CHECK(cudaMemcpy(db, hb, n * 4, cudaMemcpyHostToDevice));
    edges<<<1, 32>>>(da, db, n, dout);
    CHECK(cudaDeviceSynchronize());
    uint32_t o[n * 6]; CHECK(cudaMemcpy(o, dout, sizeof o, cudaMemcpyDeviceToHost));
    printf("a(bits)    b=2.0 | e4m3x2(a,b) e5m2x2(a,b) f16(a) bf16(a) f16x2(a,b) bf16x2(a,b)\n");
    for (int k = 0; k < n; k++)
        printf("0x%08X       | 0x%04X      0x%04X      0x%04X 0x%04X  0x%08X 0x%08X\n",
               bitsA[k], o[k * 6], o[k * 6 + 1], o[k * 6 + 2], o[k * 6 + 3], o[k * 6 + 4], o[k * 6 + 5]);
    return 0;
}
