import Foundation
import NSTFileIO
import NSTImage
import NSTStyle
import NSTTensor
import NSTVGG
import NSTWeights

/// Which map of each named layer a command uses (`--activation`). nst names layers as the
/// network does everywhere it writes: reluB_I is the rectified output, convB_I the map before
/// the ReLU. Gatys et al. call the rectified outputs conv1_1 … (their Caffe blobs; Keras'
/// block4_conv1 is the same map), so the paper's spelling is accepted as typed: with `.relu`
/// (the default) a typed conv4_1 means relu4_1, with `.conv` a typed relu4_1 means conv4_1.
public enum ActivationKind: String, Codable, Sendable, CaseIterable {
    /// The rectified outputs (relu4_1; typed conv4_1 too, the paper's naming).
    case relu
    /// The convolutions' outputs before the ReLU (conv4_1; typed relu4_1 too).
    case conv

    /// The network's name of the map a typed `name` means: conv4_1 → relu4_1 with `.relu`,
    /// relu4_1 → conv4_1 with `.conv`; any other name (pool3, block4_conv1) unchanged.
    public func networkName(_ name: String) -> String {
        let s = name.trimmingCharacters(in: .whitespaces)
        let (from, to) = self == .relu ? ("conv", "relu") : ("relu", "conv")
        return s.lowercased().hasPrefix(from) ? to + s.dropFirst(4) : name
    }
}

extension StyleModel {
    /// The network's names of layers typed in `activation`'s convention (conv4_2 → relu4_2
    /// under `.relu`; Keras names too); an unknown layer's error names it as typed.
    public func resolve(_ names: [String], activation: ActivationKind) throws -> [String] {
        try names.map { name in
            do { return try architecture.resolve(activation.networkName(name)) }
            catch VGGError.unknownLayer(_, let architecture, let valid) { throw VGGError.unknownLayer(name, architecture: architecture, valid: valid) }
        }
    }
}

/// The quiz's question 12 as one library call: restyle the content image twice with the
/// same settings, once matching the style at the first 3 style layers and once at all 5,
/// then score both images — and the unstyled photograph — with the same network at all five
/// layers.
///
///  1. x₀ = the content image (or noise, per `options.initMode`).
///  2. For L ∈ {relu1_1…relu3_1, relu1_1…relu5_1}: `transfer` minimises
///     α·½Σ(F−P)² + β·Σ_{l∈L} E_l over the image, with E_l = Σ(G−A)²/(4N²M²).
///  3. Score the photograph and both results: E_l at every one of the five layers.
///
/// Layers are named as the network names them (relu4_1: the rectified output, which the
/// paper calls conv4_1) everywhere the experiment reports.
public struct StyleDepthExperiment {
    /// The five style layers as typed (the paper's conv1_1 … conv5_1), read in `--activation`'s
    /// convention: relu1_1 … relu5_1 by default.
    public static let typedStyleLayers = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    /// β of both runs unless asked otherwise (with the normalised network, α = 1, content
    /// relu5_2, 250 evaluations at 384 px): where, measured over β = 1e5…1e8, both images
    /// are clearly restyled, the turtle stays easy to recognise, and the 5-layer image shows
    /// crests and swirls the 3-layer one lacks (docs/measurements/2026-12-02-style-depth-sweep.md).
    public static let defaultStyleWeight = 1e7
    /// The images the experiment restyles unless given others: built into nst
    /// (`ExampleImage`), so the experiment runs from any folder.
    public static let defaultContent = ImageInput.builtIn(.seaTurtle)
    public static let defaultStyle = ImageInput.builtIn(.greatWave)
    /// Where the experiment writes unless told otherwise: `style-depth` (or `style-grid`)
    /// in nst's per-user data folder (`UserDataFolder`), where question 12 looks first.
    public static func defaultOutputFolder(dataFolder: URL, grid: Bool) -> URL {
        dataFolder.appendingPathComponent(grid ? "style-grid" : "style-depth", isDirectory: true)
    }
    public static let credits = "Sea turtle: photograph by P. Lindgren, CC BY-SA 3.0 (Wikimedia Commons). The Great Wave off Kanagawa: Katsushika Hokusai, public domain."

    /// The two runs: how many of the five style layers each matches.
    public enum Depth: Int, CaseIterable, Sendable, Comparable {
        case three = 3, five = 5
        public static func < (a: Depth, b: Depth) -> Bool { a.rawValue < b.rawValue }
        /// "3" or "5": the key in metrics.json and the file names.
        public var key: String { String(rawValue) }
        public var title: String { self == .three ? "first 3 style layers" : "all 5 style layers" }
    }

