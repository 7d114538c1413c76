import ArgumentParser
import Foundation
import NSTBench
import NSTLayers
import NSTStyle
import NSTTerminal
import NSTVGG
import NSTStyleFlags
import NSTWeights

/// `nst bench`: the engine's speed next to the machine's BLAS peak, measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed and memory.",
        discussion: """
        First the roofline: the GFLOP/s of one large cblas_sgemm (n×n×n, 2n³ FLOP) on 1 thread \
        and on all threads. Then, per image size, one style-transfer iteration as the experiment \
        runs it: VGG forward from the image to --layer (default conv5_2) keeping the style layers \
        conv1_1…conv5_1 and the content layer, content + style losses, and the backward pass to \
        the image (no weight gradients). Times are median, min and max over --repeat runs \
        after --warmup runs, with a per-convolution breakdown, and the process's CPU time per \
        iteration (all threads; unlike wall time, not inflated when another process takes a core).

        Effective GFLOP/s = the direct-convolution FLOP count of the iteration (2 FLOP per \
        multiply-add, forward plus the same again for the input gradient) ÷ iteration time, so it \
        is comparable across algorithms and with the roofline. The roofline is measured again \
        after each size, and each size is compared with the higher of the two around it (each \
        the best of a few calls): the strict ratio. The paired ratio runs the same sgemm right \
        after each timed iteration, for as long as the iteration took and split over nst's \
        workers as the engine's own products are, and takes the median of the iterations' ratios \
        to it, so that both sides of each ratio see much the same load from other processes. \
        Peak RSS is the process's high-water mark while that size ran (reset per size), less the \
        roofline sgemm's matrices.

        Needs a model (`nst model fetch`), or --random-weights to time random weights of the same \
        shapes. Run it on a quiet machine: other processes on the same cores distort every number.

        Convolutions run by --conv-algorithm (default auto: Winograd F(6×6,3×3) for up to 256 \
        channels on maps of 4096 pixels or more, else F(4×4,3×3), but F(2×2,3×3) for 512 channels \
        on maps under 1024 pixels; im2col for conv1_1's 3 input channels). \
        --compare-im2col and --compare-threads time each size again with im2col and on 1 thread \
        in the same run; --compare-im2col also gives how far the image's gradient moves from \
        im2col's (relative L2: the accuracy the speed costs). Two or more sizes also give the \
        fitted exponent of time ∝ pixels^k.

        Examples:
          nst bench --random-weights
          nst bench --sizes 384 --repeat 10 --json
          nst bench --sizes 256 384 512 --compare-im2col --compare-threads
          nst bench --sizes 128 256 512 1024 --repeat 3
        """
    )

    @Option(name: [.customLong("sizes"), .customLong("size")], parsing: .upToNextOption,
            help: ArgumentHelp("Longest image sides to time, separated by spaces or commas; the image is 4:3 landscape (384 → 384×288).",
                               valueName: "px"))
    var sizeArguments: [String] = ["256", "384", "512"]

    /// --sizes as numbers (nil entries are not numbers).
    var sizes: [Int?] { sizeArguments.flatMap { $0.split(separator: ",") }.map { Int($0.trimmingCharacters(in: .whitespaces)) } }

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Timed repetitions of the iteration per size.", valueName: "n"))
    var repetitions: Int = 10

    /// The name before --repeat. Refused with the new name: elsewhere --iterations counts
    /// optimiser evaluations, which bench does not run.
    @Option(name: .long, help: .hidden)
    var iterations: Int?

    @Option(name: .long, help: "Untimed repetitions first (page-in, BLAS thread start).")
    var warmup: Int = 2

    @Option(name: .long, help: "Deepest layer of the iteration (VGG or Keras name); it is also the content layer.")
    var layer: String = "conv5_2"

    @Option(name: .long, help: "Model file or installed model name (default: the installed default model).")
    var model: String?

    @Flag(name: .long, help: "Use random VGG16 weights instead of an installed model (speed is the same).")
    var randomWeights = false

    @Option(name: .long, help: "Pooling between blocks: max, as VGG16 was trained and as nst transfer and nst experiment run by default, or avg (Gatys et al.'s choice).")
    var pooling: Pooling = StyleTransferOptions().pooling

    @Option(name: .long, help: "n of the n×n×n roofline sgemm.")
    var rooflineSize: Int = 2048

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Option(name: .long, help: "Convolution algorithm: auto (Winograd where channels ≥ 16, im2col for conv1_1), im2col (direct multiply count, GEMM), winograd (every layer).")
    var convAlgorithm: BenchConvAlgorithm = .auto

    @Option(name: .long, help: "Winograd output tile: 0 = per layer (see above), 2, 4 or 6.")
    var winogradTile: Int = 0

    @Flag(name: .long, help: "Also time every size with --conv-algorithm im2col in the same run and print the speed-up.")
    var compareIm2col = false

    @Flag(name: .long, help: "Also time every size on 1 thread (BLAS and nst's own workers) and print the speed-up of all threads.")
    var compareThreads = false

    @Option(name: .long, help: "What is timed: engine (bench's own iteration, above) or experiment (the style-depth experiment's objective and L-BFGS on its images, --repeat evaluations per size after --warmup, with a per-phase table, then bench's iteration on the same network and layers).")
    var objective: BenchObjective = .engine

    @OptionGroup var arithmetic: PrecisionOptions

    @Flag(name: .long, help: "First time sgemm against the bf16 GEMM on the Winograd GEMM shapes of each size (1 and 2 threads) and print them.")
    var comparePrecision = false

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil && (32...4096).contains($0!) }) else {
            throw ValidationError("--sizes \(sizeArguments.joined(separator: " ")): each size must be a whole number of pixels from 32 to 4096 (VGG16 pools 4 times before block 5; 32 px is the smallest that reaches it), e.g. --sizes 256,384,512")
        }
        if iterations != nil { throw ValidationError("--iterations is now --repeat (bench repeats one iteration; it runs no optimiser), e.g. --repeat 10") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard (64...8192).contains(rooflineSize) else { throw ValidationError("--roofline-size must be between 64 and 8192") }
        do { _ = try VGGArchitecture.vgg19.resolve(layer) } catch { throw ValidationError("--layer: \(error)") }
        guard [0, 2, 4, 6].contains(winogradTile) else { throw ValidationError("--winograd-tile must be 0, 2, 4 or 6") }
        if randomWeights && model != nil { throw ValidationError("--random-weights and --model exclude each other") }
    }

    func run() throws {
        if objective == .experiment { return try runExperimentObjective() }
        let (weights, modelDescription): (VGGWeights<Float>, String)
        do { (weights, modelDescription) = try Bench.weights(model: model, random: randomWeights) } catch {
            var e = ErrorReport.cliError(for: error)
            e.fix = "run `\(ModelStore.fetchCommand)`, or `nst bench --random-weights` to time random weights of the same shapes"
            throw e
        }
        var settings = BenchSettings(
            sizes: sizes.compactMap { $0 }, repetitions: repetitions, warmup: warmup, layer: layer, pooling: pooling,
            rooflineSize: rooflineSize, algorithm: convAlgorithm.algorithm, winogradTile: winogradTile,
            compareIm2col: compareIm2col, compareThreads: compareThreads)
        settings.precision = arithmetic.effective { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        // With --json, stdout carries only the JSON: the summary lines go to stderr.
        let output = BenchOutput(
            log: { line in if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) } },
            detail: { line in if !json { print(line) } },
            progress: { label, total in
                let bar = ProgressBar(total: total, label: label)
                return ({ done, seconds in bar.update(done, values: [("iteration_s", seconds)]) }, { bar.finish() })
            })
        if comparePrecision {
            let deepest = try weights.architecture.resolve(layer)
            for size in sizes.compactMap({ $0 }) {
                PrecisionProbe.report(weights.architecture, through: deepest, width: size, height: max(1, size * 3 / 4),
                                      threadCounts: [1, 2], log: output.log)
            }
        }
        let report = try Bench.run(weights: weights, modelDescription: modelDescription, settings: settings, output: output)
        if json { try printJSON(report) }
    }
}

/// --conv-algorithm values.
enum BenchConvAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case auto, im2col, winograd
    var algorithm: ConvAlgorithm { ConvAlgorithm(rawValue: rawValue)! }
}

