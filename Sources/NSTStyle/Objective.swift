import Foundation
import NSTTensor
import NSTLayers

/// A network the style objective can differentiate through: a forward pass that keeps the
/// named activations ([C,H,W] each) and a backward pass from their gradients to the input.
/// `NSTVGG.VGG` is the real one; tests may use any small network.
public protocol FeatureNetwork: AnyObject {
    associatedtype Scalar: TensorScalar
    /// x: [3,H,W] → the kept activations, [C,h,w] each.
    func forward(_ x: Tensor<Scalar>, keep: Set<String>) -> [String: Tensor<Scalar>]
    /// Gradients of the loss w.r.t. the kept activations → dx [3,H,W] (after `forward`).
    func backward(_ dKept: [String: Tensor<Scalar>]) -> Tensor<Scalar>
}

/// A style image's G = F Fᵀ at one layer and its number of positions M there.
public struct StyleGram<S: TensorScalar>: Sendable, Equatable {
    public var gram: Tensor<S>
    public var positions: Int
    public init(gram: Tensor<S>, positions: Int) { self.gram = gram; self.positions = positions }
}

/// One evaluation's loss terms, unweighted, plus the weighted total.
public struct LossTerms: Codable, Sendable, Equatable {
    /// ½Σ(F−P)² per content layer.
    public var content: [String: Double]
    /// E_l = Σ(G−A)²/(4N²M²) per style layer.
    public var style: [String: Double]
    /// Total variation of the image.
    public var tv: Double
    /// α·Σ content + β·Σ w_l E_l + tv_weight·TV.
    public var total: Double

    public var contentSum: Double { content.values.reduce(0, +) }
    public var styleSum: Double { style.values.reduce(0, +) }
}

/// The loss became NaN or ±Inf: which term, at which evaluation, and what to try.
public struct NonFiniteLossError: Error, LocalizedError, CustomStringConvertible {
    public var term: String
    public var evaluation: Int
    public var value: Double

    public var description: String {
        """
        the \(term) became \(value) at iteration \(evaluation); stopped instead of writing a broken image.
        Try: a smaller --learning-rate (Adam), --optimizer lbfgs, smaller --style-weight/--content-weight, \
        or --init content.
        """
    }
    public var errorDescription: String? { description }
}

/// The Gatys objective, evaluated through a feature network:
///
///     L(x) = α Σ_{l∈content} ½Σ(F_l − P_l)²  +  β Σ_{l∈style} w_l E_l  +  λ_tv TV(x)
///     E_l  = Σ(G_l − A_l)² / (4 N_l² M_l²),  G_l = F_l F_lᵀ
///
/// F_l is layer l's activation of x reshaped to N_l×M_l. The per-layer losses and their
/// gradients are `NSTLayers.ContentLoss`, `StyleLoss` and `TotalVariation` — the very code
/// `nst check` grades formulas against; this type only wires them to the network:
/// dF_l from each loss, one backward pass through the network, plus the TV gradient.
///
/// `normalizeGradients` is jcjohnson/neural-style's option: each layer's dF is divided by
/// its L1 norm (+1e-8) before the weight is applied. It balances the layers' pull on the
/// image, but the result is no longer the gradient of L, so L-BFGS must then run without
/// a line search.
public final class StyleObjective<Net: FeatureNetwork> {
    public typealias S = Net.Scalar
    public let network: Net
    /// P_l: [N, M] per content layer.
    public let contentTargets: [String: Tensor<S>]
    /// A_l: [N, N] per style layer.
    public let styleTargets: [String: Tensor<S>]
    /// w_l per style layer.
    public let styleLayerWeights: [String: Double]
    public var contentWeight: Double
    public var styleWeight: Double
    public var tvWeight: Double
    public var normalizeGradients: Bool
    /// When set, each evaluation adds its phases' wall times to it (`EvaluationPhase`); nil
    /// (the default) measures nothing.
    public var phaseTimer: PhaseTimer? = nil

    public init(network: Net, contentTargets: [String: Tensor<S>], styleTargets: [String: Tensor<S>],
                styleLayerWeights: [String: Double], contentWeight: Double, styleWeight: Double,
                tvWeight: Double, normalizeGradients: Bool = false) {
        precondition(Set(styleLayerWeights.keys) == Set(styleTargets.keys), "one weight per style layer")
        self.network = network
        self.contentTargets = contentTargets
        self.styleTargets = styleTargets
        self.styleLayerWeights = styleLayerWeights
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
        self.tvWeight = tvWeight
        self.normalizeGradients = normalizeGradients
    }

