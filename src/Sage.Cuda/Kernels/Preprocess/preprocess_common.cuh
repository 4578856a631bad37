// Shared by the pre-processing kernels (docs/kernel-spec.md §1-§4): input widening, tensor addressing and the
// exact conversions. No CUDA header is included: every conversion is one PTX instruction written out, so the
// rounding is the spec's whatever the toolkit's headers do, and NVRTC needs no include path.
// Arithmetic uses __fadd_rn/__fsub_rn/__fdiv_rn/__fmul_rn: with them (and --fmad=false) no step can be
// contracted or approximated by the compiler.
#pragma once

// Element types of the inputs; the host passes the matching kernel (one instantiation per type).
struct ElemF32  { typedef float storage; };
struct ElemF16  { typedef unsigned short storage; };
struct ElemBF16 { typedef unsigned short storage; };

// Tile sizes of the contract (docs/kernel-spec.md §0).
#define SAGE_KEY_TILE 128
#define SAGE_QUERY_BLOCK 64
#define SAGE_THREADS 256

// Granularity codes, as Sage.QuantGranularity: PerBlock = 0, PerWarp = 1, PerThread = 2.
#define SAGE_PER_BLOCK 0
#define SAGE_PER_WARP 1
#define SAGE_PER_THREAD 2

__device__ __forceinline__ float widen_f16(unsigned short bits)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(bits)); // exact
    return f;
}

__device__ __forceinline__ float widen_bf16(unsigned short bits)
{
    return __uint_as_float(static_cast<unsigned int>(bits) << 16); // exact
}

template <class E> __device__ __forceinline__ float widen(typename E::storage v);
template <> __device__ __forceinline__ float widen<ElemF32>(float v) { return v; }
template <> __device__ __forceinline__ float widen<ElemF16>(unsigned short v) { return widen_f16(v); }
template <> __device__ __forceinline__ float widen<ElemBF16>(unsigned short v) { return widen_bf16(v); }

// Eight consecutive elements (16- or 32-byte aligned: offsets are multiples of 8 elements, d being 64 or 128).
template <class E> __device__ __forceinline__ void load8(const typename E::storage* p, float (&out)[8]);

template <> __device__ __forceinline__ void load8<ElemF32>(const float* p, float (&out)[8])
{
    const float4 a = __ldg(reinterpret_cast<const float4*>(p));
    const float4 b = __ldg(reinterpret_cast<const float4*>(p) + 1);
    out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
    out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
}

__device__ __forceinline__ void unpack16x8(const uint4 raw, bool bf16, float (&out)[8])
{
    const unsigned int w[4] = { raw.x, raw.y, raw.z, raw.w };
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        const unsigned short lo = static_cast<unsigned short>(w[i] & 0xFFFFu);
        const unsigned short hi = static_cast<unsigned short>(w[i] >> 16);
        out[2 * i] = bf16 ? widen_bf16(lo) : widen_f16(lo);
        out[2 * i + 1] = bf16 ? widen_bf16(hi) : widen_f16(hi);
    }
}

template <> __device__ __forceinline__ void load8<ElemF16>(const unsigned short* p, float (&out)[8])
{
    unpack16x8(__ldg(reinterpret_cast<const uint4*>(p)), false, out);
}

template <> __device__ __forceinline__ void load8<ElemBF16>(const unsigned short* p, float (&out)[8])
{
    unpack16x8(__ldg(reinterpret_cast<const uint4*>(p)), true, out);
}

// Element offset of token t of head h of batch b: b·sb + h·sh + t·st (HND or NHD alike; channels contiguous).
struct TensorStrides
{
    long long batch, head, token;
};

__device__ __forceinline__ long long token_offset(const TensorStrides s, int b, int h, int t)
{
    return static_cast<long long>(b) * s.batch + static_cast<long long>(h) * s.head + static_cast<long long>(t) * s.token;
}

// cvt.rni.sat.s8.f32: round to nearest even, clamp to [-128, 127], NaN -> 0 (the spec's INT8 rounding).
__device__ __forceinline__ int cvt_rni_sat_s8(float x)
{
    int r;
    asm("cvt.rni.sat.s8.f32 %0, %1;" : "=r"(r) : "f"(x));
    return static_cast<int>(static_cast<signed char>(r & 0xFF));
}

// cvt.rni.s32.f32 then clamp to [-7, 7] (the spec's INT4 rounding; NaN -> 0).
__device__ __forceinline__ int cvt_rni_s4_symmetric(float x)
{
    int r;
    asm("cvt.rni.s32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r < -7 ? -7 : (r > 7 ? 7 : r);
}

// cvt.rn.satfinite.e4m3x2.f32: the code of `hi` in bits 15..8, of `lo` in bits 7..0.
__device__ __forceinline__ unsigned int cvt_e4m3x2(float hi, float lo)
{
    unsigned short packed;
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(packed) : "f"(hi), "f"(lo));
    return packed;
}

// Maximum of non-negative floats through their bit patterns (monotone for +0 .. +inf).
__device__ __forceinline__ void shared_max(unsigned int* slot, float nonNegative)
{
    if (nonNegative > 0.0f) atomicMax(slot, __float_as_uint(nonNegative));
}

// Eight INT8 codes as two words, code i in byte i mod 4 of word i / 4 (the byte order of a row in memory).
__device__ __forceinline__ void pack_int8x8(const int (&q)[8], unsigned int (&w)[2])
{
    w[0] = w[1] = 0u;
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        w[0] |= (static_cast<unsigned int>(q[i]) & 0xFFu) << (8 * i);
        w[1] |= (static_cast<unsigned int>(q[i + 4]) & 0xFFu) << (8 * i);
    }
}

// Eight quantised values of one row at channel c0 (a multiple of 8) of row `row` of the output.
__device__ __forceinline__ void store_quantized(signed char* __restrict__ out, long long row, int headDim, int c0,
                                                const int (&q)[8], int int4)
{
    if (int4)
    {
        unsigned int word = 0u;
#pragma unroll
        for (int i = 0; i < 8; ++i) word |= (static_cast<unsigned int>(q[i]) & 0xFu) << (4 * i);
        *reinterpret_cast<unsigned int*>(out + row * (headDim / 2) + c0 / 2) = word;
    }
    else
    {
        unsigned int w[2];
        pack_int8x8(q, w);
        *reinterpret_cast<uint2*>(out + row * headDim + c0) = make_uint2(w[0], w[1]);
    }
}

__device__ __forceinline__ void quantize8(const float (&x)[8], float scale, int int4, int (&q)[8])
{
#pragma unroll
    for (int i = 0; i < 8; ++i)
    {
        const float ratio = __fdiv_rn(x[i], scale); // div.rn.f32, never x × (1/scale)
        q[i] = int4 ? cvt_rni_s4_symmetric(ratio) : cvt_rni_sat_s8(ratio);
    }
}

// Q quantisation group of local row r inside a 64-row block (§3): PerThread (r/16)·8 + r mod 8, PerWarp r/16, PerBlock 0.
__device__ __forceinline__ int query_group(int granularity, int r)
{
    return granularity == SAGE_PER_THREAD ? ((r >> 4) << 3) + (r & 7) : (granularity == SAGE_PER_WARP ? (r >> 4) : 0);
}
