// Main-loop kernels, "solo" variant (SAGE_ATTENTION_KERNEL=solo): one warpgroup per CTA = one 64-row query block, two
// independent CTAs per SM, K/V tiles by TMA from one thread, the overlap loop (QKᵀ of tile kt + 1 and PV of tile kt in
// flight during the softmax of tile kt + 1) inside each CTA (attention_solo.cuh). Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 2
#define SAGE_SOLO_OVERLAP 1
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 3 : 4)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
