import NSTFormula
import NSTTensor
import NSTLayers
import NSTGradCheck

/// The numbers a check compares with: central differences, in Double, of the engine's own
/// losses (NSTLayers.ContentLoss / StyleLoss forward, the code `nst transfer` runs).
///
/// The derivative at each checked entry is Richardson-extrapolated central differences,
/// (4·D(h) − D(2h)) / 3 with D(h) = (f(x + h) − f(x − h)) / 2h from `GradCheck`: it cancels
/// the h² error term, so it is exact (up to rounding) for polynomials of degree ≤ 4 in one
/// entry — the content loss is quadratic and the style loss quartic in each F_ij — and a
/// large h keeps rounding small.
enum FiniteDifferences {
    static func derivative(at x: [Double], indices: [Int], h: Double, _ f: ([Double]) -> Double) -> [Double] {
        let d1 = GradCheck.numericalGradient(at: x, epsilon: h, indices: indices, f)
        let d2 = GradCheck.numericalGradient(at: x, epsilon: 2 * h, indices: indices, f)
        return indices.map { (4 * d1[$0]! - d2[$0]!) / 3 }
    }
}

/// A named part of the reference (e.g. the content term of ∂L_total/∂F) at the checked entries.
struct Term {
    var name: String
    var values: [Double]
}

extension CheckTarget {
    /// The scalar loss whose gradient in F^l the target is, composed from the engine's losses
    /// as in eqs. (1)–(7); the other layer's terms are constant in F^l.
    /// `parts` selects the content part, the style part or both (for the diagnosis's terms).
    func loss(_ d: Draw, content: Bool = true, style: Bool = true) -> ([Double]) -> Double {
        let shape = [d.n, d.m]
        switch self {
        case .contentLayer:
            return { x in ContentLoss.forward(Tensor(shape: shape, storage: x), d.P) }
        case .contentTotal:
            return { x in ContentLoss.forward(Tensor(shape: shape, storage: x), d.P) + ContentLoss.forward(d.otherF, d.otherP) }
        case .styleLayer:
            return { x in StyleLoss.forward(Tensor(shape: shape, storage: x), d.A) }
        case .styleTotal:
            return { x in d.w * StyleLoss.forward(Tensor(shape: shape, storage: x), d.A) + d.otherW * StyleLoss.forward(d.otherF, d.otherA) }
        case .total, .update:
            return { x in
                let F = Tensor(shape: shape, storage: x)
                var l = 0.0
                if content { l += d.alpha * (ContentLoss.forward(F, d.P) + ContentLoss.forward(d.otherF, d.otherP)) }
                if style { l += d.beta * (d.w * StyleLoss.forward(F, d.A) + d.otherW * StyleLoss.forward(d.otherF, d.otherA)) }
                return l
            }
        }
    }

    /// What the reference is, for the report.
    var referenceDescription: String {
        switch self {
        case .contentLayer: return "central differences of ContentLoss.forward (eq. 1)"
        case .contentTotal: return "central differences of Σ_l ContentLoss.forward over two layers (eq. 2)"
        case .styleLayer: return "central differences of StyleLoss.forward (eq. 4)"
        case .styleTotal: return "central differences of Σ_l w_l·StyleLoss.forward over two layers (eq. 5)"
        case .total: return "central differences of α·Σ ContentLoss + β·Σ w_l·StyleLoss (eq. 7)"
        case .update: return "F − η·(central differences of α·Σ ContentLoss + β·Σ w_l·StyleLoss) (eqs. 7, 8)"
        }
    }

    /// The reference at the draw's checked entries.
    func reference(_ d: Draw, h: Double) -> [Double] {
        let g = FiniteDifferences.derivative(at: d.F.storage, indices: d.sample, h: h, loss(d))
        if self == .update {
            return zip(d.sample, g).map { d.F.storage[$0.0] - d.eta * $0.1 }
        }
        return g
    }

    /// The reference split into its terms, each from its own central differences; they sum
    /// to the reference. Single-term targets have one term.
    func terms(_ d: Draw, h: Double) -> [Term] {
        func fd(content: Bool, style: Bool) -> [Double] {
            FiniteDifferences.derivative(at: d.F.storage, indices: d.sample, h: h, loss(d, content: content, style: style))
        }
        switch self {
        case .contentLayer, .contentTotal, .styleLayer, .styleTotal:
            return [Term(name: "the gradient", values: reference(d, h: h))]
        case .total:
            return [Term(name: "the content term", values: fd(content: true, style: false)),
                    Term(name: "the style term", values: fd(content: false, style: true))]
        case .update:
            return [Term(name: "the current F", values: d.sample.map { d.F.storage[$0] }),
                    Term(name: "the content term", values: fd(content: true, style: false).map { -d.eta * $0 }),
                    Term(name: "the style term", values: fd(content: false, style: true).map { -d.eta * $0 })]
        }
    }
}
