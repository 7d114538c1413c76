import Foundation
import NSTTensor
import NSTLayers
import NSTImage
import NSTVGG
import NSTRandom

/// Where the optimisation starts.
public enum InitMode: String, Codable, Sendable, CaseIterable {
    /// The content image itself (fastest to a good result; jcjohnson's `-init image`).
    case content
    /// Uniform white noise in 0…1 pixels from `--seed` (Gatys et al.'s choice).
    case noise
    /// The (first) style image, resized to the content's size.
    case style
}

public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case lbfgs, adam }

/// Every knob of a run, in two parts that are consumed at different times:
/// - `network` (size, styleScale, pooling, normalizeVGG, normalizeFloor) when the network is
///   prepared (`StyleModel.prepare(network:…)`), fixed for every run on it;
/// - `run` (layers, weights, optimiser, budget, …) by each run (`PreparedStyleTransfer.run`).
///
/// A prepared network's `run` takes only `StyleRunOptions`, so no network option can be
/// handed to a run that would then ignore it. Each field reads and writes through this type
/// as well (`options.size`, `options.styleWeight`), and it encodes as one flat object.
/// Names follow the paper (α, β, w_l) and jcjohnson/neural-style's flags.
@dynamicMemberLookup
public struct StyleTransferOptions: Codable, Sendable, Equatable {
    public var network = StyleNetworkOptions()
    public var run = StyleRunOptions()

    public init() {}
    public init(network: StyleNetworkOptions, run: StyleRunOptions) { self.network = network; self.run = run }

    public subscript<T>(dynamicMember field: WritableKeyPath<StyleNetworkOptions, T>) -> T {
        get { network[keyPath: field] }
        set { network[keyPath: field] = newValue }
    }
    public subscript<T>(dynamicMember field: WritableKeyPath<StyleRunOptions, T>) -> T {
        get { run[keyPath: field] }
        set { run[keyPath: field] = newValue }
    }
    public subscript<T>(dynamicMember field: KeyPath<StyleRunOptions, T>) -> T { run[keyPath: field] }

    public init(from decoder: Decoder) throws {
        network = try StyleNetworkOptions(from: decoder)
        run = try StyleRunOptions(from: decoder)
    }
    public func encode(to encoder: Encoder) throws {
        try network.encode(to: encoder)
        try run.encode(to: encoder)
    }

    public func layerWeights() -> [String: Double] { run.layerWeights() }

    /// These options with the layers named as the command line names them (conv4_2 for
    /// relu4_2 under `.relu`): how sidecars and metrics.json record them, beside `activation`.
    public var named: StyleTransferOptions {
        var o = self
        o.run.contentLayers = run.contentLayers.map(run.activation.label(ofBlob:))
        o.run.styleLayers = run.styleLayers.map(run.activation.label(ofBlob:))
        return o
    }
}

/// The options a prepared network fixes: the images' run sizes and the network itself.
public struct StyleNetworkOptions: Codable, Sendable, Equatable {
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
    /// fp32, or bf16 inputs with fp32 sums where the CPU has AVX512-BF16 (docs/precision.md);
    /// the CLI records the one that ran.
    public var precision: Precision = .auto

    public init() {}
    public init(size: Int, styleScale: Double, pooling: Pooling, normalizeVGG: Bool, normalizeFloor: Double,
                precision: Precision = .auto) {
        self.size = size; self.styleScale = styleScale; self.pooling = pooling
        self.normalizeVGG = normalizeVGG; self.normalizeFloor = normalizeFloor; self.precision = precision
    }

    /// "name: this vs other" for every option that differs, e.g. ["pooling: avg vs max"].
    public func differences(from other: StyleNetworkOptions) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { out.append("\(name): \(a) vs \(b)") } }
        compare("size", size, other.size)
        compare("styleScale", styleScale, other.styleScale)
        compare("pooling", pooling, other.pooling)
        compare("normalizeVGG", normalizeVGG, other.normalizeVGG)
        compare("normalizeFloor", normalizeFloor, other.normalizeFloor)
        compare("precision", precision, other.precision)
        return out
    }
}