    /// The runs' network (built once for both runs: `StyleModel.styleNetwork`).
    public let network: StyleNetwork<VGG<Float>>
    /// The images at their run sizes (`StyleImages.prepare`).
    public let content: RGBImage
    public let style: RGBImage
    /// Everything but the layers; both runs use exactly these.
    public let options: StyleTransferOptions
    /// The network's names of the five style layers and of the content layer.
    public let styleLayers: [String]
    public let contentLayer: String
    /// Both runs' coarse-to-fine schedule (`ScaleSchedule`); one scale by default.
    public let schedule: ScaleSchedule
    /// The images as read, which the schedule's smaller scales are resized from.
    let source: (content: RGBImage, style: RGBImage)

    /// The network names the experiment uses: the content layer and the five style layers.
    public struct Layers: Sendable {
        public var content: String
        public var style: [String]
        /// Every layer the network must reach.
        public var all: [String] { [content] + style }
    }

    /// `contentLayer` as typed (conv5_2, relu5_2 or Keras' block5_conv2) and the five style
    /// layers, in `activation`'s convention. Throws the architecture's error (listing the valid
    /// names) for an unknown layer.
    public static func layers(of model: StyleModel, contentLayer: String, activation: ActivationKind) throws -> Layers {
        Layers(content: try model.resolve([contentLayer], activation: activation)[0],
               style: try model.resolve(typedStyleLayers, activation: activation))
    }

    /// `schedule` nil: one scale at `options.size` with `options.maxEvaluations`. With a
    /// schedule of several scales, `source` gives the images as read (default: `content`
    /// and `style`).
    public init(network: StyleNetwork<VGG<Float>>, content: RGBImage, style: RGBImage, options: StyleTransferOptions, layers: Layers,
                schedule: ScaleSchedule? = nil, source: (content: RGBImage, style: RGBImage)? = nil) {
        self.schedule = schedule ?? .single(size: options.size, evaluations: options.maxEvaluations)
        self.source = source ?? (content, style)
        self.network = network
        self.content = content
        self.style = style
        self.options = options
        self.contentLayer = layers.content
        self.styleLayers = layers.style
    }

    /// The options of one run: the base options with the first `depth` style layers.
    public func options(for depth: Depth) -> StyleTransferOptions {
        var o = options
        o.contentLayers = [contentLayer]
        o.styleLayers = Array(styleLayers.prefix(depth.rawValue))
        o.styleLayerWeights = nil
        return o
    }

    /// One finished run.
    public struct RunOutcome: Sendable {
        public var depth: Depth
        public var options: StyleTransferOptions
        public var result: StyleTransferResult
    }

    /// Both runs, their scores, and the photograph's.
    public struct Outcome: Sendable {
        public var runs: [RunOutcome]
        public var metrics: StyleDepthMetrics
        public func run(_ depth: Depth) -> RunOutcome { runs.first { $0.depth == depth }! }
    }

    /// Both runs, then the scores; nil when `shouldStop` stopped a run. `observe(depth,
    /// options, scale)` watches each run at each scale (`scale`: `ScaleSchedule.label`, ""
    /// for one scale); its progress counts the run's evaluations over all scales.
    public func run(observe: (Depth, StyleTransferOptions, String) -> RunObserver,
                    shouldStop: @escaping () -> Bool = { false }) throws -> Outcome? {
        let started = Date()
        // One forward pass per image and scale for both runs (and, at the last, the scoring).
        func featuresOf(_ content: RGBImage, _ styles: [RGBImage]) -> ImageFeatures<Float> {
            network.features(content: content, styles: styles, contentLayers: [contentLayer], styleLayers: styleLayers)
        }
        let features = featuresOf(content, [style])
        let inputs = schedule.inputs(content: source.content, styles: [source.style], prepared: (content, [style]),
                                     styleScale: options.styleScale, features: features, featuresOf: featuresOf)
        var runs: [RunOutcome] = []
        for depth in Depth.allCases {
            let o = options(for: depth)
            let result = try schedule.run(network: network, inputs: inputs, options: o,
                                          observe: { _, scale in observe(depth, o, scale) }, shouldStop: shouldStop)
            if result.stopReason == .interrupted { return nil }
            runs.append(RunOutcome(depth: depth, options: o, result: result))
        }
        return Outcome(runs: runs, metrics: try score(runs, features: features, totalSeconds: Date().timeIntervalSince(started)))
    }

