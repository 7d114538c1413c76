import ArgumentParser
import Foundation
import NSTStyle
import NSTStyleJobs
import NSTVGG

// The option groups `nst transfer` and `nst experiment style-depth` share. Rarely used
// options are hidden from --help and shown by --help-hidden (all of them: docs/cli.md).

/// The three weights of the objective.
public struct LossWeightOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("content-weight"), help: ArgumentHelp("α: weight of the content loss ½Σ(F−P)².", valueName: "α"))
    public var contentWeight: Double = StyleTransferOptions().contentWeight

    /// nil: the command's own default (`transfer`: StyleTransferOptions's; the experiment: its own).
    @Option(name: .customLong("style-weight"),
            help: ArgumentHelp("β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: \(powerOfTen(StyleTransferOptions().styleWeight)) for transfer, \(powerOfTen(StyleDepthExperiment.defaultStyleWeight)) for the experiment).",
                               valueName: "β"))
    public var styleWeight: Double?

    @Option(name: .customLong("tv-weight"), help: ArgumentHelp("Weight of the total-variation (smoothness) loss; 0 turns it off.", valueName: "w"))
    public var tvWeight: Double = StyleTransferOptions().tvWeight

    public func validate() throws {
        for (name, v) in [("--content-weight", contentWeight), ("--style-weight", styleWeight ?? 0), ("--tv-weight", tvWeight)] {
            guard v.isFinite && v >= 0 else { throw ValidationError("\(name) must be a finite number ≥ 0 (got \(v)).") }
        }
    }

    public func apply(to o: inout StyleTransferOptions) {
        o.contentWeight = contentWeight
        if let styleWeight { o.styleWeight = styleWeight }
        o.tvWeight = tvWeight
    }
}

/// Where the image starts and how it is optimised.
public struct OptimiserOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("init"), help: "Start from the content image, white noise (from --seed) or the style image.")
    public var initMode: InitMode = StyleTransferOptions().initMode

    @Option(help: "lbfgs (quasi-Newton, Armijo line search) or adam.")
    public var optimizer: OptimizerKind = StyleTransferOptions().optimizer

    @Option(help: "Seed of every random draw (noise init, --random-weights); the same seed gives the same image.")
    public var seed: UInt64 = StyleTransferOptions().seed

    @Option(name: .customLong("learning-rate"),
            help: ArgumentHelp("Step size: L-BFGS's trial step (default 1) or Adam's per-pixel step in the model's input units (default 10 for 0–255 models).",
                               valueName: "rate", visibility: .hidden))
    public var learningRate: Double?

    @Option(name: .customLong("lbfgs-history"), help: ArgumentHelp("L-BFGS history size m (curvature pairs kept).", visibility: .hidden))
    public var lbfgsHistory: Int = StyleTransferOptions().lbfgsHistory

    @Option(name: .customLong("line-search"),
            help: ArgumentHelp("L-BFGS step rule: armijo (backtracking, loss never rises) or none (fixed step, as jcjohnson's default).", visibility: .hidden))
    public var lineSearch: LineSearch = StyleTransferOptions().lineSearch

    @Flag(name: .customLong("normalize-gradients"),
          help: ArgumentHelp("jcjohnson's per-layer gradient normalisation: divide each layer's gradient by its L1 norm (forces --line-search none).", visibility: .hidden))
    public var normalizeGradients = false

    public func validate() throws {
        if let learningRate { guard learningRate.isFinite && learningRate > 0 else { throw ValidationError("--learning-rate must be > 0 (got \(learningRate)).") } }
        guard lbfgsHistory >= 1 && lbfgsHistory <= 1000 else { throw ValidationError("--lbfgs-history must be between 1 and 1000 (got \(lbfgsHistory)).") }
    }

    public func apply(to o: inout StyleTransferOptions) {
        o.initMode = initMode
        o.optimizer = optimizer
        o.seed = seed
        o.learningRate = learningRate
        o.lbfgsHistory = lbfgsHistory
        o.lineSearch = lineSearch
        o.normalizeGradients = normalizeGradients
    }
}

