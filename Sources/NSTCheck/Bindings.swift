import Foundation
import NSTFormula
import NSTTensor
import NSTLayers
import NSTRandom

/// One independent draw of everything a formula can name, for one layer l.
///
/// F, P are N×M feature matrices, A = S·Sᵀ the Gram matrix of a style crop's features S,
/// G = F·Fᵀ. The weights α, β, w and the step η are drawn afresh per draw, distinct and far
/// from 0 and 1 (in [⅓, ¾] ∪ [1⅓, 3]), so a dropped or extra factor changes the numbers.
/// The other layers of eqs. (2), (5) and (7) are constant in Fˡ and never enter the reference.
struct Draw {
    var n: Int
    var m: Int
    var F: Tensor<Double>
    var P: Tensor<Double>
    var A: Tensor<Double>
    /// F·Fᵀ, by the engine's Gram.forward.
    var G: Tensor<Double>
    var alpha: Double, beta: Double, w: Double, eta: Double
    /// Indices into F's entries the check compares: all of them for the targets.
    var sample: [Int]
    /// The entries whose reference is central differences of the engine's losses, sorted: all
    /// of them unless the draw is too large to difference at every entry (see
    /// `LossDifferences.affordableEntries`); elsewhere it is the engine's backward passes,
    /// which the differences vouch for where they were taken (`Checker.tolerance`).
    var differenced: [Int]
    /// The VGG layer the features come from; nil for random features.
    var layer: String?
    /// ∂L_content/∂F and ∂E/∂F at every entry: central differences of the engine's losses at
    /// the entries of `differenced` (see `LossDifferences`), with their rounding bounds (0
    /// elsewhere), and ContentLoss.backward / StyleLoss.backward elsewhere.
    var contentGradient: [Double]
    var styleGradient: [Double]
    var contentError: [Double]
    var styleError: [Double]
    /// The smallest step of those differences (the report's `eps`).
    var referenceStep: Double

    /// Values of Factor.atoms (2, 3, N, M, α, β, w, η) in this draw.
    var atomValues: [Double] { [2, 3, Double(n), Double(m), alpha, beta, w, eta] }

    static func matrix(_ t: Tensor<Double>) -> Matrix {
        Matrix(rows: t.shape[0], cols: t.shape[1], values: t.storage)
    }

    /// The values of every symbol of `SymbolTable.standard` for this draw.
    var bindings: [String: Value] {
        ["F": .matrix(Self.matrix(F)), "P": .matrix(Self.matrix(P)), "A": .matrix(Self.matrix(A)),
                "G": .matrix(Self.matrix(G)),
                "N": .scalar(Double(n)), "M": .scalar(Double(m)),
                "w": .scalar(w), "alpha": .scalar(alpha), "beta": .scalar(beta), "eta": .scalar(eta)]
    }

    var symbols: SymbolTable { .standard(n: n, m: m) }

    /// Weights in [⅓, ¾] ∪ [1⅓, 3], pairwise apart by at least 10 % in ratio.
    static func weights(_ count: Int, using rng: inout SplitMix64) -> [Double] {
        var out: [Double] = []
        while out.count < count {
            let magnitude = 0.29 + 0.8 * rng.nextUnit()          // log of the weight: ln(4/3)…ln 3
            let v = (rng.next() & 1 == 0 ? 1 : -1) * magnitude
            let x = exp(v)
            if out.allSatisfy({ abs(log($0 / x)) > 0.1 }) { out.append(x) }
        }
        return out
    }

    /// Seeded random non-negative features: ReLU of uniform noise on [−½, 1½], about a quarter
    /// zero, as a ReLU layer's output is (so a mask by F > 0 shows), and a quarter above 1 (so
    /// relu(F.*F − F) is not 0).
    static func features(_ n: Int, _ m: Int, using rng: inout SplitMix64) -> Tensor<Double> {
        var t = Tensor<Double>.uniform([n, m], in: -0.5...1.5, using: &rng)
        for i in 0..<t.count { t.storage[i] = max(0, t.storage[i]) }
        return t
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// Root mean square of `v` (0 when empty).
    static func rms(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(max(v.count, 1))).squareRoot() }

