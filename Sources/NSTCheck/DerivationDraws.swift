import Foundation
import NSTFormula
import NSTTensor
import NSTLayers
import NSTGradCheck
import NSTRandom

/// One layer of a derivation's draw: its features and, from the engine's own loss code
/// (NSTLayers, in Double), the losses and their exact gradients.
struct DerivationLayer {
    var n: Int, m: Int
    var F: Tensor<Double>, P: Tensor<Double>, A: Tensor<Double>
    /// F·Fᵀ by Gram.forward.
    var G: Tensor<Double>
    var w: Double
    /// ContentLoss.forward(F, P), StyleLoss.forward(F, A).
    var content: Double, style: Double
    /// ContentLoss.backward(F, P) = ∂L^l_content/∂F, StyleLoss.backward(F, A) = ∂E_l/∂F and
    /// StyleLoss.gramGradient(dE: 1) = ∂E_l/∂G (G's entries taken as independent).
    var contentGradient: [Double], styleGradient: [Double], styleGramGradient: [Double]

    init(F: Tensor<Double>, P: Tensor<Double>, A: Tensor<Double>, w: Double) {
        n = F.shape[0]; m = F.shape[1]
        self.F = F; self.P = P; self.A = A; self.w = w
        G = Gram.forward(F)
        content = ContentLoss.forward(F, P)
        style = StyleLoss.value(gram: G, A, F)
        contentGradient = ContentLoss.backward(F, P).storage
        styleGradient = StyleLoss.backward(F, A).storage
        styleGramGradient = StyleLoss.gramGradient(gram: G, F, A, dE: 1).storage
    }
}

/// One draw of everything a derivation can name: three layers L = {1, 2, 3} of different
/// sizes (N ≠ M in each), the differentiated layer l* (2 or 3, never the first), and the
/// weights α, β, η, w_1, w_2, w_3, pairwise different and none near 1.
struct DerivationDraw {
    var layers: [DerivationLayer]
    /// 0-based index of the differentiated layer l.
    var star: Int
    var alpha: Double, beta: Double, eta: Double

    var target: DerivationLayer { layers[star] }

    /// Seeded: sizes from 2…7 (N ≠ M, odd and even both in l's across draws), features
    /// ReLU(uniform[−0.6, 1.8]) so about a quarter are 0 and many exceed 1, with one dead
    /// channel (a zero row) and one dead position (a zero column) in F at l.
    static func make(seed: UInt64, index: Int, sizes: (Int, Int)? = nil) -> DerivationDraw {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 4_027)
        let star = 1 + index % 2
        // l's sizes: (odd, even), (even, odd), (odd, odd) … in turn, N ≠ M.
        func pick(_ parity: Int) -> Int { 2 + parity + 2 * Int(rng.next() % 3) }   // 2,4,6 or 3,5,7
        var dims: [(Int, Int)] = []
        for l in 0..<3 {
            var n: Int, m: Int
            if l == star, let sizes { (n, m) = sizes } else if l == star {
                switch index % 3 {
                case 0: n = pick(1); m = pick(0)
                case 1: n = pick(0); m = pick(1)
                default: n = pick(1); m = pick(1); if m == n { m = n == 7 ? 3 : n + 2 }
                }
            } else {
                n = 2 + Int(rng.next() % 5); m = 2 + Int(rng.next() % 5)
                if m == n { m = n == 6 ? 2 : n + 1 }
            }
            dims.append((n, m))
        }
        let ws = Draw.weights(6, using: &rng)
        func features(_ n: Int, _ m: Int) -> Tensor<Double> {
            var t = Tensor<Double>.uniform([n, m], in: -0.6...1.8, using: &rng)
            for i in 0..<t.count { t.storage[i] = max(0, t.storage[i]) }
            return t
        }
        var layers: [DerivationLayer] = []
        for (l, (n, m)) in dims.enumerated() {
            var F = features(n, m)
            if l == star && sizes == nil && n > 2 && m > 2 {
                let deadRow = Int(rng.next() % UInt64(n)), deadColumn = Int(rng.next() % UInt64(m))
                for j in 0..<m { F.storage[deadRow * m + j] = 0 }
                for i in 0..<n { F.storage[i * m + deadColumn] = 0 }
            }
            let P = features(n, m), S = features(n, m + 1)
            layers.append(DerivationLayer(F: F, P: P, A: Gram.forward(S), w: ws[3 + l]))
        }
        // β carries a power of ten (`Draw.balance`) so that a slip in either term shows.
        let t = layers[star]
        let balance = Draw.balance(content: t.contentGradient, style: t.styleGradient, w: t.w)
        return DerivationDraw(layers: layers, star: star, alpha: ws[0], beta: ws[1] * balance, eta: ws[2])
    }

    /// The engine's loss named by `target`, as a function of Fˡ's entries (the other layers fixed).
    func loss(_ target: CheckTarget) -> ([Double]) -> Double {
        let layers = self.layers, star = self.star, alpha = self.alpha, beta = self.beta
        func F(_ l: Int, _ x: [Double]) -> Tensor<Double> { l == star ? Tensor(shape: layers[l].F.shape, storage: x) : layers[l].F }
        func content(_ x: [Double]) -> Double { layers.indices.reduce(0) { $0 + ContentLoss.forward(F($1, x), layers[$1].P) } }
        func style(_ x: [Double]) -> Double { layers.indices.reduce(0) { $0 + layers[$1].w * StyleLoss.forward(F($1, x), layers[$1].A) } }
        switch target {
        case .contentLayer: return { ContentLoss.forward(F(star, $0), layers[star].P) }
        case .contentTotal: return content
        case .styleLayer: return { StyleLoss.forward(F(star, $0), layers[star].A) }
        case .styleTotal: return style
        case .total, .update: return { alpha * content($0) + beta * style($0) }
        }
    }

    /// The quantity `target` at every entry of Fˡ, from Richardson-extrapolated central
    /// differences (GradCheck) of the engine's losses, with a bound on their rounding error.
    func reference(_ target: CheckTarget) -> (values: [Double], error: Double) {
        let f = loss(target)
        let x = self.target.F.storage
        let step = 1.0
        let d = GradCheck.richardsonGradient(at: x, step: step, f)
        var g = (0..<x.count).map { d[$0]! }
        // The loss's size near x bounds the rounding of its differences.
        var size = abs(f(x))
        for s in [step, 2 * step] { var y = x; y[0] += s; size = max(size, abs(f(y))) }
        var error = GradCheck.roundingBound(value: size, step: step)
        if target == .update {
            g = zip(x, g).map { $0 - eta * $1 }
            error *= eta
        }
        return (g, error)
    }

    /// The reference split into the terms the diagnosis names, from the engine's exact
    /// gradients (see `CheckTarget.terms`).
    var checkDraw: Draw {
        let t = target
        return Draw(n: t.n, m: t.m, F: t.F, P: t.P, A: t.A, G: t.G, alpha: alpha, beta: beta, w: t.w, eta: eta,
                    sample: Array(0..<(t.n * t.m)), differenced: [], layer: nil, contentGradient: t.contentGradient, styleGradient: t.styleGradient,
                    contentError: Array(repeating: 0, count: t.n * t.m), styleError: Array(repeating: 0, count: t.n * t.m),
                    referenceStep: 1)
    }

    var sizesText: String {
        layers.enumerated().map { l, d in "\(l + 1): \(d.n)×\(d.m)" + (l == star ? " (l)" : "") }.joined(separator: ", ")
    }
}
