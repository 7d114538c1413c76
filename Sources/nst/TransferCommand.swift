import ArgumentParser
import Foundation
import NSTFileIO
import NSTStyle
import NSTStyleJobs
import NSTTerminal
import NSTStyleFlags

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
          nst transfer --content c.jpg --style s.jpg --original-colors --scales 3
          nst transfer --content c.jpg --style a.jpg --style b.jpg --style-blend-weights 3,1
        """
    )

    @OptionGroup(title: "Images") var images: TransferImageOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions
    @OptionGroup(title: "Loss") var loss: LossWeightOptions
    @OptionGroup(title: "Optimiser") var optimiser: OptimiserOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions
    /// In --help-hidden (the help stays under 60 lines); the examples show --scales.
    @OptionGroup(title: "Coarse to fine", visibility: .hidden) var scales: ScaleOptions

    func validate() throws {
        if scales.count > 1 && images.saveEvery > 0 {
            throw ValidationError("--save-every works with one scale: drop it or use --scales 1.")
        }
    }

    func run() throws {
        // From here on a first Ctrl-C only sets a flag: before the first evaluation the run
        // then writes nothing, after it the current image.
        StopSignal.install()
        var options = try StyleTransferOptions(images: images, layers: layers, loss: loss, optimiser: optimiser, engine: engine)
        let schedule = try scales.schedule(size: options.size, iterations: options.maxEvaluations)
        if let schedule { options.maxEvaluations = schedule.totalEvaluations }

        let environment = EngineEnvironment()
        var job = StyleTransferJob(content: images.content, styles: images.style, output: images.output, options: options,
                                   activation: layers.activation, convolution: environment.convolution,
                                   availableMemory: environment.availableMemory, model: engine.model, randomWeights: engine.randomWeights, saveEvery: images.saveEvery, command: CommandLine.arguments)
        job.schedule = schedule
        let outcome = try job.run(StyleEngineCLI.hooks(printEvery: engine.printEvery, options: options))
        StandardStreams.writeError(outcome.summary + "\n")
        if StopSignal.requested { throw ExitCode(StopSignal.exitStatus) }
    }
}