/// The network, the images' scale and colours, and the progress lines.
public struct EngineOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("A .safetensors path or an installed model's name (default: the installed vgg16).", valueName: "model"))
    public var model: String?

    @Flag(name: .customLong("original-colors"), help: "Keep the content's colours: transfer luminance only (YIQ).")
    public var originalColors = false

    @Option(name: .customLong("print-every"), help: ArgumentHelp("Without a terminal: a progress line every n evaluations (0: only the last).", valueName: "n"))
    public var printEvery: Int = 10

    @Option(help: ArgumentHelp("Pooling in VGG: max (as trained) or avg (Gatys et al.'s choice; smoother, so runs that differ only in rounding stay closer).",
                               visibility: .hidden))
    public var pooling: Pooling = StyleTransferOptions().pooling

    @Option(name: .customLong("style-scale"), help: ArgumentHelp("Style images are resized to this times --size (longest side).", visibility: .hidden))
    public var styleScale: Double = StyleTransferOptions().styleScale

    @Flag(name: .customLong("normalize-vgg"), inversion: .prefixedNo,
          help: ArgumentHelp("Gatys' normalised VGG: rescale each conv layer so every filter's mean activation over this run's content and style images is 1 (same network up to per-channel scale). Changes the loss scale: β ≈ 1e5 with it, ≈ 1 without.",
                             visibility: .hidden))
    public var normalizeVGG = StyleTransferOptions().normalizeVGG

    @Option(name: .customLong("normalize-floor"),
            help: ArgumentHelp("With --normalize-vgg: divide each filter by max(its mean, this × the layer's average mean), so filters that barely fire on these images are not amplified more than 1/this.",
                               visibility: .hidden))
    public var normalizeFloor: Double = StyleTransferOptions().normalizeFloor

    @Flag(name: .customLong("random-weights"),
          help: ArgumentHelp("Random VGG16-shaped weights with ⅛ of the channels (from --seed), for tests without a model; the images are not art.", visibility: .hidden))
    public var randomWeights = false

    /// Experimental (docs/precision.md), so shown by --help-hidden only.
    @OptionGroup(visibility: .hidden) public var arithmetic: PrecisionOptions

    public func validate() throws {
        guard styleScale.isFinite && styleScale > 0 && styleScale <= 8 else { throw ValidationError("--style-scale must be in (0, 8] (got \(styleScale)).") }
        guard normalizeFloor.isFinite && normalizeFloor >= 0 && normalizeFloor <= 1 else { throw ValidationError("--normalize-floor must be in [0, 1] (got \(normalizeFloor)).") }
        guard printEvery >= 0 else { throw ValidationError("--print-every must be ≥ 0.") }
    }

    public func apply(to o: inout StyleTransferOptions) {
        o.originalColors = originalColors
        o.pooling = pooling
        o.styleScale = styleScale
        o.normalizeVGG = normalizeVGG
        o.normalizeFloor = normalizeFloor
        // The precision that will run, so the sidecar records it.
        o.precision = arithmetic.effective { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    }
}

extension InitMode: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LineSearch: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}

/// --size and --iterations, with defaults per command.
public func validateSizeAndIterations(size: Int, iterations: Int) throws {
    guard size >= 16 && size <= 4096 else { throw ValidationError("--size must be between 16 and 4096 pixels (got \(size)).") }
    guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1 (got \(iterations)).") }
}


