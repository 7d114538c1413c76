import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
import NSTStyle
import NSTTerminal
import NSTVGG
import NSTWeights

/// Options shared by `nst transfer` and `nst experiment style-depth`: everything about the
/// optimisation except the images, the layers and the output.
struct StyleTuningOptions: ParsableArguments {
    @Option(name: .customLong("content-weight"), help: "α: weight of the content loss ½Σ(F−P)².")
    var contentWeight: Double = StyleTransferOptions().contentWeight

    /// nil: the command's own default (`transfer`: StyleTransferOptions's; the experiment: its own).
    @Option(name: .customLong("style-weight"),
            help: ArgumentHelp("β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: \(powerOfTen(StyleTransferOptions().styleWeight)) for transfer, \(powerOfTen(StyleDepthExperiment.defaultStyleWeight)) for the experiment).",
                               valueName: "β"))
    var styleWeight: Double?

    @Option(name: .customLong("tv-weight"), help: "Weight of the total-variation (smoothness) loss; 0 turns it off.")
    var tvWeight: Double = StyleTransferOptions().tvWeight

    @Option(name: .customLong("init"), help: "Start from the content image, white noise (from --seed) or the style image.")
    var initMode: InitMode = StyleTransferOptions().initMode

    @Option(help: "lbfgs (quasi-Newton, Armijo line search) or adam.")
    var optimizer: OptimizerKind = StyleTransferOptions().optimizer

    @Option(name: .customLong("learning-rate"),
            help: ArgumentHelp("Step size: L-BFGS's trial step (default 1) or Adam's per-pixel step in the model's input units (default 10 for 0–255 models).",
                               valueName: "rate"))
    var learningRate: Double?

    @Option(name: .customLong("lbfgs-history"), help: "L-BFGS history size m (curvature pairs kept).")
    var lbfgsHistory: Int = StyleTransferOptions().lbfgsHistory

    @Option(name: .customLong("line-search"), help: "L-BFGS step rule: armijo (backtracking, loss never rises) or none (fixed step, as jcjohnson's default).")
    var lineSearch: LineSearch = StyleTransferOptions().lineSearch

    @Option(help: "Pooling in VGG: max (as trained) or avg (Gatys et al.'s choice; smoother, so runs that differ only in rounding stay closer).")
    var pooling: Pooling = StyleTransferOptions().pooling

    @Option(name: .customLong("style-scale"), help: "Style images are resized to this times --size (longest side).")
    var styleScale: Double = StyleTransferOptions().styleScale

    @Flag(name: .customLong("original-colors"), help: "Keep the content's colours: transfer luminance only (YIQ).")
    var originalColors = false

    @Option(help: "Seed of the random number generator (noise init, --random-weights).")
    var seed: UInt64 = StyleTransferOptions().seed

    @Flag(name: .customLong("normalize-vgg"), inversion: .prefixedNo,
          help: "Gatys' normalised VGG: rescale each conv layer so every filter's mean activation over this run's content and style images is 1 (same network up to per-channel scale). Changes the loss scale: β ≈ 1e5 with it, ≈ 1 without.")
    var normalizeVGG = StyleTransferOptions().normalizeVGG

    @Option(name: .customLong("normalize-floor"),
            help: "With --normalize-vgg: divide each filter by max(its mean, this × the layer's average mean), so filters that barely fire on these images are not amplified more than 1/this.")
    var normalizeFloor: Double = StyleTransferOptions().normalizeFloor

    @Flag(name: .customLong("normalize-gradients"),
          help: "jcjohnson's per-layer gradient normalisation: divide each layer's gradient by its L1 norm (forces --line-search none).")
    var normalizeGradients = false

    @Option(name: .customLong("print-every"), help: "Without a terminal: print a progress line every N evaluations (0 = only the last).")
    var printEvery: Int = 10

    @Option(help: "Model: a .safetensors path or an installed model's name (default: the installed vgg16).")
    var model: String?

    @Flag(name: .customLong("random-weights"), help: .hidden)
    var randomWeights = false

    @OptionGroup var engine: PrecisionOptions

