import Foundation
import NSTFileIO
import NSTStyle
import NSTVersion

/// The JSON written beside every output image (out.png → out.json): enough to reproduce
/// the run and to plot it.
public struct TransferSidecar: Codable, Sendable {
    public struct Model: Codable, Sendable {
        public var path: String
        public var sha256: String
        public var architecture: String
        public init(path: String, sha256: String, architecture: String) {
            self.path = path; self.sha256 = sha256; self.architecture = architecture
        }
    }
    /// One point of the loss curve (per evaluation): weighted total and unweighted terms.
    public struct CurvePoint: Codable, Sendable {
        public var evaluation: Int
        public var total: Double
        public var content: Double
        public var style: Double
        public var tv: Double
        public var styleLayers: [String: Double]
        /// The optimiser took this point as its iterate (false: a rejected line-search trial).
        public var accepted: Bool
    }

    public var tool = "nst transfer"
    /// The nst that wrote it (`nst --version`).
    public var toolVersion = NSTVersion.string
    public var command: [String]
    public var content: String
    public var styles: [String]
    public var output: String
    public var options: StyleTransferOptions
    public var learningRate: Double
    public var seed: UInt64
    public var model: Model
    public var width: Int
    public var height: Int
    public var evaluations: Int
    public var stopReason: StopReason
    public var seconds: Double
    public var started: String
    public var final: LossTerms
    public var curve: [CurvePoint]
    /// SHA-256 (hex) of the PNG this sidecar describes, so a reader can tell that the pair
    /// belongs together; nil when not recorded.
    public var imageSHA256: String?
    /// The coarse-to-fine schedule (`ScaleSchedule`: size and evaluations per scale, the
    /// curve's evaluations in this order); absent for one scale at `options.size`.
    public var schedule: [ScaleSchedule.Scale]?

    public init(command: [String], content: String, styles: [String], output: String,
                options: StyleTransferOptions, model: Model, result: StyleTransferResult, started: Date) {
        self.command = command
        self.content = content
        self.styles = styles
        self.output = output
        self.options = options
        learningRate = options.effectiveLearningRate
        seed = options.seed
        self.model = model
        width = result.image.width
        height = result.image.height
        evaluations = result.evaluations
        stopReason = result.stopReason
        seconds = result.seconds
        self.started = ISO8601DateFormatter().string(from: started)
        final = result.best
        curve = zip(result.curve, result.accepted).enumerated().map { i, point in
            let (t, accepted) = point
            return CurvePoint(evaluation: i + 1, total: t.total, content: t.contentSum, style: t.styleSum, tv: t.tv,
                              styleLayers: t.style,
                              accepted: accepted)
        }
    }

    /// out.png → out.json (any extension replaced).
    public static func url(forImage image: URL) -> URL {
        image.deletingPathExtension().appendingPathExtension("json")
    }

    public func write(to url: URL) throws {
        try JSONOutput.write(self, to: url)
    }
}

/// Pretty, key-sorted JSON, written atomically (`OutputTransaction`: a temp file beside the
/// target, fsynced, renamed into place; errors are one-line `CLIError`s).
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        try JSONFormat.encoder(.pretty, snakeCaseKeys: true).encode(value)
    }

    /// The file's bytes: the JSON and a final newline.
    public static func fileBytes<T: Encodable>(_ value: T) throws -> Data {
        var data = try encode(value)
        data.append(0x0A)
        return data
    }

    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let tx = OutputTransaction()
        try tx.stage(try fileBytes(value), at: url.relativePath)
        try tx.commit()
    }
}
