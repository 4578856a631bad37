// The main-loop kernels (CudaAttention): the solo CTA of attention_solo.cuh, registers budgeted for three CTAs per SM
// at d = 128 and four at d = 64 (SAGE_SOLO_MIN_BLOCKS, SAGE_SOLO_STAGES there), and at d = 128 the shared CTA of three
// warpgroups on one K/V stage ring (SAGE_SHARE_STAGES).
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
SAGE_SHARE_KERNELS()
