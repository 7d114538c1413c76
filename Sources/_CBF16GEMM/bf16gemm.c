#include "bf16gemm.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

// ---------------------------------------------------------------------------------------------
// Conversion and packing (portable C)

uint16_t nst_bf16_from_float(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);   // quiet NaN
    bits += 0x7fffu + ((bits >> 16) & 1u);   // round to nearest, ties to even
    return (uint16_t)(bits >> 16);
}

float nst_bf16_to_float(uint16_t x) {
    uint32_t bits = (uint32_t)x << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// The microkernel's tile: MR rows of C by up to NV_MAX vectors of 16 columns, in
// MR·NV_MAX = 24 zmm accumulators (of 32), the B vectors in 4 more; A's pairs are broadcast
// from memory. K_BLOCK values of k per pass over C, so a B block (K_BLOCK × 64 bf16, 64 KiB)
// stays in L2 while every row panel of A runs over it.
enum { MR = 6, NV_MAX = 4, NR = 16 * NV_MAX, K_BLOCK = 512 };

int nst_bf16_panel_rows(void) { return MR; }

static inline int even(int k) { return (k + 1) & ~1; }

size_t nst_bf16_packed_a_count(int m, int k) {
    size_t panels = (size_t)((m + MR - 1) / MR);
    return panels * MR * (size_t)even(k);
}

void nst_bf16_pack_a(int trans_a, int m, int k, const float *a, int lda, uint16_t *packed) {
    int kp = even(k);
    for (int p0 = 0; p0 < m; p0 += MR) {
        uint16_t *panel = packed + (size_t)p0 * kp;
        for (int q = 0; q < kp / 2; q++) {
            for (int i = 0; i < MR; i++) {
                for (int h = 0; h < 2; h++) {
                    int row = p0 + i, col = 2 * q + h;
                    float v = 0;
                    if (row < m && col < k) v = trans_a ? a[(size_t)col * lda + row] : a[(size_t)row * lda + col];
                    panel[((size_t)q * MR + i) * 2 + h] = nst_bf16_from_float(v);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Feature detection

#if defined(__x86_64__)
static int detect_bf16(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0;                      // OSXSAVE: xgetbv is usable
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return 0;                  // XMM, YMM, opmask, ZMM0-15 hi, ZMM16-31 saved
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if (!(f && bw && vl)) return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1;                                  // AVX512_BF16
}

int nst_bf16_supported(void) {
    static int cached = -1;
    if (cached < 0) cached = detect_bf16();
    return cached;
}

int nst_amx_bf16_present(void) {
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    return ((d >> 22) & 1) && ((d >> 24) & 1);            // AMX-BF16, AMX-TILE
}
#else
int nst_bf16_supported(void) { return 0; }
int nst_amx_bf16_present(void) { return 0; }
#endif

// ---------------------------------------------------------------------------------------------
// The AVX512-BF16 kernels

#if defined(__x86_64__)
#define NST_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/// Mask of the first `count` (≤ 16) lanes.
static inline NST_BF16_TARGET __mmask16 lanes(int count) {
    return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1);
}

/// Packs B's columns j0 ..< j0 + cols (≤ NR) for all k into nv = ⌈cols/16⌉ vectors per pair of
/// k: vector v of pair q holds (B[2q][j], B[2q+1][j]) for its 16 columns j, interleaved as
/// vdpbf16ps reads them; columns past `cols` and the row past an odd k are zero.
static NST_BF16_TARGET void pack_b(int k, int cols, int trans_b, const float *b, int ldb, int j0, uint16_t *out) {
    int nv = (cols + 15) / 16, pairs = even(k) / 2;
    if (trans_b) {   // not on the engine's paths: scalar
        for (int q = 0; q < pairs; q++)
            for (int j = 0; j < nv * 16; j++)
                for (int h = 0; h < 2; h++) {
                    int row = 2 * q + h;
                    float x = (j < cols && row < k) ? b[(size_t)(j0 + j) * ldb + row] : 0.0f;
                    out[((size_t)q * nv * 16 + j) * 2 + h] = nst_bf16_from_float(x);
                }
        return;
    }
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int q = 0; q < pairs; q++) {
        const float *r0 = b + (size_t)(2 * q) * ldb + j0, *r1 = r0 + ldb;
        int second = 2 * q + 1 < k;
        for (int v = 0; v < nv; v++) {
            __mmask16 mask = lanes(cols - 16 * v);
            __m512 x0 = _mm512_maskz_loadu_ps(mask, r0 + 16 * v);
            __m512 x1 = second ? _mm512_maskz_loadu_ps(mask, r1 + 16 * v) : _mm512_setzero_ps();
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);   // x0's 16 in the low half, x1's in the high
            _mm512_storeu_si512(out + ((size_t)q * nv + v) * 32, _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

/// C[0..<mr][0..<cols] ← α·Σ + β·C (or α·Σ + C when `accumulate`) over `pairs` pairs of k,
/// Σ = A panel · B block; mr ≤ MR, nv = ⌈cols/16⌉ ≤ NV_MAX, both constants after inlining.
static inline __attribute__((always_inline)) NST_BF16_TARGET
void tile(int mr, int nv, int pairs, const uint32_t *a, const uint16_t *b, int cols,
          float alpha, float beta, float *c, int ldc) {
    __m512 acc[MR][NV_MAX];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    for (int q = 0; q < pairs; q++) {
        __m512bh bv[NV_MAX];
        for (int v = 0; v < nv; v++) bv[v] = (__m512bh)_mm512_loadu_si512(b + ((size_t)q * nv + v) * 32);
        for (int i = 0; i < mr; i++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[(size_t)q * MR + i]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        for (int v = 0; v < nv; v++) {
            __mmask16 mask = lanes(cols - 16 * v);
            __m512 r = _mm512_mul_ps(acc[i][v], va);
            if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, row + 16 * v), r);
            _mm512_mask_storeu_ps(row + 16 * v, mask, r);
        }
    }
}

#define NST_TILE_ROWS(nv)                                                                              \
    switch (mr) {                                                                                      \
    case 6: tile(6, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                                \
    case 5: tile(5, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                                \
    case 4: tile(4, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                                \
    case 3: tile(3, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                                \
    case 2: tile(2, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                                \
    default: tile(1, nv, pairs, a, b, cols, alpha, beta, c, ldc); break;                               \
    }

/// One tile with its row and vector counts dispatched to a specialised copy.
static NST_BF16_TARGET void tile_any(int mr, int pairs, const uint32_t *a, const uint16_t *b, int cols,
                                     float alpha, float beta, float *c, int ldc) {
    switch ((cols + 15) / 16) {
    case 4: NST_TILE_ROWS(4) break;
    case 3: NST_TILE_ROWS(3) break;
    case 2: NST_TILE_ROWS(2) break;
    default: NST_TILE_ROWS(1) break;
    }
}

/// The calling thread's B panel buffer, grown as needed and kept (one per thread).
static uint16_t *panel_buffer(size_t count) {
    static _Thread_local uint16_t *buffer = NULL;
    static _Thread_local size_t capacity = 0;
    if (count > capacity) {
        free(buffer);
        size_t bytes = (count * sizeof(uint16_t) + 63) / 64 * 64;
        buffer = aligned_alloc(64, bytes);
        if (!buffer) abort();
        capacity = bytes / sizeof(uint16_t);
    }
    return buffer;
}

void nst_bf16_gemm_packed(int m, int n, int k, float alpha, const uint16_t *packed_a,
                          int trans_b, const float *b, int ldb, float beta, float *c, int ldc) {
    if (!nst_bf16_supported()) abort();
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {   // no product: C ← β·C
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return;
    }
    int kp = even(k), pairs = kp / 2;
    uint16_t *panel = panel_buffer((size_t)kp * NR);
    for (int j0 = 0; j0 < n; j0 += NR) {
        int cols = n - j0 < NR ? n - j0 : NR, nv = (cols + 15) / 16;
        pack_b(k, cols, trans_b, b, ldb, j0, panel);
        for (int q0 = 0; q0 < pairs; q0 += K_BLOCK / 2) {
            int block = pairs - q0 < K_BLOCK / 2 ? pairs - q0 : K_BLOCK / 2;
            float step_beta = q0 == 0 ? beta : 1.0f;
            const uint16_t *bblock = panel + (size_t)q0 * nv * 32;
            for (int i0 = 0; i0 < m; i0 += MR) {
                const uint32_t *a = (const uint32_t *)(packed_a + (size_t)i0 * kp) + (size_t)q0 * MR;
                tile_any(m - i0 < MR ? m - i0 : MR, block, a, bblock, cols, alpha, step_beta, c + (size_t)i0 * ldc + j0, ldc);
            }
        }
    }
}
#else
void nst_bf16_gemm_packed(int m, int n, int k, float alpha, const uint16_t *packed_a,
                          int trans_b, const float *b, int ldb, float beta, float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)alpha; (void)packed_a; (void)trans_b; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    abort();
}
#endif

void nst_bf16_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc) {
    size_t count = nst_bf16_packed_a_count(m, k);
    uint16_t *packed = malloc((count ? count : 1) * sizeof(uint16_t));
    if (!packed) abort();
    nst_bf16_pack_a(trans_a, m, k, a, lda, packed);
    nst_bf16_gemm_packed(m, n, k, alpha, packed, trans_b, b, ldb, beta, c, ldc);
    free(packed);
}
