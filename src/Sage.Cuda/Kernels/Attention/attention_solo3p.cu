// Main-loop kernels, "solo3p" variant (SAGE_ATTENTION_KERNEL=solo3p): solo3 with only the PV product cut into its two
// 64-token halves (attention_split_tile.cuh; QKᵀ stays one N = 128 wgmma group): the exp2 of tokens 64..127 runs while
// the PV of tokens 0..63 is in the tensor cores, and h0 is added into acc_o while the PV of tokens 64..127 runs. Same
// bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_SPLIT 1
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 4)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
