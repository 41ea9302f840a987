/*
 * AVX2 + FMA + F16C kernels for x86-64. Compiled with per-function target
 * attributes so the rest of the module stays baseline x86-64; dispatch.c only
 * selects this table after checking the CPU supports all three extensions.
 */
#if defined(__x86_64__) || defined(__i386__)

#include "kernels.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define ONE_AVX2 __attribute__((target("avx2,fma,f16c")))

/* GEMM blocking: MR x 16 register tile; MC rows of x per block stay in L2. */
enum { MR = 6, MC = 96 };

/* ---- Small helpers ----------------------------------------------------- */

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

/* e^x, Cephes-style range reduction + degree-5 polynomial (~1 ulp on [-87, 88]). */
ONE_AVX2 static inline __m256 exp_ps(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), x);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/*
 * x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). erfc(|z|) uses Abramowitz & Stegun
 * 7.1.26 (|error| < 1.5e-7); evaluating 1 + erf as erfc for negative inputs
 * keeps the relative accuracy of the tiny negative tail.
 */
ONE_AVX2 static inline __m256 gelu_ps(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.70710678118654752f));
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(z, _mm256_set1_ps(0.3275911f), one));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    __m256 erfc = _mm256_mul_ps(p, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(z, z))));
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 onePlusErf = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), erfc), erfc, negative);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), onePlusErf);
}

/* ---- Vector search ----------------------------------------------------- */

/*
 * Scans are bound by memory bandwidth; the hardware prefetcher alone leaves
 * about a third of it unused on one core. Prefetching this many bytes ahead
 * in each of the four rows being scored was best on AMD EPYC (Zen).
 */
enum { PREFETCH_BYTES = 8192 };

/* Hint only: never dereferenced, so addresses past the matrix are harmless. */
ONE_AVX2 static inline void prefetch_ahead(const void *p) {
    _mm_prefetch((const char *)((uintptr_t)p + PREFETCH_BYTES), _MM_HINT_T0);
}

ONE_AVX2 static void scores_f32(const float *query, const float *matrix, long rows, int dim, float *out) {
    const size_t stride = (size_t)dim;
    long i = 0;
    for (; i + 4 <= rows; i += 4) {
        const float *r0 = matrix + (size_t)i * stride;
        const float *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        __m256 t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int d = 0;
        for (; d + 16 <= dim; d += 16) {
            prefetch_ahead(r0 + d);
            prefetch_ahead(r1 + d);
            prefetch_ahead(r2 + d);
            prefetch_ahead(r3 + d);
            __m256 qa = _mm256_loadu_ps(query + d), qb = _mm256_loadu_ps(query + d + 8);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + d), qa, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + d), qa, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + d), qa, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + d), qa, s3);
            t0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + d + 8), qb, t0);
            t1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + d + 8), qb, t1);
            t2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + d + 8), qb, t2);
            t3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + d + 8), qb, t3);
        }
        for (; d + 8 <= dim; d += 8) {
            __m256 qa = _mm256_loadu_ps(query + d);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + d), qa, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + d), qa, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + d), qa, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + d), qa, s3);
        }
        float sums[4];
        _mm_storeu_ps(sums, hsum4(_mm256_add_ps(s0, t0), _mm256_add_ps(s1, t1),
                                  _mm256_add_ps(s2, t2), _mm256_add_ps(s3, t3)));
        for (; d < dim; d++) {
            sums[0] += query[d] * r0[d];
            sums[1] += query[d] * r1[d];
            sums[2] += query[d] * r2[d];
            sums[3] += query[d] * r3[d];
        }
        memcpy(out + i, sums, sizeof sums);
    }
    for (; i < rows; i++) {
        const float *r = matrix + (size_t)i * stride;
        __m256 s = _mm256_setzero_ps();
        int d = 0;
        for (; d + 8 <= dim; d += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(r + d), _mm256_loadu_ps(query + d), s);
        float sum = hsum(s);
        for (; d < dim; d++) sum += query[d] * r[d];
        out[i] = sum;
    }
}

ONE_AVX2 static inline __m256 load_half8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