    /// The power of ten nearest, in log, to ‖content‖ / (w·‖style‖) (1 when either is 0): the
    /// factor β carries so that the style term of ∂L_total/∂F comes to the content term's size
    /// (as β/α does in practice), and a slip in either term shows in the relative error.
    static func balance(content: [Double], style: [Double], w: Double) -> Double {
        let ratio = norm(content) / max(w * norm(style), 1e-300)
        return ratio > 0 && ratio.isFinite ? pow(10, log10(ratio).rounded()) : 1
    }

    /// A seeded sample of `count` distinct indices of 0..<total, sorted (all when total ≤ count).
    static func sample(_ total: Int, _ count: Int, using rng: inout SplitMix64) -> [Int] {
        guard total > count else { return Array(0..<total) }
        var all = Array(0..<total)
        for i in 0..<count {
            let j = i + Int(rng.next() % UInt64(total - i))
            all.swapAt(i, j)
        }
        return all[0..<count].sorted()
    }

    /// Sizes of random draw `index`: draws cycle through N small and M large (N ∈ 2…4,
    /// M ∈ 14…20), N large and M small, and both in 7…11 (N ≠ M). So N < M and N > M both
    /// occur, and any comparison of N or M with a constant between 4 and 14 flips across draws.
    static func randomSizes(index: Int, using rng: inout SplitMix64) -> (n: Int, m: Int) {
        let small = 2 + Int(rng.next() % 3), large = 14 + Int(rng.next() % 7)
        let mid1 = 7 + Int(rng.next() % 5)
        var mid2 = 7 + Int(rng.next() % 5)
        if mid2 == mid1 { mid2 = mid1 == 11 ? 7 : mid1 + 1 }
        switch index % 3 {
        case 0: return (small, large)
        case 1: return (large, small)
        default: return (mid1, mid2)
        }
    }

    static let randomSizesText = "N and M from 2…4, 7…11 and 14…20 in turn (N < M, N > M and N ≈ M)"

    /// Draw number `index` under `seed`, from random features.
    static func random(seed: UInt64, index: Int) -> Draw {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 17)
        let (n, m) = randomSizes(index: index, using: &rng)
        let F = features(n, m, using: &rng), P = features(n, m, using: &rng)
        let A = Gram.forward(features(n, m, using: &rng))
        return assemble(F: F, P: P, A: A, layer: nil, using: &rng)
    }

    /// Completes a draw from its features: weights, the entries to difference, the reference's differences.
    static func assemble(F: Tensor<Double>, P: Tensor<Double>, A: Tensor<Double>, layer: String?,
                         using rng: inout SplitMix64) -> Draw {
        let ws = weights(4, using: &rng)
        let n = F.shape[0], m = F.shape[1]
        let entries = sample(F.count, LossDifferences.affordableEntries(n: n, m: m), using: &rng)
        let content = LossDifferences.content(F: F, P: P, entries: entries)
        let style = LossDifferences.style(F: F, A: A, entries: entries)
        let exactContent = ContentLoss.backward(F, P).storage, exactStyle = StyleLoss.backward(F, A).storage
        var contentGradient = exactContent, styleGradient = exactStyle
        var contentError = [Double](repeating: 0, count: F.count), styleError = contentError
        for k in entries {
            contentGradient[k] = content.values[k]; contentError[k] = content.errors[k]
            styleGradient[k] = style.values[k]; styleError[k] = style.errors[k]
        }
        // The style gradient carries 1/(N²M²) and is orders of magnitude smaller than the
        // content gradient; as in practice (Gatys et al. use β/α ≈ 10³–10⁴), β includes a power
        // of ten that brings the two terms of ∂L_total/∂F to the same size, so an error in
        // either shows in the relative error. (A scale, so from the exact gradients.)
        let balance = Self.balance(content: exactContent, style: exactStyle, w: ws[2])
        return Draw(n: n, m: m, F: F, P: P, A: A, G: Gram.forward(F),
                    alpha: ws[0], beta: ws[1] * balance, w: ws[2], eta: ws[3],
                    sample: Array(0..<F.count), differenced: entries, layer: layer,
                    contentGradient: contentGradient, styleGradient: styleGradient,
                    contentError: contentError, styleError: styleError,
                    referenceStep: min(content.smallestStep, style.smallestStep))
    }
}
