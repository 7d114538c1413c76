import Foundation
import NSTFileIO
import NSTImage
import NSTLayers
import NSTStyle
import NSTTensor
import NSTVGG
import NSTWeights

// What `nst transfer` and `nst experiment` share before and around the optimisation: the
// model, checked images, progress values; and the whole of one `nst transfer`.

extension StyleModel {
    /// The model a command names (`model`: a path or an installed name; nil: the installed
    /// default), or with `randomWeights` a VGG16-shaped network with ⅛ of the channels and
    /// random He weights (for tests and timing without a download; its images are not art).
    public static func load(model: String?, randomWeights: Bool, seed: UInt64) throws -> StyleModel {
        if randomWeights {
            let arch = VGGArchitecture.vgg16
            let weights = VGGWeights<Float>.random(architecture: arch, channels: arch.convChannels.map { $0 / 8 }, seed: seed)
            return StyleModel(weights: weights, preprocessing: .caffe, path: "random-weights(seed \(seed), channels/8)", sha256: "")
        }
        let url = try ModelStore.resolve(model)
        let (weights, info) = try VGGWeights<Float>.load(url)
        return StyleModel(weights: weights, preprocessing: info.preprocessing, path: info.path, sha256: info.sha256)
    }

    /// `styleNetwork` for the images at their run sizes (`StyleImages.prepare`, returned with
    /// it), after checking that every image reaches the deepest of `layers` (each pooling halves
    /// it): an error naming the file instead of the engine's precondition. The model is cut after
    /// the deepest of `layers` first (`truncated(through:)`), so the --normalize-vgg statistics
    /// pass stops there too. `contentFile` / `styleFiles` name the images in errors. With
    /// `smallestSize` (a coarse-to-fine schedule's first scale) the images at that size are
    /// checked instead.
    public func checkedStyleNetwork(options: StyleTransferOptions, content: RGBImage, styles: [RGBImage], layers: [String],
                                    convolution: ConvConfiguration, contentFile: String? = nil,
                                    styleFiles: [String] = [], smallestSize: Int? = nil) throws -> (StyleNetwork<VGG<Float>>, (content: RGBImage, styles: [RGBImage])) {
        let model = truncated(through: layers)
        let (c, s) = StyleImages.prepare(content: content, styles: styles, size: options.size, styleScale: options.styleScale)
        var all = layers
        if options.normalizeVGG, let last = model.architecture.layers.last(where: { $0.kind == .relu && $0.convIndex < model.weights.convs.count }) {
            all.append(last.name)
        }
        var need = 1, deepest = ""
        for l in all { let m = try model.architecture.minimumSide(for: l); if m > need { need = m; deepest = l } }
        let files = [contentFile] + s.indices.map { $0 < styleFiles.count ? styleFiles[$0] : nil }
        let checked = smallestSize.map { StyleImages.prepare(content: content, styles: styles, size: $0, styleScale: options.styleScale) } ?? (content: c, styles: s)
        for (i, (what, image)) in ([("content", checked.content)] + checked.styles.map({ ("style", $0) })).enumerated() where min(image.width, image.height) < need {
            throw CLIError("the \(what) image is too small", file: files[i],
                           why: "it is \(image.width)×\(image.height) at this --size/--style-scale\(smallestSize == nil ? "" : "/--scales") and layer \(deepest) needs at least \(need) pixels on each side",
                           fix: "use a larger --size (or --style-scale)\(smallestSize == nil ? "" : ", fewer --scales"), shallower layers, or a less elongated image", kind: .usage)
        }
        return (model.styleNetwork(options: options, content: c, styles: s, convolution: convolution), (c, s))
    }

    /// What the sidecars record of the model.
    public var sidecarModel: TransferSidecar.Model {
        TransferSidecar.Model(path: path, sha256: sha256, architecture: architecture.rawValue)
    }
}

/// What the caller sees of one run while it goes: `progress` after every evaluation,
/// `finish` once at the end (also when it stops early).
public struct RunObserver {
    public var progress: (StyleProgress) -> Void
    public var finish: () -> Void
    public init(progress: @escaping (StyleProgress) -> Void, finish: @escaping () -> Void = {}) {
        self.progress = progress; self.finish = finish
    }
}

