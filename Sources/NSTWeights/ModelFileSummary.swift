import Foundation
import NSTFileIO

extension ModelImport {
    /// The kinds of weight file `nst model import` reads.
    public enum Format: String, CaseIterable, Sendable {
        case safetensors, onnx, kerasH5 = "keras-h5", keras
    }

    /// A weight file's format: by extension, then by its first bytes (HDF5's signature, a
    /// zip's "PK", safetensors' 8-byte length followed by '{', an ONNX ModelProto's first field).
    /// `file` is the name errors give.
    public static func detectFormat(_ url: URL, file: String) throws -> Format {
        switch url.pathExtension.lowercased() {
        case "safetensors": return .safetensors
        case "onnx": return .onnx
        case "h5", "hdf5": return .kerasH5
        case "keras": return .keras
        default: break
        }
        let handle = try openWeightFile(url.path, shownAs: file)
        var first9 = [UInt8](repeating: 0, count: 9)
        let n = first9.withUnsafeMutableBytes { handle.read(at: 0, into: $0) }
        let head = first9.prefix(max(0, n))
        if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .kerasH5 }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .keras }      // "PK": a zip
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.first == 0x08 { return .onnx }        // ModelProto field 1 (ir_version), varint
        throw WeightFileError(file: file, "unknown format (not safetensors, ONNX, HDF5 or a .keras zip); name it .safetensors, .onnx, .h5 or .keras, or pass --format")
    }

    /// Reads `url` as `format` (nil: detected) into a checked VGG model ready to install.
    public static func load(_ url: URL, file: String, format: Format?, architecture: VGGLayout?) throws -> (result: Result, format: Format) {
        let kind = try format ?? detectFormat(url, file: file)
        switch kind {
        case .safetensors: return (try fromSafeTensors(url, architecture: architecture), kind)
        case .onnx: return (try fromONNX(url, architecture: architecture), kind)
        case .kerasH5: return (try fromKerasH5(url, architecture: architecture), kind)
        case .keras: return (try fromKerasArchive(url, architecture: architecture), kind)
        }
    }
}

/// What `nst model info` and `nst model list` show about an installed model file: read,
/// its metadata parsed, its layers checked, its size, and (when asked) its SHA-256.
public struct ModelFileSummary {
    public var url: URL
    public var file: SafeTensorsFile
    public var check: VGGCheck
    public var metadata: ModelMetadata
    public var bytes: Int
    public var sha256: String?

    public init(url: URL, checksum: Bool) throws {
        self.url = url
        file = try SafeTensorsFile.read(url)
        metadata = try ModelMetadata(file.metadata, file: url.path)
        check = try VGGLayout.check(file.tensors, architecture: metadata.architecture, file: url.path)
        bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        sha256 = checksum ? try SHA256.hex(ofFile: url) : nil
    }
}

extension ModelFileSummary {
    /// What `nst model info --json` prints (keys sorted by the encoder).
    public struct Report: Encodable {
        public struct Preprocessing: Encodable {
            var channel_order: String, input_scale: Float, mean: [Float], std: [Float]
        }
        public struct Layer: Encodable {
            var name: String, keras_name: String, weight_name: String, shape: [Int]
        }
        var name: String, `default`: Bool, path: String
        var architecture: String, conv_layers: Int, standard_widths: Bool, parameters: Int
        var size_bytes: Int, sha256: String?, preprocessing: Preprocessing
        var source: String, license: String, layers: [Layer]
    }

    public func report(isDefault: Bool) -> Report {
        Report(name: url.deletingPathExtension().lastPathComponent, default: isDefault, path: url.path,
               architecture: check.architecture.rawValue, conv_layers: check.architecture.convs.count,
               standard_widths: check.standardWidths, parameters: check.parameterCount, size_bytes: bytes, sha256: sha256,
               preprocessing: .init(channel_order: metadata.channelOrder.rawValue, input_scale: metadata.inputScale,
                                    mean: metadata.mean, std: metadata.std),
               source: metadata.source, license: metadata.license,
               layers: check.architecture.convs.map { conv in
                   Report.Layer(name: conv.name, keras_name: conv.kerasName, weight_name: conv.weightName,
                         shape: file.tensors[conv.weightName]?.shape ?? [])
               })
    }
}
