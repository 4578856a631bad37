#!/usr/bin/env python3
"""PyTorch SDPA baselines (flash and cuDNN backends) on the shapes `sage bench` measures.

Same conventions as sage bench: FP16 inputs, HND layout, CUDA events, one warm-up then the median of
--repetitions launches, rotating among 3 input sets, TFLOPS = 4*B*H*N^2*d / t (halved for causal).
Prints a JSON list on stdout. With --telemetry, each row also carries the SM clock and power read through NVML
(pynvml, every 20 ms) while its repetitions ran, as `sage bench --telemetry` reports them for our kernels. As there,
--settle SECONDS runs that long of the same calls untimed before each timed window (default: 1 with --telemetry, as
NVML's readings lag the load; else 0), so that both sides can be measured on a loaded card. As `sage bench
--queue-ahead US`, --queue-ahead US queues a GPU spin (torch.cuda._sleep) of at least US microseconds before each timed
call, so that the events time the GPU alone and not also the host's dispatch (Python, the dispatcher, cuDNN's graph
lookup); comparing both protocols on both sides tells the host's share from the kernels'.
"""
import argparse, json, math, sys, threading
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

p = argparse.ArgumentParser()
p.add_argument("--seq", default="1024,4096,16384")
p.add_argument("--head-dim", default="128,64")
p.add_argument("--batch", type=int, default=4)
p.add_argument("--heads", type=int, default=32)
p.add_argument("--repetitions", type=int, default=10)
p.add_argument("--layout", choices=("HND", "NHD"), default="HND",
               help="HND: [B, H, N, D] tensors; NHD: [B, N, H, D] tensors passed to SDPA as transposed views (as sage bench --layout NHD)")
p.add_argument("--telemetry", action="store_true", help="read SM clock and power (NVML) during the timed repetitions")
p.add_argument("--settle", type=float, default=None,
               help="seconds of untimed calls before each timed window (default: 1 with --telemetry, else 0)")
p.add_argument("--queue-ahead", type=float, default=0.0,
               help="microseconds of GPU spin queued before each timed call (default 0: none)")
a = p.parse_args()
settle = a.settle if a.settle is not None else (1.0 if a.telemetry else 0.0)
if not (settle >= 0 and math.isfinite(settle)):
    p.error(f"--settle {settle}: expected zero or more seconds")
if not (0 <= a.queue_ahead <= 1e6):
    p.error(f"--queue-ahead {a.queue_ahead}: expected 0 to 1000000 microseconds")
# Spin cycles at 2 GHz, so that the spin lasts at least that long on any clock (as sage bench's QueueAheadCycles).
spin_cycles = math.ceil(a.queue_ahead * 2000)