extension RunObserver {
    /// `transfer` watched by this observer (`progress` after every evaluation, `finish` at
    /// the end, also when it throws) and stopped by `shouldStop`.
    func run(network: StyleNetwork<VGG<Float>>, content: RGBImage, styles: [RGBImage], options: StyleTransferOptions,
             features: ImageFeatures<Float>? = nil, startImage: RGBImage? = nil, shouldStop: @escaping () -> Bool, saveEvery: Int = 0,
             intermediate: @escaping (Int, RGBImage) -> Void = { _, _ in }) throws -> StyleTransferResult {
        defer { finish() }
        var callbacks = TransferCallbacks()
        callbacks.progress = progress
        callbacks.shouldStop = shouldStop
        callbacks.saveEvery = saveEvery
        callbacks.intermediate = intermediate
        return try transfer(network: network, content: content, styles: styles, options: options, features: features,
                            startImage: startImage, callbacks: callbacks)
    }
}

extension MemoryEstimate {
    /// Refuses a run whose estimated peak memory exceeds what the machine has available,
    /// before any of it is allocated.
    /// `available`: the bytes the machine has (`AvailableMemory.bytes()`); nil checks nothing.
    public static func check(content: RGBImage, size: Int, randomWeights: Bool, file: String, available: Double?) throws {
        guard let available else { return }
        let long = max(content.width, content.height), short = min(content.width, content.height)
        let w = size, h = max(1, Int((Double(size) * Double(short) / Double(long)).rounded()))
        let fraction = randomWeights ? 1.0 / 8 : 1
        let need = peakBytes(width: w, height: h, channelFraction: fraction)
        guard need > available else { return }
        let fits = largestSide(fitting: available, aspect: Double(short) / Double(long), channelFraction: fraction)
        throw CLIError("not enough memory for --size \(size)", file: file,
                       why: "a \(w)×\(h) run needs about \(describe(need)) and \(describe(available)) is available",
                       fix: AvailableMemory.addressSpaceRoom().map { $0 <= available } == true
                        ? "raise the address-space limit (ulimit -v)" + (fits.map { " or use --size \($0) or less" } ?? "")
                        : fits.map { "use --size \($0) or less, or free some memory" } ?? "free some memory")
    }
}

extension StyleProgress {
    /// The values shown after every evaluation: the weighted total and terms of the lowest
    /// loss so far (`best`), never a rejected line-search trial's.
    public func displayValues(_ o: StyleTransferOptions) -> [(String, Double)] {
        let content = o.contentWeight * best.contentSum, tv = o.tvWeight * best.tv
        return [("loss", best.total), ("content", content), ("style", best.total - content - tv), ("tv", tv)]
    }
}

/// One `nst transfer`: reads the images, loads the model, runs the optimisation with
/// progress, and writes the image and its sidecar together (`OutputTransaction`: both or
/// neither, never over an input). Interrupted after the first evaluation, it writes the
/// image it has; before, nothing.
public struct StyleTransferJob {
    public var content: String
    public var styles: [String]
    /// A .png path; the sidecar goes beside it (out.png → out.json).
    public var output: String
    /// Layer names as typed; they are resolved against the model in `activation`'s convention.
    public var options: StyleTransferOptions
    public var activation: ActivationKind
    /// How the network's convolutions compute (the CLI's engine environment).
    public var convolution: ConvConfiguration
    /// The bytes the machine has for the run (`AvailableMemory.bytes()`); nil checks nothing.
    public var availableMemory: Double?
    public var model: String?
    public var randomWeights = false
    /// Also write `<output>_<N>.png` every `saveEvery` evaluations (0: never).
    public var saveEvery = 0
    /// Recorded in the sidecar.
    public var command: [String]
    /// Coarse to fine (`ScaleSchedule`); nil: one scale at `options.size` with
    /// `options.maxEvaluations`. Its last size must be `options.size` and its total the budget.
    public var schedule: ScaleSchedule? = nil

    public init(content: String, styles: [String], output: String, options: StyleTransferOptions, activation: ActivationKind = .relu,
                convolution: ConvConfiguration = ConvConfiguration(), availableMemory: Double?, model: String?,
                randomWeights: Bool, saveEvery: Int, command: [String]) {
        self.content = content; self.styles = styles; self.output = output; self.options = options
        self.activation = activation; self.convolution = convolution; self.availableMemory = availableMemory
        self.model = model; self.randomWeights = randomWeights; self.saveEvery = saveEvery; self.command = command
    }

    /// How the caller watches and stops the run.
    public struct Hooks {
        /// True once a stop was requested (SIGINT/SIGTERM).
        public var shouldStop: () -> Bool
        /// Called at each point before the first evaluation where a requested stop takes
        /// effect, with the outputs left unchanged; it throws to end the job.
        public var stopBeforeRun: ([String]) throws -> Void
        /// The progress of the run (total evaluations, label).
        public var observe: (Int, String) -> RunObserver
        /// Called once everything is prepared, just before the first evaluation.
        public var beforeRun: () -> Void
        /// Told each failure that does not end the run (an intermediate image not written).
        public var warn: (String) -> Void
        public init(shouldStop: @escaping () -> Bool, stopBeforeRun: @escaping ([String]) throws -> Void,
                    observe: @escaping (Int, String) -> RunObserver, beforeRun: @escaping () -> Void = {},
                    warn: @escaping (String) -> Void = { _ = StandardStreams.writeError("nst: warning: \($0)\n") }) {
            self.shouldStop = shouldStop; self.stopBeforeRun = stopBeforeRun; self.observe = observe; self.beforeRun = beforeRun
            self.warn = warn
        }
    }

