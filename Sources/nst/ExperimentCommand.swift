import ArgumentParser
import Foundation
import NSTFileIO
import NSTStyle
import NSTTerminal

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Regenerate the quiz's experiments.",
        subcommands: [StyleDepthCommand.self]
    )
}

extension ActivationKind: ExpressibleByArgument {}

struct StyleDepthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "style-depth",
        abstract: "The quiz's question 12: first 3 vs all 5 style layers, everything else identical.",
        discussion: """
        Restyles the sea turtle with the Great Wave twice, everything identical
        but the style layers: conv1_1–conv3_1 (first 3), then conv1_1–conv5_1
        (all 5; each name means the layer's rectified output). Then it scores
        the photo and both images with the same network at all five layers:
        E_l = Σ(G−A)²/(4N²M²), the quiz's style loss. Shallow layers see fine
        texture, deep layers larger structure: expect both images to take on
        the painting's brush texture, and only the 5-layer one its swirls and
        crests (its E_l at conv4_1 and conv5_1 well below the 3-layer one's).

        Writes one complete set into --output-dir (a folder of its own; an
        interrupted or failed run leaves the previous set untouched):
          layers-3.png, layers-5.png   the two images, with .json sidecars
          figure.png     photo | painting | 3 layers | 5 layers, with credits
          curves.svg     objective and E_l per layer against evaluation
          metrics.json   E_l of the photo and of both images, content loss
          report.html    all of it in one page
        and prints the table, one sentence that reads it, and the report's
        path. Images: Examples/images/ (credits in its README.md).

        Examples:
          nst experiment style-depth
          nst experiment style-depth --style-weight 1e6 --output-dir out/b1e6
        """
    )

    @Option(help: "Content image.")
    var content: String = StyleDepthExperiment.defaultContentPath

    @Option(help: "Style image.")
    var style: String = StyleDepthExperiment.defaultStylePath

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Folder for the images, figure, metrics and report (default: out/style-depth; out/style-grid with --grid).", valueName: "dir"))
    var outputDir: String?

    @Option(name: .customLong("content-layer"), help: "Content layer (block5_conv2 in the TensorFlow tutorial).")
    var contentLayer: String = "conv5_2"

    @Option(help: "What a layer name means: relu = the rectified output (Gatys' Caffe model, Keras' blockN_convM), conv = before the ReLU.")
    var activation: ActivationKind = .relu

    @Option(help: ArgumentHelp("Longest side of the images, in pixels (default: \(Self.defaultSize); \(Self.gridSize) with --grid).", valueName: "pixels"))
    var size: Int?

    @Option(help: ArgumentHelp("Evaluations per run, one VGG forward+backward each (default: \(Self.defaultIterations); \(Self.gridIterations) per cell with --grid).", valueName: "n"))
    var iterations: Int?

    @Flag(help: "Gatys et al.'s Fig. 3 instead: rows match the first 1…5 style layers, columns use --style-weight ÷10, ×1 and ×10; writes grid.png and grid.json.")
    var grid = false

    @OptionGroup var tuning: StyleTuningOptions

    static let defaultSize = 384, defaultIterations = 250
    static let gridSize = 128, gridIterations = 100

    var runSize: Int { size ?? (grid ? Self.gridSize : Self.defaultSize) }
    var runIterations: Int { iterations ?? (grid ? Self.gridIterations : Self.defaultIterations) }

    func validate() throws { try validateSizeAndIterations(size: runSize, iterations: runIterations) }

    func run() throws {
        let contentImage = try StyleEngineCLI.readImage(content, flag: "--content")
        let styleImage = try StyleEngineCLI.readImage(style, flag: "--style")
        let folder = OutputFolder(url: URL(fileURLWithPath: outputDir ?? (grid ? "out/style-grid" : "out/style-depth"), isDirectory: true),
                                  ownedNames: grid ? StyleGrid.outputNames : StyleDepthExperiment.outputNames)
        try folder.check(inputs: [content, style].map { URL(fileURLWithPath: $0) })
        let started = Date()

        var options = StyleTransferOptions()
        options.styleWeight = StyleDepthExperiment.defaultStyleWeight
        tuning.apply(to: &options)
        options.size = runSize
        options.iterations = runIterations
        StopSignal.install()
        // The loaded model lives in this closure only: the prepared network keeps the one set of
        // weights the runs use.
        let (prepared, layers) = try { () throws -> (PreparedStyleTransfer, StyleDepthExperiment.Layers) in
            let model = try StyleEngineCLI.load(model: tuning.model, randomWeights: tuning.randomWeights, seed: tuning.seed)
            let layers = try StyleDepthExperiment.layers(of: model, contentLayer: contentLayer, activation: activation)
            try StyleEngineCLI.checkMemory(content: contentImage, size: runSize, randomWeights: tuning.randomWeights, file: content)
            return (try StyleEngineCLI.prepare(model, options: options, content: contentImage, styles: [styleImage], layers: layers.all), layers)
        }()
        if grid {
            return try runGrid(StyleGrid(prepared: prepared, options: options, layers: layers,
                                         styleWeights: [options.styleWeight / 10, options.styleWeight, options.styleWeight * 10]),
                               folder: folder, started: started)
        }
        let experiment = StyleDepthExperiment(prepared: prepared, options: options, layers: layers)

        guard let outcome = try experiment.run(observe: { depth, o in
            progressObserver(label: "\(depth.rawValue) layers", o)
        }, shouldStop: { StopSignal.requested }) else { throw interrupted(folder) }
        let provenance = StyleDepthExperiment.Provenance(
            command: ["nst"] + CommandLine.arguments.dropFirst(), contentPath: content, stylePath: style,
            model: StyleEngineCLI.sidecarModel(prepared.model), started: started)
        try folder.replace(with: experiment.files(of: outcome, folder: folder.url, provenance: provenance))

        try StandardStreams.writeOut(outcome.metrics.table + outcome.metrics.reading + "\n"
            + "Wrote \(CLIError.escaped(folder.url.path))/ in \(String(format: "%.0f", Date().timeIntervalSince(started))) s: open \(CLIError.escaped(folder.url.appendingPathComponent("report.html").path))\n")
    }

    func runGrid(_ grid: StyleGrid, folder: OutputFolder, started: Date) throws {
        let total = grid.layers.style.count * grid.styleWeights.count
        var done = 0
        guard let cells = try grid.run(observe: { depth, beta, o in
            done += 1
            return progressObserver(label: "cell \(done)/\(total): \(depth) layers, β \(String(format: "%g", beta))", o)
        }, shouldStop: { StopSignal.requested }) else { throw interrupted(folder) }
        try folder.replace(with: grid.files(cells: cells, command: ["nst"] + CommandLine.arguments.dropFirst()))
        try StandardStreams.writeOut("Wrote \(CLIError.escaped(folder.url.appendingPathComponent("grid.png").path)) (\(total) cells) in \(String(format: "%.0f", Date().timeIntervalSince(started))) s.\n")
    }

    /// A progress bar on stderr for one run.
    func progressObserver(label: String, _ o: StyleTransferOptions) -> StyleDepthExperiment.RunObserver {
        let bar = StyleEngineCLI.progressBar(total: o.iterations, label: label, printEvery: tuning.printEvery)
        return .init(progress: { bar.update($0.evaluation, values: StyleEngineCLI.progressValues($0, o)) }, finish: { bar.finish() })
    }

    func interrupted(_ folder: OutputFolder) -> ExitCode {
        StandardStreams.writeError("nst: interrupted: nothing written; \(CLIError.escaped(folder.url.path)) keeps its previous results\n")
        return ExitCode(StopSignal.exitStatus)
    }
}
