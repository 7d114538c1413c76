import Testing
import NSTTensor
import NSTRandom

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

    /// parallelGemm splits C by columns (n ≥ m) or rows (m > n) over the workers; every split,
    /// with either operand transposed, gives the single call's result. The shapes are large
    /// enough to be split (≥ 4 M multiply-adds) and not multiples of the 16-wide chunk edges.
    @Test(arguments: [(37, 301, 419), (419, 301, 37)])
    func parallelGemmMatchesOneCall(m: Int, k: Int, n: Int) {
        var rng = SplitMix64(seed: 2)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Tensor<Double>.uniform(transA ? [k, m] : [m, k], using: &rng)
            let b = Tensor<Double>.uniform(transB ? [n, k] : [k, n], using: &rng)
            let c0 = Tensor<Double>.uniform([m, n], using: &rng)
            var one = c0, split = c0
            a.storage.withUnsafeBufferPointer { ap in b.storage.withUnsafeBufferPointer { bp in
                one.storage.withUnsafeMutableBufferPointer { cp in
                    Double.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: ap.baseAddress!, lda: a.shape[1],
                                b: bp.baseAddress!, ldb: b.shape[1], beta: 2, c: cp.baseAddress!, ldc: n)
                }
                split.storage.withUnsafeMutableBufferPointer { cp in
                    Double.parallelGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: ap.baseAddress!, lda: a.shape[1],
                                        b: bp.baseAddress!, ldb: b.shape[1], beta: 2, c: cp.baseAddress!, ldc: n)
                }
            } }
            let worst = zip(one.storage, split.storage).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-12, "transA \(transA) transB \(transB): \(worst)")
        }
    }

    /// parallelGram = A·Aᵀ, whole and symmetric, whether or not its columns are split (the
    /// second shape has 65·65·1001 ≥ 4 M multiply-adds and is split; the column count is odd).
    @Test(arguments: [(5, 7), (65, 1001), (3, 0)])
    func parallelGramMatchesMatmul(n: Int, k: Int) {
        var rng = SplitMix64(seed: 3)
        let a = Tensor<Double>.uniform([n, k], using: &rng)
        var g = Tensor<Double>(shape: [n, n], repeating: .nan)
        a.storage.withUnsafeBufferPointer { ap in
            g.storage.withUnsafeMutableBufferPointer { gp in
                Double.parallelGram(n: n, k: k, a: ap.baseAddress!, lda: max(1, k), c: gp.baseAddress!)
            }
        }
        let expected = a.matmul(a, transposeOther: true)
        let worst = zip(g.storage, expected.storage).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-10, "\(n)×\(k): \(worst)")
        #expect(g.storage.allSatisfy { !$0.isNaN })
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

@Suite("Parallel chunks")
struct ParallelChunkTests {
    /// forChunks covers each index once, and chunk k's ranges never meet another chunk's.
    @Test(arguments: [(0, 2), (1, 2), (5, 2), (5, 1), (7, 9), (1000, 3)])
    func chunksCoverEachIndexOnce(count: Int, chunks: Int) {
        let owner = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        owner.initialize(repeating: -1, count: max(count, 1))
        defer { owner.deallocate() }
        Parallel.forChunks(count, chunks: chunks) { k, r in for i in r { owner[i] = owner[i] == -1 ? k : -2 } }
        #expect((0..<count).allSatisfy { owner[$0] >= 0 && owner[$0] < max(1, min(chunks, count)) })
    }

    /// forEachIndex hands every index to exactly one worker, and worker ids stay below the count.
    @Test(arguments: [(0, 2), (1, 2), (5, 2), (5, 1), (7, 9), (1000, 3)])
    func eachIndexTakenOnce(count: Int, workers: Int) {
        let taken = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        taken.initialize(repeating: 0, count: max(count, 1))
        let by = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        defer { taken.deallocate(); by.deallocate() }
        Parallel.forEachIndex(count, workers: workers) { worker, i in taken[i] += 1; by[i] = worker }
        #expect((0..<count).allSatisfy { taken[$0] == 1 && by[$0] >= 0 && by[$0] < max(1, min(workers, count)) })
    }

    /// forEachRange cuts 0..<count into at most `runs` non-empty runs of consecutive indices,
    /// each run handed whole to one worker, every index once.
    @Test(arguments: [(0, 4, 2), (1, 4, 2), (5, 16, 2), (17, 4, 1), (1000, 16, 3), (7, 1, 2)])
    func eachRangeTakenOnce(count: Int, runs: Int, workers: Int) {
        let taken = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        taken.initialize(repeating: 0, count: max(count, 1))
        let firsts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        firsts.initialize(repeating: 0, count: max(count, 1))
        defer { taken.deallocate(); firsts.deallocate() }
        Parallel.forEachRange(count, runs: runs, workers: workers) { worker, range in
            #expect(!range.isEmpty && worker >= 0 && worker < max(1, min(workers, runs, count)))
            firsts[range.lowerBound] += 1
            for i in range { taken[i] += 1 }
        }
        #expect((0..<count).allSatisfy { taken[$0] == 1 })
        #expect((0..<count).filter { firsts[$0] > 0 }.count == min(runs, count))
    }

    @Test func uninitializedTensorHasItsShape() {
        let t = Tensor<Float>(uninitializedShape: [3, 0, 2]), u = Tensor<Float>(uninitializedShape: [2, 5])
        #expect(t.count == 0 && u.count == 10 && u.shape == [2, 5])
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