/// The options each run on a prepared network consumes.
public struct StyleRunOptions: Codable, Sendable, Equatable {
    /// The layers as the network names them (relu4_2 = conv4_2's rectified output); files
    /// name them in `activation`'s convention (`named`).
    public var contentLayers: [String] = ["relu4_2"]
    public var styleLayers: [String] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    /// What a layer name such as conv4_2 meant on the command line, recorded with the names.
    public var activation: ActivationKind = .relu
    /// w_l, one per style layer; nil = 1 for every layer.
    public var styleLayerWeights: [Double]? = nil
    /// α
    public var contentWeight: Double = 1
    /// β. The default 1e5 is chosen for the normalised network (`normalizeVGG`): the style
    /// terms' scale follows the activations' scale, so another network needs another β.
    public var styleWeight: Double = 1e5
    /// λ_tv, weight of the total-variation smoothness term.
    public var tvWeight: Double = 0
    public var initMode: InitMode = .content
    public var optimizer: OptimizerKind = .lbfgs
    /// nil = 1 for L-BFGS (the quasi-Newton step), 10 for Adam (network input units).
    public var learningRate: Double? = nil
    /// L-BFGS history size m.
    public var lbfgsHistory: Int = 10
    public var lineSearch: LineSearch = .armijo
    /// Budget in loss+gradient evaluations (one VGG forward + backward each).
    public var iterations: Int = 300
    /// b_k, one per style image; nil = equal. Normalised to sum 1.
    public var styleBlendWeights: [Double]? = nil
    public var originalColors: Bool = false
    public var seed: UInt64 = 0
    public var normalizeGradients: Bool = false

    public init() {}

    public var effectiveLearningRate: Double { learningRate ?? (optimizer == .lbfgs ? 1 : 10) }
    public func layerWeights() -> [String: Double] {
        var out: [String: Double] = [:]
        for (i, l) in styleLayers.enumerated() { out[l] = styleLayerWeights?[i] ?? 1 }
        return out
    }
}

/// What the progress callback receives after every evaluation.
public struct StyleProgress: Sendable {
    /// 1-based evaluation number and the budget.
    public var evaluation: Int
    public var total: Int
    /// This evaluation's terms: a line-search trial's may be far above the iterate's.
    public var terms: LossTerms
    /// The lowest loss so far: the image the run would write now (with L-BFGS's line
    /// search, the accepted iterate's), which progress lines print.
    public var best: LossTerms
    public var elapsedSeconds: Double
    public var secondsPerEvaluation: Double { elapsedSeconds / Double(max(evaluation, 1)) }
    public var etaSeconds: Double { secondsPerEvaluation * Double(max(total - evaluation, 0)) }
}

public struct StyleTransferResult: Sendable {
    /// The image with the lowest loss seen (for L-BFGS with a line search: the last iterate).
    public var image: RGBImage
    /// Loss terms of every evaluation, in order, line-search trials included.
    public var curve: [LossTerms]
    /// accepted[k]: evaluation k + 1's point became the optimiser's iterate (false for the
    /// trials a line search rejected). Same count as `curve`.
    public var accepted: [Bool]
    public var evaluations: Int
    public var stopReason: StopReason
    public var seconds: Double
    /// Loss terms of the returned image (before --original-colors and clamping).
    public var best: LossTerms
}

/// Thrown inside the evaluation closure to unwind the optimiser when asked to stop.
struct StopRequested: Error {}

/// Resizing rules shared by `transfer` and `experiment`: the content to longest side
/// `size`; each style image to longest side round(styleScale · size).
public enum StyleImages {
    public static func prepare(content: RGBImage, styles: [RGBImage], size: Int, styleScale: Double) -> (content: RGBImage, styles: [RGBImage]) {
        let c = max(content.width, content.height) == size ? content : content.resized(longestSide: size)
        let styleSide = max(Int((Double(size) * styleScale).rounded()), 16)
        let s = styles.map { max($0.width, $0.height) == styleSide ? $0 : $0.resized(longestSide: styleSide) }
        return (c, s)
    }
}

