import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
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

/// What the experiment reads and writes, and how long each run is.
struct StyleDepthOptions: ParsableArguments {
    @Option(help: "Content image.")
    var content: String = StyleDepthExperiment.defaultContentPath

    @Option(help: "Style image.")
    var style: String = StyleDepthExperiment.defaultStylePath

    @Option(name: .shortAndLong, help: ArgumentHelp("Folder for the images, figure, metrics and report (default: out/style-depth; out/style-grid with --grid).", valueName: "dir"))
    var output: String?

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("The former name of --output.", valueName: "dir", visibility: .hidden))
    var outputDir: String?

    @Option(name: .customLong("content-layers"), help: ArgumentHelp("The content layer (one: block5_conv2 in the TensorFlow tutorial).", valueName: "layer"))
    var contentLayers: String?

    @Option(name: .customLong("content-layer"), help: ArgumentHelp("The former name of --content-layers.", valueName: "layer", visibility: .hidden))
    var contentLayer: String?

    /// --content-layers, or its former name; conv5_2 by default.
    var runContentLayer: String { contentLayers ?? contentLayer ?? "conv5_2" }

    @Option(help: "What a layer name means: relu = the rectified output (Gatys' Caffe model, Keras' blockN_convM), conv = before the ReLU.")
    var activation: ActivationKind = .relu

    @Option(help: ArgumentHelp("Longest side of the images, in pixels (default: \(Self.defaultSize); \(Self.gridSize) with --grid).", valueName: "pixels"))
    var size: Int?

    @Option(help: ArgumentHelp("Optimiser evaluations per run, one VGG forward+backward each (default: \(Self.defaultIterations); \(Self.gridIterations) per cell with --grid).", valueName: "n"))
    var iterations: Int?

    @Flag(help: "Gatys et al.'s Fig. 3 instead: rows match the first 1…5 style layers, columns use --style-weight ÷10, ×1 and ×10; writes grid.png and grid.json.")
    var grid = false

    static let defaultSize = 384, defaultIterations = 250
    static let gridSize = 128, gridIterations = 100

    var runSize: Int { size ?? (grid ? Self.gridSize : Self.defaultSize) }
    var runIterations: Int { iterations ?? (grid ? Self.gridIterations : Self.defaultIterations) }

    func validate() throws {
        try validateSizeAndIterations(size: runSize, iterations: runIterations)
        if output != nil && outputDir != nil { throw ValidationError("--output-dir is the former name of --output: give one of them.") }
        if contentLayers != nil && contentLayer != nil { throw ValidationError("--content-layer is the former name of --content-layers: give one of them.") }
        if commaList(runContentLayer).count != 1 {
            throw ValidationError("--content-layers: the experiment uses one content layer (got \(runContentLayer)); `nst transfer` takes several.")
        }
    }

}

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

        Writes one complete set into --output (a folder of its own; an
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
          nst experiment style-depth --style-weight 1e6 -o out/b1e6
        """
    )

    @OptionGroup(title: "Experiment") var setup: StyleDepthOptions
    @OptionGroup(title: "Loss") var loss: LossWeightOptions
    @OptionGroup(title: "Optimiser") var optimiser: OptimiserOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions

    func run() throws {
        var options = StyleTransferOptions()
        options.styleWeight = StyleDepthExperiment.defaultStyleWeight
        loss.apply(to: &options)
        optimiser.apply(to: &options)
        engine.apply(to: &options)
        options.size = setup.runSize
        options.iterations = setup.runIterations
        let folder = URL(fileURLWithPath: setup.output ?? setup.outputDir ?? (setup.grid ? "out/style-grid" : "out/style-depth"), isDirectory: true)
        let job = StyleDepthJob(contentPath: setup.content, stylePath: setup.style, folder: folder, options: options,
                                contentLayer: commaList(setup.runContentLayer)[0], activation: setup.activation, grid: setup.grid,
                                model: engine.model, randomWeights: engine.randomWeights,
                                command: ["nst"] + CommandLine.arguments.dropFirst())
        StopSignal.install()
        guard let written = try job.run(observe: { total, label in
            StyleEngineCLI.observer(total: total, label: label, printEvery: engine.printEvery, options: options)
        }, shouldStop: { StopSignal.requested }) else { throw interrupted(folder) }
        try StandardStreams.writeOut(written.summary)
    }

    func interrupted(_ folder: URL) -> ExitCode {
        StandardStreams.writeError("nst: interrupted: nothing written; \(CLIError.escaped(folder.path)) keeps its previous results\n")
        return ExitCode(StopSignal.exitStatus)
    }
}