    func validate() throws {
        for (name, v) in [("--content-weight", contentWeight), ("--style-weight", styleWeight ?? 0), ("--tv-weight", tvWeight)] {
            guard v.isFinite && v >= 0 else { throw ValidationError("\(name) must be a finite number ≥ 0 (got \(v)).") }
        }
        if let learningRate { guard learningRate.isFinite && learningRate > 0 else { throw ValidationError("--learning-rate must be > 0 (got \(learningRate)).") } }
        guard lbfgsHistory >= 1 && lbfgsHistory <= 1000 else { throw ValidationError("--lbfgs-history must be between 1 and 1000 (got \(lbfgsHistory)).") }
        guard styleScale.isFinite && styleScale > 0 && styleScale <= 8 else { throw ValidationError("--style-scale must be in (0, 8] (got \(styleScale)).") }
        guard normalizeFloor.isFinite && normalizeFloor >= 0 && normalizeFloor <= 1 else { throw ValidationError("--normalize-floor must be in [0, 1] (got \(normalizeFloor)).") }
        guard printEvery >= 0 else { throw ValidationError("--print-every must be ≥ 0.") }
    }

    /// Copies these options into the engine's options.
    func apply(to o: inout StyleTransferOptions) {
        o.contentWeight = contentWeight
        if let styleWeight { o.styleWeight = styleWeight }
        o.tvWeight = tvWeight
        o.initMode = initMode
        o.optimizer = optimizer
        o.learningRate = learningRate
        o.lbfgsHistory = lbfgsHistory
        o.lineSearch = lineSearch
        o.pooling = pooling
        o.styleScale = styleScale
        o.originalColors = originalColors
        o.seed = seed
        o.normalizeVGG = normalizeVGG
        o.normalizeGradients = normalizeGradients
        o.normalizeFloor = normalizeFloor
        o.precision = engine.effective { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
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

struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Restyle an image (Gatys et al. 2015) on the CPU.",
        discussion: """
        Minimises, over the image x, through VGG:
          α·Σ ½Σ(F−P)²  +  β·Σ_l w_l·Σ(G−A)²/(4N²M²)  +  tv·TV(x)
        The content loss ½Σ(F−P)² and the style loss E_l = Σ(G−A)²/(4N²M²)
        (G = FFᵀ) are exactly the quiz's. Other implementations normalise
        differently (jcjohnson divides the Gram matrix by N·M, Keras uses other
        scales), so their α/β values do not carry over: tune them here.

        Progress goes to stderr: a bar on a terminal, otherwise one parseable
        line every --print-every evaluations. Ctrl-C (or SIGTERM) writes the
        current image and its sidecar, then exits (status 130/143); before the
        first evaluation it writes nothing. The image and out.json change
        together (docs/robustness.md), and never over an input. out.json
        records every option, the seed, the model and its SHA-256, the loss
        curve, the time and the image's SHA-256.

        Examples:
          nst transfer --content turtle.jpg --style wave.jpg -o out.png
          nst transfer --content c.jpg --style a.jpg --style b.jpg \\
            --style-blend-weights 3,1
          nst transfer --content c.jpg --style s.jpg --original-colors
          nst transfer --content c.jpg --style s.jpg --optimizer adam \\
            --learning-rate 5 --iterations 500
        """
    )

    @Option(help: "Content image (PNG or JPEG).")
    var content: String

    @Option(help: "Style image; repeat for several (blended, see --style-blend-weights).")
    var style: [String]

    @Option(name: .shortAndLong, help: "Output PNG; the sidecar goes beside it (out.png → out.json).")
    var output: String = "out.png"

    @Option(name: .customLong("content-layers"), help: "Comma-separated content layers (relu4_2 = after the ReLU, conv4_2 = before; Keras block4_conv2 means relu4_2, its output being rectified).")
    var contentLayers: String = StyleTransferOptions().contentLayers.joined(separator: ",")

    @Option(name: .customLong("style-layers"), help: "Comma-separated style layers.")
    var styleLayers: String = StyleTransferOptions().styleLayers.joined(separator: ",")

    @Option(name: .customLong("style-layer-weights"), help: ArgumentHelp("w_l, comma-separated, one per style layer (default: 1 each).", valueName: "weights"))
    var styleLayerWeights: String?

    @Option(name: .customLong("style-blend-weights"), help: ArgumentHelp("One weight per --style image; normalised to sum 1 (default: equal).", valueName: "weights"))
    var styleBlendWeights: String?

    @Option(help: "Longest side of the output image, in pixels.")
    var size: Int = StyleTransferOptions().size

    @Option(help: "Budget in loss+gradient evaluations (one VGG forward+backward each).")
    var iterations: Int = StyleTransferOptions().iterations

    @Option(name: .customLong("save-every"), help: "Also write out_<N>.png every N evaluations (0 = never).")
    var saveEvery: Int = 0

    @OptionGroup var tuning: StyleTuningOptions

    func validate() throws {
        try validateSizeAndIterations(size: size, iterations: iterations)
        guard !style.isEmpty else { throw ValidationError("give at least one --style image.") }
        guard !commaList(contentLayers).isEmpty else { throw ValidationError("--content-layers is empty.") }
        guard !commaList(styleLayers).isEmpty else { throw ValidationError("--style-layers is empty.") }
        if let w = styleLayerWeights {
            let n = try commaNumbers(w, flag: "--style-layer-weights").count
            let l = commaList(styleLayers).count
            guard n == l else { throw ValidationError("--style-layer-weights has \(n) values for \(l) style layers.") }
        }
        if let w = styleBlendWeights {
            let v = try commaNumbers(w, flag: "--style-blend-weights")
            guard v.count == style.count else { throw ValidationError("--style-blend-weights has \(v.count) values for \(style.count) --style images.") }
            guard v.reduce(0, +) > 0 else { throw ValidationError("--style-blend-weights must not all be 0.") }
        }
        guard saveEvery >= 0 else { throw ValidationError("--save-every must be ≥ 0.") }
        guard output.lowercased().hasSuffix(".png") else { throw ValidationError("--output must end in .png (got \(output)).") }
    }

    func run() throws {
        // From here on a first Ctrl-C only sets a flag: before the first evaluation the run
        // then writes nothing, after it the current image.
        StopSignal.install()
        var options = StyleTransferOptions()
        tuning.apply(to: &options)
        options.size = size
        options.iterations = iterations
        options.contentLayers = commaList(contentLayers)
        options.styleLayers = commaList(styleLayers)
        options.styleLayerWeights = try styleLayerWeights.map { try commaNumbers($0, flag: "--style-layer-weights") }
        options.styleBlendWeights = try styleBlendWeights.map { try commaNumbers($0, flag: "--style-blend-weights") }

        // The image and its sidecar change together, and never over an input.
        let outputURL = URL(fileURLWithPath: output)
        let sidecarPath = TransferSidecar.url(forImage: outputURL).relativePath
        let outputs = OutputTransaction(inputs: [content] + style)
        try outputs.checkTargets([output, sidecarPath])

        let started = Date()
        let contentImage = try StyleEngineCLI.readImage(content, flag: "--content")
        let styleImages = try style.map { try StyleEngineCLI.readImage($0, flag: "--style") }
        try StyleEngineCLI.checkMemory(content: contentImage, size: size, randomWeights: tuning.randomWeights, file: content)
        try outputs.prepareTargets([output, sidecarPath])
        let stopped = { try StyleEngineCLI.stopIfRequested(unchanged: [output, sidecarPath]) }
        try stopped()
        let model = try StyleEngineCLI.load(model: tuning.model, randomWeights: tuning.randomWeights, seed: tuning.seed)
        try stopped()
        options.contentLayers = try model.resolve(options.contentLayers)
        options.styleLayers = try model.resolve(options.styleLayers)
        let prepared = try StyleEngineCLI.prepare(model, options: options, content: contentImage, styles: styleImages,
                                                  layers: options.contentLayers + options.styleLayers,
                                                  contentFile: content, styleFiles: style)
        try stopped()
        StyleEngineCLI.holdForTests()
        let result = try StyleEngineCLI.runTransfer(
            prepared: prepared, options: options, label: "transfer",
            printEvery: tuning.printEvery, saveEvery: saveEvery,
            intermediate: { n, image in
                let path = outputURL.deletingPathExtension().path
                try? ImageIO.writePNG(image, to: URL(fileURLWithPath: "\(path)_\(n).png"))
            })

        if result.evaluations == 0 { try stopped() }
        var sidecar = TransferSidecar(command: CommandLine.arguments, content: content, styles: style, output: output,
                                      options: options, model: StyleEngineCLI.sidecarModel(model), result: result, started: started)
        let png = try ImageIO.encodePNG(result.image, path: output)
        sidecar.imageSHA256 = SHA256.hex(Data(png))
        try outputs.stage(png, at: output)
        try outputs.stage(try JSONOutput.fileBytes(sidecar), at: sidecarPath)
        try outputs.commit()
        let losses = result.curve.isEmpty ? "no evaluation done"
            : "loss \(String(format: "%.4g", result.curve[0].total)) → \(String(format: "%.4g", result.best.total)) in \(result.evaluations) evaluations"
        StandardStreams.writeError("""
            wrote \(CLIError.escaped(output)) (\(result.image.width)×\(result.image.height)) and \(CLIError.escaped(sidecarPath)): \(losses), \
            \(String(format: "%.1f", result.seconds)) s (\(result.stopReason.rawValue))\n
            """)
        if StopSignal.requested { throw ExitCode(StopSignal.exitStatus) }
    }
}
