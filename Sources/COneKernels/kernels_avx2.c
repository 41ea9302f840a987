/*
 * AVX2 + FMA transformer kernels for x86-64 (GEMM, GELU, LayerNorm,
 * attention) and the AVX2 / AVX-512 kernel tables. Compiled with per-function
 * target attributes so the rest of the module stays baseline x86-64;
 * dispatch.c only selects these tables after checking the CPU.
 */
#if defined(__x86_64__) || defined(__i386__)

#include "avx2_common.h"
#include "kernels.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* GEMM blocking: MR x 16 register tile; MC rows of x per block stay in L2. */
enum { MR = 6, MC = 96 };

/* ---- Math helpers ------------------------------------------------------ */

/* e^x, Cephes-style range reduction + degree-5 polynomial (relative error ~1e-7; input clamped to [-87, 88]). */
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
    __m256 tail = _mm256_mul_ps(p, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(z, z))));
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 onePlusErf = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), tail), tail, negative);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), onePlusErf);
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
 * A rows x 16 output tile over the full k. Always inlined with a constant
 * `rows`, so the accumulator arrays live in registers (2 * MR + 3 <= 16 ymm).
 */
ONE_AVX2 static inline __attribute__((always_inline)) void
tile(const float *x, int k, const int rows, const float *panel, const float *bias, float *y, int ldy, int cols) {
    __m256 lo[MR], hi[MR];
    const float *a[MR];
    const __m256 bl = _mm256_loadu_ps(bias), bh = _mm256_loadu_ps(bias + 8);
    for (int r = 0; r < rows; r++) {
        a[r] = x + (size_t)r * (size_t)k;
        lo[r] = bl;
        hi[r] = bh;
    }
    for (int p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(panel + (size_t)p * ONE_PANEL);
        const __m256 b1 = _mm256_loadu_ps(panel + (size_t)p * ONE_PANEL + 8);
        for (int r = 0; r < rows; r++) {
            const __m256 av = _mm256_broadcast_ss(a[r] + p);
            lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
            hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
        }
    }
    for (int r = 0; r < rows; r++) store_row(y + (size_t)r * (size_t)ldy, lo[r], hi[r], cols);
}

ONE_AVX2 static void tile_rows(const float *x, int k, int rows, const float *panel, const float *bias,
                               float *y, int ldy, int cols) {
    switch (rows) {
    case 1: tile(x, k, 1, panel, bias, y, ldy, cols); break;
    case 2: tile(x, k, 2, panel, bias, y, ldy, cols); break;
    case 3: tile(x, k, 3, panel, bias, y, ldy, cols); break;
    case 4: tile(x, k, 4, panel, bias, y, ldy, cols); break;
    case 5: tile(x, k, 5, panel, bias, y, ldy, cols); break;
    default: tile(x, k, 6, panel, bias, y, ldy, cols); break;
    }
}

/*
 * Blocks of MC rows (kept in L2) x panels of 16 columns (reused from L1/L2 by
 * every tile of the block). A block's rows are split into equal tiles of at
 * most MR rows, so a 14-token sentence costs tiles of 5+5+4, not 6+6+6.
 */
ONE_AVX2 static void linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y) {
    for (int i0 = 0; i0 < m; i0 += MC) {
        const int block = m - i0 < MC ? m - i0 : MC;
        const int tiles = (block + MR - 1) / MR;
        for (int j0 = 0; j0 < n; j0 += ONE_PANEL) {
            const float *panel = packed + (size_t)j0 * (size_t)k;
            const int cols = n - j0 < ONE_PANEL ? n - j0 : ONE_PANEL;
            float padded[ONE_PANEL] = {0};
            const float *b = bias + j0;
            if (cols < ONE_PANEL) {
                memcpy(padded, b, (size_t)cols * sizeof(float));
                b = padded;
            }
            int i = i0;
            for (int t = 0; t < tiles; t++) {
                const int rows = (i0 + block - i + (tiles - t) - 1) / (tiles - t);
                tile_rows(x + (size_t)i * (size_t)k, k, rows, panel, b, y + (size_t)i * (size_t)n + j0, n, cols);
                i += rows;
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
    .scores_f16_batch = one_avx2_scores_f16_batch,
    .linear = linear,
    .gelu = gelu,
    .layernorm = layernorm,
    .attention = attention,
};

/*
 * CPUs with AVX-512F use the 512-bit GEMM (where nearly all the time goes)
 * and these AVX2 kernels for everything else, which is memory-bound or small.
 */
const one_kernel_table one_avx512_kernels = {
    .name = "avx512f+avx2+fma+f16c",
    .scores_f16_batch = one_avx2_scores_f16_batch,
    .linear = one_avx512_linear,
    .gelu = gelu,
    .layernorm = layernorm,
    .attention = attention,
};

#endif /* x86 */
