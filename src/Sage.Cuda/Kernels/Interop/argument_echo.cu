// Writes every scalar parameter back as raw bits, so the host can check that each KernelArgument
// reached the kernel with the right size, position and value. It includes the fp16 and fp8 headers
// to prove the CUDA include path is set up for NVRTC.
#include <cuda_fp16.h>
#include <cuda_fp8.h>

extern "C" __global__ void argument_echo(unsigned long long* out, int i, unsigned int u, long long l,
                                         unsigned long long ul, float f, double d, __half h)
{
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    out[0] = static_cast<unsigned long long>(static_cast<long long>(i));
    out[1] = u;
    out[2] = static_cast<unsigned long long>(l);
    out[3] = ul;
    out[4] = __float_as_uint(f);
    out[5] = static_cast<unsigned long long>(__double_as_longlong(d));
    out[6] = __half_as_ushort(h);
    // cvt.rn.satfinite.e4m3x2.f32 of f, low byte: 1.5f encodes as 0x3c.
    out[7] = static_cast<unsigned long long>(__nv_cvt_float_to_fp8(f, __NV_SATFINITE, __NV_E4M3));
}
