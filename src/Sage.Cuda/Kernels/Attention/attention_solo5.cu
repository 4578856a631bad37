// Main-loop kernels, "solo5" variant (SAGE_ATTENTION_KERNEL=solo5): solo4 (three one-warpgroup CTAs per SM at d = 128,
// four at d = 64) with the QKᵀ of tile kt + 1 issued before the two-level update of tile kt (SAGE_SOLO_EARLY_QK), so
// the update runs while the tensor cores multiply. Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_EARLY_QK 1
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
