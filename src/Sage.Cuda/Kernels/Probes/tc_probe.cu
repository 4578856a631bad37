// Tensor-core numerics probes, compiled by NVRTC for sm_90a (wgmma needs the "a" target) and launched by
// tests/Gpu/TensorCores. Each kernel evaluates independent dot-product cases: case i is A row i, B column i and
// C/D element (i,i) of an 8-case tile (rows/columns 8.. are zero). a, b: [ncases][K] FP8/s8 bytes; c, d: [ncases]
// 32-bit words (FP16 in the low half for FP16 accumulators). K = 32·steps chains the instruction through its
// accumulator, as a k-loop does. The same kernels, built by nvcc, produced the recorded vectors
// (docs/results/tensor-cores-2026-11-25.md).

enum Op { OP_WGMMA = 0, OP_MMA = 1 };
enum In { IN_E4M3 = 0, IN_E5M2 = 1, IN_S8 = 2 };
enum Acc { ACC_F32 = 0, ACC_F16 = 1, ACC_S32 = 2 };

// ---------------------------------------------------------------- wgmma helpers
__device__ __forceinline__ unsigned long long smem_desc(const void* p) {
  unsigned int addr = (unsigned int)__cvta_generic_to_shared(p);
  unsigned long long d = 0;
  d |= (unsigned long long)((addr & 0x3FFFF) >> 4);
  d |= (unsigned long long)(128 >> 4) << 16;   // leading byte offset: next core matrix along K
  d |= (unsigned long long)(256 >> 4) << 32;   // stride byte offset: next 8-row group along M/N
  return d;
}

template <int IN, int ACC>
__device__ __forceinline__ void wgmma_call(unsigned int* d, unsigned long long da, unsigned long long db) {
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
__device__ __forceinline__ void wgmma_cases(const unsigned char* a, const unsigned char* b, const unsigned int* c, unsigned int* d,
                                                   int ncases, int K) {
  __shared__ __align__(128) unsigned char sa[64 * 32];
  __shared__ __align__(128) unsigned char sb[8 * 32];
  int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
  int ntiles = (ncases + 7) / 8;
  for (int tile = blockIdx.x; tile < ntiles; tile += gridDim.x) {
    int first = tile * 8;
    unsigned int acc[4] = {0, 0, 0, 0};
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
        unsigned char va = cc < ncases ? a[(unsigned long long)cc * K + step * 32 + k] : 0;
        unsigned char vb = cc < ncases ? b[(unsigned long long)cc * K + step * 32 + k] : 0;
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
__device__ __forceinline__ void mma_call(unsigned int* d, const unsigned int* ra, const unsigned int* rb) {
  if constexpr (ACC == ACC_F32) {
    float* f = reinterpret_cast<float*>(d);
    if constexpr (IN == IN_E4M3)
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
    else
      asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                   : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
  } else if constexpr (ACC == ACC_F16) {
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

__device__ __forceinline__ unsigned int ld4(const unsigned char* p) {
  return (unsigned int)p[0] | ((unsigned int)p[1] << 8) | ((unsigned int)p[2] << 16) | ((unsigned int)p[3] << 24);
}

template <int IN, int ACC>
__device__ __forceinline__ void mma_cases(const unsigned char* a, const unsigned char* b, const unsigned int* c, unsigned int* d, int ncases, int K) {
  int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  int wpb = blockDim.x / 32;
  int ntiles = (ncases + 7) / 8;
  for (int tile = blockIdx.x * wpb + threadIdx.x / 32; tile < ntiles; tile += gridDim.x * wpb) {
    int first = tile * 8;
    int cs = first + g;  // rows g (<8) hold cases; rows g+8 are zero
    bool valid = cs < ncases;
    unsigned int acc[4] = {0, 0, 0, 0};
    int half = g % 2;
    bool mine = valid && (g / 2 == t);
    if (mine) {
      if constexpr (ACC == ACC_F16) acc[0] = half ? (c[cs] << 16) : (c[cs] & 0xFFFF);
      else acc[half] = c[cs];
    }
    for (int step = 0; step < K / 32; step++) {
      unsigned int ra[4] = {0, 0, 0, 0}, rb[2] = {0, 0};
      if (valid) {
        const unsigned char* pa = a + (unsigned long long)cs * K + step * 32;
        const unsigned char* pb = b + (unsigned long long)cs * K + step * 32;
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


extern "C" __global__ void __launch_bounds__(128) tc_wgmma_e4m3_f32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { wgmma_cases<IN_E4M3, ACC_F32>(a, b, c, d, ncases, K); }
extern "C" __global__ void __launch_bounds__(128) tc_wgmma_e4m3_f16(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { wgmma_cases<IN_E4M3, ACC_F16>(a, b, c, d, ncases, K); }
extern "C" __global__ void __launch_bounds__(128) tc_wgmma_e5m2_f32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { wgmma_cases<IN_E5M2, ACC_F32>(a, b, c, d, ncases, K); }
extern "C" __global__ void __launch_bounds__(128) tc_wgmma_e5m2_f16(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { wgmma_cases<IN_E5M2, ACC_F16>(a, b, c, d, ncases, K); }
extern "C" __global__ void __launch_bounds__(128) tc_wgmma_s8_s32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { wgmma_cases<IN_S8, ACC_S32>(a, b, c, d, ncases, K); }
extern "C" __global__ void tc_mma_e4m3_f32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { mma_cases<IN_E4M3, ACC_F32>(a, b, c, d, ncases, K); }
extern "C" __global__ void tc_mma_e4m3_f16(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { mma_cases<IN_E4M3, ACC_F16>(a, b, c, d, ncases, K); }
extern "C" __global__ void tc_mma_e5m2_f32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { mma_cases<IN_E5M2, ACC_F32>(a, b, c, d, ncases, K); }
extern "C" __global__ void tc_mma_e5m2_f16(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { mma_cases<IN_E5M2, ACC_F16>(a, b, c, d, ncases, K); }
extern "C" __global__ void tc_mma_s8_s32(const unsigned char* a, const unsigned char* b, const unsigned int* c,
    unsigned int* d, int ncases, int K) { mma_cases<IN_S8, ACC_S32>(a, b, c, d, ncases, K); }
