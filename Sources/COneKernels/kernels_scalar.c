/*
 * Portable scalar kernels: the reference semantics for every entry point and
 * the fallback on CPUs without AVX2/FMA/F16C.
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1fu) {                 /* inf / NaN */
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {              /* normal */
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {              /* zero */
        bits = sign;
    } else {                                 /* subnormal: renormalise */
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void scores_f16_batch(const float *queries, int count, const uint16_t *matrix, long rows, int dim, float *out) {
    for (long i = 0; i < rows; i++) {
        const uint16_t *row = matrix + (size_t)i * (size_t)dim;
        for (int q = 0; q < count; q++) {
            const float *query = queries + (size_t)q * (size_t)dim;
            float sum = 0.0f;
            for (int d = 0; d < dim; d++) sum += query[d] * half_to_float(row[d]);
            out[(size_t)q * (size_t)rows + i] = sum;
        }
    }
}

static void linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y) {
    float acc[ONE_PANEL];
    for (int i = 0; i < m; i++) {
        const float *a = x + (size_t)i * (size_t)k;
        for (int j0 = 0; j0 < n; j0 += ONE_PANEL) {
            const float *panel = packed + (size_t)j0 * (size_t)k;
            int cols = n - j0 < ONE_PANEL ? n - j0 : ONE_PANEL;
            for (int c = 0; c < ONE_PANEL; c++) acc[c] = c < cols ? bias[j0 + c] : 0.0f;
            for (int p = 0; p < k; p++) {
                float av = a[p];
                const float *b = panel + (size_t)p * ONE_PANEL;
                for (int c = 0; c < ONE_PANEL; c++) acc[c] += av * b[c];
            }
            memcpy(y + (size_t)i * (size_t)n + j0, acc, (size_t)cols * sizeof(float));
        }
    }
}

static void gelu(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

static void layernorm(float *x, const float *residual, int rows, int dim,
                      const float *gamma, const float *beta, float eps) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * (size_t)dim;
        if (residual) {
            const float *res = residual + (size_t)r * (size_t)dim;
            for (int d = 0; d < dim; d++) row[d] += res[d];
        }
        float mean = 0.0f;
        for (int d = 0; d < dim; d++) mean += row[d];
        mean /= (float)dim;
        float var = 0.0f;
        for (int d = 0; d < dim; d++) var += (row[d] - mean) * (row[d] - mean);
        float inv = 1.0f / sqrtf(var / (float)dim + eps);
        for (int d = 0; d < dim; d++) row[d] = (row[d] - mean) * inv * gamma[d] + beta[d];
    }
}

static void attention(const float *qkv, int seq, int heads, int head_dim, float *out, float *scratch) {
    const int hidden = heads * head_dim;
    const size_t ld = (size_t)hidden * 3;
    const float scale = 1.0f / sqrtf((float)head_dim);
    float *scores = scratch;
    for (int h = 0; h < heads; h++) {
        for (int i = 0; i < seq; i++) {
            const float *q = qkv + (size_t)i * ld + (size_t)h * (size_t)head_dim;
            float max = -INFINITY;
            for (int j = 0; j < seq; j++) {
                const float *kr = qkv + (size_t)j * ld + (size_t)hidden + (size_t)h * (size_t)head_dim;
                float s = 0.0f;
                for (int d = 0; d < head_dim; d++) s += q[d] * kr[d];
                scores[j] = s * scale;
                if (scores[j] > max) max = scores[j];
            }
            float sum = 0.0f;
            for (int j = 0; j < seq; j++) {
                scores[j] = expf(scores[j] - max);
                sum += scores[j];
            }
            float inv = 1.0f / sum;
            float *o = out + (size_t)i * (size_t)hidden + (size_t)h * (size_t)head_dim;
            for (int d = 0; d < head_dim; d++) o[d] = 0.0f;
            for (int j = 0; j < seq; j++) {
                const float *v = qkv + (size_t)j * ld + 2 * (size_t)hidden + (size_t)h * (size_t)head_dim;
                float p = scores[j] * inv;
                for (int d = 0; d < head_dim; d++) o[d] += p * v[d];
            }
        }
    }
}

const one_kernel_table one_scalar_kernels = {
    .name = "scalar",
    .scores_f16_batch = scores_f16_batch,
    .linear = linear,
    .gelu = gelu,
    .layernorm = layernorm,
    .attention = attention,
};
