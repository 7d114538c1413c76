import Dispatch
import NSTTensor
import NSTImage
import NSTVGG
import NSTRandom

// Style transfer as Gatys et al. (2015) describe it, and as jcjohnson/neural-style's main()
// runs it: the targets from the content and style images, the objective built from them, and
// the image minimised. Everything around one run (files, models, the experiment, timing) is
// the caller's.

/// A feature network with its model's preprocessing: what `transfer` restyles through.
/// `encode` maps an image (RGB 0…1) to the network input [3,H,W], `decode` back (clamped).
public struct StyleNetwork<Net: FeatureNetwork> where Net.Scalar == Float {
    public let features: Net
    public let preprocessing: Preprocessing

    public init(features: Net, preprocessing: Preprocessing) {
        self.features = features
        self.preprocessing = preprocessing
    }

    public func encode(_ image: RGBImage) -> Tensor<Float> {
        preprocessing.tensor(fromRGB: image.pixels, width: image.width, height: image.height)
    }
    public func decode(_ x: Tensor<Float>) -> [Float] { preprocessing.rgb(from: x) }

    /// What the objective needs of these images, from one forward pass per image.
    public func features(content: RGBImage, styles: [RGBImage], contentLayers: [String], styleLayers: [String]) -> ImageFeatures<Float> {
        ImageFeatures(network: features, content: encode(content), styles: styles.map(encode),
                      contentLayers: contentLayers, styleLayers: styleLayers)
    }
}

/// What the caller sees of a run while it goes, and how it stops one.
public struct TransferCallbacks {
    /// After every evaluation.
    public var progress: (StyleProgress) -> Void = { _ in }
    /// Before every evaluation (a signal flag): true ends the run with the best image so far
    /// and `StopReason.interrupted`.
    public var shouldStop: () -> Bool = { false }
    /// Every `saveEvery` evaluations (0: never), the best image so far.
    public var saveEvery = 0
    public var intermediate: (Int, RGBImage) -> Void = { _, _ in }
    public init() {}
}

/// Restyles `content` with `styles` (both at their run sizes: `StyleImages.prepare`): finds
/// the image x that minimises the Gatys objective (`StyleObjective`) under `options`, starting
/// from `startImage` (an image at the content's size) or else from `options.initMode`, inside the
/// box of valid pixels. `features`, when given, must come
/// from these images and this network; when they cover the options' layers the targets are
/// taken from them, with no forward pass. A non-finite loss throws `NonFiniteLossError`.
public func transfer<Net: FeatureNetwork>(network: StyleNetwork<Net>, content: RGBImage, styles: [RGBImage],
                                          options: StyleTransferOptions, features: ImageFeatures<Float>? = nil,
                                          startImage: RGBImage? = nil, callbacks: TransferCallbacks = TransferCallbacks()) throws -> StyleTransferResult {
    // 1. Targets: P_l from the content, A_l from the styles' Gram matrices.
    let targets = features.flatMap { $0.covers(contentLayers: options.contentLayers, styleLayers: options.styleLayers) ? $0 : nil }
        ?? network.features(content: content, styles: styles, contentLayers: options.contentLayers, styleLayers: options.styleLayers)
    // 2. The objective L(x) = α·content + β·style + λ·TV.
    let objective = StyleObjective(network: network.features, features: targets, options: options)

    // 3. Minimise L over x from x₀, keeping the best image seen and the loss curve.
    let start = DispatchTime.now().uptimeNanoseconds
    func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    func image(from x: Tensor<Float>) -> RGBImage {
        var px = network.decode(x)
        if options.originalColors { px = ColorTransfer.keepingColors(of: content.pixels, luminanceOf: px) }
        return RGBImage(width: content.width, height: content.height, pixels: px)
    }
    var bestX = startImage.map(network.encode) ?? initialImage(network: network, content: content, styles: styles, options: options)
    let shape = bestX.shape
    var best: LossTerms? = nil
    var curve: [LossTerms] = []
    var accepted: [Bool] = []
    let f: Objective<Float> = { flat in
        if callbacks.shouldStop() { throw StopRequested() }
        let x = Tensor<Float>(shape: shape, storage: flat)
        let evaluation = try objective.lossAndGradient(at: x, evaluation: curve.count + 1)
        curve.append(evaluation.terms)
        accepted.append(false)
        if best == nil || evaluation.terms.total < best!.total { best = evaluation.terms; bestX = x }
        callbacks.progress(StyleProgress(evaluation: curve.count, total: options.maxEvaluations, terms: evaluation.terms,
                                         best: best!, elapsedSeconds: elapsed()))
        if callbacks.saveEvery > 0 && curve.count % callbacks.saveEvery == 0 { callbacks.intermediate(curve.count, image(from: bestX)) }
        return (evaluation.terms.total, evaluation.gradient.storage)
    }
    func markAccepted(_ evaluation: Int) { accepted[evaluation - 1] = true }

    var reason: StopReason
    do {
        let x0 = bestX.storage
        let bounds = pixelBounds(network: network, pixels: content.width * content.height)
        switch options.optimizer {
        case .lbfgs:
            let lbfgs = LBFGS<Float>(historySize: options.lbfgsHistory,
                                     lineSearch: options.normalizeGradients ? .none : options.lineSearch,
                                     learningRate: options.effectiveLearningRate)
            reason = try lbfgs.minimize(x0, maxEvaluations: options.maxEvaluations, bounds: bounds, accepted: markAccepted, f).reason
        case .adam:
            reason = try Adam<Float>(learningRate: options.effectiveLearningRate)
                .minimize(x0, maxEvaluations: options.maxEvaluations, bounds: bounds, accepted: markAccepted, f).reason
        }
    } catch is StopRequested {
        reason = .interrupted
    }
    if best == nil { best = try objective.losses(at: bestX) }
    return StyleTransferResult(image: image(from: bestX), curve: curve, accepted: accepted, evaluations: curve.count,
                               stopReason: reason, seconds: elapsed(), best: best!)
}

/// The starting image x₀ in network units: the content, noise from `options.seed`, or the
/// first style image at the content's size.
public func initialImage<Net>(network: StyleNetwork<Net>, content: RGBImage, styles: [RGBImage],
                              options: StyleTransferOptions) -> Tensor<Float> {
    switch options.initMode {
    case .content:
        return network.encode(content)
    case .style:
        return network.encode(styles[0].resized(width: content.width, height: content.height))
    case .noise:
        var rng = SplitMix64(seed: options.seed)
        let px = (0..<(3 * content.width * content.height)).map { _ in Float(rng.nextUnit()) }
        return network.encode(RGBImage(width: content.width, height: content.height, pixels: px))
    }
}

/// The box of valid pixels (0…1) in network units, per input channel: the encodings of a
/// black and a white pixel (the preprocessing is affine per channel).
func pixelBounds<Net>(network: StyleNetwork<Net>, pixels: Int) -> Bounds<Float> {
    let black = network.encode(RGBImage(width: 1, height: 1, pixels: [0, 0, 0])).storage
    let white = network.encode(RGBImage(width: 1, height: 1, pixels: [1, 1, 1])).storage
    return Bounds(lower: zip(black, white).map { min($0, $1) }, upper: zip(black, white).map { max($0, $1) }, blockSize: pixels)
}

/// Thrown inside the objective to unwind the optimiser when asked to stop.
struct StopRequested: Error {}

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
    /// Loss terms of the returned image (before `originalColors` and clamping).
    public var best: LossTerms
}
