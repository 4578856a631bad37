// Busy-waits for a given number of SM clock cycles: a kernel of known minimum duration for event timing.
extern "C" __global__ void spin(long long cycles, unsigned long long* elapsed)
{
    const long long start = clock64();
    long long now = start;
    while (now - start < cycles) now = clock64();
    if (threadIdx.x == 0) elapsed[blockIdx.x] = static_cast<unsigned long long>(now - start);
}
