// table.i8 = gunzip -c tests/Property/Emulation/Data/h100-mufu-ex2-table-2026-11-25.bin.gz (2^23 byte differences)
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#define N (1u<<23)
static uint32_t T[N];
static void load(void){ FILE*f=fopen("table.i8","rb"); int8_t*d=malloc(N); fread(d,1,N,f); fclose(f);
 uint32_t p=0x3f800000u; for(uint32_t k=0;k<N;k++){ p+=d[k]; T[k]=p; } T[N-1]=0x3fffffffu; free(d);}
// mantissa integer in [2^23, 2^24)
static inline int64_t M(uint32_t k){ uint32_t t=T[k]; return (int64_t)((t&0x7fffff)|0x800000) << ((t>>23)-127); }
