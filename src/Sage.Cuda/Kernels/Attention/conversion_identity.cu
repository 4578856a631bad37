// Exhaustive identity checks of attention_exp2.cuh against the specified operations (run by
// tests/Gpu/Attention/ConversionFreeIdentityTests). counters[0]: exp2 mismatches, counters[1]: int -> float
// mismatches, counters[2]: mismatches of the branch-free exp2 of the main loop (attention_softmax_exp2.cuh);
// first[i]: the smallest mismatching input (bit pattern / integer + 2^22), 0xFFFFFFFF if none.
#include "attention_softmax_exp2.cuh"

extern "C" __global__ void exp2_shifter_identity(unsigned long long* counters, unsigned int* first)
{
  unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < (1ull << 32); i += stride)
  {
    float x = __uint_as_float((unsigned int)i);
    float a = sage_kernel_exp2(x), b = sage_exp2_shifter(x);
    if (__float_as_uint(a) != __float_as_uint(b))
    {
      atomicAdd(&counters[0], 1ull);
      atomicMin(&first[0], (unsigned int)i);
    }
  }
}

extern "C" __global__ void small_int_to_float_identity(unsigned long long* counters, unsigned int* first)
{
  const int range = 1 << 22;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i <= 2 * range; i += gridDim.x * blockDim.x)
  {
    int x = i - range;
    float a;
    asm("cvt.rn.f32.s32 %0, %1;" : "=f"(a) : "r"(x));
    float b = sage_small_int_to_float(x);
    if (__float_as_uint(a) != __float_as_uint(b))
    {
      atomicAdd(&counters[1], 1ull);
      atomicMin(&first[1], (unsigned int)i);
    }
  }
}

extern "C" __global__ void exp2_branchless_identity(unsigned long long* counters, unsigned int* first)
{
  unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < (1ull << 32); i += stride)
  {
    float x = __uint_as_float((unsigned int)i);
    float a = sage_kernel_exp2(x), b = sage_exp2_branchless(x);
    if (__float_as_uint(a) != __float_as_uint(b))
    {
      atomicAdd(&counters[2], 1ull);
      atomicMin(&first[2], (unsigned int)i);
    }
  }
}
