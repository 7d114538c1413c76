import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
import NSTStyle
import NSTStyleFlags
import NSTStyleJobs
import NSTTerminal

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Regenerate the quiz's experiments.",
        subcommands: [StyleDepthCommand.self]
    )
}

struct StyleDepthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "style-depth",
        abstract: "The quiz's question 12: first 3 vs all 5 style layers, everything else identical.",
        discussion: """
        Restyles the sea turtle with the Great Wave twice, everything identical
        but the style layers: relu1_1–relu3_1 (first 3), then relu1_1–relu5_1
        (all 5: the rectified outputs the paper calls conv1_1 …). Then it scores
        the photo and both images with the same network at all five layers:
        E_l = Σ(G−A)²/(4N²M²), the quiz's style loss. Shallow layers see fine
        texture, deep layers larger structure: expect both images to take on
        the painting's brush texture, and only the 5-layer one its swirls and
        crests (its E_l at relu4_1 and relu5_1 well below the 3-layer one's).

        Writes one complete set into --output (a folder of its own; an
        interrupted or failed run leaves the previous set untouched):
          layers-3.png, layers-5.png   the two images, with .json sidecars
          figure.png     photo | painting | 3 layers | 5 layers, with credits
          curves.svg     objective and E_l per layer against evaluation
          metrics.json   E_l of the photo and of both images, content loss
          report.html    all of it in one page
        and prints the table, one sentence that reads it, and the report's
        path. The default folder, ~/.local/share/nst/style-depth (under
        $XDG_DATA_HOME if set), is where `nst quiz` looks for question 12's
        images. The two images are built into nst, so it runs from any folder
        (files and credits: Examples/images/ in the source).

        Examples:
          nst experiment style-depth
          nst experiment style-depth --size 192          a quarter of the pixels
          nst experiment style-depth --style-weight 1e6 -o out/b1e6
          nst experiment style-depth --scales 3 --scale-evaluations 100,50,100
                      coarse to fine: 192, 272 and 384 px, 250 evaluations per run
        """
    )

    @OptionGroup(title: "Experiment") var setup: StyleDepthOptions
    @OptionGroup(title: "Loss") var loss: LossWeightOptions
    @OptionGroup(title: "Optimiser") var optimiser: OptimiserOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions
    @OptionGroup(title: "Coarse to fine") var scales: ScaleOptions

    func validate() throws {
        if setup.grid && (scales.count > 1 || scales.scaleEvaluations != nil) {
            throw ValidationError("--scales applies to the two runs, not to --grid: drop --scales or --grid.")
        }
    }

    func run() throws {
        var options = StyleTransferOptions(experiment: setup, loss: loss, optimiser: optimiser, engine: engine)
        let schedule = try scales.schedule(size: options.size, iterations: options.maxEvaluations)
        if let schedule { options.maxEvaluations = schedule.totalEvaluations }
        let folder = setup.outputFolder(dataFolder: UserDataFolder.url(environment: ProcessEnvironment.values))
        let environment = EngineEnvironment()
        var job = StyleDepthJob(content: setup.contentInput, style: setup.styleInput, folder: folder, options: options,
                                contentLayer: commaList(setup.runContentLayer)[0], activation: setup.activation,
                                convolution: environment.convolution, availableMemory: environment.availableMemory, grid: setup.grid,
                                model: engine.model, randomWeights: engine.randomWeights,
                                command: ["nst"] + CommandLine.arguments.dropFirst())
        job.schedule = schedule
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
