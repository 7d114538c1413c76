import _CBLAS

/// A scalar the engine computes in: `Float` (fast path, `cblas_sgemm`) or `Double`
/// (gradient checks, `cblas_dgemm`). Layer code is written once, generic over it.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, row-major, with op(X) = X or Xᵀ.
    /// A is m×k after op, B is k×n after op, C is m×n; `lda`, `ldb`, `ldc` are row strides.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// C ← α·A·Aᵀ + β·C on C's upper triangle (the lower is not touched), row-major:
    /// A is n×k with row stride `lda`, C is n×n with row stride `ldc`. Half a GEMM's work.
    static func syrkUpper(n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                          beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

@inline(__always)
func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: TensorScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLASRuntime.configure()
        cblas_sgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB),
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }
}

extension Float {
    public static func syrkUpper(n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLASRuntime.configure()
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(k), alpha, a, blasint(lda), beta, c, blasint(ldc))
    }
}

extension Double {
    public static func syrkUpper(n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                                 beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLASRuntime.configure()
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(k), alpha, a, blasint(lda), beta, c, blasint(ldc))
    }
}

extension Double: TensorScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLASRuntime.configure()
        cblas_dgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB),
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }
}

/// How a GEMM's C (m×n) is cut among `Parallel`'s workers: its columns (or its rows, when it
/// has more rows than columns) in contiguous chunks, one per worker. Products under 4 M
/// multiply-adds stay whole.
public enum GemmSplit {
    /// Runs body(rows, columns) on each part concurrently; the parts tile 0..<m × 0..<n.
    /// Chunk edges fall on multiples of 16 columns, or of `rowQuantum` rows.
    @inlinable
    public static func forEachPart(m: Int, n: Int, k: Int, rowQuantum: Int = 16, _ body: (Range<Int>, Range<Int>) -> Void) {
        let splitColumns = n >= m
        let extent = splitColumns ? n : m, quantum = splitColumns ? 16 : rowQuantum
        let chunks = m * n * k < 4 << 20 ? 1 : min(Parallel.available, max(1, extent / quantum))
        Parallel.forRanges(chunks, costPerItem: 1 << 20) { range in
            for chunk in range {
                // Every chunk but the last fills whole vectors (or panels).
                let lo = extent * chunk / chunks / quantum * quantum
                let hi = chunk + 1 == chunks ? extent : extent * (chunk + 1) / chunks / quantum * quantum
                if lo >= hi { continue }
                if splitColumns { body(0..<m, lo..<hi) } else { body(lo..<hi, 0..<n) }
            }
        }
    }
}

extension TensorScalar {
    /// The same product as `gemm`, split over `Parallel`'s workers by `GemmSplit`, each part a
    /// single-threaded GEMM on its own part of C.
    @inlinable
    public static func parallelGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                    alpha: Self, a: UnsafePointer<Self>, lda: Int,
                                    b: UnsafePointer<Self>, ldb: Int,
                                    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int) {
        GemmSplit.forEachPart(m: m, n: n, k: k) { rows, columns in
            let i = rows.lowerBound, j = columns.lowerBound
            gemm(transA: transA, transB: transB, m: rows.count, n: columns.count, k: k, alpha: alpha,
                 a: transA ? a + i : a + i * lda, lda: lda, b: transB ? b + j * ldb : b + j, ldb: ldb,
                 beta: beta, c: c + i * ldc + j, ldc: ldc)
        }
    }
}

extension TensorScalar {
    /// C = A·Aᵀ (all of it, n×n, row stride n) for A n×k (row stride `lda`), with the k columns
    /// split over `Parallel`'s workers: each worker's columns give a partial product by
    /// `syrkUpper` (half a GEMM's multiply-adds), the partials are summed and the upper
    /// triangle mirrored. Products under 4 M multiply-adds run as one call.
    @inlinable
    public static func parallelGram(n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, c: UnsafeMutablePointer<Self>) {
        if n == 0 { return }
        let chunks = n * n * k < 4 << 20 ? 1 : min(Parallel.available, max(1, k / 64))
        let partials = UnsafeMutablePointer<Self>.allocate(capacity: max(0, chunks - 1) * n * n)
        defer { partials.deallocate() }
        Parallel.forRanges(chunks, costPerItem: 1 << 20) { range in
            for chunk in range {
                let lo = k * chunk / chunks, hi = k * (chunk + 1) / chunks
                let out = chunk == 0 ? c : partials + (chunk - 1) * n * n
                syrkUpper(n: n, k: hi - lo, alpha: 1, a: a + lo, lda: lda, beta: 0, c: out, ldc: n)
            }
        }
        for i in 0..<n {
            for chunk in 1..<max(1, chunks) {
                let p = partials + (chunk - 1) * n * n
                for j in i..<n { c[i * n + j] += p[i * n + j] }
            }
        }
        SquareBlocks.forEach(n, belowDiagonal: true) { i, j in c[i * n + j] = c[j * n + i] }   // the mirror
    }
}

/// The walk of an n×n matrix that reads it transposed as well: (i, j) for every i, j < n (or
/// j < i only), in 32×32 blocks, so that [j·n + i] read beside [i·n + j] stays in cache. Row by
/// row, the column reads of a matrix larger than the cache (a 512×512 Gram matrix) would miss
/// it on every entry.
public enum SquareBlocks {
    @inlinable @inline(__always)
    public static func forEach(_ n: Int, belowDiagonal: Bool = false, _ body: (Int, Int) -> Void) {
        let block = 32
        for i0 in stride(from: 0, to: n, by: block) {
            for j0 in stride(from: 0, to: belowDiagonal ? min(n, i0 + 1) : n, by: block) {
                for i in i0..<min(i0 + block, n) {
                    for j in j0..<min(j0 + block, belowDiagonal ? i : n) { body(i, j) }
                }
            }
        }
    }
}

/// OpenBLAS's thread count: 1 once the engine has configured it (see `BLASRuntime.configure`).
public enum BLASThreads {
    public static func set(_ n: Int) { BLASRuntime.configure(); openblas_set_num_threads(Int32(n)) }
}

extension Tensor {
    /// Matrix product of two 2-D tensors with optional transposes: op(self)·op(other).
    @_specialize(where Scalar == Float)
    @inlinable
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(shape.count == 2 && other.shape.count == 2, "matmul needs 2-D tensors")
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(k == k2, "matmul: inner dimensions \(k) and \(k2) differ")
        // β = 0 overwrites every element; with k = 0 there is no product, so zeros are written.
        var out = k > 0 ? Tensor(uninitializedShape: [m, n]) : Tensor(shape: [m, n])
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    Scalar.parallelGemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                                alpha: 1, a: a.baseAddress!, lda: shape[1],
                                b: b.baseAddress!, ldb: other.shape[1],
                                beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
