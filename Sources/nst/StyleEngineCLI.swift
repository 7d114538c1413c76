import ArgumentParser
import Foundation
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
    /// error instead of the engine's precondition.
    /// With --normalize-vgg the statistics pass runs through every ReLU the weights have.
    static func prepare(_ model: StyleModel, options: StyleTransferOptions, content: RGBImage, styles: [RGBImage],
                        layers: [String]) throws -> PreparedStyleTransfer {
        let (c, s) = StyleImages.prepare(content: content, styles: styles, size: options.size, styleScale: options.styleScale)
        var all = layers
        if options.normalizeVGG, let last = model.architecture.layers.last(where: { $0.kind == .relu && $0.convIndex < model.weights.convs.count }) {
            all.append(last.name)
        }
        try checkSizes(architecture: model.architecture, content: c, styles: s, layers: all)
        return model.prepare(options: options, resizedContent: c, resizedStyles: s)
    }

    static func checkSizes(architecture arch: VGGArchitecture, content: RGBImage, styles: [RGBImage], layers: [String]) throws {
        var need = 1, deepest = ""
        for l in layers { let m = try arch.minimumSide(for: l); if m > need { need = m; deepest = l } }
        for (what, image) in [("content", content)] + styles.map({ ("style", $0) }) {
            if min(image.width, image.height) < need {
                throw ValidationError("the \(what) image is \(image.width)×\(image.height) at this --size/--style-scale; layer \(deepest) needs at least \(need) pixels on each side: use a larger --size (or --style-scale) or shallower layers.")
            }
        }
    }

    static func sidecarModel(_ m: StyleModel) -> TransferSidecar.Model {
        TransferSidecar.Model(path: m.path, sha256: m.sha256, architecture: m.architecture.rawValue)
    }

    /// Reads an image, naming the flag in the error when the file is missing.
    static func readImage(_ path: String, flag: String, hint: String = "") throws -> RGBImage {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(flag) \(path): no such file.\(hint.isEmpty ? "" : " " + hint)")
        }
        return try ImageIO.read(URL(fileURLWithPath: path))
    }

    /// The values shown after every evaluation: weighted total and weighted terms.
    static func progressValues(_ p: StyleProgress, _ o: StyleTransferOptions) -> [(String, Double)] {
        let content = o.contentWeight * p.terms.contentSum, tv = o.tvWeight * p.terms.tv
        return [("loss", p.terms.total), ("content", content), ("style", p.terms.total - content - tv), ("tv", tv)]
    }

    /// Runs with progress on stderr (NSTTerminal.ProgressBar: a bar on a terminal, plain
    /// `key=value` lines every `printEvery` evaluations otherwise), the stop-signal flag and
    /// intermediate saves.
    static func runTransfer(prepared: PreparedStyleTransfer, options: StyleTransferOptions, label: String,
                            printEvery: Int, saveEvery: Int,
                            intermediate: @escaping (Int, RGBImage) -> Void) throws -> StyleTransferResult {
        let run = prepared.run(options)
        let bar = ProgressBar(total: options.iterations, label: label, plainEvery: printEvery == 0 ? options.iterations : printEvery)
        defer { bar.finish() }
        return try run.run(
            saveEvery: saveEvery,
            progress: { p in bar.update(p.evaluation, values: progressValues(p, options)) },
            shouldStop: { StopSignal.requested },
            intermediate: intermediate)
    }
}
