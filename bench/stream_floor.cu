// The memory floor of the pre-processing's bytes (session 41): what DRAM rate plain streaming kernels reach on this card
// for the pre-processing's mix at 2K d = 128, B = 4, H = 32 (read Q, K, V in FP16, 201 MB; write their 8-bit codes, 100
// MB: two bytes read per byte written), beside read-only and 1:1 copies and cudaMemcpy. Nothing of the library's: plain
// 16-byte vector loads (U per thread in flight), the codes a byte permute of the loaded bits. On the GPU machine:
//   nvcc -O3 -arch=sm_90a -std=c++17 -o /tmp/stream_floor bench/stream_floor.cu && /tmp/stream_floor
// Results: docs/results/gpu-run-session41-2026-11-27.md.
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

__device__ __forceinline__ uint4 ld_nc(const uint4* p)
{
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}
__device__ __forceinline__ uint4 ld_plain(const uint4* p) { return *p; }
__device__ __forceinline__ void st_cs(uint4* p, uint4 v)
{
    asm volatile("st.global.cs.v4.u32 [%0], {%1,%2,%3,%4};" :: "l"(p), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w) : "memory");
}
__device__ __forceinline__ void st_plain(uint4* p, uint4 v) { *p = v; }

__device__ __forceinline__ unsigned lowbytes(unsigned a, unsigned b) { return __byte_perm(a, b, 0x6420); }

// The U vectors in[base + u·blockDim.x] of this thread, all loads issued before any use; zeros past n.
template <int U, bool NC>
__device__ __forceinline__ void load_vectors(const uint4* __restrict__ in, long long base, long long n, uint4 (&v)[U])
{
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        long long i = base + (long long)u * blockDim.x;
        v[u] = i < n ? (NC ? ld_nc(in + i) : ld_plain(in + i)) : make_uint4(0, 0, 0, 0);
    }
}

// Read-only: each thread U vectors in flight.
template <int U, bool NC>
__global__ void k_read(const uint4* __restrict__ in, long long n, unsigned* sink)
{
    long long base = ((long long)blockIdx.x * blockDim.x) * U + threadIdx.x;
    unsigned acc = 0;
    uint4 v[U];
    load_vectors<U, NC>(in, base, n, v);
#pragma unroll
    for (int u = 0; u < U; u++) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
    if (acc == 0x12345678u) sink[0] = acc;
}

// 2:1: read 2 vectors (16 halves), write 1 vector (16 low bytes).
template <int U, bool NC, bool CS>
__global__ void k_r2w1(const uint4* __restrict__ in, uint4* __restrict__ out, long long nOut)
{
    long long base = ((long long)blockIdx.x * blockDim.x) * U + threadIdx.x;
    uint4 a[U], b[U];
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        long long i = base + (long long)u * blockDim.x;
        if (i < nOut)
        {
            a[u] = NC ? ld_nc(in + 2 * i) : ld_plain(in + 2 * i);
            b[u] = NC ? ld_nc(in + 2 * i + 1) : ld_plain(in + 2 * i + 1);
        }
    }
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        long long i = base + (long long)u * blockDim.x;
        if (i < nOut)
        {
            uint4 o = make_uint4(lowbytes(a[u].x, a[u].y), lowbytes(a[u].z, a[u].w), lowbytes(b[u].x, b[u].y), lowbytes(b[u].z, b[u].w));
            if (CS) st_cs(out + i, o); else st_plain(out + i, o);
        }
    }
}

// 2:1 with the pair contiguous per thread pair: thread reads in[i] (coalesced), half-warp packs via shuffle.
template <int U, bool NC, bool CS>
__global__ void k_r2w1_coal(const uint4* __restrict__ in, uint4* __restrict__ out, long long nIn)
{
    long long base = ((long long)blockIdx.x * blockDim.x) * U + threadIdx.x;
    uint4 a[U];
    load_vectors<U, NC>(in, base, nIn, a);
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        long long i = base + (long long)u * blockDim.x;
        unsigned lo = lowbytes(a[u].x, a[u].y), hi = lowbytes(a[u].z, a[u].w);
        unsigned plo = __shfl_xor_sync(0xffffffffu, lo, 1), phi = __shfl_xor_sync(0xffffffffu, hi, 1);
        if ((lane & 1) == 0 && i < nIn)
        {
            uint4 o = make_uint4(lo, hi, plo, phi);
            if (CS) st_cs(out + i / 2, o); else st_plain(out + i / 2, o);
        }
    }
}

template <int U, bool NC, bool CS>
__global__ void k_copy(const uint4* __restrict__ in, uint4* __restrict__ out, long long n)
{
    long long base = ((long long)blockIdx.x * blockDim.x) * U + threadIdx.x;
    uint4 a[U];
    load_vectors<U, NC>(in, base, n, a);
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        long long i = base + (long long)u * blockDim.x;
        if (i < n) { if (CS) st_cs(out + i, a[u]); else st_plain(out + i, a[u]); }
    }
}

