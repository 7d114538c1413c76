import ArgumentParser
import Foundation
import NSTFileIO
import NSTStyle
import NSTTerminal
import NSTVGG

// The option groups `nst transfer` and `nst experiment style-depth` share. Rarely used
// options are hidden from --help and shown by --help-hidden (all of them: docs/cli.md).

/// The three weights of the objective.
struct LossWeightOptions: ParsableArguments {
    @Option(name: .customLong("content-weight"), help: ArgumentHelp("α: weight of the content loss ½Σ(F−P)².", valueName: "α"))
    var contentWeight: Double = StyleTransferOptions().contentWeight

    /// nil: the command's own default (`transfer`: StyleTransferOptions's; the experiment: its own).
    @Option(name: .customLong("style-weight"),
            help: ArgumentHelp("β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: \(powerOfTen(StyleTransferOptions().styleWeight)) for transfer, \(powerOfTen(StyleDepthExperiment.defaultStyleWeight)) for the experiment).",
                               valueName: "β"))
    var styleWeight: Double?

    @Option(name: .customLong("tv-weight"), help: ArgumentHelp("Weight of the total-variation (smoothness) loss; 0 turns it off.", valueName: "w"))
    var tvWeight: Double = StyleTransferOptions().tvWeight

    func validate() throws {
        for (name, v) in [("--content-weight", contentWeight), ("--style-weight", styleWeight ?? 0), ("--tv-weight", tvWeight)] {
            guard v.isFinite && v >= 0 else { throw ValidationError("\(name) must be a finite number ≥ 0 (got \(v)).") }
        }
    }

    func apply(to o: inout StyleTransferOptions) {
        o.contentWeight = contentWeight
        if let styleWeight { o.styleWeight = styleWeight }
        o.tvWeight = tvWeight
    }
}

/// Where the image starts and how it is optimised.
struct OptimiserOptions: ParsableArguments {
    @Option(name: .customLong("init"), help: "Start from the content image, white noise (from --seed) or the style image.")
    var initMode: InitMode = StyleTransferOptions().initMode

    @Option(help: "lbfgs (quasi-Newton, Armijo line search) or adam.")
    var optimizer: OptimizerKind = StyleTransferOptions().optimizer

    @Option(help: "Seed of every random draw (noise init, --random-weights); the same seed gives the same image.")
    var seed: UInt64 = StyleTransferOptions().seed

    @Option(name: .customLong("learning-rate"),
            help: ArgumentHelp("Step size: L-BFGS's trial step (default 1) or Adam's per-pixel step in the model's input units (default 10 for 0–255 models).",
                               valueName: "rate", visibility: .hidden))
    var learningRate: Double?

    @Option(name: .customLong("lbfgs-history"), help: ArgumentHelp("L-BFGS history size m (curvature pairs kept).", visibility: .hidden))
    var lbfgsHistory: Int = StyleTransferOptions().lbfgsHistory

    @Option(name: .customLong("line-search"),
            help: ArgumentHelp("L-BFGS step rule: armijo (backtracking, loss never rises) or none (fixed step, as jcjohnson's default).", visibility: .hidden))
    var lineSearch: LineSearch = StyleTransferOptions().lineSearch

    @Flag(name: .customLong("normalize-gradients"),
          help: ArgumentHelp("jcjohnson's per-layer gradient normalisation: divide each layer's gradient by its L1 norm (forces --line-search none).", visibility: .hidden))
    var normalizeGradients = false

    func validate() throws {
        if let learningRate { guard learningRate.isFinite && learningRate > 0 else { throw ValidationError("--learning-rate must be > 0 (got \(learningRate)).") } }
        guard lbfgsHistory >= 1 && lbfgsHistory <= 1000 else { throw ValidationError("--lbfgs-history must be between 1 and 1000 (got \(lbfgsHistory)).") }
    }

