import Foundation
import NSTFormula
import NSTTensor
import NSTLayers
import NSTGradCheck

/// The numbers a check compares with, for the built-in targets: central differences, in
/// Double, of the loss terms that contain the entry being moved.
///
/// Moving one entry F_ij by ±s changes only the terms of a loss that contain it: (F_ij − P_ij)²
/// of the content loss, and row and column i of G = F·Fᵀ in the style loss. Each difference
/// L(F ± s·e_ij) − L(F) is computed from those changed terms alone, as Σ δ·(2d + δ) over the
/// changed residuals d (the difference of two squares, with no large sum subtracted from
/// another), so rounding stays at the size of the gradient entry whatever the layer, and
/// other layers' terms (constant in Fˡ) never enter. The derivative is Richardson-extrapolated,
/// (4·D(s) − D(2s)) / 3 with D(s) = (ΔL(+s) − ΔL(−s)) / 2s, which cancels the s² term and so
/// is exact up to rounding for these losses (quadratic and quartic in each entry) with s = 1.
/// Tests compare these differences with central differences of the engine's own
/// ContentLoss.forward and StyleLoss.forward (the code `nst transfer` runs).
enum LossDifferences {
    static let step = 1.0

    static func richardson(_ delta: (Double) -> Double, _ s: Double) -> Double {
        let d1 = (delta(s) - delta(-s)) / (2 * s)
        let d2 = (delta(2 * s) - delta(-2 * s)) / (4 * s)
        return (4 * d1 - d2) / 3
    }

    /// ∂/∂F of ½ Σ (F − P)² (eq. 1) at every entry.
    static func content(F: Tensor<Double>, P: Tensor<Double>, step s: Double = step) -> [Double] {
        (0..<F.count).map { k in
            let d = F.storage[k] - P.storage[k]
            return richardson({ δ in 0.5 * δ * (2 * d + δ) }, s)
        }
    }

    /// ∂/∂F of Σ (G − A)² / (4N²M²) (eq. 4) at every entry.
    static func style(F: Tensor<Double>, G: Tensor<Double>, A: Tensor<Double>, step s: Double = step) -> [Double] {
        let n = F.shape[0], m = F.shape[1]
        var D = G.storage
        for k in D.indices { D[k] -= A.storage[k] }
        let scale = 1 / (4 * Double(n * n) * Double(m * m))
        let steps = [s, -s, 2 * s, -2 * s]
        var out = [Double](repeating: 0, count: n * m)
        D.withUnsafeBufferPointer { D in
            F.storage.withUnsafeBufferPointer { f in
                for i in 0..<n {
                    for j in 0..<m {
                        // Moving F_ij by δ changes G_ib = G_bi by δ·F_bj (b ≠ i) and G_ii by 2δ·F_ij + δ²;
                        // ΔL = Σ over the changed entries of g·(2·(G − A) + g), for the four steps at once
                        // (row i and column i of G change alike: 2g·(D_ib + D_bi + g)).
                        var sums = (0.0, 0.0, 0.0, 0.0)
                        for b in 0..<n where b != i {
                            let fb = f[b * m + j]
                            let d = D[i * n + b] + D[b * n + i]
                            let g1 = steps[0] * fb, g2 = steps[1] * fb, g3 = steps[2] * fb, g4 = steps[3] * fb
                            sums.0 += 2 * g1 * (d + g1)
                            sums.1 += 2 * g2 * (d + g2)
                            sums.2 += 2 * g3 * (d + g3)
                            sums.3 += 2 * g4 * (d + g4)
                        }
                        let fij = f[i * m + j], dii = D[i * n + i]
                        func diagonal(_ δ: Double) -> Double { let g = δ * (2 * fij + δ); return g * (2 * dii + g) }
                        let delta = [sums.0 + diagonal(steps[0]), sums.1 + diagonal(steps[1]),
                                     sums.2 + diagonal(steps[2]), sums.3 + diagonal(steps[3])].map { $0 * scale }
                        let d1 = (delta[0] - delta[1]) / (2 * s), d2 = (delta[2] - delta[3]) / (4 * s)
                        out[i * m + j] = (4 * d1 - d2) / 3
                    }
                }
            }
        }
        return out
    }
}

extension LossDifferences {
    /// Central differences (Richardson-extrapolated, step `s`) of the engine's own
    /// ContentLoss.forward and StyleLoss.forward over the whole loss, at every entry: what
    /// `content` and `style` must agree with (tests), at a cost of four whole losses per entry.
    static func engine(F: Tensor<Double>, P: Tensor<Double>, A: Tensor<Double>, step s: Double = step) -> (content: [Double], style: [Double]) {
        let shape = F.shape
        func derivative(_ f: ([Double]) -> Double) -> [Double] {
            let d = GradCheck.richardsonGradient(at: F.storage, step: s, f)
            return (0..<F.count).map { d[$0]! }
        }
        return (derivative { ContentLoss.forward(Tensor(shape: shape, storage: $0), P) },
                derivative { StyleLoss.forward(Tensor(shape: shape, storage: $0), A) })
    }
}

/// A named part of the reference (e.g. the content term of ∂L_total/∂F) at the checked entries.
struct Term {
    var name: String
    var values: [Double]
}

extension CheckTarget {
    /// What the reference is, for the report.
    var referenceDescription: String {
        switch self {
        case .contentLayer: return "central differences of ½ Σ (F − P)² at every entry (eq. 1)"
        case .contentTotal: return "central differences of the terms of Σ_l L_content^l that contain Fˡ (eq. 2)"
        case .styleLayer: return "central differences of Σ (G − A)² / (4N²M²) at every entry (eq. 4)"
        case .styleTotal: return "central differences of the terms of Σ_l w_l E_l that contain Fˡ (eq. 5)"
        case .total: return "central differences of the terms of α·L_content + β·L_style that contain Fˡ (eq. 7)"
        case .update: return "F − η·(central differences of the terms of L_total that contain Fˡ) (eqs. 7, 8)"
        }
    }

    /// The reference split into its terms; they sum to the reference. Single-term targets have one.
    func terms(_ d: Draw) -> [Term] {
        switch self {
        case .contentLayer, .contentTotal:
            return [Term(name: "the gradient", values: d.contentGradient)]
        case .styleLayer:
            return [Term(name: "the gradient", values: d.styleGradient)]
        case .styleTotal:
            return [Term(name: "the gradient", values: d.styleGradient.map { d.w * $0 })]
        case .total:
            return [Term(name: "the content term", values: d.contentGradient.map { d.alpha * $0 }),
                    Term(name: "the style term", values: d.styleGradient.map { d.beta * d.w * $0 })]
        case .update:
            return [Term(name: "the current F", values: d.F.storage),
                    Term(name: "the content term", values: d.contentGradient.map { -d.eta * d.alpha * $0 }),
                    Term(name: "the style term", values: d.styleGradient.map { -d.eta * d.beta * d.w * $0 })]
        }
    }

    /// The reference at every entry: the sum of its terms.
    func reference(_ d: Draw) -> [Double] {
        let t = terms(d)
        var out = t[0].values
        for term in t.dropFirst() { for k in out.indices { out[k] += term.values[k] } }
        return out
    }
}