/// What runs need of their images from the network, computed with one forward pass per image:
/// the content's feature matrices at the content layers (the content targets) and its number of
/// positions at the style layers, and each style image's `StyleGram` at the style layers. Runs
/// at any subset of these layers build their targets from it without another pass
/// (`PreparedStyleTransfer` keeps one for all its runs and scorers).
public struct ImageFeatures<S: TensorScalar>: Sendable {
    public var contentLayers: Set<String>
    public var styleLayers: Set<String>
    public var content: [String: Tensor<S>]
    public var positions: [String: Int]
    /// One entry per style image.
    public var styles: [[String: StyleGram<S>]]

    public static func compute<Net: FeatureNetwork>(network: Net, content: Tensor<S>, styles: [Tensor<S>],
                                                    contentLayers: [String], styleLayers: [String]) -> ImageFeatures where Net.Scalar == S {
        let (targets, positions) = StyleObjective<Net>.contentTargetsAndPositions(
            network: network, content: content, contentLayers: contentLayers, positionLayers: styleLayers)
        return ImageFeatures(contentLayers: Set(contentLayers), styleLayers: Set(styleLayers), content: targets, positions: positions,
                             styles: styles.map { StyleObjective<Net>.styleGrams(network: network, style: $0, layers: styleLayers) })
    }

    /// Whether runs at these layers can take their targets from here.
    public func covers(contentLayers: [String], styleLayers: [String]) -> Bool {
        self.contentLayers.isSuperset(of: contentLayers) && self.styleLayers.isSuperset(of: styleLayers)
    }
}

/// One style-transfer run on an already built network.
///
/// `encode` maps an image to the network input [3,H,W] (the model's preprocessing) and
/// `decode` maps back to interleaved RGB 0…1 (clamped). The image is optimised in the
/// network's input units, as in Gatys et al. and jcjohnson/neural-style.
public final class StyleTransferRun<Net: FeatureNetwork> where Net.Scalar == Float {
    public let options: StyleTransferOptions
    public let content: RGBImage
    public let styles: [RGBImage]
    public let objective: StyleObjective<Net>
    let encode: (RGBImage) -> Tensor<Float>
    let decode: (Tensor<Float>) -> [Float]
    let contentTensor: Tensor<Float>

    /// `content` and `styles` are used at the size given (see `StyleImages.prepare`).
    /// `features`, when given, must come from these images and this network; when they cover the
    /// run's layers the targets are built from them, with no forward pass.
    public init(options: StyleTransferOptions, network: Net, content: RGBImage, styles: [RGBImage],
                encode: @escaping (RGBImage) -> Tensor<Float>, decode: @escaping (Tensor<Float>) -> [Float],
                features: ImageFeatures<Float>? = nil) {
        self.options = options
        self.content = content
        self.styles = styles
        self.encode = encode
        self.decode = decode
        contentTensor = encode(content)
        let blend = options.styleBlendWeights ?? Array(repeating: 1, count: styles.count)
        let f = features.flatMap { $0.covers(contentLayers: options.contentLayers, styleLayers: options.styleLayers) ? $0 : nil }
            ?? ImageFeatures.compute(network: network, content: contentTensor, styles: styles.map(encode),
                                     contentLayers: options.contentLayers, styleLayers: options.styleLayers)
        objective = StyleObjective(
            network: network,
            contentTargets: f.content.filter { options.contentLayers.contains($0.key) },
            styleTargets: StyleObjective<Net>.blendedStyleTargets(grams: f.styles, blendWeights: blend,
                                                             layers: options.styleLayers, positions: f.positions),
            styleLayerWeights: options.layerWeights(),
            contentWeight: options.contentWeight, styleWeight: options.styleWeight, tvWeight: options.tvWeight,
            normalizeGradients: options.normalizeGradients)
    }

    /// The starting image x₀ in network units.
    public func initialTensor() -> Tensor<Float> {
        switch options.initMode {
        case .content:
            return contentTensor
        case .style:
            return encode(styles[0].resized(width: content.width, height: content.height))
        case .noise:
            var rng = SplitMix64(seed: options.seed)
            let px = (0..<(3 * content.width * content.height)).map { _ in Float(rng.nextUnit()) }
            return encode(RGBImage(width: content.width, height: content.height, pixels: px))
        }
    }