ONE_AVX2 static inline float half_to_float1(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

ONE_AVX2 static void scores_f16(const float *query, const uint16_t *matrix, long rows, int dim, float *out) {
    const size_t stride = (size_t)dim;
    long i = 0;
    for (; i + 4 <= rows; i += 4) {
        const uint16_t *r0 = matrix + (size_t)i * stride;
        const uint16_t *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        __m256 t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int d = 0;
        for (; d + 16 <= dim; d += 16) {
            if ((d & 31) == 0) { /* one 64-byte line holds 32 halves */
                prefetch_ahead(r0 + d);
                prefetch_ahead(r1 + d);
                prefetch_ahead(r2 + d);
                prefetch_ahead(r3 + d);
            }
            __m256 qa = _mm256_loadu_ps(query + d), qb = _mm256_loadu_ps(query + d + 8);
            s0 = _mm256_fmadd_ps(load_half8(r0 + d), qa, s0);
            s1 = _mm256_fmadd_ps(load_half8(r1 + d), qa, s1);
            s2 = _mm256_fmadd_ps(load_half8(r2 + d), qa, s2);
            s3 = _mm256_fmadd_ps(load_half8(r3 + d), qa, s3);
            t0 = _mm256_fmadd_ps(load_half8(r0 + d + 8), qb, t0);
            t1 = _mm256_fmadd_ps(load_half8(r1 + d + 8), qb, t1);
            t2 = _mm256_fmadd_ps(load_half8(r2 + d + 8), qb, t2);
            t3 = _mm256_fmadd_ps(load_half8(r3 + d + 8), qb, t3);
        }
        for (; d + 8 <= dim; d += 8) {
            __m256 qa = _mm256_loadu_ps(query + d);
            s0 = _mm256_fmadd_ps(load_half8(r0 + d), qa, s0);
            s1 = _mm256_fmadd_ps(load_half8(r1 + d), qa, s1);
            s2 = _mm256_fmadd_ps(load_half8(r2 + d), qa, s2);
            s3 = _mm256_fmadd_ps(load_half8(r3 + d), qa, s3);
        }
        float sums[4];
        _mm_storeu_ps(sums, hsum4(_mm256_add_ps(s0, t0), _mm256_add_ps(s1, t1),
                                  _mm256_add_ps(s2, t2), _mm256_add_ps(s3, t3)));
        for (; d < dim; d++) {
            sums[0] += query[d] * half_to_float1(r0[d]);
            sums[1] += query[d] * half_to_float1(r1[d]);
            sums[2] += query[d] * half_to_float1(r2[d]);
            sums[3] += query[d] * half_to_float1(r3[d]);
        }
        memcpy(out + i, sums, sizeof sums);
    }
    for (; i < rows; i++) {
        const uint16_t *r = matrix + (size_t)i * stride;
        __m256 s = _mm256_setzero_ps();
        int d = 0;
        for (; d + 8 <= dim; d += 8) s = _mm256_fmadd_ps(load_half8(r + d), _mm256_loadu_ps(query + d), s);
        float sum = hsum(s);
        for (; d < dim; d++) sum += query[d] * half_to_float1(r[d]);
        out[i] = sum;
    }
}

/* ---- GEMM -------------------------------------------------------------- */

ONE_AVX2 static inline void store_row(float *y, __m256 lo, __m256 hi, int cols) {
    if (cols == ONE_PANEL) {
        _mm256_storeu_ps(y, lo);
        _mm256_storeu_ps(y + 8, hi);
    } else {
        float tmp[ONE_PANEL];
        _mm256_storeu_ps(tmp, lo);
        _mm256_storeu_ps(tmp + 8, hi);
        memcpy(y, tmp, (size_t)cols * sizeof(float));
    }
}

/*
 * rows (1...MR) x 16 output tile over the full k. Missing rows alias the last
 * valid row so the loop body stays branch-free; their results are discarded.
 */
ONE_AVX2 static void tile_6x16(const float *x, int k, int rows, const float *panel, const float *bias,
                               float *y, int ldy, int cols) {
#define ROW(r) (x + (size_t)((r) < rows ? (r) : rows - 1) * (size_t)k)
    const float *a0 = ROW(0), *a1 = ROW(1), *a2 = ROW(2), *a3 = ROW(3), *a4 = ROW(4), *a5 = ROW(5);
#undef ROW
    const __m256 bl = _mm256_loadu_ps(bias), bh = _mm256_loadu_ps(bias + 8);
    __m256 c00 = bl, c01 = bh, c10 = bl, c11 = bh, c20 = bl, c21 = bh;
    __m256 c30 = bl, c31 = bh, c40 = bl, c41 = bh, c50 = bl, c51 = bh;
    for (int p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(panel + (size_t)p * ONE_PANEL);
        const __m256 b1 = _mm256_loadu_ps(panel + (size_t)p * ONE_PANEL + 8);
        __m256 a;
        a = _mm256_broadcast_ss(a0 + p); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(a1 + p); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(a2 + p); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(a3 + p); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(a4 + p); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(a5 + p); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    const size_t ld = (size_t)ldy;
    store_row(y, c00, c01, cols);
    if (rows > 1) store_row(y + ld, c10, c11, cols);
    if (rows > 2) store_row(y + 2 * ld, c20, c21, cols);
    if (rows > 3) store_row(y + 3 * ld, c30, c31, cols);
    if (rows > 4) store_row(y + 4 * ld, c40, c41, cols);
    if (rows > 5) store_row(y + 5 * ld, c50, c51, cols);
}

ONE_AVX2 static void linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y) {
    for (int i0 = 0; i0 < m; i0 += MC) {
        const int block = m - i0 < MC ? m - i0 : MC;
        for (int j0 = 0; j0 < n; j0 += ONE_PANEL) {
            const float *panel = packed + (size_t)j0 * (size_t)k;
            const int cols = n - j0 < ONE_PANEL ? n - j0 : ONE_PANEL;
            float padded[ONE_PANEL] = {0};
            const float *b = bias + j0;
            if (cols < ONE_PANEL) {
                memcpy(padded, b, (size_t)cols * sizeof(float));
                b = padded;
            }
            for (int i = i0; i < i0 + block; i += MR) {
                const int rows = i0 + block - i < MR ? i0 + block - i : MR;
                tile_6x16(x + (size_t)i * (size_t)k, k, rows, panel, b, y + (size_t)i * (size_t)n + j0, n, cols);
            }
        }
    }
}

/* ---- Elementwise and row-wise ------------------------------------------ */

ONE_AVX2 static void gelu(float *x, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, gelu_ps(_mm256_loadu_ps(x + i)));
    if (i < count) {
        float tmp[8] = {0};
        memcpy(tmp, x + i, (size_t)(count - i) * sizeof(float));
        _mm256_storeu_ps(tmp, gelu_ps(_mm256_loadu_ps(tmp)));
        memcpy(x + i, tmp, (size_t)(count - i) * sizeof(float));
    }
}

