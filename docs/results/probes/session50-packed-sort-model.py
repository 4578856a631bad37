# Session 50: a model of key_smoothing.cu's packed 16-bit bitonic network (trimmed_group_sum16) against a plain sort.
# 8 lanes (g) x 8 registers; register i holds sorted position 16g + i in its low half and 16g + i + 8 in its high half.
#   python3 docs/results/probes/session50-packed-sort-model.py
import random
def key16(u): return (~u & 0xFFFF) if (u & 0x8000) else (u | 0x8000)
def perm(x, y, s):  # __byte_perm
    b = [(x >> (8*k)) & 0xFF for k in range(4)] + [(y >> (8*k)) & 0xFF for k in range(4)]
    return sum(b[(s >> (4*k)) & 7] << (8*k) for k in range(4))
def mn2(a, b): return min(a & 0xFFFF, b & 0xFFFF) | (min(a >> 16, b >> 16) << 16)
def mx2(a, b): return max(a & 0xFFFF, b & 0xFFFF) | (max(a >> 16, b >> 16) << 16)
def run(keys):
    P = [[keys[16*g+i] | (keys[16*g+i+8] << 16) for i in range(8)] for g in range(8)]
    size = 2
    while size <= 128:
        j = size >> 1
        while j > 0:
            if j >= 16:
                apart = j >> 4
                new = []
                for g in range(8):
                    keep = ((g & apart) == 0) == (((16*g) & size) == 0)
                    new.append([mn2(P[g][i], P[g ^ apart][i]) if keep else mx2(P[g][i], P[g ^ apart][i]) for i in range(8)])
                P = new
            elif j == 8:
                for g in range(8):
                    for i in range(8):
                        up = ((16*g + i) & size) == 0
                        s = perm(P[g][i], 0, 0x1032)
                        a, b = mn2(P[g][i], s), mx2(P[g][i], s)
                        P[g][i] = perm(a, b, 0x7610 if up else 0x3254)
            else:
                for g in range(8):
                    for i in range(8):
                        if i & j: continue
                        lowUp = ((16*g + i) & size) == 0
                        highUp = ((16*g + i + 8) & size) == 0
                        a, b = mn2(P[g][i], P[g][i | j]), mx2(P[g][i], P[g][i | j])
                        if size == 8:
                            assert lowUp and not highUp
                            P[g][i], P[g][i | j] = perm(a, b, 0x7610), perm(b, a, 0x7610)
                        else:
                            assert lowUp == highUp
                            P[g][i], P[g][i | j] = (a, b) if lowUp else (b, a)
            j >>= 1
        size <<= 1
    out = []
    for g in range(8):
        for r in range(16):
            out.append(P[g][r] & 0xFFFF if r < 8 else P[g][r-8] >> 16)
    return out
for t in range(3000):
    mode = t % 3
    if mode == 0: raw = [random.getrandbits(16) for _ in range(128)]
    elif mode == 1: raw = [random.choice([0, 0x8000, 0x3C00, 0xBC00, 0x7BFF]) for _ in range(128)]
    else: raw = [random.getrandbits(3) << 13 for _ in range(128)]
    keys = [key16(u) for u in raw]
    assert run(keys) == sorted(keys), t
print("packed network sorts: ok")
