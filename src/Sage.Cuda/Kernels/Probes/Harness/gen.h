// Deterministic case generator. Twin: src/Sage.Emulation/TensorCores/ProbeCaseGenerator.cs (must stay identical).
#pragma once
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cuda_fp16.h>

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed, uint64_t index) : s(seed * 0xD1B54A32D192ED03ull + index) {}
  uint64_t next() {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

enum { FMT_E4M3 = 0, FMT_E5M2 = 1 };

static inline double fp8_value(int fmt, uint8_t b) {
  int s = b >> 7;
  int sig, e;
  double v;
  if (fmt == FMT_E4M3) {
    int ef = (b >> 3) & 15, m = b & 7;
    sig = ef == 0 ? m : 8 + m; e = ef == 0 ? -6 : ef - 7;
    v = ldexp((double)sig, e - 3);
  } else {
    int ef = (b >> 2) & 31, m = b & 3;
    sig = ef == 0 ? m : 4 + m; e = ef == 0 ? -14 : ef - 15;
    v = ldexp((double)sig, e - 2);
  }
  return s ? -v : v;
}

static inline uint8_t fp8_make(int fmt, int sign, int ef, int m) {
  if (fmt == FMT_E4M3) {
    if (ef == 15 && m == 7) m = 6;
    return (uint8_t)((sign << 7) | (ef << 3) | m);
  }
  return (uint8_t)((sign << 7) | (ef << 2) | m);
}

// One element under a mode (see ProbeCaseGenerator.cs for the meaning of each mode).
static inline uint8_t fp8_elem(int fmt, int mode, uint64_t x, uint64_t base, int idx, int K) {
  int emax = fmt == FMT_E4M3 ? 15 : 30;
  int mmask = fmt == FMT_E4M3 ? 7 : 3;
  int sign = (int)(x & 1);
  int m = (int)((x >> 1) & mmask);
  uint64_t u = x >> 8;
  int e;
  switch (mode) {
    case 1: e = 1 + (int)(base % (uint64_t)(emax - 1)) + (int)(u % 2); break;
    case 2: if (u % 4 == 0) return 0; e = (int)((u / 4) % (uint64_t)(emax + 1)); break;
    case 3: e = (u % 2 == 0) ? 0 : 1 + (int)((u / 2) % 3); break;
    case 5: if (u % 8 != 0) return 0; e = (int)((u / 8) % (uint64_t)(emax + 1)); break;
    case 6: e = emax - (int)(u % 3); break;
    case 7: e = (idx == (int)(base % (uint64_t)K)) ? emax : 1 + (int)(u % 4); break;
    default: e = (int)(u % (uint64_t)(emax + 1)); break;  // modes 0 and 4
  }
  return fp8_make(fmt, sign, e, m);
}

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline uint16_t half_rne_finite(double v) {
  // float first (exact for our sums? not always): both twins do (float)v then RNE to half.
  __half h = __float2half_rn((float)v);
  uint16_t bits; memcpy(&bits, &h, 2);
  if ((bits & 0x7C00) == 0x7C00) bits = (uint16_t)((bits & 0x8000) | 0x7BFF);
  return bits;
}

// Generates a[K], b[K] (FP8 bytes) and c (float bits, or half bits in the low 16 when accF16).
static inline void gen_fp8_case(int fmt, int K, bool accF16, uint64_t seed, uint64_t index,
                                uint8_t* a, uint8_t* b, uint32_t* c) {
  Rng rng(seed, index);
  uint64_t r = rng.next();
  int mode = (int)(r % 8), cmode = (int)((r >> 8) % 8);
  uint64_t base = r >> 16;
  if (mode == 4) {
    for (int i = 0; i < K / 2; i++) {
      a[i] = fp8_elem(fmt, 1, rng.next(), base, i, K);
      b[i] = fp8_elem(fmt, 1, rng.next(), base, i, K);
      a[i + K / 2] = (uint8_t)(a[i] ^ 0x80);
      b[i + K / 2] = b[i];
    }
    uint64_t r2 = rng.next();
    a[r2 % (uint64_t)K] = fp8_elem(fmt, 0, rng.next(), base, 0, K);
  } else {
    for (int i = 0; i < K; i++) {
      a[i] = fp8_elem(fmt, mode, rng.next(), base, i, K);
      b[i] = fp8_elem(fmt, mode, rng.next(), base, i, K);
    }
  }
  double s = 0;
  for (int i = 0; i < K; i++) s += fp8_value(fmt, a[i]) * fp8_value(fmt, b[i]);
  uint64_t y = rng.next();
  uint32_t sign = (uint32_t)(y >> 63);
  if (!accF16) {
    uint32_t bits;
    switch (cmode) {
      case 0: bits = 0; break;
      case 1: bits = f2u((float)(-s)); break;
      case 2: bits = f2u((float)ldexp(s, (int)(y % 16) - 8)); break;
      case 3: bits = (sign << 31) | ((uint32_t)(100 + (y >> 32) % 61) << 23) | (uint32_t)(y & 0x7FFFFF); break;
      case 4: bits = (sign << 31) | ((uint32_t)((y >> 32) % 40) << 23) | (uint32_t)(y & 0x7FFFFF); break;
      case 5: bits = (sign << 31) | ((uint32_t)(200 + (y >> 32) % 54) << 23) | (uint32_t)(y & 0x7FFFFF); break;
      case 6: bits = s == 0 ? (uint32_t)(y & 0x3FFF) : (f2u((float)s) ^ (uint32_t)(y & 0x3FFF)); break;
      default: bits = f2u((float)(-s)) ^ (uint32_t)(y & 1); break;
    }
    *c = bits;
  } else {
    uint16_t h;
    switch (cmode) {
      case 0: h = 0; break;
      case 1: h = half_rne_finite(-s); break;
      case 2: h = half_rne_finite(ldexp(s, (int)(y % 8) - 4)); break;
      case 3: h = (uint16_t)((sign << 15) | ((uint32_t)((y >> 32) % 31) << 10) | (uint32_t)(y & 0x3FF)); break;
      case 4: h = (uint16_t)((sign << 15) | ((uint32_t)(29 + (y >> 32) % 2) << 10) | (uint32_t)(y & 0x3FF)); break;
      case 5: h = (uint16_t)((sign << 15) | (uint32_t)(y & 0x3FF)); break;
      case 6: h = (uint16_t)(half_rne_finite(s) ^ (uint16_t)(y & 7)); if ((h & 0x7C00) == 0x7C00) h = (uint16_t)(h & 0x83FF); break;
      default: h = (uint16_t)(half_rne_finite(-s) ^ (uint16_t)(y & 1)); break;
    }
    *c = h;
  }
}

static inline void gen_s8_case(int K, uint64_t seed, uint64_t index, int8_t* a, int8_t* b, int32_t* c) {
  Rng rng(seed, index);
  uint64_t r = rng.next();
  int mode = (int)(r % 4), cmode = (int)((r >> 8) % 4);
  for (int i = 0; i < 2 * K; i++) {
    uint64_t x = rng.next();
    int8_t v;
    switch (mode) {
      case 1: { static const int8_t ext[4] = {-128, 127, -127, 0}; v = (x % 4 == 3) ? (int8_t)(x >> 8) : ext[x % 3]; break; }
      case 2: v = (int8_t)((int)(x % 9) - 4); break;
      case 3: v = (x % 2) ? (int8_t)-128 : (int8_t)(x >> 8); break;
      default: v = (int8_t)(x >> 8); break;
    }
    if (i < K) a[i] = v; else b[i - K] = v;
  }
  uint64_t y = rng.next();
  switch (cmode) {
    case 0: *c = 0; break;
    case 1: *c = (int32_t)(uint32_t)y; break;
    case 2: *c = (int32_t)(0x7FFFFFFFu - (uint32_t)(y % (1u << 20))); break;
    default: *c = (int32_t)(0x80000000u + (uint32_t)(y % (1u << 20))); break;
  }
}
