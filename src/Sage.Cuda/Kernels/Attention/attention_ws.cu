// Main-loop kernels, "ws" variant (SAGE_ATTENTION_KERNEL=ws): the warp-specialised CTA of attention_solo.cuh
// (SAGE_SOLO_WS): a producer warpgroup whose thread 0 issues every TMA load (24 registers after setmaxnreg) and two
// consumer warpgroups (240 registers) = the two 64-row blocks of one 128-row query tile, sharing a ring of K/V stages,
// each running the overlap loop (QKᵀ of tile kt + 1 and PV of tile kt in flight during a softmax), as FlashAttention-3
// does. One CTA per SM. Same bits as the other variants.
#define SAGE_SOLO_WS 1
#define SAGE_SOLO_MIN_BLOCKS 1
#define SAGE_SOLO_OVERLAP 1
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 5 : 6)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
