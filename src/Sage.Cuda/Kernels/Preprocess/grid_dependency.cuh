// Programmatic dependent launch (sm_90): the host launches a kernel as the programmatic dependent of the kernel before
// it on the stream (CudaFunction.LaunchAsProgrammaticDependent), so its CTAs may start while that kernel's last CTAs
// still run. Rules every kernel here follows:
//   - sage_grid_dependency_wait() comes before the first read of anything earlier work on the stream wrote (inputs
//     included: a caller's kernel may have written them). It returns once the preceding kernel has completed and its
//     writes are visible; in a kernel launched without the attribute it returns at once.
//   - sage_grid_launch_dependents() lets the next kernel's CTAs start early; a kernel that calls it never waits for
//     that next kernel, so no CTA can wait on one that cannot be scheduled.
#pragma once

__device__ __forceinline__ void sage_grid_dependency_wait() { asm volatile("griddepcontrol.wait;\n" ::: "memory"); }

__device__ __forceinline__ void sage_grid_launch_dependents() { asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory"); }
