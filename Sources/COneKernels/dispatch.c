/*
 * Public entry points: pick the best kernel variant once and forward to it,
 * plus the ISA-independent helpers (weight packing, pooling).
 */
#include "COneKernels.h"
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/*
 * Best variant this CPU supports. ONE_KERNELS_ISA=scalar|avx2 caps the choice
 * (for testing the fallbacks); any other value is ignored.
 */
static const one_kernel_table *resolve_kernels(void) {
#if defined(__x86_64__) || defined(__i386__)
    const char *cap = getenv("ONE_KERNELS_ISA");
    int allowAVX2 = 1, allowAVX512 = 1;
    if (cap != NULL && strcmp(cap, "scalar") == 0) allowAVX2 = allowAVX512 = 0;
    if (cap != NULL && strcmp(cap, "avx2") == 0) allowAVX512 = 0;
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    if (allowAVX512 && avx2 && __builtin_cpu_supports("avx512f")) return &one_avx512_kernels;
    if (allowAVX2 && avx2) return &one_avx2_kernels;
#endif
    return &one_scalar_kernels;
}

/*
 * The selected table. Resolution is idempotent, so a race between two first
 * callers only repeats the same pure computation; the atomic makes the
 * publication well-defined.
 */
static const one_kernel_table *kernels(void) {
    static _Atomic(const one_kernel_table *) selected = NULL;
    const one_kernel_table *table = atomic_load_explicit(&selected, memory_order_acquire);
    if (table == NULL) {
        table = resolve_kernels();
        atomic_store_explicit(&selected, table, memory_order_release);
    }
    return table;
}

const char *one_kernels_isa(void) { return kernels()->name; }

void one_scores_f16(const float *query, const uint16_t *matrix, long rows, int dim, float *out) {
    kernels()->scores_f16_batch(query, 1, matrix, rows, dim, out);
}

void one_scores_f16_batch(const float *queries, int count, const uint16_t *matrix, long rows, int dim, float *out) {
    kernels()->scores_f16_batch(queries, count, matrix, rows, dim, out);
}

size_t one_packed_weight_count(int n, int k) {
    size_t panels = ((size_t)n + ONE_PANEL - 1) / ONE_PANEL;
    return panels * ONE_PANEL * (size_t)k;
}

void one_pack_weight(const float *weight, int n, int k, float *packed) {
    for (int j0 = 0; j0 < n; j0 += ONE_PANEL) {
        float *panel = packed + (size_t)j0 * (size_t)k;
        for (int p = 0; p < k; p++) {
            for (int c = 0; c < ONE_PANEL; c++) {
                int j = j0 + c;
                panel[(size_t)p * ONE_PANEL + (size_t)c] = j < n ? weight[(size_t)j * (size_t)k + (size_t)p] : 0.0f;
            }
        }
    }
}

void one_linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y) {
    kernels()->linear(x, m, k, packed, bias, n, y);
}

void one_gelu(float *x, long count) { kernels()->gelu(x, count); }

void one_layernorm(float *x, const float *residual, int rows, int dim,
                   const float *gamma, const float *beta, float eps) {
    kernels()->layernorm(x, residual, rows, dim, gamma, beta, eps);
}

size_t one_attention_scratch_count(int seq, int head_dim) {
    size_t padded = (size_t)one_round_up8(seq);
    return padded * (size_t)head_dim + padded;
}

void one_attention(const float *qkv, int seq, int heads, int head_dim, float *out, float *scratch) {
    kernels()->attention(qkv, seq, heads, head_dim, out, scratch);
}

void one_mean_pool_l2(const float *x, int rows, int dim, float *out) {
    for (int d = 0; d < dim; d++) out[d] = 0.0f;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * (size_t)dim;
        for (int d = 0; d < dim; d++) out[d] += row[d];
    }
    double norm = 0.0;
    for (int d = 0; d < dim; d++) norm += (double)out[d] * (double)out[d];
    /* mean pooling divides every component by rows; normalisation cancels it */
    float scale = norm > 0.0 ? (float)(1.0 / sqrt(norm)) : 0.0f;
    for (int d = 0; d < dim; d++) out[d] *= scale;
}