    /// The layers the network must keep.
    public var keptLayers: Set<String> { Set(contentTargets.keys).union(styleTargets.keys) }

    /// F_l as N×M from a [C,H,W] activation.
    static func featureMatrix(_ a: Tensor<S>) -> Tensor<S> {
        a.reshaped([a.shape[0], a.count / a.shape[0]])
    }

    /// Content targets P_l: the content image's activations, [N, M] each.
    public static func contentTargets(network: Net, content: Tensor<S>, layers: [String]) -> [String: Tensor<S>] {
        contentTargetsAndPositions(network: network, content: content, contentLayers: layers, positionLayers: []).targets
    }

    /// Content targets P_l at `contentLayers` and the number of positions M_l of each of
    /// `positionLayers`, from one forward pass of the content image (what a run needs of it).
    public static func contentTargetsAndPositions(network: Net, content: Tensor<S>, contentLayers: [String],
                                                  positionLayers: [String]) -> (targets: [String: Tensor<S>], positions: [String: Int]) {
        let acts = network.forward(content, keep: Set(contentLayers).union(positionLayers))
        var targets: [String: Tensor<S>] = [:], positions: [String: Int] = [:]
        for l in contentLayers { targets[l] = featureMatrix(acts[l]!) }
        for l in positionLayers { positions[l] = acts[l]!.count / acts[l]!.shape[0] }
        return (targets, positions)
    }

    /// Style targets A_l = Σ_k b_k (M / M_k) F_k F_kᵀ, blended over the style images with
    /// weights b_k (normalised to sum 1). M is the number of positions the generated image
    /// has at layer l (`positions[l]`), M_k the style image's: the factor M/M_k makes a
    /// style image of another size (`--style-scale`, another aspect ratio) comparable with
    /// G = F Fᵀ, whose entries grow with M. For a style image the size of the content it
    /// is 1 and A is exactly the quiz's F_s F_sᵀ.
    public static func styleTargets(network: Net, styles: [Tensor<S>], blendWeights: [Double],
                                    layers: [String], positions: [String: Int]) -> [String: Tensor<S>] {
        blendedStyleTargets(grams: styles.map { styleGrams(network: network, style: $0, layers: layers) },
                            blendWeights: blendWeights, layers: layers, positions: positions)
    }

    /// F_k F_kᵀ of one style image at each of `layers`, with its number of positions M_k there
    /// (one forward pass).
    public static func styleGrams(network: Net, style: Tensor<S>, layers: [String]) -> [String: StyleGram<S>] {
        let acts = network.forward(style, keep: Set(layers))
        var out: [String: StyleGram<S>] = [:]
        for l in layers {
            let F = featureMatrix(acts[l]!)
            out[l] = StyleGram(gram: Gram.forward(F), positions: F.shape[1])
        }
        return out
    }

    /// The targets of `styleTargets` from each style image's `styleGrams` (which must cover
    /// `layers`): A_l = Σ_k b_k (M / M_k) G_k.
    public static func blendedStyleTargets(grams: [[String: StyleGram<S>]], blendWeights: [Double],
                                           layers: [String], positions: [String: Int]) -> [String: Tensor<S>] {
        precondition(grams.count == blendWeights.count && !grams.isEmpty)
        let total = blendWeights.reduce(0, +)
        var out: [String: Tensor<S>] = [:]
        for (k, style) in grams.enumerated() {
            for l in layers {
                var G = style[l]!.gram
                let scale = S(blendWeights[k] / total * Double(positions[l]!) / Double(style[l]!.positions))
                G.scale(by: scale)
                if let acc = out[l] { G.add(acc) }
                out[l] = G
            }
        }
        return out
    }

    /// Number of positions M_l of each kept layer for an input x (one forward pass).
    public static func positions(network: Net, input: Tensor<S>, layers: [String]) -> [String: Int] {
        contentTargetsAndPositions(network: network, content: input, contentLayers: [], positionLayers: layers).positions
    }

