// Launch 3 as a ring (GpuPreprocessor.CodesSchedule.Ring, session 32): the K codes and the one-pass V codes of
// preprocess_quantize_kv_onepass_*, the same items with the same arithmetic, in a persistent grid that holds few CTAs and
// keeps its input rows in flight through the copy engine instead of in registers.
//
// Why: the per-tile launch 3 (one item per CTA, rows loaded into registers, 3 CTAs per SM) moves its 201 MB at 2K d = 128
// in about 98 µs, 2.05 TB/s, because each CTA has loads in flight only in its first phase. A session-32 probe
// (docs/results/probes/session32-dedicated-sm) streamed 16 KiB chunks through shared memory with cp.async.bulk and
// quantised them without CTA barriers: the copy alone reached 74-96 GB/s per SM on 8-32 SMs, and with the quantisation
// about 40 GB/s per SM, twice the per-tile launch's rate per SM. The same form is what a producer on a few SMs beside the
// main loop would need.
//
// Structure: grid = P CTAs (one per SM: SAGE_RING_STAGES stages of 32 KiB), one producer warp and SAGE_RING_TEAMS
// consumer teams of SAGE_RING_TEAM_THREADS threads. Items: the K tiles (BHkv · tiles: 128 tokens × D) and the V items
// (BHkv · D/8: 8 channels × every token, value_onepass's item), after the Q items where the ring has them (in the order
// of ring_item_kind). CTA c takes items c, c + P, c + 2P, ...; its k-th item is
// loaded into stage k mod STAGES by the producer's lane 0 (a copy-engine load on a byte view of the 16-bit input: HND,
// rank 2, row = (b·Hkv + h)·length + token; NHD, rank 3, (channel byte, h, b·length + token), whose box of one head
// lands as the same rows) and worked on by team k mod TEAMS, which reads the rows from shared
// memory (twice: the group maxima, then the codes) and releases the stage (one arrival per warp).
//
// Arithmetic: key_tile's and value_onepass's, operation for operation, with a team's threads per item: the same
// widening, the same K mean subtraction (fsub_rn), the same exact maxima (fmaxf, shared atomicMax on the bits, redux.sync),
// the same divisions and reciprocals, quantize8_fast, store_quantized, quotient_bracket and value_code_word. So the
// bytes are the per-tile launch's (tests/Gpu RingCodesTests).
#pragma once
#include "async_copy.cuh" // the mbarriers and TMA loads the main loop uses, SageTensorMap

#ifndef SAGE_RING_STAGES
#define SAGE_RING_STAGES 6
#endif
// Three teams of 256 threads since session 51 (were five of 128, four before session 50). Each team holds its stage for
// the whole item, so with five teams in six stages one stage at most was loading ahead of the teams; three teams of 256
// threads keep 24 consumer warps (five of 128 kept 20) and leave three stages to the copy engine, and the busiest team
// takes 16 items where the average is 15.5 (10 against 9.3 with five teams). H200, 2K, GPU alone (A/B, call 4 of
// docs/results/gpu-run-session51-2026-11-28.md): pre-processing 0.1128 → 0.1090 ms at d = 128 and 0.0661 → 0.0603 at
// d = 64. Two teams of 256 were slower (0.1206), and so was keeping an item's rows in registers to free its stage after
// the first pass (spills and a fully unrolled loop: 0.21 ms; probes/session51-ring-early-release.patch).
#ifndef SAGE_RING_TEAMS
#define SAGE_RING_TEAMS 3
#endif
// Threads per consumer team (a power of two: a thread's place in its team is a mask).
#ifndef SAGE_RING_TEAM_THREADS
#define SAGE_RING_TEAM_THREADS 256
#endif
#define SAGE_RING_TEAM_WARPS (SAGE_RING_TEAM_THREADS / 32)
#define SAGE_RING_THREADS (SAGE_RING_TEAMS * SAGE_RING_TEAM_THREADS + 32)
#define SAGE_RING_STAGE_BYTES (SAGE_ONEPASS_TOKENS * 16) // a V item: every token × 8 channels of 2 bytes; a K tile is at most this
#define SAGE_RING_V_BOX_ROWS 256                         // rows per V box (the copy engine's limit)