/// "a,b, c" → ["a", "b", "c"]
public func commaList(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

public func commaNumbers(_ s: String, flag: String) throws -> [Double] {
    try commaList(s).map { item in
        guard let v = Double(item), v.isFinite, v >= 0 else {
            throw ValidationError("\(flag): '\(item)' is not a number ≥ 0 (expected a comma-separated list such as 1,0.5).")
        }
        return v
    }
}

/// Which layers the losses read.
public struct LayerOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("content-layers"),
            help: ArgumentHelp("Comma-separated content layers (see --activation).", valueName: "layers"))
    public var contentLayers: String = StyleTransferOptions().contentLayers.joined(separator: ",")

    @Option(name: .customLong("style-layers"), help: ArgumentHelp("Comma-separated style layers.", valueName: "layers"))
    public var styleLayers: String = StyleTransferOptions().styleLayers.joined(separator: ",")

    @Option(help: activationHelp)
    public var activation: ActivationKind = .relu

    @Option(name: .customLong("style-layer-weights"),
            help: ArgumentHelp("w_l, comma-separated, one per style layer (default: 1 each).", valueName: "weights", visibility: .hidden))
    public var styleLayerWeights: String?

    public func validate() throws {
        guard !commaList(contentLayers).isEmpty else { throw ValidationError("--content-layers is empty.") }
        guard !commaList(styleLayers).isEmpty else { throw ValidationError("--style-layers is empty.") }
        if let w = styleLayerWeights {
            let n = try commaNumbers(w, flag: "--style-layer-weights").count
            let l = commaList(styleLayers).count
            guard n == l else { throw ValidationError("--style-layer-weights has \(n) values for \(l) style layers.") }
        }
    }
}

/// What `nst transfer` reads and writes, and how long it runs.
public struct TransferImageOptions: ParsableArguments {
    public init() {}

    @Option(help: "Content image (PNG or JPEG).")
    public var content: String

    @Option(help: "Style image; repeat for several (blended, see --style-blend-weights).")
    public var style: [String]

    @Option(name: .shortAndLong, help: "Output PNG; the sidecar goes beside it (out.png → out.json).")
    public var output: String = "out.png"

    @Option(help: ArgumentHelp("Longest side of the output image, in pixels.", valueName: "px"))
    public var size: Int = StyleTransferOptions().size

    @Option(help: ArgumentHelp("Optimiser evaluations (one VGG forward+backward each).", valueName: "n"))
    public var iterations: Int = StyleTransferOptions().maxEvaluations

    @Option(name: .customLong("style-blend-weights"),
            help: ArgumentHelp("One weight per --style image; normalised to sum 1 (default: equal).", valueName: "weights", visibility: .hidden))
    public var styleBlendWeights: String?

    @Option(name: .customLong("save-every"), help: ArgumentHelp("Also write out_<N>.png every N evaluations (0 = never).", visibility: .hidden))
    public var saveEvery: Int = 0

    public func validate() throws {
        try validateSizeAndIterations(size: size, iterations: iterations)
        guard !style.isEmpty else { throw ValidationError("give at least one --style image.") }
        if let w = styleBlendWeights {
            let v = try commaNumbers(w, flag: "--style-blend-weights")
            guard v.count == style.count else { throw ValidationError("--style-blend-weights has \(v.count) values for \(style.count) --style images.") }
            guard v.reduce(0, +) > 0 else { throw ValidationError("--style-blend-weights must not all be 0.") }
        }
        guard saveEvery >= 0 else { throw ValidationError("--save-every must be ≥ 0.") }
        guard output.lowercased().hasSuffix(".png") else { throw ValidationError("--output must end in .png (got \(output)).") }
    }

}

extension ActivationKind: ExpressibleByArgument {}

/// --activation, the same in `transfer` and the experiment.
let activationHelp = ArgumentHelp("relu: rectified outputs (relu4_2; the paper's conv4_2 means it too); conv: maps before the ReLU.")

