// Main-loop kernels, serial variant (CudaAttention's default): per tile QKᵀ -> softmax -> PV within a warpgroup; the
// two warpgroups of the CTA and the cp.async/mbarrier ring overlap each other (attention_pipelined.cuh).
#include "attention_pipelined.cuh"

SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32, 64, SAGE_MODE_FP32, false)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level, 64, SAGE_MODE_FP32_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level, 64, SAGE_MODE_FP16_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32, 128, SAGE_MODE_FP32, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level, 128, SAGE_MODE_FP32_TWO_LEVEL, false)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level, 128, SAGE_MODE_FP16_TWO_LEVEL, false)