    /// The box of valid pixels (0…1) in network units, per input channel: the encodings of a
    /// black and a white pixel (the preprocessing is affine per channel).
    public func pixelBounds() -> Bounds<Float> {
        let black = encode(RGBImage(width: 1, height: 1, pixels: [0, 0, 0])).storage
        let white = encode(RGBImage(width: 1, height: 1, pixels: [1, 1, 1])).storage
        return Bounds(lower: zip(black, white).map { min($0, $1) }, upper: zip(black, white).map { max($0, $1) },
                      blockSize: content.width * content.height)
    }

    /// The displayable image of a network-space tensor (with --original-colors applied).
    public func image(from x: Tensor<Float>) -> RGBImage {
        var px = decode(x)
        if options.originalColors { px = ColorTransfer.keepingColors(of: content.pixels, luminanceOf: px) }
        return RGBImage(width: content.width, height: content.height, pixels: px)
    }

    /// Optimise. `progress` is called after every evaluation; `shouldStop` before every
    /// evaluation (a signal flag) — when it returns true the best image so far is
    /// returned with stopReason `.interrupted`. `intermediate` receives the best image every
    /// `saveEvery` evaluations (0 = never). A non-finite loss throws `NonFiniteLossError`.
    public func run(saveEvery: Int = 0,
                    progress: (StyleProgress) -> Void = { _ in },
                    shouldStop: () -> Bool = { false },
                    intermediate: (Int, RGBImage) -> Void = { _, _ in }) throws -> StyleTransferResult {
        let shape = contentTensor.shape
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var curve: [LossTerms] = []
        var accepted: [Bool] = []
        func markAccepted(_ evaluation: Int) { accepted[evaluation - 1] = true }
        var bestX = initialTensor()
        var best: LossTerms? = nil
        let objective = self.objective
        let timer = objective.phaseTimer
        // The optimiser's share of an evaluation: from the end of the previous one (or the start).
        var previousEnd = PhaseTimer.now()

        let f: Objective<Float> = { flat in
            timer?.add(.optimizer, since: previousEnd)
            if shouldStop() { throw StopRequested() }
            let x = timer.measure(.bookkeeping) { Tensor<Float>(shape: shape, storage: flat) }
            let (terms, dx) = try objective.evaluate(x, evaluation: curve.count + 1)
            let bookkeepingStart = PhaseTimer.now()
            curve.append(terms)
            accepted.append(false)
            if best == nil || terms.total < best!.total { best = terms; bestX = x }
            progress(StyleProgress(evaluation: curve.count, total: self.options.iterations, terms: terms, best: best!, elapsedSeconds: elapsed()))
            if saveEvery > 0 && curve.count % saveEvery == 0 { intermediate(curve.count, self.image(from: bestX)) }
            if let timer {
                timer.add(.bookkeeping, since: bookkeepingStart)
                timer.finishEvaluation()
            }
            previousEnd = PhaseTimer.now()
            return (terms.total, dx.storage)
        }

        var reason: StopReason
        do {
            let x0 = bestX.storage
            let bounds = pixelBounds()
            switch options.optimizer {
            case .lbfgs:
                let opt = LBFGS<Float>(historySize: options.lbfgsHistory,
                                       lineSearch: options.normalizeGradients ? .none : options.lineSearch,
                                       learningRate: options.effectiveLearningRate)
                reason = try opt.minimize(x0, maxEvaluations: options.iterations, bounds: bounds, accepted: markAccepted, f).reason
            case .adam:
                reason = try Adam<Float>(learningRate: options.effectiveLearningRate)
                    .minimize(x0, maxEvaluations: options.iterations, bounds: bounds, accepted: markAccepted, f).reason
            }
        } catch is StopRequested {
            reason = .interrupted
        }
        if best == nil { best = try objective.losses(at: bestX) }
        return StyleTransferResult(image: image(from: bestX), curve: curve, accepted: accepted, evaluations: curve.count,
                                   stopReason: reason, seconds: elapsed(), best: best!)
    }
}