class Telemetry:
    """NVML readings of the CUDA device on a background thread: median SM clock and power, power-capped share."""

    SW_POWER_CAP = 0x4  # nvmlClocksEventReasonSwPowerCap
    POWER_INSTANT = 186  # NVML_FI_DEV_POWER_INSTANT (mW); nvmlDeviceGetPowerUsage is a trailing 1 s average on Hopper

    def __init__(self):
        import pynvml
        self.nvml = pynvml
        pynvml.nvmlInit()
        index = torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        if all(hasattr(props, f) for f in ("pci_domain_id", "pci_bus_id", "pci_device_id")):
            bus = f"{props.pci_domain_id:08x}:{props.pci_bus_id:02x}:{props.pci_device_id:02x}.0"
            self.handle = pynvml.nvmlDeviceGetHandleByPciBusId(bus)
        else:  # older PyTorch: NVML's index equals CUDA's when CUDA_VISIBLE_DEVICES does not reorder devices
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        self.power_reading = "Instant" if self._instant_power() is not None else "OneSecondAverage"

    def _instant_power(self):
        """Board power now in W, or None where the driver does not answer the field."""
        try:
            field = self.nvml.nvmlDeviceGetFieldValues(self.handle, [self.POWER_INSTANT])[0]
        except self.nvml.NVMLError:
            return None
        return field.value.uiVal / 1000.0 if field.nvmlReturn == 0 else None

    def power(self):
        if self.power_reading == "Instant":
            watts = self._instant_power()
            if watts is None:
                raise RuntimeError("NVML_FI_DEV_POWER_INSTANT stopped answering")
            return watts
        return self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1000.0

    def measure(self, work):
        samples, stop = [], threading.Event()

        def read():
            while not stop.wait(0.02):
                clock = self.nvml.nvmlDeviceGetClockInfo(self.handle, self.nvml.NVML_CLOCK_SM)
                power = self.power()
                reasons = self.nvml.nvmlDeviceGetCurrentClocksThrottleReasons(self.handle)
                samples.append((clock, power, reasons))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            result = work()
        finally:
            stop.set()
            reader.join()
        if not samples:
            return result, dict(samples=0)
        med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
        return result, dict(samples=len(samples), powerReading=self.power_reading, smClockMHz=med([c for c, _, _ in samples]),
                            minSmClockMHz=min(c for c, _, _ in samples), powerW=med([w for _, w, _ in samples]),
                            powerCapShare=sum(1 for _, _, r in samples if r & self.SW_POWER_CAP) / len(samples))


telemetry = Telemetry() if a.telemetry else None

backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
rows = []
for d in [int(x) for x in a.head_dim.split(",")]:
    for causal in (False, True):
        for n in [int(x) for x in a.seq.split(",")]:
            if a.layout == "NHD":  # PyTorch's own layout: SDPA gets [B, H, N, D] views of [B, N, H, D] memory
                sets = [[torch.randn(a.batch, n, a.heads, d, device="cuda", dtype=torch.float16).transpose(1, 2) for _ in range(3)]
                        for _ in range(3)]
            else:
                sets = [[torch.randn(a.batch, a.heads, n, d, device="cuda", dtype=torch.float16) for _ in range(3)] for _ in range(3)]
            flops = 4.0 * a.batch * a.heads * n * n * d * (0.5 if causal else 1.0)
            for name, backend in backends.items():
                try:
                    with sdpa_kernel(backend):
                        torch.nn.functional.scaled_dot_product_attention(*sets[0], is_causal=causal)
                        torch.cuda.synchronize()

                        def timed():
                            times = []
                            for i in range(a.repetitions):
                                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                                q, k, v = sets[(i + 1) % 3]
                                if spin_cycles > 0:
                                    torch.cuda._sleep(spin_cycles)
                                s.record()
                                torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
                                e.record()
                                e.synchronize()
                                times.append(s.elapsed_time(e))
                            return times

                        if settle > 0:  # untimed calls first, as sage bench --settle does
                            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                            s.record()
                            torch.nn.functional.scaled_dot_product_attention(*sets[1], is_causal=causal)
                            e.record()
                            e.synchronize()
                            for i in range(min(100000, max(1, math.ceil(settle * 1000.0 / max(s.elapsed_time(e), 1e-3))))):
                                torch.nn.functional.scaled_dot_product_attention(*sets[i % 3], is_causal=causal)
                            torch.cuda.synchronize()
                        times, readings = telemetry.measure(timed) if telemetry else (timed(), None)
                    times.sort()
                    ms = times[len(times) // 2]
                    row = dict(backend=name, n=n, headDim=d, causal=causal, ms=ms, tflops=flops / ms / 1e9, queueAheadUs=a.queue_ahead,
                               layout=a.layout)
                    if readings is not None:
                        row["telemetry"] = readings
                    rows.append(row)
                except Exception as ex:  # a backend that refuses a shape is reported, not fatal
                    rows.append(dict(backend=name, n=n, headDim=d, causal=causal, error=str(ex).splitlines()[0]))
            del sets
            torch.cuda.empty_cache()
json.dump(rows, sys.stdout, indent=1)
