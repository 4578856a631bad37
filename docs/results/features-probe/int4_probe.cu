// Does sm_90a run mma.sync s4 on the tensor cores? Compile with nvcc -arch=sm_90a -cubin and read the SASS:
// a hardware path shows IMMA.*.S4 instructions; an emulation shows IMMA on s8 or integer-pipe ops (IMAD/PRMT/...) instead.
extern "C" __global__ void mma_s4(const unsigned int* a, const unsigned int* b, int* c)
{
    int l = threadIdx.x;
    unsigned int a0 = a[4 * l], a1 = a[4 * l + 1], a2 = a[4 * l + 2], a3 = a[4 * l + 3];
    unsigned int b0 = b[2 * l], b1 = b[2 * l + 1];
    int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    asm volatile("mma.sync.aligned.m16n8k64.row.col.s32.s4.s4.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(d0), "+r"(d1), "+r"(d2), "+r"(d3)
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    c[4 * l] = d0; c[4 * l + 1] = d1; c[4 * l + 2] = d2; c[4 * l + 3] = d3;
}

extern "C" __global__ void mma_s8(const unsigned int* a, const unsigned int* b, int* c)
{
    int l = threadIdx.x;
    unsigned int a0 = a[4 * l], a1 = a[4 * l + 1], a2 = a[4 * l + 2], a3 = a[4 * l + 3];
    unsigned int b0 = b[2 * l], b1 = b[2 * l + 1];
    int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(d0), "+r"(d1), "+r"(d2), "+r"(d3)
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    c[4 * l] = d0; c[4 * l + 1] = d1; c[4 * l + 2] = d2; c[4 * l + 3] = d3;
}
