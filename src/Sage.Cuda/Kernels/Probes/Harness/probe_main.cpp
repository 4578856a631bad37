// Standalone H100 numerics probe (the run of 2026-11-25). Build: nvcc -O2 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -x cu probe_main.cpp -o probe
// Usage: ./probe OUTDIR NRANDOM
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <string>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include "gen.h"

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { fprintf(stderr, "CUDA %s at %s:%d: %s\n", cudaGetErrorName(e_), __FILE__, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)
#include "exp2_harness.h"

// ---------------------------------------------------------------- variants
enum Op { OP_WGMMA = 0, OP_MMA = 1 };
enum In { IN_E4M3 = 0, IN_E5M2 = 1, IN_S8 = 2 };
enum Acc { ACC_F32 = 0, ACC_F16 = 1, ACC_S32 = 2 };

// ---------------------------------------------------------------- wgmma helpers
__device__ __forceinline__ uint64_t smem_desc(const void* p) {
  uint32_t addr = (uint32_t)__cvta_generic_to_shared(p);
  uint64_t d = 0;
  d |= (uint64_t)((addr & 0x3FFFF) >> 4);
  d |= (uint64_t)(128 >> 4) << 16;   // leading byte offset: next core matrix along K
  d |= (uint64_t)(256 >> 4) << 32;   // stride byte offset: next 8-row group along M/N
  return d;
}

template <int IN, int ACC>
__device__ __forceinline__ void wgmma_call(uint32_t* d, uint64_t da, uint64_t db) {
  if constexpr (ACC == ACC_F32) {
    float* f = reinterpret_cast<float*>(d);
    if constexpr (IN == IN_E4M3)
      asm volatile("wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3 {%0,%1,%2,%3}, %4, %5, 1, 1, 1;\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "l"(da), "l"(db));
    else
      asm volatile("wgmma.mma_async.sync.aligned.m64n8k32.f32.e5m2.e5m2 {%0,%1,%2,%3}, %4, %5, 1, 1, 1;\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "l"(da), "l"(db));
  } else if constexpr (ACC == ACC_F16) {
    if constexpr (IN == IN_E4M3)
      asm volatile("wgmma.mma_async.sync.aligned.m64n8k32.f16.e4m3.e4m3 {%0,%1}, %2, %3, 1, 1, 1;\n"
                   : "+r"(d[0]), "+r"(d[1]) : "l"(da), "l"(db));
    else
      asm volatile("wgmma.mma_async.sync.aligned.m64n8k32.f16.e5m2.e5m2 {%0,%1}, %2, %3, 1, 1, 1;\n"
                   : "+r"(d[0]), "+r"(d[1]) : "l"(da), "l"(db));
  } else {
    asm volatile("wgmma.mma_async.sync.aligned.m64n8k32.s32.s8.s8 {%0,%1,%2,%3}, %4, %5, 1;\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "l"(da), "l"(db));
  }
}

// 8 independent cases per tile: case i uses A row i, B column i, C/D element (i,i). K = 32·steps (a chain).
// a, b: [ncases][K] bytes; c, d: [ncases] u32 (f16 in the low half for ACC_F16).
template <int IN, int ACC>
__global__ void __launch_bounds__(128) wgmma_cases(const uint8_t* a, const uint8_t* b, const uint32_t* c, uint32_t* d,
                                                   int ncases, int K) {
  __shared__ __align__(128) uint8_t sa[64 * 32];
  __shared__ __align__(128) uint8_t sb[8 * 32];
  int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
  int ntiles = (ncases + 7) / 8;
  for (int tile = blockIdx.x; tile < ntiles; tile += gridDim.x) {
    int first = tile * 8;
    uint32_t acc[4] = {0, 0, 0, 0};
    // my output element(s): warp 0, row g, columns 2t, 2t+1: the diagonal element is (g,g) when g/2 == t
    int cs = first + g;
    bool mine = warp == 0 && (g / 2 == t) && cs < ncases;
    int half = g % 2;
    if (mine) {
      if constexpr (ACC == ACC_F16) acc[0] = half ? (c[cs] << 16) : (c[cs] & 0xFFFF);
      else acc[half] = c[cs];
    }
    for (int step = 0; step < K / 32; step++) {
      __syncthreads();
      for (int i = tid; i < 64 * 32; i += 128) sa[i] = 0;
      for (int i = tid; i < 8 * 32; i += 128) sb[i] = 0;
      __syncthreads();
      // core-matrix layout (no swizzle): byte offset = row/8*256 + k/16*128 + (row%8)*16 + k%16
      for (int i = tid; i < 8 * 32; i += 128) {
        int r = i / 32, k = i % 32;
        int cc = first + r;
        uint8_t va = cc < ncases ? a[(size_t)cc * K + step * 32 + k] : 0;
        uint8_t vb = cc < ncases ? b[(size_t)cc * K + step * 32 + k] : 0;
        int off = (r / 8) * 256 + (k / 16) * 128 + (r % 8) * 16 + (k % 16);
        sa[off] = va;
        sb[off] = vb;  // B is N×K (K-major), same layout with N in place of M
      }
      asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
      __syncthreads();
      asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
      wgmma_call<IN, ACC>(acc, smem_desc(sa), smem_desc(sb));
      asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
      asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    }
    if (mine) {
      if constexpr (ACC == ACC_F16) d[cs] = half ? (acc[0] >> 16) : (acc[0] & 0xFFFF);
      else d[cs] = acc[half];
    }
  }
}

// mma.sync m16n8k32, one warp per tile of 8 cases (rows 0..7 of A, columns 0..7 of B).
template <int IN, int ACC>
__device__ __forceinline__ void mma_call(uint32_t* d, const uint32_t* ra, const uint32_t* rb) {
  if constexpr (ACC == ACC_F32) {
    float* f = reinterpret_cast<float*>(d);
    if constexpr (IN == IN_E4M3)
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
    else
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
  } else if constexpr (ACC == ACC_F16) {
#ifdef NO_MMA_F16
    return;
#endif
    if constexpr (IN == IN_E4M3)
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f16.e4m3.e4m3.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};\n"
                   : "+r"(d[0]), "+r"(d[1]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
    else
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f16.e5m2.e5m2.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};\n"
                   : "+r"(d[0]), "+r"(d[1]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
  } else {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
  }
}

__device__ __forceinline__ uint32_t ld4(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

template <int IN, int ACC>
__global__ void mma_cases(const uint8_t* a, const uint8_t* b, const uint32_t* c, uint32_t* d, int ncases, int K) {
  int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  int wpb = blockDim.x / 32;
  int ntiles = (ncases + 7) / 8;
  for (int tile = blockIdx.x * wpb + threadIdx.x / 32; tile < ntiles; tile += gridDim.x * wpb) {
    int first = tile * 8;
    int cs = first + g;  // rows g (<8) hold cases; rows g+8 are zero
    bool valid = cs < ncases;
    uint32_t acc[4] = {0, 0, 0, 0};
    int half = g % 2;
    bool mine = valid && (g / 2 == t);
    if (mine) {
      if constexpr (ACC == ACC_F16) acc[0] = half ? (c[cs] << 16) : (c[cs] & 0xFFFF);
      else acc[half] = c[cs];
    }
    for (int step = 0; step < K / 32; step++) {
      uint32_t ra[4] = {0, 0, 0, 0}, rb[2] = {0, 0};
      if (valid) {
        const uint8_t* pa = a + (size_t)cs * K + step * 32;
        const uint8_t* pb = b + (size_t)cs * K + step * 32;
        ra[0] = ld4(pa + 4 * t);
        ra[2] = ld4(pa + 16 + 4 * t);
        rb[0] = ld4(pb + 4 * t);       // B column g = case g
        rb[1] = ld4(pb + 16 + 4 * t);
      }
      mma_call<IN, ACC>(acc, ra, rb);
    }
    if (mine) {
      if constexpr (ACC == ACC_F16) d[cs] = half ? (acc[0] >> 16) : (acc[0] & 0xFFFF);
      else d[cs] = acc[half];
    }
  }
}

// ---------------------------------------------------------------- host driver
struct Variant { const char* name; int op, in, acc, K; uint64_t seed; };

static void run_variant(const Variant& v, int n, const uint8_t* a, const uint8_t* b, const uint32_t* c, uint32_t* d) {
  uint8_t *da, *db; uint32_t *dc, *dd;
  size_t nb = (size_t)n * v.K;
  CK(cudaMalloc(&da, nb)); CK(cudaMalloc(&db, nb)); CK(cudaMalloc(&dc, 4 * (size_t)n)); CK(cudaMalloc(&dd, 4 * (size_t)n));
  CK(cudaMemcpy(da, a, nb, cudaMemcpyHostToDevice)); CK(cudaMemcpy(db, b, nb, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(dc, c, 4 * (size_t)n, cudaMemcpyHostToDevice)); CK(cudaMemset(dd, 0xEE, 4 * (size_t)n));
  int blocks = 132 * 8;
#define L(OP, IN, ACC) \
  if (v.op == OP && v.in == IN && v.acc == ACC) { \
    if (OP == OP_WGMMA) wgmma_cases<IN, ACC><<<blocks, 128>>>(da, db, dc, dd, n, v.K); \
    else mma_cases<IN, ACC><<<blocks, 128>>>(da, db, dc, dd, n, v.K); }
  L(OP_WGMMA, IN_E4M3, ACC_F32) L(OP_WGMMA, IN_E4M3, ACC_F16) L(OP_WGMMA, IN_E5M2, ACC_F32) L(OP_WGMMA, IN_E5M2, ACC_F16)
  L(OP_WGMMA, IN_S8, ACC_S32)
  L(OP_MMA, IN_E4M3, ACC_F32) L(OP_MMA, IN_E4M3, ACC_F16) L(OP_MMA, IN_E5M2, ACC_F32) L(OP_MMA, IN_E5M2, ACC_F16)
  L(OP_MMA, IN_S8, ACC_S32)
#undef L
  CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
  CK(cudaMemcpy(d, dd, 4 * (size_t)n, cudaMemcpyDeviceToHost));
  cudaFree(da); cudaFree(db); cudaFree(dc); cudaFree(dd);
}

// ---------------------------------------------------------------- targeted probes
struct Case { std::vector<uint8_t> a, b; uint32_t c; };

static int e4m3_pow2(int e) { return e >= -6 ? ((e + 7) << 3) : (1 << (e + 9)); }  // 2^e as E4M3 byte (e in -9..8)
static int e5m2_pow2(int e) { return e >= -14 ? ((e + 15) << 2) : (1 << (e + 16)); } // 2^e as E5M2 (e in -16..15)
static uint8_t pow2b(int fmt, int e, int neg = 0) {
  return (uint8_t)((fmt == FMT_E4M3 ? e4m3_pow2(e) : e5m2_pow2(e)) | (neg << 7));
}
static int fmt_emin(int fmt) { return fmt == FMT_E4M3 ? -9 : -16; }
static int fmt_emax(int fmt) { return fmt == FMT_E4M3 ? 8 : 15; }
// product 2^e as a pair of pow2 bytes
static void prod2(int fmt, int e, int neg, uint8_t& x, uint8_t& y) {
  int lo = fmt_emin(fmt), hi = fmt_emax(fmt);
  int ea = e / 2, eb = e - ea;
  if (ea < lo) { ea = lo; eb = e - lo; }
  if (eb < lo) { eb = lo; ea = e - lo; }
  if (ea > hi) { ea = hi; eb = e - hi; }
  if (eb > hi) { eb = hi; ea = e - hi; }
  x = pow2b(fmt, ea, neg); y = pow2b(fmt, eb, 0);
}
static uint32_t cbits(bool f16, double v) {
  if (f16) { __half h = __float2half_rn((float)v); uint16_t u; memcpy(&u, &h, 2); return u; }
  return f2u((float)v);
}

static std::vector<Case> targeted(int fmt, bool f16) {
  std::vector<Case> cs;
  auto blank = [&]() { Case k; k.a.assign(32, 0); k.b.assign(32, 0); k.c = 0; return k; };
  int one_neg[2] = {0, 1};
  // (1) alignment bits: product 1 at slot 0, 1..3 copies of 2^-s at slots 1..3, both signs, C = 0 or C = 1
  for (int s = 0; s <= 26; s++) for (int copies = 1; copies <= 3; copies++) for (int ng : one_neg) for (int cm = 0; cm < 3; cm++) {
    Case k = blank();
    if (cm != 2) prod2(fmt, 0, 0, k.a[0], k.b[0]);
    for (int j = 1; j <= copies; j++) prod2(fmt, -s, ng, k.a[j], k.b[j]);
    if (cm == 1) k.c = cbits(f16, 1.0);
    if (cm == 2) k.c = cbits(f16, 1.0);  // C alone carries the large exponent
    cs.push_back(k);
  }
  // (2) block size / slot position: product 1 at slot p0, tiny 2^-s at slot q (all pairs of slots for s in 12..15)
  for (int s = 11; s <= 16; s++) for (int p0 = 0; p0 < 32; p0 += 5) for (int q = 0; q < 32; q++) {
    if (q == p0) continue;
    Case k = blank();
    prod2(fmt, 0, 0, k.a[p0], k.b[p0]);
    prod2(fmt, -s, 0, k.a[q], k.b[q]);
    prod2(fmt, -s, 0, k.a[(q + 1) % 32 == p0 ? (q + 2) % 32 : (q + 1) % 32], k.b[(q + 1) % 32 == p0 ? (q + 2) % 32 : (q + 1) % 32]);
    cs.push_back(k);
  }
  // (3) how C enters: C = 2^j·(1 + 2^-m) with products 0, or with one product 2^e
  for (int j = -20; j <= 20; j += 1) for (int m = 1; m <= 23; m++) for (int e = -99; e <= 12; e += 37) {
    if (f16 && (j < -14 || j > 15 || m > 10)) continue;
    Case k = blank();
    k.c = cbits(f16, ldexp(1.0 + ldexp(1.0, -m), j));
    if (e != -99) prod2(fmt, e, 0, k.a[0], k.b[0]);
    cs.push_back(k);
  }
  // (4) rounding direction: C = ±(2^j + 2^(j-p) ...) style: 1 + 2^-12 + 2^-13 + 2^-14 built from products, both signs, and C
  for (int ng : one_neg) for (int mask = 0; mask < 64; mask++) for (int cm = 0; cm < 2; cm++) {
    Case k = blank();
    prod2(fmt, 0, ng, k.a[0], k.b[0]);
    for (int bit = 0; bit < 6; bit++) if (mask & (1 << bit)) prod2(fmt, -10 - bit, ng, k.a[1 + bit], k.b[1 + bit]);
    if (cm) k.c = cbits(f16, ng ? -0.5 : 0.5);
    cs.push_back(k);
  }
  // (5) signed zeros and exact cancellation
  for (int cz = 0; cz < 4; cz++) for (int pz = 0; pz < 3; pz++) {
    Case k = blank();
    if (pz == 1) { k.a[0] = 0x80; k.b[0] = pow2b(fmt, 0); }               // -0 product
    if (pz == 2) { prod2(fmt, 0, 0, k.a[0], k.b[0]); prod2(fmt, 0, 1, k.a[1], k.b[1]); } // 1 - 1
    k.c = cz == 0 ? 0 : cz == 1 ? (f16 ? 0x8000u : 0x80000000u) : cz == 2 ? cbits(f16, -1.0) : cbits(f16, 1.0);
    if (cz >= 2 && pz == 0) prod2(fmt, 0, cz == 2 ? 0 : 1, k.a[0], k.b[0]);  // C + product = 0
    cs.push_back(k);
  }
  // (6) specials: NaN input, inf input (E5M2), inf*0, inf-inf, C = inf, C = NaN
  {
    uint8_t nanb = fmt == FMT_E4M3 ? 0x7F : 0x7E, infb = 0x7C;
    uint32_t cinf = f16 ? 0x7C00u : 0x7F800000u, cnan = f16 ? 0x7E00u : 0x7FC00000u;
    for (int w = 0; w < 8; w++) {
      Case k = blank();
      prod2(fmt, 0, 0, k.a[5], k.b[5]);
      if (w == 0) { k.a[0] = nanb; k.b[0] = pow2b(fmt, 0); }
      if (w == 1 && fmt == FMT_E5M2) { k.a[0] = infb; k.b[0] = pow2b(fmt, 0); }
      if (w == 2 && fmt == FMT_E5M2) { k.a[0] = infb; k.b[0] = 0; }
      if (w == 3 && fmt == FMT_E5M2) { k.a[0] = infb; k.b[0] = pow2b(fmt, 0); k.a[1] = infb | 0x80; k.b[1] = pow2b(fmt, 0); }
      if (w == 4) k.c = cinf;
      if (w == 5) k.c = cnan;
      if (w == 6) k.c = cinf | (f16 ? 0x8000u : 0x80000000u);
      if (w == 7 && fmt == FMT_E5M2) { k.a[0] = infb; k.b[0] = pow2b(fmt, 0); k.c = cinf | (f16 ? 0x8000u : 0x80000000u); }
      cs.push_back(k);
    }
  }
  // (7) near FP16 overflow / large: sums of big products around 65504..65536 and C near max
  {
    int big = fmt == FMT_E4M3 ? 8 : 15;
    for (int cnt = 1; cnt <= 32; cnt++) for (int cm = 0; cm < 4; cm++) {
      Case k = blank();
      for (int j = 0; j < cnt; j++) prod2(fmt, big + (fmt == FMT_E4M3 ? 3 : 0), 0, k.a[j], k.b[j]);  // 2^11 or 2^15 each
      if (cm == 1) k.c = cbits(f16, 65504.0);
      if (cm == 2) k.c = cbits(f16, 65504.0 - 2048.0 * cnt);
      if (cm == 3) k.c = cbits(f16, -65504.0);
      cs.push_back(k);
    }
    // sums that land between 65504 and 65536 for RNE-vs-RZ-vs-saturation: 65504 + 2^e products
    for (int e = -2; e <= 5; e++) for (int sgn = 0; sgn < 2; sgn++) {
      Case k = blank();
      k.c = cbits(f16, sgn ? -65504.0 : 65504.0);
      prod2(fmt, e, sgn, k.a[0], k.b[0]);
      prod2(fmt, e, sgn, k.a[1], k.b[1]);
      cs.push_back(k);
    }
    // FP32: C near FLT_MAX plus positive products
    if (!f16) for (int w = 0; w < 3; w++) { Case k = blank(); k.c = 0x7F7FFFFFu - w; prod2(fmt, 10, 0, k.a[0], k.b[0]); cs.push_back(k); }
  }
  // (8) subnormal FP8 operands and subnormal C
  {
    int emin = fmt_emin(fmt);
    for (int x = 1; x < (fmt == FMT_E4M3 ? 8 : 4); x++) for (int y = 1; y < (fmt == FMT_E4M3 ? 8 : 4); y++) for (int cm = 0; cm < 3; cm++) {
      Case k = blank();
      k.a[0] = (uint8_t)x; k.b[0] = (uint8_t)y;  // subnormal × subnormal
      k.a[1] = (uint8_t)x; k.b[1] = pow2b(fmt, 0);
      if (cm == 1) prod2(fmt, 2 * emin + 20, 0, k.a[2], k.b[2]);
      if (cm == 2) k.c = f16 ? 0x0001u : 0x00000001u;  // smallest subnormal C
      cs.push_back(k);
    }
    if (!f16) for (int w = 0; w < 40; w++) { Case k = blank(); k.c = 0x00000001u << (w % 23) | (w >= 23 ? 0x80000000u : 0); cs.push_back(k); }
  }
  return cs;
}

static uint32_t bits_of(const Case& k) { return k.c; }

int main(int argc, char** argv) {
  const char* out = argc > 1 ? argv[1] : ".";
  int N = argc > 2 ? atoi(argv[2]) : (1 << 20);
  int NCH = N / 4;
  cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
  int drv = 0, rt = 0; cudaDriverGetVersion(&drv); cudaRuntimeGetVersion(&rt);
  printf("device %s cc %d.%d SMs %d driver %d runtime %d\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount, drv, rt);

  Variant vs[] = {
    {"wgmma.e4m3.f32", OP_WGMMA, IN_E4M3, ACC_F32, 32, 101}, {"wgmma.e5m2.f32", OP_WGMMA, IN_E5M2, ACC_F32, 32, 102},
    {"wgmma.e4m3.f16", OP_WGMMA, IN_E4M3, ACC_F16, 32, 103}, {"wgmma.e5m2.f16", OP_WGMMA, IN_E5M2, ACC_F16, 32, 104},
    {"mma.m16n8k32.e4m3.f32", OP_MMA, IN_E4M3, ACC_F32, 32, 105}, {"mma.m16n8k32.e5m2.f32", OP_MMA, IN_E5M2, ACC_F32, 32, 106},
    {"mma.m16n8k32.e4m3.f16", OP_MMA, IN_E4M3, ACC_F16, 32, 107}, {"mma.m16n8k32.e5m2.f16", OP_MMA, IN_E5M2, ACC_F16, 32, 108},
    {"wgmma.e4m3.f32.chain4", OP_WGMMA, IN_E4M3, ACC_F32, 128, 109}, {"wgmma.e4m3.f16.chain4", OP_WGMMA, IN_E4M3, ACC_F16, 128, 110},
    {"mma.m16n8k32.e4m3.f32.chain4", OP_MMA, IN_E4M3, ACC_F32, 128, 111}, {"wgmma.e5m2.f32.chain4", OP_WGMMA, IN_E5M2, ACC_F32, 128, 112},
    {"wgmma.s8.s32", OP_WGMMA, IN_S8, ACC_S32, 32, 113}, {"mma.m16n8k32.s8.s32", OP_MMA, IN_S8, ACC_S32, 32, 114},
    {"wgmma.s8.s32.chain4", OP_WGMMA, IN_S8, ACC_S32, 128, 115},
  };
  int nv = sizeof(vs) / sizeof(vs[0]);
  std::string o(out);
  FILE* fr = fopen((o + "/random_wgmma.bin").c_str(), "wb");  // per variant: header + outputs (u32 or u16)
  FILE* fm = fopen((o + "/random_mma.bin").c_str(), "wb");
  FILE* fp = fopen((o + "/probes.bin").c_str(), "wb");     // records with inputs: targeted probes and the first random cases
  FILE* fi = fopen((o + "/int_random.bin").c_str(), "wb");
  printf("%-30s %9s %8s %s\n", "variant", "cases", "K", "notes");
  for (int vi = 0; vi < nv; vi++) {
    const Variant& v = vs[vi];
    bool isInt = v.in == IN_S8;
    int n = (v.K > 32) ? NCH : N;
    std::vector<uint8_t> A((size_t)n * v.K), B((size_t)n * v.K);
    std::vector<uint32_t> C(n), D(n);
    for (int i = 0; i < n; i++) {
      if (isInt) { int32_t cc; gen_s8_case(v.K, v.seed, i, (int8_t*)&A[(size_t)i * v.K], (int8_t*)&B[(size_t)i * v.K], &cc); C[i] = (uint32_t)cc; }
      else gen_fp8_case(v.in == IN_E4M3 ? FMT_E4M3 : FMT_E5M2, v.K, v.acc == ACC_F16, v.seed, i, &A[(size_t)i * v.K], &B[(size_t)i * v.K], &C[i]);
    }
    run_variant(v, n, A.data(), B.data(), C.data(), D.data());
    long intMismatch = 0, unset = 0;
    for (int i = 0; i < n; i++) if (D[i] == 0xEEEEEEEEu) unset++;
    if (isInt) {
      for (int i = 0; i < n; i++) {
        uint32_t acc = C[i];
        for (int k = 0; k < v.K; k++) acc += (uint32_t)((int)(int8_t)A[(size_t)i * v.K + k] * (int)(int8_t)B[(size_t)i * v.K + k]);
        if (acc != D[i]) intMismatch++;
      }
    }
    // random outputs
    uint32_t hdr[4] = {(uint32_t)vi, (uint32_t)n, (uint32_t)v.K, (uint32_t)(v.acc == ACC_F16 ? 2 : 4)};
    FILE* f = isInt ? fi : (v.op == OP_MMA ? fm : fr);
    char nm[32] = {0}; strncpy(nm, v.name, 31); fwrite(nm, 1, 32, f); fwrite(hdr, 4, 4, f);
    if (v.acc == ACC_F16) { std::vector<uint16_t> h(n); for (int i = 0; i < n; i++) h[i] = (uint16_t)D[i]; fwrite(h.data(), 2, n, f); }
    else fwrite(D.data(), 4, n, f);
    // first 512 random cases with inputs (twin check) as kind 1
    auto rec = [&](int kind, int K, const uint8_t* a, const uint8_t* b, uint32_t c, uint32_t d) {
      uint8_t h[4] = {(uint8_t)vi, (uint8_t)kind, (uint8_t)(K & 0xFF), (uint8_t)(K >> 8)};
      fwrite(h, 1, 4, fp); fwrite(&c, 4, 1, fp); fwrite(&d, 4, 1, fp); fwrite(a, 1, K, fp); fwrite(b, 1, K, fp);
    };
    for (int i = 0; i < 512 && i < n; i++) rec(1, v.K, &A[(size_t)i * v.K], &B[(size_t)i * v.K], C[i], D[i]);
    // targeted probes (K=32 float variants)
    int nt = 0;
    if (!isInt && v.K == 32) {
      auto cs = targeted(v.in == IN_E4M3 ? FMT_E4M3 : FMT_E5M2, v.acc == ACC_F16);
      nt = (int)cs.size();
      std::vector<uint8_t> TA((size_t)nt * 32), TB((size_t)nt * 32);
      std::vector<uint32_t> TC(nt), TD(nt);
      for (int i = 0; i < nt; i++) { memcpy(&TA[i * 32], cs[i].a.data(), 32); memcpy(&TB[i * 32], cs[i].b.data(), 32); TC[i] = bits_of(cs[i]); }
      run_variant(v, nt, TA.data(), TB.data(), TC.data(), TD.data());
      for (int i = 0; i < nt; i++) rec(0, 32, &TA[i * 32], &TB[i * 32], TC[i], TD[i]);
    }
    printf("%-30s %9d %8d targeted=%d unset=%ld%s\n", v.name, n, v.K, nt, unset,
           isInt ? (std::string(" int_mismatch=") + std::to_string(intMismatch)).c_str() : "");
    fflush(stdout);
  }
  fclose(fr); fclose(fm); fclose(fp); fclose(fi);
  exp2_probe(out);
  return 0;
}
