#!/usr/bin/env python3
"""PyTorch SDPA baselines (flash and cuDNN backends) on the shapes `sage bench` measures.

Same conventions as sage bench: FP16 inputs, HND layout, CUDA events, one warm-up then the median of
--repetitions launches, rotating among 3 input sets, TFLOPS = 4*B*H*N^2*d / t (halved for causal).
Prints a JSON list on stdout.
"""
import argparse, json, sys
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

p = argparse.ArgumentParser()
p.add_argument("--seq", default="1024,4096,16384")
p.add_argument("--head-dim", default="128,64")
p.add_argument("--batch", type=int, default=4)
p.add_argument("--heads", type=int, default=32)
p.add_argument("--repetitions", type=int, default=10)
a = p.parse_args()

backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
rows = []
for d in [int(x) for x in a.head_dim.split(",")]:
    for causal in (False, True):
        for n in [int(x) for x in a.seq.split(",")]:
            sets = [[torch.randn(a.batch, a.heads, n, d, device="cuda", dtype=torch.float16) for _ in range(3)] for _ in range(3)]
            flops = 4.0 * a.batch * a.heads * n * n * d * (0.5 if causal else 1.0)
            for name, backend in backends.items():
                try:
                    with sdpa_kernel(backend):
                        torch.nn.functional.scaled_dot_product_attention(*sets[0], is_causal=causal)
                        torch.cuda.synchronize()
                        times = []
                        for i in range(a.repetitions):
                            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                            q, k, v = sets[(i + 1) % 3]
                            s.record()
                            torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
                            e.record()
                            e.synchronize()
                            times.append(s.elapsed_time(e))
                    times.sort()
                    ms = times[len(times) // 2]
                    rows.append(dict(backend=name, n=n, headDim=d, causal=causal, ms=ms, tflops=flops / ms / 1e9))
                except Exception as ex:  # a backend that refuses a shape is reported, not fatal
                    rows.append(dict(backend=name, n=n, headDim=d, causal=causal, error=str(ex).splitlines()[0]))
            del sets
            torch.cuda.empty_cache()
json.dump(rows, sys.stdout, indent=1)
