import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
import NSTStyle
import NSTTerminal
import NSTVGG
import NSTWeights

/// What `transfer` and `experiment` share: loading the model, running with progress.
enum StyleEngineCLI {
    /// The model from `--model` (a path or an installed name; default: the installed vgg16),
    /// or with `--random-weights` a VGG16-shaped network with ⅛ of the channels and random
    /// He weights (for tests and timing without a download; the images it makes are not art).
    static func load(model: String?, randomWeights: Bool, seed: UInt64) throws -> StyleModel {
        if randomWeights {
            let arch = VGGArchitecture.vgg16
            let weights = VGGWeights<Float>.random(architecture: arch, channels: arch.convChannels.map { $0 / 8 }, seed: seed)
            return StyleModel(weights: weights, preprocessing: .caffe, path: "random-weights(seed \(seed), channels/8)", sha256: "")
        }
        let url = try ModelStore.resolve(model)
        let (weights, info) = try VGGWeights<Float>.load(url)
        return StyleModel(weights: weights, preprocessing: info.preprocessing, path: info.path, sha256: info.sha256)
    }

    /// Every image of the run must reach the deepest layer (each pooling halves it): a clear
    /// error naming the file instead of the engine's precondition.
    /// With --normalize-vgg the statistics pass runs through every ReLU the weights have: the
    /// model is cut after the deepest of `layers` first (`StyleModel.truncated`).
    /// `contentFile`/`styleFiles` name the images in errors.
    static func prepare(_ model: StyleModel, options: StyleTransferOptions, content: RGBImage, styles: [RGBImage],
                        layers: [String], contentFile: String? = nil, styleFiles: [String] = []) throws -> PreparedStyleTransfer {
        let model = model.truncated(through: layers)
        let (c, s) = StyleImages.prepare(content: content, styles: styles, size: options.size, styleScale: options.styleScale)
        var all = layers
        if options.normalizeVGG, let last = model.architecture.layers.last(where: { $0.kind == .relu && $0.convIndex < model.weights.convs.count }) {
            all.append(last.name)
        }
        try checkSizes(architecture: model.architecture, content: c, styles: s, layers: all,
                       files: [contentFile] + s.indices.map { $0 < styleFiles.count ? styleFiles[$0] : nil })
        return model.prepare(options: options, resizedContent: c, resizedStyles: s)
    }

    /// `files`: the path of the content, then of each style image (nil: unnamed).
    static func checkSizes(architecture arch: VGGArchitecture, content: RGBImage, styles: [RGBImage], layers: [String],
                           files: [String?] = []) throws {
        var need = 1, deepest = ""
        for l in layers { let m = try arch.minimumSide(for: l); if m > need { need = m; deepest = l } }
        for (i, (what, image)) in ([("content", content)] + styles.map({ ("style", $0) })).enumerated() {
            if min(image.width, image.height) < need {
                throw CLIError("the \(what) image is too small", file: i < files.count ? files[i] : nil,
                               why: "it is \(image.width)×\(image.height) at this --size/--style-scale and layer \(deepest) needs at least \(need) pixels on each side",
                               fix: "use a larger --size (or --style-scale), shallower layers, or a less elongated image", kind: .usage)
            }
        }
    }

    /// Refuses a run whose estimated peak memory (`MemoryEstimate`) exceeds what the machine
    /// has available, before any of it is allocated.
    static func checkMemory(content: RGBImage, size: Int, randomWeights: Bool, file: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let available = AvailableMemory.bytes(environment: environment) else { return }
        let long = max(content.width, content.height), short = min(content.width, content.height)
        let w = size, h = max(1, Int((Double(size) * Double(short) / Double(long)).rounded()))
        let fraction = randomWeights ? 1.0 / 8 : 1
        let need = MemoryEstimate.peakBytes(width: w, height: h, channelFraction: fraction)
        guard need > available else { return }
        let fits = MemoryEstimate.largestSide(fitting: available, aspect: Double(short) / Double(long), channelFraction: fraction)
        throw CLIError("not enough memory for --size \(size)", file: file,
                       why: "a \(w)×\(h) run needs about \(MemoryEstimate.describe(need)) and \(MemoryEstimate.describe(available)) is available",
                       fix: fits.map { "use --size \($0) or less, or free some memory" } ?? "free some memory")
    }

