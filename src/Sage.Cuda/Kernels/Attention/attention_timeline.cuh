// Timing probe of the main loop (`sage bench --timeline`, which compiles it with SAGE_CTA_TIMELINE = N through
// SAGE_KERNEL_DEFINES; never in a default build). Thread 0 of each of the first N CTAs (linear index x + X·(y + Y·z))
// fills SAGE_TIMELINE_WORDS words (CtaTimeline.Parse reads them):
//   0  its SM | K tile count << 32          6  clock64 after its epilogue (exit)
//   1  clock64 at entry                     7  %globaltimer at entry (the clock's rate comes from the two timers)
//   2  after the prologue's CTA barrier     8  after the block's indices and tile count (thread 0 alone)
//   3  before its first QKᵀ (Q arrived)     9  after its barrier setup and first copies were issued (thread 0 alone)
//   4  its first QKᵀ completed              10 the epilogue after its CTA barrier (staged), or at its stores' start
//   5  after its K-tile loop                11 the epilogue with every output formed (v_scale arrived) and staged
// A few instructions per CTA; what the CTAs compute is unchanged. Words 10 and 11 are written where they happen (a global
// store each); the others are kept in registers and written at exit.
#pragma once
#ifdef SAGE_CTA_TIMELINE
#define SAGE_TIMELINE_WORDS 12
__device__ unsigned long long sage_cta_timeline[SAGE_CTA_TIMELINE * SAGE_TIMELINE_WORDS];
__device__ __forceinline__ unsigned long long timeline_clock()
{
    unsigned long long c;
    asm volatile("mov.u64 %0, %%clock64;\n" : "=l"(c)::"memory");
    return c;
}
__device__ __forceinline__ unsigned long long* timeline_slot()
{
    const unsigned long long cta = blockIdx.x + (unsigned long long)gridDim.x * (blockIdx.y + (unsigned long long)gridDim.y * blockIdx.z);
    return threadIdx.x == 0 && cta < SAGE_CTA_TIMELINE ? sage_cta_timeline + SAGE_TIMELINE_WORDS * cta : nullptr;
}
// Word `word` of this CTA's record := clock64 now (thread 0 only).
__device__ __forceinline__ void timeline_mark(int word)
{
    if (unsigned long long* slot = timeline_slot()) slot[word] = timeline_clock();
}
#define SAGE_TIMELINE(statement) statement
#else
#define SAGE_TIMELINE(statement)
#endif
