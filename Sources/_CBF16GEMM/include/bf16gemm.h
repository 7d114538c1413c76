// bf16 GEMM with fp32 accumulation for x86-64 CPUs with AVX512-BF16 (vdpbf16ps).
//
// C ← α·op(A)·B + β·C, row-major, A m×k after op (op(A) = A or Aᵀ), B k×n, C m×n, with the
// inputs rounded to bf16 (round to nearest even) and every product summed in fp32. The
// kernels are compiled for AVX512-BF16 function by function, so this target builds and links
// on any x86-64 CPU; call them only when nst_bf16_supported() says the CPU (and the OS) can
// run them. On other architectures the library builds with nst_bf16_supported() == 0 and
// the GEMM entry points abort.
#ifndef NST_BF16GEMM_H
#define NST_BF16GEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU has AVX512F, AVX512BW, AVX512VL and AVX512_BF16 and the OS saves the
/// ZMM and opmask state (XCR0), else 0. Read once (cpuid, xgetbv).
int nst_bf16_supported(void);

/// 1 when the CPU reports AMX-BF16 and AMX-TILE (cpuid leaf 7), else 0. Reported only: the
/// kernels here do not use AMX tiles.
int nst_amx_bf16_present(void);

/// Rows of a packed A panel (the microkernel's row count).
int nst_bf16_panel_rows(void);

/// uint16 elements of op(A) (m×k) packed by nst_bf16_pack_a.
size_t nst_bf16_packed_a_count(int m, int k);

/// Packs op(A) (m×k; A is m×k with row stride lda, or k×m when trans_a) into bf16 panels of
/// nst_bf16_panel_rows() rows, k padded to even with zeros: for each panel, for each pair of
/// k, the rows' pairs (A[i][2q], A[i][2q+1]) side by side. Portable C (any CPU).
void nst_bf16_pack_a(int trans_a, int m, int k, const float *a, int lda, uint16_t *packed);

/// C ← α·op(A)·B + β·C with op(A) packed by nst_bf16_pack_a (same m, k). B is k×n with row
/// stride ldb (or n×k when trans_b). Single-threaded; callers split C's columns among their
/// threads. β = 0 never reads C. Requires nst_bf16_supported().
void nst_bf16_gemm_packed(int m, int n, int k, float alpha, const uint16_t *packed_a,
                          int trans_b, const float *b, int ldb, float beta, float *c, int ldc);

/// The same product with A unpacked (packed into a temporary first).
void nst_bf16_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc);

/// x rounded to bf16 (round to nearest even; NaN stays NaN), as the kernels round.
uint16_t nst_bf16_from_float(float x);
float nst_bf16_to_float(uint16_t x);

#ifdef __cplusplus
}
#endif

#endif
