// Exhaustive identity check of attention_int_to_float.cuh against cvt.rn.f32.s32 (run by
// tests/Gpu/Attention/ConversionFreeIdentityTests). counters[0]: mismatches; first[0]: the smallest mismatching
// integer + 2^22, 0xFFFFFFFF if none.
#include "attention_int_to_float.cuh"

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
      atomicAdd(&counters[0], 1ull);
      atomicMin(&first[0], (unsigned int)i);
    }
  }
}
