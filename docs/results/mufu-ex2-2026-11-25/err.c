#include "load.h"
#include <string.h>
static uint32_t ev(uint32_t bits){ uint32_t field=bits>>23&0xff; int neg=bits>>31; if(field==0xff) return (bits&0x7fffff)?0x7fffffff:(neg?0:0x7f800000); if(field==0) return 0x3f800000; if(field>=134) return neg?0:0x7f800000;
 uint32_t sig=(bits&0x7fffff)|0x800000; int sh=(int)field-127; uint32_t m= sh>=0? sig<<sh : (sh>-24? sig>>-sh:0); int n=m>>23; uint32_t f=m&0x7fffff; int e; uint32_t s;
 if(!neg){e=n;s=T[f];} else if(f==0){e=-n; s=0x3f800000;} else {e=-n-1; s=T[0x7fffff-f];} int rf=127+e; if(rf<=0) return 0; return ((uint32_t)rf<<23)|(s&0x7fffff); }
int main(int argc,char**argv){ load(); int sgn=atoi(argv[1]); double worst=0; uint32_t wx=0; 
 for(uint64_t u=0; u<(1ull<<31); u++){ uint32_t b=(uint32_t)u | (sgn?0x80000000u:0); uint32_t o=ev(b); uint32_t of=o>>23&0xff; if(of==0||of==255) continue; if(of<2) continue; float x; memcpy(&x,&b,4); float y; memcpy(&y,&o,4);
  long double ex=exp2l((long double)x); int ee; frexpl(ex,&ee); long double ulp=ldexpl(1.0L,ee-24); double err=(double)fabsl(((long double)y-ex)/ulp); if(err>worst){worst=err;wx=b;} }
 float x; memcpy(&x,&wx,4); printf("sign %d: max ulp err %.4f at x=0x%08x (%.9g)\n",sgn,worst,wx,x); }
