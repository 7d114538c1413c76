import Testing
import NSTTensor

@Suite("Tensor, GEMM and parallel helpers")
struct TensorTests {
    @Test func matmulAgainstLoops() {
        var rng = SplitMix64(seed: 1)
        let a = Tensor<Double>.uniform([3, 4], using: &rng), b = Tensor<Double>.uniform([4, 5], using: &rng)
        let c = a.matmul(b)
        for i in 0..<3 { for j in 0..<5 {
            var s = 0.0
            for k in 0..<4 { s += a[i, k] * b[k, j] }
            #expect(abs(c[i, j] - s) < 1e-12)
        } }
        let ct = b.matmul(a, transposeSelf: true, transposeOther: true)   // (ab)ᵀ
        for i in 0..<3 { for j in 0..<5 { #expect(abs(ct[j, i] - c[i, j]) < 1e-12) } }
    }

    @Test(arguments: [0, 1, 2, 3, 100_001])
    func parallelRangesCoverEachIndexOnce(_ n: Int) {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        counts.initialize(repeating: 0, count: max(n, 1))
        defer { counts.deallocate() }
        Parallel.forRanges(n) { r in for i in r { counts[i] += 1 } }
        #expect((0..<n).allSatisfy { counts[$0] == 1 })
    }
}

@Suite("OpenBLAS kernel selection")
struct BLASRuntimeTests {
    @Test func neverLeftOnTheGenericFallbackOnAnAVX512CPU() {
        let name = BLASRuntime.coreName
        #expect(!name.isEmpty)
        if BLASRuntime.override != nil { #expect(name.lowercased() != "prescott", "override did not take: \(name)") }
        // GEMM still right after the switch.
        let a = Tensor<Float>(shape: [2, 2], storage: [1, 2, 3, 4])
        #expect(a.matmul(a).storage == [7, 10, 15, 22])
    }
}
