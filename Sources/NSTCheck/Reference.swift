import Foundation
import NSTFormula
import NSTTensor
import NSTLayers
import NSTGradCheck

/// The numbers a check compares with, for the built-in targets: central differences, in
/// Double, of the engine's own losses (ContentLoss.forward and StyleLoss.forward of NSTLayers,
/// the code `nst transfer` runs), taken by NSTGradCheck.
///
/// Each loss is a polynomial of degree ≤ 4 in each entry of F (quadratic for the content
/// loss, quartic for the style loss), so the Richardson-extrapolated difference
/// (4·D(s) − D(2s))/3 is exact up to rounding whatever the step, and the step is chosen for
/// rounding alone (`GradCheck.richardson(steps:_:)`): a difference of two whole losses rounds
/// at about |L|·u, and a step large enough that L itself changes by about its size brings that
/// down to the size of the gradient entry. Each entry comes with its rounding bound, which
/// the comparison allows for. Other layers' terms (constant in Fˡ) never enter.
enum LossDifferences {
    /// The steps tried, smallest first: rms(F) times 1, 8, 64, … (the search stops at the
    /// first whose rounding bound is worse than the one before; the best is within a factor
    /// of about 8 of the optimum).
    static func steps(_ F: Tensor<Double>) -> [Double] {
        let rms = Draw.rms(F.storage)
        let unit = rms > 0 && rms.isFinite ? rms : 1
        return (0..<8).map { unit * pow(8, Double($0)) }
    }

    /// Evaluations of both losses per differenced entry, about (four per step, three or four
    /// steps), and the operations of one evaluation of both (Gram: N²·M, the sums: N² + N·M).
    static let evaluationsPerEntry = 16.0
    static func evaluationCost(n: Int, m: Int) -> Double { Double(n * n * m + n * n + n * m) }

    /// Operations a draw may spend on its differences; above it a seeded sample of entries is
    /// differenced (and checked), at least `minimumEntries` of them.
    static let budgetPerDraw = 4e8
    static let minimumEntries = 48

    /// How many of a draw's N·M entries to difference.
    static func affordableEntries(n: Int, m: Int) -> Int {
        max(minimumEntries, Int(budgetPerDraw / (evaluationsPerEntry * evaluationCost(n: n, m: m))))
    }

    /// The derivatives of one loss at a draw's differenced entries, as arrays over every entry
    /// of F (NaN at the entries not differenced), with their rounding bounds and the smallest
    /// step taken.
    struct Differences {
        var values: [Double]
        var errors: [Double]
        var smallestStep: Double
    }

    /// ∂/∂F of `loss` at `entries` of F, from the engine's loss.
    static func differences(F: Tensor<Double>, entries: [Int], _ loss: (Tensor<Double>) -> Double) -> Differences {
        let shape = F.shape
        let d = GradCheck.richardsonGradient(at: F.storage, steps: steps(F), indices: entries) { loss(Tensor(shape: shape, storage: $0)) }
        var out = Differences(values: [Double](repeating: .nan, count: F.count), errors: [Double](repeating: .nan, count: F.count),
                              smallestStep: d.values.map(\.step).min() ?? steps(F)[0])
        for (k, e) in d { out.values[k] = e.value; out.errors[k] = e.roundingError }
        return out
    }

    /// ∂L_content/∂F (eq. 1) at `entries`, from ContentLoss.forward.
    static func content(F: Tensor<Double>, P: Tensor<Double>, entries: [Int]) -> Differences {
        differences(F: F, entries: entries) { ContentLoss.forward($0, P) }
    }

    /// ∂E/∂F (eq. 4) at `entries`, from StyleLoss.forward.
    static func style(F: Tensor<Double>, A: Tensor<Double>, entries: [Int]) -> Differences {
        differences(F: F, entries: entries) { StyleLoss.forward($0, A) }
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
        case .contentLayer: return "central differences of the engine's content loss ½ Σ (F − P)² (eq. 1)"
        case .contentTotal: return "central differences of the engine's content loss of layer l, the only term of Σ_l L_content^l that contains Fˡ (eq. 2)"
        case .styleLayer: return "central differences of the engine's style loss Σ (G − A)² / (4N²M²) (eq. 4)"
        case .styleTotal: return "central differences of w_l times the engine's style loss of layer l, the only term of Σ_l w_l E_l that contains Fˡ (eq. 5)"
        case .total: return "central differences of the engine's α·L_content + β·w·E of layer l, the terms of L_total that contain Fˡ (eq. 7)"
        case .update: return "F − η·(central differences of the engine's losses of layer l in L_total) (eqs. 7, 8)"
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

    /// A bound on the rounding of the reference at every entry: the terms' bounds, weighted.
    func referenceError(_ d: Draw) -> [Double] {
        switch self {
        case .contentLayer, .contentTotal: return d.contentError
        case .styleLayer: return d.styleError
        case .styleTotal: return d.styleError.map { d.w * $0 }
        case .total, .update:
            let scale = self == .update ? d.eta : 1
            return zip(d.contentError, d.styleError).map { scale * (d.alpha * $0 + d.beta * d.w * $1) }
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
