/*
 * COneKernels — CPU kernels for sentence embedding and exact vector search.
 *
 * Every entry point dispatches at runtime: on x86-64 CPUs with AVX2, FMA and
 * F16C the vectorised variants are used (plus an AVX-512F GEMM where
 * available), otherwise a portable scalar implementation. The choice is made
 * once, on first use, and never changes. The environment variable
 * ONE_KERNELS_ISA=scalar or =avx2, set before the first call, caps the choice
 * (used to test the fallback paths).
 *
 * All matrices are dense and row-major. Pointers must not alias unless stated.
 * The functions are pure with respect to their arguments and thread-safe.
 */
#ifndef CONE_KERNELS_H
#define CONE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__clang__)
#define _Nullable
#define _Nonnull
#endif

#ifdef __cplusplus
extern "C" {
#endif

#pragma clang assume_nonnull begin

/* ---- Introspection ----------------------------------------------------- */

/** Name of the variant selected at runtime, e.g. "avx2+fma+f16c" or "scalar". */
const char *one_kernels_isa(void);

/* ---- Exact vector search ----------------------------------------------- */

/**
 * out[i] = dot(query, matrix row i) for `rows` rows of `dim` values, the rows stored as IEEE 754
 * binary16 bit patterns: half the memory of floats, and the scan is bound by memory bandwidth.
 */
void one_scores_f16(const float *query, const uint16_t *matrix, long rows, int dim, float *out);

/**
 * out[q * rows + i] = dot(query q, matrix row i) for `count` queries of `dim` values stored one
 * after another. Each row is read from memory once for all the queries, so a batch costs about
 * one scan's memory traffic; every score equals what one_scores_f16 gives for that query alone.
 */
void one_scores_f16_batch(const float *queries, int count, const uint16_t *matrix, long rows, int dim, float *out);

/* ---- Transformer building blocks --------------------------------------- */

/** Number of floats one_pack_weight writes for an [n, k] weight matrix. */
size_t one_packed_weight_count(int n, int k);

/**
 * Repacks a PyTorch Linear weight ([n outputs, k inputs], row-major) into the
 * panel layout one_linear reads: panels of 16 output columns, each stored
 * k-major and zero-padded. Do this once at load time.
 */
void one_pack_weight(const float *weight, int n, int k, float *packed);

/** y[m, n] = x[m, k] * W^T + bias, with W packed by one_pack_weight. */
void one_linear(const float *x, int m, int k, const float *packed, const float *bias, int n, float *y);

/** In place x = x * Phi(x) (exact-erf GELU, as in BERT). */
void one_gelu(float *x, long count);

/**
 * Row-wise LayerNorm in place: x = LN(x + residual) * gamma + beta.
 * `residual` may be NULL (plain LayerNorm).
 */
void one_layernorm(float *x, const float *_Nullable residual, int rows, int dim,
                   const float *gamma, const float *beta, float eps);

/** Floats of scratch one_attention needs for a sequence of `seq` tokens. */
size_t one_attention_scratch_count(int seq, int head_dim);

/**
 * Multi-head self-attention for one sequence without masking.
 * `qkv` is [seq, 3 * heads * head_dim]: each row holds Q, then K, then V,
 * each split into heads of `head_dim`. Writes softmax(QK^T / sqrt(d)) V to
 * `out` ([seq, heads * head_dim]).
 */
void one_attention(const float *qkv, int seq, int heads, int head_dim, float *out, float *scratch);

/** out[dim] = L2-normalised mean of the `rows` rows of x. */
void one_mean_pool_l2(const float *x, int rows, int dim, float *out);

#pragma clang assume_nonnull end

#ifdef __cplusplus
}
#endif

#endif /* CONE_KERNELS_H */
