import Testing
import NSTTensor
import NSTLayers
import NSTGradCheck

/// Seeded values so every run checks the same points (SplitMix64).
struct SeededValues {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
    mutating func tensor(_ shape: [Int], in range: ClosedRange<Double> = -1...1) -> Tensor<Double> {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<n).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * next() })
    }
}

@Suite("Loss backward passes against central differences (Double)")
struct LossGradientTests {
    @Test func contentLossBackward() {
        var r = SeededValues(seed: 1)
        let F = r.tensor([4, 7]), P = r.tensor([4, 7])
        let dF = ContentLoss.backward(F, P, dL: 1.7)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            1.7 * ContentLoss.forward(Tensor(shape: [4, 7], storage: x), P)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func gramBackward() {
        var r = SeededValues(seed: 2)
        let F = r.tensor([3, 5]), W = r.tensor([3, 3])   // L = Σ W ⊙ G, so dG = W (not symmetric)
        let dF = Gram.backward(F, dG: W)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            let G = Gram.forward(Tensor(shape: [3, 5], storage: x))
            return zip(G.storage, W.storage).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func styleLossBackward() {
        var r = SeededValues(seed: 3)
        let F = r.tensor([5, 9], in: 0...2)
        let A = Gram.forward(r.tensor([5, 9], in: 0...2))
        let dF = StyleLoss.backward(F, A, dE: 0.8)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            0.8 * StyleLoss.forward(Tensor(shape: [5, 9], storage: x), A)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func styleLossGradientIsGminusAtimesF() {
        // The quiz's corrected key: ∂E/∂F = (G − A) F / (N² M²), an N×M matrix.
        var r = SeededValues(seed: 4)
        let F = r.tensor([3, 6]), A = Gram.forward(r.tensor([3, 6]))
        let G = Gram.forward(F)
        var GA = G
        for i in 0..<G.count { GA.storage[i] -= A.storage[i] }
        let expected = GA.matmul(F).storage.map { $0 / (9.0 * 36.0) }
        let got = StyleLoss.backward(F, A).storage
        for (e, g) in zip(expected, got) { #expect(abs(e - g) <= 1e-12 * max(1, abs(e))) }
    }
}
