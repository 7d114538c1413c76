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
        the \(term) became \(value) at evaluation \(evaluation); stopped instead of writing a broken image.
        Try: a smaller --learning-rate (Adam), --optimizer lbfgs, smaller --style-weight/--content-weight, \
        or --init content.
        """
    }
    public var errorDescription: String? { description }
}

/// What the objective needs of its images, from one forward pass per image: the content's
/// feature matrices at the content layers (the content targets P_l) and its number of
/// positions M_l at the style layers, and each style image's `StyleGram` at the style layers.
/// Objectives at any subset of these layers take their targets from it without another pass
/// (the experiment computes it once for both runs and the scoring).
public struct ImageFeatures<S: TensorScalar>: Sendable {
    public var contentLayers: Set<String>
    public var styleLayers: Set<String>
    public var content: [String: Tensor<S>]
    public var positions: [String: Int]
    /// One entry per style image.
    public var styles: [[String: StyleGram<S>]]

    /// Content (network input units, [3,H,W]) and styles through `network` at these layers.
    public init<Net: FeatureNetwork>(network: Net, content: Tensor<S>, styles: [Tensor<S>],
                                     contentLayers: [String], styleLayers: [String]) where Net.Scalar == S {
        let acts = network.forward(content, keep: Set(contentLayers).union(styleLayers))
        self.contentLayers = Set(contentLayers)
        self.styleLayers = Set(styleLayers)
        self.content = [:]
        self.positions = [:]
        for l in contentLayers { self.content[l] = StyleObjective<Net>.featureMatrix(acts[l]!) }
        for l in styleLayers { positions[l] = acts[l]!.count / acts[l]!.shape[0] }
        self.styles = styles.map { style in
            let acts = network.forward(style, keep: Set(styleLayers))
            var grams: [String: StyleGram<S>] = [:]
            for l in styleLayers {
                let F = StyleObjective<Net>.featureMatrix(acts[l]!)
                grams[l] = StyleGram(gram: Gram.forward(F), positions: F.shape[1])
            }
            return grams
        }
    }

    /// Whether objectives at these layers can take their targets from here.
    public func covers(contentLayers: [String], styleLayers: [String]) -> Bool {
        self.contentLayers.isSuperset(of: contentLayers) && self.styleLayers.isSuperset(of: styleLayers)
    }

    /// Style targets A_l = Σ_k b_k (M / M_k) G_k over the style images with weights b_k
    /// (normalised to sum 1). M is the number of positions the generated image has at layer l,
    /// M_k the style image's: the factor M/M_k makes a style image of another size
    /// (`styleScale`, another aspect ratio) comparable with G = F Fᵀ, whose entries grow with
    /// M. For a style image the size of the content it is 1 and A is exactly the quiz's
    /// F_s F_sᵀ.
    public func styleTargets(blendWeights: [Double], layers: [String]) -> [String: Tensor<S>] {
        precondition(styles.count == blendWeights.count && !styles.isEmpty)
        let total = blendWeights.reduce(0, +)
        var out: [String: Tensor<S>] = [:]
        for (k, style) in styles.enumerated() {
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
}

/// One evaluation with its gradient: the loss terms and dL/dx.
public struct LossAndGradient<S: TensorScalar> {
    public var terms: LossTerms
    /// dL/dx, the shape of x.
    public var gradient: Tensor<S>
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
public struct StyleObjective<Net: FeatureNetwork> {
    public typealias S = Net.Scalar
    public let network: Net
    /// P_l: [N, M] per content layer.
    public let contentTargets: [String: Tensor<S>]
    /// A_l: [N, N] per style layer.
    public let styleTargets: [String: Tensor<S>]
    /// w_l per style layer.
    public let styleLayerWeights: [String: Double]
    public let contentWeight: Double
    public let styleWeight: Double
    public let tvWeight: Double
    public let normalizeGradients: Bool

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

    /// The objective `options` describe, its targets taken from `features` (which must cover
    /// the options' layers).
    public init(network: Net, features: ImageFeatures<S>, options: StyleTransferOptions) {
        precondition(features.covers(contentLayers: options.contentLayers, styleLayers: options.styleLayers))
        self.init(network: network,
                  contentTargets: features.content.filter { options.contentLayers.contains($0.key) },
                  styleTargets: features.styleTargets(blendWeights: options.styleBlendWeights ?? Array(repeating: 1, count: features.styles.count),
                                                      layers: options.styleLayers),
                  styleLayerWeights: options.layerWeights(),
                  contentWeight: options.contentWeight, styleWeight: options.styleWeight, tvWeight: options.tvWeight,
                  normalizeGradients: options.normalizeGradients)
    }

    /// The layers the network must keep.
    public var keptLayers: Set<String> { Set(contentTargets.keys).union(styleTargets.keys) }

    /// F_l as N×M from a [C,H,W] activation.
    static func featureMatrix(_ a: Tensor<S>) -> Tensor<S> {
        a.reshaped([a.shape[0], a.count / a.shape[0]])
    }

    /// L(x)'s terms, without the gradient (one forward pass). `evaluation` only labels a
    /// non-finite error.
    public func losses(at x: Tensor<S>, evaluation: Int = 0) throws -> LossTerms {
        var unused: [String: Tensor<S>]? = nil
        return try terms(at: x, activations: network.forward(x, keep: keptLayers), evaluation: evaluation, dKept: &unused)
    }

    /// L(x) and dL/dx (one forward and one backward pass).
    public func lossAndGradient(at x: Tensor<S>, evaluation: Int) throws -> LossAndGradient<S> {
        var dKept: [String: Tensor<S>]? = [:]
        let terms = try terms(at: x, activations: network.forward(x, keep: keptLayers), evaluation: evaluation, dKept: &dKept)
        var dx = network.backward(dKept!)
        if tvWeight != 0 { dx.add(TotalVariation.backward(x, dL: S(tvWeight))) }
        let sum = dx.sum()
        if !sum.isFinite {
            throw NonFiniteLossError(term: "gradient (the losses were finite: \(terms.total))", evaluation: evaluation, value: sum)
        }
        return LossAndGradient(terms: terms, gradient: dx)
    }

    /// The loss terms from the kept activations; with `dKept` non-nil, also each kept layer's
    /// weighted gradient dL/dF_l (the backward pass's input).
    private func terms(at x: Tensor<S>, activations acts: [String: Tensor<S>], evaluation: Int,
                       dKept: inout [String: Tensor<S>]?) throws -> LossTerms {
        var terms = LossTerms(content: [:], style: [:], tv: 0, total: 0)
        let wantGradient = dKept != nil
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
            if dKept![layer] != nil {
                dKept![layer]!.add(d, scaledBy: S(scale))
            } else if scale == 1 {
                dKept![layer] = d
            } else {
                dKept![layer] = d
                dKept![layer]!.scale(by: S(scale))
            }
        }

        for (l, P) in contentTargets.sorted(by: { $0.key < $1.key }) {
            let F = Self.featureMatrix(acts[l]!)
            let L = Double(ContentLoss.forward(F, P))
            try guardFinite(L, "content loss at \(l)")
            terms.content[l] = L
            if wantGradient { accumulate(l, ContentLoss.backward(F, P, dL: upstream(contentWeight)), weight: contentWeight) }
        }
        for (l, A) in styleTargets.sorted(by: { $0.key < $1.key }) {
            let F = Self.featureMatrix(acts[l]!)
            let w = styleLayerWeights[l]!
            let G = Gram.forward(F)
            let E = Double(StyleLoss.value(gram: G, A, F))
            try guardFinite(E, "style loss at \(l)")
            terms.style[l] = E
            if wantGradient {
                let dG = StyleLoss.gramGradient(gram: G, F, A, dE: upstream(styleWeight * w))
                accumulate(l, Gram.backward(F, dG: dG), weight: styleWeight * w)
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
        return terms
    }
}