// The team's threads (named barrier 1 + team; 0 is __syncthreads).
__device__ __forceinline__ void ring_team_sync(int team)
{
    asm volatile("bar.sync %0, %1;\n" ::"r"(1 + team), "n"(SAGE_RING_TEAM_THREADS) : "memory");
}

// 8 elements of a staged row (16 bytes of shared memory).
template <class E> __device__ __forceinline__ Raw8<E> ring_row8(const unsigned char* p)
{
    Raw8<E> r;
    r.a = *reinterpret_cast<const uint4*>(p);
    return r;
}

// key_tile (3a) for the tile staged at `rows` (128 rows of D 16-bit elements, row r at r·2D bytes; rows past the sequence
// hold another head's tokens or zeros and are never read). Thread = (8 channels, rows firstRow + i·RPP) of the team's T;
// RPP = T / (D / 8) (16 at D = 128 and 32 at D = 64 for T = 256) is a multiple of 8, so a thread's rows share one
// per-thread group, as in key_tile.
// `slots`: the team's group maxima for this item, zeroed by the team before its previous barrier.
template <class E, int D>
__device__ __forceinline__ void ring_key_tile(int tileIndex, const unsigned char* rows, int wtid, int team, int length, int tiles,
                                              const float* __restrict__ mean, int granularity, int int4,
                                              float* __restrict__ scales, signed char* __restrict__ quantized,
                                              int paddedLength, unsigned int* slots)
{
    constexpr int CPR = D / 8;
    constexpr int RPP = SAGE_RING_TEAM_THREADS / CPR;
    constexpr int ROWS = SAGE_KEY_TILE / RPP;
    static_assert(RPP % 8 == 0, "a thread's rows share t mod 8");
    const int tile = tileIndex % tiles;
    const long long bh = tileIndex / tiles;
    const int c0 = (wtid % CPR) * 8;
    const int firstRow = wtid / CPR;
    const int t0 = tile * SAGE_KEY_TILE;
    float m8[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) m8[j] = mean != nullptr ? mean[bh * D + c0 + j] : 0.0f;

    const int groups = granularity == SAGE_PER_THREAD ? 4 : 1;
    const int group = granularity == SAGE_PER_THREAD ? ((firstRow & 7) >> 1) : 0;
    // Partly unrolled: fully unrolled, the team loop held both item kinds in about 12,000 instructions, and ncu's top
    // stall was "no instruction" (6.3 cycles per issue, session 32): four teams in different items thrashed the
    // instruction cache. The rows come from shared memory, so no register holds them across iterations.
    float amax = 0.0f;
#pragma unroll 4
    for (int i = 0; i < ROWS; ++i)
    {
        const int r = firstRow + i * RPP;
        if (t0 + r >= length) continue;
        float x[8];
        widen8<E>(ring_row8<E>(rows + r * 2 * D + 2 * c0), x);
        if (mean != nullptr)
        {
#pragma unroll
            for (int j = 0; j < 8; ++j) x[j] = __fsub_rn(x[j], m8[j]);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) amax = fmaxf(amax, fabsf(x[j]));
    }
    amax = row_lanes_max<CPR>(amax);
    if ((wtid % CPR) == 0) shared_max(&slots[group], amax);
    ring_team_sync(team);

    const float qmax = int4 ? 7.0f : 127.0f;
    if (wtid < groups) scales[(bh * tiles + tile) * groups + wtid] = __fdiv_rn(__uint_as_float(slots[wtid]), qmax);
    const float scale = __fdiv_rn(__uint_as_float(slots[group]), qmax);
    const QuotientBracket bracket = quotient_bracket(scale);
#pragma unroll 4
    for (int i = 0; i < ROWS; ++i)
    {
        const int r = firstRow + i * RPP;
        const int t = t0 + r;
        int qv[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        if (t < length && scale != 0.0f)
        {
            float x[8];
            widen8<E>(ring_row8<E>(rows + r * 2 * D + 2 * c0), x);
            if (mean != nullptr)
            {
#pragma unroll
                for (int j = 0; j < 8; ++j) x[j] = __fsub_rn(x[j], m8[j]);
            }
            quantize8_fast(x, scale, bracket, int4, qv);
        }
        store_quantized(quantized, bh * paddedLength + t, D, c0, qv, int4);
    }
}

// value_onepass (3c) for the item staged at `rows` (every token of 8 channels, row t at 16·t bytes; rows at or past the
// sequence end are never read: they count as +0, as value_onepass's zero rows). Unit u = wtid + T·k for a team of T
// threads (16-token group u / 4, quad u mod 4), as value_onepass's u = tid + 256k: a warp's 32 units at one k are one
// 128-token tile, tile warp + (T / 32)·k. `amaxSlots` [T / 32][8] and `code` [8] are the team's.
// Token m of a unit sits at 16·unit_row(u, m) bytes: 256·(u / 4) + 32·(u mod 4) + 16·(m mod 2) + 128·(m / 2), so at one
// m every lane's 16 bytes fall in the same four of the eight 16-byte bank groups, and each quarter-warp's LDS.128 took
// two wavefronts (ncu, session 42). Lanes with bit 2 of u set (SAGE_RING_V_SWAP) read m ^ 1 in slot m: a quarter-warp
// then covers all eight groups. The amax pass is order-free; the code pass computes the word of the swapped tokens,
// whose bytes are the true word's with each half's two bytes exchanged (value_code_word is bytewise in m, and its
// fallback test compares whole words, the same under any order), and exchanges them back with one PRMT.
#ifndef SAGE_RING_V_SWAP
#define SAGE_RING_V_SWAP 1
#endif
template <class E, int D>
__device__ __forceinline__ void ring_value_item(int index, const unsigned char* rows, int wtid, int team, int length,
                                                int paddedLength, float vMax, float* __restrict__ vScales,
                                                unsigned char* __restrict__ codes, float (*amaxSlots)[8], float4* code)
{
    constexpr int CPR = D / 8;
    constexpr int UNITS = SAGE_ONEPASS_TOKENS / 4 / SAGE_RING_TEAM_THREADS; // units per thread at the longest length
    const long long bh = index / CPR;
    const int c0 = (index % CPR) * 8;
    const int lane = wtid & 31, warp = wtid >> 5;
    const int units = paddedLength / 4;
    const int swap = SAGE_RING_V_SWAP ? (wtid >> 2) & 1 : 0; // bit 2 of u = wtid + 128k
    const unsigned int restore = swap ? 0x2301u : 0x3210u;  // PRMT selector: the true word from the swapped one
    const auto unit_row = [&](int u, int m) { return 16 * (u >> 2) + 2 * (u & 3) + (m & 1) + 8 * (m >> 1); };
    const auto row_of = [&](int u, int m) {
        const int t = unit_row(u, m);
        return u < units && t < length ? ring_row8<E>(rows + 16 * t) : zero_raw8<E>();
    };

    float amax[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) amax[i] = 0.0f;
#pragma unroll 1 // as ring_key_tile's loops: the instruction cache
    for (int k = 0; k < UNITS; ++k)
    {
        float m8[8];
        unsigned int seen = 0u; // bit i: a value of channel i that is not NaN
#pragma unroll
        for (int i = 0; i < 8; ++i) m8[i] = 0.0f;
        const int u = wtid + k * SAGE_RING_TEAM_THREADS;
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            if (u >= units || unit_row(u, m ^ swap) >= length) continue;
            float y[8];
            widen8<E>(row_of(u, m ^ swap), y);
#pragma unroll
            for (int i = 0; i < 8; ++i)
            {
                m8[i] = fmaxf(m8[i], fabsf(y[i]));
                if (y[i] == y[i]) seen |= 1u << i;
            }
        }
        const unsigned int seenTile = __reduce_or_sync(0xFFFFFFFFu, seen);
        const int tile = warp + k * (SAGE_RING_TEAM_THREADS / 32);
#pragma unroll
        for (int i = 0; i < 8; ++i)
        {
            const float tileMax = __uint_as_float(__reduce_max_sync(0xFFFFFFFFu, __float_as_uint(m8[i])));
            if (tile * SAGE_KEY_TILE < length)
                amax[i] = fmaxf(amax[i], (seenTile >> i) & 1u ? tileMax : __int_as_float(0x7F800000));
        }
    }
    if (lane == 0)
    {
#pragma unroll
        for (int i = 0; i < 8; ++i) amaxSlots[warp][i] = amax[i];
    }
    ring_team_sync(team);
    if (wtid < 8)
    {
        float a = 0.0f;
#pragma unroll
        for (int w = 0; w < SAGE_RING_TEAM_THREADS / 32; ++w) a = fmaxf(a, amaxSlots[w][wtid]);
        const float sc = __fdiv_rn(a, vMax);
        vScales[bh * D + c0 + wtid] = sc;
        const QuotientBracket r = quotient_bracket(sc);
        code[wtid] = make_float4(r.lo, r.hi, sc, __uint_as_float(sc != 0.0f ? 0xFFFFFFFFu : 0u));
    }
    ring_team_sync(team);

#pragma unroll 1
    for (int k = 0; k < UNITS; ++k)
    {
        const int u = wtid + k * SAGE_RING_TEAM_THREADS;
        if (u >= units) break;
        float x[4][8];
        bool real[4];
#pragma unroll
        for (int m = 0; m < 4; ++m)
        {
            real[m] = unit_row(u, m ^ swap) < length;
            widen8<E>(row_of(u, m ^ swap), x[m]);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j)
            *reinterpret_cast<unsigned int*>(codes + (bh * D + c0 + j) * paddedLength + 4 * u) =
                __byte_perm(value_code_word(x, j, real, code[j]), 0u, restore);
    }
}