    public struct Outcome {
        public var result: StyleTransferResult
        public var sidecarPath: String
        /// "wrote out.png (W×H) and out.json: loss a → b in N evaluations, T s (reason)"
        public var summary: String
    }

    public func run(_ hooks: Hooks) throws -> Outcome {
        var options = options
        let outputURL = URL(fileURLWithPath: output)
        let sidecarPath = TransferSidecar.url(forImage: outputURL).relativePath
        // The plan: every file written (image, sidecar, each intermediate) is checked against
        // every file read (the images and the weight file) and against the file system's name
        // limits before any work.
        let intermediatePath = { (n: Int) in "\(outputURL.deletingPathExtension().path)_\(n).png" }
        let intermediates = saveEvery > 0 && options.maxEvaluations >= saveEvery
            ? stride(from: saveEvery, through: options.maxEvaluations, by: saveEvery).map(intermediatePath) : []
        let modelFile = randomWeights ? nil : (try? ModelStore.resolve(model))?.path
        let outputs = OutputTransaction(inputs: [content] + styles + (modelFile.map { [$0] } ?? []))
        try outputs.checkTargets([output, sidecarPath] + intermediates)

        let started = Date()
        let contentImage = try ImageIO.read(content, flag: "--content")
        let styleImages = try styles.map { try ImageIO.read($0, flag: "--style") }
        try MemoryEstimate.check(content: contentImage, size: options.size, randomWeights: randomWeights, file: content,
                                 available: availableMemory)
        try outputs.prepareTargets([output, sidecarPath] + intermediates)
        let stopped = { if hooks.shouldStop() { try hooks.stopBeforeRun([output, sidecarPath]) } }
        try stopped()
        let model = try StyleModel.load(model: model, randomWeights: randomWeights, seed: options.seed)
        try stopped()
        options.contentLayers = try model.resolve(options.contentLayers, activation: activation)
        options.styleLayers = try model.resolve(options.styleLayers, activation: activation)
        let (network, images) = try model.checkedStyleNetwork(options: options, content: contentImage, styles: styleImages,
                                                               layers: options.contentLayers + options.styleLayers,
                                                               convolution: convolution, contentFile: content, styleFiles: styles,
                                                               smallestSize: schedule.map { $0.scales[0].size })
        try stopped()
        hooks.beforeRun()
        let plan = schedule ?? .single(size: options.size, evaluations: options.maxEvaluations)
        let result = try plan.run(
            network: network, inputs: plan.inputs(content: contentImage, styles: styleImages, prepared: images, styleScale: options.styleScale),
            options: options,
            observe: { _, scale in hooks.observe(plan.totalEvaluations, "transfer" + scale) }, shouldStop: hooks.shouldStop,
            saveEvery: saveEvery, intermediate: { n, image in
                do { try ImageIO.writePNG(image, to: URL(fileURLWithPath: intermediatePath(n))) } catch {
                    hooks.warn("the intermediate image after \(n) evaluations was not written: \(error)")
                }
            })

        if result.evaluations == 0 { try stopped() }
        var sidecar = TransferSidecar(command: command, content: content, styles: styles, output: output,
                                      options: options, model: model.sidecarModel, result: result, started: started)
        sidecar.schedule = plan.isSingle ? nil : plan.scales
        let png = try ImageIO.encodePNG(result.image, path: output)
        sidecar.imageSHA256 = SHA256.hex(Data(png))
        try outputs.stage(png, at: output)
        try outputs.stage(try JSONOutput.fileBytes(sidecar), at: sidecarPath)
        try outputs.commit()
        let losses = result.curve.isEmpty ? "no evaluation done"
            : "loss \(String(format: "%.4g", result.curve[0].total)) → \(String(format: "%.4g", result.best.total)) in \(result.evaluations) evaluations"
        let summary = "wrote \(CLIError.escaped(output)) (\(result.image.width)×\(result.image.height)) and \(CLIError.escaped(sidecarPath)): "
            + "\(losses), \(String(format: "%.1f", result.seconds)) s (\(result.stopReason.rawValue))"
        return Outcome(result: result, sidecarPath: sidecarPath, summary: summary)
    }
}
