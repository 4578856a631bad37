// Empty: clang's __clang_cuda_intrinsics.h includes this CUDA toolkit header, which the front-end check does not need.
