/* The FP32 FLOP/s one core sustains on independent fused multiply-adds: the hardware's
 * real ceiling, clock boost included, which /proc/cpuinfo cannot tell. Built and run by
 * bench/fma_peak.py with `cc -O3 -march=native`, so it uses the widest vectors this CPU
 * has. Prints FLOP/s, then the vector width in bits. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define BITS 512
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define FIRST(v) _mm512_cvtss_f32(v)
#elif defined(__FMA__)
typedef __m256 vec;
#define BITS 256
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define FIRST(v) _mm256_cvtss_f32(v)
#else
#error "needs FMA (x86-64 with AVX2/FMA or AVX-512)"
#endif

/* More independent chains than FMA latency x FMA pipes, so the pipes never wait. */
#define CHAINS 12

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 20000000L;
    vec chain[CHAINS];
    vec scale = SET1(0.9999f), shift = SET1(0.0001f);
    for (int i = 0; i < CHAINS; i++) chain[i] = SET1((float)i);
    double started = now();
    for (long n = 0; n < rounds; n++)
        for (int i = 0; i < CHAINS; i++) chain[i] = FMA(chain[i], scale, shift);
    double seconds = now() - started;
    float sum = 0;  /* used, so the compiler keeps the loop */
    for (int i = 0; i < CHAINS; i++) sum += FIRST(chain[i]);
    double flops = (double)rounds * CHAINS * (BITS / 32) * 2;
    printf("%.6e %d %g\n", flops / seconds, BITS, sum);
    return 0;
}
