import Foundation
import NSTFileIO
import NSTImage
import NSTLayers
import NSTStyle
import NSTTensor
import NSTVGG

/// One `nst experiment style-depth` (or its `--grid`): reads the two images, loads and
/// prepares the model, runs the experiment with progress, and replaces the output folder
/// with the complete set (`OutputFolder`: the new set or the previous one, never a mix).
public struct StyleDepthJob {
    public var content: ImageInput
    public var style: ImageInput
    public var folder: OutputFolder
    /// Size, budget, weights and optimiser; the layers come from `contentLayer`/`activation`.
    public var options: StyleTransferOptions
    /// As typed, in `activation`'s convention.
    public var contentLayer: String
    public var activation: ActivationKind
    /// How the network's convolutions compute (the CLI's engine environment).
    public var convolution: ConvConfiguration
    /// The bytes the machine has for the run (`AvailableMemory.bytes()`); nil checks nothing.
    public var availableMemory: Double?
    /// Gatys et al.'s Fig. 3 (`StyleGrid`) instead of the two runs.
    public var grid: Bool
    public var model: String?
    public var randomWeights: Bool
    /// Recorded in the sidecars and metrics.
    public var command: [String]
    /// Both runs' coarse-to-fine schedule (`ScaleSchedule`); nil: one scale at
    /// `options.size` with `options.maxEvaluations`. Not for the grid.
    public var schedule: ScaleSchedule? = nil

    public init(content: ImageInput, style: ImageInput, folder: URL, options: StyleTransferOptions, contentLayer: String,
                activation: ActivationKind, convolution: ConvConfiguration = ConvConfiguration(), availableMemory: Double?, grid: Bool, model: String?,
                randomWeights: Bool, command: [String]) {
        self.convolution = convolution; self.availableMemory = availableMemory
        self.content = content; self.style = style
        self.folder = OutputFolder(url: folder, ownedNames: grid ? StyleGrid.outputNames : StyleDepthExperiment.outputNames)
        self.options = options; self.contentLayer = contentLayer; self.activation = activation; self.grid = grid
        self.model = model; self.randomWeights = randomWeights; self.command = command
    }

    /// What the caller prints once the folder is written.
    public struct Written {
        /// The experiment's table, its reading and where the report is; or the grid's line.
        public var summary: String
    }

    /// Runs it. `observe(total, label)` watches each run; nil when `shouldStop` stopped it
    /// (then nothing was written and the folder keeps its previous set).
    public func run(observe: @escaping (Int, String) -> RunObserver,
                    shouldStop: @escaping () -> Bool) throws -> Written? {
        let contentImage = try content.read(flag: "--content")
        let styleImage = try style.read(flag: "--style")
        try folder.check(inputs: [content, style].compactMap(\.fileURL))
        let started = Date()
        // The loaded model lives in this closure only: the network keeps the one set of weights
        // the runs use.
        let (network, content, style, layers, provenance) = try { () throws -> (StyleNetwork<VGG<Float>>, RGBImage, RGBImage, StyleDepthExperiment.Layers, TransferSidecar.Model) in
            let model = try StyleModel.load(model: model, randomWeights: randomWeights, seed: options.seed)
            let layers = try StyleDepthExperiment.layers(of: model, contentLayer: contentLayer, activation: activation)
            try MemoryEstimate.check(content: contentImage, size: options.size, randomWeights: randomWeights, file: self.content.name,
                                     available: availableMemory)
            let (network, images) = try model.checkedStyleNetwork(options: options, content: contentImage, styles: [styleImage],
                                                                  layers: layers.all, convolution: convolution,
                                                                  smallestSize: schedule.map { $0.scales[0].size })
            return (network, images.content, images.styles[0], layers, model.sidecarModel)
        }()
        func seconds() -> String { String(format: "%.0f", Date().timeIntervalSince(started)) }

        if grid {
            let grid = StyleGrid(network: network, content: content, style: style, options: options, layers: layers,
                                 styleWeights: [options.styleWeight / 10, options.styleWeight, options.styleWeight * 10])
            let total = grid.layers.style.count * grid.styleWeights.count
            var done = 0
            guard let cells = try grid.run(observe: { depth, beta, o in
                done += 1
                return observe(o.maxEvaluations, "cell \(done)/\(total): \(depth) layers, β \(String(format: "%g", beta))")
            }, shouldStop: shouldStop) else { return nil }
            try folder.replace(with: grid.files(cells: cells, command: command))
            return Written(summary: "Wrote \(CLIError.escaped(folder.url.appendingPathComponent("grid.png").path)) (\(total) cells) in \(seconds()) s.\n")
        }

        let experiment = StyleDepthExperiment(network: network, content: content, style: style, options: options, layers: layers,
                                              schedule: schedule, source: (contentImage, styleImage))
        let total = experiment.schedule.totalEvaluations
        guard let outcome = try experiment.run(observe: { depth, _, scale in observe(total, "\(depth.rawValue) layers" + scale) },
                                               shouldStop: shouldStop) else { return nil }
        let record = StyleDepthExperiment.Provenance(command: command, contentPath: self.content.name, stylePath: self.style.name,
                                                     model: provenance, started: started)
        try folder.replace(with: experiment.files(of: outcome, folder: folder.url, provenance: record))
        return Written(summary: outcome.metrics.table + outcome.metrics.reading + "\n"
            + "Wrote \(CLIError.escaped(folder.url.path))/ in \(seconds()) s: open \(CLIError.escaped(folder.url.appendingPathComponent("report.html").path))\n")
    }
}
