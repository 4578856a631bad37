// Main-loop kernels, overlap variant (CudaAttention variant "overlap", SAGE_ATTENTION_KERNEL=overlap): QKᵀ of tile
// kt + 1 and PV of tile kt in flight while the softmax of tile kt + 1 runs (attention_pipelined.cuh). Same bits.
#include "attention_pipelined.cuh"

SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32, 64, SAGE_MODE_FP32, true)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp32_two_level, 64, SAGE_MODE_FP32_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d64_fp16_two_level, 64, SAGE_MODE_FP16_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32, 128, SAGE_MODE_FP32, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp32_two_level, 128, SAGE_MODE_FP32_TWO_LEVEL, true)
SAGE_ATTENTION_KERNEL(sage_attention_d128_fp16_two_level, 128, SAGE_MODE_FP16_TWO_LEVEL, true)
