/*
 * Shared helpers for the AVX2 kernel files. Internal to COneKernels.
 */
#ifndef CONE_AVX2_COMMON_H
#define CONE_AVX2_COMMON_H

#include <immintrin.h>

/* Functions using AVX2/FMA/F16C intrinsics; only called after a CPU check. */
#define ONE_AVX2 __attribute__((target("avx2,fma,f16c")))

/* Horizontal sums of four vectors: lane r of the result is the sum of vector r. */
ONE_AVX2 static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 ab = _mm256_hadd_ps(a, b);
    __m256 cd = _mm256_hadd_ps(c, d);
    __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

ONE_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ONE_AVX2 static inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif /* CONE_AVX2_COMMON_H */
