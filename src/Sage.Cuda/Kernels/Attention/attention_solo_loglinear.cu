// The main-loop kernels of attention_solo.cu under PEncoding.LogLinear (docs/kernel-spec.md §7.5, §7.8): the same
// names, CTAs and arithmetic except that each P code comes from its argument by three CUDA-core instructions per pair of
// scores (code_pass, log_linear_pair) instead of MUFU.EX2 and a conversion. A module of its own, compiled the first time a
// LogLinear call needs it, so that the default kernels' compile time does not double.
#define SAGE_P_LOGLINEAR 1
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
SAGE_SHARE_KERNELS()
