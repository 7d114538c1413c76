import Testing
import NSTTensor
import NSTRandom

/// The bf16 GEMM against fp32 `sgemm` and against an exact (Double) product of the
/// bf16-rounded inputs. Bounds, with u = 2⁻⁸ (the unit roundoff of bf16's 8 significant bits, round to nearest):
/// - each input is rounded by at most u relative, so a product a·b moves by at most
///   (2u + u²)·|a·b|: |C_bf16 − C| ≤ |α|·(2⁻⁷ + 2⁻¹⁶)·Σₖ|a||b| plus fp32's summation error;
/// - fp32 summation of k terms (and the α, β step) errs by at most (k + 2)·2⁻²⁴·Σₖ|a||b|
///   (the classic γₖ bound), so against the exact product of the rounded inputs the kernel
///   must agree to that much: this is what shows it really rounds to bf16 (and to the nearest).
/// Skipped, with the reason printed, on CPUs without AVX512-BF16.
@Suite("bf16 GEMM")
struct BF16GemmTests {
    /// Odd shapes (m, n, k not multiples of the 6 × 64 tile, odd k), the transposes the engine
    /// uses (A or Aᵀ, B) and one it does not (Bᵀ), leading dimensions wider than the matrices.
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (7, 17, 3), (37, 101, 53), (64, 130, 129), (13, 65, 600), (96, 33, 1031)]

    @Test(arguments: shapes)
    func matchesSgemmWithinBF16Rounding(shape: (m: Int, n: Int, k: Int)) throws {
        guard BF16.isSupported else {
            print("bf16 GEMM tests skipped: \(BF16.unsupportedReason ?? "")")
            return
        }
        let (m, n, k) = shape
        var rng = SplitMix64(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        for (transA, transB) in [(false, false), (true, false), (false, true)] {
            for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1.5)] {
                let pad = 5   // leading dimensions wider than the rows
                let (ar, ac) = transA ? (k, m) : (m, k), (br, bc) = transB ? (n, k) : (k, n)
                let lda = ac + pad, ldb = bc + pad, ldc = n + pad
                let a = (0..<(ar * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<(br * ldb)).map { _ in Float.random(in: -2...2, using: &rng) }
                let c0 = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
                var fp32 = c0, bf16 = c0
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                    fp32.withUnsafeMutableBufferPointer { cp in
                        Float.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
                                   b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
                    }
                    bf16.withUnsafeMutableBufferPointer { cp in
                        BF16.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
                                  b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
                    }
                } }
                func at(_ x: [Float], _ ld: Int, _ t: Bool, _ i: Int, _ j: Int) -> Float { t ? x[j * ld + i] : x[i * ld + j] }
                var worstRounded = 0.0, worstFP32 = 0.0, anyRoundingSeen = false
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = 0.0, magnitude = 0.0, unrounded = 0.0
                        for p in 0..<k {
                            let x = at(a, lda, transA, i, p), y = at(b, ldb, transB, p, j)
                            exact += Double(BF16.rounded(x)) * Double(BF16.rounded(y))
                            unrounded += Double(x) * Double(y)
                            magnitude += abs(Double(x) * Double(y))
                        }
                        let old = Double(c0[i * ldc + j]), got = Double(bf16[i * ldc + j])
                        let expected = Double(alpha) * exact + (beta == 0 ? 0 : Double(beta) * old)
                        let scale = abs(Double(alpha)) * magnitude + abs(Double(beta) * old)
                        let gamma = Double(k + 2) * 0x1p-24
                        worstRounded = max(worstRounded, abs(got - expected) / (gamma * scale))
                        worstFP32 = max(worstFP32, abs(got - Double(fp32[i * ldc + j])) / ((0x1p-7 + 0x1p-16 + 2 * gamma) * scale))
                        if abs(exact - unrounded) > 0 { anyRoundingSeen = true }
                    }
                    // Nothing past column n of each row is written.
                    for j in n..<ldc { #expect(bf16[i * ldc + j] == c0[i * ldc + j]) }
                }
                let label = "\(m)×\(n)×\(k) transA \(transA) transB \(transB) α \(alpha) β \(beta)"
                #expect(worstRounded <= 1, "\(label): \(worstRounded) of the fp32 summation bound against the rounded inputs' exact product")
                #expect(worstFP32 <= 1, "\(label): \(worstFP32) of the bf16 bound against sgemm")
                #expect(anyRoundingSeen, "\(label): the inputs were exact in bf16, so this case tests no rounding")
            }
        }
    }

    /// Rounding is to nearest, ties to even, and NaN stays NaN.
    @Test func roundsToNearestEven() {
        #expect(BF16.rounded(1 + 0x1p-8) == 1)              // a tie: down to the even 1.0
        #expect(BF16.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)  // a tie: up to the even neighbour
        #expect(BF16.rounded(1 + 0x1p-8 + 0x1p-12) == 1 + 0x1p-7)
        #expect(BF16.rounded(-3.0) == -3.0)
        #expect(BF16.rounded(.nan).isNaN && BF16.rounded(.infinity) == .infinity)
    }

    /// A packed A split over the workers (rows or columns) gives the single call's result
    /// exactly: every element is summed in the same order either way.
    @Test(arguments: [(m: 37, n: 3001, k: 120), (m: 1000, n: 70, k: 130)])
    func parallelPackedMatchesOneCall(shape: (m: Int, n: Int, k: Int)) {
        guard BF16.isSupported else { print("bf16 GEMM tests skipped: \(BF16.unsupportedReason ?? "")"); return }
        let (m, n, k) = shape
        var rng = SplitMix64(seed: 9)
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        var one = [Float](repeating: 0, count: m * n), split = one
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            let packed = BF16PackedMatrix(transposed: false, rows: m, depth: k, a: ap.baseAddress!, lda: k)
            #expect(packed.bytes >= m * k * 2)
            one.withUnsafeMutableBufferPointer { packed.gemm(n: n, b: bp.baseAddress!, ldb: n, beta: 0, c: $0.baseAddress!, ldc: n) }
            split.withUnsafeMutableBufferPointer { packed.parallelGemm(n: n, b: bp.baseAddress!, ldb: n, beta: 0, c: $0.baseAddress!, ldc: n) }
        } }
        #expect(one == split)
    }
}
