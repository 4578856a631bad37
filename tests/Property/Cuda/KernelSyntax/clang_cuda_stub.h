// What NVRTC gives every kernel source without an include, for a front-end check of the kernels with clang (check.sh):
// the CUDA keywords, the vector types, and declarations of the intrinsics clang's own CUDA headers lack. Declarations
// only: nothing is generated or linked, so this checks names, types, overloads and template instantiation, not PTX
// (the inline asm strings, register counts and sm_90 instructions are ptxas's, on the GPU machine).
#pragma once
typedef __SIZE_TYPE__ size_t;
#define CUDA_VERSION 12000
#define INT_MAX 2147483647
#define INT_MIN (-INT_MAX - 1)
#define HUGE_VAL __builtin_huge_val()
#define HUGE_VALF __builtin_huge_valf()
typedef unsigned int cuuint32_t;

#define __host__ __attribute__((host))
#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define __grid_constant__
#define __align__(n) __attribute__((aligned(n)))

// NAME1..NAME4 of element type T (size S bytes) and their make_ functions, aligned as CUDA's vector_types.h has them.
#define SAGE_VECTOR(NAME, T, S)                                                                                        \
    struct __attribute__((aligned(S))) NAME##1 { T x; };                                                               \
    struct __attribute__((aligned(2 * S))) NAME##2 { T x, y; };                                                        \
    struct __attribute__((aligned(S))) NAME##3 { T x, y, z; };                                                         \
    struct __attribute__((aligned(4 * S > 16 ? 16 : 4 * S))) NAME##4 { T x, y, z, w; };                                \
    static __inline__ __host__ __device__ NAME##1 make_##NAME##1(T x) { NAME##1 r = { x }; return r; }                  \
    static __inline__ __host__ __device__ NAME##2 make_##NAME##2(T x, T y) { NAME##2 r = { x, y }; return r; }          \
    static __inline__ __host__ __device__ NAME##3 make_##NAME##3(T x, T y, T z) { NAME##3 r = { x, y, z }; return r; }  \
    static __inline__ __host__ __device__ NAME##4 make_##NAME##4(T x, T y, T z, T w) { NAME##4 r = { x, y, z, w }; return r; }
SAGE_VECTOR(char, signed char, 1) SAGE_VECTOR(uchar, unsigned char, 1) SAGE_VECTOR(short, short, 2)
SAGE_VECTOR(ushort, unsigned short, 2) SAGE_VECTOR(int, int, 4) SAGE_VECTOR(uint, unsigned int, 4)
SAGE_VECTOR(long, long, 8) SAGE_VECTOR(ulong, unsigned long, 8) SAGE_VECTOR(longlong, long long, 8)
SAGE_VECTOR(ulonglong, unsigned long long, 8) SAGE_VECTOR(float, float, 4) SAGE_VECTOR(double, double, 8)
#undef SAGE_VECTOR

#include <__clang_cuda_builtin_vars.h>
#include <__clang_cuda_libdevice_declares.h>
#include <__clang_cuda_device_functions.h>
#include <__clang_cuda_intrinsics.h>
#include <__clang_cuda_math.h>

__device__ int atomicMax(int*, int);
__device__ unsigned int atomicMax(unsigned int*, unsigned int);
__device__ unsigned long long atomicMax(unsigned long long*, unsigned long long);
__device__ int atomicMin(int*, int);
__device__ unsigned int atomicMin(unsigned int*, unsigned int);
__device__ unsigned long long atomicMin(unsigned long long*, unsigned long long);
__device__ int atomicAdd(int*, int);
__device__ unsigned int atomicAdd(unsigned int*, unsigned int);
__device__ unsigned long long atomicAdd(unsigned long long*, unsigned long long);
__device__ float atomicAdd(float*, float);
__device__ unsigned int __reduce_max_sync(unsigned int, unsigned int);
__device__ unsigned int __reduce_or_sync(unsigned int, unsigned int);
__device__ unsigned int __reduce_add_sync(unsigned int, unsigned int);
__device__ size_t __cvta_generic_to_shared(const void*);
__device__ void __nanosleep(unsigned int);
__device__ void __trap();
__device__ float __ldcg(const float*);
__device__ unsigned int __ldcg(const unsigned int*);
__device__ int __ldcg(const int*);
