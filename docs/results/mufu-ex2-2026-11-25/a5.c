#include "load.h"
int main(){ load(); uint32_t L=1u<<17; long double bs[3]={90852,91840,92840}; long double cs[3]={494,501,506};
 for(int j=0;j<3;j++){ long double mn=1e9,mx=-1e9; long double Y0=0; static long double Y[1<<17];
  for(uint32_t d=0;d<L;d++){ Y[d]=M((j<<17)|d) - (bs[j]*d/L + cs[j]*(long double)d*d/((long double)L*L)); if(d==0)Y0=Y[d]; }
  for(uint32_t d=0;d<L;d++){ Y[d]-=Y0; if(Y[d]<mn)mn=Y[d]; if(Y[d]>mx)mx=Y[d]; }
  printf("seg %d: Y-Y0 range [%.4Lf, %.4Lf]\n", j, mn, mx);
  // mean of Y conditioned on each bit
  for(int b=0;b<17;b++){ long double s1=0,s0=0; for(uint32_t d=0;d<L;d++){ if(d>>b&1) s1+=Y[d]; else s0+=Y[d]; } printf(" b%d:%+.3Lf",b,(s1-s0)/(L/2)); } printf("\n");
  // by top bits: mean in 16 sub-blocks
  for(int q=0;q<16;q++){ long double s=0; for(uint32_t d=q*(L/16); d<(q+1)*(L/16); d++) s+=Y[d]; printf(" %+.3Lf", s/(L/16)); } printf("\n");
 }
}
