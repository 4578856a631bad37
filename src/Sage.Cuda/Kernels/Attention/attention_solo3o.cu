// Main-loop kernels, "solo3o" variant (SAGE_ATTENTION_KERNEL=solo3o): solo3s (split products, attention_split_tile.cuh)
// whose FP16 two-level kernels also issue QKᵀ half 0 of tile kt + 1 as soon as h0 of tile kt has been added, so that it
// runs while h1 is added and is complete when the next iteration starts (the other PV modes run as solo3s: their
// accumulators leave no registers for it under 168). Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_SPLIT 3
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 4)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