/// What the experiment reads and writes, and how long each run is.
public struct StyleDepthOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Content image (default: the sea turtle built into nst).", valueName: "image"))
    public var content: String?

    @Option(help: ArgumentHelp("Style image (default: the Great Wave built into nst).", valueName: "image"))
    public var style: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Folder for the images, figure, metrics and report (default: ~/.local/share/nst/style-depth, where `nst quiz` finds them; …/style-grid with --grid).", valueName: "dir"))
    public var output: String?

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("The former name of --output.", valueName: "dir", visibility: .hidden))
    public var outputDir: String?

    @Option(name: .customLong("content-layers"), help: ArgumentHelp("The content layer (one: block5_conv2 in the TensorFlow tutorial).", valueName: "layer"))
    public var contentLayers: String?

    @Option(name: .customLong("content-layer"), help: ArgumentHelp("The former name of --content-layers.", valueName: "layer", visibility: .hidden))
    public var contentLayer: String?

    /// --content-layers, or its former name; conv5_2 by default.
    public var runContentLayer: String { contentLayers ?? contentLayer ?? "conv5_2" }

    @Option(help: activationHelp)
    public var activation: ActivationKind = .relu

    @Option(help: ArgumentHelp("Longest side of the images, in pixels (default: \(Self.defaultSize); \(Self.gridSize) with --grid).", valueName: "pixels"))
    public var size: Int?

    @Option(help: ArgumentHelp("Optimiser evaluations per run, one VGG forward+backward each (default: \(Self.defaultIterations); \(Self.gridIterations) per cell with --grid).", valueName: "n"))
    public var iterations: Int?

    @Flag(help: "Gatys et al.'s Fig. 3 instead: rows match the first 1…5 style layers, columns use --style-weight ÷10, ×1 and ×10; writes grid.png and grid.json.")
    public var grid = false

    public static let defaultSize = 384, defaultIterations = 250
    public static let gridSize = 128, gridIterations = 100

    public var runSize: Int { size ?? (grid ? Self.gridSize : Self.defaultSize) }
    public var runIterations: Int { iterations ?? (grid ? Self.gridIterations : Self.defaultIterations) }

    public func validate() throws {
        try validateSizeAndIterations(size: runSize, iterations: runIterations)
        if output != nil && outputDir != nil { throw ValidationError("--output-dir is the former name of --output: give one of them.") }
        if contentLayers != nil && contentLayer != nil { throw ValidationError("--content-layer is the former name of --content-layers: give one of them.") }
        if commaList(runContentLayer).count != 1 {
            throw ValidationError("--content-layers: the experiment uses one content layer (got \(runContentLayer)); `nst transfer` takes several.")
        }
    }

}

extension StyleTransferOptions {
    /// The options `nst transfer`'s flags give (defaults: `StyleTransferOptions()`'s). The
    /// layers are as typed: the job resolves them in `layers.activation`'s convention.
    public init(images: TransferImageOptions, layers: LayerOptions, loss: LossWeightOptions,
                optimiser: OptimiserOptions, engine: EngineOptions) throws {
        self.init()
        loss.apply(to: &self)
        optimiser.apply(to: &self)
        engine.apply(to: &self)
        self.size = images.size
        self.maxEvaluations = images.iterations
        self.contentLayers = commaList(layers.contentLayers)
        self.styleLayers = commaList(layers.styleLayers)
        self.styleLayerWeights = try layers.styleLayerWeights.map { try commaNumbers($0, flag: "--style-layer-weights") }
        self.styleBlendWeights = try images.styleBlendWeights.map { try commaNumbers($0, flag: "--style-blend-weights") }
    }

    /// The options `nst experiment style-depth`'s flags give: its own β default
    /// (`StyleDepthExperiment.defaultStyleWeight`), size and budget; the layers are the
    /// experiment's (`StyleDepthJob`).
    public init(experiment: StyleDepthOptions, loss: LossWeightOptions, optimiser: OptimiserOptions, engine: EngineOptions) {
        self.init()
        self.styleWeight = StyleDepthExperiment.defaultStyleWeight
        loss.apply(to: &self)
        optimiser.apply(to: &self)
        engine.apply(to: &self)
        self.size = experiment.runSize
        self.maxEvaluations = experiment.runIterations
    }
}

