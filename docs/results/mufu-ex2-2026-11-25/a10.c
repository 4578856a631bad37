#include "load.h"
static int64_t sqt(uint32_t d){ uint64_t s=0; for(int i=0;i<17;i++) if(d>>i&1){ if(2*i>=19) s+=1ull<<(2*i); for(int j=i+1;j<17;j++) if((d>>j&1) && i+j+1>=19) s+=1ull<<(i+j+1);} return (int64_t)(s>>19); }
int main(){ load(); uint32_t L=1u<<17; static int64_t S[1<<17]; for(uint32_t d=0;d<L;d++) S[d]=sqt(d);
 FILE* out=fopen("coef.txt","w");
 for(int j=0;j<64;j++){ // refit C1, C2 via LS again (integers), then exact K on 2^-15 grid
  long double A[3][4]={{0}}; for(uint32_t d=0;d<L;d++){ long double y=M((j<<17)|d); long double b[3]={1,(long double)d,(long double)S[d]}; for(int r=0;r<3;r++){ for(int c=0;c<3;c++) A[r][c]+=b[r]*b[c]; A[r][3]+=b[r]*y; } }
  for(int i=0;i<3;i++){ int p=i; for(int r=i+1;r<3;r++) if(fabsl(A[r][i])>fabsl(A[p][i])) p=r; for(int c=0;c<4;c++){long double t=A[i][c];A[i][c]=A[p][c];A[p][c]=t;} for(int r=0;r<3;r++) if(r!=i){ long double f=A[r][i]/A[i][i]; for(int c=0;c<4;c++) A[r][c]-=f*A[i][c]; } }
  int64_t C1=llroundl(A[1][3]/A[1][1]*32768.0L), C2=llroundl(A[2][3]/A[2][2]*32768.0L);
  // units 2^-15 ulp: Y = K + C1*d + C2*S ; M = floor(Y / 2^15). K in [lo, hi]
  int64_t lo=INT64_MIN, hi=INT64_MAX; for(uint32_t d=0;d<L;d++){ int64_t E=C1*(int64_t)d + C2*S[d]; int64_t m=M((j<<17)|d); int64_t l=(m<<15)-E, h=((m+1)<<15)-1-E; if(l>lo)lo=l; if(h<hi)hi=h; }
  printf("seg %2d C1=%lld C2=%lld K in [%lld,%lld] (n=%lld) K-2^38=%lld mod8192: %lld..%lld\n",j,(long long)C1,(long long)C2,(long long)lo,(long long)hi,(long long)(hi-lo+1),(long long)(lo-(1ll<<38)),(long long)(lo&8191),(long long)(hi&8191));
  fprintf(out,"%d %lld %lld %lld %lld\n",j,(long long)lo,(long long)hi,(long long)C1,(long long)C2);
 } fclose(out); }