    /// Loss terms at x without the gradient (same forward code).
    public func losses(at x: Tensor<S>) throws -> LossTerms {
        try evaluate(x, evaluation: 0, wantGradient: false).terms
    }

    /// L(x) and dL/dx. `evaluation` only labels a non-finite error.
    public func evaluate(_ x: Tensor<S>, evaluation: Int, wantGradient: Bool = true) throws -> (terms: LossTerms, dx: Tensor<S>) {
        let timer = phaseTimer
        let acts = timer.measure(.vggForward) { network.forward(x, keep: keptLayers) }
        var terms = LossTerms(content: [:], style: [:], tv: 0, total: 0)
        var dKept: [String: Tensor<S>] = [:]

        func guardFinite(_ v: Double, _ term: String) throws {
            if !v.isFinite { throw NonFiniteLossError(term: term, evaluation: evaluation, value: v) }
        }
        // A term's weight rides on its loss's upstream gradient (dL or dE: a scale the loss
        // applies anyway), so a layer's first dF is kept as it comes, with no pass over it; with
        // normalised gradients the weight is applied afterwards, over dF's L1 norm.
        func upstream(_ weight: Double) -> S { normalizeGradients ? 1 : S(weight) }
        func accumulate(_ layer: String, _ dF: Tensor<S>, weight: Double) {
            let d = dF.reshaped(acts[layer]!.shape)
            let scale = normalizeGradients ? weight / (dF.sumOfMagnitudes() + 1e-8) : 1
            if dKept[layer] != nil {
                dKept[layer]!.add(d, scaledBy: S(scale))
            } else if scale == 1 {
                dKept[layer] = d
            } else {
                dKept[layer] = d
                dKept[layer]!.scale(by: S(scale))
            }
        }

        let lossesStart = PhaseTimer.now()
        for (l, P) in contentTargets.sorted(by: { $0.key < $1.key }) {
            let F = Self.featureMatrix(acts[l]!)
            let L = Double(ContentLoss.forward(F, P))
            try guardFinite(L, "content loss at \(l)")
            terms.content[l] = L
            if wantGradient { accumulate(l, ContentLoss.backward(F, P, dL: upstream(contentWeight)), weight: contentWeight) }
        }
        var gramSeconds = 0.0   // the Gram products inside the loop, moved from `losses` to `gram`
        for (l, A) in styleTargets.sorted(by: { $0.key < $1.key }) {
            let F = Self.featureMatrix(acts[l]!)
            let w = styleLayerWeights[l]!
            let gramStart = PhaseTimer.now()
            let G = Gram.forward(F)
            gramSeconds += Double(PhaseTimer.now() &- gramStart) / 1e9
            let E = Double(StyleLoss.value(gram: G, A, F))
            try guardFinite(E, "style loss at \(l)")
            terms.style[l] = E
            if wantGradient {
                let dG = StyleLoss.gramGradient(gram: G, F, A, dE: upstream(styleWeight * w))
                let backwardStart = PhaseTimer.now()
                let dF = Gram.backward(F, dG: dG)
                gramSeconds += Double(PhaseTimer.now() &- backwardStart) / 1e9
                accumulate(l, dF, weight: styleWeight * w)
            }
        }
        if tvWeight != 0 {
            let tv = Double(TotalVariation.forward(x))
            try guardFinite(tv, "total-variation loss")
            terms.tv = tv
        }
        terms.total = contentWeight * terms.contentSum
            + styleWeight * styleTargets.keys.reduce(0) { $0 + styleLayerWeights[$1]! * terms.style[$1]! }
            + tvWeight * terms.tv
        try guardFinite(terms.total, "total loss")
        if let timer {
            timer.add(.gram, seconds: gramSeconds)
            timer.add(.losses, seconds: Double(PhaseTimer.now() &- lossesStart) / 1e9 - gramSeconds)
        }
        guard wantGradient else { return (terms, x) }

        var dx = timer.measure(.vggBackward) { network.backward(dKept) }
        if tvWeight != 0 {
            timer.measure(.losses) { dx.add(TotalVariation.backward(x, dL: S(tvWeight))) }
        }
        let sum = timer.measure(.bookkeeping) { dx.sum() }
        if !sum.isFinite {
            throw NonFiniteLossError(term: "gradient (the losses were finite: \(terms.total))", evaluation: evaluation, value: sum)
        }
        return (terms, dx)
    }
}