    static func sidecarModel(_ m: StyleModel) -> TransferSidecar.Model {
        TransferSidecar.Model(path: m.path, sha256: m.sha256, architecture: m.architecture.rawValue)
    }

    /// Reads an image; errors name the flag and the file (one `CLIError`).
    static func readImage(_ path: String, flag: String, hint: String = "") throws -> RGBImage {
        do {
            return try ImageIO.read(URL(fileURLWithPath: path))
        } catch let e as ImageError {
            var error = ErrorReport.image(e)
            error.what = "cannot read the \(flag) image"
            if case .cannotOpen = e.kind, !hint.isEmpty { error.fix = hint }
            throw error
        }
    }

    /// After SIGINT/SIGTERM before the first evaluation: says that nothing was written
    /// (`unchanged` keep their previous contents) and exits 130/143. Does nothing otherwise.
    static func stopIfRequested(unchanged: [String]) throws {
        guard StopSignal.requested else { return }
        let names = unchanged.map(CLIError.escaped).joined(separator: " and ")
        StandardStreams.writeError("nst: interrupted before the first evaluation: nothing written (\(names) \(unchanged.count == 1 ? "is" : "are") unchanged)\n")
        throw ExitCode(StopSignal.exitStatus)
    }

    /// Test-only: with `NST_TEST_HOLD_BEFORE_RUN=1` in the environment, says
    /// "nst: holding before the first evaluation" on stderr and waits (at most 60 s) for
    /// SIGINT/SIGTERM, so a test can signal a run exactly before its first evaluation.
    static func holdForTests() {
        guard ProcessInfo.processInfo.environment["NST_TEST_HOLD_BEFORE_RUN"] == "1" else { return }
        StandardStreams.writeError("nst: holding before the first evaluation\n")
        for _ in 0..<6000 where !StopSignal.requested { usleep(10_000) }
    }

    /// The values shown after every evaluation: weighted total and weighted terms.
    static func progressValues(_ p: StyleProgress, _ o: StyleTransferOptions) -> [(String, Double)] {
        let content = o.contentWeight * p.terms.contentSum, tv = o.tvWeight * p.terms.tv
        return [("loss", p.terms.total), ("content", content), ("style", p.terms.total - content - tv), ("tv", tv)]
    }

    /// A progress bar on stderr for `total` evaluations. A closed or full progress stream
    /// (`2>&-`, `2>&1 | head -n1`) stops the progress, never the run.
    static func progressBar(total: Int, label: String, printEvery: Int) -> ProgressBar {
        let stream = ProgressStream(fd: STDERR_FILENO)
        return ProgressBar(total: total, label: label, plainEvery: printEvery == 0 ? total : printEvery, output: { stream.write($0) })
    }

    /// Runs with progress on stderr (NSTTerminal.ProgressBar: a bar on a terminal, plain
    /// `key=value` lines every `printEvery` evaluations otherwise), the stop-signal flag and
    /// intermediate saves.
    static func runTransfer(prepared: PreparedStyleTransfer, options: StyleTransferOptions, label: String,
                            printEvery: Int, saveEvery: Int,
                            intermediate: @escaping (Int, RGBImage) -> Void) throws -> StyleTransferResult {
        let run = prepared.run(options)
        let bar = progressBar(total: options.iterations, label: label, printEvery: printEvery)
        defer { bar.finish() }
        return try run.run(
            saveEvery: saveEvery,
            progress: { p in bar.update(p.evaluation, values: progressValues(p, options)) },
            shouldStop: { StopSignal.requested },
            intermediate: intermediate)
    }
}
