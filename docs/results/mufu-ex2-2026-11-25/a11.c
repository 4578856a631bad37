#include "load.h"
static int64_t sqt(uint32_t d){ uint64_t s=0; for(int i=0;i<17;i++) if(d>>i&1){ if(2*i>=19) s+=1ull<<(2*i); for(int j=i+1;j<17;j++) if((d>>j&1) && i+j+1>=19) s+=1ull<<(i+j+1);} return (int64_t)(s>>19); }
int main(){ load(); FILE*f=fopen("coef.txt","r"); int64_t C0[64],C1[64],C2[64]; for(int j=0;j<64;j++){ int jj; long long lo,hi,c1,c2; fscanf(f,"%d %lld %lld %lld %lld",&jj,&lo,&hi,&c1,&c2); C0[j]=(lo-6114+8191)/8192; if(C0[j]*8192+6114<lo||C0[j]*8192+6114>hi) printf("seg %d: R=6114 not in range\n",j); C1[j]=c1; C2[j]=c2; }
 long bad=0; for(uint32_t k=0;k<N;k++){ uint32_t j=k>>17, d=k&0x1ffff; int64_t Y=C0[j]*8192+6114+C1[j]*d+C2[j]*sqt(d); int64_t m=Y>>15; if(m!=M(k)){ if(bad<5) printf("k=%u model %lld table %lld\n",k,(long long)m,(long long)M(k)); bad++; } }
 printf("mismatches %ld of %u\n",bad,N);
 printf("static const uint C0[64]={"); for(int j=0;j<64;j++) printf("%s0x%llx",j?",":"",(long long)C0[j]); printf("};\n");
 printf("C1: "); for(int j=0;j<64;j++) printf("%lld,",(long long)C1[j]); printf("\nC2: "); for(int j=0;j<64;j++) printf("%lld,",(long long)C2[j]); printf("\n");
 // squarer check: is sqt(d) == floor(d*d/2^19) ever? differences
 long diff=0; for(uint32_t d=0;d<(1u<<17);d++) if(sqt(d)!=(int64_t)(((uint64_t)d*d)>>19)) diff++; printf("truncated-array square differs from floor(d^2/2^19) for %ld of 2^17 d\n",diff);
}
