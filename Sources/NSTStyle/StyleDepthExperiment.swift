import Foundation
import NSTImage
import NSTWeights

/// Which activation a layer name such as conv4_1 means, in every command (`--activation`),
/// sidecar and metrics file. The paper's convention is the default: Gatys et al. name the
/// rectified outputs conv1_1 …, so conv4_1 means relu4_1 (their Caffe blobs; Keras'
/// block4_conv1 is the same map). `reluB_I` is accepted as an explicit name of the rectified
/// output either way.
public enum ActivationKind: String, Codable, Sendable, CaseIterable {
    /// The rectified output (relu4_1): Gatys' Caffe blobs and Keras' block4_conv1 are this.
    case relu
    /// The convolution's output before the ReLU.
    case conv

    /// The network's own name of the map `name` means: conv4_1 → relu4_1 with `.relu`;
    /// any other name (relu4_1, pool3, block4_conv1) unchanged.
    public func blob(_ name: String) -> String {
        let s = name.trimmingCharacters(in: .whitespaces)
        return self == .relu && s.lowercased().hasPrefix("conv") ? "relu" + s.dropFirst(4) : name
    }

    /// The name of network blob `blob` in this convention (the inverse of `blob(_:)`):
    /// relu4_1 → conv4_1 with `.relu`; unchanged with `.conv` (where conv4_1 is the
    /// pre-activation and relu4_1 says the rectified map explicitly).
    public func label(ofBlob blob: String) -> String {
        self == .relu && blob.hasPrefix("relu") ? "conv" + blob.dropFirst(4) : blob
    }
}

/// The quiz's question 12 as one library call: restyle the content image twice with the
/// same settings, once matching the style at the first 3 style layers and once at all 5,
/// then score both images — and the unstyled photograph — with the same network at all five
/// layers.
///
/// The algorithm, top to bottom:
///  1. x₀ = the content image (or noise, per `options.initMode`).
///  2. For L ∈ {conv1_1…conv3_1, conv1_1…conv5_1}: minimise
///     α·½Σ(F−P)² + β·Σ_{l∈L} E_l over the image, with E_l = Σ(G−A)²/(4N²M²).
///  3. Score the photograph and both results: E_l at every one of the five layers.
///
/// Layers are named conv1_1 … conv5_1 everywhere the experiment reports (the paper's names);
/// `activation` says which blob of the network each name means.
public struct StyleDepthExperiment {
    /// The five style layers, in the paper's names.
    public static let layerLabels = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    /// β of both runs unless asked otherwise (with the normalised network, α = 1, content
    /// conv5_2, 250 evaluations at 384 px): where, measured over β = 1e5…1e8, both images
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

    /// What the caller sees of one run while it goes: `progress` after every evaluation,
    /// `finish` once at the end (also when it stops early).
    public struct RunObserver {
        public var progress: (StyleProgress) -> Void
        public var finish: () -> Void
        public init(progress: @escaping (StyleProgress) -> Void, finish: @escaping () -> Void = {}) {
            self.progress = progress; self.finish = finish
        }
    }

    /// The run's network and images (built once for both runs: see `StyleModel.prepare`).
    public let prepared: PreparedStyleTransfer
    /// Everything but the layers; both runs use exactly these.
    public let options: StyleTransferOptions
    /// Canonical network names of the five style layers and of the content layer.
    public let styleLayers: [String]
    public let contentLayer: String

    /// The network names the experiment uses: the content layer and the five style layers.
    public struct Layers: Sendable {
        public var content: String
        public var style: [String]
        /// Every layer the network must reach.
        public var all: [String] { [content] + style }
    }

    /// `contentLayer` in the paper's naming (conv5_2) or Keras' (block5_conv2); `activation`
    /// maps conv names to the rectified blobs when it is `.relu`. Throws the architecture's
    /// error (listing the valid names) for an unknown layer.
    public static func layers(of model: StyleModel, contentLayer: String, activation: ActivationKind) throws -> Layers {
        Layers(content: try model.resolve([contentLayer], activation: activation)[0],
               style: try model.resolve(layerLabels, activation: activation))
    }

    public init(prepared: PreparedStyleTransfer, options: StyleTransferOptions, layers: Layers) {
        self.prepared = prepared
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

    /// Runs both optimisations, then scores. Returns nil when `shouldStop` asked to stop
    /// (an interrupted experiment has no result to keep).
    public func run(observe: (Depth, StyleTransferOptions) -> RunObserver,
                    shouldStop: @escaping () -> Bool = { false }) throws -> Outcome? {
        let started = Date()
        // One forward pass per image for both runs and the scoring.
        prepared.prepareFeatures(contentLayers: [contentLayer], styleLayers: styleLayers)
        var runs: [RunOutcome] = []
        for depth in Depth.allCases {
            let o = options(for: depth)
            let observer = observe(depth, o)
            defer { observer.finish() }
            let result = try prepared.run(o.run).run(progress: observer.progress, shouldStop: shouldStop)
            if result.stopReason == .interrupted { return nil }
            runs.append(RunOutcome(depth: depth, options: o, result: result))
        }
        return Outcome(runs: runs, metrics: try score(runs, totalSeconds: Date().timeIntervalSince(started)))
    }

    /// E_l at the five layers (and the content loss) of the photograph and of each run's
    /// image, with the runs' own network. The images are scored as written: quantised to
    /// 8 bits, as the PNGs hold them.
    func score(_ runs: [RunOutcome], totalSeconds: Double) throws -> StyleDepthMetrics {
        let losses = prepared.scorer(contentLayers: [contentLayer], styleLayers: styleLayers)
        func styleLoss(of image: RGBImage) throws -> (style: [String: Double], content: Double) {
            let terms = try losses(image)
            var style: [String: Double] = [:]
            for (label, name) in zip(Self.layerLabels, styleLayers) { style[label] = terms.style[name] }
            return (style, terms.content[contentLayer] ?? .nan)
        }
        var scored: [String: StyleDepthMetrics.Run] = [:]
        for r in runs {
            let (style, content) = try styleLoss(of: try r.result.image.asWrittenToPNG())
            let curve = zip(r.result.curve, r.result.accepted).enumerated().filter { $0.element.1 }.map { i, point in
                StyleDepthMetrics.Point(evaluation: i + 1, total: point.0.total,
                                        styleLoss: Dictionary(uniqueKeysWithValues: zip(Self.layerLabels, styleLayers).compactMap { label, name in
                                            point.0.style[name].map { (label, $0) } }))
            }
            scored[r.depth.key] = .init(styleLoss: style, contentLoss: content,
                                        styleLayersUsed: Array(Self.layerLabels.prefix(r.depth.rawValue)),
                                        evaluations: r.result.evaluations, seconds: r.result.seconds, curve: curve)
        }
        let photo = try styleLoss(of: prepared.content)
        // The settings as the report names them: the 5-layer run's, in the paper's layer names.
        let named = options(for: .five).named
        return StyleDepthMetrics(
            runs: scored, contentImage: .init(styleLoss: photo.style),
            contentLayer: options.activation.label(ofBlob: contentLayer), evaluationLayers: Self.layerLabels,
            normalizeVGG: options.normalizeVGG, size: options.size,
            width: prepared.content.width, height: prepared.content.height,
            options: named, totalSeconds: totalSeconds)
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
            sidecar.imageSHA256 = SHA256.hex(Data(pngBytes))
            files.append(("layers-\(r.depth.key).json", Array(try JSONOutput.fileBytes(sidecar))))
        }
        let figure = StyleDepthReport.figure(content: prepared.content, style: prepared.styles[0],
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
