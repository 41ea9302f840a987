/*
 * AVX-512F GEMM for x86-64 (one_linear). On cores with full-width 512-bit
 * FMA units (AMD Zen 5, Intel server parts) this doubles the arithmetic rate
 * of the AVX2 kernel, and GEMM is nearly all of a transformer forward pass.
 * The other kernels stay AVX2 (see one_avx512_kernels in kernels_avx2.c).
 */
#if defined(__x86_64__) || defined(__i386__)

#include "kernels.h"

#include <immintrin.h>

#define ONE_AVX512 __attribute__((target("avx512f,avx2,fma")))

/* Register tile: MR rows x 32 columns (two packed panels); MC rows per L2 block. */
enum { MR = 8, MC = 96 };

/* Lanes of a 16-column panel that hold real output columns. */
static inline __mmask16 column_mask(int cols) {
    return cols >= ONE_PANEL ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols > 0 ? cols : 0)) - 1u);
}

/*
 * rows x 32 tile over the full k, from panels p0 and p1 (p1 may repeat p0
 * when only one panel is left; its lanes are then masked off). Always inlined
 * with a constant `rows`, so the 2 * MR accumulators stay in zmm registers.
 */
ONE_AVX512 static inline __attribute__((always_inline)) void
tile(const float *x, int k, const int rows, const float *p0, const float *p1,
     __m512 bias0, __m512 bias1, float *y, int ldy, __mmask16 mask0, __mmask16 mask1) {
    __m512 c0[MR], c1[MR];
    const float *a[MR];
    for (int r = 0; r < rows; r++) {
        a[r] = x + (size_t)r * (size_t)k;
        c0[r] = bias0;
        c1[r] = bias1;
    }
    for (int p = 0; p < k; p++) {
        const __m512 w0 = _mm512_loadu_ps(p0 + (size_t)p * ONE_PANEL);
        const __m512 w1 = _mm512_loadu_ps(p1 + (size_t)p * ONE_PANEL);
        for (int r = 0; r < rows; r++) {
            const __m512 av = _mm512_set1_ps(a[r][p]);
            c0[r] = _mm512_fmadd_ps(av, w0, c0[r]);
            c1[r] = _mm512_fmadd_ps(av, w1, c1[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *out = y + (size_t)r * (size_t)ldy;
        _mm512_mask_storeu_ps(out, mask0, c0[r]);
        _mm512_mask_storeu_ps(out + ONE_PANEL, mask1, c1[r]);
    }
}

ONE_AVX512 static void tile_rows(const float *x, int k, int rows, const float *p0, const float *p1,
                                 __m512 bias0, __m512 bias1, float *y, int ldy, __mmask16 mask0, __mmask16 mask1) {
    switch (rows) {
    case 1: tile(x, k, 1, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 2: tile(x, k, 2, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 3: tile(x, k, 3, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 4: tile(x, k, 4, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 5: tile(x, k, 5, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 6: tile(x, k, 6, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    case 7: tile(x, k, 7, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    default: tile(x, k, 8, p0, p1, bias0, bias1, y, ldy, mask0, mask1); break;
    }
}

ONE_AVX512 void one_avx512_linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y) {
    for (int i0 = 0; i0 < m; i0 += MC) {
        const int block = m - i0 < MC ? m - i0 : MC;
        const int tiles = (block + MR - 1) / MR;
        for (int j0 = 0; j0 < n; j0 += 2 * ONE_PANEL) {
            const __mmask16 mask0 = column_mask(n - j0);
            const __mmask16 mask1 = column_mask(n - j0 - ONE_PANEL);
            const float *p0 = packed + (size_t)j0 * (size_t)k;
            const float *p1 = mask1 ? p0 + (size_t)ONE_PANEL * (size_t)k : p0;
            const __m512 bias0 = _mm512_maskz_loadu_ps(mask0, bias + j0);
            const __m512 bias1 = mask1 ? _mm512_maskz_loadu_ps(mask1, bias + j0 + ONE_PANEL) : _mm512_setzero_ps();
            int i = i0;
            for (int t = 0; t < tiles; t++) {
                const int rows = (i0 + block - i + (tiles - t) - 1) / (tiles - t);
                tile_rows(x + (size_t)i * (size_t)k, k, rows, p0, p1, bias0, bias1,
                          y + (size_t)i * (size_t)n + j0, n, mask0, mask1);
                i += rows;
            }
        }
    }
}

#endif /* x86 */
