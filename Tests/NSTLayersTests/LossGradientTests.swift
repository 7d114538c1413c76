import Testing
import NSTTensor
import NSTLayers
import NSTGradCheck
import NSTRandom

@Suite("Loss backward passes against central differences (Double)")
struct LossGradientTests {
    @Test func contentLossBackward() {
        var r = SplitMix64(seed: 1)
        let F = Tensor<Double>.uniform([4, 7], using: &r), P = Tensor<Double>.uniform([4, 7], using: &r)
        let dF = ContentLoss.backward(F, P, dL: 1.7)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            1.7 * ContentLoss.forward(Tensor(shape: [4, 7], storage: x), P)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func gramBackward() {
        var r = SplitMix64(seed: 2)
        let F = Tensor<Double>.uniform([3, 5], using: &r), W = Tensor<Double>.uniform([3, 3], using: &r)   // L = Σ W ⊙ G, so dG = W (not symmetric)
        let dF = Gram.backward(F, dG: W)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            let G = Gram.forward(Tensor(shape: [3, 5], storage: x))
            return zip(G.storage, W.storage).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    /// N = 37: the symmetrisation's 32×32 blocks, a partial one included, against the plain
    /// sum (dG + dGᵀ)·F looped out.
    @Test func gramBackwardOverPartialBlocks() {
        var r = SplitMix64(seed: 4)
        let n = 37, m = 3
        let F = Tensor<Double>.uniform([n, m], using: &r), dG = Tensor<Double>.uniform([n, n], using: &r)
        let dF = Gram.backward(F, dG: dG)
        var worst = 0.0
        for i in 0..<n { for k in 0..<m {
            var s = 0.0
            for j in 0..<n { s += (dG[i, j] + dG[j, i]) * F[j, k] }
            worst = max(worst, abs(dF[i, k] - s))
        } }
        #expect(worst <= 1e-12, "max |dF − (dG + dGᵀ)F| = \(worst)")
    }

    @Test func styleLossBackward() {
        var r = SplitMix64(seed: 3)
        let F = Tensor<Double>.uniform([5, 9], in: 0...2, using: &r)
        let A = Gram.forward(Tensor<Double>.uniform([5, 9], in: 0...2, using: &r))
        let dF = StyleLoss.backward(F, A, dE: 0.8)
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            0.8 * StyleLoss.forward(Tensor(shape: [5, 9], storage: x), A)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    /// The one-Gram form `StyleObjective` runs (`value(gram:)`, then `gramGradient` through
    /// `Gram.backward`, from one G = F Fᵀ) gives exactly forward's value and backward's dF, and
    /// that dF is central differences' (so the objective's path is checked, not only these).
    @Test func styleLossFromOneGramMatchesTheSeparatePassesAndTheDifferences() {
        var r = SplitMix64(seed: 5)
        let F = Tensor<Double>.uniform([4, 7], using: &r), A = Gram.forward(Tensor<Double>.uniform([4, 7], using: &r))
        let G = Gram.forward(F)
        let E = StyleLoss.value(gram: G, A, F)
        let dF = Gram.backward(F, dG: StyleLoss.gramGradient(gram: G, F, A, dE: 0.3))
        #expect(E == StyleLoss.forward(F, A))
        #expect(dF == StyleLoss.backward(F, A, dE: 0.3))
        let res = GradCheck.check(at: F.storage, analytic: dF.storage) { x in
            let Fx = Tensor(shape: [4, 7], storage: x)
            return 0.3 * StyleLoss.value(gram: Gram.forward(Fx), A, Fx)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func styleLossGradientIsGminusAtimesF() {
        // The quiz's corrected key: ∂E/∂F = (G − A) F / (N² M²), an N×M matrix.
        var r = SplitMix64(seed: 4)
        let F = Tensor<Double>.uniform([3, 6], using: &r), A = Gram.forward(Tensor<Double>.uniform([3, 6], using: &r))
        let G = Gram.forward(F)
        var GA = G
        for i in 0..<G.count { GA.storage[i] -= A.storage[i] }
        let expected = GA.matmul(F).storage.map { $0 / (9.0 * 36.0) }
        let got = StyleLoss.backward(F, A).storage
        for (e, g) in zip(expected, got) { #expect(abs(e - g) <= 1e-12 * max(1, abs(e))) }
    }
}
