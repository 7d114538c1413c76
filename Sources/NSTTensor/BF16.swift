import _CBF16GEMM

/// The bf16 GEMM (`_CBF16GEMM`): op(A)·B on inputs rounded to bf16, summed in fp32, and what
/// this CPU can run.
public enum BF16 {
    /// Whether this CPU runs the bf16 kernels: AVX512F, BW, VL and AVX512_BF16, with the ZMM
    /// state saved by the OS (cpuid and xgetbv, read once).
    public static let isSupported: Bool = nst_bf16_supported() != 0

    /// Whether the CPU has AMX-BF16 tiles. Reported only: the kernels use AVX512-BF16.
    public static let hasAMX: Bool = nst_amx_bf16_present() != 0

    /// Why bf16 cannot run here (nil when it can).
    public static var unsupportedReason: String? {
        if isSupported { return nil }
        #if arch(x86_64)
        return "this CPU (or its OS) lacks AVX512-BF16 (cpuid 7.1 EAX bit 5, with AVX512F/BW/VL and ZMM state in XCR0)"
        #else
        return "the bf16 kernels are written for x86-64 (AVX512-BF16)"
        #endif
    }

    /// x rounded to bf16 and back (round to nearest even), as the kernels round their inputs.
    public static func rounded(_ x: Float) -> Float { nst_bf16_to_float(nst_bf16_from_float(x)) }

    /// C ← α·op(A)·op(B) + β·C (row-major, `Float.gemm`'s arguments) in bf16 with fp32 sums,
    /// single-threaded. Requires `isSupported`.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BF16PackedMatrix(transposed: transA, rows: m, depth: k, a: a, lda: lda)
            .gemm(transB: transB, n: n, alpha: alpha, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// op(A) (m×k) rounded to bf16 and packed in the kernel's panels once, for a GEMM's A used many
/// times (a convolution's weights): m·k·2 bytes (k rounded up to even, m to the panel height).
public final class BF16PackedMatrix: @unchecked Sendable {
    /// m and k of op(A).
    public let rows: Int, depth: Int
    @usableFromInline let storage: UnsafeMutablePointer<UInt16>
    let count: Int

    /// Packs op(A): A is m×k (row stride `lda`), or k×m when `transposed`.
    public init(transposed: Bool, rows m: Int, depth k: Int, a: UnsafePointer<Float>, lda: Int) {
        rows = m; depth = k
        count = nst_bf16_packed_a_count(Int32(m), Int32(k))
        storage = .allocate(capacity: max(1, count))
        nst_bf16_pack_a(transposed ? 1 : 0, Int32(m), Int32(k), a, Int32(lda), storage)
    }

    deinit { storage.deallocate() }

    /// Bytes held.
    public var bytes: Int { count * 2 }

    /// C ← α·op(A)·op(B) + β·C for C's rows `rowRange` (default all; its lower bound a
    /// multiple of `BF16PackedMatrix.rowQuantum`), single-threaded. B is k×n (row stride
    /// `ldb`), or n×k when `transB`. Requires `BF16.isSupported`.
    public func gemm(transB: Bool = false, n: Int, alpha: Float = 1, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rowRange: Range<Int>? = nil) {
        precondition(BF16.isSupported, "bf16 GEMM on a CPU without AVX512-BF16")
        let r = rowRange ?? 0..<rows
        precondition(r.lowerBound % Int(nst_bf16_panel_rows()) == 0 && r.upperBound <= rows)
        let kEven = (depth + 1) & ~1
        nst_bf16_gemm_packed(Int32(r.count), Int32(n), Int32(depth), alpha, storage + r.lowerBound * kEven,
                             transB ? 1 : 0, b, Int32(ldb), beta, c + r.lowerBound * ldc, Int32(ldc))
    }

    /// Row chunks for threads start on multiples of this (the panel height, and 16).
    public static var rowQuantum: Int { 48 }

    /// The same product split over `Parallel`'s workers as `TensorScalar.parallelGemm` splits it.
    public func parallelGemm(n: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        GemmSplit.forEachPart(m: rows, n: n, k: depth, rowQuantum: BF16PackedMatrix.rowQuantum) { rowPart, columns in
            gemm(n: columns.count, b: b + columns.lowerBound, ldb: ldb, beta: beta, c: c + columns.lowerBound, ldc: ldc, rowRange: rowPart)
        }
    }
}