ONE_AVX2 static void layernorm(float *x, const float *residual, int rows, int dim,
                               const float *gamma, const float *beta, float eps) {
    if (dim % 8 != 0) {
        one_scalar_kernels.layernorm(x, residual, rows, dim, gamma, beta, eps);
        return;
    }
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * (size_t)dim;
        __m256 sum = _mm256_setzero_ps();
        if (residual) {
            const float *res = residual + (size_t)r * (size_t)dim;
            for (int d = 0; d < dim; d += 8) {
                __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + d), _mm256_loadu_ps(res + d));
                _mm256_storeu_ps(row + d, v);
                sum = _mm256_add_ps(sum, v);
            }
        } else {
            for (int d = 0; d < dim; d += 8) sum = _mm256_add_ps(sum, _mm256_loadu_ps(row + d));
        }
        const __m256 mean = _mm256_set1_ps(hsum(sum) / (float)dim);
        __m256 sq = _mm256_setzero_ps();
        for (int d = 0; d < dim; d += 8) {
            __m256 c = _mm256_sub_ps(_mm256_loadu_ps(row + d), mean);
            sq = _mm256_fmadd_ps(c, c, sq);
        }
        const __m256 inv = _mm256_set1_ps(1.0f / sqrtf(hsum(sq) / (float)dim + eps));
        for (int d = 0; d < dim; d += 8) {
            __m256 c = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + d), mean), inv);
            _mm256_storeu_ps(row + d, _mm256_fmadd_ps(c, _mm256_loadu_ps(gamma + d), _mm256_loadu_ps(beta + d)));
        }
    }
}

/* ---- Attention --------------------------------------------------------- */