    func apply(to o: inout StyleTransferOptions) {
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
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A .safetensors path or an installed model's name (default: the installed vgg16).", valueName: "model"))
    var model: String?

    @Flag(name: .customLong("original-colors"), help: "Keep the content's colours: transfer luminance only (YIQ).")
    var originalColors = false

    @Option(name: .customLong("print-every"), help: ArgumentHelp("Without a terminal: a progress line every n evaluations (0: only the last).", valueName: "n"))
    var printEvery: Int = 10

    @Option(help: ArgumentHelp("Pooling in VGG: max (as trained) or avg (Gatys et al.'s choice; smoother, so runs that differ only in rounding stay closer).",
                               visibility: .hidden))
    var pooling: Pooling = StyleTransferOptions().pooling

    @Option(name: .customLong("style-scale"), help: ArgumentHelp("Style images are resized to this times --size (longest side).", visibility: .hidden))
    var styleScale: Double = StyleTransferOptions().styleScale

    @Flag(name: .customLong("normalize-vgg"), inversion: .prefixedNo,
          help: ArgumentHelp("Gatys' normalised VGG: rescale each conv layer so every filter's mean activation over this run's content and style images is 1 (same network up to per-channel scale). Changes the loss scale: β ≈ 1e5 with it, ≈ 1 without.",
                             visibility: .hidden))
    var normalizeVGG = StyleTransferOptions().normalizeVGG

    @Option(name: .customLong("normalize-floor"),
            help: ArgumentHelp("With --normalize-vgg: divide each filter by max(its mean, this × the layer's average mean), so filters that barely fire on these images are not amplified more than 1/this.",
                               visibility: .hidden))
    var normalizeFloor: Double = StyleTransferOptions().normalizeFloor

    @Flag(name: .customLong("random-weights"),
          help: ArgumentHelp("Random VGG16-shaped weights with ⅛ of the channels (from --seed), for tests without a model; the images are not art.", visibility: .hidden))
    var randomWeights = false

    func validate() throws {
        guard styleScale.isFinite && styleScale > 0 && styleScale <= 8 else { throw ValidationError("--style-scale must be in (0, 8] (got \(styleScale)).") }
        guard normalizeFloor.isFinite && normalizeFloor >= 0 && normalizeFloor <= 1 else { throw ValidationError("--normalize-floor must be in [0, 1] (got \(normalizeFloor)).") }
        guard printEvery >= 0 else { throw ValidationError("--print-every must be ≥ 0.") }
    }

    func apply(to o: inout StyleTransferOptions) {
        o.originalColors = originalColors
        o.pooling = pooling
        o.styleScale = styleScale
        o.normalizeVGG = normalizeVGG
        o.normalizeFloor = normalizeFloor
    }
}

extension InitMode: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LineSearch: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}

/// --size and --iterations, with defaults per command.
func validateSizeAndIterations(size: Int, iterations: Int) throws {
    guard size >= 16 && size <= 4096 else { throw ValidationError("--size must be between 16 and 4096 pixels (got \(size)).") }
    guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1 (got \(iterations)).") }
}

/// 1e7 for 10 000 000 (a power of ten), the shortest decimal otherwise: how help prints weights.
func powerOfTen(_ v: Double) -> String {
    let e = log10(v)
    return v > 0 && e == e.rounded() ? "1e\(Int(e))" : String(format: "%g", v)
}

