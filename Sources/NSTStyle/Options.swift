import NSTVGG
import NSTLayers

/// Where the optimisation starts.
public enum InitMode: String, Codable, Sendable, CaseIterable {
    /// The content image itself (fastest to a good result; jcjohnson's `-init image`).
    case content
    /// Uniform white noise in 0…1 pixels from `seed` (Gatys et al.'s choice).
    case noise
    /// The (first) style image, resized to the content's size.
    case style
}

public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case lbfgs, adam }

/// Every knob of one style transfer, in one flat value (it encodes as one flat object).
/// Names follow the paper (α, β, w_l) and jcjohnson/neural-style's flags. Layers are named as
/// the network names them: relu4_2 is conv4_2's rectified output, conv4_2 the map before the
/// ReLU (`VGGArchitecture.resolve`).
public struct StyleTransferOptions: Codable, Sendable, Equatable {
    // The network and the images' sizes: what `StyleModel.network` builds from.
    /// Longest side of the generated image, in pixels (the content is resized to it).
    public var size: Int = 384
    /// The style images are resized so their longest side is styleScale · size.
    public var styleScale: Double = 1
    /// Max pooling, as VGG was trained (and jcjohnson's default). Average pooling (Gatys et al.
    /// 2015) keeps the objective smoother, so runs that differ only in rounding end closer
    /// together (figures: docs/measurements/2026-12-02-engine-notes.md).
    public var pooling: Pooling = .max
    /// Gatys' normalised network; on by default: every filter's mean activation becomes 1, so
    /// the layers' style terms are weighed by w_l rather than by their activations' scale (the
    /// style-depth experiment's comparison of 3 and 5 layers depends on that).
    public var normalizeVGG: Bool = true
    /// With normalizeVGG: each filter is divided by max(m, floor · the layer's average m).
    public var normalizeFloor: Double = 0.1
    /// The arithmetic of the convolutions' matrix products (`ConvWorkspace.precision`):
    /// fp32, or bf16 inputs with fp32 sums where the CPU has AVX512-BF16 (docs/precision.md).
    public var precision: Precision = .auto

    // The objective.
    public var contentLayers: [String] = ["relu4_2"]
    public var styleLayers: [String] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    /// w_l, one per style layer; nil = 1 for every layer.
    public var styleLayerWeights: [Double]? = nil
    /// α
    public var contentWeight: Double = 1
    /// β. The default 1e5 is chosen for the normalised network (`normalizeVGG`): the style
    /// terms' scale follows the activations' scale, so another network needs another β.
    public var styleWeight: Double = 1e5
    /// λ_tv, weight of the total-variation smoothness term.
    public var tvWeight: Double = 0
    /// b_k, one per style image; nil = equal. Normalised to sum 1.
    public var styleBlendWeights: [Double]? = nil
    /// jcjohnson's per-layer gradient normalisation (`StyleObjective.normalizeGradients`).
    public var normalizeGradients: Bool = false

    // The minimisation.
    public var initMode: InitMode = .content
    public var optimizer: OptimizerKind = .lbfgs
    /// nil = 1 for L-BFGS (the quasi-Newton step), 10 for Adam (network input units).
    public var learningRate: Double? = nil
    /// L-BFGS history size m.
    public var lbfgsHistory: Int = 10
    public var lineSearch: LineSearch = .armijo
    /// The budget in loss+gradient evaluations (one VGG forward + backward each); L-BFGS's
    /// line search may spend several on one iteration.
    public var maxEvaluations: Int = 300
    /// Keep the content's colours: transfer luminance only (YIQ).
    public var originalColors: Bool = false
    public var seed: UInt64 = 0

    public init() {}

    public var effectiveLearningRate: Double { learningRate ?? (optimizer == .lbfgs ? 1 : 10) }

    /// w_l per style layer.
    public func layerWeights() -> [String: Double] {
        var out: [String: Double] = [:]
        for (i, l) in styleLayers.enumerated() { out[l] = styleLayerWeights?[i] ?? 1 }
        return out
    }
}
