/*
 * Internal interface between the dispatcher (dispatch.c) and the kernel
 * variants. Not part of the public module.
 */
#ifndef CONE_KERNELS_INTERNAL_H
#define CONE_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Weight packing: panels of ONE_PANEL output columns, k-major. Shared by all variants. */
#define ONE_PANEL 16

typedef struct one_kernel_table {
    const char *name;
    void (*scores_f16_batch)(const float *queries, int count, const uint16_t *matrix, long rows, int dim, float *out);
    void (*linear)(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y);
    void (*gelu)(float *x, long count);
    void (*layernorm)(float *x, const float *residual, int rows, int dim,
                      const float *gamma, const float *beta, float eps);
    void (*attention)(const float *qkv, int seq, int heads, int head_dim, float *out, float *scratch);
} one_kernel_table;

extern const one_kernel_table one_scalar_kernels;
#if defined(__x86_64__) || defined(__i386__)
extern const one_kernel_table one_avx2_kernels;
extern const one_kernel_table one_avx512_kernels;
/* AVX2 scan (search_avx2.c); same contract as one_scores_f16_batch. */
void one_avx2_scores_f16_batch(const float *queries, int count, const uint16_t *matrix, long rows, int dim, float *out);
/* AVX-512F GEMM (kernels_avx512.c); same contract and packed layout as one_linear. */
void one_avx512_linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y);
#endif

/* Scratch layout shared by the attention variants. */
static inline int one_round_up8(int n) { return (n + 7) & ~7; }

#endif /* CONE_KERNELS_INTERNAL_H */