/// "a,b, c" → ["a", "b", "c"]
func commaList(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func commaNumbers(_ s: String, flag: String) throws -> [Double] {
    try commaList(s).map { item in
        guard let v = Double(item), v.isFinite, v >= 0 else {
            throw ValidationError("\(flag): '\(item)' is not a number ≥ 0 (expected a comma-separated list such as 1,0.5).")
        }
        return v
    }
}

/// Which layers the losses read.
struct LayerOptions: ParsableArguments {
    @Option(name: .customLong("content-layers"),
            help: ArgumentHelp("Comma-separated content layers (relu4_2 = after the ReLU, conv4_2 = before; Keras block4_conv2 means relu4_2).", valueName: "layers"))
    var contentLayers: String = StyleTransferOptions().contentLayers.joined(separator: ",")

    @Option(name: .customLong("style-layers"), help: ArgumentHelp("Comma-separated style layers.", valueName: "layers"))
    var styleLayers: String = StyleTransferOptions().styleLayers.joined(separator: ",")

    @Option(name: .customLong("style-layer-weights"),
            help: ArgumentHelp("w_l, comma-separated, one per style layer (default: 1 each).", valueName: "weights", visibility: .hidden))
    var styleLayerWeights: String?

    func validate() throws {
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
struct TransferImageOptions: ParsableArguments {
    @Option(help: "Content image (PNG or JPEG).")
    var content: String

    @Option(help: "Style image; repeat for several (blended, see --style-blend-weights).")
    var style: [String]

    @Option(name: .shortAndLong, help: "Output PNG; the sidecar goes beside it (out.png → out.json).")
    var output: String = "out.png"

    @Option(help: ArgumentHelp("Longest side of the output image, in pixels.", valueName: "px"))
    var size: Int = StyleTransferOptions().size

    @Option(help: ArgumentHelp("Optimiser evaluations (one VGG forward+backward each).", valueName: "n"))
    var iterations: Int = StyleTransferOptions().iterations

    @Option(name: .customLong("style-blend-weights"),
            help: ArgumentHelp("One weight per --style image; normalised to sum 1 (default: equal).", valueName: "weights", visibility: .hidden))
    var styleBlendWeights: String?

    @Option(name: .customLong("save-every"), help: ArgumentHelp("Also write out_<N>.png every N evaluations (0 = never).", visibility: .hidden))
    var saveEvery: Int = 0

    func validate() throws {
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

struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Restyle an image (Gatys et al. 2015) on the CPU.",
        discussion: """
        Minimises over the image x, through VGG:
          α·Σ ½Σ(F−P)²  +  β·Σ_l w_l·Σ(G−A)²/(4N²M²)  +  tv·TV(x)
        with the quiz's losses (other implementations scale them differently,
        so their α/β do not carry over). Progress goes to stderr; Ctrl-C writes
        the current image. out.json records every option, the model and the
        loss curve. More options: --help-hidden and docs/cli.md.

        Examples:
          nst transfer --content turtle.jpg --style wave.jpg -o out.png
          nst transfer --content c.jpg --style s.jpg --original-colors
          nst transfer --content c.jpg --style a.jpg --style b.jpg --style-blend-weights 3,1
        """
    )

    @OptionGroup(title: "Images") var images: TransferImageOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions
    @OptionGroup(title: "Loss") var loss: LossWeightOptions
    @OptionGroup(title: "Optimiser") var optimiser: OptimiserOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions

    func run() throws {
        // From here on a first Ctrl-C only sets a flag: before the first evaluation the run
        // then writes nothing, after it the current image.
        StopSignal.install()
        var options = StyleTransferOptions()
        loss.apply(to: &options)
        optimiser.apply(to: &options)
        engine.apply(to: &options)
        options.size = images.size
        options.iterations = images.iterations
        options.contentLayers = commaList(layers.contentLayers)
        options.styleLayers = commaList(layers.styleLayers)
        options.styleLayerWeights = try layers.styleLayerWeights.map { try commaNumbers($0, flag: "--style-layer-weights") }
        options.styleBlendWeights = try images.styleBlendWeights.map { try commaNumbers($0, flag: "--style-blend-weights") }

        let job = StyleTransferJob(content: images.content, styles: images.style, output: images.output, options: options,
                                   model: engine.model, randomWeights: engine.randomWeights, saveEvery: images.saveEvery, command: CommandLine.arguments)
        let outcome = try job.run(StyleEngineCLI.hooks(printEvery: engine.printEvery, options: options))
        StandardStreams.writeError(outcome.summary + "\n")
        if StopSignal.requested { throw ExitCode(StopSignal.exitStatus) }
    }
}