// The Q items (sessions 41-42; RingQueriesTests): with SmoothK's strided mean the Q blocks need no statistic of another
// item, so the ring can quantise them too, in place of launch 1. Item = two 64-row blocks of one head (128 rows, a K
// tile's geometry: row r at r·2D bytes), the arithmetic of query_blocks without SmoothQ, operation for operation: the
// row's |x| maxima (fmaxf), one shared atomic per row into its group (query_group), scale = amax ⊘ qmax, the stored
// q_scale scale ⊗ LOG2E_SCALE, quotient_bracket, quantize8_fast, store_quantized, zero codes for rows past the
// sequence end. Three team barriers per item: maxima zeroed, maxima complete, scales and brackets written.
struct RingQuerySlots
{
    unsigned int amax[2][32];
    float scale[2][32];
    QuotientBracket bracket[2][32];
};

template <class E, int D>
__device__ __forceinline__ void ring_query_item(int index, const unsigned char* rows, int wtid, int team, int length, int tilesPerHead,
                                                int granularity, int int4, float log2eScale, float* __restrict__ scales, int groupCount,
                                                signed char* __restrict__ quantized, RingQuerySlots& slots)
{
    const int paddedLength = tilesPerHead * SAGE_KEY_TILE; // Q's padded length: whole 128-row items
    constexpr int CPR = D / 8;
    constexpr int RPP = SAGE_RING_TEAM_THREADS / CPR;
    constexpr int ROWS = SAGE_KEY_TILE / RPP;
    const int tile = index % tilesPerHead; // blocks 2·tile and 2·tile + 1 of head bh
    const long long bh = index / tilesPerHead;
    const int c0 = (wtid % CPR) * 8;
    const int firstRow = wtid / CPR;
    const int t0 = tile * SAGE_KEY_TILE;
    // The group maxima: zeroed, then the barrier. The team's previous Q item read them before its second barrier, which
    // every thread has passed.
    if (wtid < 64) (&slots.amax[0][0])[wtid] = 0u;
    ring_team_sync(team);
#pragma unroll 4
    for (int i = 0; i < ROWS; ++i)
    {
        const int r = firstRow + i * RPP;
        float amax = 0.0f;
        if (t0 + r < length)
        {
            float x[8];
            widen8<E>(ring_row8<E>(rows + r * 2 * D + 2 * c0), x);
#pragma unroll
            for (int j = 0; j < 8; ++j) amax = fmaxf(amax, fabsf(x[j]));
        }
        amax = row_lanes_max<CPR>(amax); // every lane takes part: rows past the end give 0
        if ((wtid % CPR) == 0) shared_max(&slots.amax[r >> 6][query_group(granularity, r & 63)], amax);
    }
    ring_team_sync(team);

    const float qmax = int4 ? 7.0f : 127.0f;
    const int groupsPerBlock = granularity == SAGE_PER_THREAD ? 32 : (granularity == SAGE_PER_WARP ? 4 : 1);
    if (wtid < 64)
    {
        const int n = wtid >> 5, g = wtid & 31;
        const float scale = __fdiv_rn(__uint_as_float(slots.amax[n][g]), qmax);
        slots.scale[n][g] = scale;
        slots.bracket[n][g] = quotient_bracket(scale);
        const int global = (2 * tile + n) * groupsPerBlock + g;
        if (g < groupsPerBlock && global < groupCount) scales[bh * groupCount + global] = __fmul_rn(scale, log2eScale);
    }
    ring_team_sync(team);

#pragma unroll 4
    for (int i = 0; i < ROWS; ++i)
    {
        const int r = firstRow + i * RPP;
        const int n = r >> 6, group = query_group(granularity, r & 63);
        const float scale = slots.scale[n][group];
        int qv[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        if (t0 + r < length && scale != 0.0f)
        {
            float x[8];
            widen8<E>(ring_row8<E>(rows + r * 2 * D + 2 * c0), x);
            quantize8_fast(x, scale, slots.bracket[n][group], int4, qv);
        }
        store_quantized(quantized, bh * paddedLength + t0 + r, D, c0, qv, int4);
    }
}

// An item's kind and its index among its kind: qItems Q items first, then the K tiles and V's items, the V items first
// where there are Q items (the ring is then the trimmed mean's programmatic dependent, and the K tiles, which alone read
// the mean, come last so that they rarely wait for it).
#define SAGE_RING_Q 0
#define SAGE_RING_K 1
#define SAGE_RING_V 2
__device__ __forceinline__ int ring_item_kind(int item, int qItems, int keyTiles, int items, int& index)
{
    if (item < qItems)
    {
        index = item;
        return SAGE_RING_Q;
    }
    const int j = item - qItems, valueItems = items - qItems - keyTiles;
    if (qItems > 0)
    {
        index = j < valueItems ? j : j - valueItems;
        return j < valueItems ? SAGE_RING_V : SAGE_RING_K;
    }
    index = j < keyTiles ? j : j - keyTiles;
    return j < keyTiles ? SAGE_RING_K : SAGE_RING_V;
}

// The box of `rows` tokens from token `token` of head bh, byte x of the row, into dst: HND (nhd = 0) a rank-2 map of
// [BHkv·length rows, 2D bytes]; NHD a rank-3 map of [B·length tokens, Hkv heads, 2D bytes] with a box of one head. Both
// put row r of the box at dst + r·(box width): the same staged rows.
__device__ __forceinline__ void ring_load_rows(void* dst, const SageTensorMap* map, int x, long long bh, int token, int length,
                                               int nhd, int kvHeads, unsigned long long* bar)
{
    if (nhd)
        tma_load_3d(dst, map, x, static_cast<int>(bh % kvHeads), static_cast<int>((bh / kvHeads) * length) + token, bar);
    else tma_load_2d(dst, map, x, static_cast<int>(bh * length) + token, bar);
}

// The kernel body. mapK: the K input as bytes, box 2D × 128 rows; mapV: V likewise, box 16 × 256 (ring_load_rows).
template <class E, int D>
__device__ __forceinline__ void quantize_kv_ring(const SageTensorMap* mapK, const SageTensorMap* mapV, int nhd, int kvHeads, int length, int tiles,
                                                 int keyTiles, int items, const float* __restrict__ keyMean, int granularity,
                                                 int int4, float* __restrict__ kScales, signed char* __restrict__ kQuantized,
                                                 int paddedLength, float* __restrict__ vScales,
                                                 unsigned char* __restrict__ codes, float vMax, const SageTensorMap* mapQ,
                                                 int qHeads, int qLength, int qTiles, int qItems, float log2eScale,
                                                 float* __restrict__ qScales, int qGroupCount, signed char* __restrict__ qQuantized)
{
    static_assert(sizeof(typename E::storage) == 2, "16-bit inputs (V in one pass)");
    static_assert(SAGE_KEY_TILE * 2 * D <= SAGE_RING_STAGE_BYTES, "a K tile fits a stage");
    static_assert((SAGE_RING_TEAM_THREADS & (SAGE_RING_TEAM_THREADS - 1)) == 0 && SAGE_RING_TEAM_THREADS >= 128 &&
                      SAGE_RING_TEAM_THREADS <= 512, "a team is 128, 256 or 512 threads");
    extern __shared__ __align__(1024) unsigned char ringStages[];
    __shared__ unsigned long long full[SAGE_RING_STAGES], empty[SAGE_RING_STAGES];
    __shared__ unsigned int keySlots[SAGE_RING_TEAMS][3][4]; // group maxima, three items deep (see the team loop)
    __shared__ float valueSlots[SAGE_RING_TEAMS][SAGE_RING_TEAM_WARPS][8];
    __shared__ float4 valueCodes[SAGE_RING_TEAMS][8];
    __shared__ RingQuerySlots querySlots[SAGE_RING_TEAMS];
    const int tid = threadIdx.x, warp = tid >> 5;
    if (tid < SAGE_RING_STAGES)
    {
        mbarrier_init(&full[tid], 1);
        mbarrier_init(&empty[tid], SAGE_RING_TEAM_WARPS); // one arrival per warp of the team that used the stage
    }
    if (tid < SAGE_RING_TEAMS * 3 * 4) (&keySlots[0][0][0])[tid] = 0u;
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    __syncthreads();

    if (warp == SAGE_RING_TEAMS * SAGE_RING_TEAM_WARPS)
    {
        // The producer: lane 0 loads item k into stage k mod STAGES once the team that used the stage last released it.
        if ((tid & 31) != 0) return;
        int k = 0;
        for (int item = blockIdx.x; item < items; item += gridDim.x, ++k)
        {
            const int s = k % SAGE_RING_STAGES;
            if (k >= SAGE_RING_STAGES) mbarrier_wait(&empty[s], static_cast<unsigned int>(k / SAGE_RING_STAGES - 1) & 1u);
            unsigned char* stage = ringStages + s * SAGE_RING_STAGE_BYTES;
            int index;
            const int kind = ring_item_kind(item, qItems, keyTiles, items, index);
            if (kind == SAGE_RING_Q)
            {
                mbarrier_expect_tx(&full[s], SAGE_KEY_TILE * 2 * D);
                ring_load_rows(stage, mapQ, 0, index / qTiles, (index % qTiles) * SAGE_KEY_TILE, qLength, nhd, qHeads, &full[s]);
            }
            else if (kind == SAGE_RING_K)
            {
                mbarrier_expect_tx(&full[s], SAGE_KEY_TILE * 2 * D);
                ring_load_rows(stage, mapK, 0, index / tiles, (index % tiles) * SAGE_KEY_TILE, length, nhd, kvHeads, &full[s]);
            }
            else
            {
                const int v = index;
                const int x = (v % (D / 8)) * 16;
                const int boxes = (length + SAGE_RING_V_BOX_ROWS - 1) / SAGE_RING_V_BOX_ROWS;
                mbarrier_expect_tx(&full[s], boxes * SAGE_RING_V_BOX_ROWS * 16);
                for (int j = 0; j < boxes; ++j)
                    ring_load_rows(stage + j * SAGE_RING_V_BOX_ROWS * 16, mapV, x, v / (D / 8), j * SAGE_RING_V_BOX_ROWS, length, nhd,
                                   kvHeads, &full[s]);
            }
        }
        return;
    }

    // Team `team` works on items k ≡ team (mod TEAMS). keySlots[team][n mod 3] serve its n-th item: the team zeroes the
    // slots of item n + 1 before item n's barrier, when every thread is past item n − 1's barrier and so past its reads
    // of item n − 2's slots (the same three), and no thread reaches item n + 1's atomics before item n's barrier.
    const int team = warp / SAGE_RING_TEAM_WARPS, wtid = tid & (SAGE_RING_TEAM_THREADS - 1);
    // Launched as a programmatic dependent (of launch 1 when it holds no Q blocks, or of the strided sample's trimmed mean
    // when the ring quantises Q), the producer copies rows (inputs) at once, and each team waits for the grid before it
    // (its K means and its memory) before its first K tile, the one item kind that reads them. A no-op in an ordinary
    // launch.
    bool waited = false;
    int n = 0;
    for (int k = team, item = blockIdx.x + team * gridDim.x; item < items; k += SAGE_RING_TEAMS, item += SAGE_RING_TEAMS * gridDim.x, ++n)
    {
        const int s = k % SAGE_RING_STAGES;
        mbarrier_wait(&full[s], static_cast<unsigned int>(k / SAGE_RING_STAGES) & 1u);
        const unsigned char* rows = ringStages + s * SAGE_RING_STAGE_BYTES;
        if (wtid < 4) keySlots[team][(n + 1) % 3][wtid] = 0u;
        int index;
        const int kind = ring_item_kind(item, qItems, keyTiles, items, index);
        if (kind == SAGE_RING_K)
        {
            if (!waited)
            {
                wait_for_prerequisite_grid();
                waited = true;
            }
            ring_key_tile<E, D>(index, rows, wtid, team, length, tiles, keyMean, granularity, int4, kScales, kQuantized,
                                paddedLength, keySlots[team][n % 3]);
        }
        else if (kind == SAGE_RING_Q)
            ring_query_item<E, D>(index, rows, wtid, team, qLength, qTiles, granularity, int4, log2eScale, qScales, qGroupCount,
                                  qQuantized, querySlots[team]);
        else
        {
            ring_value_item<E, D>(index, rows, wtid, team, length, paddedLength, vMax, vScales, codes, valueSlots[team],
                                  valueCodes[team]);
        }
        __syncwarp();
        if ((tid & 31) == 0) mbarrier_arrive(&empty[s]);
    }
}

// preprocess_quantize_kv_ring_{f16,bf16}_d{64,128}: launch 3's parameters where they apply, the two maps first.
#define SAGE_QUANTIZE_KV_RING(SUFFIX, ELEM, D)                                                                      \
    extern "C" __global__ void __launch_bounds__(SAGE_RING_THREADS, 1) preprocess_quantize_kv_ring_##SUFFIX##_d##D( \
        const __grid_constant__ SageTensorMap mapK, const __grid_constant__ SageTensorMap mapV, int nhd,           \
        int kvHeads, int length,                                                                                   \
        int tiles, int keyTiles, int items, const float* __restrict__ keyMean, int granularity, int int4,          \
        float* __restrict__ kScales, signed char* __restrict__ kQuantized, int paddedLength,                       \
        float* __restrict__ vScales, unsigned char* __restrict__ codes, float vMax,                                \
        const __grid_constant__ SageTensorMap mapQ, int qHeads, int qLength, int qTiles, int qItems, float log2eScale, \
        float* __restrict__ qScales, int qGroupCount, signed char* __restrict__ qQuantized)                        \
    {                                                                                                              \
        quantize_kv_ring<ELEM, D>(&mapK, &mapV, nhd, kvHeads, length, tiles, keyTiles, items, keyMean, granularity, int4, kScales, \
                                  kQuantized, paddedLength, vScales, codes, vMax, &mapQ, qHeads, qLength, qTiles,     \
                                  qItems, log2eScale, qScales, qGroupCount, qQuantized);                             \
    }

SAGE_QUANTIZE_KV_RING(f16, ElemF16, 64) SAGE_QUANTIZE_KV_RING(f16, ElemF16, 128)
SAGE_QUANTIZE_KV_RING(bf16, ElemBF16, 64) SAGE_QUANTIZE_KV_RING(bf16, ElemBF16, 128)