extension StyleDepthOptions {
    /// The output folder: --output, its former name, or the default for the kind of run in
    /// nst's per-user data folder (`dataFolder`: `UserDataFolder.url`).
    public func outputFolder(dataFolder: URL) -> URL {
        if let given = output ?? outputDir { return URL(fileURLWithPath: given, isDirectory: true) }
        return StyleDepthExperiment.defaultOutputFolder(dataFolder: dataFolder, grid: grid)
    }

    /// The two images: the files given, or the ones built into nst.
    public var contentInput: ImageInput { content.map(ImageInput.file) ?? StyleDepthExperiment.defaultContent }
    public var styleInput: ImageInput { style.map(ImageInput.file) ?? StyleDepthExperiment.defaultStyle }
}

/// Coarse to fine: `--scales` and `--scale-evaluations` (`ScaleSchedule`), the same in
/// `transfer` and the experiment.
public struct ScaleOptions: ParsableArguments {
    public init() {}

    /// Read as text so a malformed value (even -1) gets this flag's own one-line error.
    @Option(parsing: .unconditional, help: ArgumentHelp("Coarse to fine: optimise at n sizes growing by √2 up to --size (the smallest is --size/√2^(n−1)), each starting from the previous result upsampled; 1 (the default) is one size. The budget is split equally, the rest to the small scales (e.g. --scales 3 --iterations 250 at 384 px: 192 px × 84, 272 px × 83, 384 px × 83).",
                               valueName: "n"))
    public var scales: String = "1"

    @Option(name: .customLong("scale-evaluations"),
            help: ArgumentHelp("With --scales n: n comma-separated evaluation counts, smallest size first (e.g. 100,50,100); their sum replaces --iterations.",
                               valueName: "counts"))
    public var scaleEvaluations: String?

    public static let maximumScales = 8

    /// --scales as a number (validated).
    public var count: Int { Int(scales.trimmingCharacters(in: .whitespaces)) ?? 1 }

    public func validate() throws {
        guard let n = Int(scales.trimmingCharacters(in: .whitespaces)), n >= 1, n <= Self.maximumScales else {
            throw ValidationError("--scales: '\(scales)' is not a whole number from 1 to \(Self.maximumScales) (use e.g. --scales 3; 1 is a single size).")
        }
        if let scaleEvaluations {
            let items = commaList(scaleEvaluations)
            let counts = items.compactMap { Int($0) }.filter { $0 >= 1 }
            guard counts.count == items.count, counts.count == n else {
                throw ValidationError("--scale-evaluations: '\(scaleEvaluations)' must be \(n) whole numbers ≥ 1, one per scale of --scales \(n), smallest size first (e.g. \(Array(repeating: "50", count: n).joined(separator: ","))).")
            }
        }
    }

    /// The schedule for a run of `size` pixels and `iterations` evaluations; nil for one scale
    /// without --scale-evaluations (today's single run). Throws when the budget or the
    /// smallest size is too small.
    public func schedule(size: Int, iterations: Int) throws -> ScaleSchedule? {
        let perScale = scaleEvaluations.map { commaList($0).compactMap { Int($0) } }
        if count == 1 && perScale == nil { return nil }
        guard perScale != nil || iterations >= count else {
            throw ValidationError("--iterations \(iterations) is fewer than one evaluation per scale of --scales \(count): use --iterations \(count) or more.")
        }
        let smallest = ScaleSchedule.sizes(size: size, count: count)[0]
        guard smallest >= 16 else {
            throw ValidationError("--scales \(count): the smallest size would be \(smallest) px (--size \(size)/√2^\(count - 1)); use fewer --scales or a larger --size.")
        }
        return ScaleSchedule(size: size, count: count, total: iterations, perScale: perScale)
    }
}
