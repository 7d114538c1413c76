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
        let file = try SafeTensorsFile.read(url)
        let architecture = try VGGWeights<Float>.detectArchitecture(metadata: file.metadata, tensorNames: Set(file.tensors.keys), file: url.path)
        let weights = try VGGWeights<Float>(architecture: architecture,
                                            tensors: file.tensors.mapValues { ($0.dtype, $0.shape, $0.values) }, file: url.path)
        let preprocessing = try Preprocessing(metadata: file.metadata, file: url.path)
        return StyleModel(weights: weights, preprocessing: preprocessing, path: url.path, sha256: try SHA256.hex(ofFile: url))
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

    /// One progress line: "3 layers  eval 40/300  loss 1.234e+05  content 2.1e+04  style 8.9e+04  tv 0  0.84 s/it  ETA 3m38s"
    static func progressLine(_ label: String, _ p: StyleProgress, weights: StyleTransferOptions) -> String {
        func g(_ v: Double) -> String { String(format: "%.4g", v) }
        return "\(label) eval \(p.evaluation)/\(p.total) loss \(g(p.terms.total)) content \(g(weights.contentWeight * p.terms.contentSum)) "
            + "style \(g(p.terms.total - weights.contentWeight * p.terms.contentSum - weights.tvWeight * p.terms.tv)) "
            + "tv \(g(weights.tvWeight * p.terms.tv)) \(String(format: "%.2f", p.secondsPerEvaluation)) s/it ETA \(duration(p.etaSeconds))"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    /// Runs with progress on stderr (a bar on a terminal, plain lines every `printEvery`
    /// evaluations otherwise), the stop-signal flag and intermediate saves.
    static func runTransfer(prepared: PreparedStyleTransfer, options: StyleTransferOptions, label: String,
                            printEvery: Int, saveEvery: Int,
                            intermediate: @escaping (Int, RGBImage) -> Void) throws -> StyleTransferResult {
        let run = prepared.run(options)
        let tty = isatty(2) == 1
        let stderr = FileHandle.standardError
        let result = try run.run(
            saveEvery: saveEvery,
            progress: { p in
                if tty {
                    let width = 20
                    let done = min(width, p.evaluation * width / max(p.total, 1))
                    let bar = String(repeating: "█", count: done) + String(repeating: "░", count: width - done)
                    stderr.write(Data("\r\u{1B}[2K\(bar) \(progressLine(label, p, weights: options))".utf8))
                    if p.evaluation == p.total { stderr.write(Data("\n".utf8)) }
                } else if (printEvery > 0 && p.evaluation % printEvery == 0) || p.evaluation == p.total || p.evaluation == 1 {
                    stderr.write(Data((progressLine(label, p, weights: options) + "\n").utf8))
                }
            },
            shouldStop: { StopSignal.requested },
            intermediate: intermediate)
        if tty && result.evaluations < options.iterations { stderr.write(Data("\n".utf8)) }
        return result
    }
}
