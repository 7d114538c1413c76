import _CBLAS

/// A scalar the engine computes in: `Float` (fast path, `cblas_sgemm`) or `Double`
/// (gradient checks, `cblas_dgemm`). Layer code is written once, generic over it.
public protocol TensorScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, row-major, with op(X) = X or Xᵀ.
    /// A is m×k after op, B is k×n after op, C is m×n; `lda`, `ldb`, `ldc` are row strides.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
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

/// OpenBLAS's thread count (defaults to the number of cores).
public enum BLASThreads {
    public static func set(_ n: Int) { BLASRuntime.configure(); openblas_set_num_threads(Int32(n)) }
    public static var current: Int { BLASRuntime.configure(); return Int(openblas_get_num_threads()) }
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
        var out = Tensor(shape: [m, n])
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                                alpha: 1, a: a.baseAddress!, lda: shape[1],
                                b: b.baseAddress!, ldb: other.shape[1],
                                beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
