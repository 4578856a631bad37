// SAGE_KERNEL_SELECTED(NAME): whether kernel NAME keeps its body in this compilation. With SAGE_KERNEL_ONLY=<kernel name>
// (SelectedKernels on the host compiles one module per kernel it launches) only that kernel does, and every other entry
// of the program compiles to a trap; without the macro every kernel does, as `sage kernels`, the SASS tests and the
// compile tests build them. Why: ptxas spends seconds on each kernel (2-12 s on each of the 27 main-loop kernels of a
// program), so compiling a whole program kept a process's first call waiting for kernels it never launches. A program
// may use it only where a selected kernel's code is the whole program's byte for byte (tests/Gpu SelectedKernelTests):
// the main loop's kernels inline all their device functions, but compiled alone some of the fused pre-processing's
// launch-3 kernels got other code and registers (session 49), so that program stays whole.
// A kernel's body goes inside `if constexpr (SAGE_KERNEL_SELECTED(name)) { ... } else __trap();`.
#pragma once

#define SAGE_STRINGIZE_(x) #x
#define SAGE_STRINGIZE(x) SAGE_STRINGIZE_(x)

__host__ __device__ constexpr bool sage_same_name(const char* a, const char* b)
{
    while (*a != 0 && *a == *b)
    {
        ++a;
        ++b;
    }
    return *a == *b;
}

#ifdef SAGE_KERNEL_ONLY
#define SAGE_KERNEL_SELECTED(NAME) sage_same_name(#NAME, SAGE_STRINGIZE(SAGE_KERNEL_ONLY))
#else
#define SAGE_KERNEL_SELECTED(NAME) true
#endif