    /// E_l at the five layers (and the content loss) of the photograph and of each run's
    /// image, with the runs' own network. The images are scored as written: quantised to
    /// 8 bits, as the PNGs hold them.
    func score(_ runs: [RunOutcome], features: ImageFeatures<Float>, totalSeconds: Double) throws -> StyleDepthMetrics {
        let scorer = StyleScorer(network: network, features: features, contentLayer: contentLayer, styleLayers: styleLayers)
        var scored: [String: StyleDepthMetrics.Run] = [:]
        for r in runs {
            let terms = try scorer.losses(of: try r.result.image.asWrittenToPNG())
            let curve = zip(r.result.curve, r.result.accepted).enumerated().filter { $0.element.1 }.map { i, point in
                StyleDepthMetrics.Point(evaluation: i + 1, total: point.0.total, styleLoss: point.0.style)
            }
            scored[r.depth.key] = .init(styleLoss: terms.style, contentLoss: terms.content[contentLayer] ?? .nan,
                                        styleLayersUsed: Array(styleLayers.prefix(r.depth.rawValue)),
                                        evaluations: r.result.evaluations, seconds: r.result.seconds, curve: curve)
        }
        let photo = try scorer.losses(of: content)
        return StyleDepthMetrics(
            runs: scored, contentImage: .init(styleLoss: photo.style),
            contentLayer: contentLayer, evaluationLayers: styleLayers,
            normalizeVGG: options.normalizeVGG, size: options.size, width: content.width, height: content.height,
            options: options(for: .five), totalSeconds: totalSeconds, schedule: schedule.isSingle ? nil : schedule.scales)
    }
}

/// Scores images against one content and one style at fixed layers with one network: the
/// targets are built once, here, and each image costs one forward pass (how the experiment and
/// the grid score what they wrote).
public struct StyleScorer {
    let network: StyleNetwork<VGG<Float>>
    let objective: StyleObjective<VGG<Float>>

    /// `features` must cover the layers.
    public init(network: StyleNetwork<VGG<Float>>, features: ImageFeatures<Float>, contentLayer: String, styleLayers: [String]) {
        var o = StyleTransferOptions()
        o.contentLayers = [contentLayer]
        o.styleLayers = styleLayers
        self.network = network
        objective = StyleObjective(network: network.features, features: features, options: o)
    }

    /// The unweighted terms of `image` (at the content's size).
    public func losses(of image: RGBImage) throws -> LossTerms {
        try objective.losses(at: network.encode(image))
    }
}

extension RGBImage {
    /// The image as its PNG file holds it (8 bits per channel): what a reader of the file
    /// scores.
    func asWrittenToPNG() throws -> RGBImage {
        try ImageIO.decode(ImageIO.encodePNG(self), path: "<memory>").image
    }
}

extension StyleDepthExperiment {
    /// Every file the experiment writes into its folder.
    public static let outputNames: Set<String> = [
        "layers-3.png", "layers-3.json", "layers-5.png", "layers-5.json",
        "figure.png", "curves.svg", "metrics.json", "report.html",
    ]

    /// Where the run came from, for the sidecars and metrics.json.
    public struct Provenance: Sendable {
        public var command: [String]
        public var contentPath: String
        public var stylePath: String
        public var model: TransferSidecar.Model
        public var started: Date
        public init(command: [String], contentPath: String, stylePath: String, model: TransferSidecar.Model, started: Date) {
            self.command = command; self.contentPath = contentPath; self.stylePath = stylePath
            self.model = model; self.started = started
        }
    }

    /// The folder's complete new contents (name → bytes), to be written as one set
    /// (`OutputFolder.replace`): both images with their sidecars, figure.png, curves.svg,
    /// metrics.json (with `provenance`) and report.html.
    public func files(of outcome: Outcome, folder: URL, provenance p: Provenance) throws -> [(name: String, bytes: [UInt8])] {
        var files: [(name: String, bytes: [UInt8])] = []
        var metrics = outcome.metrics
        metrics.model = p.model
        metrics.command = p.command.map(shellQuoted).joined(separator: " ")
        for r in outcome.runs {
            let png = "layers-\(r.depth.key).png"
            let pngBytes = try ImageIO.encodePNG(r.result.image, path: png)
            files.append((png, pngBytes))
            var sidecar = TransferSidecar(command: p.command, content: p.contentPath, styles: [p.stylePath],
                                          output: folder.appendingPathComponent(png).path, options: r.options,
                                          model: p.model, result: r.result, started: p.started)
            sidecar.schedule = metrics.schedule
            sidecar.imageSHA256 = SHA256.hex(Data(pngBytes))
            files.append(("layers-\(r.depth.key).json", Array(try JSONOutput.fileBytes(sidecar))))
        }
        let figure = StyleDepthReport.figure(content: content, style: style,
                                             layers3: outcome.run(.three).result.image, layers5: outcome.run(.five).result.image)
        let figurePNG = try ImageIO.encodePNG(figure, path: "figure.png")
        let curves = StyleDepthReport.curves(metrics)
        files.append(("figure.png", figurePNG))
        files.append(("curves.svg", Array(curves.utf8)))
        files.append(("metrics.json", Array(try JSONOutput.fileBytes(metrics))))
        files.append(("report.html", Array(StyleDepthReport.html(metrics: metrics, figurePNG: figurePNG, curvesSVG: curves).utf8)))
        return files
    }
}

/// Quotes an argument for a POSIX shell when it needs it (for the command lines recorded in
/// metrics and reports).
public func shellQuoted(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+")
    return !s.isEmpty && s.allSatisfy(safe.contains) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
