#include "load.h"
// fit C1, C2 per segment by LS on model, then test intervals
static long double sqv(uint32_t d,int mode,int col){ if(mode==0){ uint64_t s=(uint64_t)d*d; return (long double)((s>>col)<<col);} 
  uint64_t s=0; for(int i=0;i<17;i++) if(d>>i&1){ if(2*i>=col) s+=1ull<<(2*i); for(int j=i+1;j<17;j++) if((d>>j&1) && i+j+1>=col) s+=1ull<<(i+j+1);} return (long double)s; }
int main(int argc,char**argv){ load(); uint32_t L=1u<<17; int mode=atoi(argv[1]), col=atoi(argv[2]);
 static long double S[1<<17]; for(uint32_t d=0;d<L;d++) S[d]=sqv(d,mode,col);
 int ok=0; long double worstw=1e9;
 for(int j=0;j<64;j++){ // LS for a + b d + c S
  long double A[3][4]={{0}}; for(uint32_t d=0;d<L;d++){ long double y=M((j<<17)|d); long double b[3]={1,(long double)d/L,S[d]/((long double)L*L)}; for(int r=0;r<3;r++){ for(int c=0;c<3;c++) A[r][c]+=b[r]*b[c]; A[r][3]+=b[r]*y; } }
  for(int i=0;i<3;i++){ int p=i; for(int r=i+1;r<3;r++) if(fabsl(A[r][i])>fabsl(A[p][i])) p=r; for(int c=0;c<4;c++){long double t=A[i][c];A[i][c]=A[p][c];A[p][c]=t;} for(int r=0;r<3;r++) if(r!=i){ long double f=A[r][i]/A[i][i]; for(int c=0;c<4;c++) A[r][c]-=f*A[i][c]; } }
  long double b=A[1][3]/A[1][1], c=A[2][3]/A[2][2]; long double C1=roundl(b/4), C2=roundl(c);
  long double lo=-1e30,hi=1e30; for(uint32_t d=0;d<L;d++){ long double E=C1*d/32768.0L + C2*S[d]/17179869184.0L; long double v=M((j<<17)|d)-E; if(v>lo)lo=v; if(v+1<hi)hi=v+1; }
  if(hi-lo>0) ok++; if(hi-lo<worstw) worstw=hi-lo;
  if(j<4||j>61) printf("seg %2d: b/4=%.4Lf c=%.4Lf -> C1=%.0Lf C2=%.0Lf K in [%.5Lf, %.5Lf) width %.5Lf\n",j,b/4,c,C1,C2,lo-(1<<23),hi-(1<<23),hi-lo); }
 printf("mode %d col %d: %d/64 segments consistent, worst width %.5Lf\n",mode,col,ok,worstw);
}
