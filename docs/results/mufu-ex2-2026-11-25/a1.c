#include "load.h"
int main(){ load(); long hist[41]={0}; long double mn=1e9,mx=-1e9; long crdiff=0;
 for(uint32_t k=0;k<N;k++){ long double e=exp2l((long double)k/N)*N; long double r=(long double)M(k)-e; if(r<mn)mn=r; if(r>mx)mx=r; int b=(int)floorl(r*4)+20; if(b<0)b=0; if(b>40)b=40; hist[b]++; if(M(k)!=(int64_t)llroundl(e)) crdiff++; }
 printf("residual ulp min %.4Lf max %.4Lf; not CR: %ld of %u\n",mn,mx,crdiff,N);
 for(int b=0;b<41;b++) if(hist[b]) printf("[%5.2f,%5.2f): %ld\n",(b-20)/4.0,(b-19)/4.0,hist[b]);
 printf("T[0..4]: %x %x %x %x %x; T[N-1]=%x\n",T[0],T[1],T[2],T[3],T[4],T[N-1]);
}
