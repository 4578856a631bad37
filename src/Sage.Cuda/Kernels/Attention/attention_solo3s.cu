// Main-loop kernels, "solo3s" variant (SAGE_ATTENTION_KERNEL=solo3s): solo3 (three one-warpgroup CTAs per SM, serial
// loop, ≤ 168 registers) with both products of a tile cut into their 64-key halves (attention_split_tile.cuh): the
// scores of keys 0..63 are computed while the QKᵀ of keys 64..127 runs, the exp2 of tokens 64..127 while the PV of
// tokens 0..63 runs, and h0 is added into acc_o while the PV of tokens 64..127 runs. Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_SPLIT 2
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 4)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