ONE_AVX2 static void attention(const float *qkv, int seq, int heads, int head_dim, float *out, float *scratch) {
    if (head_dim % 8 != 0) {
        one_scalar_kernels.attention(qkv, seq, heads, head_dim, out, scratch);
        return;
    }
    const int hidden = heads * head_dim;
    const size_t ld = (size_t)hidden * 3;
    const int padded = one_round_up8(seq);
    const float scale = 1.0f / sqrtf((float)head_dim);
    float *kt = scratch;                                /* [head_dim][padded], K^T * scale */
    float *s = scratch + (size_t)head_dim * (size_t)padded; /* [padded] scores / probabilities */

    for (int h = 0; h < heads; h++) {
        const size_t qOff = (size_t)h * (size_t)head_dim;
        const size_t kOff = (size_t)hidden + qOff;
        const size_t vOff = 2 * (size_t)hidden + qOff;
        for (int j = 0; j < seq; j++) {
            const float *kr = qkv + (size_t)j * ld + kOff;
            for (int d = 0; d < head_dim; d++) kt[(size_t)d * (size_t)padded + (size_t)j] = kr[d] * scale;
        }
        for (int d = 0; d < head_dim; d++)
            for (int j = seq; j < padded; j++) kt[(size_t)d * (size_t)padded + (size_t)j] = 0.0f;
        for (int i = 0; i < seq; i++) {
            const float *q = qkv + (size_t)i * ld + qOff;
            /* scores = q . K^T, 32 columns at a time where possible */
            int jb = 0;
            for (; jb + 32 <= padded; jb += 32) {
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < head_dim; d++) {
                    const float *kd = kt + (size_t)d * (size_t)padded + (size_t)jb;
                    const __m256 qd = _mm256_broadcast_ss(q + d);
                    a0 = _mm256_fmadd_ps(qd, _mm256_loadu_ps(kd), a0);
                    a1 = _mm256_fmadd_ps(qd, _mm256_loadu_ps(kd + 8), a1);
                    a2 = _mm256_fmadd_ps(qd, _mm256_loadu_ps(kd + 16), a2);
                    a3 = _mm256_fmadd_ps(qd, _mm256_loadu_ps(kd + 24), a3);
                }
                _mm256_storeu_ps(s + jb, a0);
                _mm256_storeu_ps(s + jb + 8, a1);
                _mm256_storeu_ps(s + jb + 16, a2);
                _mm256_storeu_ps(s + jb + 24, a3);
            }
            for (; jb < padded; jb += 8) {
                __m256 a0 = _mm256_setzero_ps();
                for (int d = 0; d < head_dim; d++)
                    a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(q + d), _mm256_loadu_ps(kt + (size_t)d * (size_t)padded + (size_t)jb), a0);
                _mm256_storeu_ps(s + jb, a0);
            }
            /* softmax over the first seq entries; padding gets probability 0 */
            for (int j = seq; j < padded; j++) s[j] = -INFINITY;
            __m256 mx = _mm256_set1_ps(-INFINITY);
            for (int j = 0; j < padded; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(s + j));
            const __m256 maxv = _mm256_set1_ps(hmax(mx));
            for (int j = 0; j < padded; j += 8)
                _mm256_storeu_ps(s + j, exp_ps(_mm256_sub_ps(_mm256_loadu_ps(s + j), maxv)));
            for (int j = seq; j < padded; j++) s[j] = 0.0f;
            __m256 total = _mm256_setzero_ps();
            for (int j = 0; j < padded; j += 8) total = _mm256_add_ps(total, _mm256_loadu_ps(s + j));
            const __m256 inv = _mm256_set1_ps(1.0f / hsum(total));

            float *o = out + (size_t)i * (size_t)hidden + qOff;
            int dc = 0;
            for (; dc + 32 <= head_dim; dc += 32) {
                __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
                for (int j = 0; j < seq; j++) {
                    const float *v = qkv + (size_t)j * ld + vOff + (size_t)dc;
                    const __m256 p = _mm256_broadcast_ss(s + j);
                    o0 = _mm256_fmadd_ps(p, _mm256_loadu_ps(v), o0);
                    o1 = _mm256_fmadd_ps(p, _mm256_loadu_ps(v + 8), o1);
                    o2 = _mm256_fmadd_ps(p, _mm256_loadu_ps(v + 16), o2);
                    o3 = _mm256_fmadd_ps(p, _mm256_loadu_ps(v + 24), o3);
                }
                _mm256_storeu_ps(o + dc, _mm256_mul_ps(o0, inv));
                _mm256_storeu_ps(o + dc + 8, _mm256_mul_ps(o1, inv));
                _mm256_storeu_ps(o + dc + 16, _mm256_mul_ps(o2, inv));
                _mm256_storeu_ps(o + dc + 24, _mm256_mul_ps(o3, inv));
            }
            for (; dc < head_dim; dc += 8) {
                __m256 o0 = _mm256_setzero_ps();
                for (int j = 0; j < seq; j++)
                    o0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + j), _mm256_loadu_ps(qkv + (size_t)j * ld + vOff + (size_t)dc), o0);
                _mm256_storeu_ps(o + dc, _mm256_mul_ps(o0, inv));
            }
        }
    }
}

const one_kernel_table one_avx2_kernels = {
    .name = "avx2+fma+f16c",
    .scores_f32 = scores_f32,
    .scores_f16 = scores_f16,
    .linear = linear,
    .gelu = gelu,
    .layernorm = layernorm,
    .attention = attention,
};

#endif /* x86 */
