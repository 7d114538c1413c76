import ArgumentParser
import Foundation
import NSTImage
import NSTStyle
import NSTVGG

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Regenerate the quiz's experiments.",
        subcommands: [StyleDepthCommand.self]
    )
}

/// Which activation a layer name such as conv4_1 means in the experiment.
enum ActivationKind: String, ExpressibleByArgument, CaseIterable {
    /// The rectified output (relu4_1): Gatys' Caffe blobs and Keras' block4_conv1 are this.
    case relu
    /// The convolution's output before the ReLU.
    case conv
}

struct StyleDepthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "style-depth",
        abstract: "The quiz's question 12: first 3 vs all 5 style layers, everything else identical.",
        discussion: """
        Restyles the content image twice with the same settings, once with the
        style layers conv1_1, conv2_1, conv3_1 and once with conv1_1 … conv5_1
        (rectified outputs, as in Gatys et al. and Keras), then scores both
        outputs with the same network at all five layers. Losses are the
        quiz's: ½Σ(F−P)² and Σ(G−A)²/(4N²M²). Writes into --output-dir:
          layers-3.png, layers-5.png  the two images (with .json sidecars)
          figure.png    content | style | 3 layers | 5 layers, labelled
          curves.svg    loss per evaluation of both runs
          metrics.json  E_l of both images at the five layers, content loss:
                        {"runs": {"3": {"style_loss": {"conv1_1": …}, …},
                                  "5": …}}
          report.html   all of the above in one self-contained page

        The default images live in Examples/images/ (Examples/images/README.md
        says where to download them). Example:
          nst experiment style-depth --size 384
        """
    )

    @Option(help: "Content image.")
    var content: String = "Examples/images/sea-turtle.jpg"

    @Option(help: "Style image.")
    var style: String = "Examples/images/great-wave.jpg"

    @Option(name: .customLong("output-dir"), help: "Folder for the images, figure, metrics and report.")
    var outputDir: String = "out/style-depth"

    @Option(name: .customLong("content-layer"), help: "Content layer (block5_conv2 in the TensorFlow tutorial).")
    var contentLayer: String = "conv5_2"

    @Option(help: "What a layer name means: relu = the rectified output (Gatys' Caffe model, Keras' blockN_convM), conv = before the ReLU.")
    var activation: ActivationKind = .relu

    @Option(help: "Longest side of the images, in pixels.")
    var size: Int = 384

    @Option(help: "Evaluations per run (one VGG forward+backward each).")
    var iterations: Int = 150

    @OptionGroup var tuning: StyleTuningOptions

    func validate() throws { try validateSizeAndIterations(size: size, iterations: iterations) }

    static let styleLayerNames = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    static let credits = "Sea turtle: photograph by P. Lindgren, CC BY-SA 3.0 (Wikimedia Commons). The Great Wave off Kanagawa: Katsushika Hokusai, public domain."

    /// conv4_1 → relu4_1 when the experiment uses rectified activations.
    func networkName(_ name: String) -> String {
        activation == .relu && name.hasPrefix("conv") ? "relu" + name.dropFirst(4) : name
    }

    func run() throws {
        let hint = "Put the experiment's images in Examples/images/ (see Examples/images/README.md: sea-turtle.jpg and great-wave.jpg from Wikimedia Commons) or pass --content and --style."
        let contentImage = try StyleEngineCLI.readImage(content, flag: "--content", hint: hint)
        let styleImage = try StyleEngineCLI.readImage(style, flag: "--style", hint: hint)
        let model = try StyleEngineCLI.load(model: tuning.model, randomWeights: tuning.randomWeights, seed: tuning.seed)
        let started = Date()

        var base = StyleTransferOptions()
        tuning.apply(to: &base)
        base.size = size
        base.iterations = iterations
        let contentName = try model.resolve([networkName(try canonicalConv(contentLayer, model))])
        base.contentLayers = contentName
        let all5 = try model.resolve(Self.styleLayerNames.map(networkName))

        let dir = URL(fileURLWithPath: outputDir, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        StopSignal.install()
        let prepared = try StyleEngineCLI.prepare(model, options: base, content: contentImage, styles: [styleImage],
                                                  layers: contentName + all5)

        var results: [String: (StyleTransferResult, StyleTransferOptions)] = [:]
        for n in [3, 5] {
            var o = base
            o.styleLayers = Array(all5.prefix(n))
            let result = try StyleEngineCLI.runTransfer(prepared: prepared, options: o, label: "\(n) layers",
                                                        printEvery: tuning.printEvery, saveEvery: 0, intermediate: { _, _ in })
            let url = dir.appendingPathComponent("layers-\(n).png")
            try ImageIO.writePNG(result.image, to: url)
            let sidecar = TransferSidecar(command: CommandLine.arguments, content: content, styles: [style], output: url.path,
                                          options: o, model: StyleEngineCLI.sidecarModel(model), result: result, started: started)
            try sidecar.write(to: TransferSidecar.url(forImage: url))
            if result.stopReason == "interrupted" {
                FileHandle.standardError.write(Data("interrupted: wrote \(url.path)\n".utf8))
                throw ExitCode(StopSignal.exitStatus)
            }
            results["\(n)"] = (result, o)
        }

        // Score both written images with the same network at all five layers (and, when the
        // network is normalised, with the unnormalised one too).
        var rawOptions = base
        rawOptions.normalizeVGG = false
        let rawPrepared = base.normalizeVGG ? model.prepare(options: rawOptions, content: contentImage, styles: [styleImage]) : nil
        var runs: [String: StyleDepthMetrics.Run] = [:]
        var pngs: [String: Data] = [:]
        var written: [String: RGBImage] = [:]
        for key in ["3", "5"] {
            let url = dir.appendingPathComponent("layers-\(key).png")
            let image = try ImageIO.read(url)
            written[key] = image
            pngs["layers-\(key).png"] = try Data(contentsOf: url)
            let terms = try prepared.losses(of: image, contentLayers: contentName, styleLayers: all5)
            var style: [String: Double] = [:]
            for (label, name) in zip(Self.styleLayerNames, all5) { style[label] = terms.style[name] }
            let (r, o) = results[key]!
            runs[key] = .init(styleLoss: style, contentLoss: terms.content[contentName[0]]!,
                              styleLayersUsed: o.styleLayers, evaluations: r.evaluations, seconds: r.seconds,
                              curve: r.curve.map(\.total))
            if let rawPrepared {
                let raw = try rawPrepared.losses(of: image, contentLayers: contentName, styleLayers: all5)
                var rawStyle: [String: Double] = [:]
                for (label, name) in zip(Self.styleLayerNames, all5) { rawStyle[label] = raw.style[name] }
                runs[key]!.styleLossRawVGG = rawStyle
                runs[key]!.contentLossRawVGG = raw.content[contentName[0]]
            }
        }
        let command = (["nst"] + CommandLine.arguments.dropFirst()).map(shellQuote).joined(separator: " ")
        let metrics = StyleDepthMetrics(
            runs: runs, contentLayer: contentName[0], evaluationLayers: Self.styleLayerNames,
            normalizeVGG: base.normalizeVGG, normalizeGradients: base.normalizeGradients, size: base.size,
            width: prepared.content.width, height: prepared.content.height,
            model: StyleEngineCLI.sidecarModel(model), options: base, command: command,
            totalSeconds: Date().timeIntervalSince(started))
        try JSONOutput.write(metrics, to: dir.appendingPathComponent("metrics.json"))

        let curves = SVGChart.lossCurves([
            ("first 3 style layers", "#1f77b4", runs["3"]!.curve),
            ("all 5 style layers", "#d62728", runs["5"]!.curve),
        ], title: "Total loss per evaluation (log scale)")
        try Data(curves.utf8).write(to: dir.appendingPathComponent("curves.svg"), options: .atomic)

        let figure = StyleDepthFigure.make(content: prepared.content, style: prepared.styles[0],
                                           layers3: written["3"]!, layers5: written["5"]!, credits: Self.credits)
        let figureURL = dir.appendingPathComponent("figure.png")
        try ImageIO.writePNG(figure, to: figureURL)
        let html = StyleDepthReport.html(metrics: metrics, figurePNG: try Data(contentsOf: figureURL), imagePNGs: pngs, credits: Self.credits)
        try Data(html.utf8).write(to: dir.appendingPathComponent("report.html"), options: .atomic)

        // The table on stdout.
        print("layer      3 layers     5 layers     ratio 5/3")
        for l in Self.styleLayerNames {
            let a = runs["3"]!.styleLoss[l]!, b = runs["5"]!.styleLoss[l]!
            print(pad(l, 9) + "  " + pad(String(format: "%.4g", a), 11) + "  " + pad(String(format: "%.4g", b), 11) + "  " + String(format: "%.3f", b / a))
        }
        let ca = runs["3"]!.contentLoss, cb = runs["5"]!.contentLoss
        print(pad("content", 9) + "  " + pad(String(format: "%.4g", ca), 11) + "  " + pad(String(format: "%.4g", cb), 11) + "  " + String(format: "%.3f", cb / ca))
        print("wrote \(dir.path)/{layers-3.png,layers-5.png,figure.png,curves.svg,metrics.json,report.html} in \(String(format: "%.1f", metrics.totalSeconds)) s")
    }

    /// The user's content layer, canonical (Keras names accepted), before the relu/conv choice.
    func canonicalConv(_ name: String, _ model: StyleModel) throws -> String {
        try model.resolve([name])[0]
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

/// Quotes an argument for a POSIX shell when it needs it.
func shellQuote(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+")
    return !s.isEmpty && s.allSatisfy(safe.contains) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