template <typename F>
static float timeit(F launch, int reps = 30)
{
    cudaEvent_t s, e;
    cudaEventCreate(&s); cudaEventCreate(&e);
    launch(); launch();
    cudaDeviceSynchronize();
    std::vector<float> t;
    for (int r = 0; r < reps; r++)
    {
        cudaEventRecord(s);
        launch();
        cudaEventRecord(e);
        cudaEventSynchronize(e);
        float ms; cudaEventElapsedTime(&ms, s, e);
        t.push_back(ms);
    }
    std::sort(t.begin(), t.end());
    cudaEventDestroy(s); cudaEventDestroy(e);
    return t[t.size() / 2];
}

int main()
{
    const long long inBytes = 3LL * 4 * 32 * 2048 * 128 * 2; // Q, K, V FP16 at 2K d = 128: 201 MB
    const long long outBytes = inBytes / 2;                     // their codes: 100 MB
    uint4 *in, *out; unsigned* sink;
    CK(cudaMalloc(&in, inBytes)); CK(cudaMalloc(&out, inBytes)); CK(cudaMalloc(&sink, 64));
    CK(cudaMemset(in, 1, inBytes)); CK(cudaMemset(out, 0, inBytes));
    const long long nIn = inBytes / 16, nOut = outBytes / 16;
    printf("%-44s %9s %9s %9s\n", "kernel", "us", "MB", "TB/s");
    auto row = [&](const char* name, float ms, double bytes) { printf("%-44s %9.1f %9.1f %9.3f\n", name, ms * 1e3, bytes / 1e6, bytes / (ms * 1e-3) / 1e12); };
    const int T = 256;
#define READ(U, NC) { long long g = (nIn + (long long)T * U - 1) / ((long long)T * U); row("read U=" #U " nc=" #NC, timeit([&] { k_read<U, NC><<<g, T>>>(in, nIn, sink); }), inBytes); }
    READ(2, false) READ(4, false) READ(8, false) READ(4, true) READ(8, true)
#define R2W1(U, NC, CS) { long long g = (nOut + (long long)T * U - 1) / ((long long)T * U); row("r2w1 U=" #U " nc=" #NC " cs=" #CS, timeit([&] { k_r2w1<U, NC, CS><<<g, T>>>(in, out, nOut); }), inBytes + outBytes); }
    R2W1(2, false, false) R2W1(4, false, false) R2W1(4, true, false) R2W1(4, true, true) R2W1(8, true, false) R2W1(8, true, true)
#define R2W1C(U, NC, CS) { long long g = (nIn + (long long)T * U - 1) / ((long long)T * U); row("r2w1 coalesced U=" #U " nc=" #NC " cs=" #CS, timeit([&] { k_r2w1_coal<U, NC, CS><<<g, T>>>(in, out, nIn); }), inBytes + outBytes); }
    R2W1C(4, false, false) R2W1C(4, true, false) R2W1C(8, true, false) R2W1C(8, true, true) R2W1C(16, true, false)
    // copy of the same total bytes (150 MB read, 150 MB write) and of the input size.
#define COPY(U, NC, CS, BYTES) { long long n = (BYTES) / 16; long long g = (n + (long long)T * U - 1) / ((long long)T * U); row("copy " #BYTES " U=" #U " nc=" #NC " cs=" #CS, timeit([&] { k_copy<U, NC, CS><<<g, T>>>(in, out, n); }), 2.0 * (BYTES)); }
    COPY(4, false, false, inBytes) COPY(4, true, false, inBytes) COPY(8, true, true, inBytes) COPY(4, true, false, (inBytes + outBytes) / 2)
    row("cudaMemcpy D2D (input size)", timeit([&] { cudaMemcpyAsync(out, in, inBytes, cudaMemcpyDeviceToDevice); }), 2.0 * inBytes);
    // The pre-processing's two passes as they are split: Q alone (67 + 33.5 MB) then K and V (134 + 67 MB).
    {
        long long nq = nOut / 3, nkv = 2 * nOut / 3;
        const int U = 4;
        long long gq = (nq + (long long)T * U - 1) / ((long long)T * U), gkv = (nkv + (long long)T * U - 1) / ((long long)T * U);
        row("split: Q pass then K/V pass (r2w1 U=4 nc)", timeit([&] {
            k_r2w1<U, true, false><<<gq, T>>>(in, out, nq);
            k_r2w1<U, true, false><<<gkv, T>>>(in + 2 * nq, out + nq, nkv); }), inBytes + outBytes);
    }
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    cudaFree(in); cudaFree(out); cudaFree(sink);
    return 0;
}
